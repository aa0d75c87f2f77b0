//! Image sizes per aspect when no template profile decides (CLI `media import --aspect`).
//! Wan 2.2 480p-class sizes, multiples of 16; templates carry their own per-profile sizes.

use animatrix_media::AspectTarget;

use crate::CoreError;

pub fn default_target(aspect: &str) -> Result<AspectTarget, CoreError> {
    let (w, h) = match aspect {
        "9:16" => (480, 832),
        "16:9" => (832, 480),
        "1:1" => (640, 640),
        other => {
            return Err(CoreError::InvalidSetting {
                key: "aspect".into(),
                reason: format!("{other:?} is not one of 9:16, 16:9, 1:1"),
            });
        }
    };
    Ok(AspectTarget::new(w, h)?)
}
