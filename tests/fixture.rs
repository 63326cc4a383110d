//! The Stage 5 fixture end to end, through the real binary: `apply` on `before/` gives `after/`
//! byte for byte, a second `apply` changes nothing, the `diff` output is a patch `git apply`
//! takes, `check` tells the two trees apart, and `after/` still type-checks.

mod common;

use std::process::Command;

use common::*;

#[test]
fn apply_turns_before_into_after_byte_for_byte() {
    let work = copy_tree(&fixture("before"));
    let output = pgshift(&["apply", "."], work.path());
    assert_eq!(
        code(&output),
        1,
        "review places remain, so apply exits 1:\n{}",
        stderr(&output)
    );
    assert_same_tree(work.path(), &fixture("after"));
}

#[test]
fn apply_reaches_a_fixed_point_in_one_run() {
    let work = copy_tree(&fixture("after"));
    let output = pgshift(&["apply", "."], work.path());
    assert!(
        stderr(&output).contains("0 files changed"),
        "{}",
        stderr(&output)
    );
    assert_same_tree(work.path(), &fixture("after"));
    let diff = pgshift(&["diff", "--exit-code", "."], work.path());
    assert_eq!(stdout(&diff), "", "diff after apply must be empty");
}

#[test]
fn diff_is_a_patch_git_applies() {
    let work = copy_tree(&fixture("before"));
    let diff = pgshift(&["diff", "."], work.path());
    assert_eq!(code(&diff), 0);
    let patch = beside(work.path(), "stage5.patch");
    std::fs::write(&patch, &diff.stdout).unwrap();
    let applied = Command::new("git")
        .args(["apply", "--verbose"])
        .arg(&patch)
        .current_dir(work.path())
        .output()
        .expect("git runs");
    std::fs::remove_file(&patch).unwrap();
    assert!(
        applied.status.success(),
        "git apply failed: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
    assert_same_tree(work.path(), &fixture("after"));
}

#[test]
fn diff_output_snapshot() {
    let diff = pgshift(&["diff", "fixtures/stage5/before"], &repo());
    insta::assert_snapshot!("fixture_diff", stdout(&diff));
    insta::assert_snapshot!("fixture_diff_summary", stderr(&diff));
}

#[test]
fn check_fails_on_before_and_reports_only_reviews_on_after() {
    let before = pgshift(
        &["check", "--format", "json", "fixtures/stage5/before"],
        &repo(),
    );
    assert_eq!(code(&before), 1);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&before.stdout).unwrap();
    assert!(findings.iter().any(|f| f["kind"] == "change"));

    let after = pgshift(
        &["check", "--format", "json", "fixtures/stage5/after"],
        &repo(),
    );
    assert_eq!(code(&after), 1, "the review places are still findings");
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&after.stdout).unwrap();
    assert!(
        findings.iter().all(|f| f["kind"] != "change"),
        "check after apply must find nothing to change: {findings:#?}"
    );
    insta::assert_snapshot!(
        "check_after",
        stdout(&pgshift(&["check", "fixtures/stage5/after"], &repo()))
    );
}

#[test]
fn crlf_and_bom_survive() {
    let work = copy_tree(&fixture("before"));
    pgshift(&["apply", "."], work.path());
    let path = "src/services/media/queue/WatermarkQueue.ts";
    let bytes = std::fs::read(work.path().join(path)).unwrap();
    assert!(bytes.starts_with("\u{feff}".as_bytes()), "BOM kept");
    let text = String::from_utf8(bytes).unwrap();
    assert!(text.contains("concurrency"), "file still there");
    assert_eq!(
        text.matches('\n').count(),
        text.matches("\r\n").count(),
        "every line ends in CRLF"
    );
    let before = std::fs::read_to_string(fixture("before").join(path)).unwrap();
    assert_ne!(text, before, "the CRLF file was edited");
}

#[test]
fn unparseable_file_is_reported_and_untouched() {
    let work = copy_tree(&fixture("before"));
    let output = pgshift(&["apply", "."], work.path());
    let path = "src/legacy/broken-sync.ts";
    assert_eq!(
        std::fs::read(work.path().join(path)).unwrap(),
        std::fs::read(fixture("before").join(path)).unwrap()
    );
    assert!(
        stderr(&output).contains(&format!("{path}: skipped: does not parse")),
        "{}",
        stderr(&output)
    );
}

#[test]
fn every_source_file_of_after_parses() {
    use pgshift::source::{Lang, parse};
    for (path, bytes) in read_tree(&fixture("after")) {
        let Some(lang) = Lang::from_path(&path) else {
            continue;
        };
        if path.contains("broken-") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        parse(&text, lang).unwrap_or_else(|e| panic!("{path} does not parse: {e}"));
    }
}

/// `tsc --noEmit` passes on `after/` (and on `before/`, so the codemod kept a compiling project
/// compiling). CI installs TypeScript under tools/; there, a missing tsc fails the test.
#[test]
fn after_type_checks() {
    let tsc = repo().join("tools/node_modules/.bin/tsc");
    if !tsc.exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "tsc is missing in CI: run `npm ci --prefix tools` (.ci/run does)"
        );
        eprintln!("SKIPPED after_type_checks: run `npm ci --prefix tools` to install tsc");
        return;
    }
    for tree in ["before", "after"] {
        let output = Command::new(&tsc)
            .args(["--noEmit", "-p"])
            .arg(fixture(tree))
            .output()
            .expect("tsc runs");
        assert!(
            output.status.success(),
            "tsc on {tree}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// The guard sees every form of a workaround the fixture holds, however the code names it:
/// `check` on `before/` has a change (or, where no edit is safe, a review) at each.
#[test]
fn check_sees_the_workaround_under_every_name() {
    let output = pgshift(
        &["check", "--format", "json", "fixtures/stage5/before"],
        &repo(),
    );
    assert_eq!(code(&output), 1);
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let has = |path: &str, line: u64, rule: &str, kind: &str| {
        findings.iter().any(|f| {
            f["path"].as_str().is_some_and(|p| p.ends_with(path))
                && f["line"] == line
                && f["rule"] == rule
                && f["kind"] == kind
        })
    };
    let reporter = "src/services/media/sync/ProgressReporter.ts";
    let worker = "src/services/media/queue/MediaSyncWorker.ts";
    for (path, line, rule, kind) in [
        (reporter, 8, "progress-await", "change"), // aliased import
        (reporter, 9, "progress-await", "change"), // namespace member
        (reporter, 10, "progress-await", "change"), // void statement
        (reporter, 15, "progress-await", "review"), // arrow body
        (worker, 127, "transaction-timeout", "change"), // const passed by name
        (worker, 128, "transaction-timeout", "change"), // const spread
        (worker, 130, "transaction-timeout", "review"), // const shared by two calls
        (worker, 148, "transaction-timeout", "change"), // computed member
        (worker, 131, "results-slice-50", "change"), // number const
        (worker, 126, "sqlite-comments", "change"), // the comment by the edited const
    ] {
        assert!(
            has(path, line, rule, kind),
            "no {kind} of {rule} at {path}:{line}: {findings:#?}"
        );
    }
}
