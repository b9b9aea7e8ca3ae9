//! The receipt outbox: receipts waiting for delivery, and what happens after
//! each attempt.
//!
//! A receipt enters with [`Outbox::push`] before its first attempt and leaves
//! only through [`Outbox::record`] with [`Attempt::Sent`] (a 2xx, a `true` from
//! `sendBeacon`, a resolved custom `send`) or, when the outbox is full, as the
//! reported [`Report::Dropped`]. Receipts go out one at a time, oldest first
//! ([`Outbox::next`]), so a subject's chain reaches the backend in order.
//! Retryable failures wait [`backoff`]; a permanent one marks the entry
//! [`Status::Failed`]: kept, never retried, reported.
//!
//! The shell persists [`Outbox::to_value`] in localStorage and runs the timer.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use super::value::Value;

/// At most this many receipts wait; a push beyond drops one, reported.
pub const MAX_ENTRIES: usize = 100;
/// First retry delay, before jitter.
pub const BASE_MS: i64 = 1_000;
/// Longest retry delay.
pub const CAP_MS: i64 = 300_000;

/// Where an entry stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Waiting for (another) attempt.
    Pending,
    /// Refused for good (a 4xx other than 408 and 429): kept, not retried.
    Failed,
}

impl Status {
    /// `pending` or `failed`.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Pending => "pending",
            Status::Failed => "failed",
        }
    }
}

/// One receipt waiting.
#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// Its `consentReceiptID` (retries reuse it; the backend is idempotent by it).
    pub id: String,
    /// Its canonical JSON text.
    pub text: String,
    /// Attempts that got an answer other than success.
    pub attempts: u32,
    /// Pending or failed.
    pub status: Status,
    /// Not attempted before this time (ms); not stored: a new page load tries at once.
    pub due: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Delivered.
    Sent,
    /// Worth another try: a network error or timeout (`status` 0), 408, 429, 5xx,
    /// a `false` from `sendBeacon`, a rejected custom `send`. `retry_after` is
    /// the server's `Retry-After` in milliseconds.
    Retry {
        /// The HTTP status, 0 when there was none.
        status: u16,
        /// The server's `Retry-After`, in ms.
        retry_after: Option<i64>,
    },
    /// Refused for good, with this HTTP status.
    Refused(u16),
}

impl Attempt {
    /// Classifies an HTTP status (0: no response).
    pub fn from_status(status: u16, retry_after: Option<i64>) -> Attempt {
        match status {
            200..=299 => Attempt::Sent,
            0 | 408 | 429 | 500..=599 => Attempt::Retry { status, retry_after },
            _ => Attempt::Refused(status),
        }
    }
}

/// What to tell the page (`kelisim:receipt`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Report {
    /// Delivered and removed.
    Sent(String),
    /// Failed; will be tried again (HTTP status, 0 for none).
    Retrying(String, u16),
    /// Refused for good (HTTP status).
    Failed(String, u16),
    /// Removed unsent because the outbox was full.
    Dropped(String),
}

/// The delay before the next try after `attempts` failed ones (1 or more):
/// `BASE_MS * 2^(attempts-1)`, at most `CAP_MS`, with jitter from `random`
/// spreading it over its upper half.
pub fn backoff(attempts: u32, random: u32) -> i64 {
    let full = (BASE_MS << attempts.saturating_sub(1).min(20)).min(CAP_MS);
    let half = full / 2;
    half + (random as i64) % (full - half + 1)
}

/// A `Retry-After` header in its delay-seconds form, in milliseconds (the
/// HTTP-date form is ignored: the backoff applies).
pub fn retry_after(header: &str) -> Option<i64> {
    let h = header.trim();
    if h.is_empty() || h.len() > 9 || !super::value::all_bytes(h, |b| b.is_ascii_digit()) {
        return None;
    }
    Some(h.bytes().fold(0i64, |n, b| n * 10 + (b - b'0') as i64) * 1000)
}

/// The outbox, oldest entry first.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Outbox {
    /// Entries in the order they were pushed.
    pub entries: Vec<Entry>,
}

impl Outbox {
    /// Adds a receipt, due at `now`. When the outbox is full the oldest failed
    /// entry (else the oldest pending one) makes room, and is reported.
    pub fn push(&mut self, id: String, text: String, now: i64) -> Option<Report> {
        if self.entries.iter().any(|e| e.id == id) {
            return None;
        }
        let mut dropped = None;
        if self.entries.len() >= MAX_ENTRIES {
            let first = self.entries.iter().find(|e| e.status == Status::Failed).or(self.entries.first());
            if let Some(id) = first.map(|e| e.id.clone()) {
                self.entries.retain(|e| e.id != id);
                dropped = Some(Report::Dropped(id));
            }
        }
        self.entries.push(Entry { id, text, attempts: 0, status: Status::Pending, due: now });
        dropped
    }

    /// The oldest pending entry, if it is due at `now`.
    pub fn next(&self, now: i64) -> Option<&Entry> {
        self.entries.iter().find(|e| e.status == Status::Pending).filter(|e| e.due <= now)
    }

    /// When the oldest pending entry is due (the shell's timer).
    pub fn wake_at(&self) -> Option<i64> {
        self.entries.iter().find(|e| e.status == Status::Pending).map(|e| e.due)
    }

    /// Makes every pending entry due at `now` (`flush()`).
    pub fn hurry(&mut self, now: i64) {
        for e in self.entries.iter_mut().filter(|e| e.status == Status::Pending) {
            e.due = e.due.min(now);
        }
    }

    /// Whether nothing is left to try (empty, or every entry failed for good).
    pub fn settled(&self) -> bool {
        self.entries.iter().all(|e| e.status == Status::Failed)
    }

    /// Records how an attempt at `id` ended; `random` jitters the retry delay.
    /// `None` when `id` is not here (another tab delivered it).
    pub fn record(&mut self, id: &str, attempt: Attempt, now: i64, random: u32) -> Option<Report> {
        let e = self.entries.iter_mut().find(|e| e.id == id)?;
        Some(match attempt {
            Attempt::Sent => {
                self.entries.retain(|e| e.id != id);
                Report::Sent(id.into())
            }
            Attempt::Retry { status, retry_after } => {
                e.attempts = e.attempts.saturating_add(1);
                let wait = backoff(e.attempts, random).max(retry_after.unwrap_or(0).min(3_600_000));
                e.due = now + wait;
                Report::Retrying(e.id.clone(), status)
            }
            Attempt::Refused(status) => {
                e.attempts = e.attempts.saturating_add(1);
                e.status = Status::Failed;
                Report::Failed(e.id.clone(), status)
            }
        })
    }

    /// The stored form: `[{"id","status","attempts","receipt"}]`, `receipt`
    /// being the canonical text.
    pub fn to_value(&self) -> Value {
        let mut out = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            out.push(Value::Obj(vec![
                ("id".into(), Value::str(e.id.as_str())),
                ("status".into(), Value::str(e.status.as_str())),
                ("attempts".into(), Value::Num(e.attempts as f64)),
                ("receipt".into(), Value::str(e.text.as_str())),
            ]));
        }
        Value::Arr(out)
    }

    /// Reads [`Outbox::to_value`]'s output, every entry due at `now`. Entries
    /// that are not in that form are skipped and counted.
    pub fn from_value(v: &Value, now: i64) -> (Outbox, usize) {
        let mut out = Outbox::default();
        let mut bad = 0;
        let Value::Arr(items) = v else { return (out, 1) };
        for item in items {
            let entry = match (item.get("id"), item.get("status"), item.get("attempts"), item.get("receipt")) {
                (Some(Value::Str(id)), Some(Value::Str(st)), Some(Value::Num(n)), Some(Value::Str(text))) => {
                    let status = match st.as_str() {
                        "pending" => Status::Pending,
                        "failed" => Status::Failed,
                        _ => {
                            bad += 1;
                            continue;
                        }
                    };
                    Entry { id: id.clone(), text: text.clone(), attempts: *n as u32, status, due: now }
                }
                _ => {
                    bad += 1;
                    continue;
                }
            };
            if !out.entries.iter().any(|e| e.id == entry.id) {
                out.entries.push(entry);
            }
        }
        (out, bad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::format;
    use proptest::prelude::*;

    #[test]
    fn classifies_statuses() {
        assert_eq!(Attempt::from_status(201, None), Attempt::Sent);
        assert_eq!(Attempt::from_status(200, None), Attempt::Sent);
        for s in [0, 408, 429, 500, 503, 599] {
            assert_eq!(Attempt::from_status(s, Some(5)), Attempt::Retry { status: s, retry_after: Some(5) });
        }
        for s in [400, 401, 403, 404, 409, 413, 422, 302] {
            assert_eq!(Attempt::from_status(s, None), Attempt::Refused(s));
        }
    }

    #[test]
    fn retry_after_reads_seconds_only() {
        assert_eq!(retry_after("120"), Some(120_000));
        assert_eq!(retry_after(" 0 "), Some(0));
        assert_eq!(retry_after("Wed, 21 Oct 2015 07:28:00 GMT"), None);
        assert_eq!(retry_after("-1"), None);
        assert_eq!(retry_after("9999999999"), None);
        assert_eq!(retry_after(""), None);
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
    fn retries_then_sends_and_fails_for_good() {
        let mut o = Outbox::default();
        assert_eq!(o.push("a".into(), "{}".into(), 0), None);
        assert_eq!(o.push("b".into(), "{}".into(), 0), None);
        assert_eq!(o.push("a".into(), "{}".into(), 0), None, "a second push of an id is ignored");
        assert_eq!(o.next(0).map(|e| e.id.as_str()), Some("a"));
        let r = o.record("a", Attempt::from_status(503, None), 10, 0);
        assert_eq!(r, Some(Report::Retrying("a".into(), 503)));
        assert_eq!(o.next(10), None, "the head waits; the next one waits behind it");
        assert_eq!(o.wake_at(), Some(510));
        let r = o.record("a", Attempt::Retry { status: 429, retry_after: Some(60_000) }, 510, 0);
        assert_eq!(r, Some(Report::Retrying("a".into(), 429)));
        assert_eq!(o.wake_at(), Some(60_510), "Retry-After is honoured when longer");
        o.hurry(600);
        assert_eq!(o.next(600).map(|e| (e.id.as_str(), e.attempts)), Some(("a", 2)));
        assert_eq!(o.record("a", Attempt::Refused(400), 600, 0), Some(Report::Failed("a".into(), 400)));
        assert_eq!(o.next(600).map(|e| e.id.as_str()), Some("b"), "a failed entry no longer blocks");
        assert!(!o.settled());
        assert_eq!(o.record("b", Attempt::Sent, 700, 0), Some(Report::Sent("b".into())));
        assert!(o.settled());
        assert_eq!(o.entries.len(), 1, "the failed receipt is kept");
        assert_eq!(o.record("zzz", Attempt::Sent, 0, 0), None);
    }

    #[test]
    fn a_full_outbox_drops_the_oldest_failed_entry_first_and_says_so() {
        let mut o = Outbox::default();
        for i in 0..MAX_ENTRIES {
            assert_eq!(o.push(format!("r{i}"), "{}".into(), 0), None);
        }
        assert_eq!(o.push("x".into(), "{}".into(), 0), Some(Report::Dropped("r0".into())));
        o.record("r5", Attempt::Refused(400), 0, 0);
        assert_eq!(o.push("y".into(), "{}".into(), 0), Some(Report::Dropped("r5".into())));
        assert_eq!(o.entries.len(), MAX_ENTRIES);
    }

    #[test]
    fn stored_form_round_trips_and_skips_junk() {
        let mut o = Outbox::default();
        o.push("a".into(), "{\"x\":1}".into(), 5);
        o.push("b".into(), "{}".into(), 5);
        o.record("b", Attempt::Refused(404), 5, 0);
        o.record("a", Attempt::Retry { status: 0, retry_after: None }, 5, 7);
        let (back, bad) = Outbox::from_value(&o.to_value(), 99);
        assert_eq!(bad, 0);
        let mut want = o.clone();
        want.entries.iter_mut().for_each(|e| e.due = 99);
        assert_eq!(back, want);
        let mut v = o.to_value();
        if let Value::Arr(items) = &mut v {
            items.push(Value::str("junk"));
            items.push(Value::obj([("id", Value::str("c"))]));
        }
        assert_eq!(Outbox::from_value(&v, 0).1, 2);
        assert_eq!(Outbox::from_value(&Value::Null, 0), (Outbox::default(), 1));
    }

    #[derive(Debug, Clone)]
    enum Op {
        Push,
        Answer(u16),
        Beacon(bool),
        Hurry,
        Reload,
        Tick(i64),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            3 => Just(Op::Push),
            4 => prop::sample::select(vec![0u16, 200, 201, 400, 404, 408, 429, 500, 503]).prop_map(Op::Answer),
            1 => any::<bool>().prop_map(Op::Beacon),
            1 => Just(Op::Hurry),
            1 => Just(Op::Reload),
            2 => (0i64..400_000).prop_map(Op::Tick),
        ]
    }

    proptest! {
        /// Against a naive model (a list of ids with their state), over any
        /// sequence of pushes, answers, reloads and clock steps: an entry
        /// leaves only when sent (reported) or dropped at the bound (reported),
        /// attempts count answers, failed entries stay, and order is kept.
        #[test]
        fn never_loses_a_receipt(ops in prop::collection::vec(op(), 1..200), random: u32) {
            let mut o = Outbox::default();
            let mut model: Vec<(String, bool, u32)> = Vec::new(); // (id, failed, attempts)
            let mut sent = Vec::new();
            let mut dropped = Vec::new();
            let (mut now, mut n) = (0i64, 0);
            for op in ops {
                match op {
                    Op::Push => {
                        let id = format!("r{n}");
                        n += 1;
                        if let Some(Report::Dropped(d)) = o.push(id.clone(), id.clone(), now) {
                            let at = model.iter().position(|m| m.1).unwrap_or(0);
                            prop_assert_eq!(&model.remove(at).0, &d);
                            dropped.push(d);
                        }
                        model.push((id, false, 0));
                    }
                    Op::Answer(_) | Op::Beacon(_) if o.next(now).is_none() => {}
                    Op::Answer(_) | Op::Beacon(_) => {
                        let (attempt, status) = match op {
                            Op::Answer(s) => (Attempt::from_status(s, None), s),
                            Op::Beacon(true) => (Attempt::Sent, 0),
                            _ => (Attempt::Retry { status: 0, retry_after: None }, 0),
                        };
                        let id = o.next(now).unwrap().id.clone();
                        let head = model.iter().position(|m| !m.1).unwrap();
                        prop_assert_eq!(&model[head].0, &id, "oldest pending first");
                        let report = o.record(&id, attempt, now, random).unwrap();
                        match attempt {
                            Attempt::Sent => {
                                prop_assert_eq!(report, Report::Sent(id.clone()));
                                model.remove(head);
                                sent.push(id);
                            }
                            Attempt::Retry { .. } => {
                                prop_assert_eq!(report, Report::Retrying(id.clone(), status));
                                model[head].2 += 1;
                                prop_assert!(o.next(now).is_none(), "a retry waits");
                            }
                            Attempt::Refused(_) => {
                                prop_assert_eq!(report, Report::Failed(id.clone(), status));
                                model[head].1 = true;
                                model[head].2 += 1;
                            }
                        }
                    }
                    Op::Hurry => o.hurry(now),
                    Op::Reload => o = Outbox::from_value(&o.to_value(), now).0,
                    Op::Tick(ms) => now += ms,
                }
                let got: Vec<(String, bool, u32)> =
                    o.entries.iter().map(|e| (e.id.clone(), e.status == Status::Failed, e.attempts)).collect();
                prop_assert_eq!(&got, &model);
                prop_assert!(o.entries.len() <= MAX_ENTRIES);
                prop_assert_eq!(o.settled(), model.iter().all(|m| m.1));
            }
            // Every id ever pushed is in exactly one place.
            let mut all: Vec<String> = model.into_iter().map(|m| m.0).chain(sent).chain(dropped).collect();
            all.sort();
            let mut want: Vec<String> = (0..n).map(|i| format!("r{i}")).collect();
            want.sort();
            prop_assert_eq!(all, want);
        }
    }
}
