//! `errscope top`: a full-screen live view of the errors the `tail`
//! pipeline counts.
//!
//! - [`state`]: the counts and the viewer's choices, pure data driven by
//!   events, keys and times passed in;
//! - [`view`]: one frame drawn from the state, nothing else;
//! - [`feed`]: the observer the `tail` runtime calls, handing events over
//!   to the terminal loop (and evaluating the config's alert rules);
//! - [`term`]: the terminal loop (raw mode, alternate screen, keys).

pub mod feed;
pub mod state;
pub mod term;
pub mod view;

pub use state::{Stats, Top};
