//! File names and subfolders reported by a server are untrusted: a hostile or broken server
//! could answer `../../.bashrc`. Everything that becomes a local path goes through here.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

use crate::error::ComfyError;

const MAX_COMPONENT_BYTES: usize = 255;
const MAX_DEPTH: usize = 16;

/// Names Windows treats as devices whatever the extension.
const WINDOWS_RESERVED: [&str; 22] = [
    "CON", "PRN", "AUX", "NUL", "COM1", "COM2", "COM3", "COM4", "COM5", "COM6", "COM7", "COM8",
    "COM9", "LPT1", "LPT2", "LPT3", "LPT4", "LPT5", "LPT6", "LPT7", "LPT8", "LPT9",
];

/// Direction overrides and zero-width characters make `evil\u{202e}4pm.exe` display as
/// `evilexe.mp4`: refused so what a user sees is what is on disk.
fn is_bidi_or_invisible(c: char) -> bool {
    matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{feff}')
}

fn unsafe_path(value: &str, reason: &'static str) -> ComfyError {
    ComfyError::UnsafeServerPath {
        value: value.escape_debug().to_string(),
        reason,
    }
}

/// Check one path component (a file name, or one folder of a subfolder) for every platform:
/// no separators, no `.`/`..`, no drive letters or streams (`:`), no NUL or control
/// characters, no Windows device names, no trailing dot or space, at most 255 bytes.
pub fn safe_component(name: &str) -> Result<&str, ComfyError> {
    if name.is_empty() {
        return Err(unsafe_path(name, "empty name"));
    }
    if name == "." || name == ".." {
        return Err(unsafe_path(name, "refers to a parent or current folder"));
    }
    if name.len() > MAX_COMPONENT_BYTES {
        return Err(unsafe_path(name, "name too long"));
    }
    if name.contains(['/', '\\']) {
        return Err(unsafe_path(name, "contains a path separator"));
    }
    if name.contains(':') {
        return Err(unsafe_path(
            name,
            "contains a drive letter or stream separator (:)",
        ));
    }
    if name
        .chars()
        .any(|c| c.is_control() || is_bidi_or_invisible(c))
    {
        return Err(unsafe_path(
            name,
            "contains control or invisible characters",
        ));
    }
    if name.contains(['<', '>', '"', '|', '?', '*']) {
        return Err(unsafe_path(
            name,
            "contains characters Windows forbids in names",
        ));
    }
    if name.ends_with('.') || name.ends_with(' ') {
        return Err(unsafe_path(name, "ends with a dot or space"));
    }
    let stem = name.split('.').next().unwrap_or(name).trim_end();
    if WINDOWS_RESERVED
        .iter()
        .any(|r| r.eq_ignore_ascii_case(stem))
    {
        return Err(unsafe_path(name, "is a reserved device name on Windows"));
    }
    Ok(name)
}

/// `subfolder/filename` as a relative path, checked component by component. The subfolder
/// may use `/` or `\` (Windows servers); it must not be absolute.
pub fn safe_relative_path(subfolder: &str, filename: &str) -> Result<PathBuf, ComfyError> {
    if subfolder.starts_with(['/', '\\']) {
        return Err(unsafe_path(subfolder, "is an absolute path"));
    }
    let mut path = PathBuf::new();
    let mut depth = 0;
    for part in subfolder.split(['/', '\\']).filter(|p| !p.is_empty()) {
        path.push(safe_component(part)?);
        depth += 1;
        if depth > MAX_DEPTH {
            return Err(unsafe_path(subfolder, "too many nested folders"));
        }
    }
    path.push(safe_component(filename)?);
    Ok(path)
}

/// `base/subfolder/filename`, guaranteed to stay under `base`.
pub fn join_under(base: &Path, subfolder: &str, filename: &str) -> Result<PathBuf, ComfyError> {
    Ok(base.join(safe_relative_path(subfolder, filename)?))
}

/// Local names for the outputs of one job: flat, safe, and unique within the job even when the
/// server reports two files with the same name in different subfolders (which would otherwise
/// overwrite each other). Unique case-insensitively, as on macOS and Windows disks.
///
/// The first file keeps its own name (`video_00001_.mp4`); a later one whose name is taken gets
/// its subfolder as a prefix (`other-video_00001_.mp4`), then a counter
/// (`video_00001_ (2).mp4`). Deterministic: the same files in the same order (e.g.
/// [`crate::model::HistoryEntry::files`]) get the same names, so collecting again after a crash
/// finds the same paths.
#[derive(Debug, Default, Clone)]
pub struct LocalNames {
    taken: HashSet<String>,
}

impl LocalNames {
    pub fn new() -> Self {
        Self::default()
    }

    /// The name for the server's `subfolder/filename` (both checked as in
    /// [`safe_relative_path`]), reserved so no later call returns it again.
    pub fn name_for(&mut self, subfolder: &str, filename: &str) -> Result<String, ComfyError> {
        safe_relative_path(subfolder, filename)?;
        let prefix: Vec<&str> = subfolder
            .split(['/', '\\'])
            .filter(|p| !p.is_empty())
            .collect();
        let mut candidates = vec![filename.to_owned()];
        if !prefix.is_empty() {
            candidates.push(format!("{}-{filename}", prefix.join("-")));
        }
        let (stem, ext) = match filename.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem, format!(".{ext}")),
            _ => (filename, String::new()),
        };
        for candidate in candidates
            .into_iter()
            .chain((2u32..).map(|n| format!("{stem} ({n}){ext}")))
        {
            let candidate = fit_component(&candidate, &ext);
            if safe_component(&candidate).is_err() {
                continue;
            }
            if self.taken.insert(candidate.to_lowercase()) {
                return Ok(candidate);
            }
        }
        // The counter above is unbounded: a free name is always found.
        Err(unsafe_path(filename, "no free local name"))
    }
}

/// `name` cut to [`MAX_COMPONENT_BYTES`], keeping its extension.
fn fit_component(name: &str, ext: &str) -> String {
    if name.len() <= MAX_COMPONENT_BYTES {
        return name.to_owned();
    }
    let stem = &name[..name.len() - ext.len()];
    let mut cut = MAX_COMPONENT_BYTES.saturating_sub(ext.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", &stem[..cut])
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn plain_names_and_subfolders_pass() {
        assert_eq!(
            safe_relative_path("video", "harness_00001_.mp4").unwrap(),
            PathBuf::from("video").join("harness_00001_.mp4")
        );
        assert_eq!(
            safe_relative_path("", "x.png").unwrap(),
            PathBuf::from("x.png")
        );
        assert_eq!(
            safe_relative_path("animatrix\\job-1/", "video_00001_.mp4").unwrap(),
            PathBuf::from("animatrix")
                .join("job-1")
                .join("video_00001_.mp4")
        );
        assert!(safe_component("test_image (1).png").is_ok());
        assert!(safe_component(".hidden").is_ok());
        assert!(safe_component("ConSole.txt").is_ok());
    }

    #[test]
    fn traversal_absolute_drive_and_control_are_refused() {
        let bad_names = [
            "",
            ".",
            "..",
            "../x",
            "a/b",
            "a\\b",
            "C:",
            "C:x.png",
            "x.png:stream",
            "a\0b",
            "a\nb",
            "a\u{1b}b",
            "CON",
            "nul.txt",
            "com1.mp4",
            "lpt9",
            "x.",
            "x ",
            "a*b",
            "a?b",
            "a<b",
            "a|b",
            "a\"b",
            "evil\u{202e}4pm.exe",
            "a\u{200b}b",
            "\u{feff}x",
        ];
        for name in bad_names {
            assert!(safe_component(name).is_err(), "{name:?} must be refused");
        }
        let long = "a".repeat(256);
        assert!(safe_component(&long).is_err());
        let bad_subfolders = [
            "..",
            "../..",
            "video/../..",
            "/etc",
            "\\\\server\\share",
            "\\x",
            "C:\\Windows",
            "c:",
            "a/./b",
            "a\u{7f}",
        ];
        for sub in bad_subfolders {
            assert!(
                safe_relative_path(sub, "x.mp4").is_err(),
                "{sub:?} must be refused"
            );
        }
        let deep = vec!["d"; 17].join("/");
        assert!(safe_relative_path(&deep, "x").is_err());
        assert!(safe_relative_path("video", "../x.mp4").is_err());
    }

    #[test]
    fn join_under_stays_under_base() {
        let base = Path::new("out");
        let p = join_under(base, "a/b", "c.mp4").unwrap();
        assert!(p.starts_with(base));
        assert!(join_under(base, "a", "/etc/passwd").is_err());
    }

    #[test]
    fn error_explains_without_raw_control_characters() {
        use animatrix_common::Explain;
        let e = safe_component("a\u{0}b").unwrap_err();
        let u = e.explain();
        assert_eq!(u.code, "unsafe_server_file_name");
        assert!(!u.detail.contains('\0'), "{:?}", u.detail);
    }

    #[test]
    fn same_name_in_two_subfolders_gets_two_local_names() {
        let mut names = LocalNames::new();
        assert_eq!(
            names.name_for("video", "video_00001_.mp4").unwrap(),
            "video_00001_.mp4"
        );
        assert_eq!(
            names.name_for("other/deep", "video_00001_.mp4").unwrap(),
            "other-deep-video_00001_.mp4"
        );
        assert_eq!(
            names.name_for("Other\\Deep", "VIDEO_00001_.mp4").unwrap(),
            "VIDEO_00001_ (2).mp4",
            "case-insensitive disks see the same name"
        );
        assert_eq!(names.name_for("", "x").unwrap(), "x");
        assert_eq!(names.name_for("", "x").unwrap(), "x (2)");
        assert!(names.name_for("..", "y.mp4").is_err());
        assert!(names.name_for("a", "../y.mp4").is_err());
        let long = format!("{}.mp4", "a".repeat(300));
        let fitted = names.name_for("", &long);
        assert!(
            fitted.is_err(),
            "an over-long server name is refused as before"
        );
        let near = format!("{}.mp4", "é".repeat(125));
        let first = names.name_for("", &near).unwrap();
        let second = names.name_for("sub", &near).unwrap();
        assert!(second.len() <= 255 && second.ends_with(".mp4"), "{second}");
        assert_ne!(first.to_lowercase(), second.to_lowercase());
        let mut again = LocalNames::new();
        assert_eq!(
            again.name_for("video", "video_00001_.mp4").unwrap(),
            "video_00001_.mp4"
        );
    }
}
