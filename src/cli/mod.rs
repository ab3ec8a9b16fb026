//! Command-line interface: argument parsing (clap derive), one file per subcommand.

mod blocklist;
mod campaign;
mod clean;
mod config;
mod doctor;
mod eval;
mod format;
mod init;
mod parse;
mod policy;
mod poll;
mod progress;
mod prune;
mod report;
mod run;
mod send;
mod serve;
mod signals;
mod sisimai;
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
    /// More log detail on stderr (-v: info, -vv: debug).
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    verbose: u8,
    /// Only errors on stderr.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    quiet: bool,
    /// Logs as JSON lines (for log collectors).
    #[arg(long, global = true)]
    log_json: bool,
}

/// Logs go to stderr; secrets are never logged (passwords are read, not printed).
fn init_logs(cli: &Cli) {
    let level = if cli.quiet {
        tracing::Level::ERROR
    } else {
        match cli.verbose {
            0 => tracing::Level::WARN,
            1 => tracing::Level::INFO,
            _ => tracing::Level::DEBUG,
        }
    };
    let builder = tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_target(false);
    if cli.log_json {
        builder.json().init();
    } else {
        builder
            .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
            .init();
    }
}

#[derive(Debug, Subcommand)]
enum Command {
    Parse(parse::Args),
    Eval(eval::Args),
    Send(Box<send::Args>),
    Campaign(campaign::Args),
    Poll(poll::Args),
    Suppress(suppress::Args),
    Policy(policy::Args),
    Report(report::Args),
    Clean(clean::Args),
    Run(run::Args),
    Init(init::Args),
    Doctor(doctor::Args),
    Blocklist(blocklist::Args),
    Serve(serve::Args),
    Prune(prune::Args),
}

/// Runs the command line; errors are printed with their context, the exit code says how
/// it went (0 ok, 1 some inputs failed or a floor was missed, 2 usage).
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logs(&cli);
    let result = match cli.command {
        Command::Parse(args) => parse::run(args),
        Command::Eval(args) => eval::run(args),
        Command::Send(args) => send::run(*args),
        Command::Campaign(args) => campaign::run(args),
        Command::Clean(args) => clean::run(args),
        Command::Report(args) => report::run(args),
        Command::Run(args) => run::run(args),
        Command::Prune(args) => prune::run(args),
        Command::Poll(args) => poll::run(args),
        Command::Suppress(args) => suppress::run(args),
        Command::Policy(args) => policy::run(args),
        Command::Init(args) => init::run(args),
        Command::Doctor(args) => doctor::run(args),
        Command::Blocklist(args) => blocklist::run(args),
        Command::Serve(args) => serve::run(args),
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
