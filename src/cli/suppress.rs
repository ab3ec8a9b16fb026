//! `rebound suppress`: the suppression list by hand (list, add, remove, forget, check,
//! import, export).

use anyhow::{Context, Result};
use rebound::address::Address;
use rebound::store::{Store, Suppression};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Maintain the suppression list: addresses `send` skips.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db", global = true)]
    db: PathBuf,
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum Format {
    /// Aligned columns, for people.
    Table,
    Csv,
    Json,
}

#[derive(Debug, clap::Subcommand)]
enum Cmd {
    /// Print the list (address, reason, source, date, evidence).
    List {
        /// table, csv or json [default: table on a terminal, csv when piped].
        #[arg(long, short, value_enum)]
        format: Option<Format>,
    },
    /// Add addresses.
    Add {
        /// The addresses to suppress (any spelling: they are compared by their key).
        #[arg(required = true, value_name = "ADDRESS")]
        emails: Vec<String>,
        /// Why, in your words or a reason of the taxonomy (e.g. complaint, userunknown).
        #[arg(long, default_value = "manual")]
        reason: String,
        /// A note kept with the entry (a ticket number, who asked).
        #[arg(long)]
        evidence: Option<String>,
    },
    /// Remove addresses (they may be mailed again).
    Remove {
        /// The addresses to take off the list.
        #[arg(required = true, value_name = "ADDRESS")]
        emails: Vec<String>,
    },
    /// Erase the personal data of addresses (right to erasure) while keeping them
    /// suppressed: recipient rows' addresses, merge fields and replies, facts' addresses
    /// and diagnostics, unsubscribe requests, the list entry's spelling and evidence. Each
    /// stays suppressed as `forgotten:<HMAC of its key>` (keyed with the store's secret),
    /// which send, clean and check still match. The database is then rewritten (VACUUM)
    /// so no old page holds the address. Refused while a campaign is being sent.
    Forget {
        #[arg(required = true)]
        emails: Vec<String>,
    },
    /// Apply unsubscribe tokens received by the https one-click URL (`[send]
    /// unsubscribe_url`; the web handler passes the token on): each verified token
    /// suppresses its recipient with reason `unsubscribed`, as a mailed request does.
    /// Exit code 1 when a token does not verify (it changes nothing).
    Unsubscribe {
        #[arg(required = true)]
        tokens: Vec<String>,
        /// Environment variable holding the VERP secret (default: the one kept in the
        /// store), as given to `send`.
        #[arg(long, value_name = "VAR")]
        verp_secret_env: Option<String>,
    },
    /// Say whether each address is suppressed; exit code 0 when all are, 1 otherwise.
    Check {
        #[arg(required = true)]
        emails: Vec<String>,
    },
    /// Add the entries of a file; existing entries are kept.
    ///
    /// CSV: commas, semicolons, tabs or `|` (sniffed from the first row); a header row
    /// naming the address column (email, e-mail, email_address, address or mail; optional
    /// reason, source, evidence, created_at) or none at all (one address per line, or the
    /// first cell of each row that is an address). JSON: an array of objects with those
    /// names. Bad rows are reported with their line numbers and left out (exit code 1).
    Import {
        /// The file to read.
        file: PathBuf,
        /// csv or json [default: by the file's extension, csv unless .json].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Stop at the first bad row and import nothing.
        #[arg(long)]
        strict: bool,
    },
    /// Write the list as CSV or JSON.
    Export {
        /// csv or json [default: from the output file's extension (.json), else csv].
        #[arg(long, value_enum)]
        format: Option<Format>,
        /// Output file (default: standard output).
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
}

pub fn run(args: Args) -> Result<ExitCode> {
    // Only adding creates a store: a mistyped --db for list/check/export/remove is an
    // error, not an empty list that answers "not suppressed".
    let creates = matches!(
        args.command,
        Cmd::Add { .. } | Cmd::Import { .. } | Cmd::Forget { .. }
    );
    let mut store = if creates {
        Store::open(&args.db)?
    } else {
        Store::open_existing(&args.db)?
    };
    match args.command {
        Cmd::List { format } => {
            let format =
                format.unwrap_or(if std::io::IsTerminal::is_terminal(&std::io::stdout()) {
                    Format::Table
                } else {
                    Format::Csv
                });
            write(&store.suppressions()?, format, None)?
        }
        Cmd::Export { format, output } => {
            let format = format
                .or_else(|| super::format::by_extension(output.as_deref()))
                .unwrap_or(Format::Csv);
            write(&store.suppressions()?, format, output.as_deref())?
        }
        Cmd::Add {
            emails,
            reason,
            evidence,
        } => {
            let rows: Vec<Suppression> = emails
                .iter()
                .map(|e| {
                    let a = parse_address(e)?;
                    Ok(Suppression {
                        email: a.key().to_string(),
                        display: a.as_str().to_string(),
                        reason: reason.clone(),
                        source: "manual".into(),
                        evidence: evidence.clone(),
                        created_at: String::new(),
                    })
                })
                .collect::<Result<_>>()?;
            let n = store.import_suppressions(&rows)?;
            println!("added {n} (already listed: {})", rows.len() - n);
        }
        Cmd::Unsubscribe {
            tokens,
            verp_secret_env,
        } => {
            let secret = match &verp_secret_env {
                Some(var) => std::env::var(var)
                    .with_context(|| format!("--verp-secret-env: ${var} is not set"))?
                    .into_bytes(),
                None => store.verp_secret()?,
            };
            let mut all = true;
            for t in &tokens {
                match store.unsubscribe_token(&secret, t)? {
                    Some(u) => println!(
                        "{}: unsubscribed (campaign '{}'{})",
                        u.email,
                        u.campaign,
                        if u.newly_suppressed {
                            ""
                        } else {
                            ", was suppressed already"
                        }
                    ),
                    None => {
                        all = false;
                        eprintln!(
                            "rebound: token '{}' does not verify or names no recipient: nobody unsubscribed",
                            t.escape_debug()
                        );
                    }
                }
            }
            if !all {
                return Ok(ExitCode::FAILURE);
            }
        }
        Cmd::Forget { emails } => {
            let addresses = emails
                .iter()
                .map(|e| parse_address(e))
                .collect::<Result<Vec<_>>>()?;
            let f = store.forget(&addresses)?;
            println!(
                "forgot {} address(es): {} recipient rows, {} facts, {} unsubscribe requests erased; \
                 kept suppressed by keyed hash ({} newly)",
                f.addresses, f.recipients, f.facts, f.unsubscribes, f.newly_suppressed
            );
        }
        Cmd::Remove { emails } => {
            let mut n = 0;
            for e in &emails {
                if store.unsuppress(&parse_address(e)?)? {
                    n += 1;
                } else {
                    eprintln!("rebound: {e} was not on the list");
                }
            }
            println!("removed {n}");
        }
        Cmd::Check { emails } => {
            let mut all = true;
            let addresses = emails
                .iter()
                .map(|e| parse_address(e))
                .collect::<Result<Vec<_>>>()?;
            for a in &addresses {
                match store.suppression(a)? {
                    Some(s) => println!(
                        "{}: suppressed ({}, {}, {})",
                        a.key(),
                        s.reason,
                        s.source,
                        s.created_at
                    ),
                    None => {
                        all = false;
                        println!("{}: not suppressed", a.key());
                    }
                }
            }
            return Ok(if all {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            });
        }
        Cmd::Import {
            file,
            format,
            strict,
        } => {
            let (rows, problems) = read(&file, format)?;
            for (line, why) in &problems {
                eprintln!("rebound: '{}' line {line}: {why}", file.display());
            }
            if strict && !problems.is_empty() {
                anyhow::bail!(
                    "'{}': {} bad row(s); nothing imported (--strict)",
                    file.display(),
                    problems.len()
                );
            }
            let n = store.import_suppressions(&rows)?;
            println!(
                "imported {n} new of {} (already listed: {})",
                rows.len(),
                rows.len() - n
            );
            if !problems.is_empty() {
                eprintln!(
                    "rebound: {} bad row(s) of '{}' left out (named above)",
                    problems.len(),
                    file.display()
                );
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// One address from the command line or a file, refused with the reason when invalid.
fn parse_address(e: &str) -> Result<Address> {
    Address::parse(e)
        .map_err(|why| anyhow::anyhow!("'{}' is not an email address: {why}", e.escape_debug()))
}

fn write(rows: &[Suppression], format: Format, output: Option<&Path>) -> Result<()> {
    let mut out: Box<dyn Write> = match output {
        Some(p) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("creating '{}'", p.display()))?,
        )),
        None => Box::new(std::io::stdout().lock()),
    };
    match format {
        Format::Table => {
            writeln!(
                out,
                "{:<40} {:<16} {:<12} {:<24} EVIDENCE",
                "ADDRESS", "REASON", "SOURCE", "SINCE"
            )?;
            for r in rows {
                let cell = |s: &str, n: usize| -> String {
                    let s: String = s
                        .chars()
                        .map(|c| if c.is_control() { ' ' } else { c })
                        .collect();
                    if s.chars().count() > n {
                        s.chars().take(n.saturating_sub(1)).chain(['…']).collect()
                    } else {
                        s
                    }
                };
                writeln!(
                    out,
                    "{:<40} {:<16} {:<12} {:<24} {}",
                    cell(&r.email, 40),
                    cell(&r.reason, 16),
                    cell(&r.source, 12),
                    cell(&r.created_at, 24),
                    cell(r.evidence.as_deref().unwrap_or(""), 60)
                )?;
            }
            writeln!(out, "{} address(es) suppressed", rows.len())?;
        }
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = rebound::csvcell::Writer::from_writer(out);
            w.write_record(["email", "reason", "source", "evidence", "created_at"])?;
            for r in rows {
                w.write_record([
                    r.email.as_str(),
                    &r.reason,
                    &r.source,
                    r.evidence.as_deref().unwrap_or(""),
                    &r.created_at,
                ])?;
            }
            w.flush()?;
        }
    }
    Ok(())
}

/// The rows of an import file, keyed, and the bad rows as `(line, why)`.
type Imported = (Vec<Suppression>, Vec<(u64, String)>);

fn read(path: &Path, format: Option<Format>) -> Result<Imported> {
    // A list file is CSV unless it says JSON (a `.txt` of addresses is CSV too).
    let format = format.unwrap_or(match super::format::by_extension(Some(path)) {
        Some(Format::Json) => Format::Json,
        _ => Format::Csv,
    });
    let bytes = std::fs::read(path).with_context(|| format!("reading '{}'", path.display()))?;
    match format {
        Format::Table => anyhow::bail!("--format table is for `list`; import reads csv or json"),
        Format::Json => {
            let rows = serde_json::from_slice::<Vec<ImportRow>>(&bytes)
                .with_context(|| format!("'{}' is not a JSON array of entries", path.display()))?;
            let mut keyed = Vec::with_capacity(rows.len());
            for (i, r) in rows.into_iter().enumerate() {
                let target = rebound::importlist::Target::parse(&r.email)
                    .map_err(anyhow::Error::msg)
                    .with_context(|| format!("'{}' entry {}", path.display(), i + 1))?;
                keyed.push(entry(&target, r.reason, r.source, r.evidence, r.created_at));
            }
            Ok((keyed, Vec::new()))
        }
        Format::Csv => {
            let list = rebound::importlist::read(&bytes)
                .with_context(|| format!("'{}'", path.display()))?;
            let rows = list
                .rows
                .into_iter()
                .map(|r| entry(&r.address, r.reason, r.source, r.evidence, r.created_at))
                .collect();
            Ok((rows, list.problems))
        }
    }
}

#[derive(Debug, serde::Deserialize)]
struct ImportRow {
    email: String,
    #[serde(default)]
    reason: Option<String>,
    #[serde(default)]
    source: Option<String>,
    #[serde(default)]
    evidence: Option<String>,
    #[serde(default)]
    created_at: Option<String>,
}

/// One imported entry; empty optional cells take the import's defaults. An erased
/// address's entry (from `export`) stays its keyed hash: it matches only in a store with
/// the same secret.
fn entry(
    target: &rebound::importlist::Target,
    reason: Option<String>,
    source: Option<String>,
    evidence: Option<String>,
    created_at: Option<String>,
) -> Suppression {
    let nonempty = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
    let (email, display) = match target {
        rebound::importlist::Target::Address(a) => (a.key().to_string(), a.as_str().to_string()),
        rebound::importlist::Target::Forgotten(h) => (h.clone(), "(forgotten)".to_string()),
    };
    Suppression {
        email,
        display,
        reason: nonempty(reason).unwrap_or_else(|| "import".into()),
        source: nonempty(source).unwrap_or_else(|| "import".into()),
        evidence: nonempty(evidence),
        created_at: nonempty(created_at).unwrap_or_default(),
    }
}
