//! The canonical form of a receipt and its SHA-256, the links of the hash
//! chain: the core crate's canonical form ([`kelisim_core::json`], shared
//! with the SDK in the browser), applied to the JSON the collector received.
//!
//! ```
//! use kelisim_collector::canon::{canonical, sha256_hex};
//! let v: serde_json::Value = serde_json::from_str(r#"{"b": [1, "é\n"], "a": null}"#).unwrap();
//! assert_eq!(canonical(&v), "{\"a\":null,\"b\":[1,\"é\\n\"]}");
//! assert_eq!(
//!     sha256_hex(b"abc"),
//!     "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
//! );
//! ```

use kelisim_core::value::Value as CoreValue;
use serde_json::Value;
use sha2::{Digest, Sha256};

/// `value` as the core's value tree. Numbers become `f64`: exact for the
/// integers within ±(2^53 − 1) that receipts may hold (the validator
/// refuses every other number).
pub fn to_core(value: &Value) -> CoreValue {
    match value {
        Value::Null => CoreValue::Null,
        Value::Bool(b) => CoreValue::Bool(*b),
        Value::Number(n) => n.as_f64().map_or(CoreValue::Null, CoreValue::Num),
        Value::String(s) => CoreValue::Str(s.clone()),
        Value::Array(items) => CoreValue::Arr(items.iter().map(to_core).collect()),
        Value::Object(map) => {
            CoreValue::Obj(map.iter().map(|(k, v)| (k.clone(), to_core(v))).collect())
        }
    }
}

/// The canonical JSON text of `value` ([`kelisim_core::json::canonical`]).
pub fn canonical(value: &Value) -> String {
    kelisim_core::json::canonical(&to_core(value))
}

/// Lowercase hex SHA-256 of the canonical form of `value`.
pub fn hash(value: &Value) -> String {
    sha256_hex(canonical(value).as_bytes())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    kelisim_core::json::push_hex(&mut out, &Sha256::digest(bytes));
    out
}
