//! `animatrix demo export|import|play`: offline demo packs over `animatrix_core::demo`.

use animatrix_common::ErrorCode;
use std::path::PathBuf;
use std::time::Duration;

use animatrix_core::Studio;
use animatrix_core::demo::{ExportOptions, Pace};
use animatrix_core::jobs::JobUpdate;
use clap::Subcommand;

use crate::exit::Failure;
use crate::output::{print_json, print_json_line};

#[derive(Debug, Subcommand)]
pub enum DemoCmd {
    /// Write completed runs into one .animatrix-demo file (no secrets; no server address
    /// unless --include-endpoint).
    Export {
        /// Run ids (or unique prefixes of 6+ characters).
        #[arg(required = true)]
        jobs: Vec<String>,
        /// The pack to write, e.g. showroom.animatrix-demo
        #[arg(long)]
        out: PathBuf,
        /// Also record each run's server name and URL (never its secret).
        #[arg(long)]
        include_endpoint: bool,
        /// A label shown when the pack is imported.
        #[arg(long)]
        label: Option<String>,
    },
    /// Verify a pack completely and add its runs as demo runs (nothing is imported if any
    /// check fails; importing the same pack again adds nothing).
    Import {
        /// The .animatrix-demo file.
        file: PathBuf,
    },
    /// Perform a run offline: its recorded progress, previews and final video.
    Play {
        /// The run to perform (id or unique prefix of 6+ characters).
        job: String,
        /// Compress the performance to at most N seconds (default: the demo pace setting,
        /// else the recorded pace).
        #[arg(long, conflicts_with = "real_time")]
        seconds: Option<u32>,
        /// Play at the recorded pace whatever the setting says.
        #[arg(long)]
        real_time: bool,
    },
}

pub async fn run(studio: &Studio, cmd: DemoCmd, json: bool) -> Result<(), Failure> {
    match cmd {
        DemoCmd::Export {
            jobs,
            out,
            include_endpoint,
            label,
        } => {
            let summary = studio
                .demo_export(
                    jobs,
                    out,
                    ExportOptions {
                        label,
                        include_endpoint,
                        created_at: None,
                    },
                )
                .await
                .map_err(Failure::from)?;
            if json {
                print_json(&summary);
            } else {
                println!(
                    "exported {} run(s) to {} ({} bytes){}",
                    summary.job_ids.len(),
                    summary.path,
                    summary.bytes,
                    if summary.includes_endpoint {
                        ", with server names and URLs"
                    } else {
                        ""
                    }
                );
            }
            Ok(())
        }
        DemoCmd::Import { file } => {
            let summary = studio.demo_import(&file).await.map_err(Failure::from)?;
            if json {
                print_json(&summary);
            } else {
                println!(
                    "\"{}\": {} run(s) imported, {} already present",
                    summary.label, summary.imported, summary.already_present
                );
                for r in &summary.runs {
                    let excerpt: String = r.prompt.chars().take(48).collect();
                    println!(
                        "{}  {:<8} {}{}",
                        r.job_id,
                        r.mode,
                        excerpt,
                        if r.imported {
                            ""
                        } else {
                            "  (already present)"
                        }
                    );
                }
            }
            Ok(())
        }
        DemoCmd::Play {
            job,
            seconds,
            real_time,
        } => {
            let pace = match (seconds, real_time) {
                (_, true) => Pace::RealTime,
                (Some(0), _) => {
                    return Err(Failure::from_user_error(animatrix_common::UserError::new(
                        ErrorCode::InvalidSetting,
                        "--seconds must be at least 1.",
                        "Use --real-time for the recorded pace.",
                    )));
                }
                (Some(s), _) => Pace::CompressedTo(Duration::from_secs(u64::from(s))),
                (None, false) => studio.demo_settings().await?.pace(),
            };
            play(studio, &job, pace, json).await
        }
    }
}

async fn play(studio: &Studio, job: &str, pace: Pace, json: bool) -> Result<(), Failure> {
    let started = std::time::Instant::now();
    let last_stage = std::sync::Mutex::new(String::new());
    let show = |u: JobUpdate| {
        if json {
            print_json_line(&u);
            return;
        }
        let mut last = last_stage.lock().unwrap_or_else(|p| p.into_inner());
        if *last != u.stage {
            println!("[{:>5.1}s] {}", started.elapsed().as_secs_f64(), u.stage);
            *last = u.stage.clone();
        }
    };
    let outcome = studio
        .demo_perform(job, pace, show)
        .await
        .map_err(Failure::from)?;
    if json {
        print_json_line(&serde_json::json!({
            "job_id": outcome.job_id,
            "state": "completed",
            "video_path": outcome.video_path,
            "poster_path": outcome.poster_path,
        }));
    } else {
        println!("video: {}", outcome.video_path);
    }
    Ok(())
}
