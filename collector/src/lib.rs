//! `kelisim-collector`: a small blocking HTTP server.
//!
//! It serves the kelisim demo site (`--www`) and the built package
//! (`--dist`, under `/kelisim/`), and collects consent receipts under `/v1/`
//! ([`api`]): it validates them ([`receipt`], [`schema`]), stores them in
//! SQLite ([`store`]) and checks each subject's hash chain ([`canon`]). Routes
//! live in [`router`]; shared state (the store, the CORS policy) in
//! [`Context`].
//!
//! Threading: one `tiny_http::Server` shared through an `Arc` by a small fixed
//! pool of worker threads, each calling `recv()`. No async runtime.

use std::fs::File;
use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

pub use tiny_http::{Method, Request};

pub mod api;
pub mod canon;
pub mod cors;
pub mod files;
pub mod receipt;
pub mod schema;
pub mod store;
pub mod time;

use files::{Refusal, Resolved};

/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default number of worker threads.
pub const DEFAULT_WORKERS: usize = 4;
/// URL prefix served from the `--dist` folder.
pub const DIST_PREFIX: &str = "/kelisim/";
/// Default receipt database.
pub const DEFAULT_DB: &str = "data/receipts.sqlite3";

/// Command-line help text.
pub const USAGE: &str = "\
usage: kelisim-collector [--addr HOST:PORT] [--www DIR] [--dist DIR] [--db PATH]
                         [--cors-origin ORIGIN]... [--cors-header NAME]... [--quiet]

  --addr HOST:PORT      address to listen on (default 127.0.0.1:8080; port 0 = any free port)
  --www DIR             folder served at / (default: www)
  --dist DIR            folder served at /kelisim/ (default: dist)
  --db PATH             SQLite file for receipts, created with its folder
                        (default: data/receipts.sqlite3)
  --cors-origin ORIGIN  let pages on ORIGIN (scheme://host[:port]) read /v1/ answers; repeatable
  --cors-header NAME    one more request header a preflight allows besides Content-Type; repeatable
  --quiet               do not log requests to stderr
  -h, --help            show this help
";

/// Server configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Address to bind, anything `ToSocketAddrs` accepts (`127.0.0.1:0` works).
    pub addr: String,
    /// Root of the demo site, served at `/`.
    pub www: PathBuf,
    /// Built package folder, served at `/kelisim/`.
    pub dist: PathBuf,
    /// Suppress per-request logging on stderr.
    pub quiet: bool,
    /// Number of worker threads (at least 1 is used).
    pub workers: usize,
    /// SQLite file for receipts.
    pub db: PathBuf,
    /// Origins allowed to read `/v1/` answers (CORS), lowercase.
    pub cors_origins: Vec<String>,
    /// Extra request header names a CORS preflight allows.
    pub cors_headers: Vec<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: DEFAULT_ADDR.to_string(),
            www: PathBuf::from("www"),
            dist: PathBuf::from("dist"),
            quiet: false,
            workers: DEFAULT_WORKERS,
            db: PathBuf::from(DEFAULT_DB),
            cors_origins: Vec::new(),
            cors_headers: Vec::new(),
        }
    }
}

/// What the command line asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Command {
    /// Run the server with this configuration.
    Run(Config),
    /// Print [`USAGE`] and exit successfully.
    Help,
}

impl Config {
    /// Parses the arguments after the program name. Accepts `--flag value`
    /// and `--flag=value`.
    pub fn from_args<I, S>(args: I) -> Result<Command, String>
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let mut config = Config::default();
        let mut args = args.into_iter().map(Into::into);
        while let Some(arg) = args.next() {
            let (flag, inline) = match arg.split_once('=') {
                Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
                _ => (arg.clone(), None),
            };
            let mut value = |name: &str| -> Result<String, String> {
                match inline.clone().or_else(|| args.next()) {
                    Some(v) if !v.is_empty() => Ok(v),
                    _ => Err(format!("{name} needs a value")),
                }
            };
            match flag.as_str() {
                "--addr" => config.addr = value("--addr")?,
                "--www" => config.www = PathBuf::from(value("--www")?),
                "--dist" => config.dist = PathBuf::from(value("--dist")?),
                "--db" => config.db = PathBuf::from(value("--db")?),
                "--cors-origin" => config
                    .cors_origins
                    .push(cors::parse_origin(&value("--cors-origin")?)?),
                "--cors-header" => config
                    .cors_headers
                    .push(cors::parse_header_name(&value("--cors-header")?)?),
                "--quiet" | "-q" if inline.is_none() => config.quiet = true,
                "--help" | "-h" if inline.is_none() => return Ok(Command::Help),
                _ => return Err(format!("unknown argument: {arg}")),
            }
        }
        Ok(Command::Run(config))
    }
}

/// State shared by all workers and passed to [`router`].
#[derive(Debug)]
pub struct Context {
    /// The configuration it was built from.
    pub config: Config,
    /// The receipt store; `None` serves files only (`/v1/` answers 503).
    pub store: Option<Arc<store::Store>>,
    /// CORS policy for `/v1/`.
    pub cors: cors::Cors,
}

impl Context {
    /// A context without a receipt store (static files only).
    pub fn new(config: Config) -> Self {
        let cors = cors::Cors::new(&config.cors_origins, &config.cors_headers);
        Context {
            config,
            store: None,
            cors,
        }
    }

    /// A context with the receipt store at `config.db` opened (and created).
    pub fn open(config: Config) -> io::Result<Self> {
        let store = store::Store::open(&config.db)
            .map_err(|e| io::Error::other(format!("receipt store: {e}")))?;
        let mut ctx = Context::new(config);
        ctx.store = Some(Arc::new(store));
        Ok(ctx)
    }
}

/// Response body.
pub enum Body {
    Bytes(Vec<u8>),
    /// An open file and its length.
    File(File, u64),
    /// A body of unknown length, sent chunked (HTTP/1.1).
    Stream(Box<dyn io::Read + Send>),
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Bytes(b) => f.debug_tuple("Bytes").field(&b.len()).finish(),
            Body::File(file, len) => f.debug_tuple("File").field(file).field(len).finish(),
            Body::Stream(_) => f.write_str("Stream"),
        }
    }
}

/// A response produced by [`router`], independent of the transport.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    /// Extra headers (`Content-Type` included). `Cache-Control` and
    /// `X-Content-Type-Options` are added to every reply when sent.
    pub headers: Vec<(String, String)>,
    pub body: Body,
}

impl Reply {
    /// A `text/plain` reply.
    pub fn text(status: u16, body: impl Into<String>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".into(), "text/plain; charset=utf-8".into())],
            body: Body::Bytes(body.into().into_bytes()),
        }
    }

    /// Adds a header.
    pub fn with_header(mut self, name: impl Into<String>, value: impl Into<String>) -> Reply {
        self.headers.push((name.into(), value.into()));
        self
    }

    /// Value of a header set on this reply (case-insensitive name).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn not_found() -> Reply {
        Reply::text(404, "404 not found\n")
    }

    pub fn forbidden() -> Reply {
        Reply::text(403, "403 forbidden\n")
    }

    pub fn bad_request() -> Reply {
        Reply::text(400, "400 bad request\n")
    }

    /// 405 with the given `Allow` value.
    pub fn method_not_allowed(allow: &str) -> Reply {
        Reply::text(405, "405 method not allowed\n").with_header("Allow", allow)
    }

    /// 301 to `location` (made header-safe).
    pub fn redirect(location: &str) -> Reply {
        Reply::text(301, "301 moved permanently\n")
            .with_header("Location", files::encode_for_header(location))
    }

    fn into_response(self) -> tiny_http::ResponseBox {
        let mut headers: Vec<tiny_http::Header> = Vec::with_capacity(self.headers.len() + 2);
        let always = [
            ("Cache-Control", "no-cache"),
            ("X-Content-Type-Options", "nosniff"),
        ];
        for (name, value) in always
            .iter()
            .map(|(n, v)| (*n, *v))
            .chain(self.headers.iter().map(|(n, v)| (n.as_str(), v.as_str())))
        {
            // Values we build are ASCII; anything else is dropped, not a panic.
            if let Ok(h) = tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                headers.push(h);
            }
        }
        let status = tiny_http::StatusCode(self.status);
        match self.body {
            Body::Bytes(bytes) => {
                let len = bytes.len();
                tiny_http::Response::new(status, headers, io::Cursor::new(bytes), Some(len), None)
                    .boxed()
            }
            Body::File(file, len) => {
                let len = usize::try_from(len).unwrap_or(usize::MAX);
                tiny_http::Response::new(status, headers, file, Some(len), None)
                    // Always send Content-Length rather than chunking big files.
                    .with_chunked_threshold(usize::MAX)
                    .boxed()
            }
            Body::Stream(reader) => {
                tiny_http::Response::new(status, headers, reader, None, None).boxed()
            }
        }
    }
}

const GET_HEAD: &str = "GET, HEAD";

fn is_get_or_head(method: &Method) -> bool {
    matches!(method, Method::Get | Method::Head)
}

/// Routes one request. Add new endpoints here.
///
/// * `/v1/…` → the receipt API ([`api`])
/// * `GET|HEAD /healthz` → `200 ok` (503 naming the problem when the receipt
///   store does not answer)
/// * `GET|HEAD /kelisim/<path>` → file from `--dist`
/// * any other `GET|HEAD` → file from `--www` (`/` and `…/` → `index.html`)
/// * other methods → 405 with `Allow: GET, HEAD`
pub fn router(ctx: &Context, req: &mut Request) -> Reply {
    let method = req.method().clone();
    let url = req.url().to_string();
    let raw_path = url.split(['?', '#']).next().unwrap_or("");
    if let Some(path) = files::percent_decode(raw_path).filter(|p| api::is_api(p)) {
        return api::handle(ctx, req, &path);
    }
    route(ctx, &method, &url)
}

/// The part of [`router`] that needs only the method and request target.
pub fn route(ctx: &Context, method: &Method, url: &str) -> Reply {
    // Query string and fragment are not part of the file lookup.
    let raw_path = url.split(['?', '#']).next().unwrap_or("");
    if !raw_path.starts_with('/') {
        return Reply::bad_request();
    }
    let path = match files::percent_decode(raw_path) {
        Some(p) => p,
        None => return Reply::bad_request(),
    };

    if path == "/healthz" {
        return if is_get_or_head(method) {
            match ctx.store.as_ref().map(|s| s.count()) {
                Some(Err(e)) => Reply::text(503, format!("receipt store: {e}\n")),
                _ => Reply::text(200, "ok"),
            }
        } else {
            Reply::method_not_allowed(GET_HEAD)
        };
    }

    if !is_get_or_head(method) {
        return Reply::method_not_allowed(GET_HEAD);
    }

    let config = &ctx.config;
    if path == DIST_PREFIX.trim_end_matches('/') {
        return Reply::redirect(DIST_PREFIX);
    }
    let (root, rel) = match path.strip_prefix(DIST_PREFIX) {
        Some(rest) => (&config.dist, rest),
        None => (&config.www, &path[1..]),
    };
    match files::resolve(root, rel) {
        Ok(Resolved::File(file_path, len)) => match File::open(&file_path) {
            Ok(file) => Reply {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    files::content_type(&file_path).into(),
                )],
                body: Body::File(file, len),
            },
            Err(_) => Reply::not_found(),
        },
        Ok(Resolved::Dir) => Reply::redirect(&format!("{raw_path}/")),
        Err(Refusal::Forbidden) => Reply::forbidden(),
        Err(Refusal::NotFound) => Reply::not_found(),
    }
}

/// Handles one request end to end: route, respond, log. Errors while writing
/// the response (client went away) are ignored.
fn handle(ctx: &Context, mut req: Request) {
    let method = req.method().clone();
    let url = req.url().to_string();
    let reply = router(ctx, &mut req);
    let status = reply.status;
    let _ = req.respond(reply.into_response());
    if !ctx.config.quiet {
        let _ = writeln!(io::stderr().lock(), "{method} {url} {status}");
    }
}

/// A bound, not yet running server.
pub struct Server {
    http: Arc<tiny_http::Server>,
    addr: SocketAddr,
    ctx: Arc<Context>,
    stop: Arc<AtomicBool>,
    workers: usize,
}

/// Stops a running [`Server`] from another thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    http: Arc<tiny_http::Server>,
    stop: Arc<AtomicBool>,
    workers: usize,
}

impl ShutdownHandle {
    /// Asks all workers to exit after their current request; [`Server::run`]
    /// then returns.
    pub fn shutdown(&self) {
        self.stop.store(true, Ordering::SeqCst);
        // Each unblock() wakes exactly one thread blocked in recv().
        for _ in 0..self.workers {
            self.http.unblock();
        }
    }
}

impl Server {
    /// Binds the listening socket (port 0 picks a free port).
    pub fn bind(config: Config) -> io::Result<Server> {
        let listener = TcpListener::bind(config.addr.as_str())?;
        let addr = listener.local_addr()?;
        let http = tiny_http::Server::from_listener(listener, None)
            .map_err(|e| io::Error::other(e.to_string()))?;
        let workers = config.workers.max(1);
        Ok(Server {
            http: Arc::new(http),
            addr,
            ctx: Arc::new(Context::open(config)?),
            stop: Arc::new(AtomicBool::new(false)),
            workers,
        })
    }

    /// The actual bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR/`
    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// A handle that can stop [`Server::run`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            http: Arc::clone(&self.http),
            stop: Arc::clone(&self.stop),
            workers: self.workers,
        }
    }

    /// Serves requests on the worker pool until shut down.
    pub fn run(self) -> io::Result<()> {
        let mut threads = Vec::with_capacity(self.workers);
        for i in 0..self.workers {
            let http = Arc::clone(&self.http);
            let ctx = Arc::clone(&self.ctx);
            let stop = Arc::clone(&self.stop);
            let spawned = thread::Builder::new()
                .name(format!("collector-worker-{i}"))
                .spawn(move || worker(&http, &ctx, &stop));
            match spawned {
                Ok(t) => threads.push(t),
                Err(e) => {
                    self.shutdown_handle().shutdown();
                    for t in threads {
                        let _ = t.join();
                    }
                    return Err(e);
                }
            }
        }
        for t in threads {
            let _ = t.join();
        }
        Ok(())
    }
}

fn worker(http: &tiny_http::Server, ctx: &Context, stop: &AtomicBool) {
    while !stop.load(Ordering::SeqCst) {
        match http.recv() {
            Ok(req) => handle(ctx, req),
            // recv() only fails when unblocked; loop re-checks `stop`.
            Err(_) => continue,
        }
    }
}

/// Binds, prints `kelisim-collector listening on http://ADDR/` to stdout
/// (flushed), and serves until shut down.
pub fn run(config: Config) -> io::Result<()> {
    let server = Server::bind(config)?;
    {
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "kelisim-collector listening on {}", server.url());
        let _ = out.flush();
    }
    server.run()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<Command, String> {
        Config::from_args(args.iter().copied())
    }

    #[test]
    fn args_defaults() {
        assert_eq!(parse(&[]), Ok(Command::Run(Config::default())));
        let c = Config::default();
        assert_eq!(c.addr, "127.0.0.1:8080");
        assert_eq!(c.www, PathBuf::from("www"));
        assert_eq!(c.dist, PathBuf::from("dist"));
        assert_eq!(c.db, PathBuf::from("data/receipts.sqlite3"));
        assert!(c.cors_origins.is_empty());
        assert!(!c.quiet);
    }

    #[test]
    fn args_all_flags() {
        let want = Config {
            addr: "127.0.0.1:0".into(),
            www: "site".into(),
            dist: "pkg".into(),
            quiet: true,
            workers: DEFAULT_WORKERS,
            db: "r.sqlite3".into(),
            cors_origins: vec!["https://a.kz".into(), "http://127.0.0.1:9".into()],
            cors_headers: vec!["X-Tenant".into()],
        };
        assert_eq!(
            parse(&[
                "--addr",
                "127.0.0.1:0",
                "--www",
                "site",
                "--dist",
                "pkg",
                "--db",
                "r.sqlite3",
                "--cors-origin",
                "https://A.kz",
                "--cors-origin",
                "http://127.0.0.1:9",
                "--cors-header",
                "X-Tenant",
                "--quiet"
            ]),
            Ok(Command::Run(want.clone()))
        );
        assert_eq!(
            parse(&[
                "--addr=127.0.0.1:0",
                "--www=site",
                "--dist=pkg",
                "--db=r.sqlite3",
                "--cors-origin=https://a.kz",
                "--cors-origin=http://127.0.0.1:9",
                "--cors-header=X-Tenant",
                "--quiet"
            ]),
            Ok(Command::Run(want))
        );
    }

    #[test]
    fn args_errors() {
        assert_eq!(parse(&["--help"]), Ok(Command::Help));
        assert!(parse(&["--addr"]).is_err());
        assert!(parse(&["--addr="]).is_err());
        assert!(parse(&["--bogus"]).is_err());
        assert!(parse(&["--quiet=yes"]).is_err());
        assert!(parse(&["extra"]).is_err());
        assert!(parse(&["--db"]).is_err());
        assert!(parse(&["--cors-origin", "https://a.kz/"]).is_err());
        assert!(parse(&["--cors-header", "a b"]).is_err());
    }

    #[test]
    fn route_basics_without_network() {
        let ctx = Context::new(Config {
            www: "/nonexistent-www".into(),
            dist: "/nonexistent-dist".into(),
            ..Config::default()
        });
        assert_eq!(route(&ctx, &Method::Get, "/healthz").status, 200);
        assert_eq!(route(&ctx, &Method::Head, "/healthz?x=1").status, 200);
        let r = route(&ctx, &Method::Post, "/healthz");
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
        let r = route(&ctx, &Method::Delete, "/index.html");
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
        assert_eq!(route(&ctx, &Method::Get, "/missing.txt").status, 404);
        assert_eq!(route(&ctx, &Method::Get, "/%zz").status, 400);
        assert_eq!(route(&ctx, &Method::Get, "*").status, 400);
        assert_eq!(route(&ctx, &Method::Get, "/../etc/passwd").status, 403);
        assert_eq!(route(&ctx, &Method::Get, "/kelisim/%2e%2e/x").status, 403);
        let r = route(&ctx, &Method::Get, "/kelisim");
        assert_eq!((r.status, r.header("Location")), (301, Some("/kelisim/")));
    }
}
