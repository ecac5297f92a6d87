//! Finding vendor error bodies in raw log bytes: the pre-filter over whole
//! buffers, line and record location, span finding, unescaping, decoding.

pub mod chunk;
pub mod clean;
pub mod cri;
pub mod docker;
pub mod engine;
pub mod journald;
pub mod keys;
pub mod line;
pub mod members;
pub mod platform;
pub mod prefilter;
pub mod scanner;
pub mod shapes;
pub mod span;
pub mod timestamp;
