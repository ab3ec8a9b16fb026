//! `rebound policy`: show the default hygiene policy, and preview what a policy would do
//! to the suppression list given the facts already stored.

use anyhow::Result;
use rebound::hygiene::{Policy, DEFAULT_POLICY};
use rebound::store::Store;
use std::path::PathBuf;
use std::process::ExitCode;

/// The hygiene policy.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Print the built-in default policy (a file to copy and edit).
    Default,
    /// Show what a policy would change in the suppression list, from the stored facts;
    /// changes nothing.
    Preview {
        /// Policy file (default: the built-in policy).
        #[arg(long)]
        policy: Option<PathBuf>,
        /// The SQLite store.
        #[arg(long, default_value = "rebound.db")]
        db: PathBuf,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Cmd::Default => print!("{DEFAULT_POLICY}"),
        Cmd::Preview { policy, db } => {
            let policy = Policy::load(policy.as_deref())?;
            let store = Store::open_existing(&db)?;
            let mut add = Vec::new();
            let mut keep = 0;
            for email in store.fact_emails()? {
                let facts = store.facts_for(&email, policy.soft_days)?;
                let accepted = store.last_accepted(&email, policy.soft_days)?;
                let decision = policy.decide(&facts, accepted.as_deref(), |f| policy.reclassify(f));
                let listed = match rebound::address::Address::parse(&email) {
                    Ok(a) => store.suppression(&a)?.is_some(),
                    Err(_) => false,
                };
                match (decision, listed) {
                    (Some((reason, evidence)), false) => add.push((email, reason, evidence)),
                    (Some(_), true) => keep += 1,
                    _ => {}
                }
            }
            println!("would add {} address(es); {keep} already listed", add.len());
            for (email, reason, evidence) in &add {
                println!("  + {email}  {reason}  ({evidence})");
            }
            let reputation = store.reputation_counts()?;
            if !reputation.is_empty() {
                println!("reputation and blocklist rejections (never suppress):");
                for (kind, key, n) in reputation {
                    println!("  {kind} {key}: {n}");
                }
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
