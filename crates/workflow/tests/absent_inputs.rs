#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Optional inputs left out of a job (`when_absent`): binding removes the input's loaders and
//! the consumer inputs the manifest declares optional, in `graph.json` and in every extension
//! repetition; a manifest whose declaration does not match its graph is refused at load with
//! its own typed error.

mod common;

use animatrix_workflow::{SchemaError, Template, UploadedInputs, WorkflowError, bind, validate};
use common::*;
use serde_json::{Value, json};

/// `<name>/<version>` with the manifest and graph edited.
fn load(
    name: &str,
    version: &str,
    edit: impl Fn(&mut Value),
    edit_graph: impl Fn(&mut Value),
) -> Result<Template, WorkflowError> {
    let dir = workflows_dir().join(format!("{name}/{version}"));
    let mut m = read_json(dir.join("manifest.json"));
    edit(&mut m);
    let mut g = read_json(dir.join("graph.json"));
    edit_graph(&mut g);
    Template::from_json(&m.to_string(), &g.to_string())
}

fn problem(name: &str, edit: impl Fn(&mut Value), edit_graph: impl Fn(&mut Value)) -> SchemaError {
    let version = if name == "start_end_frame" {
        "1.1.0"
    } else {
        "1.0.0"
    };
    match load(name, version, edit, edit_graph) {
        Err(WorkflowError::TemplateInvalid { problem, .. }) => problem,
        other => panic!(
            "expected a schema error, got {:?}",
            other.map(|t| t.digest().to_owned())
        ),
    }
}

fn keep(_: &mut Value) {}

fn drop_links(links: Value) -> impl Fn(&mut Value) {
    move |m: &mut Value| m["inputs"]["end_frame"]["when_absent"]["drop_links"] = links.clone()
}

#[test]
fn a_required_consumer_input_cannot_be_dropped() {
    // The poster reads the end image too: ImageFromBatch.image is required on the server, and
    // the manifest does not (cannot) declare it optional.
    let p = problem("start_end_frame", keep, |g| {
        g["160"]["inputs"]["image"] = json!(["112", 0])
    });
    assert_eq!(
        p,
        SchemaError::AbsentCutsRequiredInput {
            role: "end_frame".into(),
            node: "160".into(),
            input: "image".into(),
            extension: false,
        }
    );
    assert_eq!(
        p.to_string(),
        "input end_frame: leaving it out cuts 160.image, which when_absent.drop_links does not \
         list (a consumer input the server requires cannot be dropped)"
    );
    // Declaring nothing is the same: the link to the Wan node would be cut unannounced.
    let p = problem("start_end_frame", drop_links(json!([])), keep);
    assert!(
        matches!(p, SchemaError::AbsentCutsRequiredInput { ref node, ref input, .. } if node == "111" && input == "end_image"),
        "{p}"
    );
}

#[test]
fn the_declaration_must_match_the_graph() {
    // The start image is not the end frame's link; a literal is no link at all.
    for (node, input) in [("111", "start_image"), ("111", "width"), ("999", "image")] {
        let p = problem(
            "start_end_frame",
            drop_links(json!([
                {"node": "111", "input": "end_image"},
                {"node": node, "input": input}
            ])),
            keep,
        );
        assert_eq!(
            p,
            SchemaError::AbsentDropNotALink {
                role: "end_frame".into(),
                node: node.into(),
                input: input.into(),
                extension: false,
            }
        );
    }
    let p = problem(
        "start_end_frame",
        |m| m["inputs"]["ground_truth"]["when_absent"] = json!({"drop_links": []}),
        keep,
    );
    assert_eq!(
        p,
        SchemaError::AbsentOnRequired {
            role: "ground_truth".into()
        }
    );
    let p = problem(
        "s2v",
        |m| m["inputs"]["reference"]["when_absent"] = json!({"drop_links": []}),
        keep,
    );
    assert_eq!(
        p,
        SchemaError::AbsentUnbound {
            role: "reference".into()
        }
    );
    let p = problem(
        "s2v",
        |m| {
            let r = &mut m["inputs"]["reference"];
            r["max"] = json!(1);
            r.as_object_mut().unwrap().remove("guidance");
            r["targets"] = json!([{"node": "77", "input": "seed", "extension": true}]);
            r["when_absent"] = json!({"drop_links": []});
        },
        keep,
    );
    assert_eq!(
        p,
        SchemaError::AbsentExtensionTarget {
            role: "reference".into()
        }
    );
    // Unknown fields are refused by the parser.
    assert!(matches!(
        load(
            "start_end_frame",
            "1.1.0",
            |m| m["inputs"]["end_frame"]["when_absent"]["keep"] = json!(true),
            keep
        ),
        Err(WorkflowError::Parse { .. })
    ));
}

#[test]
fn nothing_else_may_use_what_is_left_out() {
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(Edit, &str, &str)> = vec![
        (
            Box::new(|m| {
                m["slots"]["prompt"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"node": "112", "input": "image"}))
            }),
            "112",
            "slot prompt",
        ),
        (
            Box::new(|m| {
                m["profiles"]["draft"]["set"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"node": "112", "input": "image", "value": "x.png"}))
            }),
            "112",
            "profile draft",
        ),
        (
            Box::new(|m| {
                m["inputs"]["ground_truth"]["targets"]
                    .as_array_mut()
                    .unwrap()
                    .push(json!({"node": "112", "input": "image"}))
            }),
            "112",
            "input ground_truth",
        ),
        (
            Box::new(|m| {
                m["parameters"] = json!([{
                    "name": "no_end", "label": "No end", "description": "d", "type": "bool",
                    "default": false, "on": {"bypass": [{"node": "111", "input": "end_image"}]}
                }])
            }),
            "111.end_image",
            "parameter no_end bypass",
        ),
    ];
    for (edit, target, what) in cases {
        let p = problem("start_end_frame", edit, keep);
        assert_eq!(
            p,
            SchemaError::AbsentNodeReferenced {
                role: "end_frame".into(),
                target: target.into(),
                what: what.into(),
            }
        );
    }
}

/// Audio Performance with its picture made optional: the ground-truth loader feeds the first
/// segment (`93.ref_image`) and every extension repetition (`76.ref_image`), both optional on
/// the server.
fn s2v_with_optional_picture(links: Value) -> Result<Template, WorkflowError> {
    load(
        "s2v",
        "1.1.0",
        |m| {
            m["inputs"]["ground_truth"]["required"] = json!(false);
            m["inputs"]["ground_truth"]["when_absent"] = json!({ "drop_links": links });
        },
        keep,
    )
}

#[test]
fn a_left_out_input_leaves_every_segment() {
    let t = s2v_with_optional_picture(json!([
        {"node": "93", "input": "ref_image"},
        {"node": "76", "input": "ref_image", "extension": true}
    ]))
    .unwrap();
    let mut s = reference_settings(&t, "standard", "9:16");
    s.media.audio_duration_secs = Some(12.0);
    let up = UploadedInputs::new().with("audio", "test_audio.wav");
    let b = bind(&t, &s, &up, None, "j", &mut no_random()).unwrap();
    assert_eq!(b.chunk_count, 3);
    let g = b.graph.as_object().unwrap();
    assert!(!g.contains_key("52"));
    assert!(g["93"]["inputs"].get("ref_image").is_none());
    for k in ["201:76", "202:76"] {
        assert!(g[k]["inputs"].get("ref_image").is_none(), "{k}");
        assert_eq!(g[k]["inputs"]["audio_encoder_output"], json!(["56", 0]));
    }
    validate(&b.graph, &object_info_with_overlay()).unwrap();
    // Attached, the picture is bound as always.
    let b = bind(
        &t,
        &s,
        &up.with("ground_truth", "test_image.png"),
        None,
        "j",
        &mut no_random(),
    )
    .unwrap();
    assert_eq!(b.graph["52"]["inputs"]["image"], json!("test_image.png"));
    assert_eq!(b.graph["202:76"]["inputs"]["ref_image"], json!(["52", 0]));

    // Forgetting the extension's link is refused at load, naming it.
    let e = s2v_with_optional_picture(json!([{"node": "93", "input": "ref_image"}]));
    match e {
        Err(WorkflowError::TemplateInvalid { problem, .. }) => assert_eq!(
            problem,
            SchemaError::AbsentCutsRequiredInput {
                role: "ground_truth".into(),
                node: "76".into(),
                input: "ref_image".into(),
                extension: true,
            }
        ),
        other => panic!("{:?}", other.map(|t| t.name().to_owned())),
    }
}

#[test]
fn without_when_absent_an_absent_input_keeps_the_graph_value() {
    // 1.0.0 (released) has no rule: its graph stays exactly as it was bound before.
    let c = catalog();
    let t = c.get("start_end_frame", "1.0.0").unwrap();
    let s = reference_settings(t, "draft", "9:16");
    let mut up = uploads_for(t);
    up.remove("end_frame");
    let b = bind(t, &s, &up, None, "j", &mut no_random()).unwrap();
    assert_eq!(b.graph["112"]["inputs"]["image"], json!("example.png"));
    assert_eq!(b.graph["111"]["inputs"]["end_image"], json!(["112", 0]));
}

#[test]
fn shipped_declarations_are_optional_on_the_captured_server() {
    // What a manifest declares droppable is an optional input of the node's class in the
    // real server's /object_info (the kit's own server is checked in tests/realcomfy).
    let info = captured_object_info();
    let mut checked = 0;
    for t in catalog().templates() {
        let m = t.manifest();
        for input in m.inputs.values() {
            for l in input.when_absent.iter().flat_map(|a| &a.drop_links) {
                let node = if l.extension {
                    &m.extension.as_ref().unwrap().fragment[&l.node]
                } else {
                    &t.graph()[&l.node]
                };
                let schema = info.class(&node.class_type).unwrap();
                assert!(
                    schema.optional.contains_key(&l.input)
                        && !schema.required.contains_key(&l.input),
                    "{} {}: {}.{} is not optional",
                    t.name(),
                    t.version(),
                    node.class_type,
                    l.input
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 1, "start_end_frame 1.1.0 declares end_image");
}
