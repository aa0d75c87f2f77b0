//! Following jobs on the terminal: a progress bar on a TTY, stage lines otherwise, JSON lines
//! with `--json`; the exit code follows how the job ended.

use animatrix_common::ErrorCode;
use std::io::IsTerminal;
use std::time::Duration;

use animatrix_core::Studio;
use animatrix_core::jobs::{JobRecord, JobState, JobUpdate};
use indicatif::{ProgressBar, ProgressStyle};

use crate::exit::Failure;
use crate::output::print_json_line;
use animatrix_common::ExitClass;

/// Without `--wait` the job must at least reach the server before this process exits (the
/// job is driven by this process until then).
pub async fn finish_submit(
    studio: &Studio,
    id: &str,
    wait: bool,
    json: bool,
) -> Result<(), Failure> {
    if wait {
        return watch(studio, id, json).await;
    }
    let mut rx = studio.subscribe();
    loop {
        let j = studio.job(id).await?;
        let on_server = matches!(
            j.state,
            JobState::Queued | JobState::Executing | JobState::Collecting
        ) && studio.was_posted(id).await?;
        if j.state.is_terminal() || on_server {
            let j = if j.state.is_terminal() {
                studio.wait(id).await?
            } else {
                j
            };
            if json {
                print_json_line(&serde_json::json!({ "job_id": j.id, "state": j.state }));
            } else {
                println!("{} {}", j.id, j.state);
            }
            return outcome(&j);
        }
        let _ = tokio::time::timeout(Duration::from_millis(300), rx.recv()).await;
    }
}

pub async fn watch(studio: &Studio, id: &str, json: bool) -> Result<(), Failure> {
    let mut rx = studio.subscribe();
    let tty = std::io::stderr().is_terminal() && !json;
    let bar = tty.then(|| {
        let b = ProgressBar::new(100);
        b.set_style(
            ProgressStyle::with_template("{spinner} [{bar:30}] {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        b
    });
    let mut last_stage = String::new();
    loop {
        let job = studio.job(id).await?;
        if job.state.is_terminal() {
            // Returns once this process finished the run's manifests too.
            let job = studio.wait(id).await?;
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            report(&job, json);
            auto_publish(studio, &job, json).await;
            return outcome(&job);
        }
        if let Ok(Ok(u)) = tokio::time::timeout(Duration::from_millis(500), rx.recv()).await
            && u.job_id == id
        {
            show_update(&u, bar.as_ref(), json, &mut last_stage);
        }
    }
}

/// Auto-publish (Settings > Storage) for runs this command followed to completion. A failed
/// publish is recorded on the run and retried with `animatrix publish`; the run itself still
/// succeeded, so the exit code stays the run's.
async fn auto_publish(studio: &Studio, job: &JobRecord, json: bool) {
    if job.state != JobState::Completed {
        return;
    }
    match studio.publish_if_auto(&job.id).await {
        Ok(Some(s)) if json => print_json_line(&serde_json::json!({ "published": s })),
        Ok(Some(s)) => eprintln!("published to {}", s.publication.location),
        Ok(None) => {}
        Err(e) => {
            let e = animatrix_common::Explain::explain(&e);
            eprintln!(
                "warning[{}]: publishing failed: {} ({})",
                e.code, e.message, e.suggestion
            );
        }
    }
}

fn show_update(u: &JobUpdate, bar: Option<&ProgressBar>, json: bool, last_stage: &mut String) {
    if json {
        print_json_line(u);
        return;
    }
    match bar {
        Some(b) => {
            let pct = match (u.state, u.upload) {
                (JobState::Uploading, Some((d, t))) if t > 0 => d * 100 / t,
                _ => (u.progress * 100.0) as u64,
            };
            b.set_position(pct);
            b.set_message(u.stage.clone());
        }
        None => {
            if *last_stage != u.stage {
                eprintln!("{}", u.stage);
                last_stage.clone_from(&u.stage);
            }
        }
    }
}

pub fn report(job: &JobRecord, json: bool) {
    if json {
        print_json_line(&serde_json::json!({
            "job_id": job.id, "state": job.state, "video": job.video_path(),
            "poster": job.poster_path(), "error": job.error,
        }));
        return;
    }
    match job.state {
        JobState::Completed => println!(
            "{} completed: {}",
            job.id,
            job.video_path().unwrap_or("(no video)")
        ),
        _ => println!("{} {}", job.id, job.state),
    }
}

/// The exit code follows the job's end: failed 4 (3 when the server could not be reached,
/// read or trusted, 1 for a local problem such as a full disk), cancelled 5.
fn outcome(job: &JobRecord) -> Result<(), Failure> {
    match (job.state, &job.error) {
        (JobState::Failed, Some(e)) => {
            let mut f = Failure::from_user_error(e.clone());
            if !matches!(f.class, ExitClass::ServerUnreachable | ExitClass::Other) {
                f.class = ExitClass::GenerationFailed;
            }
            Err(f)
        }
        (JobState::Failed, None) => {
            Err(Failure::from_user_error(animatrix_common::UserError::new(
                ErrorCode::GenerationFailed,
                "The generation failed.",
                "See `animatrix show`.",
            )))
        }
        (JobState::Cancelled, _) => {
            Err(Failure::from_user_error(animatrix_common::UserError::new(
                ErrorCode::Cancelled,
                "The run was cancelled.",
                "Retry it with `animatrix retry`.",
            )))
        }
        _ => Ok(()),
    }
}
