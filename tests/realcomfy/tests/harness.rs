//! The harness itself: a taken port is retried, the server answers, dropping it stops the
//! process and removes its run folder; a missing kit skips, or fails when required.
#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may unwrap (team brief)

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use realcomfy_harness::{KitServer, Level, REQUIRE_ENV, free_port, require};

/// `GET /system_stats` with std only (HTTP/1.0, the server closes the connection).
fn system_stats(port: u16) -> String {
    let mut s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    s.write_all(b"GET /system_stats HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n")
        .unwrap();
    let mut body = String::new();
    s.read_to_string(&mut body).unwrap();
    body
}

#[test]
fn a_taken_port_is_retried_and_drop_stops_the_server() {
    if !require(Level::L1) {
        return;
    }
    // Another process holds the first port offered.
    let squatter = TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = squatter.local_addr().unwrap().port();
    let mut offers = 0;
    let server = KitServer::start_on_ports(Level::L1, &[], &mut || {
        offers += 1;
        if offers == 1 { Ok(taken) } else { free_port() }
    })
    .expect("starts on the next port");
    assert_ne!(server.port(), taken);
    assert_eq!(offers, 2, "one retry");
    let stats = system_stats(server.port());
    assert!(stats.starts_with("HTTP/1.0 200") || stats.starts_with("HTTP/1.1 200"));
    assert!(stats.contains("\"comfyui_version\": \"0.3.64\""), "{stats}");
    assert!(server.log_tail(200).contains("Starting server"));

    let pid = server.pid();
    let run_dir = server.run_dir().to_path_buf();
    assert!(run_dir.join("input").is_dir());
    drop(server);
    let proc_dir = format!("/proc/{pid}");
    let deadline = Instant::now() + Duration::from_secs(20);
    // stop.sh waits for the process; only a zombie entry may linger for a moment.
    while Path::new(&proc_dir).exists()
        && std::fs::read_to_string(format!("{proc_dir}/cmdline"))
            .is_ok_and(|c| c.contains("main.py"))
    {
        assert!(Instant::now() < deadline, "server {pid} still running");
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(!run_dir.exists(), "run folder left behind");
    drop(squatter);
}

/// Run in a child process by the two tests below, with a kit home that has nothing built.
#[test]
#[ignore = "run through a child process by require_skips_or_fails_without_the_kit"]
fn probe_require_without_the_kit() {
    assert!(!require(Level::L2), "an empty kit home counts as built");
}

#[test]
fn require_skips_or_fails_without_the_kit() {
    let empty_home = tempfile::tempdir().unwrap();
    let run = |required: bool| {
        let mut cmd = Command::new(std::env::current_exe().unwrap());
        cmd.args([
            "--exact",
            "probe_require_without_the_kit",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("REALCOMFY_HOME", empty_home.path());
        if required {
            cmd.env(REQUIRE_ENV, "1");
        } else {
            cmd.env_remove(REQUIRE_ENV);
        }
        cmd.output().expect("the test binary runs")
    };
    let skipped = run(false);
    let text = String::from_utf8_lossy(&skipped.stderr);
    assert!(skipped.status.success(), "{text}");
    assert!(
        text.contains("skipped: the real-ComfyUI kit (l2) is not built"),
        "{text}"
    );
    let failed = run(true);
    let text = String::from_utf8_lossy(&failed.stdout).into_owned()
        + &String::from_utf8_lossy(&failed.stderr);
    assert!(!failed.status.success(), "{text}");
    assert!(
        text.contains("ANIMATRIX_REQUIRE_REALCOMFY=1 but the real-ComfyUI kit (l2) is not built"),
        "{text}"
    );
}
