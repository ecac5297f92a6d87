//! Failure injection on `errscope tail` with the real binary: a followed
//! file deleted or replaced by a directory, a full disk under the state
//! directory, a damaged checkpoint. Each must end in a clear message naming
//! the file, with counting going on — never a panic, never a silent loss or
//! a silent restart from zero. Waits are deadlines with polling.

mod common;

use std::fs::{self};
use std::path::Path;
use std::process::Command;

use common::append;
use common::tailing::LiveTail;
use serde_json::Value;

const ERROR: &str = r#"2026-11-20T10:00:00Z ERROR [ocr] failed: {"status":400,"message":"Authentication failed","code":1200,"response":null}"#;
const NOISE: &str = "2026-11-20T10:00:00Z INFO request done status=200";

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// `errors` error lines, each followed by `noise` noise lines.
fn lines(errors: usize, noise: usize) -> String {
    let mut text = String::new();
    for _ in 0..errors {
        text.push_str(ERROR);
        text.push('\n');
        for _ in 0..noise {
            text.push_str(NOISE);
            text.push('\n');
        }
    }
    text
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| o.stdout.starts_with(b"0\n"))
        .unwrap_or(false)
}

#[test]
fn a_file_deleted_while_being_read_is_released_and_its_counts_kept() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let big = logs.join("big.log");
    let other = logs.join("other.log");
    // Large enough that reading it takes a while.
    fs::write(&big, lines(20_000, 9)).unwrap();
    fs::write(&other, lines(1, 0)).unwrap();
    let tail = LiveTail::start(&[
        format!("{}/*.log", logs.display()),
        "--from-beginning".into(),
        "--state-dir".into(),
        s(&dir.path().join("state")),
    ]);
    let read_before = tail.total("lines");
    fs::remove_file(&big).unwrap();
    eprintln!("deleted after {read_before} of 200001 lines were counted");
    // Everything written before the deletion is counted (the open
    // descriptor still reads the unlinked file to its end) ...
    tail.wait_totals(20_001, 200_001);
    // ... and the descriptor is then closed.
    tail.wait_until("the deleted file to be released", || {
        !tail.open_files(&logs).iter().any(|p| p.contains("big.log"))
    });
    append(&other, &lines(1, 0));
    tail.wait_totals(20_002, 200_002);
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], 20_002);
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
}

#[test]
fn a_file_replaced_by_a_directory_is_named_and_the_rest_still_counted() {
    let dir = tempfile::tempdir().unwrap();
    let logs = dir.path().join("logs");
    fs::create_dir(&logs).unwrap();
    let (a, b) = (logs.join("a.log"), logs.join("b.log"));
    fs::write(&a, lines(2, 1)).unwrap();
    fs::write(&b, lines(1, 1)).unwrap();
    let tail = LiveTail::start(&[
        s(&a),
        s(&b),
        "--from-beginning".into(),
        "--state-dir".into(),
        s(&dir.path().join("state")),
    ]);
    tail.wait_totals(3, 6);
    fs::remove_file(&a).unwrap();
    fs::create_dir(&a).unwrap();
    tail.wait_until("a warning naming the replaced file", || {
        tail.stderr().contains(&format!(
            "{}: the followed file was replaced by a directory",
            s(&a)
        ))
    });
    append(&b, &lines(2, 0));
    tail.wait_totals(5, 8);
    tail.wait_until("the old file to be released", || {
        tail.open_files(&logs).len() == 1
    });
    let (status, last, out) = tail.terminate();
    assert!(status.success(), "{status}: {}", out.stderr);
    assert_eq!(last["total"]["errors"], 5);
    assert_eq!(
        out.stderr.matches("replaced by a directory").count(),
        1,
        "said once: {}",
        out.stderr
    );
}

/// The state directory on a 16 KiB tmpfs in a private mount namespace:
/// the whole tail run happens inside it (a script), the disk is filled
/// after the first checkpoint, more lines arrive.
#[test]
fn a_full_state_disk_is_named_counting_goes_on_and_the_checkpoint_stays_intact() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let log = p.join("app.log");
    fs::write(&log, lines(3, 1)).unwrap();
    let saved = p.join("saved");
    fs::create_dir(&saved).unwrap();
    let script = r#"
        set -u
        mnt="$1"; bin="$2"; log="$3"; saved="$4"; more="$5"
        mkdir -p "$mnt" && mount -t tmpfs -o size=16k tmpfs "$mnt" || exit 77
        # Waits (deadline ~30 s) until the command succeeds.
        until_ok() { i=0; until eval "$1"; do i=$((i+1)); [ $i -ge 300 ] && return 1; sleep 0.1; done; }
        "$bin" tail --format ndjson --interval 200ms --from-beginning --state-dir "$mnt" "$log" \
            > "$saved/out" 2> "$saved/err" &
        pid=$!
        state="$mnt/tail-state.json"
        until_ok 'grep -q "\"lines\":6" "$state" 2>/dev/null' || echo "no first checkpoint" >> "$saved/problems"
        cp "$state" "$saved/before.json"
        dd if=/dev/zero of="$mnt/filler" bs=1k count=64 2> /dev/null
        printf '%s' "$more" >> "$log"
        until_ok 'grep -q "tail-state.json" "$saved/err"' || echo "no warning" >> "$saved/problems"
        until_ok 'tail -n 1 "$saved/out" | grep -q "\"lines\":10,"' || echo "not counted" >> "$saved/problems"
        cp "$state" "$saved/during.json"
        kill -TERM $pid
        wait $pid
        echo $? > "$saved/rc"
        cp "$state" "$saved/after.json"
        rm -f "$mnt/filler"
        ls -A "$mnt" > "$saved/listing"
    "#;
    let mnt = p.join("mnt");
    let mut command = Command::new("unshare");
    if !is_root() {
        command.arg("--map-root-user");
    }
    let status = command
        .args(["--mount", "sh", "-c", script, "sh"])
        .args([
            s(&mnt),
            env!("CARGO_BIN_EXE_errscope").to_owned(),
            s(&log),
            s(&saved),
            lines(2, 1),
        ])
        .status()
        .unwrap();
    assert!(
        status.success(),
        "could not set up a small tmpfs (unshare/mount): {status:?}"
    );
    let read = |name: &str| fs::read_to_string(saved.join(name)).unwrap_or_default();
    let err = read("err");
    assert_eq!(
        read("problems"),
        "",
        "stderr: {err}\nstdout: {}",
        read("out")
    );
    // A warning naming the state file.
    assert!(
        err.contains("tail-state.json") && err.contains("No space left on device"),
        "{err}"
    );
    // Counting went on: the final summary has every line.
    let last: Value = read("out")
        .lines()
        .rev()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|d| d["type"] == "summary")
        .unwrap_or_else(|| panic!("no summary: {}", read("out")));
    assert_eq!(last["final"], true, "{last}");
    assert_eq!(last["total"]["errors"], 5, "{last}");
    assert_eq!(last["total"]["lines"], 10, "{last}");
    // The previous checkpoint stays whole (not truncated, still valid),
    // and no temp file is left behind.
    let before = read("before.json");
    assert_eq!(read("during.json"), before);
    assert_eq!(read("after.json"), before);
    let state: Value = serde_json::from_str(&before).expect("a valid checkpoint");
    assert_eq!(state["files"][0]["offset"], lines(3, 1).len());
    assert_eq!(read("listing").trim(), "tail-state.json");
    // The final checkpoint could not be written: said, and the exit says so.
    assert_eq!(read("rc").trim(), "2", "{err}");
}

/// A checkpoint cut short (a crash of the disk, not of errscope: writes
/// are atomic) and one overwritten with binary garbage: each is named,
/// moved aside byte for byte, and the restart from zero is said.
#[test]
fn a_damaged_checkpoint_is_named_moved_aside_and_the_fresh_start_said() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("app.log");
    let state = dir.path().join("state");
    fs::write(&log, lines(4, 1)).unwrap();
    let args = [s(&log), "--state-dir".into(), s(&state)];
    let mut first = args.to_vec();
    first.push("--from-beginning".into());
    let tail = LiveTail::start(&first);
    tail.wait_totals(4, 8);
    let (status, _, _) = tail.terminate();
    assert!(status.success());
    let path = state.join("tail-state.json");
    let good = fs::read(&path).unwrap();

    for (n, damaged) in [
        good[..good.len() / 2].to_vec(),
        vec![0xff, 0x00, 0x13, 0x37, 0xfe, b'\n'],
    ]
    .into_iter()
    .enumerate()
    {
        fs::write(&path, &damaged).unwrap();
        let tail = LiveTail::start(&args);
        let err = tail.stderr();
        assert!(
            err.contains(&format!("{}: unusable checkpoint", s(&path))),
            "{err}"
        );
        assert!(
            err.contains("moved aside") && err.contains("counting starts again from zero"),
            "the fresh start is said: {err}"
        );
        let aside = if n == 0 {
            state.join("tail-state.json.corrupt")
        } else {
            state.join("tail-state.json.corrupt.1")
        };
        assert_eq!(fs::read(&aside).unwrap(), damaged, "moved aside as it was");
        // Counting restarts from zero at the file's end (as on a first
        // start), and a valid checkpoint is written again.
        append(&log, &lines(1, 0));
        tail.wait_until("the new line", || tail.total("errors") == 1);
        let (status, last, _) = tail.terminate();
        assert!(status.success());
        assert_eq!(last["total"]["errors"], 1);
        let fresh: Value = serde_json::from_slice(&fs::read(&path).unwrap()).unwrap();
        assert_eq!(fresh["version"], 1);
    }
}
