//! Google Groups: a post to a group that does not exist or does not accept the sender,
//! returned by mailer-daemon@googlemail.com with `X-Failed-Recipients` naming the group.

use super::{common, Family};
use crate::decode::{address, Draft, Mail, Reason};

pub(crate) static FAMILY: Family = Family {
    name: "googlegroups",
    parse,
};

fn parse(mail: &Mail) -> Option<Vec<Draft>> {
    if !mail
        .from()
        .to_ascii_lowercase()
        .contains("mailer-daemon@googlemail.com")
    {
        return None;
    }
    let lower = mail.text.to_ascii_lowercase();
    if !lower.contains("google groups") || !lower.contains("groups.google.com") {
        return None;
    }
    let failed = mail.header("x-failed-recipients")?;
    let body = common::before_original(&mail.text);
    let diag = crate::decode::draft::squeeze(body);
    // The four bullet points (in the user's language) of "the group may not exist, or you may
    // not have permission to post": the group refused the sender.
    let bullets = body
        .lines()
        .filter(|l| l.trim_start().starts_with('*'))
        .count();
    let rejected = bullets == 4 || lower.contains("permission to post");
    let out: Vec<Draft> = failed
        .split(',')
        .filter_map(address::clean)
        .map(|a| {
            let d = Draft::new(Some(a), Some(diag.clone()));
            if rejected {
                d.decided(Reason::Rejected, "googlegroups: no permission to post")
            } else {
                d
            }
        })
        .collect();
    Some(out)
}

#[cfg(test)]
mod tests {
    use crate::decode::{decode, Reason};

    #[test]
    fn decodes_a_group_refusal() {
        let raw = b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\nSubject: Delivery Status Notification (Failure)\nX-Failed-Recipients: mygroup@googlegroups.com\n\nHello a@example.org,\n\nWe're writing to let you know that the group you tried to contact (mygroup) may not exist, or you may not have permission to post messages to the group.\n\nVisit the Help Center at https://groups.google.com/support/.\n\nThanks,\n\nGoogle Groups\n";
        let r = decode(raw);
        assert_eq!(r.bounces.len(), 1);
        assert_eq!(
            r.bounces[0].recipient.as_deref(),
            Some("mygroup@googlegroups.com")
        );
        assert_eq!(r.bounces[0].reason, Reason::Rejected);
    }
}
