//! Shared helpers for tests against the real mail stack (Postfix + Dovecot on loopback,
//! started by `scripts/mailstack`, which installs the packages when missing).

#![allow(dead_code)]

pub mod fakeimap;
pub mod fakesmtp;
pub mod model;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// Starts the stack if needed (idempotent) and returns its facts (`SMTP_PORT`, ...).
pub fn stack() -> HashMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = Command::new(root.join("scripts/mailstack"))
        .arg("start")
        .output()
        .expect("run scripts/mailstack start");
    assert!(
        out.status.success(),
        "scripts/mailstack start failed:\n{}\n{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// A fresh directory for one test.
pub fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-it-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("create test dir");
    d
}

/// Runs the `rebound` binary in `dir`.
pub fn rebound(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run rebound")
}

/// Text of an output, for assertion messages.
pub fn text(o: &Output) -> String {
    format!(
        "status {:?}\nstdout:\n{}\nstderr:\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Rows of a query on the store, each column as text ('' for NULL).
pub fn query(db: &Path, sql: &str) -> Vec<Vec<String>> {
    try_query(db, sql).expect("query the store")
}

/// Like `query`, but `None` while the store is not there yet (another process is still
/// creating it).
pub fn try_query(db: &Path, sql: &str) -> Option<Vec<Vec<String>>> {
    let conn = rusqlite::Connection::open(db).ok()?;
    // A writer killed mid-transaction leaves its WAL behind; the next reader may have to
    // wait for recovery.
    conn.busy_timeout(std::time::Duration::from_secs(10)).ok()?;
    let mut stmt = conn.prepare(sql).ok()?;
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    let v: rusqlite::types::Value = r.get(i)?;
                    Ok(match v {
                        rusqlite::types::Value::Null => String::new(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(f) => f.to_string(),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(_) => "<blob>".into(),
                    })
                })
                .collect::<rusqlite::Result<Vec<String>>>()
        })
        .ok()?;
    rows.collect::<rusqlite::Result<Vec<_>>>().ok()
}

/// Waits until `f` returns `Some`, up to `secs` seconds.
pub fn wait_for<T>(secs: u64, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let end = Instant::now() + Duration::from_secs(secs);
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > end {
            return None;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
}

/// The messages in a Maildir (new and cur) whose text contains `needle`.
pub fn maildir_find(maildir: &str, needle: &str) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    for sub in ["new", "cur"] {
        let Ok(rd) = std::fs::read_dir(Path::new(maildir).join(sub)) else {
            continue;
        };
        for e in rd.flatten() {
            if let Ok(b) = std::fs::read(e.path()) {
                if String::from_utf8_lossy(&b).contains(needle) {
                    out.push(b);
                }
            }
        }
    }
    out
}

/// A message template with one merge field.
pub const MESSAGE: &str = "From: News <news@rebound.test>\nSubject: Hello {{first_name}}\n\nHi {{first_name}},\nthis is a test.\n.\nA line with a lone dot above.\n";

/// A small seeded generator (xorshift), so a failing generated case can be replayed.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed | 1)
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    /// Upper-cases about a third of the characters, by Unicode's rules (`ü` to `Ü`).
    pub fn case(&mut self, s: &str) -> String {
        s.chars()
            .map(|c| {
                if self.next().is_multiple_of(3) {
                    c.to_uppercase().collect::<String>()
                } else {
                    c.to_string()
                }
            })
            .collect()
    }
}

/// Runs doveadm against the stack's Dovecot as the bounce mailbox's user:
/// `doveadm -c CONF COMMAND... -u USER ARGS...`, with `input` on its stdin.
pub fn doveadm(
    env: &HashMap<String, String>,
    command: &[&str],
    args: &[&str],
    input: Option<&[u8]>,
) -> Output {
    use std::io::Write;
    let conf = format!("{}/dovecot/dovecot.conf", env["MAILSTACK_DIR"]);
    let mut child = Command::new("doveadm")
        .args(["-c", &conf])
        .args(command)
        .args(["-u", &env["IMAP_USER"]])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run doveadm");
    if let Some(data) = input {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(data)
            .expect("write to doveadm");
    }
    drop(child.stdin.take());
    child.wait_with_output().expect("doveadm")
}

/// Saves a message (LF line ends, sent as CRLF) into a folder of the bounce mailbox,
/// creating the folder when missing.
pub fn save_message(env: &HashMap<String, String>, folder: &str, message: &str) {
    let _ = doveadm(env, &["mailbox", "create"], &[folder], None);
    let out = doveadm(
        env,
        &["save"],
        &["-m", folder],
        Some(message.replace('\n', "\r\n").as_bytes()),
    );
    assert!(out.status.success(), "{}", text(&out));
}

/// Moves the INBOX messages whose body mentions `needle` (a campaign's name, which the
/// returned headers carry) into `folder`; returns how many the folder holds.
pub fn move_matching(env: &HashMap<String, String>, folder: &str, needle: &str) -> usize {
    let _ = doveadm(env, &["mailbox", "create"], &[folder], None);
    let _ = doveadm(
        env,
        &["move"],
        &[folder, "mailbox", "INBOX", "body", needle],
        None,
    );
    let out = doveadm(env, &["search"], &["mailbox", folder, "ALL"], None);
    String::from_utf8_lossy(&out.stdout).lines().count()
}

/// A rebound.toml polling one folder of the bounce mailbox over IMAPS (the account is
/// named after the folder), its outcome folders named after `tag`; the CA is given
/// unless `trust` is false. Writes the password file `imap-password` into `dir`.
pub fn poll_config(
    env: &HashMap<String, String>,
    dir: &Path,
    tag: &str,
    folder: &str,
    trust: bool,
) -> String {
    std::fs::write(dir.join("imap-password"), &env["IMAP_PASSWORD"]).expect("password file");
    format!(
        "[poll.folders]\nprocessed = \"{tag}-P\"\ncomplaints = \"{tag}-C\"\nauto_replies = \"{tag}-A\"\nunmatched = \"{tag}-U\"\nnot_bounces = \"{tag}-N\"\n{}",
        poll_account(env, folder, trust)
    )
}

/// One `[[poll.account]]` block for a folder of the bounce mailbox (see `poll_config`).
pub fn poll_account(env: &HashMap<String, String>, folder: &str, trust: bool) -> String {
    let ca = if trust {
        format!("ca_file = \"{}\"\n", env["TLS_CA"])
    } else {
        String::new()
    };
    format!(
        "\n[[poll.account]]\nname = \"{folder}\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"tls\"\nuser = \"{}\"\npassword_file = \"imap-password\"\nfolder = \"{folder}\"\nserver_name = \"{}\"\n{ca}",
        env["IMAPS_PORT"], env["IMAP_USER"], env["TLS_SERVER_NAME"]
    )
}

/// A DSN (RFC 3464) as a remote MTA would send it to `to` about `rcpt`; `envid` is the
/// `Original-Envelope-Id` when given.
pub fn dsn_message(
    to: &str,
    id: &str,
    envid: Option<&str>,
    rcpt: &str,
    action: &str,
    status: &str,
) -> String {
    let envid = envid
        .map(|e| format!("Original-Envelope-Id: {e}\n"))
        .unwrap_or_default();
    let code = match status.chars().next() {
        Some('2') => "250",
        Some('4') => "451",
        _ => "550",
    };
    format!(
        "From: MAILER-DAEMON@mx.remote.test\nTo: {to}\nSubject: Delivery Status Notification\nMessage-ID: <{id}@mx.remote.test>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nreport\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.remote.test\n{envid}\nFinal-Recipient: rfc822; {rcpt}\nAction: {action}\nStatus: {status}\nDiagnostic-Code: smtp; {code} {status} report\n\n--b--\n"
    )
}

/// The arguments of `rebound send` of `list` (with `msg.eml`) as `campaign` to the
/// stack's listener on `port`, without TLS, into `rebound.db`.
pub fn send_argv(
    env: &HashMap<String, String>,
    campaign: &str,
    list: &str,
    port: &str,
) -> Vec<String> {
    [
        "send",
        "--campaign",
        campaign,
        "--recipients",
        list,
        "--message",
        "msg.eml",
        "--from",
        &env["SENDER"],
        "--server",
        "127.0.0.1",
        "--port",
        port,
        "--tls",
        "none",
        "--db",
        "rebound.db",
    ]
    .map(String::from)
    .to_vec()
}

/// Runs `send_argv` plus `extra` arguments in `dir`.
pub fn send_list(
    dir: &Path,
    env: &HashMap<String, String>,
    campaign: &str,
    list: &str,
    port: &str,
    extra: &[&str],
) -> Output {
    let argv = send_argv(env, campaign, list, port);
    let mut args: Vec<&str> = argv.iter().map(String::as_str).collect();
    args.extend(extra);
    rebound(dir, &args)
}

/// Writes `name` in `dir`: a recipient list (`email,first_name`) of `emails`, and the
/// message template `msg.eml` beside it.
pub fn write_recipients(dir: &Path, name: &str, emails: &[&str]) {
    let mut csv = String::from("email,first_name\n");
    for (i, e) in emails.iter().enumerate() {
        csv.push_str(&format!("{e},N{i}\n"));
    }
    std::fs::write(dir.join(name), csv).expect("write list");
    std::fs::write(dir.join("msg.eml"), MESSAGE).expect("write message");
}
