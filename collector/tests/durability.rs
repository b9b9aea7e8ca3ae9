//! Nothing acknowledged is lost: kill -9 under load, and SIGTERM under load
//! (which must also finish the requests in progress and exit cleanly).

mod common;

use std::collections::HashSet;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{chain, request, uuid, Process, TempDir};

/// Eight clients posting their own chains until `stop`; the ids answered
/// 201 or 200.
fn load(
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<(String, String)>>>,
) -> Vec<thread::JoinHandle<()>> {
    (0..8u64)
        .map(|c| {
            let stop = Arc::clone(&stop);
            let acked = Arc::clone(&acked);
            thread::spawn(move || {
                let subject = uuid(500_000 + c);
                for r in chain(&subject, 1_000_000 * (c + 1), 400) {
                    if stop.load(Ordering::SeqCst) {
                        return;
                    }
                    let body = r.to_string();
                    let resp = std::panic::catch_unwind(|| {
                        request(
                            addr,
                            "POST",
                            "/v1/receipts",
                            &[("Content-Type", "application/json")],
                            body.as_bytes(),
                        )
                    });
                    match resp {
                        Ok(resp) if resp.status == 201 || resp.status == 200 => {
                            acked.lock().unwrap().push((
                                subject.clone(),
                                r["consentReceiptID"].as_str().unwrap().to_string(),
                            ))
                        }
                        _ => return, // the server went away
                    }
                }
            })
        })
        .collect()
}

fn stored_ids(addr: SocketAddr, subjects: &HashSet<String>) -> HashSet<String> {
    let mut out = HashSet::new();
    for s in subjects {
        let r = request(addr, "GET", &format!("/v1/receipts?subject={s}"), &[], b"");
        assert_eq!(r.status, 200);
        for e in r.json()["receipts"].as_array().unwrap() {
            out.insert(
                e["receipt"]["consentReceiptID"]
                    .as_str()
                    .unwrap()
                    .to_string(),
            );
        }
    }
    out
}

fn run(signal: i32) {
    let dir = TempDir::new("durability");
    let db = dir.path().join("receipts.sqlite3");
    let args = [
        "--db",
        db.to_str().unwrap(),
        "--www",
        dir.path().to_str().unwrap(),
        "--ip-rate",
        "off",
        "--subject-rate",
        "off",
    ];
    let mut server = Process::spawn(&args, None, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients = load(server.addr, Arc::clone(&stop), Arc::clone(&acked));
    // Signal once the load is well under way.
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    while acked.lock().unwrap().len() < 150 && std::time::Instant::now() < deadline {
        thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "signal {signal} after {} acknowledged",
        acked.lock().unwrap().len()
    );
    server.signal(signal);
    let status = server.child.wait().unwrap();
    stop.store(true, Ordering::SeqCst);
    for c in clients {
        c.join().unwrap();
    }
    if signal == 15 {
        assert!(status.success(), "SIGTERM: exit {status:?}");
    }
    let acked = acked.lock().unwrap().clone();
    assert!(
        acked.len() > 20,
        "only {} receipts acknowledged",
        acked.len()
    );
    let restarted = Process::spawn(&args, None, &[]);
    let subjects: HashSet<String> = acked.iter().map(|(s, _)| s.clone()).collect();
    let stored = stored_ids(restarted.addr, &subjects);
    let lost: Vec<&String> = acked
        .iter()
        .map(|(_, id)| id)
        .filter(|id| !stored.contains(*id))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged receipts lost",
        lost.len(),
        acked.len()
    );
}

#[test]
fn kill_9_under_load_loses_no_acknowledged_receipt() {
    run(9);
}

#[test]
fn sigterm_under_load_finishes_and_loses_nothing() {
    run(15);
}
