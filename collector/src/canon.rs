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


/// The canonical JSON text of `value` ([`kelisim_core::json::canonical`]).
pub fn canonical(value: &Value) -> String {
    // Numbers become `f64`: exact for the integers within ±(2^53 − 1) that
    // receipts may hold (the validator refuses every other number).
    kelisim_core::json::canonical(&CoreValue::from(value))
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
