//! Decoding one candidate line (or an assembled multi-line record): every
//! embedded JSON object — bare, after a prefix, nested, escaped one or more
//! levels deep, in a Docker wrapper, in a logfmt value, as a Python repr —
//! is offered to the vendor set exactly once.

use jiff::Timestamp;
use memchr::memchr;

use super::span::{find_close, python_repr_to_json, skip_ws, unescape_json_string};
use super::{clean, cri, journald, timestamp};
use crate::vendors::json::same_bytes;
use crate::vendors::{Decision, Doc, Json, SkipReason, VendorSet};

/// How deep escaped-inside-string bodies are followed.
const MAX_DEPTH: u8 = 4;

/// What one candidate line holds.
#[derive(Debug, Default)]
pub struct LineOutcome {
    pub decisions: Vec<Decision>,
    pub time: Option<Timestamp>,
    /// Set when a vendor-looking span could not be decoded; it only
    /// matters when `decisions` is empty.
    pub broken: Option<SkipReason>,
}

/// Decodes a line or multi-line record as the scanner finds it: a CRI
/// line's content with the time [`cri::event_time`] gives it, anything
/// else as it is ([`decode_line`]); colours are taken out first.
pub fn decode_record(text: &[u8], vendors: &VendorSet, default_year: i16) -> LineOutcome {
    match cri::record_content(text) {
        Some((head, content)) => decode_cri(&head, &content, vendors, default_year),
        None => decode_line(&clean::strip_ansi(text), vendors, default_year),
    }
}

/// Decodes `content` found on the CRI line `head` (its content, or the
/// pieces of a partial line joined).
pub fn decode_cri(
    head: &cri::CriLine<'_>,
    content: &[u8],
    vendors: &VendorSet,
    default_year: i16,
) -> LineOutcome {
    let year = head.timestamp().map_or(default_year, |t| {
        t.to_zoned_datetime(jiff::tz::TimeZone::UTC).year()
    });
    let content = clean::strip_ansi(content);
    let mut outcome = decode_line(&content, vendors, year);
    outcome.time = cri::event_time(head, outcome.time, &content);
    outcome
}

/// Decodes every vendor body in `text`.
pub fn decode_line(text: &[u8], vendors: &VendorSet, default_year: i16) -> LineOutcome {
    let mut walker = Walker {
        vendors,
        default_year,
        outcome: LineOutcome {
            time: timestamp::from_line_prefix(text, default_year),
            ..LineOutcome::default()
        },
    };
    walker.scan_text(text, 0);
    walker.outcome
}

struct Walker<'a> {
    vendors: &'a VendorSet,
    default_year: i16,
    outcome: LineOutcome,
}

impl Walker<'_> {
    fn scan_text(&mut self, text: &[u8], depth: u8) {
        if depth > 0 && self.outcome.time.is_none() {
            self.outcome.time = timestamp::from_line_prefix(text, self.default_year);
        }
        let mut i = 0;
        while let Some(offset) = memchr(b'{', &text[i..]) {
            let start = i + offset;
            let next = skip_ws(text, start + 1);
            i = match text.get(next) {
                Some(b'"') => self.object_span(text, start, depth, b"\""),
                Some(b'\\') if depth < MAX_DEPTH => {
                    let (decoded, used) = unescape_json_string(&text[start..]);
                    self.scan_text(&decoded, depth + 1);
                    start + used.max(1)
                }
                Some(b'\'') => self.object_span(text, start, depth, b"'\""),
                _ => start + 1,
            };
        }
    }

    /// Decodes the object at `start` (JSON, or a Python repr when `quotes`
    /// admits `'`); returns where scanning resumes.
    fn object_span(&mut self, text: &[u8], start: usize, depth: u8, quotes: &[u8]) -> usize {
        let python = quotes.contains(&b'\'');
        if !python {
            if let Ok((doc, end)) = Doc::parse_at(text, start) {
                self.walk(doc.root(), depth, true);
                return end;
            }
        }
        let Some(end) = find_close(text, start, quotes) else {
            self.note_broken(SkipReason::Truncated, &text[start..]);
            return start + 1;
        };
        let span = &text[start..=end];
        if python {
            if let Ok(doc) = Doc::parse(&python_repr_to_json(span)) {
                self.walk(doc.root(), depth, true);
                return end + 1;
            }
        }
        // Invalid UTF-8 or a stray byte in an outer log object must not
        // hide a valid body inside it: look inside instead.
        self.note_broken(SkipReason::Malformed, span);
        start + 1
    }

    fn walk(&mut self, value: Json<'_>, depth: u8, top: bool) {
        if value.is_object() {
            if top && self.outcome.time.is_none() {
                self.outcome.time = time_of(value, self.default_year);
            }
            let decision = self.vendors.decode(value);
            // A wrapper can look like a body (a logger's own `status`,
            // `message`, `code`): a body nested inside it wins.
            let before = self.outcome.decisions.len();
            for_each_child(value, |child| self.walk(child, depth, false));
            if self.outcome.decisions.len() == before {
                self.outcome.decisions.extend(decision);
            }
        } else if value.is_array() {
            for item in value.elements() {
                self.walk(item, depth, false);
            }
        } else if let Some(text) = value.string_bytes() {
            if depth < MAX_DEPTH && memchr(b'{', text).is_some() {
                self.scan_text(text, depth + 1);
            }
        }
    }

    fn note_broken(&mut self, reason: SkipReason, span: &[u8]) {
        let vendorish = self
            .vendors
            .vendors()
            .iter()
            .any(|v| memchr::memmem::find(span, v.anchor.as_bytes()).is_some());
        if vendorish && self.outcome.broken.is_none() {
            self.outcome.broken = Some(reason);
        }
    }
}

/// Which bytes start a key of [`timestamp::TIME_KEYS`].
static TIME_KEY_FIRST: [bool; 256] = {
    let mut table = [false; 256];
    let mut at = 0;
    while at < timestamp::TIME_KEYS.len() {
        table[timestamp::TIME_KEYS[at].as_bytes()[0] as usize] = true;
        at += 1;
    }
    table
};

/// The event time from an object's time field, trying the keys in
/// [`timestamp::TIME_KEYS`] order (the last repeat of a key counts).
fn time_of(obj: Json<'_>, default_year: i16) -> Option<Timestamp> {
    let mut found: [Option<Json<'_>>; timestamp::TIME_KEYS.len()] =
        [None; timestamp::TIME_KEYS.len()];
    for (key, value) in obj.members() {
        // Most keys are ruled out by their first byte.
        if !key.first().is_some_and(|&b| TIME_KEY_FIRST[usize::from(b)]) {
            continue;
        }
        if let Some(at) = timestamp::TIME_KEYS
            .iter()
            .position(|k| same_bytes(k.as_bytes(), key))
        {
            found[at] = Some(value);
        }
    }
    found
        .into_iter()
        .flatten()
        .find_map(|v| timestamp::from_json_value(&v.to_value(), default_year))
        .or_else(|| journald::entry_time(obj))
}

/// Visits the members of an object that may hold a body (objects, arrays,
/// strings with a `{`) once per key, the last repeat winning, in key
/// order: the events and their order stay those of a sorted map.
fn for_each_child<'d>(obj: Json<'d>, mut visit: impl FnMut(Json<'d>)) {
    let may_hold = |value: &Json<'_>| {
        value.is_object()
            || value.is_array()
            || value
                .string_bytes()
                .is_some_and(|text| memchr(b'{', text).is_some())
    };
    let mut candidates = obj.members().enumerate().filter(|(_, (_, v))| may_hold(v));
    let Some((index, (key, value))) = candidates.next() else {
        return;
    };
    if candidates.next().is_none() {
        // The usual wrapper: one payload member.
        if !obj
            .members()
            .skip(index + 1)
            .any(|(later, _)| same_bytes(later, key))
        {
            visit(value);
        }
        return;
    }
    let mut members: Vec<(&[u8], usize, Json<'d>)> = obj
        .members()
        .enumerate()
        .map(|(index, (key, value))| (key, index, value))
        .collect();
    members.sort_by(|a, b| a.0.cmp(b.0).then(a.1.cmp(&b.1)));
    for (at, (key, _, value)) in members.iter().enumerate() {
        let last_repeat = members.get(at + 1).is_none_or(|next| next.0 != *key);
        if last_repeat && may_hold(value) {
            visit(*value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn codes(line: &str) -> Vec<String> {
        let set = VendorSet::builtin().unwrap();
        decode_line(line.as_bytes(), &set, 2026)
            .decisions
            .into_iter()
            .map(|d| match d {
                Decision::Error(e) => format!("{}:{}:{:?}", set.get(e.vendor).id, e.code, e.status),
                Decision::Skipped { vendor, reason } => {
                    format!("{}:skipped:{}", set.get(vendor).id, reason.as_str())
                }
            })
            .collect()
    }

    const OCROLUS: &str =
        r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;

    #[test]
    fn every_embedding_is_found_once() {
        let want = vec!["ocrolus:1200:Some(400)".to_string()];
        assert_eq!(codes(OCROLUS), want);
        assert_eq!(
            codes(&format!(
                "2026-11-20 10:15:02,123 ERROR [ocr] failed: {OCROLUS} took 3ms"
            )),
            want
        );
        let escaped = OCROLUS.replace('"', "\\\"");
        assert_eq!(
            codes(&format!(
                r#"{{"level":"error","msg":"x","body":"{escaped}"}}"#
            )),
            want
        );
        assert_eq!(
            codes(&format!(
                r#"{{"level":"error","status":502,"message":"up","code":"E","vendor":{OCROLUS}}}"#
            )),
            want
        );
        let docker_inner = format!("2026-11-20T10:15:02Z ERROR call failed {OCROLUS}\n");
        let docker = serde_json::json!({"log": docker_inner, "stream": "stderr", "time": "2026-11-20T10:15:02.1Z"});
        assert_eq!(codes(&docker.to_string()), want);
        assert_eq!(
            codes(&format!(
                r#"level=error msg="failed" body="{escaped}" dur=12ms"#
            )),
            want
        );
        assert_eq!(
            codes(&format!(
                r#"{{"status":502,"message":"up","code":5,"response":null,"body":{OCROLUS}}}"#
            )),
            want,
            "a wrapper shaped like a body yields to the body inside it"
        );
        assert_eq!(codes(&format!("{OCROLUS} and again {OCROLUS}")).len(), 2);
        assert_eq!(
            codes("ERROR oz: {'error_code': 7, 'error_message': 'AUTH INVALID', 'details': None}"),
            vec!["ozforensics:7:None".to_string()]
        );
        let double = escaped.replace('\\', "\\\\").replace("\\\\\"", "\\\\\\\"");
        let twice = format!(r#"{{"log":"{{\"msg\":\"{double}\"}}"}}"#);
        assert_eq!(codes(&twice), want, "{twice}");
    }

    #[test]
    fn an_escaped_string_cut_at_a_line_end_does_not_swallow_the_next_line() {
        // A multi-line record whose first line leaves an escaped string
        // open: the bodies on the next line are all found.
        let record =
            format!("body=\"{{\\\"version\\\":\\\"v2 cut\n{OCROLUS} x {OCROLUS} y {OCROLUS}");
        assert_eq!(codes(&record).len(), 3, "{record}");
    }

    #[test]
    fn broken_bodies_are_reported() {
        let set = VendorSet::builtin().unwrap();
        let outcome = decode_line(
            br#"{"status":400,"response":null,"message":"Auth"#,
            &set,
            2026,
        );
        assert!(outcome.decisions.is_empty());
        assert_eq!(outcome.broken, Some(SkipReason::Truncated));
        let outcome = decode_line(br#"{"status":400,"response":nul}"#, &set, 2026);
        assert_eq!(outcome.broken, Some(SkipReason::Malformed));
        let outcome = decode_line(br#"{"status":400,"msg":nul}"#, &set, 2026);
        assert_eq!(outcome.broken, None, "no vendor key: not ours to report");
    }

    #[test]
    fn invalid_utf8_around_a_body() {
        let mut line = b"\xff\xfe{\"msg\":\"\xff\",\"x\":".to_vec();
        line.extend_from_slice(OCROLUS.as_bytes());
        line.extend_from_slice(b"}\x00\x00");
        let set = VendorSet::builtin().unwrap();
        assert_eq!(decode_line(&line, &set, 2026).decisions.len(), 1);
    }

    #[test]
    fn time_comes_from_prefix_or_fields() {
        let set = VendorSet::builtin().unwrap();
        let out = decode_line(
            format!("2026-11-20T10:15:02Z x {OCROLUS}").as_bytes(),
            &set,
            2026,
        );
        assert_eq!(out.time.unwrap().to_string(), "2026-11-20T10:15:02Z");
        let out = decode_line(
            format!(r#"{{"ts":1763633702,"body":{OCROLUS}}}"#).as_bytes(),
            &set,
            2026,
        );
        assert_eq!(out.time.unwrap().as_second(), 1763633702);
    }
}
