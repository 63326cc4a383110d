//! `pgshift diff`: the dry run. The patch goes to stdout (rule ids after each hunk header),
//! the summary to stderr; nothing is written.

use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;

use pgshift::engine::FileReport;
use pgshift::patch::{DiffStyle, file_diff};
use pgshift::source::LineIndex;
use serde::Serialize;

use super::report::{self, FindingKind, Positions};
use super::{EXIT_CLEAN, EXIT_FINDINGS, Global, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Project root; paths in the patch are relative to it.
    #[arg(default_value = ".")]
    pub root: PathBuf,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// `patch`: a unified diff that `git apply` takes; `json`: the planned edits and findings.
    #[arg(long, value_enum, default_value_t = DiffFormat::Patch)]
    pub format: DiffFormat,
    /// Exit 1 when changes are pending or files could not be processed.
    #[arg(long)]
    pub exit_code: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum DiffFormat {
    Patch,
    Json,
}

#[derive(Serialize)]
struct JsonPlan<'a> {
    files: Vec<JsonFile>,
    findings: Vec<report::Finding>,
    notes: &'a [String],
}

#[derive(Serialize)]
struct JsonFile {
    path: String,
    edits: Vec<JsonEdit>,
}

#[derive(Serialize)]
struct JsonEdit {
    rule: String,
    line: usize,
    column: usize,
    original: String,
    replacement: String,
}

pub fn run(args: DiffArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let (project, rules) = super::run_on_root(&args.root, &args.rules)?;
    let display = |file: &FileReport| file.path.rel.clone();
    let all = report::findings(&project, &rules, Positions::Original, &display);
    let not_changes: Vec<report::Finding> = all
        .into_iter()
        .filter(|f| f.kind != FindingKind::Change)
        .collect();
    let reviews: Vec<report::Finding> = not_changes
        .iter()
        .filter(|f| f.kind == FindingKind::Review)
        .cloned()
        .collect();
    let mut stdout = std::io::stdout().lock();
    match args.format {
        DiffFormat::Patch => {
            let style = if global.color_stdout {
                DiffStyle::colored()
            } else {
                DiffStyle::default()
            };
            for file in &project.files {
                let (Some(original), Some(result)) = (&file.original, &file.result) else {
                    continue;
                };
                stdout.write_all(
                    file_diff(&file.path.rel, original, result, &file.changes, style).as_bytes(),
                )?;
            }
        }
        DiffFormat::Json => {
            let files = project
                .files
                .iter()
                .filter_map(|file| {
                    let (original, result) = (file.original.as_ref()?, file.result.as_ref()?);
                    let lines = LineIndex::new(original);
                    let edits = file
                        .changes
                        .iter()
                        .map(|c| {
                            let (line, column) = lines.line_col(original, c.original.start);
                            JsonEdit {
                                rule: c.rule.to_string(),
                                line,
                                column,
                                original: original[c.original.clone()].to_string(),
                                replacement: result[c.result.clone()].to_string(),
                            }
                        })
                        .collect();
                    Some(JsonFile {
                        path: file.path.rel.clone(),
                        edits,
                    })
                })
                .collect();
            let plan = JsonPlan {
                files,
                findings: not_changes.clone(),
                notes: &project.notes,
            };
            serde_json::to_writer_pretty(&mut stdout, &plan)?;
            stdout.write_all(b"\n")?;
        }
    }
    stdout.flush()?;
    eprint!(
        "{}",
        report::summary(&project, &rules, false, &reviews, global.color_stderr)
    );
    let pending = project
        .files
        .iter()
        .any(|f| f.result.is_some() || f.problem.is_some());
    Ok(ExitCode::from(if args.exit_code && pending {
        EXIT_FINDINGS
    } else {
        EXIT_CLEAN
    }))
}
