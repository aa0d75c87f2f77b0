//! POST /upload/image (PROTOCOL §3): multipart `image` + `overwrite`, `type`, `subfolder`;
//! same name + same bytes → same name (dedup), same name + other bytes → `name (1).ext`;
//! streamed to disk; the server's max_upload_size enforced with 413 like aiohttp.

use std::path::{Component, Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::AsyncWriteExt;

use super::{empty, json_response, server_error};
use crate::state::{Shared, UploadRecord};

fn too_large(max: u64, actual: u64) -> Response {
    (
        StatusCode::PAYLOAD_TOO_LARGE,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("Maximum request body size {max} exceeded, actual body size {actual}"),
    )
        .into_response()
}

struct Received {
    temp: PathBuf,
    file_name: String,
    size: u64,
    sha256: Vec<u8>,
}

/// Removes the partial file unless it was moved into place.
struct TempGuard(Option<PathBuf>);

impl Drop for TempGuard {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

async fn hash_file(path: &Path) -> std::io::Result<Vec<u8>> {
    use tokio::io::AsyncReadExt;
    let mut f = tokio::fs::File::open(path).await?;
    let mut h = Sha256::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let n = f.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        h.update(&buf[..n]);
    }
    Ok(h.finalize().to_vec())
}

fn safe_relative(p: &str) -> bool {
    !p.starts_with('/')
        && !p.starts_with('\\')
        && Path::new(p)
            .components()
            .all(|c| matches!(c, Component::Normal(_) | Component::CurDir))
}

fn split_ext(name: &str) -> (&str, &str) {
    // os.path.splitext: a leading dot is not an extension.
    match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    }
}

pub(crate) async fn upload_image(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    multipart: Result<Multipart, axum::extract::multipart::MultipartRejection>,
) -> Response {
    let (max, force_413) = {
        let st = shared.lock();
        (st.max_upload_size, st.faults.force_413)
    };
    let declared: Option<u64> = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok());
    if force_413 || declared.is_some_and(|n| n > max) {
        let actual = declared.unwrap_or(max + 1);
        if let Ok(mut m) = multipart {
            // Read what is still coming, as a real server does before its 413 (see `drain`).
            let _ = tokio::time::timeout(super::DRAIN_LIMIT, async {
                while let Ok(Some(mut field)) = m.next_field().await {
                    while let Ok(Some(_)) = field.chunk().await {}
                }
            })
            .await;
        }
        record_status(&shared, 413);
        return too_large(max, actual);
    }
    let Ok(mut multipart) = multipart else {
        record_status(&shared, 400);
        return empty(StatusCode::BAD_REQUEST);
    };

    let partial_dir = shared.dirs.root.join(".partial");
    if tokio::fs::create_dir_all(&partial_dir).await.is_err() {
        return server_error();
    }
    let mut guard = TempGuard(None);
    let mut received: Option<Received> = None;
    let mut overwrite: Option<String> = None;
    let mut kind: Option<String> = None;
    let mut subfolder = String::new();
    let mut total: u64 = 0;

    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => {
                record_status(&shared, 400);
                return empty(StatusCode::BAD_REQUEST);
            }
        };
        let name = field.name().unwrap_or_default().to_string();
        if name == "image" && received.is_none() {
            let Some(file_name) = field.file_name().map(str::to_string) else {
                record_status(&shared, 400);
                return empty(StatusCode::BAD_REQUEST);
            };
            let temp = partial_dir.join(uuid::Uuid::new_v4().simple().to_string());
            guard.0 = Some(temp.clone());
            let Ok(mut out) = tokio::fs::File::create(&temp).await else {
                return server_error();
            };
            let mut hasher = Sha256::new();
            let mut size = 0u64;
            let mut field = field;
            loop {
                match field.chunk().await {
                    Ok(Some(chunk)) => {
                        size += chunk.len() as u64;
                        total += chunk.len() as u64;
                        if total > max {
                            record_status(&shared, 413);
                            return too_large(max, total);
                        }
                        hasher.update(&chunk);
                        if out.write_all(&chunk).await.is_err() {
                            return server_error();
                        }
                    }
                    Ok(None) => break,
                    Err(_) => {
                        record_status(&shared, 400);
                        return empty(StatusCode::BAD_REQUEST);
                    }
                }
            }
            if out.flush().await.is_err() {
                return server_error();
            }
            received = Some(Received {
                temp,
                file_name,
                size,
                sha256: hasher.finalize().to_vec(),
            });
        } else {
            let Ok(text) = field.text().await else {
                record_status(&shared, 400);
                return empty(StatusCode::BAD_REQUEST);
            };
            total += text.len() as u64;
            match name.as_str() {
                "overwrite" => overwrite = Some(text),
                "type" => kind = Some(text),
                "subfolder" => subfolder = text,
                _ => {}
            }
        }
    }

    let Some(rec) = received else {
        record_status(&shared, 400);
        return empty(StatusCode::BAD_REQUEST);
    };
    let kind = kind.unwrap_or_else(|| "input".into());
    let Some(base) = shared.dirs.by_type(&kind).cloned() else {
        // ComfyUI's get_dir_by_type raises for an unknown type.
        return server_error();
    };
    if rec.file_name.is_empty() {
        record_status(&shared, 400);
        return empty(StatusCode::BAD_REQUEST);
    }
    if !safe_relative(&subfolder) || !safe_relative(&rec.file_name) || rec.file_name.contains('/') {
        record_status(&shared, 400);
        return empty(StatusCode::BAD_REQUEST);
    }
    let folder = if subfolder.is_empty() {
        base.clone()
    } else {
        base.join(&subfolder)
    };
    if tokio::fs::create_dir_all(&folder).await.is_err() {
        return server_error();
    }
    let overwrite_on = matches!(overwrite.as_deref(), Some("true") | Some("1"));
    let mut filename = rec.file_name.clone();
    let mut path = folder.join(&filename);
    let mut duplicate = false;
    if !overwrite_on {
        let (stem, ext) = split_ext(&rec.file_name);
        let mut i = 1;
        while path.exists() {
            if hash_file(&path).await.ok().as_deref() == Some(rec.sha256.as_slice()) {
                duplicate = true;
                break;
            }
            filename = format!("{stem} ({i}){ext}");
            path = folder.join(&filename);
            i += 1;
        }
    }
    if !duplicate {
        if tokio::fs::rename(&rec.temp, &path).await.is_err() {
            return server_error();
        }
        guard.0 = None;
    }
    {
        let mut st = shared.lock();
        st.records.uploads.push(UploadRecord {
            original_name: rec.file_name.clone(),
            name: filename.clone(),
            subfolder: subfolder.clone(),
            kind: kind.clone(),
            size: rec.size,
            overwrite: overwrite_on,
            deduplicated: duplicate,
            status: 200,
        });
    }
    shared.bump();
    json_response(
        StatusCode::OK,
        &json!({"name": filename, "subfolder": subfolder, "type": kind}),
    )
}

fn record_status(shared: &Shared, status: u16) {
    let mut st = shared.lock();
    st.records.uploads.push(UploadRecord {
        original_name: String::new(),
        name: String::new(),
        subfolder: String::new(),
        kind: String::new(),
        size: 0,
        overwrite: false,
        deduplicated: false,
        status,
    });
    drop(st);
    shared.bump();
}
