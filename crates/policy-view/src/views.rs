//! The policy view: the site's policy document (format `kelisim-policy` v1)
//! rendered in a modal `<dialog>` (from the banner's policy link or
//! `showPolicy`) or in place, in every `[data-kelisim="policy"]` element.
//!
//! A document is fetched when a view first needs it, once per URL, and kept
//! for the page's life; a failed download is tried again the next time a view
//! opens. Every string from a document goes in as text; links only through
//! [`safe_href`]. The promise steps of a download are closures owned by
//! [`Views`] (so by the shell's state), each holding a `Weak` to the state.

use alloc::rc::{Rc, Weak};
use alloc::string::String;
use alloc::vec::Vec;
use core::cell::RefCell;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};

use super::{Shared, State};
use kelisim_core::config::{Config, Lang};
use kelisim_core::policy::{self, safe_href, Block, PolicyDoc, Section, Span, Text};
use kelisim_core::policy_view::{anchors, current, policy_texts, text_for, Extent};
use kelisim_core::texts::texts;
use kelisim_core::time;
use kelisim_core::value::Path;
use kelisim_web::dom::{self, add, add_text, el, Listener, CAPTURE, PASSIVE};
use kelisim_web::js::{self, Element, Event, Promise, Response};
use kelisim_web::{cat, convert, into_js, target_with, Error};

/// A promise step: gets what the promise settled with; an `Err` rejects the
/// next promise in the chain.
type Step = Closure<dyn FnMut(JsValue) -> Result<JsValue, JsValue>>;

/// One download of a policy document.
struct Load {
    url: String,
    /// Settles when the document is decoded (rejects with a kelisim `Error`).
    promise: Promise,
    doc: Option<Rc<PolicyDoc>>,
    failed: bool,
    _steps: [Step; 4],
}

/// A place a policy is rendered into.
struct View {
    /// The `<dialog>`, or the site's `[data-kelisim="policy"]` element.
    el: Element,
    /// Prefix of the `id`s in this view (unique per view on the page).
    prefix: &'static str,
    /// A clause to bring into view once the document is there.
    goto: Option<String>,
}

/// The policy views of a page and the documents they show.
#[derive(Default)]
pub struct Views {
    /// The language the views show; set when the first one opens.
    lang: Option<Lang>,
    loads: Vec<Load>,
    /// The container of the dialog (a sibling of the banner's root), made on first use.
    host: Option<Element>,
    dialog: Option<View>,
    places: Vec<View>,
    /// What had focus before the dialog opened.
    opener: Option<Element>,
    listeners: Vec<Listener>,
}

/// The prefixes of in-place views' ids; more places than this share the last.
const PLACE_PREFIXES: [&str; 3] = ["kelisim-", "kelisim-2-", "kelisim-3-"];
const DIALOG_PREFIX: &str = "kelisim-d-";

fn document_url(config: &Config, lang: Lang) -> Option<&str> {
    config.policy.document.as_ref().map(|d| d.get(lang))
}

/// Renders every `[data-kelisim="policy"]` element of the page in `lang`.
pub fn start(state: &Shared, lang: Lang) {
    let Some(body) = dom::document().and_then(|d| d.body()) else {
        return;
    };
    let places = body.query_selector_all("[data-kelisim=\"policy\"]").ok();
    let configured = state.borrow().session.config().policy.document.is_some();
    let mut listeners = Vec::new();
    let mut views = Vec::new();
    if let Some(list) = places {
        for i in 0..list.length() {
            let Some(place) = js::element_at(&list, i) else {
                continue;
            };
            if !configured {
                js::error(&into_js(Error::Argument(
                    "[data-kelisim=\"policy\"] needs policy.document in the config; the element is left as it is".into(),
                )));
                break;
            }
            listeners.push(dom::listen(&place, "click", 0, handler(state, On::Click)));
            let prefix = PLACE_PREFIXES
                .get(i as usize)
                .copied()
                .unwrap_or(PLACE_PREFIXES[2]);
            views.push(View {
                el: place,
                prefix,
                goto: None,
            });
        }
    }
    let has_places = !views.is_empty();
    {
        let mut st = state.borrow_mut();
        let pv = &mut st.policy;
        pv.places = views;
        pv.listeners = listeners;
        pv.lang = Some(lang);
    }
    if has_places {
        // A link to a clause (`#kelisim-3-4`) is followed once the text is there.
        let hash = location("hash").as_string().unwrap_or_default();
        if let Some(anchor) = hash
            .strip_prefix('#')
            .filter(|h| h.starts_with(PLACE_PREFIXES[0]))
        {
            if let Some(v) = state.borrow_mut().policy.places.first_mut() {
                v.goto = Some(cat(&["#", anchor]));
            }
        }
        let _ = show_all(state);
    }
}

/// A property of `location` (`hash`, `origin`).
fn location(key: &str) -> JsValue {
    match js::window() {
        Some(w) => js::get_property(&js::get_property(&w.into(), "location"), key),
        None => JsValue::UNDEFINED,
    }
}

/// Opens the dialog in `lang` (or switches it to `lang`); focus goes back to
/// `opener` when it closes. The promise resolves once the policy is rendered
/// and rejects with an `Error` naming the problem. The banner's module has
/// checked the language and that the config has a document.
pub fn open_dialog(state: &Shared, lang: Lang, opener: Option<Element>) -> Promise {
    let open = state.borrow().policy.dialog.is_some();
    if open {
        switch(state, lang);
        return show_all(state);
    }
    let host = ensure_host(state);
    let dialog = el(
        "dialog",
        &[
            ("class", "kelisim-pdialog"),
            ("data-kelisim", "policy-dialog"),
            ("aria-labelledby", "kelisim-d-title"),
        ],
        None,
    );
    add(&host, &dialog);
    {
        let mut st = state.borrow_mut();
        let pv = &mut st.policy;
        pv.lang = Some(lang);
        pv.opener = opener;
        pv.dialog = Some(View {
            el: dialog.clone(),
            prefix: DIALOG_PREFIX,
            goto: None,
        });
    }
    if let Some(d) = dialog.dyn_ref::<js::HtmlDialogElement>() {
        let _ = d.show_modal();
    }
    let promise = show_all(state);
    dom::focus(&dialog, "[data-kelisim-action=\"close\"]");
    promise
}

/// The dialog's container: `<div class="kelisim" data-kelisim-policy-root>`
/// after the banner's root, with its listeners.
fn ensure_host(state: &Shared) -> Element {
    if let Some(h) = &state.borrow().policy.host {
        return h.clone();
    }
    let host = el(
        "div",
        &[("class", "kelisim"), ("data-kelisim-policy-root", "")],
        None,
    );
    if let Some(body) = dom::document().and_then(|d| d.body()) {
        add(&body, &host);
    }
    let ls = [
        dom::listen(&host, "click", 0, handler(state, On::Click)),
        // Not passive: Escape's own closing is replaced by ours (focus goes back).
        dom::listen(&host, "keydown", 0, handler(state, On::Key)),
        dom::listen(&host, "cancel", CAPTURE, handler(state, On::Close)),
        // Closed some other way (a form, the browser): tidy up all the same.
        dom::listen(&host, "close", CAPTURE | PASSIVE, handler(state, On::Close)),
    ];
    let mut st = state.borrow_mut();
    st.policy.listeners.extend(ls);
    st.policy.host = Some(host.clone());
    host
}

/// Closes the dialog and puts focus back where it was (or on the banner's
/// policy link when that element was re-rendered meanwhile).
fn close(state: &Shared) {
    let (host, opener, root) = {
        let mut st = state.borrow_mut();
        if st.policy.dialog.take().is_none() {
            return;
        }
        (
            st.policy.host.clone(),
            st.policy.opener.take(),
            st.root.clone(),
        )
    };
    if let Some(h) = host {
        h.set_text_content(None);
    }
    match opener.filter(|o| js::get_property(o, "isConnected").as_bool() == Some(true)) {
        Some(o) => js::focus(&o),
        None => dom::focus(&root, "[data-kelisim-action=\"policy\"]"),
    }
}

#[derive(Clone, Copy)]
enum On {
    /// A click in a policy view.
    Click,
    Key,
    Close,
}

fn handler(state: &Shared, on: On) -> impl FnMut(&Event) + 'static {
    let weak = Rc::downgrade(state);
    move |e: &Event| {
        let Some(state) = weak.upgrade() else { return };
        match on {
            On::Click => on_click(&state, e),
            On::Key => {
                if e.dyn_ref::<js::KeyboardEvent>().map(|k| k.key()).as_deref() == Some("Escape")
                    && state.borrow().policy.dialog.is_some()
                {
                    e.prevent_default();
                    close(&state);
                }
            }
            On::Close => {
                e.prevent_default();
                close(&state);
            }
        }
    }
}

/// A click without modifier keys and with the main button: anything else
/// (a new tab, a new window) keeps the link's own behaviour.
fn plain_click(e: &Event) -> bool {
    let e: &JsValue = e.as_ref();
    js::get_property(e, "button").as_f64() == Some(0.0)
        && ["ctrlKey", "metaKey", "shiftKey", "altKey"]
            .iter()
            .all(|k| js::get_property(e, k).as_bool() != Some(true))
}

fn on_click(state: &Shared, e: &Event) {
    if let Some(b) = target_with(e, "[data-kelisim-lang]") {
        if let Some(lang) = b
            .get_attribute("data-kelisim-lang")
            .as_deref()
            .and_then(Lang::from_code)
        {
            // The visitor chose a language: the banner follows, and so do the views.
            let f = state.borrow().set_language.clone();
            let _ = f.call1(&JsValue::NULL, &JsValue::from_str(lang.code()));
        }
    } else if target_with(e, "[data-kelisim-action=\"close\"]").is_some() {
        close(state);
    } else if let Some(a) = target_with(e, "a[data-kelisim-toc]") {
        if !plain_click(e) {
            return;
        }
        let Some(view) = target_with(e, "[data-kelisim-policy-view]") else {
            return;
        };
        let Some(id) = a.get_attribute("href") else {
            return;
        };
        if let Ok(Some(section)) =
            view.query_selector(&cat(&["[id=\"", id.trim_start_matches('#'), "\"]"]))
        {
            e.prevent_default();
            go_to(&view, &section);
            js::focus(&section);
        }
    }
}

/// Marks `section` as the current clause and scrolls it into view.
fn go_to(view: &Element, section: &Element) {
    if let Ok(Some(old)) = view.query_selector("[data-kelisim-current]") {
        let _ = old.remove_attribute("data-kelisim-current");
    }
    let _ = section.set_attribute("data-kelisim-current", "");
    section.scroll_into_view();
}

/// After a language change (`setLanguage`, a language button): every open
/// view switches, staying at the clause the reader is at.
pub fn follow(state: &Shared, lang: Lang) {
    {
        // Nothing shown yet: a language switch must not download the policy.
        let st = state.borrow();
        let pv = &st.policy;
        if pv.lang.is_none() || (pv.places.is_empty() && pv.dialog.is_none()) {
            return;
        }
    }
    switch(state, lang);
    let _ = show_all(state);
}

/// Sets the views' language, first noting in each the clause the reader is at.
fn switch(state: &Shared, lang: Lang) {
    let mut st = state.borrow_mut();
    let pv = &mut st.policy;
    if pv.lang == Some(lang) {
        return;
    }
    pv.lang = Some(lang);
    for v in pv.dialog.iter_mut().chain(pv.places.iter_mut()) {
        if v.goto.is_none() {
            v.goto = reading(&v.el);
        }
    }
}

fn f(v: &JsValue, key: &str) -> f64 {
    js::get_property(v, key).as_f64().unwrap_or(0.0)
}

/// The clause the reader is at in a rendered view (see [`current`]).
fn reading(view: &Element) -> Option<String> {
    let list = view.query_selector_all("[data-kelisim-clause]").ok()?;
    let mut extents = Vec::new();
    let mut marked = None;
    for i in 0..list.length() {
        let Some(s) = js::element_at(&list, i) else {
            continue;
        };
        if s.get_attribute("data-kelisim-current").is_some() {
            marked = Some(i as usize);
        }
        let r = s.get_bounding_client_rect();
        extents.push(Extent {
            top: r.top(),
            bottom: r.bottom(),
        });
    }
    // The dialog scrolls its own area; a page scrolls the window.
    let (top, bottom) = match view.query_selector(".kelisim-scroll").ok().flatten() {
        Some(area) => {
            let r = area.get_bounding_client_rect();
            (r.top(), r.bottom())
        }
        None => (
            0.0,
            js::window().map_or(0.0, |w| f(&w.into(), "innerHeight")),
        ),
    };
    let i = current(&extents, marked, top, bottom)?;
    js::element_at(&list, i as u32)?.get_attribute("data-kelisim-clause")
}

/// Starts (or reuses) the download of every document an open view needs,
/// renders every view, and returns a promise that settles when the
/// documents are there.
fn show_all(state: &Shared) -> Promise {
    let (url, lang) = {
        let st = state.borrow();
        let Some(lang) = st.policy.lang else {
            return Promise::resolve(&JsValue::UNDEFINED);
        };
        match document_url(st.session.config(), lang) {
            Some(u) => (String::from(u), lang),
            None => return Promise::resolve(&JsValue::UNDEFINED),
        }
    };
    let promise = load(state, &url);
    render_all(state, lang);
    apply_goto(state);
    promise
}

/// The download of `url`: the one in flight or done, else a new one.
fn load(state: &Shared, url: &str) -> Promise {
    if let Some(l) = state
        .borrow()
        .policy
        .loads
        .iter()
        .rev()
        .find(|l| l.url == url && !l.failed)
    {
        return if l.doc.is_some() {
            Promise::resolve(&JsValue::UNDEFINED)
        } else {
            l.promise.clone()
        };
    }
    let weak = Rc::downgrade(state);
    let step = |stage: Stage| -> Step {
        let weak = weak.clone();
        let url = String::from(url);
        Closure::new(move |v: JsValue| on_step(&weak, &url, stage, v))
    };
    let steps = [
        step(Stage::Response),
        step(Stage::Body),
        step(Stage::Failed),
        step(Stage::Handled),
    ];
    let none = JsValue::UNDEFINED;
    let promise = js::then_with(
        &js::then_with(&js::fetch(url), steps[0].as_ref(), &none),
        steps[1].as_ref(),
        steps[2].as_ref(),
    );
    // The failure is reported on the console and in the view; a caller that
    // ignores the promise should not add an "uncaught" error to that.
    let _ = js::then_with(&promise, &none, steps[3].as_ref());
    state.borrow_mut().policy.loads.push(Load {
        url: url.into(),
        promise: promise.clone(),
        doc: None,
        failed: false,
        _steps: steps,
    });
    promise
}

#[derive(Clone, Copy)]
enum Stage {
    /// The response arrived: its status is checked and its body read.
    Response,
    /// The body arrived: parsed, walked, decoded, rendered.
    Body,
    /// The download or the status failed.
    Failed,
    /// Marks the final promise's rejection as handled.
    Handled,
}

fn on_step(
    weak: &Weak<RefCell<State>>,
    url: &str,
    stage: Stage,
    v: JsValue,
) -> Result<JsValue, JsValue> {
    let Some(state) = weak.upgrade() else {
        return Ok(JsValue::UNDEFINED);
    };
    match stage {
        Stage::Response => {
            if js::get_property(&v, "ok").as_bool() == Some(true) {
                return v.unchecked_into::<Response>().text().map(JsValue::from);
            }
            let mut problem = String::from("HTTP ");
            kelisim_core::value::push_int(&mut problem, f(&v, "status") as i64);
            Err(problem.into())
        }
        Stage::Body => {
            let text = v.as_string().unwrap_or_default();
            let json = match js::parse_json(&text) {
                Ok(j) => j,
                Err(e) => {
                    return Err(failed(
                        &state,
                        url,
                        &["the policy ", url, " is not valid JSON: ", &message(&e)],
                    ))
                }
            };
            let doc = convert::to_value(&json, &Path::Root, 0)
                .map_err(Error::message)
                .and_then(|value| policy::decode(&value).map_err(|e| e.text()));
            match doc {
                Ok(doc) => {
                    {
                        let mut st = state.borrow_mut();
                        if let Some(l) = in_flight(&mut st, url) {
                            l.doc = Some(Rc::new(doc));
                        }
                    }
                    refresh(&state);
                    Ok(JsValue::UNDEFINED)
                }
                Err(m) => Err(failed(
                    &state,
                    url,
                    &["the policy ", url, " is invalid: ", &m],
                )),
            }
        }
        Stage::Failed => Err(failed(
            &state,
            url,
            &["could not load the policy ", url, ": ", &message(&v)],
        )),
        Stage::Handled => Ok(JsValue::UNDEFINED),
    }
}

/// The message of an `Error`, or the value itself when it is a string.
fn message(v: &JsValue) -> String {
    v.as_string()
        .or_else(|| js::get_property(v, "message").as_string())
        .unwrap_or_else(|| "unknown error".into())
}

/// Reports a failed download: a console error naming the URL and the
/// problem, and the message in every view that waited for it. Returns the
/// error the promise rejects with.
fn failed(state: &Shared, url: &str, parts: &[&str]) -> JsValue {
    let error = into_js(Error::Argument(cat(parts)));
    js::error(&error);
    {
        let mut st = state.borrow_mut();
        if let Some(l) = in_flight(&mut st, url) {
            l.failed = true;
        }
    }
    refresh(state);
    error
}

/// The latest download of `url` that has not failed (the one a finished or
/// failed fetch of `url` belongs to).
fn in_flight<'a>(st: &'a mut State, url: &str) -> Option<&'a mut Load> {
    st.policy.loads.iter_mut().rev().find(|l| l.url == url && !l.failed)
}

/// Re-renders every view (after a download finished or failed).
fn refresh(state: &Shared) {
    let lang = state.borrow().policy.lang;
    if let Some(lang) = lang {
        render_all(state, lang);
        apply_goto(state);
    }
}

/// What a view shows.
enum Content {
    Loading,
    Failed,
    Ready(Rc<PolicyDoc>),
}

fn render_all(state: &Shared, lang: Lang) {
    let st = state.borrow();
    let config = st.session.config();
    let pv = &st.policy;
    let content =
        match document_url(config, lang).and_then(|u| pv.loads.iter().rev().find(|l| l.url == u)) {
            Some(Load { doc: Some(doc), .. }) => Content::Ready(doc.clone()),
            Some(Load { failed: true, .. }) => Content::Failed,
            _ => Content::Loading,
        };
    for (v, dialog) in pv
        .dialog
        .iter()
        .map(|v| (v, true))
        .chain(pv.places.iter().map(|v| (v, false)))
    {
        render(config, lang, v, dialog, &content);
    }
}

/// Once a view shows its document: brings the clause noted before a language
/// switch (or named by the page's `#hash`) into view, or the nearest one.
fn apply_goto(state: &Shared) {
    let mut st = state.borrow_mut();
    let lang = st.policy.lang;
    let ready = {
        let pv = &st.policy;
        let url = lang.and_then(|l| document_url(st.session.config(), l));
        pv.loads
            .iter()
            .rev()
            .find(|l| Some(l.url.as_str()) == url)
            .and_then(|l| l.doc.clone())
    };
    let (Some(doc), Some(lang)) = (ready, lang) else {
        return;
    };
    let Some((text, _)) = text_for(&doc, lang) else {
        return;
    };
    let pv = &mut st.policy;
    for v in pv.dialog.iter_mut().chain(pv.places.iter_mut()) {
        let Some(goto) = v.goto.take() else { continue };
        let section = match goto.strip_prefix('#') {
            Some(anchor) => {
                v.el.query_selector(&cat(&["[id=\"", anchor, "\"]"]))
                    .ok()
                    .flatten()
            }
            None => policy::nearest(text, &goto).and_then(|c| {
                v.el.query_selector(&cat(&["[data-kelisim-clause=\"", c, "\"]"]))
                    .ok()
                    .flatten()
            }),
        };
        match section {
            Some(s) => {
                if let Ok(Some(view)) = v.el.query_selector("[data-kelisim-policy-view]") {
                    go_to(&view, &s);
                }
            }
            // No clause to go to: the top of the text.
            None => {
                if let Ok(Some(top)) = v.el.query_selector("[data-kelisim-policy-view]") {
                    top.scroll_into_view();
                }
            }
        }
    }
}

fn locale(lang: Lang) -> &'static str {
    match lang {
        Lang::Kk => "kk-KZ",
        Lang::Ru => "ru-RU",
    }
}

/// `<time>` with an ISO date formatted for `lang` by Intl (the day as
/// written: formatted in UTC, where the date was read).
fn date(iso: &str, lang: Lang) -> Element {
    let text = match time::parse_iso(iso) {
        Some(ms) => {
            let opts = js_sys::Object::new();
            dom::set(&opts, "dateStyle", &JsValue::from_str("long"));
            dom::set(&opts, "timeZone", &JsValue::from_str("UTC"));
            js_sys::Date::new(&JsValue::from_f64(ms as f64))
                .to_locale_date_string(locale(lang), &opts)
                .into()
        }
        None => String::from(iso),
    };
    el("time", &[("datetime", iso)], Some(&text))
}

/// Renders one view: the article with its head (title, language switch,
/// and in the dialog a close button) and the loading, failure or policy body.
fn render(config: &Config, lang: Lang, v: &View, dialog: bool, content: &Content) {
    // Focus on one of the view's buttons stays on the same button.
    let focused = dom::document()
        .and_then(|d| d.active_element())
        .filter(|a| v.el.contains(Some(a)));
    let focus_key = focused.as_ref().and_then(|a| {
        a.get_attribute("data-kelisim-lang")
            .map(|l| cat(&["[data-kelisim-lang=\"", &l, "\"]"]))
            .or_else(|| {
                a.get_attribute("data-kelisim-action")
                    .map(|x| cat(&["[data-kelisim-action=\"", &x, "\"]"]))
            })
    });
    let t = texts(lang);
    let pt = policy_texts(lang);
    let (text, text_lang) = match content {
        Content::Ready(doc) => match text_for(doc, lang) {
            Some((text, l)) => (Some(text), l),
            None => (None, lang),
        },
        _ => (None, lang),
    };
    let class = if dialog {
        "kelisim-pview"
    } else {
        "kelisim kelisim-pview kelisim-inplace"
    };
    let article = el(
        "article",
        &[
            ("class", class),
            ("data-kelisim-policy-view", ""),
            ("lang", text_lang.code()),
        ],
        None,
    );
    let head = el("div", &[("class", "kelisim-head")], None);
    let title_id = cat(&[v.prefix, "title"]);
    let title = text.map_or(t.policy, |x| x.title.as_str());
    add(
        &head,
        &el(
            if dialog { "h2" } else { "h1" },
            &[("id", &title_id), ("class", "kelisim-title")],
            Some(title),
        ),
    );
    if let Some(sw) = kelisim_web::lang_switch(config, lang, t) {
        add(&head, &sw);
    }
    if dialog {
        add(
            &head,
            &el(
                "button",
                &[
                    ("type", "button"),
                    ("class", "kelisim-close"),
                    ("data-kelisim-action", "close"),
                    ("aria-label", t.close),
                    ("title", t.close),
                ],
                Some("×"),
            ),
        );
    }
    add(&article, &head);
    let body = el(
        "div",
        &[(
            "class",
            if dialog {
                "kelisim-scroll"
            } else {
                "kelisim-pbody"
            },
        )],
        None,
    );
    match (content, text) {
        (Content::Ready(doc), Some(text)) => {
            policy_body(&body, doc, text, lang, text_lang, v.prefix, dialog);
            // Every declared third party and OAuth provider, with what they receive.
            kelisim_web::disclose_view::parties(&body, config, lang);
        }
        (Content::Loading, _) => {
            let _ = article.set_attribute("aria-busy", "true");
            add(
                &body,
                &el(
                    "p",
                    &[("class", "kelisim-pstatus"), ("role", "status")],
                    Some(pt.loading),
                ),
            );
        }
        _ => {
            let p = el(
                "p",
                &[("class", "kelisim-perror"), ("role", "alert")],
                Some(pt.failed),
            );
            add_text(&p, " ");
            add(
                &p,
                &el(
                    "a",
                    &[("href", config.policy.url.get(lang))],
                    Some(t.policy),
                ),
            );
            add(&body, &p);
        }
    }
    add(&article, &body);
    v.el.set_text_content(None);
    add(&v.el, &article);
    if let Some(k) = focus_key {
        dom::focus(&v.el, &k);
    }
}

fn policy_body(
    body: &Element,
    doc: &PolicyDoc,
    text: &Text,
    lang: Lang,
    text_lang: Lang,
    prefix: &str,
    dialog: bool,
) {
    let pt = policy_texts(lang);
    let level = if dialog { 3 } else { 2 };
    if text_lang != lang {
        add(
            body,
            &el(
                "p",
                &[("class", "kelisim-pnotice"), ("lang", lang.code())],
                Some(pt.other_language),
            ),
        );
    }
    // Version and date, operator, which text prevails: in the text's language.
    let tt = policy_texts(text_lang);
    let meta = el("p", &[("class", "kelisim-pmeta")], Some(tt.version));
    add_text(&meta, " ");
    add_text(&meta, &doc.version);
    if let Some(d) = &doc.effective {
        add_text(&meta, ". ");
        add_text(&meta, tt.effective);
        add_text(&meta, " ");
        add(&meta, &date(d, text_lang));
    }
    add(body, &meta);
    let name = doc.controller.name.get(text_lang);
    if !name.is_empty() {
        let p = el("p", &[("class", "kelisim-pmeta")], Some(tt.controller));
        add_text(&p, " ");
        add_text(&p, name);
        if let Some(bin) = &doc.controller.bin {
            add_text(&p, &cat(&[", ", tt.bin, " ", bin]));
        }
        add(body, &p);
    }
    if let Some(p) = doc.prevails {
        let notice = if p == Lang::Kk {
            tt.kk_prevails
        } else {
            tt.ru_prevails
        };
        add(
            body,
            &el("p", &[("class", "kelisim-pnotice")], Some(notice)),
        );
    }
    let ids = anchors(text, prefix);
    if !text.sections.is_empty() {
        let nav = el(
            "nav",
            &[("class", "kelisim-toc"), ("aria-label", tt.contents)],
            None,
        );
        add(&nav, &el(heading(level), &[], Some(tt.contents)));
        let list = el("ol", &[], None);
        toc(&list, &text.sections, &mut ids.iter(), 1);
        add(&nav, &list);
        add(body, &nav);
    }
    blocks(body, &text.intro, None);
    let mut it = ids.iter();
    for s in &text.sections {
        section(body, s, &mut it, level);
    }
    if !doc.previous.is_empty() {
        let sec = el("section", &[("class", "kelisim-previous")], None);
        add(&sec, &el(heading(level), &[], Some(tt.previous)));
        let list = el("ul", &[], None);
        for e in &doc.previous {
            let li = el("li", &[], None);
            let label = cat(&[tt.version, " ", &e.version]);
            // `decode` accepts only relative and http(s) URLs here.
            add(&li, &el("a", &[("href", &e.url)], Some(&label)));
            if let Some(d) = &e.effective {
                add_text(&li, &cat(&[". ", tt.effective, " "]));
                add(&li, &date(d, text_lang));
            }
            add(&list, &li);
        }
        add(&sec, &list);
        add(body, &sec);
    }
}

fn heading(level: usize) -> &'static str {
    match level {
        0..=2 => "h2",
        3 => "h3",
        4 => "h4",
        5 => "h5",
        _ => "h6",
    }
}

/// The table of contents: top-level clauses and every clause with a heading.
fn toc<'a>(
    list: &Element,
    sections: &[Section],
    ids: &mut impl Iterator<Item = &'a String>,
    depth: usize,
) {
    for s in sections {
        let id = ids.next().map_or("", |s| s.as_str());
        if depth == 1 || s.heading.is_some() {
            let li = el(
                "li",
                &[(
                    "class",
                    if depth == 1 {
                        "kelisim-toc1"
                    } else {
                        "kelisim-toc2"
                    },
                )],
                None,
            );
            let mut label = s.number.clone();
            for span in s.heading.iter().flatten() {
                label.push(' ');
                label.push_str(span.text.trim());
            }
            add(
                &li,
                &el(
                    "a",
                    &[("href", &cat(&["#", id])), ("data-kelisim-toc", "")],
                    Some(&label),
                ),
            );
            add(list, &li);
        }
        toc(list, &s.sections, ids, depth + 1);
    }
}

fn section<'a>(
    parent: &Element,
    s: &Section,
    ids: &mut impl Iterator<Item = &'a String>,
    level: usize,
) {
    let id = ids.next().map_or("", |s| s.as_str());
    let sec = el(
        "section",
        &[
            ("id", id),
            ("class", "kelisim-clause"),
            ("data-kelisim-clause", &s.clause),
            ("tabindex", "-1"),
        ],
        None,
    );
    match &s.heading {
        Some(h) => {
            let hn = el(heading(level), &[], None);
            add(
                &hn,
                &el("span", &[("class", "kelisim-num")], Some(&s.number)),
            );
            add_text(&hn, " ");
            spans(&hn, h);
            add(&sec, &hn);
            blocks(&sec, &s.blocks, None);
        }
        // A clause that is only a sentence: its number leads the text.
        None => blocks(&sec, &s.blocks, Some(&s.number)),
    }
    for sub in &s.sections {
        section(&sec, sub, ids, level + 1);
    }
    add(parent, &sec);
}

/// Blocks; `lead` (a clause number, a list marker) goes at the start of the
/// first paragraph, or on its own when the first block is not one.
fn blocks(parent: &Element, list: &[Block], lead: Option<&str>) {
    let mut lead = lead;
    for b in list {
        let mark = |p: &Element, lead: Option<&str>| {
            if let Some(l) = lead {
                add(p, &el("span", &[("class", "kelisim-num")], Some(l)));
                add_text(p, " ");
            }
        };
        match b {
            Block::Paragraph(sp) => {
                let p = el("p", &[], None);
                mark(&p, lead.take());
                spans(&p, sp);
                add(parent, &p);
            }
            Block::List { ordered, items } => {
                if let Some(l) = lead.take() {
                    let p = el("p", &[], None);
                    mark(&p, Some(l));
                    add(parent, &p);
                }
                let marked = items.iter().any(|i| i.marker.is_some());
                let class = if marked { "kelisim-marked" } else { "" };
                let l = el(
                    if *ordered { "ol" } else { "ul" },
                    &[("class", class)],
                    None,
                );
                for item in items {
                    let li = el("li", &[], None);
                    blocks(&li, &item.blocks, item.marker.as_deref());
                    add(&l, &li);
                }
                add(parent, &l);
            }
            Block::Table { header, rows } => {
                if let Some(l) = lead.take() {
                    let p = el("p", &[], None);
                    mark(&p, Some(l));
                    add(parent, &p);
                }
                // Focusable, so a keyboard can scroll a table wider than the screen.
                let wrap = el(
                    "div",
                    &[("class", "kelisim-table"), ("tabindex", "0")],
                    None,
                );
                let table = el("table", &[], None);
                for (i, row) in rows.iter().enumerate() {
                    let tr = el("tr", &[], None);
                    let head = *header && i == 0;
                    for cell in row {
                        let c = el(if head { "th" } else { "td" }, &[], None);
                        if head {
                            let _ = c.set_attribute("scope", "col");
                        }
                        spans(&c, cell);
                        add(&tr, &c);
                    }
                    add(&table, &tr);
                }
                add(&wrap, &table);
                add(parent, &wrap);
            }
        }
    }
    if let Some(l) = lead {
        let p = el("p", &[], None);
        add(&p, &el("span", &[("class", "kelisim-num")], Some(l)));
        add(parent, &p);
    }
}

/// Spans as text; links only for a [`safe_href`], with `rel="noopener
/// noreferrer"` when they leave the site.
fn spans(parent: &Element, list: &[Span]) {
    let origin = location("origin").as_string().unwrap_or_default();
    for s in list {
        let into = if s.strong {
            let b = el("strong", &[], None);
            add(parent, &b);
            b
        } else {
            parent.clone()
        };
        match s.href.as_deref().and_then(safe_href) {
            Some(href) => {
                let a = el("a", &[("href", href)], Some(&s.text));
                // `get` rather than indexing: no bounds-check panic (and its
                // formatting code) in the module.
                let web = href
                    .get(..4)
                    .is_some_and(|s| s.eq_ignore_ascii_case("http"));
                let same_site = !origin.is_empty()
                    && href
                        .get(..origin.len())
                        .is_some_and(|s| s.eq_ignore_ascii_case(&origin))
                    && href.as_bytes().get(origin.len()) == Some(&b'/');
                if web && !same_site {
                    let _ = a.set_attribute("rel", "noopener noreferrer");
                }
                add(&into, &a);
            }
            None => add_text(&into, &s.text),
        }
    }
}
