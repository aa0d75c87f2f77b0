//! Job commands: submit, graph, watch, jobs, show, cancel, retry, replay, outputs, recover.

use std::collections::BTreeMap;
use std::io::IsTerminal;

use animatrix_common::UserError;
use animatrix_core::jobs::{
    Engine, InputRef, JobInputs, JobQuery, JobRecord, JobRequest, JobState, JobUpdate,
};
use animatrix_core::media::FitMode;
use animatrix_workflow::{AnimateMode, Mode, Point};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::{Command, CommonJobArgs, SubmitKind};
use crate::exit::{Failure, FailureClass};
use crate::output::{print_json, print_json_line};

pub async fn run(engine: &Engine, cmd: Command, json: bool) -> Result<(), Failure> {
    match cmd {
        Command::Submit { wait, job } => {
            let req = request(job)?;
            let id = engine.submit(req).await?;
            finish_submit(engine, &id, wait, json).await
        }
        Command::Graph { offline, job, .. } => {
            let mut req = request(job)?;
            if !offline {
                // Preflight needs the server; fail early with its reason if it is unusable.
                engine.connection(req.endpoint.as_deref()).await?;
            } else {
                req.endpoint = None;
            }
            let (prepared, bound) = engine.dry_run(req)?;
            if json {
                print_json(&serde_json::json!({
                    "template": prepared.template_name,
                    "version": prepared.template_version,
                    "resolved_seed": bound.resolved_seed,
                    "frame_count": bound.frame_count,
                    "width": bound.width,
                    "height": bound.height,
                    "warnings": prepared.warnings,
                    "graph": bound.graph,
                }));
            } else {
                for w in &prepared.warnings {
                    eprintln!("warning: {w}");
                }
                println!("{}", bound.graph_json());
            }
            Ok(())
        }
        Command::Watch { job } => {
            let id = resolve(engine, &job)?;
            engine.recover_job(&id)?;
            watch(engine, &id, json).await
        }
        Command::Jobs {
            search,
            status,
            mode,
            limit,
        } => {
            let state = match status.as_deref() {
                Some(s) => Some(JobState::parse(s).ok_or_else(|| invalid(
                    format!("\"{s}\" is not a job status."),
                    "Use one of: validating, uploading, queued, executing, collecting, completed, failed, cancelled.",
                ))?),
                None => None,
            };
            let page = engine.list_jobs(&JobQuery {
                search,
                state,
                mode,
                limit: Some(limit),
                ..JobQuery::default()
            })?;
            if json {
                print_json(&page.jobs);
            } else {
                for j in &page.jobs {
                    let excerpt: String = j.prompt.chars().take(48).collect();
                    println!(
                        "{}  {:<8} {:<10} {:<9} {}{}",
                        j.id,
                        j.mode,
                        j.state,
                        j.profile,
                        excerpt,
                        if j.is_demo { "  [demo]" } else { "" }
                    );
                }
            }
            Ok(())
        }
        Command::Show { job } => {
            let id = resolve(engine, &job)?;
            let detail = engine.job_detail(&id)?;
            if json {
                print_json(&detail);
            } else {
                let j = &detail.job;
                println!("job        {}", j.id);
                println!("prompt id  {}", j.comfy_prompt_id);
                println!("state      {}", j.state);
                println!(
                    "mode       {} ({} {})",
                    j.mode, j.template_name, j.template_version
                );
                println!("profile    {} {}", j.profile, j.aspect);
                println!(
                    "seed       {}",
                    j.resolved_seed.map(|s| s.to_string()).unwrap_or_default()
                );
                println!("prompt     {}", j.prompt);
                if let Some(e) = &j.error {
                    println!("error      [{}] {}", e.code, e.message);
                    println!("           {}", e.suggestion);
                    println!("detail     {}", e.detail);
                }
                for o in &detail.outputs {
                    println!("output     {} {} ({} bytes)", o.kind, o.path, o.size_bytes);
                }
                for e in &detail.events {
                    println!(
                        "event      {} {} {}",
                        e.at,
                        e.kind,
                        e.state.map(|s| s.to_string()).unwrap_or_default()
                    );
                }
            }
            Ok(())
        }
        Command::Cancel { job } => {
            let id = resolve(engine, &job)?;
            let j = engine.cancel(&id).await?;
            if json {
                print_json(&j);
            } else {
                println!("{} is {}", j.id, j.state);
            }
            Ok(())
        }
        Command::Retry { job, wait } => {
            let id = resolve(engine, &job)?;
            let new = engine.retry(&id).await?;
            finish_submit(engine, &new, wait, json).await
        }
        Command::Replay {
            job,
            new_seed,
            wait,
        } => {
            let id = resolve(engine, &job)?;
            let new = engine.replay(&id, new_seed).await?;
            finish_submit(engine, &new, wait, json).await
        }
        Command::Outputs { job, open, .. } => {
            let id = resolve(engine, &job)?;
            let detail = engine.job_detail(&id)?;
            let video = detail
                .outputs
                .iter()
                .find(|o| o.kind == "video")
                .ok_or_else(|| {
                    invalid(
                        "This run has no video (yet).".into(),
                        "Check its state with `animatrix show`.",
                    )
                })?;
            if open {
                open_file(&video.path)?;
            }
            if json {
                print_json(&detail.outputs);
            } else {
                println!("{}", video.path);
            }
            Ok(())
        }
        Command::Recover { wait } => {
            let ids = engine.recover()?;
            if !json {
                println!("reconciling {} unfinished job(s)", ids.len());
            }
            if wait {
                for id in &ids {
                    let j = engine.wait(id).await?;
                    report(&j, json);
                }
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn resolve(engine: &Engine, id: &str) -> Result<String, Failure> {
    Ok(engine.resolve_job_id(id)?)
}

async fn finish_submit(engine: &Engine, id: &str, wait: bool, json: bool) -> Result<(), Failure> {
    if wait {
        return watch(engine, id, json).await;
    }
    // Without --wait the job must at least reach the server before this process exits.
    let mut rx = engine.subscribe();
    loop {
        let j = engine.job(id)?;
        let on_server = matches!(
            j.state,
            JobState::Queued | JobState::Executing | JobState::Collecting
        ) && engine.was_posted(id)?;
        if j.state.is_terminal() || on_server {
            if json {
                print_json_line(&serde_json::json!({ "job_id": j.id, "state": j.state }));
            } else {
                println!("{} {}", j.id, j.state);
            }
            return outcome(&j);
        }
        let _ = tokio::time::timeout(std::time::Duration::from_millis(300), rx.recv()).await;
    }
}

async fn watch(engine: &Engine, id: &str, json: bool) -> Result<(), Failure> {
    let mut rx = engine.subscribe();
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
        let job = engine.job(id)?;
        if job.state.is_terminal() {
            if let Some(b) = &bar {
                b.finish_and_clear();
            }
            report(&job, json);
            return outcome(&job);
        }
        if let Ok(Ok(u)) =
            tokio::time::timeout(std::time::Duration::from_millis(500), rx.recv()).await
            && u.job_id == id
        {
            show_update(&u, bar.as_ref(), json, &mut last_stage);
        }
    }
}

fn show_update(u: &JobUpdate, bar: Option<&ProgressBar>, json: bool, last_stage: &mut String) {
    if json {
        if let Ok(line) = serde_json::to_string(u) {
            println!("{line}");
        }
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

fn report(job: &JobRecord, json: bool) {
    if json {
        print_json_line(&serde_json::json!({
            "job_id": job.id, "state": job.state, "video": job.video_path,
            "poster": job.poster_path, "error": job.error,
        }));
        return;
    }
    match job.state {
        JobState::Completed => println!(
            "{} completed: {}",
            job.id,
            job.video_path.as_deref().unwrap_or("(no video)")
        ),
        _ => println!("{} {}", job.id, job.state),
    }
}

/// The exit code follows the job's end: failed 4 (3 when the server could not be reached),
/// cancelled 5.
fn outcome(job: &JobRecord) -> Result<(), Failure> {
    match (job.state, &job.error) {
        (JobState::Failed, Some(e)) => Err(Failure {
            class: if matches!(
                e.code.as_str(),
                "server_unreachable"
                    | "server_not_found"
                    | "server_timeout"
                    | "auth_rejected"
                    | "auth_forbidden"
                    | "tls_certificate_invalid"
            ) {
                FailureClass::ServerUnreachable
            } else {
                FailureClass::GenerationFailed
            },
            error: UserError::new(e.code.clone(), e.message.clone(), e.suggestion.clone())
                .with_detail(e.detail.clone()),
        }),
        (JobState::Failed, None) => Err(Failure {
            class: FailureClass::GenerationFailed,
            error: UserError::new(
                "generation_failed",
                "The generation failed.",
                "See `animatrix show`.",
            ),
        }),
        (JobState::Cancelled, _) => Err(Failure {
            class: FailureClass::Cancelled,
            error: UserError::new(
                "cancelled",
                "The run was cancelled.",
                "Retry it with `animatrix retry`.",
            ),
        }),
        _ => Ok(()),
    }
}

fn request(kind: SubmitKind) -> Result<JobRequest, Failure> {
    let (mode, animate_mode, inputs, points, common) = match kind {
        SubmitKind::Audio {
            image,
            audio,
            common,
        } => (
            Mode::Audio,
            None,
            JobInputs {
                image: Some(InputRef::File(image)),
                audio: Some(InputRef::File(audio)),
                ..JobInputs::default()
            },
            Vec::new(),
            common,
        ),
        SubmitKind::Animate {
            mode,
            image,
            video,
            points,
            common,
        } => (
            Mode::Animate,
            Some(if mode == "mix" {
                AnimateMode::Mix
            } else {
                AnimateMode::Move
            }),
            JobInputs {
                image: Some(InputRef::File(image)),
                video: Some(InputRef::File(video)),
                ..JobInputs::default()
            },
            points
                .iter()
                .map(|p| parse_point(p))
                .collect::<Result<Vec<_>, _>>()?,
            common,
        ),
    };
    let CommonJobArgs {
        prompt,
        negative,
        profile,
        aspect,
        framing,
        seed,
        endpoint,
        references,
        pose_sheet,
        params,
        pad,
    } = common;
    let mut inputs = inputs;
    inputs.references = references.into_iter().map(InputRef::File).collect();
    inputs.pose_sheet = pose_sheet.map(InputRef::File);
    Ok(JobRequest {
        mode,
        animate_mode,
        prompt,
        negative_prompt: negative,
        profile,
        aspect,
        framing,
        seed: seed.unwrap_or(-1),
        inputs,
        points,
        target_duration_secs: None,
        params: parse_params(&params)?,
        endpoint,
        fit: if pad { FitMode::Pad } else { FitMode::Crop },
    })
}

fn parse_point(s: &str) -> Result<Point, Failure> {
    let bad = || {
        invalid(
            format!("\"{s}\" is not a point."),
            "Write points as x,y with both between 0 and 1, e.g. 0.5,0.4.",
        )
    };
    let (x, y) = s.split_once(',').ok_or_else(bad)?;
    let x: f64 = x.trim().parse().map_err(|_| bad())?;
    let y: f64 = y.trim().parse().map_err(|_| bad())?;
    if !(0.0..=1.0).contains(&x) || !(0.0..=1.0).contains(&y) {
        return Err(bad());
    }
    Ok(Point { x, y })
}

fn parse_params(raw: &[String]) -> Result<BTreeMap<String, serde_json::Value>, Failure> {
    raw.iter()
        .map(|p| {
            let (k, v) = p.split_once('=').ok_or_else(|| {
                invalid(
                    format!("\"{p}\" is not NAME=VALUE."),
                    "Write parameters as --param name=value.",
                )
            })?;
            let value = serde_json::from_str(v)
                .unwrap_or_else(|_| serde_json::Value::String(v.to_string()));
            Ok((k.trim().to_string(), value))
        })
        .collect()
}

fn invalid(message: String, suggestion: &str) -> Failure {
    Failure {
        error: UserError::new("invalid_input", message, suggestion),
        class: FailureClass::InvalidInput,
    }
}

fn open_file(path: &str) -> Result<(), Failure> {
    let opener = if cfg!(target_os = "macos") {
        "open"
    } else if cfg!(target_os = "windows") {
        "explorer"
    } else {
        "xdg-open"
    };
    std::process::Command::new(opener)
        .arg(path)
        .spawn()
        .map(|_| ())
        .map_err(|e| Failure {
            error: UserError::new(
                "open_failed",
                "The video could not be opened.",
                "Open the path printed by `animatrix outputs JOB --path` yourself.",
            )
            .with_detail(e.to_string()),
            class: FailureClass::Other,
        })
}
