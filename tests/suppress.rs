//! `rebound suppress` and `rebound policy` on a store of their own (no mail stack).

use std::path::{Path, PathBuf};
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_rebound");

fn dir(name: &str) -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("suppress-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn run(d: &Path, args: &[&str]) -> (i32, String) {
    let out = Command::new(BIN)
        .args(args)
        .current_dir(d)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).to_string() + &String::from_utf8_lossy(&out.stderr),
    )
}

#[test]
fn add_check_remove_export_import() {
    let d = dir("cycle");
    let (code, out) = run(
        &d,
        &[
            "suppress",
            "add",
            "Ann@X.test",
            "bob@x.test",
            "--reason",
            "complaint",
            "--evidence",
            "ticket 7",
        ],
    );
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("added 2"), "{out}");
    let (code, out) = run(&d, &["suppress", "check", "ann@x.test"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("ann@x.test: suppressed (complaint, manual"),
        "{out}"
    );
    let (code, out) = run(&d, &["suppress", "check", "ann@x.test", "carl@x.test"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("carl@x.test: not suppressed"), "{out}");

    let (code, _) = run(
        &d,
        &["suppress", "export", "--format", "json", "-o", "list.json"],
    );
    assert_eq!(code, 0);
    let (code, _) = run(&d, &["suppress", "export", "-o", "list.csv"]);
    assert_eq!(code, 0);
    let csv = std::fs::read_to_string(d.join("list.csv")).unwrap();
    assert!(
        csv.starts_with(
            "email,reason,source,evidence,created_at\nann@x.test,complaint,manual,ticket 7,"
        ),
        "{csv}"
    );

    // Into a fresh store: JSON keeps reason, source, evidence and date.
    let (code, out) = run(&d, &["suppress", "--db", "other.db", "import", "list.json"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported 2 new of 2"), "{out}");
    let (_, other) = run(&d, &["suppress", "--db", "other.db", "list"]);
    assert_eq!(other, csv);
    // Importing again adds nothing; a CSV with only an email column works.
    std::fs::write(d.join("more.csv"), "email\nann@x.test\ndora@x.test\n").unwrap();
    let (_, out) = run(&d, &["suppress", "import", "more.csv"]);
    assert!(
        out.contains("imported 1 new of 2 (already listed: 1)"),
        "{out}"
    );
    std::fs::write(d.join("bad.csv"), "email\nnot-an-address\n").unwrap();
    let (code, out) = run(&d, &["suppress", "import", "bad.csv"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("bad.csv") && out.contains("not-an-address"),
        "{out}"
    );
    // A spreadsheet's semicolons and header name, and a plain one-per-line file; bad rows
    // are named by line and left out, --strict imports nothing.
    std::fs::write(
        d.join("excel.csv"),
        "Name;E-Mail\r\nEve;eve@x.test\r\nFay;fay@\r\n",
    )
    .unwrap();
    let (code, out) = run(&d, &["suppress", "import", "--strict", "excel.csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("line 3") && out.contains("nothing imported"),
        "{out}"
    );
    let (_, check) = run(&d, &["suppress", "check", "eve@x.test"]);
    assert!(check.contains("not suppressed"), "{check}");
    let (code, out) = run(&d, &["suppress", "import", "excel.csv"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("'excel.csv' line 3") && out.contains("imported 1 new of 1"),
        "{out}"
    );
    std::fs::write(d.join("plain.txt"), "Gil@X.test\n\nhal@x.test\n").unwrap();
    let (code, out) = run(&d, &["suppress", "import", "plain.txt"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("imported 2 new of 2"), "{out}");
    let (code, _) = run(&d, &["suppress", "check", "eve@x.test", "gil@x.test"]);
    assert_eq!(code, 0);

    let (code, out) = run(&d, &["suppress", "remove", "bob@x.test"]);
    assert_eq!(code, 0, "{out}");
    let (code, _) = run(&d, &["suppress", "check", "bob@x.test"]);
    assert_eq!(code, 1);
}

#[test]
fn policy_default_parses_back_and_preview_runs_on_an_empty_store() {
    let d = dir("policy");
    let (code, text) = run(&d, &["policy", "default"]);
    assert_eq!(code, 0);
    std::fs::write(d.join("p.toml"), &text).unwrap();
    // preview reads a store and never makes one: make an empty one first
    let (code, out) = run(&d, &["suppress", "add", "tmp@x.test"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&d, &["suppress", "remove", "tmp@x.test"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = run(&d, &["policy", "preview", "--policy", "p.toml"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("would add 0 address(es)"), "{out}");
    std::fs::write(d.join("bad.toml"), text.replace("count = 3", "count = 0")).unwrap();
    let (code, out) = run(&d, &["policy", "preview", "--policy", "bad.toml"]);
    assert_eq!(code, 1);
    assert!(out.contains("bad.toml") && out.contains("count"), "{out}");
}
