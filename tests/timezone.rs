//! `--timezone` and `[report] timezone` through the real binary: `scan --by
//! day,hour` and daily reports (of `scan` and of `tail`) cut at local
//! midnight across both 2026 DST changes of America/New_York, bad zones
//! named by flag or config key, the zone named on the HTML page, and zones
//! known without a system database.

mod common;

use std::fs;
use std::path::Path;

use common::*;
use errscope::output::report::read_report;

/// A log line at `time` with an Ocrolus 1200 body.
fn line(time: &str) -> String {
    format!("{time} ERROR [vendor.client] request failed: {OCROLUS_1200}\n")
}

/// Times around both New York DST changes of 2026 and their midnights,
/// with the local time each one is.
const TIMES: [&str; 9] = [
    "2026-03-08T04:59:59Z", // 2026-03-07 23:59:59 EST
    "2026-03-08T05:00:00Z", // 2026-03-08 00:00 EST: local midnight
    "2026-03-08T06:59:59Z", // 01:59:59 EST, just before spring forward
    "2026-03-08T07:00:00Z", // 03:00 EDT: 02:00 never happens
    "2026-03-09T03:59:59Z", // 2026-03-08 23:59:59 EDT: the 23-hour day ends
    "2026-11-01T04:00:00Z", // 2026-11-01 00:00 EDT
    "2026-11-01T05:30:00Z", // 01:30 EDT
    "2026-11-01T06:30:00Z", // 01:30 EST: the same wall time again
    "2026-11-02T04:59:59Z", // 2026-11-01 23:59:59 EST: the 25-hour day ends
];

fn log(dir: &Path) -> String {
    write(
        dir,
        "app.log",
        TIMES.iter().map(|t| line(t)).collect::<String>(),
    )
}

fn scan_csv(args: &[&str]) -> String {
    let output = errscope()
        .args(["scan", "--no-progress", "--format", "csv"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "scan failed: {}", stderr(&output));
    stdout(&output)
}

/// (first column, second column, count) of each CSV row, sorted.
fn cells(csv_text: &str) -> Vec<(String, String, u64)> {
    let mut rows: Vec<(String, String, u64)> = csv_text
        .lines()
        .skip(1)
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            (f[0].to_owned(), f[1].to_owned(), f[2].parse().unwrap())
        })
        .collect();
    rows.sort();
    rows
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn scan_by_day_and_hour_cuts_at_new_york_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let text = scan_csv(&["--by", "day,hour", "--timezone", "America/New_York", &input]);
    assert_eq!(
        cells(&text),
        [
            (s("2026-03-07"), s("2026-03-07T23:00-05:00"), 1),
            (s("2026-03-08"), s("2026-03-08T00:00-05:00"), 1),
            (s("2026-03-08"), s("2026-03-08T01:00-05:00"), 1),
            (s("2026-03-08"), s("2026-03-08T03:00-04:00"), 1),
            (s("2026-03-08"), s("2026-03-08T23:00-04:00"), 1),
            (s("2026-11-01"), s("2026-11-01T00:00-04:00"), 1),
            (s("2026-11-01"), s("2026-11-01T01:00-04:00"), 1),
            (s("2026-11-01"), s("2026-11-01T01:00-05:00"), 1),
            (s("2026-11-01"), s("2026-11-01T23:00-05:00"), 1),
        ]
    );
    // first_seen and last_seen stay RFC 3339 in UTC.
    assert!(
        text.contains(",2026-11-01T06:30:00Z,2026-11-01T06:30:00Z"),
        "{text}"
    );

    let days = cells(&scan_csv(&[
        "--by",
        "day,vendor",
        "--timezone",
        "America/New_York",
        &input,
    ]));
    assert_eq!(
        days,
        [
            (s("2026-03-07"), s("ocrolus"), 1),
            (s("2026-03-08"), s("ocrolus"), 4),
            (s("2026-11-01"), s("ocrolus"), 4),
        ]
    );
    // The same file in UTC (the default) cuts elsewhere.
    let utc = cells(&scan_csv(&["--by", "day,vendor", &input]));
    assert_eq!(
        utc,
        [
            (s("2026-03-08"), s("ocrolus"), 4),
            (s("2026-03-09"), s("ocrolus"), 1),
            (s("2026-11-01"), s("ocrolus"), 3),
            (s("2026-11-02"), s("ocrolus"), 1),
        ]
    );
}

#[test]
fn daily_reports_are_local_days_from_the_config() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let config = write(
        dir.path(),
        "config.toml",
        "[report]\n# the books close in New York\ntimezone = \"America/New_York\"\n",
    );
    let checked = errscope().args(["check-config", &config]).output().unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains("  days cut in: America/New_York\n"),
        "{}",
        stdout(&checked)
    );
    let reports = dir.path().join("reports");
    let output = errscope()
        .args(["scan", "--no-progress", "--config", &config, "--report-dir"])
        .arg(&reports)
        .arg(&input)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let mut names: Vec<String> = fs::read_dir(&reports)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(
        names,
        ["2026-03-07.csv", "2026-03-08.csv", "2026-11-01.csv"]
    );
    let fall = read_report(&reports.join("2026-11-01.csv")).unwrap();
    assert_eq!(fall.len(), 1);
    assert_eq!(fall[0].count, 4, "25 hours: both 01:30s and 23:59:59 EST");
    assert_eq!(
        fall[0].first_seen.map(|t| t.to_string()).as_deref(),
        Some("2026-11-01T04:00:00Z")
    );
    assert_eq!(
        fall[0].last_seen.map(|t| t.to_string()).as_deref(),
        Some("2026-11-02T04:59:59Z")
    );
    assert_eq!(
        read_report(&reports.join("2026-03-08.csv")).unwrap()[0].count,
        4,
        "23 hours: midnight EST to 23:59:59 EDT"
    );

    // The flag wins over the config.
    let utc_reports = dir.path().join("utc");
    let output = errscope()
        .args(["scan", "--no-progress", "--config", &config])
        .args(["--timezone", "UTC", "--report-dir"])
        .arg(&utc_reports)
        .arg(&input)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(utc_reports.join("2026-11-02.csv").exists());
    assert!(!utc_reports.join("2026-03-07.csv").exists());

    // `report html` reads the same key and names the zone.
    let page = dir.path().join("errors.html");
    let output = errscope()
        .args(["report", "html", "--config", &config, "-o"])
        .arg(&page)
        .arg(&reports)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let html = fs::read_to_string(&page).unwrap();
    assert!(
        html.contains("2026-03-07 to 2026-11-01 (America/New_York).</p>"),
        "{html}"
    );
    assert!(html.contains("<th>Day (America/New_York)</th>"));
    let output = errscope()
        .args(["report", "html", "--timezone", "Europe/Berlin", "-o"])
        .arg(&page)
        .arg(&reports)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(fs::read_to_string(&page)
        .unwrap()
        .contains("<th>Day (Europe/Berlin)</th>"));
}

#[test]
fn bad_zones_are_named_by_flag_or_key() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let output = errscope()
        .args(["scan", "--timezone", "America/Nwe_York", &input])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(
            "--timezone: unknown time zone `America/Nwe_York`: expected an IANA name such as America/New_York, or UTC"
        ),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        stderr(&output).matches("unknown time zone").count(),
        1,
        "said once: {}",
        stderr(&output)
    );
    assert!(stdout(&output).is_empty());

    let config = write(
        dir.path(),
        "config.toml",
        "[report]\nredact = true\ntimezone = \"EST5EDT,M3.2.0,M11.1.0\"\n",
    );
    for command in [
        vec!["scan", "--config", &config, &input],
        vec!["report", "html", "--config", &config, "-o", "x.html", "."],
    ] {
        let output = errscope().args(&command).output().unwrap();
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let text = stderr(&output);
        assert!(
            text.contains("config.toml: line 3: [report] `timezone`: unknown time zone `EST5EDT,M3.2.0,M11.1.0`"),
            "{command:?}: {text}"
        );
    }
}

/// With a system database that holds no real zone (TZDIR names a
/// directory with one placeholder file: a database jiff accepts, so it
/// looks nowhere else), the zone comes from the copy bundled into the
/// binary. (An empty TZDIR would not do: jiff would fall back to
/// /usr/share/zoneinfo.)
#[test]
fn zones_resolve_without_a_system_database() {
    let dir = tempfile::tempdir().unwrap();
    let input = log(dir.path());
    let empty = tempfile::tempdir().unwrap();
    fs::create_dir(empty.path().join("Etc")).unwrap();
    fs::write(empty.path().join("Etc/Placeholder"), "not a zone").unwrap();
    let output = errscope()
        .env("TZDIR", empty.path())
        .args([
            "scan",
            "--no-progress",
            "--format",
            "csv",
            "--by",
            "day,vendor",
        ])
        .args(["--timezone", "America/New_York", &input])
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        cells(&stdout(&output)),
        [
            (s("2026-03-07"), s("ocrolus"), 1),
            (s("2026-03-08"), s("ocrolus"), 4),
            (s("2026-11-01"), s("ocrolus"), 4),
        ]
    );
}

fn report_files(dir: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().path())
                .map(|p| {
                    let name = p.file_name().unwrap().to_string_lossy().into_owned();
                    (name, fs::read(&p).unwrap_or_default())
                })
                .collect()
        })
        .unwrap_or_default()
}

/// `tail --timezone` keeps the same local-day files `scan --timezone`
/// writes, across the fall-back day and its local midnights, and starts the
/// next day's file at local midnight.
#[test]
fn tail_reports_cut_at_local_midnight() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let fall: String = TIMES[5..].iter().map(|t| line(t)).collect();
    let input = write(p, "app.log", line("2026-11-01T03:59:59Z") + &fall);
    let (scan_dir, tail_dir) = (p.join("scan"), p.join("tail"));
    let backfill = |input: &str| {
        let output = errscope()
            .args(["scan", "--no-progress", "--timezone", "America/New_York"])
            .arg("--report-dir")
            .arg(&scan_dir)
            .arg(input)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        report_files(&scan_dir)
    };
    let expected = backfill(&input);
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        ["2026-10-31.csv", "2026-11-01.csv"]
    );

    let tail = tailing::LiveTail::start(&[
        input.clone(),
        "--from-beginning".into(),
        "--timezone".into(),
        "America/New_York".into(),
        "--report-dir".into(),
        tail_dir.display().to_string(),
    ]);
    tail.wait_until("the scan's day files", || {
        report_files(&tail_dir) == expected
    });
    let counts = |name: &str| -> u64 {
        read_report(&tail_dir.join(name))
            .map(|rows| rows.iter().map(|r| r.count).sum())
            .unwrap_or(0)
    };
    assert_eq!(counts("2026-11-01.csv"), 4, "the 25-hour day");
    // 2026-11-02T05:00:00Z is local midnight: a new day's file.
    append(Path::new(&input), &line("2026-11-02T05:00:00Z"));
    tail.wait_until("the 2nd's report", || counts("2026-11-02.csv") == 1);
    assert_eq!(counts("2026-11-01.csv"), 4, "the 1st is unchanged");
    let (status, _, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(report_files(&tail_dir), backfill(&input));
}
