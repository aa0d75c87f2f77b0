//! The one handle to the SQLite file: a writer and a reader connection, each behind its own lock,
//! used from blocking threads only.
//!
//! Why two connections: in WAL mode readers never wait for a writer, so the gallery and the
//! operator view stay responsive while a job records events or another process (the CLI beside
//! the app) holds the write lock through the busy timeout. Why the async entry points run the
//! closure on the blocking pool: a busy timeout is a sleeping thread, and an async worker that
//! sleeps stalls every task scheduled on it (the window's queries included).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use rusqlite::Connection;

use crate::CoreError;

#[derive(Clone)]
pub struct Db {
    inner: Arc<Inner>,
}

struct Inner {
    path: PathBuf,
    writer: Mutex<Connection>,
    reader: Mutex<Connection>,
}

impl Db {
    /// Opens (creating and migrating if needed) the database in `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Db, CoreError> {
        let writer = super::open(data_dir)?;
        let reader = super::open_reader(data_dir)?;
        Ok(Db {
            inner: Arc::new(Inner {
                path: super::db_path(data_dir),
                writer: Mutex::new(writer),
                reader: Mutex::new(reader),
            }),
        })
    }

    pub fn path(&self) -> &Path {
        &self.inner.path
    }

    /// Runs `f` on the writer connection, on this thread. Call it from blocking code only
    /// (CLI commands, `spawn_blocking`, demo import); async code uses [`Db::write`].
    pub fn write_blocking<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        f(&mut lock(&self.inner.writer))
    }

    /// Runs `f` on the read-only connection, on this thread (blocking code only).
    pub fn read_blocking<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, CoreError>,
    ) -> Result<T, CoreError> {
        f(&lock(&self.inner.reader))
    }

    /// Runs `f` on the writer connection on the blocking pool.
    pub async fn write<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut Connection) -> Result<T, CoreError> + Send + 'static,
    {
        let db = self.clone();
        off_thread(move || db.write_blocking(f)).await
    }

    /// Runs `f` on the read-only connection on the blocking pool.
    pub async fn read<T, F>(&self, f: F) -> Result<T, CoreError>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, CoreError> + Send + 'static,
    {
        let db = self.clone();
        off_thread(move || db.read_blocking(f)).await
    }
}

/// A poisoned lock only means another thread panicked mid-call; SQLite's own transactions keep
/// the data consistent, so the connection is still good.
fn lock(m: &Mutex<Connection>) -> MutexGuard<'_, Connection> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Runs blocking work on tokio's blocking pool; a panic in it is an error, not a crash.
pub async fn off_thread<T, F>(f: F) -> Result<T, CoreError>
where
    T: Send + 'static,
    F: FnOnce() -> Result<T, CoreError> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| CoreError::Internal(format!("blocking task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reader is not held up by a writer that keeps the write lock (another process in a
    /// long transaction): the gallery must keep answering.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn reads_do_not_wait_for_a_held_write_lock() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = Db::open(dir.path()).expect("open");
        let mut other = super::super::open(dir.path()).expect("second connection");
        let tx = super::super::write_tx(&mut other).expect("other process holds the write lock");
        tx.execute("UPDATE settings SET value = value", [])
            .expect("write");
        let started = std::time::Instant::now();
        let n = db
            .read(
                |c| Ok(c.query_row("SELECT count(*) FROM endpoints", [], |r| r.get::<_, i64>(0))?),
            )
            .await
            .expect("read while the write lock is held");
        assert_eq!(n, 1);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(1),
            "the read waited {:?}",
            started.elapsed()
        );
        tx.rollback().expect("rollback");
    }

    #[tokio::test]
    async fn a_panic_in_blocking_work_is_an_error_not_a_crash() {
        let err = off_thread(|| -> Result<(), CoreError> { panic!("boom") })
            .await
            .expect_err("the panic comes back as an error");
        assert!(matches!(err, CoreError::Internal(_)), "{err:?}");
    }
}
