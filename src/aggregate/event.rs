//! The one enriched event: a decoded error with its vendor's catalog entry,
//! where it was found and when. `scan --events` prints it; in `tail` the
//! observers (alert engine, metrics exporter) receive it beside the tally,
//! so counting never waits on them.

use jiff::Timestamp;

use crate::extract::scanner::Event;
use crate::vendors::{SkipReason, VendorSet};

/// One decoded error, enriched from the catalog.
#[derive(Debug, Clone)]
pub struct ErrorEvent {
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
    /// The catalog's category of the code ("unknown" when not in it).
    pub category: String,
    /// The catalog's description of the code.
    pub description: String,
    /// Whether the code is in the catalog.
    pub known: bool,
    pub message: String,
    /// The time the line carries, if any.
    pub event_time: Option<Timestamp>,
    /// When errscope counted it.
    pub arrival: Timestamp,
    pub file: String,
    /// 1-based line number of the line (or first line of the record).
    pub line: u64,
}

impl ErrorEvent {
    /// Looks the event's code up in its vendor's catalog.
    pub fn enrich(
        vendors: &VendorSet,
        event: &Event<'_>,
        file: &str,
        arrival: Timestamp,
    ) -> ErrorEvent {
        let vendor = vendors.get(event.error.vendor);
        let found = vendor.lookup(&event.error.code, event.error.status);
        ErrorEvent {
            vendor: vendor.id.clone(),
            code: event.error.code.clone(),
            status: event.error.status,
            category: found.category.to_owned(),
            description: found.description.to_owned(),
            known: found.known,
            message: event.error.message.clone(),
            event_time: event.time,
            arrival,
            file: file.to_owned(),
            line: event.line,
        }
    }

    /// The event's own time, or its arrival when the line had none.
    pub fn time(&self) -> Timestamp {
        self.event_time.unwrap_or(self.arrival)
    }
}

/// Receives the live stream. Implementations must return quickly: slow
/// work (HTTP, processes) goes to their own tasks.
pub trait Observer: Send {
    fn event(&mut self, event: &ErrorEvent);
    fn skipped(&mut self, _vendor: &str, _reason: SkipReason) {}
    /// Lines and bytes consumed since the last call.
    fn volume(&mut self, _lines: u64, _bytes: u64) {}
    /// Number of files currently followed.
    fn files_watched(&mut self, _count: usize) {}
    /// Called at least once a second, and at shutdown with `final_tick`.
    fn tick(&mut self, _now: Timestamp, _final_tick: bool) {}
}
