//! `tail`'s runtime: follow logs live, through rotation and restarts, and
//! summarise every interval.
//!
//! One follower thread per file (and one for stdin, [`follow`]) reads
//! through the same [`Scanner`](crate::extract::scanner::Scanner) as `scan`
//! and sends what it counted over a bounded channel to the aggregator
//! ([`aggregator`]), the single task here that owns all counts. The aggregator keeps, per file identity, the offset
//! and the counts that offset accounts for, and checkpoints both in one
//! atomic write, so a restart after a crash continues exactly where the
//! last checkpoint stood. It also calls the observers (alerts, metrics),
//! prints the summaries and re-lists the inputs when files appear
//! ([`registry`]: which files are followed, and from where, [`read_from`]).
//!
//! Semantics:
//! - "since start" / `total` is everything counted on this state directory,
//!   across restarts (without `--state-dir`: this run).
//! - Files present at the very first start (no checkpoint yet) start at
//!   their last complete line unless `--from-beginning`; files that appear
//!   later, or while errscope was down, start at 0.
//! - A line counts once its newline arrives. At shutdown a followed file's
//!   unfinished line is left for the next run (the checkpoint stops before
//!   it); a rotated-away file's, and stdin's, is counted.
//! - Rename rotation: the old file is read until quiet for
//!   `ROTATION_GRACE` (1 s) and let go; if the inputs also match its new
//!   name it simply keeps being followed. A file created and renamed away
//!   before a listing saw it is found through the paired rename event.
//! - copytruncate: on truncation, what was not read yet is read from the
//!   copy beside the file or in `[tail] rotated_dirs` (a rotated name, the
//!   same first bytes as far as both go; plain or gzip); lost are only
//!   lines written after the copy and truncated before being read (the
//!   copy-to-truncate window).
//! - The files beside (`beside`): a file under a rotated name of an input,
//!   or in `rotated_dirs`, is judged by whose content it holds: a followed
//!   file's (its follower reads it on truncation), a let-go file's (read on
//!   from that file's offset), an old one's (there before counting began,
//!   or judged before: nothing), or nobody's (written and rotated away
//!   between two looks or while errscope was down: read whole). Judged
//!   once unknown and unmodified for 500 ms; remembered by identity and
//!   fingerprint in the checkpoint. If the inputs match the copies too, a
//!   copy is recognised by the full 1 KiB fingerprint of a followed or
//!   truncated file, or by a rotation-style name of a followed file
//!   (`app.log.2`, `app.log-20261125`) on a new inode, and not counted.
//! - Restart (`restart`): a checkpointed file no longer where it was is
//!   found beside its last path (any name, and `rotated_dirs`) by inode,
//!   or by its first bytes (decompressed for gzip), and read on from its
//!   offset; one found nowhere is named with its offset. A rotation's
//!   bookkeeping is checkpointed at once.
//! - SIGHUP re-reads the `--config` file. If it loads and validates, the
//!   alert rules and sinks and `[report]` (dir, redact; the command line
//!   still wins) take effect at once: a rule identical to a running one
//!   keeps its window, baseline and cooldown, a new or changed one starts
//!   afresh (a spike rule warms up again); the previous sinks deliver what
//!   they had queued. Inputs, `[tail]`, `[metrics]`, `[report] timezone`,
//!   `[[vendor]]` and `max_line_bytes` need a restart. A config that fails is named on
//!   stderr (file, line, key) and the previous one is kept.
//!
//! Limits: lines in a copytruncate window; a rotated file deleted while
//! errscope is down (its bytes past the checkpoint); content rewritten
//! from zero with the same first 1 KiB and longer than what was read is
//! not noticed; two files whose first bytes are the same are one content;
//! two processes must not share a state directory; a blocked stdout blocks
//! counting (memory stays bounded) and delays shutdown; a corrupt
//! checkpoint is moved aside and counting starts afresh from the end.

mod aggregator;
mod beside;
pub mod checkpoint;
pub mod follow;
pub mod read_from;
mod registry;
mod reload;
mod restart;
pub mod rotation;

use std::io;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::aggregate::event::Observer;
use crate::aggregate::Dim;
use crate::aggregate::Zone;
use crate::alert::{AlertCounter, AlertEngine};
use crate::extract::scanner::Engine;
use crate::output::otlp::{self, OtlpError, OtlpExporter, OtlpSettings};
use crate::output::Format;
use crate::NOTICE;
use aggregator::Aggregator;
pub use checkpoint::CheckpointError;

/// The command line and the config, resolved (by `commands::tail`).
#[derive(Debug, Clone)]
pub struct TailSettings {
    /// File patterns (stdin excluded).
    pub patterns: Vec<String>,
    pub stdin: bool,
    /// Between summaries.
    pub interval: Duration,
    /// Between listings of the inputs.
    pub rescan: Duration,
    pub state_dir: Option<PathBuf>,
    pub from_beginning: bool,
    /// Print the interval summaries on stdout in `format` (`top` draws its
    /// own screen from the observers instead).
    pub summaries: bool,
    pub format: Format,
    pub report_dir: Option<PathBuf>,
    pub redact: bool,
    /// The zone days and hours are cut in (reports, retention).
    pub zone: Zone,
    /// Push metrics to an OTLP collector.
    pub otlp: Option<OtlpSettings>,
    /// The config file, re-read on SIGHUP.
    pub config_path: Option<PathBuf>,
    /// What the command line set, which a reloaded config does not override.
    pub cli_report_dir: Option<PathBuf>,
    pub cli_no_redact: bool,
    /// Directories rotated files are moved to (logrotate's `olddir`),
    /// looked in besides each file's own.
    pub rotated_dirs: Vec<PathBuf>,
    /// Path labels (or the file) the summary's rows are grouped by before
    /// vendor, code and status (`--by`).
    pub summary_by: Vec<Dim>,
}

/// The observers of the live stream: the alert engine apart, as a reload
/// reconfigures it.
#[derive(Default)]
pub struct LiveObservers {
    /// The metrics exporter and any embedder's.
    pub others: Vec<Box<dyn Observer>>,
    pub alerts: Option<AlertEngine>,
    /// Fired alerts by rule, for an alert engine built on reload.
    pub alerts_total: Option<AlertCounter>,
}

/// Why `tail` could not run.
#[derive(Debug, thiserror::Error)]
pub enum TailError {
    #[error(transparent)]
    Checkpoint(#[from] CheckpointError),
    #[error(transparent)]
    Otlp(#[from] OtlpError),
    #[error("{what}: {source}")]
    Io {
        what: &'static str,
        #[source]
        source: io::Error,
    },
}

/// Runs until SIGTERM or SIGINT (or `shutdown`, or the end of stdin when it
/// is the only input), then drains, prints the final summary, writes the
/// reports and the checkpoint.
pub fn run(
    settings: TailSettings,
    engine: Arc<Engine>,
    mut live: LiveObservers,
    shutdown: CancellationToken,
) -> Result<(), TailError> {
    if let Some(settings) = &settings.otlp {
        let exporter = OtlpExporter::start(settings.clone(), otlp::host_name())?;
        tracing::info!(
            target: NOTICE,
            "OTLP metrics to {} every {:?}",
            settings.url,
            settings.interval
        );
        live.others.push(Box::new(exporter));
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|source| TailError::Io {
            what: "starting the runtime",
            source,
        })?;
    runtime.block_on(async move {
        let (aggregator, rx) = Aggregator::start(settings, engine, live)?;
        aggregator.run(rx, shutdown).await
    })
}
