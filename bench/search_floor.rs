//! The floor under `scan`: the pre-filter's literal search alone (Teddy plus
//! the quoted-key and value check at each hit) over a file already in
//! memory, with no line work, decoding or counting; then the search with
//! the check of each hit's line (`verify_line`: the shape's other keys on
//! the line, its top-level keys in the object around the hit), which is
//! what a candidate costs before any JSON is parsed. Compare the times with
//! a whole `scan` of the same file to see what the rest costs.
//!
//!   cargo run --release --example search_floor -- FILE [RUNS]

use std::time::Instant;

use errscope::extract::prefilter::Prefilter;
use errscope::vendors::VendorSet;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args.next().ok_or("usage: search_floor FILE [RUNS]")?;
    let runs: usize = args.next().map_or(Ok(5), |r| r.parse())?;
    let data = std::fs::read(&path)?;
    // The keys `scan` would search for: the cheapest in the file's head.
    let vendors = VendorSet::builtin()?;
    let prefilter = Prefilter::adapted(&vendors, &data[..data.len().min(2 << 20)])?;
    // Windows as the mapped scan walks them, so the search sees the same
    // haystack lengths.
    const WINDOW: usize = 4 * 1024 * 1024;
    let median = |mut times: Vec<f64>| {
        times.sort_by(f64::total_cmp);
        times[times.len() / 2]
    };
    let (mut searched, mut checked) = (Vec::new(), Vec::new());
    let (mut hits, mut lines, mut candidates) = (0, 0, 0);
    for _ in 0..runs {
        let started = Instant::now();
        hits = 0;
        for window in data.chunks(WINDOW) {
            let mut from = 0;
            while let Some(hit) = prefilter.find(window, from, window.len()) {
                hits += 1;
                from = hit.end;
            }
        }
        searched.push(started.elapsed().as_secs_f64());
        // As `scan` walks a window: a hit's line is checked, then the
        // search goes on after it.
        let started = Instant::now();
        (lines, candidates) = (0, 0);
        for window in data.chunks(WINDOW) {
            let mut from = 0;
            while from < window.len() {
                let Some(hit) = prefilter.find(window, from, window.len()) else {
                    break;
                };
                let start =
                    memchr::memrchr(b'\n', &window[from..hit.start]).map_or(from, |i| from + i + 1);
                let end =
                    memchr::memchr(b'\n', &window[hit.end..]).map_or(window.len(), |i| hit.end + i);
                lines += 1;
                if prefilter.verify_line(window, start, end, hit) != 0 {
                    candidates += 1;
                }
                from = end + 1;
            }
        }
        checked.push(started.elapsed().as_secs_f64());
    }
    let (searched, checked) = (median(searched), median(checked));
    println!(
        "{path}: {} bytes, {hits} quoted-key hits of {:?}; search alone: median {searched:.3} s ({:.2} GB/s) of {runs} runs",
        data.len(),
        prefilter.anchors(),
        data.len() as f64 / searched / 1e9
    );
    println!(
        "search and line checks: median {checked:.3} s; {lines} lines with hits, {candidates} left for the JSON reader; the checks {:.3} s ({:.0} ns a line)",
        checked - searched,
        (checked - searched) / lines.max(1) as f64 * 1e9
    );
    Ok(())
}
