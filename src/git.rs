//! What `check --staged` needs from git: the repository's top folder and the staged content of
//! the files a commit would change (the index, not the working tree), read in one batch.

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
