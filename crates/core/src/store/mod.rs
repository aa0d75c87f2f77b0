//! SQLite store: one file in the data dir, WAL, foreign keys on, versioned migrations.

mod db;
pub mod endpoints;
mod migrations;
pub mod settings;
mod upgrade;

pub use db::{Db, off_thread};

/// The schema release 0.1 created (migration 1 alone), for tests that build a data dir as that
/// release left it.
#[doc(hidden)]
pub fn release_0_1_schema() -> &'static str {
    migrations::V1_FOUNDATION
}

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::Connection;

use crate::CoreError;

pub const DB_FILE_NAME: &str = "animatrix.sqlite3";

/// Opens (creating if needed) the database and brings its schema up to date.
pub fn open(data_dir: &Path) -> Result<Connection, CoreError> {
    let path = db_path(data_dir);
    let mut conn = Connection::open(&path)?;
    configure(&conn)?;
    // Foreign keys stay off while migrating: rebuilding a table (drop, then rename the new
    // copy) would otherwise cascade the drop into job inputs, outputs and events. Migrations
    // that rebuild run `PRAGMA foreign_key_check` before they commit.
    conn.pragma_update(None, "foreign_keys", false)?;
    migrations::migrations().to_latest(&mut conn)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    Ok(conn)
}

/// A second connection for reads only (see [`Db`]). The writer has migrated the schema.
pub(crate) fn open_reader(data_dir: &Path) -> Result<Connection, CoreError> {
    let conn = Connection::open(db_path(data_dir))?;
    configure(&conn)?;
    conn.pragma_update(None, "query_only", true)?;
    Ok(conn)
}

pub fn db_path(data_dir: &Path) -> PathBuf {
    data_dir.join(DB_FILE_NAME)
}

fn configure(conn: &Connection) -> Result<(), CoreError> {
    // WAL lets the UI read history while a job writes events; NORMAL is durable in WAL mode
    // against process crashes (kill -9), which is the failure we must survive.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.busy_timeout(Duration::from_secs(5))?;
    Ok(())
}

/// A transaction that will write. It takes SQLite's write lock at `BEGIN` (IMMEDIATE), so a
/// second process (the CLI beside the app, two `submit --wait`s) waits its turn through the busy
/// timeout. A default (deferred) transaction that reads before it writes cannot wait: when
/// another connection commits in between, its upgrade to a writer fails at once with "database
/// is locked" (SQLITE_BUSY_SNAPSHOT), which is how a job failed with `storage_error` while
/// another one ran.
pub fn write_tx(conn: &mut Connection) -> Result<rusqlite::Transaction<'_>, CoreError> {
    Ok(conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?)
}

/// Milliseconds since the Unix epoch: every timestamp in the store.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

#[cfg(test)]
mod tests {
    /// Two processes: one reads then writes in a transaction while the other commits a write
    /// in between. With deferred transactions the first fails with "database is locked"; with
    /// `write_tx` both succeed, one after the other.
    #[test]
    fn concurrent_read_then_write_transactions_wait_instead_of_failing() {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut a = super::open(dir.path()).expect("open a");
        a.execute_batch("CREATE TABLE counter (n INTEGER); INSERT INTO counter VALUES (0);")
            .expect("table");
        let path = dir.path().to_path_buf();
        let (reading, read_done) = std::sync::mpsc::channel();
        let other = std::thread::spawn(move || {
            let mut b = super::open(&path).expect("open b");
            // Wait until A holds its transaction and has read.
            read_done.recv().expect("signal");
            let tx = super::write_tx(&mut b).expect("b begins (waits for a)");
            tx.execute("UPDATE counter SET n = n + 1", [])
                .expect("b writes");
            tx.commit().expect("b commits");
        });
        let tx = super::write_tx(&mut a).expect("a begins");
        let n: i64 = tx
            .query_row("SELECT n FROM counter", [], |r| r.get(0))
            .expect("a reads");
        reading.send(()).expect("signal");
        std::thread::sleep(std::time::Duration::from_millis(200));
        tx.execute("UPDATE counter SET n = ?1", [n + 10])
            .expect("a writes after reading: no 'database is locked'");
        tx.commit().expect("a commits");
        other.join().expect("b finished");
        let n: i64 = a
            .query_row("SELECT n FROM counter", [], |r| r.get(0))
            .expect("read");
        assert_eq!(n, 11, "both writes landed, in order");
    }

    use super::*;

    #[test]
    fn opens_with_wal_and_foreign_keys_and_is_idempotent() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(dir.path()).expect("open");
        let mode: String = conn
            .pragma_query_value(None, "journal_mode", |r| r.get(0))
            .expect("journal_mode");
        assert_eq!(mode, "wal");
        let fk: i64 = conn
            .pragma_query_value(None, "foreign_keys", |r| r.get(0))
            .expect("fk");
        assert_eq!(fk, 1);
        let version: i64 = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .expect("user_version");
        assert!(version >= 1);
        drop(conn);
        // Re-opening runs no migration twice and keeps the seeded default endpoint single.
        let conn = open(dir.path()).expect("reopen");
        let n: i64 = conn
            .query_row("SELECT count(*) FROM endpoints", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1);
    }

    #[test]
    fn migrations_are_valid() {
        migrations::migrations()
            .validate()
            .expect("valid migrations");
    }

    #[test]
    fn fts_finds_prompts() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = open(dir.path()).expect("open");
        conn.execute(
            "INSERT INTO jobs (id, comfy_prompt_id, client_id, mode, template_name, template_version,
               profile, aspect, prompt, settings_json, state, created_at, updated_at)
             VALUES ('j1','p1','c1','audio','s2v','1.0.0','draft','9:16','a knight singing opera','{}','completed',1,1)",
            [],
        )
        .expect("insert");
        let id: String = conn
            .query_row(
                "SELECT j.id FROM jobs_fts f JOIN jobs j ON j.rowid = f.rowid WHERE jobs_fts MATCH 'opera'",
                [],
                |r| r.get(0),
            )
            .expect("fts hit");
        assert_eq!(id, "j1");
        conn.execute("UPDATE jobs SET prompt = 'a dancer' WHERE id = 'j1'", [])
            .expect("update");
        let hits: i64 = conn
            .query_row(
                "SELECT count(*) FROM jobs_fts WHERE jobs_fts MATCH 'opera'",
                [],
                |r| r.get(0),
            )
            .expect("count");
        assert_eq!(hits, 0, "FTS follows updates");
    }
}
