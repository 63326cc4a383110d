//! The corpus checks on a small committed sample of synthetic TypeScript
//! (`tests/corpus/sample/`): the same assertions `bench/bench.sh` makes on thousands of real
//! files from npm, through the real binary.
//!
//! - no panic, and an exit code that means "clean" or "findings";
//! - every file swc parses is processed, and only the files it cannot read are reported;
//! - the built-in rules find nothing except where the sample really holds a Stage 5 workaround
//!   ([`WORKAROUNDS`]) or where a known false positive is reproduced ([`KNOWN_FALSE_POSITIVES`]);
//! - `--no-prefilter` finds exactly the same changes and review places;
//! - `apply` then `check` finds no change left (one run is enough).
//!
//! `tests/corpus/regressions/` holds inputs that crashed something (see the fuzz target); they
//! are checked on their own.
//!
//! The same assertions on the real corpus: `full_corpus`, ignored here, run by `bench/bench.sh`
//! with `PGSHIFT_CORPUS=bench/.cache/corpus` (and `PGSHIFT_BIN` for a release binary).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;
use pgshift::rules::{BUILTIN_SQLITE_MIGRATION, BUILTIN_SQLITE_SQL, BUILTIN_STAGE5, load_pack};
use pgshift::source::{Lang, parse};
use pgshift::walk::walk;
use serde_json::Value;

/// Files of the sample that hold a real Stage 5 workaround, with the rule that must find it.
const WORKAROUNDS: &[(&str, &str)] = &[
    // `code === 'SQLITE_BUSY' || message.includes('database is locked') || …ECONNRESET…`
    ("src/lib/db/legacy-retry.ts", "sqlite-lock-checks"),
];

/// False positives of the built-in rules found on the real corpus (`bench/`) and reproduced in
/// the sample, reported to be fixed. A finding listed here is tolerated; once the rule is fixed
/// it is simply absent. None is left.
const KNOWN_FALSE_POSITIVES: &[(&str, &str)] = &[];

/// Files of the sample whose comments mention SQLite without explaining a workaround this run
/// removes (JSDoc such as "Schema for sqlite booleans …", "For SQLite, the database may be …",
/// `sqlite: '3.51.2',` in a `process.versions` example): no rule may touch them. These were
/// `sqlite-comments` false positives while comments were deleted on their words alone.
///
/// `src/lib/jobs/background.ts` also holds fire-and-forget calls of functions that are not the
/// retry wrapper (`fetch`, a default import of `p-retry`, an HTTP `withRetry`), which
/// `restore-await` reads (they have a `.catch` after a call) and must leave alone.
const SQLITE_MENTIONS: &[&str] = &["src/lib/db/schema-helpers.ts", "src/lib/jobs/background.ts"];

/// Files pgshift cannot read, and the words of the reason it gives.
const NOT_PARSEABLE: &str = "legacy/half-written.ts";
const NOT_UTF8: &str = "legacy/latin1.js";

fn sample() -> PathBuf {
    repo().join("tests/corpus/sample")
}

/// The binary under test: `PGSHIFT_BIN` when set (a release build for the real corpus).
fn run(args: &[&str], cwd: &Path) -> Output {
    match std::env::var_os("PGSHIFT_BIN") {
        Some(bin) => Command::new(bin)
            .args(args)
            .current_dir(cwd)
            .env("NO_COLOR", "1")
            .output()
            .expect("run pgshift"),
        None => pgshift(args, cwd),
    }
}

/// Runs `check --format json` in `dir` over `.` with every built-in pack (the corpus has no
/// Prisma schema to decide the SQLite-isms from); asserts no crash; returns the findings.
fn check(dir: &Path, extra: &[&str]) -> Vec<Value> {
    let mut args = vec![
        "check",
        "--format",
        "json",
        "--pack",
        "sqlite-sql",
        "--pack",
        "sqlite-migration",
    ];
    args.extend_from_slice(extra);
    args.push(".");
    let output = run(&args, dir);
    let err = stderr(&output);
    assert!(
        !err.contains("panicked"),
        "pgshift {args:?} panicked:\n{err}"
    );
    assert!(
        matches!(code(&output), 0 | 1),
        "pgshift {args:?} exited with {}:\n{err}",
        code(&output)
    );
    serde_json::from_str::<Vec<Value>>(&stdout(&output))
        .unwrap_or_else(|e| panic!("check --format json printed no JSON array ({e}):\n{err}"))
}

fn field<'a>(finding: &'a Value, key: &str) -> &'a str {
    finding[key].as_str().unwrap_or_default()
}

/// Change and review findings (not the files that could not be read).
fn places(findings: &[Value]) -> Vec<&Value> {
    findings
        .iter()
        .filter(|f| field(f, "kind") != "error")
        .collect()
}

fn errors(findings: &[Value]) -> BTreeSet<(String, String)> {
    findings
        .iter()
        .filter(|f| field(f, "kind") == "error")
        .map(|f| {
            (
                field(f, "path").to_string(),
                field(f, "message").to_string(),
            )
        })
        .collect()
}

#[test]
fn the_sample_has_no_false_positives_and_the_prefilter_changes_nothing() {
    let filtered = check(&sample(), &[]);
    let unfiltered = check(&sample(), &["--no-prefilter"]);

    let allowed: BTreeSet<(&str, &str)> = WORKAROUNDS
        .iter()
        .chain(KNOWN_FALSE_POSITIVES)
        .copied()
        .collect();
    for finding in places(&filtered) {
        let key = (field(finding, "path"), field(finding, "rule"));
        assert!(
            allowed.contains(&key),
            "a finding where the sample holds no workaround (a false positive):\n{finding:#}"
        );
    }
    for (path, rule) in WORKAROUNDS {
        assert!(
            places(&filtered)
                .iter()
                .any(|f| field(f, "path") == *path && field(f, "rule") == *rule),
            "{rule} did not find the workaround in {path}"
        );
    }
    for (path, rule) in KNOWN_FALSE_POSITIVES {
        if places(&filtered)
            .iter()
            .any(|f| field(f, "path") == *path && field(f, "rule") == *rule)
        {
            eprintln!("known false positive still present: {rule} in {path}");
        }
    }

    for path in SQLITE_MENTIONS {
        assert!(
            !places(&filtered).iter().any(|f| field(f, "path") == *path),
            "a comment that only mentions SQLite was touched in {path}"
        );
    }

    assert_eq!(
        places(&filtered),
        places(&unfiltered),
        "--no-prefilter must find the same changes and review places"
    );

    // Without the prefilter every file is parsed, so a file that does not parse is reported;
    // with it, only files that could hold a finding are. A file that is not UTF-8 is reported
    // either way.
    let filtered_errors = errors(&filtered);
    let unfiltered_errors = errors(&unfiltered);
    assert!(
        filtered_errors.is_subset(&unfiltered_errors),
        "{filtered_errors:?} is not within {unfiltered_errors:?}"
    );
    let reported: BTreeSet<&str> = unfiltered_errors.iter().map(|(p, _)| p.as_str()).collect();
    assert_eq!(reported, BTreeSet::from([NOT_PARSEABLE, NOT_UTF8]));
    assert!(
        unfiltered_errors
            .iter()
            .any(|(p, m)| p == NOT_PARSEABLE && m.contains("does not parse"))
    );
    assert!(
        unfiltered_errors
            .iter()
            .any(|(p, m)| p == NOT_UTF8 && m.contains("not UTF-8"))
    );
}

#[test]
fn every_file_swc_parses_is_processed() {
    let files = walk(&sample());
    assert!(
        files.len() >= 25,
        "the sample shrank to {} files",
        files.len()
    );
    let mut parseable = 0;
    let mut readable = 0;
    for file in &files {
        let Ok(text) = std::fs::read_to_string(&file.abs) else {
            assert_eq!(file.rel, NOT_UTF8);
            continue;
        };
        readable += 1;
        let lang = Lang::from_path(&file.rel).expect("the walk yields source files only");
        match parse(&text, lang) {
            Ok(_) => parseable += 1,
            Err(e) => assert_eq!(
                file.rel, NOT_PARSEABLE,
                "swc cannot parse {}: {e}",
                file.rel
            ),
        }
    }
    assert_eq!(parseable, files.len() - 2);

    // `diff` prints how many files it saw and parsed; without the prefilter, every readable one.
    let output = pgshift(&["diff", "--no-prefilter", "."], &sample());
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    let summary = format!("{} files seen, {readable} parsed", files.len());
    assert!(err.contains(&summary), "expected `{summary}` in:\n{err}");
    // Every parseable file went through the rules: none is reported as not processed.
    let unprocessed: Vec<&str> = err
        .lines()
        .filter_map(|l| l.trim().split_once(": skipped"))
        .map(|(path, _)| path)
        .collect();
    assert_eq!(unprocessed, vec![NOT_PARSEABLE, NOT_UTF8], "{err}");
}

#[test]
fn apply_then_check_leaves_no_change() {
    let dir = copy_tree(&sample());
    let output = pgshift(&["apply", "."], dir.path());
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    assert!(matches!(code(&output), 0 | 1), "apply: {err}");
    let after = check(dir.path(), &[]);
    let changes: Vec<&Value> = after
        .iter()
        .filter(|f| field(f, "kind") == "change")
        .collect();
    assert!(
        changes.is_empty(),
        "a second run would change more: {changes:#?}"
    );
    // What apply changed is exactly the workaround files (and the known false positives).
    let before = read_tree(&sample());
    let applied = read_tree(dir.path());
    let changed: BTreeSet<&str> = before
        .iter()
        .filter(|(path, bytes)| applied.get(*path) != Some(*bytes))
        .map(|(path, _)| path.as_str())
        .collect();
    let allowed: BTreeSet<&str> = WORKAROUNDS
        .iter()
        .chain(KNOWN_FALSE_POSITIVES)
        .map(|(path, _)| *path)
        .collect();
    assert!(
        changed.is_subset(&allowed),
        "apply changed {changed:?}; only {allowed:?} hold workarounds"
    );
    assert!(changed.contains(WORKAROUNDS[0].0));
    for path in SQLITE_MENTIONS {
        assert!(!changed.contains(path), "apply changed {path}");
    }
}

/// Inputs the fuzz target found, both in swc_ecma_parser 47, not in pgshift's code:
///
/// - `swc-dts-paren-colon.d.ts` (`(o:` in a `.d.ts`) trips a `debug_assert!` in
///   swc_ecma_parser (parser/pat.rs, "in dts, we do not reparse"): a debug build of pgshift
///   panics on it; a release build reports the file as not parsing.
/// - `swc-ts-generic-arrow-backtracking.ts` (`x(<s>(<s>…`, 121 bytes) makes swc's TypeScript
///   parser backtrack exponentially (each `(<T>` is tried as a generic arrow function and as a
///   type assertion): about 2x per level, 5 s at 22 levels, hours at 30.
/// - `swc-jsx-namespaced-member.tsx` (`<a:b.c>`) reaches an `unreachable!` in swc's JSX parser
///   in every build; the engine reports such a file as not parsing
///   ([`a_file_the_parser_panics_on_is_reported_not_fatal`]).
/// - `swc-ts-type-args-backtracking.ts` (`x=a<(c=d<a<(c=d<…`, 59 bytes) does the same with
///   `<` read as type arguments or less-than: 0.8 s at 6 levels, over 30 s at 8.
///
/// The two crashes are contained (the dev profile turns swc_ecma_parser's debug assertions
/// off, and a parser panic makes the file "does not parse"), and the two hangs are cut off by
/// the parse deadline (`source::PARSE_DEADLINE`, 10 s): the run ends, exit 0 or 1, in about
/// twice the deadline (the project scan and the per-file pass each give up once).
#[test]
fn regressions_do_not_crash_or_hang() {
    let dir = repo().join("tests/corpus/regressions");
    let bin = std::env::var_os("PGSHIFT_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_pgshift")));
    let mut child = Command::new(bin)
        .args(["check", "--no-prefilter", "--format", "json", "."])
        .current_dir(&dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run pgshift");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(
                matches!(status.code(), Some(0 | 1)),
                "pgshift crashed on a regression input: {status}"
            );
            return;
        }
        if std::time::Instant::now() > deadline {
            child.kill().ok();
            child.wait().ok();
            panic!("pgshift took more than 90 s on tests/corpus/regressions");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
}

/// The inputs swc panics on are reported as not parsing, and the run goes on: with the
/// prefilter and without it (where the project scan parses every file too).
#[test]
fn parser_crashes_cost_one_file() {
    let dir = tempfile::tempdir().unwrap();
    for name in ["swc-dts-paren-colon.d.ts", "swc-jsx-namespaced-member.tsx"] {
        std::fs::copy(
            repo().join("tests/corpus/regressions").join(name),
            dir.path().join(name),
        )
        .unwrap();
    }
    std::fs::write(
        dir.path().join("ok.ts"),
        "export const f = (m: string) => m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n",
    )
    .unwrap();
    for extra in [&[][..], &["--no-prefilter"][..]] {
        let output = Command::new(env!("CARGO_BIN_EXE_pgshift"))
            .arg("check")
            .args(extra)
            .args(["--format", "json", "."])
            .current_dir(dir.path())
            .output()
            .unwrap();
        assert_eq!(
            output.status.code(),
            Some(1),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let findings: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
        assert!(
            findings
                .iter()
                .any(|f| f["path"] == "ok.ts" && f["kind"] == "change"),
            "the good file is still checked: {findings:#?}"
        );
    }
}

/// `bench/rg-triggers.txt` (both built-in packs, what `check` runs) and
/// `bench/rg-triggers-stage5.txt` (the Stage 5 pack alone), ripgrep's side of the benchmark,
/// must be the packs' triggers and the suppression marker.
#[test]
fn the_ripgrep_patterns_are_the_rule_packs_triggers() {
    let triggers = |packs: &[(&str, &str)]| {
        let mut triggers = BTreeSet::new();
        for (name, text) in packs {
            for rule in load_pack(name, text).unwrap() {
                for trigger in rule
                    .imp
                    .triggers()
                    .into_iter()
                    .chain(rule.imp.scan_triggers())
                {
                    triggers.insert(trigger.to_ascii_lowercase());
                }
            }
        }
        triggers.insert(pgshift::engine::suppress::MARKER.to_ascii_lowercase());
        triggers
    };
    let listed = |file: &str| -> BTreeSet<String> {
        std::fs::read_to_string(repo().join(file))
            .unwrap()
            .lines()
            .filter(|l| !l.is_empty())
            .map(str::to_ascii_lowercase)
            .collect()
    };
    assert_eq!(
        listed("bench/rg-triggers.txt"),
        triggers(&[BUILTIN_STAGE5, BUILTIN_SQLITE_SQL, BUILTIN_SQLITE_MIGRATION]),
        "bench/rg-triggers.txt must list every trigger of the built-in packs, one a line"
    );
    assert_eq!(
        listed("bench/rg-triggers-stage5.txt"),
        triggers(&[BUILTIN_STAGE5]),
        "bench/rg-triggers-stage5.txt must list every trigger of rules/stage5.toml, one a line"
    );
}

/// The corpus mode on the real corpus (`bash bench/bench.sh` runs it). Every change or review
/// finding must be listed in `bench/corpus-findings.txt` (`path<TAB>rule<TAB>why`), where each
/// is judged: a real workaround, or a false positive reported as a bug.
#[test]
#[ignore = "needs the real corpus: bash bench/corpus.sh; run by bench/bench.sh"]
fn full_corpus() {
    let root = PathBuf::from(std::env::var_os("PGSHIFT_CORPUS").expect("PGSHIFT_CORPUS"));
    let listed_path = repo().join("bench/corpus-findings.txt");
    let listed: BTreeMap<(String, String), String> = std::fs::read_to_string(&listed_path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| {
            let mut parts = l.splitn(3, '\t');
            let path = parts.next().unwrap().to_string();
            let rule = parts.next().unwrap_or_default().to_string();
            let why = parts.next().unwrap_or_default().to_string();
            ((path, rule), why)
        })
        .collect();

    let filtered = check(&root, &[]);
    let unfiltered = check(&root, &["--no-prefilter"]);
    let mut unexpected = Vec::new();
    let mut seen: BTreeMap<(String, String), usize> = BTreeMap::new();
    for finding in places(&filtered) {
        let key = (
            field(finding, "path").to_string(),
            field(finding, "rule").to_string(),
        );
        *seen.entry(key.clone()).or_default() += 1;
        if !listed.contains_key(&key) {
            unexpected.push(finding);
        }
    }
    for ((path, rule), count) in &seen {
        let why = listed.get(&(path.clone(), rule.clone()));
        eprintln!(
            "finding: {path} [{rule}] x{count}: {}",
            why.map_or("NOT LISTED", String::as_str)
        );
    }
    for key in listed.keys() {
        if !seen.contains_key(key) {
            eprintln!("listed but no longer found: {} [{}]", key.0, key.1);
        }
    }
    assert!(
        places(&filtered) == places(&unfiltered),
        "--no-prefilter finds different changes or review places"
    );
    let filtered_errors = errors(&filtered);
    let unfiltered_errors = errors(&unfiltered);
    assert!(filtered_errors.is_subset(&unfiltered_errors));

    // Every file swc parses is processed; the others are reported, and only they.
    let files = walk(&root);
    let mut readable = 0;
    let mut not_parsed = BTreeSet::new();
    for file in &files {
        let Ok(text) = std::fs::read_to_string(&file.abs) else {
            continue;
        };
        readable += 1;
        if text.len() as u64 <= pgshift::engine::MAX_FILE_SIZE
            && parse(&text, Lang::from_path(&file.rel).unwrap()).is_err()
        {
            not_parsed.insert(file.rel.clone());
        }
    }
    let reported: BTreeSet<String> = unfiltered_errors
        .iter()
        .filter(|(_, m)| m.contains("does not parse"))
        .map(|(p, _)| p.clone())
        .collect();
    assert_eq!(reported, not_parsed, "files reported as not parsing vs swc");
    let output = run(&["diff", "--no-prefilter", "."], &root);
    let err = stderr(&output);
    assert!(!err.contains("panicked"), "{err}");
    let summary = format!("{} files seen, {readable} parsed", files.len());
    assert!(err.contains(&summary), "expected `{summary}` in:\n{err}");
    eprintln!(
        "corpus: {} files, {} parsed by swc, {} findings ({} unexpected)",
        files.len(),
        readable - not_parsed.len(),
        places(&filtered).len(),
        unexpected.len()
    );
    assert!(
        unexpected.is_empty(),
        "findings not listed in {}:\n{unexpected:#?}",
        listed_path.display()
    );
}

/// With the prefilter (the default), a candidate file is parsed only by the per-file pass,
/// which turns a parser panic into a "does not parse" report. (The project scan, which parses
/// every file under `--no-prefilter` and files naming `withDbRetry`/`PrismaClient` otherwise,
/// does not guard its parse yet: `source::parse` is the place for it.)
#[test]
fn a_file_the_parser_panics_on_is_reported_not_fatal() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = "// a candidate: the word SQLITE_BUSY is a trigger\n".to_string();
    text.push_str(
        &std::fs::read_to_string(
            repo().join("tests/corpus/regressions/swc-jsx-namespaced-member.tsx"),
        )
        .unwrap(),
    );
    std::fs::write(dir.path().join("namespaced.tsx"), text).unwrap();
    std::fs::write(
        dir.path().join("retry.ts"),
        "export const retryable = (m: string) => m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');\n",
    )
    .unwrap();
    let output = run(&["check", "--format", "json", "."], dir.path());
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let findings: Vec<Value> = serde_json::from_str(&stdout(&output)).unwrap();
    assert!(
        findings.iter().any(|f| field(f, "path") == "namespaced.tsx"
            && field(f, "kind") == "error"
            && field(f, "message").contains("the parser crashed")),
        "{findings:#?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| field(f, "path") == "retry.ts" && field(f, "rule") == "sqlite-lock-checks"),
        "the other files are still processed: {findings:#?}"
    );
}
