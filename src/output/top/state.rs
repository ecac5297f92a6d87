//! What `errscope top` shows, as plain data: the counts per vendor, code
//! and status with their rates, windows and sparkline buckets, the volume
//! read, the alert rules firing; and the viewer's choices (selection, sort,
//! filters, pause, the open panel) with the keys that change them.
//!
//! Nothing here reads a clock or touches the terminal: every time is
//! passed in, so the same events and times give the same screen.
//!
//! Rates, windows and the sparkline go by *arrival* (when errscope read
//! the line), so they say what is happening now even when the lines carry
//! times from another time zone or a file is read from its beginning;
//! "last seen" is the line's own time (its arrival when it had none).

use std::collections::{HashMap, VecDeque};

use jiff::Timestamp;
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use crate::aggregate::event::ErrorEvent;
use crate::output::redact::redact;
use crate::vendors::VendorSet;

/// The sparkline covers this many minutes, one bucket a minute.
pub const SPARK_MINUTES: usize = 30;
/// The rate is the count over this many seconds (so it is per minute).
const RATE_SECONDS: usize = 60;
/// Lines and bytes per second are averaged over this many seconds.
const VOLUME_SECONDS: usize = 10;
/// Samples kept per row for the details panel.
pub const SAMPLES_KEPT: usize = 5;
/// Sample messages are cut to this many characters.
const SAMPLE_CHARS: usize = 400;
/// Rows kept at most; beyond, the one seen longest ago goes.
pub const MAX_ROWS: usize = 2000;
/// A search text is at most this long.
const MAX_SEARCH: usize = 200;

/// One row of the table.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RowKey {
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
}

/// Counts in consecutive buckets of equal length (seconds or minutes),
/// keeping only the last `len` buckets before the newest index seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Buckets {
    len: usize,
    /// (bucket index, count), oldest first, indices strictly increasing.
    counts: VecDeque<(i64, u64)>,
}

impl Buckets {
    pub fn new(len: usize) -> Buckets {
        Buckets {
            len: len.max(1),
            counts: VecDeque::new(),
        }
    }

    /// Adds `n` to bucket `index`. Indices may arrive a little out of
    /// order (several readers); one older than the kept span is dropped.
    pub fn add(&mut self, index: i64, n: u64) {
        let newest = self.counts.back().map_or(index, |&(i, _)| i.max(index));
        if index <= newest - self.len as i64 {
            return;
        }
        match self.counts.iter().rposition(|&(i, _)| i <= index) {
            Some(p) if self.counts[p].0 == index => self.counts[p].1 += n,
            Some(p) => self.counts.insert(p + 1, (index, n)),
            None => self.counts.push_front((index, n)),
        }
        while self
            .counts
            .front()
            .is_some_and(|&(i, _)| i <= newest - self.len as i64)
        {
            self.counts.pop_front();
        }
    }

    /// The sum of the `len` buckets ending at `now` (included).
    pub fn recent(&self, now: i64) -> u64 {
        let from = now - self.len as i64;
        self.counts
            .iter()
            .filter(|&&(i, _)| i > from && i <= now)
            .map(|&(_, n)| n)
            .sum()
    }

    /// The `len` buckets ending at `now`, oldest first, empty ones as 0.
    pub fn series(&self, now: i64) -> Vec<u64> {
        let mut series = vec![0; self.len];
        let from = now - self.len as i64 + 1;
        for &(i, n) in &self.counts {
            if i >= from && i <= now {
                series[(i - from) as usize] += n;
            }
        }
        series
    }
}

/// One sample message of a row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// The line's time, or its arrival.
    pub time: Timestamp,
    pub file: String,
    /// Redacted unless asked otherwise.
    pub message: String,
    /// As logged (not shown): a repeat reuses the redacted text.
    raw: String,
}

/// One vendor / code / status.
#[derive(Debug, Clone)]
pub struct CodeRow {
    pub key: RowKey,
    /// The vendor's display name.
    pub vendor_name: String,
    /// What the catalog says.
    pub known: bool,
    pub name: Option<String>,
    pub category: String,
    pub description: String,
    /// Counted since start.
    pub total: u64,
    /// (window index, count in it).
    window: (i64, u64),
    seconds: Buckets,
    minutes: Buckets,
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    pub last_arrival: Timestamp,
    /// Newest last.
    pub samples: VecDeque<Sample>,
}

impl CodeRow {
    /// Events in the last minute up to `now`: the rate per minute.
    pub fn rate(&self, now: Timestamp) -> u64 {
        self.seconds.recent(now.as_second())
    }

    /// Events in window `index`.
    pub fn window_count(&self, index: i64) -> u64 {
        if self.window.0 == index {
            self.window.1
        } else {
            0
        }
    }

    /// Events per minute over the last [`SPARK_MINUTES`], oldest first.
    pub fn spark(&self, now: Timestamp) -> Vec<u64> {
        self.minutes.series(minute(now))
    }

    /// The latest sample message.
    pub fn last_message(&self) -> &str {
        self.samples.back().map_or("", |s| s.message.as_str())
    }

    fn matches(&self, needle: &str) -> bool {
        let status = self.key.status.map(|s| s.to_string()).unwrap_or_default();
        [
            self.key.vendor.as_str(),
            self.vendor_name.as_str(),
            self.key.code.as_str(),
            status.as_str(),
            self.category.as_str(),
            self.description.as_str(),
            self.name.as_deref().unwrap_or(""),
            self.last_message(),
        ]
        .iter()
        .any(|field| field.to_lowercase().contains(needle))
    }
}

fn minute(time: Timestamp) -> i64 {
    time.as_second().div_euclid(60)
}

/// The config's alert rules as the alert engine sees them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Alerts {
    /// Number of `[[alert]]` rules evaluated.
    pub rules: usize,
    /// Names of the rules firing now, in config order.
    pub firing: Vec<String>,
    /// The latest notice (alert or resolved), as text.
    pub last_notice: Option<String>,
}

/// What the pipeline tells the view.
#[derive(Debug, Clone)]
pub enum Update {
    Event(Box<ErrorEvent>),
    /// Lines and bytes read, at a time.
    Volume {
        lines: u64,
        bytes: u64,
        at: Timestamp,
    },
    /// Files followed now.
    Files(usize),
    /// The alert rules and those firing.
    Alerts {
        rules: usize,
        firing: Vec<String>,
    },
    /// An alert or resolved notice, as text.
    Notice(String),
    /// A diagnostic line (a warning about a file, a sink, ...), at a time.
    Warning(Timestamp, String),
}

/// A warning stays on screen this long.
pub const WARNING_SECS: i64 = 60;

/// The counts: everything the live stream has said.
#[derive(Debug, Clone)]
pub struct Stats {
    /// When the view started (windows count from here).
    pub start: Timestamp,
    /// Length of a window, in seconds (at least 1).
    pub window_secs: i64,
    /// The time the view was last advanced to.
    pub now: Timestamp,
    rows: HashMap<RowKey, CodeRow>,
    /// Errors counted since start.
    pub errors: u64,
    errors_window: (i64, u64),
    errors_seconds: Buckets,
    pub lines: u64,
    pub bytes: u64,
    lines_seconds: Buckets,
    bytes_seconds: Buckets,
    /// Files followed now.
    pub files: usize,
    pub alerts: Alerts,
    /// The latest warning from the pipeline, and when it came.
    pub warning: Option<(Timestamp, String)>,
    /// Rows let go to stay under [`MAX_ROWS`].
    pub evicted: u64,
    redact: bool,
}

impl Stats {
    pub fn new(start: Timestamp, window_secs: i64, redact: bool) -> Stats {
        Stats {
            start,
            window_secs: window_secs.max(1),
            now: start,
            rows: HashMap::new(),
            errors: 0,
            errors_window: (0, 0),
            errors_seconds: Buckets::new(RATE_SECONDS),
            lines: 0,
            bytes: 0,
            lines_seconds: Buckets::new(VOLUME_SECONDS + 1),
            bytes_seconds: Buckets::new(VOLUME_SECONDS + 1),
            files: 0,
            alerts: Alerts::default(),
            warning: None,
            evicted: 0,
            redact,
        }
    }

    /// Moves the clock on (never back).
    pub fn advance(&mut self, now: Timestamp) {
        self.now = self.now.max(now);
    }

    /// The window `time` falls in (windows are counted from the start).
    pub fn window_index(&self, time: Timestamp) -> i64 {
        (time.as_second() - self.start.as_second()).div_euclid(self.window_secs)
    }

    /// The current window.
    pub fn window(&self) -> i64 {
        self.window_index(self.now)
    }

    /// When the current window started.
    pub fn window_start(&self) -> Timestamp {
        let secs = self.start.as_second() + self.window() * self.window_secs;
        Timestamp::from_second(secs).unwrap_or(self.start)
    }

    /// Counts one decoded error; the catalog is read from `vendors`.
    pub fn record(&mut self, event: &ErrorEvent, vendors: &VendorSet) {
        let arrival = event.arrival;
        self.advance(arrival);
        let key = RowKey {
            vendor: event.vendor.clone(),
            code: event.code.clone(),
            status: event.status,
        };
        if !self.rows.contains_key(&key) {
            self.make_room();
            let (vendor_name, known, name, category, description) =
                match vendors.index_of(&event.vendor) {
                    Some(i) => {
                        let vendor = vendors.get(i);
                        let found = vendor.lookup(&event.code, event.status);
                        (
                            vendor.name.clone(),
                            found.known,
                            found.name.map(str::to_owned),
                            found.category.to_owned(),
                            found.description.to_owned(),
                        )
                    }
                    None => (
                        event.vendor.clone(),
                        event.known,
                        None,
                        event.category.clone(),
                        event.description.clone(),
                    ),
                };
            self.rows.insert(
                key.clone(),
                CodeRow {
                    key: key.clone(),
                    vendor_name,
                    known,
                    name,
                    category,
                    description,
                    total: 0,
                    window: (i64::MIN, 0),
                    seconds: Buckets::new(RATE_SECONDS),
                    minutes: Buckets::new(SPARK_MINUTES),
                    first_seen: event.time(),
                    last_seen: event.time(),
                    last_arrival: arrival,
                    samples: VecDeque::new(),
                },
            );
        }
        let window = self.window_index(arrival);
        let redact_on = self.redact;
        let Some(row) = self.rows.get_mut(&key) else {
            return;
        };
        row.total += 1;
        if row.window.0 == window {
            row.window.1 += 1;
        } else if row.window.0 < window {
            row.window = (window, 1);
        }
        row.seconds.add(arrival.as_second(), 1);
        row.minutes.add(minute(arrival), 1);
        row.first_seen = row.first_seen.min(event.time());
        row.last_seen = row.last_seen.max(event.time());
        row.last_arrival = row.last_arrival.max(arrival);
        let message = match row.samples.back() {
            Some(last) if last.raw == event.message => last.message.clone(),
            _ if redact_on => cut(redact(&event.message), SAMPLE_CHARS),
            _ => cut(event.message.clone(), SAMPLE_CHARS),
        };
        row.samples.push_back(Sample {
            time: event.time(),
            file: event.file.clone(),
            message,
            raw: event.message.clone(),
        });
        while row.samples.len() > SAMPLES_KEPT {
            row.samples.pop_front();
        }
        self.errors += 1;
        if self.errors_window.0 == window {
            self.errors_window.1 += 1;
        } else if self.errors_window.0 < window {
            self.errors_window = (window, 1);
        }
        self.errors_seconds.add(arrival.as_second(), 1);
    }

    /// Lines and bytes read, at `at`.
    pub fn volume(&mut self, lines: u64, bytes: u64, at: Timestamp) {
        self.advance(at);
        self.lines += lines;
        self.bytes += bytes;
        self.lines_seconds.add(at.as_second(), lines);
        self.bytes_seconds.add(at.as_second(), bytes);
    }

    fn make_room(&mut self) {
        while self.rows.len() >= MAX_ROWS {
            let Some(oldest) = self
                .rows
                .values()
                .min_by(|a, b| {
                    a.last_arrival
                        .cmp(&b.last_arrival)
                        .then_with(|| a.key.cmp(&b.key))
                })
                .map(|r| r.key.clone())
            else {
                return;
            };
            self.rows.remove(&oldest);
            self.evicted += 1;
        }
    }

    /// Lines and bytes read per second, over the last seconds before now
    /// (fewer right after the start).
    pub fn per_second(&self) -> (f64, f64) {
        // The current second is still filling: the complete ones before it.
        let now = self.now.as_second() - 1;
        let elapsed = (now - self.start.as_second() + 1).clamp(1, VOLUME_SECONDS as i64);
        let from = now - elapsed;
        let sum = |b: &Buckets| -> u64 {
            b.counts
                .iter()
                .filter(|&&(i, _)| i > from && i <= now)
                .map(|&(_, n)| n)
                .sum()
        };
        let secs = elapsed as f64;
        (
            sum(&self.lines_seconds) as f64 / secs,
            sum(&self.bytes_seconds) as f64 / secs,
        )
    }

    /// Errors in the last minute, all rows.
    pub fn rate(&self) -> u64 {
        self.errors_seconds.recent(self.now.as_second())
    }

    /// Errors in the current window, all rows.
    pub fn errors_in_window(&self) -> u64 {
        if self.errors_window.0 == self.window() {
            self.errors_window.1
        } else {
            0
        }
    }

    pub fn row(&self, key: &RowKey) -> Option<&CodeRow> {
        self.rows.get(key)
    }

    pub fn row_count(&self) -> usize {
        self.rows.len()
    }

    /// The vendors that have rows, sorted.
    pub fn vendors(&self) -> Vec<String> {
        let mut vendors: Vec<String> = self.rows.keys().map(|k| k.vendor.clone()).collect();
        vendors.sort();
        vendors.dedup();
        vendors
    }

    /// The rows `ui` shows, in its order.
    pub fn visible(&self, ui: &Ui) -> Vec<&CodeRow> {
        let needle = ui.search.to_lowercase();
        let mut rows: Vec<&CodeRow> = self
            .rows
            .values()
            .filter(|r| ui.vendor.as_ref().is_none_or(|v| *v == r.key.vendor))
            .filter(|r| needle.is_empty() || r.matches(&needle))
            .collect();
        let now = self.now;
        let window = self.window();
        rows.sort_by(|a, b| {
            let by = match ui.sort {
                Sort::Rate => b.rate(now).cmp(&a.rate(now)),
                Sort::Window => b.window_count(window).cmp(&a.window_count(window)),
                Sort::Total => b.total.cmp(&a.total),
                Sort::Recent => b.last_arrival.cmp(&a.last_arrival),
                Sort::Name => a.key.cmp(&b.key),
            };
            by.then_with(|| b.total.cmp(&a.total))
                .then_with(|| a.key.cmp(&b.key))
        });
        rows
    }
}

fn cut(mut text: String, max: usize) -> String {
    if let Some((at, _)) = text.char_indices().nth(max) {
        text.truncate(at);
        text.push('…');
    }
    text
}

/// The order of the rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    /// Errors in the last minute, highest first.
    #[default]
    Rate,
    /// Errors in the current window.
    Window,
    /// Errors since start.
    Total,
    /// Most recently seen first.
    Recent,
    /// Vendor, code, status.
    Name,
}

impl Sort {
    pub fn next(self) -> Sort {
        match self {
            Sort::Rate => Sort::Window,
            Sort::Window => Sort::Total,
            Sort::Total => Sort::Recent,
            Sort::Recent => Sort::Name,
            Sort::Name => Sort::Rate,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Rate => "rate",
            Sort::Window => "window",
            Sort::Total => "total",
            Sort::Recent => "last seen",
            Sort::Name => "name",
        }
    }
}

/// What covers the table, if anything.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Panel {
    #[default]
    None,
    /// The selected code's catalog entry and last samples.
    Details,
    /// The keys.
    Help,
    /// Typing a search text (the text so far).
    Search(String),
}

/// The viewer's choices.
#[derive(Debug, Clone, Default)]
pub struct Ui {
    pub sort: Sort,
    /// Only this vendor's rows.
    pub vendor: Option<String>,
    /// Only rows with this text (case-insensitive) in a field.
    pub search: String,
    /// Follows the row, not the position, as rows move.
    pub selected: Option<RowKey>,
    pub panel: Panel,
    pub paused: bool,
}

/// What a key asks of the loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Continue,
    Quit,
}

/// The whole view: live counts, a frozen copy while paused, the choices.
#[derive(Debug, Clone)]
pub struct Top {
    live: Stats,
    frozen: Option<Stats>,
    pub ui: Ui,
    vendors: VendorSet,
}

impl Top {
    pub fn new(stats: Stats, vendors: VendorSet) -> Top {
        Top {
            live: stats,
            frozen: None,
            ui: Ui::default(),
            vendors,
        }
    }

    /// What the screen shows: the frozen counts while paused.
    pub fn shown(&self) -> &Stats {
        self.frozen.as_ref().unwrap_or(&self.live)
    }

    /// The catalog the rows are described from.
    pub fn vendors(&self) -> &VendorSet {
        &self.vendors
    }

    /// The counts as they are (paused or not).
    pub fn live(&self) -> &Stats {
        &self.live
    }

    pub fn live_mut(&mut self) -> &mut Stats {
        &mut self.live
    }

    pub fn record(&mut self, event: &ErrorEvent) {
        self.live.record(event, &self.vendors);
    }

    /// Applies what the pipeline said.
    pub fn update(&mut self, update: Update) {
        let stats = &mut self.live;
        match update {
            Update::Event(event) => stats.record(&event, &self.vendors),
            Update::Volume { lines, bytes, at } => stats.volume(lines, bytes, at),
            Update::Files(files) => stats.files = files,
            Update::Alerts { rules, firing } => {
                stats.alerts.rules = rules;
                stats.alerts.firing = firing;
            }
            Update::Notice(text) => stats.alerts.last_notice = Some(text),
            Update::Warning(at, text) => {
                let text = text.strip_prefix("errscope: ").unwrap_or(&text);
                stats.warning = Some((at, text.to_owned()));
            }
        }
    }

    /// The rows on screen, in order.
    pub fn visible(&self) -> Vec<&CodeRow> {
        self.shown().visible(&self.ui)
    }

    /// The selected row: the chosen one if still shown, else the first.
    pub fn selected(&self) -> Option<&CodeRow> {
        let rows = self.visible();
        let chosen = self
            .ui
            .selected
            .as_ref()
            .and_then(|key| rows.iter().position(|r| &r.key == key));
        rows.get(chosen.unwrap_or(0)).copied()
    }

    /// Position of the selected row among the visible ones.
    pub fn selected_index(&self) -> Option<usize> {
        let selected = self.selected()?;
        self.visible().iter().position(|r| r.key == selected.key)
    }

    fn move_selection(&mut self, by: isize) {
        let rows = self.visible();
        if rows.is_empty() {
            return;
        }
        let at = self.selected_index().unwrap_or(0) as isize;
        let to = (at + by).clamp(0, rows.len() as isize - 1) as usize;
        let key = rows[to].key.clone();
        self.ui.selected = Some(key);
    }

    fn toggle_pause(&mut self) {
        self.ui.paused = !self.ui.paused;
        self.frozen = if self.ui.paused {
            Some(self.live.clone())
        } else {
            None
        };
    }

    /// The next vendor filter: all, then each vendor with rows, in turn.
    fn next_vendor(&mut self) {
        let vendors = self.shown().vendors();
        self.ui.vendor = match &self.ui.vendor {
            None => vendors.first().cloned(),
            Some(current) => vendors.iter().find(|v| *v > current).cloned(),
        };
    }

    /// Applies a key press.
    pub fn key(&mut self, key: KeyEvent) -> Action {
        if key.kind == KeyEventKind::Release {
            return Action::Continue;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if ctrl && matches!(key.code, KeyCode::Char('c' | 'C')) {
            return Action::Quit;
        }
        if let Panel::Search(text) = &mut self.ui.panel {
            match key.code {
                KeyCode::Enter => {
                    self.ui.search = text.trim().to_owned();
                    self.ui.panel = Panel::None;
                }
                KeyCode::Esc => self.ui.panel = Panel::None,
                KeyCode::Backspace => {
                    text.pop();
                }
                KeyCode::Char(c) if !ctrl && text.chars().count() < MAX_SEARCH => text.push(c),
                _ => {}
            }
            return Action::Continue;
        }
        let panel_open = self.ui.panel != Panel::None;
        match key.code {
            KeyCode::Char('q' | 'Q') => return Action::Quit,
            KeyCode::Esc if panel_open => self.ui.panel = Panel::None,
            KeyCode::Esc => return Action::Quit,
            KeyCode::Enter if self.ui.panel == Panel::Details => self.ui.panel = Panel::None,
            KeyCode::Enter => {
                if let Some(key) = self.selected().map(|r| r.key.clone()) {
                    self.ui.selected = Some(key);
                    self.ui.panel = Panel::Details;
                }
            }
            KeyCode::Char('?') if self.ui.panel == Panel::Help => self.ui.panel = Panel::None,
            KeyCode::Char('?') => self.ui.panel = Panel::Help,
            KeyCode::Up | KeyCode::Char('k') => self.move_selection(-1),
            KeyCode::Down | KeyCode::Char('j') => self.move_selection(1),
            KeyCode::PageUp => self.move_selection(-10),
            KeyCode::PageDown => self.move_selection(10),
            KeyCode::Home => self.move_selection(isize::MIN / 2),
            KeyCode::End => self.move_selection(isize::MAX / 2),
            KeyCode::Char('v') => self.next_vendor(),
            KeyCode::Char('/') => self.ui.panel = Panel::Search(self.ui.search.clone()),
            KeyCode::Char('s') => self.ui.sort = self.ui.sort.next(),
            KeyCode::Char('p') | KeyCode::Char(' ') => self.toggle_pause(),
            _ => {}
        }
        Action::Continue
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(second: i64) -> Timestamp {
        Timestamp::from_second(1_796_000_000 + second).unwrap_or(Timestamp::UNIX_EPOCH)
    }

    fn event(vendor: &str, code: &str, status: Option<u16>, arrival: Timestamp) -> ErrorEvent {
        ErrorEvent {
            vendor: vendor.into(),
            code: code.into(),
            status,
            category: "unknown".into(),
            description: String::new(),
            known: false,
            message: "token=abc123 for jane@example.com".into(),
            event_time: None,
            arrival,
            file: "app.log".into(),
            line: 1,
        }
    }

    fn press(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn top() -> Top {
        let vendors = VendorSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        Top::new(Stats::new(at(0), 60, true), vendors)
    }

    #[test]
    fn buckets_keep_the_last_span_and_take_late_arrivals() {
        let mut b = Buckets::new(3);
        b.add(10, 1);
        b.add(12, 2);
        b.add(11, 4); // out of order
        b.add(12, 1);
        assert_eq!(b.series(12), vec![1, 4, 3]);
        assert_eq!(b.recent(12), 8);
        b.add(14, 5); // 10 and 11 fall out
        assert_eq!(b.series(14), vec![3, 0, 5]);
        b.add(11, 9); // older than the span: dropped
        assert_eq!(b.recent(14), 8);
        assert_eq!(b.recent(20), 0, "nothing in the last 3 buckets");
        assert_eq!(b.series(13), vec![0, 3, 0]);
    }

    #[test]
    fn rate_is_the_last_minute_and_windows_tumble() {
        let mut top = top();
        for s in [1, 2, 30, 59, 61] {
            top.record(&event("codat", "X", Some(404), at(s)));
        }
        let stats = top.live();
        let key = RowKey {
            vendor: "codat".into(),
            code: "X".into(),
            status: Some(404),
        };
        let row = stats.row(&key).unwrap_or_else(|| panic!("no row"));
        // At 61 the last minute is (1, 61]: seconds 2, 30, 59, 61.
        assert_eq!(row.rate(at(61)), 4);
        assert_eq!(row.rate(at(200)), 0);
        assert_eq!(row.total, 5);
        // Windows of 60 s from the start: [0, 60) holds 4, [60, 120) holds 1.
        assert_eq!(stats.window(), 1);
        assert_eq!(row.window_count(1), 1);
        assert_eq!(row.window_count(0), 0, "only the current window is kept");
        assert_eq!(stats.errors_in_window(), 1);
        assert_eq!(stats.errors, 5);
        assert_eq!(stats.window_start(), at(60));
    }

    #[test]
    fn sparkline_buckets_are_minutes_of_the_last_half_hour() {
        let mut top = top();
        top.record(&event("codat", "X", None, at(0)));
        top.record(&event("codat", "X", None, at(65)));
        top.record(&event("codat", "X", None, at(70)));
        let now = at(29 * 60 + 5);
        top.live_mut().advance(now);
        let key = RowKey {
            vendor: "codat".into(),
            code: "X".into(),
            status: None,
        };
        let spark = top
            .live()
            .row(&key)
            .map(|r| r.spark(now))
            .unwrap_or_default();
        assert_eq!(spark.len(), SPARK_MINUTES);
        // at(0) is 1_796_000_000 s: minute boundaries fall 20 s in.
        let base = at(0).as_second().div_euclid(60);
        let first = minute(now) - SPARK_MINUTES as i64 + 1;
        let mut expected = vec![0; SPARK_MINUTES];
        expected[(base - first) as usize] += 1;
        expected[(minute(at(65)) - first) as usize] += 2;
        assert_eq!(spark, expected);
        assert_eq!(spark.iter().sum::<u64>(), 3);
    }

    #[test]
    fn catalog_and_redaction_fill_the_row() {
        let mut top = top();
        let mut e = event("ocrolus", "1200", Some(400), at(3));
        e.event_time = Some(at(-30));
        top.record(&e);
        let row = top.visible()[0].clone();
        assert!(row.known);
        assert_eq!(row.description, "Authentication failed");
        assert_eq!(row.vendor_name, "Ocrolus");
        assert_eq!(row.last_seen, at(-30), "last seen is the line's time");
        assert_eq!(row.last_message(), "token=<token> for <email>");
        let mut plain = Stats::new(at(0), 60, false);
        let vendors = VendorSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        plain.record(&e, &vendors);
        let row = plain.visible(&Ui::default())[0].clone();
        assert_eq!(row.last_message(), "token=abc123 for jane@example.com");
    }

    #[test]
    fn samples_are_the_last_few() {
        let mut top = top();
        for s in 0..(SAMPLES_KEPT as i64 + 3) {
            let mut e = event("codat", "X", None, at(s));
            e.message = format!("m{s}");
            top.record(&e);
        }
        let row = top.visible()[0];
        assert_eq!(row.samples.len(), SAMPLES_KEPT);
        assert_eq!(row.samples[0].message, "m3");
        assert_eq!(row.last_message(), format!("m{}", SAMPLES_KEPT + 2));
    }

    #[test]
    fn sorts_and_filters() {
        let mut top = top();
        // aplos: 3 long ago; codat: 1 now; ocrolus: 2 now.
        for s in [0, 1, 2] {
            top.record(&event("aplos", "1002", Some(401), at(s)));
        }
        top.record(&event("codat", "X", Some(404), at(100)));
        top.record(&event("ocrolus", "1200", Some(400), at(101)));
        top.record(&event("ocrolus", "1200", Some(400), at(102)));
        let order = |top: &Top| -> Vec<String> {
            top.visible().iter().map(|r| r.key.vendor.clone()).collect()
        };
        assert_eq!(order(&top), ["ocrolus", "codat", "aplos"], "by rate");
        top.key(press(KeyCode::Char('s')));
        assert_eq!(top.ui.sort, Sort::Window);
        top.key(press(KeyCode::Char('s')));
        assert_eq!(order(&top), ["aplos", "ocrolus", "codat"], "by total");
        top.key(press(KeyCode::Char('s')));
        assert_eq!(order(&top), ["ocrolus", "codat", "aplos"], "by last seen");
        top.key(press(KeyCode::Char('s')));
        assert_eq!(order(&top), ["aplos", "codat", "ocrolus"], "by name");
        top.key(press(KeyCode::Char('s')));
        assert_eq!(top.ui.sort, Sort::Rate);

        top.key(press(KeyCode::Char('v')));
        assert_eq!(order(&top), ["aplos"]);
        top.key(press(KeyCode::Char('v')));
        assert_eq!(order(&top), ["codat"]);
        top.key(press(KeyCode::Char('v')));
        top.key(press(KeyCode::Char('v')));
        assert_eq!(top.ui.vendor, None, "back to all vendors");

        for key in [
            KeyCode::Char('/'),
            KeyCode::Char('F'),
            KeyCode::Char('a'),
            KeyCode::Char('x'),
            KeyCode::Backspace,
            KeyCode::Char('i'),
            KeyCode::Char('l'),
        ] {
            assert_eq!(
                top.key(press(key)),
                Action::Continue,
                "typing, not quitting"
            );
        }
        assert_eq!(top.ui.panel, Panel::Search("Fail".into()));
        top.key(press(KeyCode::Enter));
        // "Authentication failed" is 1200's description (any case).
        assert_eq!(order(&top), ["ocrolus"]);
        top.key(press(KeyCode::Char('/')));
        top.key(press(KeyCode::Char('q'))); // typed, not quit
        top.key(press(KeyCode::Esc)); // cancels the edit
        assert_eq!(top.ui.search, "Fail");
        assert_eq!(top.ui.panel, Panel::None);
    }

    #[test]
    fn selection_follows_the_row_as_rows_move() {
        let mut top = top();
        top.record(&event("codat", "A", None, at(1)));
        top.record(&event("codat", "B", None, at(1)));
        top.record(&event("codat", "B", None, at(1)));
        assert_eq!(top.selected().map(|r| r.key.code.as_str()), Some("B"));
        top.key(press(KeyCode::Down));
        assert_eq!(top.selected().map(|r| r.key.code.as_str()), Some("A"));
        top.key(press(KeyCode::Down));
        assert_eq!(top.selected_index(), Some(1), "stops at the last row");
        for _ in 0..3 {
            top.record(&event("codat", "A", None, at(2)));
        }
        // A now leads; the selection moved with it.
        assert_eq!(top.selected_index(), Some(0));
        assert_eq!(top.selected().map(|r| r.key.code.as_str()), Some("A"));
        top.key(press(KeyCode::Up));
        assert_eq!(top.selected_index(), Some(0));
        top.key(press(KeyCode::End));
        assert_eq!(top.selected().map(|r| r.key.code.as_str()), Some("B"));
    }

    #[test]
    fn keys_open_panels_pause_and_quit() {
        let mut top = top();
        top.key(press(KeyCode::Enter));
        assert_eq!(top.ui.panel, Panel::None, "no row, no details");
        top.record(&event("codat", "A", None, at(1)));
        top.key(press(KeyCode::Enter));
        assert_eq!(top.ui.panel, Panel::Details);
        assert_eq!(top.key(press(KeyCode::Esc)), Action::Continue);
        assert_eq!(top.ui.panel, Panel::None, "Esc closes the panel first");
        top.key(press(KeyCode::Char('?')));
        assert_eq!(top.ui.panel, Panel::Help);
        assert_eq!(top.key(press(KeyCode::Char('q'))), Action::Quit);
        top.ui.panel = Panel::None;
        assert_eq!(top.key(press(KeyCode::Esc)), Action::Quit);
        let ctrl_c = KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL);
        top.ui.panel = Panel::Search(String::new());
        assert_eq!(top.key(ctrl_c), Action::Quit, "even while typing");

        top.ui.panel = Panel::None;
        top.key(press(KeyCode::Char('p')));
        assert!(top.ui.paused);
        top.record(&event("codat", "A", None, at(2)));
        assert_eq!(top.visible()[0].total, 1, "paused: the screen holds still");
        assert_eq!(top.live().errors, 2, "but counting goes on");
        top.key(press(KeyCode::Char('p')));
        assert_eq!(top.visible()[0].total, 2);
    }

    #[test]
    fn updates_from_the_pipeline() {
        let mut top = top();
        top.update(Update::Event(Box::new(event("codat", "X", None, at(1)))));
        top.update(Update::Volume {
            lines: 10,
            bytes: 100,
            at: at(1),
        });
        top.update(Update::Files(2));
        top.update(Update::Alerts {
            rules: 3,
            firing: vec!["r1".into()],
        });
        top.update(Update::Notice("alert r1".into()));
        top.update(Update::Warning(
            at(2),
            "errscope: warning: a.log: permission denied".into(),
        ));
        let stats = top.live();
        assert_eq!((stats.errors, stats.lines, stats.bytes), (1, 10, 100));
        assert_eq!(stats.files, 2);
        assert_eq!(stats.alerts.rules, 3);
        assert_eq!(stats.alerts.firing, ["r1"]);
        assert_eq!(stats.alerts.last_notice.as_deref(), Some("alert r1"));
        assert_eq!(
            stats.warning,
            Some((at(2), "warning: a.log: permission denied".into()))
        );
        assert_eq!(stats.now, at(1), "a warning does not move the clock");
    }

    #[test]
    fn volume_per_second_over_the_last_seconds() {
        let mut stats = Stats::new(at(0), 60, true);
        stats.volume(100, 1000, at(0));
        stats.volume(100, 1000, at(1));
        stats.advance(at(2));
        // Seconds 0 and 1 are complete: 200 lines over 2 s.
        assert_eq!(stats.per_second(), (100.0, 1000.0));
        stats.advance(at(60));
        assert_eq!(stats.per_second(), (0.0, 0.0));
        assert_eq!((stats.lines, stats.bytes), (200, 2000));
    }

    #[test]
    fn rows_stay_bounded() {
        let vendors = VendorSet::builtin().unwrap_or_else(|e| panic!("{e}"));
        let mut stats = Stats::new(at(0), 60, true);
        for i in 0..(MAX_ROWS as i64 + 5) {
            stats.record(&event("codat", &format!("C{i}"), None, at(i)), &vendors);
        }
        assert_eq!(stats.row_count(), MAX_ROWS);
        assert_eq!(stats.evicted, 5);
        let first = RowKey {
            vendor: "codat".into(),
            code: "C0".into(),
            status: None,
        };
        assert!(stats.row(&first).is_none(), "the oldest went first");
        assert_eq!(stats.errors, MAX_ROWS as u64 + 5);
    }
}
