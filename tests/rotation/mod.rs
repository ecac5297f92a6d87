//! A model of what was written to two log files while they are appended
//! to, rotated every way (rename, copytruncate, the real `logrotate -f`
//! with several configurations), and `errscope tail --state-dir` is killed
//! with SIGKILL and restarted on the same state directory (sometimes from
//! another working directory); and a driver that plays a sequence of such
//! actions against the real binary and real files and compares the final
//! totals of `tail` with the model.
//!
//! Shared by the property test (`tests/tail_rotation.rs`) and the soak
//! (`bench/rotation_soak.rs`). The model needs no knowledge of where
//! errscope is: it counts what was written. Lines written between a copy
//! and its truncation (the copytruncate window) are errors of another
//! vendor, so whether they were counted is measured apart from the rest.
#![allow(dead_code)]

use std::fmt;
use std::fs::{self, OpenOptions};
use std::io::{BufRead, BufReader, Write};
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant, SystemTime};

// The soak builds this module without `common`; a test that has both
// loads the file twice.
#[allow(clippy::duplicate_mod)]
#[path = "../common/capture.rs"]
mod capture;

use proptest::prelude::*;
use serde_json::Value;

/// Log files written: `a.log`, `b.log`.
pub const FILES: usize = 2;
const NAMES: [&str; FILES] = ["a.log", "b.log"];

const OCROLUS: &str =
    r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
/// The body of the lines written inside a copytruncate window.
const APLOS: &str = r#"{"version":"v2_0_0","status":401,"exception":{"message":"Token could not be located.","code":1002}}"#;

/// How `logrotate -f` rotates one of the files (one scheme per file and
/// case: schemes sharing a file's names would rename over each other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Rename to `a.log.1`, create an empty `a.log`.
    Create,
    /// Copy to `a.log.1`, truncate `a.log`.
    CopyTruncate,
    /// Rename, and gzip the previous rotation (`a.log.2.gz`).
    CompressDelay,
    /// Rename and gzip at once: only `a.log.1.gz` is left.
    Compress,
    /// Copy, truncate, gzip the copy at once.
    CopyTruncateCompress,
    /// Rename to `a.log-YYYYMMDD-SECONDS`.
    DateExt,
    /// Rename into the `old/` directory.
    OldDir,
}

impl Scheme {
    pub const ALL: [Scheme; 7] = [
        Scheme::Create,
        Scheme::CopyTruncate,
        Scheme::CompressDelay,
        Scheme::Compress,
        Scheme::CopyTruncateCompress,
        Scheme::DateExt,
        Scheme::OldDir,
    ];

    fn directives(self, old: &Path) -> String {
        match self {
            Scheme::Create => "create".into(),
            Scheme::CopyTruncate => "copytruncate".into(),
            Scheme::CompressDelay => "create\n    compress\n    delaycompress".into(),
            Scheme::Compress => "create\n    compress".into(),
            Scheme::CopyTruncateCompress => "copytruncate\n    compress".into(),
            Scheme::DateExt => "create\n    dateext\n    dateformat -%Y%m%d-%s".into(),
            Scheme::OldDir => format!("create\n    olddir {}", old.display()),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Append error and noise lines to a file (opened by name, so they go
    /// to whatever file is there now; created if missing).
    Append { file: usize, errors: u8, noise: u8 },
    /// Rename the file to a new rotated name; `linger` more lines go to the
    /// renamed file (a writer that keeps its descriptor a moment). The next
    /// append creates the file again.
    Rename { file: usize, linger: u8 },
    /// Copy, append `window` lines, truncate: the window lines are in
    /// neither file afterwards.
    CopyTruncate { file: usize, window: u8 },
    /// `logrotate -f` with the file's scheme.
    Logrotate { file: usize },
    /// SIGKILL after `after_ms` (when running).
    Kill { after_ms: u8 },
    /// Start on the same state directory (when down), in the case
    /// directory or in the log directory.
    Start { elsewhere: bool },
    /// Delete the oldest rotated file, if the checkpoint says it was read
    /// to its end (while running: once errscope has caught up).
    DeleteOldest,
}

/// One generated case.
#[derive(Clone)]
pub struct Case {
    pub schemes: [Scheme; FILES],
    /// `logs/*` (rotated names match the inputs too) instead of `logs/*.log`.
    pub glob_all: bool,
    pub actions: Vec<Action>,
}

impl fmt::Debug for Case {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "schemes {:?}, inputs {}",
            self.schemes,
            if self.glob_all {
                "logs/*"
            } else {
                "logs/*.log"
            }
        )?;
        for action in &self.actions {
            writeln!(f, "  {action:?}")?;
        }
        Ok(())
    }
}

impl Case {
    /// Reads a case back from its `Debug` form (as a failing case is
    /// printed), to play it again.
    pub fn parse(text: &str) -> Result<Case, String> {
        let mut lines = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'));
        let head = lines.next().ok_or("an empty case")?;
        let list = head
            .strip_prefix("schemes [")
            .and_then(|rest| rest.split_once(']'))
            .ok_or_else(|| format!("not a case's first line: {head}"))?;
        let scheme = |name: &str| {
            Scheme::ALL
                .into_iter()
                .find(|s| format!("{s:?}") == name.trim())
                .ok_or_else(|| format!("no scheme {name:?}"))
        };
        let schemes: Vec<Scheme> = list.0.split(',').map(scheme).collect::<Result<_, _>>()?;
        let schemes: [Scheme; FILES] = schemes
            .try_into()
            .map_err(|_| format!("{FILES} schemes expected: {head}"))?;
        let glob_all = list.1.trim_end().ends_with("logs/*");
        let mut actions = Vec::new();
        for line in lines {
            let field = |key: &str| -> Result<u64, String> {
                let at = line
                    .find(&format!("{key}: "))
                    .ok_or_else(|| format!("no {key} in {line}"))?;
                let digits: String = line[at + key.len() + 2..]
                    .chars()
                    .take_while(char::is_ascii_digit)
                    .collect();
                digits.parse().map_err(|e| format!("{key} in {line}: {e}"))
            };
            let small = |key: &str| -> Result<u8, String> {
                u8::try_from(field(key)?).map_err(|e| format!("{key} in {line}: {e}"))
            };
            let file = |key: &str| -> Result<usize, String> {
                let n = usize::try_from(field(key)?).map_err(|e| e.to_string())?;
                (n < FILES)
                    .then_some(n)
                    .ok_or_else(|| format!("no file {n}"))
            };
            let kind = line.split([' ', '{']).next().unwrap_or_default();
            actions.push(match kind {
                "Append" => Action::Append {
                    file: file("file")?,
                    errors: small("errors")?,
                    noise: small("noise")?,
                },
                "Rename" => Action::Rename {
                    file: file("file")?,
                    linger: small("linger")?,
                },
                "CopyTruncate" => Action::CopyTruncate {
                    file: file("file")?,
                    window: small("window")?,
                },
                "Logrotate" => Action::Logrotate {
                    file: file("file")?,
                },
                "Kill" => Action::Kill {
                    after_ms: small("after_ms")?,
                },
                "Start" => Action::Start {
                    elsewhere: line.contains("true"),
                },
                "DeleteOldest" => Action::DeleteOldest,
                _ => return Err(format!("not an action: {line}")),
            });
        }
        Ok(Case {
            schemes,
            glob_all,
            actions,
        })
    }
}

fn action() -> impl Strategy<Value = Action> {
    let file = 0..FILES;
    prop_oneof![
        8 => (file.clone(), 0u8..4, 0u8..4)
            .prop_map(|(file, errors, noise)| Action::Append { file, errors, noise }),
        2 => (file.clone(), 0u8..3).prop_map(|(file, linger)| Action::Rename { file, linger }),
        2 => (file.clone(), 0u8..3)
            .prop_map(|(file, window)| Action::CopyTruncate { file, window }),
        4 => file.prop_map(|file| Action::Logrotate { file }),
        3 => (0u8..25).prop_map(|after_ms| Action::Kill { after_ms }),
        3 => any::<bool>().prop_map(|elsewhere| Action::Start { elsewhere }),
        1 => Just(Action::DeleteOldest),
    ]
}

fn scheme() -> impl Strategy<Value = Scheme> {
    prop::sample::select(Scheme::ALL.to_vec())
}

/// Cases of `min..max` actions; a share `glob_all` of them with inputs that
/// match the rotated names too.
pub fn case(min: usize, max: usize, glob_all: f64) -> impl Strategy<Value = Case> {
    (
        [scheme(), scheme()],
        prop::bool::weighted(glob_all),
        prop::collection::vec(action(), min..max),
    )
        .prop_map(|(schemes, glob_all, actions)| Case {
            schemes,
            glob_all,
            actions,
        })
}

/// What a case wrote and what errscope counted.
#[derive(Debug, Default, Clone)]
pub struct Outcome {
    /// Sums only: cases added, and their losses and doubles.
    pub cases: u64,
    pub lost: u64,
    pub doubled: u64,
    pub lost_l: u64,
    pub doubled_l: u64,
    pub failed: u64,
    pub actions: usize,
    pub written_errors: u64,
    pub written_lines: u64,
    pub counted_errors: u64,
    /// Lines counted, window lines excluded.
    pub counted_lines: u64,
    /// Error lines written inside copytruncate windows, and how many of
    /// them were counted anyway (read before the truncation).
    pub window_written: u64,
    pub window_counted: u64,
    pub kills: u64,
    pub starts: u64,
    pub rotations: u64,
    pub logrotate_failed: u64,
    pub deleted: u64,
    /// Longest SIGTERM → exit.
    pub sigterm_exit: Duration,
    pub sigterm_status_ok: bool,
    pub stderr: String,
    pub trace: Vec<String>,
}

impl Outcome {
    pub fn lost_errors(&self) -> u64 {
        self.written_errors.saturating_sub(self.counted_errors)
    }
    pub fn doubled_errors(&self) -> u64 {
        self.counted_errors.saturating_sub(self.written_errors)
            + self.window_counted.saturating_sub(self.window_written)
    }
    pub fn lost_lines(&self) -> u64 {
        self.written_lines.saturating_sub(self.counted_lines)
    }
    pub fn doubled_lines(&self) -> u64 {
        self.counted_lines.saturating_sub(self.written_lines)
    }
    /// Adds a case's figures to a sum of cases.
    pub fn add(&mut self, case: &Outcome) {
        self.cases += 1;
        self.actions += case.actions;
        self.written_errors += case.written_errors;
        self.written_lines += case.written_lines;
        self.counted_errors += case.counted_errors;
        self.counted_lines += case.counted_lines;
        self.window_written += case.window_written;
        self.window_counted += case.window_counted;
        self.kills += case.kills;
        self.starts += case.starts;
        self.rotations += case.rotations;
        self.logrotate_failed += case.logrotate_failed;
        self.deleted += case.deleted;
        self.sigterm_exit = self.sigterm_exit.max(case.sigterm_exit);
        self.lost += case.lost_errors();
        self.doubled += case.doubled_errors();
        self.lost_l += case.lost_lines();
        self.doubled_l += case.doubled_lines();
        self.failed += u64::from(!case.exact());
    }

    /// The figures of a sum of cases, on one line.
    pub fn figures(&self) -> String {
        format!(
            "cases {} · actions {} · kills {} · starts {} · rotations {} ({} refused by logrotate) · deleted {} · errors written {} · lost {} · doubled {} · lines lost {} · lines doubled {} · copytruncate window {} lines, {} of them lost · longest SIGTERM to exit {} ms · failed cases {}",
            self.cases,
            self.actions,
            self.kills,
            self.starts,
            self.rotations,
            self.logrotate_failed,
            self.deleted,
            self.written_errors,
            self.lost,
            self.doubled,
            self.lost_l,
            self.doubled_l,
            self.window_written,
            self.window_written.saturating_sub(self.window_counted),
            self.sigterm_exit.as_millis(),
            self.failed,
        )
    }

    pub fn exact(&self) -> bool {
        self.lost_errors() == 0
            && self.doubled_errors() == 0
            && self.lost_lines() == 0
            && self.doubled_lines() == 0
            && self.sigterm_status_ok
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "errors written {} counted {} · lines written {} counted {} · window {} counted {} · {} kills, {} starts, {} rotations ({} refused by logrotate), {} deleted · SIGTERM exit {:?} ok={}",
            self.written_errors,
            self.counted_errors,
            self.written_lines,
            self.counted_lines,
            self.window_written,
            self.window_counted,
            self.kills,
            self.starts,
            self.rotations,
            self.logrotate_failed,
            self.deleted,
            self.sigterm_exit,
            self.sigterm_status_ok,
        )
    }
}

/// Plays cases against a binary.
pub struct Driver {
    pub errscope: PathBuf,
    /// `None`: logrotate actions are skipped.
    pub logrotate: Option<PathBuf>,
    /// How long catching up may take before the case is judged as is.
    pub deadline: Duration,
}

impl Driver {
    pub fn run(&self, case: &Case) -> Outcome {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut run = Run::new(self, case, dir.path());
        // The first start sees the files empty: everything written after
        // it must be counted, rotated or not.
        run.start(false);
        for action in &case.actions {
            run.apply(action);
        }
        let outcome = run.finish();
        if !outcome.exact() && std::env::var_os("ERRSCOPE_KEEP").is_some() {
            eprintln!("kept: {}", dir.keep().display());
        }
        outcome
    }
}

pub fn find_on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// One case being played.
struct Run<'d> {
    driver: &'d Driver,
    case: Case,
    root: PathBuf,
    logs: PathBuf,
    old: PathBuf,
    state: PathBuf,
    config: PathBuf,
    seq: u64,
    rotated: u64,
    /// Normal (non-window) lines: written and their errors.
    normal_lines: u64,
    errors: u64,
    tail: Option<Tail>,
    out: Outcome,
}

impl<'d> Run<'d> {
    fn new(driver: &'d Driver, case: &Case, root: &Path) -> Run<'d> {
        let root = root.canonicalize().expect("canonical temp dir");
        let (logs, old, state) = (root.join("logs"), root.join("old"), root.join("state"));
        fs::create_dir(&logs).expect("logs dir");
        fs::create_dir(&old).expect("old dir");
        for name in NAMES {
            fs::write(logs.join(name), "").expect("create log");
        }
        let config = root.join("errscope.toml");
        fs::write(
            &config,
            format!("[tail]\nrotated_dirs = [{:?}]\n", old.display().to_string()),
        )
        .expect("config");
        let lr = root.join("logrotate");
        fs::create_dir(&lr).expect("logrotate dir");
        for (k, scheme) in case.schemes.iter().enumerate() {
            fs::write(
                lr.join(format!("{k}.conf")),
                format!(
                    "{} {{\n    rotate 1000\n    missingok\n    ifempty\n    nomail\n    {}\n}}\n",
                    logs.join(NAMES[k]).display(),
                    scheme.directives(&old)
                ),
            )
            .expect("logrotate config");
        }
        Run {
            driver,
            case: case.clone(),
            root,
            logs,
            old,
            state,
            config,
            seq: 0,
            rotated: 0,
            normal_lines: 0,
            errors: 0,
            tail: None,
            out: Outcome::default(),
        }
    }

    fn path(&self, file: usize) -> PathBuf {
        self.logs.join(NAMES[file])
    }

    /// The live path of `file` and the next rotated name for it; `None`
    /// when the file is not there to rotate.
    fn rotation_of(&mut self, file: usize) -> Option<(PathBuf, PathBuf)> {
        let path = self.path(file);
        if !path.exists() {
            return None;
        }
        // A free name: logrotate shifts `a.log.N` to `a.log.N+1` too, and
        // renaming over its file would delete lines the model counts.
        let to = loop {
            self.rotated += 1;
            let to = self
                .logs
                .join(format!("{}.{}", NAMES[file], 100 + self.rotated));
            if !to.exists() {
                break to;
            }
        };
        Some((path, to))
    }

    fn line(&mut self, file: usize, kind: u8) -> String {
        self.seq += 1;
        let seq = self.seq;
        let name = NAMES[file];
        match kind {
            0 => format!("2026-11-20T10:15:02Z ERROR [ocr] {name} seq={seq} failed: {OCROLUS}\n"),
            1 => format!(
                "2026-11-20T10:15:02Z INFO {name} seq={seq} request done status=200 in 3ms\n"
            ),
            _ => format!("2026-11-20T10:15:02Z ERROR [aplos] {name} seq={seq} window: {APLOS}\n"),
        }
    }

    /// `errors` error and `noise` noise lines, interleaved.
    fn lines(&mut self, file: usize, errors: u8, noise: u8) -> String {
        let mut text = String::new();
        let (mut e, mut n) = (errors, noise);
        while e > 0 || n > 0 {
            if e > 0 {
                text.push_str(&self.line(file, 0));
                e -= 1;
            }
            if n > 0 {
                text.push_str(&self.line(file, 1));
                n -= 1;
            }
        }
        self.errors += u64::from(errors);
        self.normal_lines += u64::from(errors) + u64::from(noise);
        text
    }

    fn note(&mut self, what: String) {
        self.out.trace.push(what);
    }

    fn apply(&mut self, action: &Action) {
        self.out.actions += 1;
        match *action {
            Action::Append {
                file,
                errors,
                noise,
            } => {
                let text = self.lines(file, errors, noise);
                append(&self.path(file), &text);
            }
            Action::Rename { file, linger } => {
                let Some((path, to)) = self.rotation_of(file) else {
                    return;
                };
                fs::rename(&path, &to).expect("rename");
                self.out.rotations += 1;
                let text = self.lines(file, linger.div_ceil(2), linger / 2);
                append(&to, &text);
            }
            Action::CopyTruncate { file, window } => {
                let Some((path, to)) = self.rotation_of(file) else {
                    return;
                };
                fs::copy(&path, &to).expect("copy");
                let mut text = String::new();
                for _ in 0..window {
                    text.push_str(&self.line(file, 2));
                }
                self.out.window_written += u64::from(window);
                append(&path, &text);
                OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .and_then(|f| f.set_len(0))
                    .expect("truncate");
                self.out.rotations += 1;
            }
            Action::Logrotate { file } => {
                let Some(logrotate) = self.driver.logrotate.clone() else {
                    return;
                };
                let lr = self.root.join("logrotate");
                let out = Command::new(logrotate)
                    .arg("-f")
                    .arg("-s")
                    .arg(lr.join("status"))
                    .arg(lr.join(format!("{file}.conf")))
                    .output()
                    .expect("run logrotate");
                if out.status.success() {
                    self.out.rotations += 1;
                } else {
                    // dateext: a second rotation in the same second is
                    // refused ("destination ... already exists").
                    self.out.logrotate_failed += 1;
                    let said = String::from_utf8_lossy(&out.stderr).trim().to_owned();
                    self.note(format!("logrotate refused: {said}"));
                }
            }
            Action::Kill { after_ms } => {
                if let Some(tail) = self.tail.take() {
                    thread::sleep(Duration::from_millis(u64::from(after_ms)));
                    let err = tail.kill9();
                    self.out.stderr.push_str(&err);
                    self.out.kills += 1;
                }
            }
            Action::Start { elsewhere } => {
                if self.tail.is_none() {
                    self.start(elsewhere);
                }
            }
            Action::DeleteOldest => self.delete_oldest(),
        }
    }

    fn start(&mut self, elsewhere: bool) {
        let pattern = if self.case.glob_all { "*" } else { "*.log" };
        let (cwd, inputs, state) = if elsewhere {
            (self.logs.clone(), pattern.to_owned(), "../state")
        } else {
            (self.root.clone(), format!("logs/{pattern}"), "state")
        };
        let tail = Tail::start(
            &self.driver.errscope,
            &cwd,
            &[
                inputs.as_str(),
                "--state-dir",
                state,
                "--config",
                &self.config.display().to_string(),
                "--from-beginning",
            ],
            self.driver.deadline,
        );
        match tail {
            Ok(tail) => self.tail = Some(tail),
            Err(err) => {
                self.out.stderr.push_str(&err);
                self.note("did not start".into());
            }
        }
        self.out.starts += 1;
    }

    /// Whether errscope's totals equal the model (window lines apart).
    fn caught_up(&self, summary: &Value) -> bool {
        let (errors, lines, window) = totals(summary);
        errors == self.errors && lines.saturating_sub(window) == self.normal_lines
    }

    /// Waits until the running errscope has counted everything written
    /// (or the deadline passes); whether it did.
    fn catch_up(&mut self) -> bool {
        let Some(mut tail) = self.tail.take() else {
            return false;
        };
        let start = Instant::now();
        let caught = loop {
            if tail.last_summary().is_some_and(|s| self.caught_up(&s)) {
                break true;
            }
            if start.elapsed() > self.driver.deadline || tail.exited() {
                break false;
            }
            thread::sleep(Duration::from_millis(10));
        };
        self.tail = Some(tail);
        caught
    }

    fn rotated_files(&self) -> Vec<(SystemTime, PathBuf)> {
        let mut files = Vec::new();
        for dir in [&self.logs, &self.old] {
            let Ok(entries) = fs::read_dir(dir) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let live = NAMES.iter().any(|n| path == self.logs.join(n));
                if live {
                    continue;
                }
                if let Ok(modified) = entry.metadata().and_then(|m| m.modified()) {
                    files.push((modified, path));
                }
            }
        }
        files.sort();
        files
    }

    fn delete_oldest(&mut self) {
        let Some((_, oldest)) = self.rotated_files().into_iter().next() else {
            return;
        };
        // Deleted bytes cannot be counted again: only a file the checkpoint
        // says was read to its end may go (counted in memory is not enough,
        // a kill would take the count back to the checkpoint). While
        // running, once errscope has caught up and checkpointed.
        let safe = if self.tail.is_some() {
            self.catch_up() && {
                let start = Instant::now();
                loop {
                    if read_to_its_end(&self.state, &oldest) {
                        break true;
                    }
                    if start.elapsed() > Duration::from_secs(3) {
                        break false;
                    }
                    thread::sleep(Duration::from_millis(20));
                }
            }
        } else {
            read_to_its_end(&self.state, &oldest)
        };
        if safe {
            fs::remove_file(&oldest).expect("delete");
            self.out.deleted += 1;
            let shown = oldest.display().to_string();
            self.note(format!("deleted {shown}"));
        }
    }

    fn finish(mut self) -> Outcome {
        if self.tail.is_none() {
            self.start(false);
        }
        self.catch_up();
        if let Some(tail) = self.tail.take() {
            let (ok, took, last, err) = tail.terminate(self.driver.deadline);
            self.out.stderr.push_str(&err);
            self.out.sigterm_status_ok = ok;
            self.out.sigterm_exit = self.out.sigterm_exit.max(took);
            if let Some(last) = last {
                let (errors, lines, window) = totals(&last);
                self.out.counted_errors = errors;
                self.out.counted_lines = lines.saturating_sub(window);
                self.out.window_counted = window;
            }
        }
        self.out.written_errors = self.errors;
        self.out.written_lines = self.normal_lines;
        self.out
    }
}

/// (errors of the normal lines, lines, window errors) of a summary.
fn totals(summary: &Value) -> (u64, u64, u64) {
    let total = &summary["total"];
    let code = |code: &str| {
        total["top"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|row| row["code"] == code)
            .filter_map(|row| row["count"].as_u64())
            .sum::<u64>()
    };
    (
        code("1200"),
        total["lines"].as_u64().unwrap_or(0),
        code("1002"),
    )
}

/// Whether the checkpoint says `path` was read to its end (by identity).
fn read_to_its_end(state: &Path, path: &Path) -> bool {
    let Ok(meta) = fs::metadata(path) else {
        return false;
    };
    let Ok(text) = fs::read(state.join("tail-state.json")) else {
        return false;
    };
    let Ok(saved) = serde_json::from_slice::<Value>(&text) else {
        return false;
    };
    ["files", "released"].iter().any(|list| {
        saved[list].as_array().into_iter().flatten().any(|e| {
            e["dev"] == meta.dev()
                && e["inode"] == meta.ino()
                && e["offset"] == meta.len()
                && e["gzip"] != true
        })
    })
}

fn append(path: &Path, text: &str) {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(text.as_bytes()))
        .expect("append");
}

/// A running `errscope tail --format ndjson`.
struct Tail {
    child: Child,
    last: Arc<Mutex<Option<Value>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Tail {
    /// Started, and its first summary out (the listing is done and the
    /// signal handlers are in place); or what it said on stderr.
    fn start(bin: &Path, cwd: &Path, args: &[&str], deadline: Duration) -> Result<Tail, String> {
        let mut child = Command::new(bin)
            .current_dir(cwd)
            .arg("tail")
            .args(["--format", "ndjson", "--interval", "50ms"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let last = Arc::new(Mutex::new(None));
        let stdout = child.stdout.take().expect("stdout");
        let sink = last.clone();
        let out_reader = thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Ok(doc) = serde_json::from_str::<Value>(&line) {
                    if doc["type"] == "summary" {
                        *sink.lock().unwrap() = Some(doc);
                    }
                }
            }
        });
        let (stderr, err_reader) = capture::collect(child.stderr.take().expect("stderr"));
        let mut tail = Tail {
            child,
            last,
            stderr,
            readers: vec![out_reader, err_reader],
        };
        let start = Instant::now();
        while tail.last_summary().is_none() {
            if tail.exited() || start.elapsed() > deadline {
                let _ = tail.child.kill();
                let _ = tail.child.wait();
                for reader in tail.readers.drain(..) {
                    let _ = reader.join();
                }
                return Err(tail.stderr.lock().unwrap().clone());
            }
            thread::sleep(Duration::from_millis(5));
        }
        Ok(tail)
    }

    fn last_summary(&self) -> Option<Value> {
        self.last.lock().unwrap().clone()
    }

    fn exited(&mut self) -> bool {
        !matches!(self.child.try_wait(), Ok(None))
    }

    fn signal(&self, name: &str) {
        let _ = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status();
    }

    /// SIGKILL: no flush, no final checkpoint. What it said on stderr.
    fn kill9(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let said = self.stderr.lock().unwrap().clone();
        said
    }

    /// SIGTERM: (exited 0, time to exit, final summary, stderr).
    fn terminate(mut self, deadline: Duration) -> (bool, Duration, Option<Value>, String) {
        let asked = Instant::now();
        self.signal("TERM");
        let status = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                break Some(status);
            }
            if asked.elapsed() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break None;
            }
            thread::sleep(Duration::from_millis(2));
        };
        let took = asked.elapsed();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let last = self.last_summary().filter(|s| s["final"] == true);
        let said = self.stderr.lock().unwrap().clone();
        (
            status.is_some_and(|s| s.success()) && last.is_some(),
            took,
            last,
            said,
        )
    }
}

impl Drop for Tail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
