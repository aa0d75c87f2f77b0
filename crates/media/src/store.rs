//! Content-addressed asset store: `root/<aa>/<sha256>.<ext>`, sha256 of the normalized bytes.
//!
//! Every file is written to a temporary file in the store and renamed into place, so a crash
//! never leaves a half-written asset under its final name; an asset that already exists is
//! never rewritten (same bytes, same name).

use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use image::DynamicImage;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tempfile::NamedTempFile;

use crate::audio::{NormalizedAudio, audio_edit_for, normalize_audio};
use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::image_ops::{
    AspectTarget, FitMode, fit_to_target, load_oriented, probe_image, thumbnail, write_jpeg,
    write_png,
};
use crate::kind::MediaKind;
use crate::limits::Limits;
use crate::sniff::{Container, Sniffed, sniff};
use crate::video::{decode_first_frame, probe_video};

/// How to import. `Default` = no aspect fit (image re-encoded at its own size), crop mode,
/// no minimum image size, default limits.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ImportOptions {
    /// Images are fitted to this size (ignored for audio and video).
    pub target: Option<AspectTarget>,
    pub fit: FitMode,
    /// Images whose shorter side is below this are refused (`image_too_small`); e.g. a
    /// character image must be sharp enough to animate.
    #[serde(default)]
    pub min_image_side: Option<u32>,
    pub limits: Limits,
    /// The profile's maximum audio duration; tightens `limits.max_audio_seconds`.
    pub max_audio_seconds: Option<f64>,
    /// The profile's maximum video duration; tightens `limits.max_video_seconds`.
    pub max_video_seconds: Option<f64>,
}

impl ImportOptions {
    fn effective_limits(&self) -> Limits {
        let mut limits = self.limits.clone();
        if let Some(max) = self.max_audio_seconds {
            limits.max_audio_seconds = limits.max_audio_seconds.min(max);
        }
        if let Some(max) = self.max_video_seconds {
            limits.max_video_seconds = limits.max_video_seconds.min(max);
        }
        limits
    }
}

/// The result of an import: everything the `assets` row needs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedMedia {
    /// Hex sha256 of the normalized bytes (the stored file).
    pub sha256: String,
    pub kind: MediaKind,
    /// `root/<aa>/<sha256>.<png|wav|mp4|mov|webm>`.
    pub normalized_path: PathBuf,
    /// 256 px JPEG (images, and videos whose first frame could be decoded).
    pub thumbnail_path: Option<PathBuf>,
    /// First video frame as PNG at full size (for marking the person in Mix mode).
    pub first_frame_path: Option<PathBuf>,
    /// Facts of the file as given.
    pub facts: MediaFacts,
    /// Facts of the stored file.
    pub normalized_facts: MediaFacts,
    /// Peaks in 0..=1 for the UI (audio only).
    pub waveform: Option<Vec<f32>>,
    /// File name as given, without its directory.
    pub original_name: String,
    /// Mime of the stored file.
    pub mime: String,
    /// Size in bytes of the stored file.
    pub size: u64,
    /// Size in bytes of the file as given.
    pub original_size: u64,
    /// True when these exact normalized bytes were already in the store.
    pub deduplicated: bool,
    /// Things the user should know that did not stop the import.
    pub warnings: Vec<String>,
}

/// The content-addressed store under one root directory (the data dir's `assets/`).
#[derive(Debug, Clone)]
pub struct AssetStore {
    root: PathBuf,
}

/// A writer that hashes what passes through it.
struct HashingWriter<W: Write> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256_of_file(path: &Path) -> Result<String, MediaError> {
    let mut file = BufReader::new(File::open(path).map_err(|e| MediaError::io(path, e))?);
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(|e| MediaError::io(path, e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// Decodes an audio file to a lossless WAV at `out_wav` that keeps its quality (see
/// `audio::normalize`).
pub fn normalize_audio_file(
    path: &Path,
    out_wav: &Path,
    max_seconds: f64,
) -> Result<NormalizedAudio, MediaError> {
    let sniffed = sniff(path)?;
    // sniff checked that `path` is a regular file.
    if sniffed.kind != MediaKind::Audio {
        return Err(MediaError::TypeMismatch {
            expected: MediaKind::Audio,
            found: format!("{} ({})", sniffed.kind.article(), sniffed.mime),
        });
    }
    let edit = audio_edit_for(
        &sniffed,
        &mut File::open(path).map_err(|e| MediaError::io(path, e))?,
    );
    let open = || -> Result<Box<dyn symphonia::core::io::MediaSource>, MediaError> {
        Ok(Box::new(
            File::open(path).map_err(|e| MediaError::io(path, e))?,
        ))
    };
    normalize_audio(&open, &sniffed, edit, max_seconds, out_wav)
}

fn video_ext(sniffed: &Sniffed) -> &'static str {
    match (sniffed.container, sniffed.mime.as_str()) {
        (Container::WebM, _) => "webm",
        (_, "video/quicktime") => "mov",
        _ => "mp4",
    }
}

impl AssetStore {
    /// Opens (creating if needed) a store rooted at `root`, removing temporary files that
    /// killed imports left behind (see [`crate::store_temp::clean_stale`]).
    pub fn new(root: impl Into<PathBuf>) -> Result<Self, MediaError> {
        let root = root.into();
        std::fs::create_dir_all(&root).map_err(|e| MediaError::io(&root, e))?;
        crate::store_temp::clean_stale(&root);
        Ok(Self { root })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Where the asset with this hash and extension lives.
    pub fn path_for(&self, sha256: &str, ext: &str) -> PathBuf {
        let prefix = sha256.get(..2).unwrap_or("00");
        self.root.join(prefix).join(format!("{sha256}.{ext}"))
    }

    fn temp(&self) -> Result<NamedTempFile, MediaError> {
        crate::store_temp::incoming(&self.root)
    }

    /// Moves a finished temp file to its content address, unless that file already exists.
    /// Returns whether it already existed.
    fn commit(&self, temp: NamedTempFile, final_path: &Path) -> Result<bool, MediaError> {
        if final_path.exists() {
            return Ok(true);
        }
        if let Some(dir) = final_path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| MediaError::io(dir, e))?;
        }
        temp.as_file()
            .sync_all()
            .map_err(|e| MediaError::io(temp.path(), e))?;
        temp.persist(final_path)
            .map_err(|e| MediaError::io(final_path, e.error))?;
        Ok(false)
    }

    /// Writes a derived image (thumbnail, first frame) next to its asset, atomically.
    fn write_derived(
        &self,
        image: &DynamicImage,
        final_path: &Path,
        encode: fn(&DynamicImage, &mut BufWriter<&File>) -> Result<(), MediaError>,
    ) -> Result<(), MediaError> {
        if final_path.exists() {
            return Ok(());
        }
        let temp = self.temp()?;
        {
            let mut out = BufWriter::new(temp.as_file());
            encode(image, &mut out)?;
            out.flush().map_err(|e| MediaError::io(temp.path(), e))?;
        }
        self.commit(temp, final_path).map(|_| ())
    }

    /// Imports one file as `kind`: sniff, check, probe, normalize, store. Re-importing the same
    /// content returns the same paths without rewriting anything. A path that is not a regular
    /// file (a folder, a pipe, a looping link) is refused before it is opened.
    pub fn import(
        &self,
        path: &Path,
        kind: MediaKind,
        options: &ImportOptions,
    ) -> Result<ImportedMedia, MediaError> {
        let original_size = crate::input::regular_file(path)?;
        if original_size == 0 {
            return Err(MediaError::FileEmpty {
                path: path.display().to_string(),
            });
        }
        let sniffed = sniff(path)?;
        let wanted = kind;
        // An audio-branded MP4 offered as a motion video gets the precise "no video track".
        let iso_as_video = wanted == MediaKind::Video && sniffed.container == Container::IsoBmff;
        if sniffed.kind != wanted && !iso_as_video {
            return Err(MediaError::TypeMismatch {
                expected: wanted,
                found: format!("{} ({})", sniffed.kind.article(), sniffed.mime),
            });
        }
        let limits = options.effective_limits();
        limits.check_size(wanted, original_size)?;
        let mut warnings = Vec::new();
        if let Some(mismatch) = &sniffed.extension_mismatch {
            warnings.push(format!(
                "The file name does not match its content ({mismatch})."
            ));
        }
        let original_name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut imported = match wanted {
            MediaKind::Image => {
                self.import_image(path, &sniffed, options, &limits, &mut warnings)?
            }
            MediaKind::Audio => self.import_audio(path, &sniffed, &limits, &mut warnings)?,
            MediaKind::Video => {
                self.import_video(path, original_size, &sniffed, &limits, &mut warnings)?
            }
        };
        imported.original_name = original_name;
        imported.original_size = original_size;
        imported.warnings = warnings;
        Ok(imported)
    }

    fn open(path: &Path) -> Result<BufReader<File>, MediaError> {
        Ok(BufReader::new(
            File::open(path).map_err(|e| MediaError::io(path, e))?,
        ))
    }

    fn import_image(
        &self,
        path: &Path,
        sniffed: &Sniffed,
        options: &ImportOptions,
        limits: &Limits,
        warnings: &mut Vec<String>,
    ) -> Result<ImportedMedia, MediaError> {
        let facts = probe_image(Self::open(path)?, sniffed, limits)?;
        let (w, h) = (facts.width.unwrap_or(0), facts.height.unwrap_or(0));
        if let Some(min) = options.min_image_side
            && w.min(h) < min
        {
            return Err(MediaError::ImageTooSmall {
                width: w,
                height: h,
                min,
            });
        }
        let oriented = load_oriented(Self::open(path)?, sniffed, limits)?;
        let normalized = match options.target {
            Some(target) => {
                if w < target.width() && h < target.height() {
                    warnings.push(format!(
                        "The image ({w}x{h}) is smaller than the output size ({}x{}) and was enlarged; it may look soft.",
                        target.width(),
                        target.height()
                    ));
                }
                fit_to_target(&oriented, target, options.fit)?
            }
            None => oriented,
        };

        let temp = self.temp()?;
        let sha256 = {
            let mut out = HashingWriter {
                inner: BufWriter::new(temp.as_file()),
                hasher: Sha256::new(),
            };
            write_png(&normalized, &mut out)?;
            out.flush().map_err(|e| MediaError::io(temp.path(), e))?;
            hex(&out.hasher.finalize())
        };
        let size = temp
            .as_file()
            .metadata()
            .map_err(|e| MediaError::io(temp.path(), e))?
            .len();
        let normalized_path = self.path_for(&sha256, "png");
        let deduplicated = self.commit(temp, &normalized_path)?;
        let thumbnail_path = self.path_for(&sha256, "thumb.jpg");
        self.write_derived(&thumbnail(&normalized)?, &thumbnail_path, |i, w| {
            write_jpeg(i, w)
        })?;

        let mut normalized_facts = MediaFacts::new(MediaKind::Image, "image/png");
        normalized_facts.width = Some(normalized.width());
        normalized_facts.height = Some(normalized.height());
        normalized_facts.codec = Some("png".to_string());
        Ok(ImportedMedia {
            sha256,
            kind: MediaKind::Image,
            normalized_path,
            thumbnail_path: Some(thumbnail_path),
            first_frame_path: None,
            facts,
            normalized_facts,
            waveform: None,
            original_name: String::new(),
            mime: "image/png".to_string(),
            size,
            original_size: 0,
            deduplicated,
            warnings: Vec::new(),
        })
    }

    fn import_audio(
        &self,
        path: &Path,
        sniffed: &Sniffed,
        limits: &Limits,
        warnings: &mut Vec<String>,
    ) -> Result<ImportedMedia, MediaError> {
        let open = || File::open(path).map_err(|e| MediaError::io(path, e));
        let edit = audio_edit_for(sniffed, &mut open()?);
        let facts = crate::audio::probe_audio(Box::new(open()?), sniffed, edit, limits)?;
        let temp = self.temp()?;
        let open_source = || -> Result<Box<dyn symphonia::core::io::MediaSource>, MediaError> {
            Ok(Box::new(open()?))
        };
        let normalized = normalize_audio(
            &open_source,
            sniffed,
            edit,
            limits.max_audio_seconds,
            temp.path(),
        )?;
        if normalized.gain > 1.0 {
            warnings.push(format!(
                "The audio was very quiet and was made louder (x{:.1}).",
                normalized.gain
            ));
        }
        let sha256 = sha256_of_file(temp.path())?;
        let size = temp
            .as_file()
            .metadata()
            .map_err(|e| MediaError::io(temp.path(), e))?
            .len();
        let normalized_path = self.path_for(&sha256, "wav");
        let deduplicated = self.commit(temp, &normalized_path)?;
        let mut normalized_facts = MediaFacts::new(MediaKind::Audio, "audio/wav");
        normalized_facts.duration_seconds = Some(normalized.duration_seconds);
        normalized_facts.sample_rate = Some(normalized.sample_rate);
        normalized_facts.channels = Some(normalized.channels);
        normalized_facts.codec = Some(format!("pcm_s{}le", normalized.bits_per_sample));
        normalized_facts.has_audio = true;
        Ok(ImportedMedia {
            sha256,
            kind: MediaKind::Audio,
            normalized_path,
            thumbnail_path: None,
            first_frame_path: None,
            facts,
            normalized_facts,
            waveform: Some(normalized.waveform),
            original_name: String::new(),
            mime: "audio/wav".to_string(),
            size,
            original_size: 0,
            deduplicated,
            warnings: Vec::new(),
        })
    }

    fn import_video(
        &self,
        path: &Path,
        size: u64,
        sniffed: &Sniffed,
        limits: &Limits,
        warnings: &mut Vec<String>,
    ) -> Result<ImportedMedia, MediaError> {
        let mut reader = Self::open(path)?;
        let probe = probe_video(&mut reader, size, sniffed, limits)?;
        let first_frame = match decode_first_frame(&mut reader, &probe) {
            Ok(frame) => Some(frame),
            Err(e @ MediaError::PreviewUnavailable { .. }) => {
                warnings.push(animatrix_common::Explain::explain(&e).message);
                None
            }
            Err(e) => return Err(e),
        };

        // Stored as-is (validated, not re-encoded): copy while hashing, then rename into place.
        let temp = self.temp()?;
        let sha256 = {
            let mut source = Self::open(path)?;
            let mut out = HashingWriter {
                inner: BufWriter::new(temp.as_file()),
                hasher: Sha256::new(),
            };
            std::io::copy(&mut source, &mut out).map_err(|e| MediaError::io(path, e))?;
            out.flush().map_err(|e| MediaError::io(temp.path(), e))?;
            hex(&out.hasher.finalize())
        };
        let normalized_path = self.path_for(&sha256, video_ext(sniffed));
        let deduplicated = self.commit(temp, &normalized_path)?;
        let (thumbnail_path, first_frame_path) = match &first_frame {
            Some(frame) => {
                let first = self.path_for(&sha256, "first.png");
                self.write_derived(frame, &first, |i, w| write_png(i, w))?;
                let thumb = self.path_for(&sha256, "thumb.jpg");
                self.write_derived(&thumbnail(frame)?, &thumb, |i, w| write_jpeg(i, w))?;
                (Some(thumb), Some(first))
            }
            None => (None, None),
        };
        Ok(ImportedMedia {
            sha256,
            kind: MediaKind::Video,
            normalized_path,
            thumbnail_path,
            first_frame_path,
            normalized_facts: probe.facts.clone(),
            facts: probe.facts,
            waveform: None,
            original_name: String::new(),
            mime: sniffed.mime.clone(),
            size,
            original_size: 0,
            deduplicated,
            warnings: Vec::new(),
        })
    }
}
