//! Where a followed file's bytes go when it is rotated, and how they are
//! found again: beside it under any rotated name (`app.log.1`,
//! `app.log-20261201`, `app.log.1.gz`) or in the directories logrotate's
//! `olddir` moves them to (`[tail] rotated_dirs`). A file is recognised by
//! its identity (device and inode) when it was renamed, and by the
//! fingerprint of its first bytes (decompressed, for gzip) when it was
//! copied (copytruncate) or compressed.

use std::fs::{File, Metadata};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::input::tail::{FileKey, Head};

/// How recent a copy made by copytruncate must be to be looked at while
/// following.
const COPY_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(120);

/// Whether `name` is a rotated name of `base`: `base` followed by `.`, `-`
/// or `_` and anything (`app.log.1`, `app.log-20261201`, `app.log.1.gz`).
pub fn is_rotated_name(base: &str, name: &str) -> bool {
    name.strip_prefix(base)
        .is_some_and(|rest| matches!(rest.bytes().next(), Some(b'.' | b'-' | b'_')))
}

/// The directory of `path` (`.` for a bare name).
pub fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// A file that may hold a followed file's rotated bytes.
pub struct Candidate {
    pub path: PathBuf,
    pub file: File,
    pub meta: Metadata,
    pub key: FileKey,
}

impl Candidate {
    pub fn head(&self) -> Option<Head> {
        Head::read(&self.file).ok()
    }
}

/// Regular files in the directory of `path` and in `rotated_dirs` whose
/// names are rotated names of `path`'s (any name at all with `any_name`),
/// `path` itself excluded.
pub fn candidates(path: &Path, rotated_dirs: &[PathBuf], any_name: bool) -> Vec<Candidate> {
    let Some(base) = path.file_name().and_then(|n| n.to_str()) else {
        return Vec::new();
    };
    let own = dir_of(path);
    let mut dirs = vec![own.clone()];
    dirs.extend(rotated_dirs.iter().filter(|d| **d != own).cloned());
    let mut found = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let file_name = entry.file_name();
            let Some(name) = file_name.to_str() else {
                continue;
            };
            let in_own = dir == own;
            if in_own && name == base {
                continue;
            }
            // In a rotated directory the file may keep its own name too.
            let related = is_rotated_name(base, name) || (!in_own && name == base);
            if !any_name && !related {
                continue;
            }
            let path = entry.path();
            let Ok(file) = File::open(&path) else {
                continue;
            };
            let Ok(meta) = file.metadata() else {
                continue;
            };
            if !meta.is_file() {
                continue;
            }
            found.push(Candidate {
                key: FileKey::of(&meta),
                path,
                file,
                meta,
            });
        }
    }
    found
}

/// The copy copytruncate made of `path` before truncating it: a recent
/// file beside it (or in a rotated directory) under a rotated name whose
/// content, decompressed if gzip, starts as `start` (the content's first
/// bytes as last read) does, as far as both go: lines read from the file
/// after the copy was made are not in it.
/// The newest such file, plain files first (a compressed copy is read
/// only once the plain one is gone). With its head.
pub fn find_copy(path: &Path, rotated_dirs: &[PathBuf], start: &[u8]) -> Option<(Candidate, Head)> {
    if start.is_empty() {
        return None;
    }
    let mut best: Option<(bool, SystemTime, Candidate, Head)> = None;
    for candidate in candidates(path, rotated_dirs, false) {
        let Ok(modified) = candidate.meta.modified() else {
            continue;
        };
        if modified.elapsed().is_ok_and(|age| age > COPY_MAX_AGE) {
            continue;
        }
        let Some(head) = candidate.head() else {
            continue;
        };
        if !Head::same_start(start, &head.bytes) {
            continue;
        }
        let plain = !head.gzip;
        let better = best
            .as_ref()
            .is_none_or(|(p, t, _, _)| (plain, modified) > (*p, *t));
        if better {
            best = Some((plain, modified, candidate, head));
        }
    }
    best.map(|(_, _, candidate, head)| (candidate, head))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn rotated_names() {
        for name in ["app.log.1", "app.log-20261201", "app.log.1.gz", "app.log_3"] {
            assert!(is_rotated_name("app.log", name), "{name}");
        }
        for name in ["app.log", "app.logx", "other.log.1", "app.lo"] {
            assert!(!is_rotated_name("app.log", name), "{name}");
        }
    }

    fn gzip(path: &Path, bytes: &[u8]) {
        let mut out =
            flate2::write::GzEncoder::new(File::create(path).unwrap(), flate2::Compression::fast());
        out.write_all(bytes).unwrap();
        out.finish().unwrap();
    }

    #[test]
    fn a_copy_is_found_plain_or_compressed_beside_or_in_a_rotated_dir() {
        let dir = tempfile::tempdir().unwrap();
        let old = dir.path().join("old");
        std::fs::create_dir(&old).unwrap();
        let log = dir.path().join("app.log");
        std::fs::write(&log, b"").unwrap();
        let content = b"first line\nsecond line\n";
        // Read further than the copy goes: lines written after the copy.
        let start = b"first line\nsecond line\nthird, after the copy\n";
        assert!(find_copy(&log, &[], start).is_none());
        gzip(&old.join("app.log.1.gz"), content);
        assert!(find_copy(&log, &[], start).is_none());
        let (found, head) = find_copy(&log, std::slice::from_ref(&old), start).unwrap();
        assert!(head.gzip);
        assert_eq!(found.path, old.join("app.log.1.gz"));
        // A plain copy is preferred.
        std::fs::write(dir.path().join("app.log.1"), content).unwrap();
        let (found, head) = find_copy(&log, std::slice::from_ref(&old), &content[..11]).unwrap();
        assert!(!head.gzip);
        assert_eq!(found.path, dir.path().join("app.log.1"));
        // Other content is no copy.
        assert!(find_copy(&log, &[old], b"other").is_none());
    }
}
