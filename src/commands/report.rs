//! `errscope report`: merge daily reports of many hosts, render them as HTML.

use std::io::Write;
use std::path::Path;

use anyhow::{anyhow, Result};

use super::Exit;
use crate::cli::ReportCommand;
use crate::output::{html, report};

pub fn run(command: ReportCommand) -> Result<Exit> {
    match command {
        ReportCommand::Merge { inputs, output } => merge(&inputs, &output),
        ReportCommand::Html {
            dir,
            output,
            zone,
            config,
        } => {
            let zone = super::load_config(&config)?
                .zone(zone.timezone.as_deref())
                .map_err(|e| anyhow!(e))?;
            render_html(&dir, &output, zone.name())
        }
    }
}

/// Every input must read cleanly: a merge missing a host would be wrong
/// without saying so.
fn merge(inputs: &[std::path::PathBuf], output: &Path) -> Result<Exit> {
    let mut rows = Vec::new();
    for input in inputs {
        rows.extend(report::read_report(input)?);
    }
    report::write_report(output, &report::merge(rows))?;
    Ok(Exit::Success)
}

fn render_html(dir: &Path, output: &Path, zone: &str) -> Result<Exit> {
    let reports = report::read_report_dir(dir)?;
    if reports.is_empty() {
        eprintln!(
            "errscope: {}: no daily reports (YYYY-MM-DD.csv); the page will be empty",
            dir.display()
        );
    }
    let rows: Vec<report::ReportRow> = reports.into_iter().flat_map(|(_, rows)| rows).collect();
    let page = html::render(&rows, zone);
    report::write_atomically(output, |file| file.write_all(page.as_bytes()))?;
    Ok(Exit::Success)
}
