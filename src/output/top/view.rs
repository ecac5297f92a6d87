//! One frame of `errscope top`, drawn from the state alone: the same state
//! and size give the same cells (no clock, no terminal queries).
//!
//! Layout, top to bottom: two header lines (totals, volume, files, alert
//! rules; sort, filters, pause), the table, a line about the selected row
//! (category, description, last sample), and the key line (or the search
//! being typed). Narrow terminals drop columns from the right and squeeze
//! the half-hour sparkline to two or three minutes a character; the
//! selected row's line still says what the dropped columns would.

use std::collections::HashMap;

use jiff::Timestamp;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Cell, Clear, Paragraph, Row, Table, TableState, Wrap};
use ratatui::Frame;

use super::state::{CodeRow, Panel, Stats, Top, SPARK_MINUTES, WARNING_SECS};
use crate::output::html::vendor_colours;
use crate::output::{human_bytes, rfc3339};

/// Smaller than this, the view says so instead of drawing.
pub const MIN_WIDTH: u16 = 60;
pub const MIN_HEIGHT: u16 = 10;

/// How the screen may look.
#[derive(Debug, Clone)]
pub struct Look {
    /// False under `NO_COLOR`: attributes (bold, reverse) only.
    pub colour: bool,
    vendors: HashMap<String, Color>,
}

impl Look {
    /// Colours for `vendors` (in the catalog's order), as in the HTML report.
    pub fn new<'a>(colour: bool, vendors: impl IntoIterator<Item = &'a str>) -> Look {
        let vendors = vendor_colours(vendors)
            .into_iter()
            .filter_map(|(vendor, hex)| Some((vendor, hex_colour(hex)?)))
            .collect();
        Look { colour, vendors }
    }

    /// Whether `NO_COLOR` asks for no colour (set and not empty).
    pub fn colour_from_env() -> bool {
        std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
    }

    fn fg(&self, colour: Color) -> Style {
        if self.colour {
            Style::new().fg(colour)
        } else {
            Style::new()
        }
    }

    fn vendor(&self, vendor: &str) -> Style {
        match self.vendors.get(vendor) {
            Some(&c) => self.fg(c),
            None => Style::new(),
        }
    }

    fn dim(&self) -> Style {
        if self.colour {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }

    fn alarm(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
}

fn hex_colour(hex: &str) -> Option<Color> {
    let hex = hex.strip_prefix('#')?;
    let byte = |i: usize| u8::from_str_radix(hex.get(i..i + 2)?, 16).ok();
    Some(Color::Rgb(byte(0)?, byte(2)?, byte(4)?))
}

/// Draws the whole screen.
pub fn draw(frame: &mut Frame, top: &Top, look: &Look) {
    let area = frame.area();
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        let text = format!(
            "errscope top needs at least {MIN_WIDTH}x{MIN_HEIGHT} (this is {}x{}); q quits",
            area.width, area.height
        );
        frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: true }), area);
        return;
    }
    let [header, table, selected, keys] = Layout::vertical([
        Constraint::Length(3),
        Constraint::Fill(1),
        Constraint::Length(1),
        Constraint::Length(1),
    ])
    .areas(area);
    let stats = top.shown();
    frame.render_widget(Paragraph::new(header_lines(top, look)), header);
    draw_table(frame, top, look, table);
    frame.render_widget(Paragraph::new(selected_line(top, look)), selected);
    frame.render_widget(Paragraph::new(key_line(top, look)), keys);
    match &top.ui.panel {
        Panel::Details => {
            if let Some(row) = top.selected() {
                draw_details(frame, stats, row, look, area);
            }
        }
        Panel::Help => draw_help(frame, look, area),
        Panel::None | Panel::Search(_) => {}
    }
}

fn header_lines(top: &Top, look: &Look) -> Vec<Line<'static>> {
    let stats = top.shown();
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let (lines, bytes) = stats.per_second();
    let window_start = stats.window_start().strftime("%H:%M:%S").to_string();
    let first = vec![
        if top.ui.paused {
            Span::styled("   PAUSED   ", bold.add_modifier(Modifier::REVERSED))
        } else {
            Span::styled("errscope top", bold)
        },
        Span::raw("  errors "),
        Span::styled(count(stats.errors), bold),
        Span::raw(format!(
            " · {}/min · {} in window ({}, since {window_start}Z)",
            count(stats.rate()),
            count(stats.errors_in_window()),
            duration(stats.window_secs),
        )),
    ];
    let alerts = &stats.alerts;
    let mut second = Vec::new();
    if alerts.rules == 0 {
        second.push(Span::styled("alerts: no [[alert]] rules", look.dim()));
    } else if alerts.firing.is_empty() {
        second.push(Span::raw(format!(
            "alerts: {} rule{}, none firing",
            alerts.rules,
            if alerts.rules == 1 { "" } else { "s" }
        )));
    } else {
        second.push(Span::raw(format!(
            "alerts: {} rule{}, ",
            alerts.rules,
            if alerts.rules == 1 { "" } else { "s" }
        )));
        second.push(Span::styled(
            format!(
                "{} FIRING: {}",
                alerts.firing.len(),
                alerts.firing.join(", ")
            ),
            look.alarm(),
        ));
    }
    let warning = stats
        .warning
        .as_ref()
        .filter(|(at, _)| stats.now.as_second() - at.as_second() < WARNING_SECS);
    if let Some((_, warning)) = warning {
        second.push(Span::raw("  │ "));
        second.push(Span::styled(warning.clone(), look.fg(Color::Yellow)));
    } else if let Some(notice) = &alerts.last_notice {
        second.push(Span::raw("  │ last: "));
        second.push(Span::styled(notice.clone(), look.dim()));
    }
    let mut third = vec![Span::raw(format!(
        "{} file{} · {} lines/s · {}/s │ sort {}",
        stats.files,
        if stats.files == 1 { "" } else { "s" },
        per_second(lines),
        human_bytes(bytes.round() as u64),
        top.ui.sort.label(),
    ))];
    if let Some(vendor) = &top.ui.vendor {
        third.push(Span::raw(" · vendor "));
        third.push(Span::styled(vendor.clone(), look.vendor(vendor)));
    }
    if !top.ui.search.is_empty() {
        third.push(Span::raw(format!(" · search \"{}\"", top.ui.search)));
    }
    vec![Line::from(first), Line::from(second), Line::from(third)]
}

/// Which columns fit, and how wide the sparkline is.
struct Columns {
    /// Width of the code column.
    code: u16,
    spark: usize,
    category: bool,
    text: bool,
}

const VENDOR_W: u16 = 11;
const CODE_W: u16 = 14;
const STATUS_W: u16 = 3;
const RATE_W: u16 = 6;
const WINDOW_W: u16 = 6;
const TOTAL_W: u16 = 7;
const SEEN_W: u16 = 5;
const CATEGORY_W: u16 = 13;
/// The selection mark before each row.
const MARK_W: u16 = 2;

fn columns(width: u16) -> Columns {
    let fixed = MARK_W + VENDOR_W + CODE_W + STATUS_W + RATE_W + WINDOW_W + TOTAL_W + SEEN_W + 6;
    let mut left = width.saturating_sub(fixed) as usize;
    let spark = [SPARK_MINUTES, SPARK_MINUTES / 2, SPARK_MINUTES / 3]
        .into_iter()
        .find(|w| left > *w)
        .unwrap_or(0);
    if spark > 0 {
        left -= spark + 1;
    }
    let category = left > CATEGORY_W as usize;
    if category {
        left -= CATEGORY_W as usize + 1;
    }
    let text = category && left >= 40;
    let extra = if text { (left - 40).min(14) } else { left };
    Columns {
        // What no column takes widens the code (Codat's are long).
        code: CODE_W + extra as u16,
        spark,
        category,
        text,
    }
}

fn draw_table(frame: &mut Frame, top: &Top, look: &Look, area: Rect) {
    let stats = top.shown();
    let rows = top.visible();
    let cols = columns(area.width);
    let mut widths = vec![
        Constraint::Length(VENDOR_W),
        Constraint::Length(cols.code),
        Constraint::Length(STATUS_W),
        Constraint::Length(RATE_W),
        Constraint::Length(WINDOW_W),
        Constraint::Length(TOTAL_W),
    ];
    let mut titles = vec!["VENDOR", "CODE", "ST", "RATE/m", "WINDOW", "TOTAL"];
    let spark_title = format!("LAST {SPARK_MINUTES} MIN");
    if cols.spark > 0 {
        widths.push(Constraint::Length(cols.spark as u16));
        titles.push(if cols.spark >= spark_title.len() {
            &spark_title
        } else {
            "30 MIN"
        });
    }
    widths.push(Constraint::Length(SEEN_W));
    titles.push("SEEN");
    if cols.category {
        widths.push(Constraint::Length(CATEGORY_W));
        titles.push("CATEGORY");
    }
    if cols.text {
        widths.push(Constraint::Fill(1));
        widths.push(Constraint::Fill(1));
        titles.push("DESCRIPTION");
        titles.push("LAST SAMPLE");
    }
    let numeric = |title: &str| matches!(title, "RATE/m" | "WINDOW" | "TOTAL" | "SEEN");
    let header = Row::new(titles.iter().map(|t| {
        let text = if numeric(t) {
            Line::from(*t).right_aligned()
        } else {
            Line::from(*t)
        };
        Cell::from(text)
    }))
    .style(Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED));
    let window = stats.window();
    let body: Vec<Row> = rows
        .iter()
        .map(|row| {
            let rate = row.rate(stats.now);
            let right = |text: String| Cell::from(Line::from(text).right_aligned());
            let mut cells = vec![
                Cell::from(Span::styled(
                    row.key.vendor.clone(),
                    look.vendor(&row.key.vendor),
                )),
                Cell::from(row.key.code.clone()),
                Cell::from(row.key.status.map(|s| s.to_string()).unwrap_or("-".into())),
                Cell::from(
                    Line::from(Span::styled(
                        count(rate),
                        if rate > 0 {
                            Style::new().add_modifier(Modifier::BOLD)
                        } else {
                            look.dim()
                        },
                    ))
                    .right_aligned(),
                ),
                right(count(row.window_count(window))),
                right(count(row.total)),
            ];
            if cols.spark > 0 {
                cells.push(Cell::from(Span::styled(
                    sparkline(&row.spark(stats.now), cols.spark),
                    look.vendor(&row.key.vendor),
                )));
            }
            cells.push(right(age(stats.now, row.last_seen)));
            if cols.category {
                cells.push(Cell::from(row.category.clone()));
            }
            if cols.text {
                cells.push(Cell::from(row.description.clone()));
                cells.push(Cell::from(Span::styled(
                    one_line(row.last_message()),
                    look.dim(),
                )));
            }
            Row::new(cells)
        })
        .collect();
    let empty = body.is_empty();
    let table = Table::new(body, widths)
        .header(header)
        .column_spacing(1)
        .highlight_symbol("▸ ")
        .highlight_spacing(ratatui::widgets::HighlightSpacing::Always)
        .row_highlight_style(Style::new().add_modifier(Modifier::REVERSED));
    let mut state = TableState::new().with_selected(top.selected_index());
    frame.render_stateful_widget(table, area, &mut state);
    if empty && area.height > 2 {
        let message = if stats.row_count() > 0 {
            "no row matches the filters (v: next vendor, / then Enter on nothing: clear the search)"
                .to_owned()
        } else {
            format!(
                "no API errors counted yet; following {} file{}",
                stats.files,
                if stats.files == 1 { "" } else { "s" }
            )
        };
        let at = Rect {
            y: area.y + 2,
            height: 1,
            ..area
        };
        frame.render_widget(
            Paragraph::new(Span::styled(message, look.dim())).centered(),
            at,
        );
    }
}

fn selected_line(top: &Top, look: &Look) -> Line<'static> {
    let Some(row) = top.selected() else {
        return Line::default();
    };
    let status = row.key.status.map(|s| format!(" {s}")).unwrap_or_default();
    let description = if row.description.is_empty() {
        "(not in the catalog)".to_owned()
    } else {
        row.description.clone()
    };
    Line::from(vec![
        Span::styled(row.key.vendor.clone(), look.vendor(&row.key.vendor)),
        Span::raw(format!(
            " {}{status} · {} · {description}",
            row.key.code, row.category
        )),
        Span::styled(format!(" │ {}", one_line(row.last_message())), look.dim()),
    ])
}

fn key_line(top: &Top, look: &Look) -> Line<'static> {
    if let Panel::Search(text) = &top.ui.panel {
        return Line::from(vec![
            Span::styled("/", Style::new().add_modifier(Modifier::BOLD)),
            Span::raw(text.clone()),
            Span::styled("█", Style::new().add_modifier(Modifier::SLOW_BLINK)),
            Span::styled("  Enter: apply (empty: clear) · Esc: cancel", look.dim()),
        ]);
    }
    let keys = [
        ("q", "quit"),
        ("↑↓", "select"),
        ("Enter", "details"),
        ("v", "vendor"),
        ("/", "search"),
        ("s", "sort"),
        ("p", "pause"),
        ("?", "keys"),
    ];
    let mut spans = Vec::new();
    for (key, what) in keys {
        spans.push(Span::styled(
            key,
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        ));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

/// A box `width` x `height` centred in `area` (clipped to it).
fn centred(area: Rect, width: u16, height: u16) -> Rect {
    let width = width.min(area.width);
    let height = height.min(area.height);
    Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + (area.height - height) / 2,
        width,
        height,
    }
}

fn draw_details(frame: &mut Frame, stats: &Stats, row: &CodeRow, look: &Look, area: Rect) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let status = row
        .key
        .status
        .map(|s| s.to_string())
        .unwrap_or("none".into());
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                row.vendor_name.clone(),
                look.vendor(&row.key.vendor).patch(bold),
            ),
            Span::raw(format!(
                " ({}) · code {} · status {status}",
                row.key.vendor, row.key.code
            )),
        ]),
        Line::from(format!(
            "catalog: {}{}",
            if row.known {
                "documented"
            } else {
                "not documented (category from the status or range)"
            },
            row.name
                .as_deref()
                .map(|n| format!(" · name: {n}"))
                .unwrap_or_default()
        )),
        Line::from(format!("category: {}", row.category)),
        Line::from(format!(
            "description: {}",
            if row.description.is_empty() {
                "(none)"
            } else {
                &row.description
            }
        )),
        Line::from(format!(
            "counted: {} since start · {} in this window · {}/min now",
            row.total,
            row.window_count(stats.window()),
            row.rate(stats.now)
        )),
        Line::from(format!(
            "first seen {} · last seen {}",
            rfc3339(Some(row.first_seen)),
            rfc3339(Some(row.last_seen))
        )),
        Line::default(),
        Line::styled(
            format!("last {} samples (newest first):", row.samples.len()),
            bold,
        ),
    ];
    for sample in row.samples.iter().rev() {
        lines.push(Line::from(vec![
            Span::styled(
                format!("{} {} ", rfc3339(Some(sample.time)), sample.file),
                look.dim(),
            ),
            Span::raw(one_line(&sample.message)),
        ]));
    }
    let width = area.width.saturating_sub(4).min(110);
    let inner = usize::from(width.saturating_sub(2)).max(1);
    let wrapped: usize = lines.iter().map(|l| l.width().div_ceil(inner).max(1)).sum();
    let height = area
        .height
        .saturating_sub(2)
        .min(u16::try_from(wrapped + 2).unwrap_or(u16::MAX));
    let at = centred(area, width, height);
    frame.render_widget(Clear, at);
    frame.render_widget(
        Paragraph::new(lines).wrap(Wrap { trim: false }).block(
            Block::new()
                .borders(Borders::ALL)
                .title(" details · Enter or Esc closes ")
                .title_style(bold),
        ),
        at,
    );
}

/// The keys, as the help panel lists them.
pub const KEYS: [(&str, &str); 10] = [
    ("q, Esc, Ctrl-C", "quit (Esc first closes a panel)"),
    ("↑ ↓ (k j)", "select a row; PgUp PgDn Home End"),
    (
        "Enter",
        "the selected code's catalog entry and last samples",
    ),
    ("v", "next vendor filter (all, then each vendor in turn)"),
    (
        "/",
        "search: type, Enter applies (empty clears), Esc cancels",
    ),
    ("s", "sort: rate, window, total, last seen, name"),
    ("p or Space", "pause the screen (counting goes on)"),
    ("?", "this help"),
    ("RATE/m", "errors in the last minute"),
    ("WINDOW", "errors in the current window (--interval)"),
];

fn draw_help(frame: &mut Frame, look: &Look, area: Rect) {
    let bold = Style::new().add_modifier(Modifier::BOLD);
    let mut lines: Vec<Line> = KEYS
        .iter()
        .map(|(key, what)| {
            Line::from(vec![
                Span::styled(format!("{key:<15}"), bold),
                Span::raw(*what),
            ])
        })
        .collect();
    lines.push(Line::styled(
        format!("sparkline: errors a minute over the last {SPARK_MINUTES} minutes"),
        look.dim(),
    ));
    let at = centred(area, 76, lines.len() as u16 + 2);
    frame.render_widget(Clear, at);
    frame.render_widget(
        Paragraph::new(lines).block(
            Block::new()
                .borders(Borders::ALL)
                .title(" keys · ? or Esc closes ")
                .title_style(bold),
        ),
        at,
    );
}

/// Eight levels of `▁` to `█` scaled to the largest value; empty buckets
/// are blank. With `width` less than the number of buckets, neighbours
/// are added together (two or three minutes a character).
pub fn sparkline(series: &[u64], width: usize) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    if width == 0 || series.is_empty() {
        return String::new();
    }
    let per = series.len().div_ceil(width);
    let values: Vec<u64> = series.chunks(per).map(|c| c.iter().sum()).collect();
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if v == 0 || max == 0 {
                ' '
            } else {
                let level = (v as u128 * 8).div_ceil(max as u128) as usize;
                BARS[level.clamp(1, 8) - 1]
            }
        })
        .collect()
}

/// A count in at most six characters.
fn count(n: u64) -> String {
    if n < 100_000 {
        n.to_string()
    } else if n < 10_000_000 {
        format!("{}k", n / 1000)
    } else {
        format!("{:.1}M", n as f64 / 1e6)
    }
}

fn per_second(value: f64) -> String {
    if value < 10.0 {
        format!("{value:.1}")
    } else if value < 100_000.0 {
        format!("{value:.0}")
    } else {
        format!("{:.0}k", value / 1000.0)
    }
}

/// How long ago `then` was, at `now`, in at most five characters.
fn age(now: Timestamp, then: Timestamp) -> String {
    let secs = (now.as_second() - then.as_second()).max(0);
    match secs {
        0..60 => format!("{secs}s"),
        60..3600 => format!("{}m", secs / 60),
        3600..86_400 => format!("{}h", secs / 3600),
        _ => format!("{}d", (secs / 86_400).min(9999)),
    }
}

/// A window length as people write it.
fn duration(secs: i64) -> String {
    if secs % 3600 == 0 {
        format!("{}h", secs / 3600)
    } else if secs % 60 == 0 {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// Control characters (a message may hold newlines or escapes) as spaces.
fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use ratatui::backend::TestBackend;
    use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::Terminal;

    use super::*;
    use crate::aggregate::event::ErrorEvent;
    use crate::output::top::state::Alerts;
    use crate::vendors::VendorSet;

    /// 2026-12-01T03:00:00Z: the view starts here; the frames are drawn
    /// 40 minutes later.
    const START: i64 = 1_796_094_000;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(START + second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn event(
        vendor: &str,
        code: &str,
        status: Option<u16>,
        second: i64,
        message: &str,
    ) -> ErrorEvent {
        ErrorEvent {
            vendor: vendor.into(),
            code: code.into(),
            status,
            category: "unknown".into(),
            description: String::new(),
            known: false,
            message: message.into(),
            event_time: Some(at(second - 1)),
            arrival: at(second),
            file: "/var/log/app/api.log".into(),
            line: 1,
        }
    }

    fn vendors() -> VendorSet {
        VendorSet::builtin().unwrap_or_else(|e| panic!("{e}"))
    }

    /// An incident: Codat's company limit spiking over the last minutes,
    /// Ocrolus failing steadily, a little of everyone else.
    fn incident() -> Top {
        let mut top = Top::new(Stats::new(at(0), 900, true), vendors());
        let now = 40 * 60 + 30;
        for minute in 10..=40 {
            top.record(&event(
                "ocrolus",
                "1200",
                Some(400),
                minute * 60 + 7,
                "Authentication failed for jane.doe@example.com",
            ));
        }
        // Codat: 3, 6, ... 30 a minute over the last ten minutes.
        for k in 0..10i64 {
            let from = now - 600 + k * 60 + 1;
            for n in 0..(k + 1) * 3 {
                top.record(&event(
                    "codat",
                    "CompanyValidationException",
                    Some(402),
                    from + n,
                    "CompanyValidationException: company 8f14e45f-ceea-4e7a-9f1c-3b2f5d8a9c01 over the limit",
                ));
            }
        }
        for second in [now - 50, now - 20, now - 5] {
            top.record(&event("aplos", "1002", Some(401), second, "Missing Token"));
        }
        top.record(&event(
            "synapse",
            "100",
            Some(401),
            now - 300,
            "Incorrect Client Credentials, token=sk_live_51Hc9sQ2eZvKYlo2C",
        ));
        top.record(&event(
            "codat",
            "Datatype not supported",
            Some(404),
            now - 700,
            "Datatype [invoices] not supported by platform(s) [xero]",
        ));
        for second in 0..now {
            if second % 4 == 1 {
                top.live_mut().volume(5_000, 1_200_000, at(second));
            }
        }
        let stats = top.live_mut();
        stats.files = 3;
        stats.alerts = Alerts {
            rules: 2,
            firing: vec!["codat-company-limit".into()],
            last_notice: Some("alert codat-company-limit: 27 in 1m".into()),
        };
        stats.advance(at(now));
        top
    }

    fn look(colour: bool, top: &Top) -> Look {
        Look::new(
            colour,
            top.vendors().vendors().iter().map(|v| v.id.as_str()),
        )
    }

    fn render(top: &Top, colour: bool, width: u16, height: u16) -> Terminal<TestBackend> {
        let look = look(colour, top);
        let mut terminal =
            Terminal::new(TestBackend::new(width, height)).unwrap_or_else(|e| panic!("{e}"));
        terminal
            .draw(|frame| draw(frame, top, &look))
            .unwrap_or_else(|e| panic!("{e}"));
        terminal
    }

    fn press(top: &mut Top, code: KeyCode) {
        top.key(KeyEvent::new(code, KeyModifiers::NONE));
    }

    fn text(terminal: &Terminal<TestBackend>) -> String {
        let buffer = terminal.backend().buffer();
        let mut lines = Vec::new();
        for y in 0..buffer.area.height {
            let mut line = String::new();
            for x in 0..buffer.area.width {
                line.push_str(buffer[(x, y)].symbol());
            }
            lines.push(line);
        }
        lines.join("\n")
    }

    #[test]
    fn incident_at_80x24() {
        let top = incident();
        let terminal = render(&top, true, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        let screen = text(&terminal);
        // Sorted by rate: Codat's spike (30 in the last minute) first.
        let codat = screen.find("CompanyValida").unwrap_or(usize::MAX);
        let ocrolus = screen.find("1200").unwrap_or(usize::MAX);
        assert!(codat < ocrolus, "{screen}");
        assert!(screen.contains("FIRING: codat-company-limit"), "{screen}");
        assert!(screen.contains("q quit"), "{screen}");
    }

    #[test]
    fn incident_wide_shows_description_and_redacted_sample() {
        let top = incident();
        let terminal = render(&top, true, 200, 30);
        insta::assert_snapshot!(terminal.backend());
        let screen = text(&terminal);
        assert!(screen.contains("DESCRIPTION"), "{screen}");
        assert!(
            screen.contains("Authentication failed for <email>"),
            "{screen}"
        );
        assert!(!screen.contains("jane.doe@example.com"), "redacted");
        assert!(!screen.contains("sk_live"), "redacted");
    }

    #[test]
    fn incident_at_120x30() {
        let top = incident();
        insta::assert_snapshot!(render(&top, true, 120, 30).backend());
    }

    #[test]
    fn details_panel() {
        let mut top = incident();
        press(&mut top, KeyCode::Down);
        press(&mut top, KeyCode::Down);
        press(&mut top, KeyCode::Enter);
        let terminal = render(&top, true, 80, 24);
        insta::assert_snapshot!(terminal.backend());
        let screen = text(&terminal);
        assert!(screen.contains("code 1200"), "{screen}");
        assert!(screen.contains("Authentication failed"), "{screen}");
    }

    #[test]
    fn help_panel() {
        let mut top = incident();
        press(&mut top, KeyCode::Char('?'));
        insta::assert_snapshot!(render(&top, true, 80, 24).backend());
    }

    #[test]
    fn vendor_filter_search_and_pause() {
        let mut top = incident();
        press(&mut top, KeyCode::Char('v')); // aplos
        press(&mut top, KeyCode::Char('v')); // codat
        press(&mut top, KeyCode::Char('p'));
        press(&mut top, KeyCode::Char('/'));
        for c in "data".chars() {
            press(&mut top, KeyCode::Char(c));
        }
        let terminal = render(&top, true, 80, 24);
        insta::assert_snapshot!("typing_a_search", terminal.backend());
        press(&mut top, KeyCode::Enter);
        let terminal = render(&top, true, 80, 24);
        insta::assert_snapshot!("vendor_and_search_applied", terminal.backend());
        let screen = text(&terminal);
        assert!(screen.contains("PAUSED"), "{screen}");
        assert!(screen.contains("Datatype not"), "{screen}");
        assert!(!screen.contains("CompanyValida"), "{screen}");
    }

    #[test]
    fn nothing_yet_and_too_small() {
        let mut top = Top::new(Stats::new(at(0), 60, true), vendors());
        top.live_mut().files = 1;
        top.live_mut().advance(at(5));
        let terminal = render(&top, true, 80, 24);
        insta::assert_snapshot!("nothing_yet", terminal.backend());
        assert!(text(&terminal).contains("no API errors counted yet; following 1 file"));
        insta::assert_snapshot!("too_small", render(&top, true, 40, 8).backend());
    }

    /// Every cell's colours, as (x, y, fg, bg) for the cells not on the
    /// terminal's defaults.
    fn coloured_cells(terminal: &Terminal<TestBackend>) -> Vec<(u16, u16, Color, Color)> {
        let buffer = terminal.backend().buffer();
        let mut cells = Vec::new();
        for y in 0..buffer.area.height {
            for x in 0..buffer.area.width {
                let cell = &buffer[(x, y)];
                if cell.fg != Color::Reset || cell.bg != Color::Reset {
                    cells.push((x, y, cell.fg, cell.bg));
                }
            }
        }
        cells
    }

    #[test]
    fn no_color_keeps_attributes_only() {
        let top = incident();
        let terminal = render(&top, false, 80, 24);
        assert_eq!(
            coloured_cells(&terminal),
            vec![],
            "NO_COLOR: no colour at all"
        );
        // The same characters as in colour, selection still visible.
        assert_eq!(text(&terminal), text(&render(&top, true, 80, 24)));
        let buffer = terminal.backend().buffer();
        let selected_row = (0..buffer.area.height)
            .find(|&y| buffer[(0, y)].symbol() == "▸")
            .unwrap_or(0);
        assert!(buffer[(2, selected_row)]
            .modifier
            .contains(Modifier::REVERSED));
        insta::assert_debug_snapshot!(buffer);
    }

    #[test]
    fn colours_are_the_html_reports() {
        let top = incident();
        let terminal = render(&top, true, 80, 24);
        let buffer = terminal.backend().buffer();
        let row_of = |needle: &str| {
            (0..buffer.area.height).find(|&y| {
                (0..buffer.area.width)
                    .map(|x| buffer[(x, y)].symbol())
                    .collect::<String>()
                    .contains(needle)
            })
        };
        let ocrolus = row_of("1200").unwrap_or(0);
        let codat = row_of("CompanyValida").unwrap_or(0);
        // The vendor cell, after the two-column selection mark.
        assert_eq!(buffer[(2, ocrolus)].fg, Color::Rgb(0x25, 0x63, 0xeb));
        assert_eq!(buffer[(2, codat)].fg, Color::Rgb(0x93, 0x33, 0xea));
        insta::assert_debug_snapshot!(buffer);
    }

    #[test]
    fn a_resize_redraws_everything() {
        let top = incident();
        let look = look(true, &top);
        let mut terminal =
            Terminal::new(TestBackend::new(120, 30)).unwrap_or_else(|e| panic!("{e}"));
        terminal
            .draw(|frame| draw(frame, &top, &look))
            .unwrap_or_else(|e| panic!("{e}"));
        terminal.backend_mut().resize(80, 24);
        terminal
            .draw(|frame| draw(frame, &top, &look))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text(&terminal), text(&render(&top, true, 80, 24)));
        terminal.backend_mut().resize(200, 50);
        terminal
            .draw(|frame| draw(frame, &top, &look))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(text(&terminal), text(&render(&top, true, 200, 50)));
    }

    #[test]
    fn sparkline_scales_and_squeezes() {
        assert_eq!(sparkline(&[0, 1, 2, 4, 8], 5), "  ▂▄█".replace("  ", " ▁"));
        assert_eq!(sparkline(&[0, 0, 0], 3), "   ");
        // Thirty minutes in fifteen characters: pairs added.
        let mut series = vec![0; 30];
        series[28] = 1;
        series[29] = 1;
        series[0] = 2;
        assert_eq!(sparkline(&series, 15), format!("█{}█", " ".repeat(13)));
        assert_eq!(sparkline(&series, 10).chars().count(), 10);
        assert_eq!(sparkline(&[5], 0), "");
    }

    #[test]
    fn small_formats() {
        assert_eq!(count(99_999), "99999");
        assert_eq!(count(123_456), "123k");
        assert_eq!(count(12_345_678), "12.3M");
        assert_eq!(age(at(100), at(99)), "1s");
        assert_eq!(age(at(100), at(200)), "0s", "a time ahead is now");
        assert_eq!(age(at(7200), at(0)), "2h");
        assert_eq!(duration(300), "5m");
        assert_eq!(duration(90), "90s");
        assert_eq!(one_line("a\nb\x1b[31m"), "a b [31m");
        assert_eq!(hex_colour("#2563eb"), Some(Color::Rgb(0x25, 0x63, 0xeb)));
        assert_eq!(hex_colour("2563eb"), None);
    }
}
