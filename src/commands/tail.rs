//! `errscope tail`: arguments and config to settings, the observers
//! (metrics exporter, alert engine) started, then the tail pipeline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use tokio_util::sync::CancellationToken;

use super::{load_config, Exit};
use crate::aggregate::event::Observer;
use crate::cli::TailArgs;
use crate::config::Config;
use crate::output::metrics::Exporter;
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
    let exporter = metrics_addr
        .map(|addr| {
            Exporter::start(addr, config.max_unknown_codes())
                .with_context(|| format!("--metrics-addr {addr}"))
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

/// The command line and the config resolved into the runtime's settings.
fn settings(config: &Config, args: &TailArgs) -> Result<TailSettings> {
    let inputs = if args.paths.is_empty() {
        config.file.inputs.clone()
    } else {
        args.paths.clone()
    };
    if inputs.is_empty() {
        bail!("no input: name files, directories, globs or `-` (or set `inputs` in the config)");
    }
    let duration = |flag: &str, text: Option<&str>, default: Duration| -> Result<Duration> {
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
    };
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
    if state_dir.is_none() {
        tracing::info!(
            target: NOTICE,
            "note: no --state-dir (or [tail] state_dir): no checkpoints, counting starts afresh on every run"
        );
    }
    Ok(TailSettings {
        stdin: inputs.iter().any(|p| p == "-"),
        patterns: inputs.into_iter().filter(|p| p != "-").collect(),
        interval,
        rescan,
        state_dir,
        from_beginning: args.from_beginning || config.file.tail.from_beginning == Some(true),
        format,
        report_dir: args
            .report_dir
            .clone()
            .or_else(|| config.file.report.dir.clone()),
        redact: !args.no_redact && config.file.report.redact != Some(false),
        zone: config.zone(args.zone.timezone.as_deref())?,
        config_path: args.config.config.clone(),
        cli_report_dir: args.report_dir.clone(),
        cli_no_redact: args.no_redact,
    })
}
