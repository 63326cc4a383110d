//! `pgshift copy-data` end to end: a SQLite database written by the real Prisma 7 client
//! (tests/copy-data, with the better-sqlite3 adapter, plus the raw-SQL DateTime forms), the
//! PostgreSQL tables created from the DDL Prisma 6.19 prints (tests/copy-data/ddl), the copy,
//! and both sides read back through the real Prisma client and compared value by value.
//!
//! Needs PostgreSQL at PGSHIFT_TEST_DATABASE_URL (default
//! `postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test`, `bash scripts/pg-test-setup.sh`)
//! and the Node packages (`npm ci --prefix tests/copy-data`). Without either these tests fail;
//! they never skip. Each test works in its own PostgreSQL schema, dropped at the end.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

const DEFAULT_URL: &str = "postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test";
/// The password of the `pgshift_secret` role (scripts/pg-test-setup.sh).
const SECRET: &str = "Qx7-hunter2-Zv9";

fn base_url() -> String {
    std::env::var("PGSHIFT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

fn admin() -> postgres::Client {
    postgres::Client::connect(&base_url(), postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "the copy-data tests need PostgreSQL at PGSHIFT_TEST_DATABASE_URL (default {DEFAULT_URL}): {e}. Run `bash scripts/pg-test-setup.sh` first."
        )
    })
}

fn project() -> PathBuf {
    common::repo().join("tests/copy-data")
}

fn tsx() -> PathBuf {
    project().join("node_modules/.bin/tsx")
}

/// Installs nothing: checks the packages are there and generates both Prisma clients once.
fn prepare_node() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        let dir = project();
        assert!(
            tsx().is_file() && dir.join("node_modules/.bin/prisma").is_file(),
            "the copy-data tests need the Node packages of tests/copy-data: run `npm ci --prefix tests/copy-data` (node and npm must be installed)"
        );
        let sqlite_schema = std::fs::read_to_string(dir.join("prisma/schema.prisma")).unwrap();
        let pg = pgshift::prisma_schema::postgresql_copy(&sqlite_schema)
            .expect("the test schema has a sqlite datasource")
            .text
            .replace("../generated/sqlite", "../generated/postgresql");
        std::fs::create_dir_all(dir.join("prisma-postgresql")).unwrap();
        std::fs::write(dir.join("prisma-postgresql/schema.prisma"), pg).unwrap();
        for schema in ["prisma/schema.prisma", "prisma-postgresql/schema.prisma"] {
            let output = Command::new(dir.join("node_modules/.bin/prisma"))
                .args(["generate", "--schema", schema])
                .current_dir(&dir)
                // `generate` does not run the schema engine, but wants a file to name.
                .env("PRISMA_SCHEMA_ENGINE_BINARY", "/bin/sh")
                .env("PRISMA_HIDE_UPDATE_MESSAGE", "1")
                .env("CHECKPOINT_DISABLE", "1")
                .output()
                .expect("run prisma generate");
            assert!(
                output.status.success(),
                "prisma generate --schema {schema} failed:\n{}{}",
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
    });
}

fn run_tsx(args: &[&str]) -> String {
    prepare_node();
    let output = Command::new(tsx())
        .args(args)
        .current_dir(project())
        .output()
        .expect("run tsx");
    assert!(
        output.status.success(),
        "tsx {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A SQLite file seeded through the real client (seeded once, copied for each test).
fn seeded_sqlite(dir: &Path) -> PathBuf {
    static SEEDED: Mutex<Option<PathBuf>> = Mutex::new(None);
    let mut seeded = SEEDED.lock().unwrap_or_else(|e| e.into_inner());
    if seeded.is_none() {
        let keep = tempfile::tempdir().unwrap().keep();
        let file = keep.join("seeded.db");
        let ddl = std::fs::read_to_string(project().join("ddl/sqlite.sql")).unwrap();
        rusqlite::Connection::open(&file)
            .unwrap()
            .execute_batch(&ddl)
            .unwrap();
        run_tsx(&["seed.ts", file.to_str().unwrap()]);
        *seeded = Some(file);
    }
    let target = dir.join("dev.db");
    std::fs::copy(seeded.as_ref().unwrap(), &target).unwrap();
    target
}

/// A fresh PostgreSQL schema holding Prisma's tables; dropped on drop.
struct PgSchema {
    name: String,
}

impl PgSchema {
    fn new(tag: &str) -> PgSchema {
        let name = format!(
            "pgshift_copy_{tag}_{}_{}",
            std::process::id(),
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .subsec_nanos()
        );
        let ddl = std::fs::read_to_string(project().join("ddl/postgresql.sql")).unwrap();
        let mut client = admin();
        client
            .batch_execute(&format!(
                "DROP SCHEMA IF EXISTS \"{name}\" CASCADE; CREATE SCHEMA \"{name}\"; SET search_path TO \"{name}\";\n{ddl}"
            ))
            .unwrap();
        PgSchema { name }
    }

    fn url(&self) -> String {
        let base = base_url();
        let sep = if base.contains('?') { '&' } else { '?' };
        format!("{base}{sep}schema={}", self.name)
    }

    /// The URL of a role that may write the tables but does not own them.
    fn url_as_writer(&self) -> String {
        self.execute(&format!(
            "GRANT USAGE ON SCHEMA \"{0}\" TO pgshift_secret;
             GRANT SELECT, INSERT, UPDATE, DELETE, TRUNCATE ON ALL TABLES IN SCHEMA \"{0}\" TO pgshift_secret;
             GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA \"{0}\" TO pgshift_secret;",
            self.name
        ));
        let url = self.url();
        let (scheme, rest) = url.split_once("://").unwrap();
        let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
        format!("{scheme}://pgshift_secret:{SECRET}@{rest}")
    }

    fn execute(&self, sql: &str) {
        admin()
            .batch_execute(&format!("SET search_path TO \"{}\"; {sql}", self.name))
            .unwrap();
    }

    /// Rows per table.
    fn counts(&self) -> Vec<(String, i64)> {
        let mut client = admin();
        let tables: Vec<String> = client
            .query(
                "SELECT tablename::text FROM pg_tables WHERE schemaname = $1 ORDER BY 1",
                &[&self.name],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        tables
            .into_iter()
            .map(|t| {
                let n: i64 = client
                    .query_one(
                        &format!("SELECT count(*) FROM \"{}\".\"{t}\"", self.name),
                        &[],
                    )
                    .unwrap()
                    .get(0);
                (t, n)
            })
            .collect()
    }

    fn assert_empty(&self, context: &str) {
        let counts = self.counts();
        assert!(counts.len() >= 8, "{counts:?}");
        assert!(
            counts.iter().all(|(_, n)| *n == 0),
            "{context}: the target was written to: {counts:?}"
        );
    }

    fn readback(&self) -> String {
        run_tsx(&["readback.ts", "postgresql", &self.url(), &self.name])
    }
}

impl Drop for PgSchema {
    fn drop(&mut self) {
        if let Ok(mut client) = postgres::Client::connect(&base_url(), postgres::NoTls) {
            let _ =
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS \"{}\" CASCADE", self.name));
        }
    }
}

fn pgshift() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgshift"));
    command
        .env_remove("DATABASE_URL")
        .env_remove(pgshift::copy::TEST_DELAY_ENV)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

fn copy_data(root: &Path, db: &Path, url: &str, extra: &[&str]) -> Output {
    pgshift()
        .arg("copy-data")
        .arg(root)
        .args([
            "--schema",
            project().join("prisma/schema.prisma").to_str().unwrap(),
        ])
        .args(["--from", db.to_str().unwrap(), "--to", url])
        .args(extra)
        .output()
        .unwrap()
}

fn text(output: &Output) -> (String, String) {
    (common::stdout(output), common::stderr(output))
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {:?}", text(output));
    })
}

#[test]
fn every_value_arrives_and_reads_back_the_same_through_prisma() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(dir.path());
    // The file holds all three DateTime forms, and a child row before its parent.
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    let forms: Vec<(String, i64)> = sqlite
        .prepare(
            "SELECT CASE WHEN typeof(at) = 'integer' THEN 'ms' WHEN at LIKE '____-__-__ __:__:__' THEN 'default' ELSE 'iso' END, count(*)
               FROM (SELECT at FROM Event UNION ALL SELECT at FROM Sample) GROUP BY 1 ORDER BY 1",
        )
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        forms.iter().map(|f| f.0.as_str()).collect::<Vec<_>>(),
        ["default", "iso", "ms"],
        "{forms:?}"
    );
    let forward: i64 = sqlite
        .query_row(
            "SELECT count(*) FROM users WHERE manager_id > id",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(forward >= 1, "no child row precedes its parent");
    drop(sqlite);

    let target = PgSchema::new("all");
    let output = copy_data(dir.path(), &db, &target.url(), &["--format", "json"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains(":pgshift@") && !stderr.contains(":pgshift@"));
    let report = json(&output);
    assert_eq!(report["status"], "copied");
    let tables = report["tables"].as_array().unwrap();
    let names: Vec<&str> = tables
        .iter()
        .map(|t| t["table"].as_str().unwrap())
        .collect();
    for expected in [
        "users",
        "Team",
        "profiles",
        "Post",
        "Tag",
        "Sample",
        "Event",
        "stock",
        "_PostToTag",
        "_Favorites",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} not copied: {names:?}"
        );
    }
    for table in tables {
        assert_eq!(table["verified"], true, "{table}");
        assert_eq!(table["rows_read"], table["rows_written"], "{table}");
        assert_eq!(
            table["checksum_source"], table["checksum_target"],
            "{table}"
        );
    }
    let skipped: Vec<&str> = report["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["table"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"_prisma_migrations"), "{skipped:?}");
    // The owner of the tables has the keys checked in one pass each.
    assert!(
        report["foreign_keys"]
            .as_str()
            .unwrap()
            .contains("9 dropped for the load and added back"),
        "{report}"
    );

    // Every value, through the real client on both sides.
    let from_sqlite = run_tsx(&["readback.ts", "sqlite", db.to_str().unwrap()]);
    let from_pg = target.readback();
    if from_sqlite != from_pg {
        let diff = similar::TextDiff::from_lines(&from_sqlite, &from_pg)
            .unified_diff()
            .header("sqlite", "postgresql")
            .to_string();
        panic!("the data read back through Prisma differs:\n{diff}");
    }
    let data: Value = serde_json::from_str(&from_pg).unwrap();
    assert_eq!(data["samples"].as_array().unwrap().len(), 5);
    assert_eq!(data["events"].as_array().unwrap().len(), 4);

    // The next insert without an id gets the id after the largest copied one.
    let sequences = report["sequences"].as_array().unwrap();
    let next = |table: &str| {
        sequences
            .iter()
            .find(|s| s["table"] == table)
            .and_then(|s| s["next_value"].as_i64())
            .unwrap_or_else(|| panic!("no sequence for {table}: {sequences:?}"))
    };
    let inserted: Value = serde_json::from_str(&run_tsx(&[
        "readback.ts",
        "insert",
        &target.url(),
        &target.name,
    ]))
    .unwrap();
    assert_eq!(inserted["user"], next("users"), "{inserted}");
    assert_eq!(inserted["user"], 4);
    assert_eq!(inserted["tag"], next("Tag"));
    assert_eq!(inserted["event"], next("Event"));
    assert_eq!(inserted["team"], next("Team"));

    // A second run refuses the tables that now hold rows, and writes nothing.
    let before = target.counts();
    let output = copy_data(dir.path(), &db, &target.url(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("already hold rows") && stderr.contains("--truncate"),
        "{stderr}"
    );
    assert!(stderr.contains("\"users\""), "{stderr}");
    assert_eq!(target.counts(), before);

    // --truncate replaces them. A role that does not own the tables loads them in key order:
    // the self relation (a child row before its parent) and the users <-> Team cycle are set
    // after the load. The human output names both ends without the password.
    let output = copy_data(dir.path(), &db, &target.url_as_writer(), &["--truncate"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(!stdout.contains(SECRET) && !stderr.contains(SECRET));
    assert!(
        stdout.contains("foreign keys: kept: tables loaded in key order"),
        "{stdout}"
    );
    assert!(
        stdout
            .contains("\"users\".(manager_id) loaded as NULL first and set afterwards for 3 rows"),
        "{stdout}"
    );
    assert!(stdout.contains("emptied first (--truncate)"), "{stdout}");
    assert!(stdout.contains("pgshift_secret:***@"), "{stdout}");
    assert!(stdout.contains("copied and verified"), "{stdout}");
    assert!(
        stdout.contains("not copied: _prisma_migrations")
            || !stdout.contains("_prisma_migrations ("),
        "{stdout}"
    );
    assert_eq!(target.readback(), from_sqlite);
}

#[test]
fn an_unconvertible_value_names_table_column_row_and_value_and_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(dir.path());
    let sqlite = rusqlite::Connection::open(&db).unwrap();
    sqlite
        .execute("UPDATE Event SET at = 'not a date' WHERE id = 2", [])
        .unwrap();
    sqlite
        .execute("UPDATE Sample SET flag = 7 WHERE id = 1", [])
        .unwrap();
    drop(sqlite);
    let target = PgSchema::new("bad");
    let output = copy_data(dir.path(), &db, &target.url(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\"Event\".\"at\" at id=2: 'not a date' (text): not a date and time"),
        "{stdout}"
    );
    assert!(
        stdout.contains("\"Sample\".\"flag\" at id=1: 7 (integer)"),
        "{stdout}"
    );
    assert!(
        stderr.contains("2 value(s) cannot be converted; nothing was written"),
        "{stderr}"
    );
    target.assert_empty("after an unconvertible value");

    let output = copy_data(dir.path(), &db, &target.url(), &["--format", "json"]);
    assert_eq!(output.status.code(), Some(1));
    let report = json(&output);
    assert_eq!(report["status"], "unconvertible");
    assert_eq!(report["values"][0]["table"], "Sample");
    assert_eq!(report["values"][1]["row"], "id=2");
}

/// Backends of a copy-data process, and whether one is in a COPY.
fn copying(pid: u32) -> bool {
    let row = admin()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND query LIKE 'COPY%'",
            &[&format!("pgshift copy-data {pid}")],
        )
        .unwrap();
    row.get::<_, i64>(0) > 0
}

#[test]
fn an_interrupted_copy_leaves_the_target_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(dir.path());
    let target = PgSchema::new("sigint");
    let mut child = pgshift()
        .arg("copy-data")
        .arg(dir.path())
        .args([
            "--schema",
            project().join("prisma/schema.prisma").to_str().unwrap(),
        ])
        .args(["--from", db.to_str().unwrap(), "--to", &target.url()])
        .env(pgshift::copy::TEST_DELAY_ENV, "400")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut seen = 0;
    // Wait until a few tables have gone through COPY, so that rows were sent.
    while seen < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "copy-data ended before it was interrupted: {:?}",
            child.wait_with_output().map(|o| text(&o))
        );
        assert!(Instant::now() < deadline, "the copy did not start");
        if copying(child.id()) {
            seen += 1;
            std::thread::sleep(Duration::from_millis(450));
        } else {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert!(stderr.contains("nothing was written"), "{stderr}");
    target.assert_empty("after SIGINT");
}

#[test]
fn a_missing_table_names_the_command_that_creates_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(dir.path());
    let target = PgSchema::new("missing");
    target.execute("DROP TABLE \"_PostToTag\"; DROP TABLE \"Tag\";");
    let output = copy_data(dir.path(), &db, &target.url(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    assert!(
        stderr.contains("no table \"Tag\", \"_PostToTag\""),
        "{stderr}"
    );
    assert!(stderr.contains("npx prisma migrate deploy"), "{stderr}");
    target.assert_empty("after a missing table");
}

#[test]
fn type_mismatches_are_reported_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let db = seeded_sqlite(dir.path());
    let target = PgSchema::new("types");
    target.execute(
        "ALTER TABLE users ALTER COLUMN name TYPE integer USING NULL;
         ALTER TABLE \"Sample\" DROP COLUMN \"bytesOpt\";
         ALTER TABLE \"Event\" ALTER COLUMN at TYPE date;
         ALTER TYPE \"Role\" RENAME VALUE 'administrator' TO 'ADMIN';",
    );
    let output = copy_data(dir.path(), &db, &target.url(), &[]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}\n{stderr}");
    for expected in [
        "\"users\".\"name\" (User.name, String) is int4 in the target; expected text or varchar",
        "\"Sample\".\"bytesOpt\" (Sample.bytesOpt) is missing in the target",
        "\"Event\".\"at\" (Event.at, DateTime) is date in the target",
        "the target's enum Role lacks 'administrator'",
    ] {
        assert!(stderr.contains(expected), "{expected}\n{stderr}");
    }
    target.assert_empty("after a type mismatch");
}
