//! Making consent real: which tagged scripts and embeds may run, what to clear
//! when consent is withdrawn, Google Consent Mode signals, and Global Privacy
//! Control (GPC).
//!
//! Everything here is pure: the shell reads the page (tag attributes,
//! `location.hostname`, `document.cookie` names) and carries out the result.
//!
//! ```
//! use kelisim_core::gate::{cookie_domains, glob, Tag};
//! assert!(glob("_ga_*", "_ga_XYZ123") && !glob("_ga_*", "_gat"));
//! assert_eq!(cookie_domains("app.kelisim.test"), ["app.kelisim.test", "kelisim.test"]);
//! assert!(cookie_domains("127.0.0.1").is_empty());
//! let t = Tag::parse("!marketing", None);
//! assert!(t.negated && t.category == "marketing");
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use super::config::{Config, ConsentMode};
use super::consent::Consent;
use super::value::char_is;

/// What a gated tag (`<script type="text/plain">` or `<iframe>`) asks for:
/// `data-kelisim-category="[!]<category>"` and optionally
/// `data-kelisim-service="<service>"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tag<'a> {
    /// The category id (without the `!`).
    pub category: &'a str,
    /// `!category`: the tag runs when the category (or the named service) is refused.
    pub negated: bool,
    /// A service of that category, when named.
    pub service: Option<&'a str>,
}

impl<'a> Tag<'a> {
    /// Reads the two attributes as written (an empty service attribute
    /// counts as none).
    pub fn parse(category: &'a str, service: Option<&'a str>) -> Tag<'a> {
        // `get` rather than slicing: no panic path in the module.
        let (negated, category) = match category.as_bytes().first() {
            Some(b'!') => (true, category.get(1..).unwrap_or("")),
            _ => (false, category),
        };
        let service = service.filter(|s| !s.is_empty());
        Tag { category, negated, service }
    }
}

/// Whether a tag may run now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Release it (a tag, once released, is never held again).
    Run,
    /// Keep it inert for now.
    Hold,
    /// It names a category the config does not have, or a service that is not
    /// in that category: it never runs, and the shell says why.
    Unknown,
}

/// Decides a tag against the valid consent (`None` before any decision).
///
/// - `category`: runs when the category is required, or accepted; with a
///   service, that service must be accepted too.
/// - `!category`: runs once a decision exists that refuses the category (or,
///   with a service, that service). A required category is never refused.
pub fn verdict(config: &Config, consent: Option<&Consent>, tag: &Tag) -> Verdict {
    let Some(cat) = config.categories.iter().find(|c| c.id == tag.category) else {
        return Verdict::Unknown;
    };
    let id = match tag.service {
        None => cat.id.as_str(),
        Some(s) => match cat.services.iter().find(|x| x.id == s) {
            Some(x) => x.id.as_str(),
            None => return Verdict::Unknown,
        },
    };
    let state = |id: &str| consent.and_then(|c| c.state(id));
    let run = if tag.negated {
        !cat.required && state(id) == Some(false)
    } else {
        cat.required || (state(&cat.id) == Some(true) && state(id) == Some(true))
    };
    if run {
        Verdict::Run
    } else {
        Verdict::Hold
    }
}

/// What to delete after a withdrawal.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Clear {
    /// Cookie names and `*` patterns.
    pub cookies: Vec<String>,
    /// `localStorage` keys and `*` patterns.
    pub storage: Vec<String>,
}

/// Ids (categories and services) accepted in `before` and refused in `after`.
pub fn withdrawn<'c>(before: &Consent, after: &'c Consent) -> Vec<&'c str> {
    after
        .categories
        .iter()
        .chain(after.services.iter())
        .filter(|(id, on)| !*on && before.state(id) == Some(true))
        .map(|(id, _)| id.as_str())
        .collect()
}

/// The cookies and storage keys to delete when going from `before` to
/// `after`: everything the config lists for each withdrawn category (with its
/// services) and each withdrawn service (a name may appear twice). `None`
/// when nothing was withdrawn.
pub fn to_clear(config: &Config, before: &Consent, after: &Consent) -> Option<Clear> {
    let gone = |id: &str| before.state(id) == Some(true) && after.state(id) == Some(false);
    let mut out = Clear::default();
    let mut any = false;
    for c in &config.categories {
        let whole = gone(&c.id);
        any |= whole;
        if whole {
            out.cookies.extend_from_slice(&c.cookies);
            out.storage.extend_from_slice(&c.storage);
        }
        for s in &c.services {
            let one = gone(&s.id);
            any |= one;
            if whole || one {
                out.cookies.extend_from_slice(&s.cookies);
                out.storage.extend_from_slice(&s.storage);
            }
        }
    }
    any.then_some(out)
}

/// Whether `name` matches `pattern`, where `*` stands for any run of
/// characters (also none) and everything else matches itself, case-sensitively.
pub fn glob(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.as_bytes(), name.as_bytes());
    let (mut i, mut j) = (0, 0);
    // Where the last `*` was, and the name position it is trying to cover up to.
    let mut star: Option<(usize, usize)> = None;
    while j < n.len() {
        if i < p.len() && p[i] == b'*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == n[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p.iter().skip(i).all(|&b| b == b'*')
}

/// Public suffixes under which a site cannot set a cookie: the ones that
/// matter for sites in Kazakhstan and their neighbours. A suffix missing from
/// this list is harmless: the browser refuses such a `Domain` by itself.
pub const PUBLIC_SUFFIXES: &[&str] = &["com.kz", "org.kz", "net.kz", "edu.kz", "gov.kz", "mil.kz", "co.kz", "com.ru", "org.ru", "co.uk"];

/// The `Domain` values a cookie visible on `host` may have been set with:
/// the host itself, then each parent domain, from the longest down. Never a
/// single label (`kz`, `test`, `localhost`), never a listed public suffix
/// (`com.kz`), and nothing at all for an IP address (a cookie there is
/// host-only). Deleting also covers the host-only cookie (no `Domain`).
pub fn cookie_domains(host: &str) -> Vec<&str> {
    let host = host.strip_suffix(".").unwrap_or(host);
    let ip = host.bytes().all(|b| b.is_ascii_digit() || b == b'.' || b == b':') || host.bytes().any(|b| b == b':');
    let mut out = Vec::new();
    if ip {
        return out;
    }
    let mut d = host;
    while let Some((_, parent)) = d.split_once(char_is('.')) {
        if PUBLIC_SUFFIXES.contains(&d) {
            break;
        }
        out.push(d);
        d = parent;
    }
    out
}

/// The `Path` values to delete a cookie under: `/`, every directory prefix
/// of the page's path with and without its trailing `/` (a cookie visible on
/// a page has one of these), the page path itself, and the configured
/// `cookiePaths`.
pub fn cookie_paths<'a>(page_path: &'a str, extra: &'a [String]) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    let mut add = |p: &'a str| {
        if !p.is_empty() && !out.contains(&p) {
            out.push(p);
        }
    };
    add("/");
    if page_path.starts_with('/') {
        for (i, b) in page_path.bytes().enumerate().skip(1) {
            if b == b'/' {
                add(page_path.get(..i).unwrap_or(""));
                add(page_path.get(..=i).unwrap_or(""));
            }
        }
        add(page_path);
    }
    for p in extra {
        add(p);
    }
    out
}

/// The `document.cookie` assignments that delete the cookies `patterns`
/// names: every name in `visible` (the page's `document.cookie`) that a
/// pattern matches, and every exact name (also when this page cannot see it,
/// as under another path). Each goes out with `Max-Age=0` under every
/// [`cookie_paths`] value, host-only and for every [`cookie_domains`] value.
/// `keep` (the consent cookie) is never deleted. Each line goes to `emit`.
pub fn expiry_lines(patterns: &[String], visible: &str, keep: &str, host: &str, page_path: &str, extra_paths: &[String], emit: &mut dyn FnMut(&str)) {
    let mut names: Vec<&str> = Vec::new();
    for pair in visible.split(char_is(';')) {
        let name = pair.split(char_is('=')).next().unwrap_or("").trim();
        if patterns.iter().any(|p| glob(p, name)) {
            names.push(name);
        }
    }
    for p in patterns {
        if !p.bytes().any(|b| b == b'*') {
            names.push(p);
        }
    }
    let domains = cookie_domains(host);
    let paths = cookie_paths(page_path, extra_paths);
    for (i, name) in names.iter().enumerate() {
        if name.is_empty() || *name == keep || names.iter().take(i).any(|n| n == name) {
            continue;
        }
        for path in paths.iter().filter(|p| !p.bytes().any(|b| b == b';')) {
            let line = super::value::cat(&[name, "=; Max-Age=0; Path=", path]);
            emit(&line);
            for d in &domains {
                emit(&super::value::cat(&[&line, "; Domain=", d]));
            }
        }
    }
}

/// The `localStorage` keys among `keys` that `patterns` match (never kelisim's own `kelisim.*`).
pub fn storage_to_remove<'k>(patterns: &[String], keys: &'k [String]) -> Vec<&'k str> {
    keys.iter()
        .map(String::as_str)
        .filter(|k| !k.starts_with("kelisim.") && patterns.iter().any(|p| glob(p, k)))
        .collect()
}

// The signals and their default mapping belong to the config's
// `consentMode` section (config never imports gate: no import cycle).
pub use super::config::{DEFAULT_MAPPING, SIGNALS};

/// Each signal and whether it is granted under `consent` (all denied without
/// one). A signal is granted when the id it follows is accepted.
pub fn signals(mode: &ConsentMode, consent: Option<&Consent>) -> [(&'static str, bool); 6] {
    let mut out = SIGNALS.map(|s| (s, false));
    for ((_, granted), id) in out.iter_mut().zip(mode.mapping.iter()) {
        *granted = consent.and_then(|c| c.state(id)) == Some(true);
    }
    out
}

/// Whether `id` (a category or service) means selling or sharing personal
/// data, which a GPC signal refuses: it is marked `sharing: true`, or, when
/// nothing in the config is marked, it is the category `marketing`.
pub fn is_sharing(config: &Config, id: &str) -> bool {
    let mut marked = false;
    for c in &config.categories {
        for (cid, sharing) in core::iter::once((&c.id, c.sharing)).chain(c.services.iter().map(|s| (&s.id, s.sharing))) {
            if sharing && cid == id {
                return true;
            }
            marked |= sharing;
        }
    }
    !marked && id == "marketing" && config.categories.iter().any(|c| c.id == id)
}

/// Turns the sharing categories (with their services) and services off: what
/// "accept all" means while the browser sends a GPC signal.
pub fn honour_gpc(config: &Config, categories: &mut [(String, bool)], services: &mut [(String, bool)]) {
    for (id, on) in categories.iter_mut() {
        if is_sharing(config, id) {
            *on = false;
        }
    }
    for (c, s) in config.services() {
        if is_sharing(config, &c.id) || is_sharing(config, &s.id) {
            if let Some((_, on)) = services.iter_mut().find(|(id, _)| *id == s.id) {
                *on = false;
            }
        }
    }
}

/// Whether every sharing id is off in these states (what `gpc: true` in a
/// consent records, together with the signal being on).
pub fn sharing_off(config: &Config, categories: &[(String, bool)], services: &[(String, bool)]) -> bool {
    !categories.iter().chain(services.iter()).any(|(id, on)| *on && is_sharing(config, id))
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::consent::tests::{config, consent};
    use crate::consent::Choice;
    use proptest::prelude::*;

    fn custom(cats: &[(&str, bool)], svcs: &[(&str, bool)]) -> Choice {
        let own = |l: &[(&str, bool)]| l.iter().map(|(k, v)| (k.to_string(), *v)).collect();
        Choice::Custom { categories: own(cats), services: own(svcs) }
    }

    #[test]
    fn verdicts() {
        let cfg = config();
        let t = Tag::parse;
        let v = |c: Option<&Consent>, tag: Tag| verdict(&cfg, c, &tag);
        // Before any decision: only required categories run; `!` tags wait.
        assert_eq!(v(None, t("necessary", None)), Verdict::Run);
        assert_eq!(v(None, t("analytics", None)), Verdict::Hold);
        assert_eq!(v(None, t("!marketing", None)), Verdict::Hold);
        assert_eq!(v(None, t("nope", None)), Verdict::Unknown);
        assert_eq!(v(None, t("analytics", Some("facebook-pixel"))), Verdict::Unknown, "service of another category");
        let c = consent(&cfg, custom(&[("analytics", true)], &[("google-analytics", false)]));
        assert_eq!(v(Some(&c), t("analytics", Some(""))), Verdict::Run);
        assert_eq!(v(Some(&c), t(" analytics", None)), Verdict::Unknown, "ids are exact");
        assert_eq!(v(Some(&c), t("analytics", Some("yandex-metrica"))), Verdict::Run);
        assert_eq!(v(Some(&c), t("analytics", Some("google-analytics"))), Verdict::Hold);
        assert_eq!(v(Some(&c), t("!analytics", Some("google-analytics"))), Verdict::Run);
        assert_eq!(v(Some(&c), t("!analytics", None)), Verdict::Hold);
        assert_eq!(v(Some(&c), t("marketing", None)), Verdict::Hold);
        assert_eq!(v(Some(&c), t("!marketing", None)), Verdict::Run);
        assert_eq!(v(Some(&c), t("!necessary", None)), Verdict::Hold, "required is never refused");
    }

    #[test]
    fn withdrawal_lists_what_to_clear() {
        let mut cfg = config();
        cfg.categories[1].cookies = vec!["_ym_*".into(), "_ga".into()];
        cfg.categories[1].storage = vec!["ym_*".into()];
        cfg.categories[1].services[1].cookies = vec!["_ga".into(), "_ga_*".into()];
        cfg.categories[1].services[1].storage = vec!["ga:clientId".into()];
        let all = consent(&cfg, Choice::AcceptAll);
        let no_ga = consent(&cfg, custom(&[], &[("yandex-metrica", true)]));
        assert_eq!(to_clear(&cfg, &all, &all), None);
        assert_eq!(to_clear(&cfg, &no_ga, &all), None, "accepting more clears nothing");
        // Only a service withdrawn: only its lists.
        let c = to_clear(&cfg, &all, &consent(&cfg, custom(&[("analytics", true), ("marketing", true)], &[("google-analytics", false)]))).unwrap();
        assert_eq!(c.cookies, ["_ga", "_ga_*"]);
        assert_eq!(c.storage, ["ga:clientId"]);
        // The whole category: its lists and its services', once each.
        let r = consent(&cfg, Choice::RejectAll);
        assert_eq!(withdrawn(&all, &r), ["analytics", "marketing", "yandex-metrica", "google-analytics", "facebook-pixel"]);
        let c = to_clear(&cfg, &all, &r).unwrap();
        assert_eq!(c.cookies, ["_ym_*", "_ga", "_x", "_ga", "_ga_*", "_x"]);
        assert_eq!(c.storage, ["ym_*", "ga:clientId"]);
    }

    #[test]
    fn domains_and_paths() {
        assert_eq!(cookie_domains("app.kelisim.test"), ["app.kelisim.test", "kelisim.test"]);
        assert_eq!(cookie_domains("a.b.shop.com.kz"), ["a.b.shop.com.kz", "b.shop.com.kz", "shop.com.kz"]);
        assert_eq!(cookie_domains("sapar.kz."), ["sapar.kz"]);
        for none in ["localhost", "kz", "com.kz", "127.0.0.1", "::1", "[::1]", "10.0.0.255", ""] {
            assert!(cookie_domains(none).is_empty(), "{none}");
        }
        let extra = vec!["/shop".to_string(), "/".to_string()];
        assert_eq!(cookie_paths("/tours/almaty/index.html", &extra), ["/", "/tours", "/tours/", "/tours/almaty", "/tours/almaty/", "/tours/almaty/index.html", "/shop"]);
        assert_eq!(cookie_paths("/", &[]), ["/"]);
        assert_eq!(cookie_paths("", &[]), ["/"]);
    }

    #[test]
    fn expiry_lines_cover_names_paths_and_domains() {
        let pats = vec!["_ga".to_string(), "_ga_*".to_string(), "_ym_*".to_string(), "kelisim*".to_string()];
        let visible = "kelisim=2.x; _ga=1; _ga_K2=2; keep=3; _ym_uid=4; _ga_K2=5";
        let collect = |pats: &[String], visible: &str, host: &str, page: &str, extra: &[String]| {
            let mut out: Vec<String> = Vec::new();
            expiry_lines(pats, visible, "kelisim", host, page, extra, &mut |l| out.push(l.to_string()));
            out
        };
        let lines = collect(&pats, visible, "app.kelisim.test", "/tours/", &["/shop".to_string()]);
        let names: Vec<&str> = lines.iter().map(|l| l.split('=').next().unwrap()).collect();
        assert!(names.iter().all(|n| ["_ga", "_ga_K2", "_ym_uid"].contains(n)), "{names:?}");
        // 3 names x 4 paths (/, /tours, /tours/, /shop) x 3 (host-only and two domains).
        assert_eq!(lines.len(), 3 * 4 * 3);
        assert!(lines.contains(&"_ga=; Max-Age=0; Path=/shop; Domain=kelisim.test".to_string()));
        assert!(lines.contains(&"_ym_uid=; Max-Age=0; Path=/tours".to_string()));
        assert!(lines.contains(&"_ga_K2=; Max-Age=0; Path=/; Domain=app.kelisim.test".to_string()));
        // An IP host: host-only lines; an exact name is deleted even when not visible.
        let lines = collect(&pats[..1], "", "127.0.0.1", "/", &[]);
        assert_eq!(lines, ["_ga=; Max-Age=0; Path=/"]);
        let keys: Vec<String> = ["_ym_a", "kelisim.lang", "kelisim.sync", "keep", "_ym_"].map(String::from).to_vec();
        assert_eq!(storage_to_remove(&["_ym_*".to_string(), "kelisim*".to_string()], &keys), ["_ym_a", "_ym_"]);
    }

    #[test]
    fn consent_mode_signals_follow_the_mapping() {
        let cfg = config();
        let mut mode = ConsentMode { wait_for_update: 0, regions: vec![], mapping: DEFAULT_MAPPING.map(String::from) };
        assert!(signals(&mode, None).iter().all(|(_, g)| !g));
        let c = consent(&cfg, custom(&[("analytics", true)], &[]));
        let s = signals(&mode, Some(&c));
        assert_eq!(s.map(|(k, _)| k), SIGNALS);
        assert_eq!(s.map(|(_, g)| g), [false, false, false, true, false, false]);
        mode.mapping[0] = "yandex-metrica".into();
        assert_eq!(signals(&mode, Some(&c))[0], ("ad_storage", true));
    }

    #[test]
    fn gpc_turns_sharing_off() {
        let mut cfg = config();
        assert!(is_sharing(&cfg, "marketing") && !is_sharing(&cfg, "analytics") && !is_sharing(&cfg, "facebook-pixel"));
        let mut a = consent(&cfg, Choice::AcceptAll);
        assert!(!sharing_off(&cfg, &a.categories, &a.services));
        honour_gpc(&cfg, &mut a.categories, &mut a.services);
        assert!(sharing_off(&cfg, &a.categories, &a.services));
        assert_eq!(a.state("marketing"), Some(false));
        assert_eq!(a.state("facebook-pixel"), Some(false));
        assert_eq!(a.state("analytics"), Some(true));
        // Marking a service instead: only it goes off.
        cfg.categories[1].services[1].sharing = true;
        assert!(is_sharing(&cfg, "google-analytics") && !is_sharing(&cfg, "marketing"));
        let mut a = consent(&cfg, Choice::AcceptAll);
        honour_gpc(&cfg, &mut a.categories, &mut a.services);
        assert_eq!((a.state("analytics"), a.state("google-analytics"), a.state("marketing")), (Some(true), Some(false), Some(true)));
    }

    /// The obvious recursive definition, as an oracle.
    fn naive_glob(p: &[u8], n: &[u8]) -> bool {
        match (p.first(), n.first()) {
            (None, _) => n.is_empty(),
            (Some(b'*'), _) => naive_glob(&p[1..], n) || (!n.is_empty() && naive_glob(p, &n[1..])),
            (Some(a), Some(b)) => a == b && naive_glob(&p[1..], &n[1..]),
            (Some(_), None) => false,
        }
    }

    #[test]
    fn glob_examples() {
        assert!(glob("_ga", "_ga") && !glob("_ga", "_ga_1") && !glob("_ga", "_g"));
        assert!(glob("_ym_*", "_ym_uid") && glob("_ym_*", "_ym_") && !glob("_ym_*", "_ym"));
        assert!(glob("*", "") && glob("a*b*c", "aXbYbc") && !glob("a*b*c", "aXbYbd"));
        assert!(glob("tmr_*Num", "tmr_reqNum") && !glob("tmr_*Num", "tmr_reqnum"));
    }

    proptest! {
        #[test]
        fn glob_agrees_with_the_naive_oracle(p in "[ab*]{0,8}", n in "[ab]{0,10}") {
            prop_assert_eq!(glob(&p, &n), naive_glob(p.as_bytes(), n.as_bytes()), "{} ~ {}", p, n);
        }

        #[test]
        fn domains_are_suffixes_at_label_boundaries(labels in proptest::collection::vec("[a-z0-9-]{1,6}", 1..6), tld in prop::sample::select(vec!["kz", "test", "com.kz", "ru", "org"])) {
            prop_assume!(!labels.iter().any(|l| ["com", "org", "net", "edu", "gov", "mil", "co"].contains(&l.as_str())));
            let host = format!("{}.{}", labels.join("."), tld);
            let ds = cookie_domains(&host);
            prop_assert_eq!(ds.first().copied(), Some(host.as_str()));
            for d in &ds {
                let dotted = format!(".{}", d);
                prop_assert!(host == *d || host.ends_with(&dotted));
                prop_assert!(d.contains('.') && !PUBLIC_SUFFIXES.contains(d));
            }
            // The shortest is the registrable domain: one label above the suffix.
            let last = ds.last().unwrap();
            prop_assert_eq!(last.matches('.').count(), tld.matches('.').count() + 1);
        }
    }
}
