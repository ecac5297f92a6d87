//! Helpers shared by the integration tests: run the real binary, parse
//! its CSV output into exact counts.
#![allow(dead_code)]

pub mod capture;
pub mod tailing;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Output;

use assert_cmd::Command;

/// Dates `path` an hour back: a settled file, which `scan` reads through a
/// memory map (and cuts into chunks when it is large).
pub fn settle(path: impl AsRef<Path>) {
    let old = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    std::fs::File::options()
        .write(true)
        .open(path)
        .expect("open to date back")
        .set_modified(old)
        .expect("date back");
}

pub fn errscope() -> Command {
    Command::cargo_bin("errscope").expect("the errscope binary is built")
}

/// (vendor, code, status) → count, from `scan --format csv` output.
pub type Counts = BTreeMap<(String, String, String), u64>;

pub fn parse_counts(csv_text: &str) -> Counts {
    let mut reader = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = reader.headers().expect("csv header").clone();
    let col = |name: &str| {
        headers
            .iter()
            .position(|h| h == name)
            .unwrap_or_else(|| panic!("no `{name}` column in {headers:?}"))
    };
    let (v, c, s, n) = (col("vendor"), col("code"), col("status"), col("count"));
    reader
        .records()
        .map(|r| {
            let r = r.expect("csv row");
            (
                (r[v].to_string(), r[c].to_string(), r[s].to_string()),
                r[n].parse().expect("count"),
            )
        })
        .collect()
}

/// Scans `args` with CSV output and returns the counts; asserts exit 0.
pub fn scan_counts(args: &[&str]) -> Counts {
    let output = errscope()
        .arg("scan")
        .arg("--format")
        .arg("csv")
        .args(args)
        .output()
        .expect("run errscope");
    assert!(
        output.status.success(),
        "errscope failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    parse_counts(&String::from_utf8_lossy(&output.stdout))
}

pub fn counts(rows: &[(&str, &str, &str, u64)]) -> Counts {
    rows.iter()
        .map(|(v, c, s, n)| ((v.to_string(), c.to_string(), s.to_string()), *n))
        .collect()
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

pub fn write(dir: &Path, name: &str, content: impl AsRef<[u8]>) -> String {
    let path = dir.join(name);
    std::fs::write(&path, content).expect("write test file");
    path.display().to_string()
}

pub const OCROLUS_1200: &str =
    r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
pub const APLOS_1002: &str = r#"{"version":"v2_0_0","status":401,"exception":{"message":"Token could not be located.","code":1002}}"#;
pub const OZ_7: &str = r#"{"error_code":7,"error_message":"AUTH INVALID","details":null}"#;
pub const SYNAPSE_400: &str = r#"{"error":{"en":"<user:id> not valid"},"error_code":"400","http_code":"409","success":false}"#;
pub const CODAT_402: &str = r#"{"statusCode":402,"service":"PublicApi","error":"CompanyValidationException: Company limit exceeded","correlationId":"00000000-0000-0000-0000-000000000000"}"#;

/// One body of each vendor, with the key errscope counts it under.
pub fn all_vendors() -> Vec<(&'static str, (&'static str, &'static str, &'static str))> {
    vec![
        (OCROLUS_1200, ("ocrolus", "1200", "400")),
        (APLOS_1002, ("aplos", "1002", "401")),
        (OZ_7, ("ozforensics", "7", "")),
        (SYNAPSE_400, ("synapse", "400", "409")),
        (CODAT_402, ("codat", "CompanyValidationException", "402")),
    ]
}

/// JSON-string-escapes `text` once (as a logger embedding it would).
pub fn escape(text: &str) -> String {
    let quoted = serde_json::to_string(text).expect("string");
    quoted[1..quoted.len() - 1].to_string()
}

/// The Python `repr` of a JSON value, as a Python service would log a dict.
pub fn python_repr(value: &serde_json::Value) -> String {
    use serde_json::Value;
    match value {
        Value::Null => "None".into(),
        Value::Bool(true) => "True".into(),
        Value::Bool(false) => "False".into(),
        Value::Number(n) => n.to_string(),
        Value::String(s) => format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'")),
        Value::Array(items) => format!(
            "[{}]",
            items.iter().map(python_repr).collect::<Vec<_>>().join(", ")
        ),
        Value::Object(map) => format!(
            "{{{}}}",
            map.iter()
                .map(|(k, v)| format!("'{k}': {}", python_repr(v)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A plain HTTP/1.1 GET over a raw socket: (header block, body).
pub fn http_get(addr: std::net::SocketAddr, path: &str, accept: &str) -> (String, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .expect("timeout");
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: {accept}\r\nConnection: close\r\n\r\n"
    )
    .expect("send");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    let (head, body) = response.split_once("\r\n\r\n").expect("a header block");
    (head.to_owned(), body.to_owned())
}

/// `promtool check metrics` on a scraped body; says SKIPPED (and passes)
/// when promtool is not on PATH (`.ci/run` installs it).
pub fn promtool_check_metrics(body: &str) {
    let Some(promtool) = find_on_path("promtool") else {
        println!(
            "SKIPPED promtool check metrics: promtool is not on PATH (Debian package `prometheus`)"
        );
        return;
    };
    let mut child = std::process::Command::new(promtool)
        .args(["check", "metrics"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("promtool runs");
    use std::io::Write;
    child
        .stdin
        .take()
        .unwrap()
        .write_all(body.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool check metrics failed ({}):\n{}{}\n--- body ---\n{body}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("promtool check metrics: OK");
}

pub fn find_on_path(program: &str) -> Option<std::path::PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|p| p.is_file())
}

/// Appends `text` to `path`, creating it.
pub fn append(path: &Path, text: &str) {
    use std::io::Write;
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .expect("open for append")
        .write_all(text.as_bytes())
        .expect("append");
}
