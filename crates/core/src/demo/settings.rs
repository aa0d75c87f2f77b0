//! Demo settings: the demo-mode toggle and the performance pace, in the settings table.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::play::Pace;
use crate::store::settings;
use crate::{CoreError, Studio};

pub const DEMO_MODE_KEY: &str = "demo_mode";
pub const DEMO_PACE_KEY: &str = "demo_pace_seconds";
/// Set once the embedded sample pack was imported (or deliberately skipped).
pub const SAMPLE_IMPORTED_KEY: &str = "sample_pack_imported";
/// The longest compressed performance accepted (an hour: longer is "real time").
pub const MAX_PACE_SECONDS: u32 = 3600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, specta::Type)]
pub struct DemoSettings {
    /// Generate performs demo runs instead of contacting a server.
    pub demo_mode: bool,
    /// Compress performances to this many seconds; `None` plays at the recorded pace.
    pub demo_pace_seconds: Option<u32>,
}

impl DemoSettings {
    pub fn pace(&self) -> Pace {
        match self.demo_pace_seconds {
            Some(s) => Pace::CompressedTo(Duration::from_secs(u64::from(s))),
            None => Pace::RealTime,
        }
    }
}

/// The current demo settings (defaults on a fresh install: off, real time).
pub fn get(studio: &Studio) -> Result<DemoSettings, CoreError> {
    studio.db().read_blocking(|db| {
        Ok(DemoSettings {
            demo_mode: settings::get::<bool>(db, DEMO_MODE_KEY)?.unwrap_or(false),
            demo_pace_seconds: settings::get::<Option<u32>>(db, DEMO_PACE_KEY)?.flatten(),
        })
    })
}

pub fn set_demo_mode(studio: &Studio, on: bool) -> Result<(), CoreError> {
    studio
        .db()
        .write_blocking(|db| settings::set(db, DEMO_MODE_KEY, &on))
}

/// `None` = real time; otherwise 1..=3600 seconds.
pub fn set_demo_pace(studio: &Studio, seconds: Option<u32>) -> Result<(), CoreError> {
    if let Some(s) = seconds
        && !(1..=MAX_PACE_SECONDS).contains(&s)
    {
        return Err(CoreError::InvalidSetting {
            key: DEMO_PACE_KEY.into(),
            reason: format!("use 1 to {MAX_PACE_SECONDS} seconds, or real time"),
        });
    }
    studio
        .db()
        .write_blocking(|db| settings::set(db, DEMO_PACE_KEY, &seconds))
}

/// Both at once (what the settings screen saves).
pub fn set(studio: &Studio, value: &DemoSettings) -> Result<(), CoreError> {
    set_demo_pace(studio, value.demo_pace_seconds)?;
    set_demo_mode(studio, value.demo_mode)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_round_trip_and_validation() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = Studio::open(dir.path().to_path_buf()).expect("open");
        assert_eq!(get(&s).expect("get"), DemoSettings::default());
        assert_eq!(get(&s).expect("get").pace(), Pace::RealTime);
        set(
            &s,
            &DemoSettings {
                demo_mode: true,
                demo_pace_seconds: Some(20),
            },
        )
        .expect("set");
        let got = get(&s).expect("get");
        assert!(got.demo_mode);
        assert_eq!(got.pace(), Pace::CompressedTo(Duration::from_secs(20)));
        set_demo_pace(&s, None).expect("real time");
        assert_eq!(get(&s).expect("get").demo_pace_seconds, None);
        for bad in [0, MAX_PACE_SECONDS + 1] {
            assert!(matches!(
                set_demo_pace(&s, Some(bad)),
                Err(CoreError::InvalidSetting { .. })
            ));
        }
        assert_eq!(
            get(&s).expect("get").demo_pace_seconds,
            None,
            "refused values are not stored"
        );
    }
}
