//! Jobs end to end through the CLI binary against the fake ComfyUI (in this process), with a
//! real SQLite data dir per test: full runs, every failure class, cancel, concurrency, socket
//! drops, server restarts, and kill -9 at random points followed by a reconciling restart.

mod common;

use std::path::PathBuf;
use std::time::Duration;

use common::{Env, fixture, job_id_of, last_json_line};
use fake_comfy::PromptFault;
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audio_and_animate_move_complete_with_outputs_and_manifests() {
    let env = Env::new(5).await;
    let out = env.submit_audio(&["--wait"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let audio_id = job_id_of(&out);

    let image = fixture("character.png");
    let video = fixture("motion.mp4");
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
            "--seed",
            "42",
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let animate_id = job_id_of(&out);

    for (id, template) in [(&audio_id, "s2v"), (&animate_id, "animate_move")] {
        let d = env.show(id).await;
        assert_eq!(d["job"]["state"], "completed");
        assert_eq!(d["job"]["template"]["name"], template);
        let dir = PathBuf::from(d["job_dir"].as_str().expect("dir"));
        let manifest: Value = serde_json::from_str(
            &std::fs::read_to_string(dir.join("job_manifest.json")).expect("manifest"),
        )
        .expect("manifest json");
        assert_eq!(manifest["job"]["prompt_id"], d["job"]["prompt_id"]);
        assert_eq!(manifest["job"]["template"]["name"], template);
        assert!(manifest["job"]["resolved_seed"].as_i64().is_some());
        assert_eq!(
            manifest["job"]["state"], "completed",
            "written once it completed"
        );
        assert!(manifest["job"]["times"]["finished_at"].as_i64().is_some());
        assert!(manifest["inputs"].as_array().is_some_and(|i| {
            i.iter()
                .all(|x| x["asset"]["sha256"].as_str().is_some_and(|s| s.len() == 64))
        }));
        assert!(dir.join("debug_metadata.json").is_file());
        let video = d["outputs"]
            .as_array()
            .and_then(|o| o.iter().find(|x| x["kind"] == "video"))
            .expect("video output");
        let bytes = std::fs::read(video["path"].as_str().expect("path")).expect("video file");
        assert_eq!(&bytes[4..8], b"ftyp", "an MP4");
        assert!(
            d["outputs"]
                .as_array()
                .is_some_and(|o| o.iter().any(|x| x["kind"] == "poster"))
        );
        // Our prompt id reached the server, with the bound graph we saved.
        assert!(
            env.fake
                .prompts()
                .iter()
                .any(|p| Some(p.prompt_id.as_str()) == d["job"]["prompt_id"].as_str())
        );
    }
    assert_eq!(env.show(&animate_id).await["job"]["resolved_seed"], 42);
    // The search finds the run by its prompt words.
    let hits = env.json(&["jobs", "--json", "--search", "robot"]).await;
    assert_eq!(hits.as_array().map(Vec::len), Some(1));
    env.integrity_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failures_end_in_typed_states_with_distinct_exit_codes() {
    let env = Env::new(5).await;
    // A node raises on the server.
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().error_at("3"));
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v = last_json_line(&out);
    assert_eq!(v["state"], "failed");
    assert_eq!(v["error"]["code"], "generation_failed");
    assert!(
        v["error"]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("KSampler")),
        "operator detail names the node: {v}"
    );

    // The server restarts mid-run: the prompt is gone from queue and history.
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().hang_at("3"));
    let fake = &env.fake;
    let (out, _) = tokio::join!(env.submit_audio(&["--wait"]), async {
        let n = fake.prompts().len();
        assert!(
            fake.wait_until(Duration::from_secs(20), |f| f.prompts().len() > n)
                .await
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
        fake.restart().await.expect("restart");
    });
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_json_line(&out)["error"]["code"], "lost_on_server");

    // The server lacks a model this profile needs: refused before anything is uploaded.
    let uploads = env.fake.uploads().len();
    env.fake.set_models("diffusion_models", vec![]);
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(out.status.code(), Some(4));
    assert_eq!(last_json_line(&out)["error"]["code"], "server_not_ready");
    assert_eq!(env.fake.uploads().len(), uploads, "nothing uploaded");

    // Bad input never becomes a job: exit 2 and no new row.
    let before = env.jobs().await.len();
    let out = env
        .run(&[
            "submit",
            "audio",
            "--image",
            &fixture("bad/too_small.png"),
            "--audio",
            &fixture("speech.wav"),
            "--prompt",
            "x",
        ])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("error[image_too_small]"));
    assert_eq!(env.jobs().await.len(), before);
    env.integrity_ok();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_refusals_map_to_their_codes() {
    let env = Env::new(5).await;
    env.fake.faults().reject_uploads(true);
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(last_json_line(&out)["error"]["code"], "upload_too_large");
    env.fake.faults().reject_uploads(false);

    env.fake
        .faults()
        .require_auth(fake_comfy::ExpectedAuth::Bearer("right-token".into()));
    let out = env.submit_audio(&["--wait"]).await;
    assert_eq!(
        out.status.code(),
        Some(3),
        "auth problems are 'server unreachable' for scripts"
    );
    assert_eq!(last_json_line(&out)["error"]["code"], "auth_rejected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancel_while_queued_and_while_running_touches_only_that_prompt() {
    let env = Env::new(5).await;
    // Job A hangs at the sampler, so job B waits in the queue behind it.
    env.fake
        .faults()
        .on_next_prompt(PromptFault::default().hang_at("3"));
    let a = job_id_of(&env.submit_audio(&[]).await);
    let a_prompt = env.show(&a).await["job"]["prompt_id"]
        .as_str()
        .expect("pid")
        .to_string();
    assert!(
        env.fake
            .wait_node(&a_prompt, "3", Duration::from_secs(20))
            .await,
        "A runs"
    );
    let b = job_id_of(&env.submit_audio(&[]).await);
    let b_prompt = env.show(&b).await["job"]["prompt_id"]
        .as_str()
        .expect("pid")
        .to_string();

    let out = env.run(&["cancel", &b, "--json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.show(&b).await["job"]["state"], "cancelled");
    assert!(env.fake.queue_deletes().contains(&b_prompt));
    assert!(
        env.fake
            .wait_running(&a_prompt, Duration::from_secs(1))
            .await,
        "A untouched"
    );

    let out = env.run(&["cancel", &a, "--json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(env.show(&a).await["job"]["state"], "cancelled");
    let interrupts = env.fake.interrupts();
    assert!(!interrupts.is_empty());
    assert!(
        interrupts
            .iter()
            .all(|i| i.prompt_id.as_deref() == Some(a_prompt.as_str())
                || i.prompt_id.as_deref() == Some(b_prompt.as_str())),
        "interrupts always name our prompt: {interrupts:?}"
    );
    // Retry makes a new linked job with the same inputs.
    let out = env.run(&["retry", &a, "--wait", "--json"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r = env.show(&job_id_of(&out)).await;
    assert_eq!(r["job"]["parent_job_id"], a.as_str());
    assert_eq!(r["job"]["relation"], "retry");
    assert_eq!(
        r["job"]["resolved_seed"],
        env.show(&a).await["job"]["resolved_seed"]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_jobs_in_flight_and_socket_drops_still_complete() {
    let env = Env::new(10).await;
    env.fake
        .faults()
        .on_every_prompt(PromptFault::default().drop_sockets_at("3"));
    let (a, b) = tokio::join!(env.submit_audio(&["--wait"]), env.submit_audio(&["--wait"]));
    for out in [&a, &b] {
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(last_json_line(out)["state"], "completed");
    }
    assert_ne!(job_id_of(&a), job_id_of(&b));
    let replay = env
        .run(&["replay", &job_id_of(&a), "--new-seed", "--wait", "--json"])
        .await;
    assert!(
        replay.status.success(),
        "{}",
        String::from_utf8_lossy(&replay.stderr)
    );
    let r = env.show(&job_id_of(&replay)).await;
    assert_eq!(r["job"]["relation"], "replay");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn kill_9_at_random_points_then_restart_reconciles_without_loss_or_duplicates() {
    use rand::Rng;
    let env = Env::new(40).await;
    let mut rng = rand::rng();
    for round in 0..4 {
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
        let delay = rng.random_range(50..1500);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        child.start_kill().expect("kill -9");
        let _ = child.wait().await;

        let out = env.run(&["recover", "--wait", "--json"]).await;
        assert!(
            out.status.success(),
            "round {round} (killed after {delay} ms): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let jobs = env.jobs().await;
        // A kill before the row was written leaves no job at all; that is not a loss (nothing
        // was accepted yet), but never two rows for one submission.
        assert!(
            jobs.len() <= round + 1,
            "round {round}: {} jobs",
            jobs.len()
        );
        for j in &jobs {
            assert!(
                ["completed"].contains(&j["state"].as_str().unwrap_or("")),
                "round {round} (killed after {delay} ms): job ended {}: {}",
                j["state"],
                j["error"]
            );
            let pid = j["prompt_id"].as_str().unwrap_or("");
            let posted = env
                .fake
                .prompts()
                .iter()
                .filter(|p| p.prompt_id == pid)
                .count();
            assert_eq!(
                posted, 1,
                "round {round}: prompt {pid} posted {posted} times"
            );
        }
        env.integrity_ok();
    }
}

/// The user's sound reaches the server at its own quality: a 48 kHz stereo song is uploaded as
/// a 48 kHz stereo WAV (ComfyUI resamples for the model itself; the video carries this audio).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_48k_stereo_song_is_sent_to_the_server_at_48k_stereo() {
    let env = Env::new(5).await;
    let (image, song) = (fixture("character.png"), fixture("song_48k_stereo.flac"));
    let out = env
        .run(&[
            "submit",
            "--wait",
            "--json",
            "audio",
            "--image",
            &image,
            "--audio",
            &song,
            "--prompt",
            "a singer",
            "--profile",
            "draft",
        ])
        .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let wavs: Vec<PathBuf> = walk_files(env.fake.input_dir())
        .into_iter()
        .filter(|p| p.extension().is_some_and(|e| e == "wav"))
        .collect();
    assert_eq!(wavs.len(), 1, "{wavs:?}");
    let header = std::fs::read(&wavs[0]).expect("uploaded wav");
    // Canonical WAV: RIFF header, then the fmt chunk (channels at 22, sample rate at 24).
    assert_eq!(&header[12..16], b"fmt ");
    let channels = u16::from_le_bytes([header[22], header[23]]);
    let rate = u32::from_le_bytes([header[24], header[25], header[26], header[27]]);
    assert_eq!((rate, channels), (48_000, 2));
}

fn walk_files(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
