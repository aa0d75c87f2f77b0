#![no_main]
//! Probing bytes that sniff as image never panics (errors are fine).

use animatrix_media::{Limits, MediaKind, probe_bytes, sniff_bytes};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if sniff_bytes(data, None).is_ok_and(|s| s.kind == MediaKind::Image) {
        let _ = probe_bytes(data, None, &Limits::default());
    }
});
