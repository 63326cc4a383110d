//! Shared helpers for the integration tests: copying fixture trees, comparing trees byte for
//! byte, and running the real `pgshift` binary.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

pub fn fixture(name: &str) -> PathBuf {
    repo().join("fixtures/stage5").join(name)
}

/// Copies a directory tree into a new temporary directory.
pub fn copy_tree(from: &Path) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_into(from, dir.path());
    dir
}

fn copy_into(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_into(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every file of a tree, by relative path.
pub fn read_tree(root: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let entry = entry.unwrap();
            if entry.file_type().unwrap().is_dir() {
                stack.push(entry.path());
            } else {
                let rel = entry
                    .path()
                    .strip_prefix(root)
                    .unwrap()
                    .to_string_lossy()
                    .replace('\\', "/");
                files.insert(rel, std::fs::read(entry.path()).unwrap());
            }
        }
    }
    files
}

/// Asserts two trees are identical, showing a diff of the first file that is not.
pub fn assert_same_tree(actual: &Path, expected: &Path) {
    let (actual, expected) = (read_tree(actual), read_tree(expected));
    let actual_names: Vec<&String> = actual.keys().collect();
    let expected_names: Vec<&String> = expected.keys().collect();
    assert_eq!(
        actual_names, expected_names,
        "the trees hold different files"
    );
    for (path, bytes) in &expected {
        let got = &actual[path];
        if got != bytes {
            let diff = similar::TextDiff::from_lines(
                std::str::from_utf8(bytes).unwrap_or("<binary>"),
                std::str::from_utf8(got).unwrap_or("<binary>"),
            )
            .unified_diff()
            .header("expected", "actual")
            .to_string();
            panic!("{path} differs from the expected tree:\n{diff}");
        }
    }
}

/// Runs the pgshift binary without colour.
pub fn pgshift(args: &[&str], cwd: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgshift"))
        .args(args)
        .current_dir(cwd)
        .env("NO_COLOR", "1")
        .output()
        .expect("run pgshift")
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).unwrap()
}

pub fn code(output: &Output) -> i32 {
    output.status.code().expect("exit code")
}

/// A path beside `dir` (outside the tree under test) named after it, so that tests running in
/// parallel never share it.
pub fn beside(dir: &Path, name: &str) -> PathBuf {
    let stem = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.with_file_name(format!("{stem}.{name}"))
}
