//! Wording cases by class: one reply per line, as MTAs and providers word them (written
//! for this test from the sources named in `sourced.rs`), and the reason it must get. The
//! classes are the issue-12 miss classes: x.7 refusals that name a cause, neighbouring
//! reasons (suspend / userunknown, systemfull / mailboxfull, toomanyconn / speeding,
//! requireptr / blocked, size / syntax), and Microsoft's enhanced codes.

use super::decide::{decide_rule, Facts};
use super::phrases::scan;
use super::Reason;
use Reason::*;

/// (status, diagnostic as the DSN quotes it, expected reason). No SMTP command is given:
/// the wording and the status must decide.
const CASES: &[(&str, &str, Reason)] = &[
    ("5.0.0", "554 DT:SPM 163 smtp3, please see the help page on spam", SpamDetected),
    ("5.0.0", "550 MI:SPF sending IP not permitted by the domain's SPF", AuthFailure),
    ("4.0.0", "421 HL:ICC too many concurrent connections from this IP", TooManyConn),
    ("5.0.0", "550 Ip frequency limited", Speeding),
    ("5.1.2", "553 5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors", HostUnknown),
    ("5.6.0", "554 5.6.0 Mail message is malformed. Not accepted", ContentError),
    ("5.0.0", "550 DY-001 Unfortunately, messages from 192.0.2.1 weren't sent. Hotmail does not relay dynamically-assigned IP ranges", Blocked),
    ("5.4.1", "550 5.4.1 Recipient address rejected: Access denied. AS(201806281)", UserUnknown),
    ("5.7.1", "550 5.7.1 Service unavailable, Client host [192.0.2.1] blocked using Spamhaus", Blocked),
    ("5.7.1", "550 5.7.1 Message rejected as spam by Content Filtering.", SpamDetected),
    ("5.7.1", "550 5.7.1 Unauthenticated email from example.com is not accepted due to domain's DMARC policy", AuthFailure),
    ("5.7.1", "550-5.7.1 [192.0.2.1] Our system has detected that this message is not RFC 5322 compliant", NotCompliantRfc),
    ("5.7.1", "550 5.7.1 Email rejected per SPAM policy", SpamDetected),
    ("5.7.1", "554 5.7.1 <rcpt@example.net>: Recipient address rejected: Account suspended", Suspend),
    ("5.7.1", "550 5.7.1 <sender@example.com>: Sender address rejected: Access denied", Rejected),
    ("5.7.1", "550 5.7.1 Command rejected: your sender address is blocked", Rejected),
    ("5.7.0", "550 5.7.0 Local Policy Violation", PolicyViolation),
    ("5.7.1", "554 5.7.1 Rejected, message looks like spam", SpamDetected),
    ("5.7.1", "550 5.7.1 Client host rejected: cannot find your reverse hostname, [192.0.2.1]", RequirePtr),
    ("5.7.1", "550 5.7.1 Unfortunately, messages from [192.0.2.1] weren't sent. Please contact your Internet service provider since part of their network is on our block list (S3150)", Blocked),
    ("5.7.26", "550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM.", AuthFailure),
    ("5.7.9", "550 5.7.9 Message not accepted for policy reasons", PolicyViolation),
    ("5.2.1", "550 5.2.1 The email account that you tried to reach is disabled.", Suspend),
    ("5.2.1", "550 5.2.1 <rcpt@example.net>: Mailbox disabled, not accepting messages", Suspend),
    ("5.2.1", "550 5.2.1 <rcpt@example.net> user account is inactive", Suspend),
    ("5.1.1", "550 5.1.1 <rcpt@example.net>: Recipient address rejected: User unknown in virtual mailbox table", UserUnknown),
    ("5.3.1", "452 4.3.1 Insufficient system storage", SystemFull),
    ("5.2.2", "552 5.2.2 Mailbox full", MailboxFull),
    ("4.7.0", "421 4.7.0 Too many concurrent connections from this IP", TooManyConn),
    ("4.7.1", "421 4.7.1 Too many connections, slow down", TooManyConn),
    ("4.2.1", "450 4.2.1 The user you are trying to contact is receiving mail too quickly", Speeding),
    ("4.7.1", "450 4.7.1 Client host rejected: cannot find your hostname, [192.0.2.1]", RequirePtr),
    ("5.5.0", "552 Message size exceeds maximum value", MesgTooBig),
    ("5.0.0", "552 Requested mail action aborted: exceeded storage allocation", MailboxFull),
    ("5.0.0", "550 Message too large, limit is 10 MB", MesgTooBig),
    ("5.3.0", "554 5.3.0 Local mailer failure: delivery program exited with status 75", MailerError),
    ("5.1.10", "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", UserUnknown),
    ("5.7.708", "550 5.7.708 Service unavailable. Access denied, traffic not accepted from this IP.", Blocked),
    ("5.7.511", "550 5.7.511 Access denied, banned sender", Rejected),
    ("5.7.606", "550 5.7.606 Access denied, banned sending IP [192.0.2.1]", Blocked),
    ("5.4.4", "550 5.4.4 Unable to route: domain lookup failed", HostUnknown),
    ("4.4.7", "Message expired", Expired),
    ("5.7.23", "550 5.7.23 SPF validation failed", AuthFailure),
    ("5.7.25", "550 5.7.25 The IP address sending this message does not have a PTR record setup", RequirePtr),
    ("5.0.0", "550 Rejected: the message was marked as spam", SpamDetected),
    ("5.7.1", "550 5.7.1 Delivery not authorized, message refused", Filtered),
    ("5.7.1", "554 5.7.1 Message rejected because it was identified as spam", SpamDetected),
    ("5.7.1", "550 5.7.1 Relaying denied", NoRelaying),
    ("5.0.0", "553 sorry, that domain isn't in my list of allowed rcpthosts (#5.7.1)", NoRelaying),
    ("4.0.0", "451 Temporary local problem - please try later", SystemError),
    ("5.0.0", "550 Address rejected: mailbox is disabled", Suspend),
    // Exim's own texts quoted by another MTA or gateway (exim: host.c, dnslookup.c, pipe.c)
    ("5.0.0", "all host address lookups failed permanently", HostUnknown),
    ("5.0.0", "an MX or SRV record indicated no SMTP service", NotAccept),
    ("5.0.0", "Child process of address_pipe transport returned 1 from command: /bin/false", MailerError),
    // Lotus Notes' router names a missing user, not a blocklist
    ("5.1.1", "User not listed in public Name & Address Book", UserUnknown),
    // a header refusal that names RFC compliance, not only the header
    ("5.7.1", "550 5.7.1 Message headers are not RFC compliant", NotCompliantRfc),
];

#[test]
fn wording_cases_get_their_reason() {
    let mut wrong = Vec::new();
    for (status, diag, want) in CASES {
        let f = Facts {
            diag,
            status: Some(status),
            replycode: None,
            command: None,
            diagnostic_type: Some("smtp"),
            ..Facts::default()
        };
        let (got, rule) = decide_rule(&f, &scan(diag));
        if got != *want {
            wrong.push(format!("{status} {diag}: want {want}, got {got} ({rule})"));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} wrong:\n{}",
        wrong.len(),
        CASES.len(),
        wrong.join("\n")
    );
}

fn reason_of(diag: &str, status: Option<&str>, command: Option<&str>) -> (Reason, String) {
    let f = Facts {
        diag,
        status,
        replycode: None,
        command,
        diagnostic_type: Some("smtp"),
        ..Facts::default()
    };
    let (r, rule) = decide_rule(&f, &scan(diag));
    (r, rule.to_string())
}

#[test]
fn x7_refusals_say_which_policy() {
    let cases = [
        ("550 5.7.1 Message rejected: SPAM", Reason::SpamDetected),
        ("550 5.7.1 Rejected by DMARC", Reason::AuthFailure),
        (
            "554 5.7.1 Message refused by local policy",
            Reason::PolicyViolation,
        ),
        ("550 5.7.1 Your account is suspended", Reason::Suspend),
        ("550 5.7.1 Not allowed", Reason::SecurityError),
    ];
    for (diag, want) in cases {
        assert_eq!(
            reason_of(diag, Some("5.7.1"), Some("DATA")).0,
            want,
            "{diag}"
        );
    }
}

#[test]
fn neighbouring_reasons_stay_apart() {
    // x.3.1 with system storage wording is the system's, not the mailbox's.
    let (r, _) = reason_of("452 4.3.1 Insufficient system storage", Some("4.3.1"), None);
    assert_eq!(r, Reason::SystemFull);
    // A connection limit is not a sending rate (postfix:smtpd anvil wording).
    let (r, _) = reason_of(
        "421 4.7.0 Error: too many connections from 192.0.2.1; rate limit",
        Some("4.7.0"),
        None,
    );
    assert_eq!(r, Reason::TooManyConn);
    // The evidence names the source of a sourced phrase.
    let (r, rule) = reason_of(
        "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup",
        Some("5.1.10"),
        Some("RCPT"),
    );
    assert_eq!(r, Reason::UserUnknown);
    assert!(rule.contains("ms365-ndr"), "{rule}");
}
