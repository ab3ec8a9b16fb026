//! `rebound send` commands that must open no connection or record nothing (issue 14): a
//! dry run, a test copy, a message refused by the checks, nothing left to send. A fake
//! SMTP server (tests/common/fakesmtp.rs) counts the connections.

mod common;

use common::fakesmtp::{inputs, send_fake as send, FakeSmtp, Script, FROM, MSG};
use common::*;
use std::time::{Duration, Instant};

#[test]
fn a_dry_run_opens_nothing_and_leaves_the_store_as_it_was() {
    let fake = FakeSmtp::start(Script::default());
    let dir = workdir("dry");
    inputs(&dir, &["a@de.test"]);
    let out = send(&dir, "dry", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let before = std::fs::read(dir.join("rebound.db")).expect("store");
    let connections = fake.connections();
    inputs(&dir, &["a@de.test", "b@de.test", "c@de.test"]);
    let out = send(&dir, "dry", fake.port, &["--dry-run", "--limit", "2"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("=== copy 1 of 2 (list line 2) ===\nMAIL FROM:<bounces+"));
    assert!(stdout.contains("RCPT TO:<b@de.test>"));
    assert!(!stdout.contains("c@de.test"));
    assert!(stdout.contains("Subject: Hello N1\r\n"));
    let out = send(
        &dir,
        "dry-new",
        fake.port,
        &["--dry-run", "--dry-run-dir", "out"],
    );
    assert!(out.status.success(), "{}", text(&out));
    let env = std::fs::read_to_string(dir.join("out/envelopes.txt")).expect("envelopes");
    assert_eq!(env.lines().count(), 3, "{env}");
    assert!(
        env.starts_with("0001.eml\tline 2\tMAIL FROM:<bounces+"),
        "{env}"
    );
    let copy = std::fs::read_to_string(dir.join("out/0003.eml")).expect("copy");
    assert!(copy.contains("To: c@de.test\r\n") && copy.contains("MIME-Version: 1.0\r\n"));
    // a From domain not aligned with --from is warned about, not refused
    std::fs::write(
        dir.join("msg.eml"),
        MSG.replace("news@list.test", "news@other.example"),
    )
    .expect("write");
    let out = send(&dir, "dry-new", fake.port, &["--dry-run", "--limit", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("warning: the message's From domain 'other.example' and the envelope domain 'list.test' (--from) are not aligned for DMARC"), "{err}");
    assert_eq!(fake.connections(), connections, "a dry run connected");
    assert_eq!(
        std::fs::read(dir.join("rebound.db")).expect("store"),
        before
    );
}

#[test]
fn a_test_copy_is_sent_and_recorded_nowhere() {
    let fake = FakeSmtp::start(Script::default());
    let dir = workdir("testto");
    inputs(&dir, &["a@de.test", "b@de.test"]);
    let out = send(&dir, "t", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let before = std::fs::read(dir.join("rebound.db")).expect("store");
    let out = send(
        &dir,
        "t",
        fake.port,
        &["--test-to", "me@qa.test", "--test-row", "2"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("queued as FAKE1"));
    let sent = fake.messages();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[2].0, format!("MAIL FROM:<{FROM}>"));
    assert_eq!(sent[2].1, "RCPT TO:<me@qa.test>");
    let body = String::from_utf8_lossy(&sent[2].2);
    assert!(
        body.contains("To: me@qa.test\r\n") && body.contains("Hi N1."),
        "{body}"
    );
    assert_eq!(
        std::fs::read(dir.join("rebound.db")).expect("store"),
        before
    );
}

#[test]
fn a_bad_message_is_refused_before_any_connection() {
    let fake = FakeSmtp::start(Script::default());
    let dir = workdir("refused");
    inputs(&dir, &["a@de.test"]);
    for (msg, why) in [
        ("Subject: no from\n\nbody\n", "no From header"),
        (
            "From: a@list.test\nSubject: one\nSubject: two\n\nb\n",
            "header Subject appears twice",
        ),
        (
            "From: a@list.test\nSubject: x\nBad Field: y\n\nb\n",
            "has no valid name",
        ),
        (
            "From: a@list.test\nSubject: x\nB\u{e4}d: y\n\nb\n",
            "not a valid header field name",
        ),
        (
            "From: Zo\u{eb} <z\u{eb}@list.test>\nSubject: x\n\nb\n",
            "RFC 2047 can encode only the display name",
        ),
    ] {
        std::fs::write(dir.join("msg.eml"), msg).expect("write");
        let out = send(&dir, "refused", fake.port, &[]);
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(why),
            "{}",
            text(&out)
        );
    }
    assert_eq!(fake.connections(), 0);
}

#[test]
fn nothing_left_to_send_is_said_at_once_without_connecting() {
    let fake = FakeSmtp::start(Script::default());
    let dir = workdir("nothing");
    inputs(&dir, &["a@de.test"]);
    let out = send(&dir, "n", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stderr)
        .contains(&format!("connecting to 127.0.0.1:{} ...", fake.port)));
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let t = Instant::now();
    let out = send(&dir, "n", port, &[]);
    assert!(
        t.elapsed() < Duration::from_millis(1500),
        "{:?}",
        t.elapsed()
    );
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("nothing left to send (no connection opened)"),
        "{stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("connecting"));
}
