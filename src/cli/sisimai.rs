//! `parse --format sisimai`: facts under the field names of Sisimai's JSON dump (the
//! reference bounce decoder), so scripts written for its output read rebound's.
//!
//! Fields rebound does not know (the original sender, subject and List-Id) are empty
//! strings, as Sisimai writes an unknown field. `token` has Sisimai's role (one id per
//! record, from sender, recipient and time) but not its value (SHA-256 here, not SHA-1).

use rebound::Bounce;
use sha2::Digest;

/// One record, in Sisimai's field names.
pub fn record(origin: &str, b: &Bounce) -> serde_json::Value {
    let recipient = b.recipient.clone().unwrap_or_default();
    let destination = recipient
        .rsplit_once('@')
        .map(|(_, d)| d.to_ascii_lowercase())
        .unwrap_or_default();
    let timestamp = b
        .date
        .as_deref()
        .and_then(mail_parser::DateTime::parse_rfc3339)
        .map(|d| d.to_timestamp())
        .unwrap_or(0);
    let token = {
        let mut h = sha2::Sha256::new();
        h.update(format!("\x02\x1e{recipient}\x1e{timestamp}\x03"));
        h.finalize()
            .iter()
            .take(20)
            .map(|b| format!("{b:02x}"))
            .collect::<String>()
    };
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    serde_json::json!({
        "action": b.action.map(|a| a.as_str()).unwrap_or(""),
        "addresser": "",
        "alias": text(&b.keys.original_recipient),
        "catch": null,
        "deliverystatus": text(&b.status),
        "destination": destination,
        "diagnosticcode": text(&b.diagnostic_code),
        "diagnostictype": if b.diagnostic_code.is_some() { "SMTP" } else { "" },
        "feedbacktype": text(&b.feedback_type),
        "hardbounce": b.hard,
        "softbounce": i32::from(!b.hard),
        "lhost": text(&b.reporting_mta),
        "listid": "",
        "messageid": text(&b.keys.original_message_id),
        "origin": origin,
        "reason": b.reason.as_str(),
        "recipient": recipient,
        "replycode": text(&b.replycode),
        "rhost": text(&b.remote_mta),
        "senderdomain": "",
        "smtpagent": b.evidence.module,
        "smtpcommand": text(&b.smtp_command),
        "subject": "",
        "timestamp": timestamp,
        "timezoneoffset": "+0000",
        "token": token,
    })
}
