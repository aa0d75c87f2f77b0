//! A large published video without rendering one: the storage tests need runs above the
//! multipart threshold, and the fake ComfyUI renders a few KiB.

use std::path::{Path, PathBuf};
use std::process::Command;

/// Replaces the video of run `job_id` (in the data dir whose SQLite file is `db`) with a
/// `size`-byte one: the real MP4, then incompressible filler players ignore. Records the new
/// size and sha256 on the run's output row, so the run stays consistent for the publisher's
/// and the importer's checks. Returns the video's path.
pub fn grow_run_video(db: &Path, job_id: &str, size: usize) -> PathBuf {
    let conn = rusqlite::Connection::open(db).expect("db");
    let path: String = conn
        .query_row(
            "SELECT path FROM outputs WHERE job_id = ?1 AND kind = 'video'",
            [job_id],
            |r| r.get(0),
        )
        .expect("video row");
    let mut data = std::fs::read(&path).expect("video");
    // xorshift32: incompressible, so neither zip nor the transport shrinks it.
    let mut x: u32 = 0x2545_f491;
    while data.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        data.extend_from_slice(&x.to_le_bytes());
    }
    data.truncate(size);
    std::fs::write(&path, &data).expect("write");
    let out = Command::new("sha256sum")
        .arg(&path)
        .output()
        .expect("sha256sum");
    let sha = String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("sha")
        .to_string();
    conn.execute(
        "UPDATE outputs SET size_bytes = ?2, sha256 = ?3 WHERE job_id = ?1 AND kind = 'video'",
        rusqlite::params![job_id, size as i64, sha],
    )
    .expect("update");
    PathBuf::from(path)
}
