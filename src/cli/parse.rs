//! `rebound parse`: decode message files and print the facts.

use anyhow::Result;
use clap::ValueEnum;
use rebound::{decode, decode::MAX_PARSE, mailfiles, Bounce};
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
///   rebound parse bounces.mbox -o facts.csv          # the format from the extension
///   rebound parse --format sisimai ~/Maildir/.Bounces   # Sisimai's JSON field names
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// Message files, directories, Maildir folders, mbox files, or `-` for stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Output format [default: from the --output file's extension (.csv, .jsonl), else
    /// table on a terminal and jsonl when piped].
    #[arg(long, short, value_enum)]
    format: Option<Format>,
    /// Write here instead of standard output.
    #[arg(long, short, value_name = "PATH")]
    output: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    /// One row per fact, for people.
    Table,
    /// One JSON object per message: {"file": ..., "bounces": [...]}.
    Jsonl,
    /// One CSV row per fact, with a header row.
    Csv,
    /// One JSON array of every fact under Sisimai's field names (its `dump` format).
    Sisimai,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let by_extension = super::format::by_extension(args.output.as_deref());
    let format = args.format.or(by_extension).unwrap_or(
        if args.output.is_none() && std::io::stdout().is_terminal() {
            Format::Table
        } else {
            Format::Jsonl
        },
    );
    let sink: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(
            std::fs::File::create(p)
                .map_err(|e| anyhow::anyhow!("cannot write '{}': {e}", p.display()))?,
        ),
        None => Box::new(std::io::stdout().lock()),
    };
    let mut out = Output {
        format,
        text: std::io::BufWriter::new(sink),
        csv: None,
        records: 0,
    };
    match format {
        Format::Csv => {
            let mut w = rebound::csvcell::Writer::from_writer(std::mem::replace(
                &mut out.text,
                std::io::BufWriter::new(Box::new(std::io::sink())),
            ));
            w.write_record(CSV_HEADER)?;
            out.csv = Some(w);
        }
        Format::Sisimai => out.text.write_all(b"[")?,
        Format::Table => writeln!(
            out.text,
            "{:<28} {:<32} {:<9} {:<7} {:<15} {:<5} DIAGNOSTIC",
            "FILE", "RECIPIENT", "ACTION", "STATUS", "REASON", "HARD"
        )?,
        Format::Jsonl => {}
    }
    let mut failed = 0usize;
    let mut messages = 0usize;
    for entry in mailfiles::expand(&args.paths) {
        let path = match entry {
            Ok(p) => p,
            Err(e) => {
                eprintln!("rebound: {e}");
                failed += usize::from(!e.is_skip());
                continue;
            }
        };
        // Each message is decoded as soon as it is read: an mbox of any size needs the
        // memory of one message (at most the parse limit).
        let mut write_error = None;
        let read = mailfiles::read_each(&path, MAX_PARSE, &mut |m| {
            messages += 1;
            if m.bytes.is_empty() {
                eprintln!("rebound: '{}': empty file, not a message", m.name);
                failed += 1;
                return;
            }
            if m.truncated {
                eprintln!(
                    "rebound: '{}': longer than the {} MiB parse limit; only its first {} MiB \
                     were decoded (output marked truncated)",
                    m.name,
                    MAX_PARSE >> 20,
                    MAX_PARSE >> 20
                );
            }
            if write_error.is_none() {
                write_error = out.message(&m).err();
            }
        });
        if let Some(e) = write_error {
            return Err(e);
        }
        if let Err(e) = read {
            eprintln!("rebound: {e}");
            failed += 1;
        }
    }
    if let Some(mut w) = out.csv.take() {
        w.flush()?;
    }
    if format == Format::Sisimai {
        out.text
            .write_all(if out.records > 0 { b"\n]\n" } else { b"]\n" })?;
    }
    out.text.flush()?;
    if failed > 0 {
        eprintln!("rebound: {failed} input(s) failed ({messages} message(s) read)");
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// Where the facts go, in the chosen format.
struct Output {
    format: Format,
    text: std::io::BufWriter<Box<dyn Write>>,
    csv: Option<rebound::csvcell::Writer<std::io::BufWriter<Box<dyn Write>>>>,
    /// Records written so far (the Sisimai array's separators).
    records: usize,
}

impl Output {
    /// Decodes one message and writes its facts.
    fn message(&mut self, m: &mailfiles::RawMessage) -> Result<()> {
        let report = decode(&m.bytes);
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(
                    &mut self.text,
                    &Line {
                        file: &m.name,
                        truncated: m.truncated,
                        bounces: &report.bounces,
                    },
                )?;
                self.text.write_all(b"\n")?;
            }
            Format::Table => {
                for b in &report.bounces {
                    write_row(&mut self.text, &m.name, m.truncated, b)?;
                }
                if report.bounces.is_empty() {
                    // Said, not left out: a message that is no bounce is an answer too.
                    writeln!(
                        self.text,
                        "{:<28} {:<32} {:<9} {:<7} {:<15} {:<5} not a bounce report (nothing decoded)",
                        file_cell(&m.name, m.truncated),
                        "-",
                        "-",
                        "-",
                        "-",
                        "-"
                    )?;
                }
            }
            Format::Sisimai => {
                for b in &report.bounces {
                    self.text
                        .write_all(if self.records == 0 { b"\n" } else { b",\n" })?;
                    serde_json::to_writer(&mut self.text, &super::sisimai::record(&m.name, b))?;
                    self.records += 1;
                }
            }
            Format::Csv => {
                if let Some(w) = self.csv.as_mut() {
                    for b in &report.bounces {
                        w.write_record(csv_row(&m.name, m.truncated, b))?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// One `jsonl` output line: the corpus shape, plus `truncated` when the message was
/// longer than the parse limit.
#[derive(serde::Serialize)]
struct Line<'a> {
    file: &'a str,
    #[serde(skip_serializing_if = "is_false")]
    truncated: bool,
    bounces: &'a [Bounce],
}

fn is_false(b: &bool) -> bool {
    !*b
}

const CSV_HEADER: [&str; 21] = [
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
    "truncated",
    "date",
    "envelope_id",
    "original_recipient",
    "queue_ids",
    "verp",
    "x_headers",
];

fn csv_row(file: &str, truncated: bool, b: &Bounce) -> Vec<String> {
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
        truncated.to_string(),
        b.date.clone().unwrap_or_default(),
        b.keys.envelope_id.clone().unwrap_or_default(),
        b.keys.original_recipient.clone().unwrap_or_default(),
        b.keys.queue_ids.join(" "),
        b.keys.verp.clone().unwrap_or_default(),
        b.keys
            .x_headers
            .iter()
            .map(|(n, v)| format!("{n}: {v}"))
            .collect::<Vec<_>>()
            .join("; "),
    ]
}

/// At most `n` characters of `s`, control characters shown as spaces: nothing from a
/// hostile message (or file name) reaches the terminal as a control sequence.
fn cut(s: &str, n: usize) -> String {
    let plain = s.chars().map(|c| if c.is_control() { ' ' } else { c });
    if s.chars().count() <= n {
        plain.collect()
    } else {
        let mut t: String = plain.take(n.saturating_sub(1)).collect();
        t.push('…');
        t
    }
}

/// The file column of the table: the file's name, cut to fit.
fn file_cell(file: &str, truncated: bool) -> String {
    let name = std::path::Path::new(file)
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| file.to_string());
    if truncated {
        format!("{} (truncated)", cut(&name, 16))
    } else {
        cut(&name, 28)
    }
}

fn write_row(out: &mut impl Write, file: &str, truncated: bool, b: &Bounce) -> std::io::Result<()> {
    let name = file_cell(file, truncated);
    writeln!(
        out,
        "{:<28} {:<32} {:<9} {:<7} {:<15} {:<5} {}",
        name,
        cut(b.recipient.as_deref().unwrap_or("-"), 32),
        b.action.map(|a| a.as_str()).unwrap_or("-"),
        cut(b.status.as_deref().unwrap_or("-"), 7),
        b.reason.as_str(),
        if b.hard { "hard" } else { "soft" },
        cut(b.diagnostic_code.as_deref().unwrap_or(""), 80)
    )
}
