//! `errscope top` in a real terminal: the binary runs in a tmux pane on a
//! temporary log, lines are appended, and the screen is read back with
//! `capture-pane` until the rows and counts follow. Then a key quits and
//! the terminal is checked: alternate screen left, cursor shown, tty modes
//! as before, exit status 0.
//!
//! Needs `tmux` (installed by `.ci/run`); without it the tmux tests say so
//! and pass. Each test runs its own tmux server (`-S`, a socket in its
//! temporary directory), killed at the end.

mod common;

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use tempfile::TempDir;

/// Generous: a loaded machine may take a while to start and follow.
const DEADLINE: Duration = Duration::from_secs(90);

const OCROLUS_1200: &str = r#"{"status":400,"message":"Authentication failed for jane@example.com","code":1200,"response":null}"#;
const APLOS_1002: &str =
    r#"{"version":"v2_0_0","status":401,"exception":{"message":"Missing Token","code":1002}}"#;

const CONFIG: &str = r#"
[[alert]]
name = "ocrolus-auth"
vendor = "ocrolus"
codes = [1200]
window = "10m"
threshold = 3
"#;

fn tmux_available() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// One tmux server (its socket in the test's directory) with one pane
/// running a shell command.
struct Pane {
    socket: PathBuf,
    _dir: TempDir,
}

impl Pane {
    /// Starts `script` (run by `sh -c`) in a `width` x `height` pane.
    fn start(dir: TempDir, script: &str, width: u16, height: u16) -> Pane {
        let socket = dir.path().join("tmux.sock");
        let pane = Pane { socket, _dir: dir };
        let out = pane.tmux(&[
            "new-session",
            "-d",
            "-s",
            "top",
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            "sh",
            "-c",
            script,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        pane
    }

    fn tmux(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .output()
            .expect("tmux runs")
    }

    /// The screen as text.
    fn screen(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-t", "top"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// The screen with its colours and attributes as escape sequences.
    fn screen_escaped(&self) -> String {
        let out = self.tmux(&["capture-pane", "-p", "-e", "-t", "top"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    fn display(&self, format: &str) -> String {
        let out = self.tmux(&["display-message", "-p", "-t", "top", format]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn keys(&self, keys: &[&str]) {
        let mut args = vec!["send-keys", "-t", "top"];
        args.extend_from_slice(keys);
        let out = self.tmux(&args);
        assert!(out.status.success(), "send-keys {keys:?}");
    }

    /// Polls the screen until `done` holds; fails with the last screen
    /// after [`DEADLINE`].
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen();
            if done(&screen) {
                return screen;
            }
            if start.elapsed() > DEADLINE {
                panic!("waited {DEADLINE:?} for {what}; the screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Pane {
    fn drop(&mut self) {
        let _ = self.tmux(&["kill-server"]);
    }
}

/// The (rate, window, total) a row of the table shows.
fn row(screen: &str, vendor: &str, code: &str) -> Option<(u64, u64, u64)> {
    screen.lines().find_map(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        let at = words.iter().position(|w| *w == vendor)?;
        if words.get(at + 1) != Some(&code) {
            return None;
        }
        let number = |i: usize| words.get(at + i)?.parse::<u64>().ok();
        Some((number(3)?, number(4)?, number(5)?))
    })
}

/// The line number (from the top) of a vendor's row.
fn line_of(screen: &str, vendor: &str, code: &str) -> Option<usize> {
    screen.lines().position(|line| {
        let words: Vec<&str> = line.split_whitespace().collect();
        words
            .windows(2)
            .any(|pair| pair[0] == vendor && pair[1] == code)
    })
}

fn append(path: &Path, lines: &[&str]) {
    let mut file = OpenOptions::new()
        .append(true)
        .open(path)
        .expect("open the log");
    let mut text = lines.join("\n");
    text.push('\n');
    file.write_all(text.as_bytes()).expect("append");
}

fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}

/// A temporary log (empty) and config; the shell line that runs `top` on
/// them with `env`, then says how it ended and whether the tty modes are
/// as before, then waits to be read.
fn setup(env: &str) -> (TempDir, PathBuf, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").expect("log");
    let config = dir.path().join("config.toml");
    std::fs::write(&config, CONFIG).expect("config");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_errscope"));
    let script = format!(
        "before=$(stty -g); {env} {} top --config {} {}; rc=$?; after=$(stty -g); \
         echo \"exit=$rc\"; if [ \"$before\" = \"$after\" ]; then echo 'tty restored'; \
         else echo 'tty changed'; fi; sleep 600",
        quoted(&bin),
        quoted(&config),
        quoted(&log),
    );
    (dir, log, script)
}

#[test]
fn rows_and_counts_follow_the_appends_then_q_restores_the_terminal() {
    if !tmux_available() {
        println!("skipped: tmux is not installed (the .ci/run script installs it)");
        return;
    }
    let (dir, log, script) = setup("");
    let pane = Pane::start(dir, &script, 100, 30);
    pane.wait_for("the view with the file followed", |s| {
        s.contains("errscope top") && s.contains("1 file ")
    });
    assert_eq!(
        pane.display("#{alternate_on}"),
        "1",
        "on the alternate screen"
    );
    pane.wait_for("the config's rule", |s| {
        s.contains("alerts: 1 rule, none firing")
    });

    append(&log, &[OCROLUS_1200, OCROLUS_1200, OCROLUS_1200]);
    let screen = pane.wait_for("three ocrolus 1200", |s| {
        row(s, "ocrolus", "1200").is_some_and(|(_, _, total)| total == 3)
    });
    assert_eq!(row(&screen, "ocrolus", "1200"), Some((3, 3, 3)), "{screen}");
    assert!(screen.contains("errors 3 "), "{screen}");
    // The catalog and the redacted sample, on the selected row's line.
    assert!(
        screen.contains("auth · Authentication failed │ Authentication failed for <email>"),
        "{screen}"
    );
    assert!(!screen.contains("jane@example.com"), "{screen}");
    // Three in ten minutes: the config's rule fires.
    pane.wait_for("the rule firing", |s| {
        s.contains("alerts: 1 rule, 1 FIRING: ocrolus-auth")
    });
    // Vendors in the HTML report's colours (ocrolus #2563eb).
    let escaped = pane.screen_escaped();
    assert!(escaped.contains("38;2;37;99;235"), "{escaped:?}");

    append(&log, &[APLOS_1002, OCROLUS_1200, APLOS_1002]);
    let screen = pane.wait_for("two aplos 1002 and a fourth ocrolus 1200", |s| {
        row(s, "aplos", "1002").is_some_and(|(_, _, total)| total == 2)
            && row(s, "ocrolus", "1200").is_some_and(|(_, _, total)| total == 4)
    });
    assert!(screen.contains("errors 6 "), "{screen}");
    assert!(
        line_of(&screen, "ocrolus", "1200") < line_of(&screen, "aplos", "1002"),
        "sorted by rate: {screen}"
    );

    // A smaller terminal: the 80x24 layout, the same rows.
    let out = pane.tmux(&["resize-window", "-t", "top", "-x", "80", "-y", "24"]);
    assert!(out.status.success(), "resize-window");
    let screen = pane.wait_for("the 80x24 layout", |s| {
        s.lines().count() <= 24
            && s.lines().all(|l| l.chars().count() <= 80)
            && s.contains("q quit")
            && row(s, "ocrolus", "1200").is_some_and(|(_, _, total)| total == 4)
    });
    assert!(screen.contains("VENDOR"), "{screen}");

    // Enter shows the catalog entry and the samples; Esc closes it.
    pane.keys(&["Enter"]);
    pane.wait_for("the details panel", |s| {
        s.contains("code 1200 · status 400") && s.contains("last 4 samples")
    });
    pane.keys(&["Escape"]);
    pane.wait_for("the panel closed", |s| !s.contains("last 4 samples"));

    pane.keys(&["q"]);
    let screen = pane.wait_for("top to exit", |s| s.contains("exit="));
    assert!(screen.contains("exit=0"), "{screen}");
    assert!(screen.contains("tty restored"), "{screen}");
    assert!(!screen.contains("VENDOR"), "the view is gone: {screen}");
    assert_eq!(
        pane.display("#{alternate_on}"),
        "0",
        "alternate screen left"
    );
    assert_eq!(pane.display("#{cursor_flag}"), "1", "cursor shown again");
}

#[test]
fn ctrl_c_quits_and_no_color_draws_without_colour() {
    if !tmux_available() {
        println!("skipped: tmux is not installed (the .ci/run script installs it)");
        return;
    }
    let (dir, log, script) = setup("NO_COLOR=1");
    let pane = Pane::start(dir, &script, 80, 24);
    pane.wait_for("the view", |s| {
        s.contains("errscope top") && s.contains("1 file ")
    });
    append(&log, &[OCROLUS_1200, APLOS_1002]);
    pane.wait_for("two rows", |s| {
        row(s, "ocrolus", "1200").is_some() && row(s, "aplos", "1002").is_some()
    });
    let escaped = pane.screen_escaped();
    for colour in ["38;2;", "38;5;", "48;2;", "48;5;", "\x1b[3", "\x1b[4"] {
        let found = escaped
            .match_indices(colour)
            .map(|(i, _)| &escaped[i..escaped.len().min(i + 8)])
            // `\x1b[39m` / `\x1b[49m` reset to the defaults: no colour.
            .find(|s| !s.starts_with("\x1b[39m") && !s.starts_with("\x1b[49m"));
        assert_eq!(found, None, "NO_COLOR: colour {colour:?} in {escaped:?}");
    }
    assert!(
        escaped.contains("\x1b[7m") || escaped.contains(";7m"),
        "the selection stays visible: {escaped:?}"
    );

    pane.keys(&["C-c"]);
    let screen = pane.wait_for("top to exit", |s| s.contains("exit="));
    assert!(screen.contains("exit=0"), "{screen}");
    assert!(screen.contains("tty restored"), "{screen}");
    assert_eq!(pane.display("#{alternate_on}"), "0");
}

#[test]
fn without_a_terminal_it_points_to_tail() {
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").expect("log");
    let output = common::errscope()
        .arg("top")
        .arg(&log)
        .env_remove("ERRSCOPE_CONFIG")
        .output()
        .expect("run errscope");
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("needs a terminal on stdout"), "{stderr}");
    assert!(stderr.contains("errscope tail"), "{stderr}");
    assert!(output.stdout.is_empty(), "nothing drawn on a pipe");
}

/// A process's state letter (`R`, `S`, `Z`, ...), or `None` once it is gone.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // `pid (comm) S ...`: the state follows the last `)`.
    stat.rsplit_once(')')?.1.trim_start().chars().next()
}

/// Kills the process on the way out if it is still there (a failed test
/// must not leave it behind).
struct Reap(u32);

impl Drop for Reap {
    fn drop(&mut self) {
        if process_state(self.0).is_some_and(|s| s != 'Z') {
            let _ = Command::new("kill")
                .args(["-9", &self.0.to_string()])
                .status();
        }
    }
}

#[test]
fn the_view_ends_when_its_terminal_goes_away() {
    if !tmux_available() {
        println!("skipped: tmux is not installed (the .ci/run script installs it)");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let log = dir.path().join("app.log");
    std::fs::write(&log, "").expect("log");
    let pid_file = dir.path().join("pid");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_errscope"));
    // `exec`: the pid written is errscope's.
    let script = format!(
        "echo $$ > {}; exec {} top {}",
        quoted(&pid_file),
        quoted(&bin),
        quoted(&log)
    );
    let pane = Pane::start(dir, &script, 80, 24);
    pane.wait_for("the view", |s| {
        s.contains("errscope top") && s.contains("1 file ")
    });
    let pid: u32 = std::fs::read_to_string(&pid_file)
        .expect("pid file")
        .trim()
        .parse()
        .expect("a pid");
    let _reap = Reap(pid);
    assert!(process_state(pid).is_some_and(|s| s != 'Z'), "running");
    // The terminal goes: the pane's pty is closed under errscope.
    let out = pane.tmux(&["kill-server"]);
    assert!(out.status.success(), "kill-server");
    let start = Instant::now();
    while process_state(pid).is_some_and(|s| s != 'Z') {
        assert!(
            start.elapsed() < DEADLINE,
            "errscope top still runs {DEADLINE:?} after its terminal went away (state {:?})",
            process_state(pid)
        );
        std::thread::sleep(Duration::from_millis(200));
    }
}

#[test]
fn sigterm_stops_it_and_gives_the_terminal_back() {
    if !tmux_available() {
        println!("skipped: tmux is not installed (the .ci/run script installs it)");
        return;
    }
    let (dir, _log, script) = setup("");
    let pane = Pane::start(dir, &script, 80, 24);
    pane.wait_for("the view", |s| {
        s.contains("errscope top") && s.contains("1 file ")
    });
    // The pane runs `sh`, whose child is errscope.
    let shell = pane.display("#{pane_pid}");
    let children = std::fs::read_to_string(format!("/proc/{shell}/task/{shell}/children"))
        .expect("the shell's children");
    let pid: u32 = children
        .split_whitespace()
        .next()
        .and_then(|p| p.parse().ok())
        .expect("errscope's pid");
    let _reap = Reap(pid);
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    let screen = pane.wait_for("top to exit", |s| s.contains("exit="));
    assert!(screen.contains("exit=0"), "{screen}");
    assert!(screen.contains("tty restored"), "{screen}");
    assert_eq!(pane.display("#{alternate_on}"), "0");
}
