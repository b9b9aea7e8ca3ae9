//! kelisim-server: reads the consent from a request's `Cookie` header for a
//! server, from the same core as the browser SDK ([`kelisim_core::read`]).
//!
//! Built to WebAssembly for Node (`kelisim/server`, `js/server.js`); the
//! functions here take and return JSON text, so the module needs nothing of
//! the JS engine but strings. The demo's configurator page (`configure.html`)
//! loads the same module in the browser for [`check_config`]; nothing on the
//! banner's path does.

use kelisim_check as check;
use kelisim_core::config::{self, Config};
use kelisim_core::json;
use kelisim_core::read;
use kelisim_core::value::Value;

#[cfg(target_arch = "wasm32")]
use wasm_bindgen::prelude::*;

/// The consent cookie a test suite seeds (`kelisim/testing`), from the SDK's own decision path.
pub mod testing;

/// Deep enough for any config, shallow enough to stop a hostile one early.
const MAX_DEPTH: usize = 64;

fn to_value(json: &serde_json::Value) -> Result<Value, String> {
    Value::from_json(json, MAX_DEPTH).ok_or_else(|| "config: nested too deeply".into())
}


/// Decodes a config from JSON text; the error names the field path
/// (`categories[1].id: ...`), as `start()` in the browser does.
pub fn parse_config(config_json: &str) -> Result<Config, String> {
    let json: serde_json::Value =
        serde_json::from_str(config_json).map_err(|e| format!("config: not JSON ({e})"))?;
    config::decode(&to_value(&json)?).map_err(|e| e.text())
}

/// Every problem of a config (JSON text) at once, as JSON text: an array of
/// `{"path": "categories[0].title.kk", "message": "must not be empty"}`,
/// empty when `start()` accepts the config; the first is the one `start()`
/// reports ([`check::config`]). Text that is not JSON is one problem at the
/// root (path `""`).
#[cfg_attr(target_arch = "wasm32", wasm_bindgen(js_name = checkConfig))]
pub fn check_config(config_json: &str) -> String {
    let problems = match serde_json::from_str::<serde_json::Value>(config_json) {
        Err(e) => one_problem("", &format!("not JSON ({e})")),
        Ok(json) => match to_value(&json) {
            Err(e) => one_problem("", e.trim_start_matches("config: ")),
            Ok(v) => check::config(&v)
                .into_iter()
                .map(|e| Value::obj([("path", Value::Str(e.path)), ("message", Value::Str(e.message))]))
                .collect(),
        },
    };
    let mut out = String::new();
    write_ordered(&Value::Arr(problems), &mut out);
    out
}

fn one_problem(path: &str, message: &str) -> Vec<Value> {
    vec![Value::obj([("path", Value::str(path)), ("message", Value::str(message))])]
}

/// `v` as JSON text with object keys in their order (the order of
/// `getConsent()`'s object and of the config's categories and services);
/// strings and numbers as [`json::write`] writes them.
fn write_ordered(v: &Value, out: &mut String) {
    match v {
        Value::Obj(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                json::write_str(k, out);
                out.push(':');
                write_ordered(v, out);
            }
            out.push('}');
        }
        Value::Arr(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_ordered(item, out);
            }
            out.push(']');
        }
        other => json::write(other, out),
    }
}

/// The answer as JSON text: `{"consent": {...} | null, "why": null | code,
/// "detail": null | field or id, "message": null | sentence}`.
pub fn answer(config: &Config, cookie_header: &str, now: i64) -> String {
    let (consent, why, detail, message) = match read::consent(config, cookie_header, now) {
        Ok(c) => (read::to_value(&c), Value::Null, Value::Null, Value::Null),
        Err(e) => (
            Value::Null,
            Value::str(e.code()),
            e.detail().map_or(Value::Null, Value::str),
            Value::Str(e.text()),
        ),
    };
    let mut out = String::new();
    write_ordered(&Value::obj([("consent", consent), ("why", why), ("detail", detail), ("message", message)]), &mut out);
    out
}

/// A config decoded once, read against many requests.
#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
pub struct Reader {
    config: Config,
}

#[cfg_attr(target_arch = "wasm32", wasm_bindgen)]
impl Reader {
    /// Decodes `config_json`; throws `path: message` for a bad config.
    #[cfg(target_arch = "wasm32")]
    #[wasm_bindgen(constructor)]
    pub fn new(config_json: &str) -> Result<Reader, JsValue> {
        parse_config(config_json).map(|config| Reader { config }).map_err(|e| JsValue::from_str(&e))
    }

    /// Reads `cookie_header` at `now` (ms since the Unix epoch); see [`answer`].
    pub fn read(&self, cookie_header: &str, now: f64) -> String {
        answer(&self.config, cookie_header, now as i64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_errors_name_the_field() {
        let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/site.json")).unwrap();
        assert!(parse_config(&demo).is_ok());
        let bad = demo.replacen("\"bin\": \"210540019876\"", "\"bin\": \"12\"", 1);
        assert_eq!(parse_config(&bad).unwrap_err(), "controller.bin: a BIN is exactly 12 digits");
        assert!(parse_config("{").unwrap_err().starts_with("config: not JSON"));
        let deep = format!("{}{}", "[".repeat(100), "]".repeat(100));
        assert_eq!(parse_config(&deep).unwrap_err(), "config: nested too deeply");
    }

    #[test]
    fn check_lists_every_problem_as_json() {
        let demo = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/site.json")).unwrap();
        assert_eq!(check_config(&demo), "[]");
        let bad = demo
            .replacen("\"bin\": \"210540019876\"", "\"bin\": \"12\"", 1)
            .replacen("\"version\": \"1.0\"", "\"version\": \" \"", 1);
        let got: serde_json::Value = serde_json::from_str(&check_config(&bad)).unwrap();
        assert_eq!(
            got,
            serde_json::json!([
                {"path": "controller.bin", "message": "a BIN is exactly 12 digits"},
                {"path": "policy.version", "message": "must not be empty"},
            ])
        );
        let not_json: serde_json::Value = serde_json::from_str(&check_config("{")).unwrap();
        assert_eq!(not_json[0]["path"], "");
        assert!(not_json[0]["message"].as_str().unwrap().starts_with("not JSON"));
    }

    #[test]
    fn answers_are_json_with_a_reason() {
        let site = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../../tests/vectors/site.json")).unwrap();
        let config = parse_config(&site).unwrap();
        let a: serde_json::Value = serde_json::from_str(&answer(&config, "kelisim=1.x", 0)).unwrap();
        assert_eq!(a["consent"], serde_json::Value::Null);
        assert_eq!(a["why"], "malformed");
        assert!(a["message"].as_str().unwrap().contains("malformed value"));
    }
}
