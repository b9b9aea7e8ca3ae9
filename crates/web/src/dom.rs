//! Small DOM and browser helpers. Text always goes in with `textContent`
//! (or as a text node), never as HTML.

use alloc::string::String;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use crate::cat;
use crate::core::config::CookieOptions;
use crate::core::value::push_int;
use crate::js::{self, Document, Element, Event, EventTarget, HtmlDocument, Storage};

/// The page's document, if there is one.
pub fn document() -> Option<Document> {
    js::document()
}

/// The document, for building elements: only called after `start` found it.
fn doc() -> Document {
    document().unwrap_or_else(|| core::arch::wasm32::unreachable())
}

/// `object[key] = value` (`Reflect.set`).
pub fn set(object: &JsValue, key: &str, value: &JsValue) {
    js::set_property(object, key, value);
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
/// and `PASSIVE` options in `flags`.
pub fn listen(
    target: &EventTarget,
    kind: &'static str,
    flags: u8,
    callback: impl FnMut(&Event) + 'static,
) -> Listener {
    let callback = Closure::<dyn FnMut(&Event)>::new(callback);
    let options = js::AddEventListenerOptions::new();
    options.set_capture(flags & CAPTURE != 0);
    options.set_once(flags & ONCE != 0);
    options.set_passive(flags & PASSIVE != 0);
    let _ = target.add_event_listener_with_callback_and_add_event_listener_options(
        kind,
        callback.as_ref().unchecked_ref(),
        &options,
    );
    Listener {
        target: target.clone(),
        kind,
        capture: flags & CAPTURE != 0,
        callback,
    }
}

impl Drop for Listener {
    fn drop(&mut self) {
        let _ = self.target.remove_event_listener_with_callback_and_bool(
            self.kind,
            self.callback.as_ref().unchecked_ref(),
            self.capture,
        );
    }
}

/// Creates `<tag>` with attributes and an optional text child.
pub fn el(tag: &str, attrs: &[(&str, &str)], text: Option<&str>) -> Element {
    // Only the shell's own tag and attribute names: createElement and
    // setAttribute cannot throw for them.
    let e = doc()
        .create_element(tag)
        .unwrap_or_else(|_| core::arch::wasm32::unreachable());
    for (k, v) in attrs {
        let _ = e.set_attribute(k, v);
    }
    if text.is_some() {
        e.set_text_content(text);
    }
    e
}

/// Appends `child` to `parent`.
pub fn add(parent: &Element, child: &Element) {
    let _ = parent.append_with_node_1(child);
}

/// Appends `text` to `parent` as a text node.
pub fn add_text(parent: &Element, text: &str) {
    let _ = parent.append_with_str_1(text);
}

/// Moves keyboard focus to `selector` inside `root`, if it exists.
pub fn focus(root: &Element, selector: &str) {
    if let Ok(Some(e)) = root.query_selector(selector) {
        js::focus(&e);
    }
}

fn html_document() -> Option<HtmlDocument> {
    document()?.dyn_into::<HtmlDocument>().ok()
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
    if js::protocol() == "https:" {
        s.push_str("; Secure");
    }
    s
}

/// Writes the consent cookie. Returns whether the browser kept it.
pub fn write_cookie(opts: &CookieOptions, value: &str, max_age: i64) -> bool {
    let Some(doc) = html_document() else {
        return false;
    };
    let _ = doc.set_cookie(&cookie_line(opts, value, max_age));
    // Any of the values: a copy at another path may be listed first.
    let jar = doc.cookie().unwrap_or_default();
    crate::core::cookies::values(&jar, &opts.name).contains(&value)
}

/// Deletes the consent cookie (same name, path and domain, `Max-Age=0`).
pub fn delete_cookie(opts: &CookieOptions) {
    if let Some(doc) = html_document() {
        let _ = doc.set_cookie(&cookie_line(opts, "", 0));
    }
}

/// `localStorage`, when the browser lets us have it.
pub fn storage() -> Option<Storage> {
    js::window()?.local_storage().ok().flatten()
}

/// 16 bytes from `crypto.getRandomValues`.
pub fn random16() -> Result<[u8; 16], JsValue> {
    let mut b = [0u8; 16];
    js::get_random_values(&mut b)?;
    Ok(b)
}

/// `Date.now()`: the only clock the SDK reads, so page clock fakes move it.
pub fn now() -> i64 {
    js_sys::Date::now() as i64
}

/// The name of a country (an ISO 3166-1 alpha-2 code) in `locale` (`kk`, `ru`),
/// from the browser's Intl; the code itself where the browser has no country
/// names in that language (some builds lack Kazakh data).
pub fn country_name(code: &str, locale: &str) -> String {
    if crate::js::DisplayNames::supported_locales_of(locale).length() == 0 {
        return code.into();
    }
    let opts = js_sys::Object::new();
    set(&opts, "type", &JsValue::from_str("region"));
    set(&opts, "fallback", &JsValue::from_str("code"));
    crate::js::DisplayNames::new(locale, &opts)
        .and_then(|d| d.of(code))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_else(|| code.into())
}

/// A date formatted for `locale` by the browser's Intl (`kk-KZ`, `ru-RU`).
pub fn format_date(ms: i64, locale: &str) -> String {
    let opts = js_sys::Object::new();
    set(&opts, "dateStyle", &JsValue::from_str("long"));
    js_sys::Date::new(&JsValue::from_f64(ms as f64))
        .to_locale_date_string(locale, &opts)
        .into()
}
