//! The commands. Each takes its parsed arguments and returns an [`Exit`].

pub mod codes;
pub mod completions;
pub mod logging;
pub mod report;
pub mod scan;
pub mod tail;
pub mod top;

use std::io::Write;

use anyhow::{anyhow, Result};

use crate::cli::{CheckConfigArgs, ConfigArg};
use crate::config::Config;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Success,
    /// Usage or config error, or an input that could not be read (the
    /// others were still processed).
    Trouble,
}

impl Exit {
    pub fn code(self) -> u8 {
        match self {
            Exit::Success => 0,
            Exit::Trouble => 2,
        }
    }
}

pub fn load_config(arg: &ConfigArg) -> Result<Config> {
    Config::load(arg.config.as_deref()).map_err(|e| anyhow!(e))
}

/// The file `check-config` checks: FILE or `--config` (both only when they name the same
/// file), else `ERRSCOPE_CONFIG`, else none (the built-in defaults).
fn config_to_check(args: &CheckConfigArgs) -> Result<ConfigArg> {
    let config = match (&args.file, &args.config) {
        (Some(file), Some(flag)) if !same_file(file, flag) => {
            return Err(anyhow!(
                "check-config: FILE `{}` and --config `{}` name different files; give one",
                file.display(),
                flag.display()
            ))
        }
        (Some(file), _) | (None, Some(file)) => Some(file.clone()),
        (None, None) => std::env::var_os("ERRSCOPE_CONFIG")
            .filter(|v| !v.is_empty())
            .map(Into::into),
    };
    Ok(ConfigArg { config })
}

fn same_file(a: &std::path::Path, b: &std::path::Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

/// `errscope check-config [FILE]`: loads everything a run would build.
pub fn check_config(args: &CheckConfigArgs) -> Result<Exit> {
    let config = load_config(&config_to_check(args)?)?;
    let shown = config.shown();
    let engine = config.engine(None).map_err(|e| anyhow!("{shown}: {e}"))?;
    let alerts = config.alerts().map_err(|e| anyhow!("{shown}: {e}"))?;
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    writeln!(out, "{shown}: OK")?;
    let literals: Vec<String> = engine
        .prefilter
        .literals()
        .map(|l| format!("`{}`", String::from_utf8_lossy(l)))
        .collect();
    for vendor in engine.vendors.vendors() {
        writeln!(
            out,
            "  vendor {:<12} anchor {:<16} {} codes",
            vendor.id,
            format!("`{}`", vendor.anchor),
            vendor.catalog.distinct_codes()
        )?;
    }
    writeln!(out, "  pre-filter literals: {}", literals.join(" "))?;
    let inputs = if config.file.inputs.is_empty() {
        "(none)".to_owned()
    } else {
        config.file.inputs.join(", ")
    };
    writeln!(out, "  inputs: {inputs}")?;
    let labels = config.labels().map_err(|e| anyhow!("{shown}: {e}"))?;
    writeln!(
        out,
        "  path labels: {} ({} [[label]] rules, then the Kubernetes pod log paths)",
        labels.names().join(", "),
        config.file.label.len()
    )?;
    writeln!(out, "  alert rules: {}", alerts.rules.len())?;
    for rule in &alerts.rules {
        writeln!(out, "    {}: {}", rule.name, rule.describe())?;
    }
    for sink in alerts.sinks.describe() {
        writeln!(out, "  sink {sink}")?;
    }
    if let Some(addr) = &config.file.metrics.addr {
        writeln!(
            out,
            "  metrics: {addr} (up to {} unknown codes per vendor)",
            config.max_unknown_codes()
        )?;
        if !config.file.metrics.labels.is_empty() {
            writeln!(
                out,
                "  metrics labels: {}",
                config.file.metrics.labels.join(", ")
            )?;
        }
    }
    if let Some(endpoint) = &config.file.otlp.endpoint {
        let url = crate::config::otlp_url(endpoint)?;
        let interval = config.file.otlp.interval.as_deref().unwrap_or("10s");
        writeln!(out, "  otlp: {url} every {interval}")?;
    }
    writeln!(out, "  days cut in: {}", config.zone(None)?.name())?;
    out.flush()?;
    Ok(Exit::Success)
}
