//! Times and durations as the user writes them: `--since`/`--until`
//! bounds, config and flag durations, and the RFC 3339 form errscope prints.
//! (Times inside log lines are `extract::timestamp`'s.)

use std::time::Duration;

use jiff::tz::TimeZone;
use jiff::Timestamp;

use crate::extract::timestamp::{epoch_from_decimal, from_str};

const NANOS_PER_SEC: u128 = 1_000_000_000;

/// RFC 3339 in UTC, to the second; empty when unknown.
pub fn rfc3339(time: Option<Timestamp>) -> String {
    time.map(|t| t.strftime("%Y-%m-%dT%H:%M:%SZ").to_string())
        .unwrap_or_default()
}

/// Errors from parsing user-supplied bounds and durations.
#[derive(Debug, thiserror::Error)]
pub enum TimeError {
    /// A `--since`/`--until` value that is neither a date/time nor an age.
    #[error(
        "invalid time bound `{text}`: {reason}; accepted: RFC 3339 (2026-11-20T10:00:00Z), \
         a date (2026-11-20), 2026-11-20T10:00 or 2026-11-20 10:00:00 (UTC unless an offset \
         is given), epoch seconds (10 digits) or millis (13 digits), `now`, \
         or an age like 90s, 15m, 24h, 7d"
    )]
    InvalidBound { text: String, reason: String },
    /// A duration that does not parse.
    #[error(
        "invalid duration `{text}`: {reason}; accepted: a number and a unit \
         (ms, s, m, h, d, w; also us, ns), like 500ms, 90s, 5m, 24h, 7d, or a sum like 1h30m"
    )]
    InvalidDuration { text: String, reason: String },
    /// A bound that parses but falls outside jiff's range (years -9999..=9999).
    #[error("time bound `{text}` is outside the supported range (years -9999 to 9999)")]
    OutOfRange { text: String },
}

/// Parses a user's --since/--until bound: RFC 3339, `2026-11-20`, `2026-11-20T10:00` (UTC), `2026-11-20 10:00:00`, or a relative age like `90s`, `15m`, `24h`, `7d` meaning now minus that.
///
/// Also `now`, and epoch seconds/millis as exactly 10/13 digits. Any other
/// bare number is refused: `--since 5` is more likely a missing unit than 1970.
/// A date alone means midnight UTC at its start.
pub fn parse_bound(text: &str, now: Timestamp) -> Result<Timestamp, TimeError> {
    let t = text.trim();
    let bad = |reason: String| TimeError::InvalidBound {
        text: text.to_owned(),
        reason,
    };
    let out_of_range = || TimeError::OutOfRange {
        text: text.to_owned(),
    };
    if t.is_empty() {
        return Err(bad("it is empty".to_owned()));
    }
    if t.eq_ignore_ascii_case("now") {
        return Ok(now);
    }
    let b = t.as_bytes();
    if b.iter().all(|&x| x.is_ascii_digit() || x == b'.') {
        if matches!(b.len(), 10 | 13) && b.iter().all(u8::is_ascii_digit) {
            return epoch_from_decimal(b).ok_or_else(out_of_range);
        }
        return Err(bad(
            "a bare number needs a unit (like 15m), or must be epoch seconds (10 digits) or millis (13 digits)"
                .to_owned(),
        ));
    }
    let year = TimeZone::UTC.to_datetime(now).year();
    if let Some(ts) = from_str(t, year) {
        return Ok(ts);
    }
    match parse_duration(t) {
        Ok(age) => now.checked_sub(age).map_err(|_| out_of_range()),
        // Only blame the age syntax when the text looks like one (`7x`, `1.2.3h`).
        Err(TimeError::InvalidDuration { reason, .. }) if looks_like_age(b) => {
            Err(bad(format!("as an age, {reason}")))
        }
        Err(_) => Err(bad("not a recognised date, time or age".to_owned())),
    }
}

/// Parses a duration like `90s`, `5m`, `24h`, `7d`, `500ms` into std::time::Duration (used by config keys and --interval).
///
/// Units are case-insensitive and may be spelled out (`5 min`, `2 hours`);
/// parts add up (`1h30m`, `1h 30m`); numbers may have a fraction (`1.5h`).
/// A number without a unit is an error, as is a negative one.
pub fn parse_duration(text: &str) -> Result<Duration, TimeError> {
    let err = |reason: String| TimeError::InvalidDuration {
        text: text.to_owned(),
        reason,
    };
    let too_large = || err("it is too large".to_owned());
    let mut rest = text.trim();
    if rest.is_empty() {
        return Err(err("it is empty".to_owned()));
    }
    let mut total: u128 = 0;
    while !rest.is_empty() {
        let num_len = rest
            .bytes()
            .take_while(|&b| b.is_ascii_digit() || b == b'.')
            .count();
        let (num, after) = rest.split_at(num_len);
        if num.is_empty() {
            return Err(err(if rest.starts_with('-') {
                "negative durations are not allowed".to_owned()
            } else {
                format!("expected a number at `{rest}`")
            }));
        }
        let after = after.trim_start();
        let unit_len = after
            .char_indices()
            .find(|&(_, ch)| !ch.is_alphabetic())
            .map_or(after.len(), |(i, _)| i);
        let (unit, after) = after.split_at(unit_len);
        if unit.is_empty() {
            return Err(err(format!("`{num}` has no unit")));
        }
        let unit_ns = unit_nanos(unit).ok_or_else(|| err(format!("unknown unit `{unit}`")))?;
        let part = scaled_decimal(num, unit_ns).ok_or_else(|| {
            if num.bytes().filter(|&b| b == b'.').count() > 1 || num == "." {
                err(format!("`{num}` is not a number"))
            } else {
                too_large()
            }
        })?;
        total = total.checked_add(part).ok_or_else(too_large)?;
        rest = after.trim_start();
    }
    let secs = u64::try_from(total / NANOS_PER_SEC).map_err(|_| too_large())?;
    let nanos = u32::try_from(total % NANOS_PER_SEC).map_err(|_| too_large())?;
    Ok(Duration::new(secs, nanos))
}

/// Nanoseconds in one of the accepted duration units.
fn unit_nanos(unit: &str) -> Option<u128> {
    const S: u128 = NANOS_PER_SEC;
    Some(match unit.to_lowercase().as_str() {
        "ns" | "nsec" | "nanos" => 1,
        "us" | "µs" | "μs" | "usec" | "micros" => 1_000,
        "ms" | "msec" | "millis" => 1_000_000,
        "s" | "sec" | "secs" | "second" | "seconds" => S,
        "m" | "min" | "mins" | "minute" | "minutes" => 60 * S,
        "h" | "hr" | "hrs" | "hour" | "hours" => 3_600 * S,
        "d" | "day" | "days" => 86_400 * S,
        "w" | "wk" | "week" | "weeks" => 7 * 86_400 * S,
        _ => return None,
    })
}

/// `num` (digits with at most one `.`) times `unit`, exactly, in integers;
/// fraction digits past 18 are dropped as they cannot matter at ns precision.
fn scaled_decimal(num: &str, unit: u128) -> Option<u128> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let mut whole: u128 = 0;
    for d in int.bytes() {
        whole = whole.checked_mul(10)?.checked_add(u128::from(d - b'0'))?;
    }
    let (mut part, mut div) = (0u128, 1u128);
    for d in frac.bytes().take(18) {
        part = part * 10 + u128::from(d - b'0');
        div *= 10;
    }
    whole
        .checked_mul(unit)?
        .checked_add(part.checked_mul(unit)? / div)
}

/// Whether a failed bound was probably meant as an age, so the duration error is the useful one.
fn looks_like_age(b: &[u8]) -> bool {
    b.first().is_some_and(u8::is_ascii_digit)
        && b.last().is_some_and(|x| x.is_ascii_alphabetic())
        && !b.iter().any(|x| matches!(x, b'-' | b':' | b'/' | b'+'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn now() -> Timestamp {
        ts("2026-11-20T12:00:00Z")
    }

    // --- parse_bound ---

    #[test]
    fn bound_absolute() {
        let n = now();
        assert_eq!(
            parse_bound("2026-11-20T10:00:00Z", n).unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-20T10:00:00+02:00", n).unwrap(),
            ts("2026-11-20T08:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-20", n).unwrap(),
            ts("2026-11-20T00:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-20T10:00", n).unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
        assert_eq!(
            parse_bound("2026-11-20 10:00:00", n).unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
        assert_eq!(
            parse_bound(" 2026-11-20 10:00 ", n).unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
        assert_eq!(
            parse_bound("1763633702", n).unwrap(),
            ts("2025-11-20T10:15:02Z")
        );
        assert_eq!(
            parse_bound("1763633702123", n).unwrap(),
            ts("2025-11-20T10:15:02.123Z")
        );
        assert_eq!(parse_bound("now", n).unwrap(), n);
        // Yearless syslog stamps take the year of `now`.
        assert_eq!(
            parse_bound("Nov 20 10:00:00", n).unwrap(),
            ts("2026-11-20T10:00:00Z")
        );
    }

    #[test]
    fn bound_relative() {
        let n = now();
        assert_eq!(parse_bound("90s", n).unwrap(), ts("2026-11-20T11:58:30Z"));
        assert_eq!(parse_bound("15m", n).unwrap(), ts("2026-11-20T11:45:00Z"));
        assert_eq!(parse_bound("24h", n).unwrap(), ts("2026-11-19T12:00:00Z"));
        assert_eq!(parse_bound("7d", n).unwrap(), ts("2026-11-13T12:00:00Z"));
        assert_eq!(parse_bound("1h30m", n).unwrap(), ts("2026-11-20T10:30:00Z"));
        assert_eq!(
            parse_bound("500ms", n).unwrap(),
            ts("2026-11-20T11:59:59.5Z")
        );
        assert_eq!(parse_bound("0s", n).unwrap(), n);
    }

    #[test]
    fn bound_errors_quote_text_and_list_forms() {
        let n = now();
        for bad in [
            "",
            "5",
            "1.5",
            "2026",
            "yesterday",
            "2026-02-30",
            "2026-11-20T25:00",
            "7x",
            "-7d",
        ] {
            let err = parse_bound(bad, n).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(err, TimeError::InvalidBound { .. }),
                "{bad:?}: {msg}"
            );
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains("RFC 3339") && msg.contains("7d"), "{msg}");
        }
        let msg = parse_bound("7x", n).unwrap_err().to_string();
        assert!(msg.contains("unknown unit `x`"), "{msg}");
        let msg = parse_bound("5", n).unwrap_err().to_string();
        assert!(msg.contains("needs a unit"), "{msg}");
    }

    #[test]
    fn bound_out_of_range() {
        let err = parse_bound("99999999d", now()).unwrap_err();
        assert!(matches!(err, TimeError::OutOfRange { .. }), "{err}");
        assert!(err.to_string().contains("`99999999d`"));
    }

    // --- parse_duration ---

    #[test]
    fn duration_valid() {
        let d = |s: &str| parse_duration(s).unwrap();
        assert_eq!(d("90s"), Duration::from_secs(90));
        assert_eq!(d("5m"), Duration::from_secs(300));
        assert_eq!(d("24h"), Duration::from_secs(86_400));
        assert_eq!(d("7d"), Duration::from_secs(7 * 86_400));
        assert_eq!(d("2w"), Duration::from_secs(14 * 86_400));
        assert_eq!(d("500ms"), Duration::from_millis(500));
        assert_eq!(d("250us"), Duration::from_micros(250));
        assert_eq!(d("250µs"), Duration::from_micros(250));
        assert_eq!(d("10ns"), Duration::from_nanos(10));
        assert_eq!(d("0s"), Duration::ZERO);
        assert_eq!(d("1h30m"), Duration::from_secs(5_400));
        assert_eq!(d(" 1h 30m 15s "), Duration::from_secs(5_415));
        assert_eq!(d("1.5h"), Duration::from_secs(5_400));
        assert_eq!(d(".5s"), Duration::from_millis(500));
        assert_eq!(d("1.000000001s"), Duration::new(1, 1));
        assert_eq!(d("5 min"), Duration::from_secs(300));
        assert_eq!(d("2 Hours"), Duration::from_secs(7_200));
        assert_eq!(d("10S"), Duration::from_secs(10));
    }

    #[test]
    fn duration_invalid() {
        for (bad, reason) in [
            ("", "empty"),
            ("   ", "empty"),
            ("5", "no unit"),
            ("m", "expected a number"),
            ("5x", "unknown unit `x`"),
            ("5 fortnights", "unknown unit"),
            ("-5m", "negative"),
            ("1.2.3s", "not a number"),
            (".s", "not a number"),
            ("5m!", "expected a number"),
            ("1h30", "no unit"),
            ("99999999999999999999999999999999999999999d", "too large"),
            ("999999999999999999999w", "too large"),
        ] {
            let err = parse_duration(bad).unwrap_err();
            let msg = err.to_string();
            assert!(
                matches!(err, TimeError::InvalidDuration { .. }),
                "{bad:?}: {msg}"
            );
            assert!(msg.contains(&format!("`{bad}`")), "{msg}");
            assert!(msg.contains(reason), "{bad:?}: {msg}");
            assert!(msg.contains("500ms"), "{msg}");
        }
    }

    proptest! {
        #[test]
        fn prop_str_functions_never_panic(s in any::<String>()) {
            let _ = parse_duration(&s);
            let _ = parse_bound(&s, Timestamp::UNIX_EPOCH);
            let _ = parse_bound(&s, Timestamp::MAX);
        }

        #[test]
        fn prop_durationish_never_panics(s in "[0-9.]{0,25}[a-zµ ]{0,8}[0-9.]{0,25}[a-z]{0,3}") {
            let _ = parse_duration(&s);
            let _ = parse_bound(&s, Timestamp::MIN);
        }
    }
}
