//! A minimal JSON-shaped value tree.
//!
//! The browser parses JSON (`JSON.parse`, `Response.json()`); the shell walks the
//! resulting JS object into a [`Value`], and the core decodes that. Keeping this
//! tree tiny is deliberate: it avoids compiling a JSON parser or serde's generic
//! machinery into the wasm module.

use alloc::string::String;
use alloc::vec::Vec;


/// A one-character pattern for `split` and friends. Searching for a `char`
/// directly goes through `memchr`, which is several times larger in wasm than
/// comparing chars one by one; this is the same search, as one predicate type.
pub fn char_is(sep: char) -> impl Fn(char) -> bool + Copy {
    move |c| c == sep
}

/// Whether every byte of `s` passes `ok`: one loop for all the byte-class
/// checks instead of one iterator instantiation per closure.
pub fn all_bytes(s: &str, ok: fn(u8) -> bool) -> bool {
    s.bytes().all(ok)
}

/// Joins string pieces (instead of `format!`, which pulls in the formatting
/// machinery). Used by the core's error messages and the shell's.
pub fn cat(parts: &[&str]) -> String {
    let mut out = String::new();
    for part in parts {
        out.push_str(part);
    }
    out
}

/// Appends `n` in decimal (no formatting machinery, so it stays small in wasm).
pub fn push_int(out: &mut String, n: i64) {
    if n < 0 {
        out.push('-');
    }
    push_digits(out, n.unsigned_abs());
}

/// Most significant digit first; at most 20 levels deep. Only divides by
/// the constant 10, so there is no division-by-zero check to carry.
fn push_digits(out: &mut String, n: u64) {
    if n >= 10 {
        push_digits(out, n / 10);
    }
    out.push((b'0' + (n % 10) as u8) as char);
}

/// Where a value sits in a tree (`categories[2].title.kk`), kept as a chain of
/// borrowed segments on the stack and written out only when an error needs it.
#[derive(Debug, Clone, Copy)]
pub enum Path<'a> {
    /// The root (written as nothing).
    Root,
    /// A named root such as `setConsent`.
    Named(&'a str),
    /// A key of an object.
    Key(&'a Path<'a>, &'a str),
    /// An index into an array.
    Index(&'a Path<'a>, usize),
}

impl Path<'_> {
    /// Appends the path to `out`, which holds only the parent's path so far:
    /// keys joined by `.` (none before the first), indexes as `[i]`.
    fn write(&self, out: &mut String) {
        match *self {
            Path::Root => {}
            Path::Named(name) => out.push_str(name),
            Path::Key(parent, key) => {
                parent.write(out);
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Path::Index(parent, i) => {
                parent.write(out);
                out.push('[');
                push_int(out, i as i64);
                out.push(']');
            }
        }
    }

    /// The path as a string.
    pub fn render(&self) -> String {
        let mut out = String::new();
        self.write(&mut out);
        out
    }
}

/// A JSON value. Object keys keep their source order.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `null` (and JS `undefined`).
    Null,
    /// `true` / `false`.
    Bool(bool),
    /// Any number.
    Num(f64),
    /// A string.
    Str(String),
    /// An array.
    Arr(Vec<Value>),
    /// An object, as ordered key/value pairs.
    Obj(Vec<(String, Value)>),
}

/// A document parsed by serde_json, as a [`Value`]: how the native tools (the
/// command line, the collector, the importer, the fuzz targets) and the tests
/// read JSON. The browser modules never compile this: they walk the JS object
/// the browser parsed (`kelisim-web`'s `convert`).
#[cfg(any(test, feature = "serde_json"))]
impl Value {
    /// `None` when a value sits deeper than `max_depth` (the root is at depth 0,
    /// an item of a root array or object at 1).
    pub fn from_json(v: &serde_json::Value, max_depth: usize) -> Option<Value> {
        Value::from_json_at(v, 0, max_depth)
    }

    fn from_json_at(v: &serde_json::Value, depth: usize, max_depth: usize) -> Option<Value> {
        use serde_json::Value as J;
        if depth > max_depth {
            return None;
        }
        let inner = |v| Value::from_json_at(v, depth + 1, max_depth);
        Some(match v {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            // Without serde_json's arbitrary precision every number has an f64.
            J::Number(n) => Value::Num(n.as_f64().unwrap_or(f64::NAN)),
            J::String(s) => Value::Str(s.clone()),
            J::Array(a) => Value::Arr(a.iter().map(inner).collect::<Option<_>>()?),
            J::Object(o) => Value::Obj(o.iter().map(|(k, v)| Some((k.clone(), inner(v)?))).collect::<Option<_>>()?),
        })
    }
}

#[cfg(any(test, feature = "serde_json"))]
impl From<&serde_json::Value> for Value {
    /// [`Value::from_json`] without a depth limit (serde_json's parser has its own).
    fn from(v: &serde_json::Value) -> Value {
        Value::from_json(v, usize::MAX).unwrap_or(Value::Null)
    }
}

impl Value {
    /// The name of this value's JSON type, for error messages.
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "a boolean",
            Value::Num(_) => "a number",
            Value::Str(_) => "a string",
            Value::Arr(_) => "an array",
            Value::Obj(_) => "an object",
        }
    }

    /// Looks up `key` in an object; `None` for other kinds or a missing key.
    pub fn get(&self, key: &str) -> Option<&Value> {
        match self {
            Value::Obj(pairs) => pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v),
            _ => None,
        }
    }

    /// Builds an object from pairs (handy in tests and in the shell).
    pub fn obj<K: Into<String>>(pairs: impl IntoIterator<Item = (K, Value)>) -> Value {
        Value::Obj(pairs.into_iter().map(|(k, v)| (k.into(), v)).collect())
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// Builds a string value.
    pub fn str(s: impl Into<String>) -> Value {
        Value::Str(s.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_documents_become_values_within_a_depth() {
        let doc: serde_json::Value = serde_json::from_str(r#"{"a": [1, 2.5, -3e2, true, null, "x"], "b": {"c": []}}"#).unwrap();
        let v = Value::from(&doc);
        let Value::Obj(pairs) = &v else { panic!("an object: {v:?}") };
        assert_eq!(pairs[0].0, "a");
        assert_eq!(
            pairs[0].1,
            Value::Arr(alloc::vec![Value::Num(1.0), Value::Num(2.5), Value::Num(-300.0), Value::Bool(true), Value::Null, Value::Str("x".into())])
        );
        assert_eq!(pairs[1], ("b".into(), Value::Obj(alloc::vec![("c".into(), Value::Arr(alloc::vec![]))])));
        // The deepest value of `doc` (the empty array) is at depth 2.
        assert_eq!(Value::from_json(&doc, 2).as_ref(), Some(&v));
        assert_eq!(Value::from_json(&doc, 1), None);
        let deeper: serde_json::Value = serde_json::from_str(r#"{"b": {"c": [1]}}"#).unwrap();
        assert_eq!(Value::from_json(&deeper, 2), None);
        assert!(Value::from_json(&deeper, 3).is_some());
        assert_eq!(Value::from_json(&serde_json::json!(7), 0), Some(Value::Num(7.0)));
    }

    #[test]
    fn paths_and_numbers_render_like_format() {
        let root = Path::Root;
        let cats = Path::Key(&root, "categories");
        let item = Path::Index(&cats, 12);
        let title = Path::Key(&item, "title");
        assert_eq!(title.render(), "categories[12].title");
        assert_eq!(Path::Index(&root, 0).render(), "[0]");
        let named = Path::Named("setConsent");
        assert_eq!(Path::Key(&named, "x").render(), "setConsent.x");
        for n in [0i64, 7, 10, 2_147_483_647, -42, i64::MIN, i64::MAX] {
            let mut s = String::new();
            push_int(&mut s, n);
            assert_eq!(s, n.to_string());
        }
    }
}
