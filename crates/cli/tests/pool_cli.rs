//! `animatrix pool ...`, `doctor --all` and `submit --endpoint POOL` through the binary: the
//! pool commands with their typed errors and exit codes, a job routed through a pool of two
//! fakes (one lacking the model), and `show` naming the server and the routing decision.

mod common;

use common::{Env, job_id_of};
use fake_comfy::{EndpointFault, FakeComfy, FakeComfyHandle};

fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The code of the JSON error a refused command prints on stderr.
fn error_code(out: &std::process::Output) -> String {
    stderr(out)
        .lines()
        .rev()
        .find_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .and_then(|v| v["error"]["code"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no JSON error on stderr: {}", stderr(out)))
}

/// The env's fake is `fake`; a second one, `bare`, lacks the diffusion model.
async fn env_with_pool() -> (Env, FakeComfyHandle) {
    let env = Env::new(5).await;
    let bare = FakeComfy::builder().exec_ms(5).start().await.expect("fake");
    bare.set_models("diffusion_models", Vec::new());
    let out = env
        .run(&["endpoint", "add", "bare", &bare.base_url()])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .run(&["pool", "create", "studio", "bare", "fake", "--json"])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let pool: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(pool["members"], serde_json::json!(["bare", "fake"]));
    assert_eq!(pool["settings"]["failover"], true);
    (env, bare)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pool_commands_manage_members_with_typed_errors() {
    let (env, _bare) = env_with_pool().await;
    let list = env.json(&["pool", "list", "--json"]).await;
    assert_eq!(list[0]["name"], "studio");

    let out = env.run(&["pool", "add", "studio", "fake", "--json"]).await;
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert_eq!(error_code(&out), "pool_member_exists");

    let out = env.run(&["pool", "create", "fake", "bare", "--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_code(&out), "name_taken");

    let out = env.run(&["pool", "show", "nope", "--json"]).await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_code(&out), "pool_not_found");

    let out = env
        .run(&[
            "pool",
            "set",
            "studio",
            "--failover",
            "off",
            "--wait-warning",
            "120",
            "--json",
        ])
        .await;
    assert!(out.status.success(), "{}", stderr(&out));
    let pool: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(pool["settings"]["failover"], false);
    assert_eq!(pool["settings"]["wait_warning_seconds"], 120);

    let show = env.json(&["pool", "show", "studio", "--json"]).await;
    let members = show["members"].as_array().cloned().unwrap_or_default();
    assert_eq!(members.len(), 2);
    assert!(members.iter().all(|m| m["reachable"] == true), "{show}");
    // Each member carries its GPU (the captures are CPU-only: none) and its run metrics.
    assert!(
        members
            .iter()
            .all(|m| m["gpu_name"].is_null() && m["metrics"]["runs"] == 0),
        "{show}"
    );

    let out = env.run(&["pool", "remove", "studio", "bare"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env
        .run(&["pool", "remove", "studio", "fake", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(error_code(&out), "pool_needs_member");
    let out = env.run(&["pool", "delete", "studio"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        env.json(&["pool", "list", "--json"]).await,
        serde_json::json!([])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn submit_to_a_pool_skips_the_member_lacking_the_model_and_show_says_why() {
    let (env, bare) = env_with_pool().await;
    let out = env.submit_audio(&["--wait", "--endpoint", "studio"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let id = job_id_of(&out);
    let d = env.show(&id).await;
    assert_eq!(d["job"]["state"], "completed");
    assert_eq!(d["job"]["endpoint"], "fake");
    assert!(bare.prompts().is_empty());
    let routed: Vec<&serde_json::Value> = d["events"]
        .as_array()
        .map(|e| e.iter().filter(|x| x["data"]["kind"] == "routed").collect())
        .unwrap_or_default();
    assert_eq!(routed.len(), 1, "{d}");
    assert_eq!(routed[0]["data"]["endpoint"], "fake");

    let text = env.run(&["show", &id]).await;
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(text.contains("server     fake"), "{text}");
    assert!(text.contains("target     studio"), "{text}");
    assert!(text.contains("routed     sent to fake"), "{text}");
    assert!(text.contains("bare: lacks the Draft model"), "{text}");

    // The pool as the default target: a plain submit goes through it.
    let out = env.run(&["endpoint", "default", "studio"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.submit_audio(&["--wait"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let d = env.show(&job_id_of(&out)).await;
    assert_eq!(d["job"]["request"]["target"], "studio");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_all_checks_every_server_and_fails_on_an_unusable_one() {
    let (env, bare) = env_with_pool().await;
    // Only the two fakes: the seeded production server is not reachable from tests.
    let out = env.run(&["endpoint", "remove", "production"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let out = env.run(&["doctor", "--all", "--json"]).await;
    assert!(out.status.success(), "{}", stderr(&out));
    let all: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let names: Vec<&str> = all
        .as_array()
        .map(|a| a.iter().filter_map(|r| r["name"].as_str()).collect())
        .unwrap_or_default();
    assert!(names.contains(&"fake") && names.contains(&"bare"), "{all}");
    assert!(
        all.as_array()
            .is_some_and(|a| a.iter().all(|r| r["metrics"]["endpoint"] == r["name"])),
        "every server's report carries its metrics: {all}"
    );
    bare.shutdown().await;
    let out = env.run(&["doctor", "--all", "--json"]).await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
}

/// `graph --dry-run --json` of a Draft Audio Performance on `endpoint` (a server or a pool).
async fn dry_run_graph(env: &common::Env, endpoint: &str) -> std::process::Output {
    let (image, audio) = (
        common::fixture("character.png"),
        common::fixture("speech.wav"),
    );
    env.run(&[
        "graph",
        "--dry-run",
        "--json",
        "--endpoint",
        endpoint,
        "audio",
        "--image",
        &image,
        "--audio",
        &audio,
        "--prompt",
        "sings",
        "--profile",
        "draft",
    ])
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_dry_run_and_templates_take_a_pool_name() {
    let (env, bare) = env_with_pool().await;
    // The graph is checked on the member the job would be routed to: not `bare` (no model).
    let out = dry_run_graph(&env, "studio").await;
    assert!(out.status.success(), "{}", stderr(&out));
    let dry: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(dry["server"]["endpoint"], "fake", "{dry}");
    assert_eq!(dry["server"]["pool"], "studio");
    assert!(dry["graph"].is_object());
    assert!(bare.prompts().is_empty() && env.fake.prompts().is_empty());

    // `templates` asks the first member that answers, and says which.
    let list = env
        .json(&["templates", "--endpoint", "studio", "--json"])
        .await;
    let asked: Vec<(&str, &str)> = list
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|t| Some((t["endpoint"].as_str()?, t["pool"].as_str()?)))
                .collect()
        })
        .unwrap_or_default();
    assert!(
        !asked.is_empty() && asked.iter().all(|a| *a == ("bare", "studio")),
        "{list}"
    );
    bare.shutdown().await;
    let text = env.run(&["templates", "--endpoint", "studio"]).await;
    assert!(text.status.success(), "{}", stderr(&text));
    let text = String::from_utf8_lossy(&text.stdout).into_owned();
    assert!(
        text.starts_with("pool studio: fake is the first member of the pool that answers"),
        "{text}"
    );

    // No member answers (bare is down, fake refuses its queue): the error names each one.
    env.fake
        .faults()
        .endpoint(EndpointFault::status("/queue", 503));
    let out = env
        .run(&["templates", "--endpoint", "studio", "--json"])
        .await;
    assert_eq!(out.status.code(), Some(3), "{}", stderr(&out));
    assert_eq!(error_code(&out), "pool_unreachable");
    assert!(stderr(&out).contains("bare") && stderr(&out).contains("fake"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graph_dry_run_explains_a_pool_with_no_ready_member() {
    let (env, _bare) = env_with_pool().await;
    env.fake.set_models("diffusion_models", Vec::new());
    let out = dry_run_graph(&env, "studio").await;
    assert_eq!(out.status.code(), Some(4), "{}", stderr(&out));
    assert_eq!(error_code(&out), "pool_no_ready_member");
    let err = stderr(&out);
    assert!(
        err.contains("bare: lacks") && err.contains("fake: lacks"),
        "{err}"
    );
}
