//! `errscope tail` end to end: the real binary, real files, real renames,
//! real signals. Totals are read from the NDJSON summaries. Nothing here
//! asserts on timing: waits are deadlines with polling.

use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use serde_json::Value;

mod common;

use common::append;
use common::tailing::LiveTail as Tail;

fn error_line(tag: &str, seq: u64) -> String {
    format!(
        "2026-11-20 10:15:02,123 ERROR [ocr] {tag} seq={seq} failed: {{\"status\":400,\"message\":\"Authentication failed\",\"code\":1200,\"response\":null}}\n"
    )
}

fn noise_line(tag: &str, seq: u64) -> String {
    format!(
        "2026-11-20 10:15:02,124 INFO {tag} seq={seq} request done status=200 response time 3ms\n"
    )
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// One log file as an application writes it: an append-mode descriptor,
/// swapped at rotation.
struct Log {
    path: PathBuf,
    file: File,
    tag: String,
    seq: u64,
    errors: u64,
}

impl Log {
    fn create(path: PathBuf, tag: &str) -> Log {
        let file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        Log {
            path,
            file,
            tag: tag.into(),
            seq: 0,
            errors: 0,
        }
    }

    /// Every third line is an error.
    fn write_line(&mut self) {
        self.seq += 1;
        let line = if self.seq.is_multiple_of(3) {
            self.errors += 1;
            error_line(&self.tag, self.seq)
        } else {
            noise_line(&self.tag, self.seq)
        };
        self.file.write_all(line.as_bytes()).unwrap();
    }

    /// logrotate's default: rename, the application writes a few more
    /// lines to its old descriptor, then reopens the name.
    fn rotate_rename(&mut self, n: usize) {
        fs::rename(&self.path, format!("{}.{n}", self.path.display())).unwrap();
        for _ in 0..3 {
            self.write_line();
        }
        self.file = OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .unwrap();
    }
}

fn count_errors(bytes: &[u8]) -> u64 {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| l.contains("\"code\":1200"))
        .count() as u64
}

/// Three files, written continuously, each rotated ten times by rename and
/// five times by copytruncate while being followed. Every error written
/// is counted, except at most those written between a copy and its
/// truncation (the documented copytruncate window, measured here).
#[test]
fn counts_survive_rename_and_copytruncate_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let state = dir.path().join("state");
    let files: Vec<Arc<Mutex<Log>>> = ["api", "worker", "billing"]
        .iter()
        .map(|name| {
            Arc::new(Mutex::new(Log::create(
                logs.join(format!("{name}.log")),
                name,
            )))
        })
        .collect();
    let tail = Tail::start(&[
        format!("{}/*.log", logs.display()),
        "--state-dir".into(),
        s(&state),
        "--from-beginning".into(),
    ]);

    let stop = Arc::new(AtomicBool::new(false));
    let paused = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = files
        .iter()
        .map(|log| {
            let (log, stop, paused) = (log.clone(), stop.clone(), paused.clone());
            thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    if !paused.load(Ordering::Relaxed) {
                        for _ in 0..5 {
                            log.lock().unwrap().write_line();
                        }
                    }
                    thread::sleep(Duration::from_millis(2));
                }
            })
        })
        .collect();
    let written_so_far =
        |files: &[Arc<Mutex<Log>>]| -> u64 { files.iter().map(|l| l.lock().unwrap().errors).sum() };

    // 15 rounds: rename in 10 of them, copytruncate in 5.
    let mut window_errors = 0;
    let mut window_lines = 0;
    let mut n = 0;
    for round in 0..15 {
        thread::sleep(Duration::from_millis(60));
        for log in &files {
            n += 1;
            if round % 3 == 2 {
                // copytruncate: copy, (the application keeps writing),
                // truncate. What is written in between is the window. The
                // copy is not followed (`*.log` does not match it): lines
                // errscope had not read before the copy would be lost as
                // well, by the test's own timing, so it first lets
                // errscope catch up.
                paused.store(true, Ordering::Relaxed);
                thread::sleep(Duration::from_millis(10));
                let due = written_so_far(&files) - window_errors;
                tail.wait_until("the tail to catch up before a copytruncate", || {
                    tail.total_errors() >= due
                });
                paused.store(false, Ordering::Relaxed);
                let (path, copied) = {
                    let log = log.lock().unwrap();
                    let copy = format!("{}.{n}", log.path.display());
                    fs::copy(&log.path, &copy).unwrap();
                    (log.path.clone(), fs::metadata(&copy).unwrap().len())
                };
                thread::sleep(Duration::from_millis(3));
                let log = log.lock().unwrap();
                let content = fs::read(&path).unwrap();
                let window = &content[copied as usize..];
                window_errors += count_errors(window);
                window_lines += window.iter().filter(|&&b| b == b'\n').count();
                log.file.set_len(0).unwrap();
            } else {
                log.lock().unwrap().rotate_rename(n);
            }
        }
    }
    thread::sleep(Duration::from_millis(100));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let written: u64 = files.iter().map(|l| l.lock().unwrap().errors).sum();
    eprintln!(
        "copytruncate window: {window_lines} lines ({window_errors} errors) over 15 truncations; {written} errors written"
    );

    if std::env::var_os("ERRSCOPE_KEEP").is_some() {
        eprintln!("kept: {}", dir.keep().display());
    }
    // Everything outside the window is counted, nothing twice.
    tail.wait_until("the counts to settle", || {
        let total = tail.total_errors();
        total >= written - window_errors && total <= written
    });
    // Rotated files are let go once quiet: only the three live files stay open.
    tail.wait_until("rotated files to be released", || {
        tail.open_files(&logs).len() == 3
    });
    let (status, last, _) = tail.terminate();
    assert!(status.success(), "{status}");
    let total = last["total"]["errors"].as_u64().unwrap();
    assert!(
        total <= written && total >= written - window_errors,
        "counted {total}, written {written}, window {window_errors}"
    );
    eprintln!("counted {total} of {written} (window {window_errors})");
}

/// kill -9 in the middle of a stream, restart on the same state: the
/// totals are exactly those of the lines in the files.
#[test]
fn totals_are_exact_across_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let state = dir.path().join("state");
    let paths: Vec<PathBuf> = ["a.log", "b.log"].iter().map(|n| logs.join(n)).collect();
    for path in &paths {
        File::create(path).unwrap();
    }
    let args = vec![
        format!("{}/*.log", logs.display()),
        "--state-dir".into(),
        s(&state),
        "--from-beginning".into(),
    ];
    let writing = {
        let paths = paths.clone();
        thread::spawn(move || {
            let mut logs: Vec<Log> = paths
                .iter()
                .zip(["a", "b"])
                .map(|(p, t)| Log::create(p.clone(), t))
                .collect();
            for _ in 0..400 {
                for log in &mut logs {
                    for _ in 0..10 {
                        log.write_line();
                    }
                }
                thread::sleep(Duration::from_millis(4));
            }
            logs.iter().map(|l| (l.errors, l.seq)).collect::<Vec<_>>()
        })
    };
    let first = Tail::start(&args);
    first.wait_until("some counts", || first.total_errors() > 100);
    first.kill9();
    thread::sleep(Duration::from_millis(200));
    let second = Tail::start(&args);
    let written = writing.join().unwrap();
    let errors: u64 = written.iter().map(|w| w.0).sum();
    let lines: u64 = written.iter().map(|w| w.1).sum();
    second.wait_total(errors);
    let (status, last, _) = second.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], errors);
    assert_eq!(last["total"]["lines"], lines, "{last}");
    // The checkpoint holds the same totals.
    let saved: Value =
        serde_json::from_slice(&fs::read(state.join("tail-state.json")).unwrap()).unwrap();
    let offsets: Vec<u64> = saved["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["offset"].as_u64().unwrap())
        .collect();
    let sizes: Vec<u64> = paths
        .iter()
        .map(|p| fs::metadata(p).unwrap().len())
        .collect();
    assert_eq!(offsets, sizes);
}

/// A file that matches the glob after the start is followed; a deleted
/// file is let go (its descriptor closed); a directory input picks up new
/// files in new subdirectories.
#[test]
fn new_files_are_followed_and_deleted_ones_released() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    let tree = dir.path().join("tree");
    fs::create_dir(&logs).unwrap();
    fs::create_dir(&tree).unwrap();
    append(&logs.join("a.log"), &error_line("old", 1));
    let tail = Tail::start(&[
        format!("{}/*.log", logs.display()),
        s(&tree),
        "--state-dir".into(),
        s(&dir.path().join("state")),
    ]);
    // First start, no --from-beginning: what was there is not counted.
    append(&logs.join("a.log"), &error_line("a", 2));
    tail.wait_total(1);
    let late = logs.join("late.log");
    append(
        &late,
        &format!("{}{}", noise_line("late", 1), error_line("late", 2)),
    );
    tail.wait_total(2);
    fs::create_dir_all(tree.join("x/y")).unwrap();
    append(&tree.join("x/y/deep.txt"), &error_line("deep", 1));
    tail.wait_total(3);
    append(&logs.join("ignored.txt"), &error_line("not matched", 1));
    assert!(tail
        .open_files(&logs)
        .iter()
        .any(|p| p.ends_with("late.log")));
    fs::remove_file(&late).unwrap();
    tail.wait_until("the deleted file to be closed", || {
        !tail
            .open_files(&logs)
            .iter()
            .any(|p| p.contains("late.log"))
    });
    append(&logs.join("a.log"), &error_line("a", 3));
    tail.wait_total(4);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 4);
}

/// SIGTERM prints a final summary, flushes the checkpoint and exits 0. A
/// line is counted only once its newline arrives, across a restart too; a
/// pretty-printed body split across two writes is found; SIGHUP does not
/// kill it.
#[test]
fn sigterm_flushes_and_partial_lines_wait_for_their_newline() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    append(&log, &error_line("before", 1));
    let args = vec![s(&log), "--state-dir".into(), s(&state)];
    let tail = Tail::start(&args);
    tail.signal("HUP");
    append(&log, &error_line("x", 2));
    tail.wait_total(1);
    // A pretty-printed Aplos body in two writes.
    append(
        &log,
        "2026-11-20 10:15:03 ERROR aplos said: {\n  \"version\": \"v2_0_0\",\n  \"status\": 422,\n",
    );
    thread::sleep(Duration::from_millis(300));
    append(
        &log,
        "  \"exception\": {\n    \"message\": \"ID is required.\",\n    \"code\": 3002\n  }\n}\n",
    );
    tail.wait_total(2);
    // Half a line at shutdown: not counted now, counted whole after the restart.
    let line = error_line("split", 3);
    let (head, rest) = line.split_at(40);
    append(&log, head);
    thread::sleep(Duration::from_millis(300));
    let (status, last, finished) = tail.terminate();
    assert!(status.success(), "{status}");
    assert_eq!(last["type"], "summary");
    assert_eq!(last["final"], true);
    assert_eq!(last["total"]["errors"], 2);
    eprintln!("SIGTERM to exit: {:?}", finished.took);
    let saved: Value =
        serde_json::from_slice(&fs::read(state.join("tail-state.json")).unwrap()).unwrap();
    let size = fs::metadata(&log).unwrap().len();
    assert_eq!(saved["files"][0]["offset"], size - head.len() as u64);

    let tail = Tail::start(&args);
    assert_eq!(tail.total_errors(), 2, "restored from the checkpoint");
    append(&log, rest);
    tail.wait_total(3);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 3);
    assert_eq!(last["total"]["top"][0]["code"], "1200");
}

/// Truncation in place (and rewriting from zero) starts the file over.
#[test]
fn truncation_in_place_starts_over() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    File::create(&log).unwrap();
    let tail = Tail::start(&[s(&log), "--from-beginning".into()]);
    append(
        &log,
        &format!("{}{}", error_line("one", 1), error_line("one", 2)),
    );
    tail.wait_total(2);
    // Truncated, then a line shorter than what was read.
    fs::write(&log, error_line("t", 3).replace("seq=3 ", "")).unwrap();
    tail.wait_total(3);
    // Rewritten from zero with longer content before it was looked at:
    // the start differs, so it is new content.
    let mut longer = String::new();
    for i in 0..5 {
        longer.push_str(&error_line("rewritten", 100 + i));
    }
    fs::write(&log, &longer).unwrap();
    tail.wait_total(8);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 8);
}

/// A corrupt checkpoint is reported, moved aside, and a fresh one written.
#[test]
fn corrupt_checkpoint_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    fs::create_dir(&state).unwrap();
    fs::write(state.join("tail-state.json"), b"{\"version\":1,\"files\":[").unwrap();
    append(&log, &error_line("x", 1));
    let tail = Tail::start(&[s(&log), "--state-dir".into(), s(&state)]);
    let (status, _, finished) = tail.terminate();
    let stderr = finished.stderr;
    assert!(
        stderr.contains("tail-state.json") && stderr.contains("moved aside"),
        "{stderr}"
    );
    assert!(status.success());
    assert!(state.join("tail-state.json.corrupt").exists());
    assert!(state.join("tail-state.json").exists());
}

/// When the inputs also match the rotated names, a renamed file is the
/// same identity (read on from its offset, not again) and a copytruncate
/// copy is recognised by its first bytes and not counted twice.
#[test]
fn rotated_names_matched_too_are_not_counted_twice() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let mut log = Log::create(logs.join("app.log"), "app");
    let tail = Tail::start(&[format!("{}/*", logs.display()), "--from-beginning".into()]);
    let settle = |log: &Log| tail.wait_total(log.errors);
    for _ in 0..30 {
        log.write_line();
    }
    settle(&log);
    log.rotate_rename(1);
    for _ in 0..30 {
        log.write_line();
    }
    settle(&log);
    // copytruncate, with the copy matched by the inputs.
    fs::copy(&log.path, logs.join("app.log.2")).unwrap();
    log.file.set_len(0).unwrap();
    for _ in 0..30 {
        log.write_line();
    }
    settle(&log);
    // The old file, renamed once more, is still the same identity.
    fs::rename(logs.join("app.log.1"), logs.join("app.log.3")).unwrap();
    append(&logs.join("app.log.3"), &error_line("late", 1));
    log.errors += 1;
    settle(&log);
    thread::sleep(Duration::from_millis(300));
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], log.errors);
}

/// `-` follows standard input through the same pipeline; its unfinished
/// last line counts when the input ends, and with stdin as the only source
/// the run ends there with a final summary.
#[test]
fn stdin_is_a_source() {
    use std::process::{Command, Stdio};
    let mut child = Command::new(env!("CARGO_BIN_EXE_errscope"))
        .args(["tail", "-", "--format", "ndjson", "--interval", "200ms"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(error_line("stdin", 1).as_bytes()).unwrap();
    stdin.write_all(noise_line("stdin", 2).as_bytes()).unwrap();
    // The last line has no newline: counted once the input ends.
    stdin
        .write_all(error_line("stdin", 3).trim_end().as_bytes())
        .unwrap();
    drop(stdin);
    // A watchdog, so a run that never ends fails instead of hanging.
    let pid = child.id();
    let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
    let watchdog = thread::spawn(move || {
        if done_rx.recv_timeout(Duration::from_secs(30)).is_err() {
            let _ = Command::new("kill")
                .args(["-KILL", &pid.to_string()])
                .status();
        }
    });
    let out = child.wait_with_output().unwrap();
    let _ = done_tx.send(());
    let _ = watchdog.join();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let last: Value = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .rfind(|d| d["type"] == "summary")
        .unwrap();
    assert_eq!(last["final"], true);
    assert_eq!(last["total"]["errors"], 2);
    assert_eq!(last["total"]["lines"], 3);
}
