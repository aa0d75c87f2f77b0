//! Images: header probe with the bomb check, oriented decode, aspect fit, thumbnail, encoders.

use std::io::{BufRead, Read, Seek, SeekFrom, Write};

use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};
use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::PngEncoder;
use image::metadata::Orientation;
use image::{DynamicImage, ImageDecoder, ImageError, ImageFormat, ImageReader};
use serde::{Deserialize, Serialize};

use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::kind::MediaKind;
use crate::limits::Limits;
use crate::sniff::{Container, Sniffed};

/// Longer side of the thumbnails written for chips and history.
pub const THUMBNAIL_SIDE: u32 = 256;

/// Largest side a fit target may ask for.
const MAX_TARGET_SIDE: u32 = 8192;

/// Output size of an aspect fit, e.g. 832x480. Both sides are multiples of 16 (what the
/// video models need).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct AspectTarget {
    width: u32,
    height: u32,
}

impl AspectTarget {
    pub fn new(width: u32, height: u32) -> Result<Self, MediaError> {
        let ok = |v: u32| (16..=MAX_TARGET_SIDE).contains(&v) && v.is_multiple_of(16);
        if !ok(width) || !ok(height) {
            return Err(MediaError::InvalidOption {
                detail: format!(
                    "aspect target {width}x{height}: each side must be a multiple of 16 between 16 and {MAX_TARGET_SIDE}"
                ),
            });
        }
        Ok(Self { width, height })
    }

    pub fn width(&self) -> u32 {
        self.width
    }

    pub fn height(&self) -> u32 {
        self.height
    }
}

impl std::str::FromStr for AspectTarget {
    type Err = MediaError;

    /// Parses `WIDTHxHEIGHT`, e.g. `832x480` (the sizes come from the template's profile).
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || MediaError::InvalidOption {
            detail: format!("aspect target '{s}': expected WIDTHxHEIGHT, e.g. 832x480"),
        };
        let (w, h) = s.trim().split_once(['x', 'X']).ok_or_else(bad)?;
        let w = w.trim().parse().map_err(|_| bad())?;
        let h = h.trim().parse().map_err(|_| bad())?;
        AspectTarget::new(w, h)
    }
}

/// How an image of another aspect is brought to the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum FitMode {
    /// Scale to cover the target and cut the overflow equally on both sides.
    #[default]
    Crop,
    /// Scale to fit inside the target and fill the rest with black.
    Pad,
}

fn format_of(container: Container) -> Result<ImageFormat, MediaError> {
    match container {
        Container::Png => Ok(ImageFormat::Png),
        Container::Jpeg => Ok(ImageFormat::Jpeg),
        Container::Webp => Ok(ImageFormat::WebP),
        other => Err(MediaError::UnsupportedType {
            what: format!("{other:?}"),
            accepted: MediaKind::Image.accepted().to_string(),
        }),
    }
}

fn codec_name(container: Container) -> &'static str {
    match container {
        Container::Jpeg => "jpeg",
        Container::Webp => "webp",
        _ => "png",
    }
}

fn map_image_error(e: ImageError) -> MediaError {
    match e {
        ImageError::IoError(io) if io.kind() == std::io::ErrorKind::UnexpectedEof => {
            MediaError::truncated(io.to_string())
        }
        // Only reachable when the declared size passed our pixel cap but the decoder still
        // wants more memory than allowed (e.g. a huge embedded ICC profile).
        ImageError::Limits(l) => MediaError::corrupt(format!("image decoder limit: {l}")),
        other => {
            let text = other.to_string();
            let lower = text.to_ascii_lowercase();
            // The decoders report a cut-off stream as a decoding error whose text names the
            // end of file; there is no structured kind for it.
            if lower.contains("eof")
                || lower.contains("end of file")
                || lower.contains("unexpected end")
            {
                MediaError::truncated(text)
            } else {
                MediaError::corrupt(text)
            }
        }
    }
}

fn swaps_sides(o: Orientation) -> bool {
    matches!(
        o,
        Orientation::Rotate90
            | Orientation::Rotate270
            | Orientation::Rotate90FlipH
            | Orientation::Rotate270FlipH
    )
}

fn rotation_degrees(o: Orientation) -> u16 {
    match o {
        Orientation::Rotate90 | Orientation::Rotate90FlipH => 90,
        Orientation::Rotate180 | Orientation::FlipVertical => 180,
        Orientation::Rotate270 | Orientation::Rotate270FlipH => 270,
        _ => 0,
    }
}

fn check_pixels(width: u32, height: u32, limits: &Limits) -> Result<(), MediaError> {
    if width == 0 || height == 0 {
        return Err(MediaError::corrupt(format!(
            "image declares {width}x{height} pixels"
        )));
    }
    if u64::from(width) * u64::from(height) > limits.max_image_pixels {
        return Err(MediaError::ImageTooLarge {
            width,
            height,
            max_pixels: limits.max_image_pixels,
        });
    }
    Ok(())
}

/// The decoder for an image, after the declared size passed the pixel cap.
fn checked_decoder<R: BufRead + Seek + 'static>(
    reader: R,
    sniffed: &Sniffed,
    limits: &Limits,
) -> Result<impl ImageDecoder, MediaError> {
    let mut image_reader = ImageReader::with_format(reader, format_of(sniffed.container)?);
    let mut decoder_limits = image::Limits::default();
    // Worst case 16-bit RGBA: 8 bytes a pixel, plus decoder scratch.
    decoder_limits.max_alloc = Some(limits.max_image_pixels.saturating_mul(10));
    image_reader.limits(decoder_limits);
    let decoder = image_reader.into_decoder().map_err(map_image_error)?;
    let (width, height) = decoder.dimensions();
    check_pixels(width, height, limits)?;
    Ok(decoder)
}

/// Facts from the header only: nothing is decoded.
pub(crate) fn probe_image<R: BufRead + Seek + 'static>(
    mut reader: R,
    sniffed: &Sniffed,
    limits: &Limits,
) -> Result<MediaFacts, MediaError> {
    check_complete(&mut reader, sniffed.container)?;
    reader
        .seek(SeekFrom::Start(0))
        .map_err(|e| MediaError::corrupt(format!("seek: {e}")))?;
    let mut decoder = checked_decoder(reader, sniffed, limits)?;
    let (width, height) = decoder.dimensions();
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let (width, height) = if swaps_sides(orientation) {
        (height, width)
    } else {
        (width, height)
    };
    let mut facts = MediaFacts::new(MediaKind::Image, &sniffed.mime);
    facts.width = Some(width);
    facts.height = Some(height);
    facts.codec = Some(codec_name(sniffed.container).to_string());
    facts.has_video = false;
    facts.rotation = rotation_degrees(orientation);
    Ok(facts)
}

/// Cheap end-of-stream check so a probe does not report facts for a cut-off file: the decoders
/// would only notice halfway through decoding. Walks PNG chunk headers to IEND (seeking over
/// the data), compares the WebP RIFF size with the file, looks for the JPEG end marker.
fn check_complete<R: Read + Seek>(r: &mut R, container: Container) -> Result<(), MediaError> {
    let io = |e: std::io::Error| MediaError::truncated(format!("image header: {e}"));
    let len = r.seek(SeekFrom::End(0)).map_err(io)?;
    match container {
        Container::Png => {
            let mut pos = 8u64;
            loop {
                if pos + 8 > len {
                    return Err(MediaError::truncated(format!(
                        "PNG ends at byte {len} before its IEND chunk"
                    )));
                }
                r.seek(SeekFrom::Start(pos)).map_err(io)?;
                let mut head = [0u8; 8];
                r.read_exact(&mut head).map_err(io)?;
                if &head[4..8] == b"IEND" {
                    return Ok(());
                }
                let data = u64::from(u32::from_be_bytes([head[0], head[1], head[2], head[3]]));
                pos += 12 + data;
            }
        }
        Container::Webp => {
            r.seek(SeekFrom::Start(4)).map_err(io)?;
            let mut size = [0u8; 4];
            r.read_exact(&mut size).map_err(io)?;
            let declared = 8 + u64::from(u32::from_le_bytes(size));
            if declared > len {
                return Err(MediaError::truncated(format!(
                    "WebP declares {declared} bytes, file has {len}"
                )));
            }
            Ok(())
        }
        Container::Jpeg => {
            let tail_len = len.min(64 * 1024);
            r.seek(SeekFrom::Start(len - tail_len)).map_err(io)?;
            let mut tail = Vec::new();
            r.take(tail_len).read_to_end(&mut tail).map_err(io)?;
            if tail.windows(2).any(|w| w == [0xFF, 0xD9]) {
                Ok(())
            } else {
                Err(MediaError::truncated("JPEG has no end-of-image marker"))
            }
        }
        _ => Ok(()),
    }
}

/// Decodes the whole image (after the bomb check) and applies its EXIF orientation.
pub(crate) fn load_oriented<R: BufRead + Seek + 'static>(
    reader: R,
    sniffed: &Sniffed,
    limits: &Limits,
) -> Result<DynamicImage, MediaError> {
    let mut decoder = checked_decoder(reader, sniffed, limits)?;
    let orientation = decoder.orientation().unwrap_or(Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(map_image_error)?;
    image.apply_orientation(orientation);
    Ok(normalize_pixels(image))
}

/// 8-bit RGB, or RGBA when the image has transparency: what PNG consumers expect.
fn normalize_pixels(image: DynamicImage) -> DynamicImage {
    match image {
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgba8(_) => image,
        other if other.color().has_alpha() => DynamicImage::ImageRgba8(other.into_rgba8()),
        other => DynamicImage::ImageRgb8(other.into_rgb8()),
    }
}

fn resize_into(
    src: &DynamicImage,
    dst: &mut DynamicImage,
    crop: Option<(f64, f64, f64, f64)>,
) -> Result<(), MediaError> {
    let mut options = ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Lanczos3));
    if let Some((left, top, width, height)) = crop {
        options = options.crop(left, top, width, height);
    }
    Resizer::new()
        .resize(src, dst, &options)
        .map_err(|e| MediaError::corrupt(format!("resize failed: {e}")))
}

/// Brings `image` to exactly `target`, by center crop or pad, with a Lanczos3 filter.
pub fn fit_to_target(
    image: &DynamicImage,
    target: AspectTarget,
    mode: FitMode,
) -> Result<DynamicImage, MediaError> {
    let (w, h) = (f64::from(image.width()), f64::from(image.height()));
    let (tw, th) = (f64::from(target.width), f64::from(target.height));
    match mode {
        FitMode::Crop => {
            let scale = (tw / w).max(th / h);
            let (cw, ch) = ((tw / scale).min(w), (th / scale).min(h));
            let mut out = DynamicImage::new(target.width, target.height, image.color());
            resize_into(
                image,
                &mut out,
                Some(((w - cw) / 2.0, (h - ch) / 2.0, cw, ch)),
            )?;
            Ok(out)
        }
        FitMode::Pad => {
            let scale = (tw / w).min(th / h);
            let sw = ((w * scale).round() as u32).clamp(1, target.width);
            let sh = ((h * scale).round() as u32).clamp(1, target.height);
            let mut scaled = DynamicImage::new(sw, sh, image.color());
            resize_into(image, &mut scaled, None)?;
            let mut canvas = DynamicImage::new(target.width, target.height, image.color());
            // An RGBA canvas starts transparent; the pad should be opaque black like RGB's.
            if let DynamicImage::ImageRgba8(buf) = &mut canvas {
                for p in buf.pixels_mut() {
                    p.0 = [0, 0, 0, 255];
                }
            }
            image::imageops::replace(
                &mut canvas,
                &scaled,
                i64::from((target.width - sw) / 2),
                i64::from((target.height - sh) / 2),
            );
            Ok(canvas)
        }
    }
}

/// A copy whose longer side is [`THUMBNAIL_SIDE`] (never enlarged).
pub fn thumbnail(image: &DynamicImage) -> Result<DynamicImage, MediaError> {
    let (w, h) = (image.width().max(1), image.height().max(1));
    let scale = (f64::from(THUMBNAIL_SIDE) / f64::from(w.max(h))).min(1.0);
    let tw = ((f64::from(w) * scale).round() as u32).max(1);
    let th = ((f64::from(h) * scale).round() as u32).max(1);
    let mut out = DynamicImage::new(tw, th, image.color());
    resize_into(image, &mut out, None)?;
    Ok(out)
}

/// PNG with no metadata chunks: only what the pixels need.
pub fn write_png<W: Write>(image: &DynamicImage, out: W) -> Result<(), MediaError> {
    image
        .write_with_encoder(PngEncoder::new(out))
        .map_err(|e| MediaError::corrupt(format!("png encode: {e}")))
}

/// JPEG (quality 85) for thumbnails; transparency is flattened onto black.
pub fn write_jpeg<W: Write>(image: &DynamicImage, out: W) -> Result<(), MediaError> {
    let rgb = DynamicImage::ImageRgb8(image.to_rgb8());
    rgb.write_with_encoder(JpegEncoder::new_with_quality(out, 85))
        .map_err(|e| MediaError::corrupt(format!("jpeg encode: {e}")))
}

/// Sniffs, size-checks and decodes an image file with its EXIF orientation applied.
pub fn load_image_file(
    path: &std::path::Path,
    limits: &Limits,
) -> Result<DynamicImage, MediaError> {
    let sniffed = crate::sniff::sniff(path)?;
    if sniffed.kind != MediaKind::Image {
        return Err(MediaError::TypeMismatch {
            expected: MediaKind::Image,
            found: format!("{} ({})", sniffed.kind.article(), sniffed.mime),
        });
    }
    let size = crate::input::regular_file(path)?;
    limits.check_size(MediaKind::Image, size)?;
    let file = std::fs::File::open(path).map_err(|e| MediaError::io(path, e))?;
    load_oriented(std::io::BufReader::new(file), &sniffed, limits)
}
