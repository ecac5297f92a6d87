//! Bytes that are not the log's text: ANSI escape sequences (console
//! colours) and the junk a line can start with (a byte-order mark, invalid
//! UTF-8, NULs, control bytes). Both are passed over when looking for a
//! line's time, and colours are taken out before a body is decoded.

use std::borrow::Cow;

use memchr::memchr;

const ESC: u8 = 0x1b;

/// At most this many junk bytes are passed over at the start of a line.
pub const MAX_LEADING_JUNK: usize = 32;

/// At most this many raw bytes are read to fill a cleaned prefix: colours
/// around a time, a level and a logger name fit several times over.
const MAX_RAW_PREFIX: usize = 512;

/// Length of the escape sequence starting at `text[0]` (an `ESC`): a CSI
/// sequence (`ESC [` parameters, intermediates, one final byte, as SGR
/// colours are), an OSC string (`ESC ]` up to BEL or `ESC \`), a character
/// set designation (`ESC ( B`), or a two-byte escape. An unfinished
/// sequence runs to the end of `text`.
fn escape_len(text: &[u8]) -> usize {
    match text.get(1) {
        None => 1,
        Some(b'[') => {
            let mut i = 2;
            while i < text.len() && (0x20..=0x3f).contains(&text[i]) {
                i += 1;
            }
            if i < text.len() && (0x40..=0x7e).contains(&text[i]) {
                i + 1
            } else {
                i
            }
        }
        Some(b']') => {
            let mut i = 2;
            while i < text.len() {
                match text[i] {
                    0x07 => return i + 1,
                    ESC if text.get(i + 1) == Some(&b'\\') => return i + 2,
                    _ => i += 1,
                }
            }
            i
        }
        // nF: intermediates, then a final byte (`ESC ( B` of `tput sgr0`).
        Some(0x20..=0x2f) => {
            let mut i = 2;
            while i < text.len() && (0x20..=0x2f).contains(&text[i]) {
                i += 1;
            }
            (i + 1).min(text.len())
        }
        Some(_) => 2,
    }
}

/// `text` with every ANSI escape sequence taken out; borrowed when it has
/// none.
pub fn strip_ansi(text: &[u8]) -> Cow<'_, [u8]> {
    let Some(first) = memchr(ESC, text) else {
        return Cow::Borrowed(text);
    };
    let mut out = Vec::with_capacity(text.len());
    out.extend_from_slice(&text[..first]);
    let mut i = first;
    while i < text.len() {
        if text[i] == ESC {
            i += escape_len(&text[i..]);
            continue;
        }
        let run = memchr(ESC, &text[i..]).map_or(text.len(), |at| i + at);
        out.extend_from_slice(&text[i..run]);
        i = run;
    }
    Cow::Owned(out)
}

/// Whether `byte` is junk before a line's text: a C0 control byte other
/// than a tab, DEL, or any non-ASCII byte (a byte-order mark, invalid
/// UTF-8, a stray multi-byte character).
fn is_junk(byte: u8) -> bool {
    (byte < 0x20 && byte != b'\t') || byte >= 0x7f
}

/// The start of `line` as a time parser should see it: at most
/// [`MAX_LEADING_JUNK`] leading junk bytes dropped, and escape sequences
/// taken out, filling at most `N` bytes. Returns the buffer and its length.
pub fn clean_prefix<const N: usize>(line: &[u8]) -> ([u8; N], usize) {
    let mut out = [0u8; N];
    let mut len = 0;
    let mut junk = 0;
    let mut i = 0;
    let raw = &line[..line.len().min(MAX_RAW_PREFIX)];
    while i < raw.len() && len < N {
        let byte = raw[i];
        if byte == ESC {
            i += escape_len(&raw[i..]);
        } else if len == 0 && junk < MAX_LEADING_JUNK && is_junk(byte) {
            junk += 1;
            i += 1;
        } else {
            out[len] = byte;
            len += 1;
            i += 1;
        }
    }
    (out, len)
}

/// Whether the start of `line` needs [`clean_prefix`] before parsing: it
/// starts with junk, or holds an escape sequence within `window` bytes.
pub fn needs_cleaning(line: &[u8], window: usize) -> bool {
    line.first().is_some_and(|&b| is_junk(b))
        || memchr(ESC, &line[..line.len().min(window)]).is_some()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cleaned(line: &[u8]) -> String {
        let (buf, len) = clean_prefix::<64>(line);
        String::from_utf8_lossy(&buf[..len]).into_owned()
    }

    #[test]
    fn colours_are_taken_out() {
        let line = b"\x1b[2m2026-11-20T10:15:02Z\x1b[0m \x1b[31;1mERROR\x1b[0m x";
        assert_eq!(cleaned(line), "2026-11-20T10:15:02Z ERROR x");
        assert_eq!(&*strip_ansi(line), b"2026-11-20T10:15:02Z ERROR x");
        assert!(matches!(strip_ansi(b"plain"), Cow::Borrowed(_)));
        // An OSC hyperlink and an unfinished sequence at the end.
        assert_eq!(
            &*strip_ansi(b"a\x1b]8;;http://x\x07link\x1b]8;;\x1b\\b\x1b[3"),
            b"alinkb"
        );
        assert_eq!(&*strip_ansi(b"\x1b"), b"");
        // `tput sgr0` writes a character set designation before the reset.
        assert_eq!(
            cleaned(b"\x1b(B\x1b[m2026-11-20T10:15:02Z\x1b(B\x1b[m x"),
            "2026-11-20T10:15:02Z x"
        );
        assert_eq!(&*strip_ansi(b"a\x1b7b\x1b8c\x1b("), b"abc");
    }

    #[test]
    fn leading_junk_is_bounded() {
        assert_eq!(cleaned(b"\xef\xbb\xbf2026-11-20 x"), "2026-11-20 x");
        assert_eq!(cleaned(b"\0\0\xff\xfe<13>Nov 20"), "<13>Nov 20");
        // Junk inside the text is kept: only the start is junk.
        assert_eq!(cleaned(b"a\0b"), "a\0b");
        let mut long = vec![0u8; MAX_LEADING_JUNK + 1];
        long.extend_from_slice(b"x");
        assert_eq!(cleaned(&long), "\0x");
        assert!(needs_cleaning(b"\0x", 64) && needs_cleaning(b"x \x1b[0m", 64));
        assert!(!needs_cleaning(b"2026-11-20 x", 64));
    }
}
