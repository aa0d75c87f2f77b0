#![allow(clippy::unwrap_used)] // tests may unwrap freely (team brief)
//! Preflight verdicts in user language: ready, ready with a profile unavailable or on its
//! fallback, a device the server lacks, files custom nodes download on first use.

mod common;

use animatrix_workflow::{
    AUTO_DOWNLOAD_NOTE, DeviceStatus, ModelsByFolder, Readiness, Template, preflight,
};
use common::*;
use serde_json::json;

/// s2v as a schema-1-style High: the bf16 file is required, with no fallback.
fn s2v_high_without_fallback() -> Template {
    let dir = workflows_dir().join("s2v/1.0.0");
    let mut m = read_json(dir.join("manifest.json"));
    let prefer = m["profiles"]["high"]["prefer"].take();
    m["profiles"]["high"]["set"] = prefer["set"].clone();
    m["profiles"]["high"]
        .as_object_mut()
        .unwrap()
        .remove("prefer");
    let graph = std::fs::read_to_string(dir.join("graph.json")).unwrap();
    Template::from_json(&m.to_string(), &graph).unwrap()
}

fn without(models: &ModelsByFolder, folder: &str, file: &str) -> ModelsByFolder {
    let v = serde_json::to_value(models).unwrap();
    let mut out = ModelsByFolder::new();
    for (f, files) in v.as_object().unwrap() {
        out.insert(
            f.clone(),
            files
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|x| x.as_str())
                .filter(|x| !(f == folder && *x == file))
                .map(str::to_owned),
        );
    }
    out
}

#[test]
fn a_profile_without_its_file_leaves_the_template_ready() {
    let t = s2v_high_without_fallback();
    let mut server = server_facts(Some(80));
    server.models = without(
        &server.models,
        "diffusion_models",
        "wan2.2_s2v_14B_bf16.safetensors",
    );
    let r = preflight(&t, &server);
    assert!(r.ready);
    assert_eq!(r.status, Readiness::Limited);
    assert_eq!(
        r.verdict,
        "ready (High unavailable: missing wan2.2_s2v_14B_bf16.safetensors)"
    );
    assert_eq!(r.ready_profiles, vec!["draft", "standard"]);
    let high = r.profiles.iter().find(|p| p.profile == "high").unwrap();
    assert!(!high.ready);
    assert_eq!(high.missing, vec!["wan2.2_s2v_14B_bf16.safetensors"]);
    assert_eq!(r.missing_models[0].folder, "diffusion_models");

    // The shipped s2v prefers bf16 and falls back: every profile stays available.
    let c = catalog();
    let r = preflight(c.latest("s2v").unwrap(), &server);
    assert_eq!(r.ready_profiles, vec!["draft", "standard", "high"]);
    assert!(r.missing_models.is_empty());
    let high = r.profiles.iter().find(|p| p.profile == "high").unwrap();
    assert!(!high.variant.as_ref().unwrap().applied);
}

#[test]
fn a_small_gpu_runs_high_on_its_fallback() {
    let c = catalog();
    let r = preflight(c.latest("animate_move").unwrap(), &server_facts(Some(24)));
    assert!(r.ready);
    assert_eq!(r.status, Readiness::Limited);
    assert_eq!(
        r.verdict,
        "ready (High without the bf16 model: The server's GPU has 24 GB of memory; the bf16 model needs 44 GB.)"
    );
    // A 48 GB card (sold as 48, reporting a little less) runs bf16.
    let mut server = server_facts(Some(48));
    if let Some(d) = server.devices.as_mut() {
        d[0].vram_total = 47_990_000_000;
    }
    let r = preflight(c.latest("animate_move").unwrap(), &server);
    assert_eq!(r.verdict, "ready");
}

#[test]
fn a_template_pinned_to_cuda_needs_an_nvidia_gpu() {
    let c = catalog();
    let cpu = server_facts(None);
    let r = preflight(c.latest("animate_mix").unwrap(), &cpu);
    assert!(!r.ready);
    assert_eq!(r.status, Readiness::Unavailable);
    assert!(
        r.verdict
            .starts_with("needs an NVIDIA GPU: Replacing a person runs SAM2"),
        "{}",
        r.verdict
    );
    assert!(r.ready_profiles.is_empty());
    assert_eq!(r.devices[0].status, DeviceStatus::Absent);
    // Move has no device need: the same server can run it (on CPU, slowly).
    let r = preflight(c.latest("animate_move").unwrap(), &cpu);
    assert!(r.ready, "{}", r.verdict);
    assert!(r.devices.is_empty());
    // Unknown devices: runnable, said in the verdict.
    let mut unknown = server_facts(Some(80));
    unknown.devices = None;
    let r = preflight(c.latest("animate_mix").unwrap(), &unknown);
    assert!(r.ready);
    assert_eq!(r.devices[0].status, DeviceStatus::Unknown);
    assert!(
        r.verdict.contains("could not check the server's devices"),
        "{}",
        r.verdict
    );
}

#[test]
fn files_downloaded_on_first_use_are_named_with_the_note() {
    let c = catalog();
    let server = server_facts(Some(80));
    let r = preflight(c.latest("animate_move").unwrap(), &server);
    let files: Vec<(&str, &str)> = r
        .auto_downloads
        .iter()
        .map(|a| (a.file.as_str(), a.folder.as_str()))
        .collect();
    assert_eq!(
        files,
        vec![
            ("yolox_l.onnx", "custom_nodes/comfyui_controlnet_aux/ckpts"),
            (
                "dw-ll_ucoco_384_bs5.torchscript.pt",
                "custom_nodes/comfyui_controlnet_aux/ckpts"
            ),
        ]
    );
    assert_eq!(r.auto_download_note.as_deref(), Some(AUTO_DOWNLOAD_NOTE));
    assert!(AUTO_DOWNLOAD_NOTE.contains("without internet access must have them pre-seeded"));
    let r = preflight(c.latest("s2v").unwrap(), &server);
    assert!(r.auto_downloads.is_empty() && r.auto_download_note.is_none());
}

#[test]
fn missing_nodes_are_named_with_their_pack() {
    let c = catalog();
    let full = server_facts(Some(80));
    let bare = animatrix_workflow::ServerFacts::new(
        &captured_object_info(),
        full.devices.clone(),
        full.models.clone(),
    );
    let r = preflight(c.latest("animate_mix").unwrap(), &bare);
    assert_eq!(
        r.verdict,
        "missing nodes: DownloadAndLoadSAM2Model, Sam2Segmentation (install ComfyUI Segment Anything 2 (SAM2))"
    );
    assert_eq!(
        r.missing_nodes[0].pack_url,
        "https://github.com/kijai/ComfyUI-segment-anything-2"
    );
    // The report is what the window and `animatrix templates --json` show.
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["status"], json!("unavailable"));
    assert_eq!(v["devices"][0]["status"], json!("present"));
}
