//! Client limits: every request has a timeout, every body a size cap, every download a size
//! cap, a deadline and a minimum rate.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect.
    pub connect_timeout: Duration,
    /// Whole request, for JSON endpoints.
    pub request_timeout: Duration,
    /// Uploads and downloads: the longest wait for the next bytes.
    pub transfer_idle_timeout: Duration,
    /// Largest JSON answer read from the small endpoints (a history entry, a prompt answer,
    /// system stats…). A real history entry is a few KB (its graph plus the output list), so
    /// 16 MB leaves room for huge graphs while bounding what a hostile answer can cost.
    pub max_json_bytes: u64,
    /// Largest /object_info answer: a real server with many custom nodes sends several MB.
    pub max_object_info_bytes: u64,
    /// Largest GET /queue answer when following prompts. Every queued prompt carries its full
    /// graph (everyone's, on a shared server), but the hub parses only ids, so memory stays
    /// about the body size.
    pub max_queue_bytes: u64,
    /// Largest error body kept for operators.
    pub max_error_body_bytes: u64,
    /// Largest WebSocket message accepted. Previews are small images (512 px by default) and
    /// text events are KBs; 8 MB keeps large previews working.
    pub max_ws_message_bytes: usize,
    /// Output downloads (`/view`).
    pub download: DownloadLimits,
    /// Extra trusted certificate authorities (DER), on top of the OS trust store.
    pub extra_root_certificates: Vec<Vec<u8>>,
    pub user_agent: String,
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            connect_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(30),
            transfer_idle_timeout: Duration::from_secs(60),
            max_json_bytes: 16 * 1024 * 1024,
            max_object_info_bytes: 64 * 1024 * 1024,
            max_queue_bytes: 64 * 1024 * 1024,
            max_error_body_bytes: 64 * 1024,
            max_ws_message_bytes: 8 * 1024 * 1024,
            download: DownloadLimits::default(),
            extra_root_certificates: Vec::new(),
            user_agent: concat!("animatrix-studio/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}

/// What a `/view` download may cost. A download that breaks one of these ends with a typed
/// error and leaves no file behind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DownloadLimits {
    /// Largest file accepted: a Content-Length above it is refused before anything is written,
    /// a body that grows past it is cut.
    pub max_bytes: u64,
    /// The whole download must end within this, however steadily bytes arrive.
    pub deadline: Duration,
    /// Once `rate_grace` has passed, the average rate since the start must stay at or above
    /// this (a server that sends a byte every few seconds never trips the idle timeout).
    pub min_bytes_per_sec: u64,
    pub rate_grace: Duration,
    /// Free space that must remain on the destination disk besides the file.
    pub disk_reserve_bytes: u64,
}

impl Default for DownloadLimits {
    fn default() -> Self {
        DownloadLimits {
            // A 1080p Wan clip is tens of MB; 8 GB is far beyond any real result.
            max_bytes: 8 * 1024 * 1024 * 1024,
            deadline: Duration::from_secs(60 * 60),
            // 8 KB/s: far below any working link, far above a trickle.
            min_bytes_per_sec: 8 * 1024,
            rate_grace: Duration::from_secs(30),
            disk_reserve_bytes: 256 * 1024 * 1024,
        }
    }
}
