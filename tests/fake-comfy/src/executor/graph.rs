//! Reading the prompt graph: classes, links, input order, cache signatures, execution order.

use super::*;

pub(super) fn node_class(prompt: &Value, id: &str) -> String {
    prompt
        .get(id)
        .and_then(|n| n.get("class_type"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

pub(super) fn link_of(v: &Value) -> Option<(String, Value)> {
    let a = v.as_array()?;
    if a.len() != 2 {
        return None;
    }
    Some((a[0].as_str()?.to_string(), a[1].clone()))
}

pub(super) fn inputs_in_order(item: &QueueItem, id: &str) -> Vec<(String, Value)> {
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
pub(super) fn signatures(shared: &Shared, item: &QueueItem) -> HashMap<String, String> {
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

pub(super) fn input_file_of(class: &str, prompt: &Value, id: &str) -> Option<String> {
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

pub(super) fn is_output_node(shared: &Shared, class: &str) -> bool {
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
pub(super) fn execution_order(
    shared: &Shared,
    item: &QueueItem,
    cached: &HashSet<String>,
) -> Vec<String> {
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
pub(super) fn progress_plan(class: &str, inputs: &Value) -> Option<(u64, bool)> {
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

pub(super) fn literal_inputs(inputs: &Value) -> Vec<String> {
    // Serialized later into current_inputs; keep names only here, values are read at report time.
    inputs
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

pub(super) fn current_inputs(inputs: &Value, names: &[String]) -> Value {
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

pub(super) fn order_all(item: &QueueItem) -> Vec<String> {
    item.prompt
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}
