//! The time zone days and hours are cut in (`--timezone`, `[report]
//! timezone`; UTC by default).
//!
//! Counts are kept per hour bucket ([`Key::hour`](super::Key::hour)): the
//! local hour an event falls in, numbered as hours since the Unix epoch of
//! a clock that runs with the zone's offset modulo one hour. For UTC and
//! every zone whose offsets are whole hours (America/New_York, Europe/...)
//! a bucket is exactly the UTC hour, so the counts do not depend on the
//! zone and only their grouping into days does. For a zone such as
//! Asia/Kolkata (+05:30) or Asia/Kathmandu (+05:45) the buckets start at
//! :30 or :15 UTC, so that local midnight is a bucket boundary there too.
//!
//! Days are local calendar days, DST-correct: around a change a day has 23
//! or 25 hours. Names are looked up in the system's time zone database,
//! then in a copy bundled into the binary, so a zone is known on a host
//! without `/usr/share/zoneinfo`.

use jiff::civil::Date;
use jiff::tz::{TimeZone, TimeZoneDatabase};
use jiff::Timestamp;

const SECONDS_PER_HOUR: i64 = 3600;

/// A time zone to cut days and hours in.
#[derive(Debug, Clone)]
pub struct Zone {
    tz: TimeZone,
    name: String,
    utc: bool,
}

/// A zone name neither database knows.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown time zone `{name}`: expected an IANA name such as America/New_York, or UTC")]
pub struct UnknownZone {
    pub name: String,
}

impl Default for Zone {
    fn default() -> Self {
        Zone::utc()
    }
}

impl Zone {
    pub fn utc() -> Zone {
        Zone {
            tz: TimeZone::UTC,
            name: "UTC".to_owned(),
            utc: true,
        }
    }

    /// The zone called `name` (an IANA name; `UTC` in any case).
    pub fn named(name: &str) -> Result<Zone, UnknownZone> {
        let name = name.trim();
        if name.eq_ignore_ascii_case("utc") {
            return Ok(Zone::utc());
        }
        let unknown = || UnknownZone {
            name: name.to_owned(),
        };
        if name.is_empty() {
            return Err(unknown());
        }
        let tz = jiff::tz::db()
            .get(name)
            .or_else(|_| TimeZoneDatabase::bundled().get(name))
            .map_err(|_| unknown())?;
        Ok(Zone {
            name: tz.iana_name().unwrap_or(name).to_owned(),
            tz,
            utc: false,
        })
    }

    /// The zone's IANA name (`UTC` for the default).
    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn is_utc(&self) -> bool {
        self.utc
    }

    /// The part of the zone's offset at `time` past a whole hour, in
    /// seconds (0 for whole-hour offsets).
    fn sub_hour(&self, time: Timestamp) -> i64 {
        if self.utc {
            return 0;
        }
        i64::from(self.tz.to_offset(time).seconds()).rem_euclid(SECONDS_PER_HOUR)
    }

    /// The hour bucket `time` falls in.
    pub fn hour_of(&self, time: Timestamp) -> i64 {
        (time.as_second() + self.sub_hour(time)).div_euclid(SECONDS_PER_HOUR)
    }

    /// The instant the bucket `hour` starts; `None` when out of range.
    pub fn hour_start(&self, hour: i64) -> Option<Timestamp> {
        let guess = Timestamp::from_second(hour.checked_mul(SECONDS_PER_HOUR)?).ok()?;
        Timestamp::from_second(guess.as_second() - self.sub_hour(guess)).ok()
    }

    /// The local calendar day of `time`.
    pub fn day_of(&self, time: Timestamp) -> Date {
        time.to_zoned_datetime(self.tz.clone()).date()
    }

    /// The local day of the bucket `hour`.
    pub fn day_of_hour(&self, hour: i64) -> Option<Date> {
        self.hour_start(hour).map(|t| self.day_of(t))
    }

    /// The first bucket of the local day holding the bucket `hour`.
    pub fn day_start_hour(&self, hour: i64) -> i64 {
        self.hour_start(hour)
            .and_then(|t| t.to_zoned_datetime(self.tz.clone()).start_of_day().ok())
            .map_or(hour - hour.rem_euclid(24), |day| {
                self.hour_of(day.timestamp())
            })
    }

    /// `2026-03-08` for `--by day`.
    pub fn day_label(&self, hour: i64) -> String {
        self.day_of_hour(hour)
            .map(|d| d.to_string())
            .unwrap_or_default()
    }

    /// `2026-03-08T07:00Z` in UTC, `2026-03-08T03:00-04:00` elsewhere, for
    /// `--by hour`: the local start of the hour with its offset, so the two
    /// 01:00 hours of a fall-back night are told apart.
    pub fn hour_label(&self, hour: i64) -> String {
        let Some(start) = self.hour_start(hour) else {
            return String::new();
        };
        if self.utc {
            return start.strftime("%Y-%m-%dT%H:00Z").to_string();
        }
        start
            .to_zoned_datetime(self.tz.clone())
            .strftime("%Y-%m-%dT%H:%M%:z")
            .to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn new_york() -> Zone {
        Zone::named("America/New_York").unwrap()
    }

    #[test]
    fn names_are_checked() {
        assert_eq!(Zone::named("utc").unwrap().name(), "UTC");
        assert!(Zone::named("UTC").unwrap().is_utc());
        assert_eq!(new_york().name(), "America/New_York");
        let error = Zone::named("Mars/Olympus_Mons").unwrap_err();
        assert_eq!(
            error.to_string(),
            "unknown time zone `Mars/Olympus_Mons`: expected an IANA name such as America/New_York, or UTC"
        );
        assert!(Zone::named("").is_err());
        assert!(Zone::named("-05:00").is_err(), "offsets are not zones");
    }

    /// The copy compiled into the binary is what a host without a system
    /// database gets.
    #[test]
    fn the_bundled_database_knows_the_zones() {
        let db = TimeZoneDatabase::bundled();
        assert!(!db.is_definitively_empty());
        for name in ["America/New_York", "Asia/Kolkata", "Europe/Berlin"] {
            assert!(db.get(name).is_ok(), "{name}");
        }
    }

    #[test]
    fn utc_buckets_are_utc_hours() {
        let utc = Zone::utc();
        let t = ts("2026-11-20T10:15:02Z");
        assert_eq!(utc.hour_of(t), t.as_second().div_euclid(3600));
        assert_eq!(utc.hour_label(utc.hour_of(t)), "2026-11-20T10:00Z");
        assert_eq!(utc.day_label(utc.hour_of(t)), "2026-11-20");
        let before_epoch = ts("1969-12-31T23:30:00Z");
        assert_eq!(utc.hour_of(before_epoch), -1);
    }

    #[test]
    fn whole_hour_zones_share_the_utc_buckets() {
        let ny = new_york();
        for t in [
            "2026-03-08T06:59:59Z",
            "2026-03-08T07:00:00Z",
            "2026-07-01T12:34:56Z",
        ] {
            assert_eq!(ny.hour_of(ts(t)), Zone::utc().hour_of(ts(t)), "{t}");
        }
    }

    /// 2026-03-08: New York springs forward at 02:00 EST (07:00 UTC) to
    /// 03:00 EDT; the local day is 23 hours long.
    #[test]
    fn spring_forward_day_has_23_hours() {
        let ny = new_york();
        let midnight = ts("2026-03-08T05:00:00Z"); // 00:00 EST
        let next_midnight = ts("2026-03-09T04:00:00Z"); // 00:00 EDT
        let first = ny.hour_of(midnight);
        assert_eq!(ny.hour_of(next_midnight) - first, 23);
        assert_eq!(ny.day_start_hour(first + 22), first);
        assert_eq!(ny.day_start_hour(first + 23), first + 23);
        assert_eq!(ny.day_label(first - 1), "2026-03-07");
        assert_eq!(ny.day_label(first), "2026-03-08");
        assert_eq!(ny.day_label(first + 22), "2026-03-08");
        assert_eq!(ny.day_label(first + 23), "2026-03-09");
        assert_eq!(ny.hour_label(first + 1), "2026-03-08T01:00-05:00");
        assert_eq!(ny.hour_label(first + 2), "2026-03-08T03:00-04:00");
    }

    /// 2026-11-01: New York falls back at 02:00 EDT (06:00 UTC) to 01:00
    /// EST; the local day is 25 hours long and 01:00 happens twice.
    #[test]
    fn fall_back_day_has_25_hours() {
        let ny = new_york();
        let midnight = ts("2026-11-01T04:00:00Z"); // 00:00 EDT
        let next_midnight = ts("2026-11-02T05:00:00Z"); // 00:00 EST
        let first = ny.hour_of(midnight);
        assert_eq!(ny.hour_of(next_midnight) - first, 25);
        assert_eq!(ny.day_start_hour(first + 24), first);
        assert_eq!(ny.day_label(first + 24), "2026-11-01");
        assert_eq!(ny.day_label(first + 25), "2026-11-02");
        assert_eq!(ny.hour_label(first + 1), "2026-11-01T01:00-04:00");
        assert_eq!(ny.hour_label(first + 2), "2026-11-01T01:00-05:00");
        assert_eq!(
            ny.day_of(ts("2026-11-02T04:59:59Z")).to_string(),
            "2026-11-01"
        );
        assert_eq!(
            ny.day_of(ts("2026-11-02T05:00:00Z")).to_string(),
            "2026-11-02"
        );
    }

    /// Asia/Kolkata is +05:30: its hours, and so its midnight, start at :30
    /// UTC.
    #[test]
    fn half_hour_zones_cut_at_local_midnight() {
        let kolkata = Zone::named("Asia/Kolkata").unwrap();
        let before = ts("2026-11-20T18:29:59Z"); // 23:59:59 IST
        let midnight = ts("2026-11-20T18:30:00Z"); // 00:00 IST
        assert_eq!(kolkata.hour_of(midnight) - kolkata.hour_of(before), 1);
        assert_eq!(
            kolkata.hour_start(kolkata.hour_of(midnight)),
            Some(midnight)
        );
        assert_eq!(kolkata.day_label(kolkata.hour_of(before)), "2026-11-20");
        assert_eq!(kolkata.day_label(kolkata.hour_of(midnight)), "2026-11-21");
        assert_eq!(
            kolkata.hour_label(kolkata.hour_of(ts("2026-11-21T05:10:00Z"))),
            "2026-11-21T10:00+05:30"
        );
        let hour = kolkata.hour_of(ts("2026-11-21T12:00:00Z"));
        assert_eq!(kolkata.day_start_hour(hour), kolkata.hour_of(midnight));
    }

    #[test]
    fn out_of_range_buckets_are_empty_not_a_panic() {
        let ny = new_york();
        assert_eq!(ny.hour_start(i64::MAX), None);
        assert_eq!(ny.day_label(i64::MIN), "");
        assert_eq!(ny.hour_label(i64::MAX), "");
        assert_eq!(
            ny.day_start_hour(i64::MAX),
            i64::MAX - i64::MAX.rem_euclid(24)
        );
    }
}
