//! kelisim's policy view as a wasm module of its own (`kelisim_policy_bg.wasm`):
//! the site's policy document rendered in a modal `<dialog>` or in place. The
//! banner's module loads it when a page first needs it (the banner's policy
//! link, `showPolicy`, a `[data-kelisim="policy"]` element), through the
//! entry, which makes a [`PolicyViews`] from the same config object. The two
//! modules share no memory: the language goes across as a code, a language
//! chosen in a view goes back through `set_language`.
// Browser code: the crate is empty on other targets (so `cargo test --workspace` passes over it).
#![cfg(target_arch = "wasm32")]
#![deny(missing_docs)]
#![no_std]

extern crate alloc;

use alloc::rc::Rc;
use core::cell::RefCell;

use kelisim_core::config::{self, Config, Lang};
use kelisim_core::value::Path;
use kelisim_web::js::{self, Element, Promise};
use kelisim_web::{convert, into_js, Error};
use wasm_bindgen::prelude::*;

mod views;

/// The config, under the name the views use.
struct Session {
    config: Config,
}

impl Session {
    fn config(&self) -> &Config {
        &self.config
    }
}

struct State {
    session: Session,
    /// The banner's container (focus goes back to its policy link).
    root: Element,
    /// `(code) => instance.setLanguage(code)`.
    set_language: js::Function,
    policy: views::Views,
}

type Shared = Rc<RefCell<State>>;

/// The policy views of a page.
#[wasm_bindgen]
pub struct PolicyViews {
    state: Shared,
}

fn lang(code: &str) -> Result<Lang, JsValue> {
    Lang::from_code(code).ok_or_else(|| into_js(Error::Argument(kelisim_web::cat(&["language \"", code, "\" is not supported (kk, ru)"]))))
}

#[wasm_bindgen]
impl PolicyViews {
    /// Views for `config` (the object the banner started with); `root` is the
    /// banner's container; `set_language(code)` switches the whole instance.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue, root: Element, set_language: js::Function) -> Result<PolicyViews, JsValue> {
        let value = convert::to_value(&config, &Path::Root, 0).map_err(into_js)?;
        let config = config::decode(&value).map_err(|e| into_js(Error::Config(e)))?;
        let state = Rc::new(RefCell::new(State {
            session: Session { config },
            root,
            set_language,
            policy: Default::default(),
        }));
        Ok(PolicyViews { state })
    }

    /// Renders every `[data-kelisim="policy"]` element in `lang`.
    pub fn places(&self, lang_code: &str) -> Result<(), JsValue> {
        views::start(&self.state, lang(lang_code)?);
        Ok(())
    }

    /// Opens the dialog in `lang` (focus goes back to `opener`); resolves once rendered.
    pub fn open(&self, lang_code: &str, opener: Option<Element>) -> Result<Promise, JsValue> {
        Ok(views::open_dialog(&self.state, lang(lang_code)?, opener))
    }

    /// After a language change: every open view follows.
    pub fn follow(&self, lang_code: &str) -> Result<(), JsValue> {
        views::follow(&self.state, lang(lang_code)?);
        Ok(())
    }
}

// The same allocator and panic behaviour as the banner's module (src/lib.rs).
#[global_allocator]
// SAFETY: wasm32-unknown-unknown without atomics runs on one thread.
static ALLOCATOR: lol_alloc::AssumeSingleThreaded<lol_alloc::FreeListAllocator> =
    unsafe { lol_alloc::AssumeSingleThreaded::new(lol_alloc::FreeListAllocator::new()) };

#[panic_handler]
fn panic(_: &::core::panic::PanicInfo) -> ! {
    ::core::arch::wasm32::unreachable()
}
