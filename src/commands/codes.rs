//! `errscope codes [VENDOR] [CODE]`: list or explain catalog entries.

use std::io::{self, Write};

use anyhow::{anyhow, Result};
use serde_json::json;

use super::{load_config, Exit};
use crate::cli::CodesArgs;
use crate::output::Format;
use crate::vendors::Vendor;

pub fn run(args: CodesArgs) -> Result<Exit> {
    let config = load_config(&args.config)?;
    let vendors = config
        .vendors()
        .map_err(|e| anyhow!("{}: {e}", config.shown()))?;
    let selected: Vec<&Vendor> = match &args.vendor {
        Some(id) => vec![vendors
            .vendors()
            .iter()
            .find(|v| v.id == *id)
            .ok_or_else(|| {
                let known: Vec<&str> = vendors.vendors().iter().map(|v| v.id.as_str()).collect();
                anyhow!("unknown vendor `{id}` (known: {})", known.join(", "))
            })?],
        None => vendors.vendors().iter().collect(),
    };
    let mut rows = Vec::new();
    for vendor in selected {
        match &args.code {
            Some(code) => {
                let found = vendor.lookup(code, None);
                rows.push(json!({
                    "vendor": vendor.id, "code": code, "status": null,
                    "known": found.known, "name": found.name,
                    "category": found.category, "description": found.description,
                }));
            }
            None => {
                for entry in vendor.catalog.entries() {
                    let found = vendor.lookup(&entry.code, entry.status);
                    rows.push(json!({
                        "vendor": vendor.id, "code": entry.code, "status": entry.status,
                        "known": true, "name": entry.name,
                        "category": found.category, "description": entry.description,
                    }));
                }
            }
        }
    }
    let mut out = io::BufWriter::new(io::stdout().lock());
    write_rows(&mut out, args.format, &rows)?;
    out.flush()?;
    let unknown = args.code.is_some() && rows.iter().all(|r| r["known"] == false);
    if unknown {
        eprintln!("errscope: code not in the catalog; it is still counted, marked unknown");
    }
    Ok(Exit::Success)
}

fn text(value: &serde_json::Value) -> String {
    match value {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn write_rows(out: &mut dyn Write, format: Format, rows: &[serde_json::Value]) -> Result<()> {
    const COLUMNS: [&str; 6] = [
        "vendor",
        "code",
        "status",
        "name",
        "category",
        "description",
    ];
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut *out, rows)?;
            writeln!(out)?;
        }
        Format::Ndjson => {
            for row in rows {
                serde_json::to_writer(&mut *out, row)?;
                writeln!(out)?;
            }
        }
        Format::Csv => {
            let mut writer = csv::Writer::from_writer(out);
            writer.write_record(COLUMNS)?;
            for row in rows {
                writer.write_record(COLUMNS.iter().map(|c| text(&row[*c])))?;
            }
            writer.flush()?;
        }
        Format::Table => {
            let mut table = comfy_table::Table::new();
            table.load_style(comfy_table::presets::UTF8_FULL_CONDENSED);
            table.set_content_arrangement(comfy_table::ContentArrangement::Dynamic);
            table.set_header(COLUMNS.iter().map(|c| c.to_uppercase()));
            for row in rows {
                table.add_row(COLUMNS.iter().map(|c| text(&row[*c])));
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}
