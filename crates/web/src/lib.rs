//! What every kelisim wasm module shares: the browser bindings ([`js`]), DOM
//! helpers ([`dom`]), conversions between JS values and core types
//! ([`convert`]), the views more than one module renders (the language
//! switch, the list of third parties), and the shell's error type.
//!
//! Each wasm module (the banner's, and each part loaded on first use) is its
//! own `cdylib` crate over this crate and `kelisim-core`; modules share no
//! memory, only JS values (the config object, the consent cookie).
// Browser code: the crate is empty on other targets (so `cargo test --workspace` passes over it).
#![cfg(target_arch = "wasm32")]
#![deny(missing_docs)]
#![no_std]

extern crate alloc;

use alloc::string::String;
use wasm_bindgen::{JsCast, JsValue};

use kelisim_core as core;
use crate::core::config::{Config, ConfigError, Lang};
use crate::core::texts::{texts, Texts};
/// Concatenates string slices (the core's helper; no `format!` machinery).
pub use crate::core::value::cat;

pub mod convert;
pub mod disclose_view;
pub mod dom;
pub mod js;

use dom::{add, el};
use js::{Element, Event};

/// Everything that can go wrong at the JS boundary.
#[derive(Debug)]
pub enum Error {
    /// The config is invalid.
    Config(ConfigError),
    /// An API argument is invalid.
    Argument(String),
    /// `start()` ran twice on one page.
    AlreadyStarted,
    /// No `document` (a worker, or a page being torn down).
    NoDocument,
    /// A browser call failed.
    Browser(String),
}

impl Error {
    /// What went wrong, for a person.
    pub fn message(self) -> String {
        match self {
            Error::Config(e) => cat(&["invalid config: ", &e.text()]),
            Error::Argument(m) => m,
            Error::AlreadyStarted => "start() was already called on this page; use window.kelisim".into(),
            Error::NoDocument => "no document to show the banner in".into(),
            Error::Browser(m) => cat(&["browser refused: ", &m]),
        }
    }
}

/// The one place a Rust error becomes a JS `Error`.
pub fn into_js(e: Error) -> JsValue {
    js_sys::Error::new(&cat(&["kelisim: ", &e.message()])).into()
}

/// A browser exception as an [`Error`].
pub fn browser(e: JsValue) -> Error {
    Error::Browser(
        e.dyn_ref::<js_sys::Error>()
            .map(|e| String::from(e.message()))
            .or_else(|| e.as_string())
            .unwrap_or_else(|| "unknown error".into()),
    )
}

/// A console warning prefixed with `kelisim: `.
pub fn warn(msg: &str) {
    js::warn(&cat(&["kelisim: ", msg]));
}

/// The closest ancestor-or-self of the event target matching `selector` (none
/// when the target is not an element: `closest` then throws).
pub fn target_with(e: &Event, selector: &str) -> Option<Element> {
    js::target_element(e)?.closest(selector).ok().flatten()
}

/// The language switch (a group of buttons), when the site offers more than one language.
pub fn lang_switch(config: &Config, lang: Lang, t: &Texts) -> Option<Element> {
    if config.languages.len() < 2 {
        return None;
    }
    let group = el("div", &[("class", "kelisim-lang"), ("role", "group"), ("aria-label", t.language)], None);
    for l in &config.languages {
        let own = texts(*l).own_name;
        let pressed = if *l == lang { "true" } else { "false" };
        add(
            &group,
            &el(
                "button",
                &[("type", "button"), ("data-kelisim-lang", l.code()), ("lang", l.code()), ("aria-pressed", pressed)],
                Some(own),
            ),
        );
    }
    Some(group)
}
