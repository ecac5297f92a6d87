//! Delivering notices. Each sink a rule uses runs on its own thread behind
//! its own bounded queue, so a slow or dead webhook delays neither counting
//! nor the other sinks. The engine's side ([`Dispatcher::send`]) only
//! serialises the notice and `try_send`s it: when a queue is full the notice
//! is dropped for that sink, counted, and a warning is logged at most once
//! every [`WARN_EVERY`].
//!
//! Sinks: `stdout` (one NDJSON line), `file` (one NDJSON line appended; the
//! file is reopened for each notice so log rotation works), `exec` (the
//! program runs without a shell with the JSON on stdin, stdout discarded,
//! killed after its timeout; `ERRSCOPE_ALERT_TYPE` and `ERRSCOPE_ALERT_RULE`
//! are set in its environment), `webhook` (HTTP POST of the JSON, which has
//! a Slack-compatible `text` field, with a timeout per attempt and bounded
//! retries with exponential backoff; 4xx answers other than 408/429 are not
//! retried).

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use super::config::{ExecSink, Rule, Sinks, WebhookSink};
use super::engine::{Notice, NoticeKind, NoticeSink};

/// Notices waiting per sink before new ones are dropped.
pub const QUEUE_CAPACITY: usize = 256;
/// Dropped-notice warnings are logged at most this often, per sink.
pub const WARN_EVERY: Duration = Duration::from_secs(10);
/// How long shutdown waits for queued notices to be delivered.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);
const BACKOFF_START: Duration = Duration::from_millis(200);
const BACKOFF_MAX: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("sinks.file: cannot open {path}: {source}")]
    FileOpen {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("cannot write: {0}")]
    Write(#[from] io::Error),
    #[error("webhook {url}: {message}")]
    Webhook { url: String, message: String },
    #[error("exec `{program}`: {message}")]
    Exec { program: String, message: String },
    #[error("cannot start the thread of the {sink} sink: {source}")]
    Spawn {
        sink: &'static str,
        #[source]
        source: io::Error,
    },
}

/// A notice as the sinks send it: serialised once.
#[derive(Debug)]
pub struct Delivery {
    pub kind: NoticeKind,
    pub rule: String,
    /// The JSON document, without a line break.
    pub json: String,
}

trait Deliver: Send {
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), SinkError>;
}

struct StdoutSink;

impl Deliver for StdoutSink {
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), SinkError> {
        let mut out = io::stdout().lock();
        writeln!(out, "{}", delivery.json)?;
        out.flush()?;
        Ok(())
    }
}

struct FileSink {
    path: PathBuf,
}

impl FileSink {
    fn open(&self) -> Result<std::fs::File, SinkError> {
        std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.path)
            .map_err(|source| SinkError::FileOpen {
                path: self.path.display().to_string(),
                source,
            })
    }
}

impl Deliver for FileSink {
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), SinkError> {
        let mut file = self.open()?;
        // One write of the whole line, so concurrent appenders do not interleave.
        file.write_all(format!("{}\n", delivery.json).as_bytes())?;
        Ok(())
    }
}

struct ExecRunner {
    spec: ExecSink,
}

impl Deliver for ExecRunner {
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), SinkError> {
        let program = self.spec.command.first().cloned().unwrap_or_default();
        let fail = |message: String| SinkError::Exec {
            program: program.clone(),
            message,
        };
        let mut child = Command::new(&program)
            .args(self.spec.command.iter().skip(1))
            .env("ERRSCOPE_ALERT_TYPE", delivery.kind.as_str())
            .env("ERRSCOPE_ALERT_RULE", &delivery.rule)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(|e| fail(format!("cannot start: {e}")))?;
        // Write from a helper thread: a program that does not read its
        // stdin must not hold this one beyond the timeout.
        let writer = child.stdin.take().map(|mut stdin| {
            let body = format!("{}\n", delivery.json);
            thread::spawn(move || {
                // A program that exits without reading gives EPIPE: not our failure.
                let _ = stdin.write_all(body.as_bytes());
            })
        });
        let deadline = Instant::now() + self.spec.timeout;
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Ok(status),
                Ok(None) if Instant::now() >= deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(fail(format!(
                        "killed after its timeout of {:?}",
                        self.spec.timeout
                    )));
                }
                Ok(None) => thread::sleep(Duration::from_millis(10)),
                Err(e) => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break Err(fail(format!("cannot wait: {e}")));
                }
            }
        };
        if let Some(writer) = writer {
            let _ = writer.join();
        }
        let status = status?;
        if status.success() {
            Ok(())
        } else {
            Err(fail(format!("exited with {status}")))
        }
    }
}

struct WebhookSender {
    spec: WebhookSink,
    agent: ureq::Agent,
}

impl WebhookSender {
    fn new(spec: WebhookSink) -> WebhookSender {
        let agent = ureq::Agent::config_builder()
            .timeout_global(Some(spec.timeout))
            .http_status_as_error(false)
            .user_agent(concat!("errscope/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        WebhookSender { spec, agent }
    }
}

impl Deliver for WebhookSender {
    fn deliver(&mut self, delivery: &Delivery) -> Result<(), SinkError> {
        let mut backoff = BACKOFF_START;
        let mut last = String::new();
        for attempt in 0..=self.spec.retries {
            if attempt > 0 {
                thread::sleep(backoff);
                backoff = (backoff * 2).min(BACKOFF_MAX);
            }
            let result = self
                .agent
                .post(&self.spec.url)
                .header("Content-Type", "application/json")
                .send(delivery.json.as_bytes());
            match result {
                Ok(response) => {
                    let status = response.status().as_u16();
                    if (200..300).contains(&status) {
                        return Ok(());
                    }
                    last = format!("answered HTTP {status}");
                    if (400..500).contains(&status) && status != 408 && status != 429 {
                        break;
                    }
                }
                Err(e) => last = e.to_string(),
            }
        }
        Err(SinkError::Webhook {
            url: self.spec.url.clone(),
            message: format!("{last} (after {} retries)", self.spec.retries),
        })
    }
}

/// Counts notices dropped because a sink's queue was full (or its thread gone).
#[derive(Debug, Clone, Default)]
pub struct DropCounter(Arc<AtomicU64>);

impl DropCounter {
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

struct Queue {
    name: &'static str,
    sender: Option<SyncSender<Arc<Delivery>>>,
    dropped_since_warning: u64,
    last_warning: Option<Instant>,
}

/// The engine's [`NoticeSink`]: one queue and worker thread per sink in use.
pub struct Dispatcher {
    queues: Vec<Queue>,
    /// Disconnects once every worker has exited.
    workers_done: Option<Receiver<()>>,
    dropped: DropCounter,
    grace: Duration,
}

impl Dispatcher {
    /// Starts a worker for each sink that one of `rules` uses. The file
    /// sink's file is opened once here so a bad path fails at startup.
    pub fn start(sinks: &Sinks, rules: &[Rule]) -> Result<Dispatcher, SinkError> {
        Self::with_capacity(sinks, rules, QUEUE_CAPACITY)
    }

    /// [`Dispatcher::start`] with another queue capacity (tests).
    pub fn with_capacity(
        sinks: &Sinks,
        rules: &[Rule],
        capacity: usize,
    ) -> Result<Dispatcher, SinkError> {
        let used = |name: &str| rules.iter().any(|r| r.sinks.iter().any(|s| s == name));
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let mut dispatcher = Dispatcher {
            queues: Vec::new(),
            workers_done: Some(done_rx),
            dropped: DropCounter::default(),
            grace: SHUTDOWN_GRACE,
        };
        let mut add = |name: &'static str, sink: Box<dyn Deliver>| -> Result<(), SinkError> {
            let (tx, rx) = mpsc::sync_channel::<Arc<Delivery>>(capacity.max(1));
            let done = done_tx.clone();
            thread::Builder::new()
                .name(format!("errscope-sink-{name}"))
                .spawn(move || worker(name, sink, rx, done))
                .map_err(|source| SinkError::Spawn { sink: name, source })?;
            dispatcher.queues.push(Queue {
                name,
                sender: Some(tx),
                dropped_since_warning: 0,
                last_warning: None,
            });
            Ok(())
        };
        if used("stdout") {
            add("stdout", Box::new(StdoutSink))?;
        }
        if let Some(path) = sinks.file.as_ref().filter(|_| used("file")) {
            let sink = FileSink { path: path.clone() };
            sink.open()?;
            add("file", Box::new(sink))?;
        }
        if let Some(exec) = sinks.exec.as_ref().filter(|_| used("exec")) {
            add("exec", Box::new(ExecRunner { spec: exec.clone() }))?;
        }
        if let Some(hook) = sinks.webhook.as_ref().filter(|_| used("webhook")) {
            add("webhook", Box::new(WebhookSender::new(hook.clone())))?;
        }
        drop(done_tx);
        Ok(dispatcher)
    }

    /// How long [`NoticeSink::finish`] waits for queued notices (default [`SHUTDOWN_GRACE`]).
    pub fn set_shutdown_grace(&mut self, grace: Duration) {
        self.grace = grace;
    }

    /// Notices dropped so far (all sinks).
    pub fn drop_counter(&self) -> DropCounter {
        self.dropped.clone()
    }
}

fn worker(
    name: &'static str,
    mut sink: Box<dyn Deliver>,
    queue: Receiver<Arc<Delivery>>,
    _done: mpsc::Sender<()>,
) {
    while let Ok(delivery) = queue.recv() {
        if let Err(error) = sink.deliver(&delivery) {
            tracing::warn!(
                "alert sink {name}: {} notice of rule `{}` not delivered: {error}",
                delivery.kind.as_str(),
                delivery.rule
            );
        }
    }
}

impl NoticeSink for Dispatcher {
    fn send(&mut self, notice: Notice) {
        let delivery = Arc::new(Delivery {
            kind: notice.kind,
            rule: notice.rule.name.clone(),
            json: notice.to_json().to_string(),
        });
        for queue in &mut self.queues {
            if !notice.rule.sinks.iter().any(|s| s == queue.name) {
                continue;
            }
            let Some(sender) = &queue.sender else {
                continue;
            };
            let why = match sender.try_send(Arc::clone(&delivery)) {
                Ok(()) => continue,
                Err(TrySendError::Full(_)) => "its queue is full",
                Err(TrySendError::Disconnected(_)) => "its thread has stopped",
            };
            self.dropped.0.fetch_add(1, Ordering::Relaxed);
            queue.dropped_since_warning += 1;
            let due = queue
                .last_warning
                .is_none_or(|at| at.elapsed() >= WARN_EVERY);
            if due {
                tracing::warn!(
                    "alert sink {}: {} notice(s) dropped because {why} (latest: {} of rule `{}`)",
                    queue.name,
                    queue.dropped_since_warning,
                    delivery.kind.as_str(),
                    delivery.rule
                );
                queue.dropped_since_warning = 0;
                queue.last_warning = Some(Instant::now());
            }
        }
    }

    fn finish(&mut self) {
        for queue in &mut self.queues {
            queue.sender = None;
        }
        let Some(done) = self.workers_done.take() else {
            return;
        };
        match done.recv_timeout(self.grace) {
            Err(RecvTimeoutError::Disconnected) | Ok(()) => {}
            Err(RecvTimeoutError::Timeout) => tracing::warn!(
                "alert sinks: gave up waiting for queued notices after {:?}",
                self.grace
            ),
        }
    }
}
