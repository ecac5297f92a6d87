//! Finding vendor error bodies in raw log bytes.
pub mod timestamp;
