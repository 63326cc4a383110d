//! `pgshift verify`: the PostgreSQL runtime verification pass.
//!
//! It reads the settings the Stage 5 rules leave in the code (running the engine in memory),
//! reads the server's facts, checks capacity, then replays the media sync in a scratch schema
//! on the real server and, side by side, on a temporary SQLite file with the values before and
//! after the rules. The verdict lists each seed criterion and capacity check with its numbers.
//!
//! Modules: [`config`] (where the database is, the redacted URL, TLS), [`server`] (server
//! facts), [`settings`] (values from the code), [`capacity`], [`pool`] (a Prisma-like pool),
//! [`workload`] (the replay), [`postgres`] and [`sqlite`] (the two backends, the scratch
//! schema), [`report`] (verdict, human and JSON output).

pub mod capacity;
pub mod config;
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

use self::postgres::{PgBackend, Scratch, ScratchError};
use self::report::{Database, Report, Run};
use self::settings::Values;
use self::workload::{Fault, Params};

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

fn params(
    values: &Values,
    options: &Options,
    pool_size: usize,
    pool_timeout: Option<Duration>,
    retry_locked: bool,
) -> Params {
    Params {
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

/// Runs the whole pass. `interrupted` is set by the Ctrl-C handler; the scratch schema is
/// dropped whatever happens.
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

    // PostgreSQL, with the values after the rules.
    let pg_params = params(
        &extracted.after,
        options,
        capacity.pool_size,
        url.pool_timeout(),
        extracted.retry_locked[1],
    );
    let pg_bar = bar(options, "PostgreSQL");
    let pg = {
        let backend = PgBackend {
            url: &url,
            scratch: &scratch,
        };
        workload::run(&backend, &pg_params, "p", interrupted, &pg_bar)
    };
    pg_bar.finish_and_clear();
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

    // SQLite side by side: the values before, then after the rules.
    let mut runs = vec![Run {
        engine: "postgresql",
        values: "after",
        label: "PostgreSQL (after)".to_string(),
        setup: format!(
            "PostgreSQL {}, {} isolation, pool {} ({}), {}",
            server.version,
            server.default_isolation,
            capacity.pool_size,
            capacity.pool_source,
            capacity
                .pool_timeout_ms
                .map_or("no pool_timeout".into(), |ms| format!(
                    "pool_timeout {ms} ms"
                ))
        ),
        outcome: pg.clone(),
    }];
    if options.sqlite {
        // Prisma's SQLite pool has the same default size and no pool timeout.
        let sqlite_pool = capacity.app_cpus * 2 + 1;
        for (slot, values, label, run_id) in [
            (0, &extracted.before, "SQLite (before)", "b"),
            (1, &extracted.after, "SQLite (after)", "a"),
        ] {
            let backend = sqlite::SqliteBackend::create().map_err(CouldNotRun::new)?;
            let journal = backend.journal_mode();
            let params = params(
                values,
                options,
                sqlite_pool,
                None,
                extracted.retry_locked[slot],
            );
            let bar = bar(options, label);
            let outcome = workload::run(&backend, &params, run_id, interrupted, &bar)
                .map_err(|e| CouldNotRun::new(format!("the SQLite workload could not run: {e}")))?;
            bar.finish_and_clear();
            if outcome.interrupted || interrupted.load(Ordering::Relaxed) {
                return Err(fail_with("interrupted".to_string()));
            }
            runs.push(Run {
                engine: "sqlite",
                values: if slot == 0 { "before" } else { "after" },
                label: label.to_string(),
                setup: format!(
                    "SQLite {} (bundled), temporary file, journal_mode {journal}, BEGIN IMMEDIATE, busy timeout {} s, pool {sqlite_pool}, no pool timeout{}",
                    rusqlite::version(),
                    sqlite::PRISMA_SQLITE_BUSY_TIMEOUT.as_secs(),
                    if params.retry_locked {
                        "; the retry wrapper retries `database is locked`"
                    } else {
                        ""
                    }
                ),
                outcome,
            });
        }
    }

    let checks = report::checks(&extracted, &server, &capacity, &pg, &runs[1..]);
    let (status, warnings, exit_code) = report::overall(&checks);
    Ok(Report {
        root: options.root.display().to_string(),
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
        checks,
        status,
        warnings,
        exit_code,
    })
}
