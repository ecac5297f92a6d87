//! What the long-running pipeline (`tail`) hands to its observers beside
//! the tally: the alert engine and the metrics exporter each implement
//! [`Observer`], so counting never waits on them.

use jiff::Timestamp;

use crate::vendors::SkipReason;

/// One decoded error as a live observer sees it.
#[derive(Debug, Clone)]
pub struct LiveEvent {
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
    /// The catalog's category of the code ("unknown" when not in it).
    pub category: String,
    /// Whether the code is in the catalog.
    pub known: bool,
    pub message: String,
    /// The time the line carries, if any.
    pub event_time: Option<Timestamp>,
    /// When errscope counted it.
    pub arrival: Timestamp,
    pub file: String,
}

impl LiveEvent {
    /// The event's own time, or its arrival when the line had none.
    pub fn time(&self) -> Timestamp {
        self.event_time.unwrap_or(self.arrival)
    }
}

/// Receives the live stream. Implementations must return quickly: slow
/// work (HTTP, processes) goes to their own tasks.
pub trait Observer: Send {
    fn event(&mut self, event: &LiveEvent);
    fn skipped(&mut self, _vendor: &str, _reason: SkipReason) {}
    /// Lines and bytes consumed since the last call.
    fn volume(&mut self, _lines: u64, _bytes: u64) {}
    /// Number of files currently followed.
    fn files_watched(&mut self, _count: usize) {}
    /// Called at least once a second, and at shutdown with `final_tick`.
    fn tick(&mut self, _now: Timestamp, _final_tick: bool) {}
}
