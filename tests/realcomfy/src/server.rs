//! One kit server: started by `start.sh`, stopped by `stop.sh` when dropped.

use std::io::{Read, Seek, SeekFrom};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::HarnessError;
use crate::kit::{Level, SETUP_HINT, kit_dir, missing_piece, realcomfy_home};

/// Fresh ports tried when another process takes the reserved one before ComfyUI binds it.
pub const PORT_ATTEMPTS: u32 = 5;
/// How much of the server log [`KitServer::log_tail`] reads at most.
const TAIL_BYTES: u64 = 64 * 1024;
/// Lines of the server log printed when a test fails.
const FAILURE_TAIL_LINES: usize = 80;

/// A real ComfyUI server of the kit, listening on 127.0.0.1. Stopped (and its run folder
/// removed) when dropped, also when the test panics; if the test process dies instead, the
/// kit's watcher (`REALCOMFY_WATCH_PID`) stops it.
#[derive(Debug)]
pub struct KitServer {
    pid: u32,
    port: u16,
    level: Level,
    run_dir: PathBuf,
}

impl KitServer {
    /// Starts a server of `level` on a free port and waits until it answers `/system_stats`
    /// (`start.sh` gives up after `REALCOMFY_START_TIMEOUT`, 180 s by default).
    pub fn start(level: Level) -> Result<KitServer, HarnessError> {
        Self::start_with(level, &[])
    }

    /// As [`KitServer::start`], with extra ComfyUI arguments (they win over the kit's).
    pub fn start_with(level: Level, extra_args: &[&str]) -> Result<KitServer, HarnessError> {
        Self::start_on_ports(level, extra_args, &mut free_port)
    }

    /// As [`KitServer::start_with`], taking ports from `next_port`: a port that turns out to
    /// be taken when the server starts is given up for the next one, [`PORT_ATTEMPTS`] times.
    pub fn start_on_ports(
        level: Level,
        extra_args: &[&str],
        next_port: &mut dyn FnMut() -> Result<u16, HarnessError>,
    ) -> Result<KitServer, HarnessError> {
        if let Some(missing) = missing_piece(level) {
            return Err(HarnessError::NotBuilt {
                missing,
                hint: SETUP_HINT,
            });
        }
        prune_stale_run_dirs();
        let script = kit_dir().join("start.sh");
        let mut attempt = 0;
        loop {
            attempt += 1;
            let port = next_port()?;
            // A run folder of our own (uploads, outputs, user DB), emptied first and removed on
            // drop, so test runs never accumulate outputs in the kit's home.
            let run_dir =
                runs_root().join(format!("{}-{}-{port}", std::process::id(), level.as_str()));
            let out = Command::new(&script)
                .arg(port.to_string())
                .arg(level.as_str())
                .args(extra_args)
                .env("REALCOMFY_WATCH_PID", std::process::id().to_string())
                .env("REALCOMFY_RUN_DIR", &run_dir)
                .env("REALCOMFY_CLEAN", "1")
                .stdin(Stdio::null())
                .output()
                .map_err(|source| HarnessError::Spawn {
                    script: script.clone(),
                    source,
                })?;
            let stdout = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if out.status.success() {
                let pid = stdout.parse().map_err(|_| HarnessError::NoPid { stdout })?;
                return Ok(KitServer {
                    pid,
                    port,
                    level,
                    run_dir,
                });
            }
            let _ = std::fs::remove_dir_all(&run_dir);
            let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
            // The port was free when reserved; another process took it in between.
            if stderr.contains("already in use") && attempt < PORT_ATTEMPTS {
                continue;
            }
            return Err(HarnessError::StartFailed {
                level: level.as_str(),
                port,
                attempts: attempt,
                stderr,
            });
        }
    }

    /// `http://127.0.0.1:<port>`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub fn level(&self) -> Level {
        self.level
    }

    /// The server's `input/`, `output/`, `temp/` and `user/` folders.
    pub fn run_dir(&self) -> &Path {
        &self.run_dir
    }

    /// The server's log (`--verbose DEBUG`, every traceback), appended by each start on this
    /// level and port.
    pub fn log_path(&self) -> PathBuf {
        realcomfy_home().join("logs").join(format!(
            "server-{}-{}.log",
            self.level.as_str(),
            self.port
        ))
    }

    /// The last `lines` lines of the server log (read from its last 64 KiB).
    pub fn log_tail(&self, lines: usize) -> String {
        match read_tail(&self.log_path(), TAIL_BYTES) {
            Ok(text) => {
                let all: Vec<&str> = text.lines().collect();
                all[all.len().saturating_sub(lines)..].join("\n")
            }
            Err(e) => format!("(cannot read {}: {e})", self.log_path().display()),
        }
    }

    /// A guard that prints the server log tail when the test panics while it is alive.
    pub fn log_on_failure(&self) -> FailureLog<'_> {
        FailureLog { server: self }
    }
}

impl Drop for KitServer {
    fn drop(&mut self) {
        // stop.sh checks /proc/PID/cmdline first (a recycled PID is never signalled) and
        // SIGKILLs after 15 s, so this wait is bounded.
        let _ = Command::new(kit_dir().join("stop.sh"))
            .arg(self.pid.to_string())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .status();
        let _ = std::fs::remove_dir_all(&self.run_dir);
    }
}

/// See [`KitServer::log_on_failure`].
#[derive(Debug)]
pub struct FailureLog<'a> {
    server: &'a KitServer,
}

impl Drop for FailureLog<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!(
                "--- last {FAILURE_TAIL_LINES} lines of {} ---\n{}\n--- end of server log ---",
                self.server.log_path().display(),
                self.server.log_tail(FAILURE_TAIL_LINES)
            );
        }
    }
}

/// Reserves a free port by binding port 0 and releasing it (start.sh refuses a port in use,
/// and the caller retries on that race).
pub fn free_port() -> Result<u16, HarnessError> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(HarnessError::Port)?;
    let port = listener.local_addr().map_err(HarnessError::Port)?.port();
    Ok(port)
}

fn runs_root() -> PathBuf {
    std::env::temp_dir().join("realcomfy-harness")
}

/// Removes run folders left by test processes that are gone (a shared server is stopped by the
/// kit's watcher when its test binary exits, but its folder stays until here).
fn prune_stale_run_dirs() {
    let Ok(entries) = std::fs::read_dir(runs_root()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let owner = name
            .to_str()
            .and_then(|n| n.split('-').next())
            .and_then(|pid| pid.parse::<u32>().ok());
        if let Some(pid) = owner
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn read_tail(path: &Path, max: u64) -> std::io::Result<String> {
    let mut file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    file.seek(SeekFrom::Start(len.saturating_sub(max)))?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}
