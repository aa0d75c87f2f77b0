use std::path::{Path, PathBuf};

/// The repository root, from this crate's location (`tests/e2e`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .ancestors()
        .nth(2)
        .map_or_else(|| manifest.join("../.."), Path::to_path_buf)
}

/// Where window tests write screenshots and timings: `ANIMATRIX_TEST_OUTPUT` or
/// `<repo>/test-output/window` (gitignored).
pub fn test_output_dir() -> PathBuf {
    match std::env::var_os("ANIMATRIX_TEST_OUTPUT") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => workspace_root().join("test-output").join("window"),
    }
}

/// `name` in a directory of `PATH`, like `which`. Five lines do not justify a dependency.
pub(crate) fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}
