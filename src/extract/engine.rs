//! What every scanner runs with: the vendors, their pre-filter, the limits.

use jiff::Timestamp;

use super::prefilter::{Prefilter, PrefilterError};
use crate::vendors::VendorSet;

/// Default cap on one line; longer lines are skipped and counted.
pub const DEFAULT_MAX_LINE: usize = 1024 * 1024;
/// The largest line cap accepted (the scanner's buffer is sized by it).
pub const MAX_LINE_LIMIT: usize = 1024 * 1024 * 1024;

/// What the scanner needs: vendors, their pre-filter, limits.
#[derive(Debug, Clone)]
pub struct Engine {
    pub vendors: VendorSet,
    pub prefilter: Prefilter,
    pub max_line: usize,
    /// Year assumed for timestamps without one (syslog).
    pub default_year: i16,
    /// Whether lines are counted (the totals and the events' line numbers).
    /// Counting is a pass over every byte; a summary that prints neither
    /// turns it off, as a search tool does without line numbers.
    pub count_lines: bool,
}

impl Engine {
    pub fn new(vendors: VendorSet, max_line: usize) -> Result<Engine, PrefilterError> {
        Ok(Engine {
            prefilter: Prefilter::new(&vendors)?,
            vendors,
            max_line: max_line.clamp(1024, MAX_LINE_LIMIT),
            count_lines: true,
            default_year: Timestamp::now()
                .to_zoned_datetime(jiff::tz::TimeZone::UTC)
                .year(),
        })
    }
}

impl Engine {
    /// Makes the pre-filter search, per vendor, the shape key that is
    /// cheapest in `sample` (see [`Prefilter::adapted`]).
    pub fn adapt_to(&mut self, sample: &[u8]) -> Result<(), PrefilterError> {
        self.prefilter = Prefilter::adapted(&self.vendors, sample)?;
        Ok(())
    }
}
