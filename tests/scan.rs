//! `errscope scan` end to end: the real binary on real files, one test per
//! embedding, each asserting exact counts per (vendor, code, status).

mod common;

use std::io::Write;

use common::*;
use predicates::prelude::*;
use serde_json::Value;

/// Writes `lines` (one per vendor body, built by `embed`) plus decoy noise
/// between them, scans it, and checks every vendor counted exactly once
/// per embedded body.
fn check_embedding(name: &str, embed: impl Fn(&str, usize) -> String) {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut want = Counts::new();
    for round in 0..3 {
        for (i, (body, (vendor, code, status))) in all_vendors().into_iter().enumerate() {
            text.push_str(DECOYS[(round + i) % DECOYS.len()]);
            text.push('\n');
            text.push_str(&embed(body, round * 10 + i));
            text.push('\n');
            *want
                .entry((vendor.into(), code.into(), status.into()))
                .or_default() += 1;
        }
    }
    let path = write(dir.path(), name, &text);
    assert_eq!(scan_counts(&[&path]), want, "embedding {name}:\n{text}");
}

/// Lines that carry vendor key names but no vendor body.
const DECOYS: &[&str] = &[
    r#"{"ts":"2026-11-20T10:15:02Z","level":"info","msg":"request done","status":200,"code":"OK","response":{"items":3}}"#,
    "2026-11-20 10:15:02,123 WARN [api] exception in handler: TimeoutException (statusCode=504, correlationId=abc)",
    r#"{"level":"info","msg":"job done","error_code":null,"error_message":null,"success":true}"#,
    r#"{"level":"error","status":500,"message":"db timeout","code":"E_DB","details":{"http_code":"500"}}"#,
    "GET /v1/books 200 response time 12ms exception=none",
    r#"{"statusCode":200,"service":"PublicApi","correlationId":"c0ffee","result":"ok"}"#,
];

#[test]
fn bare_json_lines() {
    check_embedding("bare.log", |body, _| body.to_string());
}

#[test]
fn after_a_prefix_with_text_after() {
    check_embedding("prefix.log", |body, i| {
        format!(
            "2026-11-20 10:15:{:02},123 ERROR [vendor.client] call failed: {body} (attempt {i}/3)",
            i % 60
        )
    });
}

#[test]
fn escaped_inside_a_structured_line() {
    check_embedding("escaped.jsonl", |body, _| {
        format!(
            r#"{{"ts":"2026-11-20T10:15:02Z","level":"error","status":502,"msg":"vendor failed","body":"{}"}}"#,
            escape(body)
        )
    });
}

#[test]
fn nested_inside_a_structured_line_with_lookalike_keys() {
    check_embedding("nested.jsonl", |body, _| {
        format!(
            r#"{{"level":"error","status":502,"message":"upstream","code":"E_UPSTREAM","response":null,"vendor":{body}}}"#
        )
    });
}

#[test]
fn docker_json_file_wrapper() {
    check_embedding("docker.log", |body, _| {
        let inner = format!("2026-11-20T10:15:02Z ERROR vendor call failed {body}\n");
        serde_json::json!({"log": inner, "stream": "stderr", "time": "2026-11-20T10:15:02.123456789Z"}).to_string()
    });
}

#[test]
fn logfmt_quoted_values() {
    check_embedding("logfmt.log", |body, _| {
        format!(
            r#"ts=2026-11-20T10:15:02Z level=error msg="vendor failed" body="{}" dur=12ms"#,
            escape(body)
        )
    });
}

#[test]
fn several_bodies_on_one_line() {
    let dir = tempfile::tempdir().unwrap();
    let bodies: Vec<&str> = all_vendors().iter().map(|(b, _)| *b).collect();
    let line = format!("WARN batch failed: {} ; {}", bodies.join(" | "), bodies[0]);
    let path = write(dir.path(), "multi.log", format!("{line}\n{line}\n"));
    let mut want = Counts::new();
    for (_, (v, c, s)) in all_vendors() {
        want.insert((v.into(), c.into(), s.into()), 2);
    }
    *want
        .get_mut(&("ocrolus".into(), "1200".into(), "400".into()))
        .unwrap() = 4;
    assert_eq!(scan_counts(&[&path]), want);
}

#[test]
fn pretty_printed_over_several_lines() {
    check_embedding("pretty.log", |body, i| {
        let value: Value = serde_json::from_str(body).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        if i % 2 == 0 {
            format!("2026-11-20 10:15:02,123 ERROR [client] vendor returned:\n{pretty}")
        } else {
            format!("2026-11-20 10:15:02,123 ERROR [client] vendor returned: {pretty}")
        }
    });
}

#[test]
fn python_dict_repr() {
    check_embedding("celery.log", |body, _| {
        let value: Value = serde_json::from_str(body).unwrap();
        format!(
            "[2026-11-20 10:15:02,123: ERROR/ForkPoolWorker-1] vendor error: {}",
            python_repr(&value)
        )
    });
}

#[test]
fn crlf_invalid_utf8_nul_and_long_lines() {
    let dir = tempfile::tempdir().unwrap();
    let mut data = Vec::new();
    for (body, _) in all_vendors() {
        data.extend_from_slice(b"\xff\xfe\x00 noise \xc3\x28\r\n");
        data.extend_from_slice(b"2026-11-20 10:15:02 ERROR \x00\xff ");
        data.extend_from_slice(body.as_bytes());
        data.extend_from_slice(b" \xe2\x82 tail\r\n");
        // A very long line (over the cap) holding a body is skipped, not buffered.
        data.extend_from_slice(&vec![b'x'; 5000]);
        data.extend_from_slice(body.as_bytes());
        data.extend_from_slice(b"\r\n");
    }
    let path = write(dir.path(), "crlf.log", &data);
    let want: Counts = all_vendors()
        .into_iter()
        .map(|(_, (v, c, s))| ((v.into(), c.into(), s.into()), 1))
        .collect();
    assert_eq!(scan_counts(&["--max-line-bytes", "4096", &path]), want);
    let out = errscope()
        .args([
            "scan",
            "--format",
            "json",
            "--max-line-bytes",
            "4096",
            &path,
        ])
        .output()
        .unwrap();
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let too_long = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["reason"] == "line-too-long")
        .unwrap();
    assert_eq!(too_long["count"], 5);
    assert_eq!(doc["lines"], 15);
}

#[test]
fn truncated_malformed_and_success_bodies_are_skipped_with_a_reason() {
    let dir = tempfile::tempdir().unwrap();
    let text = [
        r#"{"status":200,"message":"OK","response":"..."}"#,
        r#"{"error":{"en":"ok"},"error_code":"0","http_code":"200","success":true}"#,
        r#"ERROR cut: {"version":"v2_0_0","status":401,"exception":{"message":"Token could"#,
        r#"ERROR bad: {"error_code":7,"error_message":"AUTH INVALID","details":nul}"#,
        OCROLUS_1200,
    ]
    .join("\n");
    let path = write(dir.path(), "skips.log", text);
    let out = errscope()
        .args(["scan", "--format", "json", &path])
        .output()
        .unwrap();
    assert!(out.status.success());
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(doc["errors"], 1);
    let mut skipped: Vec<(String, String, u64)> = doc["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["vendor"].as_str().unwrap().into(),
                s["reason"].as_str().unwrap().into(),
                s["count"].as_u64().unwrap(),
            )
        })
        .collect();
    skipped.sort();
    assert_eq!(
        skipped,
        vec![
            ("aplos".into(), "truncated".into(), 1),
            ("ocrolus".into(), "success".into(), 1),
            ("ozforensics".into(), "malformed".into(), 1),
            ("synapse".into(), "success".into(), 1),
        ]
    );
}

#[test]
fn decoys_alone_count_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "decoys.log", DECOYS.join("\n").repeat(50));
    assert_eq!(scan_counts(&[&path]), Counts::new());
    errscope()
        .args(["scan", &path])
        .assert()
        .success()
        .stdout(predicate::str::contains("No vendor errors found."));
}

#[test]
fn the_shipped_samples_count_exactly() {
    let expected = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/samples.expected.csv"
    ))
    .unwrap();
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let got = scan_counts(&[samples]);
    assert_eq!(got, parse_counts(&expected));
    // All five vendors, and the gzip archive among the sources.
    let vendors: std::collections::BTreeSet<&str> =
        got.keys().map(|(v, _, _)| v.as_str()).collect();
    assert_eq!(vendors.len(), 5);
}

#[test]
fn gzip_is_detected_by_magic_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("rotated.1");
    let mut gz = flate2::write::GzEncoder::new(
        std::fs::File::create(&path).unwrap(),
        flate2::Compression::default(),
    );
    for _ in 0..3 {
        writeln!(gz, "2026-11-20 ERROR {OCROLUS_1200}").unwrap();
        writeln!(gz, "noise").unwrap();
    }
    gz.finish().unwrap();
    assert_eq!(
        scan_counts(&[path.to_str().unwrap()]),
        counts(&[("ocrolus", "1200", "400", 3)])
    );
}

#[test]
fn stdin_and_files_together() {
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "a.log", format!("{OZ_7}\n"));
    let out = errscope()
        .args(["scan", "--format", "csv", "--by", "file,vendor", &path, "-"])
        .write_stdin(format!("x {OZ_7}\ny {OCROLUS_1200}\n"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = stdout(&out);
    assert!(text.contains(&format!("{path},ozforensics,1,")), "{text}");
    assert!(text.contains("-,ozforensics,1,"), "{text}");
    assert!(text.contains("-,ocrolus,1,"), "{text}");
}

#[test]
fn a_sixth_vendor_from_config_alone() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "config.toml",
        r#"
[[vendor]]
id = "acme"
name = "Acme Payments"
shape = { "error.type" = "string", "error.code" = "string", "error.message" = "string" }
code = "error.code"
message = "error.message"

[[vendor.codes]]
code = "card_declined"
category = "payment"
description = "The card was declined."
"#,
    );
    let log = write(
        dir.path(),
        "app.log",
        [
            r#"2026-11-20 ERROR acme: {"error":{"type":"card_error","code":"card_declined","message":"Your card was declined."}}"#,
            r#"{"level":"error","body":"{\"error\":{\"type\":\"api_error\",\"code\":\"rate_limited\",\"message\":\"slow down\"}}"}"#,
            r#"{"error":{"type":"card_error","code":"card_declined","message":"again"}}"#,
            OCROLUS_1200,
        ]
        .join("\n"),
    );
    let out = errscope()
        .args(["scan", "--format", "csv", "--config", &config, &log])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert_eq!(
        parse_counts(&text),
        counts(&[
            ("acme", "card_declined", "", 2),
            ("acme", "rate_limited", "", 1),
            ("ocrolus", "1200", "400", 1)
        ])
    );
    assert!(
        text.contains("acme,card_declined,,2,payment,The card was declined."),
        "{text}"
    );
    assert!(text.contains("acme,rate_limited,,1,unknown,"), "{text}");
}

#[test]
fn csv_columns_follow_the_by_keys() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "a.log",
        format!(
            "2026-11-20T10:15:02Z {OCROLUS_1200}\n2026-11-20T11:00:00Z {OCROLUS_1200}\n2026-11-21T00:00:01Z {OCROLUS_1200}\n{OZ_7}\n"
        ),
    );
    let out = errscope()
        .args(["scan", "--format", "csv", "--by", "day,vendor,code", &log])
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "day,vendor,code,count,category,description,first_seen,last_seen"
    );
    assert_eq!(lines[1], "2026-11-20,ocrolus,1200,2,auth,Authentication failed,2026-11-20T10:15:02Z,2026-11-20T11:00:00Z");
    assert!(lines.contains(&"2026-11-21,ocrolus,1200,1,auth,Authentication failed,2026-11-21T00:00:01Z,2026-11-21T00:00:01Z"));
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with(",ozforensics,7,1,auth,")),
        "unknown time has an empty day: {text}"
    );

    let out = errscope()
        .args(["scan", "--format", "csv", "--by", "hour,category", &log])
        .output()
        .unwrap();
    let text = stdout(&out);
    assert!(
        text.starts_with("hour,category,count,first_seen,last_seen\n"),
        "{text}"
    );
    assert!(text.contains("2026-11-20T10:00Z,auth,1,"), "{text}");
}

#[test]
fn filters_by_vendor_code_and_time() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "a.log",
        format!("2026-11-20T10:00:00Z {OCROLUS_1200}\n2026-11-21T10:00:00Z {OCROLUS_1200}\n2026-11-21T10:00:00Z {OZ_7}\n"),
    );
    assert_eq!(
        scan_counts(&["--vendor", "ozforensics", &log]),
        counts(&[("ozforensics", "7", "", 1)])
    );
    assert_eq!(
        scan_counts(&["--code", "1200", &log]),
        counts(&[("ocrolus", "1200", "400", 2)])
    );
    assert_eq!(
        scan_counts(&["--since", "2026-11-21", "--until", "2026-11-22", &log]),
        counts(&[("ocrolus", "1200", "400", 1), ("ozforensics", "7", "", 1)])
    );
}

#[test]
fn events_are_one_json_object_per_error() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "a.log",
        format!("noise\n2026-11-20T10:15:02Z {APLOS_1002}\n"),
    );
    let out = errscope()
        .args(["scan", "--events", &log])
        .output()
        .unwrap();
    let text = stdout(&out);
    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 1);
    let e = &lines[0];
    assert_eq!(e["vendor"], "aplos");
    assert_eq!(e["code"], "1002");
    assert_eq!(e["status"], 401);
    assert_eq!(e["category"], "Authorization");
    assert_eq!(e["message"], "Token could not be located.");
    assert_eq!(e["time"], "2026-11-20T10:15:02Z");
    assert_eq!(e["line"], 2);
    assert_eq!(e["file"], log.as_str());
    assert!(e["description"].as_str().unwrap().contains("token"));
}

#[test]
fn unreadable_input_is_named_and_the_rest_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "a.log", format!("{OZ_7}\n"));
    let missing = dir.path().join("missing.log").display().to_string();
    let out = errscope()
        .args(["scan", "--format", "csv", &missing, &log])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("missing.log"), "{}", stderr(&out));
    assert_eq!(
        parse_counts(&stdout(&out)),
        counts(&[("ozforensics", "7", "", 1)])
    );
}

#[test]
fn usage_and_config_errors_exit_2_naming_the_key() {
    let dir = tempfile::tempdir().unwrap();
    let config = write(
        dir.path(),
        "bad.toml",
        "[tail]\ninterval = \"5s\"\nbogus = 1\n",
    );
    errscope()
        .args(["scan", "--config", &config, "x.log"])
        .assert()
        .code(2)
        .stderr(
            predicate::str::contains("bad.toml")
                .and(predicate::str::contains("bogus"))
                .and(predicate::str::contains("line 3")),
        );
    errscope()
        .args(["check-config", "--config", &config])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("bogus"));
    errscope()
        .args(["scan", "--by", "vendor,nope", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope"));
    errscope()
        .args(["scan", "--since", "yesterday-ish", "x"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("--since"));
}

#[test]
fn codes_lists_and_explains() {
    let out = errscope()
        .args(["codes", "ocrolus", "1200", "--format", "json"])
        .output()
        .unwrap();
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(rows[0]["description"], "Authentication failed");
    assert_eq!(rows[0]["known"], true);
    let out = errscope()
        .args(["codes", "aplos", "--format", "csv"])
        .output()
        .unwrap();
    assert_eq!(stdout(&out).lines().count(), 1 + 19);
    errscope()
        .args(["codes", "nope"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("unknown vendor"));
    errscope()
        .args(["codes", "codat", "SomethingNewException"])
        .assert()
        .success()
        .stderr(predicate::str::contains("still counted"));
}

#[test]
fn threads_do_not_change_counts() {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    assert_eq!(
        scan_counts(&["--threads", "1", samples]),
        scan_counts(&["--threads", "4", samples])
    );
}

/// The shipped plain-text samples, concatenated (each ends in a newline).
/// `scan --format json --events EXTRA PATH` with the debug log on: the
/// events, and the log.
fn events_and_debug_log(path: &str, extra: &[&str]) -> (String, String) {
    let output = errscope()
        .env("ERRSCOPE_LOG", "debug")
        .args(["scan", "--format", "json", "--events"])
        .args(extra)
        .arg(path)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    (stdout(&output), stderr(&output))
}

/// The samples an application writes itself, one after the other. A file a
/// platform writes (a CRI file, a journal export) is left out: its layout
/// is told from its first line, so it counts as itself only on its own.
fn plain_samples() -> Vec<u8> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/samples");
    let platform = ["kubernetes-cri.log", "journald-export.jsonl"];
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .filter(|p| !platform.iter().any(|name| p.ends_with(name)))
        .collect();
    paths.sort();
    let mut all = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).unwrap();
        if bytes.starts_with(&[0x1f, 0x8b]) {
            continue;
        }
        all.extend_from_slice(&bytes);
        if !all.ends_with(b"\n") {
            all.push(b'\n');
        }
    }
    all
}

#[test]
fn a_large_settled_file_is_mapped_and_counts_as_when_read() {
    let dir = tempfile::tempdir().unwrap();
    let one = plain_samples();
    let once = write(dir.path(), "once.log", &one);
    // Over two map windows (4 MiB each), so bodies straddle window edges.
    let repeats = (9 << 20) / one.len() + 1;
    let big = write(dir.path(), "big.log", one.repeat(repeats));
    settle(&big);

    let run = |extra: &[&str]| events_and_debug_log(&big, extra);
    let (mapped, mapped_log) = run(&[]);
    let (read, read_log) = run(&["--no-mmap"]);
    assert!(mapped_log.contains("memory map"), "{mapped_log}");
    assert!(!read_log.contains("memory map"), "{read_log}");
    // Every event (code, line number, byte offset) and the totals agree.
    assert_eq!(mapped, read);

    let total = |counts: Counts| counts.values().sum::<u64>();
    let per_copy = total(scan_counts(&[&once]));
    assert!(per_copy > 100);
    assert_eq!(total(scan_counts(&[&big])), per_copy * repeats as u64);
}

#[test]
fn searching_the_rarest_keys_counts_as_the_configured_anchors() {
    let dir = tempfile::tempdir().unwrap();
    let one = plain_samples();
    // Codat's anchor `correlationId` and Ocrolus' `response` on every
    // other line, as in HTTP client logs: the sample makes the pre-filter
    // search other keys of those shapes.
    let noise = "{\"msg\":\"call ok\",\"correlationId\":\"c-1\",\"response\":{\"items\":1}}\n";
    let mut log = Vec::new();
    for _ in 0..60 {
        log.extend_from_slice(&one);
        for _ in 0..100 {
            log.extend_from_slice(noise.as_bytes());
        }
    }
    assert!(log.len() > 2 << 20, "the sample must be full");
    let path = write(dir.path(), "noisy.log", &log);

    let run = |extra: &[&str]| events_and_debug_log(&path, extra);
    let (adapted, adapted_log) = run(&[]);
    let (fixed, fixed_log) = run(&["--fixed-anchors"]);
    let keys = adapted_log
        .lines()
        .find(|l| l.contains("searching for the keys"))
        .unwrap_or_else(|| panic!("no key choice logged: {adapted_log}"));
    assert!(
        !keys.contains("\"correlationId\"") && !keys.contains("\"response\""),
        "{keys}"
    );
    assert!(!fixed_log.contains("searching for the keys"), "{fixed_log}");
    // Every event (code, line number, byte offset) agrees, pretty-printed,
    // escaped, Docker and Python bodies included.
    assert!(adapted.lines().count() > 1000);
    assert_eq!(adapted, fixed);
}

#[test]
fn csv_cells_from_log_content_cannot_run_as_formulas() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(
        dir.path(),
        "a.log",
        r#"{"statusCode":400,"service":"PublicApi","error":"=HYPERLINK(\"http\"; \"x\")","correlationId":"0"}"#.to_string() + "\n",
    );
    let out = errscope()
        .args(["scan", "--format", "csv", &log])
        .output()
        .unwrap();
    let text = stdout(&out);
    let codes: Vec<String> = parse_counts(&text)
        .into_keys()
        .map(|(_, code, _)| code)
        .collect();
    assert_eq!(codes.len(), 1);
    assert!(codes[0].starts_with("'=HYPERLINK("), "{text}");
}

/// Docker's json-file driver cuts lines longer than 16 KiB into parts whose
/// `log` lacks the trailing newline; a body cut in two is still counted once.
#[test]
fn docker_lines_split_at_16k_are_joined() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut want = Counts::new();
    for (n, (body, (vendor, code, status))) in all_vendors().into_iter().enumerate() {
        // Cut the body at several places, never inside a key the
        // pre-filter may search for (the top-level keys of the shapes): a
        // key cut in two is on neither part.
        for cut_in_body in [1, 10, body.len() / 2, body.len() - 1] {
            let prefix = "p".repeat(16 * 1024 - cut_in_body);
            let message = format!("{prefix}{body} trailing text {n}\n");
            let (first, rest) = message.split_at(16 * 1024);
            let keys = [
                "response",
                "exception",
                "error_message",
                "http_code",
                "correlationId",
                "status",
                "message",
                "version",
                "statusCode",
                "service",
                "error",
                "details",
                "success",
            ];
            let cut_inside = |key: &str| {
                (1..key.len()).any(|at| first.ends_with(&key[..at]) && rest.starts_with(&key[at..]))
            };
            if keys.iter().any(|key| cut_inside(key)) {
                continue;
            }
            let time = "2026-11-20T10:15:02.123456789Z";
            text.push_str(
                &serde_json::json!({"log": "INFO noise\n", "stream": "stdout", "time": time})
                    .to_string(),
            );
            text.push('\n');
            text.push_str(
                &serde_json::json!({"log": first, "stream": "stderr", "time": time}).to_string(),
            );
            text.push('\n');
            text.push_str(
                &serde_json::json!({"log": rest, "stream": "stderr", "time": time}).to_string(),
            );
            text.push('\n');
            *want
                .entry((vendor.into(), code.into(), status.into()))
                .or_default() += 1;
        }
    }
    let path = write(dir.path(), "docker-split.log", &text);
    assert_eq!(scan_counts(&[&path]), want);
    // The same through stdin in tiny reads cannot change the count.
    let out = errscope()
        .args(["scan", "--format", "csv", "-"])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(parse_counts(&stdout(&out)), want);
}

/// One large file is cut into chunks scanned side by side; whatever the
/// thread count, the output is the same to the byte: counts, JSON, the
/// events in order with their line numbers.
#[test]
fn one_large_file_on_all_cores_says_what_one_thread_does() {
    let dir = tempfile::tempdir().unwrap();
    let one = plain_samples();
    let repeats = (66 << 20) / one.len() + 1;
    let big = write(dir.path(), "big.log", one.repeat(repeats));
    settle(&big);
    let run = |args: &[&str]| {
        let output = errscope()
            .env("ERRSCOPE_LOG", "debug")
            .arg("scan")
            .args(args)
            .arg(&big)
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", stderr(&output));
        (stdout(&output), stderr(&output))
    };
    for format in [
        &["--format", "csv"][..],
        &["--format", "json"],
        &["--events"],
    ] {
        let (alone, alone_log) = run(&[&["--threads", "1"], format].concat());
        assert!(!alone_log.contains("chunks"), "{alone_log}");
        // Chunks are 32 MiB at least: two of them, at two threads or more.
        for threads in ["2", "3"] {
            let (split, log) = run(&[&["--threads", threads], format].concat());
            assert!(log.contains("cut into 2 chunks"), "{log}");
            assert_eq!(split, alone, "{format:?} with {threads} threads");
        }
    }
    let per_copy = scan_counts(&[&write(dir.path(), "once.log", &one)]);
    let all = scan_counts(&[&big]);
    assert_eq!(all.len(), per_copy.len());
    for (key, count) in per_copy {
        assert_eq!(all[&key], count * repeats as u64, "{key:?}");
    }
}

/// The samples of the formats platforms write (CRI with partial lines, a
/// journal export, an ANSI console) and the multi-line one put every error
/// on a day (their goldens, checked by `tests/golden.rs`, say which).
#[test]
fn platform_and_multi_line_samples_date_every_error() {
    let root = env!("CARGO_MANIFEST_DIR");
    for name in [
        "kubernetes-cri.log",
        "journald-export.jsonl",
        "console-ansi.log",
        "pretty-printed.log",
    ] {
        let out = errscope()
            .args(["scan", &format!("{root}/samples/{name}")])
            .args(["--by", "day", "--format", "csv"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{name}: {}", stderr(&out));
        let text = stdout(&out);
        assert!(text.lines().count() > 1, "{name}: {text}");
        for row in text.lines().skip(1) {
            assert!(row.starts_with("2026-11-2"), "{name}: undated row {row}");
        }
    }
}

/// Path labels: the built-in Kubernetes rule gives namespace, pod and
/// container; a `[[label]]` rule its named groups; both group `--by`.
#[test]
fn path_labels_group_the_counts() {
    let dir = tempfile::tempdir().unwrap();
    let pods = dir.path().join("var/log/pods");
    let cri = |body: &str| format!("2026-11-20T10:15:02.123456789Z stderr F ERROR {body}\n");
    for (pod, container, bodies) in [
        ("billing_invoice-api-7c9f8d6b5-x2x7q_3f1c2e4a", "api", 2),
        ("billing_invoice-api-7c9f8d6b5-q8w9e_9a8b7c6d", "api", 1),
        ("payouts_payout-worker-5d9c-a1b2c_0e1f2a3b", "worker", 3),
    ] {
        let at = pods.join(pod).join(container);
        std::fs::create_dir_all(&at).unwrap();
        write(&at, "0.log", cri(CODAT_402).repeat(bodies));
    }
    let srv = dir.path().join("srv/ledger/logs");
    std::fs::create_dir_all(&srv).unwrap();
    write(&srv, "app.log", format!("{OCROLUS_1200}\n"));
    let config = write(
        dir.path(),
        "config.toml",
        "[[label]]\nregex = '/srv/(?P<service>[^/]+)/logs/'\n",
    );
    let run = |by: &str| {
        let out = errscope()
            .args(["scan", "--config", &config, "--format", "csv", "--by", by])
            .arg(dir.path())
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", stderr(&out));
        stdout(&out)
            .lines()
            .map(|l| {
                l.split(',')
                    .take(by.split(',').count() + 1)
                    .collect::<Vec<_>>()
                    .join(",")
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(
        run("namespace,pod,container,vendor,code"),
        [
            "namespace,pod,container,vendor,code,count",
            "payouts,payout-worker-5d9c-a1b2c,worker,codat,CompanyValidationException,3",
            "billing,invoice-api-7c9f8d6b5-x2x7q,api,codat,CompanyValidationException,2",
            // Ties in the order of their values: unlabelled first.
            ",,,ocrolus,1200,1",
            "billing,invoice-api-7c9f8d6b5-q8w9e,api,codat,CompanyValidationException,1",
        ]
    );
    assert_eq!(
        run("namespace,service,vendor"),
        [
            "namespace,service,vendor,count",
            "billing,,codat,3",
            "payouts,,codat,3",
            ",ledger,ocrolus,1",
        ]
    );
}

/// A bad `[[label]]` rule or an unknown `[metrics] labels` name is a
/// usage error naming the file, the line and the key.
#[test]
fn bad_label_config_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "a.log", "x\n");
    for (text, says) in [
        (
            "max_line_bytes = 4096\n\n[[label]]\nregex = '(?P<team>a)'\n\n[[label]]\nregex = '/srv/([^/]+)/'\n",
            "line 6: [[label]] #2 `regex` = \"/srv/([^/]+)/\": no named group",
        ),
        (
            "[[label]]\nregex = '(?P<vendor>x)'\n",
            "built-in grouping key",
        ),
        (
            "[metrics]\nlabels = [\"namespace\", \"team\"]\n",
            "[metrics] `labels`: `team` is no path label (known: namespace, pod, container)",
        ),
    ] {
        let config = write(dir.path(), "config.toml", text);
        let out = errscope()
            .args(["scan", "--config", &config, &log])
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{text}");
        let err = stderr(&out);
        assert!(err.contains("config.toml") && err.contains(says), "{err}");
    }
    let out = errscope()
        .args(["scan", "--by", "team", &log])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("unknown key `team`"),
        "{}",
        stderr(&out)
    );
}
