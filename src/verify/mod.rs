//! `pgshift verify`: the PostgreSQL runtime verification pass.
//!
//! It reads the settings the Stage 5 rules leave in the code (running the engine in memory),
//! reads the server's facts, checks capacity, then replays the media sync in a scratch schema
//! on the real server and, side by side, on a temporary SQLite file with the values before and
//! after the rules. The verdict lists each seed criterion and capacity check with its numbers.
//!
//! The workload runs through the project's own Prisma client on Node ([`harness`]) when the
//! project has one installed, else through the Rust model of it ([`workload`] on [`pool`]),
//! with the pool semantics of the project's Prisma major version. Every report names which.
//! When a run fails, [`limit`] looks for where the settings break and for the smallest change
//! that holds, and measures it before recommending it.
//!
//! Modules: [`config`] (where the database is, the redacted URL, TLS), [`server`] (server
//! facts), [`settings`] (values from the code), [`capacity`], [`pool`] (a Prisma-like pool),
//! [`workload`] (the model's replay), [`harness`] (the real client), [`limit`] (the limit and
//! the fix), [`postgres`] and [`sqlite`] (the two backends, the scratch schema), [`report`]
//! (verdict, human and JSON output).

pub mod capacity;
pub mod config;
pub mod harness;
pub mod limit;
pub mod pool;
pub mod postgres;
pub mod report;
pub mod server;
pub mod settings;
pub mod sqlite;
pub mod workload;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use self::capacity::{Capacity, PoolKind};
use self::harness::discover::{self, PrismaSetup, QueryEngine};
use self::harness::{Connection, Harness, Limits, Provider};
use self::postgres::{PgBackend, Scratch, ScratchError};
use self::report::{Database, EngineInfo, Report, Run};
use self::settings::Values;
use self::workload::{Backend, Fault, Outcome, Params, Pattern};

/// Exit code of a run that passed (warnings allowed).
pub const EXIT_PASS: u8 = 0;
/// Exit code of a run whose verdict failed.
pub const EXIT_FAIL: u8 = 1;
/// Exit code of a run that could not be made (no server, no URL, no privilege, Ctrl-C).
pub const EXIT_COULD_NOT_RUN: u8 = 2;

/// How to start a server, for the unreachable-server message.
pub const START_HINT: &str = "start one with the plan's compose file (`docker compose -f postgresql/docker-compose.yml up -d`) or a local PostgreSQL (`sudo pg_ctlcluster 16 main start`, `brew services start postgresql@16`), then pass --database-url or set DATABASE_URL";

/// What to verify, and how.
#[derive(Debug, Clone)]
pub struct Options {
    pub root: PathBuf,
    /// `--database-url`.
    pub database_url: Option<String>,
    /// `DATABASE_URL` from the environment.
    pub env_database_url: Option<String>,
    pub files: usize,
    pub app_cpus: Option<usize>,
    pub instances: usize,
    pub io_latency: Duration,
    pub keep: bool,
    /// Run the SQLite side by side.
    pub sqlite: bool,
    pub fault: Option<Fault>,
    /// Draw progress bars on stderr.
    pub progress: bool,
    /// `--engine`.
    pub engine: EngineChoice,
    /// `--pattern`; None: from the code.
    pub pattern: Option<Pattern>,
    /// Time for the limit search (zero: none).
    pub limit_budget: Duration,
    /// Search the limit upwards even when the run passes.
    pub find_limit: bool,
    /// A real-client run with no progress for this long is stopped as a stall.
    pub stall_after: Duration,
    /// A real-client run is stopped after this long in all.
    pub run_limit: Duration,
}

/// What runs the workload.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EngineChoice {
    /// The project's Prisma when it can run, else the model.
    Auto,
    /// The project's Prisma, or exit 2 saying why not.
    Prisma,
    /// The Rust model.
    Model,
}

/// Why verify could not run. The message never holds the password.
#[derive(Debug, Clone)]
pub struct CouldNotRun {
    pub message: String,
    /// The scratch schema, when one was made (it has been dropped, or the message says not).
    pub scratch_schema: Option<String>,
}

impl CouldNotRun {
    fn new(message: impl Into<String>) -> CouldNotRun {
        CouldNotRun {
            message: message.into(),
            scratch_schema: None,
        }
    }
}

impl std::fmt::Display for CouldNotRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn bar(options: &Options, label: &str) -> ProgressBar {
    if !options.progress {
        return ProgressBar::hidden();
    }
    let bar = ProgressBar::with_draw_target(
        Some(options.files as u64),
        ProgressDrawTarget::stderr_with_hz(10),
    );
    bar.set_style(
        ProgressStyle::with_template("{prefix:>18} [{bar:30}] {pos}/{len} files {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(label.to_string());
    bar
}

/// The workload's parameters from the code's values and the pool the app would have.
pub fn params(
    values: &Values,
    options: &Options,
    pattern: Pattern,
    pool_size: usize,
    pool_timeout: Option<Duration>,
    retry_locked: bool,
) -> Params {
    Params {
        pattern,
        files: options.files,
        batch_size: values.batch_size,
        min_files_for_batching: values.min_files_for_batching,
        parallel_limit: values.parallel_limit,
        queue_concurrency: [
            values.processing_concurrency,
            values.sync_concurrency,
            values.watermark_concurrency,
        ],
        results_limit: values.results_limit,
        tx_timeout: Duration::from_millis(values.tx_timeout_ms),
        tx_max_wait: Duration::from_millis(values.tx_max_wait_ms),
        pool_size,
        pool_timeout,
        max_retries: values.max_retries,
        base_delay: Duration::from_millis(values.base_delay_ms),
        retry_locked,
        io_latency: options.io_latency,
        fault: options.fault,
    }
}

/// Why the project's own client cannot run here (None: it can).
fn real_client_blocker(
    setup: &PrismaSetup,
    node: &Result<discover::Node, String>,
) -> Option<String> {
    if let Err(error) = node {
        return Some(format!("Node.js is not available ({error})"));
    }
    if setup.node_modules.is_none() {
        return Some("the project has no node_modules (run `npm ci` in the project)".into());
    }
    if !setup.client_installed {
        return Some("@prisma/client is not installed in the project's node_modules".into());
    }
    if setup.prisma_version.is_none() {
        return Some(
            "the `prisma` CLI is not installed in the project's node_modules (pgshift generates its workload client with it)".into(),
        );
    }
    match setup.query_engine {
        QueryEngine::Client => {
            if setup
                .pg_adapter
                .as_ref()
                .is_none_or(|a| a.version.is_none())
            {
                return Some(format!(
                    "Prisma {} runs through a driver adapter, and @prisma/adapter-pg is not installed in the project",
                    setup.client_version.as_deref().unwrap_or("?")
                ));
            }
            if setup.major.is_some_and(|m| m >= 7) && setup.tsx.is_none() {
                return Some(
                    "Prisma 7's generated client is TypeScript and the project has no `tsx` to run it".into(),
                );
            }
        }
        QueryEngine::Native => {
            if setup.native_engine.is_none() {
                return Some(format!(
                    "Prisma {} uses the native query engine, and none is installed in node_modules (it is downloaded at install time; set engineType = \"client\" with an adapter on 6.16+, or install with network access)",
                    setup.client_version.as_deref().unwrap_or("?")
                ));
            }
        }
    }
    None
}

/// The pool the app gets, by its Prisma.
fn pool_kind(setup: &PrismaSetup) -> PoolKind {
    match (setup.query_engine, &setup.pg_adapter) {
        (QueryEngine::Client, Some(adapter)) => PoolKind::PgPool {
            max: adapter.max,
            connection_timeout_ms: adapter.connection_timeout_ms,
        },
        (QueryEngine::Client, None) => PoolKind::PgPool {
            max: None,
            connection_timeout_ms: None,
        },
        (QueryEngine::Native, _) => PoolKind::PrismaEngine,
    }
}

/// How the real client connects to PostgreSQL, with a pool of `pool_size`.
pub fn pg_connection(
    setup: &PrismaSetup,
    url: &config::DbUrl,
    scratch: &str,
    pool_size: usize,
    capacity: &Capacity,
) -> Connection {
    let name = format!("pgshift verify harness {}", std::process::id());
    match (setup.query_engine, &setup.pg_adapter) {
        (QueryEngine::Client, Some(adapter)) => {
            let keep = |k: &str| {
                matches!(
                    k,
                    "sslmode" | "sslrootcert" | "sslcert" | "sslkey" | "options"
                )
            };
            let mut config = serde_json::json!({
                "connectionString": url.connection_string(&keep, &[("application_name", name)]),
                "max": pool_size,
            });
            if let Some(ms) = capacity.pool_timeout_ms {
                config["connectionTimeoutMillis"] = ms.into();
            }
            if let Some(ms) = adapter.idle_timeout_ms {
                config["idleTimeoutMillis"] = ms.into();
            }
            Connection {
                adapter: Some((
                    adapter.package.clone(),
                    adapter.export.clone(),
                    config,
                    Some(serde_json::json!({ "schema": scratch })),
                )),
                datasource_url: None,
            }
        }
        _ => {
            let keep = |k: &str| {
                !matches!(
                    k,
                    "schema" | "connection_limit" | "pool_timeout" | "application_name"
                )
            };
            let mut extra = vec![
                ("schema", scratch.to_string()),
                ("connection_limit", pool_size.to_string()),
                ("application_name", name),
            ];
            extra.push((
                "pool_timeout",
                capacity
                    .pool_timeout_ms
                    .map_or("0".to_string(), |ms| (ms / 1000).max(1).to_string()),
            ));
            Connection {
                adapter: None,
                datasource_url: Some(url.connection_string(&keep, &extra)),
            }
        }
    }
}

fn sqlite_connection(setup: &PrismaSetup, path: &std::path::Path) -> Connection {
    match (setup.query_engine, &setup.sqlite_adapter) {
        (QueryEngine::Client, Some(adapter)) => {
            let mut config = serde_json::json!({ "url": format!("file:{}", path.display()) });
            if let Some(ms) = adapter.busy_timeout_ms {
                config["timeout"] = ms.into();
            }
            Connection {
                adapter: Some((
                    adapter.package.clone(),
                    adapter.export.clone(),
                    config,
                    None,
                )),
                datasource_url: None,
            }
        }
        _ => Connection {
            adapter: None,
            datasource_url: Some(format!("file:{}", path.display())),
        },
    }
}

/// Whether the real client can run the SQLite side.
fn sqlite_runs_real(setup: &PrismaSetup) -> bool {
    match setup.query_engine {
        QueryEngine::Client => setup
            .sqlite_adapter
            .as_ref()
            .is_some_and(|a| a.version.is_some()),
        QueryEngine::Native => true,
    }
}

/// Runs one workload on PostgreSQL in the scratch schema, with the real client or the model.
#[allow(clippy::too_many_arguments)]
pub fn run_pg(
    harness: Option<&Harness>,
    url: &config::DbUrl,
    scratch: &Scratch,
    capacity: &Capacity,
    params: &Params,
    run_id: &str,
    limits: Limits,
    interrupted: &AtomicBool,
    bar: &ProgressBar,
) -> Result<Outcome, String> {
    let backend = PgBackend { url, scratch };
    match harness {
        None => {
            workload::run(&backend, params, run_id, interrupted, bar).map_err(|e| e.to_string())
        }
        Some(harness) => {
            let job = format!("job{run_id}");
            backend
                .create_job(&job, params.files as i64)
                .and_then(|_| backend.create_job(&format!("{job}w"), params.files as i64))
                .map_err(|e| e.to_string())?;
            let connection = pg_connection(
                harness.setup(),
                url,
                &scratch.name,
                params.pool_size,
                capacity,
            );
            let real = harness.run(
                Provider::Postgresql,
                &connection,
                params,
                run_id,
                limits,
                interrupted,
                bar,
            )?;
            let counts = if real.interrupted {
                workload::Counts::default()
            } else {
                backend.counts(&job).map_err(|e| e.to_string())?
            };
            let mut outcome = harness::outcome(params, &real, counts, params.batches().len());
            outcome.startup_seconds = Some(real.startup_seconds);
            Ok(outcome)
        }
    }
}

fn setup_line(setup: &PrismaSetup, harness: &Harness, database: &str, pool: String) -> String {
    let adapter = match (setup.query_engine, database) {
        (QueryEngine::Client, "postgresql") => setup.pg_adapter.as_ref(),
        (QueryEngine::Client, _) => setup.sqlite_adapter.as_ref(),
        _ => None,
    };
    format!(
        "measured with Prisma {} (@prisma/client {}){}, Node {}, {pool}",
        setup.prisma_version.as_deref().unwrap_or("?"),
        setup.client_version.as_deref().unwrap_or("?"),
        adapter.map_or(" (native query engine)".to_string(), |a| format!(
            ", {} {}",
            a.package,
            a.version.as_deref().unwrap_or("?")
        )),
        harness.node_version(),
    )
}

/// Runs the whole pass. `interrupted` is set by the Ctrl-C handler; the scratch schema and
/// the harness folder are removed whatever happens.
pub fn run(options: &Options, interrupted: &AtomicBool) -> Result<Report, CouldNotRun> {
    if !options.root.is_dir() {
        return Err(CouldNotRun::new(format!(
            "{} is not a directory; pass the project root",
            options.root.display()
        )));
    }
    let (url, source) = config::find_url(
        options.database_url.as_deref(),
        options.env_database_url.as_deref(),
        &options.root,
    )
    .map_err(CouldNotRun::new)?;
    let extracted = settings::extract(&options.root).map_err(|e| {
        CouldNotRun::new(format!(
            "could not read the settings from the code under {}: {e}",
            options.root.display()
        ))
    })?;

    // What the project runs, and the sync's shape.
    let setup = discover::prisma(&options.root);
    let (pack_name, pack_text) = crate::rules::BUILTIN_STAGE5;
    let rules = crate::rules::load_pack(pack_name, pack_text)
        .map_err(|e| CouldNotRun::new(e.to_string()))?;
    let applies = |id: &str, rel: &str| {
        rules
            .iter()
            .find(|r| r.id.as_ref() == id)
            .is_some_and(|r| r.applies_to(rel))
    };
    let shape = discover::shape(
        &options.root,
        &|rel| applies("transaction-timeout", rel),
        &|rel| applies("sync-batch-size", rel),
    );
    let (pattern, pattern_reason) = match options.pattern {
        Some(pattern) => (pattern, format!("--pattern {}", pattern.as_str())),
        None => (shape.pattern, format!("from the code: {}", shape.reason)),
    };
    let node = discover::node();
    let blocker = match options.engine {
        EngineChoice::Model => Some("--engine model".to_string()),
        _ => real_client_blocker(&setup, &node),
    };
    if options.engine == EngineChoice::Prisma
        && let Some(reason) = &blocker
    {
        return Err(CouldNotRun::new(format!(
            "--engine prisma: the project's Prisma client cannot run here: {reason}. Use --engine model (or auto) for the Rust model"
        )));
    }
    let mut model_reason = blocker.clone();
    let harness = match (&blocker, node) {
        (None, Ok(node)) => {
            let mut providers = vec![Provider::Postgresql];
            if options.sqlite && sqlite_runs_real(&setup) {
                providers.push(Provider::Sqlite);
            }
            match Harness::prepare(node, setup.clone(), &providers) {
                Ok(harness) => Some(harness),
                Err(error) if options.engine == EngineChoice::Prisma => {
                    return Err(CouldNotRun::new(format!("--engine prisma: {error}")));
                }
                Err(error) => {
                    model_reason = Some(error);
                    None
                }
            }
        }
        _ => None,
    };

    let mut control = postgres::connect(&url).map_err(|error| {
        if error.unreachable {
            CouldNotRun::new(format!(
                "cannot reach PostgreSQL at {} ({}): {}. No server? {START_HINT}",
                url.host_port(),
                url.redacted(),
                error.message
            ))
        } else {
            CouldNotRun::new(format!(
                "cannot connect to PostgreSQL at {} as {} ({}): {}",
                url.host_port(),
                url.user.as_deref().unwrap_or("the default user"),
                url.redacted(),
                error.message
            ))
        }
    })?;
    server::prepare_control_session(&mut control).map_err(|e| {
        CouldNotRun::new(format!(
            "cannot set up the tool's own session: {}",
            postgres::describe(&e)
        ))
    })?;
    let server = server::read(&mut control).map_err(|e| {
        CouldNotRun::new(format!(
            "cannot read the server settings: {}",
            postgres::describe(&e)
        ))
    })?;
    let capacity = capacity::compute(
        &url,
        &server,
        &extracted.after,
        options.app_cpus,
        options.instances,
        pool_kind(&setup),
    );
    let mut scratch = Scratch::create(&url, control, options.keep).map_err(|e| match e {
        ScratchError::NoCreate { role, database } => CouldNotRun::new(format!(
            "role `{role}` may not create schemas in database `{database}`: verify works in a scratch schema of its own and drops it afterwards. Grant it with `GRANT CREATE ON DATABASE \"{database}\" TO \"{role}\"`, or use a role that has it"
        )),
        ScratchError::Other(message) => {
            CouldNotRun::new(format!("cannot create the scratch schema: {message}"))
        }
    })?;
    let scratch_name = scratch.name.clone();
    let limits = Limits {
        stall: options.stall_after,
        run: options.run_limit,
    };

    // PostgreSQL, with the values after the rules.
    let pool_timeout = capacity.pool_timeout_ms.map(Duration::from_millis);
    let pg_params = params(
        &extracted.after,
        options,
        pattern,
        capacity.pool_size,
        pool_timeout,
        extracted.retry_locked[1],
    );
    let pg_bar = bar(options, "PostgreSQL");
    let pg = run_pg(
        harness.as_ref(),
        &url,
        &scratch,
        &capacity,
        &pg_params,
        "p",
        limits,
        interrupted,
        &pg_bar,
    );
    pg_bar.finish_and_clear();
    // Where it breaks and what holds, on the same engine, in the same schema.
    let search = match &pg {
        Ok(outcome)
            if !outcome.interrupted
                && !options.limit_budget.is_zero()
                && (options.find_limit || !limit::holds(outcome)) =>
        {
            Some(limit::search(
                &limit::Context {
                    harness: harness.as_ref(),
                    url: &url,
                    scratch: &scratch,
                    capacity: &capacity,
                    setup: &setup,
                    extracted: &extracted,
                    limits,
                    interrupted,
                    progress: options.progress,
                },
                outcome,
                options.limit_budget,
                options.find_limit,
            ))
        }
        _ => None,
    };
    let drop_error = scratch.drop_schema().err();
    let kept = scratch.kept();
    drop(scratch);
    let fail_with = |message: String| CouldNotRun {
        message: match &drop_error {
            Some(error) => format!(
                "{message}; the scratch schema {scratch_name} could not be dropped ({error}): drop it with DROP SCHEMA \"{scratch_name}\" CASCADE"
            ),
            None if kept => format!("{message}; scratch schema {scratch_name} kept (--keep)"),
            None => format!("{message}; scratch schema {scratch_name} dropped"),
        },
        scratch_schema: Some(scratch_name.clone()),
    };
    let pg = pg.map_err(|e| fail_with(format!("the PostgreSQL workload could not run: {e}")))?;
    if pg.interrupted || interrupted.load(Ordering::Relaxed) {
        return Err(fail_with("interrupted".to_string()));
    }

    let pool_line = format!(
        "pool {} ({}), {}",
        capacity.pool_size,
        capacity.pool_source,
        capacity
            .pool_timeout_ms
            .map_or("no acquire timeout".into(), |ms| format!(
                "acquire timeout {ms} ms"
            ))
    );
    let pg_setup = match &harness {
        Some(h) => format!(
            "{}; PostgreSQL {}, {} isolation",
            setup_line(&setup, h, "postgresql", pool_line.clone()),
            server.version,
            server.default_isolation
        ),
        None => format!(
            "modelled (Rust replay, {} pool semantics); PostgreSQL {}, {} isolation, {pool_line}",
            match pool_kind(&setup) {
                PoolKind::PrismaEngine => "Prisma ≤ 6 query engine".to_string(),
                PoolKind::PgPool { .. } => format!(
                    "Prisma {} + @prisma/adapter-pg",
                    setup.major.map_or("7".to_string(), |m| m.to_string())
                ),
            },
            server.version,
            server.default_isolation,
        ),
    };
    let mut runs = vec![Run {
        engine: "postgresql",
        measured_with: if harness.is_some() { "prisma" } else { "model" },
        values: "after",
        label: "PostgreSQL (after)".to_string(),
        setup: pg_setup,
        outcome: pg.clone(),
    }];
    if options.sqlite {
        // The model: Prisma's SQLite pool has the default size and no pool timeout.
        let sqlite_pool = capacity.app_cpus * 2 + 1;
        let real_sqlite = harness.as_ref().filter(|_| sqlite_runs_real(&setup));
        for (slot, values, label, run_id) in [
            (0, &extracted.before, "SQLite (before)", "b"),
            (1, &extracted.after, "SQLite (after)", "a"),
        ] {
            let backend = sqlite::SqliteBackend::create().map_err(CouldNotRun::new)?;
            let journal = backend.journal_mode();
            let params = params(
                values,
                options,
                pattern,
                sqlite_pool,
                None,
                extracted.retry_locked[slot],
            );
            let bar = bar(options, label);
            let (outcome, setup_text) = match real_sqlite {
                Some(harness) => {
                    let job = format!("job{run_id}");
                    backend
                        .create_job(&job, params.files as i64)
                        .and_then(|_| backend.create_job(&format!("{job}w"), params.files as i64))
                        .map_err(|e| {
                            CouldNotRun::new(format!("the SQLite workload could not run: {e}"))
                        })?;
                    let connection = sqlite_connection(&setup, backend.path());
                    let real = harness
                        .run(
                            Provider::Sqlite,
                            &connection,
                            &params,
                            run_id,
                            limits,
                            interrupted,
                            &bar,
                        )
                        .map_err(|e| {
                            CouldNotRun::new(format!("the SQLite workload could not run: {e}"))
                        })?;
                    let counts = if real.interrupted {
                        workload::Counts::default()
                    } else {
                        backend.counts(&job).map_err(|e| {
                            CouldNotRun::new(format!("cannot read the SQLite rows back: {e}"))
                        })?
                    };
                    let mut outcome =
                        harness::outcome(&params, &real, counts, params.batches().len());
                    outcome.startup_seconds = Some(real.startup_seconds);
                    let busy = setup
                        .sqlite_adapter
                        .as_ref()
                        .and_then(|a| a.busy_timeout_ms)
                        .map_or(
                            "better-sqlite3's default busy timeout 5000 ms".to_string(),
                            |ms| format!("busy timeout {ms} ms"),
                        );
                    (
                        outcome,
                        format!(
                            "{}; temporary file, {busy}{}",
                            setup_line(&setup, harness, "sqlite", "one connection".to_string()),
                            if params.retry_locked {
                                "; the retry wrapper retries `database is locked`"
                            } else {
                                ""
                            }
                        ),
                    )
                }
                None => {
                    let outcome = workload::run(&backend, &params, run_id, interrupted, &bar)
                        .map_err(|e| {
                            CouldNotRun::new(format!("the SQLite workload could not run: {e}"))
                        })?;
                    (
                        outcome,
                        format!(
                            "modelled (Rust replay{}): SQLite {} (bundled), temporary file, journal_mode {journal}, BEGIN IMMEDIATE, busy timeout {} s, pool {sqlite_pool}, no pool timeout{}",
                            match (&harness, setup.query_engine) {
                                (Some(_), QueryEngine::Client) =>
                                    "; the project has no @prisma/adapter-better-sqlite3 installed",
                                _ => "",
                            },
                            rusqlite::version(),
                            sqlite::PRISMA_SQLITE_BUSY_TIMEOUT.as_secs(),
                            if params.retry_locked {
                                "; the retry wrapper retries `database is locked`"
                            } else {
                                ""
                            }
                        ),
                    )
                }
            };
            bar.finish_and_clear();
            if outcome.interrupted || interrupted.load(Ordering::Relaxed) {
                return Err(fail_with("interrupted".to_string()));
            }
            runs.push(Run {
                engine: "sqlite",
                measured_with: if real_sqlite.is_some() {
                    "prisma"
                } else {
                    "model"
                },
                values: if slot == 0 { "before" } else { "after" },
                label: label.to_string(),
                setup: setup_text,
                outcome,
            });
        }
    }

    let engine = EngineInfo::new(&setup, harness.as_ref(), model_reason, &capacity, &pg);
    let mut checks = report::checks(&extracted, &server, &capacity, &pg, &runs[1..]);
    if let Some(search) = &search {
        checks.extend(limit::checks(search));
    }
    let (status, warnings, exit_code) = report::overall(&checks);
    Ok(Report {
        root: options.root.display().to_string(),
        engine,
        pattern: report::PatternInfo {
            pattern,
            reason: pattern_reason,
        },
        database: Database {
            url: url.redacted(),
            source: source.to_string(),
            tls: server.tls,
            app_schema: url.app_schema().to_string(),
            scratch_schema: scratch_name,
            scratch_kept: kept,
            scratch_drop_error: drop_error,
        },
        server,
        settings: extracted.settings.clone(),
        notes: extracted.notes.clone(),
        capacity,
        runs,
        limit: search,
        checks,
        status,
        warnings,
        exit_code,
    })
}
