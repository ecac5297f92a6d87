//! What `tail` needs to know about files: which ones the inputs name now
//! (and file-system events about them), and each file's identity (device,
//! inode, fingerprint). The followers that read them are
//! `pipeline::tail`'s.

pub mod discover;
pub mod identity;

pub use identity::{end_of_last_line, is_gzip, Check, FileKey, Fingerprint};
