//! A broken or hostile server never leaves a job hanging and never loses a finished result
//! (issue 15), through the CLI binary against the fake ComfyUI's scripted faults: each case ends
//! within a bounded time in the right state, with the exit code the README gives.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::{Env, fixture, job_id_of, last_json_line};
use fake_comfy::{EndpointFault, LostAnswer, PromptFault};
use serde_json::Value;

/// Generous for a loaded 2-core CI machine; every case here ends far sooner when healthy.
const BOUND: Duration = Duration::from_secs(60);

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn events_of(detail: &Value) -> Vec<String> {
    detail["events"]
        .as_array()
        .map(|e| {
            e.iter()
                .map(|x| x["data"]["kind"].as_str().unwrap_or("").to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn posted(env: &Env, prompt_id: &str) -> usize {
    env.fake
        .prompts()
        .iter()
        .filter(|p| p.prompt_id == prompt_id)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_post_answer_is_reconciled_and_the_prompt_runs_once() {
    let env = Env::new(5).await;
    for how in [LostAnswer::Garbled, LostAnswer::WrongPromptId] {
        env.fake.faults().endpoint(
            EndpointFault::answer_lost("/prompt", how)
                .method("POST")
                .times(1),
        );
        let t = Instant::now();
        let out = env.submit_audio(&["--wait"]).await;
        assert!(out.status.success(), "{how:?}: {}", stderr(&out));
        assert!(t.elapsed() < BOUND);
        let d = env.show(&job_id_of(&out)).await;
        assert_eq!(d["job"]["state"], "completed", "{how:?}");
        let pid = d["job"]["prompt_id"].as_str().expect("prompt id");
        assert_eq!(posted(&env, pid), 1, "{how:?}: queued once, never twice");
        assert!(events_of(&d).contains(&"reconciled".to_string()), "{how:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreadable_history_fails_in_bounded_time_and_recover_collects_it_later() {
    let env = Env::new(5).await;
    env.fake
        .faults()
        .endpoint(EndpointFault::malformed_json("/history/*"));
    let t = Instant::now();
    let out = env.submit_audio(&["--wait"]).await;
    assert!(t.elapsed() < BOUND, "ended in {:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(last_json_line(&out)["error"]["code"], "malformed_response");
    let id = job_id_of(&out);
    // The server finished it; once it answers properly again, nothing is lost.
    env.fake.faults().clear();
    let out = env.run(&["recover", "--wait", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let d = env.show(&id).await;
    assert_eq!(d["job"]["state"], "completed", "{}", d["job"]["error"]);
    assert!(d["job"]["error"].is_null());
    let pid = d["job"]["prompt_id"].as_str().expect("prompt id");
    assert_eq!(posted(&env, pid), 1, "collected, not run again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_revoked_after_posting_ends_the_job_and_exits_3() {
    let env = Env::new(5).await;
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().hang_at("3"));
    let child = env.submit_audio(&[]).await;
    let id = job_id_of(&child);
    env.fake
        .faults()
        .require_auth(fake_comfy::ExpectedAuth::Bearer("rotated".into()));
    env.fake.faults().drop_websockets_now();
    let t = Instant::now();
    let out = env.run(&["watch", &id, "--json"]).await;
    assert!(t.elapsed() < BOUND, "ended in {:?}", t.elapsed());
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(last_json_line(&out)["error"]["code"], "auth_rejected");
    env.fake.faults().release_hangs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_ends_the_job_even_when_the_server_does_not_answer() {
    let env = Env::new(5).await;
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().hang_at("3"));
    let id = job_id_of(&env.submit_audio(&[]).await);
    for path in ["/interrupt", "/queue"] {
        env.fake.faults().endpoint(EndpointFault::hang(path));
    }
    let t = Instant::now();
    let out = env.run(&["cancel", &id, "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.elapsed() < Duration::from_secs(30), "{:?}", t.elapsed());
    let d = env.show(&id).await;
    assert_eq!(d["job"]["state"], "cancelled");
    assert!(
        events_of(&d).contains(&"warning".to_string()),
        "the unconfirmed cancel is noted"
    );
    env.fake.faults().clear();
    env.fake.faults().release_hangs();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_html_page_instead_of_the_video_is_refused_and_left_nowhere() {
    let env = Env::new(5).await;
    env.fake.faults().endpoint(EndpointFault::body(
        "/view",
        200,
        "text/html",
        "<html><body>Session expired</body></html>",
    ));
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(
        last_json_line(&out)["error"]["code"],
        "download_unexpected_content"
    );
    let d = env.show(&job_id_of(&out)).await;
    let dir = Path::new(d["job_dir"].as_str().expect("dir"));
    assert!(
        dir.join("debug_metadata.json").is_file(),
        "a failed run explains itself on disk"
    );
    let leftovers: Vec<_> = std::fs::read_dir(dir.join("outputs"))
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_outputs_with_one_name_in_two_subfolders_are_both_kept() {
    let env = Env::new(5).await;
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().duplicate_output_in("other"));
    let out = env.submit_audio(&["--wait"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let d = env.show(&job_id_of(&out)).await;
    let outputs = d["outputs"].as_array().cloned().unwrap_or_default();
    let paths: Vec<&str> = outputs.iter().filter_map(|o| o["path"].as_str()).collect();
    let unique: std::collections::BTreeSet<_> = paths.iter().collect();
    assert_eq!(unique.len(), paths.len(), "no file overwrote another");
    let shas: std::collections::BTreeSet<_> = outputs
        .iter()
        .filter_map(|o| o["sha256"].as_str())
        .collect();
    assert_eq!(
        shas.len(),
        outputs.len(),
        "different bytes each: {outputs:?}"
    );
    for p in paths {
        assert!(Path::new(p).is_file());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_prompt_that_saved_no_video_fails_with_its_own_code() {
    let env = Env::new(5).await;
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().no_outputs());
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = &last_json_line(&out)["error"];
    assert_eq!(err["code"], "server_no_output");
    assert!(
        err["message"]
            .as_str()
            .is_some_and(|m| m.contains("no video")),
        "{err}"
    );
}

/// Kills the CLI while its job is in `state` (held there by a hanging endpoint), then lets
/// `recover` finish it: completed, posted once, its video on disk.
async fn kill_in(state: &str, hang: &str) {
    let env = Env::new(5).await;
    env.fake.faults().endpoint(EndpointFault::hang(hang));
    let image = fixture("character.png");
    let audio = fixture("speech.wav");
    let mut child = env
        .cmd(&[
            "submit",
            "--wait",
            "audio",
            "--image",
            &image,
            "--audio",
            &audio,
            "--prompt",
            "kill test",
            "--profile",
            "draft",
        ])
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + BOUND;
    let id = loop {
        let jobs = env.jobs().await;
        if let Some(j) = jobs.iter().find(|j| j["state"] == state) {
            break j["id"].as_str().unwrap_or_default().to_string();
        }
        assert!(Instant::now() < deadline, "never reached {state}: {jobs:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    child.start_kill().expect("kill -9");
    let _ = child.wait().await;
    env.fake.faults().clear();
    let t = Instant::now();
    let out = env.run(&["recover", "--wait", "--json"]).await;
    assert!(out.status.success(), "{state}: {}", stderr(&out));
    assert!(
        t.elapsed() < BOUND,
        "{state}: recover took {:?}",
        t.elapsed()
    );
    let d = env.show(&id).await;
    assert_eq!(
        d["job"]["state"], "completed",
        "{state}: {}",
        d["job"]["error"]
    );
    let pid = d["job"]["prompt_id"].as_str().expect("prompt id");
    assert_eq!(posted(&env, pid), 1, "{state}: posted once");
    let video = d["outputs"]
        .as_array()
        .and_then(|o| o.iter().find(|x| x["kind"] == "video"))
        .and_then(|v| v["path"].as_str())
        .expect("video");
    assert!(Path::new(video).is_file());
    env.integrity_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_uploading_then_recover_completes() {
    kill_in("uploading", "/upload/image").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_while_collecting_then_recover_completes() {
    kill_in("collecting", "/view").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn templates_against_an_unreachable_server_exits_3() {
    let env = Env::new(5).await;
    let out = env
        .run(&["endpoint", "add", "down", "http://127.0.0.1:9"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["templates", "--endpoint", "down"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    let out = env.run(&["templates", "--offline", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_demo_run_is_never_sent_to_a_server_from_the_cli() {
    let env = Env::new(5).await;
    let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/sample.animatrix-demo");
    let imported = env
        .json(&["demo", "import", &pack.display().to_string(), "--json"])
        .await;
    let id = imported["runs"][0]["job_id"]
        .as_str()
        .expect("a sample run")
        .to_string();
    for args in [vec!["replay", id.as_str()], vec!["retry", id.as_str()]] {
        let before = env.fake.prompts().len();
        let mut with_json = args.clone();
        with_json.push("--json");
        let out = env.run(&with_json).await;
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains("demo_run_not_sendable"),
            "{}",
            stderr(&out)
        );
        assert_eq!(env.fake.prompts().len(), before, "nothing was posted");
    }
}

/// The body pose estimator of animate_move 1.1.0 (a DWPreprocessor, listed in `auto_models`).
const DW_POSE_NODE: &str = "100";

/// A custom node that cannot fetch its checkpoint offline (huggingface_hub's
/// LocalEntryNotFoundError) fails with its own code, naming the file the operator must pre-seed
/// (from the template manifest's `auto_models`), not "try again".
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_offline_model_download_names_the_file_to_pre_seed() {
    let env = Env::new(5).await;
    env.fake.faults().on_next_prompt(PromptFault::default().error_at_with(
        DW_POSE_NODE,
        "huggingface_hub.errors.LocalEntryNotFoundError",
        "An error happened while trying to locate the file on the Hub and we cannot find the requested files in the local cache.",
    ));
    let (image, video) = (fixture("character.png"), fixture("motion.mp4"));
    let out = env
        .run(&[
            "submit",
            "--wait",
            "--json",
            "animate",
            "--mode",
            "move",
            "--image",
            &image,
            "--video",
            &video,
            "--prompt",
            "a robot dancing",
            "--profile",
            "draft",
        ])
        .await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    let err = &last_json_line(&out)["error"];
    assert_eq!(err["code"], "model_download_failed", "{err}");
    let words = format!("{} {}", err["message"], err["suggestion"]);
    assert!(words.contains("pre-seed"), "{words}");
    assert!(
        words.contains("dw-ll_ucoco_384_bs5.torchscript.pt"),
        "{words}"
    );
    assert!(!words.contains("Try again"), "{words}");
}
