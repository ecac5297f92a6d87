//! What a restart makes of files rotated while errscope was down: a
//! checkpointed identity no longer at its last path is looked for beside
//! it (any name, and `[tail] rotated_dirs`), by inode when it was renamed
//! and by the fingerprint of its first bytes when it was copied or
//! compressed, and read from its checkpointed offset to its end before it
//! is let go; a rotated file beside a followed one that nothing known
//! accounts for and that was written while errscope was down is read
//! whole; one that is gone is named with its offset.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::aggregator::{Aggregator, PERSIST_EVERY};
use super::checkpoint::FileEntry;
use super::read_from::{read_from, Facts, ReadFrom, Saved, Unaccounted};
use super::rotation::{self, is_rotated_name, Candidate};
use crate::input::tail::discover;
use crate::input::tail::{Check, FileKey, Head};

/// Slack on "modified after the checkpoint" besides the re-listing
/// interval: file times come from a coarse clock.
const MTIME_SLACK: Duration = Duration::from_secs(2);

/// Where a checkpointed file's content is now.
struct Found {
    candidate: Candidate,
    gzip: bool,
}

impl Aggregator {
    /// Every checkpointed identity not at its last path any more (or whose
    /// content there was replaced, copytruncate): found beside it, it is
    /// followed from its offset and drained, as on a rotation seen live.
    pub(super) fn resume_rotated(&mut self) {
        let keys: Vec<FileKey> = self.loaded.keys().copied().collect();
        // What the inputs name now: there the listing resumes a file.
        let listed: HashSet<FileKey> = discover::list(&self.settings.patterns)
            .iter()
            .filter_map(|p| std::fs::metadata(p).ok())
            .filter(|m| m.is_file())
            .map(|m| FileKey::of(&m))
            .collect();
        for key in keys {
            let Some(entry) = self.loaded.get(&key) else {
                continue;
            };
            if !entry.gzip && listed.contains(&key) && still_there(entry) {
                continue;
            }
            let Some(found) = self.find_rotated(entry) else {
                continue;
            };
            let Some(mut entry) = self.loaded.remove(&key) else {
                continue;
            };
            let path = found.candidate.path.clone();
            tracing::info!(
                "tail: {}: rotated while errscope was down; read on from offset {} at {}",
                entry.last_seen().display(),
                entry.offset,
                path.display()
            );
            entry.key = found.candidate.key;
            entry.gzip = found.gzip;
            self.follow_rotated(&path, found.candidate.file, entry);
        }
    }

    /// Follows a rotated file from `entry` until it has been read to its end.
    pub(super) fn follow_rotated(&mut self, path: &Path, file: File, entry: FileEntry) {
        match self.spawn_follower(path, file, entry) {
            Ok(id) => {
                if let Some(followed) = self.followers.get_mut(&id) {
                    followed.draining = true;
                    followed.ctl.set_draining(true);
                }
            }
            Err(e) => self.warn(&path.display().to_string(), &e.to_string()),
        }
    }

    /// The file holding `entry`'s content now: the same identity under any
    /// name beside its last path or in a rotated directory; else a copy
    /// (another inode starting with its fingerprinted bytes, at least as
    /// long as its offset); else a compressed file whose decompressed start
    /// is that. A copy or compressed file must have a rotated name of the
    /// file (or be in a rotated directory) unless the fingerprint is the
    /// whole 1 KiB.
    fn find_rotated(&self, entry: &FileEntry) -> Option<Found> {
        let last = entry.last_seen();
        let base = last
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default()
            .to_owned();
        let own_dir = rotation::dir_of(&last);
        let origin_base = entry
            .origin
            .as_deref()
            .filter(|o| rotation::dir_of(o) == own_dir)
            .and_then(|o| o.file_name())
            .and_then(|n| n.to_str())
            .map(str::to_owned);
        let mut all = rotation::candidates(&last, &self.rotated_dirs, true);
        if let Ok(file) = File::open(&last) {
            if let Ok(meta) = file.metadata() {
                if meta.is_file() {
                    all.push(Candidate {
                        key: FileKey::of(&meta),
                        path: last.clone(),
                        file,
                        meta,
                    });
                }
            }
        }
        let taken = |key: FileKey| {
            self.by_key.contains_key(&key) || (key != entry.key && self.loaded.contains_key(&key))
        };
        let mut best: Option<(u8, SystemTime, Found)> = None;
        for candidate in all {
            let Some(head) = candidate.head() else {
                continue;
            };
            let fits = |size: u64| {
                let facts = Facts {
                    saved: Some(Saved {
                        offset: entry.offset,
                        lines: entry.lines,
                        same_content: entry.fingerprint.matches(&head.bytes),
                    }),
                    size,
                    copy_of_counted: false,
                    first_start: false,
                    from_beginning: false,
                    unaccounted: None,
                };
                matches!(read_from(&facts), ReadFrom::Checkpoint { .. })
            };
            // A compressed file's content length is not known unread.
            let size = if head.gzip {
                u64::MAX
            } else {
                candidate.meta.len()
            };
            let rank = if candidate.key == entry.key {
                // Nothing read of it: its inode may have been reused by a
                // copy of content counted elsewhere.
                let reused = entry.fingerprint.is_empty() && self.known_content(&head.bytes);
                if entry.gzip != head.gzip || !fits(size) || reused {
                    continue;
                }
                0
            } else {
                let name = candidate
                    .path
                    .file_name()
                    .and_then(|n| n.to_str())
                    .unwrap_or_default();
                // Of its last name, or of the live file it was first
                // followed as (logrotate shifts `app.log.1` to `app.log.2`).
                let related = is_rotated_name(&base, name)
                    || origin_base
                        .as_deref()
                        .is_some_and(|b| is_rotated_name(b, name))
                    || rotation::dir_of(&candidate.path) != own_dir
                    || entry.fingerprint.is_full();
                if entry.fingerprint.is_empty() || !related || taken(candidate.key) || !fits(size) {
                    continue;
                }
                if head.gzip {
                    2
                } else {
                    1
                }
            };
            // The identity itself replaced in place (copytruncate) is no
            // continuation.
            if rank == 0 && candidate.path == last && !entry.gzip {
                if let Ok(Check::Different) = entry.fingerprint.check(&candidate.file) {
                    continue;
                }
            }
            let modified = candidate.meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let better = best
                .as_ref()
                .is_none_or(|(r, t, _)| rank < *r || (rank == *r && modified > *t));
            if better {
                let gzip = head.gzip;
                best = Some((rank, modified, Found { candidate, gzip }));
            }
        }
        best.map(|(_, _, found)| found)
    }

    /// Rotated files beside the checkpointed ones (`bases`: their last
    /// paths) that no known identity or content accounts for: those
    /// written while errscope was down (a file created and rotated away
    /// before it came back) are read whole; older ones are left alone.
    pub(super) fn follow_rotated_while_down(&mut self, bases: &[(PathBuf, String)]) {
        let mut seen = std::collections::HashSet::new();
        for (last, name) in bases {
            if !seen.insert(last.clone()) {
                continue;
            }
            let mut found: Vec<(Candidate, Head)> =
                rotation::candidates(last, &self.rotated_dirs, false)
                    .into_iter()
                    .filter_map(|c| c.head().map(|h| (c, h)))
                    .filter(|(c, h)| !h.bytes.is_empty() && !self.accounted_identity(c.key, h))
                    .collect();
            // A plain file before its compressed twin (which may still be
            // being written).
            found.sort_by_key(|(_, h)| h.gzip);
            for (candidate, head) in found {
                let facts = Facts {
                    saved: None,
                    size: candidate.meta.len(),
                    copy_of_counted: self.known_content(&head.bytes),
                    first_start: false,
                    from_beginning: self.settings.from_beginning,
                    unaccounted: Some(self.unaccounted(&candidate.meta)),
                };
                if read_from(&facts) != ReadFrom::Beginning {
                    continue;
                }
                tracing::info!(
                    "tail: {}: rotated from {} while errscope was down, never read; read whole",
                    candidate.path.display(),
                    last.display()
                );
                let entry = FileEntry {
                    key: candidate.key,
                    fingerprint: head.fingerprint(),
                    path: candidate.path.display().to_string(),
                    name: name.clone(),
                    offset: 0,
                    lines: 0,
                    tally: super::aggregator::named_tally(name),
                    location: None,
                    origin: Some(last.clone()),
                    gzip: head.gzip,
                };
                let path = candidate.path.clone();
                self.follow_rotated(&path, candidate.file, entry);
            }
        }
    }

    /// Whether an identity is followed, checkpointed or let go. (Not
    /// whether the listing passed it over: it does so for every compressed
    /// file, and for rotated names judged the way this scan judges them.)
    /// An inode is the same file only with the same content: inodes of
    /// deleted files are reused at once.
    fn accounted_identity(&self, key: FileKey, head: &Head) -> bool {
        let same = |k: FileKey, fingerprint: &crate::input::tail::Fingerprint| {
            k == key && !fingerprint.is_empty() && fingerprint.matches(&head.bytes)
        };
        self.by_key.contains_key(&key)
            || self.loaded.values().any(|e| same(e.key, &e.fingerprint))
            || self
                .state
                .released
                .iter()
                .any(|r| same(r.key, &r.fingerprint))
    }

    /// Whether content starting with `head` is content errscope knows: a
    /// followed, checkpointed or let-go file's start.
    pub(super) fn known_content(&self, head: &[u8]) -> bool {
        let known = |fingerprint: &crate::input::tail::Fingerprint| {
            !fingerprint.is_empty() && fingerprint.matches(head)
        };
        self.followers.values().any(|f| known(&f.entry.fingerprint))
            || self.loaded.values().any(|e| known(&e.fingerprint))
            || self.state.released.iter().any(|r| known(&r.fingerprint))
    }

    /// Whether a file was modified after the checkpoint was written (less
    /// the time a new file may wait for a listing).
    pub(super) fn unaccounted(&self, meta: &std::fs::Metadata) -> Unaccounted {
        let Some(written) = self.checkpoint_written else {
            return Unaccounted::Older;
        };
        let margin = self.settings.rescan + PERSIST_EVERY + MTIME_SLACK;
        let written_ms = u64::try_from(written.as_millisecond()).unwrap_or(0);
        let since = (SystemTime::UNIX_EPOCH + Duration::from_millis(written_ms))
            .checked_sub(margin)
            .unwrap_or(SystemTime::UNIX_EPOCH);
        match meta.modified() {
            Ok(modified) if modified >= since => Unaccounted::ModifiedSince,
            Ok(_) => Unaccounted::Older,
            // No modification time: reading it whole risks counting twice
            // what may have been counted; leaving it, losing it. Read it.
            Err(_) => Unaccounted::ModifiedSince,
        }
    }

    /// A checkpointed file found nowhere at a restart.
    pub(super) fn gone_while_down(&self, entry: &FileEntry) {
        tracing::warn!(
            "tail: {}: gone while errscope was down (deleted, or moved where neither the inputs nor [tail] rotated_dirs reach); counted up to offset {}, whatever it held after that could not be read",
            entry.last_seen().display(),
            entry.offset
        );
    }

    /// A checkpointed file whose content was replaced while errscope was
    /// down, with no copy of the old content found.
    pub(super) fn replaced_while_down(&self, entry: &FileEntry) {
        tracing::warn!(
            "tail: {}: its content was replaced while errscope was down (truncated, rewritten, or the file deleted and its inode reused) and no copy of the old content found; counted up to offset {}, whatever followed in the old content could not be read",
            entry.last_seen().display(),
            entry.offset
        );
    }
}

/// Whether the file is still at its last path with the same identity and
/// content, at least as long as its offset.
fn still_there(entry: &FileEntry) -> bool {
    let check = || -> io::Result<bool> {
        let file = File::open(entry.last_seen())?;
        let meta = file.metadata()?;
        Ok(FileKey::of(&meta) == entry.key
            && meta.len() >= entry.offset
            && matches!(entry.fingerprint.check(&file)?, Check::Same(_)))
    };
    check().unwrap_or(false)
}
