//! `animatrix doctor` and `animatrix templates`.

use animatrix_comfy::DoctorReport;
use animatrix_common::{ErrorCode, UserError};
use animatrix_core::Studio;
use animatrix_core::jobs::server_metrics::ServerMetrics;
use serde_json::json;

use crate::exit::Failure;
use crate::output::print_json;
use animatrix_common::ExitClass;

pub async fn doctor(studio: &Studio, endpoint: Option<String>, json: bool) -> Result<(), Failure> {
    let (name, report) = studio.test_endpoint(endpoint.as_deref()).await?;
    if json {
        print_json(&json!({ "name": name, "report": report }));
    } else {
        print_report(&name, &report);
    }
    verdict(&report)
}

/// `doctor --all`: every server, one report each; exits with the first unusable one's class.
/// Each server's runs, failure rate and median run time per template come with its report.
pub async fn doctor_all(studio: &Studio, json: bool) -> Result<(), Failure> {
    let reports = studio.test_all_endpoints().await?;
    let metrics = studio.server_metrics().await?;
    let metrics_of = |name: &str| metrics.iter().find(|m| m.endpoint == name);
    if json {
        let v: Vec<_> = reports
            .iter()
            .map(|(name, report)| json!({ "name": name, "report": report, "metrics": metrics_of(name) }))
            .collect();
        print_json(&v);
    } else {
        for (i, (name, report)) in reports.iter().enumerate() {
            if i > 0 {
                println!();
            }
            print_report(name, report);
            if let Some(m) = metrics_of(name) {
                print_metrics(m);
            }
        }
    }
    reports
        .iter()
        .map(|(_, r)| verdict(r))
        .find(Result::is_err)
        .unwrap_or(Ok(()))
}

fn print_report(name: &str, report: &DoctorReport) {
    let yes = |b: bool| if b { "ok" } else { "NO" };
    println!("server        {} ({})", name, report.endpoint);
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

/// "runs          12 (2 failed, 17 %)" and one line per template with its median run time.
pub fn print_metrics(m: &ServerMetrics) {
    if m.runs == 0 {
        println!("runs          none yet");
        return;
    }
    println!(
        "runs          {} ({} failed, {:.0} %)",
        m.runs,
        m.failed,
        m.failure_rate * 100.0
    );
    for t in &m.per_template {
        let median = t.median_run_s.map_or_else(
            || "no completed run".to_string(),
            |s| format!("median {s:.1} s"),
        );
        println!(
            "  {:<22} {} runs, {:.0} % failed, {median}",
            t.template_name,
            t.runs,
            t.failure_rate * 100.0
        );
    }
}

/// The report is already printed; the exit code says "not usable".
fn verdict(report: &DoctorReport) -> Result<(), Failure> {
    if report.usable {
        return Ok(());
    }
    let first = report.problems.first().cloned().unwrap_or_else(|| {
        UserError::new(
            ErrorCode::ServerUnusable,
            "The server is not usable.",
            "See the report above.",
        )
    });
    Err(Failure {
        error: first,
        class: ExitClass::ServerUnreachable,
    })
}

pub async fn templates(
    studio: &Studio,
    endpoint: Option<String>,
    offline: bool,
    json: bool,
) -> Result<(), Failure> {
    let list = studio.templates();
    let mut pool = None;
    let preflight = if offline {
        None
    } else {
        // A pool is asked through its first member that answers (all members of a pool are
        // meant to be alike; `pool show` and the operator view compare them).
        let server = studio.resolve_for_catalog(endpoint.as_deref()).await?;
        if let (Some(p), false) = (&server.pool, json) {
            println!("pool {p}: {}", server.why);
        }
        pool = server.pool;
        let result = studio.preflight(Some(&server.endpoint)).await?;
        // An unreachable server is the command's failure (exit 3), after nothing is printed.
        if let Some(e) = result.error {
            return Err(Failure::from_user_error(e));
        }
        Some(result)
    };
    let report_of = |name: &str, version: &str| {
        preflight.as_ref().and_then(|p| {
            p.reports
                .iter()
                .find(|r| r.template == name && r.version == version)
        })
    };
    if json {
        let v: Vec<_> = list
            .iter()
            .map(|t| {
                json!({
                    "template": t,
                    "endpoint": preflight.as_ref().map(|p| p.endpoint.clone()),
                    "pool": pool,
                    "preflight": report_of(&t.name, &t.version),
                })
            })
            .collect();
        print_json(&v);
        return Ok(());
    }
    for s in &list {
        let r = report_of(&s.name, &s.version);
        let status = match (&preflight, r) {
            (None, _) => "not checked (offline)".to_string(),
            (Some(_), None) => "not checked (older version)".to_string(),
            (Some(_), Some(r)) => r.verdict.clone(),
        };
        println!(
            "{:<16} {:<8} {:<34} {}",
            s.name, s.version, s.display_name, status
        );
        let Some(r) = r else { continue };
        for n in &r.missing_nodes {
            println!("    node {} (install {})", n.class, n.pack_name);
        }
        for m in &r.missing_models {
            println!("    model {} in models/{}", m.file, m.folder);
        }
        for d in &r.auto_downloads {
            println!("    downloads on first use: {} into {}", d.file, d.folder);
        }
        if let Some(note) = &r.auto_download_note {
            println!("    {note}");
        }
    }
    Ok(())
}
