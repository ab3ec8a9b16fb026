//! A scripted fake SMTP server on loopback for misbehaviour a real Postfix never shows:
//! replies that are not UTF-8 or are megabytes long, silence after DATA or after the
//! content. One thread per connection, no PIPELINING (one reply per command); it counts
//! connections and keeps every message it accepted.

use super::{query, rebound};
use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// How the server answers.
#[derive(Clone)]
pub struct Script {
    /// Extra EHLO keywords (e.g. `SMTPUTF8`, `DSN`).
    pub extensions: Vec<&'static str>,
    /// The reply to RCPT for a recipient containing the key, else `250 2.1.5 Ok`.
    pub rcpt: Vec<(&'static str, Vec<u8>)>,
    /// Close the connection right after a scripted RCPT reply (a server that refuses
    /// and hangs up without answering the pipelined DATA).
    pub hang_up_after_rcpt: bool,
    /// The reply to DATA; `None`: say nothing (and keep the connection open).
    pub data: Option<Vec<u8>>,
    /// The reply after the content's final dot; `None`: say nothing.
    pub content: Option<Vec<u8>>,
}

impl Default for Script {
    fn default() -> Script {
        Script {
            extensions: Vec::new(),
            rcpt: Vec::new(),
            hang_up_after_rcpt: false,
            data: Some(b"354 go ahead\r\n".to_vec()),
            content: Some(b"250 2.0.0 Ok: queued as FAKE1\r\n".to_vec()),
        }
    }
}

/// One accepted transaction: (MAIL line, RCPT line, content).
pub type Message = (String, String, Vec<u8>);

type Kept = Mutex<Vec<Message>>;

/// A running fake server.
pub struct FakeSmtp {
    pub port: u16,
    pub connections: Arc<AtomicUsize>,
    /// Each accepted transaction: (MAIL line, RCPT line, content).
    pub messages: Arc<Kept>,
    /// Every line the client sent during AUTH (the command and its responses).
    pub auth: Arc<Mutex<Vec<String>>>,
}

impl FakeSmtp {
    pub fn start(script: Script) -> FakeSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind fake SMTP");
        let port = listener.local_addr().expect("addr").port();
        let connections = Arc::new(AtomicUsize::new(0));
        let messages = Arc::new(Mutex::new(Vec::new()));
        let auth = Arc::new(Mutex::new(Vec::new()));
        let (c, m, a) = (connections.clone(), messages.clone(), auth.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                c.fetch_add(1, Ordering::SeqCst);
                let (script, m, a) = (script.clone(), m.clone(), a.clone());
                std::thread::spawn(move || {
                    let _ = serve(stream, &script, &m, &a);
                });
            }
        });
        FakeSmtp {
            port,
            connections,
            messages,
            auth,
        }
    }

    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    pub fn messages(&self) -> Vec<Message> {
        self.messages.lock().expect("lock").clone()
    }
}

fn serve(
    stream: TcpStream,
    script: &Script,
    kept: &Kept,
    auth: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(30)))?;
    let mut w = stream.try_clone()?;
    let mut r = BufReader::new(stream);
    w.write_all(b"220 fake.test ESMTP\r\n")?;
    let (mut mail, mut rcpt) = (String::new(), String::new());
    loop {
        let mut line = Vec::new();
        if r.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let text = String::from_utf8_lossy(&line).trim_end().to_string();
        let verb = text
            .split([' ', ':'])
            .next()
            .unwrap_or("")
            .to_ascii_uppercase();
        match verb.as_str() {
            "EHLO" | "HELO" => {
                let mut reply = String::from("250-fake.test\r\n");
                for e in &script.extensions {
                    reply.push_str(&format!("250-{e}\r\n"));
                }
                reply.push_str("250 8BITMIME\r\n");
                w.write_all(reply.as_bytes())?;
            }
            "MAIL" => {
                mail = text;
                w.write_all(b"250 2.1.0 Ok\r\n")?;
            }
            "RCPT" => {
                rcpt = text;
                let scripted = script
                    .rcpt
                    .iter()
                    .find(|(k, _)| rcpt.contains(k))
                    .map(|(_, v)| v.clone());
                match scripted {
                    Some(reply) => {
                        w.write_all(&reply)?;
                        if script.hang_up_after_rcpt {
                            return Ok(());
                        }
                    }
                    None => w.write_all(b"250 2.1.5 Ok\r\n")?,
                }
            }
            "DATA" => {
                let Some(reply) = &script.data else {
                    // silent: wait for the client to give up
                    let mut rest = Vec::new();
                    let _ = r.read_until(b'\n', &mut rest);
                    return Ok(());
                };
                w.write_all(reply)?;
                let mut content = Vec::new();
                loop {
                    let mut l = Vec::new();
                    if r.read_until(b'\n', &mut l)? == 0 {
                        return Ok(());
                    }
                    if l == b".\r\n" {
                        break;
                    }
                    content.extend_from_slice(&l);
                }
                match &script.content {
                    Some(reply) => {
                        kept.lock()
                            .expect("lock")
                            .push((mail.clone(), rcpt.clone(), content));
                        w.write_all(reply)?;
                    }
                    None => {
                        let mut rest = Vec::new();
                        let _ = r.read_until(b'\n', &mut rest);
                        return Ok(());
                    }
                }
            }
            "AUTH" => {
                // LOGIN (RFC-less but universal): user and password, base64, one per line
                auth.lock().expect("lock").push(text.clone());
                if text.eq_ignore_ascii_case("AUTH LOGIN") {
                    for challenge in [&b"334 VXNlcm5hbWU6\r\n"[..], b"334 UGFzc3dvcmQ6\r\n"] {
                        w.write_all(challenge)?;
                        let mut l = Vec::new();
                        r.read_until(b'\n', &mut l)?;
                        let l = String::from_utf8_lossy(&l).trim_end().to_string();
                        auth.lock().expect("lock").push(l);
                    }
                }
                w.write_all(b"235 2.7.0 Authentication successful\r\n")?;
            }
            "RSET" | "NOOP" => w.write_all(b"250 2.0.0 Ok\r\n")?,
            "QUIT" => {
                w.write_all(b"221 2.0.0 Bye\r\n")?;
                return Ok(());
            }
            _ => w.write_all(b"502 5.5.2 Error: command not recognized\r\n")?,
        }
    }
}

// Helpers for `rebound send` runs against a fake server.

pub const FROM: &str = "bounces@list.test";
pub const MSG: &str =
    "From: News <news@list.test>\nSubject: Hello {{first_name}}\n\nHi {{first_name}}.\n";

pub fn inputs(dir: &Path, emails: &[&str]) {
    let mut csv = String::from("email,first_name\n");
    for (i, e) in emails.iter().enumerate() {
        csv.push_str(&format!("{e},N{i}\n"));
    }
    std::fs::write(dir.join("list.csv"), csv).expect("write list");
    std::fs::write(dir.join("msg.eml"), MSG).expect("write message");
}

pub fn send_fake(dir: &Path, campaign: &str, port: u16, extra: &[&str]) -> std::process::Output {
    let port = port.to_string();
    let mut args = vec![
        "send",
        "--campaign",
        campaign,
        "--recipients",
        "list.csv",
        "--message",
        "msg.eml",
        "--from",
        FROM,
        "--server",
        "127.0.0.1",
        "--port",
        &port,
        "--concurrency",
        "1",
        "--retry-delay",
        "0",
        "--db",
        "rebound.db",
    ];
    if !extra.contains(&"--tls") {
        args.extend(["--tls", "none"]);
    }
    args.extend(extra);
    rebound(dir, &args)
}

/// (email, state, reply) of every recipient.
pub fn states(dir: &Path) -> Vec<(String, String, String)> {
    query(
        &dir.join("rebound.db"),
        "SELECT email, state, coalesce(reply, '') FROM recipients ORDER BY id",
    )
    .into_iter()
    .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
    .collect()
}

pub fn suppressed(dir: &Path) -> Vec<String> {
    query(&dir.join("rebound.db"), "SELECT display FROM suppressions")
        .into_iter()
        .map(|r| r[0].clone())
        .collect()
}
