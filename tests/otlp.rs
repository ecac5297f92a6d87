//! `tail --otlp-endpoint` through the real binary, against a tiny OTLP/HTTP
//! receiver on 127.0.0.1 inside the test: every request is decoded with
//! the official schema (opentelemetry-proto's ExportMetricsServiceRequest)
//! and its cumulative totals are compared with what `scan` counts on the
//! same files.

mod common;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use common::tailing::{LiveTail, DEADLINE};
use common::*;
use opentelemetry_proto::tonic::collector::metrics::v1::ExportMetricsServiceRequest;
use opentelemetry_proto::tonic::common::v1::{any_value, KeyValue};
use opentelemetry_proto::tonic::metrics::v1::{
    metric, number_data_point, AggregationTemporality, NumberDataPoint,
};
use prost::Message;

/// What one request carried.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    content_type: String,
    request: ExportMetricsServiceRequest,
}

/// An OTLP/HTTP receiver: answers 200 to every POST, keeps what came.
struct Collector {
    addr: SocketAddr,
    received: Arc<Mutex<Vec<Received>>>,
    stop: Arc<AtomicBool>,
}

impl Collector {
    fn start(listener: TcpListener) -> Collector {
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let received = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let (sink, halt) = (received.clone(), stop.clone());
        thread::spawn(move || {
            while !halt.load(Ordering::Relaxed) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        let sink = sink.clone();
                        thread::spawn(move || serve_connection(stream, &sink));
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        Collector {
            addr,
            received,
            stop,
        }
    }

    fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn received(&self) -> Vec<Received> {
        self.received.lock().unwrap().clone()
    }

    fn last(&self) -> Option<Received> {
        self.received.lock().unwrap().last().cloned()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// HTTP/1.1 with keep-alive: requests one after another until EOF.
fn serve_connection(stream: TcpStream, sink: &Mutex<Vec<Received>>) {
    stream.set_nonblocking(false).unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut writer = stream;
    loop {
        let mut request_line = String::new();
        if reader.read_line(&mut request_line).unwrap_or(0) == 0 {
            return;
        }
        let path = request_line
            .split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_owned();
        let (mut length, mut content_type) = (0usize, String::new());
        loop {
            let mut header = String::new();
            if reader.read_line(&mut header).unwrap_or(0) == 0 {
                return;
            }
            let header = header.trim_end();
            if header.is_empty() {
                break;
            }
            if let Some((name, value)) = header.split_once(':') {
                match name.trim().to_ascii_lowercase().as_str() {
                    "content-length" => length = value.trim().parse().unwrap(),
                    "content-type" => content_type = value.trim().to_owned(),
                    _ => {}
                }
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body).unwrap();
        let request = ExportMetricsServiceRequest::decode(body.as_slice())
            .unwrap_or_else(|e| panic!("not an ExportMetricsServiceRequest: {e}"));
        sink.lock().unwrap().push(Received {
            path,
            content_type,
            request,
        });
        let answer =
            "HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n";
        if writer.write_all(answer.as_bytes()).is_err() {
            return;
        }
    }
}

/// The cumulative totals one request carries, in `scan`'s terms.
#[derive(Debug, Default, PartialEq, Eq)]
struct Totals {
    /// (vendor, code, status) → errors.
    errors: BTreeMap<(String, String, String), u64>,
    lines: u64,
    bytes: u64,
    /// reason → bodies (zeros left out).
    skipped: BTreeMap<String, u64>,
}

fn attr(attributes: &[KeyValue], key: &str) -> String {
    attributes
        .iter()
        .find(|kv| kv.key == key)
        .and_then(|kv| match kv.value.as_ref()?.value.as_ref()? {
            any_value::Value::StringValue(s) => Some(s.clone()),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no string attribute `{key}` in {attributes:?}"))
}

fn int(point: &NumberDataPoint) -> u64 {
    match point.value {
        Some(number_data_point::Value::AsInt(v)) => u64::try_from(v).unwrap(),
        _ => panic!("not an integer point: {point:?}"),
    }
}

/// Decodes the series, checking each sum is cumulative and monotonic.
fn totals(request: &ExportMetricsServiceRequest) -> Totals {
    let mut totals = Totals::default();
    for rm in &request.resource_metrics {
        for sm in &rm.scope_metrics {
            for m in &sm.metrics {
                let Some(metric::Data::Sum(sum)) = &m.data else {
                    continue;
                };
                assert!(sum.is_monotonic, "{} is monotonic", m.name);
                assert_eq!(
                    sum.aggregation_temporality,
                    AggregationTemporality::Cumulative as i32,
                    "{} is cumulative",
                    m.name
                );
                for p in &sum.data_points {
                    match m.name.as_str() {
                        "errscope.errors" => {
                            let key = (
                                attr(&p.attributes, "vendor"),
                                attr(&p.attributes, "code"),
                                attr(&p.attributes, "status"),
                            );
                            *totals.errors.entry(key).or_default() += int(p);
                        }
                        "errscope.lines" => totals.lines += int(p),
                        "errscope.bytes" => totals.bytes += int(p),
                        "errscope.skipped" if int(p) > 0 => {
                            *totals
                                .skipped
                                .entry(attr(&p.attributes, "reason"))
                                .or_default() += int(p);
                        }
                        _ => {}
                    }
                }
            }
        }
    }
    totals
}

/// What `scan --format json` counts on `files`.
fn scan_totals(files: &[String]) -> Totals {
    let output = errscope()
        .args(["scan", "--no-progress", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut totals = Totals {
        lines: doc["lines"].as_u64().unwrap(),
        bytes: doc["bytes"].as_u64().unwrap(),
        ..Totals::default()
    };
    for group in doc["groups"].as_array().unwrap() {
        let status = group["status"]
            .as_u64()
            .map(|s| s.to_string())
            .unwrap_or_default();
        let key = (
            group["vendor"].as_str().unwrap().to_owned(),
            group["code"].as_str().unwrap().to_owned(),
            status,
        );
        *totals.errors.entry(key).or_default() += group["count"].as_u64().unwrap();
    }
    for skipped in doc["skipped"].as_array().unwrap() {
        *totals
            .skipped
            .entry(skipped["reason"].as_str().unwrap().to_owned())
            .or_default() += skipped["count"].as_u64().unwrap();
    }
    totals
}

/// Copies of sample logs of several formats into `dir`.
fn sample_logs(dir: &Path) -> Vec<String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples");
    [
        "app-text.log",
        "api-structured.jsonl",
        "docker-container-json.log",
        "edge-cases.log",
    ]
    .iter()
    .map(|name| write(dir, name, std::fs::read(root.join(name)).unwrap()))
    .collect()
}

fn wait_for(what: &str, tail: &LiveTail, mut done: impl FnMut() -> bool) {
    let start = Instant::now();
    while !done() {
        assert!(
            start.elapsed() < DEADLINE,
            "timed out waiting for {what}; tail's stderr: {}",
            tail.stderr()
        );
        thread::sleep(Duration::from_millis(20));
    }
}

fn tail_args(files: &[String], endpoint: &str, interval: &str) -> Vec<String> {
    let mut args = files.to_vec();
    args.extend(
        [
            "--from-beginning",
            "--otlp-endpoint",
            endpoint,
            "--otlp-interval",
            interval,
        ]
        .map(String::from),
    );
    args
}

#[test]
fn tail_pushes_the_totals_scan_counts() {
    let dir = tempfile::tempdir().unwrap();
    let files = sample_logs(dir.path());
    let expected = scan_totals(&files);
    assert!(expected.errors.values().sum::<u64>() > 50, "{expected:?}");
    assert!(!expected.skipped.is_empty(), "the samples skip some bodies");

    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap());
    let tail = LiveTail::start(&tail_args(&files, &collector.endpoint(), "100ms"));
    wait_for("a push with scan's totals", &tail, || {
        collector
            .last()
            .is_some_and(|r| totals(&r.request) == expected)
    });
    let (status, _, finished) = tail.terminate();
    assert!(status.success(), "{status}: {}", finished.stderr);

    let received = collector.received();
    let last = received.last().unwrap();
    assert_eq!(totals(&last.request), expected, "the final push");
    for r in &received {
        assert_eq!(r.path, "/v1/metrics");
        assert_eq!(r.content_type, "application/x-protobuf");
    }
    let resource = last.request.resource_metrics[0]
        .resource
        .as_ref()
        .unwrap()
        .attributes
        .clone();
    assert_eq!(attr(&resource, "service.name"), "errscope");
    assert!(!attr(&resource, "host.name").is_empty());
    // Cumulative: no push ever goes down.
    let errors: Vec<u64> = received
        .iter()
        .map(|r| totals(&r.request).errors.values().sum())
        .collect();
    assert!(errors.windows(2).all(|w| w[0] <= w[1]), "{errors:?}");
}

/// The interval is an hour: only the push at shutdown can deliver.
#[test]
fn shutdown_pushes_the_last_totals() {
    let dir = tempfile::tempdir().unwrap();
    let files = sample_logs(dir.path());
    let expected = scan_totals(&files);
    let collector = Collector::start(TcpListener::bind("127.0.0.1:0").unwrap());
    let tail = LiveTail::start(&tail_args(&files, &collector.endpoint(), "1h"));
    tail.wait_total(expected.errors.values().sum());
    let (status, _, finished) = tail.terminate();
    assert!(status.success(), "{status}: {}", finished.stderr);
    let received = collector.received();
    assert_eq!(received.len(), 1, "one push, at shutdown");
    assert_eq!(totals(&received[0].request), expected);
}

/// Nothing listens at first (connections are refused): the pushes fail
/// and are retried; once a receiver is up on that port, the next push
/// carries everything counted meanwhile.
#[test]
fn a_collector_down_at_first_loses_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let files = sample_logs(dir.path());
    let expected = scan_totals(&files);
    let port = {
        let probe = TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let endpoint = format!("http://127.0.0.1:{port}");
    let tail = LiveTail::start(&tail_args(&files, &endpoint, "100ms"));
    tail.wait_total(expected.errors.values().sum());
    wait_for("a failed push to be reported", &tail, || {
        tail.stderr().contains("OTLP: ")
    });
    assert!(
        tail.stderr().contains("nothing is lost"),
        "{}",
        tail.stderr()
    );

    let listener = {
        let start = Instant::now();
        loop {
            match TcpListener::bind(("127.0.0.1", port)) {
                Ok(listener) => break listener,
                Err(e) if start.elapsed() < DEADLINE => {
                    eprintln!("rebinding {port}: {e}");
                    thread::sleep(Duration::from_millis(50));
                }
                Err(e) => panic!("cannot bind {port} again: {e}"),
            }
        }
    };
    let collector = Collector::start(listener);
    wait_for("a push with everything counted", &tail, || {
        collector
            .last()
            .is_some_and(|r| totals(&r.request) == expected)
    });
    let (status, _, finished) = tail.terminate();
    assert!(status.success(), "{status}: {}", finished.stderr);
    assert!(
        finished.stderr.contains("reached again"),
        "{}",
        finished.stderr
    );
}

#[test]
fn bad_endpoints_and_intervals_name_the_flag_or_key() {
    let dir = tempfile::tempdir().unwrap();
    let log = write(dir.path(), "app.log", "");
    for (args, expected) in [
        (
            vec!["--otlp-endpoint", "https://otlp.example.com"],
            "--otlp-endpoint: `https://otlp.example.com`: https is not supported",
        ),
        (
            vec!["--otlp-endpoint", "collector:4318"],
            "--otlp-endpoint: `collector:4318`: expected http://host:port",
        ),
        (
            vec![
                "--otlp-endpoint",
                "http://127.0.0.1:4318",
                "--otlp-interval",
                "soon",
            ],
            "--otlp-interval: ",
        ),
    ] {
        let output = errscope()
            .arg("tail")
            .arg(&log)
            .args(&args)
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(
            stderr(&output).contains(expected),
            "{args:?}: {}",
            stderr(&output)
        );
    }
    let good = write(
        dir.path(),
        "good.toml",
        "[otlp]\nendpoint = \"http://127.0.0.1:4318/\"\ninterval = \"30s\"\n",
    );
    let checked = errscope().args(["check-config", &good]).output().unwrap();
    assert!(checked.status.success(), "{}", stderr(&checked));
    assert!(
        stdout(&checked).contains("  otlp: http://127.0.0.1:4318/v1/metrics every 30s\n"),
        "{}",
        stdout(&checked)
    );
    let config = write(
        dir.path(),
        "config.toml",
        "[otlp]\nendpoint = \"http://127.0.0.1:4318\"\ninterval = \"5ms\"\n",
    );
    let output = errscope()
        .args(["tail", &log, "--config", &config])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("[otlp] interval: 5ms is too short"),
        "{}",
        stderr(&output)
    );
}
