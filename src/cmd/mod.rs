//! One file per subcommand: call the library, write the result, return a status.

pub mod audit;
#[cfg(feature = "cluster")]
pub mod backup;
pub mod bench;
#[cfg(feature = "cluster")]
pub mod cleanup;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod compat;
#[cfg(feature = "cluster")]
pub mod deploy;
#[cfg(feature = "cluster")]
pub mod disaster_test;
#[cfg(feature = "cluster")]
pub mod doctor;
#[cfg(feature = "cluster")]
pub mod full_cycle;
pub mod generate;
#[cfg(feature = "cluster")]
pub mod incident;
#[cfg(feature = "cluster")]
pub mod maintenance;
#[cfg(feature = "cluster")]
pub mod monitor;
pub mod policy;
pub mod report;
#[cfg(feature = "cluster")]
pub mod rollback;
pub mod rules;
pub mod scan;
#[cfg(feature = "cluster")]
pub mod status;
pub mod validate;
pub mod waivers;
#[cfg(feature = "cluster")]
pub mod webhook;

use std::io::Write;
use std::path::Path;

use confgate::settings::Settings;

/// Reads the settings file in effect (`--config`, else the nearest `confgate.toml`).
pub fn settings(config: Option<&Path>) -> anyhow::Result<Settings> {
    let cwd = std::env::current_dir()?;
    Ok(Settings::load(config, &cwd)?)
}

/// Writes `bytes` to `path` through `fsutil::write_atomic` (atomic for regular files, through
/// symlinks to their target, straight into devices and FIFOs, never replacing what the
/// path is), or to stdout when `path` is `None`.
/// `-` as the path means stdout too (overrides an `output` from confgate.toml).
pub fn write_output(path: Option<&Path>, bytes: &[u8]) -> anyhow::Result<()> {
    match path {
        Some(p) if p.as_os_str() == "-" => write_output(None, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()?;
            Ok(())
        }
        Some(p) => confgate::fsutil::write_atomic(p, bytes)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
    }
}

/// [`write_output`] of a report written as it is produced (`--output FILE` atomically,
/// otherwise stdout). A reader that went away (`| head`) is a broken pipe, as with
/// [`write_output`], not a report error.
pub fn write_report(
    path: Option<&Path>,
    write: impl FnOnce(&mut dyn Write) -> Result<(), confgate::diag::Diagnostic>,
) -> anyhow::Result<()> {
    /// A writer that remembers the kind of its last I/O error.
    struct Watched<'a> {
        inner: &'a mut dyn Write,
        failed: Option<std::io::ErrorKind>,
    }
    impl Write for Watched<'_> {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.inner
                .write(buf)
                .inspect_err(|e| self.failed = Some(e.kind()))
        }
        fn flush(&mut self) -> std::io::Result<()> {
            self.inner
                .flush()
                .inspect_err(|e| self.failed = Some(e.kind()))
        }
    }
    let mut report_error = None;
    let mut io_kind = None;
    let run = |w: &mut dyn Write| {
        let mut watched = Watched {
            inner: w,
            failed: None,
        };
        let result = write(&mut watched);
        io_kind = watched.failed;
        result.map_err(|d| {
            let e = std::io::Error::other(d.to_string());
            report_error = Some(d);
            e
        })
    };
    let result = match path {
        Some(p) if p.as_os_str() != "-" => confgate::fsutil::write_atomic_with(p, run)
            .map_err(|e| anyhow::anyhow!("cannot write {}: {e}", p.display())),
        _ => {
            let mut out = std::io::BufWriter::new(std::io::stdout().lock());
            run(&mut out)
                .and_then(|()| out.flush())
                .map_err(anyhow::Error::from)
        }
    };
    match (result, io_kind, report_error) {
        (Ok(()), _, _) => Ok(()),
        (Err(_), Some(std::io::ErrorKind::BrokenPipe), _) => {
            Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into())
        }
        (Err(_), _, Some(d)) => Err(d.into()),
        (Err(e), _, None) => Err(e),
    }
}

/// The text of `--template FILE`, if given.
pub fn read_template(path: Option<&Path>) -> anyhow::Result<Option<String>> {
    path.map(|p| {
        std::fs::read_to_string(p)
            .map_err(|e| anyhow::anyhow!("cannot read template {}: {e}", p.display()))
    })
    .transpose()
}
