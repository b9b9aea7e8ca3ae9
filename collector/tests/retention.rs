//! Retention: the oldest part of each chain is removed with a signed
//! checkpoint, and the export still verifies offline.

mod common;

use std::sync::Arc;
use std::thread;
use std::time::Duration;

use common::{chain, uuid, verify, Collector, TempDir};
use kelisim_collector::sign::Signer;
use kelisim_collector::store::Store;
use serde_json::Value;

fn now_iso() -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    kelisim_core::time::to_iso(ms)
}

#[test]
fn a_purge_removes_old_chain_heads_and_leaves_a_verifiable_export() {
    let dir = TempDir::new("retention");
    let db = dir.path().join("r.sqlite3");
    let c = Collector::start(&db, &[], &[]);
    let key = c.get("/v1/key").json()["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    let (a, b, fresh) = (uuid(950_000), uuid(950_001), uuid(950_002));
    let ra = chain(&a, 950_000, 5);
    let rb = chain(&b, 951_000, 2);
    for r in ra[..3].iter().chain(rb.iter()) {
        assert_eq!(c.post_json(r).status, 201);
    }
    thread::sleep(Duration::from_millis(20));
    let cutoff = now_iso();
    thread::sleep(Duration::from_millis(20));
    for r in &ra[3..] {
        assert_eq!(c.post_json(r).status, 201);
    }
    assert_eq!(c.post_json(&chain(&fresh, 952_000, 1)[0]).status, 201);

    // The retention job's purge, run now with this cutoff (same key file).
    let store = Store::open(
        &db,
        Arc::new(
            Signer::load_or_create(&dir.path().join("r.sqlite3.ed25519"))
                .unwrap()
                .0,
        ),
    )
    .unwrap();
    let cp = store
        .purge_before(&cutoff)
        .unwrap()
        .expect("something removed");
    assert_eq!(cp["receipts"], 5);
    let removed = cp["removed"].as_array().unwrap();
    let through: Vec<(String, u64)> = removed
        .iter()
        .map(|r| {
            (
                r["subject"].as_str().unwrap().to_string(),
                r["throughSeq"].as_u64().unwrap(),
            )
        })
        .collect();
    assert!(
        through.contains(&(a.clone(), 3)) && through.contains(&(b.clone(), 2)),
        "{through:?}"
    );
    assert!(
        store.purge_before(&cutoff).unwrap().is_none(),
        "a second purge removes nothing"
    );
    store.close();

    let remaining: Vec<String> = c.chain_of(&a).into_iter().map(|(id, _)| id).collect();
    assert_eq!(remaining.len(), 2);
    assert!(c.chain_of(&b).is_empty());
    assert_eq!(c.chain_of(&fresh).len(), 1);

    let export = c.export().text();
    let first: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert!(first["checkpoint"].is_object(), "{first}");
    assert_eq!(export.lines().count(), 4);
    let (code, out) = verify(dir.path(), &export, &key);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 retention checkpoints"), "{out}");

    // Without the checkpoint the removal is a gap.
    let headless: String = export.lines().skip(1).map(|l| format!("{l}\n")).collect();
    let (code, out) = verify(dir.path(), &headless, &key);
    assert_eq!(code, 1);
    assert!(
        out.contains(&format!("gap: subject {a}: seq 1..3 missing")),
        "{out}"
    );

    // An altered checkpoint does not verify.
    let forged = export.replacen("\"throughSeq\":3", "\"throughSeq\":4", 1);
    assert_ne!(forged, export);
    let (code, out) = verify(dir.path(), &forged, &key);
    assert_eq!(code, 1);
    assert!(
        out.contains("checkpoint signature does not verify"),
        "{out}"
    );
}
