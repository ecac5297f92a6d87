//! Counting. A [`Tally`] keeps counts at full resolution (vendor, code,
//! status, hour, file) so that any `--by` grouping, the daily reports and
//! the metrics can all be projected from the same state.

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::extract::scanner::{Event, EventSink};
use crate::vendors::{SkipReason, VendorSet};
use labels::PathLabels;

pub mod event;
pub mod labels;
pub mod zone;

pub use zone::Zone;

const SECONDS_PER_HOUR: i64 = 3600;

/// The finest grain counts are kept at.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    pub vendor: String,
    pub code: String,
    pub status: Option<u16>,
    /// The hour bucket of the event time ([`Zone::hour_of`]: the UTC hour
    /// since the Unix epoch, unless the zone's offset is not a whole number
    /// of hours); `None` when the line carried no time.
    pub hour: Option<i64>,
    /// Index into [`Tally::files`].
    pub file: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    pub count: u64,
    pub first_seen: Option<Timestamp>,
    pub last_seen: Option<Timestamp>,
    /// The first message seen for this key.
    pub sample_message: String,
}

impl Stats {
    fn add(&mut self, time: Option<Timestamp>, message: &str) {
        if self.count == 0 {
            self.sample_message = message.to_owned();
        }
        self.count += 1;
        if let Some(t) = time {
            self.first_seen = Some(self.first_seen.map_or(t, |f| f.min(t)));
            self.last_seen = Some(self.last_seen.map_or(t, |l| l.max(t)));
        }
    }

    pub fn merge(&mut self, other: &Stats) {
        if self.count == 0 {
            self.sample_message.clone_from(&other.sample_message);
        }
        self.count += other.count;
        self.first_seen = min_opt(self.first_seen, other.first_seen);
        self.last_seen = max_opt(self.last_seen, other.last_seen);
    }
}

/// The earlier of two optional times (either may be unknown).
pub fn min_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

/// The later of two optional times (either may be unknown).
pub fn max_opt(a: Option<Timestamp>, b: Option<Timestamp>) -> Option<Timestamp> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.max(b)),
        (a, b) => a.or(b),
    }
}

/// Which events are counted at all.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub vendors: Vec<String>,
    pub codes: Vec<String>,
    pub since: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

impl Filter {
    pub fn accepts(&self, vendor: &str, code: &str, time: Option<Timestamp>) -> bool {
        (self.vendors.is_empty() || self.vendors.iter().any(|v| v == vendor))
            && (self.codes.is_empty() || self.codes.iter().any(|c| c == code))
            && self
                .since
                .is_none_or(|since| time.is_some_and(|t| t >= since))
            && self
                .until
                .is_none_or(|until| time.is_some_and(|t| t < until))
    }
}

/// Counts, skipped bodies and volume for one or more sources.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tally {
    #[serde(with = "as_pairs")]
    pub groups: HashMap<Key, Stats>,
    /// (vendor id or "", reason) → count.
    #[serde(with = "as_pairs")]
    pub skipped: BTreeMap<(String, String), u64>,
    pub lines: u64,
    pub bytes: u64,
    pub files: Vec<String>,
    /// `files` by name; derived, so not serialized.
    #[serde(skip)]
    file_lookup: HashMap<String, u32>,
}

/// Equal when the counts are; the name index is derived.
impl PartialEq for Tally {
    fn eq(&self, other: &Self) -> bool {
        self.groups == other.groups
            && self.skipped == other.skipped
            && self.lines == other.lines
            && self.bytes == other.bytes
            && self.files == other.files
    }
}

impl Tally {
    pub fn errors(&self) -> u64 {
        self.groups.values().map(|s| s.count).sum()
    }

    pub fn skipped_total(&self) -> u64 {
        self.skipped.values().sum()
    }

    /// Index of `name` in the file table, adding it if new.
    pub fn file_index(&mut self, name: &str) -> u32 {
        if self.file_lookup.len() != self.files.len() {
            // Deserialized or built by hand: rebuild the index.
            self.file_lookup = self
                .files
                .iter()
                .enumerate()
                .map(|(i, f)| (f.clone(), i as u32))
                .collect();
        }
        if let Some(&index) = self.file_lookup.get(name) {
            return index;
        }
        let index = self.files.len() as u32;
        self.files.push(name.to_owned());
        self.file_lookup.insert(name.to_owned(), index);
        index
    }

    pub fn record(&mut self, key: Key, time: Option<Timestamp>, message: &str) {
        self.groups.entry(key).or_default().add(time, message);
    }

    pub fn record_skipped(&mut self, vendor: &str, reason: SkipReason) {
        *self
            .skipped
            .entry((vendor.to_owned(), reason.as_str().to_owned()))
            .or_default() += 1;
    }

    /// Adds `other` into `self`, remapping its file indices.
    pub fn merge(&mut self, other: &Tally) {
        let remap: Vec<u32> = other.files.iter().map(|f| self.file_index(f)).collect();
        for (key, stats) in &other.groups {
            let mut key = key.clone();
            key.file = remap.get(key.file as usize).copied().unwrap_or(key.file);
            self.groups.entry(key).or_default().merge(stats);
        }
        for (k, v) in &other.skipped {
            *self.skipped.entry(k.clone()).or_default() += v;
        }
        self.lines += other.lines;
        self.bytes += other.bytes;
    }

    /// The name of the file at `index` (empty when there is none).
    pub fn file_name(&self, index: u32) -> &str {
        self.files.get(index as usize).map_or("", String::as_str)
    }

    /// Groups the counts by `dims` (days and hours in UTC), sorted by count
    /// descending, then by the group's values.
    pub fn rows(&self, dims: &[Dim], vendors: &VendorSet) -> Vec<Row> {
        self.rows_in(dims, vendors, &Zone::utc())
    }

    /// [`Tally::rows`] with days and hours in `zone`, which must be the
    /// zone the counts were bucketed in.
    pub fn rows_in(&self, dims: &[Dim], vendors: &VendorSet, zone: &Zone) -> Vec<Row> {
        let mut grouped: HashMap<Vec<String>, Row> = HashMap::new();
        // A path label is worked out once per file.
        let mut labelled: HashMap<(usize, u32), String> = HashMap::new();
        for (key, stats) in &self.groups {
            let values: Vec<String> = dims
                .iter()
                .enumerate()
                .map(|(at, dim)| match dim {
                    Dim::Label(label) => labelled
                        .entry((at, key.file))
                        .or_insert_with(|| label.value(self.file_name(key.file)))
                        .clone(),
                    other => other.value(key, self, vendors, zone),
                })
                .collect();
            let row = grouped.entry(values.clone()).or_insert_with(|| Row {
                values,
                vendor: Some(key.vendor.clone()),
                code: Some(key.code.clone()),
                status: Some(key.status),
                stats: Stats::default(),
            });
            if row.vendor.as_deref() != Some(&key.vendor) {
                row.vendor = None;
            }
            if row.code.as_deref() != Some(&key.code) {
                row.code = None;
            }
            if row.status != Some(key.status) {
                row.status = None;
            }
            row.stats.merge(stats);
        }
        let mut rows: Vec<Row> = grouped.into_values().collect();
        rows.sort_by(|a, b| {
            b.stats
                .count
                .cmp(&a.stats.count)
                .then_with(|| a.values.cmp(&b.values))
        });
        rows
    }
}

/// JSON object keys must be strings: maps with structured keys are
/// written as lists of `[key, value]` pairs.
mod as_pairs {
    use serde::de::DeserializeOwned;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<'a, M, K, V, S>(map: &'a M, serializer: S) -> Result<S::Ok, S::Error>
    where
        &'a M: IntoIterator<Item = (&'a K, &'a V)>,
        K: Serialize + 'a,
        V: Serialize + 'a,
        S: Serializer,
    {
        serializer.collect_seq(map)
    }

    pub fn deserialize<'de, M, K, V, D>(deserializer: D) -> Result<M, D::Error>
    where
        M: FromIterator<(K, V)>,
        K: DeserializeOwned,
        V: DeserializeOwned,
        D: Deserializer<'de>,
    {
        Ok(Vec::<(K, V)>::deserialize(deserializer)?
            .into_iter()
            .collect())
    }
}

/// One output row.
#[derive(Debug, Clone)]
pub struct Row {
    /// The group's value for each requested dimension.
    pub values: Vec<String>,
    /// Set when every key in the group shares it.
    pub vendor: Option<String>,
    pub code: Option<String>,
    pub status: Option<Option<u16>>,
    pub stats: Stats,
}

impl Row {
    /// The catalog's (category, description) for this row's code, when the
    /// row names a single vendor and code.
    pub fn describe<'v>(&self, vendors: &'v VendorSet) -> (&'v str, &'v str) {
        let (Some(vendor), Some(code)) = (&self.vendor, &self.code) else {
            return ("", "");
        };
        match vendors.index_of(vendor) {
            Some(i) => {
                let found = vendors.get(i).lookup(code, self.status.flatten());
                (found.category, found.description)
            }
            None => ("unknown", ""),
        }
    }
}

/// A grouping dimension (`--by`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Dim {
    Day,
    Hour,
    Vendor,
    Code,
    Status,
    Category,
    File,
    /// A label of the file's path (`[[label]]`, the Kubernetes layout).
    Label(LabelDim),
}

/// A path label as a grouping dimension: its name and the rules giving it.
#[derive(Debug, Clone)]
pub struct LabelDim {
    pub name: String,
    labels: Arc<PathLabels>,
}

impl LabelDim {
    /// Its value for the file `path`.
    pub fn value(&self, path: &str) -> String {
        self.labels.value(path, &self.name)
    }
}

impl PartialEq for LabelDim {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

impl Eq for LabelDim {}

impl Dim {
    pub fn name(&self) -> &str {
        match self {
            Dim::Day => "day",
            Dim::Hour => "hour",
            Dim::Vendor => "vendor",
            Dim::Code => "code",
            Dim::Status => "status",
            Dim::Category => "category",
            Dim::File => "file",
            Dim::Label(label) => &label.name,
        }
    }

    /// The value of a key that depends on the file alone (the file, a
    /// path label) for the file at `file`; empty for other keys.
    pub fn file_value(&self, tally: &Tally, file: u32) -> String {
        match self {
            Dim::File => tally.file_name(file).to_owned(),
            Dim::Label(label) => label.value(tally.file_name(file)),
            _ => String::new(),
        }
    }

    /// Whether this is a label of the file's path.
    pub fn is_label(&self) -> bool {
        matches!(self, Dim::Label(_))
    }

    fn value(&self, key: &Key, tally: &Tally, vendors: &VendorSet, zone: &Zone) -> String {
        match self {
            Dim::Day => key.hour.map(|h| zone.day_label(h)).unwrap_or_default(),
            Dim::Hour => key.hour.map(|h| zone.hour_label(h)).unwrap_or_default(),
            Dim::Vendor => key.vendor.clone(),
            Dim::Code => key.code.clone(),
            Dim::Status => key.status.map(|s| s.to_string()).unwrap_or_default(),
            Dim::Category => vendors
                .index_of(&key.vendor)
                .map(|i| {
                    vendors
                        .get(i)
                        .lookup(&key.code, key.status)
                        .category
                        .to_owned()
                })
                .unwrap_or_else(|| "unknown".to_owned()),
            Dim::File => tally.file_name(key.file).to_owned(),
            Dim::Label(label) => label.value(tally.file_name(key.file)),
        }
    }
}

/// Hours since the epoch of a timestamp (UTC hours).
pub fn hour_of(time: Timestamp) -> i64 {
    time.as_second().div_euclid(SECONDS_PER_HOUR)
}

impl Dim {
    /// Parses one grouping key; a name that is no built-in key must be a
    /// label of `labels`.
    pub fn parse(text: &str, labels: &Arc<PathLabels>) -> Result<Dim, String> {
        Ok(match text.trim() {
            "day" => Dim::Day,
            "hour" => Dim::Hour,
            "vendor" => Dim::Vendor,
            "code" => Dim::Code,
            "status" => Dim::Status,
            "category" => Dim::Category,
            "file" => Dim::File,
            other if labels.has(other) => Dim::Label(LabelDim {
                name: other.to_owned(),
                labels: Arc::clone(labels),
            }),
            other => {
                return Err(format!(
                    "unknown key `{other}` (expected day, hour, vendor, code, status, category, \
                     file, or a path label: {})",
                    labels.names().join(", ")
                ))
            }
        })
    }
}

impl FromStr for Dim {
    type Err = String;
    /// A built-in key, or a label of the built-in path rules.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Dim::parse(s, &Arc::new(PathLabels::builtin()))
    }
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Parses `vendor,code,status` (the built-in path labels too).
pub fn parse_dims(text: &str) -> Result<Vec<Dim>, String> {
    parse_dims_with(text, &Arc::new(PathLabels::builtin()))
}

/// Parses `namespace,pod,vendor,code`: built-in keys and `labels`' names.
pub fn parse_dims_with(text: &str, labels: &Arc<PathLabels>) -> Result<Vec<Dim>, String> {
    let dims = text
        .split(',')
        .map(|part| Dim::parse(part, labels))
        .collect::<Result<Vec<Dim>, _>>()?;
    if dims.is_empty() {
        return Err("no grouping keys".into());
    }
    Ok(dims)
}

/// An [`EventSink`] that counts into a [`Tally`] for one source at a time.
pub struct Counter<'a> {
    pub tally: Tally,
    vendors: &'a VendorSet,
    filter: &'a Filter,
    file: u32,
    /// File events without a time under the hour they arrived (live use:
    /// so a day's report does not change once the day is over).
    pub untimed_at_arrival: bool,
    /// The zone hours are bucketed in (see [`zone`]).
    pub zone: Zone,
}

impl<'a> Counter<'a> {
    pub fn new(vendors: &'a VendorSet, filter: &'a Filter) -> Counter<'a> {
        Counter {
            tally: Tally::default(),
            vendors,
            filter,
            file: 0,
            untimed_at_arrival: false,
            zone: Zone::utc(),
        }
    }

    pub fn vendors(&self) -> &'a VendorSet {
        self.vendors
    }

    /// Subsequent events belong to `name`.
    pub fn set_source(&mut self, name: &str) {
        self.file = self.tally.file_index(name);
    }
}

impl Counter<'_> {
    /// Counts `event` unless the filter rejects it; says whether it counted.
    pub fn count(&mut self, event: &Event<'_>) -> bool {
        let vendor = &self.vendors.get(event.error.vendor).id;
        if !self.filter.accepts(vendor, &event.error.code, event.time) {
            return false;
        }
        let key = Key {
            vendor: vendor.clone(),
            code: event.error.code.clone(),
            status: event.error.status,
            hour: match event.time {
                Some(time) => Some(self.zone.hour_of(time)),
                None if self.untimed_at_arrival => Some(self.zone.hour_of(Timestamp::now())),
                None => None,
            },
            file: self.file,
        };
        self.tally.record(key, event.time, &event.error.message);
        true
    }
}

impl EventSink for Counter<'_> {
    fn error(&mut self, event: &Event<'_>) -> std::io::Result<bool> {
        self.count(event);
        Ok(true)
    }

    fn skipped(&mut self, vendor: Option<usize>, reason: SkipReason) {
        let vendor = vendor
            .map(|v| self.vendors.get(v).id.as_str())
            .unwrap_or("");
        if self.filter.vendors.is_empty() || self.filter.vendors.iter().any(|v| v == vendor) {
            self.tally.record_skipped(vendor, reason);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(vendor: &str, code: &str, status: Option<u16>, hour: Option<i64>) -> Key {
        Key {
            vendor: vendor.into(),
            code: code.into(),
            status,
            hour,
            file: 0,
        }
    }

    #[test]
    fn rows_group_and_sort() {
        let vendors = VendorSet::builtin().unwrap();
        let mut tally = Tally::default();
        tally.file_index("a.log");
        let t = Timestamp::from_second(1_763_633_702).unwrap();
        for _ in 0..3 {
            tally.record(
                key("ocrolus", "1200", Some(400), Some(hour_of(t))),
                Some(t),
                "Authentication failed",
            );
        }
        tally.record(
            key("ocrolus", "1204", Some(400), None),
            None,
            "Invalid API key",
        );
        tally.record(key("aplos", "1002", Some(401), None), None, "Missing");
        let rows = tally.rows(&[Dim::Vendor], &vendors);
        assert_eq!(rows.len(), 2);
        assert_eq!(
            (rows[0].values[0].as_str(), rows[0].stats.count),
            ("ocrolus", 4)
        );
        assert_eq!(
            rows[0].describe(&vendors),
            ("", ""),
            "two codes: no single description"
        );
        let rows = tally.rows(&[Dim::Day, Dim::Code, Dim::Status], &vendors);
        assert_eq!(rows[0].values, vec!["2025-11-20", "1200", "400"]);
        assert_eq!(rows[0].describe(&vendors).1, "Authentication failed");
        assert_eq!(rows[0].stats.first_seen, Some(t));
        assert_eq!(rows[1].values[0], "", "unknown time has no day");
    }

    #[test]
    fn merge_remaps_files_and_sums() {
        let mut a = Tally::default();
        a.file_index("a.log");
        a.record(key("codat", "X", Some(404), None), None, "m");
        let mut b = Tally::default();
        b.file_index("b.log");
        b.file_index("a.log");
        let mut k = key("codat", "X", Some(404), None);
        k.file = 1;
        b.record(k, None, "m");
        b.record(key("codat", "X", Some(404), None), None, "m");
        b.lines = 10;
        a.merge(&b);
        assert_eq!(a.files, vec!["a.log", "b.log"]);
        assert_eq!(a.groups[&key("codat", "X", Some(404), None)].count, 2);
        assert_eq!(a.errors(), 3);
        assert_eq!(a.lines, 10);
    }

    #[test]
    fn filters_by_time_vendor_code() {
        let t = Timestamp::from_second(1000).unwrap();
        let f = Filter {
            since: Some(t),
            ..Filter::default()
        };
        assert!(f.accepts("a", "1", Some(t)));
        assert!(!f.accepts("a", "1", None));
        let f = Filter {
            vendors: vec!["b".into()],
            codes: vec!["1".into()],
            ..Filter::default()
        };
        assert!(!f.accepts("a", "1", None));
        assert!(f.accepts("b", "1", None));
        assert!(parse_dims("vendor,nope").is_err());
    }
}
