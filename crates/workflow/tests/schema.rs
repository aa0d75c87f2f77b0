#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Manifest schema 2: each rule refuses a broken manifest at load with its own typed error,
//! and the catalog refuses templates that disagree about their studio.

mod common;

use animatrix_workflow::{Catalog, SchemaError, Template, WorkflowError};
use common::*;
use serde_json::{Value, json};

fn load(name: &str, edit: impl Fn(&mut Value)) -> Result<Template, WorkflowError> {
    let dir = workflows_dir().join(format!("{name}/1.0.0"));
    let mut m = read_json(dir.join("manifest.json"));
    edit(&mut m);
    let graph = std::fs::read_to_string(dir.join("graph.json")).unwrap();
    Template::from_json(&m.to_string(), &graph)
}

fn problem(name: &str, edit: impl Fn(&mut Value)) -> SchemaError {
    match load(name, edit) {
        Err(WorkflowError::TemplateInvalid { problem, .. }) => problem,
        other => panic!(
            "expected a schema error, got {:?}",
            other.map(|t| t.digest().to_owned())
        ),
    }
}

#[test]
fn the_shipped_manifests_pass() {
    for name in ["animate_move", "animate_mix", "s2v"] {
        load(name, |_| {}).unwrap();
    }
}

#[test]
fn input_rules() {
    let p = problem("s2v", |m| {
        m["inputs"]["ground_truth"]["targets"][0]["node"] = json!("999")
    });
    assert!(
        matches!(p, SchemaError::TargetNodeMissing { ref what, .. } if what == "input ground_truth"),
        "{p}"
    );
    let p = problem("s2v", |m| {
        m["inputs"]["audio"]["targets"][0]["input"] = json!("sound")
    });
    assert!(matches!(p, SchemaError::TargetInputMissing { .. }), "{p}");
    let p = problem("s2v", |m| m["inputs"]["ground_truth"]["max"] = json!(2));
    assert_eq!(
        p,
        SchemaError::InputMultipleWithTargets {
            role: "ground_truth".into(),
            max: 2
        }
    );
    let p = problem("s2v", |m| m["inputs"]["reference"]["max"] = json!(0));
    assert_eq!(
        p,
        SchemaError::InputMaxZero {
            role: "reference".into()
        }
    );
    let p = problem("s2v", |m| {
        m["inputs"]["reference"]["required"] = json!(true)
    });
    assert_eq!(
        p,
        SchemaError::InputRequiredUnbound {
            role: "reference".into()
        }
    );
    let p = problem("s2v", |m| {
        m["inputs"]["ground_truth"]["guidance"] = json!("soft")
    });
    assert_eq!(
        p,
        SchemaError::InputGuidanceWithTargets {
            role: "ground_truth".into()
        }
    );
    let p = problem("s2v", |m| m["inputs"]["audio"]["fit"] = json!("output"));
    assert_eq!(
        p,
        SchemaError::InputFitNotImage {
            role: "audio".into(),
            kind: "audio".into()
        }
    );
    let p = problem("s2v", |m| m["inputs"]["audio"]["min_side"] = json!(256));
    assert_eq!(
        p,
        SchemaError::InputMinSideNotImage {
            role: "audio".into(),
            kind: "audio".into()
        }
    );
    let p = problem("s2v", |m| m["inputs"]["pose_sheet"]["hint"] = json!(" "));
    assert!(matches!(p, SchemaError::EmptyText { .. }), "{p}");
    let p = problem("s2v", |m| {
        let gt = m["inputs"]["ground_truth"].take();
        m["inputs"]["Ground Truth"] = gt;
        m["inputs"].as_object_mut().unwrap().remove("ground_truth");
    });
    assert!(matches!(p, SchemaError::BadIdentifier { .. }), "{p}");
    // Unknown fields are refused by the parser.
    assert!(matches!(
        load("s2v", |m| m["inputs"]["audio"]["colour"] = json!("red")),
        Err(WorkflowError::Parse { .. })
    ));
}

#[test]
fn timeline_rules() {
    let p = problem("s2v", |m| {
        m["timeline"]["source"] = json!({"input": "voice"})
    });
    assert_eq!(
        p,
        SchemaError::TimelineInputUnknown {
            role: "voice".into()
        }
    );
    let p = problem("s2v", |m| {
        m["timeline"]["source"] = json!({"input": "ground_truth"})
    });
    assert_eq!(
        p,
        SchemaError::TimelineInputKind {
            role: "ground_truth".into(),
            kind: "image".into()
        }
    );
    let p = problem("s2v", |m| m["inputs"]["audio"]["required"] = json!(false));
    assert_eq!(
        p,
        SchemaError::TimelineInputOptional {
            role: "audio".into()
        }
    );
    let p = problem("s2v", |m| m["timeline"]["fps"] = Value::Null);
    assert_eq!(
        p,
        SchemaError::TimelineNeedsFps {
            source_kind: "audio".into()
        }
    );
    let p = problem("animate_move", |m| m["timeline"]["source"] = json!("fixed"));
    assert_eq!(
        p,
        SchemaError::TimelineNeedsFps {
            source_kind: "a fixed length".into()
        }
    );
    // A video timeline may follow the video's own fps.
    load("animate_move", |m| m["timeline"]["fps"] = Value::Null).unwrap();
}

#[test]
fn studio_and_profile_rules() {
    let p = problem("animate_move", |m| {
        m.as_object_mut().unwrap().remove("sub_mode_label");
    });
    assert_eq!(p, SchemaError::SubModeLabel);
    let p = problem("s2v", |m| m["summary"] = json!("One line.\nAnd another."));
    assert!(matches!(p, SchemaError::SummaryNotOneLine { .. }), "{p}");
    let p = problem("s2v", |m| m["summary"] = json!("x".repeat(121)));
    assert!(
        matches!(p, SchemaError::SummaryNotOneLine { max: 120 }),
        "{p}"
    );
    let p = problem("s2v", |m| m["mode"] = json!("Audio Studio"));
    assert!(matches!(p, SchemaError::BadIdentifier { .. }), "{p}");
    let p = problem("animate_mix", |m| m["requires"][0]["device"] = json!(""));
    assert_eq!(p, SchemaError::DeviceEmpty);
    let p = problem("s2v", |m| {
        m["profiles"]["high"]["prefer"]["set"] =
            json!([{"node": "3", "input": "steps", "value": 30}]);
        m["profiles"]["high"]["prefer"]
            .as_object_mut()
            .unwrap()
            .remove("min_vram_gb");
    });
    assert_eq!(
        p,
        SchemaError::PreferUnconditional {
            profile: "high".into()
        }
    );
    let p = problem("s2v", |m| {
        m["profiles"]["high"]["prefer"]["min_vram_gb"] = json!(0)
    });
    assert_eq!(
        p,
        SchemaError::PreferVram {
            profile: "high".into()
        }
    );
    let p = problem("s2v", |m| {
        m["profiles"]["high"]["prefer"]["set"][0]["node"] = json!("999")
    });
    assert!(
        matches!(p, SchemaError::TargetNodeMissing { ref what, .. } if what == "profile high prefer"),
        "{p}"
    );
    let p = problem("s2v", |m| m["schema"] = json!(1));
    assert_eq!(
        p,
        SchemaError::SchemaVersion {
            found: 1,
            expected: 2
        }
    );
    let p = problem("s2v", |m| {
        m["profiles"]["draft"]["resolution"]["1:1"] = json!([630, 640])
    });
    assert!(matches!(p, SchemaError::ResolutionNot16 { .. }), "{p}");
    let p = problem("s2v", |m| m["defaults"]["aspect"] = json!("4:3"));
    assert_eq!(
        p,
        SchemaError::DefaultAspectUnknown {
            aspect: "4:3".into()
        }
    );
    // An error reads as the template and the rule.
    let e = load("s2v", |m| m["inputs"]["reference"]["max"] = json!(0)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "template s2v 1.0.0 is inconsistent: input reference: max must be at least 1"
    );
}

/// A catalog of the shipped templates plus one edited copy of `from` named `name`.
fn catalog_with_copy(
    from: &str,
    name: &str,
    edit: impl Fn(&mut Value),
) -> Result<Catalog, WorkflowError> {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&workflows_dir(), tmp.path());
    let src = workflows_dir().join(format!("{from}/1.0.0"));
    let dst = tmp.path().join(format!("{name}/1.0.0"));
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::copy(src.join("graph.json"), dst.join("graph.json")).unwrap();
    let mut m = read_json(src.join("manifest.json"));
    m["name"] = json!(name);
    edit(&mut m);
    std::fs::write(dst.join("manifest.json"), m.to_string()).unwrap();
    Catalog::load(tmp.path())
}

#[test]
fn templates_agree_about_their_studio() {
    let e = catalog_with_copy("s2v", "s2v_again", |_| {}).unwrap_err();
    assert!(
        matches!(&e, WorkflowError::DuplicateStudio { mode, sub_mode: None, .. } if mode == "audio"),
        "{e}"
    );
    let e = catalog_with_copy("animate_move", "animate_move_2", |_| {}).unwrap_err();
    assert!(
        matches!(&e, WorkflowError::DuplicateStudio { sub_mode: Some(s), .. } if s == "move"),
        "{e}"
    );
    let e = catalog_with_copy("s2v", "s2v_sing", |m| {
        m["mode_label"] = json!("Sound");
    })
    .unwrap_err();
    assert!(matches!(e, WorkflowError::ModeLabelConflict { .. }), "{e}");
    let e = catalog_with_copy("animate_move", "animate_plain", |m| {
        let o = m.as_object_mut().unwrap();
        o.remove("sub_mode");
        o.remove("sub_mode_label");
    })
    .unwrap_err();
    assert!(matches!(e, WorkflowError::SubModeMixed { .. }), "{e}");
    // A new sub-mode of an existing mode is fine, and found by it.
    let c = catalog_with_copy("animate_move", "animate_dance", |m| {
        m["sub_mode"] = json!("dance");
        m["sub_mode_label"] = json!("Dance");
        m["order"] = json!(5);
    })
    .unwrap();
    assert_eq!(c.find("animate", None).unwrap().name(), "animate_dance");
    assert_eq!(
        c.find("animate", Some("mix")).unwrap().name(),
        "animate_mix"
    );
    let subs: Vec<Option<String>> = c.studios()[0]
        .templates
        .iter()
        .map(|t| t.sub_mode.clone())
        .collect();
    assert_eq!(
        subs,
        vec![
            Some("dance".into()),
            Some("move".into()),
            Some("mix".into())
        ]
    );
    assert!(matches!(
        c.find("animate", Some("twirl")),
        Err(WorkflowError::SubModeNotFound { .. })
    ));
    assert!(matches!(
        c.find("painting", None),
        Err(WorkflowError::ModeNotFound { .. })
    ));
}
