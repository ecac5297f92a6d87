//! The top-level members of the plain JSON object around a key, read in one
//! pass over the object's bytes without parsing it: enough for the
//! pre-filter to tell that a line's vendor keys are spread over several
//! objects (`"statusCode"` inside `"http":{...}`, `"error_message"` inside
//! `"error":{...}`), so no object on it can be a body, before any JSON is
//! parsed or anything allocated.
//!
//! The reading is exact for valid JSON: when the object around a key is
//! valid, [`around`] finds that object and every one of its members. When it
//! is not (a Python repr, escaped text, an object that goes on past the
//! line), it answers `None` and the caller falls back to the line-wide
//! check, so nothing a JSON reader would accept is lost.

use crate::vendors::json::skip_ws;

/// The object whose member key is opened by the quote at `text[quote]`,
/// when it lies whole within `text[from..to]` and reads as JSON: its `{`
/// is found by walking back over strings and nested values to the first
/// unmatched `{`, then its members are read forward to its `}`. Each
/// member is shown to `visit` (its key's bytes and its value's first byte)
/// as it is read; `visit` returns `false` to stop the reading there.
/// Returns whether the object was read: to its end (or to where `visit`
/// stopped), holding the key at `quote`.
pub fn around(
    text: &[u8],
    from: usize,
    quote: usize,
    to: usize,
    mut visit: impl FnMut(&[u8], u8) -> bool,
) -> bool {
    let to = to.min(text.len());
    let Some(open) = open_before(text, from, quote) else {
        return false;
    };
    let mut holds_key = false;
    let read = read(&text[..to], open, |key_start, key_end, value_first| {
        holds_key |= key_start == quote + 1;
        visit(&text[key_start..key_end], value_first)
    });
    // The key itself is one of them, or the object was misread.
    read == Read::Stopped || (read == Read::Whole && holds_key)
}

/// The unmatched `{` before `text[at]` (a position outside any string),
/// not before `from`.
fn open_before(text: &[u8], from: usize, at: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = at;
    while i > from {
        i -= 1;
        match text[i] {
            // The end of a string: its start is the first quote before it
            // that no backslash escapes.
            b'"' => loop {
                i = string_start(text, from, i)?;
                if unescaped(text, from, i) {
                    break;
                }
            },
            b'}' | b']' => depth += 1,
            b'{' if depth == 0 => return Some(i),
            b'[' if depth == 0 => return None,
            b'{' | b'[' => depth -= 1,
            // Outside strings JSON has no backslash (escaped text).
            b'\\' | b'\'' => return None,
            _ => {}
        }
    }
    None
}

/// The last quote in `text[from..before]`: a byte at a time for
/// [`SHORT`] bytes, then a SIMD search.
fn string_start(text: &[u8], from: usize, before: usize) -> Option<usize> {
    let short = before.saturating_sub(SHORT).max(from);
    if let Some(at) = text[short..before].iter().rposition(|&b| b == b'"') {
        return Some(short + at);
    }
    memchr::memrchr(b'"', &text[from..short]).map(|at| from + at)
}

/// Whether the quote at `text[at]` is preceded by an even number of
/// backslashes (counting no further back than `from`).
fn unescaped(text: &[u8], from: usize, at: usize) -> bool {
    let backslashes = text[from..at]
        .iter()
        .rev()
        .take_while(|&&b| b == b'\\')
        .count();
    backslashes % 2 == 0
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    /// To the object's closing brace.
    Whole,
    /// Up to where the visitor said stop.
    Stopped,
    /// Not JSON, or not closed before the end of the text.
    Failed,
}

/// Reads the members of the object opening at `text[open]`, showing each
/// to `visit` (key start, key end, value's first byte).
fn read(text: &[u8], open: usize, mut visit: impl FnMut(usize, usize, u8) -> bool) -> Read {
    let mut i = skip_ws(text, open + 1);
    if text.get(i) == Some(&b'}') {
        return Read::Whole;
    }
    loop {
        if text.get(i) != Some(&b'"') {
            return Read::Failed;
        }
        let key_start = i + 1;
        let Some(key_end) = key_end(text, i) else {
            return Read::Failed;
        };
        i = skip_ws(text, key_end + 1);
        if text.get(i) != Some(&b':') {
            return Read::Failed;
        }
        i = skip_ws(text, i + 1);
        let Some(&value_first) = text.get(i) else {
            return Read::Failed;
        };
        if !visit(key_start, key_end, value_first) {
            return Read::Stopped;
        }
        let Some(end) = value_end(text, i) else {
            return Read::Failed;
        };
        i = skip_ws(text, end);
        match text.get(i) {
            Some(b',') => i = skip_ws(text, i + 1),
            Some(b'}') => return Read::Whole,
            _ => return Read::Failed,
        }
    }
}

/// How far a string is scanned a word at a time before a SIMD search takes
/// over: most keys and many values are shorter, and for them eight bytes
/// per step beat the search's setup.
const SHORT: usize = 48;

/// The first `"`, `\\` or newline in `text[from..]`, the first [`SHORT`]
/// bytes eight at a time (a byte is found by the zero its XOR with the
/// wanted byte leaves; the lowest such byte is exact), the rest by SIMD.
#[inline]
fn string_stop(text: &[u8], from: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGHS: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |word: u64| word.wrapping_sub(ONES) & !word & HIGHS;
    let short = text.len().min(from + SHORT);
    let mut i = from;
    while let Some(bytes) = text.get(i..i + 8).filter(|_| i + 8 <= short) {
        let mut word = [0; 8];
        word.copy_from_slice(bytes);
        let word = u64::from_le_bytes(word);
        let stops = zero_byte(word ^ (ONES * u64::from(b'"')))
            | zero_byte(word ^ (ONES * u64::from(b'\\')))
            | zero_byte(word ^ (ONES * u64::from(b'\n')));
        if stops != 0 {
            return Some(i + (stops.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    memchr::memchr3(b'"', b'\\', b'\n', text.get(i..)?).map(|at| i + at)
}

/// The closing quote of the string opening at `text[open]`.
fn string_end(text: &[u8], open: usize) -> Option<usize> {
    let mut i = open + 1;
    loop {
        i = string_stop(text, i)?;
        match text[i] {
            b'"' => return Some(i),
            b'\\' => i += 2,
            _ => return None,
        }
    }
}

/// The closing quote of the key opening at `text[open]`; none for a key
/// spelled with escapes, which is left to the JSON reader.
fn key_end(text: &[u8], open: usize) -> Option<usize> {
    let end = string_stop(text, open + 1)?;
    (text[end] == b'"').then_some(end)
}

/// Where the value starting at `text[start]` ends (one past its last byte).
pub fn value_end(text: &[u8], start: usize) -> Option<usize> {
    match text[start] {
        b'"' => string_end(text, start).map(|end| end + 1),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = start;
            while i < text.len() {
                match text[i] {
                    b'"' => i = string_end(text, i)?,
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    b'\n' => return None,
                    _ => {}
                }
                i += 1;
            }
            None
        }
        _ => {
            let len = text[start..]
                .iter()
                .position(|b| matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\r' | b'\n'))
                .unwrap_or(text.len() - start);
            (len > 0).then_some(start + len)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys_around(text: &str, key: &str) -> Option<Vec<(String, char)>> {
        let quote = text.find(&format!("\"{key}\"")).unwrap();
        let mut members = Vec::new();
        let read = around(text.as_bytes(), 0, quote, text.len(), |key, first| {
            members.push((String::from_utf8(key.to_vec()).unwrap(), char::from(first)));
            true
        });
        read.then_some(members)
    }

    fn names(members: Option<Vec<(String, char)>>) -> Vec<String> {
        members.unwrap().into_iter().map(|(k, _)| k).collect()
    }

    #[test]
    fn reads_the_object_around_a_key() {
        let line = r#"{"ts":"x","http":{"statusCode":200,"a":[1,{"b":"}"}]},"service":"s","msg":"a \"q\" }{"}"#;
        assert_eq!(
            names(keys_around(line, "service")),
            ["ts", "http", "service", "msg"]
        );
        assert_eq!(names(keys_around(line, "statusCode")), ["statusCode", "a"]);
        assert_eq!(names(keys_around(line, "b")), ["b"]);
        let members = keys_around(r#"x {"a" : {"k":1} , "b":-1,"c":null,"d":"s"} y"#, "b").unwrap();
        assert_eq!(
            members,
            [('a', '{'), ('b', '-'), ('c', 'n'), ('d', '"')].map(|(k, v)| (k.to_string(), v))
        );
        // Braces and quotes in the strings before the key.
        let line = r#"{"m":"} \\","n":"\"{","status":1}"#;
        assert_eq!(names(keys_around(line, "status")), ["m", "n", "status"]);
        assert_eq!(names(keys_around(r#"{"e":{},"k":[]}"#, "k")), ["e", "k"]);
    }

    #[test]
    fn strings_end_where_a_byte_at_a_time_reading_ends_them() {
        // The reference: a plain walk over the string's bytes.
        fn walked(text: &[u8], open: usize) -> Option<usize> {
            let mut i = open + 1;
            while i < text.len() {
                match text[i] {
                    b'"' => return Some(i),
                    b'\\' => i += 2,
                    b'\n' => return None,
                    _ => i += 1,
                }
            }
            None
        }
        // Escapes, quotes and newlines on and across every word boundary,
        // in strings shorter and longer than the word-wise stretch.
        for len in 0..3 * SHORT {
            for special in [b"\\\"".as_slice(), b"\\\\", b"\n", b"\""] {
                for at in (0..len).step_by(3) {
                    let mut text = b"x\"".to_vec();
                    text.extend((0..len).map(|i| b'a' + (i % 26) as u8));
                    text.splice(1 + at..1 + at, special.iter().copied());
                    for tail in [&b"\"}"[..], b""] {
                        let mut text = text.clone();
                        text.extend_from_slice(tail);
                        assert_eq!(string_end(&text, 1), walked(&text, 1), "{text:?}");
                        let key = key_end(&text, 1);
                        let plain = walked(&text, 1).filter(|&end| !text[2..end].contains(&b'\\'));
                        assert_eq!(key, plain, "{text:?}");
                    }
                }
            }
        }
        let text = br#"{"a":"x\"y","b":1}"#;
        assert_eq!(string_start(text, 0, 10), Some(8));
        assert_eq!(string_start(text, 0, 8), Some(5));
        assert_eq!(string_start(text, 6, 8), None);
        let long = [&b"\""[..], &[b'x'; 3 * SHORT], b"\""].concat();
        assert_eq!(string_start(&long, 0, long.len() - 1), Some(0));
    }

    #[test]
    fn anything_but_a_whole_json_object_is_left_alone() {
        for (text, key) in [
            // Goes on past the line (a pretty-printed body), or never opens.
            (r#"{"a":1,"status":400,"#, "status"),
            (r#""status":400}"#, "status"),
            // Python repr, escaped text, a key in an array.
            (r#"{'a': "x", "status": 400}"#, "status"),
            (r#"{\"a\":1,"status":400}"#, "status"),
            (r#"["status",1]"#, "status"),
            // Not JSON inside.
            (r#"{"a" 1,"status":400}"#, "status"),
            (r#"{"status":400,}"#, "status"),
            (r#"{"st\u0061tus":1,"status":400}"#, "status"),
            (r#"{"status":,"a":1}"#, "status"),
        ] {
            assert!(keys_around(text, key).is_none(), "{text}");
        }
        // Stopped by the visitor: read that far.
        let text = r#"{"a":1,"status":400,"b":nonsense"#;
        let mut seen = 0;
        let quote = text.find("\"status").unwrap();
        assert!(around(text.as_bytes(), 0, quote, text.len(), |_, _| {
            seen += 1;
            seen < 2
        }));
        assert_eq!(seen, 2);
    }
}
