//! `errscope tail`: follow logs live, through rotation and restarts, and
//! summarise every interval.
//!
//! One follower thread per file (and one for stdin) reads through the same
//! [`Scanner`](crate::extract::scanner::Scanner) as `scan` and sends what it
//! counted over a bounded channel to the aggregator, the single task here
//! that owns all counts. The aggregator keeps, per file identity, the offset
//! and the counts that offset accounts for, and checkpoints both in one
//! atomic write, so a restart after a crash continues exactly where the
//! last checkpoint stood. It also calls the observers (alerts, metrics),
//! prints the summaries and re-lists the inputs when files appear.
//!
//! Semantics:
//! - "since start" / `total` is everything counted on this state directory,
//!   across restarts (without `--state-dir`: this run).
//! - Files present at the very first start (no checkpoint yet) start at
//!   their last complete line unless `--from-beginning`; files that appear
//!   later, or while errscope was down, start at 0.
//! - A line counts once its newline arrives. At shutdown a followed file's
//!   unfinished line is left for the next run (the checkpoint stops before
//!   it); a rotated-away file's, and stdin's, is counted.
//! - Rename rotation: the old file is read until quiet for
//!   `ROTATION_GRACE` (1 s) and let go; if the inputs also match its new
//!   name it simply keeps being followed. A file created and renamed away
//!   before a listing saw it is found through the paired rename event.
//! - copytruncate: on truncation, what was not read yet is read from the
//!   copy beside the file (same name prefix, same first bytes); lost are
//!   only lines written after the copy and truncated before being read
//!   (the copy-to-truncate window). If the inputs match the copies too,
//!   a copy is recognised by the full 1 KiB fingerprint of a followed or
//!   truncated file, or by a rotation-style name of a followed file
//!   (`app.log.2`, `app.log-20261125`) on a new inode, and not counted.
//!
//! - SIGHUP re-reads the `--config` file. If it loads and validates, the
//!   alert rules and sinks and `[report]` (dir, redact; the command line
//!   still wins) take effect at once: a rule identical to a running one
//!   keeps its window, baseline and cooldown, a new or changed one starts
//!   afresh (a spike rule warms up again); the previous sinks deliver what
//!   they had queued. Inputs, `[tail]`, `[metrics]`, `[[vendor]]` and
//!   `max_line_bytes` need a restart. A config that fails is named on
//!   stderr (file, line, key) and the previous one is kept.
//!
//! Limits: a file rotated away under a name the inputs do not match while
//! errscope is down loses its unread tail; content rewritten from zero with
//! the same first 1 KiB and longer than what was read is not noticed; two
//! processes must not share a state directory; a blocked stdout blocks
//! counting (memory stays bounded) and delays shutdown; a corrupt
//! checkpoint is moved aside and counting starts afresh from the end.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use jiff::Timestamp;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::{load_config, Exit};
use crate::aggregate::live::Observer;
use crate::aggregate::{hour_of, Tally};
use crate::alert::AlertEngine;
use crate::cli::TailArgs;
use crate::config::Config;
use crate::extract::scanner::Engine;
use crate::extract::timestamp::parse_duration;
use crate::input::checkpoint::{self, FileEntry, ReleasedFile, State};
use crate::input::tail::discover::{self, RescanRequest, WakeMap, Watch};
use crate::input::tail::{
    end_of_last_line, is_gzip, spawn_file, spawn_stdin, Batch, Check, FileKey, Fingerprint,
    FollowSpec, FollowerCtl, SourceMsg,
};
use crate::output::live::{counts_by_code, write_summary, CodeKey, Summary};
use crate::output::metrics::{AlertCounter, Exporter};
use crate::output::Format;

/// Default summary interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// Default re-listing of the inputs (a safety net: events trigger it too).
const DEFAULT_RESCAN: Duration = Duration::from_secs(5);
/// A followed file is looked at this often even without an event.
const SAFETY_POLL: Duration = Duration::from_secs(2);
/// Without file-system events, files are polled this often.
const FALLBACK_POLL: Duration = Duration::from_millis(250);
/// Checkpoints are written at most this often (and at shutdown).
const PERSIST_EVERY: Duration = Duration::from_secs(1);
/// Messages in flight from the sources to the aggregator.
const CHANNEL_CAPACITY: usize = 64;
/// Time followers get at shutdown to send what they have read.
const SHUTDOWN_DRAIN: Duration = Duration::from_millis(600);
/// Counts for event hours older than this (before the newest hour seen)
/// are dropped, so a months-long run stays bounded.
const RETENTION_HOURS: i64 = 8 * 24;
/// Identities let go that are remembered (to continue a file found again).
const MAX_RELEASED: usize = 1024;
/// Names remembered for rename tracking, at most.
const MAX_MATCHED_NAMES: usize = 100_000;
/// The same warning about the same thing is repeated at most this often.
const WARN_EVERY: Duration = Duration::from_secs(300);

/// Extra wiring for embedding and benchmarks.
#[derive(Default)]
pub struct Hooks {
    /// Observers beside those of [`observers`].
    pub observers: Vec<Box<dyn Observer>>,
    /// Cancelled → shut down as on SIGTERM.
    pub shutdown: Option<CancellationToken>,
}

pub fn run(args: TailArgs) -> Result<Exit> {
    run_with(args, Hooks::default())
}

/// The observers of the live stream: the Prometheus exporter and the
/// alert engine, when configured.
pub fn observers(config: &Config, args: &TailArgs) -> Result<Vec<Box<dyn Observer>>> {
    let live = live_observers(config, args)?;
    let mut all = live.others;
    if let Some(engine) = live.alerts {
        all.push(Box::new(engine));
    }
    Ok(all)
}

/// The observers `tail` runs with; the alert engine apart, as a reload
/// reconfigures it.
struct LiveObservers {
    others: Vec<Box<dyn Observer>>,
    alerts: Option<AlertEngine>,
    alerts_total: Option<AlertCounter>,
}

fn live_observers(config: &Config, args: &TailArgs) -> Result<LiveObservers> {
    let mut observers: Vec<Box<dyn Observer>> = Vec::new();
    let metrics_addr = args
        .metrics_addr
        .as_deref()
        .or(config.file.metrics.addr.as_deref());
    let exporter = metrics_addr
        .map(|addr| Exporter::start(addr, config).with_context(|| format!("--metrics-addr {addr}")))
        .transpose()?;
    let alerts_total = exporter.as_ref().map(Exporter::alert_counter);
    if let Some(exporter) = exporter {
        // Said on stderr so a caller that asked for port 0 learns the port.
        eprintln!(
            "errscope: metrics on http://{}/metrics",
            exporter.local_addr()
        );
        observers.push(exporter.into_observer());
    }
    let alerts = crate::alert::alert_engine(config, alerts_total.clone())?;
    Ok(LiveObservers {
        others: observers,
        alerts,
        alerts_total,
    })
}

pub fn run_with(args: TailArgs, hooks: Hooks) -> Result<Exit> {
    let config = load_config(&args.config)?;
    let settings = Settings::new(&config, &args)?;
    let engine = Arc::new(
        config
            .engine(args.max_line_bytes)
            .map_err(|e| anyhow!("{}: {e}", config.shown()))?,
    );
    let mut live = live_observers(&config, &args)?;
    live.others.extend(hooks.observers);
    let shutdown = hooks.shutdown.unwrap_or_default();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the runtime")?;
    runtime.block_on(async move {
        let (tailer, rx) = Tailer::start(settings, engine, live)?;
        tailer.run(rx, shutdown).await
    })
}

/// The command line and the config, resolved.
#[derive(Debug, Clone)]
struct Settings {
    /// File patterns (stdin excluded).
    patterns: Vec<String>,
    stdin: bool,
    interval: Duration,
    rescan: Duration,
    state_dir: Option<PathBuf>,
    from_beginning: bool,
    format: Format,
    report_dir: Option<PathBuf>,
    redact: bool,
    /// The config file, re-read on SIGHUP.
    config_path: Option<PathBuf>,
    /// What the command line set, which a reloaded config does not override.
    cli_report_dir: Option<PathBuf>,
    cli_no_redact: bool,
}

impl Settings {
    fn new(config: &Config, args: &TailArgs) -> Result<Settings> {
        let inputs = if args.paths.is_empty() {
            config.file.inputs.clone()
        } else {
            args.paths.clone()
        };
        if inputs.is_empty() {
            bail!(
                "no input: name files, directories, globs or `-` (or set `inputs` in the config)"
            );
        }
        let duration = |flag: &str, text: Option<&str>, default: Duration| -> Result<Duration> {
            match text {
                None => Ok(default),
                Some(text) => {
                    let d = parse_duration(text).map_err(|e| anyhow!("{flag}: {e}"))?;
                    if d < Duration::from_millis(10) {
                        bail!("{flag}: {text} is too short (at least 10ms)");
                    }
                    Ok(d)
                }
            }
        };
        let interval = duration(
            "--interval",
            args.interval
                .as_deref()
                .or(config.file.tail.interval.as_deref()),
            DEFAULT_INTERVAL,
        )?;
        let rescan = duration(
            "[tail] rescan_interval",
            config.file.tail.rescan_interval.as_deref(),
            DEFAULT_RESCAN,
        )?;
        let format = match args.format {
            Format::Table => Format::Table,
            Format::Ndjson => Format::Ndjson,
            other => bail!(
                "--format {}: tail prints `table` or `ndjson`",
                format!("{other:?}").to_lowercase()
            ),
        };
        let state_dir = args
            .state_dir
            .clone()
            .or_else(|| config.file.tail.state_dir.clone());
        if state_dir.is_none() {
            eprintln!(
                "errscope: note: no --state-dir (or [tail] state_dir): no checkpoints, counting starts afresh on every run"
            );
        }
        Ok(Settings {
            stdin: inputs.iter().any(|p| p == "-"),
            patterns: inputs.into_iter().filter(|p| p != "-").collect(),
            interval,
            rescan,
            state_dir,
            from_beginning: args.from_beginning || config.file.tail.from_beginning == Some(true),
            format,
            report_dir: args
                .report_dir
                .clone()
                .or_else(|| config.file.report.dir.clone()),
            redact: !args.no_redact && config.file.report.redact != Some(false),
            config_path: args.config.config.clone(),
            cli_report_dir: args.report_dir.clone(),
            cli_no_redact: args.no_redact,
        })
    }
}

/// A file being followed.
struct Followed {
    ctl: Arc<FollowerCtl>,
    entry: FileEntry,
    /// Where file-system events name it.
    event_key: PathBuf,
    draining: bool,
    exited: bool,
}

/// The aggregator.
struct Tailer {
    settings: Settings,
    engine: Arc<Engine>,
    observers: Vec<Box<dyn Observer>>,
    /// The alert engine, rebuilt on SIGHUP.
    alerts: Option<AlertEngine>,
    alerts_total: Option<AlertCounter>,
    /// `files` is filled only while writing; the live entries are in
    /// `followers`.
    state: State,
    /// No checkpoint existed: files present now start at their end.
    first_start: bool,
    /// Checkpoint entries not matched to a file yet (startup only).
    loaded: HashMap<FileKey, FileEntry>,
    followers: HashMap<u64, Followed>,
    by_key: HashMap<FileKey, u64>,
    wake_map: WakeMap,
    rescan_request: Arc<RescanRequest>,
    watch: Watch,
    tx: Sender<SourceMsg>,
    next_id: u64,
    poll: Duration,
    stdin_id: Option<u64>,
    stdin_done: bool,
    /// Compressed files found by the patterns: not followed.
    ignored: HashSet<FileKey>,
    /// Event keys of every path the inputs have named.
    matched_names: HashSet<PathBuf>,
    /// Paths of followed files found gone (see [`Tailer::check_vanished`]).
    vanished: HashSet<PathBuf>,
    interval: Tally,
    interval_lines: u64,
    interval_bytes: u64,
    interval_start: Timestamp,
    previous: HashMap<CodeKey, u64>,
    dirty: bool,
    last_persist: Instant,
    last_prune: Instant,
    warned: HashMap<String, Instant>,
    stopping: bool,
    output_closed: bool,
}

impl Tailer {
    fn start(
        settings: Settings,
        engine: Arc<Engine>,
        live: LiveObservers,
    ) -> Result<(Tailer, Receiver<SourceMsg>)> {
        let (state, first_start) = match &settings.state_dir {
            Some(dir) => match checkpoint::load(dir)? {
                Some(state) => (state, false),
                None => (State::new(), true),
            },
            None => (State::new(), true),
        };
        let mut state = state;
        let loaded = std::mem::take(&mut state.files)
            .into_iter()
            .map(|e| (e.key, e))
            .collect();
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let wake_map: WakeMap = Arc::new(Mutex::new(HashMap::new()));
        let rescan_request = Arc::new(RescanRequest::default());
        let watch = Watch::new(&settings.patterns, wake_map.clone(), rescan_request.clone());
        let poll = if watch.available() {
            SAFETY_POLL
        } else {
            FALLBACK_POLL
        };
        let mut tailer = Tailer {
            settings,
            engine,
            observers: live.others,
            alerts: live.alerts,
            alerts_total: live.alerts_total,
            state,
            first_start,
            loaded,
            followers: HashMap::new(),
            by_key: HashMap::new(),
            wake_map,
            rescan_request,
            watch,
            tx,
            next_id: 1,
            poll,
            stdin_id: None,
            stdin_done: false,
            ignored: HashSet::new(),
            matched_names: HashSet::new(),
            vanished: HashSet::new(),
            interval: Tally::default(),
            interval_lines: 0,
            interval_bytes: 0,
            interval_start: Timestamp::now(),
            previous: HashMap::new(),
            dirty: true,
            last_persist: Instant::now(),
            last_prune: Instant::now(),
            warned: HashMap::new(),
            stopping: false,
            output_closed: false,
        };
        tailer.rescan(true);
        for pattern in &tailer.settings.patterns {
            if discover::list(std::slice::from_ref(pattern)).is_empty() {
                eprintln!("errscope: tail: {pattern}: nothing there yet; waiting for files");
            }
        }
        if tailer.settings.stdin {
            let id = tailer.new_id();
            spawn_stdin(id, tailer.engine.clone(), tailer.tx.clone())
                .context("starting the stdin reader")?;
            tailer.stdin_id = Some(id);
        }
        // The start offsets are a checkpoint too: a crash before the first
        // periodic write must not restart "from the end" again.
        tailer.persist()?;
        Ok((tailer, rx))
    }

    fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    async fn run(
        mut self,
        mut rx: Receiver<SourceMsg>,
        shutdown: CancellationToken,
    ) -> Result<Exit> {
        let mut sigterm = signal(SignalKind::terminate()).context("SIGTERM handler")?;
        let mut sigint = signal(SignalKind::interrupt()).context("SIGINT handler")?;
        let mut sighup = signal(SignalKind::hangup()).context("SIGHUP handler")?;
        let start = tokio::time::Instant::now();
        let mut tick =
            tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
        tick.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let every = self.settings.interval;
        let mut summary = tokio::time::interval_at(start + every, every);
        summary.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let rescan_every = if self.watch.available() {
            self.settings.rescan
        } else {
            self.settings.rescan.min(Duration::from_secs(1))
        };
        let mut relist = tokio::time::interval_at(start + rescan_every, rescan_every);
        relist.set_missed_tick_behavior(MissedTickBehavior::Delay);
        let rescan_request = self.rescan_request.clone();
        loop {
            tokio::select! {
                msg = rx.recv() => {
                    let Some(msg) = msg else { break };
                    self.apply(msg);
                    // Take what else is queued before the next wait.
                    while let Ok(msg) = rx.try_recv() {
                        self.apply(msg);
                    }
                }
                _ = tick.tick() => {
                    self.tick(false);
                    if self.dirty && self.last_persist.elapsed() >= PERSIST_EVERY {
                        if let Err(e) = self.persist() {
                            self.warn("checkpoint", &format!("{e:#}"));
                        }
                    }
                }
                _ = summary.tick() => self.summary(false),
                _ = relist.tick() => {
                    self.watch.retry();
                    self.rescan(false);
                }
                _ = rescan_request.notify.notified() => self.rescan(false),
                _ = sigterm.recv() => break,
                _ = sigint.recv() => break,
                _ = sighup.recv() => self.reload(),
                _ = shutdown.cancelled() => break,
            }
            let stdin_only = self.settings.patterns.is_empty();
            if (stdin_only && self.stdin_done) || self.output_closed {
                break;
            }
        }
        self.shutdown(rx).await
    }

    /// Stop the followers, take what they still send, then the final
    /// observer tick, summary, reports and checkpoint.
    async fn shutdown(mut self, mut rx: Receiver<SourceMsg>) -> Result<Exit> {
        self.stopping = true;
        for followed in self.followers.values() {
            followed.ctl.stop();
        }
        let deadline = tokio::time::Instant::now() + SHUTDOWN_DRAIN;
        while self.followers.values().any(|f| !f.exited) {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(msg)) => self.apply(msg),
                Ok(None) | Err(_) => break,
            }
        }
        while let Ok(msg) = rx.try_recv() {
            self.apply(msg);
        }
        self.tick(true);
        self.summary(true);
        self.persist()?;
        Ok(Exit::Success)
    }

    fn apply(&mut self, msg: SourceMsg) {
        match msg {
            SourceMsg::Batch(batch) => self.apply_batch(*batch),
            SourceMsg::Reset { id } => {
                if let Some(followed) = self.followers.get_mut(&id) {
                    let fresh = FileEntry {
                        fingerprint: Fingerprint::default(),
                        offset: 0,
                        lines: 0,
                        tally: named_tally(&followed.entry.name),
                        ..followed.entry.clone()
                    };
                    let old = std::mem::replace(&mut followed.entry, fresh);
                    self.retire(old, true);
                    self.dirty = true;
                }
            }
            SourceMsg::Released { id } => {
                if let Some(followed) = self.followers.remove(&id) {
                    self.forget(&followed);
                    self.retire(followed.entry, false);
                    self.dirty = true;
                }
            }
            SourceMsg::Exited { id, error } => {
                if Some(id) == self.stdin_id {
                    self.stdin_done = true;
                    if let Some(error) = error {
                        eprintln!("errscope: tail: {error}");
                    }
                    return;
                }
                let Some(followed) = self.followers.get_mut(&id) else {
                    return;
                };
                followed.exited = true;
                if !self.stopping {
                    // A read error: let it go; the next listing retries and
                    // resumes at its offset.
                    if let Some(followed) = self.followers.remove(&id) {
                        if let Some(error) = error {
                            self.warn(&followed.entry.path.clone(), &error);
                        }
                        self.forget(&followed);
                        self.retire(followed.entry, false);
                        self.dirty = true;
                    }
                }
            }
        }
    }

    fn apply_batch(&mut self, batch: Batch) {
        if Some(batch.id) == self.stdin_id {
            self.state.retired.merge(&batch.delta);
            self.state.retired.lines += batch.volume_lines;
            self.state.retired.bytes += batch.volume_bytes;
        } else if let Some(followed) = self.followers.get_mut(&batch.id) {
            let entry = &mut followed.entry;
            entry.tally.merge(&batch.delta);
            entry.tally.lines = moved(entry.tally.lines, entry.lines, batch.lines);
            entry.tally.bytes = moved(entry.tally.bytes, entry.offset, batch.offset);
            entry.offset = batch.offset;
            entry.lines = batch.lines;
            entry.fingerprint = batch.fingerprint;
        } else {
            return;
        }
        self.interval.merge(&batch.delta);
        self.interval_lines += batch.volume_lines;
        self.interval_bytes += batch.volume_bytes;
        for observer in self.all_observers() {
            for event in &batch.events {
                observer.event(event);
            }
            for (vendor, reason) in &batch.skipped {
                observer.skipped(vendor, *reason);
            }
            if batch.volume_lines > 0 || batch.volume_bytes > 0 {
                observer.volume(batch.volume_lines, batch.volume_bytes);
            }
        }
        self.dirty = true;
    }

    /// Final counts of an identity go to the retired tally; the identity is
    /// remembered with its offset.
    fn retire(&mut self, entry: FileEntry, truncated: bool) {
        self.state.retired.merge(&entry.tally);
        self.state.released.push(ReleasedFile {
            key: entry.key,
            fingerprint: entry.fingerprint,
            path: entry.path,
            name: entry.name,
            offset: entry.offset,
            lines: entry.lines,
            released: Timestamp::now(),
            truncated,
        });
        if self.state.released.len() > MAX_RELEASED {
            let excess = self.state.released.len() - MAX_RELEASED;
            self.state.released.drain(..excess);
        }
    }

    fn forget(&mut self, followed: &Followed) {
        self.by_key.remove(&followed.entry.key);
        if let Ok(mut map) = self.wake_map.lock() {
            if map
                .get(&followed.event_key)
                .is_some_and(|ctl| Arc::ptr_eq(ctl, &followed.ctl))
            {
                map.remove(&followed.event_key);
            }
        }
    }

    /// Lists the inputs: new files are followed, files found under another
    /// name keep their follower, files no longer found are drained.
    fn rescan(&mut self, initial: bool) {
        if self.stopping {
            return;
        }
        let mut present = HashSet::new();
        let renames = self.rescan_request.take_renames();
        for path in discover::list(&self.settings.patterns) {
            if self.matched_names.len() < MAX_MATCHED_NAMES {
                self.matched_names.insert(discover::event_key(&path));
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let key = FileKey::of(&meta);
            if let Some(&id) = self.by_key.get(&key) {
                present.insert(id);
                self.found_again(id, &path);
                continue;
            }
            if self.ignored.contains(&key) {
                continue;
            }
            match self.start_following(&path, None, initial) {
                Ok(Some(id)) => {
                    present.insert(id);
                }
                Ok(None) => {}
                Err(e) => self.warn(&path.display().to_string(), &format!("{e:#}")),
            }
        }
        // A file created under a followed name and renamed away before any
        // listing saw it (fast rotation): read it from its new name, to its
        // end. Not in `present`, so it is drained and let go.
        for (from, to) in renames {
            if !self.matched_names.contains(&from) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&to) else {
                continue;
            };
            let key = FileKey::of(&meta);
            let seen = self.by_key.contains_key(&key)
                || self.ignored.contains(&key)
                || self.state.released.iter().any(|r| r.key == key);
            if !meta.is_file() || seen {
                continue;
            }
            let name = from.display().to_string();
            if let Err(e) = self.start_following(&to, Some(name), false) {
                self.warn(&to.display().to_string(), &format!("{e:#}"));
            }
        }
        for (id, followed) in &mut self.followers {
            if !present.contains(id) && !followed.draining && !followed.exited {
                followed.draining = true;
                followed.ctl.set_draining(true);
                if self.vanished.len() < MAX_RELEASED {
                    self.vanished.insert(PathBuf::from(&followed.entry.path));
                }
            }
        }
        self.check_vanished();
        if initial {
            // Checkpointed files not found: their counts are final.
            let unmatched: Vec<FileEntry> = self.loaded.drain().map(|(_, e)| e).collect();
            for entry in unmatched {
                self.retire(entry, false);
            }
        }
        let watched = self.watched();
        for observer in self.all_observers() {
            observer.files_watched(watched);
        }
    }

    /// Names of followed files no longer found there: one that comes back
    /// as a directory is said once (otherwise the file would just quietly
    /// stop being followed, and the directory's files start being).
    fn check_vanished(&mut self) {
        let mut directories = Vec::new();
        self.vanished.retain(|path| match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                directories.push(path.display().to_string());
                false
            }
            Ok(_) => false,
            Err(_) => true,
        });
        for path in directories {
            self.warn(
                &path,
                "the followed file was replaced by a directory; what was read of the file stays counted, and files in the directory are followed like those of a directory input",
            );
        }
    }

    /// Every observer: the exporter, the embedder's, then the alert engine.
    fn all_observers(&mut self) -> impl Iterator<Item = &mut (dyn Observer + 'static)> {
        self.observers.iter_mut().map(|o| o.as_mut()).chain(
            self.alerts
                .iter_mut()
                .map(|a| a as &mut (dyn Observer + 'static)),
        )
    }

    /// SIGHUP: re-reads the config file and applies what can change while
    /// running: the alert rules and sinks, and the report directory and
    /// redaction (unless set on the command line). A config that does not
    /// load or validate is reported and the previous one kept.
    fn reload(&mut self) {
        let Some(path) = self.settings.config_path.clone() else {
            eprintln!("errscope: tail: SIGHUP: no --config to reload; nothing changed");
            return;
        };
        let shown = path.display().to_string();
        let loaded = Config::load(Some(&path))
            .map_err(|e| anyhow!(e))
            .and_then(|config| Ok((crate::alert::alert_parts(&config)?, config)));
        let (parts, config) = match loaded {
            Ok(loaded) => loaded,
            Err(e) => {
                let message = format!("{e:#}");
                let message = message
                    .strip_prefix(&format!("{shown}: "))
                    .unwrap_or(&message);
                eprintln!(
                    "errscope: {shown}: {}; keeping the previous configuration",
                    message.trim_end()
                );
                return;
            }
        };
        let retired: Option<Box<dyn FnOnce() + Send>> = match (self.alerts.as_mut(), parts) {
            (Some(engine), Some((rules, dispatcher))) => {
                let mut old = engine.reconfigure(rules, Box::new(dispatcher));
                Some(Box::new(move || old.finish()))
            }
            (None, Some((rules, dispatcher))) => {
                self.alerts = Some(AlertEngine::new(
                    rules,
                    Box::new(dispatcher),
                    self.alerts_total.clone(),
                ));
                None
            }
            (Some(_), None) => self
                .alerts
                .take()
                .map(|engine| Box::new(move || drop(engine)) as Box<dyn FnOnce() + Send>),
            (None, None) => None,
        };
        if let Some(retired) = retired {
            // The previous sinks deliver what they have queued (a dead
            // webhook may take its retries): not on the counting task.
            let spawned = std::thread::Builder::new()
                .name("errscope-retired-sinks".into())
                .spawn(retired);
            if let Err(e) = spawned {
                self.warn(
                    "alert sinks",
                    &format!("cannot retire the previous sinks: {e}"),
                );
            }
        }
        if self.settings.cli_report_dir.is_none() {
            self.settings.report_dir = config.file.report.dir.clone();
        }
        self.settings.redact =
            !self.settings.cli_no_redact && config.file.report.redact != Some(false);
        let rules = self.alerts.as_ref().map_or(0, AlertEngine::rule_count);
        eprintln!(
            "errscope: reloaded {shown} ({rules} alert rule(s); inputs, [tail], [metrics], [[vendor]] and max_line_bytes take effect on restart)"
        );
    }

    fn watched(&self) -> usize {
        self.followers.values().filter(|f| !f.draining).count()
    }

    /// A followed file seen at `path`: maybe renamed, maybe back from
    /// draining.
    fn found_again(&mut self, id: u64, path: &Path) {
        let Some(followed) = self.followers.get_mut(&id) else {
            return;
        };
        if followed.draining && !followed.exited {
            followed.draining = false;
            followed.ctl.set_draining(false);
        }
        let shown = path.display().to_string();
        if followed.entry.path != shown {
            followed.entry.path = shown;
            let key = discover::event_key(path);
            if let Ok(mut map) = self.wake_map.lock() {
                if map
                    .get(&followed.event_key)
                    .is_some_and(|ctl| Arc::ptr_eq(ctl, &followed.ctl))
                {
                    map.remove(&followed.event_key);
                }
                map.insert(key.clone(), followed.ctl.clone());
            }
            followed.event_key = key;
        }
    }

    /// Opens a file not followed yet and decides where to start: where a
    /// checkpoint (or an identity let go) left it, at its end (a copy of
    /// a followed file, or any file present at the first start), or at 0.
    fn start_following(
        &mut self,
        path: &Path,
        name: Option<String>,
        initial: bool,
    ) -> Result<Option<u64>> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let key = FileKey::of(&meta);
        if self.by_key.contains_key(&key) || self.ignored.contains(&key) {
            return Ok(None);
        }
        if is_gzip(&file)? {
            eprintln!(
                "errscope: tail: {}: compressed; not followed (use `errscope scan` for it)",
                path.display()
            );
            self.ignored.insert(key);
            return Ok(None);
        }
        let size = meta.len();
        let shown = path.display().to_string();
        let resumable = |fingerprint: &Fingerprint, offset: u64, file: &File| -> io::Result<bool> {
            Ok(offset <= size && matches!(fingerprint.check(file)?, Check::Same(_)))
        };
        let mut entry = None;
        if let Some(mut loaded) = self.loaded.remove(&key) {
            if resumable(&loaded.fingerprint, loaded.offset, &file)? {
                loaded.path = shown.clone();
                entry = Some(loaded);
            } else {
                self.retire(loaded, false);
            }
        }
        if entry.is_none() {
            if let Some(i) = self.state.released.iter().rposition(|r| r.key == key) {
                let released = self.state.released.remove(i);
                if resumable(&released.fingerprint, released.offset, &file)? {
                    entry = Some(FileEntry {
                        key,
                        fingerprint: released.fingerprint,
                        path: shown.clone(),
                        tally: named_tally(&released.name),
                        name: released.name,
                        offset: released.offset,
                        lines: released.lines,
                    });
                }
            }
        }
        let entry = match entry {
            Some(entry) => entry,
            None => {
                // A new inode under a rotation-style name of a followed file
                // (`app.log.2`, `app.log-20261125`) is a copytruncate copy of
                // counted bytes (a renamed file keeps its inode). Except at
                // the very first start, where nothing was counted yet.
                if name.is_none()
                    && !(initial && self.first_start)
                    && self.rotation_name_of_followed(path)
                {
                    eprintln!(
                        "errscope: tail: {shown}: a rotation copy of a followed file; not counted again"
                    );
                    self.ignored.insert(key);
                    return Ok(None);
                }
                let fingerprint = Fingerprint::read(&file)?;
                let copy = fingerprint.is_full()
                    && (self
                        .followers
                        .values()
                        .any(|f| f.entry.fingerprint == fingerprint)
                        || self
                            .state
                            .released
                            .iter()
                            .any(|r| r.truncated && r.fingerprint == fingerprint));
                let at_end = copy || (initial && self.first_start && !self.settings.from_beginning);
                let offset = if at_end {
                    end_of_last_line(&mut file)?
                } else {
                    0
                };
                let name = name.unwrap_or_else(|| shown.clone());
                FileEntry {
                    key,
                    fingerprint,
                    path: shown.clone(),
                    tally: named_tally(&name),
                    name,
                    offset,
                    lines: 0,
                }
            }
        };
        let id = self.new_id();
        let ctl = spawn_file(
            FollowSpec {
                id,
                file,
                path: path.to_path_buf(),
                shown: shown.clone(),
                name: entry.name.clone(),
                offset: entry.offset,
                lines: entry.lines,
                fingerprint: entry.fingerprint,
                poll: self.poll,
            },
            self.engine.clone(),
            self.tx.clone(),
        )
        .with_context(|| format!("{shown}: starting its follower"))?;
        let event_key = discover::event_key(path);
        if let Ok(mut map) = self.wake_map.lock() {
            map.insert(event_key.clone(), ctl.clone());
        }
        self.by_key.insert(key, id);
        self.followers.insert(
            id,
            Followed {
                ctl,
                entry,
                event_key,
                draining: false,
                exited: false,
            },
        );
        self.dirty = true;
        Ok(Some(id))
    }

    /// Whether `path` is named like a rotation of a followed file in the
    /// same directory (see [`is_rotation_suffix`]).
    fn rotation_name_of_followed(&self, path: &Path) -> bool {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
        else {
            return false;
        };
        self.followers.values().any(|f| {
            let followed = Path::new(&f.entry.path);
            let Some(base) = followed.file_name().and_then(|n| n.to_str()) else {
                return false;
            };
            followed.parent() == Some(dir) && is_rotation_suffix(base, name)
        })
    }

    /// Everything counted.
    fn total(&self) -> Tally {
        let mut total = self.state.retired.clone();
        for followed in self.followers.values() {
            total.merge(&followed.entry.tally);
        }
        total
    }

    fn tick(&mut self, final_tick: bool) {
        let now = Timestamp::now();
        let watched = self.watched();
        for observer in self.all_observers() {
            observer.files_watched(watched);
            observer.tick(now, final_tick);
        }
        if self.last_prune.elapsed() >= Duration::from_secs(3600) {
            self.last_prune = Instant::now();
            self.prune();
        }
    }

    /// The first hour still held whole: the start of the UTC day the
    /// retention reaches back to from the newest hour seen.
    fn retention_cutoff(&self) -> Option<i64> {
        std::iter::once(&self.state.retired)
            .chain(self.followers.values().map(|f| &f.entry.tally))
            .flat_map(|t| t.groups.keys().filter_map(|k| k.hour))
            .max()
            .map(|newest| day_start(newest - RETENTION_HOURS))
    }

    /// Drops counts of event hours older than the retention before the
    /// newest hour seen, and identities let go long ago.
    fn prune(&mut self) {
        if let Some(cutoff) = self.retention_cutoff() {
            let keep = |t: &mut Tally| t.groups.retain(|k, _| k.hour.is_none_or(|h| h >= cutoff));
            keep(&mut self.state.retired);
            for followed in self.followers.values_mut() {
                keep(&mut followed.entry.tally);
            }
        }
        let now_hour = hour_of(Timestamp::now());
        self.state
            .released
            .retain(|r| hour_of(r.released) >= now_hour - RETENTION_HOURS);
        self.dirty = true;
    }

    fn summary(&mut self, final_summary: bool) {
        let now = Timestamp::now();
        let total = self.total();
        let summary = Summary {
            start: self.interval_start,
            end: now,
            final_summary,
            interval: &self.interval,
            previous: &self.previous,
            total: &total,
            lines: self.interval_lines,
            bytes: self.interval_bytes,
            files: self.watched(),
        };
        if !self.output_closed {
            let mut out = io::stdout().lock();
            let written = write_summary(
                &mut out,
                self.settings.format,
                &summary,
                &self.engine.vendors,
            )
            .and_then(|()| out.flush());
            match written {
                Ok(()) => {}
                Err(e) if e.kind() == io::ErrorKind::BrokenPipe => self.output_closed = true,
                Err(e) => self.warn("stdout", &e.to_string()),
            }
        }
        self.write_reports(&total);
        self.previous = counts_by_code(&self.interval);
        self.interval = Tally::default();
        self.interval_lines = 0;
        self.interval_bytes = 0;
        self.interval_start = now;
    }

    /// Daily CSV reports from the same counts.
    fn write_reports(&mut self, total: &Tally) {
        let Some(dir) = self.settings.report_dir.clone() else {
            return;
        };
        // Days before the retention are no longer held whole: a late line
        // for one must not replace its complete report with itself alone.
        let mut reported = total.clone();
        if let Some(cutoff) = self.retention_cutoff() {
            reported
                .groups
                .retain(|k, _| k.hour.is_none_or(|h| h >= cutoff));
        }
        let result = crate::output::report::write_daily(
            &dir,
            &reported,
            &self.engine.vendors,
            self.settings.redact,
            &crate::aggregate::Zone::utc(),
        );
        if let Err(e) = result {
            self.warn(&dir.display().to_string(), &format!("{e:#}"));
        }
    }

    fn persist(&mut self) -> Result<()> {
        let Some(dir) = self.settings.state_dir.clone() else {
            self.dirty = false;
            return Ok(());
        };
        self.state.files = self.followers.values().map(|f| f.entry.clone()).collect();
        self.state.files.extend(self.loaded.values().cloned());
        self.state.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.state.written = Timestamp::now();
        let result = checkpoint::save(&dir, &self.state);
        self.state.files.clear();
        self.last_persist = Instant::now();
        result?;
        self.dirty = false;
        Ok(())
    }

    /// One warning per subject and message kind per [`WARN_EVERY`].
    fn warn(&mut self, subject: &str, message: &str) {
        let now = Instant::now();
        let key = subject.to_owned();
        if self
            .warned
            .get(&key)
            .is_some_and(|at| now.duration_since(*at) < WARN_EVERY)
        {
            return;
        }
        self.warned.insert(key, now);
        if message.starts_with(subject) {
            eprintln!("errscope: warning: {message}");
        } else {
            eprintln!("errscope: warning: {subject}: {message}");
        }
    }
}

/// The first hour of the UTC day holding `hour` (hours since the epoch):
/// retention drops whole days, so no day's report is left half.
fn day_start(hour: i64) -> i64 {
    hour - hour.rem_euclid(24)
}

/// Whether `name` is `base` plus a rotation suffix: `.`, `-` or `_`, then
/// digits (and `.`, `-`, `_`): `app.log.1`, `app.log-20261125`,
/// `app.log.2026-11-25`; not `app.log-errors.log`.
fn is_rotation_suffix(base: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(base) else {
        return false;
    };
    let mut bytes = rest.bytes();
    matches!(bytes.next(), Some(b'.' | b'-' | b'_'))
        && rest.bytes().any(|b| b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

/// A tally whose file table names `name` (index 0).
fn named_tally(name: &str) -> Tally {
    let mut tally = Tally::default();
    tally.file_index(name);
    tally
}

/// `value` moved by `to - from` (which may be negative: a record re-read).
fn moved(value: u64, from: u64, to: u64) -> u64 {
    (i128::from(value) + i128::from(to) - i128::from(from)).max(0) as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_suffixes() {
        for name in [
            "app.log.1",
            "app.log-20261125",
            "app.log.2026-11-25",
            "app.log_3",
        ] {
            assert!(is_rotation_suffix("app.log", name), "{name}");
        }
        for name in [
            "app.log",
            "app.log.",
            "app.log-errors.log",
            "app.logx.1",
            "app.log.gz",
        ] {
            assert!(!is_rotation_suffix("app.log", name), "{name}");
        }
    }

    #[test]
    fn moved_handles_rewinds() {
        assert_eq!(moved(10, 5, 8), 13);
        assert_eq!(moved(10, 8, 5), 7);
        assert_eq!(moved(1, 8, 0), 0);
    }
}
