//! `scan`'s runtime: every source read once, on all cores. Workers take
//! sources one at a time, each counting into its own tally, merged at the
//! end; a settled file is read through a memory map, anything else through
//! reads. With `--events`, each counted error is also rendered as it is
//! found.

use std::io::{self, Write};
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use jiff::Timestamp;

use crate::aggregate::event::ErrorEvent;
use crate::aggregate::{Counter, Filter, Tally, Zone};
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
    let threads = settings.threads.clamp(1, sources.len().max(1));
    let scan = ParallelScan {
        engine,
        filter,
        sources,
        events,
        mmap: settings.mmap,
        zone: settings.zone,
        next: AtomicUsize::new(0),
        failed: AtomicBool::new(false),
        halted: AtomicBool::new(false),
        events_error: Mutex::new(None),
        read_bytes: Arc::new(AtomicU64::new(0)),
    };
    let tally = scan.execute(threads, settings.show_progress);
    if let Some(error) = scan.events_error.into_inner().ok().flatten() {
        return Err(EventsError(error));
    }
    Ok(ScanOutcome {
        tally,
        failed: scan.failed.load(Ordering::Relaxed),
    })
}

struct ParallelScan<'a> {
    engine: &'a Engine,
    filter: &'a Filter,
    sources: &'a [Source],
    events: Option<&'a EventsOut>,
    mmap: bool,
    zone: Zone,
    /// Index of the next source a worker takes.
    next: AtomicUsize,
    failed: AtomicBool,
    /// An events write failed: every worker stops.
    halted: AtomicBool,
    events_error: Mutex<Option<io::Error>>,
    read_bytes: Arc<AtomicU64>,
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
        let mut tally = Tally::default();
        // Sources appear in the file table in argument order, whatever
        // order the workers finish in.
        for source in self.sources {
            tally.file_index(&source.name());
        }
        let progress = show_progress.then(|| Progress::start(total, self.read_bytes.clone()));
        std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| scope.spawn(|| self.worker()))
                .collect();
            for worker in workers {
                match worker.join() {
                    Ok(part) => tally.merge(&part),
                    Err(_) => self.failed.store(true, Ordering::Relaxed),
                }
            }
        });
        if let Some(progress) = progress {
            progress.finish();
        }
        tally
    }

    fn worker(&self) -> Tally {
        let mut counter = Counter::new(&self.engine.vendors, self.filter);
        counter.zone = self.zone.clone();
        let mut sink = WorkerSink {
            counter,
            events: self.events.map(|shared| (shared, Vec::new())),
            source: String::new(),
            halted: &self.halted,
            events_failed: None,
        };
        let mut scanner = Scanner::new(self.engine);
        while !self.halted.load(Ordering::Relaxed) {
            let index = self.next.fetch_add(1, Ordering::Relaxed);
            let Some(source) = self.sources.get(index) else {
                break;
            };
            let name = source.name();
            sink.counter.set_source(&name);
            sink.source.clone_from(&name);
            scanner.reset(0, 0);
            let result = self.scan_source(&mut scanner, source, &mut sink);
            let stats = scanner.stats();
            sink.counter.tally.bytes += stats.bytes;
            sink.counter.tally.lines += stats.lines;
            if let Some(error) = sink.events_failed.take() {
                self.halt(error);
            } else if let Err(error) = result {
                tracing::error!("{name}: {error}");
                self.failed.store(true, Ordering::Relaxed);
            }
        }
        if let Err(error) = sink.flush_events() {
            self.halt(error);
        }
        sink.counter.tally
    }

    fn scan_source(
        &self,
        scanner: &mut Scanner<'_>,
        source: &Source,
        sink: &mut WorkerSink<'_>,
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

    /// Keeps the first events error and stops every worker.
    fn halt(&self, error: io::Error) {
        self.halted.store(true, Ordering::Relaxed);
        if let Ok(mut slot) = self.events_error.lock() {
            slot.get_or_insert(error);
        }
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

/// Counts, and with `--events` also renders each counted event.
struct WorkerSink<'a> {
    counter: Counter<'a>,
    events: Option<(&'a EventsOut, Vec<u8>)>,
    source: String,
    halted: &'a AtomicBool,
    /// Writing events failed: the scan of this source stopped for it.
    events_failed: Option<io::Error>,
}

impl WorkerSink<'_> {
    fn flush_events(&mut self) -> io::Result<()> {
        if let Some((shared, buffer)) = &mut self.events {
            if !buffer.is_empty() {
                let written = match shared.lock() {
                    Ok(mut out) => out.write_all(buffer),
                    Err(_) => Err(io::Error::other("events writer poisoned")),
                };
                buffer.clear();
                written?;
            }
        }
        Ok(())
    }
}

impl EventSink for WorkerSink<'_> {
    fn error(&mut self, event: &Event<'_>) -> io::Result<bool> {
        let counted = self.counter.count(event);
        let Some((_, buffer)) = &mut self.events else {
            return Ok(true);
        };
        if self.halted.load(Ordering::Relaxed) {
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
        events::write_ndjson(buffer, &enriched);
        if buffer.len() > 64 * 1024 {
            if let Err(error) = self.flush_events() {
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
