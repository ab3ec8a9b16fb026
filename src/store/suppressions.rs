//! The suppression list: addresses never to be sent to again, each with why and when.

use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};

/// One suppressed address.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Suppression {
    pub email: String,
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
    })
}

impl Store {
    /// The whole list, by address.
    pub fn suppressions(&self) -> Result<Vec<Suppression>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT email, reason, source, evidence, created_at FROM suppressions ORDER BY email")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], row)
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// The entry of an address, if suppressed.
    pub fn suppression(&self, email: &str) -> Result<Option<Suppression>, StoreError> {
        self.conn
            .query_row(
                "SELECT email, reason, source, evidence, created_at FROM suppressions WHERE email = lower(?1)",
                [email.trim()],
                row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Removes an address; false when it was not there.
    pub fn unsuppress(&mut self, email: &str) -> Result<bool, StoreError> {
        self.conn
            .execute(
                "DELETE FROM suppressions WHERE email = lower(?1)",
                [email.trim()],
            )
            .map(|n| n > 0)
            .map_err(|e| self.err(e))
    }

    /// Adds many entries in one transaction (existing addresses are kept as they are).
    /// Returns how many were new.
    pub fn import_suppressions(&mut self, rows: &[Suppression]) -> Result<usize, StoreError> {
        self.each_in_one_transaction(
            "INSERT OR IGNORE INTO suppressions (email, reason, source, evidence, created_at)
             VALUES (lower(?1), ?2, ?3, ?4,
                CASE WHEN ?5 = '' THEN strftime('%Y-%m-%dT%H:%M:%SZ','now') ELSE ?5 END)",
            rows,
            |stmt, s| {
                let source = if s.source.is_empty() {
                    "import"
                } else {
                    &s.source
                };
                stmt.execute(params![
                    s.email.trim(),
                    s.reason,
                    source,
                    s.evidence,
                    s.created_at
                ])
            },
        )
    }
}

impl Store {
    /// Every suppressed address (lower case) with its reason, for bulk lookups (list
    /// cleaning looks up millions of rows).
    pub fn suppressed_all(&self) -> Result<std::collections::HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT email, reason FROM suppressions")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = std::collections::HashMap::new();
        for r in rows {
            let (email, reason) = r.map_err(|e| self.err(e))?;
            out.insert(email, reason);
        }
        Ok(out)
    }
}
