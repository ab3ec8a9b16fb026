//! The typed values that cross the store: a fact's reason, the key that tied it to a
//! send, the policy's verdict, and a recipient's send state. Each is written as its
//! name and read back through `FromSql`: a stored value that names no variant is an
//! error naming the column's text, never a silent fallback.
//!
//! `MatchKey` and `Verdict` are defined here, where they are stored; `correlate` and
//! `hygiene` re-export them as their own vocabulary.

use super::campaigns::SendState;
use crate::decode::Reason;
use rusqlite::types::{FromSql, FromSqlError, FromSqlResult, ToSql, ToSqlOutput, ValueRef};

/// The key that tied a fact to a send, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum MatchKey {
    /// The synchronous rejection `send` recorded itself.
    Sync,
    Verp,
    Envid,
    QueueId,
    MessageId,
    XHeader,
    Address,
    /// Nothing matched: kept for people to look at.
    Unmatched,
    /// A VERP token whose signature is wrong: possibly forged; never acted on.
    Suspect,
}

impl MatchKey {
    pub const ALL: [MatchKey; 9] = [
        MatchKey::Sync,
        MatchKey::Verp,
        MatchKey::Envid,
        MatchKey::QueueId,
        MatchKey::MessageId,
        MatchKey::XHeader,
        MatchKey::Address,
        MatchKey::Unmatched,
        MatchKey::Suspect,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            MatchKey::Sync => "sync",
            MatchKey::Verp => "verp",
            MatchKey::Envid => "envid",
            MatchKey::QueueId => "queue_id",
            MatchKey::MessageId => "message_id",
            MatchKey::XHeader => "x_header",
            MatchKey::Address => "address",
            MatchKey::Unmatched => "unmatched",
            MatchKey::Suspect => "suspect",
        }
    }

    pub fn parse(s: &str) -> Option<MatchKey> {
        MatchKey::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether the key tied the fact to a send.
    pub fn matched(self) -> bool {
        !matches!(self, MatchKey::Unmatched | MatchKey::Suspect)
    }
}

/// What the policy makes of one fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Verdict {
    /// Suppress the address now.
    Suppress,
    /// Counts toward the soft limit.
    Soft,
    /// Recorded only (the policy's ignore list).
    Ignore,
    /// The sender's reputation or a blocklist: counted per sender and list, never per address.
    Reputation,
    /// A successful delivery: resets the soft count.
    Success,
    /// A delay report: the message may still arrive.
    Delayed,
    /// The same rejection `send` already recorded at submission.
    Duplicate,
    /// Matched only by a key weaker than the policy allows to act on.
    Weak,
    /// Tied to no send.
    Unmatched,
    /// A VERP token with a bad signature.
    Suspect,
    /// A reason the policy does not name: recorded only.
    Record,
    /// Not judged yet: a refusal whose journal a plain open applied (`send` or `poll`
    /// judges it next).
    Unjudged,
}

impl Verdict {
    pub const ALL: [Verdict; 12] = [
        Verdict::Suppress,
        Verdict::Soft,
        Verdict::Ignore,
        Verdict::Reputation,
        Verdict::Success,
        Verdict::Delayed,
        Verdict::Duplicate,
        Verdict::Weak,
        Verdict::Unmatched,
        Verdict::Suspect,
        Verdict::Record,
        Verdict::Unjudged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::Suppress => "suppress",
            Verdict::Soft => "soft",
            Verdict::Ignore => "ignore",
            Verdict::Reputation => "reputation",
            Verdict::Success => "success",
            Verdict::Delayed => "delayed",
            Verdict::Duplicate => "duplicate",
            Verdict::Weak => "weak",
            Verdict::Unmatched => "unmatched",
            Verdict::Suspect => "suspect",
            Verdict::Record => "record",
            Verdict::Unjudged => "pending",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

impl std::fmt::Display for MatchKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::fmt::Display for Verdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Reads a column's text and turns it into `T`, or fails naming what was stored.
fn from_text<T>(
    v: ValueRef<'_>,
    what: &str,
    parse: impl Fn(&str) -> Option<T>,
) -> FromSqlResult<T> {
    let s = v.as_str()?;
    parse(s).ok_or_else(|| FromSqlError::Other(format!("'{s}' is not a {what}").into()))
}

macro_rules! sql_by_name {
    ($t:ty, $what:literal, $parse:expr) => {
        impl ToSql for $t {
            fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
                Ok(ToSqlOutput::from(self.as_str()))
            }
        }
        impl FromSql for $t {
            fn column_result(v: ValueRef<'_>) -> FromSqlResult<Self> {
                from_text(v, $what, $parse)
            }
        }
    };
}

sql_by_name!(MatchKey, "match key", MatchKey::parse);
sql_by_name!(Verdict, "verdict", Verdict::parse);
sql_by_name!(SendState, "send state", SendState::parse);
sql_by_name!(Reason, "reason", |s: &str| s.parse::<Reason>().ok());

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_reads_back_and_a_stranger_is_an_error() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        for k in MatchKey::ALL {
            let back: MatchKey = conn.query_row("SELECT ?1", [k], |r| r.get(0)).unwrap();
            assert_eq!(back, k);
        }
        for v in Verdict::ALL {
            let back: Verdict = conn.query_row("SELECT ?1", [v], |r| r.get(0)).unwrap();
            assert_eq!(back, v);
        }
        let back: Reason = conn
            .query_row("SELECT ?1", [Reason::MailboxFull], |r| r.get(0))
            .unwrap();
        assert_eq!(back, Reason::MailboxFull);
        let err = conn
            .query_row("SELECT 'supress'", [], |r| r.get::<_, Verdict>(0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'supress' is not a verdict"), "{err}");
        let err = conn
            .query_row("SELECT 'bounced'", [], |r| r.get::<_, SendState>(0))
            .unwrap_err()
            .to_string();
        assert!(err.contains("'bounced' is not a send state"), "{err}");
    }
}
