//! Share-link lifetimes as people type them: `90s`, `30m`, `24h`, `7d`.

use std::time::Duration;

use crate::{MAX_LINK_EXPIRY, StorageError};

/// Parses `<number><s|m|h|d>` (a bare number is seconds) into a lifetime between 1 s and the
/// 7-day SigV4 limit.
pub fn parse_expiry(text: &str) -> Result<Duration, StorageError> {
    let text = text.trim();
    let bad = |reason: &str| StorageError::InvalidTarget {
        field: "expiry",
        reason: format!("{text:?}: {reason}"),
    };
    let (digits, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| bad("give a number and a unit, e.g. 24h"))?;
    let secs = match unit {
        "s" => Some(n),
        "m" => n.checked_mul(60),
        "h" => n.checked_mul(3600),
        "d" => n.checked_mul(86_400),
        _ => return Err(bad("the unit is s, m, h or d")),
    }
    .ok_or_else(|| bad("too long"))?;
    let d = Duration::from_secs(secs);
    if d.is_zero() || d > MAX_LINK_EXPIRY {
        return Err(bad("a share link lasts between 1 second and 7 days"));
    }
    Ok(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn units_and_limits() {
        assert_eq!(
            parse_expiry("24h").expect("ok"),
            Duration::from_secs(86_400)
        );
        assert_eq!(parse_expiry("90").expect("ok"), Duration::from_secs(90));
        assert_eq!(parse_expiry("7d").expect("ok"), MAX_LINK_EXPIRY);
        for bad in ["", "0s", "8d", "1w", "h", "-1h", "99999999999999999999d"] {
            assert!(parse_expiry(bad).is_err(), "{bad}");
        }
    }
}
