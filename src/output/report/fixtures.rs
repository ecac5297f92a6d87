//! Tallies and rows the report tests share.

use jiff::civil::Date;
use jiff::Timestamp;

use super::ReportRow;
use crate::aggregate::{Key, Tally};

pub fn ts(text: &str) -> Timestamp {
    text.parse().unwrap()
}

pub fn date(text: &str) -> Date {
    text.parse().unwrap()
}

pub fn key(vendor: &str, code: &str, status: Option<u16>, time: Option<&str>, file: u32) -> Key {
    Key {
        vendor: vendor.into(),
        code: code.into(),
        status,
        hour: time.map(|t| crate::aggregate::hour_of(ts(t))),
        file,
    }
}

pub fn record(tally: &mut Tally, k: Key, time: Option<&str>, message: &str) {
    tally.record(k, time.map(ts), message);
}

pub fn row(day: &str, code: &str, count: u64) -> ReportRow {
    ReportRow {
        date: date(day),
        vendor: "ocrolus".into(),
        code: code.into(),
        status: Some(400),
        count,
        category: "auth".into(),
        description: "Authentication failed".into(),
        first_seen: Some(ts(&format!("{day}T10:00:00Z"))),
        last_seen: Some(ts(&format!("{day}T11:00:00Z"))),
        sample_message: "m".into(),
    }
}

pub const NOW: &str = "2026-11-22T08:00:00Z";

pub fn sample_tally() -> Tally {
    let mut tally = Tally::default();
    tally.file_index("a.log");
    tally.file_index("b.log");
    let t1 = "2026-11-20T10:15:02.750Z";
    let t2 = "2026-11-20T23:59:59Z";
    let t3 = "2026-11-21T00:00:00Z";
    record(
        &mut tally,
        key("ocrolus", "1200", Some(400), Some(t1), 0),
        Some(t1),
        "from a",
    );
    record(
        &mut tally,
        key("ocrolus", "1200", Some(400), Some(t2), 1),
        Some(t2),
        "from b",
    );
    record(
        &mut tally,
        key("ocrolus", "1200", Some(400), Some(t2), 1),
        Some(t2),
        "from b",
    );
    record(
        &mut tally,
        key("ocrolus", "1200", Some(400), Some(t3), 0),
        Some(t3),
        "next day",
    );
    record(
        &mut tally,
        key("codat", "=HYPERLINK(\"x", Some(402), Some(t1), 0),
        Some(t1),
        "-cmd|' /C calc'!A0 bob@example.com",
    );
    record(
        &mut tally,
        key("ozforensics", "7", None, None, 0),
        None,
        "no time",
    );
    tally
}
