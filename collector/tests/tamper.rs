//! Tamper evidence: countersignatures in the 201 answer and in exports,
//! forks recorded without demoting the first receipt, and `verify`
//! finding forged links, deleted rows and altered receipts offline.

mod common;

use common::{chain, receipt, uuid, verify, Collector, TempDir};
use kelisim_collector::{canon, sign};
use serde_json::{json, Value};

fn start(tag: &str) -> (TempDir, Collector) {
    let dir = TempDir::new(tag);
    let c = Collector::start(&dir.path().join("receipts.sqlite3"), &[], &[]);
    (dir, c)
}

fn public_key(c: &Collector) -> String {
    let k = c.get("/v1/key");
    assert_eq!(k.status, 200);
    let v = k.json();
    assert_eq!(v["algorithm"], "Ed25519");
    v["publicKey"].as_str().unwrap().to_string()
}

/// Runs `kelisim-collector verify` on `export`; (exit code, stdout).
#[test]
fn the_201_answer_carries_a_countersignature_that_verifies() {
    let (dir, c) = start("countersign");
    let key_hex = public_key(&c);
    let key = sign::parse_public(&key_hex).unwrap();
    let subject = uuid(600_000);
    let rs = chain(&subject, 600_000, 2);
    for r in &rs {
        let a = c.post_json(r);
        assert_eq!(a.status, 201);
        let a = a.json();
        let hash = canon::hash(r);
        assert_eq!(a["hash"], json!(hash));
        let msg = sign::message(
            &hash,
            a["receivedAt"].as_str().unwrap(),
            &subject,
            r["kelisim"]["chain"]["seq"].as_u64().unwrap(),
            r["kelisim"]["chain"]["prev"].as_str(),
        );
        assert!(sign::verify(&key, &msg, a["signature"].as_str().unwrap()));
        // The signature covers the position: another seq does not verify.
        let moved = sign::message(&hash, a["receivedAt"].as_str().unwrap(), &subject, 9, None);
        assert!(!sign::verify(
            &key,
            &moved,
            a["signature"].as_str().unwrap()
        ));
    }
    // The key file sits beside the database, readable by its owner only.
    let key_file = dir.path().join("receipts.sqlite3.ed25519");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    // Reads carry the same signature.
    let listed = c.get(&format!("/v1/receipts?subject={subject}")).json();
    assert!(listed["receipts"][0]["signature"].is_string());
    let (code, out) = verify(dir.path(), &c.export().text(), &key_hex);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("2 receipts, 1 subjects"), "{out}");
}

#[test]
fn a_forged_second_receipt_is_a_fork_and_never_demotes_the_genuine_one() {
    let (dir, c) = start("forgery");
    let subject = uuid(610_000);
    let genuine = chain(&subject, 610_000, 2);
    assert_eq!(c.post_json(&genuine[0]).json()["chain"], "ok");
    // The attacker reads the chain (the subject id leaked) and posts seq 2
    // "accept-all" with the right prev before the visitor's withdrawal.
    let listed = c.get(&format!("/v1/receipts?subject={subject}")).json();
    let prev = listed["receipts"][0]["hash"].as_str().unwrap().to_string();
    let mut forged = receipt(&uuid(610_999), &subject, 2, Some(&prev));
    forged["kelisim"]["event"] = json!("updated");
    assert_eq!(c.post_json(&forged).json()["chain"], "ok");
    let mut withdraw = genuine[1].clone();
    withdraw["kelisim"]["event"] = json!("withdrawn");
    withdraw["kelisim"]["consent"]["method"] = json!("withdraw");
    let answer = c.post_json(&withdraw);
    assert_eq!(answer.status, 201);
    assert_eq!(answer.json()["chain"], "fork");
    // Both are kept; the first keeps its mark; the genuine one is not a
    // "mismatch".
    let marks = c.chain_of(&subject);
    assert_eq!(marks.len(), 3);
    assert_eq!(marks[0].1, "ok");
    assert_eq!(marks[1], (uuid(610_999), "ok".to_string()));
    assert_eq!(
        marks[2],
        (
            withdraw["consentReceiptID"].as_str().unwrap().to_string(),
            "fork".to_string()
        )
    );
    // The visitor's next receipt, linked to the withdrawal, is ok.
    let mut next = receipt(&uuid(610_003), &subject, 3, Some(&canon::hash(&withdraw)));
    next["kelisim"]["event"] = json!("updated");
    assert_eq!(c.post_json(&next).json()["chain"], "ok");
    // verify shows the fork with both receipts.
    let (code, out) = verify(dir.path(), &c.export().text(), &public_key(&c));
    assert_eq!(code, 1, "{out}");
    let fork_line = out
        .lines()
        .find(|l| l.starts_with("fork:"))
        .unwrap_or_else(|| panic!("{out}"));
    assert!(fork_line.contains(&uuid(610_999)), "{fork_line}");
    assert!(
        fork_line.contains(withdraw["consentReceiptID"].as_str().unwrap()),
        "{fork_line}"
    );
}

#[test]
fn verify_finds_deleted_rows_forged_links_and_altered_receipts() {
    let (dir, c) = start("verify");
    let key = public_key(&c);
    let subject = uuid(620_000);
    for r in chain(&subject, 620_000, 5) {
        assert_eq!(c.post_json(&r).status, 201);
    }
    let export = c.export().text();
    assert_eq!(verify(dir.path(), &export, &key).0, 0);
    let lines: Vec<&str> = export.lines().collect();

    // A deleted row: seq 3 is gone.
    let deleted: String = lines
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 2)
        .map(|(_, l)| format!("{l}\n"))
        .collect();
    let (code, out) = verify(dir.path(), &deleted, &key);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("gap: subject {subject}: seq 3 missing")),
        "{out}"
    );

    // An altered receipt (the choice rewritten in the database).
    let mut e: Value = serde_json::from_str(lines[1]).unwrap();
    e["receipt"]["kelisim"]["consent"]["method"] = json!("custom");
    let altered = export.replace(lines[1], &e.to_string());
    let (code, out) = verify(dir.path(), &altered, &key);
    assert_eq!(code, 1);
    assert!(out.contains("forged or altered: line 2"), "{out}");

    // A rewritten receivedAt.
    let mut e: Value = serde_json::from_str(lines[0]).unwrap();
    e["receivedAt"] = json!("2020-01-01T00:00:00.000Z");
    let (code, out) = verify(dir.path(), &export.replace(lines[0], &e.to_string()), &key);
    assert_eq!(code, 1);
    assert!(out.contains("forged or altered: line 1"), "{out}");

    // A forged link: a receipt whose prev matches nothing, stored (and
    // signed) as a mismatch; verify reports it from the data alone.
    let mut bad = receipt(&uuid(620_999), &subject, 6, Some(&"ab".repeat(32)));
    bad["kelisim"]["event"] = json!("updated");
    assert_eq!(c.post_json(&bad).json()["chain"], "mismatch");
    let (code, out) = verify(dir.path(), &c.export().text(), &key);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!(
            "forged link: subject {subject} seq 6: {}",
            uuid(620_999)
        )),
        "{out}"
    );

    // Another key: nothing verifies.
    let other = sign::Signer::from_seed([9; 32]).public_hex();
    let (code, out) = verify(dir.path(), &export, &other);
    assert_eq!(code, 1);
    assert_eq!(
        out.lines()
            .filter(|l| l.starts_with("forged or altered"))
            .count(),
        5,
        "{out}"
    );

    // Bad inputs: exit 2.
    let (code, _) = verify(dir.path(), &export, "not-a-key");
    assert_eq!(code, 2);
}
