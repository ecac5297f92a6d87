//! `errscope tail` on Kubernetes CRI files, end to end: a `P` piece at the
//! end of a followed file waits for its `F`; a last `P` that never gets one
//! is counted at rotation, or at shutdown when no checkpoint keeps it for a
//! next run; never twice. Waits are deadlines with polling.

use std::fs;
use std::path::Path;

use proptest::prelude::*;

mod common;

use common::append;
use common::tailing::LiveTail as Tail;

const CODAT: &str = r#"{"statusCode":429,"service":"PublicApi","error":"Too Many Requests","correlationId":"7f3e9c2a"}"#;
const OCROLUS: &str =
    r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#;

fn cri(stream: &str, tag: char, content: &str) -> String {
    format!("2026-11-20T10:15:02.123456789Z {stream} {tag} {content}\n")
}

fn content() -> String {
    format!("2026-11-20T10:15:02.100Z ERROR [codat] sync failed: {CODAT} retrying")
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    /// The stderr line cut at any byte, its first piece last in the file:
    /// nothing after it is counted until its `F` arrives (the other
    /// stream's body written meanwhile included), then each error once.
    #[test]
    fn a_piece_at_the_end_waits_for_its_f(at in 0usize..200) {
        let content = content();
        let at = at.min(content.len());
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("0.log");
        append(&log, &cri("stdout", 'F', "INFO started"));
        append(&log, &cri("stderr", 'P', &content[..at]));
        let args = vec![s(&log), "--from-beginning".into(), "--state-dir".into(), s(&dir.path().join("state"))];
        let tail = Tail::start(&args);
        // The line before the piece is counted; the piece waits.
        tail.wait_totals(0, 1);
        append(&log, &cri("stdout", 'F', &format!("ERROR ocrolus said {OCROLUS}")));
        append(&log, &cri("stderr", 'F', &content[at..]));
        tail.wait_totals(2, 4);
        let (status, last, _) = tail.terminate();
        prop_assert!(status.success());
        prop_assert_eq!(&last["total"]["errors"], 2);
        let codes: Vec<&str> = last["total"]["top"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|row| row["code"].as_str())
            .collect();
        prop_assert!(codes.contains(&"Too Many Requests") && codes.contains(&"1200"), "{:?}", codes);
    }
}

/// A last `P` whose file is rotated away is counted when the old file is
/// finished, once, and stays counted once after a restart.
#[test]
fn a_last_piece_is_counted_at_rotation() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("0.log");
    let state = dir.path().join("state");
    append(&log, &cri("stdout", 'F', "INFO started"));
    append(&log, &cri("stderr", 'P', &content()));
    let args = vec![
        s(&log),
        "--from-beginning".into(),
        "--state-dir".into(),
        s(&state),
    ];
    let tail = Tail::start(&args);
    tail.wait_totals(0, 1);
    // The kubelet rotates 0.log to 0.log.<time> and the runtime reopens 0.log.
    fs::rename(&log, dir.path().join("0.log.20261120-101502")).unwrap();
    append(&log, &cri("stdout", 'F', "INFO reopened"));
    tail.wait_totals(1, 3);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 1);

    let tail = Tail::start(&args);
    assert_eq!(tail.total_errors(), 1, "restored, not counted again");
    append(&log, &cri("stdout", 'F', "INFO more"));
    tail.wait_totals(1, 4);
    let (_, last, _) = tail.terminate();
    assert_eq!(last["total"]["errors"], 1);
}

/// At shutdown with checkpoints, a last `P` is kept for the next run (the
/// checkpoint stops before it), which joins it with its `F`: one count.
/// Without checkpoints nothing is kept, so it is counted at shutdown.
#[test]
fn a_last_piece_at_shutdown_is_kept_or_counted_never_lost() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("0.log");
    let state = dir.path().join("state");
    let content = content();
    let (head, rest) = content.split_at(content.find("Many").unwrap());
    append(&log, &cri("stdout", 'F', "INFO started"));
    append(&log, &cri("stderr", 'P', head));
    let args = vec![
        s(&log),
        "--from-beginning".into(),
        "--state-dir".into(),
        s(&state),
    ];
    let tail = Tail::start(&args);
    tail.wait_totals(0, 1);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 0);
    let saved: serde_json::Value =
        serde_json::from_slice(&fs::read(state.join("tail-state.json")).unwrap()).unwrap();
    let before_piece = cri("stdout", 'F', "INFO started").len();
    assert_eq!(saved["files"][0]["offset"], before_piece as u64);

    let tail = Tail::start(&args);
    append(&log, &cri("stdout", 'F', "INFO between"));
    append(&log, &cri("stderr", 'F', rest));
    tail.wait_totals(1, 4);
    let (_, last, _) = tail.terminate();
    assert_eq!(last["total"]["errors"], 1);

    // No checkpoints: a whole body in a last `P` is counted at shutdown.
    let other = dir.path().join("1.log");
    append(&other, &cri("stdout", 'F', "INFO started"));
    append(&other, &cri("stderr", 'P', &content));
    let tail = Tail::start(&[s(&other), "--from-beginning".into()]);
    tail.wait_totals(0, 1);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    assert_eq!(last["total"]["errors"], 1);
    assert_eq!(last["total"]["lines"], 2);
}

/// `tail --by namespace,pod`: the summary's rows carry the pod's labels.
#[test]
fn summaries_group_by_path_labels() {
    let dir = tempfile::tempdir().unwrap();
    let mut patterns = Vec::new();
    for (pod, errors) in [
        ("billing_invoice-api-7c9f_0d1e", 2),
        ("payouts_payout-5d9c_3f4a", 1),
    ] {
        let at = dir.path().join("var/log/pods").join(pod).join("api");
        fs::create_dir_all(&at).unwrap();
        let log = at.join("0.log");
        append(
            &log,
            &cri("stderr", 'F', &format!("ERROR {CODAT}")).repeat(errors),
        );
        patterns.push(s(&log));
    }
    let mut args = patterns;
    args.extend([
        "--from-beginning".into(),
        "--by".into(),
        "namespace,pod".into(),
    ]);
    let tail = Tail::start(&args);
    tail.wait_total(3);
    let (status, last, _) = tail.terminate();
    assert!(status.success());
    let top = last["total"]["top"].as_array().unwrap();
    assert_eq!(top.len(), 2, "{top:?}");
    assert_eq!(
        (&top[0]["namespace"], &top[0]["pod"], &top[0]["count"]),
        (&"billing".into(), &"invoice-api-7c9f".into(), &2.into())
    );
    assert_eq!(
        (&top[1]["namespace"], &top[1]["pod"], &top[1]["code"]),
        (
            &"payouts".into(),
            &"payout-5d9c".into(),
            &"Too Many Requests".into()
        )
    );
    // Grouping by the day makes no sense for a live summary.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_errscope"))
        .args(["tail", "--by", "day", "x.log"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--by day"));
}
