//! The tiny catalog: the shipped templates with only the Draft resolutions shrunk, so the kit's
//! CPU runs stay short. Same graphs, same everything else; what a template promises (frames,
//! aspect, audio) does not depend on the size. Shared by the conformance suite and the CLI's
//! real-ComfyUI tests so both run exactly the same graphs.

use std::io;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::repo_root;

/// Draft sizes of the tiny catalog, per aspect.
pub const TINY_DRAFT: [(&str, [u32; 2]); 3] = [
    ("9:16", [144, 256]),
    ("16:9", [256, 144]),
    ("1:1", [192, 192]),
];

/// The repository's `workflows/` folder (the shipped templates).
pub fn workflows_dir() -> PathBuf {
    repo_root().join("workflows")
}

/// Copies the shipped templates into `to` with the Draft resolutions set to [`TINY_DRAFT`].
pub fn write_tiny_catalog(to: &Path) -> io::Result<()> {
    copy_tree(&workflows_dir(), to)?;
    for manifest in files_named(to, "manifest.json")? {
        let text = std::fs::read_to_string(&manifest)?;
        let mut m: Value = serde_json::from_str(&text).map_err(io::Error::other)?;
        if let Some(res) = m.pointer_mut("/profiles/draft/resolution") {
            for (aspect, size) in TINY_DRAFT {
                if res.get(aspect).is_some() {
                    res[aspect] = serde_json::json!(size);
                }
            }
        }
        let pretty = serde_json::to_vec_pretty(&m).map_err(io::Error::other)?;
        std::fs::write(&manifest, pretty)?;
    }
    Ok(())
}

fn copy_tree(from: &Path, to: &Path) -> io::Result<()> {
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        let target = to.join(entry.file_name());
        if entry.file_type()?.is_dir() {
            std::fs::create_dir_all(&target)?;
            copy_tree(&entry.path(), &target)?;
        } else {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

fn files_named(dir: &Path, name: &str) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let p = entry?.path();
        if p.is_dir() {
            out.extend(files_named(&p, name)?);
        } else if p.file_name().is_some_and(|n| n == name) {
            out.push(p);
        }
    }
    Ok(out)
}
