//! Which files the inputs name now, and the file-system watch that says
//! when to look again. The watch is on the directories (not on each file):
//! a write to a followed file wakes its follower directly; a file created,
//! renamed or removed asks for a re-listing. A periodic re-listing is the
//! safety net for missed events and for file systems without inotify.

use std::collections::HashMap;
use std::path::{Component, Path, PathBuf};
use std::sync::{Arc, Mutex};

use notify::event::{EventKind, ModifyKind, RenameMode};
use notify::{RecommendedWatcher, RecursiveMode, Watcher as _};
use tokio::sync::Notify;

use crate::input::{expand, Source};

/// The regular files the patterns name now (stdin excluded). Patterns that
/// name nothing yet are not an error here: files may appear later.
pub fn list(patterns: &[String]) -> Vec<PathBuf> {
    let (sources, _) = expand(patterns);
    sources
        .into_iter()
        .filter_map(|s| match s {
            Source::File(p) => Some(p),
            Source::Stdin => None,
        })
        .collect()
}

/// The directory to watch for a pattern, and whether recursively.
pub fn watch_root(pattern: &str) -> Option<(PathBuf, RecursiveMode)> {
    if pattern == "-" {
        return None;
    }
    let path = Path::new(pattern);
    if path.is_dir() {
        return Some((path.to_path_buf(), RecursiveMode::Recursive));
    }
    let components: Vec<Component> = path.components().collect();
    let first_glob = components
        .iter()
        .position(|c| c.as_os_str().to_string_lossy().contains(['*', '?', '[']));
    match first_glob {
        Some(i) => {
            let base: PathBuf = components[..i].iter().collect();
            let base = if base.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                base
            };
            let mode = if i + 1 < components.len() {
                RecursiveMode::Recursive
            } else {
                RecursiveMode::NonRecursive
            };
            Some((base, mode))
        }
        None => {
            let parent = match path.parent() {
                Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
                _ => PathBuf::from("."),
            };
            Some((parent, RecursiveMode::NonRecursive))
        }
    }
}

/// The key file-system events are matched on: the canonical directory
/// joined with the file name (the file itself may be a symlink).
pub fn event_key(path: &Path) -> PathBuf {
    let name = path.file_name();
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    match (std::fs::canonicalize(dir), name) {
        (Ok(dir), Some(name)) => dir.join(name),
        _ => path.to_path_buf(),
    }
}

/// Whatever reads a file and should look at it again when an event names it.
pub trait Wake: Send + Sync {
    /// Look at the file now (coalesced).
    fn wake(&self);
}

/// Readers to wake by the path an event names.
pub type WakeMap = Arc<Mutex<HashMap<PathBuf, Arc<dyn Wake>>>>;

/// Renames remembered between two listings, at most.
const MAX_RENAMES: usize = 4096;

/// Asks the aggregator to re-list the inputs.
#[derive(Debug, Default)]
pub struct RescanRequest {
    pub notify: Notify,
    /// Renames seen (from, to): a file created under a followed name and
    /// renamed away before a listing saw it is still found by them.
    renames: Mutex<Vec<(PathBuf, PathBuf)>>,
}

impl RescanRequest {
    /// The renames seen since the last call.
    pub fn take_renames(&self) -> Vec<(PathBuf, PathBuf)> {
        self.renames
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }

    fn renamed(&self, from: &Path, to: &Path) {
        if let Ok(mut renames) = self.renames.lock() {
            if renames.len() < MAX_RENAMES {
                renames.push((from.to_path_buf(), to.to_path_buf()));
            }
        }
    }
}

/// The directory watch.
pub struct Watch {
    watcher: Option<RecommendedWatcher>,
    roots: Vec<(PathBuf, RecursiveMode, bool)>,
}

impl Watch {
    /// Watches the roots of `patterns` that exist; [`Watch::retry`] adds
    /// the others when they appear. Without inotify, `available()` is false
    /// and followers poll.
    pub fn new(patterns: &[String], wake: WakeMap, rescan: Arc<RescanRequest>) -> Watch {
        let mut roots: Vec<(PathBuf, RecursiveMode, bool)> = Vec::new();
        for (root, mode) in patterns.iter().filter_map(|p| watch_root(p)) {
            match roots.iter_mut().find(|(r, _, _)| *r == root) {
                Some(existing) if mode == RecursiveMode::Recursive => existing.1 = mode,
                Some(_) => {}
                None => roots.push((root, mode, false)),
            }
        }
        let watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| {
            on_event(res, &wake, &rescan)
        })
        .map_err(|e| tracing::warn!("tail: no file-system events ({e}); polling instead"))
        .ok();
        let mut watch = Watch { watcher, roots };
        watch.retry();
        watch
    }

    /// Whether events arrive for every root.
    pub fn available(&self) -> bool {
        self.watcher.is_some() && self.roots.iter().all(|r| r.2)
    }

    /// Adds watches for roots that did not exist before.
    pub fn retry(&mut self) {
        let Some(watcher) = self.watcher.as_mut() else {
            return;
        };
        for (root, mode, watched) in &mut self.roots {
            if *watched {
                continue;
            }
            let Ok(canonical) = std::fs::canonicalize(&*root) else {
                continue;
            };
            *watched = watcher.watch(&canonical, *mode).is_ok();
        }
    }
}

fn on_event(res: notify::Result<notify::Event>, wake: &WakeMap, rescan: &RescanRequest) {
    let event = match res {
        Ok(event) => event,
        Err(_) => {
            rescan.notify.notify_one();
            return;
        }
    };
    if event.need_rescan() {
        if let Ok(map) = wake.lock() {
            map.values().for_each(|ctl| ctl.wake());
        }
        rescan.notify.notify_one();
        return;
    }
    let relist = match event.kind {
        // Our own opens and closes, and reads: nothing to do.
        EventKind::Access(_) => return,
        EventKind::Modify(ModifyKind::Data(_)) | EventKind::Modify(ModifyKind::Metadata(_)) => {
            false
        }
        EventKind::Modify(ModifyKind::Name(RenameMode::Both)) => {
            if let [from, to] = event.paths.as_slice() {
                rescan.renamed(from, to);
            }
            true
        }
        _ => true,
    };
    if let Ok(map) = wake.lock() {
        for path in &event.paths {
            if let Some(ctl) = map.get(path) {
                ctl.wake();
            }
        }
    }
    if relist {
        rescan.notify.notify_one();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roots_of_patterns() {
        assert_eq!(
            watch_root("/var/log/app/*.log"),
            Some((PathBuf::from("/var/log/app"), RecursiveMode::NonRecursive))
        );
        assert_eq!(
            watch_root("/var/log/*/x.log"),
            Some((PathBuf::from("/var/log"), RecursiveMode::Recursive))
        );
        assert_eq!(
            watch_root("app.log"),
            Some((PathBuf::from("."), RecursiveMode::NonRecursive))
        );
        assert_eq!(
            watch_root("*.log"),
            Some((PathBuf::from("."), RecursiveMode::NonRecursive))
        );
        assert_eq!(watch_root("-"), None);
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            watch_root(&dir.path().display().to_string()),
            Some((dir.path().to_path_buf(), RecursiveMode::Recursive))
        );
    }

    #[test]
    fn lists_files_that_exist_now() {
        let dir = tempfile::tempdir().unwrap();
        let pattern = format!("{}/*.log", dir.path().display());
        assert!(list(std::slice::from_ref(&pattern)).is_empty());
        std::fs::write(dir.path().join("a.log"), "x").unwrap();
        std::fs::write(dir.path().join("a.log.1"), "x").unwrap();
        assert_eq!(list(&[pattern]), vec![dir.path().join("a.log")]);
    }
}
