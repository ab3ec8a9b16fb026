//! `rebound doctor` against the real stack: a good configuration passes every check (the
//! probe through a plus-address included), and each misconfiguration it names fails with
//! its fix.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;

/// A configuration for the stack; `edit` changes its text before it is written.
fn config(env: &HashMap<String, String>, dir: &Path, edit: impl Fn(String) -> String) -> String {
    std::fs::write(dir.join("imap-password"), &env["IMAP_PASSWORD"]).unwrap();
    std::fs::write(dir.join("wrong-password"), "not-the-password").unwrap();
    let text = format!(
        "[send]\nfrom = \"{sender}\"\nserver = \"127.0.0.1\"\nport = {submit}\ntls = \"starttls\"\nuser = \"{user}\"\npassword_file = \"imap-password\"\nca_file = \"{ca}\"\n\n[poll]\n\n[[poll.account]]\nname = \"bounces\"\nhost = \"127.0.0.1\"\nport = {imaps}\ntls = \"tls\"\nuser = \"{user}\"\npassword_file = \"imap-password\"\nfolder = \"INBOX\"\nca_file = \"{ca}\"\nserver_name = \"{name}\"\n",
        sender = env["SENDER"],
        submit = env["SUBMIT_PORT"],
        user = env["IMAP_USER"],
        ca = env["TLS_CA"],
        imaps = env["IMAPS_PORT"],
        name = env["TLS_SERVER_NAME"],
    );
    edit(text)
}

fn doctor(dir: &Path, text: &str, extra: &[&str]) -> (i32, String) {
    std::fs::write(dir.join("rebound.toml"), text).unwrap();
    let mut args = vec!["doctor", "--probe-timeout", "30"];
    args.extend_from_slice(extra);
    let out = rebound(dir, &args);
    (out.status.code().unwrap_or(-1), text_of(&out))
}

fn text_of(o: &std::process::Output) -> String {
    text(o)
}

#[test]
fn a_good_configuration_passes_and_the_probe_arrives() {
    let env = stack();
    let dir = workdir("doctor-good");
    let (code, out) = doctor(&dir, &config(&env, &dir, |t| t), &["--probe"]);
    assert_eq!(code, 0, "{out}");
    for want in [
        "ok    configuration",
        "store 'rebound.db': none yet",
        "connected, STARTTLS with the certificate verified, AUTH accepted as",
        "DSN yes, PIPELINING yes, SMTPUTF8 yes, SIZE",
        "logged in as",
        "folder 'INBOX'",
        "MOVE yes, UIDPLUS yes, IDLE yes",
        "probe: arrived in 'INBOX'",
        "all checks passed",
    ] {
        assert!(out.contains(want), "missing {want:?} in:\n{out}");
    }
    assert!(
        !out.contains(&env["IMAP_PASSWORD"]),
        "no password in the output"
    );
    assert!(!dir.join("rebound.db").exists(), "doctor creates no store");
}

#[test]
fn each_misconfiguration_fails_with_its_fix() {
    let env = stack();
    let dir = workdir("doctor-bad");
    let submit = format!("port = {}", env["SUBMIT_PORT"]);
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "wrong IMAP password",
            config(&env, &dir, |t| {
                t.replacen(
                    "password_file = \"imap-password\"\nfolder",
                    "password_file = \"wrong-password\"\nfolder",
                    1,
                )
            }),
            "the server refused the login",
        ),
        (
            "nothing listens on the SMTP port",
            config(&env, &dir, |t| t.replace(&submit, "port = 1")),
            "nothing answers there",
        ),
        (
            "the stack's certificate without its CA",
            config(&env, &dir, |t| {
                t.replacen(&format!("ca_file = \"{}\"\n", env["TLS_CA"]), "", 1)
            }),
            "certificate is not trusted",
        ),
        (
            "a folder that does not exist",
            config(&env, &dir, |t| {
                t.replace("folder = \"INBOX\"", "folder = \"NoSuchFolder\"")
            }),
            "set folder =",
        ),
        (
            "a misspelt key",
            config(&env, &dir, |t| {
                t.replace("[poll]\n", "[poll]\nbatchsize = 3\n")
            }),
            "fix the line named above",
        ),
        (
            "no password where the account says",
            config(&env, &dir, |t| {
                t.replacen(
                    "password_file = \"imap-password\"\nfolder",
                    "password_env = \"REBOUND_DOCTOR_UNSET\"\nfolder",
                    1,
                )
            }),
            "put the password where the configuration says ($REBOUND_DOCTOR_UNSET)",
        ),
    ];
    for (what, text, fix) in cases {
        let (code, out) = doctor(&dir, &text, &[]);
        assert_eq!(code, 1, "{what}:\n{out}");
        assert!(
            out.contains("FAIL") && out.contains(fix),
            "{what}: want {fix:?} in:\n{out}"
        );
        assert!(
            !out.contains(&env["IMAP_PASSWORD"]),
            "{what}: no password in the output"
        );
    }
    // No configuration at all.
    std::fs::remove_file(dir.join("rebound.toml")).unwrap();
    let out = rebound(&dir, &["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("rebound init"), "{}", text(&out));
}
