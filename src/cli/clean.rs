//! `rebound clean`: write a mailing list without the addresses that must not be mailed.

use anyhow::{bail, Context, Result};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Clean a CSV list: drop suppressed and invalid addresses (and with --dedupe, repeats).
///
/// Every other column, the header row, a byte-order mark and CRLF line ends are kept as
/// they were. With --removed, the removed rows are written there with a `removed_reason`
/// column. The email column is the one named email, e-mail, email_address, address or
/// mail. Streams the file: lists of millions of rows need little memory.
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
    /// Where the cleaned list goes (written whole, then renamed into place).
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

fn temp_beside(p: &Path) -> PathBuf {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "out".into());
    p.with_file_name(format!(".{name}.rebound-tmp"))
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
    let out_tmp = temp_beside(&args.out);
    let out = std::fs::File::create(&out_tmp)
        .with_context(|| format!("cannot write '{}'", out_tmp.display()))?;
    let rem_tmp = args.removed.as_deref().map(temp_beside);
    let removed: Option<Box<dyn std::io::Write>> = match &rem_tmp {
        Some(p) => Some(Box::new(BufWriter::new(
            std::fs::File::create(p).with_context(|| format!("cannot write '{}'", p.display()))?,
        ))),
        None => None,
    };
    let bar = indicatif::ProgressBar::new_spinner();
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {elapsed} {pos} rows ({per_sec})")
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner()),
    );
    let result = rebound::clean::clean(
        std::io::BufReader::with_capacity(1 << 16, input),
        BufWriter::with_capacity(1 << 16, out),
        removed,
        &suppressed,
        args.dedupe,
        &mut |n| bar.set_position(n),
    );
    bar.finish_and_clear();
    let summary = match result {
        Ok(s) => s,
        Err(e) => {
            let _ = std::fs::remove_file(&out_tmp);
            if let Some(p) = &rem_tmp {
                let _ = std::fs::remove_file(p);
            }
            return Err(e).with_context(|| format!("cleaning '{}'", args.input.display()));
        }
    };
    std::fs::rename(&out_tmp, &args.out)
        .with_context(|| format!("cannot move the result to '{}'", args.out.display()))?;
    if let (Some(tmp), Some(dest)) = (&rem_tmp, &args.removed) {
        std::fs::rename(tmp, dest)
            .with_context(|| format!("cannot move the removed rows to '{}'", dest.display()))?;
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
    Ok(ExitCode::SUCCESS)
}
