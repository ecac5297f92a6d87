//! The observer `top` adds to the `tail` runtime: it passes the events,
//! the volume read and the number of files followed to the terminal loop,
//! and evaluates the config's `[[alert]]` rules with the same engine as
//! `tail`. Notices are shown, not delivered: a `top` beside a `tail`
//! service must not page anyone a second time.

use std::sync::mpsc::Sender;

use jiff::Timestamp;

use super::state::Update;
use crate::aggregate::event::{ErrorEvent, Observer};
use crate::aggregate::Filter;
use crate::alert::config::Rule;
use crate::alert::{AlertEngine, Notice, NoticeSink};

/// Feeds the view from inside the runtime.
pub struct Feed {
    to: Sender<Update>,
    /// Which events are shown (`--since`).
    filter: Filter,
    alerts: Option<AlertEngine>,
    rules: Vec<String>,
    /// The firing rules last sent.
    firing: Option<Vec<String>>,
}

impl Feed {
    /// `rules`: the config's alert rules (none: no engine).
    pub fn new(to: Sender<Update>, filter: Filter, rules: Vec<Rule>) -> Feed {
        let names = rules.iter().map(|r| r.name.clone()).collect();
        let alerts = (!rules.is_empty())
            .then(|| AlertEngine::new(rules, Box::new(Notices { to: to.clone() }), None));
        let mut feed = Feed {
            to,
            filter,
            alerts,
            rules: names,
            firing: None,
        };
        // The view knows the rules before the first event.
        feed.report_alerts();
        feed
    }

    /// Says which rules fire, when that changed.
    fn report_alerts(&mut self) {
        let firing: Vec<String> = match &self.alerts {
            Some(engine) => self
                .rules
                .iter()
                .filter(|r| engine.firing(r) == Some(true))
                .cloned()
                .collect(),
            None => Vec::new(),
        };
        if self.firing.as_ref() != Some(&firing) {
            self.firing = Some(firing.clone());
            self.send(Update::Alerts {
                rules: self.rules.len(),
                firing,
            });
        }
    }

    fn send(&self, update: Update) {
        // The view gone means it is quitting: nothing to tell.
        let _ = self.to.send(update);
    }
}

impl Observer for Feed {
    fn event(&mut self, event: &ErrorEvent) {
        if !self
            .filter
            .accepts(&event.vendor, &event.code, event.event_time)
        {
            return;
        }
        if let Some(engine) = &mut self.alerts {
            engine.event(event);
        }
        self.send(Update::Event(Box::new(event.clone())));
        self.report_alerts();
    }

    fn volume(&mut self, lines: u64, bytes: u64) {
        self.send(Update::Volume {
            lines,
            bytes,
            at: Timestamp::now(),
        });
    }

    fn files_watched(&mut self, count: usize) {
        self.send(Update::Files(count));
    }

    fn tick(&mut self, now: Timestamp, final_tick: bool) {
        if let Some(engine) = &mut self.alerts {
            engine.tick(now, final_tick);
        }
        self.report_alerts();
    }
}

/// The alert engine's notices, to the screen.
struct Notices {
    to: Sender<Update>,
}

impl NoticeSink for Notices {
    fn send(&mut self, notice: Notice) {
        let _ = self.to.send(Update::Notice(notice.text()));
    }
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;

    use super::*;
    use crate::config::Config;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_796_094_000 + second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn event(second: i64, event_time: Option<Timestamp>) -> ErrorEvent {
        ErrorEvent {
            vendor: "ocrolus".into(),
            code: "1200".into(),
            status: Some(400),
            category: "auth".into(),
            description: "Authentication failed".into(),
            known: true,
            message: "Authentication failed".into(),
            event_time,
            arrival: at(second),
            file: "a.log".into(),
            line: 1,
        }
    }

    #[test]
    fn rules_fire_and_resolve_through_the_alert_engine() {
        let config = Config::parse(
            r#"
[[alert]]
name = "ocrolus-auth"
vendor = "ocrolus"
codes = [1200]
window = "1m"
threshold = 3
"#,
            "test.toml",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let rules = config.alerts().unwrap_or_else(|e| panic!("{e}")).rules;
        let (tx, rx) = mpsc::channel();
        let mut feed = Feed::new(tx, Filter::default(), rules);
        for s in 1..=3 {
            feed.event(&event(s, Some(at(s))));
        }
        // Quiet: the condition goes false, then stays false for the
        // window (the default `resolve_after`).
        feed.tick(at(100), false);
        feed.tick(at(200), false);
        let updates: Vec<Update> = rx.try_iter().collect();
        let alerts: Vec<Vec<String>> = updates
            .iter()
            .filter_map(|u| match u {
                Update::Alerts { rules: 1, firing } => Some(firing.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(
            alerts,
            vec![vec![], vec!["ocrolus-auth".to_owned()], vec![]],
            "{updates:?}"
        );
        let notices: Vec<&String> = updates
            .iter()
            .filter_map(|u| match u {
                Update::Notice(text) => Some(text),
                _ => None,
            })
            .collect();
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert!(notices[1].starts_with("Resolved: "), "{notices:?}");
        let events = updates
            .iter()
            .filter(|u| matches!(u, Update::Event(_)))
            .count();
        assert_eq!(events, 3);
    }

    #[test]
    fn since_filters_before_the_view_and_the_rules() {
        let (tx, rx) = mpsc::channel();
        let filter = Filter {
            since: Some(at(10)),
            ..Filter::default()
        };
        let mut feed = Feed::new(tx, filter, Vec::new());
        feed.event(&event(20, Some(at(5))));
        feed.event(&event(20, None));
        feed.event(&event(20, Some(at(10))));
        feed.volume(3, 30);
        feed.files_watched(1);
        let updates: Vec<Update> = rx.try_iter().collect();
        let events: Vec<Option<Timestamp>> = updates
            .iter()
            .filter_map(|u| match u {
                Update::Event(e) => Some(e.event_time),
                _ => None,
            })
            .collect();
        assert_eq!(events, vec![Some(at(10))]);
        assert!(updates.iter().any(|u| matches!(
            u,
            Update::Volume {
                lines: 3,
                bytes: 30,
                ..
            }
        )));
        assert!(updates.iter().any(|u| matches!(u, Update::Files(1))));
    }
}
