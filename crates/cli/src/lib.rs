//! `kelisim check-config`: checks a site's config before deploy and reports
//! every problem with its field path (`categories[2].title.kk: missing`).
//!
//! Two passes, because the SDK's decoder (the core's [`config::decode`],
//! built small for the banner's wasm module) stops at the first problem:
//!
//! 1. the published JSON Schema (`schema/kelisim-config.schema.json`, the
//!    same file editors use for completion and squiggles) finds every
//!    structural problem at once: types, missing and unknown fields, id and
//!    URL forms, limits;
//! 2. the core's own decoder then says what a schema cannot (ids unique
//!    across categories and services, references to `thirdParties[].id`,
//!    texts in every configured language, `consentMode.mapping` ids, receipt
//!    sizes), in the SDK's exact words. After each of its problems the
//!    offending field is set aside (an optional field removed, a duplicate id
//!    renamed) and it decodes again, so several such problems are reported
//!    too. Where the two passes name the same field, the decoder's message
//!    is kept; the config is valid only when the decoder accepts it, so the
//!    schema can never pass a config the SDK would refuse.

use kelisim_core::config::{self, ConfigError};
use kelisim_core::receipt;
use kelisim_core::value::Value;

/// The config's JSON Schema (draft 2020-12).
pub const SCHEMA: &str = include_str!("../../../schema/kelisim-config.schema.json");

/// One problem: where (`""` for the whole file) and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// The field path, as the SDK writes it: `categories[2].title.kk`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "config: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// A JSON value as the core's [`Value`].
pub fn to_value(j: &serde_json::Value) -> Value {
    match j {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(*b),
        serde_json::Value::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::Str(s.clone()),
        serde_json::Value::Array(a) => Value::Arr(a.iter().map(to_value).collect()),
        serde_json::Value::Object(o) => Value::Obj(o.iter().map(|(k, v)| (k.clone(), to_value(v))).collect()),
    }
}

/// A path segment.
#[derive(Debug, Clone, PartialEq)]
enum Seg {
    Key(String),
    Index(usize),
}

fn render(segs: &[Seg]) -> String {
    let mut out = String::new();
    for s in segs {
        match s {
            Seg::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    out
}

/// The segments of a JSON Pointer (`/categories/2/title`), read against the
/// document so that array indexes become `[2]`.
fn pointer_segments(pointer: &str, doc: &serde_json::Value) -> Vec<Seg> {
    let mut segs = Vec::new();
    let mut cur = Some(doc);
    for raw in pointer.split('/').skip(1) {
        let key = raw.replace("~1", "/").replace("~0", "~");
        match (cur, key.parse::<usize>()) {
            (Some(serde_json::Value::Array(a)), Ok(i)) => {
                cur = a.get(i);
                segs.push(Seg::Index(i));
            }
            (Some(serde_json::Value::Object(o)), _) => {
                cur = o.get(&key);
                segs.push(Seg::Key(key));
            }
            _ => {
                cur = None;
                segs.push(Seg::Key(key));
            }
        }
    }
    segs
}

/// The segments of a path the core wrote (`categories[2].title.kk`). Keys
/// holding `.` or `[` (header names) are read as far as they can be.
fn path_segments(path: &str) -> Vec<Seg> {
    let mut segs = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if !key.is_empty() {
            segs.push(Seg::Key(key.to_string()));
        }
        while let Some(end) = rest.find(']') {
            match rest[1..end].parse() {
                Ok(i) => segs.push(Seg::Index(i)),
                Err(_) => return segs,
            }
            rest = &rest[end + 1..];
        }
    }
    segs
}

/// Problems the JSON Schema finds.
/// `v` without object members that are `null`: the SDK reads those as
/// absent (the schema, for editors, wants them left out).
fn without_nulls(v: &serde_json::Value) -> serde_json::Value {
    match v {
        serde_json::Value::Object(o) => {
            serde_json::Value::Object(o.iter().filter(|(_, x)| !x.is_null()).map(|(k, x)| (k.clone(), without_nulls(x))).collect())
        }
        serde_json::Value::Array(a) => serde_json::Value::Array(a.iter().map(without_nulls).collect()),
        other => other.clone(),
    }
}

/// Problems the JSON Schema finds (object members that are `null` count as absent, as in the SDK).
pub fn schema_problems(doc: &serde_json::Value) -> Vec<Problem> {
    let doc = &without_nulls(doc);
    static VALIDATOR: std::sync::OnceLock<jsonschema::Validator> = std::sync::OnceLock::new();
    let validator = VALIDATOR.get_or_init(|| {
        let schema: serde_json::Value = serde_json::from_str(SCHEMA).expect("the embedded schema is JSON");
        jsonschema::validator_for(&schema).expect("the embedded schema is valid")
    });
    let mut out: Vec<Problem> = Vec::new();
    for e in validator.iter_errors(doc) {
        let at = pointer_segments(&e.instance_path.to_string(), doc);
        let mut push = |segs: &[Seg], message: String| {
            let p = Problem { path: render(segs), message };
            if !out.contains(&p) {
                out.push(p);
            }
        };
        match &e.kind {
            jsonschema::error::ValidationErrorKind::Required { property } => {
                let mut segs = at.clone();
                segs.push(Seg::Key(property.as_str().unwrap_or_default().to_string()));
                push(&segs, "missing".into());
            }
            jsonschema::error::ValidationErrorKind::AdditionalProperties { unexpected } => {
                for u in unexpected {
                    let mut segs = at.clone();
                    segs.push(Seg::Key(u.clone()));
                    push(&segs, "unknown field".into());
                }
            }
            _ => push(&at, e.to_string()),
        }
    }
    out
}

fn related(a: &[Seg], b: &[Seg]) -> bool {
    let n = a.len().min(b.len());
    a[..n] == b[..n]
}

fn text(s: &str) -> Value {
    Value::obj([("kk", Value::str(s)), ("ru", Value::str(s))])
}

/// A valid stand-in for a required field the decoder stopped at, so it can
/// go on to the next problem. None for fields that may simply be left out.
fn stand_in(segs: &[Seg], key: &str, n: usize) -> Option<Value> {
    let top = match segs.first() {
        Some(Seg::Key(k)) => k.as_str(),
        _ => "",
    };
    Some(match key {
        "id" => Value::Str(format!("check-config-{n}")),
        "kk" | "ru" if top == "policy" => Value::str("/"),
        "kk" | "ru" => Value::str("x"),
        "bin" => Value::str("000000000000"),
        "country" => Value::str("KZ"),
        "policyUrl" => Value::str("https://example.invalid/"),
        "endpoint" => Value::str("/"),
        "version" => Value::str("x"),
        "revision" => Value::Num(0.0),
        "url" if top == "policy" => text("/"),
        "name" | "title" | "description" | "collects" | "purpose" | "receives" if segs.len() > 1 => text("x"),
        "domains" => Value::Arr(vec![Value::str("example.invalid")]),
        "controller" => Value::obj([("name", text("x")), ("bin", Value::str("000000000000"))]),
        "policy" => Value::obj([("version", Value::str("x")), ("revision", Value::Num(0.0)), ("url", text("/"))]),
        "categories" => Value::Arr(vec![Value::obj([("id", Value::Str(format!("check-config-{n}"))), ("title", text("x")), ("description", text("x"))])]),
        _ => return None,
    })
}

/// Sets aside the field at `segs` so the decoder can go on: a required field
/// gets a valid stand-in (a bad or duplicate `id` a fresh one), any other
/// field is removed. False when nothing can be done (an array item, the root).
fn set_aside(v: &mut Value, segs: &[Seg], n: usize) -> bool {
    let Some((last, parents)) = segs.split_last() else { return false };
    let mut cur = v;
    for s in parents {
        cur = match (s, cur) {
            (Seg::Key(k), Value::Obj(pairs)) => match pairs.iter_mut().find(|(x, _)| x == k) {
                Some((_, v)) => v,
                None => return false,
            },
            (Seg::Index(i), Value::Arr(items)) => match items.get_mut(*i) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    let (Seg::Key(k), Value::Obj(pairs)) = (last, cur) else { return false };
    let at = pairs.iter().position(|(x, _)| x == k);
    match (stand_in(segs, k, n), at) {
        (Some(v), Some(i)) => pairs[i].1 = v,
        (Some(v), None) => pairs.push((k.clone(), v)),
        (None, Some(i)) => {
            pairs.remove(i);
        }
        (None, None) => return false,
    }
    true
}

/// Checks a config file's text; `Ok` when the SDK will accept it. Every
/// problem found comes back, in the order of the passes.
pub fn check(text: &str) -> Result<(), Vec<Problem>> {
    let doc: serde_json::Value = match serde_json::from_str(text) {
        Ok(d) => d,
        Err(e) => {
            return Err(vec![Problem {
                path: String::new(),
                message: format!("not valid JSON: {e}"),
            }])
        }
    };
    let mut problems = schema_problems(&doc);
    let mut value = to_value(&doc);
    let mut last: Option<String> = None;
    let mut core_paths: Vec<String> = Vec::new();
    for n in 0..256 {
        let err: ConfigError = match config::decode(&value) {
            Ok(cfg) => match doc.get("receipts").map(|_| receipt::check(&cfg)) {
                Some(Err(e)) => e,
                _ => break,
            },
            Err(e) => e,
        };
        if last.as_deref() == Some(err.path.as_str()) {
            break;
        }
        let segs = path_segments(&err.path);
        if core_paths.contains(&err.path) {
            // Already reported by the decoder (a field set aside that a later check misses).
        } else if let Some(p) = problems.iter_mut().find(|p| p.path == err.path) {
            p.message = err.message.clone();
        } else if !problems.iter().any(|p| related(&path_segments(&p.path), &segs)) {
            problems.push(Problem { path: err.path.clone(), message: err.message.clone() });
        }
        core_paths.push(err.path.clone());
        if !set_aside(&mut value, &segs, n) {
            break;
        }
        last = Some(err.path);
    }
    if problems.is_empty() {
        // The decoder has the last word: nothing passes that the SDK would refuse.
        if let Err(e) = config::decode(&to_value(&doc)) {
            problems.push(Problem { path: e.path, message: e.message });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
