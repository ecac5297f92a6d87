//! `errscope report html`: one self-contained page from daily reports.
//!
//! No external assets and no JavaScript: inline CSS, an inline SVG stacked
//! bar chart of each day's errors per vendor (axes, axis titles, legend,
//! a tooltip `<title>` on every bar segment), a table of the same numbers,
//! and the top codes with their descriptions. Every piece of text comes
//! from reports, hence from logs, and is untrusted: all of it is
//! HTML-escaped, and a Content-Security-Policy forbids scripts and any
//! outside fetch even if something slipped through.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write;

use jiff::civil::Date;
use jiff::ToSpan;

use super::report::ReportRow;
use crate::timespec::rfc3339;

/// Rows in the top codes table.
pub const TOP_CODES: usize = 50;

/// Days drawn without gaps filled in beyond this span (a sparse history of
/// years would make hair-thin bars).
const MAX_FILLED_DAYS: i32 = 400;

/// Colours of the built-in vendors, so a vendor keeps its colour across
/// reports; others take the rest in turn.
const VENDOR_COLOURS: [(&str, &str); 5] = [
    ("ocrolus", "#2563eb"),
    ("aplos", "#ea580c"),
    ("ozforensics", "#16a34a"),
    ("synapse", "#dc2626"),
    ("codat", "#9333ea"),
];
const OTHER_COLOURS: [&str; 8] = [
    "#0891b2", "#ca8a04", "#db2777", "#4b5563", "#65a30d", "#7c3aed", "#b45309", "#0f766e",
];

const STYLE: &str = "
body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,'DejaVu Sans',sans-serif;color:#111827;background:#fff;margin:24px auto;max-width:1100px;padding:0 16px}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}
.summary{color:#4b5563;margin:0 0 8px}
svg{display:block;max-width:100%;height:auto}
svg text{font-family:inherit;fill:#374151}
table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #e5e7eb;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f9fafb;font-weight:600}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,'DejaVu Sans Mono',monospace;font-size:12px;overflow-wrap:anywhere}
td.t{white-space:nowrap}
.muted{color:#6b7280}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}
.sample{color:#6b7280;font-size:12px;word-break:break-word}
";

/// Escapes text for HTML element content and quoted attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters have no business in a page.
            c if c.is_control() && c != '\n' && c != '\t' => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// `12345` → `12,345`.
fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The smallest 1, 2 or 5 × 10ⁿ step that covers `max` in at most `ticks`
/// steps, and the axis top it gives.
fn axis(max: u64, ticks: u64) -> (u64, u64) {
    let max = max.max(1);
    let mut magnitude: u64 = 1;
    loop {
        for factor in [1, 2, 5] {
            let step = magnitude.saturating_mul(factor);
            if step.saturating_mul(ticks) >= max {
                return (step, max.div_ceil(step) * step);
            }
        }
        magnitude = magnitude.saturating_mul(10);
    }
}

struct Totals {
    /// Every day drawn, in order.
    days: Vec<Date>,
    /// Vendors by total descending, then id.
    vendors: Vec<(String, u64)>,
    /// (day, vendor) → count.
    cells: HashMap<(Date, String), u64>,
    per_day: BTreeMap<Date, u64>,
    total: u64,
}

fn totals(rows: &[ReportRow]) -> Totals {
    let mut cells: HashMap<(Date, String), u64> = HashMap::new();
    let mut per_vendor: BTreeMap<String, u64> = BTreeMap::new();
    let mut per_day: BTreeMap<Date, u64> = BTreeMap::new();
    for row in rows {
        *cells.entry((row.date, row.vendor.clone())).or_default() += row.count;
        *per_vendor.entry(row.vendor.clone()).or_default() += row.count;
        *per_day.entry(row.date).or_default() += row.count;
    }
    let present: BTreeSet<Date> = per_day.keys().copied().collect();
    let days = match (present.first(), present.last()) {
        (Some(&first), Some(&last))
            if last
                .since(first)
                .is_ok_and(|span| span.get_days() < MAX_FILLED_DAYS) =>
        {
            let mut days = Vec::new();
            let mut day = first;
            while day <= last {
                days.push(day);
                match day.checked_add(1.day()) {
                    Ok(next) => day = next,
                    Err(_) => break,
                }
            }
            days
        }
        _ => present.into_iter().collect(),
    };
    let mut vendors: Vec<(String, u64)> = per_vendor.into_iter().collect();
    vendors.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let total = vendors.iter().map(|v| v.1).sum();
    Totals {
        days,
        vendors,
        cells,
        per_day,
        total,
    }
}

fn colours(vendors: &[(String, u64)]) -> HashMap<String, &'static str> {
    vendor_colours(vendors.iter().map(|(vendor, _)| vendor.as_str()))
}

/// The colour (`#rrggbb`) of each vendor: the built-in ones keep theirs,
/// others take the rest in the order given. `errscope top` uses the same.
pub fn vendor_colours<'a>(
    vendors: impl IntoIterator<Item = &'a str>,
) -> HashMap<String, &'static str> {
    let mut others = OTHER_COLOURS.iter().cycle();
    vendors
        .into_iter()
        .map(|vendor| {
            let colour = VENDOR_COLOURS
                .iter()
                .find(|(id, _)| *id == vendor)
                .map(|(_, c)| *c)
                .or_else(|| others.next().copied())
                .unwrap_or("#6b7280");
            (vendor.to_owned(), colour)
        })
        .collect()
}

const WIDTH: f64 = 1060.0;
const HEIGHT: f64 = 400.0;
const LEFT: f64 = 72.0;
const RIGHT: f64 = 16.0;
const TOP: f64 = 44.0;
const BOTTOM: f64 = 84.0;

/// The stacked bar chart of errors per day and vendor.
fn chart(t: &Totals, colours: &HashMap<String, &str>, zone: &str) -> String {
    // The legend goes across the top, in as many rows as it needs.
    let mut legend = Vec::new();
    let (mut x, mut row) = (LEFT, 0usize);
    for (vendor, total) in &t.vendors {
        let label = format!("{vendor} ({})", thousands(*total));
        let width = 17.0 + 7.5 * label.chars().count() as f64 + 18.0;
        if x > LEFT && x + width > WIDTH - RIGHT {
            x = LEFT;
            row += 1;
        }
        let colour = colours.get(vendor).copied().unwrap_or("#6b7280");
        legend.push((x, row, label, colour));
        x += width;
    }
    let extra = 20.0 * row as f64;
    let (top_margin, height) = (TOP + extra, HEIGHT + extra);

    let mut svg = String::new();
    let plot_w = WIDTH - LEFT - RIGHT;
    let plot_h = height - top_margin - BOTTOM;
    let bottom = top_margin + plot_h;
    let max = t.per_day.values().copied().max().unwrap_or(0);
    let (step, top) = axis(max, 5);
    let y = |v: u64| bottom - plot_h * (v as f64) / (top as f64);
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-labelledby="chart-title"><title id="chart-title">Errors per day ({zone}), stacked by vendor</title>"#
    );
    for (x, row, label, colour) in &legend {
        let ly = 14.0 + 20.0 * *row as f64;
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{ly:.1}" width="12" height="12" rx="2" fill="{colour}"/><text x="{:.1}" y="{:.1}" font-size="13">{}</text>"#,
            x + 17.0,
            ly + 10.0,
            escape(label)
        );
    }
    // Grid lines and the y axis.
    let mut tick = 0;
    while tick <= top {
        let ty = y(tick);
        let _ = write!(
            svg,
            r##"<line x1="{LEFT}" x2="{:.1}" y1="{ty:.1}" y2="{ty:.1}" stroke="{}" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="12" text-anchor="end">{}</text>"##,
            LEFT + plot_w,
            if tick == 0 { "#9ca3af" } else { "#e5e7eb" },
            LEFT - 8.0,
            ty + 4.0,
            thousands(tick)
        );
        tick += step;
    }
    let _ = write!(
        svg,
        r#"<text transform="translate(18 {:.1}) rotate(-90)" font-size="13" text-anchor="middle">errors per day</text>"#,
        top_margin + plot_h / 2.0
    );
    // Bars.
    let n = t.days.len().max(1) as f64;
    let slot = plot_w / n;
    let bar = (slot * 0.72).max(1.0);
    let label_every = ((t.days.len() as f64 * 78.0 / plot_w).ceil() as usize).max(1);
    for (i, day) in t.days.iter().enumerate() {
        let bx = LEFT + slot * i as f64 + (slot - bar) / 2.0;
        let mut stacked = 0;
        for (vendor, _) in &t.vendors {
            let count = t.cells.get(&(*day, vendor.clone())).copied().unwrap_or(0);
            if count == 0 {
                continue;
            }
            let (y0, y1) = (y(stacked), y(stacked + count));
            stacked += count;
            let _ = write!(
                svg,
                r#"<rect x="{bx:.1}" y="{y1:.1}" width="{bar:.1}" height="{:.1}" fill="{}"><title>{}</title></rect>"#,
                (y0 - y1).max(0.5),
                colours.get(vendor).copied().unwrap_or("#6b7280"),
                escape(&format!("{day} {vendor}: {}", thousands(count)))
            );
        }
        if stacked > 0 && t.days.len() <= 31 {
            let _ = write!(
                svg,
                r#"<text x="{:.1}" y="{:.1}" font-size="11" text-anchor="middle">{}</text>"#,
                bx + bar / 2.0,
                y(stacked) - 4.0,
                thousands(stacked)
            );
        }
        if i % label_every == 0 {
            let lx = bx + bar / 2.0;
            let ly = bottom + 14.0;
            let _ = write!(
                svg,
                r#"<text transform="translate({lx:.1} {ly:.1}) rotate(-35)" font-size="12" text-anchor="end">{day}</text>"#
            );
        }
    }
    let _ = write!(
        svg,
        r#"<text x="{:.1}" y="{:.1}" font-size="13" text-anchor="middle">day ({zone})</text></svg>"#,
        LEFT + plot_w / 2.0,
        height - 8.0
    );
    svg
}

/// Per-(vendor, code, status) totals over all days, by count descending.
fn top_codes(rows: &[ReportRow]) -> Vec<ReportRow> {
    let mut merged: BTreeMap<(&str, &str, Option<u16>), ReportRow> = BTreeMap::new();
    for row in rows {
        let entry = merged
            .entry((&row.vendor, &row.code, row.status))
            .or_insert_with(|| ReportRow {
                count: 0,
                ..row.clone()
            });
        entry.count += row.count;
        if entry.description.is_empty() {
            entry.description.clone_from(&row.description);
        }
        if entry.category.is_empty() {
            entry.category.clone_from(&row.category);
        }
        if entry.sample_message.is_empty() {
            entry.sample_message.clone_from(&row.sample_message);
        }
        entry.first_seen = match (entry.first_seen, row.first_seen) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        entry.last_seen = match (entry.last_seen, row.last_seen) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    let mut codes: Vec<ReportRow> = merged.into_values().collect();
    codes.sort_by(|a, b| {
        b.count
            .cmp(&a.count)
            .then_with(|| (&a.vendor, &a.code, a.status).cmp(&(&b.vendor, &b.code, b.status)))
    });
    codes
}

fn shorten(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// The whole page. `zone` names the time zone the reports' days are local
/// days of (`UTC` by default); it is shown wherever a day is.
pub fn render(rows: &[ReportRow], zone: &str) -> String {
    let zone = escape(zone);
    let t = totals(rows);
    let colours = colours(&t.vendors);
    let mut page = String::with_capacity(16 * 1024);
    let _ = write!(
        page,
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>errscope: vendor API errors</title>\n<style>{STYLE}</style>\n</head>\n<body>\n\
         <h1>Vendor API errors</h1>\n"
    );
    let (Some(first), Some(last)) = (t.per_day.keys().next(), t.per_day.keys().next_back()) else {
        page.push_str(
            "<p class=\"summary\">No errors: the reports hold no rows.</p>\n</body>\n</html>\n",
        );
        return page;
    };
    let _ = writeln!(
        page,
        "<p class=\"summary\">{} errors from {} vendor{} on {} day{}, {first} to {last} ({zone}).</p>",
        thousands(t.total),
        t.vendors.len(),
        if t.vendors.len() == 1 { "" } else { "s" },
        t.per_day.len(),
        if t.per_day.len() == 1 { "" } else { "s" },
    );

    page.push_str("<h2>Errors per day</h2>\n");
    page.push_str(&chart(&t, &colours, &zone));
    page.push('\n');

    let codes = top_codes(rows);
    let _ = writeln!(
        page,
        "<h2>Top codes</h2>\n<table>\n<thead><tr><th>Vendor</th><th>Code</th><th class=\"n\">Status</th>\
         <th class=\"n\">Count</th><th class=\"n\">Share</th><th>Category</th><th>Description</th><th>Last seen (UTC)</th></tr></thead>\n<tbody>"
    );
    for row in codes.iter().take(TOP_CODES) {
        let colour = colours.get(&row.vendor).copied().unwrap_or("#6b7280");
        let share = 100.0 * row.count as f64 / t.total.max(1) as f64;
        let sample = if row.sample_message.is_empty() {
            String::new()
        } else {
            format!(
                "<div class=\"sample\">e.g. {}</div>",
                escape(&shorten(&row.sample_message, 160))
            )
        };
        let _ = writeln!(
            page,
            "<tr><td><span class=\"swatch\" style=\"background:{colour}\"></span>{}</td><td><code>{}</code></td>\
             <td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{share:.1}%</td><td>{}</td><td>{}{sample}</td>\
             <td class=\"muted t\">{}</td></tr>",
            escape(&row.vendor),
            escape(&row.code),
            row.status.map(|s| s.to_string()).unwrap_or_default(),
            thousands(row.count),
            escape(&row.category),
            escape(&row.description),
            escape(&rfc3339(row.last_seen)),
        );
    }
    page.push_str("</tbody>\n</table>\n");
    if codes.len() > TOP_CODES {
        let _ = writeln!(
            page,
            "<p class=\"muted\">{} more codes are in the CSV reports.</p>",
            codes.len() - TOP_CODES
        );
    }

    let _ = write!(
        page,
        "<h2>Per day</h2>\n<table>\n<thead><tr><th>Day ({zone})</th>"
    );
    for (vendor, _) in &t.vendors {
        let _ = write!(page, "<th class=\"n\">{}</th>", escape(vendor));
    }
    page.push_str("<th class=\"n\">Total</th></tr></thead>\n<tbody>\n");
    for (day, total) in t.per_day.iter().rev() {
        let _ = write!(page, "<tr><td>{day}</td>");
        for (vendor, _) in &t.vendors {
            let count = t.cells.get(&(*day, vendor.clone())).copied().unwrap_or(0);
            let _ = write!(page, "<td class=\"n\">{}</td>", thousands(count));
        }
        let _ = writeln!(
            page,
            "<td class=\"n\"><b>{}</b></td></tr>",
            thousands(*total)
        );
    }
    page.push_str("</tbody>\n</table>\n</body>\n</html>\n");
    page
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(day: &str, vendor: &str, code: &str, count: u64) -> ReportRow {
        ReportRow {
            date: day.parse().unwrap(),
            vendor: vendor.into(),
            code: code.into(),
            status: Some(400),
            count,
            category: "auth".into(),
            description: "Authentication failed".into(),
            first_seen: None,
            last_seen: None,
            sample_message: String::new(),
        }
    }

    #[test]
    fn escapes_everything() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
        assert_eq!(escape("a\u{0}b"), "a\u{fffd}b");
    }

    #[test]
    fn untrusted_text_is_escaped_in_the_page() {
        let mut evil = row("2026-11-20", "<b>v</b>", "<img src=x onerror=alert(1)>", 3);
        evil.description = "</table><script>alert(1)</script>".into();
        evil.sample_message = "\"><svg onload=alert(1)>".into();
        evil.category = "a&b".into();
        let page = render(&[evil], "UTC");
        for bad in ["<script", "<img", "<svg onload", "<b>v"] {
            assert!(!page.contains(bad), "{bad} in page");
        }
        assert!(page.contains("&lt;img src=x onerror=alert(1)&gt;"));
        assert!(page.contains("a&amp;b"));
    }

    #[test]
    fn axis_steps() {
        assert_eq!(axis(0, 5), (1, 1));
        assert_eq!(axis(3, 5), (1, 3));
        assert_eq!(axis(7, 5), (2, 8));
        assert_eq!(axis(100, 5), (20, 100));
        assert_eq!(axis(101, 5), (50, 150));
        assert_eq!(axis(12_345, 5), (5000, 15_000));
    }

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1_234_567), "1,234,567");
    }

    #[test]
    fn chart_stacks_vendors_and_fills_gaps() {
        let rows = [
            row("2026-11-20", "ocrolus", "1200", 6),
            row("2026-11-20", "codat", "X", 4),
            row("2026-11-22", "ocrolus", "1200", 2),
        ];
        let page = render(&rows, "UTC");
        assert!(page.contains("<svg"));
        assert!(page.contains("12 errors from 2 vendors on 2 days, 2026-11-20 to 2026-11-22"));
        // The empty day between is on the axis.
        assert!(page.contains(">2026-11-21</text>"));
        assert!(page.contains("<title>2026-11-20 ocrolus: 6</title>"));
        assert!(page.contains("<title>2026-11-20 codat: 4</title>"));
        assert!(page.contains("ocrolus (8)"), "legend with totals");
        assert!(page.contains(">errors per day</text>") && page.contains(">day (UTC)</text>"));
        // Ocrolus keeps its colour.
        assert!(page.contains("fill=\"#2563eb\""));
        // Top codes: merged across days.
        let ocrolus = page.find("<code>1200</code>").unwrap();
        let codat = page.find("<code>X</code>").unwrap();
        assert!(ocrolus < codat);
        assert!(page.contains("<td class=\"n\">8</td><td class=\"n\">66.7%</td>"));
    }

    #[test]
    fn legend_wraps_into_rows() {
        let rows: Vec<ReportRow> = (0..12)
            .map(|i| {
                row(
                    "2026-11-20",
                    &format!("a-vendor-with-a-long-id-{i}"),
                    "E",
                    1,
                )
            })
            .collect();
        let page = render(&rows, "UTC");
        assert!(
            page.contains("height=\"460\""),
            "three legend rows make the chart taller"
        );
        assert!(page.contains("a-vendor-with-a-long-id-11 (1)"));
    }

    #[test]
    fn the_page_names_the_zone() {
        let rows = [row("2026-11-01", "ocrolus", "1200", 3)];
        let page = render(&rows, "America/New_York");
        assert!(page.contains("2026-11-01 to 2026-11-01 (America/New_York).</p>"));
        assert!(page.contains("Errors per day (America/New_York), stacked by vendor"));
        assert!(page.contains(">day (America/New_York)</text>"));
        assert!(page.contains("<th>Day (America/New_York)</th>"));
        assert!(page.contains("<th>Last seen (UTC)</th>"), "times stay UTC");
        assert!(!page.contains("(UTC).</p>"));
        assert!(render(&rows, "UTC").contains("2026-11-01 to 2026-11-01 (UTC).</p>"));
    }

    #[test]
    fn self_contained() {
        let page = render(&[row("2026-11-20", "ocrolus", "1200", 1)], "UTC");
        assert!(!page.contains("<script"));
        assert!(!page.contains("<link"));
        assert!(!page.contains(" src="));
        assert!(!page.contains("url("));
        assert!(page.contains("Content-Security-Policy"));
    }

    #[test]
    fn empty_page() {
        let page = render(&[], "UTC");
        assert!(page.contains("No errors"));
        assert!(page.ends_with("</html>\n"));
    }
}
