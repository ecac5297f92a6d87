//! The built-in catalogs against the vendors' own error pages, kept in `tests/data/vendor-pages/`
//! (its README names each page's source).
//!
//! Each vendor has a small parser of its page's text that pulls out the codes the page
//! documents. Every one of them must be known to the built-in catalog (with the status the page
//! gives it, where it gives one), and the page and the catalog must have the same number of
//! distinct codes, so a code dropped from (or invented in) a data file fails here.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;

use errscope::catalog::{builtin, CatalogSpec, VendorCatalog, BUILTIN_IDS};

const DOCS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data/vendor-pages/");

fn page(file: &str) -> String {
    let path = format!("{DOCS}{file}");
    fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read the vendor page {path}: {e}. These tests check the built-in catalogs \
             against the copies of the vendors' pages in tests/data/vendor-pages/."
        )
    })
}

/// What a page documents: each code with the statuses it is documented with (`None`: without
/// one), and the HTTP statuses the page describes.
#[derive(Debug, Default)]
struct PageCodes {
    codes: BTreeMap<String, BTreeSet<Option<u16>>>,
    statuses: BTreeSet<u16>,
}

impl PageCodes {
    fn add(&mut self, code: &str, status: Option<u16>) {
        self.codes
            .entry(code.to_owned())
            .or_default()
            .insert(status);
    }
}

fn is_digits(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit())
}

/// Splits a table row `a | b | c |` into its trimmed cells.
fn cells(line: &str) -> Vec<&str> {
    line.trim()
        .trim_end_matches('|')
        .split('|')
        .map(str::trim)
        .collect()
}

/// The "Status | Code | Reason" table: rows of three cells starting with two numbers.
fn ocrolus(text: &str) -> PageCodes {
    let mut page = PageCodes::default();
    for line in text.lines() {
        if let [status, code, _reason] = cells(line)[..] {
            if is_digits(status) && is_digits(code) {
                page.add(code, Some(status.parse().unwrap()));
            }
        }
    }
    // "a JSON response with a status of 200 and a message of OK".
    page.statuses.insert(200);
    page
}

/// `NNNN: Name Description` lines under "Exception Codes"; `NNN: Title` lines above it are the
/// HTTP codes.
fn aplos(text: &str) -> PageCodes {
    let mut page = PageCodes::default();
    for line in text.lines() {
        let Some((number, _)) = line.trim().split_once(": ") else {
            continue;
        };
        match number.len() {
            4 if is_digits(number) => page.add(number, None),
            3 if is_digits(number) => {
                page.statuses.insert(number.parse().unwrap());
            }
            _ => {}
        }
    }
    page
}

/// Aplos's range headings: `Authorization: 1000 – 1999`.
fn aplos_ranges(text: &str) -> Vec<(String, i64, i64)> {
    text.lines()
        .filter_map(|line| {
            let (name, span) = line.trim().split_once(": ")?;
            let (from, to) = span.split_once(" – ")?;
            Some((name.to_owned(), from.parse().ok()?, to.parse().ok()?))
        })
        .collect()
}

/// `• N - NAME text` bullets (dash or en dash), and the numbers standing alone on their lines
/// in the OzCapsula table that follows the "OzCapsula Errors" heading.
fn ozforensics(text: &str) -> PageCodes {
    let mut page = PageCodes::default();
    let mut in_capsula = false;
    for line in text.lines() {
        let line = line.trim();
        if line.ends_with("OzCapsula Errors") {
            in_capsula = true;
        }
        if let Some(rest) = line.strip_prefix("• ") {
            let mut words = rest.split_whitespace();
            if let (Some(code), Some("-" | "–")) = (words.next(), words.next()) {
                if is_digits(code) {
                    page.add(code, None);
                }
            }
        } else if in_capsula && is_digits(line) {
            page.add(line, None);
        }
    }
    page
}

/// The rows of the ERROR CODES table (`code | description`) and of the bank-login tables
/// (`http | code | description`); the HTTP STATUS CODE table's rows start `200 OK |`.
fn synapse(text: &str) -> PageCodes {
    let mut page = PageCodes::default();
    let mut section = "";
    for line in text.lines() {
        if let Some(heading) = line.strip_prefix("## ") {
            section = heading;
            continue;
        }
        let row = cells(line);
        if section == "HTTP STATUS CODE REFERENCE" && row.len() == 2 {
            if let Some((status, _)) = row[0].split_once(' ') {
                if is_digits(status) {
                    page.statuses.insert(status.parse().unwrap());
                }
            }
        } else if section == "ERROR CODES REFERENCE" && row.len() == 2 && is_digits(row[0]) {
            page.add(row[0], None);
        } else if section.starts_with("Bank Login")
            && row.len() == 3
            && is_digits(row[0])
            && is_digits(row[1])
        {
            page.add(row[1], Some(row[0].parse().unwrap()));
        }
    }
    page
}

/// The same tables read from the raw export (`synapse-original.txt`, whose first line is the
/// page's JSON with the tables as `[block:parameters]` JSON): (code, status) pairs and statuses.
fn synapse_original(text: &str) -> PageCodes {
    let first = text.lines().next().unwrap_or_default();
    let doc: serde_json::Value = serde_json::from_str(first).expect("synapse-original.txt line 1");
    let body = doc["body"].as_str().expect("a body");
    let mut page = PageCodes::default();
    for block in body.split("[block:parameters]").skip(1) {
        let json = block.split("[/block]").next().unwrap_or_default();
        let table: serde_json::Value = serde_json::from_str(json).expect("a parameters block");
        let data = &table["data"];
        let rows = table["rows"].as_u64().expect("rows");
        let cell = |r: u64, c: u64| data[format!("{r}-{c}")].as_str().unwrap_or_default();
        for r in 0..rows {
            match (data["h-0"].as_str(), data["h-1"].as_str()) {
                (Some("HTTP Status Code"), _) => {
                    let status = cell(r, 0).split(' ').next().unwrap_or_default();
                    page.statuses.insert(status.parse().unwrap());
                }
                (Some("ERROR_CODE"), _) => page.add(cell(r, 0), None),
                (Some("HTTP_CODE"), Some("ERROR_CODE")) => {
                    page.add(cell(r, 1), Some(cell(r, 0).parse().unwrap()))
                }
                other => panic!("unexpected table {other:?}"),
            }
        }
    }
    page
}

/// The `"error": "..."` strings of the examples (code: before the first `:`, else the whole
/// trimmed text), the account-limit bullets under 402 (`• Code: text`), and the status codes
/// standing alone on their lines in the "Status codes" table.
fn codat(text: &str) -> PageCodes {
    let mut page = PageCodes::default();
    let mut status: Option<u16> = None;
    let mut in_table = false;
    let mut last_status_code: Option<u16> = None;
    for line in text.lines() {
        let line = line.trim();
        if line == "Status codes" {
            in_table = true;
        } else if line == "Example account limit errors" {
            in_table = false;
            status = None;
        }
        if let Some(n) = line
            .strip_prefix("\"statusCode\": ")
            .and_then(|s| s.trim_end_matches(',').parse().ok())
        {
            last_status_code = Some(n);
        }
        if in_table && line.len() == 3 && is_digits(line) {
            let n = line.parse().unwrap();
            page.statuses.insert(n);
            status = Some(n);
        } else if let Some(error) = line.strip_prefix("\"error\": \"") {
            let error = error.trim_end_matches(',').trim_end_matches('"');
            let code = error.split_once(':').map_or(error, |(code, _)| code);
            page.add(code.trim(), last_status_code);
        } else if let (Some(402), Some(bullet)) = (status, line.strip_prefix("• ")) {
            let (code, _) = bullet.split_once(':').expect("a `Code: text` bullet");
            page.add(code.trim(), Some(402));
        }
    }
    page
}

fn parse(vendor: &str) -> PageCodes {
    match vendor {
        "ocrolus" => ocrolus(&page("ocrolus.txt")),
        "aplos" => aplos(&page("aplos.txt")),
        "ozforensics" => ozforensics(&page("ozforensics.txt")),
        "synapse" => synapse(&page("synapse.txt")),
        "codat" => codat(&page("codat.txt")),
        other => panic!("no page parser for built-in vendor {other}"),
    }
}

/// Everything the page says that the catalog does not match.
fn problems(vendor: &str, page: &PageCodes, catalog: &VendorCatalog) -> Vec<String> {
    let mut out = Vec::new();
    for (code, statuses) in &page.codes {
        if !catalog.lookup(code, None).known {
            out.push(format!("{vendor}: code {code:?} is not in the catalog"));
        }
        for &status in statuses {
            let exact = catalog
                .entries()
                .iter()
                .any(|e| e.code == *code && e.status == status);
            if !exact {
                out.push(format!(
                    "{vendor}: code {code:?} has no entry for status {status:?}"
                ));
            }
        }
    }
    if page.codes.len() != catalog.distinct_codes() {
        out.push(format!(
            "{vendor}: the page has {} distinct codes, the catalog {}",
            page.codes.len(),
            catalog.distinct_codes()
        ));
    }
    let catalog_statuses: BTreeSet<u16> = catalog.statuses().iter().map(|s| s.status).collect();
    if page.statuses != catalog_statuses {
        out.push(format!(
            "{vendor}: the page describes statuses {:?}, the catalog {:?}",
            page.statuses, catalog_statuses
        ));
    }
    out
}

fn builtin_catalog(vendor: &str) -> VendorCatalog {
    let spec = builtin(vendor).unwrap_or_else(|| panic!("no built-in data for {vendor}"));
    VendorCatalog::new(spec).unwrap_or_else(|e| panic!("built-in {vendor}: {e}"))
}

#[test]
fn every_documented_code_is_in_the_builtin_catalog() {
    let mut all = Vec::new();
    println!(
        "{:<12} {:>10} {:>13} {:>8}",
        "vendor", "page codes", "catalog codes", "entries"
    );
    for vendor in BUILTIN_IDS {
        let page = parse(vendor);
        let catalog = builtin_catalog(vendor);
        println!(
            "{vendor:<12} {:>10} {:>13} {:>8}",
            page.codes.len(),
            catalog.distinct_codes(),
            catalog.entries().len()
        );
        assert!(
            !page.codes.is_empty(),
            "{vendor}: the parser found no codes"
        );
        all.extend(problems(vendor, &page, &catalog));
    }
    assert!(all.is_empty(), "{}", all.join("\n"));
}

/// Fixed points of the parsers, so a parser that silently reads less cannot pass.
#[test]
fn page_parsers_find_what_the_pages_show() {
    let ocrolus = parse("ocrolus");
    assert_eq!(ocrolus.codes.len(), 65);
    assert_eq!(
        ocrolus.codes["1100"],
        BTreeSet::from([Some(400), Some(422)])
    );
    assert_eq!(ocrolus.codes["9004"], BTreeSet::from([Some(425)]));

    let aplos = parse("aplos");
    assert_eq!(aplos.codes.len(), 19);
    assert_eq!(aplos.statuses, BTreeSet::from([401, 403, 405, 422, 500]));

    let oz = parse("ozforensics");
    let expected: BTreeSet<String> = (0..=14).map(|n| n.to_string()).collect();
    assert_eq!(oz.codes.keys().cloned().collect::<BTreeSet<_>>(), expected);

    let synapse = parse("synapse");
    assert_eq!(synapse.codes.len(), 15);
    assert_eq!(synapse.codes["503"], BTreeSet::from([None, Some(503)]));
    assert_eq!(
        synapse.codes["500"],
        BTreeSet::from([None, Some(402), Some(500)])
    );
    assert_eq!(synapse.statuses.len(), 10);

    let codat = parse("codat");
    let names: Vec<&str> = codat.codes.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "Company limit exceeded",
            "CompanyValidationException",
            "InvoicePdfNotFoundException",
            "Payment Required",
            "SyncSettingsValidationException"
        ]
    );
    assert_eq!(
        codat.codes["InvoicePdfNotFoundException"],
        BTreeSet::from([Some(404)])
    );
    assert_eq!(codat.statuses.len(), 12);
}

#[test]
fn aplos_ranges_name_the_categories() {
    let catalog = builtin_catalog("aplos");
    let ranges = aplos_ranges(&page("aplos.txt"));
    assert_eq!(ranges.len(), 3, "{ranges:?}");
    for (name, from, to) in ranges {
        for code in [from, (from + to) / 2, to] {
            let hit = catalog.lookup(&code.to_string(), None);
            assert_eq!(hit.category, name, "aplos code {code}");
        }
    }
    assert_eq!(catalog.lookup("5000", None).category, "Service");
}

#[test]
fn synapse_rendered_page_matches_its_raw_export() {
    let rendered = synapse(&page("synapse.txt"));
    let original = synapse_original(&page("synapse-original.txt"));
    assert_eq!(rendered.codes, original.codes);
    assert_eq!(rendered.statuses, original.statuses);
}

/// The check above can fail: with any one code left out of a data file, it reports it.
#[test]
fn a_code_missing_from_the_data_is_reported() {
    for vendor in BUILTIN_IDS {
        let page = parse(vendor);
        let full = builtin(vendor).unwrap();
        for dropped in 0..full.codes.len() {
            let mut codes = full.codes.clone();
            let gone = codes.remove(dropped);
            let spec = CatalogSpec {
                codes,
                ..full.clone()
            };
            let catalog = VendorCatalog::new(spec).unwrap();
            let found = problems(vendor, &page, &catalog);
            assert!(
                found
                    .iter()
                    .any(|p| p.contains(&format!("{:?}", gone.code))),
                "{vendor}: dropping {:?} (status {:?}) went unnoticed",
                gone.code,
                gone.status
            );
        }
    }
}
