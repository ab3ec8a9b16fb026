//! The send journal: every change of a recipient's send state during a run, appended to
//! a file beside the database before it reaches SQLite, and moved into SQLite in batches.
//!
//! A sender must have "this recipient is being sent" on disk before the message content
//! leaves. One SQLite commit per message did that at a cost of about a dozen system calls
//! (locks, WAL frames) and as much CPU as the rest of the send path together; one
//! `write` of a line to this journal does the same for a crash of the process: the line
//! is in the operating system's cache when `write` returns, as an unsynced SQLite commit
//! is (`synchronous = NORMAL`).
//!
//! Layout, for a database `rebound.db`: a folder `rebound.db-sendlog/` with, per campaign
//! being sent, a lock file `c<ID>.lock` (held for the whole run, so two runs of one
//! campaign cannot both send) and numbered segments `c<ID>.<N>.jsonl`, one JSON object per
//! line. A segment is deleted once its lines are committed to SQLite with a full sync.
//! Segments left by a killed run are applied, oldest first, by the next `send` of that
//! campaign or by any later open of the store.

use super::campaigns::{mark_sending_on, record_at, Outcome, SendState};
use super::refusals::{self, Judge};
use super::{unix_now, Store, StoreError};
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One line of a segment.
#[derive(Debug, Serialize, Deserialize)]
struct Line<'a> {
    id: i64,
    state: &'a str,
    /// Unix time of the change, stored as the row's `updated_at`.
    at: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reply: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code: Option<u16>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    receipt: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    reason: Option<std::borrow::Cow<'a, str>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    hard: Option<bool>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    command: Option<std::borrow::Cow<'a, str>>,
}

/// The journal of one campaign's run; shared by the sending threads.
pub struct Journal {
    dir: PathBuf,
    campaign: i64,
    /// Held (locked) until the journal is dropped.
    _lock: File,
    current: Mutex<Segment>,
}

struct Segment {
    file: File,
    path: PathBuf,
    number: u64,
    written: bool,
}

/// The journal folder of a database file.
pub(crate) fn folder(db: &Path) -> PathBuf {
    let mut name = db.as_os_str().to_owned();
    name.push("-sendlog");
    PathBuf::from(name)
}

fn io_error(path: &Path, what: &str, e: std::io::Error) -> StoreError {
    StoreError::Invalid {
        path: path.to_path_buf(),
        message: format!("send journal: {what}: {e}"),
    }
}

/// The segments of a campaign in `dir`, oldest first.
fn segments(dir: &Path, campaign: i64) -> std::io::Result<Vec<(u64, PathBuf)>> {
    let prefix = format!("c{campaign}.");
    let mut found = Vec::new();
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(found),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(number) = name
            .to_str()
            .and_then(|n| n.strip_prefix(&prefix))
            .and_then(|n| n.strip_suffix(".jsonl"))
            .and_then(|n| n.parse::<u64>().ok())
        else {
            continue;
        };
        found.push((number, entry.path()));
    }
    found.sort();
    Ok(found)
}

/// The campaigns with a lock file in `dir`.
fn campaigns_in(dir: &Path) -> std::io::Result<Vec<i64>> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let name = entry?.file_name();
        if let Some(id) = name
            .to_str()
            .and_then(|n| n.strip_prefix('c'))
            .and_then(|n| n.strip_suffix(".lock"))
            .and_then(|n| n.parse::<i64>().ok())
        {
            found.push(id);
        }
    }
    Ok(found)
}

/// Opens (creating) a campaign's lock file and takes it; `None` when another open file
/// (another run, in this process or another) holds it.
fn take_lock(dir: &Path, campaign: i64) -> Result<Option<File>, StoreError> {
    std::fs::create_dir_all(dir).map_err(|e| io_error(dir, "cannot create the folder", e))?;
    let path = dir.join(format!("c{campaign}.lock"));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| io_error(&path, "cannot open the lock file", e))?;
    match file.try_lock() {
        Ok(()) => Ok(Some(file)),
        Err(std::fs::TryLockError::WouldBlock) => Ok(None),
        Err(std::fs::TryLockError::Error(e)) => Err(io_error(&path, "cannot lock", e)),
    }
}

impl Journal {
    /// Records that `id`'s message content is about to leave. When this returns, a
    /// crash of the process no longer loses it.
    pub fn sending(&self, id: i64) -> Result<(), StoreError> {
        self.append(&Line {
            id,
            state: SendState::Sending.as_str(),
            at: unix_now(),
            reply: None,
            code: None,
            receipt: None,
            reason: None,
            hard: None,
            command: None,
        })
    }

    /// Records how `id`'s transaction ended (or that it is pending again).
    pub fn outcome(&self, id: i64, o: &Outcome) -> Result<(), StoreError> {
        self.append(&Line {
            id,
            state: o.state.as_str(),
            at: unix_now(),
            reply: o.reply.map(Into::into),
            code: o.reply_code,
            receipt: o.receipt_id.map(Into::into),
            reason: o.reason.map(Into::into),
            hard: o.hard,
            command: o.command.map(Into::into),
        })
    }

    fn append(&self, line: &Line) -> Result<(), StoreError> {
        let mut text = serde_json::to_string(line).map_err(|e| StoreError::Invalid {
            path: self.dir.clone(),
            message: format!("send journal: {e}"),
        })?;
        text.push('\n');
        let mut seg = self.current.lock().unwrap_or_else(|p| p.into_inner());
        seg.written = true;
        // one write: a crash leaves the line whole or cut, never two lines mixed
        seg.file
            .write_all(text.as_bytes())
            .map_err(|e| io_error(&seg.path, "cannot write", e))
    }

    /// Starts a new segment when the current one has lines, and returns the finished
    /// one for `Store::apply_journal`.
    pub fn rotate(&self) -> Result<Option<PathBuf>, StoreError> {
        let mut seg = self.current.lock().unwrap_or_else(|p| p.into_inner());
        if !seg.written {
            return Ok(None);
        }
        let next = Segment::create(&self.dir, self.campaign, seg.number + 1)?;
        Ok(Some(std::mem::replace(&mut *seg, next).path))
    }
}

impl Drop for Journal {
    /// An empty last segment says nothing: it goes. One with lines stays for the next
    /// open to apply (the run ended without applying it).
    fn drop(&mut self) {
        let seg = self.current.get_mut().unwrap_or_else(|p| p.into_inner());
        if !seg.written {
            let _ = std::fs::remove_file(&seg.path);
        }
    }
}

impl Segment {
    fn create(dir: &Path, campaign: i64, number: u64) -> Result<Segment, StoreError> {
        let path = dir.join(format!("c{campaign}.{number}.jsonl"));
        let file = File::options()
            .create_new(true)
            .append(true)
            .open(&path)
            .map_err(|e| io_error(&path, "cannot create a segment", e))?;
        Ok(Segment {
            file,
            path,
            number,
            written: false,
        })
    }
}

/// A thread that moves a journal's lines into the store a few times a second, on a
/// connection of its own, so that the senders only append to the journal. Segments are
/// applied oldest first; one that fails waits, with the ones after it, for the next tick
/// (or, when the run ends first, for the next open of the store).
pub struct Applier {
    stop: Arc<AtomicBool>,
    thread: std::thread::JoinHandle<Result<(), StoreError>>,
}

impl Applier {
    const EVERY: Duration = Duration::from_millis(250);

    /// `judge` judges each refusal in the transaction that records it.
    pub fn start(
        db: &Path,
        journal: Arc<Journal>,
        judge: Option<Arc<dyn Judge>>,
    ) -> Result<Applier, StoreError> {
        let mut own = Store::open(db)?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            // finished segments not yet in the store, oldest first
            let mut backlog: VecDeque<PathBuf> = VecDeque::new();
            let mut last_error = None;
            loop {
                let stopping = flag.load(Ordering::Acquire);
                match journal.rotate() {
                    Ok(Some(segment)) => backlog.push_back(segment),
                    Ok(None) => {}
                    Err(e) => last_error = Some(e),
                }
                while let Some(segment) = backlog.front() {
                    match own.apply_journal(segment, judge.as_deref()) {
                        Ok(_) => {
                            backlog.pop_front();
                            last_error = None;
                        }
                        Err(e) => {
                            // kept, in order, for the next tick (or the next open)
                            tracing::warn!("{e}");
                            last_error = Some(e);
                            break;
                        }
                    }
                }
                if stopping {
                    return last_error.map_or(Ok(()), Err);
                }
                std::thread::park_timeout(Self::EVERY);
            }
        });
        Ok(Applier { stop, thread })
    }

    /// Applies what is left and ends the thread; an error leaves the journal's segments
    /// on disk for the next open of the store.
    pub fn stop(self) -> Result<(), StoreError> {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        self.thread.join().unwrap_or_else(|_| {
            Err(StoreError::Invalid {
                path: PathBuf::new(),
                message: "the send journal's applier panicked".into(),
            })
        })
    }
}

impl Store {
    /// Takes the campaign's journal for a run: refused while another run holds it;
    /// segments left by a killed run are applied first.
    pub fn open_journal(
        &mut self,
        campaign: i64,
        judge: Option<&dyn Judge>,
    ) -> Result<Journal, StoreError> {
        let dir = folder(self.path());
        let Some(lock) = take_lock(&dir, campaign)? else {
            return Err(StoreError::Invalid {
                path: self.path().to_path_buf(),
                message: format!(
                    "campaign {campaign} is being sent by another process (its lock is held in '{}'); \
                     wait for that run to end",
                    dir.display()
                ),
            });
        };
        let left = segments(&dir, campaign).map_err(|e| io_error(&dir, "cannot list", e))?;
        let mut last = 0;
        for (number, path) in left {
            self.apply_journal(&path, judge)?;
            last = number;
        }
        let current = Segment::create(&dir, campaign, last + 1)?;
        Ok(Journal {
            dir,
            campaign,
            _lock: lock,
            current: Mutex::new(current),
        })
    }

    /// Commits a finished segment's lines to SQLite in one transaction, synced to disk,
    /// then deletes the segment. A line cut by a crash is skipped: the change it began
    /// to record never took effect (its content had not left, or its reply is unknown
    /// and the recipient stays "sending", i.e. uncertain). Returns the lines applied.
    pub fn apply_journal(
        &mut self,
        segment: &Path,
        judge: Option<&dyn Judge>,
    ) -> Result<usize, StoreError> {
        let text = std::fs::read(segment).map_err(|e| io_error(segment, "cannot read", e))?;
        let text = String::from_utf8_lossy(&text);
        // The segment is deleted right after this commit: the commit must reach the disk
        // first, so an operating-system crash cannot lose both.
        self.conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(|e| self.err(e))?;
        let mut applied = 0;
        let mut skipped = 0;
        let result = (|| -> Result<(), StoreError> {
            let tx = self.begin()?;
            for raw in text.lines().filter(|l| !l.trim().is_empty()) {
                let Ok(line) = serde_json::from_str::<Line>(raw) else {
                    skipped += 1;
                    continue;
                };
                match SendState::parse(line.state) {
                    Some(SendState::Sending) => {
                        mark_sending_on(tx.conn(), line.id, line.at).map_err(|e| tx.err(e))?;
                    }
                    Some(state) => {
                        let o = Outcome {
                            state,
                            reply: line.reply.as_deref(),
                            reply_code: line.code,
                            receipt_id: line.receipt.as_deref(),
                            reason: line.reason.as_deref(),
                            hard: line.hard,
                            command: line.command.as_deref(),
                        };
                        record_at(tx.conn(), line.id, &o, line.at).map_err(|e| tx.err(e))?;
                        if state == SendState::Rejected {
                            let reason = match o.reason {
                                None => crate::decode::Reason::Undefined,
                                Some(r) => r.parse().map_err(|_| StoreError::Invalid {
                                    path: segment.to_path_buf(),
                                    message: format!(
                                        "recipient {}: '{r}' is not a reason",
                                        line.id
                                    ),
                                })?,
                            };
                            refusals::record(&tx, line.id, &o, reason, line.at, judge)?;
                        }
                    }
                    None => {
                        skipped += 1;
                        continue;
                    }
                }
                applied += 1;
            }
            tx.commit()
        })();
        let restored = self
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| self.err(e));
        result.and(restored)?;
        if skipped > 0 {
            tracing::warn!(
                "send journal '{}': {skipped} unreadable line(s) skipped (a run cut off mid-write)",
                segment.display()
            );
        }
        std::fs::remove_file(segment).map_err(|e| io_error(segment, "cannot delete", e))?;
        Ok(applied)
    }

    /// Applies the segments of runs that ended without applying them (killed), for every
    /// campaign whose lock is free; a campaign still being sent is left to its run.
    /// Whether a journal beside the store holds segments not yet applied (for a
    /// read-only open, which cannot apply them).
    pub(crate) fn has_left_journals(&self) -> bool {
        let dir = folder(self.path());
        campaigns_in(&dir).is_ok_and(|cs| {
            cs.into_iter()
                .any(|c| segments(&dir, c).is_ok_and(|s| !s.is_empty()))
        })
    }

    pub(crate) fn apply_left_journals(&mut self) -> Result<(), StoreError> {
        let dir = folder(self.path());
        let campaigns = match campaigns_in(&dir) {
            Ok(c) => c,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => return Err(io_error(&dir, "cannot list", e)),
        };
        for campaign in campaigns {
            let left = segments(&dir, campaign).map_err(|e| io_error(&dir, "cannot list", e))?;
            if left.is_empty() {
                continue;
            }
            let Some(_lock) = take_lock(&dir, campaign)? else {
                continue;
            };
            // listed again under the lock: a run that just ended may have applied them
            for (_, path) in
                segments(&dir, campaign).map_err(|e| io_error(&dir, "cannot list", e))?
            {
                self.apply_journal(&path, None)?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A store file in a fresh folder, with one campaign of three planted recipients.
    fn store_with_recipients(name: &str) -> (PathBuf, Store, i64, Vec<i64>) {
        let dir =
            std::env::temp_dir().join(format!("rebound-journal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let db = dir.join("t.db");
        let mut store = Store::open(&db).unwrap();
        let c = store.campaign("c", "sha", "b@x.test").unwrap();
        let rows: Vec<(String, String, usize)> = (0..3)
            .map(|i| (format!("r{i}@x.test"), "{}".to_string(), i + 2))
            .collect();
        store.add_recipients(&c, &rows).unwrap();
        let ids: Vec<i64> = store.recipients(&c).unwrap().iter().map(|r| r.id).collect();
        let planted: Vec<super::super::Planted> = ids
            .iter()
            .map(|&id| super::super::Planted {
                id,
                message_id: format!("m.{id}@x.test"),
                envelope_id: format!("e.{id}"),
                verp_token: format!("t{id}"),
            })
            .collect();
        store.plant(&planted).unwrap();
        (dir, store, c.id, ids)
    }

    fn states(store: &Store, ids: &[i64]) -> Vec<(String, Option<String>)> {
        ids.iter()
            .map(|id| {
                store
                    .conn
                    .query_row(
                        "SELECT state, receipt_id FROM recipients WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )
                    .unwrap()
            })
            .collect()
    }

    fn accepted(receipt: &str) -> Outcome<'_> {
        Outcome {
            state: SendState::Accepted,
            reply: Some("250 2.0.0 Ok: queued as X"),
            reply_code: Some(250),
            receipt_id: Some(receipt),
            reason: None,
            hard: None,
            command: None,
        }
    }

    /// The journal of a run that got the first recipient accepted and the second's
    /// content under way.
    fn first_accepted_second_sending(journal: &Journal, ids: &[i64]) {
        journal.sending(ids[0]).unwrap();
        journal.outcome(ids[0], &accepted("Q0")).unwrap();
        journal.sending(ids[1]).unwrap();
    }

    fn assert_first_accepted_second_sending(store: &Store, ids: &[i64]) {
        assert_eq!(
            states(store, ids),
            vec![
                ("accepted".into(), Some("Q0".into())),
                ("sending".into(), None),
                ("pending".into(), None),
            ]
        );
    }

    fn files(dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(folder(&dir.join("t.db")))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn a_rotated_segment_reaches_the_store_in_order_and_is_deleted() {
        let (dir, mut store, c, ids) = store_with_recipients("apply");
        let journal = store.open_journal(c, None).unwrap();
        first_accepted_second_sending(&journal, &ids);
        // nothing in the store yet: only the journal has it
        assert_eq!(states(&store, &ids[..1])[0].0, "pending");
        let segment = journal.rotate().unwrap().expect("a segment with lines");
        assert!(
            journal.rotate().unwrap().is_none(),
            "the new segment is empty"
        );
        assert_eq!(store.apply_journal(&segment, None).unwrap(), 3);
        assert!(!segment.exists());
        assert_first_accepted_second_sending(&store, &ids);
        drop(journal);
        // the empty last segment went with the journal; the lock file stays
        assert_eq!(files(&dir), vec!["c1.lock".to_string()]);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_second_run_of_a_campaign_is_refused_while_the_first_holds_its_journal() {
        let (dir, mut store, c, _) = store_with_recipients("lock");
        let first = store.open_journal(c, None).unwrap();
        let mut other = Store::open(&dir.join("t.db")).unwrap();
        let err = other
            .open_journal(c, None)
            .err()
            .expect("refused")
            .to_string();
        assert!(err.contains("being sent by another process"), "{err}");
        drop(first);
        other.open_journal(c, None).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn what_a_killed_run_left_is_applied_at_the_next_open_and_a_cut_line_is_skipped() {
        let (dir, mut store, c, ids) = store_with_recipients("killed");
        let journal = store.open_journal(c, None).unwrap();
        first_accepted_second_sending(&journal, &ids);
        let segment = journal.current.lock().unwrap().path.clone();
        // The run dies without applying (its lock goes with the process) while writing
        // ids[2]'s mark: half a line at the end.
        drop(journal);
        File::options()
            .append(true)
            .open(&segment)
            .unwrap()
            .write_all(format!(r#"{{"id":{},"state":"sen"#, ids[2]).as_bytes())
            .unwrap();
        drop(store);
        let store = Store::open(&dir.join("t.db")).unwrap();
        assert_first_accepted_second_sending(&store, &ids);
        assert!(!segment.exists());
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn a_new_run_applies_the_last_runs_segments_before_its_own() {
        let (dir, mut store, c, ids) = store_with_recipients("resume");
        let journal = store.open_journal(c, None).unwrap();
        journal.sending(ids[0]).unwrap();
        let first = journal.rotate().unwrap().unwrap();
        journal.outcome(ids[0], &accepted("Q0")).unwrap();
        drop(journal); // two segments left, neither applied
        let journal = store.open_journal(c, None).unwrap();
        assert!(!first.exists());
        assert_eq!(
            states(&store, &ids[..1])[0],
            ("accepted".into(), Some("Q0".into()))
        );
        journal.sending(ids[1]).unwrap();
        assert!(journal
            .current
            .lock()
            .unwrap()
            .path
            .ends_with(format!("c{c}.3.jsonl")));
        drop(journal);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
