//! Every error class: prompt validation (§4), execution errors, interrupts, HTTP statuses,
//! timeouts, malformed and oversized bodies, refused connections, DNS.

use std::time::Duration;

use animatrix_comfy::model::PromptErrorBody;
use animatrix_comfy::{
    Auth, ClientOptions, ComfyError, InputProblem, Outcome, PromptRejection, TrackedEvent,
};
use animatrix_common::Explain;
use fake_comfy::{EndpointFault, PromptFault};
use serde_json::Value;

use crate::common::*;

#[tokio::test]
async fn every_captured_validation_case_is_classified_like_the_real_server() {
    let fake = fake().await;
    let c = client(&fake);
    let cases = capture("prompt_error_all_cases.json");
    let mut checked = 0;
    for (case, rec) in cases.as_object().unwrap() {
        let Some(graph) = rec.get("request_prompt") else {
            continue; // no_prompt_key and malformed_json_body need a request we never send
        };
        let result = c.submit_prompt(graph, &new_id(), "tester", None).await;
        match rec["status"].as_u64().unwrap() {
            200 => {
                result.unwrap_or_else(|e| panic!("{case}: {e}"));
            }
            400 => {
                let Err(ComfyError::PromptRejected(got)) = result else {
                    panic!("{case}: {result:?}");
                };
                let real: PromptErrorBody = serde_json::from_value(rec["body"].clone()).unwrap();
                let expected = PromptRejection::from_body(real);
                assert_eq!(got.kind, expected.kind, "{case}");
                let user = ComfyError::PromptRejected(got).explain();
                let real_user = ComfyError::PromptRejected(Box::new(expected)).explain();
                assert_eq!(user.code, real_user.code, "{case}");
            }
            other => panic!("{case}: status {other}"),
        }
        checked += 1;
    }
    assert!(checked >= 15, "{checked}");
}

#[tokio::test]
async fn value_bigger_than_max_is_setting_too_large() {
    let fake = fake().await;
    let c = client(&fake);
    let mut graph = success_graph();
    graph["3"]["inputs"]["amount"] = Value::from(5000);
    let err = c
        .submit_prompt(&graph, &new_id(), "tester", None)
        .await
        .unwrap_err();
    let ComfyError::PromptRejected(r) = &err else {
        panic!("{err:?}")
    };
    let (node, problem) = r.primary_problem().unwrap();
    assert_eq!(node.node_id, "3");
    assert!(
        matches!(problem, InputProblem::ValueBiggerThanMax { input, .. } if input == "amount"),
        "{problem:?}"
    );
    let user = err.explain();
    assert_eq!(user.code, "setting_too_large");
    assert!(user.detail.contains("RepeatImageBatch"), "{}", user.detail);
}

#[tokio::test]
async fn execution_errors_end_the_prompt_with_a_typed_outcome() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    fake.faults()
        .on_next_prompt(PromptFault::default().error_at("5"));
    let id = new_id();
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    let outcome = tokio::time::timeout(WAIT, tracked.outcome())
        .await
        .unwrap()
        .unwrap();
    let Outcome::Error(e) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(
        (e.node_id.as_str(), e.node_type.as_str()),
        ("5", "CreateVideo")
    );
    let err = outcome.clone().into_result(&id).unwrap_err();
    let user = err.explain();
    assert_eq!(user.code, "generation_failed");
    assert!(user.detail.contains("CreateVideo") && user.detail.contains("RuntimeError"));
    assert!(!user.message.contains("CreateVideo") && !user.message.contains("node"));

    fake.faults()
        .on_next_prompt(PromptFault::default().error_at_with(
            "5",
            "torch.OutOfMemoryError",
            "CUDA out of memory. Tried to allocate 2.00 GiB",
        ));
    let (_, tracked) = hub.submit(&success_graph(), &new_id(), None).await.unwrap();
    let outcome = tokio::time::timeout(WAIT, tracked.outcome())
        .await
        .unwrap()
        .unwrap();
    let err = outcome.into_result("x").unwrap_err();
    assert_eq!(err.explain().code, "server_out_of_memory");
}

#[tokio::test]
async fn interrupt_stops_only_our_running_prompt_and_queue_delete_removes_a_pending_one() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let (a, b) = (new_id(), new_id());
    fake.faults()
        .on_prompt(&a, PromptFault::default().hang_at("3"));
    let (_, mut ta) = hub.submit(&success_graph(), &a, None).await.unwrap();
    let (_, mut tb) = hub.submit(&success_graph(), &b, None).await.unwrap();

    // b waits behind a.
    let queued = tokio::time::timeout(WAIT, async {
        loop {
            match tb.next().await {
                Some(TrackedEvent::Queued { ahead }) => return ahead,
                Some(_) => {}
                None => panic!("ended"),
            }
        }
    })
    .await
    .unwrap();
    assert_eq!(queued, 1);
    assert!(fake.wait_running(&a, WAIT).await);

    // Interrupting b (pending) must not touch a.
    c.interrupt(&b).await.unwrap();
    c.queue_delete(std::slice::from_ref(&b)).await.unwrap();
    assert_eq!(fake.queue_deletes(), vec![b.clone()]);
    let outcome = tokio::time::timeout(WAIT, tb.outcome())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(outcome, Outcome::Vanished);
    assert!(fake.running_prompt().as_deref() == Some(a.as_str()));

    c.interrupt(&a).await.unwrap();
    let outcome = tokio::time::timeout(WAIT, async {
        loop {
            if let Some(TrackedEvent::Finished(o)) = ta.next().await {
                return o;
            }
        }
    })
    .await
    .unwrap();
    let Outcome::Interrupted(i) = &outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(i.prompt_id, a);
    let interrupts = fake.interrupts();
    assert_eq!(interrupts.len(), 2);
    assert!(!interrupts[0].effective && interrupts[1].effective);
    assert_eq!(
        outcome.into_result(&a).unwrap_err().explain().code,
        "generation_interrupted"
    );
}

async fn code_of(err: ComfyError) -> String {
    err.explain().code.to_string()
}

#[tokio::test]
async fn http_statuses_timeouts_and_bad_bodies_get_their_own_codes() {
    let fake = fake().await;
    let faults = fake.faults();
    let c = client(&fake);

    faults.endpoint(EndpointFault::status("/queue", 500).times(1));
    let e = c.queue().await.unwrap_err();
    assert!(
        matches!(e, ComfyError::ServerError { status: 500, .. }),
        "{e:?}"
    );
    assert_eq!(code_of(e).await, "server_error");

    faults.endpoint(EndpointFault::status("/queue", 503).times(1));
    assert_eq!(code_of(c.queue().await.unwrap_err()).await, "server_error");

    faults.endpoint(EndpointFault::status("/system_stats", 403).times(1));
    assert_eq!(
        code_of(c.system_stats().await.unwrap_err()).await,
        "auth_forbidden"
    );

    faults.endpoint(EndpointFault::status("/queue", 418).times(1));
    assert_eq!(
        code_of(c.queue().await.unwrap_err()).await,
        "unexpected_response"
    );

    faults.endpoint(EndpointFault::malformed_json("/queue").times(1));
    let e = c.queue().await.unwrap_err();
    assert!(matches!(e, ComfyError::MalformedBody { .. }), "{e:?}");
    assert_eq!(code_of(e).await, "malformed_response");

    faults.endpoint(EndpointFault::malformed_json("/history/*").times(1));
    assert_eq!(
        code_of(c.history("x").await.unwrap_err()).await,
        "malformed_response"
    );

    faults.endpoint(
        EndpointFault::status("/prompt", 500)
            .method("POST")
            .times(1),
    );
    let e = c
        .submit_prompt(&success_graph(), &new_id(), "t", None)
        .await
        .unwrap_err();
    assert_eq!(code_of(e).await, "server_error");

    // Slow → timeout.
    let slow = client_with(
        &fake,
        Auth::None,
        ClientOptions {
            request_timeout: Duration::from_millis(200),
            ..options()
        },
    );
    faults.endpoint(EndpointFault::delay("/system_stats", Duration::from_millis(1500)).times(1));
    let started = std::time::Instant::now();
    let e = slow.system_stats().await.unwrap_err();
    assert!(matches!(e, ComfyError::Timeout { .. }), "{e:?}");
    assert!(started.elapsed() < Duration::from_millis(1200));
    assert_eq!(code_of(e).await, "server_timeout");

    // Oversized JSON.
    let capped = client_with(
        &fake,
        Auth::None,
        ClientOptions {
            max_object_info_bytes: 10_000,
            ..options()
        },
    );
    let e = capped.object_info().await.unwrap_err();
    assert!(
        matches!(e, ComfyError::BodyTooLarge { limit: 10_000, .. }),
        "{e:?}"
    );
    assert_eq!(code_of(e).await, "response_too_large");
}

#[tokio::test]
async fn refused_connections_and_unknown_hosts_are_told_apart() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let endpoint =
        animatrix_comfy::Endpoint::parse(&format!("http://127.0.0.1:{port}/"), Auth::None).unwrap();
    let c = animatrix_comfy::ComfyClient::new(endpoint, options()).unwrap();
    let e = c.queue().await.unwrap_err();
    assert!(matches!(e, ComfyError::Unreachable { .. }), "{e:?}");
    let user = e.explain();
    assert_eq!(user.code, "server_unreachable");
    assert!(user.message.contains(&format!("127.0.0.1:{port}")));
    assert_eq!(
        code_of(c.connect_events("x").await.unwrap_err()).await,
        "server_unreachable"
    );

    let endpoint =
        animatrix_comfy::Endpoint::parse("http://no-such-host.invalid:8188/", Auth::None).unwrap();
    let c = animatrix_comfy::ComfyClient::new(endpoint, options()).unwrap();
    let e = c.queue().await.unwrap_err();
    assert!(matches!(e, ComfyError::Dns { .. }), "{e:?}");
    assert!(e.explain().message.contains("no-such-host.invalid"));
    assert_eq!(
        code_of(c.connect_events("x").await.unwrap_err()).await,
        "server_not_found"
    );
}

#[tokio::test]
async fn cancel_dequeues_pending_interrupts_running_and_ignores_finished() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let (a, b) = (new_id(), new_id());
    fake.faults()
        .on_prompt(&a, PromptFault::default().hang_at("3"));
    let (_, ta) = hub
        .submit(&success_graph_salted(1), &a, None)
        .await
        .unwrap();
    let (_, tb) = hub
        .submit(&success_graph_salted(2), &b, None)
        .await
        .unwrap();
    assert!(fake.wait_running(&a, WAIT).await);
    assert_eq!(
        c.cancel(&b).await.unwrap(),
        animatrix_comfy::Cancellation::Dequeued
    );
    assert_eq!(
        c.cancel(&a).await.unwrap(),
        animatrix_comfy::Cancellation::Interrupted
    );
    let oa = tokio::time::timeout(WAIT, ta.outcome())
        .await
        .unwrap()
        .unwrap();
    let ob = tokio::time::timeout(WAIT, tb.outcome())
        .await
        .unwrap()
        .unwrap();
    assert!(matches!(oa, Outcome::Interrupted(_)), "{oa:?}");
    assert_eq!(ob, Outcome::Vanished);
    assert_eq!(
        c.cancel(&a).await.unwrap(),
        animatrix_comfy::Cancellation::NotActive
    );
    // Only targeted interrupts were sent.
    assert!(
        fake.interrupts()
            .iter()
            .all(|i| i.prompt_id.as_deref() == Some(a.as_str()))
    );
}
