//! Finding the source files of a project: a `.gitignore`-aware walk that skips dependency and
//! build folders, or the exact files a caller names. [`walk_each`] hands each file to a
//! visitor on the walker's threads as it is found, so a run never holds the list of a whole
//! repository; [`walk`] collects and sorts it for callers that want the list.

use std::path::{Path, PathBuf};

use ignore::{WalkBuilder, WalkState};

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

/// A folder to walk and where it sits in the project.
#[derive(Debug, Clone)]
pub struct WalkRoot {
    pub dir: PathBuf,
    /// The folder relative to the project root, `/`-separated; empty for the root itself.
    pub rel: String,
}

impl WalkRoot {
    /// The project root itself.
    pub fn project(root: &Path) -> WalkRoot {
        WalkRoot {
            dir: root.to_path_buf(),
            rel: String::new(),
        }
    }
}

fn builder(dir: &Path) -> WalkBuilder {
    let mut builder = WalkBuilder::new(dir);
    builder
        .hidden(false)
        .require_git(false)
        .git_global(false)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && entry.depth() > 0 && SKIPPED_DIRS.iter().any(|d| entry.file_name() == *d))
        });
    builder
}

/// Every TypeScript/JavaScript file under `root`, sorted by relative path.
pub fn walk(root: &Path) -> Vec<SourcePath> {
    let found = std::sync::Mutex::new(Vec::new());
    walk_each(&WalkRoot::project(root), &|file| {
        found.lock().unwrap_or_else(|e| e.into_inner()).push(file)
    });
    let mut files = found.into_inner().unwrap_or_else(|e| e.into_inner());
    files.sort();
    files
}

/// Calls `visit` with every TypeScript/JavaScript file under `root.dir`, in no particular
/// order, from several threads at once.
pub fn walk_each(root: &WalkRoot, visit: &(dyn Fn(SourcePath) + Sync)) {
    builder(&root.dir).build_parallel().run(|| {
        Box::new(|entry| {
            let Ok(entry) = entry else {
                return WalkState::Continue;
            };
            if !entry.file_type().is_some_and(|t| t.is_file()) {
                return WalkState::Continue;
            }
            let Some(within) = relative(&root.dir, entry.path()) else {
                return WalkState::Continue;
            };
            if Lang::from_path(&within).is_none() {
                return WalkState::Continue;
            }
            let rel = if root.rel.is_empty() {
                within
            } else {
                format!("{}/{within}", root.rel)
            };
            visit(SourcePath {
                rel,
                abs: entry.into_path(),
            });
            WalkState::Continue
        })
    });
}

/// `path` relative to `root`, `/`-separated, or `None` when it is not under `root`.
pub fn relative(root: &Path, path: &Path) -> Option<String> {
    let rel = path.strip_prefix(root).ok()?;
    let mut out = String::with_capacity(rel.as_os_str().len());
    for part in rel.components() {
        if !out.is_empty() {
            out.push('/');
        }
        out.push_str(&part.as_os_str().to_string_lossy());
    }
    Some(out)
}
