//! `rebound clean` on hostile lists: quoted commas, a byte-order mark, CRLF, a missing
//! email column, malformed rows, and two million generated rows.

mod common;

use common::*;
use std::io::Write;

fn store_with(dir: &std::path::Path, suppressed: &[&str]) -> std::path::PathBuf {
    let db = dir.join("rebound.db");
    let mut s = rebound::store::Store::open(&db).expect("store");
    for a in suppressed {
        s.suppress(a, "userunknown", "test", None)
            .expect("suppress");
    }
    db
}

#[test]
fn hostile_csv_is_cleaned_and_every_removal_explained() {
    let dir = workdir("clean-hostile");
    store_with(&dir, &["gone@example.org"]);
    let list = "\u{feff}\"Name, full\",Email,Note\r\n\"Doe, Ann\",ann@example.org,\"said \"\"hi\"\"\"\r\nGone,GONE@example.org,x\r\nBroken,\"not an address\",y\r\nShort,x@example.org\r\nAnn twice,Ann@Example.org,z\r\n";
    std::fs::write(dir.join("list.csv"), list).expect("write");
    let out = rebound(
        &dir,
        &[
            "clean",
            "--in",
            "list.csv",
            "--out",
            "clean.csv",
            "--removed",
            "removed.csv",
            "--dedupe",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("5 rows: kept 1, removed 4 (suppressed 1, invalid 1, duplicate 1, malformed 1)"));
    let clean = std::fs::read_to_string(dir.join("clean.csv")).expect("read");
    assert_eq!(
        clean,
        "\u{feff}\"Name, full\",Email,Note\r\n\"Doe, Ann\",ann@example.org,\"said \"\"hi\"\"\"\r\n"
    );
    let removed = std::fs::read_to_string(dir.join("removed.csv")).expect("read");
    assert!(
        removed.starts_with("\"Name, full\",Email,Note,removed_reason\r\n"),
        "{removed}"
    );
    for want in [
        "suppressed: userunknown",
        "invalid address",
        "duplicate address",
        "2 fields, the header has 3",
    ] {
        assert!(removed.contains(want), "{want} in {removed}");
    }

    std::fs::write(dir.join("nomail.csv"), "name,phone\nA,1\n").expect("write");
    let out = rebound(&dir, &["clean", "--in", "nomail.csv", "--out", "c2.csv"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("no email column"),
        "{}",
        text(&out)
    );
    assert!(!dir.join("c2.csv").exists(), "no partial output on error");

    let out = rebound(&dir, &["clean", "--in", "list.csv", "--out", "list.csv"]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn two_million_rows_are_cleaned_in_one_pass() {
    let dir = workdir("clean-big");
    let suppressed: Vec<String> = (0..2_000_000)
        .step_by(1000)
        .map(|i| format!("user{i}@example.org"))
        .collect();
    let refs: Vec<&str> = suppressed.iter().map(String::as_str).collect();
    store_with(&dir, &refs);
    {
        let f = std::fs::File::create(dir.join("big.csv")).expect("create");
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "email,first_name,city").expect("write");
        for i in 0..2_000_000u32 {
            writeln!(w, "user{i}@example.org,Name {i},\"City, {}\"", i % 13).expect("write");
        }
    }
    let out = rebound(
        &dir,
        &["clean", "--in", "big.csv", "--out", "clean.csv", "--dedupe"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(
        String::from_utf8_lossy(&out.stdout)
            .contains("2000000 rows: kept 1998000, removed 2000 (suppressed 2000"),
        "{}",
        text(&out)
    );
    let _ = std::fs::remove_dir_all(&dir);
}
