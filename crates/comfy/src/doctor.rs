//! `doctor`: is an endpoint usable for generation, and if not, what to do about it. The CLI
//! (`animatrix doctor`) and the settings screen ("Test connection") render this report.

use std::time::Duration;

use animatrix_common::{ErrorCode, Explain, UserError};
use serde::Serialize;

use crate::client::ComfyClient;
use crate::error::ComfyError;
use crate::ws::SocketEvent;

/// The oldest ComfyUI this client was checked against (PROTOCOL.md captures).
pub const TESTED_COMFYUI_VERSION: (u64, u64, u64) = (0, 3, 64);

#[derive(Debug, Clone, PartialEq, Serialize, specta::Type)]
pub struct DoctorReport {
    /// The base URL (never credentials).
    pub endpoint: String,
    pub reachable: bool,
    pub auth_ok: bool,
    pub comfyui_version: Option<String>,
    pub gpu_name: Option<String>,
    pub vram_total: Option<u64>,
    pub vram_free: Option<u64>,
    /// Prompts running + pending on the server.
    pub queue_len: Option<usize>,
    /// Server upload limit in bytes, when it tells.
    pub max_upload_size: Option<u64>,
    /// Live progress works (jobs still finish without it, by polling).
    pub websocket_ok: bool,
    /// True only when jobs can be submitted and followed to the end.
    pub usable: bool,
    /// What makes the endpoint unusable.
    pub problems: Vec<UserError>,
    /// What works but deserves attention.
    pub warnings: Vec<UserError>,
}

fn parse_version(v: &str) -> Option<(u64, u64, u64)> {
    let mut parts = v.trim().trim_start_matches('v').split('.');
    let mut next = || {
        parts.next().and_then(|p| {
            let digits: String = p.chars().take_while(char::is_ascii_digit).collect();
            digits.parse().ok()
        })
    };
    Some((next()?, next().unwrap_or(0), next().unwrap_or(0)))
}

/// Check reachability, credentials, version, GPU, queue, upload limit and the event socket.
pub async fn doctor(client: &ComfyClient) -> DoctorReport {
    let mut report = DoctorReport {
        endpoint: client.endpoint().base_url.to_string(),
        reachable: false,
        auth_ok: false,
        comfyui_version: None,
        gpu_name: None,
        vram_total: None,
        vram_free: None,
        queue_len: None,
        max_upload_size: None,
        websocket_ok: false,
        usable: false,
        problems: Vec::new(),
        warnings: Vec::new(),
    };

    match client.system_stats().await {
        Ok(stats) => {
            report.reachable = true;
            report.auth_ok = true;
            report.comfyui_version = stats.system.comfyui_version.clone();
            if let Some(gpu) = stats.gpu() {
                report.gpu_name = Some(gpu.name.clone());
                report.vram_total = Some(gpu.vram_total);
                report.vram_free = Some(gpu.vram_free);
            } else {
                report.warnings.push(UserError::new(
                    ErrorCode::ServerHasNoGpu,
                    "The server has no graphics card; generating video would take far too long.",
                    "Use a server with an NVIDIA GPU (24 GB or more recommended for Wan 2.2 14B).",
                ));
            }
            match report.comfyui_version.as_deref().and_then(parse_version) {
                Some(v) if v < TESTED_COMFYUI_VERSION => report.warnings.push(
                    UserError::new(
                        ErrorCode::ServerVersionOld,
                        "The server runs an older ComfyUI than Animatrix Studio was tested with.",
                        "Ask the server operator to update ComfyUI to 0.3.64 or newer.",
                    )
                    .with_detail(format!("comfyui_version {:?}", report.comfyui_version)),
                ),
                Some(_) => {}
                None => report.warnings.push(UserError::new(
                    ErrorCode::ServerVersionUnknown,
                    "The server did not say which ComfyUI version it runs.",
                    "Ask the server operator to update ComfyUI to 0.3.64 or newer.",
                )),
            }
        }
        Err(e) => {
            match &e {
                ComfyError::Unauthorized { .. } | ComfyError::Forbidden { .. } => {
                    report.reachable = true;
                }
                ComfyError::NotFound { .. }
                | ComfyError::MalformedBody { .. }
                | ComfyError::BodyTooLarge { .. }
                | ComfyError::UnexpectedStatus { .. }
                | ComfyError::ServerError { .. } => {
                    report.reachable = true;
                    report.auth_ok = true;
                }
                _ => {}
            }
            report.problems.push(e.explain());
            return report;
        }
    }

    match client.queue_summary().await {
        Ok(q) => report.queue_len = Some(q.len()),
        Err(e) => report.problems.push(e.explain()),
    }
    match client.features().await {
        Ok(f) => report.max_upload_size = f.max_upload_size,
        Err(e) => report.problems.push(e.explain()),
    }
    match check_socket(client).await {
        Ok(()) => report.websocket_ok = true,
        Err(e) => report.warnings.push(e.explain()),
    }
    report.usable = report.reachable && report.auth_ok && report.problems.is_empty();
    report
}

/// Open a socket and wait for the server's greeting (`status` with our sid).
async fn check_socket(client: &ComfyClient) -> Result<(), ComfyError> {
    let client_id = format!("animatrix-doctor-{}", uuid::Uuid::new_v4().simple());
    let mut socket = client.connect_events(&client_id).await?;
    let wait: Duration = client.options().request_timeout;
    let greeting = tokio::time::timeout(wait, async {
        loop {
            match socket.next_event().await {
                Some(Ok(SocketEvent::Message(_))) => return Ok(()),
                Some(Ok(SocketEvent::Binary(_))) => continue,
                Some(Err(e)) => return Err(e),
                None => {
                    return Err(ComfyError::WebSocket {
                        host: client.host().to_owned(),
                        detail: "closed before greeting".into(),
                    });
                }
            }
        }
    })
    .await;
    socket.close().await;
    match greeting {
        Ok(result) => result,
        Err(_) => Err(ComfyError::Timeout {
            host: client.host().to_owned(),
            what: "websocket greeting".into(),
            after: wait,
        }),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::parse_version;

    #[test]
    fn versions_parse_loosely() {
        assert_eq!(parse_version("0.3.64"), Some((0, 3, 64)));
        assert_eq!(parse_version("v0.4"), Some((0, 4, 0)));
        assert_eq!(parse_version("0.3.64-rc1"), Some((0, 3, 64)));
        assert_eq!(parse_version("nightly"), None);
    }
}
