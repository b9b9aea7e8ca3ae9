use super::*;
use crate::config::{decode, Config};
use crate::consent::{resolve, Choice, Consent, Method};
use crate::session::{Hints, Session};
use crate::value::Value;
use alloc::format;
use alloc::string::ToString;
use alloc::vec;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

const NOW: i64 = 1_795_341_600_123; // 2026-11-22T10:00:00.123Z
const SUBJECT: &str = "0b9e8d7c-6b5a-4948-b736-251403f2e1a1";
const RID: &str = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b";


/// The repository root (this crate lives in `crates/core`).
fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The demo site's config, as shipped.
fn demo() -> Config {
    let text = std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap();
    decode(&Value::from(&serde_json::from_str::<serde_json::Value>(&text).unwrap())).unwrap()
}

fn consent(cfg: &Config, choice: Choice) -> Consent {
    let (categories, services, method) = resolve(cfg, &choice, None).unwrap();
    Consent {
        id: "11111111-2222-4333-8444-555555555555".into(),
        subject: SUBJECT.into(),
        given_at: NOW,
        revision: cfg.policy.revision,
        language: Lang::Ru,
        categories,
        services,
        method,
        gpc: false,
    }
}

fn facts(lang: Lang) -> Facts<'static> {
    Facts {
        id: RID,
        now: NOW,
        method: "banner: accept all",
        language: lang,
        policy_url: "https://sapar.example.kz/privacy/ru.html",
    }
}

/// Parses a sealed receipt and checks that it is in canonical form: the
/// same bytes as serde_json's rendering, which sorts keys and escapes as
/// `JSON.stringify` does.
fn parse(text: &str) -> serde_json::Value {
    let v: serde_json::Value = serde_json::from_str(text).unwrap_or_else(|e| panic!("{e}: {text}"));
    assert_eq!(serde_json::to_string(&v).unwrap(), text, "not canonical");
    // And the same as the core's own canonical writer over the parsed tree.
    assert_eq!(json::canonical(&Value::from(&v)), text);
    v
}

fn json(u: &Unsealed) -> serde_json::Value {
    parse(&u.seal(1, None))
}

/// The Kantara schema as published (two `//` lines stripped), read at test time.
fn schema() -> serde_json::Value {
    let path = root().join("schema/kantara/kantara-consent-receipt-v1_1-schema.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the Kantara schema is missing at {}: {e}", path.display()));
    let body: String = text.lines().filter(|l| !l.trim_start().starts_with("//")).collect::<Vec<_>>().join("\n");
    serde_json::from_str(&body).unwrap()
}

/// The draft-04 keywords the Kantara schema uses (type, properties, required,
/// items, oneOf, enum, minimum); returns every violation with its path.
fn validate(schema: &serde_json::Value, v: &serde_json::Value, path: &str, errors: &mut Vec<String>) {
    use serde_json::Value as J;
    if let Some(t) = schema.get("type").and_then(J::as_str) {
        let ok = match t {
            "object" => v.is_object(),
            "array" => v.is_array(),
            "string" => v.is_string(),
            "boolean" => v.is_boolean(),
            "integer" => v.is_i64() || v.is_u64(),
            other => panic!("type {other} not handled"),
        };
        if !ok {
            errors.push(format!("{path}: not {t}"));
            return;
        }
    }
    if let Some(min) = schema.get("minimum").and_then(J::as_f64) {
        if v.as_f64().unwrap() < min {
            errors.push(format!("{path}: below {min}"));
        }
    }
    if let Some(values) = schema.get("enum").and_then(J::as_array) {
        if !values.contains(v) {
            errors.push(format!("{path}: not in enum"));
        }
    }
    if let Some(req) = schema.get("required").and_then(J::as_array) {
        for k in req {
            if v.get(k.as_str().unwrap()).is_none() {
                errors.push(format!("{path}.{}: missing", k.as_str().unwrap()));
            }
        }
    }
    if let Some(props) = schema.get("properties").and_then(J::as_object) {
        for (k, sub) in props {
            if let Some(x) = v.get(k) {
                validate(sub, x, &format!("{path}.{k}"), errors);
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), v.as_array()) {
        for (i, x) in arr.iter().enumerate() {
            validate(items, x, &format!("{path}[{i}]"), errors);
        }
    }
    if let Some(one) = schema.get("oneOf").and_then(J::as_array) {
        let passing = one
            .iter()
            .filter(|s| {
                let mut e = Vec::new();
                validate(s, v, path, &mut e);
                e.is_empty()
            })
            .count();
        if passing != 1 {
            errors.push(format!("{path}: matches {passing} of oneOf"));
        }
    }
}

fn schema_errors(v: &serde_json::Value) -> Vec<String> {
    let mut errors = Vec::new();
    validate(&schema(), v, "", &mut errors);
    // Facts the specification states beside the schema.
    if v["sensitive"] == true && v["spiCat"].as_array().is_none_or(|a| a.is_empty()) {
        errors.push(".spiCat: empty while sensitive".into());
    }
    errors
}

#[test]
fn the_validator_accepts_the_spec_example_and_catches_breakage() {
    let path = root().join("schema/kantara/kantara-consent-receipt-v1_1-example.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("missing {}: {e}", path.display()));
    let example: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(schema_errors(&example), Vec::<String>::new());
    let mut broken = example.clone();
    broken.as_object_mut().unwrap().remove("policyUrl");
    broken["services"][0]["purposes"][1]["thirdPartyDisclosure"] = true.into();
    broken["consentTimestamp"] = "1510592400".into();
    assert_eq!(
        schema_errors(&broken),
        [
            ".policyUrl: missing",
            ".consentTimestamp: not integer",
            ".services[0].purposes[1]: matches 0 of oneOf",
        ]
    );
}

#[test]
fn a_demo_receipt_is_a_valid_kantara_receipt_with_every_field_filled() {
    let cfg = demo();
    check(&cfg).unwrap();
    let c = consent(&cfg, Choice::AcceptAll);
    let r = build(&cfg, &c, &facts(Lang::Ru), &Event::Given);
    assert_eq!((r.id.as_str(), r.subject.as_str()), (RID, SUBJECT));
    let v = parse(&r.seal(1, None));
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["version"], "KI-CR-v1.1.0");
    assert_eq!(v["jurisdiction"], "KZ");
    assert_eq!(v["consentTimestamp"], 1_795_341_600);
    assert_eq!(v["collectionMethod"], "banner: accept all");
    assert_eq!(v["consentReceiptID"], RID);
    assert_eq!(v["language"], "ru");
    assert_eq!(v["piiPrincipalId"], SUBJECT);
    assert_eq!(v["policyUrl"], "https://sapar.example.kz/privacy/ru.html");
    assert_eq!(v["sensitive"], false);
    assert_eq!(v["spiCat"], serde_json::json!([]));
    assert_eq!(
        v["piiControllers"],
        serde_json::json!([{
            "piiController": "ТОО «Сапар Тревел»",
            "contact": "ТОО «Сапар Тревел»",
            "address": {
                "streetAddress": "г. Алматы, Бостандыкский район, ул. Жандосова, 58, 4 этаж, офис 412",
                "addressCountry": "KZ"
            },
            "email": "privacy@sapar.example.kz",
            "phone": "tel:+7-727-355-14-20",
            "piiControllerUrl": "https://sapar.example.kz"
        }])
    );
    let services = v["services"].as_array().unwrap();
    let titles: Vec<&str> = services.iter().map(|s| s["service"].as_str().unwrap()).collect();
    assert_eq!(titles, ["Необходимые", "Настройки", "Аналитика", "Маркетинг"]);
    let necessary = &services[0]["purposes"][0];
    assert_eq!(necessary["consentType"], "N/A");
    assert_eq!(necessary["primaryPurpose"], true);
    assert_eq!(necessary["purposeCategory"], serde_json::json!(["necessary"]));
    assert_eq!(necessary["piiCategory"], serde_json::json!(["Ваш выбор по файлам cookie", "Идентификатор сеанса"]));
    assert_eq!(necessary["thirdPartyDisclosure"], false);
    assert!(necessary.get("thirdPartyName").is_none());
    assert_eq!(necessary["termination"], TERMINATION);
    let analytics = &services[2]["purposes"][0];
    assert_eq!(analytics["consentType"], "EXPLICIT");
    assert_eq!(analytics["primaryPurpose"], false);
    assert_eq!(analytics["thirdPartyDisclosure"], true);
    assert_eq!(analytics["thirdPartyName"], "Яндекс, Google");
    assert!(analytics["purpose"].as_str().unwrap().starts_with("Помогают понять"));
    assert_eq!(services[3]["purposes"][0]["thirdPartyName"], "Meta (Facebook, Instagram), VK (ВКонтакте)");

    let k = &v["kelisim"];
    assert_eq!(k["v"], 1);
    assert_eq!(k["event"], "given");
    assert_eq!(k["consent"]["id"], c.id.as_str());
    assert_eq!(k["consent"]["method"], "accept-all");
    assert_eq!(k["consent"]["categories"]["analytics"], true);
    assert_eq!(k["consent"]["services"]["vk-pixel"], true);
    assert_eq!(k["consent"]["givenAt"], "2026-11-22T10:00:00.123Z");
    assert_eq!(k["consent"]["expiresAt"], "2027-12-22T10:00:00.123Z");
    assert_eq!(k["policy"], serde_json::json!({"version": "1.0", "revision": 1}));
    assert_eq!(k["chain"], serde_json::json!({"seq": 1, "prev": null}));
    assert!(k.get("disclosure").is_none());
    let law = &k["law94v"];
    assert_eq!(law["operator"], serde_json::json!({"name": "ТОО «Сапар Тревел»", "bin": "210540019876"}));
    assert_eq!(law["subject"], SUBJECT);
    assert_eq!(law["validUntil"], "2027-12-22T10:00:00.123Z");
    assert_eq!(law["thirdPartyTransfer"], true);
    assert_eq!(law["crossBorderTransfer"], true);
    assert_eq!(law["crossBorderCountries"], serde_json::json!(["RU", "US"]));
    assert_eq!(law["publicSources"], false);
    let data: Vec<&str> = law["dataCollected"].as_array().unwrap().iter().map(|d| d.as_str().unwrap()).collect();
    assert_eq!(data.iter().filter(|d| **d == "IP-адрес").count(), 1, "listed once though two categories collect it");
    assert_eq!(data.len(), 8);
}

#[test]
fn law_94v_items_follow_what_was_accepted() {
    let cfg = demo();
    // Reject all: only the necessary category, nothing leaves the site.
    let c = consent(&cfg, Choice::RejectAll);
    let r = json(&build(&cfg, &c, &facts(Lang::Kk), &Event::Given));
    assert_eq!(r["services"].as_array().unwrap().len(), 1);
    assert_eq!(r["services"][0]["service"], "Қажетті");
    let law = &r["kelisim"]["law94v"];
    assert_eq!(law["thirdPartyTransfer"], false);
    assert_eq!(law["crossBorderTransfer"], false);
    assert_eq!(law["crossBorderCountries"], serde_json::json!([]));
    assert_eq!(law["dataCollected"], serde_json::json!(["Cookie файлдарына қатысты таңдауыңыз", "Сеанс идентификаторы"]));
    assert_eq!(law["operator"]["name"], "«Сапар Тревел» ЖШС");
    // Only Google Analytics: one country, the category names only Google.
    let only = Choice::Custom { categories: vec![], services: vec![("google-analytics".into(), true)] };
    let r = json(&build(&cfg, &consent(&cfg, only), &facts(Lang::Ru), &Event::Given));
    assert_eq!(r["kelisim"]["law94v"]["crossBorderCountries"], serde_json::json!(["US"]));
    assert_eq!(r["services"][1]["purposes"][0]["thirdPartyName"], "Google");
}

#[test]
fn countries_are_sorted_unique_and_exclude_kz() {
    let mut cfg = demo();
    cfg.third_parties[0].country = "KZ".into(); // yandex
    cfg.third_parties[3].country = "US".into(); // vk
    cfg.public_sources = true;
    let r = json(&build(&cfg, &consent(&cfg, Choice::AcceptAll), &facts(Lang::Ru), &Event::Given));
    let law = &r["kelisim"]["law94v"];
    assert_eq!(law["crossBorderCountries"], serde_json::json!(["US"]));
    assert_eq!(law["thirdPartyTransfer"], true);
    assert_eq!(law["publicSources"], true);
    // Only a Kazakh third party: a transfer, but not across the border.
    let only = Choice::Custom { categories: vec![], services: vec![("yandex-metrica".into(), true)] };
    let r = json(&build(&cfg, &consent(&cfg, only), &facts(Lang::Ru), &Event::Given));
    let law = &r["kelisim"]["law94v"];
    assert_eq!((law["thirdPartyTransfer"].as_bool(), law["crossBorderTransfer"].as_bool()), (Some(true), Some(false)));
    assert_eq!(law["crossBorderCountries"], serde_json::json!([]));
}

#[test]
fn every_decision_kind_maps_to_its_event_through_the_session() {
    let cfg = demo();
    let hints = Hints { cookie: None, ..Hints::default() };
    let (mut s, _, _) = Session::start(cfg.clone(), &hints, NOW);
    let mut events = Vec::new();
    let ids = ["00000000-0000-4000-8000-000000000001", "00000000-0000-4000-8000-000000000002"];
    for (i, choice) in [
        Choice::AcceptAll,
        Choice::Custom { categories: vec![("marketing".into(), false)], services: vec![] },
        Choice::Withdraw,
    ]
    .into_iter()
    .enumerate()
    {
        let (_, kind) = s.decide(&choice, NOW + i as i64, ids[0].into(), ids[1].into()).unwrap();
        let c = s.consent().unwrap().clone();
        let r = json(&build(&cfg, &c, &facts(Lang::Ru), &Event::from(kind)));
        assert_eq!(schema_errors(&r), Vec::<String>::new());
        events.push((r["kelisim"]["event"].as_str().unwrap().to_string(), r["kelisim"]["consent"]["method"].as_str().unwrap().to_string()));
    }
    // A lapsed consent replaced: renewed.
    let later = crate::time::expires_at(NOW + 10);
    s.tick(later);
    let (_, kind) = s.decide(&Choice::RejectAll, later, ids[0].into(), ids[1].into()).unwrap();
    let r = json(&build(&cfg, s.consent().unwrap(), &facts(Lang::Kk), &Event::from(kind)));
    events.push((r["kelisim"]["event"].as_str().unwrap().into(), r["kelisim"]["consent"]["method"].as_str().unwrap().into()));
    let want = [("given", "accept-all"), ("updated", "custom"), ("withdrawn", "withdraw"), ("renewed", "reject-all")];
    assert_eq!(events, want.map(|(a, b)| (a.to_string(), b.to_string())));
    // A withdrawal keeps only what cannot be refused.
    assert_eq!(Method::Withdraw.as_str(), "withdraw");
}

#[test]
fn disclosure_receipts_carry_the_disclosure() {
    let cfg = demo();
    let c = consent(&cfg, Choice::RejectAll);
    let f = Facts { method: "disclosure: oauth", ..facts(Lang::Kk) };
    let ev = Event::Disclosure { kind: DisclosureKind::OAuth, party: "facebook", host: "www.facebook.com", outcome: Outcome::Continued };
    let r = build(&cfg, &c, &f, &ev);
    let v = parse(&r.seal(4, Some(&"a".repeat(64))));
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    assert_eq!(v["collectionMethod"], "disclosure: oauth");
    assert_eq!(v["kelisim"]["event"], "disclosure");
    assert_eq!(
        v["kelisim"]["disclosure"],
        serde_json::json!({"kind": "oauth", "party": "facebook", "host": "www.facebook.com", "outcome": "continued"})
    );
    assert_eq!(v["kelisim"]["chain"], serde_json::json!({"seq": 4, "prev": "a".repeat(64)}));
    let last = v["services"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["service"], "Facebook");
    assert_eq!(last["purposes"][0]["thirdPartyDisclosure"], true);
    assert_eq!(last["purposes"][0]["thirdPartyName"], "Facebook");
    let link = Event::Disclosure { kind: DisclosureKind::Link, party: "vk", host: "vk.com", outcome: Outcome::Shown };
    let v = json(&build(&cfg, &c, &f, &link));
    assert_eq!(v["kelisim"]["disclosure"]["kind"], "link");
    assert_eq!(v["kelisim"]["disclosure"]["outcome"], "shown");
    let last = v["services"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["purposes"][0]["thirdPartyName"], "VK (ВКонтакте)");
    assert_eq!(schema_errors(&v), Vec::<String>::new());
    let cancel = Event::Disclosure { kind: DisclosureKind::Link, party: "vk", host: "vk.com", outcome: Outcome::Cancelled };
    assert_eq!(json(&build(&cfg, &c, &f, &cancel))["kelisim"]["disclosure"]["outcome"], "cancelled");
}

fn sha256_hex(text: &str) -> String {
    Sha256::digest(text.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn the_chain_links_each_receipt_to_the_hash_of_the_previous_canonical_text() {
    assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    let cfg = demo();
    let c = consent(&cfg, Choice::AcceptAll);
    // What the delivery does: seal each receipt with the previous one's hash.
    let mut prev: Option<String> = None;
    let mut texts: Vec<String> = Vec::new();
    for seq in 1..=3 {
        let text = build(&cfg, &c, &facts(Lang::Ru), &Event::Updated).seal(seq, prev.as_deref());
        prev = Some(sha256_hex(&text));
        texts.push(text);
    }
    // Independently: each prev is SHA-256 of serde_json's rendering of the previous receipt.
    for pair in texts.windows(2) {
        let a = parse(&pair[0]);
        let b = parse(&pair[1]);
        assert_eq!(b["kelisim"]["chain"]["prev"], sha256_hex(&serde_json::to_string(&a).unwrap()));
        assert_eq!(b["kelisim"]["chain"]["seq"], a["kelisim"]["chain"]["seq"].as_u64().unwrap() + 1);
    }
    // A frozen vector: these inputs always give these bytes.
    let text = build(&cfg, &c, &facts(Lang::Ru), &Event::Given).seal(1, None);
    assert!(text.starts_with(r#"{"collectionMethod":"banner: accept all","consentReceiptID":"6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b","consentTimestamp":1795341600,"jurisdiction":"KZ","kelisim":{"chain":{"prev":null,"seq":1},"consent":{"categories":{"analytics":true,"marketing":true,"necessary":true,"preferences":true}"#), "{text}");
    assert_eq!(sha256_hex(&text), FROZEN_SHA256, "the receipt format changed: bump kelisim.v and keep a test for v1");
}

/// SHA-256 of the demo's "accept all" receipt above, format v1.
const FROZEN_SHA256: &str = "d7ba668f4ec5c0b303e546fccaae3191ef7cc5e2f28ae000726a1f279a16c41b";

#[test]
fn text_that_needs_escaping_stays_canonical() {
    let mut cfg = demo();
    cfg.categories[2].title.ru = "Ана\\литика \"кавычки\"\n\u{1}\t/😀".into();
    cfg.controller.url = None;
    cfg.controller.address = None;
    let v = json(&build(&cfg, &consent(&cfg, Choice::AcceptAll), &facts(Lang::Ru), &Event::Given));
    assert_eq!(v["services"][2]["service"], "Ана\\литика \"кавычки\"\n\u{1}\t/😀");
    assert_eq!(v["piiControllers"][0]["address"], serde_json::json!({"addressCountry": "KZ"}));
    assert!(v["piiControllers"][0].get("piiControllerUrl").is_none());
    assert_eq!(schema_errors(&v), Vec::<String>::new());
}

#[test]
fn phones_become_rfc_3966_uris() {
    assert_eq!(tel("+7 727 355 14 20"), "tel:+7-727-355-14-20");
    assert_eq!(tel("+7 (727) 355-14-20"), "tel:+7-727-355-14-20");
    assert_eq!(tel("+77273551420"), "tel:+77273551420");
    assert_eq!(tel("8 727 355 14 20"), "tel:8-727-355-14-20;phone-context=+7");
    assert_eq!(tel("tel:+7-727-1"), "tel:+7-727-1");
}

#[test]
fn receipts_need_the_controllers_email_and_phone() {
    let mut cfg = demo();
    cfg.controller.phone = None;
    assert_eq!(check(&cfg).unwrap_err().text(), "controller.phone: missing (consent receipts name the controller's e-mail and phone)");
    cfg.controller.email = None;
    assert!(check(&cfg).unwrap_err().text().starts_with("controller.email: missing"));
}

fn demo_with_receipts(receipts: serde_json::Value) -> Result<Config, String> {
    let text = std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap();
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v["receipts"] = receipts;
    decode(&Value::from(&v)).map_err(|e| e.text())
}

#[test]
fn the_receipts_config_section_decodes_and_names_bad_fields() {
    use crate::config::{ReceiptsConfig, Transport};
    // The demo posts to its own collector.
    let demo_receipts = demo().receipts.unwrap();
    assert_eq!((demo_receipts.endpoint.as_str(), demo_receipts.transport), ("/v1/receipts", Transport::Fetch));
    assert_eq!(demo_with_receipts(serde_json::Value::Null).unwrap().receipts, None);
    let c = demo_with_receipts(serde_json::json!({"endpoint": "/v1/receipts"})).unwrap();
    assert_eq!(c.receipts, Some(ReceiptsConfig { endpoint: "/v1/receipts".into(), headers: vec![], transport: Transport::Fetch }));
    let c = demo_with_receipts(serde_json::json!({
        "endpoint": "https://consent.example.kz/v1/receipts",
        "transport": "fetch",
        "headers": {"Authorization": "Bearer abc; x=1", "X-Site": "sapar"}
    }))
    .unwrap()
    .receipts
    .unwrap();
    assert_eq!(c.headers, vec![("Authorization".to_string(), "Bearer abc; x=1".to_string()), ("X-Site".into(), "sapar".into())]);
    let c = demo_with_receipts(serde_json::json!({"endpoint": "/r", "transport": "beacon"})).unwrap();
    assert_eq!(c.receipts.unwrap().transport, Transport::Beacon);
    let cases = [
        (serde_json::json!({}), "receipts.endpoint: missing"),
        (serde_json::json!({"endpoint": "javascript:alert(1)"}), "receipts.endpoint: must be an http(s) or relative URL"),
        (serde_json::json!({"endpoint": "/r", "transport": "xhr"}), "receipts.transport: \"xhr\" is not one of: fetch, beacon"),
        (
            serde_json::json!({"endpoint": "/r", "transport": "beacon", "headers": {"X-A": "b"}}),
            "receipts.headers: not allowed with transport \"beacon\" (sendBeacon cannot set headers)",
        ),
        (serde_json::json!({"endpoint": "/r", "headers": {"Bad Name": "b"}}), "receipts.headers.Bad Name: not a valid header name"),
        (serde_json::json!({"endpoint": "/r", "headers": {"X-A": "a\r\nb"}}), "receipts.headers.X-A: must not contain control characters"),
        (serde_json::json!({"endpoint": "/r", "headers": {"X-A": 1}}), "receipts.headers.X-A: expected a string, got a number"),
        (serde_json::json!({"endpoint": "/r", "headers": ["X-A"]}), "receipts.headers: expected an object of header names and values, got an array"),
        (serde_json::json!({"endpoint": "/r", "send": "x"}), "receipts.send: unknown field (expected one of: endpoint, headers, transport)"),
    ];
    for (value, want) in cases {
        assert_eq!(demo_with_receipts(value.clone()).unwrap_err(), want, "{value}");
    }
}

/// The size in bytes of the largest receipt the config can make: a decision
/// accepting everything, and a disclosure of the third party (and the OAuth
/// provider) with the longest texts, to a host of the longest name, in each
/// language, with the chain link at its longest.
fn exact_largest(config: &Config) -> usize {
    let all = |ids: &mut dyn Iterator<Item = &String>| ids.map(|id| (id.clone(), true)).collect::<Vec<_>>();
    let uuid = "00000000-0000-4000-8000-000000000000";
    let host = "a".repeat(253);
    let mut most = 0;
    for &lang in &config.languages {
        let consent = Consent {
            id: uuid.into(),
            subject: uuid.into(),
            given_at: 4_102_444_800_000, // 2100-01-01
            revision: config.policy.revision,
            language: lang,
            categories: all(&mut config.categories.iter().map(|c| &c.id)),
            services: all(&mut config.services().map(|(_, s)| &s.id)),
            method: Method::AcceptAll,
            gpc: true,
        };
        let facts = Facts { id: uuid, now: 4_102_444_800_000, method: "preferences: reject all", language: lang, policy_url: config.policy.url.get(lang) };
        let link = config.third_parties.iter().max_by_key(|t| t.name.get(lang).len() + t.collects.get(lang).len() + t.purpose.get(lang).len());
        let login = config.oauth.iter().max_by_key(|o| 2 * o.name.get(lang).len() + o.receives.get(lang).len());
        let mut events = vec![Event::Given];
        for (kind, party) in [(DisclosureKind::Link, link.map(|t| t.id.as_str())), (DisclosureKind::OAuth, login.map(|o| o.id.as_str()))] {
            if let Some(party) = party {
                events.push(Event::Disclosure { kind, party, host: &host, outcome: Outcome::Continued });
            }
        }
        for e in &events {
            let u = build(config, &consent, &facts, e);
            let prev = "0".repeat(64);
            most = most.max(u.seal(u64::from(u32::MAX) * 1000, Some(&prev)).len());
        }
    }
    most
}

#[test]
fn the_largest_receipt_is_measured_and_bounds_every_real_one() {
    let cfg = demo();
    assert_eq!(check(&cfg), Ok(()));
    let most = largest(&cfg);
    // Every receipt the demo config makes, sealed, is no larger.
    for lang in [Lang::Kk, Lang::Ru] {
        for choice in [Choice::AcceptAll, Choice::RejectAll] {
            let c = Consent { language: lang, ..consent(&cfg, choice.clone()) };
            let mut events = vec![Event::Given];
            for t in &cfg.third_parties {
                events.push(Event::Disclosure { kind: DisclosureKind::Link, party: &t.id, host: "www.facebook.com", outcome: Outcome::Cancelled });
            }
            for e in &events {
                let text = build(&cfg, &c, &facts(lang), e).seal(7, Some(&"f".repeat(64)));
                assert!(text.len() <= most, "{} > {most}", text.len());
            }
        }
    }
    assert!(most < 20_000, "the demo's largest receipt is {most} bytes");
}

#[test]
fn a_config_whose_texts_push_a_receipt_over_64_kib_is_refused_naming_the_longest_text() {
    let text = std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    // A Russian-only site, so the Russian receipts are the largest.
    json["languages"] = serde_json::json!(["ru"]);
    json["defaultLanguage"] = serde_json::json!("ru");
    // Just under: accepted; the same text a little longer: refused.
    let base = largest(&decode(&Value::from(&json)).unwrap());
    let room = crate::outbox::MAX_BODY - RESERVE - base;
    let old = json["categories"][2]["description"]["ru"].as_str().unwrap().to_string();
    let grow = |json: &mut serde_json::Value, extra: usize| {
        json["categories"][2]["description"]["ru"] = serde_json::Value::String(format!("{old}{}", "ж".repeat(extra / 2)));
        decode(&Value::from(&*json)).unwrap()
    };
    let fits = grow(&mut json, room);
    assert!(largest(&fits) <= crate::outbox::MAX_BODY - RESERVE);
    assert_eq!(check(&fits), Ok(()));
    let over = grow(&mut json, room + 2);
    let err = check(&over).unwrap_err();
    assert_eq!(err.path, "categories[2].description.ru");
    assert!(err.to_string().starts_with("categories[2].description.ru: this text ("), "{err}");
    assert!(err.message.contains("keepalive"), "{err}");
    // A third party's long purpose counts through its disclosure receipts.
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    json["thirdParties"][0]["purpose"]["kk"] = serde_json::Value::String("ә".repeat(40_000));
    let err = check(&decode(&Value::from(&json)).unwrap()).unwrap_err();
    assert_eq!(err.path, "thirdParties[0].purpose.kk");
}

/// Texts with characters JSON escapes, Cyrillic, and plain ASCII.
fn arb_text() -> impl proptest::strategy::Strategy<Value = String> {
    // Starts with a letter: a config text may not be blank (the decoder trims it).
    proptest::string::string_regex("[a-zа-яәғқңөұүһі][a-zа-яәғқңөұүһі \"\\\\\\n\\t\u{1}<>]{0,299}").unwrap()
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]

    /// `largest` (arithmetic on text lengths) is never below the largest
    /// receipt actually built, and at most a little above it.
    #[test]
    fn largest_bounds_the_built_receipts(
        texts in proptest::collection::vec(arb_text(), 12),
        extra_data in 0usize..4,
        drop_parties in proptest::bool::ANY,
        one_language in proptest::bool::ANY,
    ) {
        let text = std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap();
        let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
        let l = |i: usize| serde_json::json!({"kk": texts[i], "ru": texts[(i + 1) % 12]});
        j["controller"]["name"] = l(0);
        j["controller"]["address"] = l(1);
        j["categories"][2]["description"] = l(2);
        j["categories"][3]["title"] = l(3);
        j["categories"][2]["data"] = serde_json::Value::Array((0..extra_data).map(|k| l(4 + k)).collect());
        j["thirdParties"][1]["purpose"] = l(8);
        j["thirdParties"][2]["name"] = l(9);
        j["oauth"][0]["receives"] = l(10);
        j["policy"]["version"] = serde_json::json!(texts[11]);
        if drop_parties {
            j.as_object_mut().unwrap().remove("oauth");
        }
        if one_language {
            j["languages"] = serde_json::json!(["ru"]);
            j["defaultLanguage"] = serde_json::json!("ru");
        }
        let cfg = decode(&Value::from(&j)).unwrap();
        let (bound, exact) = (largest(&cfg), exact_largest(&cfg));
        proptest::prop_assert!(bound >= exact, "bound {} < exact {}", bound, exact);
        proptest::prop_assert!(bound <= exact + 4_000, "bound {} too loose over exact {}", bound, exact);
    }
}

#[test]
fn largest_is_close_on_the_demo() {
    let cfg = demo();
    let (bound, exact) = (largest(&cfg), exact_largest(&cfg));
    println!("demo: bound {bound}, exact {exact}");
    assert!(bound >= exact && bound <= exact + 3_000, "bound {bound}, exact {exact}");
    // The core's small sample (no third parties), and the most categories
    // and services a config may have, at the longest ids, each with a party.
    let small = decode(&crate::config::tests::sample()).unwrap();
    assert!(largest(&small) >= exact_largest(&small));
    let text = std::fs::read_to_string(root().join("www/kelisim.config.json")).unwrap();
    let mut j: serde_json::Value = serde_json::from_str(&text).unwrap();
    let id = |p: &str, i: usize| format!("{p}{i:0>30}");
    const PARTIES: [&str; 4] = ["yandex", "google", "meta", "vk"];
    j["categories"] = serde_json::Value::Array((0..16).map(|c| serde_json::json!({
        "id": id("c", c), "title": {"kk": "Санат", "ru": "Категория"}, "description": {"kk": "С", "ru": "О"},
        "services": (0..4).map(|s| serde_json::json!({"id": id("s", c * 4 + s), "title": {"kk": "Т", "ru": "Т"},
            "description": {"kk": "С", "ru": "О"}, "thirdParty": PARTIES[s]})).collect::<Vec<_>>(),
    })).collect());
    j.as_object_mut().unwrap().remove("consentMode");
    let big = decode(&Value::from(&j)).unwrap();
    let (bound, exact) = (largest(&big), exact_largest(&big));
    println!("16 x 4: bound {bound}, exact {exact}");
    assert!(bound >= exact && bound <= exact + 8_000, "bound {bound}, exact {exact}");
}
