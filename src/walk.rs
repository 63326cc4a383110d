//! Finding the source files of a project: a `.gitignore`-aware walk that skips dependency and
//! build folders, or the exact files a caller names.

use std::path::{Path, PathBuf};

use ignore::WalkBuilder;

use crate::source::Lang;

/// Folders never entered, whatever the ignore files say.
pub const SKIPPED_DIRS: &[&str] = &[
    "node_modules",
    ".git",
    ".next",
    "dist",
    "build",
    "coverage",
    ".turbo",
];

/// A source file: where it is on disk and how it is named in output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourcePath {
    /// Relative to the project root, `/`-separated; what rules' globs match and output shows.
    pub rel: String,
    pub abs: PathBuf,
}

/// Every TypeScript/JavaScript file under `root`, sorted by relative path.
pub fn walk(root: &Path) -> Vec<SourcePath> {
    let mut builder = WalkBuilder::new(root);
    builder
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && SKIPPED_DIRS.iter().any(|d| entry.file_name() == *d))
        });
    let mut files: Vec<SourcePath> = builder
        .build()
        .filter_map(Result::ok)
        .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
        .filter_map(|entry| {
            let rel = relative(root, entry.path())?;
            Lang::from_path(&rel)?;
            Some(SourcePath {
                rel,
                abs: entry.into_path(),
            })
        })
        .collect();
    files.sort();
    files
}

/// `path` relative to `root`, `/`-separated, or `None` when it is not under `root`.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    Some(parts.join("/"))
}
