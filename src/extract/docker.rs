//! Docker's json-file driver: `{"log":"...\n","stream":"stderr","time":"..."}`.
//! Lines longer than 16 KiB are split into several such wrapper lines, all
//! but the last without the trailing `\n` in `log`.

use serde::Deserialize;

const WRAPPER_START: &[u8] = b"{\"log\":\"";
/// How a complete part ends its `log` and opens the next key.
const COMPLETE_TAIL: &[u8] = b"\\n\",\"stream\":\"";

/// Whether `line` is a json-file wrapper line.
pub fn is_wrapper(line: &[u8]) -> bool {
    line.starts_with(WRAPPER_START)
}

/// Whether `line` is a wrapper whose `log` is cut (a part of a longer line).
pub fn is_partial(line: &[u8]) -> bool {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    is_wrapper(line) && memchr::memmem::find(line, COMPLETE_TAIL).is_none()
}

#[derive(Deserialize)]
struct Part {
    log: String,
    #[serde(default)]
    time: Option<String>,
}

/// Joins the wrapper lines in `lines` into one wrapper line (the first
/// part's time), or `None` when a part does not parse.
pub fn join(lines: &[u8]) -> Option<Vec<u8>> {
    let mut log = String::new();
    let mut time = None;
    for line in lines.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let part: Part = serde_json::from_slice(line.strip_suffix(b"\r").unwrap_or(line)).ok()?;
        log.push_str(&part.log);
        time = time.or(part.time);
    }
    serde_json::to_vec(&serde_json::json!({ "log": log, "time": time })).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_are_told_apart_and_joined() {
        let a = br#"{"log":"2026-11-20 ERROR {\"status\":400,\"mess","stream":"stderr","time":"2026-11-20T10:15:02Z"}"#;
        let b = br#"{"log":"age\":\"x\",\"code\":1200,\"response\":null}\n","stream":"stderr","time":"2026-11-20T10:15:03Z"}"#;
        assert!(is_partial(a) && !is_partial(b) && is_wrapper(b));
        let joined = join(&[a.as_slice(), b"\n", b.as_slice()].concat()).unwrap();
        let value: serde_json::Value = serde_json::from_slice(&joined).unwrap();
        assert!(value["log"].as_str().unwrap().contains(r#""message":"x""#));
        assert_eq!(value["time"], "2026-11-20T10:15:02Z");
        assert!(join(b"{\"log\":").is_none());
    }
}
