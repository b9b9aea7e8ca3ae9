//! `npm run bench:collector`: how many receipts per second the collector
//! validates, chain-checks and durably stores, posted over loopback by
//! concurrent keep-alive clients, with per-request latency percentiles.
//!
//! Each client posts its own subject's chain (seq 1, 2, …), so every insert
//! also runs the chain check. The server runs as `npm start` runs it (4
//! worker threads, WAL, `synchronous=FULL`), with a fresh database per row.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::PathBuf;
use std::thread;
use std::time::{Duration, Instant};

use kelisim_collector::{Config, Server};

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

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse.
    let dir: PathBuf = std::env::temp_dir().join(format!("kelisim-bench-{}", std::process::id()));
    println!(
        "kelisim-collector: {TOTAL} receipts per row, POST /v1/receipts over loopback (keep-alive)"
    );
    println!("server: 4 worker threads, SQLite WAL, synchronous=FULL");
    println!();
    println!("| clients | receipts/s | p50 ms | p99 ms | max ms |");
    println!("|---:|---:|---:|---:|---:|");
    for clients in [1usize, 8, 16] {
        let db = dir.join(format!("bench-{clients}.sqlite3"));
        let server = Server::bind(Config {
            addr: "127.0.0.1:0".into(),
            db: db.clone(),
            quiet: true,
            www: dir.join("www"),
            dist: dir.join("dist"),
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
        let mut latencies: Vec<Duration> = threads
            .into_iter()
            .flat_map(|t| t.join().expect("client"))
            .collect();
        let elapsed = start.elapsed();
        stop.shutdown();
        running.join().expect("server").expect("server run");

        // Every receipt is stored exactly once.
        let store = kelisim_collector::store::Store::open(&db).expect("reopen");
        assert_eq!(store.count().expect("count"), latencies.len() as u64);

        latencies.sort();
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "| {clients} | {:.0} | {:.2} | {:.2} | {:.2} |",
            latencies.len() as f64 / elapsed.as_secs_f64(),
            ms(percentile(&latencies, 0.50)),
            ms(percentile(&latencies, 0.99)),
            ms(*latencies.last().expect("some")),
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}
