//! What poll writes: messages read (once each), their facts with the key that matched,
//! the lookups correlation needs, and the per-folder checkpoints. Everything a message
//! changes is written through one `Tx`, committed as a whole or not at all.

use super::campaigns::SendState;
use super::values::{MatchKey, Verdict};
use super::{Store, StoreError};
use crate::decode::Reason;
use rusqlite::{params, OptionalExtension, Transaction};
use std::path::PathBuf;

/// A send that a bounce may belong to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SendRef {
    pub campaign_id: i64,
    pub recipient_id: i64,
    pub email: String,
    /// The recipient's send state.
    pub state: SendState,
}

/// One fact to store.
#[derive(Debug, Clone)]
pub struct NewFact {
    pub email: Option<String>,
    pub matched_by: MatchKey,
    pub campaign_id: Option<i64>,
    pub recipient_id: Option<i64>,
    pub action: Option<String>,
    pub reason: Reason,
    pub hard: bool,
    pub status: Option<String>,
    pub diagnostic: Option<String>,
    pub feedback_type: Option<String>,
    pub blocklist: Option<String>,
    pub listed_ip: Option<String>,
    pub evidence: String,
    pub verdict: Verdict,
    /// The host that gave the answer (DSN `Remote-MTA`), when known.
    pub remote_mta: Option<String>,
}

/// A stored fact, as the policy reads it.
#[derive(Debug, Clone)]
pub struct FactRow {
    pub id: i64,
    pub email: Option<String>,
    pub matched_by: MatchKey,
    pub action: Option<String>,
    pub reason: Reason,
    pub verdict: Verdict,
    pub evidence: String,
    pub blocklist: Option<String>,
    pub created_at: String,
    /// Whether the fact lies within the window asked for.
    pub recent: bool,
}

/// A checkpoint of one folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Checkpoint {
    pub uidvalidity: u32,
    pub last_uid: u32,
}

/// A transaction on the store.
pub struct Tx<'a> {
    tx: Transaction<'a>,
    path: PathBuf,
}

const SEND_COLUMNS: &str = "campaign_id, id, email, state";

fn send_ref(r: &rusqlite::Row) -> rusqlite::Result<SendRef> {
    Ok(SendRef {
        campaign_id: r.get(0)?,
        recipient_id: r.get(1)?,
        email: r.get(2)?,
        state: r.get(3)?,
    })
}

fn fact_row(r: &rusqlite::Row) -> rusqlite::Result<FactRow> {
    Ok(FactRow {
        id: r.get(0)?,
        email: r.get(1)?,
        matched_by: r.get(2)?,
        action: r.get(3)?,
        reason: r.get(4)?,
        verdict: r.get(5)?,
        evidence: r.get(6)?,
        blocklist: r.get(7)?,
        created_at: r.get(8)?,
        recent: r.get(9)?,
    })
}

impl Store {
    /// Starts a transaction (IMMEDIATE: a second writer waits instead of failing later).
    pub fn begin(&mut self) -> Result<Tx<'_>, StoreError> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(|source| StoreError::Sqlite {
                path: path.clone(),
                source,
            })?;
        Ok(Tx { tx, path })
    }

    /// The checkpoint of a folder, if any.
    pub fn checkpoint(
        &self,
        account: &str,
        folder: &str,
    ) -> Result<Option<Checkpoint>, StoreError> {
        self.conn
            .query_row(
                "SELECT uidvalidity, last_uid FROM poll_checkpoints WHERE account = ?1 AND folder = ?2",
                params![account, folder],
                |r| {
                    Ok(Checkpoint {
                        uidvalidity: r.get::<_, i64>(0)? as u32,
                        last_uid: r.get::<_, i64>(1)? as u32,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Records how far a folder has been read.
    pub fn set_checkpoint(
        &mut self,
        account: &str,
        folder: &str,
        cp: Checkpoint,
    ) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO poll_checkpoints (account, folder, uidvalidity, last_uid, updated_at)
                 VALUES (?1, ?2, ?3, ?4, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                 ON CONFLICT (account, folder) DO UPDATE SET uidvalidity = ?3, last_uid = ?4,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')",
                params![account, folder, cp.uidvalidity as i64, cp.last_uid as i64],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Counts of facts by a column (`matched_by`, `verdict`, `reason`), for summaries.
    pub fn fact_counts(&self, column: &str) -> Result<Vec<(String, i64)>, StoreError> {
        let column = match column {
            "matched_by" | "verdict" | "reason" => column,
            _ => "matched_by",
        };
        let sql =
            format!("SELECT {column}, count(*) FROM facts GROUP BY {column} ORDER BY {column}");
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Blocklist/reputation facts counted per list and listed IP, and per sending domain.
    pub fn reputation_counts(&self) -> Result<Vec<(String, String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT 'list', coalesce(blocklist, '-') || ' ' || coalesce(listed_ip, '-'), count(*)
                   FROM facts WHERE verdict = 'reputation' GROUP BY 2
                 UNION ALL
                 SELECT 'sender', coalesce(substr(c.from_addr, instr(c.from_addr, '@') + 1), '-'), count(*)
                   FROM facts f LEFT JOIN campaigns c ON c.id = f.campaign_id
                  WHERE f.verdict = 'reputation' GROUP BY 2
                 ORDER BY 1, 2",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Every address that has facts (for `policy preview`).
    pub fn fact_emails(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT DISTINCT email FROM facts WHERE email IS NOT NULL ORDER BY email")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| r.get(0))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Every fact of an address, oldest first, marked `recent` when within `days` days.
    pub fn facts_for(&self, email: &str, days: u32) -> Result<Vec<FactRow>, StoreError> {
        facts_for(&self.conn, email, days).map_err(|e| self.err(e))
    }

    /// When the address last had a message accepted by the relay, within `days`.
    pub fn last_accepted(&self, email: &str, days: u32) -> Result<Option<String>, StoreError> {
        last_accepted(&self.conn, email, days).map_err(|e| self.err(e))
    }

    /// Copies the database to `dest` (for dry runs on a scratch copy).
    pub fn copy_to(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        let _ = std::fs::remove_file(dest);
        self.conn
            .execute("VACUUM INTO ?1", [dest.to_string_lossy()])
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Number of messages recorded and of facts.
    pub fn poll_totals(&self) -> Result<(i64, i64), StoreError> {
        self.conn
            .query_row(
                "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM facts WHERE message_row IS NOT NULL)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))
    }
}

fn facts_for(
    conn: &rusqlite::Connection,
    email: &str,
    days: u32,
) -> rusqlite::Result<Vec<FactRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, email, matched_by, action, reason, verdict, evidence, blocklist, created_at,
                created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)
           FROM facts WHERE email = ?1 ORDER BY created_at, id",
    )?;
    let key = crate::address::key_of(email);
    let rows = stmt
        .query_map(params![key, format!("-{days} days")], fact_row)?
        .collect::<Result<Vec<_>, _>>();
    rows
}

fn last_accepted(
    conn: &rusqlite::Connection,
    email: &str,
    days: u32,
) -> rusqlite::Result<Option<String>> {
    conn.query_row(
        "SELECT max(updated_at) FROM recipients
          WHERE email_key = ?1 AND state = 'accepted'
            AND updated_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)",
        params![crate::address::key_of(email), format!("-{days} days")],
        |r| r.get(0),
    )
}

impl Tx<'_> {
    pub(super) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Commits everything written through this transaction.
    pub fn commit(self) -> Result<(), StoreError> {
        let path = self.path;
        self.tx
            .commit()
            .map_err(|source| StoreError::Sqlite { path, source })
    }

    fn one_send(&self, sql: &str, p: impl rusqlite::Params) -> Result<Option<SendRef>, StoreError> {
        self.tx
            .prepare_cached(sql)
            .and_then(|mut s| s.query_row(p, send_ref).optional())
            .map_err(|e| self.err(e))
    }

    /// The recipient row of those ids, when both agree.
    pub fn send_by_ids(
        &self,
        campaign_id: i64,
        recipient_id: i64,
    ) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            &format!("SELECT {SEND_COLUMNS} FROM recipients WHERE id = ?1 AND campaign_id = ?2"),
            params![recipient_id, campaign_id],
        )
    }

    /// The recipient row whose ENVID was this.
    pub fn send_by_envelope_id(&self, envid: &str) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            &format!("SELECT {SEND_COLUMNS} FROM recipients WHERE envelope_id = ?1"),
            [envid],
        )
    }

    /// The recipient row whose relay receipt (queue ID) was this.
    pub fn send_by_receipt(&self, queue_id: &str) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            &format!("SELECT {SEND_COLUMNS} FROM recipients WHERE receipt_id = ?1"),
            [queue_id],
        )
    }

    /// The recipient row whose message had this Message-ID (without angle brackets).
    pub fn send_by_message_id(&self, message_id: &str) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            &format!("SELECT {SEND_COLUMNS} FROM recipients WHERE message_id = ?1"),
            [message_id],
        )
    }

    /// The recipient of this id, when its campaign has this name.
    pub fn send_by_header(
        &self,
        campaign_name: Option<&str>,
        recipient_id: i64,
    ) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            "SELECT r.campaign_id, r.id, r.email, r.state FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
                  WHERE r.id = ?1 AND (?2 IS NULL OR c.name = ?2)",
            params![recipient_id, campaign_name],
        )
    }

    /// The newest send to this address whose campaign began within `days` days.
    pub fn send_by_address(&self, email: &str, days: u32) -> Result<Option<SendRef>, StoreError> {
        self.one_send(
            "SELECT r.campaign_id, r.id, r.email, r.state FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
              WHERE r.email_key = ?1 AND r.state <> 'pending' AND r.state <> 'skipped'
                AND c.created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?2)
              ORDER BY c.created_at DESC, r.id DESC LIMIT 1",
            params![crate::address::key_of(email), format!("-{days} days")],
        )
    }

    /// The outcome recorded for a message already read, if it was.
    pub fn seen(&self, message_id: &str, sha256: &str) -> Result<Option<String>, StoreError> {
        self.tx
            .prepare_cached("SELECT outcome FROM messages WHERE message_id = ?1 AND sha256 = ?2")
            .and_then(|mut s| s.query_row([message_id, sha256], |r| r.get(0)).optional())
            .map_err(|e| self.err(e))
    }

    /// Records a message read; returns its row id.
    #[allow(clippy::too_many_arguments)]
    pub fn insert_message(
        &self,
        message_id: &str,
        sha256: &str,
        account: &str,
        folder: &str,
        uid: Option<u32>,
        outcome: &str,
        error: Option<&str>,
    ) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO messages (message_id, sha256, account, folder, uid, outcome, error)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    message_id,
                    sha256,
                    account,
                    folder,
                    uid.map(|u| u as i64),
                    outcome,
                    error
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Stores one fact of a message (`message_row` None for a synchronous rejection).
    pub fn insert_fact(&self, message_row: Option<i64>, f: &NewFact) -> Result<i64, StoreError> {
        self.tx
            .prepare_cached(
                "INSERT INTO facts (message_row, email, matched_by, campaign_id, recipient_id, action,
                    reason, hard, status, diagnostic, feedback_type, blocklist, listed_ip, evidence, verdict,
                    remote_mta)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    message_row,
                    f.email.as_deref().map(crate::address::key_of),
                    f.matched_by,
                    f.campaign_id,
                    f.recipient_id,
                    f.action,
                    f.reason,
                    f.hard,
                    f.status,
                    f.diagnostic,
                    f.feedback_type,
                    f.blocklist,
                    f.listed_ip,
                    f.evidence,
                    f.verdict,
                    f.remote_mta
                ])
            })
            .map_err(|e| self.err(e))?;
        Ok(self.tx.last_insert_rowid())
    }

    /// The connection under this transaction, for the store's own modules.
    pub(super) fn conn(&self) -> &rusqlite::Connection {
        &self.tx
    }

    /// Refusal facts stored without a verdict (a journal applied by a plain open), with
    /// what the policy reads: (id, address key, reason, names a blocklist).
    pub fn unjudged_refusals(&self) -> Result<Vec<(i64, String, Reason, bool)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "SELECT id, email, reason, blocklist IS NOT NULL FROM facts
                  WHERE matched_by = 'sync' AND verdict = ?1 ORDER BY id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([Verdict::Unjudged], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Synchronous rejections recorded by `send` that are not facts yet: each becomes one
    /// fact (`matched_by = 'sync'`), so a later DSN for the same recipient is not counted
    /// again. Returns the new facts: (id, address, reason).
    pub fn import_sync_rejections(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let mut stmt = self
            .tx
            .prepare_cached(
                "INSERT INTO facts (email, matched_by, campaign_id, recipient_id, reason, hard,
                    diagnostic, evidence, verdict, created_at)
                 SELECT r.email_key, 'sync', r.campaign_id, r.id, coalesce(r.reason, 'undefined'),
                    coalesce(r.hard, 0), r.reply, 'send: refused at submission', 'pending',
                    coalesce(r.updated_at, strftime('%Y-%m-%dT%H:%M:%fZ','now'))
                   FROM recipients r
                  WHERE r.state = 'rejected'
                    AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.recipient_id = r.id AND f.matched_by = 'sync')
                 RETURNING id, email, reason",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Sets the verdict of a fact (after the policy has looked at it).
    pub fn set_verdict(&self, fact_id: i64, verdict: Verdict) -> Result<(), StoreError> {
        self.tx
            .execute(
                "UPDATE facts SET verdict = ?2 WHERE id = ?1",
                params![fact_id, verdict],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Whether the recipient already has a synchronous-rejection fact.
    pub fn has_sync_fact(&self, recipient_id: i64) -> Result<bool, StoreError> {
        self.tx
            .prepare_cached("SELECT 1 FROM facts WHERE recipient_id = ?1 AND matched_by = 'sync'")
            .and_then(|mut s| s.exists([recipient_id]))
            .map_err(|e| self.err(e))
    }

    /// Every fact of an address, oldest first, marked `recent` when within `days` days.
    pub fn facts_for(&self, email: &str, days: u32) -> Result<Vec<FactRow>, StoreError> {
        facts_for(&self.tx, email, days).map_err(|e| self.err(e))
    }

    /// When the address last had a message accepted by the relay, within `days`.
    pub fn last_accepted(&self, email: &str, days: u32) -> Result<Option<String>, StoreError> {
        last_accepted(&self.tx, email, days).map_err(|e| self.err(e))
    }

    /// Adds an address to the suppression list; false when it was there already.
    pub fn suppress(
        &self,
        email: &str,
        reason: &str,
        source: &str,
        evidence: Option<&str>,
    ) -> Result<bool, StoreError> {
        super::suppressions::insert(&self.tx, email, reason, source, evidence, None)
            .map_err(|e| self.err(e))
    }
}
