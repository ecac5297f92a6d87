//! Event timestamps found in log lines.
//!
//! The line-prefix parser is hand-rolled over bytes rather than built on
//! `strtime`: it tries several layouts at one position without allocating,
//! looks at a bounded window whatever the line length, and treats any byte
//! (non-UTF-8 included) as "no match" instead of an error.

use jiff::civil::DateTime;
use jiff::fmt::rfc2822;
use jiff::tz::Offset;
use jiff::Timestamp;
use serde_json::Value;

/// The JSON keys, in priority order, that carry an event time in structured log lines.
pub const TIME_KEYS: &[&str] = &[
    "time",
    "timestamp",
    "@timestamp",
    "ts",
    "datetime",
    "date",
    "t",
];

/// Only this many leading bytes of a line are examined, so a 1 MB line costs
/// the same as a short one.
const PREFIX_WINDOW: usize = 64;

/// Strings longer than this skip the jiff fallbacks in [`from_str`]: no
/// RFC 2822 / RFC 9557 timestamp is that long, and it bounds the work.
const MAX_FALLBACK_LEN: usize = 64;

/// Longest integer part accepted as an epoch: nanoseconds up to year 9999 need 21 digits.
const MAX_EPOCH_DIGITS: usize = 21;

/// Lenient about the weekday: log writers get it wrong and it adds nothing.
static RFC2822: rfc2822::DateTimeParser = rfc2822::DateTimeParser::new().relaxed_weekday(true);

/// Finds the event time a log line carries near its start (text prefix). `default_year` fills formats without a year (syslog).
///
/// Recognised after optional whitespace, a syslog `<PRI>` (plus an RFC 5424
/// version) and an optional `[`: RFC 3339 / ISO 8601 (`T` or space, any
/// fraction digits after `.` or `,`, `Z`/`+01:00`/`+0100`/`+01`/none → UTC),
/// `2026/11/20 10:15:02`, syslog `Nov 20 10:15:02`, Apache/nginx access-log
/// `20/Nov/2026:10:15:02 +0000`, a 10-digit (secs) or 13-digit (millis) epoch
/// followed by whitespace, and logfmt `time=…`/`ts=…` (keys from [`TIME_KEYS`]).
///
/// Up to [`super::clean::MAX_LEADING_JUNK`] junk bytes before the time (a
/// byte-order mark, invalid UTF-8, NULs) and ANSI escape sequences (console
/// colours around the time, level and logger) are passed over.
pub fn from_line_prefix(line: &[u8], default_year: i16) -> Option<Timestamp> {
    if super::clean::needs_cleaning(line, PREFIX_WINDOW) {
        let (buf, len) = super::clean::clean_prefix::<PREFIX_WINDOW>(line);
        return from_clean_prefix(&buf[..len], default_year);
    }
    from_clean_prefix(line, default_year)
}

/// A time of day (`10:15:02`, `10:15:02.123`, `[10:15:02,123]`) at the
/// start of `line`, with no date before it, after the same leading bytes
/// [`from_line_prefix`] passes over.
pub fn clock_prefix(line: &[u8]) -> Option<jiff::civil::Time> {
    let (buf, len) = super::clean::clean_prefix::<PREFIX_WINDOW>(line);
    let mut c = Cursor::new(&buf[..len]);
    c.skip_blanks();
    c.skip_syslog_pri();
    c.skip_blanks();
    c.eat(b'[');
    let clock = c.time_of_day(true)?;
    if c.peek_is_digit(0) {
        return None;
    }
    let second = if clock.second == 60 { 59 } else { clock.second };
    jiff::civil::Time::new(
        i8::try_from(clock.hour).ok()?,
        i8::try_from(clock.minute).ok()?,
        i8::try_from(second).ok()?,
        clock.nanos,
    )
    .ok()
}

fn from_clean_prefix(line: &[u8], default_year: i16) -> Option<Timestamp> {
    let window = line.get(..PREFIX_WINDOW).unwrap_or(line);
    let mut c = Cursor::new(window);
    c.skip_blanks();
    c.skip_syslog_pri();
    c.skip_blanks();
    let bracketed = c.eat(b'[');
    c.skip_blanks();
    let start = c;

    if let Some(ts) = datetime(&mut c, default_year, false) {
        return Some(ts);
    }
    c = start;
    let epoch_end =
        |b: Option<u8>| matches!(b, Some(b' ' | b'\t')) || (bracketed && b == Some(b']'));
    if let Some(ts) = epoch_prefix(&mut c, epoch_end) {
        return Some(ts);
    }
    c = start;
    if !bracketed && c.eat_logfmt_time_key() {
        let quoted = c.eat(b'"');
        let value = c;
        if let Some(ts) = datetime(&mut c, default_year, false) {
            return Some(ts);
        }
        c = value;
        let end = |b: Option<u8>| match b {
            None | Some(b' ' | b'\t') => true,
            Some(b'"') => quoted,
            _ => false,
        };
        return epoch_prefix(&mut c, end);
    }
    None
}

/// Event time from a JSON field value (`time`, `ts`, `timestamp`, `@timestamp`, ...): RFC 3339 string, other supported string formats, epoch seconds or millis (integer, float, or digit string); epoch magnitude decides secs vs millis (and micros/nanos).
///
/// Magnitude thresholds: below 1e11 seconds, below 1e14 millis, below 1e17
/// micros, else nanos. Negative numbers give `None`. MongoDB's
/// `{"$date": …}` wrapper is unwrapped.
pub fn from_json_value(value: &Value, default_year: i16) -> Option<Timestamp> {
    match value {
        Value::String(s) => from_str(s, default_year),
        Value::Number(n) => from_json_number(n),
        Value::Object(map) => match map.get("$date")? {
            v @ (Value::String(_) | Value::Number(_)) => from_json_value(v, default_year),
            Value::Object(inner) => {
                epoch_from_decimal(inner.get("$numberLong")?.as_str()?.trim().as_bytes())
            }
            _ => None,
        },
        _ => None,
    }
}

/// Same for a string.
///
/// Beyond the line-prefix layouts, a bare date (`2026-11-20`, midnight UTC),
/// digit strings (epoch by magnitude, optional fraction), a trailing ` UTC`/` GMT`,
/// RFC 2822 (`Thu, 20 Nov 2026 10:15:02 +0000`) and RFC 9557
/// (`…+01:00[Europe/Paris]`) are accepted. The whole string must match.
pub fn from_str(text: &str, default_year: i16) -> Option<Timestamp> {
    let t = text.trim();
    let b = t.as_bytes();
    if b.first()?.is_ascii_digit() && b.iter().all(|&x| x.is_ascii_digit() || x == b'.') {
        return epoch_from_decimal(b);
    }
    let mut c = Cursor::new(b);
    if let Some(ts) = datetime(&mut c, default_year, true) {
        let rest = c.rest().trim_ascii();
        if rest.is_empty() || rest.eq_ignore_ascii_case(b"utc") || rest.eq_ignore_ascii_case(b"gmt")
        {
            return Some(ts);
        }
    }
    if t.len() > MAX_FALLBACK_LEN {
        return None;
    }
    if let Ok(ts) = t.parse::<Timestamp>() {
        return Some(ts);
    }
    RFC2822.parse_timestamp(t).ok()
}

fn from_json_number(n: &serde_json::Number) -> Option<Timestamp> {
    if let Some(u) = n.as_u64() {
        return epoch_from_parts(i128::from(u), b"");
    }
    if n.is_i64() {
        return None; // negative
    }
    let f = n.as_f64()?;
    if !f.is_finite() || f < 0.0 {
        return None;
    }
    // Display prints the shortest decimal that round-trips (never exponent
    // form), so 1763633702.123 keeps exactly .123 instead of f64 noise.
    epoch_from_decimal(f.to_string().as_bytes())
}

/// Epoch from `digits[.digits]`, unit chosen by the integer part's magnitude.
pub(crate) fn epoch_from_decimal(s: &[u8]) -> Option<Timestamp> {
    let (int, frac) = match s.iter().position(|&b| b == b'.') {
        Some(i) => (&s[..i], &s[i + 1..]),
        None => (s, &[][..]),
    };
    let all_digits = |x: &[u8]| x.iter().all(u8::is_ascii_digit);
    if int.is_empty() || int.len() > MAX_EPOCH_DIGITS || !all_digits(int) || !all_digits(frac) {
        return None;
    }
    if s.len() != int.len() && frac.is_empty() {
        return None; // trailing dot
    }
    let whole = int
        .iter()
        .fold(0i128, |acc, &d| acc * 10 + i128::from(d - b'0'));
    epoch_from_parts(whole, frac)
}

/// `whole` in seconds/millis/micros/nanos by magnitude, plus a decimal fraction of that unit.
fn epoch_from_parts(whole: i128, frac: &[u8]) -> Option<Timestamp> {
    // Cut-offs sit far apart: 1e11 s is year 5138, 1e11 ms is 1973.
    let scale: i128 = if whole < 100_000_000_000 {
        1_000_000_000
    } else if whole < 100_000_000_000_000 {
        1_000_000
    } else if whole < 100_000_000_000_000_000 {
        1_000
    } else {
        1
    };
    let (mut part, mut div) = (0i128, 1i128);
    for &d in frac.iter().take(18) {
        part = part * 10 + i128::from(d - b'0');
        div *= 10;
    }
    let nanos = whole.checked_mul(scale)?.checked_add(part * scale / div)?;
    Timestamp::from_nanosecond(nanos).ok()
}

/// A position in a byte slice; `Copy` so a failed attempt can rewind by value.
#[derive(Clone, Copy)]
struct Cursor<'a> {
    b: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn new(b: &'a [u8]) -> Self {
        Cursor { b, pos: 0 }
    }

    fn peek(&self) -> Option<u8> {
        self.peek_at(0)
    }

    fn peek_at(&self, k: usize) -> Option<u8> {
        self.b.get(self.pos + k).copied()
    }

    fn rest(&self) -> &'a [u8] {
        self.b.get(self.pos..).unwrap_or(&[])
    }

    fn eat(&mut self, want: u8) -> bool {
        let hit = self.peek() == Some(want);
        if hit {
            self.pos += 1;
        }
        hit
    }

    fn peek_is_digit(&self, k: usize) -> bool {
        self.peek_at(k).is_some_and(|b| b.is_ascii_digit())
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Exactly `n` ASCII digits as a number; does not move on failure.
    fn fixed(&mut self, n: usize) -> Option<u32> {
        let digits = self.b.get(self.pos..self.pos + n)?;
        let mut v = 0u32;
        for &d in digits {
            if !d.is_ascii_digit() {
                return None;
            }
            v = v * 10 + u32::from(d - b'0');
        }
        self.pos += n;
        Some(v)
    }

    /// One or two digits (syslog and access-log days are not always padded).
    fn one_or_two(&mut self) -> Option<u32> {
        let first = self.fixed(1)?;
        Some(match self.fixed(1) {
            Some(second) => first * 10 + second,
            None => first,
        })
    }

    /// Skips `<PRI>` and, if present, the RFC 5424 version that follows it.
    fn skip_syslog_pri(&mut self) {
        let save = *self;
        if !self.eat(b'<') {
            return;
        }
        let mut n = 0;
        while n < 3 && self.peek_is_digit(0) {
            self.pos += 1;
            n += 1;
        }
        if n == 0 || !self.eat(b'>') {
            *self = save;
            return;
        }
        let after_pri = *self;
        let mut n = 0;
        while n < 2 && self.peek_is_digit(0) {
            self.pos += 1;
            n += 1;
        }
        if n == 0 || !self.eat(b' ') {
            *self = after_pri;
        }
    }

    /// Consumes `key=` for a key in [`TIME_KEYS`] (logfmt lines).
    fn eat_logfmt_time_key(&mut self) -> bool {
        let rest = self.rest();
        for key in TIME_KEYS {
            let k = key.as_bytes();
            if rest.len() > k.len() && rest.starts_with(k) && rest[k.len()] == b'=' {
                self.pos += k.len() + 1;
                return true;
            }
        }
        false
    }

    /// Three-letter English month abbreviation, any case.
    fn month_abbr(&mut self) -> Option<u32> {
        const MONTHS: [&[u8; 3]; 12] = [
            b"jan", b"feb", b"mar", b"apr", b"may", b"jun", b"jul", b"aug", b"sep", b"oct", b"nov",
            b"dec",
        ];
        let s = self.b.get(self.pos..self.pos + 3)?;
        let index = MONTHS.iter().position(|m| s.eq_ignore_ascii_case(&m[..]))?;
        self.pos += 3;
        u32::try_from(index + 1).ok()
    }

    /// Fraction digits after `.`/`,`: any count, the first nine kept as nanoseconds.
    fn fraction(&mut self) -> i32 {
        let (mut nanos, mut kept) = (0i32, 0);
        while let Some(d) = self.peek().filter(u8::is_ascii_digit) {
            if kept < 9 {
                nanos = nanos * 10 + i32::from(d - b'0');
                kept += 1;
            }
            self.pos += 1;
        }
        for _ in kept..9 {
            nanos *= 10;
        }
        nanos
    }

    /// `HH:MM[:SS[(.|,)fraction]]`; with `need_seconds`, `:SS` is required.
    fn time_of_day(&mut self, need_seconds: bool) -> Option<Clock> {
        let hour = self.fixed(2)?;
        if !self.eat(b':') {
            return None;
        }
        let minute = self.fixed(2)?;
        let (mut second, mut nanos) = (0, 0);
        if self.eat(b':') {
            second = self.fixed(2)?;
            if matches!(self.peek(), Some(b'.' | b',')) && self.peek_is_digit(1) {
                self.pos += 1;
                nanos = self.fraction();
            }
        } else if need_seconds {
            return None;
        }
        Some(Clock {
            hour,
            minute,
            second,
            nanos,
        })
    }

    /// Numeric offset at a sign: `±HH`, `±HHMM` or `±HH:MM`, in seconds;
    /// with `need_minutes`, the bare `±HH` form is refused.
    fn signed_offset(&mut self, need_minutes: bool) -> Option<i32> {
        let sign = match self.peek()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        self.pos += 1;
        let hours = self.fixed(2)?;
        let minutes = if self.eat(b':') {
            self.fixed(2)?
        } else if let Some(m) = self.fixed(2) {
            m
        } else if need_minutes {
            return None;
        } else {
            0
        };
        if hours > 25 || minutes > 59 {
            return None;
        }
        i32::try_from(hours * 3600 + minutes * 60)
            .ok()
            .map(|s| sign * s)
    }

    /// Zone after a time: `Z`, an attached offset, or a space then `±HHMM`
    /// (Go's default layout). Absent means UTC; a malformed attached one is `None`.
    fn zone(&mut self) -> Option<i32> {
        match self.peek() {
            Some(b'Z' | b'z') => {
                self.pos += 1;
                Some(0)
            }
            Some(b'+' | b'-') => self.signed_offset(false),
            Some(b' ') if matches!(self.peek_at(1), Some(b'+' | b'-')) => {
                let save = *self;
                self.pos += 1;
                // Too loose a match here would eat "- 5 retries" style text.
                match self.signed_offset(true) {
                    Some(off) if !self.peek_is_digit(0) => Some(off),
                    _ => {
                        *self = save;
                        Some(0)
                    }
                }
            }
            _ => Some(0),
        }
    }
}

/// A parsed time of day; seconds may be 60 (leap second) until [`make_timestamp`] clamps it.
struct Clock {
    hour: u32,
    minute: u32,
    second: u32,
    nanos: i32,
}

/// Validates the fields through jiff (so 2026-02-30 or hour 25 give `None`) and applies the offset.
fn make_timestamp(
    year: u32,
    month: u32,
    day: u32,
    clock: &Clock,
    offset: i32,
) -> Option<Timestamp> {
    // RFC 3339 allows :60 and jiff has no leap seconds; clamp as jiff's own parser does.
    let second = if clock.second == 60 { 59 } else { clock.second };
    let dt = DateTime::new(
        i16::try_from(year).ok()?,
        i8::try_from(month).ok()?,
        i8::try_from(day).ok()?,
        i8::try_from(clock.hour).ok()?,
        i8::try_from(clock.minute).ok()?,
        i8::try_from(second).ok()?,
        clock.nanos,
    )
    .ok()?;
    Offset::from_seconds(offset).ok()?.to_timestamp(dt).ok()
}

/// Tries every calendar layout at the cursor. A digit right after the match
/// means we stopped mid-number, so that is no match.
fn datetime(c: &mut Cursor<'_>, default_year: i16, allow_date_only: bool) -> Option<Timestamp> {
    let first = c.peek()?;
    let ts = if first.is_ascii_digit() {
        if matches!(c.peek_at(4), Some(b'-' | b'/')) {
            iso(c, allow_date_only)?
        } else {
            access_log(c)?
        }
    } else if first.is_ascii_alphabetic() {
        syslog(c, default_year)?
    } else {
        return None;
    };
    if c.peek_is_digit(0) {
        return None;
    }
    Some(ts)
}

/// `YYYY-MM-DD` or `YYYY/MM/DD`, then `T`/space and a time, then an optional zone.
fn iso(c: &mut Cursor<'_>, allow_date_only: bool) -> Option<Timestamp> {
    let year = c.fixed(4)?;
    let sep = c.peek()?;
    c.pos += 1;
    let month = c.fixed(2)?;
    if !c.eat(sep) {
        return None;
    }
    let day = c.fixed(2)?;
    let has_time = match c.peek() {
        Some(b'T' | b't') => true,
        Some(b' ') => c.peek_is_digit(1),
        _ => false,
    };
    if !has_time {
        let midnight = Clock {
            hour: 0,
            minute: 0,
            second: 0,
            nanos: 0,
        };
        return if allow_date_only {
            make_timestamp(year, month, day, &midnight, 0)
        } else {
            None
        };
    }
    c.pos += 1;
    let clock = c.time_of_day(false)?;
    let offset = c.zone()?;
    make_timestamp(year, month, day, &clock, offset)
}

/// BSD syslog `Mmm dd HH:MM:SS` (day may be space-padded or single-digit); the year comes from the caller.
fn syslog(c: &mut Cursor<'_>, default_year: i16) -> Option<Timestamp> {
    let month = c.month_abbr()?;
    if !c.eat(b' ') {
        return None;
    }
    c.eat(b' ');
    let day = c.one_or_two()?;
    if !c.eat(b' ') {
        return None;
    }
    let clock = c.time_of_day(true)?;
    make_timestamp(u32::try_from(default_year).ok()?, month, day, &clock, 0)
}

/// Common Log Format `dd/Mmm/yyyy:HH:MM:SS +zzzz` (Apache, nginx access logs).
fn access_log(c: &mut Cursor<'_>) -> Option<Timestamp> {
    let day = c.one_or_two()?;
    if !c.eat(b'/') {
        return None;
    }
    let month = c.month_abbr()?;
    if !c.eat(b'/') {
        return None;
    }
    let year = c.fixed(4)?;
    if !c.eat(b':') {
        return None;
    }
    let clock = c.time_of_day(true)?;
    let offset = c.zone()?;
    make_timestamp(year, month, day, &clock, offset)
}

/// A line-leading epoch: exactly 10 digits (seconds) or 13 (millis), optional
/// fraction, then a byte accepted by `end`. Other digit runs are too likely to
/// be ids or counters.
fn epoch_prefix(c: &mut Cursor<'_>, end: impl Fn(Option<u8>) -> bool) -> Option<Timestamp> {
    let start = c.pos;
    while c.peek_is_digit(0) {
        c.pos += 1;
    }
    if !matches!(c.pos - start, 10 | 13) {
        return None;
    }
    if c.peek() == Some(b'.') && c.peek_is_digit(1) {
        c.pos += 1;
        while c.peek_is_digit(0) {
            c.pos += 1;
        }
    }
    if !end(c.peek()) {
        return None;
    }
    epoch_from_decimal(c.b.get(start..c.pos)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::json;

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn line(s: &str) -> Option<Timestamp> {
        from_line_prefix(s.as_bytes(), 2026)
    }

    // --- line prefix: RFC 3339 / ISO 8601 ---

    #[test]
    fn rfc3339_zulu_and_separators() {
        let want = Some(ts("2026-11-20T10:15:02Z"));
        assert_eq!(line("2026-11-20T10:15:02Z ERROR boom"), want);
        assert_eq!(line("2026-11-20t10:15:02z ERROR boom"), want);
        assert_eq!(line("2026-11-20 10:15:02Z boom"), want);
        assert_eq!(line("2026-11-20T10:15:02"), want);
        assert_eq!(line("2026-11-20 10:15:02 boom"), want);
        assert_eq!(line("2026-11-20T10:15:02 UTC boom"), want);
    }

    #[test]
    fn rfc3339_offsets() {
        let want = Some(ts("2026-11-20T09:15:02Z"));
        assert_eq!(line("2026-11-20T10:15:02+01:00 x"), want);
        assert_eq!(line("2026-11-20T10:15:02+0100 x"), want);
        assert_eq!(line("2026-11-20T10:15:02+01 x"), want);
        assert_eq!(line("2026-11-20 10:15:02 +0100 x"), want);
        assert_eq!(
            line("2026-11-20 10:15:02.5 +01:00 CET x"),
            Some(ts("2026-11-20T09:15:02.5Z"))
        );
        assert_eq!(
            line("2026-11-20T04:45:02-05:30 x"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("2026-11-20T10:15:02-00:00"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
    }

    #[test]
    fn space_then_loose_sign_is_not_an_offset() {
        // "- 5" / "-5" after a zone-less time is message text, not a zone.
        let want = Some(ts("2026-11-20T10:15:02Z"));
        assert_eq!(line("2026-11-20 10:15:02 - app - ERROR"), want);
        assert_eq!(line("2026-11-20 10:15:02 -5 retries"), want);
        assert_eq!(line("2026-11-20 10:15:02 -05 retries"), want);
    }

    #[test]
    fn malformed_attached_offsets() {
        assert_eq!(line("2026-11-20T10:15:02+1"), None);
        assert_eq!(line("2026-11-20T10:15:02+01:0"), None);
        assert_eq!(line("2026-11-20T10:15:02+26:00"), None);
        assert_eq!(line("2026-11-20T10:15:02+01:60"), None);
        assert_eq!(line("2026-11-20T10:15:02+01001"), None);
    }

    #[test]
    fn fractional_seconds_any_digits() {
        assert_eq!(
            line("2026-11-20T10:15:02.1Z"),
            Some(ts("2026-11-20T10:15:02.1Z"))
        );
        assert_eq!(
            line("2026-11-20T10:15:02.123Z"),
            Some(ts("2026-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            line("2026-11-20T10:15:02.123456Z"),
            Some(ts("2026-11-20T10:15:02.123456Z"))
        );
        assert_eq!(
            line("2026-11-20T10:15:02.123456789Z x"),
            Some(ts("2026-11-20T10:15:02.123456789Z"))
        );
        // Past nanoseconds the extra digits are consumed and ignored.
        assert_eq!(
            line("2026-11-20T10:15:02.123456789123+01:00"),
            Some(ts("2026-11-20T09:15:02.123456789Z"))
        );
        // A dot with no digits is not a fraction; the time stops before it.
        assert_eq!(
            line("2026-11-20 10:15:02. done"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
    }

    #[test]
    fn minutes_only_time() {
        assert_eq!(
            line("2026-11-20T10:15Z x"),
            Some(ts("2026-11-20T10:15:00Z"))
        );
        assert_eq!(line("2026-11-20 10:15:0 x"), None);
    }

    #[test]
    fn leap_second_clamps() {
        assert_eq!(
            line("2026-12-31T23:59:60Z"),
            Some(ts("2026-12-31T23:59:59Z"))
        );
        assert_eq!(line("2026-12-31T23:59:61Z"), None);
    }

    #[test]
    fn python_logging_comma_millis() {
        assert_eq!(
            line("2026-11-20 10:15:02,123 - payments - ERROR - stripe said"),
            Some(ts("2026-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            line("[2026-11-20 10:15:02,123] ERROR in app"),
            Some(ts("2026-11-20T10:15:02.123Z"))
        );
    }

    #[test]
    fn slash_dates() {
        assert_eq!(
            line("2026/11/20 10:15:02 [error] 123#0: upstream"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("2026/11/20 10:15:02.25 x"),
            Some(ts("2026-11-20T10:15:02.25Z"))
        );
        // Mixed separators are not a date.
        assert_eq!(line("2026-11/20 10:15:02"), None);
        assert_eq!(line("2026/11-20 10:15:02"), None);
    }

    // --- line prefix: syslog, access logs, epoch, logfmt ---

    #[test]
    fn syslog_bsd() {
        assert_eq!(
            line("Nov 20 10:15:02 host app[1]: boom"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("Nov  5 10:15:02 host app: boom"),
            Some(ts("2026-11-05T10:15:02Z"))
        );
        assert_eq!(
            line("Nov 5 10:15:02 host app: boom"),
            Some(ts("2026-11-05T10:15:02Z"))
        );
        assert_eq!(
            line("nov 20 10:15:02 host"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("Jan 01 00:00:00.250 host"),
            Some(ts("2026-01-01T00:00:00.25Z"))
        );
        assert_eq!(
            from_line_prefix(b"Nov 20 10:15:02 h", 2024),
            Some(ts("2024-11-20T10:15:02Z"))
        );
        // Seconds are required; month names must be exact.
        assert_eq!(line("Nov 20 10:15 host"), None);
        assert_eq!(line("November 20 10:15:02 host"), None);
        assert_eq!(line("Foo 20 10:15:02 host"), None);
        assert_eq!(line("Nov 123 10:15:02 host"), None);
    }

    #[test]
    fn syslog_year_from_caller_validates_leap_day() {
        assert_eq!(from_line_prefix(b"Feb 29 10:00:00 h", 2026), None);
        assert_eq!(
            from_line_prefix(b"Feb 29 10:00:00 h", 2028),
            Some(ts("2028-02-29T10:00:00Z"))
        );
        assert_eq!(from_line_prefix(b"Feb 29 10:00:00 h", -1), None);
    }

    #[test]
    fn syslog_priority_and_rfc5424() {
        assert_eq!(
            line("<34>Nov 20 10:15:02 host su: x"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("<165>1 2026-11-20T10:15:02.003Z mymachine app - - x"),
            Some(ts("2026-11-20T10:15:02.003Z"))
        );
        assert_eq!(line("<1234>Nov 20 10:15:02 h"), None);
        assert_eq!(line("<>Nov 20 10:15:02 h"), None);
    }

    #[test]
    fn leading_whitespace_and_bracket() {
        let want = Some(ts("2026-11-20T10:15:02Z"));
        assert_eq!(line("   2026-11-20T10:15:02Z x"), want);
        assert_eq!(line("\t[2026-11-20T10:15:02Z] x"), want);
        assert_eq!(line("[ 2026-11-20 10:15:02 ] x"), want);
    }

    #[test]
    fn access_log_format() {
        assert_eq!(
            line("[20/Nov/2026:10:15:02 +0100] \"GET / HTTP/1.1\" 502"),
            Some(ts("2026-11-20T09:15:02Z"))
        );
        assert_eq!(
            line("5/Nov/2026:10:15:02 +0000 x"),
            Some(ts("2026-11-05T10:15:02Z"))
        );
        assert_eq!(line("31/Nov/2026:10:15:02 +0000"), None);
    }

    #[test]
    fn epoch_at_line_start() {
        assert_eq!(line("1763633702 ERROR x"), Some(ts("2025-11-20T10:15:02Z")));
        assert_eq!(
            line("1763633702123 ERROR x"),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            line("1763633702.5\tERROR"),
            Some(ts("2025-11-20T10:15:02.5Z"))
        );
        assert_eq!(
            line("[1763633702.25] x"),
            Some(ts("2025-11-20T10:15:02.25Z"))
        );
        // Wrong lengths, no separator, or a closing bracket without an opening one.
        assert_eq!(line("176363370 ERROR"), None);
        assert_eq!(line("17636337021 ERROR"), None);
        assert_eq!(line("176363370212 ERROR"), None);
        assert_eq!(line("1763633702"), None);
        assert_eq!(line("1763633702,ERROR"), None);
        assert_eq!(line("1763633702] x"), None);
        assert_eq!(line("1763633702abc x"), None);
    }

    #[test]
    fn logfmt_time_keys() {
        assert_eq!(
            line("time=\"2026-11-20T10:15:02Z\" level=error msg=x"),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("ts=2026-11-20T10:15:02.5+01:00 level=error"),
            Some(ts("2026-11-20T09:15:02.5Z"))
        );
        assert_eq!(
            line("timestamp=1763633702123 level=error"),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            line("t=\"1763633702\" lvl=eror"),
            Some(ts("2025-11-20T10:15:02Z"))
        );
        assert_eq!(
            line("ts=1763633702.25"),
            Some(ts("2025-11-20T10:15:02.25Z"))
        );
        assert_eq!(line("ts=1763633702\" x"), None);
        assert_eq!(line("level=error time=2026-11-20T10:15:02Z"), None);
        assert_eq!(line("times=2026-11-20T10:15:02Z"), None);
    }

    #[test]
    fn invalid_calendar_values() {
        assert_eq!(line("2026-02-30T10:15:02Z"), None);
        assert_eq!(line("2026-13-01T10:15:02Z"), None);
        assert_eq!(line("2026-00-10T10:15:02Z"), None);
        assert_eq!(line("2026-11-00T10:15:02Z"), None);
        assert_eq!(line("2026-11-20T25:15:02Z"), None);
        assert_eq!(line("2026-11-20T24:00:00Z"), None);
        assert_eq!(line("2026-11-20T10:60:02Z"), None);
        assert_eq!(line("2026-11-20T10:15:99Z"), None);
        assert_eq!(line("2026-1-20T10:15:02Z"), None);
        assert_eq!(line("Nov 31 10:15:02 h"), None);
        assert_eq!(line("Nov 20 25:15:02 h"), None);
    }

    #[test]
    fn no_timestamp_or_not_at_start() {
        assert_eq!(line(""), None);
        assert_eq!(line("   "), None);
        assert_eq!(line("["), None);
        assert_eq!(line("ERROR 2026-11-20T10:15:02Z boom"), None);
        assert_eq!(line("request failed at 2026-11-20 10:15:02 with 402"), None);
        assert_eq!(line("user 1763633702 failed"), None);
        assert_eq!(line("{\"time\":\"2026-11-20T10:15:02Z\"}"), None);
        // A date alone at line start is not an event time.
        assert_eq!(line("2026-11-20 job started"), None);
        // Stopping in the middle of a longer number is no match.
        assert_eq!(line("2026-11-20T10:15:021 x"), None);
        assert_eq!(line("20261-11-20T10:15:02Z"), None);
    }

    #[test]
    fn far_timestamp_beyond_window_is_ignored() {
        let long = format!("{}2026-11-20T10:15:02Z", " ".repeat(70));
        assert_eq!(line(&long), None);
    }

    /// Leading junk (a BOM, invalid UTF-8, NULs, control bytes) is passed
    /// over up to a bound, also before a syslog PRI.
    #[test]
    fn a_time_after_leading_junk() {
        let want = Some(ts("2026-11-20T10:15:02Z"));
        assert_eq!(
            from_line_prefix(b"\xff\xfe2026-11-20T10:15:02Z", 2026),
            want
        );
        assert_eq!(
            from_line_prefix(b"\xef\xbb\xbf2026-11-20 10:15:02 x", 2026),
            want
        );
        assert_eq!(
            from_line_prefix(b"\0\0\0\x012026-11-20T10:15:02Z x", 2026),
            want
        );
        assert_eq!(
            from_line_prefix(b"\0<13>Nov 20 10:15:02 host x", 2026),
            want
        );
        assert_eq!(
            from_line_prefix(b"\xef\xbb\xbf<13>1 2026-11-20T10:15:02Z host app", 2026),
            want
        );
        let mut far = vec![0u8; super::super::clean::MAX_LEADING_JUNK + 1];
        far.extend_from_slice(b"2026-11-20T10:15:02Z");
        assert_eq!(from_line_prefix(&far, 2026), None, "beyond the bound");
    }

    /// ANSI colours around the time (and a level) are passed over.
    #[test]
    fn a_time_inside_ansi_colours() {
        let want = Some(ts("2026-11-20T10:15:02.123Z"));
        let line = b"\x1b[2m2026-11-20T10:15:02.123Z\x1b[0m \x1b[31mERROR\x1b[0m codat";
        assert_eq!(from_line_prefix(line, 2026), want);
        let line = b"\x1b[32m2026-11-20\x1b[0m \x1b[1m10:15:02.123\x1b[0m ERROR";
        assert_eq!(from_line_prefix(line, 2026), want);
        // A long colour code does not push the time out of the window.
        let line = b"\x1b[38;2;128;128;128;1;3;4m2026-11-20T10:15:02.123Z\x1b[0m";
        assert_eq!(from_line_prefix(line, 2026), want);
        let line = b"\x1b[90m[10:15:02.123]\x1b[0m \x1b[31mERROR\x1b[0m";
        assert_eq!(from_line_prefix(line, 2026), None, "no date");
        assert_eq!(
            clock_prefix(line),
            Some(jiff::civil::time(10, 15, 2, 123_000_000))
        );
        assert_eq!(clock_prefix(b"10:15 x"), None, "seconds are needed");
        assert_eq!(clock_prefix(b"2026-11-20 10:15:02"), None);
    }

    #[test]
    fn non_utf8_bytes() {
        assert_eq!(from_line_prefix(b"\xc3", 2026), None);
        assert_eq!(
            from_line_prefix(b"2026-11-20T10:15:02Z \xff\xfe boom", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(from_line_prefix(b"Nov\xff20 10:15:02", 2026), None);
        assert_eq!(
            from_line_prefix(b"2026-11-20T10:15:02\xff", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
    }

    #[test]
    fn huge_line_only_prefix_is_read() {
        let mut big = b"2026-11-20T10:15:02.".to_vec();
        big.resize(1 << 20, b'7');
        assert_eq!(
            from_line_prefix(&big, 2026),
            Some(ts("2026-11-20T10:15:02.777777777Z"))
        );
        let junk = vec![b'9'; 1 << 20];
        assert_eq!(from_line_prefix(&junk, 2026), None);
        assert_eq!(from_str(std::str::from_utf8(&junk).unwrap(), 2026), None);
    }

    // --- from_str ---

    #[test]
    fn from_str_formats() {
        assert_eq!(
            from_str("2026-11-20T10:15:02Z", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str(" 2026-11-20T10:15:02.5+01:00 ", 2026),
            Some(ts("2026-11-20T09:15:02.5Z"))
        );
        assert_eq!(
            from_str("2026-11-20 10:15:02,123", 2026),
            Some(ts("2026-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_str("2026/11/20 10:15:02", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str("Nov  5 10:15:02", 2025),
            Some(ts("2025-11-05T10:15:02Z"))
        );
        assert_eq!(
            from_str("20/Nov/2026:10:15:02 +0000", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str("2026-11-20", 2026),
            Some(ts("2026-11-20T00:00:00Z"))
        );
        assert_eq!(
            from_str("2026-11-20 10:15:02 UTC", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str("2026-11-20 10:15:02 +0000 gmt", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
    }

    #[test]
    fn from_str_jiff_fallbacks() {
        assert_eq!(
            from_str("Fri, 20 Nov 2026 10:15:02 +0000", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        // Wrong weekday is tolerated.
        assert_eq!(
            from_str("Mon, 20 Nov 2026 10:15:02 GMT", 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str("2026-11-20T10:15:02+01:00[Europe/Paris]", 2026),
            Some(ts("2026-11-20T09:15:02Z"))
        );
    }

    #[test]
    fn from_str_digit_strings() {
        assert_eq!(
            from_str("1763633702", 2026),
            Some(ts("2025-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_str("1763633702123", 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_str("1763633702123456", 2026),
            Some(ts("2025-11-20T10:15:02.123456Z"))
        );
        assert_eq!(
            from_str("1763633702123456789", 2026),
            Some(ts("2025-11-20T10:15:02.123456789Z"))
        );
        assert_eq!(
            from_str("1763633702.123456", 2026),
            Some(ts("2025-11-20T10:15:02.123456Z"))
        );
        assert_eq!(
            from_str("1763633702123.5", 2026),
            Some(ts("2025-11-20T10:15:02.1235Z"))
        );
        assert_eq!(from_str("0", 2026), Some(ts("1970-01-01T00:00:00Z")));
        assert_eq!(from_str("1763633702.", 2026), None);
        assert_eq!(from_str("1.2.3", 2026), None);
        assert_eq!(from_str("99999999999999999999999999", 2026), None);
    }

    #[test]
    fn from_str_rejects() {
        for bad in [
            "",
            "   ",
            "-1763633702",
            "yesterday",
            "2026-11-20T10:15:02Z trailing",
            "2026-11-20 garbage",
            "2026-02-30",
            "2026-11-20T25:00:00Z",
            "Nov 20",
            "0x1763633702",
            "+1763633702",
        ] {
            assert_eq!(from_str(bad, 2026), None, "{bad:?}");
        }
    }

    // --- from_json_value ---

    #[test]
    fn json_numbers_by_magnitude() {
        let secs = Some(ts("2025-11-20T10:15:02Z"));
        assert_eq!(from_json_value(&json!(1763633702), 2026), secs);
        assert_eq!(
            from_json_value(&json!(1763633702123_u64), 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_json_value(&json!(1763633702123456_u64), 2026),
            Some(ts("2025-11-20T10:15:02.123456Z"))
        );
        assert_eq!(
            from_json_value(&json!(1763633702123456789_u64), 2026),
            Some(ts("2025-11-20T10:15:02.123456789Z"))
        );
        assert_eq!(
            from_json_value(&json!(u64::MAX), 2026),
            Some(Timestamp::from_nanosecond(i128::from(u64::MAX)).unwrap())
        );
        assert_eq!(from_json_value(&json!(-5), 2026), None);
        assert_eq!(
            from_json_value(&json!(0), 2026),
            Some(Timestamp::UNIX_EPOCH)
        );
    }

    #[test]
    fn json_floats() {
        // zap-style float seconds keep their decimal digits exactly.
        assert_eq!(
            from_json_value(&json!(1763633702.123), 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_json_value(&json!(1763633702.123456), 2026),
            Some(ts("2025-11-20T10:15:02.123456Z"))
        );
        assert_eq!(
            from_json_value(&json!(1763633702123.5), 2026),
            Some(ts("2025-11-20T10:15:02.1235Z"))
        );
        assert_eq!(
            from_json_value(&json!(1.0e20), 2026),
            Some(Timestamp::from_nanosecond(100_000_000_000_000_000_000).unwrap())
        );
        assert_eq!(from_json_value(&json!(-1.5), 2026), None);
        assert_eq!(from_json_value(&json!(1.0e300), 2026), None);
    }

    #[test]
    fn json_strings_and_others() {
        assert_eq!(
            from_json_value(&json!("2026-11-20T10:15:02Z"), 2026),
            Some(ts("2026-11-20T10:15:02Z"))
        );
        assert_eq!(
            from_json_value(&json!("1763633702123"), 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_json_value(&json!("Nov 20 10:15:02"), 2024),
            Some(ts("2024-11-20T10:15:02Z"))
        );
        assert_eq!(from_json_value(&json!("soon"), 2026), None);
        assert_eq!(from_json_value(&json!(null), 2026), None);
        assert_eq!(from_json_value(&json!(true), 2026), None);
        assert_eq!(from_json_value(&json!([1763633702]), 2026), None);
        assert_eq!(from_json_value(&json!({"seconds": 1763633702}), 2026), None);
    }

    #[test]
    fn json_mongodb_date_wrapper() {
        assert_eq!(
            from_json_value(&json!({"$date": "2026-11-20T10:15:02.180+00:00"}), 2026),
            Some(ts("2026-11-20T10:15:02.18Z"))
        );
        assert_eq!(
            from_json_value(&json!({"$date": {"$numberLong": "1763633702123"}}), 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_json_value(&json!({"$date": 1763633702123_u64}), 2026),
            Some(ts("2025-11-20T10:15:02.123Z"))
        );
        assert_eq!(
            from_json_value(&json!({"$date": {"$date": "2026-11-20"}}), 2026),
            None
        );
    }

    #[test]
    fn time_keys_priority() {
        assert_eq!(TIME_KEYS.first(), Some(&"time"));
        assert!(TIME_KEYS.contains(&"@timestamp"));
    }

    // --- no panics, round trips ---

    proptest! {
        #[test]
        fn prop_line_prefix_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..200), year in any::<i16>()) {
            let _ = from_line_prefix(&bytes, year);
        }

        #[test]
        fn prop_line_prefix_timestampish_never_panics(s in "[<>\\[\\] 0-9:/.,TZtz+-]{0,80}", year in any::<i16>()) {
            let _ = from_line_prefix(s.as_bytes(), year);
            let _ = from_str(&s, year);
        }

        #[test]
        fn prop_str_functions_never_panic(s in any::<String>(), year in any::<i16>()) {
            let _ = from_str(&s, year);
            let _ = from_json_value(&Value::String(s), year);
        }

        #[test]
        fn prop_json_numbers_never_panic(i in any::<i64>(), u in any::<u64>(), f in any::<f64>()) {
            let _ = from_json_value(&json!(i), 2026);
            let _ = from_json_value(&json!(u), 2026);
            let _ = from_json_value(&json!(f), 2026);
        }

        #[test]
        fn prop_rfc3339_round_trips(secs in 86_400i64..253_402_214_399, nanos in 0i32..1_000_000_000, off_min in -1439i32..1440) {
            let t = Timestamp::new(secs, nanos).unwrap();
            let offset = Offset::from_seconds(off_min * 60).unwrap();
            let text = t.display_with_offset(offset).to_string();
            prop_assert_eq!(from_line_prefix(text.as_bytes(), 2026), Some(t), "{}", text);
            prop_assert_eq!(from_str(&text, 2026), Some(t), "{}", text);
        }
    }
}
