//! `poll`: read the bounce folders over IMAP, put every message through the pipeline
//! (`process`), and only after its facts are committed move it to a folder by outcome.
//! A crash anywhere leaves either the message in place (read again, changing nothing)
//! or its facts stored and the message moved.

pub mod config;
pub mod connect;
pub mod process;
pub mod unsubscribe;

use config::{Account, Folders};
use connect::ImapSession;
use futures_util::StreamExt;
use process::{Outcome, Pipeline, Processed};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::{Checkpoint, Store, StoreError};

/// Errors of a poll run, naming the account and folder.
#[derive(Debug, thiserror::Error)]
pub enum PollError {
    #[error(transparent)]
    Connect(#[from] connect::ConnectError),
    #[error("account '{account}', folder '{folder}': {message}")]
    Imap {
        account: String,
        folder: String,
        message: String,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Runtime(String),
}

/// How to poll.
#[derive(Debug, Clone)]
pub struct PollConfig {
    pub accounts: Vec<Account>,
    pub folders: Folders,
    /// Messages per UID FETCH (bounds memory: one batch is held at a time).
    pub batch: usize,
    /// Committed messages moved per MOVE round: larger rounds spare the server index
    /// rewrites; a crash re-reads (harmlessly) at most this many.
    pub move_every: usize,
    /// Turn certificate verification off (explicit flag only).
    pub insecure: bool,
    /// Read and decide, but move nothing and keep no checkpoint (the store given is a copy).
    pub dry_run: bool,
    /// Stay connected and wait for new mail with IDLE.
    pub watch: bool,
    /// IDLE is re-issued after this long (RFC 2177: servers may drop it after 30 minutes).
    pub idle_timeout: Duration,
    /// The longest wait between reconnection attempts in watch mode.
    pub max_backoff: Duration,
}

/// What a poll run did.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Summary {
    /// Messages read.
    pub messages: usize,
    /// Of those, already read before (nothing changed).
    pub already_seen: usize,
    /// Messages by outcome folder kind.
    pub by_outcome: BTreeMap<&'static str, usize>,
    /// Facts by the key that matched them.
    pub by_key: BTreeMap<&'static str, usize>,
    /// Messages that could not be read (error recorded, message kept).
    pub errors: usize,
    /// Addresses put on the suppression list.
    pub suppressed: Vec<String>,
    /// Folders whose UIDVALIDITY changed since the last run.
    pub uidvalidity_changes: usize,
}

impl Summary {
    fn add(&mut self, p: &Processed) {
        self.messages += 1;
        if p.already_seen {
            self.already_seen += 1;
        }
        if let Some(o) = p.outcome {
            *self.by_outcome.entry(o.as_str()).or_default() += 1;
        }
        for k in &p.keys {
            *self.by_key.entry(k.as_str()).or_default() += 1;
        }
        // "Not a report" (and a refused unsubscribe request) is recorded with the message;
        // only a message that could not be read at all counts as an error (one without an outcome is counted by the caller).
        if p.outcome.is_some()
            && !p.already_seen
            && p.error.as_deref().is_some_and(|e| !process::is_note(e))
        {
            self.errors += 1;
        }
        self.suppressed.extend(p.suppressed.iter().cloned());
    }
}

/// Progress reports for the command line.
#[derive(Debug, Clone)]
pub enum Event {
    /// New messages found in a folder.
    Found {
        account: String,
        folder: String,
        count: usize,
    },
    /// One message done.
    Done,
    /// Something a person should know (reconnects, UIDVALIDITY changes).
    Note(String),
}

type Shared<T> = Arc<Mutex<T>>;

/// No IMAP step waits longer than this for the server (IDLE has its own timer): a
/// silent connection fails the run (or reconnects in watch mode) instead of hanging.
const IO_TIMEOUT: Duration = Duration::from_secs(120);

async fn within<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(IO_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!(
            "{what}: no answer from the server in {IO_TIMEOUT:?}"
        )),
    }
}

struct Ctx {
    cfg: PollConfig,
    store: Shared<Store>,
    pipeline: Arc<Pipeline>,
    summary: Shared<Summary>,
    on_event: Arc<dyn Fn(Event) + Send + Sync>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls every account once (or forever with `watch`).
pub fn run(
    cfg: PollConfig,
    store: Store,
    pipeline: Pipeline,
    on_event: impl Fn(Event) + Send + Sync + 'static,
) -> Result<Summary, PollError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PollError::Runtime(format!("starting the runtime: {e}")))?;
    let ctx = Arc::new(Ctx {
        cfg,
        store: Arc::new(Mutex::new(store)),
        pipeline: Arc::new(pipeline),
        summary: Arc::new(Mutex::new(Summary::default())),
        on_event: Arc::new(on_event),
    });
    rt.block_on(async {
        {
            let (store, pipeline) = (ctx.store.clone(), ctx.pipeline.clone());
            tokio::task::spawn_blocking(move || pipeline.import_sync_rejections(&mut lock(&store)))
                .await
                .map_err(|e| PollError::Runtime(e.to_string()))??;
        }
        let runs = ctx
            .cfg
            .accounts
            .iter()
            .map(|a| account_loop(ctx.clone(), a.clone()));
        for r in futures_util::future::join_all(runs).await {
            r?;
        }
        Ok::<(), PollError>(())
    })?;
    let summary = lock(&ctx.summary).clone();
    Ok(summary)
}

async fn account_loop(ctx: Arc<Ctx>, account: Account) -> Result<(), PollError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let attempt =
            tokio::time::timeout(IO_TIMEOUT, connect::connect(&account, ctx.cfg.insecure))
                .await
                .unwrap_or_else(|_| {
                    Err(connect::ConnectError {
                        account: account.label(),
                        message: format!("no answer from the server in {IO_TIMEOUT:?}"),
                    })
                });
        let session = match attempt {
            Ok(s) => s,
            Err(e) if ctx.cfg.watch => {
                (ctx.on_event)(Event::Note(format!("{e}; retrying in {backoff:?}")));
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(ctx.cfg.max_backoff);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        backoff = Duration::from_secs(1);
        match session_loop(&ctx, &account, session).await {
            Ok(()) => return Ok(()),
            Err(e) if ctx.cfg.watch => {
                (ctx.on_event)(Event::Note(format!("{e}; reconnecting")));
                tokio::time::sleep(backoff).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn session_loop(
    ctx: &Arc<Ctx>,
    account: &Account,
    mut session: ImapSession,
) -> Result<(), PollError> {
    let imap = |message: String| PollError::Imap {
        account: account.label(),
        folder: account.folder.clone(),
        message,
    };
    let caps = within("CAPABILITY", session.capabilities())
        .await
        .map_err(imap)?;
    let can_move = account.use_move && caps.has_str("MOVE");
    let uidplus = caps.has_str("UIDPLUS");
    drop(caps);
    if !ctx.cfg.dry_run {
        ensure_folders(&mut session, &ctx.cfg.folders)
            .await
            .map_err(imap)?;
    }
    loop {
        pass(ctx, account, &mut session, can_move, uidplus).await?;
        if !ctx.cfg.watch {
            let _ = session.logout().await;
            return Ok(());
        }
        // Wait for new mail; IDLE is re-issued before the server's timeout.
        let mut idle = session.idle();
        idle.init().await.map_err(|e| imap(format!("IDLE: {e}")))?;
        let (wait, _stop) = idle.wait_with_timeout(ctx.cfg.idle_timeout);
        wait.await.map_err(|e| imap(format!("IDLE: {e}")))?;
        session = idle.done().await.map_err(|e| imap(format!("DONE: {e}")))?;
    }
}

async fn ensure_folders(session: &mut ImapSession, folders: &Folders) -> Result<(), String> {
    let mut existing = Vec::new();
    {
        let mut names = session
            .list(Some(""), Some("*"))
            .await
            .map_err(|e| format!("LIST: {e}"))?;
        while let Some(n) = names.next().await {
            existing.push(n.map_err(|e| format!("LIST: {e}"))?.name().to_string());
        }
    }
    for o in Outcome::ALL {
        let name = folders.for_outcome(o);
        if !existing.iter().any(|e| e == name) {
            if let Err(e) = session.create(name).await {
                // Another connection (a second account on the same server) may have
                // made it meanwhile (RFC 5530 ALREADYEXISTS).
                let e = e.to_string();
                if !e.contains("ALREADYEXISTS") {
                    return Err(format!("CREATE {name}: {e}"));
                }
            }
            existing.push(name.to_string());
        }
    }
    Ok(())
}

/// Reads the folder once: everything after the checkpoint, batch by batch.
async fn pass(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    can_move: bool,
    uidplus: bool,
) -> Result<(), PollError> {
    let label = account.label();
    let folder = account.folder.clone();
    let imap = |message: String| PollError::Imap {
        account: label.clone(),
        folder: folder.clone(),
        message,
    };
    let mailbox = within("SELECT", session.select(&folder))
        .await
        .map_err(imap)?;
    let validity = mailbox.uid_validity.unwrap_or(0);
    let checkpoint = {
        let (store, l, f) = (ctx.store.clone(), label.clone(), folder.clone());
        blocking(move || lock(&store).checkpoint(&l, &f)).await??
    };
    let last = match checkpoint {
        Some(cp) if cp.uidvalidity == validity => cp.last_uid,
        Some(cp) => {
            // RFC 3501 section 2.3.1.1: the old UIDs mean nothing now. Read everything
            // again; messages read before are recognised by their identity.
            (ctx.on_event)(Event::Note(format!(
                "{label} {folder}: UIDVALIDITY changed ({} -> {validity}); reading the folder again",
                cp.uidvalidity
            )));
            lock(&ctx.summary).uidvalidity_changes += 1;
            0
        }
        None => 0,
    };
    let mut uids: Vec<u32> = within(
        "UID SEARCH",
        session.uid_search(format!("UID {}:*", last.saturating_add(1))),
    )
    .await
    .map_err(imap)?
    .into_iter()
    .filter(|u| *u > last)
    .collect();
    uids.sort_unstable();
    (ctx.on_event)(Event::Found {
        account: label.clone(),
        folder: folder.clone(),
        count: uids.len(),
    });
    // The next batch is fetched while the previous one is decoded and committed on the
    // blocking pool; moves are grouped (`move_every` messages per round) because each MOVE
    // makes the server rewrite the folder's index. A message is never moved before the
    // transaction holding its facts has committed.
    let mut moves = Moves {
        by_folder: BTreeMap::new(),
        queued: 0,
        done_upto: last,
        stuck: false,
    };
    let mut pending: std::collections::VecDeque<Work> = Default::default();
    let mut mover = None;
    if !ctx.cfg.dry_run && uids.len() > PARALLEL_MOVES_FROM {
        // Its connection is opened while the first batches are fetched.
        mover = Some(start_mover(ctx, account, validity, can_move, uidplus));
    }
    let sender = mover.as_ref().map(|(tx, _)| tx.clone());
    for chunk in uids.chunks(ctx.cfg.batch.max(1)) {
        let set = uid_set(chunk);
        let mut messages: Vec<(u32, Option<Vec<u8>>)> = Vec::with_capacity(chunk.len());
        {
            let what = format!("UID FETCH {set}");
            let mut fetches = within(&what, session.uid_fetch(&set, "(UID BODY.PEEK[])"))
                .await
                .map_err(imap)?;
            loop {
                let next = tokio::time::timeout(IO_TIMEOUT, fetches.next())
                    .await
                    .map_err(|_| {
                        imap(format!(
                            "{what}: no answer from the server in {IO_TIMEOUT:?}"
                        ))
                    })?;
                let Some(f) = next else { break };
                let f = f.map_err(|e| imap(format!("UID FETCH {set}: {e}")))?;
                if let Some(uid) = f.uid {
                    messages.push((uid, f.body().map(|b| b.to_vec())));
                }
            }
        }
        messages.sort_by_key(|m| m.0);
        pending.push_back(spawn_batch(ctx, &label, &folder, messages));
        while pending.len() > IN_FLIGHT {
            if let Some(prev) = pending.pop_front() {
                let results = prev
                    .await
                    .map_err(|e| PollError::Runtime(e.to_string()))??;
                record(ctx, &results, &mut moves);
            }
        }
        if moves.queued >= ctx.cfg.move_every.max(1) {
            let flushed = flush(
                ctx,
                account,
                session,
                sender.as_ref(),
                &mut moves,
                validity,
                can_move,
                uidplus,
            )
            .await;
            if let Err(e) = flushed {
                return Err(mover_error(mover, e).await);
            }
        }
    }
    while let Some(prev) = pending.pop_front() {
        let results = prev
            .await
            .map_err(|e| PollError::Runtime(e.to_string()))??;
        record(ctx, &results, &mut moves);
    }
    if moves.queued > 0 {
        let flushed = flush(
            ctx,
            account,
            session,
            sender.as_ref(),
            &mut moves,
            validity,
            can_move,
            uidplus,
        )
        .await;
        if let Err(e) = flushed {
            return Err(mover_error(mover, e).await);
        }
    }
    drop(sender);
    if let Some((tx, task)) = mover {
        drop(tx);
        task.await
            .map_err(|e| PollError::Runtime(format!("mover: {e}")))??;
    }
    if !ctx.cfg.dry_run && checkpoint.is_some_and(|c| c.uidvalidity != validity) && uids.is_empty()
    {
        let (store, l, f) = (ctx.store.clone(), label.clone(), folder.clone());
        let cp = Checkpoint {
            uidvalidity: validity,
            last_uid: 0,
        };
        blocking(move || lock(&store).set_checkpoint(&l, &f, cp)).await??;
    }
    Ok(())
}

/// Folders with more new messages than this get a second connection for the moves.
const PARALLEL_MOVES_FROM: usize = 1000;

type Work = tokio::task::JoinHandle<Result<Vec<(u32, Processed)>, PollError>>;

/// Batches decoded or being committed while the next one is fetched.
const IN_FLIGHT: usize = 2;

/// Committed messages waiting to be moved, and how far the folder is done.
struct Moves {
    by_folder: BTreeMap<Outcome, Vec<u32>>,
    queued: usize,
    /// The highest UID below which every message has been moved.
    done_upto: u32,
    /// A message could not be read and stays: the checkpoint stops before it.
    stuck: bool,
}

/// Decodes a batch on the blocking pool (no lock: batches decode in parallel), then
/// commits it in one transaction.
fn spawn_batch(
    ctx: &Arc<Ctx>,
    label: &str,
    folder: &str,
    messages: Vec<(u32, Option<Vec<u8>>)>,
) -> Work {
    let (store, pipeline, l, f) = (
        ctx.store.clone(),
        ctx.pipeline.clone(),
        label.to_string(),
        folder.to_string(),
    );
    tokio::spawn(async move {
        let (decoded, without) = blocking(move || {
            // Messages without a body stay where they are (no outcome, no move).
            let mut decoded = Vec::with_capacity(messages.len());
            let mut without = Vec::new();
            for (uid, body) in messages {
                match body {
                    Some(b) => decoded.push((uid, process::decode_message(&b))),
                    None => without.push(uid),
                }
            }
            (decoded, without)
        })
        .await?;
        let mut out =
            blocking(move || pipeline.commit_batch(&mut lock(&store), decoded, &l, &f)).await??;
        for uid in without {
            out.push((
                uid,
                Processed {
                    error: Some(format!("UID {uid}: the server sent no body")),
                    ..Processed::default()
                },
            ));
        }
        out.sort_by_key(|(u, _)| *u);
        Ok(out)
    })
}

/// Counts a committed batch and queues its moves.
fn record(ctx: &Ctx, results: &[(u32, Processed)], moves: &mut Moves) {
    let mut summary = lock(&ctx.summary);
    for (uid, p) in results {
        summary.add(p);
        (ctx.on_event)(Event::Done);
        match p.outcome {
            Some(o) => {
                moves.by_folder.entry(o).or_default().push(*uid);
                moves.queued += 1;
                if !moves.stuck {
                    moves.done_upto = *uid;
                }
            }
            None => {
                summary.errors += 1;
                moves.stuck = true;
            }
        }
    }
}

/// Committed messages to move, and the checkpoint to record once they are moved.
struct MoveJob {
    by_folder: BTreeMap<Outcome, Vec<u32>>,
    done_upto: u32,
}

/// Hands the queued messages (already committed) to the mover connection, or moves
/// them on this one; the checkpoint is recorded after the move.
#[allow(clippy::too_many_arguments)]
async fn flush(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    mover: Option<&tokio::sync::mpsc::Sender<MoveJob>>,
    moves: &mut Moves,
    validity: u32,
    can_move: bool,
    uidplus: bool,
) -> Result<(), PollError> {
    let job = MoveJob {
        by_folder: std::mem::take(&mut moves.by_folder),
        done_upto: moves.done_upto,
    };
    moves.queued = 0;
    if ctx.cfg.dry_run {
        return Ok(());
    }
    match mover {
        Some(tx) => tx.send(job).await.map_err(|_| PollError::Imap {
            account: account.label(),
            folder: account.folder.clone(),
            message: "the mover connection stopped".into(),
        }),
        None => move_and_checkpoint(ctx, account, session, job, validity, can_move, uidplus).await,
    }
}

async fn move_and_checkpoint(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    job: MoveJob,
    validity: u32,
    can_move: bool,
    uidplus: bool,
) -> Result<(), PollError> {
    for (outcome, uids) in &job.by_folder {
        let target = ctx.cfg.folders.for_outcome(*outcome);
        let set = uid_set(uids);
        let moved = move_messages(session, &set, target, can_move, uidplus);
        within::<(), String>("moving messages", moved)
            .await
            .map_err(|message| PollError::Imap {
                account: account.label(),
                folder: account.folder.clone(),
                message,
            })?;
    }
    let (store, l, f) = (ctx.store.clone(), account.label(), account.folder.clone());
    let cp = Checkpoint {
        uidvalidity: validity,
        last_uid: job.done_upto,
    };
    blocking(move || lock(&store).set_checkpoint(&l, &f, cp)).await??;
    Ok(())
}

type Mover = (
    tokio::sync::mpsc::Sender<MoveJob>,
    tokio::task::JoinHandle<Result<(), PollError>>,
);

/// A second connection that moves committed messages while the first one fetches
/// (moving is the server's slowest step on a large folder). It connects in the
/// background; jobs wait in the channel until it is ready. Jobs that queue up while it
/// moves are merged into one round (fewer MOVE commands, each making the server sync
/// the folder); the checkpoint follows the round.
fn start_mover(
    ctx: &Arc<Ctx>,
    account: &Account,
    validity: u32,
    can_move: bool,
    uidplus: bool,
) -> Mover {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<MoveJob>(MOVER_QUEUE);
    let (ctx, account) = (ctx.clone(), account.clone());
    let task = tokio::spawn(async move {
        let imap = |message: String| PollError::Imap {
            account: account.label(),
            folder: account.folder.clone(),
            message,
        };
        let connecting = connect::connect(&account, ctx.cfg.insecure);
        let mut session = match tokio::time::timeout(IO_TIMEOUT, connecting).await {
            Ok(s) => s?,
            Err(_) => {
                return Err(imap(format!(
                    "connecting (mover): no answer from the server in {IO_TIMEOUT:?}"
                )))
            }
        };
        let mailbox = within("SELECT (mover)", session.select(&account.folder))
            .await
            .map_err(imap)?;
        if mailbox.uid_validity.unwrap_or(0) != validity {
            return Err(imap("UIDVALIDITY changed during the run".into()));
        }
        tracing::debug!(account = %account.label(), folder = %account.folder, "mover: second connection ready");
        while let Some(mut job) = rx.recv().await {
            while let Ok(more) = rx.try_recv() {
                for (outcome, uids) in more.by_folder {
                    job.by_folder.entry(outcome).or_default().extend(uids);
                }
                job.done_upto = more.done_upto;
            }
            let (count, upto) = (
                job.by_folder.values().map(Vec::len).sum::<usize>(),
                job.done_upto,
            );
            move_and_checkpoint(
                &ctx,
                &account,
                &mut session,
                job,
                validity,
                can_move,
                uidplus,
            )
            .await?;
            tracing::debug!(messages = count, checkpoint = upto, "mover: round done");
        }
        let _ = session.logout().await;
        Ok(())
    });
    (tx, task)
}

/// Move rounds waiting for the mover (each at most `move_every` messages).
const MOVER_QUEUE: usize = 4;

/// When handing work to the mover failed, the mover's own error says why.
async fn mover_error(mover: Option<Mover>, e: PollError) -> PollError {
    match mover {
        Some((tx, task)) => {
            drop(tx);
            match task.await {
                Ok(Err(m)) => m,
                _ => e,
            }
        }
        None => e,
    }
}

/// UID MOVE (RFC 6851), or COPY + \Deleted + UID EXPUNGE (RFC 4315) where MOVE is
/// missing; without UIDPLUS the copies stay flagged \Deleted and are never expunged
/// (an EXPUNGE could remove other clients' messages).
async fn move_messages(
    session: &mut ImapSession,
    set: &str,
    target: &str,
    can_move: bool,
    uidplus: bool,
) -> Result<(), String> {
    if can_move {
        return session
            .uid_mv(set, target)
            .await
            .map_err(|e| format!("UID MOVE {set} {target}: {e}"));
    }
    session
        .uid_copy(set, target)
        .await
        .map_err(|e| format!("UID COPY {set} {target}: {e}"))?;
    {
        let mut s = std::pin::pin!(session
            .uid_store(set, "+FLAGS.SILENT (\\Deleted)")
            .await
            .map_err(|e| format!("UID STORE {set}: {e}"))?);
        while let Some(r) = s.next().await {
            r.map_err(|e| format!("UID STORE {set}: {e}"))?;
        }
    }
    if uidplus {
        let mut s = std::pin::pin!(session
            .uid_expunge(set)
            .await
            .map_err(|e| format!("UID EXPUNGE {set}: {e}"))?);
        while let Some(r) = s.next().await {
            r.map_err(|e| format!("UID EXPUNGE {set}: {e}"))?;
        }
    }
    Ok(())
}

/// A UID set with ranges: `1:4,7,9:10`.
pub fn uid_set(uids: &[u32]) -> String {
    let mut out = String::new();
    let mut i = 0;
    while i < uids.len() {
        let start = uids[i];
        let mut end = start;
        while i + 1 < uids.len() && uids[i + 1] == end + 1 {
            i += 1;
            end = uids[i];
        }
        if !out.is_empty() {
            out.push(',');
        }
        if start == end {
            out.push_str(&start.to_string());
        } else {
            out.push_str(&format!("{start}:{end}"));
        }
        i += 1;
    }
    out
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PollError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PollError::Runtime(format!("worker thread: {e}")))
}

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(super::uid_set(&[1, 2, 3, 4, 7, 9, 10]), "1:4,7,9:10");
        assert_eq!(super::uid_set(&[5]), "5");
        assert_eq!(super::uid_set(&[]), "");
    }
}
