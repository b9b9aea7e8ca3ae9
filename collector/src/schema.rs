//! A small JSON Schema (draft-04) interpreter: the subset the Kantara
//! consent-receipt schema uses, and a few neighbours.
//!
//! Supported keywords: `type` (a name or a list), `properties`, `required`,
//! `additionalProperties` (boolean or schema), `items` (one schema or a
//! list), `minItems`, `maxItems`, `uniqueItems`, `minLength`, `maxLength`,
//! `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum` (draft-04
//! booleans), `enum`, `oneOf`, `anyOf`, `allOf`, `not`, and the annotations
//! `$schema`, `id`, `title`, `description`, `default`. Loading a schema that
//! uses anything else (`$ref`, `pattern`, `format`, …) fails, so a schema this
//! interpreter cannot enforce is never half-applied.
//!
//! Errors are `path: what is wrong`, with paths written like
//! `services[0].purposes[2].thirdPartyName` (the same style as the banner's
//! config errors); a problem with the document itself uses the path
//! `receipt`.
//!
//! ```
//! use kelisim_collector::schema::Schema;
//! let schema = Schema::parse(r#"{"type": "object", "required": ["a"],
//!     "properties": {"a": {"type": "integer", "minimum": 0}}}"#).unwrap();
//! let v = serde_json::json!({"a": -1});
//! assert_eq!(schema.validate(&v), vec!["a: must be at least 0".to_string()]);
//! ```

use serde_json::{Map, Value};

/// A loaded schema.
#[derive(Clone, Debug)]
pub struct Schema {
    root: Value,
}

const KEYWORDS: &[&str] = &[
    "$schema",
    "id",
    "title",
    "description",
    "default",
    "type",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "uniqueItems",
    "minLength",
    "maxLength",
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "enum",
    "oneOf",
    "anyOf",
    "allOf",
    "not",
];

const TYPES: &[&str] = &[
    "null", "boolean", "integer", "number", "string", "array", "object",
];

impl Schema {
    /// Parses a schema text. Lines whose first non-blank characters are `//`
    /// are dropped first (the published Kantara file starts with two).
    pub fn parse(text: &str) -> Result<Schema, String> {
        let json: String = text
            .lines()
            .filter(|line| !line.trim_start().starts_with("//"))
            .collect::<Vec<_>>()
            .join("\n");
        let root: Value =
            serde_json::from_str(&json).map_err(|e| format!("schema is not JSON: {e}"))?;
        check_schema(&root, "#")?;
        Ok(Schema { root })
    }

    /// Every way `value` breaks the schema; empty when it is valid.
    pub fn validate(&self, value: &Value) -> Vec<String> {
        let mut errors = Vec::new();
        validate(&self.root, value, &mut Vec::new(), &mut errors);
        dedup(errors.into_iter().map(|p| p.text).collect())
    }
}

fn check_schema(schema: &Value, at: &str) -> Result<(), String> {
    let map = match schema {
        Value::Object(map) => map,
        Value::Bool(_) => {
            return Err(format!(
                "{at}: boolean schemas are not draft-04 (only additionalProperties may be false)"
            ))
        }
        _ => return Err(format!("{at}: a schema must be an object")),
    };
    for (key, sub) in map {
        if !KEYWORDS.contains(&key.as_str()) {
            return Err(format!("{at}: keyword {key:?} is not supported"));
        }
        let here = format!("{at}/{key}");
        match key.as_str() {
            "type" => {
                let names: Vec<&Value> = match sub {
                    Value::Array(list) => list.iter().collect(),
                    one => vec![one],
                };
                for name in names {
                    if !name.as_str().is_some_and(|n| TYPES.contains(&n)) {
                        return Err(format!("{here}: unknown type {name}"));
                    }
                }
            }
            "properties" => {
                let props = sub
                    .as_object()
                    .ok_or_else(|| format!("{here}: must be an object"))?;
                for (name, s) in props {
                    check_schema(s, &format!("{here}/{name}"))?;
                }
            }
            "required" | "enum" => {
                let list = sub
                    .as_array()
                    .ok_or_else(|| format!("{here}: must be an array"))?;
                if key == "required" && !list.iter().all(Value::is_string) {
                    return Err(format!("{here}: must list property names"));
                }
            }
            "additionalProperties" if sub.is_boolean() => {}
            "additionalProperties" | "not" => check_schema(sub, &here)?,
            "items" => match sub {
                Value::Array(list) => {
                    for (i, s) in list.iter().enumerate() {
                        check_schema(s, &format!("{here}/{i}"))?;
                    }
                }
                s => check_schema(s, &here)?,
            },
            "oneOf" | "anyOf" | "allOf" => {
                let list = sub
                    .as_array()
                    .filter(|l| !l.is_empty())
                    .ok_or_else(|| format!("{here}: must be a non-empty array"))?;
                for (i, s) in list.iter().enumerate() {
                    check_schema(s, &format!("{here}/{i}"))?;
                }
            }
            "minItems" | "maxItems" | "minLength" | "maxLength" if sub.as_u64().is_none() => {
                return Err(format!("{here}: must be a non-negative integer"))
            }
            "minimum" | "maximum" if !sub.is_number() => {
                return Err(format!("{here}: must be a number"))
            }
            "exclusiveMinimum" | "exclusiveMaximum" | "uniqueItems" if !sub.is_boolean() => {
                return Err(format!("{here}: must be a boolean"))
            }
            _ => {}
        }
    }
    Ok(())
}

/// One step of a JSON path.
#[derive(Clone, Debug)]
enum Step {
    Key(String),
    Index(usize),
}

type Path = Vec<Step>;

/// Writes a path as `a.b[2].c`; the empty path is `receipt`.
fn show(path: &[Step]) -> String {
    if path.is_empty() {
        return "receipt".to_string();
    }
    let mut out = String::new();
    for step in path {
        match step {
            Step::Key(k) => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(k);
            }
            Step::Index(i) => {
                out.push('[');
                out.push_str(&i.to_string());
                out.push(']');
            }
        }
    }
    out
}

/// The JSON type name of a value; integers are `integer`.
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

fn has_type(value: &Value, name: &str) -> bool {
    let actual = type_name(value);
    actual == name || (name == "number" && actual == "integer")
}

/// One error, and whether it is a value outside an `enum` (which, inside a
/// `oneOf`, usually means "the other alternative was meant").
#[derive(Clone, Debug)]
struct Problem {
    text: String,
    enum_mismatch: bool,
}

fn err(errors: &mut Vec<Problem>, path: &[Step], what: impl AsRef<str>) {
    errors.push(Problem {
        text: format!("{}: {}", show(path), what.as_ref()),
        enum_mismatch: false,
    });
}

fn validate(schema: &Value, value: &Value, path: &mut Path, errors: &mut Vec<Problem>) {
    let Some(map) = schema.as_object() else {
        return;
    };

    if let Some(t) = map.get("type") {
        let names: Vec<&str> = match t {
            Value::Array(list) => list.iter().filter_map(Value::as_str).collect(),
            one => one.as_str().into_iter().collect(),
        };
        if !names.iter().any(|n| has_type(value, n)) {
            let want = names.join(" or ");
            err(
                errors,
                path,
                format!("expected {want}, got {}", type_name(value)),
            );
            // Nothing below makes sense for a value of the wrong type.
            return;
        }
    }

    if let Some(list) = map.get("enum").and_then(Value::as_array) {
        if !list.contains(value) {
            let shown: Vec<String> = list.iter().map(Value::to_string).collect();
            if shown.len() == 1 {
                err(errors, path, format!("must be {}", shown[0]));
            } else {
                err(errors, path, format!("must be one of {}", shown.join(", ")));
            }
            if let Some(last) = errors.last_mut() {
                last.enum_mismatch = true;
            }
        }
    }

    if let Value::Number(n) = value {
        let x = n.as_f64().unwrap_or(f64::NAN);
        let flag = |k: &str| map.get(k).and_then(Value::as_bool).unwrap_or(false);
        if let Some(min) = map.get("minimum").and_then(Value::as_f64) {
            if flag("exclusiveMinimum") && x <= min {
                err(
                    errors,
                    path,
                    format!("must be more than {}", map["minimum"]),
                );
            } else if x < min {
                err(errors, path, format!("must be at least {}", map["minimum"]));
            }
        }
        if let Some(max) = map.get("maximum").and_then(Value::as_f64) {
            if flag("exclusiveMaximum") && x >= max {
                err(
                    errors,
                    path,
                    format!("must be less than {}", map["maximum"]),
                );
            } else if x > max {
                err(errors, path, format!("must be at most {}", map["maximum"]));
            }
        }
    }

    if let Value::String(s) = value {
        let len = s.chars().count() as u64;
        if let Some(min) = map.get("minLength").and_then(Value::as_u64) {
            if len < min {
                err(errors, path, format!("needs at least {min} characters"));
            }
        }
        if let Some(max) = map.get("maxLength").and_then(Value::as_u64) {
            if len > max {
                err(errors, path, format!("allows at most {max} characters"));
            }
        }
    }

    if let Value::Array(items) = value {
        validate_array(map, items, path, errors);
    }

    if let Value::Object(obj) = value {
        validate_object(map, obj, path, errors);
    }

    if let Some(list) = map.get("allOf").and_then(Value::as_array) {
        for sub in list {
            validate(sub, value, path, errors);
        }
    }
    if let Some(list) = map.get("anyOf").and_then(Value::as_array) {
        let results = branches(list, value, path);
        if results.iter().all(|r| !r.is_empty()) {
            err(errors, path, "matches none of the anyOf alternatives");
            errors.extend(closest(results));
        }
    }
    if let Some(list) = map.get("oneOf").and_then(Value::as_array) {
        let results = branches(list, value, path);
        let passing = results.iter().filter(|r| r.is_empty()).count();
        if passing == 0 {
            err(errors, path, "matches none of the oneOf alternatives");
            errors.extend(closest(results));
        } else if passing > 1 {
            err(
                errors,
                path,
                format!("matches {passing} of the oneOf alternatives; exactly one must match"),
            );
        }
    }
    if let Some(sub) = map.get("not") {
        let mut inner = Vec::new();
        validate(sub, value, path, &mut inner);
        if inner.is_empty() {
            err(errors, path, "matches a schema it must not match (not)");
        }
    }
}

fn validate_array(
    map: &Map<String, Value>,
    items: &[Value],
    path: &mut Path,
    errors: &mut Vec<Problem>,
) {
    if let Some(min) = map.get("minItems").and_then(Value::as_u64) {
        if (items.len() as u64) < min {
            err(errors, path, format!("needs at least {min} items"));
        }
    }
    if let Some(max) = map.get("maxItems").and_then(Value::as_u64) {
        if items.len() as u64 > max {
            err(errors, path, format!("allows at most {max} items"));
        }
    }
    if map.get("uniqueItems").and_then(Value::as_bool) == Some(true) {
        for (i, item) in items.iter().enumerate() {
            if items[..i].contains(item) {
                path.push(Step::Index(i));
                err(errors, path, "repeats an earlier item");
                path.pop();
            }
        }
    }
    match map.get("items") {
        Some(Value::Array(tuple)) => {
            for (i, (sub, item)) in tuple.iter().zip(items).enumerate() {
                path.push(Step::Index(i));
                validate(sub, item, path, errors);
                path.pop();
            }
        }
        Some(sub) => {
            for (i, item) in items.iter().enumerate() {
                path.push(Step::Index(i));
                validate(sub, item, path, errors);
                path.pop();
            }
        }
        None => {}
    }
}

fn validate_object(
    map: &Map<String, Value>,
    obj: &Map<String, Value>,
    path: &mut Path,
    errors: &mut Vec<Problem>,
) {
    if let Some(list) = map.get("required").and_then(Value::as_array) {
        for name in list.iter().filter_map(Value::as_str) {
            if !obj.contains_key(name) {
                path.push(Step::Key(name.to_string()));
                err(errors, path, "missing");
                path.pop();
            }
        }
    }
    let props = map.get("properties").and_then(Value::as_object);
    if let Some(props) = props {
        for (name, sub) in props {
            if let Some(item) = obj.get(name) {
                path.push(Step::Key(name.clone()));
                validate(sub, item, path, errors);
                path.pop();
            }
        }
    }
    if let Some(extra) = map.get("additionalProperties") {
        for (name, item) in obj {
            if props.is_some_and(|p| p.contains_key(name)) {
                continue;
            }
            path.push(Step::Key(name.clone()));
            match extra {
                Value::Bool(false) => err(errors, path, "not allowed"),
                Value::Bool(true) => {}
                sub => validate(sub, item, path, errors),
            }
            path.pop();
        }
    }
}

/// Validates `value` against each alternative separately.
fn branches(list: &[Value], value: &Value, path: &mut Path) -> Vec<Vec<Problem>> {
    list.iter()
        .map(|sub| {
            let mut errors = Vec::new();
            validate(sub, value, path, &mut errors);
            errors
        })
        .collect()
}

/// The errors of the alternatives the value was probably meant to match:
/// those that did not fail on an `enum` (a discriminating value such as
/// `thirdPartyDisclosure: true`), or all of them when that does not narrow
/// the choice.
fn closest(results: Vec<Vec<Problem>>) -> Vec<Problem> {
    let discriminated = |r: &Vec<Problem>| r.iter().any(|e| e.enum_mismatch);
    let kept: Vec<&Vec<Problem>> = results.iter().filter(|r| !discriminated(r)).collect();
    let chosen: Vec<&Vec<Problem>> = if kept.is_empty() {
        results.iter().collect()
    } else {
        kept
    };
    chosen.into_iter().flatten().cloned().collect()
}

fn dedup(errors: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(errors.len());
    for e in errors {
        if !out.contains(&e) {
            out.push(e);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn schema(v: Value) -> Schema {
        Schema::parse(&v.to_string()).unwrap()
    }

    #[test]
    fn strips_comment_lines_and_refuses_unknown_keywords() {
        let s = Schema::parse("{\n  // a comment\n//another\n \"type\": \"string\"\n}").unwrap();
        assert!(s.validate(&json!("x")).is_empty());
        for bad in [
            r##"{"$ref": "#/x"}"##,
            r#"{"properties": {"a": {"pattern": "^x$"}}}"#,
            r#"{"type": "text"}"#,
            r#"{"oneOf": []}"#,
            r#"{"minItems": -1}"#,
            r#"[]"#,
            "not json",
        ] {
            assert!(Schema::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn types_integer_is_a_number_but_not_the_reverse() {
        let s = schema(json!({"type": "integer"}));
        assert!(s.validate(&json!(3)).is_empty());
        assert!(s.validate(&json!(-3)).is_empty());
        assert_eq!(
            s.validate(&json!(3.5)),
            ["receipt: expected integer, got number"]
        );
        assert_eq!(
            s.validate(&json!(1.0)),
            ["receipt: expected integer, got number"]
        );
        assert_eq!(
            s.validate(&json!("3")),
            ["receipt: expected integer, got string"]
        );
        let s = schema(json!({"type": "number"}));
        assert!(s.validate(&json!(3)).is_empty());
        assert!(s.validate(&json!(3.5)).is_empty());
        let s = schema(json!({"type": ["string", "null"]}));
        assert!(s.validate(&Value::Null).is_empty());
        assert_eq!(
            s.validate(&json!(true)),
            ["receipt: expected string or null, got boolean"]
        );
    }

    #[test]
    fn paths_name_nested_members_and_items() {
        let s = schema(json!({
            "type": "object",
            "required": ["list", "n"],
            "properties": {
                "list": {"type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["a"],
                    "properties": {"a": {"type": "boolean"}}
                }},
                "n": {"type": "integer", "minimum": 0, "maximum": 9}
            }
        }));
        let v = json!({"list": [{"a": true}, {"a": 1}, {}], "n": 10});
        assert_eq!(
            s.validate(&v),
            [
                "list[1].a: expected boolean, got integer",
                "list[2].a: missing",
                "n: must be at most 9"
            ]
        );
        assert_eq!(
            s.validate(&json!({"list": []})),
            ["n: missing", "list: needs at least 1 items"]
        );
        assert_eq!(
            s.validate(&json!([])),
            ["receipt: expected object, got array"]
        );
    }

    #[test]
    fn one_of_reports_the_alternative_that_was_meant() {
        let s = schema(json!({
            "oneOf": [
                {"properties": {"d": {"enum": [false]}}, "required": ["d"]},
                {"properties": {"d": {"enum": [true]}, "name": {"type": "string"}},
                 "required": ["d", "name"]}
            ]
        }));
        assert!(s.validate(&json!({"d": false})).is_empty());
        assert!(s.validate(&json!({"d": false, "name": "x"})).is_empty());
        assert!(s.validate(&json!({"d": true, "name": "x"})).is_empty());
        assert_eq!(
            s.validate(&json!({"d": true})),
            [
                "receipt: matches none of the oneOf alternatives",
                "name: missing"
            ]
        );
        assert_eq!(
            s.validate(&json!({"d": true, "name": 5})),
            [
                "receipt: matches none of the oneOf alternatives",
                "name: expected string, got integer"
            ]
        );
        let both = schema(json!({"oneOf": [{"type": "integer"}, {"type": "number"}]}));
        assert_eq!(
            both.validate(&json!(1)),
            ["receipt: matches 2 of the oneOf alternatives; exactly one must match"]
        );
    }

    #[test]
    fn any_all_not_enum_lengths_unique_additional() {
        let s = schema(json!({"anyOf": [{"type": "string"}, {"type": "boolean"}]}));
        assert!(s.validate(&json!(true)).is_empty());
        assert_eq!(s.validate(&json!(1)).len(), 3);
        let s =
            schema(json!({"allOf": [{"minimum": 1}, {"maximum": 2, "exclusiveMaximum": true}]}));
        assert!(s.validate(&json!(1)).is_empty());
        assert_eq!(s.validate(&json!(2)), ["receipt: must be less than 2"]);
        let s = schema(json!({"not": {"type": "null"}}));
        assert_eq!(s.validate(&Value::Null).len(), 1);
        let s = schema(json!({"enum": ["a", "b"]}));
        assert_eq!(
            s.validate(&json!("c")),
            ["receipt: must be one of \"a\", \"b\""]
        );
        let s = schema(json!({"minLength": 2, "maxLength": 3}));
        assert_eq!(
            s.validate(&json!("қ")),
            ["receipt: needs at least 2 characters"]
        );
        assert!(s.validate(&json!("қаз")).is_empty());
        let s = schema(json!({"uniqueItems": true, "maxItems": 2}));
        assert_eq!(
            s.validate(&json!([1, 2, 1])),
            [
                "receipt: allows at most 2 items",
                "[2]: repeats an earlier item"
            ]
        );
        let s = schema(json!({"properties": {"a": {}}, "additionalProperties": false}));
        assert_eq!(s.validate(&json!({"a": 1, "b": 2})), ["b: not allowed"]);
        let s = schema(json!({"additionalProperties": {"type": "integer"}}));
        assert_eq!(
            s.validate(&json!({"b": "x"})),
            ["b: expected integer, got string"]
        );
        let s = schema(json!({"items": [{"type": "string"}, {"type": "integer"}]}));
        assert_eq!(
            s.validate(&json!(["a", "b", 3])),
            ["[1]: expected integer, got string"]
        );
    }
}
