//! `rebound prune`: the retention period, applied (also run by `rebound run` each cycle).

use anyhow::{bail, Result};
use rebound::store::{Pruned, Store};
use std::path::PathBuf;
use std::process::ExitCode;

/// Delete facts (decoded bounces, refusals, complaints) and stored diagnostics (server
/// replies) older than the retention period, and the unsubscribe requests of that age.
/// The suppression list stays whole: an address suppressed long ago is still never sent
/// to. The send states and receipt IDs stay, and so do the read messages' identities
/// (Message-ID and SHA-256, so a message read again is still recognised). The database
/// is then rewritten (VACUUM) so the deleted values leave the file.
///
/// The period is --days, else `retention_days` of [run] in rebound.toml; `rebound run`
/// prunes each cycle when `retention_days` is set.
///
/// Examples:
///   rebound prune --days 90
///   rebound prune                 # retention_days of [run] in rebound.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Keep this many days [default: `retention_days` of [run] in rebound.toml].
    #[arg(long, value_name = "N")]
    days: Option<u32>,
    /// Configuration file (read when present).
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
}

/// The one-line summary, shared with `rebound run`.
pub fn summary(days: u32, p: &Pruned) -> String {
    format!(
        "pruned what is older than {days} days: {} facts, {} replies, {} unsubscribe requests",
        p.facts, p.replies, p.unsubscribes
    )
}

pub fn run(args: Args) -> Result<ExitCode> {
    let days = match args.days {
        Some(d) => d,
        None => {
            let cfg = super::config::load(&args.config, false)?;
            match cfg.run.retention_days {
                Some(d) => d,
                None => bail!(
                    "no retention period: give --days N or set retention_days in [run] of '{}'",
                    args.config.display()
                ),
            }
        }
    };
    let mut store = Store::open_existing(&args.db)?;
    let pruned = store.prune(days)?;
    println!("{}", summary(days, &pruned));
    Ok(ExitCode::SUCCESS)
}
