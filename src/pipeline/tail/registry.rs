//! Which files are followed, and from where: listing the inputs, starting
//! a follower at the offset [`read_from`] decides, telling a renamed file
//! from a copytruncate copy, and draining files that went away.

use std::collections::HashSet;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::aggregator::{named_tally, Aggregator, Followed, MAX_MATCHED_NAMES, MAX_RELEASED};
use super::beside::Look;
use super::checkpoint::{FileEntry, ReleasedFile};
use super::follow::{spawn_file, FollowSpec};
use super::read_from::{read_from, Facts, ReadFrom, Saved};
use crate::input::tail::discover::{self, Wake};
use crate::input::tail::{end_of_last_line, is_gzip, Check, FileKey, Fingerprint, Head};

impl Aggregator {
    /// Lists the inputs: new files are followed, files found under another
    /// name keep their follower, files no longer found are drained.
    pub(super) fn rescan(&mut self, initial: bool) {
        if self.stopping {
            return;
        }
        self.starting = initial;
        let restart = initial && !self.first_start;
        // Where rotated files written while errscope was down may be: beside
        // what the inputs name now, and beside the checkpointed files'
        // first and last paths.
        let bases: Vec<(PathBuf, String)> = if restart {
            let listed = discover::list(&self.settings.patterns)
                .into_iter()
                .map(|p| (discover::event_key(&p), p.display().to_string()));
            let checkpointed = self.loaded.values().flat_map(|e| {
                let origin = e.origin.clone().map(|o| (o, e.name.clone()));
                origin.into_iter().chain([(e.last_seen(), e.name.clone())])
            });
            listed.chain(checkpointed).collect()
        } else {
            Vec::new()
        };
        if restart {
            // Checkpointed files rotated away while errscope was down: read
            // on where they are now, before anything else claims them.
            self.resume_rotated();
        }
        let mut present = HashSet::new();
        let renames = self.rescan_request.take_renames();
        let listed = discover::list(&self.settings.patterns);
        // The inputs' absolute paths, whose rotations are watched; those new
        // to the watch have their rotated files remembered as they are.
        let mut new_bases = HashSet::new();
        // (Where a checkpointed file was first followed: an input's name;
        // where it was last seen may be a rotated name.)
        let checkpointed = self.loaded.values().map(|e| e.origin.clone());
        let input_bases: Vec<PathBuf> = listed
            .iter()
            .map(|p| discover::event_key(p))
            .chain(checkpointed.flatten())
            .collect();
        for base in input_bases {
            if self.beside.add_base(base.clone()) {
                new_bases.insert(base);
            }
        }
        for path in listed {
            if self.matched_names.len() < MAX_MATCHED_NAMES {
                self.matched_names.insert(discover::event_key(&path));
            }
            let Ok(meta) = std::fs::metadata(&path) else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            let key = FileKey::of(&meta);
            if let Some(&id) = self.by_key.get(&key) {
                present.insert(id);
                self.found_again(id, &path);
                continue;
            }
            if self.ignored.contains(&key) {
                continue;
            }
            match self.start_following(&path, None, initial) {
                Ok(Some(id)) => {
                    present.insert(id);
                }
                Ok(None) => {}
                Err(e) => self.warn(&path.display().to_string(), &e.to_string()),
            }
        }
        // A file created under a followed name and renamed away before any
        // listing saw it (fast rotation): read it from its new name, to its
        // end. Not in `present`, so it is drained and let go.
        for (from, to) in renames {
            if !self.matched_names.contains(&from) {
                continue;
            }
            let Ok(meta) = std::fs::metadata(&to) else {
                continue;
            };
            let key = FileKey::of(&meta);
            let seen = self.by_key.contains_key(&key)
                || self.ignored.contains(&key)
                || self.state.released.iter().any(|r| r.key == key);
            if !meta.is_file() || seen {
                continue;
            }
            let name = from.display().to_string();
            if let Err(e) = self.start_following(&to, Some(name), false) {
                self.warn(&to.display().to_string(), &e.to_string());
            }
        }
        for (id, followed) in &mut self.followers {
            if !present.contains(id) && !followed.draining && !followed.exited {
                followed.draining = true;
                followed.ctl.set_draining(true);
                if self.vanished.len() < MAX_RELEASED {
                    self.vanished.insert(PathBuf::from(&followed.entry.path));
                }
            }
        }
        self.check_vanished();
        if initial && self.first_start {
            // Nothing counted yet: every rotated file there now is old.
            let all = self.beside.bases.clone();
            self.baseline_beside(&all, Look::Baseline);
        } else if restart && self.beside.legacy {
            // A checkpoint without the memory of the files beside: judged
            // by their age, then remembered.
            self.follow_rotated_while_down(&bases);
            let all = self.beside.bases.clone();
            self.baseline_beside(&all, Look::Baseline);
        } else if !new_bases.is_empty() {
            // An input first seen now: its rotated files older than the
            // listing before are old; newer ones are judged.
            let older_than = match (restart, self.checkpoint_written) {
                (true, Some(written)) => {
                    let ms = u64::try_from(written.as_millisecond()).unwrap_or(0);
                    std::time::SystemTime::UNIX_EPOCH + std::time::Duration::from_millis(ms)
                }
                _ => self.last_listing,
            };
            self.baseline_beside(&new_bases, Look::BaselineOlderThan(older_than));
        }
        self.last_listing = std::time::SystemTime::now();
        if initial {
            // Checkpointed files not found: their counts are final.
            let unmatched: Vec<FileEntry> = self.loaded.drain().map(|(_, e)| e).collect();
            for entry in unmatched {
                self.gone_while_down(&entry);
                self.retire(entry, false);
            }
        }
        let watched = self.watched();
        for observer in self.all_observers() {
            observer.files_watched(watched);
        }
    }

    /// Names of followed files no longer found there: one that comes back
    /// as a directory is said once (otherwise the file would just quietly
    /// stop being followed, and the directory's files start being).
    fn check_vanished(&mut self) {
        let mut directories = Vec::new();
        self.vanished.retain(|path| match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => {
                directories.push(path.display().to_string());
                false
            }
            Ok(_) => false,
            Err(_) => true,
        });
        for path in directories {
            self.warn(
                &path,
                "the followed file was replaced by a directory; what was read of the file stays counted, and files in the directory are followed like those of a directory input",
            );
        }
    }

    /// A followed file seen at `path`: maybe renamed, maybe back from
    /// draining.
    fn found_again(&mut self, id: u64, path: &Path) {
        let Some(followed) = self.followers.get_mut(&id) else {
            return;
        };
        if followed.draining && !followed.exited {
            followed.draining = false;
            followed.ctl.set_draining(false);
        }
        let shown = path.display().to_string();
        if followed.entry.path != shown {
            followed.entry.path = shown;
            let key = discover::event_key(path);
            followed.entry.location = Some(key.clone());
            if let Ok(mut map) = self.wake_map.lock() {
                if map
                    .get(&followed.event_key)
                    .is_some_and(|waker| followed.ctl.is(waker))
                {
                    map.remove(&followed.event_key);
                }
                map.insert(key.clone(), followed.ctl.clone() as Arc<dyn Wake>);
            }
            followed.event_key = key;
        }
    }

    /// Opens a file not followed yet and decides where to start: where a
    /// checkpoint (or an identity let go) left it, at its end (a copy of
    /// a followed file, or any file present at the first start), or at 0.
    fn start_following(
        &mut self,
        path: &Path,
        name: Option<String>,
        initial: bool,
    ) -> io::Result<Option<u64>> {
        let mut file = File::open(path)?;
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Ok(None);
        }
        let key = FileKey::of(&meta);
        if self.by_key.contains_key(&key) || self.ignored.contains(&key) {
            return Ok(None);
        }
        if is_gzip(&file)? {
            tracing::warn!(
                "tail: {}: compressed; not followed (use `errscope scan` for it)",
                path.display()
            );
            self.ignored.insert(key);
            return Ok(None);
        }
        let size = meta.len();
        let shown = path.display().to_string();
        let same_content = |fingerprint: &Fingerprint| -> io::Result<bool> {
            Ok(matches!(fingerprint.check(&file)?, Check::Same(_)))
        };
        let (first_start, from_beginning) =
            (initial && self.first_start, self.settings.from_beginning);
        let facts = |saved: Option<Saved>, copy_of_counted: bool| Facts {
            saved,
            size,
            copy_of_counted,
            first_start,
            from_beginning,
            unaccounted: None,
        };
        // The identity's saved position: the checkpoint's entry, else one let go.
        let mut entry = None;
        if let Some(mut loaded) = self.loaded.remove(&key) {
            let saved = Saved {
                offset: loaded.offset,
                lines: loaded.lines,
                same_content: same_content(&loaded.fingerprint)?,
            };
            if let ReadFrom::Checkpoint { .. } = read_from(&facts(Some(saved), false)) {
                loaded.path = shown.clone();
                entry = Some(loaded);
            } else {
                if initial && !self.first_start {
                    self.replaced_while_down(&loaded);
                }
                self.retire(loaded, false);
            }
        }
        if entry.is_none() {
            // An identity let go before anything of it was read says
            // nothing (its inode may be reused by any file): the file is
            // judged as new.
            let with_content = |r: &ReleasedFile| r.key == key && !r.fingerprint.is_empty();
            if let Some(i) = self.state.released.iter().rposition(with_content) {
                let saved = Saved {
                    offset: self.state.released[i].offset,
                    lines: self.state.released[i].lines,
                    same_content: same_content(&self.state.released[i].fingerprint)?,
                };
                // An inode reused by other content leaves the entry: its
                // content, if rotated or compressed, is still known.
                if let ReadFrom::Checkpoint { .. } = read_from(&facts(Some(saved), false)) {
                    let released = self.state.released.remove(i);
                    entry = Some(FileEntry {
                        key,
                        fingerprint: released.fingerprint,
                        path: shown.clone(),
                        tally: named_tally(&released.name),
                        name: released.name,
                        offset: released.offset,
                        lines: released.lines,
                        location: None,
                        origin: None,
                        gzip: false,
                    });
                }
            }
        }
        let entry = match entry {
            Some(entry) => entry,
            None => {
                // A new inode under a rotation-style name of a followed file
                // (`app.log.2`, `app.log-20261125`) is a copytruncate copy of
                // counted bytes (a renamed file keeps its inode). Except at
                // the very first start, where nothing was counted yet.
                // At a restart the name proves nothing: a file rotated
                // while errscope was down has a new inode under such a
                // name too. Its content and age tell.
                let rotated_name = name.is_none()
                    && !(initial && self.first_start)
                    && self.rotation_name_of_followed(path);
                if rotated_name && initial {
                    let head = Head::read(&file)?;
                    let unaccounted = self.unaccounted(&meta);
                    let copy = self.known_content(&head.bytes);
                    let verdict = read_from(&Facts {
                        unaccounted: Some(unaccounted),
                        ..facts(None, copy)
                    });
                    if verdict == ReadFrom::End {
                        self.ignored.insert(key);
                        return Ok(None);
                    }
                } else if rotated_name {
                    tracing::warn!(
                        "tail: {shown}: a rotation copy of a followed file; not counted again"
                    );
                    self.ignored.insert(key);
                    return Ok(None);
                }
                let fingerprint = Fingerprint::read(&file)?;
                let copy = fingerprint.is_full()
                    && (self
                        .followers
                        .values()
                        .any(|f| f.entry.fingerprint == fingerprint)
                        || self
                            .state
                            .released
                            .iter()
                            .any(|r| r.truncated && r.fingerprint == fingerprint));
                // At a restart, content that starts as counted content does
                // is a copy of it, whatever its name (the file it was copied
                // from may have been renamed away since).
                let copy = copy
                    || (initial && !self.first_start && {
                        let head = Head::read_plain(&file)?;
                        self.known_content(&head.bytes)
                    });
                let offset = match read_from(&facts(None, copy)) {
                    ReadFrom::End => end_of_last_line(&mut file)?,
                    ReadFrom::Beginning | ReadFrom::Checkpoint { .. } => 0,
                };
                let name = name.unwrap_or_else(|| shown.clone());
                let origin = Some(discover::event_key(Path::new(&name)));
                FileEntry {
                    key,
                    fingerprint,
                    path: shown.clone(),
                    tally: named_tally(&name),
                    name,
                    offset,
                    lines: 0,
                    location: None,
                    origin,
                    gzip: false,
                }
            }
        };
        self.spawn_follower(path, file, entry).map(Some)
    }

    /// Starts the follower of `file` (found at `path`) from `entry`.
    pub(super) fn spawn_follower(
        &mut self,
        path: &Path,
        file: File,
        mut entry: FileEntry,
    ) -> io::Result<u64> {
        let key = entry.key;
        let shown = path.display().to_string();
        entry.path = shown.clone();
        entry.location = Some(discover::event_key(path));
        if entry.origin.is_none() {
            entry.origin = entry.location.clone();
        }
        let id = self.new_id();
        tracing::debug!(
            "tail: following {shown} ({}:{}) from offset {}{}",
            key.dev,
            key.inode,
            entry.offset,
            if entry.gzip { " (gzip)" } else { "" }
        );
        let ctl = spawn_file(
            FollowSpec {
                id,
                file,
                path: path.to_path_buf(),
                shown: shown.clone(),
                name: entry.name.clone(),
                offset: entry.offset,
                lines: entry.lines,
                fingerprint: entry.fingerprint,
                poll: self.poll,
                rotated_dirs: self.rotated_dirs.clone(),
                gzip: entry.gzip,
                zone: self.settings.zone.clone(),
                finish_at_stop: self.settings.state_dir.is_none(),
            },
            self.engine.clone(),
            self.tx.clone(),
        )
        .map_err(|e| io::Error::new(e.kind(), format!("{shown}: starting its follower: {e}")))?;
        let event_key = discover::event_key(path);
        if let Ok(mut map) = self.wake_map.lock() {
            map.insert(event_key.clone(), ctl.clone() as Arc<dyn Wake>);
        }
        self.by_key.insert(key, id);
        self.followers.insert(
            id,
            Followed {
                ctl,
                entry,
                event_key,
                draining: false,
                exited: false,
            },
        );
        self.dirty = true;
        Ok(id)
    }

    /// Whether `path` is named like a rotation of a followed file in the
    /// same directory (see [`is_rotation_suffix`]).
    fn rotation_name_of_followed(&self, path: &Path) -> bool {
        let (Some(dir), Some(name)) = (path.parent(), path.file_name().and_then(|n| n.to_str()))
        else {
            return false;
        };
        self.followers.values().any(|f| {
            let followed = Path::new(&f.entry.path);
            let Some(base) = followed.file_name().and_then(|n| n.to_str()) else {
                return false;
            };
            followed.parent() == Some(dir) && is_rotation_suffix(base, name)
        })
    }
}

/// Whether `name` is `base` plus a rotation suffix: `.`, `-` or `_`, then
/// digits (and `.`, `-`, `_`): `app.log.1`, `app.log-20261125`,
/// `app.log.2026-11-25`; not `app.log-errors.log`.
fn is_rotation_suffix(base: &str, name: &str) -> bool {
    let Some(rest) = name.strip_prefix(base) else {
        return false;
    };
    let mut bytes = rest.bytes();
    matches!(bytes.next(), Some(b'.' | b'-' | b'_'))
        && rest.bytes().any(|b| b.is_ascii_digit())
        && bytes.all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'-' | b'_'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rotation_suffixes() {
        for name in [
            "app.log.1",
            "app.log-20261125",
            "app.log.2026-11-25",
            "app.log_3",
        ] {
            assert!(is_rotation_suffix("app.log", name), "{name}");
        }
        for name in [
            "app.log",
            "app.log.",
            "app.log-errors.log",
            "app.logx.1",
            "app.log.gz",
        ] {
            assert!(!is_rotation_suffix("app.log", name), "{name}");
        }
    }
}
