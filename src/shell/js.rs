//! Browser calls declared here rather than taken from `web-sys`, where a
//! narrower signature means less glue (no exception wrapper, one shared
//! binding instead of several). Values are reached through `unchecked_ref`.

use wasm_bindgen::prelude::*;

#[wasm_bindgen]
extern "C" {
    /// Any `EventTarget`.
    pub type Target;

    /// `target.addEventListener(kind, callback, options)`.
    #[wasm_bindgen(method, js_name = addEventListener)]
    pub fn add_listener(this: &Target, kind: &str, callback: &JsValue, options: &JsValue);

    /// `target.removeEventListener(kind, callback, capture)`.
    #[wasm_bindgen(method, js_name = removeEventListener)]
    pub fn remove_listener(this: &Target, kind: &str, callback: &JsValue, capture: bool);
}
