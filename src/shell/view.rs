//! Builds the banner, the preferences panel and the reopen button.
//!
//! Every text comes from the core's texts or the site's config and is inserted
//! with `textContent`. The stable `data-kelisim*` hooks are part of the public
//! contract (docs/api.md).

use alloc::string::String;
use alloc::vec::Vec;
use wasm_bindgen::JsValue;

use super::cat;
use super::dom::{add, add_text, el, format_date, set};
use super::js::{self, Element};
use crate::core::config::{Config, Lang};
use crate::core::consent::{self, Switch};
use crate::core::session::Session;
use crate::core::texts::{texts, Texts};
use crate::core::value::push_int;

pub(super) use kelisim_web::lang_switch;

fn button(action: &str, class: &str, text: &str) -> Element {
    el("button", &[("type", "button"), ("class", class), ("data-kelisim-action", action)], Some(text))
}

fn main_buttons(t: &Texts, with_save: bool) -> Element {
    let row = el("div", &[("class", "kelisim-actions")], None);
    add(&row, &button("accept-all", "kelisim-btn", t.accept_all));
    add(&row, &button("reject-all", "kelisim-btn", t.reject_all));
    if with_save {
        add(&row, &button("save", "kelisim-btn kelisim-btn-primary", t.save));
    } else {
        add(&row, &button("preferences", "kelisim-btn", t.preferences));
    }
    row
}

/// The banner.
pub fn banner(s: &Session) -> Element {
    let (config, lang) = (s.config(), s.language());
    let t = texts(lang);
    let root = el(
        "section",
        &[
            ("class", "kelisim-banner"),
            ("data-kelisim", "banner"),
            ("role", "region"),
            ("aria-labelledby", "kelisim-banner-title"),
        ],
        None,
    );
    let head = el("div", &[("class", "kelisim-head")], None);
    add(&head, &el("h2", &[("id", "kelisim-banner-title"), ("class", "kelisim-title")], Some(t.title)));
    if let Some(sw) = lang_switch(config, lang, t) {
        add(&head, &sw);
    }
    add(&root, &head);
    let body = el("p", &[("class", "kelisim-text")], Some(t.body));
    add_text(&body, " ");
    add(&body, &el("a", &[("href", config.policy.url.get(lang)), ("data-kelisim-action", "policy")], Some(t.policy)));
    add(&root, &body);
    if let Some(n) = super::gate::gpc_notice(s) {
        add(&root, &n);
    }
    add(&root, &main_buttons(t, false));
    root
}

fn switch(kind: &str, id: &str, label: &str, on: bool, locked: bool) -> Element {
    let wrap = el("label", &[("class", "kelisim-switch")], None);
    let input = el("input", &[("type", "checkbox"), ("role", "switch"), (kind, id)], None);
    set(&input, "checked", &JsValue::from_bool(on));
    set(&input, "disabled", &JsValue::from_bool(locked));
    add(&wrap, &input);
    add(&wrap, &el("span", &[("class", "kelisim-switch-label")], Some(label)));
    wrap
}

fn cookie_list(t: &Texts, cookies: &[String]) -> Option<Element> {
    if cookies.is_empty() {
        return None;
    }
    let p = el("p", &[("class", "kelisim-cookies")], Some(t.cookies));
    for (i, c) in cookies.iter().enumerate() {
        add_text(&p, if i == 0 { " " } else { ", " });
        add(&p, &el("code", &[], Some(c)));
    }
    Some(p)
}

/// The state a switch starts in: the unsaved draft, else the consent, else off.
fn initial(s: &Session, draft: &[(String, bool)], id: &str) -> bool {
    draft
        .iter()
        .find(|(k, _)| k == id)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| s.accepted(id))
}

/// The preferences panel (a `<dialog>`, opened modally by the shell).
pub fn preferences(s: &Session, draft: &[(String, bool)]) -> Element {
    let (config, lang) = (s.config(), s.language());
    let t = texts(lang);
    let dialog = el(
        "dialog",
        &[("class", "kelisim-prefs"), ("data-kelisim", "preferences"), ("aria-labelledby", "kelisim-prefs-title")],
        None,
    );
    let head = el("div", &[("class", "kelisim-head")], None);
    add(&head, &el("h2", &[("id", "kelisim-prefs-title"), ("class", "kelisim-title")], Some(t.preferences_title)));
    if let Some(sw) = lang_switch(config, lang, t) {
        add(&head, &sw);
    }
    let close = el(
        "button",
        &[("type", "button"), ("class", "kelisim-close"), ("data-kelisim-action", "close"), ("aria-label", t.close), ("title", t.close)],
        Some("×"),
    );
    add(&head, &close);
    add(&dialog, &head);

    let scroll = el("div", &[("class", "kelisim-scroll")], None);
    let intro = el("p", &[("class", "kelisim-text")], Some(t.preferences_body));
    add_text(&intro, " ");
    add(&intro, &el("a", &[("href", config.policy.url.get(lang)), ("data-kelisim-action", "policy")], Some(t.policy)));
    add(&scroll, &intro);

    for c in &config.categories {
        let sec = el("section", &[("class", "kelisim-cat"), ("data-kelisim-section", &c.id)], None);
        let row = el("div", &[("class", "kelisim-cat-row")], None);
        let on = c.required || initial(s, draft, &c.id);
        add(&row, &switch("data-kelisim-category", &c.id, c.title.get(lang), on, c.required));
        if c.required {
            add(&row, &el("span", &[("class", "kelisim-badge")], Some(t.always_on)));
        }
        add(&sec, &row);
        add(&sec, &el("p", &[("class", "kelisim-desc")], Some(c.description.get(lang))));
        if let Some(list) = cookie_list(t, &c.cookies) {
            add(&sec, &list);
        }
        if !c.services.is_empty() {
            let details = el("details", &[("class", "kelisim-services")], None);
            let mut summary = cat(&[t.services, " ("]);
            push_int(&mut summary, c.services.len() as i64);
            summary.push(')');
            add(&details, &el("summary", &[], Some(&summary)));
            for svc in &c.services {
                let item = el("div", &[("class", "kelisim-service")], None);
                let on = c.required || initial(s, draft, &svc.id);
                add(&item, &switch("data-kelisim-service", &svc.id, svc.title.get(lang), on, c.required));
                add(&item, &el("p", &[("class", "kelisim-desc")], Some(svc.description.get(lang))));
                if let Some(list) = cookie_list(t, &svc.cookies) {
                    add(&item, &list);
                }
                add(&details, &item);
            }
            add(&sec, &details);
        }
        add(&scroll, &sec);
    }
    super::disclose_view::parties(&scroll, config, lang);
    if let Some(c) = s.consent() {
        let locale = match lang {
            Lang::Kk => "kk-KZ",
            Lang::Ru => "ru-RU",
        };
        let p = el("p", &[("class", "kelisim-valid")], Some(t.valid_until));
        add_text(&p, " ");
        add(&p, &el("time", &[("datetime", &crate::core::time::to_iso(c.expires_at()))], Some(&format_date(c.expires_at(), locale))));
        add(&scroll, &p);
        add(&scroll, &el("p", &[("class", "kelisim-hint")], Some(t.withdraw_hint)));
    }
    add(&dialog, &scroll);
    add(&dialog, &main_buttons(t, true));
    dialog
}

/// The small button that reopens the preferences after a decision.
pub fn reopen(s: &Session) -> Element {
    let t = texts(s.language());
    el(
        "button",
        &[("type", "button"), ("class", "kelisim-reopen"), ("data-kelisim-action", "open"), ("aria-haspopup", "dialog")],
        Some(t.reopen),
    )
}

/// Reads the switches of an open preferences panel: `(categories, services)`.
pub fn read_switches(root: &Element) -> (Vec<(String, bool)>, Vec<(String, bool)>) {
    let read = |attr: &str| {
        let mut out = Vec::new();
        if let Ok(list) = root.query_selector_all(&cat(&["input[", attr, "]"])) {
            for i in 0..list.length() {
                let Some(input) = js::element_at(&list, i) else { continue };
                if let Some(id) = input.get_attribute(attr) {
                    out.push((id, js::checked(&input)));
                }
            }
        }
        out
    };
    (read("data-kelisim-category"), read("data-kelisim-service"))
}

/// Keeps the switches consistent while the visitor clicks (the rule is the
/// core's [`consent::linked`]).
pub fn sync_switches(root: &Element, config: &Config, changed: &Element) {
    let set_switch = |attr: &str, id: &str, on: bool| {
        if let Ok(Some(e)) = root.query_selector(&cat(&["input[", attr, "=\"", id, "\"]"])) {
            set(&e, "checked", &JsValue::from_bool(on));
        }
    };
    let on = js::checked(changed);
    let (category, service) = (changed.get_attribute("data-kelisim-category"), changed.get_attribute("data-kelisim-service"));
    let switch = match (&category, &service) {
        (Some(c), _) => Switch::Category(c),
        (None, Some(s)) => Switch::Service(s),
        (None, None) => return,
    };
    for (other, v) in consent::linked(config, switch, on) {
        match other {
            Switch::Category(id) => set_switch("data-kelisim-category", id, v),
            Switch::Service(id) => set_switch("data-kelisim-service", id, v),
        }
    }
}
