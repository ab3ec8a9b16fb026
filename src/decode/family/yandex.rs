//! Yandex.Mail (`X-Yandex-*` headers, mailer-daemon@yandex.ru): delivery-status reports.

use super::{common, Family};
use crate::decode::{Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "yandex",
    parse,
};

const RULES: &[(&str, Reason)] = &[];

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    let ours = mail
        .from()
        .to_ascii_lowercase()
        .contains("mailer-daemon@yandex")
        && (common::has_header_prefix(mail, "x-yandex-")
            || common::header_has(mail, "received", "(yandex)"));
    if !ours {
        return None;
    }
    common::dsn_with_rules(mail, RULES, "yandex")
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_yandex_report() {
        let raw = b"From: mailer-daemon@yandex.ru\nX-Yandex-Front: mxback1h.mail.yandex.net\nSubject: failed\nMIME-Version: 1.0\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"B\"\n\n--B\nContent-Type: text/plain\n\nfailed\n\n--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; forward1h.mail.yandex.net\n\nFinal-Recipient: rfc822; a@example.jp\nAction: failed\nStatus: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 <a@example.jp>... User Unknown\n\n--B--\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
    }
}
