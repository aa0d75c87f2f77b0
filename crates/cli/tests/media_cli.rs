//! `animatrix media probe|import` over the shared fixtures.

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use predicates::prelude::*;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
}

fn cli(data_dir: &Path) -> Command {
    let mut cmd = Command::cargo_bin("animatrix").expect("binary built");
    cmd.env("ANIMATRIX_DATA_DIR", data_dir);
    cmd
}

#[test]
fn probe_json_has_the_documented_fields() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = cli(dir.path())
        .args(["media", "probe", "--json"])
        .arg(fixture("character_exif_rotated.jpg"))
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["kind"], "image");
    assert_eq!(
        (v["width"].as_u64(), v["height"].as_u64()),
        (Some(768), Some(1344))
    );
    for field in [
        "mime",
        "duration_seconds",
        "fps",
        "sample_rate",
        "channels",
        "codec",
        "has_video",
    ] {
        assert!(v.get(field).is_some(), "missing {field}");
    }
    let out = cli(dir.path())
        .args(["media", "probe", "--json"])
        .arg(fixture("motion.mp4"))
        .output()
        .expect("run");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["has_video"], true);
    assert_eq!(v["fps"].as_f64(), Some(16.0));
}

#[test]
fn refused_files_exit_2_with_code_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    for (file, code) in [
        ("bad/executable_renamed.png", "unsupported_type"),
        ("bad/empty.png", "file_empty"),
    ] {
        cli(dir.path())
            .args(["media", "probe"])
            .arg(fixture(file))
            .assert()
            .code(2)
            .stderr(predicate::str::contains(format!("error[{code}]")));
    }
    cli(dir.path())
        .args(["media", "import", "--role", "motion_video"])
        .arg(fixture("bad/audio_only_renamed.mp4"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error[video_no_video_track]"));
    cli(dir.path())
        .args(["media", "import", "--role", "ground_truth"])
        .arg(fixture("bad/too_small.png"))
        .assert()
        .code(2)
        .stderr(predicate::str::contains("error[image_too_small]"));
}

#[test]
fn import_is_idempotent_and_fits_the_aspect() {
    let dir = tempfile::tempdir().expect("tempdir");
    let run = || {
        let out = cli(dir.path())
            .args([
                "media",
                "import",
                "--role",
                "ground_truth",
                "--aspect",
                "9:16",
                "--json",
            ])
            .arg(fixture("character.png"))
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let a = run();
    let b = run();
    assert_eq!(a["id"], b["id"]);
    assert_eq!(
        (a["width"].as_u64(), a["height"].as_u64()),
        (Some(480), Some(832))
    );
    assert!(Path::new(a["stored_path"].as_str().expect("path")).is_file());
}
