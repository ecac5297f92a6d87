//! Byte-level helpers for finding JSON-like spans inside arbitrary text:
//! brace matching that respects strings, JSON string unescaping, and the
//! Python dict repr → JSON conversion.

/// Index of the `}` that closes the `{` at `start`, skipping over strings
/// delimited by `quotes` (with backslash escapes). `None` when the text ends
/// first.
pub fn find_close(text: &[u8], start: usize, quotes: &[u8]) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    while i < text.len() {
        let byte = text[i];
        if quotes.contains(&byte) {
            i = skip_string(text, i)?;
        } else if byte == b'{' {
            depth += 1;
        } else if byte == b'}' {
            depth = depth.checked_sub(1)?;
            if depth == 0 {
                return Some(i);
            }
        }
        i += 1;
    }
    None
}

/// Given the opening quote at `open`, the index of its closing quote.
fn skip_string(text: &[u8], open: usize) -> Option<usize> {
    let quote = text[open];
    let mut i = open + 1;
    while i < text.len() {
        match text[i] {
            b'\\' => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

pub use crate::vendors::json::skip_ws;

/// Decodes one level of JSON string escaping, from the start of `text` up
/// to the first unescaped `"` (the end of the string the text sits in), a
/// raw newline (which no JSON string holds: the string was cut, and the
/// next line is not part of it), or the end of the text. Returns the
/// decoded bytes and how many input bytes were used (not counting the
/// closing quote).
pub fn unescape_json_string(text: &[u8]) -> (Vec<u8>, usize) {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        match text[i] {
            b'"' | b'\n' => return (out, i),
            b'\\' if i + 1 < text.len() => {
                let escaped = text[i + 1];
                i += 2;
                match escaped {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'r' => out.push(b'\r'),
                    b'b' => out.push(0x08),
                    b'f' => out.push(0x0c),
                    b'u' => {
                        let (ch, used) = decode_unicode_escape(&text[i..]);
                        let mut utf8 = [0u8; 4];
                        out.extend_from_slice(ch.encode_utf8(&mut utf8).as_bytes());
                        i += used;
                    }
                    // `\"`, `\\`, `\/` and anything unknown: the byte itself.
                    other => out.push(other),
                }
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    (out, i)
}

/// Decodes the `XXXX` (and a following `\uXXXX` low surrogate) after `\u`.
fn decode_unicode_escape(text: &[u8]) -> (char, usize) {
    let Some(high) = hex4(text) else {
        return (char::REPLACEMENT_CHARACTER, 0);
    };
    if (0xD800..0xDC00).contains(&high) && text.get(4..6) == Some(b"\\u") {
        if let Some(low) = hex4(&text[6..]).filter(|low| (0xDC00..0xE000).contains(low)) {
            let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
            return (
                char::from_u32(code).unwrap_or(char::REPLACEMENT_CHARACTER),
                10,
            );
        }
    }
    (
        char::from_u32(high).unwrap_or(char::REPLACEMENT_CHARACTER),
        4,
    )
}

fn hex4(text: &[u8]) -> Option<u32> {
    let digits = std::str::from_utf8(text.get(..4)?).ok()?;
    u32::from_str_radix(digits, 16).ok()
}

/// Rewrites a Python dict repr (`{'a': None, 'b': True, "c": 'x'}`) as
/// JSON. Only the span of the dict is given; anything unexpected is copied
/// through and left for the JSON parser to reject.
pub fn python_repr_to_json(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len() + 16);
    let mut i = 0;
    while i < text.len() {
        let byte = text[i];
        match byte {
            b'\'' | b'"' => {
                let end = skip_string(text, i).unwrap_or(text.len());
                out.push(b'"');
                let mut j = i + 1;
                while j < end.min(text.len()) {
                    match text[j] {
                        b'\\' if j + 1 < end => {
                            match text[j + 1] {
                                b'\'' => out.push(b'\''),
                                b'"' => out.extend_from_slice(b"\\\""),
                                b'n' | b't' | b'r' | b'\\' => {
                                    out.push(b'\\');
                                    out.push(text[j + 1]);
                                }
                                b'x' => {
                                    // \xNN → \u00NN
                                    out.extend_from_slice(b"\\u00");
                                    out.extend_from_slice(text.get(j + 2..j + 4).unwrap_or(b"3f"));
                                    j += 2;
                                }
                                other => {
                                    out.push(b'\\');
                                    out.push(b'\\');
                                    out.push(other);
                                }
                            }
                            j += 2;
                        }
                        b'"' => {
                            out.extend_from_slice(b"\\\"");
                            j += 1;
                        }
                        other => {
                            out.push(other);
                            j += 1;
                        }
                    }
                }
                out.push(b'"');
                i = end + 1;
            }
            b'N' if text[i..].starts_with(b"None") => {
                out.extend_from_slice(b"null");
                i += 4;
            }
            b'T' if text[i..].starts_with(b"True") => {
                out.extend_from_slice(b"true");
                i += 4;
            }
            b'F' if text[i..].starts_with(b"False") => {
                out.extend_from_slice(b"false");
                i += 5;
            }
            other => {
                out.push(other);
                i += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closes_over_strings_and_nesting() {
        let text = br#"x {"a":"}{","b":{"c":1}} tail"#;
        assert_eq!(find_close(text, 2, b"\""), Some(text.len() - 6));
        assert_eq!(find_close(br#"{"a":"\"}"}"#, 0, b"\""), Some(10));
        assert_eq!(find_close(br#"{"a":1"#, 0, b"\""), None);
        assert_eq!(find_close(b"}", 0, b"\""), None);
    }

    #[test]
    fn unescapes_up_to_the_closing_quote() {
        let (out, used) = unescape_json_string(br#"{\"a\":\"x\\ny\"}" rest"#);
        assert_eq!(out, br#"{"a":"x\ny"}"#);
        assert_eq!(used, 17);
        let (out, _) = unescape_json_string(br#"\u00e9\ud83d\ude00\n"#);
        assert_eq!(String::from_utf8(out).unwrap(), "é😀\n");
        let (out, used) = unescape_json_string(b"{\\\"a\\\": \\\"cut\n{\"b\":1}");
        assert_eq!((out.as_slice(), used), (&b"{\"a\": \"cut"[..], 13));
        let (out, _) = unescape_json_string(br#"\u12"#);
        assert_eq!(String::from_utf8(out).unwrap(), "\u{FFFD}12");
    }

    #[test]
    fn python_repr_becomes_json() {
        let json = python_repr_to_json(
            br#"{'error_code': 7, 'error_message': 'it\'s "AUTH"', 'details': None, 'ok': False}"#,
        );
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(value["error_code"], 7);
        assert_eq!(value["error_message"], "it's \"AUTH\"");
        assert!(value["details"].is_null());
        assert_eq!(value["ok"], false);
    }
}
