//! Alert rules (`[[alert]]` in `config.toml`), their evaluation over the
//! live stream, and the sinks notices go to.
//!
//! `tail` builds the engine with [`alert_observer`] and feeds it like any
//! other [`Observer`]; the engine never blocks: sinks run on their own
//! threads behind bounded queues.

pub mod config;
pub mod engine;
pub mod sinks;

use anyhow::{anyhow, Context, Result};

use crate::aggregate::live::Observer;
use crate::config::Config;
use crate::output::metrics::AlertCounter;
pub use engine::{AlertEngine, Notice, NoticeKind, NoticeSink};
pub use sinks::Dispatcher;

/// The alert engine for `config`'s rules, delivering through their sinks;
/// `None` when the config has no `[[alert]]`. `alerts_total` (from the
/// metrics exporter, when it runs) counts fired alerts by rule.
pub fn alert_observer(
    config: &Config,
    alerts_total: Option<AlertCounter>,
) -> Result<Option<Box<dyn Observer>>> {
    Ok(alert_engine(config, alerts_total)?.map(|e| Box::new(e) as Box<dyn Observer>))
}

/// [`alert_observer`], as the engine itself (so `tail` can reconfigure it
/// on SIGHUP).
pub fn alert_engine(
    config: &Config,
    alerts_total: Option<AlertCounter>,
) -> Result<Option<AlertEngine>> {
    let Some((rules, dispatcher)) = alert_parts(config)? else {
        return Ok(None);
    };
    Ok(Some(AlertEngine::new(
        rules,
        Box::new(dispatcher),
        alerts_total,
    )))
}

/// The validated rules of `config` and a dispatcher started for their
/// sinks; `None` when the config has no `[[alert]]`.
pub fn alert_parts(config: &Config) -> Result<Option<(Vec<config::Rule>, Dispatcher)>> {
    let setup = config
        .alerts()
        .map_err(|e| anyhow!("{}: {e}", config.shown()))?;
    if setup.rules.is_empty() {
        return Ok(None);
    }
    let dispatcher = Dispatcher::start(&setup.sinks, &setup.rules)
        .with_context(|| format!("{}: cannot start the alert sinks", config.shown()))?;
    Ok(Some((setup.rules, dispatcher)))
}
