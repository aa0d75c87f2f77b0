//! Job commands: submit, graph, watch, jobs, show, cancel, retry, replay, outputs, recover.

use animatrix_common::ErrorCode;
use animatrix_core::Studio;
use animatrix_core::jobs::{EventData, JobQuery, JobState, OutputKind};

use super::request;
use super::watch::{finish_submit, report, watch};
use crate::cli::{Command, Global};
use crate::exit::Failure;
use crate::output::{print_json, print_json_line};

pub async fn run(studio: &Studio, cmd: Command, g: &Global) -> Result<(), Failure> {
    let json = g.json;
    match cmd {
        Command::Submit { job } => {
            let req = request::build(studio, job, g.endpoint.clone())?;
            let id = studio.submit(req).await?;
            finish_submit(studio, &id, g.wait, json).await
        }
        Command::Graph { job } => {
            if !g.dry_run {
                return Err(Failure::invalid(
                    "`graph` only prints the graph a job would run.".into(),
                    "Add --dry-run (and --offline to skip the server check).",
                ));
            }
            let mut req = request::build(studio, job, g.endpoint.clone())?;
            let mut server = None;
            if g.offline {
                req.target = None;
            } else {
                // A pool stands for the member this job would be routed to (or fails saying
                // why no member can take it); fail early if that server is unusable.
                let s = studio.resolve_for_request(&req).await?;
                if let (Some(pool), false) = (&s.pool, json) {
                    eprintln!("pool {pool}: checked on {} ({})", s.endpoint, s.why);
                }
                studio.test_endpoint(Some(&s.endpoint)).await?;
                server = Some(s);
            }
            let dry = studio.dry_run(req).await?;
            if json {
                print_json(&serde_json::json!({
                    "server": server,
                    "template": dry.template,
                    "version": dry.version,
                    "resolved_seed": dry.bound.resolved_seed,
                    "frame_count": dry.bound.frame_count,
                    "width": dry.bound.width,
                    "height": dry.bound.height,
                    "warnings": dry.warnings,
                    "graph": dry.bound.graph,
                }));
            } else {
                for w in &dry.warnings {
                    eprintln!("warning: {w}");
                }
                println!("{}", dry.bound.graph_json());
            }
            Ok(())
        }
        Command::Watch { job } => {
            let id = studio.resolve_job_id(&job).await?;
            studio.recover_job(&id).await?;
            watch(studio, &id, json).await
        }
        Command::Jobs {
            search,
            status,
            mode,
            limit,
        } => {
            let state = match status.as_deref() {
                Some(s) => Some(JobState::parse(s).ok_or_else(|| {
                    Failure::invalid(
                        format!("\"{s}\" is not a job status."),
                        "Use one of: validating, uploading, queued, executing, collecting, completed, failed, cancelled.",
                    )
                })?),
                None => None,
            };
            let page = studio
                .gallery(JobQuery {
                    search,
                    state,
                    mode,
                    endpoint: None,
                    limit: Some(limit),
                    ..JobQuery::default()
                })
                .await?;
            let jobs: Vec<_> = page.cards.into_iter().map(|c| c.job).collect();
            if json {
                print_json(&jobs);
            } else {
                for j in &jobs {
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
            let detail = studio.job_detail(&job).await?;
            if json {
                print_json(&detail);
                return Ok(());
            }
            let j = &detail.job;
            println!("job        {}", j.id);
            println!("prompt id  {}", j.prompt_id);
            println!("state      {}", j.state);
            println!("server     {}", j.endpoint.as_deref().unwrap_or("-"));
            if let Some(t) = j
                .request
                .target
                .as_deref()
                .filter(|t| Some(*t) != j.endpoint.as_deref())
            {
                println!("target     {t}");
            }
            if let Some(origin) = &detail.library_origin {
                println!("from       {origin} (team library)");
            }
            for e in &detail.events {
                if let EventData::Routed {
                    summary,
                    alternatives,
                    ..
                } = &e.data
                {
                    println!("routed     {summary}");
                    for a in alternatives {
                        println!("           {a}");
                    }
                }
            }
            println!(
                "mode       {} ({} {})",
                j.mode, j.template.name, j.template.version
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
                println!(
                    "output     {} {} ({} bytes)",
                    o.kind.as_str(),
                    o.path,
                    o.size_bytes
                );
            }
            for e in &detail.events {
                println!(
                    "event      {} {} {}",
                    e.at,
                    e.data.kind(),
                    e.data.state().map(|s| s.to_string()).unwrap_or_default()
                );
            }
            Ok(())
        }
        Command::Cancel { job } => {
            let j = studio.cancel(&job).await?;
            if json {
                print_json(&j);
            } else {
                println!("{} is {}", j.id, j.state);
            }
            Ok(())
        }
        Command::Retry { job } => {
            let new = studio.retry(&job).await?;
            finish_submit(studio, &new, g.wait, json).await
        }
        Command::Replay { job, new_seed } => {
            let new = studio.replay(&job, new_seed).await?;
            finish_submit(studio, &new, g.wait, json).await
        }
        Command::Outputs { job, open, .. } => {
            let detail = studio.job_detail(&job).await?;
            let video = detail
                .outputs
                .iter()
                .find(|o| o.kind == OutputKind::Video)
                .ok_or_else(|| {
                    Failure::invalid(
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
        Command::Recover => {
            let ids = studio.recover().await?;
            if !json {
                println!("reconciling {} job(s) with their servers", ids.len());
            }
            if g.wait {
                for id in &ids {
                    let j = studio.wait(id).await?;
                    report(&j, json);
                }
            } else if json {
                print_json_line(&serde_json::json!({ "reconciling": ids }));
            }
            Ok(())
        }
        _ => Ok(()),
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
        .map_err(|e| {
            Failure::from_user_error(
                animatrix_common::UserError::new(
                    ErrorCode::OpenFailed,
                    "The video could not be opened.",
                    "Open the path printed by `animatrix outputs JOB --path` yourself.",
                )
                .with_detail(e.to_string()),
            )
        })
}
