//! The JSON reader of the decode path. One pass builds a flat list of
//! nodes: strings without escapes stay borrowed from the line, escaped ones
//! are decoded into one buffer, and objects are searched in place. It
//! replaces `serde_json::Value`, which built a map and a `String` for every
//! key and value of every candidate line: most of the decode time.
//!
//! It accepts what `serde_json::from_slice::<Value>` accepts and nothing
//! else (same grammar, escapes, UTF-8 and nesting limit), classifies
//! numbers as serde_json does, and lets the last of duplicate keys win.
//! [`Json::to_value`] gives serde_json's own value where one is needed; the
//! tests and the `decode` fuzz target hold the two readers to agreement.

use serde_json::Value;

/// serde_json's recursion limit: the 128th nested container is refused.
const MAX_NESTING: usize = 127;

/// The text is not one JSON value (or the value is cut short).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotJson;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Null,
    True,
    False,
    /// A non-negative integer that fits a `u64`.
    PosInt,
    /// A negative integer that fits an `i64` (serde_json reads `-0` as a float).
    NegInt,
    Float,
    /// Bytes `a..b` of the source.
    Str,
    /// Bytes `a..b` of the decoded-strings buffer.
    EscapedStr,
    /// Containers: `a` is the index of the node after the last descendant.
    Array,
    Object,
}

#[derive(Debug, Clone, Copy)]
struct Node {
    kind: Kind,
    a: usize,
    b: usize,
}

/// A parsed value: its nodes in document order (an object's members are
/// key, value, key, value...).
#[derive(Debug)]
pub struct Doc<'a> {
    src: &'a [u8],
    nodes: Vec<Node>,
    /// Escaped strings, decoded (UTF-8: each run was checked).
    unescaped: Vec<u8>,
}

impl<'a> Doc<'a> {
    /// Parses the value starting at `src[start]`; returns it and the index
    /// just past it. What follows the value is not looked at.
    pub fn parse_at(src: &'a [u8], start: usize) -> Result<(Doc<'a>, usize), NotJson> {
        let mut parser = Parser {
            src,
            pos: start,
            nodes: Vec::with_capacity(16),
            unescaped: Vec::new(),
            nesting: 0,
        };
        parser.value()?;
        let end = parser.pos;
        Ok((
            Doc {
                src,
                nodes: parser.nodes,
                unescaped: parser.unescaped,
            },
            end,
        ))
    }

    /// Parses `src` as exactly one value, surrounded by whitespace at most.
    pub fn parse(src: &'a [u8]) -> Result<Doc<'a>, NotJson> {
        let (doc, end) = Self::parse_at(src, skip_ws(src, 0))?;
        if skip_ws(src, end) != src.len() {
            return Err(NotJson);
        }
        Ok(doc)
    }

    pub fn root(&self) -> Json<'_> {
        Json { doc: self, at: 0 }
    }
}

/// A value inside a [`Doc`].
#[derive(Debug, Clone, Copy)]
pub struct Json<'d> {
    doc: &'d Doc<'d>,
    at: usize,
}

impl<'d> Json<'d> {
    fn kind(&self) -> Kind {
        self.doc.nodes[self.at].kind
    }

    pub fn is_object(&self) -> bool {
        self.kind() == Kind::Object
    }

    pub fn is_array(&self) -> bool {
        self.kind() == Kind::Array
    }

    pub fn is_string(&self) -> bool {
        matches!(self.kind(), Kind::Str | Kind::EscapedStr)
    }

    pub fn is_boolean(&self) -> bool {
        matches!(self.kind(), Kind::True | Kind::False)
    }

    pub fn is_null(&self) -> bool {
        self.kind() == Kind::Null
    }

    pub fn is_number(&self) -> bool {
        matches!(self.kind(), Kind::PosInt | Kind::NegInt | Kind::Float)
    }

    /// An integer serde_json would hold as `i64` or `u64`.
    pub fn is_integer(&self) -> bool {
        matches!(self.kind(), Kind::PosInt | Kind::NegInt)
    }

    /// A string's bytes (decoded), without the UTF-8 check [`Self::as_str`]
    /// makes.
    pub fn string_bytes(&self) -> Option<&'d [u8]> {
        let node = self.doc.nodes[self.at];
        match node.kind {
            Kind::Str => Some(&self.doc.src[node.a..node.b]),
            Kind::EscapedStr => Some(&self.doc.unescaped[node.a..node.b]),
            _ => None,
        }
    }

    /// A string's text (decoded).
    pub fn as_str(&self) -> Option<&'d str> {
        // Checked while parsing; the check here cannot fail.
        std::str::from_utf8(self.string_bytes()?).ok()
    }

    fn number_text(&self) -> &'d [u8] {
        let node = self.doc.nodes[self.at];
        &self.doc.src[node.a..node.b]
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self.kind() {
            Kind::PosInt => digits_value(self.number_text()),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self.kind() {
            Kind::PosInt => digits_value(self.number_text()).and_then(|n| i64::try_from(n).ok()),
            Kind::NegInt => {
                let magnitude = digits_value(self.number_text().get(1..)?)?;
                0i64.checked_sub_unsigned(magnitude)
            }
            _ => None,
        }
    }

    /// The member `key` of an object (the last, when it is repeated).
    pub fn get(&self, key: &str) -> Option<Json<'d>> {
        let mut found = None;
        for (name, value) in self.members() {
            if same_bytes(name, key.as_bytes()) {
                found = Some(value);
            }
        }
        found
    }

    /// An object's members in document order, repeats included.
    pub fn members(&self) -> Members<'d> {
        let (next, end) = self.children();
        Members {
            doc: self.doc,
            next,
            end,
        }
    }

    /// An array's elements.
    pub fn elements(&self) -> Elements<'d> {
        let (next, end) = self.children();
        Elements {
            doc: self.doc,
            next,
            end,
        }
    }

    /// The node range of a container's children (empty for anything else).
    fn children(&self) -> (usize, usize) {
        let node = self.doc.nodes[self.at];
        match node.kind {
            Kind::Object | Kind::Array => (self.at + 1, node.a),
            _ => (0, 0),
        }
    }

    /// serde_json's value for this one (objects and arrays built whole).
    pub fn to_value(&self) -> Value {
        match self.kind() {
            Kind::Null => Value::Null,
            Kind::True => Value::Bool(true),
            Kind::False => Value::Bool(false),
            Kind::PosInt => self.as_u64().map_or(Value::Null, Value::from),
            Kind::NegInt => self.as_i64().map_or(Value::Null, Value::from),
            // serde_json's own reading, so floats round as it rounds.
            Kind::Float => serde_json::from_slice(self.number_text()).unwrap_or(Value::Null),
            Kind::Str | Kind::EscapedStr => {
                Value::String(self.as_str().unwrap_or_default().to_owned())
            }
            Kind::Array => Value::Array(self.elements().map(|v| v.to_value()).collect()),
            Kind::Object => Value::Object(
                self.members()
                    .map(|(key, value)| {
                        (String::from_utf8_lossy(key).into_owned(), value.to_value())
                    })
                    .collect(),
            ),
        }
    }
}

/// Skips a node and its descendants.
fn after(doc: &Doc<'_>, at: usize) -> usize {
    let node = doc.nodes[at];
    match node.kind {
        Kind::Object | Kind::Array => node.a,
        _ => at + 1,
    }
}

pub struct Members<'d> {
    doc: &'d Doc<'d>,
    next: usize,
    end: usize,
}

impl<'d> Iterator for Members<'d> {
    /// The key's decoded bytes, and the value.
    type Item = (&'d [u8], Json<'d>);

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let key = Json {
            doc: self.doc,
            at: self.next,
        };
        let value = Json {
            doc: self.doc,
            at: self.next + 1,
        };
        self.next = after(self.doc, self.next + 1);
        Some((key.string_bytes().unwrap_or_default(), value))
    }
}

pub struct Elements<'d> {
    doc: &'d Doc<'d>,
    next: usize,
    end: usize,
}

impl<'d> Iterator for Elements<'d> {
    type Item = Json<'d>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.next >= self.end {
            return None;
        }
        let value = Json {
            doc: self.doc,
            at: self.next,
        };
        self.next = after(self.doc, self.next);
        Some(value)
    }
}

/// Equality of two short byte strings (keys): an inlined loop beats a call
/// to `memcmp` for these few bytes.
#[inline]
pub fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
}

/// The first byte at or after `i` that is not JSON whitespace.
pub fn skip_ws(src: &[u8], mut i: usize) -> usize {
    while i < src.len() && matches!(src[i], b' ' | b'\t' | b'\n' | b'\r') {
        i += 1;
    }
    i
}

struct Parser<'a> {
    src: &'a [u8],
    pos: usize,
    nodes: Vec<Node>,
    /// Escaped strings, decoded; UTF-8 throughout.
    unescaped: Vec<u8>,
    nesting: usize,
}

impl Parser<'_> {
    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn skip_ws(&mut self) {
        self.pos = skip_ws(self.src, self.pos);
    }

    fn push(&mut self, kind: Kind, a: usize, b: usize) {
        self.nodes.push(Node { kind, a, b });
    }

    fn value(&mut self) -> Result<(), NotJson> {
        self.skip_ws();
        match self.peek().ok_or(NotJson)? {
            b'{' => self.container(Kind::Object),
            b'[' => self.container(Kind::Array),
            b'"' => self.string(),
            b't' => self.word(b"true", Kind::True),
            b'f' => self.word(b"false", Kind::False),
            b'n' => self.word(b"null", Kind::Null),
            b'-' | b'0'..=b'9' => self.number(),
            _ => Err(NotJson),
        }
    }

    fn word(&mut self, word: &[u8], kind: Kind) -> Result<(), NotJson> {
        if !self.src[self.pos..].starts_with(word) {
            return Err(NotJson);
        }
        self.push(kind, self.pos, self.pos + word.len());
        self.pos += word.len();
        Ok(())
    }

    fn container(&mut self, kind: Kind) -> Result<(), NotJson> {
        self.nesting += 1;
        if self.nesting > MAX_NESTING {
            return Err(NotJson);
        }
        let close = if kind == Kind::Object { b'}' } else { b']' };
        let at = self.nodes.len();
        self.push(kind, 0, 0);
        self.pos += 1;
        self.skip_ws();
        if self.peek() == Some(close) {
            self.pos += 1;
        } else {
            loop {
                if kind == Kind::Object {
                    self.skip_ws();
                    if self.peek() != Some(b'"') {
                        return Err(NotJson);
                    }
                    self.string()?;
                    self.skip_ws();
                    if self.peek() != Some(b':') {
                        return Err(NotJson);
                    }
                    self.pos += 1;
                }
                self.value()?;
                self.skip_ws();
                match self.peek() {
                    Some(b',') => self.pos += 1,
                    Some(byte) if byte == close => {
                        self.pos += 1;
                        break;
                    }
                    _ => return Err(NotJson),
                }
            }
        }
        self.nodes[at].a = self.nodes.len();
        self.nesting -= 1;
        Ok(())
    }

    /// A string at `self.pos` (its opening quote). Most have no escape and
    /// are kept as a range of the source.
    fn string(&mut self) -> Result<(), NotJson> {
        let start = self.pos + 1;
        let (stop, ascii) = plain_run(self.src, start);
        if self.src.get(stop) == Some(&b'"') {
            check_utf8(&self.src[start..stop], ascii)?;
            self.push(Kind::Str, start, stop);
            self.pos = stop + 1;
            return Ok(());
        }
        let from = self.unescaped.len();
        let mut i = start;
        loop {
            let (stop, ascii) = plain_run(self.src, i);
            check_utf8(&self.src[i..stop], ascii)?;
            self.unescaped.extend_from_slice(&self.src[i..stop]);
            i = stop;
            match self.src.get(i) {
                Some(b'"') => break,
                Some(b'\\') => {}
                // The end of the text, or a control byte.
                _ => return Err(NotJson),
            }
            let escape = *self.src.get(i + 1).ok_or(NotJson)?;
            i += 2;
            let decoded = match escape {
                b'"' => '"',
                b'\\' => '\\',
                b'/' => '/',
                b'b' => '\u{8}',
                b'f' => '\u{c}',
                b'n' => '\n',
                b'r' => '\r',
                b't' => '\t',
                b'u' => {
                    let (ch, used) = unicode_escape(&self.src[i..])?;
                    i += used;
                    ch
                }
                _ => return Err(NotJson),
            };
            let mut utf8 = [0; 4];
            self.unescaped
                .extend_from_slice(decoded.encode_utf8(&mut utf8).as_bytes());
        }
        self.push(Kind::EscapedStr, from, self.unescaped.len());
        self.pos = i + 1;
        Ok(())
    }

    /// `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`, classified as
    /// serde_json classifies it.
    fn number(&mut self) -> Result<(), NotJson> {
        let src = self.src;
        let start = self.pos;
        let mut i = start;
        let negative = src[i] == b'-';
        if negative {
            i += 1;
        }
        let digits = |mut i: usize| {
            while i < src.len() && src[i].is_ascii_digit() {
                i += 1;
            }
            i
        };
        match src.get(i) {
            Some(b'0') => i += 1,
            Some(b'1'..=b'9') => i = digits(i),
            _ => return Err(NotJson),
        }
        let int_end = i;
        let mut float = false;
        if src.get(i) == Some(&b'.') {
            let after = digits(i + 1);
            if after == i + 1 {
                return Err(NotJson);
            }
            i = after;
            float = true;
        }
        if matches!(src.get(i), Some(b'e' | b'E')) {
            i += 1;
            if matches!(src.get(i), Some(b'+' | b'-')) {
                i += 1;
            }
            let after = digits(i);
            if after == i {
                return Err(NotJson);
            }
            i = after;
            float = true;
        }
        // `01` is refused; a digit after a leading zero ends up here.
        if src.get(i).is_some_and(u8::is_ascii_digit) {
            return Err(NotJson);
        }
        let kind = if float {
            Kind::Float
        } else {
            match digits_value(&src[start + usize::from(negative)..int_end]) {
                Some(_) if !negative => Kind::PosInt,
                Some(magnitude) if (1..=1 << 63).contains(&magnitude) => Kind::NegInt,
                _ => Kind::Float,
            }
        };
        // serde_json refuses a float out of `f64` range; ask it, so the
        // edge is its own.
        if kind == Kind::Float
            && serde_json::from_slice::<serde_json::Number>(&src[start..i]).is_err()
        {
            return Err(NotJson);
        }
        self.push(kind, start, i);
        self.pos = i;
        Ok(())
    }
}

/// Byte classes inside a string: 0 plain ASCII, 1 a quote, backslash or
/// control byte (refused in JSON strings): the run ends, 2 a byte of a
/// multi-byte character.
static STRING_BYTE: [u8; 256] = {
    let mut table = [0u8; 256];
    let mut byte = 0;
    while byte < 256 {
        table[byte] = if byte < 0x20 || byte == b'"' as usize || byte == b'\\' as usize {
            1
        } else if byte >= 0x80 {
            2
        } else {
            0
        };
        byte += 1;
    }
    table
};

/// Where the run of string text from `start` ends, and whether it is all
/// ASCII. Strings here are short and full of escapes: a table walk beats a
/// SIMD search's set-up on each.
fn plain_run(src: &[u8], start: usize) -> (usize, bool) {
    let mut ascii = true;
    let mut i = start;
    while let Some(&byte) = src.get(i) {
        match STRING_BYTE[usize::from(byte)] {
            0 => {}
            1 => break,
            _ => ascii = false,
        }
        i += 1;
    }
    (i, ascii)
}

/// A run of string text must be UTF-8 (ASCII is).
fn check_utf8(run: &[u8], ascii: bool) -> Result<(), NotJson> {
    if !ascii && std::str::from_utf8(run).is_err() {
        return Err(NotJson);
    }
    Ok(())
}

/// The value of a run of ASCII digits (`None` past `u64`).
fn digits_value(digits: &[u8]) -> Option<u64> {
    digits.iter().try_fold(0u64, |acc, &digit| {
        acc.checked_mul(10)?
            .checked_add(u64::from(digit.checked_sub(b'0').filter(|d| *d < 10)?))
    })
}

/// The character of a `\uXXXX` escape whose `XXXX` starts `text` (a high
/// surrogate must be followed by `\uXXXX` with the low one), and the bytes
/// used.
fn unicode_escape(text: &[u8]) -> Result<(char, usize), NotJson> {
    let high = hex4(text)?;
    if (0xDC00..0xE000).contains(&high) {
        return Err(NotJson);
    }
    if !(0xD800..0xDC00).contains(&high) {
        return char::from_u32(high).map(|c| (c, 4)).ok_or(NotJson);
    }
    if text.get(4..6) != Some(b"\\u") {
        return Err(NotJson);
    }
    let low = hex4(&text[6..])?;
    if !(0xDC00..0xE000).contains(&low) {
        return Err(NotJson);
    }
    let code = 0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00);
    char::from_u32(code).map(|c| (c, 10)).ok_or(NotJson)
}

fn hex4(text: &[u8]) -> Result<u32, NotJson> {
    let digits = text.get(..4).ok_or(NotJson)?;
    digits.iter().try_fold(0u32, |acc, &b| {
        let digit = (b as char).to_digit(16).ok_or(NotJson)?;
        Ok(acc * 16 + digit)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reader agrees with serde_json: same acceptance, same value.
    fn agrees(text: &[u8]) {
        let ours = Doc::parse(text).map(|doc| doc.root().to_value());
        let theirs = serde_json::from_slice::<Value>(text);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) => assert_eq!(a, b, "{}", String::from_utf8_lossy(text)),
            (Err(_), Err(_)) => {}
            _ => panic!(
                "disagree on {:?}: ours {:?}, serde_json {:?}",
                String::from_utf8_lossy(text),
                ours.is_ok(),
                theirs.map_err(|e| e.to_string())
            ),
        }
    }

    #[test]
    fn agrees_with_serde_json_on_edge_cases() {
        let cases: &[&str] = &[
            r#"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
            r#" { "a" : -0 , "b" : -0.0 , "c" : 1e2 , "d" : 1E+2 , "e" : 1.5e-3 } "#,
            "0",
            "-",
            "01",
            "-01",
            "1.",
            ".5",
            "1e",
            "1e+",
            "1e400",
            "-1e400",
            "1e-400",
            "18446744073709551615",
            "18446744073709551616",
            "-9223372036854775808",
            "-9223372036854775809",
            &"9".repeat(400),
            r#""\u00e9\ud83d\ude00\n\t\"\\\/\b\f\r""#,
            r#""\ud83d""#,
            r#""\ude00""#,
            r#""\ud83d\u0041""#,
            r#""\u12""#,
            r#""\x41""#,
            "\"a\u{1}b\"",
            "\"tab\there\"",
            r#"{"a":1,}"#,
            r#"[1,]"#,
            r#"{"a" 1}"#,
            r#"{1:2}"#,
            r#"{"a":1 "b":2}"#,
            r#"{"a":tru}"#,
            r#"{"a":nulll}"#,
            r#"{"dup":1,"dup":2}"#,
            "[]",
            "{}",
            "[ ]",
            "{ }",
            "",
            "   ",
            "{\"a\":1}x",
            "{\"a\":\"\u{e9}\"}",
        ];
        for case in cases {
            agrees(case.as_bytes());
        }
        agrees(b"{\"a\":\"\xff\"}");
        agrees(b"{\"a\":\"\\n\xc3\"}");
    }

    #[test]
    fn nesting_stops_where_serde_json_stops() {
        for depth in [126, 127, 128, 129] {
            let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
            agrees(text.as_bytes());
            let text = format!("{}1{}", "{\"a\":".repeat(depth), "}".repeat(depth));
            agrees(text.as_bytes());
        }
    }

    #[test]
    fn parse_at_stops_after_the_value() {
        let line = br#"ERROR x {"a":{"b":"}"}} tail {"#;
        let (doc, end) = Doc::parse_at(line, 8).unwrap();
        assert_eq!(&line[8..end], br#"{"a":{"b":"}"}}"#);
        let b = doc.root().get("a").unwrap().get("b").unwrap();
        assert_eq!(b.as_str(), Some("}"));
        assert_eq!(Doc::parse_at(line, line.len() - 1).err(), Some(NotJson));
    }

    #[test]
    fn accessors_read_as_serde_json_does() {
        let doc = Doc::parse(
            br#"{"u":18446744073709551615,"i":-5,"z":-0,"f":2.5,"s":"x\"y","n":null,"k":1,"k":2}"#,
        )
        .unwrap();
        let root = doc.root();
        let get = |k: &str| root.get(k).unwrap();
        assert_eq!(get("u").as_u64(), Some(u64::MAX));
        assert_eq!(get("u").as_i64(), None);
        assert_eq!(get("i").as_i64(), Some(-5));
        assert_eq!(get("i").as_u64(), None);
        assert!(!get("z").is_integer() && get("z").is_number());
        assert!(!get("f").is_integer());
        assert_eq!(get("s").as_str(), Some("x\"y"));
        assert!(get("n").is_null());
        assert_eq!(get("k").as_u64(), Some(2), "the last repeat wins");
        assert_eq!(root.members().count(), 8);
        assert!(root.get("missing").is_none());
        assert!(get("s").get("x").is_none());
    }

    fn json_text() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            Just("null".to_string()),
            any::<bool>().prop_map(|b| b.to_string()),
            any::<i64>().prop_map(|n| n.to_string()),
            any::<u64>().prop_map(|n| n.to_string()),
            any::<f64>()
                .prop_filter("finite", |f| f.is_finite())
                .prop_map(|f| f.to_string()),
            "[a-z\\\\\"{}é😀\\n]{0,8}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..5)
                    .prop_map(|items| format!("[{}]", items.join(" , "))),
                prop::collection::vec(("[a-c]{1,2}", inner), 0..5).prop_map(|members| {
                    let body: Vec<String> = members
                        .iter()
                        .map(|(k, v)| format!("\"{k}\":{v}"))
                        .collect();
                    format!("{{ {} }}", body.join(","))
                }),
            ]
        })
    }

    proptest! {
        #[test]
        fn agrees_with_serde_json_on_generated_values(text in json_text()) {
            agrees(text.as_bytes());
        }

        #[test]
        fn agrees_with_serde_json_when_cut_or_damaged(
            text in json_text(),
            cut in any::<prop::sample::Index>(),
            byte in any::<u8>(),
        ) {
            let bytes = text.as_bytes();
            let at = cut.index(bytes.len() + 1);
            agrees(&bytes[..at]);
            let mut damaged = bytes.to_vec();
            if at < damaged.len() {
                damaged[at] = byte;
                agrees(&damaged);
            }
        }
    }
}
