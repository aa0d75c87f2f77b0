//! One entry point that sniffs a file and runs the right prober.

use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek};
use std::path::Path;

use symphonia::core::io::MediaSource;

use crate::audio::{audio_edit_for, probe_audio};
use crate::error::MediaError;
use crate::facts::MediaFacts;
use crate::image_ops::probe_image;
use crate::kind::MediaKind;
use crate::limits::Limits;
use crate::sniff::{Container, Sniffed, sniff, sniff_bytes};
use crate::video::probe_video;

/// Probes the file at `path`: sniffs its real type, checks the size limit for that kind from
/// the file's metadata, then reads headers (and for audio without a declared length, packet
/// headers) to produce the facts. Never decodes pixels or samples.
pub fn probe(path: &Path, limits: &Limits) -> Result<MediaFacts, MediaError> {
    let size = crate::input::regular_file(path)?;
    if size == 0 {
        return Err(MediaError::FileEmpty {
            path: path.display().to_string(),
        });
    }
    let sniffed = sniff(path)?;
    limits.check_size(sniffed.kind, size)?;
    let open = || File::open(path).map_err(|e| MediaError::io(path, e));
    probe_sniffed(&sniffed, size, limits, open, |f| Box::new(f))
}

/// Probes bytes already in memory (tests, fuzzing). `extension` only feeds the mismatch report.
pub fn probe_bytes(
    bytes: &[u8],
    extension: Option<&str>,
    limits: &Limits,
) -> Result<MediaFacts, MediaError> {
    let sniffed = sniff_bytes(
        &bytes[..bytes.len().min(crate::sniff::SNIFF_LEN)],
        extension,
    )?;
    limits.check_size(sniffed.kind, bytes.len() as u64)?;
    let owned = bytes.to_vec();
    probe_sniffed(
        &sniffed,
        bytes.len() as u64,
        limits,
        || Ok(Cursor::new(owned.clone())),
        |c| Box::new(c),
    )
}

fn probe_sniffed<R, O, B>(
    sniffed: &Sniffed,
    size: u64,
    limits: &Limits,
    open: O,
    boxed: B,
) -> Result<MediaFacts, MediaError>
where
    R: Read + Seek + 'static,
    O: Fn() -> Result<R, MediaError>,
    B: Fn(R) -> Box<dyn MediaSource>,
{
    match sniffed.kind {
        MediaKind::Image => probe_image(BufReader::new(open()?), sniffed, limits),
        MediaKind::Audio => probe_audio(
            boxed(open()?),
            sniffed,
            audio_edit_for(sniffed, &mut open()?),
            limits,
        ),
        MediaKind::Video => {
            let mut reader = BufReader::new(open()?);
            match probe_video(&mut reader, size, sniffed, limits) {
                Ok(p) => Ok(p.facts),
                // An .mp4 holding only sound is an audio file as far as facts go.
                Err(MediaError::VideoNoVideoTrack { .. })
                    if sniffed.container == Container::IsoBmff =>
                {
                    let as_audio = Sniffed {
                        kind: MediaKind::Audio,
                        mime: "audio/mp4".to_string(),
                        ..sniffed.clone()
                    };
                    probe_audio(
                        boxed(open()?),
                        &as_audio,
                        audio_edit_for(&as_audio, &mut open()?),
                        limits,
                    )
                }
                Err(e) => Err(e),
            }
        }
    }
}
