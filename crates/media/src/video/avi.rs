//! AVI is refused, but with the codec named so the user knows what to convert.
//!
//! A bounded scan of the header list for the video stream header is enough to name the codec;
//! no maintained AVI demuxer crate is worth a dependency for a refusal.

use std::io::{Read, Seek, SeekFrom};

use crate::error::MediaError;

const HEADER_SCAN: u64 = 64 * 1024;

pub(super) fn refuse<R: Read + Seek>(reader: &mut R) -> MediaError {
    let mut head = Vec::new();
    let fourcc = reader
        .seek(SeekFrom::Start(0))
        .and_then(|_| reader.take(HEADER_SCAN).read_to_end(&mut head))
        .ok()
        .and_then(|_| video_fourcc(&head));
    let codec = match fourcc.as_deref() {
        Some(
            "FMP4" | "XVID" | "DIVX" | "DX50" | "MP4V" | "fmp4" | "xvid" | "divx" | "dx50" | "mp4v",
        ) => {
            format!("MPEG-4 Part 2 ({})", fourcc.as_deref().unwrap_or_default())
        }
        Some("MJPG" | "mjpg") => "Motion JPEG".to_string(),
        Some("H264" | "h264" | "X264" | "x264" | "avc1") => "H.264".to_string(),
        Some(other) => other.to_string(),
        None => "unknown codec".to_string(),
    };
    MediaError::VideoCodecUnsupported {
        codec,
        container: "AVI".to_string(),
    }
}

/// fccHandler of the first `strh` whose fccType is `vids`.
fn video_fourcc(head: &[u8]) -> Option<String> {
    head.windows(12)
        .position(|w| &w[0..4] == b"strh" && &w[8..12] == b"vids")
        .and_then(|i| head.get(i + 12..i + 16))
        .map(|b| {
            String::from_utf8_lossy(b)
                .trim_end_matches('\0')
                .trim()
                .to_string()
        })
        .filter(|s| !s.is_empty())
}
