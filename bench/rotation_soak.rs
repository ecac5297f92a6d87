//! Soak of the exactly-once property test's generator
//! (`tests/tail_rotation.rs`): cases of appends, rename and copytruncate
//! rotations, real `logrotate -f` runs (create, copytruncate,
//! compress + delaycompress, compress, copytruncate + compress, dateext,
//! olddir), `kill -9` and restarts (some from another working directory)
//! and deletions of the oldest rotated file, played against the release
//! binary until at least `--actions` actions have run. Prints the figures:
//! cases, kills, rotations, lost, doubled, and the copytruncate window.
//!
//! ```sh
//! cargo build --release && cargo run --release --example rotation_soak -- --actions 10000
//! ```
//!
//! Options: `--actions N` (default 10000), `--seed N` (default 1),
//! `--glob-all SHARE` (cases whose inputs match rotated names too; 0),
//! `--errscope PATH` (default: the `errscope` beside this example's
//! directory, i.e. `target/release/errscope`). Exits 1 if any case lost or
//! doubled a line (the copytruncate window apart); such a case is printed.
//!
//! `--replay FILE` plays a printed case (its lines from `schemes [...]` on)
//! `--times N` times (default 20) instead, and prints each outcome: races
//! are rare, a case that failed once may pass many times.

#[path = "../tests/rotation/mod.rs"]
mod rotation;

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use proptest::strategy::{Strategy, ValueTree};
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};
use rotation::{find_on_path, Driver, Outcome};

fn main() -> ExitCode {
    let mut actions = 10_000usize;
    let mut seed = 1u64;
    let mut errscope: Option<PathBuf> = None;
    let mut glob_all = 0.0f64;
    let mut replay: Option<PathBuf> = None;
    let mut times = 20usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        let value = args.next();
        match (arg.as_str(), value) {
            ("--actions", Some(v)) => actions = v.parse().unwrap_or(actions),
            ("--seed", Some(v)) => seed = v.parse().unwrap_or(seed),
            ("--errscope", Some(v)) => errscope = Some(v.into()),
            ("--glob-all", Some(v)) => glob_all = v.parse().unwrap_or(glob_all),
            ("--replay", Some(v)) => replay = Some(v.into()),
            ("--times", Some(v)) => times = v.parse().unwrap_or(times),
            _ => {
                eprintln!(
                    "usage: rotation_soak [--actions N] [--seed N] [--glob-all SHARE] [--errscope PATH] [--replay FILE [--times N]]"
                );
                return ExitCode::from(2);
            }
        }
    }
    let errscope = errscope.unwrap_or_else(|| {
        let exe = std::env::current_exe().unwrap_or_default();
        // target/release/examples/rotation_soak → target/release/errscope
        exe.parent()
            .and_then(|p| p.parent())
            .map(|p| p.join("errscope"))
            .unwrap_or_else(|| "errscope".into())
    });
    // Cases run errscope from other working directories.
    let errscope = errscope.canonicalize().unwrap_or(errscope);
    if !errscope.is_file() {
        eprintln!(
            "{}: not found; run `cargo build --release` first or pass --errscope",
            errscope.display()
        );
        return ExitCode::from(2);
    }
    let logrotate = find_on_path("logrotate");
    if logrotate.is_none() {
        eprintln!("logrotate is not on PATH: its actions are skipped");
    }
    let driver = Driver {
        errscope,
        logrotate,
        deadline: Duration::from_secs(10),
    };
    if let Some(file) = replay {
        let case = match std::fs::read_to_string(&file)
            .map_err(|e| e.to_string())
            .and_then(|text| rotation::Case::parse(&text))
        {
            Ok(case) => case,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::from(2);
            }
        };
        let mut sum = Outcome::default();
        for _ in 0..times {
            let outcome = driver.run(&case);
            println!("{outcome}");
            if !outcome.exact() {
                println!("stderr:\n{}", outcome.stderr);
            }
            sum.add(&outcome);
        }
        println!("replayed {}: {}", file.display(), sum.figures());
        return if sum.failed == 0 {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    let mut bytes = [0u8; 32];
    bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &bytes),
    );
    let strategy = rotation::case(10, 40, glob_all);
    let mut sum = Outcome::default();
    let started = Instant::now();
    let mut failed = false;
    while sum.actions < actions {
        let case = match strategy.new_tree(&mut runner) {
            Ok(tree) => tree.current(),
            Err(e) => {
                eprintln!("generating a case: {e}");
                return ExitCode::from(2);
            }
        };
        let outcome = driver.run(&case);
        sum.add(&outcome);
        if !outcome.exact() {
            failed = true;
            println!(
                "FAILED case:\n{case:?}{outcome}\ntrace: {:?}\nstderr:\n{}",
                outcome.trace, outcome.stderr
            );
        }
        if sum.cases % 25 == 0 {
            println!(
                "{:>6.0}s  {}",
                started.elapsed().as_secs_f64(),
                sum.figures()
            );
        }
    }
    println!(
        "rotation soak, seed {seed}, {:.0}s: {}",
        started.elapsed().as_secs_f64(),
        sum.figures()
    );
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
