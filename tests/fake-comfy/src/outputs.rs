//! Output files of the "executed" output nodes, named like ComfyUI's `get_save_image_path`:
//! `<prefix>_<5 digits>_.<ext>`, a `/` in `filename_prefix` becoming the subfolder, the counter
//! one past the highest already in that folder.

use std::path::{Component, Path, PathBuf};

use rand::Rng;
use serde_json::{Value, json};

/// A small valid PNG (RGB gradient) — used for SaveImage/PreviewImage outputs and previews.
pub fn make_png(width: u32, height: u32, seed: u8) -> Vec<u8> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, width, height);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut data = Vec::with_capacity((width * height * 3) as usize);
        for y in 0..height {
            for x in 0..width {
                data.push((x * 255 / width.max(1)) as u8);
                data.push((y * 255 / height.max(1)) as u8);
                data.push(seed);
            }
        }
        // Writing to a Vec cannot fail for valid dimensions; an empty Vec would be noticed by tests.
        if let Ok(mut w) = enc.write_header() {
            let _ = w.write_image_data(&data);
        }
    }
    out
}

/// `os.path.normpath` for a relative prefix; `None` when it leaves its folder.
fn normalize(prefix: &str) -> Option<Vec<String>> {
    if prefix.starts_with('/') || prefix.starts_with('\\') {
        return None;
    }
    let mut parts: Vec<String> = Vec::new();
    for c in Path::new(prefix).components() {
        match c {
            Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            Component::CurDir => {}
            Component::ParentDir => {
                parts.pop()?;
            }
            _ => return None,
        }
    }
    Some(parts)
}

/// Where a save node writes: (folder, filename stem, first counter, subfolder).
pub struct SavePath {
    pub folder: PathBuf,
    pub filename: String,
    pub counter: u32,
    pub subfolder: String,
}

/// The message ComfyUI raises (as `Exception`) for a prefix that escapes the output folder.
pub fn outside_error(folder: &Path, base: &Path) -> String {
    format!(
        "**** ERROR: Saving image outside the output folder is not allowed.\n full_output_folder: {}\n         output_dir: {}",
        folder.display(),
        base.display()
    )
}

/// VideoHelperSuite's counter: one past the highest `<stem>_<digits>` in the folder.
pub fn vhs_counter(folder: &Path, filename: &str) -> u32 {
    let stem = format!("{filename}_");
    let mut counter = 1;
    if let Ok(entries) = std::fs::read_dir(folder) {
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix(&stem) {
                let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
                if let Ok(n) = digits.parse::<u32>() {
                    counter = counter.max(n + 1);
                }
            }
        }
    }
    counter
}

pub fn save_path(base: &Path, prefix: &str) -> Result<SavePath, String> {
    let Some(mut parts) = normalize(prefix) else {
        return Err(outside_error(&base.join(prefix), base));
    };
    let filename = parts.pop().unwrap_or_default();
    let subfolder = parts.join("/");
    let folder = if subfolder.is_empty() {
        base.to_path_buf()
    } else {
        base.join(&subfolder)
    };
    let mut counter = 1;
    if let Ok(entries) = std::fs::read_dir(&folder) {
        let stem = format!("{filename}_");
        for e in entries.flatten() {
            let name = e.file_name().to_string_lossy().into_owned();
            if let Some(rest) = name.strip_prefix(&stem) {
                let digits: u32 = rest
                    .split('_')
                    .next()
                    .and_then(|d| d.parse().ok())
                    .unwrap_or(0);
                counter = counter.max(digits + 1);
            }
        }
    }
    Ok(SavePath {
        folder,
        filename,
        counter,
        subfolder,
    })
}

/// The kind of output a node class writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputKind {
    /// SaveVideo: a copy of sample_output.mp4 in output/, UI `{images, animated:[true]}`.
    Video,
    /// SaveImage: a PNG in output/, UI `{images}`.
    Image,
    /// PreviewImage: a PNG in temp/ named `ComfyUI_temp_xxxxx_00001_.png`.
    Preview,
    /// VHS_VideoCombine: a copy of sample_output.mp4 named `<prefix>_00001[-audio].mp4` plus its
    /// workflow PNG, UI `{gifs: [{…, format, frame_rate, workflow, fullpath}]}`.
    VhsVideo,
}

pub fn output_kind(class_type: &str) -> Option<OutputKind> {
    match class_type {
        "SaveVideo" => Some(OutputKind::Video),
        "SaveImage" => Some(OutputKind::Image),
        "PreviewImage" => Some(OutputKind::Preview),
        "VHS_VideoCombine" => Some(OutputKind::VhsVideo),
        _ => None,
    }
}

/// PreviewImage's random `_temp_xxxxx` suffix (ComfyUI's alphabet, typo included).
pub fn temp_prefix() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstupvxyz";
    let mut rng = rand::thread_rng();
    let s: String = (0..5)
        .map(|_| ALPHABET[rng.gen_range(0..ALPHABET.len())] as char)
        .collect();
    format!("ComfyUI_temp_{s}")
}

/// The UI dict an output node reports for files it wrote.
pub fn ui_for(kind: OutputKind, files: &[(String, String)]) -> Value {
    let typ = if kind == OutputKind::Preview {
        "temp"
    } else {
        "output"
    };
    let images: Vec<Value> = files
        .iter()
        .map(|(f, sub)| json!({"filename": f, "subfolder": sub, "type": typ}))
        .collect();
    match kind {
        OutputKind::Video => json!({"images": images, "animated": [true]}),
        _ => json!({"images": images}),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn prefix_with_slash_becomes_subfolder_and_counter_advances() {
        let dir = tempfile::tempdir().unwrap();
        let p = save_path(dir.path(), "animatrix/job1/video").unwrap();
        assert_eq!(p.subfolder, "animatrix/job1");
        assert_eq!(p.filename, "video");
        assert_eq!(p.counter, 1);
        std::fs::create_dir_all(&p.folder).unwrap();
        std::fs::write(p.folder.join("video_00001_.mp4"), b"x").unwrap();
        std::fs::write(p.folder.join("video_00007_.png"), b"x").unwrap();
        std::fs::write(p.folder.join("videox_00009_.png"), b"x").unwrap();
        assert_eq!(
            save_path(dir.path(), "animatrix/job1/video")
                .unwrap()
                .counter,
            8
        );
    }

    #[test]
    fn escaping_prefix_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(save_path(dir.path(), "../x").is_err());
        assert!(save_path(dir.path(), "/abs/x").is_err());
        assert_eq!(save_path(dir.path(), "a/../b").unwrap().subfolder, "");
    }

    #[test]
    fn png_is_valid() {
        let png = make_png(8, 6, 1);
        let dec = png::Decoder::new(std::io::Cursor::new(png));
        let reader = dec.read_info().unwrap();
        assert_eq!(reader.info().width, 8);
    }
}
