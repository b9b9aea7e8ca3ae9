//! JSON text to and from the core's [`Value`] tree.
//!
//! Reading goes through serde_json; writing is done here so that fields keep
//! the order [`kelisim_core::policy::encode`] gives them (serde_json's map
//! would sort them), which keeps generated files stable and readable.

use kelisim_core::value::Value;

/// Parses JSON text. The error names the line and column.
pub fn parse(text: &str) -> Result<Value, String> {
    let v: serde_json::Value = serde_json::from_str(text)
        .map_err(|e| format!("line {}, column {}: invalid JSON: {e}", e.line(), e.column()))?;
    Ok(Value::from(&v))
}


/// Writes a value as indented JSON (two spaces), ending with a newline.
/// Arrays of spans and other short arrays of scalars-only objects stay readable
/// because every value gets its own line.
pub fn write(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, 0, &mut out);
    out.push('\n');
    out
}

fn indent(out: &mut String, level: usize) {
    for _ in 0..level {
        out.push_str("  ");
    }
}

fn write_value(v: &Value, level: usize, out: &mut String) {
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Num(n) => {
            if n.fract() == 0.0 && n.abs() < 1e15 {
                out.push_str(&(*n as i64).to_string());
            } else {
                out.push_str(&n.to_string());
            }
        }
        Value::Str(s) => write_str(s, out),
        Value::Arr(items) if items.is_empty() => out.push_str("[]"),
        Value::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                indent(out, level + 1);
                write_value(item, level + 1, out);
            }
            out.push('\n');
            indent(out, level);
            out.push(']');
        }
        Value::Obj(pairs) if pairs.is_empty() => out.push_str("{}"),
        Value::Obj(pairs) => {
            out.push('{');
            for (i, (k, item)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('\n');
                indent(out, level + 1);
                write_str(k, out);
                out.push_str(": ");
                write_value(item, level + 1, out);
            }
            out.push('\n');
            indent(out, level);
            out.push('}');
        }
    }
}

fn write_str(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            // Control characters, and the two separators JavaScript once
            // refused in string literals.
            c if (c as u32) < 0x20 || c == '\u{2028}' || c == '\u{2029}' => {
                out.push_str(&format!("\\u{:04x}", c as u32));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn written_json_reads_back_the_same() {
        let v = Value::obj([
            ("a", Value::str("қ\"\\\n\t\u{1}\u{2028}<script>")),
            ("n", Value::Num(1.0)),
            ("f", Value::Num(0.5)),
            ("e", Value::Arr(vec![])),
            ("o", Value::obj::<&str>([])),
            ("l", Value::Arr(vec![Value::Bool(true), Value::Null])),
        ]);
        let text = write(&v);
        let back = parse(&text).unwrap();
        // serde_json sorts keys; compare field by field.
        for key in ["a", "n", "f", "e", "o", "l"] {
            assert_eq!(back.get(key), v.get(key), "{key}");
        }
        assert!(text.starts_with("{\n  \"a\": "));
        assert!(parse("{\"a\": }").unwrap_err().starts_with("line 1, column 7: invalid JSON"));
    }
}
