//! errscope: find, decode and count third-party API error bodies in logs.
//!
//! The pipeline runs one way: `input` (files, stdin, tailing, checkpoints)
//! → `extract` (pre-filter, JSON span finding, unescaping, multi-line)
//! → `vendors` (shape matching, decoding) + `catalog` (code tables)
//! → `aggregate` → `output` (table, csv, json, reports, metrics) and `alert`.
#![deny(unsafe_code)]

/// The `tracing` target of what errscope tells its user in passing (a
/// reload, the metrics address): printed as `errscope: message`, without
/// a level, whatever the level filter.
pub const NOTICE: &str = "errscope::notice";

pub mod aggregate;
pub mod alert;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod extract;
pub mod input;
pub mod output;
pub mod pipeline;
pub mod timespec;
pub mod vendors;
