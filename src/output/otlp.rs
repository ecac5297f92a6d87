//! OTLP/HTTP metrics export (`tail --otlp-endpoint`): the same series as
//! `/metrics`, pushed as protobuf to `<endpoint>/v1/metrics` every
//! interval, for an OpenTelemetry Collector (or any OTLP receiver).
//!
//! Series: `errscope.errors` (attributes `vendor`, `code`, `status`; the
//! same cardinality cap as `/metrics`), `errscope.lines`, `errscope.bytes`,
//! `errscope.skipped` (attribute `reason`), all cumulative monotonic sums
//! since the process started, the cumulative histogram
//! `errscope.ingest_lag` (seconds, the buckets of `/metrics`) and the gauge
//! `errscope.files_watched`. The
//! resource carries `service.name` = `errscope`, `service.version` and
//! `host.name`.
//!
//! Counting never waits on the collector: the observer only updates its
//! totals and, once a tick, hands a copy to a thread of its own that does
//! the HTTP. A failed push is retried with a backoff (doubling from one
//! second, at most the interval) and a warning; as the sums are cumulative
//! the next push that gets through carries everything, so a collector that
//! is down, or not up yet, loses nothing. At shutdown a final push sends
//! the last totals (a few attempts, bounded in time).
//!
//! Plain `http://` only, like the webhook sink: run a local collector, or
//! one reached over a trusted network, for TLS upstream.

use std::collections::BTreeMap;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use jiff::Timestamp;
use opentelemetry_proto::tonic::collector::metrics::v1::{
    ExportMetricsServiceRequest, ExportMetricsServiceResponse,
};
use opentelemetry_proto::tonic::common::v1::{any_value, AnyValue, InstrumentationScope, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, Gauge, Histogram, HistogramDataPoint,
    Metric, NumberDataPoint, ResourceMetrics, ScopeMetrics, Sum,
};
use opentelemetry_proto::tonic::resource::v1::Resource;
use prost::Message;

use super::metrics::{lag_seconds, CodeLabels, LAG_BUCKETS};
use crate::aggregate::event::{ErrorEvent, Observer};
use crate::vendors::SkipReason;
use crate::NOTICE;

/// Default push interval.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(10);
/// First retry delay after a failed push; it doubles up to the interval.
const BACKOFF_START: Duration = Duration::from_secs(1);
/// Per request.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Attempts of the final push at shutdown.
const FINAL_ATTEMPTS: u32 = 3;
/// How long shutdown waits for the final push.
const FINAL_WAIT: Duration = Duration::from_secs(8);
/// A failing collector is warned about at most this often.
const WARN_EVERY: Duration = Duration::from_secs(60);

#[derive(Debug, thiserror::Error)]
pub enum OtlpError {
    #[error("cannot start the OTLP exporter")]
    Start(#[source] std::io::Error),
}

/// Where and how often to push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtlpSettings {
    /// The full URL posted to (`<endpoint>/v1/metrics`, see
    /// [`crate::config::otlp_url`]).
    pub url: String,
    pub interval: Duration,
    /// Unknown codes kept as their own series, per vendor.
    pub max_unknown_codes: usize,
}

/// The host's name for `host.name`.
pub fn host_name() -> String {
    ["/proc/sys/kernel/hostname", "/etc/hostname"]
        .iter()
        .find_map(|path| {
            let name = std::fs::read_to_string(path).ok()?;
            let name = name.trim();
            (!name.is_empty()).then(|| name.to_owned())
        })
        .or_else(|| std::env::var("HOSTNAME").ok().filter(|h| !h.is_empty()))
        .unwrap_or_else(|| "unknown".to_owned())
}

/// Everything counted since the exporter started.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Totals {
    /// (vendor, code, status) → errors.
    pub errors: BTreeMap<(String, String, String), u64>,
    /// reason → skipped bodies.
    pub skipped: BTreeMap<String, u64>,
    pub lines: u64,
    pub bytes: u64,
    pub files_watched: u64,
    pub lag: Lag,
}

impl Totals {
    fn new() -> Totals {
        Totals {
            skipped: SkipReason::ALL
                .iter()
                .map(|r| (r.as_str().to_owned(), 0))
                .collect(),
            ..Totals::default()
        }
    }
}

/// The ingest-lag histogram: per bucket of [`LAG_BUCKETS`] (and one past
/// the last bound), the lines whose lag falls in it.
#[derive(Debug, Clone, PartialEq)]
pub struct Lag {
    pub buckets: Vec<u64>,
    pub count: u64,
    pub sum: f64,
}

impl Default for Lag {
    fn default() -> Self {
        Lag {
            buckets: vec![0; LAG_BUCKETS.len() + 1],
            count: 0,
            sum: 0.0,
        }
    }
}

impl Lag {
    fn observe(&mut self, seconds: f64) {
        let bucket = LAG_BUCKETS
            .iter()
            .position(|&bound| seconds <= bound)
            .unwrap_or(LAG_BUCKETS.len());
        if let Some(slot) = self.buckets.get_mut(bucket) {
            *slot += 1;
        }
        self.count += 1;
        self.sum += seconds;
    }
}

/// The identity every request carries.
#[derive(Debug, Clone)]
pub struct Origin {
    pub host_name: String,
    /// Start of the cumulative sums.
    pub start: Timestamp,
}

fn string_attr(key: &str, value: &str) -> KeyValue {
    KeyValue {
        key: key.to_owned(),
        value: Some(AnyValue {
            value: Some(any_value::Value::StringValue(value.to_owned())),
        }),
        ..KeyValue::default()
    }
}

fn nanos(time: Timestamp) -> u64 {
    u64::try_from(time.as_nanosecond()).unwrap_or(0)
}

fn point(value: u64, attributes: Vec<KeyValue>, start: u64, now: u64) -> NumberDataPoint {
    NumberDataPoint {
        attributes,
        start_time_unix_nano: start,
        time_unix_nano: now,
        value: Some(number_data_point::Value::AsInt(
            i64::try_from(value).unwrap_or(i64::MAX),
        )),
        ..NumberDataPoint::default()
    }
}

fn cumulative_sum(
    name: &str,
    description: &str,
    unit: &str,
    points: Vec<NumberDataPoint>,
) -> Metric {
    Metric {
        name: name.to_owned(),
        description: description.to_owned(),
        unit: unit.to_owned(),
        data: Some(metric::Data::Sum(Sum {
            data_points: points,
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
            is_monotonic: true,
        })),
        ..Metric::default()
    }
}

/// The export request for `totals` at `now`.
pub fn request(totals: &Totals, origin: &Origin, now: Timestamp) -> ExportMetricsServiceRequest {
    let (start, now) = (nanos(origin.start), nanos(now));
    let errors: Vec<NumberDataPoint> = totals
        .errors
        .iter()
        .map(|((vendor, code, status), count)| {
            let attributes = vec![
                string_attr("vendor", vendor),
                string_attr("code", code),
                string_attr("status", status),
            ];
            point(*count, attributes, start, now)
        })
        .collect();
    let skipped = totals
        .skipped
        .iter()
        .map(|(reason, count)| point(*count, vec![string_attr("reason", reason)], start, now))
        .collect();
    let mut metrics = Vec::with_capacity(5);
    if !errors.is_empty() {
        metrics.push(cumulative_sum(
            "errscope.errors",
            "Vendor error bodies decoded, by vendor, code and HTTP status",
            "{error}",
            errors,
        ));
    }
    metrics.push(cumulative_sum(
        "errscope.lines",
        "Log lines read",
        "{line}",
        vec![point(totals.lines, Vec::new(), start, now)],
    ));
    metrics.push(cumulative_sum(
        "errscope.bytes",
        "Log bytes read",
        "By",
        vec![point(totals.bytes, Vec::new(), start, now)],
    ));
    metrics.push(cumulative_sum(
        "errscope.skipped",
        "Vendor bodies recognised but not counted as errors, by reason",
        "{body}",
        skipped,
    ));
    metrics.push(Metric {
        name: "errscope.ingest_lag".to_owned(),
        description: "Seconds from a line's own time to errscope counting it".to_owned(),
        unit: "s".to_owned(),
        data: Some(metric::Data::Histogram(Histogram {
            data_points: vec![HistogramDataPoint {
                start_time_unix_nano: start,
                time_unix_nano: now,
                count: totals.lag.count,
                sum: Some(totals.lag.sum),
                bucket_counts: totals.lag.buckets.clone(),
                explicit_bounds: LAG_BUCKETS.to_vec(),
                ..HistogramDataPoint::default()
            }],
            aggregation_temporality: AggregationTemporality::Cumulative as i32,
        })),
        ..Metric::default()
    });
    metrics.push(Metric {
        name: "errscope.files_watched".to_owned(),
        description: "Files currently followed".to_owned(),
        unit: "{file}".to_owned(),
        data: Some(metric::Data::Gauge(Gauge {
            data_points: vec![point(totals.files_watched, Vec::new(), start, now)],
        })),
        ..Metric::default()
    });
    ExportMetricsServiceRequest {
        resource_metrics: vec![ResourceMetrics {
            resource: Some(Resource {
                attributes: vec![
                    string_attr("service.name", "errscope"),
                    string_attr("service.version", env!("CARGO_PKG_VERSION")),
                    string_attr("host.name", &origin.host_name),
                ],
                ..Resource::default()
            }),
            scope_metrics: vec![ScopeMetrics {
                scope: Some(InstrumentationScope {
                    name: "errscope".to_owned(),
                    version: env!("CARGO_PKG_VERSION").to_owned(),
                    ..InstrumentationScope::default()
                }),
                metrics,
                ..ScopeMetrics::default()
            }],
            ..ResourceMetrics::default()
        }],
    }
}

/// What the observer tells the pushing thread.
enum Msg {
    /// Push the latest totals now, then say so and stop.
    Final(Sender<()>),
}

/// The [`Observer`] that exports to an OTLP collector. Its thread stops
/// after the final tick's push, or when it is dropped.
pub struct OtlpExporter {
    totals: Totals,
    codes: CodeLabels,
    /// Totals changed since they were last handed over.
    dirty: bool,
    latest: Arc<Mutex<Totals>>,
    tx: Option<Sender<Msg>>,
}

impl OtlpExporter {
    /// Starts the pushing thread; the first push is one interval away.
    pub fn start(settings: OtlpSettings, host_name: String) -> Result<OtlpExporter, OtlpError> {
        let totals = Totals::new();
        let latest = Arc::new(Mutex::new(totals.clone()));
        let (tx, rx) = mpsc::channel();
        let pusher = Pusher {
            agent: ureq::Agent::config_builder()
                .timeout_global(Some(REQUEST_TIMEOUT))
                .http_status_as_error(false)
                .user_agent(concat!("errscope/", env!("CARGO_PKG_VERSION")))
                .build()
                .into(),
            origin: Origin {
                host_name,
                start: Timestamp::now(),
            },
            latest: latest.clone(),
            failures: 0,
            last_warning: None,
            settings: settings.clone(),
        };
        thread::Builder::new()
            .name("errscope-otlp".into())
            .spawn(move || pusher.run(&rx))
            .map_err(OtlpError::Start)?;
        Ok(OtlpExporter {
            totals,
            codes: CodeLabels::new(settings.max_unknown_codes),
            dirty: false,
            latest,
            tx: Some(tx),
        })
    }

    fn hand_over(&mut self) {
        if !self.dirty {
            return;
        }
        if let Ok(mut latest) = self.latest.lock() {
            latest.clone_from(&self.totals);
            self.dirty = false;
        }
    }
}

impl Observer for OtlpExporter {
    fn event(&mut self, event: &ErrorEvent) {
        let code = self.codes.label(event);
        let status = event.status.map(|s| s.to_string()).unwrap_or_default();
        *self
            .totals
            .errors
            .entry((event.vendor.clone(), code, status))
            .or_default() += 1;
        if let Some(time) = event.event_time {
            self.totals.lag.observe(lag_seconds(time, event.arrival));
        }
        self.dirty = true;
    }

    fn skipped(&mut self, _vendor: &str, reason: SkipReason) {
        *self
            .totals
            .skipped
            .entry(reason.as_str().to_owned())
            .or_default() += 1;
        self.dirty = true;
    }

    fn volume(&mut self, lines: u64, bytes: u64) {
        self.totals.lines += lines;
        self.totals.bytes += bytes;
        self.dirty = true;
    }

    fn files_watched(&mut self, count: usize) {
        let count = u64::try_from(count).unwrap_or(u64::MAX);
        if count != self.totals.files_watched {
            self.totals.files_watched = count;
            self.dirty = true;
        }
    }

    fn tick(&mut self, _now: Timestamp, final_tick: bool) {
        self.hand_over();
        if !final_tick {
            return;
        }
        let Some(tx) = self.tx.take() else {
            return;
        };
        let (done_tx, done_rx) = mpsc::channel();
        if tx.send(Msg::Final(done_tx)).is_ok() {
            // Bounded: a collector that hangs does not hold shutdown.
            let _ = done_rx.recv_timeout(FINAL_WAIT);
        }
    }
}

struct Pusher {
    agent: ureq::Agent,
    origin: Origin,
    latest: Arc<Mutex<Totals>>,
    settings: OtlpSettings,
    /// Failed pushes in a row.
    failures: u64,
    last_warning: Option<Instant>,
}

impl Pusher {
    fn run(mut self, rx: &Receiver<Msg>) {
        let interval = self.settings.interval;
        let mut wait = interval;
        let mut backoff = BACKOFF_START.min(interval);
        loop {
            match rx.recv_timeout(wait) {
                Ok(Msg::Final(done)) => {
                    self.final_push();
                    let _ = done.send(());
                    return;
                }
                Err(RecvTimeoutError::Disconnected) => return,
                Err(RecvTimeoutError::Timeout) => {}
            }
            if self.push_and_report() {
                wait = interval;
                backoff = BACKOFF_START.min(interval);
            } else {
                wait = backoff;
                backoff = (backoff * 2).min(interval);
            }
        }
    }

    fn final_push(&mut self) {
        let mut pause = Duration::from_millis(100);
        for attempt in 0..FINAL_ATTEMPTS {
            if attempt > 0 {
                thread::sleep(pause);
                pause *= 2;
            }
            if self.push_and_report() {
                return;
            }
        }
    }

    /// One push; warns (at most once a [`WARN_EVERY`]) when it fails and
    /// says when pushes get through again. Whether it got through.
    fn push_and_report(&mut self) -> bool {
        match self.push() {
            Ok(()) => {
                if self.failures > 0 {
                    tracing::info!(
                        target: NOTICE,
                        "OTLP: {} reached again after {} failed push(es); the totals are current",
                        self.settings.url,
                        self.failures
                    );
                }
                self.failures = 0;
                self.last_warning = None;
                true
            }
            Err(message) => {
                self.failures += 1;
                let now = Instant::now();
                if self
                    .last_warning
                    .is_none_or(|at| now.duration_since(at) >= WARN_EVERY)
                {
                    self.last_warning = Some(now);
                    tracing::warn!(
                        "OTLP: {}: {message} ({} failed push(es) in a row; retrying, nothing is lost)",
                        self.settings.url,
                        self.failures
                    );
                }
                false
            }
        }
    }

    fn push(&mut self) -> Result<(), String> {
        let totals = match self.latest.lock() {
            Ok(latest) => latest.clone(),
            Err(_) => return Err("the exporter's totals are unavailable".to_owned()),
        };
        let body = request(&totals, &self.origin, Timestamp::now()).encode_to_vec();
        let mut response = self
            .agent
            .post(&self.settings.url)
            .header("Content-Type", "application/x-protobuf")
            .send(&body[..])
            .map_err(|e| e.to_string())?;
        let status = response.status().as_u16();
        if !(200..300).contains(&status) {
            return Err(format!("answered HTTP {status}"));
        }
        let answer = response
            .body_mut()
            .with_config()
            .limit(1 << 20)
            .read_to_vec()
            .ok()
            .and_then(|bytes| ExportMetricsServiceResponse::decode(bytes.as_slice()).ok());
        if let Some(partial) = answer.and_then(|a| a.partial_success) {
            if partial.rejected_data_points > 0 {
                tracing::warn!(
                    "OTLP: {} rejected {} data point(s): {}",
                    self.settings.url,
                    partial.rejected_data_points,
                    partial.error_message
                );
            }
        }
        tracing::debug!(
            "OTLP: pushed {} error series to {}",
            totals.errors.len(),
            self.settings.url
        );
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(vendor: &str, code: &str, status: Option<u16>, known: bool) -> ErrorEvent {
        let now = Timestamp::from_second(1_782_000_000).unwrap();
        ErrorEvent {
            vendor: vendor.into(),
            code: code.into(),
            status,
            category: String::new(),
            description: String::new(),
            known,
            message: String::new(),
            event_time: Some(now),
            arrival: now,
            file: "a.log".into(),
            line: 1,
        }
    }

    fn attr<'a>(attributes: &'a [KeyValue], key: &str) -> Option<&'a str> {
        attributes.iter().find(|kv| kv.key == key).and_then(|kv| {
            match kv.value.as_ref()?.value.as_ref()? {
                any_value::Value::StringValue(s) => Some(s.as_str()),
                _ => None,
            }
        })
    }

    fn int(point: &NumberDataPoint) -> i64 {
        match point.value {
            Some(number_data_point::Value::AsInt(v)) => v,
            _ => panic!("not an int point: {point:?}"),
        }
    }

    /// The request decodes with the official schema into the series
    /// `/metrics` has, cumulative and monotonic, with the resource.
    #[test]
    fn the_request_carries_the_series() {
        let mut totals = Totals::new();
        let mut codes = CodeLabels::new(1);
        for e in [
            event("ocrolus", "1200", Some(400), true),
            event("ocrolus", "1200", Some(400), true),
            event("codat", "A", None, false),
            event("codat", "B", None, false),
        ] {
            let code = codes.label(&e);
            let status = e.status.map(|s| s.to_string()).unwrap_or_default();
            *totals.errors.entry((e.vendor, code, status)).or_default() += 1;
        }
        totals.lines = 10;
        totals.bytes = 900;
        *totals.skipped.entry("success".into()).or_default() += 2;
        for seconds in [0.0005, 0.3, 0.3, 1000.0] {
            totals.lag.observe(seconds);
        }
        let origin = Origin {
            host_name: "web-1".into(),
            start: Timestamp::from_second(1_782_000_000).unwrap(),
        };
        let now = Timestamp::from_second(1_782_000_060).unwrap();
        let bytes = request(&totals, &origin, now).encode_to_vec();
        let back = ExportMetricsServiceRequest::decode(bytes.as_slice()).unwrap();

        let rm = &back.resource_metrics[0];
        let resource = &rm.resource.as_ref().unwrap().attributes;
        assert_eq!(attr(resource, "service.name"), Some("errscope"));
        assert_eq!(attr(resource, "host.name"), Some("web-1"));
        let metrics = &rm.scope_metrics[0].metrics;
        let names: Vec<&str> = metrics.iter().map(|m| m.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "errscope.errors",
                "errscope.lines",
                "errscope.bytes",
                "errscope.skipped",
                "errscope.ingest_lag",
                "errscope.files_watched"
            ]
        );
        let Some(metric::Data::Sum(errors)) = &metrics[0].data else {
            panic!("errors is a sum");
        };
        assert!(errors.is_monotonic);
        assert_eq!(
            errors.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
        let series: Vec<(&str, &str, &str, i64)> = errors
            .data_points
            .iter()
            .map(|p| {
                let a = &p.attributes;
                (
                    attr(a, "vendor").unwrap(),
                    attr(a, "code").unwrap(),
                    attr(a, "status").unwrap(),
                    int(p),
                )
            })
            .collect();
        assert_eq!(
            series,
            [
                ("codat", "A", "", 1),
                ("codat", "other", "", 1),
                ("ocrolus", "1200", "400", 2)
            ],
            "the unknown-code cap folds into `other`"
        );
        let p = &errors.data_points[0];
        assert_eq!(p.start_time_unix_nano, 1_782_000_000 * 1_000_000_000);
        assert_eq!(p.time_unix_nano, 1_782_000_060 * 1_000_000_000);
        let single = |i: usize| match &metrics[i].data {
            Some(metric::Data::Sum(sum)) => int(&sum.data_points[0]),
            other => panic!("{other:?}"),
        };
        assert_eq!((single(1), single(2)), (10, 900));
        let Some(metric::Data::Sum(skipped)) = &metrics[3].data else {
            panic!("skipped is a sum");
        };
        assert_eq!(skipped.data_points.len(), SkipReason::ALL.len());
        let success = skipped
            .data_points
            .iter()
            .find(|p| attr(&p.attributes, "reason") == Some("success"))
            .unwrap();
        assert_eq!(int(success), 2);
        let Some(metric::Data::Histogram(lag)) = &metrics[4].data else {
            panic!("ingest_lag is a histogram");
        };
        assert_eq!(
            lag.aggregation_temporality,
            AggregationTemporality::Cumulative as i32
        );
        let p = &lag.data_points[0];
        assert_eq!(p.explicit_bounds, LAG_BUCKETS);
        assert_eq!(p.bucket_counts.len(), LAG_BUCKETS.len() + 1);
        assert_eq!((p.count, p.sum), (4, Some(1000.6005)));
        // 0.0005 ≤ 0.001; 0.3 in (0.25, 0.5]; 1000 past the last bound.
        assert_eq!(p.bucket_counts[0], 1);
        assert_eq!(p.bucket_counts[8], 2);
        assert_eq!(p.bucket_counts[LAG_BUCKETS.len()], 1);
        assert_eq!(p.bucket_counts.iter().sum::<u64>(), 4);
    }

    /// Nothing to push yet: no errors series, the volume series at zero.
    #[test]
    fn an_empty_request_is_well_formed() {
        let origin = Origin {
            host_name: host_name(),
            start: Timestamp::now(),
        };
        let req = request(&Totals::new(), &origin, Timestamp::now());
        let metrics = &req.resource_metrics[0].scope_metrics[0].metrics;
        assert_eq!(metrics[0].name, "errscope.lines");
        assert!(!origin.host_name.is_empty());
    }

    #[test]
    fn the_observer_hands_over_only_on_ticks() {
        let settings = OtlpSettings {
            // Nothing listens on port 9 of loopback; nothing is pushed in
            // this test anyway (the interval is an hour).
            url: "http://127.0.0.1:9/v1/metrics".into(),
            interval: Duration::from_secs(3600),
            max_unknown_codes: 50,
        };
        let mut exporter = OtlpExporter::start(settings, "h".into()).unwrap();
        exporter.event(&event("ocrolus", "1200", Some(400), true));
        exporter.volume(3, 300);
        assert_eq!(
            exporter.latest.lock().unwrap().lines,
            0,
            "not yet handed over"
        );
        exporter.tick(Timestamp::now(), false);
        let latest = exporter.latest.lock().unwrap().clone();
        assert_eq!(latest.lines, 3);
        assert_eq!(latest.errors.values().sum::<u64>(), 1);
    }
}
