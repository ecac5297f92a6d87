//! Kubernetes CRI log files, as containerd and CRI-O write them under
//! `/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`:
//!
//! ```text
//! 2026-11-20T10:15:02.123456789Z stderr F <content>
//! ```
//!
//! An RFC 3339 time (containerd writes `Z`, CRI-O may write an offset such
//! as `+00:00`), the stream, a tag and the content. A line the runtime
//! could not write whole (longer than its buffer, or flushed before its
//! newline) arrives as `P` pieces closed by an `F` piece; pieces of one
//! stream interleave with the other stream's lines. [`gather`] joins them.
//!
//! Which time an event gets (see [`event_time`]): the application's own
//! full time when the content has one (it is when the error happened; the
//! runtime's time is when the line was written), else the application's
//! time of day on the runtime's date, else the runtime's time.

use jiff::tz::Offset;
use jiff::Timestamp;
use memchr::{memchr, memrchr};

use super::timestamp;

/// The longest time field: `2026-11-20T10:15:02.123456789+00:00` is 35.
const MAX_TIME_LEN: usize = 40;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// One line of a CRI log file.
#[derive(Debug, Clone, Copy)]
pub struct CriLine<'a> {
    /// The runtime's time as written.
    pub time: &'a [u8],
    pub stream: Stream,
    /// A `P` piece: the line goes on in the next piece of the stream.
    pub partial: bool,
    pub content: &'a [u8],
}

impl CriLine<'_> {
    /// The runtime's time.
    pub fn timestamp(&self) -> Option<Timestamp> {
        timestamp::from_str(std::str::from_utf8(self.time).ok()?, 2000)
    }
}

/// Whether `time` is shaped as an RFC 3339 date and time
/// (`YYYY-MM-DDTHH:MM:SS`, then anything).
fn looks_like_rfc3339(time: &[u8]) -> bool {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    time.len() >= SHAPE.len()
        && SHAPE.iter().zip(time).all(|(&want, &got)| match want {
            b'd' => got.is_ascii_digit(),
            other => got == other,
        })
}

/// `line` (without its `\n`) as a CRI line, or `None` when it is not one.
pub fn parse(line: &[u8]) -> Option<CriLine<'_>> {
    let space = memchr(b' ', &line[..line.len().min(MAX_TIME_LEN + 1)])?;
    let time = &line[..space];
    if !looks_like_rfc3339(time) {
        return None;
    }
    let rest = &line[space + 1..];
    let stream = match rest.get(..7)? {
        b"stdout " => Stream::Stdout,
        b"stderr " => Stream::Stderr,
        _ => return None,
    };
    let partial = match rest.get(7)? {
        b'P' => true,
        b'F' => false,
        _ => return None,
    };
    let content = match rest.get(8) {
        None => &[][..],
        Some(b' ') => &rest[9..],
        Some(_) => return None,
    };
    Some(CriLine {
        time,
        stream,
        partial,
        content,
    })
}

/// The event time of content found on a CRI line whose runtime time is
/// `cri`: `app` (the application's own full time, from the content) when
/// there is one; else a time of day at the start of `content` on the
/// runtime's date (in the runtime's offset, the day chosen that puts it
/// nearest the runtime's time, so a line written just after midnight keeps
/// the day before); else the runtime's time.
pub fn event_time(line: &CriLine<'_>, app: Option<Timestamp>, content: &[u8]) -> Option<Timestamp> {
    if app.is_some() {
        return app;
    }
    let cri = line.timestamp()?;
    let Some(clock) = timestamp::clock_prefix(content) else {
        return Some(cri);
    };
    let offset = written_offset(line.time);
    let day = offset.to_datetime(cri).date();
    let nearest = [day.yesterday(), Ok(day), day.tomorrow()]
        .into_iter()
        .flatten()
        .filter_map(|date| offset.to_timestamp(date.to_datetime(clock)).ok())
        .min_by_key(|t| t.duration_since(cri).abs());
    Some(nearest.unwrap_or(cri))
}

/// The UTC offset a runtime time is written in (`Z` or `±HH:MM`).
fn written_offset(time: &[u8]) -> Offset {
    let zone = time.len().saturating_sub(6);
    let digits = |at: usize| -> Option<i32> {
        let pair = time.get(at..at + 2)?;
        pair.iter()
            .all(u8::is_ascii_digit)
            .then(|| i32::from(pair[0] - b'0') * 10 + i32::from(pair[1] - b'0'))
    };
    let sign = match time.get(zone) {
        Some(b'+') => 1,
        Some(b'-') => -1,
        _ => return Offset::UTC,
    };
    match (digits(zone + 1), time.get(zone + 3), digits(zone + 4)) {
        (Some(hours), Some(b':'), Some(minutes)) => {
            Offset::from_seconds(sign * (hours * 3600 + minutes * 60)).unwrap_or(Offset::UTC)
        }
        _ => Offset::UTC,
    }
}

/// Line start of the next `P` piece in `buf[from..to]`; `from` is a line
/// start.
pub fn next_partial(buf: &[u8], from: usize, to: usize) -> Option<usize> {
    let finder = memchr::memmem::Finder::new(b" P ");
    let mut at = from;
    while let Some(found) = finder.find(&buf[at..to]) {
        let tag = at + found + 1;
        at = tag + 1;
        if !(buf[..tag - 1].ends_with(b"stdout") || buf[..tag - 1].ends_with(b"stderr")) {
            continue;
        }
        let start = memrchr(b'\n', &buf[from..tag]).map_or(from, |i| from + i + 1);
        let end = memchr(b'\n', &buf[tag..to]).map_or(to, |i| tag + i);
        if let Some(line) = parse(&buf[start..end]) {
            // The tag found is the line's own, not text in its content.
            if line.partial && start + line.time.len() + 8 == tag {
                return Some(start);
            }
        }
    }
    None
}

/// Whether the CRI line at `buf[line_start]` is a later piece of a partial
/// line begun before it: the nearest line of its stream before it (within
/// `buf`, at most `max_back` bytes back) is a `P` piece. A reader starting
/// mid-file (a chunk of a file split among workers) passes such a line
/// over: the reader of the chunk where the line began joins it.
pub fn continues_earlier(buf: &[u8], line_start: usize, max_back: usize) -> bool {
    let end = memchr(b'\n', &buf[line_start..]).map_or(buf.len(), |i| line_start + i);
    let Some(line) = parse(&buf[line_start..end]) else {
        return false;
    };
    let low = line_start.saturating_sub(max_back);
    let mut at = line_start;
    while at > low {
        let prev_end = at - 1;
        let prev_start = memrchr(b'\n', &buf[low..prev_end]).map_or(low, |i| low + i + 1);
        match parse(&buf[prev_start..prev_end]) {
            Some(prev) if prev.stream == line.stream => return prev.partial,
            Some(_) => at = prev_start,
            None => return false,
        }
    }
    false
}

/// The pieces of one partial line, joined.
#[derive(Debug)]
pub struct Run {
    /// Where the last piece's line ends (its `\n`, or the end of the data).
    pub end: usize,
    /// Line starts of the pieces after the first.
    pub later: Vec<usize>,
    /// The joined content.
    pub content: Vec<u8>,
    /// Whether the joined content went over the line cap (then `content`
    /// holds only what fitted).
    pub too_long: bool,
}

#[derive(Debug)]
pub enum Gathered {
    Run(Run),
    /// The data ends before the closing `F`: wait for more.
    NeedMore,
}

/// Joins the pieces of the partial line starting at `buf[first]` (a `P`
/// line): the later lines of its stream up to and including its `F` piece,
/// passing over the other stream's lines, up to `max_line` bytes of
/// content. A line that is not CRI ends the run. When the data ends first,
/// the run waits for more (`NeedMore`) unless the stream has ended or the
/// bytes from `first` are over `max_line`; then what there is is the run.
/// `buf[..data_end]` ends with a `\n` unless `at_eof`.
pub fn gather(
    buf: &[u8],
    first: usize,
    data_end: usize,
    at_eof: bool,
    max_line: usize,
) -> Gathered {
    let end = memchr(b'\n', &buf[first..data_end]).map_or(data_end, |i| first + i);
    let Some(head) = parse(&buf[first..end]).filter(|line| line.partial) else {
        return Gathered::Run(Run {
            end,
            later: Vec::new(),
            content: Vec::new(),
            too_long: false,
        });
    };
    let mut run = Run {
        end,
        later: Vec::new(),
        content: head.content.to_vec(),
        too_long: head.content.len() > max_line,
    };
    let mut at = end;
    while !run.too_long {
        if at + 1 >= data_end {
            if !at_eof && data_end - first <= max_line {
                return Gathered::NeedMore;
            }
            break;
        }
        let start = at + 1;
        at = memchr(b'\n', &buf[start..data_end]).map_or(data_end, |i| start + i);
        let Some(piece) = parse(&buf[start..at]) else {
            break;
        };
        if piece.stream != head.stream {
            continue;
        }
        run.later.push(start);
        run.end = at;
        if run.content.len() + piece.content.len() > max_line {
            run.too_long = true;
            break;
        }
        run.content.extend_from_slice(piece.content);
        if !piece.partial {
            break;
        }
    }
    Gathered::Run(run)
}

/// A multi-line record written as CRI lines (a pretty-printed body, one
/// line per CRI line): the content of the lines of the first line's stream,
/// joined as written (a `P` piece adds no newline). `None` when the first
/// line is not CRI.
pub fn record_content(record: &[u8]) -> Option<(CriLine<'_>, Vec<u8>)> {
    let first_end = memchr(b'\n', record).unwrap_or(record.len());
    let head = parse(&record[..first_end])?;
    let mut out = Vec::with_capacity(record.len());
    for line in record.split(|&b| b == b'\n') {
        match parse(line) {
            Some(piece) if piece.stream == head.stream => {
                out.extend_from_slice(piece.content);
                if !piece.partial {
                    out.push(b'\n');
                }
            }
            Some(_) => {}
            // Not CRI (a line the record was cut from): kept as it is.
            None => {
                out.extend_from_slice(line);
                out.push(b'\n');
            }
        }
    }
    out.pop();
    Some((head, out))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ts(text: &str) -> Timestamp {
        text.parse().unwrap()
    }

    #[test]
    fn lines_are_recognised_by_shape() {
        let line = parse(b"2026-11-20T10:15:02.123456789Z stderr F {\"a\":1}").unwrap();
        assert_eq!(line.stream, Stream::Stderr);
        assert!(!line.partial);
        assert_eq!(line.content, b"{\"a\":1}");
        assert_eq!(line.timestamp(), Some(ts("2026-11-20T10:15:02.123456789Z")));
        let line = parse(b"2026-11-20T10:15:02.123456789+01:00 stdout P part").unwrap();
        assert!(line.partial && line.stream == Stream::Stdout);
        assert_eq!(line.timestamp(), Some(ts("2026-11-20T09:15:02.123456789Z")));
        // Go trims the fraction's trailing zeros, down to none.
        assert!(parse(b"2026-11-20T10:15:02Z stdout F x").is_some());
        assert_eq!(
            parse(b"2026-11-20T10:15:02Z stdout F").unwrap().content,
            b""
        );
        for not in [
            &b"2026-11-20 10:15:02Z stdout F x"[..],
            b"2026-11-20T10:15:02Z stdin F x",
            b"2026-11-20T10:15:02Z stdout X x",
            b"2026-11-20T10:15:02Z stdout Fx",
            b"ERROR 2026-11-20T10:15:02Z stdout F x",
            b"",
        ] {
            assert!(parse(not).is_none(), "{}", String::from_utf8_lossy(not));
        }
    }

    #[test]
    fn the_application_time_wins_then_its_clock_then_the_runtime() {
        let line = parse(b"2026-11-20T00:00:01.5Z stdout F 23:59:59.900 ERROR x").unwrap();
        let app = Some(ts("2026-11-19T23:59:58Z"));
        assert_eq!(event_time(&line, app, line.content), app);
        // A time of day alone: the runtime's date, or the day before when
        // that is nearer.
        assert_eq!(
            event_time(&line, None, line.content),
            Some(ts("2026-11-19T23:59:59.9Z"))
        );
        let line = parse(b"2026-11-20T10:15:02Z stdout F [10:15:01] ERROR x").unwrap();
        assert_eq!(
            event_time(&line, None, line.content),
            Some(ts("2026-11-20T10:15:01Z"))
        );
        // In the runtime's offset.
        let line = parse(b"2026-11-20T23:30:00-05:00 stdout F 23:29:59 ERROR x").unwrap();
        assert_eq!(
            event_time(&line, None, line.content),
            Some(ts("2026-11-21T04:29:59Z"))
        );
        let line = parse(b"2026-11-20T10:15:02.123456789Z stderr F ERROR x").unwrap();
        assert_eq!(
            event_time(&line, None, line.content),
            Some(ts("2026-11-20T10:15:02.123456789Z"))
        );
    }

    #[test]
    fn pieces_are_found_and_joined_across_the_other_stream() {
        let text = b"2026-11-20T10:15:02Z stdout F whole P line\n\
            2026-11-20T10:15:02Z stderr P {\"a\":\n\
            2026-11-20T10:15:02Z stdout F other\n\
            2026-11-20T10:15:02Z stderr P 1,\"b\"\n\
            2026-11-20T10:15:02Z stderr F :2}\n\
            2026-11-20T10:15:03Z stdout F after\n";
        let first = next_partial(text, 0, text.len()).unwrap();
        assert!(text[first..].starts_with(b"2026-11-20T10:15:02Z stderr P {"));
        let Gathered::Run(run) = gather(text, first, text.len(), false, 1024) else {
            panic!("the run is complete");
        };
        assert_eq!(run.content, b"{\"a\":1,\"b\":2}");
        assert_eq!(run.later.len(), 2);
        assert!(!run.too_long);
        assert_eq!(&text[run.end..run.end + 1], b"\n");
        // Without the `F`, the run waits, unless the stream has ended.
        let cut = memchr::memmem::find(text, b"2026-11-20T10:15:02Z stderr F").unwrap();
        assert!(matches!(
            gather(text, first, cut, false, 1024),
            Gathered::NeedMore
        ));
        let Gathered::Run(run) = gather(text, first, cut, true, 1024) else {
            panic!("flushed at the end");
        };
        assert_eq!(run.content, b"{\"a\":1,\"b\"");
        // Over the cap: cut and marked.
        let Gathered::Run(run) = gather(text, first, text.len(), false, 8) else {
            panic!("over the cap");
        };
        assert!(run.too_long);
        assert_eq!(next_partial(b"x stdout P y\n", 0, 13), None);
    }

    #[test]
    fn a_later_piece_is_told_from_a_first_one() {
        let text = b"2026-11-20T10:15:02Z stderr P a\n\
            2026-11-20T10:15:02Z stdout F b\n\
            2026-11-20T10:15:02Z stderr F c\n\
            2026-11-20T10:15:02Z stdout F d\n";
        let at = |needle: &[u8]| memchr::memmem::find(text, needle).unwrap() - 28;
        assert!(continues_earlier(text, at(b"F c"), 4096));
        assert!(!continues_earlier(text, at(b"F b"), 4096));
        assert!(!continues_earlier(text, at(b"F d"), 4096));
        assert!(!continues_earlier(text, 0, 4096));
        assert!(
            !continues_earlier(text, at(b"F c"), 10),
            "not beyond the bound"
        );
    }

    #[test]
    fn a_pretty_record_loses_its_headers() {
        let record = b"2026-11-20T10:15:02Z stdout F {\n\
            2026-11-20T10:15:02Z stderr F noise\n\
            2026-11-20T10:15:02Z stdout P   \"a\":\n\
            2026-11-20T10:15:02Z stdout F  1\n\
            2026-11-20T10:15:02Z stdout F }";
        let (head, content) = record_content(record).unwrap();
        assert_eq!(head.stream, Stream::Stdout);
        assert_eq!(content, b"{\n  \"a\": 1\n}");
        assert!(record_content(b"{\n}").is_none());
    }
}
