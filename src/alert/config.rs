//! `[[alert]]` rules and `[sinks.*]` as written in `config.toml`, and their
//! validation into [`Rule`]s and [`Sinks`]. Every error names the rule (or
//! sink) and the key, e.g. ``alert `codat-spike`: `spike.factor` must be > 1``.

use std::collections::BTreeSet;
use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use serde::de::{self, Deserializer, SeqAccess, Visitor};
use serde::Deserialize;

use crate::timespec::parse_duration;
use crate::vendors::VendorSet;

/// Spike rules stay silent until this many whole windows have completed
/// (fewer when the baseline horizon holds fewer windows): a baseline of
/// nothing would make the first busy window look like a spike.
pub const WARMUP_WINDOWS: usize = 10;
/// A baseline horizon may hold at most this many windows (memory bound:
/// one `u64` per window per rule).
pub const MAX_BASELINE_WINDOWS: u64 = 100_000;
/// Webhook retries are capped so a dead endpoint cannot hold notices forever.
pub const MAX_WEBHOOK_RETRIES: u32 = 10;

const DEFAULT_BASELINE: &str = "24h";
const DEFAULT_PERCENTILE: f64 = 99.0;
const DEFAULT_MIN_COUNT: u64 = 10;
const DEFAULT_EXEC_TIMEOUT: &str = "10s";
const DEFAULT_WEBHOOK_TIMEOUT: &str = "5s";
const DEFAULT_WEBHOOK_RETRIES: u32 = 3;

/// The sink names a rule may list.
pub const SINK_NAMES: [&str; 4] = ["stdout", "file", "exec", "webhook"];

/// One `[[alert]]` table as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRuleSpec {
    pub name: String,
    /// Vendor id (`ocrolus`, `codat`, ...); any vendor when omitted.
    pub vendor: Option<String>,
    /// Codes, as strings or integers; any code when omitted.
    #[serde(default, deserialize_with = "codes")]
    pub codes: Vec<String>,
    /// HTTP statuses; any status when omitted.
    #[serde(default)]
    pub statuses: Vec<u16>,
    /// Catalog category (`auth`, `validation`, ...); any when omitted.
    pub category: Option<String>,
    /// The counting window, e.g. `5m`.
    pub window: String,
    /// Fire when the window's count reaches this.
    pub threshold: Option<u64>,
    /// Fire when the window's count exceeds `factor` times the baseline.
    pub spike: Option<SpikeSpec>,
    /// No re-fire within this long after a fire (default: the window).
    pub cooldown: Option<String>,
    /// A firing rule resolves once its condition has stayed false this long
    /// (default: the window), so a count hovering at the limit does not flap.
    pub resolve_after: Option<String>,
    /// Where notices go (default `["stdout"]`).
    pub sinks: Option<Vec<String>>,
}

/// `spike = { factor = 3.0, baseline = "24h", percentile = 99.0, min_count = 10 }`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SpikeSpec {
    pub factor: f64,
    /// Horizon of past windows the baseline is taken over (default `24h`).
    pub baseline: Option<String>,
    /// Percentile of the past window counts used as baseline (default 99).
    pub percentile: Option<f64>,
    /// Never fire below this count (default 10).
    pub min_count: Option<u64>,
}

/// `[sinks.*]` as written. `stdout` needs no section.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinksSpec {
    pub file: Option<FileSinkSpec>,
    pub exec: Option<ExecSinkSpec>,
    pub webhook: Option<WebhookSinkSpec>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileSinkSpec {
    /// NDJSON file notices are appended to.
    pub path: PathBuf,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExecSinkSpec {
    /// Program and arguments, run without a shell; the notice arrives as JSON on stdin.
    pub command: Vec<String>,
    /// Killed after this long (default `10s`).
    pub timeout: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookSinkSpec {
    /// `http://host:port/path` the notice is POSTed to.
    pub url: String,
    /// Per attempt (default `5s`).
    pub timeout: Option<String>,
    /// Further attempts after a failed one (default 3, at most 10).
    pub retries: Option<u32>,
}

/// Codes may be written as strings or integers.
fn codes<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    struct CodesVisitor;
    struct Code(String);

    impl<'de> Deserialize<'de> for Code {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            struct CodeVisitor;
            impl Visitor<'_> for CodeVisitor {
                type Value = Code;
                fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                    f.write_str("a code as a string or an integer")
                }
                fn visit_str<E: de::Error>(self, v: &str) -> Result<Code, E> {
                    Ok(Code(v.trim().to_owned()))
                }
                fn visit_i64<E: de::Error>(self, v: i64) -> Result<Code, E> {
                    Ok(Code(v.to_string()))
                }
                fn visit_u64<E: de::Error>(self, v: u64) -> Result<Code, E> {
                    Ok(Code(v.to_string()))
                }
            }
            deserializer.deserialize_any(CodeVisitor)
        }
    }

    impl<'de> Visitor<'de> for CodesVisitor {
        type Value = Vec<String>;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a list of codes (strings or integers)")
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<String>, A::Error> {
            let mut out = Vec::new();
            while let Some(Code(code)) = seq.next_element()? {
                out.push(code);
            }
            Ok(out)
        }
    }
    deserializer.deserialize_seq(CodesVisitor)
}

/// Why the alert configuration does not hold together.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AlertConfigError {
    #[error("alert `{rule}`: {message}")]
    Rule { rule: String, message: String },
    #[error("sinks.{sink}: {message}")]
    Sink { sink: String, message: String },
}

/// Which events a rule counts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Selector {
    pub vendor: Option<String>,
    pub codes: Vec<String>,
    pub statuses: Vec<u16>,
    pub category: Option<String>,
}

impl Selector {
    pub fn matches(&self, vendor: &str, code: &str, status: Option<u16>, category: &str) -> bool {
        self.vendor.as_deref().is_none_or(|v| v == vendor)
            && (self.codes.is_empty() || self.codes.iter().any(|c| c == code))
            && (self.statuses.is_empty() || status.is_some_and(|s| self.statuses.contains(&s)))
            && self
                .category
                .as_deref()
                .is_none_or(|c| c.eq_ignore_ascii_case(category))
    }
}

/// When a rule fires.
#[derive(Debug, Clone, PartialEq)]
pub enum Condition {
    /// The window's count reaches this.
    Threshold(u64),
    Spike {
        factor: f64,
        /// The horizon, as written.
        baseline_text: String,
        baseline: Duration,
        percentile: f64,
        min_count: u64,
    },
}

/// A validated rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    pub selector: Selector,
    /// The vendor's display name (`Ocrolus`), when the rule names one.
    pub vendor_name: Option<String>,
    /// What the counted errors are, for messages: `Ocrolus auth failures (1200, 1204)`.
    pub label: String,
    /// As written (`5m`), and in whole seconds.
    pub window_text: String,
    pub window_secs: u64,
    pub condition: Condition,
    pub cooldown_text: String,
    pub cooldown: Duration,
    pub resolve_after_text: String,
    pub resolve_after: Duration,
    pub sinks: Vec<String>,
}

impl Rule {
    /// How many past windows the baseline keeps.
    pub fn baseline_windows(&self) -> usize {
        let horizon = match &self.condition {
            Condition::Spike { baseline, .. } => baseline.as_secs(),
            // Threshold rules report the median of the last hour's windows
            // (or of 12 windows, when they are longer) as an informative baseline.
            Condition::Threshold(_) => 3600u64.max(self.window_secs.saturating_mul(12)),
        };
        let windows = horizon.div_ceil(self.window_secs.max(1));
        usize::try_from(windows.clamp(1, MAX_BASELINE_WINDOWS)).unwrap_or(1)
    }

    /// Percentile (0..=100] the baseline is read at.
    pub fn baseline_percentile(&self) -> f64 {
        match &self.condition {
            Condition::Spike { percentile, .. } => *percentile,
            Condition::Threshold(_) => 50.0,
        }
    }

    /// One line for `check-config`.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        let s = &self.selector;
        parts.push(format!("vendor {}", s.vendor.as_deref().unwrap_or("*")));
        if !s.codes.is_empty() {
            parts.push(format!("codes {}", s.codes.join(",")));
        }
        if !s.statuses.is_empty() {
            let statuses: Vec<String> = s.statuses.iter().map(u16::to_string).collect();
            parts.push(format!("statuses {}", statuses.join(",")));
        }
        if let Some(category) = &s.category {
            parts.push(format!("category {category}"));
        }
        parts.push(format!("window {}", self.window_text));
        match &self.condition {
            Condition::Threshold(n) => parts.push(format!("threshold {n}")),
            Condition::Spike {
                factor,
                baseline_text,
                percentile,
                min_count,
                ..
            } => parts.push(format!(
                "spike x{factor} over p{percentile} of {baseline_text}, min {min_count}"
            )),
        }
        parts.push(format!("cooldown {}", self.cooldown_text));
        parts.push(format!("resolve after {}", self.resolve_after_text));
        format!("{} -> {}", parts.join(", "), self.sinks.join(", "))
    }
}

/// Validated sink settings.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Sinks {
    pub file: Option<PathBuf>,
    pub exec: Option<ExecSink>,
    pub webhook: Option<WebhookSink>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ExecSink {
    pub command: Vec<String>,
    pub timeout: Duration,
}

#[derive(Debug, Clone, PartialEq)]
pub struct WebhookSink {
    pub url: String,
    pub timeout: Duration,
    pub retries: u32,
}

impl Sinks {
    fn configured(&self, name: &str) -> bool {
        match name {
            "stdout" => true,
            "file" => self.file.is_some(),
            "exec" => self.exec.is_some(),
            "webhook" => self.webhook.is_some(),
            _ => false,
        }
    }

    /// One line per configured sink, for `check-config`.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(path) = &self.file {
            out.push(format!("file    {}", path.display()));
        }
        if let Some(exec) = &self.exec {
            out.push(format!(
                "exec    {:?} (timeout {:?})",
                exec.command, exec.timeout
            ));
        }
        if let Some(hook) = &self.webhook {
            out.push(format!(
                "webhook {} (timeout {:?}, {} retries)",
                hook.url, hook.timeout, hook.retries
            ));
        }
        out
    }
}

/// The validated `[[alert]]` rules and `[sinks]`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AlertSetup {
    pub rules: Vec<Rule>,
    pub sinks: Sinks,
}

fn duration(text: &str, key: &str) -> Result<Duration, String> {
    parse_duration(text).map_err(|e| format!("`{key}`: {e}"))
}

/// Validates the sinks, then each rule against them and the vendors.
pub fn compile(
    rules: &[AlertRuleSpec],
    sinks: &SinksSpec,
    vendors: &VendorSet,
) -> Result<AlertSetup, AlertConfigError> {
    let sinks = compile_sinks(sinks)?;
    let mut names = BTreeSet::new();
    let mut out = Vec::with_capacity(rules.len());
    for (i, spec) in rules.iter().enumerate() {
        let shown = if spec.name.trim().is_empty() {
            format!("#{}", i + 1)
        } else {
            spec.name.clone()
        };
        let rule =
            compile_rule(spec, &sinks, vendors).map_err(|message| AlertConfigError::Rule {
                rule: shown.clone(),
                message,
            })?;
        if !names.insert(rule.name.clone()) {
            return Err(AlertConfigError::Rule {
                rule: shown,
                message: "`name` is used by an earlier rule".to_owned(),
            });
        }
        out.push(rule);
    }
    Ok(AlertSetup { rules: out, sinks })
}

fn compile_sinks(spec: &SinksSpec) -> Result<Sinks, AlertConfigError> {
    let err = |sink: &str, message: String| AlertConfigError::Sink {
        sink: sink.to_owned(),
        message,
    };
    let file = match &spec.file {
        Some(f) if f.path.as_os_str().is_empty() => {
            return Err(err("file", "`path` must not be empty".to_owned()))
        }
        Some(f) => Some(f.path.clone()),
        None => None,
    };
    let exec = match &spec.exec {
        Some(e) => {
            if e.command.first().is_none_or(|p| p.trim().is_empty()) {
                return Err(err(
                    "exec",
                    "`command` must name a program: command = [\"prog\", \"arg\", ...]".to_owned(),
                ));
            }
            let timeout = duration(
                e.timeout.as_deref().unwrap_or(DEFAULT_EXEC_TIMEOUT),
                "timeout",
            )
            .map_err(|m| err("exec", m))?;
            if timeout.is_zero() {
                return Err(err("exec", "`timeout` must be > 0".to_owned()));
            }
            Some(ExecSink {
                command: e.command.clone(),
                timeout,
            })
        }
        None => None,
    };
    let webhook = match &spec.webhook {
        Some(w) => {
            let url = w.url.trim();
            if url.starts_with("https://") {
                return Err(err(
                    "webhook",
                    "`url`: https is not supported by this build (plain http only); \
                     point it at a local relay or proxy"
                        .to_owned(),
                ));
            }
            let rest = url.strip_prefix("http://").ok_or_else(|| {
                err(
                    "webhook",
                    format!("`url` = {url:?} must start with http://"),
                )
            })?;
            if rest.is_empty() || rest.starts_with('/') {
                return Err(err("webhook", format!("`url` = {url:?} has no host")));
            }
            let timeout = duration(
                w.timeout.as_deref().unwrap_or(DEFAULT_WEBHOOK_TIMEOUT),
                "timeout",
            )
            .map_err(|m| err("webhook", m))?;
            if timeout.is_zero() {
                return Err(err("webhook", "`timeout` must be > 0".to_owned()));
            }
            let retries = w.retries.unwrap_or(DEFAULT_WEBHOOK_RETRIES);
            if retries > MAX_WEBHOOK_RETRIES {
                return Err(err(
                    "webhook",
                    format!("`retries` must be at most {MAX_WEBHOOK_RETRIES}"),
                ));
            }
            Some(WebhookSink {
                url: url.to_owned(),
                timeout,
                retries,
            })
        }
        None => None,
    };
    Ok(Sinks {
        file,
        exec,
        webhook,
    })
}

fn compile_rule(spec: &AlertRuleSpec, sinks: &Sinks, vendors: &VendorSet) -> Result<Rule, String> {
    let name = spec.name.trim();
    if name.is_empty() {
        return Err("`name` must not be empty".to_owned());
    }
    if name.chars().any(char::is_control) {
        return Err("`name` must not hold control characters".to_owned());
    }
    let vendor = match spec.vendor.as_deref().map(str::trim) {
        Some(id) => {
            let index = vendors.index_of(id).ok_or_else(|| {
                let known: Vec<&str> = vendors.vendors().iter().map(|v| v.id.as_str()).collect();
                format!(
                    "`vendor` = {id:?} is not a known vendor (known: {})",
                    known.join(", ")
                )
            })?;
            Some(index)
        }
        None => None,
    };
    if let Some(code) = spec.codes.iter().find(|c| c.is_empty()) {
        return Err(format!("`codes`: empty code {code:?}"));
    }
    if let Some(status) = spec.statuses.iter().find(|s| !(100..=599).contains(*s)) {
        return Err(format!(
            "`statuses`: {status} is not an HTTP status (100..=599)"
        ));
    }
    let category = match spec.category.as_deref().map(str::trim) {
        Some("") => return Err("`category` must not be empty".to_owned()),
        other => other.map(str::to_owned),
    };

    let window = duration(&spec.window, "window")?;
    if window.as_secs() == 0 || window.subsec_nanos() != 0 {
        return Err(format!(
            "`window` = {:?} must be a whole number of seconds, at least 1s",
            spec.window
        ));
    }
    let window_secs = window.as_secs();

    let condition = match (spec.threshold, &spec.spike) {
        (Some(_), Some(_)) | (None, None) => {
            return Err("exactly one of `threshold` and `spike` must be set".to_owned())
        }
        (Some(0), None) => return Err("`threshold` must be at least 1".to_owned()),
        (Some(n), None) => Condition::Threshold(n),
        (None, Some(spike)) => {
            if !spike.factor.is_finite() || spike.factor <= 1.0 {
                return Err("`spike.factor` must be > 1".to_owned());
            }
            let percentile = spike.percentile.unwrap_or(DEFAULT_PERCENTILE);
            if !(percentile > 0.0 && percentile <= 100.0) {
                return Err("`spike.percentile` must be > 0 and <= 100".to_owned());
            }
            let baseline_text = spike
                .baseline
                .clone()
                .unwrap_or_else(|| DEFAULT_BASELINE.to_owned());
            let baseline = duration(&baseline_text, "spike.baseline")?;
            if baseline < window {
                return Err(format!(
                    "`spike.baseline` = {baseline_text:?} must be at least the window ({})",
                    spec.window
                ));
            }
            if baseline.as_secs().div_ceil(window_secs) > MAX_BASELINE_WINDOWS {
                return Err(format!(
                    "`spike.baseline` = {baseline_text:?} spans more than {MAX_BASELINE_WINDOWS} \
                     windows of {}; use a longer window or a shorter baseline",
                    spec.window
                ));
            }
            let min_count = spike.min_count.unwrap_or(DEFAULT_MIN_COUNT);
            if min_count == 0 {
                return Err("`spike.min_count` must be at least 1".to_owned());
            }
            Condition::Spike {
                factor: spike.factor,
                baseline_text,
                baseline,
                percentile,
                min_count,
            }
        }
    };

    let cooldown_text = spec.cooldown.clone().unwrap_or_else(|| spec.window.clone());
    let cooldown = duration(&cooldown_text, "cooldown")?;
    let resolve_after_text = spec
        .resolve_after
        .clone()
        .unwrap_or_else(|| spec.window.clone());
    let resolve_after = duration(&resolve_after_text, "resolve_after")?;

    let mut rule_sinks: Vec<String> = Vec::new();
    for sink in spec
        .sinks
        .clone()
        .unwrap_or_else(|| vec!["stdout".to_owned()])
    {
        let sink = sink.trim().to_owned();
        if !SINK_NAMES.contains(&sink.as_str()) {
            return Err(format!(
                "`sinks`: unknown sink {sink:?} (expected {})",
                SINK_NAMES.join(", ")
            ));
        }
        if !sinks.configured(&sink) {
            return Err(format!(
                "`sinks`: {sink:?} is not configured (add a [sinks.{sink}] section)"
            ));
        }
        if !rule_sinks.contains(&sink) {
            rule_sinks.push(sink);
        }
    }
    if rule_sinks.is_empty() {
        return Err("`sinks` must name at least one sink".to_owned());
    }

    let selector = Selector {
        vendor: vendor.map(|i| vendors.get(i).id.clone()),
        codes: spec.codes.clone(),
        statuses: spec.statuses.clone(),
        category,
    };
    let vendor_name = vendor.map(|i| vendors.get(i).name.clone());
    let label = label(&selector, vendor.map(|i| vendors.get(i)));
    Ok(Rule {
        name: name.to_owned(),
        selector,
        vendor_name,
        label,
        window_text: spec.window.trim().to_owned(),
        window_secs,
        condition,
        cooldown_text: cooldown_text.trim().to_owned(),
        cooldown,
        resolve_after_text: resolve_after_text.trim().to_owned(),
        resolve_after,
        sinks: rule_sinks,
    })
}

/// `Ocrolus auth failures (1200, 1204)`: the vendor's name, the category
/// (the rule's, or the one all its codes share in the catalog), the codes.
fn label(selector: &Selector, vendor: Option<&crate::vendors::Vendor>) -> String {
    let mut label = vendor.map_or_else(|| "All vendors".to_owned(), |v| v.name.clone());
    let category = selector.category.clone().or_else(|| {
        let vendor = vendor?;
        let mut found: Option<&str> = None;
        for code in &selector.codes {
            let lookup = vendor
                .catalog
                .lookup(code, selector.statuses.first().copied());
            if !lookup.known || lookup.category == "unknown" {
                return None;
            }
            match found {
                Some(c) if c != lookup.category => return None,
                _ => found = Some(lookup.category),
            }
        }
        found.map(str::to_owned)
    });
    match category {
        Some(c) => label.push_str(&format!(" {c} failures")),
        None => label.push_str(" errors"),
    }
    let mut details: Vec<String> = selector.codes.clone();
    details.extend(selector.statuses.iter().map(|s| format!("HTTP {s}")));
    if !details.is_empty() {
        label.push_str(&format!(" ({})", details.join(", ")));
    }
    label
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Config;

    fn err(text: &str) -> String {
        Config::parse(text, "config.toml").unwrap_err().to_string()
    }

    const SINKS: &str = "[sinks.webhook]\nurl = \"http://127.0.0.1:9000/hook\"\ntimeout = \"5s\"\n";

    #[test]
    fn the_issue_example_parses() {
        let text = format!(
            "[[alert]]\nname = \"ocrolus-auth\"\nvendor = \"ocrolus\"\ncodes = [1200, \"1204\"]\n\
             window = \"5m\"\nthreshold = 20\ncooldown = \"15m\"\nsinks = [\"stdout\"]\n\n\
             [[alert]]\nname = \"codat-spike\"\nvendor = \"codat\"\nwindow = \"1m\"\n\
             spike = {{ factor = 3.0, baseline = \"24h\", percentile = 99.0, min_count = 10 }}\n\
             sinks = [\"stdout\", \"webhook\"]\n\n{SINKS}"
        );
        let config = Config::parse(&text, "config.toml").unwrap();
        let setup = config.alerts().unwrap();
        assert_eq!(setup.rules.len(), 2);
        let auth = &setup.rules[0];
        assert_eq!(auth.selector.codes, ["1200", "1204"]);
        assert_eq!(auth.window_secs, 300);
        assert_eq!(auth.condition, Condition::Threshold(20));
        assert_eq!(auth.cooldown, Duration::from_secs(900));
        assert_eq!(auth.label, "Ocrolus auth failures (1200, 1204)");
        let spike = &setup.rules[1];
        assert_eq!(spike.baseline_windows(), 1440);
        assert_eq!(spike.sinks, ["stdout", "webhook"]);
        assert_eq!(spike.cooldown_text, "1m");
        assert_eq!(setup.sinks.webhook.as_ref().unwrap().retries, 3);
    }

    #[test]
    fn bad_rules_name_the_rule_and_key() {
        let base = "[[alert]]\nname = \"r\"\nvendor = \"codat\"\nwindow = \"1m\"\n";
        let cases = [
            (
                "spike = { factor = 1.0 }\n",
                "alert `r`: `spike.factor` must be > 1",
            ),
            (
                "spike = { factor = 2.0, percentile = 0.0 }\n",
                "alert `r`: `spike.percentile` must be > 0",
            ),
            (
                "spike = { factor = 2.0, percentile = 100.5 }\n",
                "`spike.percentile`",
            ),
            (
                "spike = { factor = 2.0, baseline = \"30s\" }\n",
                "alert `r`: `spike.baseline` = \"30s\" must be at least the window",
            ),
            (
                "spike = { factor = 2.0, min_count = 0 }\n",
                "`spike.min_count` must be at least 1",
            ),
            (
                "threshold = 5\nspike = { factor = 2.0 }\n",
                "alert `r`: exactly one of `threshold` and `spike`",
            ),
            ("", "exactly one of `threshold` and `spike`"),
            ("threshold = 0\n", "`threshold` must be at least 1"),
            (
                "threshold = 5\nsinks = [\"webhook\"]\n",
                "alert `r`: `sinks`: \"webhook\" is not configured",
            ),
            (
                "threshold = 5\nsinks = [\"pager\"]\n",
                "alert `r`: `sinks`: unknown sink \"pager\"",
            ),
            (
                "threshold = 5\ncooldown = \"soon\"\n",
                "alert `r`: `cooldown`:",
            ),
            (
                "threshold = 5\nstatuses = [42]\n",
                "`statuses`: 42 is not an HTTP status",
            ),
        ];
        for (extra, expected) in cases {
            let message = err(&format!("{base}{extra}"));
            assert!(
                message.starts_with("config.toml: ") && message.contains(expected),
                "{extra:?}: {message}"
            );
        }
    }

    #[test]
    fn bad_windows_vendors_and_names() {
        let m = err("[[alert]]\nname = \"w\"\nwindow = \"0s\"\nthreshold = 1\n");
        assert!(
            m.contains("alert `w`: `window` = \"0s\" must be a whole number"),
            "{m}"
        );
        let m = err("[[alert]]\nname = \"w\"\nwindow = \"1.5s\"\nthreshold = 1\n");
        assert!(m.contains("`window`"), "{m}");
        let m = err("[[alert]]\nname = \"w\"\nwindow = \"5\"\nthreshold = 1\n");
        assert!(m.contains("alert `w`: `window`:"), "{m}");
        let m =
            err("[[alert]]\nname = \"v\"\nvendor = \"ocrolsu\"\nwindow = \"1m\"\nthreshold = 1\n");
        assert!(
            m.contains("alert `v`: `vendor` = \"ocrolsu\" is not a known vendor"),
            "{m}"
        );
        let m = err("[[alert]]\nname = \"d\"\nwindow = \"1m\"\nthreshold = 1\n[[alert]]\nname = \"d\"\nwindow = \"1m\"\nthreshold = 2\n");
        assert!(
            m.contains("alert `d`: `name` is used by an earlier rule"),
            "{m}"
        );
        let m = err("[[alert]]\nname = \"s\"\nwindow = \"1s\"\nspike = { factor = 2.0, baseline = \"30d\" }\n");
        assert!(m.contains("spans more than"), "{m}");
    }

    #[test]
    fn unknown_keys_are_rejected_by_serde_with_the_key() {
        let m = err("[[alert]]\nname = \"u\"\nwindow = \"1m\"\nthreshhold = 1\n");
        assert!(m.contains("threshhold"), "{m}");
        let m = err(
            "[[alert]]\nname = \"u\"\nwindow = \"1m\"\nspike = { factor = 2.0, base = \"1h\" }\n",
        );
        assert!(m.contains("base"), "{m}");
        let m = err("[sinks.pager]\nurl = \"http://x\"\n");
        assert!(m.contains("pager"), "{m}");
        let m = err("[[alert]]\nname = \"u\"\nwindow = \"1m\"\nthreshold = 1\ncodes = [1.5]\n");
        assert!(m.contains("codes"), "{m}");
    }

    #[test]
    fn bad_sinks_are_named() {
        let m = err("[sinks.webhook]\nurl = \"https://hooks.slack.com/x\"\n");
        assert!(m.contains("sinks.webhook: `url`: https"), "{m}");
        let m = err("[sinks.webhook]\nurl = \"ftp://x\"\n");
        assert!(m.contains("sinks.webhook: `url`"), "{m}");
        let m = err("[sinks.webhook]\nurl = \"http://x\"\nretries = 99\n");
        assert!(m.contains("sinks.webhook: `retries`"), "{m}");
        let m = err("[sinks.exec]\ncommand = []\n");
        assert!(m.contains("sinks.exec: `command`"), "{m}");
        let m = err("[sinks.exec]\ncommand = [\"x\"]\ntimeout = \"0s\"\n");
        assert!(m.contains("sinks.exec: `timeout` must be > 0"), "{m}");
        let m = err("[sinks.file]\npath = \"\"\n");
        assert!(m.contains("sinks.file: `path`"), "{m}");
    }

    #[test]
    fn selector_matching() {
        let s = Selector {
            vendor: Some("ocrolus".into()),
            codes: vec!["1200".into()],
            statuses: vec![400],
            category: Some("auth".into()),
        };
        assert!(s.matches("ocrolus", "1200", Some(400), "AUTH"));
        assert!(!s.matches("ocrolus", "1200", None, "auth"));
        assert!(!s.matches("codat", "1200", Some(400), "auth"));
        assert!(!s.matches("ocrolus", "1204", Some(400), "auth"));
        assert!(Selector::default().matches("x", "y", None, "unknown"));
    }
}
