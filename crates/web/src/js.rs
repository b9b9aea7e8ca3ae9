//! The browser calls the shell makes, declared here instead of taken from
//! `web-sys`: each binding becomes an import with its own JS wrapper, so the
//! set is kept small. Calls that cannot fail with the arguments the shell
//! passes have no exception wrapper; the ones that can (storage, cookies,
//! selectors, `showModal`, `crypto`) return a `Result`.

use alloc::string::String;
use wasm_bindgen::prelude::*;

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
    pub fn supported_locales_of(locale: &str) -> js_sys::Array;

    /// Any `EventTarget`.
    #[derive(Clone)]
    pub type Target;

    /// `target.addEventListener(kind, callback, options)`.
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_listener(this: &Target, kind: &str, callback: &JsValue, options: &JsValue);

    /// `target.removeEventListener(kind, callback, capture)`.
    #[wasm_bindgen(method, js_name = removeEventListener)]
    pub fn remove_listener(this: &Target, kind: &str, callback: &JsValue, capture: bool);

    /// `target.dispatchEvent(event)`.
    #[wasm_bindgen(method, js_name = dispatchEvent)]
    pub fn dispatch_event(this: &Target, event: &CustomEvent);

    /// A `Document` or an `Element` (what `querySelector` works on).
    #[derive(Clone)]
    #[wasm_bindgen(extends = Target)]
    pub type Node;

    /// The first match of `selector`.
    #[wasm_bindgen(method, catch, js_name = querySelector)]
    pub fn query_selector(this: &Node, selector: &str) -> Result<Option<Element>, JsValue>;

    /// `window`.
    #[derive(Clone)]
    #[wasm_bindgen(extends = Target)]
    pub type Window;

    /// `globalThis`: the page's globals are read as its properties, so a
    /// missing one (no `window` in a worker) reads as `undefined`.
    #[wasm_bindgen(js_name = globalThis)]
    pub type Global;

    /// `window`, absent outside a page (a worker).
    #[wasm_bindgen(static_method_of = Global, getter)]
    pub fn window() -> Option<Window>;

    /// `document`, absent outside a page (a worker).
    #[wasm_bindgen(static_method_of = Global, getter)]
    pub fn document() -> Option<Document>;

    /// `window.localStorage`; throws when storage is blocked.
    #[wasm_bindgen(method, getter, catch, js_name = localStorage)]
    pub fn local_storage(this: &Window) -> Result<Option<Storage>, JsValue>;

    /// `document`.
    #[derive(Clone)]
    #[wasm_bindgen(extends = Node, extends = Target)]
    pub type Document;

    /// `document.body`.
    #[wasm_bindgen(method, getter)]
    pub fn body(this: &Document) -> Option<Element>;

    /// `document.head`.
    #[wasm_bindgen(method, getter)]
    pub fn head(this: &Document) -> Option<Element>;

    /// `document.documentElement`.
    #[wasm_bindgen(method, getter, js_name = documentElement)]
    pub fn document_element(this: &Document) -> Option<Element>;

    /// `document.activeElement`.
    #[wasm_bindgen(method, getter, js_name = activeElement)]
    pub fn active_element(this: &Document) -> Option<Element>;

    /// `document.createElement(tag)`.
    #[wasm_bindgen(method, js_name = createElement)]
    pub fn create_element(this: &Document, tag: &str) -> Element;

    /// An HTML document (the only kind with `document.cookie` here).
    #[wasm_bindgen(js_name = HTMLDocument)]
    pub type HtmlDocument;

    /// `document.cookie`; throws in sandboxed documents.
    #[wasm_bindgen(method, getter, catch)]
    pub fn cookie(this: &HtmlDocument) -> Result<String, JsValue>;

    /// `document.cookie = line`.
    #[wasm_bindgen(method, setter, catch)]
    pub fn set_cookie(this: &HtmlDocument, line: &str) -> Result<(), JsValue>;

    /// An element.
    #[derive(Clone)]
    #[wasm_bindgen(extends = Node, extends = Target)]
    pub type Element;

    /// `element.setAttribute(name, value)`.
    #[wasm_bindgen(method, js_name = setAttribute)]
    pub fn set_attribute(this: &Element, name: &str, value: &str);

    /// `element.getAttribute(name)`.
    #[wasm_bindgen(method, js_name = getAttribute)]
    pub fn get_attribute(this: &Element, name: &str) -> Option<String>;

    /// `element.removeAttribute(name)`.
    #[wasm_bindgen(method, js_name = removeAttribute)]
    pub fn remove_attribute(this: &Element, name: &str);

    /// `element.textContent = text` (`None` removes every child).
    #[wasm_bindgen(method, setter, js_name = textContent)]
    pub fn set_text_content(this: &Element, text: Option<&str>);

    /// `element.append(child)`: an element, or a string as a text node.
    #[wasm_bindgen(method)]
    pub fn append(this: &Element, child: &JsValue);

    /// `element.prepend(child)`.
    #[wasm_bindgen(method)]
    pub fn prepend(this: &Element, child: &Element);

    /// Every match of `selector`, as an array-like `NodeList`.
    #[wasm_bindgen(method, catch, js_name = querySelectorAll)]
    pub fn query_selector_all(this: &Element, selector: &str) -> Result<js_sys::Array, JsValue>;

    /// `element.closest(selector)`.
    #[wasm_bindgen(method, catch)]
    pub fn closest(this: &Element, selector: &str) -> Result<Option<Element>, JsValue>;

    /// `element.contains(other)`.
    #[wasm_bindgen(method)]
    pub fn contains(this: &Element, other: &Element) -> bool;

    /// `element.focus()`.
    #[wasm_bindgen(method)]
    pub fn focus(this: &Element);

    /// `dialog.showModal()`; throws when the dialog is not in the document.
    #[wasm_bindgen(method, catch, js_name = showModal)]
    pub fn show_modal(this: &Element) -> Result<(), JsValue>;

    /// `input.checked`.
    #[wasm_bindgen(method, getter)]
    pub fn checked(this: &Element) -> bool;

    /// An event.
    pub type Event;

    /// `event.target` (an element for the events the shell listens to on its root).
    #[wasm_bindgen(method, getter)]
    pub fn target(this: &Event) -> Option<Element>;

    /// `event.preventDefault()`.
    #[wasm_bindgen(method, js_name = preventDefault)]
    pub fn prevent_default(this: &Event);

    /// `event.key`: set on keyboard events only.
    #[wasm_bindgen(method, getter)]
    pub fn key(this: &Event) -> Option<String>;

    /// A `CustomEvent`.
    pub type CustomEvent;

    /// `new CustomEvent(name, init)`.
    #[wasm_bindgen(constructor)]
    pub fn new(name: &str, init: &JsValue) -> CustomEvent;

    /// `localStorage`.
    pub type Storage;

    /// `storage.getItem(key)`.
    #[wasm_bindgen(method, catch, js_name = getItem)]
    pub fn get_item(this: &Storage, key: &str) -> Result<Option<String>, JsValue>;

    /// `storage.setItem(key, value)`.
    #[wasm_bindgen(method, catch, js_name = setItem)]
    pub fn set_item(this: &Storage, key: &str, value: &str) -> Result<(), JsValue>;

    /// `navigator`.
    #[wasm_bindgen(js_name = navigator)]
    pub type Navigator;

    /// `navigator.languages`.
    #[wasm_bindgen(static_method_of = Navigator, getter)]
    pub fn languages() -> js_sys::Array;

    /// `location`.
    #[wasm_bindgen(js_name = location)]
    pub type Location;

    /// `location.protocol`.
    #[wasm_bindgen(static_method_of = Location, getter)]
    pub fn protocol() -> JsValue;

    /// `crypto.getRandomValues(buf)`.
    #[wasm_bindgen(catch, js_namespace = crypto, js_name = getRandomValues)]
    pub fn get_random_values(buf: &mut [u8]) -> Result<(), JsValue>;

    /// `Reflect.set(object, key, value)`: cannot throw on the objects the
    /// shell passes (its own plain objects and elements).
    #[wasm_bindgen(js_namespace = Reflect, js_name = set)]
    pub fn set_property(object: &JsValue, key: &str, value: &JsValue);

    /// `console.warn(message)`.
    #[wasm_bindgen(js_namespace = console)]
    pub fn warn(message: &str);

    /// `console.error(error)`.
    #[wasm_bindgen(js_namespace = console)]
    pub fn error(error: &JsValue);

    // The policy view.

    /// `fetch(url)`: resolves to the response, rejects on a network error.
    pub fn fetch(url: &str) -> Promise;

    /// A `Promise`.
    #[derive(Clone)]
    pub type Promise;

    /// `promise.then(onFulfilled, onRejected)` (either may be `undefined`).
    #[wasm_bindgen(method)]
    pub fn then(this: &Promise, ok: &JsValue, err: &JsValue) -> Promise;

    /// `Promise.resolve(value)`.
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn resolve(value: &JsValue) -> Promise;

    /// `Promise.reject(reason)`.
    #[wasm_bindgen(static_method_of = Promise)]
    pub fn reject(reason: &JsValue) -> Promise;

    /// A fetch `Response`.
    pub type Response;

    /// `response.text()`.
    #[wasm_bindgen(method)]
    pub fn text(this: &Response) -> Promise;

    /// `JSON.parse(text)`; throws a `SyntaxError` on bad JSON.
    #[wasm_bindgen(catch, js_namespace = JSON, js_name = parse)]
    pub fn parse_json(text: &str) -> Result<JsValue, JsValue>;

    /// `Reflect.get(object, key)`: reads a property the shell has no binding
    /// for (one import serves every such read).
    #[wasm_bindgen(js_namespace = Reflect, js_name = get)]
    pub fn get_property(object: &JsValue, key: &str) -> JsValue;

    /// `element.getBoundingClientRect()` (read through `get_property`).
    #[wasm_bindgen(method, js_name = getBoundingClientRect)]
    pub fn rect(this: &Element) -> JsValue;

    /// `element.scrollIntoView()`.
    #[wasm_bindgen(method, js_name = scrollIntoView)]
    pub fn scroll_into_view(this: &Element);
}

/// What receipts use: a function call (the delivery's intake) and `URL`.
#[wasm_bindgen]
extern "C" {
    /// A JS function.
    #[derive(Clone)]
    #[wasm_bindgen(js_name = Function)]
    pub type Func;

    /// `f.call(null, a)`; a throwing function is an `Err`.
    #[wasm_bindgen(method, catch, js_name = call)]
    pub fn call1(this: &Func, this_arg: &JsValue, a: &JsValue) -> Result<JsValue, JsValue>;

    /// A parsed `URL`.
    #[wasm_bindgen(js_name = URL)]
    pub type Url;

    /// `new URL(url, base)`; throws for a URL it cannot parse.
    #[wasm_bindgen(constructor, catch, js_class = URL)]
    pub fn new(url: &str, base: &str) -> Result<Url, JsValue>;

    /// `url.href`.
    #[wasm_bindgen(method, getter)]
    pub fn href(this: &Url) -> String;

    /// `document.baseURI`.
    #[wasm_bindgen(method, getter, js_name = baseURI)]
    pub fn base_uri(this: &Document) -> String;
}

// Browser calls for gated scripts and embeds, Consent Mode, GPC and other tabs.
#[wasm_bindgen]
extern "C" {
    /// `element.getAttributeNames()`.
    #[wasm_bindgen(method, js_name = getAttributeNames)]
    pub fn attribute_names(this: &Element) -> js_sys::Array;

    /// `element.after(node)`.
    #[wasm_bindgen(method)]
    pub fn after(this: &Element, node: &Element);

    /// `element.remove()`.
    #[wasm_bindgen(method)]
    pub fn remove(this: &Element);


    /// `Reflect.apply(f, this, args)`: calls a page function (`gtag`), which may throw.
    #[wasm_bindgen(catch, js_namespace = Reflect, js_name = apply)]
    pub fn apply(f: &JsValue, this: &JsValue, args: &js_sys::Array) -> Result<JsValue, JsValue>;

    /// `navigator.globalPrivacyControl` (undefined where not supported).
    #[wasm_bindgen(static_method_of = Navigator, js_class = "navigator", getter, js_name = globalPrivacyControl)]
    pub fn global_privacy_control() -> JsValue;

    /// `location.hostname`.
    #[wasm_bindgen(static_method_of = Location, js_class = "location", getter)]
    pub fn hostname() -> String;

    /// `location.pathname`.
    #[wasm_bindgen(static_method_of = Location, js_class = "location", getter)]
    pub fn pathname() -> String;

    /// `location.reload()`.
    #[wasm_bindgen(static_method_of = Location, js_class = "location")]
    pub fn reload();

    /// `storage.length`.
    #[wasm_bindgen(method, getter)]
    pub fn length(this: &Storage) -> u32;

    /// `storage.key(i)`.
    #[wasm_bindgen(method)]
    pub fn key(this: &Storage, i: u32) -> Option<String>;

    /// `storage.removeItem(key)`.
    #[wasm_bindgen(method, js_name = removeItem)]
    pub fn remove_item(this: &Storage, key: &str);

    /// `event.data` of a `message` event.
    #[wasm_bindgen(method, getter)]
    pub fn data(this: &Event) -> JsValue;

    /// `event.newValue` of a `storage` event.
    #[wasm_bindgen(method, getter, js_name = newValue)]
    pub fn new_value(this: &Event) -> Option<String>;

    /// A `MutationObserver`.
    pub type MutationObserver;

    /// `new MutationObserver(callback)`.
    #[wasm_bindgen(constructor)]
    pub fn new(callback: &JsValue) -> MutationObserver;

    /// `observer.observe(target, options)`.
    #[wasm_bindgen(method)]
    pub fn observe(this: &MutationObserver, target: &Element, options: &JsValue);

    /// `observer.disconnect()`.
    #[wasm_bindgen(method)]
    pub fn disconnect(this: &MutationObserver);

    /// A `BroadcastChannel`.
    #[derive(Clone)]
    #[wasm_bindgen(extends = Target)]
    pub type BroadcastChannel;

    /// `new BroadcastChannel(name)`; throws where there is none.
    #[wasm_bindgen(catch, constructor)]
    pub fn new(name: &str) -> Result<BroadcastChannel, JsValue>;

    /// `channel.postMessage(data)`.
    #[wasm_bindgen(method, js_name = postMessage)]
    pub fn post_message(this: &BroadcastChannel, data: &JsValue);

    /// `channel.close()`.
    #[wasm_bindgen(method)]
    pub fn close(this: &BroadcastChannel);
}

// Third-party link and OAuth disclosures (`disclose.rs`).
#[wasm_bindgen]
extern "C" {

    /// `event.defaultPrevented`.
    #[wasm_bindgen(method, getter, js_name = defaultPrevented)]
    pub fn default_prevented(this: &Event) -> bool;

    /// `event.button` (mouse events; 0 is the primary button, 1 the middle one).
    #[wasm_bindgen(method, getter)]
    pub fn button(this: &Event) -> i32;

    /// `event.altKey`.
    #[wasm_bindgen(method, getter, js_name = altKey)]
    pub fn alt_key(this: &Event) -> bool;

    /// `element.previousElementSibling`.
    #[wasm_bindgen(method, getter, js_name = previousElementSibling)]
    pub fn previous_element_sibling(this: &Element) -> Option<Element>;

    /// `element.matches(selector)`; the shell passes only valid selectors.
    #[wasm_bindgen(method)]
    pub fn matches(this: &Element, selector: &str) -> bool;

    /// `event.stopImmediatePropagation()`.
    #[wasm_bindgen(method, js_name = stopImmediatePropagation)]
    pub fn stop_immediate_propagation(this: &Event);

    /// `new MouseEvent(type, init)`: `init` may be another mouse event (its
    /// button, modifier keys and coordinates are copied).
    #[wasm_bindgen(js_name = MouseEvent)]
    pub type MouseEvent;

    /// `new MouseEvent(type, init)`.
    #[wasm_bindgen(constructor, js_class = MouseEvent)]
    pub fn new(kind: &str, init: &JsValue) -> MouseEvent;

    /// `target.dispatchEvent(event)` for a replayed mouse event: its handlers
    /// and default action (following a link, submitting a form) run as for
    /// the original.
    #[wasm_bindgen(method, js_name = dispatchEvent)]
    pub fn replay(this: &Target, event: &MouseEvent);
}
