//! Replacing a file atomically: the one way errscope writes the files it
//! keeps (daily reports, the HTML page, the `tail` checkpoint).
//!
//! The content goes to a temporary file in the target's directory (so the
//! rename cannot cross file systems), is flushed to disk, then renamed over
//! the target, and the directory is synced so the rename itself survives a
//! crash. A reader sees the old file or the new one, never half of one; a
//! failed write leaves the old file as it was and removes the temporary.

use std::fs::{self, File};
use std::io;
use std::path::Path;

/// Mode of a new file anyone may read (reports).
pub const PUBLIC: u32 = 0o644;
/// Mode of a new file only its owner may read (state).
pub const PRIVATE: u32 = 0o600;

/// Replaces `path` with what `write` produces. A new file gets `new_mode`
/// (on Unix); a file replaced keeps its mode. The directory must exist.
pub fn write(
    path: &Path,
    new_mode: u32,
    write: impl FnOnce(&mut File) -> io::Result<()>,
) -> io::Result<()> {
    let dir = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    let mut temp = tempfile::Builder::new()
        .prefix(".errscope-")
        .suffix(".tmp")
        .tempfile_in(dir)?;
    write(temp.as_file_mut())?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let permissions = fs::metadata(path)
            .map(|m| m.permissions())
            .unwrap_or_else(|_| fs::Permissions::from_mode(new_mode));
        temp.as_file().set_permissions(permissions)?;
    }
    #[cfg(not(unix))]
    let _ = new_mode;
    temp.as_file().sync_all()?;
    temp.persist(path).map_err(|e| e.error)?;
    // Make the rename durable. Only Unix can open a directory to sync it.
    #[cfg(unix)]
    File::open(dir)?.sync_all()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn names(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn writes_new_and_replaces_old() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.json");
        write(&path, PRIVATE, |f| f.write_all(b"one")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "one");
        write(&path, PRIVATE, |f| f.write_all(b"two")).unwrap();
        assert_eq!(fs::read_to_string(&path).unwrap(), "two");
        assert_eq!(names(dir.path()), ["a.json"], "no temporary file left");
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_mode_replaced_ones_keep_theirs() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
        let private = dir.path().join("state");
        write(&private, PRIVATE, |f| f.write_all(b"x")).unwrap();
        assert_eq!(mode(&private), 0o600);
        let public = dir.path().join("report");
        write(&public, PUBLIC, |f| f.write_all(b"x")).unwrap();
        assert_eq!(mode(&public), 0o644);
        fs::set_permissions(&public, fs::Permissions::from_mode(0o640)).unwrap();
        write(&public, PUBLIC, |f| f.write_all(b"y")).unwrap();
        assert_eq!(mode(&public), 0o640);
    }

    #[test]
    fn a_failed_write_keeps_the_old_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a");
        fs::write(&path, "old").unwrap();
        let error = write(&path, PUBLIC, |f| {
            f.write_all(b"ne")?;
            Err(io::Error::other("disk full"))
        })
        .unwrap_err();
        assert_eq!(error.to_string(), "disk full");
        assert_eq!(fs::read_to_string(&path).unwrap(), "old");
        assert_eq!(names(dir.path()), ["a"]);
        let missing = dir.path().join("no/such/dir/a");
        assert!(write(&missing, PUBLIC, |_| Ok(())).is_err());
    }
}
