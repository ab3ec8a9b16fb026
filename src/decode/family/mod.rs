//! Known MTA and provider formats that are not (only) RFC 3464 reports: one module per
//! family. Each module exports a `FAMILY` with a `parse` that returns `None` when the
//! message is not of its kind. Order is data: the lists below are tried first to last.

mod activehunter;
mod amavis;
mod amazonses;
mod amazonworkmail;
mod barracuda;
mod biglobe;
pub(crate) mod common;
mod domino;
mod dovecot;
mod dragonfly;
mod einsundeins;
mod exchange2003;
mod exchange2007;
mod exim;
mod ezweb;
mod fml;
mod gmail;
mod gmx;
mod googlegroups;
mod googleworkspace;
mod imailserver;
mod kddi;
mod mailfoundry;
mod mailmarshal;
mod messagingserver;
mod mfilter;
mod mxlogic;
mod notes;
mod office365;
mod opensmtpd;
mod postfix;
mod powermta;
mod qmail;
mod sendgrid;
mod spec;
mod trendmicro;
mod v5sendmail;
mod verizon;
mod x1;
mod x2;
mod x3;
mod x4;
mod x5;
mod x6;
mod yahoo;
mod zoho;

use super::{Draft, Mail};

/// One MTA or provider format.
pub(crate) struct Family {
    pub name: &'static str,
    pub parse: fn(&Mail) -> Option<Vec<Draft>>,
}

/// Families tried before the generic RFC 3464 parser: their delivery-status part lacks
/// facts that their text has, or misleads.
static BEFORE_DSN: &[&Family] = &[
    &dovecot::FAMILY,
    &exim::MAILRU,
    &exim::FAMILY,
    &opensmtpd::FAMILY,
    &messagingserver::FAMILY,
    &office365::FAMILY,
    &spec::OUTLOOK_FAMILY,
    &spec::RECEIVINGSES_FAMILY,
    &amazonses::FAMILY,
    &barracuda::FAMILY,
    &spec::SURFCONTROL_FAMILY,
    &powermta::FAMILY,
    &sendgrid::FAMILY,
    &x3::FAMILY,
    &exchange2007::FAMILY,
    &spec::MCAFEE_FAMILY,
    &spec::COURIER_FAMILY,
    &spec::YANDEX_FAMILY,
    &spec::BIGFOOT_FAMILY,
    &amavis::FAMILY,
];

/// Families for messages without a usable delivery-status part.
static AFTER_DSN: &[&Family] = &[
    &qmail::FAMILY,
    &dragonfly::FAMILY,
    &yahoo::FAMILY,
    &gmx::FAMILY,
    &zoho::FAMILY,
    &googlegroups::FAMILY,
    &googleworkspace::FAMILY,
    &gmail::FAMILY,
    &amazonworkmail::FAMILY,
    &exchange2003::FAMILY,
    &mfilter::FAMILY,
    &activehunter::FAMILY,
    &kddi::FAMILY,
    &ezweb::FAMILY,
    &biglobe::FAMILY,
    &domino::FAMILY,
    &einsundeins::FAMILY,
    &fml::FAMILY,
    &x2::FAMILY,
    &x5::FAMILY,
    &mailmarshal::FAMILY,
    &verizon::FAMILY,
    &trendmicro::FAMILY,
    &imailserver::FAMILY,
    &mailfoundry::FAMILY,
    &mxlogic::FAMILY,
    &notes::FAMILY,
    &x1::FAMILY,
    &x4::FAMILY,
    &x6::FAMILY,
    &v5sendmail::FAMILY,
    &postfix::FAMILY,
];

fn first(list: &'static [&Family], mail: &Mail) -> Option<(&'static str, Vec<Draft>)> {
    list.iter().find_map(|f| {
        (f.parse)(mail)
            .filter(|d| !d.is_empty())
            .map(|d| (f.name, d))
    })
}

/// The first family of the before-DSN list that claims the message.
pub(crate) fn parse_before_dsn(mail: &Mail) -> Option<(&'static str, Vec<Draft>)> {
    first(BEFORE_DSN, mail)
}

/// The first family of the after-DSN list that claims the message.
pub(crate) fn parse(mail: &Mail) -> Option<(&'static str, Vec<Draft>)> {
    first(AFTER_DSN, mail)
}

#[cfg(test)]
mod tests {
    //! Cross-family: a family module answers only for its own format. Each returns nothing
    //! for a plain message and for the fixtures that another decoder claims.

    use super::*;
    use std::path::Path;

    fn all() -> impl Iterator<Item = &'static &'static Family> {
        BEFORE_DSN.iter().chain(AFTER_DSN.iter())
    }

    fn claims(f: &Family, mail: &Mail) -> bool {
        (f.parse)(mail).is_some_and(|d| !d.is_empty())
    }

    #[test]
    fn no_family_claims_a_plain_message() {
        let raw = b"From: Hana <hana@garden.example>\nTo: Ken <ken@example.org>\nSubject: Lunch on Friday\nDate: Wed, 2 Dec 2026 04:00:00 +0000\nMessage-ID: <lunch-1@garden.example>\nContent-Type: text/plain\n\nHello Ken,\n\nare you free for lunch on Friday? The new place on the corner has a table at noon.\nIf the mail system is slow again, call me.\n\nHana\n";
        let mail = Mail::parse(raw).expect("a message");
        for f in all() {
            assert!(!claims(f, &mail), "{} claims a plain message", f.name);
        }
    }

    #[test]
    fn no_family_claims_another_decoders_fixture() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures");
        let mut files = Vec::new();
        for suite in std::fs::read_dir(&root)
            .expect("fixtures/ is readable")
            .flatten()
        {
            for e in std::fs::read_dir(suite.path())
                .into_iter()
                .flatten()
                .flatten()
            {
                if e.path().extension().is_some_and(|x| x == "eml") {
                    files.push(e.path());
                }
            }
        }
        files.sort();
        assert!(files.len() > 10, "too few fixtures: {}", files.len());
        let mut checked = 0;
        for path in files {
            let raw = std::fs::read(&path).expect("fixture readable");
            let Some(mail) = Mail::parse(&raw) else {
                continue;
            };
            let owner = crate::decode::decode(&raw)
                .bounces
                .first()
                .map(|b| b.evidence.module.clone());
            for f in all() {
                if owner.as_deref() == Some(f.name) {
                    continue;
                }
                assert!(
                    !claims(f, &mail),
                    "{} claims {} (decoded by {:?})",
                    f.name,
                    path.display(),
                    owner
                );
                checked += 1;
            }
        }
        assert!(checked > 0);
    }
}
