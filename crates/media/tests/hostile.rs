//! Issue 15, media side: input that hurts the machine. Hostile WAV headers are refused fast with
//! bounded memory (measured in a child process: this test binary again, running only `child`,
//! which reports its peak RSS growth); folders, pipes and looping links are bad input; a killed
//! import leaves nothing behind for long.

#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

use animatrix_common::Explain;
use animatrix_media::{AssetStore, ImportOptions, Limits, MediaKind, Role, probe};
use common::ImportAs;

const CHILD: &str = "MEDIA_HOSTILE_CHILD";

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures"
    ))
    .join(name)
}

/// `VmHWM` and `VmRSS` in bytes (Linux).
fn peak_and_rss() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| -> u64 {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
            .unwrap_or(0)
            * 1024
    };
    (field("VmHWM:"), field("VmRSS:"))
}

/// The child: one action on one file, one line of results.
#[test]
#[ignore = "run by the tests below in a child process"]
fn child() {
    let Ok(spec) = std::env::var(CHILD) else {
        return;
    };
    let (action, path) = spec.split_once(':').unwrap();
    let path = PathBuf::from(path);
    let _ = std::fs::write("/proc/self/clear_refs", "5");
    let (_, before) = peak_and_rss();
    let started = Instant::now();
    let code = match action {
        "probe" => probe(&path, &Limits::default()).err().map(|e| e.code()),
        "import" => {
            let store = AssetStore::new(
                std::env::temp_dir().join(format!("media-hostile-{}", std::process::id())),
            )
            .unwrap();
            let result = store.import(&path, MediaKind::Audio, &ImportOptions::default());
            let _ = std::fs::remove_dir_all(store.root());
            result.err().map(|e| e.code())
        }
        "slow_import" => {
            // Held open by the parent's kill: an import that never finishes.
            let store = AssetStore::new(path.parent().unwrap().join("store")).unwrap();
            println!("STARTED");
            store
                .import_as(&path, Role::Audio, &ImportOptions::default())
                .err()
                .map(|e| e.code())
        }
        other => panic!("unknown action {other}"),
    };
    let (peak, _) = peak_and_rss();
    println!(
        "RESULT code={} ms={} growth={}",
        code.map(|c| c.as_str()).unwrap_or("ok"),
        started.elapsed().as_millis(),
        peak.saturating_sub(before)
    );
}

/// Runs `action` on `path` in a child, killed after `limit`. (code, wall time, peak growth).
fn in_child(action: &str, path: &Path, limit: Duration) -> (String, Duration, u64) {
    let started = Instant::now();
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("{action}:{}", path.display()))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    while child.try_wait().unwrap().is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{action} {} still running after {limit:?}", path.display());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let line = stdout
        .lines()
        .find_map(|l| l.find("RESULT ").map(|at| &l[at..]))
        .unwrap_or_else(|| panic!("no result: {stdout}"));
    eprintln!("{action} {}: {line}", path.display());
    let field = |key: &str| {
        line.split_whitespace()
            .find_map(|w| w.strip_prefix(key))
            .unwrap()
            .to_owned()
    };
    (
        field("code="),
        started.elapsed(),
        field("growth=").parse().unwrap(),
    )
}

/// 1 KB WAVs whose header claims 4294967295 Hz or 1 Hz. Old: import hung with memory growing
/// past 3.8 GB (1.4 GB and still running after 90 s for 1 Hz). New: `audio_header_invalid`
/// in well under a second, with a few MB at most.
#[test]
#[cfg(target_os = "linux")]
fn absurd_wav_sample_rates_are_refused_fast_with_bounded_memory() {
    for name in [
        "bad/wav_sample_rate_4294967295.wav",
        "bad/wav_sample_rate_1hz.wav",
    ] {
        for action in ["probe", "import"] {
            let (code, took, growth) = in_child(action, &fixture(name), Duration::from_secs(20));
            assert_eq!(code, "audio_header_invalid", "{action} {name}");
            // Wall time includes starting the child process.
            assert!(took < Duration::from_secs(3), "{action} {name}: {took:?}");
            assert!(growth < 16 << 20, "{action} {name}: grew {growth} bytes");
        }
        let e = probe(&fixture(name), &Limits::default()).unwrap_err();
        let user = e.explain();
        assert!(user.message.contains("sample rate"), "{}", user.message);
    }
}

#[cfg(unix)]
#[test]
fn folders_pipes_and_looping_links_are_bad_input() {
    let dir = tempfile::tempdir().unwrap();
    let store = AssetStore::new(dir.path().join("store")).unwrap();
    let folder = dir.path().join("photos.png");
    std::fs::create_dir(&folder).unwrap();
    let fifo = dir.path().join("pipe.wav");
    let made = Command::new("mkfifo").arg(&fifo).status().unwrap();
    assert!(made.success());
    let (a, b) = (dir.path().join("a.mp4"), dir.path().join("b.mp4"));
    std::os::unix::fs::symlink(&b, &a).unwrap();
    std::os::unix::fs::symlink(&a, &b).unwrap();
    for (path, kind) in [
        (&folder, MediaKind::Image),
        (&fifo, MediaKind::Audio),
        (&a, MediaKind::Video),
    ] {
        let started = Instant::now();
        let e = store
            .import(path, kind, &ImportOptions::default())
            .unwrap_err();
        assert_eq!(e.code(), "file_not_regular", "{}: {e}", path.display());
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "a pipe is never opened"
        );
        let user = e.explain();
        assert!(!user.suggestion.contains("disk"), "{}", user.suggestion);
        assert_eq!(
            probe(path, &Limits::default()).unwrap_err().code(),
            "file_not_regular"
        );
    }
    let missing = store
        .import(
            &dir.path().join("gone.png"),
            MediaKind::Image,
            &ImportOptions::default(),
        )
        .unwrap_err();
    assert_eq!(missing.code(), "file_not_found");
}

/// A 2-minute 48 kHz stereo WAV: long enough to normalize that the import can be killed while
/// its temporary file exists.
fn long_wav(path: &Path) {
    const SECONDS: u32 = 120;
    let spec = fmt_chunk();
    let mut w = std::io::BufWriter::new(std::fs::File::create(path).unwrap());
    use std::io::Write;
    let frames: u32 = 48_000 * SECONDS;
    let data_len = frames * 4;
    w.write_all(b"RIFF").unwrap();
    w.write_all(&(36 + data_len).to_le_bytes()).unwrap();
    w.write_all(b"WAVEfmt ").unwrap();
    w.write_all(&spec).unwrap();
    w.write_all(b"data").unwrap();
    w.write_all(&data_len.to_le_bytes()).unwrap();
    let mut chunk = Vec::with_capacity(48_000 * 4);
    for i in 0..48_000u32 {
        let s = ((i as f32 * 0.05).sin() * 12_000.0) as i16;
        chunk.extend_from_slice(&s.to_le_bytes());
        chunk.extend_from_slice(&s.to_le_bytes());
    }
    for _ in 0..SECONDS {
        w.write_all(&chunk).unwrap();
    }
    w.flush().unwrap();
}

/// `fmt ` chunk: PCM, 2 channels, 48 kHz, 16 bits.
fn fmt_chunk() -> Vec<u8> {
    let mut v = Vec::new();
    v.extend_from_slice(&16u32.to_le_bytes());
    v.extend_from_slice(&1u16.to_le_bytes());
    v.extend_from_slice(&2u16.to_le_bytes());
    v.extend_from_slice(&48_000u32.to_le_bytes());
    v.extend_from_slice(&(48_000u32 * 4).to_le_bytes());
    v.extend_from_slice(&4u16.to_le_bytes());
    v.extend_from_slice(&16u16.to_le_bytes());
    v
}

fn incoming(store: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(store)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with(".incoming-"))
                })
                .collect()
        })
        .unwrap_or_default()
}

/// An import killed (SIGKILL) while writing. Old: its `assets/.incoming-*` stayed forever. New:
/// the next store that opens removes it once it is unlocked (its process is gone) and old; a
/// fresh one is left alone (its import may be running in another process).
#[cfg(unix)]
#[test]
fn a_killed_import_leaves_no_temporary_file_for_long() {
    let dir = tempfile::tempdir().unwrap();
    let wav = dir.path().join("long.wav");
    long_wav(&wav);
    let store_dir = dir.path().join("store");
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "child",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD, format!("slow_import:{}", wav.display()))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    while incoming(&store_dir).is_empty() {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no temp file appeared"
        );
        assert!(
            child.try_wait().unwrap().is_none(),
            "the import ended too soon"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let left = incoming(&store_dir);
    assert_eq!(left.len(), 1, "{left:?}");

    // Fresh: kept (it could belong to a live import elsewhere).
    AssetStore::new(&store_dir).unwrap();
    assert_eq!(incoming(&store_dir), left);
    // Old and unlocked: removed when a store opens.
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(&left[0])
        .unwrap();
    file.set_modified(SystemTime::now() - Duration::from_secs(2 * 60 * 60))
        .unwrap();
    drop(file);
    AssetStore::new(&store_dir).unwrap();
    assert!(incoming(&store_dir).is_empty());
}
