//! The `tail` checkpoint: for each followed file identity, the offset of
//! what has been counted together with the counts that offset accounts
//! for, written atomically (temp file, fsync, rename, fsync of the
//! directory) so that a restart after a crash resumes with nothing lost and
//! nothing counted twice.

use std::io::{self, Write};
use std::path::{Path, PathBuf};

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::aggregate::Tally;
use crate::input::tail::identity::{FileKey, Fingerprint};
use crate::output::atomic;

/// The state file's name inside the state directory.
pub const STATE_FILE: &str = "tail-state.json";
/// Its format version; another version is not read.
pub const VERSION: u32 = 1;

#[derive(Debug, thiserror::Error)]
pub enum CheckpointError {
    #[error("{path}: cannot read the checkpoint: {source}")]
    Read {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("{path}: cannot write the checkpoint: {source}")]
    Write {
        path: String,
        #[source]
        source: io::Error,
    },
}

/// Everything `tail` has counted, by where it came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub version: u32,
    /// When this state directory was first used.
    pub created: Timestamp,
    pub written: Timestamp,
    /// Files being followed.
    pub files: Vec<FileEntry>,
    /// Counts of files let go (rotated away, deleted, content replaced)
    /// and of stdin: final.
    pub retired: Tally,
    /// Identities let go, with how far they were read, so a file found
    /// again (renamed into the inputs, or a restart) continues there.
    pub released: Vec<ReleasedFile>,
    /// The rotated files beside the followed ones, as last judged (absent
    /// in a checkpoint written before they were kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beside: Option<Beside>,
}

/// What is known of the files beside the followed ones (rotated names,
/// `[tail] rotated_dirs`), so a new one is told from an old one by its
/// identity and content, not by its age.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Beside {
    /// Absolute paths the inputs have named: their rotations are watched.
    pub bases: Vec<PathBuf>,
    /// Files judged: counted elsewhere, read, or there before counting began.
    pub seen: Vec<SeenFile>,
}

/// A file beside a followed one, as it was when judged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SeenFile {
    #[serde(flatten)]
    pub key: FileKey,
    /// Of its (decompressed) first bytes.
    pub fingerprint: Fingerprint,
    pub len: u64,
    /// Modification time, nanoseconds since the epoch.
    pub modified: i128,
}

impl State {
    pub fn new() -> State {
        let now = Timestamp::now();
        State {
            version: VERSION,
            created: now,
            written: now,
            files: Vec::new(),
            retired: Tally::default(),
            released: Vec::new(),
            beside: Some(Beside::default()),
        }
    }

    /// Everything counted: the retired counts plus each file's.
    pub fn total(&self) -> Tally {
        let mut total = self.retired.clone();
        for file in &self.files {
            total.merge(&file.tally);
        }
        total
    }
}

impl Default for State {
    fn default() -> Self {
        State::new()
    }
}

/// One followed file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileEntry {
    #[serde(flatten)]
    pub key: FileKey,
    pub fingerprint: Fingerprint,
    /// Where it was last seen.
    pub path: String,
    /// The name its counts are kept under (where it was first seen).
    pub name: String,
    /// Everything before this offset is counted in `tally`.
    pub offset: u64,
    /// Lines before `offset`, from the start of the content.
    pub lines: u64,
    /// Counts of this file since following began (`lines` and `bytes` are
    /// what was read of it).
    pub tally: Tally,
    /// Where it was last seen, absolute (`path` is as the inputs named it,
    /// maybe relative to another working directory): a restart looks for
    /// it beside this path when it is no longer there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub location: Option<PathBuf>,
    /// The live file it was first followed as, absolute: its rotations are
    /// looked for beside that.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub origin: Option<PathBuf>,
    /// Being read from a gzip file: `offset` and `lines` are those of the
    /// decompressed stream.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub gzip: bool,
}

impl FileEntry {
    /// Where to look for it: its absolute location, else its path.
    pub fn last_seen(&self) -> PathBuf {
        self.location
            .clone()
            .unwrap_or_else(|| PathBuf::from(&self.path))
    }
}

/// An identity let go.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReleasedFile {
    #[serde(flatten)]
    pub key: FileKey,
    pub fingerprint: Fingerprint,
    pub path: String,
    pub name: String,
    pub offset: u64,
    pub lines: u64,
    pub released: Timestamp,
    /// Let go because its content was replaced (copytruncate): a new file
    /// starting with the same bytes is the rotation's copy.
    #[serde(default)]
    pub truncated: bool,
}

/// Path of the state file in `dir`.
pub fn state_path(dir: &Path) -> PathBuf {
    dir.join(STATE_FILE)
}

/// Reads the state of `dir`. `Ok(None)` when there is none yet. A state
/// file that does not parse is moved aside as `*.corrupt` with a warning
/// naming it, and `Ok(None)` is returned: a fresh start, never a silent
/// one.
pub fn load(dir: &Path) -> Result<Option<State>, CheckpointError> {
    let path = state_path(dir);
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(source) => {
            return Err(CheckpointError::Read {
                path: path.display().to_string(),
                source,
            })
        }
    };
    let problem = match serde_json::from_slice::<State>(&text) {
        Ok(state) if state.version == VERSION => return Ok(Some(state)),
        Ok(state) => format!("version {} (this build reads {VERSION})", state.version),
        Err(e) => e.to_string(),
    };
    let aside = corrupt_name(&path);
    let moved = std::fs::rename(&path, &aside);
    tracing::warn!(
        "{}: unusable checkpoint ({problem}); {}; counting starts again from zero, and files present now start as on a first start (at their end unless --from-beginning)",
        path.display(),
        match moved {
            Ok(()) => format!("moved aside to {}", aside.display()),
            Err(e) => format!("could not move it aside: {e}"),
        }
    );
    Ok(None)
}

fn corrupt_name(path: &Path) -> PathBuf {
    let base = path.with_extension("json.corrupt");
    if !base.exists() {
        return base;
    }
    (1..)
        .map(|n| path.with_extension(format!("json.corrupt.{n}")))
        .find(|p| !p.exists())
        .unwrap_or(base)
}

/// Writes `state` atomically into `dir` (created if missing); a new state
/// file is readable by its owner only.
pub fn save(dir: &Path, state: &State) -> Result<(), CheckpointError> {
    let path = state_path(dir);
    let err = |source: io::Error| CheckpointError::Write {
        path: path.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(err)?;
    atomic::write(&path, atomic::PRIVATE, |file| {
        let mut out = io::BufWriter::new(file);
        serde_json::to_writer(&mut out, state).map_err(io::Error::other)?;
        out.write_all(b"\n")?;
        out.flush()
    })
    .map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Key;

    fn sample() -> State {
        let mut tally = Tally::default();
        tally.file_index("/var/log/app.log");
        tally.record(
            Key {
                vendor: "ocrolus".into(),
                code: "1200".into(),
                status: Some(400),
                hour: Some(495_000),
                file: 0,
            },
            Timestamp::from_second(1_782_000_000).ok(),
            "Authentication failed",
        );
        tally.lines = 10;
        tally.bytes = 900;
        let mut state = State::new();
        state.files.push(FileEntry {
            key: FileKey {
                dev: 2049,
                inode: u64::MAX - 1,
            },
            fingerprint: Fingerprint::of(b"2026-11-20 first line\n"),
            path: "/var/log/app.log".into(),
            name: "/var/log/app.log".into(),
            offset: 900,
            lines: 10,
            tally: tally.clone(),
            location: Some("/var/log/app.log".into()),
            origin: Some("/var/log/app.log".into()),
            gzip: false,
        });
        state.retired = tally;
        state.released.push(ReleasedFile {
            key: FileKey { dev: 1, inode: 2 },
            fingerprint: Fingerprint::default(),
            path: "/var/log/app.log.1".into(),
            name: "/var/log/app.log".into(),
            offset: 5,
            lines: 1,
            released: Timestamp::now(),
            truncated: true,
        });
        state.beside = Some(Beside {
            bases: vec!["/var/log/app.log".into()],
            seen: vec![SeenFile {
                key: FileKey { dev: 1, inode: 3 },
                fingerprint: Fingerprint::of(b"rotated\n"),
                len: 8,
                modified: 1_782_000_000_000_000_000,
            }],
        });
        state
    }

    #[test]
    fn round_trip() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        let state = sample();
        save(dir.path(), &state).unwrap();
        let back = load(dir.path()).unwrap().unwrap();
        assert_eq!(back, state);
        assert_eq!(back.total().errors(), 2);
        assert_eq!(back.total().lines, 20);
        // Only the state file is left: the temp file was renamed.
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, vec![STATE_FILE]);
    }

    #[test]
    fn corrupt_state_is_moved_aside() {
        let dir = tempfile::tempdir().unwrap();
        save(dir.path(), &sample()).unwrap();
        let path = state_path(dir.path());
        let text = std::fs::read(&path).unwrap();
        std::fs::write(&path, &text[..text.len() / 2]).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        assert!(!path.exists());
        assert!(dir.path().join("tail-state.json.corrupt").exists());
        // A second corrupt file does not overwrite the first.
        std::fs::write(&path, b"{}").unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
        assert!(dir.path().join("tail-state.json.corrupt.1").exists());
    }

    #[test]
    fn other_versions_are_not_read() {
        let dir = tempfile::tempdir().unwrap();
        let mut state = sample();
        state.version = 99;
        save(dir.path(), &state).unwrap();
        assert_eq!(load(dir.path()).unwrap(), None);
    }
}
