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

enum Stop {
    Interrupted { node: String },
    Error(ExecErrorSpec, Vec<String>),
}

struct Run<'a> {
    shared: &'a Shared,
    item: &'a QueueItem,
    client: Option<String>,
    messages: Vec<Value>,
    progress: IndexMap<String, (Value, Value, &'static str)>,
    executed: Vec<String>,
    ui: IndexMap<String, Value>,
    interrupt: watch::Receiver<bool>,
    release: watch::Receiver<u64>,
    hang_epoch: u64,
}

fn node_class(prompt: &Value, id: &str) -> String {
    prompt
        .get(id)
        .and_then(|n| n.get("class_type"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

fn link_of(v: &Value) -> Option<(String, Value)> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    Some((a[0].as_str()?.to_string(), a[1].clone()))
}

fn inputs_in_order(item: &QueueItem, id: &str) -> Vec<(String, Value)> {
    let Some(inputs) = item
        .prompt
        .get(id)
        .and_then(|n| n.get("inputs"))
        .and_then(Value::as_object)
    else {
        return vec![];
    };
    let mut names: Vec<String> = item
        .input_order
        .get(id)
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .filter(|n| inputs.contains_key(n))
        .collect();
    for k in inputs.keys() {
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    names
        .into_iter()
        .filter_map(|n| inputs.get(&n).cloned().map(|v| (n, v)))
        .collect()
}

/// Node signatures (class + literal inputs + upstream signatures), the fake's cache key.
fn signatures(shared: &Shared, item: &QueueItem) -> HashMap<String, String> {
    fn sig(
        shared: &Shared,
        item: &QueueItem,
        id: &str,
        memo: &mut HashMap<String, String>,
        depth: usize,
    ) -> String {
        if let Some(s) = memo.get(id) {
            return s.clone();
        }
        let mut h = Sha256::new();
        let class = node_class(&item.prompt, id);
        h.update(class.as_bytes());
        for (name, v) in inputs_in_order(item, id) {
            h.update(name.as_bytes());
            match link_of(&v) {
                Some((from, idx)) if depth < 512 && item.prompt.get(&from).is_some() => {
                    h.update(sig(shared, item, &from, memo, depth + 1).as_bytes());
                    h.update(idx.to_string().as_bytes());
                }
                _ => h.update(v.to_string().as_bytes()),
            }
        }
        // Like IS_CHANGED of the Load* nodes: a changed input file is a new signature.
        if let Some(file) = input_file_of(&class, &item.prompt, id)
            && let Ok(meta) = std::fs::metadata(annotated_path(shared, &file))
        {
            h.update(meta.len().to_le_bytes());
            if let Ok(m) = meta.modified() {
                h.update(format!("{m:?}").as_bytes());
            }
        }
        let s = format!("{:x}", h.finalize());
        memo.insert(id.to_string(), s.clone());
        s
    }
    let mut memo = HashMap::new();
    if let Some(nodes) = item.prompt.as_object() {
        for id in nodes.keys() {
            sig(shared, item, id, &mut memo, 0);
        }
    }
    memo
}

fn input_file_of(class: &str, prompt: &Value, id: &str) -> Option<String> {
    let key = match class {
        "LoadImage" | "LoadImageMask" => "image",
        "LoadAudio" => "audio",
        "LoadVideo" => "file",
        _ => return None,
    };
    prompt
        .get(id)?
        .get("inputs")?
        .get(key)?
        .as_str()
        .map(str::to_string)
}

/// `folder_paths.get_annotated_filepath`: `name [output]` etc. pick the folder, default input.
pub(crate) fn annotated_path(shared: &Shared, name: &str) -> std::path::PathBuf {
    let (name, dir) = if let Some(n) = name.strip_suffix(" [output]") {
        (n, &shared.dirs.output)
    } else if let Some(n) = name.strip_suffix(" [temp]") {
        (n, &shared.dirs.temp)
    } else if let Some(n) = name.strip_suffix(" [input]") {
        (n, &shared.dirs.input)
    } else {
        (name, &shared.dirs.input)
    };
    dir.join(name)
}

fn is_output_node(shared: &Shared, class: &str) -> bool {
    shared
        .object_info
        .map
        .get(class)
        .and_then(|s| s.get("output_node"))
        .and_then(Value::as_bool)
        == Some(true)
}

/// ComfyUI's ExecutionList order: a stack-built pending list, then repeatedly the
/// `ux_friendly_pick_node` among unblocked nodes (outputs first, then their direct and
/// second-level feeders, else the first ready one).
fn execution_order(shared: &Shared, item: &QueueItem, cached: &HashSet<String>) -> Vec<String> {
    let mut pending: IndexSet<String> = IndexSet::new();
    let mut block_count: HashMap<String, usize> = HashMap::new();
    let mut blocking: HashMap<String, IndexSet<String>> = HashMap::new();
    for o in &item.outputs {
        let mut stack = vec![o.clone()];
        let mut links = Vec::new();
        while let Some(id) = stack.pop() {
            if pending.contains(&id) {
                continue;
            }
            pending.insert(id.clone());
            block_count.entry(id.clone()).or_insert(0);
            blocking.entry(id.clone()).or_default();
            for (_, v) in inputs_in_order(item, &id) {
                if let Some((from, _)) = link_of(&v)
                    && item.prompt.get(&from).is_some()
                    && !cached.contains(&from)
                {
                    stack.push(from.clone());
                    links.push((from, id.clone()));
                }
            }
        }
        for (from, to) in links {
            let set = blocking.entry(from).or_default();
            if set.insert(to.clone()) {
                *block_count.entry(to).or_insert(0) += 1;
            }
        }
    }
    let is_out = |id: &str| is_output_node(shared, &node_class(&item.prompt, id));
    let mut order = Vec::new();
    while !pending.is_empty() {
        let available: Vec<String> = pending
            .iter()
            .filter(|id| block_count.get(*id).copied().unwrap_or(0) == 0)
            .cloned()
            .collect();
        if available.is_empty() {
            break; // a cycle; validation refuses those
        }
        let blocked = |id: &String| blocking.get(id).cloned().unwrap_or_default();
        let pick = available
            .iter()
            .find(|id| is_out(id))
            .or_else(|| {
                available
                    .iter()
                    .find(|id| blocked(id).iter().any(|b| is_out(b)))
            })
            .or_else(|| {
                available.iter().find(|id| {
                    blocked(id)
                        .iter()
                        .any(|b| blocked(b).iter().any(|c| is_out(c)))
                })
            })
            .unwrap_or(&available[0])
            .clone();
        pending.shift_remove(&pick);
        for to in blocked(&pick) {
            if let Some(n) = block_count.get_mut(&to) {
                *n = n.saturating_sub(1);
            }
        }
        order.push(pick);
    }
    order
}

/// Steps a node reports through `progress`, and whether it sends previews with them.
fn progress_plan(class: &str, inputs: &Value) -> Option<(u64, bool)> {
    match class {
        "KSampler" | "KSamplerAdvanced" => {
            let steps = inputs
                .get("steps")
                .and_then(Value::as_u64)
                .unwrap_or(4)
                .clamp(1, 50);
            Some((steps, true))
        }
        "SamplerCustom" | "SamplerCustomAdvanced" => Some((4, true)),
        "WanSoundImageToVideo" | "WanSoundImageToVideoExtend" | "WanAnimateToVideo" => {
            Some((3, false))
        }
        _ => None,
    }
}

impl Run<'_> {
    fn pid(&self) -> &str {
        &self.item.prompt_id
    }

    /// ComfyUI `send_sync(event, data, server.client_id)`: client, or everyone without one.
    fn send_sync(&self, event: &str, data: &Value) {
        let mut st = self.shared.lock();
        send_json(&mut st, self.client.as_deref(), event, data);
    }

    /// Events guarded by `if server.client_id is not None`.
    fn send_client(&self, event: &str, data: &Value) {
        if let Some(c) = &self.client {
            let mut st = self.shared.lock();
            send_json(&mut st, Some(c), event, data);
        }
    }

    /// ComfyUI `add_message`: recorded for history, sent to the client (or broadcast if asked).
    fn add_message(&mut self, event: &str, mut data: Value, broadcast: bool) {
        if let Some(m) = data.as_object_mut() {
            m.insert("timestamp".into(), json!(now_ms()));
        }
        self.messages.push(json!([event, data.clone()]));
        if self.client.is_some() || broadcast {
            self.send_sync(event, &data);
        }
    }

    fn progress_state(&self) {
        let pid = self.pid().to_string();
        let nodes: serde_json::Map<String, Value> = self
            .progress
            .iter()
            .map(|(id, (value, max, state))| {
                (
                    id.clone(),
                    json!({
                        "value": value, "max": max, "state": state, "node_id": id,
                        "prompt_id": pid, "display_node_id": id, "parent_node_id": null,
                        "real_node_id": id,
                    }),
                )
            })
            .collect();
        self.send_sync("progress_state", &json!({"prompt_id": pid, "nodes": nodes}));
    }

    fn preview_frames(&self, node: &str) -> (Option<Vec<u8>>, Option<Vec<u8>>) {
        let metadata_client = self.client.as_ref().is_some_and(|c| {
            self.shared
                .lock()
                .sockets
                .get(c)
                .is_some_and(|s| s.preview_metadata)
        });
        let png = &self.shared.preview_png;
        if metadata_client {
            // json.dumps default separators: the byte length matches the capture (165 bytes
            // for a 36-char prompt_id).
            let meta = format!(
                "{{\"node_id\": {n}, \"prompt_id\": {p}, \"display_node_id\": {n}, \"parent_node_id\": null, \"real_node_id\": {n}, \"image_type\": \"image/png\"}}",
                n = Value::String(node.to_string()),
                p = Value::String(self.pid().to_string()),
            );
            let mut b = Vec::with_capacity(8 + meta.len() + png.len());
            b.extend_from_slice(&4u32.to_be_bytes());
            b.extend_from_slice(&(meta.len() as u32).to_be_bytes());
            b.extend_from_slice(meta.as_bytes());
            b.extend_from_slice(png);
            (Some(b), None)
        } else {
            let mut b = Vec::with_capacity(8 + png.len());
            b.extend_from_slice(&1u32.to_be_bytes());
            b.extend_from_slice(&2u32.to_be_bytes()); // 2 = PNG
            b.extend_from_slice(png);
            (None, Some(b))
        }
    }

    fn send_binary(&self, frame: Vec<u8>) {
        let mut st = self.shared.lock();
        deliver(&mut st, self.client.as_deref(), WsOut::Binary(frame));
    }

    fn interrupted(&self) -> bool {
        *self.interrupt.borrow()
    }

    /// Sleep, waking early on interrupt. Returns true when interrupted.
    async fn pace(&mut self, d: Duration) -> bool {
        if self.interrupted() {
            return true;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => {}
            _ = self.interrupt.wait_for(|v| *v) => {}
        }
        self.interrupted()
    }

    /// Wait for `release_hangs` (or an interrupt). Returns true when interrupted.
    async fn hang(&mut self) -> bool {
        let start = self.hang_epoch;
        tokio::select! {
            _ = self.release.wait_for(|v| *v != start) => {}
            _ = self.interrupt.wait_for(|v| *v) => {}
        }
        self.interrupted()
    }

    async fn run_node(&mut self, id: &str, fault: &PromptFault) -> Result<(), Stop> {
        let class = node_class(&self.item.prompt, id);
        let inputs = self
            .item
            .prompt
            .get(id)
            .and_then(|n| n.get("inputs"))
            .cloned()
            .unwrap_or(Value::Null);
        if fault.drop_sockets_at.as_deref() == Some(id) {
            drop_all_sockets(&mut self.shared.lock());
        }
        if fault.interrupt_at.as_deref() == Some(id) {
            self.shared.interrupt.send_replace(true);
        }
        self.progress
            .insert(id.to_string(), (json!(0.0), json!(1.0), "running"));
        self.progress_state();
        if let Some(r) = self.shared.lock().running.as_mut() {
            r.last_node = Some(id.to_string());
        }
        self.shared.bump();
        let pid = self.pid().to_string();
        self.send_client(
            "executing",
            &json!({"node": id, "display_node": id, "prompt_id": pid}),
        );
        let interrupted = |s: &Self| {
            s.interrupted().then(|| Stop::Interrupted {
                node: id.to_string(),
            })
        };
        if let Some(stop) = interrupted(self) {
            return Err(stop);
        }
        if fault.hang == Some(HangPoint::AtNode(id.to_string())) && self.hang().await {
            return Err(Stop::Interrupted {
                node: id.to_string(),
            });
        }
        if let Some(spec) = fault.error.as_ref().filter(|e| e.node_id == id) {
            return Err(Stop::Error(spec.clone(), literal_inputs(&inputs)));
        }
        if let Some(file) = input_file_of(&class, &self.item.prompt, id) {
            let path = annotated_path(self.shared, &file);
            if !path.is_file() {
                let spec = ExecErrorSpec {
                    node_id: id.to_string(),
                    exception_type: "FileNotFoundError".into(),
                    exception_message: format!(
                        "[Errno 2] No such file or directory: {}\n",
                        pyrepr::repr_str(&path.to_string_lossy())
                    ),
                    traceback: None,
                };
                return Err(Stop::Error(spec, literal_inputs(&inputs)));
            }
        }

        let exec_ms = self.shared.exec_ms();
        let mut finished = (json!(1.0), json!(1.0));
        if let Some((steps, previews)) = progress_plan(&class, &inputs) {
            let per_step = Duration::from_millis((exec_ms * 2 / steps).max(1));
            for step in 1..=steps {
                if self.pace(per_step).await {
                    return Err(Stop::Interrupted {
                        node: id.to_string(),
                    });
                }
                self.progress
                    .insert(id.to_string(), (json!(step), json!(steps), "running"));
                self.progress_state();
                let (with_meta, legacy) = if previews {
                    self.preview_frames(id)
                } else {
                    (None, None)
                };
                if let Some(b) = with_meta {
                    self.send_binary(b);
                }
                self.send_sync(
                    "progress",
                    &json!({"value": step, "max": steps, "prompt_id": pid, "node": id}),
                );
                if let Some(b) = legacy {
                    self.send_binary(b);
                }
            }
            finished = (json!(steps), json!(steps));
        } else if self.pace(Duration::from_millis(exec_ms)).await {
            return Err(Stop::Interrupted {
                node: id.to_string(),
            });
        }

        if let Some(kind) = outputs::output_kind(&class).filter(|_| !fault.no_outputs) {
            let duplicate = fault.duplicate_output_in.as_deref();
            let ui = self
                .write_outputs(kind, &inputs, duplicate)
                .await
                .map_err(|msg| {
                    Stop::Error(
                        ExecErrorSpec {
                            node_id: id.to_string(),
                            exception_type: "Exception".into(),
                            exception_message: msg,
                            traceback: None,
                        },
                        literal_inputs(&inputs),
                    )
                })?;
            self.send_client(
                "executed",
                &json!({"node": id, "display_node": id, "output": ui, "prompt_id": pid}),
            );
            self.ui.insert(id.to_string(), ui);
        }
        self.progress
            .insert(id.to_string(), (finished.0, finished.1, "finished"));
        self.progress_state();
        self.executed.push(id.to_string());
        Ok(())
    }

    async fn write_outputs(
        &self,
        kind: OutputKind,
        inputs: &Value,
        duplicate_in: Option<&str>,
    ) -> Result<Value, String> {
        let prefix_input = inputs.get("filename_prefix").and_then(Value::as_str);
        let vhs_to_temp = kind == OutputKind::VhsVideo
            && inputs.get("save_output").and_then(Value::as_bool) == Some(false);
        let (base, prefix) = match kind {
            OutputKind::Video => (
                &self.shared.dirs.output,
                prefix_input.unwrap_or("video/ComfyUI").to_string(),
            ),
            OutputKind::Image => (
                &self.shared.dirs.output,
                prefix_input.unwrap_or("ComfyUI").to_string(),
            ),
            OutputKind::Preview => (&self.shared.dirs.temp, outputs::temp_prefix()),
            OutputKind::VhsVideo => (
                if vhs_to_temp {
                    &self.shared.dirs.temp
                } else {
                    &self.shared.dirs.output
                },
                prefix_input.unwrap_or("AnimateDiff").to_string(),
            ),
        };
        let sp = outputs::save_path(base, &prefix)?;
        let io = |e: std::io::Error| e.to_string();
        tokio::fs::create_dir_all(&sp.folder).await.map_err(io)?;
        if kind == OutputKind::VhsVideo {
            let counter = outputs::vhs_counter(&sp.folder, &sp.filename);
            let audio = inputs.get("audio").and_then(link_of).is_some();
            let stem = format!("{}_{counter:05}", sp.filename);
            let file = format!("{stem}{}.mp4", if audio { "-audio" } else { "" });
            let workflow = format!("{stem}.png");
            let path = sp.folder.join(&file);
            tokio::fs::copy(&self.shared.captures.sample_output_mp4, &path)
                .await
                .map_err(io)?;
            tokio::fs::write(sp.folder.join(&workflow), &self.shared.image_png)
                .await
                .map_err(io)?;
            let frame_rate = inputs
                .get("frame_rate")
                .and_then(Value::as_f64)
                .unwrap_or(8.0);
            return Ok(json!({"gifs": [{
                "filename": file,
                "subfolder": sp.subfolder,
                "type": if vhs_to_temp { "temp" } else { "output" },
                "format": inputs.get("format").cloned().unwrap_or(json!("video/h264-mp4")),
                "frame_rate": frame_rate,
                "workflow": workflow,
                "fullpath": path.to_string_lossy(),
            }]}));
        }
        let ext = if kind == OutputKind::Video {
            "mp4"
        } else {
            "png"
        };
        let file = format!("{}_{:05}_.{ext}", sp.filename, sp.counter);
        let path = sp.folder.join(&file);
        if kind == OutputKind::Video {
            tokio::fs::copy(&self.shared.captures.sample_output_mp4, &path)
                .await
                .map_err(io)?;
        } else {
            tokio::fs::write(&path, &self.shared.image_png)
                .await
                .map_err(io)?;
        }
        let mut files = vec![(file.clone(), sp.subfolder.clone())];
        if let Some(sub) = duplicate_in.filter(|_| kind != OutputKind::Preview) {
            // Same name, other folder, other bytes (still valid media: the video gets a
            // trailing `free` box, the image is another PNG).
            let other = outputs::save_path(base, &format!("{sub}/{}", sp.filename))?;
            tokio::fs::create_dir_all(&other.folder).await.map_err(io)?;
            let bytes = if kind == OutputKind::Video {
                let mut v = tokio::fs::read(&self.shared.captures.sample_output_mp4)
                    .await
                    .map_err(io)?;
                v.extend_from_slice(b"\0\0\0\x08free");
                v
            } else {
                self.shared.preview_png.clone()
            };
            tokio::fs::write(other.folder.join(&file), bytes)
                .await
                .map_err(io)?;
            files.push((file, other.subfolder));
        }
        Ok(outputs::ui_for(kind, &files))
    }
}

fn literal_inputs(inputs: &Value) -> Vec<String> {
    // Serialized later into current_inputs; keep names only here, values are read at report time.
    inputs
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

fn current_inputs(inputs: &Value, names: &[String]) -> Value {
    let mut out = serde_json::Map::new();
    for n in names {
        let Some(v) = inputs.get(n) else { continue };
        let shown = match link_of(v) {
            // ComfyUI formats non-primitive values with str(); the fake has no real objects.
            Some((from, idx)) => json!(format!("<output {idx} of node {from}>")),
            None => v.clone(),
        };
        out.insert(n.clone(), json!([shown]));
    }
    Value::Object(out)
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

fn order_all(item: &QueueItem) -> Vec<String> {
    item.prompt
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
