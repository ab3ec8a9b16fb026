//! Campaigns and the per-recipient send state: what `send` writes and resumes from.

use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// Where one recipient's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendState {
    /// Not sent yet.
    Pending,
    /// Message content was being transmitted; the server's answer was not recorded.
    Sending,
    /// The server accepted the message (2xx after DATA).
    Accepted,
    /// Temporary failures until the retry limit.
    Deferred,
    /// Refused at RCPT or DATA time: a synchronous bounce.
    Rejected,
    /// Interrupted between DATA and the reply: may or may not have been delivered.
    Uncertain,
    /// On the suppression list: not sent.
    Skipped,
}

impl SendState {
    pub fn as_str(self) -> &'static str {
        match self {
            SendState::Pending => "pending",
            SendState::Sending => "sending",
            SendState::Accepted => "accepted",
            SendState::Deferred => "deferred",
            SendState::Rejected => "rejected",
            SendState::Uncertain => "uncertain",
            SendState::Skipped => "skipped",
        }
    }

    pub fn parse(s: &str) -> Option<SendState> {
        Some(match s {
            "pending" => SendState::Pending,
            "sending" => SendState::Sending,
            "accepted" => SendState::Accepted,
            "deferred" => SendState::Deferred,
            "rejected" => SendState::Rejected,
            "uncertain" => SendState::Uncertain,
            "skipped" => SendState::Skipped,
            _ => return None,
        })
    }
}

/// A campaign row.
#[derive(Debug, Clone)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub message_sha256: String,
    pub from_addr: String,
}

/// One recipient of a campaign, as stored.
#[derive(Debug, Clone)]
pub struct RecipientRow {
    pub id: i64,
    pub email: String,
    /// The CSV row as a JSON object (merge fields).
    pub fields: String,
    pub state: SendState,
    pub attempts: i64,
    pub reply: Option<String>,
    pub receipt_id: Option<String>,
    pub message_id: Option<String>,
    pub envelope_id: Option<String>,
    pub verp_token: Option<String>,
}

/// The identifiers planted in one recipient's message.
#[derive(Debug, Clone)]
pub struct Planted {
    pub id: i64,
    pub message_id: String,
    pub envelope_id: String,
    pub verp_token: String,
}

/// The final result of one recipient's transaction.
#[derive(Debug, Clone)]
pub struct Outcome<'a> {
    pub state: SendState,
    pub reply: Option<&'a str>,
    pub reply_code: Option<u16>,
    pub receipt_id: Option<&'a str>,
    pub reason: Option<&'a str>,
    pub hard: Option<bool>,
    /// The SMTP command a refusal answered (`RCPT`, `DATA`), read again with its reply
    /// when the refusal becomes a fact.
    pub command: Option<&'a str>,
}

const ROW_COLUMNS: &str =
    "id, email, fields, state, attempts, reply, receipt_id, message_id, envelope_id, verp_token";

fn row(r: &rusqlite::Row) -> rusqlite::Result<RecipientRow> {
    Ok(RecipientRow {
        id: r.get(0)?,
        email: r.get(1)?,
        fields: r.get(2)?,
        state: r.get(3)?,
        attempts: r.get(4)?,
        reply: r.get(5)?,
        receipt_id: r.get(6)?,
        message_id: r.get(7)?,
        envelope_id: r.get(8)?,
        verp_token: r.get(9)?,
    })
}

/// Stores an outcome; `at` (Unix time) becomes the row's `updated_at`.
pub(super) fn record_at(
    conn: &rusqlite::Connection,
    id: i64,
    o: &Outcome,
    at: i64,
) -> rusqlite::Result<()> {
    conn.prepare_cached(
        "UPDATE recipients SET state = ?2, reply = ?3, reply_code = ?4, receipt_id = ?5,
            reason = ?6, hard = ?7, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?8, 'unixepoch')
         WHERE id = ?1",
    )?
    .execute(params![
        id,
        o.state.as_str(),
        o.reply,
        o.reply_code,
        o.receipt_id,
        o.reason,
        o.hard,
        at
    ])?;
    Ok(())
}

/// Marks a recipient as being transmitted, if its identifiers are planted; returns
/// whether it was.
pub(super) fn mark_sending_on(
    conn: &rusqlite::Connection,
    id: i64,
    at: i64,
) -> rusqlite::Result<bool> {
    let marked = conn
        .prepare_cached(
            "UPDATE recipients SET state = 'sending', attempts = attempts + 1,
                updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?2, 'unixepoch')
             WHERE id = ?1 AND message_id IS NOT NULL AND envelope_id IS NOT NULL
               AND verp_token IS NOT NULL",
        )?
        .execute(params![id, at])?;
    Ok(marked > 0)
}

impl Store {
    /// The campaign of that name, created when new. Whether this run's message and list
    /// may change it is `adopt_run`'s decision (`store::campaign_admin`).
    pub fn campaign(
        &mut self,
        name: &str,
        message_sha256: &str,
        from_addr: &str,
    ) -> Result<Campaign, StoreError> {
        if let Some(c) = self.find_campaign(name)? {
            return Ok(c);
        }
        self.conn
            .execute(
                // A deleted campaign's id is never given again: the VERP and unsubscribe
                // tokens of its copies name it, and must not come to name another's
                // recipients (`campaign delete` records the highest id it deleted).
                "INSERT INTO campaigns (id, name, message_sha256, from_addr, created_at)
                 VALUES (1 + max(coalesce((SELECT max(id) FROM campaigns), 0),
                                 coalesce((SELECT value FROM settings WHERE key = 'deleted_campaign_id'), 0)),
                         ?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%fZ','now'))",
                params![name, message_sha256, from_addr],
            )
            .map_err(|e| self.err(e))?;
        Ok(Campaign {
            id: self.conn.last_insert_rowid(),
            name: name.to_string(),
            message_sha256: message_sha256.to_string(),
            from_addr: from_addr.to_string(),
        })
    }

    /// The campaign of that name, if it exists.
    pub fn find_campaign(&self, name: &str) -> Result<Option<Campaign>, StoreError> {
        self.conn
            .query_row(
                "SELECT id, name, message_sha256, from_addr FROM campaigns WHERE name = ?1",
                [name],
                |r| {
                    Ok(Campaign {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        message_sha256: r.get(2)?,
                        from_addr: r.get(3)?,
                    })
                },
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Adds recipients (email, fields JSON, CSV line); ones already present, in any
    /// spelling of the address, are left as they are, so a resumed run does not reset
    /// anyone nor send anyone twice. Returns how many were new.
    pub fn add_recipients(
        &mut self,
        campaign: &Campaign,
        rows: &[(String, String, usize)],
    ) -> Result<usize, StoreError> {
        self.each_in_one_transaction(
            "INSERT OR IGNORE INTO recipients (campaign_id, email, email_key, fields, line)
             SELECT ?1, ?2, ?3, ?4, ?5
              WHERE NOT EXISTS (SELECT 1 FROM recipients WHERE email_key = ?3 AND campaign_id = ?1)",
            rows,
            |stmt, (email, fields, line)| {
                let key = crate::address::key_of(email);
                stmt.execute(params![campaign.id, email, key, fields, *line as i64])
            },
        )
    }

    /// Recipients left in `sending` by a run that died: their fate is unknown. They become
    /// `uncertain` (or `pending` again when `resend` is set). Returns how many.
    pub fn recover_interrupted(
        &mut self,
        campaign: &Campaign,
        resend: bool,
    ) -> Result<usize, StoreError> {
        let n = self
            .conn
            .execute(
                "UPDATE recipients SET state = 'uncertain', updated_at = strftime('%Y-%m-%dT%H:%M:%fZ','now')
                 WHERE campaign_id = ?1 AND state = 'sending'",
                [campaign.id],
            )
            .map_err(|e| self.err(e))?;
        if resend {
            self.conn
                .execute(
                    "UPDATE recipients SET state = 'pending' WHERE campaign_id = ?1 AND state = 'uncertain'",
                    [campaign.id],
                )
                .map_err(|e| self.err(e))?;
        }
        Ok(n)
    }

    /// Pending recipients in CSV order.
    pub fn pending(&self, campaign: &Campaign) -> Result<Vec<RecipientRow>, StoreError> {
        self.recipient_rows(campaign, "AND state = 'pending'")
    }

    /// Every recipient of a campaign, in CSV order.
    pub fn recipients(&self, campaign: &Campaign) -> Result<Vec<RecipientRow>, StoreError> {
        self.recipient_rows(campaign, "")
    }

    fn recipient_rows(
        &self,
        campaign: &Campaign,
        filter: &str,
    ) -> Result<Vec<RecipientRow>, StoreError> {
        let sql = format!(
            "SELECT {ROW_COLUMNS} FROM recipients WHERE campaign_id = ?1 {filter} ORDER BY line, id"
        );
        let mut stmt = self.conn.prepare(&sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([campaign.id], row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Stores the identifiers each recipient's message will carry (Message-ID, ENVID,
    /// VERP token), in one transaction before any of them is sent, so that a bounce or a
    /// refusal can always be tied back and the send itself records only states and
    /// replies. Rows that already hold these values are not written again. Returns how
    /// many changed.
    pub fn plant(&mut self, planted: &[Planted]) -> Result<usize, StoreError> {
        self.each_in_one_transaction(
            "UPDATE recipients SET message_id = ?2, envelope_id = ?3, verp_token = ?4
              WHERE id = ?1 AND (message_id IS NOT ?2 OR envelope_id IS NOT ?3
                                 OR verp_token IS NOT ?4)",
            planted,
            |stmt, p| stmt.execute(params![p.id, p.message_id, p.envelope_id, p.verp_token]),
        )
    }

    /// Marks a recipient as being transmitted. Only the state changes here: the
    /// identifiers were planted beforehand (`plant`), and a row without them is refused
    /// rather than sent untraceable. (`send` records this through its journal.)
    pub fn mark_sending(&mut self, id: i64) -> Result<(), StoreError> {
        let marked = mark_sending_on(&self.conn, id, super::unix_now()).map_err(|e| self.err(e))?;
        if !marked {
            return Err(StoreError::Invalid {
                path: self.path().to_path_buf(),
                message: format!("recipient {id} has no planted identifiers; not sending it"),
            });
        }
        Ok(())
    }

    /// Records how a recipient's transaction ended.
    pub fn record(&mut self, id: i64, o: &Outcome) -> Result<(), StoreError> {
        record_at(&self.conn, id, o, super::unix_now()).map_err(|e| self.err(e))
    }

    /// Counts of recipients per state.
    pub fn state_counts(&self, campaign: &Campaign) -> Result<Vec<(String, i64)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT state, count(*) FROM recipients WHERE campaign_id = ?1 GROUP BY state ORDER BY state")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([campaign.id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// Adds an address to the suppression list (by its key, `crate::address`).
    pub fn suppress(
        &mut self,
        email: &str,
        reason: &str,
        source: &str,
        evidence: Option<&str>,
    ) -> Result<bool, StoreError> {
        super::suppressions::insert(&self.conn, email, reason, source, evidence, None)
            .map_err(|e| self.err(e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one_recipient() -> (Store, i64) {
        let mut store = Store::in_memory().unwrap();
        let c = store.campaign("c", "sha", "b@x.test").unwrap();
        store
            .add_recipients(&c, &[("ann@x.test".into(), "{}".into(), 2)])
            .unwrap();
        let id = store.recipients(&c).unwrap()[0].id;
        (store, id)
    }

    fn planted(id: i64, token: &str) -> Planted {
        Planted {
            id,
            message_id: format!("m.{id}@x.test"),
            envelope_id: format!("e.{id}"),
            verp_token: token.into(),
        }
    }

    #[test]
    fn a_recipient_without_planted_identifiers_is_not_marked_sending() {
        let (mut store, id) = one_recipient();
        let err = store.mark_sending(id).unwrap_err().to_string();
        assert!(err.contains("no planted identifiers"), "{err}");
        assert_eq!(store.plant(&[planted(id, "t1")]).unwrap(), 1);
        store.mark_sending(id).unwrap();
        let state: String = store
            .conn
            .query_row("SELECT state FROM recipients WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(state, "sending");
    }

    #[test]
    fn planting_again_writes_only_what_changed() {
        let (mut store, id) = one_recipient();
        assert_eq!(store.plant(&[planted(id, "t1")]).unwrap(), 1);
        assert_eq!(store.plant(&[planted(id, "t1")]).unwrap(), 0);
        // another secret gives another token: the stored one follows what will be sent
        assert_eq!(store.plant(&[planted(id, "t2")]).unwrap(), 1);
        let token: String = store
            .conn
            .query_row(
                "SELECT verp_token FROM recipients WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(token, "t2");
    }

    #[test]
    fn lookups_by_identifier_use_the_partial_indexes() {
        let (store, _) = one_recipient();
        for (column, index) in [
            ("message_id", "recipients_message_id"),
            ("envelope_id", "recipients_envelope_id"),
            ("receipt_id", "recipients_receipt"),
        ] {
            let plan: String = store
                .conn
                .query_row(
                    &format!("EXPLAIN QUERY PLAN SELECT id FROM recipients WHERE {column} = ?1"),
                    ["x"],
                    |r| r.get(3),
                )
                .unwrap();
            assert!(plan.contains(index), "{column}: {plan}");
        }
        let plan: String = store
            .conn
            .query_row(
                "EXPLAIN QUERY PLAN SELECT id FROM recipients WHERE state = 'rejected'",
                [],
                |r| r.get(3),
            )
            .unwrap();
        assert!(plan.contains("recipients_rejected"), "{plan}");
    }
}
