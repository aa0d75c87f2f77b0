//! Finding the tools a window test needs, and failing loudly (or skipping on request) without them.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use super::paths::{find_in_path, workspace_root};

/// Set to `1` to skip window tests on a machine that cannot run them.
pub const SKIP_ENV: &str = "ANIMATRIX_SKIP_WINDOW_TESTS";

const APP_NAME: &str = "animatrix-studio";

/// Everything needed to run the app under WebDriver.
#[derive(Debug, Clone)]
pub struct Prereqs {
    pub tauri_driver: PathBuf,
    pub native_driver: PathBuf,
    /// `Some` when the harness starts its own X server (preferred: isolated, invisible).
    pub xvfb: Option<PathBuf>,
    /// Used only when there is no Xvfb: the existing X display.
    pub existing_display: Option<String>,
    pub app_bin: PathBuf,
}

/// The prerequisites, or every problem found with how to fix it.
pub fn check_prerequisites() -> Result<Prereqs, Vec<String>> {
    let mut problems = Vec::new();

    let tauri_driver = env_path("TAURI_DRIVER")
        .or_else(|| find_in_path("tauri-driver"))
        .or_else(|| cargo_home().map(|h| h.join("bin").join(exe("tauri-driver"))))
        .filter(|p| p.is_file());
    if tauri_driver.is_none() {
        problems.push(
            "tauri-driver not found (PATH, ~/.cargo/bin or env TAURI_DRIVER): \
             install it with `cargo install tauri-driver --version '^2' --locked`"
                .to_string(),
        );
    }

    let native_driver = env_path("ANIMATRIX_NATIVE_DRIVER")
        .or_else(|| Some(PathBuf::from("/usr/bin/WebKitWebDriver")).filter(|p| p.is_file()))
        .or_else(|| find_in_path("WebKitWebDriver"))
        .filter(|p| p.is_file());
    if native_driver.is_none() {
        problems.push(
            "WebKitWebDriver not found (/usr/bin, PATH or env ANIMATRIX_NATIVE_DRIVER): \
             install it with `apt-get install webkit2gtk-driver`"
                .to_string(),
        );
    }

    let xvfb = find_in_path("Xvfb");
    let existing_display = std::env::var("DISPLAY").ok().filter(|d| !d.is_empty());
    if xvfb.is_none() && existing_display.is_none() {
        problems.push(
            "no X display: Xvfb is not installed and DISPLAY is not set: \
             install it with `apt-get install xvfb xauth`"
                .to_string(),
        );
    }

    let app_bin = match app_binary() {
        Ok(p) => Some(p),
        Err(e) => {
            problems.push(e);
            None
        }
    };

    match (tauri_driver, native_driver, app_bin) {
        (Some(tauri_driver), Some(native_driver), Some(app_bin)) if problems.is_empty() => {
            warn_if_stale(&app_bin);
            Ok(Prereqs {
                tauri_driver,
                native_driver,
                existing_display: if xvfb.is_some() {
                    None
                } else {
                    existing_display
                },
                xvfb,
                app_bin,
            })
        }
        _ => Err(problems),
    }
}

/// The prerequisites; `None` (after saying so) when `ANIMATRIX_SKIP_WINDOW_TESTS=1`.
///
/// # Panics
/// When a prerequisite is missing and skipping was not asked for: a window test that cannot
/// run must not pass silently.
pub fn prerequisites_or_skip(test: &str) -> Option<Prereqs> {
    if std::env::var(SKIP_ENV).is_ok_and(|v| v == "1") {
        eprintln!("SKIPPED window test `{test}`: {SKIP_ENV}=1");
        return None;
    }
    match check_prerequisites() {
        Ok(p) => Some(p),
        Err(problems) => panic!(
            "window test `{test}` cannot run:\n  - {}\n\
             Fix the above, or set {SKIP_ENV}=1 to skip window tests on this machine.",
            problems.join("\n  - ")
        ),
    }
}

/// `ANIMATRIX_APP_BIN`, else the `animatrix-studio` built next to this test binary (same
/// target dir and profile), else `<repo>/target/debug/animatrix-studio`.
fn app_binary() -> Result<PathBuf, String> {
    let build_hint =
        "build it first: `bash scripts/build-ui.sh && cargo build -p animatrix-studio`";
    if let Some(p) = env_path("ANIMATRIX_APP_BIN") {
        return if p.is_file() {
            Ok(absolute(&p))
        } else {
            Err(format!(
                "ANIMATRIX_APP_BIN={} does not exist: {build_hint}",
                p.display()
            ))
        };
    }
    // Test binaries live in <target>/<profile>/deps/.
    let beside_tests = std::env::current_exe()
        .ok()
        .and_then(|exe| exe.parent()?.parent().map(|dir| dir.join(exe_name())));
    let default = workspace_root()
        .join("target")
        .join("debug")
        .join(exe_name());
    let candidates: Vec<PathBuf> = beside_tests.into_iter().chain([default]).collect();
    candidates
        .iter()
        .find(|p| p.is_file())
        .map(|p| absolute(p))
        .ok_or_else(|| {
            let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
            format!(
                "the app binary was not found (looked at {}; or set ANIMATRIX_APP_BIN): {build_hint}",
                looked.join(", ")
            )
        })
}

/// The binary embeds `ui/dist` at compile time, so an app older than its sources tests old code.
fn warn_if_stale(app_bin: &Path) {
    let Some(built) = modified(app_bin) else {
        return;
    };
    let root = workspace_root();
    let newest = [root.join("ui/dist"), root.join("src-tauri/src")]
        .iter()
        .filter_map(|dir| newest_in(dir))
        .max();
    if newest.is_some_and(|n| n > built) {
        eprintln!(
            "WARNING: {} is older than ui/dist or src-tauri/src; rebuild it to test the current code",
            app_bin.display()
        );
    }
}

fn newest_in(dir: &Path) -> Option<SystemTime> {
    let mut newest = None;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).ok()?.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else {
                newest = newest.max(modified(&path));
            }
        }
    }
    newest
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

fn env_path(var: &str) -> Option<PathBuf> {
    std::env::var_os(var)
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
}

fn cargo_home() -> Option<PathBuf> {
    env_path("CARGO_HOME").or_else(|| env_path("HOME").map(|h| h.join(".cargo")))
}

fn exe(name: &str) -> String {
    format!("{name}{}", std::env::consts::EXE_SUFFIX)
}

fn exe_name() -> String {
    exe(APP_NAME)
}

fn absolute(p: &Path) -> PathBuf {
    std::fs::canonicalize(p).unwrap_or_else(|_| p.to_path_buf())
}
