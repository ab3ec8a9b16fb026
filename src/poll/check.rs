//! What `rebound doctor` asks of a bounce mailbox, read-only: log in as configured, read
//! the capabilities the poller relies on, and open the folder without changing it
//! (EXAMINE). With a probe, wait for one message to arrive there.

use super::config::Account;
use super::connect::connect;
use super::within;
use std::time::{Duration, Instant};

/// What a mailbox offers.
#[derive(Debug, Clone)]
pub struct MailboxCheck {
    /// The capabilities the poller uses, each with whether the server has it.
    pub capabilities: Vec<(&'static str, bool)>,
    /// The folder's message count, when it exists.
    pub folder: Result<u32, String>,
}

/// The capabilities the poller uses and what each buys.
pub const WANTED: &[(&str, &str)] = &[
    (
        "MOVE",
        "moves a message in one step (else COPY + \\Deleted + EXPUNGE)",
    ),
    ("UIDPLUS", "expunges only the messages rebound moved"),
    (
        "IDLE",
        "`poll --watch` hears of new mail at once (else it re-checks)",
    ),
];

/// Each step's time limit: a check should answer quickly.
const STEP: Duration = Duration::from_secs(30);

/// Runs `fut` on its own runtime, each step under the poller's `within` with `STEP`.
fn block_on<T>(fut: impl std::future::Future<Output = Result<T, String>>) -> Result<T, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("starting the runtime: {e}"))?
        .block_on(super::TIMEOUT.scope(STEP, fut))
}

/// Connects and logs in as `connect` does, within `STEP`.
async fn login(account: &Account, insecure: bool) -> Result<super::connect::ImapSession, String> {
    within("connecting", async {
        connect(account, insecure).await.map_err(|e| e.message)
    })
    .await
}

/// Logs in (the error says why not), reads the capabilities, examines the folder.
pub fn check_mailbox(account: &Account, insecure: bool) -> Result<MailboxCheck, String> {
    block_on(async {
        let mut session = login(account, insecure).await?;
        let caps = within("CAPABILITY", session.capabilities()).await?;
        let capabilities = WANTED
            .iter()
            .map(|(name, _)| (*name, caps.has_str(*name)))
            .collect();
        drop(caps);
        let folder = match within("EXAMINE", session.examine(&account.folder)).await {
            Ok(m) => Ok(m.exists),
            Err(e) => Err(e),
        };
        let _ = within("LOGOUT", session.logout()).await;
        Ok(MailboxCheck {
            capabilities,
            folder,
        })
    })
}

/// Waits up to `timeout` for a message whose header `name` holds `value` to arrive in
/// the account's folder; its UID when it does. Changes nothing.
pub fn wait_for_header(
    account: &Account,
    insecure: bool,
    name: &str,
    value: &str,
    timeout: Duration,
) -> Result<Option<u32>, String> {
    block_on(async {
        let mut session = login(account, insecure).await?;
        let started = Instant::now();
        let query = format!("HEADER {name} \"{value}\"");
        let found = loop {
            // EXAMINE again each round: a fresh view of the folder, read-only.
            within("EXAMINE", session.examine(&account.folder)).await?;
            let uids = within("UID SEARCH", session.uid_search(&query)).await?;
            if let Some(uid) = uids.into_iter().max() {
                break Some(uid);
            }
            if started.elapsed() >= timeout {
                break None;
            }
            tokio::time::sleep(Duration::from_millis(500)).await;
        };
        let _ = within("LOGOUT", session.logout()).await;
        Ok(found)
    })
}
