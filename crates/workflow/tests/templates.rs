#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! The shipped templates: catalog, binding, validation against a real server's schemas,
//! preflight against its model lists, snapshots of reference jobs.

mod common;

use std::collections::BTreeSet;

use animatrix_common::Explain;
use animatrix_workflow::{
    Catalog, IssueKind, JobSettings, Point, ServerFacts, WorkflowError, bind, preflight, validate,
};
use common::*;
use serde_json::{Value, json};

const TEMPLATES: [&str; 5] = [
    "animate_move",
    "animate_mix",
    "s2v",
    "start_end_frame",
    "pose_control",
];

fn node<'a>(g: &'a Value, id: &str) -> &'a Value {
    g.get(id).unwrap_or_else(|| panic!("node {id} missing"))
}

fn input<'a>(g: &'a Value, id: &str, name: &str) -> &'a Value {
    &node(g, id)["inputs"][name]
}

#[test]
fn catalog_lists_the_five_templates() {
    let c = catalog();
    let names: Vec<(String, String, bool)> = c
        .list()
        .into_iter()
        .map(|s| (s.name, s.version, s.latest))
        .collect();
    assert_eq!(
        names,
        vec![
            ("animate_mix".into(), "1.0.0".into(), false),
            ("animate_mix".into(), "1.1.0".into(), true),
            ("animate_move".into(), "1.0.0".into(), false),
            ("animate_move".into(), "1.1.0".into(), true),
            ("pose_control".into(), "1.0.0".into(), true),
            ("s2v".into(), "1.0.0".into(), false),
            ("s2v".into(), "1.1.0".into(), true),
            ("start_end_frame".into(), "1.0.0".into(), false),
            ("start_end_frame".into(), "1.1.0".into(), true),
        ]
    );
    assert_eq!(c.find("audio", None).unwrap().name(), "s2v");
    assert_eq!(
        c.find("animate", Some("move")).unwrap().name(),
        "animate_move"
    );
    assert_eq!(
        c.find("animate", Some("mix")).unwrap().name(),
        "animate_mix"
    );
    assert_eq!(c.get("s2v", "1.0.0").unwrap().name(), "s2v");
    assert!(matches!(
        c.get("s2v", "9.9.9"),
        Err(WorkflowError::TemplateNotFound { .. })
    ));
    assert!(matches!(
        c.latest("fun_inp"),
        Err(WorkflowError::TemplateNotFound { .. })
    ));
}

#[test]
fn capability_texts_are_truthful() {
    let c = catalog();
    for t in c.templates() {
        let m = t.manifest();
        let can = m.capabilities.can.join(" ").to_lowercase();
        let cannot = m.capabilities.cannot.join(" ").to_lowercase();
        // Only Start/End Frame (Wan Fun InP) keeps exact frames; nothing lip-syncs but Audio.
        if m.mode == "start_end_frame" {
            assert!(can.contains("first frame exactly"), "{}", m.name);
            assert!(can.contains("last frame exactly"), "{}", m.name);
        } else {
            assert!(
                !can.contains("first frame") && !can.contains("last frame"),
                "{}",
                m.name
            );
            assert!(cannot.contains("exact first or last frame"), "{}", m.name);
        }
        if m.mode != "audio" {
            assert!(!can.contains("lip"), "{} claims lip-sync", m.name);
            assert!(cannot.contains("lip-sync"), "{}", m.name);
        }
        match m.mode.as_str() {
            "animate" => {
                assert!(!can.contains("lip"), "{} claims lip-sync", m.name);
                assert!(cannot.contains("lip-sync"), "{}", m.name);
            }
            "audio" => {
                assert!(!can.contains("replac"), "{} claims replacement", m.name);
                assert!(cannot.contains("replace"), "{}", m.name);
            }
            "start_end_frame" => {
                assert!(cannot.contains("does not follow the motion of a video"));
                assert!(cannot.contains("replace"), "{}", m.name);
            }
            "pose_control" => {
                assert!(can.contains("follows the body motion of your video"));
                assert!(cannot.contains("replace"), "{}", m.name);
            }
            other => panic!("{} ships with unknown mode {other}", m.name),
        }
    }
}

#[test]
fn every_template_profile_aspect_and_framing_binds_and_validates() {
    let c = catalog();
    let info = object_info_with_overlay();
    // The captured server on a big GPU: High uses bf16 where the capture has the file (S2V,
    // Animate) and falls back to fp8 where it does not (Fun InP / Fun Control).
    let server = server_facts(Some(80));
    let mut count = 0;
    for name in TEMPLATES {
        let t = c.latest(name).unwrap();
        let framings: Vec<Option<String>> = if t.manifest().framings.is_empty() {
            vec![None]
        } else {
            t.manifest().framings.keys().cloned().map(Some).collect()
        };
        for profile in t.profile_names() {
            for aspect in t.aspect_names() {
                for framing in &framings {
                    let mut s = reference_settings(t, &profile, &aspect);
                    s.framing = framing.clone();
                    let b = bind(
                        t,
                        &s,
                        &uploads_for(t),
                        Some(&server),
                        "job-1",
                        &mut no_random(),
                    )
                    .unwrap_or_else(|e| panic!("{name}/{profile}/{aspect}: {e}"));
                    assert_eq!(b.width % 16, 0);
                    assert_eq!(b.height % 16, 0);
                    if let Err(issues) = validate(&b.graph, &info) {
                        panic!("{name}/{profile}/{aspect}/{framing:?}: {issues:#?}");
                    }
                    count += 1;
                }
            }
        }
    }
    // Move, Mix, Audio (x3 framings), Start/End Frame, Pose Control.
    assert_eq!(count, 3 * 3 + 3 * 3 + 3 * 3 * 3 + 3 * 3 + 3 * 3);
}

#[test]
fn every_parameter_option_binds_and_validates() {
    let c = catalog();
    let info = object_info_with_overlay();
    let t = c.latest("animate_mix").unwrap();
    for (param, value) in [
        ("background_preservation", json!("high")),
        ("background_preservation", json!("low")),
        ("relight", json!(false)),
        ("relight", json!(true)),
    ] {
        for profile in t.profile_names() {
            let mut s = reference_settings(t, &profile, "16:9");
            s.params.insert(param.into(), value.clone());
            let b = bind(t, &s, &uploads_for(t), None, "job-2", &mut no_random()).unwrap();
            validate(&b.graph, &info).unwrap_or_else(|e| panic!("{param}={value}: {e:#?}"));
        }
    }
}

#[test]
fn unbound_graphs_are_what_a_server_accepts() {
    // graph.json alone (the template's own defaults) must also pass: it is the reviewable
    // source of truth that operators can load.
    let c = catalog();
    let info = object_info_with_overlay();
    for t in c.templates() {
        let g = animatrix_workflow::graph::to_value(t.graph());
        validate(&g, &info).unwrap_or_else(|e| panic!("{}: {e:#?}", t.name()));
    }
}

#[test]
fn the_probe_graphs_that_passed_a_real_server_pass_here() {
    let info = captured_object_info();
    for probe in [
        "comfyui/wan_s2v_probe.json",
        "comfyui/wan_animate_probe.json",
    ] {
        validate(&read_json(shared(probe)), &info).unwrap_or_else(|e| panic!("{probe}: {e:#?}"));
    }
}

#[test]
fn templates_keep_the_official_node_classes() {
    // Every node class of the official templates' active nodes (notes and primitives aside) is
    // in ours, so the graphs stay what the official templates run.
    let c = catalog();
    let animate: BTreeSet<&str> = [
        "CLIPVisionLoader",
        "CLIPLoader",
        "PixelPerfectResolution",
        "LoadVideo",
        "UNETLoader",
        "ModelSamplingSD3",
        "ImageScale",
        "DWPreprocessor",
        "GetVideoComponents",
        "CLIPTextEncode",
        "VAELoader",
        "CLIPVisionEncode",
        "LoadImage",
        "LoraLoaderModelOnly",
        "TrimVideoLatent",
        "VAEDecode",
        "WanAnimateToVideo",
        "ImageFromBatch",
        "CreateVideo",
        "KSampler",
        "ImageBatch",
        "SaveVideo",
    ]
    .into();
    let mix_only: BTreeSet<&str> = [
        "DownloadAndLoadSAM2Model",
        "PointsEditor",
        "Sam2Segmentation",
        "GrowMask",
        "DrawMaskOnImage",
        "BlockifyMask",
    ]
    .into();
    let s2v: BTreeSet<&str> = [
        "CLIPLoader",
        "VAEDecode",
        "CLIPTextEncode",
        "VAELoader",
        "AudioEncoderLoader",
        "WanSoundImageToVideo",
        "ModelSamplingSD3",
        "ImageFromBatch",
        "LatentConcat",
        "LatentCut",
        "LoadImage",
        "LoadAudio",
        "CreateVideo",
        "SaveVideo",
        "AudioEncoderEncode",
        "LoraLoaderModelOnly",
        "UNETLoader",
        "KSampler",
        "WanSoundImageToVideoExtend",
    ]
    .into();
    let classes = |n: &str| c.latest(n).unwrap().node_classes();
    assert!(classes("animate_move").is_superset(&animate));
    assert!(classes("animate_move").is_disjoint(&mix_only));
    assert!(classes("animate_mix").is_superset(&animate.union(&mix_only).copied().collect()));
    assert!(classes("s2v").is_superset(&s2v));
}

#[test]
fn outputs_go_to_the_job_folder_as_h264_mp4_and_a_poster() {
    let c = catalog();
    for name in TEMPLATES {
        let t = c.latest(name).unwrap();
        let b = bind(
            t,
            &reference_settings(t, "standard", "9:16"),
            &uploads_for(t),
            None,
            "0f3c-job_9",
            &mut no_random(),
        )
        .unwrap();
        let g = &b.graph;
        let saves: Vec<&Value> = g
            .as_object()
            .unwrap()
            .values()
            .filter(|n| n["class_type"] == "SaveVideo")
            .collect();
        assert_eq!(saves.len(), 1, "{name}");
        assert_eq!(
            saves[0]["inputs"]["filename_prefix"],
            "animatrix/0f3c-job_9/video"
        );
        assert_eq!(saves[0]["inputs"]["format"], "mp4");
        assert_eq!(saves[0]["inputs"]["codec"], "h264");
        let posters: Vec<&Value> = g
            .as_object()
            .unwrap()
            .values()
            .filter(|n| n["class_type"] == "SaveImage")
            .collect();
        assert_eq!(posters.len(), 1, "{name}");
        assert_eq!(
            posters[0]["inputs"]["filename_prefix"],
            "animatrix/0f3c-job_9/poster"
        );
        // The poster is frame 0 of exactly the frames the video is made of.
        let (src, _) = animatrix_workflow::graph::as_link(&posters[0]["inputs"]["images"]).unwrap();
        let poster = node(g, src);
        assert_eq!(poster["class_type"], "ImageFromBatch");
        assert_eq!(poster["inputs"]["batch_index"], 0);
        assert_eq!(poster["inputs"]["length"], 1);
        let (video, _) = animatrix_workflow::graph::as_link(&saves[0]["inputs"]["video"]).unwrap();
        assert_eq!(
            node(g, video)["inputs"]["images"],
            poster["inputs"]["image"]
        );
        assert_eq!(b.video_prefix, "animatrix/0f3c-job_9/video");
        assert_eq!(b.poster_prefix, "animatrix/0f3c-job_9/poster");
    }
}

#[test]
fn binding_is_deterministic_to_the_byte() {
    let c = catalog();
    for name in TEMPLATES {
        let t = c.latest(name).unwrap();
        let s = reference_settings(t, "high", "16:9");
        let a = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
        let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
        assert_eq!(a.graph_json(), b.graph_json());
        assert_eq!(
            serde_json::to_string(&a).unwrap(),
            serde_json::to_string(&b).unwrap()
        );
    }
}

#[test]
fn random_seed_comes_from_the_source_and_is_reported() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut s = reference_settings(t, "draft", "1:1");
    s.seed = -1;
    let mut src = || u64::MAX; // masked into the JS-safe range
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut src).unwrap();
    assert_eq!(b.resolved_seed, animatrix_workflow::MAX_SEED);
    assert_eq!(
        input(&b.graph, "3", "seed"),
        &json!(animatrix_workflow::MAX_SEED)
    );
    // Segment 2 wraps around instead of overflowing.
    assert_eq!(input(&b.graph, "201:77", "seed"), &json!(0));
    // Replaying with the resolved seed gives the same graph.
    s.seed = b.resolved_seed as i64;
    let again = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(again.graph_json(), b.graph_json());
}

#[test]
fn s2v_length_follows_the_audio_in_segments() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let cases = [
        // (seconds, frames, segments)
        (0.01, 1, 1),
        (5.0, 80, 1),
        (5.06, 81, 2),
        (7.3, 117, 2),
        (9.9, 159, 2),
        (10.0, 160, 3),
        (15.0, 240, 4),
    ];
    for (secs, frames, chunks) in cases {
        let mut s = reference_settings(t, "standard", "9:16");
        s.media.audio_duration_secs = Some(secs);
        let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
        assert_eq!((b.frame_count, b.chunk_count), (frames, chunks), "{secs} s");
        let g = &b.graph;
        assert_eq!(input(g, "96", "length"), &json!(frames));
        assert_eq!(input(g, "96", "batch_index"), &json!(chunks));
        // One WanSoundImageToVideoExtend + KSampler + LatentConcat per extra segment, chained.
        let extends = g
            .as_object()
            .unwrap()
            .values()
            .filter(|n| n["class_type"] == "WanSoundImageToVideoExtend")
            .count();
        assert_eq!(extends as u32, chunks - 1);
        let last = if chunks == 1 {
            json!(["3", 0])
        } else {
            json!([format!("{}:78", 200 + chunks - 1), 0])
        };
        assert_eq!(input(g, "94", "samples"), &last);
        assert_eq!(input(g, "95", "samples2"), &last);
        for k in 2..chunks {
            let prev = format!("{}:78", 200 + k - 1);
            assert_eq!(
                input(g, &format!("{}:76", 200 + k), "video_latent"),
                &json!([prev, 0])
            );
        }
        assert!((b.duration_secs - f64::from(frames) / 16.0).abs() < 1e-9);
    }
}

#[test]
fn audio_longer_than_the_profile_allows_is_refused_in_user_words() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut s = reference_settings(t, "high", "9:16");
    s.media.audio_duration_secs = Some(10.5);
    let e = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap_err();
    assert!(matches!(e, WorkflowError::AudioTooLong { .. }), "{e}");
    assert_eq!(
        e.explain().message,
        "This quality profile supports at most 10 s of audio."
    );
    // A target duration within the limit trims instead, with a warning.
    s.target_duration_secs = Some(8.0);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.frame_count, 128);
    assert_eq!(b.warnings[0].code, "audio_trimmed");
}

#[test]
fn animate_length_follows_the_motion_video_and_continues_motion() {
    let c = catalog();
    let t = c.latest("animate_move").unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    s.media.video_frame_count = Some(300);
    s.media.video_fps = Some(30.0);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    // 77 + 72 * 4 = 365 >= 300
    assert_eq!((b.frame_count, b.chunk_count), (300, 5));
    assert!((b.fps - 30.0).abs() < 1e-9);
    let g = &b.graph;
    assert_eq!(input(g, "301", "length"), &json!(300));
    assert_eq!(input(g, "600", "length"), &json!(300));
    assert_eq!(input(g, "600", "image"), &json!(["404:86", 0]));
    assert_eq!(input(g, "401:90", "continue_motion"), &json!(["230", 0]));
    assert_eq!(input(g, "401:90", "video_frame_offset"), &json!(["62", 5]));
    assert_eq!(input(g, "402:90", "continue_motion"), &json!(["401:86", 0]));
    assert_eq!(
        input(g, "402:90", "video_frame_offset"),
        &json!(["401:90", 5])
    );
    assert_eq!(input(g, "402:86", "image1"), &json!(["401:86", 0]));
    assert_eq!(input(g, "402:91", "seed"), &json!(123_456_789 + 2));
    assert_eq!(input(g, "402:91", "steps"), &json!(20));
    // Output frame rate is the source's: CreateVideo reads it from the video.
    assert_eq!(input(g, "15", "fps"), &json!(["23", 2]));
    assert!(b.warnings.is_empty());

    // Longer than the profile allows: trimmed with a warning, never an error.
    s.media.video_frame_count = Some(30 * 60);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.frame_count, 450);
    assert_eq!(b.chunk_count, 7);
    assert_eq!(b.warnings[0].code, "video_trimmed");
    // A 60 fps video hits the segment cap before the duration cap.
    s.media.video_fps = Some(60.0);
    s.media.video_frame_count = Some(60 * 15);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.chunk_count, 8);
    assert_eq!(b.frame_count, 77 + 72 * 7);
}

#[test]
fn profiles_switch_models_loras_and_steps() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let high = bind(
        t,
        &reference_settings(t, "high", "9:16"),
        &uploads_for(t),
        None,
        "j",
        &mut no_random(),
    )
    .unwrap();
    let g = &high.graph;
    assert!(g.get("107").is_none(), "the 4-step LoRA is removed in high");
    assert_eq!(input(g, "54", "model"), &json!(["37", 0]));
    assert_eq!(
        input(g, "37", "unet_name"),
        "wan2.2_s2v_14B_bf16.safetensors"
    );
    assert_eq!(input(g, "3", "steps"), &json!(20));
    assert_eq!(input(g, "3", "cfg"), &json!(6.0));
    assert_eq!((high.width, high.height), (720, 1280));
    // Standard (1.1.0): the official full-step recipe, no speed LoRA, fp8 model.
    let std = bind(
        t,
        &reference_settings(t, "standard", "9:16"),
        &uploads_for(t),
        None,
        "j",
        &mut no_random(),
    )
    .unwrap();
    assert!(std.graph.get("107").is_none());
    assert_eq!(input(&std.graph, "54", "model"), &json!(["37", 0]));
    assert_eq!(
        input(&std.graph, "37", "unet_name"),
        "wan2.2_s2v_14B_fp8_scaled.safetensors"
    );
    assert_eq!(input(&std.graph, "201:77", "steps"), &json!(20));
    assert_eq!(input(&std.graph, "201:77", "cfg"), &json!(6.0));
    // Draft keeps the 4-step lightx2v LoRA.
    let draft = bind(
        t,
        &reference_settings(t, "draft", "9:16"),
        &uploads_for(t),
        None,
        "j",
        &mut no_random(),
    )
    .unwrap();
    assert_eq!(input(&draft.graph, "54", "model"), &json!(["107", 0]));
    assert_eq!(input(&draft.graph, "201:77", "steps"), &json!(4));
    assert_eq!(input(&draft.graph, "201:77", "cfg"), &json!(1.0));
}

#[test]
fn framing_maps_to_resolution_and_prompt_hint() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut s = reference_settings(t, "draft", "9:16");
    s.framing = Some("full_body".into());
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!((b.width, b.height), (608, 1040));
    let prompt = input(&b.graph, "6", "text").as_str().unwrap();
    assert!(
        prompt.starts_with("The character waves and smiles at the camera, full body shot"),
        "{prompt}"
    );
    s.framing = Some("portrait".into());
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!((b.width, b.height), (480, 832));
    assert!(
        input(&b.graph, "6", "text")
            .as_str()
            .unwrap()
            .contains("close-up portrait")
    );
    s.framing = Some("wide".into());
    assert!(matches!(
        bind(t, &s, &uploads_for(t), None, "j", &mut no_random()),
        Err(WorkflowError::UnknownFraming { .. })
    ));
    let move_t = c.latest("animate_move").unwrap();
    let mut s = reference_settings(move_t, "draft", "9:16");
    s.framing = Some("portrait".into());
    assert!(matches!(
        bind(
            move_t,
            &s,
            &uploads_for(move_t),
            None,
            "j",
            &mut no_random()
        ),
        Err(WorkflowError::UnknownFraming { .. })
    ));
}

#[test]
fn mix_marks_the_person_in_working_frame_pixels() {
    let c = catalog();
    let t = c.latest("animate_mix").unwrap();
    // Landscape 1920x1080 source, portrait 576x1024 working frame: center crop.
    let mut s = reference_settings(t, "standard", "9:16");
    s.media.video_width = Some(1920);
    s.media.video_height = Some(1080);
    s.points = vec![Point { x: 0.5, y: 0.5 }, Point { x: 0.6, y: 0.25 }];
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    // scale = 1024/1080; x' = 0.6*1920*k - (1920*k - 576)/2
    assert_eq!(
        input(&b.graph, "229", "coordinates"),
        "[{\"x\":288,\"y\":512},{\"x\":470,\"y\":256}]"
    );
    assert_eq!(
        input(&b.graph, "229", "points_store"),
        "{\"negative\":[],\"positive\":[{\"x\":288,\"y\":512},{\"x\":470,\"y\":256}]}"
    );
    s.points = vec![Point { x: 0.1, y: 0.5 }];
    let e = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap_err();
    assert!(matches!(e, WorkflowError::PointOutsideFrame { .. }), "{e}");
    assert_eq!(e.explain().code, "point_outside_frame");
    s.points.clear();
    assert!(matches!(
        bind(t, &s, &uploads_for(t), None, "j", &mut no_random()),
        Err(WorkflowError::MissingPoints { .. })
    ));
    // Move takes no points.
    let mv = c.latest("animate_move").unwrap();
    let mut s = reference_settings(mv, "standard", "9:16");
    s.points = vec![Point { x: 0.5, y: 0.5 }];
    assert!(matches!(
        bind(mv, &s, &uploads_for(mv), None, "j", &mut no_random()),
        Err(WorkflowError::PointsNotSupported { .. })
    ));
}

#[test]
fn mix_parameters_change_the_mask_and_relighting() {
    let c = catalog();
    let t = c.latest("animate_mix").unwrap();
    let mut s = reference_settings(t, "standard", "9:16");
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(input(&b.graph, "274", "expand"), &json!(10));
    assert_eq!(input(&b.graph, "60", "model"), &json!(["99", 0]));
    s.params
        .insert("background_preservation".into(), json!("high"));
    s.params.insert("relight".into(), json!(false));
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(input(&b.graph, "274", "expand"), &json!(4));
    assert_eq!(input(&b.graph, "276", "block_size"), &json!(16));
    assert!(b.graph.get("99").is_none());
    // Standard (1.1.0) runs without the speed LoRA either: the model comes from the loader.
    assert_eq!(input(&b.graph, "60", "model"), &json!(["20", 0]));
    // Background video and mask feed every segment.
    assert_eq!(
        input(&b.graph, "401:90", "character_mask"),
        &json!(["276", 0])
    );
    assert_eq!(
        input(&b.graph, "401:90", "background_video"),
        &json!(["275", 0])
    );
}

#[test]
fn settings_errors_are_typed() {
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let up = uploads_for(t);
    let base = reference_settings(t, "standard", "9:16");
    let check = |f: &dyn Fn(&mut JobSettings), code: &str| {
        let mut s = base.clone();
        f(&mut s);
        let e = bind(t, &s, &up, None, "j", &mut no_random()).unwrap_err();
        assert_eq!(e.explain().code, code, "{e}");
        assert!(!e.explain().message.is_empty());
    };
    check(&|s| s.profile = Some("ultra".into()), "unknown_profile");
    check(&|s| s.aspect = Some("4:3".into()), "unknown_aspect");
    check(&|s| s.seed = -2, "invalid_seed");
    check(&|s| s.seed = i64::MAX, "invalid_seed");
    check(&|s| s.prompt = "x".repeat(2001), "prompt_too_long");
    check(
        &|s| s.negative_prompt = Some("x".repeat(2001)),
        "prompt_too_long",
    );
    check(
        &|s| {
            s.params.insert("cfg".into(), json!(3));
        },
        "unknown_parameter",
    );
    check(&|s| s.template = "animate_move".into(), "template_mismatch");
    check(
        &|s| s.media.audio_duration_secs = None,
        "missing_media_fact",
    );
    check(
        &|s| s.media.audio_duration_secs = Some(f64::NAN),
        "invalid_media_fact",
    );
    check(
        &|s| s.media.audio_duration_secs = Some(0.0),
        "invalid_media_fact",
    );
    check(
        &|s| s.target_duration_secs = Some(-1.0),
        "invalid_target_duration",
    );
    let e = bind(t, &base, &up, None, "../etc", &mut no_random()).unwrap_err();
    assert!(matches!(e, WorkflowError::InvalidJobId { .. }));
    let mut bad = up.clone();
    bad.remove("audio");
    assert!(matches!(
        bind(t, &base, &bad, None, "j", &mut no_random()),
        Err(WorkflowError::MissingInput { .. })
    ));
    let mut bad = up.clone();
    bad.insert("motion_video", "x.mp4");
    assert!(matches!(
        bind(t, &base, &bad, None, "j", &mut no_random()),
        Err(WorkflowError::UnexpectedInput { .. })
    ));
    for name in [
        "../secret.png",
        "/abs.png",
        "a\\b.png",
        "C:x.png",
        "",
        "a//b.png",
    ] {
        let mut bad = up.clone();
        bad.insert("ground_truth", name);
        let r = bind(t, &base, &bad, None, "j", &mut no_random());
        assert!(
            matches!(
                r,
                Err(WorkflowError::InvalidInputName { .. })
                    | Err(WorkflowError::MissingInput { .. })
            ),
            "{name}: {r:?}"
        );
    }
    let mut ok = up.clone();
    ok.insert("ground_truth", "animatrix/test_image (1).png");
    bind(t, &base, &ok, None, "j", &mut no_random()).unwrap();

    let mix = c.latest("animate_mix").unwrap();
    let mbase = reference_settings(mix, "standard", "9:16");
    let mcheck = |f: &dyn Fn(&mut JobSettings), code: &str| {
        let mut s = mbase.clone();
        f(&mut s);
        let e = bind(mix, &s, &uploads_for(mix), None, "j", &mut no_random()).unwrap_err();
        assert_eq!(e.explain().code, code, "{e}");
    };
    mcheck(
        &|s| {
            s.params.insert("relight".into(), json!("yes"));
        },
        "parameter_wrong_type",
    );
    mcheck(
        &|s| {
            s.params
                .insert("background_preservation".into(), json!("max"));
        },
        "parameter_invalid_choice",
    );
    mcheck(
        &|s| s.points = vec![Point { x: 1.5, y: 0.2 }],
        "point_out_of_range",
    );
    mcheck(
        &|s| s.points = vec![Point { x: 0.5, y: 0.5 }; 9],
        "too_many_points",
    );
    mcheck(&|s| s.media.video_fps = Some(0.0), "invalid_media_fact");
    mcheck(
        &|s| s.media.video_frame_count = Some(0),
        "invalid_media_fact",
    );
    mcheck(&|s| s.media.video_fps = None, "missing_media_fact");
}

#[test]
fn preflight_against_the_captured_server() {
    let c = catalog();
    let models = captured_models();
    let full = server_facts(Some(80));
    let bare = ServerFacts::new(
        &captured_object_info(),
        full.devices.clone(),
        models.clone(),
    );
    for name in TEMPLATES {
        let t = c.latest(name).unwrap();
        // Every model file the templates need is in the capture (fp8 and bf16 variants),
        // except the bf16 Fun InP / Fun Control experts: High then runs fp8 with a note.
        let r = preflight(t, &full);
        assert!(r.ready, "{name}: {r:#?}");
        let fun_bf16 = match name {
            "start_end_frame" => Some("fun_inpaint"),
            "pose_control" => Some("fun_control"),
            _ => None,
        };
        match fun_bf16 {
            None => assert_eq!(r.verdict, "ready", "{name}"),
            Some(kind) => assert_eq!(
                r.verdict,
                format!(
                    "ready (High without the bf16 models: The server does not have \
                     wan2.2_{kind}_high_noise_14B_bf16.safetensors, \
                     wan2.2_{kind}_low_noise_14B_bf16.safetensors.)"
                ),
                "{name}"
            ),
        }
        assert_eq!(r.ready_profiles, vec!["draft", "standard", "high"]);
        let bare_report = preflight(t, &bare);
        if name == "animate_mix" {
            let missing: Vec<(&str, &str)> = bare_report
                .missing_nodes
                .iter()
                .map(|m| (m.class.as_str(), m.pack.as_str()))
                .collect();
            assert_eq!(
                missing,
                vec![
                    ("DownloadAndLoadSAM2Model", "ComfyUI-segment-anything-2"),
                    ("Sam2Segmentation", "ComfyUI-segment-anything-2"),
                ]
            );
            assert!(!bare_report.ready && bare_report.ready_profiles.is_empty());
            assert!(
                bare_report
                    .auto_downloads
                    .iter()
                    .any(|a| a.file == "sam2_hiera_base_plus.safetensors")
            );
        } else {
            assert!(bare_report.ready, "{name}: {bare_report:#?}");
        }
    }
    let folders: Vec<String> = animatrix_workflow::model_folders(c.latest("s2v").unwrap())
        .into_iter()
        .collect();
    assert_eq!(
        folders,
        [
            "audio_encoders",
            "diffusion_models",
            "loras",
            "text_encoders",
            "vae"
        ]
    );
    // A server without the bf16 file still runs every profile: High falls back to fp8.
    let t = c.latest("s2v").unwrap();
    let mut m = animatrix_workflow::ModelsByFolder::new();
    for (folder, files) in [
        (
            "diffusion_models",
            vec!["wan2.2_s2v_14B_fp8_scaled.safetensors"],
        ),
        (
            "loras",
            vec!["wan2.2_t2v_lightx2v_4steps_lora_v1.1_high_noise.safetensors"],
        ),
        (
            "text_encoders",
            vec!["umt5_xxl_fp8_e4m3fn_scaled.safetensors"],
        ),
        ("vae", vec!["wan_2.1_vae.safetensors"]),
    ] {
        m.insert(folder, files);
    }
    let mut server = full.clone();
    server.models = m;
    let r = preflight(t, &server);
    assert!(!r.ready);
    assert!(
        r.ready_profiles.is_empty(),
        "audio encoder missing everywhere"
    );
    let missing: Vec<(&str, Vec<String>)> = r
        .missing_models
        .iter()
        .map(|x| (x.file.as_str(), x.profiles.clone()))
        .collect();
    assert_eq!(
        missing,
        vec![(
            "wav2vec2_large_english_fp16.safetensors",
            vec!["draft".to_owned(), "standard".to_owned(), "high".to_owned()]
        ),]
    );
    assert_eq!(
        r.verdict,
        "missing models: wav2vec2_large_english_fp16.safetensors"
    );
    server.models.insert(
        "audio_encoders",
        ["wav2vec2_large_english_fp16.safetensors"],
    );
    let r = preflight(t, &server);
    assert_eq!(r.ready_profiles, vec!["draft", "standard", "high"]);
    assert_eq!(
        r.verdict,
        "ready (High without the bf16 model: The server does not have wan2.2_s2v_14B_bf16.safetensors.)"
    );
}

#[test]
fn validation_catches_a_server_without_the_models() {
    // The server's own combo lists are model lists: a bound graph for a file the server lacks
    // fails validation just as POST /prompt would.
    let c = catalog();
    let t = c.latest("s2v").unwrap();
    let mut raw = read_json(shared("comfyui/object_info.json"));
    raw["UNETLoader"]["input"]["required"]["unet_name"][0] =
        json!(["wan2.2_s2v_14B_fp8_scaled.safetensors"]);
    let info = animatrix_workflow::ObjectInfo::from_value(&raw).unwrap();
    let b = bind(
        t,
        &reference_settings(t, "high", "9:16"),
        &uploads_for(t),
        None,
        "j",
        &mut no_random(),
    )
    .unwrap();
    let issues = validate(&b.graph, &info).unwrap_err();
    assert_eq!(issues.len(), 1, "{issues:#?}");
    assert_eq!(issues[0].kind, IssueKind::ValueNotInList);
    assert_eq!(issues[0].node_id, "37");
}

#[test]
fn reference_jobs_snapshot() {
    let c = catalog();
    for name in TEMPLATES {
        let t = c.latest(name).unwrap();
        for profile in t.profile_names() {
            let b = bind(
                t,
                &reference_settings(t, &profile, "9:16"),
                &uploads_for(t),
                None,
                "ref-job",
                &mut no_random(),
            )
            .unwrap();
            insta::assert_json_snapshot!(format!("{name}__{profile}"), b.graph);
        }
    }
}

#[test]
fn drop_in_template_folder_appears_without_code_change() {
    let tmp = tempfile::tempdir().unwrap();
    copy_dir(&workflows_dir(), tmp.path());
    // A future Fun Inp template: its own graph and manifest, nothing else.
    let src = workflows_dir().join("s2v/1.0.0");
    let dst = tmp.path().join("fun_inp/1.0.0");
    std::fs::create_dir_all(&dst).unwrap();
    std::fs::copy(src.join("graph.json"), dst.join("graph.json")).unwrap();
    let mut m = read_json(src.join("manifest.json"));
    m["name"] = json!("fun_inp");
    m["display_name"] = json!("Start and end frame");
    // A mode and a timeline this app has no composer for yet still load and bind.
    m["mode"] = json!("keyframes");
    m["mode_label"] = json!("Keyframes");
    m["timeline"]["source"] = json!("fixed");
    std::fs::write(
        dst.join("manifest.json"),
        serde_json::to_string_pretty(&m).unwrap(),
    )
    .unwrap();
    // And a second version of an existing template.
    let v2 = tmp.path().join("s2v/1.1.0");
    std::fs::create_dir_all(&v2).unwrap();
    std::fs::copy(src.join("graph.json"), v2.join("graph.json")).unwrap();
    let mut m2 = read_json(src.join("manifest.json"));
    m2["version"] = json!("1.1.0");
    std::fs::write(
        v2.join("manifest.json"),
        serde_json::to_string_pretty(&m2).unwrap(),
    )
    .unwrap();
    // And one for a future app version only.
    let v3 = tmp.path().join("s2v/2.0.0");
    std::fs::create_dir_all(&v3).unwrap();
    std::fs::copy(src.join("graph.json"), v3.join("graph.json")).unwrap();
    let mut m3 = read_json(src.join("manifest.json"));
    m3["version"] = json!("2.0.0");
    m3["app_version"] = json!(">=9.0.0");
    std::fs::write(
        v3.join("manifest.json"),
        serde_json::to_string_pretty(&m3).unwrap(),
    )
    .unwrap();

    let c = Catalog::load(tmp.path()).unwrap();
    let listed: Vec<(String, String, bool, bool)> = c
        .list()
        .into_iter()
        .map(|s| (s.name, s.version, s.compatible, s.latest))
        .collect();
    assert!(
        listed.contains(&("fun_inp".into(), "1.0.0".into(), true, true)),
        "{listed:?}"
    );
    assert!(listed.contains(&("s2v".into(), "1.0.0".into(), true, false)));
    assert!(listed.contains(&("s2v".into(), "1.1.0".into(), true, true)));
    assert!(listed.contains(&("s2v".into(), "2.0.0".into(), false, false)));
    assert_eq!(c.latest("s2v").unwrap().version().to_string(), "1.1.0");
    assert_eq!(
        c.get("s2v", "1.0.0").unwrap().version().to_string(),
        "1.0.0"
    );
    let t = c.latest("fun_inp").unwrap();
    assert_eq!(t.manifest().mode, "keyframes");
    let mut s = reference_settings(t, "draft", "1:1");
    s.template = "fun_inp".into();
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.frame_count, 81, "default length rounded up to 4n+1");
    s.target_duration_secs = Some(3.0);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.frame_count, 49);
    s.target_duration_secs = Some(60.0);
    let b = bind(t, &s, &uploads_for(t), None, "j", &mut no_random()).unwrap();
    assert_eq!(b.frame_count, 317, "capped at 20 s of draft, 4n+1");
    assert_eq!(b.warnings[0].code, "duration_capped");

    // A folder whose manifest disagrees with its path is refused.
    let wrong = tmp.path().join("s2v/3.0.0");
    std::fs::create_dir_all(&wrong).unwrap();
    std::fs::copy(src.join("graph.json"), wrong.join("graph.json")).unwrap();
    std::fs::copy(src.join("manifest.json"), wrong.join("manifest.json")).unwrap();
    assert!(matches!(
        Catalog::load(tmp.path()),
        Err(WorkflowError::TemplateFolderMismatch { .. })
    ));
}

#[test]
fn broken_manifests_are_refused_with_a_reason() {
    let src = workflows_dir().join("s2v/1.0.0");
    let graph = std::fs::read_to_string(src.join("graph.json")).unwrap();
    let good = read_json(src.join("manifest.json"));
    type Edit = Box<dyn Fn(&mut Value)>;
    let cases: Vec<(&str, Edit)> = vec![
        (
            "typo in slot target",
            Box::new(|m| m["slots"]["prompt"][0]["input"] = json!("txt")),
        ),
        (
            "slot target onto a link",
            Box::new(|m| m["slots"]["prompt"][0]["input"] = json!("clip")),
        ),
        (
            "missing node",
            Box::new(|m| m["slots"]["width"][0]["node"] = json!("999")),
        ),
        (
            "undeclared class",
            Box::new(|m| {
                m["nodes"].as_array_mut().unwrap().pop();
            }),
        ),
        (
            "resolution not /16",
            Box::new(|m| m["profiles"]["draft"]["resolution"]["1:1"] = json!([630, 640])),
        ),
        ("unknown field", Box::new(|m| m["colour"] = json!("red"))),
        (
            "bad default profile",
            Box::new(|m| m["defaults"]["profile"] = json!("ultra")),
        ),
        (
            "bypass of a literal",
            Box::new(|m| {
                m["profiles"]["high"]["bypass"] = json!([{"node": "37", "input": "unet_name"}])
            }),
        ),
        (
            "unknown port",
            Box::new(|m| {
                m["extension"]["fragment"]["78"]["inputs"]["samples1"] = json!({"port": "nope"})
            }),
        ),
        (
            "fragment id clash",
            Box::new(|m| {
                let n = m["extension"]["fragment"]["78"].clone();
                m["extension"]["fragment"]["3"] = n;
            }),
        ),
        ("schema", Box::new(|m| m["schema"] = json!(1))),
    ];
    for (what, f) in cases {
        let mut m = good.clone();
        f(&mut m);
        let r = animatrix_workflow::Template::from_json(&m.to_string(), &graph);
        assert!(
            matches!(
                r,
                Err(WorkflowError::TemplateInvalid { .. }) | Err(WorkflowError::Parse { .. })
            ),
            "{what}: {:?}",
            r.map(|t| t.name().to_owned())
        );
    }
    animatrix_workflow::Template::from_json(&good.to_string(), &graph).unwrap();
}

#[test]
fn released_templates_are_immutable() {
    // workflows/released.json pins the digest of every released version. Changing a released
    // graph or manifest fails here: ship the change as a new version folder instead.
    let c = catalog();
    let lock = read_json(workflows_dir().join("released.json"));
    let lock = lock.as_object().unwrap();
    for t in c.templates() {
        let key = format!("{}/{}", t.name(), t.version());
        let pinned = lock.get(&key).unwrap_or_else(|| {
            panic!(
                "{key} is not in workflows/released.json (add its digest {})",
                t.digest()
            )
        });
        assert_eq!(
            pinned.as_str(),
            Some(t.digest()),
            "{key} changed after release"
        );
    }
    assert_eq!(
        lock.len(),
        c.templates().count(),
        "released.json names a template that is gone"
    );
}

#[test]
fn profile_limits_are_consistent() {
    // An audio template must be able to cover its longest allowed audio within its segment cap,
    // so the only refusal a user sees is about duration.
    let c = catalog();
    for t in c.templates() {
        let m = t.manifest();
        for (name, p) in &m.profiles {
            if let Some(fps) = m.timeline.fps {
                let needed = (p.max_duration_secs * fps).ceil() as u64;
                assert!(
                    m.timeline.capacity(p.max_chunks) >= needed,
                    "{} {name}",
                    t.name()
                );
            }
            for [w, h] in p.resolution.values() {
                assert!(
                    p.max_side.is_none_or(|s| *w <= s && *h <= s),
                    "{} {name}",
                    t.name()
                );
            }
        }
    }
}
