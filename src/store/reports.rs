//! Read-only queries behind the reports: a campaign's recipients and the facts tied to
//! them, facts over a time window, and the facts that tied to nothing.

use super::{NewFact, Store, StoreError};
use rusqlite::params;

/// One recipient's send record.
#[derive(Debug, Clone)]
pub struct SentRow {
    pub recipient_id: i64,
    pub email: String,
    pub state: super::SendState,
    pub reply: Option<String>,
    pub receipt_id: Option<String>,
    pub reason: Option<String>,
    pub updated_at: Option<String>,
}

/// One stored fact with the time it was recorded.
#[derive(Debug, Clone)]
pub struct FactDetail {
    pub fact: NewFact,
    pub created_at: String,
}

impl std::ops::Deref for FactDetail {
    type Target = NewFact;
    fn deref(&self) -> &NewFact {
        &self.fact
    }
}

const FACT_COLUMNS: &str =
    "campaign_id, recipient_id, email, matched_by, action, reason, hard, status,
    diagnostic, feedback_type, blocklist, listed_ip, evidence, verdict, created_at, remote_mta";

fn fact(r: &rusqlite::Row) -> rusqlite::Result<FactDetail> {
    Ok(FactDetail {
        fact: NewFact {
            campaign_id: r.get(0)?,
            recipient_id: r.get(1)?,
            email: r.get(2)?,
            matched_by: r.get(3)?,
            action: r.get(4)?,
            reason: r.get(5)?,
            hard: r.get::<_, i64>(6)? != 0,
            status: r.get(7)?,
            diagnostic: r.get(8)?,
            feedback_type: r.get(9)?,
            blocklist: r.get(10)?,
            listed_ip: r.get(11)?,
            evidence: r.get(12)?,
            verdict: r.get(13)?,
            remote_mta: r.get(15)?,
        },
        created_at: r.get(14)?,
    })
}

impl Store {
    /// The recipients of a campaign with their send state, in list order.
    pub fn sent_rows(&self, campaign_id: i64) -> Result<Vec<SentRow>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, email, state, reply, receipt_id, reason, updated_at FROM recipients
                 WHERE campaign_id = ?1 ORDER BY line, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([campaign_id], |r| {
                Ok(SentRow {
                    recipient_id: r.get(0)?,
                    email: r.get(1)?,
                    state: r.get(2)?,
                    reply: r.get(3)?,
                    receipt_id: r.get(4)?,
                    reason: r.get(5)?,
                    updated_at: r.get(6)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// The facts tied to a campaign, oldest first.
    pub fn campaign_facts(&self, campaign_id: i64) -> Result<Vec<FactDetail>, StoreError> {
        self.fact_query(
            &format!(
                "SELECT {FACT_COLUMNS} FROM facts WHERE campaign_id = ?1 ORDER BY created_at, id"
            ),
            params![campaign_id],
        )
    }

    /// Facts recorded in the last `days` days, oldest first.
    pub fn facts_since(&self, days: u32) -> Result<Vec<FactDetail>, StoreError> {
        self.fact_query(
            &format!(
                "SELECT {FACT_COLUMNS} FROM facts
                 WHERE created_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1) ORDER BY created_at, id"
            ),
            params![format!("-{days} days")],
        )
    }

    /// Recipients answered in the last `days` days: (accepted, refused at submission).
    pub fn answered_since(&self, days: u32) -> Result<(usize, usize), StoreError> {
        self.conn
            .query_row(
                "SELECT count(*) FILTER (WHERE state = 'accepted'),
                        count(*) FILTER (WHERE state = 'rejected')
                   FROM recipients
                  WHERE updated_at >= strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
                [format!("-{days} days")],
                |r| Ok((r.get::<_, i64>(0)? as usize, r.get::<_, i64>(1)? as usize)),
            )
            .map_err(|e| self.err(e))
    }

    /// Facts tied to no send, or whose VERP signature was wrong.
    pub fn unmatched_facts(&self) -> Result<Vec<FactDetail>, StoreError> {
        self.fact_query(
            &format!(
                "SELECT {FACT_COLUMNS} FROM facts WHERE matched_by IN ('unmatched', 'suspect')
                 ORDER BY created_at, id"
            ),
            params![],
        )
    }

    /// Names of every campaign, newest first.
    pub fn campaign_names(&self) -> Result<Vec<(i64, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name FROM campaigns ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    fn fact_query(
        &self,
        sql: &str,
        p: impl rusqlite::Params,
    ) -> Result<Vec<FactDetail>, StoreError> {
        let mut stmt = self.conn.prepare(sql).map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(p, fact)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }
}

/// What `/metrics` shows from the store.
#[derive(Debug, Clone, Default)]
pub struct MetricCounts {
    /// (reason, source: the evidence's module, count) of the facts.
    pub facts: Vec<(String, String, i64)>,
    /// (source: `poll` or the webhook's provider, outcome, count) of messages read.
    pub messages: Vec<(String, String, i64)>,
    /// (send state, count) of campaign recipients.
    pub sends: Vec<(String, i64)>,
    pub suppressions: i64,
}

impl Store {
    /// Facts by reason and source (`rfc3464`, `postfix`, `mailgun`, ...), messages read by
    /// source and outcome, recipients by send state, and the suppression list's size.
    pub fn metric_counts(&self) -> Result<MetricCounts, StoreError> {
        let rows3 = |sql: &str| -> Result<Vec<(String, String, i64)>, StoreError> {
            let mut stmt = self.conn.prepare_cached(sql).map_err(|e| self.err(e))?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
                .map_err(|e| self.err(e))?
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| self.err(e));
            rows
        };
        let facts = rows3(
            "SELECT reason, CASE WHEN instr(evidence, ':') > 0
                                 THEN substr(evidence, 1, instr(evidence, ':') - 1)
                                 ELSE evidence END, count(*)
             FROM facts GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let messages = rows3(
            "SELECT CASE WHEN folder = 'webhook' THEN account ELSE 'poll' END, outcome, count(*)
             FROM messages GROUP BY 1, 2 ORDER BY 1, 2",
        )?;
        let sends = rows3("SELECT state, '', count(*) FROM recipients GROUP BY 1 ORDER BY 1")?
            .into_iter()
            .map(|(s, _, n)| (s, n))
            .collect();
        let suppressions = self
            .conn
            .query_row("SELECT count(*) FROM suppressions", [], |r| r.get(0))
            .map_err(|e| self.err(e))?;
        Ok(MetricCounts {
            facts,
            messages,
            sends,
            suppressions,
        })
    }
}
