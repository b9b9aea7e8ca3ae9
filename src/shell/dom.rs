//! Small DOM and browser helpers. Text always goes in with `textContent`,
//! never as HTML.

use alloc::string::String;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue, UnwrapThrowExt};
use web_sys::{Document, Element, Event, EventTarget, HtmlDocument, HtmlElement};

use super::cat;
use super::js::Target;
use crate::core::config::CookieOptions;
use crate::core::value::push_int;

/// The page's document. Only called after `start` found one.
pub fn document() -> Document {
    web_sys::window().and_then(|w| w.document()).expect_throw("kelisim: no document")
}

/// Listener option: handled during the capture phase.
pub const CAPTURE: u8 = 1;
/// Listener option: removed after the first event.
pub const ONCE: u8 = 2;
/// Listener option: the handler never cancels the default action.
pub const PASSIVE: u8 = 4;

/// An event listener that is removed when dropped.
pub struct Listener {
    target: EventTarget,
    kind: &'static str,
    capture: bool,
    callback: Closure<dyn FnMut(&Event)>,
}

/// Adds `callback` for `kind` events on `target` with the `CAPTURE`, `ONCE`
/// and `PASSIVE` options in `flags` (all three always passed, as booleans).
pub fn listen(target: &EventTarget, kind: &'static str, flags: u8, callback: Closure<dyn FnMut(&Event)>) -> Listener {
    let options = js_sys::Object::new();
    for (name, bit) in [("capture", CAPTURE), ("once", ONCE), ("passive", PASSIVE)] {
        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(name), &JsValue::from_bool(flags & bit != 0));
    }
    target.unchecked_ref::<Target>().add_listener(kind, callback.as_ref(), &options);
    Listener {
        target: target.clone(),
        kind,
        capture: flags & CAPTURE != 0,
        callback,
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let target = self.target.unchecked_ref::<Target>();
        target.remove_listener(self.kind, self.callback.as_ref(), self.capture);
    }
}

/// Creates `<tag>` with attributes and an optional text child.
pub fn el(tag: &str, attrs: &[(&str, &str)], text: Option<&str>) -> Element {
    // Creating elements and setting static attribute names cannot fail.
    let e = document().create_element(tag).unwrap_throw();
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    if text.is_some() {
        e.set_text_content(text);
    }
    e
}

/// Appends `child` to `parent` and returns `parent` (for chaining).
pub fn add(parent: &Element, child: &Element) {
    let _ = parent.append_child(child);
}

/// Moves keyboard focus to `selector` inside `root`, if it exists.
pub fn focus(root: &Element, selector: &str) {
    if let Ok(Some(e)) = root.query_selector(selector) {
        if let Ok(h) = e.dyn_into::<HtmlElement>() {
            let _ = h.focus();
        }
    }
}

fn html_document() -> Option<HtmlDocument> {
    document().dyn_into::<HtmlDocument>().ok()
}

/// Reads a cookie by name from `document.cookie`.
pub fn read_cookie(name: &str) -> Option<String> {
    let all = html_document()?.cookie().ok()?;
    all.split(';').find_map(|pair| {
        let (k, v) = pair.trim().split_once('=')?;
        (k == name).then(|| v.into())
    })
}

/// `name=value; Max-Age=...; Path=...; SameSite=Lax[; Domain=...][; Secure]`.
fn cookie_line(opts: &CookieOptions, value: &str, max_age: i64) -> String {
    let mut s = cat(&[&opts.name, "=", value, "; Max-Age="]);
    push_int(&mut s, max_age);
    s.push_str("; Path=");
    s.push_str(&opts.path);
    s.push_str("; SameSite=Lax");
    if let Some(d) = &opts.domain {
        s.push_str("; Domain=");
        s.push_str(d);
    }
    let https = web_sys::window()
        .and_then(|w| w.location().protocol().ok())
        .is_some_and(|p| p == "https:");
    if https {
        s.push_str("; Secure");
    }
    s
}

/// Writes the consent cookie. Returns whether the browser kept it.
pub fn write_cookie(opts: &CookieOptions, value: &str, max_age: i64) -> bool {
    let Some(doc) = html_document() else { return false };
    let _ = doc.set_cookie(&cookie_line(opts, value, max_age));
    read_cookie(&opts.name).as_deref() == Some(value)
}

/// Deletes the consent cookie (same name, path and domain, `Max-Age=0`).
pub fn delete_cookie(opts: &CookieOptions) {
    if let Some(doc) = html_document() {
        let _ = doc.set_cookie(&cookie_line(opts, "", 0));
    }
}

/// `localStorage`, when the browser lets us have it.
pub fn storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

/// 16 bytes from `crypto.getRandomValues`.
pub fn random16() -> Result<[u8; 16], JsValue> {
    let mut b = [0u8; 16];
    web_sys::window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .crypto()?
        .get_random_values_with_u8_array(&mut b)?;
    Ok(b)
}

/// `Date.now()`: the only clock the SDK reads, so page clock fakes move it.
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// A date formatted for `locale` by the browser's Intl (`kk-KZ`, `ru-RU`).
pub fn format_date(ms: i64, locale: &str) -> String {
    let opts = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&opts, &"dateStyle".into(), &"long".into());
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_locale_date_string(locale, &opts)
        .into()
}
