//! Known MTA and provider formats that are not (only) RFC 3464 reports: one module per
//! family. Each module exports a `FAMILY` with a `parse` that returns `None` when the
//! message is not of its kind. Order is data: the lists below are tried first to last.

mod activehunter;
mod amavis;
mod amazonses;
mod amazonworkmail;
mod barracuda;
mod bigfoot;
mod biglobe;
pub(crate) mod common;
mod courier;
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
mod mcafee;
mod messagingserver;
mod mfilter;
mod mxlogic;
mod notes;
mod office365;
mod opensmtpd;
mod outlook;
mod postfix;
mod powermta;
mod qmail;
mod receivingses;
mod sendgrid;
mod surfcontrol;
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
mod yandex;
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
    &outlook::FAMILY,
    &receivingses::FAMILY,
    &amazonses::FAMILY,
    &barracuda::FAMILY,
    &surfcontrol::FAMILY,
    &powermta::FAMILY,
    &sendgrid::FAMILY,
    &x3::FAMILY,
    &exchange2007::FAMILY,
    &mcafee::FAMILY,
    &courier::FAMILY,
    &yandex::FAMILY,
    &bigfoot::FAMILY,
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
