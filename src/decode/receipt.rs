//! Sendmail's plain-text return receipt (savemail.c), asked for with `NOTIFY=SUCCESS`:
//! the addresses under its heading were delivered or relayed, not failed.

use super::{listed::leading_address, text::find_ci, Action, Draft};

/// The heading of Sendmail's plain-text return receipt (savemail.c), asked for with
/// `NOTIFY=SUCCESS`: the addresses under it were delivered or relayed.
const RECEIPT_HEADING: &str = "following addresses had successful delivery notifications";

/// The addresses a return receipt lists under its heading, each a delivered draft (relayed
/// when its note says so: "(relayed to non-DSN-aware mailer)"); empty without the heading.
pub(crate) fn receipts(report: &str, foreign: &dyn Fn(&str) -> bool) -> Vec<Draft> {
    let Some(at) = find_ci(report, RECEIPT_HEADING) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for line in report.get(at..).unwrap_or("").lines().skip(1) {
        let t = line.trim();
        if t.is_empty() && out.is_empty() {
            continue;
        }
        if t.is_empty() || t.starts_with("-----") {
            break;
        }
        if let Some((addr, rest)) = leading_address(t).filter(|(a, _)| foreign(a)) {
            let relayed = find_ci(rest, "relayed").is_some();
            let mut d = Draft::new(Some(addr), Some(rest.to_string()));
            d.action = Some(if relayed {
                Action::Relayed
            } else {
                Action::Delivered
            });
            out.push(d);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::decode::listed::recipients;

    fn any(_: &str) -> bool {
        true
    }

    #[test]
    fn a_return_receipt_lists_delivered_addresses() {
        let r = "   ----- The following addresses had successful delivery notifications -----\nok@example.net  (relayed to non-DSN-aware mailer)\nin@example.org  (successfully delivered to mailbox)\n\n   ----- Transcript of session follows -----\nok@example.net... relayed; expect no further notifications\n";
        let d = receipts(r, &any);
        let got: Vec<_> = d
            .iter()
            .map(|d| (d.recipient.clone().unwrap_or_default(), d.action))
            .collect();
        assert_eq!(
            got,
            [
                ("ok@example.net".to_string(), Some(Action::Relayed)),
                ("in@example.org".to_string(), Some(Action::Delivered)),
            ]
        );
        assert!(recipients(r, &any).is_empty());
    }
}
