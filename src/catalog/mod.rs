//! Code tables of the vendors: what an error code means and which category it counts under.
//!
//! A catalog is built from a [`CatalogSpec`], which is what a vendor's TOML data says. The five
//! built-in vendors' data is compiled in from `src/catalog/data/<id>.toml` ([`builtin`]); users
//! write the same tables under a `[[vendor]]` entry of their config, either for a vendor of their
//! own or to extend a built-in one ([`VendorCatalog::extend`]).
//!
//! The data format has up to three arrays of tables:
//!
//! ```toml
//! [[codes]]
//! code = 1200            # integer or string; stored as text ("1200", "CompanyValidationException")
//! status = 400           # optional: the entry only applies to bodies with this HTTP status
//! name = "Missing Token" # optional short title
//! category = "auth"      # optional: else the range's category, else the status entry's
//! description = "Authentication failed"
//!
//! [[ranges]]             # numeric codes from..=to fall in this category
//! from = 1000
//! to = 1999
//! category = "Authorization"
//!
//! [[statuses]]           # what an HTTP status means when the code is not in `codes`
//! status = 401
//! category = "auth"
//! description = "Unauthorized: The supplied API key is incorrect."
//! ```
//!
//! Built-in categories come from a fixed vocabulary (`auth`, `permission`, `validation`,
//! `not-found`, `conflict`, `rate-limit`, `limit`, `server`, `vendor-service`, `unavailable`,
//! `pending`, `success`, `unknown`), except Aplos, whose page names its own ranges
//! (Authorization, Access, Data, Service).
//!
//! # Lookup
//!
//! [`VendorCatalog::lookup`] takes the code as text and the body's HTTP status, if any:
//!
//! 1. the entry with exactly that code and status;
//! 2. else the entry with that code and no status;
//! 3. else the entry with that code and the lowest status;
//! 4. else the code is unknown: its category is the one of the narrowest range holding the
//!    numeric code, else the status entry's, else `unknown`; its description is the status
//!    entry's, else empty.
//!
//! A known entry's category is its own, else its range's, else the category of the status
//! entry for its own status (or, for an entry without status, the body's), else `unknown`.
//!
//! ```
//! use errscope::catalog::{builtin, VendorCatalog};
//!
//! let aplos = VendorCatalog::new(builtin("aplos").expect("built-in")).expect("valid");
//! let hit = aplos.lookup("1002", Some(401));
//! assert!(hit.known);
//! assert_eq!(hit.name, Some("Missing Token"));
//! assert_eq!(hit.category, "Authorization");
//!
//! let miss = aplos.lookup("3999", Some(403));
//! assert!(!miss.known);
//! assert_eq!(miss.category, "Access");
//! ```

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::ops::Range;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};

/// The category of a code nothing in the catalog describes.
const UNKNOWN: &str = "unknown";

/// One documented code. `code` is text: TOML integers are stored as their decimal digits.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeEntry {
    #[serde(deserialize_with = "code_text")]
    pub code: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    pub description: String,
}

/// Numeric codes `from..=to` belong to `category`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CodeRange {
    pub from: i64,
    pub to: i64,
    pub category: String,
}

/// What an HTTP status means for a body whose code the catalog does not know.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct StatusEntry {
    pub status: u16,
    pub category: String,
    pub description: String,
}

/// The tables of one vendor as written in TOML (built-in data or a user's config).
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CatalogSpec {
    #[serde(default)]
    pub codes: Vec<CodeEntry>,
    #[serde(default)]
    pub ranges: Vec<CodeRange>,
    #[serde(default)]
    pub statuses: Vec<StatusEntry>,
}

/// A validated, indexed catalog of one vendor.
#[derive(Debug, Clone)]
pub struct VendorCatalog {
    /// Sorted by [`code_order`], then status (`None` first), so one code's entries are adjacent.
    codes: Vec<CodeEntry>,
    /// Code → its entries' positions in `codes`.
    index: HashMap<String, Range<usize>>,
    ranges: Vec<CodeRange>,
    /// Sorted by status.
    statuses: Vec<StatusEntry>,
}

/// What the catalog says about one (code, status).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lookup<'a> {
    /// Whether an entry of `codes` matched.
    pub known: bool,
    pub category: &'a str,
    pub description: &'a str,
    pub name: Option<&'a str>,
}

/// Why a spec does not make a catalog.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CatalogError {
    #[error("code {code:?}{} is defined twice", for_status(*.status))]
    DuplicateCode { code: String, status: Option<u16> },
    #[error("a code is empty (entry described as {description:?})")]
    EmptyCode { description: String },
    #[error("range {from}..={to} ({category}) ends before it starts")]
    InvalidRange {
        from: i64,
        to: i64,
        category: String,
    },
    #[error(
        "ranges {}..={} ({}) and {}..={} ({}) overlap without one holding the other",
        .first.from, .first.to, .first.category, .second.from, .second.to, .second.category
    )]
    OverlappingRanges { first: CodeRange, second: CodeRange },
    #[error("range {from}..={to} is defined twice")]
    DuplicateRange { from: i64, to: i64 },
    #[error("status {status} is defined twice in [[statuses]]")]
    DuplicateStatus { status: u16 },
}

fn for_status(status: Option<u16>) -> String {
    match status {
        Some(s) => format!(" with status {s}"),
        None => " without status".to_owned(),
    }
}

impl VendorCatalog {
    /// Validates and indexes a spec: a (code, status) pair, a range's bounds or a status may
    /// appear once; ranges may nest but not overlap partly; codes are trimmed and not empty.
    pub fn new(spec: CatalogSpec) -> Result<Self, CatalogError> {
        let CatalogSpec {
            mut codes,
            mut ranges,
            mut statuses,
        } = spec;

        for entry in &mut codes {
            let trimmed = entry.code.trim();
            if trimmed.is_empty() {
                return Err(CatalogError::EmptyCode {
                    description: entry.description.clone(),
                });
            }
            if trimmed.len() != entry.code.len() {
                entry.code = trimmed.to_owned();
            }
        }
        codes.sort_by(|a, b| code_order(&a.code, &b.code).then(a.status.cmp(&b.status)));
        if let Some(pair) = codes
            .windows(2)
            .find(|w| w[0].code == w[1].code && w[0].status == w[1].status)
        {
            return Err(CatalogError::DuplicateCode {
                code: pair[0].code.clone(),
                status: pair[0].status,
            });
        }

        let mut index: HashMap<String, Range<usize>> = HashMap::new();
        let mut start = 0;
        for end in 1..=codes.len() {
            if end == codes.len() || codes[end].code != codes[start].code {
                index.insert(codes[start].code.clone(), start..end);
                start = end;
            }
        }

        if let Some(r) = ranges.iter().find(|r| r.from > r.to) {
            return Err(CatalogError::InvalidRange {
                from: r.from,
                to: r.to,
                category: r.category.clone(),
            });
        }
        ranges.sort_by_key(|r| (r.from, r.to));
        for (i, a) in ranges.iter().enumerate() {
            for b in &ranges[i + 1..] {
                if (a.from, a.to) == (b.from, b.to) {
                    return Err(CatalogError::DuplicateRange {
                        from: a.from,
                        to: a.to,
                    });
                }
                let overlap = b.from <= a.to;
                let nested =
                    (a.from <= b.from && b.to <= a.to) || (b.from <= a.from && a.to <= b.to);
                if overlap && !nested {
                    return Err(CatalogError::OverlappingRanges {
                        first: a.clone(),
                        second: b.clone(),
                    });
                }
            }
        }

        statuses.sort_by_key(|s| s.status);
        if let Some(pair) = statuses.windows(2).find(|w| w[0].status == w[1].status) {
            return Err(CatalogError::DuplicateStatus {
                status: pair[0].status,
            });
        }

        Ok(Self {
            codes,
            index,
            ranges,
            statuses,
        })
    }

    /// Adds a spec on top of this catalog (a user's config over a built-in vendor): an entry
    /// with the same (code, status), a range with the same bounds or a status entry with the
    /// same status replaces the existing one; everything else is added. The spec must be valid
    /// on its own and with the catalog; on error the catalog is unchanged.
    pub fn extend(&mut self, spec: CatalogSpec) -> Result<(), CatalogError> {
        let extra = Self::new(spec)?;
        let mut merged = CatalogSpec {
            codes: self.codes.clone(),
            ranges: self.ranges.clone(),
            statuses: self.statuses.clone(),
        };
        for entry in extra.codes {
            replace_or_push(&mut merged.codes, entry, |a, b| {
                a.code == b.code && a.status == b.status
            });
        }
        for range in extra.ranges {
            replace_or_push(&mut merged.ranges, range, |a, b| {
                (a.from, a.to) == (b.from, b.to)
            });
        }
        for status in extra.statuses {
            replace_or_push(&mut merged.statuses, status, |a, b| a.status == b.status);
        }
        *self = Self::new(merged)?;
        Ok(())
    }

    /// What the catalog says about `code` in a body with HTTP `status` (see the module docs for
    /// the order). Does not allocate.
    pub fn lookup(&self, code: &str, status: Option<u16>) -> Lookup<'_> {
        if let Some(entry) = self.find(code, status) {
            let category = entry
                .category
                .as_deref()
                .or_else(|| self.range_category(code))
                .or_else(|| {
                    entry
                        .status
                        .or(status)
                        .and_then(|s| self.status_entry(s))
                        .map(|s| s.category.as_str())
                })
                .unwrap_or(UNKNOWN);
            return Lookup {
                known: true,
                category,
                description: &entry.description,
                name: entry.name.as_deref(),
            };
        }
        let by_status = status.and_then(|s| self.status_entry(s));
        Lookup {
            known: false,
            category: self
                .range_category(code)
                .or(by_status.map(|s| s.category.as_str()))
                .unwrap_or(UNKNOWN),
            description: by_status.map_or("", |s| s.description.as_str()),
            name: None,
        }
    }

    /// Every entry: numeric codes in numeric order, then text codes, each code's entries by
    /// status (the one without status first).
    pub fn entries(&self) -> Vec<&CodeEntry> {
        self.codes.iter().collect()
    }

    /// How many different codes the catalog has (a code documented for two statuses counts once).
    pub fn distinct_codes(&self) -> usize {
        self.index.len()
    }

    /// The status entries, by status.
    pub fn statuses(&self) -> &[StatusEntry] {
        &self.statuses
    }

    fn find(&self, code: &str, status: Option<u16>) -> Option<&CodeEntry> {
        let span = self.index.get(code)?;
        let same_code = self.codes.get(span.start..span.end)?;
        // Sorted by status with `None` first: the first entry is the one without status if
        // there is one, else the one with the lowest status.
        status
            .and_then(|s| same_code.iter().find(|e| e.status == Some(s)))
            .or_else(|| same_code.first())
    }

    /// The category of the narrowest range holding `code`, if it is a number.
    fn range_category(&self, code: &str) -> Option<&str> {
        let n: i64 = code.parse().ok()?;
        self.ranges
            .iter()
            .filter(|r| r.from <= n && n <= r.to)
            .min_by_key(|r| r.to.abs_diff(r.from))
            .map(|r| r.category.as_str())
    }

    fn status_entry(&self, status: u16) -> Option<&StatusEntry> {
        self.statuses
            .binary_search_by_key(&status, |s| s.status)
            .ok()
            .and_then(|i| self.statuses.get(i))
    }
}

fn replace_or_push<T>(items: &mut Vec<T>, item: T, same: impl Fn(&T, &T) -> bool) {
    match items.iter_mut().find(|old| same(old, &item)) {
        Some(old) => *old = item,
        None => items.push(item),
    }
}

/// Numeric codes first, in numeric order, then text codes in byte order.
fn code_order(a: &str, b: &str) -> Ordering {
    match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(x), Ok(y)) => x.cmp(&y).then_with(|| a.cmp(b)),
        (Ok(_), Err(_)) => Ordering::Less,
        (Err(_), Ok(_)) => Ordering::Greater,
        (Err(_), Err(_)) => a.cmp(b),
    }
}

/// Reads a code written as a TOML integer or string.
fn code_text<'de, D: Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    struct CodeVisitor;

    impl Visitor<'_> for CodeVisitor {
        type Value = String;

        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("an integer or a string")
        }

        fn visit_i64<E: de::Error>(self, v: i64) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_u64<E: de::Error>(self, v: u64) -> Result<String, E> {
            Ok(v.to_string())
        }

        fn visit_str<E: de::Error>(self, v: &str) -> Result<String, E> {
            Ok(v.to_owned())
        }

        fn visit_string<E: de::Error>(self, v: String) -> Result<String, E> {
            Ok(v)
        }
    }

    deserializer.deserialize_any(CodeVisitor)
}

/// The built-in vendors, in the order the project lists them.
pub const BUILTIN_IDS: [&str; 5] = ["ocrolus", "aplos", "ozforensics", "synapse", "codat"];

fn builtin_source(vendor_id: &str) -> Option<&'static str> {
    Some(match vendor_id {
        "ocrolus" => include_str!("data/ocrolus.toml"),
        "aplos" => include_str!("data/aplos.toml"),
        "ozforensics" => include_str!("data/ozforensics.toml"),
        "synapse" => include_str!("data/synapse.toml"),
        "codat" => include_str!("data/codat.toml"),
        _ => return None,
    })
}

/// The compiled-in tables of a built-in vendor (one of [`BUILTIN_IDS`]); `None` for other ids.
/// The data is part of the binary and the tests prove every file parses and validates.
pub fn builtin(vendor_id: &str) -> Option<CatalogSpec> {
    toml::from_str(builtin_source(vendor_id)?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    const VOCABULARY: [&str; 13] = [
        "auth",
        "permission",
        "validation",
        "not-found",
        "conflict",
        "rate-limit",
        "limit",
        "server",
        "vendor-service",
        "unavailable",
        "pending",
        "success",
        "unknown",
    ];

    fn spec(text: &str) -> CatalogSpec {
        toml::from_str(text).unwrap()
    }

    fn catalog(text: &str) -> VendorCatalog {
        VendorCatalog::new(spec(text)).unwrap()
    }

    fn builtin_catalog(id: &str) -> VendorCatalog {
        VendorCatalog::new(builtin(id).unwrap()).unwrap()
    }

    const SAMPLE: &str = r#"
        [[codes]]
        code = 100
        description = "generic 100"
        category = "validation"

        [[codes]]
        code = 100
        status = 409
        description = "100 on 409"
        category = "conflict"

        [[codes]]
        code = "200"
        status = 503
        description = "200 on 503"

        [[codes]]
        code = 200
        status = 402
        name = "Two hundred"
        description = "200 on 402"

        [[codes]]
        code = 1005
        description = "in a range"

        [[ranges]]
        from = 1000
        to = 1999
        category = "Authorization"

        [[ranges]]
        from = 1500
        to = 1599
        category = "Token"

        [[statuses]]
        status = 402
        category = "limit"
        description = "Payment Required"

        [[statuses]]
        status = 503
        category = "unavailable"
        description = "Service Unavailable"
    "#;

    #[test]
    fn exact_code_and_status_wins() {
        let c = catalog(SAMPLE);
        let hit = c.lookup("100", Some(409));
        assert!(hit.known);
        assert_eq!(hit.description, "100 on 409");
        assert_eq!(hit.category, "conflict");
    }

    #[test]
    fn entry_without_status_is_next() {
        let c = catalog(SAMPLE);
        for status in [Some(400), None] {
            let hit = c.lookup("100", status);
            assert!(hit.known);
            assert_eq!(hit.description, "generic 100");
            assert_eq!(hit.category, "validation");
        }
    }

    #[test]
    fn lowest_status_is_the_last_resort() {
        let c = catalog(SAMPLE);
        let hit = c.lookup("200", Some(500));
        assert!(hit.known);
        assert_eq!(hit.description, "200 on 402");
        assert_eq!(hit.name, Some("Two hundred"));
        assert_eq!(c.lookup("200", None).description, "200 on 402");
        assert_eq!(c.lookup("200", Some(503)).description, "200 on 503");
    }

    #[test]
    fn known_entry_category_falls_back_to_range_then_status() {
        let c = catalog(SAMPLE);
        assert_eq!(c.lookup("1005", None).category, "Authorization");
        // No category, no range: the status entry of the entry's own status...
        assert_eq!(c.lookup("200", Some(503)).category, "unavailable");
        assert_eq!(c.lookup("200", Some(500)).category, "limit");
        // ...and for an entry without status, the body's status.
        let c = catalog(
            r#"
            [[codes]]
            code = 7
            description = "seven"
            [[statuses]]
            status = 401
            category = "auth"
            description = "Unauthorized"
            "#,
        );
        assert_eq!(c.lookup("7", Some(401)).category, "auth");
        assert_eq!(c.lookup("7", Some(400)).category, "unknown");
        assert_eq!(c.lookup("7", None).category, "unknown");
    }

    #[test]
    fn unknown_code_takes_range_then_status() {
        let c = catalog(SAMPLE);
        let miss = c.lookup("1999", Some(402));
        assert!(!miss.known);
        assert_eq!(miss.category, "Authorization");
        assert_eq!(miss.description, "Payment Required");
        assert_eq!(miss.name, None);
        // The narrowest range holding the code.
        assert_eq!(c.lookup("1550", None).category, "Token");
        assert_eq!(c.lookup("1000", None).category, "Authorization");
        assert_eq!(c.lookup("1999", None).category, "Authorization");
        // Outside every range: the status entry.
        let miss = c.lookup("2000", Some(503));
        assert_eq!(miss.category, "unavailable");
        assert_eq!(miss.description, "Service Unavailable");
        // Text codes are in no range.
        assert_eq!(c.lookup("SomeException", Some(402)).category, "limit");
        // Nothing at all.
        let miss = c.lookup("SomeException", Some(418));
        assert!(!miss.known);
        assert_eq!(miss.category, "unknown");
        assert_eq!(miss.description, "");
        assert_eq!(c.lookup("2000", None).category, "unknown");
    }

    #[test]
    fn codes_are_integers_or_strings_and_trimmed() {
        let c = catalog(
            r#"
            [[codes]]
            code = -3
            description = "negative"
            [[codes]]
            code = " Payment Required "
            description = "text"
            "#,
        );
        assert!(c.lookup("-3", None).known);
        assert!(c.lookup("Payment Required", None).known);
        let err = toml::from_str::<CatalogSpec>("[[codes]]\ncode = 1.5\ndescription = \"x\"\n");
        assert!(err.is_err());
    }

    #[test]
    fn unknown_fields_are_rejected() {
        for text in [
            "[[codes]]\ncode = 1\ndescription = \"x\"\ncatgory = \"auth\"\n",
            "[[ranges]]\nfrom = 1\nto = 2\ncategory = \"a\"\nname = \"x\"\n",
            "[[statuses]]\nstatus = 400\ncategory = \"a\"\ndescription = \"x\"\ncode = 1\n",
            "[[code]]\ncode = 1\ndescription = \"x\"\n",
        ] {
            let err = toml::from_str::<CatalogSpec>(text).unwrap_err().to_string();
            assert!(err.contains("unknown field"), "{text}: {err}");
        }
        assert_eq!(spec(""), CatalogSpec::default());
    }

    #[test]
    fn duplicate_code_and_status_is_an_error_naming_the_code() {
        let err = VendorCatalog::new(spec(
            "[[codes]]\ncode = 1100\nstatus = 400\ndescription = \"a\"\n\
             [[codes]]\ncode = \"1100\"\nstatus = 400\ndescription = \"b\"\n",
        ))
        .unwrap_err();
        assert_eq!(
            err,
            CatalogError::DuplicateCode {
                code: "1100".into(),
                status: Some(400)
            }
        );
        assert_eq!(
            err.to_string(),
            "code \"1100\" with status 400 is defined twice"
        );
        let err = VendorCatalog::new(spec(
            "[[codes]]\ncode = \"X\"\ndescription = \"a\"\n\
             [[codes]]\ncode = \"X\"\ndescription = \"b\"\n",
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "code \"X\" without status is defined twice"
        );
        // Same code, different statuses: fine.
        VendorCatalog::new(spec(
            "[[codes]]\ncode = 1100\nstatus = 400\ndescription = \"a\"\n\
             [[codes]]\ncode = 1100\nstatus = 422\ndescription = \"b\"\n",
        ))
        .unwrap();
    }

    #[test]
    fn invalid_specs_are_errors() {
        let err = VendorCatalog::new(spec(
            "[[ranges]]\nfrom = 2000\nto = 1000\ncategory = \"Access\"\n",
        ))
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "range 2000..=1000 (Access) ends before it starts"
        );
        let err = VendorCatalog::new(spec(
            "[[ranges]]\nfrom = 1\nto = 10\ncategory = \"a\"\n\
             [[ranges]]\nfrom = 5\nto = 15\ncategory = \"b\"\n",
        ))
        .unwrap_err();
        assert!(
            matches!(err, CatalogError::OverlappingRanges { .. }),
            "{err}"
        );
        let err = VendorCatalog::new(spec(
            "[[ranges]]\nfrom = 1\nto = 10\ncategory = \"a\"\n\
             [[ranges]]\nfrom = 1\nto = 10\ncategory = \"b\"\n",
        ))
        .unwrap_err();
        assert_eq!(err, CatalogError::DuplicateRange { from: 1, to: 10 });
        let err = VendorCatalog::new(spec(
            "[[statuses]]\nstatus = 401\ncategory = \"a\"\ndescription = \"x\"\n\
             [[statuses]]\nstatus = 401\ncategory = \"b\"\ndescription = \"y\"\n",
        ))
        .unwrap_err();
        assert_eq!(err, CatalogError::DuplicateStatus { status: 401 });
        let err = VendorCatalog::new(spec("[[codes]]\ncode = \"  \"\ndescription = \"blank\"\n"))
            .unwrap_err();
        assert!(err.to_string().contains("blank"), "{err}");
    }

    #[test]
    fn extend_replaces_same_code_and_status_and_adds_the_rest() {
        let mut c = catalog(SAMPLE);
        let before = c.distinct_codes();
        c.extend(spec(
            r#"
            [[codes]]
            code = 100
            status = 409
            description = "mine"

            [[codes]]
            code = 100
            status = 500
            category = "server"
            description = "new status"

            [[codes]]
            code = "MyException"
            description = "new code"

            [[ranges]]
            from = 1000
            to = 1999
            category = "Auth"

            [[ranges]]
            from = 1000
            to = 1099
            category = "Client"

            [[statuses]]
            status = 503
            category = "server"
            description = "Down"
            "#,
        ))
        .unwrap();
        let hit = c.lookup("100", Some(409));
        assert_eq!(hit.description, "mine");
        // Replaced whole: the old category is gone; no range or 409 status entry.
        assert_eq!(hit.category, "unknown");
        assert_eq!(c.lookup("100", Some(500)).category, "server");
        assert_eq!(c.lookup("100", Some(400)).description, "generic 100");
        assert!(c.lookup("MyException", None).known);
        assert_eq!(c.distinct_codes(), before + 1);
        assert_eq!(c.lookup("1005", None).category, "Client");
        assert_eq!(c.lookup("1500", None).category, "Token");
        assert_eq!(c.lookup("1999", None).category, "Auth");
        assert_eq!(c.lookup("X", Some(503)).description, "Down");
        assert_eq!(c.lookup("X", Some(402)).description, "Payment Required");
        assert_eq!(c.statuses().len(), 2);
    }

    #[test]
    fn failed_extend_leaves_the_catalog_unchanged() {
        let mut c = catalog(SAMPLE);
        let before: Vec<CodeEntry> = c.entries().into_iter().cloned().collect();
        // Invalid on its own.
        let err = c
            .extend(spec(
                "[[codes]]\ncode = 5\ndescription = \"a\"\n[[codes]]\ncode = 5\ndescription = \"b\"\n",
            ))
            .unwrap_err();
        assert!(err.to_string().contains("\"5\""), "{err}");
        // Valid on its own, not with the catalog.
        let err = c
            .extend(spec(
                "[[codes]]\ncode = 6\ndescription = \"a\"\n\
                 [[ranges]]\nfrom = 1900\nto = 2100\ncategory = \"x\"\n",
            ))
            .unwrap_err();
        assert!(
            matches!(err, CatalogError::OverlappingRanges { .. }),
            "{err}"
        );
        let after: Vec<CodeEntry> = c.entries().into_iter().cloned().collect();
        assert_eq!(before, after);
        assert!(!c.lookup("6", None).known);
    }

    #[test]
    fn entries_are_sorted_numeric_then_text_then_status() {
        let c = catalog(
            r#"
            [[codes]]
            code = "b"
            description = ""
            [[codes]]
            code = 20
            status = 500
            description = ""
            [[codes]]
            code = "A"
            description = ""
            [[codes]]
            code = 100
            description = ""
            [[codes]]
            code = 20
            description = ""
            [[codes]]
            code = 20
            status = 400
            description = ""
            [[codes]]
            code = 3
            description = ""
            "#,
        );
        let order: Vec<(&str, Option<u16>)> = c
            .entries()
            .into_iter()
            .map(|e| (e.code.as_str(), e.status))
            .collect();
        assert_eq!(
            order,
            [
                ("3", None),
                ("20", None),
                ("20", Some(400)),
                ("20", Some(500)),
                ("100", None),
                ("A", None),
                ("b", None)
            ]
        );
        assert_eq!(c.distinct_codes(), 5);
    }

    #[test]
    fn every_builtin_parses_and_validates() {
        for id in BUILTIN_IDS {
            let text = builtin_source(id).unwrap();
            let parsed: Result<CatalogSpec, _> = toml::from_str(text);
            let spec = parsed.unwrap_or_else(|e| panic!("data/{id}.toml: {e}"));
            assert!(!spec.codes.is_empty(), "{id}");
            assert_eq!(builtin(id).as_ref(), Some(&spec), "{id}");
            VendorCatalog::new(spec).unwrap_or_else(|e| panic!("data/{id}.toml: {e}"));
        }
        assert!(builtin("stripe").is_none());
    }

    #[test]
    fn builtin_code_counts() {
        let counts: Vec<(&str, usize, usize)> = BUILTIN_IDS
            .iter()
            .map(|&id| {
                let c = builtin_catalog(id);
                (id, c.distinct_codes(), c.entries().len())
            })
            .collect();
        assert_eq!(
            counts,
            [
                ("ocrolus", 65, 66),
                ("aplos", 19, 19),
                ("ozforensics", 15, 15),
                ("synapse", 15, 22),
                ("codat", 5, 5)
            ]
        );
    }

    #[test]
    fn builtin_categories_are_from_the_vocabulary() {
        for id in BUILTIN_IDS {
            let c = builtin_catalog(id);
            for e in c.entries() {
                assert!(!e.description.is_empty(), "{id} {}", e.code);
                let category = c.lookup(&e.code, e.status).category;
                if id == "aplos" {
                    assert!(
                        ["Authorization", "Access", "Data", "Service"].contains(&category),
                        "aplos {}: {category}",
                        e.code
                    );
                    assert!(e.category.is_none() && e.name.is_some(), "aplos {}", e.code);
                } else {
                    assert!(
                        VOCABULARY.contains(&category),
                        "{id} {}: {category}",
                        e.code
                    );
                    assert_ne!(category, "unknown", "{id} {}", e.code);
                }
            }
            for s in c.statuses() {
                if id != "aplos" {
                    assert!(
                        VOCABULARY.contains(&s.category.as_str()),
                        "{id} {}",
                        s.status
                    );
                }
            }
        }
    }

    #[test]
    fn builtin_vendor_specifics() {
        let ocrolus = builtin_catalog("ocrolus");
        assert!(ocrolus.entries().iter().all(|e| e.status.is_some()));
        assert_eq!(ocrolus.lookup("1100", Some(400)).category, "validation");
        let limit = ocrolus.lookup("1100", Some(422));
        assert_eq!(limit.description, "Book transaction limit exceeded");
        assert_eq!(limit.category, "limit");
        assert_eq!(ocrolus.lookup("1200", Some(400)).category, "auth");

        let aplos = builtin_catalog("aplos");
        assert_eq!(aplos.lookup("5000", Some(500)).category, "Service");
        assert_eq!(aplos.lookup("4008", Some(422)).category, "Data");
        let statuses: Vec<u16> = aplos.statuses().iter().map(|s| s.status).collect();
        assert_eq!(statuses, [401, 403, 405, 422, 500]);
        let miss = aplos.lookup("2500", Some(401));
        assert!(!miss.known);
        assert_eq!(miss.category, "Authorization");
        assert!(miss.description.starts_with("Unauthorized"));

        let oz = builtin_catalog("ozforensics");
        assert_eq!(oz.lookup("7", None).name, Some("AUTH INVALID"));
        assert!(oz.lookup("3", None).description.contains("OzCapsula"));
        assert!(oz.lookup("14", None).description.contains("Invalid hash"));
        assert!(oz.statuses().is_empty());

        let synapse = builtin_catalog("synapse");
        assert_eq!(synapse.lookup("400", Some(409)).category, "validation");
        let both = synapse.lookup("503", Some(503)).description;
        assert!(both.contains("Synapse maintenance") && both.contains("Refresh temporarily"));
        assert_eq!(
            synapse.lookup("503", Some(500)).description,
            "Service Unavailable. The server is currently unable to handle the request due to \
             a temporary overload or scheduled maintenance."
        );
        assert_eq!(
            synapse.lookup("110", Some(401)).name,
            Some("Bad credentials")
        );
        assert_eq!(synapse.lookup("0", None).category, "success");

        let codat = builtin_catalog("codat");
        assert_eq!(
            codat
                .lookup("CompanyValidationException", Some(402))
                .category,
            "limit"
        );
        assert_eq!(
            codat.lookup("Payment Required", Some(402)).category,
            "limit"
        );
        let miss = codat.lookup("DataTypeException", Some(404));
        assert!(!miss.known);
        assert_eq!(miss.category, "not-found");
        assert_eq!(codat.lookup("x", Some(200)).category, "success");
        assert_eq!(codat.lookup("x", Some(202)).category, "pending");
        assert_eq!(codat.statuses().len(), 12);
    }
}
