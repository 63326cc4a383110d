//! `pgshift init-postgres`: the PostgreSQL scaffolding of the plan's Stages 1–4 and 7. A dry run
//! prints the files it would create or change as a patch on stdout (`git apply` takes it); with
//! `--write` it writes them. Either way it says its choices out loud on stderr and lists the
//! SQLite-isms (Stage 4) a person must look at before the first run on PostgreSQL.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use pgshift::engine::FileReport;
use pgshift::init::{self, Options, PackageManager};
use pgshift::patch::DiffStyle;
use pgshift::rules;

use super::report::{self, Positions};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Global};

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Project root.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    /// Write the files; without it, print them as a patch and write nothing.
    #[arg(long)]
    pub write: bool,
    /// Base of the container and volume names [default: package.json's name].
    #[arg(long)]
    pub name: Option<String>,
    /// Database name [default: package.json's name, as a PostgreSQL name].
    #[arg(long, value_name = "NAME")]
    pub db_name: Option<String>,
    /// Database user [default: package.json's name, as a PostgreSQL name].
    #[arg(long, value_name = "NAME")]
    pub db_user: Option<String>,
    /// Database password [default: the one .env.postgresql has, else 24 random characters].
    #[arg(long, value_name = "PASSWORD")]
    pub db_password: Option<String>,
    /// Host port, used even when it is taken [default: the one an earlier run chose, else the
    /// first free port from --port-from].
    #[arg(long, conflicts_with = "port_from")]
    pub port: Option<u16>,
    /// Where the search for a free host port starts [default: 5432].
    #[arg(long, value_name = "PORT")]
    pub port_from: Option<u16>,
    /// Prisma's pool size in DATABASE_URL [default: the Stage 5 queue concurrencies plus the
    /// sync parallel limit].
    #[arg(long, value_name = "N")]
    pub connection_limit: Option<usize>,
    /// The package manager the scripts call [default: from the lockfile].
    #[arg(long, value_enum)]
    pub package_manager: Option<PmArg>,
    /// With --write: change files that hold uncommitted changes (staged, unstaged or untracked) too.
    #[arg(long, requires = "write")]
    pub allow_dirty: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum PmArg {
    Npm,
    Pnpm,
    Yarn,
    Bun,
}

impl From<PmArg> for PackageManager {
    fn from(pm: PmArg) -> PackageManager {
        match pm {
            PmArg::Npm => PackageManager::Npm,
            PmArg::Pnpm => PackageManager::Pnpm,
            PmArg::Yarn => PackageManager::Yarn,
            PmArg::Bun => PackageManager::Bun,
        }
    }
}

pub fn run(args: InitArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let stage5 = rules::load_pack(rules::BUILTIN_STAGE5.0, rules::BUILTIN_STAGE5.1)?;
    let options = Options {
        name: args.name.clone(),
        db_name: args.db_name.clone(),
        db_user: args.db_user.clone(),
        db_password: args.db_password.clone(),
        port: args.port,
        port_from: args.port_from,
        connection_limit: args.connection_limit,
        package_manager: args.package_manager.map(Into::into),
    };
    let plan = init::plan(&args.root, &options, &stage5, &init::port_is_free)
        .map_err(anyhow::Error::msg)?;

    let bold = if global.color_stderr {
        anstyle::Style::new().bold()
    } else {
        anstyle::Style::new()
    };
    let mut err = String::new();
    let mut failed = Vec::new();
    if args.write {
        let changed: Vec<PathBuf> = plan
            .changes
            .iter()
            .filter(|c| c.before.is_some())
            .map(|c| args.root.join(&c.path))
            .collect();
        super::apply::refuse_uncommitted(&args.root, &changed, args.allow_dirty, "init-postgres")?;
        failed = init::write(&args.root, &plan.changes);
    } else {
        let style = if global.color_stdout {
            DiffStyle::colored()
        } else {
            DiffStyle::default()
        };
        let mut stdout = std::io::stdout().lock();
        stdout.write_all(plan.patch(style).as_bytes())?;
        stdout.flush()?;
    }

    let created = plan.changes.iter().filter(|c| c.before.is_none()).count();
    let changed = plan.changes.len() - created;
    let (verb_new, verb_changed) = if args.write {
        ("created", "changed")
    } else {
        ("to create", "to change")
    };
    err.push_str(&format!(
        "{bold}pgshift init-postgres:{bold:#} {created} {verb_new}, {changed} {verb_changed}, {} up to date{}\n",
        report::plural(plan.up_to_date.len(), "file"),
        if args.write || plan.changes.is_empty() {
            ""
        } else {
            " (dry run: the patch is on stdout; --write writes it)"
        }
    ));
    for change in &plan.changes {
        let what = if change.before.is_none() {
            verb_new
        } else {
            verb_changed
        };
        err.push_str(&format!("  {what}: {}\n", change.path));
    }
    let s = &plan.settings;
    err.push_str(&format!(
        "  PostgreSQL: container {}, 127.0.0.1:{}, database {}, user {}, volume {}\n",
        s.container, s.port, s.db_name, s.db_user, s.volume
    ));
    err.push_str(&format!(
        "  connection_limit {}: {}\n",
        s.connection_limit, s.limit_reason
    ));
    for note in &plan.notes {
        err.push_str(&format!("  note: {note}\n"));
    }
    if !plan.conflicts.is_empty() {
        err.push_str(&format!(
            "{bold}left as it is{bold:#} (for you to decide):\n"
        ));
        for conflict in &plan.conflicts {
            err.push_str(&format!("  {}: {}\n", conflict.path, conflict.message));
        }
    }

    // Stage 4: what a person must look at before the first run on PostgreSQL.
    let isms = pgshift::packs::migration_isms(&args.root).map_err(anyhow::Error::msg)?;
    let display = |file: &FileReport| file.path.rel.clone();
    let mut findings = report::findings(&isms.report, &isms.rules, Positions::Original, &display);
    findings.extend(report::schema_findings_of(&args.root, isms.schema));
    let no_origin = isms
        .origin
        .as_ref()
        .filter(|o| o.phase == pgshift::packs::Phase::NoSqliteOrigin);
    if let (Some(origin), true) = (no_origin, findings.is_empty()) {
        err.push_str(&format!(
            "{bold}Stage 4:{bold:#} SQLite-isms not looked for: {} (`pgshift check --pack sqlite-sql --pack sqlite-migration` looks anyway)\n",
            origin.reason
        ));
    } else if findings.is_empty() {
        err.push_str(&format!(
            "{bold}Stage 4:{bold:#} no SQLite-isms in the code or the Prisma schema\n"
        ));
    } else {
        err.push_str(&format!(
            "{bold}Stage 4:{bold:#} {} to review before the first run on PostgreSQL (`pgshift check` lists them while the schema says sqlite):\n",
            report::plural(findings.len(), "SQLite-ism")
        ));
        err.push_str(&report::human(&findings, global.color_stderr));
    }
    let pm = s.package_manager;
    err.push_str(&format!(
        "next: {}`{}`, `{}`, then `pgshift verify --format json > verify.json` and `pgshift apply --report MIGRATION.md --verify-json verify.json` (postgresql/README.md)\n",
        if args.write || plan.changes.is_empty() {
            String::new()
        } else {
            "`pgshift init-postgres --write`, ".to_string()
        },
        pm.run("pg:up"),
        pm.run("pg:push"),
    ));
    eprint!("{err}");
    for error in &failed {
        super::report_error(&anyhow::anyhow!("could not write {error}"), global);
    }
    let code = if !failed.is_empty() {
        EXIT_ERROR
    } else if !plan.conflicts.is_empty() || !findings.is_empty() {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    Ok(ExitCode::from(code))
}
