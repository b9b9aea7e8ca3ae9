//! The browser as the modules see it: WebIDL-generated types from `web-sys`
//! (an event's target is an `EventTarget`, a `querySelectorAll` answer a
//! `NodeList`) and JS built-ins from `js-sys`, plus the few calls both lack.
//! Calls that can throw return a `Result`; helpers here drop the error only
//! where the shell has nothing better to do with it, and say so.

use alloc::string::String;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

pub use js_sys::{Array, Function, Object, Promise};
pub use web_sys::{
    AddEventListenerOptions, BroadcastChannel, CustomEvent, CustomEventInit, Document, DomRect,
    Element, Event, EventTarget, HtmlDialogElement, HtmlDocument, HtmlElement, HtmlInputElement,
    KeyboardEvent, Location, MessageEvent, MouseEvent, MouseEventInit, MutationObserver,
    MutationObserverInit, Navigator, Node, NodeList, Response, Storage, StorageEvent, Url, Window,
};

// `Intl.DisplayNames`, declared here with only the calls the shell makes
// (js-sys's binding needs an options type per call). `navigator.globalPrivacyControl`
// is a proposal, not in the WebIDL web-sys is generated from: read as a property.
#[wasm_bindgen]
extern "C" {
    /// `Intl.DisplayNames` (country names in the visitor's language).
    #[wasm_bindgen(js_namespace = Intl, js_name = DisplayNames)]
    pub type DisplayNames;

    /// `new Intl.DisplayNames(locale, options)`.
    #[wasm_bindgen(catch, constructor, js_namespace = Intl, js_class = DisplayNames)]
    pub fn new(locale: &str, options: &JsValue) -> Result<DisplayNames, JsValue>;

    /// `displayNames.of(code)`: throws on a malformed code.
    #[wasm_bindgen(catch, method)]
    pub fn of(this: &DisplayNames, code: &str) -> Result<JsValue, JsValue>;

    /// `Intl.DisplayNames.supportedLocalesOf(locale)`: whether the browser has names
    /// in that language (without them it would answer in its own default language).
    #[wasm_bindgen(static_method_of = DisplayNames, js_namespace = Intl, js_class = DisplayNames, js_name = supportedLocalesOf)]
    pub fn supported_locales_of(locale: &str) -> Array;
}

/// `navigator.globalPrivacyControl === true`.
pub fn global_privacy_control() -> bool {
    window().is_some_and(|w| {
        get_property(&w.navigator(), "globalPrivacyControl").as_bool() == Some(true)
    })
}

/// `window`, absent outside a page (a worker).
pub fn window() -> Option<Window> {
    web_sys::window()
}

/// `document`, absent outside a page (a worker).
pub fn document() -> Option<Document> {
    window()?.document()
}

/// `window.location`.
pub fn location() -> Option<Location> {
    Some(window()?.location())
}

/// `object[key]` (`Reflect.get`); `undefined` when `object` is not an object.
pub fn get_property(object: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(object, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED)
}

/// `object[key] = value` (`Reflect.set`); nothing when `object` is not an object.
pub fn set_property(object: &JsValue, key: &str, value: &JsValue) {
    let _ = js_sys::Reflect::set(object, &JsValue::from_str(key), value);
}

/// `console.warn(message)`.
pub fn warn(message: &str) {
    web_sys::console::warn_1(&JsValue::from_str(message));
}

/// `console.error(error)`.
pub fn error(error: &JsValue) {
    web_sys::console::error_1(error);
}

/// `JSON.parse(text)`.
pub fn parse_json(text: &str) -> Result<JsValue, JsValue> {
    js_sys::JSON::parse(text)
}

/// `fetch(url)`: a rejected promise when there is no window.
pub fn fetch(url: &str) -> Promise {
    match window() {
        Some(w) => w.fetch_with_str(url),
        None => Promise::reject(&JsValue::from_str("no window to fetch with")),
    }
}

/// Fills `buf` from `crypto.getRandomValues`.
pub fn get_random_values(buf: &mut [u8]) -> Result<(), JsValue> {
    window()
        .ok_or_else(|| JsValue::from_str("no window"))?
        .crypto()?
        .get_random_values_with_u8_array(buf)
        .map(drop)
}

/// `Reflect.apply(f, this, args)`: calls a page function (`gtag`), which may throw.
pub fn apply(f: &JsValue, this: &JsValue, args: &Array) -> Result<JsValue, JsValue> {
    let f = f
        .dyn_ref::<Function>()
        .ok_or_else(|| JsValue::from_str("not a function"))?;
    js_sys::Reflect::apply(f, this, args)
}

/// `new CustomEvent(name, {detail})`.
pub fn custom_event(name: &str, detail: &JsValue) -> Option<CustomEvent> {
    let init = CustomEventInit::new();
    init.set_detail(detail);
    CustomEvent::new_with_event_init_dict(name, &init).ok()
}

/// The event's target when it is an element (a text node or the window is not).
pub fn target_element(e: &Event) -> Option<Element> {
    e.target()?.dyn_into::<Element>().ok()
}

/// `element.focus()` for an HTML element (others cannot take focus).
pub fn focus(e: &Element) {
    if let Some(h) = e.dyn_ref::<HtmlElement>() {
        let _ = h.focus();
    }
}

/// Whether a checkbox is checked (false for anything else).
pub fn checked(e: &Element) -> bool {
    e.dyn_ref::<HtmlInputElement>().is_some_and(|i| i.checked())
}

/// The elements of a `NodeList` that are elements.
pub fn elements(list: &NodeList) -> impl Iterator<Item = Element> + '_ {
    (0..list.length()).filter_map(move |i| list.item(i)?.dyn_into::<Element>().ok())
}

/// `location.protocol`, `""` outside a page.
pub fn protocol() -> String {
    location()
        .and_then(|l| l.protocol().ok())
        .unwrap_or_default()
}

/// `navigator.languages`, empty outside a page.
pub fn languages() -> Array {
    window()
        .map(|w| w.navigator().languages())
        .unwrap_or_default()
}

#[wasm_bindgen]
extern "C" {
    /// A promise seen through `then` with functions whose results chain
    /// (js-sys's `Promise::then` takes callbacks that return nothing).
    #[wasm_bindgen(js_name = Promise)]
    type Chain;

    #[wasm_bindgen(method)]
    fn then(this: &Chain, ok: &JsValue, err: &JsValue) -> Promise;
}

/// `promise.then(ok, err)`: `ok` and `err` are JS functions (or `undefined`)
/// whose results and throws settle the returned promise.
pub fn then_with(promise: &Promise, ok: &JsValue, err: &JsValue) -> Promise {
    promise.unchecked_ref::<Chain>().then(ok, err)
}

/// Element `i` of a `NodeList` the shell selected with an element selector.
pub fn element_at(list: &NodeList, i: u32) -> Option<Element> {
    list.item(i)?.dyn_into::<Element>().ok()
}
