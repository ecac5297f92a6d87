//! The fleet section's Prometheus files in `README.md`, checked with `promtool`: `check config`, `check rules`,
//! and `test rules` on a synthetic burst. Skipped, with a line saying so,
//! when `promtool` is not on PATH (Debian package `prometheus`).

use std::path::{Path, PathBuf};
use std::process::Command;

const MARKER: &str = "<!-- promtool: ";

/// (kind, file name, contents) of each marked code block.
fn blocks() -> Vec<(String, String, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut found = Vec::new();
    for doc in ["README.md"] {
        let Ok(text) = std::fs::read_to_string(root.join(doc)) else {
            continue;
        };
        let mut rest = text.as_str();
        while let Some(at) = rest.find(MARKER) {
            rest = &rest[at + MARKER.len()..];
            let (tag, after) = rest.split_once("-->").expect("marker closes");
            let (kind, name) = tag.trim().split_once(' ').expect("kind and file name");
            let start = after.find("```yaml\n").expect("a yaml block follows") + 8;
            let len = after[start..].find("\n```").expect("block closes") + 1;
            found.push((
                kind.to_owned(),
                name.to_owned(),
                after[start..start + len].to_owned(),
            ));
            rest = &after[start + len..];
        }
    }
    found
}

fn promtool() -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join("promtool"))
        .find(|p| p.is_file())
}

fn run(promtool: &Path, dir: &Path, args: &[&str]) {
    let out = Command::new(promtool)
        .current_dir(dir)
        .args(args)
        .output()
        .expect("promtool runs");
    assert!(
        out.status.success(),
        "promtool {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    println!("promtool {}: OK", args.join(" "));
}

/// Steady 8/min for 3h, 80/min for 6 minutes, then 8/min again.
const RULE_TEST: &str = r#"
rule_files:
  - errscope-rules.yml
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'errscope_errors_total{job="errscope",instance="app-1:9464",vendor="codat",code="RateLimited",status="429"}'
        values: '0+8x180 1520+80x5 1928+8x60'
      - series: 'errscope_errors_total{job="errscope",instance="app-1:9464",vendor="ocrolus",code="1200",status="400"}'
        values: '0+1x240'
    alert_rule_test:
      - eval_time: 5m
        alertname: CodatErrorSpike
        exp_alerts: []
      - eval_time: 180m
        alertname: CodatErrorSpike
        exp_alerts: []
      - eval_time: 182m
        alertname: CodatErrorSpike
        exp_alerts:
          - exp_labels:
              severity: page
              job: errscope
              instance: "app-1:9464"
              vendor: codat
            exp_annotations:
              summary: "Codat error spike on app-1:9464"
              description: "Codat errors in the last minute are over 3x the 24h p99 of per-minute counts, and at least 10."
      - eval_time: 182m
        alertname: CodatErrorSpikeFleet
        exp_alerts:
          - exp_labels:
              severity: page
              job: errscope
              vendor: codat
            exp_annotations:
              summary: "Codat error spike across the fleet"
      - eval_time: 200m
        alertname: CodatErrorSpike
        exp_alerts: []
      - eval_time: 200m
        alertname: OcrolusAuthFailures
        exp_alerts: []
"#;

#[test]
fn fleet_prometheus_files_pass_promtool() {
    let blocks = blocks();
    let kinds: Vec<&str> = blocks.iter().map(|b| b.0.as_str()).collect();
    assert!(
        kinds.contains(&"config") && kinds.contains(&"rules"),
        "README.md must hold the marked prometheus.yml and rules blocks: {kinds:?}"
    );
    let Some(promtool) = promtool() else {
        println!("SKIPPED promtool checks of the fleet docs: promtool is not on PATH (Debian package `prometheus`)");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    for (_, name, text) in &blocks {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    for (kind, name, _) in &blocks {
        match kind.as_str() {
            "config" => run(&promtool, dir.path(), &["check", "config", name]),
            "rules" => run(&promtool, dir.path(), &["check", "rules", name]),
            other => panic!("unknown promtool marker kind {other}"),
        }
    }
    std::fs::write(dir.path().join("test.yml"), RULE_TEST).unwrap();
    run(&promtool, dir.path(), &["test", "rules", "test.yml"]);
}
