//! Blocklist listings over time: the last known state of each (target, list) and every
//! change (newly listed, delisted) with its time, for `run`'s scheduled checks and the
//! reports. Only answers count: a timeout or a refusal changes nothing.

use super::{Store, StoreError};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// One definite answer of one list about one target.
#[derive(Debug, Clone)]
pub struct Observation {
    pub target: String,
    /// The list's zone.
    pub list: String,
    pub listed: bool,
    /// Return codes with their meanings, as shown to people.
    pub codes: String,
    pub txt: String,
}

/// A change of listing, as recorded.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ListingChange {
    pub target: String,
    pub list: String,
    /// `listed` or `delisted`.
    pub change: String,
    pub codes: String,
    pub txt: String,
    /// UTC, `2026-12-02T04:29:18.000Z`.
    pub at: String,
}

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%fZ','now')";

impl Store {
    /// Records answers and returns the changes they make, all in one transaction, at `at`
    /// (UTC, the store's format) or now. A target never seen before that is not listed
    /// is no change; one that is listed is "listed".
    pub fn record_listings(
        &mut self,
        observations: &[Observation],
        at: Option<&str>,
    ) -> Result<Vec<ListingChange>, StoreError> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| StoreError::Sqlite {
            path: path.clone(),
            source: e,
        };
        let tx = self.conn.transaction().map_err(err)?;
        let at: String = match at {
            Some(a) => a.to_string(),
            None => tx
                .query_row(&format!("SELECT {NOW}"), [], |r| r.get(0))
                .map_err(err)?,
        };
        let mut changes = Vec::new();
        for o in observations {
            let before: Option<bool> = tx
                .query_row(
                    "SELECT listed FROM blocklist_status WHERE target = ?1 AND list = ?2",
                    params![o.target, o.list],
                    |r| r.get::<_, i64>(0).map(|v| v != 0),
                )
                .optional()
                .map_err(err)?;
            let change = match (before, o.listed) {
                (None, true) | (Some(false), true) => Some("listed"),
                (Some(true), false) => Some("delisted"),
                _ => None,
            };
            tx.execute(
                "INSERT INTO blocklist_status (target, list, listed, codes, txt, checked_at, since)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
                 ON CONFLICT (target, list) DO UPDATE SET
                    listed = excluded.listed, codes = excluded.codes, txt = excluded.txt,
                    checked_at = excluded.checked_at,
                    since = CASE WHEN blocklist_status.listed = excluded.listed
                                 THEN blocklist_status.since ELSE excluded.since END",
                params![o.target, o.list, o.listed as i64, o.codes, o.txt, at],
            )
            .map_err(err)?;
            if let Some(change) = change {
                tx.execute(
                    "INSERT INTO blocklist_changes (target, list, change, codes, txt, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![o.target, o.list, change, o.codes, o.txt, at],
                )
                .map_err(err)?;
                changes.push(ListingChange {
                    target: o.target.clone(),
                    list: o.list.clone(),
                    change: change.to_string(),
                    codes: o.codes.clone(),
                    txt: o.txt.clone(),
                    at: at.clone(),
                });
            }
        }
        tx.commit().map_err(err)?;
        Ok(changes)
    }

    /// Changes recorded from `from` (inclusive) to `to` (exclusive; `None`: up to now),
    /// oldest first.
    pub fn listing_changes_between(
        &self,
        from: &str,
        to: Option<&str>,
    ) -> Result<Vec<ListingChange>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT target, list, change, codes, txt, at FROM blocklist_changes
                 WHERE at >= ?1 AND (?2 IS NULL OR at < ?2) ORDER BY at, id",
            )
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map(params![from, to], |r| {
                Ok(ListingChange {
                    target: r.get(0)?,
                    list: r.get(1)?,
                    change: r.get(2)?,
                    codes: r.get(3)?,
                    txt: r.get(4)?,
                    at: r.get(5)?,
                })
            })
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }

    /// The time `days` days ago, in the store's format.
    pub fn days_ago(&self, days: u32) -> Result<String, StoreError> {
        self.conn
            .query_row(
                "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?1)",
                [format!("-{days} days")],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// `at` moved by `days` (negative: earlier), in the store's format; an `at` SQLite
    /// cannot read is an error naming it.
    pub fn time_shifted(&self, at: &str, days: i64) -> Result<String, StoreError> {
        let t: Option<String> = self
            .conn
            .query_row(
                "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', ?1, ?2)",
                params![at, format!("{days:+} days")],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        t.ok_or_else(|| StoreError::Invalid {
            path: self.path.clone(),
            message: format!("'{at}' is not a time"),
        })
    }

    /// Every campaign with the time it was created, oldest first: (id, name, created_at).
    pub fn campaign_times(&self) -> Result<Vec<(i64, String, String)>, StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT id, name, created_at FROM campaigns ORDER BY created_at, id")
            .map_err(|e| self.err(e))?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .map_err(|e| self.err(e))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| self.err(e))?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(listed: bool) -> Observation {
        Observation {
            target: "192.0.2.2".into(),
            list: "zen.spamhaus.org".into(),
            listed,
            codes: if listed {
                "127.0.0.2 SBL".into()
            } else {
                String::new()
            },
            txt: String::new(),
        }
    }

    #[test]
    fn only_changes_are_recorded_with_their_time() {
        let mut s = Store::in_memory().unwrap();
        let t = |d: u32| format!("2026-11-{d:02}T10:00:00.000Z");
        // first sight, not listed: no change
        assert!(s
            .record_listings(&[obs(false)], Some(&t(1)))
            .unwrap()
            .is_empty());
        let c = s.record_listings(&[obs(true)], Some(&t(2))).unwrap();
        assert_eq!(c.len(), 1);
        assert_eq!(
            (c[0].change.as_str(), c[0].at.as_str()),
            ("listed", t(2).as_str())
        );
        assert!(s
            .record_listings(&[obs(true)], Some(&t(3)))
            .unwrap()
            .is_empty());
        let c = s.record_listings(&[obs(false)], Some(&t(4))).unwrap();
        assert_eq!(c[0].change, "delisted");
        let all = s.listing_changes_between(&t(1), None).unwrap();
        assert_eq!(
            all.iter().map(|c| c.change.as_str()).collect::<Vec<_>>(),
            ["listed", "delisted"]
        );
        let window = s.listing_changes_between(&t(3), Some(&t(5))).unwrap();
        assert_eq!(window.len(), 1);
        assert_eq!(window[0].at, t(4));
        // a new store's first check that finds a listing reports it
        let mut s2 = Store::in_memory().unwrap();
        assert_eq!(
            s2.record_listings(&[obs(true)], None).unwrap()[0].change,
            "listed"
        );
    }
}
