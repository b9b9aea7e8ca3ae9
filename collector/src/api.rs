//! The receipt endpoints under `/v1/`.
//!
//! | request | answer |
//! |---|---|
//! | `POST /v1/receipts` | 201 `{"id", "chain"}` stored; 200 same shape, already stored; 400 `{"errors": [...]}`; 413 body over 64 KiB; 415 other content type |
//! | `GET /v1/receipts?subject=<id>` | 200 `{"receipts": [entry, ...]}` by seq |
//! | `GET /v1/receipts/<id>` | 200 entry, or 404 |
//! | `GET /v1/export` | 200 NDJSON, one entry per line, streamed |
//! | `OPTIONS` on any of them | CORS preflight ([`crate::cors`]) |
//!
//! An entry is `{"receipt": {...}, "receivedAt": "...", "chain": "ok" |
//! "missing-predecessor" | "mismatch"}`.

use std::io::Read;

use serde_json::Value;

use crate::receipt::{self, is_uuid_v4};
use crate::store::Store;
use crate::{files, Body, Context, Method, Reply, Request};

/// Largest accepted receipt body, in bytes.
pub const MAX_BODY: usize = 64 * 1024;

/// The part of an incoming request the endpoints look at.
#[derive(Debug)]
pub struct Call<'a> {
    /// Request method.
    pub method: &'a Method,
    /// Decoded path, starting with `/v1/`.
    pub path: &'a str,
    /// Raw query string (after `?`), or empty.
    pub query: &'a str,
    /// `Origin` header.
    pub origin: Option<&'a str>,
    /// `Content-Type` header.
    pub content_type: Option<&'a str>,
    /// The body of a POST, read up to [`MAX_BODY`] + 1 bytes.
    pub body: BodyRead,
}

/// What reading a request body gave.
#[derive(Debug)]
pub enum BodyRead {
    /// Not read (not a POST to an endpoint that takes a body).
    Skipped,
    /// The whole body.
    Complete(Vec<u8>),
    /// Larger than [`MAX_BODY`] (declared or read).
    TooLarge,
    /// The connection failed while reading.
    Failed,
}

/// Whether a decoded path belongs to the receipt API.
pub fn is_api(path: &str) -> bool {
    path == "/v1" || path.starts_with("/v1/")
}

/// Reads what [`dispatch`] needs from `req` (the body only for
/// `POST /v1/receipts`, never more than [`MAX_BODY`] + 1 bytes) and answers.
pub fn handle(ctx: &Context, req: &mut Request, path: &str) -> Reply {
    let method = req.method().clone();
    let url = req.url().to_string();
    let query = url.split_once('?').map_or("", |(_, q)| q);
    let query = query.split('#').next().unwrap_or("");
    let header = |name: &str| {
        req.headers()
            .iter()
            .find(|h| h.field.as_str().as_str().eq_ignore_ascii_case(name))
            .map(|h| h.value.as_str().to_string())
    };
    let origin = header("Origin");
    let content_type = header("Content-Type");
    let body = if method == Method::Post && path == "/v1/receipts" {
        read_body(req)
    } else {
        BodyRead::Skipped
    };
    dispatch(
        ctx,
        Call {
            method: &method,
            path,
            query,
            origin: origin.as_deref(),
            content_type: content_type.as_deref(),
            body,
        },
    )
}

fn read_body(req: &mut Request) -> BodyRead {
    if req.body_length().is_some_and(|n| n > MAX_BODY) {
        return BodyRead::TooLarge;
    }
    let mut body = Vec::with_capacity(req.body_length().unwrap_or(0).min(MAX_BODY + 1));
    match req
        .as_reader()
        .take(MAX_BODY as u64 + 1)
        .read_to_end(&mut body)
    {
        Ok(_) if body.len() > MAX_BODY => BodyRead::TooLarge,
        Ok(_) => BodyRead::Complete(body),
        Err(_) => BodyRead::Failed,
    }
}

/// Answers one API call; CORS headers are added here for every reply.
pub fn dispatch(ctx: &Context, call: Call<'_>) -> Reply {
    let reply = answer(ctx, &call);
    ctx.cors.decorate(call.origin, reply)
}

fn answer(ctx: &Context, call: &Call<'_>) -> Reply {
    const RECEIPTS: &str = "GET, HEAD, POST, OPTIONS";
    const READ_ONLY: &str = "GET, HEAD, OPTIONS";
    let get = matches!(call.method, Method::Get | Method::Head);
    let (allow, endpoint) = match call.path {
        "/v1/receipts" => (RECEIPTS, Endpoint::Receipts),
        "/v1/export" => (READ_ONLY, Endpoint::Export),
        p => match p.strip_prefix("/v1/receipts/") {
            Some(id) if !id.is_empty() && !id.contains('/') => (READ_ONLY, Endpoint::One(id)),
            _ => return errors(404, &["path: no such endpoint"]),
        },
    };
    if *call.method == Method::Options {
        return ctx.cors.preflight(call.origin, allow);
    }
    let Some(store) = ctx.store.as_ref() else {
        return errors(503, &["storage: this server runs without a receipt store"]);
    };
    match endpoint {
        Endpoint::Receipts if *call.method == Method::Post => post(store, call),
        Endpoint::Receipts if get => list(store, call.query),
        Endpoint::One(id) if get => one(store, id),
        Endpoint::Export if get => Reply {
            status: 200,
            headers: vec![("Content-Type".into(), "application/x-ndjson".into())],
            body: Body::Stream(Box::new(store.export())),
        },
        _ => json(405, "{\"errors\":[\"method: not allowed\"]}".into()).with_header("Allow", allow),
    }
}

enum Endpoint<'a> {
    Receipts,
    One(&'a str),
    Export,
}

fn post(store: &Store, call: &Call<'_>) -> Reply {
    let body = match &call.body {
        BodyRead::Complete(b) => b,
        BodyRead::TooLarge => {
            return errors(413, &["body: larger than 65536 bytes (64 KiB)"]);
        }
        BodyRead::Failed | BodyRead::Skipped => return errors(400, &["body: could not be read"]),
    };
    if !content_type_ok(call.content_type) {
        return errors(
            415,
            &["Content-Type: expected application/json or text/plain"],
        );
    }
    let value: Value = match std::str::from_utf8(body) {
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
    let now = crate::time::iso(crate::time::now_ms());
    match store.insert(&receipt, &now) {
        Ok(stored) => {
            let status = if stored.created { 201 } else { 200 };
            let body = format!(
                "{{\"id\":\"{}\",\"chain\":\"{}\"}}",
                receipt.id,
                stored.chain.as_str()
            );
            let reply = json(status, body);
            if stored.created {
                reply.with_header("Location", format!("/v1/receipts/{}", receipt.id))
            } else {
                reply
            }
        }
        Err(e) => storage_error(&e),
    }
}

fn list(store: &Store, query: &str) -> Reply {
    let Some(subject) = query_param(query, "subject") else {
        return errors(400, &["subject: missing (GET /v1/receipts?subject=<id>)"]);
    };
    if !is_uuid_v4(&subject) {
        return errors(400, &["subject: expected a lowercase UUID v4"]);
    }
    match store.by_subject(&subject) {
        Ok(entries) => {
            let mut body = String::from("{\"receipts\":[");
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    body.push(',');
                }
                body.push_str(&e.to_json());
            }
            body.push_str("]}");
            json(200, body)
        }
        Err(e) => storage_error(&e),
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
    errors(503, &[&format!("storage: {e}")])
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
