//! The real-client harness: the media-sync workload run on Node through the project's own
//! Prisma (the `prisma` CLI, `@prisma/client` and driver adapters installed in the project).
//!
//! Everything it writes lives in a temporary folder outside the project: the workload's Prisma
//! schema (the `Media` and `MediaSyncJob` models, as the app declares them), the client the
//! project's own CLI generates from it, the workload script ([`SCRIPT`]) and its config.
//! `node_modules` there is a link to the project's. The tables are made by pgshift in the
//! scratch schema (and in a temporary SQLite file), since `migrate`/`db push` need Prisma's
//! native schema engine. The script prints JSON lines (`ready`, `progress`, `done`); a run
//! that makes no progress for the stall limit, or outlasts the run limit, is killed and
//! reported as a stall with what it had done by then. Ctrl-C kills the child too.
//! [`discover`] reads what the project has.

pub mod discover;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};

use self::discover::{Node, PrismaSetup, QueryEngine};
use super::workload::{self, Counts, ErrorClass, ErrorCount, Latency, Outcome, Params, Written};

/// The workload script, run by `node` in the harness folder.
pub const SCRIPT: &str = include_str!("workload.mjs");

/// The workload's models, as the app's schema declares them (relations left out: the workload
/// does not use them, and the tables pgshift creates match these columns).
const MODELS: &str = r#"
model Media {
  id          String   @id @default(cuid())
  key         String   @unique
  filename    String
  mimeType    String
  size        Int
  etag        String?
  status      String   @default("PENDING")
  width       Int?
  height      Int?
  watermarked Boolean  @default(false)
  folderId    String?
  createdAt   DateTime @default(now())
  updatedAt   DateTime @updatedAt

  @@index([status])
  @@index([folderId])
}

model MediaSyncJob {
  id             String    @id @default(cuid())
  prefix         String
  status         String    @default("QUEUED")
  totalFiles     Int       @default(0)
  processedFiles Int       @default(0)
  failedFiles    Int       @default(0)
  processedBytes Int       @default(0)
  errors         String?
  startedAt      DateTime?
  finishedAt     DateTime?
  createdAt      DateTime  @default(now())

  @@index([status])
}
"#;

/// Which database a generated client is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Provider {
    Postgresql,
    Sqlite,
}

impl Provider {
    fn name(self) -> &'static str {
        match self {
            Provider::Postgresql => "postgresql",
            Provider::Sqlite => "sqlite",
        }
    }
}

/// The harness folder with its generated clients.
pub struct Harness {
    dir: tempfile::TempDir,
    node: Node,
    setup: PrismaSetup,
    clients: Vec<(Provider, PathBuf)>,
    /// Time to generate the clients (the project's own `prisma generate`).
    pub generate_seconds: f64,
}

/// Where a run's time limits lie.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// No progress for this long: a stall.
    pub stall: Duration,
    /// At most this long in all.
    pub run: Duration,
}

/// How the client connects, for one run.
#[derive(Debug, Clone, Serialize)]
pub struct Connection {
    /// The adapter package and class, its constructor's first and second arguments.
    pub adapter: Option<(String, String, serde_json::Value, Option<serde_json::Value>)>,
    /// The datasource URL (the native engine).
    pub datasource_url: Option<String>,
}

/// A run through the real client.
pub struct RealRun {
    /// Node start, client load and `$connect`.
    pub startup_seconds: f64,
    /// The last progress line: what a stalled run had done.
    last: Progress,
    pub done: Option<Done>,
    pub stalled: Option<String>,
    pub interrupted: bool,
}

/// The `done` line of the script.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Done {
    pub sync_ms: f64,
    pub total_ms: f64,
    pub tx_ms: Vec<f64>,
    pub longest_tx_ms: f64,
    pub single_ms: Vec<f64>,
    pub errors: Vec<DoneError>,
    pub failed_operations: BTreeMap<String, usize>,
    pub files_synced: usize,
    pub bytes_synced: i64,
    pub files_failed: usize,
    pub queue_ok: [usize; 3],
    pub queue_failed: [usize; 3],
    pub progress_failed_files: i64,
    pub progress_failed_failed: i64,
    pub progress_failed_bytes: i64,
    pub results_total: usize,
    pub worker_tx_ok: usize,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DoneError {
    pub code: String,
    pub message: String,
    pub count: usize,
    pub retried: usize,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Progress {
    #[serde(default)]
    synced: usize,
    #[serde(default)]
    failed: usize,
    #[serde(default)]
    worker_tx: usize,
    #[serde(default)]
    queue_ok: [usize; 3],
    #[serde(default)]
    errors: Vec<DoneError>,
    #[serde(default)]
    failed_operations: BTreeMap<String, usize>,
}

/// Kills the child when dropped (an error or a panic on the way must not leave it running).
struct ChildGuard(Child);

impl Drop for ChildGuard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// The class of an error the real client reported.
pub fn classify(code: &str, message: &str) -> ErrorClass {
    let lower = message.to_lowercase();
    if lower.contains("sqlite_busy")
        || lower.contains("database is locked")
        || lower.contains("database table is locked")
        || lower.contains("sqlite_locked")
    {
        return ErrorClass::DatabaseLocked;
    }
    match code {
        "P2028" if lower.contains("unable to start a transaction") => {
            ErrorClass::TransactionStartTimeout
        }
        "P2028" => ErrorClass::TransactionExpired,
        "P2024" => ErrorClass::PoolTimeout,
        "P2034" | "40001" if lower.contains("deadlock") => ErrorClass::Deadlock,
        "P2034" | "40001" => ErrorClass::SerializationFailure,
        "40P01" => ErrorClass::Deadlock,
        "55P03" => ErrorClass::LockTimeout,
        "57014" => ErrorClass::StatementTimeout,
        "53300" => ErrorClass::TooManyConnections,
        "P1008" => ErrorClass::DatabaseLocked,
        "P1001" | "P1002" | "P1017" | "ECONNREFUSED" | "ECONNRESET" | "ETIMEDOUT" => {
            ErrorClass::Connection
        }
        _ if lower.contains("too many clients") => ErrorClass::TooManyConnections,
        _ if lower.contains("timeout exceeded when trying to connect")
            || lower.contains("connection terminated") =>
        {
            ErrorClass::Connection
        }
        _ => ErrorClass::Other,
    }
}

fn generator(setup: &PrismaSetup, provider: Provider) -> (String, &'static str) {
    let output = format!("./generated/{}", provider.name());
    match (setup.major, setup.query_engine) {
        (Some(major), _) if major >= 7 => (
            format!(
                "generator client {{\n  provider = \"prisma-client\"\n  output   = \"{output}\"\n}}\n"
            ),
            "client.ts",
        ),
        (_, QueryEngine::Client) => (
            format!(
                "generator client {{\n  provider   = \"prisma-client-js\"\n  engineType = \"client\"\n  output     = \"{output}\"\n}}\n"
            ),
            "index.js",
        ),
        _ => (
            format!(
                "generator client {{\n  provider = \"prisma-client-js\"\n  output   = \"{output}\"\n}}\n"
            ),
            "index.js",
        ),
    }
}

/// The environment of every Node child: no telemetry, no update check, no engine download.
fn quiet(command: &mut Command, dir: &Path) {
    command
        .env("CHECKPOINT_DISABLE", "1")
        .env("PRISMA_HIDE_UPDATE_MESSAGE", "1")
        .env("PRISMA_GENERATE_SKIP_AUTOINSTALL", "1")
        .env("PRISMA_SKIP_POSTINSTALL_GENERATE", "1")
        .env("NO_COLOR", "1")
        .env_remove("DATABASE_URL")
        .current_dir(dir);
    // `prisma generate` never uses the schema engine, but looks for one: any file will do.
    if std::env::var_os("PRISMA_SCHEMA_ENGINE_BINARY").is_none() {
        command.env("PRISMA_SCHEMA_ENGINE_BINARY", dir.join("workload.mjs"));
    }
}

impl Harness {
    /// Writes the harness folder and generates a client for each provider with the project's
    /// own `prisma` CLI.
    pub fn prepare(
        node: Node,
        setup: PrismaSetup,
        providers: &[Provider],
    ) -> Result<Harness, String> {
        let node_modules = setup
            .node_modules
            .clone()
            .ok_or("the project has no node_modules")?;
        let dir = tempfile::Builder::new()
            .prefix("pgshift-verify-harness-")
            .tempdir()
            .map_err(|e| format!("cannot create the harness folder: {e}"))?;
        link(&node_modules, &dir.path().join("node_modules")).map_err(|e| {
            format!("cannot link the project's node_modules into the harness folder: {e}")
        })?;
        std::fs::write(dir.path().join("workload.mjs"), SCRIPT)
            .and_then(|_| {
                // The generated client is an ES module (Prisma 7's TypeScript, or 6's CommonJS
                // entry, which Node loads either way).
                let module = if setup.major.is_some_and(|m| m >= 7) {
                    "module"
                } else {
                    "commonjs"
                };
                std::fs::write(
                    dir.path().join("package.json"),
                    format!("{{\"private\": true, \"type\": \"{module}\"}}\n"),
                )
            })
            .map_err(|e| format!("cannot write the harness script: {e}"))?;
        let cli = node_modules.join("prisma/build/index.js");
        if !cli.is_file() {
            return Err(format!(
                "the project has no Prisma CLI ({} is missing): install `prisma` in the project",
                cli.display()
            ));
        }
        let started = Instant::now();
        let mut clients = Vec::new();
        for &provider in providers {
            let (generator, entry) = generator(&setup, provider);
            let native = setup.query_engine == QueryEngine::Native;
            let datasource = if native {
                format!(
                    "datasource db {{\n  provider = \"{}\"\n  url      = env(\"PGSHIFT_HARNESS_URL\")\n}}\n",
                    provider.name()
                )
            } else if setup.major.is_some_and(|m| m >= 7) {
                format!(
                    "datasource db {{\n  provider = \"{}\"\n}}\n",
                    provider.name()
                )
            } else {
                // Prisma 6 still wants a url in the schema, even with an adapter.
                format!(
                    "datasource db {{\n  provider = \"{}\"\n  url      = env(\"PGSHIFT_HARNESS_URL\")\n}}\n",
                    provider.name()
                )
            };
            let schema_path = dir.path().join(format!("{}.prisma", provider.name()));
            std::fs::write(&schema_path, format!("{generator}\n{datasource}{MODELS}"))
                .map_err(|e| format!("cannot write the harness schema: {e}"))?;
            let mut command = Command::new(&node.path);
            if !native && std::env::var_os("PRISMA_QUERY_ENGINE_LIBRARY").is_none() {
                // Prisma 6's CLI fetches a query engine on generate even for engineType
                // "client", which never loads it: any file stands in, as for the schema engine.
                command.env(
                    "PRISMA_QUERY_ENGINE_LIBRARY",
                    dir.path().join("workload.mjs"),
                );
            }
            command
                .arg(&cli)
                .arg("generate")
                .arg("--schema")
                .arg(&schema_path)
                .stdin(Stdio::null());
            quiet(&mut command, dir.path());
            let output = command
                .output()
                .map_err(|e| format!("cannot run the project's prisma CLI: {e}"))?;
            if !output.status.success() {
                let stderr = String::from_utf8_lossy(&output.stderr);
                let stdout = String::from_utf8_lossy(&output.stdout);
                return Err(format!(
                    "the project's `prisma generate` failed for the harness schema ({}): {}",
                    provider.name(),
                    tail(&format!("{stdout}\n{stderr}"), 600)
                ));
            }
            clients.push((
                provider,
                dir.path()
                    .join("generated")
                    .join(provider.name())
                    .join(entry),
            ));
        }
        Ok(Harness {
            dir,
            node,
            setup,
            clients,
            generate_seconds: started.elapsed().as_secs_f64(),
        })
    }

    pub fn path(&self) -> &Path {
        self.dir.path()
    }

    pub fn node_version(&self) -> &str {
        &self.node.version
    }

    pub fn setup(&self) -> &PrismaSetup {
        &self.setup
    }

    /// Runs the workload with `params` through the client for `provider`.
    #[allow(clippy::too_many_arguments)]
    pub fn run(
        &self,
        provider: Provider,
        connection: &Connection,
        params: &Params,
        run_id: &str,
        limits: Limits,
        interrupted: &AtomicBool,
        bar: &ProgressBar,
    ) -> Result<RealRun, String> {
        let client = self
            .clients
            .iter()
            .find(|(p, _)| *p == provider)
            .map(|(_, path)| path.clone())
            .ok_or("no client was generated for this database")?;
        let job = format!("job{run_id}");
        let config = serde_json::json!({
            "client": client,
            "adapter": connection.adapter.as_ref().map(|(module, export, config, second)| serde_json::json!({
                "module": module, "export": export, "config": config, "second": second,
            })),
            "datasourceUrl": connection.datasource_url,
            "workload": {
                "pattern": params.pattern.as_str(),
                "files": params.files,
                "batchSize": params.batch_size,
                "minFilesForBatching": params.min_files_for_batching,
                "parallelLimit": params.parallel_limit,
                "queueConcurrency": params.queue_concurrency,
                "maxRetries": params.max_retries,
                "baseDelayMs": params.base_delay.as_millis() as u64,
                "retryLocked": params.retry_locked,
                "ioLatencyMs": params.io_latency.as_millis() as u64,
                "runId": run_id,
                "jobId": job,
                "workerJobId": format!("{job}w"),
                "txCallOptions": {
                    "maxWait": params.tx_max_wait.as_millis() as u64,
                    "timeout": params.tx_timeout.as_millis() as u64,
                },
            },
        });
        let config_path = self.dir.path().join(format!("config-{run_id}.json"));
        std::fs::write(&config_path, config.to_string())
            .map_err(|e| format!("cannot write the harness config: {e}"))?;
        let mut command = Command::new(&self.node.path);
        if client.extension().is_some_and(|e| e == "ts") {
            let tsx = self.setup.tsx.as_ref().ok_or(
                "the generated client is TypeScript and the project has no `tsx` to run it",
            )?;
            command.arg("--import").arg(url_of(tsx));
        }
        command
            .arg(self.dir.path().join("workload.mjs"))
            .arg(&config_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        quiet(&mut command, self.dir.path());
        if let Some(engine) = &self.setup.native_engine {
            command.env("PRISMA_QUERY_ENGINE_LIBRARY", engine);
        }
        let started = Instant::now();
        let mut child = ChildGuard(
            command
                .spawn()
                .map_err(|e| format!("cannot start node: {e}"))?,
        );
        let stdout = child.0.stdout.take().ok_or("no stdout")?;
        let mut stderr = child.0.stderr.take().ok_or("no stderr")?;
        let (lines_tx, lines) = mpsc::channel::<String>();
        let reader = std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if lines_tx.send(line).is_err() {
                    break;
                }
            }
        });
        let errors = std::thread::spawn(move || {
            let mut text = String::new();
            let _ = stderr.read_to_string(&mut text);
            text
        });
        let mut startup = None;
        let mut last = Progress::default();
        let mut last_change = Instant::now();
        let mut done = None;
        let mut stalled = None;
        let mut was_interrupted = false;
        loop {
            if interrupted.load(Ordering::Relaxed) {
                was_interrupted = true;
                break;
            }
            match lines.recv_timeout(Duration::from_millis(100)) {
                Ok(line) => {
                    let Ok(value) = serde_json::from_str::<serde_json::Value>(&line) else {
                        continue;
                    };
                    match value["event"].as_str() {
                        Some("ready") => {
                            startup = Some(value["startupMs"].as_f64().unwrap_or(0.0) / 1000.0);
                            last_change = Instant::now();
                        }
                        Some("progress") => {
                            let progress: Progress =
                                serde_json::from_value(value).unwrap_or_default();
                            if (progress.synced, progress.failed, progress.worker_tx)
                                != (last.synced, last.failed, last.worker_tx)
                            {
                                last_change = Instant::now();
                            }
                            bar.set_position(progress.synced as u64);
                            last = progress;
                        }
                        Some("done") => {
                            done = Some(serde_json::from_value::<Done>(value).map_err(|e| {
                                format!("the harness printed a result pgshift cannot read: {e}")
                            })?);
                            break;
                        }
                        _ => {}
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
            }
            let idle = last_change.elapsed();
            let total = started.elapsed();
            if idle >= limits.stall || total >= limits.run {
                let why = if idle >= limits.stall {
                    format!("no progress for {} s", limits.stall.as_secs())
                } else {
                    format!(
                        "still running after the {} s run limit",
                        limits.run.as_secs()
                    )
                };
                stalled = Some(format!(
                    "stopped after {:.1} s ({why}; the last progress line said {} files synced, {} failed)",
                    total.as_secs_f64(),
                    last.synced,
                    last.failed,
                ));
                break;
            }
        }
        drop(child);
        let _ = reader.join();
        let stderr_text = errors.join().unwrap_or_default();
        if done.is_none() && stalled.is_none() && !was_interrupted {
            if interrupted.load(Ordering::Relaxed) {
                was_interrupted = true;
            } else {
                return Err(format!(
                    "the harness ended without a result: {}",
                    tail(&stderr_text, 1200)
                ));
            }
        }
        Ok(RealRun {
            startup_seconds: startup.unwrap_or(0.0),
            last,
            done,
            stalled,
            interrupted: was_interrupted,
        })
    }
}

/// Turns the script's result (or what a stalled run left in the database) into an outcome.
pub fn outcome(params: &Params, run: &RealRun, counts: Counts, batches: usize) -> Outcome {
    let empty = Done {
        sync_ms: 0.0,
        total_ms: 0.0,
        tx_ms: Vec::new(),
        longest_tx_ms: 0.0,
        single_ms: Vec::new(),
        errors: run.last.errors.clone(),
        failed_operations: run.last.failed_operations.clone(),
        files_synced: counts.media_rows.max(0) as usize,
        bytes_synced: counts.media_bytes,
        files_failed: run.last.failed,
        queue_ok: run.last.queue_ok,
        queue_failed: [0; 3],
        progress_failed_files: 0,
        progress_failed_failed: 0,
        progress_failed_bytes: 0,
        results_total: 0,
        worker_tx_ok: counts.worker_processed_files.max(0) as usize,
    };
    let done = run.done.clone().unwrap_or(empty);
    let mut by_class: BTreeMap<(ErrorClass, String), ErrorCount> = BTreeMap::new();
    for error in &done.errors {
        let class = classify(&error.code, &error.message);
        let entry = by_class
            .entry((class, error.code.clone()))
            .or_insert_with(|| ErrorCount {
                code: error.code.clone(),
                class,
                label: class.label(),
                count: 0,
                retried: 0,
                sample: format!("{}: {}", error.code, error.message),
            });
        entry.count += error.count;
        entry.retried += error.retried;
    }
    let errors: Vec<ErrorCount> = by_class.into_values().collect();
    let (timed_out, database_locked) = ErrorCount::totals(&errors);
    let written = Written {
        pattern: Some(params.pattern),
        files_synced: done.files_synced,
        bytes_synced: done.bytes_synced,
        files_failed: done.files_failed,
        queue_ok: done.queue_ok,
        queue_failed: done.queue_failed,
        progress_failed_files: done.progress_failed_files,
        progress_failed_failed: done.progress_failed_failed,
        progress_failed_bytes: done.progress_failed_bytes,
        worker_tx_ok: done.worker_tx_ok,
    };
    let mut data = workload::check_data(&written, &counts, params);
    let stalled = run.stalled.as_ref().map(|stall| {
        format!(
            "{stall}; in the database then: {} media rows, {} sync-worker transactions committed",
            counts.media_rows, counts.worker_processed_files
        )
    });
    if let Some(stall) = &stalled {
        data.ok = false;
        data.failed.push(format!("the run stalled: {stall}"));
    }
    let sync_seconds = if run.done.is_some() {
        done.sync_ms / 1000.0
    } else {
        0.0
    };
    let mut tx = done.tx_ms.clone();
    let mut single = done.single_ms.clone();
    let error_codes = workload::error_codes(&errors);
    Outcome {
        params: params.clone(),
        batches,
        sync_seconds,
        total_seconds: done.total_ms / 1000.0,
        files_per_second: if sync_seconds > 0.0 {
            done.files_synced as f64 / sync_seconds
        } else {
            0.0
        },
        transactions: Latency::of(&mut tx),
        longest_transaction_ms: done.longest_tx_ms,
        // The pool's waits are inside Prisma; they show in the transaction and write times.
        pool_wait: Latency::default(),
        single_writes: Latency::of(&mut single),
        pool_peak: 0,
        errors,
        timed_out,
        database_locked,
        failed_operations: done.failed_operations.clone(),
        files_synced: done.files_synced,
        files_failed: done.files_failed,
        queue_jobs_done: done.queue_ok,
        results_kept: done.results_total.min(params.results_limit),
        data,
        interrupted: run.interrupted,
        worker_transactions: done.worker_tx_ok,
        error_codes,
        stalled,
        startup_seconds: Some(run.startup_seconds),
    }
}

fn tail(text: &str, max: usize) -> String {
    let text = text.trim();
    let start = text.char_indices().rev().nth(max).map_or(0, |(at, _)| at);
    text[start..].replace('\n', " | ")
}

fn url_of(path: &Path) -> String {
    format!("file://{}", path.display())
}

#[cfg(unix)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, at)
}

#[cfg(windows)]
fn link(target: &Path, at: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prisma_errors_by_class() {
        assert_eq!(
            classify(
                "P2028",
                "Transaction API error: Unable to start a transaction in the given time."
            ),
            ErrorClass::TransactionStartTimeout
        );
        assert_eq!(
            classify(
                "P2028",
                "Transaction already closed: the timeout for this transaction was 5000 ms"
            ),
            ErrorClass::TransactionExpired
        );
        assert_eq!(
            classify("P1008", "Operations timed out after `5000` ms"),
            ErrorClass::DatabaseLocked
        );
        assert_eq!(
            classify("SQLITE_BUSY", "database is locked"),
            ErrorClass::DatabaseLocked
        );
        assert_eq!(
            classify("P2024", "Timed out fetching a new connection"),
            ErrorClass::PoolTimeout
        );
        assert_eq!(classify("Error", "something"), ErrorClass::Other);
    }
}
