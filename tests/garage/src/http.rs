//! `curl` for the tests: share links fetched the way a browser would (status, headers, Range),
//! and the S3 listing object_store does not offer.

use std::process::Command;

/// What one `curl` got.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// 0 when curl could not get a status (connection refused, timeout).
    pub status: u16,
    /// The response headers, lowercased (header names are case-insensitive).
    pub headers: String,
    pub body_len: u64,
    /// The body as text (only kept by [`curl_body`]).
    pub body: String,
}

/// `curl -sS <extra> <url>` with a 20 s deadline.
pub fn curl(url: &str, extra: &[&str]) -> Fetched {
    fetch(url, extra, false)
}

pub(crate) fn curl_body(url: &str, extra: &[&str]) -> Fetched {
    fetch(url, extra, true)
}

fn fetch(url: &str, extra: &[&str], keep_body: bool) -> Fetched {
    let dir = tempfile::tempdir().expect("temp dir");
    let (head, body) = (dir.path().join("headers"), dir.path().join("body"));
    let out = Command::new("curl")
        .args(["-sS", "--max-time", "20", "-D"])
        .arg(&head)
        .arg("-o")
        .arg(&body)
        .args(["-w", "%{http_code}"])
        .args(extra)
        .arg(url)
        .output()
        .expect("curl runs");
    Fetched {
        status: String::from_utf8_lossy(&out.stdout)
            .trim()
            .parse()
            .unwrap_or(0),
        headers: std::fs::read_to_string(&head)
            .unwrap_or_default()
            .to_lowercase(),
        body_len: std::fs::metadata(&body).map(|m| m.len()).unwrap_or(0),
        body: if keep_body {
            std::fs::read_to_string(&body).unwrap_or_default()
        } else {
            String::new()
        },
    }
}

/// (key, upload id) of every `<Upload>` in a ListMultipartUploads answer.
pub(crate) fn uploads_in(xml: &str) -> Vec<(String, String)> {
    let tag = |text: &str, name: &str| -> String {
        let open = format!("<{name}>");
        text.split_once(&open)
            .and_then(|(_, rest)| rest.split_once(&format!("</{name}>")))
            .map(|(v, _)| v.to_string())
            .unwrap_or_default()
    };
    xml.split("<Upload>")
        .skip(1)
        .map(|u| (tag(u, "Key"), tag(u, "UploadId")))
        .collect()
}
