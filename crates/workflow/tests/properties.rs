#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Property tests: any valid settings bind into a graph the server accepts; any invalid
//! settings give a typed error (never a panic, never a graph).

mod common;

use std::sync::OnceLock;

use animatrix_common::Explain;
use animatrix_workflow::{
    Catalog, JobSettings, MAX_SEED, ObjectInfo, Point, ServerFacts, bind, plan, validate,
};
use common::*;
use proptest::prelude::*;
use serde_json::json;

/// The catalog, the captured server's schemas, and its facts on a big GPU (High runs the fp8
/// Fun experts it has, so every graph names files the captured server lists).
fn fixtures() -> &'static (Catalog, ObjectInfo, ServerFacts) {
    static F: OnceLock<(Catalog, ObjectInfo, ServerFacts)> = OnceLock::new();
    F.get_or_init(|| {
        (
            catalog(),
            object_info_with_overlay(),
            server_facts(Some(80)),
        )
    })
}

const NAMES: [&str; 5] = [
    "animate_move",
    "animate_mix",
    "s2v",
    "pose_control",
    "start_end_frame",
];

#[derive(Debug, Clone)]
struct Case {
    template: usize,
    profile: usize,
    aspect: usize,
    framing: Option<usize>,
    seed: i64,
    prompt: String,
    negative: Option<String>,
    audio_fraction: f64,
    frames: u32,
    fps: f64,
    size: (u32, u32),
    target: Option<f64>,
    points: Vec<(f64, f64)>,
    preservation: Option<usize>,
    relight: Option<bool>,
}

fn case() -> impl Strategy<Value = Case> {
    (
        (0..5usize, 0..3usize, 0..3usize, prop::option::of(0..3usize)),
        (
            prop_oneof![Just(-1i64), 0..=MAX_SEED as i64],
            // A prompt needs a visible character (an empty one is refused: prompt_empty).
            "[A-Za-z]\\PC{0,299}",
            prop::option::of("\\PC{0,100}"),
        ),
        (
            0.001f64..=1.0,
            1u32..=4000,
            10.0f64..=60.0,
            (64u32..=4000, 0.5f64..=2.0),
        ),
        prop::option::of(0.2f64..=40.0),
        prop::collection::vec((0.45f64..=0.55, 0.45f64..=0.55), 1..=8),
        (prop::option::of(0..3usize), prop::option::of(any::<bool>())),
    )
        .prop_map(|(t, s, m, target, points, p)| Case {
            template: t.0,
            profile: t.1,
            aspect: t.2,
            framing: t.3,
            seed: s.0,
            prompt: s.1,
            negative: s.2,
            audio_fraction: m.0,
            frames: m.1,
            fps: m.2,
            size: (m.3.0, ((f64::from(m.3.0) / m.3.1).round() as u32).max(1)),
            target,
            points,
            preservation: p.0,
            relight: p.1,
        })
}

fn settings(c: &Case) -> (JobSettings, &'static animatrix_workflow::Template) {
    let (cat, _, _) = fixtures();
    let t = cat.latest(NAMES[c.template]).unwrap();
    let m = t.manifest();
    let profile = t.profile_names()[c.profile].clone();
    let mut s = JobSettings::new(m.name.clone(), c.prompt.clone());
    s.aspect = Some(t.aspect_names()[c.aspect].clone());
    s.seed = c.seed;
    s.negative_prompt = c.negative.clone();
    s.target_duration_secs = c.target;
    if !m.framings.is_empty() {
        s.framing = c.framing.map(|i| m.framings.keys().nth(i).unwrap().clone());
    }
    if m.inputs.contains_key("audio") {
        s.media.audio_duration_secs =
            Some(m.profiles[&profile].max_duration_secs * c.audio_fraction);
    } else {
        s.media.video_frame_count = Some(c.frames);
        s.media.video_fps = Some(c.fps);
        s.media.video_width = Some(c.size.0);
        s.media.video_height = Some(c.size.1);
    }
    if m.limits.max_points > 0 {
        s.points = c.points.iter().map(|&(x, y)| Point { x, y }).collect();
        if let Some(i) = c.preservation {
            s.params.insert(
                "background_preservation".into(),
                json!(["high", "balanced", "low"][i]),
            );
        }
        if let Some(b) = c.relight {
            s.params.insert("relight".into(), json!(b));
        }
    }
    s.profile = Some(profile);
    (s, t)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn valid_settings_always_bind_and_validate(c in case()) {
        let (_, info, server) = fixtures();
        let (s, t) = settings(&c);
        let mut rng = || 0xDEAD_BEEF_u64;
        let b = bind(t, &s, &uploads_for(t), Some(server), "prop-job", &mut rng).unwrap();
        prop_assert!(validate(&b.graph, info).is_ok(), "{:?}", validate(&b.graph, info));
        let profile = &t.manifest().profiles[&b.profile];
        prop_assert!(b.frame_count >= 1);
        prop_assert!(b.chunk_count >= 1 && b.chunk_count <= profile.max_chunks);
        prop_assert!(u64::from(b.frame_count) <= t.manifest().timeline.capacity(b.chunk_count));
        // The composer's plan promises exactly what was bound.
        let timing = plan(t, &s, &uploads_for(t).attached(), Some(server)).timing.unwrap();
        prop_assert_eq!((timing.frame_count, timing.segments), (b.frame_count, b.chunk_count));
        prop_assert!(b.duration_secs <= profile.max_duration_secs + 1.0 / b.fps);
        prop_assert_eq!(b.width % 16, 0);
        prop_assert_eq!(b.height % 16, 0);
        prop_assert!(b.resolved_seed <= MAX_SEED);
        let again = bind(t, &s, &uploads_for(t), Some(server), "prop-job", &mut rng).unwrap();
        prop_assert_eq!(again.graph_json(), b.graph_json());
    }

    #[test]
    fn invalid_settings_always_give_a_typed_error(c in case(), which in 0..12usize, junk in "[a-z]{1,8}", big in 1u64..1_000_000) {
        let (s0, t) = settings(&c);
        let mut s = s0.clone();
        let mut job = "prop-job".to_owned();
        let m = t.manifest();
        let audio = m.inputs.contains_key("audio");
        // A fixed timeline reads no media facts: its length comes from the target duration.
        let fixed = t.timeline_role().is_none();
        let expected = match which {
            0 => { s.profile = Some(format!("x{junk}")); "unknown_profile" }
            1 => { s.aspect = Some(format!("{junk}:9")); "unknown_aspect" }
            2 => { s.seed = -1 - big as i64; "invalid_seed" }
            3 => { s.seed = (MAX_SEED + big) as i64; "invalid_seed" }
            4 => { s.prompt = "é".repeat(2001 + big as usize % 500); "prompt_too_long" }
            5 => { s.params.insert(format!("zz_{junk}"), json!(1)); "unknown_parameter" }
            6 => { job = format!("{junk}/../x"); "invalid_job_id" }
            7 | 8 if fixed => { s.target_duration_secs = Some(if which == 7 { f64::NAN } else { 0.0 }); "invalid_target_duration" }
            7 if audio => {
                let max = m.profiles[s.profile.as_ref().unwrap()].max_duration_secs;
                s.target_duration_secs = None;
                s.media.audio_duration_secs = Some(max + 0.01 + big as f64 / 1000.0);
                "audio_too_long"
            }
            7 => { s.media.video_frame_count = Some(0); "invalid_media_fact" }
            8 if audio => { s.media.audio_duration_secs = Some(-(big as f64)); "invalid_media_fact" }
            8 => { s.media.video_fps = Some(-(big as f64)); "invalid_media_fact" }
            9 => { s.target_duration_secs = Some(-(big as f64)); "invalid_target_duration" }
            10 if m.limits.max_points > 0 => { s.points = vec![Point { x: 1.0 + big as f64, y: 0.5 }]; "point_out_of_range" }
            10 => { s.points = vec![Point { x: 0.5, y: 0.5 }]; "points_not_supported" }
            _ if m.limits.max_points > 0 => { s.params.insert("relight".into(), json!(junk)); "parameter_wrong_type" }
            _ => { s.framing = Some(format!("z{junk}")); "unknown_framing" }
        };
        let r = bind(t, &s, &uploads_for(t), None, &job, &mut || 7u64);
        match r {
            Ok(_) => prop_assert!(false, "{} accepted invalid settings ({})", t.name(), expected),
            Err(e) => prop_assert_eq!(e.explain().code, expected),
        }
    }
}
