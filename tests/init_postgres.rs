//! `pgshift init-postgres` on copies of the fixture, through the real binary: the dry run is a
//! patch `git apply` takes and writes nothing; `--write` gives the same tree; the compose file
//! (parsed as YAML, key by key), package.json (valid JSON, byte-identical outside the added
//! scripts), the schema copy (only the provider line differs), `.env.postgresql` and
//! `.gitignore` are right; a second run is a no-op; a taken port is said out loud; and the
//! generated `DATABASE_URL` is the one `pgshift verify` uses against the real PostgreSQL.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::*;

/// A port nothing listens on in these tests: fixed, so that the dry run and the write agree.
const PORT: &str = "5544";
const PASSWORD: &str = "s3cret-Pw_1";

fn init(dir: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["init-postgres", "."];
    args.extend_from_slice(extra);
    pgshift(&args, dir)
}

fn fixed<'a>(extra: &[&'a str]) -> Vec<&'a str> {
    let mut args = vec!["--port", PORT, "--db-password", PASSWORD];
    args.extend_from_slice(extra);
    args
}

fn read(dir: &Path, rel: &str) -> String {
    std::fs::read_to_string(dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

fn git_apply(dir: &Path, patch: &[u8]) {
    let file = beside(dir, "init.patch");
    std::fs::write(&file, patch).unwrap();
    let applied = Command::new("git")
        .args(["apply", "--verbose"])
        .arg(&file)
        .current_dir(dir)
        .output()
        .expect("git runs");
    std::fs::remove_file(&file).unwrap();
    assert!(
        applied.status.success(),
        "git apply failed: {}",
        String::from_utf8_lossy(&applied.stderr)
    );
}

#[test]
fn the_dry_run_is_a_patch_git_applies_and_write_makes_the_same_tree() {
    let dry = copy_tree(&fixture("before"));
    let output = init(dry.path(), &fixed(&[]));
    assert_eq!(
        code(&output),
        1,
        "the fixture's seed has SQLite-isms, so exit 1:\n{}",
        stderr(&output)
    );
    assert_same_tree(dry.path(), &fixture("before"));
    let patch = stdout(&output);
    for new in [
        "postgresql/docker-compose.yml",
        "postgresql/README.md",
        ".env.postgresql",
        "prisma/schema.postgresql.prisma",
    ] {
        assert!(
            patch.contains(&format!(
                "diff --git a/{new} b/{new}\nnew file mode 100644\n--- /dev/null\n+++ b/{new}\n"
            )),
            "{new} is not a creation in the patch:\n{patch}"
        );
    }
    assert!(patch.contains("--- a/package.json\n+++ b/package.json\n"));
    assert!(patch.contains("--- a/.gitignore\n+++ b/.gitignore\n"));
    git_apply(dry.path(), &output.stdout);

    let written = copy_tree(&fixture("before"));
    let output = init(written.path(), &fixed(&["--write"]));
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    assert_eq!(stdout(&output), "", "--write prints no patch");
    let err = stderr(&output);
    assert!(
        err.contains("5 created, 2 changed, 0 files up to date"),
        "{err}"
    );
    assert!(err.contains("Stage 4: 11 SQLite-isms to review"), "{err}");
    assert!(
        err.contains("prisma/seed.ts:28:8: [sqlite-raw-insert-or]"),
        "{err}"
    );
    assert_same_tree(written.path(), dry.path());
}

#[test]
fn the_compose_file_key_by_key() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let text = read(work.path(), "postgresql/docker-compose.yml");
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text).expect("valid YAML");
    let top: Vec<&str> = yaml
        .as_mapping()
        .unwrap()
        .keys()
        .map(|k| k.as_str().unwrap())
        .collect();
    assert_eq!(top, ["name", "services", "volumes"]);
    assert_eq!(yaml["name"].as_str(), Some("materio-postgresql"));
    let services = yaml["services"].as_mapping().unwrap();
    assert_eq!(services.len(), 1);
    let pg = &yaml["services"]["postgres"];
    assert_eq!(pg["image"].as_str(), Some("postgres:16-alpine"));
    assert_eq!(pg["container_name"].as_str(), Some("materio-postgresql"));
    assert_eq!(pg["restart"].as_str(), Some("unless-stopped"));
    assert_eq!(pg["environment"]["POSTGRES_DB"].as_str(), Some("materio"));
    assert_eq!(pg["environment"]["POSTGRES_USER"].as_str(), Some("materio"));
    assert!(
        pg["environment"].get("POSTGRES_PASSWORD").is_none(),
        "the committed compose file holds no password"
    );
    assert_eq!(
        pg["env_file"],
        serde_yaml::from_str::<serde_yaml::Value>("[../.env.postgresql]").unwrap()
    );
    assert_eq!(
        pg["ports"],
        serde_yaml::from_str::<serde_yaml::Value>(&format!("['127.0.0.1:{PORT}:5432']")).unwrap()
    );
    assert_eq!(
        pg["volumes"],
        serde_yaml::from_str::<serde_yaml::Value>(
            "[materio-postgresql-data:/var/lib/postgresql/data]"
        )
        .unwrap()
    );
    let test: Vec<&str> = pg["healthcheck"]["test"]
        .as_sequence()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(test, ["CMD-SHELL", "pg_isready -U materio -d materio"]);
    for key in ["interval", "timeout", "retries", "start_period"] {
        assert!(!pg["healthcheck"][key].is_null(), "healthcheck.{key}");
    }
    assert_eq!(
        yaml["volumes"]["materio-postgresql-data"]["name"].as_str(),
        Some("materio-postgresql-data")
    );
}

#[test]
fn package_json_gets_the_scripts_and_nothing_else_changes() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let before = read(&fixture("before"), "package.json");
    let after = read(work.path(), "package.json");
    let parsed: serde_json::Value = serde_json::from_str(&after).expect("still valid JSON");
    let original: serde_json::Value = serde_json::from_str(&before).unwrap();
    assert!(after.ends_with("}\n"), "the final newline stays");

    // Line by line: the last old script gains a comma, the new scripts follow it; nothing else.
    let diff = similar::TextDiff::from_lines(&before, &after);
    let mut removed = Vec::new();
    let mut added = Vec::new();
    for change in diff.iter_all_changes() {
        match change.tag() {
            similar::ChangeTag::Delete => removed.push(change.value().to_string()),
            similar::ChangeTag::Insert => added.push(change.value().to_string()),
            similar::ChangeTag::Equal => {}
        }
    }
    let last = "    \"backfill:checksums\": \"tsx scripts/backfill-checksums.ts\"\n";
    assert_eq!(removed, [last]);
    assert_eq!(added[0], last.replace("\"\n", "\",\n"));
    let expected = [
        (
            "pg:up",
            "docker compose -f postgresql/docker-compose.yml up -d --wait",
        ),
        (
            "pg:down",
            "docker compose -f postgresql/docker-compose.yml down",
        ),
        (
            "pg:logs",
            "docker compose -f postgresql/docker-compose.yml logs -f postgres",
        ),
        (
            "pg:psql",
            "docker compose -f postgresql/docker-compose.yml exec postgres psql -U materio -d materio",
        ),
        (
            "pg:generate",
            "dotenv -e .env.postgresql -- prisma generate --schema prisma/schema.postgresql.prisma",
        ),
        (
            "pg:push",
            "dotenv -e .env.postgresql -- prisma db push --schema prisma/schema.postgresql.prisma",
        ),
        (
            "pg:migrate",
            "dotenv -e .env.postgresql -- prisma migrate dev --schema prisma/schema.postgresql.prisma",
        ),
        (
            "pg:studio",
            "dotenv -e .env.postgresql -- prisma studio --schema prisma/schema.postgresql.prisma",
        ),
        (
            "dev:with-pg",
            "npm run pg:generate && dotenv -e .env.postgresql -- npm run dev",
        ),
        ("dev:with-sqlite", "prisma generate && npm run dev"),
    ];
    assert_eq!(added.len(), expected.len() + 1);
    for (i, (name, command)) in expected.iter().enumerate() {
        let comma = if i + 1 == expected.len() { "" } else { "," };
        assert_eq!(
            added[i + 1],
            format!("    \"{name}\": \"{command}\"{comma}\n"),
            "script {name}, in the file's indentation and order"
        );
        assert_eq!(parsed["scripts"][name].as_str(), Some(*command));
    }
    // Every other key is as it was.
    let mut without = parsed.clone();
    for (name, _) in expected {
        without["scripts"].as_object_mut().unwrap().remove(name);
    }
    assert_eq!(without, original);
}

#[test]
fn the_schema_copy_differs_only_in_the_provider() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let schema = read(work.path(), "prisma/schema.prisma");
    let copy = read(work.path(), "prisma/schema.postgresql.prisma");
    assert_eq!(
        schema.len() + "postgresql".len() - "sqlite".len(),
        copy.len()
    );
    let differing: Vec<(&str, &str)> = schema
        .split_inclusive('\n')
        .zip(copy.split_inclusive('\n'))
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(
        differing,
        [("  provider = \"sqlite\"\n", "  provider = \"postgresql\"\n")]
    );
}

#[test]
fn env_file_gitignore_and_readme() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let env = read(work.path(), ".env.postgresql");
    assert!(
        env.contains(&format!("\nPOSTGRES_PASSWORD={PASSWORD}\n")),
        "{env}"
    );
    assert!(
        env.contains(&format!(
            "\nDATABASE_URL=\"postgresql://materio:{PASSWORD}@localhost:{PORT}/materio?schema=public&connection_limit=43\"\n"
        )),
        "{env}"
    );
    assert!(
        env.contains("from the code after the Stage 5 rules: 10 (queue-concurrency-processing, src/services/media/queue/MediaProcessingQueue.ts:37) + 8 (queue-concurrency-sync, src/services/media/queue/MediaSyncQueue.ts:11) + 5 (queue-concurrency-watermark, src/services/media/queue/WatermarkQueue.ts:11) + 20 (sync-parallel-limit, src/services/media/sync/MediaSyncService.ts:9) = 43"),
        "says how the connection limit was sized:\n{env}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(work.path().join(".env.postgresql"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "the password file is the owner's only");
        let mode = std::fs::metadata(work.path().join("postgresql/docker-compose.yml"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644);
    }

    let gitignore = read(work.path(), ".gitignore");
    let original = read(&fixture("before"), ".gitignore");
    assert_eq!(
        gitignore,
        format!("{original}\n# PostgreSQL credentials (pgshift init-postgres)\n.env.postgresql\n")
    );
    let git = |args: &[&str]| {
        Command::new("git")
            .args(args)
            .current_dir(work.path())
            .output()
            .expect("git runs")
    };
    assert!(git(&["init", "-q", "."]).status.success());
    assert!(
        git(&["check-ignore", "-q", ".env.postgresql"])
            .status
            .success(),
        "git ignores .env.postgresql"
    );
    assert!(
        !git(&["check-ignore", "-q", "postgresql/docker-compose.yml"])
            .status
            .success(),
        "the compose file is committed"
    );

    let readme = read(work.path(), "postgresql/README.md");
    for needle in [
        "npm run pg:up",
        "npm run pg:down",
        "npm run pg:logs",
        "npm run pg:psql",
        "npm run dev:with-pg",
        "npm run dev:with-sqlite",
        "## Switching between SQLite and PostgreSQL",
        "## Environment variables",
        "connection_limit=43",
        "| `sqlite-lock-checks` |",
    ] {
        assert!(readme.contains(needle), "README lacks {needle}");
    }
    assert!(!readme.contains(PASSWORD), "the README holds no password");
}

#[test]
fn a_second_run_changes_nothing() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let first = read_tree(work.path());
    // Without flags: the settings come from the files the first run wrote.
    for args in [vec!["--write"], vec![]] {
        let again = init(work.path(), &args);
        assert_eq!(stdout(&again), "", "nothing left to patch");
        let err = stderr(&again);
        assert!(
            err.contains("0 created, 0 changed, 7 files up to date")
                || err.contains("0 to create, 0 to change, 7 files up to date"),
            "{err}"
        );
        assert!(!err.contains("left as it is"), "{err}");
        assert_eq!(read_tree(work.path()), first);
    }
}

#[test]
fn a_teammate_without_the_env_file_gets_one_that_fits_the_committed_files() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    std::fs::remove_file(work.path().join(".env.postgresql")).unwrap();
    let committed = read_tree(work.path());
    let output = init(work.path(), &["--write"]);
    let err = stderr(&output);
    assert!(
        err.contains("1 created, 0 changed, 6 files up to date"),
        "{err}"
    );
    let env = read(work.path(), ".env.postgresql");
    assert!(
        env.contains(&format!("@localhost:{PORT}/materio?")),
        "the port the compose file publishes:\n{env}"
    );
    assert!(!env.contains(PASSWORD), "a new random password");
    let mut now = read_tree(work.path());
    now.remove(".env.postgresql");
    assert_eq!(now, committed, "the committed files stay as they are");
}

#[test]
fn a_taken_port_is_said_out_loud() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let taken = listener.local_addr().unwrap().port();
    let work = copy_tree(&fixture("before"));
    let output = init(work.path(), &["--port-from", &taken.to_string()]);
    let patch = stdout(&output);
    let re = regex::Regex::new(r#""127\.0\.0\.1:(\d+):5432""#).unwrap();
    let chosen: u16 = re.captures(&patch).expect("a published port")[1]
        .parse()
        .unwrap();
    assert!(chosen > taken, "{chosen} is past the taken {taken}");
    assert!(
        patch.contains(&format!("@localhost:{chosen}/materio?")),
        "DATABASE_URL uses the same port"
    );
    let err = stderr(&output);
    assert!(
        err.contains(&format!(
            "port {taken} is taken on this machine, so PostgreSQL gets port {chosen}"
        )),
        "{err}"
    );
    drop(listener);
}

#[test]
fn the_default_port_is_5432_unless_taken_and_then_said() {
    // In CI a local PostgreSQL holds 5432: the run must pick another and say so.
    let work = copy_tree(&fixture("before"));
    let output = init(work.path(), &[]);
    let re = regex::Regex::new(r#""127\.0\.0\.1:(\d+):5432""#).unwrap();
    let chosen: u16 = re.captures(&stdout(&output)).expect("a published port")[1]
        .parse()
        .unwrap();
    let err = stderr(&output);
    if chosen == 5432 {
        assert!(!err.contains("is taken"), "{err}");
    } else {
        assert!(
            err.contains(&format!(
                "port 5432 is taken on this machine, so PostgreSQL gets port {chosen}"
            )),
            "{err}"
        );
    }
}

#[test]
fn scripts_use_the_package_manager_of_the_lockfile() {
    for (lockfile, run, install) in [
        ("pnpm-lock.yaml", "pnpm ", "pnpm add -D dotenv-cli"),
        ("yarn.lock", "yarn ", "yarn add -D dotenv-cli"),
        ("package-lock.json", "npm run ", "npm install -D dotenv-cli"),
    ] {
        let work = copy_tree(&fixture("before"));
        std::fs::write(work.path().join(lockfile), "").unwrap();
        let output = init(work.path(), &fixed(&["--write"]));
        let package: serde_json::Value =
            serde_json::from_str(&read(work.path(), "package.json")).unwrap();
        assert_eq!(
            package["scripts"]["dev:with-pg"].as_str().unwrap(),
            format!("{run}pg:generate && dotenv -e .env.postgresql -- {run}dev"),
            "{lockfile}"
        );
        let err = stderr(&output);
        assert!(err.contains(&format!("(from {lockfile})")), "{err}");
        assert!(err.contains(install), "{err}");
        assert!(read(work.path(), "postgresql/README.md").contains(&format!("{run}pg:up")));
    }
}

#[test]
fn an_existing_script_with_other_content_is_reported_not_overwritten() {
    let work = copy_tree(&fixture("before"));
    let package = read(work.path(), "package.json").replace(
        "\"dev\": \"next dev\",",
        "\"dev\": \"next dev\",\n    \"pg:up\": \"docker start my-postgres\",",
    );
    std::fs::write(work.path().join("package.json"), &package).unwrap();
    let output = init(work.path(), &fixed(&["--write"]));
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    assert!(
        err.contains("package.json: script `pg:up` is `docker start my-postgres`"),
        "{err}"
    );
    let after: serde_json::Value =
        serde_json::from_str(&read(work.path(), "package.json")).unwrap();
    assert_eq!(after["scripts"]["pg:up"], "docker start my-postgres");
    assert!(
        after["scripts"]["pg:down"].is_string(),
        "the others are added"
    );
}

#[test]
fn a_project_without_scripts_gets_a_scripts_object() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("package.json"),
        "{\r\n\t\"name\": \"@acme/Photo-Box\",\r\n\t\"private\": true\r\n}",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("prisma")).unwrap();
    std::fs::write(
        dir.path().join("prisma/schema.prisma"),
        "datasource db {\n  provider = \"sqlite\"\n  url      = env(\"DATABASE_URL\")\n}\n\nmodel Photo {\n  id    Int     @id @default(autoincrement())\n  price Decimal\n}\n",
    )
    .unwrap();
    let output = init(dir.path(), &fixed(&["--write"]));
    let err = stderr(&output);
    assert_eq!(code(&output), 1, "the schema has findings:\n{err}");
    let text = read(dir.path(), "package.json");
    assert!(
        text.starts_with("{\r\n\t\"name\": \"@acme/Photo-Box\",\r\n\t\"private\": true,\r\n\t\"scripts\": {\r\n\t\t\"pg:up\": "),
        "{text}"
    );
    assert!(
        text.ends_with("\r\n\t}\r\n}"),
        "no final newline was there, none is added"
    );
    let json: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert!(
        json["scripts"]["dev:with-pg"].is_null(),
        "no dev script, no dev:with-pg"
    );
    assert!(err.contains("no `dev` script"), "{err}");
    let compose = read(dir.path(), "postgresql/docker-compose.yml");
    assert!(compose.contains("container_name: photo-box-postgresql"));
    assert!(compose.contains("POSTGRES_DB: photo_box"));
    assert!(err.contains("[schema-autoincrement]"), "{err}");
    assert!(err.contains("[schema-decimal]"), "{err}");
    assert_eq!(
        read(dir.path(), ".gitignore"),
        "# PostgreSQL credentials (pgshift init-postgres)\n.env.postgresql\n"
    );
}

#[test]
fn bad_names_and_missing_projects_are_errors() {
    let work = copy_tree(&fixture("before"));
    let output = init(work.path(), &["--db-name", "Bad-Name"]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("--db-name `Bad-Name`"),
        "{}",
        stderr(&output)
    );
    assert!(stderr(&output).contains("bad_name"));
    let output = init(work.path(), &["--db-password", "has space"]);
    assert_eq!(code(&output), 2);
    let empty = tempfile::tempdir().unwrap();
    let output = init(empty.path(), &[]);
    assert_eq!(code(&output), 2);
    assert!(
        stderr(&output).contains("no package.json"),
        "{}",
        stderr(&output)
    );
    assert_same_tree(work.path(), &fixture("before"));
}

#[test]
fn a_changed_generated_file_is_left_as_it_is() {
    let work = copy_tree(&fixture("before"));
    init(work.path(), &fixed(&["--write"]));
    let compose = work.path().join("postgresql/docker-compose.yml");
    let edited = read(work.path(), "postgresql/docker-compose.yml")
        .replace("postgres:16-alpine", "postgres:17-alpine");
    std::fs::write(&compose, &edited).unwrap();
    let schema = work.path().join("prisma/schema.prisma");
    let grown = format!(
        "{}\nmodel Tag {{\n  id String @id\n}}\n",
        read(work.path(), "prisma/schema.prisma")
    );
    std::fs::write(&schema, grown).unwrap();
    let output = init(work.path(), &["--write"]);
    assert_eq!(code(&output), 1);
    let err = stderr(&output);
    assert!(
        err.contains("postgresql/docker-compose.yml: exists with other content"),
        "{err}"
    );
    assert!(
        err.contains("prisma/schema.postgresql.prisma: is no longer prisma/schema.prisma with the provider `postgresql`"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&compose).unwrap(), edited);
}

// ---- against the real PostgreSQL (CI starts it with scripts/pg-test-setup.sh) ----

const DEFAULT_URL: &str = "postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test";

fn server_port() -> u16 {
    let url =
        std::env::var("PGSHIFT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string());
    let after_at = url.rsplit('@').next().unwrap();
    let host_port = after_at.split('/').next().unwrap();
    host_port.rsplit_once(':').map_or(5432, |(_, port)| {
        port.parse().expect("a port in the test URL")
    })
}

/// Runs SQL as the server's superuser over the local socket (the tests run as root, as CI
/// does).
fn as_postgres(port: u16, statements: &[String]) {
    let mut command = Command::new("runuser");
    command
        .args([
            "-u",
            "postgres",
            "--",
            "psql",
            "-X",
            "-q",
            "-v",
            "ON_ERROR_STOP=1",
        ])
        .args(["-p", &port.to_string(), "-d", "postgres"]);
    for sql in statements {
        // Each -c runs on its own: DROP DATABASE cannot share a transaction.
        command.args(["-c", sql]);
    }
    let output = command
        .output()
        .expect("runuser and psql run: these tests need root and a local PostgreSQL (bash scripts/pg-test-setup.sh)");
    assert!(
        output.status.success(),
        "psql as postgres failed (is PostgreSQL running? bash scripts/pg-test-setup.sh): {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// Drops the role and database when the test ends, however it ends.
struct Cleanup {
    port: u16,
    name: String,
}

impl Drop for Cleanup {
    fn drop(&mut self) {
        let _ = Command::new("runuser")
            .args(["-u", "postgres", "--", "psql", "-X", "-q"])
            .args(["-p", &self.port.to_string(), "-d", "postgres"])
            .args([
                "-c",
                &format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            ])
            .args(["-c", &format!("DROP ROLE IF EXISTS {}", self.name)])
            .output();
    }
}

fn pgshift_without_database_url(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_pgshift"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .output()
        .expect("run pgshift")
}

#[test]
fn init_then_verify_then_apply_report_on_the_real_server() {
    let port = server_port();
    let name = format!("pgshift_init_{}", std::process::id());
    let work = copy_tree(&fixture("before"));
    let root = work.path();

    // 1. Scaffolding, with the role and database named for this test and the server's port.
    let output = init(
        root,
        &[
            "--write",
            "--port",
            &port.to_string(),
            "--db-name",
            &name,
            "--db-user",
            &name,
        ],
    );
    assert_eq!(code(&output), 1, "{}", stderr(&output));
    let env = read(root, ".env.postgresql");
    let password = env
        .lines()
        .find_map(|l| l.strip_prefix("POSTGRES_PASSWORD="))
        .expect("a generated password")
        .to_string();
    assert_eq!(password.len(), 24);
    assert!(env.contains(&format!(
        "DATABASE_URL=\"postgresql://{name}:{password}@localhost:{port}/{name}?schema=public&connection_limit=43\""
    )));

    // 2. What the container would do on first start: create the role and database it names.
    let _cleanup = Cleanup {
        port,
        name: name.clone(),
    };
    as_postgres(
        port,
        &[
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("DROP ROLE IF EXISTS {name}"),
            format!("CREATE ROLE {name} LOGIN PASSWORD '{password}'"),
            format!("CREATE DATABASE {name} OWNER {name}"),
        ],
    );

    // 3. verify finds the URL in .env.postgresql on its own.
    let verify =
        pgshift_without_database_url(&["verify", "--files", "100", "--format", "json", "."], root);
    let verdict: serde_json::Value = serde_json::from_slice(&verify.stdout).unwrap_or_else(|e| {
        panic!(
            "verify printed no JSON ({e}); exit {:?}:\n{}",
            verify.status.code(),
            stderr(&verify)
        )
    });
    assert!(
        [0, 1].contains(&code(&verify)),
        "verify ran (0 or 1), not 2:\n{}",
        stderr(&verify)
    );
    assert!(
        verdict["database"]["source"]
            .as_str()
            .unwrap()
            .contains(".env.postgresql"),
        "{}",
        verdict["database"]
    );
    assert_eq!(
        verdict["database"]["url"],
        format!(
            "postgresql://{name}:***@localhost:{port}/{name}?schema=public&connection_limit=43"
        )
    );
    assert_eq!(verdict["capacity"]["pool_size"], 43);
    assert!(["PASS", "WARN", "FAIL"].contains(&verdict["status"].as_str().unwrap()));
    let verify_json = beside(root, "verify.json");
    std::fs::write(&verify_json, &verify.stdout).unwrap();

    // 4. apply with the report and the verdict.
    let report = beside(root, "MIGRATION.md");
    let applied = pgshift(
        &[
            "apply",
            ".",
            "--report",
            report.to_str().unwrap(),
            "--verify-json",
            verify_json.to_str().unwrap(),
        ],
        root,
    );
    assert_eq!(
        code(&applied),
        1,
        "review places remain:\n{}",
        stderr(&applied)
    );
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(
        text.contains(&format!(
            "| verification | **{}** (",
            verdict["status"].as_str().unwrap()
        )),
        "{text}"
    );
    assert!(text.contains("## Verification (Stage 6)\n\nVerdict: **"));
    assert!(text.contains(&format!("@localhost:{port}/{name}")));
    assert!(!text.contains(&password), "the report holds no password");

    // 5. verify again on the applied code: the same settings, now in the files.
    let again = pgshift_without_database_url(&["verify", "--files", "100", "."], root);
    assert!([0, 1].contains(&code(&again)), "{}", stderr(&again));
    std::fs::remove_file(&verify_json).unwrap();
    std::fs::remove_file(&report).unwrap();
}

fn write_file(root: &Path, rel: &str, text: &str) {
    let path = root.join(rel);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

const SETUP_PRISMA: &str = "generator client {\n  provider = \"prisma-client-js\"\n  previewFeatures = [\"driverAdapters\"]\n}\n\ndatasource db {\n  provider = \"sqlite\"\n  url      = env(\"DATABASE_URL\")\n}\n";
const MODELS_PRISMA: &str =
    "model Track {\n  id    Int    @id @default(autoincrement())\n  title String\n}\n";

/// A Prisma 6.19 server with the libsql adapter: prisma.config.ts names the folder `prisma`,
/// whose `setup.prisma` holds the datasource and `models.prisma` the models.
fn folder_schema_project() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "package.json",
        r#"{ "name": "tracks", "scripts": { "dev": "tsx src/server.ts" } }"#,
    );
    write_file(
        dir.path(),
        "prisma.config.ts",
        "import path from 'node:path';\nimport { defineConfig } from 'prisma/config';\n\nexport default defineConfig({\n  schema: path.join('prisma'),\n});\n",
    );
    write_file(dir.path(), "prisma/setup.prisma", SETUP_PRISMA);
    write_file(dir.path(), "prisma/models.prisma", MODELS_PRISMA);
    write_file(
        dir.path(),
        "src/server.ts",
        "import { PrismaClient } from '@prisma/client';\nimport { PrismaLibSQL } from '@prisma/adapter-libsql';\nexport const prisma = new PrismaClient({ adapter: new PrismaLibSQL({ url: process.env.DATABASE_URL! }) });\nexport const search = (q: string) => prisma.track.findMany({ where: { title: { contains: q } } });\n",
    );
    dir
}

#[test]
fn a_schema_folder_named_by_prisma_config_with_the_datasource_in_setup_prisma() {
    let dir = folder_schema_project();
    let output = init(dir.path(), &fixed(&[]));
    let err = stderr(&output);
    assert_eq!(code(&output), 1, "SQLite-isms to review:\n{err}");
    assert!(!err.contains("no Prisma schema"), "{err}");
    assert!(
        err.contains("Prisma schema: prisma (2 files), named by `schema` in prisma.config.ts"),
        "{err}"
    );
    // The copy is the whole folder beside it; only setup.prisma's provider differs.
    let patch = stdout(&output);
    for created in [
        "+++ b/prisma.postgresql/setup.prisma",
        "+++ b/prisma.postgresql/models.prisma",
        "+++ b/postgresql/pgshift-move.toml",
    ] {
        assert!(patch.contains(created), "{created}:\n{patch}");
    }
    // The schema check reads every file of the folder; the filter is in the code.
    assert!(
        err.contains("prisma/models.prisma:2:3: [schema-autoincrement]"),
        "{err}"
    );
    assert!(
        err.contains("src/server.ts:4:80: [sqlite-case-insensitive-filter]"),
        "{err}"
    );
    git_apply(dir.path(), patch.as_bytes());
    assert_eq!(
        read(dir.path(), "prisma.postgresql/setup.prisma"),
        SETUP_PRISMA.replace("\"sqlite\"", "\"postgresql\"")
    );
    assert_eq!(
        read(dir.path(), "prisma.postgresql/models.prisma"),
        MODELS_PRISMA
    );
    let package = read(dir.path(), "package.json");
    assert!(
        package.contains("prisma db push --schema prisma.postgresql"),
        "{package}"
    );
    assert!(
        read(dir.path(), "postgresql/pgshift-move.toml").contains("schema = \"prisma\""),
        "the record names the SQLite schema folder"
    );
    // A second run has nothing left to do; the check sees the schema through the config too.
    let again = init(dir.path(), &fixed(&[]));
    assert_eq!(stdout(&again), "", "{}", stderr(&again));
    let check = pgshift(&["check", "--format", "json", "."], dir.path());
    let found = stdout(&check);
    assert!(found.contains("\"schema-autoincrement\""), "{found}");
    assert!(
        found.contains("\"path\": \"prisma/models.prisma\""),
        "{found}"
    );
}

#[test]
fn a_schema_named_by_package_json() {
    let dir = tempfile::tempdir().unwrap();
    write_file(
        dir.path(),
        "package.json",
        r#"{ "name": "app", "prisma": { "schema": "db/app.prisma" } }"#,
    );
    write_file(
        dir.path(),
        "db/app.prisma",
        &format!("{}\n{MODELS_PRISMA}", SETUP_PRISMA),
    );
    let output = init(dir.path(), &fixed(&[]));
    let err = stderr(&output);
    assert!(
        err.contains("Prisma schema: db/app.prisma, named by `prisma.schema` in package.json"),
        "{err}"
    );
    let patch = stdout(&output);
    assert!(patch.contains("+++ b/db/app.postgresql.prisma"), "{patch}");
    assert!(
        patch.contains("prisma db push --schema db/app.postgresql.prisma"),
        "{patch}"
    );
    assert!(
        err.contains("db/app.prisma:12:3: [schema-autoincrement]"),
        "{err}"
    );
}

#[test]
fn without_the_plans_queue_files_the_connection_limit_is_a_default_and_says_so() {
    let dir = folder_schema_project();
    let output = init(dir.path(), &fixed(&["--write"]));
    let err = stderr(&output);
    assert!(
        err.contains("connection_limit 10: a default (node-postgres's pool size), not from the code: none of the numbers the Stage 5 rules size the pool by is in this project (`concurrency` in MediaProcessingQueue.ts; "),
        "{err}"
    );
    assert!(!err.contains("= 43"), "{err}");
    let env = read(dir.path(), ".env.postgresql");
    assert!(env.contains("connection_limit=10\""), "{env}");
    assert!(
        env.contains(
            "# connection_limit=10: a default (node-postgres's pool size), not from the code"
        ),
        "{env}"
    );
    let readme = read(dir.path(), "postgresql/README.md");
    assert!(readme.contains("not from the code"), "{readme}");
}
