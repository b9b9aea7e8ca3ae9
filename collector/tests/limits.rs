//! The server survives requests whose declared body it never reads
//! (the vendored tiny_http fix, `collector/vendor/tiny_http/PATCHED.md`).

mod common;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use common::{Collector, TempDir};

fn start(tag: &str) -> (TempDir, Collector) {
    let dir = TempDir::new(tag);
    let c = Collector::start(&dir.path().join("receipts.sqlite3"), &[], &[]);
    (dir, c)
}

#[test]
fn a_huge_declared_content_length_does_not_abort_the_server() {
    let (_dir, server) = start("limits");
    let addr = server.addr;

    for target in ["/index.html", "/v1/receipts"] {
        let mut s = TcpStream::connect(addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        let head = format!(
            "POST {target} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000000000000\r\n\r\n"
        );
        s.write_all(head.as_bytes()).unwrap();
        s.write_all(&[b' '; 4000]).unwrap();
        let mut first = [0u8; 12];
        s.read_exact(&mut first).unwrap();
        assert!(
            first.starts_with(b"HTTP/1.1 4"),
            "{target}: {:?}",
            String::from_utf8_lossy(&first)
        );
        drop(s); // the body never comes; the drain sees EOF
    }

    // Still serving: a fresh connection gets an answer.
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut raw = String::new();
    s.read_to_string(&mut raw).unwrap();
    assert!(raw.starts_with("HTTP/1.1 200"), "{raw}");
}

#[test]
fn a_burst_of_keep_alive_connections_is_served_at_once() {
    // Twelve connections open together; each sends one request and stays
    // open. Every one must be answered while all of them are still open (the
    // read timeout only turns a stall into a failure instead of a hang).
    let (_dir, server) = start("burst");
    let addr = server.addr;

    let barrier = std::sync::Arc::new(std::sync::Barrier::new(12));
    let clients: Vec<_> = (0..12)
        .map(|_| {
            let barrier = std::sync::Arc::clone(&barrier);
            thread::spawn(move || {
                barrier.wait();
                let mut s = TcpStream::connect(addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
                s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
                    .unwrap();
                let mut first = [0u8; 12];
                let answered =
                    s.read_exact(&mut first).is_ok() && first.starts_with(b"HTTP/1.1 200");
                (answered, s) // keep the connection open until every client is done
            })
        })
        .collect();
    let results: Vec<(bool, TcpStream)> = clients.into_iter().map(|t| t.join().unwrap()).collect();
    let answered = results.iter().filter(|(ok, _)| *ok).count();
    assert_eq!(
        answered, 12,
        "connections left waiting behind open keep-alive connections"
    );
    drop(results);
}
