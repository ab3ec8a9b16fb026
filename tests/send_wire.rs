//! What `rebound send` puts on the wire, read back from the real Postfix
//! (scripts/mailstack): RFC 2047 headers, MIME headers, Date and Message-ID on every
//! copy; SMTPUTF8 with a server that offers it and a local refusal with one that does not
//! (`SMTP_NOUTF8_PORT`); a test copy delivered and recorded nowhere.

mod common;

use common::*;
use std::path::Path;

const ZOE: &str = "Zo\u{eb}";

fn template() -> String {
    format!("From: {ZOE} News <news@rebound.test>\nSubject: Hello {ZOE}, {{{{first_name}}}}\n\nDear {{{{first_name}}}},\ncaf\u{e9} at noon.\n")
}

/// alice@'s Maildir (beside the sender's).
fn alice_maildir(env: &std::collections::HashMap<String, String>) -> String {
    env["MAILDIR"].replace("/bounces/", "/alice/")
}

fn write(dir: &Path, emails: &[&str]) {
    let mut csv = String::from("email,first_name\n");
    for (i, e) in emails.iter().enumerate() {
        csv.push_str(&format!("{e},Ren\u{e9}e{i}\n"));
    }
    std::fs::write(dir.join("list.csv"), csv).expect("list");
    std::fs::write(dir.join("msg.eml"), template()).expect("message");
}

#[test]
fn postfix_receives_encoded_headers_mime_date_and_message_id() {
    let env = stack();
    let dir = workdir("wire-headers");
    write(&dir, &[&env["RCPT_GOOD"]]);
    let out = send_list(&dir, &env, "wire", "list.csv", &env["SMTP_PORT"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let id = query(
        &dir.join("rebound.db"),
        "SELECT message_id, state FROM recipients",
    );
    assert_eq!(id[0][1], "accepted", "{id:?}");
    let needle = format!("Message-ID: <{}>", id[0][0]);
    let raw = wait_for(20, || maildir_find(&alice_maildir(&env), &needle).pop())
        .expect("the copy in alice's Maildir");
    let head = String::from_utf8_lossy(&raw);
    let head = &head[..head
        .find("\r\n\r\n")
        .or(head.find("\n\n"))
        .expect("header end")];
    assert!(head.is_ascii(), "8-bit header on the wire:\n{head}");
    for want in [
        "Subject: =?UTF-8?Q?Hello_Zo=C3=AB",
        "From: =?UTF-8?Q?Zo=C3=AB_News?= <news@rebound.test>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
        "\nDate: ",
    ] {
        assert!(head.contains(want), "no {want:?} in\n{head}");
    }
    let m = mail_parser::MessageParser::default()
        .parse(&raw)
        .expect("parse");
    assert_eq!(
        m.subject(),
        Some(format!("Hello {ZOE}, Ren\u{e9}e0").as_str())
    );
    assert_eq!(
        m.from().and_then(|f| f.first()).and_then(|a| a.name()),
        Some("Zo\u{eb} News")
    );
    assert_eq!(
        m.body_text(0).as_deref().map(|b| b.replace("\r\n", "\n")),
        Some("Dear Ren\u{e9}e0,\ncaf\u{e9} at noon.\n".to_string())
    );
    assert!(m.date().is_some());

    // A test copy of the same campaign: delivered, and the store is byte-identical.
    let before = std::fs::read(dir.join("rebound.db")).expect("store");
    let out = send_list(
        &dir,
        &env,
        "wire",
        "list.csv",
        &env["SMTP_PORT"],
        &["--test-to", &env["RCPT_GOOD"]],
    );
    assert!(out.status.success(), "{}", text(&out));
    let said = String::from_utf8_lossy(&out.stdout);
    let queue = said.rsplit("queued as ").next().expect("receipt").trim();
    assert!(!queue.is_empty(), "{said}");
    assert_eq!(
        std::fs::read(dir.join("rebound.db")).expect("store"),
        before
    );
    let copies = wait_for(20, || {
        let found = maildir_find(&alice_maildir(&env), "Message-ID: <rebound.test.");
        (!found.is_empty()).then_some(found)
    });
    assert!(copies.is_some(), "the test copy did not arrive");
}

#[test]
fn utf8_addresses_go_with_smtputf8_or_are_refused_here() {
    let env = stack();
    let utf8 = "zo\u{eb}@remote.test";
    // Postfix offers SMTPUTF8: accepted and relayed (the exact MAIL line with the
    // parameter is checked against a fake server in tests/send_hostile.rs).
    let dir = workdir("wire-utf8-on");
    write(&dir, &[utf8, &env["RCPT_GOOD_REMOTE"]]);
    let out = send_list(&dir, &env, "u8", "list.csv", &env["SMTP_PORT"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let rows = query(
        &dir.join("rebound.db"),
        "SELECT email, state, reply FROM recipients ORDER BY id",
    );
    assert_eq!(rows[0][1], "accepted", "{rows:?}");
    assert!(rows[0][2].contains("queued as"), "{rows:?}");
    assert_eq!(rows[1][1], "accepted", "{rows:?}");

    // smtputf8_enable=no: refused here, kept deferred with the reason, not suppressed.
    let dir = workdir("wire-utf8-off");
    write(&dir, &[utf8, &env["RCPT_GOOD_REMOTE"]]);
    let out = send_list(&dir, &env, "u8", "list.csv", &env["SMTP_NOUTF8_PORT"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    let db = dir.join("rebound.db");
    let rows = query(
        &db,
        "SELECT email, state, reply FROM recipients ORDER BY id",
    );
    assert_eq!(rows[0][1], "deferred", "{rows:?}");
    assert!(rows[0][2].contains("needs SMTPUTF8 (RFC 6531)"), "{rows:?}");
    assert_eq!(rows[1][1], "accepted", "{rows:?}");
    assert!(query(&db, "SELECT email FROM suppressions").is_empty());
    assert!(query(&db, "SELECT id FROM facts").is_empty());
}
