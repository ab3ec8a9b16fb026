//! `send`: submit a campaign over SMTP, one transaction per recipient, and keep what the
//! server answered. Resumable: the store says who is done; a recipient caught between
//! DATA and the reply is "uncertain" and is not sent again unless asked.

pub mod auth;
pub mod checks;
pub mod conn;
pub mod csvlist;
pub mod dryrun;
pub mod envelope;
pub mod message;
pub mod receipt;
pub mod reply;
pub mod smtp;
pub mod unsubscribe;

use crate::hygiene::Policy;
use crate::store::{
    Adopted, Applier, Campaign, Journal, Judge, Outcome, Planted, RecipientRow, RunPlan, SendState,
    Store, StoreError,
};
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
    /// Send the `deferred` recipients again (never an accepted one).
    pub retry_deferred: bool,
    /// Let a re-run add the recipients of its list that the campaign does not have yet.
    pub add_recipients: bool,
    /// The https unsubscribe URL (`{token}` is replaced by the signed token), when set.
    pub unsubscribe_url: Option<String>,
    pub db: PathBuf,
    /// The hygiene policy that judges each refusal as it is recorded.
    pub policy: Arc<Policy>,
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
    #[error("cannot write '{path}': {why}")]
    Output { path: String, why: String },
    #[error("test copy to {to} not sent: {why}")]
    TestSend { to: String, why: String },
}

/// What happened to one recipient, for progress and the summary; and what the user
/// should see while it runs.
#[derive(Debug, Clone)]
pub enum Event {
    Accepted,
    Rejected,
    Deferred,
    Uncertain,
    Skipped,
    /// A connection is being opened to this `host:port` (shown from the first attempt).
    Connecting(String),
    /// A warning about the campaign that does not stop it (e.g. DMARC alignment).
    Warning(String),
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
    /// Nobody was left to send to: no connection was opened.
    pub nothing_to_send: bool,
    /// How this run's message and list changed the campaign.
    pub adopted: Adopted,
    /// Deferred recipients made pending again (`--retry-deferred`).
    pub retried_deferred: usize,
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
    let (template, list) = load_inputs(&cfg.message, &cfg.recipients)?;
    if let Some(w) = dmarc_warning(&template, &cfg.return_path) {
        on_event(&Event::Warning(w), &Summary::default());
    }
    let mut store = Store::open(&cfg.db)?;
    let mut campaign = store.campaign(&cfg.campaign, &template.sha256, &cfg.return_path)?;
    // Taken before anything is read: one run per campaign at a time, and what a killed
    // run left in its journal is in the store before the pending recipients are listed.
    let journal = Arc::new(store.open_journal(campaign.id, Some(&*cfg.policy))?);
    // refusals of a killed run applied without a policy are judged now
    {
        let tx = store.begin()?;
        cfg.policy.settle_refusals(&tx)?;
        tx.commit()?;
    }
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
    let adopted = store.adopt_run(
        &mut campaign,
        &RunPlan {
            message_sha256: &template.sha256,
            message_path: &cfg.message.display().to_string(),
            from_addr: &cfg.return_path,
            list_path: &cfg.recipients.display().to_string(),
            rows: &rows,
            add_recipients: cfg.add_recipients,
        },
    )?;
    let mut summary = Summary {
        listed: list.rows.len(),
        problems: list.problems.clone(),
        recovered_uncertain: store.recover_interrupted(&campaign, cfg.resend_uncertain)?,
        adopted,
        retried_deferred: if cfg.retry_deferred {
            store.retry_deferred(&campaign)?
        } else {
            0
        },
        ..Summary::default()
    };

    // Suppressed addresses are skipped in one statement, before anything is sent.
    let skipped = store.skip_suppressed(&campaign)?;
    for _ in 0..skipped {
        summary.skipped += 1;
        on_event(&Event::Skipped, &summary);
    }
    let pending = store.pending(&campaign)?;
    if pending.is_empty() {
        // said at once, without connecting
        finish_empty(&mut store, &campaign, &mut summary)?;
        return Ok(summary);
    }
    let planted = identifiers(cfg, &campaign, &pending);
    store.plant(&planted)?;
    // each address in the form it goes on the wire, worked out once per recipient
    let queue: VecDeque<(RecipientRow, Planted)> = pending
        .into_iter()
        .map(|mut r| {
            r.email = smtp_to(&r.email);
            r
        })
        .zip(planted)
        .collect();
    // Each recipient's changes go to the journal; this thread moves them into the store.
    let judge: Arc<dyn Judge> = cfg.policy.clone();
    let applier = Applier::start(&cfg.db, journal.clone(), Some(judge))?;
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
        let journal = journal.clone();
        let ended = Ended {
            running: running.clone(),
            main: std::thread::current(),
        };
        handles.push(std::thread::spawn(move || {
            let _ended = ended;
            worker(&cfg, &campaign, &template, &journal, &queue, &pace, &tx);
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
                        Event::Connecting(_) | Event::Warning(_) => {}
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
    let applied = applier.stop();
    drop(journal);
    applied?;
    summary.totals = store.state_counts(&campaign)?;
    if let Some(error) = server_error {
        let left = store.pending(&campaign)?.len();
        return Err(SendError::Server { error, left });
    }
    Ok(summary)
}

/// The end of a run that had nobody to send to.
fn finish_empty(
    store: &mut Store,
    campaign: &Campaign,
    summary: &mut Summary,
) -> Result<(), SendError> {
    summary.nothing_to_send = true;
    summary.totals = store.state_counts(campaign)?;
    Ok(())
}

/// Loads and checks the template and the list, and that every placeholder has a column.
pub fn load_inputs(
    message_path: &std::path::Path,
    recipients: &std::path::Path,
) -> Result<(message::Template, csvlist::RecipientList), SendError> {
    let template = message::Template::load(message_path)?;
    let list = csvlist::read(recipients)?;
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
    Ok((template, list))
}

/// The DMARC alignment warning for a template sent with this return path, if any.
pub fn dmarc_warning(template: &message::Template, return_path: &str) -> Option<String> {
    checks::dmarc_warning(template.from.as_deref()?, return_path)
}

/// One connection's loop: take the next recipient, send, record, until the queue is empty
/// or the server cannot be reached.
fn worker(
    cfg: &SendConfig,
    campaign: &Campaign,
    template: &message::Template,
    journal: &Journal,
    queue: &Mutex<VecDeque<(RecipientRow, Planted)>>,
    pace: &Pace,
    tx: &mpsc::Sender<Result<Event, String>>,
) {
    let mut session: Option<Session> = None;
    let pop = || queue.lock().unwrap_or_else(|p| p.into_inner()).pop_front();
    let mut current = pop();
    while let Some((row, ids)) = current {
        // The next recipient is taken now so that its envelope can ride behind this
        // message's content (not when paced: the server would wait in DATA meanwhile).
        let upcoming = pop();
        let next_return_path = upcoming
            .as_ref()
            .filter(|_| pace.interval.is_none())
            .map(|(_, n)| verp::return_path(&cfg.return_path, &n.verp_token));
        let next = upcoming
            .as_ref()
            .zip(next_return_path.as_deref())
            .map(|((r, n), rp)| Envelope {
                return_path: rp,
                recipient: &r.email,
                envelope_id: &n.envelope_id,
            });
        match send_one(
            cfg,
            campaign,
            template,
            journal,
            &mut session,
            pace,
            &row,
            &ids,
            next.as_ref(),
            tx,
        ) {
            Ok(ev) => {
                let _ = tx.send(Ok(ev));
            }
            Err(e) => {
                // Put the recipients back for the next run and stop this connection.
                let mut q = queue.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(u) = upcoming {
                    q.push_front(u);
                }
                q.push_front((row, ids));
                let _ = tx.send(Err(e));
                return;
            }
        }
        current = upcoming;
    }
    if let Some(s) = session {
        s.quit();
    }
}

/// Opens a session, trying up to three times with growing pauses (0.5 s, 1 s) between;
/// a server that stayed silent is not tried again (each try would cost the timeout).
fn connect(cfg: &SendConfig) -> Result<Session, String> {
    let mut attempt = 0u32;
    loop {
        match Session::open(&cfg.server) {
            Ok(s) => return Ok(s),
            Err(e) if e.timed_out() || attempt >= 2 => return Err(e.to_string()),
            Err(_) => {}
        }
        std::thread::sleep(Duration::from_millis(500 * (1 << attempt)));
        attempt += 1;
    }
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

/// How a recipient is written on the wire: an internationalised domain as A-labels
/// (the server may not offer SMTPUTF8; see `Address::smtp_form`).
pub(crate) fn smtp_to(email: &str) -> String {
    crate::address::Address::parse(email)
        .map(|a| a.smtp_form())
        .unwrap_or_else(|_| email.to_string())
}

/// Sends one recipient, with retries for temporary failures, and records the outcome.
/// `Err` only when the server cannot be reached (the recipient is then still pending).
#[allow(clippy::too_many_arguments)]
fn send_one(
    cfg: &SendConfig,
    campaign: &Campaign,
    template: &message::Template,
    journal: &Journal,
    session: &mut Option<Session>,
    pace: &Pace,
    row: &RecipientRow,
    ids: &Planted,
    next: Option<&Envelope>,
    events: &mpsc::Sender<Result<Event, String>>,
) -> Result<Event, String> {
    let fields: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&row.fields).unwrap_or_default();
    let return_path = verp::return_path(&cfg.return_path, &ids.verp_token);
    let to = &row.email; // already in its wire form (see `run`)
    let content = template.render(
        &fields,
        to,
        &ids.message_id,
        &campaign.name,
        row.id,
        &message::rfc5322_now(),
    );
    let content = unsubscribe::links(
        &cfg.secret,
        &cfg.return_path,
        cfg.unsubscribe_url.as_deref(),
        campaign.id,
        row.id,
    )
    .add_to(content);
    let env = Envelope {
        return_path: &return_path,
        recipient: to,
        envelope_id: &ids.envelope_id,
    };
    let outcome =
        |state, reply: &str, code, receipt: Option<&str>, reason: Option<&str>, hard, command| {
            journal
                .outcome(
                    row.id,
                    &Outcome {
                        state,
                        reply: Some(reply),
                        reply_code: code,
                        receipt_id: receipt,
                        reason,
                        hard,
                        command,
                    },
                )
                .map_err(|e| e.to_string())
        };
    let mut attempt = 0u32;
    loop {
        // a session primed for another envelope (a retry) cannot start this one
        if session
            .as_ref()
            .is_some_and(|s| !s.usable() || (s.is_primed() && !s.primed_for(&env)))
        {
            *session = None;
        }
        if session.is_none() {
            let _ = events.send(Ok(Event::Connecting(format!(
                "{}:{}",
                cfg.server.host, cfg.server.port
            ))));
            *session = Some(connect(cfg)?);
        }
        pace.wait();
        let s = session.as_mut().ok_or("no session")?;
        // "sending" is on disk before the content leaves (see `store::journal`)
        let result = s.transaction(&env, &content, || journal.sending(row.id), next);
        match result {
            TxResult::Accepted { reply } => {
                let receipt = receipt::receipt_id(&reply);
                outcome(
                    SendState::Accepted,
                    &reply,
                    Some(250),
                    Some(&receipt),
                    None,
                    None,
                    None,
                )?;
                return Ok(Event::Accepted);
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
                    Some(stage.command()),
                )?;
                return Ok(Event::Rejected);
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
                        None,
                    )?;
                    return Ok(Event::Deferred);
                }
                // not accepted: back to pending until the next attempt
                outcome(
                    SendState::Pending,
                    &reply,
                    Some(code),
                    None,
                    None,
                    None,
                    None,
                )?;
            }
            TxResult::NotSent { reason } => {
                // decided here, not by the server: kept deferred, never a bounce
                outcome(
                    SendState::Deferred,
                    &reason,
                    None,
                    None,
                    None,
                    Some(false),
                    None,
                )?;
                return Ok(Event::Deferred);
            }
            TxResult::Broken {
                stage,
                error,
                timeout,
            } => {
                *session = None;
                if stage == Stage::Content {
                    let note = format!(
                        "connection lost after the message was sent, before the reply: {error}"
                    );
                    outcome(SendState::Uncertain, &note, None, None, None, None, None)?;
                    return Ok(Event::Uncertain);
                }
                // a silent server is not asked again at once: it would cost the whole
                // timeout per attempt; the recipient stays pending for the next run
                if timeout || attempt >= cfg.retries {
                    return Err(format!("sending to {} failed: {error}", row.email));
                }
            }
        }
        attempt += 1;
        std::thread::sleep(cfg.retry_delay * (1 << attempt.min(6)));
    }
}
