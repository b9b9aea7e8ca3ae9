//! The canonical JSON form of a [`Value`]: what receipts are sent, stored and
//! hashed as.
//!
//! It is RFC 8785 (JCS) for the values receipts contain: no insignificant
//! whitespace, object members sorted by key (UTF-16 code units, as JCS says),
//! arrays in order, integers in decimal without exponent, and strings escaped
//! exactly as ECMAScript's `JSON.stringify` escapes them (`\"`, `\\`, `\b`, `\f`,
//! `\n`, `\r`, `\t`, other code points below U+0020 as `\u00xx`, everything
//! else literal). So the bytes equal `JSON.stringify` of the object with its
//! keys sorted, and `serde_json::to_string` of the same `serde_json::Value`.
//!
//! An object with a key twice is written with the key once (its first
//! value). Receipts hold only integers. A number that is not a whole number within
//! ±2^53 (or is NaN or infinite) is written as `null`: float formatting is not
//! compiled into the module.
//!
//! ```
//! use kelisim_core::{json, value::Value};
//! let v = Value::obj([("b", Value::Num(2.0)), ("a", Value::str("x\ny"))]);
//! assert_eq!(json::canonical(&v), r#"{"a":"x\ny","b":2}"#);
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use super::value::{push_int, Value};

/// The largest integer a JSON number carries exactly (2^53).
const MAX_SAFE: f64 = 9_007_199_254_740_992.0;

/// The canonical form of `v`.
pub fn canonical(v: &Value) -> String {
    let mut out = String::new();
    write(v, &mut out);
    out
}

/// Appends the canonical form of `v` to `out`.
pub fn write(v: &Value, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => {
            let whole = *n as i64;
            if n.abs() <= MAX_SAFE && whole as f64 == *n {
                push_int(out, whole);
            } else {
                out.push_str("null");
            }
        }
        Value::Str(s) => write_str(s, out),
        Value::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write(item, out);
            }
            out.push(']');
        }
        Value::Obj(pairs) => {
            let mut keys: Vec<&str> = Vec::with_capacity(pairs.len());
            for (k, _) in pairs {
                insert_sorted(&mut keys, k, utf16_less);
            }
            out.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_str(k, out);
                out.push(':');
                write(v.get(k).unwrap_or(&Value::Null), out);
            }
            out.push('}');
        }
    }
}

/// JCS key order: UTF-16 code units.
fn utf16_less(a: &str, b: &str) -> bool {
    a.encode_utf16().lt(b.encode_utf16())
}

/// Byte order: the same as UTF-16 order for ASCII, which is all receipts
/// sort themselves (category and service ids, country codes).
pub fn byte_less(a: &str, b: &str) -> bool {
    a < b
}

/// Inserts `s` into `list`, sorted by `less`, unless it is there already.
/// Insertion keeps the code small; lists here are short (object keys, ids,
/// country codes).
pub fn insert_sorted<'a>(list: &mut Vec<&'a str>, s: &'a str, less: fn(&str, &str) -> bool) {
    if list.contains(&s) {
        return;
    }
    let at = list.iter().position(|x| less(s, x)).unwrap_or(list.len());
    // Push and swap down (`Vec::insert` would bring its formatted panic message).
    list.push(s);
    let mut i = list.len() - 1;
    while i > at {
        list.swap(i, i - 1);
        i -= 1;
    }
}

/// A JSON string literal, escaped as `JSON.stringify` does.
pub fn write_str(s: &str, out: &mut String) {
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
                out.push_str("\\u00");
                push_hex(out, &[c as u8]);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Appends `bytes` as lowercase hex, two digits each.
pub fn push_hex(out: &mut String, bytes: &[u8]) {
    for b in bytes {
        for nibble in [b >> 4, b & 0xf] {
            out.push(char::from_digit(nibble as u32, 16).unwrap_or('0'));
        }
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use alloc::vec;
    use proptest::prelude::*;

    #[test]
    fn known_vectors() {
        let v = Value::obj([
            ("numbers", Value::Arr(vec![Value::Num(0.0), Value::Num(-0.0), Value::Num(-7.0), Value::Num(1e15), Value::Num(1.5), Value::Num(f64::NAN)])),
            ("string", Value::str("€$\u{f}\nA'B\"\\\\\"/\u{8}\u{c}\r\t\u{1f}\u{7f}қ😀")),
            ("literals", Value::Arr(vec![Value::Null, Value::Bool(true), Value::Bool(false)])),
            ("b", Value::obj([("z", Value::Num(1.0)), ("A", Value::Num(2.0)), ("", Value::Null)])),
        ]);
        assert_eq!(
            canonical(&v),
            concat!(
                r#"{"b":{"":null,"A":2,"z":1},"literals":[null,true,false],"#,
                r#""numbers":[0,0,-7,1000000000000000,null,null],"#,
                "\"string\":\"€$\\u000f\\nA'B\\\"\\\\\\\\\\\"/\\b\\f\\r\\t\\u001f\u{7f}қ😀\"}"
            )
        );
        // RFC 8785 §3.2.3: keys sort by UTF-16 code units, so U+1F600 (a surrogate
        // pair, 0xD83D...) comes before U+FB33 although its code point is larger.
        let v = Value::obj([("\u{fb33}", Value::Num(1.0)), ("\u{1f600}", Value::Num(2.0)), ("\r", Value::Num(3.0))]);
        assert_eq!(canonical(&v), "{\"\\r\":3,\"😀\":2,\"\u{fb33}\":1}");
    }

    fn to_serde(v: &Value) -> serde_json::Value {
        match v {
            Value::Null => serde_json::Value::Null,
            Value::Bool(b) => (*b).into(),
            Value::Num(n) => (*n as i64).into(),
            Value::Str(s) => s.clone().into(),
            Value::Arr(items) => items.iter().map(to_serde).collect(),
            Value::Obj(pairs) => pairs.iter().map(|(k, v)| (k.clone(), to_serde(v))).collect(),
        }
    }

    /// Values like receipts: integers, any strings, nesting; unique keys.
    fn arb_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-(1i64 << 53)..=(1i64 << 53)).prop_map(|n| Value::Num(n as f64)),
            any::<String>().prop_map(Value::Str),
            "[\\x00-\\x7f]{0,8}".prop_map(Value::Str),
        ];
        leaf.prop_recursive(4, 48, 6, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Arr),
                prop::collection::btree_map("[a-zA-Z0-9_ -]{0,6}", inner, 0..6)
                    .prop_map(|m| Value::Obj(m.into_iter().rev().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn matches_serde_json(v in arb_value()) {
            prop_assert_eq!(canonical(&v), serde_json::to_string(&to_serde(&v)).unwrap());
        }

        #[test]
        fn strings_round_trip_through_a_json_parser(s in any::<String>()) {
            let mut out = String::new();
            write_str(&s, &mut out);
            prop_assert_eq!(serde_json::from_str::<String>(&out).unwrap(), s);
        }
    }

    #[test]
    fn hex_is_lowercase_two_digits() {
        let mut s = String::new();
        push_hex(&mut s, &[0, 0x0f, 0xa0, 0xff]);
        assert_eq!(s, "000fa0ff");
        assert_eq!(s, [0u8, 15, 160, 255].iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().concat());
    }
}
