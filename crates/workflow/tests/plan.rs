#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! The planner: every issue that stops Generate has its code, the control it belongs to and
//! words; warnings do not stop it; the plan and the bound graph agree.

mod common;

use animatrix_workflow::{
    Attached, IssueField, JobSettings, Plan, Point, ServerFacts, Template, bind, plan,
};
use common::*;
use serde_json::json;

/// Everything a template's required inputs need, attached (one file each).
fn attached_for(t: &Template) -> Attached {
    let mut a = Attached::new();
    for (role, i) in &t.manifest().inputs {
        if i.required {
            a.add(role.clone(), Some(1024));
        }
    }
    a
}

fn codes(p: &Plan) -> Vec<(&str, &IssueField)> {
    p.issues
        .iter()
        .map(|i| (i.code.as_str(), &i.field))
        .collect()
}

fn warning_codes(p: &Plan) -> Vec<&str> {
    p.warnings.iter().map(|i| i.code.as_str()).collect()
}

/// Plans `edit`ed reference settings of `name` and returns the one issue it must report.
fn one_issue(
    name: &str,
    edit: impl Fn(&mut JobSettings, &mut Attached),
    server: Option<&ServerFacts>,
) -> (String, IssueField, String) {
    let c = catalog();
    let t = c.latest(name).unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    let mut a = attached_for(t);
    edit(&mut s, &mut a);
    let p = plan(t, &s, &a, server);
    assert_eq!(p.issues.len(), 1, "{name}: {:#?}", p.issues);
    let i = &p.issues[0];
    assert!(!i.message.is_empty() && !i.suggestion.is_empty(), "{i:?}");
    (i.code.to_string(), i.field.clone(), i.message.clone())
}

#[test]
fn an_untouched_composer_lists_what_to_do_in_fixing_order() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let p = plan(t, &JobSettings::new("s2v", ""), &Attached::new(), None);
    assert_eq!(
        codes(&p),
        vec![
            ("missing_input", &IssueField::input("ground_truth")),
            ("missing_input", &IssueField::input("audio")),
            ("prompt_empty", &IssueField::Prompt),
        ]
    );
    assert_eq!(p.issues[0].message, "Add the Ground Truth to generate.");
    // The size is known, the length is not (no audio yet), and nothing warns.
    assert_eq!((p.width, p.height), (Some(576), Some(1024)));
    assert!(p.timing.is_none());
    assert!(p.warnings.is_empty());
    assert!(!p.ready());
}

type Edit = Box<dyn Fn(&mut JobSettings, &mut Attached)>;

#[test]
fn each_issue_has_its_code_and_control() {
    let input = IssueField::input;
    let cases: Vec<(&str, Edit, &str, IssueField)> = vec![
        (
            "s2v",
            Box::new(|s, _| s.prompt = " \n ".into()),
            "prompt_empty",
            IssueField::Prompt,
        ),
        (
            "s2v",
            Box::new(|s, _| s.prompt = "x".repeat(2001)),
            "prompt_too_long",
            IssueField::Prompt,
        ),
        (
            "s2v",
            Box::new(|s, _| s.negative_prompt = Some("x".repeat(2001))),
            "prompt_too_long",
            IssueField::NegativePrompt,
        ),
        (
            "s2v",
            Box::new(|s, _| s.profile = Some("ultra".into())),
            "unknown_profile",
            IssueField::Profile,
        ),
        (
            "s2v",
            Box::new(|s, _| s.aspect = Some("4:3".into())),
            "unknown_aspect",
            IssueField::Aspect,
        ),
        (
            "s2v",
            Box::new(|s, _| s.framing = Some("wide".into())),
            "unknown_framing",
            IssueField::Framing,
        ),
        (
            "s2v",
            Box::new(|s, _| s.seed = -5),
            "invalid_seed",
            IssueField::Seed,
        ),
        (
            "s2v",
            Box::new(|s, _| s.target_duration_secs = Some(0.0)),
            "invalid_target_duration",
            IssueField::TargetDuration,
        ),
        (
            "s2v",
            Box::new(|s, _| s.media.audio_duration_secs = Some(15.5)),
            "audio_too_long",
            input("audio"),
        ),
        (
            "s2v",
            Box::new(|s, _| s.media.audio_duration_secs = None),
            "missing_media_fact",
            input("audio"),
        ),
        (
            "s2v",
            Box::new(|_, a| *a = Attached::new().with("ground_truth")),
            "missing_input",
            input("audio"),
        ),
        (
            "s2v",
            Box::new(|_, a| a.add("style_image", None)),
            "unexpected_input",
            input("style_image"),
        ),
        (
            "s2v",
            Box::new(|_, a| (0..5).for_each(|_| a.add("reference", Some(800)))),
            "too_many_files",
            input("reference"),
        ),
        (
            "s2v",
            Box::new(|_, a| {
                *a = Attached::new().with("audio");
                a.add("ground_truth", Some(200));
            }),
            "image_too_small",
            input("ground_truth"),
        ),
        (
            "s2v",
            Box::new(|s, _| {
                s.params.insert("cfg".into(), json!(3));
            }),
            "unknown_parameter",
            IssueField::param("cfg"),
        ),
        (
            "animate_mix",
            Box::new(|s, _| {
                s.params
                    .insert("background_preservation".into(), json!("max"));
            }),
            "parameter_invalid_choice",
            IssueField::param("background_preservation"),
        ),
        (
            "animate_mix",
            Box::new(|s, _| {
                s.params.insert("relight".into(), json!(1));
            }),
            "parameter_wrong_type",
            IssueField::param("relight"),
        ),
        (
            "animate_mix",
            Box::new(|s, _| s.points.clear()),
            "missing_points",
            IssueField::Points,
        ),
        (
            "animate_mix",
            Box::new(|s, _| s.points = vec![Point { x: 0.5, y: 0.5 }; 9]),
            "too_many_points",
            IssueField::Points,
        ),
        (
            "animate_move",
            Box::new(|s, _| s.points = vec![Point { x: 0.5, y: 0.5 }]),
            "points_not_supported",
            IssueField::Points,
        ),
        (
            "animate_move",
            Box::new(|s, _| s.media.video_fps = Some(0.5)),
            "invalid_media_fact",
            input("motion_video"),
        ),
        (
            "animate_move",
            Box::new(|s, _| s.template = "s2v".into()),
            "template_mismatch",
            IssueField::Template,
        ),
    ];
    for (name, edit, code, field) in cases {
        let got = one_issue(name, edit, None);
        assert_eq!(
            (got.0.as_str(), &got.1),
            (code, &field),
            "{name}: {}",
            got.2
        );
    }
}

#[test]
fn too_long_audio_names_the_profiles_that_fit() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut s = reference_settings(t, "high", "9:16");
    s.media.audio_duration_secs = Some(12.0);
    let p = plan(t, &s, &attached_for(t), None);
    let i = &p.issues[0];
    assert_eq!(i.code, "audio_too_long");
    assert_eq!(
        i.message,
        "This quality profile supports at most 10 s of audio."
    );
    assert_eq!(
        i.suggestion,
        "Choose Draft or Standard, or trim the audio to 10 s or less."
    );
    // A target duration within the limit trims instead, with a warning on the audio chip.
    s.target_duration_secs = Some(8.0);
    let p = plan(t, &s, &attached_for(t), None);
    assert!(p.ready());
    assert_eq!(warning_codes(&p), vec!["audio_trimmed"]);
    assert_eq!(p.warnings[0].field, IssueField::input("audio"));
    assert_eq!(
        p.warnings[0].message,
        "Only the first 8 s of the audio will be performed."
    );
}

#[test]
fn warnings_do_not_stop_generate() {
    let c = catalog();
    let t = c.latest("animate_move").unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    s.media.video_frame_count = Some(30 * 60);
    let mut a = attached_for(t);
    a.add("pose_sheet", Some(800));
    let p = plan(t, &s, &a, None);
    assert!(p.ready(), "{:#?}", p.issues);
    assert_eq!(warning_codes(&p), vec!["guidance_only", "video_trimmed"]);
    assert_eq!(
        p.warnings[0].message,
        "Pose sheet used as soft guidance only: it is kept with the run but not bound into the graph."
    );
    assert_eq!(
        p.warnings[1].message,
        "Only the first 15 s of the motion video will be used."
    );
    let t = c.latest("animate_mix").unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    s.media.video_width = None;
    s.media.video_height = None;
    let p = plan(t, &s, &attached_for(t), None);
    assert!(p.ready());
    assert_eq!(warning_codes(&p), vec!["points_unscaled"]);
}

#[test]
fn server_facts_decide_device_nodes_models_and_the_high_variant() {
    let c = catalog();
    // SAM2 is pinned to CUDA: a CPU-only server cannot run Mix.
    let cpu = server_facts(None);
    let (code, field, message) = one_issue("animate_mix", |_, _| {}, Some(&cpu));
    assert_eq!(
        (code.as_str(), field),
        ("device_required", IssueField::Template)
    );
    assert!(message.contains("NVIDIA GPU"), "{message}");
    // Devices unknown: a warning, not a refusal.
    let mut unknown = server_facts(Some(80));
    unknown.devices = None;
    let t = c.latest("animate_mix").unwrap();
    let p = plan(
        t,
        &reference_settings(t, "standard", "9:16"),
        &attached_for(t),
        Some(&unknown),
    );
    assert!(p.ready());
    assert_eq!(warning_codes(&p), vec!["device_unknown"]);
    // Missing custom nodes.
    let gpu = server_facts(Some(80));
    let bare = ServerFacts::new(
        &captured_object_info(),
        gpu.devices.clone(),
        gpu.models.clone(),
    );
    let (code, _, _) = one_issue("animate_mix", |_, _| {}, Some(&bare));
    assert_eq!(code, "nodes_missing");
    // A profile whose files are missing.
    let mut no_encoder = gpu.clone();
    no_encoder.models = animatrix_workflow::ModelsByFolder::new();
    let (code, field, _) = one_issue("s2v", |_, _| {}, Some(&no_encoder));
    assert_eq!(
        (code.as_str(), field),
        ("profile_unavailable", IssueField::Profile)
    );

    // High prefers bf16 on a big GPU with the file...
    let t = c.latest("s2v").unwrap();
    let s = reference_settings(t, "high", "9:16");
    let up = uploads_for(t);
    let p = plan(t, &s, &attached_for(t), Some(&gpu));
    let v = p.variant.as_ref().unwrap();
    assert!(v.applied && v.reason.is_none());
    let b = bind(t, &s, &up, Some(&gpu), "j", &mut no_random()).unwrap();
    assert_eq!(
        b.graph["37"]["inputs"]["unet_name"],
        "wan2.2_s2v_14B_bf16.safetensors"
    );
    // ...and falls back to fp8 with a note on a 24 GB GPU or without the file.
    let small = server_facts(Some(24));
    let p = plan(t, &s, &attached_for(t), Some(&small));
    assert!(p.ready());
    assert_eq!(warning_codes(&p), vec!["profile_fallback"]);
    assert_eq!(p.warnings[0].field, IssueField::Profile);
    assert_eq!(
        p.warnings[0].suggestion,
        "The server's GPU has 24 GB of memory; the bf16 model needs 44 GB."
    );
    let b = bind(t, &s, &up, Some(&small), "j", &mut no_random()).unwrap();
    assert_eq!(
        b.graph["37"]["inputs"]["unet_name"],
        "wan2.2_s2v_14B_fp8_scaled.safetensors"
    );
    assert!(!b.variant.unwrap().applied);
    assert_eq!(b.warnings[0].code, "profile_fallback");
    let mut no_bf16 = gpu.clone();
    let mut models = animatrix_workflow::ModelsByFolder::new();
    for (folder, files) in [
        (
            "diffusion_models",
            vec!["wan2.2_s2v_14B_fp8_scaled.safetensors"],
        ),
        (
            "text_encoders",
            vec!["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
        ),
        ("vae", vec!["wan_2.1_vae.safetensors"]),
        (
            "audio_encoders",
            vec!["wav2vec2_large_english_fp16.safetensors"],
        ),
    ] {
        models.insert(folder, files);
    }
    no_bf16.models = models;
    let p = plan(t, &s, &attached_for(t), Some(&no_bf16));
    assert!(p.ready(), "{:#?}", p.issues);
    assert_eq!(
        p.variant.unwrap().reason.as_deref(),
        Some("The server does not have wan2.2_s2v_14B_bf16.safetensors.")
    );
    // Draft still needs its speed LoRA, which this server lacks.
    let draft = reference_settings(t, "draft", "9:16");
    let p = plan(t, &draft, &attached_for(t), Some(&no_bf16));
    assert_eq!(p.issues[0].code, "profile_unavailable");
    assert!(p.variant.is_none());
}

#[test]
fn plan_and_bind_agree() {
    let c = catalog();
    // Every shipped studio: segments (Animate, Audio), one capped pass (Pose Control) and a
    // fixed length (Start/End Frame).
    for name in [
        "animate_move",
        "animate_mix",
        "s2v",
        "pose_control",
        "start_end_frame",
    ] {
        let t = c.latest(name).unwrap();
        for profile in t.profile_names() {
            for secs in [0.5f64, 4.0, 9.0, 30.0] {
                let mut s = reference_settings(t, &profile, "16:9");
                s.media.audio_duration_secs = s.media.audio_duration_secs.map(|_| secs.min(9.9));
                s.media.video_frame_count = s.media.video_frame_count.map(|_| (secs * 30.0) as u32);
                s.target_duration_secs = (secs > 20.0).then_some(6.0);
                let p = plan(t, &s, &attached_for(t), None);
                let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
                let timing = p.timing.unwrap();
                assert_eq!(
                    (p.width, p.height, Some(&p.profile), Some(&p.aspect)),
                    (
                        Some(b.width),
                        Some(b.height),
                        Some(&b.profile),
                        Some(&b.aspect)
                    )
                );
                assert_eq!(
                    (timing.frame_count, timing.segments),
                    (b.frame_count, b.chunk_count),
                    "{name} {profile} {secs}"
                );
                assert!((timing.fps - b.fps).abs() < 1e-9);
                assert_eq!(p.warnings, b.warnings);
            }
        }
    }
}

#[test]
fn a_plan_serializes_for_the_window() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    s.media.audio_duration_secs = Some(20.0);
    let p = plan(t, &s, &attached_for(t), None);
    let v = serde_json::to_value(&p).unwrap();
    assert_eq!(v["issues"][0]["code"], "audio_too_long");
    assert_eq!(
        v["issues"][0]["field"],
        json!({"kind": "input", "role": "audio"})
    );
    assert_eq!(v["timing"], serde_json::Value::Null);
    let back: Plan = serde_json::from_value(v).unwrap();
    assert_eq!(back, p);
}
