//! The alert engine driving real sinks: an `exec` program (a real process,
//! the notice on its stdin), a `file`, and webhooks served by a real HTTP
//! server on 127.0.0.1 (answering, failing then answering, and dead).

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use errscope::aggregate::event::{ErrorEvent, Observer};
use errscope::alert::{AlertEngine, Dispatcher};
use errscope::config::Config;
use jiff::Timestamp;
use serde_json::Value;

/// 2024-01-01T00:00:00Z.
const T0: i64 = 1_704_067_200;

fn at(secs: f64) -> Timestamp {
    Timestamp::from_nanosecond(i128::from(T0) * 1_000_000_000 + (secs * 1e9) as i128).unwrap()
}

fn event(vendor: &str, code: &str, secs: f64, message: &str) -> ErrorEvent {
    ErrorEvent {
        vendor: vendor.into(),
        code: code.into(),
        status: Some(400),
        category: "auth".into(),
        description: String::new(),
        known: true,
        message: message.into(),
        event_time: Some(at(secs)),
        arrival: at(secs),
        file: "/var/log/app.log".into(),
        line: 1,
    }
}

/// Engine + dispatcher from config text, as `alert::engine` builds them.
fn engine(
    config: &str,
    capacity: usize,
    grace: Duration,
) -> (AlertEngine, errscope::alert::sinks::DropCounter) {
    let config = Config::parse(config, "test.toml").expect("config parses");
    let setup = config.alerts().expect("alerts validate");
    let mut dispatcher =
        Dispatcher::with_capacity(&setup.sinks, &setup.rules, capacity).expect("sinks start");
    dispatcher.set_shutdown_grace(grace);
    let drops = dispatcher.drop_counter();
    (
        AlertEngine::new(setup.rules, Box::new(dispatcher), None),
        drops,
    )
}

/// Two minutes quiet-ish, a 30-event burst inside 30s, then quiet: one
/// alert and, a window after the count falls back, one resolved notice.
fn burst_then_quiet(engine: &mut AlertEngine, message: &str) {
    engine.event(&event("ocrolus", "1200", 0.0, "steady"));
    for s in 1..120 {
        engine.tick(at(f64::from(s)), false);
    }
    for i in 0..30 {
        engine.event(&event("ocrolus", "1204", 120.0 + f64::from(i), message));
    }
    for s in 150..400 {
        engine.tick(at(f64::from(s)), false);
    }
}

fn lines(path: &std::path::Path) -> Vec<Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

#[test]
fn exec_and_file_sinks_receive_alert_and_resolved_json() {
    let dir = tempfile::tempdir().unwrap();
    let exec_out = dir.path().join("exec.ndjson");
    let env_out = dir.path().join("exec.env");
    let file_out = dir.path().join("alerts.ndjson");
    // The program gets its paths as arguments; the notice only ever travels on stdin.
    let script = "cat >> \"$1\"; printf '%s %s\\n' \"$ERRSCOPE_ALERT_TYPE\" \"$ERRSCOPE_ALERT_RULE\" >> \"$2\"";
    let config = format!(
        "[[alert]]\nname = \"ocrolus-auth\"\nvendor = \"ocrolus\"\ncodes = [1200, 1204]\n\
         window = \"1m\"\nthreshold = 20\ncooldown = \"15m\"\nsinks = [\"exec\", \"file\"]\n\n\
         [sinks.exec]\ncommand = [\"/bin/sh\", \"-c\", {script:?}, \"sh\", {:?}, {:?}]\ntimeout = \"5s\"\n\n\
         [sinks.file]\npath = {:?}\n",
        exec_out.display().to_string(),
        env_out.display().to_string(),
        file_out.display().to_string(),
    );
    let (mut engine, drops) = engine(&config, 16, Duration::from_secs(10));
    // A message full of shell syntax must arrive verbatim and run nothing.
    let canary = dir.path().join("pwned");
    let hostile = format!(
        "bad key $(touch {0}) `touch {0}`; rm -rf \"$HOME\" 'x'",
        canary.display()
    );
    burst_then_quiet(&mut engine, &hostile);
    engine.tick(at(400.0), true);

    for path in [&exec_out, &file_out] {
        let docs = lines(path);
        assert_eq!(docs.len(), 2, "{}: {docs:?}", path.display());
        let (alert, resolved) = (&docs[0], &docs[1]);
        assert_eq!(alert["type"], "alert");
        assert_eq!(alert["rule"], "ocrolus-auth");
        assert_eq!(alert["vendor"], "ocrolus");
        assert_eq!(alert["codes"], serde_json::json!(["1200", "1204"]));
        assert_eq!(alert["window"], "1m");
        assert_eq!(alert["count"], 20);
        assert_eq!(alert["threshold"], 20);
        assert_eq!(alert["first_event"], "2024-01-01T00:02:00Z");
        assert_eq!(alert["last_event"], "2024-01-01T00:02:19Z");
        assert_eq!(alert["sample_message"], hostile.as_str());
        assert_eq!(
            alert["text"],
            "Ocrolus auth failures (1200, 1204): 20 in 1m (baseline 0) [ocrolus-auth: threshold 20]"
        );
        assert_eq!(resolved["type"], "resolved");
        assert!(resolved["count"].as_u64().unwrap() < 20);
        assert!(resolved["text"]
            .as_str()
            .unwrap()
            .starts_with("Resolved: Ocrolus auth failures"));
    }
    assert_eq!(
        std::fs::read_to_string(&env_out).unwrap(),
        "alert ocrolus-auth\nresolved ocrolus-auth\n"
    );
    assert!(!canary.exists(), "alert content reached a shell");
    assert_eq!(drops.get(), 0);
}

#[test]
fn exec_sink_is_killed_after_its_timeout_and_counting_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let config = "[[alert]]\nname = \"t\"\nwindow = \"1m\"\nthreshold = 5\nsinks = [\"exec\"]\n\
         [sinks.exec]\ncommand = [\"/bin/sleep\", \"30\"]\ntimeout = \"300ms\"\n";
    let (mut engine, _) = engine(config, 16, Duration::from_secs(10));
    let started = Instant::now();
    for i in 0..1000 {
        engine.event(&event("codat", "x", f64::from(i) / 100.0, "m"));
    }
    assert_eq!(engine.window_count("t"), Some(1000));
    engine.tick(at(10.0), true);
    // The sleeping program was killed at its timeout, not waited for.
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    let _ = dir;
}

/// A one-connection-at-a-time HTTP server: answers each request with the
/// next status of `statuses` (200 once they run out) and reports
/// (headers, body) of every request.
fn http_server(statuses: Vec<u16>) -> (SocketAddr, mpsc::Receiver<(String, String)>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            let Some(request) = read_request(&stream) else {
                continue;
            };
            let status = statuses.next().unwrap_or(200);
            let mut stream = stream;
            let _ = write!(
                stream,
                "HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
            );
            if tx.send(request).is_err() {
                return;
            }
        }
    });
    (addr, rx)
}

fn read_request(stream: &TcpStream) -> Option<(String, String)> {
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    let mut length = 0usize;
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).ok()? == 0 {
            return None;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().ok()?;
            }
        }
        let end = line == "\r\n";
        head.push_str(&line);
        if end {
            break;
        }
    }
    let mut body = vec![0; length];
    reader.read_exact(&mut body).ok()?;
    Some((head, String::from_utf8(body).ok()?))
}

fn webhook_config(url: &str, extra: &str) -> String {
    format!(
        "[[alert]]\nname = \"codat-burst\"\nvendor = \"codat\"\nwindow = \"1m\"\nthreshold = 20\n\
         sinks = [\"webhook\"]\n\n[sinks.webhook]\nurl = \"{url}\"\ntimeout = \"2s\"\n{extra}"
    )
}

fn codat_burst(engine: &mut AlertEngine) {
    for i in 0..25 {
        engine.event(&event(
            "codat",
            "RateLimited",
            f64::from(i),
            "Too many requests",
        ));
    }
}

#[test]
fn webhook_receives_the_alert_json_with_a_slack_text_field() {
    let (addr, requests) = http_server(vec![]);
    let config = webhook_config(&format!("http://{addr}/hook"), "");
    let (mut engine, _) = engine(&config, 16, Duration::from_secs(10));
    codat_burst(&mut engine);
    let (head, body) = requests
        .recv_timeout(Duration::from_secs(10))
        .expect("a POST");
    assert!(head.starts_with("POST /hook HTTP/1.1\r\n"), "{head}");
    assert!(
        head.to_ascii_lowercase()
            .contains("content-type: application/json"),
        "{head}"
    );
    let doc: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(doc["type"], "alert");
    assert_eq!(doc["rule"], "codat-burst");
    assert_eq!(doc["count"], 20);
    assert_eq!(doc["sample_message"], "Too many requests");
    assert!(doc["text"]
        .as_str()
        .unwrap()
        .starts_with("Codat errors: 20 in 1m"));
    engine.tick(at(30.0), true);
}

#[test]
fn webhook_retries_a_failing_answer() {
    let (addr, requests) = http_server(vec![503, 500]);
    let config = webhook_config(&format!("http://{addr}/hook"), "retries = 3\n");
    let (mut engine, _) = engine(&config, 16, Duration::from_secs(10));
    codat_burst(&mut engine);
    let bodies: Vec<String> = (0..3)
        .map(|_| {
            requests
                .recv_timeout(Duration::from_secs(10))
                .expect("a POST")
                .1
        })
        .collect();
    assert!(bodies.iter().all(|b| b == &bodies[0]));
    // Delivered on the third attempt: no fourth.
    assert!(requests.recv_timeout(Duration::from_millis(1500)).is_err());
    engine.tick(at(30.0), true);
}

#[test]
fn dead_webhook_does_not_stop_counting() {
    // A port nobody listens on.
    let dead = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let config = format!(
        "[[alert]]\nname = \"flappy\"\nwindow = \"1s\"\nthreshold = 1\ncooldown = \"0s\"\n\
         resolve_after = \"0s\"\nsinks = [\"webhook\"]\n\n\
         [sinks.webhook]\nurl = \"http://{dead}/hook\"\ntimeout = \"1s\"\nretries = 2\n"
    );
    let (mut engine, drops) = engine(&config, 4, Duration::from_millis(200));
    let started = Instant::now();
    // An alert and a resolved notice every two seconds: 400 notices, each
    // taking the webhook worker 0.6s+ of retries.
    let mut sent = 0u64;
    for s in 0..400 {
        for i in 0..25 {
            engine.event(&event(
                "aplos",
                "x",
                f64::from(s * 2) + f64::from(i) / 100.0,
                "m",
            ));
            sent += 1;
        }
        assert_eq!(engine.window_count("flappy"), Some(25));
        engine.tick(at(f64::from(s * 2 + 1) + 0.5), false);
    }
    let spent = started.elapsed();
    assert_eq!(engine.matched("flappy"), Some(sent));
    assert!(spent < Duration::from_secs(5), "counting took {spent:?}");
    assert!(drops.get() > 300, "dropped {}", drops.get());
    let shutdown = Instant::now();
    engine.tick(at(900.0), true);
    assert!(shutdown.elapsed() < Duration::from_secs(2));
}
