//! Receipt validation: the Kantara Consent Receipt v1.1 schema, the facts of
//! the specification the schema does not carry, and kelisim's receipt format
//! v1 (the `kelisim` extension object).
//!
//! [`validate_kantara`] checks what any Kantara v1.1 receipt must satisfy;
//! [`validate`] adds what a kelisim receipt must satisfy and extracts the
//! fields the store needs ([`Receipt`]). Both return every problem at once,
//! each as `path: what is wrong`.

use std::sync::OnceLock;

use serde_json::{Map, Value};

use crate::schema::{type_name, Schema};

/// The published Kantara v1.1 schema, kept verbatim in `schema/kantara/` at
/// the repository root.
pub const KANTARA_SCHEMA: &str =
    include_str!("../../schema/kantara/kantara-consent-receipt-v1_1-schema.json");

/// The only Kantara version this collector accepts.
pub const KANTARA_VERSION: &str = "KI-CR-v1.1.0";

/// Values of `kelisim.event`.
pub const EVENTS: &[&str] = &["given", "updated", "renewed", "withdrawn", "disclosure"];
/// Values of `kelisim.consent.method`.
pub const METHODS: &[&str] = &["accept-all", "reject-all", "custom", "withdraw"];
/// Largest integer JavaScript represents exactly; larger ones have no stable
/// canonical form across the SDK and the collector.
pub const MAX_SAFE_INTEGER: i64 = 9_007_199_254_740_991;

/// A valid kelisim receipt and the fields the store indexes.
#[derive(Clone, Debug, PartialEq)]
pub struct Receipt {
    /// `consentReceiptID`.
    pub id: String,
    /// `piiPrincipalId`, the pseudonymous subject id.
    pub subject: String,
    /// `kelisim.chain.seq`, 1 for a subject's first receipt.
    pub seq: u64,
    /// `kelisim.chain.prev`: SHA-256 (hex) of the previous receipt's canonical
    /// form, `None` for seq 1.
    pub prev: Option<String>,
    /// The whole receipt.
    pub value: Value,
}

/// The parsed Kantara schema (parsed once).
pub fn kantara_schema() -> &'static Schema {
    static SCHEMA: OnceLock<Schema> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        // The vendored file is fixed at compile time and a unit test parses it.
        Schema::parse(KANTARA_SCHEMA).expect("the vendored Kantara schema parses")
    })
}

/// Every way `value` is not a Kantara v1.1 receipt: the schema, plus
/// `version` = `KI-CR-v1.1.0`, `consentReceiptID` a lowercase UUID v4, and a
/// non-empty `spiCat` when `sensitive` is true. (`consentTimestamp` being an
/// integer is in the schema.)
pub fn validate_kantara(value: &Value) -> Vec<String> {
    let mut errors = kantara_schema().validate(value);
    let Some(obj) = value.as_object() else {
        return errors;
    };
    if let Some(Value::String(v)) = obj.get("version") {
        if v != KANTARA_VERSION {
            errors.push(format!("version: must be \"{KANTARA_VERSION}\""));
        }
    }
    if let Some(Value::String(id)) = obj.get("consentReceiptID") {
        if !is_uuid_v4(id) {
            errors.push("consentReceiptID: expected a lowercase UUID v4".to_string());
        }
    }
    if obj.get("sensitive") == Some(&Value::Bool(true))
        && obj
            .get("spiCat")
            .and_then(Value::as_array)
            .is_some_and(Vec::is_empty)
    {
        errors.push("spiCat: must list the sensitive categories when sensitive is true".into());
    }
    errors
}

/// Validates a kelisim receipt (format v1): [`validate_kantara`], then
/// integers only, `language` `kk` or `ru`, `piiPrincipalId` a UUID v4, and
/// the `kelisim` extension. Unknown members inside `kelisim` are allowed.
pub fn validate(value: Value) -> Result<Receipt, Vec<String>> {
    let mut errors = validate_kantara(&value);
    let mut path = String::new();
    integers_only(&value, &mut path, &mut errors);

    let obj = match value.as_object() {
        Some(obj) => obj,
        None => return Err(errors),
    };
    let mut c = Checker {
        errors: &mut errors,
    };
    if let Some(Value::String(lang)) = obj.get("language") {
        if lang != "kk" && lang != "ru" {
            c.fail("language", "must be \"kk\" or \"ru\"");
        }
    }
    let subject = match obj.get("piiPrincipalId") {
        Some(Value::String(s)) if is_uuid_v4(s) => Some(s.as_str()),
        Some(Value::String(_)) => {
            c.fail(
                "piiPrincipalId",
                "expected a lowercase UUID v4 (the subject id)",
            );
            None
        }
        _ => None, // reported by the schema
    };
    let chain = match obj.get("kelisim") {
        None => {
            c.fail("kelisim", "missing");
            None
        }
        Some(ext) => c.extension(ext, subject),
    };

    if !errors.is_empty() {
        return Err(errors);
    }
    let (seq, prev) = chain.ok_or_else(|| vec!["kelisim.chain: missing".to_string()])?;
    let id = obj.get("consentReceiptID").and_then(Value::as_str);
    match (id, subject) {
        (Some(id), Some(subject)) => Ok(Receipt {
            id: id.to_string(),
            subject: subject.to_string(),
            seq,
            prev,
            value,
        }),
        _ => Err(vec![
            "receipt: missing consentReceiptID or piiPrincipalId".into()
        ]),
    }
}

/// Collects errors with their paths.
struct Checker<'a> {
    errors: &'a mut Vec<String>,
}

impl Checker<'_> {
    fn fail(&mut self, path: &str, what: &str) {
        self.errors.push(format!("{path}: {what}"));
    }

    /// The member `key` of `obj` (at `at`), reporting it missing.
    fn member<'v>(
        &mut self,
        obj: &'v Map<String, Value>,
        at: &str,
        key: &str,
    ) -> Option<&'v Value> {
        let v = obj.get(key);
        if v.is_none() {
            self.fail(&join(at, key), "missing");
        }
        v
    }

    fn object<'v>(&mut self, v: &'v Value, path: &str) -> Option<&'v Map<String, Value>> {
        match v {
            Value::Object(m) => Some(m),
            other => {
                self.wrong_type(path, "object", other);
                None
            }
        }
    }

    fn wrong_type(&mut self, path: &str, want: &str, got: &Value) {
        let what = format!("expected {want}, got {}", type_name(got));
        self.fail(path, &what);
    }

    fn string<'v>(&mut self, obj: &'v Map<String, Value>, at: &str, key: &str) -> Option<&'v str> {
        match self.member(obj, at, key)? {
            Value::String(s) => Some(s),
            other => {
                self.wrong_type(&join(at, key), "string", other);
                None
            }
        }
    }

    fn boolean(&mut self, obj: &Map<String, Value>, at: &str, key: &str) -> Option<bool> {
        match self.member(obj, at, key)? {
            Value::Bool(b) => Some(*b),
            other => {
                self.wrong_type(&join(at, key), "boolean", other);
                None
            }
        }
    }

    fn one_of(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        key: &str,
        allowed: &[&str],
    ) -> Option<String> {
        let s = self.string(obj, at, key)?;
        if allowed.contains(&s) {
            Some(s.to_string())
        } else {
            let list: Vec<String> = allowed.iter().map(|a| format!("\"{a}\"")).collect();
            self.fail(
                &join(at, key),
                &format!("must be one of {}", list.join(", ")),
            );
            None
        }
    }

    fn instant(&mut self, obj: &Map<String, Value>, at: &str, key: &str) -> Option<i64> {
        let s = self.string(obj, at, key)?;
        // Receipts carry the full form the SDK writes (24 characters, with
        // milliseconds); the core's parser also reads shorter forms.
        let ms = Some(s)
            .filter(|s| s.len() == 24)
            .and_then(kelisim_core::time::parse_iso);
        if ms.is_none() {
            self.fail(
                &join(at, key),
                "expected an ISO 8601 UTC instant like 2026-11-22T10:00:00.000Z",
            );
        }
        ms
    }

    fn string_list(
        &mut self,
        obj: &Map<String, Value>,
        at: &str,
        key: &str,
    ) -> Option<Vec<String>> {
        let path = join(at, key);
        match self.member(obj, at, key)? {
            Value::Array(items) => {
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    match item {
                        Value::String(s) => out.push(s.clone()),
                        other => self.wrong_type(&format!("{path}[{i}]"), "string", other),
                    }
                }
                (out.len() == items.len()).then_some(out)
            }
            other => {
                self.wrong_type(&path, "array", other);
                None
            }
        }
    }

    fn flags(&mut self, obj: &Map<String, Value>, at: &str, key: &str) {
        let path = join(at, key);
        let Some(v) = self.member(obj, at, key) else {
            return;
        };
        let Some(map) = self.object(v, &path) else {
            return;
        };
        for (id, flag) in map {
            if !flag.is_boolean() {
                self.wrong_type(&join(&path, id), "boolean", flag);
            }
        }
    }

    /// Checks the `kelisim` object; returns `(seq, prev)` when the chain is
    /// well formed.
    fn extension(&mut self, ext: &Value, subject: Option<&str>) -> Option<(u64, Option<String>)> {
        let k = self.object(ext, "kelisim")?;
        match self.member(k, "kelisim", "v") {
            Some(v) if v.as_u64() == Some(1) => {}
            Some(v) if v.is_u64() || v.is_i64() => self.fail(
                "kelisim.v",
                "unsupported format version (this collector reads 1)",
            ),
            Some(other) => self.wrong_type("kelisim.v", "integer", other),
            None => {}
        }
        let event = self.one_of(k, "kelisim", "event", EVENTS);

        if let Some(consent) = self.member(k, "kelisim", "consent") {
            if let Some(c) = self.object(consent, "kelisim.consent") {
                let at = "kelisim.consent";
                if let Some(id) = self.string(c, at, "id") {
                    if !is_uuid_v4(id) {
                        self.fail("kelisim.consent.id", "expected a lowercase UUID v4");
                    }
                }
                self.one_of(c, at, "method", METHODS);
                self.flags(c, at, "categories");
                self.flags(c, at, "services");
                let given = self.instant(c, at, "givenAt");
                let expires = self.instant(c, at, "expiresAt");
                if let (Some(g), Some(e)) = (given, expires) {
                    if e <= g {
                        self.fail("kelisim.consent.expiresAt", "must be after givenAt");
                    }
                }
            }
        }

        if let Some(policy) = self.member(k, "kelisim", "policy") {
            if let Some(p) = self.object(policy, "kelisim.policy") {
                self.string(p, "kelisim.policy", "version");
                match self.member(p, "kelisim.policy", "revision") {
                    Some(r) if r.is_u64() => {}
                    Some(r) if r.is_i64() => {
                        self.fail("kelisim.policy.revision", "must be at least 0")
                    }
                    Some(other) => self.wrong_type("kelisim.policy.revision", "integer", other),
                    None => {}
                }
            }
        }

        if let Some(law) = self.member(k, "kelisim", "law94v") {
            self.law94v(law, subject);
        }

        let disclosure = k.get("disclosure");
        match (event.as_deref(), disclosure) {
            (Some("disclosure"), None) => self.fail(
                "kelisim.disclosure",
                "missing (required when event is \"disclosure\")",
            ),
            (Some("disclosure"), Some(d)) => self.disclosure(d),
            (Some(_), Some(_)) => self.fail(
                "kelisim.disclosure",
                "only allowed when event is \"disclosure\"",
            ),
            _ => {}
        }

        let chain = self.member(k, "kelisim", "chain")?;
        self.chain(chain)
    }

    fn law94v(&mut self, law: &Value, subject: Option<&str>) {
        let at = "kelisim.law94v";
        let Some(l) = self.object(law, at) else {
            return;
        };
        if let Some(op) = self.member(l, at, "operator") {
            if let Some(o) = self.object(op, "kelisim.law94v.operator") {
                self.string(o, "kelisim.law94v.operator", "name");
                if let Some(bin) = self.string(o, "kelisim.law94v.operator", "bin") {
                    if bin.len() != 12 || !bin.bytes().all(|b| b.is_ascii_digit()) {
                        self.fail("kelisim.law94v.operator.bin", "expected 12 digits (BIN)");
                    }
                }
            }
        }
        if let Some(s) = self.string(l, at, "subject") {
            if subject.is_some_and(|p| p != s) {
                self.fail("kelisim.law94v.subject", "must equal piiPrincipalId");
            }
        }
        self.instant(l, at, "validUntil");
        self.boolean(l, at, "thirdPartyTransfer");
        let cross = self.boolean(l, at, "crossBorderTransfer");
        if let Some(countries) = self.string_list(l, at, "crossBorderCountries") {
            let path = "kelisim.law94v.crossBorderCountries";
            for (i, c) in countries.iter().enumerate() {
                if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
                    self.fail(
                        &format!("{path}[{i}]"),
                        "expected an ISO 3166-1 alpha-2 code like \"RU\"",
                    );
                } else if c == "KZ" {
                    self.fail(&format!("{path}[{i}]"), "KZ is not a cross-border country");
                }
            }
            if countries.windows(2).any(|w| w[0] >= w[1]) {
                self.fail(path, "must be sorted and without repeats");
            }
            if cross == Some(false) && !countries.is_empty() {
                self.fail(path, "must be empty when crossBorderTransfer is false");
            }
        }
        self.boolean(l, at, "publicSources");
        self.string_list(l, at, "dataCollected");
    }

    fn disclosure(&mut self, d: &Value) {
        let at = "kelisim.disclosure";
        let Some(d) = self.object(d, at) else {
            return;
        };
        self.one_of(d, at, "kind", &["link", "oauth"]);
        self.string(d, at, "party");
        self.string(d, at, "host");
        self.one_of(d, at, "outcome", &["shown", "continued", "cancelled"]);
    }

    fn chain(&mut self, chain: &Value) -> Option<(u64, Option<String>)> {
        let at = "kelisim.chain";
        let c = self.object(chain, at)?;
        let seq = match self.member(c, at, "seq")? {
            Value::Number(n) if n.as_u64().is_some_and(|s| s >= 1) => n.as_u64(),
            Value::Number(n) if n.is_i64() || n.is_u64() => {
                self.fail("kelisim.chain.seq", "must be at least 1");
                None
            }
            other => {
                self.wrong_type("kelisim.chain.seq", "integer", other);
                None
            }
        };
        let prev = match self.member(c, at, "prev")? {
            Value::Null => None,
            Value::String(h) if is_hex64(h) => Some(h.clone()),
            Value::String(_) => {
                self.fail(
                    "kelisim.chain.prev",
                    "expected 64 lowercase hex digits (SHA-256) or null",
                );
                return None;
            }
            other => {
                self.wrong_type("kelisim.chain.prev", "string or null", other);
                return None;
            }
        };
        let seq = seq?;
        match (seq, &prev) {
            (1, Some(_)) => {
                self.fail("kelisim.chain.prev", "must be null when seq is 1");
                None
            }
            (2.., None) => {
                self.fail(
                    "kelisim.chain.prev",
                    "missing hash of the previous receipt (seq > 1)",
                );
                None
            }
            _ => Some((seq, prev)),
        }
    }
}

fn join(at: &str, key: &str) -> String {
    if at.is_empty() {
        key.to_string()
    } else {
        format!("{at}.{key}")
    }
}

/// Reports every number that is not an integer within ±(2^53 − 1).
fn integers_only(value: &Value, path: &mut String, errors: &mut Vec<String>) {
    match value {
        Value::Number(n) => {
            let ok = n.as_i64().is_some_and(|i| i.abs() <= MAX_SAFE_INTEGER);
            if !ok {
                let at = if path.is_empty() {
                    "receipt"
                } else {
                    path.as_str()
                };
                errors.push(format!(
                    "{at}: numbers in a receipt must be integers within ±9007199254740991"
                ));
            }
        }
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                integers_only(item, path, errors);
                path.truncate(len);
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                integers_only(item, path, errors);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

/// A lowercase UUID version 4 (`xxxxxxxx-xxxx-4xxx-[89ab]xxx-xxxxxxxxxxxx`).
pub fn is_uuid_v4(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            14 => c == b'4',
            19 => matches!(c, b'8' | b'9' | b'a' | b'b'),
            _ => matches!(c, b'0'..=b'9' | b'a'..=b'f'),
        })
}

/// 64 lowercase hex digits.
pub fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|c| matches!(c, b'0'..=b'9' | b'a'..=b'f'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_vendored_schema_parses() {
        let s = kantara_schema();
        // Sanity: an empty object misses all eleven required fields.
        assert_eq!(s.validate(&serde_json::json!({})).len(), 11);
    }

    #[test]
    fn uuid_and_hex_shapes() {
        assert!(is_uuid_v4("6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"));
        assert!(!is_uuid_v4("6F1C2A3B-4D5E-4F60-8A7B-9C0D1E2F3A4B"));
        assert!(!is_uuid_v4("6f1c2a3b-4d5e-1f60-8a7b-9c0d1e2f3a4b"));
        assert!(!is_uuid_v4("6f1c2a3b-4d5e-4f60-7a7b-9c0d1e2f3a4b"));
        assert!(!is_uuid_v4("6f1c2a3b4d5e4f608a7b9c0d1e2f3a4b"));
        assert!(is_hex64(&"a0".repeat(32)));
        assert!(!is_hex64(&"A0".repeat(32)));
        assert!(!is_hex64(&"a0".repeat(31)));
    }
}
