//! The receipt store: one SQLite file in WAL mode with `synchronous=FULL`,
//! so a receipt is on disk when its `201` is sent (a WAL commit with FULL
//! syncs the log before it returns, surviving power loss as well as a crash).
//!
//! Each receipt is stored once, keyed by `consentReceiptID`, as its
//! canonical form, with the SHA-256 of that form and its chain mark.
//!
//! Writes: one writer thread owns the only writing connection. Requests hand
//! it their receipt ([`Store::insert`]) and wait; it takes everything that
//! is waiting (up to [`MAX_BATCH`]), stores it in one transaction, commits,
//! and only then answers each request (group commit: one sync for many
//! receipts, and nobody is told "stored" before the commit). Reads use a
//! small pool of other connections and never block the writer (WAL).
//!
//! Chain marks (per subject, per link; see [`Mark`]) are decided when a
//! receipt arrives and revised when its missing predecessor arrives later.

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use bytes::Bytes;
use rusqlite::{params, Connection, OptionalExtension, TransactionBehavior};

use crate::canon;
use crate::receipt::Receipt;

/// How long a connection waits for a lock before giving up with `SQLITE_BUSY`.
pub const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// Most receipts committed in one transaction.
pub const MAX_BATCH: usize = 512;
/// Receipts waiting for the writer before new ones are refused (503).
pub const QUEUE: usize = 8192;

/// How a receipt links to its subject's previous one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// seq 1, or a stored receipt with the same subject and seq − 1 hashes
    /// to this receipt's `chain.prev`.
    Ok,
    /// seq > 1 and no receipt with seq − 1 is stored for the subject (yet).
    MissingPredecessor,
    /// No stored receipt at seq − 1 hashes to `chain.prev`.
    Mismatch,
    /// Another receipt with the same subject and seq was stored first. The
    /// first one keeps its own mark: a second receipt never demotes it.
    Fork,
}

impl Mark {
    /// The mark of a new receipt at `seq` whose `chain.prev` is `prev`, given
    /// `hashes_at(seq)`, the hashes its subject already has stored at a seq
    /// (both backends call it inside their write transaction).
    pub(crate) fn decide<E>(
        seq: i64,
        prev: Option<&str>,
        mut hashes_at: impl FnMut(i64) -> Result<Vec<String>, E>,
    ) -> Result<Mark, E> {
        if !hashes_at(seq)?.is_empty() {
            return Ok(Mark::Fork);
        }
        if seq == 1 {
            return Ok(Mark::Ok);
        }
        let before = hashes_at(seq - 1)?;
        Ok(if before.is_empty() {
            Mark::MissingPredecessor
        } else if before.iter().any(|h| Some(h.as_str()) == prev) {
            Mark::Ok
        } else {
            Mark::Mismatch
        })
    }
}

impl Mark {
    /// The wire name: `ok`, `missing-predecessor`, `mismatch`, `fork`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mark::Ok => "ok",
            Mark::MissingPredecessor => "missing-predecessor",
            Mark::Mismatch => "mismatch",
            Mark::Fork => "fork",
        }
    }

    /// The mark with this wire name (unknown names read as `mismatch`).
    pub fn parse(s: &str) -> Mark {
        match s {
            "ok" => Mark::Ok,
            "missing-predecessor" => Mark::MissingPredecessor,
            "fork" => Mark::Fork,
            _ => Mark::Mismatch,
        }
    }
}

/// A storage failure (opening, SQL, a busy timeout, or the writer stopped).
#[derive(Clone, Debug)]
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

impl From<StoreError> for std::io::Error {
    fn from(e: StoreError) -> Self {
        std::io::Error::other(e.0)
    }
}

/// The outcome of [`Store::insert`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// False when a receipt with this id was already stored (nothing changed).
    pub created: bool,
    /// The stored receipt's mark when it was stored.
    pub chain: Mark,
    /// SHA-256 (hex) of its canonical form.
    pub hash: String,
    /// When the collector stored it (ISO 8601 UTC).
    pub received_at: String,
    /// The collector's countersignature (hex), if the row has one.
    pub signature: Option<String>,
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
    /// SHA-256 (hex) of the canonical form.
    pub hash: String,
    /// The collector's countersignature (hex), if the row has one.
    pub signature: Option<String>,
}

impl Entry {
    /// `{"receipt": {...}, "receivedAt": "...", "chain": "...", "hash": "...",
    /// "signature": "..." | null}` on one line.
    pub fn to_json(&self) -> String {
        format!(
            "{{\"receipt\":{},\"receivedAt\":{},\"chain\":\"{}\",\"hash\":\"{}\",\"signature\":{}}}",
            self.receipt,
            serde_json::Value::String(self.received_at.clone()),
            self.chain.as_str(),
            self.hash,
            self.signature
                .as_ref()
                .map_or("null".to_string(), |s| format!("\"{s}\""))
        )
    }
}

/// Versioned migrations; `PRAGMA user_version` is the number applied.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE IF NOT EXISTS receipts (
    n           INTEGER PRIMARY KEY,   -- arrival order
    id          TEXT NOT NULL UNIQUE,  -- consentReceiptID
    subject     TEXT NOT NULL,         -- piiPrincipalId
    seq         INTEGER NOT NULL,      -- kelisim.chain.seq
    prev        TEXT,                  -- kelisim.chain.prev
    hash        TEXT NOT NULL,         -- SHA-256 of the canonical form
    fork        INTEGER NOT NULL,      -- 1: same subject and seq as an earlier receipt
    chain       TEXT NOT NULL,         -- ok | missing-predecessor | mismatch | fork
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL          -- canonical JSON
);
CREATE INDEX IF NOT EXISTS receipts_by_subject ON receipts (subject, seq, n);
",
    "
-- Ed25519 countersignature (hex) over crate::sign::message(); NULL for rows
-- stored before signing existed.
ALTER TABLE receipts ADD COLUMN signature TEXT;
",
    "
-- Signed records of what retention removed (crate::sign::CHECKPOINT_DOMAIN).
CREATE TABLE IF NOT EXISTS checkpoints (
    n          INTEGER PRIMARY KEY,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL,          -- canonical JSON
    signature  TEXT NOT NULL
);
",
];

/// A receipt handed to the writer: everything but the database work is
/// already done (canonical form, hash, receipt time and countersignature are
/// computed on the request's own task, in parallel with other requests), so
/// the single writer does only SQL.
pub(crate) struct Job {
    pub(crate) receipt: Receipt,
    pub(crate) body: String,
    pub(crate) hash: String,
    /// When the collector accepted it for storage (ISO 8601 UTC).
    pub(crate) received_at: String,
    /// The countersignature over [`crate::sign::message`] of the above.
    pub(crate) signature: String,
    reply: tokio::sync::oneshot::Sender<Result<Stored, StoreError>>,
}

/// Whether `--db` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres(db: &Path) -> bool {
    db.to_str()
        .is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// The database behind the store.
enum Backend {
    Sqlite(Mutex<Vec<Connection>>),
    Postgres(crate::pg::Pool),
}

/// The writer's connection.
enum WriterConn {
    Sqlite(Connection),
    Postgres(postgres::Client),
}

/// The receipt store.
pub struct Store {
    path: PathBuf,
    backend: Backend,
    sender: Mutex<Option<mpsc::SyncSender<Job>>>,
    writer: Mutex<Option<thread::JoinHandle<()>>>,
    metrics: Arc<crate::metrics::Metrics>,
    signer: Arc<crate::sign::Signer>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.backend {
            // The URL may carry a password.
            Backend::Postgres(_) => f.write_str("Store(PostgreSQL)"),
            Backend::Sqlite(_) => f.debug_struct("Store").field("path", &self.path).finish(),
        }
    }
}

/// A pooled connection, returned to the pool on drop.
struct Pooled<'a> {
    pool: &'a Mutex<Vec<Connection>>,
    conn: Option<Connection>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        self.conn.as_ref().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut pool)) = (self.conn.take(), self.pool.lock()) {
            if pool.len() < 8 {
                pool.push(conn);
            }
        }
    }
}

impl Store {
    /// Opens (creating if needed, with its folder) the database at `path`,
    /// runs the migrations and starts the writer thread.
    pub fn open(path: &Path, signer: Arc<crate::sign::Signer>) -> Result<Store, StoreError> {
        let (writer_conn, backend) = if is_postgres(path) {
            let url = path.to_str().unwrap_or_default();
            let mut client = crate::pg::connect(url)?;
            crate::pg::migrate(&mut client)?;
            (
                WriterConn::Postgres(client),
                Backend::Postgres(crate::pg::Pool::new(url)),
            )
        } else {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError(format!("{}: {e}", dir.display())))?;
            }
            let mut conn = connect(path)?;
            migrate(&mut conn)?;
            (
                WriterConn::Sqlite(conn),
                Backend::Sqlite(Mutex::new(Vec::new())),
            )
        };
        let (tx, rx) = mpsc::sync_channel::<Job>(QUEUE);
        let metrics = Arc::new(crate::metrics::Metrics::default());
        let writer_metrics = Arc::clone(&metrics);
        let writer = thread::Builder::new()
            .name("collector-writer".into())
            .spawn(move || writer_loop(writer_conn, rx, writer_metrics))
            .map_err(|e| StoreError(format!("writer thread: {e}")))?;
        Ok(Store {
            path: path.to_path_buf(),
            backend,
            sender: Mutex::new(Some(tx)),
            writer: Mutex::new(Some(writer)),
            metrics,
            signer,
        })
    }

    /// The metrics this store records into (batch sizes, receipts, marks).
    pub fn metrics(&self) -> Arc<crate::metrics::Metrics> {
        Arc::clone(&self.metrics)
    }

    /// Ready to store: the writer runs and the database answers.
    pub fn ready(&self) -> Result<(), StoreError> {
        let running = self
            .writer
            .lock()
            .map(|w| w.as_ref().is_some_and(|h| !h.is_finished()))
            .unwrap_or(false);
        if !running {
            return Err(StoreError("the writer has stopped".into()));
        }
        self.ping()
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        // (A postgres:// URL for PostgreSQL; never logged.)
        &self.path
    }

    fn conn(&self) -> Result<Pooled<'_>, StoreError> {
        let Backend::Sqlite(pool) = &self.backend else {
            return Err(StoreError("not a SQLite store".into()));
        };
        let reused = pool.lock().ok().and_then(|mut p| p.pop());
        let conn = match reused {
            Some(c) => c,
            None => connect(&self.path)?,
        };
        Ok(Pooled {
            pool,
            conn: Some(conn),
        })
    }

    /// Stores a validated receipt (unless its id is already stored), decides
    /// its chain mark, and revises the marks of successors waiting for it.
    /// Durable (committed with `synchronous=FULL`) when this returns `Ok`.
    ///
    /// The canonical form, its hash, the receipt time and the
    /// countersignature are computed here, on the caller's task (requests
    /// run in parallel on every runtime worker); the writer thread then only
    /// runs the SQL. A receipt whose id is already stored keeps its first
    /// row: the signature computed here is then dropped unused.
    pub async fn insert(&self, receipt: Receipt) -> Result<Stored, StoreError> {
        let body = canon::canonical(&receipt.value);
        let hash = canon::sha256_hex(body.as_bytes());
        let received_at = kelisim_core::time::to_iso(now_ms());
        let signature = self.signer.sign(&crate::sign::message(
            &hash,
            &received_at,
            &receipt.subject,
            receipt.seq,
            receipt.prev.as_deref(),
        ));
        let (reply, answer) = tokio::sync::oneshot::channel();
        let job = Job {
            receipt,
            body,
            hash,
            received_at,
            signature,
            reply,
        };
        {
            let sender = self.sender.lock().unwrap_or_else(|e| e.into_inner());
            let Some(sender) = sender.as_ref() else {
                return Err(StoreError("the store is shutting down".into()));
            };
            match sender.try_send(job) {
                Ok(()) => {}
                Err(mpsc::TrySendError::Full(_)) => {
                    return Err(StoreError(
                        "busy: too many receipts waiting to be stored".into(),
                    ))
                }
                Err(mpsc::TrySendError::Disconnected(_)) => {
                    return Err(StoreError("the writer has stopped".into()))
                }
            }
        }
        answer
            .await
            .unwrap_or_else(|_| Err(StoreError("the writer has stopped".into())))
    }

    /// Stops taking receipts, lets the writer commit and answer everything
    /// already handed to it, and waits for it.
    pub fn close(&self) {
        drop(self.sender.lock().unwrap_or_else(|e| e.into_inner()).take());
        let handle = self.writer.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(h) = handle {
            let _ = h.join();
        }
    }

    /// One receipt by `consentReceiptID`.
    pub fn get(&self, id: &str) -> Result<Option<Entry>, StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            return crate::pg::get(&mut *pool.client()?, id);
        }
        let conn = self.conn()?;
        let entry = conn
            .query_row(
                "SELECT body, received_at, chain, hash, signature FROM receipts WHERE id = ?1",
                [id],
                entry_from_row,
            )
            .optional()?;
        Ok(entry)
    }

    /// A subject's receipts by seq (then arrival), all at once.
    pub fn by_subject(&self, subject: &str) -> Result<Vec<Entry>, StoreError> {
        let mut out = Vec::new();
        let mut after = (0i64, 0i64);
        loop {
            let page = self.subject_page(subject, after, PAGE)?;
            let done = (page.len() as i64) < PAGE;
            for (key, e) in page {
                after = key;
                out.push(e);
            }
            if done {
                return Ok(out);
            }
        }
    }

    /// How many receipts are stored.
    pub fn count(&self) -> Result<u64, StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            return crate::pg::count(&mut *pool.client()?);
        }
        let conn = self.conn()?;
        let n: i64 = conn.query_row("SELECT count(*) FROM receipts", [], |r| r.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Whether the database answers a query.
    pub fn ping(&self) -> Result<(), StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            return crate::pg::ping(&mut *pool.client()?);
        }
        let conn = self.conn()?;
        conn.query_row("SELECT 1 FROM receipts LIMIT 1", [], |_| Ok(()))
            .optional()?;
        Ok(())
    }

    /// A subject's receipts after `(seq, n)` in (seq, arrival) order.
    fn subject_page(
        &self,
        subject: &str,
        after: (i64, i64),
        limit: i64,
    ) -> Result<Vec<((i64, i64), Entry)>, StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            return crate::pg::subject_page(&mut *pool.client()?, subject, after, limit);
        }
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT body, received_at, chain, hash, signature, seq, n FROM receipts
             WHERE subject = ?1 AND (seq > ?2 OR (seq = ?2 AND n > ?3))
             ORDER BY seq, n LIMIT ?4",
        )?;
        let rows = stmt.query_map(params![subject, after.0, after.1, limit], |r| {
            Ok(((r.get(5)?, r.get(6)?), entry_from_row(r)?))
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stored receipts in arrival order after arrival number `after`.
    fn export_page(&self, after: i64, limit: i64) -> Result<Vec<(i64, Entry)>, StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            return crate::pg::export_page(&mut *pool.client()?, after, limit);
        }
        let conn = self.conn()?;
        let mut stmt = conn.prepare_cached(
            "SELECT body, received_at, chain, hash, signature, n FROM receipts WHERE n > ?1 ORDER BY n LIMIT ?2",
        )?;
        let rows = stmt.query_map([after, limit], |r| Ok((r.get(5)?, entry_from_row(r)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Every retention checkpoint, as export lines
    /// `{"checkpoint": {...}, "signature": "..."}`.
    pub fn checkpoint_lines(&self) -> Result<Vec<String>, StoreError> {
        let pairs: Vec<(String, String)> = if let Backend::Postgres(pool) = &self.backend {
            crate::pg::checkpoints(&mut *pool.client()?)?
        } else {
            let conn = self.conn()?;
            let mut stmt =
                conn.prepare_cached("SELECT body, signature FROM checkpoints ORDER BY n")?;
            let rows =
                stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
            rows.collect::<Result<_, _>>()?
        };
        Ok(pairs
            .into_iter()
            .map(|(body, sig)| format!("{{\"checkpoint\":{body},\"signature\":\"{sig}\"}}"))
            .collect())
    }

    /// Removes, for each subject, the oldest part of its chain received
    /// before `cutoff` (ISO 8601): seq 1 up to the highest seq whose
    /// receipts, and all before it, are older than the cutoff. Writes a
    /// signed checkpoint of what it removed, in the same transaction.
    /// `Ok(None)`: nothing was old enough. On PostgreSQL one collector at a
    /// time purges (the others skip that round), holding each purged
    /// subject's lock, as writers do.
    pub fn purge_before(&self, cutoff: &str) -> Result<Option<serde_json::Value>, StoreError> {
        if let Backend::Postgres(pool) = &self.backend {
            let purged = crate::pg::purge_before(&mut *pool.client()?, cutoff, |removed| {
                self.checkpoint(cutoff, removed)
            })?;
            if let Some((_, total)) = &purged {
                self.metrics.purged(u64::try_from(*total).unwrap_or(0));
            }
            return Ok(purged.map(|(body, _)| body));
        }
        let mut conn = connect(&self.path)?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let rows: Vec<(String, i64, String, bool)> = {
            let mut stmt = tx.prepare(
                "SELECT subject, seq, hash, received_at < ?1 FROM receipts
                 WHERE subject IN (SELECT DISTINCT subject FROM receipts WHERE received_at < ?1)
                 ORDER BY subject, seq",
            )?;
            let rows = stmt.query_map([cutoff], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })?;
            rows.collect::<Result<_, _>>()?
        };
        let removed = purge_plan(&rows);
        if removed.is_empty() {
            return Ok(None);
        }
        for r in &removed {
            tx.execute(
                "DELETE FROM receipts WHERE subject = ?1 AND seq <= ?2",
                params![r.subject, r.through],
            )?;
        }
        let (body, text, signature, total) = self.checkpoint(cutoff, &removed);
        tx.execute(
            "INSERT INTO checkpoints (created_at, body, signature) VALUES (?1, ?2, ?3)",
            params![body["createdAt"].as_str(), text, signature],
        )?;
        tx.commit()?;
        self.metrics.purged(u64::try_from(total).unwrap_or(0));
        Ok(Some(body))
    }

    /// The signed checkpoint of a purge: its body, the body's canonical text,
    /// the signature, and how many receipts it removed.
    fn checkpoint(
        &self,
        cutoff: &str,
        removed: &[Purged],
    ) -> (serde_json::Value, String, String, i64) {
        let total: i64 = removed.iter().map(|r| r.count).sum();
        let body = serde_json::json!({
            "createdAt": kelisim_core::time::to_iso(now_ms()),
            "cutoff": cutoff,
            "receipts": total,
            "removed": removed.iter().map(|r| serde_json::json!({
                "subject": r.subject, "throughSeq": r.through, "count": r.count, "hashes": r.hashes,
            })).collect::<Vec<_>>(),
        });
        let text = canon::canonical(&body);
        let signature = self
            .signer
            .sign(format!("{}\n{text}", crate::sign::CHECKPOINT_DOMAIN).as_bytes());
        (body, text, signature, total)
    }

    /// Every stored receipt as NDJSON ([`Entry::to_json`] per line), after
    /// the retention checkpoints, read page by page as the client takes it
    /// (never the whole answer in memory).
    pub fn export(self: &Arc<Self>) -> Pages {
        let store = Arc::clone(self);
        let first = Arc::clone(self);
        let mut after = 0i64;
        stream_pages_after(
            Framing::Lines,
            Some(Box::new(move || first.checkpoint_lines())),
            move || {
                let page = store.export_page(after, PAGE)?;
                if let Some((n, _)) = page.last() {
                    after = *n;
                }
                Ok(page.into_iter().map(|(_, e)| e).collect())
            },
        )
    }

    /// `{"receipts":[entry, ...]}` for a subject, streamed like [`Store::export`].
    pub fn subject_json(self: &Arc<Self>, subject: String) -> Pages {
        let store = Arc::clone(self);
        let mut after = (0i64, 0i64);
        stream_pages(Framing::ReceiptsObject, move || {
            let page = store.subject_page(&subject, after, PAGE)?;
            if let Some((k, _)) = page.last() {
                after = *k;
            }
            Ok(page.into_iter().map(|(_, e)| e).collect())
        })
    }
}

impl Drop for Store {
    fn drop(&mut self) {
        self.close();
    }
}

/// Rows per database read while streaming.
const PAGE: i64 = 128;

/// How streamed entries are framed.
enum Framing {
    /// One entry per line (NDJSON).
    Lines,
    /// `{"receipts":[e1,e2,...]}`.
    ReceiptsObject,
}

/// Chunks of a streamed answer; an `Err` aborts the answer.
pub type Pages = tokio::sync::mpsc::Receiver<Result<Bytes, std::io::Error>>;

/// Runs `next_page` on a blocking thread until it returns fewer than
/// [`PAGE`] entries, sending each page as one chunk. The channel holds two
/// chunks: a client that reads slowly holds the producer back, and one that
/// goes away stops it.
fn stream_pages<F>(framing: Framing, next_page: F) -> Pages
where
    F: FnMut() -> Result<Vec<Entry>, StoreError> + Send + 'static,
{
    stream_pages_after(framing, None, next_page)
}

/// Lines sent before the entries (each followed by a newline).
type Prologue = Box<dyn FnOnce() -> Result<Vec<String>, StoreError> + Send>;

/// [`stream_pages`] after the lines `prologue` gives.
fn stream_pages_after<F>(framing: Framing, prologue: Option<Prologue>, mut next_page: F) -> Pages
where
    F: FnMut() -> Result<Vec<Entry>, StoreError> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(2);
    tokio::task::spawn_blocking(move || {
        if let Some(prologue) = prologue {
            match prologue() {
                Ok(lines) if !lines.is_empty() => {
                    let mut chunk = lines.join("\n");
                    chunk.push('\n');
                    if tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                        return;
                    }
                }
                Ok(_) => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.into()));
                    return;
                }
            }
        }
        let mut first = true;
        if let Framing::ReceiptsObject = framing {
            if tx
                .blocking_send(Ok(Bytes::from_static(b"{\"receipts\":[")))
                .is_err()
            {
                return;
            }
        }
        loop {
            let page = match next_page() {
                Ok(p) => p,
                Err(e) => {
                    let _ = tx.blocking_send(Err(e.into()));
                    return;
                }
            };
            let done = (page.len() as i64) < PAGE;
            let mut chunk = Vec::with_capacity(page.len() * 1024);
            for e in &page {
                match framing {
                    Framing::Lines => {
                        chunk.extend_from_slice(e.to_json().as_bytes());
                        chunk.push(b'\n');
                    }
                    Framing::ReceiptsObject => {
                        if !first {
                            chunk.push(b',');
                        }
                        chunk.extend_from_slice(e.to_json().as_bytes());
                    }
                }
                first = false;
            }
            if done {
                if let Framing::ReceiptsObject = framing {
                    chunk.extend_from_slice(b"]}");
                }
            }
            if !chunk.is_empty() && tx.blocking_send(Ok(Bytes::from(chunk))).is_err() {
                return;
            }
            if done {
                return;
            }
        }
    });
    rx
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

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let version = usize::try_from(version).unwrap_or(0);
    if version > MIGRATIONS.len() {
        return Err(StoreError(format!(
            "database schema version {version} is newer than this collector knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
        tx.execute_batch(sql)?;
        tx.execute_batch(&format!("PRAGMA user_version = {}", i + 1))?;
    }
    tx.commit()?;
    Ok(())
}

pub(crate) fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        receipt: r.get(0)?,
        received_at: r.get(1)?,
        chain: Mark::parse(&r.get::<_, String>(2)?),
        hash: r.get(3)?,
        signature: r.get(4)?,
    })
}

fn writer_loop(
    mut conn: WriterConn,
    rx: mpsc::Receiver<Job>,
    metrics: Arc<crate::metrics::Metrics>,
) {
    while let Ok(first) = rx.recv() {
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let result = match &mut conn {
            WriterConn::Sqlite(c) => store_batch(c, &batch),
            WriterConn::Postgres(c) => crate::pg::store_batch(c, &batch),
        };
        match result {
            Ok(outcomes) => {
                metrics.batch.observe(batch.len() as f64);
                for (job, outcome) in batch.into_iter().zip(outcomes) {
                    metrics.receipt(outcome.created, outcome.chain);
                    let _ = job.reply.send(Ok(outcome));
                }
            }
            Err(e) => {
                tracing::error!(error = %e, receipts = batch.len(), "storing a batch failed");
                for job in batch {
                    let _ = job.reply.send(Err(e.clone()));
                }
            }
        }
    }
}

/// Stores a batch in one transaction; nothing is visible (or answered)
/// until it commits.
fn store_batch(conn: &mut Connection, batch: &[Job]) -> Result<Vec<Stored>, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        out.push(store_one(&tx, job)?);
    }
    tx.commit()?;
    Ok(out)
}

fn store_one(tx: &rusqlite::Transaction<'_>, job: &Job) -> Result<Stored, StoreError> {
    let r = &job.receipt;
    let seq = i64::try_from(r.seq).map_err(|_| StoreError("seq out of range".into()))?;
    let existing = tx
        .prepare_cached("SELECT chain, hash, received_at, signature FROM receipts WHERE id = ?1")?
        .query_row([&r.id], |row| {
            Ok((
                row.get::<_, String>(0)?,
                row.get(1)?,
                row.get(2)?,
                row.get(3)?,
            ))
        })
        .optional()?;
    if let Some((chain, hash, received_at, signature)) = existing {
        return Ok(Stored {
            created: false,
            chain: Mark::parse(&chain),
            hash,
            received_at,
            signature,
        });
    }
    let hashes_at = |seq: i64| -> Result<Vec<String>, StoreError> {
        let mut stmt =
            tx.prepare_cached("SELECT hash FROM receipts WHERE subject = ?1 AND seq = ?2")?;
        let rows = stmt.query_map(params![r.subject, seq], |row| row.get(0))?;
        Ok(rows.collect::<Result<_, _>>()?)
    };
    let mark = Mark::decide(seq, r.prev.as_deref(), hashes_at)?;
    let fork = mark == Mark::Fork;
    tx.prepare_cached(
        "INSERT INTO receipts (id, subject, seq, prev, hash, fork, chain, received_at, body, signature)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?
    .execute(params![
        r.id,
        r.subject,
        seq,
        r.prev,
        job.hash,
        fork,
        mark.as_str(),
        job.received_at,
        job.body,
        job.signature
    ])?;
    // Successors stored before this receipt can now be checked: one that
    // links here is ok (whether it was waiting or marked mismatch); one that
    // was waiting for any predecessor and links elsewhere is a mismatch.
    // (One statement: `prev = ?3` is false for a NULL prev.)
    tx.prepare_cached(
        "UPDATE receipts
            SET chain = CASE WHEN prev IS NOT NULL AND prev = ?3 THEN 'ok' ELSE 'mismatch' END
          WHERE subject = ?1 AND seq = ?2 AND fork = 0
            AND (chain = 'missing-predecessor' OR (chain = 'mismatch' AND prev = ?3))",
    )?
    .execute(params![r.subject, seq + 1, job.hash])?;
    Ok(Stored {
        created: true,
        chain: mark,
        hash: job.hash.clone(),
        received_at: job.received_at.clone(),
        signature: Some(job.signature.clone()),
    })
}

/// Milliseconds since the Unix epoch, now.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
}

/// What a purge removes of one subject's chain.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Purged {
    pub subject: String,
    /// Every receipt with `seq <= through` goes.
    pub through: i64,
    pub count: i64,
    /// The hashes at `through` (sorted): the links the first kept receipt may point to.
    pub hashes: Vec<String>,
}

/// Which part of each chain a purge removes, from `(subject, seq, hash, old)`
/// rows ordered by subject and seq: for each subject, seq 1 up to the highest
/// seq at which it and every seq before it hold only old receipts.
pub(crate) fn purge_plan(rows: &[(String, i64, String, bool)]) -> Vec<Purged> {
    let mut removed = Vec::new();
    let mut i = 0;
    while i < rows.len() {
        let subject = &rows[i].0;
        let mut j = i;
        while j < rows.len() && &rows[j].0 == subject {
            j += 1;
        }
        let group = &rows[i..j];
        // Walk seq by seq while every receipt at it is old.
        let mut through: Option<i64> = None;
        let mut k = 0;
        while k < group.len() {
            let seq = group[k].1;
            let mut m = k;
            while m < group.len() && group[m].1 == seq {
                m += 1;
            }
            if group[k..m].iter().all(|r| r.3) {
                through = Some(seq);
                k = m;
            } else {
                break;
            }
        }
        if let Some(t) = through {
            let count = group.iter().filter(|r| r.1 <= t).count() as i64;
            let mut hashes: Vec<String> = group
                .iter()
                .filter(|r| r.1 == t)
                .map(|r| r.2.clone())
                .collect();
            hashes.sort();
            removed.push(Purged {
                subject: subject.clone(),
                through: t,
                count,
                hashes,
            });
        }
        i = j;
    }
    removed
}
