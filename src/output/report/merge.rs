//! Rows of many reports (hosts, days) combined into one.

use std::collections::HashMap;

use jiff::civil::Date;
use jiff::Timestamp;

use super::{sample_rank, sort_rows, ReportRow};

/// Merges rows (of one or many reports) by (date, vendor, code, status):
/// counts are summed, `first_seen` is the earliest and `last_seen` the
/// latest; category and description come from the first row that has them;
/// the sample message is the earliest-seen non-empty one (ties: the first
/// given). The result is in report order.
pub fn merge(rows: impl IntoIterator<Item = ReportRow>) -> Vec<ReportRow> {
    // Each row with the first_seen of the row its sample came from.
    let mut order: Vec<(ReportRow, Option<Timestamp>)> = Vec::new();
    let mut index: HashMap<(Date, String, String, Option<u16>), usize> = HashMap::new();
    for row in rows {
        let key = (row.date, row.vendor.clone(), row.code.clone(), row.status);
        match index.get(&key) {
            None => {
                index.insert(key, order.len());
                let seen = row.first_seen;
                order.push((row, seen));
            }
            Some(&i) => {
                let (merged, sample_seen) = &mut order[i];
                if sample_rank(&row.sample_message, row.first_seen)
                    < sample_rank(&merged.sample_message, *sample_seen)
                {
                    merged.sample_message = row.sample_message;
                    *sample_seen = row.first_seen;
                }
                merged.count += row.count;
                merged.first_seen = crate::aggregate::min_opt(merged.first_seen, row.first_seen);
                merged.last_seen = crate::aggregate::max_opt(merged.last_seen, row.last_seen);
                if merged.category.is_empty() {
                    merged.category = row.category;
                }
                if merged.description.is_empty() {
                    merged.description = row.description;
                }
            }
        }
    }
    let mut rows: Vec<ReportRow> = order.into_iter().map(|(row, _)| row).collect();
    sort_rows(&mut rows);
    rows
}

#[cfg(test)]
mod tests {
    use super::super::fixtures::*;
    use super::*;

    #[test]
    fn merge_sums_and_takes_min_max() {
        let mut a = row("2026-11-20", "1200", 3);
        a.sample_message = "later".into();
        a.first_seen = Some(ts("2026-11-20T09:00:00Z"));
        a.description = String::new();
        let mut b = row("2026-11-20", "1200", 4);
        b.sample_message = "earlier".into();
        b.first_seen = Some(ts("2026-11-20T08:00:00Z"));
        b.last_seen = Some(ts("2026-11-20T12:00:00Z"));
        let c = row("2026-11-20", "1204", 10);
        let d = row("2026-11-21", "1200", 1);
        let merged = merge([a, b, c, d]);
        let summary: Vec<(String, &str, u64)> = merged
            .iter()
            .map(|r| (r.date.to_string(), r.code.as_str(), r.count))
            .collect();
        assert_eq!(
            summary,
            [
                ("2026-11-20".to_owned(), "1204", 10),
                ("2026-11-20".to_owned(), "1200", 7),
                ("2026-11-21".to_owned(), "1200", 1),
            ]
        );
        let m = &merged[1];
        assert_eq!(m.first_seen, Some(ts("2026-11-20T08:00:00Z")));
        assert_eq!(m.last_seen, Some(ts("2026-11-20T12:00:00Z")));
        assert_eq!(m.sample_message, "earlier");
        assert_eq!(m.description, "Authentication failed", "first non-empty");
    }

    #[test]
    fn merge_keeps_unknown_times_and_non_empty_samples() {
        let mut a = row("2026-11-20", "1200", 1);
        a.first_seen = None;
        a.last_seen = None;
        a.sample_message = String::new();
        let b = row("2026-11-20", "1200", 1);
        let merged = merge([a, b.clone()]);
        assert_eq!(merged[0].first_seen, b.first_seen);
        assert_eq!(merged[0].last_seen, b.last_seen);
        assert_eq!(merged[0].sample_message, "m");
    }
}
