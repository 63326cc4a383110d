//! The command line as a user meets it: exit codes, rule-file errors that point at the line,
//! skipped files, ignore files, colour, JSON and GitHub output, and a closed pipe.

mod common;

use std::io::Read as _;
use std::path::Path;
use std::process::{Command, Stdio};

use common::*;

fn write(root: &Path, path: &str, text: impl AsRef<[u8]>) {
    let full = root.join(path);
    std::fs::create_dir_all(full.parent().unwrap()).unwrap();
    std::fs::write(full, text).unwrap();
}

const LOCK_CHECK: &str = "export function retryable(m: string) {\n  return m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n}\n";

#[test]
fn rules_list_and_show() {
    insta::assert_snapshot!("rules_list", stdout(&pgshift(&["rules"], &repo())));
    insta::assert_snapshot!(
        "rules_show",
        stdout(&pgshift(&["rules", "show", "transaction-timeout"], &repo()))
    );
    let missing = pgshift(&["rules", "show", "nope"], &repo());
    assert_eq!(code(&missing), 2);
    assert!(stderr(&missing).contains("no rule `nope`"));
}

#[test]
fn rule_file_errors_name_file_line_and_key() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (
            "unknown_key.toml",
            "[[rule]]\nid = \"a\"\nkind = \"set-number\"\nmessage = \"m\"\nname = \"x\"\nfrom = 1\nto = 2\nfrm = 3\n",
            ":8:",
            "frm",
        ),
        (
            "unknown_kind.toml",
            "[[rule]]\nid = \"a\"\nkind = \"renme\"\nmessage = \"m\"\n",
            ":3:",
            "unknown kind `renme`",
        ),
        (
            "bad_value.toml",
            "[[rule]]\nid = \"a\"\nkind = \"set-number\"\nmessage = \"m\"\nname = \"x\"\nfrom = \"three\"\nto = 2\n",
            ":6:",
            "from",
        ),
        (
            "missing.toml",
            "[[rule]]\nid = \"a\"\nkind = \"set-number\"\nmessage = \"m\"\nname = \"x\"\nto = 2\n",
            ":1:",
            "from",
        ),
        ("bad_toml.toml", "[[rule]\nid = 1\n", ":1:", "rule"),
    ];
    for (name, text, line, key) in cases {
        let path = dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        let output = pgshift(
            &[
                "rules",
                "--no-default-rules",
                "--rules",
                path.to_str().unwrap(),
            ],
            dir.path(),
        );
        let err = stderr(&output);
        assert_eq!(code(&output), 2, "{name}: {err}");
        assert!(
            err.contains(&format!("{name}{line}")),
            "{name}: no file:line in {err}"
        );
        assert!(err.contains(key), "{name}: `{key}` not named in {err}");
    }
}

#[test]
fn no_rules_at_all_is_an_error() {
    let output = pgshift(&["check", "--no-default-rules", "."], &repo());
    assert_eq!(code(&output), 2);
    assert!(stderr(&output).contains("--no-default-rules needs at least one --rules FILE"));
}

#[test]
fn exit_codes_of_diff_and_check() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/clean.ts", "export const a = 1;\n");
    assert_eq!(code(&pgshift(&["check", "."], dir.path())), 0);
    assert_eq!(code(&pgshift(&["diff", "--exit-code", "."], dir.path())), 0);
    write(dir.path(), "src/retry.ts", LOCK_CHECK);
    assert_eq!(code(&pgshift(&["check", "."], dir.path())), 1);
    assert_eq!(code(&pgshift(&["diff", "."], dir.path())), 0);
    assert_eq!(code(&pgshift(&["diff", "--exit-code", "."], dir.path())), 1);
    assert_eq!(
        code(&pgshift(&["apply", "."], dir.path())),
        0,
        "everything applied"
    );
    assert_eq!(
        code(&pgshift(&["check", "."], dir.path())),
        0,
        "clean after apply"
    );
    assert_eq!(code(&pgshift(&["diff", "no-such-dir"], dir.path())), 2);
}

#[test]
fn unreadable_files_are_reported_and_the_rest_proceeds() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/ok.ts", LOCK_CHECK);
    write(
        dir.path(),
        "src/latin1.ts",
        b"// SQLITE_BUSY \xe9t\xe9\nexport const a = 1;\n",
    );
    write(dir.path(), "src/binary.ts", b"SQLITE_BUSY\0\0\0");
    write(
        dir.path(),
        "src/huge.ts",
        format!("{LOCK_CHECK}{}", "// padding\n".repeat(200_000)),
    );
    write(
        dir.path(),
        "src/broken.ts",
        "const x = m.includes('SQLITE_BUSY') || ;\n",
    );
    let output = pgshift(&["apply", "."], dir.path());
    assert_eq!(
        code(&output),
        1,
        "skipped files leave work: {}",
        stderr(&output)
    );
    let err = stderr(&output);
    for expected in [
        "src/latin1.ts: skipped: not UTF-8",
        "src/binary.ts: skipped: binary file",
        "src/huge.ts: skipped: ",
        "src/broken.ts: skipped: does not parse",
    ] {
        assert!(err.contains(expected), "missing `{expected}` in:\n{err}");
    }
    let ok = std::fs::read_to_string(dir.path().join("src/ok.ts")).unwrap();
    assert!(
        !ok.contains("SQLITE_BUSY"),
        "the readable file was still fixed"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/broken.ts")).unwrap(),
        "const x = m.includes('SQLITE_BUSY') || ;\n"
    );
}

#[test]
fn ignored_and_dependency_folders_are_skipped() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), ".gitignore", "generated/\n");
    for path in [
        "node_modules/lib/a.ts",
        "generated/a.ts",
        ".next/a.js",
        "dist/a.js",
        "build/a.js",
    ] {
        write(dir.path(), path, LOCK_CHECK);
    }
    let output = pgshift(&["check", "."], dir.path());
    assert_eq!(code(&output), 0, "{}", stdout(&output));
    write(dir.path(), "src/a.ts", LOCK_CHECK);
    let output = pgshift(&["check", "."], dir.path());
    assert_eq!(code(&output), 1);
    assert!(
        stdout(&output).starts_with("src/a.ts:2:10: [sqlite-lock-checks]"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn machine_formats() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.ts", LOCK_CHECK);
    let json = pgshift(&["check", "--format", "json", "."], dir.path());
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&json.stdout).unwrap();
    assert_eq!(findings.len(), 1);
    let f = &findings[0];
    assert_eq!(
        (f["path"].as_str(), f["line"].as_u64(), f["column"].as_u64()),
        (Some("src/a.ts"), Some(2), Some(10))
    );
    assert_eq!(
        (f["rule"].as_str(), f["kind"].as_str()),
        (Some("sqlite-lock-checks"), Some("change"))
    );

    let github = stdout(&pgshift(&["check", "--format", "github", "."], dir.path()));
    let line = github.lines().next().unwrap();
    let re = regex::Regex::new(r"^::(error|warning) file=[^,]+,line=\d+,col=\d+,title=[^:]+::.+$")
        .unwrap();
    assert!(re.is_match(line), "{line}");

    let plan = pgshift(&["diff", "--format", "json", "."], dir.path());
    let plan: serde_json::Value = serde_json::from_slice(&plan.stdout).unwrap();
    let edit = &plan["files"][0]["edits"][0];
    assert_eq!(plan["files"][0]["path"], "src/a.ts");
    assert_eq!(edit["original"], "m.includes('SQLITE_BUSY') || ");
    assert_eq!(edit["replacement"], "");
}

#[test]
fn colour_only_when_asked_or_on_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.ts", LOCK_CHECK);
    let plain = pgshift(&["diff", "."], dir.path());
    assert!(!stdout(&plain).contains('\u{1b}'), "no colour into a pipe");
    let coloured = pgshift(&["--color", "always", "diff", "."], dir.path());
    assert!(stdout(&coloured).contains("\u{1b}["), "colour when asked");
    let never = pgshift(&["diff", "--color", "never", "."], dir.path());
    assert!(!stdout(&never).contains('\u{1b}'));
}

#[test]
fn a_closed_pipe_is_not_an_error() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_pgshift"))
        .args(["diff", "fixtures/stage5/before"])
        .current_dir(repo())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{err}");
    assert!(!err.contains("error"), "{err}");
}

#[test]
fn rules_that_fight_are_a_conflict_and_the_file_is_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "fight.toml",
        "[[rule]]\nid = \"up\"\nkind = \"set-number\"\nmessage = \"up\"\nname = \"limit\"\nfrom = 3\nto = 4\n\n[[rule]]\nid = \"down\"\nkind = \"set-number\"\nmessage = \"down\"\nname = \"limit\"\nfrom = 4\nto = 3\n",
    );
    write(dir.path(), "src/a.ts", "export const limit = 3;\n");
    let output = pgshift(
        &["apply", "--no-default-rules", "--rules", "fight.toml", "."],
        dir.path(),
    );
    assert_eq!(code(&output), 1);
    assert!(
        stderr(&output).contains("conflicting edits from"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("src/a.ts")).unwrap(),
        "export const limit = 3;\n"
    );
}

#[test]
fn check_takes_files_from_hook_runners() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.ts", LOCK_CHECK);
    write(dir.path(), "README.md", "SQLITE_BUSY\n");
    let output = pgshift(
        &["check", "src/a.ts", "README.md", "src/gone.ts"],
        dir.path(),
    );
    let out = stdout(&output);
    assert_eq!(code(&output), 1);
    assert!(out.contains("src/a.ts:2:10: [sqlite-lock-checks]"), "{out}");
    assert!(
        out.contains("src/gone.ts:1:1: [pgshift] error: file not found"),
        "{out}"
    );
    assert!(
        !out.contains("README.md"),
        "non-source files are ignored quietly: {out}"
    );
}

#[test]
fn folders_and_files_given_together_are_checked_once_and_named_as_given() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "src/a.ts", LOCK_CHECK);
    write(dir.path(), "src/lib/b.ts", LOCK_CHECK);
    write(dir.path(), "other/c.ts", LOCK_CHECK);
    // `src/lib` lies inside `src`, and `src/a.ts` too: each file is checked once.
    let output = pgshift(
        &[
            "check",
            "--root",
            ".",
            "src",
            "src/lib",
            "./src/a.ts",
            "other/",
        ],
        dir.path(),
    );
    let out = stdout(&output);
    assert_eq!(code(&output), 1, "{out}");
    let findings: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("[sqlite-lock-checks]"))
        .collect();
    assert_eq!(
        findings.len(),
        3,
        "one finding per file, however often it is named: {out}"
    );
    for name in ["src/a.ts:2:10:", "src/lib/b.ts:2:10:", "other/c.ts:2:10:"] {
        assert!(
            findings.iter().any(|l| l.starts_with(name)),
            "{name} in {out}"
        );
    }
    // A folder given from inside the project is named from the current folder.
    let output = pgshift(&["check", "--root", "..", "."], &dir.path().join("src"));
    let out = stdout(&output);
    assert!(out.lines().any(|l| l.starts_with("a.ts:2:10:")), "{out}");
    assert!(
        out.lines().any(|l| l.starts_with("lib/b.ts:2:10:")),
        "{out}"
    );
}

#[test]
fn suppression_comments_silence_one_line_of_one_rule() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "src/a.ts",
        "export function f(m: string) {\n  // pgshift-ignore-next-line sqlite-lock-checks — the legacy importer still runs on SQLite\n  const a = m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n  const b = m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n  // pgshift-ignore-next-line no-such-rule — typo\n  return a || b;\n}\n",
    );
    let output = pgshift(&["check", "--format", "json", "."], dir.path());
    let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let places: Vec<(u64, &str)> = findings
        .iter()
        .map(|f| (f["line"].as_u64().unwrap(), f["rule"].as_str().unwrap()))
        .collect();
    assert_eq!(
        places,
        [(4, "sqlite-lock-checks"), (5, "pgshift-ignore")],
        "{findings:#?}"
    );
    pgshift(&["apply", "."], dir.path());
    let text = std::fs::read_to_string(dir.path().join("src/a.ts")).unwrap();
    assert!(
        text.contains("const a = m.includes('SQLITE_BUSY') ||"),
        "the silenced line stays"
    );
    assert!(
        text.contains("const b = m.includes('ECONNRESET');"),
        "the next line is fixed"
    );
}
