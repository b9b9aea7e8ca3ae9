//! `npm run bench:collector`: how many receipts per second the collector
//! validates, chain-checks, countersigns and durably stores, posted over
//! loopback by 1, 8 and 32 concurrent keep-alive clients, with per-request
//! latency percentiles; and, in the same run, a plain SQLite baseline: one
//! loop inserting the same receipts one transaction per row (WAL,
//! `synchronous=FULL`), the floor any durable collector has to beat.
//!
//! Each client posts its own subject's chain (seq 1, 2, …), so every insert
//! also runs the chain check. The server runs as `npm start` runs it (WAL,
//! `synchronous=FULL`, group commit), rate limits off, a fresh database per row.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use kelisim_collector::{canon, Config, Server};

#[path = "../tests/common/mod.rs"]
mod common;

const TOTAL: usize = 4000;

/// The bodies one client posts: a chain of `n` receipts for its own subject.
fn bodies(client: u64, n: usize) -> Vec<String> {
    let subject = common::uuid(1_000_000 + client);
    common::chain(&subject, client * 1_000_000, n as u64)
        .iter()
        .map(|r| r.to_string())
        .collect()
}

/// Posts `bodies` on one keep-alive connection; returns each request's latency.
fn client(addr: SocketAddr, bodies: Vec<String>) -> Vec<Duration> {
    let stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    let mut writer = stream.try_clone().expect("clone");
    let mut reader = BufReader::new(stream);
    let mut out = Vec::with_capacity(bodies.len());
    for body in bodies {
        let start = Instant::now();
        let head = format!(
            "POST /v1/receipts HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        writer.write_all(head.as_bytes()).expect("write");
        writer.write_all(body.as_bytes()).expect("write");
        let mut status = String::new();
        reader.read_line(&mut status).expect("status");
        assert!(
            status.starts_with("HTTP/1.1 201"),
            "unexpected answer: {status}"
        );
        let mut len = 0usize;
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("header");
            if line == "\r\n" {
                break;
            }
            if let Some((name, value)) = line.split_once(':') {
                if name.eq_ignore_ascii_case("content-length") {
                    len = value.trim().parse().expect("length");
                }
            }
        }
        let mut answer = vec![0; len];
        reader.read_exact(&mut answer).expect("body");
        out.push(start.elapsed());
    }
    out
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Row {
    label: String,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn row(label: String, mut latencies: Vec<Duration>, elapsed: Duration) -> Row {
    latencies.sort();
    Row {
        label,
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: *latencies.last().expect("some"),
    }
}

fn collector(dir: &Path, clients: usize) -> Row {
    let db = dir.join(format!("bench-{clients}.sqlite3"));
    let server = Server::bind(Config {
        addr: "127.0.0.1:0".into(),
        db: db.clone(),
        quiet: true,
        www: dir.join("www"),
        dist: dir.join("dist"),
        ip_rate: None,
        subject_rate: None,
        ..Config::default()
    })
    .expect("bind");
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let running = thread::spawn(move || server.run());

    let per_client = TOTAL / clients;
    let work: Vec<Vec<String>> = (0..clients as u64).map(|c| bodies(c, per_client)).collect();
    let start = Instant::now();
    let threads: Vec<_> = work
        .into_iter()
        .map(|b| thread::spawn(move || client(addr, b)))
        .collect();
    let latencies: Vec<Duration> = threads
        .into_iter()
        .flat_map(|t| t.join().expect("client"))
        .collect();
    let elapsed = start.elapsed();
    stop.shutdown();
    running.join().expect("server").expect("server run");

    // Every receipt is stored exactly once.
    let conn = rusqlite::Connection::open(&db).expect("reopen");
    let n: i64 = conn
        .query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n as usize, latencies.len());
    row(format!("collector, {clients} clients"), latencies, elapsed)
}

/// One loop, one transaction per row, WAL, synchronous=FULL: the same
/// receipts (canonical form and hash computed, as a collector must).
fn baseline(dir: &Path) -> Row {
    let db = dir.join("baseline.sqlite3");
    let conn = rusqlite::Connection::open(&db).expect("open");
    let mode: String = conn
        .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
        .expect("wal");
    assert_eq!(mode, "wal");
    conn.execute_batch(
        "PRAGMA synchronous = FULL;
         CREATE TABLE receipts (n INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE,
           subject TEXT NOT NULL, seq INTEGER NOT NULL, hash TEXT NOT NULL, body TEXT NOT NULL);",
    )
    .expect("schema");
    let receipts: Vec<serde_json::Value> = (0..32u64)
        .flat_map(|c| {
            common::chain(
                &common::uuid(1_000_000 + c),
                c * 1_000_000,
                (TOTAL / 32) as u64,
            )
        })
        .collect();
    let mut latencies = Vec::with_capacity(receipts.len());
    let start = Instant::now();
    for r in &receipts {
        let t = Instant::now();
        let body = canon::canonical(r);
        let hash = canon::sha256_hex(body.as_bytes());
        conn.execute_batch("BEGIN IMMEDIATE").expect("begin");
        conn.execute(
            "INSERT INTO receipts (id, subject, seq, hash, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            rusqlite::params![
                r["consentReceiptID"].as_str(),
                r["piiPrincipalId"].as_str(),
                r["kelisim"]["chain"]["seq"].as_i64(),
                hash,
                body
            ],
        )
        .expect("insert");
        conn.execute_batch("COMMIT").expect("commit");
        latencies.push(t.elapsed());
    }
    row(
        "plain SQLite loop, 1 transaction per row".into(),
        latencies,
        start.elapsed(),
    )
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let dir: PathBuf = std::env::temp_dir().join(format!("kelisim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    println!(
        "kelisim-collector: {TOTAL} receipts per row, POST /v1/receipts over loopback (keep-alive)"
    );
    println!(
        "SQLite WAL, synchronous=FULL; collector with group commit and Ed25519 countersignatures"
    );
    println!();
    let base = baseline(&dir);
    let rows: Vec<Row> = [1usize, 8, 32]
        .iter()
        .map(|&c| collector(&dir, c))
        .collect();
    println!("| run | receipts/s | p50 ms | p99 ms | max ms | × baseline |");
    println!("|---|---:|---:|---:|---:|---:|");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    for r in std::iter::once(&base).chain(rows.iter()) {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} |",
            r.label,
            r.per_sec,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.per_sec / base.per_sec
        );
    }
    let top = rows.last().expect("rows");
    println!();
    println!(
        "32 clients: {:.2}× the plain SQLite loop (goal ≥ 5×), p99 {:.2} ms (goal ≤ 20 ms)",
        top.per_sec / base.per_sec,
        ms(top.p99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
