//! The hostile-server faults (issue 15): canned bodies, silence, trickling and endless bodies,
//! answers lost after the prompt was queued, upgrades cut at once, same-named outputs in two
//! subfolders; through the library API and the `/__fake/*` control routes.

use std::time::{Duration, Instant};

use fake_comfy::{EndpointFault, LostAnswer, PromptFault};
use futures_util::StreamExt;
use serde_json::{Value, json};

use crate::common::*;

async fn control(base: &str, path: &str, body: Value) -> u16 {
    http()
        .post(format!("{base}/__fake/{path}"))
        .json(&body)
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[tokio::test]
async fn canned_silent_trickling_and_endless_answers() {
    let fake = start().await;
    let base = fake.base_url();
    let f = fake.faults();
    f.endpoint(EndpointFault::json_body("/history/*", &b"{\"x\": \"\xff\"}"[..]).times(1));
    let r = http()
        .get(format!("{base}/history/a"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"{\"x\": \"\xff\"}");

    f.endpoint(EndpointFault::hang("/queue").times(1));
    let t0 = Instant::now();
    let e = http()
        .get(format!("{base}/queue"))
        .timeout(Duration::from_millis(300))
        .send()
        .await
        .unwrap_err();
    assert!(e.is_timeout(), "{e}");
    assert!(t0.elapsed() < Duration::from_secs(2));

    f.endpoint(EndpointFault::trickle("/view", Duration::from_millis(150), "video/mp4").times(1));
    let t0 = Instant::now();
    let r = http().get(format!("{base}/view")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "video/mp4");
    let mut body = r.bytes_stream();
    let mut got = 0;
    while got < 3 {
        got += body.next().await.unwrap().unwrap().len();
    }
    assert!(
        t0.elapsed() >= Duration::from_millis(400),
        "{:?}",
        t0.elapsed()
    );

    f.endpoint(EndpointFault::endless("/view", "video/mp4", Some(20 << 30)).times(1));
    let r = http().get(format!("{base}/view")).send().await.unwrap();
    assert_eq!(r.content_length(), Some(20 << 30));
    let mut body = r.bytes_stream();
    let mut got = 0usize;
    while got < 4 << 20 {
        got += body.next().await.unwrap().unwrap().len();
    }
}

#[tokio::test]
async fn lost_answers_still_queue_and_run_the_prompt() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    for (i, how) in [
        LostAnswer::Hang,
        LostAnswer::Garbled,
        LostAnswer::WrongPromptId,
    ]
    .into_iter()
    .enumerate()
    {
        fake.faults().endpoint(
            EndpointFault::answer_lost("/prompt", how)
                .method("POST")
                .times(1),
        );
        let id = format!("0000000{i}-0000-4000-8000-000000000000");
        let mut body = success_request("lost");
        body["prompt_id"] = json!(id);
        body["prompt"]["3"]["inputs"]["amount"] = json!(2 + i);
        let sent = http()
            .post(format!("{base}/prompt"))
            .json(&body)
            .timeout(Duration::from_millis(500))
            .send()
            .await;
        match how {
            LostAnswer::Hang => assert!(sent.unwrap_err().is_timeout()),
            LostAnswer::Garbled => {
                let r = sent.unwrap();
                assert_eq!(r.status(), 200);
                assert_eq!(r.headers()["content-type"], "text/html");
                assert!(r.json::<Value>().await.is_err());
            }
            LostAnswer::WrongPromptId => {
                let v: Value = sent.unwrap().json().await.unwrap();
                assert!(v["prompt_id"].as_str().is_some_and(|p| p != id), "{v}");
                assert!(v.get("number").is_some(), "{v}");
            }
        }
        let entry = fake.wait_for_history(&id, TIMEOUT).await.expect("it ran");
        assert_eq!(entry["status"]["status_str"], "success", "{how:?}");
    }
}

#[tokio::test]
async fn upgrades_can_be_cut_at_once_and_counted() {
    let fake = start().await;
    fake.faults().drop_websockets_on_upgrade(true);
    for n in 1..=3 {
        let mut ws = connect(&fake, "cut").await;
        assert!(
            next_frame(&mut ws).await.is_none(),
            "no message, the socket ends"
        );
        assert_eq!(fake.ws_connections_total(), n);
    }
    assert_eq!(fake.ws_connections_open(), 0);
    fake.faults().drop_websockets_on_upgrade(false);
    let mut ws = connect(&fake, "ok").await;
    assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");
}

#[tokio::test]
async fn duplicate_output_in_reports_two_same_named_files() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    fake.faults()
        .on_next_prompt(PromptFault::default().duplicate_output_in("other/deeper"));
    let (status, accepted) = post_prompt(&base, &success_request("dup")).await;
    assert_eq!(status, 200, "{accepted}");
    let id = accepted["prompt_id"].as_str().unwrap().to_string();
    let entry = fake.wait_for_history(&id, TIMEOUT).await.unwrap();
    let outputs = entry["outputs"].as_object().unwrap();
    let files: Vec<(String, String)> = outputs
        .values()
        .flat_map(|o| o["images"].as_array().cloned().unwrap_or_default())
        .map(|i| {
            (
                i["subfolder"].as_str().unwrap().to_string(),
                i["filename"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(files.len(), 2, "{entry}");
    assert_eq!(files[0].1, files[1].1, "same name");
    assert_ne!(files[0].0, files[1].0, "other folder");
    assert_eq!(files[1].0, "other/deeper");
    let bytes: Vec<Vec<u8>> = files
        .iter()
        .map(|(sub, name)| std::fs::read(fake.output_dir().join(sub).join(name)).unwrap())
        .collect();
    assert_ne!(bytes[0], bytes[1], "different content");
}

#[tokio::test]
async fn control_routes_script_the_hostile_faults() {
    let fake = start().await;
    let base = fake.base_url();
    let page = "<html>sign in</html>";
    let body = json!({"path": "/view", "times": 1,
        "body": {"status": 200, "content_type": "text/html", "text": page}});
    assert_eq!(control(&base, "endpoint_fault", body).await, 200);
    let r = http().get(format!("{base}/view")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "text/html");
    assert_eq!(r.text().await.unwrap(), page);

    let body = json!({"path": "/view", "times": 1, "endless": true,
        "content_type": "video/mp4", "declared_length": 1u64 << 34});
    assert_eq!(control(&base, "endpoint_fault", body).await, 200);
    let r = http().get(format!("{base}/view")).send().await.unwrap();
    assert_eq!(r.content_length(), Some(1 << 34));
    drop(r);

    for good in [
        json!({"path": "/queue", "hang": true, "times": 1}),
        json!({"path": "/view", "trickle_ms": 10, "times": 1}),
        json!({"path": "/prompt", "method": "POST", "lose_answer": "wrong_prompt_id", "times": 1}),
        json!({"path": "/x", "body": {"base64": "/w==", "status": 413}, "times": 1}),
    ] {
        assert_eq!(
            control(&base, "endpoint_fault", good.clone()).await,
            200,
            "{good}"
        );
    }
    for bad in [
        json!({"path": "/queue", "hang": true, "endless": true}),
        json!({"path": "/queue", "lose_answer": "sometimes"}),
        json!({"path": "/queue", "body": {"text": "a", "base64": "YQ=="}}),
        json!({"path": "/queue"}),
    ] {
        assert_eq!(
            control(&base, "endpoint_fault", bad.clone()).await,
            400,
            "{bad}"
        );
    }
    assert_eq!(
        control(&base, "websockets", json!({"drop_on_upgrade": true})).await,
        200
    );
    let mut ws = connect(&fake, "cut").await;
    assert!(next_frame(&mut ws).await.is_none());
    assert_eq!(
        control(&base, "prompt_fault", json!({"duplicate_output_in": "sub"})).await,
        200
    );
    assert_eq!(control(&base, "clear", json!({})).await, 200);
    let mut ws = connect(&fake, "ok").await;
    assert_eq!(next_frame(&mut ws).await.unwrap().kind(), "status");
}
