//! The files in `deploy/`: the systemd unit and the Kubernetes manifest.
//!
//! Each is parsed and held to what it promises (a dynamic user, a read-only view of the
//! logs, a writable state directory and nothing else, reload by SIGHUP, a restart policy;
//! read-only pod logs, state on a hostPath, the metrics port and its scrape annotations,
//! resources). Then the real binary runs the exact command line and config the file
//! carries, with the host paths it names moved into a temporary directory and the metrics
//! on an ephemeral loopback port: it must count an error appended to a log, serve
//! `/healthz` and `/metrics`, reload on SIGHUP, and leave a checkpoint and a report where
//! the file says on SIGTERM. `systemd-analyze verify` and `kubernetes-validate` check the
//! files where they are installed (`.ci/run` installs them) and say they skipped otherwise.

mod common;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_yaml_ng::Value;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const DEADLINE: Duration = Duration::from_secs(30);
const ERROR_BODY: &str =
    r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
const SERIES: &str = r#"errscope_errors_total{vendor="ocrolus",code="1200",status="400"}"#;

fn read(relative: &str) -> String {
    let path = Path::new(ROOT).join(relative);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn have(program: &str) -> bool {
    common::find_on_path(program).is_some()
}

// ------------------------------------------------------------------ the real binary

/// `errscope ARGS --help`: clap parses every flag and value before it gets to `--help`, so
/// an unknown flag or a bad value fails here without the command running.
fn assert_flags_parse(args: &[String]) {
    let output = common::errscope()
        .args(args)
        .arg("--help")
        .output()
        .expect("run errscope");
    assert!(
        output.status.success(),
        "errscope {args:?} is refused: {}",
        common::stderr(&output)
    );
}

/// `errscope check-config FILE` on `text`.
fn assert_config_checks(text: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = common::write(dir.path(), "config.toml", text);
    let output = common::errscope()
        .args(["check-config", &path])
        .output()
        .expect("run errscope");
    assert!(
        output.status.success(),
        "check-config: {}",
        common::stderr(&output)
    );
}

/// Replaces every `from` prefix (longest first) with its `to`.
fn remap(text: &str, map: &[(String, String)]) -> String {
    let mut map = map.to_vec();
    map.sort_by_key(|(from, _)| std::cmp::Reverse(from.len()));
    let mut out = text.to_owned();
    for (from, to) in &map {
        out = out.replace(from.as_str(), to);
    }
    out
}

/// A running `errscope` with its stdout and stderr collected.
struct Running {
    child: Child,
    stderr: Arc<Mutex<String>>,
    readers: Vec<JoinHandle<()>>,
}

impl Running {
    fn start(args: &[String]) -> Running {
        let mut child = Command::new(env!("CARGO_BIN_EXE_errscope"))
            .args(args)
            .env_remove("ERRSCOPE_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start errscope");
        // Both pipes are drained so the child never blocks on a full one.
        let (_, out_reader) = common::capture::collect(child.stdout.take().expect("stdout"));
        let (stderr, err_reader) = common::capture::collect(child.stderr.take().expect("stderr"));
        let readers = vec![out_reader, err_reader];
        Running {
            child,
            stderr,
            readers,
        }
    }

    fn stderr(&self) -> String {
        self.stderr.lock().unwrap().clone()
    }

    fn wait_until<T>(&mut self, what: &str, mut check: impl FnMut(&mut Self) -> Option<T>) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = check(self) {
                return found;
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!(
                    "errscope exited ({status}) before {what}: {}",
                    self.stderr()
                );
            }
            assert!(
                start.elapsed() < DEADLINE,
                "timed out waiting for {what}; stderr: {}",
                self.stderr()
            );
            thread::sleep(Duration::from_millis(50));
        }
    }

    /// The address the metrics server said it bound (`errscope: metrics on http://A/metrics`).
    fn metrics_addr(&mut self) -> SocketAddr {
        self.wait_until("the metrics address", |run| {
            run.stderr().lines().find_map(|l| {
                l.strip_prefix("errscope: metrics on http://")?
                    .strip_suffix("/metrics")?
                    .parse()
                    .ok()
            })
        })
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name}");
    }

    fn terminate(mut self) -> (ExitStatus, String) {
        self.signal("TERM");
        let start = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                break status;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                panic!("errscope did not exit on SIGTERM: {}", self.stderr());
            }
            thread::sleep(Duration::from_millis(20));
        };
        for reader in self.readers.drain(..) {
            let _ = reader.join();
        }
        (status, self.stderr())
    }
}

fn metric(addr: SocketAddr, series: &str) -> Option<f64> {
    let (_, body) = common::http_get(addr, "/metrics", "text/plain");
    body.lines().find_map(|l| {
        l.strip_prefix(series)?
            .strip_prefix(' ')?
            .trim()
            .parse()
            .ok()
    })
}

/// Runs `args` (already remapped), with `log` an empty file under the followed paths:
/// waits until it is followed, appends one error line, waits until it is counted, checks
/// `/healthz`, reloads with SIGHUP, stops with SIGTERM.
fn run_and_count(args: &[String], log: &Path, line_prefix: &str) {
    std::fs::create_dir_all(log.parent().expect("a parent")).unwrap();
    std::fs::write(log, "").unwrap();
    let mut run = Running::start(args);
    let addr = run.metrics_addr();
    assert!(addr.ip().is_loopback());
    run.wait_until("the log to be followed", |_| {
        (metric(addr, "errscope_files_watched") == Some(1.0)).then_some(())
    });
    common::append(log, &format!("{line_prefix}{ERROR_BODY}\n"));
    run.wait_until("the error to be counted", |_| {
        (metric(addr, SERIES) == Some(1.0)).then_some(())
    });
    let (head, body) = common::http_get(addr, "/healthz", "text/plain");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert_eq!(body.trim(), "ok");
    run.signal("HUP");
    run.wait_until("the reload", |run| {
        run.stderr().contains("errscope: reloaded").then_some(())
    });
    let (status, stderr) = run.terminate();
    assert!(status.success(), "exit {status}: {stderr}");
}

fn files_in(dir: &Path) -> Vec<PathBuf> {
    walk(dir).into_iter().filter(|p| p.is_file()).collect()
}

fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                out.extend(walk(&path));
            }
            out.push(path);
        }
    }
    out
}

// ------------------------------------------------------------------ systemd

/// The directives of a unit file: key → every value it is given, in order.
fn unit_directives(text: &str) -> BTreeMap<String, Vec<String>> {
    let mut directives: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with(['#', ';', '[']) {
            continue;
        }
        let (key, value) = line
            .split_once('=')
            .unwrap_or_else(|| panic!("not a directive: {line}"));
        directives
            .entry(key.trim().to_owned())
            .or_default()
            .push(value.trim().to_owned());
    }
    directives
}

fn one<'a>(unit: &'a BTreeMap<String, Vec<String>>, key: &str) -> &'a str {
    match unit.get(key).map(Vec::as_slice) {
        Some([value]) => value,
        other => panic!("{key}= once in the unit, found {other:?}"),
    }
}

/// The unit's `ExecStart=` after the program, and the program.
fn exec_start(unit: &BTreeMap<String, Vec<String>>) -> (String, Vec<String>) {
    let line = one(unit, "ExecStart");
    assert!(
        !line.contains(['"', '\'', '\\', '$', '%']),
        "keep ExecStart= free of quoting and specifiers: {line}"
    );
    let mut words = line.split_whitespace().map(str::to_owned);
    let program = words.next().expect("a program");
    (program, words.collect())
}

/// The value after `flag` in `args`.
fn flag_value<'a>(args: &'a [String], flag: &str) -> &'a str {
    let at = args
        .iter()
        .position(|a| a == flag)
        .unwrap_or_else(|| panic!("{flag} in {args:?}"));
    args.get(at + 1).map(String::as_str).expect("a value")
}

#[test]
fn systemd_unit_keeps_its_promises() {
    let unit = unit_directives(&read("deploy/systemd/errscope.service"));
    assert!(
        one(&unit, "DynamicUser") == "yes"
            || unit
                .get("User")
                .is_some_and(|u| u[0] != "root" && u[0] != "0"),
        "a dedicated or dynamic user"
    );
    assert_eq!(one(&unit, "ProtectSystem"), "strict");
    assert_eq!(one(&unit, "NoNewPrivileges"), "yes");
    assert!(
        ["on-failure", "on-abnormal", "always"].contains(&one(&unit, "Restart")),
        "a restart policy"
    );
    let reload = one(&unit, "ExecReload");
    assert!(
        reload.ends_with("kill -HUP $MAINPID") || reload.ends_with("kill -s HUP $MAINPID"),
        "ExecReload= sends SIGHUP: {reload}"
    );

    let (program, args) = exec_start(&unit);
    assert_eq!(program, "/usr/local/bin/errscope");
    assert_eq!(args[0], "tail");
    assert_flags_parse(&args);
    // The state directory is systemd's StateDirectory=, the one writable place.
    let state = format!("/var/lib/{}", one(&unit, "StateDirectory"));
    assert_eq!(flag_value(&args, "--state-dir"), state);
    // Every log followed is under a read-only path.
    let read_only: Vec<&str> = unit["ReadOnlyPaths"]
        .iter()
        .flat_map(|v| v.split_whitespace())
        .collect();
    let logs: Vec<&String> = args.iter().filter(|a| a.starts_with('/')).collect();
    let logs: Vec<&String> = logs
        .into_iter()
        .filter(|a| !a.starts_with("/etc/") && !a.starts_with(&state))
        .collect();
    assert!(!logs.is_empty(), "ExecStart= names the logs: {args:?}");
    for log in &logs {
        assert!(
            read_only.iter().any(|ro| log.starts_with(ro)),
            "{log} is not under ReadOnlyPaths= {read_only:?}"
        );
    }

    // The config the unit reads is the one shipped beside it, and it checks.
    let config_path = flag_value(&args, "--config");
    let config_dir = format!("/etc/{}", one(&unit, "ConfigurationDirectory"));
    assert!(config_path.starts_with(&config_dir), "{config_path}");
    let config = read("deploy/systemd/config.toml");
    assert_config_checks(&config);
    let settings: toml::Table = toml::from_str(&config).unwrap();
    let report_dir = settings["report"]["dir"].as_str().expect("[report] dir");
    assert!(
        report_dir.starts_with(&state),
        "{report_dir} is not writable"
    );

    // The unit's own command line, run with its host paths in a temporary directory.
    let sandbox = tempfile::tempdir().unwrap();
    let at = |name: &str| sandbox.path().join(name).display().to_string();
    let mut map = vec![
        (config_dir.clone(), at("etc")),
        (state.clone(), at("state")),
        ("127.0.0.1:9464".to_owned(), "127.0.0.1:0".to_owned()),
    ];
    for (i, log) in logs.iter().enumerate() {
        map.push((log.to_string(), format!("{}/", at(&format!("log{i}")))));
    }
    std::fs::create_dir_all(at("etc")).unwrap();
    std::fs::create_dir_all(at("state")).unwrap();
    std::fs::write(remap(config_path, &map), remap(&config, &map)).unwrap();
    let args: Vec<String> = args.iter().map(|a| remap(a, &map)).collect();
    let log = sandbox.path().join("log0").join("app.log");
    run_and_count(&args, &log, "2026-11-20T10:15:02Z ERROR upstream failed: ");
    let state_files = files_in(&sandbox.path().join("state"));
    assert!(
        state_files
            .iter()
            .any(|p| !p.starts_with(remap(report_dir, &map))),
        "no checkpoint in the state directory: {state_files:?}"
    );
    let report = Path::new(&remap(report_dir, &map)).join("2026-11-20.csv");
    let report = std::fs::read_to_string(&report).unwrap_or_else(|e| {
        panic!(
            "no daily report {} ({e}); state: {state_files:?}",
            report.display()
        )
    });
    assert!(
        report.contains("ocrolus") && report.contains("1200"),
        "{report}"
    );
}

#[test]
fn systemd_analyze_verifies_the_unit() {
    if !have("systemd-analyze") {
        println!("SKIPPED systemd-analyze verify: systemd-analyze is not on PATH (Debian package `systemd`)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    // The binary where the unit expects it is the one just built; the man page its
    // Documentation= names is the one `errscope man` prints.
    let unit = read("deploy/systemd/errscope.service")
        .replace("/usr/local/bin/errscope", env!("CARGO_BIN_EXE_errscope"));
    let unit_path = dir.path().join("errscope.service");
    std::fs::write(&unit_path, &unit).unwrap();
    let man1 = dir.path().join("man").join("man1");
    std::fs::create_dir_all(&man1).unwrap();
    let man = common::errscope().arg("man").output().unwrap();
    assert!(man.status.success());
    std::fs::write(man1.join("errscope.1"), &man.stdout).unwrap();

    let verify = |unit_path: &Path| {
        Command::new("systemd-analyze")
            .arg("verify")
            .arg(unit_path)
            .env("MANPATH", dir.path().join("man"))
            .output()
            .expect("run systemd-analyze")
    };
    let output = verify(&unit_path);
    assert!(output.status.success(), "{}", common::stderr(&output));
    // It only warns about a directive it cannot parse: any output is a finding.
    assert_eq!(common::stderr(&output), "", "systemd-analyze verify");
    assert_eq!(common::stdout(&output), "", "systemd-analyze verify");

    // The check sees a broken directive.
    let broken = dir.path().join("broken.service");
    std::fs::write(
        &broken,
        unit.replace("ProtectSystem=strict", "ProtectSystem=stricter"),
    )
    .unwrap();
    let complaint = common::stderr(&verify(&broken));
    assert!(complaint.contains("stricter"), "{complaint}");

    // The sandboxing, as systemd rates it (0 safe .. 10 exposed): at most 2.5.
    let output = Command::new("systemd-analyze")
        .args(["security", "--offline=yes", "--threshold=25"])
        .arg(&unit_path)
        .output()
        .expect("run systemd-analyze");
    let text = common::stdout(&output);
    assert!(
        output.status.success(),
        "{}{}",
        text.lines()
            .filter(|l| l.starts_with('✗'))
            .collect::<Vec<_>>()
            .join("\n"),
        common::stderr(&output)
    );
    assert!(text.contains("Overall exposure level"), "{text}");
}

// ------------------------------------------------------------------ Kubernetes

fn manifest() -> Vec<Value> {
    let text = read("deploy/kubernetes/errscope.yaml");
    serde_yaml_ng::Deserializer::from_str(&text)
        .map(|doc| Value::deserialize(doc).expect("valid YAML"))
        .collect()
}

fn of_kind<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind}");
    found[0]
}

fn str_of<'a>(value: &'a Value, what: &str) -> &'a str {
    value
        .as_str()
        .unwrap_or_else(|| panic!("{what} is not a string: {value:?}"))
}

/// Kubernetes quantities as bytes (memory) or millicores (cpu).
fn quantity(text: &str) -> u64 {
    let units = [
        ("Ki", 1u64 << 10),
        ("Mi", 1 << 20),
        ("Gi", 1 << 30),
        ("m", 1),
    ];
    for (suffix, factor) in units {
        if let Some(n) = text.strip_suffix(suffix) {
            return n.parse::<u64>().expect("a number") * factor;
        }
    }
    text.parse::<u64>().expect("a number") * 1000
}

#[test]
fn kubernetes_daemonset_keeps_its_promises() {
    let docs = manifest();
    let daemonset = of_kind(&docs, "DaemonSet");
    let config_map = of_kind(&docs, "ConfigMap");
    let pod = &daemonset["spec"]["template"];
    let spec = &pod["spec"];
    let containers = spec["containers"].as_sequence().expect("containers");
    assert_eq!(containers.len(), 1);
    let container = &containers[0];

    // The flags are the real binary's, and the config it carries checks.
    let args: Vec<String> = container["args"]
        .as_sequence()
        .expect("args")
        .iter()
        .map(|a| str_of(a, "an arg").to_owned())
        .collect();
    assert_eq!(args[0], "tail");
    assert_flags_parse(&args);
    let config_path = flag_value(&args, "--config");
    let (config_dir, config_key) = config_path.rsplit_once('/').expect("a path");
    let config = str_of(&config_map["data"][config_key], "the config").to_owned();
    assert_config_checks(&config);
    let settings: toml::Table = toml::from_str(&config).unwrap();

    // Mounts: the config from the ConfigMap, the pods' logs read-only from the node, the
    // state on the node; nothing else is written (the root file system is read-only).
    let volumes: BTreeMap<&str, &Value> = spec["volumes"]
        .as_sequence()
        .expect("volumes")
        .iter()
        .map(|v| (str_of(&v["name"], "a volume name"), v))
        .collect();
    let mut mounts: BTreeMap<String, (&Value, bool)> = BTreeMap::new();
    for mount in container["volumeMounts"]
        .as_sequence()
        .expect("volumeMounts")
    {
        let volume = volumes[str_of(&mount["name"], "a mount name")];
        let read_only = mount["readOnly"].as_bool().unwrap_or(false);
        mounts.insert(
            str_of(&mount["mountPath"], "a mountPath").to_owned(),
            (volume, read_only),
        );
    }
    let (volume, read_only) = mounts[config_dir];
    assert_eq!(volume["configMap"]["name"], config_map["metadata"]["name"]);
    assert!(read_only);
    let (volume, read_only) = mounts["/var/log/pods"];
    assert_eq!(volume["hostPath"]["path"], "/var/log/pods");
    assert!(read_only, "/var/log/pods is mounted read-only");
    let inputs = settings["inputs"].as_array().expect("inputs");
    assert_eq!(inputs.len(), 1);
    assert!(inputs[0].as_str().unwrap().starts_with("/var/log/pods"));
    let state = settings["tail"]["state_dir"].as_str().expect("state_dir");
    let (volume, read_only) = mounts[state];
    assert_eq!(volume["hostPath"]["path"], state);
    assert_eq!(volume["hostPath"]["type"], "DirectoryOrCreate");
    assert!(!read_only);
    let security = &container["securityContext"];
    assert_eq!(security["readOnlyRootFilesystem"], true);
    assert_eq!(security["allowPrivilegeEscalation"], false);
    assert_eq!(security["capabilities"]["drop"][0], "ALL");
    let report_dir = settings["report"]["dir"].as_str().expect("[report] dir");
    assert!(
        report_dir.starts_with(state),
        "{report_dir} is not writable"
    );

    // The metrics port: the config's, the container's, the scrape annotation's.
    let addr = settings["metrics"]["addr"]
        .as_str()
        .expect("[metrics] addr");
    let port: u64 = addr.rsplit(':').next().unwrap().parse().unwrap();
    let ports = container["ports"].as_sequence().expect("ports");
    assert_eq!(ports[0]["containerPort"].as_u64(), Some(port));
    let annotations = &pod["metadata"]["annotations"];
    assert_eq!(annotations["prometheus.io/scrape"], "true");
    assert_eq!(annotations["prometheus.io/port"], port.to_string().as_str());
    assert_eq!(annotations["prometheus.io/path"], "/metrics");
    for probe in ["readinessProbe", "livenessProbe"] {
        assert_eq!(container[probe]["httpGet"]["path"], "/healthz", "{probe}");
    }

    // Resources, requests within limits.
    let resources = &container["resources"];
    for what in ["memory", "cpu"] {
        let request = quantity(str_of(&resources["requests"][what], what));
        let limit = quantity(str_of(&resources["limits"][what], what));
        assert!(
            0 < request && request <= limit,
            "{what}: {request} > {limit}"
        );
    }

    // The pod's command line and config, run with the mounts in a temporary directory.
    let sandbox = tempfile::tempdir().unwrap();
    let mut map: Vec<(String, String)> = mounts
        .keys()
        .enumerate()
        .map(|(i, path)| {
            let to = sandbox.path().join(format!("mount{i}"));
            std::fs::create_dir_all(&to).unwrap();
            (path.clone(), to.display().to_string())
        })
        .collect();
    map.push((addr.to_owned(), "127.0.0.1:0".to_owned()));
    std::fs::write(remap(config_path, &map), remap(&config, &map)).unwrap();
    let args: Vec<String> = args.iter().map(|a| remap(a, &map)).collect();
    let log = PathBuf::from(remap("/var/log/pods/shop_web-7d9_0a1b/web/0.log", &map));
    run_and_count(&args, &log, "2026-11-20T10:15:02.123456789Z stdout F ");
    let state = PathBuf::from(remap(state, &map));
    assert!(
        files_in(&state)
            .iter()
            .any(|p| !p.starts_with(remap(report_dir, &map))),
        "no checkpoint in {}",
        state.display()
    );
    assert!(PathBuf::from(remap(report_dir, &map))
        .join("2026-11-20.csv")
        .is_file());
}

#[test]
fn kubernetes_validate_accepts_the_manifest() {
    if !have("kubernetes-validate") {
        println!("SKIPPED kubernetes-validate: not on PATH (PyPI package `kubernetes-validate`)");
        return;
    }
    let path = Path::new(ROOT).join("deploy/kubernetes/errscope.yaml");
    let validate = |path: &Path| {
        Command::new("kubernetes-validate")
            .args(["--strict", "--quiet"])
            .arg(path)
            .output()
            .expect("run kubernetes-validate")
    };
    let output = validate(&path);
    assert!(
        output.status.success(),
        "{}{}",
        common::stdout(&output),
        common::stderr(&output)
    );
    // The validator sees a misspelt field.
    let dir = tempfile::tempdir().unwrap();
    let broken = dir.path().join("broken.yaml");
    std::fs::write(
        &broken,
        read("deploy/kubernetes/errscope.yaml").replace("containerPort:", "containerPrt:"),
    )
    .unwrap();
    assert!(!validate(&broken).status.success());
}
