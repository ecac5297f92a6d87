//! Recognising a vendor by the shape of a JSON object and decoding its
//! code, status and message. Vendors are data ([`VendorSpec`]), compiled
//! once into a [`VendorSet`].

pub mod json;
pub mod spec;

use serde_json::Value;

pub use json::{Doc, Json};

use crate::catalog::{self, CatalogError, Lookup, VendorCatalog};
pub use spec::VendorSpec;

#[derive(Debug, thiserror::Error)]
pub enum VendorError {
    #[error("vendor `{vendor}`: {message}")]
    Invalid { vendor: String, message: String },
    #[error("vendor `{vendor}`: catalog: {source}")]
    Catalog {
        vendor: String,
        #[source]
        source: CatalogError,
    },
    #[error("built-in spec `{vendor}` does not parse: {message}")]
    Builtin { vendor: String, message: String },
}

/// Why a recognised (or almost recognised) body was not counted as an error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SkipReason {
    /// The vendor's own success body (Ocrolus status 200, Synapse success:true).
    Success,
    /// Recognised by shape, but the code is missing or of the wrong type.
    NoCode,
    /// Vendor keys present, but the body ends before it closes.
    Truncated,
    /// Vendor keys present, but the body is not valid JSON.
    Malformed,
    /// A line longer than the configured maximum: capped and passed over.
    LineTooLong,
}

impl SkipReason {
    pub const ALL: [SkipReason; 5] = [
        SkipReason::Success,
        SkipReason::NoCode,
        SkipReason::Truncated,
        SkipReason::Malformed,
        SkipReason::LineTooLong,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::Success => "success",
            SkipReason::NoCode => "no-code",
            SkipReason::Truncated => "truncated",
            SkipReason::Malformed => "malformed",
            SkipReason::LineTooLong => "line-too-long",
        }
    }
}

/// A decoded error body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DecodedError {
    pub vendor: usize,
    pub code: String,
    pub status: Option<u16>,
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    Error(DecodedError),
    Skipped { vendor: usize, reason: SkipReason },
}

#[derive(Debug, Clone, PartialEq)]
/// What a shape requires of the value at one path.
enum ShapeRule {
    Present,
    Integer,
    Number,
    String,
    Digits,
    Object,
    Array,
    Bool,
    Null,
    Equals(Value),
}

impl ShapeRule {
    fn parse(rule: &toml::Value) -> Result<ShapeRule, String> {
        Ok(match rule {
            toml::Value::String(kind) => match kind.as_str() {
                "present" => ShapeRule::Present,
                "integer" => ShapeRule::Integer,
                "number" => ShapeRule::Number,
                "string" => ShapeRule::String,
                "digits" => ShapeRule::Digits,
                "object" => ShapeRule::Object,
                "array" => ShapeRule::Array,
                "bool" => ShapeRule::Bool,
                "null" => ShapeRule::Null,
                other => {
                    return Err(format!(
                        "unknown rule `{other}` (expected present, integer, number, string, \
                         digits, object, array, bool, null, a literal, or {{ equals = ... }})"
                    ))
                }
            },
            toml::Value::Boolean(b) => ShapeRule::Equals(Value::Bool(*b)),
            toml::Value::Integer(i) => ShapeRule::Equals(Value::from(*i)),
            toml::Value::Table(t) if t.len() == 1 && t.contains_key("equals") => {
                let literal = serde_json::to_value(&t["equals"])
                    .map_err(|e| format!("`equals` value: {e}"))?;
                ShapeRule::Equals(literal)
            }
            other => return Err(format!("unsupported rule {other}")),
        })
    }

    fn holds(&self, value: Json<'_>) -> bool {
        match self {
            ShapeRule::Present => true,
            ShapeRule::Integer => value.is_integer(),
            ShapeRule::Number => value.is_number(),
            ShapeRule::String => value.is_string(),
            ShapeRule::Digits => value.as_str().is_some_and(is_digits),
            ShapeRule::Object => value.is_object(),
            ShapeRule::Array => value.is_array(),
            ShapeRule::Bool => value.is_boolean(),
            ShapeRule::Null => value.is_null(),
            ShapeRule::Equals(expected) => value.to_value() == *expected,
        }
    }
}

impl ShapeRule {
    /// The kind of value this rule admits, as far as its first byte tells.
    fn kind(&self) -> ValueKind {
        match self {
            ShapeRule::Present | ShapeRule::Equals(_) => ValueKind::Any,
            ShapeRule::Integer | ShapeRule::Number => ValueKind::Number,
            ShapeRule::String | ShapeRule::Digits => ValueKind::Text,
            ShapeRule::Object => ValueKind::Object,
            ShapeRule::Array => ValueKind::Array,
            ShapeRule::Bool => ValueKind::Bool,
            ShapeRule::Null => ValueKind::Null,
        }
    }
}

/// What a key's value must be for a shape to hold, coarsely: enough for
/// the pre-filter to pass over `"exception": "text"` when the shape wants
/// an object, without parsing anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ValueKind {
    Any,
    Object,
    Array,
    Text,
    Number,
    Bool,
    Null,
}

fn is_digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum CodeType {
    Integer,
    Digits,
    Text,
}

type Path = Vec<String>;

fn parse_path(path: &str) -> Path {
    path.split('.').map(str::to_owned).collect()
}

/// Every first key a vendor path starts with, so an object's members are
/// read once per object, not once per vendor and path.
#[derive(Debug, Clone, Default)]
struct Probe {
    /// By key length: the keys of that length and their slots.
    by_len: Vec<Vec<(Box<[u8]>, usize)>>,
    slots: usize,
}

impl Probe {
    fn add(&mut self, key: &str) {
        if self.slot_of(key.as_bytes()).is_some() {
            return;
        }
        if self.by_len.len() <= key.len() {
            self.by_len.resize(key.len() + 1, Vec::new());
        }
        self.by_len[key.len()].push((key.as_bytes().into(), self.slots));
        self.slots += 1;
    }

    fn slot_of(&self, key: &[u8]) -> Option<usize> {
        self.by_len
            .get(key.len())?
            .iter()
            .find(|(known, _)| json::same_bytes(known, key))
            .map(|(_, slot)| *slot)
    }

    /// The members of `obj` some vendor path starts with (the last repeat
    /// of a key wins, as in any JSON reader).
    fn read<'d>(&self, obj: Json<'d>) -> Fields<'_, 'd> {
        let mut fields = Fields {
            probe: self,
            obj,
            present: 0,
            values: [None; INLINE_SLOTS],
        };
        for (key, value) in obj.members() {
            if let Some(slot) = self.slot_of(key).filter(|&slot| slot < INLINE_SLOTS) {
                fields.values[slot] = Some(value);
                fields.present |= 1 << slot;
            }
        }
        fields
    }
}

/// Slots kept on the stack; keys past them (only with many configured
/// vendors) are looked up in the object itself. At most 64 (a bit each).
const INLINE_SLOTS: usize = 24;

/// An object's members as the vendor paths see them.
struct Fields<'p, 'd> {
    probe: &'p Probe,
    obj: Json<'d>,
    /// Bit `slot` is set when `values[slot]` holds a member.
    present: u64,
    values: [Option<Json<'d>>; INLINE_SLOTS],
}

impl<'d> Fields<'_, 'd> {
    fn get(&self, path: &[String]) -> Option<Json<'d>> {
        let (first, rest) = path.split_first()?;
        let slot = self.probe.slot_of(first.as_bytes())?;
        let mut value = match self.values.get(slot) {
            Some(value) => (*value)?,
            None => self.obj.get(first)?,
        };
        for segment in rest {
            value = value.get(segment)?;
        }
        Some(value)
    }
}

/// The shortest key the pre-filter searches for.
const MIN_ANCHOR_LEN: usize = 2;

/// One vendor, compiled.
#[derive(Debug, Clone)]
pub struct Vendor {
    pub id: String,
    pub name: String,
    pub anchor: String,
    /// Every key name the shape mentions: a line holding a body of this
    /// vendor holds all of them, which lets the pre-filter reject lines
    /// before any parsing.
    pub required_keys: Vec<String>,
    pub catalog: VendorCatalog,
    shape: Vec<(Path, ShapeRule)>,
    success: Vec<(Path, ShapeRule)>,
    code: Path,
    code_type: CodeType,
    code_before: Option<String>,
    status: Option<Path>,
    message: Option<Path>,
}

impl Vendor {
    fn compile(mut spec: VendorSpec) -> Result<Vendor, VendorError> {
        let id = spec.id.clone();
        let invalid = |message: String| VendorError::Invalid {
            vendor: id.clone(),
            message,
        };
        if id.is_empty()
            || !id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return Err(invalid(
                "`id` must be non-empty ASCII letters, digits, `-` or `_`".into(),
            ));
        }
        let catalog =
            VendorCatalog::new(spec.take_catalog()).map_err(|source| VendorError::Catalog {
                vendor: id.clone(),
                source,
            })?;
        let shape_rules =
            spec.shape.take().filter(|s| !s.is_empty()).ok_or_else(|| {
                invalid("`shape` is required and must name at least one key".into())
            })?;
        let compile_rules = |rules: &std::collections::BTreeMap<String, toml::Value>, key: &str| {
            rules
                .iter()
                .map(|(path, rule)| {
                    ShapeRule::parse(rule)
                        .map(|check| (parse_path(path), check))
                        .map_err(|e| invalid(format!("`{key}.{path}`: {e}")))
                })
                .collect::<Result<Vec<_>, _>>()
        };
        let shape = compile_rules(&shape_rules, "shape")?;
        let success = match &spec.success {
            Some(rules) => compile_rules(rules, "success")?,
            None => Vec::new(),
        };
        let code =
            parse_path(spec.code.as_deref().ok_or_else(|| {
                invalid("`code` (the path of the error code) is required".into())
            })?);
        let code_type = match spec.code_type.as_deref().unwrap_or("string") {
            "integer" => CodeType::Integer,
            "digits" => CodeType::Digits,
            "string" => CodeType::Text,
            other => {
                return Err(invalid(format!(
                    "`code_type`: unknown type `{other}` (expected integer, digits or string)"
                )))
            }
        };
        let mut required_keys: Vec<String> = Vec::new();
        for (path, _) in &shape {
            for segment in path {
                if !required_keys.contains(segment) {
                    required_keys.push(segment.clone());
                }
            }
        }
        let anchor = match spec.anchor.take() {
            Some(anchor) if required_keys.contains(&anchor) => anchor,
            Some(anchor) => {
                return Err(invalid(format!(
                    "`anchor` = \"{anchor}\" must be one of the shape's keys ({})",
                    required_keys.join(", ")
                )))
            }
            None => required_keys
                .iter()
                .max_by_key(|k| k.len())
                .cloned()
                .unwrap_or_default(),
        };
        if anchor.len() < MIN_ANCHOR_LEN {
            return Err(invalid(format!(
                "the pre-filter anchor `{anchor}` is too short; set `anchor` to a longer shape key"
            )));
        }
        Ok(Vendor {
            name: spec.name.take().unwrap_or_else(|| id.clone()),
            status: spec.status.as_deref().map(parse_path),
            message: spec.message.as_deref().map(parse_path),
            code_before: spec.code_before.take().filter(|s| !s.is_empty()),
            id,
            anchor,
            required_keys,
            catalog,
            shape,
            success,
            code,
            code_type,
        })
    }

    /// The kind of value `key` holds in a body of this shape (`Any` when
    /// the shape uses it in more than one way, or not at all).
    pub fn key_value(&self, key: &str) -> ValueKind {
        let mut kind = None;
        for (path, check) in &self.shape {
            for (at, segment) in path.iter().enumerate() {
                if segment != key {
                    continue;
                }
                let this = if at + 1 < path.len() {
                    ValueKind::Object
                } else {
                    check.kind()
                };
                kind = match kind {
                    Some(seen) if seen != this => Some(ValueKind::Any),
                    _ => Some(this),
                };
            }
        }
        kind.unwrap_or(ValueKind::Any)
    }

    /// The keys the pre-filter may search for instead of the anchor: the
    /// anchor first, then the body's other top-level shape keys. Each is on
    /// every line that holds a body, written as a key; a top-level one also
    /// leads a multi-line record back to the body's own opening brace.
    pub fn anchor_candidates(&self) -> Vec<&str> {
        let mut keys = vec![self.anchor.as_str()];
        for (path, _) in &self.shape {
            if let Some(first) = path.first() {
                if first.len() >= MIN_ANCHOR_LEN && !keys.contains(&first.as_str()) {
                    keys.push(first);
                }
            }
        }
        keys
    }

    /// The keys a body of this shape holds at its top level (each shape
    /// path's first key), each once.
    pub fn top_level_keys(&self) -> Vec<&str> {
        let mut keys: Vec<&str> = Vec::new();
        for (path, _) in &self.shape {
            if let Some(first) = path.first() {
                if !keys.contains(&first.as_str()) {
                    keys.push(first);
                }
            }
        }
        keys
    }

    fn matches(&self, obj: &Fields<'_, '_>) -> bool {
        self.shape
            .iter()
            .all(|(path, check)| obj.get(path).is_some_and(|v| check.holds(v)))
    }

    fn is_success(&self, obj: &Fields<'_, '_>) -> bool {
        !self.success.is_empty()
            && self
                .success
                .iter()
                .all(|(path, check)| obj.get(path).is_some_and(|v| check.holds(v)))
    }

    fn code_of(&self, obj: &Fields<'_, '_>) -> Option<String> {
        let value = obj.get(&self.code)?;
        match self.code_type {
            CodeType::Integer => value.as_i64().map(|n| n.to_string()),
            CodeType::Digits => value.as_str().filter(|s| is_digits(s)).map(str::to_owned),
            CodeType::Text => {
                let text = value.as_str()?;
                let head = match &self.code_before {
                    Some(sep) => text.split_once(sep.as_str()).map_or(text, |(head, _)| head),
                    None => text,
                };
                let code = if head.trim().is_empty() {
                    text.trim()
                } else {
                    head.trim()
                };
                (!code.is_empty()).then(|| code.to_owned())
            }
        }
    }

    fn status_of(&self, obj: &Fields<'_, '_>) -> Option<u16> {
        let value = obj.get(self.status.as_deref()?)?;
        if value.is_number() {
            return value.as_u64().and_then(|n| u16::try_from(n).ok());
        }
        value.as_str()?.trim().parse().ok()
    }

    fn message_of(&self, obj: &Fields<'_, '_>) -> String {
        const MAX_MESSAGE: usize = 512;
        let Some(value) = self.message.as_deref().and_then(|p| obj.get(p)) else {
            return String::new();
        };
        let text = match value.as_str() {
            Some(text) => text.to_owned(),
            None if value.is_null() => String::new(),
            None => value.to_value().to_string(),
        };
        truncate_chars(text, MAX_MESSAGE)
    }

    /// The catalog's view of a code.
    pub fn lookup(&self, code: &str, status: Option<u16>) -> Lookup<'_> {
        self.catalog.lookup(code, status)
    }
}

fn truncate_chars(mut text: String, max: usize) -> String {
    if text.len() > max {
        let mut cut = max;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text
}

/// All known vendors, in match order.
#[derive(Debug, Clone)]
pub struct VendorSet {
    vendors: Vec<Vendor>,
    probe: Probe,
    /// Per vendor: the probe slots its shape's first keys take (as bits,
    /// for the slots held inline), so most objects are turned away by one
    /// mask test.
    needs: Vec<u64>,
}

impl VendorSet {
    /// The five built-in vendors.
    pub fn builtin() -> Result<VendorSet, VendorError> {
        Self::with_overlays(Vec::new())
    }

    /// The built-ins overlaid with config entries: an entry with a built-in
    /// id modifies it, any other id adds a vendor (after the built-ins).
    pub fn with_overlays(extra: Vec<VendorSpec>) -> Result<VendorSet, VendorError> {
        let mut specs = builtin_specs()?;
        for entry in extra {
            match specs.iter_mut().find(|s| s.id == entry.id) {
                Some(existing) => existing.overlay(entry),
                None => specs.push(entry),
            }
        }
        let vendors = specs
            .into_iter()
            .map(Vendor::compile)
            .collect::<Result<Vec<_>, _>>()?;
        let mut probe = Probe::default();
        for vendor in &vendors {
            let paths = vendor
                .shape
                .iter()
                .chain(&vendor.success)
                .map(|(path, _)| path)
                .chain([&vendor.code])
                .chain(vendor.status.iter())
                .chain(vendor.message.iter());
            for path in paths {
                if let Some(first) = path.first() {
                    probe.add(first);
                }
            }
        }
        let needs = vendors
            .iter()
            .map(|vendor| {
                vendor
                    .shape
                    .iter()
                    .filter_map(|(path, _)| probe.slot_of(path.first()?.as_bytes()))
                    .filter(|&slot| slot < INLINE_SLOTS)
                    .fold(0u64, |mask, slot| mask | 1 << slot)
            })
            .collect();
        Ok(VendorSet {
            vendors,
            probe,
            needs,
        })
    }

    pub fn vendors(&self) -> &[Vendor] {
        &self.vendors
    }

    pub fn get(&self, index: usize) -> &Vendor {
        &self.vendors[index]
    }

    pub fn index_of(&self, id: &str) -> Option<usize> {
        self.vendors.iter().position(|v| v.id == id)
    }

    /// Tests an object against every vendor's shape; the first that holds
    /// decides.
    pub fn decode(&self, obj: Json<'_>) -> Option<Decision> {
        let obj = &self.probe.read(obj);
        let (vendor, spec) = self
            .vendors
            .iter()
            .zip(&self.needs)
            .enumerate()
            .find(|(_, (v, &needs))| obj.present & needs == needs && v.matches(obj))
            .map(|(index, (v, _))| (index, v))?;
        if spec.is_success(obj) {
            return Some(Decision::Skipped {
                vendor,
                reason: SkipReason::Success,
            });
        }
        let Some(code) = spec.code_of(obj) else {
            return Some(Decision::Skipped {
                vendor,
                reason: SkipReason::NoCode,
            });
        };
        Some(Decision::Error(DecodedError {
            vendor,
            code,
            status: spec.status_of(obj),
            message: spec.message_of(obj),
        }))
    }
}

fn builtin_specs() -> Result<Vec<VendorSpec>, VendorError> {
    spec::BUILTIN_SPECS
        .iter()
        .map(|(id, text)| {
            let mut spec: VendorSpec = toml::from_str(text).map_err(|e| VendorError::Builtin {
                vendor: (*id).to_owned(),
                message: e.to_string(),
            })?;
            let catalog = catalog::builtin(id).ok_or_else(|| VendorError::Builtin {
                vendor: (*id).to_owned(),
                message: "no built-in catalog".into(),
            })?;
            spec.codes = catalog.codes;
            spec.ranges = catalog.ranges;
            spec.statuses = catalog.statuses;
            Ok(spec)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(set: &VendorSet, json: &str) -> Option<Decision> {
        let doc = Doc::parse(json.as_bytes()).unwrap();
        assert!(doc.root().is_object());
        set.decode(doc.root())
    }

    fn error(set: &VendorSet, json: &str) -> (String, String, Option<u16>, String) {
        match decode(set, json) {
            Some(Decision::Error(e)) => (set.get(e.vendor).id.clone(), e.code, e.status, e.message),
            other => panic!("expected an error for {json}, got {other:?}"),
        }
    }

    #[test]
    fn decodes_each_builtin_vendor() {
        let set = VendorSet::builtin().unwrap();
        assert_eq!(
            error(
                &set,
                r#"{"status":400,"message":"Authentication failed","code":1200,"response":null}"#
            ),
            (
                "ocrolus".into(),
                "1200".into(),
                Some(400),
                "Authentication failed".into()
            )
        );
        assert_eq!(
            error(
                &set,
                r#"{"version":"v2_0_0","status":401,"exception":{"message":"Token could not be located.","code":1002}}"#
            ),
            (
                "aplos".into(),
                "1002".into(),
                Some(401),
                "Token could not be located.".into()
            )
        );
        assert_eq!(
            error(
                &set,
                r#"{"error_code":7,"error_message":"AUTH INVALID","details":null}"#
            ),
            (
                "ozforensics".into(),
                "7".into(),
                None,
                "AUTH INVALID".into()
            )
        );
        assert_eq!(
            error(
                &set,
                r#"{"error":{"en":"<user:id> not valid"},"error_code":"400","http_code":"409","success":false}"#
            ),
            (
                "synapse".into(),
                "400".into(),
                Some(409),
                "<user:id> not valid".into()
            )
        );
        assert_eq!(
            error(&set, r#"{"statusCode":402,"service":"PublicApi","error":"CompanyValidationException: Company limit exceeded","correlationId":"0"}"#).1,
            "CompanyValidationException"
        );
        assert_eq!(
            error(&set, r#"{"statusCode":402,"service":"PublicApi","error":" Payment Required ","correlationId":"0"}"#).1,
            "Payment Required"
        );
    }

    #[test]
    fn success_and_codeless_bodies_are_skipped() {
        let set = VendorSet::builtin().unwrap();
        let ocrolus = set.index_of("ocrolus").unwrap();
        assert_eq!(
            decode(&set, r#"{"status":200,"message":"OK","response":"..."}"#),
            Some(Decision::Skipped {
                vendor: ocrolus,
                reason: SkipReason::Success
            })
        );
        assert_eq!(
            decode(&set, r#"{"status":500,"message":"x","response":null}"#),
            Some(Decision::Skipped {
                vendor: ocrolus,
                reason: SkipReason::NoCode
            })
        );
        let synapse = set.index_of("synapse").unwrap();
        assert_eq!(
            decode(
                &set,
                r#"{"error":{"en":"ok"},"error_code":"0","http_code":"200","success":true}"#
            ),
            Some(Decision::Skipped {
                vendor: synapse,
                reason: SkipReason::Success
            })
        );
    }

    #[test]
    fn logger_objects_are_not_vendor_bodies() {
        let set = VendorSet::builtin().unwrap();
        for json in [
            r#"{"level":"error","status":502,"message":"upstream","code":"E_UPSTREAM"}"#,
            r#"{"status":200,"code":"OK","response":{"items":3}}"#,
            r#"{"error_code":null,"msg":"fine"}"#,
            r#"{"statusCode":200,"correlationId":"abc"}"#,
        ] {
            assert_eq!(decode(&set, json), None, "{json}");
        }
    }

    #[test]
    fn user_vendor_from_toml() {
        let spec: VendorSpec = toml::from_str(
            r#"
            id = "acme"
            shape = { "error.type" = "string", "error.code" = "string" }
            code = "error.code"
            message = "error.message"
            [[codes]]
            code = "card_declined"
            category = "payment"
            description = "The card was declined."
            "#,
        )
        .unwrap();
        let set = VendorSet::with_overlays(vec![spec]).unwrap();
        let acme = set.index_of("acme").unwrap();
        assert_eq!(set.get(acme).anchor, "error");
        let (id, code, status, _) = error(
            &set,
            r#"{"error":{"type":"card_error","code":"card_declined","message":"no"}}"#,
        );
        assert_eq!(
            (id.as_str(), code.as_str(), status),
            ("acme", "card_declined", None)
        );
        assert!(set.get(acme).lookup("card_declined", None).known);
    }

    #[test]
    fn bad_specs_name_the_key() {
        let spec: VendorSpec =
            toml::from_str("id = \"x\"\nshape = { a = \"integr\" }\ncode = \"a\"").unwrap();
        let err = VendorSet::with_overlays(vec![spec])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`shape.a`") && err.contains("integr"), "{err}");
        let spec: VendorSpec = toml::from_str("id = \"x\"\ncode = \"a\"").unwrap();
        let err = VendorSet::with_overlays(vec![spec])
            .unwrap_err()
            .to_string();
        assert!(err.contains("`shape` is required"), "{err}");
        let spec: VendorSpec = toml::from_str(
            "id = \"x\"\nshape = { abc = \"present\" }\ncode = \"abc\"\nanchor = \"zzz\"",
        )
        .unwrap();
        let err = VendorSet::with_overlays(vec![spec])
            .unwrap_err()
            .to_string();
        assert!(err.contains("anchor"), "{err}");
    }
}
