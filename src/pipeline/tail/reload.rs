//! SIGHUP: the config file read again, and what can change while running
//! applied at once.

use std::path::Path;

use super::aggregator::Aggregator;
use crate::alert::config::Rule;
use crate::alert::{AlertEngine, Dispatcher};
use crate::config::Config;
use crate::NOTICE;

impl Aggregator {
    /// SIGHUP: re-reads the config file and applies what can change while
    /// running: the alert rules and sinks, and the report directory and
    /// redaction (unless set on the command line). A config that does not
    /// load or validate is reported and the previous one kept.
    pub(super) fn reload(&mut self) {
        let Some(path) = self.settings.config_path.clone() else {
            tracing::warn!("tail: SIGHUP: no --config to reload; nothing changed");
            return;
        };
        let shown = path.display().to_string();
        let (parts, config) = match load(&path) {
            Ok(loaded) => loaded,
            Err(message) => {
                let message = message
                    .strip_prefix(&format!("{shown}: "))
                    .unwrap_or(&message);
                tracing::error!(
                    "{shown}: {}; keeping the previous configuration",
                    message.trim_end()
                );
                return;
            }
        };
        let retired: Option<Box<dyn FnOnce() + Send>> = match (self.alerts.as_mut(), parts) {
            (Some(engine), Some((rules, dispatcher))) => {
                let mut old = engine.reconfigure(rules, Box::new(dispatcher));
                Some(Box::new(move || old.finish()))
            }
            (None, Some((rules, dispatcher))) => {
                self.alerts = Some(AlertEngine::new(
                    rules,
                    Box::new(dispatcher),
                    self.alerts_total.clone(),
                ));
                None
            }
            (Some(_), None) => self
                .alerts
                .take()
                .map(|engine| Box::new(move || drop(engine)) as Box<dyn FnOnce() + Send>),
            (None, None) => None,
        };
        if let Some(retired) = retired {
            // The previous sinks deliver what they have queued (a dead
            // webhook may take its retries): not on the counting task.
            let spawned = std::thread::Builder::new()
                .name("errscope-retired-sinks".into())
                .spawn(retired);
            if let Err(e) = spawned {
                self.warn(
                    "alert sinks",
                    &format!("cannot retire the previous sinks: {e}"),
                );
            }
        }
        if self.settings.cli_report_dir.is_none() {
            self.settings.report_dir = config.file.report.dir.clone();
        }
        self.settings.redact =
            !self.settings.cli_no_redact && config.file.report.redact != Some(false);
        let rules = self.alerts.as_ref().map_or(0, AlertEngine::rule_count);
        tracing::info!(
            target: NOTICE,
            "reloaded {shown} ({rules} alert rule(s); inputs, [tail], [metrics], [report] timezone, [[vendor]] and max_line_bytes take effect on restart)"
        );
    }
}

/// Alert rules with their sinks started; `None` when there is no rule.
type AlertParts = Option<(Vec<Rule>, Dispatcher)>;

/// The config at `path` and its alert parts; the message of what failed
/// otherwise.
fn load(path: &Path) -> Result<(AlertParts, Config), String> {
    let config = Config::load(Some(path)).map_err(|e| e.to_string())?;
    let setup = config
        .alerts()
        .map_err(|e| format!("{}: {e}", config.shown()))?;
    let parts = crate::alert::parts(&setup)
        .map_err(|e| format!("{}: cannot start the alert sinks: {e}", config.shown()))?;
    Ok((parts, config))
}
