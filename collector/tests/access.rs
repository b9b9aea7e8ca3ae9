//! Access control: rate limits on posting, the subject id as the capability
//! to read a subject's receipts, and the admin token for bulk reads.

mod common;

use std::io::Read;
use std::time::Duration;

use common::{chain, healthy, padded_receipt, request, uuid, Collector, TempDir, ADMIN};
use kelisim_collector::limits::{Rate, Secret};

fn post(c: &Collector, body: &str) -> common::Resp {
    request(
        c.addr,
        "POST",
        "/v1/receipts",
        &[("Content-Type", "application/json")],
        body.as_bytes(),
    )
}

#[test]
fn posting_is_limited_per_client_address() {
    let dir = TempDir::new("ip-rate");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |c| {
        c.ip_rate = Some(Rate {
            per_minute: 60,
            burst: 10,
        });
    });
    // 200 receipts of 60 KB from one client, each for its own subject.
    let mut statuses = Vec::new();
    for i in 0..200u64 {
        let r = padded_receipt(&uuid(300_000 + i), 60_000);
        let resp = post(&c, &r);
        if resp.status == 429 {
            let wait: u64 = resp.header("Retry-After").unwrap().parse().unwrap();
            assert!((1..=2).contains(&wait), "{wait}");
            assert!(
                resp.errors()[0].starts_with("client: too many receipts"),
                "{:?}",
                resp.errors()
            );
        }
        statuses.push(resp.status);
    }
    let stored = statuses.iter().filter(|s| **s == 201).count();
    assert!((10..=13).contains(&stored), "{stored} stored");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 200 - stored);
    assert!(healthy(c.addr, Duration::from_secs(2)));
    // A proxy's header is ignored unless configured: it cannot dodge the limit.
    let r = padded_receipt(&uuid(301_000), 1000);
    let resp = request(
        c.addr,
        "POST",
        "/v1/receipts",
        &[
            ("Content-Type", "application/json"),
            ("X-Real-IP", "203.0.113.9"),
        ],
        r.as_bytes(),
    );
    assert_eq!(resp.status, 429);
}

#[test]
fn behind_a_proxy_the_configured_header_names_the_client() {
    let dir = TempDir::new("proxy-ip");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |c| {
        c.ip_rate = Some(Rate {
            per_minute: 1,
            burst: 1,
        });
        c.client_ip_header = Some("X-Real-IP".into());
    });
    let send = |ip: &str, n: u64| {
        let r = padded_receipt(&uuid(302_000 + n), 1000);
        request(
            c.addr,
            "POST",
            "/v1/receipts",
            &[("Content-Type", "application/json"), ("X-Real-IP", ip)],
            r.as_bytes(),
        )
        .status
    };
    assert_eq!(send("203.0.113.1", 1), 201);
    assert_eq!(send("203.0.113.1", 2), 429);
    assert_eq!(send("203.0.113.2", 3), 201);
}

#[test]
fn posting_is_limited_per_subject() {
    let dir = TempDir::new("subject-rate");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |c| {
        c.subject_rate = Some(Rate {
            per_minute: 30,
            burst: 5,
        });
    });
    let subject = uuid(303_000);
    let rs = chain(&subject, 303_000, 8);
    let statuses: Vec<u16> = rs.iter().map(|r| post(&c, &r.to_string()).status).collect();
    assert_eq!(statuses, [201, 201, 201, 201, 201, 429, 429, 429]);
    // Another subject is not affected.
    let other = chain(&uuid(303_001), 303_100, 1);
    assert_eq!(post(&c, &other[0].to_string()).status, 201);
}

#[test]
fn a_subject_id_reads_its_own_receipts_and_nothing_else_without_the_token() {
    let dir = TempDir::new("capability");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |_| {});
    let a = uuid(304_000);
    for r in chain(&a, 304_000, 2) {
        assert_eq!(post(&c, &r.to_string()).status, 201);
    }
    // What the demo page does.
    let mine = c.get(&format!("/v1/receipts?subject={a}")).json();
    assert_eq!(mine["receipts"].as_array().unwrap().len(), 2);
    // Bulk reads need the token.
    let no = c.get("/v1/export");
    assert_eq!(no.status, 401);
    assert_eq!(no.header("WWW-Authenticate"), Some("Bearer"));
    let wrong = request(
        c.addr,
        "GET",
        "/v1/export",
        &[("Authorization", "Bearer nope")],
        b"",
    );
    assert_eq!(wrong.status, 401);
    let almost = format!("Bearer {}", &ADMIN[..ADMIN.len() - 1]);
    assert_eq!(
        request(
            c.addr,
            "GET",
            "/v1/export",
            &[("Authorization", &almost)],
            b""
        )
        .status,
        401
    );
    assert_eq!(c.export().text().lines().count(), 2);
}

#[test]
fn without_a_configured_token_bulk_reads_are_off() {
    let dir = TempDir::new("no-token");
    let c = Collector::start_with(&dir.path().join("r.sqlite3"), |c| c.admin_token = None);
    let r = c.export();
    assert_eq!(r.status, 404);
    assert_eq!(
        r.errors(),
        ["export: off on this collector (bulk reads need KELISIM_ADMIN_TOKEN to be set)"]
    );
}

#[test]
fn the_token_comes_from_the_environment_and_is_never_logged() {
    let dir = TempDir::new("token-env");
    let token = "s3cret-token-value-for-the-log-test";
    let bin = env!("CARGO_BIN_EXE_kelisim-collector");
    let mut child = std::process::Command::new(bin)
        .args(["--addr", "127.0.0.1:0", "--db"])
        .arg(dir.path().join("r.sqlite3"))
        .env("KELISIM_ADMIN_TOKEN", token)
        .env("RUST_LOG", "debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    while out.read(&mut byte).unwrap_or(0) == 1 && byte[0] != b'\n' {
        line.push(byte[0]);
    }
    let line = String::from_utf8(line).unwrap();
    let addr: std::net::SocketAddr = line
        .trim()
        .strip_prefix("kelisim-collector listening on http://")
        .unwrap()
        .trim_end_matches('/')
        .parse()
        .unwrap();
    let auth = format!("Bearer {token}");
    let ok = request(addr, "GET", "/v1/export", &[("Authorization", &auth)], b"");
    assert_eq!(ok.status, 200);
    let bad = request(
        addr,
        "GET",
        "/v1/export?x=1",
        &[("Authorization", "Bearer guess")],
        b"",
    );
    assert_eq!(bad.status, 401);
    let _ = std::process::Command::new("kill")
        .arg(child.id().to_string())
        .status();
    let output = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&output.stderr);
    assert!(log.contains("/v1/export"), "no request lines: {log}");
    assert!(!log.contains(token), "the token was logged");
    assert!(!log.contains("guess"), "a presented token was logged");
    assert!(Secret::new(token).is_some());
}
