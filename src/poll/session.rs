//! One account's connection: connect (with backoff in watch mode), make the outcome
//! folders, then read the folder once or, with `watch`, again whenever IDLE says so.

use super::config::{Account, Folders};
use super::connect::{self, ImapSession};
use super::pass::pass;
use super::process::Outcome;
use super::{io_timeout, within, Caps, Ctx, Event, PollError};
use futures_util::StreamExt;
use std::sync::Arc;
use std::time::Duration;

pub(super) async fn account_loop(ctx: Arc<Ctx>, account: Account) -> Result<(), PollError> {
    let mut backoff = Duration::from_secs(1);
    loop {
        let attempt =
            tokio::time::timeout(io_timeout(), connect::connect(&account, ctx.cfg.insecure))
                .await
                .unwrap_or_else(|_| {
                    Err(connect::ConnectError {
                        account: account.label(),
                        message: format!(
                            "no answer from the server in {} s",
                            io_timeout().as_secs()
                        ),
                    })
                });
        let session = match attempt {
            Ok(s) => s,
            Err(_) if ctx.stopping() => return Ok(()),
            Err(e) if ctx.cfg.watch => {
                (ctx.on_event)(Event::Note(format!("{e}; retrying in {backoff:?}")));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = ctx.stopped() => return Ok(()),
                }
                backoff = (backoff * 2).min(ctx.cfg.max_backoff);
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        backoff = Duration::from_secs(1);
        match session_loop(&ctx, &account, session).await {
            Ok(()) => return Ok(()),
            Err(_) if ctx.stopping() => return Ok(()),
            Err(e) if ctx.cfg.watch => {
                (ctx.on_event)(Event::Note(format!("{e}; reconnecting")));
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = ctx.stopped() => return Ok(()),
                }
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
    let moving = Caps {
        can_move: account.use_move && caps.has_str("MOVE"),
        uidplus: caps.has_str("UIDPLUS"),
    };
    drop(caps);
    if !ctx.cfg.dry_run {
        ensure_folders(&mut session, &ctx.cfg.folders)
            .await
            .map_err(imap)?;
    }
    loop {
        pass(ctx, account, &mut session, moving).await?;
        if !ctx.cfg.watch || ctx.stopping() {
            // Everything is committed and moved: a server that never answers LOGOUT
            // costs at most the time limit, and is not an error.
            let _ = within("LOGOUT", session.logout()).await;
            return Ok(());
        }
        // Wait for new mail; IDLE is re-issued before the server's timeout.
        let mut idle = session.idle();
        idle.init().await.map_err(|e| imap(format!("IDLE: {e}")))?;
        let (wait, _stop) = idle.wait_with_timeout(ctx.cfg.idle_timeout);
        tokio::select! {
            waited = wait => {
                waited.map_err(|e| imap(format!("IDLE: {e}")))?;
            }
            _ = ctx.stopped() => {}
        }
        session = within("DONE", idle.done()).await.map_err(imap)?;
    }
}

async fn ensure_folders(session: &mut ImapSession, folders: &Folders) -> Result<(), String> {
    let mut existing = Vec::new();
    {
        let mut names = within("LIST", session.list(Some(""), Some("*"))).await?;
        loop {
            let next = tokio::time::timeout(io_timeout(), names.next())
                .await
                .map_err(|_| {
                    format!(
                        "LIST: no answer from the server in {} s",
                        io_timeout().as_secs()
                    )
                })?;
            let Some(n) = next else { break };
            existing.push(
                n.map_err(|e| format!("LIST: {}", super::brief(&e.to_string())))?
                    .name()
                    .to_string(),
            );
        }
    }
    for o in Outcome::ALL {
        let name = folders.for_outcome(o);
        if !existing.iter().any(|e| e == name) {
            let created = tokio::time::timeout(io_timeout(), session.create(name))
                .await
                .map_err(|_| {
                    format!(
                        "CREATE {name}: no answer from the server in {} s",
                        io_timeout().as_secs()
                    )
                })?;
            if let Err(e) = created {
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
