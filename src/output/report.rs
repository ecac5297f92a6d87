//! Daily CSV reports: `YYYY-MM-DD.csv`, one per UTC day, with the columns
//! [`COLUMNS`] and one row per (date, vendor, code, status), sorted by count
//! descending, then by that key.
//!
//! # Which day an event belongs to
//! The UTC day of the event's own time (the time its line carries). A line
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

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};
use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::Timestamp;

use super::redact::redact;
use crate::aggregate::{Key, Stats, Tally};
use crate::timespec::rfc3339;
use crate::vendors::VendorSet;

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

/// The UTC day of a timestamp.
pub fn utc_day(time: Timestamp) -> Date {
    time.to_zoned_datetime(TimeZone::UTC).date()
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

/// The rows of each UTC day in `tally`, sorted. Events without a time go to
/// the day of `now`.
pub fn daily_rows(
    tally: &Tally,
    vendors: &VendorSet,
    redact_messages: bool,
    now: Timestamp,
) -> BTreeMap<Date, Vec<ReportRow>> {
    let today = utc_day(now);
    let mut keys: Vec<(&Key, &Stats)> = tally.groups.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));

    // Each row with the first_seen of the group its sample came from.
    let mut grouped: HashMap<RowKey<'_>, (ReportRow, Option<Timestamp>)> = HashMap::new();
    for (key, stats) in keys {
        let date = key
            .hour
            .and_then(|h| h.checked_mul(3600))
            .and_then(|s| Timestamp::from_second(s).ok())
            .map_or(today, utc_day);
        let first_seen = stats.first_seen.map(whole_seconds);
        let last_seen = stats.last_seen.map(whole_seconds);
        let (row, sample_seen) = grouped
            .entry((date, &key.vendor, &key.code, key.status))
            .or_insert_with(|| {
                let (category, description) = match vendors.index_of(&key.vendor) {
                    Some(i) => {
                        let found = vendors.get(i).lookup(&key.code, key.status);
                        (found.category, found.description)
                    }
                    None => ("unknown", ""),
                };
                let row = ReportRow {
                    date,
                    vendor: key.vendor.clone(),
                    code: key.code.clone(),
                    status: key.status,
                    count: 0,
                    category: category.to_owned(),
                    description: description.to_owned(),
                    first_seen,
                    last_seen,
                    sample_message: stats.sample_message.clone(),
                };
                (row, first_seen)
            });
        if row.count > 0
            && sample_rank(&stats.sample_message, first_seen)
                < sample_rank(&row.sample_message, *sample_seen)
        {
            row.sample_message.clone_from(&stats.sample_message);
            *sample_seen = first_seen;
        }
        row.count += stats.count;
        row.first_seen = crate::aggregate::min_opt(row.first_seen, first_seen);
        row.last_seen = crate::aggregate::max_opt(row.last_seen, last_seen);
    }

    let mut days: BTreeMap<Date, Vec<ReportRow>> = BTreeMap::new();
    for (mut row, _) in grouped.into_values() {
        if redact_messages {
            row.sample_message = redact(&row.sample_message);
        }
        for cell in [
            &mut row.vendor,
            &mut row.code,
            &mut row.category,
            &mut row.description,
            &mut row.sample_message,
        ] {
            if let Cow::Owned(safe) = neutralise(cell) {
                *cell = safe;
            }
        }
        days.entry(row.date).or_default().push(row);
    }
    for rows in days.values_mut() {
        sort_rows(rows);
    }
    days
}

/// Writes (or rewrites) `dir/YYYY-MM-DD.csv` for every UTC day in `tally`;
/// events without a time count on today (UTC). See [`write_daily_at`].
pub fn write_daily(
    dir: &Path,
    tally: &Tally,
    vendors: &VendorSet,
    redact: bool,
) -> Result<Vec<PathBuf>, ReportError> {
    write_daily_at(dir, tally, vendors, redact, Timestamp::now())
}

/// Writes (or rewrites) `dir/YYYY-MM-DD.csv` for every UTC day in `tally`,
/// atomically; events without a time count on the UTC day of `now`.
/// Creates `dir` if needed. Returns the day files, in date order, which are
/// now current (rewritten, or already holding exactly these rows).
///
/// Every day is attempted even when one fails; the first failure is
/// returned (the files it names keep their previous content).
pub fn write_daily_at(
    dir: &Path,
    tally: &Tally,
    vendors: &VendorSet,
    redact: bool,
    now: Timestamp,
) -> Result<Vec<PathBuf>, ReportError> {
    let days = daily_rows(tally, vendors, redact, now);
    if days.is_empty() {
        return Ok(Vec::new());
    }
    fs::create_dir_all(dir).map_err(|error| ReportError::Write {
        path: dir.to_owned(),
        error,
    })?;
    let mut written = Vec::with_capacity(days.len());
    let mut first_error = None;
    for (day, rows) in &days {
        let path = dir.join(format!("{day}.csv"));
        match write_rows_if_changed(&path, rows) {
            Ok(()) => written.push(path),
            Err(error) => {
                first_error.get_or_insert(error);
            }
        }
    }
    match first_error {
        Some(error) => Err(error),
        None => Ok(written),
    }
}

/// Writes `rows` (sorted into report order) to `path` atomically, creating
/// its directory if needed.
pub fn write_report(path: &Path, rows: &[ReportRow]) -> Result<(), ReportError> {
    let mut sorted = rows.to_vec();
    sort_rows(&mut sorted);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|error| ReportError::Write {
            path: parent.to_owned(),
            error,
        })?;
    }
    let bytes = render_csv(&sorted).map_err(|error| ReportError::Write {
        path: path.to_owned(),
        error,
    })?;
    write_atomically(path, |file| file.write_all(&bytes))
}

fn write_rows_if_changed(path: &Path, rows: &[ReportRow]) -> Result<(), ReportError> {
    let bytes = render_csv(rows).map_err(|error| ReportError::Write {
        path: path.to_owned(),
        error,
    })?;
    if fs::read(path).is_ok_and(|old| old == bytes) {
        return Ok(());
    }
    write_atomically(path, |file| file.write_all(&bytes))
}

/// The CSV text of `rows`, in the order given, header first. Text cells are
/// neutralised here too, so no writer path can skip it.
pub fn render_csv(rows: &[ReportRow]) -> io::Result<Vec<u8>> {
    let mut writer = csv::Writer::from_writer(Vec::new());
    writer.write_record(COLUMNS)?;
    for row in rows {
        let status = row.status.map(|s| s.to_string()).unwrap_or_default();
        let count = row.count.to_string();
        let date = row.date.to_string();
        let first_seen = rfc3339(row.first_seen);
        let last_seen = rfc3339(row.last_seen);
        writer.write_record([
            date.as_str(),
            &neutralise(&row.vendor),
            &neutralise(&row.code),
            &status,
            &count,
            &neutralise(&row.category),
            &neutralise(&row.description),
            &first_seen,
            &last_seen,
            &neutralise(&row.sample_message),
        ])?;
    }
    writer
        .into_inner()
        .map_err(|e| io::Error::other(e.error().to_string()))
}

/// Replaces `path` with what `write` produces, or leaves it as it was: the
/// content goes to a temporary file in the same directory (so the rename
/// cannot cross file systems), is flushed to disk, then renamed over
/// `path`. A new file gets mode 0644; a rewritten one keeps its mode.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), ReportError> {
    let failed = |error| ReportError::Write {
        path: path.to_owned(),
        error,
    };
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".errscope-")
        .suffix(".tmp")
        .tempfile_in(dir)
        .map_err(failed)?;
    write(temp.as_file_mut()).map_err(failed)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| fs::Permissions::from_mode(0o644));
        temp.as_file()
            .set_permissions(permissions)
            .map_err(failed)?;
    }
    temp.as_file().sync_all().map_err(failed)?;
    temp.persist(path).map_err(|e| failed(e.error))?;
    // Make the rename itself durable; not every platform can sync a directory.
    if let Ok(dir) = File::open(dir) {
        let _ = dir.sync_all();
    }
    Ok(())
}

/// Reads a report, checking the header and every row.
pub fn read_report(path: &Path) -> Result<Vec<ReportRow>, ReportError> {
    let file = File::open(path).map_err(|error| ReportError::Read {
        path: path.to_owned(),
        error,
    })?;
    parse_report(path, io::BufReader::new(file))
}

/// Parses report text; `path` only names it in errors.
pub fn parse_report(path: &Path, input: impl io::Read) -> Result<Vec<ReportRow>, ReportError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(input);
    let mut records = reader.records();
    let header = match records.next() {
        None => {
            return Err(ReportError::Header {
                path: path.to_owned(),
                found: "(an empty file)".to_owned(),
            })
        }
        Some(record) => record.map_err(|e| csv_error(path, e))?,
    };
    let found: Vec<&str> = header
        .iter()
        .enumerate()
        // A spreadsheet may save a byte-order mark.
        .map(|(i, cell)| {
            if i == 0 {
                cell.trim_start_matches('\u{feff}')
            } else {
                cell
            }
        })
        .collect();
    if found != COLUMNS {
        let mut found = found.join(",");
        if let Some((cut, _)) = found.char_indices().nth(120) {
            found.truncate(cut);
            found.push('…');
        }
        return Err(ReportError::Header {
            path: path.to_owned(),
            found,
        });
    }
    let mut rows = Vec::new();
    for record in records {
        let record = record.map_err(|e| csv_error(path, e))?;
        let line = record.position().map_or(0, |p| p.line());
        let bad = |message: String| ReportError::Row {
            path: path.to_owned(),
            line,
            message,
        };
        if record.len() != COLUMNS.len() {
            return Err(bad(format!(
                "expected {} fields, found {}",
                COLUMNS.len(),
                record.len()
            )));
        }
        let cell = |i: usize| record.get(i).unwrap_or_default();
        let date: Date = cell(0)
            .parse()
            .map_err(|e| bad(format!("date `{}`: {e}", cell(0))))?;
        let status = match cell(3) {
            "" => None,
            text => Some(
                text.parse::<u16>()
                    .map_err(|e| bad(format!("status `{text}`: {e}")))?,
            ),
        };
        let count = cell(4)
            .parse::<u64>()
            .map_err(|e| bad(format!("count `{}`: {e}", cell(4))))?;
        let time = |i: usize, name: &str| -> Result<Option<Timestamp>, ReportError> {
            match cell(i) {
                "" => Ok(None),
                text => text
                    .parse::<Timestamp>()
                    .map(Some)
                    .map_err(|e| bad(format!("{name} `{text}`: {e}"))),
            }
        };
        rows.push(ReportRow {
            date,
            vendor: cell(1).to_owned(),
            code: cell(2).to_owned(),
            status,
            count,
            category: cell(5).to_owned(),
            description: cell(6).to_owned(),
            first_seen: time(7, "first_seen")?.map(whole_seconds),
            last_seen: time(8, "last_seen")?.map(whole_seconds),
            sample_message: cell(9).to_owned(),
        });
    }
    Ok(rows)
}

fn csv_error(path: &Path, error: csv::Error) -> ReportError {
    let line = error.position().map_or(0, |p| p.line());
    let message = error.to_string();
    match error.into_kind() {
        csv::ErrorKind::Io(error) => ReportError::Read {
            path: path.to_owned(),
            error,
        },
        csv::ErrorKind::Utf8 { err, .. } => ReportError::Row {
            path: path.to_owned(),
            line,
            message: format!("not UTF-8: {err}"),
        },
        _ => ReportError::Row {
            path: path.to_owned(),
            line,
            message,
        },
    }
}

/// Merges rows (of one or many reports) by (date, vendor, code, status):
/// counts are summed, `first_seen` is the earliest and `last_seen` the
/// latest; category and description come from the first row that has them;
/// the sample message is the earliest-seen non-empty one (ties: the first
/// given). The result is in report order.
pub fn merge(rows: impl IntoIterator<Item = ReportRow>) -> Vec<ReportRow> {
    // Each row with the first_seen of the row its sample came from.
    let mut order: Vec<(ReportRow, Option<Timestamp>)> = Vec::new();
    let mut index: HashMap<(Date, String, String, Option<u16>), usize> = HashMap::new();
    for row in rows {
        let key = (row.date, row.vendor.clone(), row.code.clone(), row.status);
        match index.get(&key) {
            None => {
                index.insert(key, order.len());
                let seen = row.first_seen;
                order.push((row, seen));
            }
            Some(&i) => {
                let (merged, sample_seen) = &mut order[i];
                if sample_rank(&row.sample_message, row.first_seen)
                    < sample_rank(&merged.sample_message, *sample_seen)
                {
                    merged.sample_message = row.sample_message;
                    *sample_seen = row.first_seen;
                }
                merged.count += row.count;
                merged.first_seen = crate::aggregate::min_opt(merged.first_seen, row.first_seen);
                merged.last_seen = crate::aggregate::max_opt(merged.last_seen, row.last_seen);
                if merged.category.is_empty() {
                    merged.category = row.category;
                }
                if merged.description.is_empty() {
                    merged.description = row.description;
                }
            }
        }
    }
    let mut rows: Vec<ReportRow> = order.into_iter().map(|(row, _)| row).collect();
    sort_rows(&mut rows);
    rows
}

/// Whether `name` is a daily report's file name, `YYYY-MM-DD.csv`.
pub fn is_daily_name(name: &str) -> bool {
    name.strip_suffix(".csv").is_some_and(|stem| {
        stem.len() == 10
            && stem.bytes().enumerate().all(|(i, c)| {
                if i == 4 || i == 7 {
                    c == b'-'
                } else {
                    c.is_ascii_digit()
                }
            })
            && stem.parse::<Date>().is_ok()
    })
}

/// Reads every `YYYY-MM-DD.csv` in `dir`, in name order.
pub fn read_report_dir(dir: &Path) -> Result<Vec<(PathBuf, Vec<ReportRow>)>, ReportError> {
    let failed = |error| ReportError::Read {
        path: dir.to_owned(),
        error,
    };
    let mut paths = Vec::new();
    for entry in fs::read_dir(dir).map_err(failed)? {
        let entry = entry.map_err(failed)?;
        if entry.file_name().to_str().is_some_and(is_daily_name) {
            paths.push(entry.path());
        }
    }
    paths.sort();
    paths
        .into_iter()
        .map(|path| read_report(&path).map(|rows| (path, rows)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    fn date(text: &str) -> Date {
        text.parse().unwrap()
    }

    fn key(vendor: &str, code: &str, status: Option<u16>, time: Option<&str>, file: u32) -> Key {
        Key {
            vendor: vendor.into(),
            code: code.into(),
            status,
            hour: time.map(|t| crate::aggregate::hour_of(ts(t))),
            file,
        }
    }

    fn record(tally: &mut Tally, k: Key, time: Option<&str>, message: &str) {
        tally.record(k, time.map(ts), message);
    }

    fn row(day: &str, code: &str, count: u64) -> ReportRow {
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

    const NOW: &str = "2026-11-22T08:00:00Z";

    fn sample_tally() -> Tally {
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

    #[test]
    fn daily_rows_group_by_utc_day() {
        let vendors = VendorSet::builtin().unwrap();
        let days = daily_rows(&sample_tally(), &vendors, true, ts(NOW));
        let dates: Vec<String> = days.keys().map(|d| d.to_string()).collect();
        assert_eq!(dates, ["2026-11-20", "2026-11-21", "2026-11-22"]);

        let first = &days[&date("2026-11-20")];
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].code, "1200");
        assert_eq!(first[0].count, 3, "summed over hours and files");
        assert_eq!(
            first[0].first_seen,
            Some(ts("2026-11-20T10:15:02Z")),
            "whole seconds"
        );
        assert_eq!(first[0].last_seen, Some(ts("2026-11-20T23:59:59Z")));
        assert_eq!(first[0].sample_message, "from a", "earliest seen");
        assert_eq!(first[0].description, "Authentication failed");
        assert_eq!(first[1].code, "'=HYPERLINK(\"x", "code neutralised");
        assert_eq!(first[1].sample_message, "'-cmd|' /C calc'!A0 <email>");

        assert_eq!(days[&date("2026-11-21")][0].count, 1);
        let today = &days[&date("2026-11-22")];
        assert_eq!(
            (today[0].vendor.as_str(), today[0].first_seen),
            ("ozforensics", None)
        );
    }

    #[test]
    fn unknown_vendor_and_no_redact() {
        let vendors = VendorSet::builtin().unwrap();
        let mut tally = Tally::default();
        record(
            &mut tally,
            key("acme", "E1", None, None, 0),
            None,
            "mail bob@example.com",
        );
        let days = daily_rows(&tally, &vendors, false, ts(NOW));
        let rows = &days[&date("2026-11-22")];
        assert_eq!(rows[0].category, "unknown");
        assert_eq!(rows[0].sample_message, "mail bob@example.com");
    }

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

    #[test]
    fn csv_round_trip_and_columns() {
        let vendors = VendorSet::builtin().unwrap();
        let days = daily_rows(&sample_tally(), &vendors, true, ts(NOW));
        let rows = &days[&date("2026-11-20")];
        let bytes = render_csv(rows).unwrap();
        let text = String::from_utf8(bytes.clone()).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next(),
            Some("date,vendor,code,status,count,category,description,first_seen,last_seen,sample_message")
        );
        assert_eq!(
            lines.next(),
            Some("2026-11-20,ocrolus,1200,400,3,auth,Authentication failed,2026-11-20T10:15:02Z,2026-11-20T23:59:59Z,from a")
        );
        let back = parse_report(Path::new("x.csv"), bytes.as_slice()).unwrap();
        assert_eq!(&back, rows);
        // Writing what was read changes nothing: no double prefix.
        assert_eq!(render_csv(&back).unwrap(), bytes);
    }

    #[test]
    fn header_is_checked() {
        let path = Path::new("host1/2026-11-20.csv");
        let error = parse_report(path, "date,vendor,code\n".as_bytes()).unwrap_err();
        let text = error.to_string();
        assert!(
            text.starts_with("host1/2026-11-20.csv: line 1: not an errscope report"),
            "{text}"
        );
        assert!(text.contains("found `date,vendor,code`"), "{text}");
        let error = parse_report(path, "".as_bytes()).unwrap_err();
        assert!(matches!(error, ReportError::Header { .. }), "{error}");
        let bom = format!("\u{feff}{}\n", COLUMNS.join(","));
        assert_eq!(parse_report(path, bom.as_bytes()).unwrap(), vec![]);
    }

    #[test]
    fn bad_rows_name_file_and_line() {
        let path = Path::new("r.csv");
        let header = COLUMNS.join(",");
        let good =
            "2026-11-20,ocrolus,1200,400,3,auth,d,2026-11-20T10:00:00Z,2026-11-20T11:00:00Z,m";
        for (bad, expected) in [
            (
                "2026-11-20,ocrolus,1200",
                "r.csv: line 3: expected 10 fields, found 3",
            ),
            (
                "2026-13-20,ocrolus,1200,400,3,auth,d,,,m",
                "r.csv: line 3: date `2026-13-20`",
            ),
            (
                "2026-11-20,ocrolus,1200,abc,3,auth,d,,,m",
                "r.csv: line 3: status `abc`",
            ),
            (
                "2026-11-20,ocrolus,1200,400,-3,auth,d,,,m",
                "r.csv: line 3: count `-3`",
            ),
            (
                "2026-11-20,ocrolus,1200,400,3,auth,d,yesterday,,m",
                "r.csv: line 3: first_seen `yesterday`",
            ),
        ] {
            let text = format!("{header}\n{good}\n{bad}\n");
            let error = parse_report(path, text.as_bytes()).unwrap_err().to_string();
            assert!(error.starts_with(expected), "{error}");
        }
        let mut bytes = format!("{header}\n").into_bytes();
        bytes.extend_from_slice(b"2026-11-20,\xff,1,,1,,,,,\n");
        let error = parse_report(path, bytes.as_slice())
            .unwrap_err()
            .to_string();
        assert!(error.starts_with("r.csv: line 2: not UTF-8"), "{error}");
    }

    #[test]
    fn merge_sums_and_takes_min_max() {
        let mut a = row("2026-11-20", "1200", 3);
        a.sample_message = "later".into();
        a.first_seen = Some(ts("2026-11-20T09:00:00Z"));
        a.description = String::new();
        let mut b = row("2026-11-20", "1200", 4);
        b.sample_message = "earlier".into();
        b.first_seen = Some(ts("2026-11-20T08:00:00Z"));
        b.last_seen = Some(ts("2026-11-20T12:00:00Z"));
        let c = row("2026-11-20", "1204", 10);
        let d = row("2026-11-21", "1200", 1);
        let merged = merge([a, b, c, d]);
        let summary: Vec<(String, &str, u64)> = merged
            .iter()
            .map(|r| (r.date.to_string(), r.code.as_str(), r.count))
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-11-20".to_owned(), "1204", 10),
                ("2026-11-20".to_owned(), "1200", 7),
                ("2026-11-21".to_owned(), "1200", 1),
            ]
        );
        let m = &merged[1];
        assert_eq!(m.first_seen, Some(ts("2026-11-20T08:00:00Z")));
        assert_eq!(m.last_seen, Some(ts("2026-11-20T12:00:00Z")));
        assert_eq!(m.sample_message, "earlier");
        assert_eq!(m.description, "Authentication failed", "first non-empty");
    }

    #[test]
    fn merge_keeps_unknown_times_and_non_empty_samples() {
        let mut a = row("2026-11-20", "1200", 1);
        a.first_seen = None;
        a.last_seen = None;
        a.sample_message = String::new();
        let b = row("2026-11-20", "1200", 1);
        let merged = merge([a, b.clone()]);
        assert_eq!(merged[0].first_seen, b.first_seen);
        assert_eq!(merged[0].last_seen, b.last_seen);
        assert_eq!(merged[0].sample_message, "m");
    }

    #[test]
    fn write_daily_writes_and_rewrites() {
        let vendors = VendorSet::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let reports = dir.path().join("reports");
        let mut tally = Tally::default();
        let t = "2026-11-20T10:00:00Z";
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), Some(t), 0),
            Some(t),
            "m",
        );
        let written = write_daily_at(&reports, &tally, &vendors, true, ts(NOW)).unwrap();
        assert_eq!(written, [reports.join("2026-11-20.csv")]);
        assert_eq!(read_report(&written[0]).unwrap()[0].count, 1);

        // A late event for the 20th and a new one on the 21st.
        let t2 = "2026-11-21T01:00:00Z";
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), Some(t2), 0),
            Some(t2),
            "m",
        );
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), Some(t), 0),
            Some(t),
            "m",
        );
        let written = write_daily_at(&reports, &tally, &vendors, true, ts(NOW)).unwrap();
        assert_eq!(written.len(), 2);
        assert_eq!(read_report(&written[0]).unwrap()[0].count, 2);
        assert_eq!(read_report(&written[1]).unwrap()[0].count, 1);
        let names: Vec<String> = fs::read_dir(&reports)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names.len(), 2, "no temporary files left: {names:?}");

        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&written[0]).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o644);
        }
        assert!(
            write_daily_at(&reports, &Tally::default(), &vendors, true, ts(NOW))
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn unchanged_report_is_not_rewritten() {
        let vendors = VendorSet::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let mut tally = Tally::default();
        let t = "2026-11-20T10:00:00Z";
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), Some(t), 0),
            Some(t),
            "m",
        );
        let path = &write_daily_at(dir.path(), &tally, &vendors, true, ts(NOW)).unwrap()[0];
        let before = fs::metadata(path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_daily_at(dir.path(), &tally, &vendors, true, ts(NOW)).unwrap();
        assert_eq!(fs::metadata(path).unwrap().modified().unwrap(), before);
    }

    #[test]
    fn failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-11-20.csv");
        fs::write(&path, "old content").unwrap();
        let error = write_atomically(&path, |file| {
            file.write_all(b"half a rep")?;
            Err(io::Error::new(io::ErrorKind::StorageFull, "disk full"))
        })
        .unwrap_err();
        assert_eq!(error.path(), path);
        assert!(error.to_string().contains("disk full"), "{error}");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old content");
        assert_eq!(
            fs::read_dir(dir.path()).unwrap().count(),
            1,
            "temp file removed"
        );
    }

    #[test]
    fn unwritable_target_is_an_error_naming_the_file() {
        let vendors = VendorSet::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        // The day's report path is a directory: the rename cannot replace it.
        fs::create_dir(dir.path().join("2026-11-20.csv")).unwrap();
        fs::write(dir.path().join("2026-11-21.csv"), "old").unwrap();
        let mut tally = Tally::default();
        for t in ["2026-11-20T10:00:00Z", "2026-11-21T10:00:00Z"] {
            record(
                &mut tally,
                key("ocrolus", "1200", Some(400), Some(t), 0),
                Some(t),
                "m",
            );
        }
        let error = write_daily_at(dir.path(), &tally, &vendors, true, ts(NOW)).unwrap_err();
        assert_eq!(error.path(), dir.path().join("2026-11-20.csv"));
        assert!(error.to_string().starts_with("cannot write "), "{error}");
        // The other day was still written.
        assert_eq!(
            read_report(&dir.path().join("2026-11-21.csv")).unwrap()[0].count,
            1
        );

        // The report directory is a file.
        let not_dir = dir.path().join("file");
        fs::write(&not_dir, "").unwrap();
        let error = write_daily_at(&not_dir, &tally, &vendors, true, ts(NOW)).unwrap_err();
        assert_eq!(error.path(), not_dir);
    }

    #[cfg(unix)]
    #[test]
    fn read_only_dir_keeps_the_old_file() {
        use std::os::unix::fs::PermissionsExt;
        let vendors = VendorSet::builtin().unwrap();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("2026-11-20.csv");
        fs::write(&path, "old content").unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o555)).unwrap();
        let probe = dir.path().join("probe");
        if fs::write(&probe, "").is_ok() {
            // Root (or a capability) ignores the mode: nothing to test here;
            // `failed_write_keeps_the_old_file` covers the failure path.
            let _ = fs::remove_file(&probe);
            fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
            eprintln!("skipped: permissions are not enforced for this user");
            return;
        }
        let mut tally = Tally::default();
        let t = "2026-11-20T10:00:00Z";
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), Some(t), 0),
            Some(t),
            "m",
        );
        let result = write_daily_at(dir.path(), &tally, &vendors, true, ts(NOW));
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let error = result.unwrap_err();
        assert_eq!(error.path(), path);
        assert_eq!(fs::read_to_string(&path).unwrap(), "old content");
    }

    #[test]
    fn daily_names() {
        assert!(is_daily_name("2026-11-20.csv"));
        assert!(!is_daily_name("2026-13-20.csv"));
        assert!(!is_daily_name("all.csv"));
        assert!(!is_daily_name(".errscope-abc.tmp"));
        assert!(!is_daily_name("2026-11-20.csv.bak"));
    }

    #[test]
    fn report_dir_reads_only_day_files() {
        let dir = tempfile::tempdir().unwrap();
        write_report(
            &dir.path().join("2026-11-21.csv"),
            &[row("2026-11-21", "1", 1)],
        )
        .unwrap();
        write_report(
            &dir.path().join("2026-11-20.csv"),
            &[row("2026-11-20", "1", 2)],
        )
        .unwrap();
        fs::write(dir.path().join("notes.txt"), "x").unwrap();
        let reports = read_report_dir(dir.path()).unwrap();
        assert_eq!(reports.len(), 2);
        assert!(reports[0].0.ends_with("2026-11-20.csv"));
        assert_eq!(reports[1].1[0].count, 1);
    }
}
