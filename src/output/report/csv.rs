//! Report files: CSV text to and from rows, the daily files of a
//! directory, and atomic replacement of a report.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::Timestamp;

use super::{daily_rows, neutralise, sort_rows, whole_seconds, ReportError, ReportRow, COLUMNS};
use crate::aggregate::{Tally, Zone};
use crate::output::atomic;
use crate::timespec::rfc3339;
use crate::vendors::VendorSet;

/// Writes (or rewrites) `dir/YYYY-MM-DD.csv` for every day (in `zone`) of
/// `tally`; events without a time count on today. See [`write_daily_at`].
pub fn write_daily(
    dir: &Path,
    tally: &Tally,
    vendors: &VendorSet,
    redact: bool,
    zone: &Zone,
) -> Result<Vec<PathBuf>, ReportError> {
    write_daily_at(dir, tally, vendors, redact, zone, Timestamp::now())
}

/// Writes (or rewrites) `dir/YYYY-MM-DD.csv` for every day (in `zone`, which
/// the tally was bucketed in) of `tally`, atomically; events without a time
/// count on the day of `now`.
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
    zone: &Zone,
    now: Timestamp,
) -> Result<Vec<PathBuf>, ReportError> {
    let days = daily_rows(tally, vendors, redact, zone, now);
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

/// Replaces `path` with what `write` produces, or leaves it as it was (see
/// [`atomic::write`]); a new report gets mode 0644.
pub fn write_atomically(
    path: &Path,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> Result<(), ReportError> {
    atomic::write(path, atomic::PUBLIC, write).map_err(|error| ReportError::Write {
        path: path.to_owned(),
        error,
    })
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
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn csv_round_trip_and_columns() {
        let vendors = VendorSet::builtin().unwrap();
        let days = daily_rows(&sample_tally(), &vendors, true, &Zone::utc(), ts(NOW));
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
        let written =
            write_daily_at(&reports, &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap();
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
        let written =
            write_daily_at(&reports, &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap();
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
        assert!(write_daily_at(
            &reports,
            &Tally::default(),
            &vendors,
            true,
            &Zone::utc(),
            ts(NOW)
        )
        .unwrap()
        .is_empty());
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
        let path =
            &write_daily_at(dir.path(), &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap()[0];
        let before = fs::metadata(path).unwrap().modified().unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        write_daily_at(dir.path(), &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap();
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
        let error =
            write_daily_at(dir.path(), &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap_err();
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
        let error =
            write_daily_at(&not_dir, &tally, &vendors, true, &Zone::utc(), ts(NOW)).unwrap_err();
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
        let result = write_daily_at(dir.path(), &tally, &vendors, true, &Zone::utc(), ts(NOW));
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
