//! OAuth2 logins (XOAUTH2, OAUTHBEARER) against the real stack: Dovecot's oauth2 passdb
//! asks the stack's token introspection endpoint about each token, for IMAP directly and
//! for SMTP through Postfix's SASL. A valid token logs in, a wrong one is refused with a
//! message that names the mechanism and never the token.

mod common;

use common::*;
use std::collections::HashMap;
use std::path::Path;

/// A config with one account logging in by `auth`, its token from `source`.
fn oauth_config(env: &HashMap<String, String>, tag: &str, auth: &str, source: &str) -> String {
    format!(
        "[poll.folders]\nprocessed = \"{tag}-P\"\ncomplaints = \"{tag}-C\"\nauto_replies = \"{tag}-A\"\nunmatched = \"{tag}-U\"\nnot_bounces = \"{tag}-N\"\n\n[[poll.account]]\nname = \"oauth\"\nhost = \"127.0.0.1\"\nport = {}\ntls = \"tls\"\nuser = \"{}\"\nauth = \"{auth}\"\n{source}\nfolder = \"{tag}-in\"\nserver_name = \"{}\"\nca_file = \"{}\"\n",
        env["IMAPS_PORT"], env["IMAP_USER"], env["TLS_SERVER_NAME"], env["TLS_CA"]
    )
}

fn poll(dir: &Path, config: &str) -> std::process::Output {
    std::fs::write(dir.join("rebound.toml"), config).unwrap();
    rebound(dir, &["poll", "--db", "rebound.db"])
}

#[test]
fn imap_logs_in_with_xoauth2_and_oauthbearer_tokens() {
    let env = stack();
    let dir = workdir("oauth-imap");
    let tag = format!("oa{}", std::process::id());
    let token = &env["OAUTH2_TOKEN"];
    std::fs::write(dir.join("token"), format!("{token}\n")).unwrap();
    // One message waits, so a poll that logs in also reads and files it.
    save_message(
        &env,
        &format!("{tag}-in"),
        "Subject: hello\r\n\r\nnot a bounce\r\n",
    );

    let out = poll(
        &dir,
        &oauth_config(&env, &tag, "xoauth2", "token_command = \"cat token\""),
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("messages read: 1"), "{}", text(&out));
    let out = poll(
        &dir,
        &oauth_config(&env, &tag, "oauthbearer", "token_file = \"token\""),
    );
    assert!(out.status.success(), "{}", text(&out));

    // A revoked or wrong token: refused, named, and not echoed.
    std::fs::write(dir.join("wrong"), "tok-not-a-real-one\n").unwrap();
    let out = poll(
        &dir,
        &oauth_config(&env, &tag, "xoauth2", "token_file = \"wrong\""),
    );
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("XOAUTH2 as"), "{}", text(&out));
    assert!(!text(&out).contains("tok-not-a-real-one"), "{}", text(&out));
    // A token command that fails says why, before any connection.
    let out = poll(
        &dir,
        &oauth_config(
            &env,
            &tag,
            "xoauth2",
            "token_command = \"echo 'refresh token expired' >&2; exit 1\"",
        ),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("refresh token expired"),
        "{}",
        text(&out)
    );
    // A password beside a token is a contradiction, refused with the account's name.
    let out = poll(
        &dir,
        &oauth_config(
            &env,
            &tag,
            "xoauth2",
            "token_file = \"token\"\npassword_env = \"X\"",
        ),
    );
    assert!(!out.status.success());
    assert!(
        text(&out).contains("account 'oauth'") && text(&out).contains("drop password_env"),
        "{}",
        text(&out)
    );
}

#[test]
fn smtp_submits_with_an_xoauth2_token() {
    let env = stack();
    let dir = workdir("oauth-smtp");
    std::fs::write(dir.join("msg.eml"), MESSAGE).unwrap();
    std::fs::write(
        dir.join("list.csv"),
        format!("email,first_name\n{},A\n", env["RCPT_GOOD"]),
    )
    .unwrap();
    std::fs::write(dir.join("token"), &env["OAUTH2_TOKEN"]).unwrap();
    std::fs::write(dir.join("wrong"), "tok-not-a-real-one").unwrap();
    let submit = |campaign: &str, token_file: &str| {
        let mut a = send_argv(&env, campaign, "list.csv", &env["SUBMIT_PORT"]);
        let tls = a.iter().position(|x| x == "--tls").expect("--tls") + 1;
        a[tls] = "starttls".into();
        a.extend(
            [
                "--user",
                &env["IMAP_USER"],
                "--token-file",
                token_file,
                "--ca-file",
                &env["TLS_CA"],
                "--retries",
                "0",
            ]
            .map(String::from),
        );
        let a: Vec<&str> = a.iter().map(String::as_str).collect();
        rebound(&dir, &a)
    };
    let out = submit("oauth-ok", "token");
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("accepted 1"), "{}", text(&out));
    let out = submit("oauth-wrong", "wrong");
    assert!(!out.status.success(), "{}", text(&out));
    assert!(
        text(&out).contains("XOAUTH2 authentication"),
        "{}",
        text(&out)
    );
    assert!(!text(&out).contains("tok-not-a-real-one"), "{}", text(&out));
}
