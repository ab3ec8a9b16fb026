//! `rebound send` against fake SMTP servers (tests/common/fakesmtp.rs) that misbehave in
//! ways Postfix never does (issue 14): replies that are not UTF-8 or 10 MB long, silence
//! at the greeting, after DATA or after the content, a refusal then a hang-up, no
//! SMTPUTF8, AUTH LOGIN only.

mod common;

use common::fakesmtp::{inputs, send_fake as send, states, suppressed, FakeSmtp, Script};
use common::*;
use std::time::{Duration, Instant};

#[test]
fn a_latin1_refusal_is_recorded_and_suppresses() {
    // one command at a time, and with PIPELINING (MAIL, RCPT, DATA in one write)
    for (tag, extensions) in [("plain", vec![]), ("pipelined", vec!["PIPELINING"])] {
        let fake = FakeSmtp::start(Script {
            extensions,
            rcpt: vec![(
                "mueller@",
                b"550 5.1.1 Benutzer unbekannt: m\xfcller\r\n".to_vec(),
            )],
            ..Script::default()
        });
        let dir = workdir(&format!("latin1-{tag}"));
        inputs(&dir, &["mueller@de.test", "ok@de.test", "ok2@de.test"]);
        let out = send(&dir, "latin1", fake.port, &[]);
        assert!(out.status.success(), "{tag}: {}", text(&out));
        let s = states(&dir);
        assert_eq!(s[0].1, "rejected", "{tag}: {s:?}");
        assert_eq!(s[0].2, "550 5.1.1 Benutzer unbekannt: m\u{fc}ller");
        assert_eq!(
            (s[1].1.as_str(), s[2].1.as_str()),
            ("accepted", "accepted"),
            "{tag}"
        );
        assert_eq!(
            suppressed(&dir),
            vec!["mueller@de.test".to_string()],
            "{tag}"
        );
        assert_eq!(fake.messages().len(), 2, "{tag}");
    }
}

#[test]
fn a_ten_megabyte_refusal_is_cut_and_recorded() {
    let mut huge = b"550 5.1.1 no such user ".to_vec();
    huge.extend(std::iter::repeat_n(b'x', 10 << 20));
    huge.extend_from_slice(b"\r\n");
    let fake = FakeSmtp::start(Script {
        rcpt: vec![("big@", huge)],
        ..Script::default()
    });
    let dir = workdir("huge");
    inputs(&dir, &["big@de.test", "ok@de.test"]);
    let out = send(&dir, "huge", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let s = states(&dir);
    assert_eq!(s[0].1, "rejected", "{:?}", &s[1]);
    assert!(s[0].2.starts_with("550 5.1.1 no such user xxx"));
    assert!(s[0].2.len() < 4200, "{}", s[0].2.len());
    assert!(s[0].2.ends_with("bytes dropped]"), "{}", &s[0].2[4000..]);
    assert_eq!(s[1].1, "accepted");
    assert_eq!(suppressed(&dir), vec!["big@de.test".to_string()]);
}

#[test]
fn odd_bytes_or_a_long_line_after_queued_as_still_accept() {
    for (tag, tail) in [
        ("bytes", b"\xff\xfe\x80 fin".to_vec()),
        ("long", vec![b'y'; 200_000]),
    ] {
        let mut reply = b"250 2.0.0 Ok: queued as 7A1B2C ".to_vec();
        reply.extend(tail);
        reply.extend_from_slice(b"\r\n");
        let fake = FakeSmtp::start(Script {
            content: Some(reply),
            ..Script::default()
        });
        let dir = workdir(&format!("queued-{tag}"));
        inputs(&dir, &["a@de.test", "b@de.test"]);
        let out = send(&dir, tag, fake.port, &[]);
        assert!(out.status.success(), "{tag}: {}", text(&out));
        let rows = query(
            &dir.join("rebound.db"),
            "SELECT state, receipt_id FROM recipients",
        );
        for r in rows {
            assert_eq!(
                r,
                vec!["accepted".to_string(), "7A1B2C".to_string()],
                "{tag}"
            );
        }
        assert_eq!(fake.messages().len(), 2, "{tag}");
    }
}

#[test]
fn a_server_silent_after_data_is_named_and_costs_one_timeout() {
    for (tag, extensions) in [("plain", vec![]), ("pipelined", vec!["PIPELINING"])] {
        let fake = FakeSmtp::start(Script {
            extensions,
            data: None,
            ..Script::default()
        });
        let dir = workdir(&format!("silent-data-{tag}"));
        inputs(&dir, &["a@de.test", "b@de.test"]);
        let t = Instant::now();
        let out = send(
            &dir,
            "silent",
            fake.port,
            &["--timeout", "1", "--retries", "3"],
        );
        let took = t.elapsed();
        assert_eq!(out.status.code(), Some(1), "{tag}: {}", text(&out));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("no reply to DATA in 1 s"), "{tag}: {err}");
        assert!(!err.contains("os error 11"), "{err}");
        // one timeout, not one per retry (before: 4 x 60 s plus pauses = 260 s)
        assert!(took < Duration::from_secs(4), "{tag}: took {took:?}");
        assert_eq!(fake.connections(), 1, "{tag}");
        let s = states(&dir);
        assert!(s.iter().all(|s| s.1 == "pending"), "{tag}: {s:?}");
    }
}

#[test]
fn a_server_silent_after_the_content_leaves_the_recipient_uncertain() {
    let fake = FakeSmtp::start(Script {
        content: None,
        ..Script::default()
    });
    let dir = workdir("silent-content");
    inputs(&dir, &["a@de.test"]);
    let out = send(&dir, "silent2", fake.port, &["--timeout", "1"]);
    assert!(out.status.success(), "{}", text(&out));
    let s = states(&dir);
    assert_eq!(s[0].1, "uncertain");
    assert!(
        s[0].2
            .contains("no reply to the message content (after DATA) in 1 s"),
        "{s:?}"
    );
}

#[test]
fn a_utf8_address_without_smtputf8_is_deferred_not_suppressed() {
    let fake = FakeSmtp::start(Script::default());
    let dir = workdir("noutf8");
    inputs(&dir, &["m\u{fc}ller@de.test", "ok@de.test"]);
    let out = send(&dir, "noutf8", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let s = states(&dir);
    assert_eq!(s[0].1, "deferred", "{s:?}");
    assert!(s[0].2.contains("needs SMTPUTF8"), "{s:?}");
    assert_eq!(s[1].1, "accepted");
    assert!(suppressed(&dir).is_empty());
    let sent = fake.messages();
    assert_eq!(sent.len(), 1);
    assert!(sent[0].1.contains("ok@de.test"));

    // A server that offers it gets the parameter.
    let fake = FakeSmtp::start(Script {
        extensions: vec!["SMTPUTF8"],
        ..Script::default()
    });
    let dir = workdir("utf8");
    inputs(&dir, &["m\u{fc}ller@de.test"]);
    let out = send(&dir, "utf8", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let sent = fake.messages();
    assert_eq!(
        sent[0].0,
        format!("MAIL FROM:<{}> SMTPUTF8", mail_from(&sent[0].0))
    );
    assert_eq!(sent[0].1, "RCPT TO:<m\u{fc}ller@de.test>");
}

/// The address inside `MAIL FROM:<...>`.
fn mail_from(line: &str) -> String {
    line.split_once('<')
        .and_then(|(_, r)| r.split_once('>'))
        .map(|(a, _)| a.to_string())
        .unwrap_or_default()
}

#[test]
fn a_server_that_never_greets_costs_one_timeout() {
    // accepts connections and says nothing
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let accepted = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = accepted.clone();
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming().flatten() {
            count.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            held.push(s);
        }
    });
    let dir = workdir("no-greeting");
    inputs(&dir, &["a@de.test"]);
    let t = Instant::now();
    let out = send(&dir, "mute", port, &["--timeout", "1"]);
    let took = t.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no reply to the greeting in 1 s"), "{err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    assert_eq!(states(&dir)[0].1, "pending");

    // the same with TLS from the first byte: the handshake gets no answer
    let t = Instant::now();
    let out = send(&dir, "mute", port, &["--timeout", "1", "--tls", "tls"]);
    let took = t.elapsed();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no TLS handshake reply in 1 s"), "{err}");
    assert!(took < Duration::from_secs(4), "took {took:?}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 2);
}

#[test]
fn auth_login_is_used_when_plain_is_not_offered() {
    let fake = FakeSmtp::start(Script {
        extensions: vec!["AUTH LOGIN"],
        ..Script::default()
    });
    let dir = workdir("auth-login");
    inputs(&dir, &["a@de.test"]);
    std::fs::write(dir.join("pw"), "secret\n").expect("write");
    let out = send(
        &dir,
        "auth",
        fake.port,
        &["--user", "news", "--password-file", "pw"],
    );
    assert!(out.status.success(), "{}", text(&out));
    // base64 of "news" and "secret"
    assert_eq!(
        *fake.auth.lock().expect("lock"),
        vec!["AUTH LOGIN", "bmV3cw==", "c2VjcmV0"]
    );
    assert_eq!(states(&dir)[0].1, "accepted");
}

#[test]
fn a_refusal_followed_by_a_hang_up_is_still_recorded() {
    let fake = FakeSmtp::start(Script {
        extensions: vec!["PIPELINING"],
        rcpt: vec![(
            "gone@",
            b"550 5.1.1 <gone@de.test>: no such user\r\n".to_vec(),
        )],
        hang_up_after_rcpt: true,
        ..Script::default()
    });
    let dir = workdir("hang-up");
    inputs(&dir, &["gone@de.test", "ok@de.test"]);
    let out = send(&dir, "hangup", fake.port, &[]);
    assert!(out.status.success(), "{}", text(&out));
    let s = states(&dir);
    assert_eq!(s[0].1, "rejected", "{s:?}");
    assert_eq!(s[0].2, "550 5.1.1 <gone@de.test>: no such user");
    assert_eq!(s[1].1, "accepted", "{s:?}");
    assert_eq!(fake.connections(), 2);
}
