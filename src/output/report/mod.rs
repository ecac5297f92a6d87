//! Daily CSV reports: `YYYY-MM-DD.csv`, one per local day of the zone
//! (`--timezone`, `[report] timezone`; UTC by default), with the columns
//! [`COLUMNS`] and one row per (date, vendor, code, status), sorted by count
//! descending, then by that key.
//!
//! # Which day an event belongs to
//! The day, in the zone, of the event's own time (the time its line
//! carries): days start at local midnight and are 23 or 25 hours long
//! across a DST change ([`crate::aggregate::zone`]). `first_seen` and
//! `last_seen` stay RFC 3339 in UTC whatever the zone. A line
//! without a time (`Key::hour == None`) belongs to the day it arrived: for
//! `tail` that is when it was read; for a whole-file `scan --report-dir` it
//! is the day the scan runs (`now` in [`write_daily_at`]), since nothing
//! better is known. Such rows have empty `first_seen`/`last_seen`.
//!
//! # Rewrites
//! [`write_daily`] rewrites the file of every day present in the tally from
//! that tally alone: a backfill of some of a day's logs replaces the day's
//! file, it does not add to it. Scan all of a day's logs in one run (or
//! merge per-host reports with [`merge`]). Each file is written atomically
//! (a temporary file in the same directory, `sync_all`, then renamed over
//! the target), so a reader never sees half a report and a failed write
//! leaves the previous report intact. A file whose content would not change
//! is not rewritten.
//!
//! # Safe by default
//! Text cells (vendor, code, category, description, sample_message) that a
//! spreadsheet would run as a formula, i.e. those starting with `=`, `+`,
//! `-`, `@`, tab or CR, get a leading `'` (OWASP CSV-injection guidance).
//! Exception: a cell that is a plain number (`-1`, `+2.5`) is left as it is,
//! so a vendor code like `-1` stays recognisable; a spreadsheet reads it as
//! a number, never as a formula. The number columns (status, count) and the
//! dates and times are produced by errscope and never start with those
//! characters. Neutralising is idempotent: a cell already starting with `'`
//! is not touched again, and reading a report back undoes nothing, so a
//! merge of reports is as safe as its inputs and never double-prefixes.
//! `sample_message` is also redacted ([`super::redact`]) unless asked not to.
//!
//! The parts: [`rows`] projects a tally into report rows, [`csv`] reads
//! and writes report files, [`merge`] combines rows of many reports.

use std::borrow::Cow;
use std::io;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::Timestamp;

pub mod csv;
pub mod merge;
pub mod rows;

#[cfg(test)]
mod fixtures;

pub use self::csv::{
    is_daily_name, parse_report, read_report, read_report_dir, render_csv, write_atomically,
    write_daily, write_daily_at, write_report,
};
pub use self::merge::merge;
pub use self::rows::daily_rows;

/// The header of every report, in order.
pub const COLUMNS: [&str; 10] = [
    "date",
    "vendor",
    "code",
    "status",
    "count",
    "category",
    "description",
    "first_seen",
    "last_seen",
    "sample_message",
];

/// Why a report could not be read or written. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    #[error("cannot read {}: {error}", path.display())]
    Read { path: PathBuf, error: io::Error },
    #[error("cannot write {}: {error}", path.display())]
    Write { path: PathBuf, error: io::Error },
    #[error(
        "{}: line 1: not an errscope report: the header must be `{}`, found `{found}`",
        path.display(),
        COLUMNS.join(",")
    )]
    Header { path: PathBuf, found: String },
    #[error("{}: line {line}: {message}", path.display())]
    Row {
        path: PathBuf,
        line: u64,
        message: String,
    },
}

impl ReportError {
    /// The file the error is about.
    pub fn path(&self) -> &Path {
        match self {
            ReportError::Read { path, .. }
            | ReportError::Write { path, .. }
            | ReportError::Header { path, .. }
            | ReportError::Row { path, .. } => path,
        }
    }
}

/// One row of a report, as written: text cells are neutralised and the
/// sample message redacted (unless the report was written unredacted);
/// times are whole seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportRow {
    pub date: Date,
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
    pub count: u64,
    pub category: String,
    pub description: String,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    pub sample_message: String,
}

/// What a row is one of: (date, vendor, code, status).
type RowKey<'a> = (Date, &'a str, &'a str, Option<u16>);

impl ReportRow {
    fn key(&self) -> RowKey<'_> {
        (self.date, &self.vendor, &self.code, self.status)
    }
}

/// Report order: count descending, then date, vendor, code, status.
pub fn sort_rows(rows: &mut [ReportRow]) {
    rows.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.key().cmp(&b.key())));
}

/// Neutralises a text cell a spreadsheet would run as a formula (see the
/// module docs). Idempotent.
pub fn neutralise(cell: &str) -> Cow<'_, str> {
    match cell.as_bytes().first() {
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r') if !is_plain_number(cell) => {
            Cow::Owned(format!("'{cell}"))
        }
        _ => Cow::Borrowed(cell),
    }
}

/// An optional sign, digits, and at most one decimal point.
fn is_plain_number(cell: &str) -> bool {
    let digits = cell.strip_prefix(['-', '+']).unwrap_or(cell);
    let mut points = 0;
    let mut any_digit = false;
    for c in digits.bytes() {
        match c {
            b'0'..=b'9' => any_digit = true,
            b'.' => points += 1,
            _ => return false,
        }
    }
    any_digit && points <= 1
}

/// Whole seconds: what a report can hold.
fn whole_seconds(time: Timestamp) -> Timestamp {
    Timestamp::from_second(time.as_second()).unwrap_or(time)
}

/// Which of two samples a row keeps: a non-empty message before an empty
/// one, then the one seen first (a known time before none). Ties keep the
/// earlier candidate, so the choice never depends on hash order.
fn sample_rank(message: &str, first_seen: Option<Timestamp>) -> (bool, bool, Option<Timestamp>) {
    (message.is_empty(), first_seen.is_none(), first_seen)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn neutralise_text_cells() {
        for (cell, expected) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1+1", "'+1+1"),
            ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("-1", "-1"),
            ("+42", "+42"),
            ("-1.5", "-1.5"),
            ("1-1", "1-1"),
            ("'=already", "'=already"),
            ("plain", "plain"),
            ("", ""),
        ] {
            assert_eq!(neutralise(cell), expected, "{cell:?}");
            assert_eq!(neutralise(expected), expected, "idempotent: {expected:?}");
        }
    }
}
