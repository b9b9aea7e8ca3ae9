//! The receipt store: one SQLite file in WAL mode with `synchronous=FULL`,
//! so a receipt is on disk when its `201` is sent (a WAL commit with FULL
//! syncs the log before it returns, surviving power loss as well as a crash).
//!
//! Each receipt is stored once, keyed by `consentReceiptID`, as its
//! canonical form, with the SHA-256 of that form and its chain mark. Worker
//! threads take connections from a small pool. SQLite admits one writer at a
//! time, so writers queue on an in-process mutex (fair, no polling) and then
//! use `BEGIN IMMEDIATE`; every connection also waits up to [`BUSY_TIMEOUT`]
//! for a lock held by another process (`SQLITE_BUSY`).
//!
//! Chain marks (per subject, per link; see [`Mark`]) are decided when a
//! receipt arrives and revised when its missing predecessor arrives later.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::canon;
use crate::receipt::Receipt;

/// How long a connection waits for a lock before giving up with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How a receipt links to its subject's previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// seq 1, or the stored receipt with the same subject and seq − 1 hashes
    /// to this receipt's `chain.prev`.
    Ok,
    /// seq > 1 and no receipt with seq − 1 is stored for the subject (yet).
    MissingPredecessor,
    /// The predecessor's hash differs from `chain.prev`, or another receipt
    /// with the same subject and seq was stored first (a fork).
    Mismatch,
}

impl Mark {
    /// The wire name: `ok`, `missing-predecessor`, `mismatch`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Ok => "ok",
            Mark::MissingPredecessor => "missing-predecessor",
            Mark::Mismatch => "mismatch",
        }
    }

    fn parse(s: &str) -> Mark {
        match s {
            "ok" => Mark::Ok,
            "missing-predecessor" => Mark::MissingPredecessor,
            _ => Mark::Mismatch,
        }
    }
}

/// A storage failure (opening, SQL, or a busy timeout).
#[derive(Debug)]
pub struct StoreError(pub String);

impl std::fmt::Display for StoreError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for StoreError {}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        StoreError(e.to_string())
    }
}

impl From<StoreError> for io::Error {
    fn from(e: StoreError) -> Self {
        io::Error::other(e.0)
    }
}

/// The outcome of [`Store::insert`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// False when a receipt with this id was already stored (nothing changed).
    pub created: bool,
    /// The stored receipt's current mark.
    pub chain: Mark,
}

/// One stored receipt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// The receipt's canonical JSON.
    pub receipt: String,
    /// When the collector stored it (ISO 8601 UTC).
    pub received_at: String,
    /// Its chain mark.
    pub chain: Mark,
}

impl Entry {
    /// `{"receipt": {...}, "receivedAt": "...", "chain": "..."}` on one line.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"receipt\":{},\"receivedAt\":{},\"chain\":\"{}\"}}",
            self.receipt,
            serde_json::Value::String(self.received_at.clone()),
            self.chain.as_str()
        )
    }
}

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS receipts (
    n           INTEGER PRIMARY KEY,   -- arrival order
    id          TEXT NOT NULL UNIQUE,  -- consentReceiptID
    subject     TEXT NOT NULL,         -- piiPrincipalId
    seq         INTEGER NOT NULL,      -- kelisim.chain.seq
    prev        TEXT,                  -- kelisim.chain.prev
    hash        TEXT NOT NULL,         -- SHA-256 of the canonical form
    fork        INTEGER NOT NULL,      -- 1: same subject and seq as an earlier receipt
    chain       TEXT NOT NULL,         -- ok | missing-predecessor | mismatch
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL          -- canonical JSON
);
CREATE INDEX IF NOT EXISTS receipts_by_subject ON receipts (subject, seq, n);
";

/// The receipt store.
pub struct Store {
    path: PathBuf,
    pool: Mutex<Vec<Connection>>,
    writer: Mutex<()>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

/// A pooled connection, returned to the pool on drop.
struct Pooled<'a> {
    store: &'a Store,
    conn: Option<Connection>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Connection {
        self.conn.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut pool)) = (self.conn.take(), self.store.pool.lock()) {
            pool.push(conn);
        }
    }
}

impl Store {
    /// Opens (creating if needed, with its folder) the database at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir)
                .map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
        }
        let conn = connect(path)?;
        conn.execute_batch(SCHEMA)?;
        Ok(Store {
            path: path.to_path_buf(),
            pool: Mutex::new(vec![conn]),
            writer: Mutex::new(()),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn conn(&self) -> Result<Pooled<'_>, StoreError> {
        let reused = self.pool.lock().ok().and_then(|mut p| p.pop());
        let conn = match reused {
            Some(c) => c,
            None => connect(&self.path)?,
        };
        Ok(Pooled {
            store: self,
            conn: Some(conn),
        })
    }

    /// Stores a validated receipt (unless its id is already stored), decides
    /// its chain mark, and revises the mark of a successor that was waiting
    /// for it. Durable when this returns `Ok`.
    pub fn insert(&self, receipt: &Receipt, received_at: &str) -> Result<Stored, StoreError> {
        let body = canon::canonical(&receipt.value);
        let hash = canon::sha256_hex(body.as_bytes());
        let seq = i64::try_from(receipt.seq).map_err(|_| StoreError("seq out of range".into()))?;
        let mut conn = self.conn()?;
        // A poisoned lock only means another insert panicked; the database
        // rolled that transaction back, so carry on.
        let _writing = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;

        let existing: Option<String> = tx
            .query_row(
                "SELECT chain FROM receipts WHERE id = ?1",
                [&receipt.id],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(chain) = existing {
            return Ok(Stored {
                created: false,
                chain: Mark::parse(&chain),
            });
        }

        let hash_at = |seq: i64| -> rusqlite::Result<Option<String>> {
            tx.query_row(
                "SELECT hash FROM receipts WHERE subject = ?1 AND seq = ?2 AND fork = 0",
                params![receipt.subject, seq],
                |r| r.get(0),
            )
            .optional()
        };
        let fork = hash_at(seq)?.is_some();
        let mark = if fork {
            Mark::Mismatch
        } else if seq == 1 {
            Mark::Ok
        } else {
            match hash_at(seq - 1)? {
                None => Mark::MissingPredecessor,
                Some(h) if Some(&h) == receipt.prev.as_ref() => Mark::Ok,
                Some(_) => Mark::Mismatch,
            }
        };

        tx.execute(
            "INSERT INTO receipts (id, subject, seq, prev, hash, fork, chain, received_at, body)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                receipt.id,
                receipt.subject,
                seq,
                receipt.prev,
                hash,
                fork,
                mark.as_str(),
                received_at,
                body
            ],
        )?;
        if !fork {
            // A successor stored before this receipt can now be checked.
            tx.execute(
                "UPDATE receipts
                 SET chain = CASE WHEN prev = ?1 THEN 'ok' ELSE 'mismatch' END
                 WHERE subject = ?2 AND seq = ?3 AND fork = 0 AND chain = 'missing-predecessor'",
                params![hash, receipt.subject, seq + 1],
            )?;
        }
        tx.commit()?;
        Ok(Stored {
            created: true,
            chain: mark,
        })
    }

    /// One receipt by `consentReceiptID`.
    pub fn get(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        let conn = self.conn()?;
        let entry = conn
            .query_row(
                "SELECT body, received_at, chain FROM receipts WHERE id = ?1",
                [id],
                entry_from_row,
            )
            .optional()?;
        Ok(entry)
    }

    /// A subject's receipts by seq (then arrival).
    pub fn by_subject(&self, subject: &str) -> Result<Vec<Entry>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT body, received_at, chain FROM receipts WHERE subject = ?1 ORDER BY seq, n",
        )?;
        let rows = stmt.query_map([subject], entry_from_row)?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }

    /// How many receipts are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        let conn = self.conn()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Stored receipts in arrival order after arrival number `after`, at most
    /// `limit`; each with its arrival number.
    fn page(&self, after: i64, limit: i64) -> Result<Vec<(i64, Entry)>, StoreError> {
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT n, body, received_at, chain FROM receipts WHERE n > ?1 ORDER BY n LIMIT ?2",
        )?;
        let rows = stmt.query_map([after, limit], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                Entry {
                    receipt: r.get(1)?,
                    received_at: r.get(2)?,
                    chain: Mark::parse(&r.get::<_, String>(3)?),
                },
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            out.push(row?);
        }
        Ok(out)
    }

    /// Every stored receipt as NDJSON ([`Entry::to_json`] per line), read
    /// from the database page by page as the reader is consumed.
    pub fn export(self: &Arc<Self>) -> Export {
        Export {
            store: Arc::clone(self),
            after: 0,
            buf: Vec::new(),
            pos: 0,
            done: false,
        }
    }
}

fn connect(path: &Path) -> Result<Connection, StoreError> {
    let conn =
        Connection::open(path).map_err(|e| StoreError(format!("{}: {e}", path.display())))?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // WAL: readers do not block the writer. FULL: the log is synced at each
    // commit, so a stored receipt survives a crash or power loss.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError(format!(
            "{}: could not switch to WAL (journal_mode is {mode})",
            path.display()
        )));
    }
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    Ok(conn)
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        receipt: r.get(0)?,
        received_at: r.get(1)?,
        chain: Mark::parse(&r.get::<_, String>(2)?),
    })
}

/// Rows per database read while exporting.
const EXPORT_PAGE: i64 = 256;

/// A streaming NDJSON export (see [`Store::export`]).
pub struct Export {
    store: Arc<Store>,
    after: i64,
    buf: Vec<u8>,
    pos: usize,
    done: bool,
}

impl Read for Export {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        while self.pos == self.buf.len() {
            if self.done {
                return Ok(0);
            }
            let page = self.store.page(self.after, EXPORT_PAGE)?;
            self.done = (page.len() as i64) < EXPORT_PAGE;
            self.buf.clear();
            self.pos = 0;
            for (n, entry) in page {
                self.after = n;
                self.buf.extend_from_slice(entry.to_json().as_bytes());
                self.buf.push(b'\n');
            }
        }
        let n = out.len().min(self.buf.len() - self.pos);
        out[..n].copy_from_slice(&self.buf[self.pos..self.pos + n]);
        self.pos += n;
        Ok(n)
    }
}
