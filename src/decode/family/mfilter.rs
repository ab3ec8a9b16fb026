//! m-FILTER (Digital Arts): a Japanese notice with `X-Mailer: m-FILTER`, the failed
//! addresses after 以下のメールアドレスへの送信に失敗しました, then "-------server message" and
//! "-------SMTP command" sections.

use super::{common, Family};
use crate::decode::{Draft, Mail};

pub(crate) static FAMILY: Family = Family {
    name: "mfilter",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail
        .headers_named("x-mailer")
        .any(|v| v.trim() == "m-FILTER")
    {
        return None;
    }
    let text = &mail.text;
    let start = text.find("以下のメールアドレスへの送信に失敗しました")?;
    let rest = text.get(start..)?;
    let section = |name: &str| -> Option<String> {
        let (_, after) = rest.split_once(name)?;
        let end = after.find("-------").unwrap_or(after.len());
        let s = crate::decode::draft::squeeze(after.get(..end)?);
        (!s.is_empty()).then_some(s)
    };
    let server = section("-------server message");
    let command = section("-------SMTP command").map(|c| {
        c.split_whitespace()
            .next()
            .unwrap_or("")
            .to_ascii_uppercase()
    });
    let head = rest.split("-------").next().unwrap_or("");
    let out: Vec<Draft> = head
        .lines()
        .skip(1)
        .filter_map(common::address_in)
        .map(|a| {
            let mut d = Draft::new(Some(a), server.clone());
            d.command = command.clone();
            d
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_an_mfilter_notice() {
        let raw = "From: POSTMASTER <postmaster@example.com>\nSubject: failure notice\nX-Mailer: m-FILTER\nContent-Type: text/plain; charset=UTF-8\n\n以下のメールアドレスへの送信に失敗しました。\nnobody@example.com\n\n\n-------server message\n550 5.1.1 <nobody@example.com>: User unknown\n\n-------SMTP command\nRCPT\n\n-------original message\nSubject: hi\n";
        let r = decode(raw.as_bytes());
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("nobody@example.com")
        );
        assert_eq!(r.bounces[0].reason, Reason::UserUnknown);
        assert_eq!(r.bounces[0].smtp_command.as_deref(), Some("RCPT"));
    }
}
