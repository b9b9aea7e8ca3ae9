//! Shell tests that need a real browser (run with wasm-bindgen-test in headless Chromium).

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_test::*;

use super::{convert, dom};
use crate::core::config::CookieOptions;
use crate::core::value::{Path, Value};

wasm_bindgen_test_configure!(run_in_browser);

/// Reads a property the shell's own bindings do not declare.
fn prop(target: &JsValue, name: &str) -> JsValue {
    js_sys::Reflect::get(target, &JsValue::from_str(name)).unwrap()
}

/// Reads a cookie by name from `document.cookie` (the first listed), through the
/// core's cookie list as the shell reads the consent cookie.
fn read_cookie(name: &str) -> Option<String> {
    let all = prop(&prop(&js_sys::global().into(), "document"), "cookie").as_string()?;
    crate::core::cookies::values(&all, name).first().map(|v| String::from(*v))
}

fn opts(name: &str) -> CookieOptions {
    CookieOptions { name: name.into(), domain: None, path: "/".into() }
}

#[wasm_bindgen_test]
fn cookie_write_read_delete_round_trip() {
    let o = opts("kelisim_wasm_test");
    assert!(dom::write_cookie(&o, "1.abc~d:1", 60));
    assert_eq!(read_cookie("kelisim_wasm_test").as_deref(), Some("1.abc~d:1"));
    dom::delete_cookie(&o);
    assert_eq!(read_cookie("kelisim_wasm_test"), None);
}

#[wasm_bindgen_test]
fn a_cookie_the_browser_refuses_is_reported() {
    // A Domain that does not cover this host is rejected by the browser.
    let o = CookieOptions { domain: Some("example.invalid".into()), ..opts("kelisim_wasm_bad") };
    assert!(!dom::write_cookie(&o, "x", 60));
}

#[wasm_bindgen_test]
fn text_is_never_parsed_as_html() {
    let e = dom::el("p", &[("title", "\"><img src=x onerror=alert(1)>")], Some("<img src=x onerror=alert(1)><b>bold</b>"));
    assert_eq!(prop(&e, "childElementCount").as_f64(), Some(0.0), "no element was created from the text");
    assert_eq!(prop(&e, "textContent").as_string().unwrap(), "<img src=x onerror=alert(1)><b>bold</b>");
    assert_eq!(e.get_attribute("title").unwrap(), "\"><img src=x onerror=alert(1)>");
}

#[wasm_bindgen_test]
fn js_objects_walk_into_values() {
    let v: JsValue = js_sys::JSON::parse(r#"{"a":[1,true,null,"т"],"b":{"c":"d"}}"#).unwrap();
    let got = convert::to_value(&v, &Path::Root, 0).unwrap_or(Value::Null);
    let want = Value::obj([
        ("a", Value::Arr(vec![Value::Num(1.0), Value::Bool(true), Value::Null, Value::str("т")])),
        ("b", Value::obj([("c", Value::str("d"))])),
    ]);
    assert_eq!(got, want);
    // Functions and cycles are refused with a path, never a crash.
    let f = js_sys::Reflect::get(&js_sys::global(), &"parseInt".into()).unwrap();
    let o = js_sys::Object::new();
    js_sys::Reflect::set(&o, &"send".into(), &f).unwrap();
    let err = convert::to_value(&o, &Path::Root, 0).err().map(|e| e.message()).unwrap_or_default();
    assert_eq!(err, "send: a function is not allowed here");
    let cyclic = js_sys::Object::new();
    js_sys::Reflect::set(&cyclic, &"self".into(), &cyclic).unwrap();
    let err = convert::to_value(&cyclic, &Path::Root, 0).err().map(|e| e.message()).unwrap_or_default();
    assert!(err.ends_with("nested too deeply"), "{err}");
}

#[wasm_bindgen_test]
fn uuids_come_from_crypto_and_differ() {
    let a = crate::core::ids::uuid_v4(dom::random16().unwrap());
    let b = crate::core::ids::uuid_v4(dom::random16().unwrap());
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
}

#[wasm_bindgen_test]
fn dates_are_formatted_by_intl_per_language() {
    let ms = 1_772_272_800_000; // 2026-02-28T10:00:00Z
    let kk = dom::format_date(ms, "kk-KZ");
    let ru = dom::format_date(ms, "ru-RU");
    assert!(kk.contains("2026") && ru.contains("2026"), "{kk} / {ru}");
    assert!(ru.contains("февраля"), "{ru}");
    assert_ne!(kk, ru);
}

#[wasm_bindgen_test]
fn a_bad_config_is_an_error_and_leaves_the_document_alone() {
    let html = || {
        let doc = prop(&js_sys::global(), "document");
        prop(&prop(&doc, "documentElement"), "outerHTML").as_string().unwrap()
    };
    let before = html();
    let bad = js_sys::JSON::parse(r#"{"controller":{"name":{"kk":"a","ru":"b"},"bin":"1"}}"#).unwrap();
    let err = super::start(bad, Some("/x.css".into()), JsValue::UNDEFINED, JsValue::UNDEFINED).err().expect("an error");
    let msg: String = err.dyn_into::<js_sys::Error>().unwrap().message().into();
    assert_eq!(msg, "kelisim: invalid config: controller.bin: a BIN is exactly 12 digits");
    assert_eq!(html(), before);
}
