//! `pgshift check`: the guard for pre-commit hooks and CI. Every place where a rule would
//! change code or needs review is a finding; the exit code says whether there were any. It
//! checks folders, the files a hook runner names, or (`--staged`) what the next commit holds.

use std::collections::{HashMap, HashSet};
use std::io::Write as _;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context as _;
use pgshift::engine::{self, FileReport, Problem};
use pgshift::packs::{self, Gate, Purpose};
use pgshift::source::Lang;
use pgshift::walk::{SourcePath, WalkRoot, relative};

use super::baseline;
use super::report::{self, Finding, FindingKind, Positions};
use super::{EXIT_CLEAN, EXIT_FINDINGS, Global, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct CheckArgs {
    /// Files or folders to check [default: .]
    pub paths: Vec<PathBuf>,
    /// Check the staged content of the files the next commit changes (the git index, not the
    /// working tree).
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// Project root, for rule globs and import resolution [default: the one folder given, the
    /// repository's top folder with --staged, else .]
    #[arg(long)]
    pub root: Option<PathBuf>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = CheckFormat::Human)]
    pub format: CheckFormat,
    /// Fail only on findings that are not in this baseline file; name its stale entries.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record the current findings in FILE (JSON, meant to be committed) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CheckFormat {
    Human,
    Json,
    Github,
    Sarif,
}

/// What to check, and how to show it.
struct Inputs {
    root: PathBuf,
    /// Folders to walk, each with how its files are named in output (the folder as given, or
    /// empty when it is the current folder).
    folders: Vec<(WalkRoot, String)>,
    /// Files named one by one.
    files: Vec<SourcePath>,
    /// How a file named one by one is shown in output, by its path on disk.
    display: HashMap<PathBuf, String>,
    /// Findings about the inputs themselves (missing files, files outside the root).
    findings: Vec<Finding>,
    /// The staged content, by path relative to the root (with --staged).
    staged: Option<HashMap<String, Vec<u8>>>,
    /// Whether the Prisma schema was checked.
    schema_checked: bool,
}

pub fn run(args: CheckArgs, global: &Global) -> anyhow::Result<ExitCode> {
    let mut inputs = if args.staged {
        staged_inputs(&args)?
    } else {
        path_inputs(&args)?
    };
    // A baseline written during the move records what the migration lists too.
    let purpose = if args.write_baseline.is_some() {
        Purpose::Migration
    } else {
        Purpose::Guard
    };
    let mut rules = args.rules.load_with(&[pgshift::rules::BUILTIN_STAGE5])?;
    if !args.rules.no_default_rules {
        let gate = Arc::new(Gate::new(&inputs.root));
        // A rule of a pack given with --rules runs as given, not gated.
        let gated = packs::gated_rules(&gate, purpose, &args.rules.packs)?;
        let given: HashSet<Arc<str>> = rules.iter().map(|r| r.id.clone()).collect();
        rules.extend(gated.into_iter().filter(|r| !given.contains(&r.id)));
    }
    let report = match &inputs.staged {
        Some(staged) => {
            let reader = |path: &SourcePath| match staged.get(&path.rel) {
                Some(bytes) => engine::decode_source(bytes.clone()),
                None => Err(Problem::Unreadable("not staged".into())),
            };
            engine::run_project_with(
                &inputs.root,
                engine::Files::list(&inputs.files),
                &mut rules,
                args.rules.options(),
                &reader,
            )
        }
        None => {
            let folders: Vec<WalkRoot> = inputs.folders.iter().map(|(f, _)| f.clone()).collect();
            engine::run_project(
                &inputs.root,
                engine::Files {
                    walk: &folders,
                    list: &inputs.files,
                },
                &mut rules,
                args.rules.options(),
            )
        }
    };
    let shown = |file: &FileReport| {
        if let Some(shown) = inputs.display.get(&file.path.abs) {
            return shown.clone();
        }
        for (folder, shown) in &inputs.folders {
            if let Some(below) = relative(&folder.dir, &file.path.abs) {
                return if shown.is_empty() {
                    below
                } else {
                    format!("{shown}/{below}")
                };
            }
        }
        file.path.rel.clone()
    };
    let mut findings = std::mem::take(&mut inputs.findings);
    findings.extend(report::findings(
        &report,
        &rules,
        Positions::Original,
        &shown,
    ));

    if let Some(path) = &args.write_baseline {
        let count = baseline::write(path, &findings)?;
        eprintln!(
            "pgshift: wrote {} to {}",
            report::plural(count, "finding"),
            path.display()
        );
        return Ok(ExitCode::from(EXIT_CLEAN));
    }
    let mut stale = Vec::new();
    if let Some(path) = &args.baseline {
        let known = baseline::read(path)?;
        let (new, gone) = baseline::compare(&known, findings);
        findings = new;
        // Entries of rules this run does not run (the migration's findings after the move) are
        // the migration's record, not stale.
        let ran = |entry: &baseline::Entry| {
            let rel = inputs.project_path(&entry.path);
            rules
                .iter()
                .any(|r| *r.id == *entry.rule && rel.as_deref().is_none_or(|p| r.applies_to(p)))
                || (entry.rule.starts_with("schema-") && inputs.schema_checked)
                || entry.rule == engine::SUPPRESSION_RULE
                || entry.rule == "pgshift"
        };
        let (stale_now, kept): (Vec<_>, Vec<_>) = gone.into_iter().partition(|e| ran(e));
        stale = stale_now;
        if !kept.is_empty() {
            eprintln!(
                "pgshift: kept {} of the baseline for rules this run does not run (README: \"When each pack runs\")",
                entries(kept.len())
            );
        }
    }

    let text = match args.format {
        CheckFormat::Human => human_text(&findings),
        CheckFormat::Json => serde_json::to_string_pretty(&findings)? + "\n",
        CheckFormat::Github => report::github(&findings),
        CheckFormat::Sarif => {
            serde_json::to_string_pretty(&report::sarif(&findings, &rules))? + "\n"
        }
    };
    let text = if args.format == CheckFormat::Human && global.color_stdout {
        report::human(&findings, true) + &text[report::human(&findings, false).len()..]
    } else {
        text
    };
    let mut stdout = std::io::stdout().lock();
    stdout.write_all(text.as_bytes())?;
    stdout.flush()?;
    if !stale.is_empty() {
        eprintln!(
            "pgshift: {} of {} no longer occur; remove them (or write the baseline again):",
            entries(stale.len()),
            args.baseline
                .as_deref()
                .map(|p| p.display().to_string())
                .unwrap_or_default()
        );
        for entry in &stale {
            eprintln!("  {} [{}] {}", entry.path, entry.rule, entry.source);
        }
    }
    Ok(ExitCode::from(if findings.is_empty() {
        EXIT_CLEAN
    } else {
        EXIT_FINDINGS
    }))
}

impl Inputs {
    /// The path relative to the project root of a file as output names it.
    fn project_path(&self, shown: &str) -> Option<String> {
        for (path, display) in &self.display {
            if display == shown {
                return self
                    .files
                    .iter()
                    .find(|f| f.abs == *path)
                    .map(|f| f.rel.clone());
            }
        }
        for (folder, prefix) in &self.folders {
            let below = if prefix.is_empty() {
                Some(shown)
            } else {
                shown
                    .strip_prefix(prefix.as_str())
                    .and_then(|rest| rest.strip_prefix('/'))
            };
            if let Some(below) = below {
                return Some(if folder.rel.is_empty() {
                    below.to_string()
                } else {
                    format!("{}/{below}", folder.rel)
                });
            }
        }
        None
    }
}

fn entries(n: usize) -> String {
    if n == 1 {
        "1 entry".to_string()
    } else {
        format!("{n} entries")
    }
}

fn human_text(findings: &[Finding]) -> String {
    let mut text = report::human(findings, false);
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

fn path_inputs(args: &CheckArgs) -> anyhow::Result<Inputs> {
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
    let cwd = std::fs::canonicalize(".")?;
    let mut inputs = Inputs {
        root,
        folders: Vec::new(),
        files: Vec::new(),
        display: HashMap::new(),
        findings: Vec::new(),
        staged: None,
        schema_checked: false,
    };
    for path in &paths {
        let given = path.display().to_string();
        if path.is_dir() {
            // One canonical path per folder, not per file: the walk's paths are below it.
            let dir_abs = std::fs::canonicalize(path)?;
            let Some(dir_rel) = relative(&root_abs, &dir_abs) else {
                inputs.findings.push(error_finding(
                    &given,
                    "outside the project root; pass --root",
                ));
                continue;
            };
            // Files under the folder are named as the folder was given, or relative to the
            // current folder when it is that one.
            let shown = if dir_abs == cwd {
                String::new()
            } else {
                given.trim_end_matches('/').to_string()
            };
            inputs.folders.push((
                WalkRoot {
                    dir: path.clone(),
                    rel: dir_rel,
                },
                shown,
            ));
        } else if Lang::from_path(&given).is_none() {
            // Hook runners pass every staged file; those pgshift does not read are not an error.
        } else if !path.exists() {
            inputs
                .findings
                .push(error_finding(&given, "file not found"));
        } else {
            let Some(rel) = std::fs::canonicalize(path)
                .ok()
                .and_then(|abs| relative(&root_abs, &abs))
            else {
                inputs.findings.push(error_finding(
                    &given,
                    "outside the project root; pass --root",
                ));
                continue;
            };
            inputs.display.insert(path.clone(), given);
            inputs.files.push(SourcePath {
                rel,
                abs: path.clone(),
            });
        }
    }
    // A folder inside another folder given, or a file inside one, would be checked twice.
    inputs.folders.sort_by(|a, b| a.0.rel.cmp(&b.0.rel));
    inputs
        .folders
        .dedup_by(|inner, outer| within(&outer.0.rel, &inner.0.rel));
    let folders = &inputs.folders;
    inputs
        .files
        .retain(|file| !folders.iter().any(|(f, _)| within(&f.rel, &file.rel)));
    inputs.files.sort();
    inputs.files.dedup_by(|a, b| a.rel == b.rel);
    // The Prisma schema is not TypeScript: its SQLite-isms are checked whenever the tree is and
    // the migration's pack may run (the check reports only a SQLite schema).
    let migration_pack = !args.rules.no_default_rules
        || args
            .rules
            .packs
            .iter()
            .any(|p| p == packs::SQLITE_MIGRATION);
    if migration_pack && paths.iter().any(|p| p.is_dir()) {
        // Only a SQLite schema has findings; once it says postgresql, the entries a baseline
        // holds of them are the migration's record.
        inputs.schema_checked = pgshift::packs::origin(&inputs.root, "")
            .is_some_and(|o| o.phase == pgshift::packs::Phase::OnSqlite);
        let prefix = if root_abs == cwd {
            String::new()
        } else {
            format!(
                "{}/",
                inputs.root.display().to_string().trim_end_matches('/')
            )
        };
        match report::schema_findings(&inputs.root) {
            Ok(found) => inputs.findings.extend(found.into_iter().map(|mut f| {
                f.path = format!("{prefix}{}", f.path);
                f
            })),
            Err(message) => inputs.findings.push(error_finding(
                &format!("{prefix}prisma/schema.prisma"),
                &message,
            )),
        }
    }
    Ok(inputs)
}

fn staged_inputs(args: &CheckArgs) -> anyhow::Result<Inputs> {
    let start = args.root.clone().unwrap_or_else(|| PathBuf::from("."));
    let repo = pgshift::git::toplevel(&start)?;
    let root = match &args.root {
        Some(root) => {
            std::fs::canonicalize(root).with_context(|| format!("no folder {}", root.display()))?
        }
        None => repo.clone(),
    };
    let repo_abs = std::fs::canonicalize(&repo)?;
    let prefix = relative(&repo_abs, &root).unwrap_or_default();
    let paths: Vec<String> = pgshift::git::staged_paths(&repo)?
        .into_iter()
        .filter(|p| Lang::from_path(p).is_some())
        .filter(|p| prefix.is_empty() || p.starts_with(&format!("{prefix}/")))
        .collect();
    let contents = pgshift::git::staged_contents(&repo, &paths)?;
    let mut inputs = Inputs {
        root: root.clone(),
        folders: Vec::new(),
        files: Vec::new(),
        display: HashMap::new(),
        findings: Vec::new(),
        staged: Some(HashMap::new()),
        schema_checked: false,
    };
    for file in contents {
        let rel = if prefix.is_empty() {
            file.path.clone()
        } else {
            file.path[prefix.len() + 1..].to_string()
        };
        let abs = root.join(&rel);
        inputs.display.insert(abs.clone(), file.path.clone());
        inputs.files.push(SourcePath {
            rel: rel.clone(),
            abs,
        });
        if let Some(staged) = &mut inputs.staged {
            staged.insert(rel, file.content);
        }
    }
    inputs.files.sort();
    Ok(inputs)
}

/// Whether the project path `path` is the folder `folder` or below it (`""` is the root).
fn within(folder: &str, path: &str) -> bool {
    folder.is_empty()
        || path
            .strip_prefix(folder)
            .is_some_and(|rest| rest.is_empty() || rest.starts_with('/'))
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
        fix: None,
    }
}
