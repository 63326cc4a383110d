//! `pgshift apply`: Stage 5 in one command. The same edits `diff` shows, written atomically.

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
}

pub fn run(args: ApplyArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let (project, rules) = super::run_on_root(&args.root, &args.rules)?;
    let mut failed = Vec::new();
    for file in &project.files {
        let (Some(original), Some(result)) = (&file.original, &file.result) else {
            continue;
        };
        if let Err(error) = write_atomically(&file.path.abs, original, result)
            .with_context(|| format!("could not write {}", file.path.rel))
        {
            failed.push(error);
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
    let code = if !failed.is_empty() {
        EXIT_ERROR
    } else if !reviews.is_empty() || project.files.iter().any(|f| f.problem.is_some()) {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    };
    Ok(ExitCode::from(code))
}
