//! Issue 11, stores: read commands never create a store, a store from a newer rebound is
//! refused with both versions named, and a store in a read-only folder can still be read.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_rebound");

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-store-{name}-{}", std::process::id()));
    if d.exists() {
        let _ = Command::new("chmod").args(["-R", "u+w"]).arg(&d).status();
        let _ = std::fs::remove_dir_all(&d);
    }
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(d: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .current_dir(d)
        .output()
        .expect("run rebound")
}

fn all(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).to_string() + &String::from_utf8_lossy(&o.stderr)
}

/// Every command that only reads the store, with a --db that names nothing.
const READ_COMMANDS: &[&[&str]] = &[
    &["suppress", "--db", "typo.db", "list"],
    &["suppress", "--db", "typo.db", "check", "ann@x.test"],
    &["suppress", "--db", "typo.db", "export"],
    &["suppress", "--db", "typo.db", "remove", "ann@x.test"],
    &["report", "--db", "typo.db", "--since", "7d"],
    &["policy", "preview", "--db", "typo.db"],
    &[
        "clean", "--db", "typo.db", "--in", "list.csv", "--out", "out.csv",
    ],
];

#[test]
fn read_commands_do_not_create_a_store() {
    let d = dir("typo");
    std::fs::write(d.join("list.csv"), "email\nann@x.test\n").expect("list");
    for args in READ_COMMANDS {
        let out = run(&d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", all(&out));
        assert!(
            all(&out).contains("no store at 'typo.db'"),
            "{args:?}: {}",
            all(&out)
        );
        assert!(!d.join("typo.db").exists(), "{args:?} created the store");
        assert!(!d.join("out.csv").exists(), "{args:?} wrote a list");
    }
}

#[test]
fn a_store_from_a_newer_rebound_is_refused_for_reading_and_writing() {
    let d = dir("newer");
    let out = run(&d, &["suppress", "add", "ann@x.test"]);
    assert!(out.status.success(), "{}", all(&out));
    let db = d.join("rebound.db");
    let current: i64 = {
        let c = rusqlite::Connection::open(&db).expect("open");
        let v = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        c.pragma_update(None, "user_version", v + 7)
            .expect("set version");
        v
    };
    let newer = current + 7;
    for args in [
        &["suppress", "list"][..],
        &["suppress", "check", "ann@x.test"],
        &["suppress", "add", "bob@x.test"],
        &["report", "--since", "7d"],
    ] {
        let out = run(&d, args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", all(&out));
        let text = all(&out);
        assert!(
            text.contains(&format!(
                "database 'rebound.db' has schema version {newer}, newer than this rebound's {current}"
            )),
            "{args:?}: {text}"
        );
    }
    let c = rusqlite::Connection::open(&db).expect("open");
    let v: i64 = c
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("version");
    assert_eq!(v, newer, "the version was changed");
    let n: i64 = c
        .query_row("SELECT count(*) FROM suppressions", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n, 1, "bob was added to a store this build cannot read");
}

/// Runs rebound as a user who may not write `d` (root may write anything, so as root the
/// command runs as `nobody`).
fn run_unprivileged(d: &Path, args: &[&str]) -> Output {
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    let mut cmd = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups", BIN]);
        c
    } else {
        Command::new(BIN)
    };
    cmd.args(args).current_dir(d).output().expect("run rebound")
}

#[test]
fn a_store_in_a_read_only_folder_can_be_read() {
    let d = dir("readonly");
    for a in ["ann@x.test", "bob@x.test"] {
        let out = run(&d, &["suppress", "add", a, "--reason", "userunknown"]);
        assert!(out.status.success(), "{}", all(&out));
    }
    std::fs::write(d.join("list.csv"), "email\nann@x.test\ncarl@x.test\n").expect("list");
    let out_dir = dir("readonly-out");
    let chmod = |mode: &str, p: &Path| {
        let ok = Command::new("chmod")
            .arg(mode)
            .arg(p)
            .status()
            .expect("chmod");
        assert!(ok.success());
    };
    chmod("0555", &d);
    chmod("0444", &d.join("rebound.db"));
    chmod("0777", &out_dir);
    let before: Vec<_> = std::fs::read_dir(&d)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();

    let out = run_unprivileged(&d, &["suppress", "check", "ann@x.test"]);
    assert_eq!(out.status.code(), Some(0), "{}", all(&out));
    assert!(
        all(&out).contains("ann@x.test: suppressed"),
        "{}",
        all(&out)
    );
    let out = run_unprivileged(&d, &["suppress", "list"]);
    assert!(out.status.success(), "{}", all(&out));
    let list = String::from_utf8_lossy(&out.stdout);
    assert!(
        list.contains("ann@x.test") && list.contains("bob@x.test"),
        "{list}"
    );
    let out = run_unprivileged(&d, &["report", "--since", "7d", "--format", "json"]);
    assert!(out.status.success(), "{}", all(&out));
    let out = run_unprivileged(&d, &["policy", "preview"]);
    assert!(out.status.success(), "{}", all(&out));
    let clean_out = out_dir.join("clean.csv");
    let out = run_unprivileged(
        &d,
        &[
            "clean",
            "--in",
            "list.csv",
            "--out",
            clean_out.to_str().expect("path"),
        ],
    );
    assert!(out.status.success(), "{}", all(&out));
    assert_eq!(
        std::fs::read_to_string(&clean_out).expect("clean list"),
        "email\ncarl@x.test\n"
    );
    let after: Vec<_> = std::fs::read_dir(&d)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(before, after, "files appeared in the read-only folder");
    chmod("0755", &d);
}
