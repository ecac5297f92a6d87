//! The follower of one file (or stdin): a thread that reads what is there
//! through the shared [`Scanner`], sends what it counted to the aggregator
//! in batches over a bounded channel, and waits to be woken (file-system
//! event) or for a slow safety poll.
//!
//! It watches its own open file for truncation (size below the read
//! position) and for a rewrite from zero (the first bytes no longer match
//! the fingerprint); both end the old content (`finish`) and start again
//! at offset 0. When the aggregator says the file was rotated away or
//! deleted (`draining`), it keeps reading until the file has been quiet for
//! [`ROTATION_GRACE`] (or at once when it is deleted), finishes the last
//! line and closes the file.

use std::fs::File;
#[cfg(test)]
use std::fs::OpenOptions;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use flate2::read::MultiGzDecoder;
use jiff::Timestamp;
use tokio::sync::mpsc::Sender;

use super::rotation::find_copy;
use crate::aggregate::event::ErrorEvent;
use crate::aggregate::{Counter, Filter, Tally, Zone};
use crate::extract::scanner::{Engine, Event, EventSink, Scanner};
use crate::input::open::starts_gzip;
use crate::input::open_stdin;
use crate::input::tail::discover::Wake;
use crate::input::tail::identity::{Fingerprint, Head, FINGERPRINT_BYTES};
use crate::vendors::{SkipReason, VendorSet};

/// How long a rotated-away file is still read after its last growth, for
/// writers that keep their old descriptor for a moment after a rename.
pub const ROTATION_GRACE: Duration = Duration::from_millis(1000);
/// Poll period of a file being drained after rotation.
const DRAIN_POLL: Duration = Duration::from_millis(50);
/// Send a batch before this many events pile up in it.
const MAX_BATCH_EVENTS: usize = 1024;

/// `tail` counts everything.
static NO_FILTER: Filter = Filter {
    vendors: Vec::new(),
    codes: Vec::new(),
    since: None,
    until: None,
};

/// What sources tell the aggregator, in order per source.
#[derive(Debug)]
pub enum SourceMsg {
    Batch(Box<Batch>),
    /// The file's content was replaced (truncated or rewritten from zero):
    /// what was counted so far is final; counting restarts at offset 0.
    Reset {
        id: u64,
    },
    /// The rotated-away or deleted file was read to its end and closed.
    Released {
        id: u64,
    },
    /// The source's thread ended (shutdown, end of stdin, or an error).
    Exited {
        id: u64,
        error: Option<String>,
    },
}

/// Progress of one source since its previous batch.
#[derive(Debug)]
pub struct Batch {
    pub id: u64,
    /// Offset through which everything is counted (a line start).
    pub offset: u64,
    /// Lines counted before `offset` (since the start of the content).
    pub lines: u64,
    pub fingerprint: Fingerprint,
    /// Errors and skipped bodies counted in this batch (`lines`/`bytes`
    /// are left 0: `offset` and `lines` carry them).
    pub delta: Tally,
    pub events: Vec<ErrorEvent>,
    pub skipped: Vec<(String, SkipReason)>,
    /// Lines and bytes read for the first time (a record re-read after
    /// waiting for its end is not counted twice).
    pub volume_lines: u64,
    pub volume_bytes: u64,
}

/// The aggregator's handle on a follower.
#[derive(Debug)]
pub struct FollowerCtl {
    wake: SyncSender<()>,
    draining: AtomicBool,
    stop: AtomicBool,
}

impl Wake for FollowerCtl {
    fn wake(&self) {
        let _ = self.wake.try_send(());
    }
}

impl FollowerCtl {
    /// Whether `waker`, registered for a path, is this follower.
    pub fn is(self: &Arc<Self>, waker: &Arc<dyn Wake>) -> bool {
        std::ptr::addr_eq(Arc::as_ptr(waker), Arc::as_ptr(self))
    }

    /// The file is no longer reachable under a followed name: read it to
    /// its end and let it go. `false` undoes it (found again).
    pub fn set_draining(&self, draining: bool) {
        self.draining.store(draining, Ordering::Release);
        self.wake();
    }

    /// Shutdown: read what is there, send it, end.
    pub fn stop(&self) {
        self.stop.store(true, Ordering::Release);
        self.wake();
    }
}

/// What a file follower starts with.
#[derive(Debug)]
pub struct FollowSpec {
    pub id: u64,
    pub file: File,
    /// Where it was found (its copytruncate copy is looked for beside it).
    pub path: PathBuf,
    /// Name in messages.
    pub shown: String,
    /// Name the counts are kept under.
    pub name: String,
    pub offset: u64,
    pub lines: u64,
    pub fingerprint: Fingerprint,
    /// Safety poll when no event wakes the follower.
    pub poll: Duration,
    /// Where rotated files are moved besides `path`'s directory.
    pub rotated_dirs: Arc<Vec<PathBuf>>,
    /// A compressed rotated file: its decompressed stream is read from
    /// `offset` to its end, and let go.
    pub gzip: bool,
    /// The zone hours are bucketed in.
    pub zone: Zone,
    /// At shutdown, count what is read but unfinished (a last line without
    /// its newline, a CRI partial line without its `F`): no checkpoint
    /// keeps it for a next run.
    pub finish_at_stop: bool,
}

/// Starts the follower thread of one file.
pub fn spawn_file(
    spec: FollowSpec,
    engine: Arc<Engine>,
    tx: Sender<SourceMsg>,
) -> io::Result<Arc<FollowerCtl>> {
    let (wake_tx, wake_rx) = sync_channel(1);
    let ctl = Arc::new(FollowerCtl {
        wake: wake_tx,
        draining: AtomicBool::new(false),
        stop: AtomicBool::new(false),
    });
    let thread_ctl = ctl.clone();
    std::thread::Builder::new()
        .name(format!("tail-{}", spec.id))
        .spawn(move || {
            let id = spec.id;
            let shown = spec.shown.clone();
            let followed = if spec.gzip {
                follow_gzip(spec, &engine, &thread_ctl, &tx)
            } else {
                follow_file(spec, &engine, &thread_ctl, &wake_rx, &tx)
            };
            let error = match followed {
                Ok(()) | Err(Stopped::Closed) => None,
                Err(Stopped::Io(e)) => Some(format!("{shown}: {e}")),
            };
            let _ = tx.blocking_send(SourceMsg::Exited { id, error });
        })?;
    Ok(ctl)
}

/// Starts the reader of standard input; it ends at EOF.
pub fn spawn_stdin(
    id: u64,
    engine: Arc<Engine>,
    zone: Zone,
    tx: Sender<SourceMsg>,
) -> io::Result<()> {
    std::thread::Builder::new()
        .name("tail-stdin".into())
        .spawn(move || {
            let error = match follow_stdin(id, &engine, zone, &tx) {
                Ok(()) | Err(Stopped::Closed) => None,
                Err(Stopped::Io(e)) => Some(format!("-: {e}")),
            };
            let _ = tx.blocking_send(SourceMsg::Exited { id, error });
        })?;
    Ok(())
}

enum Stopped {
    /// The aggregator is gone.
    Closed,
    Io(io::Error),
}

impl From<io::Error> for Stopped {
    fn from(e: io::Error) -> Self {
        Stopped::Io(e)
    }
}

fn follow_stdin(
    id: u64,
    engine: &Engine,
    zone: Zone,
    tx: &Sender<SourceMsg>,
) -> Result<(), Stopped> {
    let mut reader = open_stdin(Arc::new(AtomicU64::new(0)))?;
    let mut feed = Feed::new(id, engine, "-".into(), (0, 0), zone, tx);
    while feed.scanner.read_some(&mut reader, &mut feed.sink)? > 0 {
        feed.flush(Fingerprint::default())?;
    }
    feed.scanner.finish(&mut feed.sink)?;
    feed.flush(Fingerprint::default())
}

fn follow_file(
    spec: FollowSpec,
    engine: &Engine,
    ctl: &FollowerCtl,
    wake: &Receiver<()>,
    tx: &Sender<SourceMsg>,
) -> Result<(), Stopped> {
    let mut file = spec.file;
    file.seek(SeekFrom::Start(spec.offset))?;
    let mut read_pos = spec.offset;
    let mut fingerprint = spec.fingerprint;
    let start = (spec.offset, spec.lines);
    let mut feed = Feed::new(spec.id, engine, spec.name, start, spec.zone, tx);
    let mut last_growth = Instant::now();
    // The content's first bytes as last read (what the fingerprint is of).
    // The content's first bytes as read (up to 1 KiB: what the fingerprint
    // is of, and what a copy of it is recognised by).
    let mut head = {
        let now = Head::read_plain(&file)?.bytes;
        if fingerprint.matches(&now) {
            let read = usize::try_from(read_pos).unwrap_or(usize::MAX);
            now[..read.min(FINGERPRINT_BYTES).min(now.len())].to_vec()
        } else {
            // Replaced since the checkpoint: found different below.
            vec![0; fingerprint.len as usize]
        }
    };
    loop {
        let stop = ctl.stop.load(Ordering::Acquire);
        let draining = ctl.draining.load(Ordering::Acquire);
        // Replaced content is detected before reading, so the new content
        // is not taken for a continuation of the old.
        // The first bytes are compared on every wake (one 1 KiB positioned
        // read): content rewritten to the same length changes no size.
        let meta = file.metadata()?;
        let now = Head::read_plain(&file)?.bytes;
        if head.is_empty() && starts_gzip(&now) {
            // Listed while still empty, then written compressed (gzip
            // creating `app.log.1.gz`): not a log to follow.
            drop(file);
            return send(tx, SourceMsg::Released { id: spec.id });
        }
        // Content written, copied and truncated before any of it was read
        // shows only as a new file beside this one: the aggregator reads
        // it ([`super::beside`]).
        let replaced = meta.len() < read_pos || !now.starts_with(&head);
        if replaced {
            // Truncated (copytruncate) or rewritten: the old content ends.
            // What was not read yet may survive in the rotation's copy.
            let copy = find_copy(&spec.path, &spec.rotated_dirs, &head);
            if let Some((copy, copy_head)) = copy {
                // What is left of the content is the copy: its start is
                // the one to recognise it by.
                fingerprint = copy_head.fingerprint();
                let mut reader = positioned(copy.file, copy_head.gzip, read_pos)?;
                while feed.scanner.read_some(&mut reader, &mut feed.sink)? > 0 {
                    if feed.sink.events.len() >= MAX_BATCH_EVENTS {
                        feed.flush(fingerprint)?;
                    }
                }
            }
            feed.scanner.finish(&mut feed.sink)?;
            feed.flush(fingerprint)?;
            send(tx, SourceMsg::Reset { id: spec.id })?;
            file.seek(SeekFrom::Start(0))?;
            read_pos = 0;
            head.clear();
            fingerprint = Fingerprint::default();
            feed.restart();
            continue;
        }
        let mut reader = SameContent {
            file: &mut file,
            pos: read_pos,
            head: &mut head,
            changed: false,
        };
        loop {
            let n = feed.scanner.read_some(&mut reader, &mut feed.sink)?;
            if n == 0 {
                break;
            }
            read_pos += n as u64;
            last_growth = Instant::now();
            if feed.sink.events.len() >= MAX_BATCH_EVENTS {
                feed.flush(Fingerprint::of(reader.head))?;
            }
        }
        let changed = reader.changed;
        fingerprint = Fingerprint::of(&head);
        if changed {
            // Truncated or rewritten under the read: looked at again.
            continue;
        }
        if stop {
            // A followed file keeps its unfinished line (or CRI partial
            // line) for the next run (the checkpoint stops before it); a
            // rotated one is over, and so is everything without checkpoints.
            if draining || spec.finish_at_stop {
                feed.scanner.finish(&mut feed.sink)?;
            }
            return feed.flush(fingerprint);
        }
        if draining && (meta.nlink() == 0 || last_growth.elapsed() >= ROTATION_GRACE) {
            feed.scanner.finish(&mut feed.sink)?;
            feed.flush(fingerprint)?;
            drop(file);
            return send(tx, SourceMsg::Released { id: spec.id });
        }
        feed.flush(fingerprint)?;
        let timeout = if draining { DRAIN_POLL } else { spec.poll };
        match wake.recv_timeout(timeout) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return Ok(()),
        }
    }
}

/// The followed file read on only while it holds the content read so far:
/// after each read its first bytes must still be those read (with this
/// read's share of the first KiB), or the read is undone and `changed` set.
/// A truncation and rewrite between the look at the file and the read
/// would otherwise pass the new content's bytes off as the old one's.
struct SameContent<'f> {
    file: &'f mut File,
    /// The offset `file` is read at.
    pos: u64,
    /// The content's first bytes as read: `min(pos, 1 KiB)` of them.
    head: &'f mut Vec<u8>,
    changed: bool,
}

impl Read for SameContent<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read(buf)?;
        if n == 0 {
            return Ok(0);
        }
        let at = usize::try_from(self.pos).unwrap_or(usize::MAX);
        let within = &buf[..n.min(FINGERPRINT_BYTES.saturating_sub(at))];
        let now = Head::read_plain(self.file)?.bytes;
        let known = self.head.len();
        let same = now.len() >= known + within.len()
            && now[..known] == self.head[..]
            && now[known..known + within.len()] == *within;
        if !same {
            self.file.seek(SeekFrom::Start(self.pos))?;
            self.changed = true;
            return Ok(0);
        }
        self.head.extend_from_slice(within);
        self.pos += n as u64;
        Ok(n)
    }
}

/// A rotated file that was compressed: its decompressed stream read from
/// `offset` to its end, then let go. Stopped at shutdown where it is (the
/// checkpoint keeps the offset in the decompressed stream).
fn follow_gzip(
    spec: FollowSpec,
    engine: &Engine,
    ctl: &FollowerCtl,
    tx: &Sender<SourceMsg>,
) -> Result<(), Stopped> {
    let fingerprint = spec.fingerprint;
    let start = (spec.offset, spec.lines);
    let mut feed = Feed::new(spec.id, engine, spec.name, start, spec.zone, tx);
    let mut reader = positioned(spec.file, true, spec.offset)?;
    loop {
        if ctl.stop.load(Ordering::Acquire) {
            return feed.flush(fingerprint);
        }
        if feed.scanner.read_some(&mut reader, &mut feed.sink)? == 0 {
            break;
        }
        if feed.sink.events.len() >= MAX_BATCH_EVENTS {
            feed.flush(fingerprint)?;
        }
    }
    feed.scanner.finish(&mut feed.sink)?;
    feed.flush(fingerprint)?;
    send(tx, SourceMsg::Released { id: spec.id })
}

/// A reader of `file`'s content (decompressed when `gzip`) from `offset`
/// on; past its end when the content is shorter.
fn positioned(mut file: File, gzip: bool, offset: u64) -> io::Result<Box<dyn Read + Send>> {
    if !gzip {
        file.seek(SeekFrom::Start(offset))?;
        return Ok(Box::new(file));
    }
    file.seek(SeekFrom::Start(0))?;
    let mut stream = MultiGzDecoder::new(BufReader::new(file));
    io::copy(&mut stream.by_ref().take(offset), &mut io::sink())?;
    Ok(Box::new(stream))
}

fn send(tx: &Sender<SourceMsg>, msg: SourceMsg) -> Result<(), Stopped> {
    tx.blocking_send(msg).map_err(|_| Stopped::Closed)
}

/// A scanner and what it has counted since the last batch.
struct Feed<'e> {
    engine: &'e Engine,
    id: u64,
    scanner: Scanner<'e>,
    sink: BatchSink<'e>,
    tx: &'e Sender<SourceMsg>,
    sent_offset: u64,
    sent_lines: u64,
    sent_fingerprint: Fingerprint,
    /// Furthest lines/offset ever reported, for volume.
    high_lines: u64,
    high_bytes: u64,
}

impl<'e> Feed<'e> {
    fn new(
        id: u64,
        engine: &'e Engine,
        name: String,
        (offset, lines): (u64, u64),
        zone: Zone,
        tx: &'e Sender<SourceMsg>,
    ) -> Feed<'e> {
        Feed {
            engine,
            id,
            scanner: Scanner::starting_at(engine, offset, lines),
            sink: BatchSink::new(&engine.vendors, name, zone),
            tx,
            sent_offset: offset,
            sent_lines: lines,
            sent_fingerprint: Fingerprint::default(),
            high_lines: lines,
            high_bytes: offset,
        }
    }

    /// New content from offset 0.
    fn restart(&mut self) {
        self.scanner = Scanner::new(self.engine);
        self.sent_offset = 0;
        self.sent_lines = 0;
        self.sent_fingerprint = Fingerprint::default();
        self.high_lines = 0;
        self.high_bytes = 0;
    }

    fn flush(&mut self, fingerprint: Fingerprint) -> Result<(), Stopped> {
        let offset = self.scanner.consumed_offset();
        let lines = self.scanner.stats().lines;
        if offset == self.sent_offset
            && lines == self.sent_lines
            && fingerprint == self.sent_fingerprint
            && self.sink.is_empty()
        {
            return Ok(());
        }
        let volume_lines = lines.saturating_sub(self.high_lines);
        let volume_bytes = offset.saturating_sub(self.high_bytes);
        self.high_lines = self.high_lines.max(lines);
        self.high_bytes = self.high_bytes.max(offset);
        self.sent_offset = offset;
        self.sent_lines = lines;
        self.sent_fingerprint = fingerprint;
        let (delta, events, skipped) = self.sink.take();
        send(
            self.tx,
            SourceMsg::Batch(Box::new(Batch {
                id: self.id,
                offset,
                lines,
                fingerprint,
                delta,
                events,
                skipped,
                volume_lines,
                volume_bytes,
            })),
        )
    }
}

/// Counts into a per-batch tally and keeps the live events.
struct BatchSink<'e> {
    counter: Counter<'e>,
    vendors: &'e VendorSet,
    name: String,
    events: Vec<ErrorEvent>,
    skipped: Vec<(String, SkipReason)>,
}

impl<'e> BatchSink<'e> {
    fn new(vendors: &'e VendorSet, name: String, zone: Zone) -> BatchSink<'e> {
        let mut counter = Counter::new(vendors, &NO_FILTER);
        counter.untimed_at_arrival = true;
        counter.zone = zone;
        counter.set_source(&name);
        BatchSink {
            counter,
            vendors,
            name,
            events: Vec::new(),
            skipped: Vec::new(),
        }
    }

    fn is_empty(&self) -> bool {
        self.events.is_empty() && self.skipped.is_empty() && self.counter.tally.groups.is_empty()
    }

    fn take(&mut self) -> (Tally, Vec<ErrorEvent>, Vec<(String, SkipReason)>) {
        let tally = std::mem::take(&mut self.counter.tally);
        self.counter.set_source(&self.name);
        (
            tally,
            std::mem::take(&mut self.events),
            std::mem::take(&mut self.skipped),
        )
    }
}

impl EventSink for BatchSink<'_> {
    fn error(&mut self, event: &Event<'_>) -> io::Result<bool> {
        if self.counter.count(event) {
            let enriched = ErrorEvent::enrich(self.vendors, event, &self.name, Timestamp::now());
            self.events.push(enriched);
        }
        Ok(true)
    }

    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        self.counter.skipped(vendor, reason);
        let vendor = vendor
            .map(|v| self.vendors.get(v).id.clone())
            .unwrap_or_default();
        self.skipped.push((vendor, reason));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::{Read, Write};

    const ERR: &str = "2026-11-20 10:15:02,123 ERROR [ocr] failed: {\"status\":400,\"message\":\"Authentication failed\",\"code\":1200,\"response\":null}\n";

    fn engine() -> Arc<Engine> {
        Arc::new(Engine::new(VendorSet::builtin().unwrap(), 4096).unwrap())
    }

    fn next(rx: &mut tokio::sync::mpsc::Receiver<SourceMsg>) -> SourceMsg {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(msg) = rx.try_recv() {
                return msg;
            }
            assert!(Instant::now() < deadline, "no message from the follower");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Batches until `errors` errors have come; the last batch.
    fn errors(rx: &mut tokio::sync::mpsc::Receiver<SourceMsg>, mut errors: u64) -> Batch {
        loop {
            match next(rx) {
                SourceMsg::Batch(b) => {
                    errors = errors.saturating_sub(b.delta.errors());
                    if errors == 0 {
                        return *b;
                    }
                }
                other => panic!("expected a batch, got {other:?}"),
            }
        }
    }

    fn spec(path: &std::path::Path, poll: Duration) -> FollowSpec {
        FollowSpec {
            id: 7,
            file: File::open(path).unwrap(),
            path: path.to_path_buf(),
            shown: path.display().to_string(),
            name: "app.log".into(),
            offset: 0,
            lines: 0,
            fingerprint: Fingerprint::default(),
            poll,
            rotated_dirs: Arc::new(Vec::new()),
            gzip: false,
            zone: Zone::utc(),
            finish_at_stop: false,
        }
    }

    #[test]
    fn truncation_resets_and_a_deleted_file_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, ERR.repeat(2)).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let ctl = spawn_file(spec(&path, Duration::from_millis(20)), engine(), tx).unwrap();
        let batch = errors(&mut rx, 2);
        assert_eq!((batch.offset, batch.lines), (2 * ERR.len() as u64, 2));
        assert_eq!(batch.delta.files, vec!["app.log"]);
        assert_eq!(batch.events[0].code, "1200");

        // Truncated in place, then shorter content.
        std::fs::write(&path, &ERR[20..]).unwrap();
        assert!(matches!(next(&mut rx), SourceMsg::Reset { id: 7 }));
        let batch = errors(&mut rx, 1);
        assert_eq!(batch.offset, (ERR.len() - 20) as u64);
        assert_eq!(batch.volume_lines, 1);

        // A partial line is held back until its newline.
        let mut file = OpenOptions::new().append(true).open(&path).unwrap();
        file.write_all(&ERR.as_bytes()[..30]).unwrap();
        std::thread::sleep(Duration::from_millis(100));
        while let Ok(msg) = rx.try_recv() {
            let SourceMsg::Batch(b) = msg else {
                panic!("{msg:?}")
            };
            assert_eq!(
                (b.delta.errors(), b.volume_lines),
                (0, 0),
                "nothing before the newline"
            );
        }
        file.write_all(&ERR.as_bytes()[30..]).unwrap();
        errors(&mut rx, 1);

        // Deleted: drained, closed, gone.
        std::fs::remove_file(&path).unwrap();
        ctl.set_draining(true);
        assert!(matches!(next(&mut rx), SourceMsg::Released { id: 7 }));
        assert!(matches!(
            next(&mut rx),
            SourceMsg::Exited { id: 7, error: None }
        ));
    }

    #[test]
    fn stop_keeps_the_partial_line_but_a_rotated_file_finishes_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, format!("{ERR}{}", &ERR[..50])).unwrap();
        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let ctl = spawn_file(spec(&path, Duration::from_secs(60)), engine(), tx).unwrap();
        let batch = errors(&mut rx, 1);
        assert_eq!(batch.offset, ERR.len() as u64);
        ctl.stop();
        assert!(matches!(
            next(&mut rx),
            SourceMsg::Exited { error: None, .. }
        ));

        let (tx, mut rx) = tokio::sync::mpsc::channel(16);
        let ctl = spawn_file(spec(&path, Duration::from_secs(60)), engine(), tx).unwrap();
        errors(&mut rx, 1);
        ctl.set_draining(true);
        ctl.stop();
        let SourceMsg::Batch(last) = next(&mut rx) else {
            panic!("the finished partial line");
        };
        assert_eq!((last.offset, last.lines), ((ERR.len() + 50) as u64, 2));
    }

    #[test]
    fn the_copytruncate_copy_is_found_by_its_first_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("app.log");
        std::fs::write(&path, ERR.repeat(20)).unwrap();
        let start = Head::read_plain(&File::open(&path).unwrap()).unwrap().bytes;
        std::fs::write(dir.path().join("app.log.2"), "older content\n").unwrap();
        std::fs::write(dir.path().join("other.log.1"), ERR.repeat(20)).unwrap();
        assert!(find_copy(&path, &[], &start).is_none());
        std::fs::copy(&path, dir.path().join("app.log-20261125")).unwrap();
        let (mut copy, _) = find_copy(&path, &[], &start).unwrap();
        let mut text = String::new();
        copy.file.read_to_string(&mut text).unwrap();
        assert_eq!(text, ERR.repeat(20));
        // Nothing read yet: nothing to recognise a copy by.
        assert!(find_copy(&path, &[], &[]).is_none());
    }
}
