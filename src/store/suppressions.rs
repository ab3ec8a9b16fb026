//! The suppression list: addresses never to be sent to again, each with why and when;
//! erased addresses by their keyed hash; skipping a campaign's suppressed recipients.

use super::{Campaign, Store, StoreError};
use crate::address::Address;
use rusqlite::{params, OptionalExtension};

/// One suppressed address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    /// The address's key (`crate::address`): what every lookup compares.
    pub email: String,
    /// The spelling first seen, for display; empty on input means `email` as given.
    #[serde(default)]
    pub display: String,
    pub reason: String,
    /// Who added it: `poll`, `manual`, `import`, ...
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub evidence: Option<String>,
    /// When it was added (UTC, ISO 8601); empty means now.
    #[serde(default)]
    pub created_at: String,
}

fn row(r: &rusqlite::Row) -> rusqlite::Result<Suppression> {
    Ok(Suppression {
        email: r.get(0)?,
        reason: r.get(1)?,
        source: r.get(2)?,
        evidence: r.get(3)?,
        created_at: r.get(4)?,
        display: r.get(5)?,
    })
}

const COLUMNS: &str = "email, reason, source, evidence, created_at, display";

/// What starts the key of an erased address's entry: `forgotten:<keyed hash>` stands
/// where the address's key stood (`suppress forget`).
pub const HASHED_PREFIX: &str = "forgotten:";

/// Whether a stored key is the keyed hash of an erased address.
pub fn is_hashed(key: &str) -> bool {
    key.starts_with(HASHED_PREFIX)
}

/// Whether a text is a well-formed erased entry's key: the prefix and 64 hex digits.
pub fn is_valid_hashed(key: &str) -> bool {
    key.strip_prefix(HASHED_PREFIX)
        .is_some_and(|h| h.len() == 64 && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// The stored key that stands for an erased address.
pub(super) fn hashed_key(secret: &[u8], key: &str) -> String {
    format!(
        "{HASHED_PREFIX}{}",
        crate::verp::forgotten_hash(secret, key)
    )
}

/// The store's secret when the list holds erased (hashed) entries, else `None`: then
/// every lookup is by the plain key alone, and costs nothing more.
pub(super) fn hashing_secret(conn: &rusqlite::Connection) -> rusqlite::Result<Option<Vec<u8>>> {
    conn.prepare_cached(
        "SELECT value FROM settings WHERE key = 'verp_secret'
            AND EXISTS (SELECT 1 FROM suppressions WHERE email >= 'forgotten:' AND email < 'forgotten;')",
    )?
    .query_row([], |r| r.get(0))
    .optional()
}

/// Whether the key's erased (hashed) form is on the list.
fn hashed_entry(conn: &rusqlite::Connection, secret: &[u8], key: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM suppressions WHERE email = ?1")?
        .query_row([hashed_key(secret, key)], |_| Ok(()))
        .optional()
        .map(|f| f.is_some())
}

/// The one write path of the suppression list: every addition (policy, manual, import,
/// send-time refusal) goes through here, keyed by `crate::address::key_of`. An address
/// already there keeps its entry. Returns true when it was new.
pub(super) fn insert(
    conn: &rusqlite::Connection,
    written: &str,
    reason: &str,
    source: &str,
    evidence: Option<&str>,
    created_at: Option<&str>,
) -> rusqlite::Result<bool> {
    let key = crate::address::key_of(written);
    // an erased address stays suppressed by its hash; writing it out again would undo
    // the erasure
    if let Some(secret) = hashing_secret(conn)? {
        if hashed_entry(conn, &secret, &key)? {
            return Ok(false);
        }
    }
    conn.prepare_cached(
        "INSERT OR IGNORE INTO suppressions (email, display, reason, source, evidence, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', ?6),
                                               strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
    )?
    .execute(params![
        key,
        written.trim(),
        reason,
        source,
        evidence,
        created_at
    ])
    .map(|n| n > 0)
}

impl Store {
    /// The whole list, by address.
    pub fn suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(&format!(
                "SELECT {COLUMNS} FROM suppressions ORDER BY email"
            ))
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// The entry of an address, if suppressed (by its key, or by its keyed hash when it
    /// was erased).
    pub fn suppression(&self, address: &Address) -> Result<Option<Suppression>, StoreError> {
        let lookup = |key: &str| {
            self.conn
                .query_row(
                    &format!("SELECT {COLUMNS} FROM suppressions WHERE email = ?1"),
                    [key],
                    row,
                )
                .optional()
        };
        let found = lookup(address.key()).map_err(|e| self.err(e))?;
        if found.is_some() {
            return Ok(found);
        }
        match hashing_secret(&self.conn).map_err(|e| self.err(e))? {
            Some(secret) => lookup(&hashed_key(&secret, address.key())).map_err(|e| self.err(e)),
            None => Ok(None),
        }
    }

    /// Removes an address (also its erased, hashed entry); false when it was not there.
    pub fn unsuppress(&mut self, address: &Address) -> Result<bool, StoreError> {
        let hashed = hashing_secret(&self.conn)
            .map_err(|e| self.err(e))?
            .map(|secret| hashed_key(&secret, address.key()));
        self.conn
            .execute(
                "DELETE FROM suppressions WHERE email = ?1 OR email = ?2",
                params![address.key(), hashed],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Adds many entries in one transaction (existing addresses are kept as they are).
    /// Returns how many were new.
    pub fn import_suppressions(&mut self, rows: &[Suppression]) -> Result<usize, StoreError> {
        let tx = self.conn.transaction().map_err(|e| StoreError::Sqlite {
            path: self.path.clone(),
            source: e,
        })?;
        let mut new = 0;
        for s in rows {
            let source = if s.source.is_empty() {
                "import"
            } else {
                &s.source
            };
            let written = if s.display.is_empty() {
                &s.email
            } else {
                &s.display
            };
            let created = (!s.created_at.is_empty()).then_some(s.created_at.as_str());
            if let Some(t) = created {
                let read: Option<String> = tx
                    .query_row("SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1)", [t], |r| {
                        r.get(0)
                    })
                    .map_err(|e| StoreError::Sqlite {
                        path: self.path.clone(),
                        source: e,
                    })?;
                if read.is_none() {
                    return Err(StoreError::Invalid {
                        path: self.path.clone(),
                        message: format!(
                            "suppression of '{written}': created_at '{t}' is not a UTC date and time (like 2026-12-02T10:00:00Z)"
                        ),
                    });
                }
            }
            if is_hashed(&s.email) {
                // an erased entry (exported, imported again) goes in as it is
                let n = tx
                    .execute(
                        "INSERT OR IGNORE INTO suppressions (email, display, reason, source, created_at)
                         VALUES (?1, '(forgotten)', ?2, ?3, coalesce(strftime('%Y-%m-%dT%H:%M:%fZ', ?4),
                                                                    strftime('%Y-%m-%dT%H:%M:%fZ','now')))",
                        params![s.email, s.reason, source, created],
                    )
                    .map_err(|e| StoreError::Sqlite {
                        path: self.path.clone(),
                        source: e,
                    })?;
                new += n;
                continue;
            }
            if insert(
                &tx,
                written,
                &s.reason,
                source,
                s.evidence.as_deref(),
                created,
            )
            .map_err(|e| StoreError::Sqlite {
                path: self.path.clone(),
                source: e,
            })? {
                new += 1;
            }
        }
        tx.commit().map_err(|e| StoreError::Sqlite {
            path: self.path.clone(),
            source: e,
        })?;
        Ok(new)
    }
}

/// Every suppressed address's key with its reason, for bulk lookups (list cleaning looks
/// up millions of rows), and the erased entries' hashes with the secret to check a key
/// against them.
#[derive(Default, Clone)]
pub struct SuppressedSet {
    plain: std::collections::HashMap<String, String>,
    /// (the keyed hasher, hashes → reason), when the list holds erased entries.
    hashed: Option<(
        crate::verp::ForgetHasher,
        std::collections::HashMap<[u8; 32], String>,
    )>,
}

impl SuppressedSet {
    /// The reason an address key is suppressed for, if it is.
    pub fn get(&self, key: &str) -> Option<&String> {
        self.plain.get(key).or_else(|| {
            let (hasher, hashed) = self.hashed.as_ref()?;
            hashed.get(&hasher.hash(key))
        })
    }

    /// Whether an address key is suppressed.
    pub fn contains_key(&self, key: &str) -> bool {
        self.get(key).is_some()
    }

    /// A set of plain keys and reasons (tests, and callers that build one by hand).
    pub fn from_plain(plain: std::collections::HashMap<String, String>) -> SuppressedSet {
        SuppressedSet {
            plain,
            hashed: None,
        }
    }
}

impl Store {
    /// Every suppressed address with its reason, for bulk lookups; erased addresses are
    /// matched by their keyed hash (`SuppressedSet::get`).
    pub fn suppressed_all(&self) -> Result<SuppressedSet, StoreError> {
        let secret = hashing_secret(&self.conn).map_err(|e| self.err(e))?;
        let mut stmt = self
            .conn
            .prepare("SELECT email, reason FROM suppressions")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut plain = std::collections::HashMap::new();
        let mut hashed = std::collections::HashMap::new();
        for r in rows {
            let (email, reason) = r.map_err(|e| self.err(e))?;
            if is_hashed(&email) {
                if let Some(h) = crate::verp::hash_from_hex(&email[HASHED_PREFIX.len()..]) {
                    hashed.insert(h, reason);
                }
            } else {
                plain.insert(email, reason);
            }
        }
        Ok(SuppressedSet {
            plain,
            hashed: secret.map(|s| (crate::verp::ForgetHasher::new(&s), hashed)),
        })
    }
}

impl Store {
    /// Marks the campaign's pending recipients whose address is on the suppression list
    /// as skipped, all in one statement. Returns how many.
    pub fn skip_suppressed(&mut self, campaign: &Campaign) -> Result<usize, StoreError> {
        let plain = self.skip_plain(campaign)?;
        Ok(plain + self.skip_erased(campaign)?)
    }

    /// Pending recipients whose address was erased (`suppress forget`): their key's
    /// keyed hash is on the list. Nothing to do, and one query, when no entry is hashed.
    fn skip_erased(&mut self, campaign: &Campaign) -> Result<usize, StoreError> {
        let Some(secret) = hashing_secret(&self.conn).map_err(|e| self.err(e))? else {
            return Ok(0);
        };
        let ids: Vec<i64> = self
            .conn
            .prepare(
                "SELECT id, email_key FROM recipients
                  WHERE campaign_id = ?1 AND state = 'pending' AND email_key IS NOT NULL",
            )
            .and_then(|mut stmt| {
                let rows = stmt.query_map([campaign.id], |r| {
                    Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?))
                })?;
                let mut hit = Vec::new();
                let mut exists = self
                    .conn
                    .prepare("SELECT 1 FROM suppressions WHERE email = ?1")?;
                for row in rows {
                    let (id, key) = row?;
                    let hashed = hashed_key(&secret, &key);
                    if exists.exists([hashed])? {
                        hit.push(id);
                    }
                }
                Ok(hit)
            })
            .map_err(|e| self.err(e))?;
        self.each_in_one_transaction(
            "UPDATE recipients SET state = 'skipped', reply = 'on the suppression list',
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
              WHERE id = ?1 AND state = 'pending'",
            &ids,
            |stmt, id| stmt.execute([id]),
        )
    }

    fn skip_plain(&mut self, campaign: &Campaign) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE recipients SET state = 'skipped', reply = 'on the suppression list',
                    reply_code = NULL, receipt_id = NULL, reason = NULL, hard = NULL,
                    updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                  WHERE campaign_id = ?1 AND state = 'pending'
                    AND email_key IN (SELECT email FROM suppressions)",
                [campaign.id],
            )
            .map_err(|e| self.err(e))
    }
}
