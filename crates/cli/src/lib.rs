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
//! 2. [`kelisim_check::config`] then says what a schema cannot (ids unique
//!    across categories and services, references to `thirdParties[].id`,
//!    texts in every configured language, `consentMode.mapping` ids, receipt
//!    sizes), in the SDK's exact words: it runs the decoder again after
//!    setting each problem's field aside, so several such problems are
//!    reported too (the configurator page uses the same function). Where the
//!    two passes name the same field, the decoder's message is kept; the
//!    config is valid only when the decoder accepts it, so the schema can
//!    never pass a config the SDK would refuse.

use kelisim_check::{self as check, segments, Seg};
#[cfg(doc)]
use kelisim_core::config;
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
    for err in check::config(&Value::from(&doc)) {
        let segs = segments(&err.path);
        if let Some(p) = problems.iter_mut().find(|p| p.path == err.path) {
            p.message = err.message;
        } else if !problems.iter().any(|p| related(&segments(&p.path), &segs)) {
            problems.push(Problem { path: err.path, message: err.message });
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}
