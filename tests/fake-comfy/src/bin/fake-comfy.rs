//! Standalone fake ComfyUI for UI window tests and demo recordings.
//! Prints `listening on http://127.0.0.1:PORT` on stdout once ready; stops on SIGINT/SIGTERM.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use animatrix_common::Explain;
use clap::Parser;
use fake_comfy::{ExpectedAuth, FakeComfy};

#[derive(Debug, Parser)]
#[command(
    name = "fake-comfy",
    version,
    about = "A fake ComfyUI 0.3.64 server built from protocol captures"
)]
struct Args {
    /// Port on 127.0.0.1 (0 = pick a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Milliseconds each node "runs" (samplers take twice that).
    #[arg(long, default_value_t = 20)]
    exec_ms: u64,
    /// Folder for input/, output/, temp/ (default: a temporary folder removed at exit).
    #[arg(long)]
    data_dir: Option<PathBuf>,
    /// object_info overlay file (default: the crate's data/object_info_overlay.json if present).
    #[arg(long)]
    overlay: Option<PathBuf>,
    /// Capture folder (default: shared/comfyui beside the repository).
    #[arg(long)]
    captures_dir: Option<PathBuf>,
    /// Do not emulate ComfyUI's node cache (every node runs every time).
    #[arg(long)]
    no_cache: bool,
    /// Require `Authorization: Bearer TOKEN`.
    #[arg(long, conflicts_with_all = ["require_basic", "require_header"])]
    require_bearer: Option<String>,
    /// Require HTTP basic auth, given as USER:PASSWORD.
    #[arg(long, conflicts_with = "require_header")]
    require_basic: Option<String>,
    /// Require a custom header, given as 'Name: value'.
    #[arg(long)]
    require_header: Option<String>,
}

fn auth_of(args: &Args) -> Result<Option<ExpectedAuth>, String> {
    if let Some(t) = &args.require_bearer {
        return Ok(Some(ExpectedAuth::Bearer(t.clone())));
    }
    if let Some(b) = &args.require_basic {
        let (user, password) = b
            .split_once(':')
            .ok_or("--require-basic expects USER:PASSWORD")?;
        return Ok(Some(ExpectedAuth::Basic {
            user: user.into(),
            password: password.into(),
        }));
    }
    if let Some(h) = &args.require_header {
        let (name, value) = h
            .split_once(':')
            .ok_or("--require-header expects 'Name: value'")?;
        return Ok(Some(ExpectedAuth::Header {
            name: name.trim().into(),
            value: value.trim().into(),
        }));
    }
    Ok(None)
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let auth = match auth_of(&args) {
        Ok(a) => a,
        Err(msg) => {
            eprintln!("fake-comfy: {msg}");
            return ExitCode::from(2);
        }
    };
    let mut b = FakeComfy::builder()
        .port(args.port)
        .exec_ms(args.exec_ms)
        .cache(!args.no_cache);
    if let Some(d) = &args.data_dir {
        b = b.data_dir(d);
    }
    if let Some(o) = &args.overlay {
        b = b.object_info_overlay(Some(o.clone()));
    }
    if let Some(c) = &args.captures_dir {
        b = b.captures_dir(c);
    }
    if let Some(a) = auth {
        b = b.require_auth(a);
    }
    let handle = match b.start().await {
        Ok(h) => h,
        Err(e) => {
            let u = e.explain();
            eprintln!("fake-comfy: {}: {} ({})", u.code, u.message, u.detail);
            return ExitCode::FAILURE;
        }
    };
    println!("listening on {}", handle.base_url());
    let _ = std::io::stdout().flush();
    wait_for_signal().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}
