//! Consent receipts, format v1: a Kantara Consent Receipt v1.1 object plus one
//! extension object under `"kelisim"` (docs/receipts.md).
//!
//! [`build`] makes a receipt from the config, the consent and the facts only
//! the shell knows (a fresh receipt id, the clock, the absolute policy URL,
//! which button or call it was), directly in canonical form
//! ([`super::json`]): the text that is stored, sent and hashed. It comes
//! [`Unsealed`]: the delivery adds the hash chain link (`kelisim.chain`) once
//! the previous receipt's SHA-256 is known.
//!
//! Writing canonical text directly, rather than building a [`super::value::Value`]
//! tree and serializing it, keeps the module small: the tree builder cost
//! 3.4 KB gzip of wasm. The tests parse every receipt and check it against
//! a sorting serializer and the Kantara schema.

use alloc::string::String;
use alloc::vec::Vec;
use super::config::{Config, ConfigError, L10n, Lang};
use super::consent::Consent;
use super::json;
use super::session::DecisionKind;
use super::time::to_iso;
use super::value::push_int;

/// Kantara `version`.
pub const VERSION: &str = "KI-CR-v1.1.0";
/// Kantara `termination` of every purpose.
pub const TERMINATION: &str = "13 months after consent (kelisim.consent.expiresAt)";

/// What a disclosure was about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisclosureKind {
    /// A link to a third party's site.
    Link,
    /// A third-party log-in.
    OAuth,
}

/// What the visitor did with a disclosure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// It was shown.
    Shown,
    /// The visitor went on.
    Continued,
    /// The visitor stayed.
    Cancelled,
}

/// Why a receipt is made (`kelisim.event`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Event<'a> {
    /// The subject's first consent.
    Given,
    /// A valid consent was changed.
    Updated,
    /// A lapsed or outdated consent was replaced.
    Renewed,
    /// `withdraw()`.
    Withdrawn,
    /// A third-party disclosure was shown or answered.
    Disclosure {
        /// Link or log-in.
        kind: DisclosureKind,
        /// The declared third party's id (or OAuth provider id).
        party: &'a str,
        /// The host the visitor was going to.
        host: &'a str,
        /// What happened.
        outcome: Outcome,
    },
}

impl From<DecisionKind> for Event<'static> {
    fn from(k: DecisionKind) -> Self {
        match k {
            DecisionKind::Given => Event::Given,
            DecisionKind::Updated => Event::Updated,
            DecisionKind::Renewed => Event::Renewed,
            DecisionKind::Withdrawn => Event::Withdrawn,
        }
    }
}

impl Event<'_> {
    /// The `kelisim.event` string.
    pub fn name(&self) -> &'static str {
        match self {
            Event::Given => "given",
            Event::Updated => "updated",
            Event::Renewed => "renewed",
            Event::Withdrawn => "withdrawn",
            Event::Disclosure { .. } => "disclosure",
        }
    }
}

/// What only the shell knows about a receipt.
#[derive(Debug, Clone, Copy)]
pub struct Facts<'a> {
    /// `consentReceiptID`: a fresh lowercase UUID v4.
    pub id: &'a str,
    /// Milliseconds since the epoch.
    pub now: i64,
    /// `collectionMethod`, e.g. `banner: accept all` (see docs/receipts.md).
    pub method: &'a str,
    /// The language the visitor read.
    pub language: Lang,
    /// The policy edition's absolute URL in that language.
    pub policy_url: &'a str,
}

/// A JSON writer for the receipt: keys are written in canonical order by
/// hand (the order is checked against a sorting serializer in the tests), so
/// the text needs no tree and no sort at run time.
struct W(String);

impl W {
    /// A literal fragment: punctuation and keys.
    fn raw(&mut self, s: &str) -> &mut W {
        self.0.push_str(s);
        self
    }

    /// A JSON string.
    fn s(&mut self, s: &str) -> &mut W {
        json::write_str(s, &mut self.0);
        self
    }

    fn int(&mut self, n: i64) -> &mut W {
        push_int(&mut self.0, n);
        self
    }

    fn bool(&mut self, b: bool) -> &mut W {
        self.raw(if b { "true" } else { "false" })
    }

    /// An array of strings.
    fn strs(&mut self, items: &[&str]) -> &mut W {
        self.raw("[");
        for (i, x) in items.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            self.s(x);
        }
        self.raw("]")
    }

    /// `{"id":bool,...}` sorted by id.
    fn states(&mut self, list: &[(String, bool)]) -> &mut W {
        let mut ids: Vec<&str> = Vec::new();
        for (id, _) in list {
            json::insert_sorted(&mut ids, id, json::byte_less);
        }
        self.raw("{");
        for (i, id) in ids.iter().enumerate() {
            if i > 0 {
                self.raw(",");
            }
            let on = list.iter().any(|(k, v)| k == id && *v);
            self.s(id).raw(":").bool(on);
        }
        self.raw("}")
    }
}

fn push_unique<'a>(list: &mut Vec<&'a str>, item: &'a str) {
    if !list.contains(&item) {
        list.push(item);
    }
}

/// A phone number as an RFC 3966 `tel:` URI: `+7 727 355-14-20` becomes
/// `tel:+7-727-355-14-20`. A number without `+` is local to Kazakhstan
/// (`;phone-context=+7`); a `tel:` URI is kept as it is.
pub fn tel(phone: &str) -> String {
    if phone.starts_with("tel:") {
        return phone.into();
    }
    let mut out = String::from("tel:");
    let global = phone.bytes().find(|b| *b != b' ') == Some(b'+');
    if global {
        out.push('+');
    }
    // Separators (spaces, dots, brackets, dashes) become single dashes.
    let (mut digits, mut sep) = (false, false);
    for c in phone.chars() {
        if c.is_ascii_digit() {
            if sep && digits {
                out.push('-');
            }
            (digits, sep) = (true, false);
            out.push(c);
        } else {
            sep = true;
        }
    }
    if !global {
        out.push_str(";phone-context=+7");
    }
    out
}

/// Who receives data in a disclosure, what, and why, in `lang`: the declared
/// third party (or OAuth provider), else the bare host.
fn disclosed<'c>(config: &'c Config, kind: DisclosureKind, party: &'c str, host: &'c str, lang: Lang) -> (&'c str, &'c str, &'c str) {
    let fallback = if host.is_empty() { party } else { host };
    match kind {
        DisclosureKind::OAuth => match config.oauth.iter().find(|o| o.id == party) {
            Some(o) => (o.name.get(lang), o.receives.get(lang), o.name.get(lang)),
            None => (fallback, fallback, fallback),
        },
        DisclosureKind::Link => match config.third_party(party) {
            Some(t) => (t.name.get(lang), t.collects.get(lang), t.purpose.get(lang)),
            None => (fallback, fallback, fallback),
        },
    }
}

/// Room the size check keeps for what only the page knows when a receipt is
/// made: the page's address the policy URL is resolved against, and the
/// longest `collectionMethod`.
pub const RESERVE: usize = 4_096;

/// Checks that the config can fill a receipt (Kantara requires the
/// controller's e-mail and phone), and that its texts leave every receipt
/// under [`outbox::MAX_BODY`](super::outbox::MAX_BODY) bytes with
/// [`RESERVE`] to spare: a receipt over it could never be sent.
pub fn check(config: &Config) -> Result<(), ConfigError> {
    let c = &config.controller;
    for (field, present) in [("email", c.email.is_some()), ("phone", c.phone.is_some())] {
        if !present {
            return Err(ConfigError {
                doc: super::config::Doc::Config,
                path: super::value::cat(&["controller.", field]),
                message: "missing (consent receipts name the controller's e-mail and phone)".into(),
            });
        }
    }
    let size = largest(config);
    let limit = super::outbox::MAX_BODY - RESERVE;
    if size > limit {
        let (path, len) = longest_text(config);
        let mut message = String::from("this text (");
        push_int(&mut message, len as i64);
        message.push_str(" bytes) is the longest of those that go into consent receipts, which could reach ");
        push_int(&mut message, size as i64);
        message.push_str(" bytes, over the 61440 a receipt may take (browsers send at most 65536 bytes with keepalive or sendBeacon; 4096 are kept for the page address): shorten it or other texts");
        return Err(ConfigError { doc: super::config::Doc::Config, path, message });
    }
    Ok(())
}

/// Bytes of fixed text in every receipt (keys, punctuation, the ids,
/// dates and the chain link at their longest), per category, per service:
/// upper bounds measured against real receipts (`receipt::tests`).
const FIXED: usize = 2_600;
const PER_CATEGORY: usize = 300;
const PER_SERVICE: usize = 8;
/// A disclosure receipt's extra fixed text, and its host at the longest (253).
const DISCLOSURE: usize = 450 + 253;

/// The length of `s` as a JSON string ([`super::json::write_str`]).
fn esc(s: &str) -> usize {
    2 + s
        .chars()
        .map(|c| match c {
            '"' | '\\' | '\u{8}' | '\u{c}' | '\n' | '\r' | '\t' => 2,
            c if (c as u32) < 0x20 => 6,
            c => c.len_utf8(),
        })
        .sum::<usize>()
}

/// An upper bound, in bytes, of the largest receipt the config can make: a
/// decision accepting everything, or one disclosing the third party (or
/// OAuth provider) with the longest texts to a host of the longest name, in
/// each language, with the chain link at its longest; each text counted as
/// often as it can appear. Arithmetic on the texts' lengths rather than
/// building the receipts: building them here cost 1.7 KB gzip of wasm. A
/// test checks it against built receipts (never below, at most a little above).
pub fn largest(config: &Config) -> usize {
    let mut most = 0;
    for &lang in &config.languages {
        let t = |l: &L10n| esc(l.get(lang));
        let c = &config.controller;
        let mut n = FIXED
            + 3 * t(&c.name)
            + c.address.as_ref().map_or(0, t)
            + c.email.as_deref().map_or(0, esc)
            + c.phone.as_deref().map_or(0, |p| esc(&tel(p)))
            + c.url.as_deref().map_or(0, esc)
            + esc(&config.policy.version);
        for cat in &config.categories {
            n += PER_CATEGORY + t(&cat.title) + t(&cat.description) + 4 * esc(&cat.id);
            for d in &cat.data {
                n += 2 * (t(d) + 1);
            }
            for s in &cat.services {
                n += PER_SERVICE + esc(&s.id);
                if let Some(p) = s.third_party.as_deref().and_then(|id| config.third_party(id)) {
                    n += t(&p.name) + 2 + 5;
                }
            }
        }
        let link = config.third_parties.iter().map(|p| 2 * t(&p.name) + t(&p.collects) + t(&p.purpose) + esc(&p.id));
        let login = config.oauth.iter().map(|o| 3 * t(&o.name) + t(&o.receives) + esc(&o.id));
        n += link.chain(login).max().map_or(0, |x| x + DISCLOSURE);
        most = most.max(n);
    }
    most
}

/// The path and byte length of the longest text that goes into receipts.
fn longest_text(config: &Config) -> (String, usize) {
    use super::value::Path;
    let mut best = (String::new(), 0);
    let mut see = |path: &Path, text: &L10n| {
        for (code, t) in [("kk", &text.kk), ("ru", &text.ru)] {
            if t.len() > best.1 {
                best = (Path::Key(path, code).render(), t.len());
            }
        }
    };
    let (root, ctl) = (Path::Root, Path::Key(&Path::Root, "controller"));
    see(&Path::Key(&ctl, "name"), &config.controller.name);
    if let Some(a) = &config.controller.address {
        see(&Path::Key(&ctl, "address"), a);
    }
    let cats = Path::Key(&root, "categories");
    for (i, c) in config.categories.iter().enumerate() {
        let at = Path::Index(&cats, i);
        see(&Path::Key(&at, "title"), &c.title);
        see(&Path::Key(&at, "description"), &c.description);
        let data = Path::Key(&at, "data");
        for (j, d) in c.data.iter().enumerate() {
            see(&Path::Index(&data, j), d);
        }
    }
    let parties = Path::Key(&root, "thirdParties");
    for (i, t) in config.third_parties.iter().enumerate() {
        let at = Path::Index(&parties, i);
        for (field, text) in [("name", &t.name), ("collects", &t.collects), ("purpose", &t.purpose)] {
            see(&Path::Key(&at, field), text);
        }
    }
    let oauth = Path::Key(&root, "oauth");
    for (i, o) in config.oauth.iter().enumerate() {
        let at = Path::Index(&oauth, i);
        for (field, text) in [("name", &o.name), ("receives", &o.receives)] {
            see(&Path::Key(&at, field), text);
        }
    }
    if config.policy.version.len() > best.1 {
        best = ("policy.version".into(), config.policy.version.len());
    }
    best
}

/// A receipt without its chain link: its canonical text is
/// `head` + `{"prev":...,"seq":...}` + `tail` ([`Unsealed::seal`]).
#[derive(Debug, Clone, PartialEq)]
pub struct Unsealed {
    /// `consentReceiptID`.
    pub id: String,
    /// `piiPrincipalId`: whose chain it joins.
    pub subject: String,
    /// The text up to `"kelisim":{"chain":`.
    pub head: String,
    /// The text after the chain link.
    pub tail: String,
}

impl Unsealed {
    /// The receipt's canonical text with `kelisim.chain` = `{seq, prev}`.
    pub fn seal(&self, seq: u64, prev: Option<&str>) -> String {
        let mut w = W(self.head.clone());
        w.raw("{\"prev\":");
        match prev {
            Some(p) => w.s(p),
            None => w.raw("null"),
        };
        w.raw(",\"seq\":").int(seq as i64).raw("}").raw(&self.tail);
        w.0
    }
}

/// Builds a receipt (canonical JSON, see [`super::json`]) without its chain
/// link.
///
/// `services` has one entry per category the consent accepts; the Law
/// No. 94-V items describe what the consent allows (accepted categories and
/// services only).
pub fn build(config: &Config, consent: &Consent, facts: &Facts, event: &Event) -> Unsealed {
    let lang = facts.language;
    let ctl = &config.controller;
    let name = ctl.name.get(lang);
    let subject = consent.subject.as_str();
    let expires = to_iso(consent.expires_at());

    // Kantara services and what Law No. 94-V asks about, from accepted ids only.
    let mut services = W(String::new());
    let mut transfer = false;
    let mut countries: Vec<&str> = Vec::new();
    let mut data: Vec<&str> = Vec::new();
    for c in config.categories.iter().filter(|c| consent.state(&c.id) == Some(true)) {
        let mut names: Vec<&str> = Vec::new();
        for svc in c.services.iter().filter(|x| consent.state(&x.id) == Some(true)) {
            if let Some(p) = svc.third_party.as_deref().and_then(|id| config.third_party(id)) {
                push_unique(&mut names, p.name.get(lang));
                transfer = true;
                if p.country != "KZ" {
                    json::insert_sorted(&mut countries, &p.country, json::byte_less);
                }
            }
        }
        let mut pii: Vec<&str> = Vec::new();
        for d in &c.data {
            pii.push(d.get(lang));
        }
        if pii.is_empty() {
            pii.push(&c.id);
        }
        for d in &pii {
            push_unique(&mut data, d);
        }
        let w = &mut services;
        w.raw(if w.0.is_empty() { "[" } else { "," });
        w.raw("{\"purposes\":[{\"consentType\":").s(if c.required { "N/A" } else { "EXPLICIT" });
        w.raw(",\"piiCategory\":").strs(&pii);
        w.raw(",\"primaryPurpose\":").bool(c.required);
        w.raw(",\"purpose\":").s(c.description.get(lang));
        w.raw(",\"purposeCategory\":").strs(&[&c.id]);
        w.raw(",\"termination\":").s(TERMINATION);
        w.raw(",\"thirdPartyDisclosure\":").bool(!names.is_empty());
        if !names.is_empty() {
            let mut joined = String::new();
            for n in &names {
                if !joined.is_empty() {
                    joined.push_str(", ");
                }
                joined.push_str(n);
            }
            w.raw(",\"thirdPartyName\":").s(&joined);
        }
        w.raw("}],\"service\":").s(c.title.get(lang)).raw("}");
    }
    // A disclosure names who receives data: one more Kantara service with
    // `thirdPartyDisclosure: true` and the party's name.
    if let Event::Disclosure { kind, party, host, .. } = event {
        let (who, what, why) = disclosed(config, *kind, party, host, lang);
        let w = &mut services;
        w.raw(if w.0.is_empty() { "[" } else { "," });
        w.raw("{\"purposes\":[{\"consentType\":\"EXPLICIT\",\"piiCategory\":").strs(&[what]);
        w.raw(",\"primaryPurpose\":false,\"purpose\":").s(why);
        w.raw(",\"purposeCategory\":").strs(&[match kind {
            DisclosureKind::Link => "third-party link",
            DisclosureKind::OAuth => "third-party log-in",
        }]);
        w.raw(",\"termination\":").s(TERMINATION);
        w.raw(",\"thirdPartyDisclosure\":true,\"thirdPartyName\":").s(who);
        w.raw("}],\"service\":").s(who).raw("}");
    }
    if services.0.is_empty() {
        services.0.push('[');
    }
    services.0.push(']');

    let mut head = W(String::new());
    head.raw("{\"collectionMethod\":").s(facts.method);
    head.raw(",\"consentReceiptID\":").s(facts.id);
    head.raw(",\"consentTimestamp\":").int(facts.now.div_euclid(1000));
    head.raw(",\"jurisdiction\":\"KZ\",\"kelisim\":{\"chain\":");

    let mut w = W(String::new());
    w.raw(",\"consent\":{\"categories\":").states(&consent.categories);
    w.raw(",\"expiresAt\":").s(&expires);
    w.raw(",\"givenAt\":").s(&to_iso(consent.given_at));
    w.raw(",\"id\":").s(&consent.id);
    w.raw(",\"method\":").s(consent.method.as_str());
    w.raw(",\"services\":").states(&consent.services).raw("}");
    if let Event::Disclosure { kind, party, host, outcome } = event {
        let kind = match kind {
            DisclosureKind::Link => "link",
            DisclosureKind::OAuth => "oauth",
        };
        let outcome = match outcome {
            Outcome::Shown => "shown",
            Outcome::Continued => "continued",
            Outcome::Cancelled => "cancelled",
        };
        w.raw(",\"disclosure\":{\"host\":").s(host);
        w.raw(",\"kind\":").s(kind).raw(",\"outcome\":").s(outcome).raw(",\"party\":").s(party).raw("}");
    }
    w.raw(",\"event\":").s(event.name());
    // Whether a Global Privacy Control signal was honoured (consent cookie v2).
    w.raw(",\"gpc\":").bool(consent.gpc);
    w.raw(",\"law94v\":{\"crossBorderCountries\":").strs(&countries);
    w.raw(",\"crossBorderTransfer\":").bool(!countries.is_empty());
    w.raw(",\"dataCollected\":").strs(&data);
    w.raw(",\"operator\":{\"bin\":").s(&ctl.bin).raw(",\"name\":").s(name).raw("}");
    w.raw(",\"publicSources\":").bool(config.public_sources);
    w.raw(",\"subject\":").s(subject);
    w.raw(",\"thirdPartyTransfer\":").bool(transfer);
    w.raw(",\"validUntil\":").s(&expires).raw("}");
    w.raw(",\"policy\":{\"revision\":").int(config.policy.revision as i64);
    w.raw(",\"version\":").s(&config.policy.version).raw("},\"v\":1}");
    w.raw(",\"language\":").s(lang.code());
    w.raw(",\"piiControllers\":[{\"address\":{\"addressCountry\":\"KZ\"");
    if let Some(a) = &ctl.address {
        w.raw(",\"streetAddress\":").s(a.get(lang));
    }
    w.raw("},\"contact\":").s(name);
    w.raw(",\"email\":").s(ctl.email.as_deref().unwrap_or(""));
    w.raw(",\"phone\":").s(&tel(ctl.phone.as_deref().unwrap_or("")));
    w.raw(",\"piiController\":").s(name);
    if let Some(url) = &ctl.url {
        w.raw(",\"piiControllerUrl\":").s(url);
    }
    w.raw("}],\"piiPrincipalId\":").s(subject);
    w.raw(",\"policyUrl\":").s(facts.policy_url);
    w.raw(",\"sensitive\":false,\"services\":").raw(&services.0);
    w.raw(",\"spiCat\":[],\"version\":").s(VERSION).raw("}");

    Unsealed { id: facts.id.into(), subject: subject.into(), head: head.0, tail: w.0 }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests;
