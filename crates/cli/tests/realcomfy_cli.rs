//! Every template from the CLI, through the app's own job engine, on a REAL ComfyUI 0.3.64 (the
//! kit's Level 2 server: real nodes and custom-node packs, tiny stand-in models on CPU). What the
//! user types (`animatrix submit template NAME --input ROLE=FILE ...`) must end `completed`,
//! with an MP4 whose frame count, size, frame rate and audio the plan promised.
//!
//! The catalog is the shipped one with only the Draft sizes shrunk (as in
//! tests/realcomfy/tests/conformance.rs), given to the CLI through `ANIMATRIX_WORKFLOWS_DIR`.
//! Skipped with a reason when the kit is not built; a failure when
//! `ANIMATRIX_REQUIRE_REALCOMFY=1` (as `scripts/test-all.sh` sets it).

mod common;

use std::process::Output;
use std::time::Instant;

use common::{bin, fixture, job_id_of, last_json_line};
use realcomfy_harness::{Level, require, serial, shared, write_tiny_catalog};
use serde_json::Value;

/// A data dir of its own, the kit server as default endpoint, the tiny catalog.
struct RealEnv {
    dir: tempfile::TempDir,
    workflows: tempfile::TempDir,
}

impl RealEnv {
    fn new(url: &str) -> RealEnv {
        let workflows = tempfile::tempdir().expect("temp dir");
        write_tiny_catalog(workflows.path()).expect("tiny catalog written");
        let env = RealEnv {
            dir: tempfile::tempdir().expect("temp dir"),
            workflows,
        };
        let out = env.run(&["endpoint", "add", "kit", url, "--default"]);
        assert!(out.status.success(), "{}", text(&out.stderr));
        env
    }

    fn run(&self, args: &[&str]) -> Output {
        std::process::Command::new(bin())
            .args(args)
            .env("ANIMATRIX_DATA_DIR", self.dir.path())
            .env("ANIMATRIX_WORKFLOWS_DIR", self.workflows.path())
            .stdin(std::process::Stdio::null())
            .output()
            .expect("cli runs")
    }

    fn json(&self, args: &[&str]) -> Value {
        let out = self.run(args);
        serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{args:?}: {e}\n{}", text(&out.stderr)))
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// What the delivered MP4 must be.
struct Promise {
    frames: u64,
    size: (u64, u64),
    /// The audio's sample rate when the video carries the user's audio.
    audio_rate: Option<u64>,
}

/// Submits `template` with `inputs` (role, fixture) and `extra` flags, waits, and checks the
/// job and its MP4 against `promise`. Returns early (skipped) when the kit is not built.
fn submit_and_check(template: &str, inputs: &[(&str, &str)], extra: &[&str], promise: Promise) {
    if !require(Level::L2) {
        return;
    }
    let _one_at_a_time = serial();
    let server = shared(Level::L2).unwrap_or_else(|e| panic!("kit server: {e}"));
    let _log = server.log_on_failure();
    let env = RealEnv::new(&server.base_url());
    let specs: Vec<String> = inputs
        .iter()
        .map(|(role, file)| format!("{role}={}", fixture(file)))
        .collect();
    let mut args = vec!["submit", "--wait", "--json", "template", template];
    for spec in &specs {
        args.extend(["--input", spec]);
    }
    args.extend(["--profile", "draft", "--aspect", "9:16", "--seed", "7"]);
    args.extend(["--prompt", "a character moving calmly"]);
    args.extend_from_slice(extra);
    let started = Instant::now();
    let out = env.run(&args);
    eprintln!(
        "{template}: {:.1} s from the CLI",
        started.elapsed().as_secs_f64()
    );
    assert!(out.status.success(), "{template}: {}", text(&out.stderr));
    let id = job_id_of(&out);
    let shown = env.json(&["show", &id, "--json"]);
    assert_eq!(shown["job"]["state"], "completed", "{shown}");
    assert_eq!(shown["job"]["template"]["name"], template);
    let video = shown["outputs"]
        .as_array()
        .and_then(|o| o.iter().find(|o| o["kind"] == "video"))
        .unwrap_or_else(|| panic!("no video output: {shown}"));
    let path = video["path"].as_str().expect("video path");
    let facts = env.json(&["media", "probe", "--json", path]);
    assert_eq!(
        facts["frame_count"].as_u64(),
        Some(promise.frames),
        "{facts}"
    );
    assert_eq!(
        (facts["width"].as_u64(), facts["height"].as_u64()),
        (Some(promise.size.0), Some(promise.size.1))
    );
    assert_eq!(facts["fps"].as_f64(), Some(16.0), "{facts}");
    match promise.audio_rate {
        Some(rate) => {
            assert_eq!(facts["has_audio"], true, "{facts}");
            assert_eq!(facts["sample_rate"].as_u64(), Some(rate), "{facts}");
        }
        None => assert_eq!(facts["has_audio"], false, "{facts}"),
    }
}

#[test]
fn start_end_frame_from_the_cli() {
    submit_and_check(
        "start_end_frame",
        &[
            ("ground_truth", "character.png"),
            ("end_frame", "character_end.png"),
        ],
        &["--seconds", "1"],
        // 1 s at 16 fps, rounded up to Wan's 4n+1 frames.
        Promise {
            frames: 17,
            size: (144, 256),
            audio_rate: None,
        },
    );
}

#[test]
fn pose_control_from_the_cli() {
    submit_and_check(
        "pose_control",
        &[
            ("ground_truth", "character.png"),
            ("control_video", "motion.mp4"),
        ],
        &["--param", "control=edges"],
        // motion.mp4: 48 frames at 16 fps, followed whole.
        Promise {
            frames: 48,
            size: (144, 256),
            audio_rate: None,
        },
    );
}

#[test]
fn animate_move_from_the_cli() {
    submit_and_check(
        "animate_move",
        &[
            ("ground_truth", "character.png"),
            ("motion_video", "motion.mp4"),
        ],
        &[],
        Promise {
            frames: 48,
            size: (144, 256),
            audio_rate: None,
        },
    );
}

#[test]
fn audio_performance_from_the_cli_keeps_the_songs_rate() {
    submit_and_check(
        "s2v",
        &[
            ("ground_truth", "character.png"),
            ("audio", "song_48k_stereo.flac"),
        ],
        &["--seconds", "4"],
        // 4 s at 16 fps = 64 frames; the user's 48 kHz audio comes back at 48 kHz.
        Promise {
            frames: 64,
            size: (144, 256),
            audio_rate: Some(48_000),
        },
    );
}

/// Mix pins SAM2 to CUDA: on the kit's CPU server the app says so before uploading anything,
/// rather than failing minutes later (truthful readiness).
#[test]
fn animate_mix_is_refused_on_a_cpu_server_naming_the_gpu() {
    if !require(Level::L2) {
        return;
    }
    let _one_at_a_time = serial();
    let server = shared(Level::L2).unwrap_or_else(|e| panic!("kit server: {e}"));
    let env = RealEnv::new(&server.base_url());
    let (image, video) = (fixture("character.png"), fixture("motion.mp4"));
    let out = env.run(&[
        "submit",
        "--json",
        "animate",
        "--mode",
        "mix",
        "--image",
        &image,
        "--video",
        &video,
        "--point",
        "0.5,0.45",
        "--prompt",
        "a character",
        "--profile",
        "draft",
    ]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out.stderr));
    let line = text(&out.stderr)
        .lines()
        .rev()
        .find(|l| l.starts_with('{'))
        .map(str::to_string)
        .expect("error JSON on stderr");
    let err: Value = serde_json::from_str(&line).expect("json");
    let err = &err["error"];
    assert_eq!(err["code"], "server_not_ready", "{err}");
    let message = err["message"].as_str().expect("message");
    assert!(message.contains("NVIDIA GPU"), "{message}");
    assert!(!message.contains(".."), "{message}");
    let suggestion = err["suggestion"].as_str().expect("suggestion");
    assert!(suggestion.contains("hardware"), "{suggestion}");
    // Refused at its first step: a failed run in the history, nothing sent for it.
    let job = &last_json_line(&out);
    assert_eq!(job["state"], "failed");
    let shown = env.json(&["show", job["job_id"].as_str().expect("id"), "--json"]);
    assert!(shown["job"]["prompt_id"].is_string());
    assert!(
        shown["events"]
            .as_array()
            .is_some_and(|e| !e.iter().any(|e| e["data"]["kind"] == "prompt_posted")),
        "{shown}"
    );
}
