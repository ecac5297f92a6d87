//! Where a large file may be cut into chunks scanned side by side
//! ([`super::scanner::Scanner::scan_chunk`]): at a line start that no
//! record the scanner joins runs across. A record that does run across a
//! cut anyway is told by the chunk where it starts: that chunk's scanner
//! reads on past its end ([`reach_past`]) to finish it, and the next one
//! assembles nothing from before its own start.

use memchr::{memchr, memrchr};

use super::scanner::MAX_RECORD_BYTES;
use super::{cri, docker, platform};

/// How far a chunk's scanner reads past the chunk's end: as far as a
/// record begun before it can reach (a pretty-printed body, or Docker's
/// split parts, which are joined up to one line cap).
pub fn reach_past(max_line: usize) -> usize {
    MAX_RECORD_BYTES + max_line + 1
}

/// The first line start at or after `at`, and before `at + within`, where
/// a chunk of `data` may begin; `None` when there is none.
pub fn start_at(data: &[u8], at: usize, within: usize) -> Option<usize> {
    let limit = at.saturating_add(within).min(data.len());
    let mut start = if at == 0 || data.get(at - 1) == Some(&b'\n') {
        at
    } else {
        at + memchr(b'\n', data.get(at..limit)?)? + 1
    };
    while start < limit {
        if may_start(data, start) {
            return Some(start);
        }
        start += memchr(b'\n', &data[start..limit])? + 1;
    }
    None
}

/// Whether a chunk may begin at the line starting at `data[start]`: the
/// line begins with neither blank, nor a closing bracket, nor a quote (a
/// pretty-printed body's inner lines do); neither it nor the line before
/// it opens or continues a value (`{`, `[`, `,`, `:` at its end); and it
/// is no later part of a split line (Docker's 16 KiB parts, CRI's `P`
/// pieces) nor a continuation line of a multi-line record.
pub fn may_start(data: &[u8], start: usize) -> bool {
    if start == 0 {
        return true;
    }
    let Some(&first) = data.get(start) else {
        return false;
    };
    if matches!(
        first,
        b' ' | b'\t' | b'\r' | b'\n' | b'}' | b']' | b'"' | b'\'' | b','
    ) {
        return false;
    }
    let before = &data[..start - 1];
    let previous = &before[memrchr(b'\n', before).map_or(0, |i| i + 1)..];
    let line = &data[start..memchr(b'\n', &data[start..]).map_or(data.len(), |i| start + i)];
    // Neither line opens a record (whose first line may look back for its
    // header's time), nor continues one.
    let opens = |line: &[u8]| {
        matches!(
            line.trim_ascii_end().last(),
            Some(b'{' | b'[' | b',' | b':' | b'\\')
        )
    };
    !opens(previous)
        && !opens(line)
        && !docker::is_partial(previous)
        && !platform::continues_previous(data, start)
        && !cri::continues_earlier(data, start, MAX_RECORD_BYTES)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chunks_begin_where_no_record_runs_on() {
        let text = b"a\nERROR said: {\n  \"status\": 400,\n  \"response\": null\n}\nnext line\n";
        let at = |needle: &[u8]| memchr::memmem::find(text, needle).unwrap();
        // From inside the pretty body or its opening line, the first line
        // after it.
        assert_eq!(start_at(text, 3, 1 << 20), Some(at(b"next")));
        assert_eq!(start_at(text, at(b"ERROR"), 1 << 20), Some(at(b"next")));
        assert_eq!(start_at(text, 0, 10), Some(0));
        assert_eq!(start_at(text, 3, 10), None, "none within reach");
        let docker = b"x\n{\"log\":\"part one \",\"stream\":\"stdout\"}\n{\"log\":\"two\\n\",\"stream\":\"stdout\"}\ny\n";
        let second = memchr::memmem::find(docker, b"{\"log\":\"two").unwrap();
        assert!(!may_start(docker, second));
        assert!(may_start(
            docker,
            memchr::memmem::find(docker, b"y\n").unwrap()
        ));
        assert!(may_start(docker, 2));
        let cri = b"2026-11-20T10:15:02Z stderr P a\n2026-11-20T10:15:02Z stdout F b\n2026-11-20T10:15:02Z stderr F c\n2026-11-20T10:15:02Z stdout F d\n";
        let at = |needle: &[u8]| memchr::memmem::find(cri, needle).unwrap() - 28;
        assert!(!may_start(cri, at(b"F c")));
        assert!(may_start(cri, at(b"F d")));
    }
}
