//! RFC 3463 status codes (and later registrations: RFC 7372, RFC 7505, RFC 8461) that name a
//! reason on their own. Vague codes (`x.0.0`, `5.7.1`) are absent: their text decides.

use super::Reason;

/// (status code, reason). Codes of class 4 and 5 share a subject/detail meaning.
static TABLE: &[(&str, Reason)] = &[
    ("1.1", Reason::UserUnknown),
    ("1.2", Reason::HostUnknown),
    ("1.3", Reason::UserUnknown),
    ("1.4", Reason::UserUnknown),
    ("1.5", Reason::Delivered),
    ("1.6", Reason::HasMoved),
    ("1.7", Reason::Rejected),
    ("1.8", Reason::Rejected),
    ("1.10", Reason::NotAccept), // RFC 7505 null MX
    ("2.0", Reason::Filtered),
    ("2.1", Reason::Filtered),
    ("2.2", Reason::MailboxFull),
    ("2.3", Reason::ExceedLimit),
    ("2.4", Reason::SystemError),
    ("3.1", Reason::SystemFull),
    ("3.2", Reason::NotAccept),
    ("3.3", Reason::SystemError),
    ("3.4", Reason::MesgTooBig),
    ("3.5", Reason::SystemError),
    ("4.1", Reason::NetworkError),
    ("4.2", Reason::NetworkError),
    ("4.3", Reason::NetworkError),
    ("4.4", Reason::HostUnknown),
    ("4.5", Reason::NetworkError),
    ("4.6", Reason::NetworkError),
    ("4.7", Reason::Expired),
    ("5.1", Reason::SyntaxError),
    ("5.2", Reason::SyntaxError),
    ("5.3", Reason::ExceedLimit),
    ("5.4", Reason::SyntaxError),
    ("5.5", Reason::SyntaxError),
    ("6.0", Reason::ContentError),
    ("6.1", Reason::ContentError),
    ("6.2", Reason::ContentError),
    ("6.3", Reason::ContentError),
    ("6.4", Reason::ContentError),
    ("6.5", Reason::ContentError),
    ("6.6", Reason::ContentError),
    ("7.2", Reason::SecurityError),
    ("7.3", Reason::SecurityError),
    ("7.4", Reason::SecurityError),
    ("7.5", Reason::SecurityError),
    ("7.6", Reason::SecurityError),
    ("7.7", Reason::SecurityError),
    ("7.8", Reason::SecurityError),
    ("7.9", Reason::PolicyViolation),
    ("7.10", Reason::FailedStartTls),
    ("7.11", Reason::FailedStartTls),
    ("7.13", Reason::Suspend),
    ("7.14", Reason::SecurityError),
    ("7.15", Reason::SecurityError),
    ("7.16", Reason::SecurityError),
    ("7.17", Reason::SecurityError),
    ("7.18", Reason::SecurityError),
    ("7.19", Reason::SecurityError),
    ("7.20", Reason::AuthFailure),
    ("7.21", Reason::AuthFailure),
    ("7.22", Reason::AuthFailure),
    ("7.23", Reason::AuthFailure),
    ("7.24", Reason::AuthFailure),
    ("7.25", Reason::RequirePtr),
    ("7.26", Reason::AuthFailure),
    ("7.27", Reason::NotAccept),
    ("7.28", Reason::BadReputation),
    ("7.29", Reason::AuthFailure),
    ("7.30", Reason::SecurityError),
];

/// The reason a status code names by itself, if any.
pub(crate) fn reason_for_status(code: &str) -> Option<Reason> {
    let (class, rest) = code.split_once('.')?;
    if class == "2" {
        return Some(Reason::Delivered);
    }
    TABLE.iter().find(|(c, _)| *c == rest).map(|(_, r)| *r)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_codes() {
        assert_eq!(reason_for_status("5.1.1"), Some(Reason::UserUnknown));
        assert_eq!(reason_for_status("4.2.2"), Some(Reason::MailboxFull));
        assert_eq!(reason_for_status("5.7.1"), None);
        assert_eq!(reason_for_status("5.0.0"), None);
        assert_eq!(reason_for_status("2.0.0"), Some(Reason::Delivered));
    }
}
