//! Every file in ../shared/fixtures (and bad/) with its expected facts or typed error.

mod common;

use common::ImportAs;
use std::path::PathBuf;

use animatrix_common::Explain;
use animatrix_media::{
    AspectTarget, AssetStore, FitMode, ImportOptions, Limits, MediaError, MediaFacts, MediaKind,
    Role, probe, sniff,
};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../../shared/fixtures"
    ))
    .join(name)
}

fn facts(name: &str) -> MediaFacts {
    probe(&fixture(name), &Limits::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn probe_code(name: &str) -> &'static str {
    match probe(&fixture(name), &Limits::default()) {
        Ok(f) => panic!("{name} should be refused, got {f:?}"),
        Err(e) => e.code().as_str(),
    }
}

fn import_err(name: &str, role: Role) -> MediaError {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    match store.import_as(&fixture(name), role, &ImportOptions::default()) {
        Ok(m) => panic!("{name} as {role:?} should be refused, got {m:?}"),
        Err(e) => {
            let leftovers: Vec<_> = walk(dir.path());
            assert!(
                leftovers.is_empty(),
                "refused import left files: {leftovers:?}"
            );
            e
        }
    }
}

fn walk(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).expect("read_dir").flatten() {
        let p = entry.path();
        if p.is_dir() {
            out.extend(walk(&p));
        } else {
            out.push(p);
        }
    }
    out
}

fn approx(actual: Option<f64>, expected: f64, tolerance: f64) {
    let actual = actual.expect("value present");
    assert!(
        (actual - expected).abs() <= tolerance,
        "{actual} != {expected} ± {tolerance}"
    );
}

// ---- good fixtures: facts ----

#[test]
fn character_png() {
    let f = facts("character.png");
    assert_eq!((f.kind, f.mime.as_str()), (MediaKind::Image, "image/png"));
    assert_eq!((f.width, f.height), (Some(768), Some(1344)));
    assert_eq!(f.codec.as_deref(), Some("png"));
    assert!(!f.has_video && !f.has_audio);
}

#[test]
fn character_exif_rotated_is_upright_after_orientation() {
    let f = facts("character_exif_rotated.jpg");
    assert_eq!(f.mime, "image/jpeg");
    assert_eq!((f.width, f.height), (Some(768), Some(1344)));
    assert_eq!(f.rotation, 90);
}

#[test]
fn reference_landscape_webp() {
    let f = facts("reference_landscape.webp");
    assert_eq!(
        (f.mime.as_str(), f.width, f.height),
        ("image/webp", Some(1024), Some(576))
    );
}

#[test]
fn pose_sheet_png() {
    let f = facts("pose_sheet.png");
    assert_eq!((f.width, f.height), (Some(1200), Some(600)));
}

#[test]
fn speech_wav() {
    let f = facts("speech.wav");
    assert_eq!((f.kind, f.mime.as_str()), (MediaKind::Audio, "audio/wav"));
    assert_eq!((f.sample_rate, f.channels), (Some(22050), Some(1)));
    assert_eq!(f.codec.as_deref(), Some("pcm_s16le"));
    approx(f.duration_seconds, 7.489, 0.001);
}

#[test]
fn speech_mp3_gapless_duration_is_exact() {
    let f = facts("speech.mp3");
    assert_eq!(
        (f.mime.as_str(), f.sample_rate, f.channels),
        ("audio/mpeg", Some(44100), Some(2))
    );
    assert_eq!(f.codec.as_deref(), Some("mp3"));
    // ffprobe says 7.52 s including the encoder's delay and padding; gapless gives the real
    // content length, the same line as the WAV.
    approx(f.duration_seconds, 7.489, 0.005);
}

#[test]
fn speech_m4a_uses_edit_list_duration() {
    let f = facts("speech.m4a");
    assert_eq!((f.mime.as_str(), f.sample_rate), ("audio/mp4", Some(48000)));
    assert_eq!(f.codec.as_deref(), Some("aac"));
    approx(f.duration_seconds, 7.489, 0.002);
}

#[test]
fn speech_flac_and_ogg() {
    let flac = facts("speech.flac");
    assert_eq!(
        (flac.mime.as_str(), flac.sample_rate),
        ("audio/flac", Some(22050))
    );
    assert_eq!(flac.codec.as_deref(), Some("flac"));
    approx(flac.duration_seconds, 7.489, 0.001);
    let ogg = facts("speech.ogg");
    assert_eq!(
        (ogg.mime.as_str(), ogg.sample_rate),
        ("audio/ogg", Some(22050))
    );
    assert_eq!(ogg.codec.as_deref(), Some("vorbis"));
    approx(ogg.duration_seconds, 7.489, 0.001);
}

fn assert_motion(f: &MediaFacts, mime: &str, codec: &str) {
    assert_eq!((f.kind, f.mime.as_str()), (MediaKind::Video, mime));
    assert_eq!((f.width, f.height), (Some(480), Some(832)));
    assert_eq!(f.codec.as_deref(), Some(codec));
    assert_eq!(f.frame_count, Some(48));
    approx(f.fps, 16.0, 1e-9);
    approx(f.duration_seconds, 3.0, 0.002);
    assert!(f.has_video);
    assert_eq!(f.rotation, 0);
}

#[test]
fn motion_mp4() {
    let f = facts("motion.mp4");
    assert_motion(&f, "video/mp4", "h264");
    assert!(!f.has_audio);
}

#[test]
fn motion_mov() {
    assert_motion(&facts("motion.mov"), "video/quicktime", "h264");
}

#[test]
fn motion_webm() {
    assert_motion(&facts("motion.webm"), "video/webm", "vp9");
}

#[test]
fn motion_with_audio_mp4() {
    let f = facts("motion_with_audio.mp4");
    assert_motion(&f, "video/mp4", "h264");
    assert!(f.has_audio);
}

#[test]
fn probe_json_has_the_cli_fields() {
    let json = serde_json::to_value(facts("motion.mp4")).expect("json");
    for key in [
        "kind",
        "mime",
        "width",
        "height",
        "duration_seconds",
        "fps",
        "frame_count",
        "sample_rate",
        "channels",
        "codec",
        "has_video",
        "has_audio",
        "rotation",
    ] {
        assert!(json.get(key).is_some(), "missing {key} in {json}");
    }
    assert_eq!(json["kind"], "video");
}

// ---- bad fixtures: typed errors ----

#[test]
fn empty_png_is_file_empty() {
    assert_eq!(probe_code("bad/empty.png"), "file_empty");
    assert_eq!(
        import_err("bad/empty.png", Role::GroundTruth).code(),
        "file_empty"
    );
}

#[test]
fn truncated_png_is_file_truncated() {
    assert_eq!(probe_code("bad/truncated.png"), "file_truncated");
    assert_eq!(
        import_err("bad/truncated.png", Role::Reference).code(),
        "file_truncated"
    );
}

#[test]
fn truncated_mp4_is_file_truncated() {
    assert_eq!(probe_code("bad/truncated.mp4"), "file_truncated");
    assert_eq!(
        import_err("bad/truncated.mp4", Role::MotionVideo).code(),
        "file_truncated"
    );
}

#[test]
fn too_small_png_is_refused_as_ground_truth_only() {
    let f = facts("bad/too_small.png");
    assert_eq!((f.width, f.height), (Some(96), Some(168)));
    let e = import_err("bad/too_small.png", Role::GroundTruth);
    assert_eq!(e.code(), "image_too_small");
    assert!(
        e.explain().message.contains("256"),
        "{}",
        e.explain().message
    );
}

#[test]
fn bomb_png_is_refused_before_decoding() {
    assert_eq!(probe_code("bad/bomb_60000x60000.png"), "image_too_large");
    let e = import_err("bad/bomb_60000x60000.png", Role::GroundTruth);
    assert_eq!(e.code(), "image_too_large");
    assert!(e.explain().message.contains("60000x60000"));
}

#[test]
fn executables_and_text_are_unsupported_type() {
    for name in ["bad/executable_renamed.png", "bad/executable_renamed.wav"] {
        assert_eq!(probe_code(name), "unsupported_type", "{name}");
        let e = import_err(name, Role::Audio);
        assert_eq!(e.code(), "unsupported_type");
        assert!(
            e.explain().message.contains("executable"),
            "{}",
            e.explain().message
        );
    }
    assert_eq!(probe_code("bad/text_renamed.wav"), "unsupported_type");
    let e = import_err("bad/text_renamed.wav", Role::Audio);
    assert!(e.explain().message.contains("text"));
    assert!(
        e.explain().suggestion.contains("WAV"),
        "lists accepted types"
    );
}

#[test]
fn zero_samples_wav_is_audio_empty() {
    assert_eq!(probe_code("bad/zero_samples.wav"), "audio_empty");
    assert_eq!(
        import_err("bad/zero_samples.wav", Role::Audio).code(),
        "audio_empty"
    );
}

#[test]
fn audio_only_mp4_as_motion_video_has_no_video_track() {
    let s = sniff(&fixture("bad/audio_only_renamed.mp4")).expect("sniff");
    assert_eq!((s.kind, s.mime.as_str()), (MediaKind::Audio, "audio/mp4"));
    assert!(
        s.extension_mismatch.is_some(),
        "named .mp4 but audio content"
    );
    let f = facts("bad/audio_only_renamed.mp4");
    assert!(!f.has_video && f.has_audio);
    assert_eq!(
        import_err("bad/audio_only_renamed.mp4", Role::MotionVideo).code(),
        "video_no_video_track"
    );
}

#[test]
fn mpeg4_avi_and_mjpeg_mov_are_video_codec_unsupported() {
    for (name, needle) in [
        ("bad/motion_mpeg4.avi", "MPEG-4"),
        ("bad/motion_mjpeg.mov", "Motion JPEG"),
    ] {
        assert_eq!(probe_code(name), "video_codec_unsupported");
        let e = import_err(name, Role::MotionVideo);
        assert_eq!(e.code(), "video_codec_unsupported");
        let u = e.explain();
        assert!(u.message.contains(needle), "{}", u.message);
        assert!(u.suggestion.contains("H.264"), "{}", u.suggestion);
    }
}

#[test]
fn polyglot_png_is_accepted_only_after_reencoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let original = std::fs::read(fixture("bad/png_with_zip_appended.png")).expect("read");
    let zip_at = original
        .windows(4)
        .position(|w| w == b"PK\x03\x04")
        .expect("fixture holds a zip");
    let m = store
        .import_as(
            &fixture("bad/png_with_zip_appended.png"),
            Role::Reference,
            &ImportOptions::default(),
        )
        .expect("import");
    let stored = std::fs::read(&m.normalized_path).expect("stored");
    assert!(stored.starts_with(b"\x89PNG"));
    assert!(
        !stored.windows(4).any(|w| w == b"PK\x03\x04"),
        "zip signature survived"
    );
    assert!(
        !stored
            .windows(16)
            .any(|w| w == &original[zip_at..zip_at + 16]),
        "zip bytes survived"
    );
    assert!(stored.ends_with(&[0xAE, 0x42, 0x60, 0x82]), "ends at IEND");
}

// ---- role / kind checks ----

#[test]
fn wrong_kind_for_role_is_type_mismatch() {
    let e = import_err("speech.wav", Role::GroundTruth);
    assert_eq!(e.code(), "type_mismatch");
    assert_eq!(
        import_err("character.png", Role::Audio).code(),
        "type_mismatch"
    );
    assert_eq!(
        import_err("motion.mp4", Role::Audio).code(),
        "type_mismatch"
    );
}

#[test]
fn limits_are_enforced_with_the_maximum_in_the_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let opts = ImportOptions {
        max_audio_seconds: Some(5.0),
        ..Default::default()
    };
    let e = store
        .import_as(&fixture("speech.wav"), Role::Audio, &opts)
        .expect_err("too long");
    assert_eq!(e.code(), "audio_too_long");
    assert!(
        e.explain().message.contains("5.0 s"),
        "{}",
        e.explain().message
    );

    let opts = ImportOptions {
        max_video_seconds: Some(2.0),
        ..Default::default()
    };
    let e = store
        .import_as(&fixture("motion.mp4"), Role::MotionVideo, &opts)
        .expect_err("too long");
    assert_eq!(e.code(), "video_too_long");

    let limits = Limits {
        max_image_bytes: 1000,
        ..Default::default()
    };
    let opts = ImportOptions {
        limits,
        ..Default::default()
    };
    let e = store
        .import_as(&fixture("character.png"), Role::GroundTruth, &opts)
        .expect_err("too large");
    assert_eq!(e.code(), "file_too_large");
    assert!(walk(dir.path()).is_empty());
}

#[test]
fn every_error_code_explains_itself() {
    for name in [
        "bad/empty.png",
        "bad/truncated.png",
        "bad/bomb_60000x60000.png",
        "bad/executable_renamed.png",
        "bad/text_renamed.wav",
        "bad/zero_samples.wav",
        "bad/motion_mpeg4.avi",
        "bad/motion_mjpeg.mov",
        "bad/truncated.mp4",
    ] {
        let e = probe(&fixture(name), &Limits::default()).expect_err(name);
        let u = e.explain();
        assert_eq!(u.code, e.code());
        assert!(
            !u.message.is_empty() && !u.suggestion.is_empty() && !u.detail.is_empty(),
            "{name}: {u:?}"
        );
    }
}

// ---- imports: normalized outputs ----

#[test]
fn exif_rotated_jpeg_is_stored_upright_and_fitted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let plain = store
        .import_as(
            &fixture("character_exif_rotated.jpg"),
            Role::GroundTruth,
            &ImportOptions::default(),
        )
        .expect("import");
    assert_eq!(
        (plain.normalized_facts.width, plain.normalized_facts.height),
        (Some(768), Some(1344))
    );
    let img = image::open(&plain.normalized_path).expect("png");
    assert_eq!((img.width(), img.height()), (768, 1344));

    for fit in [FitMode::Crop, FitMode::Pad] {
        let opts = ImportOptions {
            target: Some(AspectTarget::new(480, 832).expect("target")),
            fit,
            ..Default::default()
        };
        let m = store
            .import_as(
                &fixture("character_exif_rotated.jpg"),
                Role::GroundTruth,
                &opts,
            )
            .expect("import");
        let img = image::open(&m.normalized_path).expect("png");
        assert_eq!((img.width(), img.height()), (480, 832), "{fit:?}");
        let thumb = image::open(m.thumbnail_path.as_ref().expect("thumb")).expect("jpeg");
        assert_eq!(thumb.width().max(thumb.height()), 256);
        assert_eq!(m.facts.width, Some(768), "facts are of the original");
    }
}

#[test]
fn pad_keeps_the_whole_picture_and_crop_fills_the_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let target = AspectTarget::new(512, 512).expect("target");
    let pad = store
        .import_as(
            &fixture("pose_sheet.png"),
            Role::PoseSheet,
            &ImportOptions {
                target: Some(target),
                fit: FitMode::Pad,
                ..Default::default()
            },
        )
        .expect("pad");
    let img = image::open(&pad.normalized_path).expect("png").to_rgb8();
    // 1200x600 into 512x512: 512x256 picture, 128 px black bars top and bottom.
    assert_eq!(img.get_pixel(256, 10).0, [0, 0, 0]);
    assert_eq!(img.get_pixel(256, 500).0, [0, 0, 0]);
    let crop = store
        .import_as(
            &fixture("pose_sheet.png"),
            Role::PoseSheet,
            &ImportOptions {
                target: Some(target),
                fit: FitMode::Crop,
                ..Default::default()
            },
        )
        .expect("crop");
    assert_ne!(crop.sha256, pad.sha256);
    assert!(AspectTarget::new(500, 512).is_err(), "multiples of 16 only");
    assert_eq!(
        "832x480".parse::<AspectTarget>().expect("parse"),
        AspectTarget::new(832, 480).expect("new")
    );
    for bad in ["832", "832x", "x480", "830x480", "0x0", "9:16"] {
        assert_eq!(
            bad.parse::<AspectTarget>().expect_err(bad).code(),
            "invalid_option",
            "{bad}"
        );
    }
}

#[test]
fn webp_reference_is_stored_as_png() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let m = store
        .import_as(
            &fixture("reference_landscape.webp"),
            Role::Reference,
            &ImportOptions::default(),
        )
        .expect("import");
    assert_eq!(m.mime, "image/png");
    assert!(m.normalized_path.extension().is_some_and(|e| e == "png"));
    assert_eq!(m.original_name, "reference_landscape.webp");
}

#[test]
fn reimport_is_deduplicated_and_content_addressed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let first = store
        .import_as(
            &fixture("character.png"),
            Role::GroundTruth,
            &ImportOptions::default(),
        )
        .expect("first");
    assert!(!first.deduplicated);
    let modified = std::fs::metadata(&first.normalized_path)
        .expect("meta")
        .modified()
        .expect("mtime");
    let again = store
        .import_as(
            &fixture("character.png"),
            Role::GroundTruth,
            &ImportOptions::default(),
        )
        .expect("again");
    assert!(again.deduplicated);
    assert_eq!(first.normalized_path, again.normalized_path);
    assert_eq!(
        std::fs::metadata(&again.normalized_path)
            .expect("meta")
            .modified()
            .expect("mtime"),
        modified,
        "not rewritten"
    );
    // Path = root/<first two hex>/<sha256>.png, and the hash is of the stored bytes.
    let rel = first
        .normalized_path
        .strip_prefix(dir.path())
        .expect("under root");
    assert_eq!(
        rel,
        std::path::Path::new(&first.sha256[..2]).join(format!("{}.png", first.sha256))
    );
    use sha2::Digest;
    let bytes = std::fs::read(&first.normalized_path).expect("read");
    let hex: String = sha2::Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(hex, first.sha256);
    assert_eq!(first.size, bytes.len() as u64);
    // No temporary files remain.
    assert!(
        walk(dir.path())
            .iter()
            .all(|p| !p.to_string_lossy().contains(".incoming-"))
    );
}

/// The spec and the samples (interleaved, as i32 whatever the depth).
fn read_wav(path: &std::path::Path) -> (hound::WavSpec, Vec<i32>) {
    let mut r = hound::WavReader::open(path).expect("wav");
    let spec = r.spec();
    let samples = r
        .samples::<i32>()
        .collect::<Result<Vec<_>, _>>()
        .expect("samples");
    (spec, samples)
}

/// The stored WAV keeps the user's sound: the source's rate (up to 48 kHz), its stereo, and
/// 16-bit depth for 16-bit and lossy sources (the delivered video carries this audio; ComfyUI
/// resamples to 16 kHz for the model by itself).
#[test]
fn every_audio_format_keeps_its_rate_and_channels_losslessly() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    for (name, seconds) in [
        ("speech.wav", 7.489),
        ("speech.mp3", 7.489),
        ("speech.m4a", 7.489),
        ("speech.flac", 7.489),
        ("speech.ogg", 7.489),
        ("song_48k_stereo.flac", 10.0),
    ] {
        let m = store
            .import_as(&fixture(name), Role::Audio, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let source_rate = m.facts.sample_rate.expect("source rate");
        let source_channels = m.facts.channels.expect("source channels");
        let (spec, samples) = read_wav(&m.normalized_path);
        assert_eq!(
            (spec.sample_rate, spec.channels, spec.sample_format),
            (
                source_rate.min(48_000),
                if source_channels == 2 { 2 } else { 1 },
                hound::SampleFormat::Int
            ),
            "{name}"
        );
        assert!([16, 24].contains(&spec.bits_per_sample), "{name}");
        let frames = samples.len() / usize::from(spec.channels);
        let stored = frames as f64 / f64::from(spec.sample_rate);
        assert!((stored - seconds).abs() < 0.03, "{name}: {stored} s");
        let probed = m.facts.duration_seconds.expect("duration");
        assert!(
            (stored - probed).abs() < 0.03,
            "{name}: stored {stored} vs probed {probed}"
        );
        let waveform = m.waveform.as_ref().expect("waveform");
        assert_eq!(waveform.len(), 200);
        assert!(waveform.iter().all(|p| (0.0..=1.0).contains(p)));
        assert!(waveform.iter().any(|p| *p > 0.1), "{name}: has peaks");
        assert_eq!(m.mime, "audio/wav");
        assert_eq!(m.normalized_facts.sample_rate, Some(spec.sample_rate));
        assert_eq!(m.normalized_facts.channels, Some(spec.channels));
    }
    // The 48 kHz stereo song is kept bit for bit in rate and channels.
    let song = store
        .import_as(
            &fixture("song_48k_stereo.flac"),
            Role::Audio,
            &ImportOptions::default(),
        )
        .expect("song");
    assert_eq!(
        (
            song.normalized_facts.sample_rate,
            song.normalized_facts.channels
        ),
        (Some(48_000), Some(2))
    );
}

/// A 96 kHz 24-bit stereo master comes back at 48 kHz, stereo, 24-bit, its length and its
/// left/right difference kept.
#[test]
fn a_studio_master_is_resampled_to_48k_keeping_depth_and_stereo() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path().join("store")).expect("store");
    let master = dir.path().join("master.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 96_000,
        bits_per_sample: 24,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(&master, spec).expect("create");
    for i in 0..96_000 * 2 {
        let t = i as f32 / 96_000.0;
        let tone = (t * 440.0 * std::f32::consts::TAU).sin() * 0.5 * 8_388_607.0;
        w.write_sample(tone as i32).expect("l");
        w.write_sample(0i32).expect("r: silent right channel");
    }
    w.finalize().expect("finalize");
    let m = store
        .import_as(&master, Role::Audio, &ImportOptions::default())
        .expect("master");
    let (spec, samples) = read_wav(&m.normalized_path);
    assert_eq!(
        (spec.sample_rate, spec.channels, spec.bits_per_sample),
        (48_000, 2, 24)
    );
    let frames = samples.len() / 2;
    assert!((frames as f64 / 48_000.0 - 2.0).abs() < 0.01, "{frames}");
    let left_peak = samples.iter().step_by(2).map(|s| s.abs()).max().expect("l");
    let right_peak = samples
        .iter()
        .skip(1)
        .step_by(2)
        .map(|s| s.abs())
        .max()
        .expect("r");
    assert!(left_peak > 4_000_000, "left keeps its level: {left_peak}");
    assert!(right_peak < 1_000, "right stays silent: {right_peak}");
}

fn write_tone_wav(path: &std::path::Path, amplitude: f32, seconds: f32) {
    write_tone_wav_hz(path, amplitude, seconds, 440.0);
}

fn write_tone_wav_hz(path: &std::path::Path, amplitude: f32, seconds: f32, hz: f32) {
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("create");
    let n = (44_100.0 * seconds) as usize;
    for i in 0..n {
        let s =
            (amplitude * (i as f32 * hz * std::f32::consts::TAU / 44_100.0).sin() * 32767.0) as i16;
        w.write_sample(s).expect("l");
        w.write_sample(s).expect("r");
    }
    w.finalize().expect("finalize");
}

#[test]
fn quiet_audio_is_peak_normalized_and_silence_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path().join("store")).expect("store");
    let quiet = dir.path().join("quiet.wav");
    write_tone_wav(&quiet, 0.02, 1.0);
    let m = store
        .import_as(&quiet, Role::Audio, &ImportOptions::default())
        .expect("quiet");
    let (_, samples) = read_wav(&m.normalized_path);
    let peak = samples.iter().map(|s| s.abs()).max().expect("samples");
    assert!(peak > 25_000, "raised to about -1 dBFS, got {peak}");
    assert!(
        m.warnings.iter().any(|w| w.contains("quiet")),
        "{:?}",
        m.warnings
    );
    // The 44.1 kHz stereo tone stays 44.1 kHz stereo: one second of frames.
    assert!((samples.len() as f64 / 2.0 / 44_100.0 - 1.0).abs() < 0.01);

    let silent = dir.path().join("silent.wav");
    write_tone_wav(&silent, 0.0, 1.0);
    let e = store
        .import_as(&silent, Role::Audio, &ImportOptions::default())
        .expect_err("silent");
    assert_eq!(e.code(), "audio_silent");
}

#[test]
fn h264_videos_are_stored_as_is_with_a_first_frame() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    for (name, ext) in [
        ("motion.mp4", "mp4"),
        ("motion.mov", "mov"),
        ("motion_with_audio.mp4", "mp4"),
    ] {
        let m = store
            .import_as(&fixture(name), Role::MotionVideo, &ImportOptions::default())
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            std::fs::read(&m.normalized_path).expect("stored"),
            std::fs::read(fixture(name)).expect("orig")
        );
        assert!(m.normalized_path.extension().is_some_and(|e| e == ext));
        let first = image::open(m.first_frame_path.as_ref().expect("first frame")).expect("png");
        assert_eq!((first.width(), first.height()), (480, 832), "{name}");
        // The fixture draws a blue body on a light grey background (checked against ffmpeg's
        // decode of the same frame: RMSE 0.5 %).
        let rgb = first.to_rgb8();
        let near = |p: [u8; 3], q: [u8; 3]| p.iter().zip(q).all(|(a, b)| a.abs_diff(b) <= 12);
        assert!(
            near(rgb.get_pixel(240, 400).0, [44, 94, 170]),
            "{name}: body {:?}",
            rgb.get_pixel(240, 400)
        );
        assert!(
            near(rgb.get_pixel(10, 10).0, [230, 233, 238]),
            "{name}: background {:?}",
            rgb.get_pixel(10, 10)
        );
        let thumb = image::open(m.thumbnail_path.as_ref().expect("thumb")).expect("jpeg");
        assert_eq!(thumb.height(), 256);
        assert_eq!(m.facts.frame_count, Some(48));
    }
}

#[test]
fn vp9_webm_validates_without_preview() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path()).expect("store");
    let m = store
        .import_as(
            &fixture("motion.webm"),
            Role::MotionVideo,
            &ImportOptions::default(),
        )
        .expect("webm imports");
    assert!(m.thumbnail_path.is_none() && m.first_frame_path.is_none());
    assert!(
        m.warnings.iter().any(|w| w.contains("preview")),
        "{:?}",
        m.warnings
    );
    assert_eq!(m.mime, "video/webm");
    assert!(m.normalized_path.extension().is_some_and(|e| e == "webm"));
}

#[test]
fn role_names_round_trip() {
    for role in Role::ALL {
        assert_eq!(role.as_str().parse::<Role>().expect("parse"), role);
        assert_eq!(serde_json::to_value(role).expect("json"), role.as_str());
    }
    assert_eq!(
        "selfie".parse::<Role>().expect_err("unknown").code(),
        "invalid_option"
    );
}

#[test]
fn resampling_keeps_pitch_and_removes_what_48k_cannot_hold() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store = AssetStore::new(dir.path().join("store")).expect("store");
    let tone = dir.path().join("a440.wav");
    write_tone_wav_hz(&tone, 0.5, 1.0, 440.0);
    let m = store
        .import_as(&tone, Role::Audio, &ImportOptions::default())
        .expect("tone");
    let (spec, samples) = read_wav(&m.normalized_path);
    assert_eq!((spec.sample_rate, spec.channels), (44_100, 2), "kept as is");
    let left: Vec<i32> = samples.iter().step_by(2).copied().collect();
    let crossings = left.windows(2).filter(|w| (w[0] < 0) != (w[1] < 0)).count();
    assert!(
        (870..=890).contains(&crossings),
        "440 Hz over 1 s crosses zero ~880 times, got {crossings}"
    );
    assert!((m.normalized_facts.duration_seconds.expect("d") - 1.0).abs() < 0.001);

    // 30 kHz (in a 96 kHz master) is above the 24 kHz Nyquist limit of 48 kHz audio: a proper
    // resampler filters it out instead of folding it back as an 18 kHz alias.
    let loud = dir.path().join("mix.wav");
    {
        let spec = hound::WavSpec {
            channels: 1,
            sample_rate: 96_000,
            bits_per_sample: 16,
            sample_format: hound::SampleFormat::Int,
        };
        // Mixed with an audible 440 Hz tone so the file is not refused as silent.
        let mut w = hound::WavWriter::create(&loud, spec).expect("create");
        for i in 0..96_000 {
            let t = i as f32 / 96_000.0;
            let s = 0.4 * (t * 30_000.0 * std::f32::consts::TAU).sin()
                + 0.2 * (t * 440.0 * std::f32::consts::TAU).sin();
            w.write_sample((s * 32767.0) as i16).expect("sample");
        }
        w.finalize().expect("finalize");
    }
    let m = store
        .import_as(&loud, Role::Audio, &ImportOptions::default())
        .expect("mix");
    let (spec, samples) = read_wav(&m.normalized_path);
    assert_eq!(spec.sample_rate, 48_000);
    let peak = samples[1000..47_000]
        .iter()
        .map(|s| s.abs())
        .max()
        .expect("samples");
    // Only the 0.2-amplitude 440 Hz part survives (peak ~6550); an alias would add up to 0.4.
    assert!(peak < 8_000, "30 kHz leaked through: peak {peak}");
}

#[test]
fn rotated_mp4_reports_display_size_and_rotates_the_first_frame() {
    // motion.mp4 with its track header's display matrix set to a 90-degree rotation, as phones
    // write portrait videos.
    let mut bytes = std::fs::read(fixture("motion.mp4")).expect("read");
    let tkhd = bytes.windows(4).position(|w| w == b"tkhd").expect("tkhd") + 4;
    assert_eq!(bytes[tkhd], 0, "version 0 tkhd");
    let matrix = tkhd + 40;
    for (i, v) in [0i32, 0x10000, 0, -0x10000, 0].iter().enumerate() {
        bytes[matrix + i * 4..matrix + i * 4 + 4].copy_from_slice(&v.to_be_bytes());
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("rotated.mp4");
    std::fs::write(&path, &bytes).expect("write");
    let f = probe(&path, &Limits::default()).expect("probe");
    assert_eq!((f.width, f.height, f.rotation), (Some(832), Some(480), 90));
    let store = AssetStore::new(dir.path().join("store")).expect("store");
    let m = store
        .import_as(&path, Role::MotionVideo, &ImportOptions::default())
        .expect("import");
    let first = image::open(m.first_frame_path.as_ref().expect("first")).expect("png");
    assert_eq!((first.width(), first.height()), (832, 480));
}
