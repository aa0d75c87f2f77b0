//! Child processes that are always stopped: SIGTERM first (so tauri-driver can stop its native
//! driver and the app), SIGKILL if they do not exit promptly.

use std::process::Child;
use std::time::{Duration, Instant};

use super::HarnessError;

pub(crate) struct Guarded {
    pub(crate) what: &'static str,
    child: Child,
}

impl Guarded {
    pub(crate) fn new(what: &'static str, child: Child) -> Self {
        Guarded { what, child }
    }

    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Fails when the process has already exited (for readiness loops).
    pub(crate) fn ensure_running(&mut self) -> Result<(), HarnessError> {
        match self.child.try_wait() {
            Ok(Some(status)) => Err(HarnessError::ExitedEarly {
                what: self.what,
                status,
            }),
            _ => Ok(()),
        }
    }

    pub(crate) fn child_mut(&mut self) -> &mut Child {
        &mut self.child
    }

    fn stop(&mut self) {
        if matches!(self.child.try_wait(), Ok(Some(_))) {
            return;
        }
        terminate(&self.child);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if matches!(self.child.try_wait(), Ok(Some(_))) {
                return;
            }
            // Polling is the only portable way to wait for a child with a deadline in std.
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Drop for Guarded {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(unix)]
fn terminate(child: &Child) {
    use nix::sys::signal::{Signal, kill};
    use nix::unistd::Pid;
    if let Ok(pid) = i32::try_from(child.id()) {
        let _ = kill(Pid::from_raw(pid), Signal::SIGTERM);
    }
}

#[cfg(not(unix))]
fn terminate(_child: &Child) {}
