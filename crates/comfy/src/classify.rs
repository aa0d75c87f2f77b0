//! Turning transport errors (reqwest, tungstenite) into `ComfyError` classes.

use std::error::Error as StdError;
use std::time::Duration;

use tokio_tungstenite::tungstenite;

use crate::error::ComfyError;
use crate::tls;

/// `err: cause: cause…`, for operator detail.
pub(crate) fn chain_text(err: &(dyn StdError + 'static)) -> String {
    let mut parts = vec![err.to_string()];
    let mut current = err.source();
    while let Some(e) = current {
        let text = e.to_string();
        if parts.last() != Some(&text) {
            parts.push(text);
        }
        current = e.source();
    }
    parts.join(": ")
}

fn looks_like_dns(text: &str) -> bool {
    let t = text.to_lowercase();
    t.contains("dns error")
        || t.contains("failed to lookup address")
        || t.contains("name or service not known")
        || t.contains("no such host")
        || t.contains("nodename nor servname")
        || t.contains("temporary failure in name resolution")
}

pub(crate) fn from_reqwest(
    err: reqwest::Error,
    host: &str,
    what: &str,
    timeout: Duration,
) -> ComfyError {
    let detail = chain_text(&err);
    if let Some(r) = tls::find_rustls_error(&err) {
        return ComfyError::Tls {
            host: host.to_owned(),
            problem: tls::classify(r),
            detail,
        };
    }
    if err.is_timeout() {
        return ComfyError::Timeout {
            host: host.to_owned(),
            what: what.to_owned(),
            after: timeout,
        };
    }
    if err.is_connect() {
        return if looks_like_dns(&detail) {
            ComfyError::Dns {
                host: host.to_owned(),
                detail,
            }
        } else {
            ComfyError::Unreachable {
                host: host.to_owned(),
                detail,
            }
        };
    }
    ComfyError::Network {
        host: host.to_owned(),
        detail,
    }
}

pub(crate) fn from_io(err: &std::io::Error, host: &str) -> ComfyError {
    let detail = chain_text(err);
    if let Some(r) = tls::find_rustls_error(err) {
        return ComfyError::Tls {
            host: host.to_owned(),
            problem: tls::classify(r),
            detail,
        };
    }
    match err.kind() {
        std::io::ErrorKind::ConnectionRefused
        | std::io::ErrorKind::HostUnreachable
        | std::io::ErrorKind::NetworkUnreachable => ComfyError::Unreachable {
            host: host.to_owned(),
            detail,
        },
        _ if looks_like_dns(&detail) => ComfyError::Dns {
            host: host.to_owned(),
            detail,
        },
        _ => ComfyError::WebSocket {
            host: host.to_owned(),
            detail,
        },
    }
}

pub(crate) fn from_ws(err: tungstenite::Error, host: &str, path: &str) -> ComfyError {
    match err {
        tungstenite::Error::Http(response) => {
            let status = response.status().as_u16();
            let body = response
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(&b[..b.len().min(512)]).into_owned())
                .unwrap_or_default();
            status_error(status, host, path, body)
        }
        tungstenite::Error::Io(e) => from_io(&e, host),
        tungstenite::Error::Tls(e) => {
            let detail = chain_text(&e);
            match tls::find_rustls_error(&e) {
                Some(r) => ComfyError::Tls {
                    host: host.to_owned(),
                    problem: tls::classify(r),
                    detail,
                },
                None => ComfyError::Tls {
                    host: host.to_owned(),
                    problem: crate::error::TlsProblem::Other(detail.clone()),
                    detail,
                },
            }
        }
        other => ComfyError::WebSocket {
            host: host.to_owned(),
            detail: chain_text(&other),
        },
    }
}

/// Map an HTTP status to its error class.
pub(crate) fn status_error(status: u16, host: &str, path: &str, body: String) -> ComfyError {
    match status {
        401 => ComfyError::Unauthorized {
            host: host.to_owned(),
            path: path.to_owned(),
        },
        403 => ComfyError::Forbidden {
            host: host.to_owned(),
            path: path.to_owned(),
        },
        404 => ComfyError::NotFound {
            host: host.to_owned(),
            path: path.to_owned(),
        },
        413 => ComfyError::UploadTooLarge {
            file: path.to_owned(),
            size: None,
            limit: None,
        },
        500..=599 => ComfyError::ServerError {
            status,
            path: path.to_owned(),
            body,
        },
        _ => ComfyError::UnexpectedStatus {
            status,
            path: path.to_owned(),
            body,
        },
    }
}
