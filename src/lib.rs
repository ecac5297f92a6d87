//! errscope: find, decode and count third-party API error bodies in logs.
//!
//! The pipeline runs one way: `input` (files, stdin, tailing, checkpoints)
//! → `extract` (pre-filter, JSON span finding, unescaping, multi-line)
//! → `vendors` (shape matching, decoding) + `catalog` (code tables)
//! → `aggregate` → `output` (table, csv, json, reports, metrics) and `alert`.
#![deny(unsafe_code)]

pub mod aggregate;
pub mod alert;
pub mod catalog;
pub mod cli;
pub mod commands;
pub mod config;
pub mod extract;
pub mod input;
pub mod output;
pub mod vendors;
