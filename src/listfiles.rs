//! Cleaning a list from a file into files, for `clean` and `run` alike: the input read
//! through [`crate::clean::clean`], the clean list and the removed rows written through
//! [`OutFile`] (whole or not at all, modes kept, links written through, no temp file left
//! by an error or a signal).

use crate::clean::{clean, CleanError, CleanSummary};
use crate::outfile::OutFile;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// One list to clean.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    /// The list (CSV with a header row); `-` for standard input.
    pub input: &'a Path,
    /// Where the clean list goes.
    pub out: &'a Path,
    /// Where the removed rows go, each with its reason.
    pub removed: Option<&'a Path>,
    /// Also remove repeated addresses.
    pub dedupe: bool,
}

/// Why a list could not be cleaned into its files; each names the file.
#[derive(Debug, thiserror::Error)]
pub enum FilesError {
    #[error("the output '{0}' is the input file")]
    SameAsInput(PathBuf),
    #[error("cannot read '{path}'")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Creating, writing or replacing an output (the error names it).
    #[error(transparent)]
    Write(#[from] std::io::Error),
    #[error("cleaning '{path}'")]
    Clean {
        path: PathBuf,
        #[source]
        source: CleanError,
    },
}

/// Cleans `job.input` into `job.out` (and `job.removed`). The outputs are replaced only
/// when the whole list was read; on any error they are as they were.
pub fn clean_files(
    job: &Job,
    suppressed: &crate::store::SuppressedSet,
    progress: &mut dyn FnMut(u64),
) -> Result<CleanSummary, FilesError> {
    for out in std::iter::once(job.out).chain(job.removed) {
        if out == job.input {
            return Err(FilesError::SameAsInput(out.to_path_buf()));
        }
    }
    let input: Box<dyn std::io::Read> = if job.input.as_os_str() == "-" {
        Box::new(std::io::stdin().lock())
    } else {
        Box::new(
            std::fs::File::open(job.input).map_err(|source| FilesError::Read {
                path: job.input.to_path_buf(),
                source,
            })?,
        )
    };
    let mut out = BufWriter::with_capacity(1 << 16, OutFile::create(job.out)?);
    let removed_file = match job.removed {
        Some(p) => Some(Shared(Arc::new(Mutex::new(BufWriter::with_capacity(
            1 << 16,
            OutFile::create(p)?,
        ))))),
        None => None,
    };
    let removed = removed_file
        .as_ref()
        .map(|f| Box::new(Shared(f.0.clone())) as Box<dyn Write>);
    let summary = clean(
        std::io::BufReader::with_capacity(1 << 16, input),
        &mut out,
        removed,
        suppressed,
        job.dedupe,
        progress,
    )
    .map_err(|source| FilesError::Clean {
        path: job.input.to_path_buf(),
        source,
    })?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .and_then(OutFile::commit)?;
    if let Some(Shared(f)) = removed_file {
        Arc::try_unwrap(f)
            .map_err(|_| std::io::Error::other("the removed rows are still being written"))
            .and_then(|m| {
                m.into_inner()
                    .map_err(|_| std::io::Error::other("a writer of the removed rows panicked"))
            })
            .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
            .and_then(OutFile::commit)?;
    }
    Ok(summary)
}

/// The removed-rows file, shared between `clean` (which owns a writer to it until it
/// returns) and [`clean_files`] (which commits it afterwards).
struct Shared(Arc<Mutex<BufWriter<OutFile>>>);

impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("a writer of the removed rows panicked"))?
            .write(buf)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0
            .lock()
            .map_err(|_| std::io::Error::other("a writer of the removed rows panicked"))?
            .flush()
    }
}
