//! `errscope scan`: arguments to settings, then the scan pipeline.

use std::io::{self, IsTerminal, Write};
use std::sync::Mutex;

use anyhow::{anyhow, Context, Result};

use super::{load_config, Exit};
use crate::aggregate::{parse_dims_with, Filter};
use crate::cli::{FilterArgs, ScanArgs};
use crate::input::{expand, sample};
use crate::output::{self, report, Format};
use crate::pipeline::scan::{self, EventsOut, ScanSettings};
use crate::timespec;

pub fn run(args: ScanArgs) -> Result<Exit> {
    let config = load_config(&args.config)?;
    let labels = std::sync::Arc::new(config.labels().with_context(|| config.shown())?);
    let dims = parse_dims_with(&args.by, &labels).map_err(|e| anyhow!("--by: {e}"))?;
    let filter = build_filter(&args.filter)?;
    let zone = config.zone(args.zone.timezone.as_deref())?;
    let mut engine = config
        .engine(args.max_line_bytes)
        .with_context(|| config.shown())?;
    let paths = if args.paths.is_empty() {
        config.file.inputs.clone()
    } else {
        args.paths.clone()
    };
    if paths.is_empty() {
        return Err(anyhow!(
            "no input: name files, directories, globs or `-` (or set `inputs` in the config)"
        ));
    }
    let (sources, path_errors) = expand(&paths);
    let mut failed = !path_errors.is_empty();
    for error in &path_errors {
        eprintln!("errscope: {error}");
    }
    // Only the table's footer, the JSON summary and the events show lines.
    engine.count_lines = args.events || matches!(args.format, Format::Table | Format::Json);
    if !args.fixed_anchors {
        engine.adapt_to(&sample::heads(&sources))?;
        tracing::debug!("searching for the keys {:?}", engine.prefilter.anchors());
    }

    let events: Option<EventsOut> = args
        .events
        .then(|| Mutex::new(Box::new(io::BufWriter::new(io::stdout())) as Box<dyn Write + Send>));
    let settings = ScanSettings {
        threads: args
            .threads
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        mmap: !args.no_mmap,
        show_progress: !args.no_progress && io::stderr().is_terminal(),
        zone: zone.clone(),
    };
    let outcome = scan::run(&engine, &filter, &sources, events.as_ref(), settings)?;
    failed |= outcome.failed;

    if let Some(events) = events {
        let mut out = events
            .into_inner()
            .map_err(|_| anyhow!("event writer poisoned"))?;
        out.flush().context("writing events")?;
    } else {
        let mut out = io::BufWriter::new(io::stdout().lock());
        output::write_summary(
            &mut out,
            args.format,
            &outcome.tally,
            &dims,
            &engine.vendors,
            &zone,
        )
        .and_then(|()| out.flush())?;
    }
    if let Some(dir) = &args.report_dir {
        // Lines without a time count on today: see output::report.
        let redact = !args.no_redact;
        if let Err(error) = report::write_daily(dir, &outcome.tally, &engine.vendors, redact, &zone)
        {
            eprintln!("errscope: {error}");
            failed = true;
        }
    }
    Ok(if failed { Exit::Trouble } else { Exit::Success })
}

pub fn build_filter(args: &FilterArgs) -> Result<Filter> {
    let now = jiff::Timestamp::now();
    let bound = |flag: &str, text: &Option<String>| -> Result<Option<jiff::Timestamp>> {
        text.as_deref()
            .map(|t| timespec::parse_bound(t, now).with_context(|| flag.to_owned()))
            .transpose()
    };
    Ok(Filter {
        vendors: args.vendor.clone(),
        codes: args.code.clone(),
        since: bound("--since", &args.since)?,
        until: bound("--until", &args.until)?,
    })
}
