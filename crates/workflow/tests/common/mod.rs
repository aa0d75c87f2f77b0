//! Shared fixtures: the shipped templates and the captures of a real ComfyUI in ../shared.
#![allow(dead_code, clippy::unwrap_used)]

use std::path::PathBuf;

use animatrix_workflow::{
    Catalog, Device, InputKind, JobSettings, MediaFacts, ModelsByFolder, ObjectInfo, Point,
    ServerFacts, Template, UploadedInputs,
};
use serde_json::Value;

pub fn repo_root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
}

pub fn workflows_dir() -> PathBuf {
    repo_root().join("workflows")
}

pub fn shared(rel: &str) -> PathBuf {
    repo_root().join("../shared").join(rel)
}

pub fn catalog() -> Catalog {
    Catalog::load(&workflows_dir()).expect("shipped templates load")
}

pub fn read_json(path: PathBuf) -> Value {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// object_info.json as captured from ComfyUI 0.3.64 (no SAM2 pack).
pub fn captured_object_info() -> ObjectInfo {
    ObjectInfo::from_value(&read_json(shared("comfyui/object_info.json"))).expect("capture parses")
}

/// The capture plus the SAM2 overlay the fake server merges in.
pub fn object_info_with_overlay() -> ObjectInfo {
    let mut info = captured_object_info();
    let overlay = ObjectInfo::from_value(&read_json(
        repo_root().join("tests/fake-comfy/data/object_info_overlay.json"),
    ))
    .expect("overlay parses");
    info.merge(overlay);
    info
}

/// models.json as captured: `{"/models/<folder>": [files]}`; `/models/not_a_folder` was a 404.
pub fn captured_models() -> ModelsByFolder {
    let v = read_json(shared("comfyui/models.json"));
    let mut m = ModelsByFolder::new();
    for (key, files) in v.as_object().expect("object") {
        let Some(folder) = key.strip_prefix("/models/") else {
            continue;
        };
        if let Some(list) = files.as_array() {
            m.insert(
                folder,
                list.iter().filter_map(|f| f.as_str().map(str::to_owned)),
            );
        }
    }
    m
}

/// A server name for every bound input, by kind (the names the snapshots were taken with).
pub fn uploads_for(t: &Template) -> UploadedInputs {
    t.manifest()
        .inputs
        .iter()
        .filter(|(_, i)| i.is_bound())
        .map(|(role, i)| {
            let name = match i.kind {
                InputKind::Image => "test_image.png",
                InputKind::Audio => "test_audio.wav",
                InputKind::Video => "test_pose.mp4",
            };
            (role.clone(), name)
        })
        .collect()
}

/// The kind of the input driving the timeline, if any.
pub fn driving_kind(t: &Template) -> Option<InputKind> {
    t.timeline_role().and_then(|r| t.input(r)).map(|i| i.kind)
}

/// Facts of the server the captures come from, with the SAM2 overlay, and a CUDA device of
/// `vram_gb` (or the captured CPU-only device list when `None`).
pub fn server_facts(vram_gb: Option<u64>) -> ServerFacts {
    let devices = match vram_gb {
        None => {
            ServerFacts::devices_from_system_stats(&read_json(shared("comfyui/system_stats.json")))
                .expect("capture parses")
        }
        Some(gb) => vec![Device {
            name: "cuda:0 NVIDIA test GPU".into(),
            kind: "cuda".into(),
            vram_total: gb * 1_000_000_000,
            vram_free: gb * 1_000_000_000,
        }],
    };
    ServerFacts::new(
        &object_info_with_overlay(),
        Some(devices),
        captured_models(),
    )
}

/// A reference job for a template: fixed seed, typical media.
pub fn reference_settings(t: &Template, profile: &str, aspect: &str) -> JobSettings {
    let m = t.manifest();
    let mut s = JobSettings::new(
        m.name.clone(),
        "The character waves and smiles at the camera",
    );
    s.profile = Some(profile.into());
    s.aspect = Some(aspect.into());
    s.seed = 123_456_789;
    s.media = MediaFacts {
        audio_duration_secs: Some(7.3),
        video_frame_count: Some(150),
        video_fps: Some(30.0),
        video_width: Some(1080),
        video_height: Some(1920),
    };
    if driving_kind(t) != Some(InputKind::Audio) {
        s.media.audio_duration_secs = None;
    } else {
        s.media.video_frame_count = None;
        s.media.video_fps = None;
        s.media.video_width = None;
        s.media.video_height = None;
    }
    if m.limits.max_points > 0 {
        s.points = vec![Point { x: 0.5, y: 0.45 }];
    }
    s
}

pub fn no_random() -> impl FnMut() -> u64 {
    || panic!("a fixed seed must not draw a random one")
}

/// Copies a folder tree (a test data dir of templates).
pub fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Test-only template folders (drop-in templates), laid out like `workflows/`.
pub fn test_workflows_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/workflows"))
}
