//! The invariants the fuzz targets check, one function per target.
//!
//! This file is shared: the fuzz targets call it through this crate, and
//! the main crate's `tests/fuzz_regressions.rs` includes it with `#[path]`
//! to replay the committed corpora and every regression input on each
//! `cargo test`. It may only use what both sides have: `errscope`,
//! `serde_json`, `jiff` and std.

use std::sync::OnceLock;

use errscope::config::Config;
use errscope::extract::line::decode_line;
use errscope::extract::prefilter::Prefilter;
use errscope::extract::scanner::{Engine, Event, EventSink, ScanStats, Scanner, MAX_LINE_LIMIT};
use errscope::extract::span::{find_close, python_repr_to_json, skip_ws, unescape_json_string};
use errscope::extract::timestamp;
use errscope::vendors::{Decision, Doc, SkipReason, VendorSet};
use jiff::Timestamp;
use serde_json::Value;

/// Year given to formats without one; fixed so runs reproduce.
const YEAR: i16 = 2026;
/// The scanner's line cap in the extract target: the smallest the engine
/// allows, so fuzz-sized inputs reach the long-line paths.
const MAX_LINE: usize = 1024;

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<Engine> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let mut engine =
            Engine::new(VendorSet::builtin().expect("built-in vendors"), MAX_LINE).expect("engine");
        engine.default_year = YEAR;
        engine
    })
}

/// Engines searching for other keys of the vendors' shapes than their
/// configured anchors (the keys `scan` may pick from a sample): engine `k`
/// takes each vendor's `k`-th candidate.
fn other_anchor_engines() -> &'static [Engine] {
    static ENGINES: OnceLock<Vec<Engine>> = OnceLock::new();
    ENGINES.get_or_init(|| {
        let base = engine();
        let most = base
            .vendors
            .vendors()
            .iter()
            .map(|v| v.anchor_candidates().len())
            .max()
            .unwrap_or(1);
        (1..most)
            .map(|k| {
                let anchors: Vec<&str> = base
                    .vendors
                    .vendors()
                    .iter()
                    .map(|v| {
                        let candidates = v.anchor_candidates();
                        candidates[k % candidates.len()]
                    })
                    .collect();
                let mut other = base.clone();
                other.prefilter =
                    Prefilter::with_anchors(&base.vendors, &anchors).expect("prefilter");
                other
            })
            .collect()
    })
}

/// One counted error, with everything a report or checkpoint keeps of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Counted {
    pub vendor: usize,
    pub code: String,
    pub status: Option<u16>,
    pub message: String,
    pub time: Option<Timestamp>,
    pub line: u64,
    pub offset: u64,
}

#[derive(Debug, Default, PartialEq, Eq)]
pub struct Collected {
    pub errors: Vec<Counted>,
    pub skipped: Vec<(Option<usize>, SkipReason)>,
}

impl EventSink for Collected {
    fn error(&mut self, event: &Event<'_>) -> std::io::Result<bool> {
        self.errors.push(Counted {
            vendor: event.error.vendor,
            code: event.error.code.clone(),
            status: event.error.status,
            message: event.error.message.clone(),
            time: event.time,
            line: event.line,
            offset: event.offset,
        });
        Ok(true)
    }
    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        self.skipped.push((vendor, reason));
    }
}

/// Feeds `pieces` one after the other, then finishes the stream.
pub fn scan_pieces(pieces: &[&[u8]]) -> (Collected, ScanStats) {
    scan_pieces_with(engine(), pieces)
}

fn scan_pieces_with(engine: &Engine, pieces: &[&[u8]]) -> (Collected, ScanStats) {
    let mut scanner = Scanner::new(engine);
    let mut sink = Collected::default();
    for piece in pieces {
        scanner.feed(piece, &mut sink).unwrap();
    }
    scanner.finish(&mut sink).unwrap();
    (sink, scanner.stats())
}

/// Scans `data` as a mapped file is scanned, the window growing by `step`.
pub fn scan_mapped(data: &[u8], step: usize) -> (Collected, ScanStats) {
    let mut scanner = Scanner::new(engine());
    let mut sink = Collected::default();
    scanner
        .scan_slice_in_steps(data, step, &mut sink, &mut |done| {
            assert!(done <= data.len(), "released past the end");
        })
        .unwrap();
    (sink, scanner.stats())
}

/// Lines in `data` as `wc -l` counts them, plus an unterminated last line.
fn expected_lines(data: &[u8]) -> u64 {
    let newlines = data.iter().filter(|&&b| b == b'\n').count() as u64;
    newlines + u64::from(data.last().is_some_and(|&b| b != b'\n'))
}

/// `extract`: the first two bytes choose a split point, the rest is a log
/// stream. Scanning it whole, in two pieces, as a map walked in steps of
/// that size, and searching for other keys of the vendors' shapes must
/// count the same errors (same vendor, code, status, message, time, line
/// and offset), the same lines and bytes; without line counting, the same
/// errors but for their line numbers; `decode_line` on the same bytes must
/// not panic.
pub fn check_extract(data: &[u8]) {
    let (split, stream) = match data {
        [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
        _ => (0, data),
    };
    let split = split % (stream.len() + 1);

    let whole = scan_pieces(&[stream]);
    let (whole, whole_stats) = &whole;
    // `candidate_lines` is a diagnostic of the scanner's own work (a record
    // re-read after more data arrived counts again); errors, bytes and lines
    // are what checkpoints and reports rely on.
    let same = |(other, other_stats): (Collected, ScanStats), how: &str| {
        assert_eq!(whole.errors, other.errors, "errors differ when {how}");
        assert_eq!(
            (whole_stats.bytes, whole_stats.lines),
            (other_stats.bytes, other_stats.lines),
            "bytes/lines differ when {how}"
        );
    };
    same(
        scan_pieces(&[&stream[..split], &stream[split..]]),
        &format!("the stream is split at {split}"),
    );
    // A mapped file is walked in windows instead of reads.
    same(
        scan_mapped(stream, split),
        &format!("scanned as a map in steps of {split}"),
    );
    // Any key of a shape finds the lines its bodies are on: the same
    // errors are counted. (Where a body sits inside a multi-line record
    // that another key's hit assembled, the error is placed on the
    // record's first line instead of its own, so places and times may
    // differ; the errors may not.)
    let others = other_anchor_engines();
    if !others.is_empty() {
        let other = &others[split % others.len()];
        let (found, found_stats) = scan_pieces_with(other, &[&stream[..split], &stream[split..]]);
        let what = |errors: &[Counted]| -> Vec<(usize, String, Option<u16>, String)> {
            let mut what: Vec<_> = errors
                .iter()
                .map(|e| (e.vendor, e.code.clone(), e.status, e.message.clone()))
                .collect();
            what.sort();
            what
        };
        assert_eq!(
            what(&whole.errors),
            what(&found.errors),
            "errors differ when searching for {:?}",
            other.prefilter.anchors()
        );
        assert_eq!(whole_stats.lines, found_stats.lines);
    }
    let mut uncounted = engine().clone();
    uncounted.count_lines = false;
    let (unnumbered, _) = scan_pieces_with(&uncounted, &[stream]);
    let without_lines = |errors: &[Counted]| -> Vec<Counted> {
        errors
            .iter()
            .map(|e| Counted {
                line: 0,
                ..e.clone()
            })
            .collect()
    };
    assert_eq!(
        without_lines(&whole.errors),
        without_lines(&unnumbered.errors),
        "errors differ without line counting"
    );
    assert_eq!(
        whole_stats.bytes,
        stream.len() as u64,
        "bytes not all counted"
    );
    assert_eq!(
        whole_stats.lines,
        expected_lines(stream),
        "lines miscounted"
    );
    let vendors = engine().vendors.vendors().len();
    for error in &whole.errors {
        assert!(error.vendor < vendors);
        assert!(!error.code.is_empty(), "empty code counted");
        assert!(error.line >= 1 && error.line <= whole_stats.lines.max(1));
        assert!(error.offset < stream.len() as u64);
    }

    let outcome = decode_line(stream, &engine().vendors, YEAR);
    check_decisions(&outcome.decisions, vendors);
}

fn check_decisions(decisions: &[Decision], vendors: usize) {
    for decision in decisions {
        match decision {
            Decision::Error(e) => {
                assert!(e.vendor < vendors);
                assert!(!e.code.is_empty(), "empty code decoded");
                assert!(e.message.chars().count() <= 513, "message not capped");
            }
            Decision::Skipped { vendor, .. } => assert!(*vendor < vendors),
        }
    }
}

/// `decode`: the decode path's JSON reader must agree with serde_json
/// (same acceptance and value, for the whole input and for the value at
/// every `{`); JSON objects (at any nesting) go to `VendorSet::decode`; the
/// raw bytes go through the span helpers, which must not panic and must
/// return in-bounds results.
pub fn check_decode(data: &[u8]) {
    let vendors = &engine().vendors;
    let ours = Doc::parse(data);
    match (&ours, serde_json::from_slice::<Value>(data)) {
        (Ok(doc), Ok(value)) => assert_eq!(doc.root().to_value(), value, "reader disagrees"),
        (Err(_), Err(_)) => {}
        (ours, theirs) => panic!(
            "reader accepts: {}, serde_json accepts: {}",
            ours.is_ok(),
            theirs.is_ok()
        ),
    }
    if let Ok(doc) = &ours {
        let mut decisions = Vec::new();
        let mut stack = vec![doc.root()];
        while let Some(v) = stack.pop() {
            if v.is_object() {
                decisions.extend(vendors.decode(v));
                stack.extend(v.members().map(|(_, value)| value));
            } else if v.is_array() {
                stack.extend(v.elements());
            } else {
                let _ = timestamp::from_json_value(&v.to_value(), YEAR);
            }
        }
        check_decisions(&decisions, vendors.vendors().len());
    }
    for start in data
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'{')
        .map(|(i, _)| i)
        .take(8)
    {
        // The walker reads the value at a `{` with the reader, and falls
        // back to the brace span only to say why it failed: the two must
        // tell the same story.
        let span = find_close(data, start, b"\"").map(|close| &data[start..=close]);
        match Doc::parse_at(data, start) {
            Ok((doc, end)) => {
                assert_eq!(
                    span,
                    Some(&data[start..end]),
                    "reader and brace span differ"
                );
                let value = serde_json::from_slice::<Value>(&data[start..end]);
                assert_eq!(
                    value.ok(),
                    Some(doc.root().to_value()),
                    "prefix value disagrees"
                );
            }
            Err(_) => {
                if let Some(span) = span {
                    assert!(
                        serde_json::from_slice::<Value>(span).is_err(),
                        "serde_json reads the span the reader refused"
                    );
                }
            }
        }
    }

    let json = python_repr_to_json(data);
    if let Ok(doc) = Doc::parse(&json) {
        if doc.root().is_object() {
            check_decisions(
                &vendors.decode(doc.root()).into_iter().collect::<Vec<_>>(),
                vendors.vendors().len(),
            );
        }
    }

    let (decoded, used) = unescape_json_string(data);
    assert!(used <= data.len(), "unescape used {used} of {}", data.len());
    assert!(
        used == data.len() || matches!(data[used], b'"' | b'\n'),
        "unescape stopped at {used}, not at a quote or newline"
    );
    assert!(decoded.len() <= data.len() * 3, "unescape grew the text");

    let opens = data
        .iter()
        .enumerate()
        .filter(|(_, &b)| b == b'{')
        .map(|(i, _)| i)
        .take(8);
    for start in opens.chain([0, data.len()]) {
        for quotes in [&b"\""[..], b"'\"", b""] {
            if let Some(close) = find_close(data, start, quotes) {
                assert!(close >= start && close < data.len());
                assert_eq!(data[close], b'}', "find_close({start}) gave a non-brace");
            }
        }
        let ws = skip_ws(data, start);
        assert!(ws >= start && ws <= data.len().max(start));
    }
}

/// `timestamp`: every parser, on bytes and on text, must not panic.
pub fn check_timestamp(data: &[u8]) {
    for year in [YEAR, 2024] {
        let _ = timestamp::from_line_prefix(data, year);
    }
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = timestamp::from_str(text, YEAR);
    let _ = timestamp::from_json_value(&Value::String(text.to_owned()), YEAR);
    let _ = errscope::timespec::parse_duration(text);
    let now = Timestamp::from_second(1_763_633_702).expect("fixed now");
    for now in [now, Timestamp::MIN, Timestamp::MAX] {
        let _ = errscope::timespec::parse_bound(text, now);
    }
}

/// `config`: any text either loads or is refused with an error; a loaded
/// config builds its engine and alert rules.
pub fn check_config(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::parse(text, "fuzz.toml") {
        let engine = config.engine(None).expect("parse validated the engine");
        // The scanner sizes its buffer by the cap: it must stay bounded.
        assert!(engine.max_line <= MAX_LINE_LIMIT);
        config.alerts().expect("parse validated the alerts");
    }
}
