//! A running `errscope tail` for end-to-end tests: every NDJSON line of
//! its stdout (summaries and alert notices) and its stderr are collected;
//! waits are deadlines with polling, never timing assertions.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Generous: the machine may be shared with a fuzzer.
pub const DEADLINE: Duration = Duration::from_secs(30);

pub struct LiveTail {
    child: Child,
    docs: Arc<Mutex<Vec<Value>>>,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl LiveTail {
    /// `errscope tail --format ndjson --interval 200ms ARGS`, returned
    /// once the first summary is out (the initial listing is done and the
    /// signal handlers are installed).
    pub fn start(args: &[String]) -> LiveTail {
        let mut child = Command::new(env!("CARGO_BIN_EXE_errscope"))
            .arg("tail")
            .args(["--format", "ndjson", "--interval", "200ms"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start errscope tail");
        let docs = Arc::new(Mutex::new(Vec::new()));
        let stdout = child.stdout.take().expect("stdout");
        let sink = docs.clone();
        let out_reader = thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let doc: Value = serde_json::from_str(&line)
                    .unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
                sink.lock().unwrap().push(doc);
            }
        });
        let (stderr, err_reader) = super::capture::collect(child.stderr.take().expect("stderr"));
        let tail = LiveTail {
            child,
            docs,
            stderr,
            readers: vec![out_reader, err_reader],
        };
        tail.wait_until("the first summary", || tail.last_summary().is_some());
        tail
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    /// Every stdout document of `type` so far.
    pub fn of_type(&self, kind: &str) -> Vec<Value> {
        self.docs
            .lock()
            .unwrap()
            .iter()
            .filter(|d| d["type"] == kind)
            .cloned()
            .collect()
    }

    /// Alert and resolved notices of `rule`, in order.
    pub fn notices(&self, rule: &str) -> Vec<Value> {
        self.docs
            .lock()
            .unwrap()
            .iter()
            .filter(|d| (d["type"] == "alert" || d["type"] == "resolved") && d["rule"] == rule)
            .cloned()
            .collect()
    }

    pub fn last_summary(&self) -> Option<Value> {
        self.docs
            .lock()
            .unwrap()
            .iter()
            .rev()
            .find(|d| d["type"] == "summary")
            .cloned()
    }

    pub fn total(&self, key: &str) -> u64 {
        self.last_summary()
            .and_then(|s| s["total"][key].as_u64())
            .unwrap_or(0)
    }

    pub fn wait_until(&self, what: &str, mut done: impl FnMut() -> bool) {
        let start = Instant::now();
        while !done() {
            if start.elapsed() > DEADLINE {
                panic!(
                    "timed out waiting for {what}; last summary: {:?}; stderr: {}",
                    self.last_summary(),
                    self.stderr()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    /// Errors counted so far (the last summary's total).
    pub fn total_errors(&self) -> u64 {
        self.total("errors")
    }

    /// Until the total is exactly `errors` errors.
    pub fn wait_total(&self, errors: u64) {
        self.wait_until(&format!("{errors} errors in total"), || {
            self.total_errors() == errors
        });
    }

    /// SIGKILL: no flush, no final checkpoint — a crash.
    pub fn kill9(mut self) {
        self.signal("KILL");
        let _ = self.wait_exit();
    }

    /// Until the totals are exactly `errors` errors in `lines` lines.
    pub fn wait_totals(&self, errors: u64, lines: u64) {
        self.wait_until(&format!("{errors} errors in {lines} lines"), || {
            self.total("errors") == errors && self.total("lines") == lines
        });
    }

    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.pid().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    /// SIGTERM, wait (deadline) for the exit and for stdout and stderr to
    /// be read to their end; the status and the final summary.
    pub fn terminate(mut self) -> (ExitStatus, Value, Finished) {
        let asked = Instant::now();
        self.signal("TERM");
        let status = self.wait_exit();
        let took = asked.elapsed();
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        let docs = self.docs.lock().unwrap().clone();
        let last = docs
            .iter()
            .rev()
            .find(|d| d["type"] == "summary")
            .cloned()
            .unwrap_or(Value::Null);
        assert_eq!(last["final"], true, "the last summary is the final one");
        let finished = Finished {
            docs,
            stderr: self.stderr(),
            took,
        };
        (status, last, finished)
    }

    fn wait_exit(&mut self) -> ExitStatus {
        let start = Instant::now();
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("errscope did not exit; stderr: {}", self.stderr());
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// Paths of the files the process holds open under `dir`.
    pub fn open_files(&self, dir: &Path) -> Vec<String> {
        let Ok(entries) = fs::read_dir(format!("/proc/{}/fd", self.pid())) else {
            return Vec::new();
        };
        let dir = dir.display().to_string();
        entries
            .filter_map(|e| fs::read_link(e.ok()?.path()).ok())
            .map(|p| p.display().to_string())
            .filter(|p| p.starts_with(&dir))
            .collect()
    }
}

impl Drop for LiveTail {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything a terminated tail wrote.
pub struct Finished {
    pub docs: Vec<Value>,
    pub stderr: String,
    /// From SIGTERM to the exit.
    pub took: Duration,
}

impl Finished {
    /// Alert and resolved notices of `rule`, in order.
    pub fn notices(&self, rule: &str) -> Vec<Value> {
        self.docs
            .iter()
            .filter(|d| (d["type"] == "alert" || d["type"] == "resolved") && d["rule"] == rule)
            .cloned()
            .collect()
    }

    /// The `type`s of `rule`'s notices, in order.
    pub fn kinds(&self, rule: &str) -> Vec<String> {
        self.notices(rule)
            .iter()
            .map(|n| n["type"].as_str().unwrap_or_default().to_owned())
            .collect()
    }
}
