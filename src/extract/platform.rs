//! What the scanner must know about who wrote a stream. CRI files
//! (containerd, CRI-O) and journal exports hold lines the pre-filter cannot
//! find alone: a CRI partial line's pieces (a key may be cut in two) and a
//! journal `MESSAGE` written as an array of bytes. Such streams are told by
//! their first line, and only they pay for the extra search.
//!
//! Also here: the time of a record's header, for a record without a time
//! of its own.

use jiff::Timestamp;
use memchr::{memchr, memrchr};

use super::engine::Engine;
use super::line::{decode_cri, decode_record, LineOutcome};
use super::{cri, journald, timestamp};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// No complete line seen yet.
    Unknown,
    Plain,
    Cri,
    Journald,
}

impl Layout {
    pub fn of_first_line(line: &[u8]) -> Layout {
        if cri::parse(line).is_some() {
            Layout::Cri
        } else if journald::is_entry(line) {
            Layout::Journald
        } else {
            Layout::Plain
        }
    }

    /// Line start of the next line in `buf[from..data_end]` the pre-filter
    /// cannot find alone (the first piece of a CRI partial line, a journal
    /// entry whose `MESSAGE` is an array), passing over lines `taken` says
    /// were decoded already.
    pub fn next_special(
        self,
        buf: &[u8],
        mut from: usize,
        data_end: usize,
        taken: impl Fn(usize) -> bool,
    ) -> Option<usize> {
        loop {
            let at = match self {
                Layout::Cri => cri::next_partial(buf, from, data_end)?,
                Layout::Journald => journald::next_binary_message(buf, from, data_end)?,
                Layout::Unknown | Layout::Plain => return None,
            };
            if !taken(at) {
                return Some(at);
            }
            from = memchr(b'\n', &buf[at..data_end]).map_or(data_end, |i| at + i + 1);
        }
    }

    /// Decodes the special line at `buf[at]`; `None` to wait for more data
    /// (a partial line whose `F` has not arrived).
    pub fn special_line(
        self,
        engine: &Engine,
        buf: &[u8],
        at: usize,
        data_end: usize,
        at_eof: bool,
    ) -> Option<Special> {
        let line_end = memchr(b'\n', &buf[at..data_end]).map_or(data_end, |i| at + i);
        let line = &buf[at..line_end];
        let mut special = Special {
            resume: line_end + 1,
            end: line_end,
            later: Vec::new(),
            too_long: false,
            decoded: None,
        };
        if self == Layout::Journald {
            if line.len() > engine.max_line {
                special.too_long = true;
            } else if let Some((message, time)) = journald::message_bytes(line) {
                special.decoded = decode_if_candidate(engine, &message, |text| {
                    let mut outcome = decode_record(text, &engine.vendors, engine.default_year);
                    outcome.time = time.or(outcome.time);
                    outcome
                });
            } else {
                // Not an entry after all: the line as any line.
                special.decoded = decode_if_candidate(engine, line, |text| {
                    decode_record(text, &engine.vendors, engine.default_year)
                });
            }
            return Some(special);
        }
        let run = match cri::gather(buf, at, data_end, at_eof, engine.max_line) {
            cri::Gathered::NeedMore => return None,
            cri::Gathered::Run(run) => run,
        };
        special.end = run.end;
        special.later = run.later;
        special.too_long = run.too_long;
        if let Some(head) = cri::parse(line).filter(|_| !run.too_long) {
            special.decoded = decode_if_candidate(engine, &run.content, |text| {
                decode_cri(&head, text, &engine.vendors, engine.default_year)
            });
        }
        Some(special)
    }
}

/// What a special line held.
#[derive(Debug)]
pub struct Special {
    /// Where scanning resumes (past the first line).
    pub resume: usize,
    /// Where the last line it used ends.
    pub end: usize,
    /// Line starts of the later lines it used (a partial line's pieces).
    pub later: Vec<usize>,
    /// Over the line cap: skipped.
    pub too_long: bool,
    /// What it held, with the vendors the pre-filter let through, when
    /// the pre-filter let any through.
    pub decoded: Option<(LineOutcome, u64)>,
}

fn decode_if_candidate(
    engine: &Engine,
    text: &[u8],
    decode: impl FnOnce(&[u8]) -> LineOutcome,
) -> Option<(LineOutcome, u64)> {
    let verified = candidates(engine, text);
    (verified != 0).then(|| (decode(text), verified))
}

/// The vendors whose whole shape is in `text`, as the scanner's pre-filter
/// check finds them on a line holding it.
fn candidates(engine: &Engine, text: &[u8]) -> u64 {
    let mut anchored = 0;
    let mut from = 0;
    while let Some(hit) = engine.prefilter.find(text, from, text.len()) {
        anchored |= hit.vendors;
        from = hit.end;
    }
    if anchored == 0 {
        return 0;
    }
    engine.prefilter.verify(text, anchored)
}

/// Whether the line at `buf[start]` reads as the continuation of the one
/// before (so a record of more than one line): it is indented, or the line
/// before ends with `:` (`codat error response:`). A line standing alone
/// (one JSON object per line) is no continuation.
pub fn continues_previous(buf: &[u8], start: usize) -> bool {
    if matches!(buf.get(start), Some(b' ' | b'\t')) {
        return true;
    }
    let Some(before) = start.checked_sub(1).map(|nl| &buf[..nl]) else {
        return false;
    };
    let line = &before[memrchr(b'\n', before).map_or(0, |i| i + 1)..];
    line.trim_ascii_end().ends_with(b":")
}

/// How far before a record without a time of its own its header (the
/// nearest line starting with a time) is looked for, in bytes and lines.
pub const HEADER_LOOK_BACK: usize = 8 * 1024;
pub const HEADER_LINES: usize = 16;

/// The time of the header of a record starting at `buf[start]` (a line
/// start) that has none of its own: the nearest line before it that starts
/// with a time, within [`HEADER_LINES`] lines and [`HEADER_LOOK_BACK`]
/// bytes, not before `floor` (a line start when `floor_is_line_start`) and
/// not across a line over `max_line`.
pub fn header_time(
    buf: &[u8],
    start: usize,
    floor: usize,
    floor_is_line_start: bool,
    max_line: usize,
    default_year: i16,
) -> Option<Timestamp> {
    let low = start.saturating_sub(HEADER_LOOK_BACK).max(floor);
    let mut end = start;
    for _ in 0..HEADER_LINES {
        if end <= low {
            return None;
        }
        // `buf[end - 1]` is the newline ending the line before.
        let line_start = match memrchr(b'\n', &buf[low..end - 1]) {
            Some(i) => low + i + 1,
            None if low == floor && floor_is_line_start => low,
            None => return None,
        };
        let line = &buf[line_start..end - 1];
        if line.len() > max_line {
            return None;
        }
        if let Some(time) = timestamp::from_line_prefix(line, default_year) {
            return Some(time);
        }
        end = line_start;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(text: &str) -> Option<String> {
        let start = text.len();
        header_time(text.as_bytes(), start, 0, true, 4096, 2026).map(|t| t.to_string())
    }

    #[test]
    fn the_nearest_timestamped_line_before_is_the_header() {
        let text = "2026-11-18 22:58:18.000 INFO x\n\
            2026-11-18 22:58:19.129 [pool-2-thread-1] ERROR c.e.sync.CodatSync - codat error response:\n\
            \tat c.e.Sync.run(Sync.java:12)\n";
        assert_eq!(header(text).as_deref(), Some("2026-11-18T22:58:19.129Z"));
        // At the stream's start.
        assert_eq!(
            header("2026-11-18 22:58:19 x\n").as_deref(),
            Some("2026-11-18T22:58:19Z")
        );
        assert_eq!(header(""), None);
        // Not beyond the line bound, nor the byte bound.
        let far = format!("2026-11-18 22:58:19 x\n{}", "y\n".repeat(HEADER_LINES));
        assert_eq!(header(&far), None);
        let near = format!("2026-11-18 22:58:19 x\n{}", "y\n".repeat(HEADER_LINES - 1));
        assert!(header(&near).is_some());
        let wide = format!("2026-11-18 22:58:19 x\n{}\n", "y".repeat(HEADER_LOOK_BACK));
        assert_eq!(header(&wide), None);
        // Not before the floor, whose line is cut there.
        let text = "2026-11-18 22:58:19 x\nyyy\n";
        let bytes = text.as_bytes();
        assert_eq!(header_time(bytes, bytes.len(), 3, false, 4096, 2026), None);
        assert_eq!(header_time(bytes, bytes.len(), 22, true, 4096, 2026), None);
    }

    #[test]
    fn continuation_lines() {
        let text = b"2026-11-18 22:58:19 ERROR codat said:\n{\"a\":1}\n  at x\n{\"b\":2}\n";
        let at = |needle: &[u8]| memchr::memmem::find(text, needle).unwrap();
        assert!(continues_previous(text, at(b"{\"a")));
        assert!(continues_previous(text, at(b"  at")));
        assert!(!continues_previous(text, at(b"{\"b")));
        assert!(!continues_previous(text, 0));
    }

    #[test]
    fn streams_are_told_by_their_first_line() {
        assert_eq!(
            Layout::of_first_line(b"2026-11-20T10:15:02.1Z stdout F x"),
            Layout::Cri
        );
        assert_eq!(
            Layout::of_first_line(br#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1"}"#),
            Layout::Journald
        );
        assert_eq!(Layout::of_first_line(b"2026-11-20 x"), Layout::Plain);
    }
}
