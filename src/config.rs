//! `config.toml`: read once, validated, turned into the objects the
//! pipeline runs with. Unknown keys are rejected; errors name the file,
//! line and key.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::aggregate::labels::{LabelError, LabelSpec, PathLabels};
use crate::aggregate::zone::{UnknownZone, Zone};
use crate::alert::config::{AlertConfigError, AlertRuleSpec, AlertSetup, SinksSpec};
use crate::extract::prefilter::PrefilterError;
use crate::extract::scanner::{Engine, DEFAULT_MAX_LINE, MAX_LINE_LIMIT};
use crate::timespec::parse_duration;
use crate::vendors::{VendorError, VendorSet, VendorSpec};

/// Codes outside the catalog kept as their own `/metrics` series, per vendor.
pub const DEFAULT_MAX_UNKNOWN_CODES: usize = 50;

/// Why the objects a run needs cannot be built from the config.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    #[error("[[vendor]] {0}")]
    Vendor(#[from] VendorError),
    #[error(transparent)]
    Prefilter(#[from] PrefilterError),
    #[error(transparent)]
    Alert(#[from] AlertConfigError),
}

/// A zone name that is not one, named by where it came from.
#[derive(Debug, thiserror::Error)]
pub enum ZoneError {
    #[error("--timezone: {0}")]
    Flag(UnknownZone),
    #[error("{path}: [report] `timezone`: {zone}")]
    Key { path: String, zone: UnknownZone },
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("{path}: cannot read: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: {message}")]
    Parse { path: String, message: String },
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
}

/// The file as written.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// Paths, directories or globs read when the command line names none.
    #[serde(default)]
    pub inputs: Vec<String>,
    /// Lines longer than this are skipped and counted (`line-too-long`).
    pub max_line_bytes: Option<usize>,
    #[serde(default)]
    pub tail: TailSection,
    #[serde(default)]
    pub report: ReportSection,
    #[serde(default)]
    pub metrics: MetricsSection,
    #[serde(default)]
    pub otlp: OtlpSection,
    /// Extra vendors, or changes to the built-in ones.
    #[serde(default)]
    pub vendor: Vec<VendorSpec>,
    /// Alert rules (`[[alert]]`); validated by [`crate::alert::config::compile`].
    #[serde(default)]
    pub alert: Vec<AlertRuleSpec>,
    /// Where alert notices go (`[sinks.webhook]`, `[sinks.exec]`, `[sinks.file]`).
    #[serde(default)]
    pub sinks: SinksSpec,
    /// Rules turning a file's path into labels (`[[label]]`).
    #[serde(default)]
    pub label: Vec<LabelSpec>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TailSection {
    /// Summary interval, e.g. `60s`.
    pub interval: Option<String>,
    /// Where checkpoints are kept.
    pub state_dir: Option<PathBuf>,
    /// Read files never seen before from their start (default: from their end).
    pub from_beginning: Option<bool>,
    /// How often directories and globs are re-listed, as a safety net for
    /// missed file-system events.
    pub rescan_interval: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReportSection {
    /// Directory of daily `YYYY-MM-DD.csv` reports.
    pub dir: Option<PathBuf>,
    /// Mask e-mails, long digit runs, UUIDs and tokens in sample messages.
    pub redact: Option<bool>,
    /// IANA time zone that days and hours are cut in (default UTC).
    pub timezone: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MetricsSection {
    /// `host:port` to serve `/metrics` on.
    pub addr: Option<String>,
    /// Codes outside the catalog kept as their own series, per vendor,
    /// before the rest fold into `code="other"`; also, per path label, the
    /// values kept before the rest fold into `other`.
    pub max_unknown_codes: Option<usize>,
    /// Path labels (`namespace`, `pod`, `container`, or a `[[label]]`
    /// group) carried on `errscope_errors_total`; none unless listed.
    #[serde(default)]
    pub labels: Vec<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtlpSection {
    /// OTLP/HTTP receiver to push metrics to, e.g. `http://collector:4318`.
    pub endpoint: Option<String>,
    /// Between pushes, e.g. `10s`.
    pub interval: Option<String>,
}

/// The path OTLP/HTTP receivers take metrics on.
pub const OTLP_METRICS_PATH: &str = "/v1/metrics";

/// An OTLP endpoint that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{endpoint}`: {message}")]
pub struct EndpointError {
    pub endpoint: String,
    pub message: String,
}

/// `http://host:port` (a base, as `OTEL_EXPORTER_OTLP_ENDPOINT`) → the
/// metrics URL. A URL already ending in `/v1/metrics` is taken as it is.
pub fn otlp_url(endpoint: &str) -> Result<String, EndpointError> {
    let endpoint = endpoint.trim();
    let bad = |message: &str| EndpointError {
        endpoint: endpoint.to_owned(),
        message: message.to_owned(),
    };
    if endpoint.starts_with("https://") {
        return Err(bad(
            "https is not supported by this build (plain http only); \
             send to a local collector over http",
        ));
    }
    let Some(rest) = endpoint.strip_prefix("http://") else {
        return Err(bad("expected http://host:port, e.g. http://127.0.0.1:4318"));
    };
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("expected http://host:port, e.g. http://127.0.0.1:4318"));
    }
    let base = endpoint.trim_end_matches('/');
    if base.ends_with(OTLP_METRICS_PATH) {
        Ok(base.to_owned())
    } else {
        Ok(format!("{base}{OTLP_METRICS_PATH}"))
    }
}

/// A loaded configuration.
#[derive(Debug, Clone, Default)]
pub struct Config {
    pub path: Option<PathBuf>,
    pub file: ConfigFile,
}

impl Config {
    /// Reads `path`, or gives the defaults when there is none.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Ok(Config::default());
        };
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: shown.clone(),
            source,
        })?;
        let config = Self::parse(&text, &shown)?;
        Ok(Config {
            path: Some(path.to_path_buf()),
            ..config
        })
    }

    /// Parses and validates config text; `shown` names it in errors.
    pub fn parse(text: &str, shown: &str) -> Result<Config, ConfigError> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| ConfigError::Parse {
            path: shown.to_owned(),
            message: e.to_string().trim_end().to_owned(),
        })?;
        if let Some(max) = file.max_line_bytes.filter(|&max| max > MAX_LINE_LIMIT) {
            return Err(ConfigError::Invalid {
                path: shown.to_owned(),
                message: format!("`max_line_bytes` = {max}: at most {MAX_LINE_LIMIT} (1 GiB)"),
            });
        }
        let config = Config { path: None, file };
        let invalid = |error: BuildError| {
            let message = error.to_string();
            ConfigError::Invalid {
                path: shown.to_owned(),
                message: match locate(text, &message) {
                    Some(line) => format!("line {line}: {message}"),
                    None => message,
                },
            }
        };
        // Build what can be built now, so a bad vendor or rule fails here.
        config.engine(None).map_err(invalid)?;
        if let Some(name) = &config.file.report.timezone {
            Zone::named(name)
                .map_err(|e| key_error(text, shown, "report", "timezone", e.to_string()))?;
        }
        config.alerts().map_err(invalid)?;
        let labels = config.labels().map_err(|e| ConfigError::Invalid {
            path: shown.to_owned(),
            message: match e.index().and_then(|n| nth_table_line(text, "[[label]]", n)) {
                Some(line) => format!("line {line}: {e}"),
                None => e.to_string(),
            },
        })?;
        for name in &config.file.metrics.labels {
            if !labels.has(name) {
                let known = labels.names().join(", ");
                let message = format!("`{name}` is no path label (known: {known})");
                return Err(key_error(text, shown, "metrics", "labels", message));
            }
        }
        config.check_otlp(text, shown)?;
        if let Some(addr) = &config.file.metrics.addr {
            let port = addr.trim().rsplit(':').next().unwrap_or_default();
            if port.parse::<u16>().is_err() {
                return Err(ConfigError::Invalid {
                    path: shown.to_owned(),
                    message: format!(
                        "[metrics] `addr` = {addr:?}: expected host:port, :port or a port"
                    ),
                });
            }
        }
        Ok(config)
    }

    /// `[otlp] endpoint` and `interval` are well-formed.
    fn check_otlp(&self, text: &str, shown: &str) -> Result<(), ConfigError> {
        let otlp = &self.file.otlp;
        if let Some(endpoint) = &otlp.endpoint {
            otlp_url(endpoint)
                .map_err(|e| key_error(text, shown, "otlp", "endpoint", e.to_string()))?;
        }
        if let Some(interval) = &otlp.interval {
            parse_duration(interval).map_err(|e| {
                key_error(
                    text,
                    shown,
                    "otlp",
                    "interval",
                    format!("`{interval}`: {e}"),
                )
            })?;
        }
        Ok(())
    }

    /// The validated alert rules and sinks.
    pub fn alerts(&self) -> Result<AlertSetup, BuildError> {
        let vendors = self.vendors()?;
        Ok(crate::alert::config::compile(
            &self.file.alert,
            &self.file.sinks,
            &vendors,
        )?)
    }

    /// `[metrics] max_unknown_codes`, or its default.
    pub fn max_unknown_codes(&self) -> usize {
        self.file
            .metrics
            .max_unknown_codes
            .unwrap_or(DEFAULT_MAX_UNKNOWN_CODES)
    }

    /// The path labels: the config's `[[label]]` rules, then the built-in
    /// Kubernetes ones.
    pub fn labels(&self) -> Result<PathLabels, LabelError> {
        PathLabels::new(&self.file.label)
    }

    /// The vendors: built-ins overlaid with the config's `[[vendor]]` entries.
    pub fn vendors(&self) -> Result<VendorSet, BuildError> {
        Ok(VendorSet::with_overlays(self.file.vendor.clone())?)
    }

    /// The scanning engine; `max_line` from the command line wins.
    pub fn engine(&self, max_line: Option<usize>) -> Result<Engine, BuildError> {
        let max_line = max_line
            .or(self.file.max_line_bytes)
            .unwrap_or(DEFAULT_MAX_LINE);
        Ok(Engine::new(self.vendors()?, max_line)?)
    }

    /// The zone days and hours are cut in: `flag` (`--timezone`) if given,
    /// else `[report] timezone`, else UTC. The error names where the bad
    /// name came from.
    pub fn zone(&self, flag: Option<&str>) -> Result<Zone, ZoneError> {
        match (flag, &self.file.report.timezone) {
            (Some(name), _) => Zone::named(name).map_err(ZoneError::Flag),
            (None, Some(name)) => Zone::named(name).map_err(|zone| ZoneError::Key {
                path: self.shown(),
                zone,
            }),
            (None, None) => Ok(Zone::utc()),
        }
    }

    /// The config's name for messages.
    pub fn shown(&self) -> String {
        self.path
            .as_ref()
            .map_or_else(|| "(defaults)".to_owned(), |p| p.display().to_string())
    }
}

/// 1-based line of the `n`-th (1-based) table header `header` in `text`.
fn nth_table_line(text: &str, header: &str, n: usize) -> Option<usize> {
    text.lines()
        .enumerate()
        .filter(|(_, line)| line.trim() == header)
        .nth(n.checked_sub(1)?)
        .map(|(at, _)| at + 1)
}

/// A bad value of `[table] key`, with the line of the key when found.
fn key_error(text: &str, shown: &str, table: &str, key: &str, message: String) -> ConfigError {
    let header = format!("[{table}]");
    let lines: Vec<&str> = text.lines().collect();
    let line = lines
        .iter()
        .position(|l| l.trim_start().starts_with(&header))
        .and_then(|start| {
            lines[start + 1..]
                .iter()
                .take_while(|l| !l.trim_start().starts_with('['))
                .position(|l| {
                    l.trim_start()
                        .strip_prefix(key)
                        .is_some_and(|rest| rest.trim_start().starts_with('='))
                })
                .map(|i| start + 1 + i + 1)
        });
    let message = format!("{header} `{key}`: {message}");
    ConfigError::Invalid {
        path: shown.to_owned(),
        message: match line {
            Some(line) => format!("line {line}: {message}"),
            None => message,
        },
    }
}

/// The line a validation message is about: the table of the vendor or
/// rule it names (`vendor `acme``, `alert `codat-spike``), and in it the
/// line of the first key it quotes (`` `shape.a` ``). 1-based.
fn locate(text: &str, message: &str) -> Option<usize> {
    let quoted = |after: &str| -> Option<String> {
        let rest = &message[message.find(after)? + after.len()..];
        let rest = rest.strip_prefix('`')?;
        Some(rest[..rest.find('`')?].to_owned())
    };
    let (id_key, id) = match (quoted("vendor "), quoted("alert ")) {
        (Some(id), _) => ("id", id),
        (None, Some(name)) => ("name", name),
        _ => return None,
    };
    let lines: Vec<&str> = text.lines().collect();
    let is_key = |line: &str, key: &str| {
        line.trim_start()
            .strip_prefix(key)
            .is_some_and(|rest| rest.trim_start().starts_with(['=', '.']))
    };
    let owner = lines.iter().position(|line| {
        is_key(line, id_key)
            && line
                .split_once('=')
                .is_some_and(|(_, v)| v.trim().trim_matches(['"', '\'']) == id)
    })?;
    // The table runs from its header to the next header.
    let table_start = lines[..owner]
        .iter()
        .rposition(|l| l.trim_start().starts_with('['))
        .unwrap_or(0);
    let table_end = lines[owner..]
        .iter()
        .position(|l| l.trim_start().starts_with("[["))
        .map_or(lines.len(), |i| owner + i);
    let key = message
        .split('`')
        .skip(3)
        .step_by(2)
        .next()
        .and_then(|k| k.split('.').next())
        .filter(|k| !k.is_empty());
    let found = key.and_then(|key| (table_start..table_end).find(|&i| is_key(lines[i], key)));
    Some(found.unwrap_or(owner) + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_keys_are_rejected_with_line_and_key() {
        let err = Config::parse("inputs = []\n[tail]\nintervall = \"5s\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("c.toml: "), "{err}");
        assert!(err.contains("line 3") && err.contains("intervall"), "{err}");
    }

    #[test]
    fn validation_errors_name_the_line() {
        let text =
            "inputs = []\n\n[[vendor]]\nid = \"acme\"\ncode = \"x\"\nshape = { a = \"integr\" }\n";
        let err = Config::parse(text, "c.toml").unwrap_err().to_string();
        assert!(err.starts_with("c.toml: line 6: "), "{err}");
        let text = "[[alert]]\nname = \"a\"\nwindow = \"5m\"\nthreshold = 1\n\n[[alert]]\nname = \"b\"\nwindow = \"5m\"\nthreshold = 0\n";
        let err = Config::parse(text, "c.toml").unwrap_err().to_string();
        assert!(err.starts_with("c.toml: line 9: alert `b`"), "{err}");
    }

    #[test]
    fn bad_vendor_is_named() {
        let err = Config::parse("[[vendor]]\nid = \"acme\"\ncode = \"x\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("acme") && err.contains("shape"), "{err}");
    }

    /// A cap the scanner cannot size its buffer for was accepted here and
    /// made `scan` panic (overflow) once per worker.
    #[test]
    fn huge_max_line_bytes_is_refused() {
        let err = Config::parse("max_line_bytes = 18446744073709551615\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("max_line_bytes"), "{err}");
        let config = Config::parse("max_line_bytes = 1073741824\n", "c.toml").unwrap();
        assert_eq!(config.engine(None).unwrap().max_line, MAX_LINE_LIMIT);
        let engine = config.engine(Some(usize::MAX)).unwrap();
        assert_eq!(
            engine.max_line, MAX_LINE_LIMIT,
            "the command line is capped too"
        );
    }

    #[test]
    fn otlp_endpoints() {
        assert_eq!(
            otlp_url("http://collector:4318").unwrap(),
            "http://collector:4318/v1/metrics"
        );
        assert_eq!(
            otlp_url(" http://127.0.0.1:4318/ ").unwrap(),
            "http://127.0.0.1:4318/v1/metrics"
        );
        assert_eq!(
            otlp_url("http://gw/otlp/v1/metrics").unwrap(),
            "http://gw/otlp/v1/metrics"
        );
        let https = otlp_url("https://otlp.example.com")
            .unwrap_err()
            .to_string();
        assert!(https.contains("https is not supported"), "{https}");
        for bad in ["collector:4318", "http://", "http:// x", ""] {
            let error = otlp_url(bad).unwrap_err().to_string();
            assert!(
                error.contains("expected http://host:port"),
                "{bad}: {error}"
            );
        }
    }

    #[test]
    fn otlp_keys_are_checked_with_their_line() {
        let err = Config::parse(
            "[report]\nredact = true\n\n[otlp]\ninterval = \"10s\"\nendpoint = \"https://otlp.example.com\"\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert!(
            err.starts_with("c.toml: line 6: [otlp] `endpoint`: `https://otlp.example.com`: https is not supported"),
            "{err}"
        );
        let err = Config::parse("[otlp]\ninterval = \"often\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(
            err.starts_with("c.toml: line 2: [otlp] `interval`: `often`: "),
            "{err}"
        );
        let err = Config::parse("[otlp]\nendpont = \"x\"\n", "c.toml")
            .unwrap_err()
            .to_string();
        assert!(err.contains("endpont"), "unknown keys are refused: {err}");
        let config = Config::parse(
            "[otlp]\nendpoint = \"http://collector:4318\"\ninterval = \"30s\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(config.file.otlp.interval.as_deref(), Some("30s"));
    }

    #[test]
    fn timezone_is_checked_and_the_flag_wins() {
        let err = Config::parse(
            "[report]\nredact = true\ntimezone = \"America/Nwe_York\"\n",
            "c.toml",
        )
        .unwrap_err()
        .to_string();
        assert_eq!(
            err,
            "c.toml: line 3: [report] `timezone`: unknown time zone `America/Nwe_York`: expected an IANA name such as America/New_York, or UTC"
        );
        let config = Config::parse("[report]\ntimezone = \"Europe/Berlin\"\n", "c.toml").unwrap();
        assert_eq!(config.zone(None).unwrap().name(), "Europe/Berlin");
        assert_eq!(
            config.zone(Some("America/New_York")).unwrap().name(),
            "America/New_York"
        );
        let err = config.zone(Some("EST5")).unwrap_err().to_string();
        assert!(
            err.starts_with("--timezone: unknown time zone `EST5`"),
            "{err}"
        );
        assert!(Config::default().zone(None).unwrap().is_utc());
    }

    #[test]
    fn a_sixth_vendor_loads() {
        let config = Config::parse(
            "[[vendor]]\nid = \"acme\"\nshape = { \"error.code\" = \"string\", \"error.type\" = \"string\" }\ncode = \"error.code\"\n",
            "c.toml",
        )
        .unwrap();
        assert_eq!(config.vendors().unwrap().vendors().len(), 6);
    }
}
