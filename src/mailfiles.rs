//! Reading messages from disk: single `.eml` files, directories (recursively), Maildir
//! folders, mbox files, and standard input. Each message keeps a name for error reports.

use std::collections::HashSet;
use std::fs;
use std::io::{BufRead, BufReader, Read};
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

/// Appends one line (through its `\n`) to `buf`, keeping at most `max` bytes of it, and
/// returns the line's whole length (0 at the end of the input).
fn read_line(r: &mut impl BufRead, buf: &mut Vec<u8>, max: usize) -> std::io::Result<usize> {
    let mut total = 0;
    loop {
        let avail = match r.fill_buf() {
            Ok(b) => b,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if avail.is_empty() {
            return Ok(total);
        }
        let (n, done) = match memchr::memchr(b'\n', avail) {
            Some(i) => (i + 1, true),
            None => (avail.len(), false),
        };
        let keep = n.min(max.saturating_sub(total));
        buf.extend_from_slice(&avail[..keep]);
        r.consume(n);
        total += n;
        if done {
            return Ok(total);
        }
    }
}

/// Splits `input` into messages (an mbox at its `From ` lines, else one message) without
/// holding more than one message of at most `limit` + 1 bytes; a plain message is read
/// no further than `limit` + 1 bytes.
fn read_messages(
    mut input: impl Read,
    name: &str,
    limit: usize,
    each: &mut dyn FnMut(RawMessage),
) -> std::io::Result<()> {
    // The first two lines tell an mbox (within the first 64 KiB).
    let mut head = Vec::new();
    (&mut input)
        .take((limit + 1).min(1 << 16) as u64)
        .read_to_end(&mut head)?;
    if !is_mbox(&head) {
        let room = (limit + 1).saturating_sub(head.len());
        input.take(room as u64).read_to_end(&mut head)?;
        let truncated = head.len() > limit;
        head.truncate(limit);
        each(RawMessage {
            name: name.to_string(),
            bytes: head,
            truncated,
        });
        return Ok(());
    }
    // An mbox (RFC 4155): a `From ` line after a blank line (or first) starts the next
    // message; `>From ` quoting is undone.
    let mut r = BufReader::with_capacity(1 << 16, std::io::Cursor::new(head).chain(input));
    let mut split = MboxSplit {
        name,
        limit,
        cur: Vec::new(),
        truncated: false,
        count: 0,
        each,
    };
    let mut prev_blank = true;
    let mut line = Vec::new();
    loop {
        line.clear();
        let n = read_line(&mut r, &mut line, limit + 1)?;
        if n == 0 {
            break;
        }
        if prev_blank && line.starts_with(b"From ") {
            split.emit();
            prev_blank = false;
            continue;
        }
        let body = if line.starts_with(b">From ") {
            &line[1..]
        } else {
            &line[..]
        };
        split.push(body);
        // a line longer than a whole message was cut by `read_line`
        split.truncated |= n > line.len();
        prev_blank = line == b"\n" || line == b"\r\n";
    }
    split.emit();
    Ok(())
}

/// The message an mbox reader is filling.
struct MboxSplit<'a> {
    name: &'a str,
    limit: usize,
    cur: Vec<u8>,
    truncated: bool,
    count: usize,
    each: &'a mut dyn FnMut(RawMessage),
}

impl MboxSplit<'_> {
    fn push(&mut self, line: &[u8]) {
        let room = self.limit.saturating_sub(self.cur.len());
        if line.len() > room {
            self.truncated = true;
        }
        self.cur.extend_from_slice(&line[..line.len().min(room)]);
    }

    fn emit(&mut self) {
        let bytes = std::mem::take(&mut self.cur);
        let truncated = std::mem::take(&mut self.truncated);
        if bytes.is_empty() {
            return;
        }
        self.count += 1;
        (self.each)(RawMessage {
            name: format!("{}#{}", self.name, self.count),
            bytes,
            truncated,
        });
    }
}

/// An mbox starts with a `From ` separator line (RFC 4155) followed by a header line: a
/// mailbox, not a message beginning with an odd first line.
fn is_mbox(head: &[u8]) -> bool {
    let mut lines = head.split_inclusive(|&b| b == b'\n');
    let first = lines.next().unwrap_or_default();
    let second = lines.next().unwrap_or_default();
    first.starts_with(b"From ")
        && first.ends_with(b"\n")
        && second
            .iter()
            .take_while(|&&b| b != b'\n')
            .any(|&b| b == b':')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn messages(input: &[u8], limit: usize) -> Vec<RawMessage> {
        let mut out = Vec::new();
        read_messages(input, "box", limit, &mut |m| out.push(m)).unwrap();
        out
    }

    #[test]
    fn splits_mbox() {
        let mbox = b"From a@b Sat Jan  1 00:00:00 2000\nSubject: one\n\nbody\n>From here\n\nFrom c@d Sat Jan  1 00:00:00 2000\nSubject: two\n\nx\n";
        let m = messages(mbox, 1 << 20);
        assert_eq!(m.len(), 2);
        assert_eq!(m[0].name, "box#1");
        assert_eq!(m[0].bytes, b"Subject: one\n\nbody\nFrom here\n\n");
        assert_eq!(m[1].bytes, b"Subject: two\n\nx\n");
        assert!(!m[0].truncated && !m[1].truncated);
    }

    #[test]
    fn a_message_is_not_an_mbox() {
        let m = messages(b"Subject: x\n\nFrom here", 100);
        assert_eq!(m.len(), 1);
        assert_eq!(m[0].name, "box");
        assert_eq!(m[0].bytes, b"Subject: x\n\nFrom here");
        let m = messages(b"From the desk of Ann\nno header here\n", 100);
        assert_eq!(m.len(), 1, "an odd first line is not an mbox");
    }

    /// A reader that counts what was taken from it, to prove the cap on reading.
    struct Counted<R>(R, std::rc::Rc<std::cell::Cell<usize>>);
    impl<R: Read> Read for Counted<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.0.read(buf)?;
            self.1.set(self.1.get() + n);
            Ok(n)
        }
    }

    /// Over-long messages, with and without line ends, in a file and in an mbox: each is
    /// cut at the limit and marked, the others are whole, and a plain file is read no
    /// further than the limit + 1 byte.
    #[test]
    fn long_messages_are_cut_marked_and_not_read_whole() {
        for limit in [10usize, 100, 1000] {
            for body in [vec![b'x'; limit * 50], b"line\n".repeat(limit * 10)] {
                let taken = std::rc::Rc::new(std::cell::Cell::new(0));
                let mut input = b"Subject: big\n\n".to_vec();
                input.extend_from_slice(&body);
                let mut out = Vec::new();
                read_messages(Counted(&input[..], taken.clone()), "f", limit, &mut |m| {
                    out.push(m)
                })
                .unwrap();
                assert_eq!(out.len(), 1);
                assert!(out[0].truncated);
                assert_eq!(out[0].bytes, input[..limit]);
                assert!(taken.get() <= limit + 1, "read {}", taken.get());

                let mut mbox =
                    b"From a Sat Jan  1 00:00:00 2000\nSubject: small\n\nok\n\n".to_vec();
                mbox.extend_from_slice(b"From b Sat Jan  1 00:00:00 2000\n");
                mbox.extend_from_slice(&input);
                mbox.extend_from_slice(b"\n\nFrom c Sat Jan  1 00:00:00 2000\nSubject: after\n\n");
                let m = messages(&mbox, limit.max(200));
                assert_eq!(m.len(), 3, "limit {limit}");
                assert!(!m[0].truncated && m[1].truncated && !m[2].truncated);
                assert_eq!(m[1].bytes.len(), limit.max(200));
                assert_eq!(m[2].bytes, b"Subject: after\n\n");
            }
        }
    }

    #[test]
    fn a_message_of_exactly_the_limit_is_whole() {
        let m = messages(b"Subject: x\n\n12345", 17);
        assert_eq!(m[0].bytes.len(), 17);
        assert!(!m[0].truncated);
    }
}
