//! What makes a followed file the same file: its device and inode, plus a
//! fingerprint of its first bytes (so a reused inode or a file rewritten
//! from zero is not mistaken for the one that was read before).

use std::fs::{File, Metadata};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::{FileExt, MetadataExt};

use serde::{Deserialize, Serialize};

/// Bytes at the start of a file that make up its fingerprint.
pub const FINGERPRINT_BYTES: usize = 1024;

/// Device and inode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FileKey {
    pub dev: u64,
    pub inode: u64,
}

impl FileKey {
    pub fn of(meta: &Metadata) -> FileKey {
        FileKey {
            dev: meta.dev(),
            inode: meta.ino(),
        }
    }
}

/// A hash of the first `len` bytes (at most [`FINGERPRINT_BYTES`]) of a
/// file. An empty file has the empty fingerprint (`len` 0), which every
/// file matches; it is filled in as bytes arrive.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Fingerprint {
    pub len: u32,
    pub hash: u64,
}

impl Fingerprint {
    /// The fingerprint of `bytes` (only the first [`FINGERPRINT_BYTES`]).
    pub fn of(bytes: &[u8]) -> Fingerprint {
        let bytes = &bytes[..bytes.len().min(FINGERPRINT_BYTES)];
        if bytes.is_empty() {
            return Fingerprint::default();
        }
        Fingerprint {
            len: bytes.len() as u32,
            hash: fnv1a(bytes),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether it covers the full [`FINGERPRINT_BYTES`].
    pub fn is_full(&self) -> bool {
        self.len as usize >= FINGERPRINT_BYTES
    }

    /// The fingerprint of `file` as it is now (positioned reads: the
    /// file's offset is not moved).
    pub fn read(file: &File) -> io::Result<Fingerprint> {
        let mut buf = [0u8; FINGERPRINT_BYTES];
        let got = read_prefix(file, &mut buf)?;
        Ok(Fingerprint::of(&buf[..got]))
    }

    /// Compares with the file's current start. `Same` may come with a
    /// longer fingerprint when the file has grown past this one.
    pub fn check(&self, file: &File) -> io::Result<Check> {
        let mut buf = [0u8; FINGERPRINT_BYTES];
        let got = read_prefix(file, &mut buf)?;
        let len = self.len as usize;
        if got < len || Fingerprint::of(&buf[..len]) != *self {
            return Ok(Check::Different);
        }
        Ok(Check::Same(Fingerprint::of(&buf[..got])))
    }
}

/// The outcome of [`Fingerprint::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// The file starts with the fingerprinted bytes; its current (possibly
    /// longer) fingerprint.
    Same(Fingerprint),
    /// The file is shorter than the fingerprint, or starts otherwise.
    Different,
}

/// 64-bit FNV-1a: stable across builds and platforms, which a checkpoint
/// needs (std's hashers make no such promise).
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

fn read_prefix(file: &File, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match file.read_at(&mut buf[got..], got as u64) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

/// Bytes at the end of a file searched for its last newline.
const TAIL_SEARCH: u64 = 64 * 1024;

/// Where to start following a file "from its end": just after its last
/// complete line, so a line being written is counted whole once it ends.
/// When the last [`TAIL_SEARCH`] bytes hold no newline, the end itself.
pub fn end_of_last_line(file: &mut File) -> io::Result<u64> {
    let len = file.metadata()?.len();
    let from = len.saturating_sub(TAIL_SEARCH);
    file.seek(SeekFrom::Start(from))?;
    let mut tail = Vec::with_capacity((len - from) as usize);
    file.by_ref().take(len - from).read_to_end(&mut tail)?;
    Ok(match memchr::memrchr(b'\n', &tail) {
        Some(i) => from + i as u64 + 1,
        None if len > TAIL_SEARCH => len,
        None => 0,
    })
}

/// Whether the file starts with the gzip magic bytes (compressed files are
/// not followed).
pub fn is_gzip(file: &File) -> io::Result<bool> {
    let mut head = [0u8; 2];
    let got = read_prefix(file, &mut head)?;
    Ok(crate::input::open::starts_gzip(&head[..got]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn fingerprint_grows_and_detects_rewrites() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        let mut file = File::create(&path).unwrap();
        let reader = File::open(&path).unwrap();
        let empty = Fingerprint::read(&reader).unwrap();
        assert_eq!(empty, Fingerprint::default());
        assert_eq!(
            Fingerprint::default().check(&reader).unwrap(),
            Check::Same(empty)
        );
        file.write_all(b"first line\n").unwrap();
        let Check::Same(small) = empty.check(&reader).unwrap() else {
            panic!("an empty fingerprint matches anything");
        };
        assert_eq!(small.len, 11);
        file.write_all(&vec![b'x'; 3000]).unwrap();
        let Check::Same(full) = small.check(&reader).unwrap() else {
            panic!("appending keeps the start");
        };
        assert!(full.is_full());
        assert_eq!(Fingerprint::read(&reader).unwrap(), full);
        // Rewritten from zero with other bytes.
        file.set_len(0).unwrap();
        let mut file = std::fs::OpenOptions::new().write(true).open(&path).unwrap();
        file.write_all(b"other line\n").unwrap();
        assert_eq!(small.check(&reader).unwrap(), Check::Different);
        // Shorter than the fingerprint.
        assert_eq!(full.check(&reader).unwrap(), Check::Different);
    }

    #[test]
    fn fingerprint_is_stable() {
        // A checkpoint written by one build must be read by the next.
        assert_eq!(Fingerprint::of(b"abc").hash, 0xe71f_a219_0541_574b);
        assert_eq!(Fingerprint::of(&[7u8; 5000]).len, 1024);
    }

    #[test]
    fn end_of_last_line_skips_a_partial_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.log");
        std::fs::write(&path, b"one\ntwo\nthr").unwrap();
        let mut file = File::open(&path).unwrap();
        assert_eq!(end_of_last_line(&mut file).unwrap(), 8);
        std::fs::write(&path, b"no newline").unwrap();
        assert_eq!(end_of_last_line(&mut file).unwrap(), 0);
        std::fs::write(&path, b"").unwrap();
        assert_eq!(end_of_last_line(&mut file).unwrap(), 0);
    }

    #[test]
    fn identity_is_dev_and_inode() {
        let dir = tempfile::tempdir().unwrap();
        let a = dir.path().join("a");
        std::fs::write(&a, b"x").unwrap();
        let before = FileKey::of(&std::fs::metadata(&a).unwrap());
        let b = dir.path().join("b");
        std::fs::rename(&a, &b).unwrap();
        std::fs::write(&a, b"x").unwrap();
        assert_eq!(FileKey::of(&std::fs::metadata(&b).unwrap()), before);
        assert_ne!(FileKey::of(&std::fs::metadata(&a).unwrap()), before);
    }
}
