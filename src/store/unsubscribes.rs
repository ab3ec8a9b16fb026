//! Unsubscribe requests read from the bounce mailbox: each one suppresses the recipient
//! whose copy carried the signed token, with the reason `unsubscribed`.

use super::{Store, StoreError, Tx};
use rusqlite::{params, OptionalExtension};

/// The suppression reason of an unsubscribe. It is not one of the bounce reasons (that
/// taxonomy is Sisimai's and fixed); the suppression list's reason is free text, and the
/// policy never removes an entry, so an unsubscribed address stays suppressed.
pub const UNSUBSCRIBED: &str = "unsubscribed";
/// The suppression source of an unsubscribe read by `poll`.
pub const SOURCE: &str = "unsubscribe";

/// Who an unsubscribe request named.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unsubscribed {
    pub campaign: String,
    /// The address as stored for the recipient (its key is what is suppressed).
    pub email: String,
    /// False when the address was suppressed already (by an earlier request or a bounce).
    pub newly_suppressed: bool,
}

impl Tx<'_> {
    /// Changes the outcome of a message recorded in this transaction, with a note.
    pub fn set_message_outcome(
        &self,
        row: i64,
        outcome: &str,
        error: &str,
    ) -> Result<(), StoreError> {
        self.conn()
            .execute(
                "UPDATE messages SET outcome = ?2, error = ?3 WHERE id = ?1",
                params![row, outcome, error],
            )
            .map(|_| ())
            .map_err(|e| self.err(e))
    }

    /// Records an unsubscribe request for recipient `recipient_id` of campaign
    /// `campaign_id` (ids from a verified token) read in message `message_row` (none for
    /// a request made through the https URL), and suppresses the address. A recipient of
    /// a campaign deleted with --force is found among the copies it kept. `None` when no
    /// such recipient exists: nothing changes.
    pub fn unsubscribe(
        &self,
        campaign_id: i64,
        recipient_id: i64,
        message_row: Option<i64>,
        evidence: &str,
    ) -> Result<Option<Unsubscribed>, StoreError> {
        let conn = self.conn();
        // the recipient, or what `campaign delete --force` kept of it
        let found: Option<(String, String, Option<String>, bool)> = conn
            .query_row(
                "SELECT c.name, r.email, r.email_key, 1 FROM recipients r
                   JOIN campaigns c ON c.id = r.campaign_id
                  WHERE r.id = ?1 AND r.campaign_id = ?2
                 UNION ALL
                 SELECT campaign, email, email_key, 0 FROM deleted_recipients
                  WHERE recipient_id = ?1 AND campaign_id = ?2",
                [recipient_id, campaign_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        let Some((campaign, email, key, live)) = found else {
            return Ok(None);
        };
        let (campaign_id, recipient_id) = if live {
            (Some(campaign_id), Some(recipient_id))
        } else {
            (None, None)
        };
        // an erased recipient's row holds its keyed hash, which is already suppressed
        let erased = key.as_deref().is_some_and(super::suppressions::is_hashed);
        conn.execute(
            "INSERT INTO unsubscribes (message_row, campaign_id, recipient_id, email)
             VALUES (?1, ?2, ?3, ?4)",
            params![
                message_row,
                campaign_id,
                recipient_id,
                if erased {
                    key.clone().unwrap_or_default()
                } else {
                    crate::address::key_of(&email)
                }
            ],
        )
        .map_err(|e| self.err(e))?;
        let newly_suppressed =
            !erased && self.suppress(&email, UNSUBSCRIBED, SOURCE, Some(evidence))?;
        if !erased && !newly_suppressed {
            // suppressed before for a bounce: the person's own request is the stronger
            // reason, and says why the address must stay suppressed
            conn.execute(
                "UPDATE suppressions SET reason = ?2, source = ?3, evidence = ?4
                  WHERE email = ?1 AND reason <> ?2",
                params![
                    crate::address::key_of(&email),
                    UNSUBSCRIBED,
                    SOURCE,
                    evidence
                ],
            )
            .map_err(|e| self.err(e))?;
        }
        Ok(Some(Unsubscribed {
            campaign,
            email,
            newly_suppressed,
        }))
    }
}

impl Store {
    /// How many recipients of a campaign asked to be unsubscribed.
    pub fn campaign_unsubscribes(&self, campaign_id: i64) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(DISTINCT recipient_id) FROM unsubscribes WHERE campaign_id = ?1",
                [campaign_id],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }

    /// How many addresses asked to be unsubscribed in the last `days` days.
    pub fn unsubscribes_since(&self, days: u32) -> Result<usize, StoreError> {
        self.conn
            .query_row(
                "SELECT count(DISTINCT email) FROM unsubscribes
                  WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
                [format!("-{days} days")],
                |r| r.get::<_, i64>(0),
            )
            .map(|n| n as usize)
            .map_err(|e| self.err(e))
    }
}

impl Store {
    /// Applies an unsubscribe token that reached the sender another way than by mail
    /// (the https one-click URL's handler passes it on): verified with `secret`, it
    /// suppresses its recipient like a mailed request. `None` when the token does not
    /// verify or names no stored recipient: nothing changes.
    pub fn unsubscribe_token(
        &mut self,
        secret: &[u8],
        token: &str,
    ) -> Result<Option<Unsubscribed>, StoreError> {
        let Some((campaign, recipient)) = crate::verp::verify_unsubscribe(secret, token) else {
            return Ok(None);
        };
        let tx = self.begin()?;
        let done = tx.unsubscribe(campaign, recipient, None, "one-click unsubscribe URL")?;
        tx.commit()?;
        Ok(done)
    }
}
