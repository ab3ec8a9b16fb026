//! `rebound eval`: the decoder's accuracy over a labelled directory.

use anyhow::{Context, Result};
use rebound::eval::{self, pct, Counts, Half};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

/// Measure the decoder against a directory with `expected.jsonl` (the corpus format).
///
/// Prints: files, detection agreement (bounce or not), recipient found, reason, hard,
/// status (an invented x.0.9xx expected code only needs its class digit), full match
/// (recipient + reason + hard), extra records, and the worst families.
///
/// Examples:
///   rebound eval ../shared/corpus/dev
///   rebound eval fixtures/postfix --min-full 100
///   rebound eval ../shared/corpus/dev --misses | less
///   rebound eval ../shared/corpus/dev --half odd
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// A directory holding `expected.jsonl` and the files it names.
    #[arg(value_name = "DIR")]
    dir: PathBuf,
    /// table or json (one object) [default: table].
    #[arg(long, short, value_enum, default_value_t)]
    format: super::format::SummaryFormat,
    /// The same as --format json.
    #[arg(long, hide = true)]
    json: bool,
    /// List every record that did not fully match (expected vs got).
    #[arg(long)]
    misses: bool,
    /// Score one half only: the odd or even samples of each family (file-name order).
    /// Study misses on one half; the other half's score is the honest figure.
    #[arg(long, value_name = "odd|even")]
    half: Option<Half>,
    /// Fail (exit 1) when full match is below this percentage.
    #[arg(long, value_name = "PCT")]
    min_full: Option<f64>,
    /// Fail (exit 1) when detection agreement is below this percentage.
    #[arg(long, value_name = "PCT")]
    min_detect: Option<f64>,
    /// Fail (exit 1) when the recipient is right for fewer than this percentage of records.
    #[arg(long, value_name = "PCT")]
    min_recipient: Option<f64>,
    /// Fail (exit 1) when the hard/soft verdict is right for fewer than this percentage.
    #[arg(long, value_name = "PCT")]
    min_hard: Option<f64>,
    /// Fail (exit 1) when more than this many records are reported that were not expected.
    #[arg(long, value_name = "N")]
    max_extra: Option<usize>,
    /// How many of the worst families to list.
    #[arg(long, default_value_t = 10)]
    worst: usize,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let report = eval::run_half(&args.dir, args.half)
        .with_context(|| format!("evaluating {}", args.dir.display()))?;
    let t = &report.total;
    if args.format.json(args.json) {
        writeln!(
            std::io::stdout().lock(),
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "dir": args.dir.display().to_string(),
                "half": args.half.map(|h| format!("{h:?}").to_lowercase()),
                "total": t,
                "percent": {
                    "detection": pct(t.detected, t.files),
                    "recipient": pct(t.recipient, t.records),
                    "reason": pct(t.reason, t.records),
                    "hard": pct(t.hard, t.records),
                    "status": pct(t.status, t.records),
                    "full": t.full_pct(),
                },
                "families": report.families,
                "errors": report.errors,
                "misses": if args.misses { serde_json::to_value(&report.misses)? } else { serde_json::Value::Null },
            }))?
        )?;
    } else {
        if args.misses {
            let mut out = std::io::stdout().lock();
            for m in &report.misses {
                writeln!(out, "{}", serde_json::to_string(m)?)?;
            }
            writeln!(out)?;
        }
        print_summary(&args, t, &report)?;
    }
    for e in &report.errors {
        eprintln!("rebound: {e}");
    }
    let mut ok = report.errors.is_empty();
    if let Some(min) = args.min_full {
        if t.full_pct() + 1e-9 < min {
            eprintln!(
                "rebound: full match {:.2}% is below the floor {min:.2}%",
                t.full_pct()
            );
            ok = false;
        }
    }
    if let Some(min) = args.min_detect {
        let d = pct(t.detected, t.files);
        if d + 1e-9 < min {
            eprintln!("rebound: detection {d:.2}% is below the floor {min:.2}%");
            ok = false;
        }
    }
    for (name, n, min) in [
        ("recipient", t.recipient, args.min_recipient),
        ("hard", t.hard, args.min_hard),
    ] {
        if let Some(min) = min {
            let p = pct(n, t.records);
            if p + 1e-9 < min {
                eprintln!("rebound: {name} {p:.2}% is below the floor {min:.2}%");
                ok = false;
            }
        }
    }
    if let Some(max) = args.max_extra {
        if t.extra > max {
            eprintln!(
                "rebound: {} extra records, more than the ceiling {max}",
                t.extra
            );
            ok = false;
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn print_summary(args: &Args, t: &Counts, report: &eval::EvalReport) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    match args.half {
        Some(h) => writeln!(out, "eval {} ({h:?} half)", args.dir.display())?,
        None => writeln!(out, "eval {}", args.dir.display())?,
    }
    writeln!(
        out,
        "  files          {:>5}   (errors: {})",
        t.files, t.file_errors
    )?;
    writeln!(out, "  records        {:>5}", t.records)?;
    let line = |name: &str, n: usize, of: usize| {
        format!("  {name:<14} {:>5}/{:<5} {:>6.2}%\n", n, of, pct(n, of))
    };
    out.write_all(line("detection", t.detected, t.files).as_bytes())?;
    out.write_all(line("recipient", t.recipient, t.records).as_bytes())?;
    out.write_all(line("reason", t.reason, t.records).as_bytes())?;
    out.write_all(line("hard", t.hard, t.records).as_bytes())?;
    out.write_all(line("status", t.status, t.records).as_bytes())?;
    out.write_all(line("full match", t.full, t.records).as_bytes())?;
    writeln!(out, "  extra records  {:>5}", t.extra)?;
    let mut fams: Vec<(&String, &Counts)> = report
        .families
        .iter()
        .filter(|(_, c)| c.full < c.records || c.extra > 0 || c.detected < c.files)
        .collect();
    fams.sort_by(|a, b| {
        a.1.full_pct()
            .total_cmp(&b.1.full_pct())
            .then(b.1.records.cmp(&a.1.records))
    });
    if !fams.is_empty() {
        writeln!(out, "  worst families (full match, records, extra):")?;
        for (name, c) in fams.into_iter().take(args.worst) {
            writeln!(
                out,
                "    {name:<24} {:>6.1}%  {:>3}/{:<3} extra {}",
                c.full_pct(),
                c.full,
                c.records,
                c.extra
            )?;
        }
    }
    Ok(())
}
