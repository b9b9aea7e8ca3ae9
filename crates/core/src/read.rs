//! Reading the consent on a server, from a request's `Cookie` header.
//!
//! [`consent()`] gives exactly what the browser's `getConsent()` gives for the
//! same cookies, config and clock, because it is the browser's own path:
//!
//! 1. every value of the consent cookie's name in the header
//!    ([`cookies::values`], the rule the browser applies to `document.cookie`);
//! 2. with several values, the visitor's latest readable decision, or none when
//!    no single one is latest ([`cookies::several`]; the browser then deletes
//!    the other copies, which a server cannot, and reads the winner);
//! 3. the value decoded ([`codec::decode`]), read against the config and the
//!    clock ([`consent::admit`]) and checked ([`consent::check`]), as
//!    [`Session::start`](crate::session::Session::start) and `getConsent()`
//!    do (a test runs both on every published test vector).
//!
//! [`to_value`] turns the result into the public JSON shape of `getConsent()`.
//!
//! One difference is left: when a copy of the cookie at another path or
//! domain cannot be removed, the browser reads nothing (the state is unknown)
//! while the server, which sees the request before any clean-up, reads the
//! latest decision among the copies.
//!
//! ```
//! use kelisim_core::{codec, config, read, value::Value};
//! use kelisim_core::consent::{Consent, Method};
//! use kelisim_core::config::Lang;
//!
//! // A config as the site serves it (here a minimal one, built in code).
//! let l10n = |s: &str| Value::obj([("kk", Value::str(s)), ("ru", Value::str(s))]);
//! let category = |id: &str, required: bool| Value::obj([
//!     ("id", Value::str(id)),
//!     ("required", Value::Bool(required)),
//!     ("title", l10n(id)),
//!     ("description", l10n(id)),
//!     ("data", Value::Arr(vec![l10n(id)])),
//! ]);
//! let config = config::decode(&Value::obj([
//!     ("controller", Value::obj([("name", l10n("ЖШС")), ("bin", Value::str("210540019876"))])),
//!     ("policy", Value::obj([
//!         ("version", Value::str("1.0")),
//!         ("revision", Value::Num(1.0)),
//!         ("url", l10n("/privacy.html")),
//!     ])),
//!     ("categories", Value::Arr(vec![category("necessary", true), category("analytics", false)])),
//! ])).unwrap();
//!
//! // A cookie as the browser wrote it (the core's encoder computes the checksum).
//! let given_at = 1_767_225_600_000; // 2026-01-01T00:00:00Z
//! let value = codec::encode(&Consent {
//!     id: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b".into(),
//!     subject: "0b9e8d7c-6b5a-4948-b736-251403f2e1a1".into(),
//!     given_at,
//!     revision: 1,
//!     language: Lang::Ru,
//!     categories: vec![("necessary".into(), true), ("analytics".into(), false)],
//!     services: vec![],
//!     method: Method::RejectAll,
//!     gpc: false,
//! });
//! let header = format!("session_id=abc; kelisim={value}; theme=dark");
//!
//! let c = read::consent(&config, &header, given_at + 60_000).unwrap();
//! assert_eq!(c.state("analytics"), Some(false));
//! assert_eq!(
//!     kelisim_core::json::canonical(&read::to_value(&c)),
//!     concat!(
//!         r#"{"categories":{"analytics":false,"necessary":true},"expiresAt":"2027-02-01T00:00:00.000Z","#,
//!         r#""givenAt":"2026-01-01T00:00:00.000Z","gpc":false,"id":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","#,
//!         r#""language":"ru","method":"reject-all","revision":1,"services":{},"#,
//!         r#""subject":"0b9e8d7c-6b5a-4948-b736-251403f2e1a1"}"#,
//!     )
//! );
//!
//! // 13 calendar months later it has expired; without the cookie there is nothing.
//! let later = read::consent(&config, &header, 1_801_440_000_000).unwrap_err(); // 2027-02-01
//! assert_eq!(later, read::NoConsent::Invalid(kelisim_core::consent::Invalid::Expired));
//! assert_eq!(later.code(), "expired");
//! assert_eq!(read::consent(&config, "theme=dark", given_at).unwrap_err().code(), "absent");
//! ```

use alloc::string::String;
use super::codec::{self, DecodeError};
use super::config::Config;
use super::consent::{self, Consent, Invalid};
use super::cookies;
use super::time;
use super::value::{cat, Value};

/// Why a request carries no consent. [`NoConsent::code`] is a stable reason
/// code (published with the test vectors); [`NoConsent::detail`] names the
/// field or id where there is one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NoConsent {
    /// No cookie of the configured name (`absent`).
    Absent,
    /// Several cookies of the name and no single latest readable, current
    /// decision among them: a tie, or none readable (`several-no-latest`).
    SeveralNoLatest,
    /// The value could not be decoded (`malformed`, `unknown-version`,
    /// `bad-field` with the field, `checksum`).
    Unreadable(DecodeError),
    /// It was decoded but does not hold (`from-the-future`, `too-old`,
    /// `expired`, `revision-changed`, `unanswered` with the id).
    Invalid(Invalid),
}

impl NoConsent {
    /// The stable reason code.
    pub fn code(&self) -> &'static str {
        match self {
            NoConsent::Absent => "absent",
            NoConsent::SeveralNoLatest => "several-no-latest",
            NoConsent::Unreadable(e) => match e {
                DecodeError::Malformed => "malformed",
                DecodeError::UnknownVersion => "unknown-version",
                DecodeError::BadField(_) => "bad-field",
                DecodeError::Checksum => "checksum",
            },
            NoConsent::Invalid(i) => match i {
                Invalid::FromTheFuture => "from-the-future",
                Invalid::TooOld => "too-old",
                Invalid::Expired => "expired",
                Invalid::RevisionChanged => "revision-changed",
                Invalid::Unanswered(_) => "unanswered",
            },
        }
    }

    /// The field (`bad-field`) or the category or service id (`unanswered`).
    pub fn detail(&self) -> Option<&str> {
        match self {
            NoConsent::Unreadable(DecodeError::BadField(f)) => Some(f),
            NoConsent::Invalid(Invalid::Unanswered(id)) => Some(id),
            _ => None,
        }
    }

    /// Why, as a sentence (the browser's console note says the same).
    pub fn text(&self) -> String {
        match self {
            NoConsent::Absent => "no consent cookie".into(),
            NoConsent::SeveralNoLatest => {
                "several consent cookies of this name and no single latest current decision among them".into()
            }
            NoConsent::Unreadable(e) => cat(&["unreadable consent cookie (", &e.text(), ")"]),
            NoConsent::Invalid(i) => cat(&["the stored consent no longer holds (", &i.text(), ")"]),
        }
    }
}

impl core::fmt::Display for NoConsent {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(&self.text())
    }
}

/// The consent a request's `Cookie` header carries for `config` at `now`
/// (milliseconds since the Unix epoch, UTC), or why there is none. The same
/// answer as the browser's `getConsent()` for the same cookies at `now`; see
/// the [module documentation](self) for the steps and an example.
///
/// `cookie_header` is the whole header (`a=1; kelisim=2.…; b=2`), as the
/// browser sends it; values are read as they are (no percent-decoding, no
/// unquoting: the browser writes neither).
pub fn consent(config: &Config, cookie_header: &str, now: i64) -> Result<Consent, NoConsent> {
    let values = cookies::values(cookie_header, &config.cookie.name);
    match cookies::several(config, &values, now, "", "/") {
        None => value(config, values.first().ok_or(NoConsent::Absent)?, now),
        Some(cleanup) => match cleanup.write {
            Some((winner, _)) => value(config, &winner, now),
            None => Err(NoConsent::SeveralNoLatest),
        },
    }
}

/// The consent one cookie value holds for `config` at `now`, or why none:
/// decoded, admitted and checked as at the browser's start.
pub fn value(config: &Config, value: &str, now: i64) -> Result<Consent, NoConsent> {
    let c = codec::decode(value).map_err(NoConsent::Unreadable)?;
    let c = consent::admit(c, config, now).map_err(NoConsent::Invalid)?;
    consent::check(&c, config, now).map_err(NoConsent::Invalid)?;
    Ok(c)
}

fn states(list: &[(String, bool)]) -> Value {
    Value::Obj(list.iter().map(|(id, on)| (id.clone(), Value::Bool(*on))).collect())
}

/// The public JSON shape of a consent, as `getConsent()` returns it (see
/// `Consent` in `kelisim.d.ts`): `id`, `subject`, `givenAt` and `expiresAt`
/// (ISO 8601 UTC with milliseconds), `revision`, `language`, `categories`
/// and `services` (`{id: boolean}`, in config order), `method`, `gpc`.
pub fn to_value(c: &Consent) -> Value {
    Value::obj([
        ("id", Value::str(c.id.as_str())),
        ("subject", Value::str(c.subject.as_str())),
        ("givenAt", Value::Str(time::to_iso(c.given_at))),
        ("expiresAt", Value::Str(time::to_iso(c.expires_at()))),
        ("revision", Value::Num(c.revision as f64)),
        ("language", Value::str(c.language.code())),
        ("categories", states(&c.categories)),
        ("services", states(&c.services)),
        ("method", Value::str(c.method.as_str())),
        ("gpc", Value::Bool(c.gpc)),
    ])
}
