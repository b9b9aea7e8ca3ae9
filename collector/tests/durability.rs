//! Nothing acknowledged is lost: kill -9 under load, and SIGTERM under load
//! (which must also finish the requests in progress and exit cleanly).

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use common::{load, stored_ids, Process, TempDir};

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
