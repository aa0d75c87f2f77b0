//! Client limits: every request has a timeout, every JSON body a size cap.

use std::time::Duration;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    /// TCP + TLS connect.
    pub connect_timeout: Duration,
    /// Whole request, for JSON endpoints.
    pub request_timeout: Duration,
    /// Uploads and downloads: the longest wait for the next bytes (big files have no total
    /// timeout, a stalled transfer still ends).
    pub transfer_idle_timeout: Duration,
    /// Largest JSON body read (object_info with many custom nodes is tens of MB).
    pub max_json_bytes: u64,
    /// Largest error body kept for operators.
    pub max_error_body_bytes: u64,
    /// Largest WebSocket message accepted (previews are small images).
    pub max_ws_message_bytes: usize,
    /// Largest output download, `None` for no cap (outputs are the product: videos can be big).
    pub max_download_bytes: Option<u64>,
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
            max_json_bytes: 64 * 1024 * 1024,
            max_error_body_bytes: 64 * 1024,
            max_ws_message_bytes: 32 * 1024 * 1024,
            max_download_bytes: None,
            extra_root_certificates: Vec::new(),
            user_agent: concat!("animatrix-studio/", env!("CARGO_PKG_VERSION")).to_owned(),
        }
    }
}
