//! The Kantara v1.1 schema (JSON Schema draft-04), checked with the
//! maintained `jsonschema` crate. Errors are written `path: what is wrong`,
//! with paths like `services[0].purposes[1].piiCategory[0]`, the same shape
//! as the rest of the collector's answers.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::Validator;
use serde_json::Value;

/// A compiled schema.
pub struct Schema(Validator);

impl std::fmt::Debug for Schema {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Schema")
    }
}

/// The JSON type of `value` as the collector names it (`integer` for whole
/// numbers).
pub fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// `/services/0/purposes` → `services[0].purposes`; the root is `receipt`.
fn show(pointer: &str) -> String {
    let mut out = String::new();
    for seg in pointer.split('/').skip(1) {
        let seg = seg.replace("~1", "/").replace("~0", "~");
        if !seg.is_empty() && seg.bytes().all(|b| b.is_ascii_digit()) {
            out.push('[');
            out.push_str(&seg);
            out.push(']');
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(&seg);
        }
    }
    if out.is_empty() {
        "receipt".to_string()
    } else {
        out
    }
}

impl Schema {
    /// Compiles a draft-04 schema given as JSON text. Lines whose first
    /// non-blank characters are `//` are dropped first (the published Kantara
    /// file starts with two).
    pub fn parse(text: &str) -> Result<Schema, String> {
        let json: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let schema: Value =
            serde_json::from_str(&json).map_err(|e| format!("schema is not JSON: {e}"))?;
        jsonschema::draft4::new(&schema)
            .map(Schema)
            .map_err(|e| format!("schema: {e}"))
    }

    /// Every way `value` violates the schema, as `path: what is wrong`.
    pub fn validate(&self, value: &Value) -> Vec<String> {
        // The same check, cheaper for the usual, valid receipt: the
        // validator answers yes/no without building error values; only an
        // invalid receipt is walked again to say what is wrong.
        if self.0.is_valid(value) {
            return Vec::new();
        }
        let mut out = Vec::new();
        for e in self.0.iter_errors(value) {
            describe(&e, &mut out);
        }
        out.dedup();
        out
    }
}

/// Writes one validation error. For a failed `oneOf`/`anyOf`, the errors of
/// the alternative the value was most likely meant for: one whose `enum`
/// discriminators it matches, with the fewest errors.
fn describe(e: &jsonschema::ValidationError<'_>, out: &mut Vec<String>) {
    let path = show(e.instance_path.as_str());
    let line = match &e.kind {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            let discriminated = |branch: &&Vec<jsonschema::ValidationError<'static>>| {
                !branch
                    .iter()
                    .any(|e| matches!(e.kind, ValidationErrorKind::Enum { .. }))
            };
            let best = context
                .iter()
                .filter(discriminated)
                .min_by_key(|b| b.len())
                .or_else(|| context.iter().min_by_key(|b| b.len()));
            match best {
                Some(branch) if !branch.is_empty() => {
                    for sub in branch {
                        describe(sub, out);
                    }
                    return;
                }
                _ => format!("{path}: matches none of the allowed shapes"),
            }
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or("?");
            let at = if path == "receipt" {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            format!("{at}: missing")
        }
        ValidationErrorKind::Type { kind } => {
            let want = match kind {
                TypeKind::Single(t) => t.to_string(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| t.to_string())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            format!("{path}: expected {want}, got {}", type_name(&e.instance))
        }
        ValidationErrorKind::Minimum { limit } => format!("{path}: must be at least {limit}"),
        ValidationErrorKind::Maximum { limit } => format!("{path}: must be at most {limit}"),
        ValidationErrorKind::Enum { options } => format!("{path}: must be one of {options}"),
        _ => format!("{path}: {e}"),
    };
    out.push(line);
}
