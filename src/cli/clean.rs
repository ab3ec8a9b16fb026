//! `rebound clean`: write a mailing list without the addresses that must not be mailed.

use anyhow::Result;
use rebound::listfiles::{clean_files, Job};
use std::path::PathBuf;
use std::process::ExitCode;

/// Clean a CSV list: drop suppressed and invalid addresses (and with --dedupe, repeats).
///
/// Every other column, the header row, a byte-order mark and CRLF line ends are kept as
/// they were. With --removed, the removed rows are written there with a `removed_reason`
/// column. The email column is the one named email, e-mail, email_address, address or
/// mail. Streams the file: lists of millions of rows need little memory.
///
/// A row that cannot be read as one row (a field count other than the header's, text
/// after a closing quote, a quoted field over several lines holding a suppressed
/// address) is left out, listed in --removed with its line numbers, and the exit code
/// is 1. A quoted field that never closes (or a row over 1 MiB) stops the run with its
/// line number, writing nothing.
///
/// Examples:
///   rebound clean --in list.csv --out clean.csv --removed removed.csv
///   rebound clean --in list.csv --out clean.csv --dedupe --db /var/lib/rebound/rebound.db
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The list to clean (CSV with a header row); `-` for standard input.
    #[arg(long = "in", value_name = "PATH")]
    input: PathBuf,
    /// Where the cleaned list goes (written whole beside it, then renamed into place with
    /// the old file's mode; a symlink is written through, a FIFO or device written into).
    #[arg(long = "output", short = 'o', value_name = "PATH", alias = "out")]
    out: PathBuf,
    /// Where the removed rows go, each with its reason.
    #[arg(long, value_name = "PATH")]
    removed: Option<PathBuf>,
    /// Also remove repeated addresses (case-insensitive), keeping the first.
    #[arg(long)]
    dedupe: bool,
    /// The store holding the suppression list.
    #[arg(long, default_value = "rebound.db")]
    db: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let store = rebound::store::Store::open_existing(&args.db)?;
    let suppressed = store.suppressed_all()?;
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(super::progress::style(
        "{spinner} {elapsed} {pos} rows ({rate})",
    ));
    let job = Job {
        input: &args.input,
        out: &args.out,
        removed: args.removed.as_deref(),
        dedupe: args.dedupe,
    };
    let result = clean_files(&job, &suppressed, &mut |n| bar.set_position(n));
    bar.finish_and_clear();
    let summary = result?;
    println!(
        "{} rows: kept {}, removed {} (suppressed {}, invalid {}, duplicate {}, malformed {})",
        summary.rows,
        summary.kept,
        summary.rows - summary.kept,
        summary.suppressed,
        summary.invalid,
        summary.duplicate,
        summary.malformed
    );
    if summary.malformed > 0 {
        eprintln!(
            "rebound: {} row(s) of '{}' could not be read as one row each and were left out{}",
            summary.malformed,
            args.input.display(),
            match &args.removed {
                Some(p) => format!(" (in '{}' with their line numbers)", p.display()),
                None => " (give --removed to see them with their line numbers)".to_string(),
            }
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
