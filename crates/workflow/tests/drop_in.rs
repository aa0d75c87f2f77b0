#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! A template folder dropped next to the shipped ones loads, is listed for the window, planned
//! and bound with no code change: `tests/data/workflows/style_still` (core nodes only, a custom
//! `style_image` role, a fixed timeline, a float and a choice parameter, no prompt).

mod common;

use animatrix_common::Explain;
use animatrix_workflow::{
    Attached, Catalog, Fit, InputKind, IssueField, JobSettings, ParameterControl, UploadedInputs,
    WorkflowError, bind, plan, validate,
};
use common::*;
use serde_json::json;

fn catalog_with_drop_in() -> (tempfile::TempDir, Catalog) {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&workflows_dir(), tmp.path());
    copy_dir(&test_workflows_dir(), tmp.path());
    let c = Catalog::load(tmp.path()).unwrap();
    (tmp, c)
}

fn uploads() -> UploadedInputs {
    UploadedInputs::new()
        .with("ground_truth", "animatrix/gt.png")
        .with("style_image", "animatrix/style.png")
}

#[test]
fn the_window_sees_the_new_studio_from_its_manifest() {
    let (_tmp, c) = catalog_with_drop_in();
    let studios = c.studios();
    let modes: Vec<(&str, &str, usize)> = studios
        .iter()
        .map(|m| (m.mode.as_str(), m.label.as_str(), m.templates.len()))
        .collect();
    assert_eq!(
        modes,
        vec![
            ("animate", "Animate", 2),
            ("audio", "Audio", 1),
            ("start_end_frame", "Start/End Frame", 1),
            ("pose_control", "Pose Control", 1),
            ("stylize", "Stylize", 1)
        ]
    );
    let s = &studios[4].templates[0];
    assert_eq!(s.name, "style_still");
    assert_eq!(s.sub_mode, None);
    assert_eq!(
        s.summary,
        "Your character, held still, in the look of your style image."
    );
    assert!(!s.takes_prompt);
    let inputs: Vec<(&str, InputKind, bool, bool, Fit)> = s
        .inputs
        .iter()
        .map(|i| (i.role.as_str(), i.kind, i.required, i.bound, i.fit))
        .collect();
    assert_eq!(
        inputs,
        vec![
            ("ground_truth", InputKind::Image, true, true, Fit::Output),
            ("style_image", InputKind::Image, true, true, Fit::None),
        ]
    );
    assert_eq!(s.inputs[1].hint, "The look to borrow");
    assert_eq!(s.timeline_input, None);
    let aspects: Vec<(&str, &str)> = s
        .aspects
        .iter()
        .map(|a| (a.value.as_str(), a.label.as_str()))
        .collect();
    assert_eq!(
        aspects,
        vec![("1:1", "1:1 (square)"), ("16:9", "16:9 (wide)")]
    );
    let profiles: Vec<&str> = s.profiles.iter().map(|p| p.label.as_str()).collect();
    assert_eq!(profiles, vec!["Draft", "Standard"]);
    assert!(matches!(
        s.parameters[0].control,
        ParameterControl::Float { min, max, .. } if min == 0.0 && max == 1.0
    ));
    assert!(matches!(
        &s.parameters[1].control,
        ParameterControl::Choice { options, .. } if options.len() == 2
    ));
    // The whole catalog view serializes for the window.
    let v = serde_json::to_value(&studios).unwrap();
    assert_eq!(v[4]["templates"][0]["inputs"][1]["role"], "style_image");
    assert_eq!(v[4]["templates"][0]["parameters"][0]["type"], "float");
    // The CLI's friendly form finds it by mode.
    assert_eq!(c.find("stylize", None).unwrap().name(), "style_still");
}

#[test]
fn the_new_template_is_planned_and_bound_like_the_shipped_ones() {
    let (_tmp, c) = catalog_with_drop_in();
    let t = c.latest("style_still").unwrap();
    let mut s = JobSettings::new("style_still", "");

    // Nothing attached yet: the two files are missing; the fixed length is known already.
    let p = plan(t, &s, &Attached::new(), None);
    let issues: Vec<(&str, &IssueField)> = p
        .issues
        .iter()
        .map(|i| (i.code.as_str(), &i.field))
        .collect();
    assert_eq!(
        issues,
        vec![
            ("missing_input", &IssueField::input("ground_truth")),
            ("missing_input", &IssueField::input("style_image")),
        ]
    );
    assert_eq!(p.issues[1].message, "Add the Style Image to generate.");
    let timing = p.timing.as_ref().unwrap();
    assert_eq!((timing.frame_count, timing.segments), (81, 1));
    assert!((timing.seconds - 81.0 / 16.0).abs() < 1e-9);

    let attached = Attached::new().with("ground_truth").with("style_image");
    s.params.insert("style_strength".into(), json!(0.8));
    s.params.insert("blend".into(), json!("soft"));
    s.target_duration_secs = Some(3.0);
    let p = plan(t, &s, &attached, None);
    assert!(p.ready(), "{:#?}", p.issues);
    assert_eq!((p.width, p.height), (Some(256), Some(256)));

    let b = bind(t, &s, &uploads(), None, "drop-in-1", &mut no_random_seed()).unwrap();
    let g = &b.graph;
    assert_eq!(g["1"]["inputs"]["image"], "animatrix/gt.png");
    assert_eq!(g["2"]["inputs"]["image"], "animatrix/style.png");
    assert_eq!(g["3"]["inputs"]["width"], 256);
    assert_eq!(g["4"]["inputs"]["height"], 256);
    assert_eq!(g["5"]["inputs"]["blend_factor"], 0.8);
    assert_eq!(g["5"]["inputs"]["blend_mode"], "soft_light");
    // 3 s at 16 fps, rounded up to 4n+1 frames.
    assert_eq!(g["6"]["inputs"]["amount"], 49);
    assert_eq!(
        g["8"]["inputs"]["filename_prefix"],
        "animatrix/drop-in-1/video"
    );
    // The plan and the bound graph agree.
    let timing = p.timing.unwrap();
    assert_eq!(
        (b.frame_count, b.chunk_count, b.width, b.height),
        (timing.frame_count, timing.segments, 256, 256)
    );
    validate(&b.graph, &captured_object_info()).unwrap();

    // Its rules are the manifest's: range, options, undeclared files.
    s.params.insert("style_strength".into(), json!(1.5));
    let p = plan(t, &s, &attached, None);
    assert_eq!(p.issues[0].code, "parameter_out_of_range");
    assert_eq!(p.issues[0].field, IssueField::param("style_strength"));
    let e = bind(t, &s, &uploads(), None, "j", &mut no_random_seed()).unwrap_err();
    assert!(
        matches!(e, WorkflowError::ParameterOutOfRange { .. }),
        "{e}"
    );
    assert_eq!(e.explain().suggestion, "Use a value from 0 to 1.");
    s.params.remove("style_strength");
    let e = bind(
        t,
        &s,
        &uploads().with("audio", "a.wav"),
        None,
        "j",
        &mut no_random_seed(),
    )
    .unwrap_err();
    assert!(matches!(e, WorkflowError::UnexpectedInput { .. }), "{e}");
    let mut missing = uploads();
    missing.remove("style_image");
    let e = bind(t, &s, &missing, None, "j", &mut no_random_seed()).unwrap_err();
    assert!(
        matches!(&e, WorkflowError::MissingInput { input, .. } if input == "style_image"),
        "{e}"
    );
}

fn no_random_seed() -> impl FnMut() -> u64 {
    || 42
}

#[test]
fn user_folders_add_templates_and_bad_ones_are_left_out() {
    let user = tempfile::tempdir().unwrap();
    copy_dir(&test_workflows_dir(), user.path());
    let put = |rel: &str, from: &str, edit: &dyn Fn(&mut serde_json::Value)| {
        let src = workflows_dir().join(from);
        let dst = user.path().join(rel);
        std::fs::create_dir_all(&dst).unwrap();
        std::fs::copy(src.join("graph.json"), dst.join("graph.json")).unwrap();
        let mut m = read_json(src.join("manifest.json"));
        edit(&mut m);
        std::fs::write(dst.join("manifest.json"), m.to_string()).unwrap();
    };
    // A shipped name and version again, a broken manifest, a second Audio template.
    put("s2v/1.0.0", "s2v/1.0.0", &|_| {});
    put("broken/1.0.0", "s2v/1.0.0", &|m| {
        m["name"] = json!("broken");
        m["inputs"]["audio"]["max"] = json!(3);
    });
    put("s2v_twin/1.0.0", "s2v/1.0.0", &|m| {
        m["name"] = json!("s2v_twin")
    });
    let missing = user.path().join("does-not-exist");
    let (c, rejected) =
        Catalog::load_with_user_dirs(&workflows_dir(), &[user.path().to_path_buf(), missing])
            .unwrap();
    let names: Vec<String> = c.latest_templates().map(|t| t.name().to_owned()).collect();
    assert_eq!(
        names,
        vec![
            "animate_mix",
            "animate_move",
            "pose_control",
            "s2v",
            "start_end_frame",
            "style_still"
        ]
    );
    let why: Vec<(String, &str)> = rejected
        .iter()
        .map(|r| {
            let rel = r.folder.strip_prefix(user.path()).unwrap();
            (rel.display().to_string(), r.code.as_str())
        })
        .collect();
    assert_eq!(
        why,
        vec![
            ("broken/1.0.0".to_owned(), "template_invalid"),
            ("s2v/1.0.0".to_owned(), "template_duplicate"),
            ("s2v_twin/1.0.0".to_owned(), "template_duplicate_studio"),
        ]
    );
    assert!(
        rejected[0].reason.contains("max 3 > 1"),
        "{}",
        rejected[0].reason
    );
    // The shipped s2v is the one kept.
    assert!(
        c.latest("s2v")
            .unwrap()
            .dir()
            .unwrap()
            .starts_with(workflows_dir())
    );
}
