//! `rebound send`: submit a campaign over SMTP and record every server answer.

mod settings;

use anyhow::{bail, Result};
use rebound::send::smtp::TlsMode;
use rebound::send::{self, Event, SendConfig};
use std::path::PathBuf;
use std::process::ExitCode;

/// Send a campaign: one SMTP transaction per recipient, every reply recorded.
///
/// Each recipient gets its own copy (CSV columns fill {{placeholders}}), a unique
/// Message-ID, X-Rebound-Campaign/-Recipient headers, a signed VERP return path
/// (FROM with +TOKEN), and RFC 3461 DSN parameters (ENVID, ORCPT, NOTIFY=FAILURE,DELAY,
/// RET=HDRS) when the server offers DSN. The store (--db) keeps per recipient: state
/// (accepted, rejected, deferred, uncertain, skipped), the full reply, the receipt ID
/// ("queued as 4F3A2B1C"), Message-ID and envelope ID.
///
/// Resumable: run the same command again after an interruption; nobody is sent twice.
/// A recipient caught between DATA and the reply is "uncertain" and is not resent
/// unless --resend-uncertain; "deferred" ones are sent again with --retry-deferred.
/// Addresses on the suppression list (also erased ones, by their keyed hash) are skipped.
///
/// Until the campaign's first accepted send, a run's message and list replace the
/// earlier run's (fix a message after a first try against a dead server). After it,
/// another message needs a new campaign name, and a list with new addresses needs
/// --add-recipients.
///
/// Every copy carries List-Unsubscribe with a signed mailto on the --from domain
/// (LOCAL+unsub.TOKEN@DOMAIN, read back by `poll`), plus the https URL and
/// List-Unsubscribe-Post: List-Unsubscribe=One-Click when --unsubscribe-url is set.
///
/// Before anything is sent the message is checked (From present, RFC 5322 header
/// fields, no duplicate Subject/From, lines within 998 octets); non-ASCII header text
/// is RFC 2047 encoded; a message without MIME headers is sent as text/plain UTF-8.
/// A From domain not aligned (DMARC, relaxed) with the --from domain is warned about.
/// An address with a non-ASCII local part is sent with SMTPUTF8 when the server offers
/// it, else kept "deferred" with that reason (not a bounce).
///
/// --dry-run renders the copies with their envelopes and touches neither the store
/// nor the network; --test-to sends one copy to a test address, recorded nowhere.
///
/// Options can also come from rebound.toml, section [send] (same names, with _
/// for -); the command line wins.
///
/// Examples:
///   REBOUND_SMTP_PASSWORD=... rebound send --campaign nov --recipients list.csv \
///       --message nov.eml --from bounces@list.example --server smtp.example.org --user news
///   rebound send --campaign test --recipients t.csv --message m.eml \
///       --from bounces@localhost.test --server 127.0.0.1 --port 2525 --tls none
///   rebound send --campaign nov --recipients list.csv --message nov.eml \
///       --from bounces@list.example --dry-run --limit 3
#[derive(Debug, Default, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Campaign name: the key for resuming and for reports.
    #[arg(long)]
    campaign: String,
    /// CSV file with a header row and an `email` column; other columns are merge fields.
    #[arg(long)]
    recipients: Option<PathBuf>,
    /// The message (RFC 5322 file) with optional {{column}} placeholders.
    #[arg(long)]
    message: Option<PathBuf>,
    /// Bounce address base: each copy's return path is LOCAL+TOKEN@DOMAIN.
    #[arg(long, value_name = "ADDR")]
    from: Option<String>,
    /// SMTP server (relay) host name [default: localhost].
    #[arg(long)]
    server: Option<String>,
    /// SMTP port (default: 587 with starttls, 465 with tls, 25 with none).
    #[arg(long)]
    port: Option<u16>,
    /// Connection security [default: starttls].
    #[arg(long, value_enum)]
    tls: Option<TlsMode>,
    /// User name for SMTP AUTH.
    #[arg(long)]
    user: Option<String>,
    /// Environment variable holding the SMTP password [default: REBOUND_SMTP_PASSWORD].
    /// The command line wins over rebound.toml.
    #[arg(long, value_name = "VAR")]
    password_env: Option<String>,
    /// File holding the SMTP password (first line).
    #[arg(long, value_name = "PATH")]
    password_file: Option<PathBuf>,
    /// OAuth2 (XOAUTH2, as Gmail and Microsoft 365 require): a command that prints an
    /// access token, run for each connection; replaces the password.
    #[arg(long, value_name = "CMD", conflicts_with = "token_file")]
    token_command: Option<String>,
    /// OAuth2: a file holding an access token that something else keeps fresh.
    #[arg(long, value_name = "PATH")]
    token_file: Option<PathBuf>,
    /// Extra CA certificate (PEM) to trust for the server.
    #[arg(long, value_name = "PATH")]
    ca_file: Option<PathBuf>,
    /// Do not verify the server's certificate (dangerous; for tests only).
    #[arg(long)]
    insecure: bool,
    /// Parallel SMTP connections, 1 to 100 [default: 4].
    #[arg(long)]
    concurrency: Option<usize>,
    /// Messages per second over all connections (default: no limit).
    #[arg(long)]
    rate: Option<f64>,
    /// Retries after a temporary (4xx) failure before a recipient is "deferred"
    /// [default: 3].
    #[arg(long)]
    retries: Option<u32>,
    /// Seconds before the first retry, doubling each time [default: 1].
    #[arg(long)]
    retry_delay: Option<f64>,
    /// Send again the recipients whose earlier attempt is "uncertain".
    #[arg(long)]
    resend_uncertain: bool,
    /// Send again the recipients left "deferred" by an earlier run (accepted ones never
    /// are).
    #[arg(long)]
    retry_deferred: bool,
    /// Add the addresses of --recipients that the campaign does not have yet. Needed once
    /// the campaign has an accepted send; before that, a run's list (and message)
    /// replaces the earlier run's.
    #[arg(long)]
    add_recipients: bool,
    /// https URL for one-click unsubscribe (RFC 8058), added to List-Unsubscribe with
    /// List-Unsubscribe-Post; `{token}` is replaced by the signed token, else `token=...`
    /// is appended [default: none, the signed mailto only].
    #[arg(long, value_name = "URL")]
    unsubscribe_url: Option<String>,
    /// Environment variable holding the VERP secret (default: one kept in the store).
    #[arg(long, value_name = "VAR")]
    verp_secret_env: Option<String>,
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Hygiene policy that judges refusals as they happen (default: `policy` of [poll] in
    /// rebound.toml, else the built-in policy; see `rebound policy default`).
    #[arg(long, value_name = "FILE")]
    policy: Option<PathBuf>,
    /// Configuration file (read when present).
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
    /// Name to give in EHLO (default: the domain of --from).
    #[arg(long)]
    hello: Option<String>,
    /// Seconds to wait for the connection and for each server reply [default: 60].
    /// A server silent for that long is named ("no reply to DATA in 60 s").
    #[arg(long, value_name = "SECONDS")]
    timeout: Option<f64>,
    /// Render the copies with their envelopes (MAIL FROM, RCPT TO) instead of sending:
    /// to standard output, or to --dry-run-dir. Opens neither the store nor a connection.
    #[arg(long, conflicts_with = "test_to")]
    dry_run: bool,
    /// With --dry-run: only the first N copies [default: all].
    #[arg(long, value_name = "N", requires = "dry_run")]
    limit: Option<usize>,
    /// With --dry-run: write NNNN.eml per copy and envelopes.txt into DIR instead of
    /// standard output.
    #[arg(long, value_name = "DIR", requires = "dry_run")]
    dry_run_dir: Option<PathBuf>,
    /// Send one rendered copy to ADDR (return path: --from as given) and record nothing:
    /// the campaign, the store and the suppression list are left as they are.
    #[arg(long, value_name = "ADDR")]
    test_to: Option<String>,
    /// With --test-to: the list row (1 = the first valid row) whose fields fill the copy
    /// [default: 1].
    #[arg(long, value_name = "N", requires = "test_to")]
    test_row: Option<usize>,
}

use settings::config;
pub(super) use settings::{server_from_file, FileConfig};

/// `--dry-run`: the copies on standard output or in a folder.
fn dry_run(args: &Args, cfg: &SendConfig) -> Result<ExitCode> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    let s = send::dryrun::dry_run(cfg, args.limit, args.dry_run_dir.as_deref(), &mut out)?;
    for p in &s.problems {
        eprintln!("rebound: {}: {p}", cfg.recipients.display());
    }
    if let Some(w) = &s.warning {
        eprintln!("rebound: warning: {w}");
    }
    let wher = match &args.dry_run_dir {
        Some(d) => format!(" into '{}'", d.display()),
        None => String::new(),
    };
    eprintln!(
        "rebound: dry run of campaign '{}': {} of {} copies rendered{wher}; nothing sent, nothing recorded (Message-ID and VERP token are examples: a real run derives them from the store)",
        cfg.campaign, s.rendered, s.listed
    );
    if s.need_smtputf8 > 0 {
        eprintln!(
            "rebound: {} of them need a server that offers SMTPUTF8 (a non-ASCII address)",
            s.need_smtputf8
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `--test-to`: one copy to a test address, recorded nowhere.
fn test_to(args: &Args, cfg: &SendConfig, to: &str) -> Result<ExitCode> {
    if let Err(why) = rebound::address::Address::parse(to) {
        bail!("--test-to '{to}' is not a valid address: {why}");
    }
    let row = args.test_row.unwrap_or(1);
    eprintln!(
        "rebound: connecting to {}:{} ...",
        cfg.server.host, cfg.server.port
    );
    match send::dryrun::test_send(cfg, to, row) {
        Ok(reply) => {
            println!(
                "test copy of campaign '{}' (row {row}) to {to}: {reply}",
                cfg.campaign
            );
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            eprintln!("rebound: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    let cfg = config(&args)?;
    if args.dry_run {
        return dry_run(&args, &cfg);
    }
    if let Some(to) = &args.test_to {
        return test_to(&args, &cfg, to);
    }
    let bar = indicatif::ProgressBar::new(0);
    bar.set_style(super::progress::style(
        "{spinner} {elapsed_precise} {pos} sent, {rate} {msg}",
    ));
    bar.enable_steady_tick(std::time::Duration::from_millis(200));
    let mut connecting_shown = false;
    let mut on_event = |ev: &Event, s: &send::Summary| {
        match ev {
            Event::Connecting(server) => {
                if !connecting_shown {
                    connecting_shown = true;
                    bar.suspend(|| eprintln!("rebound: connecting to {server} ..."));
                }
                bar.set_message(format!("connecting to {server} ..."));
                return;
            }
            Event::Warning(w) => {
                bar.suspend(|| eprintln!("rebound: warning: {w}"));
                return;
            }
            _ => {}
        }
        bar.inc(1);
        bar.set_message(format!(
            "accepted {} rejected {} deferred {} skipped {}",
            s.accepted, s.rejected, s.deferred, s.skipped
        ));
    };
    let result = send::run(&cfg, &mut on_event);
    bar.finish_and_clear();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            eprintln!("rebound: campaign '{}' stopped: {e}", cfg.campaign);
            return Ok(ExitCode::FAILURE);
        }
    };
    for p in &summary.problems {
        eprintln!("rebound: {}: {p}", cfg.recipients.display());
    }
    if summary.nothing_to_send {
        println!(
            "campaign '{}': nothing left to send (no connection opened)",
            cfg.campaign
        );
    }
    println!(
        "campaign '{}': {} recipients listed, {} rows left out (see above)",
        cfg.campaign,
        summary.listed,
        summary.problems.len()
    );
    println!(
        "  this run: accepted {}, rejected {}, deferred {}, uncertain {}, skipped (suppressed) {}",
        summary.accepted, summary.rejected, summary.deferred, summary.uncertain, summary.skipped
    );
    if summary.adopted.replaced {
        println!(
            "  nothing had been accepted yet: this run's message and list replace the earlier run's ({} unsent recipients dropped)",
            summary.adopted.removed
        );
    } else if summary.adopted.removed > 0 {
        println!(
            "  nothing had been accepted yet: {} unsent recipients not in this list were dropped",
            summary.adopted.removed
        );
    }
    if summary.adopted.unsent_not_listed > 0 {
        println!(
            "  note: {} unsent recipients of the campaign are not in this list; they came with an earlier list and remain the campaign's",
            summary.adopted.unsent_not_listed
        );
    }
    if summary.retried_deferred > 0 {
        println!(
            "  {} deferred recipients were sent again (--retry-deferred)",
            summary.retried_deferred
        );
    }
    if summary.recovered_uncertain > 0 {
        println!(
            "  {} recipients were interrupted between DATA and the reply in an earlier run: uncertain (use --resend-uncertain to send them again)",
            summary.recovered_uncertain
        );
    }
    let totals: Vec<String> = summary
        .totals
        .iter()
        .map(|(s, n)| format!("{s} {n}"))
        .collect();
    println!("  campaign totals: {}", totals.join(", "));
    Ok(ExitCode::SUCCESS)
}
