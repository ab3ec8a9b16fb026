//! Families that are only "detect, then read the delivery-status part with a few rules of
//! their own", as data: one row each (detection signals, the family's own wording), one
//! parse for all. Formats that need code keep their own module.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

/// One detection signal. Header names are lower case; header values and `From:` are
/// compared ASCII case-insensitively (needles lower case).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Signal {
    /// `From:` contains this.
    FromHas(&'static str),
    /// The subject starts with this (as written).
    SubjectStarts(&'static str),
    /// A header of this name is present.
    Header(&'static str),
    /// A header of this name contains this.
    HeaderHas(&'static str, &'static str),
    /// Some header's name starts with this.
    HeaderPrefix(&'static str),
    /// The message text contains this (as written).
    Text(&'static str),
}

impl Signal {
    fn holds(self, mail: &Mail) -> bool {
        match self {
            Signal::FromHas(n) => mail.from().to_ascii_lowercase().contains(n),
            Signal::SubjectStarts(p) => mail.subject.starts_with(p),
            Signal::Header(n) => mail.header(n).is_some(),
            Signal::HeaderHas(n, v) => common::header_has(mail, n, v),
            Signal::HeaderPrefix(p) => common::has_header_prefix(mail, p),
            Signal::Text(t) => mail.text.contains(t),
        }
    }
}

/// A family as data.
#[derive(Debug)]
pub(crate) struct Spec {
    pub name: &'static str,
    /// Signals that must all hold.
    pub all: &'static [Signal],
    /// Signals of which at least `need` must hold.
    pub any: &'static [Signal],
    pub need: usize,
    /// The family's own wording: (phrase, reason), matched on the diagnostic.
    pub rules: &'static [(&'static str, Reason)],
}

impl Spec {
    /// The records of the delivery-status part with the family's rules, when the message
    /// is the family's.
    pub(crate) fn parse(&self, mail: &Mail) -> Option<Vec<Draft>> {
        let ours = self.all.iter().all(|s| s.holds(mail))
            && self.any.iter().filter(|s| s.holds(mail)).count() >= self.need;
        if !ours {
            return None;
        }
        common::dsn_with_rules(mail, self.rules, self.name)
    }
}

use Signal::*;

/// Amazon SES (receiving): "This message could not be delivered." with a delivery-status
/// part whose diagnostic is one of the fixed texts of SES receipt-rule bounce actions.
static RECEIVINGSES: Spec = Spec {
    name: "receivingses",
    all: &[
        Header("x-ses-outgoing"),
        Text("This message could not be delivered."),
    ],
    any: &[],
    need: 0,
    rules: &[
        ("mailbox does not exist", Reason::Filtered),
        ("message too large", Reason::MesgTooBig),
        ("mailbox full", Reason::MailboxFull),
        ("message content rejected", Reason::SpamDetected),
        // the generic "450 4.0.0 Temporary failure" template says nothing more
        ("temporary failure", Reason::OnHold),
    ],
};

/// SurfControl E-mail Filter (`X-Mailer: SurfControl E-mail Filter`, `X-SEF-Processed`).
static SURFCONTROL: Spec = Spec {
    name: "surfcontrol",
    all: &[],
    any: &[
        Header("x-sef-processed"),
        HeaderHas("x-mailer", "surfcontrol e-mail filter"),
    ],
    need: 1,
    rules: &[("service currently unavailable", Reason::SystemError)],
};

/// McAfee Email and Web Security Appliance (`X-NAI-Header: Modified by McAfee ...`).
static MCAFEE: Spec = Spec {
    name: "mcafee",
    all: &[HeaderHas("x-nai-header", "mcafee")],
    any: &[],
    need: 0,
    rules: &[],
};

/// Courier MTA: "NOTICE: mail delivery status." (courierdsn); its own wording for local
/// failures decides the reason.
static COURIER: Spec = Spec {
    name: "courier",
    all: &[],
    any: &[
        SubjectStarts("NOTICE: mail delivery status."),
        HeaderHas("message-id", ".courier"),
        HeaderHas("received", "(courier"),
    ],
    need: 1,
    rules: &[
        ("no such domain", Reason::HostUnknown),
        ("unknown user", Reason::UserUnknown),
        (
            "delivery to this address has been disabled",
            Reason::Suspend,
        ),
    ],
};

/// Yandex.Mail (`X-Yandex-*` headers, mailer-daemon@yandex.ru).
static YANDEX: Spec = Spec {
    name: "yandex",
    all: &[FromHas("mailer-daemon@yandex")],
    any: &[HeaderPrefix("x-yandex-"), HeaderHas("received", "(yandex)")],
    need: 1,
    rules: &[],
};

/// Bigfoot (bigfoot.com, LiteMail).
static BIGFOOT: Spec = Spec {
    name: "bigfoot",
    all: &[],
    any: &[
        FromHas("@bigfoot.com"),
        HeaderHas("received", ".bigfoot.com (litemail"),
    ],
    need: 1,
    rules: &[("invalid recipient", Reason::UserUnknown)],
};

/// Outlook.com / Hotmail (the consumer service): "Delivery Status Notification" from
/// hotmail.com hosts with `X-Message-Delivery` / `X-Message-Info`; two signals of four.
static OUTLOOK: Spec = Spec {
    name: "outlook",
    all: &[],
    any: &[
        SubjectStarts("Delivery Status Notification"),
        Header("x-message-delivery"),
        Header("x-message-info"),
        HeaderHas("received", ".hotmail.com"),
    ],
    need: 2,
    rules: &[
        (
            "the mail could not be delivered to the recipient because the domain is not reachable",
            Reason::HostUnknown,
        ),
        (
            "requested action not taken: mailbox unavailable",
            Reason::UserUnknown,
        ),
        ("mismatches client ip", Reason::RequirePtr),
    ],
};

pub(crate) static RECEIVINGSES_FAMILY: Family = Family {
    name: RECEIVINGSES.name,
    parse: |m| RECEIVINGSES.parse(m),
};
pub(crate) static SURFCONTROL_FAMILY: Family = Family {
    name: SURFCONTROL.name,
    parse: |m| SURFCONTROL.parse(m),
};
pub(crate) static MCAFEE_FAMILY: Family = Family {
    name: MCAFEE.name,
    parse: |m| MCAFEE.parse(m),
};
pub(crate) static COURIER_FAMILY: Family = Family {
    name: COURIER.name,
    parse: |m| COURIER.parse(m),
};
pub(crate) static YANDEX_FAMILY: Family = Family {
    name: YANDEX.name,
    parse: |m| YANDEX.parse(m),
};
pub(crate) static BIGFOOT_FAMILY: Family = Family {
    name: BIGFOOT.name,
    parse: |m| BIGFOOT.parse(m),
};
pub(crate) static OUTLOOK_FAMILY: Family = Family {
    name: OUTLOOK.name,
    parse: |m| OUTLOOK.parse(m),
};

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_receipt_rule_bounce() {
        let raw = b"From: MAILER-DAEMON@us-west-2.amazonses.com\nSubject: Delivery Status Notification (Failure)\nX-SES-Outgoing: 2015.10.01-54.240.27.7\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThis message could not be delivered.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; inbound-smtp.us-west-2.amazonaws.com\n\nFinal-Recipient: rfc822; box@example.jp\nAction: failed\nStatus: 5.6.1\nDiagnostic-Code: smtp; 500 5.6.1 Message content rejected\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "receivingses");
        assert_eq!(r.bounces[0].reason, Reason::SpamDetected);
    }

    #[test]
    fn decodes_a_surfcontrol_report() {
        let raw = b"From: <>\nSubject: hi\nX-Mailer: SurfControl E-mail Filter\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nFailed.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; relay.example.org\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nDiagnostic-Code: smtp; 554 Service currently unavailable\nStatus: 5.0.0\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "surfcontrol");
        assert_eq!(r.bounces[0].reason, Reason::SystemError);
    }

    #[test]
    fn decodes_a_mcafee_report() {
        let raw = b"From: <MAILER-DAEMON@gw.example.jp>\nSubject: Delivery Status\nX-NAI-Header: Modified by McAfee Email and Web Security Appliance\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; gw.example.jp\n\nFinal-Recipient: RFC822; a@example.jp\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.jp>... User unknown\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "mcafee");
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }

    #[test]
    fn decodes_a_courier_report() {
        let raw = b"From: postmaster@example.org\nSubject: NOTICE: mail delivery status.\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.org\n\nFinal-Recipient: rfc822; a@example.cat\nAction: failed\nStatus: 5.0.0\nDiagnostic-Code: unknown; No such domain.\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "courier");
        assert_eq!(r.bounces[0].reason, Reason::HostUnknown);
    }

    #[test]
    fn decodes_a_yandex_report() {
        let raw = b"From: mailer-daemon@yandex.ru\nX-Yandex-Front: mxback1h.mail.yandex.net\nSubject: failed\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; forward1h.mail.yandex.net\n\nFinal-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.jp>... User Unknown\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "yandex");
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }

    #[test]
    fn decodes_a_bigfoot_report() {
        let raw = b"From: Mail Delivery Subsystem <MAILER-DAEMON@bigfoot.com>\nSubject: Returned mail\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; litemail00.bigfoot.com\n\nFinal-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.7.1\nDiagnostic-Code: smtp; 553 Invalid recipient a@example.org (Mode: normal)\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "bigfoot");
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }

    #[test]
    fn decodes_a_hotmail_report() {
        let raw = b"From: postmaster@hotmail.com\nSubject: Delivery Status Notification (Failure)\nX-Message-Delivery: Vj0xLjE7\nX-Message-Info: abc\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nThis is an automatically generated Delivery Status Notification.\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns;BAY0-OMC1-S1.bay0.hotmail.com\n\nFinal-Recipient: rfc822;nobody@example.org\nAction: failed\nStatus: 5.5.0\nDiagnostic-Code: smtp;550 Requested action not taken: mailbox unavailable\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].evidence.module, "outlook");
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
