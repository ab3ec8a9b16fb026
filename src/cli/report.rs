//! `rebound report`: what happened to a campaign, or to everything lately.

use anyhow::{bail, Context, Result};
use clap::ValueEnum;
use rebound::report::{self, Scope};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Report on bounces: one campaign from list to outcome, a recent window, or what tied to
/// no send.
///
/// A campaign report reconciles the whole path: recipients -> skipped (suppressed) ->
/// accepted with receipt ID / rejected at SMTP time / deferred -> bounced (hard, soft),
/// blocked (the sender, not the address), delayed, delivered, complained, auto-replied;
/// with breakdowns by reason, recipient domain, blocklist (list and listed IP) and day.
/// --recipients adds one line per recipient with the key that tied its bounce to the send.
///
/// Examples:
///   rebound report --campaign nov
///   rebound report --campaign nov --recipients --format csv > nov.csv
///   rebound report --campaign nov -o nov.html       # the format from the extension
///   rebound report --since 7d
///   rebound report --unmatched
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The campaign to report on.
    #[arg(long, conflicts_with_all = ["since", "unmatched"])]
    campaign: Option<String>,
    /// Facts of the last N days across campaigns: `7d`, `2w`.
    #[arg(long, value_name = "AGE", conflicts_with = "unmatched")]
    since: Option<String>,
    /// Bounces that tied to no send (and forged VERP tokens).
    #[arg(long)]
    unmatched: bool,
    /// Also list every recipient (or fact).
    #[arg(long)]
    recipients: bool,
    /// table, csv, json or html [default: from the --output file's extension (.csv, .json,
    /// .html, .htm), else table on a terminal and json when piped].
    #[arg(long, short, value_enum)]
    format: Option<Format>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "PATH", alias = "out")]
    output: Option<PathBuf>,
    /// The store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Configuration file (read when present): its [silence] section sets the silent-drop
    /// rule (see the README).
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
}

fn silence_rule(path: &std::path::Path) -> Result<report::SilenceRule> {
    Ok(super::config::load(path, false)?.silence)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Table,
    Csv,
    Json,
    /// One self-contained page (inline CSS and SVG).
    Html,
}

fn parse_age(s: &str) -> Result<u32> {
    let s = s.trim();
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: u32 = num
        .parse()
        .with_context(|| format!("--since '{s}': expected a number of days, like 7d"))?;
    Ok(match unit {
        "" | "d" => n,
        "w" => n.saturating_mul(7),
        _ => bail!("--since '{s}': use days (7d) or weeks (2w)"),
    })
}

pub fn run(args: Args) -> Result<ExitCode> {
    let scope = match (&args.campaign, &args.since, args.unmatched) {
        (Some(c), _, _) => Scope::Campaign(c.clone()),
        (None, Some(s), _) => Scope::Since(parse_age(s)?),
        (None, None, true) => Scope::Unmatched,
        (None, None, false) => {
            bail!("say what to report on: --campaign NAME, --since 7d or --unmatched")
        }
    };
    let store = rebound::store::Store::open_existing(&args.db)?;
    let r = report::build_with(
        &store,
        &scope,
        args.recipients,
        &silence_rule(&args.config)?,
    )?;
    // A person at a terminal gets the table; a pipe gets JSON, the machine format.
    let format = args
        .format
        .or_else(|| super::format::by_extension(args.output.as_deref()))
        .unwrap_or(
            if args.output.is_none() && !std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                Format::Json
            } else {
                Format::Table
            },
        );
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write '{}'", p.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    match format {
        Format::Table => report::text::table(&r, &mut out)?,
        Format::Csv => report::text::csv(&r, &mut out)?,
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &r)?;
            writeln!(out)?;
        }
        Format::Html => out.write_all(report::html::render(&r).as_bytes())?,
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
