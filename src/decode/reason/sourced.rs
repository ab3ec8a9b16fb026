//! Wording from its sources: phrases taken from where the text of a bounce is written (the
//! MTAs' own message texts, the providers' published error catalogs, the RFCs' status
//! texts), each with a short tag naming that source, so that coverage is a property of the
//! table and not of the sample messages. They join the phrases of `phrases::TABLE` in one
//! automaton and take their reason's precedence there.
//!
//! Source tags: `postfix:<program>`, `exim:<part>`, `sendmail:<file>`, `qmail:<program>`,
//! `courier`, `notes:router` (Lotus Notes/Domino), `opensmtpd`, `dovecot:lda`, `rfc3463`,
//! `rfc5248`, `rfc7372`, `rfc5321`,
//! `gmail-catalog` (Google's "Gmail SMTP errors and codes"), `ms365-ndr` (Microsoft's
//! "Email non-delivery reports and SMTP errors in Exchange Online" by enhanced code),
//! `yahoo` (postmaster error codes), `icloud`, `outlook.com`, `aol`, `comcast`, `orange`,
//! `gmx`, `mailru`, `yandex`, `tencent`, `netease`; `post.office` (Software.com's Post.Office
//! MTA); `generic-mta` for a wording that many
//! MTAs share (an RFC 5321 reply text variant) and that no single source owns;
//! `sisimai:<reason>` for a wording class as Sisimai's reason modules list it (read as a
//! fact of usage, the wording of many MTAs and providers gathered in one place).

use super::Reason;

/// One phrase (lower case, white space squeezed) and where its wording comes from.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Wording {
    pub reason: Reason,
    pub phrase: &'static str,
    pub source: &'static str,
}

const fn w(reason: Reason, phrase: &'static str, source: &'static str) -> Wording {
    Wording {
        reason,
        phrase,
        source,
    }
}

use Reason::*;

/// The sourced phrases, grouped by reason. Order inside the table does not matter: a
/// reason's precedence is its place in `phrases::TABLE` and in `decide`'s passes.
pub(crate) static SOURCED: &[Wording] = &[
    // Queue lifetime reached: the MTA gave up retrying.
    w(Expired, "cannot send message for", "sendmail:savemail"),
    w(
        Expired,
        "message could not be delivered for",
        "sendmail:savemail",
    ),
    w(
        Expired,
        "could not send message for past",
        "sendmail:savemail",
    ),
    w(Expired, "have been failing for a long time", "exim:retry"),
    w(Expired, "retry time exceeded", "generic-mta"),
    w(Expired, "in the queue for too long", "generic-mta"),
    w(Expired, "message has expired", "generic-mta"),
    w(Expired, "delivery time exceeded", "generic-mta"),
    w(Expired, "maximum queue time", "generic-mta"),
    w(Expired, "message expired, connection", "ms365-ndr"),
    w(Expired, "message delayed and expired", "ms365-ndr"),
    w(Expired, "delivery expired", "ms365-ndr"),
    w(
        Expired,
        "unable to deliver this message in the allotted time",
        "generic-mta",
    ),
    // The local part does not exist (address-level, hard): only exact verdict texts.
    w(
        UserUnknown,
        "recipient not found by smtp address lookup",
        "ms365-ndr",
    ),
    w(UserUnknown, "recipnotfound", "ms365-ndr"),
    w(
        UserUnknown,
        "user unknown in virtual alias table",
        "postfix:smtpd",
    ),
    w(
        UserUnknown,
        "user unknown in relay recipient table",
        "postfix:smtpd",
    ),
    w(UserUnknown, "mailbox not found or access denied", "tencent"),
    w(UserUnknown, "no such address", "generic-mta"),
    w(UserUnknown, "unknown user account", "generic-mta"),
    w(UserUnknown, "recipient address is invalid", "generic-mta"),
    w(
        UserUnknown,
        "destination addresses were unknown",
        "post.office",
    ),
    // Lotus Notes' router: "User not listed in public Name & Address Book" (its
    // "listed in" is no blocklist)
    w(
        UserUnknown,
        "not listed in public name & address book",
        "notes:router",
    ),
    // The domain does not exist.
    w(HostUnknown, "unknown mail domain", "generic-mta"),
    w(HostUnknown, "no such host", "generic-mta"),
    w(HostUnknown, "domain lookup failed", "ms365-ndr"),
    // Exim's own texts, also when another MTA or a gateway quotes them.
    w(
        HostUnknown,
        "all host address lookups failed permanently",
        "exim:host",
    ),
    w(NotAccept, "indicated no smtp service", "exim:dnslookup"),
    w(
        HostUnknown,
        "couldn't find any host named",
        "qmail:qmail-remote",
    ),
    w(
        HostUnknown,
        "couldn't find any host by that name",
        "qmail:qmail-remote",
    ),
    w(
        HostUnknown,
        "couldn't find a mail exchanger or ip address",
        "qmail:qmail-remote",
    ),
    // Relaying refused.
    w(
        NoRelaying,
        "isn't in my list of allowed rcpthosts",
        "qmail:qmail-smtpd",
    ),
    w(
        NoRelaying,
        "not in my list of allowed rcpthosts",
        "qmail:qmail-smtpd",
    ),
    w(NoRelaying, "relaying to", "sendmail:srvrsmtp"),
    w(NoRelaying, "relay access is denied", "generic-mta"),
    // The account exists but is disabled or suspended (RFC 3463 x.2.1, Gmail 5.2.1).
    w(Suspend, "mailbox has been disabled", "generic-mta"),
    w(
        Suspend,
        "mailbox disabled for this recipient",
        "sendmail:srvrsmtp",
    ),
    w(Suspend, "account has been deactivated", "generic-mta"),
    w(Suspend, "account is deactivated", "generic-mta"),
    w(Suspend, "mailbox is deactivated", "generic-mta"),
    w(Suspend, "user is inactive", "generic-mta"),
    w(Suspend, "account is blocked", "generic-mta"),
    w(Suspend, "mailbox is blocked", "mailru"),
    // The mailbox is full (RFC 3463 x.2.2).
    w(MailboxFull, "out of storage space", "gmail-catalog"),
    w(MailboxFull, "inbox is full", "generic-mta"),
    w(MailboxFull, "over the quota", "generic-mta"),
    w(MailboxFull, "exceeded the quota", "generic-mta"),
    w(MailboxFull, "quota full", "generic-mta"),
    w(MailboxFull, "mailbox size limit", "postfix:local"),
    w(MailboxFull, "user has too many messages", "generic-mta"),
    w(MailboxFull, "mailbox for user is full", "dovecot:lda"),
    // The destination's storage is full (RFC 3463 x.3.1, RFC 5321 452).
    w(SystemFull, "file system full", "generic-mta"),
    w(SystemFull, "filesystem full", "generic-mta"),
    w(SystemFull, "mail system storage", "generic-mta"),
    // Too large for the destination (RFC 3463 x.3.4, RFC 5321 552).
    w(MesgTooBig, "maximum message size", "generic-mta"),
    w(MesgTooBig, "message is larger than", "generic-mta"),
    w(MesgTooBig, "exceeds the size limit", "generic-mta"),
    w(MesgTooBig, "exceeds the message size", "generic-mta"),
    w(
        MesgTooBig,
        "exceeded google's message size",
        "gmail-catalog",
    ),
    w(MesgTooBig, "message size limits", "gmail-catalog"),
    w(MesgTooBig, "email is too large", "generic-mta"),
    w(MesgTooBig, "mail too large", "generic-mta"),
    w(MesgTooBig, "too large for", "generic-mta"),
    w(MesgTooBig, "too big for", "generic-mta"),
    w(MesgTooBig, "message size exceeded", "generic-mta"),
    // Sender authentication (RFC 7372 x.7.20-x.7.26; SPF RFC 7208, DKIM 6376, DMARC 7489).
    w(AuthFailure, "dkim signature found", "rfc7372"),
    w(
        AuthFailure,
        "multiple authentication checks failed",
        "rfc7372",
    ),
    w(AuthFailure, "spf validation error", "rfc7372"),
    w(
        AuthFailure,
        "fails to pass authentication checks",
        "gmail-catalog",
    ),
    w(
        AuthFailure,
        "does not have authentication information",
        "gmail-catalog",
    ),
    w(AuthFailure, "does not pass dmarc", "ms365-ndr"),
    w(AuthFailure, "dmarc verification", "ms365-ndr"),
    w(AuthFailure, "spf check", "generic-mta"),
    w(AuthFailure, "failed spf", "generic-mta"),
    w(AuthFailure, "fails spf", "generic-mta"),
    w(AuthFailure, "dkim fail", "generic-mta"),
    w(AuthFailure, "failed dkim", "generic-mta"),
    w(AuthFailure, "dkim check", "generic-mta"),
    w(AuthFailure, "dmarc fail", "generic-mta"),
    w(AuthFailure, "dmarc check", "generic-mta"),
    w(AuthFailure, "dmarc reject", "generic-mta"),
    // The sending IP has no (matching) PTR record (RFC 7372 x.7.25).
    w(RequirePtr, "reverse dns validation failed", "rfc7372"),
    w(RequirePtr, "reverse hostname", "postfix:smtpd"),
    w(RequirePtr, "does not have a ptr", "gmail-catalog"),
    w(RequirePtr, "ptr lookup", "generic-mta"),
    // The sending IP is refused (Microsoft 5.7.606-649, 5.7.750).
    w(Blocked, "banned sending ip", "ms365-ndr"),
    w(Blocked, "traffic not accepted from this ip", "ms365-ndr"),
    w(
        Blocked,
        "blocked from sending from unregistered domains",
        "ms365-ndr",
    ),
    w(Blocked, "on our block list", "outlook.com"),
    w(Blocked, "block list", "generic-mta"),
    w(Blocked, "blocklist", "generic-mta"),
    // The sending IP's reputation (Yahoo's TS/TSS deferrals, RFC 7372-era x.7.28).
    w(
        BadReputation,
        "unexpected volume or user complaints",
        "yahoo",
    ),
    w(BadReputation, "user complaints", "yahoo"),
    w(
        BadReputation,
        "unusual rate of unsolicited mail",
        "gmail-catalog",
    ),
    // The sender (envelope from) is refused.
    w(Rejected, "bad outbound sender", "ms365-ndr"),
    w(Rejected, "banned sender", "ms365-ndr"),
    w(Rejected, "sender address is rejected", "generic-mta"),
    w(Rejected, "sender is rejected", "generic-mta"),
    // Rejected as spam.
    w(SpamDetected, "as spam", "generic-mta"),
    w(SpamDetected, "spam filter", "generic-mta"),
    w(SpamDetected, "spam probability", "generic-mta"),
    w(SpamDetected, "spam abuse detected", "ms365-ndr"),
    w(SpamDetected, "characteristics of spam", "yahoo"),
    w(SpamDetected, "characteristics indicative of spam", "yahoo"),
    // Rate limits and connection limits.
    w(Speeding, "at a rate that prevents", "gmail-catalog"),
    w(Speeding, "too quickly", "gmail-catalog"),
    w(Speeding, "submission rate", "ms365-ndr"),
    w(Speeding, "too much mail from", "postfix:smtpd"),
    w(TooManyConn, "too many open connections", "generic-mta"),
    w(TooManyConn, "maximum number of connections", "generic-mta"),
    w(TooManyConn, "too many connections from", "postfix:smtpd"),
    w(
        TooManyConn,
        "too many concurrent smtp connections",
        "generic-mta",
    ),
    // Not RFC 5322 compliant.
    w(NotCompliantRfc, "multiple from headers", "gmail-catalog"),
    w(
        NotCompliantRfc,
        "missing a valid address in from: header",
        "gmail-catalog",
    ),
    w(
        NotCompliantRfc,
        "missing a valid message-id",
        "gmail-catalog",
    ),
    w(NotCompliantRfc, "section 3.6", "ms365-ndr"),
    w(NotCompliantRfc, "not rfc compliant", "generic-mta"),
    w(NotCompliantRfc, "not rfc-compliant", "generic-mta"),
    // Policy.
    w(PolicyViolation, "blocked by policy", "generic-mta"),
    w(PolicyViolation, "violates our", "generic-mta"),
    // Virus.
    w(VirusDetected, "malware detected", "generic-mta"),
    w(VirusDetected, "contains malware", "generic-mta"),
    // The destination's own system failed.
    w(SystemError, "temporary local problem", "exim:smtp_in"),
    w(SystemError, "local configuration error", "generic-mta"),
    // The local delivery program failed.
    w(MailerError, "command time limit exceeded", "postfix:pipe"),
    w(
        MailerError,
        "unable to run qmail-local",
        "qmail:qmail-lspawn",
    ),
    w(MailerError, "delivery program", "generic-mta"),
    // "Child process of address_pipe transport returned 1 from command: ..."
    w(MailerError, "child process of", "exim:pipe"),
    // Providers' published codes and texts.
    w(RequirePtr, "must have a ptr record", "comcast"),
    w(RequirePtr, "valid reverse dns entry", "comcast"),
    w(Rejected, "sender address is not allowed", "gmx"),
    w(Blocked, "black list", "mailru"),
    w(SpamDetected, "suspicion of spam", "yandex"),
    w(Speeding, "ip frequency limited", "tencent"),
    w(Speeding, "domain frequency limited", "tencent"),
    w(TooManyConn, "connection frequency limited", "tencent"),
    w(SpamDetected, "dt:spm", "netease"),
    w(AuthFailure, "mi:spf", "netease"),
    w(AuthFailure, "mi:dma", "netease"),
    w(TooManyConn, "hl:icc", "netease"),
    w(Speeding, "hl:ifc", "netease"),
    w(Blocked, "dynamically-assigned", "outlook.com"),
    w(
        Speeding,
        "limits for how many messages can be sent",
        "outlook.com",
    ),
    w(
        PolicyViolation,
        "does not allow external forwarding",
        "ms365-ndr",
    ),
    w(
        SecurityError,
        "not authenticated to send anonymous mail",
        "ms365-ndr",
    ),
    w(MailboxFull, "quotaexceededexception", "ms365-ndr"),
    w(SystemError, "temporary system problem", "gmail-catalog"),
    w(Blocked, "ip not in whitelist", "gmail-catalog"),
    w(
        PolicyViolation,
        "has a policy that prohibited the mail",
        "gmail-catalog",
    ),
    w(AuthFailure, "this mail is unauthenticated", "gmail-catalog"),
    w(
        HostUnknown,
        "weren't able to find the recipient domain",
        "gmail-catalog",
    ),
    w(ContentError, "message is malformed", "gmail-catalog"),
    w(
        SpamDetected,
        "suspicious due to the nature of the content",
        "gmail-catalog",
    ),
    // Wording classes as Sisimai's reason modules list them (its Perl/Go code, read for
    // the facts of which wording MTAs and providers use for which cause).
    w(Expired, "failed to deliver to domain", "sisimai:expired"),
    w(
        Expired,
        "was not reachable within the allowed queue period",
        "sisimai:expired",
    ),
    w(
        Expired,
        "your message could not be delivered for more than",
        "sisimai:expired",
    ),
    w(Expired, "could not find a gateway for", "sisimai:expired"),
    w(NoRelaying, "as a relay", "sisimai:norelaying"),
    w(NoRelaying, "not local host", "sisimai:norelaying"),
    w(NoRelaying, "not an open relay", "sisimai:norelaying"),
    w(NoRelaying, "we don't handle mail for", "sisimai:norelaying"),
    w(
        NoRelaying,
        "requires authentication when attempting to send to a non-local",
        "sisimai:norelaying",
    ),
    w(MailboxFull, "disc quota exceeded", "sisimai:mailboxfull"),
    w(MailboxFull, "diskspace quota", "sisimai:mailboxfull"),
    w(
        MailboxFull,
        "does not have enough space",
        "sisimai:mailboxfull",
    ),
    w(
        MailboxFull,
        "exceeding its mailbox quota",
        "sisimai:mailboxfull",
    ),
    w(MailboxFull, "over disk quota", "sisimai:mailboxfull"),
    w(
        MailboxFull,
        "mail file size exceeds the maximum size allowed for mail delivery",
        "sisimai:mailboxfull",
    ),
    w(
        MailboxFull,
        "mailbox exceeded the local limit",
        "sisimai:mailboxfull",
    ),
    w(
        MailboxFull,
        "not sufficient disk space",
        "sisimai:mailboxfull",
    ),
    w(
        MailboxFull,
        "recipient reached disk quota",
        "sisimai:mailboxfull",
    ),
    w(MailboxFull, "space has been used up", "sisimai:mailboxfull"),
    w(MailboxFull, "too much mail data", "sisimai:mailboxfull"),
    w(MailboxFull, "over the allowed quota", "sisimai:mailboxfull"),
    w(Suspend, "has been suspended", "sisimai:suspend"),
    w(Suspend, "deactivated mailbox", "sisimai:suspend"),
    w(Suspend, "user is terminated", "sisimai:suspend"),
    w(Suspend, "temporarily inactive", "sisimai:suspend"),
    w(Suspend, "suspend the service", "sisimai:suspend"),
    w(Suspend, "disabled or discontinued", "sisimai:suspend"),
    w(Suspend, "user or domain is disabled", "sisimai:suspend"),
    w(Rejected, "batv", "sisimai:rejected"),
    w(Rejected, "bogus mail from", "sisimai:rejected"),
    w(Rejected, "badmailfrom list", "sisimai:rejected"),
    w(Rejected, "envelope blocked", "sisimai:rejected"),
    w(Rejected, "no third-party dsns", "sisimai:rejected"),
    w(Rejected, "mail from not owned by user", "sisimai:rejected"),
    w(
        Rejected,
        "returned mail not accepted here",
        "sisimai:rejected",
    ),
    w(Rejected, "sender is spammer", "sisimai:rejected"),
    w(Rejected, "sender not pre-approved", "sisimai:rejected"),
    w(
        Rejected,
        "sender email address rejected",
        "sisimai:rejected",
    ),
    w(Rejected, "unroutable sender address", "sisimai:rejected"),
    w(
        Rejected,
        "this server does not accept mail from",
        "sisimai:rejected",
    ),
    w(
        Rejected,
        "not allowed to post to this mailing list",
        "sisimai:rejected",
    ),
    w(
        Rejected,
        "fully qualified email address required",
        "sisimai:rejected",
    ),
    w(Blocked, "bad sender ip address", "sisimai:blocked"),
    w(
        Blocked,
        "dynamic/zombied/spam ips blocked",
        "sisimai:blocked",
    ),
    w(Blocked, "extreme bad ip profile", "sisimai:blocked"),
    w(Blocked, "host network not allowed", "sisimai:blocked"),
    w(Blocked, "hosts with dynamic ip", "sisimai:blocked"),
    w(Blocked, "is in a black list", "sisimai:blocked"),
    w(
        Blocked,
        "not currently accepting mail from your ip",
        "sisimai:blocked",
    ),
    w(Blocked, "rejecting open proxy", "sisimai:blocked"),
    w(Blocked, "sender ip address rejected", "sisimai:blocked"),
    w(
        Blocked,
        "server access forbidden by your ip",
        "sisimai:blocked",
    ),
    w(
        Blocked,
        "looks suspiciously like spammer",
        "sisimai:blocked",
    ),
    w(Blocked, "too many spams from your ip", "sisimai:blocked"),
    w(
        Blocked,
        "unwanted messages have been sent from the following ip",
        "sisimai:blocked",
    ),
    w(Blocked, "was blocked by", "sisimai:blocked"),
    w(Blocked, "mail from dynamic ips", "sisimai:blocked"),
    w(Blocked, "your ip address is listed", "sisimai:blocked"),
    w(Blocked, "temporary blacklisted", "sisimai:blocked"),
    w(
        Blocked,
        "your server requires confirmation",
        "sisimai:blocked",
    ),
    w(Blocked, "confirm this mail server", "sisimai:blocked"),
    w(Blocked, "access from ip address", "sisimai:blocked"),
    w(
        Blocked,
        "invalid ip for sending mail of domain",
        "sisimai:blocked",
    ),
    w(Blocked, "refused - see http", "sisimai:blocked"),
    w(Blocked, "rejected - see http", "sisimai:blocked"),
    w(Blocked, "blocked - see http", "sisimai:blocked"),
    w(
        RequirePtr,
        "cannot resolve your address",
        "sisimai:requireptr",
    ),
    w(RequirePtr, "fix reverse dns", "sisimai:requireptr"),
    w(RequirePtr, "custom reverse dns", "sisimai:requireptr"),
    w(RequirePtr, "reverse dns failed", "sisimai:requireptr"),
    w(RequirePtr, "reverse dns required", "sisimai:requireptr"),
    w(
        RequirePtr,
        "sender ip reverse lookup rejected",
        "sisimai:requireptr",
    ),
    w(
        RequirePtr,
        "forward dns entry does not point to the sending ip",
        "sisimai:requireptr",
    ),
    w(
        RequirePtr,
        "unresolvable relay host name",
        "sisimai:requireptr",
    ),
    w(RequirePtr, "generic dns ptr-records", "sisimai:requireptr"),
    w(SpamDetected, "probable spam", "sisimai:spamdetected"),
    w(SpamDetected, "spam blocked", "sisimai:spamdetected"),
    w(SpamDetected, "spam check", "sisimai:spamdetected"),
    w(SpamDetected, "spam email", "sisimai:spamdetected"),
    w(SpamDetected, "spam not accepted", "sisimai:spamdetected"),
    w(SpamDetected, "spam refused", "sisimai:spamdetected"),
    w(SpamDetected, "spam rejection", "sisimai:spamdetected"),
    w(SpamDetected, "spamming not allowed", "sisimai:spamdetected"),
    w(SpamDetected, "spam complaints", "sisimai:spamdetected"),
    w(SpamDetected, "too much spam", "sisimai:spamdetected"),
    w(SpamDetected, "appears to be spam", "sisimai:spamdetected"),
    w(SpamDetected, "looked like spam", "sisimai:spamdetected"),
    w(SpamDetected, "similar to spam", "sisimai:spamdetected"),
    w(SpamDetected, "spam-like", "sisimai:spamdetected"),
    w(SpamDetected, "is probably spam", "sisimai:spamdetected"),
    w(SpamDetected, "antispam checks", "sisimai:spamdetected"),
    w(
        SpamDetected,
        "triggered a spam block",
        "sisimai:spamdetected",
    ),
    w(SpamDetected, "spam contents", "sisimai:spamdetected"),
    w(SpamDetected, "unacceptable content", "sisimai:spamdetected"),
    w(SpamDetected, "spam list", "sisimai:spamdetected"),
    w(SpamDetected, "bulk email", "sisimai:spamdetected"),
    w(SpamDetected, "bulk.advertising", "sisimai:spamdetected"),
    w(
        SpamDetected,
        "rejecting banned content",
        "sisimai:spamdetected",
    ),
    w(SpamDetected, "mail content denied", "sisimai:spamdetected"),
    w(
        SpamDetected,
        "recurrent pattern detection",
        "sisimai:spamdetected",
    ),
    w(SpamDetected, "uribl", "sisimai:spamdetected"),
    w(SpamDetected, "blacklisted url", "sisimai:spamdetected"),
    w(SpamDetected, "spam/virus content", "sisimai:spamdetected"),
    w(
        SpamDetected,
        "appears to be unsolicited",
        "sisimai:spamdetected",
    ),
    w(
        PolicyViolation,
        "closed mailing list",
        "sisimai:policyviolation",
    ),
    w(
        PolicyViolation,
        "security policies",
        "sisimai:policyviolation",
    ),
    w(
        PolicyViolation,
        "organizational settings",
        "sisimai:policyviolation",
    ),
    w(
        PolicyViolation,
        "organization policy",
        "sisimai:policyviolation",
    ),
    w(
        PolicyViolation,
        "not subscribed to this group",
        "sisimai:policyviolation",
    ),
    w(PolicyViolation, "mass mailer", "sisimai:policyviolation"),
    w(
        PolicyViolation,
        "containing images or other attachments",
        "sisimai:policyviolation",
    ),
    w(
        PolicyViolation,
        "not accepting mail with",
        "sisimai:policyviolation",
    ),
    w(
        ContentError,
        "improperly-formatted binary content",
        "sisimai:contenterror",
    ),
    w(ContentError, "invalid mime headers", "sisimai:contenterror"),
    w(
        ContentError,
        "unnecessary base64 encoding",
        "sisimai:contenterror",
    ),
    w(ContentError, "mime complexity", "sisimai:contenterror"),
    w(TooManyConn, "connection rate limit", "sisimai:toomanyconn"),
    w(
        TooManyConn,
        "per-domain connection limit",
        "sisimai:toomanyconn",
    ),
    w(TooManyConn, "max emails per hour", "sisimai:toomanyconn"),
    w(TooManyConn, "throttling failure", "sisimai:toomanyconn"),
    w(
        TooManyConn,
        "too many errors from your ip",
        "sisimai:toomanyconn",
    ),
    w(TooManyConn, "trop de connexions", "sisimai:toomanyconn"),
    w(
        TooManyConn,
        "maximum connection limit",
        "sisimai:toomanyconn",
    ),
    w(Speeding, "temporarily rate limited", "sisimai:speeding"),
    w(Speeding, "try again slower", "sisimai:speeding"),
    w(
        Speeding,
        "too many messages in this connection",
        "sisimai:speeding",
    ),
    w(SystemError, "forwarding loop broken", "sisimai:systemerror"),
    w(
        SystemError,
        "can't create user output file",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "internal error reading data",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "interrupted system call",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "encountered an error while being processed",
        "sisimai:systemerror",
    ),
    w(SystemError, "create a mail loop", "sisimai:systemerror"),
    w(
        SystemError,
        "local error in processing",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "loop was found in the mail exchanger",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "mail system configuration error",
        "sisimai:systemerror",
    ),
    w(
        SystemError,
        "timeout waiting for input",
        "sisimai:systemerror",
    ),
    w(MailerError, "command failed:", "sisimai:mailererror"),
    w(MailerError, "bin/maildrop", "sisimai:mailererror"),
    w(
        NetworkError,
        "dns records for the destination computer could not be found",
        "sisimai:networkerror",
    ),
    w(
        NetworkError,
        "host not found, try again",
        "sisimai:networkerror",
    ),
    w(NetworkError, "mail forwarding loop", "sisimai:networkerror"),
    w(
        NetworkError,
        "maximum forwarding loop count",
        "sisimai:networkerror",
    ),
    w(NetworkError, "message looping", "sisimai:networkerror"),
    w(
        NetworkError,
        "message routing error",
        "sisimai:networkerror",
    ),
    w(
        NetworkError,
        "unable to resolve route",
        "sisimai:networkerror",
    ),
    w(
        Filtered,
        "only accepting mail from specific email addresses",
        "sisimai:filtered",
    ),
    w(Filtered, "recipient's policy", "sisimai:filtered"),
    w(Filtered, "receiver's policy", "sisimai:filtered"),
    w(Filtered, "user rules", "sisimai:filtered"),
    w(Filtered, "recipient preferences", "sisimai:filtered"),
    w(Filtered, "this account is protected by", "sisimai:filtered"),
    w(Filtered, "refuse to receive mail", "sisimai:filtered"),
    w(Filtered, "blocked by the recipient", "sisimai:filtered"),
    w(
        VirusDetected,
        "this form of attachment has been blocked",
        "sisimai:virusdetected",
    ),
    w(VirusDetected, "prohibited virus", "sisimai:virusdetected"),
    w(
        BadReputation,
        "rate limited due to ip reputation",
        "sisimai:badreputation",
    ),
    w(
        BadReputation,
        "reputation problems",
        "sisimai:badreputation",
    ),
    w(
        BadReputation,
        "very low reputation",
        "sisimai:badreputation",
    ),
    w(
        BadReputation,
        "sending mta's poor reputation",
        "sisimai:badreputation",
    ),
    w(
        BadReputation,
        "sender ip reputation",
        "sisimai:badreputation",
    ),
    w(
        BadReputation,
        "blocked due to low reputation",
        "sisimai:badreputation",
    ),
    w(
        AuthFailure,
        "inspect your spf settings",
        "sisimai:authfailure",
    ),
    w(
        SecurityError,
        "you don't authenticate or the domain isn't in my list of allowed rcpthosts",
        "sisimai:securityerror",
    ),
    w(
        SecurityError,
        "sender is not authenticated",
        "sisimai:securityerror",
    ),
    w(
        SecurityError,
        "authentication is required",
        "sisimai:securityerror",
    ),
    w(
        SecurityError,
        "authentication turned on in your email client",
        "sisimai:securityerror",
    ),
    w(
        SecurityError,
        "account not subscribed to ses",
        "sisimai:securityerror",
    ),
    w(
        SecurityError,
        "executable files are not allowed in compressed files",
        "sisimai:securityerror",
    ),
];

/// Words too weak to decide alone that name the cause of an x.7 refusal (RFC 3463 x.7:
/// security or policy status): read only when the status is 4.7.x or 5.7.x and no phrase
/// decided, before the class alone gives `securityerror`. In order: the first match wins.
pub(crate) static X7_WORDS: &[(&str, Reason)] = &[
    ("dmarc", AuthFailure),
    ("dkim", AuthFailure),
    ("spf", AuthFailure),
    ("virus", VirusDetected),
    ("spam", SpamDetected),
    ("rfc 5322", NotCompliantRfc),
    ("rfc5322", NotCompliantRfc),
    ("rfc 822", NotCompliantRfc),
    ("reputation", BadReputation),
    ("ptr", RequirePtr),
    ("blacklist", Blocked),
    ("listed", Blocked),
    ("relay", NoRelaying),
    ("suspended", Suspend),
    ("disabled", Suspend),
    ("sender", Rejected),
    ("policy", PolicyViolation),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_entry_is_lower_case_tagged_and_unique() {
        let mut seen = std::collections::BTreeSet::new();
        for e in SOURCED {
            assert_eq!(e.phrase, e.phrase.to_ascii_lowercase(), "{}", e.phrase);
            assert!(!e.source.is_empty(), "{} has no source", e.phrase);
            assert!(seen.insert(e.phrase), "{} twice", e.phrase);
        }
        assert!(SOURCED.len() > 100);
        // A sourced phrase is new wording: the untagged table does not hold it already.
        for (_, phrases) in super::super::phrases::TABLE {
            for p in phrases.iter() {
                assert!(!seen.contains(p), "{p} is in both tables");
            }
        }
        // Every reason of a sourced phrase has a place in the precedence table.
        for e in SOURCED {
            assert!(
                super::super::phrases::TABLE
                    .iter()
                    .any(|(r, _)| *r == e.reason),
                "{} has no rank",
                e.reason
            );
        }
    }
}
