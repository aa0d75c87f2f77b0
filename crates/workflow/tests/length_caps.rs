#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! How long an output may be: a template with no `extension` makes one Wan pass, so its frame
//! count is capped at `first_chunk_frames` as well as by the profile's duration, whatever
//! drives its timeline (a video, an audio file or a fixed length). The planner applies the
//! cap, so the composer's plan, the bound graph and the warning agree.

mod common;

use animatrix_workflow::{Attached, JobSettings, Template, bind, plan, validate};
use common::*;
use serde_json::{Value, json};

fn attached(t: &Template) -> Attached {
    uploads_for(t).attached()
}

/// Plans and binds `s` for the captured server; checks they agree and the graph validates;
/// gives the bound length, segments and the timeline's warnings (code, message).
fn planned(t: &Template, s: &JobSettings) -> (u32, u32, Vec<(String, String)>, Value) {
    // On a big GPU of the captured server (High runs the fp8 experts it has, with a note).
    let server = server_facts(Some(80));
    let p = plan(t, s, &attached(t), Some(&server));
    assert!(p.ready(), "{:#?}", p.issues);
    let b = bind(t, s, &uploads_for(t), Some(&server), "j", &mut no_random()).unwrap();
    let timing = p.timing.unwrap();
    assert_eq!(
        (timing.frame_count, timing.segments),
        (b.frame_count, b.chunk_count)
    );
    assert_eq!(p.warnings, b.warnings);
    validate(&b.graph, &object_info_with_overlay()).unwrap();
    let warnings = b
        .warnings
        .iter()
        .filter(|w| w.code != "profile_fallback")
        .map(|w| (w.code.to_string(), w.message.clone()))
        .collect();
    (b.frame_count, b.chunk_count, warnings, b.graph)
}

#[test]
fn pose_control_makes_at_most_one_wan_pass_of_its_control_video() {
    let c = catalog();
    let t = c.latest("pose_control").unwrap();
    assert!(t.manifest().extension.is_none());
    assert_eq!(t.manifest().timeline.first_chunk_frames, 81);
    for profile in t.profile_names() {
        // The brief's case: 5 s at 30 fps is within the profile's 5 s but is 150 frames, more
        // than one pass makes. The output keeps the first 81 and says so.
        let s = reference_settings(t, &profile, "9:16");
        assert_eq!(
            (s.media.video_frame_count, s.media.video_fps),
            (Some(150), Some(30.0))
        );
        let (frames, segments, warnings, g) = planned(t, &s);
        assert_eq!((frames, segments), (81, 1), "{profile}");
        assert_eq!(
            warnings,
            vec![(
                "video_trimmed".to_owned(),
                "Only the first 2.7 s of the control video will be used.".to_owned()
            )]
        );
        // The control frames read and the frames delivered are both the capped count.
        assert_eq!(g["186"]["inputs"]["length"], json!(81));
        assert_eq!(g["196"]["inputs"]["length"], json!(81));
    }
    let mut s = reference_settings(t, "draft", "9:16");
    // (frames, fps, target) -> (frames used, trimmed?)
    let cases = [
        (81, 30.0, None, 81, false),
        (82, 30.0, None, 81, true),
        // At 16 fps the profile's 5 s (80 frames) is the shorter limit.
        (80, 16.0, None, 80, false),
        (100, 16.0, None, 80, true),
        // A shorter target wins over both.
        (150, 30.0, Some(2.0), 60, true),
        (48, 16.0, None, 48, false),
    ];
    for (src, fps, target, used, trimmed) in cases {
        s.media.video_frame_count = Some(src);
        s.media.video_fps = Some(fps);
        s.target_duration_secs = target;
        let (frames, segments, warnings, _) = planned(t, &s);
        assert_eq!((frames, segments), (used, 1), "{src} @ {fps}");
        assert_eq!(
            warnings.iter().any(|(code, _)| code == "video_trimmed"),
            trimmed,
            "{src} @ {fps}: {warnings:?}"
        );
    }
}

#[test]
fn a_fixed_length_without_extension_stays_within_one_pass() {
    let c = catalog();
    let t = c.latest("start_end_frame").unwrap();
    let mut s = reference_settings(t, "standard", "16:9");
    s.target_duration_secs = Some(60.0);
    let (frames, segments, warnings, g) = planned(t, &s);
    assert_eq!((frames, segments), (81, 1));
    assert_eq!(warnings[0].0, "duration_capped");
    assert_eq!(g["111"]["inputs"]["length"], json!(81));
}

/// Audio Performance's graph and profiles with the extension taken out: a one-pass audio
/// template (80 frames at 16 fps = 5 s) whose profiles allow 10-20 s.
fn one_pass_audio_template() -> Template {
    let dir = workflows_dir().join("s2v/1.1.0");
    let mut m = read_json(dir.join("manifest.json"));
    m["name"] = json!("one_pass_audio");
    m["mode"] = json!("one_pass_audio");
    m["mode_label"] = json!("One pass audio");
    m.as_object_mut().unwrap().remove("extension");
    drop_extension_targets(&mut m);
    for (_, p) in m["profiles"].as_object_mut().unwrap() {
        p["max_chunks"] = json!(1);
    }
    // Only the classes graph.json itself uses stay declared.
    let graph = std::fs::read_to_string(dir.join("graph.json")).unwrap();
    let g: Value = serde_json::from_str(&graph).unwrap();
    let in_graph = |class: &Value| {
        g.as_object()
            .unwrap()
            .values()
            .any(|n| n["class_type"] == *class)
    };
    let used: Vec<Value> = m["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| in_graph(&n["class"]))
        .cloned()
        .collect();
    m["nodes"] = json!(used);
    Template::from_json(&m.to_string(), &graph).unwrap()
}

/// Removes every target and set value that points into the extension fragment.
fn drop_extension_targets(v: &mut Value) {
    match v {
        Value::Array(items) => {
            items.retain(|i| i["extension"] != json!(true));
            items.iter_mut().for_each(drop_extension_targets);
        }
        Value::Object(fields) => fields.values_mut().for_each(drop_extension_targets),
        _ => {}
    }
}

#[test]
fn audio_longer_than_one_pass_is_refused_or_trimmed_to_it() {
    let t = one_pass_audio_template();
    let mut s = reference_settings(&t, "draft", "9:16");
    s.template = t.name().to_owned();
    // 7.3 s: within Draft's 20 s, but 117 frames do not fit the one 80-frame pass.
    let p = plan(&t, &s, &attached(&t), None);
    assert_eq!(p.issues.len(), 1, "{:#?}", p.issues);
    assert_eq!(p.issues[0].code, "audio_too_long");
    assert_eq!(
        p.issues[0].message,
        "This quality profile supports at most 5 s of audio."
    );
    assert_eq!(
        p.issues[0].suggestion, "Trim the audio to 5 s or less.",
        "no profile fits"
    );
    assert!(bind(&t, &s, &uploads_for(&t), None, "j", &mut no_random()).is_err());
    // A target within the pass trims, with the usual warning.
    s.target_duration_secs = Some(5.0);
    let (frames, segments, warnings, g) = planned(&t, &s);
    assert_eq!((frames, segments), (80, 1));
    assert_eq!(warnings[0].0, "audio_trimmed");
    assert_eq!(g["96"]["inputs"]["length"], json!(80));
    // One frame more than the pass holds is refused.
    s.target_duration_secs = Some(5.01);
    assert_eq!(
        plan(&t, &s, &attached(&t), None).issues[0].code,
        "audio_too_long"
    );
}
