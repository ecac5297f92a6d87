//! `errscope top`: `tail`'s settings with nothing written (no checkpoints
//! unless `--state-dir`, no summaries, no reports, no metrics server, no
//! alert deliveries), the view's observer added, the tail runtime on its
//! own thread and the terminal loop on this one.

use std::io::IsTerminal;
use std::sync::{mpsc, Arc};

use anyhow::{anyhow, bail, Context, Result};
use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

use super::{load_config, logging, Exit};
use crate::aggregate::Filter;
use crate::cli::{TailArgs, TopArgs};
use crate::output::top::feed::Feed;
use crate::output::top::term::{self, Ending, Inputs};
use crate::output::top::view::Look;
use crate::output::top::{Stats, Top};
use crate::pipeline::tail::{self, LiveObservers};
use crate::timespec::parse_bound;

pub fn run(args: TopArgs) -> Result<Exit> {
    if !std::io::stdout().is_terminal() {
        bail!(
            "top draws a full-screen view and needs a terminal on stdout; \
             for text on a pipe, in a file or under a service manager use `errscope tail`"
        );
    }
    let config = load_config(&args.config)?;
    let tail_args = TailArgs {
        paths: args.paths.clone(),
        config: args.config.clone(),
        interval: args.interval.clone(),
        state_dir: args.state_dir.clone(),
        from_beginning: args.from_beginning,
        no_redact: args.no_redact,
        max_line_bytes: args.max_line_bytes,
        ..TailArgs::default()
    };
    let mut settings = super::tail::settings(&config, &tail_args)?;
    if settings.stdin {
        bail!("top reads its keys from the terminal: for stdin (`-`) use `errscope tail`");
    }
    // A viewer beside a `tail` service: it must not share its checkpoints
    // (the config's state_dir), rewrite its reports, or print.
    settings.state_dir = args.state_dir.clone();
    settings.report_dir = None;
    settings.cli_report_dir = None;
    settings.summaries = false;
    // SIGHUP would bring the config's alert sinks back: not reloaded.
    settings.config_path = None;
    let since = args
        .since
        .as_deref()
        .map(|text| parse_bound(text, Timestamp::now()).context("--since"))
        .transpose()?;
    let shown = config.shown();
    let vendors = config.vendors().map_err(|e| anyhow!("{shown}: {e}"))?;
    let engine = Arc::new(
        config
            .engine(args.max_line_bytes)
            .with_context(|| shown.clone())?,
    );
    let rules = config.alerts().with_context(|| shown.clone())?.rules;
    let window_secs = i64::try_from(settings.interval.as_secs())
        .unwrap_or(i64::MAX)
        .max(1);
    let mut top = Top::new(
        Stats::new(Timestamp::now(), window_secs, settings.redact),
        vendors,
    );
    let look = Look::new(
        Look::colour_from_env(),
        top.vendors().vendors().iter().map(|v| v.id.as_str()),
    );

    let (updates_tx, updates) = mpsc::channel();
    let (diagnostics_tx, diagnostics) = mpsc::channel();
    let feed = Feed::new(
        updates_tx,
        Filter {
            since,
            ..Filter::default()
        },
        rules,
    );
    let live = LiveObservers {
        others: vec![Box::new(feed)],
        alerts: None,
        alerts_total: None,
    };
    let shutdown = CancellationToken::new();
    // From here until the terminal is given back, diagnostics go on screen.
    let capture = logging::capture(diagnostics_tx);
    let pipeline = std::thread::Builder::new()
        .name("errscope-tail".into())
        .spawn({
            let shutdown = shutdown.clone();
            move || tail::run(settings, engine, live, shutdown)
        })
        .context("starting the tail runtime")?;
    let ending = term::run(
        &mut top,
        &look,
        &Inputs {
            updates: &updates,
            diagnostics: &diagnostics,
            stopped: &|| pipeline.is_finished(),
        },
    );
    shutdown.cancel();
    let stopped = pipeline.join();
    drop(capture);
    let ending = ending.context("the terminal")?;
    match stopped {
        Err(_) => bail!("the tail runtime stopped unexpectedly"),
        Ok(Err(e)) => Err(anyhow!(e)),
        Ok(Ok(())) => {
            match ending {
                Ending::PipelineStopped => {
                    tracing::info!(target: crate::NOTICE, "top: the pipeline stopped (signal)")
                }
                Ending::TerminalGone => {
                    tracing::info!(target: crate::NOTICE, "top: the terminal went away")
                }
                Ending::Quit => {}
            }
            Ok(Exit::Success)
        }
    }
}
