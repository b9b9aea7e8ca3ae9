//! `kelisim-collector`: the consent-receipt collector and the demo site's
//! static file server.
//!
//! It serves the kelisim demo site (`--www`) and the built package
//! (`--dist`, under `/kelisim/`), and collects consent receipts under `/v1/`
//! ([`api`]): it validates them ([`receipt`], [`schema`]), stores them in
//! SQLite ([`store`], one writer thread committing concurrent receipts
//! together) and checks each subject's hash chain ([`canon`]). Routes live in
//! [`router`]; shared state (the store, the CORS policy) in [`Context`].
//!
//! HTTP: hyper (HTTP/1.1) under axum and tower-http on a tokio runtime
//! ([`http`]), with limits on header size and count, body size (enforced
//! while the body streams in), header/body/idle timeouts, in-flight requests
//! and open connections. No input or connection pattern stops the process.

use std::io;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body as AxumBody;
use axum::http::{HeaderValue, Method, Response, StatusCode};

pub mod api;
pub mod canon;
pub mod cors;
pub mod files;
pub mod http;
pub mod limits;
pub mod metrics;
pub mod pg;
pub mod receipt;
pub mod schema;
pub mod sign;
pub mod store;
pub mod verify;

use files::{Refusal, Resolved};

pub use http::{Server, ShutdownHandle};

/// Default listen address.
pub const DEFAULT_ADDR: &str = "127.0.0.1:8080";
/// Default number of runtime worker threads.
pub const DEFAULT_WORKERS: usize = 4;
/// URL prefix served from the `--dist` folder.
pub const DIST_PREFIX: &str = "/kelisim/";
/// Default receipt database.
pub const DEFAULT_DB: &str = "data/receipts.sqlite3";

/// Command-line help text.
pub const USAGE: &str = "\
usage: kelisim-collector [--addr HOST:PORT] [--www DIR] [--dist DIR] [--db PATH]
                         [--cors-origin ORIGIN]... [--cors-header NAME]... [--quiet]
                         [limits, see below]

  --addr HOST:PORT      address to listen on (default 127.0.0.1:8080; port 0 = any free port)
  --www DIR             folder served at / (default: www)
  --dist DIR            folder served at /kelisim/ (default: dist)
  --db PATH|URL         SQLite file for receipts, created with its folder
                        (default: data/receipts.sqlite3), or a postgres://user@host:port/db
                        URL for several collectors sharing one PostgreSQL (then
                        --signing-key is required)
  --cors-origin ORIGIN  let pages on ORIGIN (scheme://host[:port]) read /v1/ answers; repeatable
  --cors-header NAME    one more request header a preflight allows besides Content-Type; repeatable
  --quiet               log only warnings and errors (no request lines)
  -h, --help            show this help

Every value flag can also be set in the environment as KELISIM_COLLECTOR_<FLAG>
(e.g. KELISIM_COLLECTOR_DB, KELISIM_COLLECTOR_IP_RATE; comma-separated for
KELISIM_COLLECTOR_CORS_ORIGIN), and KELISIM_COLLECTOR_QUIET=1; flags win.

limits (a DURATION is 250ms, 10s or a number of seconds):
  --workers N               runtime worker threads (default 4)
  --max-connections N       open connections at once; more wait in the listen queue
                            (default 1024, lowered to fit the open-file limit)
  --max-in-flight N         requests handled at once; more get 503 (default 512)
  --header-timeout DURATION time to send a request's headers (default 10s)
  --body-timeout DURATION   time to send a request's body (default 10s)
  --idle-timeout DURATION   a connection that moves no byte either way for this long
                            is closed: idle keep-alive, slow readers (default 30s)
  --request-timeout DURATION time to produce an answer; then 408 (default 30s)

access (POST /v1/receipts stays open to browsers, within rate limits):
  --ip-rate PER_MIN/BURST   receipts per minute per client address, and the burst
                            allowed (default 120/60; off turns the limit off)
  --subject-rate PER_MIN/BURST
                            receipts per minute per subject (default 30/20; or off)
  --client-ip-header NAME   take the client address from this header (set by your
                            reverse proxy, e.g. X-Real-IP) instead of the connection
  KELISIM_ADMIN_TOKEN       (environment) bearer token for /v1/export and other bulk
                            reads; unset: bulk reads are off (404)

tamper evidence:
  --signing-key PATH        Ed25519 key file, created (mode 0600) when absent
                            (default: the database path + .ed25519; env KELISIM_SIGNING_KEY)

retention (receipts older than the consent's months plus the limitation period are
removed, oldest part of each chain first, with a signed checkpoint):
  --retention on|off        (default on)
  --retention-months N      months of consent (default 13)
  --limitation-years N      limitation period the site keeps proof for (default 3)
  --retention-interval DURATION  how often the job runs (default 24h = 86400s)

usage: kelisim-collector verify EXPORT.ndjson --key PUBLIC_KEY
  checks every countersignature and every chain of an export offline; PUBLIC_KEY is
  64 hex digits (GET /v1/key) or a file holding them. Exit 0: intact; 1: problems found.
";

/// Value flags that may also come from the environment ([`Config::env_args`]).
pub const ENV_FLAGS: &[&str] = &[
    "addr",
    "www",
    "dist",
    "db",
    "cors-origin",
    "cors-header",
    "workers",
    "max-connections",
    "max-in-flight",
    "header-timeout",
    "body-timeout",
    "idle-timeout",
    "request-timeout",
    "ip-rate",
    "subject-rate",
    "client-ip-header",
    "signing-key",
    "retention",
    "retention-months",
    "limitation-years",
    "retention-interval",
];

/// Server configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Address to bind, anything `ToSocketAddrs` accepts (`127.0.0.1:0` works).
    pub addr: String,
    /// Root of the demo site, served at `/`.
    pub www: PathBuf,
    /// Built package folder, served at `/kelisim/`.
    pub dist: PathBuf,
    /// Log only warnings and errors.
    pub quiet: bool,
    /// Number of runtime worker threads (at least 1 is used).
    pub workers: usize,
    /// SQLite file for receipts.
    pub db: PathBuf,
    /// Origins allowed to read `/v1/` answers (CORS), lowercase.
    pub cors_origins: Vec<String>,
    /// Extra request header names a CORS preflight allows.
    pub cors_headers: Vec<String>,
    /// Connections open at once (lowered to fit `RLIMIT_NOFILE`).
    pub max_connections: usize,
    /// Requests handled at once; more are shed with 503.
    pub max_in_flight: usize,
    /// Time allowed for a request's headers.
    pub header_timeout: Duration,
    /// Time allowed for a request's body.
    pub body_timeout: Duration,
    /// A connection with no progress either way for this long is closed.
    pub idle_timeout: Duration,
    /// Time allowed to produce an answer (not to stream it).
    pub request_timeout: Duration,
    /// Rate limit of receipts per client address (`None`: off).
    pub ip_rate: Option<limits::Rate>,
    /// Rate limit of receipts per subject (`None`: off).
    pub subject_rate: Option<limits::Rate>,
    /// Header naming the client address (behind a reverse proxy).
    pub client_ip_header: Option<String>,
    /// Bearer token for bulk reads (`KELISIM_ADMIN_TOKEN`); `None`: off.
    pub admin_token: Option<limits::Secret>,
    /// The Ed25519 signing key file (`None`: `<db>.ed25519`).
    pub signing_key: Option<PathBuf>,
    /// Retention: months of consent plus years of limitation period
    /// (`None`: keep everything).
    pub retention: Option<Retention>,
    /// How often the retention job runs.
    pub retention_interval: Duration,
}

/// How long receipts are kept: the consent's months plus the limitation
/// period the site sets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Retention {
    pub months: u32,
    pub limitation_years: u32,
}

impl Retention {
    /// The instant before which receipts are removed, `now_ms` minus the
    /// months and years (calendar arithmetic; the day is clamped to the
    /// month's length), as ISO 8601.
    pub fn cutoff(&self, now_ms: i64) -> String {
        use kelisim_core::time::{date_from_days, days_from_date, days_in_month, Date};
        const DAY: i64 = 86_400_000;
        let d = date_from_days(now_ms.div_euclid(DAY));
        let total = i64::from(self.months) + 12 * i64::from(self.limitation_years);
        let index = i64::from(d.year) * 12 + i64::from(d.month) - 1 - total;
        let year = i32::try_from(index.div_euclid(12)).unwrap_or(0);
        let month = (index.rem_euclid(12) + 1) as u8;
        let day = d.day.min(days_in_month(year, month));
        let days = days_from_date(Date { year, month, day });
        kelisim_core::time::to_iso(days * DAY + now_ms.rem_euclid(DAY))
    }
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
            max_connections: 1024,
            max_in_flight: 512,
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            request_timeout: Duration::from_secs(30),
            ip_rate: Some(limits::Rate {
                per_minute: 120,
                burst: 60,
            }),
            subject_rate: Some(limits::Rate {
                per_minute: 30,
                burst: 20,
            }),
            client_ip_header: None,
            admin_token: None,
            signing_key: None,
            retention: Some(Retention {
                months: 13,
                limitation_years: 3,
            }),
            retention_interval: Duration::from_secs(24 * 3600),
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
    /// Check an export offline: `verify EXPORT.ndjson --key PUBLIC_KEY`.
    Verify {
        /// The NDJSON export.
        export: PathBuf,
        /// The public key: 64 hex digits or a file holding them.
        key: String,
    },
}

/// Parses `250ms`, `10s` or `10` (seconds).
pub fn parse_duration(flag: &str, v: &str) -> Result<Duration, String> {
    let bad = || format!("{flag} {v}: expected a duration like 250ms, 10s or 10");
    let d = if let Some(ms) = v.strip_suffix("ms") {
        Duration::from_millis(ms.parse().map_err(|_| bad())?)
    } else {
        let s = v.strip_suffix('s').unwrap_or(v);
        Duration::from_secs_f64(
            s.parse::<f64>()
                .ok()
                .filter(|x| x.is_finite() && *x >= 0.0 && *x < 1e9)
                .ok_or_else(bad)?,
        )
    };
    if d.is_zero() {
        return Err(format!("{flag} {v}: must be more than 0"));
    }
    Ok(d)
}

fn parse_count(flag: &str, v: &str) -> Result<usize, String> {
    match v.parse::<usize>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!("{flag} {v}: expected a whole number of at least 1")),
    }
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
        let mut args = args.into_iter().map(Into::into).peekable();
        if args.peek().map(String::as_str) == Some("verify") {
            args.next();
            let (mut export, mut key) = (None, None);
            while let Some(arg) = args.next() {
                match arg.split_once('=') {
                    Some(("--key", v)) => key = Some(v.to_string()),
                    _ if arg == "--key" => key = args.next(),
                    _ if arg.starts_with('-') => {
                        return Err(format!("verify: unknown argument: {arg}"))
                    }
                    _ if export.is_none() => export = Some(PathBuf::from(arg)),
                    _ => return Err(format!("verify: one export file only, got {arg} too")),
                }
            }
            return match (export, key) {
                (Some(export), Some(key)) => Ok(Command::Verify { export, key }),
                _ => Err(
                    "verify: retention (receipts older than the consent's months plus the limitation period are
removed, oldest part of each chain first, with a signed checkpoint):
  --retention on|off        (default on)
  --retention-months N      months of consent (default 13)
  --limitation-years N      limitation period the site keeps proof for (default 3)
  --retention-interval DURATION  how often the job runs (default 24h = 86400s)

usage: kelisim-collector verify EXPORT.ndjson --key PUBLIC_KEY".into(),
                ),
            };
        }
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
            let f = flag.as_str();
            match f {
                "--addr" => config.addr = value(f)?,
                "--www" => config.www = PathBuf::from(value(f)?),
                "--dist" => config.dist = PathBuf::from(value(f)?),
                "--db" => config.db = PathBuf::from(value(f)?),
                "--cors-origin" => config.cors_origins.push(cors::parse_origin(&value(f)?)?),
                "--cors-header" => config
                    .cors_headers
                    .push(cors::parse_header_name(&value(f)?)?),
                "--workers" => config.workers = parse_count(f, &value(f)?)?,
                "--max-connections" => config.max_connections = parse_count(f, &value(f)?)?,
                "--max-in-flight" => config.max_in_flight = parse_count(f, &value(f)?)?,
                "--header-timeout" => config.header_timeout = parse_duration(f, &value(f)?)?,
                "--body-timeout" => config.body_timeout = parse_duration(f, &value(f)?)?,
                "--idle-timeout" => config.idle_timeout = parse_duration(f, &value(f)?)?,
                "--request-timeout" => config.request_timeout = parse_duration(f, &value(f)?)?,
                "--ip-rate" => config.ip_rate = limits::Rate::parse(f, &value(f)?)?,
                "--subject-rate" => config.subject_rate = limits::Rate::parse(f, &value(f)?)?,
                "--signing-key" => config.signing_key = Some(PathBuf::from(value(f)?)),
                "--retention" => match value(f)?.as_str() {
                    "off" => config.retention = None,
                    "on" => {
                        config.retention = config.retention.or(Some(Retention {
                            months: 13,
                            limitation_years: 3,
                        }))
                    }
                    v => return Err(format!("--retention {v}: expected on or off")),
                },
                "--retention-months" | "--limitation-years" => {
                    let v = value(f)?;
                    let n: u32 = v
                        .parse()
                        .ok()
                        .filter(|n| *n <= 1200)
                        .ok_or_else(|| format!("{f} {v}: expected a whole number"))?;
                    let r = config.retention.get_or_insert(Retention {
                        months: 13,
                        limitation_years: 3,
                    });
                    if f == "--retention-months" {
                        r.months = n;
                    } else {
                        r.limitation_years = n;
                    }
                }
                "--retention-interval" => {
                    config.retention_interval = parse_duration(f, &value(f)?)?
                }
                "--client-ip-header" => {
                    config.client_ip_header = Some(cors::parse_header_name(&value(f)?)?)
                }
                "--quiet" | "-q" if inline.is_none() => config.quiet = true,
                "--help" | "-h" if inline.is_none() => return Ok(Command::Help),
                _ => return Err(format!("unknown argument: {arg}")),
            }
        }
        Ok(Command::Run(config))
    }

    /// Flags given through the environment: `KELISIM_COLLECTOR_<FLAG>` for
    /// each value flag (`KELISIM_COLLECTOR_ADDR`, `…_DB`, `…_IP_RATE`, …;
    /// `…_CORS_ORIGIN` may list several, comma-separated) and
    /// `KELISIM_COLLECTOR_QUIET=1`. Put them before the command-line
    /// arguments, which then override them.
    pub fn env_args(get: impl Fn(&str) -> Option<String>) -> Vec<String> {
        let mut out = Vec::new();
        for flag in ENV_FLAGS {
            let var = format!(
                "KELISIM_COLLECTOR_{}",
                flag.to_ascii_uppercase().replace('-', "_")
            );
            let Some(v) = get(&var).filter(|v| !v.is_empty()) else {
                continue;
            };
            let values: Vec<&str> = if *flag == "cors-origin" || *flag == "cors-header" {
                v.split(',')
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .collect()
            } else {
                vec![v.as_str()]
            };
            for value in values {
                out.push(format!("--{flag}={value}"));
            }
        }
        if get("KELISIM_COLLECTOR_QUIET").is_some_and(|v| v == "1" || v == "true") {
            out.push("--quiet".into());
        }
        out
    }

    /// Takes what the environment sets: `KELISIM_ADMIN_TOKEN`.
    pub fn with_env(mut self, get: impl Fn(&str) -> Option<String>) -> Config {
        if let Some(token) = get("KELISIM_ADMIN_TOKEN").and_then(limits::Secret::new) {
            self.admin_token = Some(token);
        }
        if self.signing_key.is_none() {
            if let Some(p) = get("KELISIM_SIGNING_KEY").filter(|p| !p.is_empty()) {
                self.signing_key = Some(PathBuf::from(p));
            }
        }
        self
    }
}

/// State shared by all requests.
#[derive(Debug)]
pub struct Context {
    /// The configuration it was built from.
    pub config: Config,
    /// The receipt store; `None` serves files only (`/v1/` answers 503).
    pub store: Option<Arc<store::Store>>,
    /// CORS policy for `/v1/`.
    pub cors: cors::Cors,
    /// Rate limits of `POST /v1/receipts`.
    pub limits: limits::Limits,
    /// The countersigning key (with a store).
    pub signer: Option<Arc<sign::Signer>>,
    /// Prometheus metrics.
    pub metrics: Arc<metrics::Metrics>,
}

impl Context {
    /// A context without a receipt store (static files only).
    pub fn new(config: Config) -> Self {
        let cors = cors::Cors::new(&config.cors_origins, &config.cors_headers);
        let limits = limits::Limits::new(config.ip_rate, config.subject_rate);
        Context {
            config,
            store: None,
            cors,
            limits,
            signer: None,
            metrics: Arc::default(),
        }
    }

    /// A context with the receipt store at `config.db` opened (and created).
    pub fn open(config: Config) -> io::Result<Self> {
        let key_path = match (&config.signing_key, store::is_postgres(&config.db)) {
            (Some(p), _) => p.clone(),
            (None, false) => sign::default_path(&config.db),
            (None, true) => {
                return Err(io::Error::other(
                    "--signing-key: required with a postgres:// database (every collector sharing it needs the same key file)",
                ))
            }
        };
        let (signer, created) = sign::Signer::load_or_create(&key_path)
            .map_err(|e| io::Error::other(format!("signing key: {e}")))?;
        if created {
            tracing::info!(path = %key_path.display(), "created a new signing key");
        }
        let signer = Arc::new(signer);
        let store = store::Store::open(&config.db, Arc::clone(&signer))
            .map_err(|e| io::Error::other(format!("receipt store: {e}")))?;
        let mut ctx = Context::new(config);
        ctx.metrics = store.metrics();
        ctx.store = Some(Arc::new(store));
        ctx.signer = Some(signer);
        Ok(ctx)
    }
}

/// Response body.
pub enum Body {
    Bytes(Vec<u8>),
    /// An open file and its length.
    File(std::fs::File, u64),
    /// A body of unknown length, sent chunked.
    Stream(AxumBody),
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

/// A response produced by [`route`] or [`api`], before it becomes an HTTP
/// response.
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

    /// The HTTP response. Header values that are not valid are dropped, never
    /// a panic.
    pub fn into_response(self) -> Response<AxumBody> {
        let (len, body) = match self.body {
            Body::Bytes(bytes) => (Some(bytes.len() as u64), AxumBody::from(bytes)),
            Body::File(file, len) => {
                let reader = tokio_util::io::ReaderStream::with_capacity(
                    tokio::fs::File::from_std(file),
                    64 * 1024,
                );
                (Some(len), AxumBody::from_stream(reader))
            }
            Body::Stream(body) => (None, body),
        };
        let mut resp = Response::new(body);
        *resp.status_mut() =
            StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let headers = resp.headers_mut();
        headers.insert("cache-control", HeaderValue::from_static("no-cache"));
        headers.insert(
            "x-content-type-options",
            HeaderValue::from_static("nosniff"),
        );
        if let Some(len) = len {
            headers.insert("content-length", HeaderValue::from(len));
        }
        for (name, value) in &self.headers {
            if let (Ok(n), Ok(v)) = (
                axum::http::HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(n, v);
            }
        }
        resp
    }
}

const GET_HEAD: &str = "GET, HEAD";

fn is_get_or_head(method: &Method) -> bool {
    method == Method::GET || method == Method::HEAD
}

/// Routes one request. Add new endpoints here.
///
/// * `/v1/…` → the receipt API ([`api`])
/// * `GET|HEAD /healthz` → `200 ok` (liveness: the process answers)
/// * `GET|HEAD /readyz` → 200 when the database answers, else 503
/// * `GET|HEAD /metrics` → Prometheus metrics ([`metrics`])
/// * `GET|HEAD /kelisim/<path>` → file from `--dist`
/// * any other `GET|HEAD` → file from `--www` (`/` and `…/` → `index.html`)
/// * other methods → 405 with `Allow: GET, HEAD`
pub async fn router(ctx: Arc<Context>, req: axum::extract::Request) -> Response<AxumBody> {
    let url = req
        .uri()
        .path_and_query()
        .map_or_else(|| req.uri().path().to_string(), |p| p.as_str().to_string());
    let raw_path = url.split(['?', '#']).next().unwrap_or("");
    if let Some(path) = files::percent_decode(raw_path).filter(|p| api::is_api(p)) {
        return api::handle(ctx, req, path).await;
    }
    let method = req.method().clone();
    let accept = req.headers().get(axum::http::header::ACCEPT_ENCODING).cloned();
    drop(req);
    if raw_path == "/readyz" || raw_path == "/metrics" {
        if !is_get_or_head(&method) {
            return Reply::method_not_allowed(GET_HEAD).into_response();
        }
        return if raw_path == "/metrics" {
            Reply {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    "text/plain; version=0.0.4; charset=utf-8".into(),
                )],
                body: Body::Bytes(ctx.metrics.render().into_bytes()),
            }
            .into_response()
        } else {
            ready(&ctx).await.into_response()
        };
    }
    // Path resolution and opening touch the disk.
    match tokio::task::spawn_blocking(move || route(&ctx, &method, &url)).await {
        Ok(reply) => compressed(accept, reply.into_response()).await,
        Err(_) => Reply::text(500, "500 internal error\n").into_response(),
    }
}

/// A file (or a page of the static routes) gzip-compressed at level 9, the
/// figure `npm run size` reports, for a client whose `Accept-Encoding` allows
/// it, as any production host serves them. tower-http decides: not for
/// images other than SVG, nor for bodies of 32 bytes or less; it adds
/// `Vary: Accept-Encoding` and drops `Content-Length`.
async fn compressed(accept: Option<HeaderValue>, resp: Response<AxumBody>) -> Response<AxumBody> {
    use tower::ServiceExt;
    use tower_http::compression::{CompressionLayer, CompressionLevel};
    let Some(accept) = accept else { return resp };
    let mut req = axum::http::Request::new(AxumBody::empty());
    req.headers_mut().insert(axum::http::header::ACCEPT_ENCODING, accept);
    let mut resp = Some(resp);
    let service = tower::ServiceBuilder::new()
        .layer(CompressionLayer::new().quality(CompressionLevel::Best))
        .service_fn(move |_| std::future::ready(Ok::<_, std::convert::Infallible>(resp.take().unwrap_or_default())));
    match service.oneshot(req).await {
        Ok(r) => r.map(AxumBody::new),
        Err(never) => match never {},
    }
}

/// `GET /readyz`: 200 when the database answers and the writer runs, else
/// 503 naming the problem.
async fn ready(ctx: &Arc<Context>) -> Reply {
    let Some(store) = ctx.store.clone() else {
        return Reply::text(200, "ready (no receipt store)\n");
    };
    match tokio::task::spawn_blocking(move || store.ready()).await {
        Ok(Ok(())) => Reply::text(200, "ready\n"),
        Ok(Err(e)) => Reply::text(503, format!("not ready: receipt store: {e}\n")),
        Err(_) => Reply::text(503, "not ready: the check failed\n"),
    }
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
            Reply::text(200, "ok")
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
        Ok(Resolved::File(file_path, len)) => match std::fs::File::open(&file_path) {
            Ok(file) => Reply {
                status: 200,
                headers: vec![(
                    "Content-Type".into(),
                    files::content_type(&file_path).into(),
                )],
                body: Body::File(file, len),
            },
            // Out of file descriptors, or the file went away.
            Err(e) if e.raw_os_error() == Some(libc::EMFILE) => {
                Reply::text(503, "503 busy, try again\n").with_header("Retry-After", "1")
            }
            Err(_) => Reply::not_found(),
        },
        Ok(Resolved::Dir) => Reply::redirect(&format!("{raw_path}/")),
        Err(Refusal::Forbidden) => Reply::forbidden(),
        Err(Refusal::NotFound) => Reply::not_found(),
    }
}

/// Binds, prints `kelisim-collector listening on http://ADDR/` to stdout
/// (flushed), and serves until SIGTERM or SIGINT; then finishes the requests
/// in progress and every receipt already handed to the store.
pub fn run(config: Config) -> io::Result<()> {
    http::init_logging(config.quiet);
    let server = Server::bind(config)?;
    {
        use std::io::Write;
        let mut out = io::stdout().lock();
        let _ = writeln!(out, "kelisim-collector listening on {}", server.url());
        if let Some(key) = server.public_key() {
            let _ = writeln!(
                out,
                "kelisim-collector signing key ed25519:{key} (also at {}v1/key)",
                server.url()
            );
        }
        let _ = out.flush();
    }
    server.run_until_signal()
}

/// The bound address as a URL.
pub fn url_of(addr: SocketAddr) -> String {
    format!("http://{addr}/")
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
            db: "r.sqlite3".into(),
            cors_origins: vec!["https://a.kz".into(), "http://127.0.0.1:9".into()],
            cors_headers: vec!["X-Tenant".into()],
            body_timeout: Duration::from_millis(1500),
            max_connections: 7,
            ..Config::default()
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
                "--body-timeout",
                "1500ms",
                "--max-connections",
                "7",
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
                "--body-timeout=1.5s",
                "--max-connections=7",
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
        assert!(parse(&["--body-timeout", "0"]).is_err());
        assert!(parse(&["--body-timeout", "soon"]).is_err());
        assert!(parse(&["--max-connections", "0"]).is_err());
    }

    #[test]
    fn the_retention_cutoff_is_calendar_arithmetic() {
        let r = Retention {
            months: 13,
            limitation_years: 3,
        };
        let now = kelisim_core::time::parse_iso("2026-12-01T10:20:30.400Z").unwrap();
        assert_eq!(r.cutoff(now), "2022-11-01T10:20:30.400Z");
        let now = kelisim_core::time::parse_iso("2026-03-31T00:00:00.000Z").unwrap();
        let short = Retention {
            months: 1,
            limitation_years: 0,
        };
        assert_eq!(short.cutoff(now), "2026-02-28T00:00:00.000Z");
        let Ok(Command::Run(c)) = parse(&["--retention-months", "6", "--limitation-years=1"])
        else {
            panic!()
        };
        assert_eq!(
            c.retention,
            Some(Retention {
                months: 6,
                limitation_years: 1
            })
        );
        let Ok(Command::Run(c)) = parse(&["--retention", "off"]) else {
            panic!()
        };
        assert_eq!(c.retention, None);
        assert!(parse(&["--retention", "maybe"]).is_err());
    }

    #[test]
    fn env_gives_flags_and_the_command_line_wins() {
        let env = |k: &str| match k {
            "KELISIM_COLLECTOR_DB" => Some("/srv/r.sqlite3".to_string()),
            "KELISIM_COLLECTOR_IP_RATE" => Some("10/5".to_string()),
            "KELISIM_COLLECTOR_CORS_ORIGIN" => Some("https://a.kz, https://b.kz".to_string()),
            "KELISIM_COLLECTOR_QUIET" => Some("1".to_string()),
            "KELISIM_ADMIN_TOKEN" => Some("tok".to_string()),
            _ => None,
        };
        let mut args = Config::env_args(env);
        args.extend(["--db".to_string(), "cli.sqlite3".to_string()]);
        let Ok(Command::Run(c)) = Config::from_args(args) else {
            panic!("parse")
        };
        let c = c.with_env(env);
        assert_eq!(c.db, PathBuf::from("cli.sqlite3"));
        assert_eq!(
            c.ip_rate,
            Some(limits::Rate {
                per_minute: 10,
                burst: 5
            })
        );
        assert_eq!(c.cors_origins, ["https://a.kz", "https://b.kz"]);
        assert!(c.quiet);
        assert!(c.admin_token.is_some_and(|t| t.matches("tok")));
    }

    #[test]
    fn route_basics_without_network() {
        let ctx = Context::new(Config {
            www: "/nonexistent-www".into(),
            dist: "/nonexistent-dist".into(),
            ..Config::default()
        });
        assert_eq!(route(&ctx, &Method::GET, "/healthz").status, 200);
        assert_eq!(route(&ctx, &Method::HEAD, "/healthz?x=1").status, 200);
        let r = route(&ctx, &Method::POST, "/healthz");
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
        let r = route(&ctx, &Method::DELETE, "/index.html");
        assert_eq!((r.status, r.header("Allow")), (405, Some("GET, HEAD")));
        assert_eq!(route(&ctx, &Method::GET, "/missing.txt").status, 404);
        assert_eq!(route(&ctx, &Method::GET, "/%zz").status, 400);
        assert_eq!(route(&ctx, &Method::GET, "*").status, 400);
        assert_eq!(route(&ctx, &Method::GET, "/../etc/passwd").status, 403);
        assert_eq!(route(&ctx, &Method::GET, "/kelisim/%2e%2e/x").status, 403);
        let r = route(&ctx, &Method::GET, "/kelisim");
        assert_eq!((r.status, r.header("Location")), (301, Some("/kelisim/")));
    }
}
