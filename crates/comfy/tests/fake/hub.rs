//! The event hub: live events, previews, socket drops, restarts, recovery by polling.

use std::time::Duration;

use animatrix_comfy::hub::Preview;
use animatrix_comfy::{Outcome, Tracked, TrackedEvent};
use fake_comfy::PromptFault;

use crate::common::*;

async fn collect(mut tracked: Tracked) -> (Vec<TrackedEvent>, Outcome) {
    let mut events = Vec::new();
    let outcome = tokio::time::timeout(WAIT, async {
        loop {
            match tracked.next().await {
                Some(TrackedEvent::Finished(o)) => return o,
                Some(e) => events.push(e),
                None => panic!("tracking ended without an outcome"),
            }
        }
    })
    .await
    .expect("outcome in time");
    (events, outcome)
}

#[tokio::test]
async fn progress_and_previews_with_metadata_reach_the_tracker() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    // The first frame the client sends is feature_flags (so previews carry metadata).
    assert!(
        fake.wait_until(WAIT, |f| !f.ws_frames_received().is_empty())
            .await
    );
    let frames = fake.ws_frames_received();
    assert_eq!(frames[0].0, hub.client_id());
    let first: serde_json::Value = serde_json::from_str(&frames[0].1).unwrap();
    assert_eq!(first["type"], "feature_flags");
    assert_eq!(first["data"]["supports_preview_metadata"], true);
    let mut all = hub.subscribe();
    let (_, tracked) = hub.submit(&s2v_graph(), &new_id(), None).await.unwrap();
    let (events, outcome) = collect(tracked).await;
    // Operator views see the raw stream too.
    assert!(matches!(
        all.try_recv(),
        Ok(animatrix_comfy::SocketEvent::Message(_))
    ));
    assert!(matches!(outcome, Outcome::Success(_)), "{outcome:?}");
    let previews: Vec<&Preview> = events
        .iter()
        .filter_map(|e| match e {
            TrackedEvent::Preview(p) => Some(p),
            _ => None,
        })
        .collect();
    assert!(!previews.is_empty(), "{events:?}");
    for p in &previews {
        assert_eq!(p.node_id.as_deref(), Some("13"), "the KSampler");
        assert_eq!(p.mime, "image/png");
        assert_eq!(&p.image[..4], b"\x89PNG");
    }
    assert!(events.iter().any(|e| matches!(
        e,
        TrackedEvent::Progress { node: Some(n), max, .. } if n == "13" && *max == 4.0
    )));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, TrackedEvent::ProgressState(_)))
    );
    // feature_flags told the client the upload limit.
    assert_eq!(
        c.features().await.unwrap().max_upload_size,
        Some(104_857_600)
    );
}

#[tokio::test]
async fn a_socket_dropped_mid_run_reconnects_and_the_prompt_still_succeeds() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().drop_sockets_at("5"));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    let (_, outcome) = collect(tracked).await;
    let Outcome::Success(entry) = outcome else {
        panic!("{outcome:?}")
    };
    assert_eq!(entry.files().len(), 1);
    assert!(
        fake.wait_until(WAIT, |f| f.ws_connections_total() >= 2)
            .await,
        "the hub reconnected"
    );
}

#[tokio::test]
async fn a_server_restart_mid_run_ends_in_vanished() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let id = new_id();
    fake.faults()
        .on_prompt(&id, PromptFault::default().hang_at("3"));
    let (_, tracked) = hub.submit(&success_graph(), &id, None).await.unwrap();
    assert!(fake.wait_running(&id, WAIT).await);
    fake.restart_with_downtime(Duration::from_millis(100))
        .await
        .unwrap();
    let (_, outcome) = collect(tracked).await;
    assert_eq!(outcome, Outcome::Vanished);
    assert_eq!(
        animatrix_common::Explain::explain(&outcome.into_result(&id).unwrap_err()).code,
        "lost_on_server"
    );
    // After the restart the hub works again.
    connected(&hub).await;
    let (_, tracked) = hub.submit(&success_graph(), &new_id(), None).await.unwrap();
    assert!(matches!(collect(tracked).await.1, Outcome::Success(_)));
}

#[tokio::test]
async fn prompts_submitted_elsewhere_are_followed_by_polling_and_recovered_after_the_fact() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    // Submitted under another client_id: no socket event will ever reach the hub.
    let running = new_id();
    fake.faults()
        .on_prompt(&running, PromptFault::default().hang_at("3"));
    c.submit_prompt(&success_graph(), &running, "previous-run-of-the-app", None)
        .await
        .unwrap();
    let pending = new_id();
    c.submit_prompt(&success_graph(), &pending, "previous-run-of-the-app", None)
        .await
        .unwrap();
    let t_running = hub.track(&running);
    let t_pending = hub.track(&pending);
    assert!(fake.wait_running(&running, WAIT).await);
    fake.faults().release_hangs();
    let ((ev_running, out_running), (ev_pending, out_pending)) =
        tokio::join!(collect(t_running), collect(t_pending));
    assert!(
        matches!(out_running, Outcome::Success(_)),
        "{out_running:?}"
    );
    assert!(
        matches!(out_pending, Outcome::Success(_)),
        "{out_pending:?}"
    );
    assert!(
        ev_running.contains(&TrackedEvent::Started),
        "{ev_running:?}"
    );
    assert!(
        ev_pending.contains(&TrackedEvent::Queued { ahead: 1 }),
        "{ev_pending:?}"
    );

    // Tracking a prompt that already finished gives its outcome at once; an unknown one
    // (e.g. the server lost it) vanishes.
    let (_, again) = collect(hub.track(&running)).await;
    assert!(matches!(again, Outcome::Success(_)));
    let (_, lost) = collect(hub.track("00000000-dead-4000-8000-000000000000")).await;
    assert_eq!(lost, Outcome::Vanished);
}

#[tokio::test]
async fn several_prompts_in_flight_each_get_their_own_outcome() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let ids: Vec<String> = (0..3).map(|_| new_id()).collect();
    fake.faults()
        .on_prompt(&ids[1], PromptFault::default().error_at("3"));
    let mut tracked = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let graph = success_graph_salted(i as u64);
        tracked.push(hub.submit(&graph, id, None).await.unwrap().1);
    }
    let mut outcomes = Vec::new();
    for t in tracked {
        outcomes.push(collect(t).await.1);
    }
    assert!(matches!(outcomes[0], Outcome::Success(_)));
    assert!(matches!(&outcomes[1], Outcome::Error(e) if e.node_id == "3"));
    assert!(matches!(outcomes[2], Outcome::Success(_)));
}

#[tokio::test]
async fn a_rejected_submission_is_not_tracked() {
    let fake = fake().await;
    let c = client(&fake);
    let hub = hub(&c);
    let mut graph = success_graph();
    graph["2"]["class_type"] = "NoSuchNodeXYZ".into();
    let err = hub.submit(&graph, &new_id(), None).await.unwrap_err();
    assert_eq!(
        animatrix_common::Explain::explain(&err).code,
        "server_missing_extension"
    );
}
