//! A private X server for one test. `-displayfd` makes Xvfb choose a free display and print
//! its number once it accepts clients: a readiness signal, no sleeping.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use super::HarnessError;
use super::process::Guarded;

const READY_TIMEOUT: Duration = Duration::from_secs(15);

pub(crate) struct Xvfb {
    pub(crate) display: String,
    _process: Guarded,
}

impl Xvfb {
    pub(crate) fn start(binary: &Path, width: u32, height: u32) -> Result<Xvfb, HarnessError> {
        let child = Command::new(binary)
            .args([
                "-displayfd",
                "1",
                "-nolisten",
                "tcp",
                "-noreset",
                "-screen",
                "0",
            ])
            .arg(format!("{width}x{height}x24"))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|source| HarnessError::Spawn {
                what: "Xvfb",
                source,
            })?;
        let mut process = Guarded::new("Xvfb", child);
        let stdout = process
            .child_mut()
            .stdout
            .take()
            .ok_or(HarnessError::NotReady {
                what: "Xvfb",
                seconds: 0,
            })?;
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = tx.send(line);
        });
        let line = rx
            .recv_timeout(READY_TIMEOUT)
            .map_err(|_| HarnessError::NotReady {
                what: "Xvfb",
                seconds: READY_TIMEOUT.as_secs(),
            })?;
        let number = line.trim();
        if number.is_empty() || !number.bytes().all(|b| b.is_ascii_digit()) {
            process.ensure_running()?;
            return Err(HarnessError::NotReady {
                what: "Xvfb",
                seconds: READY_TIMEOUT.as_secs(),
            });
        }
        Ok(Xvfb {
            display: format!(":{number}"),
            _process: process,
        })
    }
}
