//! `rebound clean` on hostile lists: quoted commas, a byte-order mark, CRLF, a missing
//! email column, malformed rows, stray quotes, two million generated rows; and its output
//! files: modes kept, symlinks and FIFOs written through, no temp file left by SIGTERM.

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
    // the malformed row is removed, explained, and makes the exit code 1
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(String::from_utf8_lossy(&out.stdout)
        .contains("5 rows: kept 1, removed 4 (suppressed 1, invalid 1, duplicate 1, malformed 1)"));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 row(s) of 'list.csv' could not be read"),
        "{}",
        text(&out)
    );
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
        "line 5: 2 fields, the header has 3",
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

/// Issue 11: one stray quote used to swallow the rest of the file into one field and
/// report "1 rows: kept 1" with exit 0. Now the run stops at the line, writes nothing
/// and leaves the old clean list as it was.
#[test]
fn a_stray_quote_stops_the_run_with_its_line() {
    let dir = workdir("clean-stray");
    store_with(&dir, &["gone@example.org"]);
    std::fs::write(
        dir.join("list.csv"),
        "email,name\nann@example.org,Ann\nbob@example.org,\"Bob\ngone@example.org,Gone\n",
    )
    .expect("write");
    std::fs::write(dir.join("clean.csv"), "old list\n").expect("write");
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
        ],
    );
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    assert!(
        text(&out).contains("line 3: a quoted field opens here and never closes"),
        "{}",
        text(&out)
    );
    assert_eq!(
        std::fs::read_to_string(dir.join("clean.csv")).expect("read"),
        "old list\n"
    );
    assert!(!dir.join("removed.csv").exists());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|n| !n.starts_with("rebound.db"))
        .collect();
    names.sort();
    assert_eq!(names, ["clean.csv", "list.csv"], "no temp files left");
}

/// An unterminated quote at the top of a big list costs the row limit (1 MiB) of reading,
/// not the file: 10 times the file, about the same time (it was quadratic: 100 MB, 27 s).
#[test]
fn an_unterminated_quote_costs_no_more_in_a_bigger_file() {
    let dir = workdir("clean-unterminated");
    store_with(&dir, &[]);
    let make = |name: &str, rows: usize| {
        let f = std::fs::File::create(dir.join(name)).expect("create");
        let mut w = std::io::BufWriter::new(f);
        writeln!(w, "email,name\nann@example.org,\"Ann").expect("write");
        for i in 0..rows {
            writeln!(w, "user{i}@example.org,Name {i}").expect("write");
        }
    };
    make("small.csv", 100_000);
    make("big.csv", 1_000_000);
    let time = |name: &str| {
        let start = std::time::Instant::now();
        let out = rebound(&dir, &["clean", "--in", name, "--out", "out.csv"]);
        let took = start.elapsed();
        assert_eq!(out.status.code(), Some(1), "{}", text(&out));
        assert!(
            text(&out).contains("line 2: a row longer than 1048576 bytes"),
            "{}",
            text(&out)
        );
        took
    };
    let (small, big) = (time("small.csv"), time("big.csv"));
    assert!(
        big < small * 3 + std::time::Duration::from_millis(300),
        "10x the file: {big:?} against {small:?}"
    );
    assert!(!dir.join("out.csv").exists());
}

fn mode(p: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

/// Issue 11: --out and --removed replaced a symlink with a file, a FIFO with a file, and a
/// 0600 file with a 0644 one. Now the link is written through, the FIFO written into and
/// the mode kept.
#[test]
fn outputs_keep_their_mode_and_write_through_links_and_fifos() {
    use std::os::unix::fs::FileTypeExt;
    let dir = workdir("clean-outputs");
    store_with(&dir, &["gone@example.org"]);
    std::fs::write(
        dir.join("list.csv"),
        "email\nann@example.org\ngone@example.org\n",
    )
    .expect("write");
    std::fs::create_dir_all(dir.join("lists")).expect("mkdir");
    std::fs::write(dir.join("lists/real.csv"), "old\n").expect("write");
    std::fs::set_permissions(
        dir.join("lists/real.csv"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .expect("chmod");
    std::os::unix::fs::symlink("lists/real.csv", dir.join("link.csv")).expect("symlink");
    let made = std::process::Command::new("mkfifo")
        .arg(dir.join("removed.pipe"))
        .status()
        .expect("mkfifo");
    assert!(made.success());
    let reader = {
        let p = dir.join("removed.pipe");
        std::thread::spawn(move || std::fs::read_to_string(p).expect("read fifo"))
    };
    let out = rebound(
        &dir,
        &[
            "clean",
            "--in",
            "list.csv",
            "--out",
            "link.csv",
            "--removed",
            "removed.pipe",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let removed = reader.join().expect("reader");
    assert_eq!(
        removed,
        "email,removed_reason\ngone@example.org,suppressed: userunknown\n"
    );
    assert!(std::fs::symlink_metadata(dir.join("link.csv"))
        .expect("stat")
        .file_type()
        .is_symlink());
    assert_eq!(
        std::fs::read_to_string(dir.join("lists/real.csv")).expect("read"),
        "email\nann@example.org\n"
    );
    assert_eq!(mode(&dir.join("lists/real.csv")), 0o600);
    assert!(std::fs::metadata(dir.join("removed.pipe"))
        .expect("stat")
        .file_type()
        .is_fifo());
    let mut names: Vec<String> = std::fs::read_dir(dir.join("lists"))
        .expect("ls")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, ["real.csv"]);
}

/// Issue 11: SIGTERM (or SIGINT) in the middle of a clean leaves no hidden temp file and
/// the old lists as they were. The input is a FIFO fed half a list, so the run is caught
/// while writing.
#[test]
fn sigterm_leaves_no_temp_files() {
    for signal in ["TERM", "INT"] {
        let dir = workdir(&format!("clean-sig{signal}"));
        store_with(&dir, &[]);
        std::fs::write(dir.join("clean.csv"), "old clean\n").expect("write");
        std::fs::write(dir.join("removed.csv"), "old removed\n").expect("write");
        let fifo = dir.join("in.pipe");
        let made = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .expect("mkfifo");
        assert!(made.success());
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_rebound"))
            .args([
                "clean",
                "--in",
                "in.pipe",
                "--out",
                "clean.csv",
                "--removed",
                "removed.csv",
            ])
            .current_dir(&dir)
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("spawn");
        let mut feed = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .expect("open fifo");
        writeln!(feed, "email,name").expect("write");
        for i in 0..200_000 {
            writeln!(feed, "user{i}@example.org,Name {i}").expect("write");
        }
        feed.flush().expect("flush");
        let temps = || -> Vec<String> {
            std::fs::read_dir(&dir)
                .expect("ls")
                .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
                .filter(|n| n.contains("rebound-tmp"))
                .collect()
        };
        let start = std::time::Instant::now();
        while temps().len() < 2 {
            assert!(start.elapsed().as_secs() < 30, "no temp files appeared");
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        let killed = std::process::Command::new("kill")
            .args([&format!("-{signal}"), &child.id().to_string()])
            .status()
            .expect("kill");
        assert!(killed.success());
        let status = child.wait().expect("wait");
        drop(feed);
        use std::os::unix::process::ExitStatusExt;
        assert!(
            status.signal().is_some(),
            "{signal}: ended by the signal: {status:?}"
        );
        assert_eq!(temps(), Vec::<String>::new(), "{signal}: temp files left");
        assert_eq!(
            std::fs::read_to_string(dir.join("clean.csv")).expect("read"),
            "old clean\n"
        );
        assert_eq!(
            std::fs::read_to_string(dir.join("removed.csv")).expect("read"),
            "old removed\n"
        );
    }
}
