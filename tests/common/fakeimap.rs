//! A small scripted IMAP server on loopback, for the misbehaviour Dovecot never shows:
//! UIDs left out of a FETCH or never asked for, lines dripped forever, huge literals,
//! refused STOREs, silence after LIST or LOGOUT, a greeting that is not IMAP, garbage in
//! the middle of a FETCH. It serves three small messages (UIDs 1, 2, 3) in INBOX.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server misbehaves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fault {
    None,
    /// FETCH leaves UID 2 out.
    MissingUid,
    /// FETCH adds a message with UID 4000000000, never asked for.
    UnaskedUid,
    /// FETCH sends a flags-only line every 300 ms, forever.
    Drip,
    /// FETCH announces a 530,000,000-byte literal, then waits.
    HugeLiteral,
    /// FETCH sends a line that is not IMAP after the first message.
    Garbage,
    /// LIST is never answered.
    SilentList,
    /// LOGOUT is never answered.
    SilentLogout,
    /// No MOVE; UID STORE is answered NO.
    StoreRefused,
    /// The greeting is an SSH banner.
    NotImap,
}

/// The text of the messages; `SECRET` must never show in logs.
pub const SECRET: &str = "SECRET-BODY-TEXT";

fn message(uid: u64) -> String {
    format!("From: a@example.org\r\nSubject: note {uid}\r\nMessage-ID: <fake{uid}@example.org>\r\n\r\nnot a bounce; {SECRET}\r\n")
}

/// A running server: its port, and every command it received.
pub struct FakeImap {
    pub port: u16,
    pub commands: Arc<Mutex<Vec<String>>>,
}

pub fn start(fault: Fault) -> FakeImap {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let commands = Arc::new(Mutex::new(Vec::new()));
    let log = commands.clone();
    std::thread::spawn(move || {
        for conn in listener.incoming().flatten() {
            let log = log.clone();
            std::thread::spawn(move || {
                let _ = serve(conn, fault, &log);
            });
        }
    });
    FakeImap { port, commands }
}

fn serve(conn: TcpStream, fault: Fault, log: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let mut out = conn.try_clone()?;
    let mut lines = BufReader::new(conn);
    if fault == Fault::NotImap {
        out.write_all(b"SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n")?;
        std::thread::sleep(Duration::from_secs(30));
        return Ok(());
    }
    out.write_all(b"* OK fake IMAP ready\r\n")?;
    let mut line = String::new();
    loop {
        line.clear();
        if lines.read_line(&mut line)? == 0 {
            return Ok(());
        }
        let text = line.trim_end().to_string();
        log.lock().unwrap().push(text.clone());
        let mut parts = text.splitn(3, ' ');
        let tag = parts.next().unwrap_or("*").to_string();
        let cmd = parts.next().unwrap_or("").to_ascii_uppercase();
        let rest = parts.next().unwrap_or("").to_string();
        let ok = |out: &mut TcpStream, what: &str| {
            out.write_all(format!("{tag} OK {what}\r\n").as_bytes())
        };
        match cmd.as_str() {
            "CAPABILITY" => {
                let moving = if fault == Fault::StoreRefused {
                    ""
                } else {
                    " MOVE"
                };
                out.write_all(
                    format!("* CAPABILITY IMAP4rev1 UIDPLUS IDLE{moving}\r\n").as_bytes(),
                )?;
                ok(&mut out, "done")?;
            }
            "LOGIN" | "NOOP" | "CREATE" => ok(&mut out, "done")?,
            "LIST" => {
                if fault == Fault::SilentList {
                    std::thread::sleep(Duration::from_secs(60));
                    return Ok(());
                }
                for f in [
                    "INBOX",
                    "Processed",
                    "Complaints",
                    "AutoReplies",
                    "Unmatched",
                    "NotBounces",
                ] {
                    out.write_all(format!("* LIST () \"/\" {f}\r\n").as_bytes())?;
                }
                ok(&mut out, "done")?;
            }
            "SELECT" | "EXAMINE" => {
                out.write_all(b"* 3 EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 4] ok\r\n")?;
                ok(&mut out, "[READ-WRITE] done")?;
            }
            "LOGOUT" => {
                if fault == Fault::SilentLogout {
                    std::thread::sleep(Duration::from_secs(60));
                    return Ok(());
                }
                out.write_all(b"* BYE bye\r\n")?;
                ok(&mut out, "done")?;
                return Ok(());
            }
            "UID" => uid_command(&mut out, &tag, &rest, fault)?,
            _ => out.write_all(format!("{tag} BAD unknown\r\n").as_bytes())?,
        }
    }
}

/// The UIDs of a set like `1:3`, `2:*` or `1,3` (of the three messages).
fn uids(set: &str) -> Vec<u64> {
    let mut v = Vec::new();
    for part in set.split(',') {
        let (a, b) = part.split_once(':').unwrap_or((part, part));
        let a: u64 = a.parse().unwrap_or(1);
        let b: u64 = if b == "*" { 3 } else { b.parse().unwrap_or(a) };
        v.extend((a.min(b)..=a.max(b)).filter(|u| (1..=3).contains(u)));
    }
    v
}

fn uid_command(out: &mut TcpStream, tag: &str, rest: &str, fault: Fault) -> std::io::Result<()> {
    let mut words = rest.splitn(3, ' ');
    let verb = words.next().unwrap_or("").to_ascii_uppercase();
    let arg = words.next().unwrap_or("");
    let tail = words.next().unwrap_or("");
    match verb.as_str() {
        "SEARCH" => {
            // `UID SEARCH UID n:*`
            let set = tail.trim();
            let found: Vec<String> = uids(set).iter().map(|u| u.to_string()).collect();
            out.write_all(format!("* SEARCH {}\r\n{tag} OK done\r\n", found.join(" ")).as_bytes())
        }
        "FETCH" => {
            for (i, uid) in uids(arg).into_iter().enumerate() {
                if fault == Fault::MissingUid && uid == 2 {
                    continue;
                }
                if fault == Fault::Drip {
                    loop {
                        out.write_all(b"* 1 FETCH (FLAGS (\\Seen))\r\n")?;
                        std::thread::sleep(Duration::from_millis(300));
                    }
                }
                if fault == Fault::HugeLiteral {
                    out.write_all(b"* 1 FETCH (UID 1 BODY[]<0> {530000000}\r\n")?;
                    std::thread::sleep(Duration::from_secs(30));
                    return Ok(());
                }
                let m = message(uid);
                out.write_all(
                    format!(
                        "* {uid} FETCH (UID {uid} BODY[]<0> {{{}}}\r\n{m})\r\n",
                        m.len()
                    )
                    .as_bytes(),
                )?;
                if fault == Fault::Garbage && i == 0 {
                    out.write_all(
                        format!(
                            "* {} garbage ((( {SECRET} {}\r\n",
                            "x".repeat(50),
                            "y".repeat(17000)
                        )
                        .as_bytes(),
                    )?;
                }
            }
            if fault == Fault::UnaskedUid {
                let m = message(4);
                out.write_all(
                    format!(
                        "* 4 FETCH (UID 4000000000 BODY[]<0> {{{}}}\r\n{m})\r\n",
                        m.len()
                    )
                    .as_bytes(),
                )?;
            }
            out.write_all(format!("{tag} OK done\r\n").as_bytes())
        }
        "MOVE" | "COPY" => out.write_all(format!("{tag} OK done\r\n").as_bytes()),
        "STORE" => {
            if fault == Fault::StoreRefused {
                return out.write_all(
                    format!("{tag} NO [CANNOT] flags are read-only here\r\n").as_bytes(),
                );
            }
            for u in uids(arg) {
                out.write_all(format!("* {u} FETCH (UID {u} FLAGS (\\Deleted))\r\n").as_bytes())?;
            }
            out.write_all(format!("{tag} OK done\r\n").as_bytes())
        }
        "EXPUNGE" => {
            for _ in uids(arg) {
                out.write_all(b"* 1 EXPUNGE\r\n")?;
            }
            out.write_all(format!("{tag} OK done\r\n").as_bytes())
        }
        _ => out.write_all(format!("{tag} BAD unknown\r\n").as_bytes()),
    }
}
