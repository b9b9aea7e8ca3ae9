//! A visitor's consent and the rules that decide whether it still holds.

use alloc::string::String;
use alloc::vec::Vec;
use super::config::{Config, Lang};
use super::time;

/// How a decision was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// "Accept all" (button or `acceptAll()`).
    AcceptAll,
    /// "Reject all" (button or `rejectAll()`).
    RejectAll,
    /// A choice per category or service (preferences panel or `setConsent()`).
    Custom,
    /// Consent withdrawn (`withdraw()`): every optional category refused.
    Withdraw,
}

impl Method {
    /// The string used in the cookie, the API and events.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::AcceptAll => "accept-all",
            Method::RejectAll => "reject-all",
            Method::Custom => "custom",
            Method::Withdraw => "withdraw",
        }
    }

    /// Parses [`Method::as_str`]'s output.
    pub fn parse(s: &str) -> Option<Method> {
        [Method::AcceptAll, Method::RejectAll, Method::Custom, Method::Withdraw]
            .into_iter()
            .find(|m| m.as_str() == s)
    }
}

/// One stored decision.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    /// UUID v4 of this decision.
    pub id: String,
    /// Pseudonymous subject id (UUID v4), kept when the consent is renewed.
    pub subject: String,
    /// When it was given, ms since the epoch.
    pub given_at: i64,
    /// Policy revision it was given for.
    pub revision: u32,
    /// Language the visitor read.
    pub language: Lang,
    /// Category states, in config order.
    pub categories: Vec<(String, bool)>,
    /// Service states, in config order.
    pub services: Vec<(String, bool)>,
    /// How it was given.
    pub method: Method,
    /// A Global Privacy Control signal was on when it was given and was
    /// honoured: every selling or sharing category and service is refused.
    pub gpc: bool,
}

impl Consent {
    /// When it lapses: 13 calendar months after `given_at`.
    pub fn expires_at(&self) -> i64 {
        time::expires_at(self.given_at)
    }

    /// The stored state of a category or service.
    pub fn state(&self, id: &str) -> Option<bool> {
        self.categories
            .iter()
            .chain(self.services.iter())
            .find(|(k, _)| k == id)
            .map(|(_, v)| *v)
    }

    /// Ids whose state differs between `self` and `other` (either side's ids).
    pub fn changed_from(&self, other: &Consent) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        let pairs = self.categories.iter().chain(self.services.iter());
        for (id, v) in pairs {
            if other.state(id) != Some(*v) {
                out.push(id.clone());
            }
        }
        for (id, _) in other.categories.iter().chain(other.services.iter()) {
            if self.state(id).is_none() {
                out.push(id.clone());
            }
        }
        out
    }
}

/// Why a stored consent no longer holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Invalid {
    /// `now` is at or after `expires_at`.
    Expired,
    /// The policy revision changed since.
    RevisionChanged,
    /// The config has a category or service the visitor never answered.
    Unanswered(String),
    /// `givenAt` lies more than [`CLOCK_SKEW_MS`] after the clock: not
    /// written by this visitor's browser.
    FromTheFuture,
    /// `givenAt` lies before [`FORMAT_EPOCH_MS`], before any kelisim build
    /// wrote the cookie.
    TooOld,
}

impl Invalid {
    /// Why, for a console note.
    pub fn text(&self) -> String {
        match self {
            Invalid::Expired => "it expired".into(),
            Invalid::RevisionChanged => "the policy revision changed".into(),
            Invalid::FromTheFuture => "it is dated in the future (more than 5 minutes ahead of this clock)".into(),
            Invalid::TooOld => "it is dated before the cookie format existed".into(),
            Invalid::Unanswered(id) => {
                let mut s = String::from("\"");
                s.push_str(id);
                s.push_str("\" was never answered");
                s
            }
        }
    }
}

impl core::fmt::Display for Invalid {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text())
    }
}

/// How far a consent's `givenAt` may lie ahead of the reading clock and still
/// count: 5 minutes, for a visitor whose clock was set back a little (or
/// another tab's, on a device whose clock was corrected) after deciding.
pub const CLOCK_SKEW_MS: i64 = 5 * 60 * 1000;

/// The earliest `givenAt` read: 2025-01-01T00:00:00Z. No kelisim build wrote
/// the cookie before it.
pub const FORMAT_EPOCH_MS: i64 = 1_735_689_600_000;

/// Reads a decoded cookie against the config, so that nothing the visitor did
/// not write decides (the checksum only detects accidents; anyone who can set
/// a cookie can compute it):
///
/// - ids the config does not know are dropped;
/// - a required category, and each of its services, reads as accepted;
/// - a service reads as refused while its category is refused;
/// - a `givenAt` more than [`CLOCK_SKEW_MS`] ahead of `now`, or before
///   [`FORMAT_EPOCH_MS`], makes the whole consent unreadable.
///
/// Lists come out in config order. Ids the config has but the cookie lacks
/// stay absent (then [`check`] says [`Invalid::Unanswered`]).
pub fn admit(mut c: Consent, config: &Config, now: i64) -> Result<Consent, Invalid> {
    if c.given_at > now.saturating_add(CLOCK_SKEW_MS) {
        return Err(Invalid::FromTheFuture);
    }
    if c.given_at < FORMAT_EPOCH_MS {
        return Err(Invalid::TooOld);
    }
    let mut cats = Vec::with_capacity(config.categories.len());
    let mut svcs = Vec::new();
    for cat in &config.categories {
        let on = c.categories.iter().find(|(k, _)| *k == cat.id).map(|(_, v)| *v || cat.required);
        if let Some(on) = on {
            cats.push((cat.id.clone(), on));
        }
        for s in &cat.services {
            if let Some((_, v)) = c.services.iter().find(|(k, _)| *k == s.id) {
                let state = cat.required || (*v && on == Some(true));
                svcs.push((s.id.clone(), state));
            }
        }
    }
    c.categories = cats;
    c.services = svcs;
    Ok(c)
}

/// Checks a stored consent against the config and the clock.
pub fn check(consent: &Consent, config: &Config, now: i64) -> Result<(), Invalid> {
    if now >= consent.expires_at() {
        return Err(Invalid::Expired);
    }
    if consent.revision != config.policy.revision {
        return Err(Invalid::RevisionChanged);
    }
    for c in &config.categories {
        if consent.state(&c.id).is_none() {
            return Err(Invalid::Unanswered(c.id.clone()));
        }
        for s in &c.services {
            if consent.state(&s.id).is_none() {
                return Err(Invalid::Unanswered(s.id.clone()));
            }
        }
    }
    Ok(())
}

/// What the visitor (or the site's code) chose.
#[derive(Debug, Clone, PartialEq)]
pub enum Choice {
    /// Everything on.
    AcceptAll,
    /// Only required categories on.
    RejectAll,
    /// Only required categories on, recorded as a withdrawal.
    Withdraw,
    /// Explicit states; anything not named keeps its previous state (or off).
    Custom {
        /// Category states.
        categories: Vec<(String, bool)>,
        /// Service states.
        services: Vec<(String, bool)>,
    },
}

/// A [`Choice`] that names an id the config does not have.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownId(pub String);

/// Turns a choice into full category and service states.
///
/// Rules: required categories and their services are always on. A service is on
/// only if its category is on. A category named in a custom choice sets its
/// services unless they are named too; naming a service `true` turns its
/// category on. Anything not named keeps its state in `previous`, or is off.
pub fn resolve(
    config: &Config,
    choice: &Choice,
    previous: Option<&Consent>,
) -> Result<(Vec<(String, bool)>, Vec<(String, bool)>, Method), UnknownId> {
    let (cats_in, svcs_in, method, all): (&[(String, bool)], &[(String, bool)], _, Option<bool>) =
        match choice {
            Choice::AcceptAll => (&[], &[], Method::AcceptAll, Some(true)),
            Choice::RejectAll => (&[], &[], Method::RejectAll, Some(false)),
            Choice::Withdraw => (&[], &[], Method::Withdraw, Some(false)),
            Choice::Custom {
                categories,
                services,
            } => (categories, services, Method::Custom, None),
        };
    let lookup = |list: &[(String, bool)], id: &str| list.iter().rev().find(|(k, _)| k == id).map(|(_, v)| *v);
    for (id, _) in cats_in {
        if !config.categories.iter().any(|c| &c.id == id) {
            return Err(UnknownId(id.clone()));
        }
    }
    for (id, _) in svcs_in {
        if !config.services().any(|(_, s)| &s.id == id) {
            return Err(UnknownId(id.clone()));
        }
    }
    let before = |id: &str| previous.and_then(|p| p.state(id));
    let mut cats = Vec::with_capacity(config.categories.len());
    let mut svcs = Vec::new();
    for c in &config.categories {
        let named = lookup(cats_in, &c.id);
        let on = c.required
            || all
                .or(named)
                .or_else(|| c.services.iter().any(|s| lookup(svcs_in, &s.id) == Some(true)).then_some(true))
                .or_else(|| before(&c.id))
                .unwrap_or(false);
        cats.push((c.id.clone(), on));
        for s in &c.services {
            let state = on
                && (c.required
                    || all
                        .or(lookup(svcs_in, &s.id))
                        .or(named)
                        .or_else(|| before(&s.id))
                        .unwrap_or(false));
            svcs.push((s.id.clone(), state));
        }
    }
    Ok((cats, svcs, method))
}

/// A switch in the preferences panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Switch<'a> {
    /// A category's switch.
    Category(&'a str),
    /// A service's switch.
    Service(&'a str),
}

/// The other switches that follow when the visitor sets `changed` to `on`,
/// so the panel never shows what [`resolve`] would not store: a category
/// sets each of its services to its own state; turning a service on turns
/// its category on (turning one off leaves the category as it is). Unknown
/// ids link nothing.
pub fn linked<'c>(config: &'c Config, changed: Switch, on: bool) -> Vec<(Switch<'c>, bool)> {
    match changed {
        Switch::Category(id) => config
            .categories
            .iter()
            .filter(|c| c.id == id)
            .flat_map(|c| c.services.iter().map(move |s| (Switch::Service(s.id.as_str()), on)))
            .collect(),
        Switch::Service(id) if on => config
            .services()
            .filter(|(_, s)| s.id == id)
            .map(|(c, _)| (Switch::Category(c.id.as_str()), true))
            .collect(),
        Switch::Service(_) => Vec::new(),
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::config::{decode, tests::sample};

    /// The core tests' sample config, decoded.
    pub(crate) fn config() -> Config {
        decode(&sample()).unwrap()
    }

    /// A consent made of `choice` at a fixed time, in Kazakh.
    pub(crate) fn consent(cfg: &Config, choice: Choice) -> Consent {
        let (categories, services, method) = resolve(cfg, &choice, None).unwrap();
        Consent {
            id: "00000000-0000-4000-8000-000000000000".into(),
            subject: "00000000-0000-4000-8000-000000000001".into(),
            given_at: 1_735_689_600_000, // 2025-01-01
            revision: cfg.policy.revision,
            language: Lang::Kk,
            categories,
            services,
            method,
            gpc: false,
        }
    }

    fn on(list: &[(String, bool)]) -> Vec<&str> {
        list.iter().filter(|(_, v)| *v).map(|(k, _)| k.as_str()).collect()
    }

    #[test]
    fn accept_and_reject_all() {
        let cfg = config();
        let a = consent(&cfg, Choice::AcceptAll);
        assert_eq!(on(&a.categories), ["necessary", "analytics", "marketing"]);
        assert_eq!(on(&a.services), ["yandex-metrica", "google-analytics", "facebook-pixel"]);
        let r = consent(&cfg, Choice::RejectAll);
        assert_eq!(on(&r.categories), ["necessary"]);
        assert!(on(&r.services).is_empty());
        assert_eq!(r.method, Method::RejectAll);
    }

    #[test]
    fn custom_rules() {
        let cfg = config();
        let s = |id: &str, v: bool| (id.to_string(), v);
        // Required cannot be refused; a named category sets its services.
        let (c, sv, m) = resolve(
            &cfg,
            &Choice::Custom { categories: vec![s("necessary", false), s("analytics", true)], services: vec![] },
            None,
        )
        .unwrap();
        assert_eq!(on(&c), ["necessary", "analytics"]);
        assert_eq!(on(&sv), ["yandex-metrica", "google-analytics"]);
        assert_eq!(m, Method::Custom);
        // A service named true turns its category on, siblings stay off.
        let (c, sv, _) = resolve(
            &cfg,
            &Choice::Custom { categories: vec![], services: vec![s("yandex-metrica", true)] },
            None,
        )
        .unwrap();
        assert_eq!(on(&c), ["necessary", "analytics"]);
        assert_eq!(on(&sv), ["yandex-metrica"]);
        // A service is never on when its category is off.
        let (_, sv, _) = resolve(
            &cfg,
            &Choice::Custom { categories: vec![s("marketing", false)], services: vec![s("facebook-pixel", true)] },
            None,
        )
        .unwrap();
        assert!(on(&sv).is_empty());
        // Unnamed ids keep their previous state.
        let prev = consent(&cfg, Choice::AcceptAll);
        let (c, sv, _) = resolve(
            &cfg,
            &Choice::Custom { categories: vec![], services: vec![s("google-analytics", false)] },
            Some(&prev),
        )
        .unwrap();
        assert_eq!(on(&c), ["necessary", "analytics", "marketing"]);
        assert_eq!(on(&sv), ["yandex-metrica", "facebook-pixel"]);
        assert_eq!(
            resolve(&cfg, &Choice::Custom { categories: vec![s("nope", true)], services: vec![] }, None),
            Err(UnknownId("nope".into()))
        );
    }

    #[test]
    fn validity_rules() {
        let mut cfg = config();
        let c = consent(&cfg, Choice::RejectAll);
        let exp = c.expires_at();
        assert_eq!(time::to_iso(exp), "2026-02-01T00:00:00.000Z");
        assert_eq!(check(&c, &cfg, exp - 1), Ok(()));
        assert_eq!(check(&c, &cfg, exp), Err(Invalid::Expired));
        cfg.policy.revision += 1;
        assert_eq!(check(&c, &cfg, c.given_at), Err(Invalid::RevisionChanged));
        cfg.policy.revision -= 1;
        let mut extra = cfg.categories[1].clone();
        extra.id = "personalisation".into();
        extra.services.clear();
        cfg.categories.push(extra);
        assert_eq!(check(&c, &cfg, c.given_at), Err(Invalid::Unanswered("personalisation".into())));
        cfg.categories.pop();
        let mut svc = cfg.categories[2].services[0].clone();
        svc.id = "vk-pixel".into();
        cfg.categories[2].services.push(svc);
        assert_eq!(check(&c, &cfg, c.given_at), Err(Invalid::Unanswered("vk-pixel".into())));
    }

    #[test]
    fn admit_drops_forged_ids_and_impossible_states() {
        let cfg = config();
        let mut c = consent(&cfg, Choice::RejectAll);
        let now = c.given_at + 1000;
        c.categories.push(("evil".into(), true));
        c.categories[0].1 = false; // necessary:0
        c.services.push(("evil-pixel".into(), true));
        c.services[0].1 = true; // yandex-metrica on while analytics is off
        let a = admit(c.clone(), &cfg, now).unwrap();
        assert_eq!(a.state("evil"), None);
        assert_eq!(a.state("evil-pixel"), None);
        assert_eq!(a.state("necessary"), Some(true));
        assert_eq!(a.state("yandex-metrica"), Some(false));
        assert_eq!(a.categories.len(), 3);
        assert_eq!(check(&a, &cfg, now), Ok(()));
        // Dates: 5 minutes of skew are allowed, not more; nothing before the format.
        let dated = |given_at| Consent { given_at, ..c.clone() };
        assert!(admit(dated(now + CLOCK_SKEW_MS), &cfg, now).is_ok());
        assert_eq!(admit(dated(now + CLOCK_SKEW_MS + 1), &cfg, now), Err(Invalid::FromTheFuture));
        assert_eq!(admit(dated(now + 10 * 365 * 86_400_000), &cfg, now), Err(Invalid::FromTheFuture));
        assert_eq!(admit(dated(FORMAT_EPOCH_MS - 1), &cfg, now), Err(Invalid::TooOld));
        assert!(admit(dated(FORMAT_EPOCH_MS), &cfg, now).is_ok());
        assert_eq!(Invalid::FromTheFuture.text(), "it is dated in the future (more than 5 minutes ahead of this clock)");
    }

    fn arb_state_list(ids: &'static [&'static str]) -> impl proptest::strategy::Strategy<Value = Vec<(String, bool)>> {
        use proptest::prelude::*;
        proptest::collection::vec((proptest::sample::select(ids), any::<bool>()), 0..8).prop_map(|v| {
            let mut out: Vec<(String, bool)> = Vec::new();
            for (k, on) in v {
                if !out.iter().any(|(x, _)| x == k) {
                    out.push((k.to_string(), on));
                }
            }
            out
        })
    }

    proptest::proptest! {
        /// `admit` against a naive oracle, on lists mixing the config's ids
        /// with forged ones in any order and state.
        #[test]
        fn admit_matches_a_naive_oracle(
            cats in arb_state_list(&["necessary", "analytics", "marketing", "evil", "x-1"]),
            svcs in arb_state_list(&["yandex-metrica", "google-analytics", "facebook-pixel", "evil", "necessary", "vk"]),
            offset in -1_000_000i64..1_000_000,
        ) {
            let cfg = config();
            let mut c = consent(&cfg, Choice::RejectAll);
            let now = c.given_at + 400_000;
            c.given_at = now + offset;
            c.categories = cats.clone();
            c.services = svcs.clone();
            let got = admit(c.clone(), &cfg, now);
            if offset > CLOCK_SKEW_MS {
                proptest::prop_assert_eq!(got, Err(Invalid::FromTheFuture));
                return Ok(());
            }
            if now + offset < FORMAT_EPOCH_MS {
                proptest::prop_assert_eq!(got, Err(Invalid::TooOld));
                return Ok(());
            }
            let got = got.unwrap();
            // Oracle: look everything up by id in the config.
            let cat_of = |svc: &str| cfg.categories.iter().find(|k| k.services.iter().any(|s| s.id == svc));
            for (id, on) in &got.categories {
                let k = cfg.categories.iter().find(|k| &k.id == id);
                proptest::prop_assert!(k.is_some(), "unknown category {} kept", id);
                let raw = cats.iter().find(|(x, _)| x == id).unwrap().1;
                proptest::prop_assert_eq!(*on, raw || k.unwrap().required);
            }
            for (id, on) in &got.services {
                let k = cat_of(id);
                proptest::prop_assert!(k.is_some(), "unknown service {} kept", id);
                let k = k.unwrap();
                let raw = svcs.iter().find(|(x, _)| x == id).unwrap().1;
                let cat_on = got.state(&k.id) == Some(true);
                proptest::prop_assert_eq!(*on, k.required || (raw && cat_on));
            }
            // Nothing known was lost.
            for (id, _) in cats.iter().chain(svcs.iter()) {
                let known = cfg.categories.iter().any(|k| &k.id == id && cats.iter().any(|(x, _)| x == id))
                    || cat_of(id).is_some() && svcs.iter().any(|(x, _)| x == id);
                proptest::prop_assert_eq!(got.state(id).is_some(), known, "{}", id);
            }
        }
    }

    #[test]
    fn switches_link_categories_and_services() {
        let cfg = config();
        use Switch::{Category as C, Service as S};
        assert_eq!(linked(&cfg, C("analytics"), false), [(S("yandex-metrica"), false), (S("google-analytics"), false)]);
        assert_eq!(linked(&cfg, C("analytics"), true), [(S("yandex-metrica"), true), (S("google-analytics"), true)]);
        assert_eq!(linked(&cfg, S("facebook-pixel"), true), [(C("marketing"), true)]);
        assert!(linked(&cfg, S("facebook-pixel"), false).is_empty(), "turning a service off leaves its category");
        assert!(linked(&cfg, C("necessary"), true).is_empty(), "no services");
        assert!(linked(&cfg, C("nope"), true).is_empty() && linked(&cfg, S("nope"), true).is_empty());
    }

    proptest::proptest! {
        /// Clicking switches in any order, with [`linked`] applied after each
        /// click, leaves the panel in a state [`resolve`] stores unchanged:
        /// no service on under a category that is off (the invariant the
        /// cookie reading rule also enforces).
        #[test]
        fn linked_switches_keep_the_panel_storable(clicks in proptest::collection::vec((0usize..6, proptest::bool::ANY), 0..20)) {
            let cfg = config();
            let ids = ["necessary", "analytics", "marketing", "yandex-metrica", "google-analytics", "facebook-pixel"];
            let mut panel: Vec<(String, bool)> = ids.iter().map(|i| (i.to_string(), false)).collect();
            let mut set = |panel: &mut Vec<(String, bool)>, id: &str, on: bool| {
                panel.iter_mut().find(|(k, _)| k == id).unwrap().1 = on;
            };
            for (i, on) in clicks {
                let id = ids[i];
                let sw = if i < 3 { Switch::Category(id) } else { Switch::Service(id) };
                set(&mut panel, id, on);
                for (other, v) in linked(&cfg, sw, on) {
                    let (Switch::Category(o) | Switch::Service(o)) = other;
                    set(&mut panel, o, v);
                }
            }
            let (cats, svcs): (Vec<_>, Vec<_>) = panel.iter().cloned().partition(|(k, _)| cfg.categories.iter().any(|c| &c.id == k));
            let (rc, rs, _) = resolve(&cfg, &Choice::Custom { categories: cats.clone(), services: svcs.clone() }, None).unwrap();
            // Required categories are forced on; apart from that, nothing changes.
            let forced = |list: &[(String, bool)]| -> Vec<(String, bool)> {
                list.iter().map(|(k, v)| (k.clone(), *v || k == "necessary")).collect()
            };
            proptest::prop_assert_eq!(rc, forced(&cats));
            proptest::prop_assert_eq!(rs, svcs);
        }
    }

    #[test]
    fn invalid_texts() {
        assert_eq!(Invalid::Unanswered("vk".into()).to_string(), "\"vk\" was never answered");
        assert_eq!(Invalid::Expired.text(), "it expired");
    }

    #[test]
    fn changed_lists_differences() {
        let cfg = config();
        let a = consent(&cfg, Choice::AcceptAll);
        let r = consent(&cfg, Choice::RejectAll);
        assert_eq!(
            r.changed_from(&a),
            ["analytics", "marketing", "yandex-metrica", "google-analytics", "facebook-pixel"]
        );
        assert!(a.changed_from(&a).is_empty());
    }
}
