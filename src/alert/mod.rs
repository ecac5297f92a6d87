//! Alert rules (`[[alert]]` in `config.toml`), their evaluation over the
//! live stream, and the sinks notices go to.
//!
//! `tail` builds the engine with [`engine`] from the validated
//! [`config::AlertSetup`] and feeds it like any other observer; the engine
//! never blocks: sinks run on their own threads behind bounded queues.

pub mod config;
pub mod engine;
pub mod sinks;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

pub use engine::{AlertEngine, Notice, NoticeKind, NoticeSink};
pub use sinks::{Dispatcher, SinkError};

/// The engine for `setup`'s rules, delivering through their sinks; `None`
/// when there is no rule. `alerts_total` (from the metrics exporter, when
/// it runs) counts fired alerts by rule.
pub fn engine(
    setup: &config::AlertSetup,
    alerts_total: Option<AlertCounter>,
) -> Result<Option<AlertEngine>, SinkError> {
    let Some((rules, dispatcher)) = parts(setup)? else {
        return Ok(None);
    };
    Ok(Some(AlertEngine::new(
        rules,
        Box::new(dispatcher),
        alerts_total,
    )))
}

/// `setup`'s rules and a dispatcher started for their sinks; `None` when
/// there is no rule.
pub fn parts(
    setup: &config::AlertSetup,
) -> Result<Option<(Vec<config::Rule>, Dispatcher)>, SinkError> {
    if setup.rules.is_empty() {
        return Ok(None);
    }
    let dispatcher = Dispatcher::start(&setup.sinks, &setup.rules)?;
    Ok(Some((setup.rules.clone(), dispatcher)))
}

/// The label set of [`AlertCounter`].
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RuleLabels {
    rule: String,
}

/// Alerts fired, by rule: `errscope_alerts_total{rule}` once the metrics
/// exporter registers [`AlertCounter::family`].
#[derive(Debug, Clone, Default)]
pub struct AlertCounter(Family<RuleLabels, Counter>);

impl AlertCounter {
    /// Makes the rule's series exist (at 0) before its first alert.
    pub fn init(&self, rule: &str) {
        let _ = self.0.get_or_create(&RuleLabels { rule: rule.into() });
    }

    pub fn inc(&self, rule: &str) {
        self.0
            .get_or_create(&RuleLabels { rule: rule.into() })
            .inc();
    }

    /// The metric family to register.
    pub fn family(&self) -> Family<RuleLabels, Counter> {
        self.0.clone()
    }
}
