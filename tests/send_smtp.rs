//! `rebound send` against a real Postfix (scripts/mailstack): receipts, DSN parameters,
//! synchronous refusals, bad input, a dropped connection, and kill-and-resume.

mod common;

use common::*;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::time::Duration;

fn write_inputs(dir: &Path, rows: &[(&str, &str)]) {
    let mut csv = String::from("email,first_name\n");
    for (e, n) in rows {
        csv.push_str(&format!("{e},{n}\n"));
    }
    std::fs::write(dir.join("list.csv"), csv).expect("write list");
    std::fs::write(dir.join("msg.eml"), MESSAGE).expect("write message");
}

fn send_args<'a>(
    campaign: &'a str,
    env: &'a std::collections::HashMap<String, String>,
    port: &'a str,
) -> Vec<&'a str> {
    vec![
        "send",
        "--campaign",
        campaign,
        "--recipients",
        "list.csv",
        "--message",
        "msg.eml",
        "--from",
        &env["SENDER"],
        "--server",
        "127.0.0.1",
        "--port",
        port,
        "--db",
        "rebound.db",
    ]
}

#[test]
fn a_mixed_campaign_keeps_receipts_and_plants_dsn_parameters() {
    let env = stack();
    let dir = workdir("mixed");
    write_inputs(
        &dir,
        &[
            (&env["RCPT_GOOD"], "Alice"),
            (&env["RCPT_REMOTE_UNKNOWN"], "Unknown"),
            (&env["RCPT_REMOTE_BLOCKED"], "Blocked"),
            (&env["RCPT_REMOTE_FULL"], "Full"),
            (&env["RCPT_GOOD_REMOTE"], "Remote"),
            ("not-an-address", "Bad"),
        ],
    );
    let mut args = send_args("mixed", &env, &env["SMTP_PORT"]);
    args.extend(["--tls", "starttls", "--ca-file", &env["TLS_CA"]]);
    let out = rebound(&dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("line 7: 'not-an-address' is not a valid email address"),
        "{err}"
    );

    let db = dir.join("rebound.db");
    let rows = query(&db, "SELECT email, state, reply, receipt_id, envelope_id, message_id FROM recipients ORDER BY id");
    assert_eq!(rows.len(), 5, "{rows:?}");
    for r in &rows {
        assert_eq!(r[1], "accepted", "{r:?}");
        assert!(r[2].starts_with("250 2.0.0 Ok: queued as "), "{r:?}");
        assert!(r[2].ends_with(&r[3]) && r[3].len() >= 8, "receipt id {r:?}");
    }
    // The DSN Postfix makes for the unknown user carries our ENVID, the original
    // recipient, and the same queue ID as the receipt.
    let unknown = rows
        .iter()
        .find(|r| r[0] == env["RCPT_REMOTE_UNKNOWN"])
        .expect("row");
    let needle = format!("Original-Envelope-Id: {}", unknown[4]);
    let dsn = wait_for(30, || {
        maildir_find(&env["MAILDIR"], &needle).into_iter().next()
    })
    .expect("a DSN for the unknown recipient");
    let report = rebound::decode(&dsn);
    assert_eq!(report.bounces.len(), 1, "{report:?}");
    let b = &report.bounces[0];
    assert_eq!(
        b.recipient.as_deref(),
        Some(env["RCPT_REMOTE_UNKNOWN"].as_str())
    );
    assert_eq!(b.reason, rebound::Reason::UserUnknown);
    assert!(b.hard);
    assert_eq!(b.keys.envelope_id.as_deref(), Some(unknown[4].as_str()));
    assert_eq!(
        b.keys.original_recipient.as_deref(),
        Some(env["RCPT_REMOTE_UNKNOWN"].as_str())
    );
    assert!(
        b.keys.queue_ids.contains(&unknown[3]),
        "{:?} vs {}",
        b.keys.queue_ids,
        unknown[3]
    );
    assert_eq!(
        b.keys.original_message_id.as_deref(),
        Some(unknown[5].as_str())
    );
    let token = b.keys.verp.as_deref().expect("VERP token");
    let secret = rebound::store::Store::open(&db)
        .expect("store")
        .verp_secret()
        .expect("secret");
    let (_, rid) = rebound::verp::verify(&secret, token).expect("a valid signature");
    let id = query(
        &db,
        &format!("SELECT id FROM recipients WHERE email = '{}'", unknown[0]),
    );
    assert_eq!(rid.to_string(), id[0][0]);

    // Running the same command again sends nobody twice.
    let again = rebound(&dir, &args);
    assert!(again.status.success(), "{}", text(&again));
    assert!(String::from_utf8_lossy(&again.stdout).contains("this run: accepted 0, rejected 0"));
}

#[test]
fn refusals_at_rcpt_time_are_recorded_as_synchronous_bounces() {
    let env = stack();
    let dir = workdir("rcpt");
    write_inputs(
        &dir,
        &[
            (&env["RCPT_UNKNOWN_LOCAL"], "A"),
            (&env["RCPT_OUTSIDE"], "B"),
            (&env["RCPT_GOOD"], "C"),
        ],
    );
    let mut args = send_args("rcpt", &env, &env["SMTP_REJECT_PORT"]);
    args.extend(["--tls", "none"]);
    let out = rebound(&dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let rows = query(
        &dir.join("rebound.db"),
        "SELECT email, state, reply, reason, hard FROM recipients ORDER BY id",
    );
    assert_eq!(rows[0][1], "rejected");
    assert!(rows[0][2].starts_with("550 5.1.1"), "{rows:?}");
    assert_eq!(
        (rows[0][3].as_str(), rows[0][4].as_str()),
        ("userunknown", "1")
    );
    assert_eq!(rows[1][1], "rejected");
    assert_eq!(
        (rows[1][3].as_str(), rows[1][4].as_str()),
        ("norelaying", "0")
    );
    assert_eq!(rows[2][1], "accepted");
}

#[test]
fn suppressed_addresses_are_skipped() {
    let env = stack();
    let dir = workdir("suppressed");
    write_inputs(&dir, &[("sup1@remote.test", "A"), ("ok1@remote.test", "B")]);
    let mut store = rebound::store::Store::open(&dir.join("rebound.db")).expect("store");
    store
        .suppress("SUP1@remote.test", "userunknown", "test", None)
        .expect("suppress");
    drop(store);
    let mut args = send_args("sup", &env, &env["SMTP_PORT"]);
    args.extend(["--tls", "none"]);
    let out = rebound(&dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("skipped (suppressed) 1"));
    let rows = query(
        &dir.join("rebound.db"),
        "SELECT email, state FROM recipients ORDER BY id",
    );
    assert_eq!(
        rows,
        vec![
            vec!["sup1@remote.test".to_string(), "skipped".into()],
            vec!["ok1@remote.test".into(), "accepted".into()]
        ]
    );
}

#[test]
fn bad_inputs_give_clear_errors_and_send_nothing() {
    let env = stack();
    let dir = workdir("badinput");
    write_inputs(&dir, &[("x1@remote.test", "A")]);
    std::fs::write(dir.join("msg.eml"), "this is not a message\n").expect("write");
    let mut args = send_args("bad", &env, &env["SMTP_PORT"]);
    args.extend(["--tls", "none"]);
    let out = rebound(&dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("is not an RFC 5322 message"),
        "{}",
        text(&out)
    );

    std::fs::write(dir.join("msg.eml"), MESSAGE).expect("write");
    std::fs::write(dir.join("list.csv"), "name,phone\nx,1\n").expect("write");
    let out = rebound(&dir, &args);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no email column"),
        "{}",
        text(&out)
    );

    // A server that is not there: clear error, the recipients stay pending.
    write_inputs(&dir, &[("x2@remote.test", "A")]);
    let closed = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port().to_string();
    drop(closed);
    let mut args = send_args("down", &env, &port);
    args.extend(["--tls", "none", "--retries", "1", "--retry-delay", "0"]);
    let out = rebound(&dir, &args);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("still pending") && err.contains(&port),
        "{err}"
    );
    let rows = query(
        &dir.join("rebound.db"),
        "SELECT state FROM recipients JOIN campaigns c ON c.id = campaign_id WHERE c.name = 'down'",
    );
    assert_eq!(rows, vec![vec!["pending".to_string()]]);
}

/// Relays one connection to the real server and cuts it once the client has sent
/// `cut_after` bytes (a network failure in the middle of DATA).
fn cutting_proxy(target_port: u16, cut_after: usize) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for (n, conn) in listener.incoming().enumerate() {
            let Ok(client) = conn else { return };
            let Ok(server) = TcpStream::connect(("127.0.0.1", target_port)) else {
                return;
            };
            let limit = if n == 0 { cut_after } else { usize::MAX };
            let (mut c_read, mut s_write) = (
                client.try_clone().expect("clone"),
                server.try_clone().expect("clone"),
            );
            let (mut s_read, mut c_write) = (server, client);
            std::thread::spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = s_read.read(&mut buf) {
                    if n == 0 || c_write.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            });
            let mut sent = 0usize;
            let mut buf = [0u8; 4096];
            while let Ok(n) = c_read.read(&mut buf) {
                if n == 0 {
                    break;
                }
                let take = n.min(limit - sent.min(limit));
                if s_write.write_all(&buf[..take]).is_err() {
                    break;
                }
                sent += take;
                if sent >= limit {
                    let _ = s_write.shutdown(std::net::Shutdown::Both);
                    let _ = c_read.shutdown(std::net::Shutdown::Both);
                    break;
                }
            }
        }
    });
    port
}

#[test]
fn a_connection_dropped_during_data_leaves_the_recipient_uncertain() {
    let env = stack();
    let dir = workdir("drop");
    write_inputs(
        &dir,
        &[("drop1@remote.test", "A"), ("drop2@remote.test", "B")],
    );
    let smtp: u16 = env["SMTP_PORT"].parse().expect("port");
    // EHLO, EHLO again, MAIL, RCPT, DATA and part of the content: about 400 bytes.
    let port = cutting_proxy(smtp, 420).to_string();
    let mut args = send_args("drop", &env, &port);
    args.extend(["--tls", "none", "--concurrency", "1", "--retry-delay", "0"]);
    let out = rebound(&dir, &args);
    let rows = query(
        &dir.join("rebound.db"),
        "SELECT email, state, reply FROM recipients ORDER BY id",
    );
    assert!(out.status.success(), "{}\n{rows:?}", text(&out));
    assert_eq!(rows[0][1], "uncertain", "{rows:?}");
    assert!(rows[0][2].contains("connection lost"), "{rows:?}");
    assert_eq!(rows[1][1], "accepted", "{rows:?}");
    // Not sent again by a plain rerun; sent again when asked.
    let out = rebound(&dir, &args);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("this run: accepted 0"),
        "{}",
        text(&out)
    );
    args.push("--resend-uncertain");
    let out = rebound(&dir, &args);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("this run: accepted 1"),
        "{}",
        text(&out)
    );
}

/// Starts a campaign of `n` recipients at `domain`, SIGKILLs the sender once at least
/// `kill_at` are accepted, runs the same command again, and checks the store and
/// Postfix's log: every recipient ends accepted or uncertain, each Message-ID reached
/// Postfix at most once, and every accepted one exactly once.
fn kill_and_resume(tag: &str, n: usize, domain: &str, extra: &[&str], kill_at: usize) {
    let env = stack();
    let dir = workdir(tag);
    let rows: Vec<(String, String)> = (0..n)
        .map(|i| (format!("{tag}{i}@{domain}"), format!("N{i}")))
        .collect();
    let refs: Vec<(&str, &str)> = rows.iter().map(|(a, b)| (a.as_str(), b.as_str())).collect();
    write_inputs(&dir, &refs);
    let mut args = send_args(tag, &env, &env["SMTP_PORT"]);
    args.extend(["--tls", "none"]);
    args.extend(extra);
    let db = dir.join("rebound.db");
    let log_start = std::fs::metadata(&env["POSTFIX_LOG"]).map_or(0, |m| m.len() as usize);
    let accepted_now = || {
        try_query(
            &db,
            "SELECT count(*) FROM recipients WHERE state = 'accepted'",
        )
        .and_then(|r| r[0][0].parse::<usize>().ok())
        .unwrap_or(0)
    };
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(&args)
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn send");
    let end = std::time::Instant::now() + Duration::from_secs(60);
    while accepted_now() < kill_at && std::time::Instant::now() < end {
        std::thread::sleep(Duration::from_millis(20));
    }
    child.kill().expect("SIGKILL the sender");
    let _ = child.wait();
    let before = accepted_now();
    assert!(
        before >= kill_at,
        "the sender never got going ({before} accepted)"
    );
    assert!(before < n, "killed too late to test anything");

    let out = rebound(&dir, &args);
    assert!(out.status.success(), "{}", text(&out));
    let states = query(
        &db,
        "SELECT state, count(*) FROM recipients GROUP BY state ORDER BY state",
    );
    let count = |state: &str| -> usize {
        states
            .iter()
            .find(|r| r[0] == state)
            .map_or(0, |r| r[1].parse().unwrap_or(0))
    };
    assert_eq!(count("accepted") + count("uncertain"), n, "{states:?}");
    // Uncertain means caught between the "sending" mark and the reply: at most one
    // recipient per connection.
    let connections = extra
        .iter()
        .position(|a| *a == "--concurrency")
        .and_then(|i| extra.get(i + 1)?.parse::<usize>().ok())
        .unwrap_or(4);
    eprintln!("{tag}: {} uncertain after the kill", count("uncertain"));
    assert!(count("uncertain") <= connections, "{states:?}");

    // From Postfix's side: each of our Message-IDs was received at most once, and every
    // accepted recipient's exactly once.
    std::thread::sleep(Duration::from_millis(500));
    // Count submissions to the main smtpd only: the fake remote MX (another smtpd of the
    // same Postfix) logs each relayed copy's Message-ID again. Postfix reuses queue IDs,
    // so each ID is tied to the smtpd that last received it, and only this test's part
    // of the log is read.
    let log = std::fs::read(&env["POSTFIX_LOG"]).expect("postfix log");
    let log = String::from_utf8_lossy(&log[log_start.min(log.len())..]);
    let mut from_main: std::collections::HashMap<&str, bool> = Default::default();
    let mut received: std::collections::HashMap<&str, usize> = Default::default();
    for l in log.lines() {
        let Some(qid) = l.split(": ").nth(1) else {
            continue;
        };
        if l.contains(": client=") {
            from_main.insert(qid, l.contains(" postfix/smtpd["));
            continue;
        }
        let Some(id) = l
            .split("message-id=<")
            .nth(1)
            .and_then(|r| r.split('>').next())
        else {
            continue;
        };
        if from_main.get(qid) == Some(&true) {
            *received.entry(id).or_default() += 1;
        }
    }
    for r in &query(&db, "SELECT message_id, state FROM recipients") {
        let got = received.get(r[0].as_str()).copied().unwrap_or(0);
        if r[1] == "accepted" {
            assert_eq!(got, 1, "{} received {got} times", r[0]);
        } else {
            assert!(got <= 1, "{} received {got} times", r[0]);
        }
    }
}

#[test]
fn a_killed_campaign_resumes_and_sends_everyone_exactly_once() {
    let env = stack();
    kill_and_resume(
        "kill",
        30,
        &env["REMOTE_DOMAIN"],
        &["--concurrency", "2", "--rate", "25"],
        8,
    );
}

/// Unpaced, the kill lands while the store is behind the journal: the resumed run applies
/// what the killed one left before it lists who is still pending.
#[test]
fn a_campaign_killed_at_full_speed_resumes_and_sends_everyone_exactly_once() {
    let env = stack();
    kill_and_resume(
        "fastkill",
        1500,
        &env["DISCARD_DOMAIN"],
        &["--concurrency", "4"],
        100,
    );
}
