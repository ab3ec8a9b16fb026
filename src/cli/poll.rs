//! `rebound poll`: read the bounce mailboxes of rebound.toml over IMAP into the store.

use anyhow::{bail, Context, Result};
use rebound::correlate::Correlator;
use rebound::hygiene::Policy;
use rebound::poll::{self, process::Pipeline, Event, PollConfig};
use rebound::store::Store;
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Poll the bounce mailboxes: decode, correlate, apply the policy, commit, then move
/// each message to a folder by outcome (Processed, Complaints, AutoReplies, Unmatched,
/// NotBounces, Unsubscribes; created when absent). Nothing is deleted.
///
/// A message sent to a copy's signed List-Unsubscribe mailto (LOCAL+unsub.TOKEN@DOMAIN)
/// is an unsubscribe request: a verified token suppresses its recipient (reason
/// `unsubscribed`) and the message goes to Unsubscribes; a forged or altered token
/// changes nothing and the message goes to NotBounces.
///
/// Accounts come from rebound.toml:
///
///   [poll]
///   batch = 100                 # messages per UID FETCH
///   move_every = 1000           # committed messages per MOVE round
///   timeout = 120               # seconds to wait for the server at any step
///   policy = "policy.toml"      # hygiene policy (default: built in)
///   [poll.folders]              # optional: the outcome folders' names
///   processed = "Processed"
///   [[poll.account]]
///   host = "imap.example.org"
///   port = 993
///   tls = "tls"                 # tls | starttls | none
///   user = "bounces@example.org"
///   password_env = "REBOUND_IMAP_PASSWORD"   # or password_file = "..."
///   folder = "INBOX"
///   ca_file = "extra-ca.pem"    # optional extra root
///
/// Examples:
///   rebound poll
///   rebound poll --dry-run
///   rebound poll --watch
#[derive(Debug, Default, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Configuration file.
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Poll only the account of this name (or user@host).
    #[arg(long)]
    account: Option<String>,
    /// Show what would change; change nothing (works on a scratch copy of the store).
    #[arg(long)]
    dry_run: bool,
    /// Stay connected and process new mail as it arrives (IDLE).
    #[arg(long)]
    watch: bool,
    /// Do not verify server certificates (dangerous; for tests only).
    #[arg(long)]
    insecure: bool,
    /// Messages per UID FETCH.
    #[arg(long)]
    batch: Option<usize>,
    /// Hygiene policy file (default: [poll] policy, else the built-in policy).
    #[arg(long)]
    policy: Option<PathBuf>,
    /// Seconds before IDLE is re-issued (servers may end it after 30 minutes).
    #[arg(long, default_value_t = 1500)]
    idle_timeout: u64,
    /// Environment variable holding the VERP secret (default: the one kept in the store).
    #[arg(long, value_name = "VAR")]
    verp_secret_env: Option<String>,
    /// table or json (one object) [default: table].
    #[arg(long, short, value_enum, default_value_t)]
    format: super::format::SummaryFormat,
    /// The same as --format json.
    #[arg(long, hide = true)]
    json: bool,
}

/// The arguments `rebound run` polls with: the config and store given, every default.
pub(super) fn for_run(config: &std::path::Path, db: &std::path::Path) -> Args {
    Args {
        config: config.to_path_buf(),
        db: db.to_path_buf(),
        idle_timeout: 1500,
        ..Args::default()
    }
}

/// Polls the configured accounts; returns the summary and the suppression list as it was
/// before (so callers can say what is new). `progress` shows a bar on stderr.
pub(super) fn collect(args: &Args, progress: bool) -> Result<(poll::Summary, Vec<String>)> {
    let section = super::config::load(&args.config, true)?.poll;
    let mut accounts = section.accounts.clone();
    if let Some(name) = &args.account {
        accounts.retain(|a| &a.label() == name);
        if accounts.is_empty() {
            bail!("no account '{name}' in '{}'", args.config.display());
        }
    }
    if accounts.is_empty() {
        bail!("no [[poll.account]] in '{}'", args.config.display());
    }
    let policy_path = args.policy.clone().or(section.policy.clone());
    let policy = Policy::load(policy_path.as_deref())?;
    let mut store = Store::open(&args.db)?;
    let secret = match &args.verp_secret_env {
        Some(var) => std::env::var(var)
            .with_context(|| format!("--verp-secret-env: ${var} is not set"))?
            .into_bytes(),
        None => store.verp_secret()?,
    };
    // A dry run works on a scratch copy, so it sees its own decisions and changes nothing.
    let scratch = if args.dry_run {
        let path = std::env::temp_dir().join(format!("rebound-dry-run-{}.db", std::process::id()));
        store.copy_to(&path)?;
        drop(store);
        store = Store::open(&path)?;
        Some(path)
    } else {
        None
    };
    let before: Vec<String> = store.suppressions()?.into_iter().map(|s| s.email).collect();
    let pipeline = Pipeline {
        correlator: Correlator {
            secret,
            window_days: policy.window_days,
        },
        policy,
    };
    let cfg = PollConfig {
        accounts,
        folders: section.folders.clone(),
        batch: args.batch.or(section.batch).unwrap_or(100).max(1),
        move_every: section.move_every.unwrap_or(1000),
        insecure: args.insecure,
        dry_run: args.dry_run,
        watch: args.watch,
        idle_timeout: Duration::from_secs(args.idle_timeout.max(10)),
        max_backoff: Duration::from_secs(300),
        io_timeout: section
            .timeout
            .map_or(poll::IO_TIMEOUT, |s| Duration::from_secs(s.max(1))),
    };
    let bar = if progress {
        indicatif::ProgressBar::new(0)
    } else {
        indicatif::ProgressBar::hidden()
    };
    bar.set_style(super::progress::style(
        "{msg} [{bar:30}] {pos}/{len} {rate}",
    ));
    let b = bar.clone();
    let result = poll::run(
        cfg,
        store,
        pipeline,
        move |e| match e {
            Event::Found {
                account,
                folder,
                count,
            } => {
                b.inc_length(count as u64);
                b.set_message(format!("{account} {folder}"));
            }
            Event::Done => b.inc(1),
            Event::Note(n) => b.suspend(|| eprintln!("rebound: {n}")),
        },
        super::signals::stop_requested(),
    );
    bar.finish_and_clear();
    if let Some(p) = &scratch {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", p.display()));
        }
    }
    Ok((result?, before))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let (summary, before) = collect(&args, true)?;
    let mut out = std::io::stdout().lock();
    if args.format.json(args.json) {
        writeln!(out, "{}", serde_json::to_string(&summary)?)?;
    } else {
        let verb = if args.dry_run { "would be" } else { "were" };
        writeln!(
            out,
            "messages read: {} (already read before: {})",
            summary.messages, summary.already_seen
        )?;
        for (k, n) in &summary.by_outcome {
            writeln!(out, "  {k}: {n}")?;
        }
        let keys: Vec<String> = summary
            .by_key
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        writeln!(out, "facts by key: {}", keys.join(", "))?;
        writeln!(out, "errors: {}", summary.errors)?;
        if summary.uidvalidity_changes > 0 {
            writeln!(out, "UIDVALIDITY changes: {}", summary.uidvalidity_changes)?;
        }
        let new: Vec<&String> = summary
            .suppressed
            .iter()
            .filter(|s| !before.contains(s))
            .collect();
        writeln!(out, "addresses that {verb} suppressed: {}", new.len())?;
        for s in new {
            writeln!(out, "  {s}")?;
        }
        if args.dry_run {
            writeln!(out, "dry run: nothing was moved or stored")?;
        }
        if summary.stopped {
            writeln!(
                out,
                "stopped by a signal: what was read is stored and moved; the next poll goes on from there"
            )?;
        }
    }
    Ok(if summary.errors > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
