//! The standalone binary and its `/__fake/*` control surface, plus the remaining fidelity
//! corners (drop schedules, routing of interrupts, socket takeover, partial outputs, VHS).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use fake_comfy::PromptFault;
use serde_json::{Value, json};

use crate::common::*;

async fn control(base: &str, path: &str, body: Value) -> reqwest::Response {
    http()
        .post(format!("{base}/__fake/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
}

async fn fake_state(base: &str) -> Value {
    http()
        .get(format!("{base}/__fake/state"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// Kills the child on drop so a failing assertion never leaks a server process.
struct Child(std::process::Child);
impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn binary_prints_its_url_and_obeys_the_control_api() {
    let data = tempfile::tempdir().unwrap();
    let mut child = Child(
        Command::new(env!("CARGO_BIN_EXE_fake-comfy"))
            .args(["--exec-ms", "1", "--require-bearer", "tok", "--data-dir"])
            .arg(data.path())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap(),
    );
    let stdout = child.0.stdout.take().unwrap();
    let line = tokio::task::spawn_blocking(move || {
        let mut l = String::new();
        BufReader::new(stdout).read_line(&mut l).unwrap();
        l
    })
    .await
    .unwrap();
    let base = line
        .trim()
        .strip_prefix("listening on ")
        .expect("banner")
        .to_string();
    assert!(base.starts_with("http://127.0.0.1:"));

    let r = http().get(format!("{base}/features")).send().await.unwrap();
    assert_eq!(r.status(), 401, "--require-bearer is enforced");
    let authed = |path: &str| {
        http()
            .get(format!("{base}{path}"))
            .bearer_auth("tok")
            .send()
    };
    assert_eq!(authed("/features").await.unwrap().status(), 200);

    // Control routes bypass auth; script an error and run a prompt.
    assert_eq!(control(&base, "auth", json!({})).await.status(), 200);
    let r = control(
        &base,
        "prompt_fault",
        json!({"target": "every", "error_at": "2", "exception_type": "ValueError"}),
    )
    .await;
    assert_eq!(r.status(), 200);
    for name in ["test_image.png", "test_audio.wav"] {
        assert_eq!(
            upload(&base, name, name.as_bytes().to_vec(), &[])
                .await
                .status(),
            200
        );
    }
    let (s, resp) = post_prompt(&base, &success_request("proc")).await;
    assert_eq!(s, 200);
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let mut entry = Value::Null;
    // The process has no in-process signal; poll its history (bounded).
    for _ in 0..200 {
        let h: Value = http()
            .get(format!("{base}/history/{pid}"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if let Some(e) = h.get(&pid) {
            entry = e.clone();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(
        entry["status"]["messages"][2][1]["exception_type"],
        "ValueError"
    );
    assert!(
        data.path().join("input/test_image.png").exists(),
        "--data-dir is used"
    );

    let r = control(
        &base,
        "endpoint_fault",
        json!({"path": "/system_stats", "status": 502, "times": 1}),
    )
    .await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        http()
            .get(format!("{base}/system_stats"))
            .send()
            .await
            .unwrap()
            .status(),
        502
    );
    assert_eq!(
        http()
            .get(format!("{base}/system_stats"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
    let bad = control(
        &base,
        "endpoint_fault",
        json!({"path": "/x", "status": 500, "malformed": true}),
    )
    .await;
    assert_eq!(bad.status(), 400);

    let st = fake_state(&base).await;
    assert_eq!(st["prompts"].as_array().unwrap().len(), 1);
    assert_eq!(st["uploads"].as_array().unwrap().len(), 2);

    assert_eq!(control(&base, "restart", json!({})).await.status(), 202);
    let mut restarted = false;
    for _ in 0..200 {
        if let Ok(r) = http().get(format!("{base}/__fake/state")).send().await
            && let Ok(v) = r.json::<Value>().await
            && v["restarts"] == 1
        {
            restarted = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(restarted);
    let h: Value = http()
        .get(format!("{base}/history"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h, json!({}));
}

#[tokio::test]
async fn drop_schedule_cuts_sockets_repeatedly() {
    let fake = start().await;
    fake.faults().drop_websockets_schedule(&[2, 3]);
    let base = fake.base_url();
    let mut ws = connect(&fake, "s").await; // its status is message 1
    http()
        .post(format!("{base}/queue"))
        .json(&json!({"clear": true}))
        .send()
        .await
        .unwrap();
    let mut n = 0;
    while next_frame(&mut ws).await.is_some() {
        n += 1;
    }
    assert_eq!(n, 2);
    let mut ws = connect(&fake, "s").await;
    for _ in 0..2 {
        http()
            .post(format!("{base}/queue"))
            .json(&json!({"clear": true}))
            .send()
            .await
            .unwrap();
    }
    let mut n = 0;
    while next_frame(&mut ws).await.is_some() {
        n += 1;
    }
    assert_eq!(n, 3);
    // Schedule exhausted: the next socket stays up.
    let mut ws = connect(&fake, "s").await;
    for _ in 0..3 {
        http()
            .post(format!("{base}/queue"))
            .json(&json!({"clear": true}))
            .send()
            .await
            .unwrap();
    }
    for _ in 0..4 {
        assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");
    }
    assert_eq!(fake.ws_connections_total(), 3);
}

#[tokio::test]
async fn sockets_without_client_id_get_a_hex_sid_and_same_id_takes_over() {
    let fake = start().await;
    let (mut anon, _) = tokio_tungstenite::connect_async(format!("ws://{}/ws", fake.addr()))
        .await
        .unwrap();
    let hello = next_frame(&mut anon).await.unwrap();
    let sid = hello.data()["sid"].as_str().unwrap().to_string();
    assert_eq!(sid.len(), 32);
    assert!(sid.chars().all(|c| c.is_ascii_hexdigit()));
    let probe = std::fs::read_to_string(captures().join("ws_connect_probe.txt")).unwrap();
    let first: Value = serde_json::from_str(probe.lines().next().unwrap()).unwrap();
    let Frame::Text(v) = hello else {
        unreachable!()
    };
    assert_shape(&v, &first);

    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut old = connect(&fake, "same").await;
    next_frame(&mut old).await.unwrap();
    let mut new = connect(&fake, "same").await;
    next_frame(&mut new).await.unwrap();
    let (_, r) = post_prompt(&base, &success_request("same")).await;
    let pid = r["prompt_id"].as_str().unwrap().to_string();
    let frames = frames_until_done(&mut new, &pid).await;
    assert!(frames.iter().any(|f| f.kind() == "execution_success"));
    // ComfyUI forgets the old socket (not even broadcasts reach it) but leaves it open.
    use futures_util::SinkExt;
    old.send(tokio_tungstenite::tungstenite::Message::Text(
        "{\"type\":\"ping\"}".into(),
    ))
    .await
    .unwrap();
    assert!(
        fake.wait_until(TIMEOUT, |h| h.ws_frames_received().len() == 1)
            .await
    );
    assert_eq!(fake.ws_connections_open(), 3);
    let quiet =
        tokio::time::timeout(std::time::Duration::from_millis(200), next_frame(&mut old)).await;
    assert!(
        quiet.is_err(),
        "old socket received {:?}",
        quiet.map(|f| f.map(|f| f.kind()))
    );
}

#[tokio::test]
async fn interrupt_of_a_prompt_without_client_id_is_broadcast() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "watcher").await;
    next_frame(&mut ws).await.unwrap();
    fake.faults()
        .on_next_prompt(PromptFault::default().interrupt_at("3"));
    let mut req = success_request("x");
    req.as_object_mut().unwrap().remove("client_id");
    post_prompt(&base, &req).await;
    loop {
        let f = next_frame(&mut ws).await.unwrap();
        assert!(
            ["status", "progress_state", "execution_interrupted"].contains(&f.kind().as_str()),
            "{}",
            f.kind()
        );
        if f.kind() == "execution_interrupted" {
            assert_eq!(f.data()["node_id"], "3");
            break;
        }
    }
}

#[tokio::test]
async fn partially_valid_prompt_runs_only_its_good_outputs() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let prompt = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "test_image.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "good"}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["1", 0, 9], "filename_prefix": "bad"}},
        "4": {"class_type": "PreviewImage", "inputs": {"images": ["77", 0]}}
    });
    let (s, body) = post_prompt(&base, &json!({"prompt": prompt})).await;
    assert_eq!(s, 200, "{body}");
    let e3 = &body["node_errors"]["3"]["errors"][0];
    assert_eq!(e3["type"], "bad_linked_input");
    assert_eq!(
        e3["message"],
        "Bad linked input, must be a length-2 list of [node_id, slot_index]"
    );
    let e4 = &body["node_errors"]["4"]["errors"][0];
    assert_eq!(e4["type"], "exception_during_validation");
    assert_eq!(e4["details"], "'77'");
    assert_eq!(e4["extra_info"]["exception_type"], "KeyError");
    let pid = body["prompt_id"].as_str().unwrap();
    let h = fake.wait_for_history(pid, TIMEOUT).await.unwrap();
    assert_eq!(h["prompt"][4], json!(["2"]));
    let outs: Vec<&String> = h["outputs"].as_object().unwrap().keys().collect();
    assert_eq!(outs, ["2"]);

    // All outputs bad: the outputs' own errors make the top-level details (an exception ends
    // a node's validation, as in Python).
    let bad = json!({
        "1": {"class_type": "SaveImage", "inputs": {"images": ["9", 0]}},
        "2": {"class_type": "LoadImage", "inputs": {"image": "test_image.png"}},
        "3": {"class_type": "SaveImage", "inputs": {"images": ["2", 0]}}
    });
    let (s, body) = post_prompt(&base, &json!({"prompt": bad})).await;
    assert_eq!(s, 400);
    assert_eq!(
        body["error"]["details"],
        "Exception when validating node: '9'\nRequired input is missing: filename_prefix"
    );
    assert_eq!(body["node_errors"]["3"]["dependent_outputs"], json!(["3"]));
    assert_eq!(
        body["node_errors"]["1"]["dependent_outputs"],
        json!(["1", "3"]),
        "ComfyUI's accumulation quirk"
    );
}

#[tokio::test]
async fn vhs_video_combine_writes_gifs_entries() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut node = capture("multi_output_prompt_request.json")["prompt"]["12"].clone();
    node["inputs"]["images"] = json!(["1", 0]);
    node["inputs"]["audio"] = json!(["2", 0]);
    let prompt = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "test_image.png"}},
        "2": {"class_type": "LoadAudio", "inputs": {"audio": "test_audio.wav"}},
        "12": node,
    });
    let (s, body) = post_prompt(&base, &json!({"prompt": prompt})).await;
    assert_eq!(s, 200, "{body}");
    let h = fake
        .wait_for_history(body["prompt_id"].as_str().unwrap(), TIMEOUT)
        .await
        .unwrap();
    let cap = capture("history_multi_output.json");
    let cap_entry = cap.as_object().unwrap().values().next().unwrap();
    assert_shape(&h["outputs"]["12"], &cap_entry["outputs"]["12"]);
    assert_eq!(
        h["outputs"]["12"]["gifs"][0]["filename"],
        "harness_vhs_00001-audio.mp4"
    );
    let r = http()
        .get(format!(
            "{base}/view?filename=harness_vhs_00001-audio.mp4&type=output"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn blocking_server_serves_while_the_caller_blocks() {
    use std::io::{Read, Write};
    let fake = fake_comfy::FakeComfy::builder().start_blocking().unwrap();
    let mut s = std::net::TcpStream::connect(fake.addr()).unwrap();
    s.write_all(b"GET /features HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.ends_with(r#"{"max_upload_size":104857600,"supports_preview_metadata":true}"#),
        "{out}"
    );
    assert!(fake.block_on(fake.wait_idle(TIMEOUT)));
    assert_eq!(fake.requests().len(), 1);
}
