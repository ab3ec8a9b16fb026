//! Helpers of tests/serve.rs: a store with a campaign sent, the server started on a free
//! loopback port, a plain HTTP/1.1 client, and the providers' signatures made with the
//! test's own keys.

#![allow(dead_code)]

pub mod setup;

use base64::Engine;
use hmac::{Hmac, Mac};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

pub const MAILGUN_KEY: &str = "test-mailgun-signing-key";
pub const TOKEN: &str = "test-api-token";

pub fn workdir(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("rebound-serve-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// A store holding campaign `nov` with these recipients accepted by the relay; returns
/// each recipient's row id.
pub fn seed(db: &Path, emails: &[&str]) -> Vec<i64> {
    use rebound::store::{Outcome, SendState, Store};
    let mut s = Store::open(db).unwrap();
    let c = s
        .campaign("nov", "0".repeat(64).as_str(), "news@example.com")
        .unwrap();
    let rows: Vec<(String, String, usize)> = emails
        .iter()
        .enumerate()
        .map(|(i, e)| (e.to_string(), "{}".to_string(), i + 2))
        .collect();
    s.add_recipients(&c, &rows).unwrap();
    let mut ids = Vec::new();
    for r in s.recipients(&c).unwrap() {
        s.record(
            r.id,
            &Outcome {
                state: SendState::Accepted,
                reply: Some("250 2.0.0 Ok: queued"),
                reply_code: Some(250),
                receipt_id: None,
                reason: None,
                hard: None,
                command: None,
            },
        )
        .unwrap();
        ids.push(r.id);
    }
    ids
}

/// The running server; killed when dropped unless stopped.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts `rebound serve` on 127.0.0.1:0 with this config text and environment.
pub fn start(dir: &Path, config: &str, env: &[(&str, &str)]) -> Server {
    std::fs::write(dir.join("rebound.toml"), config).unwrap();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_rebound"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--db"])
        .arg(dir.join("rebound.db"))
        .arg("--config")
        .arg(dir.join("rebound.toml"))
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("start rebound serve");
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    err.read_line(&mut line).unwrap();
    let addr = line
        .split("http://")
        .nth(1)
        .and_then(|r| r.split_whitespace().next())
        .unwrap_or_else(|| panic!("no address in {line:?}"))
        .to_string();
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = String::new();
        let _ = err.read_to_string(&mut sink);
    });
    Server { child, addr }
}

/// One response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

/// A plain HTTP/1.1 request with `Connection: close`.
pub fn http(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
    try_http(addr, method, path, headers, body).unwrap_or_else(|| panic!("no answer from {addr}"))
}

/// `http`, with None when the server is not there or closed without answering.
pub fn try_http(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Option<Reply> {
    let mut s = TcpStream::connect(addr).ok()?;
    let mut req = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        req.push_str(&format!("{k}: {v}\r\n"));
    }
    req.push_str("\r\n");
    s.write_all(req.as_bytes()).ok()?;
    // A server may answer (413) before reading the whole body and close.
    let _ = s.write_all(body);
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let text = String::from_utf8_lossy(&raw).to_string();
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())?;
    let body = text
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_string())
        .unwrap_or_default();
    Some(Reply {
        status,
        body: dechunk(&body),
    })
}

/// Undoes chunked transfer coding when the body uses it.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    loop {
        let Some((size, after)) = rest.split_once("\r\n") else {
            return body.to_string();
        };
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            return body.to_string();
        };
        if n == 0 {
            return out;
        }
        let Some(chunk) = after.get(..n) else {
            return body.to_string();
        };
        out.push_str(chunk);
        rest = after.get(n + 2..).unwrap_or("");
    }
}

pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// A Mailgun request body: the event data signed with `key` at `timestamp`.
pub fn mailgun_body(key: &str, timestamp: u64, event_data: serde_json::Value) -> Vec<u8> {
    let token = format!("tok{timestamp}{}", event_data["id"].as_str().unwrap_or(""));
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(key.as_bytes()).unwrap();
    mac.update(timestamp.to_string().as_bytes());
    mac.update(token.as_bytes());
    let sig: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    serde_json::to_vec(&serde_json::json!({
        "signature": {"timestamp": timestamp.to_string(), "token": token, "signature": sig},
        "event-data": event_data,
    }))
    .unwrap()
}

/// A P-256 key pair of the test's own, as SendGrid would hold it.
pub struct SendgridKey {
    pair: ring::signature::EcdsaKeyPair,
}

impl SendgridKey {
    pub fn new() -> SendgridKey {
        use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
        let rng = ring::rand::SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng).unwrap();
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
            .unwrap();
        SendgridKey { pair }
    }

    /// The verification key as SendGrid shows it: base64 DER SubjectPublicKeyInfo.
    pub fn public_base64(&self) -> String {
        use ring::signature::KeyPair;
        // SEQUENCE { SEQUENCE { id-ecPublicKey, prime256v1 }, BIT STRING point }
        let mut der = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");
        der.extend_from_slice(self.pair.public_key().as_ref());
        base64::engine::general_purpose::STANDARD.encode(der)
    }

    /// The signature and timestamp headers for this body.
    pub fn sign(&self, timestamp: u64, body: &[u8]) -> (String, String) {
        let rng = ring::rand::SystemRandom::new();
        let mut msg = timestamp.to_string().into_bytes();
        msg.extend_from_slice(body);
        let sig = self.pair.sign(&rng, &msg).unwrap();
        (
            base64::engine::general_purpose::STANDARD.encode(sig.as_ref()),
            timestamp.to_string(),
        )
    }
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// (email, matched_by, reason, verdict, evidence, action) of every fact, in order.
pub fn facts(db: &Path) -> Vec<(String, String, String, String, String, Option<String>)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c
        .prepare("SELECT coalesce(email,''), matched_by, reason, verdict, evidence, action FROM facts ORDER BY id")
        .unwrap();
    s.query_map([], |r| {
        Ok((
            r.get(0)?,
            r.get(1)?,
            r.get(2)?,
            r.get(3)?,
            r.get(4)?,
            r.get(5)?,
        ))
    })
    .unwrap()
    .collect::<Result<_, _>>()
    .unwrap()
}

/// (email, source) of every suppression.
pub fn suppressions(db: &Path) -> Vec<(String, String)> {
    let c = rusqlite::Connection::open(db).unwrap();
    let mut s = c
        .prepare("SELECT email, source FROM suppressions ORDER BY email")
        .unwrap();
    s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}
