//! Uncommitted work is safe: in a real git repository, `apply` and `init-postgres --write`
//! refuse (exit 2, nothing written, the files named) while a file they would change holds
//! staged, unstaged or untracked work, unless `--allow-dirty`; outside a repository they say
//! there is no undo and go on; `diff` and `check` are unaffected.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

fn git(dir: &Path, args: &[&str]) -> Output {
    Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs")
}

fn git_ok(dir: &Path, args: &[&str]) {
    let output = git(dir, args);
    assert!(
        output.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The fixture's `before/` tree, committed in a fresh repository.
fn committed_fixture() -> tempfile::TempDir {
    let work = copy_tree(&fixture("before"));
    git_ok(work.path(), &["init", "-q", "-b", "main"]);
    git_ok(work.path(), &["config", "commit.gpgsign", "false"]);
    git_ok(work.path(), &["add", "-A"]);
    git_ok(work.path(), &["commit", "-qm", "base", "--no-verify"]);
    work
}

const WORKER: &str = "src/services/media/queue/MediaSyncWorker.ts";
const ROUTE: &str = "src/app/api/media/[id]/route.ts";

/// The tree without `.git` (git itself may refresh its index while answering).
fn work_tree(root: &Path) -> std::collections::BTreeMap<String, Vec<u8>> {
    let mut tree = read_tree(root);
    tree.retain(|path, _| !path.starts_with(".git/"));
    tree
}

fn append(root: &Path, path: &str, text: &str) {
    let full = root.join(path);
    let mut content = std::fs::read_to_string(&full).unwrap();
    content.push_str(text);
    std::fs::write(full, content).unwrap();
}

#[test]
fn apply_refuses_files_with_uncommitted_work_and_writes_nothing() {
    let work = committed_fixture();
    append(work.path(), WORKER, "// my unfinished change\n");
    append(work.path(), ROUTE, "// staged, not committed\n");
    git_ok(work.path(), &["add", "--", ROUTE]);
    // An untracked file that apply would change: git holds no copy of it.
    std::fs::write(
        work.path().join("src/untracked.ts"),
        "import { withDbRetry } from '@/lib/db';\nexport const x = () => withDbRetry(async () => 1);\n",
    )
    .unwrap();
    let before = work_tree(work.path());

    let output = pgshift(&["apply", "."], work.path());
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(
        err.contains("3 files that apply would change hold work git could not give back"),
        "{err}"
    );
    assert!(
        err.contains(&format!("{WORKER} (unstaged changes)")),
        "{err}"
    );
    assert!(err.contains(&format!("{ROUTE} (staged changes)")), "{err}");
    assert!(err.contains("src/untracked.ts (untracked)"), "{err}");
    assert!(err.contains("--allow-dirty"), "{err}");
    assert!(
        !err.contains("src/lib/db/retry.ts"),
        "a committed file is not named: {err}"
    );
    assert_eq!(work_tree(work.path()), before, "nothing was written");

    // diff and check do not care.
    let diff = pgshift(&["diff", "."], work.path());
    assert_eq!(code(&diff), 0, "{}", stderr(&diff));
    assert!(stdout(&diff).contains(WORKER));
    let check = pgshift(&["check", "."], work.path());
    assert_eq!(code(&check), 1, "{}", stderr(&check));

    // --allow-dirty writes, the user's own lines included.
    let output = pgshift(&["apply", "--allow-dirty", "."], work.path());
    assert_eq!(
        code(&output),
        1,
        "review places remain: {}",
        stderr(&output)
    );
    let worker = std::fs::read_to_string(work.path().join(WORKER)).unwrap();
    assert!(worker.contains("// my unfinished change"));
    assert!(worker.contains("withNetworkRetry"));
}

#[test]
fn a_clean_repository_is_applied_and_git_shows_exactly_the_edits() {
    let work = committed_fixture();
    // Uncommitted work in a file apply does not touch does not stop it.
    append(
        work.path(),
        "src/lib/logger.ts",
        "// unrelated work in progress\n",
    );
    let output = pgshift(&["apply", "."], work.path());
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(!stderr(&output).contains("no undo"), "{}", stderr(&output));
    // `git checkout` gives the tree back: the edits are the whole difference.
    git_ok(work.path(), &["checkout", "--", "src/services"]);
    let status = git(
        work.path(),
        &["status", "--porcelain", "--", "src/services"],
    );
    assert_eq!(String::from_utf8_lossy(&status.stdout), "");
}

#[test]
fn outside_a_repository_apply_says_there_is_no_undo_and_goes_on() {
    let work = copy_tree(&fixture("before"));
    if git(work.path(), &["rev-parse", "--show-toplevel"])
        .status
        .success()
    {
        eprintln!("SKIPPED: the temporary folder is inside a git repository");
        return;
    }
    let output = pgshift(&["apply", "."], work.path());
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(
        stderr(&output)
            .contains("is not in a git repository: what apply writes cannot be undone with git"),
        "{}",
        stderr(&output)
    );
    assert_same_tree(work.path(), &fixture("after"));
}

#[test]
fn init_postgres_write_refuses_a_dirty_package_json() {
    let work = committed_fixture();
    append(work.path(), "package.json", "\n");
    let before = work_tree(work.path());
    let output = pgshift(&["init-postgres", "--write", "."], work.path());
    assert_eq!(code(&output), 2, "{}", stderr(&output));
    assert!(
        stderr(&output).contains("package.json (unstaged changes)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(work_tree(work.path()), before, "nothing was written");
    // The dry run is unaffected.
    let dry = pgshift(&["init-postgres", "."], work.path());
    assert_ne!(code(&dry), 2, "{}", stderr(&dry));
    let output = pgshift(
        &["init-postgres", "--write", "--allow-dirty", "."],
        work.path(),
    );
    assert_ne!(code(&output), 2, "{}", stderr(&output));
    assert!(work.path().join("postgresql/docker-compose.yml").exists());
}
