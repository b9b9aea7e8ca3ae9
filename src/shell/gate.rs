//! Carries out the gate: releases `<script type="text/plain" data-kelisim-category>`
//! tags and `<iframe data-kelisim-category data-src>` embeds the consent allows
//! (the core decides, [`crate::core::gate::verdict`]), shows placeholders for
//! held embeds, deletes what a withdrawal lists, sends Google Consent Mode
//! commands, and keeps the site's other tabs in step.
//!
//! A handled element gets `data-kelisim-state`: `held`, `released` (never
//! looked at again, so a script never runs twice), `blocked` (released, but the
//! page's Content Security Policy refused to run it: the browser reported a
//! `securitypolicyviolation` for its live copy) or `invalid` (it names an id
//! the config does not have). The `MutationObserver` that finds elements added
//! later, and every listener, are owned by [`Gate`] and removed when it drops.

use alloc::string::String;
use alloc::vec::Vec;
use js_sys::{Array, Object};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::dom::{self, add, el, listen, Listener, CAPTURE, PASSIVE};
use super::js::{
    self, BroadcastChannel, Element, Event, HtmlDocument, MessageEvent, MutationObserver,
    MutationObserverInit, StorageEvent,
};
use super::{cat, target_with, warn, Shared, State};
use crate::core::config::{Config, Lang};
use crate::core::consent::Choice;
use crate::core::gate::{self, Clear, Tag, Verdict};
use crate::core::session::Session;
use crate::core::texts::gate_texts;
use alloc::rc::Rc;

const STATE: &str = "data-kelisim-state";
const SCRIPTS: &str = "script[type=\"text/plain\"][data-kelisim-category]";
const FRAMES: &str = "iframe[data-kelisim-category]";
/// The `localStorage` key of the fallback channel between tabs.
const SYNC_KEY: &str = "kelisim.sync";

/// `element.getAttribute(name)`, out of line: one copy of the string
/// passing for the many reads below.
#[inline(never)]
fn attr(e: &Element, name: &str) -> Option<String> {
    e.get_attribute(name)
}

/// `element.setAttribute(name, value)`, out of line.
#[inline(never)]
fn set_attr(e: &Element, name: &str, value: &str) {
    let _ = e.set_attribute(name, value);
}

/// A gated element's tag attributes: `(category, service)`.
fn tag_attrs(e: &Element) -> (String, Option<String>) {
    (
        attr(e, "data-kelisim-category").unwrap_or_default(),
        attr(e, "data-kelisim-service"),
    )
}

/// The state, mutably. A failed borrow is a trap, as a panic would be, but
/// without the panic's message formatting in the module.
fn st_mut(state: &Shared) -> core::cell::RefMut<'_, State> {
    state
        .try_borrow_mut()
        .unwrap_or_else(|_| core::arch::wasm32::unreachable())
}

/// The state, shared (see [`st_mut`]).
fn st(state: &Shared) -> core::cell::Ref<'_, State> {
    state
        .try_borrow()
        .unwrap_or_else(|_| core::arch::wasm32::unreachable())
}

type Observer = (MutationObserver, Closure<dyn FnMut()>);

/// The gate's part of the shell state.
#[derive(Default)]
pub struct Gate {
    /// Held embeds with a placeholder: `(iframe, placeholder)`.
    frames: Vec<(Element, Element)>,
    /// Scripts to insert, last first (`pop` takes the next in document order).
    queue: Vec<Element>,
    /// The last ordered external script inserted: an inline script waits for
    /// its `load` or `error`.
    waiting: Option<Element>,
    /// The language the placeholders are drawn in.
    lang: Option<Lang>,
    /// The channel to the site's other tabs, where the browser has one.
    channel: Option<BroadcastChannel>,
    /// The observer that finds gated elements added later, and its callback.
    observer: Option<Observer>,
    _listeners: Vec<Listener>,
}

impl Drop for Gate {
    fn drop(&mut self) {
        if let Some((o, _)) = &self.observer {
            o.disconnect();
        }
        if let Some(c) = &self.channel {
            c.close();
        }
    }
}

/// What a gate listener is for (dispatched by the shell's one closure type,
/// [`super::handler`]).
#[derive(Clone, Copy)]
pub enum On {
    /// A `load` or `error` event (captured on the document).
    Loaded,
    /// A click on the document (placeholder buttons).
    Click,
    /// A message from another tab.
    Message,
    /// A `storage` event (the fallback channel).
    Storage,
    /// A `securitypolicyviolation` event (captured on the document).
    Violation,
}

/// Runs a gate listener.
pub fn on(state: &Shared, on: On, e: &Event) {
    match on {
        On::Loaded => {
            let done = {
                let st = st(state);
                let target: Option<JsValue> = e.target().map(JsValue::from);
                st.gate
                    .waiting
                    .as_ref()
                    .is_some_and(|w| target.as_ref() == Some(w.as_ref()))
            };
            if done {
                st_mut(state).gate.waiting = None;
                pump(state);
            }
        }
        On::Click => on_click(state, e),
        On::Message => {
            if let Some(m) = e.dyn_ref::<MessageEvent>() {
                sync(state, m.data().as_string());
            }
        }
        On::Storage => {
            if let Some(s) = e.dyn_ref::<StorageEvent>() {
                if s.key().as_deref() == Some(SYNC_KEY) {
                    sync(state, s.new_value());
                }
            }
        }
        On::Violation => refused(e),
    }
}

/// The page's Content Security Policy refused a live copy we inserted (an inline
/// script without the page's nonce, or a source the policy does not list): the
/// held tag is marked `blocked`, not `released`, and the console says why.
fn refused(e: &Event) {
    let Some(copy) = js::target_element(e) else {
        return;
    };
    if !copy.matches("script").unwrap_or(false) {
        return;
    }
    // The live copy is inserted right after the tag it was made from.
    let Some(held) = copy.previous_element_sibling() else {
        return;
    };
    if !held.matches(SCRIPTS).unwrap_or(false) || attr(&held, STATE).as_deref() != Some("released")
    {
        return;
    }
    set_attr(&held, STATE, "blocked");
    let directive = js::get_property(e, "effectiveDirective")
        .as_string()
        .unwrap_or_default();
    let category = attr(&held, "data-kelisim-category").unwrap_or_default();
    js::error(&JsValue::from_str(&cat(&[
        "kelisim: a released script (data-kelisim-category=\"",
        &category,
        "\") was blocked by the page's Content Security Policy (",
        &directive,
        "): give the held tag the page's nonce, or list its source",
    ])));
}

fn handler(state: &Shared, on: On) -> impl FnMut(&Event) + 'static {
    super::handler(state, super::On::Gate(on))
}

/// Sets the gate up: Consent Mode's default command first (before any gated
/// tag can run), then the listeners, the observer and the channel. Called by
/// `start` before the session's first effects.
pub fn start(state: &Shared) {
    consent_mode(state, true);
    let mut listeners = Vec::new();
    let mut channel = None;
    if let Some(doc) = dom::document() {
        for kind in ["load", "error"] {
            listeners.push(listen(
                &doc,
                kind,
                CAPTURE | PASSIVE,
                handler(state, On::Loaded),
            ));
        }
        listeners.push(listen(&doc, "click", PASSIVE, handler(state, On::Click)));
        listeners.push(listen(
            &doc,
            "securitypolicyviolation",
            CAPTURE | PASSIVE,
            handler(state, On::Violation),
        ));
        if let Some(w) = js::window() {
            listeners.push(listen(&w, "storage", PASSIVE, handler(state, On::Storage)));
        }
        if let Ok(c) = BroadcastChannel::new("kelisim") {
            listeners.push(listen(&c, "message", PASSIVE, handler(state, On::Message)));
            channel = Some(c);
        }
    }
    let observer = dom::document()
        .and_then(|d| d.document_element())
        .map(|root| {
            // The records are never read: any change means "look again".
            let weak = Rc::downgrade(state);
            let callback = Closure::<dyn FnMut()>::new(move || {
                if let Some(state) = weak.upgrade() {
                    pass(&state);
                }
            });
            let o = MutationObserver::new(callback.as_ref().unchecked_ref()).ok()?;
            let options = MutationObserverInit::new();
            options.set_child_list(true);
            options.set_subtree(true);
            o.observe_with_options(&root, &options).ok()?;
            Some((o, callback))
        })
        .flatten();
    let mut st = st_mut(state);
    let lang = st.session.language();
    let g = &mut st.gate;
    g.lang = Some(lang);
    g.channel = channel;
    g.observer = observer;
    g._listeners = listeners;
}

/// A consent is in force (at start, after a decision, from another tab):
/// Consent Mode's `update`, then release what it allows.
pub fn on_consent(state: &Shared) {
    consent_mode(state, false);
    pass(state);
}

/// Tells the site's other tabs about the cookie value just written (empty
/// after a deletion).
pub fn broadcast(state: &Shared, value: &str) {
    let channel = st(state).gate.channel.clone();
    match channel {
        Some(c) => {
            let _ = c.post_message(&JsValue::from_str(value));
        }
        None => {
            if let Some(s) = dom::storage() {
                let _ = s.set_item(SYNC_KEY, value);
            }
        }
    }
}

fn sync(state: &Shared, value: Option<String>) {
    let value = value.filter(|v| !v.is_empty());
    let fx = st_mut(state).session.sync(value.as_deref(), dom::now());
    super::apply(state, fx);
}

/// Finds gated elements and releases or holds each one, in document order.
pub fn pass(state: &Shared) {
    let Some(root) = dom::document().and_then(|d| d.document_element()) else {
        return;
    };
    for (selector, frame) in [(SCRIPTS, false), (FRAMES, true)] {
        let Ok(list) = root.query_selector_all(selector) else {
            continue;
        };
        for i in 0..list.length() {
            let Some(e) = js::element_at(&list, i) else {
                continue;
            };
            let seen = attr(&e, STATE);
            if matches!(seen.as_deref(), Some("released" | "blocked" | "invalid")) {
                continue;
            }
            let (category, service) = tag_attrs(&e);
            let tag = Tag::parse(&category, service.as_deref());
            let verdict = {
                let st = st(state);
                gate::verdict(st.session.config(), st.session.consent(), &tag)
            };
            match verdict {
                Verdict::Unknown => {
                    set_attr(&e, STATE, "invalid");
                    warn(&cat(&[
                        "blocked, unknown id: data-kelisim-category=\"",
                        &category,
                        "\"",
                    ]));
                }
                Verdict::Run if frame => release_frame(state, &e),
                Verdict::Run => {
                    set_attr(&e, STATE, "released");
                    st_mut(state).gate.queue.insert(0, e);
                }
                Verdict::Hold if seen.is_none() => {
                    set_attr(&e, STATE, "held");
                    if frame {
                        hold_frame(state, &e, tag.negated);
                    }
                }
                Verdict::Hold => {}
            }
        }
    }
    pump(state);
}

/// Inserts queued scripts in order. External scripts without `async` are
/// inserted as ordered ones (`async = false`): they download together and the
/// browser runs them in insertion order. An inline script waits for the last
/// of them above it (`load` or `error`), so it runs after the libraries above
/// it, as in a normal page.
fn pump(state: &Shared) {
    loop {
        let next = {
            let mut st = st_mut(state);
            let Some(next) = st.gate.queue.last() else {
                return;
            };
            let inline = attr(next, "data-src").is_none() && attr(next, "src").is_none();
            if inline && st.gate.waiting.is_some() {
                return;
            }
            match st.gate.queue.pop() {
                Some(next) => next,
                None => return,
            }
        };
        let (script, ordered) = live_copy(&next);
        if ordered {
            st_mut(state).gate.waiting = Some(script.clone());
        }
        // No borrow is held: an inline script runs right here and may call the API.
        let _ = next.after_with_node_1(&script);
    }
}

/// A real `<script>` made from a held one: every attribute but `type`,
/// `data-src` and `nonce` (the nonce is copied as the property, since the
/// browser hides the attribute), `src` from `data-src`, and the inline text.
/// Returns whether it is external and ordered (inline scripts below wait for it).
fn live_copy(held: &Element) -> (Element, bool) {
    let s = el("script", &[], None);
    for name in held.get_attribute_names().iter() {
        let Some(name) = name.as_string() else {
            continue;
        };
        if matches!(name.as_str(), "type" | "data-src" | "nonce") {
            continue;
        }
        if let Some(v) = attr(held, &name) {
            set_attr(&s, &name, &v);
        }
    }
    let nonce = js::get_property(held, "nonce");
    if nonce.as_string().is_some_and(|n| !n.is_empty()) {
        dom::set(&s, "nonce", &nonce);
    }
    if let Some(src) = attr(held, "data-src") {
        set_attr(&s, "src", &src);
    }
    let external = attr(&s, "src").is_some();
    let is_async = attr(held, "async").is_some();
    if external {
        // Inserted scripts are async unless told otherwise.
        dom::set(&s, "async", &JsValue::from_bool(is_async));
    } else {
        dom::set(&s, "text", &js::get_property(held, "text"));
    }
    (s, external && !is_async)
}

fn release_frame(state: &Shared, frame: &Element) {
    set_attr(frame, STATE, "released");
    if let Some(src) = attr(frame, "data-src") {
        set_attr(frame, "src", &src);
    }
    let _ = frame.remove_attribute("hidden");
    // The pair stays listed (a detached placeholder is harmless to redraw).
    for (f, ph) in &st(state).gate.frames {
        if AsRef::<JsValue>::as_ref(f) == AsRef::<JsValue>::as_ref(frame) {
            ph.remove();
        }
    }
}

fn hold_frame(state: &Shared, frame: &Element, negated: bool) {
    set_attr(frame, "hidden", "");
    if negated {
        return; // shown only once its category is refused; nothing to ask
    }
    let ph = el(
        "div",
        &[("class", "kelisim-ph"), ("data-kelisim", "placeholder")],
        None,
    );
    fill(&st(state), frame, &ph);
    let _ = frame.after_with_node_1(&ph);
    st_mut(state).gate.frames.push((frame.clone(), ph));
}

/// The name of what an embed shows: its service's title, else its category's.
fn frame_title<'c>(config: &'c Config, lang: Lang, frame: &Element) -> &'c str {
    let (category, service) = tag_attrs(frame);
    let tag = Tag::parse(&category, service.as_deref());
    let Some(c) = config.categories.iter().find(|c| c.id == tag.category) else {
        return "";
    };
    match c
        .services
        .iter()
        .find(|s| Some(s.id.as_str()) == tag.service)
    {
        Some(s) => s.title.get(lang),
        None => c.title.get(lang),
    }
}

/// Draws a placeholder's content in the session's language.
fn fill(st: &State, frame: &Element, ph: &Element) {
    let (s, lang): (&Session, Lang) = (&st.session, st.session.language());
    let t = gate_texts(lang);
    ph.set_text_content(None);
    set_attr(ph, "lang", lang.code());
    add(
        ph,
        &el("strong", &[], Some(frame_title(s.config(), lang, frame))),
    );
    add(ph, &el("p", &[], Some(t.placeholder)));
    for (action, text) in [
        ("allow-once", t.allow_once),
        ("allow-always", t.allow_always),
    ] {
        add(
            ph,
            &el(
                "button",
                &[("type", "button"), ("data-kelisim-action", action)],
                Some(text),
            ),
        );
    }
}

/// Redraws the placeholders after a language switch.
pub fn relabel(state: &Shared) {
    let mut st = st_mut(state);
    let lang = st.session.language();
    if st.gate.lang == Some(lang) {
        return;
    }
    st.gate.lang = Some(lang);
    let st = &*st;
    for (frame, ph) in &st.gate.frames {
        fill(st, frame, ph);
    }
}

fn on_click(state: &Shared, e: &Event) {
    let Some(button) = target_with(e, "[data-kelisim=\"placeholder\"] [data-kelisim-action]")
    else {
        return;
    };
    let frame = {
        let st = st(state);
        st.gate
            .frames
            .iter()
            .find(|(_, ph)| ph.contains(Some(&button)))
            .map(|(f, _)| f.clone())
    };
    let Some(frame) = frame else { return };
    if attr(&button, "data-kelisim-action").as_deref() == Some("allow-once") {
        return release_frame(state, &frame);
    }
    // "Allow always" accepts the service, or the category when none is named.
    let (category, service) = tag_attrs(&frame);
    let tag = Tag::parse(&category, service.as_deref());
    let one = alloc::vec![(String::from(tag.service.unwrap_or(tag.category)), true)];
    let choice = if tag.service.is_some() {
        Choice::Custom {
            categories: Vec::new(),
            services: one,
        }
    } else {
        Choice::Custom {
            categories: one,
            services: Vec::new(),
        }
    };
    if let Err(err) = super::decide(state, &choice, "placeholder: allow always") {
        js::error(&super::into_js(err));
    }
}

/// Deletes what a withdrawal lists ([`gate::expiry_lines`],
/// [`gate::storage_to_remove`]). The consent cookie and kelisim's own keys
/// are never touched.
pub fn clear(state: &Shared, c: &Clear) {
    let st = st(state);
    let config = st.session.config();
    if let Some(doc) = dom::document().and_then(|d| d.dyn_into::<HtmlDocument>().ok()) {
        let visible = doc.cookie().unwrap_or_default();
        let location = js::location();
        let host = location
            .as_ref()
            .and_then(|l| l.hostname().ok())
            .unwrap_or_default();
        let page = location
            .as_ref()
            .and_then(|l| l.pathname().ok())
            .unwrap_or_default();
        gate::expiry_lines(
            &c.cookies,
            &visible,
            &config.cookie.name,
            &host,
            &page,
            &config.clear_paths,
            &mut |line| {
                let _ = doc.set_cookie(line);
            },
        );
    }
    if let Some(s) = dom::storage() {
        let keys: Vec<String> = (0..s.length().unwrap_or(0))
            .filter_map(|i| s.key(i).ok().flatten())
            .collect();
        for k in gate::storage_to_remove(&c.storage, &keys) {
            let _ = s.remove_item(k);
        }
    }
}

/// Sends `gtag('consent', 'default' | 'update', {...})` when Consent Mode is
/// enabled: through `window.gtag` when it is a function, else by pushing the
/// array `["consent", command, params]` to `window.dataLayer`.
fn consent_mode(state: &Shared, default: bool) {
    let params = Object::new();
    {
        let st = st(state);
        let Some(mode) = &st.session.config().consent_mode else {
            return;
        };
        let value = |g: bool| JsValue::from_str(if g { "granted" } else { "denied" });
        let consent = if default { None } else { st.session.consent() };
        for (signal, granted) in gate::signals(mode, consent) {
            dom::set(&params, signal, &value(granted));
        }
        if default {
            dom::set(&params, "security_storage", &value(true));
            if mode.wait_for_update > 0 {
                dom::set(
                    &params,
                    "wait_for_update",
                    &JsValue::from_f64(mode.wait_for_update as f64),
                );
            }
            if !mode.regions.is_empty() {
                let regions: Array = mode.regions.iter().map(|r| JsValue::from_str(r)).collect();
                dom::set(&params, "region", &regions);
            }
        }
    }
    let Some(w) = js::window() else { return };
    let command = JsValue::from_str(if default { "default" } else { "update" });
    let args = Array::of3(&JsValue::from_str("consent"), &command, &params);
    let gtag = js::get_property(&w, "gtag");
    if gtag.is_function() {
        if js::apply(&gtag, &w, &args).is_err() {
            warn("window.gtag threw on a consent command");
        }
        return;
    }
    let mut layer = js::get_property(&w, "dataLayer");
    if !Array::is_array(&layer) {
        layer = Array::new().into();
        dom::set(&w, "dataLayer", &layer);
    }
    layer.unchecked_ref::<Array>().push(&args);
}

/// The banner's notice that a GPC signal is honoured.
pub fn gpc_notice(s: &Session) -> Option<Element> {
    s.gpc().then(|| {
        el(
            "p",
            &[("class", "kelisim-text"), ("data-kelisim", "gpc")],
            Some(gate_texts(s.language()).gpc_notice),
        )
    })
}
