//! `rebound campaign`: list, show and delete campaigns.

use anyhow::{bail, Result};
use rebound::report::{self, Scope};
use rebound::store::{CampaignInfo, Store};
use std::path::PathBuf;
use std::process::ExitCode;

/// See and manage campaigns: what each sent, and removing one that sent nothing.
///
/// Examples:
///   rebound campaign list
///   rebound campaign show nov
///   rebound campaign delete draft-test
///   rebound campaign delete nov --force     # facts and suppressions are kept
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db", global = true)]
    db: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// One line per campaign: name, created, message file and SHA-256, recipients by
    /// state, last activity.
    List {
        /// table or json (an array of objects) [default: table].
        #[arg(long, short, value_enum, default_value_t)]
        format: super::format::SummaryFormat,
        /// The same as --format json.
        #[arg(long, hide = true)]
        json: bool,
    },
    /// One campaign in detail, with the report's funnel (the numbers of `report`).
    Show {
        /// The campaign's name (as given to `send --campaign`).
        name: String,
        /// table or json [default: table].
        #[arg(long, short, value_enum, default_value_t)]
        format: super::format::SummaryFormat,
        /// The same as --format json.
        #[arg(long, hide = true)]
        json: bool,
    },
    /// Delete a campaign and its recipients. Refused once anything was sent (accepted,
    /// refused or uncertain) unless --force.
    Delete {
        /// The campaign's name (as given to `send --campaign`).
        name: String,
        /// Delete even though messages were sent: the facts (bounces, refusals) stay,
        /// no longer tied to the campaign, the suppression list is not touched, and the
        /// address of each copy that went out is kept so its unsubscribe link still works.
        #[arg(long)]
        force: bool,
    },
}

/// `pending 0, accepted 3, ...` in the store's state order.
fn states(info: &CampaignInfo) -> String {
    if info.states.is_empty() {
        return "no recipients".into();
    }
    info.states
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn message(info: &CampaignInfo) -> String {
    let short = info
        .message_sha256
        .get(..12)
        .unwrap_or(&info.message_sha256);
    match &info.message_path {
        Some(p) => format!("{p} (sha256 {short}…)"),
        None => format!("(file not recorded) (sha256 {short}…)"),
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    match args.command {
        Cmd::List { format, json } => {
            let json = format.json(json);
            let store = Store::open_existing(&args.db)?;
            let all = store.campaign_infos()?;
            if json {
                println!("{}", serde_json::to_string_pretty(&all)?);
                return Ok(ExitCode::SUCCESS);
            }
            if all.is_empty() {
                println!("no campaigns in '{}'", args.db.display());
            }
            for c in &all {
                let total: i64 = c.states.iter().map(|(_, n)| n).sum();
                println!(
                    "{}\tcreated {}\tlast activity {}\t{}\t{total} recipients: {}",
                    clean(&c.name),
                    c.created_at,
                    c.last_activity,
                    clean(&message(c)),
                    states(c)
                );
            }
        }
        Cmd::Show { name, format, json } => {
            let json = format.json(json);
            let store = Store::open_existing(&args.db)?;
            let Some(info) = store.campaign_info(&name)? else {
                bail!("no campaign named '{name}' in '{}'", args.db.display());
            };
            let report = report::build(&store, &Scope::Campaign(name.clone()), false)?;
            if json {
                let both = serde_json::json!({
                    "campaign": info,
                    "funnel": report.funnel,
                    "rates": report.rates,
                });
                println!("{}", serde_json::to_string_pretty(&both)?);
                return Ok(ExitCode::SUCCESS);
            }
            println!("campaign      {}", clean(&info.name));
            println!("created       {}", info.created_at);
            println!("last activity {}", info.last_activity);
            println!("message       {}", clean(&message(&info)));
            println!("sha256        {}", info.message_sha256);
            println!("bounce base   {}", clean(&info.from_addr));
            println!("recipients    {}", states(&info));
            println!();
            report::text::table(&report, &mut std::io::stdout().lock())?;
        }
        Cmd::Delete { name, force } => {
            let mut store = Store::open_existing(&args.db)?;
            let n = store.delete_campaign(&name, force)?;
            println!("campaign '{name}' deleted with its {n} recipients");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Control characters out of text shown on a terminal (names come from the command line
/// and files).
fn clean(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect()
}
