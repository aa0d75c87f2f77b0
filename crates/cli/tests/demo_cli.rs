//! `animatrix demo export|import|play` through the CLI binary: a real run recorded against the
//! fake ComfyUI on one data dir, exported, imported on a second data dir that has no server,
//! and performed there.

use std::path::{Path, PathBuf};
use std::process::Output;

use fake_comfy::FakeComfy;
use serde_json::Value;

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/fixtures")
        .join(name)
        .display()
        .to_string()
}

fn run(data: &Path, args: &[&str]) -> Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_animatrix"))
        .args(args)
        .env("ANIMATRIX_DATA_DIR", data)
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cli runs")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "exit {:?}\nstdout {}\nstderr {}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(out: &Output) -> Value {
    serde_json::from_str(&ok(out)).expect("json")
}

fn json_lines(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// One completed Audio run on `data` (endpoint "showroom-gpu" on the fake).
fn record(data: &Path) -> (String, String) {
    let fake = FakeComfy::builder()
        .exec_ms(5)
        .start_blocking()
        .expect("fake starts");
    ok(&run(
        data,
        &[
            "endpoint",
            "add",
            "showroom-gpu",
            &fake.base_url(),
            "--default",
        ],
    ));
    let out = run(
        data,
        &[
            "submit",
            "--wait",
            "--json",
            "audio",
            "--image",
            &fixture("character.png"),
            "--audio",
            &fixture("speech.wav"),
            "--prompt",
            "a knight singing opera",
            "--profile",
            "draft",
        ],
    );
    let text = ok(&out);
    let last = json_lines(&text).pop().expect("final line");
    assert_eq!(last["state"], "completed", "{text}");
    (
        last["job_id"].as_str().expect("job id").to_string(),
        fake.base_url(),
    )
}

fn sha(path: &str) -> Vec<u8> {
    std::fs::read(path).expect("read")
}

#[test]
fn export_import_play_offline_and_refuse_bad_packs() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = tmp.path().join("source");
    let target = tmp.path().join("target");
    let (job, base_url) = record(&source);
    let pack = tmp.path().join("showroom.animatrix-demo");
    let pack_s = pack.display().to_string();

    let summary = json(&run(
        &source,
        &[
            "demo",
            "export",
            &job[..8],
            "--out",
            &pack_s,
            "--label",
            "Showroom",
            "--json",
        ],
    ));
    assert_eq!(summary["job_ids"][0], job.as_str(), "prefixes resolve");
    assert_eq!(summary["label"], "Showroom");
    let raw = std::fs::read(&pack).expect("pack");
    let host = base_url.trim_start_matches("http://");
    assert!(
        !raw.windows(host.len()).any(|w| w == host.as_bytes()),
        "no server address in the pack"
    );

    // The target has no usable server at all: import and play never need one.
    let imported = json(&run(&target, &["demo", "import", &pack_s, "--json"]));
    assert_eq!(imported["imported"], 1);
    assert_eq!(imported["label"], "Showroom");
    let demo_id = imported["runs"][0]["job_id"]
        .as_str()
        .expect("id")
        .to_string();
    let again = json(&run(&target, &["demo", "import", &pack_s, "--json"]));
    assert_eq!(
        (again["imported"].clone(), again["already_present"].clone()),
        (0.into(), 1.into())
    );

    let jobs = json(&run(&target, &["jobs", "--json"]));
    let jobs = jobs.as_array().expect("jobs");
    assert_eq!(jobs.len(), 1, "re-import did not duplicate");
    assert_eq!(jobs[0]["is_demo"], true);
    let human = ok(&run(&target, &["jobs"]));
    assert!(human.contains("[demo]"), "{human}");

    // Byte-identical outputs.
    let a = json(&run(&source, &["show", &job, "--json"]));
    let b = json(&run(&target, &["show", &demo_id, "--json"]));
    for kind in ["video", "poster"] {
        let path = |d: &Value| {
            d["outputs"]
                .as_array()
                .and_then(|o| o.iter().find(|x| x["kind"] == kind))
                .and_then(|x| x["path"].as_str())
                .expect("output")
                .to_string()
        };
        assert_eq!(sha(&path(&a)), sha(&path(&b)), "{kind}");
        assert!(path(&b).starts_with(&target.display().to_string()));
    }

    // Play, compressed, as JSON lines: states in order, ending on the recorded video.
    let out = run(
        &target,
        &["demo", "play", &demo_id, "--seconds", "1", "--json"],
    );
    let lines = json_lines(&ok(&out));
    let mut states: Vec<String> = lines
        .iter()
        .filter_map(|l| l["state"].as_str().map(str::to_string))
        .collect();
    states.dedup();
    assert_eq!(
        states,
        [
            "validating",
            "uploading",
            "queued",
            "executing",
            "collecting",
            "completed"
        ],
        "{lines:?}"
    );
    let end = lines.last().expect("end");
    let video = b["outputs"]
        .as_array()
        .and_then(|o| o.iter().find(|x| x["kind"] == "video"))
        .and_then(|x| x["path"].as_str())
        .expect("video");
    assert_eq!(end["video_path"], video);
    assert!(lines.iter().any(|l| {
        l["stage"]
            .as_str()
            .is_some_and(|s| s.starts_with("Generating"))
    }));

    let human = ok(&run(&target, &["demo", "play", &demo_id, "--seconds", "1"]));
    assert!(
        human.contains("Saving") && human.contains("Done"),
        "{human}"
    );
    assert!(human.trim_end().ends_with(video), "{human}");

    // Bad packs: exit 2 with the code, nothing added.
    let truncated = tmp.path().join("cut.animatrix-demo");
    std::fs::write(&truncated, &raw[..raw.len() / 2]).expect("write");
    let out = run(
        &target,
        &["demo", "import", &truncated.display().to_string()],
    );
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("error[demo_pack_corrupt]"), "{err}");
    let out = run(
        &target,
        &["demo", "import", &truncated.display().to_string(), "--json"],
    );
    // stderr also carries the log line; the error is the JSON object.
    let err = json_lines(&String::from_utf8_lossy(&out.stderr))
        .pop()
        .expect("json error");
    assert_eq!(err["error"]["code"], "demo_pack_corrupt");
    assert_eq!(
        json(&run(&target, &["jobs", "--json"]))
            .as_array()
            .map(Vec::len),
        Some(1)
    );

    // Unfinished or unknown runs cannot be exported.
    let out = run(&target, &["demo", "export", "nope-nope", "--out", &pack_s]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[job_not_found]"));
}

#[test]
fn include_endpoint_is_opt_in() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let source = tmp.path().join("source");
    let (job, base_url) = record(&source);
    let pack: PathBuf = tmp.path().join("lab.animatrix-demo");
    ok(&run(
        &source,
        &[
            "demo",
            "export",
            &job,
            "--out",
            &pack.display().to_string(),
            "--include-endpoint",
        ],
    ));
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&pack).expect("open")).expect("zip");
    let name = zip
        .file_names()
        .filter_map(Result::ok)
        .find(|n| n.ends_with("/run.json"))
        .expect("run.json")
        .to_string();
    let mut run_json = String::new();
    std::io::Read::read_to_string(&mut zip.by_name(&name).expect("member"), &mut run_json)
        .expect("read");
    let run: Value = serde_json::from_str(&run_json).expect("json");
    assert_eq!(run["endpoint_url"], base_url.as_str());
    assert_eq!(run["job"]["endpoint"], "showroom-gpu");
}
