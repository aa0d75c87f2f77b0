//! `animatrix doctor` and `animatrix templates`.

use animatrix_common::UserError;
use animatrix_core::jobs::Engine;
use serde_json::json;

use crate::exit::{Failure, FailureClass};
use crate::output::print_json;

pub async fn doctor(engine: &Engine, endpoint: Option<String>, json: bool) -> Result<(), Failure> {
    let conn = engine.connection(endpoint.as_deref()).await?;
    let report = animatrix_comfy::doctor(&conn.client).await;
    if json {
        print_json(&json!({ "name": conn.endpoint.name, "report": report }));
    } else {
        let yes = |b: bool| if b { "ok" } else { "NO" };
        println!("server        {} ({})", conn.endpoint.name, report.endpoint);
        println!("reachable     {}", yes(report.reachable));
        println!("sign-in       {}", yes(report.auth_ok));
        println!("live updates  {}", yes(report.websocket_ok));
        if let Some(v) = &report.comfyui_version {
            println!("ComfyUI       {v}");
        }
        if let Some(g) = &report.gpu_name {
            let gib = |b: u64| b as f64 / 1024f64.powi(3);
            println!(
                "GPU           {g} ({:.1} GiB free of {:.1} GiB)",
                report.vram_free.map(gib).unwrap_or(0.0),
                report.vram_total.map(gib).unwrap_or(0.0)
            );
        }
        if let Some(q) = report.queue_len {
            println!("queue         {q} prompt(s)");
        }
        if let Some(m) = report.max_upload_size {
            println!("upload limit  {} MB", m / (1024 * 1024));
        }
        for w in &report.warnings {
            println!("warning: {} ({})", w.message, w.suggestion);
        }
        for p in &report.problems {
            println!("problem[{}]: {} ({})", p.code, p.message, p.suggestion);
        }
        println!("usable        {}", yes(report.usable));
    }
    if report.usable {
        Ok(())
    } else {
        // The report is already printed; the exit code says "not usable".
        let first = report.problems.first().cloned().unwrap_or_else(|| {
            UserError::new(
                "server_unusable",
                "The server is not usable.",
                "See the report above.",
            )
        });
        Err(Failure {
            error: first,
            class: FailureClass::ServerUnreachable,
        })
    }
}

pub async fn templates(
    engine: &Engine,
    endpoint: Option<String>,
    offline: bool,
    json: bool,
) -> Result<(), Failure> {
    let list = engine.catalog().list();
    let mut rows = Vec::new();
    let conn = if offline {
        None
    } else {
        Some(engine.connection(endpoint.as_deref()).await?)
    };
    for t in &list {
        let template = engine.catalog().get(&t.name, &t.version)?;
        let report = match &conn {
            Some(c) => {
                let info = c.object_info().await?;
                let models = c.models_for(template).await?;
                Some(animatrix_workflow::preflight(template, &info, &models))
            }
            None => None,
        };
        rows.push((t, template.manifest(), report));
    }
    if json {
        let v: Vec<_> = rows
            .iter()
            .map(|(t, m, r)| {
                json!({
                    "name": t.name, "version": t.version, "display_name": t.display_name,
                    "mode": t.mode, "sub_mode": t.sub_mode, "latest": t.latest,
                    "compatible": t.compatible, "capabilities": m.capabilities,
                    "endpoint": conn.as_ref().map(|c| c.endpoint.name.clone()),
                    "preflight": r,
                })
            })
            .collect();
        print_json(&v);
        return Ok(());
    }
    for (t, _, r) in &rows {
        let status = match r {
            None => "not checked (offline)".to_string(),
            Some(r) if r.ready => "ready".to_string(),
            Some(r) => format!(
                "missing {} node type(s), {} model file(s)",
                r.missing_nodes.len(),
                r.missing_models.len()
            ),
        };
        println!(
            "{:<14} {:<8} {:<34} {}",
            t.name, t.version, t.display_name, status
        );
        if let Some(r) = r {
            for n in &r.missing_nodes {
                println!("    node {} (install {})", n.class, n.pack_name);
            }
            for m in &r.missing_models {
                println!("    model {} in models/{}", m.file, m.folder);
            }
        }
    }
    Ok(())
}
