//! `errscope check-config` (the real binary) on `[[alert]]` rules and `[sinks]`.

use assert_cmd::Command;
use predicates::prelude::PredicateBooleanExt;
use predicates::str::contains;

const GOOD: &str = r#"
[[alert]]
name = "ocrolus-auth"
vendor = "ocrolus"
codes = [1200, 1204]
window = "5m"
threshold = 20
cooldown = "15m"
sinks = ["stdout"]

[[alert]]
name = "codat-spike"
vendor = "codat"
window = "1m"
spike = { factor = 3.0, baseline = "24h", percentile = 99.0, min_count = 10 }
sinks = ["stdout", "webhook"]

[sinks.webhook]
url = "http://127.0.0.1:9000/hook"
timeout = "5s"
"#;

fn check(text: &str) -> assert_cmd::assert::Assert {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    Command::cargo_bin("errscope")
        .unwrap()
        .current_dir(dir.path())
        .args(["check-config", "-c", "config.toml"])
        .env_remove("ERRSCOPE_CONFIG")
        .assert()
}

#[test]
fn check_config_lists_rules_and_sinks() {
    check(GOOD)
        .success()
        .stdout(contains("alert rules: 2"))
        .stdout(contains(
            "ocrolus-auth: vendor ocrolus, codes 1200,1204, window 5m, threshold 20, \
             cooldown 15m, resolve after 5m -> stdout",
        ))
        .stdout(contains(
            "codat-spike: vendor codat, window 1m, spike x3 over p99 of 24h, min 10, \
             cooldown 1m, resolve after 1m -> stdout, webhook",
        ))
        .stdout(contains("sink webhook http://127.0.0.1:9000/hook"));
}

#[test]
fn check_config_names_the_bad_rule_and_key() {
    let cases = [
        (
            GOOD.replace("factor = 3.0", "factor = 1.0"),
            "config.toml: alert `codat-spike`: `spike.factor` must be > 1",
        ),
        (
            GOOD.replace("percentile = 99.0", "percentile = 0.0"),
            "config.toml: alert `codat-spike`: `spike.percentile` must be > 0 and <= 100",
        ),
        (
            GOOD.replace("baseline = \"24h\"", "baseline = \"30s\""),
            "config.toml: alert `codat-spike`: `spike.baseline` = \"30s\" must be at least the window",
        ),
        (
            GOOD.replace("threshold = 20", "threshold = 20\nspike = { factor = 2.0 }"),
            "config.toml: alert `ocrolus-auth`: exactly one of `threshold` and `spike` must be set",
        ),
        (
            GOOD.replace("window = \"5m\"", "window = \"0s\""),
            "config.toml: alert `ocrolus-auth`: `window` = \"0s\" must be a whole number of seconds",
        ),
        (
            GOOD.replace("[sinks.webhook]", "[sinks.hook]"),
            "unknown field `hook`",
        ),
        (
            GOOD.replace("url = \"http://127.0.0.1:9000/hook\"\n", "")
                .replace("[sinks.webhook]\n", "")
                .replace("timeout = \"5s\"\n", ""),
            "config.toml: alert `codat-spike`: `sinks`: \"webhook\" is not configured",
        ),
        (
            GOOD.replace("vendor = \"codat\"", "vendor = \"kodat\""),
            "config.toml: alert `codat-spike`: `vendor` = \"kodat\" is not a known vendor",
        ),
        (
            GOOD.replace("cooldown = \"15m\"", "cooldwn = \"15m\""),
            "unknown field `cooldwn`",
        ),
    ];
    for (text, expected) in cases {
        match expected.strip_prefix("config.toml: ") {
            // Validation errors also name the line of the key.
            Some(message) => check(&text)
                .code(2)
                .stderr(contains(message).and(contains("config.toml: line "))),
            None => check(&text).code(2).stderr(contains(expected)),
        };
    }
}
