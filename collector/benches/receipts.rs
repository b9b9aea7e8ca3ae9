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

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use kelisim_collector::{canon, Config, Server};

#[path = "../tests/common/mod.rs"]
mod common;

/// Receipts per row (`KELISIM_BENCH_RECEIPTS` changes it, e.g. for a short
/// run under a profiler).
const TOTAL: usize = 4000;

/// `name` from the environment, parsed, or `default`.
fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    match std::env::var(name) {
        Ok(v) => v
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v}: not understood")),
        Err(_) => default,
    }
}

/// The requests one client posts, fully serialized before the clock starts:
/// a chain of `n` receipts for its own subject, each as the bytes of one
/// `POST /v1/receipts` (head and body).
fn requests(addr: SocketAddr, client: u64, n: usize) -> Vec<Vec<u8>> {
    let subject = common::uuid(1_000_000 + client);
    common::chain(&subject, client * 1_000_000, n as u64)
        .iter()
        .map(|r| {
            let body = r.to_string();
            let mut req = format!(
                "POST /v1/receipts HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            )
            .into_bytes();
            req.extend_from_slice(body.as_bytes());
            req
        })
        .collect()
}

/// Where `needle` starts in `hay`.
fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Posts `requests` on one keep-alive connection, one at a time (the next
/// after the previous answer); returns each request's latency. The client
/// does as little as it can: one write per request, reads into one reused
/// buffer, and looks only at the status line and `Content-Length`.
fn client(addr: SocketAddr, requests: Vec<Vec<u8>>) -> (Vec<Duration>, Duration) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream.set_nodelay(true).ok();
    let mut out = Vec::with_capacity(requests.len());
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    for req in requests {
        let start = Instant::now();
        stream.write_all(&req).expect("write");
        buf.clear();
        // Head, then as many body bytes as Content-Length says.
        let (head_end, len) = loop {
            if let Some(end) = find(&buf, b"\r\n\r\n") {
                let head = std::str::from_utf8(&buf[..end]).expect("ASCII head");
                assert!(
                    head.starts_with("HTTP/1.1 201"),
                    "unexpected answer: {}",
                    head.lines().next().unwrap_or("")
                );
                let len = head
                    .lines()
                    .filter_map(|l| l.split_once(':'))
                    .find(|(name, _)| name.eq_ignore_ascii_case("content-length"))
                    .map(|(_, v)| v.trim().parse::<usize>().expect("length"))
                    .expect("Content-Length");
                break (end + 4, len);
            }
            let n = stream.read(&mut chunk).expect("read");
            assert!(n > 0, "the collector closed the connection");
            buf.extend_from_slice(&chunk[..n]);
        };
        while buf.len() < head_end + len {
            let n = stream.read(&mut chunk).expect("read");
            assert!(n > 0, "the collector closed the connection");
            buf.extend_from_slice(&chunk[..n]);
        }
        assert_eq!(buf.len(), head_end + len, "bytes after the answer");
        out.push(start.elapsed());
    }
    (out, cpu_time(libc::RUSAGE_THREAD))
}

/// CPU time (user + system) used so far by this process
/// (`RUSAGE_SELF`) or by the calling thread (`RUSAGE_THREAD`).
fn cpu_time(who: libc::c_int) -> Duration {
    // SAFETY: getrusage only writes into the struct it is given.
    let mut u: libc::rusage = unsafe { std::mem::zeroed() };
    let rc = unsafe { libc::getrusage(who, &mut u) };
    assert_eq!(rc, 0, "getrusage failed");
    let tv = |t: libc::timeval| {
        Duration::from_secs(t.tv_sec as u64) + Duration::from_micros(t.tv_usec as u64)
    };
    tv(u.ru_utime) + tv(u.ru_stime)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

struct Row {
    label: String,
    /// CPU time per receipt spent by the collector (the whole process minus
    /// the client threads), and by the clients: unlike receipts/s, these
    /// hardly depend on how busy the machine is.
    server_cpu: Option<Duration>,
    client_cpu: Option<Duration>,
    per_sec: f64,
    p50: Duration,
    p99: Duration,
    max: Duration,
}

fn row(label: String, mut latencies: Vec<Duration>, elapsed: Duration) -> Row {
    latencies.sort();
    Row {
        label,
        server_cpu: None,
        client_cpu: None,
        per_sec: latencies.len() as f64 / elapsed.as_secs_f64(),
        p50: percentile(&latencies, 0.50),
        p99: percentile(&latencies, 0.99),
        max: *latencies.last().expect("some"),
    }
}

/// Where a collector row stores: a fresh SQLite file, or a fresh database on
/// the PostgreSQL server started for the run.
#[derive(Clone, Copy)]
enum Db<'a> {
    Sqlite,
    Postgres(&'a common::postgres::Postgres),
}

fn collector(dir: &Path, db: Db<'_>, clients: usize, total: usize) -> Row {
    let (path, label) = match db {
        Db::Sqlite => (
            dir.join(format!("bench-{clients}.sqlite3")),
            format!("collector, {clients} clients"),
        ),
        Db::Postgres(pg) => (
            PathBuf::from(pg.database(&format!("bench_{clients}"))),
            format!("collector on PostgreSQL, {clients} clients"),
        ),
    };
    let server = Server::bind(Config {
        addr: "127.0.0.1:0".into(),
        db: path.clone(),
        quiet: true,
        www: dir.join("www"),
        dist: dir.join("dist"),
        signing_key: Some(dir.join("bench.ed25519")),
        ip_rate: None,
        subject_rate: None,
        ..Config::default()
    })
    .expect("bind");
    let addr = server.local_addr();
    let stop = server.shutdown_handle();
    let running = thread::spawn(move || server.run());

    let per_client = total / clients;
    let work: Vec<Vec<Vec<u8>>> = (0..clients as u64)
        .map(|c| requests(addr, c, per_client))
        .collect();
    let cpu_before = cpu_time(libc::RUSAGE_SELF);
    let start = Instant::now();
    let threads: Vec<_> = work
        .into_iter()
        .map(|b| thread::spawn(move || client(addr, b)))
        .collect();
    let mut latencies: Vec<Duration> = Vec::with_capacity(total);
    let mut client_cpu = Duration::ZERO;
    for t in threads {
        let (l, cpu) = t.join().expect("client");
        latencies.extend(l);
        client_cpu += cpu;
    }
    let elapsed = start.elapsed();
    let process_cpu = cpu_time(libc::RUSAGE_SELF).saturating_sub(cpu_before);
    stop.shutdown();
    running.join().expect("server").expect("server run");

    // Every receipt is stored exactly once.
    let n: i64 = match db {
        Db::Sqlite => rusqlite::Connection::open(&path)
            .expect("reopen")
            .query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))
            .expect("count"),
        Db::Postgres(_) => {
            let url = path.to_str().expect("URL");
            postgres::Client::connect(url, postgres::NoTls)
                .expect("connect")
                .query_one("SELECT count(*) FROM receipts", &[])
                .expect("count")
                .get(0)
        }
    };
    assert_eq!(n as usize, latencies.len());
    let count = latencies.len() as u32;
    let mut r = row(label, latencies, elapsed);
    r.server_cpu = Some(process_cpu.saturating_sub(client_cpu) / count);
    r.client_cpu = Some(client_cpu / count);
    r
}

/// One loop, one transaction per row, WAL, synchronous=FULL: the same
/// receipts (canonical form and hash computed, as a collector must).
fn baseline(dir: &Path, total: usize) -> Row {
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
                (total / 32) as u64,
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

/// The load averages (1, 5, 15 min) from /proc/loadavg, when there is one:
/// the figures mean little on a busy machine, so the run states the load.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn main() {
    // `cargo bench` passes `--bench`; nothing to parse. For a short run
    // under a profiler: KELISIM_BENCH_RECEIPTS (per row, default 4000),
    // KELISIM_BENCH_CLIENTS (default "1,8,32"), KELISIM_BENCH_BASELINE=0
    // (collector rows only; ratios are then not printed).
    let total: usize = env_or("KELISIM_BENCH_RECEIPTS", TOTAL);
    let clients: Vec<usize> = std::env::var("KELISIM_BENCH_CLIENTS")
        .unwrap_or_else(|_| "1,8,32".into())
        .split(',')
        .map(|c| {
            c.trim()
                .parse()
                .ok()
                .filter(|&n| n > 0 && n <= total)
                .unwrap_or_else(|| panic!("KELISIM_BENCH_CLIENTS: {c:?} is not a client count"))
        })
        .collect();
    let with_baseline = env_or("KELISIM_BENCH_BASELINE", 1u8) != 0;
    let dir: PathBuf = std::env::temp_dir().join(format!("kelisim-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("bench folder");
    println!(
        "kelisim-collector: {total} receipts per row, POST /v1/receipts over loopback (keep-alive)"
    );
    println!(
        "SQLite WAL, synchronous=FULL; collector with group commit and Ed25519 countersignatures"
    );
    println!(
        "{} CPUs; load average at start: {}",
        thread::available_parallelism().map_or(0, |n| n.get()),
        load_average()
    );
    println!();
    let base = if with_baseline {
        baseline(&dir, total)
    } else {
        Row {
            label: "plain SQLite loop (not run)".into(),
            server_cpu: None,
            client_cpu: None,
            per_sec: f64::NAN,
            p50: Duration::ZERO,
            p99: Duration::ZERO,
            max: Duration::ZERO,
        }
    };
    let mut rows: Vec<Row> = clients
        .iter()
        .map(|&c| collector(&dir, Db::Sqlite, c, total))
        .collect();
    // Beside SQLite: the same collector on PostgreSQL (a server started for
    // the run on a temporary data directory; default settings, so commits
    // are flushed to disk: fsync on, synchronous_commit on), at the most
    // clients. KELISIM_BENCH_POSTGRES=0 leaves it out.
    let mut skipped = None;
    if env_or("KELISIM_BENCH_POSTGRES", 1u8) != 0 {
        let most = *clients.last().expect("clients");
        match common::postgres::Postgres::try_start() {
            Ok(pg) => rows.push(collector(&dir, Db::Postgres(&pg), most, total)),
            Err(common::postgres::NoPostgres::Missing(why))
            | Err(common::postgres::NoPostgres::Failed(why)) => {
                skipped = Some(format!("PostgreSQL row skipped: {}", why.trim()))
            }
        }
    }
    let sqlite_top = rows
        .iter()
        .rfind(|r| !r.label.contains("PostgreSQL"))
        .expect("rows");
    println!("| run | receipts/s | p50 ms | p99 ms | max ms | × baseline | collector CPU µs/receipt | client CPU µs/receipt |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let us = |d: Option<Duration>| {
        d.map_or("–".to_string(), |d| {
            format!("{:.0}", d.as_secs_f64() * 1e6)
        })
    };
    for r in std::iter::once(&base).chain(rows.iter()) {
        println!(
            "| {} | {:.0} | {:.2} | {:.2} | {:.2} | {:.2} | {} | {} |",
            r.label,
            r.per_sec,
            ms(r.p50),
            ms(r.p99),
            ms(r.max),
            r.per_sec / base.per_sec,
            us(r.server_cpu),
            us(r.client_cpu)
        );
    }
    let top = sqlite_top;
    println!();
    if let Some(why) = &skipped {
        println!("{why}");
    }
    println!("load average at end: {}", load_average());
    println!(
        "{} clients: {:.2}× the plain SQLite loop (goal ≥ 5×), p99 {:.2} ms (goal ≤ 20 ms)",
        clients.last().expect("rows"),
        top.per_sec / base.per_sec,
        ms(top.p99)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
