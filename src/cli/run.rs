//! `rebound run`: one scheduled cycle (cron, systemd timer): poll every account, apply the
//! policy, clean the configured lists, write the configured report; one summary line.

use anyhow::{Context, Result};
use rebound::blocklist::config::{self as blconfig, Settings};
use rebound::report::{self, Scope};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// One scheduled cycle: poll, clean lists, write a report; one summary line.
///
/// Reads rebound.toml: the [[poll.account]] entries (see `rebound poll --help`) and a
/// [run] section:
///
///   [run]
///   report = "reports/last-7-days.html"   # optional: HTML report of the last report_days
///   report_days = 7
///   blocklist = true                      # optional: check [blocklist] each cycle
///   retention_days = 90                   # optional: prune facts and diagnostics older
///                                         # than this each cycle (see `rebound prune`)
///   [[run.clean]]                         # optional, repeatable
///   in = "lists/newsletter.csv"
///   out = "lists/newsletter.clean.csv"
///   removed = "lists/newsletter.removed.csv"
///   dedupe = true
///
/// A lock beside the store keeps two runs from racing on the same store and mailbox:
/// a second run exits at once with code 75 (or waits, with --wait).
/// Exit code: 0 when every step worked; 1 when one failed, when the configuration file is
/// missing, or when it gives the cycle nothing to do; 75 when another run is busy.
/// A report's folder is created when missing.
///
/// Example crontab line (every 10 minutes):
///   */10 * * * * cd /var/lib/rebound && rebound run --quiet >> run.log
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Configuration file.
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Wait for a running cycle to end instead of exiting.
    #[arg(long)]
    wait: bool,
    /// Skip polling (only clean and report).
    #[arg(long)]
    no_poll: bool,
}

#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RunSection {
    report: Option<PathBuf>,
    report_days: Option<u32>,
    /// Facts and stored diagnostics older than this many days are deleted each cycle
    /// (`rebound prune`); suppressions stay.
    pub(super) retention_days: Option<u32>,
    #[serde(default)]
    clean: Vec<CleanJob>,
    /// Check the sending IPs and domains on the blocklists each cycle (`[blocklist]`),
    /// recording listings and delistings with their time.
    #[serde(default)]
    blocklist: bool,
}

#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CleanJob {
    #[serde(rename = "in")]
    input: PathBuf,
    out: PathBuf,
    removed: Option<PathBuf>,
    #[serde(default)]
    dedupe: bool,
}

use super::config::ConfigFile;

fn lock_path(db: &Path) -> PathBuf {
    let mut p = db.as_os_str().to_owned();
    p.push(".run-lock");
    PathBuf::from(p)
}

/// Polls every configured account (the same code as `rebound poll`), one summary line.
/// Messages that could not be read make the step fail, after their count is reported.
fn poll(args: &Args) -> Result<String> {
    let (summary, before) =
        super::poll::collect(&super::poll::for_run(&args.config, &args.db), false)?;
    let outcomes: Vec<String> = summary
        .by_outcome
        .iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    let new = summary
        .suppressed
        .iter()
        .filter(|s| !before.contains(s))
        .count();
    let line = format!(
        "polled {} messages ({}), {} newly suppressed, {} errors",
        summary.messages,
        if outcomes.is_empty() {
            "none new".into()
        } else {
            outcomes.join(", ")
        },
        new,
        summary.errors
    );
    if summary.errors > 0 {
        anyhow::bail!(
            "{line} (unreadable messages stay in the mailbox; `rebound poll -v` shows why)"
        );
    }
    Ok(line)
}

/// Checks the configured targets and records the answers; changes are named.
fn blocklist(cfg: &ConfigFile, store: &mut rebound::store::Store) -> Result<String> {
    let settings = Settings::new(&cfg.blocklist, None, None, &[]).map_err(anyhow::Error::msg)?;
    let (targets, checks) =
        blconfig::run_checks(&settings, Vec::new(), &cfg.blocklist, &cfg.send_hints())
            .map_err(anyhow::Error::msg)?;
    if targets.is_empty() {
        anyhow::bail!("nothing to check: set [blocklist] ips/domains or [send] server/from");
    }
    let changes = store.record_listings(&rebound::blocklist::observations(&checks), None)?;
    let count = |s: rebound::blocklist::Status| checks.iter().filter(|c| c.status == s).count();
    let unanswered = checks.iter().filter(|c| !c.status.is_answer()).count();
    let mut line = format!(
        "blocklists: {} queries, {} listed, {} unanswered",
        checks.len(),
        count(rebound::blocklist::Status::Listed),
        unanswered
    );
    for c in &changes {
        line.push_str(&format!(", {} {} on {}", c.target, c.change, c.list));
    }
    Ok(line)
}

fn clean(job: &CleanJob, suppressed: &rebound::store::SuppressedSet) -> Result<String> {
    // The same function as `rebound clean`: outputs replaced whole with their mode, links
    // written through, nothing half-written after an error or a signal.
    let files = rebound::listfiles::Job {
        input: &job.input,
        out: &job.out,
        removed: job.removed.as_deref(),
        dedupe: job.dedupe,
    };
    let s = rebound::listfiles::clean_files(&files, suppressed, &mut |_| {})?;
    if s.malformed > 0 {
        anyhow::bail!(
            "{}: {} row(s) could not be read as one row each and were left out{}",
            job.input.display(),
            s.malformed,
            job.removed
                .as_ref()
                .map(|p| format!(" (see '{}')", p.display()))
                .unwrap_or_default()
        );
    }
    Ok(format!(
        "cleaned {}: kept {}, removed {}",
        job.input.display(),
        s.kept,
        s.rows - s.kept
    ))
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = super::config::load(&args.config, true)?;
    let polls = !args.no_poll && !cfg.poll.accounts.is_empty();
    if !polls
        && cfg.run.clean.is_empty()
        && cfg.run.report.is_none()
        && !cfg.run.blocklist
        && cfg.run.retention_days.is_none()
    {
        anyhow::bail!(
            "nothing to do: '{}' has {}no [[run.clean]] job, no [run] report, blocklist or \
             retention_days",
            args.config.display(),
            if args.no_poll {
                "polling turned off (--no-poll), "
            } else {
                "no [poll] section, "
            }
        );
    }

    let lock_file = lock_path(&args.db);
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_file)
        .with_context(|| format!("cannot open the run lock '{}'", lock_file.display()))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(std::fs::TryLockError::WouldBlock) if args.wait => {
            tracing::info!(lock = %lock_file.display(), "another run is busy; waiting");
            lock.lock().context("waiting for the run lock")?;
        }
        Err(std::fs::TryLockError::WouldBlock) => {
            println!(
                "rebound run: another run holds {}; not starting (use --wait to queue)",
                lock_file.display()
            );
            return Ok(ExitCode::from(75));
        }
        Err(std::fs::TryLockError::Error(e)) => {
            return Err(e).with_context(|| format!("locking '{}'", lock_file.display()))
        }
    }

    let mut parts = Vec::new();
    let mut failed = false;
    let mut step = |name: &str, r: Result<String>| match r {
        Ok(s) => {
            tracing::info!(step = name, "{s}");
            parts.push(s);
        }
        Err(e) => {
            tracing::error!(step = name, "{e:#}");
            parts.push(format!("{name} FAILED: {e:#}"));
            failed = true;
        }
    };
    if polls {
        step("poll", poll(&args));
    }
    if let Some(days) = cfg.run.retention_days {
        let pruned = rebound::store::Store::open(&args.db)
            .and_then(|mut s| s.prune(days))
            .map(|p| super::prune::summary(days, &p))
            .map_err(anyhow::Error::from);
        step("prune", pruned);
    }
    if !cfg.run.clean.is_empty() || cfg.run.report.is_some() || cfg.run.blocklist {
        match rebound::store::Store::open(&args.db) {
            Err(e) => step("store", Err(e.into())),
            Ok(mut store) => {
                if cfg.run.blocklist {
                    step("blocklist", blocklist(&cfg, &mut store));
                }
                if !cfg.run.clean.is_empty() {
                    match store.suppressed_all() {
                        Ok(sup) => {
                            for job in &cfg.run.clean {
                                step("clean", clean(job, &sup));
                            }
                        }
                        Err(e) => step("clean", Err(e.into())),
                    }
                }
                if let Some(path) = &cfg.run.report {
                    let days = cfg.run.report_days.unwrap_or(7);
                    let r = report::build_with(&store, &Scope::Since(days), false, &cfg.silence)
                        .map_err(anyhow::Error::from)
                        .and_then(|r| {
                            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                                std::fs::create_dir_all(dir).with_context(|| {
                                    format!("cannot create the report folder '{}'", dir.display())
                                })?;
                            }
                            std::fs::write(path, report::html::render(&r))
                                .with_context(|| format!("cannot write '{}'", path.display()))?;
                            Ok(r.silent_domains)
                        })
                        .map(|silent| {
                            // a silent domain is news a cron log should carry
                            let names: Vec<String> = silent
                                .iter()
                                .map(|d| format!("{} in {}", d.domain, d.campaign))
                                .collect();
                            if names.is_empty() {
                                format!("report {}", path.display())
                            } else {
                                format!(
                                    "report {} (silent domains: {})",
                                    path.display(),
                                    names.join(", ")
                                )
                            }
                        });
                    step("report", r);
                }
            }
        }
    }
    println!("rebound run: {}", parts.join("; "));
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}
