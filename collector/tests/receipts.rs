//! The receipt collector end to end: a real server on 127.0.0.1:0 with a
//! temporary SQLite file.

mod common;

use std::collections::HashMap;
use std::fs;
use std::path::PathBuf;
use std::thread;

use common::{chain, fixture, receipt, request, uuid, Collector, TempDir};
use kelisim_collector::{canon, receipt as rc};
use serde_json::{json, Value};

const SUBJECT: &str = "0b9e8d7c-6b5a-4948-b736-251403f2e1a1";

fn specs_dir() -> PathBuf {
    // The published schema and example, kept verbatim in the repository.
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../schema/kantara")
}

fn start(tag: &str) -> (TempDir, Collector) {
    let dir = TempDir::new(tag);
    let c = Collector::start(&dir.path().join("receipts.sqlite3"), &[], &[]);
    (dir, c)
}

#[test]
fn the_published_example_is_a_valid_kantara_receipt() {
    let text = fs::read_to_string(specs_dir().join("kantara-consent-receipt-v1_1-example.json"))
        .expect("read the Kantara example");
    let example: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(rc::validate_kantara(&example), Vec::<String>::new());
    // It is not a kelisim receipt, though: no extension, an English name as
    // the subject, language "en".
    let errors = rc::validate(example).unwrap_err();
    assert!(
        errors.contains(&"kelisim: missing".to_string()),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("piiPrincipalId:")),
        "{errors:?}"
    );
    assert!(
        errors.iter().any(|e| e.starts_with("language:")),
        "{errors:?}"
    );
}

#[test]
fn the_vendored_schema_is_the_published_file() {
    let published = fs::read(specs_dir().join("kantara-consent-receipt-v1_1-schema.json")).unwrap();
    assert_eq!(rc::KANTARA_SCHEMA.as_bytes(), published.as_slice());
}

#[test]
fn the_kantara_validator_catches_what_the_schema_and_the_spec_forbid() {
    let text =
        fs::read_to_string(specs_dir().join("kantara-consent-receipt-v1_1-example.json")).unwrap();
    let example: Value = serde_json::from_str(&text).unwrap();
    let cases: Vec<(Mutation, &str)> = vec![
        (
            Box::new(|v| {
                v["services"][0]["purposes"][0]
                    .as_object_mut()
                    .unwrap()
                    .remove("thirdPartyName")
                    .map(drop)
                    .unwrap()
            }),
            "services[0].purposes[0].thirdPartyName: missing",
        ),
        (
            Box::new(|v| v["spiCat"] = json!([])),
            "spiCat: must list the sensitive categories when sensitive is true",
        ),
        (
            Box::new(|v| v["version"] = json!("KI-CR-v1.0.0")),
            "version: must be \"KI-CR-v1.1.0\"",
        ),
        (
            Box::new(|v| v["consentTimestamp"] = json!(-1)),
            "consentTimestamp: must be at least 0",
        ),
        (
            Box::new(|v| v["piiControllers"][0]["address"] = json!("Gleam Street")),
            "piiControllers[0].address: expected object, got string",
        ),
        (
            Box::new(|v| v["services"][0]["purposes"][1]["piiCategory"][0] = json!(1)),
            "services[0].purposes[1].piiCategory[0]: expected string, got integer",
        ),
    ];
    for (mutate, want) in cases {
        let mut v = example.clone();
        mutate(&mut v);
        let errors = rc::validate_kantara(&v);
        assert!(
            errors.iter().any(|e| e == want),
            "want {want:?} in {errors:?}"
        );
    }
}

#[test]
fn a_kelisim_receipt_is_stored_and_read_back() {
    let (_dir, c) = start("store");
    let r = fixture();
    let id = r["consentReceiptID"].as_str().unwrap().to_string();
    let resp = c.post_json(&r);
    assert_eq!(resp.status, 201, "{}", resp.text());
    let answer = resp.json();
    assert_eq!(
        (&answer["id"], &answer["chain"]),
        (&json!(id), &json!("ok"))
    );
    assert_eq!(answer["hash"], json!(canon::hash(&r)));
    assert!(answer["receivedAt"].is_string(), "{answer}");
    assert_eq!(
        resp.header("Location"),
        Some(format!("/v1/receipts/{id}").as_str())
    );
    assert_eq!(resp.header("Content-Type"), Some("application/json"));

    let one = c.get(&format!("/v1/receipts/{id}"));
    assert_eq!(one.status, 200);
    let entry = one.json();
    assert_eq!(entry["receipt"], r);
    assert_eq!(entry["chain"], "ok");
    let received = entry["receivedAt"].as_str().unwrap();
    assert!(
        kelisim_core::time::parse_iso(received).is_some(),
        "{received}"
    );

    let list = c.get(&format!("/v1/receipts?subject={SUBJECT}")).json();
    assert_eq!(list["receipts"].as_array().unwrap().len(), 1);
    assert_eq!(list["receipts"][0], entry);
    // Another subject has nothing.
    let none = c.get(&format!("/v1/receipts?subject={}", uuid(1))).json();
    assert_eq!(none, json!({"receipts": []}));
}

#[test]
fn disclosures_and_unknown_extension_members_are_accepted() {
    let (_dir, c) = start("disclosure");
    let mut r = receipt(&uuid(10), SUBJECT, 1, None);
    r["kelisim"]["event"] = json!("disclosure");
    r["collectionMethod"] = json!("disclosure: oauth");
    r["kelisim"]["disclosure"] = json!({"kind": "oauth", "party": "facebook", "host": "www.facebook.com", "outcome": "continued"});
    r["kelisim"]["gpc"] = json!(true);
    let resp = c.post_json(&r);
    assert_eq!(resp.status, 201, "{}", resp.text());
}

type Mutation = Box<dyn Fn(&mut Value)>;

fn remove(path: &[&str]) -> Mutation {
    let path: Vec<String> = path.iter().map(|s| s.to_string()).collect();
    Box::new(move |v| {
        let mut at = &mut *v;
        for key in &path[..path.len() - 1] {
            at = match key.parse::<usize>() {
                Ok(i) => &mut at[i],
                Err(_) => &mut at[key.as_str()],
            };
        }
        at.as_object_mut()
            .unwrap()
            .remove(path.last().unwrap())
            .expect("present");
    })
}

/// Sets (or adds) the member at a JSON pointer.
fn set(pointer: &'static str, value: Value) -> Mutation {
    Box::new(move |v| {
        let (parent, key) = pointer.rsplit_once('/').unwrap();
        let at = v.pointer_mut(parent).expect(pointer);
        match at {
            Value::Object(map) => {
                map.insert(key.to_string(), value.clone());
            }
            Value::Array(items) => items[key.parse::<usize>().unwrap()] = value.clone(),
            _ => panic!("{pointer}"),
        }
    })
}

#[test]
fn malformed_receipts_get_400_naming_the_path() {
    let (_dir, c) = start("malformed");
    let cases: Vec<(Mutation, &str)> = vec![
        (remove(&["version"]), "version: missing"),
        (set("/version", json!("KI-CR-v1.0.0")), "version: must be \"KI-CR-v1.1.0\""),
        (set("/consentTimestamp", json!("1795341600")), "consentTimestamp: expected integer, got string"),
        (set("/consentTimestamp", json!(1795341600.5)), "consentTimestamp: expected integer, got number"),
        (set("/consentReceiptID", json!("not-a-uuid")), "consentReceiptID: expected a lowercase UUID v4"),
        (set("/consentReceiptID", json!("3F2B8C1E-9D4A-4B6E-8F1C-2A7D5E9B0C41")), "consentReceiptID: expected a lowercase UUID v4"),
        (set("/consentReceiptID", json!("3f2b8c1e-9d4a-1b6e-8f1c-2a7d5e9b0c41")), "consentReceiptID: expected a lowercase UUID v4"),
        (remove(&["piiControllers", "0", "phone"]), "piiControllers[0].phone: missing"),
        (set("/piiControllers", json!({})), "piiControllers: expected array, got object"),
        (remove(&["services", "2", "purposes", "0", "thirdPartyName"]), "services[2].purposes[0].thirdPartyName: missing"),
        (set("/services/1/purposes/0/thirdPartyDisclosure", json!("no")), "services[1].purposes[0].thirdPartyDisclosure: expected boolean, got string"),
        (remove(&["services", "0", "purposes", "0", "consentType"]), "services[0].purposes[0].consentType: missing"),
        (set("/sensitive", json!(true)), "spiCat: must list the sensitive categories when sensitive is true"),
        (remove(&["spiCat"]), "spiCat: missing"),
        (set("/language", json!("en")), "language: must be \"kk\" or \"ru\""),
        (set("/piiPrincipalId", json!("Bowden Jeffries")), "piiPrincipalId: expected a lowercase UUID v4 (the subject id)"),
        (remove(&["kelisim"]), "kelisim: missing"),
        (set("/kelisim", json!([])), "kelisim: expected object, got array"),
        (remove(&["kelisim", "chain"]), "kelisim.chain: missing"),
        (remove(&["kelisim", "chain", "prev"]), "kelisim.chain.prev: missing"),
        (set("/kelisim/chain/seq", json!(0)), "kelisim.chain.seq: must be at least 1"),
        (set("/kelisim/chain/seq", json!("1")), "kelisim.chain.seq: expected integer, got string"),
        (set("/kelisim/chain/prev", json!("ab".repeat(32))), "kelisim.chain.prev: must be null when seq is 1"),
        (set("/kelisim/chain/prev", json!("AB".repeat(32))), "kelisim.chain.prev: expected 64 lowercase hex digits (SHA-256) or null"),
        (set("/kelisim/chain/seq", json!(2)), "kelisim.chain.prev: missing hash of the previous receipt (seq > 1)"),
        (set("/kelisim/v", json!(2)), "kelisim.v: unsupported format version (this collector reads 1)"),
        (remove(&["kelisim", "v"]), "kelisim.v: missing"),
        (set("/kelisim/event", json!("accepted")), "kelisim.event: must be one of \"given\", \"updated\", \"renewed\", \"withdrawn\", \"disclosure\""),
        (set("/kelisim/consent/method", json!("all")), "kelisim.consent.method: must be one of \"accept-all\", \"reject-all\", \"custom\", \"withdraw\""),
        (set("/kelisim/consent/categories/analytics", json!("yes")), "kelisim.consent.categories.analytics: expected boolean, got string"),
        (set("/kelisim/consent/id", json!("x")), "kelisim.consent.id: expected a lowercase UUID v4"),
        (set("/kelisim/consent/givenAt", json!("2026-11-22")), "kelisim.consent.givenAt: expected an ISO 8601 UTC instant like 2026-11-22T10:00:00.000Z"),
        (set("/kelisim/consent/expiresAt", json!("2025-01-01T00:00:00.000Z")), "kelisim.consent.expiresAt: must be after givenAt"),
        (remove(&["kelisim", "policy", "revision"]), "kelisim.policy.revision: missing"),
        (set("/kelisim/policy/revision", json!(-1)), "kelisim.policy.revision: must be at least 0"),
        (set("/kelisim/law94v/operator/bin", json!("21054001987")), "kelisim.law94v.operator.bin: expected 12 digits (BIN)"),
        (set("/kelisim/law94v/subject", json!(uuid(5))), "kelisim.law94v.subject: must equal piiPrincipalId"),
        (set("/kelisim/law94v/crossBorderCountries", json!(["US", "RU"])), "kelisim.law94v.crossBorderCountries: must be sorted and without repeats"),
        (set("/kelisim/law94v/crossBorderCountries", json!(["KZ", "RU"])), "kelisim.law94v.crossBorderCountries[0]: KZ is not a cross-border country"),
        (set("/kelisim/law94v/crossBorderCountries", json!(["rus"])), "kelisim.law94v.crossBorderCountries[0]: expected an ISO 3166-1 alpha-2 code like \"RU\""),
        (set("/kelisim/law94v/crossBorderTransfer", json!(false)), "kelisim.law94v.crossBorderCountries: must be empty when crossBorderTransfer is false"),
        (remove(&["kelisim", "law94v", "dataCollected"]), "kelisim.law94v.dataCollected: missing"),
        (set("/kelisim/law94v/publicSources", json!(null)), "kelisim.law94v.publicSources: expected boolean, got null"),
        (set("/kelisim/event", json!("disclosure")), "kelisim.disclosure: missing (required when event is \"disclosure\")"),
        (set("/kelisim/disclosure", json!({"kind": "link", "party": "x", "host": "x", "outcome": "shown"})), "kelisim.disclosure: only allowed when event is \"disclosure\""),
        (set("/kelisim/gpc", json!(0.5)), "kelisim.gpc: numbers in a receipt must be integers within ±9007199254740991"),
        (set("/kelisim/gpc", json!(9007199254740992u64)), "kelisim.gpc: numbers in a receipt must be integers within ±9007199254740991"),
    ];
    for (mutate, want) in cases {
        let mut r = fixture();
        mutate(&mut r);
        let resp = c.post_json(&r);
        assert_eq!(resp.status, 400, "{want}: {}", resp.text());
        let errors = resp.errors();
        assert!(
            errors.iter().any(|e| e == want),
            "want {want:?} in {errors:?}"
        );
    }

    // Several problems are reported together.
    let mut r = fixture();
    r["version"] = json!(1);
    r["kelisim"]["chain"]["seq"] = json!(-3);
    let errors = c.post_json(&r).errors();
    assert!(
        errors.contains(&"version: expected string, got integer".to_string()),
        "{errors:?}"
    );
    assert!(
        errors.contains(&"kelisim.chain.seq: must be at least 1".to_string()),
        "{errors:?}"
    );

    // Not a receipt at all.
    let resp = c.post(b"[1, 2]", "application/json");
    assert_eq!(
        (resp.status, resp.errors()),
        (400, vec!["receipt: expected object, got array".to_string()])
    );
    let resp = c.post(b"{\"version\": ", "application/json");
    assert_eq!(resp.status, 400);
    assert!(
        resp.errors()[0].starts_with("body: not JSON"),
        "{:?}",
        resp.errors()
    );
    let resp = c.post(b"\xff\xfe", "text/plain");
    assert_eq!(
        (resp.status, resp.errors()),
        (400, vec!["body: not UTF-8".to_string()])
    );

    // Nothing was stored.
    assert_eq!(c.export().body, b"");
}

#[test]
fn the_same_receipt_twice_is_stored_once() {
    let (_dir, c) = start("idempotent");
    let r = fixture();
    let first = c.post_json(&r);
    let second = c.post_json(&r);
    assert_eq!(first.status, 201);
    assert_eq!(second.status, 200);
    assert_eq!(first.json(), second.json());
    assert_eq!(second.header("Location"), None);
    // A different body under a stored id changes nothing either.
    let mut other = r.clone();
    other["collectionMethod"] = json!("api: acceptAll()");
    assert_eq!(c.post_json(&other).status, 200);
    let export = c.export().text();
    assert_eq!(export.lines().count(), 1);
    let line: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert_eq!(line["receipt"], r);
}

#[test]
fn an_intact_chain_is_ok_link_by_link() {
    let (_dir, c) = start("chain-ok");
    let rs = chain(SUBJECT, 100, 4);
    for r in &rs {
        let resp = c.post_json(r);
        assert_eq!(
            (resp.status, resp.json()["chain"].as_str()),
            (201, Some("ok"))
        );
    }
    let got = c.chain_of(SUBJECT);
    assert_eq!(got.len(), 4);
    assert!(got.iter().all(|(_, m)| m == "ok"), "{got:?}");
}

#[test]
fn a_missing_predecessor_is_marked_and_fixed_when_it_arrives() {
    let (_dir, c) = start("chain-missing");
    let rs = chain(SUBJECT, 200, 3);
    let ids: Vec<String> = rs
        .iter()
        .map(|r| r["consentReceiptID"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(c.post_json(&rs[0]).json()["chain"], "ok");
    assert_eq!(c.post_json(&rs[2]).json()["chain"], "missing-predecessor");
    assert_eq!(
        c.chain_of(SUBJECT),
        vec![
            (ids[0].clone(), "ok".into()),
            (ids[2].clone(), "missing-predecessor".into())
        ]
    );
    assert_eq!(c.post_json(&rs[1]).json()["chain"], "ok");
    // Ordered by seq, and the third receipt's mark was revised.
    assert_eq!(
        c.chain_of(SUBJECT),
        vec![
            (ids[0].clone(), "ok".into()),
            (ids[1].clone(), "ok".into()),
            (ids[2].clone(), "ok".into())
        ]
    );
}

#[test]
fn an_altered_predecessor_is_a_mismatch_in_either_order() {
    let rs = chain(SUBJECT, 300, 2);
    let mut altered = rs[0].clone();
    altered["kelisim"]["consent"]["categories"]["marketing"] = json!(false);

    // Predecessor first.
    let (_dir, c) = start("chain-altered-1");
    assert_eq!(c.post_json(&altered).json()["chain"], "ok");
    assert_eq!(c.post_json(&rs[1]).json()["chain"], "mismatch");

    // Successor first: missing, then mismatch once the altered one arrives.
    let (_dir2, c2) = start("chain-altered-2");
    assert_eq!(c2.post_json(&rs[1]).json()["chain"], "missing-predecessor");
    assert_eq!(c2.post_json(&altered).json()["chain"], "ok");
    let got = c2.chain_of(SUBJECT);
    assert_eq!(got[1].1, "mismatch", "{got:?}");
}

#[test]
fn a_second_receipt_with_the_same_seq_is_a_fork() {
    let (_dir, c) = start("fork");
    let rs = chain(SUBJECT, 400, 2);
    let mut twin = rs[1].clone();
    twin["consentReceiptID"] = json!(uuid(499));
    twin["collectionMethod"] = json!("preferences: save");
    assert_eq!(c.post_json(&rs[0]).json()["chain"], "ok");
    assert_eq!(c.post_json(&rs[1]).json()["chain"], "ok");
    // The second receipt at seq 2 is recorded as a fork; the first keeps
    // its mark.
    assert_eq!(c.post_json(&twin).json()["chain"], "fork");
    // A successor may link to either receipt stored at its seq.
    let mut third = receipt(&uuid(450), SUBJECT, 3, Some(&canon::hash(&rs[1])));
    third["kelisim"]["event"] = json!("withdrawn");
    assert_eq!(c.post_json(&third).json()["chain"], "ok");
    let mut other = receipt(&uuid(451), SUBJECT, 4, Some(&canon::hash(&third)));
    other["kelisim"]["event"] = json!("updated");
    assert_eq!(c.post_json(&other).json()["chain"], "ok");
    let marks: Vec<String> = c.chain_of(SUBJECT).into_iter().map(|(_, m)| m).collect();
    assert_eq!(marks, ["ok", "ok", "fork", "ok", "ok"]);
}

/// The fixture padded (inside `kelisim`, which allows extra members) so its
/// JSON text is exactly `len` bytes.
fn padded(len: usize) -> Vec<u8> {
    let mut r = fixture();
    r["kelisim"]["pad"] = json!("");
    let base = r.to_string().len();
    assert!(base < len);
    r["kelisim"]["pad"] = json!("x".repeat(len - base));
    let text = r.to_string().into_bytes();
    assert_eq!(text.len(), len);
    text
}

#[test]
fn bodies_over_64_kib_are_refused_and_64_kib_is_not() {
    let (_dir, c) = start("size");
    let resp = c.post(&padded(65 * 1024), "application/json");
    assert_eq!(resp.status, 413);
    assert_eq!(resp.errors(), ["body: larger than 65536 bytes (64 KiB)"]);
    let resp = c.post(&padded(64 * 1024 + 1), "application/json");
    assert_eq!(resp.status, 413);

    // Without Content-Length (chunked), the limit holds while reading.
    let body = padded(70 * 1024);
    let mut chunked = Vec::new();
    for part in body.chunks(8000) {
        chunked.extend_from_slice(format!("{:x}\r\n", part.len()).as_bytes());
        chunked.extend_from_slice(part);
        chunked.extend_from_slice(b"\r\n");
    }
    chunked.extend_from_slice(b"0\r\n\r\n");
    let resp = request(
        c.addr,
        "POST",
        "/v1/receipts",
        &[
            ("Content-Type", "application/json"),
            ("Transfer-Encoding", "chunked"),
        ],
        &chunked,
    );
    assert_eq!(resp.status, 413);

    let resp = c.post(&padded(64 * 1024), "application/json");
    assert_eq!(resp.status, 201, "{}", resp.text());
}

#[test]
fn both_content_types_are_accepted_and_others_are_not() {
    let (_dir, c) = start("types");
    let rs = chain(SUBJECT, 500, 3);
    let resp = c.post(
        rs[0].to_string().as_bytes(),
        "application/json; charset=utf-8",
    );
    assert_eq!(resp.status, 201);
    // What navigator.sendBeacon sends for a string body.
    let resp = c.post(rs[1].to_string().as_bytes(), "text/plain;charset=UTF-8");
    assert_eq!(
        (resp.status, resp.json()["chain"].as_str()),
        (201, Some("ok"))
    );
    let resp = c.post(
        rs[2].to_string().as_bytes(),
        "application/x-www-form-urlencoded",
    );
    assert_eq!(resp.status, 415);
    assert_eq!(
        resp.errors(),
        ["Content-Type: expected application/json or text/plain"]
    );
    let resp = request(
        c.addr,
        "POST",
        "/v1/receipts",
        &[],
        rs[2].to_string().as_bytes(),
    );
    assert_eq!(resp.status, 415);
    assert_eq!(c.chain_of(SUBJECT).len(), 2);
}

#[test]
fn cors_answers_configured_origins_only() {
    let dir = TempDir::new("cors");
    let c = Collector::start(
        &dir.path().join("receipts.sqlite3"),
        &["https://shop.example.kz", "http://127.0.0.1:5000"],
        &["X-Tenant"],
    );
    let body = fixture().to_string();
    let post = |origin: &str| {
        request(
            c.addr,
            "POST",
            "/v1/receipts",
            &[("Content-Type", "text/plain"), ("Origin", origin)],
            body.as_bytes(),
        )
    };
    let allowed = post("https://shop.example.kz");
    assert_eq!(allowed.status, 201);
    assert_eq!(
        allowed.header("Access-Control-Allow-Origin"),
        Some("https://shop.example.kz")
    );
    assert_eq!(allowed.header("Vary"), Some("Origin"));

    let other = post("https://evil.example");
    assert_eq!(other.status, 200); // stored already; the page just cannot read this
    assert!(
        other
            .headers
            .iter()
            .all(|(n, _)| !n.to_ascii_lowercase().starts_with("access-control-")),
        "{:?}",
        other.headers
    );
    assert_eq!(other.header("Vary"), Some("Origin"));

    let preflight = |origin: &str, target: &str| {
        request(
            c.addr,
            "OPTIONS",
            target,
            &[
                ("Origin", origin),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "content-type"),
            ],
            b"",
        )
    };
    for target in [
        "/v1/receipts",
        "/v1/export",
        &format!("/v1/receipts/{}", uuid(1)),
    ] {
        let ok = preflight("http://127.0.0.1:5000", target);
        assert_eq!(ok.status, 204, "{target}");
        assert_eq!(
            ok.header("Access-Control-Allow-Origin"),
            Some("http://127.0.0.1:5000")
        );
        assert_eq!(
            ok.header("Access-Control-Allow-Methods"),
            Some("POST, GET, OPTIONS")
        );
        assert_eq!(
            ok.header("Access-Control-Allow-Headers"),
            Some("Content-Type, X-Tenant")
        );
        assert_eq!(ok.header("Access-Control-Max-Age"), Some("7200"));
        let acao = ok
            .headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case("Access-Control-Allow-Origin"));
        assert_eq!(acao.count(), 1, "{:?}", ok.headers);
        let no = preflight("http://127.0.0.1:5001", target);
        assert_eq!(no.status, 403, "{target}");
        assert_eq!(no.header("Access-Control-Allow-Origin"), None);
    }

    let read = request(
        c.addr,
        "GET",
        &format!("/v1/receipts?subject={SUBJECT}"),
        &[("Origin", "https://shop.example.kz")],
        b"",
    );
    assert_eq!(
        read.header("Access-Control-Allow-Origin"),
        Some("https://shop.example.kz")
    );
    // Static files are not part of the API and carry no CORS headers.
    let file = request(
        c.addr,
        "GET",
        "/healthz",
        &[("Origin", "https://shop.example.kz")],
        b"",
    );
    assert_eq!(file.header("Access-Control-Allow-Origin"), None);
}

#[test]
fn receipts_survive_a_restart() {
    let dir = TempDir::new("durable");
    let db = dir.path().join("nested/folder/receipts.sqlite3");
    let rs = chain(SUBJECT, 600, 3);
    {
        let c = Collector::start(&db, &[], &[]);
        assert_eq!(c.post_json(&rs[0]).status, 201);
        assert_eq!(c.post_json(&rs[2]).status, 201);
    } // stopped
    assert!(db.is_file());
    let c = Collector::start(&db, &[], &[]);
    let got = c.chain_of(SUBJECT);
    assert_eq!(got.len(), 2);
    assert_eq!(got[1].1, "missing-predecessor");
    // The chain check continues across the restart.
    assert_eq!(c.post_json(&rs[1]).json()["chain"], "ok");
    assert_eq!(c.post_json(&rs[0]).status, 200);
    let marks: Vec<String> = c.chain_of(SUBJECT).into_iter().map(|(_, m)| m).collect();
    assert_eq!(marks, ["ok", "ok", "ok"]);
}

#[test]
fn export_streams_every_receipt_as_ndjson() {
    let (_dir, c) = start("export");
    let empty = c.export();
    assert_eq!((empty.status, empty.body.len()), (200, 0));
    assert_eq!(empty.header("Content-Type"), Some("application/x-ndjson"));
    // More than one database page (256 rows).
    let mut posted = Vec::new();
    for s in 0..7u64 {
        for r in chain(&uuid(10_000 + s), 1000 * (s + 1), 45) {
            assert_eq!(c.post_json(&r).status, 201);
            posted.push(r["consentReceiptID"].as_str().unwrap().to_string());
        }
    }
    let resp = c.export();
    assert_eq!(resp.status, 200);
    assert_eq!(resp.header("Transfer-Encoding"), Some("chunked"));
    let text = resp.text();
    assert!(text.ends_with('\n'));
    let ids: Vec<String> = text
        .lines()
        .map(|line| {
            let entry: Value = serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            assert_eq!(entry["chain"], "ok");
            assert!(entry["receivedAt"].is_string());
            entry["receipt"]["consentReceiptID"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(ids, posted); // arrival order, each once
}

#[test]
fn concurrent_posts_store_each_receipt_exactly_once() {
    let (_dir, c) = start("concurrent");
    // Eight subjects with ten-receipt chains; every receipt is posted by two
    // threads at once, in different orders.
    let chains: Vec<Vec<Value>> = (0..8)
        .map(|s| chain(&uuid(20_000 + s), 100 * (s + 1), 10))
        .collect();
    let addr = c.addr;
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let mut mine = chains[t % 8].clone();
            if t >= 8 {
                mine.reverse();
            }
            thread::spawn(move || {
                mine.iter()
                    .map(|r| {
                        let resp = request(
                            addr,
                            "POST",
                            "/v1/receipts",
                            &[("Content-Type", "application/json")],
                            r.to_string().as_bytes(),
                        );
                        (
                            r["consentReceiptID"].as_str().unwrap().to_string(),
                            resp.status,
                        )
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    let mut created: HashMap<String, usize> = HashMap::new();
    for t in threads {
        for (id, status) in t.join().unwrap() {
            assert!(status == 201 || status == 200, "{id}: {status}");
            *created.entry(id).or_default() += usize::from(status == 201);
        }
    }
    assert_eq!(created.len(), 80);
    assert!(created.values().all(|&n| n == 1), "{created:?}");
    assert_eq!(c.export().text().lines().count(), 80);
    // Whatever the arrival order, every chain ends up verified.
    for s in 0..8 {
        let marks: Vec<String> = c
            .chain_of(&uuid(20_000 + s))
            .into_iter()
            .map(|(_, m)| m)
            .collect();
        assert_eq!(marks, vec!["ok"; 10]);
    }
}

#[test]
fn reads_and_wrong_methods_answer_clearly() {
    let (_dir, c) = start("reads");
    assert_eq!(c.get("/v1/receipts").status, 400);
    assert_eq!(
        c.get("/v1/receipts").errors(),
        ["subject: missing (GET /v1/receipts?subject=<id>)"]
    );
    assert_eq!(c.get("/v1/receipts?subject=bob").status, 400);
    assert_eq!(c.get(&format!("/v1/receipts/{}", uuid(9))).status, 404);
    assert_eq!(c.get("/v1/receipts/not-an-id").status, 404);
    assert_eq!(c.get("/v1/nothing").status, 404);
    let put = request(
        c.addr,
        "PUT",
        "/v1/receipts",
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(
        (put.status, put.header("Allow")),
        (405, Some("GET, HEAD, POST, OPTIONS"))
    );
    let del = request(
        c.addr,
        "DELETE",
        &format!("/v1/receipts/{}", uuid(9)),
        &[],
        b"",
    );
    assert_eq!(
        (del.status, del.header("Allow")),
        (405, Some("GET, HEAD, OPTIONS"))
    );
    let post_export = request(
        c.addr,
        "POST",
        "/v1/export",
        &[("Content-Type", "application/json")],
        b"{}",
    );
    assert_eq!(post_export.status, 405);
    let plain_options = request(c.addr, "OPTIONS", "/v1/receipts", &[], b"");
    assert_eq!(
        (plain_options.status, plain_options.header("Allow")),
        (204, Some("GET, HEAD, POST, OPTIONS"))
    );
    let health = c.get("/healthz");
    assert_eq!((health.status, health.text().as_str()), (200, "ok"));
}
