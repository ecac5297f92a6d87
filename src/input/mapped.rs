//! Scanning a large, settled log file through a memory map instead of
//! `read(2)`: the searcher runs over the page cache itself, which saves the
//! kernel's copy into a buffer — the largest cost of a one-core scan after
//! the literal search (README, "Performance").
//!
//! This is the crate's only unsafe code. A map has one hazard a read does
//! not: if the file is truncated while mapped, touching a page past its new
//! end raises SIGBUS. Hence:
//! - only regular files of at least [`MIN_MAPPED_BYTES`] not modified for
//!   [`SETTLED`] are mapped; a live log (the kind copytruncate truncates)
//!   is read as before;
//! - a SIGBUS inside a registered map ends the run with exit status 2 and
//!   a message naming the file, not a bare "Bus error";
//! - `scan --no-mmap` turns mapping off.
//!
//! A settled file that grows during the scan is scanned to the size it had
//! when mapped, as a snapshot.
//!
//! Memory stays bounded: pages the scanner has left behind are dropped
//! from the map (`MADV_DONTNEED` on a shared read-only file map only
//! unmaps them; the page cache keeps the data).
#![allow(unsafe_code)]

use std::cell::Cell;
use std::fs::File;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::Once;
use std::time::{Duration, SystemTime};

use memmap2::{Mmap, UncheckedAdvice};

/// Smaller files are read: a map's setup and page faults cost more than
/// the copy they save.
pub const MIN_MAPPED_BYTES: u64 = 4 * 1024 * 1024;

/// A file written to more recently than this may be live, and may be
/// truncated by its rotation while being scanned: it is read instead.
pub const SETTLED: Duration = Duration::from_secs(60);

/// A read-only map of a whole file, registered for the SIGBUS guard while
/// it lives.
pub struct MappedFile {
    map: Mmap,
    slot: usize,
    /// Bytes before this offset have been dropped from the map.
    released: Cell<usize>,
    page: usize,
    /// The file's name as the SIGBUS message prints it; read by the signal
    /// handler, so it lives as long as the registration.
    _name: Box<[u8]>,
}

impl MappedFile {
    /// Maps `file` (opened from `path`) when it is worth it and safe
    /// enough: a regular file, large, not recently modified, and not gzip.
    /// `Ok(None)` means "read it instead".
    pub fn open_if_settled(path: &Path, file: &File) -> io::Result<Option<MappedFile>> {
        let meta = file.metadata()?;
        if !meta.is_file() || meta.len() < MIN_MAPPED_BYTES {
            return Ok(None);
        }
        let settled = meta
            .modified()
            .ok()
            .and_then(|modified| SystemTime::now().duration_since(modified).ok())
            .is_some_and(|age| age >= SETTLED);
        if !settled {
            return Ok(None);
        }
        let name: Box<[u8]> = path.display().to_string().into_bytes().into_boxed_slice();
        install_guard();
        // SAFETY: the map is read-only and shared. The one way its bytes
        // can vanish under us is truncation of the file, which raises
        // SIGBUS; the guard installed above turns that into a clean exit
        // naming the file, and only settled files are mapped at all.
        let map = unsafe { Mmap::map(file)? };
        if crate::input::open::starts_gzip(&map) {
            return Ok(None);
        }
        let Some(slot) = register(map.as_ptr() as usize, map.len(), &name) else {
            // More maps alive than the guard tracks: read this one.
            return Ok(None);
        };
        Ok(Some(MappedFile {
            map,
            slot,
            released: Cell::new(0),
            page: page_size(),
            _name: name,
        }))
    }

    pub fn bytes(&self) -> &[u8] {
        &self.map
    }

    /// Drops the map's pages before `offset` (they will not be read again),
    /// so the resident set stays the size of the scanner's window.
    pub fn release_before(&self, offset: usize) {
        let released = self.released.get();
        let end = offset.min(self.map.len()) / self.page * self.page;
        if end <= released {
            return;
        }
        // SAFETY: MADV_DONTNEED on a shared read-only file map only drops
        // page table entries; a later access would fault the same file
        // data back in. The scanner never returns before `offset` anyway.
        let dropped = unsafe {
            self.map
                .unchecked_advise_range(UncheckedAdvice::DontNeed, released, end - released)
        };
        if dropped.is_ok() {
            self.released.set(end);
        }
    }
}

impl Drop for MappedFile {
    fn drop(&mut self) {
        unregister(self.slot);
    }
}

fn page_size() -> usize {
    // SAFETY: sysconf has no preconditions.
    let size = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
    usize::try_from(size)
        .ok()
        .filter(|&s| s > 0)
        .unwrap_or(4096)
}

/// The maps alive, for the SIGBUS handler: it may only read atomics.
struct Slot {
    /// 0: free; `BUSY`: being filled; otherwise the map's address.
    start: AtomicUsize,
    len: AtomicUsize,
    name: AtomicPtr<u8>,
    name_len: AtomicUsize,
}

const BUSY: usize = usize::MAX;
const SLOTS: usize = 256;

static REGISTRY: [Slot; SLOTS] = [const {
    Slot {
        start: AtomicUsize::new(0),
        len: AtomicUsize::new(0),
        name: AtomicPtr::new(std::ptr::null_mut()),
        name_len: AtomicUsize::new(0),
    }
}; SLOTS];

fn register(start: usize, len: usize, name: &[u8]) -> Option<usize> {
    let index = REGISTRY.iter().position(|slot| {
        slot.start
            .compare_exchange(0, BUSY, Ordering::AcqRel, Ordering::Relaxed)
            .is_ok()
    })?;
    let slot = &REGISTRY[index];
    slot.len.store(len, Ordering::Release);
    slot.name.store(name.as_ptr().cast_mut(), Ordering::Release);
    slot.name_len.store(name.len(), Ordering::Release);
    slot.start.store(start, Ordering::Release);
    Some(index)
}

fn unregister(index: usize) {
    REGISTRY[index].start.store(0, Ordering::Release);
}

fn install_guard() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        // SAFETY: a plain sigaction with a handler that only reads atomics
        // and calls write(2) and _exit(2), both async-signal-safe.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_sigbus as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGBUS, &action, std::ptr::null_mut());
        }
    });
}

extern "C" fn on_sigbus(
    _signal: libc::c_int,
    info: *mut libc::siginfo_t,
    _context: *mut libc::c_void,
) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let address = unsafe { (*info).si_addr() } as usize;
    for slot in &REGISTRY {
        let start = slot.start.load(Ordering::Acquire);
        if start == 0 || start == BUSY {
            continue;
        }
        let len = slot.len.load(Ordering::Acquire);
        if address < start || address - start >= len {
            continue;
        }
        let name = slot.name.load(Ordering::Acquire);
        let name_len = slot.name_len.load(Ordering::Acquire);
        let say = |text: &[u8]| {
            // SAFETY: write(2) on stderr with a valid buffer.
            unsafe { libc::write(2, text.as_ptr().cast(), text.len()) };
        };
        say(b"errscope: error: ");
        // SAFETY: the name is owned by the `MappedFile` that registered
        // this slot, which is alive: its thread is the one faulting here.
        say(unsafe { std::slice::from_raw_parts(name, name_len) });
        say(
            b": the file shrank while it was being scanned (truncated by log rotation?); \
              its counts would be incomplete. Scan it again, or with --no-mmap.\n",
        );
        // SAFETY: _exit is async-signal-safe.
        unsafe { libc::_exit(2) };
    }
    // Not a map of ours: restore the default action; the fault repeats and
    // ends the process as it would have.
    // SAFETY: resetting a signal to its default is always allowed.
    unsafe { libc::signal(libc::SIGBUS, libc::SIG_DFL) };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registry_hands_out_and_takes_back_slots() {
        let name = b"x.log".to_vec();
        let a = register(0x1000, 10, &name).unwrap();
        let b = register(0x2000, 10, &name).unwrap();
        assert_ne!(a, b);
        assert_eq!(REGISTRY[a].start.load(Ordering::Acquire), 0x1000);
        unregister(a);
        assert_eq!(REGISTRY[a].start.load(Ordering::Acquire), 0);
        unregister(b);
    }

    #[test]
    fn small_and_fresh_files_are_not_mapped() {
        let dir = tempfile::tempdir().unwrap();
        let small = dir.path().join("small.log");
        std::fs::write(&small, b"line\n").unwrap();
        let file = File::open(&small).unwrap();
        assert!(MappedFile::open_if_settled(&small, &file)
            .unwrap()
            .is_none());

        let fresh = dir.path().join("fresh.log");
        std::fs::write(&fresh, vec![b'x'; MIN_MAPPED_BYTES as usize]).unwrap();
        let file = File::open(&fresh).unwrap();
        assert!(MappedFile::open_if_settled(&fresh, &file)
            .unwrap()
            .is_none());

        let old = SystemTime::now() - SETTLED - Duration::from_secs(5);
        File::options()
            .write(true)
            .open(&fresh)
            .unwrap()
            .set_modified(old)
            .unwrap();
        let file = File::open(&fresh).unwrap();
        let mapped = MappedFile::open_if_settled(&fresh, &file).unwrap().unwrap();
        assert_eq!(mapped.bytes().len(), MIN_MAPPED_BYTES as usize);
        mapped.release_before(MIN_MAPPED_BYTES as usize / 2);
        // Released pages read back from the page cache, unchanged.
        assert!(mapped.bytes().iter().all(|&b| b == b'x'));
    }
}
