//! systemd's journal as `journalctl -o json` exports it: one JSON object
//! per line, every field a string, `__REALTIME_TIMESTAMP` the time the
//! entry was received in microseconds since the epoch:
//!
//! ```text
//! {"__CURSOR":"s=…","__REALTIME_TIMESTAMP":"1795169702123456","__MONOTONIC_TIMESTAMP":"…","_BOOT_ID":"…","PRIORITY":"3","_SYSTEMD_UNIT":"billing.service","MESSAGE":"codat error {\"statusCode\":429,…}"}
//! ```
//!
//! A field that is not valid UTF-8 (or holds control bytes) is written as
//! an array of its bytes (`"MESSAGE":[99,111,…]`), and a field with
//! several values as an array of them. The pre-filter cannot see a body
//! inside an array of numbers, so the scanner finds such lines itself
//! ([`next_binary_message`]) and decodes the bytes ([`message_bytes`]).

use jiff::Timestamp;
use memchr::memchr;
use memchr::memmem;

use crate::vendors::{Doc, Json};

/// The entry's time: when the journal received it.
pub const REALTIME_KEY: &str = "__REALTIME_TIMESTAMP";

const BINARY_MESSAGE: &[u8] = b"\"MESSAGE\":[";

/// Whether `line` is an entry of `journalctl -o json` (or `-o json-seq`,
/// whose entries start with an RS byte).
pub fn is_entry(line: &[u8]) -> bool {
    let line = line.strip_prefix(b"\x1e").unwrap_or(line);
    line.starts_with(b"{\"")
        && memmem::find(
            &line[..line.len().min(1024)],
            b"\"__REALTIME_TIMESTAMP\":\"",
        )
        .is_some()
}

/// `__REALTIME_TIMESTAMP`'s value: microseconds since the epoch.
pub fn realtime(value: &str) -> Option<Timestamp> {
    let micros: i64 = value.trim().parse().ok()?;
    Timestamp::from_microsecond(micros).ok()
}

/// The entry's time from its fields, when it is a journal entry.
pub fn entry_time(entry: Json<'_>) -> Option<Timestamp> {
    realtime(entry.get(REALTIME_KEY)?.as_str()?)
}

/// Line start of the next line in `buf[from..to]` whose `MESSAGE` is an
/// array (bytes, or several values); `from` is a line start.
pub fn next_binary_message(buf: &[u8], from: usize, to: usize) -> Option<usize> {
    let at = from + memmem::find(&buf[from..to], BINARY_MESSAGE)?;
    Some(memchr::memrchr(b'\n', &buf[from..at]).map_or(from, |i| from + i + 1))
}

/// An entry's `MESSAGE` held as an array: its bytes (an array of numbers),
/// or its values one per line (an array of strings or byte arrays), with
/// the entry's time. `None` when `line` is not such an entry.
pub fn message_bytes(line: &[u8]) -> Option<(Vec<u8>, Option<Timestamp>)> {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let start = memchr(b'{', line)?;
    let doc = Doc::parse(&line[start..]).ok()?;
    let entry = doc.root();
    let message = entry.get("MESSAGE")?;
    if !message.is_array() {
        return None;
    }
    let mut out = Vec::new();
    if !bytes_into(message, &mut out) {
        out.clear();
        for value in message.elements() {
            if !out.is_empty() {
                out.push(b'\n');
            }
            match value.string_bytes() {
                Some(text) => out.extend_from_slice(text),
                None if bytes_into(value, &mut out) => {}
                None => return None,
            }
        }
    }
    Some((out, entry_time(entry)))
}

/// Appends the bytes of an array of numbers 0..=255; false when it is not one.
fn bytes_into(array: Json<'_>, out: &mut Vec<u8>) -> bool {
    if !array.is_array() {
        return false;
    }
    for item in array.elements() {
        match item.as_u64().and_then(|n| u8::try_from(n).ok()) {
            Some(byte) => out.push(byte),
            None => return false,
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_and_their_time() {
        let line =
            br#"{"__CURSOR":"s=1;i=2","__REALTIME_TIMESTAMP":"1795169702123456","MESSAGE":"x"}"#;
        assert!(is_entry(line));
        assert!(is_entry(&[b"\x1e".as_slice(), line].concat()));
        assert!(!is_entry(br#"{"time":"2026-11-20T10:15:02Z"}"#));
        let doc = Doc::parse(line).unwrap();
        assert_eq!(
            entry_time(doc.root()).unwrap().to_string(),
            "2026-11-20T10:15:02.123456Z"
        );
        assert_eq!(realtime("x"), None);
    }

    #[test]
    fn a_message_as_bytes_or_values() {
        let text = b"bad \xff {\"a\":1}";
        let array: Vec<String> = text.iter().map(u8::to_string).collect();
        let line = format!(
            r#"{{"__REALTIME_TIMESTAMP":"1795169702000000","MESSAGE":[{}],"_PID":"7"}}"#,
            array.join(",")
        );
        let start = next_binary_message(format!("a\n{line}\n").as_bytes(), 0, line.len() + 3);
        assert_eq!(start, Some(2));
        let (bytes, time) = message_bytes(line.as_bytes()).unwrap();
        assert_eq!(bytes, text);
        assert_eq!(time.unwrap().as_second(), 1795169702);
        let (bytes, _) = message_bytes(br#"{"MESSAGE":["one",[116,119,111]]}"#).unwrap();
        assert_eq!(bytes, b"one\ntwo");
        assert!(message_bytes(br#"{"MESSAGE":"text"}"#).is_none());
        assert!(message_bytes(br#"{"MESSAGE":[300]}"#).is_none());
    }
}
