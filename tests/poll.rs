//! `rebound poll`, `suppress` and `policy` against the real test mail stack
//! (`scripts/mailstack`: Postfix makes the DSNs, Dovecot serves them over IMAPS and
//! STARTTLS). Each test works in its own IMAP folders and its own store, so tests run in
//! parallel; the stack lives in its own state directory so other users of the default
//! one are not disturbed.

use futures_util::StreamExt;
use rebound::poll::config::{Account, Tls};
use rebound::poll::connect::{connect, ImapSession};
use rusqlite::Connection;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_rebound");
const OUTCOMES: [&str; 5] = [
    "Processed",
    "Complaints",
    "AutoReplies",
    "Unmatched",
    "NotBounces",
];

/// The stack's KEY=VALUE facts (started once per test binary).
fn stack() -> &'static HashMap<String, String> {
    static ENV: OnceLock<HashMap<String, String>> = OnceLock::new();
    ENV.get_or_init(|| {
        let dir = std::env::var("REBOUND_TEST_MAILSTACK_DIR")
            .unwrap_or_else(|_| "/tmp/rebound-mailstack-poll".into());
        let out = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/scripts/mailstack"))
            .arg("start")
            .env("MAILSTACK_DIR", &dir)
            .stderr(Stdio::inherit())
            .output()
            .expect("running scripts/mailstack start");
        assert!(out.status.success(), "scripts/mailstack start failed");
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter_map(|l| l.split_once('='))
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    })
}

fn env(key: &str) -> String {
    stack()
        .get(key)
        .unwrap_or_else(|| panic!("mailstack printed no {key}"))
        .clone()
}

/// A fresh directory and a unique prefix for a test's folders and campaign.
fn scratch(name: &str) -> (PathBuf, String) {
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    let tag = format!("t{stamp}{}-{name}", std::process::id());
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(&tag);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("password"), env("IMAP_PASSWORD")).unwrap();
    (dir, tag)
}

fn account(dir: &Path, tls: Tls, folder: &str) -> Account {
    Account {
        name: None,
        host: env("IMAP_HOST"),
        port: Some(
            env(if tls == Tls::Tls {
                "IMAPS_PORT"
            } else {
                "IMAP_PORT"
            })
            .parse()
            .unwrap(),
        ),
        tls,
        user: env("IMAP_USER"),
        password_env: None,
        password_file: Some(dir.join("password")),
        auth: rebound::oauth::Mechanism::Password,
        token_command: None,
        token_file: None,
        folder: folder.to_string(),
        ca_file: Some(env("TLS_CA").into()),
        server_name: Some(env("TLS_SERVER_NAME")),
        use_move: true,
    }
}

/// rebound.toml for accounts (tls mode, folder, use MOVE) and per-test outcome folders.
fn write_config(dir: &Path, tag: &str, accounts: &[(&str, &str, bool)], extra: &str) -> PathBuf {
    let mut t = format!("[poll]\nbatch = 3\n{extra}\n[poll.folders]\n");
    for (key, name) in [
        "processed",
        "complaints",
        "auto_replies",
        "unmatched",
        "not_bounces",
    ]
    .iter()
    .zip(OUTCOMES)
    {
        t.push_str(&format!("{key} = \"{tag}-{name}\"\n"));
    }
    for (i, (tls, folder, use_move)) in accounts.iter().enumerate() {
        let port = if *tls == "tls" {
            env("IMAPS_PORT")
        } else {
            env("IMAP_PORT")
        };
        t.push_str(&format!(
            "[[poll.account]]\nname = \"a{i}\"\nhost = \"{}\"\nport = {port}\ntls = \"{tls}\"\nuser = \"{}\"\npassword_file = \"{}\"\nfolder = \"{folder}\"\nca_file = \"{}\"\nserver_name = \"{}\"\nuse_move = {use_move}\n",
            env("IMAP_HOST"),
            env("IMAP_USER"),
            dir.join("password").display(),
            env("TLS_CA"),
            env("TLS_SERVER_NAME"),
        ));
    }
    let path = dir.join("rebound.toml");
    std::fs::write(&path, t).unwrap();
    path
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap()
}

async fn session(dir: &Path) -> ImapSession {
    connect(&account(dir, Tls::Tls, "INBOX"), false)
        .await
        .expect("IMAP login")
}

async fn uids(s: &mut ImapSession, folder: &str, query: &str) -> Vec<u32> {
    s.select(folder).await.expect("SELECT");
    let mut v: Vec<u32> = s
        .uid_search(query)
        .await
        .expect("UID SEARCH")
        .into_iter()
        .collect();
    v.sort_unstable();
    v
}

/// Creates a folder and appends messages to it.
fn fill(dir: &Path, folder: &str, messages: &[Vec<u8>]) {
    rt().block_on(async {
        let mut s = session(dir).await;
        let _ = s.create(folder).await;
        for m in messages {
            s.append(folder, None, None, m).await.expect("APPEND");
        }
        s.logout().await.ok();
    })
}

/// Messages per folder (missing folders count 0).
fn counts(dir: &Path, folders: &[String]) -> BTreeMap<String, usize> {
    rt().block_on(async {
        let mut s = session(dir).await;
        let mut out = BTreeMap::new();
        for f in folders {
            let n = match s.select(f).await {
                Ok(mb) => mb.exists as usize,
                Err(_) => 0,
            };
            out.insert(f.clone(), n);
        }
        s.logout().await.ok();
        out
    })
}

/// The Message-IDs of the messages in a folder.
fn message_ids(dir: &Path, folder: &str) -> Vec<String> {
    rt().block_on(async {
        let mut s = session(dir).await;
        let all = uids(&mut s, folder, "ALL").await;
        let mut out = Vec::new();
        if !all.is_empty() {
            let set: Vec<String> = all.iter().map(|u| u.to_string()).collect();
            let mut f = s.uid_fetch(set.join(","), "BODY.PEEK[]").await.unwrap();
            while let Some(m) = f.next().await {
                let m = m.unwrap();
                out.push(rebound::poll::process::message_id(m.body().unwrap()));
            }
        }
        drop(s);
        out.sort();
        out
    })
}

fn outcome_folders(tag: &str) -> Vec<String> {
    OUTCOMES.iter().map(|o| format!("{tag}-{o}")).collect()
}

/// A copy of a message with its own Message-ID.
fn with_message_id(raw: &[u8], id: &str) -> Vec<u8> {
    let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
    let mut out = String::new();
    let mut replaced = false;
    let mut in_head = true;
    for line in text.split_inclusive('\n') {
        if in_head && line.trim().is_empty() {
            if !replaced {
                out.push_str(&format!("Message-ID: <{id}>\n"));
                replaced = true;
            }
            in_head = false;
        }
        if in_head && !replaced && line.to_ascii_lowercase().starts_with("message-id:") {
            out.push_str(&format!("Message-ID: <{id}>\n"));
            replaced = true;
            continue;
        }
        out.push_str(line);
    }
    out.replace('\n', "\r\n").into_bytes()
}

fn fixture(path: &str) -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(path)).unwrap()
}

fn rebound(args: &[&str], dir: &Path) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(dir)
        .output()
        .expect("running rebound");
    let stdout = String::from_utf8_lossy(&out.stdout).to_string();
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        eprintln!("rebound {args:?} stderr: {stderr}");
    }
    (out.status.code().unwrap_or(-1), stdout)
}

fn poll_json(dir: &Path, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["poll", "--format", "json"];
    args.extend_from_slice(extra);
    let (code, out) = rebound(&args, dir);
    assert_eq!(code, 0, "poll failed: {out}");
    serde_json::from_str(out.trim()).unwrap_or_else(|e| panic!("{e}: {out}"))
}

/// Sends a campaign with the real `rebound send` (one recipient per line).
fn send(dir: &Path, campaign: &str, recipients: &[String], port_key: &str) {
    let mut csv = String::from("email\n");
    for r in recipients {
        csv.push_str(r);
        csv.push('\n');
    }
    std::fs::write(dir.join("list.csv"), csv).unwrap();
    std::fs::write(
        dir.join("message.eml"),
        format!("From: News <news@rebound.test>\nSubject: {campaign}\n\nHello {{{{email}}}}\n"),
    )
    .unwrap();
    let port = env(port_key);
    let (code, out) = rebound(
        &[
            "send",
            "--campaign",
            campaign,
            "--recipients",
            "list.csv",
            "--message",
            "message.eml",
            "--from",
            &env("SENDER"),
            "--server",
            "127.0.0.1",
            "--port",
            &port,
            "--tls",
            "starttls",
            "--ca-file",
            &env("TLS_CA"),
            "--retries",
            "0",
        ],
        dir,
    );
    assert_eq!(code, 0, "send failed: {out}");
}

fn db(dir: &Path) -> Connection {
    Connection::open(dir.join("rebound.db")).unwrap()
}

fn suppressed(dir: &Path) -> BTreeSet<String> {
    let c = db(dir);
    let mut s = c.prepare("SELECT email FROM suppressions").unwrap();
    s.query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

/// (email, matched_by, reason, verdict) of every fact read from a message, sorted.
fn facts(dir: &Path) -> Vec<(String, String, String, String)> {
    let c = db(dir);
    let mut s = c
        .prepare(
            "SELECT coalesce(email, ''), matched_by, reason, verdict FROM facts
              WHERE message_row IS NOT NULL ORDER BY 1, 2, 3, 4",
        )
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn fact(email: &str, key: &str, reason: &str, verdict: &str) -> (String, String, String, String) {
    (email.into(), key.into(), reason.into(), verdict.into())
}

/// Waits until INBOX holds `want` reports about the campaign, then moves them to `folder`.
fn collect_dsns(dir: &Path, campaign: &str, want: usize, folder: &str, timeout: Duration) {
    rt().block_on(async {
        let mut s = session(dir).await;
        let _ = s.create(folder).await;
        let start = Instant::now();
        loop {
            let found = uids(&mut s, "INBOX", &format!("TEXT \"{campaign}\"")).await;
            if found.len() >= want {
                let set: Vec<String> = found.iter().map(|u| u.to_string()).collect();
                s.uid_mv(set.join(","), folder).await.expect("UID MOVE");
                break;
            }
            assert!(
                start.elapsed() < timeout,
                "only {} of {want} reports for {campaign} arrived in {timeout:?}",
                found.len()
            );
            tokio::time::sleep(Duration::from_millis(300)).await;
        }
        s.logout().await.ok();
    })
}

#[test]
fn end_to_end_send_then_poll_over_imaps_and_starttls() {
    let (dir, tag) = scratch("e2e");
    let rcpt: Vec<String> = [
        "RCPT_GOOD",
        "RCPT_GOOD_REMOTE",
        "RCPT_UNKNOWN_LOCAL",
        "RCPT_UNKNOWN_VIRTUAL",
        "RCPT_QUOTA_FULL",
        "RCPT_REMOTE_UNKNOWN",
        "RCPT_REMOTE_BLOCKED",
        "RCPT_REMOTE_FULL",
        "RCPT_REMOTE_TEMPFAIL",
    ]
    .iter()
    .map(|k| env(k))
    .collect();
    send(&dir, &tag, &rcpt, "SMTP_PORT");
    // Six failures at once, and the delay report for the temp-fail address (~10 s).
    let inbox_a = format!("{tag}-in-a");
    let inbox_b = format!("{tag}-in-b");
    collect_dsns(&dir, &tag, 7, &inbox_a, Duration::from_secs(60));
    // Split the reports: some are read over IMAPS, the rest over STARTTLS.
    rt().block_on(async {
        let mut s = session(&dir).await;
        let _ = s.create(&inbox_b).await;
        let all = uids(&mut s, &inbox_a, "ALL").await;
        let set: Vec<String> = all[..3].iter().map(|u| u.to_string()).collect();
        s.uid_mv(set.join(","), &inbox_b).await.unwrap();
    });
    let before_ids = {
        let mut v = message_ids(&dir, &inbox_a);
        v.extend(message_ids(&dir, &inbox_b));
        v.sort();
        v
    };
    assert_eq!(before_ids.len(), 7);
    write_config(
        &dir,
        &tag,
        &[("tls", &inbox_a, true), ("starttls", &inbox_b, true)],
        "",
    );

    // A dry run says what would happen and changes nothing.
    let (code, out) = rebound(&["poll", "--dry-run"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("addresses that would be suppressed: 3"),
        "{out}"
    );
    assert!(suppressed(&dir).is_empty());
    let c = counts(&dir, &[inbox_a.clone(), inbox_b.clone()]);
    assert_eq!(
        c.values().sum::<usize>(),
        7,
        "dry run moved messages: {c:?}"
    );

    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["messages"], 7, "{summary}");
    assert_eq!(summary["by_outcome"]["processed"], 7, "{summary}");
    assert_eq!(summary["by_key"]["verp"], 7, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");

    assert_eq!(
        suppressed(&dir),
        BTreeSet::from([
            env("RCPT_UNKNOWN_LOCAL"),
            env("RCPT_UNKNOWN_VIRTUAL"),
            env("RCPT_REMOTE_UNKNOWN"),
        ])
    );
    assert_eq!(
        facts(&dir),
        vec![
            fact(&env("RCPT_REMOTE_BLOCKED"), "verp", "blocked", "reputation"),
            fact(&env("RCPT_QUOTA_FULL"), "verp", "mailboxfull", "soft"),
            fact(&env("RCPT_REMOTE_FULL"), "verp", "mailboxfull", "soft"),
            fact(
                &env("RCPT_UNKNOWN_LOCAL"),
                "verp",
                "userunknown",
                "suppress"
            ),
            fact(
                &env("RCPT_UNKNOWN_VIRTUAL"),
                "verp",
                "userunknown",
                "suppress"
            ),
            fact(
                &env("RCPT_REMOTE_TEMPFAIL"),
                "verp",
                "systemerror",
                "delayed"
            ),
            fact(
                &env("RCPT_REMOTE_UNKNOWN"),
                "verp",
                "userunknown",
                "suppress"
            ),
        ]
        .into_iter()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
    // Every message ended in Processed; nothing was deleted.
    let mut all = outcome_folders(&tag);
    all.push(inbox_a.clone());
    all.push(inbox_b.clone());
    let c = counts(&dir, &all);
    assert_eq!(c[&format!("{tag}-Processed")], 7, "{c:?}");
    assert_eq!(c.values().sum::<usize>(), 7, "{c:?}");
    assert_eq!(message_ids(&dir, &format!("{tag}-Processed")), before_ids);

    // A second run finds nothing new; the blocklist is counted for the sender, not the address.
    let again = poll_json(&dir, &[]);
    assert_eq!(again["messages"], 0, "{again}");
    let (_, preview) = rebound(&["policy", "preview"], &dir);
    assert!(
        preview.contains("would add 0 address(es); 3 already listed"),
        "{preview}"
    );
    assert!(
        preview.contains("list zen.spamhaus.org 127.0.0.1: 1"),
        "{preview}"
    );
}

#[test]
fn sync_rejection_and_later_dsn_count_once() {
    let (dir, tag) = scratch("sync");
    send(
        &dir,
        &tag,
        &[env("RCPT_REMOTE_FULL"), env("RCPT_REMOTE_UNKNOWN")],
        "SMTP_REJECT_PORT",
    );
    // Later DSNs for the same two recipients (real Postfix reports from the fixtures).
    let folder = format!("{tag}-in");
    fill(
        &dir,
        &folder,
        &[
            with_message_id(
                &fixture("fixtures/postfix/05-remote-mailbox-full.eml"),
                &format!("{tag}-1@x"),
            ),
            with_message_id(
                &fixture("fixtures/postfix/03-remote-unknown.eml"),
                &format!("{tag}-2@x"),
            ),
        ],
    );
    // Two soft bounces suppress under this policy: counted twice, full@ would be listed.
    let policy = rebound::hygiene::DEFAULT_POLICY.replace("count = 3", "count = 2");
    std::fs::write(dir.join("policy.toml"), policy).unwrap();
    write_config(
        &dir,
        &tag,
        &[("tls", &folder, true)],
        "policy = \"policy.toml\"",
    );
    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["messages"], 2, "{summary}");
    assert_eq!(
        suppressed(&dir),
        BTreeSet::from([env("RCPT_REMOTE_UNKNOWN")])
    );
    let c = db(&dir);
    let rows: Vec<(String, String, String)> = c
        .prepare("SELECT email, matched_by, verdict FROM facts ORDER BY email, matched_by")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let full = env("RCPT_REMOTE_FULL");
    let unknown = env("RCPT_REMOTE_UNKNOWN");
    assert_eq!(
        rows,
        vec![
            (full.clone(), "address".into(), "duplicate".into()),
            (full, "sync".into(), "soft".into()),
            (unknown.clone(), "address".into(), "duplicate".into()),
            (unknown, "sync".into(), "suppress".into()),
        ]
    );
    // Polling again imports nothing twice.
    poll_json(&dir, &[]);
    let n: i64 = db(&dir)
        .query_row("SELECT count(*) FROM facts", [], |r| r.get(0))
        .unwrap();
    assert_eq!(n, 4);
}

#[test]
fn forged_verp_and_never_sent_address_suppress_nobody() {
    let (dir, tag) = scratch("forged");
    let good = env("RCPT_GOOD_REMOTE");
    send(&dir, &tag, std::slice::from_ref(&good), "SMTP_PORT");
    let real = String::from_utf8(fixture("fixtures/postfix/01-unknown-local.eml")).unwrap();
    // A report "about" an address we did send to, returned to a VERP address whose MAC is wrong.
    let forged = real
        .replace("nosuchuser@local.test", &good)
        .replace(
            "Delivered-To: bounces@rebound.test",
            "Delivered-To: bounces+1.1.0123456789abcdef0123@rebound.test",
        )
        .replace(
            "To: bounces@rebound.test",
            "To: bounces+1.1.0123456789abcdef0123@rebound.test",
        );
    // A report for an address never sent to, with no key of ours.
    let stranger = real
        .replace("nosuchuser@local.test", "stranger@remote.test")
        .replace("X-Rebound-Campaign: postfix-fixtures\n", "");
    let folder = format!("{tag}-in");
    fill(
        &dir,
        &folder,
        &[
            with_message_id(forged.as_bytes(), &format!("{tag}-forged@x")),
            with_message_id(stranger.as_bytes(), &format!("{tag}-stranger@x")),
            with_message_id(
                &fixture("fixtures/handwritten/05-not-a-bounce.eml"),
                &format!("{tag}-plain@x"),
            ),
            with_message_id(
                &fixture("fixtures/handwritten/01-vacation.eml"),
                &format!("{tag}-vac@x"),
            ),
            with_message_id(
                &fixture("fixtures/handwritten/02-arf-abuse.eml"),
                &format!("{tag}-arf@x"),
            ),
        ],
    );
    write_config(&dir, &tag, &[("starttls", &folder, true)], "");
    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["messages"], 5, "{summary}");
    assert!(suppressed(&dir).is_empty(), "{:?}", suppressed(&dir));
    let f = facts(&dir);
    assert!(
        f.contains(&fact(&good, "suspect", "userunknown", "suspect")),
        "{f:?}"
    );
    assert!(
        f.contains(&fact(
            "stranger@remote.test",
            "unmatched",
            "userunknown",
            "unmatched"
        )),
        "{f:?}"
    );
    let c = counts(&dir, &outcome_folders(&tag));
    assert_eq!(c[&format!("{tag}-Unmatched")], 2, "{c:?}");
    assert_eq!(c[&format!("{tag}-NotBounces")], 1, "{c:?}");
    assert_eq!(c[&format!("{tag}-AutoReplies")], 1, "{c:?}");
    assert_eq!(c[&format!("{tag}-Complaints")], 1, "{c:?}");
    // The not-a-bounce message is kept with the reason recorded.
    let err: String = db(&dir)
        .query_row(
            "SELECT error FROM messages WHERE outcome = 'not_bounces'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(err.contains("no delivery report"), "{err}");
}

/// Messages of the fixtures, each with its own Message-ID, and how many facts each gives.
fn corpus(tag: &str, copies: usize) -> (Vec<Vec<u8>>, usize) {
    let mut out = Vec::new();
    let mut facts = 0;
    for suite in ["fixtures/postfix", "fixtures/handwritten"] {
        let mut files: Vec<PathBuf> =
            std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(suite))
                .unwrap()
                .map(|e| e.unwrap().path())
                .filter(|p| p.extension().is_some_and(|e| e == "eml"))
                .collect();
        files.sort();
        for copy in 0..copies {
            for (i, f) in files.iter().enumerate() {
                let m = with_message_id(
                    &std::fs::read(f).unwrap(),
                    &format!("{tag}-{copy}-{i}-{}@x", suite.len()),
                );
                facts += rebound::decode(&m).bounces.len();
                out.push(m);
            }
        }
    }
    (out, facts)
}

#[test]
fn sigkill_at_random_points_loses_nothing_and_counts_nothing_twice() {
    let (dir, tag) = scratch("kill");
    let (messages, want_facts) = corpus(&tag, 5);
    let n = messages.len();
    let folder = format!("{tag}-in");
    // New mail keeps arriving: a few messages before the loop and more before each run,
    // so every run has work to be killed in the middle of.
    let runs = 12;
    let per_run = n / (runs + 1);
    let mut appended = n - per_run * (runs - 1);
    fill(&dir, &folder, &messages[..appended]);
    write_config(&dir, &tag, &[("tls", &folder, true)], "move_every = 3");
    let mut seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos() as u64;
    eprintln!("kill-loop seed {seed}");
    let mut killed = 0;
    let mut partial = 0;
    // The kill lands at a random point within the time the last finished run took
    // (start-up, login, fetch, commits, moves), so the window follows the machine's load.
    let mut full_run = Duration::from_millis(400);
    let mut prev_stored = 0;
    for run in 0..runs {
        if run > 0 {
            fill(&dir, &folder, &messages[appended..appended + per_run]);
            appended += per_run;
        }
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        let fraction = 0.3 + ((seed >> 33) % 650) as f64 / 1000.0;
        let delay = full_run.mul_f64(fraction);
        let started = Instant::now();
        let mut child = Command::new(BIN)
            .args(["poll", "--batch", "1"])
            .current_dir(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut was_killed = false;
        loop {
            if child.try_wait().unwrap().is_some() {
                full_run = started.elapsed();
                break;
            }
            if started.elapsed() >= delay {
                child.kill().unwrap(); // SIGKILL
                was_killed = true;
                killed += 1;
                break;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        child.wait().unwrap();
        let stored: i64 = Connection::open(dir.join("rebound.db"))
            .and_then(|c| c.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)))
            .unwrap_or(0);
        if was_killed && stored > prev_stored && (stored as usize) < appended {
            partial += 1;
        }
        if was_killed && stored == prev_stored {
            // Killed before it did anything: aim later next time.
            full_run = full_run.mul_f64(1.3);
        }
        if was_killed && stored as usize == appended {
            // Killed after everything was stored (moving or logging out): aim earlier.
            full_run = full_run.mul_f64(0.7);
        }
        prev_stored = stored;
        eprintln!(
            "run {run}: {} after {:?}, {stored} of {appended} messages stored",
            if was_killed { "killed" } else { "finished" },
            started.elapsed()
        );
    }
    assert_eq!(appended, n);
    assert!(
        killed >= 5,
        "only {killed} of {runs} runs were killed before they finished"
    );
    assert!(
        partial >= 2,
        "only {partial} runs were killed part-way through their work"
    );
    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["errors"], 0, "{summary}");
    let c = db(&dir);
    let (messages_stored, facts_stored): (i64, i64) = c
        .query_row(
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM facts WHERE message_row IS NOT NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        messages_stored as usize, n,
        "every message read exactly once"
    );
    assert_eq!(facts_stored as usize, want_facts, "no fact lost or doubled");
    let mut all = outcome_folders(&tag);
    all.push(folder.clone());
    let counted = counts(&dir, &all);
    assert_eq!(counted[&folder], 0, "{counted:?}");
    assert_eq!(
        counted.values().sum::<usize>(),
        n,
        "nothing deleted, nothing copied twice: {counted:?}"
    );
}

#[test]
fn over_a_thousand_messages_move_on_a_second_connection_and_lose_nothing() {
    let (dir, tag) = scratch("big");
    // More new messages than the threshold above which a second connection moves them.
    let (messages, want_facts) = corpus(&tag, 58);
    let n = messages.len();
    assert!(n > 1000, "{n} messages");
    let folder = format!("{tag}-in");
    fill(&dir, &folder, &messages);
    write_config(&dir, &tag, &[("tls", &folder, true)], "move_every = 200");
    let out = Command::new(BIN)
        .args(["poll", "--format", "json", "--batch", "50", "-vv"])
        .current_dir(&dir)
        .output()
        .expect("running rebound");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "poll failed: {stderr}");
    let summary: serde_json::Value =
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {stderr}"));
    assert_eq!(summary["messages"], n, "{summary}");
    assert_eq!(summary["errors"], 0, "{summary}");
    assert!(
        stderr.contains("mover: second connection ready"),
        "the moves did not run on a second connection: {stderr}"
    );
    let rounds = stderr.matches("mover: round done").count();
    assert!(rounds >= 1, "no move round reported: {stderr}");

    let c = db(&dir);
    let (messages_stored, facts_stored, last_uid): (i64, i64, i64) = c
        .query_row(
            "SELECT (SELECT count(*) FROM messages),
                    (SELECT count(*) FROM facts WHERE message_row IS NOT NULL),
                    (SELECT last_uid FROM poll_checkpoints WHERE folder = ?1)",
            [&folder],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(messages_stored as usize, n, "every message stored once");
    assert_eq!(facts_stored as usize, want_facts, "no fact lost or doubled");
    // Appended to a new folder: UIDs 1..=n, and the checkpoint follows the last round.
    assert_eq!(last_uid as usize, n, "checkpoint after the last move round");

    let mut all = outcome_folders(&tag);
    all.push(folder.clone());
    let counted = counts(&dir, &all);
    assert_eq!(counted[&folder], 0, "{counted:?}");
    // Each message sits in exactly one outcome folder: the same Message-IDs, once each.
    let mut moved: Vec<String> = outcome_folders(&tag)
        .iter()
        .flat_map(|f| message_ids(&dir, f))
        .collect();
    moved.sort();
    let mut sent: Vec<String> = messages
        .iter()
        .map(|m| rebound::poll::process::message_id(m))
        .collect();
    sent.sort();
    assert_eq!(moved.len(), n, "{counted:?}");
    assert_eq!(
        moved, sent,
        "the moved messages are the appended ones, once each"
    );
}

#[test]
fn uidvalidity_change_reads_again_without_counting_twice() {
    let (dir, tag) = scratch("uidv");
    let folder = format!("{tag}-in");
    let (messages, _) = corpus(&tag, 1);
    let first = &messages[..4];
    fill(&dir, &folder, first);
    // This account moves with COPY + \Deleted + UID EXPUNGE.
    write_config(&dir, &tag, &[("tls", &folder, false)], "");
    let s1 = poll_json(&dir, &[]);
    assert_eq!(s1["messages"], 4, "{s1}");
    let facts_before = facts(&dir).len();
    // The folder is replaced: a new UIDVALIDITY, UIDs from 1 again, the same messages
    // plus one new one.
    let validity = |s: async_imap::types::Mailbox| s.uid_validity.unwrap();
    let (old, new) = rt().block_on(async {
        let mut s = session(&dir).await;
        let old = validity(s.select(&folder).await.unwrap());
        s.close().await.unwrap();
        s.delete(&folder).await.unwrap();
        s.create(&folder).await.unwrap();
        for m in &messages[..5] {
            s.append(&folder, None, None, m).await.unwrap();
        }
        let new = validity(s.select(&folder).await.unwrap());
        (old, new)
    });
    assert_ne!(old, new);
    let s2 = poll_json(&dir, &[]);
    assert_eq!(s2["uidvalidity_changes"], 1, "{s2}");
    assert_eq!(s2["messages"], 5, "{s2}");
    assert_eq!(s2["already_seen"], 4, "{s2}");
    let new_facts = rebound::decode(&messages[4]).bounces.len();
    assert_eq!(facts(&dir).len(), facts_before + new_facts);
    let mut all = outcome_folders(&tag);
    all.push(folder.clone());
    let c = counts(&dir, &all);
    assert_eq!(c[&folder], 0, "{c:?}");
    // 4 + 5 copies: the re-read ones were moved to the same folders again, not dropped.
    assert_eq!(c.values().sum::<usize>(), 9, "{c:?}");
}

#[test]
fn watch_picks_up_new_mail_with_idle() {
    let (dir, tag) = scratch("watch");
    let folder = format!("{tag}-in");
    fill(&dir, &folder, &[]);
    write_config(&dir, &tag, &[("tls", &folder, true)], "");
    let mut child = Command::new(BIN)
        .args(["poll", "--watch"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(700));
    fill(
        &dir,
        &folder,
        &[with_message_id(
            &fixture("fixtures/postfix/03-remote-unknown.eml"),
            &format!("{tag}@x"),
        )],
    );
    let start = Instant::now();
    let target = format!("{tag}-Unmatched");
    loop {
        if counts(&dir, std::slice::from_ref(&target))[&target] == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "watch did not process the new message"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
}

/// A TCP proxy to the IMAPS port whose first two connections are cut after `cut` bytes
/// from the server (in the middle of a FETCH); later connections pass through.
fn cutting_proxy(cut: usize) -> u16 {
    use std::io::{Read, Write};
    use std::net::{TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let upstream = format!("127.0.0.1:{}", env("IMAPS_PORT"));
    std::thread::spawn(move || {
        for (i, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { continue };
            let Ok(server) = TcpStream::connect(&upstream) else {
                continue;
            };
            let limit = if i < 2 { cut } else { usize::MAX };
            let (mut c_read, mut s_write) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = c_read.read(&mut buf) {
                    if n == 0 || s_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
                let _ = s_write.shutdown(std::net::Shutdown::Both);
            });
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                let mut sent = 0usize;
                while let Ok(n) = s_read.read(&mut buf) {
                    let n = n.min(limit - sent);
                    if n == 0 || c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                    sent += n;
                    if sent >= limit {
                        break;
                    }
                }
                // The drop: both directions end without a goodbye.
                let _ = c_write.shutdown(std::net::Shutdown::Both);
                let _ = s_read.shutdown(std::net::Shutdown::Both);
            });
        }
    });
    port
}

#[test]
fn connection_dropped_mid_fetch_reconnects_and_loses_nothing() {
    let (dir, tag) = scratch("drop");
    let (messages, want_facts) = corpus(&tag, 1);
    let n = messages.len();
    let folder = format!("{tag}-in");
    fill(&dir, &folder, &messages);
    // Cut a third of the way through the messages' bytes: the single run is cut in the
    // middle of its fetches, and so is watch mode's first connection, which still has the
    // other two thirds to read (a fixed count sat too close to the whole folder's size).
    let total: usize = messages.iter().map(Vec::len).sum();
    let port = cutting_proxy(total / 3);
    let config = write_config(&dir, &tag, &[("tls", &folder, true)], "");
    let text = std::fs::read_to_string(&config).unwrap().replace(
        &format!("port = {}", env("IMAPS_PORT")),
        &format!("port = {port}"),
    );
    std::fs::write(&config, text).unwrap();
    // One run alone fails on the drop and leaves everything it did not commit in place.
    let (code, _) = rebound(&["poll", "--batch", "5"], &dir);
    assert_eq!(code, 1, "the cut connection must fail the run");
    // Watch mode is cut too, reconnects (the proxy passes later connections) and
    // finishes the folder.
    let mut child = Command::new(BIN)
        .args(["poll", "--watch", "--batch", "5"])
        .current_dir(&dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let start = Instant::now();
    loop {
        if counts(&dir, std::slice::from_ref(&folder))[&folder] == 0 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "watch did not finish after the drop"
        );
        std::thread::sleep(Duration::from_millis(200));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let (messages_stored, facts_stored): (i64, i64) = db(&dir)
        .query_row(
            "SELECT (SELECT count(*) FROM messages), (SELECT count(*) FROM facts WHERE message_row IS NOT NULL)",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(messages_stored as usize, n);
    assert_eq!(facts_stored as usize, want_facts);
    let counted = counts(&dir, &outcome_folders(&tag));
    assert_eq!(counted.values().sum::<usize>(), n, "{counted:?}");
}

#[test]
fn delay_then_expiry_counts_as_one_soft_bounce_each() {
    // The one slow case: Postfix gives up on these after its 30 s queue lifetime.
    let (dir, tag) = scratch("expiry");
    let tempfail = env("RCPT_REMOTE_TEMPFAIL");
    let down = env("RCPT_DOWN");
    send(&dir, &tag, &[tempfail.clone(), down.clone()], "SMTP_PORT");
    let folder = format!("{tag}-in");
    collect_dsns(&dir, &tag, 4, &folder, Duration::from_secs(120));
    write_config(&dir, &tag, &[("starttls", &folder, true)], "");
    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["messages"], 4, "{summary}");
    let f = facts(&dir);
    let verdicts: BTreeMap<(String, String), usize> =
        f.iter()
            .fold(BTreeMap::new(), |mut m, (email, key, _, verdict)| {
                assert_eq!(key, "verp", "{f:?}");
                *m.entry((email.clone(), verdict.clone())).or_default() += 1;
                m
            });
    assert_eq!(
        verdicts,
        BTreeMap::from([
            ((down.clone(), "delayed".to_string()), 1),
            ((down.clone(), "soft".to_string()), 1),
            ((tempfail.clone(), "delayed".to_string()), 1),
            ((tempfail.clone(), "soft".to_string()), 1),
        ]),
        "{f:?}"
    );
    // One soft bounce each: the default policy (3 in 7 days) suppresses nobody; a
    // policy of 1 would suppress both, and the preview says so without changing anything.
    assert!(suppressed(&dir).is_empty());
    std::fs::write(
        dir.join("strict.toml"),
        rebound::hygiene::DEFAULT_POLICY.replace("count = 3", "count = 1"),
    )
    .unwrap();
    let (code, out) = rebound(&["policy", "preview", "--policy", "strict.toml"], &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would add 2 address(es)"), "{out}");
    assert!(
        out.contains(&format!("+ {down}")) && out.contains(&format!("+ {tempfail}")),
        "{out}"
    );
    assert!(suppressed(&dir).is_empty());
}

/// SIGTERM (or SIGINT) stops a poll cleanly: no new batch, what was read is committed and
/// moved, exit 0; the next poll goes on from there and every message ends in exactly one
/// folder. A `--watch` poll waiting in IDLE stops at once too.
#[test]
fn sigterm_stops_after_committing_and_moving_what_was_read() {
    let (dir, tag) = scratch("term");
    let (messages, _) = corpus(&tag, 20);
    let n = messages.len();
    let folder = format!("{tag}-in");
    fill(&dir, &folder, &messages);
    write_config(&dir, &tag, &[("tls", &folder, true)], "move_every = 2");
    let stored = || -> i64 {
        Connection::open(dir.join("rebound.db"))
            .and_then(|c| c.query_row("SELECT count(*) FROM messages", [], |r| r.get(0)))
            .unwrap_or(0)
    };
    let child = Command::new(BIN)
        .args(["poll", "--batch", "1"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let start = Instant::now();
    while stored() < 5 {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "the poll stored nothing"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // SAFETY: kill(2) on our own child's pid.
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    let said =
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(said.contains("stopped by a signal"), "{said}");
    let done = stored() as usize;
    assert!(done < n, "it stopped before the end ({done} of {n})");
    let mut all = outcome_folders(&tag);
    all.push(folder.clone());
    let counted = counts(&dir, &all);
    assert_eq!(
        counted[&folder],
        n - done,
        "every stored message was moved, no other: {counted:?}"
    );
    // The next poll goes on from there.
    let summary = poll_json(&dir, &[]);
    assert_eq!(summary["errors"], 0, "{summary}");
    assert_eq!(stored() as usize, n);
    let counted = counts(&dir, &all);
    assert_eq!(counted[&folder], 0, "{counted:?}");
    assert_eq!(counted.values().sum::<usize>(), n, "{counted:?}");

    // --watch, waiting in IDLE.
    let child = Command::new(BIN)
        .args(["poll", "--watch"])
        .current_dir(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_millis(1500));
    let asked = Instant::now();
    unsafe { libc::kill(child.id() as i32, libc::SIGTERM) };
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "{:?}",
        asked.elapsed()
    );
}
