//! Reading the suppression list in bulk (list cleaning looks up millions of rows).

use super::{Store, StoreError};
use std::collections::HashMap;

impl Store {
    /// Every suppressed address (lower case) with its reason.
    pub fn suppressed_all(&self) -> Result<HashMap<String, String>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT email, reason FROM suppressions")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(|e| self.err(e))?;
        let mut out = HashMap::new();
        for r in rows {
            let (email, reason) = r.map_err(|e| self.err(e))?;
            out.insert(email, reason);
        }
        Ok(out)
    }
}
