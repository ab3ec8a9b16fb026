//! The SQLite store: campaigns, per-recipient send state, bounces, the suppression list.
//! Schema changes are migrations applied in order at open; every write that must not be
//! lost is one transaction.

mod campaign_admin;
mod campaigns;
mod erasure;
mod facts;
mod journal;
mod listings;
mod refusals;
mod reports;
mod schema;
mod suppressions;
mod unsubscribes;
mod values;

pub use campaign_admin::{Adopted, CampaignInfo, RunPlan};
pub use campaigns::{Campaign, Outcome, Planted, RecipientRow, SendState};
pub use erasure::{Forgotten, Pruned};
pub use facts::{Checkpoint, FactRow, NewFact, SendRef, Tx};
pub use journal::{Applier, Journal};
pub use listings::{ListingChange, Observation};
pub use refusals::Judge;
pub use reports::{FactDetail, MetricCounts, SentRow};
pub use suppressions::{is_hashed, is_valid_hashed, SuppressedSet, Suppression};
pub use unsubscribes::{Unsubscribed, UNSUBSCRIBED};
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
    #[error(
        "database '{path}' has schema version {found}, newer than this rebound's {supported}: \
         it was written by a newer rebound; use that one (this one would misread it)"
    )]
    TooNew {
        path: PathBuf,
        found: i64,
        supported: usize,
    },
    #[error(
        "database '{path}' has schema version {found}, older than this rebound's {supported}, \
         and cannot be upgraded where it is (read-only); run rebound where it may write it"
    )]
    TooOldReadOnly {
        path: PathBuf,
        found: i64,
        supported: usize,
    },
    #[error("no store at '{path}' (give --db; send, poll and suppress add/import create one)")]
    Missing { path: PathBuf },
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

    /// Opens an existing store for reading, never creating one. Where the store may be
    /// written it is opened as by [`Store::open`] (migrations, and a killed send's journal
    /// applied, so the answer includes it); in a read-only folder or file it is opened
    /// read-only, as it is, and a journal left there is reported, not applied.
    pub fn open_existing(path: &Path) -> Result<Store, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        if writable(path) {
            return Store::open(path);
        }
        Store::open_read_only(path)
    }

    /// Opens a store read-only: no schema change, no journal replay, no `-wal`/`-shm`
    /// files made when the folder does not allow them.
    pub fn open_read_only(path: &Path) -> Result<Store, StoreError> {
        use rusqlite::OpenFlags;
        let sqlite = |source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_URI;
        let plain = Connection::open_with_flags(path, flags).and_then(|c| {
            // A WAL database in a folder where its `-shm` file cannot be made fails here,
            // at the first read, not at open.
            schema::version(&c).map(|_| c)
        });
        let conn = match plain {
            Ok(c) => c,
            // Nobody can be writing a store in a folder nobody may write: read the file
            // as immutable, which needs no `-shm`.
            Err(_) => Connection::open_with_flags(immutable_uri(path), flags)
                .and_then(|c| schema::version(&c).map(|_| c))
                .map_err(sqlite)?,
        };
        conn.busy_timeout(std::time::Duration::from_secs(30))
            .map_err(sqlite)?;
        let found = schema::version(&conn).map_err(sqlite)?;
        check_version(path, found)?;
        if found < schema::LATEST as i64 {
            return Err(StoreError::TooOldReadOnly {
                path: path.to_path_buf(),
                found,
                supported: schema::LATEST,
            });
        }
        let store = Store {
            conn,
            path: path.to_path_buf(),
        };
        if store.has_left_journals() {
            tracing::warn!(
                db = %path.display(),
                "a send journal beside the store is not applied yet (the store is read-only \
                 here): the answer lacks the sends it records"
            );
        }
        Ok(store)
    }

    fn init(&mut self) -> Result<(), StoreError> {
        // A newer build's store is refused before anything is written to it.
        let found = schema::version(&self.conn).map_err(|e| self.err(e))?;
        check_version(&self.path, found)?;
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

/// Refuses a schema newer than this build's.
fn check_version(path: &Path, found: i64) -> Result<(), StoreError> {
    if found > schema::LATEST as i64 {
        return Err(StoreError::TooNew {
            path: path.to_path_buf(),
            found,
            supported: schema::LATEST,
        });
    }
    Ok(())
}

/// Whether this process may write the store file and make files beside it (`-wal`,
/// `-shm`, the journal folder).
/// What `rebound doctor` reports of a store file, read without changing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreState {
    /// Its schema version (`PRAGMA user_version`).
    pub version: i64,
    /// The version this build writes; an older store is migrated when next opened.
    pub latest: i64,
    /// Whether the file and its folder may be written.
    pub writable: bool,
}

impl Store {
    /// Reads a store's schema version and whether it may be written; changes nothing.
    pub fn state(path: &Path) -> Result<StoreState, StoreError> {
        if !path.is_file() {
            return Err(StoreError::Missing {
                path: path.to_path_buf(),
            });
        }
        let store = Store::open_read_only(path)?;
        let version = schema::version(&store.conn).map_err(|source| StoreError::Sqlite {
            path: path.to_path_buf(),
            source,
        })?;
        Ok(StoreState {
            version,
            latest: schema::LATEST as i64,
            writable: writable(path),
        })
    }
}

/// Whether a new store could be made at `path` (its folder may be written).
pub fn creatable(path: &Path) -> bool {
    may_write(folder_of(path))
}

fn folder_of(path: &Path) -> &Path {
    match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    }
}

/// access(2) with W_OK: whether this process may write the file or folder.
fn may_write(p: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    std::ffi::CString::new(p.as_os_str().as_bytes())
        // SAFETY: a valid NUL-terminated path; access(2) only reads it.
        .is_ok_and(|c| unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0)
}

fn writable(path: &Path) -> bool {
    may_write(path) && may_write(folder_of(path))
}

/// A `file:` URI naming the store with `immutable=1` (RFC 3986 percent-encoding of
/// everything but unreserved characters and `/`).
fn immutable_uri(path: &Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let abs = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
    let mut uri = String::from("file:");
    for &b in abs.as_os_str().as_bytes() {
        if b.is_ascii_alphanumeric() || b"/-._~".contains(&b) {
            uri.push(b as char);
        } else {
            uri.push_str(&format!("%{b:02X}"));
        }
    }
    uri.push_str("?immutable=1");
    uri
}

/// The current Unix time in seconds.
pub(crate) fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}
