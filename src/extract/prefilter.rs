//! The literal pre-filter: one multi-literal search over whole buffers for
//! the vendors' anchor keys, then a per-line check that every key of some
//! vendor's shape is on the line. False positives are fine (the decoder
//! rejects them); false negatives are not.

use aho_corasick::packed::{self, Searcher as Teddy};
use aho_corasick::{AhoCorasick, Input, MatchKind, Span};

use super::keys::{closes_key, value_start, ValueStart, MAX_VENDORS};
use super::shapes::{InObject, ShapeKeys};
use crate::vendors::json::same_bytes;
use crate::vendors::{ValueKind, VendorSet};

#[derive(Debug, thiserror::Error)]
pub enum PrefilterError {
    #[error("at most {MAX_VENDORS} vendors are supported, {0} configured")]
    TooManyVendors(usize),
    #[error("building the pre-filter: {0}")]
    Build(#[from] aho_corasick::BuildError),
}

#[derive(Debug, Clone)]
pub struct Prefilter {
    /// The SIMD searcher (Teddy) when the CPU and the literals allow it;
    /// it skips the automaton's per-call setup on the many short searches.
    teddy: Option<Teddy>,
    anchors: AhoCorasick,
    anchor_literals: Vec<Vec<u8>>,
    /// Pattern index → the keys it may be the tail of.
    anchor_keys: Vec<Vec<AnchorKey>>,
    /// Every key of every shape, for checking a line's hits.
    shapes: ShapeKeys,
    /// Per vendor: the key searched for.
    chosen: Vec<String>,
    /// Per vendor: where its searched key is among its shape's keys
    /// ([`ShapeKeys::key_index`]): a hit has shown that one on the line.
    chosen_at: Vec<usize>,
}

#[derive(Debug, Clone)]
struct AnchorKey {
    key: Vec<u8>,
    /// How many bytes of the key precede the literal.
    offset: usize,
    /// The value the key holds in these vendors' bodies.
    value: ValueKind,
    vendors: u64,
}

/// An anchor hit: a vendor's anchor key, written as a key (in quotes).
#[derive(Debug, Clone, Copy)]
pub struct Hit {
    /// Where the key starts (the literal searched for may be its tail).
    pub key_start: usize,
    pub start: usize,
    pub end: usize,
    pub vendors: u64,
}

impl Prefilter {
    /// The pre-filter searching for each vendor's configured anchor.
    pub fn new(vendors: &VendorSet) -> Result<Prefilter, PrefilterError> {
        let anchors: Vec<&str> = vendors
            .vendors()
            .iter()
            .map(|v| v.anchor.as_str())
            .collect();
        Self::with_anchors(vendors, &anchors)
    }

    /// The pre-filter searching, for each vendor, the key of its shape that
    /// costs least in `sample` (the head of the input): a key that is
    /// everywhere in these logs (`"response"` in every HTTP log line) makes
    /// the search stop and look at a line thousands of times for nothing,
    /// while any key of the shape finds every line a body is on. A sample
    /// too small to tell keeps the configured anchors.
    ///
    /// The sample also orders each shape's keys for the line check: the key
    /// a line is likeliest to lack (the one written as a key least often)
    /// is looked for first, so most lines are turned away by one search.
    pub fn adapted(vendors: &VendorSet, sample: &[u8]) -> Result<Prefilter, PrefilterError> {
        if sample.len() < MIN_SAMPLE {
            return Self::new(vendors);
        }
        let counts = SampleCounts::of(vendors, sample);
        let anchors = cheapest_anchors(vendors, &counts);
        let mut prefilter = Self::with_anchors(vendors, &anchors)?;
        prefilter
            .shapes
            .order_keys(|key, value| counts.keyed(key, value));
        prefilter.chosen_at = prefilter.chosen_indices();
        Ok(prefilter)
    }

    /// The pre-filter searching for `anchors[i]` for vendor `i`; a key that
    /// is not one of the vendor's [`crate::vendors::Vendor::anchor_candidates`]
    /// is replaced by its configured anchor.
    pub fn with_anchors(
        vendors: &VendorSet,
        anchors: &[&str],
    ) -> Result<Prefilter, PrefilterError> {
        let list = vendors.vendors();
        if list.len() > MAX_VENDORS {
            return Err(PrefilterError::TooManyVendors(list.len()));
        }
        let chosen: Vec<String> = list
            .iter()
            .enumerate()
            .map(|(index, vendor)| {
                let wanted = anchors.get(index).copied().unwrap_or(&vendor.anchor);
                if vendor.anchor_candidates().contains(&wanted) {
                    wanted.to_owned()
                } else {
                    vendor.anchor.clone()
                }
            })
            .collect();
        let mut anchor_literals: Vec<Vec<u8>> = Vec::new();
        let mut anchor_keys: Vec<Vec<AnchorKey>> = Vec::new();
        for (index, (vendor, anchor)) in list.iter().zip(&chosen).enumerate() {
            let key = anchor.as_bytes();
            let offset = rare_start(key);
            let literal = &key[offset..];
            let at = match anchor_literals.iter().position(|l| l == literal) {
                Some(at) => at,
                None => {
                    anchor_literals.push(literal.to_vec());
                    anchor_keys.push(Vec::new());
                    anchor_literals.len() - 1
                }
            };
            let value = vendor.key_value(anchor);
            match anchor_keys[at]
                .iter_mut()
                .find(|k| k.key == key && k.value == value)
            {
                Some(existing) => existing.vendors |= 1 << index,
                None => anchor_keys[at].push(AnchorKey {
                    key: key.to_vec(),
                    offset,
                    value,
                    vendors: 1 << index,
                }),
            }
        }
        let anchors = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(&anchor_literals)?;
        let teddy = packed::Config::new()
            .match_kind(packed::MatchKind::LeftmostFirst)
            .builder()
            .extend(&anchor_literals)
            .build();
        let mut prefilter = Prefilter {
            teddy,
            anchors,
            anchor_literals,
            anchor_keys,
            shapes: ShapeKeys::new(vendors),
            chosen,
            chosen_at: Vec::new(),
        };
        prefilter.chosen_at = prefilter.chosen_indices();
        Ok(prefilter)
    }

    /// Where each vendor's searched key is among its shape's keys.
    fn chosen_indices(&self) -> Vec<usize> {
        self.chosen
            .iter()
            .enumerate()
            .map(|(vendor, key)| {
                self.shapes
                    .key_index(vendor, key.as_bytes())
                    .unwrap_or(usize::MAX)
            })
            .collect()
    }

    /// The key searched for, per vendor.
    pub fn anchors(&self) -> &[String] {
        &self.chosen
    }

    /// The literals searched for, as the pre-filter derived them from the specs.
    pub fn literals(&self) -> impl Iterator<Item = &[u8]> {
        self.anchor_literals.iter().map(Vec::as_slice)
    }

    /// The first anchor key in `haystack[from..to]` written as a key:
    /// opened by a quote (`"`, `'`, or the `"` of `\"`) and closed by one
    /// (or the `\` of `\"`). Every supported embedding writes keys so, and
    /// this check alone turns away the many lines that merely mention a
    /// key name in text (`exception in handler`, `correlationId=...`).
    #[inline]
    pub fn find(&self, haystack: &[u8], from: usize, to: usize) -> Option<Hit> {
        self.find_past(haystack, from, to, 0)
    }

    /// [`Self::find`], where a hit before `line_end` (on the line being
    /// checked) shows its value only as far as that line does.
    #[inline]
    fn find_past(
        &self,
        haystack: &[u8],
        mut from: usize,
        to: usize,
        line_end: usize,
    ) -> Option<Hit> {
        loop {
            let found = match &self.teddy {
                Some(teddy) => teddy.find_in(
                    haystack,
                    Span {
                        start: from,
                        end: to,
                    },
                )?,
                None => self
                    .anchors
                    .find(Input::new(&haystack[..to]).range(from..))?,
            };
            let (start, end) = (found.start(), found.end());
            if closes_key(haystack, end) {
                let value_to = if start < line_end { line_end } else { to };
                let value = value_start(haystack, end, value_to);
                let mut vendors = 0;
                let mut key_start = start;
                for anchor in &self.anchor_keys[found.pattern().as_usize()] {
                    if let Some(begin) = anchor.written_at(haystack, start, value) {
                        vendors |= anchor.vendors;
                        key_start = begin;
                    }
                }
                if vendors != 0 {
                    return Some(Hit {
                        key_start,
                        start,
                        end,
                        vendors,
                    });
                }
            }
            // Not from `end`: another key's literal may start inside this
            // one (`status` in `statusCode`).
            from = start + 1;
        }
    }

    /// The vendors a body of which the line `buf[line_start..line_end]` may
    /// hold, given `first`, the first hit on it. Each hit on the line in
    /// turn, until one holds: its vendors' keys must all be on the line
    /// ([`ShapeKeys::on_line`], once per vendor), and their top-level keys
    /// in the object around the hit ([`ShapeKeys::in_object`], one pass
    /// over it). The vendors of hits whose object cannot be read there are
    /// taken on the line's word.
    pub fn verify_line(&self, buf: &[u8], line_start: usize, line_end: usize, first: Hit) -> u64 {
        self.verify_line_looking_on(buf, line_start, line_end, line_end, first)
            .0
    }

    /// [`Self::verify_line`], whose search for the line's later hits goes
    /// on to `search_end`: when no vendor holds on the line, it also
    /// returns what a search from the line's end would find (the next hit,
    /// or none before `search_end`), so the caller does not search those
    /// bytes again or pay for one more search call per line.
    pub fn verify_line_looking_on(
        &self,
        buf: &[u8],
        line_start: usize,
        line_end: usize,
        search_end: usize,
        first: Hit,
    ) -> (u64, Option<Option<Hit>>) {
        let line = &buf[line_start..line_end];
        // Vendors whose keys the line was searched for, and those it holds.
        let (mut searched, mut possible) = (0, 0);
        let mut unsure = 0;
        let mut hit = first;
        loop {
            let new = hit.vendors & !searched;
            if new != 0 {
                // The hit is its vendors' searched key, written as a key
                // with a value it can hold: only the others are looked for.
                possible |= self.shapes.on_line_but(line, new, &self.chosen_at);
                searched |= new;
            }
            let mut vendors = hit.vendors & possible;
            if vendors != 0 {
                let key = (hit.key_start, hit.end);
                vendors = self
                    .shapes
                    .outside_value(buf, line_start, line_end, key.0, key.1, vendors);
            }
            if vendors != 0 {
                let key = (hit.key_start, hit.end);
                match self
                    .shapes
                    .in_object(buf, line_start, line_end, key.0, key.1, vendors)
                {
                    InObject::Holds(0) => {}
                    InObject::Holds(holds) => return (holds, None),
                    InObject::Unsure(vendors) => unsure |= vendors,
                }
            }
            match self.find_past(buf, hit.start + 1, search_end, line_end) {
                Some(next) if next.start < line_end => hit = next,
                past => return (unsure, Some(past)),
            }
        }
    }

    /// The vendors all of whose shape keys are on `line`, given the vendors
    /// whose anchors were seen on it.
    /// (Each written as a key whose value can be what the shape wants.)
    pub fn verify(&self, line: &[u8], anchored: u64) -> u64 {
        self.shapes.on_line(line, anchored)
    }
}

impl AnchorKey {
    /// Where this key starts when the literal found at `start` is its tail,
    /// written as a key (opened by a quote) whose value (`value`) can be
    /// what the shape wants.
    #[inline]
    fn written_at(&self, haystack: &[u8], start: usize, value: ValueStart) -> Option<usize> {
        let begin = start.checked_sub(self.offset)?;
        let opened = begin > 0 && matches!(haystack[begin - 1], b'"' | b'\'');
        let fits = opened
            && same_bytes(&haystack[begin..start], &self.key[..self.offset])
            && value.admits(self.value, begin >= 2 && haystack[begin - 2] == b'\\');
        fits.then_some(begin)
    }
}

/// Below this much sample, hit counts say too little to change anchors.
pub const MIN_SAMPLE: usize = 256 * 1024;
/// What a key written as a key costs against a mere mention: the line it is
/// on is located and checked, where a mention only resumes the search.
const KEYED_COST: u64 = 8;

/// How often each key of each shape is in a sample: as the pre-filter
/// would search it (its literal), and written as a key.
struct SampleCounts {
    keys: Vec<AnchorKey>,
    /// Per key: (literal matches, of which written as a key).
    counts: Vec<(u64, u64)>,
}

impl SampleCounts {
    fn of(vendors: &VendorSet, sample: &[u8]) -> SampleCounts {
        let mut keys: Vec<AnchorKey> = Vec::new();
        for vendor in vendors.vendors() {
            for key in &vendor.required_keys {
                let value = vendor.key_value(key);
                if !keys
                    .iter()
                    .any(|k| k.key == key.as_bytes() && k.value == value)
                {
                    keys.push(AnchorKey {
                        key: key.as_bytes().to_vec(),
                        offset: rare_start(key.as_bytes()),
                        value,
                        vendors: 0,
                    });
                }
            }
        }
        // One SIMD search per key: on the sample this beats one automaton
        // walk for all of them several times over.
        let counts = keys
            .iter()
            .map(|key| {
                let literal = &key.key[key.offset..];
                memchr::memmem::find_iter(sample, literal).fold((0, 0), |(all, keyed), start| {
                    let end = start + literal.len();
                    let is_key = closes_key(sample, end)
                        && key
                            .written_at(sample, start, value_start(sample, end, sample.len()))
                            .is_some();
                    (all + 1, keyed + u64::from(is_key))
                })
            })
            .collect();
        SampleCounts { keys, counts }
    }

    fn get(&self, key: &[u8], value: ValueKind) -> Option<(u64, u64)> {
        self.keys
            .iter()
            .position(|k| k.key == key && k.value == value)
            .map(|at| self.counts[at])
    }

    /// What searching for `key` costs: each match resumes the search, each
    /// written as a key also has its line found and checked.
    fn search_cost(&self, key: &[u8], value: ValueKind) -> u64 {
        self.get(key, value)
            .map_or(u64::MAX, |(all, keyed)| all + KEYED_COST * keyed)
    }

    /// How many times `key` is written as a key: the fewer, the likelier a
    /// line lacks it, and the sooner it is looked for.
    fn keyed(&self, key: &[u8], value: ValueKind) -> u64 {
        self.get(key, value).map_or(u64::MAX, |(_, keyed)| keyed)
    }
}

/// Per vendor, the candidate key with the fewest (weighted) hits in the
/// sample; the configured anchor on a tie.
fn cheapest_anchors<'v>(vendors: &'v VendorSet, counts: &SampleCounts) -> Vec<&'v str> {
    vendors
        .vendors()
        .iter()
        .map(|vendor| {
            vendor
                .anchor_candidates()
                .into_iter()
                .min_by_key(|key| counts.search_cost(key.as_bytes(), vendor.key_value(key)))
                .unwrap_or(&vendor.anchor)
        })
        .collect()
}

/// The shortest literal searched for: shorter ones match too often.
const MIN_LITERAL: usize = 6;

/// Where in `key` the searched literal starts. The SIMD search (Teddy)
/// tells candidates apart by their first bytes, so a literal starting with
/// bytes that are common in logs (`http`, `erro`, `resp`) wakes it up on
/// every URL and every "error"; starting later in the key (`p_code`,
/// `r_message`, `xception`) keeps it quiet. Any part of the key finds every
/// line the whole key is on, so nothing is missed.
fn rare_start(key: &[u8]) -> usize {
    if key.len() <= MIN_LITERAL {
        return 0;
    }
    (0..=key.len() - MIN_LITERAL)
        .min_by_key(|&start| {
            key[start..]
                .iter()
                .take(4)
                .map(|&b| u32::from(log_byte_rank(b)))
                .sum::<u32>()
        })
        .unwrap_or(0)
}

/// A rough frequency rank of a byte in application logs (higher: more
/// common): lowercase letters by English frequency, digits, JSON and URL
/// punctuation high; `_`, capitals and rare letters low.
fn log_byte_rank(byte: u8) -> u8 {
    match byte {
        b' ' => 255,
        b'e' => 230,
        b't' | b'"' => 220,
        b'a' | b'o' | b's' | b'r' | b'i' | b'n' => 210,
        b'0'..=b'9' => 200,
        b'l' | b'c' | b'd' | b'h' | b':' | b',' => 180,
        b'u' | b'm' | b'p' | b'.' | b'/' | b'-' => 165,
        b'f' | b'g' | b'w' | b'y' | b'b' => 140,
        b'v' | b'k' | b'=' | b'{' | b'}' => 110,
        b'A'..=b'Z' | b'_' | b'[' | b']' => 90,
        b'x' | b'j' | b'q' | b'z' | b'\\' | b'\'' => 60,
        _ => 40,
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
        let mut anchors: Vec<String> = set
            .vendors()
            .iter()
            .map(|v| v.anchor[rare_start(v.anchor.as_bytes())..].to_string())
            .collect();
        anchors.sort();
        anchors.dedup();
        assert_eq!(literals, anchors);
        for (literal, vendor) in literals.iter().zip(set.vendors()) {
            assert!(literal.len() >= MIN_LITERAL.min(vendor.anchor.len()));
        }
    }

    #[test]
    fn literals_avoid_common_starts() {
        fn part(key: &str) -> &str {
            &key[rare_start(key.as_bytes())..]
        }
        assert_eq!(part("http_code"), "p_code");
        assert_eq!(part("exception"), "xception");
        assert!(part("error_message").contains("_message"));
        assert_eq!(part("code"), "code");
    }

    #[test]
    fn a_key_whose_value_cannot_fit_the_shape_is_passed_over() {
        let set = VendorSet::builtin().unwrap();
        let pre = Prefilter::new(&set).unwrap();
        let hit_on = |line: &str| -> Option<String> {
            pre.find(line.as_bytes(), 0, line.len())
                .map(|hit| line[hit.key_start..hit.end].to_string())
        };
        // Aplos' `exception` holds an object; Synapse's `http_code` a string.
        assert_eq!(hit_on(r#"{"exception":"NullPointerException"}"#), None);
        assert_eq!(hit_on(r#"{"exception": None}"#), None);
        assert_eq!(hit_on(r#"{"http_code":200}"#), None);
        assert_eq!(
            hit_on(r#"{"exception": {"message":"m"}}"#),
            Some("exception".to_string())
        );
        assert_eq!(
            hit_on(r#"{'http_code': '409'}"#),
            Some("http_code".to_string())
        );
        assert_eq!(
            hit_on(r#"{\"http_code\":\"409\"}"#),
            Some("http_code".to_string())
        );
        // A value not in sight yet, hidden by an escape, or cut off by the
        // end of an escaped string (a split line) is given the benefit.
        assert_eq!(hit_on(r#"{"exception":"#), Some("exception".to_string()));
        assert_eq!(
            hit_on(r#""{\n \"exception\":\n {"#),
            Some("exception".to_string())
        );
        assert_eq!(
            hit_on(r#"{"log":"{\"exception\":","stream":"stdout"}"#),
            Some("exception".to_string())
        );
        assert_eq!(
            hit_on(r#"{"log":"{\"exception","stream":"stdout"}"#),
            Some("exception".to_string())
        );
        assert_eq!(hit_on(r#"{"log":"{\"exception\":null}"}"#), None);
        // Not a key at all, then the key itself later on the line.
        assert_eq!(
            hit_on(r#"{"kind":"exception","exception":{"code":1}}"#),
            Some("exception".to_string())
        );
        let value_then_key = r#"{"kind":"exception","exception":{"code":1}}"#;
        let hit = pre
            .find(value_then_key.as_bytes(), 0, value_then_key.len())
            .unwrap();
        assert_eq!(hit.key_start, value_then_key.rfind("exception").unwrap());
        // Pretty-printed: the value on the next line.
        assert_eq!(
            hit_on("  \"exception\":\n    {"),
            Some("exception".to_string())
        );
        assert_eq!(hit_on("  \"exception\":\n    \"text\""), None);
    }

    #[test]
    fn the_sample_picks_each_vendors_cheapest_key() {
        let set = VendorSet::builtin().unwrap();
        let anchors_for =
            |sample: &[u8]| Prefilter::adapted(&set, sample).unwrap().anchors().to_vec();
        let configured: Vec<String> = set.vendors().iter().map(|v| v.anchor.clone()).collect();
        let codat = set.index_of("codat").unwrap();
        let ocrolus = set.index_of("ocrolus").unwrap();

        // Codat's `correlationId` as a key on every line; `service` and
        // `statusCode` nowhere.
        let line = "{\"msg\":\"ok\",\"correlationId\":\"c-1\"}\n";
        let noisy = line.repeat(MIN_SAMPLE / line.len() + 1);
        let chosen = anchors_for(noisy.as_bytes());
        assert_ne!(chosen[codat], "correlationId");
        assert!(set
            .get(codat)
            .anchor_candidates()
            .contains(&chosen[codat].as_str()));
        // Where nothing costs more than anything else, the configured
        // anchors stay; a sample too small to tell changes nothing either.
        assert_eq!(chosen[ocrolus], configured[ocrolus]);
        assert_eq!(anchors_for(&noisy.as_bytes()[..MIN_SAMPLE - 1]), configured);
        assert_eq!(anchors_for(&vec![b'x'; MIN_SAMPLE]), configured);

        // Mentions count too, keys written as keys count more: `response`
        // in text on every line costs less than `"message":` and
        // `"status":` do.
        let line = "response time 3ms {\"message\":\"hi\",\"status\":1}\n";
        let chosen = anchors_for(line.repeat(MIN_SAMPLE / line.len() + 1).as_bytes());
        assert_eq!(chosen[ocrolus], "response");
        let line = "{\"response\":{\"ok\":1}}\n";
        let chosen = anchors_for(line.repeat(MIN_SAMPLE / line.len() + 1).as_bytes());
        assert_ne!(chosen[ocrolus], "response");
    }

    #[test]
    fn the_sample_orders_each_shapes_keys_rarest_first() {
        let set = VendorSet::builtin().unwrap();
        let ocrolus = set.index_of("ocrolus").unwrap();
        let order = |sample: &str| -> Vec<String> {
            let pre = Prefilter::adapted(&set, sample.as_bytes()).unwrap();
            let keys: Vec<String> = pre
                .shapes
                .keys_of(ocrolus)
                .map(|k| String::from_utf8(k.to_vec()).unwrap())
                .collect();
            // The searched key is where the line check says it is.
            let chosen = &pre.anchors()[ocrolus];
            assert_eq!(keys[pre.chosen_at[ocrolus]], *chosen);
            keys
        };
        let repeat = |line: &str| line.repeat(MIN_SAMPLE / line.len() + 1);
        // `message` as a key on every line, `status` never: `status` is
        // looked for first; the other way round, `message` is.
        let keys = order(&repeat("{\"message\":\"hi\",\"response\":1,\"x\":2}\n"));
        assert_eq!(keys.iter().position(|k| k == "status"), Some(0), "{keys:?}");
        let keys = order(&repeat("{\"status\":200,\"response\":1,\"x\":2}\n"));
        assert_eq!(
            keys.iter().position(|k| k == "message"),
            Some(0),
            "{keys:?}"
        );
        // A thin sample keeps the longest first.
        let pre = Prefilter::adapted(&set, b"{}").unwrap();
        let lens: Vec<usize> = pre.shapes.keys_of(ocrolus).map(<[u8]>::len).collect();
        assert!(lens.windows(2).all(|w| w[0] >= w[1]), "{lens:?}");
    }

    #[test]
    fn other_keys_of_a_shape_find_its_bodies() {
        let set = VendorSet::builtin().unwrap();
        let codat = set.index_of("codat").unwrap();
        let mut anchors: Vec<&str> = set.vendors().iter().map(|v| v.anchor.as_str()).collect();
        anchors[codat] = "service";
        let pre = Prefilter::with_anchors(&set, &anchors).unwrap();
        assert_eq!(pre.anchors()[codat], "service");
        let line = br#"{"statusCode":402,"service":"PublicApi","error":"E","correlationId":"c"}"#;
        let hit = pre.find(line, 0, line.len()).unwrap();
        assert_eq!(&line[hit.key_start..hit.end], b"service");
        assert_eq!(pre.verify(line, hit.vendors), 1 << codat);
        // `service` holds text in Codat's shape.
        assert!(pre.find(br#"{"service":{"name":"x"}}"#, 0, 24).is_none());
        // One key's literal inside another's: `status` (Ocrolus) does not
        // hide `statusCode` (Codat) behind it.
        let ocrolus = set.index_of("ocrolus").unwrap();
        anchors[ocrolus] = "status";
        anchors[codat] = "statusCode";
        let pre = Prefilter::with_anchors(&set, &anchors).unwrap();
        let line = br#"body="{\"statusCode\":402,\"service\":\"P\"}""#;
        let hit = pre.find(line, 0, line.len()).unwrap();
        assert_eq!(&line[hit.key_start..hit.end], b"statusCode");
        assert_eq!(hit.vendors, 1 << codat);
        // A key outside the shape is not taken.
        anchors[codat] = "nonsense";
        let pre = Prefilter::with_anchors(&set, &anchors).unwrap();
        assert_eq!(pre.anchors()[codat], "correlationId");
    }

    #[test]
    fn a_line_checked_in_vain_hands_on_the_next_hit() {
        let set = VendorSet::builtin().unwrap();
        let pre = Prefilter::new(&set).unwrap();
        let ocrolus = set.index_of("ocrolus").unwrap();
        let nothing = r#"{"response":{"status":200},"message":"m"}"#;
        let body = r#"{"status":400,"message":"m","response":null}"#;
        let plain = "no keys here";
        // The verdict on the first line and what a search from its end finds.
        let check = |lines: &[&str]| {
            let buf = lines.join("\n");
            let line_end = lines[0].len();
            let first = pre.find(buf.as_bytes(), 0, line_end).unwrap();
            let (held, past) =
                pre.verify_line_looking_on(buf.as_bytes(), 0, line_end, buf.len(), first);
            assert_eq!(
                held,
                pre.verify_line(buf.as_bytes(), 0, line_end, first),
                "{buf}"
            );
            let next = pre.find(buf.as_bytes(), line_end, buf.len());
            (
                held,
                past.map(|hit| hit.map(|h| h.start)),
                next.map(|h| h.start),
            )
        };
        let (held, past, next) = check(&[nothing, plain, body]);
        assert_eq!(held, 0);
        assert_eq!(past, Some(next));
        assert!(next.is_some());
        assert_eq!(check(&[nothing, plain]), (0, Some(None), None));
        // A body: nothing searched past it.
        assert_eq!(check(&[body, nothing]).0, 1 << ocrolus);
        assert_eq!(check(&[body, nothing]).1, None);
        // A later hit whose value would start on the next line is judged by
        // its own line alone, as a search bounded by the line judges it
        // (check compares with verify_line): Aplos' `exception` wants an
        // object, and the next line's string does not rule it out here.
        let aplos = set.index_of("aplos").unwrap();
        let cut = r#"{"correlationId":"c","version":"v","status":401,"message":"m","exception":"#;
        assert_eq!(check(&[cut, r#""text"}"#]), (1 << aplos, Some(None), None));
    }

    #[test]
    fn verify_needs_every_key() {
        let set = VendorSet::builtin().unwrap();
        let pre = Prefilter::new(&set).unwrap();
        let line = br#"{"status":400,"message":"m","code":1200,"response":null}"#;
        let hit = pre.find(line, 0, line.len()).unwrap();
        assert!(b"response".ends_with(&line[hit.start..hit.end]));
        let ocrolus = set.index_of("ocrolus").unwrap();
        assert_eq!(pre.verify(line, hit.vendors), 1 << ocrolus);
        assert_eq!(
            pre.verify(br#"{"status":200,"response":{}}"#, hit.vendors),
            0
        );
    }
}
