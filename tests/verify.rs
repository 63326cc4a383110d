//! `pgshift verify` against a real PostgreSQL server: the one `scripts/pg-test-setup.sh` starts
//! (CI runs it from `.ci/run`). The URL comes from PGSHIFT_TEST_DATABASE_URL, default
//! `postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test`. When the server cannot be
//! reached these tests fail; they never skip.
//!
//! The tests run one at a time (they count the server's scratch schemas and measure timings).

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

const DEFAULT_URL: &str = "postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test";
/// The password of the `pgshift_secret` role (scripts/pg-test-setup.sh).
const SECRET: &str = "Qx7-hunter2-Zv9";

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn base_url() -> String {
    std::env::var("PGSHIFT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

/// The test URL with other credentials (and optional extra query parameters).
fn url_for(user: &str, password: &str, query: &str) -> String {
    let base = base_url();
    let (scheme, rest) = base.split_once("://").unwrap();
    let rest = rest.rsplit_once('@').map_or(rest, |(_, r)| r);
    let rest = rest.split_once('?').map_or(rest, |(r, _)| r);
    let mut url = format!("{scheme}://{user}:{password}@{rest}");
    if !query.is_empty() {
        url.push('?');
        url.push_str(query);
    }
    url
}

fn admin() -> postgres::Client {
    let url = base_url();
    postgres::Client::connect(&url, postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "the verify tests need PostgreSQL at PGSHIFT_TEST_DATABASE_URL (default {DEFAULT_URL}): {e}. Run `bash scripts/pg-test-setup.sh` first."
        )
    })
}

fn scratch_schemas() -> Vec<String> {
    pgshift::verify::postgres::scratch_schemas(&mut admin()).unwrap()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stage5/before")
}

fn pgshift() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgshift"));
    command
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null());
    command
}

fn verify(args: &[&str]) -> Output {
    pgshift().arg("verify").args(args).output().unwrap()
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        let (out, err) = text(output);
        panic!("not JSON ({e}):\nstdout:\n{out}\nstderr:\n{err}")
    })
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id} in {report:#}"))
}

fn error_count(run: &Value, class: &str) -> u64 {
    run["outcome"]["errors"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["class"] == class)
        .map(|e| e["count"].as_u64().unwrap())
        .sum()
}

/// The scratch schemas an output names (every path that made one names it).
fn named_schemas(output: &Output) -> Vec<String> {
    let (stdout, stderr) = text(output);
    let pattern = regex::Regex::new(r"pgshift_verify_[0-9a-f]{12}").unwrap();
    let mut names: Vec<String> = pattern
        .find_iter(&format!("{stdout}\n{stderr}"))
        .map(|m| m.as_str().to_string())
        .collect();
    names.sort();
    names.dedup();
    names
}

/// Asserts that the schemas these runs made are gone. (Only their own: other runs of verify
/// on the same server, a developer's for one, may be busy with theirs.)
fn assert_dropped(outputs: &[&Output]) {
    let now = scratch_schemas();
    for output in outputs {
        for name in named_schemas(output) {
            assert!(!now.contains(&name), "scratch schema {name} left behind");
        }
    }
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

#[test]
fn passes_on_the_fixture_with_numbers_for_postgresql_and_sqlite() {
    let _serial = serial();
    let url = base_url();
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "400",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["status"], "PASS");
    assert_eq!(report["exit_code"], 0);

    // The settings, read off the code before and after the rules.
    let setting = |label: &str| {
        report["settings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["label"] == label)
            .unwrap_or_else(|| panic!("no setting {label}"))
            .clone()
    };
    let batch = setting("sync batchSize");
    assert_eq!(
        (batch["before"].as_f64(), batch["after"].as_f64()),
        (Some(50.0), Some(200.0))
    );
    let parallel = setting("sync parallelLimit");
    assert_eq!(parallel["after"].as_f64(), Some(20.0));
    let timeout = setting("transaction timeout (ms)");
    assert_eq!(
        (timeout["before"].as_f64(), timeout["after"].as_f64()),
        (Some(10000.0), Some(5000.0))
    );
    assert!(
        report["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("shorter")),
        "the shorter transaction limit is said: {:#}",
        report["notes"]
    );

    // Real numbers for PostgreSQL and both SQLite runs.
    let runs = report["runs"].as_array().unwrap();
    let labels: Vec<&str> = runs.iter().map(|r| r["label"].as_str().unwrap()).collect();
    assert_eq!(
        labels,
        ["PostgreSQL (after)", "SQLite (before)", "SQLite (after)"]
    );
    for run in runs {
        let outcome = &run["outcome"];
        assert!(outcome["sync_seconds"].as_f64().unwrap() > 0.0, "{run:#}");
        assert_eq!(outcome["params"]["files"], 400);
    }
    let pg = &runs[0]["outcome"];
    assert_eq!(pg["files_synced"], 400);
    assert_eq!(pg["data"]["ok"], true);
    assert_eq!(pg["data"]["counts"]["media_rows"], 400);
    assert_eq!(pg["data"]["counts"]["job_processed_files"], 400);
    assert!(pg["transactions"]["count"].as_u64().unwrap() >= 2);
    assert!(pg["transactions"]["p95_ms"].as_f64().unwrap() > 0.0);
    assert_eq!(pg["params"]["batch_size"], 200);
    assert_eq!(runs[1]["outcome"]["params"]["batch_size"], 50);
    assert_eq!(runs[1]["outcome"]["params"]["parallel_limit"], 5);
    assert_eq!(runs[2]["outcome"]["params"]["parallel_limit"], 20);

    for id in [
        "no-timeouts",
        "no-database-locked",
        "sync-under-2-minutes",
        "nothing-lost",
        "writes-succeeded",
        "pool-demand",
        "server-slots",
        "transaction-timeout",
        "server-timeouts",
        "server-version",
    ] {
        assert_ne!(check(&report, id)["status"], "FAIL", "{id}: {report:#}");
    }
    // 10 + 8 + 5 + 20 callers on a default pool of CPUs × 2 + 1 — said, with the numbers.
    let demand = check(&report, "pool-demand");
    assert!(demand["detail"].as_str().unwrap().contains("demand 43"));

    let scratch = report["database"]["scratch_schema"].as_str().unwrap();
    assert!(scratch.starts_with("pgshift_verify_"));
    assert_eq!(named_schemas(&output), [scratch]);
    assert_dropped(&[&output]);
}

#[test]
fn the_human_verdict_and_every_output_keep_the_password_out() {
    let _serial = serial();
    let secret_url = url_for("pgshift_secret", SECRET, "");
    let fixture = fixture();
    let fixture = fixture.to_str().unwrap();
    let mut outputs = Vec::new();

    // A passing run, as people read it.
    let output = verify(&[
        fixture,
        "--database-url",
        &secret_url,
        "--files",
        "200",
        "--no-sqlite",
    ]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(
        stdout.contains("postgresql://pgshift_secret:***@"),
        "{stdout}"
    );
    assert!(stdout.contains("Verdict"));
    assert!(stdout.contains("PASS  no `timed out` errors"), "{stdout}");
    assert!(stdout.contains("Result: PASS"), "{stdout}");
    outputs.push(output);

    // JSON, the URL taken from the environment.
    outputs.push(
        pgshift()
            .args([
                "verify",
                fixture,
                "--files",
                "100",
                "--no-sqlite",
                "--format",
                "json",
            ])
            .env("DATABASE_URL", &secret_url)
            .output()
            .unwrap(),
    );
    assert_eq!(
        json(outputs.last().unwrap())["database"]["source"],
        "DATABASE_URL"
    );

    // From ROOT/.env.postgresql.
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join(".env.postgresql"),
        format!("DATABASE_URL=\"{secret_url}\"\n"),
    )
    .unwrap();
    outputs.push(verify(&[
        project.path().to_str().unwrap(),
        "--files",
        "100",
        "--no-sqlite",
    ]));

    // A wrong password (the one in the URL must not show either).
    let wrong = format!("{SECRET}-wrong");
    let output = verify(&[
        fixture,
        "--database-url",
        &url_for("pgshift_secret", &wrong, ""),
        "--no-sqlite",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let (_, stderr) = text(&output);
    assert!(
        stderr.contains("password authentication failed"),
        "{stderr}"
    );
    assert!(!stderr.contains(&wrong));
    outputs.push(output);

    // An unreachable server.
    outputs.push(verify(&[
        fixture,
        "--database-url",
        &format!(
            "postgresql://pgshift_secret:{SECRET}@127.0.0.1:{}/db",
            closed_port()
        ),
    ]));
    // A URL that does not parse.
    outputs.push(verify(&[
        fixture,
        "--database-url",
        &format!("postgresql://pgshift_secret:{SECRET}@127.0.0.1:notaport/db"),
    ]));

    for output in &outputs {
        let (stdout, stderr) = text(output);
        for shown in [&stdout, &stderr] {
            assert!(!shown.contains(SECRET), "password shown:\n{shown}");
            assert!(!shown.contains("hunter2"), "password shown:\n{shown}");
        }
    }
    assert!(!named_schemas(&outputs[0]).is_empty());
    assert_dropped(&outputs.iter().collect::<Vec<_>>());
}

fn closed_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

#[test]
fn an_unreachable_server_exits_2_naming_host_and_port_and_how_to_start_one() {
    let _serial = serial();
    let port = closed_port();
    let url = format!("postgresql://pgshift:pgshift@127.0.0.1:{port}/pgshift_test");
    let fixture = fixture();
    let started = Instant::now();
    let output = verify(&[fixture.to_str().unwrap(), "--database-url", &url]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(stderr.contains(&format!("127.0.0.1:{port}")), "{stderr}");
    assert!(
        stderr.contains("docker compose -f postgresql/docker-compose.yml up -d"),
        "{stderr}"
    );
    assert!(stderr.contains("pg_ctlcluster"), "{stderr}");
    assert!(started.elapsed() < Duration::from_secs(30));

    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--format",
        "json",
    ]);
    assert_eq!(output.status.code(), Some(2));
    let report = json(&output);
    assert_eq!(report["status"], "ERROR");
    assert_eq!(report["exit_code"], 2);

    // No URL anywhere is a could-not-run too.
    let empty = tempfile::tempdir().unwrap();
    let output = verify(&[empty.path().to_str().unwrap()]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr.contains("no PostgreSQL database URL"), "{stderr}");
}

#[test]
fn a_role_with_a_tiny_statement_timeout_fails_the_run() {
    let _serial = serial();
    let url = url_for("pgshift_slow", "pgshift", "");
    let fixture = fixture();
    // `statement_timeout = 1ms` cancels a handful of the ~12 000 statements of this run (six
    // to ten here); the chance that none is canceled is tiny, and a second run is allowed.
    let mut last = None;
    for _ in 0..2 {
        let output = verify(&[
            fixture.to_str().unwrap(),
            "--database-url",
            &url,
            "--files",
            "3000",
            "--no-sqlite",
            "--format",
            "json",
        ]);
        let report = json(&output);
        assert_eq!(check(&report, "server-timeouts")["status"], "WARN");
        assert!(
            check(&report, "server-timeouts")["detail"]
                .as_str()
                .unwrap()
                .contains("statement_timeout 1ms")
        );
        assert_eq!(report["server"]["statement_timeout_ms"], 1);
        assert_eq!(named_schemas(&output).len(), 1);
        assert_dropped(&[&output]);
        let failed = output.status.code() == Some(1);
        last = Some(report);
        if failed {
            break;
        }
    }
    let report = last.unwrap();
    assert_eq!(report["status"], "FAIL", "{report:#}");
    assert_eq!(check(&report, "no-timeouts")["status"], "FAIL");
    assert!(error_count(&report["runs"][0], "statement-timeout") > 0);
    assert_eq!(check(&report, "writes-succeeded")["status"], "FAIL");
}

#[test]
fn a_short_client_wide_transaction_timeout_fails_the_run() {
    let _serial = serial();
    let project = tempfile::tempdir().unwrap();
    copy_dir(&fixture(), project.path());
    let client = project.path().join("src/lib/db/client.ts");
    let text_before = std::fs::read_to_string(&client).unwrap();
    let text_after = text_before.replace(
        "new PrismaClient({",
        "new PrismaClient({\n    transactionOptions: { timeout: 5 },",
    );
    assert_ne!(
        text_before, text_after,
        "the fixture's client changed shape"
    );
    std::fs::write(&client, text_after).unwrap();

    let url = base_url();
    let output = verify(&[
        project.path().to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "400",
        "--no-sqlite",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    // After the drop, the client default applies: 5 ms, read off the code.
    assert_eq!(report["runs"][0]["outcome"]["params"]["tx_timeout"], 5);
    assert!(error_count(&report["runs"][0], "transaction-expired") > 0);
    assert_eq!(check(&report, "transaction-timeout")["status"], "FAIL");
    assert_eq!(check(&report, "no-timeouts")["status"], "FAIL");
    assert_eq!(check(&report, "nothing-lost")["status"], "FAIL");
    assert_eq!(named_schemas(&output).len(), 1);
    assert_dropped(&[&output]);
}

#[test]
fn pools_beyond_max_connections_fail_the_capacity_check() {
    let _serial = serial();
    let url = base_url();
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "100",
        "--no-sqlite",
        "--instances",
        "40",
        "--app-cpus",
        "4",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["capacity"]["pool_size"], 9);
    assert_eq!(report["capacity"]["connections_needed"], 360);
    let slots = check(&report, "server-slots");
    assert_eq!(slots["status"], "FAIL");
    assert!(slots["detail"].as_str().unwrap().contains("53300"));
    assert_eq!(named_schemas(&output).len(), 1);
    assert_dropped(&[&output]);
}

#[test]
fn the_data_check_catches_a_lost_update() {
    let _serial = serial();
    let url = base_url();
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "600",
        "--no-sqlite",
        // The fault sits in the batch shape's progress write.
        "--pattern",
        "batch",
        "--fault",
        "lost-update",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    let data = &report["runs"][0]["outcome"]["data"];
    assert_eq!(data["ok"], false);
    // Every media row is there; the job's counter lost a batch's increment.
    assert_eq!(data["counts"]["media_rows"], 600);
    assert!(data["counts"]["job_processed_files"].as_i64().unwrap() < 600);
    let lost = check(&report, "nothing-lost");
    assert_eq!(lost["status"], "FAIL");
    assert!(
        lost["detail"].as_str().unwrap().contains("lost"),
        "{lost:#}"
    );
    // No error was reported: the loss is silent, which is what the check is for.
    assert_eq!(check(&report, "writes-succeeded")["status"], "PASS");
    assert_eq!(named_schemas(&output).len(), 1);
    assert_dropped(&[&output]);
}

/// Backends of the verify process `pid` (its connections carry `pgshift verify <pid>`).
fn backends_of(pid: u32) -> i64 {
    admin()
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&format!("pgshift verify {pid}")],
        )
        .unwrap()
        .get(0)
}

#[test]
fn sigint_drops_the_scratch_schema() {
    let _serial = serial();
    let url = base_url();
    let fixture = fixture();
    let mut child = pgshift()
        .args([
            "verify",
            fixture.to_str().unwrap(),
            "--database-url",
            &url,
            "--files",
            "100000",
            "--no-sqlite",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the workload is writing: the tool's own connection and pool connections.
    let deadline = Instant::now() + Duration::from_secs(60);
    while backends_of(child.id()) < 3 {
        assert!(
            child.try_wait().unwrap().is_none(),
            "verify ended before the workload started: {:?}",
            child.wait_with_output().map(|o| text(&o))
        );
        assert!(Instant::now() < deadline, "the workload did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    std::thread::sleep(Duration::from_millis(500));
    let status = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(60);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "verify did not stop after SIGINT"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    let names = named_schemas(&output);
    assert_eq!(names.len(), 1, "{stderr}");
    assert!(
        stderr.contains(&format!("{} dropped", names[0])),
        "{stderr}"
    );
    assert_dropped(&[&output]);
}

#[test]
fn a_role_without_create_gets_a_clear_error() {
    let _serial = serial();
    let url = url_for("pgshift_nocreate", "pgshift", "");
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--no-sqlite",
    ]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
    assert!(
        stderr.contains("role `pgshift_nocreate` may not create schemas"),
        "{stderr}"
    );
    assert!(stderr.contains("GRANT CREATE ON DATABASE"), "{stderr}");
    assert!(named_schemas(&output).is_empty());
}

#[test]
fn tls_with_sslmode_require_and_prisma_parameters() {
    let _serial = serial();
    let url = url_for(
        "pgshift",
        "pgshift",
        "sslmode=require&schema=app&connection_limit=3&pool_timeout=20",
    );
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "200",
        "--no-sqlite",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert_eq!(report["database"]["tls"], true);
    assert_eq!(report["database"]["app_schema"], "app");
    assert_eq!(report["capacity"]["pool_size"], 3);
    assert_eq!(report["capacity"]["pool_timeout_ms"], 20000);
    assert_eq!(report["runs"][0]["outcome"]["params"]["pool_size"], 3);
    assert!(report["runs"][0]["outcome"]["pool_peak"].as_u64().unwrap() <= 3);
    assert_eq!(named_schemas(&output).len(), 1);
    assert_dropped(&[&output]);
}

#[test]
fn keep_leaves_the_schema_and_names_it() {
    let _serial = serial();
    let url = base_url();
    let fixture = fixture();
    let output = verify(&[
        fixture.to_str().unwrap(),
        "--database-url",
        &url,
        "--files",
        "100",
        "--no-sqlite",
        "--keep",
        "--format",
        "json",
    ]);
    let report = json(&output);
    let (_, stderr) = text(&output);
    let scratch = report["database"]["scratch_schema"]
        .as_str()
        .unwrap()
        .to_string();
    let present = scratch_schemas().contains(&scratch);
    let mut admin = admin();
    admin
        .batch_execute(&format!("DROP SCHEMA IF EXISTS \"{scratch}\" CASCADE"))
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(present, "--keep dropped {scratch}");
    assert!(stderr.contains(&scratch), "{stderr}");
    assert_eq!(report["database"]["scratch_kept"], true);
}

#[test]
fn settings_not_found_fall_back_to_the_pack_and_say_so() {
    let _serial = serial();
    let project = tempfile::tempdir().unwrap();
    std::fs::write(
        project.path().join(".env"),
        "DATABASE_URL=\"file:./dev.db\"\n",
    )
    .unwrap();
    std::fs::write(
        project.path().join(".env.postgresql"),
        format!("DATABASE_URL=\"{}\"\n", base_url()),
    )
    .unwrap();
    let output = verify(&[
        project.path().to_str().unwrap(),
        "--files",
        "100",
        "--no-sqlite",
        "--format",
        "json",
    ]);
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    assert!(
        report["database"]["source"]
            .as_str()
            .unwrap()
            .ends_with(".env.postgresql")
    );
    let notes: Vec<&str> = report["notes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap())
        .collect();
    assert!(
        notes
            .iter()
            .any(|n| n.contains("parallelLimit") && n.contains("not found")),
        "{notes:#?}"
    );
    // The pack's targets are used.
    assert_eq!(report["runs"][0]["outcome"]["params"]["parallel_limit"], 20);
    assert_eq!(report["runs"][0]["outcome"]["params"]["batch_size"], 200);
    assert_eq!(named_schemas(&output).len(), 1);
    assert_dropped(&[&output]);
}
