//! `rebound doctor`: a configuration checked against the real servers, as a checklist
//! with the fix for each failure.

use anyhow::Result;
use rebound::poll::check::{check_mailbox, wait_for_header, WANTED};
use rebound::poll::config::Account;
use rebound::send::smtp::{ServerConfig, Session};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::{Duration, Instant};

/// Check a configuration against the real servers; print a checklist with fixes.
///
/// In order: the configuration file reads (every section); the store (schema version,
/// writable); the SMTP server of [send] (reachable, TLS and its certificate, AUTH, and
/// which of DSN, PIPELINING, SMTPUTF8, SIZE it offers); each [[poll.account]] (login,
/// the folder, MOVE/UIDPLUS/IDLE). With --probe, one message goes to a plus-address of
/// the bounce address (`from` of [send]) and must arrive in the first account's folder:
/// proof that VERP return paths reach the mailbox rebound polls. Nothing else is sent,
/// and no mailbox is changed (the probe message stays; `poll` files it as not a bounce).
///
/// Exit code: 0 when every check passed, 1 when one failed.
///
/// Examples:
///   rebound doctor
///   rebound doctor --probe
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Configuration file.
    #[arg(long, default_value = "rebound.toml")]
    config: PathBuf,
    /// The SQLite store.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
    /// Also send one probe message to the bounce mailbox and wait for it.
    #[arg(long)]
    probe: bool,
    /// Seconds to wait for the probe to arrive.
    #[arg(long, default_value_t = 60)]
    probe_timeout: u64,
    /// Do not verify server certificates (dangerous; for tests only).
    #[arg(long)]
    insecure: bool,
}

/// The checklist as it is printed.
#[derive(Default)]
struct Checklist {
    failed: usize,
}

impl Checklist {
    fn ok(&mut self, what: &str) {
        println!("  ok    {what}");
    }
    fn info(&mut self, what: &str) {
        println!("  info  {what}");
    }
    fn warn(&mut self, what: &str, fix: &str) {
        println!("  warn  {what}\n        fix: {fix}");
    }
    fn fail(&mut self, what: &str, fix: &str) {
        self.failed += 1;
        println!("  FAIL  {what}\n        fix: {fix}");
    }
}

/// The fix for a connection or login error, from its words.
fn fix_for(error: &str, secret: &str) -> String {
    let e = error.to_ascii_lowercase();
    if e.contains("certificate") || e.contains("unknownissuer") {
        "the server's certificate is not trusted: give its CA with ca_file (or, for a test \
         server only, --insecure)"
            .into()
    } else if e.contains("connection refused") || e.contains("no route") {
        "nothing answers there: check host, port and tls (SMTP: 587 starttls or 465 tls; \
         IMAP: 993 tls or 143 starttls)"
            .into()
    } else if e.contains("does not offer starttls") {
        "use tls = \"tls\" (port 465 for SMTP, 993 for IMAP), or a server that offers STARTTLS"
            .into()
    } else if e.contains("token") {
        "check token_command / token_file: run the command by hand; it must print a current \
         access token for this user"
            .into()
    } else if e.contains("no password") || e.contains("password file") || e.contains("is empty") {
        format!("put the password where the configuration says ({secret})")
    } else if e.contains("auth") || e.contains("login") || e.contains("535") {
        format!(
            "the server refused the login: check user and the password or token ({secret}); \
             providers that require OAuth2 refuse passwords (see auth = \"xoauth2\")"
        )
    } else if e.contains("no answer") || e.contains("timed out") {
        "the server did not answer in time: check host and port (a firewall may drop them)".into()
    } else {
        "check host, port, tls and the credentials against the provider's settings".into()
    }
}

pub fn run(args: Args) -> Result<ExitCode> {
    println!("rebound doctor: {}", args.config.display());
    let mut list = Checklist::default();
    if !args.config.exists() {
        list.fail(
            &format!("configuration: no file at '{}'", args.config.display()),
            "write one with `rebound init`, or pass --config FILE",
        );
        return Ok(ExitCode::FAILURE);
    }
    let accounts = config_checks(&args, &mut list);
    store_check(&args.db, &mut list);
    let server = match super::send::server_from_file(&args.config, args.insecure) {
        Ok(s) => s,
        Err(e) => {
            list.fail(
                &format!("[send]: {e:#}"),
                "fix the [send] section (see `rebound init`)",
            );
            None
        }
    };
    match &server {
        Some((_, cfg)) => smtp_check(cfg, &mut list),
        None => list.info("[send]: no server or from address; `send` takes them as flags"),
    }
    for a in &accounts {
        imap_check(a, args.insecure, &mut list);
    }
    if args.probe {
        match (&server, accounts.first()) {
            (Some((from, cfg)), Some(account)) => {
                probe(from, cfg, account, &args, &mut list);
            }
            _ => list.fail(
                "probe: needs a [send] server and from address and a [[poll.account]]",
                "configure both (see `rebound init`)",
            ),
        }
    }
    if list.failed == 0 {
        println!("all checks passed");
        Ok(ExitCode::SUCCESS)
    } else {
        println!("{} check(s) failed", list.failed);
        Ok(ExitCode::FAILURE)
    }
}

/// Each section reads; the accounts, for the IMAP checks.
fn config_checks(args: &Args, list: &mut Checklist) -> Vec<Account> {
    match super::config::load(&args.config, true) {
        Ok(file) => {
            let section = file.poll;
            list.ok(&format!(
                "configuration: '{}' reads ({} [[poll.account]])",
                args.config.display(),
                section.accounts.len()
            ));
            if let Some(p) = &section.policy {
                match rebound::hygiene::Policy::load(Some(p)) {
                    Ok(_) => list.ok(&format!("policy: '{}' reads", p.display())),
                    Err(e) => list.fail(
                        &format!("policy: {e}"),
                        "fix the file, or start again from `rebound policy default`",
                    ),
                }
            }
            if section.accounts.is_empty() {
                list.info("no [[poll.account]]: nothing to poll bounces from");
            }
            section.accounts
        }
        Err(e) => {
            list.fail(&format!("configuration: {e:#}"), "fix the line named above");
            Vec::new()
        }
    }
}

fn store_check(db: &Path, list: &mut Checklist) {
    match rebound::store::Store::state(db) {
        Ok(s) if s.version > s.latest => list.fail(
            &format!(
                "store '{}': schema version {} is newer than this rebound's {}",
                db.display(),
                s.version,
                s.latest
            ),
            "use the rebound version that wrote it (or newer)",
        ),
        Ok(s) if !s.writable => list.fail(
            &format!("store '{}': schema {}, read-only here", db.display(), s.version),
            "send and poll must write it: run as its owner, or fix the file's and folder's permissions",
        ),
        Ok(s) => list.ok(&format!(
            "store '{}': schema {}{}, writable",
            db.display(),
            s.version,
            if s.version < s.latest {
                format!(" (migrated to {} when next opened)", s.latest)
            } else {
                String::new()
            }
        )),
        Err(rebound::store::StoreError::Missing { .. }) => {
            if rebound::store::creatable(db) {
                list.info(&format!(
                    "store '{}': none yet; the first send or poll creates it",
                    db.display()
                ));
            } else {
                list.fail(
                    &format!("store '{}': none, and its folder may not be written", db.display()),
                    "create the folder, or pass --db with a path this user may write",
                );
            }
        }
        Err(e) => list.fail(
            &format!("store: {e}"),
            "is it a rebound store? pass --db with the right file",
        ),
    }
}

fn smtp_check(cfg: &ServerConfig, list: &mut Checklist) {
    let server = format!("SMTP {}:{}", cfg.host, cfg.port);
    let secret = if cfg.token.is_some() {
        "token_command/token_file of [send]"
    } else {
        "$REBOUND_SMTP_PASSWORD, or password_env/password_file of [send]"
    };
    match Session::open(cfg) {
        Ok(session) => {
            let how = match cfg.tls {
                rebound::send::smtp::TlsMode::None => "no TLS".to_string(),
                mode => format!(
                    "{} with {}",
                    if mode == rebound::send::smtp::TlsMode::Tls {
                        "TLS"
                    } else {
                        "STARTTLS"
                    },
                    if cfg.insecure {
                        "the certificate NOT verified (--insecure)"
                    } else {
                        "the certificate verified"
                    }
                ),
            };
            let auth = match (&cfg.user, &cfg.token) {
                (Some(u), Some(_)) => format!(", XOAUTH2 accepted as {u}"),
                (Some(u), None) => format!(", AUTH accepted as {u}"),
                _ => ", no AUTH".to_string(),
            };
            list.ok(&format!("{server}: connected, {how}{auth}"));
            let has = |name: &str| {
                session
                    .extensions
                    .iter()
                    .find(|l| l.split_whitespace().next() == Some(name))
            };
            let mut offers = Vec::new();
            for name in ["DSN", "PIPELINING", "SMTPUTF8", "SIZE"] {
                offers.push(match has(name) {
                    Some(line) if name == "SIZE" => format!("{line} bytes"),
                    Some(_) => format!("{name} yes"),
                    None => format!("{name} no"),
                });
            }
            list.info(&format!("{server} offers: {}", offers.join(", ")));
            if has("DSN").is_none() {
                list.warn(
                    &format!("{server} does not offer DSN"),
                    "bounces will carry no ENVID/ORCPT; VERP still ties them to sends, but a \
                     relay that offers DSN (RFC 3461) gives exacter reports",
                );
            }
            if cfg.tls == rebound::send::smtp::TlsMode::None && !is_loopback(&cfg.host) {
                list.warn(
                    &format!("{server}: no TLS to a remote host"),
                    "use tls = \"starttls\" (587) or \"tls\" (465): passwords and lists cross \
                     the network in clear",
                );
            }
            session.quit();
        }
        Err(e) => list.fail(&format!("{server}: {e}"), &fix_for(&e.to_string(), secret)),
    }
}

fn is_loopback(host: &str) -> bool {
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

fn imap_check(a: &Account, insecure: bool, list: &mut Checklist) {
    let name = format!("IMAP account '{}' ({}:{})", a.label(), a.host, a.port());
    let secret = match (&a.password_file, &a.password_env) {
        _ if a.auth != rebound::oauth::Mechanism::Password => "token_command/token_file".into(),
        (Some(p), _) => format!("password_file '{}'", p.display()),
        (None, Some(v)) => format!("${v}"),
        (None, None) => "$REBOUND_IMAP_PASSWORD".into(),
    };
    match check_mailbox(a, insecure) {
        Ok(c) => {
            list.ok(&format!("{name}: logged in as {}", a.user));
            match c.folder {
                Ok(n) => list.ok(&format!("{name}: folder '{}' ({n} messages)", a.folder)),
                Err(e) => list.fail(
                    &format!("{name}: folder '{}': {e}", a.folder),
                    "set folder = the folder the bounces arrive in (often INBOX), or create it",
                ),
            }
            let caps: Vec<String> = c
                .capabilities
                .iter()
                .map(|(n, has)| format!("{n} {}", if *has { "yes" } else { "no" }))
                .collect();
            list.info(&format!("{name} offers: {}", caps.join(", ")));
            for ((cap, has), (_, why)) in c.capabilities.iter().zip(WANTED) {
                if !has {
                    list.warn(
                        &format!("{name}: no {cap}"),
                        &format!("works without; {cap} {why}"),
                    );
                }
            }
        }
        Err(e) => list.fail(&format!("{name}: {e}"), &fix_for(&e, &secret)),
    }
}

/// One message to a plus-address of the bounce address; it must reach the mailbox.
fn probe(from: &str, cfg: &ServerConfig, account: &Account, args: &Args, list: &mut Checklist) {
    let token = format!("doctor-{}-{}", std::process::id(), unix_now());
    let (local, domain) = from.rsplit_once('@').unwrap_or((from, "localhost"));
    let base = local.split('+').next().unwrap_or(local);
    let to = format!("{base}+{token}@{domain}");
    let message = format!(
        "From: rebound doctor <{from}>\r\nTo: <{to}>\r\nSubject: rebound doctor probe {token}\r\n\
         X-Rebound-Doctor: {token}\r\nMessage-ID: <{token}@{domain}>\r\nDate: {}\r\n\r\n\
         A probe sent by `rebound doctor --probe` to check that mail to a plus-address of\r\n\
         the bounce address reaches the mailbox rebound polls. It can be deleted.\r\n",
        rebound::send::message::rfc5322_date(unix_now() as i64)
    );
    let mut session = match Session::open(cfg) {
        Ok(s) => s,
        Err(e) => {
            list.fail(&format!("probe: {e}"), "fix the SMTP check above first");
            return;
        }
    };
    let env = rebound::send::smtp::Envelope {
        return_path: from,
        recipient: &to,
        envelope_id: &token,
    };
    let sent = session.transaction(&env, message.as_bytes(), || Ok::<(), String>(()), None);
    session.quit();
    match sent {
        rebound::send::smtp::TxResult::Accepted { reply } => {
            list.ok(&format!("probe: sent to {to} ({reply})"))
        }
        other => {
            list.fail(
                &format!("probe: {to} was not accepted: {other:?}"),
                "the relay must accept mail for the bounce domain, plus-addresses included",
            );
            return;
        }
    }
    let started = Instant::now();
    let wait = Duration::from_secs(args.probe_timeout);
    match wait_for_header(account, args.insecure, "X-Rebound-Doctor", &token, wait) {
        Ok(Some(uid)) => list.ok(&format!(
            "probe: arrived in '{}' of account '{}' after {:.1} s (UID {uid}); VERP return \
             paths reach the mailbox",
            account.folder,
            account.label(),
            started.elapsed().as_secs_f64()
        )),
        Ok(None) => list.fail(
            &format!(
                "probe: {to} did not arrive in '{}' of account '{}' within {} s",
                account.folder,
                account.label(),
                wait.as_secs()
            ),
            "the bounce mailbox must accept plus-addresses (`local+anything@domain`): turn on \
             subaddressing (Postfix recipient_delimiter = +, an alias rule, or the provider's \
             plus-addressing setting), and check spam folders and filters",
        ),
        Err(e) => list.fail(&format!("probe: {e}"), "fix the IMAP check above first"),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
