//! How a key is written in a log line: opened and closed by quotes (bare,
//! escaped or Python), and the first byte of the value after its colon.
//! The pre-filter and the shape checks read keys the same way.

use crate::vendors::ValueKind;

/// At most this many vendors (they are tracked in a `u64` bit set).
pub const MAX_VENDORS: usize = 64;

/// Whether `haystack[start..end]` is written as a key is: opened by a
/// quote and closed by one; if so, whether the key is escaped (`\"key\"`).
#[inline]
pub(super) fn written_as_key(haystack: &[u8], start: usize, end: usize) -> Option<bool> {
    let opened = start > 0 && matches!(haystack[start - 1], b'"' | b'\'');
    (opened && closes_key(haystack, end)).then(|| start >= 2 && haystack[start - 2] == b'\\')
}

/// Whether the literal ending at `end` is closed as a key is: by a quote,
/// or the `\` of `\"`.
#[inline]
pub(super) fn closes_key(haystack: &[u8], end: usize) -> bool {
    matches!(haystack.get(end), Some(b'"' | b'\'' | b'\\'))
}

/// What follows a quoted key: the first byte of its value, as far as the
/// searched range shows it.
#[derive(Debug, Clone, Copy)]
pub(super) enum ValueStart {
    /// No `:` after the closing quote: a value or text, not a key.
    NotAKey,
    /// The range ends first, or an escape (`\n` of a pretty body inside a
    /// string) hides the value: anything may follow.
    Unknown,
    First(u8),
}

impl ValueStart {
    /// Whether a key followed by this can hold a value of `kind`. For a key
    /// inside an escaped string (`\"key\"`), a bare `"` is the end of that
    /// string, so the rest may follow in the next part of a split line
    /// (Docker's 16 KiB split): only a visible value can rule it out.
    pub(super) fn admits(self, kind: ValueKind, escaped_key: bool) -> bool {
        let first = match self {
            ValueStart::NotAKey => return escaped_key,
            ValueStart::First(b'"') if escaped_key => return true,
            ValueStart::Unknown => return true,
            ValueStart::First(byte) => byte,
        };
        match kind {
            ValueKind::Any => true,
            ValueKind::Object => first == b'{',
            ValueKind::Array => first == b'[',
            ValueKind::Text => matches!(first, b'"' | b'\''),
            ValueKind::Number => matches!(first, b'-' | b'0'..=b'9'),
            // JSON true/false/null, Python True/False/None.
            ValueKind::Bool => matches!(first, b't' | b'f' | b'T' | b'F'),
            ValueKind::Null => matches!(first, b'n' | b'N'),
        }
    }
}

/// Reads past a key's closing quote(s) (`"`, `'`, `\"`, `\\\"`), the colon
/// and blanks (newlines too: a pretty-printed value may start on the next
/// line) to the value's first byte.
#[inline]
pub(super) fn value_start(haystack: &[u8], key_end: usize, to: usize) -> ValueStart {
    let text = &haystack[key_end..to.min(haystack.len())];
    let mut i = 0;
    while i < text.len() && matches!(text[i], b'"' | b'\'' | b'\\') {
        i += 1;
    }
    while i < text.len() && matches!(text[i], b' ' | b'\t') {
        i += 1;
    }
    match text.get(i) {
        // A colour code (`jq -C`, a console logger) hides what follows.
        None | Some(0x1b) => return ValueStart::Unknown,
        Some(b':') => i += 1,
        Some(_) => return ValueStart::NotAKey,
    }
    while i < text.len() && matches!(text[i], b' ' | b'\t' | b'\r' | b'\n') {
        i += 1;
    }
    match text.get(i) {
        None | Some(b'\\' | 0x1b) => ValueStart::Unknown,
        Some(&byte) => ValueStart::First(byte),
    }
}
