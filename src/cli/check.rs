//! `pgshift check`: the guard for pre-commit hooks and CI. Every place where a rule would
//! change code or needs review is a finding; the exit code says whether there were any.

use std::collections::HashMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pgshift::engine::{self, FileReport};
use pgshift::source::Lang;
use pgshift::walk::{SourcePath, relative, walk};

use super::report::{self, Finding, FindingKind, Positions};
use super::{EXIT_CLEAN, EXIT_FINDINGS, Global, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to check [default: .]
    pub paths: Vec<PathBuf>,
    /// Project root, for rule globs and import resolution [default: the one folder given, else .]
    #[arg(long)]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Github,
}

pub fn run(args: CheckArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let root = match &args.root {
        Some(root) => root.clone(),
        None if paths.len() == 1 && paths[0].is_dir() => paths[0].clone(),
        None => PathBuf::from("."),
    };
    if !root.is_dir() {
        anyhow::bail!(
            "{} is not a directory; --root takes the project root",
            root.display()
        );
    }
    let root_abs = std::fs::canonicalize(&root)?;
    let mut rules = args.rules.load_with(&[
        pgshift::rules::BUILTIN_STAGE5,
        pgshift::rules::BUILTIN_SQLITE_ISMS,
    ])?;

    let mut files: Vec<SourcePath> = Vec::new();
    let mut display: HashMap<PathBuf, String> = HashMap::new();
    let mut findings: Vec<Finding> = Vec::new();
    for path in &paths {
        let given = path.display().to_string();
        if path.is_dir() {
            let dir_abs = std::fs::canonicalize(path)?;
            for file in walk(path) {
                let Some(rel) = std::fs::canonicalize(&file.abs)
                    .ok()
                    .and_then(|abs| relative(&root_abs, &abs))
                else {
                    findings.push(outside(&format!(
                        "{}/{}",
                        given.trim_end_matches('/'),
                        file.rel
                    )));
                    continue;
                };
                let shown = if dir_abs == std::fs::canonicalize(".").unwrap_or_default()
                    && (given == "." || given == "./")
                {
                    file.rel.clone()
                } else {
                    format!("{}/{}", given.trim_end_matches('/'), file.rel)
                };
                display.insert(file.abs.clone(), shown);
                files.push(SourcePath { rel, abs: file.abs });
            }
        } else if Lang::from_path(&given).is_none() {
            // Hook runners pass every staged file; those pgshift does not read are not an error.
        } else if !path.exists() {
            findings.push(error_finding(&given, "file not found"));
        } else {
            let Some(rel) = std::fs::canonicalize(path)
                .ok()
                .and_then(|abs| relative(&root_abs, &abs))
            else {
                findings.push(outside(&given));
                continue;
            };
            display.insert(path.clone(), given);
            files.push(SourcePath {
                rel,
                abs: path.clone(),
            });
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.rel == b.rel);
    let project = if args.paths.len() == 1 && path_eq(&paths[0], &root) {
        files.clone()
    } else {
        walk(&root)
    };
    let report = engine::run_project(&root, &project, &files, &mut rules, args.rules.options());
    let shown = |file: &FileReport| {
        display
            .get(&file.path.abs)
            .cloned()
            .unwrap_or_else(|| file.path.rel.clone())
    };
    findings.extend(report::findings(
        &report,
        &rules,
        Positions::Original,
        &shown,
    ));

    let text = match args.format {
        CheckFormat::Human => {
            let mut text = report::human(&findings, global.color_stdout);
            if !findings.is_empty() {
                let count = |kind| findings.iter().filter(|f| f.kind == kind).count();
                text.push_str(&format!(
                    "\n{} to change, {} to review, {} not checked; `pgshift diff` shows the fix, `pgshift apply` makes it\n",
                    report::plural(count(FindingKind::Change), "place"),
                    report::plural(count(FindingKind::Review), "place"),
                    report::plural(count(FindingKind::Error), "file"),
                ));
            }
            text
        }
        CheckFormat::Json => serde_json::to_string_pretty(&findings)? + "\n",
        CheckFormat::Github => report::github(&findings),
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    Ok(ExitCode::from(if findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }))
}

fn path_eq(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

fn error_finding(path: &str, message: &str) -> Finding {
    Finding {
        path: path.to_string(),
        line: 1,
        column: 1,
        rule: "pgshift".into(),
        kind: FindingKind::Error,
        message: message.to_string(),
        source_line: None,
    }
}

fn outside(path: &str) -> Finding {
    error_finding(path, "outside the project root; pass --root")
}
