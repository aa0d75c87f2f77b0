#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Every capture in ../shared/comfyui decodes into the typed model, and re-encodes to the
//! same JSON: a field the model does not know would vanish in the round trip and fail here.
//! No websocket or history message may decode to `ServerMessage::Unknown`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use animatrix_comfy::model::misc::{
    DeleteRequest, FolderPaths, InterruptRequest, ModelFolder, UsersInfo,
};
use animatrix_comfy::model::*;
use animatrix_comfy::{InputProblem, PromptRejection, RejectionKind};
use animatrix_common::Explain;
use bytes::Bytes;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

fn captures_dir() -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/comfyui"
    ))
}

fn load(name: &str) -> Value {
    let text = std::fs::read_to_string(captures_dir().join(name)).expect("capture readable");
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// First path where two JSON values differ.
fn diff(a: &Value, b: &Value, path: &str) -> Option<String> {
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for (k, va) in x {
                match y.get(k) {
                    None => return Some(format!("{path}.{k}: dropped by the model")),
                    Some(vb) => {
                        if let Some(d) = diff(va, vb, &format!("{path}.{k}")) {
                            return Some(d);
                        }
                    }
                }
            }
            y.keys()
                .find(|k| !x.contains_key(*k))
                .map(|k| format!("{path}.{k}: added by the model"))
        }
        (Value::Array(x), Value::Array(y)) => {
            if x.len() != y.len() {
                return Some(format!("{path}: length {} vs {}", x.len(), y.len()));
            }
            x.iter()
                .zip(y)
                .enumerate()
                .find_map(|(i, (va, vb))| diff(va, vb, &format!("{path}[{i}]")))
        }
        _ if a == b => None,
        _ => Some(format!("{path}: {a} became {b}")),
    }
}

/// Decode `v` as `T` and check the re-encoding is identical.
fn roundtrip<T: DeserializeOwned + Serialize>(v: &Value, ctx: &str) -> T {
    let typed: T = serde_json::from_value(v.clone()).unwrap_or_else(|e| {
        panic!(
            "{ctx}: does not decode as {}: {e}",
            std::any::type_name::<T>()
        )
    });
    let back = serde_json::to_value(&typed).expect("re-encode");
    if let Some(d) = diff(v, &back, ctx) {
        panic!("{ctx}: round trip differs at {d}");
    }
    typed
}

fn assert_known(m: &ServerMessage, ctx: &str) {
    assert!(!m.is_unknown(), "{ctx}: decoded as Unknown: {m:?}");
}

fn check_outputs(outputs: &NodeOutputs, ctx: &str) {
    assert!(
        outputs.other.is_empty(),
        "{ctx}: untyped output keys {:?}",
        outputs.other.keys().collect::<Vec<_>>()
    );
}

fn check_graph(graph: &ApiGraph, ctx: &str) {
    for (id, node) in graph {
        assert!(
            node.extra.is_empty(),
            "{ctx}: node {id} has untyped keys {:?}",
            node.extra
        );
    }
}

fn check_history(v: &Value, ctx: &str) -> History {
    let history: History = roundtrip(v, ctx);
    for (id, entry) in &history {
        assert_eq!(entry.prompt_id(), id, "{ctx}");
        check_graph(&entry.prompt.graph, ctx);
        for (node, out) in &entry.outputs {
            check_outputs(out, &format!("{ctx} outputs[{node}]"));
        }
        let status = entry
            .status
            .as_ref()
            .expect("captured entries have a status");
        for m in &status.messages {
            assert_known(&m.0, ctx);
        }
        assert!(
            status.terminal_message().is_some(),
            "{ctx}: no terminal event"
        );
    }
    history
}

fn check_status(v: &Value, ctx: &str) -> HistoryStatus {
    let status: HistoryStatus = roundtrip(v, ctx);
    for m in &status.messages {
        assert_known(&m.0, ctx);
    }
    status
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Captured<T> {
    status: u16,
    #[serde(
        default,
        deserialize_with = "present",
        skip_serializing_if = "Option::is_none"
    )]
    content_type: Option<Option<String>>,
    body: T,
}

/// Tells an absent `content_type` from a `null` one.
fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    <Option<String> as serde::Deserialize>::deserialize(d).map(Some)
}

fn check_message_value(msg: &Value, ctx: &str) -> ServerMessage {
    let m: ServerMessage = roundtrip(msg, ctx);
    assert_known(&m, ctx);
    if let ServerMessage::Executed(d) = &m {
        check_outputs(&d.output, ctx);
    }
    m
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// Rebuild a binary frame from its capture record (head bytes + metadata + filler image) and
/// decode it.
fn check_binary(rec: &Value, ctx: &str) -> BinaryMessage {
    let length = rec["length"].as_u64().expect("length") as usize;
    let head = hex(rec["head_hex"].as_str().expect("head_hex"));
    let event_type = rec["event_type_u32be"].as_u64().expect("type") as u32;
    assert_eq!(
        u32::from_be_bytes(head[0..4].try_into().unwrap()),
        event_type
    );
    match event_type {
        1 => {
            let mut frame = head.clone();
            frame.resize(length, 0xAB);
            let parsed = BinaryMessage::parse(Bytes::from(frame)).expect(ctx);
            let BinaryMessage::PreviewImage { format, image } = &parsed else {
                panic!("{ctx}: {parsed:?}");
            };
            let code = rec["image_format_u32be"].as_u64().unwrap() as u32;
            assert_eq!(format.code(), code, "{ctx}");
            assert_eq!(*format, ImageFormat::Png, "{ctx}");
            assert_eq!(image.len(), length - 8, "{ctx}");
            assert_eq!(&image[..4], b"\x89PNG", "{ctx}");
            parsed
        }
        4 => {
            let metadata: PreviewMetadata = roundtrip(&rec["metadata"], ctx);
            let declared = u32::from_be_bytes(head[4..8].try_into().unwrap()) as usize;
            // The server's JSON is Python's (", " separators); its length leaves the image size.
            let image_len = length - 8 - declared;
            let image = Bytes::from(vec![0x42u8; image_len]);
            let frame = BinaryMessage::PreviewImageWithMetadata {
                metadata: metadata.clone(),
                image: image.clone(),
            }
            .encode()
            .expect("encode");
            assert_eq!(&frame[..4], &head[..4], "{ctx}");
            assert_eq!(
                &frame[8..16],
                &head[8..16],
                "{ctx}: metadata JSON starts the same"
            );
            let parsed = BinaryMessage::parse(frame).expect(ctx);
            assert_eq!(
                parsed,
                BinaryMessage::PreviewImageWithMetadata { metadata, image },
                "{ctx}"
            );
            parsed
        }
        other => panic!("{ctx}: unexpected binary type {other}"),
    }
}

fn check_jsonl(name: &str) -> usize {
    let text = std::fs::read_to_string(captures_dir().join(name)).expect("readable");
    let mut count = 0;
    for (i, line) in text
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
    {
        let ctx = format!("{name}:{}", i + 1);
        let rec: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{ctx}: {e}"));
        match rec["frame"].as_str() {
            Some("text") => {
                check_message_value(&rec["msg"], &ctx);
                // And from the raw frame text, as the socket reader sees it.
                let m = ServerMessage::from_json(&rec["msg"].to_string()).expect(&ctx);
                assert_known(&m, &ctx);
            }
            Some("binary") => {
                check_binary(&rec, &ctx);
            }
            Some("harness_note") => continue,
            other => panic!("{ctx}: unknown frame kind {other:?}"),
        }
        count += 1;
    }
    count
}

fn check_accepted(v: &Value, ctx: &str) -> PromptAccepted {
    let accepted: PromptAccepted = roundtrip(v, ctx);
    assert!(accepted.node_errors.is_empty());
    accepted
}

/// Returns the number of values checked in the file.
fn check_file(name: &str) -> usize {
    if name.ends_with(".jsonl") {
        return check_jsonl(name);
    }
    if name == "ws_connect_probe.txt" {
        let text = std::fs::read_to_string(captures_dir().join(name)).unwrap();
        let mut n = 0;
        for line in text.lines().filter(|l| l.starts_with('{')) {
            let m = check_message_value(&serde_json::from_str(line).unwrap(), name);
            assert!(matches!(
                m,
                ServerMessage::Status(StatusData { sid: Some(_), .. })
            ));
            n += 1;
        }
        assert_eq!(n, 2);
        return n;
    }
    let v = load(name);
    match name {
        "embeddings.json" => {
            roundtrip::<Vec<String>>(&v, name);
            1
        }
        "features.json" => {
            let f: Features = roundtrip(&v, name);
            assert_eq!(f.max_upload_size, Some(104_857_600));
            1
        }
        "system_stats.json" => {
            let s: SystemStats = roundtrip(&v, name);
            assert_eq!(s.system.comfyui_version.as_deref(), Some("0.3.64"));
            assert!(s.gpu().is_none(), "the capture server is CPU only");
            1
        }
        "queue_empty.json" => {
            let q: Queue = roundtrip(&v, name);
            assert!(q.is_empty());
            1
        }
        "queue_while_running.json" => {
            let q: Queue = roundtrip(&v["GET /queue right after POST /prompt"], name);
            assert!(q.is_running("7e9ef516-fe18-4d5a-b778-ce2f3710f19c"));
            assert_eq!(q.queue_running[0].client_id(), Some("harness-f4a9c20b"));
            assert_eq!(q.queue_running[0].outputs_to_execute, vec!["6"]);
            check_graph(&q.queue_running[0].graph, name);
            let info: PromptQueueInfo = roundtrip(&v["GET /prompt right after POST"], name);
            assert_eq!(info.exec_info.queue_remaining, 1);
            2
        }
        "history_success.json" => {
            let h = check_history(&v, name);
            let entry = h.values().next().unwrap();
            let files = entry.files();
            assert_eq!(files.len(), 1);
            assert_eq!(files[0].file.filename, "harness_00001_.mp4");
            assert_eq!(files[0].file.subfolder, "video");
            assert_eq!(files[0].file.file_type, FileType::Output);
            assert!(files[0].animated);
            1
        }
        "history_multi_output.json" => {
            let h = check_history(&v, name);
            let files = h.values().next().unwrap().files();
            let keys: Vec<&str> = files.iter().map(|f| f.key).collect();
            assert!(keys.contains(&"gifs") && keys.contains(&"audio") && keys.contains(&"images"));
            assert_eq!(files.len(), 11);
            1
        }
        "history_exec_error.json" | "history_interrupt.json" => {
            let h = check_history(&v, name);
            let status = h.values().next().unwrap().status.clone().unwrap();
            assert!(!status.is_success());
            1
        }
        "history_success_cached_resubmit.json" => {
            check_accepted(&v["prompt_response"], name);
            check_history(&v["history"], name);
            2
        }
        "history_delete_probe.json" => {
            let req: DeleteRequest = roundtrip(&v["request"], name);
            assert_eq!(req.delete.as_ref().map(Vec::len), Some(1));
            let after = check_history(&v["history_after"], name);
            assert!(after.is_empty());
            assert_eq!(v["body"], "");
            2
        }
        "exec_error_context.json" => {
            check_accepted(&v["slow_prompt_response"], name);
            let req: PromptRequest = roundtrip(&v["failing_prompt_request"], name);
            check_graph(&req.prompt, name);
            let resp: Captured<PromptAccepted> = roundtrip(&v["failing_prompt_response"], name);
            assert_eq!(resp.status, 200);
            let item: QueueItem = roundtrip(&v["queue_with_pending"]["raw_pending_first"], name);
            assert_eq!(item.prompt_id, "127e4376-e407-47f9-a9bf-94f335ee9532");
            roundtrip::<Vec<String>>(&v["queue_with_pending"]["queue_running_ids"], name);
            roundtrip::<Vec<String>>(&v["queue_with_pending"]["queue_pending_ids"], name);
            check_status(&v["slow_job_status"], name);
            6
        }
        "interrupt_delete_log.json" => {
            let obj = v.as_object().unwrap();
            let mut n = 0;
            for (k, rec) in obj {
                let ctx = format!("{name}[{k}]");
                if k.starts_with("prompt_response") {
                    roundtrip::<Captured<PromptAccepted>>(rec, &ctx);
                } else if k.starts_with("post_queue_delete") || k == "post_queue_clear" {
                    if let Some(req) = rec.get("request") {
                        roundtrip::<DeleteRequest>(req, &ctx);
                    }
                    assert_eq!(rec["body"], "");
                } else if k == "post_interrupt_targeted_not_running" {
                    roundtrip::<InterruptRequest>(&rec["request"], &ctx);
                } else if k == "post_interrupt_global" {
                    assert!(rec["request"].is_null());
                } else if k.starts_with("queue_") {
                    roundtrip::<BTreeMap<String, Vec<String>>>(rec, &ctx);
                } else if k == "history_J2_deleted" {
                    assert!(check_history(rec, &ctx).is_empty());
                } else if k == "history_J3_status" {
                    check_status(rec, &ctx);
                } else if k == "ids" {
                    roundtrip::<BTreeMap<String, String>>(rec, &ctx);
                } else if k == "seconds_from_interrupt_to_terminal_msg" {
                    assert!(rec.is_number());
                } else {
                    panic!("{ctx}: unhandled key");
                }
                n += 1;
            }
            n
        }
        "misc_endpoints.json" => {
            let obj = v.as_object().unwrap();
            for (path, rec) in obj {
                let ctx = format!("{name}[{path}]");
                let body = &rec["body"];
                let status = rec["status"].as_u64().unwrap();
                if status == 404 {
                    assert_eq!(body, "", "{ctx}");
                    roundtrip::<Captured<String>>(rec, &ctx);
                    continue;
                }
                match path.as_str() {
                    "/system_stats" => drop(roundtrip::<Captured<SystemStats>>(rec, &ctx)),
                    "/queue" => drop(roundtrip::<Captured<Queue>>(rec, &ctx)),
                    "/prompt" => drop(roundtrip::<Captured<PromptQueueInfo>>(rec, &ctx)),
                    "/features" => drop(roundtrip::<Captured<Features>>(rec, &ctx)),
                    "/settings"
                    | "/view_metadata/loras?filename=WanAnimate_relight_lora_fp16.safetensors" => {
                        drop(roundtrip::<Captured<Map<String, Value>>>(rec, &ctx))
                    }
                    "/users" => drop(roundtrip::<Captured<UsersInfo>>(rec, &ctx)),
                    "/experiment/models" => {
                        drop(roundtrip::<Captured<Vec<ModelFolder>>>(rec, &ctx))
                    }
                    "/internal/folder_paths" => drop(roundtrip::<Captured<FolderPaths>>(rec, &ctx)),
                    p if p.starts_with("/history") => {
                        check_history(body, &ctx);
                    }
                    p if p.starts_with("/object_info") => {
                        let info: ObjectInfo = roundtrip(body, &ctx);
                        if p.ends_with("NoSuchNode") {
                            assert!(info.is_empty());
                        }
                    }
                    p if p.starts_with("/models")
                        || p == "/embeddings"
                        || p == "/internal/files/input" =>
                    {
                        drop(roundtrip::<Captured<Vec<String>>>(rec, &ctx))
                    }
                    other => panic!("{ctx}: unhandled endpoint {other}"),
                }
            }
            obj.len()
        }
        "models.json" => {
            let obj = v.as_object().unwrap();
            for (path, body) in obj {
                let ctx = format!("{name}[{path}]");
                if path == "/models/not_a_folder" {
                    assert_eq!(body, "", "{ctx}: the 404 has an empty body");
                } else {
                    roundtrip::<Vec<String>>(body, &ctx);
                }
            }
            obj.len()
        }
        "object_info.json" | "object_info_core.json" => {
            let info: ObjectInfo = roundtrip(&v, name);
            check_object_info(&info, name);
            info.len()
        }
        "multi_output_prompt_request.json" | "success_prompt_request.json" => {
            let req: PromptRequest = roundtrip(&v, name);
            check_graph(&req.prompt, name);
            assert!(req.client_id.is_some());
            1
        }
        "wan_animate_probe.json" | "wan_s2v_probe.json" => {
            let graph: ApiGraph = roundtrip(&v, name);
            check_graph(&graph, name);
            assert!(graph.values().any(|n| n.class_type == "SaveVideo"));
            1
        }
        "wan_animate_probe_result.json" | "wan_s2v_probe_result.json" => {
            roundtrip::<Captured<PromptAccepted>>(&v["validation"], name);
            let h = check_history(&v["history"], name);
            let status = h.values().next().unwrap().status.as_ref().unwrap();
            let Some(ServerMessage::ExecutionError(e)) = status.terminal_message() else {
                panic!("{name}: expected an execution error");
            };
            // The harness summary agrees with the typed error.
            let summary = &v["execution_error_summary"];
            assert_eq!(summary["node_id"], e.node_id.as_str());
            assert_eq!(summary["node_type"], e.node_type.as_str());
            assert_eq!(summary["exception_type"], e.exception_type.as_str());
            assert_eq!(summary["exception_message"], e.exception_message.as_str());
            assert_eq!(
                summary["executed"],
                serde_json::to_value(&e.executed).unwrap()
            );
            assert_eq!(
                summary.as_object().unwrap().len(),
                5,
                "{name}: summary has new fields"
            );
            let err = animatrix_comfy::ComfyError::ExecutionFailed(e.clone()).explain();
            assert_eq!(err.code, "server_model_broken", "{name}: a loader failed");
            2
        }
        "upload_responses.json" => {
            let obj = v.as_object().unwrap();
            for (k, rec) in obj {
                let ctx = format!("{name}[{k}]");
                if k == "request_format" {
                    assert!(rec.is_string());
                } else if rec["status"] == 400 {
                    assert_eq!(rec["body"], "", "{ctx}");
                    roundtrip::<Captured<String>>(rec, &ctx);
                } else {
                    let r: Captured<UploadedFile> = roundtrip(rec, &ctx);
                    if k == "image_png_subfolder_probe_sub" {
                        assert_eq!(r.body.as_input_value(), "probe_sub/test_image.png");
                    }
                }
            }
            obj.len()
        }
        "view_responses.json" => {
            #[derive(serde::Serialize, serde::Deserialize)]
            struct ViewProbe {
                #[serde(default, skip_serializing_if = "Option::is_none")]
                node: Option<String>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                key: Option<String>,
                params: BTreeMap<String, String>,
                #[serde(default, skip_serializing_if = "Option::is_none")]
                url: Option<String>,
                status: u16,
                headers: BTreeMap<String, String>,
                size: u64,
            }
            let probes: Vec<ViewProbe> = roundtrip(&v, name);
            for p in &probes {
                if p.status == 200 {
                    assert_eq!(p.headers["Content-Length"], p.size.to_string());
                }
                // Every param set that named a valid type is a FileRef the client can send.
                if let Some(t) = p.params.get("type")
                    && t != "bogus"
                {
                    let file = serde_json::json!({
                        "filename": p.params["filename"],
                        "subfolder": p.params.get("subfolder").cloned().unwrap_or_default(),
                        "type": t,
                    });
                    roundtrip::<FileRef>(&file, name);
                }
            }
            probes.len()
        }
        "routing_notes.json" => {
            check_accepted(&v["prompt3_custom_prompt_id_response"], name);
            let extra: ExtraData = roundtrip(&v["history3_extra_data"], name);
            assert_eq!(extra.client_id.as_deref(), Some("harness-A"));
            assert_eq!(extra.other.get("anything"), Some(&Value::from(1)));
            roundtrip::<String>(&v["prompt1_client_A"], name);
            roundtrip::<String>(&v["prompt2_no_client_id"], name);
            4
        }
        "prompt_response_success.json" => {
            let r: Captured<PromptAccepted> = roundtrip(&v, name);
            assert_eq!(r.body.prompt_id, "7e9ef516-fe18-4d5a-b778-ce2f3710f19c");
            1
        }
        "prompt_error_all_cases.json" => {
            let obj = v.as_object().unwrap();
            for (case, rec) in obj {
                check_prompt_case(case, rec);
            }
            obj.len()
        }
        n if n.starts_with("prompt_error_") => {
            let case = match n {
                "prompt_error_bad_combo.json" => "combo_value_not_in_list",
                "prompt_error_bad_link.json" => "link_to_nonexistent_node",
                "prompt_error_missing_input.json" => "missing_required_input",
                "prompt_error_unknown_class.json" => "unknown_class_type",
                other => panic!("{other}: no expectation for this capture"),
            };
            check_prompt_case(case, &v);
            1
        }
        other => panic!("{other}: capture not covered by the decoding tests; add it"),
    }
}

fn check_object_info(info: &ObjectInfo, name: &str) {
    // Both combo encodings are present and typed.
    let unet = info["UNETLoader"].input("unet_name").unwrap();
    assert!(matches!(
        unet.kind,
        InputKind::Combo {
            encoding: ComboEncoding::Legacy,
            options: Some(_)
        }
    ));
    let codec = info["SaveVideo"].input("codec").unwrap();
    assert!(
        matches!(&codec.kind, InputKind::Combo { encoding: ComboEncoding::V3, options: Some(o) } if o.iter().any(|x| x == "h264")),
        "{name}: {codec:?}"
    );
    let amount = info["RepeatImageBatch"].input("amount").unwrap();
    assert_eq!(amount.type_name(), "INT");
    assert_eq!(amount.min(), Some(1.0));
    assert_eq!(amount.max(), Some(4096.0));
    assert!(
        info["SaveImage"].input("prompt").unwrap().bare,
        "v1 hidden input"
    );
    // Every node: typed input specs in all three sections.
    let mut combos = 0;
    for schema in info.values() {
        for section in [
            &schema.input.required,
            &schema.input.optional,
            &schema.input.hidden,
        ]
        .into_iter()
        .flatten()
        {
            combos += section
                .values()
                .filter(|s| matches!(s.kind, InputKind::Combo { .. }))
                .count();
        }
    }
    assert!(combos > 100, "{name}: {combos} combos");
}

fn check_prompt_case(case: &str, rec: &Value) {
    let ctx = format!("prompt case {case}");
    if let Some(graph) = rec.get("request_prompt") {
        if case == "missing_class_type_field" {
            // The request itself is invalid: the typed graph refuses it, as the server does.
            assert!(serde_json::from_value::<ApiGraph>(graph.clone()).is_err());
        } else {
            let g: ApiGraph = roundtrip(graph, &ctx);
            check_graph(&g, &ctx);
        }
    }
    let status = rec["status"].as_u64().unwrap();
    match status {
        200 => {
            check_accepted(&rec["body"], &ctx);
            return;
        }
        500 => {
            assert!(
                rec["body"]
                    .as_str()
                    .unwrap()
                    .starts_with("500 Internal Server Error")
            );
            return;
        }
        400 => {}
        other => panic!("{ctx}: status {other}"),
    }
    let body: PromptErrorBody = roundtrip(&rec["body"], &ctx);
    let rejection = PromptRejection::from_body(body);
    let user = animatrix_comfy::ComfyError::PromptRejected(Box::new(rejection.clone())).explain();
    assert!(!user.detail.is_empty(), "{ctx}");
    let first = rejection
        .primary_problem()
        .map(|(n, p)| (n.node_id.clone(), p.clone()));
    match case {
        "unknown_class_type" | "multiple_errors_unknown_plus_combo" => {
            assert_eq!(
                rejection.kind,
                RejectionKind::UnknownNodeType {
                    class_type: "NoSuchNodeXYZ".into(),
                    node_id: Some("3".into())
                },
                "{ctx}"
            );
            assert_eq!(user.code, "server_missing_extension");
            assert!(user.detail.contains("NoSuchNodeXYZ"));
        }
        "missing_class_type_field" => {
            assert_eq!(
                rejection.kind,
                RejectionKind::MissingClassType {
                    node_id: Some("2".into())
                }
            );
            assert_eq!(user.code, "workflow_invalid");
        }
        "no_output_nodes" => {
            assert_eq!(rejection.kind, RejectionKind::NoOutputs);
            assert_eq!(user.code, "workflow_no_outputs");
        }
        "no_prompt_key" => {
            assert_eq!(rejection.kind, RejectionKind::NoPrompt);
            assert_eq!(user.code, "workflow_missing");
        }
        "cycle" => {
            assert_eq!(
                rejection.kind,
                RejectionKind::FailedValidation { nodes: vec![] }
            );
            assert_eq!(user.code, "workflow_invalid");
        }
        "missing_required_input" => {
            let (node, p) = first.unwrap();
            assert_eq!(node, "2");
            assert_eq!(
                p,
                InputProblem::RequiredInputMissing {
                    input: "width".into()
                }
            );
            assert_eq!(user.code, "workflow_setting_missing");
        }
        "combo_value_not_in_list" => {
            let (_, p) = first.unwrap();
            let InputProblem::ValueNotInList {
                input,
                received,
                options,
            } = p
            else {
                panic!("{ctx}: {p:?}");
            };
            assert_eq!(input, "upscale_method");
            assert_eq!(received, "super-resample");
            assert_eq!(options.len(), 5);
            assert_eq!(user.code, "server_missing_model");
        }
        "link_to_nonexistent_node" | "link_output_index_out_of_range" => {
            let (_, p) = first.unwrap();
            let InputProblem::ExceptionDuringInnerValidation {
                exception_type,
                linked_node,
                ..
            } = p
            else {
                panic!("{ctx}: {p:?}");
            };
            assert!(matches!(
                exception_type.as_deref(),
                Some("KeyError" | "IndexError")
            ));
            assert!(linked_node.is_some());
            assert_eq!(user.code, "workflow_invalid");
        }
        "missing_input_file" | "v3_combo_bad_value_LoadVideo" => {
            let (_, p) = first.unwrap();
            assert!(
                matches!(p, InputProblem::CustomValidationFailed { .. }),
                "{ctx}: {p:?}"
            );
            assert_eq!(user.code, "server_input_unreadable");
        }
        "int_below_min" => {
            let (_, p) = first.unwrap();
            assert_eq!(
                p,
                InputProblem::ValueSmallerThanMin {
                    input: "amount".into(),
                    received: 0.into(),
                    min: Some(1.into())
                }
            );
            assert_eq!(user.code, "setting_too_small");
        }
        "int_not_a_number" => {
            let (_, p) = first.unwrap();
            let InputProblem::InvalidInputType {
                input,
                expected_type,
                received,
                ..
            } = p
            else {
                panic!("{ctx}: {p:?}");
            };
            assert_eq!(
                (input.as_str(), expected_type.as_deref()),
                ("amount", Some("INT"))
            );
            assert_eq!(received, "abc");
            assert_eq!(user.code, "setting_wrong_kind");
        }
        "link_type_mismatch" => {
            let (_, p) = first.unwrap();
            assert_eq!(
                p,
                InputProblem::ReturnTypeMismatch {
                    input: "images".into(),
                    received_type: Some("AUDIO".into()),
                    expected_type: Some("IMAGE".into()),
                    linked_node: Some(serde_json::json!(["4x", 0])),
                }
            );
            assert_eq!(user.code, "workflow_incompatible");
        }
        "multiple_node_errors" => {
            let RejectionKind::FailedValidation { nodes } = &rejection.kind else {
                panic!("{ctx}");
            };
            assert_eq!(nodes.len(), 2, "all failing nodes are kept");
            assert_eq!(nodes[0].node_id, "2");
            assert!(
                user.detail.contains("node 3 (RepeatImageBatch)"),
                "{}",
                user.detail
            );
        }
        other => panic!("{other}: no expectation for this prompt error case"),
    }
    // No node jargon in what the user reads.
    for word in ["node", "class_type", "Exception", "traceback"] {
        assert!(!user.message.contains(word), "{ctx}: {:?}", user.message);
    }
}

#[test]
fn every_capture_decodes_into_the_typed_model_without_losing_fields() {
    let mut names: Vec<String> = std::fs::read_dir(captures_dir())
        .expect("../shared/comfyui exists")
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".json") || n.ends_with(".jsonl") || n.ends_with(".txt"))
        .filter(|n| n != "VERSION.txt")
        .collect();
    names.sort();
    assert!(names.len() >= 40, "captures missing? {names:?}");
    let mut total = 0;
    for name in &names {
        total += check_file(name);
    }
    assert!(total > 1000, "{total}");
}

#[test]
fn every_section_7_message_type_is_captured_and_typed() {
    let mut kinds = std::collections::BTreeSet::new();
    for entry in std::fs::read_dir(captures_dir()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if !name.ends_with(".jsonl") {
            continue;
        }
        let text = std::fs::read_to_string(captures_dir().join(&name)).unwrap();
        for line in text.lines() {
            let rec: Value = serde_json::from_str(line).unwrap();
            if rec["frame"] == "text" {
                let m: ServerMessage = serde_json::from_value(rec["msg"].clone()).unwrap();
                kinds.insert(m.kind().to_owned());
            } else if rec["frame"] == "binary" {
                kinds.insert(format!("binary_{}", rec["event_type_u32be"]));
            }
        }
    }
    let expected = [
        "binary_1",
        "binary_4",
        "executed",
        "executing",
        "execution_cached",
        "execution_error",
        "execution_interrupted",
        "execution_start",
        "execution_success",
        "feature_flags",
        "progress",
        "progress_state",
        "status",
    ];
    assert_eq!(
        kinds.iter().map(String::as_str).collect::<Vec<_>>(),
        expected
    );
}

#[test]
fn unknown_messages_keep_their_data() {
    let raw = serde_json::json!({"type": "crystools.monitor", "data": {"cpu": 3.5}});
    let m: ServerMessage = serde_json::from_value(raw.clone()).unwrap();
    assert_eq!(
        m,
        ServerMessage::Unknown {
            kind: "crystools.monitor".into(),
            raw: serde_json::json!({"cpu": 3.5})
        }
    );
    assert_eq!(serde_json::to_value(&m).unwrap(), raw);
    // A known type with a shape we do not know is kept too, not dropped.
    let odd = serde_json::json!({"type": "execution_success", "data": {"prompt": 1}});
    let m: ServerMessage = serde_json::from_value(odd.clone()).unwrap();
    assert!(m.is_unknown());
    assert_eq!(serde_json::to_value(&m).unwrap(), odd);
}

#[test]
fn malformed_binary_frames_are_errors_not_panics() {
    assert!(BinaryMessage::parse(Bytes::from_static(b"\0\0")).is_err());
    assert!(BinaryMessage::parse(Bytes::from_static(b"\0\0\0\x04\0\0\0\xff{}")).is_err());
    assert!(BinaryMessage::parse(Bytes::from_static(b"\0\0\0\x04\0\0\0\x02{]")).is_err());
    assert!(BinaryMessage::parse(Bytes::from_static(b"\0\0\0\x01\0")).is_err());
    let unknown = BinaryMessage::parse(Bytes::from_static(b"\0\0\0\x09abc")).unwrap();
    assert_eq!(
        unknown,
        BinaryMessage::Unknown {
            event_type: 9,
            payload: Bytes::from_static(b"abc")
        }
    );
}
