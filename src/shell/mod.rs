//! The browser shell: reads the browser, calls the core, carries out effects.
//!
//! Errors are typed ([`Error`]) and become `js_sys::Error` in one place,
//! [`into_js`]. Every listener is a [`dom::Listener`] owned by [`State`], so
//! dropping the state unregisters them; closures hold a `Weak` reference, so
//! there is no reference cycle and nothing is leaked.

mod cookies;
mod disclose;
mod receipts;
mod view;
mod policy;

mod gate;

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;
use core::sync::atomic::{AtomicBool, Ordering};

use wasm_bindgen::prelude::*;
use js::{Element, Event};

use crate::core::config::{self, Lang};
use crate::core::consent::Choice;
use crate::core::ids::uuid_v4;
use crate::core::session::{Discarded, Effect, Hints, Session, View};
pub(crate) use crate::core::value::cat;
use crate::core::value::Path;

pub(crate) use kelisim_web::{browser, convert, disclose_view, dom, into_js, js, target_with, warn, Error};

/// Whether `start()` ran on this page (the module has one thread).
static STARTED: AtomicBool = AtomicBool::new(false);

struct State {
    session: Session,
    /// The container everything is rendered into.
    root: Element,
    /// Switch states of an open panel, kept across a language switch.
    draft: Vec<(String, bool)>,
    _listeners: Vec<dom::Listener>,
    /// The policy views and the documents they show.
    policy: policy::Views,
    /// The receipt delivery's intake, when receipts are on.
    receipts: Option<js::Function>,

    /// Gated scripts and embeds, Consent Mode, other tabs.
    gate: gate::Gate,

    /// Third-party link and OAuth disclosures.
    disclose: disclose::Disclose,
}

type Shared = Rc<RefCell<State>>;

/// A started kelisim instance (`window.kelisim`).
#[wasm_bindgen]
pub struct Kelisim {
    state: Shared,
}

fn fresh_uuid() -> Result<String, Error> {
    dom::random16().map(uuid_v4).map_err(browser)
}

const LANG_KEY: &str = "kelisim.lang";

/// Starts kelisim with a config object; `css_href` is the stylesheet to add
/// (none when the page already links it); `receipts` is the receipt
/// delivery's intake, a function, when the page wants receipts; `parts` is
/// the entry's loader of the modules loaded on first use. Validates
/// everything before it touches the page.
#[wasm_bindgen(js_name = start)]
pub fn start(config: JsValue, css_href: Option<String>, receipts: JsValue, parts: JsValue) -> Result<Kelisim, JsValue> {
    start_inner(&config, css_href, &receipts, parts).map_err(into_js)
}

fn start_inner(config: &JsValue, css_href: Option<String>, receipts: &JsValue, parts: JsValue) -> Result<Kelisim, Error> {
    if STARTED.load(Ordering::Relaxed) {
        return Err(Error::AlreadyStarted);
    }
    let value = convert::to_value(config, &Path::Root, 0)?;
    let config = config::decode(&value).map_err(Error::Config)?;
    let receipts = receipts::intake(&config, receipts)?;
    let document = dom::document().ok_or(Error::NoDocument)?;
    let body = document.body().ok_or(Error::NoDocument)?;

    let saved = dom::storage().and_then(|s| s.get_item(LANG_KEY).ok().flatten());
    let html_lang = document.document_element().and_then(|e| e.get_attribute("lang"));
    let mut navigator: Vec<String> = Vec::new();
    for tag in js::languages().iter() {
        if let Some(tag) = tag.as_string() {
            navigator.push(tag);
        }
    }
    let cookie = cookies::read(&config, dom::now());
    let hints = Hints {
        cookie: cookie.as_deref(),
        saved_language: saved.as_deref(),
        html_lang: html_lang.as_deref(),
        navigator: &navigator,
        gpc: js::global_privacy_control(),
    };
    let (session, effects, discarded) = Session::start(config, &hints, dom::now());
    match discarded {
        Some(Discarded::Unreadable(e)) => {
            warn(&cat(&["ignored an unreadable consent cookie (", &e.text(), "); asking again"]))
        }
        Some(Discarded::Invalid(why)) => {
            warn(&cat(&["the stored consent no longer holds (", &why.text(), "); asking again"]))
        }
        None => {}
    }

    // From here on the page is touched.
    // The config's `ui` as attributes (a public contract); the stylesheet does the rest.
    let ui = session.config().ui;
    let root = dom::el(
        "div",
        &[
            ("class", "kelisim"),
            ("data-kelisim-root", ""),
            ("data-kelisim-layout", ui.layout),
            ("data-kelisim-position", ui.position),
            ("data-kelisim-theme", ui.theme),
        ],
        None,
    );
    // The stylesheet: the entry adds it as it starts (so it downloads beside
    // the module); until it has loaded the container stays hidden.
    let mut link = None;
    let mut add_link = false;
    if let Some(href) = css_href {
        match document.query_selector("link[data-kelisim-css]").ok().flatten() {
            // The entry's link says "loading" until it loaded or failed.
            Some(l) => {
                if l.get_attribute("data-kelisim-css").as_deref() == Some("loading") {
                    link = Some(l);
                }
            }
            None => {
                link = Some(dom::el("link", &[("rel", "stylesheet"), ("href", &href), ("data-kelisim-css", "")], None));
                add_link = true;
            }
        }
        if link.is_some() {
            let _ = root.set_attribute("hidden", "");
        }
    }

    let state = Rc::new(RefCell::new(State {
        session,
        root: root.clone(),
        draft: Vec::new(),
        _listeners: Vec::new(),
        policy: policy::Views::new(parts),
        receipts,

        gate: gate::Gate::default(),

        disclose: Default::default(),
    }));
    let mut listeners = Vec::new();
    if let Some(link) = &link {
        // Reveal once styled, or if the stylesheet fails: unstyled beats invisible.
        for kind in ["load", "error"] {
            listeners.push(dom::listen(link, kind, dom::ONCE | dom::PASSIVE, handler(&state, On::Styled)));
        }
        if add_link {
            if let Some(head) = document.head() {
                dom::add(&head, link);
            }
        }
    }
    let _ = body.prepend_with_node_1(&root);
    STARTED.store(true, Ordering::Relaxed);

    use dom::{listen, CAPTURE, PASSIVE};
    listeners.push(listen(&root, "click", PASSIVE, handler(&state, On::Click)));
    listeners.push(listen(&root, "change", PASSIVE, handler(&state, On::Change)));
    // Not passive: Escape's default action (closing the dialog natively) is cancelled.
    listeners.push(listen(&root, "keydown", 0, handler(&state, On::Key)));
    // The dialog's own Escape handling ("cancel") closes it; route it through the core.
    listeners.push(listen(&root, "cancel", CAPTURE | PASSIVE, handler(&state, On::Cancel)));
    // A tab that comes back after the consent lapsed asks again.
    listeners.push(listen(&document, "visibilitychange", PASSIVE, handler(&state, On::Visible)));
    state.borrow_mut()._listeners = listeners;
    gate::start(&state);

    disclose::listen(&state);
    apply(&state, effects);
    policy::start(&state);

    gate::pass(&state);
    Ok(Kelisim { state })
}

/// What an event listener is for.
#[derive(Clone, Copy)]
enum On {
    /// The stylesheet loaded (or failed): show the container.
    Styled,
    Click,
    Change,
    Key,
    Cancel,
    Visible,
    /// Gated scripts and embeds, other tabs.
    Gate(gate::On),
}

/// One closure type for every listener; it holds a `Weak` reference, so the
/// listeners (owned by the state) do not keep the state alive.
fn handler(state: &Shared, on: On) -> impl FnMut(&Event) + 'static {
    let weak = Rc::downgrade(state);
    move |e: &Event| match on {
        On::Styled => {
            if let Some(state) = weak.upgrade() {
                let _ = state.borrow().root.remove_attribute("hidden");
            }
        }
        On::Click => on_click(&weak, e),
        On::Change => on_change(&weak, e),
        On::Key => on_key(&weak, e),
        On::Cancel => {
            e.prevent_default();
            with(&weak, |st| st.session.close_preferences());
        }
        On::Visible => with(&weak, |st| st.session.tick(dom::now())),
        On::Gate(g) => {
            if let Some(state) = weak.upgrade() {
                gate::on(&state, g, e);
            }
        }
    }
}

/// Runs `f` on the state and carries out the effects it returns.
fn with(weak: &Weak<RefCell<State>>, f: impl FnOnce(&mut State) -> Vec<Effect>) {
    if let Some(state) = weak.upgrade() {
        let effects = f(&mut state.borrow_mut());
        apply(&state, effects);
    }
}

fn on_click(weak: &Weak<RefCell<State>>, e: &Event) {
    let Some(state) = weak.upgrade() else { return };
    if let Some(b) = target_with(e, "[data-kelisim-lang]") {
        let Some(lang) = b.get_attribute("data-kelisim-lang").as_deref().and_then(Lang::from_code) else { return };
        let _ = set_language(&state, lang);
        return;
    }
    let Some(action) = target_with(e, "[data-kelisim-action]").and_then(|b| b.get_attribute("data-kelisim-action")) else {
        return;
    };
    let panel = state.borrow().session.view() == View::Preferences;
    let (choice, method) = match action.as_str() {
        "accept-all" => (Choice::AcceptAll, if panel { "preferences: accept all" } else { "banner: accept all" }),
        "reject-all" => (Choice::RejectAll, if panel { "preferences: reject all" } else { "banner: reject all" }),
        "save" => {
            let (categories, services) = view::read_switches(&state.borrow().root);
            (Choice::Custom { categories, services }, "preferences: save")
        }
        "preferences" | "open" => {
            let fx = state.borrow_mut().session.show(View::Preferences);
            return apply(&state, fx);
        }
        "close" => {
            let fx = state.borrow_mut().session.close_preferences();
            return apply(&state, fx);
        }
        _ => return, // "policy" and unknown actions keep their default behaviour
    };
    if let Err(err) = decide(&state, &choice, method) {
        js::error(&into_js(err));
    }
}

fn on_change(weak: &Weak<RefCell<State>>, e: &Event) {
    let Some(state) = weak.upgrade() else { return };
    let Some(input) = js::target_element(e) else { return };
    let st = state.borrow();
    view::sync_switches(&st.root, st.session.config(), &input);
}

fn on_key(weak: &Weak<RefCell<State>>, e: &Event) {
    if e.dyn_ref::<js::KeyboardEvent>().map(|k| k.key()).as_deref() != Some("Escape") {
        return;
    }
    let Some(state) = weak.upgrade() else { return };
    if state.borrow().session.view() == View::Preferences {
        e.prevent_default();
        let fx = state.borrow_mut().session.close_preferences();
        apply(&state, fx);
    }
}

/// Records a decision; `method` is the receipt's `collectionMethod`.
fn decide(state: &Shared, choice: &Choice, method: &str) -> Result<(), Error> {
    let (id, subject) = (fresh_uuid()?, fresh_uuid()?);
    let result = state.borrow_mut().session.decide(choice, dom::now(), id, subject);
    // The decision's kind is also in its `Effect::Receipt`.
    let (effects, _) = result.map_err(|u| Error::Argument(cat(&["unknown category or service: \"", &u.0, "\""])))?;
    state.borrow_mut().draft.clear();
    carry_out(state, effects, method);
    Ok(())
}

fn set_language(state: &Shared, lang: Lang) -> Result<(), Error> {
    let effects = state
        .borrow_mut()
        .session
        .set_language(lang)
        .ok_or_else(|| Error::Argument(cat(&["language \"", lang.code(), "\" is not offered by this site"])))?;
    apply(state, effects);
    policy::follow(state, lang);
    Ok(())
}

fn dispatch(name: &str, detail: &JsValue) {
    if let Some(w) = js::window() {
        if let Some(event) = js::custom_event(name, detail) {
            let _ = w.dispatch_event(&event);
        }
    }
}

/// Carries out effects. Borrows end before any event is dispatched, so
/// listeners may call back into the API.
fn apply(state: &Shared, effects: Vec<Effect>) {
    carry_out(state, effects, "");
}

/// [`apply`], for a decision made through `method` (what the receipt records:
/// a banner button, the panel, an API call).
fn carry_out(state: &Shared, effects: Vec<Effect>, method: &str) {
    for effect in effects {
        match effect {
            Effect::Receipt(kind) => receipts::record(state, &kind.into(), method),
            Effect::WriteCookie { value, max_age } => {
                let st = state.borrow();
                if !dom::write_cookie(&st.session.config().cookie, &value, max_age) {
                    warn("the browser did not store the consent cookie (cookies disabled, or a Domain/Path that does not match this page); the choice holds only until the page is left");
                }
            }
            Effect::DeleteCookie => dom::delete_cookie(&state.borrow().session.config().cookie),
            Effect::Broadcast(value) => gate::broadcast(state, &value),
            Effect::Release => gate::on_consent(state),
            Effect::SaveLanguage(lang) => {
                if let Some(s) = dom::storage() {
                    let _ = s.set_item(LANG_KEY, lang.code());
                }
            }
            Effect::Render(v) => {
                render(state, v);
                gate::relabel(state);
            }
            Effect::EmitConsent => {
                let detail = state.borrow().session.consent().map(convert::consent_to_js);
                if let Some(d) = detail {
                    dispatch("kelisim:consent", &d);
                }
            }
            Effect::EmitChange(ids) => {
                let detail = js_sys::Object::new();
                dom::set(&detail, "changed", &convert::ids_to_js(&ids));
                let consent = state.borrow().session.consent().map(convert::consent_to_js).unwrap_or(JsValue::NULL);
                dom::set(&detail, "consent", &consent);
                dispatch("kelisim:change", &detail.into());
            }
            Effect::Clear { clear, reload } => {
                gate::clear(state, &clear);
                if reload {
                    if let Some(l) = js::location() {
                        let _ = l.reload();
                    }
                }
            }
        }
    }
}

fn render(state: &Shared, v: View) {
    let mut st = state.borrow_mut();
    let root = st.root.clone();
    // Keep unsaved switch states when the panel is rebuilt (e.g. language switch).
    let was_open = root.query_selector("[data-kelisim=\"preferences\"]").ok().flatten().is_some();
    if was_open && v == View::Preferences {
        let (mut c, s) = view::read_switches(&root);
        c.extend(s);
        st.draft = c;
    } else if v != View::Preferences {
        st.draft.clear();
    }
    // Where focus was, so it can be put back on the same control.
    let focused = dom::document()
        .and_then(|d| d.active_element())
        .filter(|a| root.contains(Some(a)));
    let focus_key = focused.as_ref().and_then(|a| {
        a.get_attribute("data-kelisim-lang")
            .map(|l| cat(&["[data-kelisim-lang=\"", &l, "\"]"]))
            .or_else(|| a.get_attribute("data-kelisim-action").map(|x| cat(&["[data-kelisim-action=\"", &x, "\"]"])))
    });
    let _ = root.set_attribute("lang", st.session.language().code());
    root.set_text_content(None);
    let _ = root.set_attribute("data-kelisim-view", match v {
        View::Closed => "closed",
        View::Banner => "banner",
        View::Preferences => "preferences",
    });
    let s = &st.session;
    match v {
        View::Banner => {
            dom::add(&root, &view::banner(s));
            restore_focus(&root, focus_key.as_deref(), focused.is_some(), "[data-kelisim-action=\"preferences\"]");
        }
        View::Preferences => {
            let dialog = view::preferences(s, &st.draft);
            dom::add(&root, &dialog);
            if let Some(d) = dialog.dyn_ref::<js::HtmlDialogElement>() {
                let _ = d.show_modal();
            }
            restore_focus(&root, focus_key.as_deref(), true, "input:not([disabled])");
        }
        View::Closed => {
            dom::add(&root, &view::reopen(s));
            restore_focus(&root, None, focused.is_some(), "[data-kelisim-action=\"open\"]");
        }
    }
}

/// Puts focus back on the same kind of control after a re-render, or on
/// `fallback` when focus was inside kelisim (or `force`).
fn restore_focus(root: &Element, key: Option<&str>, force: bool, fallback: &str) {
    if let Some(k) = key {
        if root.query_selector(k).ok().flatten().is_some() {
            return dom::focus(root, k);
        }
    }
    if force {
        dom::focus(root, fallback);
    }
}

fn lang_arg(lang: &str) -> Result<Lang, Error> {
    Lang::from_code(lang).ok_or_else(|| Error::Argument(cat(&["language \"", lang, "\" is not supported (kk, ru)"])))
}

#[wasm_bindgen]
impl Kelisim {
    /// The valid consent, or `null`.
    #[wasm_bindgen(js_name = getConsent)]
    pub fn get_consent(&self) -> JsValue {
        self.tick();
        self.state.borrow().session.consent().map(convert::consent_to_js).unwrap_or(JsValue::NULL)
    }

    /// Whether a category or service id is accepted now.
    pub fn accepted(&self, id: &str) -> bool {
        self.tick();
        self.state.borrow().session.accepted(id)
    }

    /// Accepts every category and service.
    #[wasm_bindgen(js_name = acceptAll)]
    pub fn accept_all(&self) -> Result<JsValue, JsValue> {
        self.decide(Choice::AcceptAll, "api: acceptAll()")
    }

    /// Refuses every optional category.
    #[wasm_bindgen(js_name = rejectAll)]
    pub fn reject_all(&self) -> Result<JsValue, JsValue> {
        self.decide(Choice::RejectAll, "api: rejectAll()")
    }

    /// Sets states: `{categories: {id: bool}, services: {id: bool}}`.
    #[wasm_bindgen(js_name = setConsent)]
    pub fn set_consent(&self, states: JsValue) -> Result<JsValue, JsValue> {
        let choice = convert::choice_from_js(&states).map_err(into_js)?;
        self.decide(choice, "api: setConsent()")
    }

    /// Withdraws consent: every optional category refused, recorded as a withdrawal.
    pub fn withdraw(&self) -> Result<JsValue, JsValue> {
        self.decide(Choice::Withdraw, "api: withdraw()")
    }

    /// Deletes the consent cookie and shows the banner, as on a first visit
    /// (remembered disclosure choices and records are forgotten too).
    pub fn reset(&self) {
        disclose::forget(&self.state);
        let fx = self.state.borrow_mut().session.reset();
        apply(&self.state, fx);
    }

    /// Shows the banner.
    #[wasm_bindgen(js_name = showBanner)]
    pub fn show_banner(&self) {
        let fx = self.state.borrow_mut().session.show(View::Banner);
        apply(&self.state, fx);
    }

    /// Opens the preferences panel.
    #[wasm_bindgen(js_name = showPreferences)]
    pub fn show_preferences(&self) {
        let fx = self.state.borrow_mut().session.show(View::Preferences);
        apply(&self.state, fx);
    }

    /// Hides the banner and the panel (the reopen button stays).
    pub fn hide(&self) {
        let fx = self.state.borrow_mut().session.show(View::Closed);
        apply(&self.state, fx);
    }

    /// Switches every text to `kk` or `ru` and remembers the choice.
    #[wasm_bindgen(js_name = setLanguage)]
    pub fn set_language(&self, lang: &str) -> Result<(), JsValue> {
        let lang = lang_arg(lang).map_err(into_js)?;
        set_language(&self.state, lang).map_err(into_js)
    }

    /// The current language (`kk` or `ru`), as a JS string made directly
    /// from the static code (no Rust `String` to hand over and free).
    #[wasm_bindgen(getter)]
    pub fn language(&self) -> JsValue {
        JsValue::from_str(self.state.borrow().session.language().code())
    }

    /// Opens the privacy policy (`policy.document`) in a dialog, in `lang` or
    /// the current language. Resolves once it is rendered; rejects with an
    /// `Error` naming the problem (no document configured, a language the
    /// site does not offer, a download or a document that fails).
    #[wasm_bindgen(js_name = showPolicy)]
    pub fn show_policy(&self, lang: Option<String>) -> JsValue {
        policy::show(&self.state, lang).into()
    }

    fn decide(&self, choice: Choice, method: &str) -> Result<JsValue, JsValue> {
        decide(&self.state, &choice, method).map_err(into_js)?;
        Ok(self.get_consent())
    }


    fn tick(&self) {
        let fx = self.state.borrow_mut().session.tick(dom::now());
        apply(&self.state, fx);
    }
}

#[cfg(test)]
mod tests;
