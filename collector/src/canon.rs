//! The canonical form of a receipt and its SHA-256, the links of the hash
//! chain.
//!
//! The canonical form is RFC 8785 (JCS) for the values a receipt may hold:
//! UTF-8 JSON without insignificant whitespace, object members sorted by key
//! in UTF-16 code-unit order, arrays in order, integers in plain decimal, and
//! strings escaped exactly as ECMAScript `JSON.stringify` escapes them. In a
//! browser the same bytes come from `JSON.stringify` of the object with its
//! keys sorted recursively.
//!
//! Only integers have a canonical form here: the receipt validator refuses
//! any other number, so [`canonical`] never sees one in a stored receipt.
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

use serde_json::Value;
use sha2::{Digest, Sha256};

/// The canonical JSON text of `value`.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

/// Lowercase hex SHA-256 of the canonical form of `value`.
pub fn hash(value: &Value) -> String {
    sha256_hex(canonical(value).as_bytes())
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    let digest = Sha256::digest(bytes);
    let mut out = String::with_capacity(64);
    for b in digest {
        out.push(HEX[usize::from(b >> 4)] as char);
        out.push(HEX[usize::from(b & 15)] as char);
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        // Integers print in plain decimal; anything else (refused by the
        // validator before it gets here) falls back to serde_json's text.
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (key, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write(out, item);
            }
            out.push('}');
        }
    }
}

/// A JSON string literal escaped as `JSON.stringify` does.
fn write_str(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let b = c as u8;
                out.push_str("\\u00");
                out.push(HEX[usize::from(b >> 4)] as char);
                out.push(HEX[usize::from(b & 15)] as char);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sorts_keys_recursively_and_drops_whitespace() {
        let v = json!({"z": {"b": 1, "a": [ {"y": true, "x": false} ]}, "a": -5, "m": null});
        assert_eq!(
            canonical(&v),
            r#"{"a":-5,"m":null,"z":{"a":[{"x":false,"y":true}],"b":1}}"#
        );
    }

    #[test]
    fn escapes_like_json_stringify() {
        // Expected bytes are what `JSON.stringify` prints for the same string.
        let v = Value::String("q\"b\\s/\u{8}\u{c}\n\r\t\u{0}\u{1f}\u{7f}é қ😀\u{2028}".into());
        assert_eq!(
            canonical(&v),
            "\"q\\\"b\\\\s/\\b\\f\\n\\r\\t\\u0000\\u001f\u{7f}é қ😀\u{2028}\""
        );
    }

    #[test]
    fn keys_sort_by_utf16_code_units_not_bytes() {
        // U+FF61 (one UTF-16 unit 0xFF61) sorts after U+1F600 (surrogates
        // 0xD83D 0xDE00) in UTF-16 order, but before it in UTF-8 byte order.
        let v = json!({"\u{ff61}": 1, "😀": 2, "a": 3});
        assert_eq!(canonical(&v), "{\"a\":3,\"😀\":2,\"\u{ff61}\":1}");
    }

    #[test]
    fn integers_print_in_plain_decimal() {
        let v = json!([
            0,
            1,
            -1,
            9007199254740991i64,
            -9007199254740991i64,
            1510592400
        ]);
        assert_eq!(
            canonical(&v),
            "[0,1,-1,9007199254740991,-9007199254740991,1510592400]"
        );
    }

    #[test]
    fn matches_serde_json_for_ascii_keys() {
        // serde_json (without preserve_order) sorts keys by bytes and escapes
        // the same way, so for ASCII keys both must agree.
        let v: Value = serde_json::from_str(
            r#"{"version":"KI-CR-v1.1.0","spiCat":[],"b":{"y":"\u0001\"x","a":[1,2,{"k":"ә"}]}}"#,
        )
        .unwrap();
        assert_eq!(canonical(&v), serde_json::to_string(&v).unwrap());
    }

    #[test]
    fn sha256_known_vectors() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hash(&json!({"b": 1, "a": 2})),
            sha256_hex(br#"{"a":2,"b":1}"#)
        );
    }
}
