//! Reading a suppression list someone else wrote: another tool's export, a spreadsheet
//! saved as CSV (commas, semicolons or tabs), or a plain file of one address per line.
//!
//! The delimiter is sniffed from the first line; a header row is recognised by an email
//! column name (the same names `clean` and `send` accept) and is optional: a file whose
//! first row already holds an address has none. Each bad row is reported with its line
//! number; the caller decides whether that stops the import.

use crate::address::Address;
use crate::send::csvlist::{header_names, LineCounter, EMAIL_COLUMNS};

/// What a row suppresses: an address, or an erased address's keyed hash (`forgotten:`
/// and 64 hex digits, as `suppress export` writes it after `suppress forget`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Address(Address),
    Forgotten(String),
}

impl Target {
    /// A cell's target, or why it is none.
    pub fn parse(text: &str) -> Result<Target, String> {
        if crate::store::is_hashed(text) {
            return if crate::store::is_valid_hashed(text) {
                Ok(Target::Forgotten(text.to_string()))
            } else {
                Err(format!(
                    "'{}' is not a forgotten entry (forgotten: and 64 hex digits)",
                    text.escape_debug()
                ))
            };
        }
        Address::parse(text)
            .map(Target::Address)
            .map_err(|why| format!("'{}' is not an email address: {why}", text.escape_debug()))
    }
}

/// One usable row: the address and whatever optional columns the file had.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportedRow {
    /// The line the row starts on (1-based).
    pub line: u64,
    pub address: Target,
    pub reason: Option<String>,
    pub source: Option<String>,
    pub evidence: Option<String>,
    pub created_at: Option<String>,
}

/// What a file held: the usable rows, and one problem per row left out.
#[derive(Debug, Default)]
pub struct ImportedList {
    pub rows: Vec<ImportedRow>,
    /// `(line, what is wrong)`, in file order.
    pub problems: Vec<(u64, String)>,
    /// The delimiter the file was read with.
    pub delimiter: u8,
    /// Whether the first row was a header.
    pub had_header: bool,
}

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ImportError {
    #[error("the file is empty")]
    Empty,
    #[error(
        "the first row is neither a header with an email column ({names}) nor an address; \
         name the column one of: {}", EMAIL_COLUMNS.join(", ")
    )]
    NoEmailColumn { names: String },
}

/// Candidate delimiters, most usual first (ties go to the earlier one).
const DELIMITERS: &[u8] = b",;\t|";

/// Picks the delimiter that splits the first non-blank row into the most fields, counting
/// only outside double quotes (a quoted cell may run over lines); a row with none of them
/// is one column.
pub fn sniff_delimiter(bytes: &[u8]) -> u8 {
    let mut counts = [0usize; 4];
    let mut quoted = false;
    let mut blank = true;
    for &b in bytes {
        match b {
            b'"' => quoted = !quoted,
            b'\n' if !quoted => {
                if !blank {
                    break;
                }
            }
            _ if quoted => {}
            _ => {
                if let Some(i) = DELIMITERS.iter().position(|&d| d == b) {
                    counts[i] += 1;
                }
            }
        }
        blank &= b.is_ascii_whitespace();
    }
    let mut best = 0;
    for i in 1..DELIMITERS.len() {
        if counts[i] > counts[best] {
            best = i;
        }
    }
    DELIMITERS[best]
}

/// Reads an import file. Blank rows are skipped; formula-quoted cells written by rebound's
/// own exports (`'=x@example.org`) read back as written.
pub fn read(bytes: &[u8]) -> Result<ImportedList, ImportError> {
    let delimiter = sniff_delimiter(bytes);
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delimiter)
        .from_reader(bytes);
    let mut list = ImportedList {
        delimiter,
        ..ImportedList::default()
    };
    let mut columns: Option<Columns> = None;
    let mut lines = LineCounter::default();
    for rec in rdr.byte_records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(bytes, p.byte()));
                list.problems
                    .push((line, format!("not readable as a row: {}", e.kind_text())));
                continue;
            }
        };
        let line = rec.position().map_or(0, |p| lines.line_at(bytes, p.byte()));
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue;
        }
        let cols = match columns {
            Some(c) => c,
            None => {
                let names = header_names(&rec);
                let c = match Columns::from_header(&names) {
                    Some(c) => {
                        list.had_header = true;
                        columns = Some(c);
                        continue;
                    }
                    None => {
                        Columns::headerless(&names).ok_or_else(|| ImportError::NoEmailColumn {
                            names: names.join(", "),
                        })?
                    }
                };
                columns = Some(c);
                c
            }
        };
        match cols.row(&rec, line) {
            Ok(row) => list.rows.push(row),
            Err(why) => list.problems.push((line, why)),
        }
    }
    if columns.is_none() {
        return Err(ImportError::Empty);
    }
    Ok(list)
}

/// Where each known column sits.
#[derive(Debug, Clone, Copy)]
struct Columns {
    email: usize,
    reason: Option<usize>,
    source: Option<usize>,
    evidence: Option<usize>,
    created_at: Option<usize>,
}

impl Columns {
    fn from_header(names: &[String]) -> Option<Columns> {
        let find = |wanted: &[&str]| {
            names
                .iter()
                .position(|h| wanted.iter().any(|w| h.eq_ignore_ascii_case(w)))
        };
        Some(Columns {
            email: find(EMAIL_COLUMNS)?,
            reason: find(&["reason"]),
            source: find(&["source"]),
            evidence: find(&["evidence", "note", "comment"]),
            created_at: find(&["created_at", "created", "date"]),
        })
    }

    /// A file without a header: the address is the first cell that parses as one.
    fn headerless(cells: &[String]) -> Option<Columns> {
        let email = cells
            .iter()
            .position(|c| Target::parse(crate::csvcell::restore(c.trim())).is_ok())?;
        Some(Columns {
            email,
            reason: None,
            source: None,
            evidence: None,
            created_at: None,
        })
    }

    fn row(&self, rec: &csv::ByteRecord, line: u64) -> Result<ImportedRow, String> {
        let cell = |i: Option<usize>| -> Result<Option<String>, String> {
            let Some(bytes) = i.and_then(|i| rec.get(i)) else {
                return Ok(None);
            };
            let text = std::str::from_utf8(bytes)
                .map_err(|_| "not valid UTF-8 (save the file as UTF-8)".to_string())?;
            let text = crate::csvcell::restore(text.trim());
            Ok((!text.is_empty()).then(|| text.to_string()))
        };
        let raw =
            cell(Some(self.email))?.ok_or_else(|| "no address in the email column".to_string())?;
        let address = Target::parse(&raw)?;
        Ok(ImportedRow {
            line,
            address,
            reason: cell(self.reason)?,
            source: cell(self.source)?,
            evidence: cell(self.evidence)?,
            created_at: cell(self.created_at)?,
        })
    }
}

/// A csv error's kind in words, without the crate's position prefix.
trait KindText {
    fn kind_text(&self) -> String;
}

impl KindText for csv::Error {
    fn kind_text(&self) -> String {
        match self.kind() {
            csv::ErrorKind::Io(e) => e.to_string(),
            csv::ErrorKind::Utf8 { .. } => "not valid UTF-8".into(),
            _ => self.to_string(),
        }
    }
}

#[cfg(test)]
mod tests;
