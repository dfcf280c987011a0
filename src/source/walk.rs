//! Finding input files: explicit files as given, directories walked recursively (walkdir,
//! symlinks followed with loop detection), `.gitignore` files honoured from the repository
//! root down, `--exclude` globs applied to repo-relative paths.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use globset::{Glob, GlobSet, GlobSetBuilder};
use ignore::gitignore::{Gitignore, GitignoreBuilder};
use walkdir::WalkDir;

use super::{Input, InputError, LoadOptions, display_path, git_root, normalize, relative_to};

/// Inputs found, in a deterministic order, and the paths that could not be walked.
#[derive(Debug, Default)]
pub struct Discovered {
    pub inputs: Vec<Input>,
    pub errors: Vec<InputError>,
}

const EXTENSIONS: [&str; 3] = ["yaml", "yml", "json"];

fn build_excludes(patterns: &[String]) -> Result<GlobSet, InputError> {
    let mut b = GlobSetBuilder::new();
    for p in patterns {
        let p = p.trim_end_matches('/');
        for pat in [
            p.to_string(),
            format!("{p}/**"),
            format!("**/{p}"),
            format!("**/{p}/**"),
        ] {
            let g = Glob::new(&pat).map_err(|e| InputError {
                column: None,
                file: "--exclude".to_string(),
                line: None,
                message: format!("invalid glob {p:?}: {e}"),
            })?;
            b.add(g);
        }
    }
    b.build().map_err(|e| InputError {
        column: None,
        file: "--exclude".to_string(),
        line: None,
        message: e.to_string(),
    })
}

/// Per-directory `.gitignore` matchers, built once per directory.
struct Ignores {
    enabled: bool,
    cache: HashMap<PathBuf, Option<Gitignore>>,
}

impl Ignores {
    fn matcher(&mut self, dir: &Path) -> Option<&Gitignore> {
        self.cache
            .entry(dir.to_path_buf())
            .or_insert_with(|| {
                let f = dir.join(".gitignore");
                if !f.is_file() {
                    return None;
                }
                let mut b = GitignoreBuilder::new(dir);
                b.add(&f);
                b.build().ok()
            })
            .as_ref()
    }

    /// Is `path` ignored by any `.gitignore` between `top` and its parent directory?
    fn ignored(&mut self, path: &Path, is_dir: bool, top: &Path) -> bool {
        if !self.enabled {
            return false;
        }
        let Some(parent) = path.parent() else {
            return false;
        };
        let dirs: Vec<PathBuf> = parent
            .ancestors()
            .take_while(|a| a.starts_with(top))
            .map(Path::to_path_buf)
            .collect();
        // The deepest .gitignore has the last word, as in git.
        for d in dirs.iter() {
            if let Some(m) = self.matcher(d) {
                let r = m.matched(path, is_dir);
                if r.is_ignore() {
                    return true;
                }
                if r.is_whitelist() {
                    return false;
                }
            }
        }
        false
    }
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
    let mut ignores = Ignores {
        enabled: opts.gitignore,
        cache: HashMap::new(),
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
                out.errors.push(InputError {
                    column: None,
                    file: display,
                    line: None,
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if !meta.is_dir() {
            // A file named explicitly is scanned whatever its name or ignore status.
            out.inputs.push(Input::File { path: abs, display });
            continue;
        }
        let repo = git_root(&abs.join("x"));
        let top = repo.clone().unwrap_or_else(|| abs.clone());
        // One display base per walk: the repository root, else the current directory.
        let base = repo.unwrap_or_else(|| normalize(cwd));
        let walker = WalkDir::new(&abs)
            .follow_links(true)
            .sort_by_file_name()
            .into_iter()
            .filter_entry(|e| {
                if e.depth() == 0 {
                    return true;
                }
                let name = e.file_name().to_string_lossy();
                if e.file_type().is_dir() && (name == ".git" || name == ".confgate") {
                    return false;
                }
                let rel = relative_to(e.path(), &base);
                if excludes.is_match(&rel) {
                    return false;
                }
                !ignores.ignored(e.path(), e.file_type().is_dir(), &top)
            });
        for entry in walker {
            match entry {
                Ok(e) => {
                    if e.file_type().is_dir() {
                        continue;
                    }
                    let ext_ok = e
                        .path()
                        .extension()
                        .and_then(|x| x.to_str())
                        .is_some_and(|x| EXTENSIONS.contains(&x.to_ascii_lowercase().as_str()));
                    if ext_ok {
                        out.inputs.push(Input::File {
                            path: e.path().to_path_buf(),
                            display: relative_to(e.path(), &base),
                        });
                    }
                }
                Err(e) => {
                    let file = e
                        .path()
                        .map(|p| display_path(p, cwd))
                        .unwrap_or_else(|| display.clone());
                    let message = if let Some(anc) = e.loop_ancestor() {
                        format!(
                            "symlink loop: points back to {}; skipped",
                            display_path(anc, cwd)
                        )
                    } else if let Some(io) = e.io_error() {
                        format!("cannot read: {io}")
                    } else {
                        e.to_string()
                    };
                    out.errors.push(InputError {
                        column: None,
                        file,
                        line: None,
                        message,
                    });
                }
            }
        }
    }
    out
}
