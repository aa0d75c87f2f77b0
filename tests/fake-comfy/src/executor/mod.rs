//! The sequential prompt worker: "executes" each queued prompt by emitting the event sequence
//! captured from ComfyUI 0.3.64 (ws_trace_success.jsonl and friends), writing output files, and
//! recording a history entry in the shape of history_success.json / history_exec_error.json /
//! history_interrupt.json.
//!
//! Routing follows ComfyUI: `status` is broadcast; `execution_start`, `execution_cached`,
//! `executing`, `executed`, `execution_success`, `execution_error` only go to the prompt's
//! client_id (and not at all without one); `progress_state`, `progress`, legacy previews and
//! `execution_interrupted` go to the client, or to everyone when the prompt has no client_id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::Duration;

use indexmap::{IndexMap, IndexSet};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::faults::{ExecErrorSpec, HangPoint, PromptFault};
use crate::outputs::{self, OutputKind};
use crate::pyrepr;
use crate::state::{
    QueueItem, Running, Shared, WsOut, broadcast_status, deliver, drop_all_sockets, now_ms,
    send_json,
};

mod graph;
mod run;

use graph::*;

pub(crate) use graph::annotated_path;

/// Run the queue forever (cancelled by restart/shutdown).
pub(crate) async fn run(shared: Arc<Shared>) {
    loop {
        let item = next_item(&shared).await;
        execute(&shared, item).await;
    }
}

async fn next_item(shared: &Shared) -> QueueItem {
    loop {
        let notified = shared.queue_notify.notified();
        tokio::pin!(notified);
        notified.as_mut().enable();
        {
            let mut st = shared.lock();
            if st.running.is_none() && !st.pending.is_empty() {
                let best = st
                    .pending
                    .iter()
                    .enumerate()
                    .min_by(|a, b| {
                        a.1.sort_key()
                            .partial_cmp(&b.1.sort_key())
                            .unwrap_or(std::cmp::Ordering::Equal)
                    })
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                let item = st.pending.remove(best);
                st.running = Some(Running {
                    item: item.clone(),
                    last_node: None,
                });
                broadcast_status(&mut st);
                drop(st);
                shared.bump();
                return item;
            }
        }
        notified.await;
    }
}

pub(super) enum Stop {
    Interrupted { node: String },
    Error(ExecErrorSpec, Vec<String>),
}

pub(super) struct Run<'a> {
    pub(super) shared: &'a Shared,
    pub(super) item: &'a QueueItem,
    pub(super) client: Option<String>,
    pub(super) messages: Vec<Value>,
    pub(super) progress: IndexMap<String, (Value, Value, &'static str)>,
    pub(super) executed: Vec<String>,
    pub(super) ui: IndexMap<String, Value>,
    pub(super) interrupt: watch::Receiver<bool>,
    pub(super) release: watch::Receiver<u64>,
    pub(super) hang_epoch: u64,
}

/// Execute one prompt to its terminal state and record its history entry.
async fn execute(shared: &Arc<Shared>, item: QueueItem) {
    // ComfyUI clears a stale interrupt flag when a prompt starts.
    shared.interrupt.send_replace(false);
    let release_now = *shared.release.borrow();
    let (fault, hang_epoch) = shared
        .lock()
        .faults
        .take_for_prompt(&item.prompt_id, release_now);
    let mut run = Run {
        shared,
        item: &item,
        client: item.client_id(),
        messages: Vec::new(),
        progress: IndexMap::new(),
        executed: Vec::new(),
        ui: IndexMap::new(),
        interrupt: shared.interrupt.subscribe(),
        release: shared.release.subscribe(),
        hang_epoch,
    };
    if let Some(d) = fault.delay_start {
        run.pace(d).await;
    }
    if fault.hang == Some(HangPoint::BeforeStart) {
        run.hang().await;
    }

    let pid = item.prompt_id.clone();
    run.add_message("execution_start", json!({"prompt_id": pid}), false);

    let sigs = signatures(shared, &item);
    let previous = if shared.cache_enabled {
        shared.lock().cache.clone()
    } else {
        HashMap::new()
    };
    let all_nodes: Vec<String> = item
        .prompt
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    let cached: HashSet<String> = all_nodes
        .iter()
        .filter(|id| sigs.get(*id).is_some_and(|s| previous.contains_key(s)))
        .cloned()
        .collect();
    let mut cached_list: Vec<String> = cached.iter().cloned().collect();
    cached_list.sort();
    run.add_message(
        "execution_cached",
        json!({"nodes": cached_list, "prompt_id": pid}),
        false,
    );

    let order = execution_order(shared, &item, &cached);
    let mut outcome: Result<(), Stop> = Ok(());
    for id in &order {
        if cached.contains(id) {
            // A cached output node re-sends its UI without `executing`.
            let ui = sigs
                .get(id)
                .and_then(|s| previous.get(s).cloned().flatten());
            if let Some(ui) = ui {
                run.send_client(
                    "executed",
                    &json!({"node": id, "display_node": id, "output": ui, "prompt_id": pid}),
                );
                run.ui.insert(id.clone(), ui);
            }
            let st = json!({"prompt_id": pid, "nodes": {id.clone(): {
                "value": 1, "max": 1, "state": "finished", "node_id": id, "prompt_id": pid,
                "display_node_id": id, "parent_node_id": null, "real_node_id": id}}});
            run.send_sync("progress_state", &st);
            continue;
        }
        if let Err(stop) = run.run_node(id, &fault).await {
            outcome = Err(stop);
            break;
        }
    }

    // Cache what ran (and what was reused) for the next prompt, like ComfyUI's classic cache.
    {
        let mut new_cache = HashMap::new();
        for id in run.executed.iter().chain(cached.iter()) {
            if let Some(s) = sigs.get(id) {
                new_cache.insert(s.clone(), run.ui.get(id).cloned());
            }
        }
        shared.lock().cache = new_cache;
    }

    let (status_str, completed, outputs, meta) = match outcome {
        Ok(()) => {
            run.add_message("execution_success", json!({"prompt_id": pid}), false);
            let meta: serde_json::Map<String, Value> = run
                .ui
                .keys()
                .map(|id| {
                    (
                        id.clone(),
                        json!({"node_id": id, "display_node": id, "parent_node": null, "real_node_id": id}),
                    )
                })
                .collect();
            let outputs: serde_json::Map<String, Value> =
                run.ui.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            ("success", true, Value::Object(outputs), Value::Object(meta))
        }
        Err(Stop::Interrupted { node }) => {
            let data = json!({
                "prompt_id": pid, "node_id": node, "node_type": node_class(&item.prompt, &node),
                "executed": run.executed,
            });
            run.add_message("execution_interrupted", data, true);
            ("error", false, json!({}), json!({}))
        }
        Err(Stop::Error(spec, names)) => {
            let inputs = item
                .prompt
                .get(&spec.node_id)
                .and_then(|n| n.get("inputs"))
                .cloned()
                .unwrap_or(Value::Null);
            let traceback = spec.traceback.clone().map_or_else(
                || shared.captures.traceback_exec_error.clone(),
                |t| json!(t),
            );
            let data = json!({
                "prompt_id": pid,
                "node_id": spec.node_id,
                "node_type": node_class(&item.prompt, &spec.node_id),
                "executed": run.executed,
                "exception_message": spec.exception_message,
                "exception_type": spec.exception_type,
                "traceback": traceback,
                "current_inputs": current_inputs(&inputs, &names),
                "current_outputs": order_all(&item),
            });
            run.add_message("execution_error", data, false);
            ("error", false, json!({}), json!({}))
        }
    };

    let entry = json!({
        "prompt": item.as_json(),
        "outputs": outputs,
        "status": {"status_str": status_str, "completed": completed, "messages": run.messages},
        "meta": meta,
    });
    {
        let mut st = shared.lock();
        st.running = None;
        if st.history.len() >= 10_000 {
            st.history.shift_remove_index(0);
        }
        st.history.insert(pid.clone(), entry);
        broadcast_status(&mut st);
        if let Some(c) = run.client.as_deref() {
            send_json(
                &mut st,
                Some(c),
                "executing",
                &json!({"node": null, "prompt_id": pid}),
            );
        }
    }
    shared.bump();
}
