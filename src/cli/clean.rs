//! `rebound clean`: write a mailing list without the addresses that must not be mailed.

use anyhow::{bail, Context, Result};
use rebound::outfile::OutFile;
use std::io::BufWriter;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

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
    #[arg(long, value_name = "PATH")]
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
    if args.input == args.out || Some(&args.input) == args.removed.as_ref() {
        bail!("--out and --removed must not be the input file");
    }
    let store = rebound::store::Store::open_existing(&args.db)?;
    let suppressed = store.suppressed_all()?;
    let input: Box<dyn std::io::Read> = if args.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(&args.input)
                .with_context(|| format!("cannot read '{}'", args.input.display()))?,
        )
    };
    // Each output is written whole beside its target and renamed over it only when the
    // whole list is clean; an error, a drop or a signal removes the temp files.
    let out = OutFile::create(&args.out).context("cannot write the clean list")?;
    let removed_file = match &args.removed {
        Some(p) => Some(Shared(Arc::new(Mutex::new(BufWriter::with_capacity(
            1 << 16,
            OutFile::create(p).context("cannot write the removed rows")?,
        ))))),
        None => None,
    };
    let removed = removed_file
        .as_ref()
        .map(|f| Box::new(Shared(f.0.clone())) as Box<dyn std::io::Write>);
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {pos} rows ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let mut out = BufWriter::with_capacity(1 << 16, out);
    let result = rebound::clean::clean(
        std::io::BufReader::with_capacity(1 << 16, input),
        &mut out,
        removed,
        &suppressed,
        args.dedupe,
        &mut |n| bar.set_position(n),
    );
    bar.finish_and_clear();
    let summary = result.with_context(|| format!("cleaning '{}'", args.input.display()))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(OutFile::commit)
        .with_context(|| format!("writing '{}'", args.out.display()))?;
    if let (Some(Shared(f)), Some(p)) = (removed_file, &args.removed) {
        Arc::try_unwrap(f)
            .map_err(|_| std::io::Error::other("the removed rows are still being written"))
            .and_then(|m| {
                m.into_inner()
                    .map_err(|_| std::io::Error::other("poisoned"))
            })
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .and_then(OutFile::commit)
            .with_context(|| format!("writing '{}'", p.display()))?;
    }
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

/// The removed-rows file, shared between `clean` (which owns a writer to it until it
/// returns) and this command (which commits it afterwards).
struct Shared(Arc<Mutex<BufWriter<OutFile>>>);

impl std::io::Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("poisoned"))?
            .flush()
    }
}
