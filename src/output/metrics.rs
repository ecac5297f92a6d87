//! The Prometheus exporter: an [`Observer`] that keeps a `prometheus_client`
//! registry current, and a small HTTP server (`/metrics`, `/healthz`) on its
//! own thread and Tokio runtime, so it works whatever `tail` runs on.
//!
//! Series (counters are registered without `_total`; the encoder adds it):
//! `errscope_errors_total{vendor,code,status}`, `errscope_lines_total`,
//! `errscope_bytes_total`, `errscope_skipped_total{reason}`,
//! `errscope_alerts_total{rule}`, `errscope_files_watched` and the histogram
//! `errscope_ingest_lag_seconds` (arrival − the line's own time, for lines
//! that carry one). `status` is empty when the body has none.
//!
//! Cardinality: per vendor, codes in the catalog always get their own
//! series; the first `max_unknown_codes` codes outside it do too, later ones
//! fold into `code="other"`.
//!
//! Path labels (`namespace`, `pod`, `container`, `[[label]]` groups) are on
//! `errscope_errors_total` only when `[metrics] labels` names them, after
//! `status`; per label, the first `max_unknown_codes` values get their own
//! series and later ones fold into `other`, as codes do.
//!
//! Formats: a client that accepts `application/openmetrics-text` (Prometheus
//! does) gets OpenMetrics 1.0; anyone else (curl, `promtool check metrics`)
//! gets the Prometheus text format 0.0.4, where counter families are named
//! with their `_total` suffix.

use std::collections::{HashMap, HashSet};
use std::net::{Ipv4Addr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::thread;

use axum::extract::State;
use axum::http::header::{ACCEPT, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use jiff::Timestamp;
use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;
use tokio_util::sync::CancellationToken;

use crate::aggregate::event::{ErrorEvent, Observer};
use crate::aggregate::labels::PathLabels;
use crate::alert::AlertCounter;
use crate::vendors::SkipReason;

/// Codes outside the catalog kept as their own series, per vendor.
/// The folded code label.
pub const OTHER_CODE: &str = "other";
/// Upper bounds (seconds) of the ingest-lag histogram.
pub const LAG_BUCKETS: [f64; 16] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0,
];
pub const OPENMETRICS_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";
pub const PROMETHEUS_TEXT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";
/// Codes longer than this are cut (label values stay small).
const MAX_CODE_LABEL: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum MetricsError {
    #[error("metrics address `{addr}`: {message}")]
    Addr { addr: String, message: String },
    #[error("cannot serve metrics on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start the metrics server: {0}")]
    Start(#[source] std::io::Error),
}

/// `vendor`, `code`, `status`, then the path labels asked for.
type ErrorLabels = Vec<(String, String)>;

#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReasonLabels {
    reason: String,
}

/// The metric families and their registry.
#[derive(Debug, Clone)]
pub struct Metrics {
    registry: Arc<Registry>,
    errors: Family<ErrorLabels, Counter>,
    lines: Counter,
    bytes: Counter,
    skipped: Family<ReasonLabels, Counter>,
    alerts: AlertCounter,
    files_watched: Gauge,
    lag: Histogram,
    max_unknown_codes: usize,
    /// The path labels carried, and the rules giving them.
    labels: Vec<String>,
    path_labels: Arc<PathLabels>,
}

impl Metrics {
    pub fn new(max_unknown_codes: usize) -> Metrics {
        let mut registry = Registry::default();
        let errors = Family::<ErrorLabels, Counter>::default();
        registry.register(
            "errscope_errors",
            "Vendor error bodies decoded, by vendor, code and HTTP status",
            errors.clone(),
        );
        let lines = Counter::default();
        registry.register("errscope_lines", "Log lines read", lines.clone());
        let bytes = Counter::default();
        registry.register("errscope_bytes", "Log bytes read", bytes.clone());
        let skipped = Family::<ReasonLabels, Counter>::default();
        registry.register(
            "errscope_skipped",
            "Vendor bodies recognised but not counted as errors, by reason",
            skipped.clone(),
        );
        for reason in SkipReason::ALL {
            let _ = skipped.get_or_create(&ReasonLabels {
                reason: reason.as_str().into(),
            });
        }
        let alerts = AlertCounter::default();
        registry.register("errscope_alerts", "Alerts fired, by rule", alerts.family());
        let files_watched = Gauge::default();
        registry.register(
            "errscope_files_watched",
            "Files currently followed",
            files_watched.clone(),
        );
        let lag = Histogram::new(LAG_BUCKETS);
        registry.register(
            "errscope_ingest_lag_seconds",
            "Seconds from a line's own time to errscope counting it",
            lag.clone(),
        );
        Metrics {
            registry: Arc::new(registry),
            errors,
            lines,
            bytes,
            skipped,
            alerts,
            files_watched,
            lag,
            max_unknown_codes,
            labels: Vec::new(),
            path_labels: Arc::new(PathLabels::builtin()),
        }
    }

    /// Carries the path labels `names` (given by `path_labels`) on the
    /// error series.
    pub fn with_labels(mut self, path_labels: Arc<PathLabels>, names: Vec<String>) -> Metrics {
        self.path_labels = path_labels;
        self.labels = names;
        self
    }

    /// The observer that updates these metrics. Create one per pipeline:
    /// the unknown-code cap is kept per observer.
    pub fn observer(&self) -> MetricsObserver {
        MetricsObserver {
            metrics: self.clone(),
            codes: CodeLabels::new(self.max_unknown_codes),
            label_values: HashMap::new(),
            files: HashMap::new(),
        }
    }

    /// `errscope_alerts_total`, for [`crate::alert::alert_observer`].
    pub fn alert_counter(&self) -> AlertCounter {
        self.alerts.clone()
    }

    pub fn registry(&self) -> Arc<Registry> {
        Arc::clone(&self.registry)
    }

    /// OpenMetrics 1.0 text.
    pub fn openmetrics(&self) -> String {
        openmetrics(&self.registry)
    }

    /// Prometheus text format 0.0.4.
    pub fn prometheus_text(&self) -> String {
        to_prometheus_text(&self.openmetrics())
    }
}

fn openmetrics(registry: &Registry) -> String {
    let mut body = String::new();
    if encode(&mut body, registry).is_err() {
        // Writing into a String cannot fail; keep the output well-formed anyway.
        body = "# EOF\n".to_owned();
    }
    body
}

/// Rewrites OpenMetrics text as Prometheus text 0.0.4: counter families take
/// their `_total` name in `# HELP`/`# TYPE`; `# UNIT` and `# EOF` go.
pub fn to_prometheus_text(openmetrics: &str) -> String {
    let counters: HashSet<&str> = openmetrics
        .lines()
        .filter_map(|l| l.strip_prefix("# TYPE "))
        .filter_map(|l| l.strip_suffix(" counter"))
        .collect();
    let mut out = String::with_capacity(openmetrics.len() + 64);
    for line in openmetrics.lines() {
        if line == "# EOF" || line.starts_with("# UNIT ") {
            continue;
        }
        let meta = ["# HELP ", "# TYPE "]
            .into_iter()
            .find_map(|p| line.strip_prefix(p).map(|rest| (p, rest)));
        match meta {
            Some((prefix, rest)) => {
                let (name, tail) = rest.split_once(' ').unwrap_or((rest, ""));
                if counters.contains(name) {
                    out.push_str(&format!("{prefix}{name}_total {tail}"));
                } else {
                    out.push_str(line);
                }
            }
            None => out.push_str(line),
        }
        out.push('\n');
    }
    out
}

/// The `code` label of each event under the cardinality cap (see the
/// module docs); the Prometheus and the OTLP exporters share it.
#[derive(Debug, Clone, Default)]
pub struct CodeLabels {
    max_unknown_codes: usize,
    /// Per vendor, the unknown codes given their own series.
    unknown_codes: HashMap<String, HashSet<String>>,
}

impl CodeLabels {
    pub fn new(max_unknown_codes: usize) -> CodeLabels {
        CodeLabels {
            max_unknown_codes,
            unknown_codes: HashMap::new(),
        }
    }

    pub fn label(&mut self, event: &ErrorEvent) -> String {
        let code: String = event.code.chars().take(MAX_CODE_LABEL).collect();
        if event.known {
            return code;
        }
        let seen = self.unknown_codes.entry(event.vendor.clone()).or_default();
        if seen.contains(&code) {
            code
        } else if seen.len() < self.max_unknown_codes {
            seen.insert(code.clone());
            code
        } else {
            OTHER_CODE.to_owned()
        }
    }
}

/// Updates [`Metrics`] from the live stream.
#[derive(Debug)]
pub struct MetricsObserver {
    metrics: Metrics,
    codes: CodeLabels,
    /// Per path label, the values given their own series.
    label_values: HashMap<String, HashSet<String>>,
    /// Per file, its path labels as carried (after the cap).
    files: HashMap<String, Vec<(String, String)>>,
}

impl MetricsObserver {
    /// The path labels carried for `file`, each value past the cap folded
    /// into `other` (worked out once per file).
    fn path_labels(&mut self, file: &str) -> Vec<(String, String)> {
        if self.metrics.labels.is_empty() {
            return Vec::new();
        }
        if let Some(labels) = self.files.get(file) {
            return labels.clone();
        }
        let of = self.metrics.path_labels.of(file);
        let labels: Vec<(String, String)> = self
            .metrics
            .labels
            .iter()
            .map(|name| {
                let value: String = of
                    .get(name)
                    .map(|v| v.chars().take(MAX_CODE_LABEL).collect())
                    .unwrap_or_default();
                let seen = self.label_values.entry(name.clone()).or_default();
                let value = if value.is_empty() || seen.contains(&value) {
                    value
                } else if seen.len() < self.metrics.max_unknown_codes {
                    seen.insert(value.clone());
                    value
                } else {
                    OTHER_CODE.to_owned()
                };
                (name.clone(), value)
            })
            .collect();
        self.files.insert(file.to_owned(), labels.clone());
        labels
    }
}

impl Observer for MetricsObserver {
    fn event(&mut self, event: &ErrorEvent) {
        let code = self.codes.label(event);
        let mut labels: ErrorLabels = vec![
            ("vendor".to_owned(), event.vendor.clone()),
            ("code".to_owned(), code),
            (
                "status".to_owned(),
                event.status.map(|s| s.to_string()).unwrap_or_default(),
            ),
        ];
        labels.extend(self.path_labels(&event.file));
        self.metrics.errors.get_or_create(&labels).inc();
        if let Some(time) = event.event_time {
            self.metrics.lag.observe(lag_seconds(time, event.arrival));
        }
    }

    fn skipped(&mut self, _vendor: &str, reason: SkipReason) {
        self.metrics
            .skipped
            .get_or_create(&ReasonLabels {
                reason: reason.as_str().into(),
            })
            .inc();
    }

    fn volume(&mut self, lines: u64, bytes: u64) {
        self.metrics.lines.inc_by(lines);
        self.metrics.bytes.inc_by(bytes);
    }

    fn files_watched(&mut self, count: usize) {
        self.metrics
            .files_watched
            .set(i64::try_from(count).unwrap_or(i64::MAX));
    }
}

/// Seconds from a line's own time to its counting (0 when in the future).
pub fn lag_seconds(event_time: Timestamp, arrival: Timestamp) -> f64 {
    let nanos = arrival.as_nanosecond() - event_time.as_nanosecond();
    (nanos.max(0) as f64) / 1e9
}

/// `9464` or `:9464` mean `127.0.0.1:9464`; anything else is resolved as
/// written (`0.0.0.0:9464` binds every interface, as the user asked).
pub fn resolve_addr(text: &str) -> Result<SocketAddr, MetricsError> {
    let text = text.trim();
    let bad = |message: String| MetricsError::Addr {
        addr: text.to_owned(),
        message,
    };
    let port_only = text.strip_prefix(':').unwrap_or(text);
    if !port_only.is_empty() && port_only.bytes().all(|b| b.is_ascii_digit()) {
        let port: u16 = port_only
            .parse()
            .map_err(|_| bad("the port must be 0..=65535".to_owned()))?;
        return Ok(SocketAddr::from((Ipv4Addr::LOCALHOST, port)));
    }
    let mut addrs = text
        .to_socket_addrs()
        .map_err(|e| bad(format!("expected host:port ({e})")))?;
    addrs
        .next()
        .ok_or_else(|| bad("resolves to no address".to_owned()))
}

/// A running `/metrics` server. Stops when dropped, or when the token given
/// to [`serve`] is cancelled.
#[derive(Debug)]
pub struct MetricsServer {
    addr: SocketAddr,
    stop: CancellationToken,
    thread: Option<thread::JoinHandle<()>>,
}

impl MetricsServer {
    /// The bound address (the real port when asked for port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stops serving and waits for the server thread.
    pub fn stop(mut self) {
        self.shutdown();
    }

    fn shutdown(&mut self) {
        self.stop.cancel();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for MetricsServer {
    fn drop(&mut self) {
        self.shutdown();
    }
}

/// Binds `addr` now (so errors are immediate) and serves `/metrics` and
/// `/healthz` on a thread of its own until `shutdown` is cancelled or the
/// returned handle is dropped. Open connections are closed on stop.
pub fn serve(
    addr: &str,
    registry: Arc<Registry>,
    shutdown: CancellationToken,
) -> Result<MetricsServer, MetricsError> {
    let addr = resolve_addr(addr)?;
    if !addr.ip().is_loopback() {
        tracing::warn!(
            "serving metrics on {addr}, beyond loopback: anyone who can reach it can read them"
        );
    }
    let listener =
        std::net::TcpListener::bind(addr).map_err(|source| MetricsError::Bind { addr, source })?;
    let local = listener
        .local_addr()
        .map_err(|source| MetricsError::Bind { addr, source })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| MetricsError::Bind { addr, source })?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(MetricsError::Start)?;
    let listener = {
        let _guard = runtime.enter();
        tokio::net::TcpListener::from_std(listener).map_err(MetricsError::Start)?
    };
    let stop = shutdown.child_token();
    let cancelled = stop.clone();
    let app = Router::new()
        .route("/metrics", get(metrics_handler))
        .route("/healthz", get(|| async { "ok\n" }))
        .with_state(registry);
    let thread = thread::Builder::new()
        .name("errscope-metrics".into())
        .spawn(move || {
            runtime.block_on(async move {
                tokio::select! {
                    result = async { axum::serve(listener, app).await } => {
                        if let Err(e) = result {
                            tracing::error!("metrics server on {local} stopped: {e}");
                        }
                    }
                    () = cancelled.cancelled() => {}
                }
            });
            // Dropping the runtime here ends the open connections' tasks.
        })
        .map_err(MetricsError::Start)?;
    Ok(MetricsServer {
        addr: local,
        stop,
        thread: Some(thread),
    })
}

async fn metrics_handler(State(registry): State<Arc<Registry>>, headers: HeaderMap) -> Response {
    let openmetrics_wanted = headers
        .get_all(ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.contains("application/openmetrics-text"));
    let body = openmetrics(&registry);
    if openmetrics_wanted {
        (StatusCode::OK, [(CONTENT_TYPE, OPENMETRICS_TYPE)], body).into_response()
    } else {
        (
            StatusCode::OK,
            [(CONTENT_TYPE, PROMETHEUS_TEXT_TYPE)],
            to_prometheus_text(&body),
        )
            .into_response()
    }
}

/// The metrics observer and its server, as `tail --metrics-addr` runs them.
#[derive(Debug)]
pub struct Exporter {
    pub metrics: Metrics,
    pub server: MetricsServer,
}

impl Exporter {
    /// Serves metrics on `addr`, folding unknown codes past
    /// `max_unknown_codes` per vendor into `other`.
    pub fn start(addr: &str, max_unknown_codes: usize) -> Result<Exporter, MetricsError> {
        Self::serve(addr, Metrics::new(max_unknown_codes))
    }

    /// Serves `metrics` on `addr`.
    pub fn serve(addr: &str, metrics: Metrics) -> Result<Exporter, MetricsError> {
        let server = serve(addr, metrics.registry(), CancellationToken::new())?;
        Ok(Exporter { metrics, server })
    }

    pub fn observer(&self) -> Box<dyn Observer> {
        Box::new(self.metrics.observer())
    }

    /// The observer owning the exporter: the server lives as long as the
    /// live pipeline holds its observers.
    pub fn into_observer(self) -> Box<dyn Observer> {
        Box::new(ServingObserver {
            observer: self.metrics.observer(),
            _exporter: self,
        })
    }

    pub fn alert_counter(&self) -> AlertCounter {
        self.metrics.alert_counter()
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.server.local_addr()
    }
}

struct ServingObserver {
    observer: MetricsObserver,
    _exporter: Exporter,
}

impl Observer for ServingObserver {
    fn event(&mut self, event: &ErrorEvent) {
        self.observer.event(event);
    }
    fn skipped(&mut self, vendor: &str, reason: SkipReason) {
        self.observer.skipped(vendor, reason);
    }
    fn volume(&mut self, lines: u64, bytes: u64) {
        self.observer.volume(lines, bytes);
    }
    fn files_watched(&mut self, count: usize) {
        self.observer.files_watched(count);
    }
    fn tick(&mut self, now: jiff::Timestamp, final_tick: bool) {
        self.observer.tick(now, final_tick);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(vendor: &str, code: &str, known: bool) -> ErrorEvent {
        let now = Timestamp::from_second(1_704_067_200).unwrap();
        ErrorEvent {
            vendor: vendor.into(),
            code: code.into(),
            status: Some(400),
            category: "x".into(),
            description: String::new(),
            known,
            message: String::new(),
            event_time: Some(now),
            arrival: now,
            file: String::new(),
            line: 1,
        }
    }

    #[test]
    fn unknown_codes_fold_into_other_beyond_the_cap() {
        let metrics = Metrics::new(2);
        let mut observer = metrics.observer();
        for code in ["a", "b", "c", "a", "d"] {
            observer.event(&event("codat", code, false));
        }
        observer.event(&event("codat", "Known", true));
        observer.event(&event("aplos", "z", false));
        let text = metrics.prometheus_text();
        for line in [
            "errscope_errors_total{vendor=\"codat\",code=\"a\",status=\"400\"} 2",
            "errscope_errors_total{vendor=\"codat\",code=\"b\",status=\"400\"} 1",
            "errscope_errors_total{vendor=\"codat\",code=\"other\",status=\"400\"} 2",
            "errscope_errors_total{vendor=\"codat\",code=\"Known\",status=\"400\"} 1",
            "errscope_errors_total{vendor=\"aplos\",code=\"z\",status=\"400\"} 1",
        ] {
            assert!(
                text.lines().any(|l| l == line),
                "{line} missing from\n{text}"
            );
        }
        assert!(!text.contains("code=\"c\""), "{text}");
    }

    #[test]
    fn prometheus_text_names_counters_with_total() {
        let metrics = Metrics::new(1);
        // A family without series is not written at all.
        assert!(!metrics.prometheus_text().contains("errscope_errors"));
        metrics.observer().event(&event("codat", "x", true));
        let text = metrics.prometheus_text();
        assert!(
            text.contains("# TYPE errscope_errors_total counter\n"),
            "{text}"
        );
        assert!(
            text.contains("# HELP errscope_lines_total Log lines read"),
            "{text}"
        );
        assert!(
            text.contains("# TYPE errscope_files_watched gauge\n"),
            "{text}"
        );
        assert!(text.contains("# TYPE errscope_ingest_lag_seconds histogram\n"));
        assert!(!text.contains("# EOF"));
        let om = metrics.openmetrics();
        assert!(om.contains("# TYPE errscope_errors counter\n") && om.ends_with("# EOF\n"));
    }

    #[test]
    fn addresses() {
        assert_eq!(resolve_addr("9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(resolve_addr(":9464").unwrap().to_string(), "127.0.0.1:9464");
        assert_eq!(
            resolve_addr("0.0.0.0:9464").unwrap().to_string(),
            "0.0.0.0:9464"
        );
        assert!(resolve_addr("99999").is_err());
        assert!(resolve_addr("nonsense").is_err());
    }
}
