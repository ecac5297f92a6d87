//! The files beside the followed ones (their rotated names, and
//! `[tail] rotated_dirs`), judged by identity and content: a file there
//! whose content no followed, checkpointed or let-go file accounts for, and
//! that was not there before counting began, holds lines that were written
//! and rotated away before any follower read them (a file created, written
//! and copied or renamed away between two looks, or while errscope was
//! down). It is read whole, once.
//!
//! Every file judged is remembered by identity and fingerprint in the
//! checkpoint, so a restart tells a new file from an old one by what it
//! is, not by its age. A file is judged once it has been seen unknown on
//! two looks at least [`CONFIRM`] apart and has not been modified for as
//! long (a copy or gzip still being written is not judged on its first
//! bytes), and never while a live file still starts as it does (a
//! copytruncate copy of content its follower is about to read, or has
//! read but not reported yet).

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use super::aggregator::{named_tally, Aggregator};
use super::checkpoint::{Beside, FileEntry, SeenFile};
use super::rotation::{dir_of, is_rotated_name};
use crate::input::tail::{FileKey, Fingerprint, Head};

/// How often the files beside the followed ones are looked at.
pub(super) const LOOK_EVERY: Duration = Duration::from_millis(250);
/// How long a file must stay unknown (and unmodified) before it is read.
pub(super) const CONFIRM: Duration = Duration::from_millis(500);
/// Bases remembered, at most (each is one name in a directory listing).
const MAX_BASES: usize = 10_000;

/// How a look treats the unknown files it finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Look {
    /// There before counting began: remembered, never read.
    Baseline,
    /// Baseline for files not modified since `SystemTime` (siblings of an
    /// input first seen while running, older than the listing before it).
    BaselineOlderThan(SystemTime),
    /// Judged: read whole once confirmed unknown.
    Judge,
}

/// The aggregator's memory of the files beside the followed ones.
#[derive(Debug, Default)]
pub(super) struct BesideWatch {
    /// Absolute paths the inputs have named.
    pub(super) bases: HashSet<PathBuf>,
    pub(super) seen: HashMap<FileKey, SeenFile>,
    /// Unknown files, since when.
    pending: HashMap<FileKey, Instant>,
    /// The checkpoint this run started from had no such memory: a restart
    /// judges the files beside by their age, as before it was kept.
    pub(super) legacy: bool,
}

impl BesideWatch {
    pub(super) fn from_checkpoint(beside: Option<Beside>) -> BesideWatch {
        let legacy = beside.is_none();
        let beside = beside.unwrap_or_default();
        BesideWatch {
            bases: beside.bases.into_iter().collect(),
            seen: beside.seen.into_iter().map(|s| (s.key, s)).collect(),
            pending: HashMap::new(),
            legacy,
        }
    }

    pub(super) fn to_checkpoint(&self) -> Beside {
        let mut bases: Vec<PathBuf> = self.bases.iter().cloned().collect();
        bases.sort();
        let mut seen: Vec<SeenFile> = self.seen.values().cloned().collect();
        seen.sort_by_key(|s| s.key);
        Beside { bases, seen }
    }

    /// Adds an absolute base path; whether it is new.
    pub(super) fn add_base(&mut self, base: PathBuf) -> bool {
        if self.bases.len() >= MAX_BASES || self.bases.contains(&base) {
            return false;
        }
        self.bases.insert(base)
    }

    /// Whether some judged file's content starts as `head` does.
    fn knows(&self, head: &[u8]) -> bool {
        self.seen
            .values()
            .any(|s| !s.fingerprint.is_empty() && s.fingerprint.matches(head))
    }
}

/// Whose content a file beside the followed ones holds.
enum Stream {
    /// A followed (or checkpointed, not yet resumed) file's.
    Followed,
    /// Judged before, or there before counting began: nothing to read.
    Old,
    /// A file let go at `offset` (`state.released[index]`).
    LetGo { index: usize, offset: u64 },
    /// Nobody's: written and rotated away before it was read.
    Unknown,
}

/// A file found beside a base.
struct Found {
    path: PathBuf,
    /// The base it is a rotation of.
    base: PathBuf,
    key: FileKey,
    len: u64,
    modified: SystemTime,
}

fn nanos(time: SystemTime) -> i128 {
    match time.duration_since(SystemTime::UNIX_EPOCH) {
        Ok(d) => d.as_nanos() as i128,
        Err(e) => -(e.duration().as_nanos() as i128),
    }
}

impl Aggregator {
    /// Looks at the files beside the followed ones; see the module.
    pub(super) fn look_beside(&mut self, look: Look) {
        if self.stopping || self.settings.patterns.is_empty() {
            return;
        }
        let found = self.list_beside(None);
        let here: HashSet<FileKey> = found.iter().map(|f| f.key).collect();
        let mut changed = false;
        for file in found {
            changed |= self.judge(file, look);
        }
        // Judged after the listing, forgotten after the judging: a file
        // compressed since the last look (its plain twin just deleted) is
        // still recognised by the twin's fingerprint.
        let before = self.beside.seen.len();
        self.beside.seen.retain(|k, _| here.contains(k));
        self.beside.pending.retain(|k, _| here.contains(k));
        if changed || self.beside.seen.len() != before {
            self.dirty = true;
        }
    }

    /// Remembers the files beside `bases` (new bases) as they are now,
    /// reading none of them (`Look::Baseline*`).
    pub(super) fn baseline_beside(&mut self, bases: &HashSet<PathBuf>, look: Look) {
        for file in self.list_beside(Some(bases)) {
            self.judge(file, look);
        }
        self.dirty = true;
    }

    /// Regular files named as rotations of a base (beside it, or in a
    /// rotated directory, where they may keep the base's own name); only
    /// those of `only` when given.
    fn list_beside(&self, only: Option<&HashSet<PathBuf>>) -> Vec<Found> {
        let mut by_dir: HashMap<PathBuf, Vec<(&str, &PathBuf)>> = HashMap::new();
        let bases = self
            .beside
            .bases
            .iter()
            .filter(|b| only.is_none_or(|o| o.contains(*b)));
        let mut names: Vec<(&str, &PathBuf)> = Vec::new();
        for base in bases {
            let Some(name) = base.file_name().and_then(|n| n.to_str()) else {
                continue;
            };
            by_dir.entry(dir_of(base)).or_default().push((name, base));
            names.push((name, base));
        }
        let mut dirs: Vec<(PathBuf, bool)> = by_dir.keys().map(|d| (d.clone(), true)).collect();
        for dir in self.rotated_dirs.iter() {
            if !by_dir.contains_key(dir) {
                dirs.push((dir.clone(), false));
            }
        }
        let mut found = Vec::new();
        for (dir, own) in dirs {
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let candidates: &[(&str, &PathBuf)] = if own { &by_dir[&dir] } else { &names };
            for entry in entries.flatten() {
                let file_name = entry.file_name();
                let Some(name) = file_name.to_str() else {
                    continue;
                };
                // In its own directory the base itself is the live file.
                let base = candidates.iter().find(|(b, base)| {
                    is_rotated_name(b, name) || (*b == name && dir_of(base) != dir)
                });
                let Some((_, base)) = base else {
                    continue;
                };
                let path = entry.path();
                let Ok(meta) = std::fs::metadata(&path) else {
                    continue;
                };
                if !meta.is_file() {
                    continue;
                }
                found.push(Found {
                    key: FileKey::of(&meta),
                    len: meta.len(),
                    modified: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
                    base: (*base).clone(),
                    path,
                });
            }
        }
        found
    }

    /// Judges one file; whether the memory changed.
    fn judge(&mut self, found: Found, look: Look) -> bool {
        let key = found.key;
        if self.by_key.contains_key(&key) || self.loaded.contains_key(&key) {
            self.beside.pending.remove(&key);
            return false;
        }
        if let Some(seen) = self.beside.seen.get(&key) {
            if seen.len == found.len && seen.modified == nanos(found.modified) {
                return false;
            }
        }
        let Ok(file) = File::open(&found.path) else {
            return false;
        };
        let Ok(head) = Head::read(&file) else {
            return false;
        };
        let remember = |fingerprint: Fingerprint| SeenFile {
            key,
            fingerprint,
            len: found.len,
            modified: nanos(found.modified),
        };
        if let Some(seen) = self.beside.seen.get_mut(&key) {
            // Grown, or touched: the same file while it starts the same
            // (an inode reused by other content does not).
            if !seen.fingerprint.is_empty() && seen.fingerprint.matches(&head.bytes) {
                *seen = remember(seen.fingerprint);
                return true;
            }
            self.beside.seen.remove(&key);
        }
        if head.bytes.is_empty() {
            // Being created: looked at again next time.
            return false;
        }
        let baseline = match look {
            Look::Baseline => true,
            Look::BaselineOlderThan(t) => found.modified < t,
            Look::Judge => false,
        };
        let stream = if baseline {
            Stream::Old
        } else {
            self.stream_of(&head.bytes)
        };
        let from = match stream {
            // Its follower reads what it did not yet, from the copy, when it
            // finds its file truncated; judged again once it let go.
            Stream::Followed => {
                self.beside.pending.remove(&key);
                return false;
            }
            Stream::Old => {
                self.beside.pending.remove(&key);
                self.beside.seen.insert(key, remember(head.fingerprint()));
                return true;
            }
            Stream::LetGo { index, offset } => {
                if !head.gzip && offset >= found.len {
                    self.beside.pending.remove(&key);
                    self.beside.seen.insert(key, remember(head.fingerprint()));
                    return true;
                }
                Some(index)
            }
            Stream::Unknown => None,
        };
        if look != Look::Judge || self.live_starts_as(&found.path, &head.bytes) {
            return false;
        }
        let now = Instant::now();
        let since = *self.beside.pending.entry(key).or_insert(now);
        let quiet = found.modified.elapsed().is_ok_and(|age| age >= CONFIRM);
        if since.elapsed() < CONFIRM || !quiet {
            return false;
        }
        self.beside.pending.remove(&key);
        self.beside.seen.insert(key, remember(head.fingerprint()));
        // Where reading starts: on from a let-go file's offset (the rest of
        // it, before it was read to its end, is here), else at 0.
        let (name, offset, lines) = match from {
            Some(index) => {
                let released = self.state.released.remove(index);
                tracing::info!(
                    "tail: {}: holds {} past offset {}; read on from there",
                    found.path.display(),
                    released.path,
                    released.offset
                );
                (released.name, released.offset, released.lines)
            }
            None => {
                tracing::info!(
                    "tail: {}: rotated from {} before it was read; read whole",
                    found.path.display(),
                    found.base.display()
                );
                let name = self
                    .name_of_base(&found.base)
                    .unwrap_or_else(|| found.base.display().to_string());
                (name, 0, 0)
            }
        };
        let entry = FileEntry {
            key,
            fingerprint: head.fingerprint(),
            path: found.path.display().to_string(),
            tally: named_tally(&name),
            name,
            offset,
            lines,
            location: None,
            origin: Some(found.base.clone()),
            gzip: head.gzip,
        };
        self.follow_rotated(&found.path, file, entry);
        true
    }

    /// Whose content a file beside holds (`head`, its first bytes). A
    /// fingerprint is of the content a follower saw, which may reach past
    /// what it read: only the offset says what was counted.
    fn stream_of(&self, head: &[u8]) -> Stream {
        let holds =
            |fingerprint: &Fingerprint| !fingerprint.is_empty() && fingerprint.matches(head);
        if self.followers.values().any(|f| holds(&f.entry.fingerprint))
            || self.loaded.values().any(|e| holds(&e.fingerprint))
        {
            return Stream::Followed;
        }
        let let_go = self
            .state
            .released
            .iter()
            .rposition(|r| holds(&r.fingerprint));
        if let Some(index) = let_go {
            let offset = self.state.released[index].offset;
            return Stream::LetGo { index, offset };
        }
        if self.beside.knows(head) {
            return Stream::Old;
        }
        Stream::Unknown
    }

    /// Whether a live file at a base (followed or not yet) starts as
    /// `head` does: its content is still to be read there.
    fn live_starts_as(&self, path: &Path, head: &[u8]) -> bool {
        self.beside.bases.iter().filter(|b| *b != path).any(|base| {
            File::open(base)
                .and_then(|f| Head::read_plain(&f))
                .is_ok_and(|live| Head::same_start(&live.bytes, head))
        })
    }

    /// The name counts of `base` are kept under: a followed file's name.
    fn name_of_base(&self, base: &Path) -> Option<String> {
        self.followers
            .values()
            .find(|f| {
                f.entry.origin.as_deref() == Some(base) || f.entry.location.as_deref() == Some(base)
            })
            .map(|f| f.entry.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_memory_round_trips_through_the_checkpoint() {
        let mut watch = BesideWatch::from_checkpoint(None);
        assert!(watch.legacy);
        assert!(watch.add_base("/var/log/app.log".into()));
        assert!(!watch.add_base("/var/log/app.log".into()));
        let key = FileKey { dev: 1, inode: 9 };
        watch.seen.insert(
            key,
            SeenFile {
                key,
                fingerprint: Fingerprint::of(b"old line\n"),
                len: 9,
                modified: 5,
            },
        );
        assert!(watch.knows(b"old line\nand more"));
        assert!(!watch.knows(b"other"));
        let back = BesideWatch::from_checkpoint(Some(watch.to_checkpoint()));
        assert!(!back.legacy);
        assert_eq!(back.bases, watch.bases);
        assert_eq!(back.seen, watch.seen);
    }

    #[test]
    fn times_before_the_epoch_keep_their_order() {
        let epoch = SystemTime::UNIX_EPOCH;
        let before = epoch - Duration::from_secs(1);
        assert!(nanos(before) < nanos(epoch));
        assert_eq!(nanos(epoch + Duration::from_nanos(3)), 3);
    }
}
