//! Managing campaigns as a whole: what a run may change (its message and list, until the
//! first accepted send), listing, showing and deleting them.

use super::campaigns::Campaign;
use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};
use std::collections::HashSet;

/// States that mean a copy may have reached someone (or was refused after the content
/// left): once one exists, the campaign's message is fixed.
const SENT_STATES: &str = "'accepted', 'uncertain', 'sending'";

/// What a run brings: its message and its list.
#[derive(Debug, Clone)]
pub struct RunPlan<'a> {
    pub message_sha256: &'a str,
    /// The message file as given (shown by `campaign list`/`show`).
    pub message_path: &'a str,
    pub from_addr: &'a str,
    /// The recipients file as given, for messages.
    pub list_path: &'a str,
    /// (email as written, fields JSON, CSV line).
    pub rows: &'a [(String, String, usize)],
    /// Whether addresses the campaign does not have may be added after the first
    /// accepted send.
    pub add_recipients: bool,
}

/// What `adopt_run` did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Adopted {
    /// The message (and list) replaced those of an earlier run that had sent nothing.
    pub replaced: bool,
    /// Recipients new to the campaign.
    pub added: usize,
    /// Recipients of the earlier list, never sent, that the new list no longer holds.
    pub removed: usize,
    /// After the first accepted send: pending or deferred recipients of an earlier list
    /// that this run's list lacks (they are still the campaign's).
    pub unsent_not_listed: usize,
}

/// The address keys of a list's rows.
fn keys(rows: &[(String, String, usize)]) -> HashSet<String> {
    rows.iter()
        .map(|(e, _, _)| crate::address::key_of(e))
        .collect()
}

/// One campaign with its counts, for `campaign list` and `show`.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CampaignInfo {
    pub id: i64,
    pub name: String,
    pub created_at: String,
    pub message_sha256: String,
    /// The message file of the latest run that set it (unknown for campaigns begun
    /// before it was recorded).
    pub message_path: Option<String>,
    pub from_addr: String,
    /// Recipients per send state, in the state's order.
    pub states: Vec<(String, i64)>,
    /// The newest change of any recipient, else the creation time.
    pub last_activity: String,
}

impl CampaignInfo {
    /// Recipients in these states.
    pub fn count(&self, states: &[&str]) -> i64 {
        self.states
            .iter()
            .filter(|(s, _)| states.contains(&s.as_str()))
            .map(|(_, n)| n)
            .sum()
    }

    /// Whether anything was sent: accepted, refused or uncertain.
    pub fn anything_sent(&self) -> bool {
        self.count(&["accepted", "rejected", "uncertain", "sending"]) > 0
    }
}

impl Store {
    /// Brings the campaign in line with this run's message and list. Until the first
    /// accepted send the run's message and list replace the stored ones (a first try
    /// against a dead server locks nothing in): recipients of the old list that the new
    /// one lacks and that were never sent are removed. After it, another message is
    /// refused, and a list with addresses the campaign lacks is refused unless
    /// `add_recipients`. Recipients already present are never reset.
    pub fn adopt_run(
        &mut self,
        campaign: &mut Campaign,
        plan: &RunPlan,
    ) -> Result<Adopted, StoreError> {
        let (sent, since): (i64, Option<String>) = self
            .conn
            .query_row(
                &format!(
                    "SELECT count(*), min(updated_at) FROM recipients
                      WHERE campaign_id = ?1 AND state IN ({SENT_STATES})"
                ),
                [campaign.id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(|e| self.err(e))?;
        let sent_since = (sent > 0).then(|| since.unwrap_or_else(|| "an earlier run".into()));
        let known: HashSet<String> = self
            .conn
            .prepare("SELECT email_key FROM recipients WHERE campaign_id = ?1")
            .and_then(|mut s| {
                s.query_map([campaign.id], |r| r.get::<_, Option<String>>(0))?
                    .filter_map(|r| r.transpose())
                    .collect()
            })
            .map_err(|e| self.err(e))?;
        let new: Vec<&(String, String, usize)> = plan
            .rows
            .iter()
            .filter(|(email, _, _)| !known.contains(&crate::address::key_of(email)))
            .collect();
        let name = &campaign.name;
        let mut adopted = Adopted::default();
        if let Some(since) = sent_since {
            if campaign.message_sha256 != plan.message_sha256 {
                return Err(self.invalid(format!(
                    "campaign '{name}' has sent its message since {since}; another message \
                     ('{}') needs a new campaign name",
                    plan.message_path
                )));
            }
            if !new.is_empty() && !plan.add_recipients {
                return Err(self.invalid(format!(
                    "recipients file '{}' holds {} address(es) campaign '{name}' does not \
                     have (the first: {}); give --add-recipients to add them, or use a new \
                     campaign name",
                    plan.list_path,
                    new.len(),
                    new[0].0
                )));
            }
            // said, not hidden: an earlier list's unsent recipients are still sent
            let keep = keys(plan.rows);
            let pending: Vec<Option<String>> = self
                .conn
                .prepare(
                    "SELECT email_key FROM recipients
                      WHERE campaign_id = ?1 AND state IN ('pending', 'deferred')",
                )
                .and_then(|mut s| s.query_map([campaign.id], |r| r.get(0))?.collect())
                .map_err(|e| self.err(e))?;
            adopted.unsent_not_listed = pending
                .iter()
                .filter(|k| !k.as_ref().is_some_and(|k| keep.contains(k)))
                .count();
        } else {
            let keep = keys(plan.rows);
            let stale: Vec<i64> = self
                .conn
                .prepare(
                    "SELECT id, email_key FROM recipients r
                      WHERE campaign_id = ?1 AND state IN ('pending', 'deferred', 'skipped')
                        AND NOT EXISTS (SELECT 1 FROM facts f WHERE f.recipient_id = r.id)",
                )
                .and_then(|mut s| {
                    s.query_map([campaign.id], |r| {
                        Ok((r.get::<_, i64>(0)?, r.get::<_, Option<String>>(1)?))
                    })?
                    .filter_map(|r| match r {
                        Ok((id, key)) if !key.as_ref().is_some_and(|k| keep.contains(k)) => {
                            Some(Ok(id))
                        }
                        Ok(_) => None,
                        Err(e) => Some(Err(e)),
                    })
                    .collect()
                })
                .map_err(|e| self.err(e))?;
            adopted.removed = self.each_in_one_transaction(
                "DELETE FROM recipients WHERE id = ?1",
                &stale,
                |s, id| s.execute([id]),
            )?;
            adopted.replaced = campaign.message_sha256 != plan.message_sha256;
            self.conn
                .execute(
                    "UPDATE campaigns SET message_sha256 = ?2, message_path = ?3, from_addr = ?4
                      WHERE id = ?1",
                    params![
                        campaign.id,
                        plan.message_sha256,
                        plan.message_path,
                        plan.from_addr
                    ],
                )
                .map_err(|e| self.err(e))?;
            campaign.message_sha256 = plan.message_sha256.to_string();
            campaign.from_addr = plan.from_addr.to_string();
        }
        adopted.added = self.add_recipients(campaign, plan.rows)?;
        Ok(adopted)
    }

    /// Makes the campaign's `deferred` recipients `pending` again, for `--retry-deferred`.
    /// Only `deferred` rows change: an accepted recipient is never sent twice. Returns
    /// how many.
    pub fn retry_deferred(&mut self, campaign: &Campaign) -> Result<usize, StoreError> {
        self.conn
            .execute(
                "UPDATE recipients SET state = 'pending' WHERE campaign_id = ?1 AND state = 'deferred'",
                [campaign.id],
            )
            .map_err(|e| self.err(e))
    }

    /// Every campaign, oldest first.
    pub fn campaign_infos(&self) -> Result<Vec<CampaignInfo>, StoreError> {
        let ids: Vec<i64> = self
            .conn
            .prepare("SELECT id FROM campaigns ORDER BY created_at, id")
            .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
            .map_err(|e| self.err(e))?;
        ids.into_iter().map(|id| self.info_by_id(id)).collect()
    }

    /// One campaign by name, if it exists.
    pub fn campaign_info(&self, name: &str) -> Result<Option<CampaignInfo>, StoreError> {
        let id: Option<i64> = self
            .conn
            .query_row("SELECT id FROM campaigns WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()
            .map_err(|e| self.err(e))?;
        id.map(|id| self.info_by_id(id)).transpose()
    }

    fn info_by_id(&self, id: i64) -> Result<CampaignInfo, StoreError> {
        let mut info = self
            .conn
            .query_row(
                "SELECT c.id, c.name, c.created_at, c.message_sha256, c.message_path, c.from_addr,
                        coalesce((SELECT max(updated_at) FROM recipients WHERE campaign_id = c.id),
                                 c.created_at)
                   FROM campaigns c WHERE c.id = ?1",
                [id],
                |r| {
                    Ok(CampaignInfo {
                        id: r.get(0)?,
                        name: r.get(1)?,
                        created_at: r.get(2)?,
                        message_sha256: r.get(3)?,
                        message_path: r.get(4)?,
                        from_addr: r.get(5)?,
                        states: Vec::new(),
                        last_activity: r.get(6)?,
                    })
                },
            )
            .map_err(|e| self.err(e))?;
        info.states = self
            .conn
            .prepare(
                "SELECT state, count(*) FROM recipients WHERE campaign_id = ?1
                  GROUP BY state ORDER BY state",
            )
            .and_then(|mut s| s.query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))?.collect())
            .map_err(|e| self.err(e))?;
        Ok(info)
    }

    /// Deletes a campaign and its recipients. Refused once anything was sent (accepted,
    /// refused, uncertain) unless `force`; then the facts stay (no longer tied to a
    /// recipient or campaign) and so does the suppression list, and the address of each
    /// copy that went out is kept (`deleted_recipients`) so its unsubscribe link works. Refused while the
    /// campaign is being sent. Returns the recipients deleted.
    pub fn delete_campaign(&mut self, name: &str, force: bool) -> Result<usize, StoreError> {
        let Some(info) = self.campaign_info(name)? else {
            return Err(self.invalid(format!("no campaign named '{name}'")));
        };
        if info.anything_sent() && !force {
            return Err(self.invalid(format!(
                "campaign '{name}' has sent messages ({} accepted, {} refused, {} uncertain); \
                 give --force to delete it anyway (its facts and suppressions are kept)",
                info.count(&["accepted"]),
                info.count(&["rejected"]),
                info.count(&["uncertain", "sending"])
            )));
        }
        // holds the campaign's send lock (and applies what a killed run left) meanwhile
        let _journal = self.open_journal(info.id, None)?;
        let path = self.path().to_path_buf();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        tx.execute(
            "UPDATE facts SET campaign_id = NULL, recipient_id = NULL WHERE campaign_id = ?1
                OR recipient_id IN (SELECT id FROM recipients WHERE campaign_id = ?1)",
            [info.id],
        )
        .map_err(sqlite)?;
        tx.execute(
            "UPDATE unsubscribes SET campaign_id = NULL, recipient_id = NULL WHERE campaign_id = ?1",
            [info.id],
        )
        .map_err(sqlite)?;
        // copies that went out carry unsubscribe links: they keep working
        tx.execute(
            &format!(
                "INSERT OR IGNORE INTO deleted_recipients (campaign_id, recipient_id, campaign, email, email_key)
                 SELECT ?1, id, ?2, email, email_key FROM recipients
                  WHERE campaign_id = ?1 AND state IN ({SENT_STATES})"
            ),
            params![info.id, info.name],
        )
        .map_err(sqlite)?;
        let n = tx
            .execute("DELETE FROM recipients WHERE campaign_id = ?1", [info.id])
            .map_err(sqlite)?;
        tx.execute("DELETE FROM campaigns WHERE id = ?1", [info.id])
            .map_err(sqlite)?;
        // its id is not given to a later campaign (see `Store::campaign`)
        tx.execute(
            "INSERT INTO settings (key, value) VALUES ('deleted_campaign_id', ?1)
             ON CONFLICT (key) DO UPDATE SET value = max(value, excluded.value)",
            [info.id],
        )
        .map_err(sqlite)?;
        tx.commit().map_err(sqlite)?;
        Ok(n)
    }

    pub(crate) fn invalid(&self, message: String) -> StoreError {
        StoreError::Invalid {
            path: self.path().to_path_buf(),
            message,
        }
    }
}

#[cfg(test)]
#[path = "campaign_admin_tests.rs"]
mod tests;
