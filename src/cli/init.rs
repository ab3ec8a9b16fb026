//! `rebound init`: a commented configuration and policy to start from.

use anyhow::{bail, Context, Result};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// The configuration file written by `init`: every section, commented, with example values.
pub const CONFIG_TEMPLATE: &str = include_str!("init/rebound.toml");

/// Write a commented rebound.toml and policy.toml to start from.
///
/// Neither file is overwritten: when one exists, nothing is written. Edit the example
/// values (servers, users, addresses), put the passwords in the environment variables or
/// files the configuration names, then send a first campaign and poll its bounces.
///
/// Example:
///   rebound init && $EDITOR rebound.toml
#[derive(Debug, clap::Args)]
#[command(verbatim_doc_comment)]
pub struct Args {
    /// The folder to write into.
    #[arg(default_value = ".")]
    dir: PathBuf,
}

pub fn run(args: Args) -> Result<ExitCode> {
    let files = [
        (args.dir.join("rebound.toml"), CONFIG_TEMPLATE),
        (
            args.dir.join("policy.toml"),
            rebound::hygiene::DEFAULT_POLICY,
        ),
    ];
    let existing: Vec<&Path> = files
        .iter()
        .map(|(p, _)| p.as_path())
        .filter(|p| p.exists() || p.is_symlink())
        .collect();
    if !existing.is_empty() {
        let names: Vec<String> = existing
            .iter()
            .map(|p| format!("'{}'", p.display()))
            .collect();
        bail!(
            "{} already exist(s); nothing written (move it away to start afresh)",
            names.join(" and ")
        );
    }
    std::fs::create_dir_all(&args.dir)
        .with_context(|| format!("creating '{}'", args.dir.display()))?;
    for (path, text) in &files {
        // create_new: a file that appeared since the check is still not overwritten.
        let mut f = std::fs::File::options()
            .write(true)
            .create_new(true)
            .open(path)
            .with_context(|| format!("writing '{}'", path.display()))?;
        std::io::Write::write_all(&mut f, text.as_bytes())
            .with_context(|| format!("writing '{}'", path.display()))?;
        println!("wrote {}", path.display());
    }
    println!(
        "next: edit the servers, users and addresses in rebound.toml, set \
         REBOUND_SMTP_PASSWORD and REBOUND_IMAP_PASSWORD, then `rebound send --campaign NAME`"
    );
    Ok(ExitCode::SUCCESS)
}
