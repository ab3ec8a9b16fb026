//! Tests of `freetext`: reports without a known layout.
use super::*;

fn mail(subject: &str, body: &str) -> Mail {
    let raw = format!(
        "From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.org>\nTo: sender@example.com\nSubject: {subject}\n\n{body}"
    );
    Mail::parse(raw.as_bytes()).expect("a message")
}

#[test]
fn report_headings_do_not_cut_the_report() {
    // Sendmail's layout without a delivery-status part (sendmail: savemail.c headings).
    let m = mail(
        "Returned mail: see transcript for details",
        "The original message was received at Tue, 1 Dec 2026 04:00:00 +0000\n\n   ----- The following addresses had permanent fatal errors -----\n<rcpt@example.net>\n\n   ----- Transcript of session follows -----\n<rcpt@example.net>... Deferred: Connection timed out with mx.example.net.\nMessage could not be delivered for 5 days\n",
    );
    let d = parse(&m).expect("a record");
    assert_eq!(d[0].recipient.as_deref(), Some("rcpt@example.net"));
    let diag = d[0].diagnostic.as_deref().unwrap_or("");
    assert!(diag.contains("Connection timed out"), "{diag}");
}

#[test]
fn the_cause_may_follow_in_the_next_paragraph() {
    let m = mail(
        "Undeliverable mail",
        "Delivery to the following recipient failed permanently:\n\n    rcpt@example.net\n\nTechnical details of permanent failure:\n550 Relaying denied\n",
    );
    let d = parse(&m).expect("a record");
    let diag = d[0].diagnostic.as_deref().unwrap_or("");
    assert!(diag.contains("Relaying denied"), "{diag}");
}

#[test]
fn one_record_per_address_block() {
    let m = mail(
        "Delivery failure",
        "These addresses failed:\n\n<a@example.net>:\n550 5.1.1 User unknown\n\n<b@example.net>:\n552 5.2.2 Mailbox full\n",
    );
    let d = parse(&m).expect("records");
    let rcpts: Vec<_> = d.iter().filter_map(|d| d.recipient.as_deref()).collect();
    assert_eq!(rcpts, ["a@example.net", "b@example.net"]);
}

#[test]
fn a_subject_alone_needs_a_cause() {
    let raw = "From: Shop <orders@shop.example>\nTo: ken@example.org\nSubject: Delivery status of your order\n\nYour parcel is on its way. Questions: help@shop.example\n";
    let m = Mail::parse(raw.as_bytes()).expect("a message");
    assert!(parse(&m).is_none());
}

#[test]
fn a_help_address_is_not_the_recipient() {
    let m = mail(
        "Undeliverable mail",
        "For help, write to support@mx.example.org.\n\nYour message to rcpt@example.net was refused: 550 5.1.1 User unknown\n",
    );
    let d = parse(&m).expect("a record");
    assert_eq!(d[0].recipient.as_deref(), Some("rcpt@example.net"));
}

#[test]
fn the_copy_of_the_message_is_not_read() {
    let m = mail(
        "failure notice",
        "Your message to rcpt@example.net could not be delivered.\n\n----- Original message -----\nTo: other@example.org\nSubject: user unknown\n",
    );
    let d = parse(&m).expect("a record");
    assert_eq!(d[0].recipient.as_deref(), Some("rcpt@example.net"));
    let diag = d[0].diagnostic.as_deref().unwrap_or("");
    assert!(!diag.contains("user unknown"), "{diag}");
}

#[test]
fn a_person_who_cannot_deliver_a_report_is_not_a_bounce() {
    // Subjects a person writes ("unable to deliver", "error delivering") are no bounce
    // subjects: with words that name a cause and an address, they would be read as one.
    for subject in [
        "Unable to deliver the report today",
        "Error delivering message to the printer",
    ] {
        let raw = format!("From: Ann <ann@example.org>\nTo: ken@example.org\nSubject: {subject}\n\nThe mailbox quota exceeded on my side. Write to bob@example.org.\n");
        let m = Mail::parse(raw.as_bytes()).expect("a message");
        assert!(parse(&m).is_none(), "{subject}");
    }
}

#[test]
fn a_person_returning_a_message_is_not_a_bounce() {
    let raw = "From: Ann <ann@example.org>\nTo: ken@example.org\nSubject: Returned message about the loan\n\nHere is the book you lent me, ken@example.org. Thanks!\n";
    let m = Mail::parse(raw.as_bytes()).expect("a message");
    assert!(parse(&m).is_none());
}

#[test]
fn subjects_worded_unlike_the_usual_daemons_are_read() {
    // "Non Delivery Report", "Bounced mail", "Mail returned": a sender that is no daemon
    // address, so the subject decides, and the text must name a cause.
    for subject in [
        "Non Delivery Report",
        "Bounced mail: hello",
        "Mail returned",
        "Message not deliverable",
    ] {
        let raw = format!(
            "From: Gateway <gw@mx.example.org>\nTo: sender@example.com\nSubject: {subject}\n\nDelivery to rcpt@example.net failed: 550 5.1.1 User unknown\n"
        );
        let m = Mail::parse(raw.as_bytes()).expect("a message");
        let d = parse(&m).unwrap_or_else(|| panic!("{subject}: not read as a bounce"));
        assert_eq!(
            d[0].recipient.as_deref(),
            Some("rcpt@example.net"),
            "{subject}"
        );
    }
}

/// The failed address in the layouts notices use for it (a bullet, angle brackets,
/// `addr: reason`, Sendmail's `addr... reason`, a label, an SMTP transcript's RCPT line
/// answered by a refusal, a line after the failure words), each beside the same decoys:
/// a help line naming the postmaster, the notice's own addresses, and the returned
/// message's header quoted after the list. The same one recipient must come out.
#[test]
fn one_failed_address_in_many_layouts() {
    let layouts = [
        "The following recipient(s) could not be reached:\n\n  * rcpt@example.net\n    550 5.1.1 User unknown\n",
        "The following recipient(s) could not be reached:\n\n<rcpt@example.net>\n    550 5.1.1 User unknown\n",
        "I could not deliver your message to the following addresses:\n\nrcpt@example.net: 550 5.1.1 User unknown\n",
        "   ----- Transcript of session follows -----\nrcpt@example.net... User unknown (550 5.1.1)\n",
        "Your message could not be delivered.\n\nFailed recipient: <rcpt@example.net>\nReason: 550 5.1.1 User unknown\n",
        "SMTP session with mx.example.net:\n>>> MAIL FROM:<sender@example.com>\n<<< 250 2.1.0 Ok\n>>> RCPT TO:<rcpt@example.net>\n<<< 550 5.1.1 User unknown\n",
        "Failed to deliver to '<rcpt@example.net>'\nSMTP module reports: 550 5.1.1 User unknown\n",
        "1. rcpt@example.net\n   Delivery failed: 550 5.1.1 User unknown\n\nThe following recipient(s) could not be reached: see above.\n",
    ];
    for layout in layouts {
        let body = format!(
            "{layout}\nFor help, write to postmaster@mx.example.org.\n\n------ This is a copy of the message's headers. ------\n\nFrom: sender@example.com\nTo: rcpt@example.net, friend@example.org\nCc: boss@example.org\nSubject: hello\n"
        );
        let m = mail("Undeliverable: hello", &body);
        let d = parse(&m).unwrap_or_else(|| panic!("not read:\n{layout}"));
        let got: Vec<_> = d.iter().filter_map(|d| d.recipient.clone()).collect();
        assert_eq!(got, ["rcpt@example.net"], "layout:\n{layout}");
    }
}
