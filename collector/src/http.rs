//! The HTTP transport: a tokio accept loop bounded by a semaphore, hyper
//! HTTP/1.1 connections with header limits and timeouts, and the tower
//! layers around the router.
//!
//! | threat | defence |
//! |---|---|
//! | many idle or slow connections | at most `max_connections` open (the rest wait in the kernel's listen queue); headers must arrive within `header_timeout`; a connection that moves no byte either way for `idle_timeout` is closed |
//! | running out of file descriptors | the connection bound is kept below `RLIMIT_NOFILE`; an accept error (`EMFILE`, `ENFILE`, …) is logged and retried after a short pause |
//! | huge headers | at most [`MAX_HEADER_BYTES`] of headers and [`MAX_HEADERS`] header lines: 431 |
//! | huge or endless bodies | `RequestBodyLimitLayer`: a declared length over the limit gets 413 at once; a streamed (chunked) body is cut off at the limit; either way the connection is closed, so nothing after the body is read as a request |
//! | slow or missing bodies | `body_timeout` for the whole body: 408 and the connection closed |
//! | slow handlers | `TimeoutLayer` (`request_timeout`): 408 |
//! | too many requests at once | `ConcurrencyLimit` + load shedding: 503 with `Retry-After` |
//! | readers that never read | the idle timeout covers writes too, so a stalled answer is dropped |

use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context as TaskContext, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::http::{HeaderValue, Request, Response, StatusCode};
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};
use tokio::time::{Instant, Sleep};

use crate::{Config, Context};

/// Largest accepted request head (request line and headers), in bytes.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;
/// Most header lines accepted in one request.
pub const MAX_HEADERS: usize = 64;
/// File descriptors kept free for the database, static files and logs when
/// the connection bound is fitted to `RLIMIT_NOFILE`.
pub const FD_RESERVE: usize = 48;
/// Pause after an accept error before trying again.
pub const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);
/// How long a shutdown waits for open connections to finish their requests.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Peer address of the connection a request came on (a request extension).
#[derive(Clone, Copy, Debug)]
pub struct Peer(pub SocketAddr);

/// Sets up `tracing` output on stderr once: `info` (one line per request),
/// or `warn` with `quiet`. `RUST_LOG` overrides.
pub fn init_logging(quiet: bool) {
    use tracing_subscriber::EnvFilter;
    let default = if quiet { "warn" } else { "info" };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(io::stderr)
        .with_target(false)
        .with_ansi(std::io::IsTerminal::is_terminal(&io::stderr()))
        .try_init();
}

/// The open-file limit of this process, if known.
pub fn fd_limit() -> Option<usize> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit only writes into the struct we pass.
    let rc = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) };
    (rc == 0 && lim.rlim_cur != libc::RLIM_INFINITY).then(|| lim.rlim_cur as usize)
}

/// The connection bound actually used: the configured one, lowered so that
/// connections plus [`FD_RESERVE`] fit the open-file limit.
pub fn connection_bound(configured: usize) -> usize {
    match fd_limit() {
        Some(limit) => configured.min(limit.saturating_sub(FD_RESERVE).max(8)),
        None => configured,
    }
}

/// A bound, not yet running server.
pub struct Server {
    listener: std::net::TcpListener,
    addr: SocketAddr,
    ctx: Arc<Context>,
    stop_tx: watch::Sender<bool>,
}

/// Stops a running [`Server`] from another thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    stop_tx: watch::Sender<bool>,
}

impl ShutdownHandle {
    /// Stops accepting, lets open connections finish their requests (up to
    /// [`SHUTDOWN_GRACE`]), then stores every receipt already handed to the
    /// store; [`Server::run`] then returns.
    pub fn shutdown(&self) {
        let _ = self.stop_tx.send(true);
    }
}

impl Server {
    /// Binds the listening socket (port 0 picks a free port) and opens the
    /// receipt store.
    pub fn bind(config: Config) -> io::Result<Server> {
        let listener = std::net::TcpListener::bind(config.addr.as_str())?;
        listener.set_nonblocking(true)?;
        let addr = listener.local_addr()?;
        let (stop_tx, _) = watch::channel(false);
        Ok(Server {
            listener,
            addr,
            ctx: Arc::new(Context::open(config)?),
            stop_tx,
        })
    }

    /// The actual bound address.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The countersigning public key (hex).
    pub fn public_key(&self) -> Option<String> {
        self.ctx.signer.as_ref().map(|s| s.public_hex())
    }

    /// `http://ADDR/`
    pub fn url(&self) -> String {
        crate::url_of(self.addr)
    }

    /// A handle that can stop [`Server::run`].
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle {
            stop_tx: self.stop_tx.clone(),
        }
    }

    fn runtime(&self) -> io::Result<tokio::runtime::Runtime> {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(self.ctx.config.workers.max(1))
            .thread_name("collector-worker")
            .enable_all()
            .build()
    }

    /// Serves until [`ShutdownHandle::shutdown`].
    pub fn run(self) -> io::Result<()> {
        let rt = self.runtime()?;
        rt.block_on(self.serve())
    }

    /// Serves until SIGTERM, SIGINT or [`ShutdownHandle::shutdown`].
    pub fn run_until_signal(self) -> io::Result<()> {
        let rt = self.runtime()?;
        let handle = self.shutdown_handle();
        rt.block_on(async move {
            tokio::spawn(async move {
                wait_for_signal().await;
                tracing::info!("signal received: finishing open requests, then stopping");
                handle.shutdown();
            });
            self.serve().await
        })
    }

    async fn serve(self) -> io::Result<()> {
        let Server {
            listener,
            ctx,
            stop_tx,
            ..
        } = self;
        let listener = TcpListener::from_std(listener)?;
        let mut stop = stop_tx.subscribe();
        let config = &ctx.config;
        let bound = connection_bound(config.max_connections);
        if bound < config.max_connections {
            tracing::warn!(
                configured = config.max_connections,
                used = bound,
                "connection bound lowered to fit the open-file limit"
            );
        }
        let permits = Arc::new(Semaphore::new(bound));
        if let (Some(retention), Some(store)) = (config.retention, ctx.store.clone()) {
            let every = config.retention_interval;
            let mut stop_retention = stop_tx.subscribe();
            tokio::spawn(async move {
                loop {
                    let store = Arc::clone(&store);
                    let cutoff = retention.cutoff(
                        std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .map_or(0, |d| d.as_millis() as i64),
                    );
                    let result =
                        tokio::task::spawn_blocking(move || store.purge_before(&cutoff)).await;
                    match result {
                        Ok(Ok(Some(cp))) => tracing::info!(
                            receipts = cp["receipts"].as_i64().unwrap_or(0),
                            cutoff = cp["cutoff"].as_str().unwrap_or(""),
                            "retention: removed old receipts and wrote a signed checkpoint"
                        ),
                        Ok(Ok(None)) => {}
                        Ok(Err(e)) => tracing::warn!(error = %e, "retention: nothing removed"),
                        Err(_) => tracing::warn!("retention: the job failed"),
                    }
                    tokio::select! {
                        _ = tokio::time::sleep(every) => {}
                        _ = stop_retention.changed() => return,
                    }
                }
            });
        }
        let app = app(Arc::clone(&ctx));
        let graceful = hyper_util::server::graceful::GracefulShutdown::new();
        let mut builder = hyper::server::conn::http1::Builder::new();
        builder
            .timer(TokioTimer::new())
            .header_read_timeout(config.header_timeout)
            .max_header_size(MAX_HEADER_BYTES)
            .max_headers(MAX_HEADERS)
            .keep_alive(true);
        let builder = Arc::new(builder);

        loop {
            if *stop.borrow() {
                break;
            }
            // A free connection slot first: without one, new connections wait
            // in the listen queue rather than take file descriptors.
            let permit = tokio::select! {
                p = Arc::clone(&permits).acquire_owned() => match p {
                    Ok(p) => p,
                    Err(_) => break,
                },
                _ = stop.changed() => break,
            };
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop.changed() => break,
            };
            let (stream, peer) = match accepted {
                Ok(x) => x,
                Err(e) => {
                    // EMFILE/ENFILE/ENOBUFS/ECONNABORTED…: never fatal.
                    tracing::warn!(error = %e, "accept failed; retrying shortly");
                    drop(permit);
                    tokio::time::sleep(ACCEPT_BACKOFF).await;
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            let io = TokioIo::new(IdleTimeout::new(stream, config.idle_timeout));
            let service = tower::ServiceBuilder::new()
                .map_request(move |mut req: Request<hyper::body::Incoming>| {
                    req.extensions_mut().insert(Peer(peer));
                    req.map(Body::new)
                })
                .service(app.clone());
            let service = hyper_util::service::TowerToHyperService::new(service);
            let conn = builder.serve_connection(io, service);
            let conn = graceful.watch(conn);
            tokio::spawn(async move {
                if let Err(e) = conn.await {
                    tracing::debug!(peer = %peer, error = %e, "connection ended with an error");
                }
                drop(permit);
            });
        }
        drop(listener);
        tokio::select! {
            _ = graceful.shutdown() => {}
            _ = tokio::time::sleep(SHUTDOWN_GRACE) => {
                tracing::warn!("connections still open after the shutdown grace period");
            }
        }
        // Every receipt handed to the writer is committed (and answered)
        // before this returns.
        if let Some(store) = &ctx.store {
            let store = Arc::clone(store);
            let _ = tokio::task::spawn_blocking(move || store.close()).await;
        }
        Ok(())
    }
}

async fn wait_for_signal() {
    use tokio::signal::unix::{signal, SignalKind};
    let term = signal(SignalKind::terminate());
    let int = signal(SignalKind::interrupt());
    match (term, int) {
        (Ok(mut t), Ok(mut i)) => {
            tokio::select! {
                _ = t.recv() => {}
                _ = i.recv() => {}
            }
        }
        _ => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}

/// The service every connection uses: the router under its tower layers
/// (outermost first): answers for shed requests and bad requests, load
/// shedding over a concurrency limit shared by all connections, the request
/// timeout, and the body size limit.
pub type AppService =
    tower::util::BoxCloneService<Request<Body>, Response<Body>, std::convert::Infallible>;

/// Builds [`AppService`] for `ctx`.
pub fn app(ctx: Arc<Context>) -> AppService {
    use tower::limit::GlobalConcurrencyLimitLayer;
    use tower::ServiceBuilder;
    use tower_http::limit::RequestBodyLimitLayer;
    use tower_http::timeout::TimeoutLayer;

    let config = &ctx.config;
    let quiet = config.quiet;
    let metrics = Arc::clone(&ctx.metrics);
    let handler_ctx = Arc::clone(&ctx);
    let router = Router::new().fallback(move |req: axum::extract::Request| {
        let ctx = Arc::clone(&handler_ctx);
        async move { crate::router(ctx, req).await }
    });
    let service = ServiceBuilder::new()
        .layer(tower::layer::layer_fn(move |inner| Answer {
            inner,
            metrics: Arc::clone(&metrics),
            quiet,
        }))
        .load_shed()
        .layer(GlobalConcurrencyLimitLayer::new(config.max_in_flight))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            config.request_timeout,
        ))
        .map_response(|r: Response<_>| r.map(Body::new))
        .layer(RequestBodyLimitLayer::new(crate::api::MAX_BODY))
        .service(router);
    tower::util::BoxCloneService::new(service)
}

/// Turns the stack's errors (only load shedding fails) into 503 answers,
/// passes every answer through [`finish`], counts it in the metrics and logs
/// one line for it (method, path without the query, status, time; never
/// headers, so no token and no subject id reaches the log).
#[derive(Clone)]
pub struct Answer<S> {
    inner: S,
    metrics: Arc<crate::metrics::Metrics>,
    quiet: bool,
}

impl<S> tower::Service<Request<Body>> for Answer<S>
where
    S: tower::Service<Request<Body>, Response = Response<Body>, Error = tower::BoxError>,
    S::Future: Send + 'static,
{
    type Response = Response<Body>;
    type Error = std::convert::Infallible;
    type Future =
        Pin<Box<dyn Future<Output = Result<Response<Body>, std::convert::Infallible>> + Send>>;

    fn poll_ready(&mut self, cx: &mut TaskContext<'_>) -> Poll<Result<(), Self::Error>> {
        // Load shedding is always ready; an error surfaces from `call`.
        self.inner.poll_ready(cx).map(|_| Ok(()))
    }

    fn call(&mut self, req: Request<Body>) -> Self::Future {
        let method = req.method().clone();
        let path = req.uri().path().to_string();
        let start = std::time::Instant::now();
        let fut = self.inner.call(req);
        let metrics = Arc::clone(&self.metrics);
        let quiet = self.quiet;
        Box::pin(async move {
            let resp = match fut.await {
                Ok(resp) => finish(resp),
                Err(_) => {
                    crate::api::errors(503, &["server: too many requests at once, try again"])
                        .with_header("Retry-After", "1")
                        .into_response()
                }
            };
            let secs = start.elapsed().as_secs_f64();
            metrics.request(resp.status().as_u16(), secs);
            if !quiet {
                tracing::info!(
                    method = %method,
                    path = %path,
                    status = resp.status().as_u16(),
                    ms = secs * 1000.0,
                    "request"
                );
            }
            Ok(resp)
        })
    }
}

/// Closes the connection after answers that leave the request unread or
/// the client misbehaving (413, 408, 431, 400), so no byte after them is
/// read as another request; gives a bare 413 (from the body limit layer) the
/// JSON error shape of the API.
fn finish(mut resp: Response<Body>) -> Response<Body> {
    let status = resp.status();
    if matches!(status.as_u16(), 400 | 408 | 413 | 431) {
        resp.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
    }
    if status == StatusCode::PAYLOAD_TOO_LARGE
        && resp
            .headers()
            .get("content-type")
            .is_none_or(|v| v.as_bytes() != b"application/json")
    {
        let mut json = crate::api::too_large().into_response();
        json.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        return json;
    }
    if status == StatusCode::REQUEST_TIMEOUT && resp.headers().get("content-type").is_none() {
        let mut json = crate::api::errors(408, &["request: not completed in time"]).into_response();
        json.headers_mut()
            .insert("connection", HeaderValue::from_static("close"));
        return json;
    }
    resp
}

/// A stream that fails with `TimedOut` when neither a read nor a write has
/// made progress for `timeout` while one of them was waiting: idle
/// keep-alive connections, clients that stop sending, and clients that stop
/// reading an answer.
pub struct IdleTimeout<S> {
    inner: S,
    timeout: Duration,
    sleep: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    pub fn new(inner: S, timeout: Duration) -> Self {
        IdleTimeout {
            inner,
            timeout,
            sleep: Box::pin(tokio::time::sleep(timeout)),
        }
    }

    fn progress(&mut self) {
        self.sleep.as_mut().reset(Instant::now() + self.timeout);
    }

    fn check(&mut self, cx: &mut TaskContext<'_>) -> io::Result<()> {
        match self.sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "connection idle for too long",
            )),
            Poll::Pending => Ok(()),
        }
    }

    /// What a write returns: progress restarts the idle clock; a write still
    /// pending fails once the connection has been idle too long.
    fn written(
        &mut self,
        cx: &mut TaskContext<'_>,
        poll: Poll<io::Result<usize>>,
    ) -> Poll<io::Result<usize>> {
        match poll {
            Poll::Ready(Ok(n)) => {
                if n > 0 {
                    self.progress();
                }
                Poll::Ready(Ok(n))
            }
            Poll::Ready(Err(e)) => Poll::Ready(Err(e)),
            Poll::Pending => match self.check(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
        }
    }
}

impl AsyncRead for IdleTimeout<TcpStream> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        match Pin::new(&mut this.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    this.progress();
                }
                Poll::Ready(r)
            }
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
        }
    }
}

impl AsyncWrite for IdleTimeout<TcpStream> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write(cx, data);
        this.written(cx, poll)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut TaskContext<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        let poll = Pin::new(&mut this.inner).poll_write_vectored(cx, bufs);
        this.written(cx, poll)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        match Pin::new(&mut this.inner).poll_flush(cx) {
            Poll::Pending => match this.check(cx) {
                Ok(()) => Poll::Pending,
                Err(e) => Poll::Ready(Err(e)),
            },
            r => r,
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut TaskContext<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}
