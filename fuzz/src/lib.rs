//! Helpers shared by the fuzz targets.
use kelisim_core::value::Value;


/// The fuzz input as JSON, or `None` when it is not JSON (nothing to decode then).
pub fn json(data: &[u8]) -> Option<Value> {
    let text = std::str::from_utf8(data).ok()?;
    let parsed: serde_json::Value = serde_json::from_str(text).ok()?;
    Some(Value::from(&parsed))
}
