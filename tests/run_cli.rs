//! `rebound run`: one scheduled cycle; the lock that keeps two cycles apart; the summary
//! line and exit codes a cron job or systemd timer reads.

mod common;

use common::*;
use std::fs::File;
use std::io::Write;

fn write_list(path: &std::path::Path, rows: usize) {
    write_list_at(path, rows, "example.org");
}

fn write_list_at(path: &std::path::Path, rows: usize, domain: &str) {
    let mut w = std::io::BufWriter::new(File::create(path).expect("create list"));
    writeln!(w, "email,name").expect("write");
    for i in 0..rows {
        writeln!(w, "u{i}@{domain},N{i}").expect("write");
    }
}

#[test]
fn a_cycle_polls_cleans_and_reports_in_one_line() {
    let env = stack();
    let dir = workdir("run-cycle");
    let local = &env["LOCAL_DOMAIN"];
    let mut store = rebound::store::Store::open(&dir.join("rebound.db")).expect("store");
    store
        .suppress(&format!("U3@{local}"), "userunknown", "test", None)
        .expect("suppress");
    drop(store);
    write_list_at(&dir.join("list.csv"), 10, local);
    // A campaign to one unknown user of the list: Postfix accepts it and bounces it.
    let campaign = format!("runcycle{}", std::process::id());
    std::fs::write(dir.join("msg.eml"), MESSAGE).unwrap();
    std::fs::write(
        dir.join("camp.csv"),
        format!("email,first_name\nU5@{local},Five\n"),
    )
    .unwrap();
    let out = send_list(&dir, &env, &campaign, "camp.csv", &env["SMTP_PORT"], &[]);
    assert!(out.status.success(), "{}", text(&out));
    std::fs::write(dir.join("imap-password"), &env["IMAP_PASSWORD"]).expect("password");
    let tag = format!("run{}", std::process::id());
    // its DSN, moved into the folder the cycle polls
    let folder = format!("{tag}-in");
    let moved = wait_for(30, || {
        (move_matching(&env, &folder, &campaign) > 0).then_some(())
    });
    assert!(moved.is_some(), "the DSN for U5@{local} arrived");
    let config = format!(
        "[run]\nreport = \"reports/week.html\"\nreport_days = 7\n[[run.clean]]\nin = \"list.csv\"\nout = \"clean.csv\"\nremoved = \"removed.csv\"\n\n[poll.folders]\nprocessed = \"{tag}-Processed\"\ncomplaints = \"{tag}-Complaints\"\nauto_replies = \"{tag}-AutoReplies\"\nunmatched = \"{tag}-Unmatched\"\nnot_bounces = \"{tag}-NotBounces\"\n\n[[poll.account]]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"starttls\"\nuser = \"{}\"\npassword_file = \"imap-password\"\nfolder = \"{tag}-in\"\nca_file = \"{}\"\nserver_name = \"{}\"\n",
        env["IMAP_PORT"], env["IMAP_USER"], env["TLS_CA"], env["TLS_SERVER_NAME"]
    );
    std::fs::write(dir.join("rebound.toml"), config).expect("config");
    let out = rebound(&dir, &["run"]);
    assert!(out.status.success(), "{}", text(&out));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(stdout.lines().count(), 1, "{stdout}");
    assert!(
        stdout.starts_with("rebound run: polled 1 messages"),
        "{stdout}"
    );
    // the address the poll step suppressed is gone from the list in the same cycle
    assert!(
        stdout.contains("cleaned list.csv: kept 8, removed 2"),
        "{stdout}"
    );
    let removed = std::fs::read_to_string(dir.join("removed.csv")).expect("removed");
    assert!(removed.contains(&format!("u3@{local}")), "{removed}");
    assert!(removed.contains(&format!("u5@{local}")), "{removed}");
    assert!(stdout.contains("report reports/week.html"), "{stdout}");
    assert!(std::fs::read_to_string(dir.join("reports/week.html"))
        .expect("report")
        .contains("<h1"));

    // A broken step makes the exit code 1 and says which.
    std::fs::remove_file(dir.join("list.csv")).expect("remove");
    let out = rebound(&dir, &["run", "--no-poll"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("clean FAILED: cannot read 'list.csv'"));
}

/// Cron must hear of a cycle that cannot do anything: no file, or nothing in it to do.
#[test]
fn a_cycle_with_nothing_configured_fails_and_says_why() {
    let dir = workdir("run-nothing");
    let out = rebound(&dir, &["run"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("no configuration at 'rebound.toml'"),
        "{}",
        text(&out)
    );
    let out = rebound(&dir, &["run", "--config", "missing.toml"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(text(&out).contains("'missing.toml'"), "{}", text(&out));
    std::fs::write(
        dir.join("only-poll.toml"),
        "[[poll.account]]\nhost = \"127.0.0.1\"\nuser = \"u\"\npassword_env = \"X\"\n",
    )
    .unwrap();
    let out = rebound(&dir, &["run", "--config", "only-poll.toml", "--no-poll"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("nothing to do") && text(&out).contains("--no-poll"),
        "{}",
        text(&out)
    );
    assert!(
        !dir.join("rebound.db").exists(),
        "a cycle with nothing to do creates no store"
    );
}

#[test]
fn a_second_run_exits_clearly_or_waits_while_one_holds_the_lock() {
    let dir = workdir("run-lock");
    rebound::store::Store::open(&dir.join("rebound.db")).expect("store");
    write_list(&dir.join("list.csv"), 5);
    std::fs::write(
        dir.join("rebound.toml"),
        "[[run.clean]]\nin = \"list.csv\"\nout = \"clean.csv\"\n",
    )
    .expect("config");
    // Another cycle holds the lock.
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("rebound.db.run-lock"))
        .expect("lock file");
    lock.lock().expect("take the lock");
    let out = rebound(&dir, &["run"]);
    assert_eq!(out.status.code(), Some(75), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("another run holds"));
    assert!(!dir.join("clean.csv").exists());
    let d2 = dir.clone();
    let handle = std::thread::spawn(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
            .args(["run", "--wait"])
            .current_dir(&d2)
            .output()
            .expect("run --wait")
    });
    std::thread::sleep(std::time::Duration::from_millis(800));
    assert!(
        !dir.join("clean.csv").exists(),
        "the waiting run must not start early"
    );
    drop(lock);
    let out = handle.join().expect("join");
    assert!(out.status.success(), "{}", text(&out));
    assert!(dir.join("clean.csv").exists());
}

#[test]
fn two_runs_started_at_once_keep_the_store_consistent() {
    let dir = workdir("run-race");
    let mut store = rebound::store::Store::open(&dir.join("rebound.db")).expect("store");
    for i in (0..300_000).step_by(100) {
        store
            .suppress(&format!("u{i}@example.org"), "userunknown", "test", None)
            .expect("suppress");
    }
    drop(store);
    write_list(&dir.join("list.csv"), 300_000);
    std::fs::write(dir.join("rebound.toml"), "[run]\nreport = \"r.html\"\n[[run.clean]]\nin = \"list.csv\"\nout = \"clean.csv\"\nremoved = \"removed.csv\"\ndedupe = true\n").expect("config");
    let spawn = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
            .arg("run")
            .current_dir(&dir)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("spawn run")
    };
    let (a, b) = (spawn(), spawn());
    let (a, b) = (
        a.wait_with_output().expect("a"),
        b.wait_with_output().expect("b"),
    );
    let mut codes = [a.status.code(), b.status.code()];
    codes.sort();
    assert_eq!(codes, [Some(0), Some(75)], "{}\n{}", text(&a), text(&b));
    let clean = std::fs::read_to_string(dir.join("clean.csv")).expect("clean");
    assert_eq!(clean.lines().count(), 1 + 300_000 - 3_000);
    let check = query(&dir.join("rebound.db"), "PRAGMA integrity_check");
    assert_eq!(check, vec![vec!["ok".to_string()]]);
}
