//! `errscope tail`: arguments and config to settings, the observers
//! (metrics exporter, alert engine) started, then the tail pipeline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio_util::sync::CancellationToken;

use super::{load_config, Exit};
use crate::aggregate::event::Observer;
use crate::aggregate::{parse_dims_with, Dim};
use crate::cli::TailArgs;
use crate::config::{otlp_url, Config};
use crate::output::metrics::{Exporter, Metrics};
use crate::output::otlp::{OtlpSettings, DEFAULT_INTERVAL as DEFAULT_OTLP_INTERVAL};
use crate::output::Format;
use crate::pipeline::tail::{self, LiveObservers, TailSettings};
use crate::timespec::parse_duration;
use crate::NOTICE;

/// Default summary interval.
const DEFAULT_INTERVAL: Duration = Duration::from_secs(60);
/// Default re-listing of the inputs (a safety net: events trigger it too).
const DEFAULT_RESCAN: Duration = Duration::from_secs(5);

/// Extra wiring for embedding and benchmarks.
#[derive(Default)]
pub struct Hooks {
    /// Observers beside the exporter and the alert engine.
    pub observers: Vec<Box<dyn Observer>>,
    /// Cancelled → shut down as on SIGTERM.
    pub shutdown: Option<CancellationToken>,
}

pub fn run(args: TailArgs) -> Result<Exit> {
    run_with(args, Hooks::default())
}

pub fn run_with(args: TailArgs, hooks: Hooks) -> Result<Exit> {
    let config = load_config(&args.config)?;
    let settings = settings(&config, &args)?;
    if settings.state_dir.is_none() {
        tracing::info!(
            target: NOTICE,
            "note: no --state-dir (or [tail] state_dir): no checkpoints, counting starts afresh on every run"
        );
    }
    let engine = Arc::new(
        config
            .engine(args.max_line_bytes)
            .with_context(|| config.shown())?,
    );
    let mut live = live_observers(&config, &args)?;
    live.others.extend(hooks.observers);
    tail::run(settings, engine, live, hooks.shutdown.unwrap_or_default())?;
    Ok(Exit::Success)
}

/// The Prometheus exporter and the alert engine, when configured.
fn live_observers(config: &Config, args: &TailArgs) -> Result<LiveObservers> {
    let mut observers: Vec<Box<dyn Observer>> = Vec::new();
    let metrics_addr = args
        .metrics_addr
        .as_deref()
        .or(config.file.metrics.addr.as_deref());
    let path_labels = Arc::new(config.labels().with_context(|| config.shown())?);
    let exporter = metrics_addr
        .map(|addr| {
            let metrics = Metrics::new(config.max_unknown_codes())
                .with_labels(path_labels, config.file.metrics.labels.clone());
            Exporter::serve(addr, metrics).with_context(|| format!("--metrics-addr {addr}"))
        })
        .transpose()?;
    let alerts_total = exporter.as_ref().map(Exporter::alert_counter);
    if let Some(exporter) = exporter {
        // Said on stderr so a caller that asked for port 0 learns the port.
        tracing::info!(
            target: NOTICE,
            "metrics on http://{}/metrics",
            exporter.local_addr()
        );
        observers.push(exporter.into_observer());
    }
    let shown = config.shown();
    let setup = config.alerts().with_context(|| shown.clone())?;
    let alerts = crate::alert::engine(&setup, alerts_total.clone())
        .with_context(|| format!("{shown}: cannot start the alert sinks"))?;
    Ok(LiveObservers {
        others: observers,
        alerts,
        alerts_total,
    })
}

/// `--by`: path labels (or `file`) to group the summary's rows by, before
/// vendor, code and status (always there).
fn summary_by(config: &Config, by: Option<&str>) -> Result<Vec<Dim>> {
    let Some(by) = by else {
        return Ok(Vec::new());
    };
    let labels = Arc::new(config.labels().with_context(|| config.shown())?);
    let dims = parse_dims_with(by, &labels).map_err(|e| anyhow!("--by: {e}"))?;
    let mut kept = Vec::new();
    for dim in dims {
        match dim {
            Dim::Vendor | Dim::Code | Dim::Status => {}
            Dim::File | Dim::Label(_) => kept.push(dim),
            other => bail!(
                "--by {}: tail summaries group by path labels ({}) or file",
                other.name(),
                labels.names().join(", ")
            ),
        }
    }
    Ok(kept)
}

/// A duration setting, at least 10 ms; errors name `flag`.
fn duration(flag: &str, text: Option<&str>, default: Duration) -> Result<Duration> {
    match text {
        None => Ok(default),
        Some(text) => {
            let d = parse_duration(text).map_err(|e| anyhow!("{flag}: {e}"))?;
            if d < Duration::from_millis(10) {
                bail!("{flag}: {text} is too short (at least 10ms)");
            }
            Ok(d)
        }
    }
}

/// `--otlp-endpoint`/`[otlp] endpoint` and the interval, when set; each
/// error names the flag or key it is about.
fn otlp_settings(config: &Config, args: &TailArgs) -> Result<Option<OtlpSettings>> {
    let section = &config.file.otlp;
    let (endpoint, from) = match (&args.otlp.otlp_endpoint, &section.endpoint) {
        (Some(endpoint), _) => (endpoint, "--otlp-endpoint".to_owned()),
        (None, Some(endpoint)) => (endpoint, format!("{}: [otlp] endpoint", config.shown())),
        (None, None) => return Ok(None),
    };
    let url = otlp_url(endpoint).with_context(|| from)?;
    let interval = match (&args.otlp.otlp_interval, &section.interval) {
        (Some(text), _) => duration("--otlp-interval", Some(text), DEFAULT_OTLP_INTERVAL)?,
        (None, text) => duration("[otlp] interval", text.as_deref(), DEFAULT_OTLP_INTERVAL)?,
    };
    Ok(Some(OtlpSettings {
        url,
        interval,
        max_unknown_codes: config.max_unknown_codes(),
    }))
}

/// The command line and the config resolved into the runtime's settings
/// (`top` starts from the same).
pub(crate) fn settings(config: &Config, args: &TailArgs) -> Result<TailSettings> {
    let inputs = if args.paths.is_empty() {
        config.file.inputs.clone()
    } else {
        args.paths.clone()
    };
    if inputs.is_empty() {
        bail!("no input: name files, directories, globs or `-` (or set `inputs` in the config)");
    }
    let interval = duration(
        "--interval",
        args.interval
            .as_deref()
            .or(config.file.tail.interval.as_deref()),
        DEFAULT_INTERVAL,
    )?;
    let rescan = duration(
        "[tail] rescan_interval",
        config.file.tail.rescan_interval.as_deref(),
        DEFAULT_RESCAN,
    )?;
    let format = match args.format {
        Format::Table => Format::Table,
        Format::Ndjson => Format::Ndjson,
        other => bail!(
            "--format {}: tail prints `table` or `ndjson`",
            format!("{other:?}").to_lowercase()
        ),
    };
    let state_dir = args
        .state_dir
        .clone()
        .or_else(|| config.file.tail.state_dir.clone());
    Ok(TailSettings {
        stdin: inputs.iter().any(|p| p == "-"),
        patterns: inputs.into_iter().filter(|p| p != "-").collect(),
        interval,
        rescan,
        state_dir,
        from_beginning: args.from_beginning || config.file.tail.from_beginning == Some(true),
        summaries: true,
        format,
        report_dir: args
            .report_dir
            .clone()
            .or_else(|| config.file.report.dir.clone()),
        redact: !args.no_redact && config.file.report.redact != Some(false),
        zone: config.zone(args.zone.timezone.as_deref())?,
        otlp: otlp_settings(config, args)?,
        config_path: args.config.config.clone(),
        cli_report_dir: args.report_dir.clone(),
        cli_no_redact: args.no_redact,
        summary_by: summary_by(config, args.by.as_deref())?,
    })
}
