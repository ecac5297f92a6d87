//! The command line, as clap parses it. Validation into runnable settings
//! happens in each command.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

#[derive(Debug, Parser)]
#[command(
    name = "errscope",
    version,
    about = "Find, decode and count third-party API error bodies in logs"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Scan files, directories, globs, .gz files or stdin (`-`) once and summarise.
    Scan(ScanArgs),
    /// Follow logs live through rotation and restarts, summarising every interval.
    Tail(TailArgs),
    /// A full-screen live view of what `tail` counts (rates, sparklines, alerts; needs a terminal).
    Top(TopArgs),
    /// List the catalog, or explain one code.
    Codes(CodesArgs),
    /// Validate a config file and print what it sets up.
    CheckConfig(CheckConfigArgs),
    /// Work with daily CSV reports.
    #[command(subcommand)]
    Report(ReportCommand),
    /// Print a shell completion script on standard output.
    Completions {
        /// The shell to complete in.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff) of errscope and of each subcommand.
    Man,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ConfigArg {
    /// Config file (TOML).
    #[arg(long, short = 'c', env = "ERRSCOPE_CONFIG")]
    pub config: Option<PathBuf>,
}

/// `check-config [FILE]`: the file as a positional, as `promtool check config FILE` takes it,
/// or as `-c/--config` and `ERRSCOPE_CONFIG` like every other command. The environment is read
/// when the command runs (not by clap), so FILE can override it while a FILE that differs from
/// an explicit `--config` is refused.
#[derive(Debug, Args, Clone)]
pub struct CheckConfigArgs {
    /// Config file (TOML) to check; the same as `--config`.
    #[arg(value_name = "FILE")]
    pub file: Option<PathBuf>,
    /// Config file (TOML); without FILE or this, the file named by ERRSCOPE_CONFIG.
    #[arg(long, short = 'c', value_name = "CONFIG")]
    pub config: Option<PathBuf>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct ZoneArg {
    /// Cut days and hours (`--by day,hour`, daily reports) at local midnight in this IANA time
    /// zone, e.g. America/New_York [default: the config's `[report] timezone`, else UTC].
    #[arg(long, value_name = "ZONE")]
    pub timezone: Option<String>,
}

#[derive(Debug, Args, Clone, Default)]
pub struct OtlpArgs {
    /// Push the metrics over OTLP/HTTP (protobuf) to this collector, e.g.
    /// http://127.0.0.1:4318; posts to <URL>/v1/metrics [default: the config's `[otlp] endpoint`].
    #[arg(long, value_name = "URL")]
    pub otlp_endpoint: Option<String>,
    /// Between OTLP pushes, e.g. 10s [default: `[otlp] interval`, else 10s].
    #[arg(long, value_name = "DURATION")]
    pub otlp_interval: Option<String>,
}

#[derive(Debug, Args, Clone)]
pub struct FilterArgs {
    /// Count only these vendors (comma-separated ids, repeatable).
    #[arg(long, value_delimiter = ',')]
    pub vendor: Vec<String>,
    /// Count only these codes (comma-separated, repeatable).
    #[arg(long, value_delimiter = ',')]
    pub code: Vec<String>,
    /// Count only events at or after this time (RFC 3339, a date, or an age like 24h).
    #[arg(long)]
    pub since: Option<String>,
    /// Count only events before this time.
    #[arg(long)]
    pub until: Option<String>,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files, directories (recursive), globs, or `-` for stdin. Defaults to the config's inputs.
    pub paths: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Group by these keys: day, hour, vendor, code, status, category, file.
    #[arg(long, default_value = "vendor,code,status")]
    pub by: String,
    #[command(flatten)]
    pub filter: FilterArgs,
    /// Print one NDJSON object per decoded error instead of a summary.
    #[arg(long)]
    pub events: bool,
    /// Write daily CSV reports (YYYY-MM-DD.csv, one per day of the events' times in the
    /// --timezone) into this directory, replacing those days' files. Lines without a time count
    /// on the day of the scan.
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Leave sample messages in reports unmasked (by default e-mail addresses, UUIDs, long
    /// numbers and credentials are masked).
    #[arg(long)]
    pub no_redact: bool,
    /// Worker threads (default: one per core).
    #[arg(long, short = 'j')]
    pub threads: Option<usize>,
    /// Always read files with read(2); by default large files not modified
    /// for a minute are memory-mapped, which is faster.
    #[arg(long)]
    pub no_mmap: bool,
    /// Search for each vendor's configured anchor key; by default the
    /// pre-filter searches for the key of each vendor's shape that is
    /// rarest in the head of the input, which is faster.
    #[arg(long)]
    pub fixed_anchors: bool,
    /// Skip (and count) lines longer than this many bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
    /// Never show a progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// `Default` lets `top` start from `tail`'s settings with only its own
/// options set.
#[derive(Debug, Args, Default)]
pub struct TailArgs {
    /// Files, directories, globs, or `-` for stdin. Defaults to the config's inputs.
    pub paths: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Summary interval (e.g. 10s, 1m).
    #[arg(long)]
    pub interval: Option<String>,
    /// Summary format: table for people, ndjson for machines.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Directory for checkpoints (resume without loss or double counting).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Read files never seen before from their start instead of their end.
    #[arg(long)]
    pub from_beginning: bool,
    /// Keep daily CSV reports current in this directory.
    #[arg(long)]
    pub report_dir: Option<PathBuf>,
    #[command(flatten)]
    pub zone: ZoneArg,
    /// Leave sample messages in reports unmasked.
    #[arg(long)]
    pub no_redact: bool,
    /// Serve Prometheus metrics on this address (e.g. 127.0.0.1:9464).
    #[arg(long)]
    pub metrics_addr: Option<String>,
    /// Group the summary's rows by these path labels (namespace, pod, container, a
    /// `[[label]]` group) or `file` too, before vendor, code and status.
    #[arg(long, value_name = "KEYS")]
    pub by: Option<String>,
    #[command(flatten)]
    pub otlp: OtlpArgs,
    /// Skip (and count) lines longer than this many bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
}

#[derive(Debug, Args)]
pub struct TopArgs {
    /// Files, directories or globs. Defaults to the config's inputs.
    pub paths: Vec<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// The window the WINDOW column counts, from the start (e.g. 5m; default: `[tail] interval`, or 1m).
    #[arg(long)]
    pub interval: Option<String>,
    /// Read the files present at the start from their beginning instead of their end.
    #[arg(long)]
    pub from_beginning: bool,
    /// Show only events at or after this time (RFC 3339, a date, or an age like 1h).
    #[arg(long)]
    pub since: Option<String>,
    /// Checkpoint in this directory and resume from it (by default top writes no checkpoints;
    /// never give it the directory of a running `tail`).
    #[arg(long)]
    pub state_dir: Option<PathBuf>,
    /// Show sample messages unmasked.
    #[arg(long)]
    pub no_redact: bool,
    /// Skip (and count) lines longer than this many bytes.
    #[arg(long)]
    pub max_line_bytes: Option<usize>,
}

#[derive(Debug, Args)]
pub struct CodesArgs {
    /// Vendor id (ocrolus, aplos, ozforensics, synapse, codat, or one from the config).
    pub vendor: Option<String>,
    /// A code to explain.
    pub code: Option<String>,
    #[command(flatten)]
    pub config: ConfigArg,
    /// Output format.
    #[arg(long, short = 'f', value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Subcommand)]
pub enum ReportCommand {
    /// Merge reports of the same day from many hosts.
    Merge {
        /// Report files to merge.
        #[arg(required = true)]
        inputs: Vec<PathBuf>,
        /// Output file.
        #[arg(long, short = 'o')]
        output: PathBuf,
    },
    /// Render a directory of daily reports as a self-contained HTML page.
    Html {
        /// Directory holding YYYY-MM-DD.csv reports.
        dir: PathBuf,
        /// Output file.
        #[arg(long, short = 'o')]
        output: PathBuf,
        /// The zone the reports' days were cut in, named on the page.
        #[command(flatten)]
        zone: ZoneArg,
        #[command(flatten)]
        config: ConfigArg,
    },
}
