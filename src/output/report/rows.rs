//! A tally projected into report rows: one per (day, vendor, code,
//! status), each text cell neutralised and the sample message redacted.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashMap};

use jiff::civil::Date;
use jiff::Timestamp;

use super::{neutralise, sample_rank, sort_rows, whole_seconds, ReportRow, RowKey};
use crate::aggregate::{Key, Stats, Tally, Zone};
use crate::output::redact::redact;
use crate::vendors::VendorSet;

/// The rows of each day (in `zone`, which the tally was bucketed in) of
/// `tally`, sorted. Events without a time go to the day of `now`.
pub fn daily_rows(
    tally: &Tally,
    vendors: &VendorSet,
    redact_messages: bool,
    zone: &Zone,
    now: Timestamp,
) -> BTreeMap<Date, Vec<ReportRow>> {
    let today = zone.day_of(now);
    let mut keys: Vec<(&Key, &Stats)> = tally.groups.iter().collect();
    keys.sort_by(|a, b| a.0.cmp(b.0));

    // Each row with the first_seen of the group its sample came from.
    let mut grouped: HashMap<RowKey<'_>, (ReportRow, Option<Timestamp>)> = HashMap::new();
    for (key, stats) in keys {
        let date = key.hour.and_then(|h| zone.day_of_hour(h)).unwrap_or(today);
        let first_seen = stats.first_seen.map(whole_seconds);
        let last_seen = stats.last_seen.map(whole_seconds);
        let (row, sample_seen) = grouped
            .entry((date, &key.vendor, &key.code, key.status))
            .or_insert_with(|| {
                let (category, description) = match vendors.index_of(&key.vendor) {
                    Some(i) => {
                        let found = vendors.get(i).lookup(&key.code, key.status);
                        (found.category, found.description)
                    }
                    None => ("unknown", ""),
                };
                let row = ReportRow {
                    date,
                    vendor: key.vendor.clone(),
                    code: key.code.clone(),
                    status: key.status,
                    count: 0,
                    category: category.to_owned(),
                    description: description.to_owned(),
                    first_seen,
                    last_seen,
                    sample_message: stats.sample_message.clone(),
                };
                (row, first_seen)
            });
        if row.count > 0
            && sample_rank(&stats.sample_message, first_seen)
                < sample_rank(&row.sample_message, *sample_seen)
        {
            row.sample_message.clone_from(&stats.sample_message);
            *sample_seen = first_seen;
        }
        row.count += stats.count;
        row.first_seen = crate::aggregate::min_opt(row.first_seen, first_seen);
        row.last_seen = crate::aggregate::max_opt(row.last_seen, last_seen);
    }

    let mut days: BTreeMap<Date, Vec<ReportRow>> = BTreeMap::new();
    for (mut row, _) in grouped.into_values() {
        if redact_messages {
            row.sample_message = redact(&row.sample_message);
        }
        for cell in [
            &mut row.vendor,
            &mut row.code,
            &mut row.category,
            &mut row.description,
            &mut row.sample_message,
        ] {
            if let Cow::Owned(safe) = neutralise(cell) {
                *cell = safe;
            }
        }
        days.entry(row.date).or_default().push(row);
    }
    for rows in days.values_mut() {
        sort_rows(rows);
    }
    days
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn daily_rows_group_by_utc_day() {
        let vendors = VendorSet::builtin().unwrap();
        let days = daily_rows(&sample_tally(), &vendors, true, &Zone::utc(), ts(NOW));
        let dates: Vec<String> = days.keys().map(|d| d.to_string()).collect();
        assert_eq!(dates, ["2026-11-20", "2026-11-21", "2026-11-22"]);

        let first = &days[&date("2026-11-20")];
        assert_eq!(first.len(), 2);
        assert_eq!(first[0].code, "1200");
        assert_eq!(first[0].count, 3, "summed over hours and files");
        assert_eq!(
            first[0].first_seen,
            Some(ts("2026-11-20T10:15:02Z")),
            "whole seconds"
        );
        assert_eq!(first[0].last_seen, Some(ts("2026-11-20T23:59:59Z")));
        assert_eq!(first[0].sample_message, "from a", "earliest seen");
        assert_eq!(first[0].description, "Authentication failed");
        assert_eq!(first[1].code, "'=HYPERLINK(\"x", "code neutralised");
        assert_eq!(first[1].sample_message, "'-cmd|' /C calc'!A0 <email>");

        assert_eq!(days[&date("2026-11-21")][0].count, 1);
        let today = &days[&date("2026-11-22")];
        assert_eq!(
            (today[0].vendor.as_str(), today[0].first_seen),
            ("ozforensics", None)
        );
    }

    #[test]
    fn unknown_vendor_and_no_redact() {
        let vendors = VendorSet::builtin().unwrap();
        let mut tally = Tally::default();
        record(
            &mut tally,
            key("acme", "E1", None, None, 0),
            None,
            "mail bob@example.com",
        );
        let days = daily_rows(&tally, &vendors, false, &Zone::utc(), ts(NOW));
        let rows = &days[&date("2026-11-22")];
        assert_eq!(rows[0].category, "unknown");
        assert_eq!(rows[0].sample_message, "mail bob@example.com");
    }

    /// Counted the way `scan --timezone America/New_York` counts: days
    /// start at local midnight, 25 hours on the fall-back day.
    #[test]
    fn daily_rows_cut_at_local_midnight_across_dst() {
        let vendors = VendorSet::builtin().unwrap();
        let ny = Zone::named("America/New_York").unwrap();
        let mut tally = Tally::default();
        tally.file_index("a.log");
        let times = [
            "2026-11-01T03:59:59Z", // 2026-10-31 23:59:59 EDT
            "2026-11-01T04:00:00Z", // 2026-11-01 00:00 EDT
            "2026-11-01T06:30:00Z", // 01:30 EST, the second 01:30
            "2026-11-02T04:59:59Z", // 2026-11-01 23:59:59 EST
            "2026-11-02T05:00:00Z", // 2026-11-02 00:00 EST
        ];
        for t in times {
            let mut k = key("ocrolus", "1200", Some(400), None, 0);
            k.hour = Some(ny.hour_of(ts(t)));
            record(&mut tally, k, Some(t), "m");
        }
        record(
            &mut tally,
            key("ocrolus", "1200", Some(400), None, 0),
            None,
            "no time",
        );
        // 03:00 UTC on the 22nd is still the 21st in New York.
        let days = daily_rows(&tally, &vendors, true, &ny, ts("2026-11-22T03:00:00Z"));
        let counts: Vec<(String, u64)> = days
            .iter()
            .map(|(d, rows)| (d.to_string(), rows.iter().map(|r| r.count).sum()))
            .collect();
        assert_eq!(
            counts,
            [
                ("2026-10-31".to_owned(), 1),
                ("2026-11-01".to_owned(), 3),
                ("2026-11-02".to_owned(), 1),
                ("2026-11-21".to_owned(), 1),
            ]
        );
        let day = &days[&date("2026-11-01")][0];
        assert_eq!(
            day.first_seen,
            Some(ts("2026-11-01T04:00:00Z")),
            "UTC instants"
        );
        assert_eq!(day.last_seen, Some(ts("2026-11-02T04:59:59Z")));
        // The same tally in UTC: the 1st ends at 23:59:59Z.
        let utc = daily_rows(
            &tally,
            &vendors,
            true,
            &Zone::utc(),
            ts("2026-11-22T03:00:00Z"),
        );
        let utc_days: Vec<String> = utc.keys().map(|d| d.to_string()).collect();
        assert_eq!(utc_days, ["2026-11-01", "2026-11-02", "2026-11-22"]);
    }
}
