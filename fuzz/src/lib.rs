//! Helpers shared by the fuzz targets.
use kelisim_core::value::Value;

/// serde_json's tree as the core's `Value` (the shape the browser hands the core).
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

/// The fuzz input as JSON, or `None` when it is not JSON (nothing to decode then).
pub fn json(data: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(data).ok()?;
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(to_value(&parsed))
}
