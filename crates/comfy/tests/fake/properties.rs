//! Property: whatever the socket-drop schedule, every tracked prompt reaches its true terminal
//! state (the one the server recorded in its history).

use std::time::Duration;

use animatrix_comfy::Outcome;
use fake_comfy::PromptFault;
use proptest::prelude::*;

use crate::common::*;

#[derive(Debug, Clone)]
enum Fate {
    Succeed,
    FailAt(&'static str),
    InterruptAt(&'static str),
}

fn fate() -> impl Strategy<Value = Fate> {
    prop_oneof![
        2 => Just(Fate::Succeed),
        1 => prop::sample::select(vec!["2", "3", "5"]).prop_map(Fate::FailAt),
        1 => prop::sample::select(vec!["3", "5"]).prop_map(Fate::InterruptAt),
    ]
}

#[derive(Debug, Clone)]
struct Schedule {
    fates: Vec<Fate>,
    /// Drop every socket after this many more delivered messages (several times).
    drop_after: Vec<u64>,
    /// Drop when this prompt's node starts.
    drop_at_node: Option<(usize, &'static str)>,
}

fn schedule() -> impl Strategy<Value = Schedule> {
    (
        prop::collection::vec(fate(), 1..=3),
        prop::collection::vec(1u64..30, 0..=3),
        prop::option::of((0usize..3, prop::sample::select(vec!["1", "3", "6"]))),
    )
        .prop_map(|(fates, drop_after, drop_at_node)| Schedule {
            fates,
            drop_after,
            drop_at_node,
        })
}

/// The outcome the server's own history implies.
fn truth(entry: Option<serde_json::Value>) -> &'static str {
    let Some(entry) = entry else {
        return "vanished";
    };
    let messages = entry["status"]["messages"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let last = messages.iter().rev().find_map(|m| {
        m[0].as_str().filter(|k| {
            k.starts_with("execution_") && *k != "execution_start" && *k != "execution_cached"
        })
    });
    match last {
        Some("execution_success") => "success",
        Some("execution_error") => "error",
        Some("execution_interrupted") => "interrupted",
        other => panic!("unexpected history {other:?}"),
    }
}

fn label(o: &Outcome) -> &'static str {
    match o {
        Outcome::Success(_) => "success",
        Outcome::Error(_) => "error",
        Outcome::Interrupted(_) => "interrupted",
        Outcome::Vanished => "vanished",
        Outcome::Failed(_) => "failed",
    }
}

async fn run(schedule: Schedule) {
    let fake = fake().await;
    fake.set_exec_ms(1);
    let c = client(&fake);
    let hub = hub(&c);
    connected(&hub).await;
    let ids: Vec<String> = schedule.fates.iter().map(|_| new_id()).collect();
    for (id, fate) in ids.iter().zip(&schedule.fates) {
        let fault = match fate {
            Fate::Succeed => PromptFault::default(),
            Fate::FailAt(n) => PromptFault::default().error_at(*n),
            Fate::InterruptAt(n) => PromptFault::default().interrupt_at(*n),
        };
        fake.faults().on_prompt(id, fault);
    }
    if let Some((i, node)) = schedule.drop_at_node
        && let Some(id) = ids.get(i)
    {
        fake.faults()
            .on_prompt(id, PromptFault::default().drop_sockets_at(node));
    }
    if let Some(first) = schedule.drop_after.first() {
        fake.faults().drop_websockets_after(*first);
    }
    // Later drops are armed as soon as the previous one fired (the hub has reconnected).
    let rearm = {
        let faults = fake.faults();
        let drops: Vec<u64> = schedule.drop_after.iter().skip(1).copied().collect();
        let hub = hub.clone();
        tokio::spawn(async move {
            let mut state = hub.connection();
            for n in drops {
                // Wait for a reconnect before arming the next drop.
                let _ = state
                    .wait_for(|s| !matches!(s, animatrix_comfy::hub::ConnectionState::Connected))
                    .await;
                let _ = state
                    .wait_for(|s| matches!(s, animatrix_comfy::hub::ConnectionState::Connected))
                    .await;
                faults.drop_websockets_after(n);
            }
        })
    };
    let mut tracked = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let graph = success_graph_salted(i as u64);
        tracked.push(hub.submit(&graph, id, None).await.unwrap().1);
    }
    for (id, t) in ids.iter().zip(tracked) {
        let outcome = tokio::time::timeout(WAIT, t.outcome())
            .await
            .unwrap_or_else(|_| panic!("{id}: no outcome in time ({schedule:?})"))
            .unwrap();
        let expected = truth(fake.wait_for_history(id, Duration::from_millis(500)).await);
        assert_eq!(label(&outcome), expected, "{id} with {schedule:?}");
    }
    rearm.abort();
    hub.shutdown();
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 8,
        max_shrink_iters: 16,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_tracked_prompt_reaches_its_true_terminal_state(schedule in schedule()) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        rt.block_on(run(schedule));
    }
}
