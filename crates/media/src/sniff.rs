//! Real file type from magic bytes, never from the name.
//!
//! Hand-written because it is a table of well-known signatures over a 64-byte header; the
//! `infer` crate would do the same but cannot tell us which ISO-BMFF brand means "audio only",
//! nor the Ogg codec, nor name the non-media things (executables, text) users drop by mistake.

use std::io::Read;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::kind::{ACCEPTED_AUDIO, ACCEPTED_IMAGES, ACCEPTED_VIDEO, MediaKind};

/// How many bytes of the header sniffing looks at.
pub const SNIFF_LEN: usize = 64;

/// The container family, which decides the prober.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Container {
    Png,
    Jpeg,
    Webp,
    Wav,
    Mp3,
    Flac,
    Ogg,
    /// Raw AAC in ADTS frames.
    Adts,
    /// ISO base media file: MP4, M4A, MOV.
    IsoBmff,
    WebM,
    Avi,
}

/// What the bytes say the file is.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sniffed {
    pub kind: MediaKind,
    pub mime: String,
    pub container: Container,
    /// Set when the file name's extension disagrees with the bytes, e.g.
    /// "named .mp4 but the content is audio/mp4". The bytes win.
    pub extension_mismatch: Option<String>,
}

/// Sniffs the file at `path` from its first [`SNIFF_LEN`] bytes.
pub fn sniff(path: &Path) -> Result<Sniffed, MediaError> {
    crate::input::regular_file(path)?;
    let mut file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    let mut header = Vec::with_capacity(SNIFF_LEN);
    (&mut file)
        .take(SNIFF_LEN as u64)
        .read_to_end(&mut header)
        .map_err(|e| MediaError::io(path, e))?;
    if header.is_empty() {
        return Err(MediaError::FileEmpty {
            path: path.display().to_string(),
        });
    }
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(|e| e.to_ascii_lowercase());
    sniff_bytes(&header, ext.as_deref())
}

/// Sniffs a header (at least the first bytes of a file). `extension` (lowercase, no dot) only
/// feeds the mismatch report.
pub fn sniff_bytes(header: &[u8], extension: Option<&str>) -> Result<Sniffed, MediaError> {
    if header.is_empty() {
        return Err(MediaError::FileEmpty {
            path: String::new(),
        });
    }
    let (kind, mime, container) = classify(header)?;
    let extension_mismatch = extension.and_then(|ext| {
        let expected = mimes_for_extension(ext)?;
        if expected.contains(&mime) {
            None
        } else {
            Some(format!("named .{ext} but the content is {mime}"))
        }
    });
    Ok(Sniffed {
        kind,
        mime: mime.to_string(),
        container,
        extension_mismatch,
    })
}

fn mimes_for_extension(ext: &str) -> Option<&'static [&'static str]> {
    Some(match ext {
        "png" => &["image/png"],
        "jpg" | "jpeg" | "jfif" => &["image/jpeg"],
        "webp" => &["image/webp"],
        "wav" | "wave" => &["audio/wav"],
        "mp3" => &["audio/mpeg"],
        "flac" => &["audio/flac"],
        "ogg" | "oga" => &["audio/ogg"],
        "aac" => &["audio/aac"],
        "m4a" => &["audio/mp4", "video/mp4"],
        "mp4" | "m4v" => &["video/mp4"],
        "mov" | "qt" => &["video/quicktime", "video/mp4"],
        "webm" => &["video/webm"],
        "avi" => &["video/x-msvideo"],
        _ => return None,
    })
}

fn refuse(what: &str) -> MediaError {
    MediaError::UnsupportedType {
        what: what.to_string(),
        accepted: format!(
            "images: {ACCEPTED_IMAGES}; audio: {ACCEPTED_AUDIO}; video: {ACCEPTED_VIDEO}"
        ),
    }
}

fn classify(h: &[u8]) -> Result<(MediaKind, &'static str, Container), MediaError> {
    use Container::*;
    use MediaKind::*;
    let at = |offset: usize, sig: &[u8]| h.get(offset..offset + sig.len()) == Some(sig);

    if at(0, b"\x89PNG\r\n\x1a\n") {
        return Ok((Image, "image/png", Png));
    }
    if at(0, b"\xFF\xD8\xFF") {
        return Ok((Image, "image/jpeg", Jpeg));
    }
    if at(0, b"RIFF") {
        if at(8, b"WEBP") {
            return Ok((Image, "image/webp", Webp));
        }
        if at(8, b"WAVE") {
            return Ok((Audio, "audio/wav", Wav));
        }
        if at(8, b"AVI ") {
            return Ok((Video, "video/x-msvideo", Avi));
        }
        return Err(refuse("RIFF file of an unknown form"));
    }
    if at(0, b"fLaC") {
        return Ok((Audio, "audio/flac", Flac));
    }
    if at(0, b"OggS") {
        return ogg(h);
    }
    if at(0, b"ID3") {
        return Ok((Audio, "audio/mpeg", Mp3));
    }
    if at(0, b"\x1A\x45\xDF\xA3") {
        // EBML: the DocType string sits within the first few dozen bytes.
        if contains(h, b"webm") {
            return Ok((Video, "video/webm", WebM));
        }
        return Err(MediaError::UnsupportedType {
            what: "Matroska (MKV) video".to_string(),
            accepted: ACCEPTED_VIDEO.to_string(),
        });
    }
    if at(4, b"ftyp") {
        return iso_brand(h.get(8..12).unwrap_or_default());
    }
    // QuickTime files from old tools may start without ftyp.
    if at(4, b"moov") || at(4, b"mdat") || at(4, b"wide") || at(4, b"free") || at(4, b"skip") {
        return Ok((Video, "video/quicktime", IsoBmff));
    }
    if h.len() >= 2 && h[0] == 0xFF {
        // MPEG audio frame sync: 11 set bits. Layer bits 00 mean ADTS (AAC) instead.
        if h[1] & 0xF6 == 0xF0 {
            return Ok((Audio, "audio/aac", Adts));
        }
        if h[1] & 0xE0 == 0xE0 && h[1] & 0x06 != 0 {
            return Ok((Audio, "audio/mpeg", Mp3));
        }
    }
    Err(refuse(name_non_media(h)))
}

fn contains(h: &[u8], needle: &[u8]) -> bool {
    h.windows(needle.len()).any(|w| w == needle)
}

fn ogg(h: &[u8]) -> Result<(MediaKind, &'static str, Container), MediaError> {
    if contains(h, b"\x01vorbis") {
        return Ok((MediaKind::Audio, "audio/ogg", Container::Ogg));
    }
    let what = if contains(h, b"OpusHead") {
        "Ogg Opus audio"
    } else if contains(h, b"theora") {
        "Ogg Theora video"
    } else {
        "Ogg file of an unknown codec"
    };
    Err(MediaError::UnsupportedType {
        what: what.to_string(),
        accepted: ACCEPTED_AUDIO.to_string(),
    })
}

fn iso_brand(brand: &[u8]) -> Result<(MediaKind, &'static str, Container), MediaError> {
    match brand {
        b"M4A " | b"M4B " | b"M4P " | b"F4A " => {
            Ok((MediaKind::Audio, "audio/mp4", Container::IsoBmff))
        }
        b"qt  " => Ok((MediaKind::Video, "video/quicktime", Container::IsoBmff)),
        b"heic" | b"heix" | b"mif1" | b"msf1" | b"hevc" | b"heim" | b"heis" => {
            Err(MediaError::UnsupportedType {
                what: "HEIC image".to_string(),
                accepted: ACCEPTED_IMAGES.to_string(),
            })
        }
        b"avif" | b"avis" => Err(MediaError::UnsupportedType {
            what: "AVIF image".to_string(),
            accepted: ACCEPTED_IMAGES.to_string(),
        }),
        b"crx " => Err(MediaError::UnsupportedType {
            what: "camera RAW image".to_string(),
            accepted: ACCEPTED_IMAGES.to_string(),
        }),
        _ => Ok((MediaKind::Video, "video/mp4", Container::IsoBmff)),
    }
}

/// Names what a non-media header is, for the error message.
fn name_non_media(h: &[u8]) -> &'static str {
    let at = |offset: usize, sig: &[u8]| h.get(offset..offset + sig.len()) == Some(sig);
    if at(0, b"\x7FELF") {
        "ELF executable"
    } else if at(0, b"MZ") {
        "Windows executable"
    } else if at(0, b"\xCF\xFA\xED\xFE") || at(0, b"\xCE\xFA\xED\xFE") || at(0, b"\xCA\xFE\xBA\xBE")
    {
        "macOS executable"
    } else if at(0, b"#!") {
        "script"
    } else if at(0, b"PK\x03\x04") {
        "ZIP archive"
    } else if at(0, b"%PDF") {
        "PDF document"
    } else if at(0, b"GIF8") {
        "GIF image"
    } else if at(0, b"BM") {
        "BMP image"
    } else if at(0, b"II*\0") || at(0, b"MM\0*") {
        "TIFF image"
    } else if h
        .iter()
        .all(|&b| b == b'\n' || b == b'\r' || b == b'\t' || (0x20..0x7F).contains(&b) || b >= 0x80)
    {
        "plain text"
    } else {
        "unknown binary data"
    }
}
