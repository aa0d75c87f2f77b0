//! Builds the sample demo pack shipped in the app (`demo/sample.animatrix-demo`).
//!
//! It starts the fake ComfyUI in this process, runs one Audio Performance job and one Animate
//! Move job through the real engine on a throwaway data dir, using the shared fixtures
//! (`../shared/fixtures`), and exports both runs, labelled as a sample recorded against a fake
//! test server. Run it with `scripts/make-sample-pack.sh` (or
//! `cargo run -p animatrix-core --example make_sample_pack -- OUT`).

use std::path::{Path, PathBuf};
use std::time::Duration;

use animatrix_core::demo::ExportOptions;
use animatrix_core::jobs::{JobInput, JobRequest, JobState};
use animatrix_core::{AuthKind, NewEndpoint, Studio};
use animatrix_workflow::JobSettings;

pub const SAMPLE_LABEL: &str = "Sample (recorded against a fake test server)";

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    repo_root().join("../shared/fixtures").join(name)
}

/// A Draft 9:16 request for the template of `mode` (found in the catalog by its manifest).
fn request(
    studio: &Studio,
    mode: &str,
    prompt: &str,
    seed: i64,
    inputs: Vec<JobInput>,
) -> Result<JobRequest, Box<dyn std::error::Error>> {
    let mut settings = JobSettings::new(studio.template_for_mode(mode, None)?, prompt);
    settings.profile = Some("draft".into());
    settings.aspect = Some("9:16".into());
    settings.seed = seed;
    let mut req = JobRequest::new(settings);
    req.inputs = inputs;
    Ok(req)
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
    studio
        .add_endpoint(
            NewEndpoint {
                name: "fake".into(),
                base_url: fake.base_url(),
                auth: AuthKind::None,
                make_default: true,
            },
            None,
        )
        .await?;

    let audio = request(
        &studio,
        "audio",
        "A friendly character introduces herself to the camera",
        20_250_101,
        vec![
            JobInput::file("ground_truth", fixture("character.png")),
            JobInput::file("audio", fixture("speech.wav")),
        ],
    )?;
    let animate = request(
        &studio,
        "animate",
        "The character dances, following the motion clip",
        20_250_102,
        vec![
            JobInput::file("ground_truth", fixture("character.png")),
            JobInput::file("motion_video", fixture("motion.mp4")),
        ],
    )?;
    let mut ids = Vec::new();
    for req in [audio, animate] {
        let id = studio.submit(req).await?;
        let job = tokio::time::timeout(Duration::from_secs(120), studio.wait(&id)).await??;
        if job.state != JobState::Completed {
            return Err(format!("run {id} ended {} ({:?})", job.state, job.error).into());
        }
        ids.push(id);
    }
    let summary = studio
        .demo_export(
            ids,
            out,
            ExportOptions {
                label: Some(SAMPLE_LABEL.into()),
                include_endpoint: false,
                created_at: None,
            },
        )
        .await?;
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
