//! `pgshift copy-data`: copies the rows of the Prisma SQLite database into PostgreSQL (see
//! `pgshift::copy`). The result goes to stdout, progress (on a terminal only) and errors to
//! stderr. Exit 0 copied and verified, 1 verification failed or values could not be converted
//! (nothing written), 2 error (nothing written).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::ValueEnum;
use pgshift::copy::{self, CopyError};
use pgshift::prisma_project;
use pgshift::verify::config;

use super::Global;

/// Copy every row of the SQLite database into the PostgreSQL tables Prisma created, in one
/// transaction, and prove it: rows and a checksum of every value on both sides.
#[derive(Debug, clap::Args)]
pub struct CopyDataArgs {
    /// Project root (where the schema, prisma.config.ts and .env files are looked for).
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// The Prisma schema describing the SQLite file (a file, or a schema folder); default:
    /// where Prisma finds it.
    #[arg(long, value_name = "FILE")]
    pub schema: Option<PathBuf>,
    /// The SQLite file; default: the schema's datasource (or prisma.config.ts).
    #[arg(long, value_name = "SQLITE_FILE")]
    pub from: Option<PathBuf>,
    /// PostgreSQL URL; else DATABASE_URL, else ROOT/.env.postgresql, else ROOT/.env (the first
    /// postgres:// or postgresql:// URL). Prisma's `schema` parameter selects the schema.
    #[arg(long, value_name = "URL")]
    pub to: Option<String>,
    /// Empty the target tables first instead of refusing tables that hold rows.
    #[arg(long)]
    pub truncate: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Human)]
    pub format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Human,
    Json,
}

pub fn run(args: CopyDataArgs, global: &Global) -> anyhow::Result<ExitCode> {
    // The copy stops at the next batch and the transaction rolls back; a second Ctrl-C exits at
    // once, and the server rolls back the transaction of the closed connection.
    let interrupted = super::interrupt_flag(
        "pgshift copy-data: interrupted; rolling back",
        "pgshift copy-data: interrupted twice; nothing was committed",
    );
    let env_url = std::env::var("DATABASE_URL").ok();
    let prepared = (|| -> Result<copy::Options, CopyError> {
        let env = |name: &str| std::env::var(name).ok();
        let project = prisma_project::locate(&args.root, args.schema.as_deref())
            .map_err(|e| CopyError::Schema(e.to_string()))?
            .ok_or_else(|| {
                CopyError::Schema(format!(
                    "no Prisma schema in {} (prisma.config.ts, package.json's prisma.schema, prisma/schema.prisma, schema.prisma); pass --schema FILE",
                    args.root.display()
                ))
            })?;
        let sqlite_path = match &args.from {
            Some(path) => path.clone(),
            None => project
                .sqlite_file(&env)
                .map(|p| {
                    p.components()
                        .filter(|c| *c != std::path::Component::CurDir)
                        .collect()
                })
                .map_err(|e| CopyError::Source(format!("{e}; pass --from SQLITE_FILE")))?,
        };
        let schema_text: String = project
            .files
            .iter()
            .map(|f| f.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let (target, source) = config::find_url(args.to.as_deref(), env_url.as_deref(), &args.root)
            .map_err(|e| CopyError::Target(e.replace("--database-url", "--to")))?;
        let target_source = match source {
            config::UrlSource::Flag => "--to".to_string(),
            other => other.to_string(),
        };
        Ok(copy::Options {
            schema_text,
            schema_label: prisma_project::slash(&project.schema),
            sqlite_path,
            target,
            target_source,
            truncate: args.truncate,
            progress: global.stderr_is_terminal && args.format == Format::Human,
        })
    })();
    let result = prepared.and_then(|options| {
        if options.progress {
            eprintln!(
                "pgshift copy-data: {} -> {}",
                options.sqlite_path.display(),
                options.target.redacted()
            );
        }
        copy::run(&options, interrupted)
    });
    match result {
        Ok(report) => {
            match args.format {
                Format::Human => print!("{}", copy::report::human(&report)),
                Format::Json => println!("{}", serde_json::to_string_pretty(&report)?),
            }
            Ok(ExitCode::from(report.exit_code))
        }
        Err(error) => {
            let code = error.exit_code();
            if args.format == Format::Json {
                let mut value = serde_json::json!({
                    "status": if code == copy::EXIT_NOT_COPIED { "unconvertible" } else { "error" },
                    "exit_code": code,
                    "message": error.to_string(),
                });
                if let CopyError::Unconvertible { values, count } = &error {
                    value["values"] = serde_json::to_value(values)?;
                    value["count"] = (*count).into();
                }
                println!("{}", serde_json::to_string_pretty(&value)?);
            } else if let CopyError::Unconvertible { values, count } = &error {
                print!("{}", copy::report::bad_values(values, *count));
            }
            super::report_error(&anyhow::anyhow!("copy-data: {error}"), global);
            Ok(ExitCode::from(code))
        }
    }
}
