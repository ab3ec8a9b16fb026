//! `send --dry-run` and `send --test-to`: a campaign's copies rendered without the store,
//! either written out with their envelopes (no connection at all) or one of them sent to
//! a test address (one connection, nothing recorded).

use super::message::{self, Template};
use super::smtp::{Envelope, Session, TxResult};
use super::{csvlist, load_inputs, smtp_to, SendConfig, SendError};
use crate::verp;
use std::io::Write;
use std::path::Path;

/// What a dry run wrote.
#[derive(Debug, Default)]
pub struct DrySummary {
    pub rendered: usize,
    pub listed: usize,
    pub problems: Vec<String>,
    /// The DMARC alignment warning, if any.
    pub warning: Option<String>,
    /// Copies whose recipient needs a server that offers SMTPUTF8.
    pub need_smtputf8: usize,
}

/// One rendered copy: envelope and content (CRLF line ends, before dot-stuffing).
struct Copy {
    mail_from: String,
    rcpt_to: String,
    content: Vec<u8>,
}

/// Renders row `index` (0-based among the list's valid rows) as the campaign would, but
/// with identifiers of campaign number 0 (a real run derives them from the campaign's
/// number in the store, which a dry run does not open).
fn render(cfg: &SendConfig, template: &Template, row: &csvlist::ListRow, index: usize) -> Copy {
    let rid = index as i64 + 1;
    let domain = cfg
        .return_path
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let token = verp::token(&cfg.secret, 0, rid);
    let to = smtp_to(&row.email);
    let content = template.render(
        &row.fields,
        &to,
        &format!("rebound.dry-run.{rid}@{domain}"),
        &cfg.campaign,
        rid,
        &message::rfc5322_now(),
    );
    // The List-Unsubscribe links every real copy carries (tokens of campaign 0 too).
    let content = super::unsubscribe::links(
        &cfg.secret,
        &cfg.return_path,
        cfg.unsubscribe_url.as_deref(),
        0,
        rid,
    )
    .add_to(content);
    let return_path = verp::return_path(&cfg.return_path, &token);
    let utf8 = if to.is_ascii() { "" } else { " SMTPUTF8" };
    Copy {
        mail_from: format!("MAIL FROM:<{return_path}>{utf8}"),
        rcpt_to: format!("RCPT TO:<{to}>"),
        content,
    }
}

/// Renders the first `limit` copies (all without a limit) to `dir` (`NNNN.eml` and
/// `envelopes.txt`) or, without `dir`, to `out`. Opens neither the store nor a socket.
pub fn dry_run(
    cfg: &SendConfig,
    limit: Option<usize>,
    dir: Option<&Path>,
    out: &mut dyn Write,
) -> Result<DrySummary, SendError> {
    let (template, list) = load_inputs(&cfg.message, &cfg.recipients)?;
    let mut summary = DrySummary {
        listed: list.rows.len(),
        problems: list.problems.clone(),
        warning: super::dmarc_warning(&template, &cfg.return_path),
        ..DrySummary::default()
    };
    let io = |path: &Path, e: std::io::Error| SendError::Output {
        path: path.display().to_string(),
        why: e.to_string(),
    };
    let mut envelopes = String::new();
    if let Some(d) = dir {
        std::fs::create_dir_all(d).map_err(|e| io(d, e))?;
    }
    let n = limit.unwrap_or(usize::MAX).min(list.rows.len());
    for (i, row) in list.rows.iter().take(n).enumerate() {
        let copy = render(cfg, &template, row, i);
        if copy.mail_from.ends_with(" SMTPUTF8") {
            summary.need_smtputf8 += 1;
        }
        match dir {
            Some(d) => {
                let name = format!("{:04}.eml", i + 1);
                let path = d.join(&name);
                std::fs::write(&path, &copy.content).map_err(|e| io(&path, e))?;
                envelopes.push_str(&format!(
                    "{name}\tline {}\t{}\t{}\n",
                    row.line, copy.mail_from, copy.rcpt_to
                ));
            }
            None => {
                let head = format!(
                    "=== copy {} of {n} (list line {}) ===\n{}\n{}\n\n",
                    i + 1,
                    row.line,
                    copy.mail_from,
                    copy.rcpt_to
                );
                let shown = Path::new("standard output");
                out.write_all(head.as_bytes())
                    .and_then(|_| out.write_all(&copy.content))
                    .and_then(|_| out.write_all(b"\n"))
                    .map_err(|e| io(shown, e))?;
            }
        }
        summary.rendered += 1;
    }
    if let Some(d) = dir {
        let path = d.join("envelopes.txt");
        std::fs::write(&path, envelopes).map_err(|e| io(&path, e))?;
    }
    Ok(summary)
}

/// Sends the copy of row `row` (1-based among the list's valid rows) to `to`, with the
/// plain `--from` address as return path, and returns the server's answer. Nothing is
/// recorded: the store is not opened.
pub fn test_send(cfg: &SendConfig, to: &str, row: usize) -> Result<String, SendError> {
    let (template, list) = load_inputs(&cfg.message, &cfg.recipients)?;
    let fail = |why: String| SendError::TestSend {
        to: to.to_string(),
        why,
    };
    let r = list.rows.get(row.wrapping_sub(1)).ok_or_else(|| {
        fail(format!(
            "--test-row {row}: the list has {} valid rows",
            list.rows.len()
        ))
    })?;
    let wire_to = smtp_to(to);
    let domain = cfg
        .return_path
        .rsplit_once('@')
        .map_or("localhost", |(_, d)| d);
    let nonce = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let id = format!("rebound.test.{nonce}");
    let content = template.render(
        &r.fields,
        &wire_to,
        &format!("{id}@{domain}"),
        &cfg.campaign,
        0,
        &message::rfc5322_now(),
    );
    // The headers a real copy carries; the test copy's token names no recipient, so its
    // links are there to be seen, and change nothing when used.
    let content = super::unsubscribe::links(
        &cfg.secret,
        &cfg.return_path,
        cfg.unsubscribe_url.as_deref(),
        0,
        0,
    )
    .add_to(content);
    let mut session = Session::open(&cfg.server).map_err(|e| fail(e.to_string()))?;
    let env = Envelope {
        return_path: &cfg.return_path,
        recipient: &wire_to,
        envelope_id: &id,
    };
    let result = session.transaction(&env, &content, || Ok::<(), String>(()), None);
    session.quit();
    match result {
        TxResult::Accepted { reply } => Ok(reply),
        TxResult::Refused { stage, reply, .. } => {
            Err(fail(format!("refused at {}: {reply}", stage.command())))
        }
        TxResult::Broken { error, .. } => Err(fail(error)),
        TxResult::NotSent { reason } => Err(fail(reason)),
    }
}
