//! One server per level per test binary, and one Level 2 run at a time.

use std::sync::{Mutex, MutexGuard, OnceLock, PoisonError};

use crate::error::HarnessError;
use crate::kit::Level;
use crate::server::KitServer;

static L1: OnceLock<Result<KitServer, HarnessError>> = OnceLock::new();
static L2: OnceLock<Result<KitServer, HarnessError>> = OnceLock::new();
static SERIAL: Mutex<()> = Mutex::new(());

/// The server of `level` shared by every test of this test binary, started on first use.
/// Its queue, history and node cache are shared too: change the seed when a test needs a graph
/// to run again. It is never dropped; the kit's watcher stops it when the test binary exits.
/// A failed start is remembered, so later tests fail fast with the same error.
pub fn shared(level: Level) -> Result<&'static KitServer, &'static HarnessError> {
    let cell = match level {
        Level::L1 => &L1,
        Level::L2 => &L2,
    };
    cell.get_or_init(|| KitServer::start(level)).as_ref()
}

/// Held while a test runs graphs: Level 2 executes on the CPU, and tests running side by side
/// would only slow each other down (and blur the measured times). A test that panicked while
/// holding it does not poison it for the others.
pub fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(PoisonError::into_inner)
}
