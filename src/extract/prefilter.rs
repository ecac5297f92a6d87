//! The literal pre-filter: one multi-literal search over whole buffers for
//! the vendors' anchor keys, then a per-line check that every key of some
//! vendor's shape is on the line. False positives are fine (the decoder
//! rejects them); false negatives are not.

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use memchr::memmem::Finder;

use crate::vendor::VendorSet;

/// At most this many vendors (they are tracked in a `u64` bit set).
pub const MAX_VENDORS: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PrefilterError {
    #[error("at most {MAX_VENDORS} vendors are supported, {0} configured")]
    TooManyVendors(usize),
    #[error("building the pre-filter: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

#[derive(Debug, Clone)]
pub struct Prefilter {
    anchors: AhoCorasick,
    anchor_literals: Vec<Vec<u8>>,
    /// Pattern index → the vendors anchored on it.
    anchor_vendors: Vec<u64>,
    /// Per vendor: the shape keys other than the anchor.
    other_keys: Vec<Vec<Finder<'static>>>,
}

/// An anchor hit.
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    pub start: usize,
    pub end: usize,
    pub vendors: u64,
}

impl Prefilter {
    pub fn new(vendors: &VendorSet) -> Result<Prefilter, PrefilterError> {
        let list = vendors.vendors();
        if list.len() > MAX_VENDORS {
            return Err(PrefilterError::TooManyVendors(list.len()));
        }
        let mut anchor_literals: Vec<Vec<u8>> = Vec::new();
        let mut anchor_vendors: Vec<u64> = Vec::new();
        for (index, vendor) in list.iter().enumerate() {
            let literal = vendor.anchor.as_bytes().to_vec();
            match anchor_literals.iter().position(|l| *l == literal) {
                Some(at) => anchor_vendors[at] |= 1 << index,
                None => {
                    anchor_literals.push(literal);
                    anchor_vendors.push(1 << index);
                }
            }
        }
        let anchors = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .kind(Some(AhoCorasickKind::DFA))
            .build(&anchor_literals)?;
        let other_keys = list
            .iter()
            .map(|vendor| {
                vendor
                    .required_keys
                    .iter()
                    .filter(|key| **key != vendor.anchor)
                    .map(|key| Finder::new(key.as_bytes()).into_owned())
                    .collect()
            })
            .collect();
        Ok(Prefilter {
            anchors,
            anchor_literals,
            anchor_vendors,
            other_keys,
        })
    }

    /// The literals searched for, as the pre-filter derived them from the specs.
    pub fn literals(&self) -> impl Iterator<Item = &[u8]> {
        self.anchor_literals.iter().map(Vec::as_slice)
    }

    /// The first anchor in `haystack[from..to]`.
    #[inline]
    pub fn find(&self, haystack: &[u8], from: usize, to: usize) -> Option<Hit> {
        let found = self
            .anchors
            .find(Input::new(&haystack[..to]).range(from..))?;
        Some(Hit {
            start: found.start(),
            end: found.end(),
            vendors: self.anchor_vendors[found.pattern().as_usize()],
        })
    }

    /// The vendors all of whose shape keys are on `line`, given the vendors
    /// whose anchors were seen on it.
    #[inline]
    pub fn verify(&self, line: &[u8], mut anchored: u64) -> u64 {
        let mut verified = 0;
        while anchored != 0 {
            let vendor = anchored.trailing_zeros() as usize;
            anchored &= anchored - 1;
            if self.other_keys[vendor]
                .iter()
                .all(|key| key.find(line).is_some())
            {
                verified |= 1 << vendor;
            }
        }
        verified
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_come_from_the_specs() {
        let set = VendorSet::builtin().unwrap();
        let pre = Prefilter::new(&set).unwrap();
        let mut literals: Vec<String> = pre
            .literals()
            .map(|l| String::from_utf8(l.to_vec()).unwrap())
            .collect();
        literals.sort();
        let mut anchors: Vec<String> = set.vendors().iter().map(|v| v.anchor.clone()).collect();
        anchors.sort();
        anchors.dedup();
        assert_eq!(literals, anchors);
    }

    #[test]
    fn verify_needs_every_key() {
        let set = VendorSet::builtin().unwrap();
        let pre = Prefilter::new(&set).unwrap();
        let line = br#"{"status":400,"message":"m","code":1200,"response":null}"#;
        let hit = pre.find(line, 0, line.len()).unwrap();
        assert_eq!(&line[hit.start..hit.end], b"response");
        let ocrolus = set.index_of("ocrolus").unwrap();
        assert_eq!(pre.verify(line, hit.vendors), 1 << ocrolus);
        assert_eq!(
            pre.verify(br#"{"status":200,"response":{}}"#, hit.vendors),
            0
        );
    }
}
