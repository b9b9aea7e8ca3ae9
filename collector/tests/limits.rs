//! The server as an attacker meets it: connection floods past the open-file
//! limit, slow and missing bodies, readers that never read, oversized
//! headers, chunked smuggling. Each probe is bounded in count and time, and
//! each asserts that `/healthz` keeps answering during and after it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::thread;
use std::time::{Duration, Instant};

use common::{chain, healthy, uuid, Collector, Process, TempDir};

fn start(tag: &str) -> (TempDir, Collector) {
    let dir = TempDir::new(tag);
    let c = Collector::start_with(&dir.path().join("receipts.sqlite3"), |c| {
        c.body_timeout = Duration::from_millis(800);
        c.header_timeout = Duration::from_millis(800);
        c.idle_timeout = Duration::from_millis(1500);
    });
    (dir, c)
}

fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s
}

/// Reads until EOF or error; what arrived.
fn read_all(s: &mut TcpStream) -> Vec<u8> {
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    raw
}

#[test]
fn a_huge_declared_content_length_is_refused_and_the_connection_closed() {
    let (_dir, server) = start("huge-length");
    let addr = server.addr;
    for target in ["/index.html", "/v1/receipts"] {
        let mut s = connect(addr);
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        let _ = s.write_all(&[b' '; 4000]);
        let raw = read_all(&mut s);
        assert!(
            raw.starts_with(b"HTTP/1.1 413"),
            "{target}: {:?}",
            String::from_utf8_lossy(&raw)
        );
    }
    assert!(healthy(addr, Duration::from_secs(5)));
}

#[test]
fn a_burst_of_keep_alive_connections_is_served_at_once() {
    // Twelve connections open together; each sends one request and stays
    // open. Every one must be answered while all of them are still open.
    let (_dir, server) = start("burst");
    let addr = server.addr;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(12));
    let clients: Vec<_> = (0..12)
        .map(|_| {
            let barrier = std::sync::Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                let mut s = connect(addr);
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let mut first = [0u8; 12];
                let answered =
                    s.read_exact(&mut first).is_ok() && first.starts_with(b"HTTP/1.1 200");
                (answered, s)
            })
        })
        .collect();
    let results: Vec<(bool, TcpStream)> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|(ok, _)| *ok).count(), 12);
}

#[test]
fn oversized_headers_and_urls_get_431_and_do_not_grow_the_process() {
    let (_dir, server) = start("headers");
    let addr = server.addr;
    // One 1 MiB header line (the server stops reading at 16 KiB).
    let mut s = connect(addr);
    let _ = s.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: ");
    let _ = s.write_all(&vec![b'a'; 1 << 20]);
    let raw = read_all(&mut s);
    assert!(
        raw.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(80)])
    );
    // A 1 MiB URL.
    let mut s = connect(addr);
    let _ = s.write_all(b"GET /");
    let _ = s.write_all(&vec![b'a'; 1 << 20]);
    let _ = s.write_all(b" HTTP/1.1\r\nHost: x\r\n\r\n");
    let raw = read_all(&mut s);
    assert!(
        raw.starts_with(b"HTTP/1.1 4"),
        "{:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(80)])
    );
    // Many small headers.
    let mut s = connect(addr);
    let mut head = String::from("GET /healthz HTTP/1.1\r\nHost: x\r\n");
    for i in 0..1000 {
        head.push_str(&format!("X-{i}: 1\r\n"));
    }
    head.push_str("\r\n");
    let _ = s.write_all(head.as_bytes());
    let raw = read_all(&mut s);
    assert!(
        raw.starts_with(b"HTTP/1.1 431"),
        "{:?}",
        String::from_utf8_lossy(&raw[..raw.len().min(80)])
    );
    assert!(healthy(addr, Duration::from_secs(5)));
}

#[test]
fn chunked_smuggling_gets_413_and_the_hidden_request_never_runs() {
    let (_dir, server) = start("smuggle");
    let addr = server.addr;
    let subject = uuid(77);
    let hidden = chain(&subject, 7700, 1).remove(0).to_string();
    let smuggled = format!(
        "POST /v1/receipts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{hidden}",
        hidden.len()
    );
    // Variant 1: the hidden request follows the over-long chunked body.
    // Variant 2: it is inside the body, past the limit.
    for inside in [false, true] {
        let mut s = connect(addr);
        let mut body = Vec::new();
        let mut payload = vec![b' '; 64 * 1024 + 1];
        if inside {
            payload.extend_from_slice(b"\r\n0\r\n\r\n");
            payload.extend_from_slice(smuggled.as_bytes());
        }
        body.extend_from_slice(format!("{:x}\r\n", payload.len()).as_bytes());
        body.extend_from_slice(&payload);
        body.extend_from_slice(b"\r\n0\r\n\r\n");
        if !inside {
            body.extend_from_slice(smuggled.as_bytes());
        }
        let _ = s.write_all(
            b"POST /v1/receipts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n",
        );
        let _ = s.write_all(&body);
        let raw = read_all(&mut s); // EOF: the server closed the connection
        let text = String::from_utf8_lossy(&raw);
        assert!(text.starts_with("HTTP/1.1 413"), "{text}");
        assert_eq!(
            text.matches("HTTP/1.1 ").count(),
            1,
            "a second answer: {text}"
        );
    }
    thread::sleep(Duration::from_millis(200));
    let stored = server
        .get(&format!("/v1/receipts?subject={subject}"))
        .json();
    assert_eq!(stored["receipts"].as_array().unwrap().len(), 0, "{stored}");
    assert!(healthy(addr, Duration::from_secs(5)));
}

#[test]
fn slow_and_missing_bodies_time_out_without_stalling_anyone() {
    let (_dir, server) = start("slow-body");
    let addr = server.addr;
    let body = chain(&uuid(88), 8800, 1).remove(0).to_string();
    let started = Instant::now();
    let mut slow = Vec::new();
    for i in 0..4 {
        let body = body.clone();
        slow.push(thread::spawn(move || {
            let mut s = connect(addr);
            let head = format!(
                "POST /v1/receipts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
                body.len()
            );
            s.write_all(head.as_bytes()).unwrap();
            if i % 2 == 0 {
                // 1 byte every 300 ms.
                for b in body.as_bytes().iter().take(20) {
                    if s.write_all(&[*b]).is_err() {
                        break;
                    }
                    thread::sleep(Duration::from_millis(300));
                }
            } // odd: declares a body and never sends it
            let raw = read_all(&mut s);
            String::from_utf8_lossy(&raw).into_owned()
        }));
    }
    thread::sleep(Duration::from_millis(200));
    // Meanwhile everyone else is served at once.
    let t = Instant::now();
    assert!(healthy(addr, Duration::from_secs(2)));
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "{:?}",
        t.elapsed()
    );
    for h in slow {
        let answer = h.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    }
    assert!(started.elapsed() < Duration::from_secs(8));
    assert!(healthy(addr, Duration::from_secs(2)));
}

#[test]
fn readers_that_never_read_an_export_are_dropped() {
    let dir = TempDir::new("slow-reader");
    let c = Collector::start_with(&dir.path().join("receipts.sqlite3"), |c| {
        c.idle_timeout = Duration::from_millis(1500);
    });
    let addr = c.addr;
    // About 6 MB of receipts: more than the socket buffers hold.
    let pad = "p".repeat(20_000);
    for s in 0..10u64 {
        for mut r in chain(&uuid(90_000 + s), 90_000 * (s + 1), 30) {
            r["kelisim"]["pad"] = serde_json::Value::from(pad.clone());
            assert_eq!(c.post_json(&r).status, 201);
        }
    }
    let mut stuck = Vec::new();
    for _ in 0..4 {
        let mut s = TcpStream::connect(addr).unwrap();
        s.write_all(
            b"GET /v1/export HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer test-admin-token\r\n\r\n",
        )
        .unwrap();
        stuck.push(s);
    }
    thread::sleep(Duration::from_millis(300));
    assert!(healthy(addr, Duration::from_secs(2)));
    // After the idle timeout the server gives up on them: reading now ends
    // (EOF or reset) long before 6 MB arrive.
    thread::sleep(Duration::from_secs(3));
    for mut s in stuck {
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let mut got = 0usize;
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match s.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => got += n,
            }
        }
        assert!(
            got < 5_000_000,
            "read {got} bytes: the answer was not cut off"
        );
    }
    assert!(healthy(addr, Duration::from_secs(2)));
}

#[test]
fn an_idle_connection_flood_past_the_fd_limit_sheds_and_recovers() {
    let dir = TempDir::new("flood");
    let db = dir.path().join("receipts.sqlite3");
    let mut server = Process::spawn(
        &[
            "--db",
            db.to_str().unwrap(),
            "--www",
            dir.path().to_str().unwrap(),
            "--header-timeout",
            "1s",
            "--idle-timeout",
            "1s",
        ],
        Some(256),
        &[],
    );
    let addr = server.addr;
    // 640 connections sending `GET / HTTP/1.1\r\n` and nothing more.
    let mut idle = Vec::new();
    for _ in 0..640 {
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, Duration::from_millis(500)) {
            let _ = s.write_all(b"GET / HTTP/1.1\r\n");
            idle.push(s);
        }
    }
    assert!(idle.len() > 256, "only {} connections opened", idle.len());
    // While they are all still open on our side, the server sheds them and
    // answers a probe.
    assert!(
        healthy(addr, Duration::from_secs(15)),
        "no answer during the flood"
    );
    assert!(server.alive(), "the server died");
    drop(idle);
    assert!(
        healthy(addr, Duration::from_secs(5)),
        "no answer after the flood"
    );
    // And it still stores receipts.
    let r = chain(&uuid(99), 9900, 1).remove(0).to_string();
    let resp = common::request(
        addr,
        "POST",
        "/v1/receipts",
        &[("Content-Type", "application/json")],
        r.as_bytes(),
    );
    assert_eq!(resp.status, 201, "{}", resp.text());
    assert!(server.alive());
}
