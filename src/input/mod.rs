//! Where bytes come from: paths expanded to files, files and stdin opened
//! (gzip detected by its magic bytes), settled files mapped, sample heads,
//! and for `tail` the discovery of files and their identity. Bytes and
//! files only: nothing here knows about vendors, decoding or counting.

pub mod mapped;
pub mod open;
pub mod paths;
pub mod sample;
pub mod tail;

pub use open::{open_file, open_path, open_stdin, CountingReader};
pub use paths::{expand, Source};
