//! Operations endpoints: liveness, readiness, Prometheus metrics.

mod common;

use std::sync::Arc;

use common::{chain, request, uuid, Collector, TempDir};
use kelisim_collector::sign::Signer;
use kelisim_collector::store::Store;

fn metric(text: &str, name: &str) -> f64 {
    text.lines()
        .find(|l| l.starts_with(name) && l[name.len()..].starts_with(' '))
        .and_then(|l| l.rsplit(' ').next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no {name} in\n{text}"))
}

#[test]
fn healthz_readyz_and_metrics_answer() {
    let dir = TempDir::new("ops");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |_| {});
    let h = c.get("/healthz");
    assert_eq!((h.status, h.text().as_str()), (200, "ok"));
    let r = c.get("/readyz");
    assert_eq!((r.status, r.text().as_str()), (200, "ready\n"));
    assert_eq!(request(c.addr, "POST", "/readyz", &[], b"").status, 405);

    let subject = uuid(700_000);
    let rs = chain(&subject, 700_000, 3);
    for r in &rs {
        assert_eq!(c.post_json(r).status, 201);
    }
    assert_eq!(c.post_json(&rs[0]).status, 200);
    assert_eq!(c.post(b"{", "application/json").status, 400);

    let m = c.get("/metrics");
    assert_eq!(m.status, 200);
    assert!(m
        .header("Content-Type")
        .unwrap()
        .starts_with("text/plain; version=0.0.4"));
    let text = m.text();
    assert_eq!(
        metric(&text, "kelisim_http_requests_total{status=\"201\"}"),
        3.0
    );
    assert_eq!(
        metric(&text, "kelisim_http_requests_total{status=\"400\"}"),
        1.0
    );
    assert_eq!(metric(&text, "kelisim_receipts_stored_total"), 3.0);
    assert_eq!(metric(&text, "kelisim_receipts_duplicate_total"), 1.0);
    assert_eq!(metric(&text, "kelisim_chain_marks_total{mark=\"ok\"}"), 3.0);
    assert_eq!(
        metric(&text, "kelisim_chain_marks_total{mark=\"fork\"}"),
        0.0
    );
    assert_eq!(metric(&text, "kelisim_group_commit_batch_size_count"), 4.0);
    assert!(metric(&text, "kelisim_http_request_duration_seconds_count") >= 7.0);
    assert!(
        metric(
            &text,
            "kelisim_http_request_duration_seconds_bucket{le=\"+Inf\"}"
        ) >= 7.0
    );
    // Counts only: no subject id in the metrics.
    assert!(!text.contains(&subject));
}

#[test]
fn a_store_whose_writer_stopped_is_not_ready() {
    let dir = TempDir::new("ready");
    let store = Store::open(
        &dir.path().join("r.sqlite3"),
        Arc::new(Signer::from_seed([3; 32])),
    )
    .unwrap();
    assert!(store.ready().is_ok());
    store.close();
    assert_eq!(
        store.ready().unwrap_err().to_string(),
        "the writer has stopped"
    );
}
