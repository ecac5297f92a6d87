//! Deterministic, realistic log corpus for errscope's benchmarks (std only).
//!
//! ```text
//! cargo run --release --example gencorpus -- --size 512M --out /tmp/corpus.log \
//!     [--seed 42] [--error-rate 0.005] [--decoy-rate 0.2] \
//!     [--key-rich] [--expected /tmp/corpus.expected.csv] [--files N --out-dir DIR] [--self-check]
//! ```
//!
//! The corpus mixes structured JSON logs, plain text, nginx access and syslog lines.
//! About one line in five is a *decoy*: it carries a vendor key name (`"response"`,
//! `exception`, `statusCode`, `correlationId`, `error_code`, `http_code`, ...) in an
//! innocent context and is never a vendor error body. About `--error-rate` of the
//! records embed one (or two) of the five vendors' error bodies, in nine ways: bare,
//! after a text prefix, escaped in a JSON string, nested in a JSON log object, inside a
//! Docker json-file wrapper, in a logfmt value, two on one line, pretty-printed over
//! several lines, and as a Python dict repr. Some records end in CRLF.
//!
//! `--key-rich` makes a third of the ordinary lines structured application logs that
//! use the vendors' key names as their own (`correlationId`, `service`, `version`,
//! `message`, `details`, `success`, `exception`, `error_code`, `error_message`,
//! `http_code`, `response`, `statusCode`): logs where every key of every shape is
//! common, and only the keys' places and values tell a body from a log line.
//!
//! `--expected` writes the exact counts as `vendor,code,status,count`, sorted by count
//! desc then vendor, code, status, plus `# skipped,<reason>,<count>` trailer lines for
//! bodies that are not errors (Ocrolus success bodies).
//!
//! With `--files N --out-dir DIR` the same record stream is cut at record boundaries
//! into `DIR/part-00.log` ... so that `cat DIR/part-*.log` equals the single-file corpus
//! of the same size and seed, and one expected file serves both.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

// ---------------------------------------------------------------- PRNG

/// splitmix64: tiny, fast and good enough for synthetic data; fully determined by the seed.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x5DEE_CE66_D1CE_4E5B)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (Lemire's multiply-high; the bias is negligible here).
    fn below(&mut self, n: u64) -> u64 {
        ((u128::from(self.next()) * u128::from(n)) >> 64) as u64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }
    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Cumulative weights for a skewed choice: item `i` has weight `1/(i+1)`, so the first
/// rows of each table are the frequent codes and the tail is rare.
struct Skew(Vec<f64>);

impl Skew {
    fn new(n: usize) -> Self {
        let mut acc = 0.0;
        Skew(
            (0..n)
                .map(|i| {
                    acc += 1.0 / (i as f64 + 1.0);
                    acc
                })
                .collect(),
        )
    }
    fn pick(&self, rng: &mut Rng) -> usize {
        let x = rng.unit() * self.0[self.0.len() - 1];
        self.0.partition_point(|&c| c <= x).min(self.0.len() - 1)
    }
}

// ---------------------------------------------------------------- vendor tables
// Codes, statuses and messages come from tests/data/vendor-pages/*.txt (copies of the
// vendors' public pages). Order sets frequency (see `Skew`).

/// Ocrolus: (HTTP status, code, message). Note 1100 appears with both 400 and 422.
const OCROLUS: &[(u16, u32, &str)] = &[
    (400, 1200, "Authentication failed"),
    (400, 1204, "Invalid API key credentials"),
    (400, 1401, "Book not found"),
    (
        400,
        1003,
        "Request validation failure; check parameter values and types.",
    ),
    (400, 1501, "Document not found"),
    (400, 1109, "The file is not a valid PDF"),
    (400, 1005, "Request verification rate limit exceeded"),
    (
        425,
        9004,
        "Analytics are still being processed, please check back momentarily",
    ),
    (400, 2102, "No permission to access this book"),
    (400, 1100, "The request could not be processed"),
    (422, 1100, "Book transaction limit exceeded"),
    (400, 1002, "Could not decode JSON string"),
    (400, 1103, "Required parameter not found"),
    (400, 1402, "Book already exists"),
    (
        400,
        1512,
        "Document contains more than the maximum allowed pages. See here for more information.",
    ),
    (400, 2300, "Database error"),
    (400, 1601, "Transaction not found"),
    (400, 1702, "Bank account was not found"),
    (
        400,
        9002,
        "Analytics is not supported for this type of case",
    ),
    (400, 1307, "Account is not active"),
    (400, 2101, "No permission to access this endpoint"),
    (400, 1508, "Page index out of range"),
    (400, 1404, "Book containing documents pending verification"),
    (
        400,
        2401,
        "Error fetching final result from paystub service",
    ),
    (
        400,
        8002,
        "This book has reached the maximum allowable uploads.",
    ),
    (400, 1511, "Mixed document is pending classification."),
    (
        400,
        9104,
        "SentiLink is not reachable. Please try again later",
    ),
    (400, 1398, "Organization not found"),
    (400, 5002, "Filter not found"),
    (400, 7001, "Tag not found"),
    (400, 1609, "Transaction is already marked as a transfer"),
    (400, 2500, "Error from mortgage service"),
];

/// Aplos: (HTTP status, exception code, exception message).
const APLOS: &[(u16, u32, &str)] = &[
    (401, 1002, "Token could not be located."),
    (422, 4000, "Invalid data (bad JSON?)"),
    (422, 3002, "ID is required."),
    (401, 1004, "The token is expired."),
    (
        422,
        4002,
        "Data supplied is invalid: malformed or the wrong type.",
    ),
    (
        403,
        3000,
        "The client is not authorized for the resource requested.",
    ),
    (
        422,
        4005,
        "The lines provided must balance by amount and fund",
    ),
    (422, 4001, "Required data is missing."),
    (500, 5000, "A general service error occurred."),
    (401, 1003, "The token was revoked."),
    (403, 3001, "The requested resource is not available."),
    (422, 4008, "Provided date is in a closed period"),
    (
        422,
        4006,
        "The lines provided must sum to the expected amount",
    ),
    (422, 4007, "Account type is not the expected account type"),
    (401, 1001, "The client is disabled."),
    (401, 1005, "The client id is invalid."),
    (
        401,
        1006,
        "The client is not authorized for the data requested.",
    ),
    (
        422,
        4003,
        "Data supplied is invalid: does not meet the required length",
    ),
    (
        422,
        4004,
        "Data supplied is invalid: exceeds the required length",
    ),
];

/// Oz Forensics (Oz API and OzCapsula): (error_code, error_message). No HTTP status.
const OZ: &[(u32, &str)] = &[
    (7, "AUTH INVALID"),
    (8, "AUTH EXPIRED"),
    (4, "INVALID VALUE"),
    (10, "NOT EXIST"),
    (3, "INVALID STRUCTURE"),
    (0, "Unknown server side error occurred"),
    (6, "AUTH NOT PROVIDED"),
    (11, "EXTERNAL SERVICE"),
    (4, "Can't start analysis without media"),
    (9, "AUTH FORBIDDEN"),
    (14, "Invalid Data Container"),
    (5, "INVALID TYPE"),
    (1, "NOT ALLOWED"),
    (12, "DATABASE"),
    (13, "No data container provided"),
    (3, "Invalid structure"),
    (14, "Invalid signature"),
    (2, "NOT REALIZED"),
    (14, "Invalid hash"),
];

/// SynapseFI: (error_code, http_code, error.en). Both codes are JSON strings of digits.
const SYNAPSE: &[(&str, &str, &str)] = &[
    (
        "400",
        "409",
        "Incorrect Values Supplied (eg. Insufficient balance, wrong MFA response)",
    ),
    ("200", "400", "Error in payload formatting"),
    (
        "110",
        "401",
        "Bad credentials: Update the user's credentials by re-linking the account via bank logins.",
    ),
    ("404", "404", "Object not found"),
    ("429", "429", "Too many requests hit the API too quickly."),
    ("100", "401", "Incorrect Client Credentials"),
    ("460", "402", "No ACH capable account found"),
    (
        "503",
        "503",
        "Service unavailable due to Bank or Synapse maintenance.",
    ),
    ("120", "401", "Unauthorized Fingerprint"),
    ("500", "500", "Server Error"),
    ("400", "409", "<user:id> not valid"),
    (
        "410",
        "400",
        "Refresh not allowed: Refresh is not supported for the selected bank (e.g. Ally).",
    ),
    ("450", "409", "Idempotency key already in use"),
    (
        "500",
        "402",
        "Either the account is locked or bank is requesting user's attention.",
    ),
    (
        "300",
        "401",
        "Unauthorized action (User/Client not allowed to perform this action)",
    ),
    ("460", "402", "Request Failed but not due to server error"),
    ("500", "500", "Unknown refresh error"),
];

/// Which `validation` object a Codat body carries (the page's examples).
#[derive(Clone, Copy)]
enum CodatValidation {
    None,
    CompanyLimit,
    SyncSchedule,
    Expired,
}

/// Codat: (statusCode, service, error, validation). The code is the identifier before the
/// first `:` of `error`, or the trimmed error text when there is no `:`.
const CODAT: &[(u16, &str, &str, CodatValidation)] = &[
    (
        402,
        "PublicApi",
        "CompanyValidationException: Company limit exceeded",
        CodatValidation::CompanyLimit,
    ),
    (404, "PublicApi", "Not Found", CodatValidation::None),
    (429, "PublicApi", "Too Many Requests", CodatValidation::None),
    (401, "PublicApi", "Unauthorized", CodatValidation::None),
    (
        404,
        "QuickbooksOnline",
        "InvoicePdfNotFoundException: Invoice not found for company {uuid} and invoice ID {n}",
        CodatValidation::None,
    ),
    (
        402,
        "ClientsApi",
        "SyncSettingsValidationException: Sync schedule not allowed",
        CodatValidation::SyncSchedule,
    ),
    (409, "PublicApi", "Conflict", CodatValidation::None),
    (
        500,
        "PublicApi",
        "Internal Server Error",
        CodatValidation::None,
    ),
    (
        402,
        "PublicApi",
        "Payment Required",
        CodatValidation::Expired,
    ),
    (400, "PublicApi", "Bad Request", CodatValidation::None),
    (
        404,
        "PublicApi",
        "Datatype invoices not supported by platform(s) Xero",
        CodatValidation::None,
    ),
    (
        503,
        "PublicApi",
        "Service Unavailable",
        CodatValidation::None,
    ),
    (403, "PublicApi", "Forbidden", CodatValidation::None),
    (
        405,
        "PublicApi",
        "Method Not Allowed",
        CodatValidation::None,
    ),
];

const VENDORS: [&str; 5] = ["ocrolus", "aplos", "ozforensics", "synapse", "codat"];
/// Relative frequency of each vendor among error bodies (same order as `VENDORS`).
const VENDOR_WEIGHT: [f64; 5] = [0.26, 0.16, 0.16, 0.18, 0.24];
/// Share of Ocrolus bodies that are success bodies (`status` 200, `message` OK).
const OCROLUS_SUCCESS: f64 = 0.08;
const SKIP_REASON: &str = "ocrolus-success";

// ---------------------------------------------------------------- tiny JSON model

enum J {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Arr(Vec<J>),
    Obj(Vec<(&'static str, J)>),
}

#[derive(Clone, Copy)]
enum Style {
    /// `{"a":1,"b":"x"}`
    Compact,
    /// `{"a": 1, "b": "x"}` (Python's `json.dumps` default)
    Spaced,
    /// `json.dumps(indent=n)`
    Pretty(usize),
    /// `repr(dict)`: single quotes, `None`/`True`/`False`
    Python,
}

fn s(x: &str) -> J {
    J::Str(x.to_string())
}

fn json_str(out: &mut String, x: &str) {
    out.push('"');
    for c in x.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`.
fn py_str(out: &mut String, x: &str) {
    let q = if x.contains('\'') && !x.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(q);
    for c in x.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            c if c == q => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            c => out.push(c),
        }
    }
    out.push(q);
}

fn render(out: &mut String, v: &J, style: Style, depth: usize) {
    let py = matches!(style, Style::Python);
    match v {
        J::Null => out.push_str(if py { "None" } else { "null" }),
        J::Bool(b) => out.push_str(match (py, b) {
            (true, true) => "True",
            (true, false) => "False",
            (false, true) => "true",
            (false, false) => "false",
        }),
        J::Int(n) => out.push_str(&n.to_string()),
        J::Str(x) if py => py_str(out, x),
        J::Str(x) => json_str(out, x),
        J::Arr(items) => {
            let items: Vec<(Option<&str>, &J)> = items.iter().map(|v| (None, v)).collect();
            container(out, &items, ('[', ']'), style, depth);
        }
        J::Obj(fields) => {
            let items: Vec<(Option<&str>, &J)> =
                fields.iter().map(|(k, v)| (Some(*k), v)).collect();
            container(out, &items, ('{', '}'), style, depth);
        }
    }
}

fn container(
    out: &mut String,
    items: &[(Option<&str>, &J)],
    (open, close): (char, char),
    style: Style,
    depth: usize,
) {
    out.push(open);
    if items.is_empty() {
        out.push(close);
        return;
    }
    let (sep, colon) = match style {
        Style::Compact => (",", ":"),
        Style::Pretty(_) => (",", ": "),
        Style::Spaced | Style::Python => (", ", ": "),
    };
    for (i, (key, v)) in items.iter().enumerate() {
        if i > 0 {
            out.push_str(sep);
        }
        if let Style::Pretty(n) = style {
            out.push('\n');
            out.extend(std::iter::repeat_n(' ', n * (depth + 1)));
        }
        if let Some(k) = key {
            if matches!(style, Style::Python) {
                py_str(out, k);
            } else {
                json_str(out, k);
            }
            out.push_str(colon);
        }
        render(out, v, style, depth + 1);
    }
    if let Style::Pretty(n) = style {
        out.push('\n');
        out.extend(std::iter::repeat_n(' ', n * depth));
    }
    out.push(close);
}

fn to_text(v: &J, style: Style) -> String {
    let mut out = String::with_capacity(256);
    render(&mut out, v, style, 0);
    out
}

// ---------------------------------------------------------------- byte output helpers

fn put(o: &mut Vec<u8>, x: &str) {
    o.extend_from_slice(x.as_bytes());
}

fn num(o: &mut Vec<u8>, mut v: u64) {
    let mut buf = [0u8; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    o.extend_from_slice(&buf[i..]);
}

fn num0(o: &mut Vec<u8>, v: u64, width: u32) {
    let mut d = 10u64.pow(width - 1);
    while d > 0 {
        o.push(b'0' + (v / d % 10) as u8);
        d /= 10;
    }
}

fn hex(o: &mut Vec<u8>, v: u64, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        o.push(HEX[((v >> (4 * i)) & 0xf) as usize]);
    }
}

/// JSON-string (and logfmt) escaping of `x` into `o`, without the surrounding quotes.
fn esc(o: &mut Vec<u8>, x: &str) {
    for &b in x.as_bytes() {
        match b {
            b'"' => o.extend_from_slice(b"\\\""),
            b'\\' => o.extend_from_slice(b"\\\\"),
            b'\n' => o.extend_from_slice(b"\\n"),
            b'\r' => o.extend_from_slice(b"\\r"),
            b'\t' => o.extend_from_slice(b"\\t"),
            _ => o.push(b),
        }
    }
}

// ---------------------------------------------------------------- clock

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 → (year, month, day) (Howard Hinnant's algorithm).
fn civil_from_days(z: i64) -> (u64, u64, u64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y as u64, m as u64, d as u64)
}

/// 2026-11-20T08:00:00Z in Unix milliseconds.
const START_MS: u64 = 1_795_161_600_000;

/// Broken-down time of the current record, recomputed once per record.
#[derive(Default)]
struct Tm {
    y: u64,
    mo: u64,
    d: u64,
    h: u64,
    mi: u64,
    s: u64,
    ms: u64,
}

impl Tm {
    fn at(unix_ms: u64) -> Tm {
        let (y, mo, d) = civil_from_days((unix_ms / 86_400_000) as i64);
        let t = unix_ms % 86_400_000;
        Tm {
            y,
            mo,
            d,
            h: t / 3_600_000,
            mi: t / 60_000 % 60,
            s: t / 1000 % 60,
            ms: t % 1000,
        }
    }
    fn date(&self, o: &mut Vec<u8>) {
        num0(o, self.y, 4);
        o.push(b'-');
        num0(o, self.mo, 2);
        o.push(b'-');
        num0(o, self.d, 2);
    }
    fn hms(&self, o: &mut Vec<u8>) {
        num0(o, self.h, 2);
        o.push(b':');
        num0(o, self.mi, 2);
        o.push(b':');
        num0(o, self.s, 2);
    }
    /// `2026-11-20T10:15:02.123Z`
    fn iso(&self, o: &mut Vec<u8>) {
        self.date(o);
        o.push(b'T');
        self.hms(o);
        o.push(b'.');
        num0(o, self.ms, 3);
        o.push(b'Z');
    }
    /// `2026-11-20T10:15:02.123456789Z` (Docker json-file `time`)
    fn iso_ns(&self, o: &mut Vec<u8>, sub_ms_ns: u64) {
        self.date(o);
        o.push(b'T');
        self.hms(o);
        o.push(b'.');
        num0(o, self.ms, 3);
        num0(o, sub_ms_ns, 6);
        o.push(b'Z');
    }
    /// `2026-11-20 10:15:02,123` (Python logging / log4j)
    fn text(&self, o: &mut Vec<u8>) {
        self.date(o);
        o.push(b' ');
        self.hms(o);
        o.push(b',');
        num0(o, self.ms, 3);
    }
    /// `20/Nov/2026:10:15:02 +0000`
    fn nginx(&self, o: &mut Vec<u8>) {
        num0(o, self.d, 2);
        o.push(b'/');
        put(o, MONTHS[self.mo as usize - 1]);
        o.push(b'/');
        num0(o, self.y, 4);
        o.push(b':');
        self.hms(o);
        put(o, " +0000");
    }
    /// `Nov 20 10:15:02`
    fn syslog(&self, o: &mut Vec<u8>) {
        put(o, MONTHS[self.mo as usize - 1]);
        o.push(b' ');
        if self.d < 10 {
            o.push(b' ');
        }
        num(o, self.d);
        o.push(b' ');
        self.hms(o);
    }
}

// ---------------------------------------------------------------- word pools

const LOGGERS: &[&str] = &[
    "api.http",
    "worker.sync",
    "db.pool",
    "cache.redis",
    "auth.session",
    "billing.invoices",
    "docs.upload",
    "scheduler",
    "queue.consumer",
    "api.graphql",
];
const JAVA_THREADS: &[&str] = &[
    "main",
    "pool-3-thread-7",
    "http-nio-8080-exec-4",
    "scheduling-1",
    "kafka-consumer-2",
    "ForkJoinPool.commonPool-worker-3",
];
const JAVA_CLASSES: &[&str] = &[
    "c.a.sync.BankFeedSync",
    "c.a.docs.UploadService",
    "o.h.engine.jdbc.batch.internal.BatchingBatch",
    "c.a.billing.InvoiceJob",
    "o.s.web.servlet.DispatcherServlet",
    "c.z.hikari.pool.HikariPool",
];
const TABLES: &[&str] = &[
    "transactions",
    "books",
    "documents",
    "invoices",
    "users",
    "bank_accounts",
    "audit_log",
];
const METHODS: &[&str] = &["GET", "GET", "GET", "GET", "POST", "POST", "PUT", "DELETE"];
const PATHS: &[&str] = &[
    "/v1/books/{n}/docs",
    "/v1/book/{n}/transactions?page={p}",
    "/v2/companies/{uuid}/data/invoices?page={p}&pageSize=100",
    "/health",
    "/v3.1/users/{hex}/nodes",
    "/api/v1/forms/{n}/fields",
    "/static/js/app.{hex}.js",
    "/v1/ledger/funds/{n}/lines",
    "/metrics",
    "/v1/upload?pdf_type=bank_statement&book_pk={n}",
];
const AGENTS: &[&str] = &[
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36",
    "python-requests/2.32.3",
    "Go-http-client/1.1",
    "kube-probe/1.31",
    "curl/8.11.0",
    "okhttp/4.12.0",
];
const JOBS: &[&str] = &[
    "sync_bank_feeds",
    "reconcile_ledger",
    "send_digest",
    "rotate_tokens",
    "ocr_ingest",
    "purge_sessions",
];
const HOSTS: &[&str] = &[
    "ip-10-0-3-17",
    "ip-10-0-7-201",
    "worker-2",
    "api-6f9c7d8b9-x2x7q",
    "db-primary",
];

// ---------------------------------------------------------------- generator

/// One vendor body to embed, with what it must count as.
struct Body {
    json: J,
    /// `Some((vendor, code, status))` for an error; `None` for a success body (skipped).
    key: Option<(&'static str, String, String)>,
}

#[derive(Default)]
struct Tally {
    errors: BTreeMap<(&'static str, String, String), u64>,
    skipped: BTreeMap<&'static str, u64>,
    /// Every vendor body written, errors and success bodies alike.
    bodies: u64,
    /// Per-vendor bodies (errors + skipped), same order as `VENDORS`.
    per_vendor: [u64; 5],
}

#[derive(Default)]
struct Stats {
    records: u64,
    lines: u64,
    error_records: u64,
    error_lines: u64,
    decoy_records: u64,
    /// `--key-rich` application log lines.
    app_records: u64,
    /// Self-check markers those lines carry (`error_message` as their own key).
    app_markers: [u64; 5],
    crlf_records: u64,
    bytes: u64,
}

struct Gen {
    rng: Rng,
    error_rate: f64,
    decoy_rate: f64,
    /// `--key-rich`: a third of the ordinary lines are [`Gen::app_line`]s.
    key_rich: bool,
    clock: u64,
    tm: Tm,
    ocrolus: Skew,
    aplos: Skew,
    oz: Skew,
    synapse: Skew,
    codat: Skew,
    tally: Tally,
    stats: Stats,
}

impl Gen {
    fn new(seed: u64, error_rate: f64, decoy_rate: f64, key_rich: bool) -> Self {
        Gen {
            rng: Rng::new(seed),
            error_rate,
            decoy_rate,
            key_rich,
            clock: START_MS,
            tm: Tm::default(),
            ocrolus: Skew::new(OCROLUS.len()),
            aplos: Skew::new(APLOS.len()),
            oz: Skew::new(OZ.len()),
            synapse: Skew::new(SYNAPSE.len()),
            codat: Skew::new(CODAT.len()),
            tally: Tally::default(),
            stats: Stats::default(),
        }
    }

    /// Appends one record (one or more complete lines) to `o`.
    fn record(&mut self, o: &mut Vec<u8>) {
        self.clock += self.rng.below(4);
        self.tm = Tm::at(self.clock);
        let start = o.len();
        let roll = self.rng.unit();
        let is_error = roll < self.error_rate;
        if is_error {
            self.error_record(o);
            self.stats.error_records += 1;
        } else if roll < self.error_rate + self.decoy_rate {
            self.decoy(o);
            self.stats.decoy_records += 1;
        } else if self.key_rich && self.rng.below(3) == 0 {
            self.app_line(o);
            self.stats.app_records += 1;
        } else {
            match self.rng.below(20) {
                0..=9 => self.json_line(o),
                10..=14 => self.text_line(o),
                15..=17 => self.nginx_line(o),
                _ => self.syslog_line(o),
            }
        }
        // Some producers (Windows hosts, .NET services) end lines with CRLF.
        if self.rng.chance(0.03) {
            for b in o.split_off(start) {
                if b == b'\n' {
                    o.push(b'\r');
                }
                o.push(b);
            }
            self.stats.crlf_records += 1;
        }
        let lines = if is_error {
            o[start..].iter().filter(|&&b| b == b'\n').count() as u64
        } else {
            1
        };
        self.stats.lines += lines;
        if is_error {
            self.stats.error_lines += lines;
        }
        self.stats.records += 1;
    }

    fn level(&mut self) -> &'static str {
        match self.rng.below(100) {
            0..=79 => "info",
            80..=89 => "debug",
            90..=96 => "warn",
            _ => "error",
        }
    }

    fn uuid(&mut self, o: &mut Vec<u8>) {
        let a = self.rng.next();
        let b = self.rng.next();
        hex(o, a >> 32, 8);
        o.push(b'-');
        hex(o, (a >> 16) & 0xffff, 4);
        o.push(b'-');
        hex(o, 0x4000 | (a & 0x0fff), 4);
        o.push(b'-');
        hex(o, 0x8000 | (b >> 48 & 0x3fff), 4);
        o.push(b'-');
        hex(o, b & 0xffff_ffff_ffff, 12);
    }

    fn uuid_string(&mut self) -> String {
        let mut v = Vec::with_capacity(36);
        self.uuid(&mut v);
        String::from_utf8(v).expect("hex is ascii")
    }

    fn ip(&mut self, o: &mut Vec<u8>) {
        put(o, "10.");
        num(o, self.rng.below(4));
        o.push(b'.');
        num(o, self.rng.below(16));
        o.push(b'.');
        num(o, self.rng.range(2, 254));
    }

    /// Expands `{n}`, `{uuid}`, `{hex}` placeholders in a path template.
    fn path(&mut self, o: &mut Vec<u8>) {
        let tpl = self.rng.pick(PATHS);
        let mut rest = tpl;
        while let Some(i) = rest.find('{') {
            put(o, &rest[..i]);
            let j = rest[i..].find('}').expect("closed placeholder") + i;
            match &rest[i + 1..j] {
                "n" => num(o, self.rng.range(1, 99_999)),
                "p" => num(o, self.rng.range(1, 40)),
                "uuid" => self.uuid(o),
                _ => hex(o, self.rng.next(), 16),
            }
            rest = &rest[j + 1..];
        }
        put(o, rest);
    }

    fn http_status(&mut self) -> u64 {
        match self.rng.below(100) {
            0..=79 => 200,
            80..=84 => 201,
            85..=87 => 204,
            88..=90 => 304,
            91..=93 => 404,
            94..=95 => 400,
            96 => 401,
            97 => 429,
            98 => 500,
            _ => 502,
        }
    }

    // ---- ordinary lines (hot path: no allocation, no vendor key names)

    fn json_head(&mut self, o: &mut Vec<u8>, level: &str, logger: &str) {
        put(o, "{\"ts\":\"");
        self.tm.iso(o);
        put(o, "\",\"level\":\"");
        put(o, level);
        put(o, "\",\"logger\":\"");
        put(o, logger);
        put(o, "\",\"msg\":\"");
    }

    fn json_line(&mut self, o: &mut Vec<u8>) {
        let level = self.level();
        match self.rng.below(5) {
            0 | 1 => {
                self.json_head(o, level, "api.http");
                put(o, "request completed\",\"method\":\"");
                put(o, self.rng.pick(METHODS));
                put(o, "\",\"path\":\"");
                self.path(o);
                put(o, "\",\"status\":");
                let st = self.http_status();
                num(o, st);
                put(o, ",\"duration_ms\":");
                num(o, self.rng.range(1, 900));
                put(o, ",\"bytes\":");
                num(o, self.rng.range(0, 60_000));
                put(o, ",\"request_id\":\"");
                self.uuid(o);
                put(o, "\",\"user_id\":");
                num(o, self.rng.range(1000, 99_999));
                put(o, "}\n");
            }
            2 => {
                self.json_head(o, level, "db.pool");
                put(o, "query executed\",\"table\":\"");
                put(o, self.rng.pick(TABLES));
                put(o, "\",\"rows\":");
                num(o, self.rng.below(500));
                put(o, ",\"duration_ms\":");
                num(o, self.rng.range(1, 120));
                put(o, ",\"pool_in_use\":");
                num(o, self.rng.range(1, 20));
                put(o, ",\"pool_size\":20,\"trace_id\":\"");
                hex(o, self.rng.next(), 16);
                hex(o, self.rng.next(), 16);
                put(o, "\"}\n");
            }
            3 => {
                self.json_head(o, level, "worker.sync");
                put(o, "job finished\",\"job\":\"");
                put(o, self.rng.pick(JOBS));
                put(o, "\",\"job_id\":\"");
                self.uuid(o);
                put(o, "\",\"queue\":\"default\",\"attempt\":");
                num(o, self.rng.range(1, 3));
                put(o, ",\"duration_ms\":");
                num(o, self.rng.range(5, 9000));
                put(o, ",\"items\":");
                num(o, self.rng.below(250));
                put(o, "}\n");
            }
            _ => {
                let logger = self.rng.pick(LOGGERS);
                self.json_head(o, level, logger);
                put(
                    o,
                    self.rng.pick(&[
                        "session refreshed",
                        "cache miss",
                        "feature flag evaluated",
                        "rate limiter decision",
                        "config reloaded",
                    ]),
                );
                put(o, "\",\"host\":\"");
                put(o, self.rng.pick(HOSTS));
                put(o, "\",\"ip\":\"");
                self.ip(o);
                put(o, "\",\"user_id\":");
                num(o, self.rng.range(1000, 99_999));
                put(o, ",\"expires_in\":3600,\"ttl_s\":");
                num(o, self.rng.range(30, 900));
                put(o, ",\"trace_id\":\"");
                hex(o, self.rng.next(), 16);
                hex(o, self.rng.next(), 16);
                put(o, "\"}\n");
            }
        }
    }

    fn text_head(&mut self, o: &mut Vec<u8>, level: &str, logger: &str) {
        self.tm.text(o);
        o.push(b' ');
        put(o, level);
        put(o, " [");
        put(o, logger);
        put(o, "] ");
    }

    fn text_line(&mut self, o: &mut Vec<u8>) {
        if self.rng.chance(0.3) {
            // log4j / logback style
            self.tm.text(o);
            put(
                o,
                self.rng
                    .pick(&[" INFO  [", " INFO  [", " DEBUG [", " WARN  ["]),
            );
            put(o, self.rng.pick(JAVA_THREADS));
            put(o, "] ");
            put(o, self.rng.pick(JAVA_CLASSES));
            put(o, " - ");
            put(o, "Processed batch ");
            num(o, self.rng.range(1, 99_999));
            put(o, " of ");
            num(o, self.rng.range(10, 500));
            put(o, " entities in ");
            num(o, self.rng.range(2, 4000));
            put(o, " ms (flush=true, tx=");
            hex(o, self.rng.next(), 12);
            put(o, ")\n");
            return;
        }
        let level = match self.rng.below(20) {
            0..=15 => "INFO",
            16 | 17 => "DEBUG",
            18 => "WARNING",
            _ => "ERROR",
        };
        let logger = self.rng.pick(LOGGERS);
        self.text_head(o, level, logger);
        match self.rng.below(7) {
            0 => {
                put(o, "synced ");
                num(o, self.rng.below(400));
                put(o, " transactions for book ");
                num(o, self.rng.range(1000, 99_999));
                put(o, " in ");
                num(o, self.rng.range(20, 9000));
                put(o, " ms (source=bank_feed, cursor=");
                hex(o, self.rng.next(), 16);
                put(o, ")\n");
            }
            1 => {
                put(o, "Fetching page ");
                num(o, self.rng.range(1, 40));
                put(o, " of ");
                self.path(o);
                put(o, " (limit=100, timeout=30s, retries_left=");
                num(o, self.rng.below(4));
                put(o, ")\n");
            }
            2 => {
                put(o, "scheduler tick: ");
                num(o, self.rng.below(30));
                put(o, " jobs due, ");
                num(o, self.rng.below(8));
                put(o, " running, ");
                num(o, self.rng.below(200));
                put(o, " queued; next run of ");
                put(o, self.rng.pick(JOBS));
                put(o, " in ");
                num(o, self.rng.range(1, 3600));
                put(o, "s\n");
            }
            3 => {
                put(o, "Connection pool stats: active=");
                num(o, self.rng.below(20));
                put(o, " idle=");
                num(o, self.rng.below(20));
                put(o, " waiting=");
                num(o, self.rng.below(5));
                put(
                    o,
                    " max=20 host=db-primary.internal:5432 db=ledger user=app_rw\n",
                );
            }
            4 => {
                put(o, "slow query on table ");
                put(o, self.rng.pick(TABLES));
                put(o, ": ");
                num(o, self.rng.range(500, 9000));
                put(o, " ms (threshold 500 ms) sql_hash=");
                hex(o, self.rng.next(), 16);
                put(o, " plan=index_scan\n");
            }
            5 => {
                put(o, "uploaded document ");
                self.uuid(o);
                put(o, " (");
                num(o, self.rng.range(1, 80));
                put(o, " pages, ");
                num(o, self.rng.range(20, 9000));
                put(o, " KiB) to s3://acme-docs-prod/books/");
                num(o, self.rng.range(1000, 99_999));
                put(o, "/\n");
            }
            _ => {
                put(o, "failed to acquire lock sync:");
                num(o, self.rng.range(1000, 99_999));
                put(o, ": timeout after 5000 ms, will retry in ");
                num(o, self.rng.range(1, 60));
                put(o, "s (holder=");
                put(o, self.rng.pick(HOSTS));
                put(o, ")\n");
            }
        }
    }

    fn nginx_line(&mut self, o: &mut Vec<u8>) {
        self.ip(o);
        put(o, " - - [");
        self.tm.nginx(o);
        put(o, "] \"");
        put(o, self.rng.pick(METHODS));
        o.push(b' ');
        self.path(o);
        put(o, " HTTP/1.1\" ");
        let st = self.http_status();
        num(o, st);
        o.push(b' ');
        num(o, self.rng.range(0, 90_000));
        put(o, " \"-\" \"");
        put(o, self.rng.pick(AGENTS));
        put(o, "\" rt=0.");
        num0(o, self.rng.below(1000), 3);
        put(o, " urt=\"0.");
        num0(o, self.rng.below(1000), 3);
        put(o, "\"\n");
    }

    fn syslog_line(&mut self, o: &mut Vec<u8>) {
        self.tm.syslog(o);
        o.push(b' ');
        put(o, self.rng.pick(HOSTS));
        match self.rng.below(5) {
            0 => {
                put(o, " sshd[");
                num(o, self.rng.range(300, 60_000));
                put(o, "]: Accepted publickey for deploy from ");
                self.ip(o);
                put(o, " port ");
                num(o, self.rng.range(30_000, 65_000));
                put(o, " ssh2: ED25519 SHA256:");
                hex(o, self.rng.next(), 16);
                hex(o, self.rng.next(), 16);
                o.push(b'\n');
            }
            1 => {
                put(o, " systemd[1]: Started session-");
                num(o, self.rng.range(1, 99_999));
                put(o, ".scope - Session ");
                num(o, self.rng.range(1, 99_999));
                put(o, " of User deploy.\n");
            }
            2 => {
                put(o, " CRON[");
                num(o, self.rng.range(300, 60_000));
                put(
                    o,
                    "]: (root) CMD (command -v debian-sa1 > /dev/null && debian-sa1 1 1)\n",
                );
            }
            3 => {
                put(o, " kernel: [");
                num(o, self.rng.range(1000, 999_999));
                o.push(b'.');
                num0(o, self.rng.below(1_000_000), 6);
                put(o, "] TCP: request_sock_TCP: Possible SYN flooding on port 443. Sending cookies.  Check SNMP counters.\n");
            }
            _ => {
                put(o, " dockerd[");
                num(o, self.rng.range(300, 60_000));
                put(o, "]: time=\"");
                self.tm.iso(o);
                put(o, "\" level=info msg=\"ignoring event\" container=");
                hex(o, self.rng.next(), 16);
                hex(o, self.rng.next(), 16);
                put(o, " module=libcontainerd namespace=moby\n");
            }
        }
    }

    // ---- key-rich application logs (`--key-rich`): services that use the vendors'
    // key names as their own (`correlationId`, `service`, `version`, `message`,
    // `details`, `success`, `exception`, `error_code`, `error_message`, `http_code`,
    // `response`, `statusCode`), as .NET, Java and Node services commonly do. Several
    // carry every key of a vendor's shape somewhere on the line, but never all of them
    // in one object with the values the shape wants: none is a vendor body. None
    // carries a self-check marker except `error_message`, which is tallied.

    fn app_head(&mut self, o: &mut Vec<u8>, level: &str, service: &str) {
        put(o, "{\"ts\":\"");
        self.tm.iso(o);
        put(o, "\",\"level\":\"");
        put(o, level);
        put(o, "\",\"service\":\"");
        put(o, service);
        put(o, "\",\"version\":\"");
        put(o, self.rng.pick(&["3.4.1", "3.5.0", "1.9.0", "2.12.4"]));
        put(o, "\",\"correlationId\":\"");
        self.uuid(o);
        put(o, "\",");
    }

    fn app_line(&mut self, o: &mut Vec<u8>) {
        match self.rng.below(7) {
            // ASP.NET Core request log, the status in an ECS-style `http` object.
            0 | 1 => {
                self.app_head(o, "info", "orders-api");
                put(o, "\"message\":\"HTTP ");
                put(o, self.rng.pick(METHODS));
                o.push(b' ');
                self.path(o);
                put(o, " responded\",\"http\":{\"method\":\"");
                put(o, self.rng.pick(METHODS));
                put(o, "\",\"statusCode\":");
                num(o, self.http_status());
                put(o, ",\"elapsed_ms\":");
                num(o, self.rng.range(1, 900));
                put(o, "},\"success\":true}\n");
            }
            // Java (logback JSON) error with its exception object; no status.
            2 => {
                self.app_head(o, "error", "ledger-svc");
                put(o, "\"message\":\"payment capture failed\",\"exception\":{\"class\":\"java.net.SocketTimeoutException\",\"message\":\"Read timed out\",\"stack_trace\":\"java.net.SocketTimeoutException: Read timed out\\n\\tat c.a.ledger.Capture.run(Capture.java:");
                num(o, self.rng.range(20, 400));
                put(o, ")\"},\"success\":false,\"attempt\":");
                num(o, self.rng.range(1, 3));
                put(o, "}\n");
            }
            // Node (pino) upstream call: the status inside `response`.
            3 => {
                self.app_head(o, "warn", "kyc-worker");
                put(
                    o,
                    "\"message\":\"upstream call failed\",\"response\":{\"statusCode\":",
                );
                num(o, self.rng.pick(&[502, 503, 504]));
                put(o, ",\"headers\":{\"retry-after\":\"2\"}},\"error_code\":\"UPSTREAM_UNAVAILABLE\",\"details\":{\"attempt\":");
                num(o, self.rng.range(1, 3));
                put(o, ",\"retry_in_ms\":");
                num(o, self.rng.range(100, 2000));
                put(o, "}}\n");
            }
            // API gateway validation failure: the error under `error`, a numeric `http_code`.
            4 => {
                self.app_head(o, "warn", "billing-api");
                put(o, "\"message\":\"request rejected\",\"http_code\":422,\"success\":false,\"error\":{\"error_code\":\"E_VALIDATION\",\"error_message\":\"amount must be positive\"},\"details\":{\"field\":\"amount\",\"path\":\"");
                self.path(o);
                put(o, "\"}}\n");
                self.stats.app_markers[2] += 1;
            }
            // Job log: a text `status`, the result under `response`.
            5 => {
                self.app_head(o, "info", "sync-worker");
                put(o, "\"message\":\"sync finished\",\"status\":\"completed\",\"response\":{\"items\":");
                num(o, self.rng.below(400));
                put(o, ",\"pages\":");
                num(o, self.rng.range(1, 9));
                put(
                    o,
                    "},\"success\":true,\"details\":{\"source\":\"bank_feed\",\"cursor\":\"",
                );
                hex(o, self.rng.next(), 16);
                put(o, "\"}}\n");
            }
            // Outbound HTTP client log: the partner's reply under `response`.
            _ => {
                put(o, "{\"ts\":\"");
                self.tm.iso(o);
                put(
                    o,
                    "\",\"level\":\"info\",\"client\":\"partner-api\",\"message\":\"outbound ",
                );
                put(o, self.rng.pick(METHODS));
                put(o, " completed\",\"statusCode\":");
                num(o, self.http_status());
                put(o, ",\"correlationId\":\"");
                self.uuid(o);
                put(o, "\",\"response\":{\"status\":");
                num(o, self.http_status());
                put(o, ",\"message\":\"accepted\",\"id\":");
                num(o, self.rng.range(1000, 99_999));
                put(o, "},\"elapsed_ms\":");
                num(o, self.rng.range(5, 3000));
                put(o, "}\n");
            }
        }
    }

    // ---- decoys: vendor key names in innocent contexts, never a vendor error body.
    // Each one carries at least one of the literals a pre-filter would use
    // (error_code error_message statusCode correlationId exception http_code "response"
    // \"response\"), but none of: `"response":null`, a `"message":"OK"` next to a
    // status, `v2_0_0`, `error_message`, a string `http_code`, a Codat service name.

    fn decoy(&mut self, o: &mut Vec<u8>) {
        match self.rng.below(16) {
            0 | 1 => {
                self.json_head(o, "info", "api.http");
                put(
                    o,
                    "request done\",\"status\":200,\"code\":\"OK\",\"response\":{\"items\":",
                );
                num(o, self.rng.below(50));
                put(o, ",\"next\":null},\"duration_ms\":");
                num(o, self.rng.range(1, 900));
                put(o, ",\"request_id\":\"");
                self.uuid(o);
                put(o, "\"}\n");
            }
            2 => {
                self.json_head(o, "warn", "worker.retry");
                put(
                    o,
                    "retry scheduled\",\"exception\":\"TimeoutException\",\"attempt\":",
                );
                num(o, self.rng.range(1, 5));
                put(o, ",\"backoff_ms\":");
                num(o, self.rng.range(100, 8000));
                put(o, ",\"job_id\":\"");
                self.uuid(o);
                put(o, "\"}\n");
            }
            3 => {
                self.text_head(o, "WARN", "api.handler");
                put(o, "exception in handler: TimeoutException after ");
                num(o, self.rng.range(1000, 30_000));
                put(o, " ms on ");
                self.path(o);
                put(o, "; details logged at debug level\n");
            }
            4 | 5 => {
                self.text_head(o, "INFO", "http.client");
                put(o, self.rng.pick(METHODS));
                put(o, " https://api.partner.example");
                self.path(o);
                put(o, " statusCode=200 correlationId=");
                self.uuid(o);
                put(o, " elapsed=");
                num(o, self.rng.range(5, 3000));
                put(o, "ms\n");
            }
            6 => {
                self.json_head(o, "info", "billing.payments");
                put(
                    o,
                    "payment settled\",\"error_code\":null,\"success\":true,\"amount_cents\":",
                );
                num(o, self.rng.range(100, 900_000));
                put(o, ",\"currency\":\"USD\",\"payment_id\":\"");
                self.uuid(o);
                put(o, "\"}\n");
            }
            7 => {
                self.tm.syslog(o);
                o.push(b' ');
                put(o, self.rng.pick(HOSTS));
                put(o, " payments[");
                num(o, self.rng.range(300, 60_000));
                put(
                    o,
                    "]: webhook delivered http_code=200 success=true attempt=",
                );
                num(o, self.rng.range(1, 3));
                put(o, " endpoint=https://hooks.example.net/");
                hex(o, self.rng.next(), 12);
                o.push(b'\n');
            }
            8 => {
                self.json_head(o, "info", "client.bank");
                put(
                    o,
                    "bank sync ok\",\"http_code\":200,\"success\":true,\"details\":{\"accounts\":",
                );
                num(o, self.rng.range(1, 9));
                put(o, ",\"new_txns\":");
                num(o, self.rng.below(300));
                put(o, "},\"node_id\":\"");
                hex(o, self.rng.next(), 16);
                put(o, "\"}\n");
            }
            9 => {
                self.json_head(o, "info", "client.accounting");
                put(o, "push complete\",\"statusCode\":200,\"correlationId\":\"");
                self.uuid(o);
                put(o, "\",\"pushOperationKey\":\"");
                self.uuid(o);
                put(o, "\"}\n");
            }
            10 => {
                self.json_head(o, "debug", "client.http");
                put(
                    o,
                    "upstream reply\",\"body\":\"{\\\"response\\\":{\\\"ok\\\":true,\\\"id\\\":",
                );
                num(o, self.rng.range(1, 99_999));
                put(o, "},\\\"status\\\":200}\",\"duration_ms\":");
                num(o, self.rng.range(1, 900));
                put(o, "}\n");
            }
            11 => {
                put(o, "ts=");
                self.tm.iso(o);
                put(
                    o,
                    " level=info msg=\"call ok\" http_code=200 correlationId=",
                );
                self.uuid(o);
                put(o, " dur=");
                num(o, self.rng.range(1, 900));
                put(o, "ms path=");
                self.path(o);
                o.push(b'\n');
            }
            12 => {
                self.text_head(o, "DEBUG", "worker.kyc");
                put(o, "check result={'success': True, 'details': None, 'exception': None, 'score': 0.");
                num0(o, self.rng.below(100), 2);
                put(o, ", 'session': '");
                hex(o, self.rng.next(), 16);
                put(o, "'}\n");
            }
            13 => {
                put(o, "{\"log\":\"");
                self.tm.text(o);
                put(o, " INFO [api] GET /health statusCode=200 took=");
                num(o, self.rng.range(1, 50));
                put(o, "ms\\n\",\"stream\":\"stdout\",\"time\":\"");
                let ns = self.rng.below(1_000_000);
                self.tm.iso_ns(o, ns);
                put(o, "\"}\n");
            }
            14 => {
                self.ip(o);
                put(o, " - - [");
                self.tm.nginx(o);
                put(o, "] \"GET /api/v1/exceptions?since=");
                num(o, self.clock / 1000);
                put(o, "&limit=50 HTTP/1.1\" 200 ");
                num(o, self.rng.range(100, 9000));
                put(o, " \"-\" \"");
                put(o, self.rng.pick(AGENTS));
                put(o, "\"\n");
            }
            _ => {
                // Another API's error, nested under "response": a foreign shape, not one of ours.
                self.json_head(o, "error", "client.cards");
                put(o, "charge failed\",\"response\":{\"error\":{\"type\":\"card_error\",\"code\":\"card_declined\",\"message\":\"Your card was declined.\"}},\"charge_id\":\"ch_");
                hex(o, self.rng.next(), 16);
                put(o, "\"}\n");
            }
        }
    }

    // ---- vendor bodies (rare path)

    fn body(&mut self) -> Body {
        let x = self.rng.unit();
        let mut acc = 0.0;
        let mut v = VENDORS.len() - 1;
        for (i, w) in VENDOR_WEIGHT.iter().enumerate() {
            acc += w;
            if x < acc {
                v = i;
                break;
            }
        }
        self.tally.per_vendor[v] += 1;
        let vendor = VENDORS[v];
        match v {
            0 => {
                if self.rng.chance(OCROLUS_SUCCESS) {
                    let response = if self.rng.chance(0.5) {
                        s("Book created")
                    } else {
                        J::Obj(vec![
                            ("book_uuid", J::Str(self.uuid_string())),
                            ("pk", J::Int(self.rng.range(1000, 99_999) as i64)),
                        ])
                    };
                    return Body {
                        json: J::Obj(vec![
                            ("status", J::Int(200)),
                            ("message", s("OK")),
                            ("response", response),
                        ]),
                        key: None,
                    };
                }
                let (st, code, msg) = OCROLUS[self.ocrolus.pick(&mut self.rng)];
                Body {
                    json: J::Obj(vec![
                        ("status", J::Int(st.into())),
                        ("message", s(msg)),
                        ("code", J::Int(code.into())),
                        ("response", J::Null),
                    ]),
                    key: Some((vendor, code.to_string(), st.to_string())),
                }
            }
            1 => {
                let (st, code, msg) = APLOS[self.aplos.pick(&mut self.rng)];
                Body {
                    json: J::Obj(vec![
                        ("version", s("v2_0_0")),
                        ("status", J::Int(st.into())),
                        (
                            "exception",
                            J::Obj(vec![("message", s(msg)), ("code", J::Int(code.into()))]),
                        ),
                    ]),
                    key: Some((vendor, code.to_string(), st.to_string())),
                }
            }
            2 => {
                let (code, msg) = OZ[self.oz.pick(&mut self.rng)];
                let details = match self.rng.below(4) {
                    0 => J::Obj(vec![
                        ("field", s("media")),
                        ("folder_id", J::Str(self.uuid_string())),
                    ]),
                    1 => s(""),
                    _ => J::Null,
                };
                Body {
                    json: J::Obj(vec![
                        ("error_code", J::Int(code.into())),
                        ("error_message", s(msg)),
                        ("details", details),
                    ]),
                    key: Some((vendor, code.to_string(), String::new())),
                }
            }
            3 => {
                let (code, http, en) = SYNAPSE[self.synapse.pick(&mut self.rng)];
                Body {
                    json: J::Obj(vec![
                        ("error", J::Obj(vec![("en", s(en))])),
                        ("error_code", s(code)),
                        ("http_code", s(http)),
                        ("success", J::Bool(false)),
                    ]),
                    key: Some((vendor, code.to_string(), http.to_string())),
                }
            }
            _ => {
                let (st, service, error, validation) = CODAT[self.codat.pick(&mut self.rng)];
                let error = error
                    .replace("{uuid}", &self.uuid_string())
                    .replace("{n}", &self.rng.range(1000, 99_999).to_string());
                let code = match error.split_once(':') {
                    Some((ident, _)) => ident.to_string(),
                    None => error.trim().to_string(),
                };
                let mut fields = vec![
                    ("statusCode", J::Int(st.into())),
                    ("service", s(service)),
                    ("error", J::Str(error)),
                    ("correlationId", J::Str(self.uuid_string())),
                ];
                let item = |id: Option<&str>, msg: &str, validator: Option<&str>| {
                    let mut f = Vec::new();
                    if let Some(id) = id {
                        f.push(("itemId", s(id)));
                    }
                    f.push(("message", s(msg)));
                    if let Some(v) = validator {
                        f.push(("validatorName", s(v)));
                    }
                    J::Obj(f)
                };
                let errors = match validation {
                    CodatValidation::None => None,
                    CodatValidation::CompanyLimit => Some(item(
                        Some("Company"),
                        "Company limit exceeded. Learn more at https://docs.codat.io/docs/environments-1",
                        Some("CreateCompany"),
                    )),
                    CodatValidation::SyncSchedule => Some(item(
                        Some("SyncSettings"),
                        "Sync schedule is not allowed for this client.",
                        Some("SyncSettings"),
                    )),
                    CodatValidation::Expired => Some(item(
                        None,
                        "Account expired. Learn more at https://docs.codat.io/docs/environments-1",
                        None,
                    )),
                };
                if let Some(e) = errors {
                    fields.push((
                        "validation",
                        J::Obj(vec![
                            ("errors", J::Arr(vec![e])),
                            ("warnings", J::Arr(vec![])),
                        ]),
                    ));
                }
                Body {
                    json: J::Obj(fields),
                    key: Some((vendor, code, st.to_string())),
                }
            }
        }
    }

    fn count(&mut self, b: &Body) {
        self.tally.bodies += 1;
        match &b.key {
            Some((v, c, st)) => {
                *self
                    .tally
                    .errors
                    .entry((v, c.clone(), st.clone()))
                    .or_default() += 1
            }
            None => *self.tally.skipped.entry(SKIP_REASON).or_default() += 1,
        }
    }

    fn vendor_of(b: &Body) -> &'static str {
        b.key.as_ref().map_or("ocrolus", |k| k.0)
    }

    /// `2026-11-20 10:15:02,123 ERROR [client.codat] POST /path failed with 404: `
    fn error_prefix(&mut self, o: &mut Vec<u8>, vendor: &str) {
        self.tm.text(o);
        put(o, " ERROR [client.");
        put(o, vendor);
        put(o, "] ");
        put(o, self.rng.pick(METHODS));
        o.push(b' ');
        self.path(o);
        put(
            o,
            self.rng.pick(&[
                " failed: ",
                " returned an error: ",
                " -> vendor error body=",
                " failed, response: ",
            ]),
        );
    }

    fn error_suffix(&mut self, o: &mut Vec<u8>) {
        match self.rng.below(3) {
            0 => {}
            1 => {
                put(o, " (attempt ");
                num(o, self.rng.range(1, 3));
                put(o, "/3)");
            }
            _ => {
                put(o, " request_id=");
                self.uuid(o);
            }
        }
    }

    fn error_record(&mut self, o: &mut Vec<u8>) {
        let body = self.body();
        self.count(&body);
        let vendor = Self::vendor_of(&body);
        match self.rng.below(100) {
            // 1. bare JSON line
            0..=13 => {
                let style = if self.rng.chance(0.7) {
                    Style::Compact
                } else {
                    Style::Spaced
                };
                put(o, &to_text(&body.json, style));
                o.push(b'\n');
            }
            // 2. after a text prefix, with text after it
            14..=33 => {
                self.error_prefix(o, vendor);
                let style = if self.rng.chance(0.8) {
                    Style::Compact
                } else {
                    Style::Spaced
                };
                put(o, &to_text(&body.json, style));
                self.error_suffix(o);
                o.push(b'\n');
            }
            // 3. escaped inside a string field of a structured JSON log line
            34..=47 => {
                self.json_head(o, "error", &format!("client.{vendor}"));
                put(o, "vendor call failed\",\"");
                put(
                    o,
                    self.rng.pick(&["body", "raw_body", "payload", "resp_text"]),
                );
                put(o, "\":\"");
                esc(o, &to_text(&body.json, Style::Compact));
                put(o, "\",\"duration_ms\":");
                num(o, self.rng.range(5, 3000));
                put(o, "}\n");
            }
            // 4. nested object in a JSON log line whose own keys look vendor-ish
            48..=59 => {
                put(o, "{\"ts\":\"");
                self.tm.iso(o);
                put(o, "\",\"level\":\"error\",\"status\":");
                num(o, self.rng.pick(&[502, 500, 424]));
                put(o, ",\"message\":\"upstream\",\"code\":\"E_UPSTREAM\",\"");
                put(
                    o,
                    self.rng
                        .pick(&["vendor", "upstream", "error_body", "detail"]),
                );
                put(o, "\":");
                put(o, &to_text(&body.json, Style::Compact));
                put(o, ",\"trace_id\":\"");
                hex(o, self.rng.next(), 16);
                put(o, "\"}\n");
            }
            // 5. Docker json-file wrapper around a text-prefixed line
            60..=69 => {
                let mut inner = Vec::with_capacity(400);
                self.error_prefix(&mut inner, vendor);
                put(&mut inner, &to_text(&body.json, Style::Compact));
                self.error_suffix(&mut inner);
                put(o, "{\"log\":\"");
                esc(
                    o,
                    std::str::from_utf8(&inner).expect("generated text is utf-8"),
                );
                put(o, "\\n\",\"stream\":\"stderr\",\"time\":\"");
                let ns = self.rng.below(1_000_000);
                self.tm.iso_ns(o, ns);
                put(o, "\"}\n");
            }
            // 6. logfmt
            70..=77 => {
                put(o, "ts=");
                self.tm.iso(o);
                put(o, " level=error msg=\"call failed\" vendor=");
                put(o, vendor);
                put(o, " body=\"");
                esc(o, &to_text(&body.json, Style::Compact));
                put(o, "\" dur=");
                num(o, self.rng.range(5, 3000));
                put(o, "ms\n");
            }
            // 7. two bodies on one line
            78..=83 => {
                let second = self.body();
                self.count(&second);
                if self.rng.chance(0.5) {
                    self.tm.text(o);
                    put(o, " ERROR [client.batch] batch had 2 failures: first=");
                    put(o, &to_text(&body.json, Style::Compact));
                    put(o, " second=");
                    put(o, &to_text(&second.json, Style::Compact));
                    o.push(b'\n');
                } else {
                    self.json_head(o, "error", "client.batch");
                    put(o, "batch failed\",\"errors\":[");
                    put(o, &to_text(&body.json, Style::Compact));
                    o.push(b',');
                    put(o, &to_text(&second.json, Style::Compact));
                    put(o, "]}\n");
                }
            }
            // 8. pretty-printed over several lines
            84..=91 => {
                let indent = if self.rng.chance(0.5) { 2 } else { 4 };
                match self.rng.below(3) {
                    0 => {
                        self.text_head(o, "ERROR", &format!("client.{vendor}"));
                        put(o, "request failed, response body follows:\n");
                    }
                    1 => self.error_prefix(o, vendor),
                    _ => {}
                }
                put(o, &to_text(&body.json, Style::Pretty(indent)));
                o.push(b'\n');
            }
            // 9. Python dict repr
            _ => {
                self.text_head(o, "ERROR", &format!("worker.{vendor}"));
                let (pre, post) = self.rng.pick(&[
                    ("vendor error payload=", ""),
                    ("raise VendorError(", ")"),
                    ("got ", " from upstream"),
                ]);
                put(o, pre);
                put(o, &to_text(&body.json, Style::Python));
                put(o, post);
                o.push(b'\n');
            }
        }
    }
}

// ---------------------------------------------------------------- self-check

/// Substrings that occur exactly once per body of one vendor in every rendering the
/// generator uses, and never in decoys or ordinary lines. Counting them in the output
/// re-derives the number of bodies written per vendor without trusting the tally.
const MARKERS: [&[&str]; 5] = [
    &[
        // ocrolus errors: `"response":null` in every quoting; success bodies: `"message":"OK"`.
        "\"response\":null",
        "\"response\": null",
        "\\\"response\\\":null",
        "'response': None",
        "\"message\":\"OK\"",
        "\"message\": \"OK\"",
        "\\\"message\\\":\\\"OK\\\"",
        "'message': 'OK'",
    ],
    &["v2_0_0"],
    &["error_message"],
    &[
        "\"http_code\":\"",
        "\"http_code\": \"",
        "\\\"http_code\\\":\\\"",
        "'http_code': '",
    ],
    &["PublicApi", "ClientsApi", "QuickbooksOnline"],
];

fn count_sub(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}

fn count_markers(hay: &[u8], acc: &mut [u64; 5]) {
    for (v, pats) in MARKERS.iter().enumerate() {
        acc[v] += pats
            .iter()
            .map(|p| count_sub(hay, p.as_bytes()))
            .sum::<u64>();
    }
}

// ---------------------------------------------------------------- driver

/// Generates `size` bytes (cut at record boundaries) into `sinks`, `size / sinks.len()`
/// each. Returns the marker counts when `check` is set.
fn generate<W: Write>(
    gen: &mut Gen,
    size: u64,
    sinks: &mut [W],
    check: bool,
) -> io::Result<[u64; 5]> {
    let n = sinks.len() as u64;
    let mut rec = Vec::with_capacity(4096);
    let mut total = 0u64;
    let mut markers = [0u64; 5];
    for (i, w) in sinks.iter_mut().enumerate() {
        let target = size * (i as u64 + 1) / n;
        while total < target {
            rec.clear();
            gen.record(&mut rec);
            if check {
                count_markers(&rec, &mut markers);
            }
            w.write_all(&rec)?;
            total += rec.len() as u64;
        }
        w.flush()?;
    }
    gen.stats.bytes = total;
    Ok(markers)
}

fn csv_field(x: &str) -> String {
    if x.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", x.replace('"', "\"\""))
    } else {
        x.to_string()
    }
}

/// `vendor,code,status,count` sorted by count desc, then vendor, code, status; then the
/// `# skipped,<reason>,<count>` trailer.
fn expected_csv(t: &Tally) -> String {
    let mut rows: Vec<_> = t.errors.iter().collect();
    rows.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
    let mut out = String::from("vendor,code,status,count\n");
    for ((v, c, st), n) in rows {
        out.push_str(&format!("{v},{},{},{n}\n", csv_field(c), csv_field(st)));
    }
    out.push_str(&format!(
        "# skipped,{SKIP_REASON},{}\n",
        t.skipped.get(SKIP_REASON).copied().unwrap_or(0)
    ));
    out
}

fn parse_size(x: &str) -> Result<u64, String> {
    let t = x.trim().trim_end_matches(['B', 'b']).trim_end_matches('i');
    let (digits, mult) = match t.chars().last() {
        Some('K' | 'k') => (&t[..t.len() - 1], 1u64 << 10),
        Some('M' | 'm') => (&t[..t.len() - 1], 1 << 20),
        Some('G' | 'g') => (&t[..t.len() - 1], 1 << 30),
        _ => (t, 1),
    };
    digits
        .parse::<u64>()
        .map(|n| n * mult)
        .map_err(|_| format!("bad size {x:?} (want e.g. 64M, 512M, 2G)"))
}

struct Args {
    size: u64,
    out: Option<PathBuf>,
    seed: u64,
    error_rate: f64,
    decoy_rate: f64,
    expected: Option<PathBuf>,
    files: usize,
    out_dir: Option<PathBuf>,
    self_check: bool,
    key_rich: bool,
}

const USAGE: &str = "usage: gencorpus --size 512M (--out FILE | --files N --out-dir DIR) \
[--seed 42] [--error-rate 0.005] [--decoy-rate 0.2] [--key-rich] [--expected FILE.csv] [--self-check]";

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        size: 64 << 20,
        out: None,
        seed: 42,
        error_rate: 0.005,
        decoy_rate: 0.2,
        expected: None,
        files: 1,
        out_dir: None,
        self_check: false,
        key_rich: false,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--self-check" {
            a.self_check = true;
            continue;
        }
        if flag == "--key-rich" {
            a.key_rich = true;
            continue;
        }
        if flag == "-h" || flag == "--help" {
            return Err(USAGE.to_string());
        }
        let val = it
            .next()
            .ok_or_else(|| format!("{flag} needs a value\n{USAGE}"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{flag} {val}: {e}");
        match flag.as_str() {
            "--size" => a.size = parse_size(&val)?,
            "--out" => a.out = Some(val.into()),
            "--seed" => a.seed = val.parse().map_err(|e| bad(&e))?,
            "--error-rate" => a.error_rate = val.parse().map_err(|e| bad(&e))?,
            "--decoy-rate" => a.decoy_rate = val.parse().map_err(|e| bad(&e))?,
            "--expected" => a.expected = Some(val.into()),
            "--files" => a.files = val.parse().map_err(|e| bad(&e))?,
            "--out-dir" => a.out_dir = Some(val.into()),
            _ => return Err(format!("unknown flag {flag}\n{USAGE}")),
        }
    }
    if !(0.0..=1.0).contains(&a.error_rate) || !(0.0..=1.0).contains(&(a.error_rate + a.decoy_rate))
    {
        return Err("--error-rate + --decoy-rate must lie in [0, 1]".into());
    }
    if a.files == 0
        || (a.out.is_none() == a.out_dir.is_none())
        || (a.files > 1 && a.out_dir.is_none())
    {
        return Err(format!(
            "give either --out FILE or --files N --out-dir DIR\n{USAGE}"
        ));
    }
    Ok(a)
}

fn run(a: &Args) -> Result<(), String> {
    let io_err =
        |what: &str, p: &std::path::Path, e: io::Error| format!("{what} {}: {e}", p.display());
    let paths: Vec<PathBuf> = match (&a.out, &a.out_dir) {
        (Some(p), _) => vec![p.clone()],
        (None, Some(dir)) => {
            std::fs::create_dir_all(dir).map_err(|e| io_err("create", dir, e))?;
            (0..a.files)
                .map(|i| dir.join(format!("part-{i:02}.log")))
                .collect()
        }
        (None, None) => unreachable!("checked in parse_args"),
    };
    let mut sinks = Vec::with_capacity(paths.len());
    for p in &paths {
        let f = File::create(p).map_err(|e| io_err("create", p, e))?;
        sinks.push(BufWriter::with_capacity(1 << 20, f));
    }
    let mut gen = Gen::new(a.seed, a.error_rate, a.decoy_rate, a.key_rich);
    let t0 = Instant::now();
    let markers =
        generate(&mut gen, a.size, &mut sinks, a.self_check).map_err(|e| format!("write: {e}"))?;
    let secs = t0.elapsed().as_secs_f64();
    let st = &gen.stats;
    let pct = |n: u64| 100.0 * n as f64 / st.lines.max(1) as f64;
    eprintln!(
        "gencorpus: {} bytes in {} file(s), {:.2}s ({:.0} MB/s); {} records, {} lines (avg {:.0} B); \
         error records {} ({:.3}% of lines incl. {} lines), decoys {} ({:.1}%), key-rich app lines {} ({:.1}%), crlf records {}; \
         bodies {} ({} errors in {} keys, {} skipped)",
        st.bytes,
        paths.len(),
        secs,
        st.bytes as f64 / 1e6 / secs,
        st.records,
        st.lines,
        st.bytes as f64 / st.lines.max(1) as f64,
        st.error_records,
        pct(st.error_lines),
        st.error_lines,
        st.decoy_records,
        pct(st.decoy_records),
        st.app_records,
        pct(st.app_records),
        st.crlf_records,
        gen.tally.bodies,
        gen.tally.errors.values().sum::<u64>(),
        gen.tally.errors.len(),
        gen.tally.skipped.values().sum::<u64>(),
    );
    if let Some(p) = &a.expected {
        std::fs::write(p, expected_csv(&gen.tally)).map_err(|e| io_err("write", p, e))?;
    }
    if a.self_check {
        check_totals(&gen.tally, &bodies_marked(&markers, &gen.stats))?;
        eprintln!("gencorpus: self-check ok: expected totals = bodies written = marker counts {markers:?}");
    }
    Ok(())
}

/// The markers counted in the output less those the key-rich application lines carry.
fn bodies_marked(markers: &[u64; 5], stats: &Stats) -> [u64; 5] {
    std::array::from_fn(|v| markers[v] - stats.app_markers[v])
}

/// The expected file's totals must equal the bodies written, and an independent count of
/// per-vendor markers in the output must equal the per-vendor tally.
fn check_totals(t: &Tally, markers: &[u64; 5]) -> Result<(), String> {
    let expected_total: u64 = t.errors.values().sum::<u64>() + t.skipped.values().sum::<u64>();
    if expected_total != t.bodies {
        return Err(format!(
            "expected totals {expected_total} != bodies written {}",
            t.bodies
        ));
    }
    if t.per_vendor.iter().sum::<u64>() != t.bodies {
        return Err("per-vendor tally does not add up to the bodies written".into());
    }
    for (v, name) in VENDORS.iter().enumerate() {
        let rows: u64 = t
            .errors
            .iter()
            .filter(|(k, _)| k.0 == *name)
            .map(|(_, n)| n)
            .sum::<u64>()
            + if v == 0 {
                t.skipped.values().sum::<u64>()
            } else {
                0
            };
        if rows != markers[v] || rows != t.per_vendor[v] {
            return Err(format!(
                "{name}: expected rows {rows}, tally {}, markers found in output {}",
                t.per_vendor[v], markers[v]
            ));
        }
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|a| run(&a)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("gencorpus: {e}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn corpus(
        seed: u64,
        size: u64,
        files: usize,
        error_rate: f64,
    ) -> (Vec<Vec<u8>>, Gen, [u64; 5]) {
        corpus_of(Gen::new(seed, error_rate, 0.2, false), size, files)
    }

    fn corpus_of(mut gen: Gen, size: u64, files: usize) -> (Vec<Vec<u8>>, Gen, [u64; 5]) {
        let mut sinks = vec![Vec::new(); files];
        let markers = generate(&mut gen, size, &mut sinks, true).unwrap();
        let markers = bodies_marked(&markers, &gen.stats);
        (sinks, gen, markers)
    }

    #[test]
    fn expected_totals_equal_bodies_written() {
        let (_, gen, markers) = corpus(7, 4 << 20, 1, 0.05);
        check_totals(&gen.tally, &markers).unwrap();
        assert!(
            gen.tally.bodies > 500,
            "too few bodies: {}",
            gen.tally.bodies
        );
        assert!(gen.tally.skipped.values().sum::<u64>() > 0);
        // The CSV carries the same totals.
        let csv = expected_csv(&gen.tally);
        let mut sum = 0;
        for line in csv.lines().skip(1) {
            sum += line.rsplit(',').next().unwrap().parse::<u64>().unwrap();
        }
        assert_eq!(sum, gen.tally.bodies);
    }

    #[test]
    fn key_rich_lines_are_no_bodies() {
        let (out, gen, markers) = corpus_of(Gen::new(7, 0.05, 0.2, true), 4 << 20, 1);
        check_totals(&gen.tally, &markers).unwrap();
        // About a third of the ordinary lines (three quarters of all).
        let share = gen.stats.app_records as f64 / gen.stats.records as f64;
        assert!((0.2..0.3).contains(&share), "app lines: {share}");
        let text = String::from_utf8(out.concat()).unwrap();
        for key in [
            "correlationId",
            "service",
            "version",
            "message",
            "details",
            "success",
            "exception",
            "error_code",
            "error_message",
            "http_code",
            "response",
            "statusCode",
        ] {
            assert!(text.contains(&format!("\"{key}\":")), "{key}");
        }
    }

    #[test]
    fn deterministic_and_split_equals_single() {
        let (a, ..) = corpus(42, 1 << 20, 1, 0.005);
        let (b, ..) = corpus(42, 1 << 20, 1, 0.005);
        let (parts, ..) = corpus(42, 1 << 20, 4, 0.005);
        assert_eq!(a, b);
        assert_eq!(a[0], parts.concat());
        assert!(parts.iter().all(|p| p.ends_with(b"\n")));
        let (c, ..) = corpus(43, 1 << 20, 1, 0.005);
        assert_ne!(a, c);
    }

    #[test]
    fn renders_match_vendor_shapes() {
        let body = J::Obj(vec![
            ("error_code", J::Int(4)),
            ("error_message", s("Can't start analysis without media")),
            ("details", J::Null),
            ("ok", J::Bool(false)),
            ("list", J::Arr(vec![])),
        ]);
        assert_eq!(
            to_text(&body, Style::Python),
            "{'error_code': 4, 'error_message': \"Can't start analysis without media\", 'details': None, 'ok': False, 'list': []}"
        );
        assert_eq!(
            to_text(&body, Style::Compact),
            r#"{"error_code":4,"error_message":"Can't start analysis without media","details":null,"ok":false,"list":[]}"#
        );
        assert_eq!(
            to_text(
                &J::Obj(vec![("a", J::Obj(vec![("b", J::Int(1))]))]),
                Style::Pretty(2)
            ),
            "{\n  \"a\": {\n    \"b\": 1\n  }\n}"
        );
        assert_eq!(parse_size("512M").unwrap(), 512 << 20);
        assert_eq!(parse_size("16MiB").unwrap(), 16 << 20);
        assert_eq!(parse_size("1000").unwrap(), 1000);
    }

    #[test]
    fn clock_formats() {
        let tm = Tm::at(START_MS + 3_723_004);
        let mut o = Vec::new();
        tm.iso(&mut o);
        o.push(b'|');
        tm.text(&mut o);
        o.push(b'|');
        tm.nginx(&mut o);
        o.push(b'|');
        tm.syslog(&mut o);
        assert_eq!(
            String::from_utf8(o).unwrap(),
            "2026-11-20T09:02:03.004Z|2026-11-20 09:02:03,004|20/Nov/2026:09:02:03 +0000|Nov 20 09:02:03"
        );
    }
}
