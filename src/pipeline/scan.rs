//! `scan`'s runtime: every source read once, on all cores. The sources are
//! cut into units: a large settled file into chunks at line starts (read
//! through a memory map, side by side), anything else whole. Workers take
//! units one at a time, each counting into its own tally; finished units
//! are merged in order, whatever order they finish in, so counts, sample
//! messages, `--events` (rendered as they are found) and their line
//! numbers are the same at any thread count.

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::ops::Range;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};

use jiff::Timestamp;

use crate::aggregate::event::ErrorEvent;
use crate::aggregate::{Counter, Filter, Tally, Zone};
use crate::extract::chunk;
use crate::extract::scanner::{Engine, Event, EventSink, Scanner};
use crate::input::mapped::MappedFile;
use crate::input::{open_file, open_path, open_stdin, Source};
use crate::output::events;
use crate::output::progress::Progress;
use crate::vendors::SkipReason;

/// How a scan runs.
#[derive(Debug, Clone)]
pub struct ScanSettings {
    pub threads: usize,
    /// Read settled files through a memory map.
    pub mmap: bool,
    pub show_progress: bool,
    /// The zone hours are bucketed in.
    pub zone: Zone,
}

/// Where `--events` go: shared by the workers, written a buffer at a time.
pub type EventsOut = Mutex<Box<dyn Write + Send>>;

/// What a scan found, and whether any source could not be read.
#[derive(Debug, Default)]
pub struct ScanOutcome {
    pub tally: Tally,
    /// Some source failed (each failure was logged with its name).
    pub failed: bool,
}

/// Writing `--events` failed: the scan stopped. A closed pipe is among
/// them (`errscope scan --events | head`); the binary treats it as the
/// reader's choice.
#[derive(Debug, thiserror::Error)]
#[error("writing events: {0}")]
pub struct EventsError(#[source] pub io::Error);

pub fn run(
    engine: &Engine,
    filter: &Filter,
    sources: &[Source],
    events: Option<&EventsOut>,
    settings: ScanSettings,
) -> Result<ScanOutcome, EventsError> {
    let threads = settings.threads.max(1);
    let units = plan(sources, threads, settings.mmap);
    let threads = threads.min(units.len().max(1));
    let scan = ParallelScan {
        engine,
        filter,
        sources,
        units: &units,
        events,
        zone: settings.zone,
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        halted: AtomicBool::new(false),
        read_bytes: Arc::new(AtomicU64::new(0)),
        merge: Mutex::new(Merge::default()),
        turn: Condvar::new(),
        mmap: settings.mmap,
    };
    let tally = scan.execute(threads, settings.show_progress);
    let merge = scan.merge.into_inner().unwrap_or_else(|e| e.into_inner());
    if let Some(error) = merge.events_error {
        return Err(EventsError(error));
    }
    Ok(ScanOutcome {
        tally,
        failed: scan.failed.load(Ordering::Relaxed),
    })
}

/// Files at least this large are cut into chunks scanned side by side.
const MIN_SPLIT: u64 = 64 * 1024 * 1024;
/// No chunk is smaller than this.
const MIN_CHUNK: u64 = 32 * 1024 * 1024;
/// How far past a nominal cut a chunk start is looked for.
const CUT_SEARCH: usize = 4 * 1024 * 1024;
/// Events a unit keeps while an earlier unit is still being scanned; past
/// this it waits for its turn and writes them out.
const PENDING_EVENTS: usize = 16 * 1024;

/// What one worker scans at a time: a whole source, or a chunk of a large
/// settled file read through a memory map.
#[derive(Debug, Clone)]
struct Unit {
    source: usize,
    chunk: Option<Range<usize>>,
    /// Whether it is its source's first unit (line numbers restart).
    first: bool,
}

/// The sources in order, each large mapped file cut into up to `threads`
/// chunks at line starts where no record runs across
/// ([`chunk::start_at`]). A gzip file, a pipe, a file read through reads
/// stay whole: one worker each.
fn plan(sources: &[Source], threads: usize, mmap: bool) -> Vec<Unit> {
    let mut units = Vec::new();
    for (index, source) in sources.iter().enumerate() {
        let cuts = match source {
            Source::File(path) if mmap && threads > 1 => chunk_cuts(path, threads),
            _ => Vec::new(),
        };
        if cuts.len() > 2 {
            tracing::debug!("{}: cut into {} chunks", source.name(), cuts.len() - 1);
        }
        if cuts.len() < 2 {
            units.push(Unit {
                source: index,
                chunk: None,
                first: true,
            });
            continue;
        }
        for (at, pair) in cuts.windows(2).enumerate() {
            units.push(Unit {
                source: index,
                chunk: Some(pair[0]..pair[1]),
                first: at == 0,
            });
        }
    }
    units
}

/// Where a file is cut: `0`, the chunk starts, its length; empty when it
/// stays whole.
fn chunk_cuts(path: &Path, parts: usize) -> Vec<usize> {
    let Ok(file) = std::fs::File::open(path) else {
        return Vec::new();
    };
    let Ok(Some(mapped)) = MappedFile::open_if_settled(path, &file) else {
        return Vec::new();
    };
    let data = mapped.bytes();
    let len = data.len() as u64;
    if len < MIN_SPLIT {
        return Vec::new();
    }
    let parts = (parts as u64).min(len / MIN_CHUNK).max(1);
    let mut cuts = vec![0];
    for part in 1..parts {
        let nominal = (len * part / parts) as usize;
        if let Some(start) = chunk::start_at(data, nominal, CUT_SEARCH) {
            if start > cuts[cuts.len() - 1] && start < data.len() {
                cuts.push(start);
            }
        }
    }
    cuts.push(data.len());
    cuts
}

struct ParallelScan<'a> {
    engine: &'a Engine,
    filter: &'a Filter,
    sources: &'a [Source],
    units: &'a [Unit],
    events: Option<&'a EventsOut>,
    zone: Zone,
    mmap: bool,
    /// Index of the next unit a worker takes.
    next: AtomicUsize,
    failed: AtomicBool,
    /// An events write failed: every worker stops.
    halted: AtomicBool,
    read_bytes: Arc<AtomicU64>,
    /// Finished units, merged in order.
    merge: Mutex<Merge>,
    /// Signalled when the merge moves on to the next unit.
    turn: Condvar,
}

/// Units are merged (counted, and their events written) in order, whatever
/// order they finish in, so the output is the same at any thread count.
#[derive(Default)]
struct Merge {
    /// The next unit to merge.
    head: usize,
    done: BTreeMap<usize, UnitOut>,
    /// Lines of the merged units of the head unit's source.
    lines_before: u64,
    tally: Tally,
    events_error: Option<io::Error>,
}

/// What a unit found.
struct UnitOut {
    tally: Tally,
    /// Its events not yet written, numbered from the unit's first line.
    events: Vec<ErrorEvent>,
    lines: u64,
}

impl ParallelScan<'_> {
    fn execute(&self, threads: usize, show_progress: bool) -> Tally {
        let total: u64 = self
            .sources
            .iter()
            .filter_map(|s| match s {
                Source::File(p) => std::fs::metadata(p).ok().map(|m| m.len()),
                Source::Stdin => None,
            })
            .sum();
        if let Ok(mut merge) = self.merge.lock() {
            // Sources appear in the file table in argument order.
            for source in self.sources {
                merge.tally.file_index(&source.name());
            }
        }
        let progress = show_progress.then(|| Progress::start(total, self.read_bytes.clone()));
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(|| self.worker()))
                .collect();
            for worker in workers {
                if worker.join().is_err() {
                    self.failed.store(true, Ordering::Relaxed);
                }
            }
        });
        if let Some(progress) = progress {
            progress.finish();
        }
        match self.merge.lock() {
            Ok(mut merge) => std::mem::take(&mut merge.tally),
            Err(poisoned) => std::mem::take(&mut poisoned.into_inner().tally),
        }
    }

    fn worker(&self) {
        let mut scanner = Scanner::new(self.engine);
        while !self.halted.load(Ordering::Relaxed) {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(unit) = self.units.get(index) else {
                break;
            };
            let out = self.scan_unit(index, unit, &mut scanner);
            self.finish(index, out);
        }
    }

    fn scan_unit(&self, index: usize, unit: &Unit, scanner: &mut Scanner<'_>) -> UnitOut {
        let source = &self.sources[unit.source];
        let name = source.name();
        let mut counter = Counter::new(&self.engine.vendors, self.filter);
        counter.zone = self.zone.clone();
        counter.set_source(&name);
        let mut sink = UnitSink {
            counter,
            scan: self,
            unit: index,
            events: self.events.map(|_| Vec::new()),
            direct: None,
            buffer: Vec::new(),
            source: name.clone(),
            events_failed: None,
        };
        let (result, bytes, lines) = match (&unit.chunk, source) {
            (Some(range), Source::File(path)) => {
                match self.scan_chunk(scanner, path, range.clone(), &mut sink) {
                    Ok(lines) => (Ok(()), range.len() as u64, lines),
                    Err(error) => (Err(error), 0, 0),
                }
            }
            _ => {
                scanner.reset(0, 0);
                let result = self.scan_source(scanner, source, &mut sink);
                let stats = scanner.stats();
                (result, stats.bytes, stats.lines)
            }
        };
        if let Some(error) = sink.events_failed.take() {
            self.halt(error);
        } else if let Err(error) = sink.flush() {
            self.halt(error);
        } else if let Err(error) = result {
            tracing::error!("{name}: {error}");
            self.failed.store(true, Ordering::Relaxed);
        }
        let mut tally = sink.counter.tally;
        tally.bytes += bytes;
        tally.lines += lines;
        UnitOut {
            tally,
            events: sink.events.unwrap_or_default(),
            lines,
        }
    }

    fn scan_source(
        &self,
        scanner: &mut Scanner<'_>,
        source: &Source,
        sink: &mut UnitSink<'_, '_>,
    ) -> io::Result<()> {
        let read_bytes = &self.read_bytes;
        match source {
            Source::File(path) if self.mmap => scan_file(scanner, path, sink, read_bytes),
            Source::File(path) => open_path(path, read_bytes.clone())
                .and_then(|mut reader| scanner.scan_to_end(&mut reader, sink)),
            Source::Stdin => open_stdin(read_bytes.clone())
                .and_then(|mut reader| scanner.scan_to_end(&mut reader, sink)),
        }
    }

    /// Scans one chunk of a mapped file; returns its lines.
    fn scan_chunk(
        &self,
        scanner: &mut Scanner<'_>,
        path: &Path,
        range: Range<usize>,
        sink: &mut UnitSink<'_, '_>,
    ) -> io::Result<u64> {
        let file = std::fs::File::open(path)?;
        let Some(mapped) = MappedFile::open_if_settled(path, &file)? else {
            return Err(io::Error::other(
                "changed while it was being scanned; scan it again",
            ));
        };
        if mapped.bytes().len() < range.end {
            return Err(io::Error::other("shrank while it was being scanned"));
        }
        let read_bytes = &self.read_bytes;
        let mut shown = range.start;
        let lines =
            scanner.scan_chunk(mapped.bytes(), range.start, range.end, sink, &mut |done| {
                mapped.release_before(done);
                let done = done.min(range.end);
                read_bytes.fetch_add(done.saturating_sub(shown) as u64, Ordering::Relaxed);
                shown = shown.max(done);
            })?;
        read_bytes.fetch_add(range.end.saturating_sub(shown) as u64, Ordering::Relaxed);
        Ok(lines)
    }

    /// Waits until every unit before `unit` is merged; returns the lines
    /// of the units of its source before it (`None` once the scan halted).
    fn wait_turn(&self, unit: usize) -> Option<u64> {
        let mut merge = self.merge.lock().ok()?;
        while merge.head != unit {
            if self.halted.load(Ordering::Relaxed) {
                return None;
            }
            merge = self.turn.wait(merge).ok()?;
        }
        Some(merge.lines_before)
    }

    /// Hands a finished unit to the merge, and merges every unit whose
    /// turn has come.
    fn finish(&self, index: usize, out: UnitOut) {
        let Ok(mut merge) = self.merge.lock() else {
            self.failed.store(true, Ordering::Relaxed);
            return;
        };
        merge.done.insert(index, out);
        loop {
            let head = merge.head;
            let Some(out) = merge.done.remove(&head) else {
                break;
            };
            if self.units.get(head).is_some_and(|unit| unit.first) {
                merge.lines_before = 0;
            }
            if !out.events.is_empty() && merge.events_error.is_none() {
                let mut buffer = Vec::new();
                for mut event in out.events {
                    event.line += merge.lines_before;
                    events::write_ndjson(&mut buffer, &event);
                }
                if let Err(error) = write_events(self.events, &buffer) {
                    self.halted.store(true, Ordering::Relaxed);
                    merge.events_error = Some(error);
                }
            }
            merge.tally.merge(&out.tally);
            merge.lines_before += out.lines;
            merge.head += 1;
        }
        self.turn.notify_all();
    }

    /// Keeps the first events error and stops every worker.
    fn halt(&self, error: io::Error) {
        self.halted.store(true, Ordering::Relaxed);
        if let Ok(mut merge) = self.merge.lock() {
            merge.events_error.get_or_insert(error);
        }
        self.turn.notify_all();
    }
}

fn write_events(out: Option<&EventsOut>, buffer: &[u8]) -> io::Result<()> {
    let Some(out) = out else {
        return Ok(());
    };
    match out.lock() {
        Ok(mut out) => out.write_all(buffer),
        Err(_) => Err(io::Error::other("events writer poisoned")),
    }
}

/// Scans a file through a memory map when [`MappedFile`] allows it, else
/// through reads.
fn scan_file(
    scanner: &mut Scanner<'_>,
    path: &Path,
    sink: &mut dyn EventSink,
    read_bytes: &Arc<AtomicU64>,
) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    match MappedFile::open_if_settled(path, &file)? {
        Some(mapped) => {
            tracing::debug!("{}: reading through a memory map", path.display());
            let mut shown = 0;
            let result = scanner.scan_slice(mapped.bytes(), sink, &mut |done| {
                mapped.release_before(done);
                read_bytes.fetch_add(done.saturating_sub(shown) as u64, Ordering::Relaxed);
                shown = shown.max(done);
            });
            let rest = mapped.bytes().len().saturating_sub(shown);
            read_bytes.fetch_add(rest as u64, Ordering::Relaxed);
            result
        }
        None => open_file(file, read_bytes.clone())
            .and_then(|mut reader| scanner.scan_to_end(&mut reader, sink)),
    }
}

/// Counts one unit, and with `--events` keeps its events until its turn
/// (then writes them as they come).
struct UnitSink<'s, 'a> {
    counter: Counter<'a>,
    scan: &'s ParallelScan<'a>,
    unit: usize,
    /// Events kept for the merge (`None` without `--events`).
    events: Option<Vec<ErrorEvent>>,
    /// Once it is this unit's turn: the lines before it in its source.
    direct: Option<u64>,
    /// Events rendered, written at 64 KiB.
    buffer: Vec<u8>,
    source: String,
    /// Writing events failed: the scan of this unit stopped for it.
    events_failed: Option<io::Error>,
}

impl UnitSink<'_, '_> {
    fn flush(&mut self) -> io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let written = write_events(self.scan.events, &self.buffer);
        self.buffer.clear();
        written
    }
}

impl EventSink for UnitSink<'_, '_> {
    fn error(&mut self, event: &Event<'_>) -> io::Result<bool> {
        let counted = self.counter.count(event);
        let Some(pending) = &mut self.events else {
            return Ok(true);
        };
        if self.scan.halted.load(Ordering::Relaxed) {
            return Ok(false);
        }
        if !counted {
            return Ok(true);
        }
        let enriched = ErrorEvent::enrich(
            self.counter.vendors(),
            event,
            &self.source,
            Timestamp::now(),
        );
        match self.direct {
            None => {
                pending.push(enriched);
                if pending.len() < PENDING_EVENTS {
                    return Ok(true);
                }
                // Memory stays bounded: wait for this unit's turn.
                let Some(lines_before) = self.scan.wait_turn(self.unit) else {
                    return Ok(false);
                };
                self.direct = Some(lines_before);
                for mut event in pending.drain(..) {
                    event.line += lines_before;
                    events::write_ndjson(&mut self.buffer, &event);
                }
            }
            Some(lines_before) => {
                let mut enriched = enriched;
                enriched.line += lines_before;
                events::write_ndjson(&mut self.buffer, &enriched);
            }
        }
        if self.buffer.len() > 64 * 1024 {
            if let Err(error) = self.flush() {
                let kind = error.kind();
                self.events_failed = Some(error);
                return Err(kind.into());
            }
        }
        Ok(true)
    }

    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        self.counter.skipped(vendor, reason);
    }
}
