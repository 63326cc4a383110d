//! `pgshift apply --report FILE.md [--verify-json FILE]` on a copy of the fixture: the report
//! lists every edit `apply` made (checked against `diff --format json` of the same tree), the
//! review places and the SQLite-isms left, and the verification verdict; a bad verify file
//! stops `apply` before anything is written.

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

fn planned_edits(root: &Path) -> Value {
    let plan = pgshift(&["diff", "--format", "json", "."], root);
    serde_json::from_slice(&plan.stdout).unwrap()
}

/// The rows of one rule's table: `(path, first before-line, lines shown before)`.
fn rows(report: &str, rule: &str) -> Vec<(String, usize, usize)> {
    let heading = format!("### `{rule}`\n");
    let start = report
        .find(&heading)
        .unwrap_or_else(|| panic!("no section for {rule}"));
    let section = &report[start + heading.len()..];
    let section = &section[..section.find("\n### ").or(section.find("\n## ")).unwrap()];
    section
        .lines()
        .filter(|l| l.starts_with("| `") && l.contains(" → "))
        .map(|line| {
            let cells: Vec<&str> = line.split(" | ").collect();
            let place = cells[0].trim_start_matches("| `").trim_end_matches('`');
            let (path_line, _) = place.split_once(" → ").unwrap();
            let (path, number) = path_line.rsplit_once(':').unwrap();
            let shown = cells[1].matches("<br>").count() + 1;
            (path.to_string(), number.parse().unwrap(), shown)
        })
        .collect()
}

#[test]
fn the_report_lists_every_edit_apply_made() {
    let work = copy_tree(&fixture("before"));
    let plan = planned_edits(work.path());
    let report_path = beside(work.path(), "MIGRATION.md");
    let output = pgshift(
        &["apply", ".", "--report", report_path.to_str().unwrap()],
        work.path(),
    );
    assert_eq!(
        code(&output),
        1,
        "review places remain: {}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("pgshift: report written to"));
    assert_same_tree(work.path(), &fixture("after"));
    let report = std::fs::read_to_string(&report_path).unwrap();
    std::fs::remove_file(&report_path).unwrap();

    let mut per_rule: BTreeMap<String, usize> = BTreeMap::new();
    let mut files_per_rule: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
    let mut total = 0;
    for file in plan["files"].as_array().unwrap() {
        let path = file["path"].as_str().unwrap();
        for edit in file["edits"].as_array().unwrap() {
            let rule = edit["rule"].as_str().unwrap();
            let line = edit["line"].as_u64().unwrap() as usize;
            total += 1;
            *per_rule.entry(rule.to_string()).or_default() += 1;
            files_per_rule
                .entry(rule.to_string())
                .or_default()
                .insert(path.to_string());
            let covered = rows(&report, rule)
                .iter()
                .any(|(p, first, shown)| p == path && *first <= line && line < first + shown);
            assert!(
                covered,
                "the report has no row for {rule} at {path}:{line}:\n{report}"
            );
        }
    }
    assert_eq!(total, 98);
    assert!(report.contains("| files changed | 16 |"));
    assert!(report.contains(&format!("| edits | {total} |")));
    for (rule, count) in &per_rule {
        let files = files_per_rule[rule].len();
        let edits = if *count == 1 {
            "1 edit".to_string()
        } else {
            format!("{count} edits")
        };
        let in_files = if files == 1 {
            "1 file".to_string()
        } else {
            format!("{files} files")
        };
        assert!(
            report.contains(&format!("{edits} in {in_files}.")),
            "{rule}: {edits} in {in_files}"
        );
    }
    // Review places, SQLite-isms and what was not processed are there too.
    assert!(report.contains("| places left for review | 9 |"));
    assert!(
        report.contains("`src/services/media/sync/MediaSyncService.ts:125:7` | `progress-await`")
    );
    assert!(report.contains("| SQLite-isms still in the code | 11 |"));
    assert!(report.contains("`prisma/seed.ts:28:8` | `sqlite-raw-insert-or`"));
    assert!(report.contains("- `src/legacy/broken-sync.ts`: skipped: does not parse"));
    assert!(report.contains(
        "transaction-timeout: the transactions now use Prisma's default timeout of 5000 ms"
    ));
    assert!(report.contains("| verification | not included"));
    insta::assert_snapshot!("fixture_report", report);
}

#[test]
fn the_verify_verdict_goes_into_the_report() {
    let work = copy_tree(&fixture("before"));
    let verify = serde_json::json!({
        "database": { "url": "postgresql://materio:***@localhost:5433/materio?schema=public&connection_limit=43" },
        "server": { "version": "16.4" },
        "notes": ["a note from verify"],
        "capacity": { "pool_size": 43, "demand": 43, "queue_concurrency": [10, 8, 5] },
        "runs": [{ "label": "PostgreSQL (after)", "outcome": {
            "files_synced": 1000, "files_failed": 0, "sync_seconds": 12.5,
            "files_per_second": 80.0, "timed_out": 0, "database_locked": 0 } }],
        "checks": [
            { "id": "no-timeouts", "title": "no `timed out` errors", "status": "PASS", "detail": "0 on PostgreSQL" },
            { "id": "pool", "title": "Prisma pool vs demand", "status": "WARN", "detail": "demand 43 > pool 5 | really" }
        ],
        "status": "PASS",
        "warnings": 1,
        "exit_code": 0
    });
    let verify_path = beside(work.path(), "verify.json");
    std::fs::write(&verify_path, verify.to_string()).unwrap();
    let report_path = beside(work.path(), "MIGRATION.md");
    let output = pgshift(
        &[
            "apply",
            ".",
            "--report",
            report_path.to_str().unwrap(),
            "--verify-json",
            verify_path.to_str().unwrap(),
        ],
        work.path(),
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let report = std::fs::read_to_string(&report_path).unwrap();
    std::fs::remove_file(&report_path).unwrap();
    std::fs::remove_file(&verify_path).unwrap();
    let verification = &report[report.find("## Verification (Stage 6)").unwrap()..];
    insta::assert_snapshot!("verify_section", verification);
    assert!(report.contains("| verification | **PASS** (1 warning) |"));
}

#[test]
fn a_bad_verify_file_stops_apply_before_any_write() {
    let work = copy_tree(&fixture("before"));
    let report_path = beside(work.path(), "MIGRATION.md");
    for (content, says) in [
        ("not json", "is not JSON"),
        (r#"{"checks": []}"#, "no `status`"),
    ] {
        let verify_path = beside(work.path(), "verify.json");
        std::fs::write(&verify_path, content).unwrap();
        let output = pgshift(
            &[
                "apply",
                ".",
                "--report",
                report_path.to_str().unwrap(),
                "--verify-json",
                verify_path.to_str().unwrap(),
            ],
            work.path(),
        );
        assert_eq!(code(&output), 2);
        assert!(stderr(&output).contains(says), "{}", stderr(&output));
        assert_same_tree(work.path(), &fixture("before"));
        assert!(!report_path.exists());
        std::fs::remove_file(&verify_path).unwrap();
    }
    let output = pgshift(&["apply", ".", "--verify-json", "v.json"], work.path());
    assert_eq!(code(&output), 2, "--verify-json needs --report");
    assert_same_tree(work.path(), &fixture("before"));
}

#[test]
fn a_second_apply_reports_nothing_removed() {
    let work = copy_tree(&fixture("after"));
    let report_path = beside(work.path(), "MIGRATION.md");
    let output = pgshift(
        &["apply", ".", "--report", report_path.to_str().unwrap()],
        work.path(),
    );
    assert_eq!(code(&output), 1);
    let report = std::fs::read_to_string(&report_path).unwrap();
    std::fs::remove_file(&report_path).unwrap();
    assert!(report.contains("| edits | 0 |"));
    assert!(report.contains("Nothing: no rule found anything to change"));
    assert!(report.contains("| places left for review | 9 |"));
    assert_same_tree(work.path(), &fixture("after"));
}
