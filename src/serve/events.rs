//! A provider's delivery event, provider-neutral, and how it becomes a fact: the same
//! reason rules as a decoded bounce (`decode::reply_facts` on the remote diagnostic), the
//! provider's own class (permanent or temporary) on top, and the correlation keys it
//! carries (rebound's campaign/recipient metadata, the provider's message ID).

use crate::decode::{Action, Bounce, Evidence, Keys, Reason};
use crate::poll::process::{sha256_hex, Decoded};

/// What happened, as the provider classes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A failure the provider will not retry (hard bounce).
    Permanent,
    /// A failure the provider will retry (a deferral): a delay, never counted.
    Temporary,
    /// A failure of this message that the provider will not retry but that says nothing
    /// final about the address (a soft bounce): counted by the policy's soft rule.
    Soft,
    /// Not sent: the provider suppressed it itself (its own bounce/unsubscribe list).
    Dropped,
    /// Refused as spam/reputation by the receiver (SendGrid's "blocked").
    Blocked,
    /// The recipient marked it as spam.
    Complaint,
    /// The recipient unsubscribed.
    Unsubscribe,
    Delivered,
}

/// One provider event, read from its payload (signature already verified).
#[derive(Debug, Clone)]
pub struct Event {
    /// `mailgun`, `postmark`, `sendgrid`: the evidence module and the suppression source.
    pub provider: &'static str,
    /// The provider's own ID of this event: a replay with the same ID changes nothing.
    pub id: String,
    pub kind: Kind,
    /// The provider's event name (`failed`, `bounce`, `HardBounce`...), for the evidence.
    pub name: String,
    pub recipient: String,
    /// The remote server's reply or the provider's description of the failure.
    pub diagnostic: Option<String>,
    /// An enhanced status code the provider gives apart from the text.
    pub status: Option<String>,
    /// A reason the provider's own type implies when the text names none.
    pub fallback: Option<Reason>,
    /// rebound's campaign name and recipient row, from the provider's metadata.
    pub campaign: Option<String>,
    pub recipient_row: Option<String>,
    /// The provider's message ID and the RFC 5322 Message-ID, when given.
    pub provider_message_id: Option<String>,
    pub message_id: Option<String>,
    /// When it happened (RFC 3339, UTC), when given.
    pub date: Option<String>,
}

/// Metadata names that carry rebound's keys (compared without case, `-` and `_` alike):
/// the values of the `X-Rebound-Campaign`/`X-Rebound-Recipient` headers `send` writes.
pub fn metadata_key(name: &str) -> Option<&'static str> {
    let n: String = name
        .chars()
        .map(|c| {
            if c == '_' {
                '-'
            } else {
                c.to_ascii_lowercase()
            }
        })
        .collect();
    match n.trim_start_matches("x-") {
        "rebound-campaign" => Some("campaign"),
        "rebound-recipient" => Some("recipient"),
        _ => None,
    }
}

/// Fills `campaign` and `recipient_row` from a JSON object of provider metadata.
pub fn read_metadata(e: &mut Event, meta: Option<&serde_json::Value>) {
    let Some(obj) = meta.and_then(|m| m.as_object()) else {
        return;
    };
    for (k, v) in obj {
        let value = match v {
            serde_json::Value::String(s) => s.trim().to_string(),
            serde_json::Value::Number(n) => n.to_string(),
            _ => continue,
        };
        match metadata_key(k) {
            Some("campaign") => e.campaign = Some(value),
            Some("recipient") => e.recipient_row = Some(value),
            _ => {}
        }
    }
}

/// A string field of a JSON object.
pub fn text(v: &serde_json::Value, key: &str) -> Option<String> {
    match v.get(key)? {
        serde_json::Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

impl Event {
    pub fn new(
        provider: &'static str,
        id: String,
        kind: Kind,
        name: &str,
        recipient: String,
    ) -> Event {
        Event {
            provider,
            id,
            kind,
            name: name.to_string(),
            recipient,
            diagnostic: None,
            status: None,
            fallback: None,
            campaign: None,
            recipient_row: None,
            provider_message_id: None,
            message_id: None,
            date: None,
        }
    }

    /// The fact, by the decoder's reason rules and the provider's class.
    pub fn to_bounce(&self) -> Bounce {
        let diag = self.diagnostic.clone().unwrap_or_default();
        let rf = crate::decode::reply_facts(&diag, None);
        let mut rule = format!("event {}", self.name);
        let (mut reason, mut hard) = (rf.reason, rf.hard);
        // `undefined`: no text; `onhold`: text that no rule recognised.
        let unnamed = matches!(reason, Reason::Undefined | Reason::OnHold);
        if !unnamed {
            rule.push_str(&format!("; {}", rf.rule));
        } else if let Some(f) = self.fallback {
            reason = f;
            hard = f.is_hard(self.kind == Kind::Permanent);
            rule.push_str(&format!("; provider type ({})", f.as_str()));
        }
        let action = match self.kind {
            Kind::Permanent | Kind::Soft | Kind::Dropped | Kind::Blocked => Some(Action::Failed),
            Kind::Temporary => Some(Action::Delayed),
            Kind::Delivered => Some(Action::Delivered),
            Kind::Complaint | Kind::Unsubscribe => None,
        };
        let mut feedback_type = None;
        match self.kind {
            Kind::Temporary | Kind::Soft => hard = false,
            Kind::Dropped => {
                reason = Reason::Suppressed;
                hard = false;
            }
            Kind::Blocked if unnamed => reason = Reason::Blocked,
            Kind::Complaint => {
                (reason, hard) = (Reason::Feedback, false);
                feedback_type = Some("abuse".to_string());
            }
            Kind::Unsubscribe => {
                (reason, hard) = (Reason::Feedback, false);
                feedback_type = Some("opt-out".to_string());
            }
            Kind::Delivered => (reason, hard) = (Reason::Delivered, false),
            _ => {}
        }
        let mut keys = Keys::default();
        if let Some(c) = &self.campaign {
            keys.x_headers
                .push(("X-Rebound-Campaign".into(), c.clone()));
        }
        if let Some(r) = &self.recipient_row {
            keys.x_headers
                .push(("X-Rebound-Recipient".into(), r.clone()));
        }
        keys.original_message_id = self.message_id.clone();
        keys.queue_ids.extend(self.provider_message_id.clone());
        Bounce {
            recipient: Some(self.recipient.clone()),
            action,
            status: self.status.clone().or(rf.status),
            replycode: rf.replycode,
            reason,
            hard,
            feedback_type,
            diagnostic_code: self.diagnostic.clone(),
            remote_mta: None,
            reporting_mta: None,
            smtp_command: None,
            blocklist: rf.blocklist,
            keys,
            evidence: Evidence {
                module: self.provider.to_string(),
                rule,
            },
            date: self.date.clone(),
        }
    }

    /// The event as the pipeline's input: its identity is `provider:event-id`, so a replay
    /// (whatever its body) is "seen before" and changes nothing.
    pub fn decoded(&self) -> Decoded {
        let identity = format!("{}:{}", self.provider, self.id);
        Decoded {
            sha256: sha256_hex(identity.as_bytes()),
            message_id: identity,
            bounces: vec![self.to_bounce()],
            error: None,
            // Not a mail to a List-Unsubscribe address: provider unsubscribes are facts.
            unsubscribe: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: Kind, diag: Option<&str>) -> Event {
        let mut e = Event::new(
            "mailgun",
            "e1".into(),
            kind,
            "failed",
            "a@example.com".into(),
        );
        e.diagnostic = diag.map(str::to_string);
        e
    }

    #[test]
    fn the_diagnostic_sets_the_reason_as_in_a_bounce() {
        let b = ev(
            Kind::Permanent,
            Some("550 5.1.1 <a@example.com>: Recipient address rejected: User unknown"),
        )
        .to_bounce();
        assert_eq!(b.reason, Reason::UserUnknown);
        assert!(b.hard);
        assert_eq!(b.status.as_deref(), Some("5.1.1"));
        assert_eq!(b.evidence.module, "mailgun");
        assert!(
            b.evidence.rule.starts_with("event failed; "),
            "{}",
            b.evidence.rule
        );
    }

    #[test]
    fn a_temporary_failure_is_a_delay_and_never_hard() {
        let b = ev(Kind::Temporary, Some("452 4.2.2 Mailbox full")).to_bounce();
        assert_eq!(b.action, Some(Action::Delayed));
        assert!(!b.hard);
    }

    #[test]
    fn complaints_and_unsubscribes_are_feedback() {
        let b = ev(Kind::Complaint, None).to_bounce();
        assert_eq!(
            (b.reason, b.feedback_type.as_deref()),
            (Reason::Feedback, Some("abuse"))
        );
        let b = ev(Kind::Unsubscribe, None).to_bounce();
        assert_eq!(b.feedback_type.as_deref(), Some("opt-out"));
    }

    #[test]
    fn the_provider_type_fills_in_when_the_text_says_nothing() {
        let mut e = ev(Kind::Permanent, Some("Test bounce details"));
        e.fallback = Some(Reason::UserUnknown);
        let b = e.to_bounce();
        assert_eq!(b.reason, Reason::UserUnknown);
        assert!(
            b.evidence.rule.contains("provider type"),
            "{}",
            b.evidence.rule
        );
        let b = ev(Kind::Permanent, Some("Test bounce details")).to_bounce();
        assert_eq!(b.reason, Reason::OnHold);
    }

    #[test]
    fn metadata_names_match_the_headers_send_writes() {
        assert_eq!(metadata_key("X-Rebound-Campaign"), Some("campaign"));
        assert_eq!(metadata_key("rebound_recipient"), Some("recipient"));
        assert_eq!(metadata_key("user_id"), None);
    }

    #[test]
    fn identity_is_the_provider_event_id() {
        let a = ev(Kind::Delivered, None).decoded();
        let mut e = ev(Kind::Permanent, Some("other body"));
        e.id = "e1".into();
        assert_eq!(a.message_id, e.decoded().message_id);
        assert_eq!(a.sha256, e.decoded().sha256);
    }
}
