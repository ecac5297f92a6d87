//! A sample of the input for the pre-filter to choose its search keys by:
//! the heads of the first few plain files, read before the scan starts.

use std::fs::File;
use std::io::Read;

use super::Source;

/// The whole sample; spread over the files sampled.
const SAMPLE_BYTES: usize = 2 * 1024 * 1024;
/// How many files the sample is spread over.
const SAMPLE_FILES: usize = 8;

/// The heads of the first plain (not gzip) files among `sources`, at most
/// [`SAMPLE_BYTES`] in all. Stdin is never sampled (it cannot be read
/// twice), and a file that cannot be read is passed over: the scan itself
/// reports it.
pub fn heads(sources: &[Source]) -> Vec<u8> {
    let files: Vec<&std::path::Path> = sources
        .iter()
        .filter_map(|source| match source {
            Source::File(path) => Some(path.as_path()),
            Source::Stdin => None,
        })
        .take(SAMPLE_FILES)
        .collect();
    let per_file = SAMPLE_BYTES / files.len().max(1);
    let mut sample = Vec::with_capacity(SAMPLE_BYTES);
    for path in files {
        let Ok(file) = File::open(path) else {
            continue;
        };
        let from = sample.len();
        if file.take(per_file as u64).read_to_end(&mut sample).is_err() {
            sample.truncate(from);
            continue;
        }
        if super::open::starts_gzip(&sample[from..]) {
            // gzip: its compressed bytes say nothing.
            sample.truncate(from);
        } else {
            // The next head starts on a line of its own.
            sample.push(b'\n');
        }
    }
    sample
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_skip_stdin_gzip_and_missing_files() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("a.log");
        std::fs::write(&plain, "x".repeat(3 * SAMPLE_BYTES)).unwrap();
        let gz = dir.path().join("b.log.gz");
        std::fs::write(&gz, [0x1f, 0x8b, 8, 0, 1, 2, 3]).unwrap();
        let sources = vec![
            Source::Stdin,
            Source::File(gz),
            Source::File(dir.path().join("missing.log")),
            Source::File(plain),
        ];
        let sample = heads(&sources);
        // Three files share the budget; only the plain one gives bytes.
        assert_eq!(sample.len(), SAMPLE_BYTES / 3 + 1);
        assert!(sample[..sample.len() - 1].iter().all(|&b| b == b'x'));
    }
}
