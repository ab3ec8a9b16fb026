//! One pass over a folder: everything after the checkpoint, fetched batch by batch,
//! decoded and committed on the blocking pool, then handed to the mover.

use super::config::Account;
use super::connect::ImapSession;
use super::mover::{flush, mover_error, start_mover, uid_set, Mover};
use super::process::{self, Outcome, Processed};
use super::{blocking, io_timeout, lock, within, Caps, Ctx, Event, PollError, Selected};
use crate::store::Checkpoint;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Reads the folder once: everything after the checkpoint, batch by batch.
pub(super) async fn pass(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    caps: Caps,
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
    let sel = Selected { validity, caps };
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
    let mut moves = Moves::new(last, uids.clone());
    let mut pending: std::collections::VecDeque<Work> = Default::default();
    let mut mover = None;
    if !ctx.cfg.dry_run && uids.len() > PARALLEL_MOVES_FROM {
        // Its connection is opened while the first batches are fetched.
        mover = Some(start_mover(ctx, account, sel));
    }
    for chunk in uids.chunks(ctx.cfg.batch.max(1)) {
        if ctx.stopping() {
            break;
        }
        let set = uid_set(chunk);
        let mut messages: Vec<(u32, Option<Vec<u8>>)> = Vec::with_capacity(chunk.len());
        let mut received = std::collections::BTreeSet::new();
        let mut held = 0usize;
        {
            let what = format!("UID FETCH {set}");
            let mut fetches = within(&what, session.uid_fetch(&set, FETCH_ITEMS.as_str()))
                .await
                .map_err(imap)?;
            // The clock restarts only when an asked-for message arrives: a server that
            // drips other lines (flags, notices) still runs out of time.
            let mut deadline = tokio::time::Instant::now() + io_timeout();
            loop {
                let next = tokio::time::timeout_at(deadline, fetches.next())
                    .await
                    .map_err(|_| {
                        imap(format!(
                            "{what}: no message from the server in {} s",
                            io_timeout().as_secs()
                        ))
                    })?;
                let Some(f) = next else { break };
                let f = f.map_err(|e| imap(format!("{what}: {}", super::brief(&e.to_string()))))?;
                // Only the UIDs asked for, each once: an unasked-for UID (a server bug, or
                // 4000000000) must never be processed or move the checkpoint.
                let Some(uid) = f.uid.filter(|u| chunk.binary_search(u).is_ok()) else {
                    continue;
                };
                let Some(body) = f.body() else { continue };
                if !received.insert(uid) {
                    continue;
                }
                held += body.len();
                messages.push((uid, Some(body.to_vec())));
                deadline = tokio::time::Instant::now() + io_timeout();
                if held >= BATCH_BYTES {
                    // Large messages: hand what is held to the pipeline now, so one batch
                    // never holds more than about BATCH_BYTES.
                    pending.push_back(spawn_batch(
                        ctx,
                        &label,
                        &folder,
                        std::mem::take(&mut messages),
                    ));
                    held = 0;
                    settle(ctx, &mut pending, &mut moves, IN_FLIGHT).await?;
                }
            }
        }
        // An asked-for UID the server did not send stays in the folder, and the
        // checkpoint stops before it (the next pass asks for it again).
        for uid in chunk.iter().filter(|u| !received.contains(u)) {
            messages.push((*uid, None));
        }
        messages.sort_by_key(|m| m.0);
        pending.push_back(spawn_batch(ctx, &label, &folder, messages));
        settle(ctx, &mut pending, &mut moves, IN_FLIGHT).await?;
        let every = ctx.cfg.move_every;
        flush_from(ctx, account, session, &mut mover, &mut moves, sel, every).await?;
    }
    settle(ctx, &mut pending, &mut moves, 0).await?;
    flush_from(ctx, account, session, &mut mover, &mut moves, sel, 1).await?;
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

/// Waits for committed batches until at most `keep` are in flight, counting each.
async fn settle(
    ctx: &Ctx,
    pending: &mut std::collections::VecDeque<Work>,
    moves: &mut Moves,
    keep: usize,
) -> Result<(), PollError> {
    while pending.len() > keep {
        let Some(prev) = pending.pop_front() else {
            break;
        };
        let results = prev
            .await
            .map_err(|e| PollError::Runtime(e.to_string()))??;
        record(ctx, &results, moves);
    }
    Ok(())
}

/// Moves the queued messages once there are at least `least` of them; when the mover
/// connection fails, its own error says why.
async fn flush_from(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    mover: &mut Option<Mover>,
    moves: &mut Moves,
    sel: Selected,
    least: usize,
) -> Result<(), PollError> {
    if moves.queued < least.max(1) {
        return Ok(());
    }
    let sender = mover.as_ref().map(|(tx, _)| tx.clone());
    match flush(ctx, account, session, sender.as_ref(), moves, sel).await {
        Ok(()) => Ok(()),
        Err(e) => Err(mover_error(mover.take(), e).await),
    }
}

/// Folders with more new messages than this get a second connection for the moves.
const PARALLEL_MOVES_FROM: usize = 1000;

type Work = tokio::task::JoinHandle<Result<Vec<(u32, Processed)>, PollError>>;

/// Batches decoded or being committed while the next one is fetched.
const IN_FLIGHT: usize = 2;

/// What a FETCH asks for: the UID and the message, cut one byte past what the decoder
/// reads (so it still knows the message was longer), which also bounds what one
/// message can cost in memory.
static FETCH_ITEMS: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| format!("(UID BODY.PEEK[]<0.{}>)", crate::decode::MAX_PARSE + 1));

/// A batch hands its messages to the pipeline once it holds this many bytes.
const BATCH_BYTES: usize = 64 << 20;

/// Committed messages waiting to be moved, and how far the folder is done.
pub(super) struct Moves {
    pub(super) by_folder: BTreeMap<Outcome, Vec<u32>>,
    pub(super) queued: usize,
    /// The checkpoint: every UID this pass asked for up to here is committed. It passes
    /// only UIDs that were asked for and committed, in UID order, whatever order the
    /// server answered in and whichever batch committed first.
    pub(super) done_upto: u32,
    /// The UIDs this pass asked for, ascending.
    asked: Vec<u32>,
    /// How many of `asked`, from the start, are committed.
    upto: usize,
    /// Committed UIDs past the first one that is not.
    ahead: std::collections::BTreeSet<u32>,
}

impl Moves {
    fn new(last: u32, asked: Vec<u32>) -> Moves {
        Moves {
            by_folder: BTreeMap::new(),
            queued: 0,
            done_upto: last,
            asked,
            upto: 0,
            ahead: Default::default(),
        }
    }

    /// A committed message: the checkpoint moves up as far as every asked UID is.
    fn committed(&mut self, uid: u32) {
        self.ahead.insert(uid);
        while let Some(&next) = self.asked.get(self.upto) {
            if !self.ahead.remove(&next) {
                break;
            }
            self.done_upto = next;
            self.upto += 1;
        }
    }
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
                    error: Some("the server sent no message for it (read again next time)".into()),
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
                moves.committed(*uid);
            }
            None => {
                // Left in the folder; the checkpoint stops before it.
                summary.errors += 1;
                let why = p.error.as_deref().unwrap_or("could not be read");
                (ctx.on_event)(Event::Note(format!("UID {uid} left in the folder: {why}")));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Moves;

    /// The checkpoint passes a UID only once it and every asked UID below it are
    /// committed, in whatever order batches commit; UIDs never asked for never count.
    #[test]
    fn the_checkpoint_passes_only_committed_asked_uids() {
        let mut m = Moves::new(10, vec![11, 12, 15, 20]);
        m.committed(15);
        assert_eq!(m.done_upto, 10, "12 is not committed yet");
        m.committed(11);
        assert_eq!(m.done_upto, 11);
        m.committed(4_000_000_000);
        m.committed(12);
        assert_eq!(m.done_upto, 15);
        m.committed(20);
        assert_eq!(m.done_upto, 20);
        // A failed UID is never committed: the checkpoint waits below it for good.
        let mut m = Moves::new(0, vec![1, 2, 3]);
        m.committed(1);
        m.committed(3);
        assert_eq!(m.done_upto, 1);
    }
}
