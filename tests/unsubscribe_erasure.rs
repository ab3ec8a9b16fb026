//! Unsubscribe end to end, erasure and retention, against the real mail stack
//! (`scripts/mailstack`): the List-Unsubscribe header of a copy Postfix delivered, an
//! unsubscribe mail delivered to Dovecot and polled, a forged one that suppresses nobody;
//! `suppress forget` leaving no readable trace of the address; `prune`.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;

fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A name unique to this run, for campaigns and folders in the shared mailbox.
fn unique(name: &str) -> String {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis();
    format!("{name}{ms}x{}", std::process::id())
}

/// One header field of a message, unfolded.
fn header(msg: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(msg);
    let head = text
        .split("\r\n\r\n")
        .next()
        .unwrap_or("")
        .replace("\r\n", "\n");
    let head = head
        .split("\n\n")
        .next()
        .unwrap_or("")
        .replace("\n ", " ")
        .replace("\n\t", " ");
    head.lines().find_map(|l| {
        let (n, v) = l.split_once(':')?;
        n.eq_ignore_ascii_case(name).then(|| v.trim().to_string())
    })
}

/// Submits one message over plain SMTP, as a mail client following a mailto would.
fn submit(port: &str, from: &str, to: &str, message: &str) {
    let stream = TcpStream::connect(format!("127.0.0.1:{port}")).expect("connect");
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut w = stream;
    let mut reply = || {
        let mut all = String::new();
        loop {
            let mut line = String::new();
            reader.read_line(&mut line).expect("read reply");
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    };
    assert!(reply().starts_with("220"));
    let data = message.replace('\n', "\r\n");
    for (cmd, want) in [
        ("EHLO client.rebound.test\r\n".to_string(), "250"),
        (format!("MAIL FROM:<{from}>\r\n"), "250"),
        (format!("RCPT TO:<{to}>\r\n"), "250"),
        ("DATA\r\n".to_string(), "354"),
        (format!("{data}.\r\n"), "250"),
        ("QUIT\r\n".to_string(), "221"),
    ] {
        w.write_all(cmd.as_bytes()).unwrap();
        let r = reply();
        assert!(r.starts_with(want), "{cmd:?} -> {r}");
    }
}

fn folder_count(env: &std::collections::HashMap<String, String>, folder: &str) -> usize {
    let out = doveadm(env, &["search"], &["mailbox", folder, "ALL"], None);
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn a_signed_unsubscribe_mail_suppresses_its_recipient_and_a_forged_one_nobody() {
    let env = stack();
    let dir = workdir("unsub");
    let db = dir.join("rebound.db");
    let tag = unique("unsub");
    let alice = env["RCPT_GOOD"].clone();
    write_recipients(&dir, "list.csv", &[&alice]);
    let url = "https://list.example/unsubscribe/{token}";
    ok(send_list(
        &dir,
        &env,
        &tag,
        "list.csv",
        &env["SMTP_PORT"],
        &["--unsubscribe-url", url],
    ));

    // the copy as Postfix delivered it to alice's mailbox
    let inbox = format!("{}/mail/rebound.test/alice/Maildir", env["MAILSTACK_DIR"]);
    let copy = wait_for(30, || {
        maildir_find(&inbox, &format!("X-Rebound-Campaign: {tag}"))
            .into_iter()
            .next()
    })
    .expect("the copy in alice's mailbox");
    let list_unsubscribe = header(&copy, "List-Unsubscribe").expect("List-Unsubscribe");
    assert_eq!(
        header(&copy, "List-Unsubscribe-Post").as_deref(),
        Some("List-Unsubscribe=One-Click")
    );
    let mailto = list_unsubscribe
        .split("<mailto:")
        .nth(1)
        .and_then(|r| r.split('?').next())
        .expect("a mailto URI")
        .to_string();
    assert!(
        mailto.starts_with("bounces+unsub.") && mailto.ends_with("@rebound.test"),
        "{list_unsubscribe}"
    );
    let token = mailto
        .trim_start_matches("bounces+")
        .trim_end_matches("@rebound.test");
    assert!(
        list_unsubscribe.contains(&format!("<https://list.example/unsubscribe/{token}>")),
        "{list_unsubscribe}"
    );
    let secret = rebound::store::Store::open(&db)
        .unwrap()
        .verp_secret()
        .unwrap();
    let (campaign, recipient) =
        rebound::verp::verify_unsubscribe(&secret, token).expect("a valid signature");
    assert_eq!(
        query(
            &db,
            &format!("SELECT campaign_id, email FROM recipients WHERE id = {recipient}")
        ),
        [[campaign.to_string(), alice.clone()]]
    );
    // the signed token is no VERP token, and the copy's return path no unsubscribe one
    assert_eq!(rebound::verp::verify(&secret, token), None);

    // a forged request: the same ids, the MAC altered; through the URL's path first
    let mut forged = token.to_string();
    let last = forged.pop().unwrap();
    forged.push(if last == '0' { '1' } else { '0' });
    let refused = rebound(&dir, &["suppress", "unsubscribe", &forged]);
    assert_eq!(refused.status.code(), Some(1), "{}", text(&refused));
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("does not verify"),
        "{}",
        text(&refused)
    );
    assert_eq!(query(&db, "SELECT count(*) FROM suppressions")[0][0], "0");
    let folder = format!("{tag}-in");
    save_message(
        &env,
        &folder,
        &format!(
            "From: mallory@rebound.test\nTo: <bounces+{forged}@rebound.test>\nSubject: unsubscribe\nMessage-ID: <forged-{tag}@rebound.test>\n\nforged {tag}\n"
        ),
    );
    // the real one, sent to the signed mailto through Postfix as a mail client sends it
    submit(
        &env["SMTP_PORT"],
        &alice,
        &mailto,
        &format!(
            "From: {alice}\nTo: <{mailto}>\nSubject: unsubscribe\nMessage-ID: <real-{tag}@rebound.test>\n\nunsubscribe {tag}\n"
        ),
    );
    let needle = format!("unsubscribe {tag}");
    wait_for(30, || {
        (!maildir_find(&env["MAILDIR"], &needle).is_empty()).then_some(())
    })
    .expect("the unsubscribe mail in the bounce mailbox");
    assert_eq!(move_matching(&env, &folder, &needle), 2);

    let config = poll_config(&env, &dir, &tag, &folder, true).replace(
        &format!("not_bounces = \"{tag}-N\"\n"),
        &format!("not_bounces = \"{tag}-N\"\nunsubscribes = \"{tag}-S\"\n"),
    );
    std::fs::write(dir.join("rebound.toml"), config).unwrap();
    ok(rebound(&dir, &["poll", "--db", "rebound.db"]));
    assert_eq!(
        query(&db, "SELECT email, reason, source FROM suppressions"),
        [[
            rebound::address::key_of(&alice),
            "unsubscribed".to_string(),
            "unsubscribe".to_string()
        ]]
    );
    let outcomes = query(
        &db,
        "SELECT message_id, outcome, coalesce(error, '') FROM messages ORDER BY message_id",
    );
    assert_eq!(outcomes.len(), 2, "{outcomes:?}");
    assert_eq!(outcomes[0][0], format!("forged-{tag}@rebound.test"));
    assert_eq!(outcomes[0][1], "not_bounces");
    assert!(outcomes[0][2].contains("does not verify"), "{outcomes:?}");
    assert_eq!(
        outcomes[1][..2],
        [format!("real-{tag}@rebound.test"), "unsubscribes".into()]
    );
    assert_eq!(folder_count(&env, &format!("{tag}-S")), 1);
    assert_eq!(folder_count(&env, &format!("{tag}-N")), 1);
    assert_eq!(folder_count(&env, &folder), 0);

    // the URL's path with the real token: the same recipient, counted once
    let out = ok(rebound(&dir, &["suppress", "unsubscribe", token]));
    assert!(
        out.contains(&format!(
            "{alice}: unsubscribed (campaign '{tag}', was suppressed already)"
        )),
        "{out}"
    );
    // the reports count it
    let report: serde_json::Value = serde_json::from_str(&ok(rebound(
        &dir,
        &["report", "--campaign", &tag, "--format", "json"],
    )))
    .unwrap();
    assert_eq!(report["funnel"]["unsubscribed"], 1, "{}", report["funnel"]);
    let since: serde_json::Value = serde_json::from_str(&ok(rebound(
        &dir,
        &["report", "--since", "1d", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(since["funnel"]["unsubscribed"], 1);
    // and the next campaign skips the address
    let out = ok(send_list(
        &dir,
        &env,
        &format!("{tag}-next"),
        "list.csv",
        &env["SMTP_PORT"],
        &[],
    ));
    assert!(out.contains("skipped (suppressed) 1"), "{out}");
}

/// Whether any file of the store (database, WAL, shared memory, send journal) holds
/// `needle`, compared without regard to ASCII case.
fn store_holds(dir: &Path, needle: &str) -> Vec<String> {
    let needle = needle.to_ascii_lowercase();
    let mut found = Vec::new();
    let mut files: Vec<std::path::PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("rebound.db"))
        })
        .collect();
    if let Ok(journal) = std::fs::read_dir(dir.join("rebound.db-sendlog")) {
        files.extend(journal.flatten().map(|e| e.path()));
    }
    for f in files.iter().filter(|f| f.is_file()) {
        let bytes = std::fs::read(f).unwrap().to_ascii_lowercase();
        if bytes.windows(needle.len()).any(|w| w == needle.as_bytes()) {
            found.push(f.display().to_string());
        }
    }
    found
}

#[test]
fn a_forgotten_address_leaves_no_readable_trace_and_stays_suppressed() {
    let env = stack();
    let dir = workdir("forget");
    let written = "NoSuchUser@Local.TEST"; // refused at RCPT, the reply quoting it
    assert_eq!(env["RCPT_UNKNOWN_LOCAL"], "nosuchuser@local.test");
    write_recipients(&dir, "list.csv", &[written, &env["RCPT_GOOD"]]);
    ok(send_list(
        &dir,
        &env,
        "f",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &[],
    ));
    let db = dir.join("rebound.db");
    let diag = query(&db, "SELECT diagnostic FROM facts");
    assert!(
        diag[0][0]
            .to_ascii_lowercase()
            .contains("nosuchuser@local.test"),
        "{diag:?}"
    );
    // the search finds the address while it is there (in the file or its WAL)
    assert!(!store_holds(&dir, "nosuchuser").is_empty());

    let out = ok(rebound(
        &dir,
        &["suppress", "forget", "nosuchuser@LOCAL.test"],
    ));
    assert!(
        out.contains("forgot 1 address(es): 1 recipient rows, 1 facts"),
        "{out}"
    );
    // nothing readable of the address: neither its spelling nor its key, nor the local
    // part alone, in any file of the store
    for needle in ["nosuchuser", "local.test"] {
        assert_eq!(store_holds(&dir, needle), Vec::<String>::new(), "{needle}");
    }
    let entries = query(
        &db,
        "SELECT email, display, reason, evidence FROM suppressions",
    );
    assert_eq!(entries.len(), 1);
    assert!(entries[0][0].starts_with("forgotten:"), "{entries:?}");
    assert_eq!(entries[0][1..], ["(forgotten)", "userunknown", ""]);
    // the other recipient is untouched
    assert_eq!(
        query(
            &db,
            "SELECT count(*) FROM recipients WHERE email = 'alice@rebound.test'"
        )[0][0],
        "1"
    );

    // still suppressed, by every command that asks
    let check = rebound(&dir, &["suppress", "check", "NOSUCHUSER@local.test"]);
    assert!(check.status.success(), "{}", text(&check));
    assert!(
        String::from_utf8_lossy(&check.stdout).contains("suppressed (userunknown"),
        "{}",
        text(&check)
    );
    std::fs::write(
        dir.join("in.csv"),
        "email,name\nnosuchuser@local.test,X\nbob@rebound.test,Y\n",
    )
    .unwrap();
    let out = ok(rebound(
        &dir,
        &[
            "clean",
            "--in",
            "in.csv",
            "--out",
            "out.csv",
            "--removed",
            "removed.csv",
        ],
    ));
    assert!(out.contains("kept 1, removed 1 (suppressed 1"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("out.csv")).unwrap(),
        "email,name\nbob@rebound.test,Y\n"
    );
    // a new campaign with the address skips it (the list brings it back into the store:
    // it is the sender's own list)
    let out = ok(send_list(
        &dir,
        &env,
        "again",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &[],
    ));
    assert!(out.contains("skipped (suppressed) 1"), "{out}");
    // a policy write for the address adds no readable entry beside the hashed one
    ok(rebound(&dir, &["suppress", "add", "nosuchuser@local.test"]));
    assert_eq!(query(&db, "SELECT count(*) FROM suppressions")[0][0], "1");
    // the hashed entry survives an export and import, and `remove` finds it by address
    ok(rebound(&dir, &["suppress", "export", "-o", "export.csv"]));
    let exported = std::fs::read_to_string(dir.join("export.csv")).unwrap();
    assert!(
        exported.contains(&entries[0][0]) && !exported.contains("nosuchuser"),
        "{exported}"
    );
    let out = ok(rebound(
        &dir,
        &["suppress", "remove", "NoSuchUser@local.test"],
    ));
    assert!(out.contains("removed 1"), "{out}");
    assert_eq!(query(&db, "SELECT count(*) FROM suppressions")[0][0], "0");
    let out = ok(rebound(&dir, &["suppress", "import", "export.csv"]));
    assert!(out.contains("imported 1 new of 1"), "{out}");
    let check = rebound(&dir, &["suppress", "check", "nosuchuser@local.test"]);
    assert!(check.status.success(), "{}", text(&check));
}

#[test]
fn retention_prunes_old_facts_and_replies_and_keeps_suppressions() {
    let env = stack();
    let dir = workdir("prune");
    let (old, new) = (&env["RCPT_UNKNOWN_LOCAL"], &env["RCPT_UNKNOWN_VIRTUAL"]);
    write_recipients(&dir, "list.csv", &[old, new]);
    ok(send_list(
        &dir,
        &env,
        "p",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &[],
    ));
    let db = dir.join("rebound.db");
    assert_eq!(query(&db, "SELECT count(*) FROM facts")[0][0], "2");
    assert_eq!(query(&db, "SELECT count(*) FROM suppressions")[0][0], "2");
    // the first refusal happened 40 days ago
    let conn = rusqlite::Connection::open(&db).unwrap();
    conn.execute(
        "UPDATE facts SET created_at = '2020-01-01T00:00:00.000Z' WHERE email = ?1",
        [old],
    )
    .unwrap();
    conn.execute(
        "UPDATE recipients SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-40 days') WHERE email = ?1",
        [old],
    )
    .unwrap();
    drop(conn);

    let err = rebound(&dir, &["prune"]);
    assert!(!err.status.success());
    assert!(
        String::from_utf8_lossy(&err.stderr).contains("give --days N or set retention_days"),
        "{}",
        text(&err)
    );
    // rebound run prunes each cycle when [run] retention_days is set
    std::fs::write(dir.join("rebound.toml"), "[run]\nretention_days = 30\n").unwrap();
    let out = ok(rebound(&dir, &["run", "--no-poll"]));
    assert!(
        out.contains(
            "pruned what is older than 30 days: 1 facts, 1 replies, 0 unsubscribe requests"
        ),
        "{out}"
    );
    assert_eq!(
        query(&db, "SELECT email FROM facts"),
        [[new.to_string()]],
        "the recent fact stays"
    );
    assert_eq!(
        query(
            &db,
            "SELECT email, state, coalesce(reply, 'none') FROM recipients ORDER BY id"
        )
        .into_iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].starts_with("550")))
        .collect::<Vec<_>>(),
        [
            (old.to_string(), "rejected".to_string(), false),
            (new.to_string(), "rejected".to_string(), true)
        ]
    );
    assert_eq!(query(&db, "SELECT count(*) FROM suppressions")[0][0], "2");
    // the pruned diagnostic is gone from the file too
    let reply_text = "Recipient address rejected";
    let bytes = std::fs::read(&db).unwrap();
    let hits = bytes
        .windows(reply_text.len())
        .filter(|w| *w == reply_text.as_bytes())
        .count();
    assert!(
        hits <= 2,
        "the recent refusal's reply and fact, not the old one's: {hits}"
    );
    let out = ok(rebound(&dir, &["prune", "--days", "30"]));
    assert!(out.contains("0 facts, 0 replies"), "{out}");
}
