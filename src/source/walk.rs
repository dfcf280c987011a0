//! Walking directories, once, for every part of confgate that reads a tree of files.
//!
//! Inputs to scan, custom policy directories and the generator's templates and outputs all
//! need the same thing: the files below a directory in a deterministic order, symlink loops
//! reported instead of followed, and (for scan inputs) `.gitignore` files honoured the way
//! git does. `ignore::WalkBuilder` does the walking and the gitignore stacking; this module
//! only chooses its options, keeps the order stable (sorted by file name, depth first) and
//! turns the crate's nested errors into one `WalkError` per unwalkable path. `discover` is
//! the scan-input front end built on it: explicit files as given, `-` for stdin, `--exclude`
//! globs on repo-relative paths.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{Glob, GlobSet, GlobSetBuilder};

use super::{Input, LoadOptions, display_path, git_root, normalize, relative_to};
use crate::diag::{Code, Diagnostic};

/// Decides whether an entry below the walk root is walked: `(path, is_dir)`. A directory
/// it rejects is not entered.
pub type EntryFilter = Arc<dyn Fn(&Path, bool) -> bool + Send + Sync>;

/// How `walk_files` walks one directory.
#[derive(Clone)]
pub struct WalkOptions {
    /// Follow symbolic links; a link back to an ancestor is reported as a `WalkError::Loop`.
    pub follow_links: bool,
    /// Honour `.gitignore` files from the repository root down (from the walk root down
    /// when the walk root is not inside a repository).
    pub gitignore: bool,
    /// Skip entries whose name starts with `.` below the walk root.
    pub skip_hidden: bool,
    /// Report only regular files (after following links); otherwise every entry that is
    /// not a directory.
    pub regular_only: bool,
    /// With `regular_only`, report a kept FIFO, socket or device as a
    /// `WalkError::NotRegular` instead of leaving it out silently (scan inputs say why a
    /// file was not scanned; nobody opens it, so a FIFO cannot hang the walk's reader).
    pub note_special: bool,
    /// Which entries are entered or reported at all (none rejected when unset).
    pub filter: Option<EntryFilter>,
    /// Which files are reported.
    pub keep: fn(&Path) -> bool,
}

impl Default for WalkOptions {
    fn default() -> Self {
        WalkOptions {
            follow_links: false,
            gitignore: false,
            skip_hidden: false,
            regular_only: true,
            note_special: false,
            filter: None,
            keep: |_| true,
        }
    }
}

/// A path that could not be walked. `Display` reads like walkdir's errors, which is what
/// confgate showed before the walk moved onto `ignore`.
#[derive(Debug, thiserror::Error)]
pub enum WalkError {
    #[error(
        "File system loop found: {} points to an ancestor {}",
        child.display(),
        ancestor.display()
    )]
    Loop { ancestor: PathBuf, child: PathBuf },
    #[error("IO error for operation on {}: {cause}", path.display())]
    Io { path: PathBuf, cause: String },
    #[error("{cause}")]
    Other { cause: String },
    #[error("{} is {kind}, not a regular file", path.display())]
    NotRegular { path: PathBuf, kind: &'static str },
}

impl WalkError {
    /// The path the error is about, when known.
    pub fn path(&self) -> Option<&Path> {
        match self {
            WalkError::Loop { child, .. } => Some(child),
            WalkError::Io { path, .. } | WalkError::NotRegular { path, .. } => Some(path),
            WalkError::Other { .. } => None,
        }
    }

    /// The underlying problem without the path (the I/O error's own text).
    pub fn cause(&self) -> String {
        match self {
            WalkError::Loop { .. } => self.to_string(),
            WalkError::NotRegular { kind, .. } => format!("{kind}, not a regular file"),
            WalkError::Io { cause, .. } | WalkError::Other { cause } => cause.clone(),
        }
    }

    /// Converts the `ignore` crate's error; `None` for problems with ignore files
    /// themselves (unreadable or malformed `.gitignore`), which are skipped, as git does.
    fn from_ignore(err: ignore::Error) -> Option<WalkError> {
        let mut path = None;
        let mut err = err;
        loop {
            match err {
                ignore::Error::WithDepth { err: inner, .. } => err = *inner,
                ignore::Error::WithPath {
                    path: p,
                    err: inner,
                } => {
                    path.get_or_insert(p);
                    err = *inner;
                }
                ignore::Error::Loop { ancestor, child } => {
                    return Some(WalkError::Loop { ancestor, child });
                }
                ignore::Error::Io(io) => {
                    if path
                        .as_deref()
                        .and_then(Path::file_name)
                        .is_some_and(|n| n == ".gitignore")
                    {
                        return None;
                    }
                    // The crate wraps walkdir's error, whose `source` is the I/O error.
                    let cause = io
                        .get_ref()
                        .and_then(std::error::Error::source)
                        .map(ToString::to_string)
                        .unwrap_or_else(|| io.to_string());
                    return Some(match path {
                        Some(path) => WalkError::Io { path, cause },
                        None => WalkError::Other { cause },
                    });
                }
                _ => return None,
            }
        }
    }
}

/// The files below `root` (itself when `root` is a file) accepted by `opts`, sorted by file
/// name, depth first, with one error per path that could not be walked.
pub fn walk_files(
    root: &Path,
    opts: &WalkOptions,
) -> impl Iterator<Item = Result<PathBuf, WalkError>> + use<> {
    let mut b = ignore::WalkBuilder::new(root);
    b.standard_filters(false)
        .follow_links(opts.follow_links)
        .hidden(opts.skip_hidden)
        .sort_by_file_name(|a, b| a.cmp(b));
    if opts.gitignore {
        // Inside a repository the crate stacks `.gitignore` files from the repository root
        // down and stops at it; outside one, only the walk root and below count.
        let in_repo = git_root(&root.join("x")).is_some();
        b.git_ignore(true).require_git(in_repo).parents(in_repo);
    }
    if let Some(filter) = opts.filter.clone() {
        b.filter_entry(move |e| {
            e.depth() == 0 || filter(e.path(), e.file_type().is_some_and(|t| t.is_dir()))
        });
    }
    let regular_only = opts.regular_only;
    let note_special = opts.note_special;
    let keep = opts.keep;
    b.build().filter_map(move |entry| match entry {
        Ok(e) => {
            let t = e.file_type()?;
            if t.is_dir() || !keep(e.path()) {
                return None;
            }
            if t.is_file() || !regular_only {
                return Some(Ok(e.into_path()));
            }
            note_special.then(|| {
                Err(WalkError::NotRegular {
                    kind: special_kind(&t),
                    path: e.into_path(),
                })
            })
        }
        Err(err) => WalkError::from_ignore(err).map(Err),
    })
}

/// What a file that is neither a regular file nor a directory is, for messages.
fn special_kind(t: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if t.is_fifo() {
            return "a FIFO (named pipe)";
        }
        if t.is_socket() {
            return "a socket";
        }
        if t.is_char_device() {
            return "a character device";
        }
        if t.is_block_device() {
            return "a block device";
        }
    }
    let _ = t;
    "a special file"
}

/// Inputs found, in a deterministic order, the paths that could not be walked, and one
/// note per special file (FIFO, socket, device) skipped inside a walked directory.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub errors: Vec<Diagnostic>,
    /// Warnings, not errors: the scan is complete without those files.
    pub notes: Vec<String>,
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

fn is_input_file(p: &Path) -> bool {
    p.extension()
        .and_then(|x| x.to_str())
        .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()))
}

fn build_excludes(patterns: &[String]) -> Result<GlobSet, Diagnostic> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_end_matches('/');
        for pat in [
            p.to_string(),
            format!("{p}/**"),
            format!("**/{p}"),
            format!("**/{p}/**"),
        ] {
            let g = Glob::new(&pat).map_err(|e| {
                Diagnostic::new(
                    Code::Settings,
                    format!("--exclude: invalid glob {p:?}: {e}"),
                )
            })?;
            b.add(g);
        }
    }
    b.build()
        .map_err(|e| Diagnostic::new(Code::Settings, format!("--exclude: {e}")))
}

/// Expands paths (files, directories, `-`) into inputs.
pub fn discover(paths: &[String], opts: &LoadOptions, cwd: &Path) -> Discovered {
    let mut out = Discovered::default();
    let excludes = match build_excludes(&opts.exclude) {
        Ok(g) => g,
        Err(e) => {
            out.errors.push(e);
            return out;
        }
    };
    for p in paths {
        if p == "-" {
            out.inputs.push(Input::Stdin);
            continue;
        }
        let path = PathBuf::from(p);
        let abs = normalize(&cwd.join(&path));
        let display = display_path(&path, cwd);
        let meta = match std::fs::metadata(&abs) {
            Ok(m) => m,
            Err(e) => {
                out.errors.push(
                    Diagnostic::new(Code::Unreadable, format!("cannot read: {e} (whole file)"))
                        .file(display),
                );
                continue;
            }
        };
        if !meta.is_dir() && !meta.is_file() {
            // Never opened: reading a FIFO would wait for a writer that may never come.
            let kind = special_kind(&meta.file_type());
            out.errors.push(
                Diagnostic::new(
                    Code::UnsupportedInput,
                    format!("{kind}, not a regular file; not read (whole file)"),
                )
                .file(display),
            );
            continue;
        }
        if !meta.is_dir() {
            // A file named explicitly is scanned whatever its name or ignore status.
            out.inputs.push(Input::File { path: abs, display });
            continue;
        }
        // One display base per walk: the repository root, else the current directory.
        let base = git_root(&abs.join("x")).unwrap_or_else(|| normalize(cwd));
        let filter_base = base.clone();
        let excludes = excludes.clone();
        let filter: EntryFilter = Arc::new(move |path: &Path, is_dir: bool| {
            let name = path.file_name().map(|n| n.to_string_lossy());
            if is_dir && name.is_some_and(|n| n == ".git" || n == ".confgate") {
                return false;
            }
            !excludes.is_match(relative_to(path, &filter_base))
        });
        let walk = WalkOptions {
            follow_links: true,
            gitignore: opts.gitignore,
            skip_hidden: false,
            regular_only: true,
            note_special: true,
            filter: Some(filter),
            keep: is_input_file,
        };
        for entry in walk_files(&abs, &walk) {
            match entry {
                Ok(file) => {
                    let display = relative_to(&file, &base);
                    out.inputs.push(Input::File {
                        path: file,
                        display,
                    });
                }
                Err(WalkError::NotRegular { path, kind }) => out.notes.push(format!(
                    "{}: skipped: {kind}, not a regular file (never opened)",
                    relative_to(&path, &base)
                )),
                Err(e) => {
                    let file = e
                        .path()
                        .map(|p| display_path(p, cwd))
                        .unwrap_or_else(|| display.clone());
                    let message = match &e {
                        WalkError::Loop { ancestor, .. } => format!(
                            "symlink loop: points back to {}; skipped (whole file)",
                            display_path(ancestor, cwd)
                        ),
                        WalkError::Io { .. } => {
                            format!("cannot read: {} (whole file)", e.cause())
                        }
                        WalkError::Other { .. } | WalkError::NotRegular { .. } => e.to_string(),
                    };
                    out.errors
                        .push(Diagnostic::new(Code::Unreadable, message).file(file));
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(files: &[(&str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        for (rel, text) in files {
            let p = dir.path().join(rel);
            if let Some(parent) = p.parent() {
                std::fs::create_dir_all(parent).expect("mkdir");
            }
            std::fs::write(&p, text).expect("write");
        }
        dir
    }

    fn names(root: &Path, opts: &WalkOptions) -> Vec<String> {
        walk_files(root, opts)
            .map(|r| match r {
                Ok(p) => relative_to(&p, root),
                Err(e) => format!("error: {e}"),
            })
            .collect()
    }

    #[test]
    fn files_come_sorted_depth_first_and_hidden_entries_can_be_skipped() {
        let d = tree(&[
            ("b.yaml", ""),
            ("a/z.yaml", ""),
            (".h/x.yaml", ""),
            ("c", ""),
        ]);
        let all = WalkOptions::default();
        assert_eq!(
            names(d.path(), &all),
            [".h/x.yaml", "a/z.yaml", "b.yaml", "c"]
        );
        let visible = WalkOptions {
            skip_hidden: true,
            keep: |p| p.extension().is_some(),
            ..WalkOptions::default()
        };
        assert_eq!(names(d.path(), &visible), ["a/z.yaml", "b.yaml"]);
    }

    #[test]
    fn gitignore_counts_from_the_repository_root_and_deeper_files_win() {
        let d = tree(&[
            (".git/HEAD", ""),
            (".gitignore", "*.out.yaml\n"),
            ("sub/.gitignore", "!keep.out.yaml\n"),
            ("sub/a.out.yaml", ""),
            ("sub/keep.out.yaml", ""),
            ("sub/b.yaml", ""),
        ]);
        let opts = WalkOptions {
            gitignore: true,
            keep: |p| p.extension().is_some_and(|x| x == "yaml"),
            ..WalkOptions::default()
        };
        let sub = d.path().join("sub");
        assert_eq!(names(&sub, &opts), ["b.yaml", "keep.out.yaml"]);
        let off = WalkOptions {
            gitignore: false,
            ..opts
        };
        assert_eq!(names(&sub, &off), ["a.out.yaml", "b.yaml", "keep.out.yaml"]);
    }

    #[test]
    fn outside_a_repository_the_walk_roots_gitignore_counts() {
        let d = tree(&[
            (".gitignore", "gone/\n"),
            ("gone/a.yaml", ""),
            ("kept/b.yaml", ""),
        ]);
        let opts = WalkOptions {
            gitignore: true,
            keep: |p| p.extension().is_some_and(|x| x == "yaml"),
            ..WalkOptions::default()
        };
        assert_eq!(names(d.path(), &opts), ["kept/b.yaml"]);
    }

    #[test]
    fn discover_skips_git_and_confgate_dirs_and_excluded_paths_but_not_other_dot_dirs() {
        let d = tree(&[
            (".git/config.yaml", ""),
            (".confgate/cache.json", ""),
            (".github/workflows/ci.yaml", ""),
            ("a.YAML", ""),
            ("notes.txt", ""),
            ("vendor/x.yml", ""),
        ]);
        let opts = LoadOptions {
            exclude: vec!["vendor/".to_string()],
            ..LoadOptions::default()
        };
        let found = discover(&[".".to_string()], &opts, d.path());
        assert!(found.errors.is_empty(), "{:?}", found.errors);
        let shown: Vec<String> = found
            .inputs
            .iter()
            .map(|i| match i {
                Input::File { display, .. } => display.clone(),
                Input::Stdin => "-".to_string(),
            })
            .collect();
        assert_eq!(shown, [".github/workflows/ci.yaml", "a.YAML"]);
    }

    #[cfg(unix)]
    #[test]
    fn a_symlink_loop_is_one_error_and_the_walk_goes_on() {
        let d = tree(&[("a.yaml", ""), ("sub/b.yaml", "")]);
        std::os::unix::fs::symlink("..", d.path().join("sub/up")).expect("symlink");
        let opts = WalkOptions {
            follow_links: true,
            ..WalkOptions::default()
        };
        let found: Vec<_> = walk_files(d.path(), &opts).collect();
        assert_eq!(found.len(), 3, "{found:?}");
        let loops: Vec<_> = found
            .iter()
            .filter_map(|r| r.as_ref().err())
            .filter(|e| matches!(e, WalkError::Loop { .. }))
            .collect();
        assert_eq!(loops.len(), 1, "{found:?}");
        assert_eq!(loops[0].path(), Some(d.path().join("sub/up").as_path()));
        assert!(
            loops[0].to_string().starts_with("File system loop found: "),
            "{}",
            loops[0]
        );
    }
}
