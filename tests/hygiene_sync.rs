//! Refusals at submission are judged the moment they are recorded (issue 11): with no
//! bounce mailbox at all, `suppress check`, `clean`, the next campaign and both report
//! views agree right after `send`, whatever the case of the address as written.

mod common;

use common::*;
use std::path::Path;

fn send(dir: &Path, env: &std::collections::HashMap<String, String>, campaign: &str, file: &str) {
    let quick = ["--retries", "1", "--retry-delay", "0"];
    let out = send_list(dir, env, campaign, file, &env["SMTP_REJECT_PORT"], &quick);
    assert!(out.status.success(), "{}", text(&out));
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let out = rebound(dir, args);
    assert!(out.status.success(), "{}", text(&out));
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(&out)))
}

#[test]
fn a_mixed_case_refusal_is_suppressed_at_once_and_every_view_agrees() {
    let env = stack();
    let dir = workdir("sync-hygiene");
    let unknown = env["RCPT_UNKNOWN_LOCAL"].to_uppercase();
    write_recipients(
        &dir,
        "first.csv",
        &[
            &unknown,
            "Blocked@Remote.TEST",
            "TempFail@remote.test",
            &env["RCPT_GOOD"],
        ],
    );
    send(&dir, &env, "first", "first.csv");
    let db = dir.join("rebound.db");

    // the refusal is a fact with its status; the blocklist refusal names its list and IP
    let facts = query(
        &db,
        "SELECT email, reason, status, blocklist, listed_ip, verdict FROM facts WHERE matched_by = 'sync' ORDER BY id",
    );
    let lower = unknown.to_lowercase();
    let unknown_fact = facts
        .iter()
        .find(|f| f[0] == lower)
        .unwrap_or_else(|| panic!("{facts:?}"));
    assert_eq!(
        unknown_fact[1..].to_vec(),
        ["userunknown", "5.1.1", "", "", "suppress"],
        "{facts:?}"
    );
    let blocked = facts
        .iter()
        .find(|f| f[0] == "blocked@remote.test")
        .unwrap_or_else(|| panic!("{facts:?}"));
    assert_eq!(
        blocked[2..5].to_vec(),
        ["5.7.1", "zen.spamhaus.org", "127.0.0.1"]
    );
    assert_eq!(blocked[5], "reputation", "a blocklisting never suppresses");

    // suppressed at once, under any spelling; the blocked address is not
    let check = rebound(&dir, &["suppress", "check", &lower.replace('n', "N")]);
    assert!(check.status.success(), "{}", text(&check));
    let check = rebound(&dir, &["suppress", "check", "blocked@remote.test"]);
    assert_eq!(check.status.code(), Some(1), "{}", text(&check));

    // the deferred recipient shows what the server said
    let deferred = query(
        &db,
        "SELECT state, reply, verp_token FROM recipients WHERE email = 'TempFail@remote.test'",
    );
    assert_eq!(deferred[0][0], "deferred", "{deferred:?}");
    // --retries 1: Postfix refused the first try and one retry (its log names our VERP
    // sender, unique to this recipient), then the recipient was left deferred
    let log = std::fs::read_to_string(&env["POSTFIX_LOG"]).unwrap_or_default();
    let tries = log
        .lines()
        .filter(|l| l.contains(&deferred[0][2]) && l.contains("451 4.3.0"))
        .count();
    assert_eq!(tries, 2, "refusals logged for the deferred recipient");
    assert!(deferred[0][1].starts_with("451 4.3.0"), "{deferred:?}");
    let r = json(
        &dir,
        &[
            "report",
            "--campaign",
            "first",
            "--format",
            "json",
            "--recipients",
        ],
    );
    let line = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["email"] == "TempFail@remote.test")
        .expect("the deferred line");
    assert!(
        line["diagnostic"].as_str().unwrap().contains("4.3.0"),
        "{line}"
    );

    // one definition of the funnel in both views
    let f = &r["funnel"];
    let w = json(&dir, &["report", "--since", "7d", "--format", "json"]);
    for key in [
        "rejected_at_smtp",
        "bounced_hard",
        "blocked",
        "bounced_soft",
    ] {
        assert_eq!(
            f[key], w["funnel"][key],
            "{key}: campaign {f} vs window {}",
            w["funnel"]
        );
    }
    assert_eq!(f["rejected_at_smtp"], 2, "{f}");
    assert_eq!(f["bounced_hard"], 1, "{f}");
    assert_eq!(f["blocked"], 1, "{f}");
    assert_eq!(f["deferred"], 1, "{f}");
    assert_eq!(f["accepted"], 1, "{f}");
    // 1 hard of 3 answered (1 accepted + 2 refused)
    assert_eq!(r["rates"]["answered"], 3, "{}", r["rates"]);
    assert_eq!(r["rates"]["hard_rate"], 33.33, "{}", r["rates"]);
    assert_eq!(
        r["by_blocklist"][0]["list"], "zen.spamhaus.org",
        "{}",
        r["by_blocklist"]
    );

    // clean drops every spelling of it; the next campaign skips it
    std::fs::write(
        dir.join("again.csv"),
        format!("email\n{lower}\n{unknown}\nblocked@remote.test\n"),
    )
    .unwrap();
    let out = rebound(
        &dir,
        &[
            "clean",
            "--in",
            "again.csv",
            "--out",
            "clean.csv",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let kept = std::fs::read_to_string(dir.join("clean.csv")).unwrap();
    assert_eq!(kept.replace("\r\n", "\n"), "email\nblocked@remote.test\n");
    write_recipients(&dir, "second.csv", &[&lower, &env["RCPT_GOOD"]]);
    send(&dir, &env, "second", "second.csv");
    let second = query(
        &db,
        "SELECT r.state FROM recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = 'second' ORDER BY r.id",
    );
    assert_eq!(second, [["skipped"], ["accepted"]]);
}
