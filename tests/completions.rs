//! `errscope completions SHELL` and `errscope man` (the real binary): the bash script is
//! loaded by a real bash and completes subcommands and flags; the man page is roff that groff
//! (and `man -l -`) render, with a page for every subcommand `--help` lists.

mod common;

use std::io::Write;
use std::process::{Command, Stdio};

use common::{errscope, stderr, stdout};

fn has(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok()
}

fn run_ok(args: &[&str]) -> String {
    let output = errscope().args(args).output().expect("run errscope");
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

/// The subcommands `errscope [PATH..] --help` lists, depth first, each as its path
/// (`["scan"]`, `["report"]`, `["report", "merge"]`, ...), without `help`.
fn subcommands(path: &[String]) -> Vec<Vec<String>> {
    let mut args: Vec<&str> = path.iter().map(String::as_str).collect();
    args.push("--help");
    let help = run_ok(&args);
    let listed: Vec<String> = help
        .lines()
        .skip_while(|l| l.trim() != "Commands:")
        .skip(1)
        .take_while(|l| !l.trim().is_empty())
        .filter_map(|l| l.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_owned)
        .collect();
    let mut paths = Vec::new();
    for name in listed {
        let mut sub = path.to_vec();
        sub.push(name);
        let below = subcommands(&sub);
        paths.push(sub);
        paths.extend(below);
    }
    paths
}

/// Loads the generated bash script in a real bash and returns what it offers for `line`
/// (completion of its last word, empty when the line ends in a space), one per line.
fn bash_complete(script: &std::path::Path, line: &str) -> Vec<String> {
    let driver = r#"
set -u
source "$1"
spec=$(complete -p errscope) || { echo "no completion for errscope" >&2; exit 3; }
fn=$(sed -n 's/.*-F \([^ ]*\).*/\1/p' <<<"$spec")
[ -n "$fn" ] || { echo "no -F function in: $spec" >&2; exit 3; }
COMP_LINE="$2"
COMP_POINT=${#COMP_LINE}
read -r -a COMP_WORDS <<<"$COMP_LINE"
[[ "$COMP_LINE" == *" " ]] && COMP_WORDS+=("")
COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))
COMPREPLY=()
"$fn" errscope "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"
printf '%s\n' "${COMPREPLY[@]}"
"#;
    let output = Command::new("bash")
        .args(["--norc", "--noprofile", "-c", driver, "drive"])
        .arg(script)
        .arg(line)
        .output()
        .expect("run bash");
    assert!(
        output.status.success(),
        "bash on {line:?}: {}",
        stderr(&output)
    );
    stdout(&output).lines().map(str::to_owned).collect()
}

#[test]
fn bash_loads_the_script_and_completes_subcommands_and_flags() {
    if !has("bash") {
        eprintln!("skipped: bash is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("errscope.bash");
    std::fs::write(&script, run_ok(&["completions", "bash"])).unwrap();

    let offered = bash_complete(&script, "errscope ch");
    assert_eq!(offered, ["check-config"]);
    let offered = bash_complete(&script, "errscope ");
    let top: Vec<String> = subcommands(&[])
        .into_iter()
        .filter(|path| path.len() == 1)
        .map(|path| path.join(""))
        .collect();
    assert!(top.len() >= 7, "{top:?}");
    for sub in &top {
        assert!(
            offered.contains(sub),
            "`errscope ` offers {offered:?}, not {sub}"
        );
    }
    let offered = bash_complete(&script, "errscope scan --no-");
    for flag in ["--no-mmap", "--no-progress", "--no-redact"] {
        assert!(offered.iter().any(|o| o == flag), "{offered:?}");
    }
    let offered = bash_complete(&script, "errscope completions ");
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        assert!(offered.iter().any(|o| o == shell), "{offered:?}");
    }
    let offered = bash_complete(&script, "errscope report ");
    assert!(offered.iter().any(|o| o == "merge"), "{offered:?}");
    assert!(offered.iter().any(|o| o == "html"), "{offered:?}");
}

#[test]
fn every_shell_gets_a_script_naming_the_subcommands() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let script = run_ok(&["completions", shell]);
        for sub in ["scan", "tail", "check-config", "completions", "man"] {
            assert!(script.contains(sub), "{shell} script lacks {sub}");
        }
    }
    let output = errscope().args(["completions", "tcsh"]).output().unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("tcsh"), "{}", stderr(&output));
}

fn render(program: &str, args: &[&str], roff: &str) -> std::process::Output {
    let mut child = Command::new(program)
        .args(args)
        .env("MANPAGER", "cat")
        .env("MANWIDTH", "100")
        .env("LANG", "C.UTF-8")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {program}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(roff.as_bytes()).expect("write roff");
    drop(stdin);
    child.wait_with_output().expect("wait")
}

/// The rendered text has a page for `errscope` and each subcommand: its title line
/// (`errscope-scan(1)`) and its NAME entry (`errscope-scan - ...`).
fn assert_pages(tool: &str, text: &str) {
    let mut pages = vec!["errscope".to_owned()];
    pages.extend(
        subcommands(&[])
            .iter()
            .map(|path| format!("errscope-{}", path.join("-"))),
    );
    assert!(pages.len() >= 9, "{pages:?}");
    // groff may hyphenate a long NAME line but never the name itself.
    let words: Vec<&str> = text.split_whitespace().collect();
    for page in &pages {
        let title = format!("{page}(1)");
        assert!(
            text.lines().any(|l| l.starts_with(&title)),
            "{tool}: no page titled {title}"
        );
        assert!(
            words.windows(2).any(|w| w[0] == page && w[1] == "-"),
            "{tool}: no NAME entry for {page}"
        );
    }
}

#[test]
fn man_page_is_roff_with_a_page_per_subcommand() {
    let roff = run_ok(&["man"]);
    assert!(
        roff.contains(".TH errscope 1"),
        "{}",
        &roff[..200.min(roff.len())]
    );
    let mut rendered = 0;
    if has("groff") {
        // -ww: every warning; -z: no output, just the warnings.
        let output = render("groff", &["-man", "-Tutf8", "-ww", "-z"], &roff);
        assert!(output.status.success());
        assert_eq!(stderr(&output), "", "groff warns about the roff");
        let output = render("groff", &["-man", "-Tutf8", "-P", "-cbou"], &roff);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_pages("groff", &stdout(&output));
        rendered += 1;
    } else {
        eprintln!("skipped: groff is not installed");
    }
    if has("man") {
        let output = render("man", &["-l", "-"], &roff);
        assert!(output.status.success(), "{}", stderr(&output));
        assert_pages("man", &strip_overstrike(&stdout(&output)));
        rendered += 1;
    } else {
        eprintln!("skipped: man is not installed");
    }
    if rendered == 0 {
        eprintln!("skipped: neither groff nor man is installed; only the roff was checked");
    }
}

/// Drops the overstrikes (`X\bX` bold, `_\bX` underline) a formatter may leave.
fn strip_overstrike(text: &str) -> String {
    let mut out: Vec<char> = Vec::with_capacity(text.len());
    for c in text.chars() {
        if c == '\u{8}' {
            out.pop();
        } else {
            out.push(c);
        }
    }
    out.into_iter().collect()
}
