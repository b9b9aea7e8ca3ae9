//! Several consent cookies of the same name.
//!
//! A page can be sent more than one cookie named like the consent cookie: one
//! at another `Path` (an earlier `cookie.path`, or a page that wrote its own),
//! or one with a `Domain` set from a sibling subdomain ("cookie tossing").
//! `document.cookie` lists them all, longest path first, without saying where
//! each lives, so taking the first one lets a stale or planted cookie beat
//! the visitor's own, later decision.
//!
//! The rule: every value is read ([`values`]); with more than one,
//! [`several`] picks the visitor's latest decision (the highest `givenAt`
//! among the readable ones), and asks the shell to delete the cookie of that
//! name under every path and domain it can reach except the configured one,
//! then to write the winner back under the configured path and domain. Then
//! the shell reads again: only when exactly the winner is left does it count
//! ([`settled`]); a copy that could not be removed leaves the state unknown,
//! and the visitor is asked again rather than a stale value honoured.

use alloc::string::String;
use alloc::vec::Vec;
use super::codec;
use super::config::Config;
use super::consent;
use super::gate::{cookie_domains, cookie_paths};
use super::time;
use super::value::{cat, char_is};

/// Every value `document_cookie` (the page's `document.cookie`) holds for
/// `name`, in the order the browser lists them.
pub fn values<'a>(document_cookie: &'a str, name: &str) -> Vec<&'a str> {
    document_cookie
        .split(char_is(';'))
        .filter_map(|pair| {
            let (k, v) = pair.trim().split_once(char_is('='))?;
            (k == name).then_some(v)
        })
        .collect()
}

/// What the shell does when the browser sent several values.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cleanup {
    /// `document.cookie` assignments, in order: each deletes the cookie under
    /// a path and domain other than the configured ones.
    pub delete: Vec<String>,
    /// The visitor's latest readable decision, to write back under the
    /// configured path and domain with this `Max-Age` (seconds); none when no
    /// value is a readable, current decision (then the configured copy is
    /// deleted too).
    pub write: Option<(String, i64)>,
}

/// Whether two `Domain` values (none: a host-only cookie) name the same
/// cookie domain; a leading dot does not matter to browsers.
fn same_domain(a: Option<&str>, b: Option<&str>) -> bool {
    match (a, b) {
        (None, None) => true,
        (Some(a), Some(b)) => a.trim_start_matches('.').eq_ignore_ascii_case(b.trim_start_matches('.')),
        _ => false,
    }
}

/// What to do with `values`, the values of the consent cookie the browser
/// sent to a page at `page_path` on `host`. `None` when there are fewer than
/// two: read the one there is as it is.
///
/// With several: among the readable ones (they decode, pass
/// [`consent::admit`] and have not expired) the one with the highest
/// `givenAt` wins; a tie between different values is no winner (the state
/// is unknown). The deletions cover the cookie name under every
/// [`cookie_paths`] value (with the configured `cookiePaths` and
/// `cookie.path`), host-only and under every [`cookie_domains`] value (and
/// the configured `cookie.domain`), except the configured path and domain
/// when there is a winner to write there.
pub fn several(config: &Config, values: &[&str], now: i64, host: &str, page_path: &str) -> Option<Cleanup> {
    if values.len() < 2 {
        return None;
    }
    let mut best: Option<(i64, &str)> = None;
    let mut tie = false;
    for v in values {
        let Some(c) = codec::decode(v).ok().and_then(|c| consent::admit(c, config, now).ok()) else { continue };
        let at = c.given_at;
        if now >= c.expires_at() {
            continue;
        }
        match best {
            Some((b, bv)) if at == b => tie |= bv != *v,
            Some((b, _)) if at < b => {}
            _ => {
                best = Some((at, v));
                tie = false;
            }
        }
    }
    let winner = best.filter(|_| !tie);
    let opts = &config.cookie;
    let mut paths = cookie_paths(page_path, &config.clear_paths);
    if !paths.contains(&opts.path.as_str()) {
        paths.push(&opts.path);
    }
    let mut domains: Vec<Option<&str>> = Vec::new();
    domains.push(None);
    for d in cookie_domains(host).into_iter().map(Some).chain(core::iter::once(opts.domain.as_deref())) {
        if !domains.iter().any(|x| same_domain(*x, d)) {
            domains.push(d);
        }
    }
    let mut delete = Vec::new();
    for path in paths.into_iter().filter(|p| !p.bytes().any(|b| b == b';')) {
        for d in &domains {
            if winner.is_some() && path == opts.path && same_domain(*d, opts.domain.as_deref()) {
                continue;
            }
            delete.push(match d {
                Some(d) => cat(&[&opts.name, "=; Max-Age=0; Path=", path, "; Domain=", d]),
                None => cat(&[&opts.name, "=; Max-Age=0; Path=", path]),
            });
        }
    }
    let write = winner.map(|(at, v)| (String::from(v), (time::expires_at(at) - now) / 1000));
    Some(Cleanup { delete, write })
}

/// Why the consent cookie was not read after a [`Cleanup`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shadowed {
    /// Copies at paths or domains this page cannot reach remain: the state is
    /// unknown, so the visitor is asked again.
    Stuck,
    /// No copy was a readable, current decision of the visitor.
    NoneReadable,
}

impl Shadowed {
    /// Why, for a console note.
    pub fn text(self) -> &'static str {
        match self {
            Shadowed::Stuck => "several consent cookies; one that could not be removed remains, so the choice is unknown: asking again",
            Shadowed::NoneReadable => "several consent cookies, none a current decision: removed, asking again",
        }
    }
}

/// The value the session reads after a [`Cleanup`]: `after` is what the
/// browser sends now, `winner` what [`Cleanup::write`] wrote. It counts only
/// when it is all that is left.
pub fn settled<'a>(after: &[&'a str], winner: Option<&str>) -> Result<&'a str, Shadowed> {
    match (after, winner) {
        ([only], Some(w)) if *only == w => Ok(only),
        (_, None) => Err(Shadowed::NoneReadable),
        _ => Err(Shadowed::Stuck),
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::consent::tests::{config, consent};
    use crate::consent::{Choice, Consent};
    use proptest::prelude::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01

    fn at(c: &Consent, given_at: i64) -> String {
        codec::encode(&Consent { given_at, ..c.clone() })
    }

    #[test]
    fn values_lists_every_cookie_of_the_name() {
        let jar = "a=1; kelisim=x; kelisim2=no; kelisim=y;kelisim=z ; b=kelisim=q";
        assert_eq!(values(jar, "kelisim"), ["x", "y", "z"]);
        assert!(values("", "kelisim").is_empty());
        assert_eq!(values("kelisim=", "kelisim"), [""]);
    }

    #[test]
    fn one_value_is_read_as_it_is() {
        let cfg = config();
        assert_eq!(several(&cfg, &[], NOW, "kelisim.test", "/"), None);
        assert_eq!(several(&cfg, &["x"], NOW, "kelisim.test", "/"), None);
    }

    #[test]
    fn the_latest_decision_wins_and_the_others_are_deleted() {
        let cfg = config();
        let accept = at(&consent(&cfg, Choice::AcceptAll), NOW - 10_000);
        let reject = at(&consent(&cfg, Choice::RejectAll), NOW - 5_000);
        // The browser lists the longer path (/ru/, the planted accept-all) first.
        let c = several(&cfg, &[&accept, &reject], NOW, "www.kelisim.test", "/ru/").unwrap();
        let (value, max_age) = c.write.clone().unwrap();
        assert_eq!(value, reject);
        assert_eq!(max_age, (time_expires(NOW - 5_000) - NOW) / 1000);
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/ru/".to_string()), "{:?}", c.delete);
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/ru; Domain=kelisim.test".to_string()));
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/; Domain=www.kelisim.test".to_string()));
        assert!(!c.delete.contains(&"kelisim=; Max-Age=0; Path=/".to_string()), "the configured copy is overwritten, not deleted");
        // 3 paths (/, /ru, /ru/) x 3 domains (host-only, www.kelisim.test, kelisim.test) - the configured one.
        assert_eq!(c.delete.len(), 3 * 3 - 1);
        assert_eq!(settled(&[&reject], Some(&reject)), Ok(reject.as_str()));
        assert_eq!(settled(&[&accept, &reject], Some(&reject)), Err(Shadowed::Stuck));
        assert_eq!(settled(&[&accept], Some(&reject)), Err(Shadowed::Stuck));
    }

    #[test]
    fn unreadable_forged_and_tied_values_never_win() {
        let cfg = config();
        let reject = at(&consent(&cfg, Choice::RejectAll), NOW - 5_000);
        let future = at(&consent(&cfg, Choice::AcceptAll), NOW + 10 * 365 * 86_400_000);
        let c = several(&cfg, &[&future, "garbage", &reject], NOW, "kelisim.test", "/").unwrap();
        assert_eq!(c.write.unwrap().0, reject);
        // Two different decisions at the same instant: unknown, everything goes.
        let mut other = consent(&cfg, Choice::AcceptAll);
        other.given_at = NOW - 5_000;
        let other = codec::encode(&other);
        let c = several(&cfg, &[&other, &reject], NOW, "kelisim.test", "/").unwrap();
        assert_eq!(c.write, None);
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/".to_string()));
        assert_eq!(settled(&[], None), Err(Shadowed::NoneReadable));
        // The same value twice (host-only and Domain=): kept once.
        let c = several(&cfg, &[&reject, &reject], NOW, "kelisim.test", "/").unwrap();
        assert_eq!(c.write.unwrap().0, reject);
        // An IP host: host-only lines only.
        let c = several(&cfg, &[&reject, &other], NOW, "127.0.0.1", "/ru/").unwrap();
        assert!(c.delete.iter().all(|l| !l.contains("Domain")), "{:?}", c.delete);
    }

    #[test]
    fn a_configured_domain_and_path_are_kept() {
        let mut cfg = config();
        cfg.cookie.domain = Some(".kelisim.test".into());
        cfg.cookie.path = "/app".into();
        let a = at(&consent(&cfg, Choice::AcceptAll), NOW - 10_000);
        let r = at(&consent(&cfg, Choice::RejectAll), NOW - 5_000);
        let c = several(&cfg, &[&a, &r], NOW, "www.kelisim.test", "/app/x").unwrap();
        assert!(!c.delete.iter().any(|l| l.ends_with("Path=/app; Domain=kelisim.test")), "{:?}", c.delete);
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/app".to_string()));
        assert!(c.delete.contains(&"kelisim=; Max-Age=0; Path=/; Domain=kelisim.test".to_string()));
    }

    fn time_expires(given_at: i64) -> i64 {
        crate::time::expires_at(given_at)
    }

    fn arb_choice() -> impl Strategy<Value = Choice> {
        prop_oneof![Just(Choice::AcceptAll), Just(Choice::RejectAll), Just(Choice::Withdraw)]
    }

    proptest! {
        /// Against a naive oracle: the winner is the readable value with the
        /// greatest givenAt when exactly one value holds it; the configured
        /// copy is deleted exactly when there is no winner; every line
        /// deletes (Max-Age=0) the configured name.
        #[test]
        fn several_matches_a_naive_oracle(
            entries in proptest::collection::vec((arb_choice(), -400i64..400, 0u8..4), 2..6),
            page in "(/[a-z]{1,3}){0,3}/?",
        ) {
            let cfg = config();
            let values: Vec<String> = entries.iter().map(|(choice, days, kind)| {
                let base = consent(&cfg, choice.clone());
                let given = NOW + days * 86_400_000 / 10;
                match kind {
                    0 => "broken".to_string(),
                    // Dated ten years ahead, or before the format existed.
                    1 => at(&base, NOW + 3_650 * 86_400_000),
                    2 => at(&base, consent::FORMAT_EPOCH_MS - 1),
                    _ => at(&base, given),
                }
            }).collect();
            let refs: Vec<&str> = values.iter().map(String::as_str).collect();
            let c = several(&cfg, &refs, NOW, "a.kelisim.test", &page).unwrap();
            // Oracle.
            let good: Vec<(i64, &str)> = refs.iter().filter_map(|v| {
                let c = codec::decode(v).ok()?;
                let ok = c.given_at <= NOW + consent::CLOCK_SKEW_MS && c.given_at >= consent::FORMAT_EPOCH_MS && NOW < c.expires_at();
                ok.then_some((c.given_at, *v))
            }).collect();
            let max = good.iter().map(|(t, _)| *t).max();
            let mut top: Vec<&str> = good.iter().filter(|(t, _)| Some(*t) == max).map(|(_, v)| *v).collect();
            top.sort();
            top.dedup();
            let want = if top.len() == 1 { Some(top[0].to_string()) } else { None };
            prop_assert_eq!(c.write.as_ref().map(|(v, _)| v.clone()), want.clone());
            let configured = c.delete.iter().any(|l| l == "kelisim=; Max-Age=0; Path=/");
            prop_assert_eq!(configured, want.is_none());
            prop_assert!(c.delete.iter().all(|l| l.starts_with("kelisim=; Max-Age=0; Path=/")));
            if let Some((_, max_age)) = c.write {
                prop_assert!(max_age > 0);
            }
        }
    }
}
