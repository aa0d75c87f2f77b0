//! Builds the sample demo pack shipped in the app (`demo/sample.animatrix-demo`).
//!
//! It starts the fake ComfyUI in this process, runs one Audio Performance job and one Animate
//! Move job through the real engine on a throwaway data dir, using the shared fixtures
//! (`../shared/fixtures`), and exports both runs, labelled as a sample recorded against a fake
//! test server. Run it with `scripts/make-sample-pack.sh` (or
//! `cargo run -p animatrix-core --example make_sample_pack -- OUT`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use animatrix_core::demo::{self, ExportOptions};
use animatrix_core::jobs::{Engine, InputRef, JobInputs, JobRequest, JobState};
use animatrix_core::{AuthKind, NewEndpoint, Studio};
use animatrix_workflow::{AnimateMode, Mode};

pub const SAMPLE_LABEL: &str = "Sample (recorded against a fake test server)";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("../shared/fixtures").join(name)
}

fn request(mode: Mode, prompt: &str, seed: i64, inputs: JobInputs) -> JobRequest {
    JobRequest {
        mode: mode.clone(),
        animate_mode: matches!(mode, Mode::Animate).then_some(AnimateMode::Move),
        prompt: prompt.into(),
        negative_prompt: None,
        profile: Some("draft".into()),
        aspect: Some("9:16".into()),
        framing: None,
        seed,
        inputs,
        points: Vec::new(),
        target_duration_secs: None,
        params: Default::default(),
        endpoint: None,
        fit: Default::default(),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let out = std::env::args_os()
        .nth(1)
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("demo/sample.animatrix-demo"));
    // Nodes paced so the recording has a visible queue, progress and a few preview frames,
    // yet the whole build takes seconds.
    let fake = fake_comfy::FakeComfy::builder()
        .exec_ms(120)
        .start()
        .await?;
    let data = tempfile::tempdir()?;
    let studio = Studio::open(data.path().to_path_buf())?;
    studio.add_endpoint(
        NewEndpoint {
            name: "fake".into(),
            base_url: fake.base_url(),
            auth: AuthKind::None,
            make_default: true,
        },
        None,
    )?;
    let engine = Engine::new(studio.clone())?;

    let audio = request(
        Mode::Audio,
        "A friendly character introduces herself to the camera",
        20_250_101,
        JobInputs {
            image: Some(InputRef::File(fixture("character.png"))),
            audio: Some(InputRef::File(fixture("speech.wav"))),
            ..Default::default()
        },
    );
    let animate = request(
        Mode::Animate,
        "The character dances, following the motion clip",
        20_250_102,
        JobInputs {
            image: Some(InputRef::File(fixture("character.png"))),
            video: Some(InputRef::File(fixture("motion.mp4"))),
            ..Default::default()
        },
    );
    let mut ids = Vec::new();
    for req in [audio, animate] {
        let id = engine.submit(req).await?;
        let job = tokio::time::timeout(Duration::from_secs(120), engine.wait(&id)).await??;
        if job.state != JobState::Completed {
            return Err(format!("run {id} ended {} ({:?})", job.state, job.error).into());
        }
        ids.push(id);
    }
    let summary = demo::export(
        &studio,
        &ids,
        &out,
        &ExportOptions {
            label: Some(SAMPLE_LABEL.into()),
            include_endpoint: false,
        },
    )?;
    fake.shutdown().await;
    println!(
        "wrote {} ({} bytes, {} runs, {} members)",
        summary.path,
        summary.bytes,
        summary.job_ids.len(),
        summary.members
    );
    Ok(())
}
