//! Is a `/view` answer the media the output claims to be? A proxy's login or error page comes
//! back as `200 text/html` and must never be saved as `video_00001_.mp4`.
//!
//! Two cheap checks, no decoding: the Content-Type must not be text/markup/JSON, nor a media
//! family other than the file's (a `.mp4` served as `image/png`); and the first bytes must not
//! be markup or JSON, which no image, audio or video container starts with.

use crate::error::ComfyError;

/// What an output file is, from its extension.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum MediaFamily {
    Image,
    Video,
    Audio,
}

impl MediaFamily {
    fn mime_prefix(self) -> &'static str {
        match self {
            MediaFamily::Image => "image/",
            MediaFamily::Video => "video/",
            MediaFamily::Audio => "audio/",
        }
    }

    fn label(self) -> &'static str {
        match self {
            MediaFamily::Image => "an image",
            MediaFamily::Video => "a video",
            MediaFamily::Audio => "audio",
        }
    }
}

/// The family a file name claims, `None` for extensions we do not know.
pub(crate) fn expected_family(filename: &str) -> Option<MediaFamily> {
    let ext = filename.rsplit_once('.')?.1.to_ascii_lowercase();
    match ext.as_str() {
        "png" | "jpg" | "jpeg" | "webp" | "gif" | "bmp" | "tif" | "tiff" | "avif" => {
            Some(MediaFamily::Image)
        }
        "mp4" | "webm" | "mov" | "mkv" | "avi" | "m4v" => Some(MediaFamily::Video),
        "wav" | "mp3" | "flac" | "ogg" | "opus" | "m4a" | "aac" => Some(MediaFamily::Audio),
        _ => None,
    }
}

fn essence(content_type: &str) -> String {
    content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase()
}

fn is_document(essence: &str) -> bool {
    essence.starts_with("text/")
        || essence.ends_with("+json")
        || essence.ends_with("+xml")
        || matches!(
            essence,
            "application/json" | "application/xml" | "application/javascript"
        )
}

fn unexpected(path: &str, filename: &str, content_type: Option<&str>, why: &str) -> ComfyError {
    ComfyError::UnexpectedContent {
        path: path.to_owned(),
        content_type: content_type.map(str::to_owned),
        expected: expected_family(filename)
            .map_or("a media file", MediaFamily::label)
            .to_owned(),
        why: why.to_owned(),
    }
}

/// Checks the Content-Type header against the file name.
pub(crate) fn check_content_type(
    path: &str,
    filename: &str,
    content_type: Option<&str>,
) -> Result<(), ComfyError> {
    let Some(ct) = content_type else {
        return Ok(());
    };
    let essence = essence(ct);
    if is_document(&essence) {
        return Err(unexpected(
            path,
            filename,
            content_type,
            "a document, not media",
        ));
    }
    if let Some(family) = expected_family(filename) {
        let other_media = ["image/", "video/", "audio/"]
            .iter()
            .any(|p| essence.starts_with(p));
        if other_media && !essence.starts_with(family.mime_prefix()) {
            return Err(unexpected(
                path,
                filename,
                content_type,
                "another kind of media",
            ));
        }
    }
    Ok(())
}

/// Bytes to look at before judging the start of a body.
pub(crate) const SNIFF_BYTES: usize = 16;

/// Checks the first bytes: markup (`<!DOCTYPE`, `<html`, `<?xml`) or JSON is never media.
pub(crate) fn check_leading_bytes(
    path: &str,
    filename: &str,
    content_type: Option<&str>,
    head: &[u8],
) -> Result<(), ComfyError> {
    let first = head.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        Some(b'<') => Err(unexpected(
            path,
            filename,
            content_type,
            "starts like HTML or XML",
        )),
        Some(b'{' | b'[') => Err(unexpected(path, filename, content_type, "starts like JSON")),
        _ => Ok(()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn documents_and_other_media_are_refused_media_passes() {
        let ok = [
            ("video_00001_.mp4", Some("video/mp4")),
            ("a.png", Some("image/png")),
            ("a.wav", Some("audio/x-wav")),
            ("a.mp4", Some("application/octet-stream")),
            ("a.mp4", None),
            ("a.bin", Some("application/octet-stream")),
            ("a.webp", Some("image/webp")),
        ];
        for (name, ct) in ok {
            assert!(
                check_content_type("/view", name, ct).is_ok(),
                "{name} {ct:?}"
            );
        }
        let bad = [
            ("video_00001_.mp4", "text/html"),
            ("video_00001_.mp4", "text/html; charset=utf-8"),
            ("a.png", "application/json"),
            ("a.png", "TEXT/PLAIN"),
            ("a.mp4", "image/png"),
            ("a.wav", "video/mp4"),
            ("a.bin", "application/problem+json"),
        ];
        for (name, ct) in bad {
            let e = check_content_type("/view", name, Some(ct)).unwrap_err();
            assert_eq!(e.code(), "download_unexpected_content", "{name} {ct}");
        }
    }

    #[test]
    fn markup_and_json_bodies_are_refused() {
        for head in [
            &b"<!DOCTYPE html>"[..],
            b"  <html>",
            b"{\"error\": 1}",
            b"\n[1]",
        ] {
            assert!(check_leading_bytes("/view", "a.mp4", None, head).is_err());
        }
        for head in [
            &b"\0\0\0\x18ftypisom"[..],
            b"\x89PNG\r\n",
            b"RIFF",
            b"",
            b"ID3",
        ] {
            assert!(check_leading_bytes("/view", "a.mp4", None, head).is_ok());
        }
    }
}
