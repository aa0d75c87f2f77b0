//! Window benchmark: first paint of the app, with WebKit's own MiniBrowser showing the same UI
//! bundle (served by `python3 -m http.server`) as the reference, launched through the same
//! tauri-driver + WebKitWebDriver pipeline on the same Xvfb; and how long progress updates take
//! from the core to the screen during a real run against the fake ComfyUI; and idle memory:
//! the proportional set size (PSS, shared pages split between their users) of every process on
//! the session's own X display (the app or MiniBrowser, and their WebKit web and network
//! processes; the WebDriver processes excluded), a few seconds after the composer showed.
//!
//! Run: `scripts/bench-window.sh` (builds the UI and the app first). Prints one table.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use animatrix_e2e::studio_env::{Latencies, StudioEnv};
use animatrix_e2e::window::{self, AppSession, LaunchOptions};

const ROUNDS: usize = 5;
/// Where Debian's libwebkit2gtk-4.1-0 installs WebKit's MiniBrowser on amd64;
/// `ANIMATRIX_REFERENCE_BROWSER` names another one.
const MINIBROWSER: &str = "/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser";

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Server(std::process::Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn serve_dist(dist: &Path, port: u16) -> Server {
    let child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
        ])
        .current_dir(dist)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "http.server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server(child)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind(("127.0.0.1", 0))
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port")
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let prereqs = window::check_prerequisites().unwrap_or_else(|p| panic!("{}", p.join("\n")));
    let dist = window::workspace_root().join("ui/dist");
    let port = free_port();
    let _server = serve_dist(&dist, port);

    let mut app_ms = Vec::new();
    let mut ref_ms = Vec::new();
    let mut app_mem = Vec::new();
    let mut ref_mem = Vec::new();
    for round in 0..ROUNDS {
        // Alternate who goes first so neither always meets a warm page cache.
        for who in if round % 2 == 0 { [0, 1] } else { [1, 0] } {
            let started = Instant::now();
            if who == 0 {
                let app = AppSession::launch(&prereqs, LaunchOptions::default())
                    .await
                    .expect("launch the app");
                app.find("composer").await.expect("composer");
                app_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                app_mem.push(idle_pss(&app.display).await);
                // Dropping stops tauri-driver (and with it the app) and the X server.
                drop(app);
            } else {
                let options = LaunchOptions {
                    reference_browser: Some(
                        std::env::var_os("ANIMATRIX_REFERENCE_BROWSER")
                            .map_or_else(|| PathBuf::from(MINIBROWSER), PathBuf::from),
                    ),
                    ..LaunchOptions::default()
                };
                let browser = AppSession::launch(&prereqs, options)
                    .await
                    .expect("launch MiniBrowser");
                browser
                    .client
                    .goto(&format!("http://127.0.0.1:{port}/index.html"))
                    .await
                    .expect("open the bundle");
                browser.find("composer").await.expect("composer");
                ref_ms.push(started.elapsed().as_secs_f64() * 1000.0);
                ref_mem.push(idle_pss(&browser.display).await);
                drop(browser);
            }
        }
    }
    let (app, reference) = (median(app_ms), median(ref_ms));
    let (app_pss, ref_pss) = (median_mem(app_mem), median_mem(ref_mem));

    let latency = progress_latency(&prereqs).await;
    println!("| measure | Animatrix Studio | reference | ratio | goal |");
    println!("|---|---|---|---|---|");
    println!(
        "| launch to composer on screen (median of {ROUNDS}) | {app:.0} ms | {reference:.0} ms (MiniBrowser, same bundle over http) | {:.2}x | < 1000 ms |",
        app / reference
    );
    println!(
        "| idle memory after launch, PSS (median of {ROUNDS}) | {} | {} (MiniBrowser, same bundle) | {:.2}x | - |",
        app_pss.describe(),
        ref_pss.describe(),
        app_pss.total_mib() / ref_pss.total_mib()
    );
    println!(
        "| progress update core -> screen (n={}) | p50 {:.1} ms, p95 {:.1} ms, max {:.1} ms | - | - | < 50 ms |",
        latency.len(),
        latency.pct(0.5),
        latency.pct(0.95),
        latency.pct(1.0)
    );
}

/// One draft Audio run against the fake (files through the dialog script), then the UI's own
/// record of `Date.now() - emitted_at_ms` for every update it rendered.
async fn progress_latency(prereqs: &window::Prereqs) -> Latencies {
    let env = StudioEnv::start(prereqs, 40).await;
    let app = &env.app;
    app.click("mode-audio").await.expect("audio");
    env.attach("ground_truth", "character.png").await;
    env.attach("audio", "speech.wav").await;
    app.type_into("prompt", "benchmark run")
        .await
        .expect("prompt");
    app.select("quality", "draft").await.expect("draft");
    env.generate_when_ready().await;
    app.find_css_within(
        "[data-testid=\"run-card\"][data-state=\"completed\"]:not([data-demo=\"true\"])",
        Duration::from_secs(120),
    )
    .await
    .expect("the run completes");
    let latencies = Latencies::read(app).await;
    env.app.close().await;
    latencies
}

/// PSS in KiB by process name, for one session.
#[derive(Debug, Clone, Default)]
struct Memory(Vec<(String, u64)>);

impl Memory {
    fn total_mib(&self) -> f64 {
        self.0.iter().map(|(_, k)| *k).sum::<u64>() as f64 / 1024.0
    }

    fn describe(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|(name, kib)| format!("{name} {:.0}", *kib as f64 / 1024.0))
            .collect();
        format!("{:.0} MiB ({})", self.total_mib(), parts.join(" + "))
    }
}

fn median_mem(mut v: Vec<Memory>) -> Memory {
    v.sort_by(|a, b| a.total_mib().total_cmp(&b.total_mib()));
    v.get(v.len() / 2).cloned().unwrap_or_default()
}

/// Idle PSS of the processes on `display`, 5 s after the composer showed (the app has imported
/// its demo pack and rendered the gallery by then; nothing runs).
async fn idle_pss(display: &str) -> Memory {
    tokio::time::sleep(Duration::from_secs(5)).await;
    let wanted = format!("DISPLAY={display}");
    let mut by_name: Vec<(String, u64)> = Vec::new();
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let dir = entry.path();
        let Ok(environ) = std::fs::read(dir.join("environ")) else {
            continue;
        };
        if !environ.split(|b| *b == 0).any(|v| v == wanted.as_bytes()) {
            continue;
        }
        let name = std::fs::read_to_string(dir.join("comm")).unwrap_or_default();
        let name = name.trim().to_string();
        if name.contains("WebDriver") || name.contains("tauri-driver") || name.is_empty() {
            continue;
        }
        let pss = std::fs::read_to_string(dir.join("smaps_rollup"))
            .unwrap_or_default()
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0);
        match by_name.iter_mut().find(|(n, _)| *n == name) {
            Some((_, kib)) => *kib += pss,
            None => by_name.push((name, pss)),
        }
    }
    by_name.sort_by_key(|(_, kib)| std::cmp::Reverse(*kib));
    Memory(by_name)
}
