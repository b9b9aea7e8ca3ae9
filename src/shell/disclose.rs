//! Third-party link and OAuth disclosures in the page.
//!
//! Two listeners on `window`, in the capture phase (so they see every
//! click first, including on links added after `start()`): `click` and
//! `auxclick` (the middle button). The core decides whether a
//! link needs a disclosure ([`classify`]); the shell holds the action, shows
//! the dialog, and on Continue carries out exactly what the action would have
//! done:
//!
//! - the event is stopped before any of the site's handlers see it
//!   (`preventDefault`, `stopImmediatePropagation`); Cancel drops it.
//! - Continue replays it once, past the hold (a one-shot bypass): a click
//!   is dispatched again on the same element as a `MouseEvent` made from the
//!   original (same button and modifier keys), so the browser follows the
//!   link exactly as it would have (its `target`, `rel`, a new tab for
//!   Ctrl/Cmd/Shift-click) and the site's handlers run once; a middle click
//!   is replayed as a Ctrl/Cmd-click (browsers open links in a new tab only
//!   for a click). A form marked `data-kelisim-oauth` is held at the click
//!   on its submit button (pressing Enter in a field clicks it too), so the
//!   replayed click submits it with that button.
//!
//! Every record goes through [`record_disclosure`].

use alloc::rc::Rc;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::mem;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

use super::disclose_view;
use super::dom::{self, Listener, CAPTURE};
use super::js::{self, Element, Event};
use super::{cat, dispatch, into_js, warn, Error, Kelisim, Shared, State};
use crate::core::disclosure::{
    classify, remember_until, Class, Disclosures, Kind, LinkTarget, Record, VERSION,
};
use crate::core::time;

/// The `localStorage` key of the remembered choices and the records.
const KEY: &str = "kelisim.disclosures";

/// Disclosure state, kept in the shell's `State`.
#[derive(Default)]
pub struct Disclose {
    /// The last known store; used alone when storage is blocked.
    store: Disclosures,
    /// The dialog on screen.
    open: Option<Open>,
    /// One-shot: the next click is a replayed action and goes through.
    bypass: bool,
    /// `div.kelisim[data-kelisim-layer]` at the end of `<body>`, made on first use.
    layer: Option<Element>,
    /// `location.origin`, read at start.
    origin: String,
    listeners: Vec<Listener>,
}

/// A dialog waiting for an answer.
struct Open {
    shown: Record,
    then: Then,
    /// Where focus goes back to.
    back: Option<Element>,
}

/// What Continue does.
enum Then {
    /// Dispatch a click made from the held event on its target again
    /// (`true`: the held event was a middle click).
    Replay(Element, JsValue, bool),
    /// Resolve `discloseOAuth`'s promise with the answer.
    Resolve(js_sys::Function),
}

fn prop_str(of: &JsValue, key: &str) -> String {
    js::get_property(of, key).as_string().unwrap_or_default()
}

fn closest(e: &Element, selector: &str) -> Option<Element> {
    e.closest(selector).ok().flatten()
}

fn handler(state: &Shared, f: fn(&Shared, &Event)) -> impl FnMut(&Event) + 'static {
    let weak = Rc::downgrade(state);
    move |e: &Event| {
        if let Some(s) = weak.upgrade() {
            f(&s, e)
        }
    }
}

/// `element.matches(selector)` for the shell's own (valid) selectors.
fn is(e: &Element, selector: &str) -> bool {
    e.matches(selector).unwrap_or(false)
}

const CLICK: i16 = 0;
const AUX: i16 = 1;

/// Submit buttons: what a held form waits for.
const SUBMITS: &str = "button:not([type=button],[type=reset]),input[type=submit],input[type=image]";

/// Starts listening for clicks on the whole page.
pub fn listen(state: &Shared) {
    let Some(w) = js::window() else { return };
    let list = vec![
        dom::listen(
            &w,
            "click",
            CAPTURE,
            handler(state, |s, e| on_action(s, e, CLICK)),
        ),
        dom::listen(
            &w,
            "auxclick",
            CAPTURE,
            handler(state, |s, e| on_action(s, e, AUX)),
        ),
    ];
    let mut st = state.borrow_mut();
    reload(&mut st);
    st.disclose.origin = prop_str(&js::get_property(&w, "location"), "origin");
    st.disclose.listeners = list;
}

/// Re-reads the stored disclosures (another tab may have written them); the
/// last known ones stay when storage is blocked.
fn reload(st: &mut State) -> &mut Disclosures {
    if let Some(Ok(text)) = dom::storage().map(|s| s.get_item(KEY)) {
        st.disclose.store = Disclosures::decode(text.as_deref().unwrap_or(""), dom::now());
    }
    &mut st.disclose.store
}

/// Writes the store back.
fn save(d: &Disclosures) {
    if let Some(s) = dom::storage() {
        let _ = s.set_item(KEY, &d.encode());
    }
}

/// Forgets every remembered choice and record (`reset()`).
pub fn forget(state: &Shared) {
    let st = &mut state.borrow_mut().disclose;
    st.store = Disclosures::default();
    if let Some(s) = dom::storage() {
        let _ = s.set_item(KEY, VERSION);
    }
}

/// Whether the config declares OAuth provider `id` (`oauth[].id`).
fn declares_oauth(state: &Shared, id: &str) -> bool {
    state.borrow().session.config().oauth.iter().any(|o| o.id == id)
}

fn remembered(state: &Shared, kind: Kind, party: &str, host: &str) -> bool {
    reload(&mut state.borrow_mut()).is_remembered(kind, party, host, dom::now())
}

/// A `click` (`CLICK`) or middle-button `auxclick` (`AUX`) anywhere in the page.
fn on_action(state: &Shared, e: &Event, kind: i16) {
    if mem::take(&mut state.borrow_mut().disclose.bypass) {
        return; // a replayed action goes through once
    }
    // Right button, Alt-click (which saves the link), or already handled.
    let Some(mouse) = e.dyn_ref::<js::MouseEvent>() else {
        return;
    };
    if mouse.button() != kind || mouse.alt_key() || e.default_prevented() {
        return;
    }
    let Some(target) = js::target_element(e) else {
        return;
    };
    let Some(el) = closest(&target, "[data-kelisim-oauth],a[href],area[href]") else {
        return;
    };
    if closest(&el, "[data-kelisim-root],[data-kelisim-layer]").is_some() {
        return;
    }
    let link = is(&el, "[href]");
    let mut host = if link {
        prop_str(&el, "hostname")
    } else {
        String::new()
    };
    let held: &JsValue = e.as_ref();
    let then = Then::Replay(target.clone(), held.clone(), kind == AUX);
    let Some(id) = el.get_attribute("data-kelisim-oauth") else {
        if link {
            on_link(state, e, el, &host, then);
        }
        return;
    };
    // A middle click is held on a link only, a marked form at its submit buttons.
    if kind == AUX && !link {
        return;
    }
    if is(&el, "form") {
        let Some(button) = closest(&target, SUBMITS) else {
            return;
        };
        // Where it submits to, absolute (`formAction` without a `formaction`
        // attribute is the page's own URL); an unattached link parses its host.
        let url = if is(&button, "[formaction]") {
            prop_str(&button, "formAction")
        } else {
            prop_str(&el, "action")
        };
        let action = dom::el("a", &[("href", &url)], None);
        host = prop_str(&action, "hostname");
    }
    if !declares_oauth(state, &id) {
        warn(&cat(&[
            "data-kelisim-oauth=\"",
            &id,
            "\" is not in the config's oauth[]; the action was not held",
        ]));
        return;
    }
    if remembered(state, Kind::OAuth, &id, "") {
        return;
    }
    e.prevent_default();
    e.stop_immediate_propagation();
    open(state, Kind::OAuth, &id, &host, then, Some(el));
}

fn on_link(state: &Shared, e: &Event, link: Element, host: &str, then: Then) {
    let party = {
        let st = state.borrow();
        let t = LinkTarget {
            scheme: &prop_str(&link, "protocol"),
            host,
            same_origin: prop_str(&link, "origin") == st.disclose.origin,
            download: is(&link, "[download]"),
        };
        match classify(st.session.config(), &t) {
            None => return,
            Some(Class::Party(p)) => p.id.clone(),
            Some(Class::Generic) => String::new(),
        }
    };
    if remembered(state, Kind::Link, &party, host) {
        return;
    }
    e.prevent_default();
    e.stop_immediate_propagation();
    open(state, Kind::Link, &party, host, then, Some(link));
}

/// Makes (once) the layer the dialogs go in, with its two listeners.
fn layer(state: &Shared) -> Option<Element> {
    if let Some(l) = &state.borrow().disclose.layer {
        return Some(l.clone());
    }
    let body = dom::document()?.body()?;
    let layer = dom::el(
        "div",
        &[("class", "kelisim"), ("data-kelisim-layer", "")],
        None,
    );
    dom::add(&body, &layer);
    let click = dom::listen(
        &layer,
        "click",
        dom::PASSIVE,
        handler(state, on_dialog_click),
    );
    // Escape closes a modal dialog with a "cancel" event: answer Cancel.
    let cancel = dom::listen(
        &layer,
        "cancel",
        CAPTURE,
        handler(state, |s, e| {
            e.prevent_default();
            answer(s, false)
        }),
    );
    let mut st = state.borrow_mut();
    st.disclose.listeners.push(click);
    st.disclose.listeners.push(cancel);
    st.disclose.layer = Some(layer.clone());
    Some(layer)
}

fn on_dialog_click(state: &Shared, e: &Event) {
    let action = js::target_element(e)
        .and_then(|t| closest(&t, "[data-kelisim-action]"))
        .and_then(|b| b.get_attribute("data-kelisim-action"));
    match action.as_deref() {
        Some("continue") => answer(state, true),
        Some("cancel") => answer(state, false),
        _ => {}
    }
}

/// Shows a disclosure and records that it was shown. A dialog already on
/// screen is answered Cancel first.
fn open(state: &Shared, kind: Kind, party: &str, host: &str, then: Then, back: Option<Element>) {
    answer(state, false);
    let Some(layer) = layer(state) else { return };
    let rec = {
        let mut st = state.borrow_mut();
        let lang = st.session.language();
        let dialog = disclose_view::dialog(st.session.config(), lang, kind, party, host);
        let _ = layer.set_attribute("lang", lang.code());
        dom::add(&layer, &dialog);
        if let Some(d) = dialog.dyn_ref::<js::HtmlDialogElement>() {
            let _ = d.show_modal();
        }
        dom::focus(&dialog, "[data-kelisim-action=\"continue\"]");
        let now = dom::now();
        let d = reload(&mut st);
        let rec = d.shown(kind, party, host, now, lang);
        save(d);
        st.disclose.open = Some(Open {
            shown: rec.clone(),
            then,
            back,
        });
        rec
    };
    record_disclosure(state, &rec);
}

/// Answers the open dialog (nothing when none is open): records the outcome,
/// remembers the choice when asked, closes the dialog, puts focus back, and
/// on Continue carries out the held action.
fn answer(state: &Shared, go: bool) {
    let (rec, open) = {
        let mut st = state.borrow_mut();
        let Some(open) = st.disclose.open.take() else {
            return;
        };
        let mut ticked = false;
        if let Some(l) = &st.disclose.layer {
            if let Ok(Some(i)) = l.query_selector("input[data-kelisim-remember]") {
                ticked = js::checked(&i);
            }
            l.set_text_content(None);
        }
        let now = dom::now();
        let until = remember_until(st.session.consent().map(|c| c.expires_at()), now);
        let d = reload(&mut st);
        let rec = d.finish(&open.shown, go, ticked.then_some(until), now);
        save(d);
        (rec, open)
    };
    if let Some(b) = &open.back {
        js::focus(b);
    }
    record_disclosure(state, &rec);
    if let Then::Resolve(f) = &open.then {
        let _ = f.call1(&JsValue::NULL, &JsValue::from_bool(go));
    }
    if !go {
        return;
    }
    // The replayed event passes the hold once; the bypass is cleared
    // afterwards in case no event reached the listener.
    state.borrow_mut().disclose.bypass = true;
    if let Then::Replay(target, held, middle) = open.then {
        // A middle click opens the link as a Ctrl/Cmd-click does; a left click is
        // replayed with the held event's own button, modifiers and coordinates
        // (an event reads as its own init dictionary).
        let init = if middle {
            let o = js::MouseEventInit::new();
            o.set_bubbles(true);
            o.set_cancelable(true);
            o.set_ctrl_key(true);
            o.set_meta_key(true);
            o
        } else {
            held.unchecked_into::<js::MouseEventInit>()
        };
        if let Ok(click) = js::MouseEvent::new_with_mouse_event_init_dict("click", &init) {
            let _ = target.dispatch_event(&click);
        }
    }
    state.borrow_mut().disclose.bypass = false;
}

/// The public shape of a record (`kelisim.d.ts`: `Disclosure`).
fn record_to_js(r: &Record) -> JsValue {
    let o = js_sys::Object::new();
    let or_null = |s: &str| {
        if s.is_empty() {
            JsValue::NULL
        } else {
            JsValue::from_str(s)
        }
    };
    dom::set(&o, "kind", &r.kind.code().into());
    dom::set(&o, "id", &or_null(&r.party));
    dom::set(&o, "host", &or_null(&r.host));
    dom::set(&o, "outcome", &r.outcome.code().into());
    dom::set(&o, "at", &time::to_iso(r.at).into());
    dom::set(&o, "language", &r.lang.code().into());
    o.into()
}

/// The one place a disclosure record goes once it is stored (with the
/// remembered choices, under `localStorage["kelisim.disclosures"]`): it is
/// announced as `kelisim:disclosure`, and each record is
/// posted as a consent receipt (the disclosure event, with
/// `thirdPartyDisclosure: true` and `thirdPartyName`: the third party's or
/// provider's name from the config, or the host for an undeclared site)
/// through [`super::receipts::record`] (nothing is posted without receipts
/// on or without a consent, whose subject a receipt names).
fn record_disclosure(state: &Shared, rec: &Record) {
    use crate::core::receipt::{DisclosureKind, Event as Receipt, Outcome as Said};
    let (kind, method) = match rec.kind {
        Kind::Link => (DisclosureKind::Link, "disclosure: link"),
        Kind::OAuth => (DisclosureKind::OAuth, "disclosure: oauth"),
    };
    let outcome = match rec.outcome {
        crate::core::disclosure::Outcome::Shown => Said::Shown,
        crate::core::disclosure::Outcome::Continued => Said::Continued,
        crate::core::disclosure::Outcome::Cancelled => Said::Cancelled,
    };
    let event = Receipt::Disclosure {
        kind,
        party: &rec.party,
        host: &rec.host,
        outcome,
    };
    super::receipts::record(state, &event, method);
    dispatch("kelisim:disclosure", &record_to_js(rec));
}

#[wasm_bindgen]
impl Kelisim {
    /// Every disclosure record kept in this browser, oldest first.
    #[wasm_bindgen(js_name = getDisclosures)]
    pub fn get_disclosures(&self) -> js_sys::Array {
        reload(&mut self.state.borrow_mut())
            .records()
            .iter()
            .map(record_to_js)
            .collect()
    }

    /// Shows the OAuth disclosure of provider `id`; resolves `true` when the
    /// visitor continues (at once when they asked not to be asked again) and
    /// `false` when they cancel. Rejects for an id the config does not declare.
    #[wasm_bindgen(js_name = discloseOAuth)]
    pub fn disclose_oauth(&self, id: &str) -> js_sys::Promise {
        let state = &self.state;
        if !declares_oauth(state, id) {
            let e = Error::Argument(cat(&[
                "discloseOAuth: \"",
                id,
                "\" is not a declared oauth[] provider",
            ]));
            return js_sys::Promise::reject(&into_js(e));
        }
        if remembered(state, Kind::OAuth, id, "") {
            return js_sys::Promise::resolve(&JsValue::TRUE);
        }
        let back = dom::document().and_then(|d| d.active_element());
        js_sys::Promise::new(&mut |resolve, _| {
            open(
                state,
                Kind::OAuth,
                id,
                "",
                Then::Resolve(resolve),
                back.clone(),
            );
        })
    }
}
