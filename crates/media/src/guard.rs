//! Third-party parsers still panic on some hostile inputs, as fuzzing keeps finding
//! (symphonia-core 0.5: `TimeBase::new` on a zero rate; matroska-demuxer 0.8: an integer
//! overflow on a crafted header). They hold no state of ours, so a panic inside one only means
//! "this file is malformed": it becomes a typed `file_corrupt` error instead of taking down the
//! import (and, in the app, the command that runs it).

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::error::MediaError;

/// Runs `parse`; a panic inside it is reported as a corrupt `what`.
pub(crate) fn contain_panics<T>(
    what: &str,
    parse: impl FnOnce() -> Result<T, MediaError>,
) -> Result<T, MediaError> {
    catch_unwind(AssertUnwindSafe(parse)).unwrap_or_else(|panic| {
        let why = panic
            .downcast_ref::<&str>()
            .map(|s| (*s).to_string())
            .or_else(|| panic.downcast_ref::<String>().cloned())
            .unwrap_or_default();
        Err(MediaError::corrupt(format!(
            "{what}: the decoder failed on this file ({why})"
        )))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_a_corrupt_error_and_results_pass_through() {
        let err = contain_panics::<()>("webm", || panic!("attempt to add with overflow"))
            .expect_err("caught");
        assert_eq!(err.code(), "file_corrupt");
        assert!(err.to_string().contains("overflow"), "{err}");
        assert_eq!(contain_panics("wav", || Ok(7)).expect("ok"), 7);
    }
}
