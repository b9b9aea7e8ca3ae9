//! The PostgreSQL backend of [`crate::store`], for several collectors behind
//! a load balancer sharing one database (`--db postgres://…`).
//!
//! Same guarantees as SQLite: one writer thread per collector commits
//! receipts in groups and answers only after `COMMIT` returns
//! (`synchronous_commit` as the server sets it; on by default); a receipt
//! is stored once per `consentReceiptID` (`UNIQUE`, and a lookup inside the
//! transaction); chain marks are decided while holding a transaction-scoped
//! advisory lock per subject (`pg_advisory_xact_lock`, taken in sorted
//! order so two collectors never deadlock), so concurrent writers on
//! different collectors see each other's receipts for the same subject.
//! Migrations are versioned in `kelisim_migrations` and run at start under
//! a session advisory lock, so collectors starting together apply each once.

use std::sync::Mutex;

use postgres::{Client, NoTls};

use crate::store::{purge_plan, Entry, Job, Mark, Purged, StoreError, Stored};

/// Versioned migrations.
const MIGRATIONS: &[&str] = &[
    "
CREATE TABLE receipts (
    n           BIGSERIAL PRIMARY KEY,  -- arrival order
    id          TEXT NOT NULL UNIQUE,   -- consentReceiptID
    subject     TEXT NOT NULL,          -- piiPrincipalId
    seq         BIGINT NOT NULL,        -- kelisim.chain.seq
    prev        TEXT,                   -- kelisim.chain.prev
    hash        TEXT NOT NULL,          -- SHA-256 of the canonical form
    fork        BOOLEAN NOT NULL,       -- same subject and seq as an earlier receipt
    chain       TEXT NOT NULL,          -- ok | missing-predecessor | mismatch | fork
    received_at TEXT NOT NULL,
    body        TEXT NOT NULL,          -- canonical JSON
    signature   TEXT                    -- Ed25519 countersignature (hex)
);
CREATE INDEX receipts_by_subject ON receipts (subject, seq, n);
",
    "
-- Signed records of what retention removed (crate::sign::CHECKPOINT_DOMAIN).
CREATE TABLE checkpoints (
    n          BIGSERIAL PRIMARY KEY,
    created_at TEXT NOT NULL,
    body       TEXT NOT NULL,   -- canonical JSON
    signature  TEXT NOT NULL    -- Ed25519 (hex)
);
",
];

/// Key of the transaction advisory lock a purge holds: one collector purges at a time.
const PURGE_LOCK: i64 = 0x6b65_6c69_7075_7267; // "kelipurg"

/// Key of the session advisory lock held while migrating.
const MIGRATION_LOCK: i64 = 0x6b656c6973696d; // "kelisim"

fn err(e: postgres::Error) -> StoreError {
    StoreError(format!("PostgreSQL: {e}"))
}

/// Connects (without TLS: run the collector beside the database or through
/// a private network).
pub fn connect(url: &str) -> Result<Client, StoreError> {
    Client::connect(url, NoTls).map_err(err)
}

/// Applies the migrations not yet applied.
pub fn migrate(client: &mut Client) -> Result<(), StoreError> {
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(err)?;
    let result = (|| {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS kelisim_migrations (
                    version INTEGER PRIMARY KEY,
                    applied_at TIMESTAMPTZ NOT NULL DEFAULT now())",
            )
            .map_err(err)?;
        let done: i32 = client
            .query_one(
                "SELECT coalesce(max(version), 0) FROM kelisim_migrations",
                &[],
            )
            .map_err(err)?
            .get(0);
        let done = usize::try_from(done).unwrap_or(0);
        if done > MIGRATIONS.len() {
            return Err(StoreError(format!(
                "database schema version {done} is newer than this collector knows ({})",
                MIGRATIONS.len()
            )));
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(done) {
            let mut tx = client.transaction().map_err(err)?;
            tx.batch_execute(sql).map_err(err)?;
            let v = i32::try_from(i + 1).unwrap_or(i32::MAX);
            tx.execute(
                "INSERT INTO kelisim_migrations (version) VALUES ($1)",
                &[&v],
            )
            .map_err(err)?;
            tx.commit().map_err(err)?;
        }
        Ok(())
    })();
    let _ = client.execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK]);
    result
}

/// Reader connections.
pub struct Pool {
    url: String,
    clients: Mutex<Vec<Client>>,
}

/// A pooled client, returned on drop (unless it broke).
pub struct Pooled<'a> {
    pool: &'a Pool,
    client: Option<Client>,
}

impl std::ops::Deref for Pooled<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("present until drop")
    }
}

impl std::ops::DerefMut for Pooled<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("present until drop")
    }
}

impl Drop for Pooled<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take().filter(|c| !c.is_closed()) {
            if let Ok(mut v) = self.pool.clients.lock() {
                if v.len() < 8 {
                    v.push(c);
                }
            }
        }
    }
}

impl Drop for Pool {
    /// A `postgres::Client` blocks on its own runtime when dropped, which
    /// panics on a runtime worker thread; the last holder of the store can be
    /// a task the runtime drops at shutdown (the retention job), so idle
    /// clients are dropped on a plain thread whenever a runtime is current.
    fn drop(&mut self) {
        let clients = std::mem::take(&mut *self.clients.lock().unwrap_or_else(|e| e.into_inner()));
        if clients.is_empty() {
            return;
        }
        if tokio::runtime::Handle::try_current().is_ok() {
            let _ = std::thread::spawn(move || drop(clients)).join();
        }
    }
}

impl Pool {
    pub fn new(url: &str) -> Pool {
        Pool {
            url: url.to_string(),
            clients: Mutex::new(Vec::new()),
        }
    }

    pub fn client(&self) -> Result<Pooled<'_>, StoreError> {
        let reused = self.clients.lock().ok().and_then(|mut v| v.pop());
        let client = match reused {
            Some(c) => c,
            None => connect(&self.url)?,
        };
        Ok(Pooled {
            pool: self,
            client: Some(client),
        })
    }
}

fn entry(row: &postgres::Row) -> Entry {
    Entry {
        receipt: row.get(0),
        received_at: row.get(1),
        chain: Mark::parse(row.get::<_, &str>(2)),
        hash: row.get(3),
        signature: row.get(4),
    }
}

pub fn get(c: &mut Client, id: &str) -> Result<Option<Entry>, StoreError> {
    let row = c
        .query_opt(
            "SELECT body, received_at, chain, hash, signature FROM receipts WHERE id = $1",
            &[&id],
        )
        .map_err(err)?;
    Ok(row.as_ref().map(entry))
}

pub fn count(c: &mut Client) -> Result<u64, StoreError> {
    let n: i64 = c
        .query_one("SELECT count(*) FROM receipts", &[])
        .map_err(err)?
        .get(0);
    Ok(u64::try_from(n).unwrap_or(0))
}

pub fn ping(c: &mut Client) -> Result<(), StoreError> {
    c.query_opt("SELECT 1 FROM receipts LIMIT 1", &[])
        .map_err(err)?;
    Ok(())
}

pub fn subject_page(
    c: &mut Client,
    subject: &str,
    after: (i64, i64),
    limit: i64,
) -> Result<Vec<((i64, i64), Entry)>, StoreError> {
    let rows = c
        .query(
            "SELECT body, received_at, chain, hash, signature, seq, n FROM receipts
             WHERE subject = $1 AND (seq > $2 OR (seq = $2 AND n > $3))
             ORDER BY seq, n LIMIT $4",
            &[&subject, &after.0, &after.1, &limit],
        )
        .map_err(err)?;
    Ok(rows
        .iter()
        .map(|r| ((r.get(5), r.get(6)), entry(r)))
        .collect())
}

pub fn export_page(
    c: &mut Client,
    after: i64,
    limit: i64,
) -> Result<Vec<(i64, Entry)>, StoreError> {
    let rows = c
        .query(
            "SELECT body, received_at, chain, hash, signature, n FROM receipts
             WHERE n > $1 ORDER BY n LIMIT $2",
            &[&after, &limit],
        )
        .map_err(err)?;
    Ok(rows.iter().map(|r| (r.get(5), entry(r))).collect())
}

/// Stores a batch in one transaction, under the advisory locks of its
/// subjects; nothing is answered before `COMMIT` returns.
pub(crate) fn store_batch(client: &mut Client, batch: &[Job]) -> Result<Vec<Stored>, StoreError> {
    let mut subjects: Vec<&str> = batch.iter().map(|j| j.receipt.subject.as_str()).collect();
    subjects.sort_unstable();
    subjects.dedup();
    let mut tx = client.transaction().map_err(err)?;
    for s in &subjects {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[s],
        )
        .map_err(err)?;
    }
    let mut out = Vec::with_capacity(batch.len());
    for job in batch {
        out.push(store_one(&mut tx, job)?);
    }
    tx.commit().map_err(err)?;
    Ok(out)
}

fn store_one(tx: &mut postgres::Transaction<'_>, job: &Job) -> Result<Stored, StoreError> {
    let r = &job.receipt;
    let seq = i64::try_from(r.seq).map_err(|_| StoreError("seq out of range".into()))?;
    let existing = |tx: &mut postgres::Transaction<'_>| -> Result<Option<Stored>, StoreError> {
        let row = tx
            .query_opt(
                "SELECT chain, hash, received_at, signature FROM receipts WHERE id = $1",
                &[&r.id],
            )
            .map_err(err)?;
        Ok(row.map(|row| Stored {
            created: false,
            chain: Mark::parse(row.get::<_, &str>(0)),
            hash: row.get(1),
            received_at: row.get(2),
            signature: row.get(3),
        }))
    };
    if let Some(s) = existing(tx)? {
        return Ok(s);
    }
    let hashes_at =
        |tx: &mut postgres::Transaction<'_>, seq: i64| -> Result<Vec<String>, StoreError> {
            let rows = tx
                .query(
                    "SELECT hash FROM receipts WHERE subject = $1 AND seq = $2",
                    &[&r.subject, &seq],
                )
                .map_err(err)?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        };
    let mark = Mark::decide(seq, r.prev.as_deref(), |s| hashes_at(tx, s))?;
    let fork = mark == Mark::Fork;
    let inserted = tx
        .query_opt(
            "INSERT INTO receipts (id, subject, seq, prev, hash, fork, chain, received_at, body, signature)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (id) DO NOTHING RETURNING n",
            &[
                &r.id,
                &r.subject,
                &seq,
                &r.prev,
                &job.hash,
                &fork,
                &mark.as_str(),
                &job.received_at,
                &job.body,
                &job.signature,
            ],
        )
        .map_err(err)?;
    if inserted.is_none() {
        // Stored meanwhile by another collector under another subject's lock.
        return existing(tx)?.ok_or_else(|| StoreError("receipt vanished after a conflict".into()));
    }
    tx.execute(
        "UPDATE receipts SET chain = 'ok'
         WHERE subject = $1 AND seq = $2 AND NOT fork AND prev = $3
           AND chain IN ('missing-predecessor', 'mismatch')",
        &[&r.subject, &(seq + 1), &job.hash],
    )
    .map_err(err)?;
    tx.execute(
        "UPDATE receipts SET chain = 'mismatch'
         WHERE subject = $1 AND seq = $2 AND NOT fork AND chain = 'missing-predecessor'",
        &[&r.subject, &(seq + 1)],
    )
    .map_err(err)?;
    Ok(Stored {
        created: true,
        chain: mark,
        hash: job.hash.clone(),
        received_at: job.received_at.clone(),
        signature: Some(job.signature.clone()),
    })
}

/// Every retention checkpoint `(body, signature)`, oldest first.
pub fn checkpoints(c: &mut Client) -> Result<Vec<(String, String)>, StoreError> {
    let rows = c
        .query("SELECT body, signature FROM checkpoints ORDER BY n", &[])
        .map_err(err)?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// Retention on PostgreSQL: the same plan as SQLite ([`purge_plan`]), in one
/// transaction that holds the purge lock (another collector purging at the same
/// moment skips its round) and each purged subject's writer lock (taken in
/// sorted order, as writers take them), then deletes and stores the signed
/// checkpoint `sign` makes. Returns the checkpoint body and how many receipts went.
pub(crate) fn purge_before(
    c: &mut Client,
    cutoff: &str,
    sign: impl FnOnce(&[Purged]) -> (serde_json::Value, String, String, i64),
) -> Result<Option<(serde_json::Value, i64)>, StoreError> {
    let mut tx = c.transaction().map_err(err)?;
    let got: bool = tx
        .query_one("SELECT pg_try_advisory_xact_lock($1)", &[&PURGE_LOCK])
        .map_err(err)?
        .get(0);
    if !got {
        return Ok(None);
    }
    let mut subjects: Vec<String> = tx
        .query(
            "SELECT DISTINCT subject FROM receipts WHERE received_at < $1",
            &[&cutoff],
        )
        .map_err(err)?
        .iter()
        .map(|r| r.get(0))
        .collect();
    if subjects.is_empty() {
        return Ok(None);
    }
    subjects.sort_unstable();
    for s in &subjects {
        tx.execute(
            "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
            &[s],
        )
        .map_err(err)?;
    }
    let rows: Vec<(String, i64, String, bool)> = tx
        .query(
            "SELECT subject, seq, hash, received_at < $1 FROM receipts
             WHERE subject = ANY($2) ORDER BY subject, seq",
            &[&cutoff, &subjects],
        )
        .map_err(err)?
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect();
    let removed = purge_plan(&rows);
    if removed.is_empty() {
        return Ok(None);
    }
    for r in &removed {
        tx.execute(
            "DELETE FROM receipts WHERE subject = $1 AND seq <= $2",
            &[&r.subject, &r.through],
        )
        .map_err(err)?;
    }
    let (body, text, signature, total) = sign(&removed);
    let created = body["createdAt"].as_str().unwrap_or_default().to_string();
    tx.execute(
        "INSERT INTO checkpoints (created_at, body, signature) VALUES ($1, $2, $3)",
        &[&created, &text, &signature],
    )
    .map_err(err)?;
    tx.commit().map_err(err)?;
    Ok(Some((body, total)))
}
