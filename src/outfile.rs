//! Writing a result file (`clean --out`, `--removed`) so that a reader never sees half of
//! it, without breaking what the path is: a regular file is replaced whole (a temp file
//! beside it, renamed over it) with the mode it had; a symlink is written through (its
//! target is replaced, the link stays); a FIFO or device is written into directly. A temp
//! file is removed when the write fails, is dropped, or the process gets SIGINT/SIGTERM/
//! SIGHUP.

use std::ffi::CString;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicPtr, Ordering};

/// A file being written in place of `target`.
pub struct OutFile {
    file: Option<File>,
    /// The temp file and the regular file it replaces; `None` when writing directly.
    replace: Option<(PathBuf, PathBuf)>,
    slot: Option<usize>,
}

impl OutFile {
    /// Starts writing `path`. The error names the path.
    pub fn create(path: &Path) -> io::Result<OutFile> {
        let named = |e: io::Error| io::Error::new(e.kind(), format!("'{}': {e}", path.display()));
        match fs::metadata(path) {
            // a FIFO, a device, /dev/stdout: write into it, there is nothing to replace
            Ok(m) if !m.is_file() && !m.is_dir() => {
                let file = OpenOptions::new().write(true).open(path).map_err(named)?;
                return Ok(OutFile {
                    file: Some(file),
                    replace: None,
                    slot: None,
                });
            }
            Ok(m) if m.is_dir() => {
                return Err(named(io::Error::new(
                    io::ErrorKind::IsADirectory,
                    "is a directory",
                )))
            }
            _ => {}
        }
        let target = resolve_links(path).map_err(named)?;
        let old = fs::metadata(&target).ok();
        let mode = old.as_ref().map(|m| m.permissions().mode() & 0o7777);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = target.with_file_name(format!(".{name}.rebound-tmp-{}", std::process::id()));
        let slot = register(&tmp);
        let made = OpenOptions::new()
            .write(true)
            .create_new(true)
            // no wider than the target until the exact mode is set below
            .mode(mode.unwrap_or(0o666) & 0o777)
            .open(&tmp);
        let file = match made {
            Ok(f) => f,
            Err(e) => {
                unregister(slot);
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot write beside '{}': {e}", target.display()),
                ));
            }
        };
        let out = OutFile {
            file: Some(file),
            replace: Some((tmp, target)),
            slot,
        };
        if let (Some(old), Some(f)) = (&old, &out.file) {
            use std::os::unix::fs::MetadataExt;
            // The owner too, where this process may set it (root running for a user):
            // best effort, a user cannot give a file away and needs not.
            let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
        }
        if let (Some(mode), Some(f)) = (mode, &out.file) {
            // the umask narrowed the mode at creation: the target's mode, exactly
            f.set_permissions(fs::Permissions::from_mode(mode))
                .map_err(named)?;
        }
        Ok(out)
    }

    /// Makes the written file the target's content: flushed, synced and renamed over it.
    pub fn commit(mut self) -> io::Result<()> {
        let Some(mut file) = self.file.take() else {
            return Ok(());
        };
        file.flush()?;
        if let Some((tmp, target)) = self.replace.take() {
            let done = file.sync_all().and_then(|_| fs::rename(&tmp, &target));
            if let Err(e) = done {
                let _ = fs::remove_file(&tmp);
                unregister(self.slot.take());
                return Err(io::Error::new(
                    e.kind(),
                    format!("cannot replace '{}': {e}", target.display()),
                ));
            }
            unregister(self.slot.take());
        }
        Ok(())
    }
}

impl Write for OutFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self.file.as_mut() {
            Some(f) => f.write(buf),
            None => Err(io::Error::other("written after commit")),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        self.file.as_mut().map_or(Ok(()), |f| f.flush())
    }
}

impl Drop for OutFile {
    /// Not committed: the temp file goes, the target is as it was.
    fn drop(&mut self) {
        if let Some((tmp, _)) = self.replace.take() {
            let _ = fs::remove_file(tmp);
        }
        unregister(self.slot.take());
    }
}

/// `path` with its symlinks followed to the file they name (which may not exist yet).
fn resolve_links(path: &Path) -> io::Result<PathBuf> {
    let mut p = path.to_path_buf();
    // Linux's own limit on links followed in one lookup
    for _ in 0..40 {
        match fs::symlink_metadata(&p) {
            Ok(m) if m.file_type().is_symlink() => {
                let to = fs::read_link(&p)?;
                p = match p.parent() {
                    Some(dir) if to.is_relative() => dir.join(to),
                    _ => to,
                };
            }
            _ => return Ok(p),
        }
    }
    Err(io::Error::other("too many levels of symbolic links"))
}

/// Temp files to remove if a signal ends the process. A slot holds a leaked C string,
/// never freed, so the handler can never read freed memory.
static TEMPS: [AtomicPtr<libc::c_char>; 8] = [const { AtomicPtr::new(std::ptr::null_mut()) }; 8];

fn register(tmp: &Path) -> Option<usize> {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(install_handler);
    let c = CString::new(tmp.as_os_str().as_bytes()).ok()?;
    let ptr = c.into_raw();
    for (i, slot) in TEMPS.iter().enumerate() {
        if slot
            .compare_exchange(
                std::ptr::null_mut(),
                ptr,
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
        {
            return Some(i);
        }
    }
    None
}

fn unregister(slot: Option<usize>) {
    if let Some(i) = slot {
        TEMPS[i].store(std::ptr::null_mut(), Ordering::Release);
    }
}

/// Removes the registered temp files, then dies of the signal as it would have.
/// Only async-signal-safe calls: atomic loads, unlink(2), signal(2), raise(3).
extern "C" fn on_signal(sig: libc::c_int) {
    for slot in &TEMPS {
        let p = slot.load(Ordering::Acquire);
        if !p.is_null() {
            // SAFETY: a NUL-terminated string that is never freed.
            unsafe { libc::unlink(p) };
        }
    }
    // SAFETY: restoring the default action and re-raising is the documented way to end
    // with the signal's own status.
    unsafe {
        libc::signal(sig, libc::SIG_DFL);
        libc::raise(sig);
    }
}

fn install_handler() {
    for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
        // SAFETY: `on_signal` only makes async-signal-safe calls.
        unsafe {
            libc::signal(sig, on_signal as *const () as libc::sighandler_t);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::FileTypeExt;

    fn dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("rebound-outfile-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    fn write(path: &Path, text: &str) -> io::Result<()> {
        let mut f = OutFile::create(path)?;
        f.write_all(text.as_bytes())?;
        f.commit()
    }

    fn listing(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    #[test]
    fn keeps_the_mode_and_writes_through_links() {
        let d = dir("modes");
        let p = d.join("secret.csv");
        fs::write(&p, "old").unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o600)).unwrap();
        write(&p, "new").unwrap();
        assert_eq!(fs::read_to_string(&p).unwrap(), "new");
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } == 0 {
            use std::os::unix::fs::MetadataExt;
            std::os::unix::fs::chown(&p, Some(65534), Some(65534)).unwrap();
            write(&p, "owned").unwrap();
            let m = fs::metadata(&p).unwrap();
            assert_eq!((m.uid(), m.gid()), (65534, 65534), "the owner is kept");
            write(&p, "new").unwrap();
        }
        assert_eq!(
            fs::metadata(&p).unwrap().permissions().mode() & 0o777,
            0o600
        );

        let link = d.join("link.csv");
        std::os::unix::fs::symlink("secret.csv", &link).unwrap();
        write(&link, "through").unwrap();
        assert!(fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(&p).unwrap(), "through");

        let dangling = d.join("dangling.csv");
        std::os::unix::fs::symlink("made.csv", &dangling).unwrap();
        write(&dangling, "made").unwrap();
        assert!(fs::symlink_metadata(&dangling)
            .unwrap()
            .file_type()
            .is_symlink());
        assert_eq!(fs::read_to_string(d.join("made.csv")).unwrap(), "made");
        assert_eq!(
            listing(&d),
            ["dangling.csv", "link.csv", "made.csv", "secret.csv"]
        );
    }

    #[test]
    fn writes_into_a_fifo_and_leaves_no_temp_when_dropped() {
        let d = dir("fifo");
        let fifo = d.join("pipe");
        let c = CString::new(fifo.as_os_str().as_bytes()).unwrap();
        // SAFETY: a valid path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        let reader = {
            let fifo = fifo.clone();
            std::thread::spawn(move || fs::read_to_string(fifo).unwrap())
        };
        write(&fifo, "rows\n").unwrap();
        assert_eq!(reader.join().unwrap(), "rows\n");
        assert!(fs::metadata(&fifo).unwrap().file_type().is_fifo());

        let p = d.join("out.csv");
        fs::write(&p, "before").unwrap();
        {
            let mut f = OutFile::create(&p).unwrap();
            f.write_all(b"half").unwrap();
            assert_eq!(listing(&d).len(), 3, "a temp file while writing");
        }
        assert_eq!(fs::read_to_string(&p).unwrap(), "before");
        assert_eq!(listing(&d), ["out.csv", "pipe"]);
    }
}
