//! The searcher: reads a byte stream in large chunks, runs the pre-filter
//! over the whole buffer, and only around a hit finds the line (or the
//! multi-line record) and decodes it. Lines are counted in bulk; nothing is
//! allocated per line.
//!
//! The same [`Scanner`] serves `scan` (read to EOF once) and `tail` (read
//! what is there, wait, read more): it keeps the unfinished last line, and
//! a look-behind window so a pretty-printed body whose anchor arrives after
//! its opening brace can still be assembled.

use std::collections::BTreeSet;
use std::io::{self, Read};

use jiff::Timestamp;
use memchr::{memchr, memrchr};

use super::docker;
use super::line::{decode_record, LineOutcome};
use super::platform::{self, Layout};
use super::prefilter::Hit;
use crate::vendors::{Decision, DecodedError, SkipReason};
use record::{looks_like_key, Record};

pub use super::engine::{Engine, DEFAULT_MAX_LINE, MAX_LINE_LIMIT};

mod memory;
mod record;

/// Bytes asked of the reader per read call.
const READ_CHUNK: usize = 256 * 1024;
/// Consumed bytes kept before the unconsumed data, for multi-line records
/// and the header line before one.
const LOOK_BEHIND: usize = MAX_RECORD_BYTES + 2 * platform::HEADER_LOOK_BACK;
/// The largest pretty-printed record assembled.
pub const MAX_RECORD_BYTES: usize = 64 * 1024;

/// A decoded error with where and when it happened.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub error: &'a DecodedError,
    pub time: Option<Timestamp>,
    /// 1-based line number of the line (or first line of the record).
    pub line: u64,
    /// Byte offset of that line in the stream.
    pub offset: u64,
}

/// Receives what the scanner finds. As in ripgrep's `Sink`, `error` may
/// end the search: `Ok(false)` stops it quietly (the reader has all it
/// wants), `Err` stops it and the scan returns the error.
pub trait EventSink {
    fn error(&mut self, event: &Event<'_>) -> io::Result<bool>;
    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason);
}

/// Why a sink ended the search.
#[derive(Debug)]
enum Halt {
    Stopped,
    Failed(io::Error),
}

/// Totals of what a scanner has consumed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanStats {
    pub bytes: u64,
    pub lines: u64,
    pub candidate_lines: u64,
}

pub struct Scanner<'e> {
    engine: &'e Engine,
    buf: Vec<u8>,
    /// Everything before `pos` is consumed (and counted); `pos` is always
    /// at a line start.
    pos: usize,
    end: usize,
    /// Stream offset of `buf[0]`.
    base: u64,
    lines: u64,
    candidate_lines: u64,
    /// Inside a line longer than `max_line`: drop bytes to its newline.
    skipping_long_line: bool,
    /// Stream offset of the last record reported broken, so one broken
    /// multi-line record is reported once.
    last_broken_record: Option<u64>,
    /// A multi-line record is never assembled from before this stream
    /// offset: past the last line or record whose bodies were delivered
    /// (decoding them again would count them twice), and past the last
    /// over-long line dropped unseen (whose tail is still in the buffer).
    record_floor: u64,
    /// A record's header is not looked for before this stream offset (the
    /// stream's start, or just past an over-long line dropped unseen).
    header_floor: u64,
    /// What writes this stream, told by its first line.
    layout: Layout,
    /// Stream offsets of the lines already decoded as later pieces of a CRI
    /// partial line (they are passed over when reached).
    taken: BTreeSet<u64>,
    /// Set when the sink ended the search; nothing more is processed.
    halt: Option<Halt>,
    /// Stream offset where this scanner's chunk ends: what is found at or
    /// past it is another chunk's, and is looked at only to finish what
    /// began before it (see [`Self::scan_chunk`]).
    limit: u64,
}

impl<'e> Scanner<'e> {
    pub fn new(engine: &'e Engine) -> Scanner<'e> {
        Self::starting_at(engine, 0, 0)
    }

    /// A scanner whose stream starts at `offset` (resuming a checkpoint),
    /// having already counted `lines` lines.
    pub fn starting_at(engine: &'e Engine, offset: u64, lines: u64) -> Scanner<'e> {
        Scanner {
            engine,
            buf: vec![0; LOOK_BEHIND + engine.max_line + READ_CHUNK],
            pos: 0,
            end: 0,
            base: offset,
            lines,
            candidate_lines: 0,
            skipping_long_line: false,
            last_broken_record: None,
            record_floor: offset,
            header_floor: offset,
            layout: Layout::Unknown,
            taken: BTreeSet::new(),
            halt: None,
            limit: u64::MAX,
        }
    }

    /// Starts a new stream at `offset` with `lines` already counted, keeping
    /// the buffer (one allocation serves every file a worker reads).
    pub fn reset(&mut self, offset: u64, lines: u64) {
        self.pos = 0;
        self.end = 0;
        self.base = offset;
        self.lines = lines;
        self.candidate_lines = 0;
        self.skipping_long_line = false;
        self.last_broken_record = None;
        self.record_floor = offset;
        self.header_floor = offset;
        self.layout = Layout::Unknown;
        self.taken.clear();
        self.halt = None;
        self.limit = u64::MAX;
    }

    /// Whether the sink stopped the search (`Ok(false)` from
    /// [`EventSink::error`]).
    pub fn stopped(&self) -> bool {
        self.halt.is_some()
    }

    /// Hands a sink's failure to the caller once; a stop is no error.
    fn halted(&mut self) -> io::Result<()> {
        match self.halt.take() {
            Some(Halt::Failed(error)) => {
                self.halt = Some(Halt::Stopped);
                Err(error)
            }
            other => {
                self.halt = other;
                Ok(())
            }
        }
    }

    /// Stream offset up to which everything is counted: a checkpoint.
    pub fn consumed_offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    pub fn stats(&self) -> ScanStats {
        ScanStats {
            bytes: self.consumed_offset(),
            lines: self.lines,
            candidate_lines: self.candidate_lines,
        }
    }

    /// Scans a whole stream to its end.
    pub fn scan_to_end<R: Read>(
        &mut self,
        reader: &mut R,
        sink: &mut dyn EventSink,
    ) -> io::Result<()> {
        while self.read_some(reader, sink)? > 0 {
            if self.stopped() {
                return Ok(());
            }
        }
        self.finish(sink)
    }

    /// Reads once and processes every complete line. Returns the bytes read
    /// (0 at the current end of the stream, or once the sink stopped).
    pub fn read_some<R: Read>(
        &mut self,
        reader: &mut R,
        sink: &mut dyn EventSink,
    ) -> io::Result<usize> {
        if self.stopped() {
            return self.halted().map(|()| 0);
        }
        self.make_room();
        let limit = (self.end + READ_CHUNK * 4).min(self.buf.len());
        let read = loop {
            match reader.read(&mut self.buf[self.end..limit]) {
                Ok(n) => break n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        };
        self.end += read;
        if read > 0 {
            self.process_buffer(false, sink);
            self.drop_long_line(sink);
        }
        self.halted().map(|()| read)
    }

    /// Feeds bytes already in memory (tests, stdin adapters).
    pub fn feed(&mut self, mut data: &[u8], sink: &mut dyn EventSink) -> io::Result<()> {
        while !data.is_empty() && !self.stopped() {
            self.make_room();
            let take = data.len().min(self.buf.len() - self.end).min(READ_CHUNK);
            self.buf[self.end..self.end + take].copy_from_slice(&data[..take]);
            self.end += take;
            data = &data[take..];
            self.process_buffer(false, sink);
            self.drop_long_line(sink);
        }
        self.halted()
    }

    /// The stream has ended (EOF of a scan, a rotated-away file, shutdown):
    /// the unfinished last line counts as a line.
    pub fn finish(&mut self, sink: &mut dyn EventSink) -> io::Result<()> {
        if !self.stopped() {
            self.process_buffer(true, sink);
            self.end_long_line();
        }
        self.halted()
    }

    /// An over-long line still being skipped at the end counts as a line.
    fn end_long_line(&mut self) {
        if self.skipping_long_line {
            self.skipping_long_line = false;
            self.lines += 1;
        }
    }

    /// Ensures at least one read chunk of free space by rolling consumed
    /// bytes out, keeping the look-behind.
    fn make_room(&mut self) {
        if self.buf.len() - self.end >= READ_CHUNK {
            return;
        }
        let keep_from = self.pos.saturating_sub(LOOK_BEHIND);
        if keep_from > 0 {
            self.buf.copy_within(keep_from..self.end, 0);
            self.base += keep_from as u64;
            self.pos -= keep_from;
            self.end -= keep_from;
        }
    }

    /// An unfinished line longer than the cap is counted once and dropped
    /// up to its newline, so memory stays bounded whatever the input.
    fn drop_long_line(&mut self, sink: &mut dyn EventSink) {
        let buf = std::mem::take(&mut self.buf);
        let skipping = self.skip_long_line(&buf, sink);
        self.buf = buf;
        if !skipping {
            return;
        }
        self.base += self.end as u64;
        self.pos = 0;
        self.end = 0;
    }

    /// Where what is found at `buf[at]` is told: `sink`, or nowhere when it
    /// is past the chunk's end.
    fn out<'s>(
        &self,
        at: usize,
        sink: &'s mut dyn EventSink,
        muted: &'s mut Muted,
    ) -> &'s mut dyn EventSink {
        if self.base + at as u64 >= self.limit {
            muted
        } else {
            sink
        }
    }

    /// When the unfinished line in `buf[self.pos..self.end]` is already
    /// over the cap, counts it as skipped and starts dropping it up to its
    /// newline. Returns whether it did.
    fn skip_long_line(&mut self, buf: &[u8], sink: &mut dyn EventSink) -> bool {
        let pending = &buf[self.pos..self.end];
        if pending.len() <= self.engine.max_line || memchr(b'\n', pending).is_some() {
            return false;
        }
        self.out(self.pos, sink, &mut Muted)
            .skipped(None, SkipReason::LineTooLong);
        self.skipping_long_line = true;
        true
    }

    /// [`Self::process`] over the scanner's own buffer.
    fn process_buffer(&mut self, at_eof: bool, sink: &mut dyn EventSink) {
        let buf = std::mem::take(&mut self.buf);
        self.process(&buf, at_eof, sink);
        self.buf = buf;
    }

    /// Processes every complete line of `buf[self.pos..self.end]` (and the
    /// unfinished last one `at_eof`); `buf[..self.pos]` is the look-behind.
    fn process(&mut self, buf: &[u8], at_eof: bool, sink: &mut dyn EventSink) {
        if self.skipping_long_line {
            match memchr(b'\n', &buf[self.pos..self.end]) {
                Some(nl) => {
                    self.pos += nl + 1;
                    self.lines += 1;
                    self.skipping_long_line = false;
                    self.record_floor = self.base + self.pos as u64;
                    self.header_floor = self.record_floor;
                }
                None => {
                    self.pos = self.end;
                    return;
                }
            }
        }
        let data_end = if at_eof {
            self.end
        } else {
            match memrchr(b'\n', &buf[self.pos..self.end]) {
                Some(nl) => self.pos + nl + 1,
                None => return,
            }
        };
        let engine = self.engine;
        let newlines = |bytes: &[u8]| {
            if engine.count_lines {
                bytecount::count(bytes, b'\n') as u64
            } else {
                0
            }
        };
        if self.layout == Layout::Unknown && data_end > self.pos {
            let first = &buf[self.pos..data_end];
            self.layout =
                Layout::of_first_line(&first[..memchr(b'\n', first).unwrap_or(first.len())]);
        }
        let mut muted = Muted;
        let mut from = self.pos;
        // Lines before `counted_to` are in `self.lines`.
        let mut counted_to = self.pos;
        // The next line the pre-filter cannot find alone, at or after `from`.
        let mut special: Option<usize> = None;
        // The next hit at or after `from`, kept while special lines before
        // it are decoded (many pieces must not search the rest many times).
        let mut next_hit: Option<Option<Hit>> = None;
        while from < data_end {
            let hit = match next_hit {
                Some(hit) if hit.is_none_or(|hit| hit.start >= from) => hit,
                _ => engine.prefilter.find(buf, from, data_end),
            };
            next_hit = Some(hit);
            if self.layout != Layout::Plain {
                if special.is_none_or(|at| at < from) {
                    let taken = |at: usize| self.taken.contains(&(self.base + at as u64));
                    let next = self.layout.next_special(buf, from, data_end, taken);
                    special = Some(next.unwrap_or(data_end));
                }
                match special {
                    Some(at) if at < data_end && hit.is_none_or(|hit| at <= hit.start) => {
                        self.lines += newlines(&buf[counted_to..at]);
                        counted_to = at;
                        let out = self.out(at, sink, &mut muted);
                        match self.special_line(buf, at, data_end, at_eof, out) {
                            Ok(Some(next)) => from = next,
                            Ok(None) => {
                                self.pos = at;
                                return;
                            }
                            Err(halt) => return self.halt_at(halt, data_end),
                        }
                        continue;
                    }
                    _ => {}
                }
            }
            let Some(hit) = hit else {
                break;
            };
            let line_start = memrchr(b'\n', &buf[from..hit.start]).map_or(from, |i| from + i + 1);
            let line_end = memchr(b'\n', &buf[hit.end..data_end]).map_or(data_end, |i| hit.end + i);
            self.lines += newlines(&buf[counted_to..line_start]);
            counted_to = line_start;
            if self.taken.contains(&(self.base + line_start as u64)) {
                from = line_end + 1;
                continue;
            }
            if docker::is_wrapper(&buf[line_start..line_end])
                && line_end - line_start <= engine.max_line
            {
                match self.docker_record(buf, line_start, line_end, data_end, at_eof) {
                    Record::Joined { start, end, text } => {
                        let before = newlines(&buf[start..line_start]);
                        let line_no = self.lines + 1 - before;
                        self.candidate_lines += 1;
                        let outcome = decode_record(&text, &engine.vendors, engine.default_year);
                        let out = self.out(start, sink, &mut muted);
                        if let Some(decisions) = nonempty(outcome.decisions) {
                            let offset = self.base + start as u64;
                            let delivered = deliver(decisions, outcome.time, line_no, offset, out);
                            if let Err(halt) = delivered {
                                return self.halt_at(halt, data_end);
                            }
                            self.raise_record_floor(self.base + end as u64);
                        } else if let Some(reason) = outcome.broken {
                            out.skipped(Some(hit.vendors.trailing_zeros() as usize), reason);
                        }
                        self.lines += newlines(&buf[line_start..end]);
                        counted_to = end;
                        from = (end + 1).min(data_end.max(end));
                        continue;
                    }
                    Record::NeedMore { start } => {
                        let rewind = newlines(&buf[start..line_start]);
                        self.lines -= rewind;
                        self.pos = start;
                        return;
                    }
                    _ => {}
                }
            }
            let line = &buf[line_start..line_end];
            let (verified, past) = engine
                .prefilter
                .verify_line_looking_on(buf, line_start, line_end, data_end, hit);
            if let Some(past) = past {
                next_hit = Some(past);
            }
            let mut resume = line_end + 1;
            if line.len() > engine.max_line {
                self.out(line_start, sink, &mut muted)
                    .skipped(None, SkipReason::LineTooLong);
            } else if verified != 0 {
                self.candidate_lines += 1;
                let line_no = self.lines + 1;
                let offset = self.base + line_start as u64;
                let outcome = decode_record(line, &engine.vendors, engine.default_year);
                let header = || {
                    platform::continues_previous(buf, line_start)
                        .then(|| self.header_time(buf, line_start))
                        .flatten()
                };
                let out = self.out(line_start, sink, &mut muted);
                match emit(outcome, header, verified, line_no, offset, out) {
                    Ok(true) => self.raise_record_floor(self.base + line_end as u64),
                    Ok(false) => {}
                    Err(halt) => return self.halt_at(halt, data_end),
                }
            } else if hit.key_start >= line_start
                && looks_like_key(
                    &buf[line_start..line_end],
                    hit.key_start - line_start,
                    hit.end - line_start,
                )
            {
                match self.assemble_record(buf, line_start, hit.key_start, data_end, at_eof) {
                    Record::Found { start, end } => {
                        let record_end =
                            memchr(b'\n', &buf[end..data_end]).map_or(data_end, |i| end + i);
                        // The record may begin in already-counted lines.
                        let before = newlines(&buf[start..line_start]);
                        let line_no = self.lines + 1 - before;
                        let offset = self.base + start as u64;
                        let record = &buf[start..record_end];
                        self.candidate_lines += 1;
                        let outcome = decode_record(record, &engine.vendors, engine.default_year);
                        if !outcome.decisions.is_empty() {
                            let time = outcome.time.or_else(|| self.header_time(buf, start));
                            let out = self.out(start, sink, &mut muted);
                            let delivered = deliver(outcome.decisions, time, line_no, offset, out);
                            if let Err(halt) = delivered {
                                return self.halt_at(halt, data_end);
                            }
                            self.raise_record_floor(self.base + record_end as u64);
                            self.lines += newlines(&buf[line_start..record_end]);
                            counted_to = record_end;
                            resume = record_end + 1;
                        }
                    }
                    Record::NeedMore { start } => {
                        // Wait for the rest of the record; re-read it whole.
                        let rewind = newlines(&buf[start..line_start]);
                        self.lines -= rewind;
                        self.pos = start;
                        return;
                    }
                    Record::Broken { start } => {
                        let at = self.base + start as u64;
                        if self.last_broken_record != Some(at) {
                            self.last_broken_record = Some(at);
                            let vendor = hit.vendors.trailing_zeros() as usize;
                            self.out(start, sink, &mut muted)
                                .skipped(Some(vendor), SkipReason::Truncated);
                        }
                    }
                    Record::None | Record::Joined { .. } => {}
                }
            }
            from = resume;
        }
        if self.taken.len() > 4096 {
            self.taken = self.taken.split_off(&self.base);
        }
        self.lines += newlines(&buf[counted_to..data_end]);
        // An unterminated last line counts once, also when a multi-line
        // record running to the end of the stream consumed it.
        if at_eof && data_end > self.pos && buf[data_end - 1] != b'\n' {
            self.lines += 1;
        }
        self.pos = data_end;
    }

    /// Never lowers the floor: lines between a CRI partial line's pieces
    /// are decoded after the pieces were.
    fn raise_record_floor(&mut self, to: u64) {
        self.record_floor = self.record_floor.max(to);
    }

    /// Decodes the line at `buf[at]` that [`Layout::next_special`] found;
    /// returns where scanning resumes, or `None` to wait for more data, or
    /// the sink's halt.
    fn special_line(
        &mut self,
        buf: &[u8],
        at: usize,
        data_end: usize,
        at_eof: bool,
        sink: &mut dyn EventSink,
    ) -> Result<Option<usize>, Halt> {
        // Not waiting while an unfinished line past the cap follows: the
        // buffer would fill before its newline came.
        let at_eof = at_eof || self.end - at > self.engine.max_line;
        let Some(found) = self
            .layout
            .special_line(self.engine, buf, at, data_end, at_eof)
        else {
            return Ok(None);
        };
        for &piece in &found.later {
            self.taken.insert(self.base + piece as u64);
        }
        if found.too_long {
            sink.skipped(None, SkipReason::LineTooLong);
        }
        if let Some((outcome, verified)) = found.decoded {
            self.candidate_lines += 1;
            let (line_no, offset) = (self.lines + 1, self.base + at as u64);
            if emit(outcome, || None, verified, line_no, offset, sink)? {
                self.raise_record_floor(self.base + found.end as u64);
            }
        }
        Ok(Some(found.resume))
    }

    /// The time of the header before the record at `buf[start]`.
    fn header_time(&self, buf: &[u8], start: usize) -> Option<Timestamp> {
        let floor = usize::try_from(self.header_floor.saturating_sub(self.base)).ok()?;
        let floor_is_line_start = self.header_floor >= self.base;
        let (max_line, year) = (self.engine.max_line, self.engine.default_year);
        platform::header_time(buf, start, floor, floor_is_line_start, max_line, year)
    }

    /// The sink ended the search: nothing after this is looked at.
    fn halt_at(&mut self, halt: Halt, data_end: usize) {
        self.halt = Some(halt);
        self.pos = data_end;
    }
}

/// Where what lies past a chunk's end goes: nowhere.
struct Muted;

impl EventSink for Muted {
    fn error(&mut self, _event: &Event<'_>) -> io::Result<bool> {
        Ok(true)
    }
    fn skipped(&mut self, _vendor: Option<usize>, _reason: SkipReason) {}
}

fn nonempty<T>(items: Vec<T>) -> Option<Vec<T>> {
    (!items.is_empty()).then_some(items)
}

/// Delivers what a line held (its time, or `header`'s when it has none);
/// says whether it held an error or a skipped body.
fn emit(
    outcome: LineOutcome,
    header: impl FnOnce() -> Option<Timestamp>,
    verified: u64,
    line_no: u64,
    offset: u64,
    sink: &mut dyn EventSink,
) -> Result<bool, Halt> {
    if outcome.decisions.is_empty() {
        if let Some(reason) = outcome.broken {
            sink.skipped(Some(verified.trailing_zeros() as usize), reason);
        }
        return Ok(false);
    }
    let time = outcome.time.or_else(header);
    deliver(outcome.decisions, time, line_no, offset, sink)?;
    Ok(true)
}

fn deliver(
    decisions: Vec<Decision>,
    time: Option<Timestamp>,
    line: u64,
    offset: u64,
    sink: &mut dyn EventSink,
) -> Result<(), Halt> {
    for decision in decisions {
        match decision {
            Decision::Error(error) => {
                let event = Event {
                    error: &error,
                    time,
                    line,
                    offset,
                };
                match sink.error(&event) {
                    Ok(true) => {}
                    Ok(false) => return Err(Halt::Stopped),
                    Err(failure) => return Err(Halt::Failed(failure)),
                }
            }
            Decision::Skipped { vendor, reason } => sink.skipped(Some(vendor), reason),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::record::enclosing_open;
    use super::*;
    use crate::vendors::VendorSet;

    #[derive(Default)]
    struct Collect {
        errors: Vec<(String, u64)>,
        skipped: Vec<SkipReason>,
        times: Vec<Option<String>>,
    }

    impl EventSink for Collect {
        fn error(&mut self, event: &Event<'_>) -> io::Result<bool> {
            self.errors.push((event.error.code.clone(), event.line));
            self.times.push(event.time.map(|t| t.to_string()));
            Ok(true)
        }
        fn skipped(&mut self, _vendor: Option<usize>, reason: SkipReason) {
            self.skipped.push(reason);
        }
    }

    fn engine() -> Engine {
        Engine::new(VendorSet::builtin().unwrap(), 4096).unwrap()
    }

    const OCROLUS: &str =
        r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
    const PRETTY_APLOS: &str = "ERROR aplos said: {\n  \"version\": \"v2_0_0\",\n  \"status\": 422,\n  \"exception\": {\n    \"message\": \"ID is required.\",\n    \"code\": 3002\n  }\n}\n";

    fn scan_chunked(input: &[u8], chunk: usize) -> (Collect, ScanStats) {
        let engine = engine();
        let mut scanner = Scanner::new(&engine);
        let mut sink = Collect::default();
        for piece in input.chunks(chunk.max(1)) {
            scanner.feed(piece, &mut sink).unwrap();
        }
        scanner.finish(&mut sink).unwrap();
        (sink, scanner.stats())
    }

    #[test]
    fn counts_lines_and_finds_bodies_at_any_chunking() {
        let mut input = String::new();
        for i in 0..50 {
            input.push_str(&format!("noise {i} response time 3ms\n"));
            if i % 10 == 0 {
                input.push_str(&format!("2026-11-20 10:00:00 ERROR x {OCROLUS}\n"));
                input.push_str(PRETTY_APLOS);
            }
        }
        input.push_str("last line without newline");
        let total_lines = input.lines().count() as u64;
        for chunk in [1, 7, 64, 1000, 1 << 20] {
            let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
            let ocrolus = sink.errors.iter().filter(|(c, _)| c == "1200").count();
            let aplos = sink.errors.iter().filter(|(c, _)| c == "3002").count();
            assert_eq!((ocrolus, aplos), (5, 5), "chunk {chunk}");
            assert_eq!(stats.lines, total_lines, "chunk {chunk}");
            assert_eq!(stats.bytes, input.len() as u64);
        }
    }

    #[test]
    fn line_numbers_point_at_the_record() {
        let input = format!("a\nb\n{OCROLUS}\nc\n{PRETTY_APLOS}d\n");
        let (sink, stats) = scan_chunked(input.as_bytes(), 1 << 20);
        assert_eq!(
            sink.errors,
            vec![("1200".to_string(), 3), ("3002".to_string(), 5)]
        );
        assert_eq!(stats.lines, 13);
    }

    #[test]
    fn braces_in_strings_before_the_key_do_not_hide_the_record() {
        // Ocrolus is found by `response`, after a message holding braces.
        let pretty = "ERROR ocrolus said: {\n  \"status\": 400,\n  \"message\": \"bad } { }} input\",\n  \"code\": 1200,\n  \"response\": null\n}\n";
        for chunk in [1, 9, 1 << 20] {
            let (sink, _) = scan_chunked(pretty.as_bytes(), chunk);
            assert_eq!(sink.errors, vec![("1200".to_string(), 1)], "chunk {chunk}");
        }
        let text = br#"{ "a": "}", "b": {"c": 1}, ""#;
        assert_eq!(enclosing_open(text), Some(0));
        let text = br#"{ "a": "\"}", ""#;
        assert_eq!(enclosing_open(text), Some(0));
        // Escaped text: quotes are not told apart, every brace counts.
        let text = br#"{ \"a\": \"}\", \""#;
        assert_eq!(enclosing_open(text), None);
        let text = br#"{ \"a\": {\"b\": 1}, \""#;
        assert_eq!(enclosing_open(text), Some(0));
    }

    #[test]
    fn long_lines_are_skipped_and_counted() {
        let mut input = vec![b'x'; 20_000];
        input.extend_from_slice(format!("\n{OCROLUS}\n").as_bytes());
        let (sink, stats) = scan_chunked(&input, 3000);
        assert_eq!(sink.skipped, vec![SkipReason::LineTooLong]);
        assert_eq!(sink.errors.len(), 1);
        assert_eq!(stats.lines, 2);
    }

    /// Found by fuzzing (fuzz/artifacts-regressions/extract/): an
    /// unclosed `{` before a pretty-printed body made the scanner assemble
    /// a record around the body already counted (and, when waiting for more
    /// data, rewind over it), so the body was counted two or three times
    /// depending on where the reads split the stream.
    #[test]
    fn a_body_inside_an_unclosed_brace_is_counted_once_at_any_split() {
        let input = "026-n\n{\n  {\n    \"status\": 400,\n    \"message\": \"Inkey credentials\",\n    \"code\": 1204,\n    \"response\": null\n}\n2e\": 1200,\n  \"response\": nuco1200,00,\n  ";
        for split in 0..=input.len() {
            let engine = engine();
            let mut scanner = Scanner::new(&engine);
            let mut sink = Collect::default();
            scanner.feed(&input.as_bytes()[..split], &mut sink).unwrap();
            scanner.feed(&input.as_bytes()[split..], &mut sink).unwrap();
            scanner.finish(&mut sink).unwrap();
            assert_eq!(sink.errors, vec![("1204".to_string(), 3)], "split {split}");
            assert_eq!(scanner.stats().lines, 11, "split {split}");
        }
        // The same with the enclosing object complete: still one count.
        let closed = input.replace("nuco1200,00,\n  ", "null\n}\n");
        let (sink, _) = scan_chunked(closed.as_bytes(), 1 << 20);
        assert_eq!(sink.errors, vec![("1204".to_string(), 3)]);
    }

    /// Found by fuzzing: a multi-line record running to the end of a
    /// stream without a final newline left its last line uncounted.
    #[test]
    fn a_record_ending_the_stream_counts_its_last_line() {
        let input = "{\"http_code':\n{'error':{},'http_code':'9','success':False}\"}";
        for chunk in [1, 7, 1 << 20] {
            let (_, stats) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(stats.lines, 2, "chunk {chunk}");
        }
        let (sink, stats) = scan_chunked(PRETTY_APLOS.trim_end().as_bytes(), 1 << 20);
        assert_eq!(sink.errors, vec![("3002".to_string(), 1)]);
        assert_eq!(stats.lines, 8);
    }

    /// Found by fuzzing: a pretty-printed record holding a line over the
    /// cap was decoded when its reads kept that line whole, and missed when
    /// a read boundary inside the line made the scanner drop it, so the
    /// count depended on read sizes. Such records are now passed over.
    #[test]
    fn a_record_with_an_over_long_line_is_passed_over_at_any_chunking() {
        let long = "x".repeat(5000);
        let input = format!("{{\n  \"version\": \"v2_0_0\", \"pad\": \"{long}\",\n  \"status\": 422,\n  \"exception\": {{\"message\": \"m\", \"code\": 3002}}\n}}\n{OCROLUS}\n");
        for chunk in [1, 1000, 4097, 1 << 20] {
            let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(sink.errors, vec![("1200".to_string(), 6)], "chunk {chunk}");
            assert_eq!(stats.lines, 6, "chunk {chunk}");
        }
        // The record opens at the end of the over-long line: a reader that
        // dropped the line must not assemble it from the line's tail.
        let input = format!("{long} {{\n  \"status\": 400,\n  \"message\": \"m\",\n  \"code\": 1200,\n  \"response\": null\n}}\n");
        for chunk in [1, 1000, 4097, 1 << 20] {
            let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(sink.errors, vec![], "chunk {chunk}");
            assert_eq!(stats.lines, 6, "chunk {chunk}");
        }
    }

    #[test]
    fn unfinished_pretty_record_is_truncated_once() {
        let input = "{\n  \"error_code\": 3,\n  \"error_message\": \"Invalid structure\",\n  \"details\": nu";
        let (sink, _) = scan_chunked(input.as_bytes(), 1 << 20);
        assert!(sink.errors.is_empty());
        assert_eq!(sink.skipped, vec![SkipReason::Truncated]);
    }

    fn cri(time: &str, stream: &str, tag: char, content: &str) -> String {
        format!("{time} {stream} {tag} {content}\n")
    }

    /// A CRI line split into `P` pieces at any byte (inside keys too), with
    /// the other stream's lines between the pieces, counts as the whole
    /// line does, at any read size; the pieces' lines are counted.
    #[test]
    fn cri_pieces_are_joined_at_every_split_and_chunking() {
        let t = "2026-11-20T10:15:02.123456789Z";
        let content = format!("2026-11-20 09:00:00 ERROR ocrolus said {OCROLUS} done");
        let whole = cri(t, "stderr", 'F', &content);
        let (sink, _) = scan_chunked(whole.as_bytes(), 1 << 20);
        assert_eq!(sink.errors, vec![("1200".to_string(), 1)]);
        assert_eq!(sink.times, vec![Some("2026-11-20T09:00:00Z".to_string())]);
        for cut in 0..=content.len() {
            let (a, b) = content.split_at(cut);
            let mid = cut / 2;
            let input = [
                cri(t, "stdout", 'F', "before"),
                cri(t, "stderr", 'P', &a[..mid]),
                cri(t, "stdout", 'F', &format!("whole stdout {OCROLUS}")),
                cri(t, "stderr", 'P', &a[mid..]),
                cri(t, "stdout", 'P', "other stream's "),
                cri(t, "stderr", 'F', b),
                cri(t, "stdout", 'F', "own partial line"),
            ]
            .concat();
            for chunk in [1, 13, 200, 1 << 20] {
                let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
                let mut codes = sink.errors.clone();
                codes.sort();
                assert_eq!(
                    codes,
                    vec![("1200".to_string(), 2), ("1200".to_string(), 3)],
                    "cut {cut} chunk {chunk}"
                );
                assert_eq!(stats.lines, 7, "cut {cut} chunk {chunk}");
            }
        }
    }

    /// A last `P` piece with no `F`: it waits while the stream may go on,
    /// and is decoded once when it ends.
    #[test]
    fn a_last_cri_piece_waits_then_is_flushed_once() {
        let t = "2026-11-20T10:15:02Z";
        let (a, b) = OCROLUS.split_at(20);
        let engine = engine();
        let mut scanner = Scanner::new(&engine);
        let mut sink = Collect::default();
        scanner
            .feed(cri(t, "stderr", 'P', a).as_bytes(), &mut sink)
            .unwrap();
        scanner
            .feed(cri(t, "stdout", 'F', "x").as_bytes(), &mut sink)
            .unwrap();
        scanner
            .feed(cri(t, "stderr", 'P', b).as_bytes(), &mut sink)
            .unwrap();
        assert!(sink.errors.is_empty());
        assert_eq!(scanner.consumed_offset(), 0, "a checkpoint stays before it");
        scanner.finish(&mut sink).unwrap();
        assert_eq!(sink.errors, vec![("1200".to_string(), 1)]);
        assert_eq!(sink.times, vec![Some("2026-11-20T10:15:02Z".to_string())]);
        assert_eq!(scanner.stats().lines, 3);
        scanner.finish(&mut sink).unwrap();
        assert_eq!(sink.errors.len(), 1, "never twice");
    }

    /// `--by day` for CRI lines: the application's full time, its time of
    /// day on the runtime's date, or the runtime's time; a pretty-printed
    /// body over CRI lines is assembled without their headers.
    #[test]
    fn cri_times_and_pretty_bodies() {
        let t = "2026-11-20T00:00:01.5+00:00";
        let input = [
            cri(t, "stdout", 'F', &format!("23:59:59.100 ERROR {OCROLUS}")),
            cri(t, "stdout", 'F', &format!("ERROR {OCROLUS}")),
            cri(t, "stdout", 'F', "2026-11-19 22:00:00 ERROR aplos said: {"),
            cri(t, "stderr", 'F', "noise"),
        ]
        .concat()
            + &PRETTY_APLOS
                .lines()
                .skip(1)
                .map(|l| cri(t, "stdout", 'F', l))
                .collect::<String>();
        for chunk in [1, 50, 1 << 20] {
            let (sink, _) = scan_chunked(input.as_bytes(), chunk);
            let codes: Vec<&str> = sink.errors.iter().map(|(c, _)| c.as_str()).collect();
            assert_eq!(codes, ["1200", "1200", "3002"], "chunk {chunk}");
            let times: Vec<&str> = sink.times.iter().flatten().map(String::as_str).collect();
            assert_eq!(
                times,
                [
                    "2026-11-19T23:59:59.1Z",
                    "2026-11-20T00:00:01.5Z",
                    "2026-11-19T22:00:00Z"
                ],
                "chunk {chunk}"
            );
        }
    }

    /// A journal export: `__REALTIME_TIMESTAMP` is the time; `MESSAGE` as
    /// a string or as an array of bytes.
    #[test]
    fn journal_entries_with_text_and_byte_messages() {
        let realtime = "1795169702123456";
        let text = format!("codat call failed \u{1b}[31m{OCROLUS}\u{1b}[0m");
        let string = serde_json::json!({"__CURSOR": "s=1", "__REALTIME_TIMESTAMP": realtime,
            "_SYSTEMD_UNIT": "billing.service", "MESSAGE": "started"});
        let escaped = serde_json::json!({"__CURSOR": "s=2", "__REALTIME_TIMESTAMP": realtime,
            "MESSAGE": format!("2020-01-01 00:00:00 x {OCROLUS}")});
        let mut bytes = text.into_bytes();
        bytes.push(0xff);
        let binary = serde_json::json!({"__CURSOR": "s=3", "__REALTIME_TIMESTAMP": realtime,
            "MESSAGE": bytes});
        let input = format!("{string}\n{escaped}\n{binary}\n");
        for chunk in [1, 64, 1 << 20] {
            let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(
                sink.errors,
                vec![("1200".to_string(), 2), ("1200".to_string(), 3)],
                "chunk {chunk}"
            );
            let want = Some("2026-11-20T10:15:02.123456Z".to_string());
            assert_eq!(sink.times, vec![want.clone(), want], "chunk {chunk}");
            assert_eq!(stats.lines, 3);
        }
    }

    /// A body with no time of its own takes its header's: the nearest line
    /// before it starting with a time; colours and leading junk do not hide
    /// a time.
    #[test]
    fn header_times_colours_and_leading_junk() {
        let input = format!(
            "2026-11-18 22:58:19.129 [pool-2-thread-1] ERROR c.e.sync.CodatSync - codat error response:\n\
             {PRETTY_APLOS}\
             2026-11-18 23:00:00 ERROR x:\n{OCROLUS}\n\
             \u{1b}[2m2026-11-19T01:02:03Z\u{1b}[0m \u{1b}[31mERROR\u{1b}[0m {OCROLUS}\n\
             \u{feff}\0<13>Nov 20 10:15:02 host app: {OCROLUS}\n"
        );
        for chunk in [1, 100, 1 << 20] {
            let (sink, _) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(sink.errors.len(), 4, "chunk {chunk}");
            let times: Vec<Option<&str>> = sink.times.iter().map(|t| t.as_deref()).collect();
            assert_eq!(
                times,
                [
                    Some("2026-11-18T22:58:19.129Z"),
                    Some("2026-11-18T23:00:00Z"),
                    Some("2026-11-19T01:02:03Z"),
                    Some(&*format!("{}-11-20T10:15:02Z", engine().default_year)),
                ],
                "chunk {chunk}"
            );
        }
    }

    /// A `P` waiting for its `F` while an unterminated line longer than
    /// the cap follows: the piece is given up on (counted as it is), the
    /// long line skipped, and the stream read on to its end.
    #[test]
    fn a_waiting_piece_does_not_stall_the_stream() {
        let t = "2026-11-20T10:15:02Z";
        let mut input = cri(t, "stderr", 'P', OCROLUS);
        input.push_str(&"x".repeat(600 * 1024));
        input.push('\n');
        input.push_str(&cri(t, "stdout", 'F', OCROLUS));
        for chunk in [4096, 1 << 20] {
            let (sink, stats) = scan_chunked(input.as_bytes(), chunk);
            assert_eq!(
                sink.errors,
                vec![("1200".to_string(), 1), ("1200".to_string(), 3)],
                "chunk {chunk}"
            );
            assert_eq!(stats.lines, 3, "chunk {chunk}");
        }
    }

    /// Colours inside a body (keys and values coloured as `jq -C` does)
    /// do not hide it.
    #[test]
    fn a_body_in_colours_is_found() {
        let (k, v, r) = ("\u{1b}[34;1m", "\u{1b}[0;32m", "\u{1b}[0m");
        let line = format!(
            "{{{k}\"status\"{r}:{v}400{r},{k}\"message\"{r}:{v}\"Authentication failed\"{r},{k}\"code\"{r}:{v}1200{r},{k}\"response\"{r}:{v}null{r}}}\n"
        );
        let (sink, _) = scan_chunked(line.as_bytes(), 1 << 20);
        assert_eq!(sink.errors, vec![("1200".to_string(), 1)]);
    }

    /// A journal stream's line that only looks like an entry with a byte
    /// `MESSAGE` is still read as a line.
    #[test]
    fn a_journal_line_that_is_no_entry_is_read_as_a_line() {
        let first = r#"{"__CURSOR":"s=1","__REALTIME_TIMESTAMP":"1795169702123456","MESSAGE":"x"}"#;
        let odd = format!(r#"{{"MESSAGE":[1,2, "body":{OCROLUS}"#);
        let (sink, _) = scan_chunked(format!("{first}\n{odd}\n").as_bytes(), 1 << 20);
        assert_eq!(sink.errors, vec![("1200".to_string(), 2)]);
    }
}
