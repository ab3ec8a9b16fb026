//! `rebound blocklist check` against a real DNS server (issue 17): Unbound on a loopback
//! port (`scripts/dnsstack`, state in `$REBOUND_TEST_DNSSTACK_DIR`, else `$DNSSTACK_DIR`
//! or /tmp/rebound-dnsstack) serving zones named like the real lists. Every query goes
//! to that server: nothing is ever asked of a real blocklist.

mod common;

use common::*;
use serde_json::Value;
use std::path::Path;
use std::process::Command;

/// Starts the DNS server if needed (once per test binary); returns its `IP:PORT`.
fn dns() -> String {
    static ADDR: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ADDR.get_or_init(start_dns).clone()
}

fn start_dns() -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut cmd = Command::new(root.join("scripts/dnsstack"));
    // a test run's own server when asked for; else $DNSSTACK_DIR or the script's default,
    // the one scripts/test starts
    if let Ok(dir) = std::env::var("REBOUND_TEST_DNSSTACK_DIR") {
        cmd.env("DNSSTACK_DIR", dir);
    }
    let out = cmd
        .arg("start")
        .output()
        .expect("run scripts/dnsstack start");
    assert!(
        out.status.success(),
        "scripts/dnsstack start: {}",
        text(&out)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("DNS_RESOLVER="))
        .expect("DNS_RESOLVER in dnsstack's output")
        .to_string()
}

fn check(dir: &Path, args: &[&str]) -> (i32, Value) {
    let resolver = dns();
    let mut argv = vec![
        "blocklist",
        "check",
        "--resolver",
        &resolver,
        "--timeout",
        "1",
        "--format",
        "json",
    ];
    argv.extend_from_slice(args);
    let out = rebound(dir, &argv);
    let v: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}", text(&out)));
    (out.status.code().unwrap_or(-1), v)
}

/// The check of `target` on `list`.
fn find<'a>(v: &'a Value, target: &str, list: &str) -> &'a Value {
    v["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["target"] == target && c["list"] == list)
        .unwrap_or_else(|| panic!("no check of {target} on {list}: {v:#}"))
}

#[test]
fn each_kind_of_answer_is_told_apart() {
    let dir = workdir("blocklist-answers");
    let (code, v) = check(
        &dir,
        &[
            "192.0.2.2",
            "192.0.2.10",
            "192.0.2.254",
            "192.0.2.1",
            "2001:db8::2",
            "spam.example",
            "refused.example",
        ],
    );
    assert_eq!(code, 4, "something is listed: {v:#}");

    // listed, with every code decoded, the TXT reason and the removal page
    let zen = find(&v, "192.0.2.2", "zen");
    assert_eq!(zen["status"], "listed");
    assert_eq!(zen["query"], "2.2.0.192.zen.spamhaus.org");
    let codes: Vec<&str> = zen["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["127.0.0.2", "127.0.0.4"]);
    assert!(zen["codes"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("SBL"));
    assert!(zen["codes"][1]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("XBL"));
    let txt = zen["txt"].as_array().unwrap();
    assert_eq!(txt.len(), 2);
    assert!(txt
        .iter()
        .any(|t| t.as_str().unwrap().contains("SBL000001")));
    assert_eq!(zen["removal"], "https://check.spamhaus.org/");
    let pbl = find(&v, "192.0.2.10", "zen");
    assert_eq!(pbl["status"], "listed");
    assert!(pbl["codes"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("PBL"));
    let spamcop = find(&v, "192.0.2.2", "spamcop");
    assert_eq!(spamcop["status"], "listed");
    assert!(spamcop["txt"][0].as_str().unwrap().contains("spamcop"));
    let v6 = find(&v, "2001:db8::2", "zen");
    assert_eq!(v6["status"], "listed");
    assert!(v6["query"].as_str().unwrap().starts_with("2.0.0.0.0.0.0.0"));
    assert!(v6["codes"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("SBL CSS"));

    // the "public resolver" code is a refusal: never a listing, no removal page
    let refused = find(&v, "192.0.2.254", "zen");
    assert_eq!(refused["status"], "refused");
    assert!(refused["removal"].is_null());
    assert!(refused["detail"]
        .as_str()
        .unwrap()
        .contains("public or open resolver"));
    assert_eq!(find(&v, "refused.example", "dbl")["status"], "refused");
    assert_eq!(find(&v, "refused.example", "uribl")["status"], "refused");

    // NXDOMAIN: not listed
    assert_eq!(find(&v, "192.0.2.1", "zen")["status"], "not_listed");
    assert!(find(&v, "192.0.2.1", "zen")["codes"]
        .as_array()
        .unwrap()
        .is_empty());

    // a list that never answers, and one whose delegation fails
    let t = find(&v, "192.0.2.1", "barracuda");
    assert_eq!(t["status"], "timeout");
    assert!(t["detail"].as_str().unwrap().contains("1.0 s"));
    assert_eq!(find(&v, "192.0.2.1", "psbl")["status"], "servfail");

    // domain lists: DBL's code, SURBL's and URIBL's bits
    let dbl = find(&v, "spam.example", "dbl");
    assert_eq!(dbl["status"], "listed");
    assert_eq!(dbl["codes"][0]["code"], "127.0.1.2");
    let surbl = find(&v, "spam.example", "surbl");
    assert_eq!(
        surbl["codes"][0]["meaning"],
        "MW: malware sites + ABUSE: spam and abuse sites"
    );
    assert!(surbl["txt"][0].as_str().unwrap().contains("[mw][abuse]"));
    let uribl = find(&v, "spam.example", "uribl");
    assert!(uribl["codes"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("black"));

    // IPs only on IP lists, domains only on domain lists
    let n = v["checks"].as_array().unwrap().len();
    assert_eq!(n, 5 * 5 + 2 * 3);
}

#[test]
fn exit_codes_say_listed_clean_or_unsure() {
    let dir = workdir("blocklist-exit");
    let (code, v) = check(
        &dir,
        &[
            "--list",
            "zen",
            "--list",
            "dbl",
            "192.0.2.1",
            "good.example",
        ],
    );
    assert_eq!(code, 0, "{v:#}");
    assert_eq!(v["listed"], 0);
    let (code, v) = check(&dir, &["--list", "zen", "--list", "barracuda", "192.0.2.1"]);
    assert_eq!(code, 3, "nothing listed, one list silent: {v:#}");
    assert_eq!(v["unanswered"], 1);
    let (code, _) = check(&dir, &["--list", "zen", "192.0.2.254"]);
    assert_eq!(code, 3, "a refusal is not a listing");
    let (code, _) = check(&dir, &["--list", "spamcop", "192.0.2.2"]);
    assert_eq!(code, 4);
    // bad input is named
    let out = rebound(
        &dir,
        &["blocklist", "check", "--list", "nosuch", "192.0.2.1"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("unknown blocklist 'nosuch'"),
        "{}",
        text(&out)
    );
    let out = rebound(&dir, &["blocklist", "check", "not_an address!"]);
    assert!(text(&out).contains("'not_an address!'"), "{}", text(&out));
}

#[test]
fn targets_come_from_a_test_copy_or_the_configuration() {
    let dir = workdir("blocklist-targets");
    let copy = "Received: from relay.sender.test (relay.sender.test [192.0.2.2])\r\n\
        \tby mx.receiver.test (Postfix) with ESMTPS id 4F3A; Wed, 2 Dec 2026 06:00:00 +0000\r\n\
        Received: from app (app.internal [10.1.2.3])\r\n\
        \tby relay.sender.test with ESMTP; Wed, 2 Dec 2026 05:59:59 +0000\r\n\
        From: News <news@spam.example>\r\n\
        To: seed@receiver.test\r\n\
        Subject: test copy\r\n\
        Content-Type: text/html\r\n\r\n\
        <a href=\"https://phish.example/c/1\">read</a>\r\n";
    std::fs::write(dir.join("copy.eml"), copy).unwrap();
    let (code, v) = check(
        &dir,
        &[
            "--list",
            "zen",
            "--list",
            "dbl",
            "--from-message",
            "copy.eml",
        ],
    );
    assert_eq!(code, 4);
    assert_eq!(
        v["targets"],
        serde_json::json!(["192.0.2.2", "spam.example", "phish.example"])
    );
    assert_eq!(
        find(&v, "phish.example", "dbl")["codes"][0]["code"],
        "127.0.1.4"
    );

    // from rebound.toml: [blocklist] ips/domains, else [send] server and from
    let resolver = dns();
    std::fs::write(
        dir.join("rebound.toml"),
        format!(
            "[blocklist]\nresolver = \"{resolver}\"\ntimeout = 1.0\nlists = [\"zen\", \"dbl\"]\n\
             [send]\nserver = \"192.0.2.10\"\nfrom = \"news@spam.example\"\nport = 25\n"
        ),
    )
    .unwrap();
    let out = rebound(&dir, &["blocklist", "check", "--format", "json"]);
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(
        v["targets"],
        serde_json::json!(["192.0.2.10", "spam.example"])
    );
    assert_eq!(find(&v, "192.0.2.10", "zen")["status"], "listed");

    // the table for people
    let out = rebound(
        &dir,
        &["blocklist", "check", "--format", "table", "192.0.2.2"],
    );
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(
        t.contains("zen.spamhaus.org") && t.contains("listed"),
        "{t}"
    );
    assert!(t.contains("removal: https://check.spamhaus.org/"), "{t}");
    assert!(t.contains("TXT: Listed by SBL"), "{t}");

    // a Spamhaus DQS zone (its key in the zone name) answers for ZEN; the key is not shown
    std::fs::write(
        dir.join("rebound.toml"),
        format!(
            "[blocklist]\nresolver = \"{resolver}\"\nlists = [\"zen\"]\n\
             [blocklist.zones]\nzen = \"testkey.zen.dq.spamhaus.net\"\n"
        ),
    )
    .unwrap();
    let out = rebound(
        &dir,
        &["blocklist", "check", "--format", "json", "192.0.2.3"],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    let dqs = find(&v, "192.0.2.3", "zen");
    assert_eq!(dqs["status"], "listed");
    assert!(dqs["codes"][0]["meaning"]
        .as_str()
        .unwrap()
        .starts_with("XBL"));
    assert_eq!(dqs["query"], "3.2.0.192.[zones.zen]");
    assert!(!String::from_utf8_lossy(&out.stdout).contains("testkey"));
}

#[test]
fn recorded_checks_keep_changes_and_run_checks_each_cycle() {
    let dir = workdir("blocklist-record");
    let resolver = dns();
    std::fs::write(
        dir.join("rebound.toml"),
        format!(
            "[blocklist]\nresolver = \"{resolver}\"\ntimeout = 1.0\nlists = [\"zen\", \"barracuda\"]\n\
             ips = [\"192.0.2.2\", \"192.0.2.1\"]\n\
             [run]\nblocklist = true\nreport = \"report.html\"\n"
        ),
    )
    .unwrap();
    let out = rebound(&dir, &["run", "--no-poll"]);
    let t = text(&out);
    assert!(out.status.success(), "{t}");
    assert!(
        t.contains(
            "blocklists: 4 queries, 1 listed, 2 unanswered, 192.0.2.2 listed on zen.spamhaus.org"
        ),
        "{t}"
    );
    // the second cycle finds nothing new
    let out = rebound(&dir, &["run", "--no-poll"]);
    let t = text(&out);
    assert!(t.contains("1 listed, 2 unanswered;"), "{t}");
    let db = dir.join("rebound.db");
    let rows = query(&db, "SELECT target, list, change FROM blocklist_changes");
    assert_eq!(rows, [["192.0.2.2", "zen.spamhaus.org", "listed"]]);
    // a timeout is not an answer: barracuda has no state, 192.0.2.1 is known not listed
    let rows = query(
        &db,
        "SELECT target, list, listed FROM blocklist_status ORDER BY target",
    );
    assert_eq!(
        rows,
        [
            ["192.0.2.1", "zen.spamhaus.org", "0"],
            ["192.0.2.2", "zen.spamhaus.org", "1"]
        ]
    );
    // reports show the change
    let html = std::fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(html.contains("id=\"blocklist-changes\"") && html.contains("192.0.2.2"));
    let out = rebound(&dir, &["report", "--since", "1d", "--format", "table"]);
    let t = String::from_utf8_lossy(&out.stdout);
    assert!(t.contains("Blocklist changes"), "{t}");
    // check --record writes to the same history
    let out = rebound(
        &dir,
        &[
            "blocklist",
            "check",
            "--record",
            "--list",
            "zen",
            "--format",
            "json",
            "192.0.2.10",
        ],
    );
    let v: Value = serde_json::from_slice(&out.stdout).unwrap_or_else(|_| panic!("{}", text(&out)));
    assert_eq!(v["changes"][0]["target"], "192.0.2.10");
    assert_eq!(v["changes"][0]["change"], "listed");
}
