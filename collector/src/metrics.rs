//! Prometheus metrics, served as text at `GET /metrics`: counts only, no
//! personal data (no subject ids, no addresses).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::store::Mark;

/// Upper bounds (seconds) of the request latency histogram.
pub const LATENCY_BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
];
/// Upper bounds of the group-commit batch size histogram.
pub const BATCH_BUCKETS: [f64; 10] = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0, 512.0];

/// A histogram with fixed buckets.
#[derive(Debug)]
pub struct Histogram<const N: usize> {
    bounds: [f64; N],
    counts: [AtomicU64; N],
    count: AtomicU64,
    /// Sum in millionths of the unit.
    sum_micro: AtomicU64,
}

impl<const N: usize> Histogram<N> {
    pub fn new(bounds: [f64; N]) -> Self {
        Histogram {
            bounds,
            counts: std::array::from_fn(|_| AtomicU64::new(0)),
            count: AtomicU64::new(0),
            sum_micro: AtomicU64::new(0),
        }
    }

    pub fn observe(&self, v: f64) {
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            if v <= *b {
                c.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.count.fetch_add(1, Ordering::Relaxed);
        self.sum_micro
            .fetch_add((v * 1e6).max(0.0) as u64, Ordering::Relaxed);
    }

    fn render(&self, name: &str, help: &str, out: &mut String) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        for (b, c) in self.bounds.iter().zip(&self.counts) {
            let _ = writeln!(
                out,
                "{name}_bucket{{le=\"{b}\"}} {}",
                c.load(Ordering::Relaxed)
            );
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let _ = writeln!(
            out,
            "{name}_sum {}",
            self.sum_micro.load(Ordering::Relaxed) as f64 / 1e6
        );
        let _ = writeln!(out, "{name}_count {count}");
    }
}

/// Every metric of one collector.
#[derive(Debug)]
pub struct Metrics {
    /// By status code 100..=599.
    requests: Vec<AtomicU64>,
    pub latency: Histogram<12>,
    pub batch: Histogram<10>,
    stored: AtomicU64,
    duplicates: AtomicU64,
    marks: [AtomicU64; 4],
    limited_ip: AtomicU64,
    limited_subject: AtomicU64,
    purged: AtomicU64,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics {
            requests: (0..500).map(|_| AtomicU64::new(0)).collect(),
            latency: Histogram::new(LATENCY_BUCKETS),
            batch: Histogram::new(BATCH_BUCKETS),
            stored: AtomicU64::new(0),
            duplicates: AtomicU64::new(0),
            marks: std::array::from_fn(|_| AtomicU64::new(0)),
            limited_ip: AtomicU64::new(0),
            limited_subject: AtomicU64::new(0),
            purged: AtomicU64::new(0),
        }
    }
}

fn mark_index(m: Mark) -> usize {
    match m {
        Mark::Ok => 0,
        Mark::MissingPredecessor => 1,
        Mark::Mismatch => 2,
        Mark::Fork => 3,
    }
}

impl Metrics {
    /// One answered request.
    pub fn request(&self, status: u16, seconds: f64) {
        if let Some(c) = self.requests.get(usize::from(status).wrapping_sub(100)) {
            c.fetch_add(1, Ordering::Relaxed);
        }
        self.latency.observe(seconds);
    }

    /// One receipt stored (`created`) or found already stored.
    pub fn receipt(&self, created: bool, mark: Mark) {
        if created {
            self.stored.fetch_add(1, Ordering::Relaxed);
            self.marks[mark_index(mark)].fetch_add(1, Ordering::Relaxed);
        } else {
            self.duplicates.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// One refusal by a rate limit.
    pub fn limited(&self, by_subject: bool) {
        if by_subject {
            self.limited_subject.fetch_add(1, Ordering::Relaxed);
        } else {
            self.limited_ip.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Receipts removed by retention.
    pub fn purged(&self, n: u64) {
        self.purged.fetch_add(n, Ordering::Relaxed);
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str("# HELP kelisim_http_requests_total HTTP requests answered, by status code.\n# TYPE kelisim_http_requests_total counter\n");
        for (i, c) in self.requests.iter().enumerate() {
            let n = c.load(Ordering::Relaxed);
            if n > 0 {
                let _ = writeln!(
                    out,
                    "kelisim_http_requests_total{{status=\"{}\"}} {n}",
                    i + 100
                );
            }
        }
        self.latency.render(
            "kelisim_http_request_duration_seconds",
            "Time to produce an answer (not to stream it).",
            &mut out,
        );
        let counter = |out: &mut String, name: &str, help: &str, v: u64| {
            let _ = writeln!(
                out,
                "# HELP {name} {help}\n# TYPE {name} counter\n{name} {v}"
            );
        };
        counter(
            &mut out,
            "kelisim_receipts_stored_total",
            "Receipts stored (acknowledged with 201).",
            self.stored.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "kelisim_receipts_duplicate_total",
            "Receipts posted again (200, nothing stored).",
            self.duplicates.load(Ordering::Relaxed),
        );
        counter(
            &mut out,
            "kelisim_receipts_purged_total",
            "Receipts removed by retention.",
            self.purged.load(Ordering::Relaxed),
        );
        out.push_str("# HELP kelisim_chain_marks_total Chain marks given to stored receipts.\n# TYPE kelisim_chain_marks_total counter\n");
        for m in [
            Mark::Ok,
            Mark::MissingPredecessor,
            Mark::Mismatch,
            Mark::Fork,
        ] {
            let _ = writeln!(
                out,
                "kelisim_chain_marks_total{{mark=\"{}\"}} {}",
                m.as_str(),
                self.marks[mark_index(m)].load(Ordering::Relaxed)
            );
        }
        out.push_str("# HELP kelisim_rate_limited_total Receipts refused with 429.\n# TYPE kelisim_rate_limited_total counter\n");
        let _ = writeln!(
            out,
            "kelisim_rate_limited_total{{by=\"address\"}} {}",
            self.limited_ip.load(Ordering::Relaxed)
        );
        let _ = writeln!(
            out,
            "kelisim_rate_limited_total{{by=\"subject\"}} {}",
            self.limited_subject.load(Ordering::Relaxed)
        );
        self.batch.render(
            "kelisim_group_commit_batch_size",
            "Receipts committed per transaction.",
            &mut out,
        );
        out
    }
}
