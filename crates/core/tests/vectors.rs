//! The published test vectors, `tests/vectors/consent-cookies.json`: cookie
//! headers with the consent each must read as (or `null` and why), for
//! servers in any language.
//!
//! The cases are built here, every cookie value with the core's own encoder
//! and checksum, and every expectation is computed by the core
//! ([`read::consent`], [`read::to_value`]). The test fails when the committed
//! file differs, so the file is a frozen contract: a change in the reading
//! rules shows up as a diff to review. `KELISIM_UPDATE_VECTORS=1 cargo test -p
//! kelisim-core --test vectors` rewrites it.
//!
//! Each case is also run through the browser's own start
//! ([`Session::start`] with the value the browser would read), which must give
//! the same consent and the same reason.

use kelisim_core::codec;
use kelisim_core::config::{self, Config, Lang};
use kelisim_core::consent::{Consent, Method, CLOCK_SKEW_MS, FORMAT_EPOCH_MS};
use kelisim_core::cookies;
use kelisim_core::json;
use kelisim_core::read::{self, NoConsent};
use kelisim_core::session::{Discarded, Hints, Session};
use kelisim_core::value::Value;
use std::path::PathBuf;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}


/// A config by its name in the vectors: `demo` or a file under tests/vectors/.
fn load_config(name: &str) -> Config {
    let path = if name == "demo" { root().join("www/kelisim.config.json") } else { root().join("tests/vectors").join(name) };
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    config::decode(&Value::from(&json)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

const ID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";
const ID2: &str = "7a2d3b4c-5e6f-4a70-9b8c-0d1e2f3a4b5c";
const SUBJECT: &str = "0b9e8d7c-6b5a-4948-b736-251403f2e1a1";
/// 2026-01-15T10:00:00Z
const GIVEN: i64 = 1_768_471_200_000;
const DAY: i64 = 86_400_000;
/// One day after [`GIVEN`].
const NOW: i64 = GIVEN + DAY;

fn s(list: &[(&str, bool)]) -> Vec<(String, bool)> {
    list.iter().map(|(k, v)| (k.to_string(), *v)).collect()
}

/// A decision on the vectors' site config (`site.json`).
fn consent(method: Method, cats: &[(&str, bool)], svcs: &[(&str, bool)]) -> Consent {
    Consent {
        id: ID.into(),
        subject: SUBJECT.into(),
        given_at: GIVEN,
        revision: 1,
        language: Lang::Kk,
        categories: s(cats),
        services: s(svcs),
        method,
        gpc: false,
    }
}

fn accept_all() -> Consent {
    consent(
        Method::AcceptAll,
        &[("necessary", true), ("analytics", true), ("marketing", true)],
        &[("session", true), ("yandex-metrica", true), ("google-analytics", true), ("vk-pixel", true)],
    )
}

fn reject_all() -> Consent {
    consent(
        Method::RejectAll,
        &[("necessary", true), ("analytics", false), ("marketing", false)],
        &[("session", true), ("yandex-metrica", false), ("google-analytics", false), ("vk-pixel", false)],
    )
}

fn custom() -> Consent {
    Consent {
        language: Lang::Ru,
        ..consent(
            Method::Custom,
            &[("necessary", true), ("analytics", true), ("marketing", false)],
            &[("session", true), ("yandex-metrica", true), ("google-analytics", false), ("vk-pixel", false)],
        )
    }
}

/// A value whose body is `body` with a valid checksum (the core's).
fn signed(body: &str) -> String {
    format!("{body}.{}", codec::checksum(body))
}

/// The encoded value of `c` with one field (by index in the version 2
/// layout, 0 = version) replaced, re-checksummed.
fn with_field(c: &Consent, index: usize, field: &str) -> String {
    let v = codec::encode(c);
    let (body, _) = v.rsplit_once('.').unwrap();
    let mut fields: Vec<&str> = body.split('.').collect();
    fields[index] = field;
    signed(&fields.join("."))
}

/// The version 1 form of `c` (no `gpc` field).
fn v1(c: &Consent) -> String {
    let v = codec::encode(c);
    let (body, _) = v.rsplit_once('.').unwrap();
    let (body, _gpc) = body.rsplit_once('.').unwrap();
    signed(&format!("1{}", &body[1..]))
}

fn at(c: &Consent, given_at: i64) -> Consent {
    Consent { given_at, ..c.clone() }
}

fn enc(c: &Consent) -> String {
    codec::encode(c)
}

struct Case {
    name: &'static str,
    config: &'static str,
    header: String,
    now: i64,
}

fn case(name: &'static str, config: &'static str, header: impl Into<String>, now: i64) -> Case {
    Case { name, config, header: header.into(), now }
}

fn kc(value: &str) -> String {
    format!("kelisim={value}")
}

fn cases() -> Vec<Case> {
    let site = "site.json";
    let a = enc(&accept_all());
    // 2025-01-31T12:00:00Z: 13 months later is 2026-02-28T12:00:00Z (no 31 February).
    let jan31 = at(&reject_all(), 1_738_324_800_000);
    let jan31_expires = kelisim_core::time::expires_at(jan31.given_at);
    // 2027-01-31T08:30:00Z: 13 months later is 2028-02-29T08:30:00Z (a leap year).
    let leap = at(&custom(), 1_801_384_200_000);
    let leap_expires = kelisim_core::time::expires_at(leap.given_at);
    let mut gpc = consent(
        Method::AcceptAll,
        &[("necessary", true), ("analytics", true), ("marketing", false)],
        &[("session", true), ("yandex-metrica", true), ("google-analytics", true), ("vk-pixel", false)],
    );
    gpc.gpc = true;
    let forged = consent(
        Method::Custom,
        &[("necessary", true), ("evil", true), ("analytics", false), ("marketing", true)],
        &[("session", true), ("evil-pixel", true), ("yandex-metrica", false), ("google-analytics", false), ("vk-pixel", true)],
    );
    let service_under_refused = consent(
        Method::Custom,
        &[("necessary", true), ("analytics", false), ("marketing", false)],
        &[("session", true), ("yandex-metrica", true), ("google-analytics", false), ("vk-pixel", true)],
    );
    let required_off = consent(
        Method::Custom,
        &[("necessary", false), ("analytics", true), ("marketing", false)],
        &[("session", false), ("yandex-metrica", true), ("google-analytics", true), ("vk-pixel", false)],
    );
    let mut withdraw = reject_all();
    withdraw.method = Method::Withdraw;
    withdraw.id = ID2.into();
    let older_accept = at(&accept_all(), GIVEN - 10 * DAY);
    let newer_reject = Consent { id: ID2.into(), ..reject_all() };
    let mut long = accept_all();
    long.categories.extend((0..130).map(|i| (format!("padding-category-{i:03}-xxxxxxxxxxx"), true)));
    let demo_reject = Consent {
        categories: s(&[("necessary", true), ("preferences", false), ("analytics", false), ("marketing", false)]),
        services: s(&[("yandex-metrica", false), ("google-analytics", false), ("facebook-pixel", false), ("vk-pixel", false)]),
        ..reject_all()
    };
    let demo_custom = Consent {
        method: Method::Custom,
        categories: s(&[("necessary", true), ("preferences", true), ("analytics", true), ("marketing", false)]),
        services: s(&[("yandex-metrica", false), ("google-analytics", true), ("facebook-pixel", false), ("vk-pixel", false)]),
        ..reject_all()
    };
    vec![
        // Valid decisions, each method, both versions.
        case("v2 accept-all", site, kc(&a), NOW),
        case("v2 reject-all", site, kc(&enc(&reject_all())), NOW),
        case("v2 custom, in Russian", site, kc(&enc(&custom())), NOW),
        case("v2 withdraw", site, kc(&enc(&withdraw)), NOW),
        case("v2 accept-all under a Global Privacy Control signal (gpc 1, sharing refused)", site, kc(&enc(&gpc)), NOW),
        case("v1 value (no gpc field) reads as gpc false", site, kc(&v1(&custom())), NOW),
        case("among other cookies", site, format!("sid=abc123; kelisim={a}; _ga=GA1.2.3.4"), NOW),
        case("demo config, reject-all", "demo", kc(&enc(&demo_reject)), NOW),
        case("demo config, custom", "demo", kc(&enc(&demo_custom)), NOW),
        case("custom cookie name", "site-cookie-name.json", format!("shop_consent={a}"), NOW),
        // Nothing to read.
        case("no Cookie header at all", site, "", NOW),
        case("other cookies only", site, "sid=abc123; _ga=GA1.2.3.4", NOW),
        case("names that only contain the cookie name", site, format!("xkelisim={a}; kelisim2={a}; a=kelisim={a}"), NOW),
        case("the default name under a config with a custom cookie name", "site-cookie-name.json", kc(&a), NOW),
        // Unreadable values.
        case("empty value", site, "kelisim=", NOW),
        case("garbage", site, "kelisim=yes", NOW),
        case("checksum broken (a state flipped after writing)", site, kc(&a.replace("vk-pixel:1", "vk-pixel:0")), NOW),
        case("checksum in upper case", site, kc(&{
            let (body, check) = a.rsplit_once('.').unwrap();
            format!("{body}.{}", check.to_uppercase())
        }), NOW),
        case("truncated (checksum cut short)", site, kc(&a[..a.len() - 1]), NOW),
        case("unknown format version 3", site, kc(&with_field(&accept_all(), 0, "3")), NOW),
        case("a field missing", site, kc(&signed(&{
            let v = enc(&accept_all());
            let (body, _) = v.rsplit_once('.').unwrap();
            let (body, _) = body.rsplit_once('.').unwrap();
            body.to_string()
        })), NOW),
        case("a field too many", site, kc(&with_field(&accept_all(), 9, "1.1")), NOW),
        case("id not a lowercase UUID", site, kc(&with_field(&accept_all(), 1, &ID.to_uppercase())), NOW),
        case("subject not a UUID", site, kc(&with_field(&accept_all(), 2, "visitor-42")), NOW),
        case("givenAt not decimal digits", site, kc(&with_field(&accept_all(), 3, "1768471200000x")), NOW),
        case("givenAt longer than 15 digits", site, kc(&with_field(&accept_all(), 3, "0001768471200000")), NOW),
        case("revision beyond 32 bits", site, kc(&with_field(&accept_all(), 4, "4294967297")), NOW),
        case("language not kk or ru", site, kc(&with_field(&accept_all(), 5, "en")), NOW),
        case("method unknown", site, kc(&with_field(&accept_all(), 6, "accept")), NOW),
        case("category state not 0 or 1", site, kc(&with_field(&accept_all(), 7, "necessary:1~analytics:2~marketing:1")), NOW),
        case("service listed twice", site, kc(&with_field(&accept_all(), 8, "session:1~vk-pixel:1~vk-pixel:0")), NOW),
        case("gpc not 0 or 1", site, kc(&with_field(&accept_all(), 9, "true")), NOW),
        case("value over 4,096 bytes", site, kc(&enc(&long)), NOW),
        case("quoted value (read as it is: quotes are part of it)", site, format!("kelisim=\"{a}\""), NOW),
        case("percent-encoded dots (read as it is, never decoded)", site, kc(&a.replace('.', "%2E")), NOW),
        case("percent-encoded separator inside the lists", site, kc(&a.replace('~', "%7E")), NOW),
        // Read against the clock.
        case("given 31 January: valid the millisecond before 13 months (28 February)", site, kc(&enc(&jan31)), jan31_expires - 1),
        case("given 31 January: expired at exactly 13 calendar months", site, kc(&enc(&jan31)), jan31_expires),
        case("given 31 January 2027: 13 months end on 29 February 2028", site, kc(&enc(&leap)), leap_expires - 1),
        case("givenAt 5 minutes ahead of the server clock (allowed skew)", site, kc(&enc(&at(&accept_all(), NOW + CLOCK_SKEW_MS))), NOW),
        case("givenAt beyond the allowed skew", site, kc(&enc(&at(&accept_all(), NOW + CLOCK_SKEW_MS + 1))), NOW),
        case("givenAt before the format existed (2025-01-01)", site, kc(&enc(&at(&accept_all(), FORMAT_EPOCH_MS - 1))), NOW),
        case("givenAt exactly when the format began", site, kc(&enc(&at(&accept_all(), FORMAT_EPOCH_MS))), FORMAT_EPOCH_MS + DAY),
        // Read against the config.
        case("policy revision bumped since", "site-revision-2.json", kc(&a), NOW),
        case("a new category never answered", "site-new-category.json", kc(&a), NOW),
        case("a new service never answered", "site-new-service.json", kc(&a), NOW),
        case("unknown ids are dropped", site, kc(&enc(&forged)), NOW),
        case("a service on under a refused category reads as off", site, kc(&enc(&service_under_refused)), NOW),
        case("a required category and its service stored as 0 read as on", site, kc(&enc(&required_off)), NOW),
        // Several cookies of the name.
        case("two cookies: the latest decision wins (listed second)", site, format!("kelisim={}; kelisim={}", enc(&older_accept), enc(&newer_reject)), NOW),
        case("two cookies: the latest decision wins (listed first)", site, format!("kelisim={}; kelisim={}", enc(&newer_reject), enc(&older_accept)), NOW),
        case("two different cookies with the same givenAt: no winner", site, format!("kelisim={}; kelisim={}", a, enc(&newer_reject)), NOW),
        case("the same value twice", site, format!("kelisim={a}; kelisim={a}"), NOW),
        case("two cookies, one unreadable: the readable one", site, format!("kelisim=garbage; kelisim={}", enc(&older_accept)), NOW),
        case("two cookies, none readable", site, "kelisim=garbage; kelisim=", NOW),
        case("two cookies: one dated in the future never wins", site, format!("kelisim={}; kelisim={}", enc(&at(&newer_reject, NOW + CLOCK_SKEW_MS + 1)), enc(&older_accept)), NOW),
        case("two cookies: the latest wins before the revision is checked", "site-revision-2.json", format!("kelisim={}; kelisim={}", enc(&older_accept), enc(&newer_reject)), NOW),
        // Header whitespace.
        case("spaces and tabs around the pairs", site, format!("  sid=1 ;\tkelisim={a}\t ;  _ga=2  "), NOW),
        case("no space after the semicolons, trailing semicolon", site, format!("sid=1;kelisim={a};"), NOW),
        case("space around = is not the cookie's name", site, format!("kelisim ={a}"), NOW),
    ]
}

/// Writes `v` as compact JSON, keys in their order (the shape of `getConsent()`).
fn compact(v: &Value, out: &mut String) {
    match v {
        Value::Obj(pairs) => {
            out.push('{');
            for (i, (k, v)) in pairs.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                json::write_str(k, out);
                out.push_str(": ");
                compact(v, out);
            }
            out.push('}');
        }
        other => json::write(other, out),
    }
}

fn str_json(s: &str) -> String {
    let mut out = String::new();
    json::write_str(s, &mut out);
    out
}

const REASONS: &[(&str, &str)] = &[
    ("absent", "no cookie of the configured name in the header"),
    ("several-no-latest", "several cookies of the name and no single latest readable, unexpired decision among them (a tie between different values, or none readable)"),
    ("malformed", "empty, over 4,096 bytes, or not the number of fields its version has"),
    ("unknown-version", "the first field is not a known format version (1 or 2)"),
    ("checksum", "the last field is not 8 lowercase hex digits equal to FNV-1a 32-bit of everything before the last '.'"),
    ("bad-field", "a field has the wrong form; detail names it (id, subject, givenAt, revision, language, method, categories, services, gpc; checked in this order)"),
    ("from-the-future", "givenAt is more than 5 minutes (300000 ms) after now"),
    ("too-old", "givenAt is before 2025-01-01T00:00:00Z (1735689600000), before the format existed"),
    ("expired", "now is at or after expiresAt, 13 calendar months after givenAt (day clamped to the month's last day), time of day kept, UTC"),
    ("revision-changed", "revision differs from the config's policy.revision"),
    ("unanswered", "a category or service of the config is not in the cookie; detail names the first (config order, each category before its services)"),
];

fn render(cases: &[Case]) -> String {
    let mut out = String::new();
    out.push_str("{\n");
    out.push_str("  \"about\": \"Test vectors for reading the kelisim consent cookie on a server. Each case: a config (a file beside this one, or demo = www/kelisim.config.json), the whole Cookie header, the server clock now (ms since the Unix epoch, UTC), and what must be read: expect is the consent exactly as getConsent() returns it in the browser, or null; why is null or a reason code (see reasons), detail names the field or id where there is one. Generated and checked by crates/core/tests/vectors.rs; every checksum is computed by the core.\",\n");
    out.push_str("  \"rules\": \"docs/cookie-format.md and docs/server.md\",\n");
    out.push_str("  \"reasons\": {\n");
    for (i, (code, text)) in REASONS.iter().enumerate() {
        out.push_str(&format!("    {}: {}{}\n", str_json(code), str_json(text), if i + 1 < REASONS.len() { "," } else { "" }));
    }
    out.push_str("  },\n  \"cases\": [\n");
    let mut configs: Vec<(&str, Config)> = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        if !configs.iter().any(|(n, _)| *n == c.config) {
            configs.push((c.config, load_config(c.config)));
        }
        let config = &configs.iter().find(|(n, _)| *n == c.config).unwrap().1;
        let got = read::consent(config, &c.header, c.now);
        same_as_the_browser(c, config, &got);
        let (expect, why, detail) = match &got {
            Ok(consent) => {
                let mut s = String::new();
                compact(&read::to_value(consent), &mut s);
                (s, "null".to_string(), "null".to_string())
            }
            Err(e) => ("null".to_string(), str_json(e.code()), e.detail().map_or("null".to_string(), str_json)),
        };
        out.push_str("    {\n");
        out.push_str(&format!("      \"name\": {},\n", str_json(c.name)));
        out.push_str(&format!("      \"config\": {},\n", str_json(c.config)));
        out.push_str(&format!("      \"cookieHeader\": {},\n", str_json(&c.header)));
        out.push_str(&format!("      \"now\": {},\n", c.now));
        out.push_str(&format!("      \"nowIso\": {},\n", str_json(&kelisim_core::time::to_iso(c.now))));
        out.push_str(&format!("      \"expect\": {expect},\n"));
        out.push_str(&format!("      \"why\": {why},\n"));
        out.push_str(&format!("      \"detail\": {detail}\n"));
        out.push_str(if i + 1 < cases.len() { "    },\n" } else { "    }\n" });
    }
    out.push_str("  ]\n}\n");
    out
}

/// The browser's path: the value its cookie reading leaves (with several,
/// the one `cookies::several` writes back), then `Session::start` at `now`.
fn same_as_the_browser(c: &Case, config: &Config, got: &Result<Consent, NoConsent>) {
    let values = cookies::values(&c.header, &config.cookie.name);
    let read = match cookies::several(config, &values, c.now, "shop.example.kz", "/") {
        None => values.first().map(|v| v.to_string()),
        Some(cleanup) => cleanup.write.map(|(v, _)| v),
    };
    let (session, _, discarded) = Session::start(config.clone(), &Hints { cookie: read.as_deref(), ..Hints::default() }, c.now);
    assert_eq!(session.consent(), got.as_ref().ok(), "{}: consent differs from Session::start", c.name);
    match (got, discarded) {
        (Ok(_), None) => {}
        (Err(NoConsent::Absent | NoConsent::SeveralNoLatest), None) => {}
        (Err(NoConsent::Unreadable(a)), Some(Discarded::Unreadable(b))) => assert_eq!(*a, b, "{}", c.name),
        (Err(NoConsent::Invalid(a)), Some(Discarded::Invalid(b))) => assert_eq!(*a, b, "{}", c.name),
        (got, d) => panic!("{}: read {got:?}, the browser's start discarded {d:?}", c.name),
    }
}

#[test]
fn published_vectors_match_the_core() {
    let cases = cases();
    assert!(cases.len() >= 25);
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "case names are unique");
    let text = render(&cases);
    // The file is valid JSON.
    let parsed: serde_json::Value = serde_json::from_str(&text).expect("the vectors are JSON");
    assert_eq!(parsed["cases"].as_array().unwrap().len(), cases.len());
    let path = root().join("tests/vectors/consent-cookies.json");
    if std::env::var("KELISIM_UPDATE_VECTORS").as_deref() == Ok("1") {
        std::fs::write(&path, &text).unwrap();
        return;
    }
    let committed = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e} (KELISIM_UPDATE_VECTORS=1 writes it)", path.display()));
    if committed != text {
        let line = committed.lines().zip(text.lines()).position(|(a, b)| a != b).map_or(0, |i| i + 1);
        panic!(
            "tests/vectors/consent-cookies.json differs from what the core reads (first at line {line}); \
             review the change in the reading rules, then rewrite it with KELISIM_UPDATE_VECTORS=1"
        );
    }
}

/// Every reason code and both versions appear in the vectors.
#[test]
fn vectors_cover_every_reason() {
    let text = render(&cases());
    let parsed: serde_json::Value = serde_json::from_str(&text).unwrap();
    let whys: Vec<&str> = parsed["cases"].as_array().unwrap().iter().filter_map(|c| c["why"].as_str()).collect();
    for (code, _) in REASONS {
        assert!(whys.contains(code), "no case reads as {code}");
    }
    let valid = parsed["cases"].as_array().unwrap().iter().filter(|c| !c["expect"].is_null()).count();
    assert!(valid >= 15, "{valid} valid cases");
}

/// `codec::checksum` is the check `codec::encode` writes, so values built
/// with it read exactly like the encoder's.
#[test]
fn checksum_is_the_encoders() {
    for c in [accept_all(), reject_all(), custom()] {
        let v = codec::encode(&c);
        let (body, check) = v.rsplit_once('.').unwrap();
        assert_eq!(codec::checksum(body), check);
    }
    assert_eq!(codec::checksum("a"), "e40c292c"); // published FNV-1a test vector
    assert_eq!(codec::decode(&v1(&custom())), Ok(custom()));
}
