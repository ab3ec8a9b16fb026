//! The `rebound` command: a thin entry that hands off to `cli`.

mod cli;

use std::process::ExitCode;

fn main() -> ExitCode {
    cli::main()
}
