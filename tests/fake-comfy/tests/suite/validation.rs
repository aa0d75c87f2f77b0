//! Every captured validation case must come back byte-for-byte (status and JSON body).

use serde_json::{Value, json};

use crate::common::*;

async fn check_case(base: &str, name: &str, case: &Value) {
    let body = match case.get("request_prompt") {
        Some(p) => json!({"prompt": p, "client_id": "validation-test"}),
        None => case["request"].clone(),
    };
    let (status, answer) = post_prompt(base, &body).await;
    let want_status = case["status"].as_u64().unwrap() as u16;
    assert_eq!(status, want_status, "{name}: status");
    if want_status == 200 {
        assert_shape(&answer, &case["body"]);
        assert_eq!(answer["node_errors"], json!({}), "{name}");
    } else {
        assert_eq!(answer, case["body"], "{name}: body differs");
    }
}

#[tokio::test]
async fn all_captured_validation_cases_match() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let all = capture("prompt_error_all_cases.json");
    let mut checked = 0;
    for (name, case) in all.as_object().unwrap() {
        if name == "malformed_json_body" {
            continue;
        }
        check_case(&base, name, case).await;
        checked += 1;
    }
    assert!(checked >= 15, "only {checked} cases");
    for file in [
        "prompt_error_bad_combo.json",
        "prompt_error_bad_link.json",
        "prompt_error_missing_input.json",
        "prompt_error_unknown_class.json",
    ] {
        check_case(&base, file, &capture(file)).await;
    }
    fake.shutdown().await;
}

#[tokio::test]
async fn malformed_json_body_is_a_500_text_page() {
    let fake = start().await;
    let r = http()
        .post(format!("{}/prompt", fake.base_url()))
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
    let want = capture("prompt_error_all_cases.json")["malformed_json_body"]["body"].clone();
    assert_eq!(r.text().await.unwrap(), want.as_str().unwrap());
}

#[tokio::test]
async fn wan_probes_validate_like_the_capture() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    for (probe, result) in [
        ("wan_s2v_probe.json", "wan_s2v_probe_result.json"),
        ("wan_animate_probe.json", "wan_animate_probe_result.json"),
    ] {
        let (status, body) = post_prompt(&base, &json!({"prompt": capture(probe)})).await;
        let want = capture(result);
        assert_eq!(
            status,
            want["validation"]["status"].as_u64().unwrap() as u16,
            "{probe}"
        );
        assert_shape(&body, &want["validation"]["body"]);
    }
}

#[tokio::test]
async fn int_above_max_and_float_conversion_errors_use_python_text() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let mut prompt = capture("success_prompt_request.json")["prompt"].clone();
    prompt["3"]["inputs"]["amount"] = json!(5000);
    prompt["5"]["inputs"]["fps"] = json!("fast");
    let (status, body) = post_prompt(&base, &json!({"prompt": prompt})).await;
    assert_eq!(status, 400);
    let e3 = &body["node_errors"]["3"]["errors"][0];
    assert_eq!(e3["type"], "value_bigger_than_max");
    assert_eq!(e3["message"], "Value 5000 bigger than max of 4096");
    let e5 = &body["node_errors"]["5"]["errors"][0];
    assert_eq!(e5["type"], "invalid_input_type");
    assert_eq!(
        e5["message"],
        "Failed to convert an input value to a FLOAT value"
    );
    assert_eq!(
        e5["details"],
        "fps, fast, could not convert string to float: 'fast'"
    );
}

#[tokio::test]
async fn load_audio_without_upload_fails_custom_validation() {
    let fake = start().await;
    let base = fake.base_url();
    let up = upload(&base, "test_image.png", b"png".to_vec(), &[]).await;
    assert_eq!(up.status(), 200);
    let (status, body) = post_prompt(&base, &success_request("c")).await;
    assert_eq!(status, 400);
    let err = &body["node_errors"]["4"]["errors"][0];
    assert_eq!(err["type"], "custom_validation_failed");
    assert_eq!(err["details"], "audio - Invalid audio file: test_audio.wav");
    assert_eq!(body["node_errors"]["4"]["dependent_outputs"], json!(["6"]));
}

#[tokio::test]
async fn numbers_increment_even_for_rejected_prompts() {
    let fake = start().await;
    let base = fake.base_url();
    upload_sample_inputs(&base).await;
    let (_, a) = post_prompt(&base, &success_request("n")).await;
    let (s, _) = post_prompt(&base, &json!({"client_id": "n"})).await;
    assert_eq!(s, 400);
    let mut req = success_request("n");
    req["prompt_id"] = json!("11111111-2222-3333-4444-555555555555");
    let (_, c) = post_prompt(&base, &req).await;
    assert_eq!(a["number"], json!(0));
    assert_eq!(c["number"], json!(2));
    assert_eq!(c["prompt_id"], "11111111-2222-3333-4444-555555555555");
    assert_eq!(fake.prompts().len(), 3);
    assert_eq!(fake.prompts()[1].status, 400);
}
