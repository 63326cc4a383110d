//! `pgshift verify` through the project's own Prisma client: the Prisma 7 and Prisma 6.19
//! variants of the Stage 5 fixture, with their node_modules installed by `npm ci` (CI does it
//! in .ci/run), against the PostgreSQL server of PGSHIFT_TEST_DATABASE_URL. When Node, the
//! installed packages or the server are missing these tests fail, saying what to run; they
//! never skip.
//!
//! The tests run one at a time: they measure, and they watch the server's scratch schemas.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use serde_json::Value;

const DEFAULT_URL: &str = "postgresql://pgshift:pgshift@127.0.0.1:5432/pgshift_test";

static SERIAL: Mutex<()> = Mutex::new(());

fn serial() -> MutexGuard<'static, ()> {
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

fn url() -> String {
    std::env::var("PGSHIFT_TEST_DATABASE_URL").unwrap_or_else(|_| DEFAULT_URL.to_string())
}

fn admin() -> postgres::Client {
    postgres::Client::connect(&url(), postgres::NoTls).unwrap_or_else(|e| {
        panic!(
            "these tests need PostgreSQL at PGSHIFT_TEST_DATABASE_URL (default {DEFAULT_URL}): {e}. Run `bash scripts/pg-test-setup.sh` first."
        )
    })
}

/// A fixture with its node_modules installed.
fn installed(name: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(name);
    let client = root.join("node_modules/@prisma/client/package.json");
    assert!(
        client.is_file(),
        "{} has no installed node_modules: run `npm ci --prefix fixtures/{name} --no-audit --no-fund` first",
        root.display()
    );
    let node = Command::new("node").arg("--version").output();
    assert!(
        node.is_ok_and(|o| o.status.success()),
        "these tests need Node.js on PATH"
    );
    root
}

/// A copy of an installed fixture (its node_modules linked, not copied) for edits.
fn copy_of(name: &str) -> tempfile::TempDir {
    let from = installed(name);
    let dir = tempfile::tempdir().unwrap();
    copy_dir(&from, dir.path());
    std::os::unix::fs::symlink(from.join("node_modules"), dir.path().join("node_modules")).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name() == "node_modules" {
            continue;
        }
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

fn edit(root: &Path, rel: &str, from: &str, to: &str) {
    let path = root.join(rel);
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "{rel} has no `{from}`");
    std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
}

/// `pgshift verify` with its own temporary folder, so that the harness folder can be watched.
fn verify(tmp: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pgshift"));
    command
        .arg("verify")
        .args(args)
        .env_remove("DATABASE_URL")
        .env("NO_COLOR", "1")
        .env("TMPDIR", tmp)
        .stdin(Stdio::null());
    command
}

fn json(output: &Output) -> Value {
    serde_json::from_slice(&output.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}):\nstdout:\n{}\nstderr:\n{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )
    })
}

fn check<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == id)
        .unwrap_or_else(|| panic!("no check {id}"))
}

/// What verify left in its temporary folder (nothing, after any run).
fn leftovers(tmp: &Path) -> Vec<String> {
    std::fs::read_dir(tmp)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("pgshift-verify"))
        .collect()
}

fn assert_schema_gone(report_or_text: &str) {
    let pattern = regex::Regex::new(r"pgshift_verify_[0-9a-f]{12}").unwrap();
    let now = pgshift::verify::postgres::scratch_schemas(&mut admin()).unwrap();
    let names: Vec<&str> = pattern
        .find_iter(report_or_text)
        .map(|m| m.as_str())
        .collect();
    assert!(
        !names.is_empty(),
        "no scratch schema named in:\n{report_or_text}"
    );
    for name in names {
        assert!(
            !now.iter().any(|n| n == name),
            "scratch schema {name} left behind"
        );
    }
}

#[test]
fn the_real_client_syncs_1000_files_in_the_apps_shape() {
    let _serial = serial();
    let fixture = installed("stage5-prisma7");
    let tmp = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let output = verify(
        tmp.path(),
        &[
            fixture.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "1000",
            "--engine",
            "prisma",
            "--limit-budget",
            "0",
            "--no-sqlite",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let engine = &report["engine"];
    assert_eq!(engine["kind"], "prisma");
    assert_eq!(engine["client_version"], "7.10.0");
    assert_eq!(engine["prisma_version"], "7.10.0");
    assert_eq!(engine["adapter"], "@prisma/adapter-pg");
    assert_eq!(engine["adapter_version"], "7.10.1");
    assert_eq!(engine["pool_size"], 10);
    assert!(engine["generate_seconds"].as_f64().unwrap() > 0.0);
    assert!(engine["startup_seconds"].as_f64().unwrap() > 0.0);
    // The shape comes from the code: a transaction per object in the sync worker.
    assert_eq!(report["pattern"]["pattern"], "per-object");
    assert!(
        report["pattern"]["reason"]
            .as_str()
            .unwrap()
            .contains("MediaSyncWorker.ts:50"),
        "{:#}",
        report["pattern"]
    );
    let run = &report["runs"][0];
    assert_eq!(run["measured_with"], "prisma");
    let outcome = &run["outcome"];
    assert_eq!(outcome["files_synced"], 1000);
    assert_eq!(outcome["worker_transactions"], 1000);
    assert_eq!(outcome["transactions"]["count"], 1000);
    assert_eq!(outcome["error_codes"], serde_json::json!({}));
    assert_eq!(outcome["data"]["ok"], true, "{outcome:#}");
    assert_eq!(outcome["data"]["counts"]["media_rows"], 1000);
    assert_eq!(outcome["data"]["counts"]["worker_processed_files"], 1000);
    assert_eq!(check(&report, "nothing-lost")["status"], "PASS");
    assert!(started.elapsed() < Duration::from_secs(120));
    // Nothing left: no scratch schema, no harness folder, nothing in the project.
    assert_schema_gone(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
    assert!(!fixture.join("generated").exists());
    assert!(!fixture.join("src/generated").exists());
}

#[test]
fn a_workload_beyond_the_pool_fails_with_the_real_p2028_and_the_measured_fix_holds() {
    let _serial = serial();
    let project = copy_of("stage5-prisma7");
    let root = project.path();
    // A pool of one and 20 batches of 100 at once: every transaction but the one running
    // waits for the connection, past a maxWait of 1 s; the long timeout keeps expiry out.
    edit(
        root,
        "src/lib/db/client.ts",
        "new PrismaPg({ connectionString: url })",
        "new PrismaPg({ connectionString: url, max: 1 })",
    );
    edit(
        root,
        "src/lib/db/client.ts",
        "adapter: createAdapter(),",
        "adapter: createAdapter(),\n    transactionOptions: { maxWait: 1000, timeout: 30000 },",
    );
    // Batches of 100 (the rule leaves a value it does not expect as it is).
    edit(
        root,
        "src/services/media/sync/MediaSyncService.ts",
        "batchSize: 50,",
        "batchSize: 100,",
    );
    edit(
        root,
        "src/services/media/sync/MediaSyncService.ts",
        "batchSize = 50",
        "batchSize = 100",
    );
    let tmp = tempfile::tempdir().unwrap();
    let output = verify(
        tmp.path(),
        &[
            root.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "2000",
            "--pattern",
            "batch",
            "--engine",
            "prisma",
            "--no-sqlite",
            "--limit-budget",
            "150",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let report = json(&output);
    assert_eq!(output.status.code(), Some(1), "{report:#}");
    assert_eq!(report["status"], "FAIL");
    assert_eq!(report["pattern"]["pattern"], "batch");
    assert_eq!(report["engine"]["pool_size"], 1);
    let outcome = &report["runs"][0]["outcome"];
    assert_eq!(outcome["params"]["batch_size"], 100);
    assert_eq!(outcome["params"]["tx_max_wait"], 1000);
    let p2028 = outcome["error_codes"]["P2028"].as_u64().unwrap_or(0);
    assert!(p2028 > 0, "the real client's P2028: {outcome:#}");
    let sample = outcome["errors"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["code"] == "P2028")
        .unwrap();
    assert!(
        sample["sample"]
            .as_str()
            .unwrap()
            .contains("Unable to start a transaction in the given time"),
        "{sample:#}"
    );
    assert_eq!(check(&report, "no-timeouts")["status"], "FAIL");
    // The limit and the fix, measured on the same client.
    let limit = &report["limit"];
    let fix = &limit["recommendation"];
    assert!(fix.is_object(), "a measured fix: {limit:#}");
    assert_eq!(fix["measured"]["holds"], true);
    assert_eq!(fix["measured"]["files"], 2000);
    assert_eq!(fix["measured"]["files_synced"], 2000);
    assert_eq!(fix["measured"]["error_codes"], serde_json::json!({}));
    // The recommended setting, written into the code, passes when verify runs again.
    let change = fix["change"].as_str().unwrap();
    let number = |pattern: &str| {
        regex::Regex::new(pattern)
            .unwrap()
            .captures(change)
            .map(|c| c[1].to_string())
    };
    let mut applied = false;
    if let Some(max) = number(r"max: (\d+)") {
        assert!(change.contains("client.ts:12"), "{change}");
        edit(
            root,
            "src/lib/db/client.ts",
            "max: 1 }",
            &format!("max: {max} }}"),
        );
        applied = true;
    }
    if let Some(timeout) = number(r"timeout: (\d+) \}") {
        edit(
            root,
            "src/lib/db/client.ts",
            "timeout: 30000",
            &format!("timeout: {timeout}"),
        );
        applied = true;
    }
    if let Some(parallel) = number(r"parallelLimit`: (\d+)") {
        let service = "src/services/media/sync/MediaSyncService.ts";
        edit(
            root,
            service,
            "parallelLimit: 5,",
            &format!("parallelLimit: {parallel},"),
        );
        edit(
            root,
            service,
            "parallelLimit = 5",
            &format!("parallelLimit = {parallel}"),
        );
        applied = true;
    }
    assert!(applied, "a change pgshift can name in the code: {change}");
    let again = verify(
        tmp.path(),
        &[
            root.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "2000",
            "--pattern",
            "batch",
            "--engine",
            "prisma",
            "--no-sqlite",
            "--limit-budget",
            "0",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let rerun = json(&again);
    assert_eq!(again.status.code(), Some(0), "with {change}: {rerun:#}");
    assert_eq!(rerun["runs"][0]["outcome"]["files_synced"], 2000);
    assert_eq!(
        rerun["runs"][0]["outcome"]["error_codes"],
        serde_json::json!({})
    );
    assert_eq!(check(&report, "limit")["status"], "WARN");
    assert_schema_gone(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn the_sqlite_side_runs_through_prismas_better_sqlite3_adapter() {
    let _serial = serial();
    let fixture = installed("stage5-prisma7");
    let tmp = tempfile::tempdir().unwrap();
    let output = verify(
        tmp.path(),
        &[
            fixture.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "300",
            "--pattern",
            "batch",
            "--limit-budget",
            "0",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let report = json(&output);
    let runs = report["runs"].as_array().unwrap();
    assert_eq!(runs.len(), 3, "{report:#}");
    for run in &runs[1..] {
        assert_eq!(run["measured_with"], "prisma", "{run:#}");
        let setup = run["setup"].as_str().unwrap();
        assert!(
            setup.contains("@prisma/adapter-better-sqlite3 7.10.0"),
            "{setup}"
        );
        let outcome = &run["outcome"];
        // Prisma's own counts: every error class is the client's code.
        for error in outcome["errors"].as_array().unwrap() {
            assert!(
                error["sample"]
                    .as_str()
                    .unwrap()
                    .starts_with(error["code"].as_str().unwrap()),
                "{error:#}"
            );
        }
        let synced = outcome["files_synced"].as_u64().unwrap();
        let failed = outcome["files_failed"].as_u64().unwrap();
        assert!(
            synced + failed == 300 || outcome["stalled"].is_string(),
            "{outcome:#}"
        );
    }
    assert_schema_gone(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn sigint_kills_the_client_and_removes_the_schema_and_the_harness_folder() {
    let _serial = serial();
    let fixture = installed("stage5-prisma7");
    let tmp = tempfile::tempdir().unwrap();
    let child = verify(
        tmp.path(),
        &[
            fixture.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "20000",
            "--engine",
            "prisma",
            "--no-sqlite",
        ],
    )
    .stdout(Stdio::piped())
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let pid = child.id();
    // Wait until the client is writing: the harness's backends show on the server.
    let name = format!("pgshift verify harness {pid}");
    let deadline = Instant::now() + Duration::from_secs(90);
    let mut client = admin();
    loop {
        let count: i64 = client
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
                &[&name],
            )
            .unwrap()
            .get(0);
        if count > 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the harness never connected");
        std::thread::sleep(Duration::from_millis(200));
    }
    assert_eq!(
        leftovers(tmp.path()).len(),
        1,
        "the harness folder while it runs"
    );
    let status = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("interrupted"), "{stderr}");
    assert_schema_gone(&stderr);
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
    // The Node child is gone with its connections.
    std::thread::sleep(Duration::from_millis(500));
    let count: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1",
            &[&name],
        )
        .unwrap()
        .get(0);
    assert_eq!(count, 0, "the harness's connections outlived it");
}

#[test]
fn prisma_6_19_with_engine_type_client_runs_with_the_apps_pool_and_transaction_options() {
    let _serial = serial();
    let fixture = installed("stage5-prisma6");
    let tmp = tempfile::tempdir().unwrap();
    let output = verify(
        tmp.path(),
        &[
            fixture.to_str().unwrap(),
            "--database-url",
            &url(),
            "--files",
            "300",
            "--engine",
            "prisma",
            "--no-sqlite",
            "--limit-budget",
            "0",
            "--format",
            "json",
        ],
    )
    .output()
    .unwrap();
    let report = json(&output);
    assert_eq!(output.status.code(), Some(0), "{report:#}");
    let engine = &report["engine"];
    assert_eq!(engine["kind"], "prisma");
    assert_eq!(engine["client_version"], "6.19.3");
    assert_eq!(engine["query_engine"], "client");
    assert_eq!(engine["adapter_version"], "6.19.3");
    // `max: 25, connectionTimeoutMillis: 10_000` and `transactionOptions` from the code.
    assert_eq!(engine["pool_size"], 25);
    let params = &report["runs"][0]["outcome"]["params"];
    assert_eq!(params["tx_timeout"], 20000);
    assert_eq!(params["tx_max_wait"], 5000);
    assert_eq!(params["pool_timeout"], 10000);
    assert_eq!(report["runs"][0]["outcome"]["files_synced"], 300);
    assert_schema_gone(&String::from_utf8_lossy(&output.stdout));
    assert_eq!(leftovers(tmp.path()), Vec::<String>::new());
}

#[test]
fn engine_prisma_without_an_installed_client_exits_2_saying_why() {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/stage5/before");
    let tmp = tempfile::tempdir().unwrap();
    let output = verify(
        tmp.path(),
        &[
            fixture.to_str().unwrap(),
            "--database-url",
            &url(),
            "--engine",
            "prisma",
        ],
    )
    .output()
    .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("--engine prisma") && stderr.contains("node_modules"),
        "{stderr}"
    );
}
