//! Failure injection with the real binary: unreadable inputs, a reader
//! that goes away, a disk that fills up. Each case must end in a clear
//! message naming the file and the right exit status — never a panic, never
//! silently lost or half-written data.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};

use common::*;

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

fn bin() -> String {
    assert_cmd::cargo::cargo_bin("errscope")
        .display()
        .to_string()
}

#[test]
fn unreadable_file_is_named_and_the_rest_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let secret = write(dir.path(), "secret.log", format!("{OCROLUS_1200}\n"));
    let open = write(dir.path(), "open.log", format!("{OZ_7}\n"));
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o000)).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o644)).unwrap();
    // Root reads anything: drop to `nobody` so the permission really bites
    // (running a copy of the binary that `nobody` can surely execute).
    let mut command = if is_root() {
        let copy = dir.path().join("errscope");
        std::fs::copy(bin(), &copy).unwrap();
        std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o755)).unwrap();
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(&copy);
        c
    } else {
        Command::new(bin())
    };
    let out = command
        .args(["scan", "--format", "csv", &secret, &open])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("secret.log") && err.contains("ermission denied"),
        "{err}"
    );
    assert_eq!(
        parse_counts(&stdout(&out)),
        counts(&[("ozforensics", "7", "", 1)])
    );
}

#[test]
fn a_reader_that_goes_away_ends_the_run_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let line = format!("2026-11-20 ERROR {OCROLUS_1200}\n");
    let log = write(dir.path(), "big.log", line.repeat(200_000));
    for args in [
        vec!["scan", "--events", log.as_str()],
        vec!["codes"],
        vec![
            "scan",
            "--format",
            "ndjson",
            "--by",
            "file,vendor,code",
            log.as_str(),
        ],
    ] {
        let mut child = Command::new(bin())
            .args(&args)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let mut reader = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        assert!(!first.is_empty());
        drop(reader);
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {:?} {}",
            out.status,
            stderr(&out)
        );
        assert!(!stderr(&out).contains("panicked"), "{}", stderr(&out));
    }
}

#[test]
fn a_full_disk_fails_the_report_and_keeps_the_previous_one() {
    let dir = tempfile::tempdir().unwrap();
    let small = write(
        dir.path(),
        "small.log",
        format!("2026-11-20T10:00:00Z {OCROLUS_1200}\n"),
    );
    // Many distinct codes on one day make a report larger than the disk.
    let mut big = String::new();
    for i in 0..3000 {
        big.push_str(&format!(
            "2026-11-20T10:00:00Z {{\"statusCode\":404,\"service\":\"PublicApi\",\"error\":\"Missing{i}Exception: {}\",\"correlationId\":\"x\"}}\n",
            "x".repeat(40)
        ));
    }
    let big = write(dir.path(), "big.log", big);
    let saved = dir.path().join("saved");
    std::fs::create_dir(&saved).unwrap();
    // A 16 KiB tmpfs in a private mount namespace (as root, or as a user
    // with user namespaces): a real ENOSPC, no device needed.
    let script = r#"
        set -u
        mnt="$1"; bin="$2"; small="$3"; big="$4"; saved="$5"
        mkdir -p "$mnt" && mount -t tmpfs -o size=16k tmpfs "$mnt" || exit 77
        "$bin" scan --format csv --report-dir "$mnt" "$small" > /dev/null 2> "$saved/first.err"; echo $? > "$saved/first.rc"
        cp "$mnt/2026-11-20.csv" "$saved/before.csv"
        "$bin" scan --format csv --report-dir "$mnt" "$big" > /dev/null 2> "$saved/second.err"; echo $? > "$saved/second.rc"
        cp "$mnt/2026-11-20.csv" "$saved/after.csv"
        ls -A "$mnt" > "$saved/listing"
    "#;
    let mnt = dir.path().join("mnt");
    let mut command = Command::new("unshare");
    if !is_root() {
        command.arg("--map-root-user");
    }
    let status = command
        .args(["--mount", "sh", "-c", script, "sh"])
        .args([
            mnt.to_str().unwrap(),
            &bin(),
            &small,
            &big,
            saved.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "could not set up a small tmpfs (unshare/mount): {status:?}"
    );
    let read = |name: &str| std::fs::read_to_string(saved.join(name)).unwrap();
    assert_eq!(read("first.rc").trim(), "0", "{}", read("first.err"));
    assert_eq!(read("second.rc").trim(), "2", "{}", read("second.err"));
    let err = read("second.err");
    assert!(
        err.contains("2026-11-20.csv"),
        "the failing file is named: {err}"
    );
    assert_eq!(
        read("before.csv"),
        read("after.csv"),
        "the previous report stays intact"
    );
    assert_eq!(
        read("listing").trim(),
        "2026-11-20.csv",
        "no temp file is left behind"
    );
}

/// A mapped file truncated under the scan (log rotation's copytruncate at
/// the wrong moment) would raise SIGBUS: the run ends with exit 2 and a
/// message naming the file instead of a bare "Bus error".
#[test]
fn a_mapped_file_truncated_mid_scan_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let line =
        "2026-11-20 10:15:02,123 INFO [http] GET /v1/books statusCode=200 correlationId=abc\n";
    let big = write(
        dir.path(),
        "settled.log",
        line.repeat((48 << 20) / line.len()),
    );
    settle(&big);
    let file = std::fs::File::options().write(true).open(&big).unwrap();

    let mut child = Command::new(bin())
        .args(["scan", "--format", "csv", &big])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().to_string();
    let maps = format!("/proc/{pid}/maps");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mapped = loop {
        let listed = std::fs::read_to_string(&maps).unwrap_or_default();
        if listed.contains("settled.log") {
            break true;
        }
        if std::time::Instant::now() > deadline || child.try_wait().unwrap().is_some() {
            break false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    };
    // Hold the scan still while the file is cut, so it cannot finish first.
    let signal = |name: &str| {
        let sent = Command::new("kill").args([name, &pid]).status().unwrap();
        assert!(sent.success());
    };
    signal("-STOP");
    file.set_len(0).unwrap();
    signal("-CONT");
    let output = child.wait_with_output().unwrap();
    assert!(mapped, "the scan never mapped the file");
    let message = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{message}");
    assert!(
        message.contains(&big) && message.contains("shrank"),
        "{message}"
    );
}
