//! `rebound report` over a store filled by a real `send` and `poll` against the mail stack:
//! the JSON and CSV figures, and the HTML page checked in headless Chromium (titles,
//! counts equal to the JSON report, no script from a hostile diagnostic text).

mod common;

use common::*;
use std::time::{SystemTime, UNIX_EPOCH};

/// Moves the campaign's DSNs from INBOX into a per-test folder (by their ENVID), so this
/// test polls only its own messages. Returns how many the folder holds.
fn move_to_folder(
    env: &std::collections::HashMap<String, String>,
    folder: &str,
    envids: &[String],
) -> usize {
    for id in envids {
        let moved = doveadm(
            env,
            &["move"],
            &[folder, "mailbox", "INBOX", "body", id],
            None,
        );
        assert!(moved.status.success(), "{}", text(&moved));
    }
    let out = doveadm(env, &["search"], &["mailbox", folder, "ALL"], None);
    String::from_utf8_lossy(&out.stdout).lines().count()
}

#[test]
fn a_campaign_report_reconciles_send_and_poll_and_renders_safely() {
    let env = stack();
    let dir = workdir("report");
    let nonce = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    let tag = format!("rep{nonce}");
    let hostile = format!("host{}@remote.test", nonce % 1_000_000);
    let rows = [
        env["RCPT_GOOD_REMOTE"].clone(),
        env["RCPT_REMOTE_UNKNOWN"].clone(),
        env["RCPT_REMOTE_BLOCKED"].clone(),
        env["RCPT_OUTSIDE"].clone(),
        hostile.clone(),
    ];
    let mut csv = String::from("email,first_name\n");
    for r in &rows {
        csv.push_str(&format!("{r},X\n"));
    }
    std::fs::write(dir.join("list.csv"), csv).expect("list");
    std::fs::write(dir.join("msg.eml"), MESSAGE).expect("msg");
    let out = rebound(
        &dir,
        &[
            "send",
            "--campaign",
            &tag,
            "--recipients",
            "list.csv",
            "--message",
            "msg.eml",
            "--from",
            &env["SENDER"],
            "--server",
            "127.0.0.1",
            "--port",
            &env["SMTP_PORT"],
            "--tls",
            "none",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let db = dir.join("rebound.db");
    let envids = query(&db, "SELECT email, envelope_id FROM recipients ORDER BY id");
    let envid = |email: &str| {
        envids
            .iter()
            .find(|r| r[0] == email)
            .map(|r| r[1].clone())
            .expect("envelope id")
    };
    // Postfix's DSNs for the unknown and the blocked recipient.
    let ids = vec![
        envid(&env["RCPT_REMOTE_UNKNOWN"]),
        envid(&env["RCPT_REMOTE_BLOCKED"]),
    ];
    let folder = format!("{tag}-in");
    let created = doveadm(&env, &["mailbox", "create"], &[&folder], None);
    assert!(created.status.success(), "{}", text(&created));
    wait_for(40, || {
        (move_to_folder(&env, &folder, &ids) >= 2).then_some(())
    })
    .expect("two DSNs from Postfix");
    // A hostile DSN tied to the campaign by its ENVID.
    let evil = format!(
        "From: MAILER-DAEMON@evil.example\nTo: {sender}\nSubject: Undelivered Mail\nMessage-ID: <evil-{tag}@evil.example>\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n--b\nContent-Type: text/plain\n\nfailed\n\n--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; evil.example\nOriginal-Envelope-Id: {env}\n\nFinal-Recipient: rfc822; {hostile}\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: =HYPERLINK(\"http://evil.example/\",\"x\") 550 5.1.1 <img src=x onerror=alert(1)><script>document.title='owned'</script> user unknown\n\n--b--\n",
        sender = env["SENDER"],
        env = envid(&hostile),
    );
    let saved = doveadm(
        &env,
        &["save"],
        &["-m", &folder],
        Some(evil.replace('\n', "\r\n").as_bytes()),
    );
    assert!(saved.status.success(), "{}", text(&saved));

    let password = dir.join("imap-password");
    std::fs::write(&password, &env["IMAP_PASSWORD"]).expect("password");
    let config = format!(
        "[poll.folders]\nprocessed = \"{tag}-Processed\"\ncomplaints = \"{tag}-Complaints\"\nauto_replies = \"{tag}-AutoReplies\"\nunmatched = \"{tag}-Unmatched\"\nnot_bounces = \"{tag}-NotBounces\"\n\n[[poll.account]]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"tls\"\nuser = \"{user}\"\npassword_file = \"{pw}\"\nfolder = \"{folder}\"\nca_file = \"{ca}\"\nserver_name = \"{name}\"\n",
        port = env["IMAPS_PORT"],
        user = env["IMAP_USER"],
        pw = password.display(),
        ca = env["TLS_CA"],
        name = env["TLS_SERVER_NAME"],
    );
    std::fs::write(dir.join("rebound.toml"), config).expect("config");
    let out = rebound(&dir, &["poll", "--db", "rebound.db"]);
    assert!(out.status.success(), "{}", text(&out));

    // JSON: the funnel and breakdowns.
    let out = rebound(
        &dir,
        &[
            "report",
            "--campaign",
            &tag,
            "--format",
            "json",
            "--recipients",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let j: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let f = &j["funnel"];
    assert_eq!(f["recipients"], 5, "{j:#}");
    // this port accepts every recipient and bounces later: nothing is refused at RCPT
    assert_eq!(f["rejected_at_smtp"], 0);
    assert_eq!(f["accepted"], 5);
    assert_eq!(f["accepted_with_receipt"], 5);
    assert_eq!(f["bounced_hard"], 2);
    assert_eq!(f["blocked"], 1);
    assert_eq!(f["no_news"], 2);
    let reasons: Vec<(String, u64)> = j["by_reason"]
        .as_array()
        .expect("reasons")
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap_or("").to_string(),
                c["count"].as_u64().unwrap_or(0),
            )
        })
        .collect();
    assert_eq!(
        reasons,
        vec![("userunknown".into(), 2), ("blocked".into(), 1)]
    );
    assert_eq!(j["by_blocklist"][0]["list"], "zen.spamhaus.org");
    // Postfix names the fake remote MX by its address; the hostile DSN names none.
    assert_eq!(j["by_remote_mta"][0]["name"], "127.0.0.1", "{j:#}");
    assert_eq!(j["by_remote_mta"][0]["count"], 2);
    assert_eq!(j["by_blocklist"][0]["listed_ip"], "127.0.0.1");
    let lines = j["lines"].as_array().expect("lines");
    let line = |email: &str| {
        lines
            .iter()
            .find(|l| l["email"] == email)
            .expect("line")
            .clone()
    };
    assert_eq!(line(&env["RCPT_REMOTE_UNKNOWN"])["matched_by"], "verp");
    assert_eq!(line(&env["RCPT_OUTSIDE"])["outcome"], "no_news");
    assert_eq!(line(&hostile)["matched_by"], "envid");

    // CSV: the same lines, one per recipient.
    let out = rebound(
        &dir,
        &[
            "report",
            "--campaign",
            &tag,
            "--format",
            "csv",
            "--recipients",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let csv = String::from_utf8_lossy(&out.stdout);
    assert_eq!(csv.lines().count(), 6, "{csv}");
    // The hostile diagnostic is a formula: it reaches the spreadsheet as text.
    let mut rows = csv::Reader::from_reader(csv.as_bytes());
    let diag_col = rows
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "diagnostic")
        .expect("diagnostic column");
    let hostile_diag: Vec<String> = rows
        .records()
        .map(|r| r.expect("row"))
        .filter(|r| r[0] == *hostile)
        .map(|r| r[diag_col].to_string())
        .collect();
    assert_eq!(hostile_diag.len(), 1, "{csv}");
    assert!(
        hostile_diag[0].starts_with("'=HYPERLINK("),
        "{}",
        hostile_diag[0]
    );
    assert!(
        csv.lines().any(
            |l| l.starts_with(&format!("{},accepted,", env["RCPT_REMOTE_BLOCKED"]))
                && l.contains(",blocked,blocked,5.7.1,")
        ),
        "{csv}"
    );

    // HTML in headless Chromium (the format named by the file's extension alone).
    let html = dir.join("report.html");
    let out = rebound(
        &dir,
        &[
            "report",
            "--campaign",
            &tag,
            "--recipients",
            "-o",
            "report.html",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let profile = dir.join("chromium-profile");
    let chrome = |extra: &[&str]| {
        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            format!("--user-data-dir={}", profile.display()),
        ];
        args.extend(extra.iter().map(|s| s.to_string()));
        args.push(format!("file://{}", html.display()));
        std::process::Command::new("chromium")
            .args(&args)
            .output()
            .expect("run chromium (Debian package chromium)")
    };
    let dom = chrome(&["--dump-dom"]);
    assert!(dom.status.success(), "{}", text(&dom));
    let dom = String::from_utf8_lossy(&dom.stdout);
    assert!(
        dom.contains(&format!("<title>rebound report: campaign {tag}</title>")),
        "the page's title survived: {}",
        &dom[..dom.len().min(400)]
    );
    assert_eq!(dom.matches("<script").count(), 1, "only our own script");
    assert!(!dom.contains("<img"), "no element from the diagnostic");
    assert!(
        dom.contains("&lt;script&gt;document.title="),
        "the hostile text is shown as text"
    );
    for (id, key) in [
        ("hard", "bounced_hard"),
        ("blocked", "blocked"),
        ("recipients", "recipients"),
        ("rejected", "rejected_at_smtp"),
    ] {
        let want = format!("<div class=\"tile\" id=\"tile-{id}\"><b>{}</b>", f[key]);
        assert!(dom.contains(&want), "{want}");
    }
    let shot = dir.join("report.png");
    let out = chrome(&[
        "--window-size=1280,1600",
        &format!("--screenshot={}", shot.display()),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    let png = std::fs::read(&shot).expect("screenshot");
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "a real screenshot"
    );
}
