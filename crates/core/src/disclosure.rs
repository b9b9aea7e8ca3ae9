//! Third-party link and OAuth disclosures: which clicks need one, what the
//! visitor chose to stop being asked about, and the record of every
//! acknowledgement.
//!
//! The shell parses a link with the browser's own URL parsing and hands the
//! parts to [`classify`]; it asks [`Disclosures::is_remembered`] before showing
//! a dialog, and reports what the visitor did through [`Disclosures::shown`]
//! and [`Disclosures::finish`], which return the [`Record`]s to keep and
//! announce. Nothing here reads a clock: `now` is an argument.
//!
//! - **Remembered** ("don't ask again for …"): kept until the consent's
//!   `expiresAt`, or, when there is no valid consent, for 13 calendar months
//!   from the choice (the lifetime a consent would have). Only a Continue with
//!   the box ticked remembers; at most [`MAX_REMEMBERED`] entries, the oldest
//!   dropped first.
//! - **Records**: `{kind, party, host, outcome, at, lang}`, at most
//!   [`MAX_RECORDS`], the oldest dropped first.
//!
//! Both are stored together as text ([`Disclosures::encode`], version `kd1`):
//!
//! ```text
//! kd1
//! r link meta 1767225600000
//! r link @example.org 1767225600000
//! d link meta www.facebook.com shown 1735689600000 kk
//! d oauth google # continued 1735689600000 ru
//! ```
//!
//! `r <kind> <key> <until>`: a remembered choice; the key is a third party's
//! or OAuth provider's id, or `@` and the host for a link to an undeclared
//! site. `d <kind> <party> <host> <outcome> <at> <lang>`: a record, `#` for
//! no party (an undeclared site) or no host (an OAuth log-in started by a
//! button). [`Disclosures::decode`] skips lines it cannot read and entries
//! that have expired, and never panics.

use alloc::string::String;
use alloc::vec::Vec;

use super::config::{Config, ExternalLinks, Lang, ThirdParty};
use super::time;
use super::value::{all_bytes, char_is, push_int};

/// At most this many records are kept; the oldest go first. A disclosure
/// that was answered makes two (shown, then continued or cancelled).
pub const MAX_RECORDS: usize = 100;
/// At most this many remembered choices are kept; the oldest go first.
pub const MAX_REMEMBERED: usize = 64;
/// First line of the stored text.
pub const VERSION: &str = "kd1";

/// What a disclosure is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A link that leaves the site.
    Link,
    /// A log-in through a third party.
    OAuth,
}

impl Kind {
    /// `link` or `oauth` (the `data-kelisim-kind` value).
    pub fn code(self) -> &'static str {
        match self {
            Kind::Link => "link",
            Kind::OAuth => "oauth",
        }
    }

    fn parse(s: &str) -> Option<Kind> {
        match s {
            "link" => Some(Kind::Link),
            "oauth" => Some(Kind::OAuth),
            _ => None,
        }
    }
}

/// What happened to a disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The dialog was shown.
    Shown,
    /// The visitor chose Continue; the original action went ahead.
    Continued,
    /// The visitor chose Cancel (or pressed Escape); nothing happened.
    Cancelled,
}

impl Outcome {
    /// `shown`, `continued` or `cancelled`.
    pub fn code(self) -> &'static str {
        match self {
            Outcome::Shown => "shown",
            Outcome::Continued => "continued",
            Outcome::Cancelled => "cancelled",
        }
    }

    fn parse(s: &str) -> Option<Outcome> {
        match s {
            "shown" => Some(Outcome::Shown),
            "continued" => Some(Outcome::Continued),
            "cancelled" => Some(Outcome::Cancelled),
            _ => None,
        }
    }
}

/// The parts of a clicked link the shell read with the browser's URL parser.
#[derive(Debug, Clone, Copy)]
pub struct LinkTarget<'a> {
    /// `protocol`, with its colon: `https:`, `mailto:` ...
    pub scheme: &'a str,
    /// `hostname`: lowercase, no port.
    pub host: &'a str,
    /// Whether the link's origin is the page's.
    pub same_origin: bool,
    /// Whether the link has a `download` attribute.
    pub download: bool,
}

/// Why a link needs a disclosure.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Class<'c> {
    /// It leads to a declared third party.
    Party(&'c ThirdParty),
    /// It leads to another site that is not declared (`externalLinks: "all"`).
    Generic,
}

/// Whether a click on a link needs a disclosure, and which.
///
/// None for `externalLinks: "off"`, downloads, schemes other than `http:` and
/// `https:` (`mailto:`, `tel:`, `javascript:`), the page's own origin and an
/// empty host. A host inside a declared third party's domains is that party;
/// any other host is [`Class::Generic`] only with `externalLinks: "all"`.
pub fn classify<'c>(config: &'c Config, t: &LinkTarget) -> Option<Class<'c>> {
    let web = t.scheme.eq_ignore_ascii_case("https:") || t.scheme.eq_ignore_ascii_case("http:");
    if config.external_links == ExternalLinks::Off || t.download || !web || t.same_origin || t.host.is_empty() {
        return None;
    }
    if let Some(p) = config.party_for_host(t.host) {
        return Some(Class::Party(p));
    }
    (config.external_links == ExternalLinks::All).then_some(Class::Generic)
}

/// The key a "don't ask again" choice is kept under: the third party's or
/// OAuth provider's id, or `@` and the host for an undeclared site (`party`
/// empty).
pub fn remember_key(party: &str, host: &str) -> String {
    if party.is_empty() {
        super::value::cat(&["@", host])
    } else {
        party.into()
    }
}

/// Until when a "don't ask again" choice holds: the consent's `expiresAt`, or
/// 13 calendar months from `now` when there is no valid consent.
pub fn remember_until(consent_expires_at: Option<i64>, now: i64) -> i64 {
    consent_expires_at.unwrap_or_else(|| time::expires_at(now))
}

/// One acknowledgement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Record {
    /// Link or OAuth.
    pub kind: Kind,
    /// The third party's id (links) or the OAuth provider's id; empty for an
    /// undeclared site.
    pub party: String,
    /// The destination host; empty when the action has none (a log-in button).
    pub host: String,
    /// Shown, continued or cancelled.
    pub outcome: Outcome,
    /// When, in milliseconds since the Unix epoch.
    pub at: i64,
    /// The language the disclosure was shown in.
    pub lang: Lang,
}

/// A remembered "don't ask again" choice.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Remembered {
    kind: Kind,
    key: String,
    until: i64,
}

/// The remembered choices and the records of one browser.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Disclosures {
    remembered: Vec<Remembered>,
    records: Vec<Record>,
}

/// The value of 1 to 16 decimal digits.
fn millis(s: &str) -> Option<i64> {
    if s.is_empty() || s.len() > 16 {
        return None;
    }
    s.bytes().try_fold(0i64, |n, b| b.is_ascii_digit().then(|| n * 10 + (b - b'0') as i64))
}

/// A remembered key: an id, or `@` and a host (no `#`, which stands for none).
fn key_ok(s: &str) -> bool {
    s.len() <= 254 && all_bytes(s, |b| b > b' ' && b < 0x7f && b != b'#')
}

/// `#` stands for "none" (empty): neither an id nor a host can be `#`.
fn none(s: &str) -> String {
    if s == "#" {
        String::new()
    } else {
        s.into()
    }
}

fn or_none(s: &str) -> &str {
    if s.is_empty() {
        "#"
    } else {
        s
    }
}

/// Drops the oldest entries beyond `max`.
fn bound<T>(list: &mut Vec<T>, max: usize) {
    if list.len() > max {
        *list = list.split_off(list.len() - max);
    }
}

impl Disclosures {
    /// Reads the stored text; unreadable lines and choices that lapsed by
    /// `now` are left out. Anything that is not version `kd1` reads as empty.
    pub fn decode(text: &str, now: i64) -> Disclosures {
        let mut out = Disclosures::default();
        let mut lines = text.split(char_is('\n'));
        if lines.next() != Some(VERSION) {
            return out;
        }
        for line in lines {
            // Up to 7 space-separated fields; an 8th means the line is bad.
            let mut f = [""; 8];
            let mut n = 0;
            for (slot, field) in f.iter_mut().zip(line.split(char_is(' '))) {
                *slot = field;
                n += 1;
            }
            let (Some(kind), false) = (Kind::parse(f[1]), f.iter().take(n).any(|x| x.is_empty())) else { continue };
            match (f[0], n) {
                ("r", 4) => match millis(f[3]) {
                    Some(until) if until > now && key_ok(f[2]) => {
                        out.remembered.push(Remembered { kind, key: f[2].into(), until })
                    }
                    _ => {}
                },
                ("d", 7) => {
                    if let (Some(outcome), Some(at), Some(lang), true) =
                        (Outcome::parse(f[4]), millis(f[5]), Lang::from_code(f[6]), f[2] == "#" || key_ok(f[2]) && !f[2].starts_with('@'))
                    {
                        out.records.push(Record { kind, party: none(f[2]), host: none(f[3]), outcome, at, lang });
                    }
                }
                _ => {}
            }
        }
        bound(&mut out.remembered, MAX_REMEMBERED);
        bound(&mut out.records, MAX_RECORDS);
        out
    }

    /// The stored text (see the module docs).
    pub fn encode(&self) -> String {
        let mut s = String::from(VERSION);
        for r in &self.remembered {
            for part in ["\nr ", r.kind.code(), " ", &r.key, " "] {
                s.push_str(part);
            }
            push_int(&mut s, r.until);
        }
        for d in &self.records {
            for part in ["\nd ", d.kind.code(), " ", or_none(&d.party), " ", or_none(&d.host), " ", d.outcome.code(), " "] {
                s.push_str(part);
            }
            push_int(&mut s, d.at);
            s.push(' ');
            s.push_str(d.lang.code());
        }
        s
    }

    /// Whether the visitor asked not to be asked again about this party (or
    /// host, see [`remember_key`]), and that choice still holds at `now`.
    pub fn is_remembered(&self, kind: Kind, party: &str, host: &str, now: i64) -> bool {
        let key = remember_key(party, host);
        self.remembered.iter().any(|r| r.kind == kind && r.key == key && r.until > now)
    }

    /// Every record, oldest first.
    pub fn records(&self) -> &[Record] {
        &self.records
    }

    fn push(&mut self, record: Record) -> Record {
        self.records.push(record.clone());
        bound(&mut self.records, MAX_RECORDS);
        record
    }

    /// A dialog was shown: returns the record to keep and announce.
    pub fn shown(&mut self, kind: Kind, party: &str, host: &str, now: i64, lang: Lang) -> Record {
        self.push(Record {
            kind,
            party: party.into(),
            host: host.into(),
            outcome: Outcome::Shown,
            at: now,
            lang,
        })
    }

    /// The visitor answered the dialog that `shown` recorded. A Continue with
    /// "don't ask again" ticked (`remember` is `Some(until)`, see
    /// [`remember_until`]) remembers the party or host; a Cancel never does.
    /// Returns the record.
    pub fn finish(&mut self, shown: &Record, go: bool, remember: Option<i64>, now: i64) -> Record {
        if let (true, Some(until)) = (go, remember) {
            let key = remember_key(&shown.party, &shown.host);
            if let Some(i) = self.remembered.iter().position(|r| r.kind == shown.kind && r.key == key) {
                self.remembered.remove(i);
            }
            self.remembered.push(Remembered { kind: shown.kind, key, until });
            bound(&mut self.remembered, MAX_REMEMBERED);
        }
        self.push(Record {
            outcome: if go { Outcome::Continued } else { Outcome::Cancelled },
            at: now,
            ..shown.clone()
        })
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use crate::config::{decode, tests::sample};
    use crate::value::Value;
    use proptest::prelude::*;

    const NOW: i64 = 1_735_689_600_000; // 2025-01-01T00:00:00Z

    fn config(mode: &str) -> Config {
        let t = |s: &str| Value::obj([("kk", Value::str(s)), ("ru", Value::str(s))]);
        let party = |id: &str, domains: &[&str]| {
            Value::obj([
                ("id", Value::str(id)),
                ("name", t(id)),
                ("domains", Value::Arr(domains.iter().map(|d| Value::str(*d)).collect())),
                ("policyUrl", Value::str("https://example.com/privacy")),
                ("country", Value::str("US")),
                ("collects", t("x")),
                ("purpose", t("y")),
            ])
        };
        let mut v = sample();
        if let Value::Obj(pairs) = &mut v {
            pairs.push((
                "thirdParties".into(),
                Value::Arr(vec![party("meta", &["facebook.com", "instagram.com"]), party("vk", &["vk.com"])]),
            ));
            pairs.push(("externalLinks".into(), Value::str(mode)));
        }
        decode(&v).unwrap()
    }

    fn link<'a>(scheme: &'a str, host: &'a str) -> LinkTarget<'a> {
        LinkTarget { scheme, host, same_origin: false, download: false }
    }

    fn id_of(c: Option<Class<'_>>) -> Option<&str> {
        match c {
            Some(Class::Party(p)) => Some(&p.id),
            Some(Class::Generic) => Some("*"),
            None => None,
        }
    }

    #[test]
    fn links_are_classified_by_mode_scheme_origin_and_download() {
        let declared = config("declared");
        let all = config("all");
        let off = config("off");
        assert_eq!(id_of(classify(&declared, &link("https:", "www.facebook.com"))), Some("meta"));
        assert_eq!(id_of(classify(&declared, &link("HTTP:", "m.vk.com"))), Some("vk"));
        assert_eq!(id_of(classify(&declared, &link("https:", "instagram.com"))), Some("meta"));
        assert_eq!(id_of(classify(&declared, &link("https:", "example.org"))), None);
        assert_eq!(id_of(classify(&all, &link("https:", "example.org"))), Some("*"));
        assert_eq!(id_of(classify(&all, &link("https:", "vk.com"))), Some("vk"));
        assert_eq!(id_of(classify(&off, &link("https:", "vk.com"))), None);
        for scheme in ["mailto:", "tel:", "javascript:", "ftp:", "blob:"] {
            assert_eq!(id_of(classify(&all, &link(scheme, "vk.com"))), None, "{scheme}");
        }
        let own = LinkTarget { same_origin: true, ..link("https:", "vk.com") };
        assert_eq!(id_of(classify(&all, &own)), None);
        let download = LinkTarget { download: true, ..link("https:", "vk.com") };
        assert_eq!(id_of(classify(&all, &download)), None);
        assert_eq!(id_of(classify(&all, &link("https:", ""))), None);
        assert_eq!(id_of(classify(&declared, &link("https:", "evilvk.com"))), None);
    }

    #[test]
    fn remembered_choices_last_until_the_consent_expires_or_13_months() {
        assert_eq!(remember_until(Some(NOW + 5), NOW), NOW + 5);
        assert_eq!(remember_until(None, NOW), time::expires_at(NOW));
        assert_eq!(remember_key("meta", "www.facebook.com"), "meta");
        assert_eq!(remember_key("", "example.org"), "@example.org");

        let mut d = Disclosures::default();
        let shown = d.shown(Kind::Link, "meta", "www.facebook.com", NOW, Lang::Kk);
        assert_eq!(shown.outcome, Outcome::Shown);
        // Cancel never remembers, even with the box ticked.
        let r = d.finish(&shown, false, Some(NOW + 100), NOW + 1);
        assert_eq!((r.outcome, r.at), (Outcome::Cancelled, NOW + 1));
        assert!(!d.is_remembered(Kind::Link, "meta", "", NOW + 2));
        let r = d.finish(&shown, true, Some(NOW + 100), NOW + 3);
        assert_eq!(r.outcome, Outcome::Continued);
        assert!(d.is_remembered(Kind::Link, "meta", "m.facebook.com", NOW + 99), "per party, any of its hosts");
        assert!(!d.is_remembered(Kind::Link, "meta", "", NOW + 100), "lapses at `until`");
        assert!(!d.is_remembered(Kind::OAuth, "meta", "", NOW + 4), "kinds are separate");
        assert!(!d.is_remembered(Kind::Link, "", "www.facebook.com", NOW + 4), "hosts are separate keys");
        // Continue without the box remembers nothing new.
        d.finish(&shown, true, None, NOW + 4);
        assert_eq!(d.records().len(), 4);
        // Remembering again replaces the old entry.
        d.finish(&shown, true, Some(NOW + 500), NOW + 5);
        assert!(d.is_remembered(Kind::Link, "meta", "", NOW + 400));
        assert_eq!(d.encode().matches("\nr ").count(), 1);
    }

    #[test]
    fn the_stored_text_is_exact_and_lapsed_choices_are_dropped() {
        let mut d = Disclosures::default();
        let s = d.shown(Kind::Link, "meta", "www.facebook.com", NOW, Lang::Kk);
        d.finish(&s, true, Some(NOW + 10), NOW + 1);
        let s = d.shown(Kind::OAuth, "google", "", NOW + 2, Lang::Ru);
        d.finish(&s, false, None, NOW + 3);
        let s = d.shown(Kind::Link, "", "example.org", NOW + 4, Lang::Ru);
        d.finish(&s, true, Some(NOW + 20), NOW + 5);
        let text = d.encode();
        assert_eq!(
            text,
            "kd1\nr link meta 1735689600010\nr link @example.org 1735689600020\
             \nd link meta www.facebook.com shown 1735689600000 kk\
             \nd link meta www.facebook.com continued 1735689600001 kk\
             \nd oauth google # shown 1735689600002 ru\
             \nd oauth google # cancelled 1735689600003 ru\
             \nd link # example.org shown 1735689600004 ru\
             \nd link # example.org continued 1735689600005 ru"
        );
        assert_eq!(Disclosures::decode(&text, NOW), d);
        let later = Disclosures::decode(&text, NOW + 10);
        assert!(!later.is_remembered(Kind::Link, "meta", "", NOW + 10));
        assert!(later.is_remembered(Kind::Link, "", "example.org", NOW + 10));
        assert_eq!(later.records().len(), 6, "records do not lapse");
        assert_eq!(Disclosures::decode("kd2\nr link meta 99999999999999", 0), Disclosures::default());
        assert_eq!(Disclosures::decode("", 0), Disclosures::default());
        let junk = "kd1\nr link me#ta 5\nr page x 5\nr link x 5x\nr link  x 5\nd link meta a b shown 1 kk\
                    \nd link meta # shown 1 en\nd link meta # seen 1 kk\nd link @x # shown 1 kk\nd link meta # shown -1 kk\
                    \nd link meta # shown 1 kk\nr oauth google 5\n";
        let got = Disclosures::decode(junk, 0);
        assert_eq!(got.encode(), "kd1\nr oauth google 5\nd link meta # shown 1 kk");
    }

    #[test]
    fn records_and_choices_are_bounded_keeping_the_newest() {
        let mut d = Disclosures::default();
        for i in 0..(MAX_REMEMBERED as i64 + 10) {
            let mut host = String::from("h");
            push_int(&mut host, i);
            let s = d.shown(Kind::Link, "", &host, i, Lang::Kk);
            d.finish(&s, true, Some(i64::MAX / 2), i);
        }
        assert_eq!(d.records().len(), MAX_RECORDS);
        assert_eq!(d.records().last().unwrap().at, MAX_REMEMBERED as i64 + 9);
        assert!(!d.is_remembered(Kind::Link, "", "h0", 0));
        assert!(d.is_remembered(Kind::Link, "", "h73", 0));
        assert_eq!(d.encode().matches("\nr ").count(), MAX_REMEMBERED);
    }

    /// The naive oracle: a host belongs to a domain when, in lowercase and
    /// without one trailing dot, it is the domain or ends with "." and the domain.
    fn naive_in(host: &str, domain: &str) -> bool {
        let h = host.strip_suffix('.').unwrap_or(host).to_ascii_lowercase();
        h == domain || h.ends_with(&format!(".{domain}"))
    }

    fn arb_record() -> impl Strategy<Value = Record> {
        (
            prop_oneof![Just(Kind::Link), Just(Kind::OAuth)],
            "([a-z0-9_-]{1,32})?",
            "([a-z0-9.:\\[\\]-]{1,40})?",
            prop_oneof![Just(Outcome::Shown), Just(Outcome::Continued), Just(Outcome::Cancelled)],
            0i64..=9_999_999_999_999_999,
            prop_oneof![Just(Lang::Kk), Just(Lang::Ru)],
        )
            .prop_map(|(kind, party, host, outcome, at, lang)| Record { kind, party, host, outcome, at, lang })
    }

    proptest! {
        #[test]
        fn classification_matches_a_naive_oracle(host in "[a-zA-Z]{0,3}(\\.?(vk|facebook|instagram|evil)\\.(com|kz)\\.?)?", mode in 0..3usize, same in any::<bool>(), download in any::<bool>()) {
            let c = config(["declared", "all", "off"][mode]);
            let got = id_of(classify(&c, &LinkTarget { scheme: "https:", host: &host, same_origin: same, download }));
            let party = c.third_parties.iter().find(|p| p.domains.iter().any(|d| naive_in(&host, d))).map(|p| p.id.as_str());
            let want = if mode == 2 || same || download || host.is_empty() {
                None
            } else {
                party.or(if mode == 1 { Some("*") } else { None })
            };
            prop_assert_eq!(got, want, "host {:?}", host);
        }

        #[test]
        fn stored_text_round_trips(records in proptest::collection::vec(arb_record(), 0..120), keys in proptest::collection::vec(("[a-z0-9_-]{1,32}", "[a-z0-9.-]{1,30}", 1i64..=9_999_999_999_999), 0..80)) {
            let mut d = Disclosures::default();
            for r in &records {
                d.push(r.clone());
            }
            for (i, (party, host, until)) in keys.iter().enumerate() {
                let s = d.shown(Kind::Link, if i % 2 == 0 { party } else { "" }, host, 0, Lang::Kk);
                d.finish(&s, true, Some(*until), 0);
            }
            prop_assert!(d.records().len() <= MAX_RECORDS);
            // Newest kept: the last record pushed is the last one held.
            prop_assert_eq!(Disclosures::decode(&d.encode(), 0), d);
        }

        #[test]
        fn any_text_decodes_without_panicking(text in "(kd1\n)?[rd ]{0,3}[ -~\n]{0,200}", now in any::<i64>()) {
            let d = Disclosures::decode(&text, now);
            prop_assert!(d.records().len() <= MAX_RECORDS);
            prop_assert_eq!(Disclosures::decode(&d.encode(), now), d);
        }
    }
}
