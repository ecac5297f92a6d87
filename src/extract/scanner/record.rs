//! Records longer than a line: Docker's split parts joined, and the
//! pretty-printed body around a key found by its braces.

use memchr::{memchr, memrchr};

use super::{Scanner, MAX_RECORD_BYTES};
use crate::extract::docker;
use crate::extract::span::find_close;

impl Scanner<'_> {
    /// Docker's json-file driver splits a line longer than 16 KiB into
    /// several wrapper lines; only the last one's `log` ends in `\n`. When
    /// the hit line is such a part (or follows one), the parts are joined
    /// into one wrapper so a body cut in two is still decoded.
    pub(super) fn docker_record(
        &self,
        buf: &[u8],
        line_start: usize,
        line_end: usize,
        data_end: usize,
        at_eof: bool,
    ) -> Record {
        const MAX_PARTS: usize = 256;
        let budget = self.engine.max_line;
        // Parts already counted (before `record_floor`) are not joined again.
        let floor_at =
            usize::try_from(self.record_floor.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let mut first = line_start;
        let mut parts = 0;
        while first > floor_at && parts < MAX_PARTS && line_end - first <= budget {
            let prev_start = memrchr(b'\n', &buf[..first - 1]).map_or(0, |i| i + 1);
            if !docker::is_partial(&buf[prev_start..first - 1]) {
                break;
            }
            first = prev_start;
            parts += 1;
        }
        let mut end = line_end;
        let mut last = &buf[line_start..line_end];
        while docker::is_partial(last) {
            // `end` is the newline of `last`: the next line starts after it.
            if end + 1 >= data_end {
                if !at_eof && end - first <= budget {
                    return Record::NeedMore { start: first };
                }
                break;
            }
            let next_end = memchr(b'\n', &buf[end + 1..data_end]).map_or(data_end, |i| end + 1 + i);
            let next = &buf[end + 1..next_end];
            if !docker::is_wrapper(next) || next_end - first > budget || parts >= MAX_PARTS {
                break;
            }
            end = next_end;
            last = next;
            parts += 1;
        }
        if first == line_start && end == line_end {
            return Record::None;
        }
        match docker::join(&buf[first..end]) {
            Some(text) => Record::Joined {
                start: first,
                end,
                text,
            },
            None => Record::None,
        }
    }

    /// Finds the `{` that opens the record holding the anchor at `anchor`,
    /// then its closing `}`.
    pub(super) fn assemble_record(
        &self,
        buf: &[u8],
        line_start: usize,
        anchor: usize,
        data_end: usize,
        at_eof: bool,
    ) -> Record {
        // Not from before `record_floor`.
        let floor_at =
            usize::try_from(self.record_floor.saturating_sub(self.base)).unwrap_or(usize::MAX);
        let floor = anchor.saturating_sub(MAX_RECORD_BYTES).max(floor_at);
        if floor >= anchor {
            return Record::None;
        }
        let Some(open) = enclosing_open(&buf[floor..anchor]).map(|i| floor + i) else {
            return Record::None;
        };
        let open_line = memrchr(b'\n', &buf[..open]).map_or(0, |i| i + 1);
        let limit = (open + MAX_RECORD_BYTES).min(data_end);
        match find_close(&buf[..limit], open, b"\"") {
            // A record holding a line over the cap is passed over, as the
            // line itself would be: a reader whose reads split that line
            // drops it (and the look-behind before it) unseen.
            Some(close)
                if close >= line_start
                    && has_long_line(
                        &buf[open_line..data_end],
                        close - open_line,
                        self.engine.max_line,
                    ) =>
            {
                Record::None
            }
            Some(close) if close >= line_start => Record::Found {
                start: open_line,
                end: close,
            },
            // Closes before this line: the anchor is not inside it.
            Some(_) => Record::None,
            None if limit == open + MAX_RECORD_BYTES || at_eof => {
                Record::Broken { start: open_line }
            }
            None => Record::NeedMore { start: open_line },
        }
    }
}

pub(super) enum Record {
    Found {
        start: usize,
        end: usize,
    },
    /// Docker's split parts joined: lines `start..end` made `text`.
    Joined {
        start: usize,
        end: usize,
        text: Vec<u8>,
    },
    NeedMore {
        start: usize,
    },
    Broken {
        start: usize,
    },
    None,
}

/// Whether a line of `text` (from its start through the line holding
/// `text[last]`) is longer than `max_line`.
fn has_long_line(text: &[u8], last: usize, max_line: usize) -> bool {
    let end = memchr(b'\n', &text[last..]).map_or(text.len(), |i| last + i);
    let mut start = 0;
    for nl in memchr::memchr_iter(b'\n', &text[..end]).chain([end]) {
        if nl - start > max_line {
            return true;
        }
        start = nl + 1;
    }
    false
}

/// Index of the unmatched `{` nearest the end of `text`, which ends with
/// the opening quote of a key. When that quote is a bare `"` (plain JSON),
/// braces inside the strings before it are passed over (`"message":
/// "a } b"` must not hide the body's own brace); in escaped and Python
/// text the quotes are not told apart that surely, and every brace counts.
pub(super) fn enclosing_open(text: &[u8]) -> Option<usize> {
    let (&key_quote, before) = text.split_last()?;
    let plain_json = key_quote == b'"' && before.last() != Some(&b'\\');
    let mut depth = 0usize;
    let mut in_string = false;
    for (i, &byte) in before.iter().enumerate().rev() {
        if plain_json && byte == b'"' && is_unescaped(before, i) {
            in_string = !in_string;
            continue;
        }
        if in_string {
            continue;
        }
        match byte {
            b'}' => depth += 1,
            b'{' if depth == 0 => return Some(i),
            b'{' => depth -= 1,
            _ => {}
        }
    }
    None
}

/// Whether the quote at `text[at]` ends or starts a string: preceded by an
/// even number of backslashes.
fn is_unescaped(text: &[u8], at: usize) -> bool {
    let backslashes = text[..at].iter().rev().take_while(|&&b| b == b'\\').count();
    backslashes % 2 == 0
}

/// Whether the anchor at `line[start..end]` is written as a key (`"key":`,
/// `'key':`, `\"key\":`) on a line that does not hold its whole object —
/// the mark of a pretty-printed body.
pub(super) fn looks_like_key(line: &[u8], start: usize, end: usize) -> bool {
    let quoted_before = start > 0 && matches!(line[start - 1], b'"' | b'\'');
    let mut i = end;
    while i < line.len() && matches!(line[i], b'"' | b'\'' | b'\\') {
        i += 1;
    }
    while i < line.len() && matches!(line[i], b' ' | b'\t') {
        i += 1;
    }
    let colon_after = i > end && line.get(i) == Some(&b':');
    let opened_here = memchr(b'{', &line[..start]).is_some();
    let closed_here = memchr(b'}', &line[end..]).is_some();
    quoted_before && colon_after && !(opened_here && closed_here)
}
