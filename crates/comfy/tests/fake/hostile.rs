//! Issue 15, client side: a broken or hostile server never leaves a tracked prompt hanging.
//! Each case asserts the typed end state, the time it took and how many requests it cost.

use std::time::{Duration, Instant};

use animatrix_comfy::{ClientOptions, ComfyError, EventHub, HubOptions, Outcome, TrackedEvent};
use animatrix_common::Explain;
use fake_comfy::{EndpointFault, ExpectedAuth, FakeComfyHandle, LostAnswer, PromptFault};

use crate::common::*;

/// GET requests on `path` (a prefix when it ends in `*`) seen by the fake so far.
fn gets(fake: &FakeComfyHandle, path: &str) -> usize {
    fake.requests()
        .iter()
        .filter(|r| r.method == "GET")
        .filter(|r| match path.strip_suffix('*') {
            Some(prefix) => r.path.starts_with(prefix),
            None => r.path == path,
        })
        .count()
}

async fn outcome_within(tracked: animatrix_comfy::Tracked, limit: Duration) -> (Outcome, Duration) {
    let started = Instant::now();
    let outcome = tokio::time::timeout(limit, tracked.outcome())
        .await
        .expect("the tracker ends within its bound")
        .expect("an outcome, not a closed hub");
    let took = started.elapsed();
    let what = match &outcome {
        Outcome::Failed(e) => format!("failed({})", e.explain().code),
        Outcome::Success(_) => "success".into(),
        other => format!("{other:?}"),
    };
    eprintln!("MEASURED outcome {what} after {took:?}");
    (outcome, took)
}

fn failure_code(outcome: &Outcome) -> String {
    match outcome {
        Outcome::Failed(e) => e.explain().code.to_string(),
        other => panic!("expected a failed outcome, got {other:?}"),
    }
}

/// /history answers that cannot be used after the socket reported success: malformed JSON,
/// wrong types, invalid UTF-8. Old: re-polled ~5 times a second forever. New: `Failed` with
/// `malformed_response` after `max_bad_answers` (3) reads with backoff, in well under 2 s.
#[tokio::test]
async fn unusable_history_answers_end_failed_after_bounded_retries() {
    for what in ["truncated JSON", "wrong types", "invalid UTF-8"] {
        let fake = fake().await;
        let c = client(&fake);
        let hub = hub(&c);
        connected(&hub).await;
        let id = new_id();
        let body: Vec<u8> = match what {
            "truncated JSON" => b"{\"x\": [1, {".to_vec(),
            "wrong types" => {
                format!("{{\"{id}\": {{\"prompt\": \"nope\", \"outputs\": 5}}}}").into_bytes()
            }
            _ => [
                &b"{\""[..],
                id.as_bytes(),
                b"\": {\"prompt\": [0, \"\xff\xfe\"]}}",
            ]
            .concat(),
        };
        fake.faults()
            .endpoint(EndpointFault::json_body(format!("/history/{id}"), body));
        let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
        let (outcome, took) = outcome_within(tracked, WAIT).await;
        assert_eq!(failure_code(&outcome), "malformed_response", "{what}");
        assert!(took < Duration::from_secs(2), "{what}: {took:?}");
        let reads = gets(&fake, &format!("/history/{id}"));
        assert_eq!(reads, 3, "{what}: exactly max_bad_answers reads");
        // Typed through `into_result` too, with the cause's code.
        let err = outcome.into_result(&id).unwrap_err();
        assert!(matches!(err, ComfyError::TrackingFailed { .. }), "{err:?}");
        assert_eq!(err.explain().code, "malformed_response");
    }
}

/// A malformed /queue while following a prompt posted elsewhere (its events never reach us).
#[tokio::test]
async fn a_malformed_queue_ends_a_followed_prompt_failed() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().hang_at("3"));
    c.submit_prompt(&success_graph(), &id, "another-client", None)
        .await
        .unwrap();
    assert!(fake.wait_running(&id, WAIT).await);
    fake.faults()
        .endpoint(EndpointFault::malformed_json("/queue"));
    let (outcome, took) = outcome_within(hub.track(&id), WAIT).await;
    assert_eq!(failure_code(&outcome), "malformed_response");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert!(gets(&fake, "/queue") <= 4, "{}", gets(&fake, "/queue"));
}

/// A history entry over the body cap (the 1e6 outputs, ~60 MB). Old: read 64 MB, drop,
/// re-poll forever. New: refused from its Content-Length, `Failed(response_too_large)` on the
/// first read, no second read.
#[tokio::test]
async fn a_history_entry_over_the_cap_is_terminal_at_once() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let id = new_id();
    let mut body =
        format!("{{\"{id}\": {{\"prompt\": [0, \"{id}\", {{}}, {{}}, []], \"outputs\": {{");
    for n in 0..1_000_000u32 {
        if n > 0 {
            body.push(',');
        }
        body.push_str(&format!(
            "\"{n}\":{{\"images\":[{{\"filename\":\"o_{n:07}.png\",\"subfolder\":\"\",\"type\":\"output\"}}]}}"
        ));
    }
    body.push_str("}}}");
    assert!(body.len() > 60_000_000, "{}", body.len());
    fake.faults()
        .endpoint(EndpointFault::json_body(format!("/history/{id}"), body));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    let (outcome, took) = outcome_within(tracked, WAIT).await;
    assert_eq!(failure_code(&outcome), "response_too_large");
    assert!(took < Duration::from_secs(2), "{took:?}");
    assert_eq!(gets(&fake, &format!("/history/{id}")), 1);
}

/// `GET /history/{id}` never answers. Old: one request per 30 s timeout, forever. New:
/// `Failed(server_timeout)` after `max_poll_timeouts` (3) timeouts.
#[tokio::test]
async fn a_history_that_never_answers_ends_after_bounded_timeouts() {
    let fake = fake().await;
    let c = client_with(
        &fake,
        animatrix_comfy::Auth::None,
        ClientOptions {
            request_timeout: Duration::from_millis(200),
            ..options()
        },
    );
    let hub = hub(&c);
    connected(&hub).await;
    let id = new_id();
    fake.faults()
        .endpoint(EndpointFault::hang(format!("/history/{id}")));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    let (outcome, took) = outcome_within(tracked, WAIT).await;
    assert_eq!(failure_code(&outcome), "server_timeout");
    // 3 × 200 ms timeouts + 50 + 100 ms backoff.
    assert!(took < Duration::from_secs(3), "{took:?}");
    assert_eq!(gets(&fake, &format!("/history/{id}")), 3);
}

/// Credentials revoked after the prompt was posted: every request (and the socket handshake)
/// answers 401. Old: ~5 /queue requests a second, no error. New: `Failed(auth_rejected)` at
/// once, and no request loop afterwards (only socket reconnects, backing off).
#[tokio::test]
async fn revoked_credentials_end_auth_rejected_without_a_request_loop() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().hang_at("3"));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    assert!(fake.wait_running(&id, WAIT).await);
    fake.faults()
        .require_auth(ExpectedAuth::Bearer("rotated".into()));
    fake.faults().drop_websockets_now();
    let (outcome, took) = outcome_within(tracked, WAIT).await;
    assert_eq!(failure_code(&outcome), "auth_rejected");
    assert!(took < Duration::from_secs(2), "{took:?}");
    let before = fake.requests().len();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let after: Vec<_> = fake.requests()[before..].to_vec();
    assert!(
        after.iter().all(|r| r.websocket),
        "only socket reconnects: {:?}",
        after.iter().map(|r| &r.path).collect::<Vec<_>>()
    );
    // Backoff doubles from 20 ms to the tests' 200 ms cap: at most ~8 handshakes a second
    // (the default cap is 30 s).
    assert!(after.len() <= 8, "reconnects back off: {}", after.len());
}

/// The server gone for longer than the hub's budget: `Failed(server_unreachable)` shortly after
/// the budget, instead of polling forever.
#[tokio::test]
async fn an_unreachable_server_ends_tracking_after_the_budget() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = EventHub::start(
        c.clone(),
        HubOptions {
            unreachable_budget: Duration::from_millis(600),
            ..hub_options()
        },
    );
    connected(&hub).await;
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().hang_at("3"));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    assert!(fake.wait_running(&id, WAIT).await);
    fake.shutdown().await;
    let (outcome, took) = outcome_within(tracked, WAIT).await;
    assert_eq!(failure_code(&outcome), "server_unreachable");
    assert!(took >= Duration::from_millis(600), "{took:?}");
    assert!(took < Duration::from_secs(3), "{took:?}");
}

/// While the socket is healthy, /queue (every queued prompt's graph) is read once per prompt
/// at submit time; positions then follow the `status` broadcasts and never go up.
#[tokio::test]
async fn no_queue_polling_while_the_socket_is_healthy() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = EventHub::start(
        c.clone(),
        HubOptions {
            history_check_interval: Duration::from_secs(60),
            ..hub_options()
        },
    );
    connected(&hub).await;
    let ids: Vec<String> = (0..3).map(|_| new_id()).collect();
    fake.faults()
        .on_prompt(&ids[0], PromptFault::default().hang_at("3"));
    let mut tracked = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        tracked.push(
            hub.submit(&success_graph_salted(i as u64), id, None)
                .await
                .unwrap()
                .1,
        );
    }
    assert!(fake.wait_running(&ids[0], WAIT).await);
    // Let the submit-time reads finish, then watch a quiet second.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let queue_reads = gets(&fake, "/queue");
    assert!(queue_reads <= 3, "{queue_reads}");
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        gets(&fake, "/queue"),
        queue_reads,
        "no /queue polling while healthy"
    );
    fake.faults().release_hangs();
    let last = tracked.pop().unwrap();
    let mut events = Vec::new();
    let outcome = tokio::time::timeout(WAIT, async {
        let mut last = last;
        loop {
            match last.next().await {
                Some(TrackedEvent::Finished(o)) => return o,
                Some(e) => events.push(e),
                None => panic!("no outcome"),
            }
        }
    })
    .await
    .unwrap();
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    let ahead: Vec<usize> = events
        .iter()
        .filter_map(|e| match e {
            TrackedEvent::Queued { ahead } => Some(*ahead),
            _ => None,
        })
        .collect();
    assert_eq!(ahead.first(), Some(&2), "{events:?}");
    assert!(
        ahead.windows(2).all(|w| w[1] < w[0]),
        "never increases: {ahead:?}"
    );
    assert!(
        ahead.len() >= 2,
        "positions follow the status broadcasts: {ahead:?}"
    );
    for t in tracked {
        assert!(matches!(t.outcome().await.unwrap(), Outcome::Success(_)));
    }
    // Finished prompts are followed by the server taking the next one: no deletion suspected,
    // no further read.
    assert_eq!(
        gets(&fake, "/queue"),
        queue_reads,
        "{}",
        gets(&fake, "/queue")
    );
}

/// A pending prompt cancelled through the hub ends at once (the socket says nothing about a
/// deleted pending prompt).
#[tokio::test]
async fn cancelling_a_pending_prompt_through_the_hub_ends_it_promptly() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let (a, b) = (new_id(), new_id());
    fake.faults()
        .on_prompt(&a, PromptFault::default().hang_at("3"));
    let (_, _ta) = hub
        .submit(&success_graph_salted(1), &a, None)
        .await
        .unwrap();
    let (_, tb) = hub
        .submit(&success_graph_salted(2), &b, None)
        .await
        .unwrap();
    assert!(fake.wait_running(&a, WAIT).await);
    assert_eq!(
        hub.cancel(&b).await.unwrap(),
        animatrix_comfy::Cancellation::Dequeued
    );
    let (outcome, took) = outcome_within(tb, WAIT).await;
    assert_eq!(outcome, Outcome::Vanished);
    assert!(took < Duration::from_secs(1), "{took:?}");
    fake.faults().release_hangs();
}

/// A proxy that accepts every WebSocket upgrade and cuts it at once. Old: the backoff reset on
/// each handshake, ~4 reconnects a second (+ a poll each). New: the backoff keeps doubling.
#[tokio::test]
async fn a_proxy_dropping_every_upgrade_gets_exponential_reconnects() {
    let fake = fake().await;
    fake.faults().drop_websockets_on_upgrade(true);
    let c = client(&fake);
    let hub = EventHub::start(
        c.clone(),
        HubOptions {
            backoff_min: Duration::from_millis(50),
            backoff_max: Duration::from_secs(2),
            socket_healthy_after: Duration::from_secs(1),
            ..hub_options()
        },
    );
    tokio::time::sleep(Duration::from_secs(3)).await;
    let reconnects = fake.ws_connections_total();
    eprintln!("MEASURED {reconnects} handshakes in 3 s");
    // 50 + 100 + 200 + 400 + 800 + 1600 ms: at most 7 connections in 3 s (was ~60).
    assert!((3..=7).contains(&reconnects), "{reconnects}");
    assert_eq!(gets(&fake, "/queue"), 0, "nothing tracked, nothing polled");
    // Once the proxy behaves, the hub connects within the (capped) backoff.
    fake.faults().drop_websockets_on_upgrade(false);
    tokio::time::timeout(Duration::from_secs(5), async {
        let mut state = hub.connection();
        loop {
            if *state.borrow_and_update() == animatrix_comfy::ConnectionState::Connected
                && fake.ws_connections_open() == 1
            {
                return;
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), state.changed()).await;
        }
    })
    .await
    .expect("connects again");
}

/// POST /prompt whose answer is lost although the server queued and runs the prompt: a
/// timeout, a proxy page instead of JSON, another prompt id. Old: the job failed (once as
/// `lost_on_server`) and the result was never collected. New: `PromptAnswerLost`, and
/// `reconcile` finds the prompt and follows it to its success.
#[tokio::test]
async fn a_lost_prompt_answer_is_reconciled_to_the_real_outcome() {
    let cases = [
        (LostAnswer::Hang, "server_timeout"),
        (LostAnswer::Garbled, "malformed_response"),
        (LostAnswer::WrongPromptId, "unexpected_response"),
    ];
    for (i, (how, cause_code)) in cases.into_iter().enumerate() {
        let fake = fake().await;
        let c = client_with(
            &fake,
            animatrix_comfy::Auth::None,
            ClientOptions {
                request_timeout: Duration::from_millis(500),
                ..options()
            },
        );
        let hub = hub(&c);
        connected(&hub).await;
        let id = new_id();
        fake.faults().endpoint(
            EndpointFault::answer_lost("/prompt", how)
                .method("POST")
                .times(1),
        );
        let started = Instant::now();
        let err = hub
            .submit(&success_graph_salted(i as u64), &id, None)
            .await
            .unwrap_err();
        let ComfyError::PromptAnswerLost { prompt_id, cause } = &err else {
            panic!("{how:?}: {err:?}")
        };
        assert_eq!(prompt_id, &id);
        assert_eq!(cause.explain().code, cause_code, "{how:?}");
        assert_eq!(err.explain().code, "prompt_answer_lost");
        let tracked = hub
            .reconcile(&id)
            .await
            .unwrap()
            .expect("the server has it");
        let (outcome, _) = outcome_within(tracked, WAIT).await;
        assert!(
            matches!(outcome, Outcome::Success(_)),
            "{how:?}: {outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(
            fake.prompts().iter().filter(|p| p.prompt_id == id).count(),
            1,
            "posted once"
        );
    }
    // A prompt the server never saw: `None` after the grace look, so it can be sent again.
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let started = Instant::now();
    assert!(hub.reconcile(&new_id()).await.unwrap().is_none());
    assert!(started.elapsed() < Duration::from_secs(1));
}
