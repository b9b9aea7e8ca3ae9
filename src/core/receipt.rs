//! Consent receipts, format v1: a Kantara Consent Receipt v1.1 object plus one
//! extension object under `"kelisim"` (README, "Consent receipts").
//!
//! [`build`] makes a receipt from the config, the consent and the facts only
//! the shell knows (a fresh receipt id, the clock, the absolute policy URL,
//! which button or call it was). [`seal`] adds the hash chain link
//! (`kelisim.chain`) and returns the canonical text ([`super::json`]) that is
//! stored, sent and hashed. [`Chain`] is the per-subject chain state: the
//! shell hashes with `crypto.subtle` and keeps the state in localStorage.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use super::config::{Config, ConfigError, Lang};
use super::consent::Consent;
use super::json;
use super::session::DecisionKind;
use super::time::to_iso;
use super::value::Value;

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
    /// `collectionMethod`, e.g. `banner: accept all` (see README).
    pub method: &'a str,
    /// The language the visitor read.
    pub language: Lang,
    /// The policy edition's absolute URL in that language.
    pub policy_url: &'a str,
}

fn s(x: &str) -> Value {
    Value::str(x)
}

fn int(n: i64) -> Value {
    Value::Num(n as f64)
}

fn strs(items: &[&str]) -> Value {
    Value::Arr(items.iter().map(|x| s(x)).collect())
}

/// An object from `vec![...]` pairs: one instantiation for every object the
/// receipt has (`Value::obj` with arrays of each length would make many).
fn o(pairs: Vec<(&str, Value)>) -> Value {
    let mut out = Vec::with_capacity(pairs.len());
    for (k, v) in pairs {
        out.push((String::from(k), v));
    }
    Value::Obj(out)
}

fn states(list: &[(String, bool)]) -> Value {
    Value::Obj(list.iter().map(|(k, v)| (k.clone(), Value::Bool(*v))).collect())
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

/// Checks that the config can fill a receipt: Kantara requires the
/// controller's e-mail and phone.
pub fn check(config: &Config) -> Result<(), ConfigError> {
    let c = &config.controller;
    for (field, present) in [("email", c.email.is_some()), ("phone", c.phone.is_some())] {
        if !present {
            return Err(ConfigError {
                path: super::value::cat(&["controller.", field]),
                message: "missing (consent receipts name the controller's e-mail and phone)".into(),
            });
        }
    }
    Ok(())
}

/// Builds a receipt, without its chain link (see [`seal`]).
///
/// `services` has one entry per category the consent accepts; the Law
/// No. 94-V items describe what the consent allows (accepted categories and
/// services only).
pub fn build(config: &Config, consent: &Consent, facts: &Facts, event: &Event) -> Value {
    let lang = facts.language;
    let ctl = &config.controller;
    let name = ctl.name.get(lang);
    let mut address = Vec::new();
    if let Some(a) = &ctl.address {
        address.push(("streetAddress", s(a.get(lang))));
    }
    address.push(("addressCountry", s("KZ")));
    let mut controller = vec![
        ("piiController", s(name)),
        ("contact", s(name)),
        ("address", o(address)),
        ("email", s(ctl.email.as_deref().unwrap_or(""))),
        ("phone", s(&tel(ctl.phone.as_deref().unwrap_or("")))),
    ];
    if let Some(url) = &ctl.url {
        controller.push(("piiControllerUrl", s(url)));
    }

    let mut services = Vec::new();
    let mut parties = Vec::new();
    let mut data: Vec<&str> = Vec::new();
    for c in config.categories.iter().filter(|c| consent.state(&c.id) == Some(true)) {
        let mut names: Vec<&str> = Vec::new();
        for svc in c.services.iter().filter(|x| consent.state(&x.id) == Some(true)) {
            if let Some(p) = svc.third_party.as_deref().and_then(|id| config.third_party(id)) {
                push_unique(&mut names, p.name.get(lang));
                if !parties.iter().any(|q: &&super::config::ThirdParty| q.id == p.id) {
                    parties.push(p);
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
        let shared = !names.is_empty();
        let mut purpose = vec![
            ("purpose", s(c.description.get(lang))),
            ("purposeCategory", strs(&[&c.id])),
            ("consentType", s(if c.required { "N/A" } else { "EXPLICIT" })),
            ("piiCategory", strs(&pii)),
            ("primaryPurpose", Value::Bool(c.required)),
            ("termination", s(TERMINATION)),
            ("thirdPartyDisclosure", Value::Bool(shared)),
        ];
        if shared {
            let mut joined = String::new();
            for (i, n) in names.iter().enumerate() {
                if i > 0 {
                    joined.push_str(", ");
                }
                joined.push_str(n);
            }
            purpose.push(("thirdPartyName", Value::Str(joined)));
        }
        services.push(o(vec![("service", s(c.title.get(lang))), ("purposes", Value::Arr(vec![o(purpose)]))]));
    }
    let mut countries: Vec<&str> = Vec::new();
    for p in &parties {
        if p.country != "KZ" {
            json::insert_sorted(&mut countries, &p.country);
        }
    }

    let expires = to_iso(consent.expires_at());
    let mut ext = vec![
        ("v", int(1)),
        ("event", s(event.name())),
        (
            "consent",
            o(vec![
                ("id", s(&consent.id)),
                ("method", s(consent.method.as_str())),
                ("categories", states(&consent.categories)),
                ("services", states(&consent.services)),
                ("givenAt", s(&to_iso(consent.given_at))),
                ("expiresAt", s(&expires)),
            ]),
        ),
        (
            "policy",
            o(vec![("version", s(&config.policy.version)), ("revision", int(config.policy.revision as i64))]),
        ),
        (
            "law94v",
            o(vec![
                ("operator", o(vec![("name", s(name)), ("bin", s(&ctl.bin))])),
                ("subject", s(&consent.subject)),
                ("validUntil", s(&expires)),
                ("thirdPartyTransfer", Value::Bool(!parties.is_empty())),
                ("crossBorderTransfer", Value::Bool(!countries.is_empty())),
                ("crossBorderCountries", strs(&countries)),
                ("publicSources", Value::Bool(config.public_sources)),
                ("dataCollected", strs(&data)),
            ]),
        ),
    ];
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
        ext.push(("disclosure", o(vec![("kind", s(kind)), ("party", s(party)), ("host", s(host)), ("outcome", s(outcome))])));
    }

    o(vec![
        ("version", s(VERSION)),
        ("jurisdiction", s("KZ")),
        ("consentTimestamp", int(facts.now.div_euclid(1000))),
        ("collectionMethod", s(facts.method)),
        ("consentReceiptID", s(facts.id)),
        ("language", s(lang.code())),
        ("piiPrincipalId", s(&consent.subject)),
        ("piiControllers", Value::Arr(vec![o(controller)])),
        ("policyUrl", s(facts.policy_url)),
        ("services", Value::Arr(services)),
        ("sensitive", Value::Bool(false)),
        ("spiCat", Value::Arr(Vec::new())),
        ("kelisim", o(ext)),
    ])
}

/// Sets `kelisim.chain` to `{seq, prev}` and returns the receipt's canonical text.
pub fn seal(receipt: &mut Value, seq: u64, prev: Option<&str>) -> String {
    let link = o(vec![("seq", int(seq as i64)), ("prev", prev.map_or(Value::Null, s))]);
    if let Value::Obj(top) = receipt {
        if let Some((_, Value::Obj(ext))) = top.iter_mut().find(|(k, _)| k == "kelisim") {
            ext.retain(|(k, _)| k != "chain");
            ext.push(("chain".into(), link));
        }
    }
    json::canonical(receipt)
}

/// The receipt's `piiPrincipalId` (whose chain it belongs to).
pub fn subject(receipt: &Value) -> &str {
    match receipt.get("piiPrincipalId") {
        Some(Value::Str(x)) => x,
        _ => "",
    }
}

/// The subject's hash chain: the last receipt's number and, once hashed, its
/// SHA-256 (lowercase hex); until then its canonical text, so a page closed
/// before hashing finishes loses nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct Chain {
    /// `piiPrincipalId`.
    pub subject: String,
    /// The last receipt's `chain.seq`.
    pub seq: u64,
    /// Its hash, or its text while the hash is pending.
    pub last: Last,
}

/// The last receipt of a chain.
#[derive(Debug, Clone, PartialEq)]
pub enum Last {
    /// SHA-256 of its canonical text, lowercase hex.
    Hash(String),
    /// Its canonical text, not hashed yet.
    Text(String),
}

impl Chain {
    /// `(seq, prev)` for the next receipt of `subject`, or `None` while the
    /// previous receipt's hash is still being computed. A new subject starts
    /// a new chain at 1.
    pub fn next<'a>(chain: Option<&'a Chain>, subject: &str) -> Option<(u64, Option<&'a str>)> {
        match chain {
            Some(c) if c.subject == subject => match &c.last {
                Last::Hash(h) => Some((c.seq + 1, Some(h))),
                Last::Text(_) => None,
            },
            _ => Some((1, None)),
        }
    }

    /// The stored form: `{"subject","seq","hash"}` or `{"subject","seq","text"}`.
    pub fn to_value(&self) -> Value {
        let last = match &self.last {
            Last::Hash(h) => ("hash", s(h)),
            Last::Text(t) => ("text", s(t)),
        };
        o(vec![("subject", s(&self.subject)), ("seq", int(self.seq as i64)), last])
    }

    /// Reads [`Chain::to_value`]'s output; `None` for anything else.
    pub fn from_value(v: &Value) -> Option<Chain> {
        let Some(Value::Str(subject)) = v.get("subject") else { return None };
        let Some(Value::Num(seq)) = v.get("seq") else { return None };
        let last = match (v.get("hash"), v.get("text")) {
            (Some(Value::Str(h)), None) => Last::Hash(h.clone()),
            (None, Some(Value::Str(t))) => Last::Text(t.clone()),
            _ => return None,
        };
        (*seq >= 1.0 && *seq == (*seq as u64) as f64).then(|| Chain { subject: subject.clone(), seq: *seq as u64, last })
    }
}

/// SHA-256 output as lowercase hex.
pub fn hex(digest: &[u8]) -> String {
    let mut out = String::with_capacity(64);
    json::push_hex(&mut out, digest);
    out
}

#[cfg(test)]
mod tests;
