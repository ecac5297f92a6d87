//! One golden output per file in `samples/` (as mtail keeps one per
//! example program): `scan FILE --by vendor,code,status,day --format csv`
//! must print exactly `tests/golden/<path under samples>.csv`. A new
//! sample gets its golden with `UPDATE_GOLDEN=1 cargo test --test golden`;
//! review the diff before committing it.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::errscope;

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

fn samples() -> Vec<PathBuf> {
    let dir = Path::new(ROOT).join("samples");
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&dir)
        .into_iter()
        .map(|entry| entry.expect("samples/ is readable"))
        .filter(|entry| entry.file_type().is_file())
        .map(|entry| {
            entry
                .path()
                .strip_prefix(&dir)
                .expect("under samples/")
                .to_path_buf()
        })
        .collect();
    files.sort();
    files
}

fn golden_path(sample: &Path) -> PathBuf {
    let mut name = sample.as_os_str().to_owned();
    name.push(".csv");
    Path::new(ROOT).join("tests/golden").join(name)
}

#[test]
fn every_sample_prints_its_golden_output() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let mut mismatched = Vec::new();
    let samples = samples();
    assert!(samples.len() >= 10, "samples/ holds {samples:?}");
    for sample in &samples {
        let output = errscope()
            .current_dir(Path::new(ROOT).join("samples"))
            .args(["scan", "--by", "vendor,code,status,day", "--format", "csv"])
            .arg(sample)
            .output()
            .expect("run errscope");
        assert!(
            output.status.success(),
            "{}: {}",
            sample.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let got = String::from_utf8(output.stdout).expect("UTF-8 output");
        let golden = golden_path(sample);
        if update {
            fs::create_dir_all(golden.parent().expect("a parent")).expect("mkdir");
            fs::write(&golden, &got).expect("write golden");
            continue;
        }
        let want = fs::read_to_string(&golden).unwrap_or_else(|e| {
            panic!(
                "{}: no golden output ({e}); create it with UPDATE_GOLDEN=1 cargo test --test golden",
                golden.display()
            )
        });
        if got != want {
            mismatched.push(format!(
                "{}:\n--- want\n{want}--- got\n{got}",
                sample.display()
            ));
        }
    }
    assert!(mismatched.is_empty(), "{}", mismatched.join("\n"));
}

#[test]
fn every_golden_output_has_its_sample() {
    let samples: Vec<PathBuf> = samples().iter().map(|s| golden_path(s)).collect();
    let dir = Path::new(ROOT).join("tests/golden");
    for entry in walkdir::WalkDir::new(&dir) {
        let entry = entry.expect("tests/golden is readable");
        if entry.file_type().is_file() {
            assert!(
                samples.contains(&entry.path().to_path_buf()),
                "{}: no sample of that name is left in samples/",
                entry.path().display()
            );
        }
    }
}
