//! `rebound blocklist check`: are the sending IPs and domains on DNS blocklists?

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use rebound::blocklist::config::{self, BlocklistConfig, SendHints, Settings};
use rebound::blocklist::{targets, Check, Status, Target};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// DNS blocklist checks.
#[derive(Debug, clap::Args)]
pub struct Args {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    Check(CheckArgs),
}

/// Ask DNS blocklists about sending IPs and domains.
///
/// IP addresses go to the IP lists (Spamhaus ZEN, SpamCop, Barracuda, UCEPROTECT level 1,
/// PSBL), domains to the domain lists (Spamhaus DBL, SURBL, URIBL). Targets come from the
/// arguments, else from --from-message (the Received trail, From domain and link domains
/// of a test copy), else from rebound.toml: [blocklist] ips and domains, falling back to
/// the addresses of [send] server and the domain of [send] from.
///
/// Each answer is one of: listed (with each return code's documented meaning, the list's
/// TXT reason and its removal page), not listed, refused (the list will not answer this
/// resolver: Spamhaus' 127.255.255.x, SURBL's and URIBL's 127.0.0.1; a resolver problem,
/// never a listing), timeout, servfail, error.
///
/// Exit code: 0 nothing listed and every list answered; 4 listed on at least one list;
/// 3 nothing listed, but some lists gave no answer; 1 an error; 2 a usage error.
///
/// Examples:
///   rebound blocklist check 192.0.2.25 news.example.com
///   rebound blocklist check --from-message seed-copy.eml --format json
///   rebound blocklist check --resolver 127.0.0.1:53 --list zen --list dbl
///   rebound blocklist check --record          # store the answers; changes get a time
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
struct CheckArgs {
    /// IP addresses and domains to check.
    targets: Vec<String>,
    /// Take targets from a saved test copy of a campaign message (repeatable).
    #[arg(long, value_name = "FILE")]
    from_message: Vec<PathBuf>,
    /// The resolver to ask (default: [blocklist] resolver, else the system's).
    #[arg(long, value_name = "IP:PORT")]
    resolver: Option<String>,
    /// Only these lists, by short name or zone (repeatable; default: [blocklist] lists, else all).
    #[arg(long, value_name = "NAME")]
    list: Vec<String>,
    /// Seconds to wait for each answer (default: [blocklist] timeout, else 3).
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    #[arg(long, short, value_enum)]
    format: Option<Format>,
    /// Record the answers in the store, as `run` does each cycle (listed/delisted changes
    /// are kept with their time and shown in reports).
    #[arg(long)]
    record: bool,
    /// The store (with --record).
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Configuration file (read when present).
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Json,
}

/// The sections of rebound.toml a check reads.
#[derive(Debug, Default, serde::Deserialize)]
pub struct FileConfig {
    #[serde(default)]
    pub blocklist: BlocklistConfig,
    #[serde(default)]
    pub send: SendHints,
}

pub fn load_config(path: &std::path::Path) -> Result<FileConfig> {
    let cfg = super::config::load(path, false)?;
    Ok(FileConfig {
        send: cfg.send_hints(),
        blocklist: cfg.blocklist,
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Cmd::Check(a) => check(a),
    }
}

fn check(args: CheckArgs) -> Result<ExitCode> {
    let file = load_config(&args.config)?;
    let settings = Settings::new(
        &file.blocklist,
        args.resolver.as_deref(),
        args.timeout,
        &args.list,
    )
    .map_err(anyhow::Error::msg)?;
    let mut given = Vec::new();
    for t in &args.targets {
        given.push(Target::parse(t).map_err(anyhow::Error::msg)?);
    }
    for path in &args.from_message {
        let bytes = std::fs::read(path).with_context(|| format!("reading '{}'", path.display()))?;
        let found = targets::from_message(&bytes);
        if found.ips.is_empty() && found.domains.is_empty() {
            bail!(
                "'{}': no public address in its Received trail, no From domain and no link",
                path.display()
            );
        }
        given.extend(found.ips);
        given.extend(found.domains);
    }
    let (targets, checks) = config::run_checks(&settings, given, &file.blocklist, &file.send)
        .map_err(anyhow::Error::msg)?;
    if targets.is_empty() {
        bail!(
            "nothing to check: give IPs or domains, --from-message FILE, or set [blocklist] ips/domains \
             or [send] server/from in '{}'",
            args.config.display()
        );
    }
    let changes = if args.record {
        let mut store = rebound::store::Store::open(&args.db)?;
        store.record_listings(&rebound::blocklist::observations(&checks), None)?
    } else {
        Vec::new()
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Json
    });
    let mut out = std::io::stdout().lock();
    let listed = checks.iter().filter(|c| c.status == Status::Listed).count();
    let unanswered = checks.iter().filter(|c| !c.status.is_answer()).count();
    match format {
        Format::Json => {
            let v = serde_json::json!({
                "targets": targets.iter().map(|t| t.to_string()).collect::<Vec<_>>(),
                "listed": listed,
                "unanswered": unanswered,
                "checks": checks,
                "changes": changes,
            });
            serde_json::to_writer_pretty(&mut out, &v)?;
            writeln!(out)?;
        }
        Format::Table => {
            write_table(&mut out, &checks)?;
            writeln!(
                out,
                "\n{} target(s), {} queries: {listed} listed, {unanswered} without an answer",
                targets.len(),
                checks.len()
            )?;
            for c in &changes {
                writeln!(
                    out,
                    "recorded: {} {} on {} at {}",
                    c.target, c.change, c.list, c.at
                )?;
            }
        }
    }
    Ok(ExitCode::from(if listed > 0 {
        4
    } else if unanswered > 0 {
        3
    } else {
        0
    }))
}

fn write_table(out: &mut impl Write, checks: &[Check]) -> std::io::Result<()> {
    let tw = checks
        .iter()
        .map(|c| c.target.len())
        .max()
        .unwrap_or(6)
        .max(6);
    let lw = checks
        .iter()
        .map(|c| c.zone.len())
        .max()
        .unwrap_or(4)
        .max(4);
    writeln!(
        out,
        "{:tw$}  {:lw$}  {:10}  ANSWER",
        "TARGET", "LIST", "STATUS"
    )?;
    for c in checks {
        let answer = match c.status {
            Status::NotListed => String::new(),
            Status::Listed => c.codes_text(),
            _ => c.detail.clone().unwrap_or_default(),
        };
        writeln!(
            out,
            "{:tw$}  {:lw$}  {:10}  {answer}",
            c.target,
            c.zone,
            c.status.as_str()
        )?;
        for t in &c.txt {
            writeln!(out, "{:tw$}  {:lw$}  {:10}  TXT: {t}", "", "", "")?;
        }
        if let Some(r) = c.removal {
            writeln!(out, "{:tw$}  {:lw$}  {:10}  removal: {r}", "", "", "")?;
        }
    }
    Ok(())
}
