//! Access control for the receipt API: token-bucket rate limits per client
//! address and per subject, and the admin bearer token.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

/// A rate: `per_minute` tokens added each minute, at most `burst` held.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    pub per_minute: u32,
    pub burst: u32,
}

impl Rate {
    /// Parses `PER_MINUTE/BURST` (`120/60`) or `off`.
    pub fn parse(flag: &str, v: &str) -> Result<Option<Rate>, String> {
        if v == "off" {
            return Ok(None);
        }
        let bad = || format!("{flag} {v}: expected PER_MINUTE/BURST like 120/60, or off");
        let (r, b) = v.split_once('/').ok_or_else(bad)?;
        let per_minute: u32 = r.parse().map_err(|_| bad())?;
        let burst: u32 = b.parse().map_err(|_| bad())?;
        if per_minute == 0 || burst == 0 {
            return Err(format!(
                "{flag} {v}: both numbers must be at least 1 (or say off)"
            ));
        }
        Ok(Some(Rate { per_minute, burst }))
    }
}

/// Most keys tracked before full buckets are forgotten.
const MAX_KEYS: usize = 100_000;

/// Token buckets by key.
#[derive(Debug)]
pub struct Buckets<K> {
    rate: Rate,
    state: Mutex<HashMap<K, (f64, Instant)>>,
}

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    pub fn new(rate: Rate) -> Self {
        Buckets {
            rate,
            state: Mutex::new(HashMap::new()),
        }
    }

    /// Takes one token for `key`; `Err(wait)` when none is left, with the
    /// time until the next one.
    pub fn take(&self, key: &K, now: Instant) -> Result<(), Duration> {
        let per_sec = f64::from(self.rate.per_minute) / 60.0;
        let burst = f64::from(self.rate.burst);
        let mut map = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            // Forget buckets that have refilled: they hold no information.
            map.retain(|_, (tokens, at)| {
                *tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec < burst
            });
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let (tokens, at) = map.entry(key.clone()).or_insert((burst, now));
        *tokens = (*tokens + now.saturating_duration_since(*at).as_secs_f64() * per_sec).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64((1.0 - *tokens) / per_sec))
        }
    }
}

/// The rate limits of `POST /v1/receipts`.
#[derive(Debug)]
pub struct Limits {
    pub by_ip: Option<Buckets<IpAddr>>,
    pub by_subject: Option<Buckets<String>>,
}

impl Limits {
    pub fn new(ip: Option<Rate>, subject: Option<Rate>) -> Limits {
        Limits {
            by_ip: ip.map(Buckets::new),
            by_subject: subject.map(Buckets::new),
        }
    }
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// `None` for an empty value (no token configured).
    pub fn new(s: impl Into<String>) -> Option<Secret> {
        let s = s.into();
        (!s.trim().is_empty()).then(|| Secret(s.trim().to_string()))
    }

    /// Whether `given` equals the secret, in time independent of where
    /// they differ and of their lengths (both are hashed first).
    pub fn matches(&self, given: &str) -> bool {
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(given.as_bytes());
        a.ct_eq(&b).into()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The token of an `Authorization: Bearer <token>` header value.
pub fn bearer(value: Option<&str>) -> Option<&str> {
    let v = value?.trim();
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_refill_at_the_rate() {
        let b = Buckets::new(Rate {
            per_minute: 60,
            burst: 2,
        });
        let t0 = Instant::now();
        assert!(b.take(&1, t0).is_ok());
        assert!(b.take(&1, t0).is_ok());
        let wait = b.take(&1, t0).unwrap_err();
        assert!(
            wait > Duration::from_millis(900) && wait <= Duration::from_secs(1),
            "{wait:?}"
        );
        assert!(b.take(&2, t0).is_ok(), "keys are independent");
        assert!(b.take(&1, t0 + Duration::from_millis(1001)).is_ok());
        assert!(b.take(&1, t0 + Duration::from_millis(1002)).is_err());
    }

    #[test]
    fn secrets_compare_and_hide() {
        let s = Secret::new("abc").unwrap();
        assert!(s.matches("abc"));
        assert!(!s.matches("abd"));
        assert!(!s.matches(""));
        assert!(!s.matches("abcabc"));
        assert_eq!(format!("{s:?}"), "Secret(***)");
        assert!(Secret::new("  ").is_none());
        assert_eq!(bearer(Some("Bearer  xyz ")), Some("xyz"));
        assert_eq!(bearer(Some("bearer xyz")), Some("xyz"));
        assert_eq!(bearer(Some("Basic xyz")), None);
        assert_eq!(bearer(None), None);
    }

    #[test]
    fn rates_parse() {
        assert_eq!(
            Rate::parse("--x", "120/60"),
            Ok(Some(Rate {
                per_minute: 120,
                burst: 60
            }))
        );
        assert_eq!(Rate::parse("--x", "off"), Ok(None));
        assert!(Rate::parse("--x", "0/1").is_err());
        assert!(Rate::parse("--x", "12").is_err());
    }
}
