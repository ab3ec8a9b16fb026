//! `poll`: read the bounce folders over IMAP, put every message through the pipeline
//! (`process`), and only after its facts are committed move it to a folder by outcome.
//! A crash anywhere leaves either the message in place (read again, changing nothing)
//! or its facts stored and the message moved.

pub mod check;
pub mod config;
pub mod connect;
mod guard;
pub mod process;
pub mod unsubscribe;

mod mover;
mod pass;
mod session;

pub use mover::uid_set;

use config::{Account, Folders};
use process::{Pipeline, Processed};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::store::{Store, StoreError};

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
    /// The longest wait for the server at any step (a FETCH waits this long for the next
    /// message, whatever else the server sends meanwhile).
    pub io_timeout: Duration,
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
    /// The run was asked to stop (a signal) and stopped after committing and moving
    /// what it had read.
    pub stopped: bool,
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

/// No IMAP step waits longer than this for the server by default (IDLE has its own
/// timer): a silent connection fails the run (or reconnects in watch mode) instead of
/// hanging.
pub const IO_TIMEOUT: Duration = Duration::from_secs(120);

tokio::task_local! {
    /// The run's `io_timeout`, for every step of its tasks.
    static TIMEOUT: Duration;
}

/// The time limit of one step with the server, for the run this task belongs to.
fn io_timeout() -> Duration {
    TIMEOUT.try_with(|t| *t).unwrap_or(IO_TIMEOUT)
}

/// Runs `fut` under the current run's time limit (for tasks spawned by a run).
fn scoped<F: std::future::Future>(fut: F) -> impl std::future::Future<Output = F::Output> {
    TIMEOUT.scope(io_timeout(), fut)
}

async fn within<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    let limit = io_timeout();
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {}", brief(&e.to_string()))),
        Err(_) => Err(format!(
            "{what}: no answer from the server in {} s",
            limit.as_secs()
        )),
    }
}

/// An IMAP library error as a person reads it: never the bytes the server sent (they
/// may hold message text), never longer than a line.
pub(crate) fn brief(text: &str) -> String {
    let text = match text.find(" during parsing of ") {
        Some(i) => format!(
            "the server sent a response that is not IMAP ({})",
            &text[..i].trim_start_matches("io: ")
        ),
        None => text.to_string(),
    };
    let mut out: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(300)
        .collect();
    if text.chars().count() > 300 {
        out.push_str("...");
    }
    out
}

/// What the server offers for moving messages (CAPABILITY, and the account's `use_move`).
#[derive(Debug, Clone, Copy)]
struct Caps {
    /// UID MOVE (RFC 6851).
    can_move: bool,
    /// UID EXPUNGE (RFC 4315).
    uidplus: bool,
}

/// The folder a pass works: its UIDVALIDITY when it was selected, and the server's Caps.
/// The checkpoints a pass records belong to this validity.
#[derive(Debug, Clone, Copy)]
struct Selected {
    validity: u32,
    caps: Caps,
}

struct Ctx {
    cfg: PollConfig,
    /// Turns true when the run is asked to stop.
    stop: tokio::sync::watch::Receiver<bool>,
    store: Shared<Store>,
    pipeline: Arc<Pipeline>,
    summary: Shared<Summary>,
    on_event: Arc<dyn Fn(Event) + Send + Sync>,
}

impl Ctx {
    /// Whether the run was asked to stop: no new batch is fetched, what was read is
    /// committed and moved, and the sessions log out.
    fn stopping(&self) -> bool {
        *self.stop.borrow()
    }

    /// Resolves when the run is asked to stop (never, if it is not).
    async fn stopped(&self) {
        let mut rx = self.stop.clone();
        let _ = rx.wait_for(|s| *s).await;
        if !*rx.borrow() {
            std::future::pending::<()>().await;
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// Polls every account once (or forever with `watch`), until `shutdown` resolves: then
/// no new batch is fetched, what was read is committed and moved, the checkpoints are
/// recorded, the sessions log out, and the summary says `stopped`. (`std::future::pending()`
/// never stops a run; the command line passes SIGTERM and SIGINT.)
pub fn run(
    cfg: PollConfig,
    store: Store,
    pipeline: Pipeline,
    on_event: impl Fn(Event) + Send + Sync + 'static,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<Summary, PollError> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| PollError::Runtime(format!("starting the runtime: {e}")))?;
    let (stop_tx, stop) = tokio::sync::watch::channel(false);
    let ctx = Arc::new(Ctx {
        cfg,
        stop,
        store: Arc::new(Mutex::new(store)),
        pipeline: Arc::new(pipeline),
        summary: Arc::new(Mutex::new(Summary::default())),
        on_event: Arc::new(on_event),
    });
    let limit = ctx.cfg.io_timeout;
    rt.block_on(TIMEOUT.scope(limit, async {
        let notes = ctx.on_event.clone();
        tokio::spawn(async move {
            shutdown.await;
            notes(Event::Note(
                "stopping: finishing the batch in hand, committing and moving it".into(),
            ));
            let _ = stop_tx.send(true);
        });
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
            .map(|a| session::account_loop(ctx.clone(), a.clone()));
        for r in futures_util::future::join_all(runs).await {
            r?;
        }
        Ok::<(), PollError>(())
    }))?;
    let mut summary = lock(&ctx.summary).clone();
    summary.stopped = ctx.stopping();
    Ok(summary)
}

async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> T + Send + 'static,
) -> Result<T, PollError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| PollError::Runtime(format!("worker thread: {e}")))
}
