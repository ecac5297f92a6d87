//! The floor under `scan`: the pre-filter's literal search alone (Teddy plus
//! the quoted-key and value check at each hit) over a file already in
//! memory, with no line work, decoding or counting. Compare its time with a
//! whole `scan` of the same file to see what the rest costs.
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
    let mut times = Vec::new();
    let mut hits = 0;
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
        times.push(started.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{path}: {} bytes, {hits} quoted-key hits of {:?}; search alone: median {median:.3} s ({:.2} GB/s) of {runs} runs",
        data.len(),
        prefilter.anchors(),
        data.len() as f64 / median / 1e9
    );
    Ok(())
}
