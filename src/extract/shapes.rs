//! Telling, before any JSON is parsed, whether a candidate line can hold a
//! body of a vendor, in two steps that allocate nothing:
//! - [`ShapeKeys::on_line`]: every key of the shape must be on the line,
//!   written as a key (opened and closed by quotes, followed by `:`) whose
//!   value can be what the shape wants; a vendor some key of which is
//!   missing is out.
//! - [`ShapeKeys::in_object`]: the keys of a shape's top level must be
//!   members of the one object around the hit (read by [`super::members`]),
//!   not spread over a log line's nested objects.

use memchr::memmem::Finder;

use super::keys::{value_start, written_as_key, ValueStart, MAX_VENDORS};
use super::members;
use crate::vendors::json::{same_bytes, skip_ws};
use crate::vendors::{ValueKind, VendorSet};

/// Top-level keys checked per vendor at most (a bit each); later ones are
/// not checked.
const MAX_KEYS: usize = 64;

#[derive(Debug, Clone)]
pub struct ShapeKeys {
    /// Per vendor: every key of its shape, the longest (the rarest) first,
    /// with the value it holds.
    keys: Vec<Vec<(Finder<'static>, ValueKind)>>,
    /// Per vendor: the keys of its body's top level, with their values.
    top: Vec<Vec<(Finder<'static>, ValueKind)>>,
}

/// What the object around a hit says of its vendors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InObject {
    /// These of the hit's vendors (maybe none) can have a body there.
    Holds(u64),
    /// The object could not be read whole, or these vendors' shapes do not
    /// have the hit's key at their top level: the line must tell.
    Unsure(u64),
}

impl ShapeKeys {
    pub fn new(vendors: &VendorSet) -> ShapeKeys {
        let keys = vendors
            .vendors()
            .iter()
            .map(|vendor| {
                let mut keys: Vec<&String> = vendor.required_keys.iter().collect();
                keys.sort_by_key(|k| std::cmp::Reverse(k.len()));
                keys.into_iter()
                    .map(|key| {
                        let finder = Finder::new(key.as_bytes()).into_owned();
                        (finder, vendor.key_value(key))
                    })
                    .collect()
            })
            .collect();
        let top = vendors
            .vendors()
            .iter()
            .map(|vendor| {
                vendor
                    .top_level_keys()
                    .into_iter()
                    .map(|key| {
                        let finder = Finder::new(key.as_bytes()).into_owned();
                        (finder, vendor.key_value(key))
                    })
                    .collect()
            })
            .collect();
        ShapeKeys { keys, top }
    }

    /// Orders each vendor's keys by `rank` (lowest first; the longer key on
    /// a tie), the order [`Self::on_line_but`] looks for them in.
    pub fn order_keys(&mut self, rank: impl Fn(&[u8], ValueKind) -> u64) {
        for keys in &mut self.keys {
            keys.sort_by_key(|(finder, value)| {
                let key = finder.needle();
                (rank(key, *value), std::cmp::Reverse(key.len()))
            });
        }
    }

    /// The keys of `vendor`'s shape, in the order they are looked for.
    pub fn keys_of(&self, vendor: usize) -> impl Iterator<Item = &[u8]> {
        self.keys
            .get(vendor)
            .into_iter()
            .flatten()
            .map(|(finder, _)| finder.needle())
    }

    /// Of `wanted`, the vendors every key of whose shape is on `line`,
    /// written as a key whose value can be what the shape wants.
    pub fn on_line(&self, line: &[u8], wanted: u64) -> u64 {
        self.on_line_but(line, wanted, &[])
    }

    /// Where `key` is in the list [`Self::on_line_but`] checks for
    /// `vendor`, if it is one of its shape's keys.
    pub fn key_index(&self, vendor: usize, key: &[u8]) -> Option<usize> {
        self.keys
            .get(vendor)?
            .iter()
            .position(|(finder, _)| finder.needle() == key)
    }

    /// [`Self::on_line`] taking the key at `known[vendor]` (a
    /// [`Self::key_index`]) of each wanted vendor as seen: the caller has
    /// found it on the line, written as a key with a value it can hold.
    pub fn on_line_but(&self, line: &[u8], mut wanted: u64, known: &[usize]) -> u64 {
        let mut complete = 0;
        while wanted != 0 {
            let vendor = wanted.trailing_zeros() as usize;
            wanted &= wanted - 1;
            let skip = known.get(vendor).copied().unwrap_or(usize::MAX);
            let mut keys = self.keys[vendor].iter().enumerate();
            let all_there = keys.all(|(index, (finder, value))| {
                if index == skip {
                    return true;
                }
                let len = finder.needle().len();
                found_where(finder, line, |start| {
                    written_as_key(line, start, start + len).is_some_and(|escaped| {
                        value_start(line, start + len, line.len()).admits(*value, escaped)
                    })
                })
            });
            if all_there {
                complete |= 1 << vendor;
            }
        }
        complete
    }

    /// Whether `key` is a key of the top level of `vendor`'s shape.
    fn is_top_key(&self, vendor: usize, key: &[u8]) -> bool {
        self.top[vendor]
            .iter()
            .any(|(name, _)| same_bytes(name.needle(), key))
    }

    /// Of `vendors`, those the object around the key at
    /// `text[key_start..key_end]` may still be a body of, judged by where
    /// their other top-level keys are on `text[from..to]`: a member is never
    /// inside another member's value, so a vendor whose other top-level keys
    /// are there only inside the key's own object or array value
    /// (`"response":{"status":200,...}`) is out before any object is read.
    /// Vendors whose top level lacks the key, and keys whose value does not
    /// read as plain JSON, are left to [`Self::in_object`].
    pub fn outside_value(
        &self,
        text: &[u8],
        from: usize,
        to: usize,
        key_start: usize,
        key_end: usize,
        vendors: u64,
    ) -> u64 {
        let text = &text[..to.min(text.len())];
        if !plain_key(text, from, key_start) || text.get(key_end) != Some(&b'"') {
            return vendors;
        }
        let colon = skip_ws(text, key_end + 1);
        if text.get(colon) != Some(&b':') {
            return vendors;
        }
        let value = skip_ws(text, colon + 1);
        if !matches!(text.get(value), Some(b'{' | b'[')) {
            return vendors;
        }
        let Some(value_end) = members::value_end(text, value) else {
            return vendors;
        };
        let key = &text[key_start..key_end];
        let line = &text[from..];
        let (value, value_end) = (value - from, value_end - from);
        let mut kept = vendors;
        let mut rest = vendors;
        while rest != 0 {
            let vendor = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if !self.is_top_key(vendor, key) {
                continue;
            }
            let top = &self.top[vendor];
            let siblings_outside = top.iter().all(|(finder, kind)| {
                let len = finder.needle().len();
                same_bytes(finder.needle(), key)
                    || found_where(finder, line, |start| {
                        (start + len <= value || start >= value_end)
                            && written_as_key(line, start, start + len).is_some_and(|escaped| {
                                value_start(line, start + len, line.len()).admits(*kind, escaped)
                            })
                    })
            });
            if !siblings_outside {
                kept &= !(1 << vendor);
            }
        }
        kept
    }

    /// Of `vendors`, those whose top-level keys are all members of the
    /// object around the key at `text[key_start..key_end]`, each with a
    /// value the shape can want. Exact for a key of plain JSON in an object
    /// that is whole in `text[from..to]`: a body elsewhere on the line has
    /// keys of its own to be found by.
    pub fn in_object(
        &self,
        text: &[u8],
        from: usize,
        to: usize,
        key_start: usize,
        key_end: usize,
        vendors: u64,
    ) -> InObject {
        if !plain_key(text, from, key_start) {
            return InObject::Unsure(vendors);
        }
        let quote = key_start - 1;
        let key = &text[key_start..key_end];
        // Only a key of a shape's top level says where that body is.
        let mut asked = 0u64;
        let mut unsure = 0u64;
        let mut rest = vendors;
        while rest != 0 {
            let vendor = rest.trailing_zeros() as usize;
            rest &= rest - 1;
            if self.is_top_key(vendor, key) {
                asked |= 1 << vendor;
            } else {
                unsure |= 1 << vendor;
            }
        }
        let mut found = [0u64; MAX_VENDORS];
        let mut holds = 0u64;
        if asked != 0 {
            let read = members::around(text, from, quote, to, |name, first| {
                let mut rest = asked & !holds;
                while rest != 0 {
                    let vendor = rest.trailing_zeros() as usize;
                    rest &= rest - 1;
                    let top = &self.top[vendor];
                    for (index, (wanted, value)) in top.iter().take(MAX_KEYS).enumerate() {
                        if same_bytes(wanted.needle(), name)
                            && ValueStart::First(first).admits(*value, false)
                        {
                            found[vendor] |= 1 << index;
                        }
                    }
                    let all = u64::MAX >> (64 - top.len().clamp(1, MAX_KEYS));
                    if found[vendor] & all == all {
                        holds |= 1 << vendor;
                    }
                }
                // Once every vendor asked about holds, the rest is moot.
                holds != asked
            });
            if !read {
                return InObject::Unsure(vendors);
            }
        }
        if holds == 0 && unsure != 0 {
            InObject::Unsure(unsure)
        } else {
            InObject::Holds(holds)
        }
    }
}

/// Whether the key at `text[key_start..]` is opened by a bare `"` within
/// `text[from..]`: plain JSON, not escaped text or a Python repr.
fn plain_key(text: &[u8], from: usize, key_start: usize) -> bool {
    let quote = key_start.wrapping_sub(1);
    key_start > from && text[quote] == b'"' && (quote == from || text[quote - 1] != b'\\')
}

/// Whether `finder`'s needle occurs in `text` at a start `wanted` takes.
/// (A loop of `find` rather than `find_iter`, which copies the searcher on
/// every call: this runs for most candidate lines.)
#[inline]
fn found_where(finder: &Finder<'_>, text: &[u8], mut wanted: impl FnMut(usize) -> bool) -> bool {
    let mut from = 0;
    while let Some(at) = text.get(from..).and_then(|rest| finder.find(rest)) {
        let start = from + at;
        if wanted(start) {
            return true;
        }
        from = start + 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys() -> (VendorSet, ShapeKeys) {
        let set = VendorSet::builtin().unwrap();
        let keys = ShapeKeys::new(&set);
        (set, keys)
    }

    #[test]
    fn every_key_must_be_on_the_line_as_a_key() {
        let (set, keys) = keys();
        let all = (1u64 << set.vendors().len()) - 1;
        let ocrolus = 1 << set.index_of("ocrolus").unwrap();
        let codat = 1 << set.index_of("codat").unwrap();
        let on = |line: &str| keys.on_line(line.as_bytes(), all);
        assert_eq!(
            on(r#"x {"status":400,"message":"m","code":1,"response":null}"#),
            ocrolus
        );
        assert_eq!(
            on(r#"{'status': 400, 'message': 'm', 'response': None}"#),
            ocrolus
        );
        assert_eq!(
            on(r#""{\"status\":400,\"message\":\"m\",\"response\":null}""#),
            ocrolus
        );
        // `status` only inside `statusCode`, in text, or holding text.
        assert_eq!(on(r#"{"statusCode":400,"message":"m","response":1}"#), 0);
        assert_eq!(on(r#"status 400 {"message":"m","response":1}"#), 0);
        assert_eq!(on(r#"{"status":"ok","message":"m","response":1}"#), 0);
        // Keys in several objects pass here; the object check tells.
        assert_eq!(
            on(r#"{"service":"s","correlationId":"c","http":{"statusCode":200}}"#),
            codat
        );
        assert_eq!(
            keys.on_line(br#"{"status":400,"message":"m","response":1}"#, codat),
            0
        );
    }

    #[test]
    fn a_key_the_caller_has_seen_is_not_looked_for_again() {
        let (set, keys) = keys();
        let codat = set.index_of("codat").unwrap();
        let at = keys.key_index(codat, b"statusCode").unwrap();
        let mut known = vec![usize::MAX; set.vendors().len()];
        known[codat] = at;
        // `statusCode` only as a mention: the line alone lacks it, but the
        // caller says it saw it; the other keys are still looked for.
        let line = br#"statusCode {"service":"s","correlationId":"c"}"#;
        assert_eq!(keys.on_line(line, 1 << codat), 0);
        assert_eq!(keys.on_line_but(line, 1 << codat, &known), 1 << codat);
        let line = br#"{"statusCode":402,"correlationId":"c"}"#;
        assert_eq!(keys.on_line_but(line, 1 << codat, &known), 0);
        assert_eq!(keys.key_index(codat, b"nonsense"), None);
    }

    #[test]
    fn siblings_found_only_inside_the_keys_own_value_rule_a_vendor_out() {
        let (set, keys) = keys();
        let ocrolus = 1 << set.index_of("ocrolus").unwrap();
        let aplos = 1 << set.index_of("aplos").unwrap();
        let check = |line: &str, vendors: u64| {
            let start = line.find("response").unwrap();
            keys.outside_value(line.as_bytes(), 0, line.len(), start, start + 8, vendors)
        };
        // `status` and `message` only inside `response`'s object: out.
        let nested = r#"{"ts":1,"response":{"status":200,"message":"ok"},"id":7}"#;
        assert_eq!(check(nested, ocrolus), 0);
        let nested = r#"{"ts":1,"response":[{"status":200,"message":"ok"}]}"#;
        assert_eq!(check(nested, ocrolus), 0);
        // Before it, after it, or one before and one inside: the object
        // check decides.
        for line in [
            r#"{"status":400,"message":"m","response":{"status":1}}"#,
            r#"{"response":{"status":1},"status":400,"message":"m"}"#,
            r#"{"message":"m","response":{"status":1},"status":400}"#,
        ] {
            assert_eq!(check(line, ocrolus), ocrolus, "{line}");
        }
        assert_eq!(
            check(r#"{"message":"m","response":{"status":1}}"#, ocrolus),
            0
        );
        // Nothing to go by: a value that is no object or array, one not
        // closed on the line, an escaped key, a vendor whose top level lacks
        // the key.
        for line in [
            r#"{"message":"m","response":"{\"status\":1}"}"#,
            r#"{"message":"m","response":{"status":1,"#,
            r#""{\"message\":\"m\",\"response\":{\"status\":1}}""#,
        ] {
            assert_eq!(check(line, ocrolus), ocrolus, "{line}");
        }
        assert_eq!(check(nested, aplos), aplos);
        assert_eq!(check(nested, ocrolus | aplos), aplos);
    }

    #[test]
    fn top_level_keys_must_share_the_object_around_the_hit() {
        let (set, keys) = keys();
        let codat = 1 << set.index_of("codat").unwrap();
        let ocrolus = 1 << set.index_of("ocrolus").unwrap();
        let check = |line: &str, key: &str, vendors: u64| {
            let start = line.find(&format!("\"{key}\"")).unwrap() + 1;
            keys.in_object(
                line.as_bytes(),
                0,
                line.len(),
                start,
                start + key.len(),
                vendors,
            )
        };
        let nested = r#"{"service":"s","correlationId":"c","http":{"statusCode":200}}"#;
        assert_eq!(check(nested, "statusCode", codat), InObject::Holds(0));
        assert_eq!(check(nested, "service", codat), InObject::Holds(0));
        let body = r#"{"level":"e","vendor":{"statusCode":402,"service":"P","correlationId":"0"}}"#;
        assert_eq!(check(body, "statusCode", codat), InObject::Holds(codat));
        // `service` is no key of Ocrolus' shape: what holds decides; where
        // nothing does, the line must tell for Ocrolus.
        assert_eq!(
            check(body, "service", codat | ocrolus),
            InObject::Holds(codat)
        );
        assert_eq!(
            check(nested, "service", codat | ocrolus),
            InObject::Unsure(ocrolus)
        );
        // A value the shape cannot want.
        let text = r#"{"statusCode":402,"service":{"n":1},"correlationId":"0"}"#;
        assert_eq!(check(text, "correlationId", codat), InObject::Holds(0));
        // Not plain JSON, or not whole on the line: unsure.
        let escaped = r#"{\"statusCode\":402,\"service\":\"P\"}"#;
        let start = escaped.find("statusCode").unwrap();
        assert_eq!(
            keys.in_object(
                escaped.as_bytes(),
                0,
                escaped.len(),
                start,
                start + 10,
                codat
            ),
            InObject::Unsure(codat)
        );
        assert_eq!(
            check(r#"{"statusCode":402,"service":"P","#, "service", codat),
            InObject::Unsure(codat)
        );
        // A key below the top level of the shape (Aplos' `exception.message`).
        let aplos = 1 << set.index_of("aplos").unwrap();
        assert_eq!(
            check(r#"{"exception":{"message":"m"}}"#, "message", aplos),
            InObject::Unsure(aplos)
        );
    }
}
