//! The Prometheus exporter over real HTTP: the library serves on an
//! ephemeral loopback port, the test feeds the observer, scrapes `/metrics`
//! with a raw GET, checks the numbers, and runs `promtool check metrics` on
//! the body when `promtool` is on PATH.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

mod common;

use errscope::aggregate::event::{ErrorEvent, Observer};
use errscope::output::metrics::{serve, Metrics};
use errscope::vendors::SkipReason;
use jiff::Timestamp;
use tokio_util::sync::CancellationToken;

fn get(addr: SocketAddr, path: &str, accept: &str) -> (String, String) {
    let (head, body) = common::http_get(addr, path, accept);
    assert!(
        !head
            .to_ascii_lowercase()
            .contains("transfer-encoding: chunked"),
        "{head}"
    );
    (head, body)
}

fn event(
    vendor: &str,
    code: &str,
    status: Option<u16>,
    known: bool,
    lag_ms: Option<i64>,
) -> ErrorEvent {
    let arrival = Timestamp::from_second(1_704_067_200).unwrap();
    ErrorEvent {
        vendor: vendor.into(),
        code: code.into(),
        status,
        category: "x".into(),
        description: String::new(),
        known,
        message: "m".into(),
        event_time: lag_ms
            .map(|ms| Timestamp::from_millisecond(arrival.as_millisecond() - ms).unwrap()),
        arrival,
        file: "app.log".into(),
        line: 1,
    }
}

/// The value of the sample line `name` exactly (name with labels).
fn value(body: &str, series: &str) -> f64 {
    body.lines()
        .find_map(|l| l.strip_prefix(series).and_then(|v| v.strip_prefix(' ')))
        .unwrap_or_else(|| panic!("no series {series} in\n{body}"))
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn scraped_metrics_match_the_input_and_pass_promtool() {
    let metrics = Metrics::new(2);
    let shutdown = CancellationToken::new();
    let server = serve("127.0.0.1:0", metrics.registry(), shutdown.clone()).expect("serve");
    let addr = server.local_addr();
    assert!(addr.ip().is_loopback() && addr.port() != 0);

    let mut observer = metrics.observer();
    observer.volume(1000, 150_000);
    observer.volume(234, 5_678);
    observer.files_watched(3);
    for _ in 0..3 {
        observer.event(&event("ocrolus", "1200", Some(400), true, Some(5)));
    }
    observer.event(&event("ocrolus", "1204", Some(400), true, Some(2_000)));
    // Unknown codes: two keep their series, the rest fold into "other".
    for code in ["U1", "U2", "U3", "U4", "U1"] {
        observer.event(&event("codat", code, None, false, None));
    }
    observer.skipped("ocrolus", SkipReason::Truncated);
    observer.skipped("codat", SkipReason::Truncated);
    observer.skipped("codat", SkipReason::Malformed);
    let alerts = metrics.alert_counter();
    alerts.init("quiet-rule");
    alerts.inc("ocrolus-auth");

    let (head, body) = get(addr, "/metrics", "*/*");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: text/plain; version=0.0.4; charset=utf-8"),
        "{head}"
    );
    let e = |labels: &str| value(&body, &format!("errscope_errors_total{{{labels}}}"));
    assert_eq!(e("vendor=\"ocrolus\",code=\"1200\",status=\"400\""), 3.0);
    assert_eq!(e("vendor=\"ocrolus\",code=\"1204\",status=\"400\""), 1.0);
    assert_eq!(e("vendor=\"codat\",code=\"U1\",status=\"\""), 2.0);
    assert_eq!(e("vendor=\"codat\",code=\"U2\",status=\"\""), 1.0);
    assert_eq!(e("vendor=\"codat\",code=\"other\",status=\"\""), 2.0);
    assert!(!body.contains("code=\"U3\""));
    assert_eq!(value(&body, "errscope_lines_total"), 1234.0);
    assert_eq!(value(&body, "errscope_bytes_total"), 155_678.0);
    assert_eq!(value(&body, "errscope_files_watched"), 3.0);
    assert_eq!(
        value(&body, "errscope_skipped_total{reason=\"truncated\"}"),
        2.0
    );
    assert_eq!(
        value(&body, "errscope_skipped_total{reason=\"malformed\"}"),
        1.0
    );
    assert_eq!(
        value(&body, "errscope_skipped_total{reason=\"success\"}"),
        0.0
    );
    assert_eq!(
        value(&body, "errscope_alerts_total{rule=\"ocrolus-auth\"}"),
        1.0
    );
    assert_eq!(
        value(&body, "errscope_alerts_total{rule=\"quiet-rule\"}"),
        0.0
    );
    // Lag: three at 5ms, one at 2s; events without a time of their own are not observed.
    assert_eq!(value(&body, "errscope_ingest_lag_seconds_count"), 4.0);
    assert!((value(&body, "errscope_ingest_lag_seconds_sum") - 2.015).abs() < 1e-9);
    assert_eq!(
        value(&body, "errscope_ingest_lag_seconds_bucket{le=\"0.0025\"}"),
        0.0
    );
    assert_eq!(
        value(&body, "errscope_ingest_lag_seconds_bucket{le=\"0.005\"}"),
        3.0
    );
    assert_eq!(
        value(&body, "errscope_ingest_lag_seconds_bucket{le=\"1.0\"}"),
        3.0
    );
    assert_eq!(
        value(&body, "errscope_ingest_lag_seconds_bucket{le=\"2.5\"}"),
        4.0
    );
    assert_eq!(
        value(&body, "errscope_ingest_lag_seconds_bucket{le=\"+Inf\"}"),
        4.0
    );

    common::promtool_check_metrics(&body);

    // Prometheus asks for OpenMetrics and gets it.
    let (head, om) = get(
        addr,
        "/metrics",
        "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/openmetrics-text; version=1.0.0; charset=utf-8"),
        "{head}"
    );
    assert!(om.contains("# TYPE errscope_errors counter\n") && om.ends_with("# EOF\n"));
    assert!(om.contains("errscope_lines_total 1234\n"));

    let (head, health) = get(addr, "/healthz", "*/*");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(health, "ok\n");
    let (head, _) = get(addr, "/nope", "*/*");
    assert!(head.starts_with("HTTP/1.1 404"), "{head}");

    // Cancelling the token stops the server; dropping the handle joins it.
    shutdown.cancel();
    drop(server);
    assert!(TcpStream::connect_timeout(&addr, Duration::from_secs(1)).is_err());
}

#[test]
fn dropping_the_server_closes_an_idle_keep_alive_connection() {
    let metrics = Metrics::new(1);
    let server = serve("127.0.0.1:0", metrics.registry(), CancellationToken::new()).unwrap();
    let addr = server.local_addr();
    // A scraper that keeps its connection open must not hold shutdown.
    let mut idle = TcpStream::connect(addr).unwrap();
    write!(idle, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").unwrap();
    std::thread::sleep(Duration::from_millis(100));
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        drop(server);
        let _ = tx.send(());
    });
    rx.recv_timeout(Duration::from_secs(5))
        .expect("server stopped while a connection was open");
}

#[test]
fn a_taken_port_is_an_error() {
    let metrics = Metrics::new(1);
    let first = serve("127.0.0.1:0", metrics.registry(), CancellationToken::new()).unwrap();
    let taken = first.local_addr().to_string();
    let err = serve(&taken, metrics.registry(), CancellationToken::new()).unwrap_err();
    assert!(err.to_string().contains(&taken), "{err}");
}

/// Path labels are carried only when asked for, after `status`; per label
/// the first `max_unknown_codes` values keep their own series and later
/// ones fold into `other`, as codes do.
#[test]
fn path_labels_are_carried_when_enabled_under_the_cap() {
    use errscope::aggregate::labels::PathLabels;
    use std::sync::Arc;

    let pod = |ns: &str, pod: &str| format!("/var/log/pods/{ns}_{pod}_0d1e2f/api/0.log");
    let files = [
        pod("billing", "invoice-api-7c9f8d6b5-x2x7q"),
        pod("billing", "invoice-api-7c9f8d6b5-x2x7q"),
        pod("billing", "invoice-api-7c9f8d6b5-q8w9e"),
        pod("payouts", "payout-worker-5d9c-a1b2c"),
        "/var/log/app.log".to_owned(),
    ];
    let scrape = |metrics: Metrics| {
        let shutdown = CancellationToken::new();
        let server = serve("127.0.0.1:0", metrics.registry(), shutdown.clone()).unwrap();
        let mut observer = metrics.observer();
        for file in &files {
            let mut e = event("codat", "Too Many Requests", Some(429), true, None);
            e.file = file.clone();
            observer.event(&e);
        }
        let (_, body) = get(server.local_addr(), "/metrics", "*/*");
        shutdown.cancel();
        body
    };

    let off = scrape(Metrics::new(2));
    assert_eq!(
        value(
            &off,
            "errscope_errors_total{vendor=\"codat\",code=\"Too Many Requests\",status=\"429\"}"
        ),
        5.0
    );
    assert!(
        !off.contains("namespace=") && !off.contains("pod="),
        "{off}"
    );

    let labels = vec!["namespace".to_owned(), "pod".to_owned()];
    let on = scrape(Metrics::new(2).with_labels(Arc::new(PathLabels::builtin()), labels));
    let e = |labels: &str| {
        value(
            &on,
            &format!("errscope_errors_total{{vendor=\"codat\",code=\"Too Many Requests\",status=\"429\",{labels}}}"),
        )
    };
    assert_eq!(
        e("namespace=\"billing\",pod=\"invoice-api-7c9f8d6b5-x2x7q\""),
        2.0
    );
    assert_eq!(
        e("namespace=\"billing\",pod=\"invoice-api-7c9f8d6b5-q8w9e\""),
        1.0
    );
    // The third pod is past the cap of two; its namespace is not.
    assert_eq!(e("namespace=\"payouts\",pod=\"other\""), 1.0);
    assert_eq!(e("namespace=\"\",pod=\"\""), 1.0);
    common::promtool_check_metrics(&on);
}
