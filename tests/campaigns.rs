//! Campaign management against the real mail stack (`scripts/mailstack`): a first try
//! against a dead server locks nothing in, a re-run with another list needs
//! `--add-recipients`, `--retry-deferred`, and `campaign list | show | delete`.

mod common;

use common::*;
use std::path::Path;

/// The stdout of a successful run, or a panic with the whole output.
fn ok(o: std::process::Output) -> String {
    assert!(o.status.success(), "{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// The stderr of a failed run, or a panic with the whole output.
fn fails(o: std::process::Output) -> String {
    assert!(!o.status.success(), "expected a failure: {}", text(&o));
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn states(db: &Path, campaign: &str) -> Vec<(String, String, String)> {
    query(
        db,
        &format!(
            "SELECT r.email, r.state, r.attempts FROM recipients r JOIN campaigns c ON c.id = r.campaign_id
              WHERE c.name = '{campaign}' ORDER BY r.line, r.id"
        ),
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
    .collect()
}

#[test]
fn a_campaign_whose_first_try_failed_takes_a_fixed_message_and_list() {
    let env = stack();
    let dir = workdir("camp-dead");
    let db = dir.join("rebound.db");
    let good = env["RCPT_GOOD"].clone();
    write_recipients(&dir, "list.csv", &[&good, "typo@rebound.test"]);
    // the first try: nothing listens on port 1
    let err = fails(send_list(&dir, &env, "q", "list.csv", "1", &[]));
    assert!(err.contains("still pending"), "{err}");
    // the message and the list are fixed; the campaign takes both
    std::fs::write(
        dir.join("msg2.eml"),
        MESSAGE.replace("this is a test", "this is the fixed test"),
    )
    .unwrap();
    write_recipients(&dir, "list2.csv", &[&good]);
    let mut argv = send_argv(&env, "q", "list2.csv", &env["SMTP_PORT"]);
    argv[6] = "msg2.eml".into();
    let args: Vec<&str> = argv.iter().map(String::as_str).collect();
    let out = ok(rebound(&dir, &args));
    assert!(
        out.contains("replace the earlier run's (1 unsent recipients dropped)"),
        "{out}"
    );
    assert_eq!(
        states(&db, "q"),
        [(good.clone(), "accepted".into(), "1".into())]
    );
    let listed = query(&db, "SELECT message_path FROM campaigns WHERE name = 'q'");
    assert_eq!(listed[0][0], "msg2.eml");

    // after the first accepted send the message is fixed ...
    let mut back = args.clone();
    back[6] = "msg.eml";
    let err = fails(rebound(&dir, &back));
    assert!(
        err.contains("campaign 'q' has sent its message since")
            && err.contains("another message ('msg.eml') needs a new campaign name"),
        "{err}"
    );
    // ... and a list with a new address is refused unless --add-recipients
    write_recipients(&dir, "list3.csv", &[&good, "bob@rebound.test"]);
    std::fs::write(
        dir.join("msg.eml"),
        MESSAGE.replace("this is a test", "this is the fixed test"),
    )
    .unwrap(); // write_recipients wrote msg.eml again; the run uses msg2.eml
    let mut more = args.clone();
    more[4] = "list3.csv";
    let err = fails(rebound(&dir, &more));
    assert!(
        err.contains(
            "recipients file 'list3.csv' holds 1 address(es) campaign 'q' does not have (the first: bob@rebound.test); give --add-recipients"
        ),
        "{err}"
    );
    assert_eq!(states(&db, "q").len(), 1, "nothing was added");
    more.push("--add-recipients");
    ok(rebound(&dir, &more));
    assert_eq!(
        states(&db, "q"),
        [
            (good.clone(), "accepted".into(), "1".into()),
            ("bob@rebound.test".into(), "accepted".into(), "1".into())
        ]
    );
    // the same list again adds nothing and needs no flag
    ok(rebound(&dir, &args));
}

#[test]
fn retry_deferred_sends_the_deferred_again_and_never_an_accepted_one() {
    let env = stack();
    let dir = workdir("camp-retry");
    let db = dir.join("rebound.db");
    let (temp, good) = (&env["RCPT_REMOTE_TEMPFAIL"], &env["RCPT_GOOD_REMOTE"]);
    write_recipients(&dir, "list.csv", &[temp, good]);
    let quick = ["--retries", "0", "--retry-delay", "0"];
    ok(send_list(
        &dir,
        &env,
        "r",
        "list.csv",
        &env["REMOTE_MX_PORT"],
        &quick,
    ));
    let first = states(&db, "r");
    assert_eq!(first[0].1, "deferred", "{first:?}");
    assert_eq!(first[1].1, "accepted", "{first:?}");
    // a plain re-run leaves the deferred one alone
    let out = ok(send_list(
        &dir,
        &env,
        "r",
        "list.csv",
        &env["REMOTE_MX_PORT"],
        &quick,
    ));
    assert!(
        out.contains("this run: accepted 0, rejected 0, deferred 0"),
        "{out}"
    );
    let mut retry = quick.to_vec();
    retry.push("--retry-deferred");
    let out = ok(send_list(
        &dir,
        &env,
        "r",
        "list.csv",
        &env["REMOTE_MX_PORT"],
        &retry,
    ));
    assert!(
        out.contains("1 deferred recipients were sent again") && out.contains("deferred 1"),
        "{out}"
    );
    // refused again at RCPT (no content left: attempts count DATA transmissions); the
    // accepted one was not sent a second time
    assert_eq!(
        states(&db, "r"),
        [
            (temp.clone(), "deferred".into(), "0".into()),
            (good.clone(), "accepted".into(), "1".into())
        ]
    );
}

#[test]
fn campaigns_are_listed_shown_and_deleted_only_when_nothing_was_sent() {
    let env = stack();
    let dir = workdir("camp-admin");
    let db = dir.join("rebound.db");
    write_recipients(
        &dir,
        "list.csv",
        &[&env["RCPT_GOOD"], &env["RCPT_UNKNOWN_LOCAL"]],
    );
    ok(send_list(
        &dir,
        &env,
        "sent",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &[],
    ));
    fails(send_list(&dir, &env, "never", "list.csv", "1", &[]));

    let list = ok(rebound(&dir, &["campaign", "list"]));
    let line = |name: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{name}\t")))
            .unwrap_or_else(|| panic!("{name} in {list}"))
            .to_string()
    };
    let sent = line("sent");
    assert!(
        sent.contains("msg.eml (sha256 ")
            && sent.contains("2 recipients: accepted 1, rejected 1")
            && sent.contains("created 20")
            && sent.contains("last activity 20"),
        "{sent}"
    );
    assert!(
        line("never").contains("2 recipients: pending 1, skipped 1"),
        "{list}"
    );
    let json: serde_json::Value =
        serde_json::from_str(&ok(rebound(&dir, &["campaign", "list", "--json"]))).unwrap();
    assert_eq!(json.as_array().unwrap().len(), 2, "{json}");

    // show: the report's funnel, the same numbers as `report`
    let show = ok(rebound(&dir, &["campaign", "show", "sent", "--json"]));
    let show: serde_json::Value = serde_json::from_str(&show).unwrap();
    let report: serde_json::Value = serde_json::from_str(&ok(rebound(
        &dir,
        &["report", "--campaign", "sent", "--format", "json"],
    )))
    .unwrap();
    assert_eq!(show["funnel"], report["funnel"]);
    assert_eq!(show["funnel"]["rejected_at_smtp"], 1, "{show}");
    assert_eq!(show["campaign"]["message_path"], "msg.eml");
    let text_show = ok(rebound(&dir, &["campaign", "show", "sent"]));
    assert!(
        text_show.contains("recipients    accepted 1, rejected 1")
            && text_show.contains("rejected at SMTP time       1"),
        "{text_show}"
    );
    let err = fails(rebound(&dir, &["campaign", "show", "nope"]));
    assert!(err.contains("no campaign named 'nope'"), "{err}");

    // delete: refused once sent, unless --force, which keeps facts and suppressions
    let err = fails(rebound(&dir, &["campaign", "delete", "sent"]));
    assert!(
        err.contains("has sent messages (1 accepted, 1 refused, 0 uncertain); give --force"),
        "{err}"
    );
    let facts = || query(&db, "SELECT count(*) FROM facts")[0][0].clone();
    let suppressed = || query(&db, "SELECT email FROM suppressions");
    assert_eq!(facts(), "1");
    assert_eq!(suppressed().len(), 1);
    let out = ok(rebound(&dir, &["campaign", "delete", "never"]));
    assert!(
        out.contains("campaign 'never' deleted with its 2 recipients"),
        "{out}"
    );
    let ids = query(
        &db,
        &format!(
            "SELECT campaign_id, id FROM recipients WHERE email = '{}'",
            env["RCPT_GOOD"]
        ),
    );
    let (cid, rid): (i64, i64) = (ids[0][0].parse().unwrap(), ids[0][1].parse().unwrap());
    ok(rebound(&dir, &["campaign", "delete", "sent", "--force"]));
    assert_eq!(query(&db, "SELECT count(*) FROM campaigns")[0][0], "0");
    assert_eq!(query(&db, "SELECT count(*) FROM recipients")[0][0], "0");
    assert_eq!(facts(), "1", "the refusal fact stays");
    assert_eq!(
        suppressed(),
        [[rebound::address::key_of(&env["RCPT_UNKNOWN_LOCAL"])]]
    );
    let list = ok(rebound(&dir, &["campaign", "list"]));
    assert!(list.contains("no campaigns"), "{list}");
    // the copy that went out still unsubscribes its recipient
    let secret = rebound::store::Store::open(&db)
        .unwrap()
        .verp_secret()
        .unwrap();
    let token = rebound::verp::unsubscribe_token(&secret, cid, rid);
    let out = ok(rebound(&dir, &["suppress", "unsubscribe", &token]));
    assert!(
        out.contains(&format!(
            "{}: unsubscribed (campaign 'sent')",
            env["RCPT_GOOD"]
        )),
        "{out}"
    );
    // and a new campaign does not take the deleted one's id, which the token names
    ok(send_list(
        &dir,
        &env,
        "later",
        "list.csv",
        &env["SMTP_REJECT_PORT"],
        &[],
    ));
    let later: i64 = query(&db, "SELECT id FROM campaigns WHERE name = 'later'")[0][0]
        .parse()
        .unwrap();
    assert!(later > cid, "{later} {cid}");
}
