//! File-system helpers shared by every command that writes.
//!
//! Every file confgate writes (`--output`, generated manifests, baselines, rule docs, bench
//! results) goes through [`write_atomic`], because what a user names must never be replaced
//! by something else: an earlier version renamed a temporary file over whatever the path
//! was, so `--output /dev/null` turned the machine's `/dev/null` into a regular file and a
//! symlink into a copy. The rule now depends on what the path is:
//!
//! - a regular file, or nothing yet: a temporary file in the same directory, synced, then
//!   renamed over it, so readers never see half a report;
//! - a symlink: the same, onto the regular file it finally points to; the link stays;
//! - a device, FIFO or socket: opened for writing and written through (no rename, no
//!   truncation). A FIFO is opened non-blocking, so one without a reader fails at once
//!   ("no reader") instead of hanging; the descriptor is made blocking again before
//!   writing so a slow reader gets the whole report;
//! - a directory: refused.

use std::io::Write;
use std::path::{Path, PathBuf};

/// Symlinks followed before giving up, as the kernel's own limit (`ELOOP`).
const MAX_LINKS: usize = 40;

/// Writes `bytes` to `path` without ever replacing what `path` is (see the module comment):
/// atomically for regular and new files (the target's permissions are kept; a new file gets
/// rw-r--r-- rather than the temporary file's private 0600), through symlinks to their
/// target, straight into devices and FIFOs; a directory is an error.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    write_atomic_with(path, |w| w.write_all(bytes))
}

/// [`write_atomic`] of output produced as it is written (a large report streamed rather
/// than built whole): `write` gets a buffered writer onto the temporary file (or the
/// device, FIFO, symlink target); the file only appears once `write` succeeded.
pub fn write_atomic_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let target = resolve_links(path)?;
    match std::fs::symlink_metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => replace(&target, write, None),
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory; name a file",
        )),
        Ok(m) if m.is_file() => replace(&target, write, Some(m.permissions())),
        Ok(_) => write_through(&target, write),
    }
}

/// [`write_atomic`] for private material (keys, Secrets): a new or replaced regular file is
/// readable by its owner only (0600) from the moment it appears.
pub fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let target = resolve_links(path)?;
    match std::fs::symlink_metadata(&target) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            replace(&target, |w| w.write_all(bytes), private_permissions())
        }
        Err(e) => Err(e),
        Ok(m) if m.is_dir() => Err(std::io::Error::new(
            std::io::ErrorKind::IsADirectory,
            "is a directory; name a file",
        )),
        Ok(m) if m.is_file() => replace(&target, |w| w.write_all(bytes), private_permissions()),
        Ok(_) => write_through(&target, |w| w.write_all(bytes)),
    }
}

#[cfg(unix)]
fn private_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn private_permissions() -> Option<std::fs::Permissions> {
    None
}

/// The path a chain of symlinks ends at (the path itself when it is not a link). A dangling
/// link ends at the missing path it names, which is then created.
fn resolve_links(path: &Path) -> std::io::Result<PathBuf> {
    let mut at = path.to_path_buf();
    for _ in 0..MAX_LINKS {
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                let next = std::fs::read_link(&at)?;
                at = match at.parent() {
                    Some(dir) if next.is_relative() => dir.join(next),
                    _ => next,
                };
            }
            _ => return Ok(at),
        }
    }
    Err(std::io::Error::other(format!(
        "more than {MAX_LINKS} symbolic links; is there a loop?"
    )))
}

/// The temporary-file-and-rename write onto a regular (or new) file.
fn replace(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
    existing: Option<std::fs::Permissions>,
) -> std::io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let mut tmp = tempfile::NamedTempFile::new_in(dir)?;
    {
        let mut w = std::io::BufWriter::with_capacity(256 * 1024, tmp.as_file_mut());
        write(&mut w)?;
        w.flush()?;
    }
    tmp.as_file().sync_all()?;
    if let Some(perms) = existing.or_else(new_file_permissions) {
        tmp.as_file().set_permissions(perms)?;
    }
    tmp.persist(path).map_err(|e| e.error)?;
    Ok(())
}

/// Writes into a device, FIFO or socket as it is.
#[cfg(unix)]
fn write_through(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use rustix::fs::OFlags;
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
    let fifo = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_fifo());
    let file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(OFlags::NONBLOCK.bits() as i32)
        .open(path)
        .map_err(|e| match rustix::io::Errno::from_io_error(&e) {
            Some(rustix::io::Errno::NXIO) if fifo => std::io::Error::new(
                e.kind(),
                "a FIFO with no process reading it; start the reader first",
            ),
            _ => e,
        })?;
    let flags = rustix::fs::fcntl_getfl(&file)?;
    rustix::fs::fcntl_setfl(&file, flags - OFlags::NONBLOCK)?;
    let mut w = std::io::BufWriter::with_capacity(256 * 1024, file);
    write(&mut w)?;
    w.flush()
}

#[cfg(not(unix))]
fn write_through(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let file = std::fs::OpenOptions::new().write(true).open(path)?;
    let mut w = std::io::BufWriter::new(file);
    write(&mut w)?;
    w.flush()
}

#[cfg(unix)]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    use std::os::unix::fs::PermissionsExt;
    Some(std::fs::Permissions::from_mode(0o644))
}

#[cfg(not(unix))]
fn new_file_permissions() -> Option<std::fs::Permissions> {
    None
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn an_existing_regular_file_is_replaced_and_keeps_its_permissions() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("r.txt");
        std::fs::write(&p, "old").unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o600)).unwrap();
        write_atomic(&p, b"new").unwrap();
        assert_eq!(std::fs::read_to_string(&p).unwrap(), "new");
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn a_new_file_is_created_readable_by_all() {
        let d = tempfile::tempdir().unwrap();
        let p = d.path().join("n.txt");
        write_atomic(&p, b"x").unwrap();
        let mode = std::fs::metadata(&p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o644);
    }

    #[test]
    fn a_symlink_stays_a_link_and_its_target_gets_the_bytes() {
        let d = tempfile::tempdir().unwrap();
        std::fs::create_dir(d.path().join("real")).unwrap();
        let target = d.path().join("real/t.txt");
        std::fs::write(&target, "old").unwrap();
        let link = d.path().join("l.txt");
        std::os::unix::fs::symlink("real/t.txt", &link).unwrap();
        write_atomic(&link, b"new").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(std::fs::read_to_string(&target).unwrap(), "new");
    }

    #[test]
    fn a_dangling_symlink_creates_its_target() {
        let d = tempfile::tempdir().unwrap();
        let link = d.path().join("l.txt");
        std::os::unix::fs::symlink("t.txt", &link).unwrap();
        write_atomic(&link, b"x").unwrap();
        assert!(
            std::fs::symlink_metadata(&link)
                .unwrap()
                .file_type()
                .is_symlink()
        );
        assert_eq!(
            std::fs::read_to_string(d.path().join("t.txt")).unwrap(),
            "x"
        );
    }

    #[test]
    fn a_directory_is_refused() {
        let d = tempfile::tempdir().unwrap();
        let e = write_atomic(d.path(), b"x").unwrap_err();
        assert!(e.to_string().contains("is a directory"), "{e}");
        assert!(d.path().is_dir());
    }

    #[test]
    fn a_fifo_without_a_reader_fails_at_once_instead_of_hanging() {
        let d = tempfile::tempdir().unwrap();
        let fifo = d.path().join("f");
        let ok = std::process::Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap();
        assert!(ok.success());
        let e = write_atomic(&fifo, b"x").unwrap_err();
        assert!(e.to_string().contains("no process reading"), "{e}");
    }
}
