#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! The validator against ComfyUI's own verdicts: every captured POST /prompt case, plus one
//! hand-made graph per error class.

mod common;

use std::collections::BTreeSet;

use animatrix_workflow::{IssueKind, ObjectInfo, types_match, validate};
use common::*;
use serde_json::{Value, json};

fn kinds(r: Result<(), Vec<animatrix_workflow::GraphIssue>>) -> BTreeSet<(String, IssueKind)> {
    r.err()
        .unwrap_or_default()
        .into_iter()
        .map(|i| match i.kind {
            IssueKind::Cycle => ("<cycle>".to_owned(), i.kind),
            _ => (i.node_id, i.kind),
        })
        .collect()
}

#[test]
fn agrees_with_the_server_on_every_captured_case() {
    let info = captured_object_info();
    let cases = read_json(shared("comfyui/prompt_error_all_cases.json"));
    let mut checked = 0;
    for (name, case) in cases.as_object().unwrap() {
        let Some(prompt) = case.get("request_prompt") else {
            continue;
        };
        let ours = kinds(validate(prompt, &info));
        let expected: BTreeSet<(String, IssueKind)> = match name.as_str() {
            // Deliberately stricter: the server queues these and fails at run time.
            "combo_value_not_in_list_newstyle_COMBO" | "v3_combo_bad_value_UpscaleModelLoader" => {
                let node = ours
                    .iter()
                    .next()
                    .map(|(n, _)| n.clone())
                    .unwrap_or_default();
                [(node, IssueKind::ValueNotInList)].into()
            }
            // File existence is the server's own check (the engine uploads first).
            "missing_input_file" | "v3_combo_bad_value_LoadVideo" => BTreeSet::new(),
            _ => server_verdict(&case["body"]),
        };
        assert_eq!(ours, expected, "case {name}");
        checked += 1;
    }
    assert_eq!(checked, 17);
}

/// The server's verdict in our terms.
fn server_verdict(body: &Value) -> BTreeSet<(String, IssueKind)> {
    let Some(err) = body.get("error") else {
        return BTreeSet::new();
    };
    let node_errors = body["node_errors"].as_object().cloned().unwrap_or_default();
    match err["type"].as_str().unwrap() {
        "invalid_prompt" => {
            // "Node ID '#3'": the first offending node; our validator names them all.
            let details = err["details"].as_str().unwrap_or_default();
            let id = details
                .trim_start_matches("Node ID '#")
                .trim_end_matches('\'')
                .to_owned();
            let kind = if err["message"]
                .as_str()
                .unwrap_or_default()
                .contains("does not exist")
            {
                IssueKind::UnknownClass
            } else {
                IssueKind::InvalidPrompt
            };
            [(id, kind)].into()
        }
        "prompt_no_outputs" => [(String::new(), IssueKind::NoOutputs)].into(),
        "prompt_outputs_failed_validation" if node_errors.is_empty() => {
            // Only a cycle yields an empty node_errors; we name the node where we found it.
            [("<cycle>".to_owned(), IssueKind::Cycle)].into()
        }
        _ => node_errors
            .iter()
            .flat_map(|(id, e)| {
                e["errors"].as_array().unwrap().iter().map(move |x| {
                    let kind = match x["type"].as_str().unwrap() {
                        "required_input_missing" => IssueKind::RequiredInputMissing,
                        "value_not_in_list" => IssueKind::ValueNotInList,
                        "value_smaller_than_min" => IssueKind::ValueSmallerThanMin,
                        "value_bigger_than_max" => IssueKind::ValueBiggerThanMax,
                        "invalid_input_type" => IssueKind::InvalidInputType,
                        "return_type_mismatch" => IssueKind::ReturnTypeMismatch,
                        "exception_during_inner_validation" => IssueKind::BadLink,
                        other => panic!("unmapped server type {other}"),
                    };
                    (id.clone(), kind)
                })
            })
            .collect(),
    }
}

#[test]
fn cycle_is_reported() {
    // The captured cycle case, checked on its own because the server names no node.
    let info = captured_object_info();
    let cases = read_json(shared("comfyui/prompt_error_all_cases.json"));
    let issues = validate(&cases["cycle"]["request_prompt"], &info).unwrap_err();
    assert!(
        issues.iter().all(|i| i.kind == IssueKind::Cycle),
        "{issues:#?}"
    );
    assert_eq!(
        issues[0].kind.comfy_type(),
        "prompt_outputs_failed_validation"
    );
}

/// A small valid graph from the capture's own request (LoadImage -> ImageScale -> SaveImage).
fn base() -> Value {
    json!({
        "1": {"class_type": "LoadImage", "inputs": {"image": "test_image.png"}},
        "2": {"class_type": "ImageScale", "inputs": {"image": ["1", 0], "upscale_method": "bilinear", "width": 256, "height": 192, "crop": "disabled"}},
        "3": {"class_type": "RepeatImageBatch", "inputs": {"image": ["2", 0], "amount": 4}},
        "4": {"class_type": "SaveImage", "inputs": {"images": ["3", 0], "filename_prefix": "x"}},
        "5": {"class_type": "CreateVideo", "inputs": {"images": ["3", 0], "fps": 16.0}},
        "6": {"class_type": "SaveVideo", "inputs": {"video": ["5", 0], "filename_prefix": "v", "format": "mp4", "codec": "h264"}}
    })
}

#[test]
fn each_error_class_is_caught() {
    let info = captured_object_info();
    validate(&base(), &info).unwrap();
    type Edit = fn(&mut Value);
    let cases: [(Edit, &str, IssueKind); 13] = [
        (
            |g| {
                g["2"]["inputs"].as_object_mut().unwrap().remove("width");
            },
            "2",
            IssueKind::RequiredInputMissing,
        ),
        (
            |g| g["2"]["inputs"]["upscale_method"] = json!("sharpest"),
            "2",
            IssueKind::ValueNotInList,
        ),
        (
            |g| g["6"]["inputs"]["codec"] = json!("vp9"),
            "6",
            IssueKind::ValueNotInList,
        ),
        (
            |g| g["3"]["inputs"]["amount"] = json!(0),
            "3",
            IssueKind::ValueSmallerThanMin,
        ),
        (
            |g| g["2"]["inputs"]["width"] = json!(1_000_000),
            "2",
            IssueKind::ValueBiggerThanMax,
        ),
        (
            |g| g["5"]["inputs"]["fps"] = json!(0.5),
            "5",
            IssueKind::ValueSmallerThanMin,
        ),
        (
            |g| g["3"]["inputs"]["amount"] = json!("four"),
            "3",
            IssueKind::InvalidInputType,
        ),
        (
            |g| g["3"]["inputs"]["image"] = json!(["99", 0]),
            "3",
            IssueKind::BadLink,
        ),
        (
            |g| g["3"]["inputs"]["image"] = json!(["2", 7]),
            "3",
            IssueKind::BadLink,
        ),
        (
            |g| g["6"]["inputs"]["video"] = json!(["3", 0]),
            "6",
            IssueKind::ReturnTypeMismatch,
        ),
        (
            |g| g["4"]["inputs"]["images"] = json!("not a link"),
            "4",
            IssueKind::InvalidInputType,
        ),
        (
            |g| g["3"]["class_type"] = json!("NoSuchNode"),
            "3",
            IssueKind::UnknownClass,
        ),
        (
            |g| {
                g["3"].as_object_mut().unwrap().remove("class_type");
            },
            "3",
            IssueKind::InvalidPrompt,
        ),
    ];
    for (edit, node, kind) in cases {
        let mut g = base();
        edit(&mut g);
        let issues = validate(&g, &info).unwrap_err();
        assert!(
            issues.iter().any(|i| i.node_id == node && i.kind == kind),
            "expected {kind:?} on {node}: {issues:#?}"
        );
    }
    // No output node at all.
    let mut g = base();
    for id in ["4", "6"] {
        g.as_object_mut().unwrap().remove(id);
    }
    assert_eq!(
        validate(&g, &info).unwrap_err()[0].kind,
        IssueKind::NoOutputs
    );
    // Not an object.
    assert_eq!(
        validate(&json!([1]), &info).unwrap_err()[0].kind,
        IssueKind::InvalidPrompt
    );
    // Problems in nodes no output depends on are not the server's concern...
    let mut g = base();
    g["9"] = json!({"class_type": "ImageScale", "inputs": {"image": ["1", 0]}});
    validate(&g, &info).unwrap();
    // ...but an unknown class anywhere is.
    g["9"]["class_type"] = json!("Nope");
    assert_eq!(
        validate(&g, &info).unwrap_err()[0].kind,
        IssueKind::UnknownClass
    );
    // Every failing node is reported together.
    let mut g = base();
    g["2"]["inputs"]["upscale_method"] = json!("x");
    g["3"]["inputs"]["amount"] = json!(-1);
    assert_eq!(validate(&g, &info).unwrap_err().len(), 2);
}

#[test]
fn link_types_follow_comfyui_rules() {
    assert!(types_match("IMAGE", "IMAGE"));
    assert!(types_match("IMAGE", "*"));
    assert!(types_match("*", "LATENT"));
    assert!(types_match("IMAGE,MASK", "MASK"));
    assert!(types_match("MASK", "IMAGE, MASK"));
    assert!(!types_match("AUDIO", "IMAGE"));
    assert!(!types_match("IMAGE,LATENT", "MASK,AUDIO"));
}

#[test]
fn upload_widgets_are_left_to_the_server() {
    // LoadImage lists what the input folder held at capture time; the engine uploads first, so
    // any safe name is acceptable here (the server checks the file itself).
    let info = captured_object_info();
    let mut g = base();
    g["1"]["inputs"]["image"] = json!("animatrix/uploaded_today.png");
    validate(&g, &info).unwrap();
}

#[test]
fn the_sam2_overlay_is_marked_and_complete() {
    let raw = read_json(repo_root().join("tests/fake-comfy/data/object_info_overlay.json"));
    let captured = read_json(shared("comfyui/object_info.json"));
    let obj = raw.as_object().unwrap();
    let names: BTreeSet<&str> = obj.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "DownloadAndLoadSAM2Model",
            "Florence2toCoordinates",
            "Sam2AutoSegmentation",
            "Sam2Segmentation",
            "Sam2VideoSegmentation",
            "Sam2VideoSegmentationAddPoints",
        ]
        .into()
    );
    let template_keys: BTreeSet<&String> =
        captured["LoadImage"].as_object().unwrap().keys().collect();
    for (name, entry) in obj {
        assert_eq!(entry["_fake_overlay"], json!(true), "{name}");
        assert_eq!(
            entry["python_module"], "custom_nodes.ComfyUI-segment-anything-2",
            "{name}"
        );
        assert_eq!(entry["name"], json!(name));
        assert!(captured.get(name).is_none(), "{name} is not in the capture");
        // Same shape as a real entry (plus the overlay markers).
        let keys: BTreeSet<&String> = entry
            .as_object()
            .unwrap()
            .keys()
            .filter(|k| !k.starts_with('_'))
            .collect();
        assert_eq!(keys, template_keys, "{name}");
        let outputs = entry["output"].as_array().unwrap().len();
        assert_eq!(entry["output_name"].as_array().unwrap().len(), outputs);
        assert_eq!(entry["output_is_list"].as_array().unwrap().len(), outputs);
    }
    let info = ObjectInfo::from_value(&raw).unwrap();
    assert!(info.skipped().is_empty());
    let seg = info.class("Sam2Segmentation").unwrap();
    assert!(seg.fake_overlay);
    assert_eq!(seg.outputs, vec!["MASK"]);
    assert!(seg.required.contains_key("keep_model_loaded"));
    assert!(seg.optional.contains_key("coordinates_positive"));
}
