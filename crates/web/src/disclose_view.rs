//! Builds the disclosure dialog and the list of third parties and OAuth
//! providers (in the preferences panel, and for the policy view).
//!
//! Every text comes from the core's disclosure texts or the site's config and
//! goes in with `textContent` or as an attribute value.

use alloc::string::String;
use crate::dom::{add, el};
use crate::js::Element;
use crate::core::config::{Config, Lang, ThirdParty};
use crate::core::disclosure::Kind;
use crate::core::disclosure_texts::{disclosure_texts, fill, DisclosureTexts};
use crate::core::value::push_int;

/// `<dl>` of label/value rows.
fn facts(rows: &[(&str, &str)]) -> Element {
    let dl = el("dl", &[("class", "kelisim-facts")], None);
    for (label, value) in rows {
        add(&dl, &el("dt", &[], Some(label)));
        add(&dl, &el("dd", &[], Some(value)));
    }
    dl
}

/// A link to a party's own policy, in a new tab without opener or referrer.
fn policy_link(t: &DisclosureTexts, name: &str, url: &str) -> Element {
    let p = el("p", &[("class", "kelisim-text")], None);
    let a = el(
        "a",
        &[("href", url), ("target", "_blank"), ("rel", "noopener noreferrer")],
        Some(&fill(t.party_policy, name)),
    );
    add(&p, &a);
    p
}

/// What a third party may collect, why, and where data go: the country's name
/// in the visitor's language (the browser's Intl), its ISO code where the
/// browser has no names in that language. Receipts keep the code.
fn party_facts(parent: &Element, t: &DisclosureTexts, p: &ThirdParty, lang: Lang, with_data: bool) {
    let country = crate::dom::country_name(&p.country, lang.code());
    let rows = [(t.collects, p.collects.get(lang)), (t.purpose, p.purpose.get(lang)), (t.country, country.as_str())];
    add(parent, &facts(if with_data { &rows } else { &rows[2..] }));
    if p.country != "KZ" {
        add(parent, &el("p", &[("class", "kelisim-hint")], Some(t.abroad)));
    }
}

/// The disclosure dialog (a `<dialog>`, opened modally by the shell) for a
/// link to a declared third party (`party` is its id), a link to an
/// undeclared site (`party` is empty, `host` names it), or an OAuth log-in
/// (`party` is the provider's id; `host` may be empty).
pub fn dialog(config: &Config, lang: Lang, kind: Kind, party: &str, host: &str) -> Element {
    let t = disclosure_texts(lang);
    let dialog = el(
        "dialog",
        &[
            ("class", "kelisim-prefs kelisim-disclosure"),
            ("data-kelisim", "disclosure"),
            ("data-kelisim-kind", kind.code()),
            ("aria-labelledby", "kelisim-disclosure-title"),
        ],
        None,
    );
    if !party.is_empty() {
        let _ = dialog.set_attribute("data-kelisim-party", party);
    }
    if !host.is_empty() {
        let _ = dialog.set_attribute("data-kelisim-host", host);
    }
    let body = el("div", &[("class", "kelisim-scroll")], None);
    let title = |text: &str| el("h2", &[("id", "kelisim-disclosure-title"), ("class", "kelisim-title")], Some(text));
    let text = |s: &str| el("p", &[("class", "kelisim-text")], Some(s));
    let mut name = String::from(host);
    match kind {
        Kind::Link => {
            add(&body, &title(t.link_title));
            match config.third_party(party) {
                Some(p) => {
                    name = p.name.get(lang).into();
                    add(&body, &text(&fill(t.link_body, &name)));
                    party_facts(&body, t, p, lang, true);
                    add(&body, &policy_link(t, &name, &p.policy_url));
                }
                None => {
                    add(&body, &text(&fill(t.link_body, &name)));
                    add(&body, &text(t.undeclared));
                }
            }
        }
        Kind::OAuth => {
            if let Some(o) = config.oauth.iter().find(|o| o.id == party) {
                name = o.name.get(lang).into();
                add(&body, &title(&fill(t.oauth_title, &name)));
                add(&body, &text(&fill(t.oauth_body, &name)));
                add(&body, &el("p", &[("class", "kelisim-receives")], Some(o.receives.get(lang))));
                if let Some(p) = o.third_party.as_deref().and_then(|id| config.third_party(id)) {
                    party_facts(&body, t, p, lang, false);
                }
                add(&body, &text(&fill(t.oauth_note, &name)));
                add(&body, &policy_link(t, &name, &o.policy_url));
            }
        }
    }
    let label = el("label", &[("class", "kelisim-remember")], None);
    add(&label, &el("input", &[("type", "checkbox"), ("data-kelisim-remember", "")], None));
    add(&label, &el("span", &[], Some(&fill(t.remember, &name))));
    add(&body, &label);
    add(&dialog, &body);
    let row = el("div", &[("class", "kelisim-actions kelisim-actions-2")], None);
    for (action, text) in [("cancel", t.cancel), ("continue", t.proceed)] {
        add(&row, &el("button", &[("type", "button"), ("class", "kelisim-btn"), ("data-kelisim-action", action)], Some(text)));
    }
    add(&dialog, &row);
    dialog
}

/// `<details>` whose summary is `title (count)`.
fn group(title: &str, count: usize) -> Element {
    let d = el("details", &[("class", "kelisim-services")], None);
    let mut summary = String::from(title);
    summary.push_str(" (");
    push_int(&mut summary, count as i64);
    summary.push(')');
    add(&d, &el("summary", &[], Some(&summary)));
    d
}

/// Appends to `parent` the list of every declared third party (name, what it
/// may collect, why, country, policy link) and OAuth provider (what the site
/// receives, policy link) in `lang`: a `section[data-kelisim-parties]` with
/// items `[data-kelisim-party="<id>"]` and `[data-kelisim-provider="<id>"]`.
/// Nothing when the config declares neither. Used by the preferences panel;
/// the policy view can call it too.
pub fn parties(parent: &Element, config: &Config, lang: Lang) {
    if config.third_parties.is_empty() && config.oauth.is_empty() {
        return;
    }
    let t = disclosure_texts(lang);
    let sec = el("section", &[("class", "kelisim-cat"), ("data-kelisim-parties", "")], None);
    let item = |attr: &str, id: &str, name: &str| {
        let div = el("div", &[("class", "kelisim-service"), (attr, id)], None);
        add(&div, &el("strong", &[], Some(name)));
        div
    };
    if !config.third_parties.is_empty() {
        let d = group(t.parties_title, config.third_parties.len());
        add(&d, &el("p", &[("class", "kelisim-desc")], Some(t.parties_intro)));
        for p in &config.third_parties {
            let name = p.name.get(lang);
            let div = item("data-kelisim-party", &p.id, name);
            party_facts(&div, t, p, lang, true);
            add(&div, &policy_link(t, name, &p.policy_url));
            add(&d, &div);
        }
        add(&sec, &d);
    }
    if !config.oauth.is_empty() {
        let d = group(t.logins_title, config.oauth.len());
        for o in &config.oauth {
            let name = o.name.get(lang);
            let div = item("data-kelisim-provider", &o.id, name);
            add(&div, &facts(&[(t.receives, o.receives.get(lang))]));
            add(&div, &policy_link(t, name, &o.policy_url));
            add(&d, &div);
        }
        add(&sec, &d);
    }
    add(parent, &sec);
}
