//! Sustained append throughput of `errscope tail`, with latency under load.
//!
//! Runs the real tail runtime in-process on ten files, while writer threads
//! append realistic lines (one in 200 an error body, one in five a decoy
//! with a vendor key name) to the ten files at a target rate, in whole
//! lines of 4 KiB writes. Reports the rate written, the rate counted, how
//! far counting lagged behind at the end, and the append→counted latency of
//! the error lines (p50/p99) measured while the load runs.
//!
//! cargo run --release --example tail_throughput -- [seconds] [lines-per-second]

use std::fs::OpenOptions;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use errscope::aggregate::event::{ErrorEvent, Observer};
use errscope::cli::{ConfigArg, TailArgs};
use errscope::commands::tail::{run_with, Hooks};
use errscope::output::Format;
use tokio_util::sync::CancellationToken;

const FILES: usize = 10;

struct Probe {
    lines: Arc<AtomicU64>,
    start: Instant,
    latencies: Arc<Mutex<Vec<Duration>>>,
}

impl Observer for Probe {
    fn event(&mut self, event: &ErrorEvent) {
        // The message carries the writer's send time in µs since `start`.
        if let Some(sent) = event
            .message
            .strip_prefix("t=")
            .and_then(|s| s.parse::<u64>().ok())
        {
            let now = self.start.elapsed();
            let sent = Duration::from_micros(sent);
            if let Ok(mut all) = self.latencies.lock() {
                all.push(now.saturating_sub(sent));
            }
        }
    }
    fn volume(&mut self, lines: u64, _bytes: u64) {
        self.lines.fetch_add(lines, Ordering::Relaxed);
    }
}

fn line(seq: u64, start: Instant, out: &mut Vec<u8>) {
    match seq % 200 {
        0 => {
            let t = start.elapsed().as_micros();
            let _ = writeln!(
                out,
                "2026-11-20 10:15:02,123 ERROR [ocr] seq={seq} failed: {{\"status\":400,\"message\":\"t={t}\",\"code\":1200,\"response\":null}}"
            );
        }
        n if n % 5 == 1 => {
            let _ = writeln!(
                out,
                "{{\"ts\":\"2026-11-20T10:15:02.123Z\",\"level\":\"info\",\"msg\":\"request done\",\"status\":200,\"code\":\"OK\",\"response\":{{\"items\":{seq}}}}}"
            );
        }
        _ => {
            let _ = writeln!(
                out,
                "2026-11-20 10:15:02,123 INFO [http.server] GET /v1/books/{seq} 200 12ms user=42 trace=abcdef0123456789"
            );
        }
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let rate: u64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let dir = tempfile::tempdir().expect("temp dir");
    for n in 0..FILES {
        std::fs::write(dir.path().join(format!("f{n}.log")), b"").expect("create");
    }
    let counted = Arc::new(AtomicU64::new(0));
    let latencies: Arc<Mutex<Vec<Duration>>> = Arc::default();
    let start = Instant::now();
    let shutdown = CancellationToken::new();
    let tail_args = TailArgs {
        paths: vec![format!("{}/*.log", dir.path().display())],
        config: ConfigArg { config: None },
        interval: Some("1h".into()),
        format: Format::Ndjson,
        state_dir: Some(dir.path().join("state")),
        from_beginning: true,
        report_dir: None,
        zone: errscope::cli::ZoneArg { timezone: None },
        otlp: errscope::cli::OtlpArgs::default(),
        no_redact: false,
        metrics_addr: None,
        by: None,
        max_line_bytes: None,
    };
    let hooks = Hooks {
        observers: vec![Box::new(Probe {
            lines: counted.clone(),
            start,
            latencies: latencies.clone(),
        })],
        shutdown: Some(shutdown.clone()),
    };
    let runner = std::thread::spawn(move || run_with(tail_args, hooks));
    std::thread::sleep(Duration::from_millis(500));

    // One writer per two files, each paced to its share of the rate.
    let writers = FILES / 2;
    let per_writer = rate / writers as u64;
    let written = Arc::new(AtomicU64::new(0));
    let load_start = Instant::now();
    let handles: Vec<_> = (0..writers)
        .map(|w| {
            let dir = dir.path().to_path_buf();
            let written = written.clone();
            std::thread::spawn(move || {
                let mut files: Vec<_> = (0..2)
                    .map(|k| {
                        OpenOptions::new()
                            .append(true)
                            .open(dir.join(format!("f{}.log", w * 2 + k)))
                            .expect("open")
                    })
                    .collect();
                let mut seq = w as u64 * 1_000_000_000;
                let mut sent = 0u64;
                let mut chunk = Vec::with_capacity(8192);
                while load_start.elapsed() < Duration::from_secs(seconds) {
                    let due = (load_start.elapsed().as_secs_f64() * per_writer as f64) as u64;
                    if sent >= due {
                        std::thread::sleep(Duration::from_micros(200));
                        continue;
                    }
                    chunk.clear();
                    let mut n = 0;
                    while chunk.len() < 4096 {
                        line(seq, start, &mut chunk);
                        seq += 1;
                        n += 1;
                    }
                    files[(sent / 64 % 2) as usize]
                        .write_all(&chunk)
                        .expect("write");
                    sent += n;
                }
                written.fetch_add(sent, Ordering::Relaxed);
            })
        })
        .collect();
    for h in handles {
        let _ = h.join();
    }
    let load = load_start.elapsed();
    let total = written.load(Ordering::Relaxed);
    let at_end = counted.load(Ordering::Relaxed);
    let deadline = Instant::now() + Duration::from_secs(30);
    while counted.load(Ordering::Relaxed) < total && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(5));
    }
    let caught_up = load_start.elapsed();
    shutdown.cancel();
    let _ = runner.join();

    let mut all = latencies.lock().map(|l| l.clone()).unwrap_or_default();
    all.sort();
    let pct = |p: f64| {
        all.get(((all.len() as f64 * p).ceil() as usize).clamp(1, all.len().max(1)) - 1)
            .copied()
            .unwrap_or_default()
    };
    println!(
        "{FILES} files, {:.1} s: written {total} lines ({:.0} lines/s); counted {} ({:.0} lines/s over the load, all counted {:.0} ms after the writers stopped); behind at the end of the load: {} lines; error-line latency under load: p50 {:?} p99 {:?} max {:?} ({} samples)",
        load.as_secs_f64(),
        total as f64 / load.as_secs_f64(),
        counted.load(Ordering::Relaxed),
        at_end as f64 / load.as_secs_f64(),
        (caught_up - load).as_secs_f64() * 1000.0,
        total.saturating_sub(at_end),
        pct(0.50),
        pct(0.99),
        all.last().copied().unwrap_or_default(),
        all.len()
    );
}
