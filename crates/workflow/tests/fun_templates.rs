#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! The Wan2.2 Fun templates: Start/End Frame (Fun InP) and Pose Control (Fun Control) bind the
//! official graphs with the spec's profiles, and Pose Control's control type is a parameter.

mod common;

use animatrix_workflow::{BoundGraph, JobSettings, Template, bind, validate};
use common::*;
use serde_json::{Value, json};

fn input<'a>(b: &'a BoundGraph, id: &str, name: &str) -> &'a Value {
    b.graph
        .get(id)
        .unwrap_or_else(|| panic!("node {id} missing"))
        .get("inputs")
        .and_then(|i| i.get(name))
        .unwrap_or_else(|| panic!("{id}.{name} missing"))
}

fn bound(t: &Template, s: &JobSettings) -> BoundGraph {
    bind(t, s, &uploads_for(t), None, "j", &mut no_random()).unwrap()
}

#[test]
fn start_end_frame_binds_both_frames_and_the_profile_recipes() {
    let c = catalog();
    let t = c.latest("start_end_frame").unwrap();
    let mut s = reference_settings(t, "draft", "9:16");
    let b = bound(t, &s);
    assert_eq!(input(&b, "110", "image"), "test_image.png");
    assert_eq!(input(&b, "112", "image"), "test_image.png");
    assert_eq!(input(&b, "111", "start_image"), &json!(["110", 0]));
    assert_eq!(input(&b, "111", "end_image"), &json!(["112", 0]));
    // Draft: the official 4-step lightx2v recipe, 2 steps per expert, at 480p.
    assert_eq!(
        (b.width, b.height, b.frame_count, b.fps),
        (480, 832, 81, 16.0)
    );
    assert_eq!(input(&b, "93", "model"), &json!(["116", 0]));
    for (node, start, end) in [("96", 0, 2), ("95", 2, 4)] {
        assert_eq!(input(&b, node, "steps"), &json!(4));
        assert_eq!(input(&b, node, "cfg"), &json!(1.0));
        assert_eq!(input(&b, node, "start_at_step"), &json!(start));
        assert_eq!(input(&b, node, "end_at_step"), &json!(end));
    }
    assert_eq!(input(&b, "96", "noise_seed"), &json!(123_456_789));
    assert_eq!(input(&b, "96", "add_noise"), "enable");
    assert_eq!(input(&b, "95", "add_noise"), "disable");
    // Standard: the official full workflow, no speed LoRA, 20 steps split 10/10, cfg 3.5.
    s.profile = Some("standard".into());
    let b = bound(t, &s);
    assert!(b.graph.get("116").is_none() && b.graph.get("117").is_none());
    assert_eq!(input(&b, "93", "model"), &json!(["101", 0]));
    assert_eq!(input(&b, "94", "model"), &json!(["102", 0]));
    for (node, start, end) in [("96", 0, 10), ("95", 10, 10000)] {
        assert_eq!(input(&b, node, "steps"), &json!(20));
        assert_eq!(input(&b, node, "cfg"), &json!(3.5));
        assert_eq!(input(&b, node, "start_at_step"), &json!(start));
        assert_eq!(input(&b, node, "end_at_step"), &json!(end));
    }
    // A target duration rounds up to Wan's 4n+1 frames at 16 fps.
    s.target_duration_secs = Some(2.0);
    let b = bound(t, &s);
    assert_eq!(b.frame_count, 33);
    assert_eq!(input(&b, "111", "length"), &json!(33));
}

#[test]
fn start_end_frame_without_an_end_frame_loads_no_end_image() {
    let c = catalog();
    let t = c.latest("start_end_frame").unwrap();
    let s = reference_settings(t, "draft", "9:16");
    let mut up = uploads_for(t);
    up.remove("end_frame");
    let b = bind(t, &s, &up, None, "j", &mut no_random()).unwrap();
    assert!(b.graph.get("112").is_none(), "the end LoadImage stays");
    assert!(b.graph["111"]["inputs"].get("end_image").is_none());
    validate(&b.graph, &object_info_with_overlay()).unwrap();
    // Nothing else differs from the job with an end frame: the same start frame, length,
    // recipe and outputs.
    let with_end = bound(t, &s);
    let mut expected = with_end.graph.clone();
    expected.as_object_mut().unwrap().remove("112");
    expected["111"]["inputs"]
        .as_object_mut()
        .unwrap()
        .remove("end_image");
    assert_eq!(b.graph, expected);
    assert_eq!(b.frame_count, with_end.frame_count);
    // The plan asks for nothing more: the end frame is optional.
    let attached = up.attached();
    let p = animatrix_workflow::plan(t, &s, &attached, None);
    assert!(p.ready(), "{:#?}", p.issues);
}

#[test]
fn start_end_frame_1_1_0_binds_both_frames_as_1_0_0_did() {
    // 1.1.0 only adds the rule for a missing end frame: with both frames every profile binds
    // to the bytes 1.0.0 does (and 1.0.0 keeps its own graph, pinned in released_graphs.rs).
    let c = catalog();
    let (old, new) = (
        c.get("start_end_frame", "1.0.0").unwrap(),
        c.get("start_end_frame", "1.1.0").unwrap(),
    );
    assert_eq!(old.graph(), new.graph());
    for profile in new.profile_names() {
        let s = reference_settings(new, &profile, "16:9");
        assert_eq!(
            bound(old, &s).graph_json(),
            bound(new, &s).graph_json(),
            "{profile}"
        );
    }
}

#[test]
fn pose_control_picks_the_control_extractor_by_parameter() {
    let c = catalog();
    let t = c.latest("pose_control").unwrap();
    let info = object_info_with_overlay();
    let mut s = reference_settings(t, "draft", "9:16");
    // Default: pose (DWPose); the Canny and depth nodes are bypassed.
    let cases = [
        (None, "188", ["173", "189"]),
        (Some("pose"), "188", ["173", "189"]),
        (Some("edges"), "173", ["188", "189"]),
        (Some("depth"), "189", ["188", "173"]),
    ];
    for (choice, kept, gone) in cases {
        s.params.clear();
        if let Some(v) = choice {
            s.params.insert("control".into(), json!(v));
        }
        let b = bound(t, &s);
        validate(&b.graph, &info).unwrap_or_else(|e| panic!("{choice:?}: {e:#?}"));
        for g in gone {
            assert!(b.graph.get(g).is_none(), "{choice:?}: {g} kept");
        }
        // The kept extractor reads the scaled frames and feeds the padded control video.
        assert_eq!(input(&b, kept, "image"), &json!(["187", 0]), "{choice:?}");
        assert_eq!(input(&b, "194", "image1"), &json!([kept, 0]), "{choice:?}");
        assert_eq!(input(&b, "192", "image"), &json!([kept, 0]), "{choice:?}");
    }
    s.params.insert("control".into(), json!("normals"));
    let e = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap_err();
    assert_eq!(
        animatrix_common::Explain::explain(&e).code,
        "parameter_invalid_choice"
    );
}

#[test]
fn pose_control_length_and_rate_follow_the_control_video() {
    let c = catalog();
    let t = c.latest("pose_control").unwrap();
    let mut s = reference_settings(t, "draft", "16:9");
    s.media.video_frame_count = Some(48);
    s.media.video_fps = Some(24.0);
    let b = bound(t, &s);
    assert_eq!(
        (b.frame_count, b.fps, b.width, b.height),
        (48, 24.0, 832, 480)
    );
    // The control frames used, then Wan's 4n+1 length read back from the padded control video
    // (48 + 3 -> 49 frames generated), then the output cut to the 48 planned frames.
    assert_eq!(input(&b, "186", "length"), &json!(48));
    assert_eq!(input(&b, "193", "amount"), &json!(3));
    assert_eq!(input(&b, "180", "length"), &json!(["195", 2]));
    assert_eq!(input(&b, "180", "control_video"), &json!(["194", 0]));
    assert_eq!(input(&b, "196", "length"), &json!(48));
    assert_eq!(input(&b, "196", "image"), &json!(["164", 0]));
    assert_eq!(input(&b, "163", "images"), &json!(["196", 0]));
    assert_eq!(input(&b, "163", "fps"), &json!(["171", 2]));
    for (node, name) in [
        ("180", "width"),
        ("187", "width"),
        ("185", "image_gen_width"),
    ] {
        assert_eq!(input(&b, node, name), &json!(832));
    }
    // Longer than one Wan pass: trimmed to its 81 frames (3.4 s at 24 fps, under the
    // profile's 5 s) with a warning.
    s.media.video_frame_count = Some(24 * 12);
    let b = bound(t, &s);
    assert_eq!((b.frame_count, b.chunk_count), (81, 1));
    assert_eq!(input(&b, "186", "length"), &json!(81));
    assert_eq!(input(&b, "196", "length"), &json!(81));
    assert_eq!(b.warnings[0].code, "video_trimmed");
}

#[test]
fn fun_high_prefers_the_bf16_experts_where_the_server_has_them() {
    let c = catalog();
    for (name, kind, high_node, low_node) in [
        ("start_end_frame", "fun_inpaint", "101", "102"),
        ("pose_control", "fun_control", "165", "166"),
    ] {
        let t = c.latest(name).unwrap();
        let s = reference_settings(t, "high", "9:16");
        let bf16 = |noise: &str| format!("wan2.2_{kind}_{noise}_noise_14B_bf16.safetensors");
        let fp8 = |noise: &str| format!("wan2.2_{kind}_{noise}_noise_14B_fp8_scaled.safetensors");
        // The captured server has only the fp8 experts: High runs them with a note.
        let gpu = server_facts(Some(80));
        let b = bind(t, &s, &uploads_for(t), Some(&gpu), "j", &mut no_random()).unwrap();
        assert_eq!(input(&b, high_node, "unet_name"), &json!(fp8("high")));
        assert_eq!(b.warnings[0].code, "profile_fallback");
        // With both bf16 files and a 48 GB GPU it takes them.
        let mut big = server_facts(Some(48));
        big.models
            .insert("diffusion_models", [bf16("high"), bf16("low")]);
        let b = bind(t, &s, &uploads_for(t), Some(&big), "j", &mut no_random()).unwrap();
        assert_eq!(
            input(&b, high_node, "unet_name"),
            &json!(bf16("high")),
            "{name}"
        );
        assert_eq!(
            input(&b, low_node, "unet_name"),
            &json!(bf16("low")),
            "{name}"
        );
        assert!(b.variant.unwrap().applied);
        assert!(
            b.warnings.iter().all(|w| w.code != "profile_fallback"),
            "{:?}",
            b.warnings
        );
    }
}
