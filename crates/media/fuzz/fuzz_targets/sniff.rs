#![no_main]
//! Sniffing any header never panics.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let _ = animatrix_media::sniff_bytes(data, Some("png"));
});
