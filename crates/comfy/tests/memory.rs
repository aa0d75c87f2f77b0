//! Peak memory of big answers (issue 15: a 60 MB /history answer peaked at 2.7 GB, a 25 MB
//! WebSocket frame at 809 MB). Each scenario runs in a child process (this test binary again,
//! running only `child`) with a minimal server in the same child; the child resets its peak
//! RSS (`/proc/self/clear_refs`), makes the one call, and reports `VmHWM - VmRSS before`. The
//! parent asserts a bound per scenario. Linux only (/proc).
//!
//! The servers here are raw sockets rather than the fake ComfyUI so the same scenarios can be
//! pointed at an older client build for comparison.

#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
#![cfg(target_os = "linux")]

use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use animatrix_comfy::{Auth, ClientOptions, ComfyClient, ComfyError, Endpoint};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const SCENARIO: &str = "COMFY_MEMORY_SCENARIO";

/// `VmHWM` and `VmRSS` in bytes.
fn peak_and_rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap()
            * 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// A history entry of `nodes` output nodes with one image each (~90 bytes per node).
fn history_body(id: &str, nodes: usize) -> String {
    let mut body = String::with_capacity(nodes * 96 + 256);
    body.push_str(&format!(
        "{{\"{id}\": {{\"prompt\": [0, \"{id}\", {{}}, {{}}, []], \"outputs\": {{"
    ));
    for n in 0..nodes {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "\"{n}\":{{\"images\":[{{\"filename\":\"ComfyUI_{n:07}_.png\",\"subfolder\":\"\",\"type\":\"output\"}}]}}"
        ));
    }
    body.push_str("}, \"status\": {\"status_str\": \"success\", \"completed\": true, \"messages\": []}, \"meta\": {}}}");
    body
}

/// An `executed` frame of `images` output files.
fn executed_frame(images: usize) -> String {
    let mut list = String::with_capacity(images * 80);
    for n in 0..images {
        if n > 0 {
            list.push(',');
        }
        list.push_str(&format!(
            "{{\"filename\":\"ComfyUI_{n:07}_.png\",\"subfolder\":\"\",\"type\":\"output\"}}"
        ));
    }
    format!(
        "{{\"type\": \"executed\", \"data\": {{\"node\": \"9\", \"display_node\": \"9\", \"output\": {{\"images\": [{list}]}}, \"prompt_id\": \"p\"}}}}"
    )
}

/// Serves `body` as the answer to every HTTP request (with or without Content-Length).
async fn serve_http(body: Arc<Vec<u8>>, declare_length: bool) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        loop {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 8192];
                let _ = s.read(&mut buf).await;
                let head = if declare_length {
                    format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    )
                } else {
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n"
                        .into()
                };
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(&body).await;
                let _ = s.shutdown().await;
            });
        }
    });
    format!("http://{addr}")
}

/// Accepts one WebSocket and sends `frame` as one text message.
async fn serve_ws(frame: String) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
        use futures_util::SinkExt;
        let _ = ws
            .send(tokio_tungstenite::tungstenite::Message::text(frame))
            .await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    });
    format!("http://{addr}")
}

fn client(base: &str) -> ComfyClient {
    let endpoint = Endpoint::parse(base, Auth::None).unwrap();
    ComfyClient::new(endpoint, ClientOptions::default()).unwrap()
}

/// Runs one scenario; returns (peak growth, answer size, what the call returned).
async fn run(name: &str) -> (u64, usize, String) {
    let id = "0b57ccb5-5d48-4b0b-bd75-7fdaa250724b";
    match name {
        "history_15mb" | "history_60mb" | "history_60mb_chunked" => {
            let nodes = if name == "history_15mb" {
                160_000
            } else {
                640_000
            };
            let body = Arc::new(history_body(id, nodes).into_bytes());
            let size = body.len();
            let base = serve_http(body, name != "history_60mb_chunked").await;
            let c = client(&base);
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let (_, before) = peak_and_rss();
            let result = c.history(id).await;
            let (peak, _) = peak_and_rss();
            let what = match &result {
                Ok(Some(entry)) => format!("ok: {} files", entry.files().len()),
                Ok(None) => "absent".into(),
                Err(e) => format!("error: {}", e.code()),
            };
            drop(result);
            (peak.saturating_sub(before), size, what)
        }
        "ws_7mb" | "ws_25mb" => {
            let images = if name == "ws_7mb" { 90_000 } else { 330_000 };
            let frame = executed_frame(images);
            let size = frame.len();
            let base = serve_ws(frame).await;
            let c = client(&base);
            let mut socket = c.connect_events("memory").await.unwrap();
            let _ = std::fs::write("/proc/self/clear_refs", "5");
            let (_, before) = peak_and_rss();
            let event = socket.next_event().await;
            let (peak, _) = peak_and_rss();
            let what = match &event {
                Some(Ok(animatrix_comfy::SocketEvent::Message(m))) => format!("ok: {}", m.kind()),
                Some(Ok(other)) => format!("other: {other:?}"),
                Some(Err(e)) => format!("error: {}", ComfyError::code(e)),
                None => "closed".into(),
            };
            drop(event);
            (peak.saturating_sub(before), size, what)
        }
        other => panic!("unknown scenario {other}"),
    }
}

/// The child: one scenario, one line of results on stdout.
#[test]
#[ignore = "run by json_answers_cost_a_bounded_multiple_of_their_size in a child process"]
fn child() {
    let Ok(name) = std::env::var(SCENARIO) else {
        return;
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (growth, size, what) = rt.block_on(run(&name));
    println!("MEMORY {name} growth={growth} size={size} result={what}");
}

fn measure(name: &str) -> (u64, usize, String) {
    let out = Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(SCENARIO, name)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let tag = format!("MEMORY {name} ");
    let line = stdout
        .lines()
        .find_map(|l| l.find(&tag).map(|at| &l[at..]))
        .unwrap_or_else(|| {
            panic!(
                "{name}: no result\n{stdout}\n{}",
                String::from_utf8_lossy(&out.stderr)
            )
        });
    eprintln!("{line}");
    let field = |key: &str| -> String {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap()
            .to_owned()
    };
    let result = line.split_once("result=").unwrap().1.to_owned();
    (
        field("growth=").parse().unwrap(),
        field("size=").parse().unwrap(),
        result,
    )
}

const MB: u64 = 1024 * 1024;

#[test]
fn json_answers_cost_a_bounded_multiple_of_their_size() {
    // A 15 MB history entry (under the 16 MB cap) is parsed; its cost stays a small multiple
    // of its size (typed structs, no intermediate JSON tree).
    let (growth, size, result) = measure("history_15mb");
    assert!(result.starts_with("ok: 160000 files"), "{result}");
    assert!(growth < 8 * size as u64, "{growth} for {size}");

    // 60 MB (the case): refused from its Content-Length, nothing read.
    let (growth, _, result) = measure("history_60mb");
    assert_eq!(result, "error: response_too_large");
    assert!(growth < 8 * MB, "{growth}");

    // 60 MB without Content-Length: read up to the cap, then refused.
    let (growth, _, result) = measure("history_60mb_chunked");
    assert_eq!(result, "error: response_too_large");
    assert!(growth < 48 * MB, "{growth}");

    // A 7 MB WebSocket frame (under the 8 MB cap) is decoded straight into its typed message.
    let (growth, size, result) = measure("ws_7mb");
    assert_eq!(result, "ok: executed");
    assert!(growth < 8 * size as u64, "{growth} for {size}");

    // 25 MB (the case): refused by the frame cap before it is read.
    let (growth, _, result) = measure("ws_25mb");
    assert!(result.starts_with("error"), "{result}");
    assert!(growth < 24 * MB, "{growth}");
}
