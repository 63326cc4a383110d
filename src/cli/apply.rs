//! `pgshift apply`: Stage 5 in one command. The same edits `diff` shows, written atomically.
//! With `--report FILE.md` it also writes the migration report (the plan's Stage 8): what was
//! removed, what is left for a person, and, with `--verify-json`, the verification verdict.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context as _;
use pgshift::engine::FileReport;
use pgshift::write::write_atomically;

use super::report::{self, FindingKind, Positions};
use super::{EXIT_CLEAN, EXIT_ERROR, EXIT_FINDINGS, Global, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct ApplyArgs {
    /// Project root.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Also write a Markdown report of what was removed, per rule, file and line.
    #[arg(long, value_name = "FILE.md")]
    pub report: Option<PathBuf>,
    /// Put this `pgshift verify --format json` output's verdict and numbers in the report.
    #[arg(long, value_name = "FILE", requires = "report")]
    pub verify_json: Option<PathBuf>,
    /// Write files that hold uncommitted changes (staged, unstaged or untracked) too.
    #[arg(long)]
    pub allow_dirty: bool,
}

pub fn run(args: ApplyArgs, global: &Global) -> anyhow::Result<ExitCode> {
    // A bad verify file is found before anything is written.
    let verify = match &args.verify_json {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            let value: serde_json::Value = serde_json::from_str(&text)
                .with_context(|| format!("{} is not JSON", path.display()))?;
            pgshift::report_md::validate_verify(&value)
                .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
            Some(value)
        }
        None => None,
    };
    let (project, rules) = super::run_on_root(&args.root, &args.rules)?;
    let to_write: Vec<PathBuf> = project
        .files
        .iter()
        .filter(|f| f.result.is_some())
        .map(|f| f.path.abs.clone())
        .collect();
    refuse_uncommitted(&args.root, &to_write, args.allow_dirty, "apply")?;
    let mut failed = Vec::new();
    let mut failed_paths = Vec::new();
    for file in &project.files {
        let (Some(original), Some(result)) = (&file.original, &file.result) else {
            continue;
        };
        if let Err(error) = write_atomically(&file.path.abs, original, result)
            .with_context(|| format!("could not write {}", file.path.rel))
        {
            failed.push(error);
            failed_paths.push(file.path.rel.clone());
        }
    }
    let display = |file: &FileReport| file.path.rel.clone();
    let reviews: Vec<report::Finding> =
        report::findings(&project, &rules, Positions::Result, &display)
            .into_iter()
            .filter(|f| f.kind == FindingKind::Review)
            .collect();
    eprint!(
        "{}",
        report::summary(&project, &rules, true, &reviews, global.color_stderr)
    );
    for error in &failed {
        super::report_error(error, global);
    }
    if let Some(report_path) = &args.report {
        let result = write_report(
            &args,
            report_path,
            &project,
            &rules,
            &failed_paths,
            &reviews,
            verify.as_ref(),
        );
        match result {
            Ok(()) => eprintln!("pgshift: report written to {}", report_path.display()),
            Err(error) => {
                super::report_error(&error, global);
                failed.push(error);
            }
        }
    }
    let code = if !failed.is_empty() {
        EXIT_ERROR
    } else if !reviews.is_empty() || project.files.iter().any(|f| f.problem.is_some()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    Ok(ExitCode::from(code))
}

/// Like `cargo fix`: nothing is written while a file the run would change holds work git could
/// not give back (staged or unstaged changes, or not tracked at all), unless `--allow-dirty`.
/// Outside a git repository the run goes on, and says that there is no undo.
pub(super) fn refuse_uncommitted(
    root: &std::path::Path,
    files: &[PathBuf],
    allow_dirty: bool,
    command: &str,
) -> anyhow::Result<()> {
    if files.is_empty() || allow_dirty {
        return Ok(());
    }
    match pgshift::git::uncommitted(root, files).context(
        "could not ask git which files hold uncommitted changes (--allow-dirty skips this)",
    )? {
        pgshift::git::WorkTreeState::NoRepository => {
            eprintln!(
                "pgshift: {} is not in a git repository: what {command} writes cannot be undone with git (keep a copy)",
                root.display()
            );
            Ok(())
        }
        pgshift::git::WorkTreeState::Files(dirty) if dirty.is_empty() => Ok(()),
        pgshift::git::WorkTreeState::Files(dirty) => {
            let shown = |path: &PathBuf| {
                path.strip_prefix(root)
                    .unwrap_or(path)
                    .display()
                    .to_string()
            };
            let list: String = dirty
                .iter()
                .map(|(path, state)| format!("\n  {} ({})", shown(path), state.describe()))
                .collect();
            anyhow::bail!(
                "{} that {command} would change {} work git could not give back, so nothing was written:{list}\n  hint: commit or stash them first (then `git diff` shows exactly what pgshift did), or pass --allow-dirty",
                report::plural(dirty.len(), "file"),
                if dirty.len() == 1 { "holds" } else { "hold" }
            )
        }
    }
}

fn as_item(f: &report::Finding) -> pgshift::report_md::Item {
    pgshift::report_md::Item {
        path: f.path.clone(),
        line: f.line,
        column: f.column,
        rule: f.rule.clone(),
        message: f.message.clone(),
    }
}

fn write_report(
    args: &ApplyArgs,
    path: &std::path::Path,
    project: &pgshift::engine::ProjectReport,
    rules: &[pgshift::rules::Rule],
    failed: &[String],
    reviews: &[report::Finding],
    verify: Option<&serde_json::Value>,
) -> anyhow::Result<()> {
    // The SQLite-isms belong to the built-in packs; --no-default-rules leaves them out too.
    let found = if args.rules.no_default_rules {
        None
    } else {
        Some(pgshift::packs::migration_isms(&args.root).map_err(anyhow::Error::msg)?)
    };
    let isms = found.as_ref().map(|found| found.items());
    let origin = found.as_ref().and_then(|found| found.origin.as_deref());
    let reviews: Vec<_> = reviews.iter().map(as_item).collect();
    let text = pgshift::report_md::render(&pgshift::report_md::Input {
        root: &args.root.display().to_string(),
        project,
        rules,
        failed,
        reviews: &reviews,
        sqlite_isms: isms.as_deref(),
        sqlite_origin: origin,
        verify,
    });
    pgshift::init::replace_file(path, &text)
        .with_context(|| format!("could not write the report {}", path.display()))
}
