//! Imported media as rows: the media crate normalizes into the content-addressed store under
//! `<data dir>/assets`, and the row keeps the facts the UI and templates need. Re-importing the
//! same file (same normalized bytes, same role) returns the same asset. The role is the
//! template's name for the input (`ground_truth`, `audio`, `end_frame`, …); the media crate
//! only sees the kind and the options.

use std::path::{Path, PathBuf};

use animatrix_media::{AssetStore, ImportOptions, ImportedMedia, MediaKind};
use rusqlite::{Connection, OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::CoreError;
use crate::store::now_ms;

pub const ASSETS_DIR: &str = "assets";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, specta::Type)]
pub struct AssetRecord {
    pub id: String,
    pub kind: String,
    pub role: String,
    pub original_name: String,
    pub mime: String,
    pub width: Option<i64>,
    pub height: Option<i64>,
    pub duration_seconds: Option<f64>,
    pub fps: Option<f64>,
    pub frame_count: Option<i64>,
    pub sample_rate: Option<i64>,
    pub channels: Option<i64>,
    pub codec: Option<String>,
    pub size_bytes: i64,
    pub sha256: String,
    pub stored_path: String,
    pub thumbnail_path: Option<String>,
    pub waveform: Option<Vec<f32>>,
    /// Facts of the file as given (before normalization), for the UI and manifests.
    pub facts: serde_json::Value,
    pub created_at: i64,
}

impl AssetRecord {
    pub fn path(&self) -> PathBuf {
        PathBuf::from(&self.stored_path)
    }
}

pub fn store(data_dir: &Path) -> Result<AssetStore, CoreError> {
    Ok(AssetStore::new(data_dir.join(ASSETS_DIR))?)
}

/// Normalizes `path` into the store as `kind`, then records it under `role`. The file work
/// happens before the row so a refused file leaves nothing behind in the database.
pub fn import(
    conn: &Connection,
    data_dir: &Path,
    path: &Path,
    role: &str,
    kind: MediaKind,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    let imported = store(data_dir)?.import(path, kind, options)?;
    let warnings = imported.warnings.clone();
    if let Some(existing) = find(conn, &imported.sha256, role)? {
        return Ok((existing, warnings));
    }
    Ok((
        insert_or_existing(conn, to_record(&imported, role), role)?,
        warnings,
    ))
}

/// Imports a file for `role` through the store handle (blocking), logging what happened.
pub fn import_file(
    db: &crate::store::Db,
    data_dir: &Path,
    path: &Path,
    role: &str,
    kind: MediaKind,
    options: &ImportOptions,
) -> Result<(AssetRecord, Vec<String>), CoreError> {
    let result = db.write_blocking(|c| import(c, data_dir, path, role, kind, options));
    match &result {
        Ok((a, _)) => tracing::info!(asset = %a.id, role, sha256 = %a.sha256, "asset imported"),
        Err(e) => tracing::warn!(file = %path.display(), error = %e, "import refused"),
    }
    result
}

/// Inserts the row, or returns the one already stored for the same bytes and role. Another
/// process (two submits of the same file at once) may store them between our `find` and our
/// insert: then our row is not written (ON CONFLICT DO NOTHING) and returning it would hand out
/// an id that does not exist (a job's inputs then fail their foreign key).
fn insert_or_existing(
    conn: &Connection,
    record: AssetRecord,
    role: &str,
) -> Result<AssetRecord, CoreError> {
    insert(conn, &record)?;
    Ok(find(conn, &record.sha256, role)?.unwrap_or(record))
}

pub fn insert(conn: &Connection, a: &AssetRecord) -> Result<(), CoreError> {
    conn.execute(
        "INSERT INTO assets (id, kind, role, original_name, mime, width, height, duration_seconds,
            fps, frame_count, sample_rate, channels, codec, size_bytes, sha256, stored_path,
            thumbnail_path, waveform_json, facts_json, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)
         ON CONFLICT(sha256, role) DO NOTHING",
        params![
            a.id,
            a.kind,
            a.role,
            a.original_name,
            a.mime,
            a.width,
            a.height,
            a.duration_seconds,
            a.fps,
            a.frame_count,
            a.sample_rate,
            a.channels,
            a.codec,
            a.size_bytes,
            a.sha256,
            a.stored_path,
            a.thumbnail_path,
            a.waveform
                .as_ref()
                .map(|w| serde_json::to_string(w).unwrap_or_default()),
            a.facts.to_string(),
            a.created_at,
        ],
    )?;
    Ok(())
}

fn to_record(m: &ImportedMedia, role: &str) -> AssetRecord {
    AssetRecord {
        id: uuid::Uuid::now_v7().to_string(),
        original_name: m.original_name.clone(),
        size_bytes: i64::try_from(m.size).unwrap_or(i64::MAX),
        sha256: m.sha256.clone(),
        stored_path: m.normalized_path.display().to_string(),
        thumbnail_path: m.thumbnail_path.as_ref().map(|p| p.display().to_string()),
        waveform: m.waveform.clone(),
        facts: serde_json::to_value(&m.facts).unwrap_or_default(),
        created_at: now_ms(),
        ..measured(m.kind, &m.mime, &m.normalized_facts, role)
    }
}

/// The facts of a file that was probed, not imported (planning): an unsaved record.
pub fn from_probe(path: &Path, role: &str, f: &animatrix_media::MediaFacts) -> AssetRecord {
    AssetRecord {
        original_name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        size_bytes: std::fs::metadata(path)
            .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
            .unwrap_or(0),
        stored_path: path.display().to_string(),
        facts: serde_json::to_value(f).unwrap_or_default(),
        ..measured(f.kind, &f.mime, f, role)
    }
}

/// The columns measured from a file (kind, dimensions, timing, audio layout), shared by an
/// imported and a merely probed file; identity and storage are left empty for the caller.
fn measured(
    kind: MediaKind,
    mime: &str,
    f: &animatrix_media::MediaFacts,
    role: &str,
) -> AssetRecord {
    AssetRecord {
        id: String::new(),
        kind: kind_str(kind).to_string(),
        role: role.to_string(),
        original_name: String::new(),
        mime: mime.to_string(),
        width: f.width.map(i64::from),
        height: f.height.map(i64::from),
        duration_seconds: f.duration_seconds,
        fps: f.fps,
        frame_count: f.frame_count.and_then(|n| i64::try_from(n).ok()),
        sample_rate: f.sample_rate.map(i64::from),
        channels: f.channels.map(i64::from),
        codec: f.codec.clone(),
        size_bytes: 0,
        sha256: String::new(),
        stored_path: String::new(),
        thumbnail_path: None,
        waveform: None,
        facts: serde_json::Value::Null,
        created_at: 0,
    }
}

fn kind_str(kind: MediaKind) -> &'static str {
    match kind {
        MediaKind::Image => "image",
        MediaKind::Audio => "audio",
        MediaKind::Video => "video",
    }
}

const SELECT: &str = "SELECT id, kind, role, original_name, mime, width, height, duration_seconds,
    fps, frame_count, sample_rate, channels, codec, size_bytes, sha256, stored_path, thumbnail_path,
    waveform_json, facts_json, created_at FROM assets";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<AssetRecord> {
    let waveform: Option<String> = r.get(17)?;
    let facts: String = r.get(18)?;
    Ok(AssetRecord {
        id: r.get(0)?,
        kind: r.get(1)?,
        role: r.get(2)?,
        original_name: r.get(3)?,
        mime: r.get(4)?,
        width: r.get(5)?,
        height: r.get(6)?,
        duration_seconds: r.get(7)?,
        fps: r.get(8)?,
        frame_count: r.get(9)?,
        sample_rate: r.get(10)?,
        channels: r.get(11)?,
        codec: r.get(12)?,
        size_bytes: r.get(13)?,
        sha256: r.get(14)?,
        stored_path: r.get(15)?,
        thumbnail_path: r.get(16)?,
        waveform: waveform.and_then(|w| serde_json::from_str(&w).ok()),
        facts: serde_json::from_str(&facts).unwrap_or_default(),
        created_at: r.get(19)?,
    })
}

pub fn find(conn: &Connection, sha256: &str, role: &str) -> Result<Option<AssetRecord>, CoreError> {
    Ok(conn
        .query_row(
            &format!("{SELECT} WHERE sha256 = ?1 AND role = ?2"),
            params![sha256, role],
            row,
        )
        .optional()?)
}

pub fn get(conn: &Connection, id: &str) -> Result<AssetRecord, CoreError> {
    conn.query_row(&format!("{SELECT} WHERE id = ?1"), [id], row)
        .optional()?
        .ok_or_else(|| CoreError::AssetNotFound { id: id.into() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use animatrix_media::Role;

    fn fixture(name: &str) -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/fixtures")
            .join(name)
    }

    #[test]
    fn import_records_facts_and_dedups() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::store::open(dir.path()).expect("open");
        let opts = ImportOptions::default();
        let (a, _) = import(
            &conn,
            dir.path(),
            &fixture("character.png"),
            "ground_truth",
            MediaKind::Image,
            &opts,
        )
        .expect("import");
        assert_eq!((a.width, a.height), (Some(768), Some(1344)));
        assert!(Path::new(&a.stored_path).is_file());
        let (b, _) = import(
            &conn,
            dir.path(),
            &fixture("character.png"),
            "ground_truth",
            MediaKind::Image,
            &opts,
        )
        .expect("reimport");
        assert_eq!(a.id, b.id, "same file, same asset");
        assert_eq!(get(&conn, &a.id).expect("get"), a);
        let n: i64 = conn
            .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1);
    }

    /// The race of two processes importing the same file: the second insert loses and must
    /// come back with the first one's row (its id is what job inputs reference).
    #[test]
    fn a_lost_insert_race_returns_the_stored_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::store::open(dir.path()).expect("open");
        let (first, _) = import(
            &conn,
            dir.path(),
            &fixture("character.png"),
            "ground_truth",
            MediaKind::Image,
            &ImportOptions::default(),
        )
        .expect("import");
        let mut loser = first.clone();
        loser.id = "another-process-uuid".into();
        let got = insert_or_existing(&conn, loser, "ground_truth").expect("insert");
        assert_eq!(
            got.id, first.id,
            "the stored asset, not an id that was never written"
        );
    }

    #[test]
    fn refused_file_leaves_no_row() {
        let dir = tempfile::tempdir().expect("tempdir");
        let conn = crate::store::open(dir.path()).expect("open");
        let err = import(
            &conn,
            dir.path(),
            &fixture("bad/too_small.png"),
            Role::GroundTruth.as_str(),
            Role::GroundTruth.kind(),
            &Role::GroundTruth.import_options(&ImportOptions::default()),
        )
        .expect_err("refused");
        assert_eq!(
            animatrix_common::Explain::explain(&err).code,
            "image_too_small"
        );
        let n: i64 = conn
            .query_row("SELECT count(*) FROM assets", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0);
    }
}
