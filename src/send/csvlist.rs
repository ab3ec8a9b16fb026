//! The recipient list: a CSV file with a header row and an email column. Bad rows are
//! reported with their line numbers and left out; the rest are sent.

use crate::address::Address;
use std::path::Path;

/// One usable row.
#[derive(Debug, Clone)]
pub struct ListRow {
    pub email: String,
    /// Every column of the row, by header name (merge fields).
    pub fields: serde_json::Map<String, serde_json::Value>,
    /// The line the row starts on (1 = the header).
    pub line: usize,
}

/// The list, with what was wrong in it.
#[derive(Debug, Default)]
pub struct RecipientList {
    pub headers: Vec<String>,
    pub rows: Vec<ListRow>,
    /// `line N: problem`, one per rejected row.
    pub problems: Vec<String>,
}

/// Why the list could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ListError {
    #[error("cannot read recipient list '{path}': {source}")]
    Read {
        path: String,
        #[source]
        source: csv::Error,
    },
    #[error("recipient list '{path}': {message}")]
    Invalid { path: String, message: String },
}

/// Header names that mark the email column, in any case.
pub const EMAIL_COLUMNS: &[&str] = &["email", "e-mail", "email_address", "address", "mail"];

/// The header row's names, trimmed, without a byte-order mark.
pub fn header_names(header: &csv::ByteRecord) -> Vec<String> {
    header
        .iter()
        .map(|h| {
            String::from_utf8_lossy(h)
                .trim()
                .trim_start_matches('\u{feff}')
                .to_string()
        })
        .collect()
}

/// The index of the email column among the header names.
pub fn email_column(names: &[String]) -> Option<usize> {
    names
        .iter()
        .position(|h| EMAIL_COLUMNS.iter().any(|c| h.eq_ignore_ascii_case(c)))
}

/// Reads and checks a recipient list.
pub fn read(path: &Path) -> Result<RecipientList, ListError> {
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| ListError::Read {
        path: shown.clone(),
        source: csv::Error::from(e),
    })?;
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes.as_slice());
    // Line numbers from byte offsets: the csv crate's own count is off by one with CRLF.
    let mut lines = LineCounter::default();
    let headers = header_names(rdr.byte_headers().map_err(|source| ListError::Read {
        path: shown.clone(),
        source,
    })?);
    let email_col = email_column(&headers).ok_or_else(|| ListError::Invalid {
        path: shown.clone(),
        message: format!(
            "no email column in the header row ({}); name one of: {}",
            headers.join(", "),
            EMAIL_COLUMNS.join(", ")
        ),
    })?;
    let mut list = RecipientList {
        headers: headers.clone(),
        ..RecipientList::default()
    };
    let mut seen = std::collections::HashSet::new();
    for rec in rdr.byte_records() {
        let rec = match rec {
            Ok(r) => r,
            Err(e) => {
                let line = e.position().map_or(0, |p| lines.line_at(&bytes, p.byte()));
                list.problems.push(format!("line {line}: {e}"));
                continue;
            }
        };
        let line = rec
            .position()
            .map_or(0, |p| lines.line_at(&bytes, p.byte()) as usize);
        if rec.iter().all(|f| f.iter().all(u8::is_ascii_whitespace)) {
            continue; // blank line
        }
        if rec.len() != headers.len() {
            list.problems.push(format!(
                "line {line}: {} fields, the header row has {}",
                rec.len(),
                headers.len()
            ));
            continue;
        }
        let mut fields = serde_json::Map::new();
        let mut bad_utf8 = false;
        for (h, v) in headers.iter().zip(rec.iter()) {
            match std::str::from_utf8(v) {
                Ok(s) => {
                    fields.insert(h.clone(), serde_json::Value::String(s.to_string()));
                }
                Err(_) => bad_utf8 = true,
            }
        }
        if bad_utf8 {
            list.problems.push(format!(
                "line {line}: not valid UTF-8 (save the file as UTF-8)"
            ));
            continue;
        }
        let raw = String::from_utf8_lossy(&rec[email_col]).trim().to_string();
        let address = match Address::parse(&raw) {
            Ok(a) => a,
            Err(why) => {
                list.problems.push(format!(
                    "line {line}: '{}' is not a valid email address: {why}",
                    raw.escape_debug()
                ));
                continue;
            }
        };
        if !seen.insert(address.key().to_string()) {
            list.problems.push(format!(
                "line {line}: {address} appears earlier in the list (as the same address); skipped"
            ));
            continue;
        }
        list.rows.push(ListRow {
            email: address.as_str().to_string(),
            fields,
            line,
        });
    }
    Ok(list)
}

/// Turns byte offsets (met in increasing order) into 1-based line numbers.
#[derive(Default)]
pub(crate) struct LineCounter {
    offset: usize,
    newlines: u64,
}

impl LineCounter {
    pub(crate) fn line_at(&mut self, bytes: &[u8], offset: u64) -> u64 {
        let mut offset = (offset as usize).min(bytes.len());
        // The reader may place a record on the line end before it (after a CRLF, or after
        // blank lines it skipped); no record starts with a line end, so step over them.
        while matches!(bytes.get(offset), Some(b'\n' | b'\r')) {
            offset += 1;
        }
        if offset >= self.offset {
            self.newlines += bytes[self.offset..offset]
                .iter()
                .filter(|&&b| b == b'\n')
                .count() as u64;
            self.offset = offset;
        }
        self.newlines + 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_lists_with_problems() {
        let dir = std::env::temp_dir().join(format!("rebound-csv-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("list.csv");
        std::fs::write(
            &p,
            "\u{feff}Email,first_name\r\nann@example.org,\"Ann, Jr\"\r\nnot-an-address,Bob\r\ncid@example.org\r\nann@example.org,Again\r\n\r\ndee@example.org,Dee\r\n",
        )
        .unwrap();
        let l = read(&p).unwrap();
        assert_eq!(l.rows.len(), 2);
        assert_eq!(l.rows[0].fields["first_name"], "Ann, Jr");
        assert_eq!(l.rows[1].email, "dee@example.org");
        assert_eq!(l.problems.len(), 3, "{:?}", l.problems);
        assert!(
            l.problems[2].contains("appears earlier"),
            "{:?}",
            l.problems
        );
        assert!(l.problems[0].starts_with("line 3:"), "{:?}", l.problems);
        std::fs::write(&p, "name,phone\nx,y\n").unwrap();
        assert!(read(&p)
            .unwrap_err()
            .to_string()
            .contains("no email column"));
    }
}
