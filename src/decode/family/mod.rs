//! Known MTA and provider formats that are not (only) RFC 3464 reports: one module per
//! family. Each module exports a `FAMILY` with a `parse` that returns `None` when the
//! message is not of its kind. Order is data: the lists below are tried first to last.

pub(crate) mod common;
mod dovecot;
mod postfix;
mod qmail;

use super::{Draft, Mail};

/// One MTA or provider format.
pub(crate) struct Family {
    pub name: &'static str,
    pub parse: fn(&Mail) -> Option<Vec<Draft>>,
}

/// Families tried before the generic RFC 3464 parser: their delivery-status part lacks
/// facts that their text has, or misleads.
static BEFORE_DSN: &[&Family] = &[&dovecot::FAMILY];

/// Families for messages without a usable delivery-status part.
static AFTER_DSN: &[&Family] = &[&qmail::FAMILY, &postfix::FAMILY];

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
