//! The receipt endpoints under `/v1/`.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/receipts` | 201 `{"id", "chain", "hash", "receivedAt", "signature"}` stored; 200 same shape, already stored; 400 `{"errors": [...]}`; 413 body over 64 KiB; 415 other content type; 429 rate limit |
//! | `GET /v1/receipts?subject=<id>` | 200 `{"receipts": [entry, ...]}` by seq, streamed |
//! | `GET /v1/receipts/<id>` | 200 entry, or 404 |
//! | `GET /v1/key` | 200 `{"algorithm": "Ed25519", "publicKey": hex, "signs": ...}`: the countersigning key |
//! | `GET /v1/export` | admin token: 200 NDJSON, one entry per line, streamed; 401 without it; 404 when no token is configured |
//!
//! Access: the subject id and the receipt id are random UUID v4 values (122
//! random bits) that only the visitor's browser (and the site, through its
//! receipts) holds; knowing one is the capability to read that subject's or
//! that receipt's records. Everything that reads more than one subject needs
//! the admin token. `POST /v1/receipts` is open (browsers post with `fetch`
//! or `sendBeacon`) but rate-limited per client address and per subject
//! (429 with `Retry-After`).
//! | `OPTIONS` on any of them | CORS preflight ([`crate::cors`]) |
//!
//! An entry is `{"receipt": {...}, "receivedAt": "...", "chain": "ok" |
//! "missing-predecessor" | "mismatch" | "fork", "hash": "..."}`.

use std::sync::Arc;

use axum::body::Body as AxumBody;
use axum::http::{Method, Response};
use serde_json::Value;

use crate::receipt::{self, is_uuid_v4};
use crate::store::{Pages, Store};
use crate::{files, Body, Context, Reply};

/// Largest accepted receipt body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// Whether a decoded path belongs to the receipt API.
pub fn is_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// The part of an incoming request the endpoints look at.
struct Call<'a> {
    method: &'a Method,
    path: &'a str,
    query: &'a str,
}

/// Answers one API request; CORS headers are added here for every reply.
pub async fn handle(
    ctx: Arc<Context>,
    req: axum::extract::Request,
    path: String,
) -> Response<AxumBody> {
    let method = req.method().clone();
    let query = req.uri().query().unwrap_or("").to_string();
    let header = |req: &axum::extract::Request, name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let origin = header(&req, "origin");
    let content_type = header(&req, "content-type");
    let call = Call {
        method: &method,
        path: &path,
        query: &query,
    };
    let reply = answer(&ctx, &call, content_type.as_deref(), req).await;
    ctx.cors.decorate(origin.as_deref(), reply).into_response()
}

async fn answer(
    ctx: &Context,
    call: &Call<'_>,
    content_type: Option<&str>,
    req: axum::extract::Request,
) -> Reply {
    const RECEIPTS: &str = "GET, HEAD, POST, OPTIONS";
    const READ_ONLY: &str = "GET, HEAD, OPTIONS";
    let get = *call.method == Method::GET || *call.method == Method::HEAD;
    let (allow, endpoint) = match call.path {
        "/v1/receipts" => (RECEIPTS, Endpoint::Receipts),
        "/v1/export" => (READ_ONLY, Endpoint::Export),
        "/v1/key" => (READ_ONLY, Endpoint::Key),
        p => match p.strip_prefix("/v1/receipts/") {
            Some(id) if !id.is_empty() && !id.contains('/') => (READ_ONLY, Endpoint::One(id)),
            _ => return errors(404, &["path: no such endpoint"]),
        },
    };
    if *call.method == Method::OPTIONS {
        let origin = req.headers().get("origin").and_then(|v| v.to_str().ok());
        return ctx.cors.preflight(origin, allow);
    }
    let Some(store) = ctx.store.as_ref() else {
        return errors(503, &["storage: this server runs without a receipt store"]);
    };
    match endpoint {
        Endpoint::Receipts if *call.method == Method::POST => {
            if let Some(buckets) = &ctx.limits.by_ip {
                let ip = client_ip(ctx, &req);
                if let Err(wait) = buckets.take(&ip, std::time::Instant::now()) {
                    ctx.metrics.limited(false);
                    return too_many(wait, "client: too many receipts from this address");
                }
            }
            let body = read_body(ctx, req).await;
            post(ctx, store, body, content_type).await
        }
        Endpoint::Receipts if get => list(store, call.query),
        Endpoint::One(id) => {
            if !get {
                return method_not_allowed(allow);
            }
            let store = Arc::clone(store);
            let id = id.to_string();
            tokio::task::spawn_blocking(move || one(&store, &id))
                .await
                .unwrap_or_else(|_| errors(500, &["server: the read failed"]))
        }
        Endpoint::Key if get => match &ctx.signer {
            Some(signer) => json(
                200,
                serde_json::json!({
                    "algorithm": "Ed25519",
                    "publicKey": signer.public_hex(),
                    "signs": "kelisim-receipt-countersignature/v1\n<hash>\n<receivedAt>\n<subject>\n<seq>\n<prev or ->",
                })
                .to_string(),
            ),
            None => errors(503, &["key: this server runs without a signing key"]),
        },
        Endpoint::Export if get => match admin(ctx, &req, "export") {
            Ok(()) => streamed(store.export(), "application/x-ndjson"),
            Err(refusal) => refusal,
        },
        _ => method_not_allowed(allow),
    }
}

/// The client's address: the `--client-ip-header` value when configured
/// (its last comma-separated entry, the one the proxy added), else the
/// connection's peer.
fn client_ip(ctx: &Context, req: &axum::extract::Request) -> std::net::IpAddr {
    let peer = req
        .extensions()
        .get::<crate::http::Peer>()
        .map_or(std::net::IpAddr::from([0, 0, 0, 0]), |p| p.0.ip());
    let Some(name) = &ctx.config.client_ip_header else {
        return peer;
    };
    req.headers()
        .get(name.as_str())
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').next())
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(peer)
}

/// 429 with `Retry-After` (whole seconds, at least 1).
fn too_many(wait: std::time::Duration, what: &str) -> Reply {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    errors(429, &[&format!("{what}; retry after {} s", secs.max(1))])
        .with_header("Retry-After", secs.max(1).to_string())
}

/// Checks the admin bearer token for a bulk read: 404 when no token is
/// configured (bulk reads are off), 401 when it is missing or wrong.
fn admin(ctx: &Context, req: &axum::extract::Request, what: &str) -> Result<(), Reply> {
    let Some(secret) = &ctx.config.admin_token else {
        return Err(errors(
            404,
            &[&format!(
                "{what}: off on this collector (bulk reads need KELISIM_ADMIN_TOKEN to be set)"
            )],
        ));
    };
    let given = crate::limits::bearer(
        req.headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok()),
    );
    match given {
        Some(token) if secret.matches(token) => Ok(()),
        _ => Err(errors(
            401,
            &["authorization: this read needs the admin token (Authorization: Bearer <token>)"],
        )
        .with_header("WWW-Authenticate", "Bearer")),
    }
}

fn method_not_allowed(allow: &str) -> Reply {
    json(405, "{\"errors\":[\"method: not allowed\"]}".into()).with_header("Allow", allow)
}

enum Endpoint<'a> {
    Key,
    Receipts,
    One(&'a str),
    Export,
}

/// What reading a request body gave.
enum BodyRead {
    Complete(bytes::Bytes),
    TooLarge,
    TimedOut,
    Failed,
}

/// Reads the body within `body_timeout`, never more than [`MAX_BODY`] bytes
/// (the limit holds while it streams in, chunked or not).
async fn read_body(ctx: &Context, req: axum::extract::Request) -> BodyRead {
    let read = axum::body::to_bytes(req.into_body(), MAX_BODY);
    match tokio::time::timeout(ctx.config.body_timeout, read).await {
        Err(_) => BodyRead::TimedOut,
        Ok(Ok(b)) => BodyRead::Complete(b),
        Ok(Err(e)) => {
            let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
            while let Some(err) = source {
                if err.is::<http_body_util::LengthLimitError>() {
                    return BodyRead::TooLarge;
                }
                source = err.source();
            }
            BodyRead::Failed
        }
    }
}

/// The 413 answer.
pub fn too_large() -> Reply {
    errors(413, &["body: larger than 65536 bytes (64 KiB)"])
}

async fn post(ctx: &Context, store: &Store, body: BodyRead, content_type: Option<&str>) -> Reply {
    let body = match body {
        BodyRead::Complete(b) => b,
        BodyRead::TooLarge => return too_large(),
        BodyRead::TimedOut => return errors(408, &["body: not received in time"]),
        BodyRead::Failed => return errors(400, &["body: could not be read"]),
    };
    if !content_type_ok(content_type) {
        return errors(
            415,
            &["Content-Type: expected application/json or text/plain"],
        );
    }
    let value: Value = match std::str::from_utf8(&body) {
        Err(_) => return errors(400, &["body: not UTF-8"]),
        Ok(text) => match serde_json::from_str(text) {
            Ok(v) => v,
            Err(e) => return errors(400, &[&format!("body: not JSON ({e})")]),
        },
    };
    let receipt = match receipt::validate(value) {
        Ok(r) => r,
        Err(list) => {
            let refs: Vec<&str> = list.iter().map(String::as_str).collect();
            return errors(400, &refs);
        }
    };
    if let Some(buckets) = &ctx.limits.by_subject {
        if let Err(wait) = buckets.take(&receipt.subject, std::time::Instant::now()) {
            ctx.metrics.limited(true);
            return too_many(wait, "subject: too many receipts for this subject");
        }
    }
    let id = receipt.id.clone();
    match store.insert(receipt).await {
        Ok(stored) => {
            let status = if stored.created { 201 } else { 200 };
            let body = serde_json::json!({
                "id": id,
                "chain": stored.chain.as_str(),
                "hash": stored.hash,
                "receivedAt": stored.received_at,
                "signature": stored.signature,
            });
            let reply = json(status, body.to_string());
            if stored.created {
                reply.with_header("Location", format!("/v1/receipts/{id}"))
            } else {
                reply
            }
        }
        Err(e) => storage_error(&e),
    }
}

fn list(store: &Arc<Store>, query: &str) -> Reply {
    let Some(subject) = query_param(query, "subject") else {
        return errors(400, &["subject: missing (GET /v1/receipts?subject=<id>)"]);
    };
    if !is_uuid_v4(&subject) {
        return errors(400, &["subject: expected a lowercase UUID v4"]);
    }
    streamed(store.subject_json(subject), "application/json")
}

/// A 200 whose body is sent as the pages arrive (chunked).
fn streamed(pages: Pages, content_type: &str) -> Reply {
    let stream = futures_util::stream::unfold(pages, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    });
    Reply {
        status: 200,
        headers: vec![("Content-Type".into(), content_type.into())],
        body: Body::Stream(AxumBody::from_stream(stream)),
    }
}

fn one(store: &Store, id: &str) -> Reply {
    if !is_uuid_v4(id) {
        return errors(
            404,
            &["id: no receipt has this id (ids are lowercase UUID v4)"],
        );
    }
    match store.get(id) {
        Ok(Some(entry)) => json(200, entry.to_json()),
        Ok(None) => errors(404, &["id: no receipt with this id is stored"]),
        Err(e) => storage_error(&e),
    }
}

/// `application/json` or `text/plain`, with any parameters.
fn content_type_ok(value: Option<&str>) -> bool {
    let Some(v) = value else {
        return false;
    };
    let essence = v.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/json") || essence.eq_ignore_ascii_case("text/plain")
}

/// The first value of `name` in a query string, percent-decoded.
fn query_param(query: &str, name: &str) -> Option<String> {
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        (k == name).then(|| files::percent_decode(&v.replace('+', " ")))?
    })
}

fn json(status: u16, body: String) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type".into(), "application/json".into())],
        body: Body::Bytes(body.into_bytes()),
    }
}

/// `{"errors": [...]}` with this status.
pub fn errors(status: u16, list: &[&str]) -> Reply {
    let arr = Value::Array(
        list.iter()
            .map(|s| Value::String((*s).to_string()))
            .collect(),
    );
    json(status, format!("{{\"errors\":{arr}}}"))
}

fn storage_error(e: &crate::store::StoreError) -> Reply {
    errors(503, &[&format!("storage: {e}")]).with_header("Retry-After", "1")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_types() {
        assert!(content_type_ok(Some("application/json")));
        assert!(content_type_ok(Some("application/json; charset=utf-8")));
        assert!(content_type_ok(Some("text/plain;charset=UTF-8")));
        assert!(content_type_ok(Some("Text/Plain")));
        assert!(!content_type_ok(Some("application/x-www-form-urlencoded")));
        assert!(!content_type_ok(Some("multipart/form-data; boundary=x")));
        assert!(!content_type_ok(None));
    }

    #[test]
    fn query_params() {
        assert_eq!(
            query_param("subject=abc&x=1", "subject").as_deref(),
            Some("abc")
        );
        assert_eq!(
            query_param("x=1&subject=a%2Db", "subject").as_deref(),
            Some("a-b")
        );
        assert_eq!(query_param("subjects=1", "subject"), None);
        assert_eq!(query_param("", "subject"), None);
        assert_eq!(query_param("subject=%zz", "subject"), None);
    }
}
