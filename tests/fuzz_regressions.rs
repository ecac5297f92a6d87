//! Replays the fuzz corpora (`fuzz/corpus/<target>/`) and every input that
//! once broke a fuzz target (`fuzz/artifacts-regressions/<target>/`)
//! through the same invariants the fuzz targets check. The checks are the
//! fuzz crate's own source, included here, so the two cannot drift apart.

#[allow(dead_code)]
#[path = "../fuzz/src/lib.rs"]
mod checks;

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut replayed = 0;
    for dir in ["corpus", "artifacts-regressions"] {
        let Ok(entries) = std::fs::read_dir(root.join(dir).join(target)) else {
            continue;
        };
        let mut paths: Vec<_> = entries.map(|e| e.unwrap().path()).collect();
        paths.sort();
        for path in paths {
            if path.file_name().unwrap().to_string_lossy().starts_with('.') {
                continue;
            }
            // A running fuzzer may replace corpus files under us.
            let Ok(data) = std::fs::read(&path) else {
                continue;
            };
            let outcome = std::panic::catch_unwind(|| check(&data));
            assert!(outcome.is_ok(), "{} fails its invariants", path.display());
            replayed += 1;
        }
    }
    assert!(replayed > 0, "no inputs for fuzz target `{target}`");
}

#[test]
fn extract_inputs_hold() {
    replay("extract", checks::check_extract);
}

#[test]
fn decode_inputs_hold() {
    replay("decode", checks::check_decode);
}

#[test]
fn timestamp_inputs_hold() {
    replay("timestamp", checks::check_timestamp);
}

#[test]
fn config_inputs_hold() {
    replay("config", checks::check_config);
}
