//! Property tests of the extract path: a vendor body in any supported
//! wrapper, amid arbitrary noise, fed in arbitrary chunks, is counted
//! exactly once; noise alone never produces a count.

mod common;

use common::{escape, python_repr};
use errscope::extract::chunk;
use errscope::extract::line::decode_line;
use errscope::extract::scanner::{Engine, Event, EventSink, Scanner, DEFAULT_MAX_LINE};
use errscope::vendors::{Decision, SkipReason, VendorSet};
use proptest::prelude::*;

#[derive(Default)]
struct Collect {
    codes: Vec<(String, String)>,
}

impl EventSink for Collect {
    fn error(&mut self, event: &Event<'_>) -> std::io::Result<bool> {
        self.codes
            .push((event.error.vendor.to_string(), event.error.code.clone()));
        Ok(true)
    }
    fn skipped(&mut self, _vendor: Option<usize>, _reason: SkipReason) {}
}

const BODIES: [(&str, &str); 5] = [
    (
        r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#,
        "1200",
    ),
    (
        r#"{"version":"v2_0_0","status":401,"exception":{"message":"Token could not be located.","code":1002}}"#,
        "1002",
    ),
    (
        r#"{"error_code":7,"error_message":"AUTH INVALID","details":null}"#,
        "7",
    ),
    (
        r#"{"error":{"en":"<user:id> not valid"},"error_code":"400","http_code":"409","success":false}"#,
        "400",
    ),
    (
        r#"{"statusCode":402,"service":"PublicApi","error":"CompanyValidationException: x","correlationId":"0"}"#,
        "CompanyValidationException",
    ),
];

/// The supported wrappers, each producing one or more whole lines.
fn wrap(body: &str, wrapper: usize) -> String {
    let value: serde_json::Value = serde_json::from_str(body).unwrap();
    match wrapper {
        0 => body.to_string(),
        1 => format!("2026-11-20 10:15:02,123 ERROR [client] failed: {body} after 3ms"),
        2 => format!(r#"{{"ts":"2026-11-20T10:15:02Z","level":"error","body":"{}"}}"#, escape(body)),
        3 => format!(r#"{{"level":"error","status":502,"message":"upstream","code":"E","vendor":{body}}}"#),
        4 => serde_json::json!({"log": format!("2026-11-20T10:15:02Z ERROR x {body}\n"), "stream": "stderr", "time": "2026-11-20T10:15:02.1Z"}).to_string(),
        5 => format!(r#"level=error msg="failed" body="{}" dur=1ms"#, escape(body)),
        6 => format!("ERROR failed:\n{}", serde_json::to_string_pretty(&value).unwrap()),
        7 => format!("ERROR py: {}", python_repr(&value)),
        _ => format!("2026-11-20 10:15:02 ERROR {body}\r"),
    }
}

/// Noise lines: printable text, vendor key names included, no braces.
fn noise_line() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop_oneof![
            "[a-zA-Z0-9 =:,./_-]{0,40}",
            Just("response".to_string()),
            Just("\"code\":".to_string()),
            Just("statusCode=200".to_string()),
            Just("exception".to_string()),
            Just("error_code error_message".to_string()),
            Just("correlationId http_code".to_string()),
        ],
        0..6,
    )
    .prop_map(|parts| parts.concat())
}

fn scan_in_chunks(input: &[u8], cuts: &[usize]) -> Collect {
    let engine = Engine::new(VendorSet::builtin().unwrap(), DEFAULT_MAX_LINE).unwrap();
    let mut scanner = Scanner::new(&engine);
    let mut sink = Collect::default();
    let mut last = 0;
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (input.len() + 1)).collect();
    points.sort_unstable();
    for point in points {
        scanner
            .feed(&input[last..point.max(last)], &mut sink)
            .unwrap();
        last = point.max(last);
    }
    scanner.feed(&input[last..], &mut sink).unwrap();
    scanner.finish(&mut sink).unwrap();
    sink
}

/// The keys of the vendors' shapes, and a few others.
const KEYS: [&str; 18] = [
    "status",
    "message",
    "response",
    "version",
    "exception",
    "error_code",
    "error_message",
    "details",
    "error",
    "http_code",
    "success",
    "statusCode",
    "service",
    "correlationId",
    "code",
    "level",
    "http",
    "en",
];

/// A JSON value built from the shapes' keys: objects nested three deep,
/// with values of every kind, some of them a vendor body, most near misses
/// (a key missing, or in another object, or holding the wrong kind).
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{json, Value};
    let leaf = prop_oneof![
        any::<i16>().prop_map(|n| json!(n)),
        prop_oneof![Just("409"), Just("PublicApi"), Just("m"), Just("E: x")].prop_map(|s| json!(s)),
        any::<bool>().prop_map(|b| json!(b)),
        Just(Value::Null),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec((0..KEYS.len(), inner.clone()), 0..6).prop_map(|members| {
                Value::Object(
                    members
                        .into_iter()
                        .map(|(key, value)| (KEYS[key].to_string(), value))
                        .collect(),
                )
            }),
            prop::collection::vec(inner, 0..3).prop_map(Value::Array),
        ]
    })
}

/// A line holding such a value as a log line would: bare, after text,
/// escaped in a string, as a Python repr.
fn value_line() -> impl Strategy<Value = String> {
    (json_value(), 0usize..BODIES.len(), 0usize..4, 0usize..4).prop_map(
        |(mut value, body, place, wrapper)| {
            // Often a body's members, some moved into a child object.
            if let Some(object) = value.as_object_mut() {
                let body: serde_json::Value = serde_json::from_str(BODIES[body].0).unwrap();
                for (at, (key, member)) in body.as_object().unwrap().iter().enumerate() {
                    match (place + at) % 4 {
                        0 => {}
                        1 => {
                            let child = object
                                .entry("http")
                                .or_insert_with(|| serde_json::json!({}));
                            if let Some(child) = child.as_object_mut() {
                                child.insert(key.clone(), member.clone());
                            }
                        }
                        _ => {
                            object.insert(key.clone(), member.clone());
                        }
                    }
                }
            }
            let text = value.to_string();
            match wrapper {
                0 => text,
                1 => format!("2026-11-20 10:15:02 ERROR x {text} took 3ms"),
                2 => format!(r#"{{"level":"error","body":"{}"}}"#, escape(&text)),
                _ => format!("ERROR py: {}", python_repr(&value)),
            }
        },
    )
}

/// A body wrapped as [`wrap`] does, or in a Docker line split in two parts.
fn record(body: usize, wrapper: usize) -> String {
    let (text, _) = BODIES[body];
    if wrapper < 9 {
        return wrap(text, wrapper);
    }
    let line = format!("2026-11-20T10:15:02Z ERROR x {text}");
    let cut = line.len() / 2;
    let part = |log: &str| {
        serde_json::json!({"log": log, "stream": "stderr", "time": "2026-11-20T10:15:02.1Z"})
            .to_string()
    };
    format!(
        "{}\n{}",
        part(&line[..cut]),
        part(&format!("{}\n", &line[cut..]))
    )
}

/// What a scan tells, as (vendor, code, line, offset) and skips.
#[derive(Default, Debug, PartialEq)]
struct Told {
    errors: Vec<(usize, String, u64, u64)>,
    skipped: Vec<(Option<usize>, SkipReason)>,
    /// Added to the line numbers told (the lines of the chunks before).
    lines_before: u64,
}

impl EventSink for Told {
    fn error(&mut self, event: &Event<'_>) -> std::io::Result<bool> {
        self.errors.push((
            event.error.vendor,
            event.error.code.clone(),
            event.line + self.lines_before,
            event.offset,
        ));
        Ok(true)
    }
    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        self.skipped.push((vendor, reason));
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// A stream cut into chunks at any points (moved to where a chunk may
    /// begin), each chunk scanned on its own, tells what the whole scan
    /// does: the same errors with the same line numbers and offsets, the
    /// same skips, the same lines.
    #[test]
    fn chunks_scanned_apart_tell_what_the_whole_does(
        records in prop::collection::vec((0usize..BODIES.len(), 0usize..10), 1..8),
        noise in prop::collection::vec(prop::collection::vec(noise_line(), 0..4), 8),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
        unterminated in any::<bool>(),
    ) {
        let mut input = String::new();
        for (at, (body, wrapper)) in records.iter().enumerate() {
            for line in &noise[at % noise.len()] {
                input.push_str(line);
                input.push('\n');
            }
            input.push_str(&record(*body, *wrapper));
            input.push('\n');
        }
        if unterminated {
            input.push_str("tail without newline");
        }
        let data = input.as_bytes();
        let engine = Engine::new(VendorSet::builtin().unwrap(), DEFAULT_MAX_LINE).unwrap();
        let mut whole = Told::default();
        let mut scanner = Scanner::new(&engine);
        scanner.scan_slice(data, &mut whole, &mut |_| {}).unwrap();
        let whole_lines = scanner.stats().lines;

        // Where a chunk may begin, and (odd cuts) any line start at all: a
        // record running across the cut is still told once.
        let mut starts: Vec<usize> = cuts
            .iter()
            .filter_map(|cut| {
                let at = cut % (data.len() + 1);
                if cut % 2 == 0 {
                    chunk::start_at(data, at, data.len())
                } else {
                    data[at..].iter().position(|&b| b == b'\n').map(|nl| at + nl + 1)
                }
            })
            .collect();
        starts.push(0);
        starts.sort_unstable();
        starts.dedup();
        let mut chunked = Told::default();
        for (at, &start) in starts.iter().enumerate() {
            let end = starts.get(at + 1).copied().unwrap_or(data.len());
            let mut scanner = Scanner::new(&engine);
            let lines = scanner.scan_chunk(data, start, end, &mut chunked, &mut |_| {}).unwrap();
            chunked.lines_before += lines;
        }
        prop_assert_eq!(&chunked.errors, &whole.errors, "chunks at {:?}:\n{}", starts, input);
        prop_assert_eq!(&chunked.skipped, &whole.skipped);
        prop_assert_eq!(chunked.lines_before, whole_lines);
    }

    /// The pre-filter turns away only lines that hold no body: scanning
    /// the lines counts what decoding each of them does.
    #[test]
    fn the_prefilter_passes_every_line_a_body_is_on(
        lines in prop::collection::vec(value_line(), 1..12),
        cuts in prop::collection::vec(any::<usize>(), 0..4),
    ) {
        let set = VendorSet::builtin().unwrap();
        let mut want = Vec::new();
        for line in &lines {
            for decision in decode_line(line.as_bytes(), &set, 2026).decisions {
                if let Decision::Error(error) = decision {
                    want.push((error.vendor.to_string(), error.code));
                }
            }
        }
        let input = lines.join("\n");
        let found = scan_in_chunks(input.as_bytes(), &cuts);
        prop_assert_eq!(found.codes, want, "input:\n{}", input);
    }

    #[test]
    fn a_wrapped_body_amid_noise_counts_once(
        body in 0usize..BODIES.len(),
        wrapper in 0usize..9,
        before in prop::collection::vec(noise_line(), 0..8),
        after in prop::collection::vec(noise_line(), 0..8),
        cuts in prop::collection::vec(any::<usize>(), 0..12),
    ) {
        let (text, code) = BODIES[body];
        let mut input = String::new();
        for line in &before { input.push_str(line); input.push('\n'); }
        input.push_str(&wrap(text, wrapper));
        input.push('\n');
        for line in &after { input.push_str(line); input.push('\n'); }
        let found = scan_in_chunks(input.as_bytes(), &cuts);
        prop_assert_eq!(found.codes.len(), 1, "input:\n{}", input);
        prop_assert_eq!(&found.codes[0].1, code);
    }

    #[test]
    fn noise_alone_counts_nothing(
        lines in prop::collection::vec(noise_line(), 0..40),
        cuts in prop::collection::vec(any::<usize>(), 0..8),
    ) {
        let input = lines.join("\n");
        prop_assert!(scan_in_chunks(input.as_bytes(), &cuts).codes.is_empty());
    }

    #[test]
    fn arbitrary_bytes_never_panic(data in prop::collection::vec(any::<u8>(), 0..4096), cuts in prop::collection::vec(any::<usize>(), 0..8)) {
        scan_in_chunks(&data, &cuts);
    }
}

/// One CRI line (`<time> <stream> <tag> <content>`).
fn cri(stream: &str, tag: char, content: &str) -> String {
    format!("2026-11-20T10:15:02.123456789Z {stream} {tag} {content}\n")
}

fn sorted_codes(found: Collect) -> Vec<(String, String)> {
    let mut codes = found.codes;
    codes.sort();
    codes
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 12, ..ProptestConfig::default() })]

    /// A wrapped body on a CRI line, split into `P` pieces at every byte
    /// position (keys cut in two included) and at one more, with the other
    /// stream's lines (whole, or its own pieces) between the pieces, read
    /// in arbitrary chunks: the same counts as the unsplit line.
    #[test]
    fn cri_pieces_split_anywhere_count_as_the_whole_line(
        body in 0usize..BODIES.len(),
        wrapper in prop::sample::select(vec![0usize, 1, 2, 3, 4, 5, 7, 8]),
        on_stderr in any::<bool>(),
        other in prop::collection::vec((noise_line(), 0usize..BODIES.len(), any::<bool>()), 1..4),
        second_cut in any::<usize>(),
        cuts in prop::collection::vec(any::<usize>(), 0..6),
    ) {
        let (text, _) = BODIES[body];
        let content = wrap(text, wrapper);
        let (stream, other_stream) = if on_stderr { ("stderr", "stdout") } else { ("stdout", "stderr") };
        // The other stream's lines: noise, or a body (some of them split
        // in two pieces of their own).
        let others: Vec<String> = other
            .iter()
            .map(|(noise, other_body, split)| {
                let line = format!("{noise} {}", BODIES[*other_body].0);
                if *split {
                    let at = line.len() / 3;
                    cri(other_stream, 'P', &line[..at]) + &cri(other_stream, 'F', &line[at..])
                } else {
                    cri(other_stream, 'F', &line)
                }
            })
            .collect();
        let whole = [cri(stream, 'F', &content), others.concat()].concat();
        let want = sorted_codes(scan_in_chunks(whole.as_bytes(), &[]));
        prop_assert_eq!(want.len(), 1 + others.len());
        let boundaries: Vec<usize> = (0..=content.len()).filter(|&i| content.is_char_boundary(i)).collect();
        for &at in &boundaries {
            let more = boundaries[second_cut % boundaries.len()];
            let (first, last) = (at.min(more), at.max(more));
            let pieces = [&content[..first], &content[first..last], &content[last..]];
            let mut input = String::new();
            for (n, piece) in pieces.iter().enumerate() {
                let tag = if n == pieces.len() - 1 { 'F' } else { 'P' };
                input.push_str(&cri(stream, tag, piece));
                if let Some(line) = others.get(n) {
                    input.push_str(line);
                }
            }
            for line in others.iter().skip(pieces.len()) {
                input.push_str(line);
            }
            let got = sorted_codes(scan_in_chunks(input.as_bytes(), &cuts));
            prop_assert_eq!(&got, &want, "cut at {} and {}:\n{}", first, last, input);
        }
    }
}
