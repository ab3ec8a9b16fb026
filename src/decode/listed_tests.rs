//! Tests of `listed`: recipients listed under headings.
use super::*;

fn any(_: &str) -> bool {
    true
}

#[test]
fn failed_and_delayed_sections() {
    let r = "Delivery to the following recipients failed.\n\n   a@example.net\n   b@example.net\n\nDelivery to the following recipients has been delayed.\n\n   c@example.net\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d
        .iter()
        .map(|d| (d.recipient.clone().unwrap_or_default(), d.action))
        .collect();
    assert_eq!(
        got,
        [
            ("a@example.net".to_string(), None),
            ("b@example.net".to_string(), None),
            ("c@example.net".to_string(), Some(Action::Delayed)),
        ]
    );
}

#[test]
fn quoted_header_lines_and_running_text_are_not_listed() {
    let r = "Your message\n\n  To: ann@example.net; bob@example.net\n  Subject: lunch with ken@example.org\n\ndid not reach the following recipient(s):\n\nbob@example.net on Tue, 1 Dec 2026\n    The recipient name is not recognized\n\nPlease write to help@example.org.\n";
    let d = recipients(r, &any);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].recipient.as_deref(), Some("bob@example.net"));
    let diag = d[0].diagnostic.as_deref().unwrap_or("");
    assert!(diag.contains("not recognized"), "{diag}");
}

#[test]
fn list_marks_and_delivered_sections() {
    let r = "The following recipients were successfully delivered:\n  cc@example.org\n\nThe following recipients could not be reached:\n  * a@example.net -- User unknown\n  2. b@example.net: Mailbox full\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.as_deref()).collect();
    assert_eq!(got, ["a@example.net", "b@example.net"]);
}

#[test]
fn a_transcript_names_the_refused_recipients_only() {
    let r = "SMTP transcript:\n>>> RCPT TO:<a@example.net>\n<<< 550 5.1.1 <a@example.net>... User unknown\n>>> RCPT TO:<c@example.net>\n<<< 250 2.1.5 OK\n>>> RCPT TO:<b@example.net>\n<<< 552 5.2.2 Mailbox full\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.as_deref()).collect();
    assert_eq!(got, ["a@example.net", "b@example.net"]);
}

#[test]
fn sendmail_style_lines_need_no_heading() {
    let r = "Transcript:\n<a@example.net>... User unknown\nb@example.net... Mailbox full\nc@example.net\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.as_deref()).collect();
    assert_eq!(got, ["a@example.net", "b@example.net"]);
}

#[test]
fn nothing_without_a_heading() {
    let r = "a@example.net: 550 5.1.1 User unknown\n";
    assert!(recipients(r, &any).is_empty());
}

#[test]
fn a_delay_that_ended_in_failure_is_a_failure_heading() {
    let r = "Delivery to the following recipient was delayed too long and has failed:\n\n  a@example.net\n";
    let d = recipients(r, &any);
    assert_eq!(d.len(), 1);
    assert_eq!(d[0].action, None);
}

#[test]
fn sendmail_success_lines_are_not_failures() {
    // Sendmail's transcript (savemail.c, deliver.c): a failure and two addresses it
    // delivered or relayed, in its "a@b... text" layout.
    let r = "   ----- Transcript of session follows -----\nbad@example.net... User unknown\nok@example.net... Sent (Ok: queued as 4F3A2B1C)\nfar@example.org... relayed; expect no further notifications\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.clone()).collect();
    assert_eq!(got, ["bad@example.net"]);
}

#[test]
fn lines_quoted_with_a_mark_are_not_listed() {
    let r = "The following recipient(s) could not be reached:\n\n   rcpt@example.net\n   550 5.1.1 User unknown\n\nOriginal message:\n> From: sender@example.com\n> Cc: other@example.net\n>\n> bob@example.org wrote\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.clone()).collect();
    assert_eq!(got, ["rcpt@example.net"]);
}

#[test]
fn an_address_type_before_the_address_is_not_part_of_it() {
    // Post.Office's listing of unknown addresses: "SMTP <a@b>" per line.
    let r = "This Message was undeliverable due to the following reason:\n\nThe following destination addresses were unknown (please check\nthe addresses and re-mail the message):\n\nSMTP <rcpt@example.net>\nSMTP <rcpt2@example.net>\n\nPlease reply to Postmaster@mx.example.org\nif you feel this message to be in error.\n";
    let d = recipients(r, &any);
    let got: Vec<_> = d.iter().filter_map(|d| d.recipient.clone()).collect();
    assert_eq!(got, ["rcpt@example.net", "rcpt2@example.net"]);
}
