//! Command-line interface: argument parsing (clap derive), one file per subcommand.

mod clean;
mod eval;
mod parse;
mod policy;
mod poll;
mod report;
mod send;
mod suppress;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// Bounce and delivery-report processor: decode DSNs and other bounce formats into facts
/// (recipient, status, reason, hard/soft, evidence), and measure the decoder.
#[derive(Debug, Parser)]
#[command(name = "rebound", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    Parse(parse::Args),
    Eval(eval::Args),
    Send(Box<send::Args>),
    Clean(clean::Args),
    Report(report::Args),
    Poll(poll::Args),
    Suppress(suppress::Args),
    Policy(policy::Args),
}

/// Runs the command line; errors are printed with their context, the exit code says how
/// it went (0 ok, 1 some inputs failed or a floor was missed, 2 usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Send(args) => send::run(*args),
        Command::Clean(args) => clean::run(args),
        Command::Report(args) => report::run(args),
        Command::Poll(args) => poll::run(args),
        Command::Suppress(args) => suppress::run(args),
        Command::Policy(args) => policy::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            // A closed pipe (`rebound parse ... | head`) is the reader's choice, not an error.
            let broken_pipe = e.chain().any(|c| {
                c.downcast_ref::<std::io::Error>()
                    .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
            });
            if broken_pipe {
                return ExitCode::SUCCESS;
            }
            eprintln!("rebound: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
