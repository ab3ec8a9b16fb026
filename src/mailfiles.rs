//! Reading messages from disk: single `.eml` files, directories (recursively), Maildir
//! folders, mbox files, and standard input. Each message keeps a name for error reports.

mod split;

use split::read_messages;
use std::collections::HashSet;
use std::fs;
use std::path::{Path, PathBuf};

/// One message read from somewhere.
#[derive(Debug)]
pub struct RawMessage {
    /// The file path, with `#N` appended for the N-th message of an mbox.
    pub name: String,
    /// The message, at most the reader's limit.
    pub bytes: Vec<u8>,
    /// True when the message was longer than the limit and `bytes` is its beginning only.
    pub truncated: bool,
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
    /// A path given on the command line that is a FIFO, device or socket.
    #[error("'{path}': not a regular file ({kind}), not read")]
    NotRegular { path: String, kind: &'static str },
    /// The same, met while walking a directory: skipped, the walk goes on.
    #[error("'{path}': skipped, not a regular file ({kind})")]
    Skipped { path: String, kind: &'static str },
}

impl ReadError {
    /// A skipped entry of a directory walk: worth a message, not a failure.
    pub fn is_skip(&self) -> bool {
        matches!(self, ReadError::Skipped { .. })
    }
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

/// What a file that is not a regular file or directory is, for messages.
fn kind_of(t: fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if t.is_fifo() {
        "a FIFO"
    } else if t.is_char_device() {
        "a character device"
    } else if t.is_block_device() {
        "a block device"
    } else if t.is_socket() {
        "a socket"
    } else {
        "not a file"
    }
}

/// A directory's identity: the same real directory reached by two paths (symlinks to `.`,
/// a loop `sub/x -> ..`) is walked once.
type DirId = (u64, u64);

fn dir_id(meta: &fs::Metadata) -> DirId {
    use std::os::unix::fs::MetadataExt;
    (meta.dev(), meta.ino())
}

/// Expands the given paths into a list of files to read (directories walked in name
/// order, Maildir `cur`/`new` included, each real directory once), with errors for paths
/// that cannot be listed and for files that are not regular files (FIFOs, devices).
pub fn expand(paths: &[PathBuf]) -> Vec<Result<PathBuf, ReadError>> {
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    for p in paths {
        if p.as_os_str() == "-" {
            out.push(Ok(p.clone()));
            continue;
        }
        match fs::metadata(p) {
            Ok(m) if m.is_dir() => {
                if seen.insert(dir_id(&m)) {
                    walk(p, &mut seen, &mut out);
                }
            }
            Ok(m) if m.is_file() => out.push(Ok(p.clone())),
            Ok(m) => out.push(Err(ReadError::NotRegular {
                path: p.display().to_string(),
                kind: kind_of(m.file_type()),
            })),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                out.push(Err(ReadError::Missing {
                    path: p.display().to_string(),
                }))
            }
            Err(source) => out.push(Err(ReadError::Io {
                path: p.display().to_string(),
                source,
            })),
        }
    }
    out
}

fn walk(dir: &Path, seen: &mut HashSet<DirId>, out: &mut Vec<Result<PathBuf, ReadError>>) {
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
    let maildir = dir.join("cur").is_dir();
    for (name, p) in named {
        // Maildir's tmp holds messages still being written: not ours to read.
        if name == "tmp" && maildir {
            continue;
        }
        // Followed through symlinks: a link to a message is read, a link to a directory
        // walked (once).
        let meta = match fs::metadata(&p) {
            Ok(m) => m,
            Err(source) => {
                if !is_side_file(&p) {
                    out.push(Err(ReadError::Io {
                        path: p.display().to_string(),
                        source,
                    }));
                }
                continue;
            }
        };
        if meta.is_dir() {
            if seen.insert(dir_id(&meta)) {
                walk(&p, seen, out);
            }
        } else if is_side_file(&p) {
        } else if meta.is_file() {
            out.push(Ok(p));
        } else {
            out.push(Err(ReadError::Skipped {
                path: p.display().to_string(),
                kind: kind_of(meta.file_type()),
            }));
        }
    }
}

/// Reads one file (or `-` for standard input) and hands each of its messages to `each`:
/// one for a plain message file, several for an mbox. No message is longer than `limit`
/// (a longer one is cut and marked `truncated`), and no more than `limit` + 1 bytes of
/// one message are read into memory, so a huge file costs time, not memory.
/// A path that is not a regular file (FIFO, device) is refused without blocking on it.
pub fn read_each(
    path: &Path,
    limit: usize,
    each: &mut dyn FnMut(RawMessage),
) -> Result<(), ReadError> {
    if path.as_os_str() == "-" {
        let stdin = std::io::stdin();
        let io = |source| ReadError::Io {
            path: "<stdin>".into(),
            source,
        };
        return read_messages(stdin.lock(), "<stdin>", limit, each).map_err(io);
    }
    let name = path.display().to_string();
    let io = |source| ReadError::Io {
        path: name.clone(),
        source,
    };
    // O_NONBLOCK: opening a FIFO must not wait for a writer; the type is checked next.
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_NONBLOCK | libc::O_NOCTTY)
            .open(path)
            .map_err(io)?
    };
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotRegular {
            path: name,
            kind: kind_of(meta.file_type()),
        });
    }
    read_messages(file, &name, limit, each).map_err(io)
}

/// Reads whole files into memory (for tests and small callers): [`read_each`] collected.
pub fn read(path: &Path, limit: usize) -> Result<Vec<RawMessage>, ReadError> {
    let mut out = Vec::new();
    read_each(path, limit, &mut |m| out.push(m))?;
    Ok(out)
}
