//! Moving committed messages to their outcome folders (UID MOVE, or COPY + \\Deleted +
//! UID EXPUNGE), on the session that fetched them or on a second connection, and
//! recording the checkpoint after each round.

use super::config::Account;
use super::connect::{self, ImapSession};
use super::pass::Moves;
use super::process::Outcome;
use super::{blocking, io_timeout, lock, scoped, within, Caps, Ctx, PollError, Selected};
use crate::store::Checkpoint;
use futures_util::StreamExt;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Committed messages to move, and the checkpoint to record once they are moved.
pub(super) struct MoveJob {
    by_folder: BTreeMap<Outcome, Vec<u32>>,
    done_upto: u32,
}

/// Hands the queued messages (already committed) to the mover connection, or moves
/// them on this one; the checkpoint is recorded after the move.
pub(super) async fn flush(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    mover: Option<&tokio::sync::mpsc::Sender<MoveJob>>,
    moves: &mut Moves,
    sel: Selected,
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
        None => move_and_checkpoint(ctx, account, session, job, sel).await,
    }
}

async fn move_and_checkpoint(
    ctx: &Arc<Ctx>,
    account: &Account,
    session: &mut ImapSession,
    job: MoveJob,
    sel: Selected,
) -> Result<(), PollError> {
    for (outcome, uids) in &job.by_folder {
        let target = ctx.cfg.folders.for_outcome(*outcome);
        let moved = move_messages(session, uids, target, sel.caps);
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
        uidvalidity: sel.validity,
        last_uid: job.done_upto,
    };
    blocking(move || lock(&store).set_checkpoint(&l, &f, cp)).await??;
    Ok(())
}

pub(super) type Mover = (
    tokio::sync::mpsc::Sender<MoveJob>,
    tokio::task::JoinHandle<Result<(), PollError>>,
);

/// A second connection that moves committed messages while the first one fetches
/// (moving is the server's slowest step on a large folder). It connects in the
/// background; jobs wait in the channel until it is ready. Jobs that queue up while it
/// moves are merged into one round (fewer MOVE commands, each making the server sync
/// the folder); the checkpoint follows the round.
pub(super) fn start_mover(ctx: &Arc<Ctx>, account: &Account, sel: Selected) -> Mover {
    let (tx, mut rx) = tokio::sync::mpsc::channel::<MoveJob>(MOVER_QUEUE);
    let (ctx, account) = (ctx.clone(), account.clone());
    let task = tokio::spawn(scoped(async move {
        let imap = |message: String| PollError::Imap {
            account: account.label(),
            folder: account.folder.clone(),
            message,
        };
        let connecting = connect::connect(&account, ctx.cfg.insecure);
        let mut session = match tokio::time::timeout(io_timeout(), connecting).await {
            Ok(s) => s?,
            Err(_) => {
                return Err(imap(format!(
                    "connecting (mover): no answer from the server in {} s",
                    io_timeout().as_secs()
                )))
            }
        };
        let mailbox = within("SELECT (mover)", session.select(&account.folder))
            .await
            .map_err(imap)?;
        if mailbox.uid_validity.unwrap_or(0) != sel.validity {
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
            move_and_checkpoint(&ctx, &account, &mut session, job, sel).await?;
            tracing::debug!(messages = count, checkpoint = upto, "mover: round done");
        }
        let _ = within("LOGOUT (mover)", session.logout()).await;
        Ok(())
    }));
    (tx, task)
}

/// Move rounds waiting for the mover (each at most `move_every` messages).
const MOVER_QUEUE: usize = 4;

/// When handing work to the mover failed, the mover's own error says why.
pub(super) async fn mover_error(mover: Option<Mover>, e: PollError) -> PollError {
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

/// UID MOVE (RFC 6851), or COPY + \\Deleted + UID EXPUNGE (RFC 4315) where MOVE is
/// missing; without UIDPLUS the copies stay flagged \\Deleted and are never expunged
/// (an EXPUNGE could remove other clients' messages).
///
/// The IMAP library ends a STORE's or EXPUNGE's answers at the tagged reply without
/// saying whether it was NO, so both are checked by what the server reports: every
/// message of the set must come back flagged \\Deleted, and (with UIDPLUS) be expunged.
/// A server that refuses fails the run, with the copies made so far named.
async fn move_messages(
    session: &mut ImapSession,
    uids: &[u32],
    target: &str,
    caps: Caps,
) -> Result<(), String> {
    let set = uid_set(uids);
    if caps.can_move {
        return session
            .uid_mv(&set, target)
            .await
            .map_err(|e| format!("UID MOVE {set} {target}: {}", super::brief(&e.to_string())));
    }
    session
        .uid_copy(&set, target)
        .await
        .map_err(|e| format!("UID COPY {set} {target}: {}", super::brief(&e.to_string())))?;
    let mut flagged = std::collections::BTreeSet::new();
    {
        let mut s = std::pin::pin!(session
            .uid_store(&set, "+FLAGS (\\Deleted)")
            .await
            .map_err(|e| format!("UID STORE {set}: {}", super::brief(&e.to_string())))?);
        while let Some(r) = s.next().await {
            let f = r.map_err(|e| format!("UID STORE {set}: {}", super::brief(&e.to_string())))?;
            let deleted = f
                .flags()
                .any(|flag| matches!(flag, async_imap::types::Flag::Deleted));
            if let (Some(uid), true) = (f.uid, deleted) {
                flagged.insert(uid);
            }
        }
    }
    let missing = uids.iter().filter(|u| !flagged.contains(u)).count();
    if missing > 0 {
        return Err(format!(
            "UID STORE {set} +FLAGS (\\Deleted): the server flagged {} of {} messages; they \
             were copied to {target} and stay in the folder too (nothing is lost; remove the \
             copies or the originals by hand)",
            uids.len() - missing,
            uids.len()
        ));
    }
    if caps.uidplus {
        let mut expunged = 0usize;
        {
            let mut s = std::pin::pin!(session
                .uid_expunge(&set)
                .await
                .map_err(|e| format!("UID EXPUNGE {set}: {}", super::brief(&e.to_string())))?);
            while let Some(r) = s.next().await {
                r.map_err(|e| format!("UID EXPUNGE {set}: {}", super::brief(&e.to_string())))?;
                expunged += 1;
            }
        }
        if expunged < uids.len() {
            return Err(format!(
                "UID EXPUNGE {set}: the server removed {expunged} of {} messages; they were \
                 copied to {target} and are flagged \\Deleted in the folder",
                uids.len()
            ));
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

#[cfg(test)]
mod tests {
    #[test]
    fn uid_sets_use_ranges() {
        assert_eq!(super::uid_set(&[1, 2, 3, 4, 7, 9, 10]), "1:4,7,9:10");
        assert_eq!(super::uid_set(&[5]), "5");
        assert_eq!(super::uid_set(&[]), "");
    }
}
