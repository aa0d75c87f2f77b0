//! Every endpoint against the fake, auth on every request, doctor.

use animatrix_comfy::model::FileType;
use animatrix_comfy::{Auth, ComfyError, Outcome, SecretString, TrackedEvent, doctor};
use animatrix_common::Explain;
use fake_comfy::ExpectedAuth;

use crate::common::*;

#[tokio::test]
async fn json_endpoints_decode_from_the_fake() {
    let fake = fake().await;
    let c = client(&fake);

    let stats = c.system_stats().await.unwrap();
    assert_eq!(stats.system.comfyui_version.as_deref(), Some("0.3.64"));

    let info = c.object_info().await.unwrap();
    assert!(info.len() >= 818, "{}", info.len());
    let save = c.object_info_class("SaveVideo").await.unwrap().unwrap();
    assert_eq!(save.name, "SaveVideo");
    assert!(c.object_info_class("NoSuchNode").await.unwrap().is_none());

    let folders = c.model_folders().await.unwrap();
    assert!(folders.iter().any(|f| f == "diffusion_models"));
    let vae = c.models("vae").await.unwrap().unwrap();
    assert_eq!(vae, vec!["wan_2.1_vae.safetensors"]);
    assert_eq!(c.models("not_a_folder").await.unwrap(), None);

    assert!(c.queue().await.unwrap().is_empty());
    assert_eq!(c.queue_remaining().await.unwrap(), 0);
    let features = c.features().await.unwrap();
    assert_eq!(features.max_upload_size, Some(104_857_600));
    assert_eq!(c.history("does-not-exist").await.unwrap(), None);
    assert!(c.history_recent(5).await.unwrap().is_empty());
}

#[tokio::test]
async fn a_prompt_runs_to_success_and_its_output_downloads() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let id = new_id();
    let (accepted, mut tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    assert_eq!(accepted.prompt_id, id);
    let received = fake.prompts();
    assert_eq!(received[0].client_id.as_deref(), Some(hub.client_id()));
    assert_eq!(received[0].body["prompt_id"], id.as_str());

    let mut events = Vec::new();
    let outcome = loop {
        match tokio::time::timeout(WAIT, tracked.next()).await.unwrap() {
            Some(TrackedEvent::Finished(o)) => break o,
            Some(e) => events.push(e),
            None => panic!("no outcome"),
        }
    };
    assert!(tracked.next().await.is_none(), "Finished is last");
    let Outcome::Success(entry) = outcome else {
        panic!("{outcome:?}")
    };
    assert!(events.contains(&TrackedEvent::Started), "{events:?}");
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrackedEvent::NodeStarted { node, .. } if node == "6")),
        "{events:?}"
    );
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrackedEvent::NodeOutput { node, .. } if node == "6"))
    );

    let files = entry.files();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file.file_type, FileType::Output);
    let dir = tempfile::tempdir().unwrap();
    let mut last = None;
    let got = c
        .download_output(&files[0].file, dir.path(), |p| last = Some(p))
        .await
        .unwrap();
    assert!(got.path.starts_with(dir.path()));
    let sample = std::fs::read(captures().join("sample_output.mp4")).unwrap();
    assert_eq!(std::fs::read(&got.path).unwrap(), sample);
    assert_eq!(got.bytes, sample.len() as u64);
    assert_eq!(got.content_type.as_deref(), Some("video/mp4"));
    assert_eq!(last.unwrap().done, sample.len() as u64);

    // History delete.
    assert!(c.history(&id).await.unwrap().is_some());
    c.history_delete(std::slice::from_ref(&id)).await.unwrap();
    assert_eq!(fake.history_deletes(), vec![id.clone()]);
    assert_eq!(c.history(&id).await.unwrap(), None);
}

fn auths() -> Vec<(Auth, ExpectedAuth)> {
    vec![
        (
            Auth::Bearer(SecretString::from("tok-123")),
            ExpectedAuth::Bearer("tok-123".into()),
        ),
        (
            Auth::Basic {
                user: "demo".into(),
                password: SecretString::from("pa:ss"),
            },
            ExpectedAuth::Basic {
                user: "demo".into(),
                password: "pa:ss".into(),
            },
        ),
        (
            Auth::Header {
                name: "X-Api-Key".into(),
                value: SecretString::from("k-999"),
            },
            ExpectedAuth::Header {
                name: "X-Api-Key".into(),
                value: "k-999".into(),
            },
        ),
    ]
}

#[tokio::test]
async fn auth_goes_on_every_request_and_on_the_websocket_handshake() {
    for (auth, expected) in auths() {
        let fake = fake().await;
        fake.faults().require_auth(expected.clone());
        let c = client_with(&fake, auth.clone(), options());
        let hub = hub(&c);
        connected(&hub).await;
        let (_, tracked) = hub.submit(&success_graph(), &new_id(), None).await.unwrap();
        let outcome = tokio::time::timeout(WAIT, tracked.outcome())
            .await
            .unwrap()
            .unwrap();
        assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
        c.queue().await.unwrap();

        let (name, value) = expected.header();
        let requests = fake.requests();
        assert!(requests.iter().any(|r| r.websocket));
        for r in &requests {
            assert_eq!(
                r.header(&name),
                Some(value.as_str()),
                "{} {} lacks auth",
                r.method,
                r.path
            );
        }
        // Nothing leaks the secret.
        let secret = match &auth {
            Auth::Bearer(_) => "tok-123",
            Auth::Basic { .. } => "pa:ss",
            Auth::Header { .. } => "k-999",
            Auth::None => unreachable!(),
        };
        for text in [
            format!("{auth:?}"),
            format!("{:?}", c.endpoint()),
            format!("{c:?}"),
            format!("{hub:?}"),
        ] {
            assert!(!text.contains(secret), "{text}");
        }
        hub.shutdown();
    }
}

#[tokio::test]
async fn missing_or_wrong_credentials_are_auth_rejected() {
    let fake = fake().await;
    fake.faults()
        .require_auth(ExpectedAuth::Bearer("right".into()));
    for auth in [Auth::None, Auth::Bearer(SecretString::from("wrong"))] {
        let c = client_with(&fake, auth, options());
        let err = c.system_stats().await.unwrap_err();
        assert!(matches!(err, ComfyError::Unauthorized { .. }), "{err:?}");
        assert_eq!(err.explain().code, "auth_rejected");
        let err = c.connect_events("x").await.unwrap_err();
        assert!(matches!(err, ComfyError::Unauthorized { .. }), "{err:?}");
    }
}

#[tokio::test]
async fn invalid_endpoints_and_auth_headers_are_refused_up_front() {
    for bad in [
        "ftp://host/",
        "http://user:pw@host/",
        "http://host/?q=1",
        "not a url",
        "http://",
    ] {
        let err = animatrix_comfy::Endpoint::parse(bad, Auth::None).unwrap_err();
        assert_eq!(err.explain().code, "invalid_server_address", "{bad}");
        assert!(!err.to_string().contains("pw"), "{err}");
    }
    let e = animatrix_comfy::Endpoint::parse(
        "https://comfy.example.test/prefix",
        Auth::Header {
            name: "Bad Header".into(),
            value: SecretString::from("v"),
        },
    )
    .unwrap();
    assert_eq!(e.base_url.as_str(), "https://comfy.example.test/prefix/");
    let err = animatrix_comfy::ComfyClient::new(e, options()).unwrap_err();
    assert_eq!(err.explain().code, "invalid_auth_header");
    let e = animatrix_comfy::Endpoint::parse(
        "http://h/",
        Auth::Bearer(SecretString::from("line\nbreak")),
    )
    .unwrap();
    let err = animatrix_comfy::ComfyClient::new(e, options()).unwrap_err();
    assert_eq!(err.explain().code, "invalid_auth_header");
    assert!(!err.explain().detail.contains("line"), "secret in detail");
}

#[tokio::test]
async fn a_path_prefix_is_kept_for_every_route() {
    let fake = fake().await;
    // Behind a proxy at /comfy/ the client must call /comfy/…; the fake serves only /, so
    // the prefixed call is a 404, which proves the prefix was used.
    let endpoint =
        animatrix_comfy::Endpoint::parse(&format!("{}/comfy", fake.base_url()), Auth::None)
            .unwrap();
    let c = animatrix_comfy::ComfyClient::new(endpoint, options()).unwrap();
    let err = c.queue().await.unwrap_err();
    assert!(matches!(err, ComfyError::NotFound { .. }), "{err:?}");
    assert!(c.ws_url("id").as_str().ends_with("/comfy/ws?clientId=id"));
    assert!(fake.requests().iter().any(|r| r.path == "/comfy/queue"));
}

#[tokio::test]
async fn doctor_reports_usable_unauthorized_and_unreachable() {
    let fake = fake().await;
    let report = doctor(&client(&fake)).await;
    assert!(report.usable, "{report:?}");
    assert!(report.reachable && report.auth_ok && report.websocket_ok);
    assert_eq!(report.comfyui_version.as_deref(), Some("0.3.64"));
    assert_eq!(report.queue_len, Some(0));
    assert_eq!(report.max_upload_size, Some(104_857_600));
    assert!(report.problems.is_empty());
    // The captured server is CPU only: a warning, not a blocker.
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.code == "server_has_no_gpu")
    );
    let json = serde_json::to_value(&report).unwrap();
    assert_eq!(json["usable"], true);

    fake.faults()
        .require_auth(ExpectedAuth::Bearer("right".into()));
    let report = doctor(&client(&fake)).await;
    assert!(!report.usable && report.reachable && !report.auth_ok);
    assert_eq!(report.problems[0].code, "auth_rejected");

    let port = fake.port();
    fake.shutdown().await;
    let endpoint =
        animatrix_comfy::Endpoint::parse(&format!("http://127.0.0.1:{port}"), Auth::None).unwrap();
    let c = animatrix_comfy::ComfyClient::new(endpoint, options()).unwrap();
    let report = doctor(&c).await;
    assert!(!report.usable && !report.reachable);
    assert_eq!(report.problems[0].code, "server_unreachable");
}
