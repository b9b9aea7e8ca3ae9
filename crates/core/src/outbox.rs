//! The rules of the receipt outbox: which answers are worth another try, and
//! how long to wait before it.
//!
//! The outbox itself (entries in localStorage, one in flight, the bound) is
//! run by the delivery module `js/receipts.js`, which asks these rules
//! through the module's `receiptRetry` export; its bookkeeping is tested
//! against a naive model in `tests/unit/outbox.test.mjs`.


/// The largest receipt body sent, in bytes: browsers refuse a `keepalive`
/// fetch or a `sendBeacon` body over 64 KiB (the collector refuses bodies
/// over it too). `js/receipts.js` checks each receipt against the same
/// number before sending and marks a larger one `failed` at once.
pub const MAX_BODY: usize = 65_536;

/// First retry delay, before jitter.
pub const BASE_MS: i64 = 1_000;
/// Longest retry delay.
pub const CAP_MS: i64 = 300_000;

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered.
    Sent,
    /// Worth another try, with the HTTP status (0 when there was none: a
    /// network error, a timeout, a `false` from `sendBeacon`, a rejected
    /// custom `send`): 408, 429, 5xx.
    Retry(u16),
    /// Refused for good, with this HTTP status.
    Refused(u16),
}

impl Attempt {
    /// Classifies an HTTP status (0: no response).
    pub fn from_status(status: u16) -> Attempt {
        match status {
            200..=299 => Attempt::Sent,
            0 | 408 | 429 | 500..=599 => Attempt::Retry(status),
            _ => Attempt::Refused(status),
        }
    }
}

/// The delay before the next try after `attempts` failed ones (1 or more):
/// `BASE_MS * 2^(attempts-1)`, at most `CAP_MS`, with jitter from `random`
/// spreading it over its upper half.
pub fn backoff(attempts: u32, random: u32) -> i64 {
    let full = (BASE_MS << attempts.saturating_sub(1).min(20)).min(CAP_MS);
    let half = full / 2;
    half + (random as i64) % (full - half + 1)
}

/// What the delivery does after an answer with HTTP `status` (0: none)
/// following `attempts` failed tries before it: `0` means delivered, `-1`
/// refused for good, anything else is the delay in ms before the next try.
pub fn retry(status: u16, attempts: u32, random: u32) -> f64 {
    match Attempt::from_status(status) {
        Attempt::Sent => 0.0,
        Attempt::Refused(_) => -1.0,
        Attempt::Retry(_) => backoff(attempts.saturating_add(1), random) as f64,
    }
}

#[cfg(all(test, not(target_arch = "wasm32")))]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_delivery_checks_the_same_limit() {
        let js = include_str!("../../../js/receipts.js");
        assert!(js.contains("const MAX_BODY = 65_536;"), "js/receipts.js must check receipts against outbox::MAX_BODY");
        assert_eq!(MAX_BODY, 65_536);
    }

    #[test]
    fn classifies_statuses() {
        assert_eq!(Attempt::from_status(201), Attempt::Sent);
        assert_eq!(Attempt::from_status(200), Attempt::Sent);
        for s in [0, 408, 429, 500, 503, 599] {
            assert_eq!(Attempt::from_status(s), Attempt::Retry(s));
        }
        for s in [400, 401, 403, 404, 409, 413, 422, 302] {
            assert_eq!(Attempt::from_status(s), Attempt::Refused(s));
        }
    }

    #[test]
    fn backoff_schedule_doubles_up_to_the_cap() {
        let lo: Vec<i64> = (1..=12).map(|n| backoff(n, 0)).collect();
        let hi: Vec<i64> = (1..=12).map(|n| backoff(n, u32::MAX - 1)).collect();
        assert_eq!(lo, [500, 1_000, 2_000, 4_000, 8_000, 16_000, 32_000, 64_000, 128_000, 150_000, 150_000, 150_000]);
        assert_eq!(backoff(1, 500), 1_000);
        assert_eq!(backoff(9, 128_000), 256_000);
        assert!(hi.iter().zip(&lo).all(|(h, l)| h >= l && *h <= 2 * l));
        assert_eq!(backoff(u32::MAX, 150_000), CAP_MS);
    }

    proptest! {
        #[test]
        fn backoff_stays_in_its_jitter_window(attempts in 1u32..64, random: u32) {
            let full = (BASE_MS * 2i64.pow(attempts.min(40) - 1)).min(CAP_MS);
            let d = backoff(attempts, random);
            prop_assert!(d >= full / 2 && d <= full, "{} not in [{}, {}]", d, full / 2, full);
            prop_assert!((BASE_MS / 2..=CAP_MS).contains(&d));
        }
    }

    #[test]
    fn retry_tells_the_delivery_what_to_do() {
        assert_eq!(retry(201, 0, 0), 0.0);
        assert_eq!(retry(200, 3, 0), 0.0);
        assert_eq!(retry(400, 0, 0), -1.0);
        assert_eq!(retry(404, 2, 0), -1.0);
        assert_eq!(retry(503, 0, 0), 500.0, "first failure: 1 s window, lower half");
        assert_eq!(retry(0, 0, 500), 1_000.0);
        assert_eq!(retry(429, 1, 0), 1_000.0);
        assert_eq!(retry(408, 40, 0), (CAP_MS / 2) as f64);
        assert_eq!(retry(500, u32::MAX, u32::MAX), backoff(u32::MAX, u32::MAX) as f64);
    }
}
