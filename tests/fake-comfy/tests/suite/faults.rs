//! Scripted faults: execution errors, interrupts, hangs, delays, socket drops, restarts, slow /
//! malformed / failing endpoints, auth, 413.

use std::time::{Duration, Instant};

use fake_comfy::{EndpointFault, ExpectedAuth, FakeComfy, PromptFault};
use serde_json::{Value, json};

use crate::common::*;

fn kinds(frames: &[Frame]) -> Vec<String> {
    frames.iter().map(Frame::kind).collect()
}

#[tokio::test]
async fn execution_error_at_node_has_captured_shapes() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "err").await;
    fake.faults()
        .on_next_prompt(PromptFault::default().error_at_with(
            "2",
            "torch.OutOfMemoryError",
            "Allocation on device",
        ));
    let (_, resp) = post_prompt(&base, &success_request("err")).await;
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let frames = frames_until_done(&mut ws, &pid).await;
    let k = kinds(&frames);
    assert_eq!(
        &k[k.len() - 4..],
        ["executing", "execution_error", "status", "executing"]
    );
    assert!(!k.contains(&"execution_success".to_string()));
    let err = frames
        .iter()
        .find(|f| f.kind() == "execution_error")
        .unwrap()
        .data()
        .clone();
    let cap = capture("history_exec_error.json");
    let cap_entry = cap.as_object().unwrap().values().next().unwrap();
    let cap_err = &cap_entry["status"]["messages"][2][1];
    // current_inputs lists the failing node's inputs, so only its value shape is comparable.
    let mut err_cmp = err.clone();
    err_cmp["current_inputs"] = json!({"image": err["current_inputs"]["image"]});
    assert_shape(&err_cmp, cap_err);
    assert_eq!(
        err["current_inputs"]["image"],
        json!(["<output 0 of node 1>"])
    );
    assert_eq!(err["node_id"], "2");
    assert_eq!(err["node_type"], "ImageScale");
    assert_eq!(err["exception_type"], "torch.OutOfMemoryError");
    assert_eq!(err["executed"], json!(["4", "1"]));
    assert_eq!(err["current_inputs"]["width"], json!([256]));
    let h = fake.history_entry(&pid).unwrap();
    let mut h_cmp = h.clone();
    h_cmp["status"]["messages"][2][1] = err_cmp;
    assert_shape(&without_graph(&h_cmp), &without_graph(cap_entry));
    assert_eq!(h["status"]["status_str"], "error");
    assert_eq!(h["status"]["completed"], false);
    assert_eq!(h["outputs"], json!({}));
    assert_eq!(h["meta"], json!({}));
    assert_eq!(h["status"]["messages"][2][1], err);
}

#[tokio::test]
async fn input_deleted_after_validation_fails_with_file_not_found() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    fake.faults()
        .on_next_prompt(PromptFault::default().hang_before_start());
    let (_, resp) = post_prompt(&base, &success_request("x")).await;
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_running(&pid, TIMEOUT).await);
    std::fs::remove_file(fake.input_dir().join("test_audio.wav")).unwrap();
    fake.faults().release_hangs();
    let h = fake.wait_for_history(&pid, TIMEOUT).await.unwrap();
    let err = &h["status"]["messages"][2][1];
    assert_eq!(err["exception_type"], "FileNotFoundError");
    assert_eq!(err["node_type"], "LoadAudio");
    assert!(
        err["exception_message"]
            .as_str()
            .unwrap()
            .starts_with("[Errno 2] No such file or directory: '")
    );
}

#[tokio::test]
async fn interrupt_delete_and_next_prompt_like_the_capture() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "harness-867eafab").await;
    let req = success_request("harness-867eafab");
    fake.faults()
        .on_next_prompt(PromptFault::default().hang_at("3"));
    let (_, j1) = post_prompt(&base, &req).await;
    let j1 = j1["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_node(&j1, "3", TIMEOUT).await);
    let (_, j2) = post_prompt(&base, &req).await;
    let j2 = j2["prompt_id"].as_str().unwrap().to_string();
    let mut req3 = req.clone();
    req3["prompt"]["3"]["inputs"]["amount"] = json!(3);
    let (_, j3) = post_prompt(&base, &req3).await;
    let j3 = j3["prompt_id"].as_str().unwrap().to_string();
    let c = http();
    c.post(format!("{base}/queue"))
        .json(&json!({"delete": [j2]}))
        .send()
        .await
        .unwrap();
    c.post(format!("{base}/interrupt"))
        .json(&json!({"prompt_id": j3}))
        .send()
        .await
        .unwrap();
    assert_eq!(fake.running_prompt().as_deref(), Some(j1.as_str()));
    c.post(format!("{base}/interrupt")).send().await.unwrap();

    let frames = frames_until_done(&mut ws, &j1).await;
    let interrupted = frames
        .iter()
        .find(|f| f.kind() == "execution_interrupted")
        .unwrap();
    let cap = capture("history_interrupt.json");
    let cap_entry = cap.as_object().unwrap().values().next().unwrap();
    assert_shape(interrupted.data(), &cap_entry["status"]["messages"][2][1]);
    assert_eq!(interrupted.data()["node_id"], "3");
    assert_eq!(interrupted.data()["node_type"], "RepeatImageBatch");
    assert_eq!(interrupted.data()["executed"], json!(["4", "1", "2"]));
    let k = kinds(&frames);
    assert_eq!(
        &k[k.len() - 3..],
        ["execution_interrupted", "status", "executing"]
    );

    let h1 = fake.wait_for_history(&j1, TIMEOUT).await.unwrap();
    assert_shape(&without_graph(&h1), &without_graph(cap_entry));
    assert_eq!(h1["status"]["status_str"], "error");
    let h3 = fake.wait_for_history(&j3, TIMEOUT).await.unwrap();
    assert_eq!(h3["status"]["status_str"], "success");
    assert!(
        fake.history_entry(&j2).is_none(),
        "a deleted pending prompt never reaches history"
    );
    assert_eq!(fake.queue_deletes(), vec![j2]);
    let ints = fake.interrupts();
    assert!(!ints[0].effective && ints[1].effective);
}

#[tokio::test]
async fn interrupt_fault_and_delay_start() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    fake.faults().on_every_prompt(
        PromptFault::default()
            .delay_start(Duration::from_millis(150))
            .interrupt_at("5"),
    );
    let t0 = Instant::now();
    let (_, r) = post_prompt(&base, &success_request("x")).await;
    let pid = r["prompt_id"].as_str().unwrap().to_string();
    let h = fake.wait_for_history(&pid, TIMEOUT).await.unwrap();
    assert!(t0.elapsed() >= Duration::from_millis(150));
    let last = &h["status"]["messages"][2];
    assert_eq!(last[0], "execution_interrupted");
    assert_eq!(last[1]["node_id"], "5");
}

#[tokio::test]
async fn websocket_drops_now_and_after_n_messages() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "drop").await;
    next_frame(&mut ws).await.unwrap();
    fake.faults().drop_websockets_now();
    assert!(next_frame(&mut ws).await.is_none(), "socket must end");
    let mut ws = connect(&fake, "drop").await;
    next_frame(&mut ws).await.unwrap();
    assert_eq!(fake.ws_connections_total(), 2);

    fake.faults().drop_websockets_after(5);
    let (_, r) = post_prompt(&base, &success_request("drop")).await;
    let pid = r["prompt_id"].as_str().unwrap().to_string();
    let mut got = 0;
    while next_frame(&mut ws).await.is_some() {
        got += 1;
    }
    assert_eq!(got, 5);
    // The prompt still completes; history has the truth.
    let h = fake.wait_for_history(&pid, TIMEOUT).await.unwrap();
    assert_eq!(h["status"]["status_str"], "success");
    assert!(
        fake.wait_until(TIMEOUT, |h| h.ws_connections_open() == 0)
            .await
    );

    // Reconnecting as the running client re-sends `executing` for the current node.
    fake.faults()
        .on_next_prompt(PromptFault::default().hang_at("2").drop_sockets_at("2"));
    let mut ws = connect(&fake, "drop").await;
    next_frame(&mut ws).await.unwrap();
    let mut req = success_request("drop");
    req["prompt"]["2"]["inputs"]["width"] = json!(128);
    let (_, r) = post_prompt(&base, &req).await;
    let pid = r["prompt_id"].as_str().unwrap().to_string();
    while next_frame(&mut ws).await.is_some() {}
    assert!(fake.wait_node(&pid, "2", TIMEOUT).await);
    let mut ws = connect(&fake, "drop").await;
    let hello = next_frame(&mut ws).await.unwrap();
    assert_eq!(hello.data()["status"]["exec_info"]["queue_remaining"], 1);
    let resume = next_frame(&mut ws).await.unwrap();
    assert_eq!(resume.kind(), "executing");
    assert_eq!(resume.data(), &json!({"node": "2"}));
    fake.faults().release_hangs();
    let frames = frames_until_done(&mut ws, &pid).await;
    assert!(kinds(&frames).contains(&"execution_success".to_string()));
}

#[tokio::test]
async fn restart_loses_queue_history_and_sockets() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let (_, r) = post_prompt(&base, &success_request("r")).await;
    let done = r["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_for_history(&done, TIMEOUT).await.is_some());
    fake.faults()
        .on_next_prompt(PromptFault::default().hang_at("6"));
    let mut ws = connect(&fake, "r").await;
    let mut req = success_request("r");
    req["prompt"]["3"]["inputs"]["amount"] = json!(2);
    let (_, r) = post_prompt(&base, &req).await;
    let running = r["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_node(&running, "6", TIMEOUT).await);

    fake.restart_with_downtime(Duration::from_millis(200))
        .await
        .unwrap();
    // (downtime is covered below; here the server is back)
    while next_frame(&mut ws).await.is_some() {}
    let hist: Value = http()
        .get(format!("{base}/history"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(hist, json!({}));
    let q: Value = http()
        .get(format!("{base}/queue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q, capture("queue_empty.json"));
    assert_eq!(fake.restarts(), 1);
    let (_, r) = post_prompt(&base, &success_request("r")).await;
    assert_eq!(r["number"], 0, "numbering restarts");
    let mut ws = connect(&fake, "r").await;
    assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");
}

#[tokio::test]
async fn restart_downtime_refuses_connections() {
    let fake = std::sync::Arc::new(start().await);
    let f2 = fake.clone();
    let restart =
        tokio::spawn(async move { f2.restart_with_downtime(Duration::from_millis(400)).await });
    assert!(fake.wait_until(TIMEOUT, |h| h.restarts() == 1).await);
    let err = http()
        .get(format!("{}/queue", fake.base_url()))
        .send()
        .await;
    assert!(err.is_err(), "port must be closed during downtime");
    restart.await.unwrap().unwrap();
    let ok = http()
        .get(format!("{}/queue", fake.base_url()))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), 200);
}

#[tokio::test]
async fn endpoint_faults_slow_malformed_status() {
    let fake = start().await;
    let base = fake.base_url();
    let f = fake.faults();
    f.endpoint(EndpointFault::delay(
        "/system_stats",
        Duration::from_millis(250),
    ));
    f.endpoint(EndpointFault::malformed_json("/history/*").times(1));
    f.endpoint(EndpointFault::status("/queue", 503).method("GET"));
    let t0 = Instant::now();
    let r = http()
        .get(format!("{base}/system_stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(t0.elapsed() >= Duration::from_millis(250));
    let r = http()
        .get(format!("{base}/history/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert!(r.json::<Value>().await.is_err(), "malformed JSON");
    let r = http()
        .get(format!("{base}/history/abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap(), json!({}));
    let r = http().get(format!("{base}/queue")).send().await.unwrap();
    assert_eq!(r.status(), 503);
    let r = http()
        .post(format!("{base}/queue"))
        .json(&json!({"clear": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    f.clear();
    let r = http().get(format!("{base}/queue")).send().await.unwrap();
    assert_eq!(r.status(), 200);
}

#[tokio::test]
async fn auth_is_enforced_on_http_and_websocket_and_recorded() {
    for (auth, good) in [
        (
            ExpectedAuth::Bearer("s3cret".into()),
            ("authorization", "Bearer s3cret".to_string()),
        ),
        (
            ExpectedAuth::Basic {
                user: "ann".into(),
                password: "pw".into(),
            },
            ("authorization", "Basic YW5uOnB3".to_string()),
        ),
        (
            ExpectedAuth::Header {
                name: "X-Api-Key".into(),
                value: "k1".into(),
            },
            ("x-api-key", "k1".to_string()),
        ),
    ] {
        let fake = FakeComfy::builder()
            .require_auth(auth)
            .start()
            .await
            .unwrap();
        let base = fake.base_url();
        let r = http()
            .get(format!("{base}/system_stats"))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = http()
            .get(format!("{base}/system_stats"))
            .header(good.0, "wrong")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 401);
        let r = http()
            .get(format!("{base}/system_stats"))
            .header(good.0, good.1.as_str())
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);

        let err = tokio_tungstenite::connect_async(fake.ws_url("a")).await;
        match err {
            Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
                assert_eq!(resp.status(), 401)
            }
            other => panic!("expected 401 on handshake, got {:?}", other.map(|_| ())),
        }
        use tokio_tungstenite::tungstenite::client::IntoClientRequest;
        let mut req = fake.ws_url("a").into_client_request().unwrap();
        req.headers_mut().insert(good.0, good.1.parse().unwrap());
        let (mut ws, _) = tokio_tungstenite::connect_async(req).await.unwrap();
        assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");

        let seen = fake.auth_headers_seen();
        assert!(
            seen.iter()
                .any(|s| s.websocket && s.value == good.1 && s.name == good.0)
        );
        assert!(
            seen.iter()
                .any(|s| !s.websocket && s.path == "/system_stats" && s.value == good.1)
        );
    }
}
