//! The hygiene policy applied to facts: each fact gets a verdict, and an address is
//! suppressed when its facts call for it (at once, or after N soft bounces in D days
//! with no success since). Blocklist and reputation rejections never suppress anyone.

mod policy;

pub use policy::{Policy, PolicyError, DEFAULT_POLICY};

use crate::correlate::MatchKey;
use crate::decode::Reason;
use crate::store::{FactRow, Judge, NewFact, StoreError, Tx};

pub use crate::store::Verdict;

/// What the policy looks at in a fact.
#[derive(Debug, Clone, Copy)]
pub struct FactView<'a> {
    pub key: MatchKey,
    pub reason: Reason,
    pub action: Option<&'a str>,
    pub blocklist: bool,
    /// A DSN for a recipient whose rejection `send` already recorded.
    pub duplicate: bool,
}

impl Policy {
    /// The verdict for one fact; the order of the checks is the policy's precedence.
    pub fn classify(&self, f: FactView) -> Verdict {
        match f.key {
            MatchKey::Suspect => return Verdict::Suspect,
            MatchKey::Unmatched => return Verdict::Unmatched,
            _ => {}
        }
        let action = f.action.unwrap_or("").to_ascii_lowercase();
        if matches!(action.as_str(), "delivered" | "relayed" | "expanded")
            || f.reason == Reason::Delivered
        {
            return Verdict::Success;
        }
        if action == "delayed" {
            return Verdict::Delayed;
        }
        if f.duplicate {
            return Verdict::Duplicate;
        }
        if f.blocklist || self.reputation.contains(&f.reason) {
            return Verdict::Reputation;
        }
        if self.ignore.contains(&f.reason) {
            return Verdict::Ignore;
        }
        if f.key > self.weakest_key {
            return Verdict::Weak;
        }
        if self.suppress.contains(&f.reason) {
            Verdict::Suppress
        } else if self.soft.contains(&f.reason) {
            Verdict::Soft
        } else {
            Verdict::Record
        }
    }

    /// The verdict of a stored fact under this policy (for previews of another policy).
    pub fn reclassify(&self, f: &FactRow) -> Verdict {
        if f.verdict == Verdict::Duplicate {
            return Verdict::Duplicate;
        }
        self.classify(FactView {
            key: f.matched_by,
            reason: f.reason,
            action: f.action.as_deref(),
            blocklist: f.blocklist.is_some(),
            duplicate: false,
        })
    }

    /// Whether an address with these facts (oldest first, verdicts as given by `verdict`)
    /// is to be suppressed, and why: (reason, evidence).
    pub fn decide(
        &self,
        facts: &[FactRow],
        last_accepted: Option<&str>,
        verdict: impl Fn(&FactRow) -> Verdict,
    ) -> Option<(Reason, String)> {
        if let Some(f) = facts.iter().find(|f| verdict(f) == Verdict::Suppress) {
            return Some((
                f.reason,
                format!("fact {} matched by {}: {}", f.id, f.matched_by, f.evidence),
            ));
        }
        // The soft count restarts after the last success (success DSN or accepted send).
        let mut reset = last_accepted.unwrap_or_default().to_string();
        for f in facts {
            if verdict(f) == Verdict::Success && f.created_at > reset {
                reset = f.created_at.clone();
            }
        }
        let soft: Vec<&FactRow> = facts
            .iter()
            // `>=`: a send is stored truncated to its second, so a bounce recorded in
            // that same second (even at .000) came after it
            .filter(|f| f.recent && verdict(f) == Verdict::Soft && f.created_at >= reset)
            .collect();
        if soft.len() as u32 >= self.soft_count {
            let last = soft.last()?;
            let ids: Vec<String> = soft.iter().map(|f| f.id.to_string()).collect();
            return Some((
                last.reason,
                format!(
                    "{} soft bounces within {} days (facts {})",
                    soft.len(),
                    self.soft_days,
                    ids.join(", ")
                ),
            ));
        }
        None
    }

    /// After new facts of `email` were written in `tx`: suppresses it when the policy says
    /// so. Returns true when the address was newly added to the list.
    pub fn apply(&self, tx: &Tx, email: &str) -> Result<bool, StoreError> {
        self.apply_as(tx, email, "poll")
    }

    /// `apply`, naming who adds the entry (`poll`, `send`).
    pub fn apply_as(&self, tx: &Tx, email: &str, source: &str) -> Result<bool, StoreError> {
        let facts = tx.facts_for(email, self.soft_days)?;
        let accepted = tx.last_accepted(email, self.soft_days)?;
        match self.decide(&facts, accepted.as_deref(), |f| f.verdict) {
            Some((reason, evidence)) => {
                tx.suppress(email, reason.as_str(), source, Some(&evidence))
            }
            None => Ok(false),
        }
    }

    /// The verdict of a refusal at submission.
    fn refusal_verdict(&self, reason: Reason, blocklist: bool) -> Verdict {
        self.classify(FactView {
            key: MatchKey::Sync,
            reason,
            action: Some("failed"),
            blocklist,
            duplicate: false,
        })
    }

    /// Judges the refusal facts stored without a verdict (a killed `send` whose journal a
    /// later open applied) and the refusals of stores older than refusal facts, in `tx`.
    /// Returns how many were judged.
    pub fn settle_refusals(&self, tx: &Tx) -> Result<usize, StoreError> {
        tx.import_sync_rejections()?;
        let open = tx.unjudged_refusals()?;
        for (id, email, reason, blocklist) in &open {
            let v = self.refusal_verdict(*reason, *blocklist);
            tx.set_verdict(*id, v)?;
            if matches!(v, Verdict::Suppress | Verdict::Soft) {
                self.apply_as(tx, email, "send")?;
            }
        }
        Ok(open.len())
    }
}

/// The policy judges `send`'s refusals in the transaction that records them.
impl Judge for Policy {
    fn verdict(&self, fact: &NewFact) -> Verdict {
        self.refusal_verdict(fact.reason, fact.blocklist.is_some())
    }

    fn settle(&self, tx: &Tx, email: &str) -> Result<bool, StoreError> {
        self.apply_as(tx, email, "send")
    }
}

#[cfg(test)]
mod tests;
