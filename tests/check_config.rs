//! `errscope check-config [FILE]` (the real binary): the file as a positional, as `-c/--config`
//! or as `ERRSCOPE_CONFIG`, and a FILE that contradicts `--config` refused.

mod common;

use std::path::Path;

use common::{errscope, stderr, stdout, write};

/// Two valid configs that `check-config` tells apart: each adds a vendor of its own.
fn configs(dir: &Path) -> (String, String) {
    let vendor = |id: &str| {
        format!(
            "[[vendor]]\nid = \"{id}\"\nshape = {{ \"{id}_error.code\" = \"string\" }}\n\
             code = \"{id}_error.code\"\nmessage = \"{id}_error.message\"\n"
        )
    };
    (
        write(dir, "a.toml", vendor("acme")),
        write(dir, "b.toml", vendor("globex")),
    )
}

fn check(dir: &Path, args: &[&str], env: Option<&str>) -> std::process::Output {
    let mut cmd = errscope();
    cmd.current_dir(dir).arg("check-config").args(args);
    match env {
        Some(value) => cmd.env("ERRSCOPE_CONFIG", value),
        None => cmd.env_remove("ERRSCOPE_CONFIG"),
    };
    cmd.output().expect("run errscope")
}

/// Which of the two vendors the run loaded, from its `vendor ...` lines.
fn loaded(output: &std::process::Output) -> Vec<&'static str> {
    let text = stdout(output);
    ["acme", "globex"]
        .into_iter()
        .filter(|id| {
            text.lines()
                .any(|l| l.trim_start().starts_with(&format!("vendor {id} ")))
        })
        .collect()
}

#[test]
fn file_as_positional_flag_or_environment() {
    let dir = tempfile::tempdir().unwrap();
    let (a, _b) = configs(dir.path());
    let cases: [(&[&str], Option<&str>, &str, &str); 6] = [
        (&["a.toml"], None, "acme", "a.toml: OK"),
        (&["-c", "a.toml"], None, "acme", "a.toml: OK"),
        (&["--config", "b.toml"], None, "globex", "b.toml: OK"),
        (&[], Some("b.toml"), "globex", "b.toml: OK"),
        // FILE beats the environment, as a flag does.
        (&["a.toml"], Some("b.toml"), "acme", "a.toml: OK"),
        // The same file twice, spelt two ways, is not a contradiction.
        (&[&a, "-c", "./a.toml"], None, "acme", "a.toml: OK"),
    ];
    for (args, env, vendor, first_line) in cases {
        let output = check(dir.path(), args, env);
        assert!(
            output.status.success(),
            "{args:?} env {env:?}: {}",
            stderr(&output)
        );
        assert_eq!(loaded(&output), [vendor], "{args:?} env {env:?}");
        let line = stdout(&output)
            .lines()
            .next()
            .unwrap_or_default()
            .to_owned();
        assert!(line.ends_with(first_line), "{args:?}: {line}");
    }
    // Without any, the built-in defaults are checked.
    let output = check(dir.path(), &[], None);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(loaded(&output).is_empty());
    assert!(
        stdout(&output).contains("vendor ocrolus"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn file_and_a_different_config_flag_is_a_usage_error() {
    let dir = tempfile::tempdir().unwrap();
    configs(dir.path());
    for args in [["a.toml", "-c", "b.toml"], ["-c", "b.toml", "a.toml"]] {
        let output = check(dir.path(), &args, None);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert!(stdout(&output).is_empty(), "{}", stdout(&output));
        let err = stderr(&output);
        assert!(
            err.contains("FILE `a.toml` and --config `b.toml` name different files"),
            "{err}"
        );
    }
}

#[test]
fn positional_file_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "bad.toml",
        "[[vendor]]\nid = \"x\"\nshape = 3\n",
    );
    let output = check(dir.path(), &["bad.toml"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("bad.toml"), "{}", stderr(&output));
    let output = check(dir.path(), &["missing.toml"], None);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("missing.toml"),
        "{}",
        stderr(&output)
    );
}
