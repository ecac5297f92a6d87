//! The progress bar `scan` shows on a terminal.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// A bar drawn on its own thread from a shared byte counter.
pub struct Progress {
    done: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Progress {
    /// Starts drawing `read_bytes` of `total`, after a short delay (short
    /// scans finish before a bar would be useful).
    pub fn start(total: u64, read_bytes: Arc<AtomicU64>) -> Progress {
        let done = Arc::new(AtomicBool::new(false));
        let flag = done.clone();
        let thread = std::thread::spawn(move || draw(total, &read_bytes, &flag));
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

fn draw(total: u64, read_bytes: &AtomicU64, done: &AtomicBool) {
    // Woken early by `finish`.
    std::thread::park_timeout(Duration::from_millis(500));
    if done.load(Ordering::Relaxed) {
        return;
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
    ) {
        bar.set_style(style);
    }
    while !done.load(Ordering::Relaxed) {
        bar.set_position(read_bytes.load(Ordering::Relaxed));
        std::thread::park_timeout(Duration::from_millis(100));
    }
    bar.finish_and_clear();
}
