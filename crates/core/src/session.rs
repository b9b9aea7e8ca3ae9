//! The consent session: state plus transitions that return [`Effect`]s.
//!
//! The shell feeds it what it reads from the browser (the cookie, the clock,
//! language hints, fresh UUIDs) and carries out what it returns.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use super::codec::{self, DecodeError};
use super::config::{Config, Lang};
use super::consent::{self, Choice, Consent, Invalid, UnknownId};
use super::gate;

/// Which part of the interface is open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// Nothing but the small reopen button (after a decision).
    Closed,
    /// The banner.
    Banner,
    /// The preferences panel.
    Preferences,
}

/// What the shell must do.
#[derive(Debug, Clone, PartialEq)]
pub enum Effect {
    /// Write the consent cookie with this value and `Max-Age` (seconds).
    WriteCookie {
        /// The encoded consent.
        value: String,
        /// Seconds until `expiresAt`; never more.
        max_age: i64,
    },
    /// Delete the consent cookie.
    DeleteCookie,
    /// Tell the site's other open tabs the cookie value just written (empty
    /// after a deletion). Follows [`Effect::WriteCookie`] and
    /// [`Effect::DeleteCookie`]; never emitted for a consent another tab wrote.
    Broadcast(String),
    /// Hand a consent receipt of this kind of decision to the delivery (when the
    /// site has receipts on). First in a decision's effects, so the receipt is
    /// queued before anything else the decision does.
    Receipt(DecisionKind),
    /// Release what the consent in force allows (gated scripts and embeds) and
    /// send Consent Mode's `update`. Comes right before [`Effect::EmitConsent`].
    Release,
    /// Show this view (re-rendered in the current language).
    Render(View),
    /// Remember the visitor's language choice.
    SaveLanguage(Lang),
    /// Dispatch `kelisim:consent` with the current consent.
    EmitConsent,
    /// Dispatch `kelisim:change` listing the ids whose state changed.
    EmitChange(Vec<String>),
    /// Consent was withdrawn: delete these cookies and storage keys, then
    /// reload the page when `reload` (`reloadOnWithdrawal`). Comes last.
    Clear {
        /// What the withdrawn categories and services list.
        clear: gate::Clear,
        /// Reload once everything else is done.
        reload: bool,
    },
}

/// What the shell read from the browser at start.
#[derive(Debug, Default)]
pub struct Hints<'a> {
    /// The consent cookie's value, if present.
    pub cookie: Option<&'a str>,
    /// The visitor's saved language choice.
    pub saved_language: Option<&'a str>,
    /// `<html lang>`.
    pub html_lang: Option<&'a str>,
    /// `navigator.languages`, in order.
    pub navigator: &'a [String],
    /// `navigator.globalPrivacyControl` is true.
    pub gpc: bool,
}

/// Why a stored consent was not used at start (for a console note).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Discarded {
    /// The cookie could not be read.
    Unreadable(DecodeError),
    /// It was read but no longer holds.
    Invalid(Invalid),
}

/// What kind of decision a new consent is (used by receipts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecisionKind {
    /// First decision of this subject.
    Given,
    /// A valid consent was changed.
    Updated,
    /// A lapsed or outdated consent was replaced.
    Renewed,
    /// Every optional category was refused by `withdraw()`.
    Withdrawn,
}

/// The consent session.
#[derive(Debug)]
pub struct Session {
    config: Config,
    /// The last decoded consent, valid or not (its subject is kept on renewal).
    stored: Option<Consent>,
    valid: bool,
    lang: Lang,
    view: View,
    gpc: bool,
}

/// Chooses the language: saved choice, `<html lang>`, `navigator.languages`, default.
pub fn detect_language(config: &Config, hints: &Hints, consent_lang: Option<Lang>) -> Lang {
    let offered = |l: Lang| config.languages.contains(&l).then_some(l);
    hints
        .saved_language
        .and_then(Lang::from_code)
        .or(consent_lang)
        .and_then(offered)
        .or_else(|| hints.html_lang.and_then(Lang::from_tag).and_then(offered))
        .or_else(|| hints.navigator.iter().find_map(|t| Lang::from_tag(t).and_then(offered)))
        .unwrap_or(config.default_language)
}

/// The effect that clears what was withdrawn between two consents, if anything was.
fn clear_effect(config: &Config, before: &Consent, after: &Consent) -> Option<Effect> {
    let clear = gate::to_clear(config, before, after)?;
    Some(Effect::Clear { clear, reload: config.reload_on_withdrawal })
}

impl Session {
    /// Starts a session; returns it, the effects to carry out, and why a stored
    /// consent was discarded, if one was.
    pub fn start(config: Config, hints: &Hints, now: i64) -> (Session, Vec<Effect>, Option<Discarded>) {
        let mut discarded = None;
        let stored = match hints.cookie.map(codec::decode) {
            None => None,
            Some(Ok(c)) => match consent::admit(c, &config, now) {
                Ok(c) => Some(c),
                Err(why) => {
                    discarded = Some(Discarded::Invalid(why));
                    None
                }
            },
            Some(Err(e)) => {
                discarded = Some(Discarded::Unreadable(e));
                None
            }
        };
        let valid = match &stored {
            Some(c) => match consent::check(c, &config, now) {
                Ok(()) => true,
                Err(why) => {
                    discarded = Some(Discarded::Invalid(why));
                    false
                }
            },
            None => false,
        };
        let lang = detect_language(&config, hints, stored.as_ref().map(|c| c.language));
        let view = if valid { View::Closed } else { View::Banner };
        let mut effects = vec![Effect::Render(view)];
        if valid {
            effects.push(Effect::Release);
            effects.push(Effect::EmitConsent);
        }
        let gpc = hints.gpc;
        (Session { config, stored, valid, lang, view, gpc }, effects, discarded)
    }

    /// The config in force.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The valid consent, if any.
    pub fn consent(&self) -> Option<&Consent> {
        self.stored.as_ref().filter(|_| self.valid)
    }

    /// The current language.
    pub fn language(&self) -> Lang {
        self.lang
    }

    /// The open view.
    pub fn view(&self) -> View {
        self.view
    }

    /// Whether the browser sends a Global Privacy Control signal.
    pub fn gpc(&self) -> bool {
        self.gpc
    }

    /// Takes in a consent another tab of the site wrote (`value` is the
    /// cookie value it wrote). Closes the banner and panel and announces the
    /// consent; `kelisim:change` lists the ids whose [`Session::accepted`]
    /// changed (without an earlier consent, the ids now accepted). Nothing
    /// happens when it is the consent already in force, or unreadable or no
    /// longer valid. The tab that decided has already cleared what was
    /// withdrawn (cookies and storage are shared), so nothing is cleared here.
    pub fn sync(&mut self, value: Option<&str>, now: i64) -> Vec<Effect> {
        let next = value
            .and_then(|v| codec::decode(v).ok())
            .and_then(|c| consent::admit(c, &self.config, now).ok())
            .filter(|c| consent::check(c, &self.config, now).is_ok());
        let before = self.consent();
        let Some(next) = next else {
            return Vec::new();
        };
        if before.is_some_and(|b| b.id == next.id) {
            return Vec::new();
        }
        let changed = match before {
            Some(b) => next.changed_from(b),
            None => next.categories.iter().chain(next.services.iter()).filter(|(_, on)| *on).map(|(id, _)| id.clone()).collect(),
        };
        self.stored = Some(next);
        self.valid = true;
        let mut effects = self.show(View::Closed);
        effects.push(Effect::Release);
        effects.push(Effect::EmitConsent);
        if !changed.is_empty() {
            effects.push(Effect::EmitChange(changed));
        }
        effects
    }

    /// Whether a category or service is accepted now (false without a valid consent).
    pub fn accepted(&self, id: &str) -> bool {
        self.consent().and_then(|c| c.state(id)).unwrap_or(false)
    }

    /// Re-checks the stored consent against the clock; when it has lapsed, the
    /// banner comes back.
    pub fn tick(&mut self, now: i64) -> Vec<Effect> {
        match self.consent() {
            Some(c) if consent::check(c, &self.config, now).is_err() => {
                self.valid = false;
                self.show(View::Banner)
            }
            _ => Vec::new(),
        }
    }

    /// Records a decision. `id` and `subject` are fresh UUIDs from the shell;
    /// `subject` is used only when there is no earlier consent to keep it from.
    pub fn decide(
        &mut self,
        choice: &Choice,
        now: i64,
        id: String,
        subject: String,
    ) -> Result<(Vec<Effect>, DecisionKind), UnknownId> {
        let previous = self.stored.as_ref();
        let base = previous.filter(|_| self.valid);
        let (mut categories, mut services, method) = consent::resolve(&self.config, choice, base)?;
        // Under a GPC signal "accept all" leaves selling and sharing off;
        // only an explicit choice per category turns them on.
        if self.gpc && matches!(choice, Choice::AcceptAll) {
            gate::honour_gpc(&self.config, &mut categories, &mut services);
        }
        let gpc = self.gpc && gate::sharing_off(&self.config, &categories, &services);
        let kind = match (previous, self.valid) {
            _ if matches!(choice, Choice::Withdraw) => DecisionKind::Withdrawn,
            (None, _) => DecisionKind::Given,
            (Some(_), true) => DecisionKind::Updated,
            (Some(_), false) => DecisionKind::Renewed,
        };
        let next = Consent {
            id,
            subject: previous.map_or(subject, |p| p.subject.clone()),
            given_at: now,
            revision: self.config.policy.revision,
            language: self.lang,
            categories,
            services,
            method,
            gpc,
        };
        let changed = base.map(|b| next.changed_from(b)).unwrap_or_default();
        let clear = base.and_then(|b| clear_effect(&self.config, b, &next));
        let max_age = (next.expires_at() - now) / 1000;
        let value = codec::encode(&next);
        let mut effects = vec![
            Effect::Receipt(kind),
            Effect::WriteCookie { value: value.clone(), max_age },
            Effect::Broadcast(value),
        ];
        self.stored = Some(next);
        self.valid = true;
        effects.extend(self.show(View::Closed));
        effects.push(Effect::Release);
        effects.push(Effect::EmitConsent);
        if !changed.is_empty() {
            effects.push(Effect::EmitChange(changed));
        }
        effects.extend(clear);
        Ok((effects, kind))
    }

    /// Opens a view. Closing without a valid consent leaves nothing on screen
    /// until the next page load or `show(Banner)`.
    pub fn show(&mut self, view: View) -> Vec<Effect> {
        self.view = view;
        vec![Effect::Render(view)]
    }

    /// Closes the preferences panel: back to the banner when no decision exists yet.
    pub fn close_preferences(&mut self) -> Vec<Effect> {
        let back = if self.consent().is_some() { View::Closed } else { View::Banner };
        self.show(back)
    }

    /// Switches the language; re-renders the open view and remembers the choice.
    pub fn set_language(&mut self, lang: Lang) -> Option<Vec<Effect>> {
        if !self.config.languages.contains(&lang) {
            return None;
        }
        self.lang = lang;
        Some(vec![Effect::SaveLanguage(lang), Effect::Render(self.view)])
    }

    /// Forgets everything: deletes the cookie and shows the banner, as on a first visit.
    pub fn reset(&mut self) -> Vec<Effect> {
        self.stored = None;
        self.valid = false;
        let mut effects = vec![Effect::DeleteCookie, Effect::Broadcast(String::new())];
        effects.extend(self.show(View::Banner));
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{decode, tests::sample};
    use crate::time;

    const NOW: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z
    const ID: &str = "00000000-0000-4000-8000-00000000000a";
    const SUBJ: &str = "00000000-0000-4000-8000-00000000000b";

    fn start(cookie: Option<&str>, now: i64) -> (Session, Vec<Effect>, Option<Discarded>) {
        let hints = Hints { cookie, ..Hints::default() };
        Session::start(decode(&sample()).unwrap(), &hints, now)
    }

    fn cookie_of(effects: &[Effect]) -> (String, i64) {
        effects
            .iter()
            .find_map(|e| match e {
                Effect::WriteCookie { value, max_age } => Some((value.clone(), *max_age)),
                _ => None,
            })
            .expect("a cookie write")
    }

    #[test]
    fn first_visit_shows_banner_and_decision_writes_13_month_cookie() {
        let (mut s, fx, why) = start(None, NOW);
        assert_eq!(fx, [Effect::Render(View::Banner)]);
        assert_eq!(why, None);
        let (fx, kind) = s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert_eq!(kind, DecisionKind::Given);
        let (value, max_age) = cookie_of(&fx);
        assert_eq!(max_age, (time::expires_at(NOW) - NOW) / 1000);
        assert_eq!(max_age, 396 * 86_400); // 2025-01-01 -> 2026-02-01
        assert!(fx.contains(&Effect::Render(View::Closed)) && fx.contains(&Effect::EmitConsent));
        assert!(!fx.iter().any(|e| matches!(e, Effect::EmitChange(_))), "no change event on a first decision");
        assert!(s.accepted("marketing") && s.accepted("yandex-metrica"));

        // Next page load: same consent, no banner.
        let (s2, fx, _) = start(Some(&value), NOW + 1000);
        assert_eq!(fx, [Effect::Render(View::Closed), Effect::Release, Effect::EmitConsent]);
        assert_eq!(s2.consent(), s.consent());
    }

    #[test]
    fn expiry_brings_the_banner_back_and_keeps_the_subject() {
        let (mut s, _, _) = start(None, NOW);
        let (fx, _) = s.decide(&Choice::RejectAll, NOW, ID.into(), SUBJ.into()).unwrap();
        let (value, _) = cookie_of(&fx);
        let exp = time::expires_at(NOW);
        let (_, fx, _) = start(Some(&value), exp - 1);
        assert_eq!(fx[0], Effect::Render(View::Closed));
        let (mut s, fx, why) = start(Some(&value), exp);
        assert_eq!(fx, [Effect::Render(View::Banner)]);
        assert_eq!(why, Some(Discarded::Invalid(Invalid::Expired)));
        assert!(!s.accepted("necessary"));
        let (_, kind) = s.decide(&Choice::AcceptAll, exp, "00000000-0000-4000-8000-00000000000c".into(), "x".into()).unwrap();
        assert_eq!(kind, DecisionKind::Renewed);
        assert_eq!(s.consent().unwrap().subject, SUBJ);
    }

    #[test]
    fn tick_notices_a_lapse_on_an_open_page() {
        let (mut s, _, _) = start(None, NOW);
        s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert!(s.tick(NOW + 1).is_empty());
        assert_eq!(s.tick(time::expires_at(NOW)), [Effect::Render(View::Banner)]);
        assert!(s.consent().is_none());
    }

    #[test]
    fn corrupt_cookie_reads_as_no_consent() {
        let (s, fx, why) = start(Some("1.garbage"), NOW);
        assert_eq!(fx, [Effect::Render(View::Banner)]);
        assert!(matches!(why, Some(Discarded::Unreadable(_))));
        assert!(s.consent().is_none());
    }

    #[test]
    fn updates_emit_change_with_what_changed() {
        let (mut s, _, _) = start(None, NOW);
        s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        let choice = Choice::Custom { categories: vec![("marketing".into(), false)], services: vec![] };
        let (fx, kind) = s.decide(&choice, NOW + 5, ID.into(), "other".into()).unwrap();
        assert_eq!(kind, DecisionKind::Updated);
        assert!(fx.contains(&Effect::EmitChange(vec!["marketing".into(), "facebook-pixel".into()])));
        assert_eq!(s.consent().unwrap().subject, SUBJ);
        let (_, kind) = s.decide(&Choice::Withdraw, NOW + 6, ID.into(), SUBJ.into()).unwrap();
        assert_eq!(kind, DecisionKind::Withdrawn);
        assert!(!s.accepted("analytics") && s.accepted("necessary"));
    }

    #[test]
    fn language_detection_order() {
        let cfg = decode(&sample()).unwrap();
        let nav = vec!["en-US".to_string(), "ru-RU".to_string()];
        let h = |saved, html| Hints { saved_language: saved, html_lang: html, navigator: &nav, cookie: None, gpc: false };
        assert_eq!(detect_language(&cfg, &h(Some("kk"), Some("ru")), None), Lang::Kk);
        assert_eq!(detect_language(&cfg, &h(None, Some("ru")), None), Lang::Ru);
        assert_eq!(detect_language(&cfg, &h(None, Some("kk-KZ")), Some(Lang::Ru)), Lang::Ru);
        assert_eq!(detect_language(&cfg, &h(Some("xx"), Some("en")), None), Lang::Ru);
        let none: Vec<String> = vec![];
        let h2 = Hints { navigator: &none, ..Hints::default() };
        assert_eq!(detect_language(&cfg, &h2, None), Lang::Kk);
    }

    #[test]
    fn gpc_keeps_sharing_off_on_accept_all_and_records_it() {
        let hints = Hints { gpc: true, ..Hints::default() };
        let (mut s, _, _) = Session::start(decode(&sample()).unwrap(), &hints, NOW);
        assert!(s.gpc());
        let (fx, _) = s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        let c = s.consent().unwrap().clone();
        assert!(c.gpc && c.method == consent::Method::AcceptAll);
        assert!(s.accepted("analytics") && !s.accepted("marketing") && !s.accepted("facebook-pixel"));
        assert_eq!(codec::decode(&cookie_of(&fx).0), Ok(c));
        // An explicit choice that turns marketing on is respected, and recorded as not honouring GPC.
        let on = Choice::Custom { categories: vec![("marketing".into(), true)], services: vec![] };
        s.decide(&on, NOW + 1, ID.into(), SUBJ.into()).unwrap();
        let c = s.consent().unwrap();
        assert!(!c.gpc && c.method == consent::Method::Custom && s.accepted("facebook-pixel"));
        // Reject all under the signal honours it; without the signal nothing is recorded.
        s.decide(&Choice::RejectAll, NOW + 2, ID.into(), SUBJ.into()).unwrap();
        assert!(s.consent().unwrap().gpc);
        let (mut s, _, _) = start(None, NOW);
        s.decide(&Choice::RejectAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert!(!s.consent().unwrap().gpc);
    }

    #[test]
    fn withdrawal_ends_with_a_clear_effect() {
        let mut v = sample();
        if let crate::value::Value::Obj(pairs) = &mut v {
            pairs.push(("reloadOnWithdrawal".into(), crate::value::Value::Bool(true)));
        }
        let (mut s, _, _) = Session::start(decode(&v).unwrap(), &Hints::default(), NOW);
        let (fx, _) = s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert!(!fx.iter().any(|e| matches!(e, Effect::Clear { .. })), "nothing withdrawn on a first decision");
        let (fx, _) = s.decide(&Choice::Withdraw, NOW + 1, ID.into(), SUBJ.into()).unwrap();
        match fx.last() {
            Some(Effect::Clear { clear, reload: true }) => assert_eq!(clear.cookies, ["_x", "_x", "_x"]),
            other => panic!("{other:?}"),
        }
        let (fx, _) = s.decide(&Choice::Withdraw, NOW + 2, ID.into(), SUBJ.into()).unwrap();
        assert!(!fx.iter().any(|e| matches!(e, Effect::Clear { .. })), "nothing left to withdraw");
    }

    #[test]
    fn a_decision_says_everything_the_shell_does_in_order() {
        let (mut s, _, _) = start(None, NOW);
        let (fx, kind) = s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        let value = cookie_of(&fx).0;
        // The receipt first (queued before anything can fail or reload), the cookie and
        // the other tabs, the view, then release before the event listeners hear of it.
        assert_eq!(
            fx,
            [
                Effect::Receipt(kind),
                Effect::WriteCookie { value: value.clone(), max_age: (time::expires_at(NOW) - NOW) / 1000 },
                Effect::Broadcast(value),
                Effect::Render(View::Closed),
                Effect::Release,
                Effect::EmitConsent,
            ]
        );
    }

    #[test]
    fn sync_takes_in_another_tabs_decision() {
        let (mut a, _, _) = start(None, NOW);
        let (mut b, _, _) = start(None, NOW);
        assert_eq!(b.view(), View::Banner);
        let (fx, _) = a.decide(&Choice::Custom { categories: vec![("analytics".into(), true)], services: vec![] }, NOW, ID.into(), SUBJ.into()).unwrap();
        let value = cookie_of(&fx).0;
        let fx = b.sync(Some(&value), NOW + 1);
        assert_eq!(fx[..3], [Effect::Render(View::Closed), Effect::Release, Effect::EmitConsent]);
        assert!(!fx.iter().any(|e| matches!(e, Effect::Broadcast(_) | Effect::Receipt(_) | Effect::WriteCookie { .. })), "a tab taking in another's decision writes, tells and records nothing");
        assert_eq!(fx[3], Effect::EmitChange(vec!["necessary".into(), "analytics".into(), "yandex-metrica".into(), "google-analytics".into()]));
        assert_eq!(b.consent(), a.consent());
        assert!(b.sync(Some(&value), NOW + 2).is_empty(), "the same consent twice is nothing new");
        assert!(b.sync(Some("garbage"), NOW + 2).is_empty());
        // A withdrawal elsewhere: what changed, and what to clear.
        let (fx, _) = a.decide(&Choice::Withdraw, NOW + 3, "00000000-0000-4000-8000-00000000000c".into(), SUBJ.into()).unwrap();
        let fx = b.sync(Some(&cookie_of(&fx).0), NOW + 4);
        assert_eq!(fx.last(), Some(&Effect::EmitChange(vec!["analytics".into(), "yandex-metrica".into(), "google-analytics".into()])));
        assert!(!b.accepted("analytics"));
        // Nothing (a reset there), or an expired value, changes nothing.
        assert!(b.sync(None, NOW + 5).is_empty());
        assert!(b.sync(Some(&value), time::expires_at(NOW)).is_empty());
        assert_eq!(b.consent(), a.consent());
    }

    #[test]
    fn reset_and_language() {
        let (mut s, _, _) = start(None, NOW);
        s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert_eq!(s.set_language(Lang::Ru), Some(vec![Effect::SaveLanguage(Lang::Ru), Effect::Render(View::Closed)]));
        assert_eq!(s.reset(), [Effect::DeleteCookie, Effect::Broadcast(String::new()), Effect::Render(View::Banner)]);
        assert!(s.consent().is_none());
        assert_eq!(s.close_preferences(), [Effect::Render(View::Banner)]);
    }
}
