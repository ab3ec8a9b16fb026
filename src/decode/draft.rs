//! A record as a decoder module found it, and the steps that turn it into a `Bounce`:
//! status and reply code filled from the text, reason, hard/soft, blocklist and keys.

use super::{
    address, blocklist, reason, rhost, status, Action, Bounce, Evidence, Keys, Mail, Reason,
};

/// What a decoder module found about one recipient, before the common steps.
#[derive(Debug, Clone, Default)]
pub(crate) struct Draft {
    pub recipient: Option<String>,
    pub action: Option<Action>,
    pub status: Option<String>,
    pub replycode: Option<String>,
    pub diagnostic: Option<String>,
    /// The `Diagnostic-Code` type (`smtp`, `x-postfix`, `x-unix`, ...), lower case.
    pub diagnostic_type: Option<String>,
    pub remote_mta: Option<String>,
    pub reporting_mta: Option<String>,
    pub command: Option<String>,
    pub feedback_type: Option<String>,
    /// Set when the module itself knows the reason (its own phrase table, ARF, ...).
    pub reason: Option<Reason>,
    /// The rule behind `reason`, for the evidence.
    pub rule: Option<String>,
    pub queue_ids: Vec<String>,
    pub envelope_id: Option<String>,
    pub original_recipient: Option<String>,
    /// The recipient came from a source-routed address (`@relay:user@host`).
    pub routed: bool,
}

impl Draft {
    /// A draft with just a recipient and a diagnostic text.
    pub fn new(recipient: Option<String>, diagnostic: Option<String>) -> Draft {
        Draft {
            recipient,
            diagnostic,
            ..Draft::default()
        }
    }

    /// Sets the reason decided by the module, with the rule that decided it.
    pub fn decided(mut self, reason: Reason, rule: &str) -> Draft {
        self.reason = Some(reason);
        self.rule = Some(rule.to_string());
        self
    }
}

/// Squeezes runs of white space to one space and trims.
pub(crate) fn squeeze(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for w in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(w);
    }
    out
}

/// Completes a draft into a bounce.
pub(crate) fn finish(d: Draft, module: &'static str, mail: &Mail, keys: &Keys) -> Bounce {
    // Without a Diagnostic-Code, the comment of the Status field is the only text:
    // "Status: 4.0.0 (host name lookup failure)".
    let comment = d
        .status
        .as_deref()
        .and_then(|s| s.split_once('('))
        .map(|(_, c)| c.trim_end_matches(')').to_string());
    let diagnostic = d
        .diagnostic
        .as_deref()
        .map(squeeze)
        .filter(|s| !s.is_empty())
        .or_else(|| comment.filter(|c| !c.is_empty()));
    let diag = diagnostic.as_deref().unwrap_or("");

    // Status: the field, unless the remote server's own reply in the diagnostic gives another
    // code of the same class (the reporting MTA's field is its summary, e.g. 4.4.7 "expired").
    let mut code = d.status.as_deref().and_then(status::normalize);
    if let Some(found) = status::find_status(diag) {
        match &code {
            None => code = Some(found),
            Some(c) if status::class(c) == status::class(&found) && c != &found => {
                code = Some(found)
            }
            _ => {}
        }
    }
    let mut replycode = d.replycode.clone().or_else(|| status::find_replycode(diag));
    if let (Some(r), Some(c)) = (&replycode, &code) {
        if status::class(r) != status::class(c) && status::class(c) != Some('2') {
            // A reply code of another class than the status belongs to another exchange.
            if d.replycode.is_none() {
                replycode = None;
            }
        }
    }

    let action = d
        .action
        .or_else(|| match code.as_deref().and_then(status::class) {
            Some('2') => Some(Action::Delivered),
            Some(_) => Some(Action::Failed),
            None => None,
        });

    let command = d
        .command
        .as_deref()
        .and_then(command_in)
        .or_else(|| d.command.clone())
        .or_else(|| command_in(diag))
        .or_else(|| mail.text_command());
    // A report that gives no diagnostic may still name the cause in its human-readable
    // part, next to the address (RFC 3464 section 2: the first part is for people):
    // the reason is read there rather than left undecided.
    let near = if diag.is_empty() {
        d.recipient
            .as_deref()
            .and_then(|r| mail.cause_index().cause_near(&mail.text, r))
    } else {
        None
    };
    let (reason, rule) = match d.reason {
        Some(r) => (r, d.rule.clone().unwrap_or_else(|| module.to_string())),
        None => decide(
            &d,
            &command,
            action,
            code.as_deref(),
            replycode.as_deref(),
            near.as_deref().unwrap_or(diag),
            mail,
        ),
    };
    let permanent = matches!(
        code.as_deref()
            .and_then(status::class)
            .or(replycode.as_deref().and_then(status::class)),
        Some('5')
    ) || (code.is_none() && replycode.is_none() && action == Some(Action::Failed));
    let hard = reason.is_hard(permanent);

    let mut keys = keys.clone();
    keys.queue_ids.extend(d.queue_ids.iter().cloned());
    keys.queue_ids.dedup();
    if d.envelope_id.is_some() {
        keys.envelope_id = d.envelope_id.clone();
    }
    keys.original_recipient = d.original_recipient.as_deref().and_then(address::clean);

    Bounce {
        recipient: d.recipient.as_deref().and_then(address::clean),
        action,
        status: code,
        replycode,
        reason,
        hard,
        feedback_type: d.feedback_type.clone(),
        blocklist: blocklist::find(diag),
        diagnostic_code: diagnostic,
        remote_mta: d.remote_mta.clone(),
        reporting_mta: d.reporting_mta.clone(),
        smtp_command: command,
        keys,
        evidence: Evidence {
            module: module.to_string(),
            rule,
        },
        date: None,
    }
}

/// The reason for a record whose module did not decide one.
fn decide(
    d: &Draft,
    command: &Option<String>,
    action: Option<Action>,
    code: Option<&str>,
    replycode: Option<&str>,
    diag: &str,
    mail: &Mail,
) -> (Reason, String) {
    if matches!(
        action,
        Some(Action::Delivered | Action::Relayed | Action::Expanded)
    ) || code.and_then(status::class) == Some('2')
    {
        return (Reason::Delivered, "action/status says delivered".into());
    }
    let provider = rhost::Facts {
        remote_mta: d.remote_mta.as_deref(),
        reporting_mta: d.reporting_mta.as_deref(),
        recipient: d.recipient.as_deref(),
        diag,
        text: &mail.text,
        text_lower: Some(mail.text_lower()),
        status: code,
        replycode,
        command: command.as_deref(),
    };
    if let Some((r, rule)) = rhost::reason(&provider) {
        return (r, rule);
    }
    let facts = reason::Facts {
        diag,
        status: code,
        replycode,
        command: command.as_deref(),
        diagnostic_type: d.diagnostic_type.as_deref(),
        delayed: action == Some(Action::Delayed),
        gave_up: d.action == Some(Action::Failed)
            && ((d.diagnostic_type.is_some() && mail.postfix_report())
                || field_says_expired(d.status.as_deref())),
    };
    let (r, rule): (Reason, reason::Rule) = reason::decide_rule(&facts, &reason::scan(diag));
    (r, rule.to_string())
}

/// The report's own `Status:` field is x.4.7, "delivery time expired" (RFC 3463 section
/// 3.5): with `Action: failed`, the reporting MTA says its queue gave up (Sendmail writes
/// 4.4.7 so, keeping the remote's last reply in the diagnostic).
fn field_says_expired(field: Option<&str>) -> bool {
    field
        .and_then(status::normalize)
        .is_some_and(|s| s.ends_with(".4.7"))
}

/// Phrases that tell which SMTP command a failure answered: Postfix's "in reply to",
/// Exim's "after", Sendmail's transcript (">>> RCPT To:"), qmail's "RCPT TO:<".
static COMMAND_MARKS: &[(&str, &str)] = &[
    ("in reply to rcpt to", "RCPT"),
    ("in reply to mail from", "MAIL"),
    ("in reply to end of data", "DATA"),
    ("in reply to data", "DATA"),
    ("in reply to helo", "HELO"),
    ("in reply to ehlo", "EHLO"),
    ("after rcpt to", "RCPT"),
    ("after mail from", "MAIL"),
    ("after end of data", "DATA"),
    ("after data", "DATA"),
    ("after initial connection", "CONN"),
    ("after helo", "HELO"),
    ("after ehlo", "EHLO"),
    (">>> rcpt to", "RCPT"),
    (">>> mail from", "MAIL"),
    (">>> data", "DATA"),
    (">>> helo", "HELO"),
    (">>> ehlo", "EHLO"),
    ("rcpt to:<", "RCPT"),
    ("mail from:<", "MAIL"),
];

static COMMANDS: std::sync::LazyLock<aho_corasick::AhoCorasick> = std::sync::LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .match_kind(aho_corasick::MatchKind::LeftmostFirst)
        // a DFA: built once, then about one step per byte of text
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(COMMAND_MARKS.iter().map(|(m, _)| m))
        .expect("command marks automaton")
});

/// The SMTP command a diagnostic or transcript says the failure answered (the first
/// mention in the text).
pub(crate) fn command_in(text: &str) -> Option<String> {
    if let Some(c) = transcript_command(text) {
        return Some(c);
    }
    COMMANDS
        .find(text)
        .map(|m| COMMAND_MARKS[m.pattern().as_usize()].1.to_string())
}

/// In a session transcript (Sendmail's `>>> RCPT To:<...>` / `<<< 550 ...`), the last
/// command sent before the first 4xx/5xx reply; `CONN` when the server refused before any
/// command.
fn transcript_command(text: &str) -> Option<String> {
    if !text.contains("<<< ") {
        return None;
    }
    let mut last: Option<&str> = None;
    for line in text.lines() {
        let t = line.trim();
        if let Some(cmd) = t.strip_prefix(">>> ") {
            last = Some(cmd);
        } else if let Some(reply) = t.strip_prefix("<<< ") {
            if !matches!(reply.as_bytes().first(), Some(b'4' | b'5')) {
                continue;
            }
            let Some(cmd) = last else {
                return Some("CONN".into());
            };
            let word: String = cmd
                .chars()
                .take_while(|c| c.is_ascii_alphabetic())
                .collect::<String>()
                .to_ascii_uppercase();
            return match word.as_str() {
                "RCPT" | "MAIL" | "DATA" | "HELO" | "EHLO" | "STARTTLS" | "AUTH" | "QUIT"
                | "RSET" => Some(word),
                // the end of the message text (`.`) was answered: end of data
                _ if cmd.starts_with('.') => Some("DATA".into()),
                _ => None,
            };
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn command_from_a_sendmail_transcript() {
        let t = "... while talking to mx.example.org.:\n>>> MAIL From:<a@example.jp>\n<<< 250 ok\n>>> RCPT To:<b@example.org>\n<<< 550 5.1.1 unknown\n";
        assert_eq!(command_in(t).as_deref(), Some("RCPT"));
        assert_eq!(
            command_in("host said: 550 x (in reply to end of DATA command)").as_deref(),
            Some("DATA")
        );
    }
}
