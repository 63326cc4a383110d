//! What pgshift needs from git: the repository's top folder, the staged content of the files a
//! commit would change (the index, not the working tree, read in one batch) for `check --staged`,
//! and which of the files a run would write hold work git could not give back
//! ([`uncommitted`], for `apply` and `init-postgres --write`).

use std::io::{BufRead as _, BufReader, Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A git command that failed, or no repository.
#[derive(Debug, thiserror::Error)]
pub enum GitError {
    #[error(
        "{0} is not inside a git repository; --staged reads the git index (run `git init`, or check files by name)"
    )]
    NotARepository(String),
    #[error("could not run git: {0}")]
    Spawn(#[from] std::io::Error),
    #[error("`git {command}` failed: {stderr}")]
    Failed { command: String, stderr: String },
}

/// A file as it is staged for the next commit.
#[derive(Debug, Clone)]
pub struct StagedFile {
    /// Relative to the repository's top folder, `/`-separated.
    pub path: String,
    pub content: Vec<u8>,
}

fn git(dir: &Path, args: &[&str]) -> Result<Vec<u8>, GitError> {
    let output = Command::new("git").args(args).current_dir(dir).output()?;
    if !output.status.success() {
        return Err(GitError::Failed {
            command: args.join(" "),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    Ok(output.stdout)
}

/// The top folder of the repository that holds `dir`.
pub fn toplevel(dir: &Path) -> Result<PathBuf, GitError> {
    match git(dir, &["rev-parse", "--show-toplevel"]) {
        Ok(out) => Ok(PathBuf::from(
            String::from_utf8_lossy(&out).trim_end_matches(['\n', '\r']),
        )),
        Err(GitError::Failed { .. }) => Err(GitError::NotARepository(dir.display().to_string())),
        Err(other) => Err(other),
    }
}

/// The paths a commit would add or change (deleted files have nothing to check; a renamed
/// file is checked under its new name), relative to the top folder.
pub fn staged_paths(repo: &Path) -> Result<Vec<String>, GitError> {
    let out = git(
        repo,
        &[
            "diff",
            "--cached",
            "--name-status",
            "-z",
            "-M",
            "--diff-filter=ACMRT",
        ],
    )?;
    let mut fields = out.split(|&b| b == 0).filter(|f| !f.is_empty());
    let mut paths = Vec::new();
    while let Some(status) = fields.next() {
        let two_paths = matches!(status.first(), Some(b'R') | Some(b'C'));
        if two_paths {
            fields.next();
        }
        if let Some(path) = fields.next() {
            paths.push(String::from_utf8_lossy(path).into_owned());
        }
    }
    Ok(paths)
}

/// The staged content of `paths`, read with one `git cat-file --batch`.
pub fn staged_contents(repo: &Path, paths: &[String]) -> Result<Vec<StagedFile>, GitError> {
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .current_dir(repo)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    let requests: String = paths.iter().map(|p| format!(":{p}\n")).collect();
    let writer = std::thread::spawn(move || stdin.write_all(requests.as_bytes()));
    let mut reader = BufReader::new(child.stdout.take().expect("piped stdout"));
    let mut files = Vec::with_capacity(paths.len());
    for path in paths {
        let mut header = String::new();
        reader.read_line(&mut header)?;
        let size = header
            .trim_end()
            .rsplit(' ')
            .next()
            .and_then(|s| s.parse::<usize>().ok());
        let Some(size) = size.filter(|_| header.contains(" blob ")) else {
            continue;
        };
        let mut content = vec![0; size];
        reader.read_exact(&mut content)?;
        let mut newline = [0u8; 1];
        reader.read_exact(&mut newline)?;
        files.push(StagedFile {
            path: path.clone(),
            content,
        });
    }
    writer.join().expect("writer thread")?;
    let status = child.wait()?;
    if !status.success() {
        return Err(GitError::Failed {
            command: "cat-file --batch".into(),
            stderr: String::new(),
        });
    }
    Ok(files)
}

/// Why git could not give back a file as it is now, were pgshift to write it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Uncommitted {
    /// Changes added to the index and not committed.
    Staged,
    /// Changes in the working tree that are not staged.
    Modified,
    /// Both.
    StagedAndModified,
    /// A file git does not track: no committed copy to go back to.
    Untracked,
    /// A file the repository ignores: git holds no copy either.
    Ignored,
}

impl Uncommitted {
    pub fn describe(self) -> &'static str {
        match self {
            Uncommitted::Staged => "staged changes",
            Uncommitted::Modified => "unstaged changes",
            Uncommitted::StagedAndModified => "staged and unstaged changes",
            Uncommitted::Untracked => "untracked",
            Uncommitted::Ignored => "ignored by git",
        }
    }
}

/// What git says of the files a run would write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WorkTreeState {
    /// The folder is not inside a git repository: nothing pgshift writes can be undone with git.
    NoRepository,
    /// The files (as passed in) whose current content git could not restore, in input order.
    /// Empty: every file is committed as it is, so `git checkout` or `git diff` undoes or shows
    /// exactly what pgshift changed.
    Files(Vec<(PathBuf, Uncommitted)>),
}

/// How many paths go on one `git status` command line.
const PATHS_PER_STATUS: usize = 500;

/// Which of `files` (existing files pgshift would change, absolute or relative to `dir`) hold
/// staged or unstaged changes, or are not tracked at all, in the repository that holds `dir`.
/// Files that do not exist yet are not asked about: creating one loses nothing.
pub fn uncommitted(dir: &Path, files: &[PathBuf]) -> Result<WorkTreeState, GitError> {
    let top = match toplevel(dir) {
        Ok(top) => top,
        Err(GitError::NotARepository(_)) => return Ok(WorkTreeState::NoRepository),
        Err(other) => return Err(other),
    };
    let top = top.canonicalize().unwrap_or(top);
    // Each file as git names it (relative to the top folder), and the name the caller used.
    let mut asked: Vec<(String, &PathBuf)> = Vec::new();
    for file in files {
        let absolute = if file.is_absolute() {
            file.clone()
        } else {
            dir.join(file)
        };
        let Ok(real) = absolute.canonicalize() else {
            continue;
        };
        if let Ok(rel) = real.strip_prefix(&top) {
            asked.push((rel.to_string_lossy().replace('\\', "/"), file));
        }
    }
    let mut states: std::collections::HashMap<String, Uncommitted> = Default::default();
    for chunk in asked.chunks(PATHS_PER_STATUS) {
        let mut args = vec![
            "--literal-pathspecs",
            "status",
            "--porcelain=v1",
            "-z",
            "--untracked-files=all",
            "--ignored=matching",
            "--no-renames",
            "--",
        ];
        args.extend(chunk.iter().map(|(rel, _)| rel.as_str()));
        let out = git(&top, &args)?;
        for entry in out.split(|&b| b == 0).filter(|e| e.len() > 3) {
            let (x, y) = (entry[0], entry[1]);
            let path = String::from_utf8_lossy(&entry[3..]).into_owned();
            let state = match (x, y) {
                (b'?', b'?') => Uncommitted::Untracked,
                (b'!', b'!') => Uncommitted::Ignored,
                (b' ', _) => Uncommitted::Modified,
                (_, b' ') => Uncommitted::Staged,
                _ => Uncommitted::StagedAndModified,
            };
            states.insert(path, state);
        }
    }
    Ok(WorkTreeState::Files(
        asked
            .into_iter()
            .filter_map(|(rel, file)| states.get(&rel).map(|s| (file.clone(), *s)))
            .collect(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(dir: &Path, args: &[&str]) {
        let output = Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_AUTHOR_NAME", "t")
            .env("GIT_AUTHOR_EMAIL", "t@example.com")
            .env("GIT_COMMITTER_NAME", "t")
            .env("GIT_COMMITTER_EMAIL", "t@example.com")
            .output()
            .unwrap();
        assert!(output.status.success(), "git {args:?}: {output:?}");
    }

    #[test]
    fn every_kind_of_uncommitted_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        run(root, &["init", "-q"]);
        std::fs::create_dir_all(root.join("src/app/[id]")).unwrap();
        for name in [
            "clean.ts",
            "staged.ts",
            "modified.ts",
            "both.ts",
            "src/app/[id]/route.ts",
            ".gitignore",
        ] {
            std::fs::write(root.join(name), "export {};\n").unwrap();
        }
        std::fs::write(root.join(".gitignore"), "ignored.ts\n").unwrap();
        run(root, &["add", "."]);
        run(root, &["commit", "-qm", "base"]);
        std::fs::write(root.join("staged.ts"), "export const a = 1;\n").unwrap();
        run(root, &["add", "staged.ts"]);
        std::fs::write(root.join("modified.ts"), "export const b = 1;\n").unwrap();
        std::fs::write(root.join("both.ts"), "export const c = 1;\n").unwrap();
        run(root, &["add", "both.ts"]);
        std::fs::write(root.join("both.ts"), "export const c = 2;\n").unwrap();
        std::fs::write(root.join("untracked.ts"), "export {};\n").unwrap();
        std::fs::write(root.join("ignored.ts"), "export {};\n").unwrap();
        // `[id]` is a folder name, not a glob: the route next to it must not be matched.
        std::fs::create_dir_all(root.join("src/app/i")).unwrap();
        std::fs::write(root.join("src/app/i/route.ts"), "export {};\n").unwrap();

        let files: Vec<PathBuf> = [
            "clean.ts",
            "staged.ts",
            "modified.ts",
            "both.ts",
            "untracked.ts",
            "ignored.ts",
            "src/app/[id]/route.ts",
            "not-there-yet.ts",
        ]
        .iter()
        .map(PathBuf::from)
        .collect();
        let state = uncommitted(root, &files).unwrap();
        assert_eq!(
            state,
            WorkTreeState::Files(vec![
                (PathBuf::from("staged.ts"), Uncommitted::Staged),
                (PathBuf::from("modified.ts"), Uncommitted::Modified),
                (PathBuf::from("both.ts"), Uncommitted::StagedAndModified),
                (PathBuf::from("untracked.ts"), Uncommitted::Untracked),
                (PathBuf::from("ignored.ts"), Uncommitted::Ignored),
            ])
        );
        // From a subfolder, with absolute paths.
        let sub = root.join("src");
        let absolute = vec![root.join("modified.ts"), root.join("clean.ts")];
        assert_eq!(
            uncommitted(&sub, &absolute).unwrap(),
            WorkTreeState::Files(vec![(root.join("modified.ts"), Uncommitted::Modified)])
        );
    }

    #[test]
    fn outside_a_repository_there_is_no_undo() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("a.ts"), "x\n").unwrap();
        // A temporary folder may sit inside a repository (rare); only assert where it does not.
        if toplevel(dir.path()).is_err() {
            assert_eq!(
                uncommitted(dir.path(), &[PathBuf::from("a.ts")]).unwrap(),
                WorkTreeState::NoRepository
            );
        }
    }
}
