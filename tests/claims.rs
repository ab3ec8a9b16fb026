//! Claims of the README that no other test checked (issue 11), each against the real
//! stack: TLS verification by default and `--insecure`, SMTP AUTH over STARTTLS with the
//! password from the environment or a file (the command line winning over rebound.toml),
//! `poll --account`, `report --since` and `--unmatched`, and no password in any log or
//! configuration error.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;
use std::process::{Command, Output};

fn rebound_env<S: AsRef<std::ffi::OsStr>>(dir: &Path, args: &[S], vars: &[(&str, &str)]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .envs(vars.iter().copied())
        .current_dir(dir)
        .output()
        .expect("run rebound")
}

/// `send` to the submission listener with STARTTLS and SMTP AUTH as the mailbox user.
fn submit_args(env: &HashMap<String, String>, campaign: &str) -> Vec<String> {
    let mut a = send_argv(env, campaign, "list.csv", &env["SUBMIT_PORT"]);
    let tls = a.iter().position(|x| x == "--tls").expect("--tls") + 1;
    a[tls] = "starttls".into();
    a.extend(["--user", &env["IMAP_USER"], "--retries", "0"].map(String::from));
    a
}

fn state(dir: &Path, campaign: &str) -> String {
    query(
        &dir.join("rebound.db"),
        &format!(
            "SELECT r.state FROM recipients r JOIN campaigns c ON c.id = r.campaign_id WHERE c.name = '{campaign}'"
        ),
    )
    .concat()
    .join(",")
}

#[test]
fn smtp_auth_over_starttls_verifies_the_certificate_and_takes_the_password_as_documented() {
    let env = stack();
    let dir = workdir("claims-auth");
    std::fs::write(dir.join("msg.eml"), MESSAGE).unwrap();
    std::fs::write(
        dir.join("list.csv"),
        format!("email,first_name\n{},A\n", env["RCPT_GOOD"]),
    )
    .unwrap();
    let pw = env["IMAP_PASSWORD"].as_str();
    let ca = env["TLS_CA"].as_str();

    // The stack's own certificate is not trusted by default: nothing is sent.
    let mut args = submit_args(&env, "untrusted");
    let out = rebound_env(&dir, &args, &[("REBOUND_SMTP_PASSWORD", pw)]);
    assert!(!out.status.success(), "{}", text(&out));
    let err = String::from_utf8_lossy(&out.stderr).to_lowercase();
    assert!(err.contains("certificate"), "{}", text(&out));
    assert!(!text(&out).contains(pw), "no password in any output");
    assert_eq!(state(&dir, "untrusted"), "pending");
    // --insecure accepts it.
    args.push("--insecure".into());
    let out = rebound_env(&dir, &args, &[("REBOUND_SMTP_PASSWORD", pw)]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state(&dir, "untrusted"), "accepted");

    // The password from the default variable, with the CA given.
    let mut args = submit_args(&env, "env");
    args.extend(["--ca-file", ca].map(String::from));
    let out = rebound_env(&dir, &args, &[("REBOUND_SMTP_PASSWORD", pw)]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state(&dir, "env"), "accepted");

    // From a file.
    std::fs::write(dir.join("smtp-password"), format!("{pw}\n")).unwrap();
    let mut args = submit_args(&env, "file");
    args.extend(["--ca-file", ca, "--password-file", "smtp-password"].map(String::from));
    let out = rebound_env(&dir, &args, &[]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state(&dir, "file"), "accepted");

    // rebound.toml names a variable that is not set; --password-env wins over it.
    std::fs::write(
        dir.join("rebound.toml"),
        "[send]\npassword_env = \"NOT_SET_ANYWHERE\"\n",
    )
    .unwrap();
    let mut args = submit_args(&env, "cli-wins");
    args.extend(["--ca-file", ca, "--password-env", "MY_SMTP_PW"].map(String::from));
    let out = rebound_env(&dir, &args, &[("MY_SMTP_PW", pw)]);
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(state(&dir, "cli-wins"), "accepted");
    // Without the flag the file's variable is used: it is unset, and the error says so.
    let mut args = submit_args(&env, "file-var");
    args.extend(["--ca-file", ca].map(String::from));
    let out = rebound_env(&dir, &args, &[("MY_SMTP_PW", pw)]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("$NOT_SET_ANYWHERE"), "{}", text(&out));
    std::fs::remove_file(dir.join("rebound.toml")).unwrap();

    // A wrong password: refused, nothing sent, and the password is not printed.
    let mut args = submit_args(&env, "wrong");
    args.extend(["--ca-file", ca, "-vv"].map(String::from));
    let out = rebound_env(
        &dir,
        &args,
        &[("REBOUND_SMTP_PASSWORD", "wrong-secret-xyz")],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!text(&out).contains("wrong-secret-xyz"), "{}", text(&out));
    assert_eq!(state(&dir, "wrong"), "pending");
}

/// Two accounts, one per folder, named after them.
fn two_accounts(env: &HashMap<String, String>, dir: &Path, tag: &str, trust: bool) -> String {
    let one = format!("{tag}-one");
    let two = format!("{tag}-two");
    poll_config(env, dir, tag, &one, trust) + &poll_account(env, &two, trust)
}

#[test]
fn poll_verifies_certificates_picks_one_account_and_never_logs_the_password() {
    let env = stack();
    let dir = workdir("claims-poll");
    let tag = format!("claims{}", std::process::id());
    let dsn = |n: &str| {
        let rcpt = format!("nobody-{n}@elsewhere.example");
        dsn_message(
            &env["SENDER"],
            &format!("claims-{n}-{tag}"),
            None,
            &rcpt,
            "failed",
            "5.1.1",
        )
    };
    let (one, two) = (format!("{tag}-one"), format!("{tag}-two"));
    save_message(&env, &one, &dsn("one"));
    save_message(&env, &two, &dsn("two"));

    // No CA given: the stack's certificate is refused and nothing is stored.
    std::fs::write(
        dir.join("rebound.toml"),
        two_accounts(&env, &dir, &tag, false),
    )
    .unwrap();
    let out = rebound(&dir, &["poll", "--account", &one, "--db", "rebound.db"]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).to_lowercase().contains("certificate"),
        "{}",
        text(&out)
    );
    // --insecure accepts it; --account polls that account alone; -vv and JSON logs
    // never carry the password.
    let out = rebound(
        &dir,
        &[
            "poll",
            "--account",
            &one,
            "--insecure",
            "--json",
            "-vv",
            "--log-json",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains(&env["IMAP_PASSWORD"]),
        "{}",
        text(&out)
    );
    let facts = query(
        &dir.join("rebound.db"),
        "SELECT email, matched_by FROM facts ORDER BY id",
    );
    assert_eq!(facts, [["nobody-one@elsewhere.example", "unmatched"]]);

    // With the CA: the second account, at -vv in text.
    std::fs::write(
        dir.join("rebound.toml"),
        two_accounts(&env, &dir, &tag, true),
    )
    .unwrap();
    let out = rebound(
        &dir,
        &["poll", "--account", &two, "-vv", "--db", "rebound.db"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        !text(&out).contains(&env["IMAP_PASSWORD"]),
        "{}",
        text(&out)
    );
    let out = rebound(&dir, &["poll", "--account", "three", "--db", "rebound.db"]);
    assert!(
        !out.status.success(),
        "an unknown account is an error: {}",
        text(&out)
    );

    // report --unmatched lists both; --since counts them.
    let out = rebound(
        &dir,
        &[
            "report",
            "--unmatched",
            "--format",
            "json",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let emails: Vec<&str> = r["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["email"].as_str().unwrap())
        .collect();
    assert_eq!(
        emails,
        [
            "nobody-one@elsewhere.example",
            "nobody-two@elsewhere.example"
        ]
    );
    let out = rebound(
        &dir,
        &[
            "report",
            "--since",
            "1d",
            "--format",
            "json",
            "--db",
            "rebound.db",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["funnel"]["bounced_hard"], 2, "{}", r["funnel"]);
    assert_eq!(
        r["matched_by"][0]["name"], "unmatched",
        "{}",
        r["matched_by"]
    );

    // A misspelt password key: the error names the line, never the value.
    std::fs::write(
        dir.join("bad.toml"),
        "[[poll.account]]\nhost = \"127.0.0.1\"\nuser = \"u\"\npassword = \"hunter2-secret\"\n",
    )
    .unwrap();
    let out = rebound(
        &dir,
        &["poll", "--config", "bad.toml", "--db", "rebound.db"],
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("line 4"), "{}", text(&out));
    assert!(!text(&out).contains("hunter2"), "{}", text(&out));
}
