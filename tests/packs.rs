//! Which built-in packs run on which project, through the real binary: a project whose Prisma
//! schema says mysql or postgresql and has no SQLite origin gets no SQLite-isms; one whose schema
//! says sqlite gets both packs; after the move (the schema says postgresql, and the record
//! `init-postgres` writes, the SQLite schema it keeps or Prisma's migration lock says sqlite)
//! the guard keeps SQLite's SQL and the Stage 5 workarounds, not the behaviour changes, which
//! `init-postgres`, `apply --report` and a baseline written then still hold; `--pack` and
//! `--rules` run a pack whatever the project; in a monorepo each package is decided by its own
//! schema.

mod common;

use std::path::Path;

use common::*;
use serde_json::Value;

/// One line of each kind: SQL PostgreSQL rejects, a behaviour change, a Stage 5 workaround.
const CODE: &str = r#"export async function find(prisma: any, q: string, id: number) {
  await prisma.$queryRawUnsafe('SELECT * FROM "Media" WHERE "id" = ?', id);
  return prisma.media.findMany({ where: { title: { contains: q } } });
}
export const retryable = (m: string) => m.includes('SQLITE_BUSY') || m.includes('ECONNRESET');
"#;

const SQL_RULE: &str = "sqlite-raw-placeholder";
const MIGRATION_RULE: &str = "sqlite-case-insensitive-filter";
const STAGE5_RULE: &str = "sqlite-lock-checks";

fn schema(provider: &str) -> String {
    format!(
        "datasource db {{\n  provider = \"{provider}\"\n  url      = env(\"DATABASE_URL\")\n}}\n\nmodel Media {{\n  id    Int    @id @default(autoincrement())\n  title String\n}}\n"
    )
}

/// A project with `CODE` in src/find.ts and, when given, prisma/schema.prisma.
fn project(provider: Option<&str>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", r#"{ "name": "app" }"#);
    write(dir.path(), "src/find.ts", CODE);
    if let Some(provider) = provider {
        write(dir.path(), "prisma/schema.prisma", &schema(provider));
    }
    dir
}

fn write(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// `check --format json` with `extra` in `dir`: the rule of every finding, sorted.
fn rules_found(dir: &Path, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["check", "--format", "json"];
    args.extend_from_slice(extra);
    let output = pgshift(&args, dir);
    assert!(matches!(code(&output), 0 | 1), "{}", stderr(&output));
    let all: Vec<Value> = serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}", stderr(&output)));
    assert_eq!(code(&output), i32::from(!all.is_empty()));
    let mut rules: Vec<String> = all
        .iter()
        .map(|f| f["rule"].as_str().unwrap().to_string())
        .collect();
    rules.sort();
    rules.dedup();
    rules
}

fn has(rules: &[String], rule: &str) -> bool {
    rules.iter().any(|r| r == rule)
}

#[test]
fn no_sqlite_origin_no_sqlite_isms() {
    for provider in ["mysql", "postgresql"] {
        let dir = project(Some(provider));
        let found = rules_found(dir.path(), &[]);
        assert_eq!(found, [STAGE5_RULE], "{provider}: {found:?}");
        // The whole-file and staged paths decide the same way.
        let found = rules_found(dir.path(), &["src/find.ts"]);
        assert_eq!(found, [STAGE5_RULE], "{provider}: {found:?}");
        // With the prefilter off, too.
        let found = rules_found(dir.path(), &["--no-prefilter"]);
        assert_eq!(found, [STAGE5_RULE], "{provider}: {found:?}");
    }
    // No Prisma schema at all: no SQLite origin either.
    let dir = project(None);
    assert_eq!(rules_found(dir.path(), &[]), [STAGE5_RULE]);
}

#[test]
fn sqlite_origin_gets_both_packs_and_the_schema_check() {
    let dir = project(Some("sqlite"));
    let found = rules_found(dir.path(), &[]);
    for rule in [
        SQL_RULE,
        MIGRATION_RULE,
        STAGE5_RULE,
        "schema-autoincrement",
    ] {
        assert!(has(&found, rule), "{rule} missing: {found:?}");
    }
    let found = rules_found(dir.path(), &["--no-prefilter"]);
    assert!(has(&found, MIGRATION_RULE), "{found:?}");
}

/// After the move: the guard keeps SQLite's SQL and the workarounds, not the behaviour changes.
fn assert_after_the_move(dir: &Path, how: &str) {
    let found = rules_found(dir, &[]);
    assert!(has(&found, SQL_RULE), "{how}: {found:?}");
    assert!(has(&found, STAGE5_RULE), "{how}: {found:?}");
    assert!(!has(&found, MIGRATION_RULE), "{how}: {found:?}");
    assert!(
        !found.iter().any(|r| r.starts_with("schema-")),
        "{how}: the schema says postgresql: {found:?}"
    );
    // A baseline written then records the migration's findings too.
    let written = pgshift(&["check", "--write-baseline", "baseline.json"], dir);
    assert_eq!(code(&written), 0, "{}", stderr(&written));
    let baseline = std::fs::read_to_string(dir.join("baseline.json")).unwrap();
    assert!(baseline.contains(MIGRATION_RULE), "{how}: {baseline}");
    std::fs::remove_file(dir.join("baseline.json")).unwrap();
}

#[test]
fn after_the_move_by_the_record_init_postgres_writes() {
    let dir = project(Some("postgresql"));
    write(
        dir.path(),
        "postgresql/pgshift-move.toml",
        &pgshift::packs::move_record("sqlite", "prisma/schema.prisma"),
    );
    assert_after_the_move(dir.path(), "record");
}

#[test]
fn after_the_move_by_the_sqlite_schema_kept_beside_the_copy() {
    let dir = project(Some("sqlite"));
    write(
        dir.path(),
        "prisma/schema.postgresql.prisma",
        &schema("postgresql"),
    );
    write(
        dir.path(),
        "package.json",
        r#"{ "name": "app", "prisma": { "schema": "prisma/schema.postgresql.prisma" } }"#,
    );
    assert_after_the_move(dir.path(), "kept schema");
}

#[test]
fn after_the_move_by_prismas_migration_lock() {
    let dir = project(Some("postgresql"));
    write(
        dir.path(),
        "prisma/migrations/migration_lock.toml",
        "# Please do not edit this file manually\nprovider = \"sqlite\"\n",
    );
    assert_after_the_move(dir.path(), "migration lock");
}

#[test]
fn a_pack_given_explicitly_runs_whatever_the_project() {
    let dir = project(Some("mysql"));
    let found = rules_found(dir.path(), &["--pack", "sqlite-sql"]);
    assert!(
        has(&found, SQL_RULE) && !has(&found, MIGRATION_RULE),
        "{found:?}"
    );
    let found = rules_found(dir.path(), &["--pack", "sqlite-migration"]);
    assert!(
        has(&found, MIGRATION_RULE) && !has(&found, SQL_RULE),
        "{found:?}"
    );
    let pack = repo().join("rules/sqlite-sql.toml");
    let found = rules_found(dir.path(), &["--rules", pack.to_str().unwrap()]);
    assert!(has(&found, SQL_RULE), "{found:?}");
    assert!(has(&found, STAGE5_RULE), "{found:?}");
    let found = rules_found(
        dir.path(),
        &[
            "--no-default-rules",
            "--rules",
            repo().join("rules/sqlite-migration.toml").to_str().unwrap(),
        ],
    );
    assert_eq!(found, [MIGRATION_RULE]);
    let bad = pgshift(&["check", "--pack", "nope", "."], dir.path());
    assert_eq!(code(&bad), 2);
    assert!(
        stderr(&bad).contains("stage5, sqlite-sql, sqlite-migration"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn each_package_of_a_monorepo_is_decided_by_its_own_schema() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "package.json", r#"{ "name": "mono" }"#);
    for (package, provider) in [("apps/old", "sqlite"), ("apps/new", "mysql")] {
        write(dir.path(), &format!("{package}/src/find.ts"), CODE);
        write(
            dir.path(),
            &format!("{package}/prisma/schema.prisma"),
            &schema(provider),
        );
    }
    write(dir.path(), "scripts/find.ts", CODE);
    let output = pgshift(&["check", "--format", "json", "."], dir.path());
    let all: Vec<Value> = serde_json::from_slice(&output.stdout).unwrap();
    let isms: Vec<&str> = all
        .iter()
        .filter(|f| {
            f["rule"].as_str().unwrap().starts_with("sqlite-raw") || f["rule"] == MIGRATION_RULE
        })
        .map(|f| f["path"].as_str().unwrap())
        .collect();
    assert!(!isms.is_empty());
    assert!(
        isms.iter().all(|p| p.starts_with("apps/old/")),
        "only the SQLite package: {isms:?}"
    );
    // Stage 5 runs everywhere.
    for package in ["apps/old", "apps/new", "scripts"] {
        assert!(
            all.iter()
                .any(|f| f["rule"] == STAGE5_RULE
                    && f["path"].as_str().unwrap().starts_with(package)),
            "{package}: {all:#?}"
        );
    }
}

#[test]
fn a_baseline_written_during_the_move_keeps_the_migration_findings_after_it() {
    let dir = project(Some("sqlite"));
    let write_output = pgshift(
        &["check", "--write-baseline", "pgshift-baseline.json", "."],
        dir.path(),
    );
    assert_eq!(code(&write_output), 0, "{}", stderr(&write_output));
    let baseline = std::fs::read_to_string(dir.path().join("pgshift-baseline.json")).unwrap();
    assert!(baseline.contains(MIGRATION_RULE), "{baseline}");
    // The move: the schema says postgresql, the record says where it came from.
    write(dir.path(), "prisma/schema.prisma", &schema("postgresql"));
    write(
        dir.path(),
        "postgresql/pgshift-move.toml",
        &pgshift::packs::move_record("sqlite", "prisma/schema.prisma"),
    );
    let output = pgshift(
        &["check", "--baseline", "pgshift-baseline.json", "."],
        dir.path(),
    );
    let err = stderr(&output);
    assert_eq!(code(&output), 0, "nothing new: {err}");
    assert!(
        !err.contains("no longer occur"),
        "the migration's entries are not stale: {err}"
    );
    // The filter and the SQLite schema's `autoincrement()` id are the migration's record.
    assert!(err.contains("kept 2 entries of the baseline"), "{err}");
    // A new behaviour change written after the move is not a finding.
    write(
        dir.path(),
        "src/new.ts",
        "export const f = (p: any, q: string) => p.user.findMany({ where: { name: { startsWith: q } } });\n",
    );
    let output = pgshift(
        &["check", "--baseline", "pgshift-baseline.json", "."],
        dir.path(),
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    // SQLite's SQL written after the move is.
    write(
        dir.path(),
        "src/new.ts",
        "export const f = (p: any) => p.$executeRawUnsafe('PRAGMA foreign_keys = ON');\n",
    );
    let output = pgshift(
        &["check", "--baseline", "pgshift-baseline.json", "."],
        dir.path(),
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert!(stdout(&output).contains("[sqlite-raw-pragma]"));
}

#[test]
fn init_postgres_and_the_report_list_the_migration_findings_after_the_move_too() {
    let dir = project(Some("sqlite"));
    let output = pgshift(
        &[
            "init-postgres",
            ".",
            "--write",
            "--port",
            "5544",
            "--db-password",
            "pw123456",
        ],
        dir.path(),
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let err = stderr(&output);
    assert!(err.contains(&format!("[{MIGRATION_RULE}]")), "{err}");
    assert!(err.contains(&format!("[{SQL_RULE}]")), "{err}");
    let record = std::fs::read_to_string(dir.path().join("postgresql/pgshift-move.toml")).unwrap();
    assert!(record.contains("from = \"sqlite\""), "{record}");
    assert!(
        record.contains("schema = \"prisma/schema.prisma\""),
        "{record}"
    );
    // The move is done: the PostgreSQL schema takes the SQLite one's place.
    let pg = std::fs::read_to_string(dir.path().join("prisma/schema.postgresql.prisma")).unwrap();
    write(dir.path(), "prisma/schema.prisma", &pg);
    std::fs::remove_file(dir.path().join("prisma/schema.postgresql.prisma")).unwrap();
    assert_after_the_move(dir.path(), "after init-postgres");
    let output = pgshift(&["apply", ".", "--report", "MIGRATION.md"], dir.path());
    assert!(matches!(code(&output), 0 | 1), "{}", stderr(&output));
    let report = std::fs::read_to_string(dir.path().join("MIGRATION.md")).unwrap();
    assert!(report.contains(&format!("`{MIGRATION_RULE}`")), "{report}");
    assert!(report.contains(&format!("`{SQL_RULE}`")), "{report}");
    assert!(
        report.contains("Looked for because prisma/schema.prisma says postgresql; postgresql/pgshift-move.toml records the move from sqlite (prisma/schema.prisma)."),
        "{report}"
    );
}

#[test]
fn init_postgres_and_the_report_say_why_nothing_was_looked_for() {
    let dir = project(Some("mysql"));
    let output = pgshift(
        &[
            "init-postgres",
            ".",
            "--port",
            "5544",
            "--db-password",
            "pw123456",
        ],
        dir.path(),
    );
    let err = stderr(&output);
    assert!(
        err.contains(
            "Stage 4: SQLite-isms not looked for: prisma/schema.prisma says mysql: no SQLite origin"
        ),
        "{err}"
    );
    assert!(!err.contains(&format!("[{SQL_RULE}]")), "{err}");
    assert!(
        !stdout(&output).contains("+++ b/postgresql/pgshift-move.toml"),
        "no record of a move from SQLite"
    );
    let output = pgshift(&["apply", ".", "--report", "MIGRATION.md"], dir.path());
    assert!(matches!(code(&output), 0 | 1), "{}", stderr(&output));
    let report = std::fs::read_to_string(dir.path().join("MIGRATION.md")).unwrap();
    assert!(
        report.contains("| SQLite-isms still in the code | not looked for (no SQLite origin) |"),
        "{report}"
    );
    assert!(!report.contains(&format!("`{SQL_RULE}`")), "{report}");
}

#[test]
fn after_the_move_by_the_sqlite_schema_folder_kept_beside_the_copy() {
    let dir = project(None);
    write(
        dir.path(),
        "prisma/setup.prisma",
        "datasource db {\n  provider = \"sqlite\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    );
    write(
        dir.path(),
        "prisma.postgresql/setup.prisma",
        "datasource db {\n  provider = \"postgresql\"\n  url      = env(\"DATABASE_URL\")\n}\n",
    );
    // prisma.config.ts names the PostgreSQL copy: the move is done.
    write(
        dir.path(),
        "prisma.config.ts",
        "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'prisma.postgresql' });\n",
    );
    assert_after_the_move(dir.path(), "kept schema folder");
    // Naming the SQLite folder instead: on SQLite, both packs.
    write(
        dir.path(),
        "prisma.config.ts",
        "import { defineConfig } from 'prisma/config';\nexport default defineConfig({ schema: 'prisma' });\n",
    );
    let found = rules_found(dir.path(), &[]);
    assert!(has(&found, MIGRATION_RULE), "{found:?}");
}
