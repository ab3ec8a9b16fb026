//! The SQLite store: campaigns, per-recipient send state, bounces, the suppression list.
//! Schema changes are migrations applied in order at open; every write that must not be
//! lost is one transaction.

mod campaigns;
mod facts;
mod journal;
mod refusals;
mod reports;
mod schema;
mod suppressions;
mod values;

pub use campaigns::{Campaign, Outcome, Planted, RecipientRow, SendState};
pub use facts::{Checkpoint, FactRow, NewFact, SendRef, Tx};
pub use journal::{Applier, Journal};
pub use refusals::Judge;
pub use reports::{FactDetail, SentRow};
pub use suppressions::Suppression;
pub use values::{MatchKey, Verdict};

use rusqlite::Connection;
use std::path::{Path, PathBuf};

/// Errors of the store, naming the database file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database '{path}': {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error("database '{path}': {message}")]
    Invalid { path: PathBuf, message: String },
}

/// An open store.
pub struct Store {
    pub(crate) conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating when missing) the database and applies pending migrations.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        let conn = Connection::open(path).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        store.init()?;
        store.apply_left_journals()?;
        Ok(store)
    }

    /// An in-memory store, for tests.
    pub fn in_memory() -> Result<Store, StoreError> {
        let conn = Connection::open_in_memory().map_err(|source| StoreError::Sqlite {
            path: PathBuf::from(":memory:"),
            source,
        })?;
        let mut store = Store {
            conn,
            path: PathBuf::from(":memory:"),
        };
        store.init()?;
        Ok(store)
    }

    fn init(&mut self) -> Result<(), StoreError> {
        // WAL lets a reader (report) run beside a writer (send, poll); busy_timeout makes
        // a second writer wait instead of failing at once.
        self.conn
            .pragma_update(None, "journal_mode", "WAL")
            // In WAL mode NORMAL keeps every commit across a crash of the process (a kill);
            // only an operating-system crash can lose the last ones.
            .and_then(|_| self.conn.pragma_update(None, "synchronous", "NORMAL"))
            .and_then(|_| self.conn.pragma_update(None, "foreign_keys", "ON"))
            .and_then(|_| self.conn.busy_timeout(std::time::Duration::from_secs(30)))
            .map_err(|e| self.err(e))?;
        schema::migrate(&mut self.conn).map_err(|e| self.err(e))
    }

    /// Runs one statement once per item, all in one transaction; returns the rows changed.
    pub(crate) fn each_in_one_transaction<T>(
        &mut self,
        sql: &str,
        items: &[T],
        run: impl Fn(&mut rusqlite::Statement, &T) -> rusqlite::Result<usize>,
    ) -> Result<usize, StoreError> {
        let path = self.path.clone();
        let sqlite = |source| StoreError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self.conn.transaction().map_err(sqlite)?;
        let mut changed = 0;
        {
            let mut stmt = tx.prepare(sql).map_err(sqlite)?;
            for item in items {
                changed += run(&mut stmt, item).map_err(sqlite)?;
            }
        }
        tx.commit().map_err(sqlite)?;
        Ok(changed)
    }

    pub(crate) fn err(&self, source: rusqlite::Error) -> StoreError {
        StoreError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// The VERP secret of this database: made from the system's random source at first
    /// use and kept, so `send` and `poll` on the same store agree without configuration.
    pub fn verp_secret(&mut self) -> Result<Vec<u8>, StoreError> {
        use rusqlite::OptionalExtension;
        let found: Option<Vec<u8>> = self
            .conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'verp_secret'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        if let Some(s) = found {
            return Ok(s);
        }
        let mut secret = vec![0u8; 32];
        use std::io::Read;
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| f.read_exact(&mut secret))
            .map_err(|e| StoreError::Invalid {
                path: self.path.clone(),
                message: format!("cannot read /dev/urandom for a VERP secret: {e}"),
            })?;
        self.conn
            .execute(
                "INSERT OR IGNORE INTO settings (key, value) VALUES ('verp_secret', ?1)",
                [&secret],
            )
            .map_err(|e| self.err(e))?;
        // Another process may have won the race: read back what is stored.
        self.conn
            .query_row(
                "SELECT value FROM settings WHERE key = 'verp_secret'",
                [],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
