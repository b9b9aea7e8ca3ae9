//! `kelisim-collector verify EXPORT.ndjson --key PUBLIC_KEY`: checks an
//! export offline, trusting nothing but the collector's public key.
//!
//! For every line: the receipt's canonical form hashes to the stored hash,
//! and the countersignature over (hash, receivedAt, subject, seq, prev)
//! verifies. For every subject: seq runs 1, 2, 3, … without gaps (a deleted
//! row leaves one), each receipt's `prev` is the hash of a receipt at the
//! seq before (else a forged link), and two receipts at one seq are
//! reported as a fork, both shown. Retention checkpoints (signed lines
//! `{"checkpoint": {...}}`) account for the receipts a purge removed.

use std::collections::BTreeMap;
use std::path::Path;
use std::process::ExitCode;

use ed25519_dalek::VerifyingKey;
use serde_json::Value;

use crate::{canon, sign};

/// What [`check`] found.
#[derive(Debug, Default)]
pub struct Report {
    /// Receipt lines read.
    pub receipts: usize,
    /// Distinct subjects.
    pub subjects: usize,
    /// Retention checkpoints read (with valid signatures).
    pub checkpoints: usize,
    /// Lines whose receipt or signature does not verify.
    pub forged: Vec<String>,
    /// Two or more receipts at one chain position.
    pub forks: Vec<String>,
    /// Missing chain positions.
    pub gaps: Vec<String>,
    /// Receipts whose `prev` matches no receipt at the position before.
    pub broken_links: Vec<String>,
    /// Lines that are not entries at all.
    pub malformed: Vec<String>,
}

impl Report {
    /// Whether nothing is wrong.
    pub fn is_clean(&self) -> bool {
        self.forged.is_empty()
            && self.forks.is_empty()
            && self.gaps.is_empty()
            && self.broken_links.is_empty()
            && self.malformed.is_empty()
    }

    /// The report as text, one finding per line.
    pub fn render(&self) -> String {
        let mut out = format!(
            "{} receipts, {} subjects, {} retention checkpoints\n",
            self.receipts, self.subjects, self.checkpoints
        );
        for (title, list) in [
            ("malformed", &self.malformed),
            ("forged or altered", &self.forged),
            ("fork", &self.forks),
            ("gap", &self.gaps),
            ("forged link", &self.broken_links),
        ] {
            for item in list {
                out.push_str(&format!("{title}: {item}\n"));
            }
        }
        out.push_str(if self.is_clean() {
            "ok: every signature and every chain verifies\n"
        } else {
            "FAILED\n"
        });
        out
    }
}

struct Node {
    id: String,
    line: usize,
    hash: String,
    prev: Option<String>,
}

/// Checks an export's text against `key`.
pub fn check(text: &str, key: &VerifyingKey) -> Report {
    let mut report = Report::default();
    // subject -> seq -> receipts
    let mut chains: BTreeMap<String, BTreeMap<u64, Vec<Node>>> = BTreeMap::new();
    // subject -> (highest seq removed by retention, hashes at that seq)
    let mut purged: BTreeMap<String, (u64, Vec<String>)> = BTreeMap::new();
    for (i, line) in text.lines().enumerate() {
        let line_no = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let entry: Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                report
                    .malformed
                    .push(format!("line {line_no}: not JSON ({e})"));
                continue;
            }
        };
        if let Some(cp) = entry.get("checkpoint") {
            match checkpoint(cp, entry.get("signature"), key) {
                Ok(removed) => {
                    report.checkpoints += 1;
                    for (subject, upto, hashes) in removed {
                        let e = purged.entry(subject).or_insert((0, Vec::new()));
                        if upto >= e.0 {
                            *e = (upto, hashes);
                        }
                    }
                }
                Err(e) => report
                    .forged
                    .push(format!("line {line_no}: checkpoint {e}")),
            }
            continue;
        }
        let receipt = &entry["receipt"];
        let id = receipt["consentReceiptID"]
            .as_str()
            .unwrap_or("?")
            .to_string();
        let subject = receipt["piiPrincipalId"].as_str();
        let seq = receipt["kelisim"]["chain"]["seq"].as_u64();
        let received_at = entry["receivedAt"].as_str();
        let (Some(subject), Some(seq), Some(received_at)) = (subject, seq, received_at) else {
            report.malformed.push(format!(
                "line {line_no} ({id}): missing receipt, piiPrincipalId, kelisim.chain.seq or receivedAt"
            ));
            continue;
        };
        report.receipts += 1;
        let prev = receipt["kelisim"]["chain"]["prev"]
            .as_str()
            .map(str::to_string);
        let hash = canon::hash(receipt);
        if entry["hash"].as_str() != Some(hash.as_str()) {
            report.forged.push(format!(
                "line {line_no} ({id}): the receipt does not hash to the stored hash (altered after signing)"
            ));
        }
        match entry["signature"].as_str() {
            None => report
                .forged
                .push(format!("line {line_no} ({id}): no countersignature")),
            Some(sig) => {
                let msg = sign::message(&hash, received_at, subject, seq, prev.as_deref());
                if !sign::verify(key, &msg, sig) {
                    report.forged.push(format!(
                        "line {line_no} ({id}): the countersignature does not verify (receipt, receivedAt or position altered, or not signed by this key)"
                    ));
                }
            }
        }
        chains
            .entry(subject.to_string())
            .or_default()
            .entry(seq)
            .or_default()
            .push(Node {
                id,
                line: line_no,
                hash,
                prev,
            });
    }
    report.subjects = chains.len();
    for (subject, chain) in &chains {
        let (floor, floor_hashes) = purged
            .get(subject)
            .map_or((0, &[][..]), |(n, h)| (*n, h.as_slice()));
        let mut expected = floor + 1;
        for (&seq, nodes) in chain {
            if seq > expected {
                let what = if seq - expected == 1 {
                    format!("seq {expected} missing")
                } else {
                    format!("seq {expected}..{} missing", seq - 1)
                };
                report.gaps.push(format!(
                    "subject {subject}: {what} (deleted, or never received)"
                ));
            }
            expected = expected.max(seq + 1);
            if nodes.len() > 1 {
                let list: Vec<String> = nodes
                    .iter()
                    .map(|n| format!("{} (line {})", n.id, n.line))
                    .collect();
                report
                    .forks
                    .push(format!("subject {subject} seq {seq}: {}", list.join(", ")));
            }
            if seq > 1 && seq - 1 == floor && !chain.contains_key(&floor) {
                // The first receipt after a purge links to a hash the
                // checkpoint names.
                for n in nodes {
                    if !floor_hashes.iter().any(|h| Some(h) == n.prev.as_ref()) {
                        report.broken_links.push(format!(
                            "subject {subject} seq {seq}: {} (line {}) links to {}, which the retention checkpoint does not name",
                            n.id,
                            n.line,
                            n.prev.as_deref().unwrap_or("nothing")
                        ));
                    }
                }
            } else if seq > 1 {
                if let Some(before) = chain.get(&(seq - 1)) {
                    for n in nodes {
                        if !before.iter().any(|b| Some(&b.hash) == n.prev.as_ref()) {
                            report.broken_links.push(format!(
                                "subject {subject} seq {seq}: {} (line {}) links to {} which no receipt at seq {} hashes to",
                                n.id,
                                n.line,
                                n.prev.as_deref().unwrap_or("nothing"),
                                seq - 1
                            ));
                        }
                    }
                }
            }
        }
    }
    report
}

/// Verifies a checkpoint line; returns (subject, highest removed seq,
/// hashes at that seq) triples.
fn checkpoint(
    cp: &Value,
    sig: Option<&Value>,
    key: &VerifyingKey,
) -> Result<Vec<(String, u64, Vec<String>)>, String> {
    let sig = sig.and_then(Value::as_str).ok_or("has no signature")?;
    let msg = format!("{}\n{}", sign::CHECKPOINT_DOMAIN, canon::canonical(cp));
    if !sign::verify(key, msg.as_bytes(), sig) {
        return Err("signature does not verify".into());
    }
    let removed = cp["removed"].as_array().ok_or("has no removed list")?;
    removed
        .iter()
        .map(
            |r| match (r["subject"].as_str(), r["throughSeq"].as_u64()) {
                (Some(s), Some(n)) => Ok((
                    s.to_string(),
                    n,
                    r["hashes"]
                        .as_array()
                        .map(|a| {
                            a.iter()
                                .filter_map(|h| h.as_str().map(str::to_string))
                                .collect()
                        })
                        .unwrap_or_default(),
                )),
                _ => Err("has a malformed removed entry".to_string()),
            },
        )
        .collect()
}

/// The `verify` command: prints the report; exit 0 when clean, 1 when
/// something is wrong, 2 when the inputs cannot be read.
pub fn main(export: &Path, key: &str) -> ExitCode {
    let key = match sign::parse_public(key) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("kelisim-collector verify: {e}");
            return ExitCode::from(2);
        }
    };
    let text = match std::fs::read_to_string(export) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("kelisim-collector verify: {}: {e}", export.display());
            return ExitCode::from(2);
        }
    };
    let report = check(&text, &key);
    print!("{}", report.render());
    if report.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
