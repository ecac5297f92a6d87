//! Masking personal data and credentials in sample messages before they are
//! written to a report. Log content is untrusted and reports travel (they are
//! merged across hosts, mailed, opened in spreadsheets), so the default is to
//! mask; `--no-redact` turns it off.
//!
//! A small hand-written scanner rather than the `regex` crate: the patterns
//! are few and simple, and every one of them is pure ASCII, so the passes
//! work on bytes and a masked span always starts and ends on a character
//! boundary. The passes run in this order, each on the output of the last:
//!
//! 1. credentials named by a key: `token=…`, `api_key: …`, `"password":"…"`,
//!    `X-Api-Key: …`, `Bearer …`, `Basic …` → the value becomes `<token>`;
//! 2. e-mail addresses → `<email>`;
//! 3. UUIDs (8-4-4-4-12 hex) → `<uuid>`;
//! 4. free-standing high-entropy tokens (`sk_live_…`, `ghp_…`, JWTs, long
//!    mixed letter-and-digit words) → `<token>`;
//! 5. digit runs of 6 or more, and grouped numbers such as card or phone
//!    numbers (`4111 1111 1111 1111`, `555-123-4567`) → `<number>`.
//!
//! The placeholders contain no character any pass looks for, so redaction
//! is idempotent.

/// Masks e-mail addresses, UUIDs, long numbers and credentials in `message`.
pub fn redact(message: &str) -> String {
    let text = mask_keyed_secrets(message);
    let text = mask_emails(&text);
    let text = mask_uuids(&text);
    let text = mask_tokens(&text);
    mask_numbers(&text)
}

pub const EMAIL: &str = "<email>";
pub const UUID: &str = "<uuid>";
pub const TOKEN: &str = "<token>";
pub const NUMBER: &str = "<number>";

/// Key names (or endings of key names, compared case-insensitively) whose
/// value is a credential.
const SECRET_KEYS: &[&str] = &[
    "token",
    "apikey",
    "api_key",
    "api-key",
    "secret",
    "password",
    "passwd",
    "access_key",
    "accesskey",
    "private_key",
    "authorization",
];

/// Authorization schemes whose next word is the credential.
const SCHEMES: &[&str] = &["bearer", "basic"];

/// Prefixes of well-known API key formats.
const TOKEN_PREFIXES: &[&str] = &[
    "sk_live_",
    "sk_test_",
    "pk_live_",
    "pk_test_",
    "rk_live_",
    "rk_test_",
    "whsec_",
    "github_pat_",
    "ghp_",
    "gho_",
    "ghs_",
    "ghu_",
    "glpat-",
    "xoxb-",
    "xoxp-",
    "AKIA",
    "ASIA",
    "AIza",
];

/// Replaces each `(start, end)` span of `text` with `with`. Spans are sorted
/// and disjoint, and lie on ASCII bytes, hence on character boundaries.
fn replace_spans(text: &str, spans: &[(usize, usize)], with: &str) -> String {
    if spans.is_empty() {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut at = 0;
    for &(start, end) in spans {
        out.push_str(&text[at..start]);
        out.push_str(with);
        at = end;
    }
    out.push_str(&text[at..]);
    out
}

fn is_ident(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b'-'
}

fn is_quote(b: u8) -> bool {
    b == b'"' || b == b'\''
}

/// Whether a value following a scheme or an unquoted `key: ` looks like a
/// credential rather than prose ("Bearer token expired", "Invalid token:
/// expired").
fn looks_like_secret(value: &[u8]) -> bool {
    let has_digit = value.iter().any(u8::is_ascii_digit);
    (value.len() >= 8 && has_digit) || value.len() >= 24
}

fn skip_spaces(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && (b[i] == b' ' || b[i] == b'\t') {
        i += 1;
    }
    i
}

/// Skips an optional quote, plain (`"`, `'`) or escaped (`\"`).
fn skip_quote(b: &[u8], i: usize) -> (usize, bool) {
    if i < b.len() && is_quote(b[i]) {
        (i + 1, true)
    } else if i + 1 < b.len() && b[i] == b'\\' && is_quote(b[i + 1]) {
        (i + 2, true)
    } else {
        (i, false)
    }
}

/// The end of a credential value starting at `i`.
fn value_end(b: &[u8], mut i: usize) -> usize {
    while i < b.len()
        && !b[i].is_ascii_whitespace()
        && !matches!(
            b[i],
            b'"' | b'\'' | b'\\' | b',' | b';' | b'&' | b'}' | b']' | b')' | b'<' | b'>'
        )
    {
        i += 1;
    }
    i
}

fn mask_keyed_secrets(text: &str) -> String {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_ident(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && is_ident(b[i]) {
            i += 1;
        }
        let word = text[start..i].to_ascii_lowercase();
        if SCHEMES.contains(&word.as_str()) {
            let v = skip_spaces(b, i);
            if v > i {
                let end = value_end(b, v);
                if looks_like_secret(&b[v..end]) {
                    spans.push((v, end));
                    i = end;
                }
            }
            continue;
        }
        if !SECRET_KEYS.iter().any(|k| word.ends_with(k)) {
            continue;
        }
        let key_quoted = start > 0 && is_quote(b[start - 1]);
        let (after_key, _) = skip_quote(b, i);
        let sep_at = skip_spaces(b, after_key);
        let Some(&sep) = b.get(sep_at) else { continue };
        if sep != b'=' && sep != b':' {
            continue;
        }
        let after_sep = skip_spaces(b, sep_at + 1);
        let spaced = after_sep > sep_at + 1;
        let (v, value_quoted) = skip_quote(b, after_sep);
        let end = value_end(b, v);
        let value = &text[v..end];
        if value.is_empty()
            || matches!(value, "null" | "true" | "false")
            || SCHEMES.contains(&value.to_ascii_lowercase().as_str())
        {
            // `Authorization: Bearer …`: the scheme's branch takes the value.
            i = v;
            continue;
        }
        let explicit = sep == b'=' || key_quoted || value_quoted || !spaced;
        if explicit || looks_like_secret(value.as_bytes()) {
            spans.push((v, end));
            i = end;
        }
    }
    replace_spans(text, &spans, TOKEN)
}

fn is_local_part(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-')
}

fn is_domain(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'.' || b == b'-'
}

fn mask_emails(text: &str) -> String {
    let b = text.as_bytes();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'@' {
            i += 1;
            continue;
        }
        let floor = spans.last().map_or(0, |s| s.1);
        let mut start = i;
        while start > floor && is_local_part(b[start - 1]) {
            start -= 1;
        }
        let mut end = i + 1;
        while end < b.len() && is_domain(b[end]) {
            end += 1;
        }
        while end > i + 1 && matches!(b[end - 1], b'.' | b'-') {
            end -= 1;
        }
        let domain = &text[i + 1..end];
        let valid_domain = domain.contains('.')
            && domain.split('.').all(|label| !label.is_empty())
            && domain
                .rsplit('.')
                .next()
                .is_some_and(|tld| tld.len() >= 2 && tld.bytes().all(|c| c.is_ascii_alphabetic()));
        if start < i && valid_domain {
            spans.push((start, end));
            i = end;
        } else {
            i += 1;
        }
    }
    replace_spans(text, &spans, EMAIL)
}

fn is_uuid(b: &[u8]) -> bool {
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_hexdigit(),
        })
}

fn mask_uuids(text: &str) -> String {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i + 36 <= b.len() {
        let bounded_left = i == 0 || !b[i - 1].is_ascii_alphanumeric();
        let bounded_right = b.get(i + 36).is_none_or(|c| !c.is_ascii_alphanumeric());
        if bounded_left && bounded_right && is_uuid(&b[i..i + 36]) {
            spans.push((i, i + 36));
            i += 36;
        } else {
            i += 1;
        }
    }
    replace_spans(text, &spans, UUID)
}

/// Shannon entropy of `word`, in bits per byte.
fn entropy(word: &[u8]) -> f64 {
    let mut counts = [0u32; 256];
    for &c in word {
        counts[c as usize] += 1;
    }
    let n = word.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| {
            let p = f64::from(c) / n;
            -p * p.log2()
        })
        .sum()
}

fn is_token(word: &str) -> bool {
    let b = word.as_bytes();
    if let Some(prefix) = TOKEN_PREFIXES.iter().find(|p| word.starts_with(*p)) {
        return b.len() >= prefix.len() + 8;
    }
    // A JSON Web Token: base64url JSON header, payload and signature.
    if word.starts_with("eyJ") && word.matches('.').count() == 2 && b.len() >= 24 {
        return true;
    }
    if b.len() < 20 {
        return false;
    }
    let digits = b.iter().filter(|c| c.is_ascii_digit()).count();
    let lower = b.iter().any(u8::is_ascii_lowercase);
    let upper = b.iter().any(u8::is_ascii_uppercase);
    let letters = b.iter().filter(|c| c.is_ascii_alphabetic()).count();
    let mixed = (digits >= 2 && letters >= 2) || (lower && upper && digits >= 1);
    mixed && entropy(b) >= 3.0
}

fn mask_tokens(text: &str) -> String {
    let b = text.as_bytes();
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !is_ident(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        let jwt = text[start..].starts_with("eyJ");
        while i < b.len() && (is_ident(b[i]) || (jwt && (b[i] == b'.' || b[i] == b'='))) {
            i += 1;
        }
        // A sentence may end right after a token.
        while jwt && i > start + 1 && b[i - 1] == b'.' {
            i -= 1;
        }
        if is_token(&text[start..i]) {
            spans.push((start, i));
        }
    }
    replace_spans(text, &spans, TOKEN)
}

fn mask_numbers(text: &str) -> String {
    let b = text.as_bytes();
    let digits_from = |i: usize| {
        let mut j = i;
        while j < b.len() && b[j].is_ascii_digit() {
            j += 1;
        }
        j
    };
    let mut spans = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if !b[i].is_ascii_digit() {
            i += 1;
            continue;
        }
        // Groups joined by one separator, the same throughout, each group
        // after the first at least 3 digits long: `4111 1111 1111 1111`,
        // `+1 555 123 4567`, but not the date `2026-11-20`.
        let mut groups = vec![(i, digits_from(i))];
        let mut separator = None;
        loop {
            let end = groups[groups.len() - 1].1;
            let Some(&sep) = b.get(end) else { break };
            if !(sep == b' ' || sep == b'-') || separator.is_some_and(|s| s != sep) {
                break;
            }
            let next_end = digits_from(end + 1);
            if next_end - (end + 1) < 3 {
                break;
            }
            separator = Some(sep);
            groups.push((end + 1, next_end));
        }
        let total: usize = groups.iter().map(|(s, e)| e - s).sum();
        if groups.len() > 1 && total >= 10 {
            spans.push((groups[0].0, groups[groups.len() - 1].1));
        } else {
            let (start, end) = groups[0];
            if end - start >= 6 {
                spans.push((start, end));
            }
            i = end;
            continue;
        }
        i = groups[groups.len() - 1].1;
    }
    replace_spans(text, &spans, NUMBER)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[track_caller]
    fn check(input: &str, expected: &str) {
        assert_eq!(redact(input), expected, "input: {input:?}");
        assert_eq!(redact(expected), expected, "not idempotent: {expected:?}");
    }

    #[test]
    fn emails() {
        check(
            "Authentication failed for bob@example.com",
            "Authentication failed for <email>",
        );
        check(
            "user <Jane.Doe+ocr@mail.example.co.uk>, cc x_y@sub-d.io.",
            "user <<email>>, cc <email>.",
        );
        check("mailto:a@b.cd", "mailto:<email>");
        check("two: a@b.com,c@d.org", "two: <email>,<email>");
        check(
            "handle @someone and a@localhost stay",
            "handle @someone and a@localhost stay",
        );
        check("café ünïcode bob@example.com ✓", "café ünïcode <email> ✓");
    }

    #[test]
    fn uuids() {
        check(
            "book 3fa85f64-5717-4562-b3fc-2c963f66afa6 not found",
            "book <uuid> not found",
        );
        check(
            "correlationId=3FA85F64-5717-4562-B3FC-2C963F66AFA6",
            "correlationId=<uuid>",
        );
        // Not 8-4-4-4-12: short ones stay, long ones are tokens.
        check("ref 3fa85f64-5717 x", "ref 3fa85f64-5717 x");
        check("3fa85f64-5717-4562-b3fc", "<token>");
    }

    #[test]
    fn numbers() {
        check("account 123456 locked", "account <number> locked");
        check("code 12345 ok", "code 12345 ok");
        check("order12345678x", "order<number>x");
        check(
            "card 4111 1111 1111 1111 declined",
            "card <number> declined",
        );
        check("call +1 555-123-4567", "call +1 <number>");
        check("call 555 123 4567 now", "call <number> now");
        check("on 2026-11-20 at 10:00:00", "on 2026-11-20 at 10:00:00");
        check("status 400 code 1200", "status 400 code 1200");
        check("amount 1234567.89", "amount <number>.89");
    }

    #[test]
    fn keyed_credentials() {
        check("GET /v1?token=abc&x=1", "GET /v1?token=<token>&x=1");
        check("api_key=AbCdEf12 rejected", "api_key=<token> rejected");
        check(
            r#"{"apiKey": "hello", "n": 1}"#,
            r#"{"apiKey": "<token>", "n": 1}"#,
        );
        check(
            r#"{\"password\":\"hunter2\"}"#,
            r#"{\"password\":\"<token>\"}"#,
        );
        check("X-Api-Key: 9f8e7d6c5b4a", "X-Api-Key: <token>");
        check("client_secret = s3cr3t!", "client_secret = <token>");
        check("access_token:xyz", "access_token:<token>");
        check(r#"{"token":null}"#, r#"{"token":null}"#);
    }

    #[test]
    fn prose_about_credentials_stays() {
        check("Invalid token: expired", "Invalid token: expired");
        check("Missing Bearer token", "Missing Bearer token");
        check("Basic authentication failed", "Basic authentication failed");
        check("Invalid API key credentials", "Invalid API key credentials");
        check(
            "The api_key parameter is required",
            "The api_key parameter is required",
        );
    }

    #[test]
    fn bearer_and_basic() {
        check(
            "Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_nature-1 rejected",
            "Authorization: Bearer <token> rejected",
        );
        check("bearer abcd1234efgh", "bearer <token>");
        check(
            "Authorization: Basic dXNlcjpwYXNzd29yZA==",
            "Authorization: Basic <token>",
        );
    }

    #[test]
    fn free_standing_tokens() {
        check(
            "key sk_live_4eC39HqLyjWDarjtT1zdp7dc was revoked",
            "key <token> was revoked",
        );
        check("ghp_abcdefghijklmnop1234", "<token>");
        check(
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U.",
            "jwt <token>.",
        );
        check(
            "session a8Fk29xQmZ7pL3vN0bR5tY1w expired",
            "session <token> expired",
        );
        // Long words that are names, not secrets.
        check(
            "CompanyValidationException: DataConnectionUnavailable",
            "CompanyValidationException: DataConnectionUnavailable",
        );
        check(
            "ERR_INVALID_DOCUMENT_TYPE_V2",
            "ERR_INVALID_DOCUMENT_TYPE_V2",
        );
    }

    #[test]
    fn order_of_passes() {
        // The UUID is taken whole before the token and number passes see it;
        // a token's digits are not a number.
        check(
            "id 123e4567-e89b-12d3-a456-426614174000 key sk_test_123456789012",
            "id <uuid> key <token>",
        );
        check("token=bob@example.com", "token=<token>");
    }

    #[test]
    fn plain_text_is_untouched() {
        for text in [
            "",
            "Authentication failed",
            "Payment Required: An account limit has been reached.",
            "=HYPERLINK(\"http://x\")",
            "naïve 東京 ✓",
        ] {
            check(text, text);
        }
    }
}
