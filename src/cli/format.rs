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

/// The format an output or input file's extension names, if it names one of `F`'s values
/// (`.csv`, `.json`, `.jsonl`, `.html`; `.htm`, `.ndjson` and `.txt` for html, jsonl and
/// table): one rule for every command that writes or reads a file.
pub fn by_extension<F: clap::ValueEnum>(path: Option<&std::path::Path>) -> Option<F> {
    let ext = path?.extension()?.to_str()?.to_ascii_lowercase();
    let name = match ext.as_str() {
        "htm" => "html",
        "ndjson" => "jsonl",
        "txt" => "table",
        other => other,
    };
    F::from_str(name, true).ok()
}
