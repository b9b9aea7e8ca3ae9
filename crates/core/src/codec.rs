//! The consent cookie's value: a versioned, compact, checksummed text format.
//!
//! Version 2 is eleven fields joined by `.`:
//!
//! ```text
//! 2.<id>.<subject>.<givenAt>.<revision>.<language>.<method>.<categories>.<services>.<gpc>.<check>
//! 2.6f1c…-…4e.0b9e…-…a1.1735689600000.1.kk.custom.necessary:1~analytics:0.yandex-metrica:0.1.9c1d2e3f
//! ```
//!
//! Version 1 (still read, as `gpc` = false) is the same without `<gpc>`.
//!
//! - `id`, `subject`: lowercase UUID v4, 36 characters.
//! - `givenAt`: milliseconds since the Unix epoch, decimal. `expiresAt` is not
//!   stored: it is always 13 calendar months after `givenAt`.
//! - `revision`: the policy revision, decimal.
//! - `language`: `kk` or `ru`. `method`: `accept-all`, `reject-all`, `custom`, `withdraw`.
//! - `categories`, `services`: `id:1` (accepted) or `id:0` (refused), joined by `~`;
//!   empty when there are none.
//! - `gpc`: `1` when a Global Privacy Control signal was honoured, else `0`.
//! - `check`: FNV-1a 32-bit of everything before the last `.`, 8 lowercase hex digits.
//!   It detects corruption and hand edits; it is not a signature.
//!
//! Every character is allowed in a cookie value without quoting or percent-encoding,
//! and survives servers that URL-decode cookies (no `+` or `%`).
//!
//! Decoding never panics: anything malformed reads as [`DecodeError`], which the
//! shell treats as "no consent".

use alloc::string::String;
use alloc::vec::Vec;
use super::config::Lang;
use super::consent::{Consent, Method};
use super::value::{all_bytes, char_is, push_int};
use core::fmt;

/// The format version this build writes.
pub const VERSION: &str = "2";
/// The longest value the decoder reads; a cookie is at most 4,096 bytes.
pub const MAX_LEN: usize = 4096;

/// Why a cookie value was not read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Empty, too long, or not the right number of fields.
    Malformed,
    /// A version this build does not know.
    UnknownVersion,
    /// A field has the wrong form (named).
    BadField(&'static str),
    /// The checksum does not match: the value was altered or truncated.
    Checksum,
}

impl DecodeError {
    /// What went wrong, for a console note.
    pub fn text(&self) -> String {
        match self {
            DecodeError::Malformed => "malformed value".into(),
            DecodeError::UnknownVersion => "unknown format version".into(),
            DecodeError::BadField(name) => {
                let mut s = String::from("bad field `");
                s.push_str(name);
                s.push('`');
                s
            }
            DecodeError::Checksum => "checksum mismatch (altered or truncated)".into(),
        }
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text())
    }
}

/// FNV-1a, 32 bits.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| (h ^ b as u32).wrapping_mul(0x0100_0193))
}

fn push_list(out: &mut String, list: &[(String, bool)]) {
    for (i, (id, on)) in list.iter().enumerate() {
        if i > 0 {
            out.push('~');
        }
        out.push_str(id);
        out.push_str(if *on { ":1" } else { ":0" });
    }
}

/// Encodes a consent as a cookie value.
pub fn encode(c: &Consent) -> String {
    let mut out = String::with_capacity(160);
    for part in [VERSION, &c.id, &c.subject] {
        out.push_str(part);
        out.push('.');
    }
    push_int(&mut out, c.given_at);
    out.push('.');
    push_int(&mut out, c.revision as i64);
    out.push('.');
    for part in [c.language.code(), c.method.as_str()] {
        out.push_str(part);
        out.push('.');
    }
    push_list(&mut out, &c.categories);
    out.push('.');
    push_list(&mut out, &c.services);
    out.push_str(if c.gpc { ".1" } else { ".0" });
    let check = fnv1a(out.as_bytes());
    out.push('.');
    push_check(&mut out, check);
    out
}

/// Appends a checksum as 8 lowercase hex digits.
fn push_check(out: &mut String, check: u32) {
    for shift in (0..8).rev() {
        let nibble = (check >> (shift * 4)) & 0xf;
        out.push(char::from_digit(nibble, 16).unwrap_or('0'));
    }
}

/// The `check` field for `body` (everything before the last `.`): FNV-1a
/// 32-bit of its bytes as 8 lowercase hex digits, as [`encode`] writes it.
/// For test tools that build values with a valid checksum around other
/// changes (a malformed field, an old version).
pub fn checksum(body: &str) -> String {
    let mut out = String::with_capacity(8);
    push_check(&mut out, fnv1a(body.as_bytes()));
    out
}

pub(crate) fn is_uuid(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, &c)| match i {
            8 | 13 | 18 | 23 => c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(&c),
        })
}

fn is_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= super::config::MAX_ID_LEN
        && all_bytes(s, super::config::id_byte)
}

/// The value of 1 to `max` decimal digits (`max` at most 18, so it cannot overflow).
fn digits(s: &str, max: usize) -> Option<i64> {
    if s.is_empty() || s.len() > max {
        return None;
    }
    s.bytes().try_fold(0i64, |n, b| b.is_ascii_digit().then(|| n * 10 + (b - b'0') as i64))
}

fn list(s: &str, name: &'static str) -> Result<Vec<(String, bool)>, DecodeError> {
    if s.is_empty() {
        return Ok(Vec::new());
    }
    let mut out: Vec<(String, bool)> = Vec::new();
    for item in s.split(char_is('~')) {
        let (id, flag) = item.split_once(char_is(':')).ok_or(DecodeError::BadField(name))?;
        let on = match flag {
            "1" => true,
            "0" => false,
            _ => return Err(DecodeError::BadField(name)),
        };
        if !is_id(id) || out.iter().any(|(k, _)| k == id) {
            return Err(DecodeError::BadField(name));
        }
        out.push((id.into(), on));
    }
    Ok(out)
}

/// Decodes a cookie value written by [`encode`] (this or an earlier version).
pub fn decode(value: &str) -> Result<Consent, DecodeError> {
    if value.is_empty() || value.len() > MAX_LEN {
        return Err(DecodeError::Malformed);
    }
    let (body, check) = value.rsplit_once(char_is('.')).ok_or(DecodeError::Malformed)?;
    let mut parts = body.split(char_is('.'));
    // Version 1 has no `gpc` field.
    let n = match parts.next() {
        Some("1") => 8,
        Some(v) if v == VERSION => 9,
        _ => return Err(DecodeError::UnknownVersion),
    };
    let mut f = ["0"; 9];
    for slot in f.iter_mut().take(n) {
        *slot = parts.next().ok_or(DecodeError::Malformed)?;
    }
    if parts.next().is_some() {
        return Err(DecodeError::Malformed);
    }
    let [id, subject, given_at, revision, language, method, categories, services, gpc] = f;
    let lower_hex = check.len() == 8 && all_bytes(check, |b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
    let want = check.bytes().fold(0u32, |h, b| (h << 4) | (b as char).to_digit(16).unwrap_or(0));
    if !lower_hex || want != fnv1a(body.as_bytes()) {
        return Err(DecodeError::Checksum);
    }
    let bad = DecodeError::BadField;
    if !is_uuid(id) {
        return Err(bad("id"));
    }
    if !is_uuid(subject) {
        return Err(bad("subject"));
    }
    let given_at = digits(given_at, 15).ok_or(bad("givenAt"))?;
    let revision = digits(revision, 10)
        .and_then(|r| u32::try_from(r).ok())
        .ok_or(bad("revision"))?;
    Ok(Consent {
        id: id.into(),
        subject: subject.into(),
        given_at,
        revision,
        language: Lang::from_code(language).ok_or(bad("language"))?,
        method: Method::parse(method).ok_or(bad("method"))?,
        categories: list(categories, "categories")?,
        services: list(services, "services")?,
        gpc: match gpc {
            "0" => false,
            "1" => true,
            _ => return Err(bad("gpc")),
        },
    })
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn sample() -> Consent {
        Consent {
            id: "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b".into(),
            subject: "0b9e8d7c-6b5a-4948-b736-251403f2e1a1".into(),
            given_at: 1_735_689_600_000,
            revision: 3,
            language: Lang::Ru,
            categories: vec![("necessary".into(), true), ("analytics".into(), false)],
            services: vec![("yandex-metrica".into(), false)],
            method: Method::Custom,
            gpc: false,
        }
    }

    #[test]
    fn documented_layout() {
        let v = encode(&sample());
        let (body, check) = v.rsplit_once('.').unwrap();
        assert_eq!(
            body,
            "2.6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b.0b9e8d7c-6b5a-4948-b736-251403f2e1a1.\
             1735689600000.3.ru.custom.necessary:1~analytics:0.yandex-metrica:0.0"
        );
        assert_eq!(check.len(), 8);
        assert_eq!(decode(&v), Ok(sample()));
    }

    /// A value written by version 1 of the format, frozen here so that a future
    /// format change must keep reading it (or bump the version deliberately).
    #[test]
    fn reads_a_frozen_version_1_value() {
        let frozen = "1.6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b.0b9e8d7c-6b5a-4948-b736-251403f2e1a1.\
                      1735689600000.3.ru.custom.necessary:1~analytics:0.yandex-metrica:0.";
        let body = &frozen[..frozen.len() - 1];
        let v = format!("{frozen}{:08x}", fnv1a(body.as_bytes()));
        assert_eq!(decode(&v), Ok(sample()));
        assert_eq!(fnv1a(b""), 0x811c_9dc5);
        assert_eq!(fnv1a(b"a"), 0xe40c_292c); // published FNV-1a test vector
    }

    /// A version 2 value, frozen: `gpc` is the field before the checksum.
    #[test]
    fn reads_a_frozen_version_2_value() {
        let frozen = "2.6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b.0b9e8d7c-6b5a-4948-b736-251403f2e1a1.\
                      1735689600000.3.ru.custom.necessary:1~analytics:0.yandex-metrica:0.1.";
        let body = &frozen[..frozen.len() - 1];
        let v = format!("{frozen}{:08x}", fnv1a(body.as_bytes()));
        assert_eq!(decode(&v), Ok(Consent { gpc: true, ..sample() }));
        for bad in ["2", "x", ""] {
            let body = format!("{}{bad}", &body[..body.len() - 1]);
            let v = format!("{body}.{:08x}", fnv1a(body.as_bytes()));
            assert_eq!(decode(&v), Err(DecodeError::BadField("gpc")), "{bad:?}");
        }
        // A version 1 body with a gpc field is malformed.
        let v1_with = body.replacen('2', "1", 1);
        let v = format!("{v1_with}.{:08x}", fnv1a(v1_with.as_bytes()));
        assert_eq!(decode(&v), Err(DecodeError::Malformed));
    }

    #[test]
    fn rejects_tampering_truncation_and_unknown_versions() {
        let v = encode(&sample());
        let tampered = v.replace("analytics:0", "analytics:1");
        assert_eq!(decode(&tampered), Err(DecodeError::Checksum));
        for cut in 0..v.len() {
            assert!(decode(&v[..cut]).is_err(), "prefix of length {cut} decoded");
        }
        assert_eq!(decode(&v.replacen('2', "3", 1)), Err(DecodeError::UnknownVersion));
        assert_eq!(decode(""), Err(DecodeError::Malformed));
        assert_eq!(decode("garbage"), Err(DecodeError::Malformed));
        assert_eq!(decode("7.x"), Err(DecodeError::UnknownVersion));
    }

    #[test]
    fn error_texts() {
        assert_eq!(DecodeError::BadField("givenAt").to_string(), "bad field `givenAt`");
        assert_eq!(DecodeError::Checksum.to_string(), "checksum mismatch (altered or truncated)");
        assert_eq!(DecodeError::Malformed.text(), "malformed value");
    }

    #[test]
    fn forty_services_fit_in_a_cookie() {
        let long = |i: usize| format!("{:0>32}", i); // ids at the maximum length
        let mut c = sample();
        c.categories = (0..crate::config::MAX_CATEGORIES).map(|i| (long(i), true)).collect();
        c.services = (0..crate::config::MAX_SERVICES).map(|i| (long(100 + i), i % 2 == 0)).collect();
        let v = encode(&c);
        // name "kelisim=" plus the value must stay under the 4,096-byte cookie limit
        assert!(v.len() + "kelisim=".len() < 4096, "{} bytes", v.len());
        assert_eq!(decode(&v), Ok(c));
    }

    fn arb_id() -> impl Strategy<Value = String> {
        "[a-z0-9_-]{1,32}"
    }

    fn arb_list() -> impl Strategy<Value = Vec<(String, bool)>> {
        proptest::collection::btree_map(arb_id(), any::<bool>(), 0..40).prop_map(|m| m.into_iter().collect())
    }

    fn arb_uuid() -> impl Strategy<Value = String> {
        "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
    }

    prop_compose! {
        fn arb_consent()(
            id in arb_uuid(), subject in arb_uuid(),
            given_at in 0i64..=7_258_118_400_000, revision in 0u32..=i32::MAX as u32,
            ru in any::<bool>(), m in 0usize..4,
            categories in arb_list(), services in arb_list(), gpc in any::<bool>(),
        ) -> Consent {
            Consent {
                id, subject, given_at, revision,
                language: if ru { Lang::Ru } else { Lang::Kk },
                method: [Method::AcceptAll, Method::RejectAll, Method::Custom, Method::Withdraw][m],
                categories, services, gpc,
            }
        }
    }

    proptest! {
        #[test]
        fn round_trips(c in arb_consent()) {
            let v = encode(&c);
            prop_assert!(v.bytes().all(|b| b.is_ascii_graphic() && !b";,\\\"+%".contains(&b)));
            prop_assert_eq!(decode(&v), Ok(c));
        }

        #[test]
        fn random_bytes_never_panic_and_rarely_decode(bytes in proptest::collection::vec(any::<u8>(), 0..600)) {
            let s = String::from_utf8_lossy(&bytes);
            prop_assert!(decode(&s).is_err());
        }

        #[test]
        fn any_single_byte_change_is_detected(c in arb_consent(), pos in any::<prop::sample::Index>(), b in 0x21u8..0x7f) {
            let v = encode(&c);
            let i = pos.index(v.len());
            prop_assume!(v.as_bytes()[i] != b);
            let mut bytes = v.into_bytes();
            bytes[i] = b;
            let s = String::from_utf8(bytes).unwrap();
            prop_assert!(decode(&s).is_err(), "{} decoded", s);
        }
    }
}
