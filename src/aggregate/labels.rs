//! Labels from a file's path. A `[[label]]` rule in the config is a
//! regular expression whose named groups become labels of every error
//! counted from a file whose path it matches:
//!
//! ```toml
//! [[label]]
//! regex = '^/srv/(?P<service>[^/]+)/logs/'
//! ```
//!
//! Built in after the config's rules: the Kubernetes pod log paths
//! (`/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log`, and the
//! kubelet's `/var/log/containers/<pod>_<namespace>_<container>-<id>.log`
//! links) give `namespace`, `pod` and `container`. A label's value comes
//! from the first rule that matches the path and sets it; a path no rule
//! labels has it empty.

use std::collections::HashMap;

use regex::Regex;
use serde::Deserialize;

/// `[[label]]` as written.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LabelSpec {
    /// A regular expression (the `regex` crate's syntax) matched against
    /// the file's path; its named groups are the labels.
    pub regex: String,
}

#[derive(Debug, thiserror::Error)]
pub enum LabelError {
    #[error("[[label]] #{index} `regex` = {regex:?}: {message}")]
    Invalid {
        /// 1-based, in the order written.
        index: usize,
        regex: String,
        message: String,
    },
}

impl LabelError {
    /// The rule's 1-based index.
    pub fn index(&self) -> Option<usize> {
        match self {
            LabelError::Invalid { index, .. } => Some(*index),
        }
    }
}

/// Kubernetes pod log files, as the kubelet lays them out.
const KUBERNETES_POD_LOGS: &str = r"(?:^|/)pods/(?P<namespace>[a-z0-9][a-z0-9-]*)_(?P<pod>[^/_]+)_[^/_]+/(?P<container>[^/]+)/[0-9]+\.log(?:\.[^/]*)?$";
/// The kubelet's links to them (`/var/log/containers`).
const KUBERNETES_CONTAINER_LINKS: &str = r"(?:^|/)containers/(?P<pod>[^/_]+)_(?P<namespace>[a-z0-9][a-z0-9-]*)_(?P<container>[^/_]+)-[0-9a-f]{64}\.log$";

/// The grouping keys a label may not be named as.
pub const RESERVED: [&str; 7] = [
    "day", "hour", "vendor", "code", "status", "category", "file",
];

#[derive(Debug, Clone)]
struct Rule {
    regex: Regex,
    names: Vec<String>,
}

/// The rules, the config's first.
#[derive(Debug, Clone)]
pub struct PathLabels {
    rules: Vec<Rule>,
}

impl PathLabels {
    /// The built-in rules alone.
    pub fn builtin() -> PathLabels {
        Self::new(&[]).unwrap_or(PathLabels { rules: Vec::new() })
    }

    /// The config's rules, then the built-in ones.
    pub fn new(specs: &[LabelSpec]) -> Result<PathLabels, LabelError> {
        let mut rules = Vec::new();
        for (at, spec) in specs.iter().enumerate() {
            let invalid = |message: String| LabelError::Invalid {
                index: at + 1,
                regex: spec.regex.clone(),
                message,
            };
            let regex = Regex::new(&spec.regex).map_err(|e| invalid(e.to_string()))?;
            let names: Vec<String> = regex.capture_names().flatten().map(str::to_owned).collect();
            if names.is_empty() {
                return Err(invalid(
                    "no named group: write one per label, like (?P<service>[^/]+)".into(),
                ));
            }
            for name in &names {
                if RESERVED.contains(&name.as_str()) {
                    return Err(invalid(format!(
                        "the group `{name}` is a built-in grouping key; name the label otherwise"
                    )));
                }
                if !is_label_name(name) {
                    return Err(invalid(format!(
                        "the group `{name}` is no label name (letters, digits and `_`, \
                         not starting with a digit or `__`)"
                    )));
                }
            }
            rules.push(Rule { regex, names });
        }
        for builtin in [KUBERNETES_POD_LOGS, KUBERNETES_CONTAINER_LINKS] {
            if let Ok(regex) = Regex::new(builtin) {
                let names = regex.capture_names().flatten().map(str::to_owned).collect();
                rules.push(Rule { regex, names });
            }
        }
        Ok(PathLabels { rules })
    }

    /// Every label name, in the order the rules first name them.
    pub fn names(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for name in self.rules.iter().flat_map(|r| &r.names) {
            if !names.contains(&name.as_str()) {
                names.push(name);
            }
        }
        names
    }

    pub fn has(&self, name: &str) -> bool {
        self.rules.iter().any(|r| r.names.iter().any(|n| n == name))
    }

    /// The labels of `path`, by name.
    pub fn of(&self, path: &str) -> HashMap<String, String> {
        let mut labels = HashMap::new();
        for rule in &self.rules {
            let Some(caps) = rule.regex.captures(path) else {
                continue;
            };
            for name in &rule.names {
                if let Some(value) = caps.name(name) {
                    labels
                        .entry(name.clone())
                        .or_insert_with(|| value.as_str().to_owned());
                }
            }
        }
        labels
    }

    /// The value of one label of `path` (empty when no rule sets it).
    pub fn value(&self, path: &str, name: &str) -> String {
        self.of(path).remove(name).unwrap_or_default()
    }
}

/// A Prometheus label name that is not reserved for internal use.
fn is_label_name(name: &str) -> bool {
    let mut bytes = name.bytes();
    bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_')
        && !name.starts_with("__")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_paths_are_labelled() {
        let labels = PathLabels::builtin();
        let of = labels.of(
            "/var/log/pods/billing_invoice-api-7c9f8d6b5-x2x7q_3f1c2e4a-9b8d-4c7e-a6f5-1e2d3c4b5a69/api/0.log",
        );
        assert_eq!(of["namespace"], "billing");
        assert_eq!(of["pod"], "invoice-api-7c9f8d6b5-x2x7q");
        assert_eq!(of["container"], "api");
        // Rotated files keep their labels; a copy of the tree anywhere too.
        let rotated =
            "logs/pods/kube-system_coredns-5d78c9869d-abcde_0f0e/coredns/3.log.20261120-101502.gz";
        assert_eq!(labels.value(rotated, "namespace"), "kube-system");
        let link = format!(
            "/var/log/containers/invoice-api-7c9f8d6b5-x2x7q_billing_api-{}.log",
            "a1".repeat(32)
        );
        assert_eq!(labels.value(&link, "pod"), "invoice-api-7c9f8d6b5-x2x7q");
        assert_eq!(labels.value(&link, "container"), "api");
        assert_eq!(labels.value("/var/log/app.log", "pod"), "");
        assert_eq!(labels.names(), ["namespace", "pod", "container"]);
    }

    #[test]
    fn config_rules_come_first_and_are_checked() {
        let spec = |regex: &str| LabelSpec {
            regex: regex.into(),
        };
        let labels = PathLabels::new(&[
            spec(r"^/srv/(?P<service>[^/]+)/"),
            spec(r"/pods/(?P<namespace>[^_]+)_(?P<team>[^-]+)-"),
        ])
        .unwrap();
        assert_eq!(
            labels.value("/srv/payouts/logs/a.log", "service"),
            "payouts"
        );
        let path = "/var/log/pods/billing_invoice-api-7c9_uid/api/0.log";
        assert_eq!(labels.value(path, "team"), "invoice");
        assert_eq!(labels.value(path, "container"), "api");
        assert!(labels.has("service") && labels.has("pod") && !labels.has("x"));
        for (regex, says) in [
            ("(", "regex parse error"),
            ("/srv/[^/]+/", "no named group"),
            ("(?P<code>x)", "built-in grouping key"),
            ("(?P<__x>x)", "no label name"),
        ] {
            let error = PathLabels::new(&[spec("(?P<a>a)"), spec(regex)])
                .unwrap_err()
                .to_string();
            assert!(error.starts_with("[[label]] #2 `regex`"), "{error}");
            assert!(error.contains(says), "{error}");
        }
    }
}
