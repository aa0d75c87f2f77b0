//! `recover` after kill -9 of real CLI processes whose jobs run on several members of a pool:
//! three fake ComfyUI servers, one job held running on each, every `submit --wait` process
//! killed, then one `recover --wait` finishes all three on the member each was on, each
//! prompt posted once.

mod common;

use std::time::{Duration, Instant};

use common::Env;
use fake_comfy::{FakeComfy, FakeComfyHandle, PromptFault};

/// Generous for a loaded 2-core machine; healthy runs end far sooner.
const BOUND: Duration = Duration::from_secs(120);
/// The node the s2v graph's prompts are held at (a sampler: the prompt is running).
const HOLD_AT: &str = "3";

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recover_after_kill_9_reconciles_jobs_on_several_members() {
    let env = Env::new(5).await;
    let b = FakeComfy::builder().exec_ms(5).start().await.expect("fake");
    let c = FakeComfy::builder().exec_ms(5).start().await.expect("fake");
    for (name, f) in [("gpu-b", &b), ("gpu-c", &c)] {
        let out = env.run(&["endpoint", "add", name, &f.base_url()]).await;
        assert!(out.status.success(), "{}", stderr(&out));
    }
    let out = env
        .run(&["pool", "create", "studio", "fake", "gpu-b", "gpu-c"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let fakes: [&FakeComfyHandle; 3] = [&env.fake, &b, &c];
    for f in fakes {
        f.faults()
            .on_every_prompt(PromptFault::default().hang_at(HOLD_AT));
    }

    // One process per job, each started once the previous job runs: with one prompt held on
    // each busy member, routing sends the next job to an idle one.
    let (image, audio) = (
        common::fixture("character.png"),
        common::fixture("speech.wav"),
    );
    let mut children = Vec::new();
    for n in 1..=3 {
        let prompt = format!("kill test {n}");
        let child = env
            .cmd(&[
                "submit",
                "--wait",
                "--endpoint",
                "studio",
                "audio",
                "--image",
                &image,
                "--audio",
                &audio,
                "--prompt",
                &prompt,
                "--profile",
                "draft",
            ])
            .spawn()
            .expect("spawn");
        children.push(child);
        let deadline = Instant::now() + BOUND;
        loop {
            let jobs = env.jobs().await;
            let running = jobs.iter().filter(|j| j["state"] == "executing").count();
            if running == n {
                break;
            }
            assert!(Instant::now() < deadline, "job {n} never ran: {jobs:?}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
    for child in &mut children {
        child.start_kill().expect("kill -9"); // SIGKILL on Unix
        let _ = child.wait().await;
    }
    let jobs = env.jobs().await;
    assert_eq!(jobs.len(), 3);
    assert!(jobs.iter().all(|j| j["state"] == "executing"), "{jobs:?}");

    for f in fakes {
        f.faults().clear();
        f.faults().release_hangs();
    }
    let t = Instant::now();
    let out = env.run(&["recover", "--wait", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(t.elapsed() < BOUND, "recover took {:?}", t.elapsed());

    let mut members = Vec::new();
    for j in &jobs {
        let id = j["id"].as_str().expect("id");
        let d = env.show(id).await;
        assert_eq!(d["job"]["state"], "completed", "{}", d["job"]["error"]);
        assert_eq!(
            d["job"]["endpoint"], j["endpoint"],
            "recovered on the member it ran on"
        );
        members.push(
            d["job"]["endpoint"]
                .as_str()
                .unwrap_or_default()
                .to_string(),
        );
        assert!(
            d["outputs"]
                .as_array()
                .is_some_and(|o| o.iter().any(|x| x["kind"] == "video")),
            "{d}"
        );
    }
    members.sort();
    assert_eq!(members, ["fake", "gpu-b", "gpu-c"]);
    for f in fakes {
        assert_eq!(f.prompts().len(), 1, "each prompt posted once");
    }
    env.integrity_ok();
}
