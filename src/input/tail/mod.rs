//! Following files live: identity (device, inode, fingerprint), the
//! per-file follower threads, and discovery of the files the inputs name.
//! The aggregator that drives them is `commands::tail`.

pub mod discover;
pub mod follow;
pub mod identity;

pub use follow::{spawn_file, spawn_stdin, Batch, FollowSpec, FollowerCtl, SourceMsg};
pub use identity::{end_of_last_line, is_gzip, Check, FileKey, Fingerprint};
