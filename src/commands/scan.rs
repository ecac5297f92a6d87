//! `errscope scan`: read every source once, on all cores, and summarise.

use std::io::{self, IsTerminal, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use anyhow::{anyhow, Result};
use serde_json::json;

use super::{load_config, Exit};
use crate::aggregate::{parse_dims, Counter, Filter, Tally};
use crate::cli::{FilterArgs, ScanArgs};
use crate::extract::scanner::{Engine, Event, EventSink, Scanner};
use crate::extract::timestamp;
use crate::input::mapped::MappedFile;
use crate::input::{expand, open_file, open_path, open_stdin, sample, Source};
use crate::output::{self, progress, report, rfc3339, Format};
use crate::vendors::{SkipReason, VendorSet};

pub fn run(args: ScanArgs) -> Result<Exit> {
    let config = load_config(&args.config)?;
    let dims = parse_dims(&args.by).map_err(|e| anyhow!("--by: {e}"))?;
    let filter = build_filter(&args.filter)?;
    let mut engine = config
        .engine(args.max_line_bytes)
        .map_err(|e| anyhow!("{}: {e}", config.shown()))?;
    let paths = if args.paths.is_empty() {
        config.file.inputs.clone()
    } else {
        args.paths.clone()
    };
    if paths.is_empty() {
        return Err(anyhow!(
            "no input: name files, directories, globs or `-` (or set `inputs` in the config)"
        ));
    }
    let (sources, path_errors) = expand(&paths);
    let mut failed = !path_errors.is_empty();
    for error in &path_errors {
        eprintln!("errscope: {error}");
    }
    // Only the table's footer, the JSON summary and the events show lines.
    engine.count_lines = args.events || matches!(args.format, Format::Table | Format::Json);
    if !args.fixed_anchors {
        engine.adapt_to(&sample::heads(&sources))?;
        tracing::debug!("searching for the keys {:?}", engine.prefilter.anchors());
    }

    let events_out: Option<SharedOut> = args
        .events
        .then(|| Mutex::new(Box::new(io::BufWriter::new(io::stdout())) as Box<dyn Write + Send>));
    let run = ParallelScan {
        engine: &engine,
        filter: &filter,
        sources: &sources,
        events: events_out.as_ref(),
        mmap: !args.no_mmap,
    };
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
        .clamp(1, sources.len().max(1));
    let show_progress = !args.no_progress && io::stderr().is_terminal();
    let (tally, read_failed) = run.execute(threads, show_progress);
    failed |= read_failed;

    if let Some(events) = events_out {
        let mut out = events
            .into_inner()
            .map_err(|_| anyhow!("event writer poisoned"))?;
        out.flush().or_else(ignore_broken_pipe)?;
    } else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        output::write_summary(&mut out, args.format, &tally, &dims, &engine.vendors)
            .and_then(|()| out.flush())
            .or_else(ignore_broken_pipe)?;
    }
    if let Some(dir) = &args.report_dir {
        // Lines without a time count on today (UTC): see output::report.
        if let Err(error) = report::write_daily(dir, &tally, &engine.vendors, !args.no_redact) {
            eprintln!("errscope: {error}");
            failed = true;
        }
    }
    Ok(if failed { Exit::Trouble } else { Exit::Success })
}

pub fn build_filter(args: &FilterArgs) -> Result<Filter> {
    let now = jiff::Timestamp::now();
    let bound = |flag: &str, text: &Option<String>| -> Result<Option<jiff::Timestamp>> {
        text.as_deref()
            .map(|t| timestamp::parse_bound(t, now).map_err(|e| anyhow!("{flag}: {e}")))
            .transpose()
    };
    Ok(Filter {
        vendors: args.vendor.clone(),
        codes: args.code.clone(),
        since: bound("--since", &args.since)?,
        until: bound("--until", &args.until)?,
    })
}

fn ignore_broken_pipe(error: io::Error) -> io::Result<()> {
    if error.kind() == io::ErrorKind::BrokenPipe {
        Ok(())
    } else {
        Err(error)
    }
}

/// Standard output shared by the workers of `--events`.
type SharedOut = Mutex<Box<dyn Write + Send>>;

struct ParallelScan<'a> {
    engine: &'a Engine,
    filter: &'a Filter,
    sources: &'a [Source],
    events: Option<&'a SharedOut>,
    mmap: bool,
}

impl ParallelScan<'_> {
    /// Workers take sources one at a time; each counts into its own tally,
    /// merged at the end. Returns the tally and whether any source failed.
    fn execute(&self, threads: usize, show_progress: bool) -> (Tally, bool) {
        let started = std::time::Instant::now();
        let next = AtomicUsize::new(0);
        let failed = AtomicBool::new(false);
        let read_bytes = Arc::new(AtomicU64::new(0));
        let done = AtomicBool::new(false);
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
        std::thread::scope(|scope| {
            if show_progress {
                let read_bytes = read_bytes.clone();
                let done = &done;
                scope.spawn(move || progress::show(total, &read_bytes, done, started));
            }
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    let read_bytes = read_bytes.clone();
                    let (next, failed) = (&next, &failed);
                    scope.spawn(move || self.worker(next, failed, read_bytes))
                })
                .collect();
            for worker in workers {
                match worker.join() {
                    Ok(part) => tally.merge(&part),
                    Err(_) => failed.store(true, Ordering::Relaxed),
                }
            }
            done.store(true, Ordering::Relaxed);
        });
        (tally, failed.load(Ordering::Relaxed))
    }

    fn worker(&self, next: &AtomicUsize, failed: &AtomicBool, read_bytes: Arc<AtomicU64>) -> Tally {
        let mut sink = WorkerSink {
            counter: Counter::new(&self.engine.vendors, self.filter),
            vendors: &self.engine.vendors,
            events: self.events.map(|shared| (shared, Vec::new())),
            source: String::new(),
        };
        let mut scanner = Scanner::new(self.engine);
        loop {
            let index = next.fetch_add(1, Ordering::Relaxed);
            let Some(source) = self.sources.get(index) else {
                break;
            };
            let name = source.name();
            sink.counter.set_source(&name);
            sink.source.clone_from(&name);
            scanner.reset(0, 0);
            let result = match source {
                Source::File(path) if self.mmap => {
                    scan_file(&mut scanner, path, &mut sink, &read_bytes)
                }
                Source::File(path) => open_path(path, read_bytes.clone())
                    .and_then(|mut reader| scanner.scan_to_end(&mut reader, &mut sink)),
                Source::Stdin => open_stdin(read_bytes.clone())
                    .and_then(|mut reader| scanner.scan_to_end(&mut reader, &mut sink)),
            };
            let stats = scanner.stats();
            sink.counter.tally.bytes += stats.bytes;
            sink.counter.tally.lines += stats.lines;
            if let Err(error) = result {
                eprintln!("errscope: {name}: {error}");
                failed.store(true, Ordering::Relaxed);
            }
        }
        sink.flush_events();
        sink.counter.tally
    }
}

/// Scans a file through a memory map when [`MappedFile`] allows it, else
/// through reads.
fn scan_file(
    scanner: &mut Scanner<'_>,
    path: &std::path::Path,
    sink: &mut dyn EventSink,
    read_bytes: &Arc<AtomicU64>,
) -> io::Result<()> {
    let file = std::fs::File::open(path)?;
    match MappedFile::open_if_settled(path, &file)? {
        Some(mapped) => {
            tracing::debug!("{}: reading through a memory map", path.display());
            let mut shown = 0;
            scanner.scan_slice(mapped.bytes(), sink, &mut |done| {
                mapped.release_before(done);
                read_bytes.fetch_add(done.saturating_sub(shown) as u64, Ordering::Relaxed);
                shown = shown.max(done);
            });
            let rest = mapped.bytes().len().saturating_sub(shown);
            read_bytes.fetch_add(rest as u64, Ordering::Relaxed);
            Ok(())
        }
        None => open_file(file, read_bytes.clone())
            .and_then(|mut reader| scanner.scan_to_end(&mut reader, sink)),
    }
}

/// Counts, and with `--events` also prints each event.
struct WorkerSink<'a> {
    counter: Counter<'a>,
    vendors: &'a VendorSet,
    events: Option<(&'a SharedOut, Vec<u8>)>,
    source: String,
}

impl WorkerSink<'_> {
    fn flush_events(&mut self) {
        if let Some((shared, buffer)) = &mut self.events {
            if let Ok(mut out) = shared.lock() {
                if let Err(error) = out.write_all(buffer) {
                    // The reader went away (`| head`): like any filter
                    // under SIGPIPE, stop quietly; other errors are told.
                    if error.kind() != io::ErrorKind::BrokenPipe {
                        eprintln!("errscope: writing events: {error}");
                    }
                    std::process::exit(if error.kind() == io::ErrorKind::BrokenPipe {
                        0
                    } else {
                        2
                    });
                }
            }
            buffer.clear();
        }
    }
}

impl EventSink for WorkerSink<'_> {
    fn error(&mut self, event: &Event<'_>) {
        let counted = self.counter.count(event);
        let Some((_, buffer)) = &mut self.events else {
            return;
        };
        if !counted {
            return;
        }
        let vendor = self.vendors.get(event.error.vendor);
        let found = vendor.lookup(&event.error.code, event.error.status);
        let line = json!({
            "time": event.time.map(|t| rfc3339(Some(t))),
            "vendor": vendor.id,
            "code": event.error.code,
            "status": event.error.status,
            "category": found.category,
            "description": found.description,
            "known": found.known,
            "message": event.error.message,
            "file": self.source,
            "line": event.line,
        });
        if serde_json::to_writer(&mut *buffer, &line).is_ok() {
            buffer.push(b'\n');
        }
        if buffer.len() > 64 * 1024 {
            self.flush_events();
        }
    }

    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        self.counter.skipped(vendor, reason);
    }
}
