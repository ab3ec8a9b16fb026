//! Erasure and retention: `suppress forget` takes an address's personal data out of the
//! store while keeping it suppressed through a keyed hash; `prune` deletes facts and
//! stored diagnostics older than the retention period (suppressions stay).

use super::suppressions::hashed_key;
use super::{Store, StoreError};
use crate::address::Address;
use rusqlite::params;

/// What `forget` changed, summed over the addresses.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Forgotten {
    pub addresses: usize,
    /// Recipient rows whose address, merge fields and reply were erased.
    pub recipients: usize,
    /// Facts whose address and diagnostic were erased.
    pub facts: usize,
    /// Unsubscribe requests whose address was erased.
    pub unsubscribes: usize,
    /// Addresses that were not suppressed before (they are now, by hash).
    pub newly_suppressed: usize,
}

/// What `prune` deleted.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Pruned {
    pub facts: usize,
    /// Recipient rows whose server reply (the stored diagnostic) was cleared.
    pub replies: usize,
    pub unsubscribes: usize,
}

impl Store {
    /// Erases the personal data of each address: the recipient rows' address, merge
    /// fields and server reply; the facts' address and diagnostic; the unsubscribe
    /// requests' address; the suppression entry's spelling and evidence. The address
    /// stays suppressed under `forgotten:<HMAC of its key>` (the store's secret), which
    /// `send`, `clean` and `suppress check` match. The database is then rewritten
    /// (`VACUUM`) and its write-ahead log emptied, so no page still holds the address.
    /// Refused while a campaign is being sent (its journal would hold replies).
    pub fn forget(&mut self, addresses: &[Address]) -> Result<Forgotten, StoreError> {
        if self.has_left_journals() {
            return Err(self.invalid(
                "a campaign is being sent (its journal beside the store is not applied yet); \
                 run forget when the send has ended"
                    .into(),
            ));
        }
        let secret = self.verp_secret()?;
        let path = self.path().to_path_buf();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        // freed cells are overwritten with zeros, not left readable in free pages
        self.conn
            .pragma_update(None, "secure_delete", true)
            .map_err(sqlite)?;
        let tx = self.conn.transaction().map_err(sqlite)?;
        let mut done = Forgotten::default();
        for a in addresses {
            let key = a.key();
            let hashed = hashed_key(&secret, key);
            let recipient_ids: Vec<i64> = tx
                .prepare("SELECT id FROM recipients WHERE email_key = ?1")
                .and_then(|mut s| s.query_map([key], |r| r.get(0))?.collect())
                .map_err(sqlite)?;
            for id in &recipient_ids {
                // the row's address becomes the hash: unique in its campaign as the
                // address was, and matched by skip_suppressed like a plain key
                tx.execute(
                    "UPDATE recipients SET email = ?2, email_key = ?2, fields = '{}', reply = NULL
                      WHERE id = ?1",
                    params![id, hashed],
                )
                .map_err(sqlite)?;
                done.facts += tx
                    .execute(
                        "UPDATE facts SET email = ?2, diagnostic = NULL
                          WHERE recipient_id = ?1 AND (email IS NOT ?2 OR diagnostic IS NOT NULL)",
                        params![id, hashed],
                    )
                    .map_err(sqlite)?;
            }
            done.recipients += recipient_ids.len();
            done.facts += tx
                .execute(
                    "UPDATE facts SET email = ?2, diagnostic = NULL WHERE email = ?1",
                    params![key, hashed],
                )
                .map_err(sqlite)?;
            done.unsubscribes += tx
                .execute(
                    "UPDATE unsubscribes SET email = ?2 WHERE email = ?1",
                    params![key, hashed],
                )
                .map_err(sqlite)?;
            done.recipients += tx
                .execute(
                    "UPDATE deleted_recipients SET email = ?2, email_key = ?2 WHERE email_key = ?1",
                    params![key, hashed],
                )
                .map_err(sqlite)?;
            // the entry keeps its reason, source and date; its spelling and evidence go
            let moved = tx
                .execute(
                    "INSERT OR IGNORE INTO suppressions (email, display, reason, source, evidence, created_at)
                     SELECT ?2, '(forgotten)', reason, source, NULL, created_at
                       FROM suppressions WHERE email = ?1",
                    params![key, hashed],
                )
                .map_err(sqlite)?;
            tx.execute("DELETE FROM suppressions WHERE email = ?1", [key])
                .map_err(sqlite)?;
            if moved == 0 {
                done.newly_suppressed += tx
                    .execute(
                        "INSERT OR IGNORE INTO suppressions (email, display, reason, source)
                         VALUES (?1, '(forgotten)', 'forgotten', 'forget')",
                        [&hashed],
                    )
                    .map_err(sqlite)?;
            }
            done.addresses += 1;
        }
        tx.commit().map_err(sqlite)?;
        self.compact()?;
        Ok(done)
    }

    /// Deletes facts and unsubscribe requests older than `days` days and clears the
    /// server replies of recipients last changed before then. The suppression list, the
    /// send states and the messages' identities (which keep a re-read from counting
    /// twice) stay.
    pub fn prune(&mut self, days: u32) -> Result<Pruned, StoreError> {
        let path = self.path().to_path_buf();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let cutoff = format!("-{days} days");
        self.conn
            .pragma_update(None, "secure_delete", true)
            .map_err(sqlite)?;
        let tx = self.conn.transaction().map_err(sqlite)?;
        let older = "< strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)";
        let pruned = Pruned {
            facts: tx
                .execute(
                    &format!("DELETE FROM facts WHERE created_at {older}"),
                    [&cutoff],
                )
                .map_err(sqlite)?,
            unsubscribes: tx
                .execute(
                    &format!("DELETE FROM unsubscribes WHERE created_at {older}"),
                    [&cutoff],
                )
                .map_err(sqlite)?,
            replies: tx
                .execute(
                    &format!(
                        "UPDATE recipients SET reply = NULL
                          WHERE reply IS NOT NULL AND updated_at {older}"
                    ),
                    [&cutoff],
                )
                .map_err(sqlite)?,
        };
        tx.commit().map_err(sqlite)?;
        if pruned != Pruned::default() {
            self.compact()?;
        }
        Ok(pruned)
    }

    /// Rewrites the database without free pages and empties its write-ahead log, so that
    /// erased values are in neither file.
    fn compact(&mut self) -> Result<(), StoreError> {
        self.conn.execute_batch("VACUUM").map_err(|e| self.err(e))?;
        let busy: i64 = self
            .conn
            .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        if busy != 0 {
            tracing::warn!(
                db = %self.path().display(),
                "another process reads the store: its write-ahead log could not be emptied \
                 now (it is at the next checkpoint)"
            );
        }
        Ok(())
    }
}
