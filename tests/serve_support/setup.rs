//! The server every provider test starts: all three providers and the API token configured.

use super::*;
use serde_json::json;

pub const CONFIG: &str = r#"
[serve]
token_env = "T_TOKEN"
max_body = 4096

[serve.mailgun]
env = "T_MAILGUN"

[serve.sendgrid]
env = "T_SENDGRID"

[serve.postmark]
user = "postmark"
password_env = "T_POSTMARK_PW"
header = "X-Webhook-Secret"
header_env = "T_POSTMARK_HEADER"
"#;

pub struct Setup {
    pub dir: std::path::PathBuf,
    pub server: Server,
    pub ids: Vec<i64>,
    pub sendgrid: SendgridKey,
}

impl Setup {
    pub fn new(name: &str) -> Setup {
        let dir = workdir(name);
        let ids = seed(
            &dir.join("rebound.db"),
            &[
                "a@example.com",
                "b@example.com",
                "c@example.com",
                "d@example.com",
            ],
        );
        let sendgrid = SendgridKey::new();
        let key = sendgrid.public_base64();
        let server = start(
            &dir,
            CONFIG,
            &[
                ("T_TOKEN", TOKEN),
                ("T_MAILGUN", MAILGUN_KEY),
                ("T_SENDGRID", &key),
                ("T_POSTMARK_PW", "pm-secret"),
                ("T_POSTMARK_HEADER", "hdr-secret"),
            ],
        );
        Setup {
            dir,
            server,
            ids,
            sendgrid,
        }
    }
    pub fn db(&self) -> std::path::PathBuf {
        self.dir.join("rebound.db")
    }
    pub fn post(&self, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Reply {
        let mut h = vec![("Content-Type", "application/json")];
        h.extend_from_slice(headers);
        http(&self.server.addr, "POST", path, &h, body)
    }
    pub fn get(&self, path: &str, token: Option<&str>) -> Reply {
        let auth = token.map(|t| format!("Bearer {t}"));
        let h: Vec<(&str, &str)> = auth.iter().map(|a| ("Authorization", a.as_str())).collect();
        http(&self.server.addr, "GET", path, &h, b"")
    }
}

pub fn mailgun_failed(
    id: &str,
    to: &str,
    severity: &str,
    code: u16,
    message: &str,
    vars: serde_json::Value,
) -> serde_json::Value {
    json!({
        "id": id, "event": "failed", "severity": severity, "reason": "bounce",
        "recipient": to, "timestamp": now() as f64,
        "delivery-status": {"code": code, "message": message},
        "user-variables": vars,
        "message": {"headers": {"message-id": "<x@news.example.com>"}},
    })
}
