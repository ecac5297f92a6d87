//! Streams held whole in memory (mapped files, and chunks of them): walked
//! in windows as if they were read, without copying.

use std::io;

use super::{EventSink, Scanner, LOOK_BEHIND};

impl Scanner<'_> {
    /// Scans a whole stream that is already in memory (a mapped file),
    /// with no copying: it is walked in windows as if it were read, so the
    /// errors, line numbers and line counts equal [`Self::scan_to_end`]'s. After
    /// each window, `done_before(n)` says that `data[..n]` will not be
    /// looked at again, so a caller can release those pages.
    pub fn scan_slice(
        &mut self,
        data: &[u8],
        sink: &mut dyn EventSink,
        done_before: &mut dyn FnMut(usize),
    ) -> io::Result<()> {
        // Large steps keep the page-release calls rare; the window stays
        // far below the memory bound.
        self.scan_slice_in_steps(data, 4 * 1024 * 1024, sink, done_before)
    }

    /// [`Self::scan_slice`] growing the window by `step` bytes at a time
    /// (the fuzz target varies it, as it varies read sizes).
    pub fn scan_slice_in_steps(
        &mut self,
        data: &[u8],
        step: usize,
        sink: &mut dyn EventSink,
        done_before: &mut dyn FnMut(usize),
    ) -> io::Result<()> {
        let step = step.max(1);
        self.reset(0, 0);
        let mut seen = 0;
        loop {
            seen = (seen + step).min(data.len());
            let start = self.slide_window(seen);
            let window = &data[start..seen];
            self.process(window, false, sink);
            if self.skip_long_line(window, sink) {
                self.pos = self.end;
            }
            // A record waiting for more data may pull the next window back
            // by up to one look-behind, never further.
            done_before(start.saturating_sub(LOOK_BEHIND));
            if self.stopped() {
                return self.halted();
            }
            if seen == data.len() {
                break;
            }
        }
        let start = self.slide_window(seen);
        self.process(&data[start..seen], true, sink);
        self.end_long_line();
        self.halted()
    }

    /// Scans `data[start..end]`, one chunk of a stream held whole in
    /// memory, so that the chunks of a stream scanned one by one tell what
    /// [`Self::scan_slice`] tells of all of it: each line and record is told
    /// by the chunk where it starts. `start` is a line start where a chunk
    /// may begin ([`crate::extract::chunk::start_at`]); the scanner begins there as
    /// if the stream did, so nothing is assembled from before it, and reads
    /// on past `end` as far as a record begun before `end` can reach,
    /// telling nothing of what begins there. Events carry stream offsets
    /// and line numbers counted from `start`. Returns the chunk's lines.
    pub fn scan_chunk(
        &mut self,
        data: &[u8],
        start: usize,
        end: usize,
        sink: &mut dyn EventSink,
        done_before: &mut dyn FnMut(usize),
    ) -> io::Result<u64> {
        const STEP: usize = 4 * 1024 * 1024;
        let end = end.min(data.len());
        let reach = end
            .saturating_add(crate::extract::chunk::reach_past(self.engine.max_line))
            .min(data.len());
        self.reset(start as u64, 0);
        self.limit = end as u64;
        let mut seen = start.min(reach);
        loop {
            seen = (seen + STEP).min(reach);
            let from = self.slide_window(seen);
            let window = &data[from..seen];
            self.process(window, false, sink);
            if self.skip_long_line(window, sink) {
                self.pos = self.end;
            }
            done_before(from.saturating_sub(LOOK_BEHIND));
            if self.stopped() {
                return self.halted().map(|()| 0);
            }
            if seen == reach {
                break;
            }
        }
        let at_eof = seen == data.len();
        let from = self.slide_window(seen);
        self.process(&data[from..seen], at_eof, sink);
        if at_eof {
            self.end_long_line();
        }
        self.halted()?;
        // What was counted past the chunk's end is the next chunk's.
        let consumed = self.consumed_offset() as usize;
        let mut lines = self.lines;
        if self.engine.count_lines {
            let count = |bytes: &[u8]| bytecount::count(bytes, b'\n') as u64;
            if consumed >= end {
                lines -= count(&data[end..consumed]);
            } else {
                lines += count(&data[consumed..end]);
            }
        }
        if at_eof && end < data.len() && data.last() != Some(&b'\n') {
            lines = lines.saturating_sub(1);
        }
        Ok(lines)
    }

    /// Places the window over a stream held whole in memory: it ends at
    /// `seen` and keeps the look-behind a read buffer would keep before the
    /// consumed offset. Returns where it starts.
    fn slide_window(&mut self, seen: usize) -> usize {
        let at = self.base as usize + self.pos;
        let start = at.saturating_sub(LOOK_BEHIND);
        self.base = start as u64;
        self.pos = at - start;
        self.end = seen - start;
        start
    }
}
