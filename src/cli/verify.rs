//! `pgshift verify`: the PostgreSQL runtime verification pass (see `pgshift::verify`).
//! The verdict goes to stdout, progress (on a terminal only) and errors to stderr.
//! Exit 0 pass (warnings allowed), 1 fail, 2 could not run.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::ValueEnum;
use pgshift::verify::{self, EXIT_COULD_NOT_RUN};

use super::Global;

/// Check on a real PostgreSQL server that the Stage 5 settings hold: capacity, a replay of the
/// media sync in a scratch schema, the same workload on SQLite side by side, and a verdict.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Project root: the code whose settings (before and after the rules) are verified.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// PostgreSQL URL; else DATABASE_URL, else ROOT/.env.postgresql, else ROOT/.env (the first
    /// postgres:// or postgresql:// URL). Prisma's `schema`, `connection_limit`, `pool_timeout`
    /// and `sslmode` parameters are understood.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// Files in the replayed media sync.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
    pub files: u64,
    /// Physical CPUs of the app machine (Prisma's default pool is CPUs × 2 + 1); default: this
    /// machine's.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=4096))]
    pub app_cpus: Option<u64>,
    /// App instances sharing the server (each with its own pool).
    #[arg(long, value_name = "N", default_value_t = 1,
          value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub instances: u64,
    /// Latency added per file outside transactions, standing in for S3.
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub io_latency_ms: u64,
    /// Output format (json for CI).
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
    /// Keep the scratch schema (its name is printed) instead of dropping it.
    #[arg(long)]
    pub keep: bool,
    /// Skip the SQLite runs.
    #[arg(long)]
    pub no_sqlite: bool,
    /// What runs the workload: the project's own Prisma client on Node (`prisma`; exit 2 when
    /// it cannot run), the Rust model of it (`model`), or the client when it can run (`auto`).
    #[arg(long, value_enum, default_value_t = EngineArg::Auto)]
    pub engine: EngineArg,
    /// The sync's shape: a transaction per batch, or the per-object shape (lanes of single
    /// upserts, a transaction per object in the sync worker). Default: read from the code.
    #[arg(long, value_enum)]
    pub pattern: Option<PatternArg>,
    /// Seconds for the limit search: after a failed run, where the settings break and the
    /// smallest change that holds (measured); 0 turns it off.
    #[arg(long, value_name = "SECONDS", default_value_t = 120)]
    pub limit_budget: u64,
    /// Search the limit upwards (doubling --files) even when the run holds.
    #[arg(long)]
    pub find_limit: bool,
    /// A real-client run with no progress for this long is stopped and reported as a stall.
    #[arg(long, value_name = "SECONDS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub stall_after: u64,
    /// A real-client run is stopped (as a stall) after this long in all.
    #[arg(long, value_name = "SECONDS", default_value_t = 300,
          value_parser = clap::value_parser!(u64).range(1..=86400))]
    pub run_limit: u64,
    /// Test hook: inject a bug that the data check must catch.
    #[arg(long, value_enum, hide = true)]
    pub fault: Option<FaultArg>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum EngineArg {
    Auto,
    Prisma,
    Model,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum PatternArg {
    Batch,
    PerObject,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FaultArg {
    /// One progress write is a read-modify-write racing the others.
    LostUpdate,
}

pub fn run(args: VerifyArgs, global: &Global) -> anyhow::Result<ExitCode> {
    // A second Ctrl-C while the scratch schema is being dropped ends the process at once.
    let interrupted = super::interrupt_flag(
        "pgshift verify: interrupted; stopping the workload and dropping the scratch schema and the harness folder",
        "pgshift verify: interrupted twice; a pgshift_verify_* schema or a pgshift-verify-harness-* folder may be left behind",
    );
    let options = verify::Options {
        root: args.root,
        database_url: args.database_url,
        env_database_url: std::env::var("DATABASE_URL").ok(),
        files: args.files as usize,
        app_cpus: args.app_cpus.map(|n| n as usize),
        instances: args.instances as usize,
        io_latency: Duration::from_millis(args.io_latency_ms),
        keep: args.keep,
        sqlite: !args.no_sqlite,
        fault: args.fault.map(|f| match f {
            FaultArg::LostUpdate => verify::workload::Fault::LostUpdate,
        }),
        progress: global.stderr_is_terminal,
        engine: match args.engine {
            EngineArg::Auto => verify::EngineChoice::Auto,
            EngineArg::Prisma => verify::EngineChoice::Prisma,
            EngineArg::Model => verify::EngineChoice::Model,
        },
        pattern: args.pattern.map(|p| match p {
            PatternArg::Batch => verify::workload::Pattern::Batch,
            PatternArg::PerObject => verify::workload::Pattern::PerObject,
        }),
        limit_budget: Duration::from_secs(args.limit_budget),
        find_limit: args.find_limit,
        stall_after: Duration::from_secs(args.stall_after),
        run_limit: Duration::from_secs(args.run_limit),
    };
    match verify::run(&options, interrupted) {
        Ok(report) => {
            match args.format {
                Format::Human => print!("{}", verify::report::human(&report, global.color_stdout)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            if report.database.scratch_kept {
                eprintln!(
                    "pgshift verify: scratch schema {} kept (--keep); drop it with DROP SCHEMA \"{}\" CASCADE",
                    report.database.scratch_schema, report.database.scratch_schema
                );
            }
            Ok(ExitCode::from(report.exit_code))
        }
        Err(error) => {
            if args.format == Format::Json {
                let value = serde_json::json!({
                    "status": "ERROR",
                    "exit_code": EXIT_COULD_NOT_RUN,
                    "message": error.message,
                    "scratch_schema": error.scratch_schema,
                });
                println!("{}", serde_json::to_string_pretty(&value)?);
            }
            super::report_error(
                &anyhow::anyhow!("verify could not run: {}", error.message),
                global,
            );
            Ok(ExitCode::from(EXIT_COULD_NOT_RUN))
        }
    }
}
