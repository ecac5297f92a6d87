//! Where bytes come from: paths expanded to files, files and stdin opened
//! (gzip detected by its magic bytes). Tailing and checkpoints live here too.

pub mod checkpoint;
pub mod mapped;
pub mod open;
pub mod paths;
pub mod sample;
pub mod tail;

pub use open::{open_file, open_path, open_stdin, CountingReader};
pub use paths::{expand, Source};
