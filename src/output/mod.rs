//! Rendering counts: a terminal table, CSV, JSON and NDJSON; daily CSV
//! reports and their HTML page.

pub mod atomic;
pub mod events;
pub mod html;
pub mod otlp;
pub mod progress;
pub mod redact;
pub mod report;
pub mod top;

pub mod metrics;

use std::io::{self, Write};

use crate::timespec::rfc3339;
use comfy_table::{presets, ContentArrangement, Table};
use serde_json::json;

use crate::aggregate::{Dim, Row, Tally, Zone};
use crate::vendors::VendorSet;

pub mod summary;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Csv,
    Json,
    Ndjson,
}

/// Writes the grouped counts of `tally` in `format`, days and hours in
/// `zone` (the zone the tally was bucketed in).
pub fn write_summary(
    out: &mut dyn Write,
    format: Format,
    tally: &Tally,
    dims: &[Dim],
    vendors: &VendorSet,
    zone: &Zone,
) -> io::Result<()> {
    let rows = tally.rows_in(dims, vendors, zone);
    let describe = dims.contains(&Dim::Code);
    match format {
        Format::Table => write_table(out, tally, &rows, dims, describe, vendors),
        Format::Csv => write_csv(out, &rows, dims, describe, vendors),
        Format::Json => {
            let doc = json!({
                "groups": rows.iter().map(|r| row_json(r, dims, describe, vendors)).collect::<Vec<_>>(),
                "errors": tally.errors(),
                "skipped": skipped_json(tally),
                "lines": tally.lines,
                "bytes": tally.bytes,
                "files": tally.files.len(),
            });
            serde_json::to_writer_pretty(&mut *out, &doc)?;
            writeln!(out)
        }
        Format::Ndjson => {
            for row in &rows {
                serde_json::to_writer(&mut *out, &row_json(row, dims, describe, vendors))?;
                writeln!(out)?;
            }
            Ok(())
        }
    }
}

fn skipped_json(tally: &Tally) -> serde_json::Value {
    tally
        .skipped
        .iter()
        .map(
            |((vendor, reason), count)| json!({"vendor": vendor, "reason": reason, "count": count}),
        )
        .collect()
}

fn row_json(row: &Row, dims: &[Dim], describe: bool, vendors: &VendorSet) -> serde_json::Value {
    let mut obj = serde_json::Map::new();
    for (dim, value) in dims.iter().zip(&row.values) {
        let value = match (dim, value.parse::<u16>()) {
            (Dim::Status, Ok(status)) => json!(status),
            (Dim::Status, Err(_)) => serde_json::Value::Null,
            _ => json!(value),
        };
        obj.insert(dim.name().to_owned(), value);
    }
    obj.insert("count".into(), json!(row.stats.count));
    if describe {
        let (category, description) = row.describe(vendors);
        obj.insert("category".into(), json!(category));
        obj.insert("description".into(), json!(description));
    }
    obj.insert("first_seen".into(), json!(rfc3339(row.stats.first_seen)));
    obj.insert("last_seen".into(), json!(rfc3339(row.stats.last_seen)));
    serde_json::Value::Object(obj)
}

fn write_csv(
    out: &mut dyn Write,
    rows: &[Row],
    dims: &[Dim],
    describe: bool,
    vendors: &VendorSet,
) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(out);
    let mut header: Vec<&str> = dims.iter().map(|d| d.name()).collect();
    header.push("count");
    if describe {
        header.extend(["category", "description"]);
    }
    header.extend(["first_seen", "last_seen"]);
    writer.write_record(&header)?;
    for row in rows {
        // Codes and descriptions can come from log content: never let a
        // spreadsheet run them as formulas.
        let mut record: Vec<String> = row
            .values
            .iter()
            .map(|v| report::neutralise(v).into_owned())
            .collect();
        record.push(row.stats.count.to_string());
        if describe {
            let (category, description) = row.describe(vendors);
            record.push(report::neutralise(category).into_owned());
            record.push(report::neutralise(description).into_owned());
        }
        record.push(rfc3339(row.stats.first_seen));
        record.push(rfc3339(row.stats.last_seen));
        writer.write_record(&record)?;
    }
    writer.flush()
}

fn write_table(
    out: &mut dyn Write,
    tally: &Tally,
    rows: &[Row],
    dims: &[Dim],
    describe: bool,
    vendors: &VendorSet,
) -> io::Result<()> {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Dynamic);
    if let Some((width, _)) = terminal_width() {
        table.set_width(width);
    }
    let mut header: Vec<String> = dims.iter().map(|d| d.name().to_uppercase()).collect();
    header.push("COUNT".into());
    if describe {
        header.extend(["CATEGORY".into(), "DESCRIPTION".into()]);
    }
    header.extend(["FIRST SEEN".into(), "LAST SEEN".into()]);
    table.set_header(header);
    for row in rows {
        let mut cells: Vec<String> = row.values.clone();
        cells.push(row.stats.count.to_string());
        if describe {
            let (category, description) = row.describe(vendors);
            cells.push(category.to_owned());
            cells.push(shorten(description, TABLE_DESCRIPTION_CHARS));
        }
        cells.push(rfc3339(row.stats.first_seen));
        cells.push(rfc3339(row.stats.last_seen));
        table.add_row(cells);
    }
    if rows.is_empty() {
        writeln!(out, "No vendor errors found.")?;
    } else {
        writeln!(out, "{table}")?;
    }
    let skipped: Vec<String> = tally
        .skipped
        .iter()
        .map(|((vendor, reason), count)| {
            if vendor.is_empty() {
                format!("{reason} {count}")
            } else {
                format!("{vendor} {reason} {count}")
            }
        })
        .collect();
    writeln!(
        out,
        "{} errors in {} lines ({}) from {} source{}.",
        tally.errors(),
        tally.lines,
        human_bytes(tally.bytes),
        tally.files.len(),
        if tally.files.len() == 1 { "" } else { "s" }
    )?;
    if !skipped.is_empty() {
        writeln!(out, "Skipped (not counted): {}.", skipped.join(", "))?;
    }
    Ok(())
}

/// Descriptions are cut in the table so a row stays one line; CSV and JSON
/// carry them whole.
const TABLE_DESCRIPTION_CHARS: usize = 60;

pub(crate) fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}

fn terminal_width() -> Option<(u16, u16)> {
    let columns = std::env::var("COLUMNS").ok()?.parse().ok()?;
    Some((columns, 0))
}

pub(crate) fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aggregate::Key;
    use jiff::Timestamp;

    fn tally() -> Tally {
        let mut tally = Tally::default();
        tally.file_index("a.log");
        let t = Timestamp::from_second(1_763_633_702).unwrap();
        for _ in 0..2 {
            tally.record(
                Key {
                    vendor: "ocrolus".into(),
                    code: "1200".into(),
                    status: Some(400),
                    hour: None,
                    file: 0,
                },
                Some(t),
                "Authentication failed",
            );
        }
        tally.record(
            Key {
                vendor: "ozforensics".into(),
                code: "7".into(),
                status: None,
                hour: None,
                file: 0,
            },
            None,
            "AUTH INVALID",
        );
        tally
    }

    #[test]
    fn csv_has_the_contract_columns() {
        let vendors = VendorSet::builtin().unwrap();
        let mut out = Vec::new();
        write_summary(
            &mut out,
            Format::Csv,
            &tally(),
            &[Dim::Vendor, Dim::Code, Dim::Status],
            &vendors,
            &Zone::utc(),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "vendor,code,status,count,category,description,first_seen,last_seen"
        );
        assert_eq!(lines[1], "ocrolus,1200,400,2,auth,Authentication failed,2025-11-20T10:15:02Z,2025-11-20T10:15:02Z");
        assert!(
            lines[2].starts_with("ozforensics,7,,1,auth,"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn csv_without_code_has_no_description() {
        let vendors = VendorSet::builtin().unwrap();
        let mut out = Vec::new();
        write_summary(
            &mut out,
            Format::Csv,
            &tally(),
            &[Dim::Vendor],
            &vendors,
            &Zone::utc(),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert_eq!(
            text.lines().next(),
            Some("vendor,count,first_seen,last_seen")
        );
    }

    #[test]
    fn human_sizes() {
        assert_eq!(human_bytes(10), "10 B");
        assert_eq!(human_bytes(1536), "1.5 KiB");
    }
}
