//! The `rebound` command as a user runs it: formats, inputs of every kind, errors that
//! name the input, and exit codes.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn rebound(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run rebound")
}

fn fixture(name: &str) -> String {
    format!("fixtures/handwritten/{name}")
}

fn temp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-cli-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

#[test]
fn parse_prints_jsonl_in_the_corpus_shape() {
    let out = rebound(&[
        "parse",
        "--format",
        "jsonl",
        &fixture("03-dsn-blocklist.eml"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let line: serde_json::Value = serde_json::from_slice(&out.stdout).expect("one JSON line");
    let b = &line["bounces"][0];
    assert_eq!(b["recipient"], "ana@mx.receiver.example");
    assert_eq!(b["reason"], "blocked");
    assert_eq!(b["hard"], false);
    assert_eq!(b["blocklist"]["list"], "zen.spamhaus.org");
    assert_eq!(b["blocklist"]["listed_ip"], "192.0.2.44");
    assert_eq!(b["keys"]["envelope_id"], "camp42-r17");
    assert_eq!(b["keys"]["verp"], "x9y8z7");
    assert_eq!(
        b["keys"]["original_message_id"],
        "campaign-42.ana@list.example"
    );
    assert!(b["keys"]["queue_ids"]
        .as_array()
        .is_some_and(|q| q.iter().any(|v| v == "B7C1D2E3")));
    assert_eq!(b["evidence"]["module"], "rfc3464");
}

#[test]
fn parse_reads_directories_mbox_and_stdin() {
    let dir = temp("inputs");
    let a = std::fs::read(fixture("04-qmail-two.eml")).expect("fixture");
    let b = std::fs::read(fixture("01-vacation.eml")).expect("fixture");
    let mut mbox = b"From MAILER-DAEMON Thu Nov  5 11:02:10 2026\n".to_vec();
    mbox.extend_from_slice(&a);
    mbox.extend_from_slice(b"\nFrom hana@garden.example Mon Nov  2 09:12:44 2026\n");
    mbox.extend_from_slice(&b);
    std::fs::write(dir.join("box.mbox"), &mbox).expect("write mbox");
    let out = rebound(&[
        "parse",
        "--format",
        "jsonl",
        dir.to_str().expect("utf-8 path"),
    ]);
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("box.mbox#1") && text.contains("box.mbox#2"));
    assert!(text.contains("\"vacation\""));

    let mut child = Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(["parse", "--format", "csv", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    use std::io::Write;
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(&a)
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    let csv = String::from_utf8_lossy(&out.stdout);
    assert!(csv.starts_with("file,recipient,action,status"), "{csv}");
    assert!(csv.contains("gone@remote.example") && csv.contains("stuffed@remote.example"));
}

#[test]
fn bad_inputs_are_named_and_the_rest_still_decode() {
    let dir = temp("bad");
    std::fs::write(dir.join("empty.eml"), b"").expect("write");
    std::fs::copy(fixture("03-dsn-blocklist.eml"), dir.join("good.eml")).expect("copy");
    let missing = dir.join("no-such-file.eml");
    let out = rebound(&[
        "parse",
        "--format",
        "jsonl",
        dir.to_str().expect("path"),
        missing.to_str().expect("path"),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("empty.eml"), "{err}");
    assert!(err.contains("no-such-file.eml"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("ana@mx.receiver.example"));
}

#[test]
fn eval_prints_figures_and_enforces_floors() {
    let out = rebound(&["eval", "fixtures/handwritten", "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["percent"]["full"], 100.0);
    assert_eq!(v["total"]["files"], 7);

    let dir = temp("floor");
    std::fs::copy(fixture("04-qmail-two.eml"), dir.join("a.eml")).expect("copy");
    std::fs::write(
        dir.join("expected.jsonl"),
        r#"{"file": "a.eml", "bounces": [{"recipient": "gone@remote.example", "status": "5.1.1", "replycode": "550", "reason": "mailboxfull", "hard": false}]}"#,
    )
    .expect("write");
    let out = rebound(&["eval", dir.to_str().expect("path"), "--min-full", "90"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below the floor"));
    assert!(Path::new(&dir).join("expected.jsonl").exists());
}

#[test]
fn eval_names_a_broken_expectations_line() {
    let dir = temp("broken-jsonl");
    std::fs::write(
        dir.join("expected.jsonl"),
        "{\"file\": \"x.eml\", \"bounces\": [}\n",
    )
    .expect("write");
    let out = rebound(&["eval", dir.to_str().expect("path")]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("expected.jsonl:1"), "{err}");
}
