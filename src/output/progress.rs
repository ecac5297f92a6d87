//! The progress bar of a scan: bytes read of the total, and a read rate and time left only
//! once they mean something.
//!
//! indicatif's own `{bytes_per_sec}` and `{eta}` start from the first two positions it is
//! given. A scan's first position arrives when the bar appears, with everything read since the
//! scan started credited to a few microseconds, which showed rates like "19.10 TiB/s". The
//! [`Rate`] here shows nothing for the first second, measures from the scan's start, and then
//! averages over the last few seconds, so a burst (a whole small file counted at once) moves
//! it a little, not a thousandfold.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use indicatif::{HumanBytes, HumanDuration, ProgressBar, ProgressStyle};

/// No rate before this much time since the start.
pub const MIN_ELAPSED: Duration = Duration::from_secs(1);
/// The rate is the average over (at least) this much of the most recent time.
pub const WINDOW: Duration = Duration::from_secs(5);

/// Bytes per second from samples of (time since the start, bytes so far).
#[derive(Debug, Clone)]
pub struct Rate {
    /// Oldest first; the first is at least [`WINDOW`] older than the last once that much time
    /// has passed, and the start `(0, 0)` until then.
    samples: VecDeque<(Duration, u64)>,
}

impl Default for Rate {
    fn default() -> Self {
        Rate::new()
    }
}

impl Rate {
    /// A meter whose start (time zero, nothing read) is the scan's start.
    pub fn new() -> Self {
        Rate {
            samples: VecDeque::from([(Duration::ZERO, 0)]),
        }
    }

    /// Records that `bytes` had been read by `at` since the start. Samples out of order
    /// (earlier time or fewer bytes than the last) are ignored.
    pub fn record(&mut self, at: Duration, bytes: u64) {
        if let Some(&(last_at, last_bytes)) = self.samples.back() {
            if at <= last_at || bytes < last_bytes {
                return;
            }
        }
        self.samples.push_back((at, bytes));
        // Drop the oldest while the next one still spans the window.
        while self.samples.len() > 2 && at.saturating_sub(self.samples[1].0) >= WINDOW {
            self.samples.pop_front();
        }
    }

    /// Bytes per second over the window, or `None` before [`MIN_ELAPSED`].
    pub fn per_second(&self) -> Option<f64> {
        let (&(first_at, first_bytes), &(last_at, last_bytes)) =
            (self.samples.front()?, self.samples.back()?);
        let span = last_at.saturating_sub(first_at);
        if last_at < MIN_ELAPSED || span < MIN_ELAPSED {
            return None;
        }
        Some((last_bytes - first_bytes) as f64 / span.as_secs_f64())
    }

    /// Time left to read `total` bytes at the current rate; `None` without a rate, at a rate
    /// of zero, or without a total.
    pub fn eta(&self, total: u64) -> Option<Duration> {
        let rate = self.per_second().filter(|r| *r > 0.0)?;
        let &(_, read) = self.samples.back()?;
        if total == 0 {
            return None;
        }
        let left = total.saturating_sub(read) as f64 / rate;
        Duration::try_from_secs_f64(left).ok()
    }

    /// What the bar shows after the byte counts: `(12.40 MiB/s, 3s left)`, or nothing yet.
    pub fn describe(&self, total: u64) -> String {
        match (self.per_second(), self.eta(total)) {
            (None, _) => String::new(),
            (Some(rate), Some(eta)) => {
                format!(
                    "({}/s, {:#} left)",
                    HumanBytes(rate as u64),
                    HumanDuration(eta)
                )
            }
            (Some(rate), None) => format!("({}/s)", HumanBytes(rate as u64)),
        }
    }
}

/// A bar drawn on its own thread from a shared byte counter.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `read_bytes` of `total`, after a short delay (short
    /// scans finish before a bar would be useful); the rate is measured
    /// from now.
    pub fn start(total: u64, read_bytes: Arc<AtomicU64>) -> Progress {
        let started = Instant::now();
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::spawn(move || draw(total, &read_bytes, &flag, started));
        Progress {
            done,
            thread: Some(thread),
        }
    }

    /// Clears the bar.
    pub fn finish(mut self) {
        self.done.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            thread.thread().unpark();
            let _ = thread.join();
        }
    }
}

fn draw(total: u64, read_bytes: &AtomicU64, done: &AtomicBool, started: Instant) {
    // Woken early by `finish`.
    std::thread::park_timeout(Duration::from_millis(500));
    if done.load(Ordering::Relaxed) {
        return;
    }
    let bar = ProgressBar::new(total).with_elapsed(started.elapsed());
    if let Ok(style) = ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
    ) {
        bar.set_style(style);
    }
    let mut rate = Rate::new();
    while !done.load(Ordering::Relaxed) {
        let read = read_bytes.load(Ordering::Relaxed);
        rate.record(started.elapsed(), read);
        bar.set_position(read);
        bar.set_message(rate.describe(total));
        std::thread::park_timeout(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIB: u64 = 1024 * 1024;

    fn ms(n: u64) -> Duration {
        Duration::from_millis(n)
    }

    #[test]
    fn no_rate_in_the_first_second_however_much_was_read() {
        let mut rate = Rate::new();
        // 20 TiB "read" in the first 10 ms: what indicatif turned into TiB/s.
        rate.record(ms(10), 20 * 1024 * 1024 * MIB);
        assert_eq!(rate.per_second(), None);
        rate.record(ms(999), 20 * 1024 * 1024 * MIB);
        assert_eq!(rate.per_second(), None);
        assert_eq!(rate.eta(u64::MAX), None);
        assert_eq!(rate.describe(u64::MAX), "");
    }

    #[test]
    fn rate_counts_from_the_start_of_the_scan() {
        let mut rate = Rate::new();
        // The bar appears late (at 500 ms) with 300 MiB already read.
        rate.record(ms(500), 300 * MIB);
        rate.record(ms(1000), 400 * MIB);
        assert_eq!(rate.per_second(), Some(400.0 * MIB as f64));
        rate.record(ms(2000), 500 * MIB);
        assert_eq!(rate.per_second(), Some(250.0 * MIB as f64));
    }

    #[test]
    fn rate_is_the_average_of_the_last_window() {
        let mut rate = Rate::new();
        // A burst of 1 GiB at the start, then 10 MiB/s for 20 s.
        rate.record(ms(100), 1024 * MIB);
        for s in 1..=20 {
            rate.record(Duration::from_secs(s), 1024 * MIB + 10 * MIB * s);
        }
        // Only the last five seconds count: the burst is forgotten.
        assert_eq!(rate.per_second(), Some(10.0 * MIB as f64));
        assert_eq!(rate.describe(0), "(10.00 MiB/s)");
        // Half a second of a faster pace moves the average, smoothly.
        rate.record(ms(20_500), 1024 * MIB + 200 * MIB + 50 * MIB);
        let r = rate.per_second().unwrap() / MIB as f64;
        assert!(r > 10.0 && r < 20.0, "{r}");
    }

    #[test]
    fn window_keeps_at_least_its_span() {
        let mut rate = Rate::new();
        for tenth in 1..=100 {
            rate.record(ms(100 * tenth), MIB * tenth);
        }
        let span = rate.samples.back().unwrap().0 - rate.samples.front().unwrap().0;
        assert!(span >= WINDOW && span < WINDOW + ms(200), "{span:?}");
        assert_eq!(rate.per_second(), Some(10.0 * MIB as f64));
    }

    #[test]
    fn eta_is_what_is_left_at_the_current_rate() {
        let mut rate = Rate::new();
        rate.record(Duration::from_secs(2), 100 * MIB);
        // 50 MiB/s, 400 MiB left.
        assert_eq!(rate.eta(500 * MIB), Some(Duration::from_secs(8)));
        assert_eq!(rate.describe(500 * MIB), "(50.00 MiB/s, 8s left)");
        // Past the total (a file grew while scanned): nothing left.
        assert_eq!(rate.eta(50 * MIB), Some(Duration::ZERO));
        // Stdin only: no total, no time left.
        assert_eq!(rate.eta(0), None);
    }

    #[test]
    fn stalled_scan_has_a_zero_rate_and_no_eta() {
        let mut rate = Rate::new();
        rate.record(Duration::from_secs(3), 0);
        assert_eq!(rate.per_second(), Some(0.0));
        assert_eq!(rate.eta(MIB), None);
        assert_eq!(rate.describe(MIB), "(0 B/s)");
    }

    #[test]
    fn out_of_order_samples_are_ignored() {
        let mut rate = Rate::new();
        rate.record(Duration::from_secs(2), 100 * MIB);
        rate.record(Duration::from_secs(1), 900 * MIB);
        rate.record(Duration::from_secs(3), 50 * MIB);
        assert_eq!(rate.per_second(), Some(50.0 * MIB as f64));
    }
}
