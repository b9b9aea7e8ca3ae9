//! CORS for the `/v1/` endpoints, limited to configured origins.
//!
//! * A request whose `Origin` is configured gets
//!   `Access-Control-Allow-Origin: <that origin>`; every `/v1/` reply carries
//!   `Vary: Origin`.
//! * A preflight (`OPTIONS` with `Origin`) from a configured origin gets 204
//!   with the allowed methods, headers (`Content-Type` plus any configured
//!   extra names) and `Access-Control-Max-Age`; from any other origin, 403.
//! * Same-origin requests need none of this; other origins get no CORS
//!   headers, so the browser withholds the response from the page.
//!
//! CORS is not authentication: it only decides which pages may read the
//! answers. A `text/plain` POST (what `sendBeacon` sends) needs no preflight,
//! so a page on any origin can still deliver a receipt; it just cannot read
//! the reply.

use crate::Reply;

/// Methods announced in a preflight answer.
pub const ALLOW_METHODS: &str = "POST, GET, OPTIONS";
/// `Access-Control-Max-Age` of a preflight answer, in seconds (Chromium caps
/// it at 7200).
pub const MAX_AGE: &str = "7200";

/// Checks an origin given on the command line: `http://` or `https://`, a
/// host, an optional port, and nothing else. Returns it lowercased.
pub fn parse_origin(origin: &str) -> Result<String, String> {
    let lower = origin.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| {
            format!("--cors-origin {origin}: expected http://host[:port] or https://host[:port]")
        })?;
    let ok = !rest.is_empty()
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if ok {
        Ok(lower)
    } else {
        Err(format!(
            "--cors-origin {origin}: an origin is scheme://host[:port], without a path or a trailing /"
        ))
    }
}

/// Checks a header name given with `--cors-header` (an HTTP token).
pub fn parse_header_name(name: &str) -> Result<String, String> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b));
    if ok {
        Ok(name.to_string())
    } else {
        Err(format!("--cors-header {name:?}: not a header name"))
    }
}

/// The CORS policy.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cors {
    origins: Vec<String>,
    allow_headers: String,
}

impl Cors {
    /// A policy for these (already checked) origins and extra header names.
    pub fn new(origins: &[String], extra_headers: &[String]) -> Cors {
        let mut allow_headers = String::from("Content-Type");
        for h in extra_headers {
            allow_headers.push_str(", ");
            allow_headers.push_str(h);
        }
        Cors {
            origins: origins.iter().map(|o| o.to_ascii_lowercase()).collect(),
            allow_headers,
        }
    }

    /// Whether `origin` is configured.
    pub fn allows(&self, origin: &str) -> bool {
        self.origins.iter().any(|o| o == origin)
    }

    /// Adds `Vary: Origin`, and `Access-Control-Allow-Origin` for a
    /// configured origin.
    /// Replies that already carry them (a preflight answer) are left as they
    /// are: a repeated `Access-Control-Allow-Origin` fails the CORS check.
    pub fn decorate(&self, origin: Option<&str>, reply: Reply) -> Reply {
        let reply = if reply.header("Vary").is_some() {
            reply
        } else {
            reply.with_header("Vary", "Origin")
        };
        match origin {
            Some(o) if self.allows(o) && reply.header("Access-Control-Allow-Origin").is_none() => {
                reply.with_header("Access-Control-Allow-Origin", o)
            }
            _ => reply,
        }
    }

    /// The answer to `OPTIONS`: a preflight from a configured origin gets 204
    /// with the CORS headers, one from another origin 403; an `OPTIONS`
    /// without `Origin` (not a preflight) gets 204 with `Allow`.
    pub fn preflight(&self, origin: Option<&str>, allow: &str) -> Reply {
        let empty = || Reply {
            status: 204,
            headers: Vec::new(),
            body: crate::Body::Bytes(Vec::new()),
        };
        match origin {
            None => empty().with_header("Allow", allow),
            Some(o) if self.allows(o) => empty()
                .with_header("Access-Control-Allow-Origin", o)
                .with_header("Access-Control-Allow-Methods", ALLOW_METHODS)
                .with_header("Access-Control-Allow-Headers", self.allow_headers.clone())
                .with_header("Access-Control-Max-Age", MAX_AGE)
                .with_header("Vary", "Origin"),
            Some(_) => Reply::forbidden().with_header("Vary", "Origin"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origins_are_checked() {
        assert_eq!(
            parse_origin("https://Sapar.example.kz"),
            Ok("https://sapar.example.kz".into())
        );
        assert_eq!(
            parse_origin("http://127.0.0.1:8080"),
            Ok("http://127.0.0.1:8080".into())
        );
        for bad in [
            "sapar.kz",
            "https://",
            "https://a.kz/",
            "https://a.kz/x",
            "ftp://a.kz",
            "*",
            "https://a b",
        ] {
            assert!(parse_origin(bad).is_err(), "{bad}");
        }
        assert!(parse_header_name("X-Request-Id").is_ok());
        assert!(parse_header_name("Bad Header").is_err());
        assert!(parse_header_name("").is_err());
    }

    #[test]
    fn preflight_and_decoration() {
        let cors = Cors::new(&["https://a.kz".into()], &["X-Tenant".into()]);
        let ok = cors.preflight(Some("https://a.kz"), "GET");
        assert_eq!(ok.status, 204);
        assert_eq!(
            ok.header("Access-Control-Allow-Origin"),
            Some("https://a.kz")
        );
        assert_eq!(
            ok.header("Access-Control-Allow-Methods"),
            Some("POST, GET, OPTIONS")
        );
        assert_eq!(
            ok.header("Access-Control-Allow-Headers"),
            Some("Content-Type, X-Tenant")
        );
        assert_eq!(ok.header("Access-Control-Max-Age"), Some("7200"));
        let no = cors.preflight(Some("https://evil.example"), "GET");
        assert_eq!(no.status, 403);
        assert_eq!(no.header("Access-Control-Allow-Origin"), None);
        let plain = cors.preflight(None, "GET, OPTIONS");
        assert_eq!(
            (plain.status, plain.header("Allow")),
            (204, Some("GET, OPTIONS"))
        );
        let r = cors.decorate(Some("https://a.kz"), Reply::text(200, "x"));
        assert_eq!(
            r.header("Access-Control-Allow-Origin"),
            Some("https://a.kz")
        );
        assert_eq!(r.header("Vary"), Some("Origin"));
        let r = cors.decorate(Some("https://b.kz"), Reply::text(200, "x"));
        assert_eq!(r.header("Access-Control-Allow-Origin"), None);
        // Decorating a preflight answer adds nothing twice.
        let twice = cors.decorate(
            Some("https://a.kz"),
            cors.preflight(Some("https://a.kz"), "GET"),
        );
        let count = |name: &str| twice.headers.iter().filter(|(n, _)| n == name).count();
        assert_eq!(
            (count("Access-Control-Allow-Origin"), count("Vary")),
            (1, 1)
        );
    }
}
