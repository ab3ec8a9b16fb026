//! Reading messages from disk: single `.eml` files, directories (recursively), Maildir
//! folders, mbox files, and standard input. Each message keeps a name for error reports.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

/// One message read from somewhere.
#[derive(Debug)]
pub struct RawMessage {
    /// The file path, with `#N` appended for the N-th message of an mbox.
    pub name: String,
    pub bytes: Vec<u8>,
}

/// Why a path could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read '{path}': {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("'{path}': no such file or directory")]
    Missing { path: String },
}

/// Files that sit beside messages but are not messages.
fn is_side_file(p: &Path) -> bool {
    let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
    name.starts_with('.')
        || [
            ".json", ".jsonl", ".md", ".toml", ".csv", ".rs", ".py", ".sh",
        ]
        .iter()
        .any(|ext| name.ends_with(ext))
}

/// Expands the given paths into a list of files to read (directories walked in name
/// order, Maildir `cur`/`new` included), with errors for paths that cannot be listed.
pub fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, ReadError>> {
    let mut out = Vec::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Ok(p.clone()));
        } else if p.is_dir() {
            walk(p, &mut out);
        } else if p.exists() {
            out.push(Ok(p.clone()));
        } else {
            out.push(Err(ReadError::Missing {
                path: p.display().to_string(),
            }));
        }
    }
    out
}

fn walk(dir: &Path, out: &mut Vec<Result<PathBuf, ReadError>>) {
    let entries = match fs::read_dir(dir) {
        Ok(e) => e,
        Err(source) => {
            out.push(Err(ReadError::Io {
                path: dir.display().to_string(),
                source,
            }));
            return;
        }
    };
    // All entries share `dir`, so ordering by name is ordering by path (and cheaper).
    let mut named: Vec<(std::ffi::OsString, PathBuf)> = entries
        .filter_map(|e| e.ok().map(|e| (e.file_name(), e.path())))
        .collect();
    named.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    let paths = named.into_iter().map(|(_, p)| p);
    for p in paths {
        // Maildir's tmp holds messages still being written: not ours to read.
        if p.file_name().is_some_and(|n| n == "tmp") && dir.join("cur").is_dir() {
            continue;
        }
        if p.is_dir() {
            walk(&p, out);
        } else if !is_side_file(&p) {
            out.push(Ok(p));
        }
    }
}

/// Reads one file (or `-` for standard input) into its messages: one for a plain message
/// file, several for an mbox.
pub fn read(path: &Path) -> Result<Vec<RawMessage>, ReadError> {
    let name = path.display().to_string();
    let bytes = if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|source| ReadError::Io {
                path: "<stdin>".into(),
                source,
            })?;
        buf
    } else {
        fs::read(path).map_err(|source| ReadError::Io {
            path: name.clone(),
            source,
        })?
    };
    let name = if path.as_os_str() == "-" {
        "<stdin>".to_string()
    } else {
        name
    };
    if is_mbox(&bytes) {
        Ok(split_mbox(&bytes)
            .into_iter()
            .enumerate()
            .map(|(i, m)| RawMessage {
                name: format!("{name}#{}", i + 1),
                bytes: m,
            })
            .collect())
    } else {
        Ok(vec![RawMessage { name, bytes }])
    }
}

/// An mbox starts with a `From ` separator line (RFC 4155).
fn is_mbox(bytes: &[u8]) -> bool {
    bytes.starts_with(b"From ") && {
        // "From " followed by a header line: a mailbox, not a message beginning with
        // an odd first line.
        let first_line_end = bytes
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or(bytes.len());
        bytes
            .get(first_line_end + 1..)
            .is_some_and(|rest| rest.iter().take_while(|&&b| b != b'\n').any(|&b| b == b':'))
    }
}

/// Splits an mbox at `From ` lines that follow a blank line (or start the file), and
/// undoes `>From ` quoting.
fn split_mbox(bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = Vec::new();
    let mut cur: Option<Vec<u8>> = None;
    let mut prev_blank = true;
    for line in bytes.split_inclusive(|&b| b == b'\n') {
        if prev_blank && line.starts_with(b"From ") {
            if let Some(m) = cur.take() {
                out.push(m);
            }
            cur = Some(Vec::new());
            prev_blank = false;
            continue;
        }
        let body = cur.get_or_insert_with(Vec::new);
        if line.starts_with(b">From ") {
            body.extend_from_slice(&line[1..]);
        } else {
            body.extend_from_slice(line);
        }
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    if let Some(m) = cur.take() {
        out.push(m);
    }
    out.retain(|m| !m.is_empty());
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_mbox() {
        let mbox = b"From a@b Sat Jan  1 00:00:00 2000\nSubject: one\n\nbody\n>From here\n\nFrom c@d Sat Jan  1 00:00:00 2000\nSubject: two\n\nx\n";
        assert!(is_mbox(mbox));
        let m = split_mbox(mbox);
        assert_eq!(m.len(), 2);
        assert!(m[0].ends_with(b"From here\n\n"));
        assert!(m[1].starts_with(b"Subject: two"));
    }

    #[test]
    fn a_message_is_not_an_mbox() {
        assert!(!is_mbox(b"Subject: x\n\nFrom here"));
    }
}
