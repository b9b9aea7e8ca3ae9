//! End-to-end tests: a real server on 127.0.0.1:0 and a tiny HTTP/1.1 client.

mod common;

use std::io::{BufRead, BufReader};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::thread;

use common::{Resp, TempDir};
use kelisim_collector::{Config, Server, ShutdownHandle};

/// Layout:
///   base/secret                 (outside both roots)
///   base/www/index.html, app.wasm, docs/index.html, docs/page.txt
///   base/dist/x.js, kelisim.d.ts
struct Site {
    base: TempDir,
    addr: SocketAddr,
    handle: ShutdownHandle,
    thread: Option<thread::JoinHandle<std::io::Result<()>>>,
}

impl Site {
    fn start() -> Site {
        let base = TempDir::new("site");
        base.write("secret", b"TOP SECRET");
        base.write("www/index.html", b"<!doctype html><title>home</title>");
        base.write("www/app.wasm", b"\0asm\x01\0\0\0");
        base.write("www/docs/index.html", b"docs index");
        base.write("www/docs/page.txt", b"plain page");
        base.write("dist/x.js", b"export const fromDist = 1;");
        base.write("dist/kelisim.d.ts", b"export declare const x: number;");

        let server = Server::bind(Config {
            addr: "127.0.0.1:0".into(),
            www: base.path().join("www"),
            dist: base.path().join("dist"),
            quiet: true,
            workers: 4,
            db: base.path().join("receipts.sqlite3"),
            ..Config::default()
        })
        .expect("bind");
        let addr = server.local_addr();
        assert_ne!(addr.port(), 0);
        let handle = server.shutdown_handle();
        let thread = thread::spawn(move || server.run());
        Site {
            base,
            addr,
            handle,
            thread: Some(thread),
        }
    }

    fn get(&self, path: &str) -> Resp {
        request(self.addr, "GET", path)
    }
}

impl Drop for Site {
    fn drop(&mut self) {
        self.handle.shutdown();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Sends one request with `Connection: close` (a POST carries `{}`) and
/// reads until EOF; the static files are never sent chunked.
fn request(addr: SocketAddr, method: &str, target: &str) -> Resp {
    let body: &[u8] = if method == "POST" { b"{}" } else { b"" };
    let resp = common::request(addr, method, target, &[], body);
    assert!(
        resp.header("Transfer-Encoding").is_none(),
        "client does not do chunked"
    );
    resp
}

#[test]
fn healthz() {
    let site = Site::start();
    let r = site.get("/healthz");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "ok");
    assert_eq!(r.header("Cache-Control"), Some("no-cache"));
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));
}

#[test]
fn root_serves_index_html() {
    let site = Site::start();
    let r = site.get("/");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/html; charset=utf-8"));
    assert_eq!(r.text(), "<!doctype html><title>home</title>");
    assert_eq!(r.header("Cache-Control"), Some("no-cache"));
    assert_eq!(r.header("X-Content-Type-Options"), Some("nosniff"));

    // Query string is ignored for lookup.
    let r = site.get("/?lang=kk");
    assert_eq!(r.status, 200);
    assert_eq!(r.text(), "<!doctype html><title>home</title>");
}

#[test]
fn subfolder_index_and_redirect() {
    let site = Site::start();
    let r = site.get("/docs/");
    assert_eq!((r.status, r.text().as_str()), (200, "docs index"));
    let r = site.get("/docs");
    assert_eq!(r.status, 301);
    assert_eq!(r.header("Location"), Some("/docs/"));
    let r = site.get("/docs/page.txt");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
}

#[test]
fn wasm_content_type() {
    let site = Site::start();
    let r = site.get("/app.wasm");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/wasm"));
    assert_eq!(r.body, b"\0asm\x01\0\0\0");
}

#[test]
fn kelisim_prefix_comes_from_dist() {
    let site = Site::start();
    let r = site.get("/kelisim/x.js");
    assert_eq!(r.status, 200);
    assert_eq!(
        r.header("Content-Type"),
        Some("text/javascript; charset=utf-8")
    );
    assert_eq!(r.text(), "export const fromDist = 1;");
    let r = site.get("/kelisim/kelisim.d.ts");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("text/plain; charset=utf-8"));
    // Not in www.
    assert_eq!(site.get("/x.js").status, 404);
}

/// Text, scripts, styles and wasm go out gzip-compressed to a client that
/// accepts it (the size a visitor downloads); the same bytes once inflated.
/// Images, tiny files and clients that do not ask get the file as it is.
#[test]
fn static_files_are_gzipped_when_the_client_accepts_it() {
    use std::io::Read;
    let site = Site::start();
    let script = "export const answer = 42;\n".repeat(200);
    site.base.write("dist/big.js", script.as_bytes());
    let mut wasm = b"\0asm\x01\0\0\0".to_vec();
    wasm.extend(std::iter::repeat_n(0u8, 4096));
    site.base.write("www/big.wasm", &wasm);
    site.base.write("www/pic.png", &[0x89; 4096]);
    let gzip = [("Accept-Encoding", "gzip, deflate")];
    for (path, plain, content_type) in [
        ("/kelisim/big.js", script.as_bytes(), "text/javascript; charset=utf-8"),
        ("/big.wasm", &wasm[..], "application/wasm"),
    ] {
        let r = common::request(site.addr, "GET", path, &gzip, b"");
        assert_eq!(r.status, 200, "{path}");
        assert_eq!(r.header("Content-Encoding"), Some("gzip"), "{path}");
        assert_eq!(r.header("Content-Type"), Some(content_type), "{path}");
        assert!(r.header("Vary").is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")), "{path}");
        assert!(r.body.len() < plain.len() / 4, "{path}: {} bytes compressed", r.body.len());
        let mut inflated = Vec::new();
        flate2::read::GzDecoder::new(&r.body[..]).read_to_end(&mut inflated).expect("a gzip body");
        assert_eq!(inflated, plain, "{path}");
        // Without Accept-Encoding: the file as it is, with its length.
        let r = site.get(path);
        assert_eq!(r.header("Content-Encoding"), None, "{path}");
        assert_eq!(r.header("Content-Length"), Some(plain.len().to_string().as_str()), "{path}");
        assert_eq!(r.body, plain, "{path}");
    }
    let r = common::request(site.addr, "GET", "/pic.png", &gzip, b"");
    assert_eq!(r.header("Content-Encoding"), None, "a PNG is compressed already");
    assert_eq!(r.body.len(), 4096);
    let r = common::request(site.addr, "GET", "/app.wasm", &gzip, b"");
    assert_eq!(r.header("Content-Encoding"), None, "8 bytes are not worth it");
    assert_eq!(r.body, b"\0asm\x01\0\0\0");
    let r = common::request(site.addr, "GET", "/kelisim/big.js", &[("Accept-Encoding", "br")], b"");
    assert_eq!(r.header("Content-Encoding"), None, "only gzip is offered");
    assert_eq!(r.body, script.as_bytes());
}

#[test]
fn head_has_headers_but_no_body() {
    let site = Site::start();
    let r = request(site.addr, "HEAD", "/app.wasm");
    assert_eq!(r.status, 200);
    assert_eq!(r.header("Content-Type"), Some("application/wasm"));
    assert_eq!(r.header("Content-Length"), Some("8"));
    assert!(r.body.is_empty());
}

#[test]
fn traversal_is_refused() {
    let site = Site::start();
    for target in [
        "/../Cargo.toml",
        "/%2e%2e/secret",
        "/%2E%2E/secret",
        "/../secret",
        "/docs/../../secret",
        "/kelisim/../secret",
        "/kelisim/%2e%2e/secret",
        "/kelisim/..%2fsecret",
        "/%2e%2e%2fsecret",
        "/..%5csecret",
        "/docs%00.txt",
        "/%zz",
        "//etc/passwd",
    ] {
        let r = site.get(target);
        assert_ne!(r.status, 200, "{target} must not be served");
        assert!(
            !r.text().contains("TOP SECRET"),
            "{target} leaked the secret"
        );
        assert!(
            matches!(r.status, 400 | 403 | 404),
            "{target}: {}",
            r.status
        );
    }
}

#[test]
fn post_is_405() {
    let site = Site::start();
    for target in ["/", "/index.html", "/healthz", "/kelisim/x.js"] {
        let r = request(site.addr, "POST", target);
        assert_eq!(r.status, 405, "{target}");
        assert_eq!(r.header("Allow"), Some("GET, HEAD"), "{target}");
    }
}

#[test]
fn missing_file_is_404() {
    let site = Site::start();
    let r = site.get("/nope.html");
    assert_eq!(r.status, 404);
    assert!(!r.body.is_empty());
    assert_eq!(site.get("/kelisim/nope.js").status, 404);
}

#[test]
fn concurrent_requests() {
    let site = Site::start();
    // Hold several idle connections open; the pool must still answer.
    let idle: Vec<TcpStream> = (0..3)
        .map(|_| TcpStream::connect(site.addr).unwrap())
        .collect();
    let addr = site.addr;
    let threads: Vec<_> = (0..16)
        .map(|_| thread::spawn(move || request(addr, "GET", "/app.wasm").status))
        .collect();
    for t in threads {
        assert_eq!(t.join().unwrap(), 200);
    }
    drop(idle);
}

struct KillOnDrop(Child);

impl Drop for KillOnDrop {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn binary_prints_listening_line() {
    let base = TempDir::new("bin");
    base.write("www/index.html", b"bin home");
    let child = Command::new(env!("CARGO_BIN_EXE_kelisim-collector"))
        .args(["--addr", "127.0.0.1:0", "--quiet", "--www"])
        .arg(base.path().join("www"))
        .arg("--dist")
        .arg(base.path().join("dist"))
        .arg("--db")
        .arg(base.path().join("data/receipts.sqlite3"))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn binary");
    let mut child = KillOnDrop(child);
    let stdout = child.0.stdout.take().unwrap();
    let mut line = String::new();
    BufReader::new(stdout).read_line(&mut line).unwrap();
    let rest = line
        .trim_end()
        .strip_prefix("kelisim-collector listening on http://127.0.0.1:")
        .unwrap_or_else(|| panic!("unexpected line: {line:?}"));
    let port: u16 = rest.strip_suffix('/').unwrap().parse().unwrap();
    assert_ne!(port, 0);
    let r = request(SocketAddr::from(([127, 0, 0, 1], port)), "GET", "/");
    assert_eq!((r.status, r.text().as_str()), (200, "bin home"));
}

#[test]
fn binary_rejects_bad_args() {
    let out = Command::new(env!("CARGO_BIN_EXE_kelisim-collector"))
        .arg("--bogus")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
}

#[cfg(unix)]
#[test]
fn symlink_out_of_root_is_refused() {
    let site = Site::start();
    let link = site.base.path().join("www/leak");
    std::os::unix::fs::symlink(site.base.path().join("secret"), &link).unwrap();
    let r = site.get("/leak");
    assert_eq!(r.status, 403);
    assert!(!r.text().contains("TOP SECRET"));
}
