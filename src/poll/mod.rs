//! `poll`: read the bounce folders over IMAP, put every message through the pipeline
//! (`process`), and only after its facts are committed move it to a folder by outcome.
//! A crash anywhere leaves either the message in place (read again, changing nothing)
//! or its facts stored and the message moved.

pub mod config;
pub mod connect;
pub mod process;

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
        if p.error.is_some() && p.outcome == Some(Outcome::NotBounces) && !p.already_seen {
            // "not a bounce" is recorded with its reason; it counts as an error only when
            // the message could not be read at all.
            if p.error.as_deref() != Some("no delivery report, complaint or auto-reply found") {
                self.errors += 1;
            }
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
        let session = match connect::connect(&account, ctx.cfg.insecure).await {
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
    let caps = session
        .capabilities()
        .await
        .map_err(|e| imap(format!("CAPABILITY: {e}")))?;
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
    let mailbox = session
        .select(&folder)
        .await
        .map_err(|e| imap(format!("SELECT: {e}")))?;
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
    let mut uids: Vec<u32> = session
        .uid_search(format!("UID {}:*", last.saturating_add(1)))
        .await
        .map_err(|e| imap(format!("UID SEARCH: {e}")))?
        .into_iter()
        .filter(|u| *u > last)
        .collect();
    uids.sort_unstable();
    (ctx.on_event)(Event::Found {
        account: label.clone(),
        folder: folder.clone(),
        count: uids.len(),
    });
    let mut done_upto = last;
    let mut contiguous = true;
    for chunk in uids.chunks(ctx.cfg.batch.max(1)) {
        let set = uid_set(chunk);
        let mut messages: Vec<(u32, Option<Vec<u8>>)> = Vec::with_capacity(chunk.len());
        {
            let mut fetches = session
                .uid_fetch(&set, "(UID BODY.PEEK[])")
                .await
                .map_err(|e| imap(format!("UID FETCH {set}: {e}")))?;
            while let Some(f) = fetches.next().await {
                let f = f.map_err(|e| imap(format!("UID FETCH {set}: {e}")))?;
                if let Some(uid) = f.uid {
                    messages.push((uid, f.body().map(|b| b.to_vec())));
                }
            }
        }
        messages.sort_by_key(|m| m.0);
        let results = {
            let (store, pipeline, l, f) = (
                ctx.store.clone(),
                ctx.pipeline.clone(),
                label.clone(),
                folder.clone(),
            );
            blocking(move || {
                let mut store = lock(&store);
                let mut out = Vec::with_capacity(messages.len());
                for (uid, body) in messages {
                    let p = match body {
                        Some(b) => pipeline.process(&mut store, &b, &l, &f, Some(uid))?,
                        None => Processed {
                            error: Some(format!("UID {uid}: the server sent no body")),
                            ..Processed::default()
                        },
                    };
                    out.push((uid, p));
                }
                Ok::<_, StoreError>(out)
            })
            .await??
        };
        let mut by_folder: BTreeMap<Outcome, Vec<u32>> = BTreeMap::new();
        {
            let mut summary = lock(&ctx.summary);
            for (uid, p) in &results {
                summary.add(p);
                if p.outcome.is_none() {
                    summary.errors += 1;
                }
                (ctx.on_event)(Event::Done);
                if let Some(o) = p.outcome {
                    by_folder.entry(o).or_default().push(*uid);
                }
            }
        }
        if ctx.cfg.dry_run {
            continue;
        }
        // Only now, with the facts committed, do the messages leave the folder.
        for (outcome, moved) in &by_folder {
            let target = ctx.cfg.folders.for_outcome(*outcome);
            move_messages(session, &uid_set(moved), target, can_move, uidplus)
                .await
                .map_err(imap)?;
        }
        for uid in chunk {
            let moved = results.iter().any(|(u, p)| u == uid && p.outcome.is_some());
            contiguous &= moved;
            if contiguous {
                done_upto = *uid;
            }
        }
        let (store, l, f) = (ctx.store.clone(), label.clone(), folder.clone());
        let cp = Checkpoint {
            uidvalidity: validity,
            last_uid: done_upto,
        };
        blocking(move || lock(&store).set_checkpoint(&l, &f, cp)).await??;
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
