//! The PostgreSQL backend against a real PostgreSQL server, started here on
//! a temporary data directory and port (Debian's `postgresql` package;
//! `scripts/setup.sh` installs it). Skipped, saying so, only when the
//! server binaries are missing and `KELISIM_REQUIRE_SHARED` is not 1.

mod common;

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::postgres::Postgres;
use common::{
    chain, load, receipt, request, stored_ids, uuid, verify, Collector, Process, TempDir,
};
use serde_json::{json, Value};

fn post(addr: std::net::SocketAddr, r: &Value) -> common::Resp {
    request(
        addr,
        "POST",
        "/v1/receipts",
        &[("Content-Type", "application/json")],
        r.to_string().as_bytes(),
    )
}

#[test]
fn postgresql_backend() {
    let Some(pg) = Postgres::start() else {
        return;
    };
    let work = TempDir::new("pg-work");
    let key = work.path().join("shared.ed25519");

    // Two collectors on one database, posting the same eight chains at once
    // from sixteen threads in different orders.
    let url = pg.database("shared");
    let start = |url: &str| {
        let url = url.to_string();
        let key = key.clone();
        Collector::start_with(&PathBuf::from(url.clone()), move |c| {
            c.signing_key = Some(key);
            c.www = PathBuf::from("/nonexistent");
        })
    };
    let a = start(&url);
    let b = start(&url);
    let chains: Vec<Vec<Value>> = (0..8)
        .map(|s| chain(&uuid(800_000 + s), 800 * (s + 1), 10))
        .collect();
    let addrs = [a.addr, b.addr];
    let threads: Vec<_> = (0..16)
        .map(|t| {
            let mut mine = chains[t % 8].clone();
            if t >= 8 {
                mine.reverse();
            }
            let addr = addrs[t % 2 ^ usize::from(t >= 8)];
            thread::spawn(move || {
                mine.iter()
                    .map(|r| {
                        (
                            r["consentReceiptID"].as_str().unwrap().to_string(),
                            post(addr, r).status,
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
    for s in 0..8 {
        for c in [&a, &b] {
            let marks: Vec<String> = c
                .chain_of(&uuid(800_000 + s))
                .into_iter()
                .map(|(_, m)| m)
                .collect();
            assert_eq!(marks, vec!["ok"; 10]);
        }
    }
    // A fork across collectors: the first keeps its mark.
    let subject = uuid(810_000);
    let rs = chain(&subject, 810_000, 2);
    assert_eq!(post(a.addr, &rs[0]).json()["chain"], "ok");
    assert_eq!(post(a.addr, &rs[1]).json()["chain"], "ok");
    let mut twin = receipt(
        &uuid(810_999),
        &subject,
        2,
        rs[1]["kelisim"]["chain"]["prev"].as_str(),
    );
    twin["kelisim"]["event"] = json!("updated");
    assert_eq!(post(b.addr, &twin).json()["chain"], "fork");
    let marks: Vec<String> = b.chain_of(&subject).into_iter().map(|(_, m)| m).collect();
    assert_eq!(marks, ["ok", "ok", "fork"]);
    // Export (admin token) and offline verification with the shared key.
    let export = a.export().text();
    assert_eq!(export.lines().count(), 83);
    let public = a.get("/v1/key").json()["publicKey"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        b.get("/v1/key").json()["publicKey"].as_str().unwrap(),
        public
    );
    let (code, out) = verify(work.path(), &export, &public);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().filter(|l| l.starts_with("fork:")).count(),
        1,
        "{out}"
    );
    assert!(!out.contains("forged"), "{out}");
    assert_eq!(a.get("/readyz").status, 200);
    drop(a);
    drop(b);

    // Migrations are versioned and run once.
    let mut c = postgres::Client::connect(&url, postgres::NoTls).unwrap();
    let versions: Vec<i32> = c
        .query(
            "SELECT version FROM kelisim_migrations ORDER BY version",
            &[],
        )
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);

    // Retention on PostgreSQL: the oldest part of each chain goes, with a signed
    // checkpoint, and the export still verifies offline.
    let url = pg.database("retained");
    let c = start(&url);
    let (ka, kb, fresh) = (uuid(820_000), uuid(820_001), uuid(820_002));
    let ra = chain(&ka, 820_000, 5);
    let rb = chain(&kb, 821_000, 2);
    for r in ra[..3].iter().chain(rb.iter()) {
        assert_eq!(post(c.addr, r).status, 201);
    }
    thread::sleep(Duration::from_millis(20));
    let cutoff = kelisim_core::time::to_iso(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_millis() as i64,
    );
    thread::sleep(Duration::from_millis(20));
    for r in &ra[3..] {
        assert_eq!(post(c.addr, r).status, 201);
    }
    assert_eq!(post(c.addr, &chain(&fresh, 822_000, 1)[0]).status, 201);
    let store = kelisim_collector::store::Store::open(
        &PathBuf::from(url.clone()),
        Arc::new(
            kelisim_collector::sign::Signer::load_or_create(&key)
                .unwrap()
                .0,
        ),
    )
    .unwrap();
    let cp = store
        .purge_before(&cutoff)
        .unwrap()
        .expect("something removed");
    assert_eq!(cp["receipts"], 5, "{cp}");
    assert!(
        store.purge_before(&cutoff).unwrap().is_none(),
        "a second purge removes nothing"
    );
    store.close();
    assert_eq!(c.chain_of(&ka).len(), 2);
    assert!(c.chain_of(&kb).is_empty());
    assert_eq!(c.chain_of(&fresh).len(), 1);
    let export = c.export().text();
    let first: Value = serde_json::from_str(export.lines().next().unwrap()).unwrap();
    assert!(first["checkpoint"].is_object(), "{first}");
    assert_eq!(export.lines().count(), 4);
    let (code, out) = verify(work.path(), &export, &public);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("1 retention checkpoints"), "{out}");
    drop(c);

    // kill -9 under load: nothing acknowledged is lost.
    let url = pg.database("killed");
    let args = [
        "--db",
        url.as_str(),
        "--signing-key",
        key.to_str().unwrap(),
        "--ip-rate",
        "off",
        "--subject-rate",
        "off",
    ];
    let server = Process::spawn(&args, None, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients = load(server.addr, Arc::clone(&stop), Arc::clone(&acked));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 150 && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    server.signal(9);
    drop(server);
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    let acked = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "only {} acknowledged", acked.len());
    let restarted = Process::spawn(&args, None, &[]);
    let subjects: HashSet<String> = acked.iter().map(|(s, _)| s.clone()).collect();
    let stored = stored_ids(restarted.addr, &subjects);
    let lost = acked.iter().filter(|(_, id)| !stored.contains(id)).count();
    assert_eq!(
        lost,
        0,
        "{lost} of {} acknowledged receipts lost",
        acked.len()
    );
}
