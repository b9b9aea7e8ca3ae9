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
    /// Show this view (re-rendered in the current language).
    Render(View),
    /// Remember the visitor's language choice.
    SaveLanguage(Lang),
    /// Dispatch `kelisim:consent` with the current consent.
    EmitConsent,
    /// Dispatch `kelisim:change` listing the ids whose state changed.
    EmitChange(Vec<String>),
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

impl Session {
    /// Starts a session; returns it, the effects to carry out, and why a stored
    /// consent was discarded, if one was.
    pub fn start(config: Config, hints: &Hints, now: i64) -> (Session, Vec<Effect>, Option<Discarded>) {
        let mut discarded = None;
        let stored = match hints.cookie.map(codec::decode) {
            None => None,
            Some(Ok(c)) => Some(c),
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
            effects.push(Effect::EmitConsent);
        }
        (Session { config, stored, valid, lang, view }, effects, discarded)
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
        let (categories, services, method) = consent::resolve(&self.config, choice, base)?;
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
        };
        let changed = base.map(|b| next.changed_from(b)).unwrap_or_default();
        let max_age = (next.expires_at() - now) / 1000;
        let mut effects = vec![Effect::WriteCookie { value: codec::encode(&next), max_age }];
        self.stored = Some(next);
        self.valid = true;
        effects.extend(self.show(View::Closed));
        effects.push(Effect::EmitConsent);
        if !changed.is_empty() {
            effects.push(Effect::EmitChange(changed));
        }
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
        let mut effects = vec![Effect::DeleteCookie];
        effects.extend(self.show(View::Banner));
        effects
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::config::{decode, tests::sample};
    use crate::core::time;

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
        assert_eq!(fx, [Effect::Render(View::Closed), Effect::EmitConsent]);
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
        let h = |saved, html| Hints { saved_language: saved, html_lang: html, navigator: &nav, cookie: None };
        assert_eq!(detect_language(&cfg, &h(Some("kk"), Some("ru")), None), Lang::Kk);
        assert_eq!(detect_language(&cfg, &h(None, Some("ru")), None), Lang::Ru);
        assert_eq!(detect_language(&cfg, &h(None, Some("kk-KZ")), Some(Lang::Ru)), Lang::Ru);
        assert_eq!(detect_language(&cfg, &h(Some("xx"), Some("en")), None), Lang::Ru);
        let none: Vec<String> = vec![];
        let h2 = Hints { navigator: &none, ..Hints::default() };
        assert_eq!(detect_language(&cfg, &h2, None), Lang::Kk);
    }

    #[test]
    fn reset_and_language() {
        let (mut s, _, _) = start(None, NOW);
        s.decide(&Choice::AcceptAll, NOW, ID.into(), SUBJ.into()).unwrap();
        assert_eq!(s.set_language(Lang::Ru), Some(vec![Effect::SaveLanguage(Lang::Ru), Effect::Render(View::Closed)]));
        assert_eq!(s.reset(), [Effect::DeleteCookie, Effect::Render(View::Banner)]);
        assert!(s.consent().is_none());
        assert_eq!(s.close_preferences(), [Effect::Render(View::Banner)]);
    }
}
