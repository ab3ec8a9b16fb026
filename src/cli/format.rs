//! The output formats shared by commands that print one summary: a table for people, or
//! JSON for scripts (`--format json`; the older `--json` flag still works, hidden).

/// How a summary is printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum SummaryFormat {
    /// Lines for people.
    #[default]
    Table,
    /// One JSON object.
    Json,
}

impl SummaryFormat {
    /// Whether JSON was asked for, by `--format json` or the older `--json`.
    pub fn json(self, legacy_flag: bool) -> bool {
        legacy_flag || self == SummaryFormat::Json
    }
}
