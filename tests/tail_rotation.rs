//! Exactly once through crashes and rotation, as a model-based property
//! test (the way Vector tests its file source): proptest generates
//! sequences of appends, rename rotations, copytruncates, real
//! `logrotate -f` runs (create, copytruncate, compress + delaycompress,
//! compress, copytruncate + compress, dateext, olddir), `kill -9` and
//! restarts of `errscope tail` on the same state directory (sometimes from
//! another working directory) and deletions of the oldest rotated file;
//! each sequence is played against the real binary and real files and the
//! final totals must equal what was written. Lines written inside a
//! copytruncate window may be lost (never doubled); they are counted apart.
//!
//! `ERRSCOPE_ROTATION_CASES` sets the number of cases (default 60; `.ci/run`
//! runs 250).
//! Waits are deadlines with polling; nothing asserts on timing.

mod common;
mod rotation;

use std::time::Duration;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use rotation::{find_on_path, Action, Case, Driver, Scheme};

fn cases() -> u32 {
    std::env::var("ERRSCOPE_ROTATION_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(60)
}

/// The share of cases whose inputs match the rotated names too (`logs/*`):
/// `ERRSCOPE_ROTATION_GLOB_ALL` (default 0, see the README's limits).
fn glob_all() -> f64 {
    std::env::var("ERRSCOPE_ROTATION_GLOB_ALL")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(0.0)
}

#[test]
fn totals_equal_what_was_written_through_kills_and_rotations() {
    let logrotate = find_on_path("logrotate");
    if logrotate.is_none() {
        println!(
            "SKIPPED the logrotate actions: logrotate is not on PATH (Debian package `logrotate`)"
        );
    }
    let driver = Driver {
        errscope: env!("CARGO_BIN_EXE_errscope").into(),
        logrotate,
        deadline: Duration::from_secs(10),
    };
    let mut runner = TestRunner::new(Config {
        cases: cases(),
        max_shrink_iters: 40,
        failure_persistence: None,
        ..Config::default()
    });
    let sum = std::cell::RefCell::new(rotation::Outcome::default());
    let result = runner.run(&rotation::case(4, 24, glob_all()), |case| {
        let outcome = driver.run(&case);
        sum.borrow_mut().add(&outcome);
        prop_assert!(
            outcome.exact(),
            "{outcome}\ntrace: {:?}\nstderr:\n{}",
            outcome.trace,
            outcome.stderr
        );
        Ok(())
    });
    println!("{}", sum.borrow().figures());
    if let Err(e) = result {
        panic!("{e}");
    }
}

fn driver() -> Driver {
    Driver {
        errscope: env!("CARGO_BIN_EXE_errscope").into(),
        logrotate: find_on_path("logrotate"),
        deadline: Duration::from_secs(30),
    }
}

/// errscope killed with unread lines in a file, which is then rotated
/// (once, twice, with more lines between) while errscope is down, with
/// each logrotate configuration, by rename, and by copytruncate: the
/// restart reads on from the checkpoint wherever the bytes went (renamed,
/// copied, compressed, moved to `olddir`), reads whole what was written
/// and rotated entirely while down, and counts nothing twice.
#[test]
fn rotations_while_down_are_read_on_from_the_checkpoint() {
    use Action::*;
    let driver = driver();
    let down = |rotate: Action| {
        vec![
            Append {
                file: 0,
                errors: 3,
                noise: 2,
            },
            Kill { after_ms: 0 },
            Append {
                file: 0,
                errors: 2,
                noise: 1,
            },
            rotate.clone(),
            Append {
                file: 0,
                errors: 1,
                noise: 1,
            },
            rotate,
            Append {
                file: 0,
                errors: 2,
                noise: 0,
            },
            Start { elsewhere: true },
            Append {
                file: 0,
                errors: 1,
                noise: 1,
            },
        ]
    };
    let mut cases = vec![
        (
            "rename",
            Scheme::Create,
            down(Rename { file: 0, linger: 1 }),
        ),
        (
            "copytruncate",
            Scheme::Create,
            down(CopyTruncate { file: 0, window: 0 }),
        ),
    ];
    if driver.logrotate.is_some() {
        for scheme in Scheme::ALL {
            cases.push(("logrotate", scheme, down(Logrotate { file: 0 })));
        }
    } else {
        println!(
            "SKIPPED the logrotate schemes: logrotate is not on PATH (Debian package `logrotate`)"
        );
    }
    for (what, scheme, actions) in cases {
        let case = Case {
            schemes: [scheme, Scheme::Create],
            glob_all: false,
            actions,
        };
        let outcome = driver.run(&case);
        println!("{what} {scheme:?}: {outcome}");
        assert!(
            outcome.exact(),
            "{what} {scheme:?}: {outcome}\n{:?}\nstderr:\n{}",
            outcome.trace,
            outcome.stderr
        );
        assert!(outcome.written_errors >= 9, "{outcome}");
    }
}

/// A rotated file deleted while errscope is down: what it held past the
/// checkpoint is unknowable; a warning names it and the offset counted to.
#[test]
fn a_rotated_file_deleted_while_down_is_named_with_its_offset() {
    use common::append;
    use common::tailing::LiveTail;
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    std::fs::create_dir(&logs).unwrap();
    let log = logs.join("app.log");
    let line = r#"2026-11-20T10:00:00Z ERROR [ocr] failed: {"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
    append(&log, &format!("{line}\n{line}\n"));
    let args = [
        format!("{}/*.log", logs.display()),
        "--from-beginning".into(),
        "--state-dir".into(),
        dir.path().join("state").display().to_string(),
    ];
    let tail = LiveTail::start(&args);
    tail.wait_total(2);
    let (status, _, _) = tail.terminate();
    assert!(status.success());
    let offset = std::fs::metadata(&log).unwrap().len();
    append(&log, &format!("{line}\n"));
    let rotated = logs.join("app.log.1");
    std::fs::rename(&log, &rotated).unwrap();
    std::fs::remove_file(&rotated).unwrap();
    append(&log, &format!("{line}\n"));
    let tail = LiveTail::start(&args);
    tail.wait_total(3);
    let (status, last, finished) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 3);
    // Gone, or (when the new file got the deleted one's inode) replaced:
    // either way named, with the offset counted to.
    let path = std::fs::canonicalize(&logs).unwrap().join("app.log");
    let said = finished
        .stderr
        .lines()
        .find(|l| l.contains(&format!("{}: ", path.display())))
        .unwrap_or_else(|| panic!("no warning naming {}: {}", path.display(), finished.stderr));
    assert!(
        said.contains(&format!("counted up to offset {offset}, whatever")),
        "{said}"
    );
}
