//! Read-only endpoints, uploads and /view against the captures.

use serde_json::{Value, json};

use crate::common::*;

async fn get_json(url: String) -> (u16, Value) {
    let r = http().get(url).send().await.unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn info_endpoints_serve_the_captures() {
    let fake = start().await;
    let base = fake.base_url();
    let misc = capture("misc_endpoints.json");

    let (s, info) = get_json(format!("{base}/object_info")).await;
    assert_eq!(s, 200);
    let captured = capture("object_info.json");
    for (class, schema) in captured.as_object().unwrap() {
        assert_eq!(&info[class], schema, "object_info[{class}]");
    }
    let (_, one) = get_json(format!("{base}/object_info/SaveVideo")).await;
    assert_eq!(one, misc["/object_info/SaveVideo"]["body"]);
    let (s, none) = get_json(format!("{base}/object_info/NoSuchNode")).await;
    assert_eq!((s, none), (200, json!({})));

    let models = capture("models.json");
    assert_eq!(
        get_json(format!("{base}/models")).await.1,
        models["/models"]
    );
    for folder in [
        "loras",
        "vae",
        "diffusion_models",
        "audio_encoders",
        "checkpoints",
    ] {
        let (s, list) = get_json(format!("{base}/models/{folder}")).await;
        assert_eq!(s, 200);
        assert_eq!(list, models[format!("/models/{folder}")]);
    }
    let r = http()
        .get(format!("{base}/models/not_a_folder"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);

    assert_eq!(
        get_json(format!("{base}/system_stats")).await.1,
        capture("system_stats.json")
    );
    assert_eq!(
        get_json(format!("{base}/features")).await.1,
        capture("features.json")
    );
    assert_eq!(
        get_json(format!("{base}/embeddings")).await.1,
        capture("embeddings.json")
    );
    assert_eq!(
        get_json(format!("{base}/queue")).await.1,
        capture("queue_empty.json")
    );
    assert_eq!(
        get_json(format!("{base}/prompt")).await.1,
        misc["/prompt"]["body"]
    );
    assert_eq!(
        get_json(format!("{base}/history/does-not-exist")).await.1,
        json!({})
    );
    assert_eq!(get_json(format!("{base}/history")).await.1, json!({}));
    assert_eq!(
        get_json(format!("{base}/users")).await.1,
        misc["/users"]["body"]
    );
    let r = http()
        .get(format!("{base}/system_stats"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
}

/// The capture is a CPU-only server; a test that needs a GPU server (a template with
/// `requires: cuda`) lists one, and only the devices change.
#[tokio::test]
async fn devices_can_be_set_for_templates_that_need_a_gpu() {
    let fake = fake_comfy::FakeComfy::builder().start().await.unwrap();
    let base = fake.base_url();
    let gpu = fake_comfy::FakeComfyHandle::cuda_device("NVIDIA RTX 4090", 24_000_000_000);
    fake.set_devices(vec![gpu.clone()]);
    let stats = get_json(format!("{base}/system_stats")).await.1;
    assert_eq!(stats["devices"], json!([gpu]));
    assert_eq!(stats["devices"][0]["type"], "cuda");
    assert_eq!(stats["system"], capture("system_stats.json")["system"]);
}

#[tokio::test]
async fn object_info_overlay_is_merged_and_missing_overlay_tolerated() {
    let dir = tempfile::tempdir().unwrap();
    let overlay = dir.path().join("overlay.json");
    std::fs::write(
        &overlay,
        r#"{"Sam2Segmentation": {"input": {"required": {}}, "output": ["MASK"], "output_node": false, "_fake_overlay": true}}"#,
    )
    .unwrap();
    let fake = fake_comfy::FakeComfy::builder()
        .object_info_overlay(Some(overlay))
        .start()
        .await
        .unwrap();
    let (_, info) = get_json(format!("{}/object_info", fake.base_url())).await;
    assert_eq!(info["Sam2Segmentation"]["_fake_overlay"], json!(true));
    assert!(info["KSampler"].is_object());

    let fake2 = fake_comfy::FakeComfy::builder()
        .object_info_overlay(Some(dir.path().join("missing.json")))
        .start()
        .await
        .unwrap();
    let (_, info2) = get_json(format!("{}/object_info", fake2.base_url())).await;
    assert_eq!(info2.as_object().unwrap().len(), 818);
}

#[tokio::test]
async fn uploads_dedup_and_rename_like_the_capture() {
    let fake = start().await;
    let base = fake.base_url();
    let want = capture("upload_responses.json");
    let png = fake_comfy::make_png(8, 8, 1);
    let body = |r: reqwest::Response| async move { r.json::<Value>().await.unwrap() };

    let r = upload(&base, "test_image.png", png.clone(), &[]).await;
    assert_eq!(r.status(), 200);
    assert_eq!(
        r.headers()["content-type"],
        "application/json; charset=utf-8"
    );
    assert_eq!(body(r).await, want["image_png"]["body"]);
    let r = upload(
        &base,
        "test_image.png",
        png.clone(),
        &[("overwrite", "false")],
    )
    .await;
    assert_eq!(
        body(r).await,
        want["image_png_again_overwrite_false_same_bytes"]["body"]
    );
    let r = upload(&base, "test_image.png", b"other".to_vec(), &[]).await;
    assert_eq!(
        body(r).await,
        want["image_png_same_name_different_bytes_overwrite_false"]["body"]
    );
    let r = upload(&base, "test_image.png", b"other".to_vec(), &[]).await;
    assert_eq!(
        body(r).await["name"],
        "test_image (1).png",
        "same bytes as the (1) copy dedup to it"
    );
    let r = upload(&base, "test_image.png", b"third".to_vec(), &[]).await;
    assert_eq!(body(r).await["name"], "test_image (2).png");
    let r = upload(
        &base,
        "test_image.png",
        b"over".to_vec(),
        &[("overwrite", "true")],
    )
    .await;
    assert_eq!(body(r).await["name"], "test_image.png");
    assert_eq!(
        std::fs::read(fake.input_dir().join("test_image.png")).unwrap(),
        b"over"
    );
    let r = upload(
        &base,
        "test_image.png",
        png.clone(),
        &[("subfolder", "probe_sub")],
    )
    .await;
    assert_eq!(body(r).await, want["image_png_subfolder_probe_sub"]["body"]);
    let r = upload(&base, "test_image.png", png.clone(), &[("type", "temp")]).await;
    assert_eq!(body(r).await, want["image_png_type_temp"]["body"]);
    let r = upload(&base, "test_pose.mp4", b"mp4".to_vec(), &[]).await;
    assert_eq!(body(r).await, want["video_mp4_via_upload_image"]["body"]);

    let form = reqwest::multipart::Form::new().text("overwrite", "true");
    let r = http()
        .post(format!("{base}/upload/image"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(r.text().await.unwrap(), "");
    let r = upload(&base, "x.png", png.clone(), &[("subfolder", "../escape")]).await;
    assert_eq!(r.status(), 400);

    let ups = fake.uploads();
    assert!(ups[1].deduplicated && !ups[0].deduplicated);
    assert_eq!(ups.iter().filter(|u| u.status == 200).count(), 9);
}

#[tokio::test]
async fn upload_limit_gives_413() {
    let fake = fake_comfy::FakeComfy::builder()
        .max_upload_size(1000)
        .start()
        .await
        .unwrap();
    let base = fake.base_url();
    let (_, f) = get_json(format!("{base}/features")).await;
    assert_eq!(f["max_upload_size"], 1000);
    let r = upload(&base, "big.png", vec![7u8; 5000], &[]).await;
    assert_eq!(r.status(), 413);
    let r = upload(&base, "small.png", vec![7u8; 100], &[]).await;
    assert_eq!(r.status(), 200);
    fake.faults().reject_uploads(true);
    let r = upload(&base, "small2.png", vec![7u8; 10], &[]).await;
    assert_eq!(r.status(), 413);
    assert!(!fake.input_dir().join("big.png").exists());
}

#[tokio::test]
async fn view_serves_files_and_refuses_like_comfyui() {
    let fake = start().await;
    let base = fake.base_url();
    let png = fake_comfy::make_png(8, 8, 3);
    upload(&base, "test_image.png", png.clone(), &[]).await;
    upload(
        &base,
        "test_image.png",
        png.clone(),
        &[("subfolder", "probe_sub")],
    )
    .await;
    let view = |q: &str| http().get(format!("{base}/view?{q}")).send();

    let r = view("filename=test_image.png&type=input").await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(
        r.headers()["content-disposition"],
        "filename=\"test_image.png\""
    );
    assert_eq!(r.headers()["accept-ranges"], "bytes");
    assert!(r.headers().contains_key("last-modified"));
    assert_eq!(r.bytes().await.unwrap().to_vec(), png);
    let r = view("filename=test_image.png&type=input&subfolder=probe_sub")
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let r = view("filename=does_not_exist.mp4&type=output")
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    assert_eq!(r.bytes().await.unwrap().len(), 0);
    for bad in [
        "filename=../x.png",
        "filename=%2Fetc%2Fpasswd",
        "filename=test_image.png&type=bogus",
    ] {
        let r = view(bad).await.unwrap();
        assert_eq!(r.status(), 400, "{bad}");
        assert_eq!(r.bytes().await.unwrap().len(), 0);
    }
    let r = view("filename=test_image.png&type=input&subfolder=../../etc")
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    // Range requests work on large files served from disk.
    let big = vec![42u8; 3 * 1024 * 1024];
    fake.put_input_file("big.bin", &big).unwrap();
    let r = http()
        .get(format!("{base}/view?filename=big.bin&type=input"))
        .header("range", "bytes=10-19")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 206);
    assert_eq!(r.bytes().await.unwrap().len(), 10);
    let r = view("filename=big.bin&type=input").await.unwrap();
    assert_eq!(r.bytes().await.unwrap().len(), big.len());
}

#[tokio::test]
async fn queue_history_and_interrupt_posts_answer_empty_200() {
    let fake = start().await;
    let base = fake.base_url();
    for (path, body) in [
        ("/queue", json!({"delete": ["nope"]})),
        ("/queue", json!({"clear": true})),
        ("/history", json!({"delete": ["nope"]})),
        ("/history", json!({"clear": true})),
        ("/interrupt", json!({"prompt_id": "nope"})),
    ] {
        let r = http()
            .post(format!("{base}{path}"))
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.text().await.unwrap(), "", "{path}");
    }
    let r = http()
        .post(format!("{base}/interrupt"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(fake.queue_deletes(), vec!["nope".to_string()]);
    assert_eq!(fake.queue_clears(), 1);
    assert_eq!(fake.history_deletes(), vec!["nope".to_string()]);
    let ints = fake.interrupts();
    assert_eq!(ints.len(), 2);
    assert!(
        !ints[0].effective,
        "targeted interrupt of a prompt that is not running is a no-op"
    );
    assert!(ints[1].effective);
    let r = http()
        .post(format!("{base}/queue"))
        .body("{bad")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 500);
}
