//! Execution: event order and shapes against the captured traces, outputs, history, previews,
//! routing, caching.

use futures_util::SinkExt;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

use crate::common::*;

/// Frames of the capture's first run (from the connect status to `executing{node:null}`).
fn captured_run(file: &str, skip_runs: usize) -> Vec<Value> {
    let msgs: Vec<Value> = capture_jsonl(file)
        .into_iter()
        .filter(|l| l["frame"] == "text")
        .map(|l| l["msg"].clone())
        .collect();
    let mut runs = Vec::new();
    let mut cur = Vec::new();
    for m in msgs {
        let end = m["type"] == "executing" && m["data"]["node"].is_null();
        cur.push(m);
        if end {
            runs.push(std::mem::take(&mut cur));
        }
    }
    runs.swap_remove(skip_runs)
}

fn seq_of_capture(msgs: &[Value]) -> Vec<(String, String)> {
    msgs.iter()
        .map(|m| {
            let node = m["data"]
                .get("node")
                .and_then(Value::as_str)
                .unwrap_or_default();
            (m["type"].as_str().unwrap().to_string(), node.to_string())
        })
        .collect()
}

#[tokio::test]
async fn success_run_matches_captured_trace_history_and_view() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "harness-f4a9c20b").await;
    let (status, resp) = post_prompt(&base, &success_request("harness-f4a9c20b")).await;
    assert_eq!(status, 200);
    assert_shape(&resp, &capture("prompt_response_success.json")["body"]);
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let frames = frames_until_done(&mut ws, &pid).await;

    let want = captured_run("ws_trace_success.jsonl", 0);
    assert_eq!(type_node_seq(&frames), seq_of_capture(&want));
    for (i, (f, w)) in frames.iter().zip(&want).enumerate() {
        let Frame::Text(v) = f else {
            panic!("binary frame at {i}")
        };
        if let Some(d) = shape_diff(v, w, &format!("frame {i}")) {
            panic!("{d}\n{v}\n{w}");
        }
    }
    assert_eq!(frames[0].data()["sid"], "harness-f4a9c20b");
    // progress_state carries every started node, in start order: 4, 1, 2, 3, 5, 6.
    let last_ps = frames
        .iter()
        .rev()
        .find(|f| f.kind() == "progress_state")
        .unwrap();
    let ids: Vec<&String> = last_ps.data()["nodes"]
        .as_object()
        .unwrap()
        .keys()
        .collect();
    assert_eq!(ids.len(), 6);

    let hist: Value = http()
        .get(format!("{base}/history/{pid}"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let captured = capture("history_success.json");
    let cap_entry = captured.as_object().unwrap().values().next().unwrap();
    let entry = &hist[&pid];
    assert_shape(entry, cap_entry);
    assert_eq!(entry["outputs"], cap_entry["outputs"]);
    assert_eq!(entry["meta"], cap_entry["meta"]);
    assert_eq!(entry["prompt"][2], cap_entry["prompt"][2]);
    assert_eq!(entry["prompt"][3], cap_entry["prompt"][3]);
    assert_eq!(entry["prompt"][4], cap_entry["prompt"][4]);
    let kinds: Vec<&str> = entry["status"]["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m[0].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        ["execution_start", "execution_cached", "execution_success"]
    );

    let r = http()
        .get(format!(
            "{base}/view?filename=harness_00001_.mp4&subfolder=video&type=output"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let bytes = r.bytes().await.unwrap();
    assert_eq!(
        bytes.to_vec(),
        std::fs::read(captures().join("sample_output.mp4")).unwrap()
    );

    // Identical resubmission: everything cached, the output node re-sends `executed`.
    let (_, resp2) = post_prompt(&base, &success_request("harness-f4a9c20b")).await;
    let pid2 = resp2["prompt_id"].as_str().unwrap().to_string();
    assert_eq!(resp2["number"], 1);
    let frames2 = frames_until_done(&mut ws, &pid2).await;
    let mut want2 = captured_run("ws_trace_success.jsonl", 1);
    want2.retain(|m| m["type"] != "status" || m["data"].get("sid").is_none());
    assert_eq!(type_node_seq(&frames2), seq_of_capture(&want2));
    let cached = frames2
        .iter()
        .find(|f| f.kind() == "execution_cached")
        .unwrap();
    assert_eq!(
        cached.data()["nodes"],
        json!(["1", "2", "3", "4", "5", "6"])
    );
    let h2 = fake.history_entry(&pid2).unwrap();
    assert_eq!(h2["outputs"], cap_entry["outputs"]);
}

#[tokio::test]
async fn queue_while_running_has_the_captured_shape() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    fake.faults()
        .on_next_prompt(fake_comfy::PromptFault::default().hang_at("6"));
    let (_, resp) = post_prompt(&base, &success_request("harness-f4a9c20b")).await;
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_running(&pid, TIMEOUT).await);
    let q: Value = http()
        .get(format!("{base}/queue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let want = &capture("queue_while_running.json")["GET /queue right after POST /prompt"];
    assert_shape(&q, want);
    assert_eq!(q["queue_running"][0][1], json!(pid));
    assert_eq!(q["queue_running"][0][2], want["queue_running"][0][2]);
    let p: Value = http()
        .get(format!("{base}/prompt"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        p,
        capture("queue_while_running.json")["GET /prompt right after POST"]
    );
    fake.faults().release_hangs();
    assert!(fake.wait_for_history(&pid, TIMEOUT).await.is_some());
}

fn s2v_request(client_id: Option<&str>) -> Value {
    let mut req = json!({"prompt": capture("wan_s2v_probe.json")});
    if let Some(c) = client_id {
        req["client_id"] = json!(c);
    }
    req
}

#[tokio::test]
async fn sampler_previews_use_metadata_frames_after_feature_flags() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect_with_flags(&fake, "with-flags").await;
    let first = next_frame(&mut ws).await.unwrap();
    assert_eq!(first.kind(), "status");
    let reply = next_frame(&mut ws).await.unwrap();
    assert_eq!(reply.kind(), "feature_flags");
    let captured_reply = capture_jsonl("ws_trace_binary_preview_with_feature_flags.jsonl")
        .into_iter()
        .find(|l| l["msg"]["type"] == "feature_flags")
        .unwrap();
    assert_eq!(reply.data(), &captured_reply["msg"]["data"]);

    let (s, resp) = post_prompt(&base, &s2v_request(Some("with-flags"))).await;
    assert_eq!(s, 200, "{resp}");
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let frames = frames_until_done(&mut ws, &pid).await;
    let kinds: Vec<String> = frames.iter().map(Frame::kind).collect();
    let sampler_steps: Vec<usize> = frames
        .iter()
        .enumerate()
        .filter(|(_, f)| f.kind() == "progress" && f.data()["node"] == "13")
        .map(|(i, _)| i)
        .collect();
    assert_eq!(sampler_steps.len(), 4, "{kinds:?}");
    let captured_meta = capture_jsonl("ws_trace_binary_preview_with_feature_flags.jsonl")
        .into_iter()
        .find(|l| l["frame"] == "binary")
        .unwrap()["metadata"]
        .clone();
    for i in sampler_steps {
        assert_eq!(kinds[i - 2], "progress_state");
        let Frame::Binary(b) = &frames[i - 1] else {
            panic!("no preview before progress: {kinds:?}")
        };
        assert_eq!(&b[..4], &[0, 0, 0, 4]);
        let len = u32::from_be_bytes([b[4], b[5], b[6], b[7]]) as usize;
        // Python json.dumps: 165 bytes for node "4" and a 36-char prompt_id; node "13" is
        // one char longer in each of its three fields.
        assert_eq!(len, 168);
        let meta: Value = serde_json::from_slice(&b[8..8 + len]).unwrap();
        assert_shape(&meta, &captured_meta);
        assert_eq!(meta["prompt_id"], json!(pid));
        assert_eq!(meta["node_id"], "13");
        assert_eq!(&b[8 + len..8 + len + 8], b"\x89PNG\r\n\x1a\n");
    }
    assert!(!kinds.contains(&"binary1".to_string()));
    let h = fake.history_entry(&pid).unwrap();
    assert_eq!(h["status"]["status_str"], "success");
}

#[tokio::test]
async fn legacy_clients_get_type1_previews_after_progress() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut ws = connect(&fake, "legacy").await;
    let (_, resp) = post_prompt(&base, &s2v_request(Some("legacy"))).await;
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let frames = frames_until_done(&mut ws, &pid).await;
    let kinds: Vec<String> = frames.iter().map(Frame::kind).collect();
    let binaries: Vec<usize> = kinds
        .iter()
        .enumerate()
        .filter(|(_, k)| k.starts_with("binary"))
        .map(|(i, _)| i)
        .collect();
    assert_eq!(binaries.len(), 4);
    for i in binaries {
        assert_eq!(kinds[i - 1], "progress");
        let Frame::Binary(b) = &frames[i] else {
            unreachable!()
        };
        assert_eq!(&b[..8], &[0, 0, 0, 1, 0, 0, 0, 2]);
        assert_eq!(&b[8..16], b"\x89PNG\r\n\x1a\n");
    }
    // Wan S2V node reports 3 steps without previews.
    let wan: Vec<&Frame> = frames
        .iter()
        .filter(|f| f.kind() == "progress" && f.data()["node"] == "12")
        .collect();
    assert_eq!(wan.len(), 3);
    assert_eq!(wan[2].data()["max"], 3);
}

#[tokio::test]
async fn prompt_without_client_id_emits_only_broadcasts() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut a = connect(&fake, "harness-A").await;
    let mut b = connect(&fake, "harness-B").await;
    next_frame(&mut a).await.unwrap();
    next_frame(&mut b).await.unwrap();

    let mut req = success_request("x");
    req.as_object_mut().unwrap().remove("client_id");
    let (_, resp) = post_prompt(&base, &req).await;
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    let entry = fake.wait_for_history(&pid, TIMEOUT).await.unwrap();
    assert_eq!(entry["prompt"][3], json!({}));
    assert_eq!(entry["status"]["status_str"], "success");

    // Then a prompt for A, so B's stream has a known end point.
    let (_, resp2) = post_prompt(&base, &success_request("harness-A")).await;
    let pid2 = resp2["prompt_id"].as_str().unwrap().to_string();
    let fa = frames_until_done(&mut a, &pid2).await;
    let first_run_a: Vec<String> = fa
        .iter()
        .take_while(|f| f.kind() != "execution_start")
        .map(Frame::kind)
        .collect();
    assert!(
        first_run_a
            .iter()
            .all(|k| k == "status" || k == "progress_state"),
        "{first_run_a:?}"
    );
    assert!(first_run_a.contains(&"progress_state".to_string()));

    // B saw broadcasts only, for both prompts, ending with status q=0.
    let want_b: Vec<String> = capture_jsonl("ws_trace_routing_clientB.jsonl")
        .into_iter()
        .filter(|l| l["frame"] == "text")
        .map(|l| l["msg"]["type"].as_str().unwrap().to_string())
        .collect();
    assert!(
        want_b
            .iter()
            .all(|k| k == "status" || k == "progress_state")
    );
    assert!(fake.wait_for_history(&pid2, TIMEOUT).await.is_some());
    let mut seen_b = Vec::new();
    loop {
        let f = next_frame(&mut b).await.unwrap();
        let end = f.kind() == "status"
            && f.data()["status"]["exec_info"]["queue_remaining"] == 0
            && seen_b.iter().filter(|k: &&String| *k == "status").count() >= 4;
        seen_b.push(f.kind());
        if end {
            break;
        }
    }
    assert!(
        seen_b
            .iter()
            .all(|k| k == "status" || k == "progress_state"),
        "{seen_b:?}"
    );
}

#[tokio::test]
async fn late_feature_flags_get_no_reply() {
    let fake = start().await;
    let mut ws = connect(&fake, "late").await;
    next_frame(&mut ws).await.unwrap();
    ws.send(Message::Text(
        json!({"type": "hello", "data": {}}).to_string().into(),
    ))
    .await
    .unwrap();
    let flags = json!({"type": "feature_flags", "data": {"supports_preview_metadata": true}});
    ws.send(Message::Text(flags.to_string().into()))
        .await
        .unwrap();
    assert!(
        fake.wait_until(TIMEOUT, |h| h.ws_frames_received().len() == 2)
            .await
    );
    http()
        .post(format!("{}/queue", fake.base_url()))
        .json(&json!({"clear": true}))
        .send()
        .await
        .unwrap();
    assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");
}

#[tokio::test]
async fn save_image_and_video_prefixes_become_subfolders() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let prompt = json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "test_image.png"}},
        "2": {"class_type": "SaveImage", "inputs": {"images": ["1", 0], "filename_prefix": "animatrix/job-1/poster"}},
        "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["1", 0], "amount": 2}},
        "4": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 16.0}},
        "5": {"class_type": "SaveVideo", "inputs": {"video": ["4", 0], "filename_prefix": "animatrix/job-1/video", "format": "mp4", "codec": "h264"}},
        "6": {"class_type": "PreviewImage", "inputs": {"images": ["1", 0]}}
    });
    let (s, resp) = post_prompt(&base, &json!({"prompt": prompt, "client_id": "p"})).await;
    assert_eq!(s, 200, "{resp}");
    let pid = resp["prompt_id"].as_str().unwrap();
    let h = fake.wait_for_history(pid, TIMEOUT).await.unwrap();
    assert_eq!(
        h["outputs"]["2"],
        json!({"images": [{"filename": "poster_00001_.png", "subfolder": "animatrix/job-1", "type": "output"}]})
    );
    assert_eq!(
        h["outputs"]["5"],
        json!({"images": [{"filename": "video_00001_.mp4", "subfolder": "animatrix/job-1", "type": "output"}], "animated": [true]})
    );
    let preview = &h["outputs"]["6"]["images"][0];
    assert_eq!(preview["type"], "temp");
    assert!(
        preview["filename"]
            .as_str()
            .unwrap()
            .starts_with("ComfyUI_temp_")
    );
    let r = http()
        .get(format!(
            "{base}/view?filename=poster_00001_.png&subfolder=animatrix/job-1&type=output"
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "image/png");
    let png = r.bytes().await.unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    // A second job with the same prefix gets the next counter.
    let mut p2 = prompt.clone();
    p2["2"]["inputs"]["filename_prefix"] = json!("animatrix/job-1/poster");
    p2["1"]["inputs"]["image"] = json!("test_image.png");
    p2["3"]["inputs"]["amount"] = json!(3);
    let (_, r2) = post_prompt(&base, &json!({"prompt": p2, "client_id": "p"})).await;
    let h2 = fake
        .wait_for_history(r2["prompt_id"].as_str().unwrap(), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        h2["outputs"]["5"]["images"][0]["filename"],
        "video_00002_.mp4"
    );
}

#[tokio::test]
async fn exec_error_trace_matches_capture_for_a_vanished_input() {
    let fake = start().await;
    let base = fake.base_url();
    let ctx = capture("exec_error_context.json");
    let req = ctx["failing_prompt_request"].clone();
    upload(&base, "to_delete.png", b"png".to_vec(), &[]).await;
    let mut ws = connect(&fake, req["client_id"].as_str().unwrap()).await;
    fake.faults()
        .on_next_prompt(fake_comfy::PromptFault::default().hang_before_start());
    let (s, resp) = post_prompt(&base, &req).await;
    assert_eq!(s, 200);
    assert_shape(&resp, &ctx["failing_prompt_response"]["body"]);
    let pid = resp["prompt_id"].as_str().unwrap().to_string();
    assert!(fake.wait_running(&pid, TIMEOUT).await);
    std::fs::remove_file(fake.input_dir().join("to_delete.png")).unwrap();
    fake.faults().release_hangs();
    let frames = frames_until_done(&mut ws, &pid).await;

    let want: Vec<Value> = captured_run("ws_trace_exec_error.jsonl", 1)
        .into_iter()
        .filter(|m| !(m["type"] == "status" && m["data"].get("sid").is_some()))
        .collect();
    // Skip our hello and the status of the POST: in the capture that prompt waited behind
    // another, so its run starts at the status of being taken off the queue.
    let got: Vec<(String, String)> = type_node_seq(&frames).into_iter().skip(2).collect();
    assert_eq!(got, seq_of_capture(&want));
    let cap = capture("history_exec_error.json");
    let cap_entry = cap.as_object().unwrap().values().next().unwrap();
    let h = fake.history_entry(&pid).unwrap();
    assert_eq!(h["prompt"][2], cap_entry["prompt"][2]);
    let (mine, theirs) = (
        &h["status"]["messages"][2][1],
        &cap_entry["status"]["messages"][2][1],
    );
    for key in [
        "node_id",
        "node_type",
        "executed",
        "exception_type",
        "current_inputs",
        "traceback",
    ] {
        assert_eq!(mine[key], theirs[key], "{key}");
    }
    let path = fake.input_dir().join("to_delete.png");
    assert_eq!(
        mine["exception_message"],
        format!(
            "[Errno 2] No such file or directory: '{}'\n",
            path.display()
        )
    );
}

#[tokio::test]
async fn queue_order_front_and_explicit_numbers() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    fake.faults()
        .on_next_prompt(fake_comfy::PromptFault::default().hang_before_start());
    let mut first = success_request("q");
    first["prompt_id"] = json!("first");
    post_prompt(&base, &first).await;
    assert!(fake.wait_running("first", TIMEOUT).await);
    let mut a = success_request("q");
    a["prompt_id"] = json!("a");
    a["prompt"]["3"]["inputs"]["amount"] = json!(2);
    let mut b = a.clone();
    b["prompt_id"] = json!("b");
    b["front"] = json!(true);
    let mut c = a.clone();
    c["prompt_id"] = json!("c");
    c["number"] = json!(-100);
    let (_, ra) = post_prompt(&base, &a).await;
    let (_, rb) = post_prompt(&base, &b).await;
    let (_, rc) = post_prompt(&base, &c).await;
    assert_eq!(ra["number"], json!(1));
    assert_eq!(rb["number"], json!(-2));
    assert_eq!(
        rc["number"],
        json!(-100.0),
        "an explicit number goes through float()"
    );
    let q: Value = http()
        .get(format!("{base}/queue"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let pending: Vec<&str> = q["queue_pending"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i[1].as_str().unwrap())
        .collect();
    assert_eq!(pending, ["c", "b", "a"]);
    fake.faults().release_hangs();
    assert!(fake.wait_idle(TIMEOUT).await);
    let h: Value = http()
        .get(format!("{base}/history?max_items=2"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = serde_json::to_string(&h).unwrap();
    assert_eq!(h.as_object().unwrap().len(), 2);
    assert!(
        h.get("b").is_some() && h.get("a").is_some(),
        "the last two finished: {text}"
    );
    let raw = http()
        .get(format!("{base}/history?max_items=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        raw.find("\"b\"").unwrap() < raw.find("\"a\"").unwrap(),
        "oldest first"
    );
    let h: Value = http()
        .get(format!("{base}/history?offset=1&max_items=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(h.get("c").is_some());
}

#[tokio::test]
async fn extra_data_is_kept_with_client_id_merged_and_secrets_removed() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut req = success_request("harness-A");
    req["extra_data"] = json!({"anything": 1, "api_key_comfy_org": "secret"});
    let (_, r) = post_prompt(&base, &req).await;
    let h = fake
        .wait_for_history(r["prompt_id"].as_str().unwrap(), TIMEOUT)
        .await
        .unwrap();
    assert_eq!(
        h["prompt"][3],
        capture("routing_notes.json")["history3_extra_data"]
    );
}
