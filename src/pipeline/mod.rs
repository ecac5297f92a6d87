//! The one place where the stages meet: `input` → `extract` → `vendors` +
//! `catalog` → `aggregate` → `output` and `alert`. `scan` reads every
//! source once; `tail` follows files live.

pub mod scan;
pub mod tail;
