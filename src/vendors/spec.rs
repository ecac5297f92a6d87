//! The declarative vendor format: the five built-ins are written in it
//! (`specs/*.toml` plus `catalog/data/*.toml`), and so is a user's
//! `[[vendor]]` entry in `config.toml`.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::catalog::{CatalogSpec, CodeEntry, CodeRange, StatusEntry};

/// One vendor as written in TOML. Every field but `id` may be omitted when
/// the entry extends a built-in vendor (e.g. only adds `codes`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VendorSpec {
    pub id: String,
    pub name: Option<String>,
    /// Key the pre-filter searches for; must be one of the shape's keys.
    /// Defaults to the longest shape key. `scan` may search another
    /// top-level key of the shape when a sample of its input shows that key
    /// to be rarer.
    pub anchor: Option<String>,
    /// Dotted path → rule. All must hold for an object to be this vendor's
    /// error body. A rule is a type name (`present`, `integer`, `number`,
    /// `string`, `digits`, `object`, `array`, `bool`, `null`) or a literal
    /// (`true`, `200`, `{ equals = "text" }`).
    pub shape: Option<BTreeMap<String, toml::Value>>,
    /// Path of the code.
    pub code: Option<String>,
    /// `integer`, `digits` (a string of digits) or `string`.
    pub code_type: Option<String>,
    /// For text codes: keep what stands before the first occurrence of this
    /// separator (trimmed); the whole trimmed text when it is absent.
    pub code_before: Option<String>,
    /// Path of the HTTP status (an integer or a string of digits).
    pub status: Option<String>,
    /// Path of the human-readable message.
    pub message: Option<String>,
    /// Rules that mark a recognised body as a success, not an error.
    pub success: Option<BTreeMap<String, toml::Value>>,
    #[serde(default)]
    pub codes: Vec<CodeEntry>,
    #[serde(default)]
    pub ranges: Vec<CodeRange>,
    #[serde(default)]
    pub statuses: Vec<StatusEntry>,
}

impl VendorSpec {
    /// Overlays `other` (a config entry) on `self` (a built-in): fields it
    /// sets replace ours, its codes extend the catalog.
    pub fn overlay(&mut self, other: VendorSpec) {
        macro_rules! take {
            ($($field:ident),*) => { $( if other.$field.is_some() { self.$field = other.$field; } )* };
        }
        take!(
            name,
            anchor,
            shape,
            code,
            code_type,
            code_before,
            status,
            message,
            success
        );
        self.codes.extend(other.codes);
        self.ranges.extend(other.ranges);
        self.statuses.extend(other.statuses);
    }

    pub(crate) fn take_catalog(&mut self) -> CatalogSpec {
        CatalogSpec {
            codes: std::mem::take(&mut self.codes),
            ranges: std::mem::take(&mut self.ranges),
            statuses: std::mem::take(&mut self.statuses),
        }
    }
}

/// The built-in shape specs, compiled into the binary.
pub(crate) const BUILTIN_SPECS: [(&str, &str); 5] = [
    ("ocrolus", include_str!("specs/ocrolus.toml")),
    ("aplos", include_str!("specs/aplos.toml")),
    ("ozforensics", include_str!("specs/ozforensics.toml")),
    ("synapse", include_str!("specs/synapse.toml")),
    ("codat", include_str!("specs/codat.toml")),
];
