//! Shared helpers for the collector's integration tests: a server on
//! 127.0.0.1:0 with a temporary database, a small HTTP/1.1 client (with
//! chunked decoding), and receipt builders based on `fixtures/receipt.json`.
#![allow(dead_code)]

pub mod postgres;

use std::fs;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread;
use std::time::Duration;

use kelisim_collector::{canon, Config, Server, ShutdownHandle};
use serde_json::Value;

/// The admin token of the test collectors.
pub const ADMIN: &str = "test-admin-token";

/// A unique temp folder, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::SeqCst);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let dir = std::env::temp_dir().join(format!(
            "kelisim-collector-{tag}-{}-{n}-{nanos}",
            std::process::id()
        ));
        fs::create_dir_all(&dir).unwrap();
        TempDir(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// Writes a file under the folder, creating its parents.
    pub fn write(&self, rel: &str, contents: &[u8]) {
        let p = self.0.join(rel);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(p, contents).unwrap();
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

/// A running collector; stops (and joins) on drop.
pub struct Collector {
    pub addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Collector {
    /// Starts a collector on 127.0.0.1:0 storing into `db`.
    pub fn start(db: &Path, cors_origins: &[&str], cors_headers: &[&str]) -> Collector {
        Collector::start_with(db, |c| {
            c.cors_origins = cors_origins.iter().map(|s| s.to_string()).collect();
            c.cors_headers = cors_headers.iter().map(|s| s.to_string()).collect();
        })
    }

    /// Starts a collector on 127.0.0.1:0 storing into `db`, with the test
    /// defaults changed by `adjust`.
    pub fn start_with(db: &Path, adjust: impl FnOnce(&mut Config)) -> Collector {
        let mut config = Config {
            addr: "127.0.0.1:0".into(),
            www: db.with_file_name("www"),
            dist: db.with_file_name("dist"),
            db: db.to_path_buf(),
            quiet: true,
            workers: 4,
            // Tests post hundreds of receipts from one address; the limits
            // have their own tests.
            ip_rate: None,
            subject_rate: None,
            admin_token: kelisim_collector::limits::Secret::new(ADMIN),
            ..Config::default()
        };
        adjust(&mut config);
        let server = Server::bind(config).expect("bind");
        let addr = server.local_addr();
        let handle = server.shutdown_handle();
        let thread = Some(thread::spawn(move || server.run()));
        Collector {
            addr,
            handle,
            thread,
        }
    }

    pub fn post(&self, body: &[u8], content_type: &str) -> Resp {
        request(
            self.addr,
            "POST",
            "/v1/receipts",
            &[("Content-Type", content_type)],
            body,
        )
    }

    pub fn post_json(&self, receipt: &Value) -> Resp {
        self.post(receipt.to_string().as_bytes(), "application/json")
    }

    pub fn get(&self, target: &str) -> Resp {
        request(self.addr, "GET", target, &[], b"")
    }

    /// `GET /v1/export` with the admin token.
    pub fn export(&self) -> Resp {
        let auth = format!("Bearer {ADMIN}");
        request(
            self.addr,
            "GET",
            "/v1/export",
            &[("Authorization", &auth)],
            b"",
        )
    }

    /// `GET /v1/receipts?subject=` as (id, chain) pairs in answer order.
    pub fn chain_of(&self, subject: &str) -> Vec<(String, String)> {
        let r = self.get(&format!("/v1/receipts?subject={subject}"));
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["receipts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["receipt"]["consentReceiptID"]
                        .as_str()
                        .unwrap()
                        .to_string(),
                    e["chain"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    /// The `errors` list of a 4xx answer.
    pub fn errors(&self) -> Vec<String> {
        self.json()["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("no errors list: {}", self.text()))
            .iter()
            .map(|e| e.as_str().unwrap().to_string())
            .collect()
    }
}

/// One request with `Connection: close`; reads the whole answer.
pub fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (n, v) in headers {
        head.push_str(&format!("{n}: {v}\r\n"));
    }
    if !headers
        .iter()
        .any(|(n, _)| n.eq_ignore_ascii_case("Transfer-Encoding"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).unwrap();
    // The server may answer (413) before reading everything; ignore a reset.
    let _ = stream.write_all(body);
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw, method == "HEAD")
}

/// Parses a whole answer; `is_head`: the answer to a HEAD request, whose
/// `Content-Length` describes a body that is not sent.
pub fn parse_response(raw: &[u8], is_head: bool) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no end of headers in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .expect("status code");
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut resp = Resp {
        status,
        headers,
        body: raw[split + 4..].to_vec(),
    };
    if resp
        .header("Transfer-Encoding")
        .is_some_and(|v| v.eq_ignore_ascii_case("chunked"))
    {
        resp.body = dechunk(&resp.body);
    } else if let Some(len) = resp.header("Content-Length").filter(|_| !is_head) {
        assert_eq!(
            len.parse::<usize>().unwrap(),
            resp.body.len(),
            "Content-Length"
        );
    }
    resp
}

/// Decodes a chunked body; panics on a malformed or unterminated one.
pub fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let eol = data
            .windows(2)
            .position(|w| w == b"\r\n")
            .expect("chunk size line");
        let size_text = std::str::from_utf8(&data[..eol]).unwrap();
        let size = usize::from_str_radix(size_text.split(';').next().unwrap().trim(), 16)
            .expect("chunk size");
        data = &data[eol + 2..];
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[..size]);
        assert_eq!(&data[size..size + 2], b"\r\n", "chunk end");
        data = &data[size + 2..];
    }
}

/// The fixture receipt (seq 1 of subject `0b9e8d7c-…`).
pub fn fixture() -> Value {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/receipt.json");
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// A lowercase UUID v4 made from a number (distinct numbers, distinct ids).
pub fn uuid(n: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (n >> 32) as u32 ^ 0x5a5a_0000,
        (n >> 16) & 0xffff,
        (n >> 4) & 0xfff,
        n & 0xf,
        n.wrapping_mul(0x9e37_79b9_7f4a_7c15) & 0xffff_ffff_ffff
    )
}

/// The fixture with another receipt id, subject and chain link.
pub fn receipt(id: &str, subject: &str, seq: u64, prev: Option<&str>) -> Value {
    let mut v = fixture();
    v["consentReceiptID"] = Value::from(id);
    v["piiPrincipalId"] = Value::from(subject);
    v["kelisim"]["law94v"]["subject"] = Value::from(subject);
    v["kelisim"]["chain"]["seq"] = Value::from(seq);
    v["kelisim"]["chain"]["prev"] = prev.map_or(Value::Null, Value::from);
    v
}

/// A chain of `n` receipts for `subject`, each linking to the one before;
/// the later ones are updates (reject-all).
pub fn chain(subject: &str, first_id: u64, n: u64) -> Vec<Value> {
    let mut out: Vec<Value> = Vec::new();
    for seq in 1..=n {
        let prev = out.last().map(canon::hash);
        let mut r = receipt(&uuid(first_id + seq), subject, seq, prev.as_deref());
        if seq > 1 {
            r["kelisim"]["event"] = Value::from("updated");
            r["collectionMethod"] = Value::from("banner: reject all");
        }
        out.push(r);
    }
    out
}

/// The collector binary running as a child process; killed on drop.
pub struct Process {
    pub child: std::process::Child,
    pub addr: SocketAddr,
}

impl Process {
    /// Starts the binary with `args` (after `--addr 127.0.0.1:0 --quiet`),
    /// under `ulimit -n` when given, and reads its listening line.
    pub fn spawn(args: &[&str], nofile: Option<u32>, envs: &[(&str, &str)]) -> Process {
        use std::io::BufRead;
        let bin = env!("CARGO_BIN_EXE_kelisim-collector");
        let mut cmd = match nofile {
            Some(n) => {
                let mut c = std::process::Command::new("sh");
                c.arg("-c")
                    .arg(format!("ulimit -n {n} && exec \"$0\" \"$@\""))
                    .arg(bin);
                c
            }
            None => std::process::Command::new(bin),
        };
        cmd.args(["--addr", "127.0.0.1:0", "--quiet"])
            .args(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::inherit());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().expect("spawn the collector");
        let stdout = child.stdout.take().unwrap();
        let mut reader = std::io::BufReader::new(stdout);
        let mut addr = None;
        for _ in 0..20 {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap_or(0) == 0 {
                break;
            }
            if let Some(rest) = line
                .trim_end()
                .strip_prefix("kelisim-collector listening on http://")
            {
                addr = Some(rest.trim_end_matches('/').parse().expect("address"));
                break;
            }
        }
        // Keep reading stdout so the child never blocks on a full pipe.
        thread::spawn(move || {
            let mut sink = Vec::new();
            let _ = reader.read_to_end(&mut sink);
        });
        let addr = addr.unwrap_or_else(|| {
            let _ = child.kill();
            panic!("the collector printed no listening line")
        });
        Process { child, addr }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal by number (15 = TERM, 9 = KILL).
    pub fn signal(&self, sig: i32) {
        let status = std::process::Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(self.child.id().to_string())
            .status()
            .expect("kill");
        assert!(status.success());
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `GET /healthz` on a fresh connection within `within`; true on a 200.
pub fn healthy(addr: SocketAddr, within: Duration) -> bool {
    let deadline = std::time::Instant::now() + within;
    while std::time::Instant::now() < deadline {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        if let Ok(mut s) = TcpStream::connect_timeout(&addr, left.max(Duration::from_millis(10))) {
            let _ = s.set_read_timeout(Some(left.max(Duration::from_millis(10))));
            if s.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
                .is_ok()
            {
                let mut raw = Vec::new();
                let _ = s.read_to_end(&mut raw);
                if raw.starts_with(b"HTTP/1.1 200") {
                    return true;
                }
            }
        }
        thread::sleep(Duration::from_millis(50));
    }
    false
}

/// A seq-1 receipt for `subject` padded to about `len` bytes of JSON.
pub fn padded_receipt(subject: &str, len: usize) -> String {
    let n = u64::from_str_radix(&subject[24..], 16).unwrap_or(0);
    let mut r = receipt(&uuid(n ^ 0xabcdef), subject, 1, None);
    let base = r.to_string().len();
    r["kelisim"]["pad"] = Value::from("x".repeat(len.saturating_sub(base + 10)));
    r.to_string()
}

/// Eight clients posting their own chains until `stop`; records the
/// (subject, id) of every receipt answered 201 or 200.
pub fn load(
    addr: SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    acked: std::sync::Arc<std::sync::Mutex<Vec<(String, String)>>>,
) -> Vec<thread::JoinHandle<()>> {
    (0..8u64)
        .map(|c| {
            let stop = std::sync::Arc::clone(&stop);
            let acked = std::sync::Arc::clone(&acked);
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

/// The ids stored for these subjects.
pub fn stored_ids(
    addr: SocketAddr,
    subjects: &std::collections::HashSet<String>,
) -> std::collections::HashSet<String> {
    let mut out = std::collections::HashSet::new();
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

/// Runs `kelisim-collector verify` on `export` (written to a new file in `dir`)
/// with the public `key`: its exit code and what it printed.
pub fn verify(dir: &Path, export: &str, key: &str) -> (i32, String) {
    static N: AtomicUsize = AtomicUsize::new(0);
    let path = dir.join(format!(
        "export-{}.ndjson",
        N.fetch_add(1, Ordering::SeqCst)
    ));
    fs::write(&path, export).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kelisim-collector"))
        .arg("verify")
        .arg(&path)
        .args(["--key", key])
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}
