//! The policy view's side in the banner's module. The view itself (rendering
//! the site's policy document, its dialog, in-place views) is a wasm module
//! of its own (`crates/policy-view`, `kelisim_policy_bg.wasm`), loaded
//! through the entry's `parts.policy(root)` when it is first needed: a plain
//! click on the policy link, `showPolicy`, or a page with
//! `[data-kelisim="policy"]` elements. Until it is there the link's click is
//! held (its default prevented), so it never navigates away half-way.
//!
//! A failed load shows a message in the visitor's language (in the banner and
//! in every in-place view), leaves the banner working, names the URL on the
//! console, and is tried again on the next use.

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec::Vec;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::*;

use super::dom::{self, el, Listener};
use super::js::{self, Element, Event, Promise};
use super::{cat, into_js, target_with, Error, Shared};
use crate::core::config::Lang;
use crate::core::texts::texts;

#[wasm_bindgen]
extern "C" {
    /// The entry's loader of the parts loaded on first use (`kelisim.js`).
    #[derive(Clone)]
    pub type Parts;

    /// Loads the policy view's module (once) and makes its views for the
    /// config the page started with; `root` is the banner's container.
    #[wasm_bindgen(method)]
    fn policy(this: &Parts, root: &Element) -> Promise;

    /// `PolicyViews` of `crates/policy-view`.
    #[derive(Clone)]
    type PolicyPart;

    #[wasm_bindgen(method, catch)]
    fn places(this: &PolicyPart, lang: &str) -> Result<(), JsValue>;

    #[wasm_bindgen(method, catch)]
    fn open(this: &PolicyPart, lang: &str, opener: Option<Element>) -> Result<Promise, JsValue>;

    #[wasm_bindgen(method, catch)]
    fn follow(this: &PolicyPart, lang: &str) -> Result<(), JsValue>;
}

/// A promise step: gets what the promise settled with; an `Err` rejects the next promise.
type Step = Closure<dyn FnMut(JsValue) -> Result<JsValue, JsValue>>;

/// The policy view as the banner's module sees it.
#[derive(Default)]
pub struct Views {
    /// The entry's loader (none when started without one: no policy view then).
    parts: Option<Parts>,
    /// The loaded module's views.
    part: Option<PolicyPart>,
    /// The load in flight; resolves to the views.
    loading: Option<Promise>,
    /// The page has `[data-kelisim="policy"]` elements (rendered once loaded).
    places: Vec<Element>,
    /// Promise steps of loads and of uses that waited for one.
    steps: Vec<Step>,
    /// Marks a rejection nobody else handles as handled (it is reported already).
    handled: Option<Step>,
    /// A load failed (and none succeeded since): the policy link goes to the
    /// policy page as a plain link.
    link_fallback: bool,
    listeners: Vec<Listener>,
}

impl Views {
    /// With the entry's loader (`parts`, an object), or none.
    pub fn new(parts: JsValue) -> Views {
        Views { parts: parts.is_object().then(|| parts.unchecked_into()), ..Default::default() }
    }
}

/// What to do with the views once they are there.
#[derive(Clone)]
enum Act {
    /// Render the page's in-place views in the current language.
    Places,
    /// Open the dialog in this language (or the current one), focus going back to the opener.
    Open(Option<Lang>, Option<Element>),
}

/// At start: makes a plain click on the banner's policy link open the dialog,
/// and renders the page's `[data-kelisim="policy"]` elements.
pub fn start(state: &Shared) {
    let Some(body) = dom::document().and_then(|d| d.body()) else { return };
    let configured = state.borrow().session.config().policy.document.is_some();
    let mut places = Vec::new();
    if let Ok(list) = body.query_selector_all("[data-kelisim=\"policy\"]") {
        for i in 0..list.length() {
            places.extend(js::element_at(&list, i));
        }
    }
    if !places.is_empty() && !configured {
        js::error(&into_js(Error::Argument(
            "[data-kelisim=\"policy\"] needs policy.document in the config; the element is left as it is".into(),
        )));
        places.clear();
    }
    let weak = Rc::downgrade(state);
    let handled: Step = Closure::new(|_| Ok(JsValue::UNDEFINED));
    {
        let mut st = state.borrow_mut();
        let root = st.root.clone();
        let pv = &mut st.policy;
        if configured {
            pv.listeners.push(dom::listen(&root, "click", 0, move |e: &Event| {
                if let Some(state) = weak.upgrade() {
                    on_link(&state, e);
                }
            }));
        }
        pv.handled = Some(handled);
        pv.places = places;
    }
    if !state.borrow().policy.places.is_empty() {
        quietly(state, run(state, Act::Places));
    }
}

/// `showPolicy(lang?)`: opens the dialog (or switches it to `lang`). The
/// promise resolves once the policy is rendered and rejects with an `Error`
/// naming the problem (also when the policy view's module does not load).
pub fn show(state: &Shared, lang: Option<alloc::string::String>) -> Promise {
    let lang = match lang.as_deref().map(super::lang_arg) {
        None => state.borrow().session.language(),
        Some(Ok(l)) if state.borrow().session.config().languages.contains(&l) => l,
        Some(Ok(l)) => return rejected(Error::Argument(cat(&["language \"", l.code(), "\" is not offered by this site"]))),
        Some(Err(e)) => return rejected(e),
    };
    if state.borrow().session.config().policy.document.is_none() {
        return rejected(Error::Argument("showPolicy: the config has no policy.document".into()));
    }
    let opener = dom::document().and_then(|d| d.active_element());
    run(state, Act::Open(Some(lang), opener))
}

fn rejected(e: Error) -> Promise {
    Promise::reject(&into_js(e))
}

/// After a language change: the views follow (a view not loaded yet opens
/// in the language current when it arrives).
pub fn follow(state: &Shared, lang: Lang) {
    let part = state.borrow().policy.part.clone();
    if let Some(p) = part {
        let _ = p.follow(lang.code());
    }
}

/// A click without modifier keys and with the main button: anything else
/// (a new tab, a new window) keeps the link's own behaviour.
fn plain_click(e: &Event) -> bool {
    let e: &JsValue = e.as_ref();
    js::get_property(e, "button").as_f64() == Some(0.0)
        && ["ctrlKey", "metaKey", "shiftKey", "altKey"].iter().all(|k| js::get_property(e, k).as_bool() != Some(true))
}

fn on_link(state: &Shared, e: &Event) {
    let Some(link) = target_with(e, "[data-kelisim-action=\"policy\"]") else { return };
    if !plain_click(e) || state.borrow().policy.link_fallback {
        return;
    }
    e.prevent_default();
    quietly(state, run(state, Act::Open(None, Some(link))));
}

/// Adds a handler to a promise whose failure is reported already, so the
/// page gets no "uncaught (in promise)" error for it.
fn quietly(state: &Shared, p: Promise) {
    if let Some(h) = &state.borrow().policy.handled {
        let _ = js::then_with(&p, &JsValue::UNDEFINED, h.as_ref());
    }
}

/// Does `act` now when the views are there, else once they have loaded.
fn run(state: &Shared, act: Act) -> Promise {
    let part = state.borrow().policy.part.clone();
    if let Some(part) = part {
        return now(state, &part, act).unwrap_or_else(|e| Promise::reject(&e));
    }
    let loading = match loading(state) {
        Ok(p) => p,
        Err(e) => return Promise::reject(&e),
    };
    let weak = Rc::downgrade(state);
    let step: Step = Closure::new(move |part: JsValue| {
        let Some(state) = weak.upgrade() else { return Ok(JsValue::UNDEFINED) };
        now(&state, part.unchecked_ref(), act.clone()).map(JsValue::from)
    });
    let p = js::then_with(&loading, step.as_ref(), &JsValue::UNDEFINED);
    state.borrow_mut().policy.steps.push(step);
    p
}

fn now(state: &Shared, part: &PolicyPart, act: Act) -> Result<Promise, JsValue> {
    let current = state.borrow().session.language();
    match act {
        Act::Places => part.places(current.code()).map(|()| Promise::resolve(&JsValue::UNDEFINED)),
        Act::Open(lang, opener) => part.open(lang.unwrap_or(current).code(), opener),
    }
}

/// The load in flight, or a new one.
fn loading(state: &Shared) -> Result<Promise, JsValue> {
    let (parts, root) = {
        let st = state.borrow();
        if let Some(p) = &st.policy.loading {
            return Ok(p.clone());
        }
        (st.policy.parts.clone(), st.root.clone())
    };
    let Some(parts) = parts else {
        return Err(into_js(Error::Argument("the policy view is not available: start kelisim through kelisim.js".into())));
    };
    let weak = Rc::downgrade(state);
    let ok: Step = Closure::new(move |part: JsValue| {
        if let Some(state) = weak.upgrade() {
            let mut st = state.borrow_mut();
            st.policy.part = Some(part.clone().unchecked_into());
            st.policy.link_fallback = false;
        }
        Ok(part)
    });
    let weak = Rc::downgrade(state);
    let failed: Step = Closure::new(move |e: JsValue| {
        if let Some(state) = weak.upgrade() {
            load_failed(&state, &e);
        }
        Err(e)
    });
    let p = js::then_with(&parts.policy(&root), ok.as_ref(), failed.as_ref());
    let mut st = state.borrow_mut();
    st.policy.steps.push(ok);
    st.policy.steps.push(failed);
    st.policy.loading = Some(p.clone());
    Ok(p)
}

/// The module did not load: the console names the URL (the entry's error
/// says which), the visitor reads a message in their language with a link to
/// the policy page, the policy link becomes a plain link to that page, and
/// `showPolicy` tries again.
fn load_failed(state: &Shared, e: &JsValue) {
    js::error(e);
    let (root, places, lang, page) = {
        let mut st = state.borrow_mut();
        st.policy.loading = None;
        st.policy.link_fallback = true;
        let lang = st.session.language();
        (st.root.clone(), st.policy.places.clone(), lang, String::from(st.session.config().policy.url.get(lang)))
    };
    let text = match lang {
        Lang::Kk => "Бұл бөлім жүктелмеді. Кейінірек қайталап көріңіз.",
        Lang::Ru => "Этот раздел не загрузился. Попробуйте ещё раз позже.",
    };
    let message = || {
        let p = el("p", &[("class", "kelisim-perror"), ("role", "alert"), ("data-kelisim-error", ""), ("lang", lang.code())], Some(text));
        dom::add_text(&p, " ");
        dom::add(&p, &el("a", &[("href", &page)], Some(texts(lang).policy)));
        p
    };
    if let Ok(Some(old)) = root.query_selector("[data-kelisim-error]") {
        old.remove();
    }
    // Inside what the root shows (the banner, the panel, the reopen button's
    // container): the root itself has no box of its own.
    let host = root.query_selector("[data-kelisim=\"banner\"], [data-kelisim=\"preferences\"] .kelisim-scroll").ok().flatten();
    dom::add(host.as_ref().unwrap_or(&root), &message());
    for p in &places {
        p.set_text_content(None);
        dom::add(p, &message());
    }
}
