//! Collecting a finished prompt into the job folder: every output downloaded (names from the
//! server sanitized), checked to be what it claims (size, content, a video that probes as one),
//! hashed and recorded with its measured facts. Takes the job's folder and the store only.

use std::path::Path;

use animatrix_comfy::model::history::HistoryEntry;
use animatrix_comfy::sanitize::LocalNames;
use sha2::{Digest, Sha256};

use super::conn::ServerConn;
use super::lifecycle::JobCtx;
use super::model::{ClipFacts, OutputKind, OutputRecord};
use super::repo;
use crate::CoreError;

pub async fn collect(
    ctx: &JobCtx,
    conn: &ServerConn,
    entry: &HistoryEntry,
) -> Result<Vec<OutputRecord>, CoreError> {
    let out_dir = ctx.dir.join("outputs");
    std::fs::create_dir_all(&out_dir).map_err(|e| CoreError::io(&out_dir, e))?;
    let mut outputs = Vec::new();
    // Two outputs may share a file name in different subfolders: each gets its own local name,
    // the same one again when a crashed collect is resumed (the order is the history's).
    let mut names = LocalNames::new();
    for file in entry.files() {
        // Only what this job saved: temp previews of other nodes are not results.
        if file.file.file_type.as_str() != "output" {
            continue;
        }
        let name = names.name_for(&file.file.subfolder, &file.file.filename)?;
        let kind = output_kind(&file.file.subfolder, &file.file.filename);
        let dest = out_dir.join(&name);
        let got = conn.client.view_to_file(&file.file, &dest, |_| {}).await?;
        let record = tokio::task::spawn_blocking({
            let dest = dest.clone();
            move || verify(&dest, kind, got.bytes)
        })
        .await
        .map_err(|e| CoreError::Internal(format!("verify task: {e}")))??;
        let record = OutputRecord {
            server_filename: Some(file.file.filename.clone()),
            server_subfolder: Some(file.file.subfolder.clone()),
            node_id: Some(file.node_id.clone()),
            ..record
        };
        let (id, stored) = (ctx.job_id.clone(), record.clone());
        ctx.db
            .write(move |c| repo::add_output(c, &id, &stored))
            .await?;
        outputs.push(record);
    }
    if !outputs.iter().any(|o| o.kind == OutputKind::Video) {
        return Err(CoreError::ServerNoOutput {
            detail: format!(
                "history outputs: {}",
                serde_json::to_string(&entry.outputs).unwrap_or_default()
            ),
        });
    }
    Ok(outputs)
}

/// Size on disk equals what was received and is not zero; a video probes as a video.
fn verify(path: &Path, kind: OutputKind, received: u64) -> Result<OutputRecord, CoreError> {
    let size = std::fs::metadata(path)
        .map_err(|e| CoreError::io(path, e))?
        .len();
    if size != received || size == 0 {
        return Err(CoreError::DownloadMismatch {
            file: path.display().to_string(),
            detail: format!("{size} bytes on disk, {received} received"),
        });
    }
    let mut record = OutputRecord {
        kind,
        path: path.display().to_string(),
        size_bytes: i64::try_from(size).unwrap_or(i64::MAX),
        sha256: sha256_file(path)?,
        server_filename: None,
        server_subfolder: None,
        node_id: None,
        duration_seconds: None,
        width: None,
        height: None,
    };
    if kind == OutputKind::Video {
        let facts = clip_facts(path)?;
        record.duration_seconds = facts.seconds;
        record.width = facts.width;
        record.height = facts.height;
    }
    Ok(record)
}

/// Duration and size of a collected video, from its header. A file that is not a playable
/// video (an HTML error page saved under an .mp4 name) is an error.
pub fn clip_facts(path: &Path) -> Result<ClipFacts, CoreError> {
    let facts = animatrix_media::probe(path, &animatrix_media::Limits::default()).map_err(|e| {
        CoreError::OutputNotMedia {
            file: path.display().to_string(),
            detail: e.to_string(),
        }
    })?;
    if !facts.has_video {
        return Err(CoreError::OutputNotMedia {
            file: path.display().to_string(),
            detail: format!("{} has no video track", facts.mime),
        });
    }
    Ok(ClipFacts {
        path: path.display().to_string(),
        seconds: facts.duration_seconds,
        width: facts.width,
        height: facts.height,
        bytes: std::fs::metadata(path)
            .map(|m| i64::try_from(m.len()).unwrap_or(i64::MAX))
            .unwrap_or(0),
        poster_path: None,
    })
}

fn output_kind(subfolder: &str, name: &str) -> OutputKind {
    let lower = name.to_ascii_lowercase();
    let ends = |exts: &[&str]| exts.iter().any(|e| lower.ends_with(e));
    if ends(&[".mp4", ".webm", ".mov"]) {
        OutputKind::Video
    } else if subfolder.ends_with("/poster") || subfolder == "poster" || lower.starts_with("poster")
    {
        OutputKind::Poster
    } else if ends(&[".png", ".jpg", ".webp"]) {
        OutputKind::Image
    } else if ends(&[".flac", ".wav", ".mp3"]) {
        OutputKind::Audio
    } else {
        OutputKind::Other
    }
}

pub fn sha256_file(path: &Path) -> Result<String, CoreError> {
    let mut f = std::fs::File::open(path).map_err(|e| CoreError::io(path, e))?;
    let mut h = Sha256::new();
    std::io::copy(&mut f, &mut h).map_err(|e| CoreError::io(path, e))?;
    Ok(hex::encode(h.finalize()))
}
