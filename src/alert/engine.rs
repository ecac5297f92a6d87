//! The rule evaluator: an [`Observer`] that counts each rule's events in a
//! sliding window and raises (and resolves) alerts as events arrive and on
//! every tick.
//!
//! **Clock.** A rule's clock is event time, not wall time, so replays and
//! tests are deterministic. The engine clock is the latest event time seen
//! (any vendor); a line time more than [`MAX_FUTURE`] ahead of its arrival
//! is clamped to `arrival + MAX_FUTURE` so one bogus timestamp cannot jump
//! the clock. Between events, [`Observer::tick`] moves the clock on at wall
//! speed: `now - skew`, where skew is `arrival - event time` of the event
//! that last moved it. That is how a burst resolves when the log goes quiet.
//!
//! **Window.** One bucket per second in a ring of `window` seconds with a
//! running sum. An event older than the window (relative to the clock) is
//! late and not counted.
//!
//! **Baseline.** Each completed *tumbling* window (aligned on multiples of
//! the window since the epoch; the first, partial one is skipped) records
//! its count into a ring of the last `baseline / window` counts, empty
//! windows included as zeros. The baseline is the `percentile` of that ring,
//! read from an `hdrhistogram::Histogram<u64>` rebuilt from the ring when
//! the ring has changed and the value is needed (only once a window's count
//! reaches `min_count`). A ring + rebuild was chosen over two alternating
//! histograms because it gives the exact horizon (not "between H/2 and H"),
//! costs one `u64` per window (1440 for 24h of 1m windows), and the rebuild
//! runs at most once per completed window. Spike rules stay silent until
//! [`WARMUP_WINDOWS`] windows have completed.
//!
//! **States.** Idle → (condition holds, cooldown since the last fire over)
//! → Firing: one `alert` notice → (condition false for `resolve_after`,
//! default the window, so a count hovering at the limit does not flap) →
//! Idle: one `resolved` notice. Threshold: count ≥ threshold. Spike: count ≥
//! `min_count` and count > `factor` × baseline.

use std::collections::VecDeque;
use std::sync::Arc;

use hdrhistogram::Histogram;
use jiff::Timestamp;
use serde_json::{json, Value};

use super::config::{Condition, Rule, WARMUP_WINDOWS};
use super::AlertCounter;
use crate::aggregate::event::{ErrorEvent, Observer};
use crate::timespec::rfc3339;

/// How far a line's own time may run ahead of its arrival.
pub const MAX_FUTURE_SECS: i64 = 300;
const MAX_FUTURE: i128 = MAX_FUTURE_SECS as i128 * NANOS;
const NANOS: i128 = 1_000_000_000;
/// Sample messages are cut to this many characters.
const SAMPLE_CHARS: usize = 300;

/// `alert` or `resolved`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Alert,
    Resolved,
}

impl NoticeKind {
    pub fn as_str(self) -> &'static str {
        match self {
            NoticeKind::Alert => "alert",
            NoticeKind::Resolved => "resolved",
        }
    }
}

/// The latest event a rule counted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
    pub message: String,
}

/// What a rule tells its sinks.
#[derive(Debug, Clone)]
pub struct Notice {
    pub kind: NoticeKind,
    pub rule: Arc<Rule>,
    /// Events in the window at the time of the notice.
    pub count: u64,
    /// The baseline; `None` before enough windows have completed.
    pub baseline: Option<u64>,
    /// The engine clock (event time) when the notice was raised.
    pub at: Timestamp,
    /// Earliest counted event still in the window.
    pub first_event: Option<Timestamp>,
    /// Latest counted event.
    pub last_event: Option<Timestamp>,
    pub sample: Option<Sample>,
}

impl Notice {
    /// `Ocrolus auth failures (1200, 1204): 40 in 5m (baseline 2)`, for people and Slack.
    pub fn text(&self) -> String {
        let rule = &self.rule;
        let baseline = self
            .baseline
            .map_or_else(|| "no baseline yet".to_owned(), |b| format!("baseline {b}"));
        let condition = match &rule.condition {
            Condition::Threshold(n) => format!("threshold {n}"),
            Condition::Spike { factor, .. } => format!("spike x{factor}"),
        };
        let prefix = match self.kind {
            NoticeKind::Alert => "",
            NoticeKind::Resolved => "Resolved: ",
        };
        format!(
            "{prefix}{}: {} in {} ({baseline}) [{}: {condition}]",
            rule.label, self.count, rule.window_text, rule.name
        )
    }

    /// The JSON document every sink receives.
    pub fn to_json(&self) -> Value {
        let rule = &self.rule;
        let time = |t: Option<Timestamp>| t.map(|t| Value::String(rfc3339(Some(t))));
        let mut doc = json!({
            "type": self.kind.as_str(),
            "rule": rule.name,
            "vendor": rule.selector.vendor,
            "codes": rule.selector.codes,
            "statuses": rule.selector.statuses,
            "category": rule.selector.category,
            "window": rule.window_text,
            "count": self.count,
            "baseline": self.baseline,
            "at": rfc3339(Some(self.at)),
            "first_event": time(self.first_event),
            "last_event": time(self.last_event),
            "sample_message": self.sample.as_ref().map(|s| s.message.clone()),
            "sample_vendor": self.sample.as_ref().map(|s| s.vendor.clone()),
            "sample_code": self.sample.as_ref().map(|s| s.code.clone()),
            "sample_status": self.sample.as_ref().and_then(|s| s.status),
            "text": self.text(),
        });
        if let Value::Object(map) = &mut doc {
            match &rule.condition {
                Condition::Threshold(n) => {
                    map.insert("threshold".into(), json!(n));
                }
                Condition::Spike {
                    factor,
                    baseline_text,
                    percentile,
                    min_count,
                    ..
                } => {
                    map.insert("factor".into(), json!(factor));
                    map.insert("percentile".into(), json!(percentile));
                    map.insert("min_count".into(), json!(min_count));
                    map.insert("baseline_horizon".into(), json!(baseline_text));
                }
            }
        }
        doc
    }
}

/// Where the engine hands its notices. Must not block.
pub trait NoticeSink: Send {
    fn send(&mut self, notice: Notice);
    /// Called once at shutdown (the final tick): deliver what is queued.
    fn finish(&mut self) {}
}

#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    count: u64,
    first: Option<Timestamp>,
}

/// Past tumbling-window counts over the baseline horizon.
struct Baseline {
    ring: VecDeque<u64>,
    capacity: usize,
    warmup: usize,
    quantile: f64,
    /// Index (time / window) of the tumbling window being counted.
    current: Option<i64>,
    current_count: u64,
    /// The first window started mid-way: its count is not recorded.
    current_partial: bool,
    histogram: Histogram<u64>,
    dirty: bool,
    value: u64,
}

impl Baseline {
    fn new(capacity: usize, warmup: usize, percentile: f64) -> Baseline {
        #[allow(clippy::expect_used)]
        let histogram = Histogram::new(3).expect("3 significant figures is a valid precision");
        Baseline {
            ring: VecDeque::with_capacity(capacity.min(4096)),
            capacity: capacity.max(1),
            warmup: warmup.clamp(1, capacity.max(1)),
            quantile: (percentile / 100.0).clamp(0.0, 1.0),
            current: None,
            current_count: 0,
            current_partial: true,
            histogram,
            dirty: false,
            value: 0,
        }
    }

    fn push(&mut self, count: u64) {
        if self.ring.len() == self.capacity {
            self.ring.pop_front();
        }
        self.ring.push_back(count);
        self.dirty = true;
    }

    /// The clock entered second `sec`.
    fn advance(&mut self, index: i64) {
        match self.current {
            None => {
                self.current = Some(index);
                self.current_partial = true;
            }
            Some(current) if index > current => {
                if !self.current_partial {
                    self.push(self.current_count);
                }
                let empty = (index - current - 1).min(self.capacity as i64);
                for _ in 0..empty {
                    self.push(0);
                }
                self.current = Some(index);
                self.current_count = 0;
                self.current_partial = false;
            }
            Some(_) => {}
        }
    }

    fn add(&mut self, index: i64) {
        if self.current == Some(index) {
            self.current_count += 1;
        }
    }

    fn value(&mut self) -> Option<u64> {
        if self.ring.len() < self.warmup {
            return None;
        }
        if self.dirty {
            self.histogram.reset();
            for &count in &self.ring {
                self.histogram.saturating_record(count);
            }
            self.value = self.histogram.value_at_quantile(self.quantile);
            self.dirty = false;
        }
        Some(self.value)
    }
}

struct RuleState {
    rule: Arc<Rule>,
    window: i64,
    buckets: Vec<Bucket>,
    /// The second the window ends at (inclusive); `None` before the clock starts.
    head: Option<i64>,
    count: u64,
    last_event: Option<Timestamp>,
    sample: Option<Sample>,
    baseline: Baseline,
    firing: bool,
    last_fire: Option<Timestamp>,
    /// While firing: since when the condition has been false.
    false_since: Option<Timestamp>,
    late: u64,
    matched: u64,
}

/// Whether at least `span` separates `from` and `to`.
fn elapsed(from: Timestamp, to: Timestamp, span: std::time::Duration) -> bool {
    let span = i128::try_from(span.as_nanos()).unwrap_or(i128::MAX);
    to.as_nanosecond() - from.as_nanosecond() >= span
}

fn second(t: Timestamp) -> i64 {
    i64::try_from(t.as_nanosecond().div_euclid(NANOS)).unwrap_or(i64::MAX)
}

impl RuleState {
    fn new(rule: Rule) -> RuleState {
        let window = i64::try_from(rule.window_secs.max(1)).unwrap_or(i64::MAX);
        let capacity = rule.baseline_windows();
        let warmup = match rule.condition {
            Condition::Spike { .. } => WARMUP_WINDOWS,
            Condition::Threshold(_) => 1,
        };
        let baseline = Baseline::new(capacity, warmup, rule.baseline_percentile());
        RuleState {
            buckets: vec![Bucket::default(); usize::try_from(window).unwrap_or(1)],
            window,
            head: None,
            count: 0,
            last_event: None,
            sample: None,
            baseline,
            firing: false,
            last_fire: None,
            false_since: None,
            late: 0,
            matched: 0,
            rule: Arc::new(rule),
        }
    }

    fn slot(&self, sec: i64) -> usize {
        usize::try_from(sec.rem_euclid(self.window)).unwrap_or(0)
    }

    /// Moves the window's end to `sec` (never backwards).
    fn advance(&mut self, sec: i64) {
        let Some(head) = self.head else {
            self.head = Some(sec);
            self.baseline.advance(sec.div_euclid(self.window));
            return;
        };
        if sec <= head {
            return;
        }
        if sec - head >= self.window {
            self.buckets.fill(Bucket::default());
            self.count = 0;
        } else {
            for s in head + 1..=sec {
                let slot = self.slot(s);
                self.count -= self.buckets[slot].count;
                self.buckets[slot] = Bucket::default();
            }
        }
        self.head = Some(sec);
        self.baseline.advance(sec.div_euclid(self.window));
    }

    fn add(&mut self, time: Timestamp, event: &ErrorEvent) {
        let Some(head) = self.head else { return };
        let sec = second(time);
        self.matched += 1;
        if sec <= head - self.window {
            self.late += 1;
            return;
        }
        let slot = self.slot(sec);
        let bucket = &mut self.buckets[slot];
        bucket.count += 1;
        bucket.first = Some(bucket.first.map_or(time, |f| f.min(time)));
        self.count += 1;
        self.baseline.add(sec.div_euclid(self.window));
        self.last_event = Some(self.last_event.map_or(time, |l| l.max(time)));
        let message = match event.message.char_indices().nth(SAMPLE_CHARS) {
            Some((cut, _)) => format!("{}…", &event.message[..cut]),
            None => event.message.clone(),
        };
        self.sample = Some(Sample {
            vendor: event.vendor.clone(),
            code: event.code.clone(),
            status: event.status,
            message,
        });
    }

    fn holds(&mut self) -> bool {
        match self.rule.condition {
            Condition::Threshold(n) => self.count >= n,
            Condition::Spike {
                factor, min_count, ..
            } => {
                self.count >= min_count
                    && self
                        .baseline
                        .value()
                        .is_some_and(|b| self.count as f64 > factor * b as f64)
            }
        }
    }

    fn in_cooldown(&self, now: Timestamp) -> bool {
        self.last_fire
            .is_some_and(|fired| !elapsed(fired, now, self.rule.cooldown))
    }

    fn evaluate(&mut self, now: Timestamp) -> Option<Notice> {
        self.head?;
        let holds = self.holds();
        let kind = match (self.firing, holds) {
            (false, true) if !self.in_cooldown(now) => {
                self.firing = true;
                self.last_fire = Some(now);
                self.false_since = None;
                NoticeKind::Alert
            }
            (true, true) => {
                self.false_since = None;
                return None;
            }
            (true, false) => {
                let since = *self.false_since.get_or_insert(now);
                if !elapsed(since, now, self.rule.resolve_after) {
                    return None;
                }
                self.firing = false;
                self.false_since = None;
                NoticeKind::Resolved
            }
            _ => return None,
        };
        let first_event = self
            .buckets
            .iter()
            .filter(|b| b.count > 0)
            .filter_map(|b| b.first)
            .min();
        Some(Notice {
            kind,
            rule: Arc::clone(&self.rule),
            count: self.count,
            baseline: self.baseline.value(),
            at: now,
            first_event,
            last_event: self.last_event,
            sample: self.sample.clone(),
        })
    }
}

/// The engine clock: the latest event time, and how far arrival ran behind it.
#[derive(Debug, Clone, Copy)]
struct Clock {
    now: Timestamp,
    skew: i128,
}

/// Evaluates every rule against the live stream; see the module docs.
pub struct AlertEngine {
    rules: Vec<RuleState>,
    clock: Option<Clock>,
    sink: Box<dyn NoticeSink>,
    alerts_total: Option<AlertCounter>,
    finished: bool,
}

impl AlertEngine {
    /// `alerts_total`, when given, counts each fired alert by rule (the
    /// metrics exporter's `errscope_alerts_total`).
    pub fn new(
        rules: Vec<Rule>,
        sink: Box<dyn NoticeSink>,
        alerts_total: Option<AlertCounter>,
    ) -> AlertEngine {
        if let Some(counter) = &alerts_total {
            for rule in &rules {
                counter.init(&rule.name);
            }
        }
        AlertEngine {
            rules: rules.into_iter().map(RuleState::new).collect(),
            clock: None,
            sink,
            alerts_total,
            finished: false,
        }
    }

    /// Swaps in a new set of rules and sink (a config reload). A rule
    /// identical to one running keeps its state (window, baseline, cooldown,
    /// firing); a new or changed rule starts afresh (a changed spike rule
    /// warms up again). The engine clock is kept. Returns the previous sink
    /// for the caller to [`NoticeSink::finish`] (it may wait on deliveries).
    pub fn reconfigure(
        &mut self,
        rules: Vec<Rule>,
        sink: Box<dyn NoticeSink>,
    ) -> Box<dyn NoticeSink> {
        let mut old: Vec<RuleState> = std::mem::take(&mut self.rules);
        self.rules = rules
            .into_iter()
            .map(|rule| {
                if let Some(counter) = &self.alerts_total {
                    counter.init(&rule.name);
                }
                match old.iter().position(|s| *s.rule == rule) {
                    Some(i) => old.swap_remove(i),
                    None => RuleState::new(rule),
                }
            })
            .collect();
        // Rules catch up with the clock before anything else arrives.
        self.run(None);
        std::mem::replace(&mut self.sink, sink)
    }

    /// How many rules it evaluates.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// The engine clock (event time), once an event has been seen.
    pub fn now(&self) -> Option<Timestamp> {
        self.clock.map(|c| c.now)
    }

    /// The named rule's count in its current window.
    pub fn window_count(&self, rule: &str) -> Option<u64> {
        self.state(rule).map(|s| s.count)
    }

    /// Events the named rule has matched so far (late ones included).
    pub fn matched(&self, rule: &str) -> Option<u64> {
        self.state(rule).map(|s| s.matched)
    }

    /// Whether the named rule is firing.
    pub fn firing(&self, rule: &str) -> Option<bool> {
        self.state(rule).map(|s| s.firing)
    }

    /// The named rule's current baseline, once established.
    pub fn baseline(&mut self, rule: &str) -> Option<u64> {
        self.rules
            .iter_mut()
            .find(|s| s.rule.name == rule)
            .and_then(|s| s.baseline.value())
    }

    fn state(&self, rule: &str) -> Option<&RuleState> {
        self.rules.iter().find(|s| s.rule.name == rule)
    }

    fn run(&mut self, event: Option<(Timestamp, &ErrorEvent)>) {
        let Some(clock) = self.clock else { return };
        let now_sec = second(clock.now);
        for state in &mut self.rules {
            state.advance(now_sec);
            if let Some((time, event)) = event {
                if state.rule.selector.matches(
                    &event.vendor,
                    &event.code,
                    event.status,
                    &event.category,
                ) {
                    state.add(time, event);
                }
            }
            if let Some(notice) = state.evaluate(clock.now) {
                if notice.kind == NoticeKind::Alert {
                    if let Some(counter) = &self.alerts_total {
                        counter.inc(&notice.rule.name);
                    }
                }
                self.sink.send(notice);
            }
        }
    }
}

impl Observer for AlertEngine {
    fn event(&mut self, event: &ErrorEvent) {
        let arrival = event.arrival.as_nanosecond();
        let mut time = event.time();
        if time.as_nanosecond() - arrival > MAX_FUTURE {
            time = Timestamp::from_nanosecond(arrival + MAX_FUTURE).unwrap_or(time);
        }
        match self.clock {
            Some(clock) if clock.now >= time => {}
            _ => {
                self.clock = Some(Clock {
                    now: time,
                    skew: arrival - time.as_nanosecond(),
                })
            }
        }
        self.run(Some((time, event)));
    }

    fn tick(&mut self, now: Timestamp, final_tick: bool) {
        if let Some(clock) = &mut self.clock {
            let moved = now.as_nanosecond() - clock.skew;
            if moved > clock.now.as_nanosecond() {
                if let Ok(moved) = Timestamp::from_nanosecond(moved) {
                    clock.now = moved;
                }
            }
        }
        self.run(None);
        if final_tick && !self.finished {
            self.finished = true;
            self.sink.finish();
        }
    }
}

impl Drop for AlertEngine {
    fn drop(&mut self) {
        if !self.finished {
            self.finished = true;
            self.sink.finish();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;
    use crate::config::Config;

    #[derive(Clone, Default)]
    struct Collect(Arc<Mutex<Vec<Notice>>>);

    impl NoticeSink for Collect {
        fn send(&mut self, notice: Notice) {
            self.0.lock().unwrap().push(notice);
        }
    }

    impl Collect {
        fn take(&self) -> Vec<(NoticeKind, u64, Option<u64>, i64)> {
            self.0
                .lock()
                .unwrap()
                .drain(..)
                .map(|n| (n.kind, n.count, n.baseline, n.at.as_second() - T0))
                .collect()
        }
    }

    /// 2024-01-01T00:00:00Z, a multiple of every window used here.
    const T0: i64 = 1_704_067_200;

    fn rules(text: &str) -> Vec<Rule> {
        Config::parse(text, "test.toml")
            .unwrap()
            .alerts()
            .unwrap()
            .rules
    }

    fn engine(text: &str) -> (AlertEngine, Collect) {
        let collect = Collect::default();
        (
            AlertEngine::new(rules(text), Box::new(collect.clone()), None),
            collect,
        )
    }

    fn event(vendor: &str, code: &str, secs: f64) -> ErrorEvent {
        let t = Timestamp::from_nanosecond(i128::from(T0) * NANOS + (secs * 1e9) as i128).unwrap();
        ErrorEvent {
            vendor: vendor.into(),
            code: code.into(),
            status: Some(400),
            category: "auth".into(),
            description: String::new(),
            known: true,
            message: format!("{vendor} {code} at {secs}"),
            event_time: Some(t),
            arrival: t,
            file: "app.log".into(),
            line: 1,
        }
    }

    fn at(secs: i64) -> Timestamp {
        Timestamp::from_second(T0 + secs).unwrap()
    }

    /// `per_minute` events evenly spread over minutes [from, to), ticking every second.
    fn feed(e: &mut AlertEngine, vendor: &str, code: &str, from: i64, to: i64, per_minute: u32) {
        for sec in from * 60..to * 60 {
            let in_minute = (sec % 60) as u32;
            // Spread `per_minute` events over the minute's seconds.
            let here = (in_minute + 1) * per_minute / 60 - in_minute * per_minute / 60;
            for i in 0..here {
                e.event(&event(
                    vendor,
                    code,
                    sec as f64 + f64::from(i) / f64::from(here),
                ));
            }
            e.tick(at(sec + 1), false);
        }
    }

    const THRESHOLD: &str = "[[alert]]\nname = \"ocrolus-auth\"\nvendor = \"ocrolus\"\n\
        codes = [1200, 1204]\nwindow = \"5m\"\nthreshold = 20\ncooldown = \"15m\"\n";

    #[test]
    fn reconfigure_keeps_unchanged_rules_and_restarts_changed_ones() {
        let spike = "[[alert]]\nname = \"codat-spike\"\nvendor = \"codat\"\nwindow = \"1m\"\n\
            spike = { factor = 3.0, baseline = \"24h\", percentile = 99.0, min_count = 10 }\n";
        let (mut e, first) = engine(&format!("{THRESHOLD}{spike}"));
        feed(&mut e, "codat", "X", 0, 20, 8);
        feed(&mut e, "ocrolus", "1200", 16, 20, 2);
        assert_eq!(e.window_count("ocrolus-auth"), Some(8));
        assert_eq!(e.baseline("codat-spike"), Some(8));
        // The spike rule unchanged, the threshold rule edited, one added.
        let edited = THRESHOLD.replace("threshold = 20", "threshold = 5");
        let added =
            "[[alert]]\nname = \"new\"\nvendor = \"aplos\"\nwindow = \"1m\"\nthreshold = 1\n";
        let second = Collect::default();
        let mut old = e.reconfigure(
            rules(&format!("{edited}{spike}{added}")),
            Box::new(second.clone()),
        );
        old.finish();
        assert_eq!(e.rule_count(), 3);
        assert_eq!(e.baseline("codat-spike"), Some(8), "kept its baseline");
        assert_eq!(e.window_count("ocrolus-auth"), Some(0), "edited: afresh");
        assert_eq!(e.window_count("new"), Some(0));
        feed(&mut e, "ocrolus", "1200", 20, 23, 2);
        let notices = second.take();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!((notices[0].0, notices[0].1), (NoticeKind::Alert, 5));
        assert!(first.take().is_empty(), "the old sink gets nothing new");
    }

    #[test]
    fn threshold_steady_traffic_does_not_fire() {
        let (mut e, out) = engine(THRESHOLD);
        feed(&mut e, "ocrolus", "1200", 0, 60, 2);
        assert_eq!(e.window_count("ocrolus-auth"), Some(10));
        assert!(out.take().is_empty());
    }

    #[test]
    fn threshold_burst_fires_once_then_resolves() {
        let (mut e, out) = engine(THRESHOLD);
        feed(&mut e, "ocrolus", "1200", 0, 30, 2);
        feed(&mut e, "ocrolus", "1204", 30, 33, 40);
        feed(&mut e, "ocrolus", "1200", 33, 60, 2);
        let notices = out.take();
        assert_eq!(notices.len(), 2, "{notices:?}");
        let (kind, count, baseline, when) = notices[0];
        assert_eq!((kind, count, baseline), (NoticeKind::Alert, 20, Some(10)));
        // Fired as the 20th event of the window arrived: 10 steady + 10 burst in the 31st minute.
        assert!((30 * 60..31 * 60).contains(&when), "{when}");
        assert_eq!(notices[1].0, NoticeKind::Resolved);
        assert!(notices[1].1 < 20);
        // Other vendors and codes do not count.
        feed(&mut e, "codat", "1200", 60, 70, 100);
        feed(&mut e, "ocrolus", "1100", 70, 80, 100);
        assert!(out.take().is_empty());
    }

    #[test]
    fn threshold_fires_on_the_event_not_only_on_tick() {
        let (mut e, out) = engine(THRESHOLD);
        for i in 0..20 {
            e.event(&event("ocrolus", "1200", f64::from(i) * 0.01));
        }
        let notices = out.take();
        assert_eq!(notices.len(), 1);
        assert_eq!(notices[0].1, 20);
    }

    fn bursts(e: &mut AlertEngine, at_secs: &[i64], n: usize) {
        for &sec in at_secs {
            for _ in 0..n {
                e.event(&event("aplos", "x", sec as f64));
            }
        }
    }

    fn tick_to(e: &mut AlertEngine, from: i64, to: i64) {
        for s in from..=to {
            e.tick(at(s), false);
        }
    }

    fn kinds_and_times(out: &Collect) -> Vec<(NoticeKind, i64)> {
        out.take().into_iter().map(|n| (n.0, n.3)).collect()
    }

    const SHORT: &str =
        "[[alert]]\nname = \"t\"\nwindow = \"1m\"\nthreshold = 5\ncooldown = \"10m\"\n";

    #[test]
    fn resolves_once_false_for_a_window_and_cooldown_suppresses_refire() {
        let (mut e, out) = engine(SHORT);
        bursts(&mut e, &[0], 5);
        // The events leave the window at 60s; resolved one window later.
        tick_to(&mut e, 1, 119);
        assert_eq!(kinds_and_times(&out), [(NoticeKind::Alert, 0)]);
        tick_to(&mut e, 120, 199);
        assert_eq!(kinds_and_times(&out), [(NoticeKind::Resolved, 120)]);
        // A burst at 200s, within the 10m cooldown: suppressed.
        bursts(&mut e, &[200], 5);
        tick_to(&mut e, 200, 640);
        assert!(out.take().is_empty());
        // After the cooldown a burst fires again.
        bursts(&mut e, &[650], 5);
        tick_to(&mut e, 650, 800);
        assert_eq!(
            kinds_and_times(&out),
            [(NoticeKind::Alert, 650), (NoticeKind::Resolved, 770)]
        );
    }

    #[test]
    fn a_brief_dip_does_not_resolve() {
        let (mut e, out) = engine(SHORT);
        bursts(&mut e, &[0], 5);
        // Count 0 from 60s to 89s, then back up: still one alert, no resolve.
        tick_to(&mut e, 1, 89);
        bursts(&mut e, &[90], 5);
        tick_to(&mut e, 90, 149);
        assert_eq!(kinds_and_times(&out), [(NoticeKind::Alert, 0)]);
        tick_to(&mut e, 150, 210);
        assert_eq!(kinds_and_times(&out), [(NoticeKind::Resolved, 210)]);
    }

    #[test]
    fn a_condition_outlasting_the_cooldown_fires_when_it_ends() {
        let text = "[[alert]]\nname = \"t\"\nwindow = \"1m\"\nthreshold = 5\ncooldown = \"3m\"\n";
        let (mut e, out) = engine(text);
        bursts(&mut e, &[0], 5);
        tick_to(&mut e, 1, 125);
        assert_eq!(
            kinds_and_times(&out),
            [(NoticeKind::Alert, 0), (NoticeKind::Resolved, 120)]
        );
        // From 130s the count stays at 5+: cooling down until 180s, then it fires.
        bursts(&mut e, &[130], 5);
        for s in 131..200 {
            bursts(&mut e, &[s], 1);
            e.tick(at(s + 1), false);
        }
        assert_eq!(kinds_and_times(&out), [(NoticeKind::Alert, 180)]);
    }

    const SPIKE: &str = "[[alert]]\nname = \"codat-spike\"\nvendor = \"codat\"\nwindow = \"1m\"\n\
        spike = { factor = 3.0, baseline = \"24h\", percentile = 99.0, min_count = 10 }\n";

    #[test]
    fn spike_steady_then_burst_fires_once_and_resolves() {
        let (mut e, out) = engine(SPIKE);
        feed(&mut e, "codat", "RateLimited", 0, 600, 8);
        assert!(out.take().is_empty(), "steady traffic must not fire");
        assert_eq!(e.baseline("codat-spike"), Some(8));
        feed(&mut e, "codat", "RateLimited", 600, 603, 80);
        feed(&mut e, "codat", "RateLimited", 603, 630, 8);
        let notices = out.take();
        assert_eq!(notices.len(), 2, "{notices:?}");
        assert_eq!(notices[0].0, NoticeKind::Alert);
        // 8 × 3 = 24: fires on the 25th event of the window.
        assert_eq!((notices[0].1, notices[0].2), (25, Some(8)));
        assert_eq!(notices[1].0, NoticeKind::Resolved);
        assert!(notices[1].1 <= 24 && notices[1].3 > 603 * 60, "{notices:?}");
    }

    #[test]
    fn spike_needs_min_count() {
        let text = "[[alert]]\nname = \"s\"\nvendor = \"codat\"\nwindow = \"1m\"\n\
            spike = { factor = 3.0, baseline = \"1h\", percentile = 50.0, min_count = 10 }\n";
        let (mut e, out) = engine(text);
        // Quiet (baseline 0), then 9 in a minute: below min_count.
        e.event(&event("codat", "x", 0.0));
        feed(&mut e, "codat", "x", 0, 30, 0);
        feed(&mut e, "codat", "x", 30, 31, 9);
        feed(&mut e, "codat", "x", 31, 33, 0);
        assert!(out.take().is_empty());
        feed(&mut e, "codat", "x", 33, 34, 10);
        let notices = out.take();
        assert_eq!(notices.len(), 1, "{notices:?}");
        assert_eq!((notices[0].1, notices[0].2), (10, Some(0)));
    }

    #[test]
    fn spike_waits_for_warmup() {
        let (mut e, out) = engine(SPIKE);
        // A busy start is not a spike: no baseline yet.
        feed(&mut e, "codat", "x", 0, 5, 100);
        assert!(out.take().is_empty());
        assert_eq!(e.baseline("codat-spike"), None);
    }

    #[test]
    fn late_events_are_not_counted_and_future_ones_are_clamped() {
        let (mut e, _out) = engine(THRESHOLD);
        e.event(&event("ocrolus", "1200", 1000.0));
        e.event(&event("ocrolus", "1200", 600.0));
        assert_eq!(e.window_count("ocrolus-auth"), Some(1));
        assert_eq!(e.matched("ocrolus-auth"), Some(2));
        let mut future = event("ocrolus", "1200", 1000.0);
        future.event_time = Some(at(1_000_000));
        e.event(&future);
        assert_eq!(e.now(), Some(at(1000 + MAX_FUTURE_SECS)));
    }

    #[test]
    fn tick_moves_the_clock_at_wall_speed_behind_replayed_times() {
        let (mut e, out) = engine(THRESHOLD);
        // Old lines (event time = T0) arriving a day later.
        for i in 0..20 {
            let mut ev = event("ocrolus", "1200", f64::from(i));
            ev.arrival = at(86_400 + i64::from(i));
            e.event(&ev);
        }
        assert_eq!(out.take().len(), 1);
        e.tick(at(86_400 + 299), false);
        assert_eq!(e.firing("ocrolus-auth"), Some(true));
        e.tick(at(86_400 + 300), false);
        e.tick(at(86_400 + 599), false);
        assert_eq!(e.firing("ocrolus-auth"), Some(true));
        e.tick(at(86_400 + 600), false);
        assert_eq!(e.firing("ocrolus-auth"), Some(false));
        assert_eq!(out.take()[0].0, NoticeKind::Resolved);
    }

    #[test]
    fn notice_json_and_text() {
        let (mut e, out) = engine(THRESHOLD);
        for i in 0..20 {
            e.event(&event(
                "ocrolus",
                if i % 2 == 0 { "1200" } else { "1204" },
                f64::from(i),
            ));
        }
        let notice = out.0.lock().unwrap().remove(0);
        let doc = notice.to_json();
        assert_eq!(doc["type"], "alert");
        assert_eq!(doc["rule"], "ocrolus-auth");
        assert_eq!(doc["vendor"], "ocrolus");
        assert_eq!(doc["codes"], json!(["1200", "1204"]));
        assert_eq!(doc["window"], "5m");
        assert_eq!(doc["count"], 20);
        assert_eq!(doc["threshold"], 20);
        assert_eq!(doc["baseline"], Value::Null);
        assert_eq!(doc["first_event"], "2024-01-01T00:00:00Z");
        assert_eq!(doc["last_event"], "2024-01-01T00:00:19Z");
        assert_eq!(doc["sample_message"], "ocrolus 1204 at 19");
        assert_eq!(
            doc["text"],
            "Ocrolus auth failures (1200, 1204): 20 in 5m (no baseline yet) [ocrolus-auth: threshold 20]"
        );
    }
}
