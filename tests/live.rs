//! The live features end to end through `errscope tail` (real processes,
//! real files, real signals): alert rules and their sinks, the Prometheus
//! exporter, daily reports, and SIGHUP config reload. Alert inputs carry
//! their own times (the rule clock is event time), so they are written
//! before the start and read with `--from-beginning`: deterministic, and no
//! timing assertions — every wait is a deadline with polling.

mod common;

use std::collections::BTreeMap;
use std::fs::{self};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use common::tailing::LiveTail;
use common::*;
use errscope::output::report::read_report;
use serde_json::Value;

fn s(path: &Path) -> String {
    path.display().to_string()
}

fn ocrolus(code: u32) -> String {
    let message = match code {
        1204 => "Invalid API key",
        _ => "Authentication failed",
    };
    format!(r#"{{"status":400,"message":"{message}","code":{code},"response":null}}"#)
}

/// `2026-11-20T00:MM:SSZ` for `secs` seconds after midnight (any count of
/// seconds: hours roll over).
fn at(secs: u64) -> String {
    format!(
        "2026-11-20T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

fn line(secs: u64, body: &str) -> String {
    format!(
        "{} ERROR [vendor.client] request failed: {body}\n",
        at(secs)
    )
}

/// Events (second, body) sorted by time, as log lines.
fn log_of(mut events: Vec<(u64, String)>) -> String {
    events.sort_by_key(|e| e.0);
    events.iter().map(|(t, body)| line(*t, body)).collect()
}

/// Ocrolus 1200 twice a minute from 00:00 to 00:59, a burst of 40 × 1204
/// within 00:30, and a second burst of 25 × 1200 within 00:40 (inside the
/// 15-minute cooldown of the first).
fn threshold_log() -> (String, u64) {
    let mut events = Vec::new();
    for minute in 0..60 {
        events.push((minute * 60, ocrolus(1200)));
        events.push((minute * 60 + 30, ocrolus(1200)));
    }
    for i in 0..40 {
        events.push((30 * 60 + i, ocrolus(1204)));
    }
    for i in 0..25 {
        events.push((40 * 60 + i, ocrolus(1200)));
    }
    let n = events.len() as u64;
    (log_of(events), n)
}

const THRESHOLD_RULE: &str = r#"
[[alert]]
name = "ocrolus-auth"
vendor = "ocrolus"
codes = [1200, 1204]
window = "1m"
threshold = 20
cooldown = "15m"
"#;

/// A config file with `rule` using `sinks`, plus `extra`.
fn config(dir: &Path, rule: &str, sinks: &[&str], extra: &str) -> PathBuf {
    let sinks: Vec<String> = sinks.iter().map(|s| format!("{s:?}")).collect();
    let text = format!("{rule}sinks = [{}]\n{extra}", sinks.join(", "));
    let path = dir.join("errscope.toml");
    fs::write(&path, text).unwrap();
    path
}

fn parse_time(text: &Value) -> jiff::Timestamp {
    text.as_str()
        .unwrap_or_else(|| panic!("not a time: {text}"))
        .parse()
        .unwrap()
}

#[test]
fn threshold_rule_fires_once_respects_its_cooldown_and_resolves() {
    let dir = tempfile::tempdir().unwrap();
    let (log, n) = threshold_log();
    let input = dir.path().join("app.log");
    fs::write(&input, log).unwrap();
    let config = config(dir.path(), THRESHOLD_RULE, &["stdout"], "");
    let tail = LiveTail::start(&[
        s(&input),
        "--config".into(),
        s(&config),
        "--from-beginning".into(),
    ]);
    tail.wait_totals(n, n);
    tail.wait_until("the resolved notice", || {
        tail.notices("ocrolus-auth")
            .iter()
            .any(|d| d["type"] == "resolved")
    });
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], n);
    // Once for the burst; not for the steady traffic; not again for the
    // second burst, which is within the cooldown.
    assert_eq!(out.kinds("ocrolus-auth"), ["alert", "resolved"]);
    let notices = out.notices("ocrolus-auth");
    let (alert, resolved) = (&notices[0], &notices[1]);
    assert_eq!(alert["count"], 20, "{alert}");
    assert_eq!(alert["threshold"], 20, "{alert}");
    assert_eq!(alert["vendor"], "ocrolus");
    assert_eq!(alert["window"], "1m");
    let fired = parse_time(&alert["at"]);
    assert!(
        fired >= "2026-11-20T00:30:00Z".parse().unwrap()
            && fired < "2026-11-20T00:30:40Z".parse().unwrap(),
        "fired during the burst: {alert}"
    );
    assert_eq!(alert["sample_code"], "1204", "{alert}");
    let cleared = parse_time(&resolved["at"]);
    assert!(
        cleared > fired && cleared < "2026-11-20T00:40:00Z".parse().unwrap(),
        "resolved after the burst, before the second one: {resolved}"
    );
    assert!(resolved["count"].as_u64().unwrap() < 20, "{resolved}");
}

const SPIKE_RULE: &str = r#"
[[alert]]
name = "codat-spike"
vendor = "codat"
window = "1m"
spike = { factor = 3.0, baseline = "24h", percentile = 99.0, min_count = 10 }
"#;

#[test]
fn spike_rule_fires_once_after_its_warm_up_and_resolves() {
    let dir = tempfile::tempdir().unwrap();
    // 8 a minute for 70 minutes, 80 a minute for 3, 8 a minute for 30.
    let mut events = Vec::new();
    let per_minute = |events: &mut Vec<(u64, String)>, minute: u64, n: u64| {
        for i in 0..n {
            events.push((minute * 60 + i * 60 / n, CODAT_402.to_owned()));
        }
    };
    for minute in 0..70 {
        per_minute(&mut events, minute, 8);
    }
    for minute in 70..73 {
        per_minute(&mut events, minute, 80);
    }
    for minute in 73..103 {
        per_minute(&mut events, minute, 8);
    }
    let n = events.len() as u64;
    let input = dir.path().join("codat.log");
    fs::write(&input, log_of(events)).unwrap();
    let config = config(dir.path(), SPIKE_RULE, &["stdout"], "");
    let tail = LiveTail::start(&[
        s(&input),
        "--config".into(),
        s(&config),
        "--from-beginning".into(),
    ]);
    tail.wait_totals(n, n);
    tail.wait_until("the resolved notice", || {
        tail.notices("codat-spike")
            .iter()
            .any(|d| d["type"] == "resolved")
    });
    let (status, _, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(out.kinds("codat-spike"), ["alert", "resolved"]);
    let alert = &out.notices("codat-spike")[0];
    assert_eq!(alert["baseline"], 8, "{alert}");
    assert!(alert["count"].as_u64().unwrap() > 24, "{alert}");
    let fired = parse_time(&alert["at"]);
    assert!(
        fired >= "2026-11-20T01:10:00Z".parse().unwrap()
            && fired < "2026-11-20T01:13:00Z".parse().unwrap(),
        "fired in the spike, not on the steady part: {alert}"
    );
}

/// The whole burst input and the notices, through an exec sink that
/// appends its stdin to a file.
#[test]
fn exec_sink_receives_the_alert_and_resolved_documents() {
    let dir = tempfile::tempdir().unwrap();
    let (log, n) = threshold_log();
    let input = dir.path().join("app.log");
    fs::write(&input, log).unwrap();
    let out_file = dir.path().join("out.ndjson");
    let sink = format!(
        "[sinks.exec]\ncommand = [\"/bin/sh\", \"-c\", \"cat >> \\\"$1\\\"\", \"sh\", {:?}]\n",
        s(&out_file)
    );
    let config = config(dir.path(), THRESHOLD_RULE, &["exec"], &sink);
    let tail = LiveTail::start(&[
        s(&input),
        "--config".into(),
        s(&config),
        "--from-beginning".into(),
    ]);
    tail.wait_totals(n, n);
    let delivered = || -> Vec<Value> {
        fs::read_to_string(&out_file)
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
            .collect()
    };
    tail.wait_until("two notices in the exec sink's file", || {
        delivered().len() >= 2
    });
    let (status, _, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    // Not on stdout: the rule names only the exec sink.
    assert!(out.notices("ocrolus-auth").is_empty());
    let docs = delivered();
    assert_eq!(docs.len(), 2, "{docs:?}");
    for (doc, kind) in docs.iter().zip(["alert", "resolved"]) {
        assert_eq!(doc["type"], kind, "{doc}");
        assert_eq!(doc["rule"], "ocrolus-auth", "{doc}");
        assert_eq!(doc["vendor"], "ocrolus", "{doc}");
        assert_eq!(doc["codes"], serde_json::json!(["1200", "1204"]), "{doc}");
        assert_eq!(doc["window"], "1m", "{doc}");
        assert!(doc["count"].is_u64(), "{doc}");
        let text = doc["text"].as_str().unwrap();
        assert!(text.contains("ocrolus-auth"), "{doc}");
    }
    assert_eq!(docs[0]["count"], 20);
    assert!(docs[1]["text"].as_str().unwrap().starts_with("Resolved: "));
}

/// A port nothing listens on (bound, then closed).
fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn a_dead_webhook_neither_loses_counts_nor_blocks_shutdown() {
    let dir = tempfile::tempdir().unwrap();
    let (log, n) = threshold_log();
    let input = dir.path().join("app.log");
    fs::write(&input, log).unwrap();
    let hook = format!(
        "[sinks.webhook]\nurl = \"http://127.0.0.1:{}/hook\"\nretries = 1\ntimeout = \"1s\"\n",
        closed_port()
    );
    let config = config(dir.path(), THRESHOLD_RULE, &["stdout", "webhook"], &hook);
    let tail = LiveTail::start(&[
        s(&input),
        "--config".into(),
        s(&config),
        "--from-beginning".into(),
    ]);
    tail.wait_totals(n, n);
    tail.wait_until("the alert on stdout", || {
        !tail.notices("ocrolus-auth").is_empty()
    });
    // More lines after the failed deliveries: still counted.
    append(&input, &line(3700, &ocrolus(1200)));
    tail.wait_totals(n + 1, n + 1);
    tail.wait_until("the failed delivery to be reported", || {
        tail.stderr().contains("/hook")
    });
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], n + 1);
    assert_eq!(last["total"]["lines"], n + 1);
    assert!(
        out.stderr.contains("webhook") && out.stderr.contains("not delivered"),
        "{}",
        out.stderr
    );
}

fn http_get(addr: SocketAddr, path: &str) -> (String, String) {
    common::http_get(addr, path, "text/plain")
}

/// `name{labels} value` samples of the text format, by series.
fn samples(body: &str) -> BTreeMap<String, f64> {
    body.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let (series, value) = l.rsplit_once(' ')?;
            Some((series.to_owned(), value.parse().ok()?))
        })
        .collect()
}

#[test]
fn metrics_through_tail_equal_scan_counts() {
    let dir = tempfile::tempdir().unwrap();
    let mut log = String::new();
    for (i, (body, _)) in all_vendors().iter().enumerate() {
        for _ in 0..=i {
            log += &format!("2026-11-20T10:00:0{i}Z ERROR call failed: {body}\n");
            log += "2026-11-20T10:00:00Z INFO all good\n";
        }
    }
    log += &line(5, &ocrolus(1204));
    let lines = log.lines().count() as u64;
    let input = write(dir.path(), "app.log", &log);

    let scan = errscope()
        .args(["scan", "--format", "json", &input])
        .output()
        .unwrap();
    assert!(scan.status.success(), "{}", stderr(&scan));
    let scanned: Value = serde_json::from_slice(&scan.stdout).unwrap();
    let mut expected = BTreeMap::new();
    for group in scanned["groups"].as_array().unwrap() {
        let status = group["status"]
            .as_u64()
            .map(|s| s.to_string())
            .unwrap_or_default();
        expected.insert(
            format!(
                "errscope_errors_total{{vendor=\"{}\",code=\"{}\",status=\"{status}\"}}",
                group["vendor"].as_str().unwrap(),
                group["code"].as_str().unwrap()
            ),
            group["count"].as_f64().unwrap(),
        );
    }
    assert_eq!(expected.len(), 6, "{scanned}");

    let tail = LiveTail::start(&[
        input.clone(),
        "--from-beginning".into(),
        "--metrics-addr".into(),
        "127.0.0.1:0".into(),
    ]);
    let stderr_text = tail.stderr();
    let addr: SocketAddr = stderr_text
        .lines()
        .find_map(|l| l.strip_prefix("errscope: metrics on http://"))
        .and_then(|rest| rest.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no metrics address on stderr: {stderr_text}"))
        .parse()
        .unwrap();
    let total_errors: u64 = scanned["errors"].as_u64().unwrap();
    tail.wait_totals(total_errors, lines);

    let (head, body) = http_get(addr, "/metrics");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    let got = samples(&body);
    let errors: BTreeMap<String, f64> = got
        .iter()
        .filter(|(k, _)| k.starts_with("errscope_errors_total{"))
        .map(|(k, v)| (k.clone(), *v))
        .collect();
    assert_eq!(errors, expected, "{body}");
    assert_eq!(
        got.get("errscope_lines_total"),
        Some(&(lines as f64)),
        "{body}"
    );
    assert_eq!(
        got.get("errscope_bytes_total"),
        Some(&(log.len() as f64)),
        "{body}"
    );
    let (head, health) = http_get(addr, "/healthz");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(health.trim(), "ok");

    promtool_check_metrics(&body);
    let (status, _, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
}

fn day_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The report files of `dir` and their bytes.
fn report_bytes(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    day_files(dir)
        .into_iter()
        .map(|name| {
            let bytes = fs::read(dir.join(&name)).unwrap_or_default();
            (name, bytes)
        })
        .collect()
}

fn count_of(path: &Path, code: &str) -> u64 {
    read_report(path)
        .map(|rows| {
            rows.iter()
                .filter(|r| r.code == code)
                .map(|r| r.count)
                .sum()
        })
        .unwrap_or(0)
}

#[test]
fn reports_through_tail_agree_with_scan_backfill() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let body = |code, time: &str| {
        format!(
            "{time} ERROR [vendor.client] request failed: {}\n",
            ocrolus(code)
        )
    };
    let mut log = String::new();
    log += &body(1200, "2026-11-20T10:00:00Z");
    log += &body(1204, "2026-11-20T22:45:00Z");
    log += &format!("2026-11-20T23:00:00Z ERROR codat: {CODAT_402}\n");
    log += &body(1200, "2026-11-20T11:10:00Z");
    log += "2026-11-21T00:00:00Z INFO nothing to see\n";
    log += &body(1200, "2026-11-21T03:00:00Z");
    log += &body(1204, "2026-11-21T05:00:00Z");
    let input = write(p, "app.log", &log);
    let (scan_dir, tail_dir) = (p.join("scan"), p.join("tail"));
    let backfill = |dir: &Path, input: &str| {
        let out = errscope()
            .args(["scan", "--no-progress", "--report-dir"])
            .arg(dir)
            .arg(input)
            .output()
            .unwrap();
        assert!(out.status.success(), "scan: {}", stderr(&out));
    };
    backfill(&scan_dir, &input);
    let expected = report_bytes(&scan_dir);
    assert_eq!(
        expected.keys().collect::<Vec<_>>(),
        ["2026-11-20.csv", "2026-11-21.csv"]
    );

    let tail = LiveTail::start(&[
        input.clone(),
        "--from-beginning".into(),
        "--report-dir".into(),
        s(&tail_dir),
        "--state-dir".into(),
        s(&p.join("state")),
    ]);
    tail.wait_until("byte-identical day files", || {
        report_bytes(&tail_dir) == expected
    });
    let first = tail_dir.join("2026-11-20.csv");
    let second_before = fs::read(tail_dir.join("2026-11-21.csv")).unwrap();
    let before = count_of(&first, "1200");
    assert_eq!(before, 2);
    // A late line for the first day.
    append(Path::new(&input), &body(1200, "2026-11-20T23:59:58Z"));
    tail.wait_until("the first day's report to count the late line", || {
        count_of(&first, "1200") == before + 1
    });
    assert_eq!(
        fs::read(tail_dir.join("2026-11-21.csv")).unwrap(),
        second_before,
        "the second day's report is unchanged"
    );
    let (status, _, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    // And scan agrees on the grown input, byte for byte.
    backfill(&scan_dir, &input);
    assert_eq!(report_bytes(&tail_dir), report_bytes(&scan_dir));
}

/// A burst of `n` untimed Ocrolus 1200 lines: their time is their arrival.
fn untimed_burst(n: usize) -> String {
    format!("ERROR request failed: {}\n", ocrolus(1200)).repeat(n)
}

#[test]
fn sighup_reloads_the_alert_rules() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("app.log");
    fs::write(&input, "").unwrap();
    let rule = |threshold: u32| {
        format!(
            "[[alert]]\nname = \"auth\"\nvendor = \"ocrolus\"\nwindow = \"10m\"\nthreshold = {threshold}\n"
        )
    };
    let config = config(dir.path(), &rule(1000), &["stdout"], "");
    let tail = LiveTail::start(&[s(&input), "--config".into(), s(&config)]);
    append(&input, &untimed_burst(5));
    tail.wait_totals(5, 5);
    assert!(tail.notices("auth").is_empty());

    self::config(dir.path(), &rule(3), &["stdout"], "");
    tail.signal("HUP");
    tail.wait_until("the reload to be reported", || {
        tail.stderr()
            .contains(&format!("errscope: reloaded {}", s(&config)))
    });
    append(&input, &untimed_burst(5));
    tail.wait_totals(10, 10);
    tail.wait_until("the reloaded rule to fire", || {
        !tail.notices("auth").is_empty()
    });
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], 10);
    let alert = &out.notices("auth")[0];
    assert_eq!(alert["type"], "alert");
    assert_eq!(alert["threshold"], 3);
    assert_eq!(out.kinds("auth")[0], "alert");
}

#[test]
fn sighup_with_a_bad_config_keeps_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("app.log");
    fs::write(&input, "").unwrap();
    let good =
        "[[alert]]\nname = \"auth\"\nvendor = \"ocrolus\"\nwindow = \"10m\"\nthreshold = 8\n";
    let config = config(dir.path(), good, &["stdout"], "");
    let tail = LiveTail::start(&[s(&input), "--config".into(), s(&config)]);
    append(&input, &untimed_burst(3));
    tail.wait_totals(3, 3);

    // An unknown key, then a syntax error: each named, each survived.
    fs::write(
        &config,
        format!("{good}sinks = [\"stdout\"]\n[tail]\nintervall = \"5s\"\n"),
    )
    .unwrap();
    tail.signal("HUP");
    tail.wait_until("the unknown key to be reported", || {
        tail.stderr().contains("keeping the previous configuration")
    });
    let err = tail.stderr();
    assert!(
        err.contains(&s(&config)) && err.contains("intervall") && err.contains("line 8"),
        "{err}"
    );
    append(&input, &untimed_burst(3));
    tail.wait_totals(6, 6);

    fs::write(&config, "[[alert]\nname = ").unwrap();
    tail.signal("HUP");
    tail.wait_until("the syntax error to be reported", || {
        tail.stderr()
            .matches("keeping the previous configuration")
            .count()
            == 2
    });
    // Still counting, and the old rule (threshold 8) still in force.
    append(&input, &untimed_burst(3));
    tail.wait_totals(9, 9);
    tail.wait_until("the previous rule to fire", || {
        !tail.notices("auth").is_empty()
    });
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], 9);
    assert_eq!(last["total"]["lines"], 9);
    assert_eq!(out.notices("auth")[0]["threshold"], 8);
    assert!(!out.stderr.contains("reloaded"), "{}", out.stderr);
}
