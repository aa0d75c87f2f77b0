#![no_main]
//! Probing bytes that sniff as video never panics out of the probe (errors are fine).
//!
//! The probe turns panics inside the third-party WebM demuxer into a "corrupt" error
//! (`guard.rs`). libfuzzer-sys installs a panic hook that aborts on every panic, even a
//! caught one, so the default hook is put back: a panic that escapes the probe still reaches
//! libfuzzer-sys's own catch and is reported as a crash.

use animatrix_media::{Limits, MediaKind, probe_bytes, sniff_bytes};
use libfuzzer_sys::fuzz_target;

static DEFAULT_HOOK: std::sync::Once = std::sync::Once::new();

fuzz_target!(|data: &[u8]| {
    // `take_hook` unregisters the fuzzer's hook and leaves the default one in its place.
    DEFAULT_HOOK.call_once(|| drop(std::panic::take_hook()));
    if sniff_bytes(data, None).is_ok_and(|s| s.kind == MediaKind::Video) {
        let _ = probe_bytes(data, None, &Limits::default());
    }
});
