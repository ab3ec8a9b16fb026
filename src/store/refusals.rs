//! A refusal at submission (`send`'s 5xx at RCPT or DATA) becomes a fact in the same
//! transaction that records it, read by the decoder's reply rules (reason, status,
//! blocklist and listed IP, diagnostic), and is judged there by the hygiene policy that
//! the layer above hands in as a `Judge`. So `suppress check`, `clean` and the next
//! campaign are right the moment `send` ends, with no bounce mailbox at all.

use super::campaigns::Outcome;
use super::facts::{NewFact, Tx};
use super::values::{MatchKey, Verdict};
use super::StoreError;
use rusqlite::{params, OptionalExtension};

/// Judges facts for the layer above (the hygiene policy); the store knows no policy.
pub trait Judge: Send + Sync {
    /// The verdict of a new fact (`suppress`, `soft`, `reputation`, ...).
    fn verdict(&self, fact: &NewFact) -> Verdict;
    /// After the fact is written: suppresses its address when the policy says so.
    /// Returns true when the address was newly suppressed.
    fn settle(&self, tx: &Tx, email: &str) -> Result<bool, StoreError>;
}

/// Evidence text of a refusal fact.
const MODULE: &str = "send: refused at submission";

/// Records recipient `id`'s refusal as a fact (once: a segment applied again changes
/// nothing) and judges it when a judge is given. The reason (`o.reason`, read by the
/// caller) and `o.hard` are what `send` decided from the reply and the command it
/// answered; the reply is read again with that command for what the journal does not
/// carry (status, blocklist, the rule), so the evidence names the rule that decided.
pub(super) fn record(
    tx: &Tx,
    id: i64,
    o: &Outcome,
    reason: crate::decode::Reason,
    at: i64,
    judge: Option<&dyn Judge>,
) -> Result<(), StoreError> {
    if tx.has_sync_fact(id)? {
        return Ok(());
    }
    let Some((campaign_id, email)) = tx
        .conn()
        .query_row(
            "SELECT campaign_id, coalesce(email_key, email) FROM recipients WHERE id = ?1",
            [id],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()
        .map_err(|e| tx.err(e))?
    else {
        return Ok(());
    };
    let reply = o.reply.unwrap_or("");
    let read = crate::decode::reply_facts(reply, o.command);
    let mut fact = NewFact {
        email: Some(email.clone()),
        matched_by: MatchKey::Sync,
        campaign_id: Some(campaign_id),
        recipient_id: Some(id),
        action: Some("failed".into()),
        reason,
        hard: o.hard.unwrap_or(false),
        status: read.status,
        diagnostic: Some(reply.to_string()),
        feedback_type: None,
        blocklist: read.blocklist.as_ref().map(|b| b.list.clone()),
        listed_ip: read.blocklist.and_then(|b| b.listed_ip),
        evidence: format!("{MODULE}: {}", read.rule),
        verdict: Verdict::Unjudged,
        remote_mta: None,
    };
    if let Some(j) = judge {
        fact.verdict = j.verdict(&fact);
    }
    let fact_id = tx.insert_fact(None, &fact)?;
    tx.conn()
        .execute(
            "UPDATE facts SET created_at = strftime('%Y-%m-%dT%H:%M:%fZ', ?2, 'unixepoch') WHERE id = ?1",
            params![fact_id, at],
        )
        .map_err(|e| tx.err(e))?;
    if let Some(j) = judge {
        j.settle(tx, &email)?;
    }
    Ok(())
}
