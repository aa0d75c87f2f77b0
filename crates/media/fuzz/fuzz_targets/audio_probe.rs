#![no_main]
//! Probing bytes that sniff as audio never panics out of the probe (errors are fine); audio the
//! probe accepts (up to a few seconds) is also normalized, the path where a hostile header once
//! sized the resampler from an absurd sample rate and hung with memory growing without bound.
//! libFuzzer's `-timeout` and `-rss_limit_mb` (see scripts/fuzz-media.sh) turn such a case into
//! a reported crash.
//!
//! The probe turns panics inside symphonia into a "corrupt" error (`guard.rs`). libfuzzer-sys
//! installs a panic hook that aborts on every panic, even a caught one, so the default hook is
//! put back: a panic that escapes the probe still reaches libfuzzer-sys's own catch and is
//! reported as a crash.

use animatrix_media::{Limits, MediaKind, pipeline, probe_bytes, sniff_bytes};
use libfuzzer_sys::fuzz_target;

static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();

/// Longest probed duration worth normalizing per input (keeps each run in milliseconds).
const NORMALIZE_MAX_SECONDS: f64 = 5.0;

fuzz_target!(|data: &[u8]| {
    // `take_hook` unregisters the fuzzer's hook and leaves the default one in its place.
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    if !sniff_bytes(data, None).is_ok_and(|s| s.kind == MediaKind::Audio) {
        return;
    }
    let Ok(facts) = probe_bytes(data, None, &Limits::default()) else {
        return;
    };
    if facts
        .duration_seconds
        .is_some_and(|d| d <= NORMALIZE_MAX_SECONDS)
    {
        let dir = std::env::temp_dir();
        let input = dir.join(format!("audio-fuzz-{}.in", std::process::id()));
        let output = dir.join(format!("audio-fuzz-{}.wav", std::process::id()));
        if std::fs::write(&input, data).is_ok() {
            let _ = pipeline::normalize_audio_file(&input, &output, NORMALIZE_MAX_SECONDS);
        }
        let _ = std::fs::remove_file(&input);
        let _ = std::fs::remove_file(&output);
    }
});
