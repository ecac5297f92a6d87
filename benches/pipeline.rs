//! Micro-benchmarks of the three stages a log byte goes through: the
//! pre-filter over whole buffers (most bytes stop here), line decoding of a
//! candidate, and vendor shape matching of a parsed object.

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use errscope::extract::line::decode_line;
use errscope::extract::scanner::{Engine, Event, EventSink, Scanner, DEFAULT_MAX_LINE};
use errscope::vendors::{Doc, SkipReason, VendorSet};

struct CountOnly(u64);

impl EventSink for CountOnly {
    fn error(&mut self, _event: &Event<'_>) -> std::io::Result<bool> {
        self.0 += 1;
        Ok(true)
    }
    fn skipped(&mut self, _vendor: Option<usize>, _reason: SkipReason) {}
}

const BODY: &str =
    r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;

/// Deterministic mixed log: structured and text lines, one in five with a
/// decoy vendor key name, one in two hundred with a vendor body.
fn corpus(lines: usize) -> Vec<u8> {
    let mut out = Vec::with_capacity(lines * 160);
    for i in 0..lines {
        let line = match i % 200 {
            0 => format!("2026-11-20 10:15:02,123 ERROR [ocr] request {i} failed: {BODY} after 120ms"),
            n if n % 5 == 1 => format!(
                r#"{{"ts":"2026-11-20T10:15:02.{i:03}Z","level":"info","msg":"request done","status":200,"code":"OK","response":{{"items":{i}}},"duration_ms":12}}"#
            ),
            n if n % 2 == 0 => format!("2026-11-20 10:15:02,{:03} INFO [http.server] GET /v1/books/{i} 200 12ms user=42 trace=abcdef0123456789", i % 1000),
            _ => format!(r#"{{"ts":"2026-11-20T10:15:02Z","level":"debug","logger":"db.pool","msg":"checkout","wait_us":{i},"pool":"primary","host":"db-1"}}"#),
        };
        out.extend_from_slice(line.as_bytes());
        out.push(b'\n');
    }
    out
}

fn prefilter(c: &mut Criterion) {
    let engine =
        Engine::new(VendorSet::builtin().expect("built-ins"), DEFAULT_MAX_LINE).expect("engine");
    let data = corpus(200_000);
    let mut group = c.benchmark_group("scan");
    group.throughput(Throughput::Bytes(data.len() as u64));
    group.bench_function(BenchmarkId::new("whole_buffer", data.len()), |b| {
        b.iter(|| {
            let mut scanner = Scanner::new(&engine);
            let mut sink = CountOnly(0);
            scanner
                .scan_to_end(&mut data.as_slice(), &mut sink)
                .expect("in-memory read");
            assert_eq!(sink.0, 1000);
        })
    });
    group.finish();
}

fn decode(c: &mut Criterion) {
    let vendors = VendorSet::builtin().expect("built-ins");
    let escaped = BODY.replace('"', "\\\"");
    let lines = [
        ("bare", BODY.to_string()),
        (
            "prefixed",
            format!("2026-11-20 10:15:02,123 ERROR [ocr] failed: {BODY} took 3ms"),
        ),
        (
            "escaped_in_json",
            format!(r#"{{"ts":"2026-11-20T10:15:02Z","level":"error","body":"{escaped}"}}"#),
        ),
        (
            "python_repr",
            "ERROR {'error_code': 7, 'error_message': 'AUTH INVALID', 'details': None}".to_string(),
        ),
    ];
    let mut group = c.benchmark_group("decode_line");
    for (name, line) in &lines {
        group.throughput(Throughput::Elements(1));
        group.bench_function(*name, |b| {
            b.iter(|| {
                let outcome = decode_line(line.as_bytes(), &vendors, 2026);
                assert_eq!(outcome.decisions.len(), 1);
            })
        });
    }
    group.finish();

    let doc = Doc::parse(BODY.as_bytes()).expect("json");
    c.bench_function("vendor_decode", |b| b.iter(|| vendors.decode(doc.root())));
    c.bench_function("json_parse", |b| {
        b.iter(|| Doc::parse(BODY.as_bytes()).map(|doc| doc.root().is_object()))
    });
}

criterion_group!(benches, prefilter, decode);
criterion_main!(benches);
