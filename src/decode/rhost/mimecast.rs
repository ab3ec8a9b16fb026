//! Mimecast (`*.mimecast.com`): the reply code and wording pairs of its SMTP error code
//! list.

use super::{Provider, Reason};

pub(crate) static PROVIDER: Provider = Provider {
    name: "mimecast",
    hosts: &[".mimecast.com"],
    codes: None,
    rules: &[
        (
            "550",
            "spf sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "550",
            "dkim sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "550",
            "dmarc sender invalid - envelope rejected",
            Reason::AuthFailure,
        ),
        (
            "451",
            "internal resources are temporarily unavailable",
            Reason::BadReputation,
        ),
        (
            "550",
            "local ct ip reputation - (reject)",
            Reason::BadReputation,
        ),
        ("421", "sender address blocked", Reason::Blocked),
        ("451", "recipient temporarily unavailable", Reason::Blocked),
        ("451", "ip temporarily blacklisted", Reason::Blocked),
        (
            "550",
            "journal messages past the expiration",
            Reason::Expired,
        ),
        (
            "553",
            "this route requires encryption (tls)",
            Reason::FailedStartTls,
        ),
        (
            "553",
            "this route requires tls version 1.2 or greater",
            Reason::FailedStartTls,
        ),
        (
            "553",
            "this route requires high-strength ciphers",
            Reason::FailedStartTls,
        ),
        (
            "554",
            "configuration is invalid for this certificate",
            Reason::FailedStartTls,
        ),
        ("554", "maximum email size exceeded", Reason::MesgTooBig),
        (
            "451",
            "the incorrect hostname used for inbounds",
            Reason::NetworkError,
        ),
        (
            "550",
            "the incorrect hostname used for inbounds",
            Reason::NetworkError,
        ),
        ("554", "mail loop detected", Reason::NetworkError),
        ("451", "open relay not allowed", Reason::NoRelaying),
        ("451", "open relay is not allowed", Reason::NoRelaying),
        ("451", "account inbounds disabled", Reason::NotAccept),
        ("451", "account outbounds disabled", Reason::OnHold),
        ("451", "hostname is not authorized", Reason::OnHold),
        (
            "550",
            "anti-spoofing policy - inbound not allowed",
            Reason::PolicyViolation,
        ),
        (
            "550",
            "rejected by header-based anti-spoofing policy",
            Reason::PolicyViolation,
        ),
        (
            "550",
            "message bounced due to content examination policy",
            Reason::PolicyViolation,
        ),
        ("554", "host network not allowed", Reason::PolicyViolation),
        ("554", "host network, not allowed", Reason::PolicyViolation),
        (
            "550",
            "administrative prohibition envelope blocked",
            Reason::Rejected,
        ),
        ("550", "envelope blocked - user entry", Reason::Rejected),
        (
            "550",
            "envelope blocked - user domain entry",
            Reason::Rejected,
        ),
        (
            "550",
            "rejected by header-based manually blocked senders",
            Reason::Rejected,
        ),
        (
            "550",
            "rejected by header-based blocked senders",
            Reason::Rejected,
        ),
        (
            "550",
            "envelope rejected - block policy for envelope from address",
            Reason::Rejected,
        ),
        (
            "535",
            "incorrect authentication data",
            Reason::SecurityError,
        ),
        (
            "550",
            "submitter failed to authenticate",
            Reason::SecurityError,
        ),
        (
            "451",
            "unable to process connection at this time",
            Reason::SystemError,
        ),
        ("451", "message ended early", Reason::SystemError),
        ("451", "unable to process command", Reason::SystemError),
        (
            "451",
            "unable to process an email at this time",
            Reason::SystemError,
        ),
        (
            "451",
            "account service is temporarily unavailable",
            Reason::TooManyConn,
        ),
        ("452", "too many recipients", Reason::TooManyConn),
        (
            "550",
            "exceeding outbound thread limit",
            Reason::TooManyConn,
        ),
        ("501", "invalid address", Reason::UserUnknown),
        ("503", "user unknown", Reason::UserUnknown),
        ("550", "invalid recipient", Reason::UserUnknown),
        // A virus signature or a spam score over the limit: the reply does not say which.
        (
            "554",
            "email rejected due to security policies",
            Reason::VirusDetected,
        ),
    ],
};
