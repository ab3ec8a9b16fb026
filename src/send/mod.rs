//! `send`: submit a campaign over SMTP, one transaction per recipient, and keep what the
//! server answered. Resumable: the store says who is done; a recipient caught between
//! DATA and the reply is "uncertain" and is not sent again unless asked.

pub mod csvlist;
pub mod message;
pub mod receipt;
pub mod smtp;

use crate::store::{Campaign, Outcome, Planted, RecipientRow, SendState, Store, StoreError};
use crate::verp;
use smtp::{Envelope, ServerConfig, Session, Stage, TxResult};
use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Everything a campaign run needs, validated.
#[derive(Debug, Clone)]
pub struct SendConfig {
    pub campaign: String,
    pub recipients: PathBuf,
    pub message: PathBuf,
    /// The bounce address base, `bounces@list.example`: each recipient gets
    /// `bounces+TOKEN@list.example` as its return path.
    pub return_path: String,
    pub server: ServerConfig,
    pub concurrency: usize,
    /// Messages per second over all connections, when limited.
    pub rate: Option<f64>,
    /// Attempts after a temporary (4xx) failure before the recipient is "deferred".
    pub retries: u32,
    pub retry_delay: Duration,
    /// Secret for the VERP token's HMAC.
    pub secret: Vec<u8>,
    pub resend_uncertain: bool,
    pub db: PathBuf,
}

/// Why a run stopped.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error(transparent)]
    List(#[from] csvlist::ListError),
    #[error(transparent)]
    Template(#[from] message::TemplateError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the message uses {{{{{missing}}}}} but the recipient list has no such column (columns: {columns})")]
    MissingField { missing: String, columns: String },
    #[error("{error}; {left} recipients are still pending: run the same command again to resume")]
    Server { error: String, left: usize },
}

/// What happened to one recipient, for progress and the summary.
#[derive(Debug, Clone)]
pub enum Event {
    Accepted,
    Rejected,
    Deferred,
    Uncertain,
    Skipped,
}

/// The end-of-run report.
#[derive(Debug, Default, Clone)]
pub struct Summary {
    pub listed: usize,
    pub problems: Vec<String>,
    pub accepted: usize,
    pub rejected: usize,
    pub deferred: usize,
    pub uncertain: usize,
    pub skipped: usize,
    /// Recipients found uncertain from an interrupted earlier run.
    pub recovered_uncertain: usize,
    /// Per-state totals for the whole campaign after the run.
    pub totals: Vec<(String, i64)>,
}

/// Shared pacing of all connections: the next moment a message may start.
struct Pace {
    interval: Option<Duration>,
    next: Mutex<Instant>,
}

impl Pace {
    fn wait(&self) {
        let Some(iv) = self.interval else { return };
        let at = {
            let mut next = self.next.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            let at = (*next).max(now);
            *next = at + iv;
            at
        };
        let now = Instant::now();
        if at > now {
            std::thread::sleep(at - now);
        }
    }
}

/// How often the progress reader wakes while the workers send.
const PROGRESS_TICK: Duration = Duration::from_millis(100);

/// A thread that checkpoints the store's WAL a few times a second while a campaign is
/// sent, so that the senders' commits never do it.
struct Checkpointer {
    stop: Arc<std::sync::atomic::AtomicBool>,
    thread: std::thread::JoinHandle<()>,
}

impl Checkpointer {
    const EVERY: Duration = Duration::from_millis(250);

    /// Starts one and turns the senders' own checkpoints off; `None` (and the senders
    /// keep checkpointing) when the second connection cannot be had.
    fn start(db: &std::path::Path, senders: &Store) -> Option<Checkpointer> {
        let own = Store::open(db).ok()?;
        senders.set_auto_checkpoint(0).ok()?;
        let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = stop.clone();
        let thread = std::thread::spawn(move || {
            while !flag.load(Ordering::Acquire) {
                std::thread::park_timeout(Self::EVERY);
                if let Err(e) = own.checkpoint_wal() {
                    tracing::debug!("checkpoint: {e}");
                }
            }
        });
        Some(Checkpointer { stop, thread })
    }

    fn stop(self) {
        self.stop.store(true, Ordering::Release);
        self.thread.thread().unpark();
        let _ = self.thread.join();
    }
}

/// Held by a worker thread: its end (also by a panic) is counted and wakes the reader.
struct Ended {
    running: Arc<AtomicUsize>,
    main: std::thread::Thread,
}

impl Drop for Ended {
    fn drop(&mut self) {
        if self.running.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.main.unpark();
        }
    }
}

/// Runs (or resumes) a campaign. `on_event` sees each recipient's outcome as it happens.
pub fn run(
    cfg: &SendConfig,
    on_event: &mut dyn FnMut(&Event, &Summary),
) -> Result<Summary, SendError> {
    let template = message::Template::load(&cfg.message)?;
    let list = csvlist::read(&cfg.recipients)?;
    if let Some(missing) = template
        .fields
        .iter()
        .find(|f| !list.headers.iter().any(|h| h == *f))
    {
        return Err(SendError::MissingField {
            missing: missing.clone(),
            columns: list.headers.join(", "),
        });
    }
    let mut store = Store::open(&cfg.db)?;
    let campaign = store.campaign(&cfg.campaign, &template.sha256, &cfg.return_path)?;
    let rows: Vec<(String, String, usize)> = list
        .rows
        .iter()
        .map(|r| {
            (
                r.email.clone(),
                serde_json::Value::Object(r.fields.clone()).to_string(),
                r.line,
            )
        })
        .collect();
    store.add_recipients(&campaign, &rows)?;
    let mut summary = Summary {
        listed: list.rows.len(),
        problems: list.problems.clone(),
        recovered_uncertain: store.recover_interrupted(&campaign, cfg.resend_uncertain)?,
        ..Summary::default()
    };

    // Suppressed addresses are skipped in one statement, before anything is sent.
    let skipped = store.skip_suppressed(&campaign)?;
    for _ in 0..skipped {
        summary.skipped += 1;
        on_event(&Event::Skipped, &summary);
    }
    let pending = store.pending(&campaign)?;
    let planted = identifiers(cfg, &campaign, &pending);
    store.plant(&planted)?;
    let queue: VecDeque<(RecipientRow, Planted)> = pending.into_iter().zip(planted).collect();
    // Checkpoints run beside the workers, on a connection of their own, instead of inside
    // whichever commit crosses SQLite's threshold while holding the workers' store.
    let checkpointer = Checkpointer::start(&cfg.db, &store);
    // One connection shared by the workers: SQLite has one writer at a time, and waiting
    // on a mutex is cheaper than SQLite's sleeping busy handler.
    let store = Arc::new(Mutex::new(store));
    let queue = Arc::new(Mutex::new(queue));
    let pace = Arc::new(Pace {
        interval: cfg
            .rate
            .filter(|r| *r > 0.0)
            .map(|r| Duration::from_secs_f64(1.0 / r)),
        next: Mutex::new(Instant::now()),
    });
    let template = Arc::new(template);
    let (tx, rx) = mpsc::channel::<Result<Event, String>>();
    let workers = cfg.concurrency.max(1);
    // The workers report through the channel; this thread reads it in batches, woken by a
    // tick or by the last worker's end, instead of once per message (a context switch
    // per message on a machine the relay itself keeps busy).
    let running = Arc::new(AtomicUsize::new(workers));
    let mut handles = Vec::new();
    for _ in 0..workers {
        let (queue, pace, template, tx) =
            (queue.clone(), pace.clone(), template.clone(), tx.clone());
        let cfg = cfg.clone();
        let campaign = campaign.clone();
        let store = store.clone();
        let ended = Ended {
            running: running.clone(),
            main: std::thread::current(),
        };
        handles.push(std::thread::spawn(move || {
            let _ended = ended;
            worker(&cfg, &campaign, &template, &store, &queue, &pace, &tx);
        }));
    }
    drop(tx);
    let mut server_error: Option<String> = None;
    loop {
        let done = running.load(Ordering::Acquire) == 0;
        for msg in rx.try_iter() {
            match msg {
                Ok(ev) => {
                    match ev {
                        Event::Accepted => summary.accepted += 1,
                        Event::Rejected => summary.rejected += 1,
                        Event::Deferred => summary.deferred += 1,
                        Event::Uncertain => summary.uncertain += 1,
                        Event::Skipped => summary.skipped += 1,
                    }
                    on_event(&ev, &summary);
                }
                Err(e) => {
                    server_error.get_or_insert(e);
                }
            }
        }
        if done {
            break;
        }
        std::thread::park_timeout(PROGRESS_TICK);
    }
    for h in handles {
        let _ = h.join();
    }
    let store = store.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(c) = checkpointer {
        c.stop();
    }
    summary.totals = store.state_counts(&campaign)?;
    if let Some(error) = server_error {
        let left = store.pending(&campaign)?.len();
        return Err(SendError::Server { error, left });
    }
    Ok(summary)
}

/// One connection's loop: take the next recipient, send, record, until the queue is empty
/// or the server cannot be reached.
fn worker(
    cfg: &SendConfig,
    campaign: &Campaign,
    template: &message::Template,
    store: &Mutex<Store>,
    queue: &Mutex<VecDeque<(RecipientRow, Planted)>>,
    pace: &Pace,
    tx: &mpsc::Sender<Result<Event, String>>,
) {
    let mut session: Option<Session> = None;
    let mut held: Option<Held> = None;
    loop {
        let Some((row, ids)) = queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front() else {
            break;
        };
        match send_one(
            cfg,
            campaign,
            template,
            store,
            &mut session,
            pace,
            &row,
            &ids,
            &mut held,
            tx,
        ) {
            Ok(Some(ev)) => {
                let _ = tx.send(Ok(ev));
            }
            Ok(None) => {}
            Err(e) => {
                // Put the recipient back for the next run and stop this connection.
                queue
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .push_front((row, ids));
                if let Err(f) = flush(store, &mut held, tx) {
                    let _ = tx.send(Err(f));
                }
                let _ = tx.send(Err(e));
                return;
            }
        }
    }
    if let Err(e) = flush(store, &mut held, tx) {
        let _ = tx.send(Err(e));
    }
    if let Some(s) = session {
        s.quit();
    }
}

/// An accepted recipient whose outcome is committed together with the next message's
/// "sending" mark on the same connection: one commit per message instead of two. It is
/// held only while that next message's MAIL, RCPT and DATA go round; anything else that
/// may wait (connecting, pacing, a refusal, the end of the list) commits it first.
struct Held {
    id: i64,
    reply: String,
    receipt: String,
}

impl Held {
    fn outcome(&self) -> Outcome<'_> {
        Outcome {
            state: SendState::Accepted,
            reply: Some(&self.reply),
            reply_code: Some(250),
            receipt_id: Some(&self.receipt),
            reason: None,
            hard: None,
        }
    }
}

/// Commits a held acceptance on its own and reports it.
fn flush(
    store: &Mutex<Store>,
    held: &mut Option<Held>,
    tx: &mpsc::Sender<Result<Event, String>>,
) -> Result<(), String> {
    if let Some(h) = held.as_ref() {
        store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .record(h.id, &h.outcome())
            .map_err(|e| e.to_string())?;
        *held = None;
        let _ = tx.send(Ok(Event::Accepted));
    }
    Ok(())
}

/// Opens a session, trying a few times with growing pauses.
fn connect(cfg: &SendConfig) -> Result<Session, String> {
    let mut last = String::new();
    for attempt in 0..3u32 {
        match Session::open(&cfg.server) {
            Ok(s) => return Ok(s),
            Err(e) => last = e.to_string(),
        }
        std::thread::sleep(Duration::from_millis(500 * (1 << attempt)));
    }
    Err(last)
}

/// The Message-ID, ENVID and VERP token of each recipient: derived from the campaign,
/// the recipient's row and the secret, so every attempt carries the same ones.
fn identifiers(cfg: &SendConfig, campaign: &Campaign, rows: &[RecipientRow]) -> Vec<Planted> {
    let domain = cfg
        .return_path
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let tag = verp::campaign_tag(&cfg.secret, campaign.id);
    rows.iter()
        .map(|r| Planted {
            id: r.id,
            message_id: format!("rebound.{}.{}.{tag}@{domain}", campaign.id, r.id),
            envelope_id: format!("rebound.{}.{}.{tag}", campaign.id, r.id),
            verp_token: verp::token(&cfg.secret, campaign.id, r.id),
        })
        .collect()
}

/// Sends one recipient, with retries for temporary failures. `Err` only when the server
/// cannot be reached (the recipient is then still pending). An acceptance is left in
/// `held` (reported when committed, hence `None`); other outcomes are committed here.
#[allow(clippy::too_many_arguments)]
fn send_one(
    cfg: &SendConfig,
    campaign: &Campaign,
    template: &message::Template,
    store: &Mutex<Store>,
    session: &mut Option<Session>,
    pace: &Pace,
    row: &RecipientRow,
    ids: &Planted,
    held: &mut Option<Held>,
    tx: &mpsc::Sender<Result<Event, String>>,
) -> Result<Option<Event>, String> {
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.fields).unwrap_or_default();
    let return_path = verp::return_path(&cfg.return_path, &ids.verp_token);
    let content = template.render(
        &fields,
        &row.email,
        &ids.message_id,
        &campaign.name,
        row.id,
        &message::rfc5322_now(),
    );
    let env = Envelope {
        return_path: &return_path,
        recipient: &row.email,
        envelope_id: &ids.envelope_id,
    };
    let mut attempt = 0u32;
    loop {
        if session.as_ref().is_some_and(|s| !s.usable()) {
            *session = None;
        }
        if session.is_none() {
            flush(store, held, tx)?;
            *session = Some(connect(cfg)?);
        }
        if pace.interval.is_some() {
            flush(store, held, tx)?;
            pace.wait();
        }
        let s = session.as_mut().ok_or("no session")?;
        let result = s.transaction(&env, &content, || {
            let mut st = store.lock().unwrap_or_else(|p| p.into_inner());
            let done = held.as_ref().map(|h| (h.id, h.outcome()));
            st.record_then_mark_sending(done.as_ref().map(|(id, o)| (*id, o)), row.id)?;
            if held.take().is_some() {
                let _ = tx.send(Ok(Event::Accepted));
            }
            Ok::<(), StoreError>(())
        });
        if !matches!(result, TxResult::Accepted { .. }) {
            flush(store, held, tx)?;
        }
        let outcome =
            |state, reply: &str, code, receipt: Option<&str>, reason: Option<&str>, hard| {
                store_outcome(store, row.id, state, reply, code, receipt, reason, hard)
            };
        match result {
            TxResult::Accepted { reply } => {
                // `before_content` committed any earlier acceptance with this mark
                debug_assert!(held.is_none());
                *held = Some(Held {
                    id: row.id,
                    receipt: receipt::receipt_id(&reply),
                    reply,
                });
                return Ok(None);
            }
            TxResult::Refused { stage, code, reply } if code >= 500 => {
                let (reason, hard) = crate::decode::classify_reply(&reply, Some(stage.command()));
                outcome(
                    SendState::Rejected,
                    &reply,
                    Some(code),
                    None,
                    Some(reason.as_str()),
                    Some(hard),
                )?;
                return Ok(Some(Event::Rejected));
            }
            TxResult::Refused {
                stage: _,
                code,
                reply,
            } => {
                if code == 421 {
                    *session = None; // the server is closing this connection
                }
                if attempt >= cfg.retries {
                    let (reason, _) = crate::decode::classify_reply(&reply, None);
                    outcome(
                        SendState::Deferred,
                        &reply,
                        Some(code),
                        None,
                        Some(reason.as_str()),
                        Some(false),
                    )?;
                    return Ok(Some(Event::Deferred));
                }
                // not accepted: back to pending until the next attempt
                outcome(SendState::Pending, &reply, Some(code), None, None, None)?;
            }
            TxResult::Broken { stage, error } => {
                *session = None;
                if stage == Stage::Content {
                    let note = format!(
                        "connection lost after the message was sent, before the reply: {error}"
                    );
                    outcome(SendState::Uncertain, &note, None, None, None, None)?;
                    return Ok(Some(Event::Uncertain));
                }
                if attempt >= cfg.retries {
                    return Err(format!("sending to {} failed: {error}", row.email));
                }
            }
        }
        attempt += 1;
        std::thread::sleep(cfg.retry_delay * (1 << attempt.min(6)));
    }
}

#[allow(clippy::too_many_arguments)]
fn store_outcome(
    store: &Mutex<Store>,
    id: i64,
    state: SendState,
    reply: &str,
    code: Option<u16>,
    receipt: Option<&str>,
    reason: Option<&str>,
    hard: Option<bool>,
) -> Result<(), String> {
    store
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .record(
            id,
            &Outcome {
                state,
                reply: Some(reply),
                reply_code: code,
                receipt_id: receipt,
                reason,
                hard,
            },
        )
        .map_err(|e| e.to_string())
}
