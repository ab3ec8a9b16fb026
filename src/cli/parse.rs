//! `rebound parse`: decode message files and print the facts.

use anyhow::Result;
use clap::ValueEnum;
use rebound::{decode, mailfiles, Bounce};
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

/// Decode bounce messages and print one fact per failed recipient.
///
/// PATH may be a message file (.eml), a directory (read recursively), a Maildir folder,
/// an mbox file, or `-` for standard input. A file that cannot be read is reported on
/// stderr and the others are still decoded; the exit code is 1 when any failed.
///
/// Examples:
///   rebound parse bounce.eml
///   rebound parse --format jsonl ~/Maildir/.Bounces
///   rebound parse --format csv bounces.mbox > facts.csv
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Message files, directories, Maildir folders, mbox files, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format (default: table on a terminal, jsonl otherwise).
    #[arg(long, short, value_enum)]
    format: Option<Format>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One row per fact, for people.
    Table,
    /// One JSON object per message: {"file": ..., "bounces": [...]}.
    Jsonl,
    /// One CSV row per fact, with a header row.
    Csv,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let mut csv_out = (format == Format::Csv).then(|| csv::Writer::from_writer(Vec::new()));
    if let Some(w) = csv_out.as_mut() {
        w.write_record(CSV_HEADER)?;
    }
    if format == Format::Table {
        writeln!(
            out,
            "{:<28} {:<32} {:<9} {:<7} {:<15} {:<5} DIAGNOSTIC",
            "FILE", "RECIPIENT", "ACTION", "STATUS", "REASON", "HARD"
        )?;
    }
    let mut failed = 0usize;
    let mut messages = 0usize;
    for entry in mailfiles::expand(&args.paths) {
        let path = match entry {
            Ok(p) => p,
            Err(e) => {
                eprintln!("rebound: {e}");
                failed += 1;
                continue;
            }
        };
        let msgs = match mailfiles::read(&path) {
            Ok(m) => m,
            Err(e) => {
                eprintln!("rebound: {e}");
                failed += 1;
                continue;
            }
        };
        for m in msgs {
            messages += 1;
            if m.bytes.is_empty() {
                eprintln!("rebound: '{}': empty file, not a message", m.name);
                failed += 1;
                continue;
            }
            let report = decode(&m.bytes);
            match format {
                Format::Jsonl => {
                    let line = serde_json::json!({"file": m.name, "bounces": report.bounces});
                    writeln!(out, "{line}")?;
                }
                Format::Table => {
                    for b in &report.bounces {
                        write_row(&mut out, &m.name, b)?;
                    }
                }
                Format::Csv => {
                    if let Some(w) = csv_out.as_mut() {
                        for b in &report.bounces {
                            w.write_record(csv_row(&m.name, b))?;
                        }
                    }
                }
            }
        }
    }
    if let Some(w) = csv_out.take() {
        out.write_all(&w.into_inner()?)?;
    }
    out.flush()?;
    if failed > 0 {
        eprintln!("rebound: {failed} of {messages} inputs failed");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

const CSV_HEADER: [&str; 14] = [
    "file",
    "recipient",
    "action",
    "status",
    "replycode",
    "reason",
    "hard",
    "feedback_type",
    "diagnostic_code",
    "remote_mta",
    "reporting_mta",
    "blocklist",
    "original_message_id",
    "evidence",
];

fn csv_row(file: &str, b: &Bounce) -> Vec<String> {
    vec![
        file.to_string(),
        b.recipient.clone().unwrap_or_default(),
        b.action.map(|a| a.as_str().to_string()).unwrap_or_default(),
        b.status.clone().unwrap_or_default(),
        b.replycode.clone().unwrap_or_default(),
        b.reason.to_string(),
        b.hard.to_string(),
        b.feedback_type.clone().unwrap_or_default(),
        b.diagnostic_code.clone().unwrap_or_default(),
        b.remote_mta.clone().unwrap_or_default(),
        b.reporting_mta.clone().unwrap_or_default(),
        b.blocklist
            .as_ref()
            .map(|l| l.list.clone())
            .unwrap_or_default(),
        b.keys.original_message_id.clone().unwrap_or_default(),
        format!("{}: {}", b.evidence.module, b.evidence.rule),
    ]
}

fn cut(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        let mut t: String = s.chars().take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

fn write_row(out: &mut impl Write, file: &str, b: &Bounce) -> std::io::Result<()> {
    let name = std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    // Control characters from a hostile message must not reach the terminal.
    let diag: String = b
        .diagnostic_code
        .as_deref()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    writeln!(
        out,
        "{:<28} {:<32} {:<9} {:<7} {:<15} {:<5} {}",
        cut(&name, 28),
        cut(b.recipient.as_deref().unwrap_or("-"), 32),
        b.action.map(|a| a.as_str()).unwrap_or("-"),
        b.status.as_deref().unwrap_or("-"),
        b.reason.as_str(),
        if b.hard { "hard" } else { "soft" },
        cut(&diag, 80)
    )
}
