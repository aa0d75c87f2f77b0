//! First frame of an H.264 video, decoded locally with openh264 (bundled source, so it builds on
//! every OS without system libraries). Other codecs get a typed "preview not available".

use std::io::{Read, Seek, SeekFrom};

use image::{DynamicImage, RgbImage};
use openh264::decoder::Decoder;
use openh264::formats::YUVSource;

use super::{H264FirstSample, VideoProbe};
use crate::error::MediaError;

const START_CODE: [u8; 4] = [0, 0, 0, 1];

fn h264_err(e: impl std::fmt::Display) -> MediaError {
    MediaError::corrupt(format!("h264 first frame: {e}"))
}

/// SPS and PPS from an avcC record as Annex B, plus the NAL length size of the samples.
fn parameter_sets(avcc: &[u8]) -> Result<(Vec<u8>, usize), MediaError> {
    let bad = || h264_err("malformed avcC record");
    let nal_len = usize::from(avcc.get(4).ok_or_else(bad)? & 0x03) + 1;
    let mut out = Vec::new();
    let mut pos = 5;
    for mask in [0x1F, 0xFF] {
        let count = avcc.get(pos).ok_or_else(bad)? & mask;
        pos += 1;
        for _ in 0..count {
            let len_bytes = avcc.get(pos..pos + 2).ok_or_else(bad)?;
            let len = usize::from(u16::from_be_bytes([len_bytes[0], len_bytes[1]]));
            pos += 2;
            out.extend_from_slice(&START_CODE);
            out.extend_from_slice(avcc.get(pos..pos + len).ok_or_else(bad)?);
            pos += len;
        }
    }
    Ok((out, nal_len))
}

/// Length-prefixed NAL units (as stored in MP4) to Annex B start codes (as decoders want).
fn to_annex_b(sample: &[u8], nal_len: usize, out: &mut Vec<u8>) -> Result<(), MediaError> {
    let mut pos = 0;
    while pos < sample.len() {
        let len_bytes = sample
            .get(pos..pos + nal_len)
            .ok_or_else(|| h264_err("NAL length cut off"))?;
        let len = len_bytes
            .iter()
            .fold(0usize, |acc, b| (acc << 8) | usize::from(*b));
        pos += nal_len;
        let nal = sample
            .get(pos..pos + len)
            .ok_or_else(|| MediaError::truncated("first video frame is cut off"))?;
        out.extend_from_slice(&START_CODE);
        out.extend_from_slice(nal);
        pos += len;
    }
    Ok(())
}

fn rotate(image: RgbImage, degrees: u16) -> DynamicImage {
    let image = DynamicImage::ImageRgb8(image);
    match degrees {
        90 => image.rotate90(),
        180 => image.rotate180(),
        270 => image.rotate270(),
        _ => image,
    }
}

/// Decodes the first frame (displayed orientation). Reads only that frame's bytes.
pub fn decode_first_frame<R: Read + Seek>(
    reader: &mut R,
    probe: &VideoProbe,
) -> Result<DynamicImage, MediaError> {
    let Some(H264FirstSample { avcc, offset, size }) = &probe.first_sample else {
        return Err(MediaError::PreviewUnavailable {
            codec: probe
                .facts
                .codec
                .clone()
                .unwrap_or_else(|| "unknown".to_string()),
        });
    };
    let (mut stream, nal_len) = parameter_sets(avcc)?;
    let mut sample = Vec::new();
    reader
        .seek(SeekFrom::Start(*offset))
        .map_err(|e| MediaError::truncated(format!("seek to first frame: {e}")))?;
    reader
        .take(u64::from(*size))
        .read_to_end(&mut sample)
        .map_err(h264_err)?;
    if sample.len() != *size as usize {
        return Err(MediaError::truncated("first video frame is cut off"));
    }
    to_annex_b(&sample, nal_len, &mut stream)?;

    let mut decoder = Decoder::new().map_err(h264_err)?;
    let rgb = {
        let decoded = decoder.decode(&stream).map_err(h264_err)?;
        decoded.map(|yuv| {
            let (w, h) = yuv.dimensions();
            let mut rgb = vec![0u8; w * h * 3];
            yuv.write_rgb8(&mut rgb);
            (w, h, rgb)
        })
    };
    let (w, h, rgb) = match rgb {
        Some(frame) => frame,
        None => {
            let remaining = decoder.flush_remaining().map_err(h264_err)?;
            let yuv = remaining
                .first()
                .ok_or_else(|| h264_err("decoder produced no picture from the first sample"))?;
            let (w, h) = yuv.dimensions();
            let mut rgb = vec![0u8; w * h * 3];
            yuv.write_rgb8(&mut rgb);
            (w, h, rgb)
        }
    };
    let image =
        RgbImage::from_raw(w as u32, h as u32, rgb).ok_or_else(|| h264_err("frame buffer size"))?;
    Ok(rotate(image, probe.facts.rotation))
}
