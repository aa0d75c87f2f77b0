//! Random and mutated bytes never panic sniff, probe or import (they may only return errors).

mod common;

use common::ImportAs;
use std::path::PathBuf;

use animatrix_media::{AssetStore, ImportOptions, Limits, Role, probe_bytes, sniff_bytes};
use proptest::prelude::*;

const FIXTURES: [&str; 15] = [
    "character.png",
    "character_exif_rotated.jpg",
    "reference_landscape.webp",
    "pose_sheet.png",
    "speech.wav",
    "speech.mp3",
    "speech.m4a",
    "speech.flac",
    "speech.ogg",
    "motion.mp4",
    "motion.webm",
    "motion.mov",
    "motion_with_audio.mp4",
    "bad/truncated.mp4",
    "bad/motion_mjpeg.mov",
];

fn fixture_bytes(index: usize) -> Vec<u8> {
    let path = PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures"
    ))
    .join(FIXTURES[index]);
    std::fs::read(path).expect("fixture")
}

/// Applies byte overwrites (positions scaled to the file length), biased to the header where
/// the parsers make their decisions, then optionally truncates.
fn mutate(mut bytes: Vec<u8>, edits: &[(f64, bool, u8)], cut: Option<f64>) -> Vec<u8> {
    let len = bytes.len();
    for &(at, header, value) in edits {
        let span = if header { len.min(512) } else { len };
        let i = ((at * span as f64) as usize).min(len.saturating_sub(1));
        if let Some(b) = bytes.get_mut(i) {
            *b = value;
        }
    }
    if let Some(cut) = cut {
        bytes.truncate((cut * len as f64) as usize);
    }
    bytes
}

fn extension(index: usize) -> &'static str {
    FIXTURES[index].rsplit('.').next().unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..2048), ext in "[a-z0-9]{0,4}") {
        let _ = sniff_bytes(&bytes, Some(&ext));
        let _ = probe_bytes(&bytes, Some(&ext), &Limits::default());
    }

    #[test]
    fn random_bytes_behind_real_magic_never_panic(
        magic in prop::sample::select(vec![
            &b"\x89PNG\r\n\x1a\n"[..], b"\xFF\xD8\xFF\xE0", b"RIFF\0\0\0\0WEBPVP8 ", b"RIFF\x10\0\0\0WAVEfmt ",
            b"RIFF\x10\0\0\0AVI LIST", b"fLaC", b"OggS\0\x02", b"ID3\x04\0", b"\xFF\xFB\x90\x64",
            b"\0\0\0\x18ftypisom", b"\0\0\0\x18ftypM4A ", b"\x1A\x45\xDF\xA3\x9F\x42\x86\x81\x01webm",
        ]),
        tail in proptest::collection::vec(any::<u8>(), 0..1024),
    ) {
        let mut bytes = magic.to_vec();
        bytes.extend(tail);
        let _ = probe_bytes(&bytes, None, &Limits::default());
    }

    #[test]
    fn mutated_fixtures_never_panic_probe(
        index in 0..FIXTURES.len(),
        edits in proptest::collection::vec((0.0..1.0f64, any::<bool>(), any::<u8>()), 1..12),
        cut in proptest::option::of(0.0..1.0f64),
    ) {
        let bytes = mutate(fixture_bytes(index), &edits, cut);
        let _ = sniff_bytes(&bytes, Some(extension(index)));
        let _ = probe_bytes(&bytes, Some(extension(index)), &Limits::default());
    }
}

proptest! {
    // Import decodes everything (pixels, samples, the first H.264 frame): fewer, costlier cases.
    #![proptest_config(ProptestConfig { cases: 40, ..ProptestConfig::default() })]

    #[test]
    fn mutated_fixtures_never_panic_import(
        index in 0..FIXTURES.len(),
        edits in proptest::collection::vec((0.0..1.0f64, any::<bool>(), any::<u8>()), 1..8),
        cut in proptest::option::of(0.5..1.0f64),
    ) {
        let dir = tempfile::tempdir().expect("tempdir");
        let input = dir.path().join(format!("input.{}", extension(index)));
        std::fs::write(&input, mutate(fixture_bytes(index), &edits, cut)).expect("write");
        let store = AssetStore::new(dir.path().join("store")).expect("store");
        let role = match extension(index) {
            "wav" | "mp3" | "m4a" | "flac" | "ogg" => Role::Audio,
            "mp4" | "mov" | "webm" => Role::MotionVideo,
            _ => Role::Reference,
        };
        let _ = store.import_as(&input, role, &ImportOptions::default());
    }
}

/// Regression (found by cargo-fuzz video_probe): a WebM header that made matroska-demuxer loop
/// forever. It must now end in a typed error, quickly.
#[test]
fn webm_parser_loop_is_bounded() {
    let bytes = include_bytes!("data/webm_parser_loop.webm");
    let start = std::time::Instant::now();
    let err = probe_bytes(bytes, Some("webm"), &Limits::default()).expect_err("malformed");
    assert_eq!(err.code(), "file_corrupt", "{err}");
    assert!(
        start.elapsed() < std::time::Duration::from_secs(20),
        "took {:?}",
        start.elapsed()
    );
}

/// Regression (found by cargo-fuzz video_probe in CI): a WebM header on which matroska-demuxer
/// 0.8 overflows an addition and panics. The probe must answer with a typed error instead.
#[test]
fn webm_demuxer_panic_is_a_corrupt_file_error() {
    let bytes = include_bytes!("data/webm_demuxer_overflow.webm");
    let err = probe_bytes(bytes, Some("webm"), &Limits::default()).expect_err("malformed");
    assert_eq!(err.code(), "file_corrupt", "{err}");
    assert!(err.to_string().contains("failed on this file"), "{err}");
}

/// Regression (found by cargo-fuzz audio_probe): a WAV header with a sample rate of 0 makes
/// symphonia-core panic in `TimeBase::new`. Probing and importing must refuse it with a typed
/// error, not panic.
#[test]
fn wav_with_zero_sample_rate_is_refused_without_a_panic() {
    let bytes = include_bytes!("data/wav_zero_sample_rate.wav");
    let err = probe_bytes(bytes, Some("wav"), &Limits::default()).expect_err("malformed");
    assert_eq!(err.code(), "file_corrupt", "{err}");
    let dir = tempfile::tempdir().expect("tempdir");
    let input = dir.path().join("zero_rate.wav");
    std::fs::write(&input, bytes).expect("write");
    let store = AssetStore::new(dir.path().join("store")).expect("store");
    let err = store
        .import_as(&input, Role::Audio, &ImportOptions::default())
        .expect_err("refused");
    assert_eq!(err.code(), "file_corrupt", "{err}");
}
