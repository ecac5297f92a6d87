//! Opening a source as a byte stream, decompressing gzip transparently.

use std::fs::File;
use std::io::{self, Cursor, Read};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use flate2::read::MultiGzDecoder;

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// Whether bytes start a gzip stream: the one test every reader uses to
/// choose between decompressing and reading as is.
pub fn starts_gzip(head: &[u8]) -> bool {
    head.starts_with(&GZIP_MAGIC)
}

/// Wraps a raw stream so that progress can be shown in bytes read from disk
/// (compressed bytes, for gzip).
pub struct CountingReader<R> {
    inner: R,
    counter: Arc<AtomicU64>,
}

impl<R> CountingReader<R> {
    pub fn new(inner: R, counter: Arc<AtomicU64>) -> Self {
        CountingReader { inner, counter }
    }
}

impl<R: Read> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.counter.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Opens `path`; gzip is recognised by its magic bytes, not its name.
pub fn open_path(path: &Path, counter: Arc<AtomicU64>) -> io::Result<Box<dyn Read + Send>> {
    open_file(File::open(path)?, counter)
}

/// [`open_path`] for a file already open.
pub fn open_file(file: File, counter: Arc<AtomicU64>) -> io::Result<Box<dyn Read + Send>> {
    if file.metadata()?.is_dir() {
        return Err(io::Error::other("is a directory"));
    }
    sniff(CountingReader::new(file, counter))
}

/// Standard input, gzip recognised the same way.
pub fn open_stdin(counter: Arc<AtomicU64>) -> io::Result<Box<dyn Read + Send>> {
    sniff(CountingReader::new(io::stdin(), counter))
}

fn sniff<R: Read + Send + 'static>(mut raw: R) -> io::Result<Box<dyn Read + Send>> {
    let mut head = [0u8; 2];
    let mut got = 0;
    while got < head.len() {
        match raw.read(&mut head[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    let stream = Cursor::new(head[..got].to_vec()).chain(raw);
    if starts_gzip(&head[..got]) {
        Ok(Box::new(MultiGzDecoder::new(stream)))
    } else {
        Ok(Box::new(stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn gzip_by_magic_and_plain_passthrough() {
        let dir = tempfile::tempdir().unwrap();
        let gz = dir.path().join("log.1");
        let mut enc =
            flate2::write::GzEncoder::new(File::create(&gz).unwrap(), flate2::Compression::fast());
        enc.write_all(b"hello\n").unwrap();
        enc.finish().unwrap();
        let plain = dir.path().join("p.gz");
        std::fs::write(&plain, b"x").unwrap();
        let counter = Arc::new(AtomicU64::new(0));
        let mut out = String::new();
        open_path(&gz, counter.clone())
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "hello\n");
        out.clear();
        open_path(&plain, counter.clone())
            .unwrap()
            .read_to_string(&mut out)
            .unwrap();
        assert_eq!(out, "x");
        assert!(counter.load(Ordering::Relaxed) > 6);
        assert!(open_path(dir.path(), counter).is_err());
    }
}
