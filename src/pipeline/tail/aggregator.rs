//! The aggregator: the one task that owns every count. It applies what
//! the followers send, calls the observers, prints the summaries, writes
//! the reports and the checkpoint, and shuts down in order.

use std::collections::{HashMap, HashSet};
use std::io::{self, Write};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use jiff::Timestamp;
use tokio::signal::unix::{signal, SignalKind};
use tokio::sync::mpsc::{self, Receiver, Sender};
use tokio::time::MissedTickBehavior;
use tokio_util::sync::CancellationToken;

use super::beside::{BesideWatch, Look, LOOK_EVERY};
use super::checkpoint::{self, CheckpointError, FileEntry, ReleasedFile, State};
use super::follow::{spawn_stdin, Batch, FollowerCtl, SourceMsg};
use super::{LiveObservers, TailError, TailSettings};
use crate::aggregate::event::Observer;
use crate::aggregate::{hour_of, Tally};
use crate::alert::{AlertCounter, AlertEngine};
use crate::extract::scanner::Engine;
use crate::input::tail::discover::{self, RescanRequest, WakeMap, Watch};
use crate::input::tail::{FileKey, Fingerprint};
use crate::output::summary::{counts_by_code, write_interval_summary, CodeKey, Summary};

/// A followed file is looked at this often even without an event.
pub(super) const SAFETY_POLL: Duration = Duration::from_secs(2);
/// Without file-system events, files are polled this often.
pub(super) const FALLBACK_POLL: Duration = Duration::from_millis(250);
/// Checkpoints are written at most this often (and at shutdown).
pub(super) const PERSIST_EVERY: Duration = Duration::from_secs(1);
/// Messages in flight from the sources to the aggregator.
pub(super) const CHANNEL_CAPACITY: usize = 64;
/// Time followers get at shutdown to send what they have read.
pub(super) const SHUTDOWN_DRAIN: Duration = Duration::from_millis(600);
/// Counts for event hours older than this (before the newest hour seen)
/// are dropped, so a months-long run stays bounded.
pub(super) const RETENTION_HOURS: i64 = 8 * 24;
/// Identities let go that are remembered (to continue a file found again).
pub(super) const MAX_RELEASED: usize = 1024;
/// Names remembered for rename tracking, at most.
pub(super) const MAX_MATCHED_NAMES: usize = 100_000;
/// The same warning about the same thing is repeated at most this often.
pub(super) const WARN_EVERY: Duration = Duration::from_secs(300);

/// A file being followed.
pub(super) struct Followed {
    pub(super) ctl: Arc<FollowerCtl>,
    pub(super) entry: FileEntry,
    /// Where file-system events name it.
    pub(super) event_key: PathBuf,
    pub(super) draining: bool,
    pub(super) exited: bool,
}

/// The aggregator: owns every count, the checkpoint state and the
/// followers; everything else only sends it messages.
pub(super) struct Aggregator {
    pub(super) settings: TailSettings,
    pub(super) engine: Arc<Engine>,
    pub(super) observers: Vec<Box<dyn Observer>>,
    /// The alert engine, rebuilt on SIGHUP.
    pub(super) alerts: Option<AlertEngine>,
    pub(super) alerts_total: Option<AlertCounter>,
    /// `files` is filled only while writing; the live entries are in
    /// `followers`.
    pub(super) state: State,
    /// No checkpoint existed: files present now start at their end.
    pub(super) first_start: bool,
    /// Checkpoint entries not matched to a file yet (startup only).
    pub(super) loaded: HashMap<FileKey, FileEntry>,
    pub(super) followers: HashMap<u64, Followed>,
    pub(super) by_key: HashMap<FileKey, u64>,
    pub(super) wake_map: WakeMap,
    pub(super) rescan_request: Arc<RescanRequest>,
    pub(super) watch: Watch,
    pub(super) tx: Sender<SourceMsg>,
    pub(super) next_id: u64,
    pub(super) poll: Duration,
    pub(super) stdin_id: Option<u64>,
    pub(super) stdin_done: bool,
    /// Compressed files found by the patterns: not followed.
    pub(super) ignored: HashSet<FileKey>,
    /// Event keys of every path the inputs have named.
    pub(super) matched_names: HashSet<PathBuf>,
    /// Paths of followed files found gone (see [`Aggregator::check_vanished`]).
    pub(super) vanished: HashSet<PathBuf>,
    pub(super) interval: Tally,
    pub(super) interval_lines: u64,
    pub(super) interval_bytes: u64,
    pub(super) interval_start: Timestamp,
    pub(super) previous: HashMap<CodeKey, u64>,
    pub(super) dirty: bool,
    pub(super) last_persist: Instant,
    pub(super) last_prune: Instant,
    pub(super) warned: HashMap<String, Instant>,
    pub(super) stopping: bool,
    pub(super) output_closed: bool,
    /// `[tail] rotated_dirs`, absolute.
    pub(super) rotated_dirs: Arc<Vec<PathBuf>>,
    /// When the checkpoint this run started from was written.
    pub(super) checkpoint_written: Option<Timestamp>,
    /// The first listing is under way.
    pub(super) starting: bool,
    /// The files beside the followed ones ([`super::beside`]).
    pub(super) beside: BesideWatch,
    /// When the inputs were last listed.
    pub(super) last_listing: SystemTime,
}

impl Aggregator {
    pub(super) fn start(
        settings: TailSettings,
        engine: Arc<Engine>,
        live: LiveObservers,
    ) -> Result<(Aggregator, Receiver<SourceMsg>), TailError> {
        let (state, first_start) = match &settings.state_dir {
            Some(dir) => match checkpoint::load(dir)? {
                Some(state) => (state, false),
                None => (State::new(), true),
            },
            None => (State::new(), true),
        };
        let mut state = state;
        let checkpoint_written = (!first_start).then_some(state.written);
        let beside = BesideWatch::from_checkpoint(state.beside.take());
        let rotated_dirs = Arc::new(
            settings
                .rotated_dirs
                .iter()
                .map(|d| std::fs::canonicalize(d).unwrap_or_else(|_| d.clone()))
                .collect(),
        );
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
        let mut aggregator = Aggregator {
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
            rotated_dirs,
            checkpoint_written,
            starting: true,
            beside,
            last_listing: SystemTime::now(),
        };
        aggregator.rescan(true);
        for pattern in &aggregator.settings.patterns {
            if discover::list(std::slice::from_ref(pattern)).is_empty() {
                tracing::warn!("tail: {pattern}: nothing there yet; waiting for files");
            }
        }
        if aggregator.settings.stdin {
            let id = aggregator.new_id();
            let zone = aggregator.settings.zone.clone();
            spawn_stdin(id, aggregator.engine.clone(), zone, aggregator.tx.clone()).map_err(
                |source| TailError::Io {
                    what: "starting the stdin reader",
                    source,
                },
            )?;
            aggregator.stdin_id = Some(id);
        }
        // The start offsets are a checkpoint too: a crash before the first
        // periodic write must not restart "from the end" again.
        aggregator.persist()?;
        Ok((aggregator, rx))
    }

    pub(super) fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    pub(super) async fn run(
        mut self,
        mut rx: Receiver<SourceMsg>,
        shutdown: CancellationToken,
    ) -> Result<(), TailError> {
        let handler = |kind: SignalKind, what: &'static str| {
            signal(kind).map_err(|source| TailError::Io { what, source })
        };
        let mut sigterm = handler(SignalKind::terminate(), "SIGTERM handler")?;
        let mut sigint = handler(SignalKind::interrupt(), "SIGINT handler")?;
        let mut sighup = handler(SignalKind::hangup(), "SIGHUP handler")?;
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
        let mut beside = tokio::time::interval_at(start + LOOK_EVERY, LOOK_EVERY);
        beside.set_missed_tick_behavior(MissedTickBehavior::Delay);
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
                            self.warn("checkpoint", &e.to_string());
                        }
                    }
                }
                _ = summary.tick() => self.summary(false),
                _ = relist.tick() => {
                    self.watch.retry();
                    self.rescan(false);
                }
                _ = rescan_request.notify.notified() => self.rescan(false),
                _ = beside.tick() => self.look_beside(Look::Judge),
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
    async fn shutdown(mut self, mut rx: Receiver<SourceMsg>) -> Result<(), TailError> {
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
        Ok(())
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
                        gzip: false,
                        ..followed.entry.clone()
                    };
                    let old = std::mem::replace(&mut followed.entry, fresh);
                    self.retire(old, true);
                    self.checkpoint_now();
                }
            }
            SourceMsg::Released { id } => {
                if let Some(followed) = self.followers.remove(&id) {
                    self.forget(&followed);
                    self.retire(followed.entry, false);
                    self.checkpoint_now();
                }
            }
            SourceMsg::Exited { id, error } => {
                if Some(id) == self.stdin_id {
                    self.stdin_done = true;
                    if let Some(error) = error {
                        tracing::error!("tail: {error}");
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

    /// A rotation's bookkeeping (the retired counts, the identity let go
    /// and its offset) is written at once: a crash right after must not
    /// take the checkpoint back to before the rotation.
    fn checkpoint_now(&mut self) {
        self.dirty = true;
        if self.stopping {
            return;
        }
        if let Err(e) = self.persist() {
            self.warn("checkpoint", &e.to_string());
        }
    }

    /// Final counts of an identity go to the retired tally; the identity is
    /// remembered with its offset.
    pub(super) fn retire(&mut self, entry: FileEntry, truncated: bool) {
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

    pub(super) fn forget(&mut self, followed: &Followed) {
        self.by_key.remove(&followed.entry.key);
        if let Ok(mut map) = self.wake_map.lock() {
            if map
                .get(&followed.event_key)
                .is_some_and(|waker| followed.ctl.is(waker))
            {
                map.remove(&followed.event_key);
            }
        }
    }

    /// Every observer: the exporter, the embedder's, then the alert engine.
    pub(super) fn all_observers(&mut self) -> impl Iterator<Item = &mut (dyn Observer + 'static)> {
        self.observers.iter_mut().map(|o| o.as_mut()).chain(
            self.alerts
                .iter_mut()
                .map(|a| a as &mut (dyn Observer + 'static)),
        )
    }

    pub(super) fn watched(&self) -> usize {
        self.followers.values().filter(|f| !f.draining).count()
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

    /// The first hour still held whole: the start of the local day the
    /// retention reaches back to from the newest hour seen. Retention drops
    /// whole days, so no day's report is left half.
    fn retention_cutoff(&self) -> Option<i64> {
        std::iter::once(&self.state.retired)
            .chain(self.followers.values().map(|f| &f.entry.tally))
            .flat_map(|t| t.groups.keys().filter_map(|k| k.hour))
            .max()
            .map(|newest| self.settings.zone.day_start_hour(newest - RETENTION_HOURS))
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
            by: &self.settings.summary_by,
        };
        if self.settings.summaries && !self.output_closed {
            let mut out = io::stdout().lock();
            let written = write_interval_summary(
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
        self.previous = counts_by_code(&self.interval, &self.settings.summary_by);
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
            &self.settings.zone,
        );
        if let Err(e) = result {
            self.warn(&dir.display().to_string(), &e.to_string());
        }
    }

    pub(super) fn persist(&mut self) -> Result<(), CheckpointError> {
        let Some(dir) = self.settings.state_dir.clone() else {
            self.dirty = false;
            return Ok(());
        };
        self.state.files = self.followers.values().map(|f| f.entry.clone()).collect();
        self.state.files.extend(self.loaded.values().cloned());
        self.state.files.sort_by(|a, b| a.path.cmp(&b.path));
        self.state.written = Timestamp::now();
        self.state.beside = Some(self.beside.to_checkpoint());
        let result = checkpoint::save(&dir, &self.state);
        self.state.files.clear();
        self.last_persist = Instant::now();
        result?;
        self.dirty = false;
        Ok(())
    }

    /// One warning per subject and message kind per [`WARN_EVERY`].
    pub(super) fn warn(&mut self, subject: &str, message: &str) {
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
            tracing::warn!("{message}");
        } else {
            tracing::warn!("{subject}: {message}");
        }
    }
}

/// A tally whose file table names `name` (index 0).
pub(super) fn named_tally(name: &str) -> Tally {
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
    use crate::output::Format;
    use crate::vendors::VendorSet;
    use std::path::Path;

    const ERROR: &str =
        r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;

    fn settings(dir: &Path, state_dir: Option<PathBuf>) -> TailSettings {
        TailSettings {
            patterns: vec![dir.join("*.log").display().to_string()],
            stdin: false,
            interval: Duration::from_secs(60),
            rescan: Duration::from_secs(5),
            state_dir,
            from_beginning: true,
            summaries: true,
            format: Format::Ndjson,
            report_dir: None,
            redact: true,
            config_path: None,
            cli_report_dir: None,
            cli_no_redact: false,
            zone: crate::aggregate::Zone::utc(),
            summary_by: Vec::new(),
            otlp: None,
            rotated_dirs: Vec::new(),
        }
    }

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::new(VendorSet::builtin().unwrap(), 4096).unwrap())
    }

    fn write_errors(path: &Path, errors: usize) {
        use std::io::Write as _;
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .unwrap();
        for i in 0..errors {
            writeln!(file, "2026-11-20T10:00:0{}Z ERROR {ERROR}", i % 10).unwrap();
            writeln!(file, "2026-11-20T10:00:0{}Z INFO fine", i % 10).unwrap();
        }
    }

    /// Applies what the followers send until `done` holds.
    fn apply_until(
        aggregator: &mut Aggregator,
        rx: &mut Receiver<SourceMsg>,
        done: impl Fn(&Aggregator) -> bool,
    ) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !done(aggregator) {
            assert!(Instant::now() < deadline, "the followers sent too little");
            if let Ok(msg) = rx.try_recv() {
                aggregator.apply(msg);
            } else {
                std::thread::sleep(Duration::from_millis(5));
            }
        }
    }

    /// An aggregator following `dir/*.log` from the beginning, without
    /// checkpoints, once it has counted `errors`.
    fn counted(dir: &Path, errors: u64) -> (Aggregator, Receiver<SourceMsg>) {
        let (mut aggregator, mut rx) =
            Aggregator::start(settings(dir, None), engine(), LiveObservers::default()).unwrap();
        apply_until(&mut aggregator, &mut rx, |a| a.total().errors() == errors);
        (aggregator, rx)
    }

    fn stop(mut aggregator: Aggregator) {
        for followed in aggregator.followers.values() {
            followed.ctl.stop();
        }
        aggregator.followers.clear();
    }

    #[test]
    fn batches_move_the_entry_the_interval_and_the_total() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        write_errors(&log, 3);
        let (aggregator, _rx) = counted(dir.path(), 3);
        let size = std::fs::metadata(&log).unwrap().len();
        let entry = &aggregator.followers.values().next().unwrap().entry;
        assert_eq!((entry.offset, entry.lines), (size, 6));
        assert_eq!((entry.tally.lines, entry.tally.bytes), (6, size));
        assert_eq!(aggregator.interval.errors(), 3);
        assert_eq!(aggregator.interval_lines, 6);
        stop(aggregator);
    }

    #[test]
    fn a_reset_retires_what_was_counted_and_restarts_at_zero() {
        let dir = tempfile::tempdir().unwrap();
        write_errors(&dir.path().join("app.log"), 2);
        let (mut aggregator, _rx) = counted(dir.path(), 2);
        let id = *aggregator.followers.keys().next().unwrap();
        aggregator.apply(SourceMsg::Reset { id });
        let entry = &aggregator.followers[&id].entry;
        assert_eq!((entry.offset, entry.lines, entry.tally.errors()), (0, 0, 0));
        assert_eq!(aggregator.state.retired.errors(), 2);
        assert_eq!(aggregator.total().errors(), 2, "a reset loses nothing");
        let released = aggregator.state.released.last().unwrap();
        assert!(released.truncated);
        stop(aggregator);
    }

    #[test]
    fn a_released_file_keeps_its_counts_and_its_offset() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        write_errors(&log, 2);
        let (mut aggregator, _rx) = counted(dir.path(), 2);
        let id = *aggregator.followers.keys().next().unwrap();
        let key = aggregator.followers[&id].entry.key;
        aggregator.apply(SourceMsg::Released { id });
        assert!(aggregator.followers.is_empty());
        assert!(!aggregator.by_key.contains_key(&key));
        assert_eq!(aggregator.total().errors(), 2);
        let released = aggregator.state.released.last().unwrap();
        assert_eq!(released.key, key);
        assert_eq!(released.offset, std::fs::metadata(&log).unwrap().len());
        assert!(!released.truncated);
    }

    #[test]
    fn a_restart_resumes_every_file_at_its_checkpoint() {
        let dir = tempfile::tempdir().unwrap();
        let state_dir = dir.path().join("state");
        let log = dir.path().join("app.log");
        write_errors(&log, 2);
        let (mut first, mut rx) = Aggregator::start(
            settings(dir.path(), Some(state_dir.clone())),
            engine(),
            LiveObservers::default(),
        )
        .unwrap();
        apply_until(&mut first, &mut rx, |a| a.total().errors() == 2);
        first.persist().unwrap();
        stop(first);
        drop(rx);

        write_errors(&log, 1);
        let (mut second, mut rx) = Aggregator::start(
            settings(dir.path(), Some(state_dir)),
            engine(),
            LiveObservers::default(),
        )
        .unwrap();
        assert!(!second.first_start);
        apply_until(&mut second, &mut rx, |a| a.total().errors() == 3);
        let entry = &second.followers.values().next().unwrap().entry;
        assert_eq!(
            entry.lines, 6,
            "resumed after the 4 lines counted, not from 0"
        );
        assert_eq!(entry.tally.errors(), 3);
        stop(second);
    }

    /// Dated back past the confirmation delay, as a file rotated a while ago.
    fn settled(path: &Path) {
        let file = std::fs::File::options().write(true).open(path).unwrap();
        let then = std::time::SystemTime::now() - Duration::from_secs(5);
        file.set_modified(then).unwrap();
    }

    /// Two looks at the files beside, the confirmation delay apart.
    fn look_twice(aggregator: &mut Aggregator) {
        aggregator.look_beside(Look::Judge);
        std::thread::sleep(super::super::beside::CONFIRM + Duration::from_millis(50));
        aggregator.look_beside(Look::Judge);
    }

    #[test]
    fn files_beside_are_read_by_whose_content_they_hold() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("app.log");
        write_errors(&log, 2);
        // There before counting began: never read.
        let old = dir.path().join("app.log.1");
        std::fs::write(
            &old,
            "2026-11-19T10:00:00Z ERROR old ".to_owned() + ERROR + "\n",
        )
        .unwrap();
        let (mut aggregator, mut rx) = counted(dir.path(), 2);
        let live = std::fs::read(&log).unwrap();

        // A copy of the followed file's content: its follower's business.
        let copy = dir.path().join("app.log.2");
        std::fs::write(&copy, &live).unwrap();
        settled(&copy);
        look_twice(&mut aggregator);
        assert_eq!(
            aggregator.followers.len(),
            1,
            "a copy of followed content is not read"
        );

        // Content nobody read (written, copied and truncated between two
        // looks): read whole.
        let unread = dir.path().join("app.log.3");
        write_errors(&unread, 3);
        std::fs::write(
            &unread,
            "2026-11-20T11:00:00Z first\n".to_owned() + &std::fs::read_to_string(&unread).unwrap(),
        )
        .unwrap();
        settled(&unread);
        aggregator.look_beside(Look::Judge);
        assert_eq!(
            aggregator.followers.len(),
            1,
            "judged only on a second look"
        );
        std::thread::sleep(super::super::beside::CONFIRM + Duration::from_millis(50));
        aggregator.look_beside(Look::Judge);
        apply_until(&mut aggregator, &mut rx, |a| a.total().errors() == 5);

        // The followed file let go at its end; a copy that holds more than
        // was read is read on from that offset, once.
        let id = *aggregator
            .followers
            .iter()
            .find(|(_, f)| f.entry.path == log.display().to_string())
            .unwrap()
            .0;
        std::fs::rename(&log, dir.path().join("app.log.5")).unwrap();
        aggregator.apply(SourceMsg::Released { id });
        let longer = dir.path().join("app.log.4");
        std::fs::write(&longer, &live).unwrap();
        write_errors(&longer, 1);
        settled(&longer);
        look_twice(&mut aggregator);
        apply_until(&mut aggregator, &mut rx, |a| a.total().errors() == 6);
        look_twice(&mut aggregator);
        std::thread::sleep(Duration::from_millis(200));
        while let Ok(msg) = rx.try_recv() {
            aggregator.apply(msg);
        }
        assert_eq!(
            aggregator.total().errors(),
            6,
            "each file beside read once, the old one never"
        );
        let reading: Vec<_> = aggregator
            .followers
            .values()
            .map(|f| f.entry.path.clone())
            .collect();
        assert!(
            !reading
                .iter()
                .any(|p| p.ends_with("app.log.1") || p.ends_with("app.log.2")),
            "{reading:?}"
        );
        stop(aggregator);
    }

    #[test]
    fn pruning_keeps_whole_days_of_the_retention() {
        let dir = tempfile::tempdir().unwrap();
        let (mut aggregator, _rx) = Aggregator::start(
            settings(dir.path(), None),
            engine(),
            LiveObservers::default(),
        )
        .unwrap();
        let newest = hour_of("2026-11-20T10:00:00Z".parse().unwrap());
        for hour in [
            newest,
            newest - RETENTION_HOURS,
            newest - RETENTION_HOURS - 11,
        ] {
            let key = crate::aggregate::Key {
                vendor: "ocrolus".into(),
                code: "1200".into(),
                status: Some(400),
                hour: Some(hour),
                file: 0,
            };
            aggregator
                .state
                .retired
                .groups
                .insert(key, Default::default());
        }
        aggregator.prune();
        let mut kept: Vec<i64> = aggregator
            .state
            .retired
            .groups
            .keys()
            .filter_map(|k| k.hour)
            .collect();
        kept.sort();
        // The day holding `newest - RETENTION_HOURS` is kept whole; the hour
        // 11 before it falls on the day before.
        assert_eq!(kept, vec![newest - RETENTION_HOURS, newest]);
    }

    #[test]
    fn moved_handles_rewinds() {
        assert_eq!(moved(10, 5, 8), 13);
        assert_eq!(moved(10, 8, 5), 7);
        assert_eq!(moved(1, 8, 0), 0);
    }
}
