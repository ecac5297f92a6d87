//! The `tail` interval summary: the top codes of the last interval (with
//! the change against the interval before) and of everything counted, as
//! a short text block for people or one NDJSON object (`"type":"summary"`)
//! for machines.

use std::collections::HashMap;
use std::io::{self, Write};

use jiff::Timestamp;
use serde_json::{json, Value};

use super::Format;
use crate::aggregate::{Dim, Row, Tally};
use crate::vendors::VendorSet;

/// Rows shown per list.
pub const TOP: usize = 10;

/// The values of the summary's `by` keys (path labels, the file), then
/// vendor, code, status.
pub type CodeKey = (Vec<String>, String, String, Option<u16>);

/// Counts per code (and `by` values), the memory of an interval for the
/// next one's change.
pub fn counts_by_code(tally: &Tally, by: &[Dim]) -> HashMap<CodeKey, u64> {
    let mut counts = HashMap::new();
    let mut of_file: HashMap<u32, Vec<String>> = HashMap::new();
    for (key, stats) in &tally.groups {
        let values = of_file
            .entry(key.file)
            .or_insert_with(|| by.iter().map(|d| d.file_value(tally, key.file)).collect());
        *counts
            .entry((
                values.clone(),
                key.vendor.clone(),
                key.code.clone(),
                key.status,
            ))
            .or_default() += stats.count;
    }
    counts
}

/// One summary.
pub struct Summary<'a> {
    pub start: Timestamp,
    pub end: Timestamp,
    /// The last one, at shutdown.
    pub final_summary: bool,
    /// What was counted in the interval.
    pub interval: &'a Tally,
    /// Counts per code of the interval before.
    pub previous: &'a HashMap<CodeKey, u64>,
    /// Everything counted (across restarts on the same state).
    pub total: &'a Tally,
    /// Lines and bytes read in the interval.
    pub lines: u64,
    pub bytes: u64,
    /// Files followed.
    pub files: usize,
    /// Path labels (or the file) the rows are grouped by before the code.
    pub by: &'a [Dim],
}

const DIMS: [Dim; 3] = [Dim::Vendor, Dim::Code, Dim::Status];

struct Line {
    /// The `by` keys' names and values.
    labels: Vec<(String, String)>,
    vendor: String,
    code: String,
    status: Option<u16>,
    count: u64,
    /// Interval rows: against the previous interval. Total rows: what the
    /// interval added.
    change: i64,
    category: String,
    description: String,
}

fn key_of(row: &Row, by: usize) -> CodeKey {
    (
        row.values[..by].to_vec(),
        row.vendor.clone().unwrap_or_default(),
        row.code.clone().unwrap_or_default(),
        row.status.flatten(),
    )
}

fn top(
    tally: &Tally,
    by: &[Dim],
    vendors: &VendorSet,
    change: impl Fn(&CodeKey, u64) -> i64,
) -> Vec<Line> {
    let dims: Vec<Dim> = by.iter().cloned().chain(DIMS).collect();
    tally
        .rows(&dims, vendors)
        .into_iter()
        .take(TOP)
        .map(|row| {
            let key = key_of(&row, by.len());
            let (category, description) = row.describe(vendors);
            Line {
                labels: by
                    .iter()
                    .map(|d| d.name().to_owned())
                    .zip(key.0.iter().cloned())
                    .collect(),
                change: change(&key, row.stats.count),
                count: row.stats.count,
                category: category.to_owned(),
                description: description.to_owned(),
                vendor: key.1,
                code: key.2,
                status: key.3,
            }
        })
        .collect()
}

pub fn write_interval_summary(
    out: &mut dyn Write,
    format: Format,
    summary: &Summary<'_>,
    vendors: &VendorSet,
) -> io::Result<()> {
    let previous_errors: u64 = summary.previous.values().sum();
    let interval_errors = summary.interval.errors();
    let interval_change = interval_errors as i64 - previous_errors as i64;
    let interval_top = top(summary.interval, summary.by, vendors, |key, count| {
        count as i64 - summary.previous.get(key).copied().unwrap_or(0) as i64
    });
    let interval_counts = counts_by_code(summary.interval, summary.by);
    let total_top = top(summary.total, summary.by, vendors, |key, _| {
        interval_counts.get(key).copied().unwrap_or(0) as i64
    });
    match format {
        Format::Ndjson | Format::Json => {
            let lines_json = |lines: &[Line], change_name: &str| -> Vec<Value> {
                lines
                    .iter()
                    .map(|l| {
                        let mut obj = serde_json::Map::new();
                        for (name, value) in &l.labels {
                            obj.insert(name.clone(), json!(value));
                        }
                        obj.insert("vendor".into(), json!(l.vendor));
                        obj.insert("code".into(), json!(l.code));
                        obj.insert("status".into(), json!(l.status));
                        obj.insert("count".into(), json!(l.count));
                        obj.insert(change_name.into(), json!(l.change));
                        obj.insert("category".into(), json!(l.category));
                        obj.insert("description".into(), json!(l.description));
                        Value::Object(obj)
                    })
                    .collect()
            };
            let doc = json!({
                "type": "summary",
                "final": summary.final_summary,
                "interval_start": summary.start.to_string(),
                "interval_end": summary.end.to_string(),
                "interval": {
                    "errors": interval_errors,
                    "change": interval_change,
                    "skipped": summary.interval.skipped_total(),
                    "top": lines_json(&interval_top, "change"),
                },
                "total": {
                    "errors": summary.total.errors(),
                    "skipped": summary.total.skipped_total(),
                    "lines": summary.total.lines,
                    "bytes": summary.total.bytes,
                    "top": lines_json(&total_top, "interval"),
                },
                "lines": summary.lines,
                "bytes": summary.bytes,
                "files": summary.files,
            });
            serde_json::to_writer(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Table | Format::Csv => {
            let span = summary.end.duration_since(summary.start);
            writeln!(
                out,
                "── {} → {} ({:.1}s){} · {} file{} · {} lines, {} ──",
                summary.start.strftime("%Y-%m-%d %H:%M:%S"),
                summary.end.strftime("%H:%M:%S UTC"),
                span.as_secs_f64(),
                if summary.final_summary { " final" } else { "" },
                summary.files,
                if summary.files == 1 { "" } else { "s" },
                summary.lines,
                super::human_bytes(summary.bytes),
            )?;
            writeln!(
                out,
                "last interval: {interval_errors} error{} ({interval_change:+} against the one before)",
                if interval_errors == 1 { "" } else { "s" }
            )?;
            write_lines(out, &interval_top, "")?;
            writeln!(
                out,
                "since start: {} error{} in {} lines",
                summary.total.errors(),
                if summary.total.errors() == 1 { "" } else { "s" },
                summary.total.lines
            )?;
            write_lines(out, &total_top, " new")?;
            if summary.total.skipped_total() > 0 {
                writeln!(
                    out,
                    "skipped (not counted): {}",
                    summary.total.skipped_total()
                )?;
            }
            writeln!(out)
        }
    }
}

/// `change_suffix` follows the signed change (` new` for the totals: what
/// the last interval added).
fn write_lines(out: &mut dyn Write, lines: &[Line], change_suffix: &str) -> io::Result<()> {
    let width = |f: &dyn Fn(&Line) -> usize| lines.iter().map(f).max().unwrap_or(0);
    let vw = width(&|l| l.vendor.len());
    let cw = width(&|l| l.code.chars().count());
    let nw = width(&|l| l.count.to_string().len());
    for l in lines {
        for (_, value) in &l.labels {
            let value = if value.is_empty() { "-" } else { value };
            write!(out, "  {value}")?;
        }
        let status = l
            .status
            .map(|s| s.to_string())
            .unwrap_or_else(|| "-".into());
        writeln!(
            out,
            "  {:<vw$}  {:<cw$}  {:>3}  {:>nw$}  ({:+}{change_suffix})  {}",
            l.vendor,
            l.code,
            status,
            l.count,
            l.change,
            super::shorten(&l.description, 60),
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Key;

    fn tally(n: u64, code: &str) -> Tally {
        let mut tally = Tally::default();
        tally.file_index("a.log");
        for _ in 0..n {
            tally.record(
                Key {
                    vendor: "ocrolus".into(),
                    code: code.into(),
                    status: Some(400),
                    hour: None,
                    file: 0,
                },
                None,
                "Authentication failed",
            );
        }
        tally
    }

    #[test]
    fn ndjson_summary_has_changes() {
        let vendors = VendorSet::builtin().unwrap();
        let interval = tally(3, "1200");
        let previous = counts_by_code(&tally(5, "1200"), &[]);
        let mut total = tally(10, "1200");
        total.merge(&tally(1, "1204"));
        total.lines = 100;
        let summary = Summary {
            start: Timestamp::from_second(1_795_000_000).unwrap(),
            end: Timestamp::from_second(1_795_000_060).unwrap(),
            final_summary: true,
            interval: &interval,
            previous: &previous,
            total: &total,
            lines: 40,
            bytes: 4000,
            files: 2,
            by: &[],
        };
        let mut out = Vec::new();
        write_interval_summary(&mut out, Format::Ndjson, &summary, &vendors).unwrap();
        let doc: Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(doc["type"], "summary");
        assert_eq!(doc["final"], true);
        assert_eq!(doc["interval"]["errors"], 3);
        assert_eq!(doc["interval"]["change"], -2);
        assert_eq!(doc["interval"]["top"][0]["code"], "1200");
        assert_eq!(doc["interval"]["top"][0]["change"], -2);
        assert_eq!(doc["total"]["errors"], 11);
        assert_eq!(doc["total"]["top"][0]["interval"], 3);
        assert_eq!(doc["total"]["top"][1]["code"], "1204");
        assert_eq!(doc["total"]["lines"], 100);
        assert_eq!(doc["lines"], 40);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1);

        let mut out = Vec::new();
        write_interval_summary(&mut out, Format::Table, &summary, &vendors).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.contains("last interval: 3 errors (-2"), "{text}");
        assert!(text.contains("since start: 11 errors"), "{text}");
        assert!(text.contains("Authentication failed"), "{text}");
    }
}
