//! Command-line definitions shared by the subcommands (one module each), colour, the error
//! reporter and the exit codes.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use anyhow::Context as _;
use clap::{Parser, Subcommand, ValueEnum};
use pgshift::engine::{self, Options, ProjectReport};
use pgshift::rules::{self, Rule};

pub mod apply;
pub mod baseline;
pub mod check;
pub mod copy_data;
pub mod diff;
pub mod hook;
pub mod init_postgres;
pub mod report;
pub mod rules_cmd;
pub mod verify;

pub const EXIT_CLEAN: u8 = 0;
pub const EXIT_FINDINGS: u8 = 1;
pub const EXIT_ERROR: u8 = 2;

const AFTER_HELP: &str = "\
Exit codes:
  0  clean: nothing to change (check), all edits applied (apply), diff printed (diff)
  1  something is pending: findings (check), review places or skipped files left (apply),
     changes pending (diff --exit-code), a failed verdict (verify), copy-data not
     verified or values that cannot be converted (nothing written)
  2  error: bad arguments, a bad rule file, a write that failed, verify could not run,
     files with uncommitted work that apply would change (see --allow-dirty)

Colour: --color auto (default) colours a terminal only; NO_COLOR turns it off.";

/// Remove the SQLite single-writer workarounds from a Next.js + Prisma project moving to
/// PostgreSQL, and keep them from coming back.
#[derive(Debug, Parser)]
#[command(name = "pgshift", version, after_help = AFTER_HELP)]
pub struct Cli {
    /// When to colour output.
    #[arg(long, value_enum, default_value_t = ColorWhen::Auto, global = true)]
    pub color: ColorWhen,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Show, as a patch, what `apply` would change (nothing is written).
    Diff(diff::DiffArgs),
    /// Make the Stage 5 edits (the same ones `diff` shows).
    Apply(apply::ApplyArgs),
    /// Fail while any workaround is present: for pre-commit hooks and CI.
    Check(check::CheckArgs),
    /// Install or remove the git pre-commit hook that runs `check --staged`.
    Hook(hook::HookArgs),
    /// List the rules, or show one with its parameters.
    Rules(rules_cmd::RulesArgs),
    /// Check on a real PostgreSQL server that the new settings hold.
    Verify(verify::VerifyArgs),
    /// Create the PostgreSQL scaffolding of the plan's Stages 1-4 (dry run unless --write).
    InitPostgres(init_postgres::InitArgs),
    /// Copy the rows of the SQLite database into PostgreSQL, verified, in one transaction.
    CopyData(copy_data::CopyDataArgs),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Settings every subcommand shares, decided once.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    pub color_stdout: bool,
    pub color_stderr: bool,
    /// Whether stderr is a terminal (for progress bars).
    pub stderr_is_terminal: bool,
}

impl Global {
    pub fn new(when: ColorWhen) -> Global {
        let no_color = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let decide = |terminal: bool| match when {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => terminal && !no_color,
        };
        let stderr_is_terminal = std::io::stderr().is_terminal();
        Global {
            color_stdout: decide(std::io::stdout().is_terminal()),
            color_stderr: decide(stderr_is_terminal),
            stderr_is_terminal,
        }
    }
}

/// Rule selection, shared by diff, apply and check.
#[derive(Debug, Clone, clap::Args)]
pub struct RuleArgs {
    /// Add the rules of this TOML file (repeatable).
    #[arg(long = "rules", value_name = "FILE")]
    pub rule_files: Vec<PathBuf>,
    /// Leave out the built-in Stage 5 pack.
    #[arg(long)]
    pub no_default_rules: bool,
    /// Parse every file instead of only those whose bytes could trigger a rule.
    #[arg(long)]
    pub no_prefilter: bool,
    /// Run this built-in pack whatever the project (stage5, sqlite-sql, sqlite-migration;
    /// repeatable). Without it `check` decides from the project (README: "When each pack runs").
    #[arg(long = "pack", value_name = "NAME", value_parser = pack_name)]
    pub packs: Vec<String>,
}

fn pack_name(name: &str) -> Result<String, String> {
    match rules::builtin_pack(name) {
        Some(pack) => Ok(pack.name.to_string()),
        None => Err(format!(
            "no built-in pack `{name}`; the packs: {}",
            rules::BUILTIN_PACKS
                .iter()
                .map(|p| p.name)
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl RuleArgs {
    /// The Stage 5 pack (unless left out) and the `--rules` packs.
    pub fn load(&self) -> anyhow::Result<Vec<Rule>> {
        self.load_with(&[rules::BUILTIN_STAGE5])
    }

    /// Like [`RuleArgs::load`], with more built-in packs (`check` adds the SQLite-isms).
    pub fn load_with(&self, builtin: &[(&str, &str)]) -> anyhow::Result<Vec<Rule>> {
        let mut all = Vec::new();
        if !self.no_default_rules {
            for (name, text) in builtin {
                all.extend(rules::load_pack(name, text)?);
            }
        }
        for name in &self.packs {
            let pack = rules::builtin_pack(name).context("checked by the argument parser")?;
            let already = !self.no_default_rules && builtin.contains(&(pack.file, pack.text));
            if !already {
                all.extend(pack.load()?);
            }
        }
        for file in &self.rule_files {
            let text = std::fs::read_to_string(file)
                .with_context(|| format!("cannot read rule file {}", file.display()))?;
            all.extend(rules::load_pack(&file.display().to_string(), &text)?);
        }
        if all.is_empty() {
            anyhow::bail!(
                "no rules: --no-default-rules needs at least one --rules FILE or --pack NAME"
            );
        }
        let mut seen = std::collections::HashSet::new();
        for rule in &all {
            if !seen.insert(rule.id.clone()) {
                anyhow::bail!(
                    "rule id `{}` ({}) is defined in more than one pack; rename one",
                    rule.id,
                    rule.origin
                );
            }
        }
        Ok(all)
    }

    pub fn options(&self) -> Options {
        Options {
            prefilter: !self.no_prefilter,
        }
    }
}

/// Walks `root` and runs the rules over every source file.
pub fn run_on_root(
    root: &Path,
    rule_args: &RuleArgs,
) -> anyhow::Result<(ProjectReport, Vec<Rule>)> {
    if !root.is_dir() {
        anyhow::bail!(
            "{} is not a directory; pass the project root",
            root.display()
        );
    }
    let mut rules = rule_args.load()?;
    let roots = [pgshift::walk::WalkRoot::project(root)];
    let report = engine::run_project(
        root,
        engine::Files::walk(&roots),
        &mut rules,
        rule_args.options(),
    );
    Ok((report, rules))
}

pub fn run(command: Command, global: &Global) -> anyhow::Result<ExitCode> {
    match command {
        Command::Diff(args) => diff::run(args, global),
        Command::Apply(args) => apply::run(args, global),
        Command::Check(args) => check::run(args, global),
        Command::Rules(args) => rules_cmd::run(args, global),
        Command::Hook(args) => hook::run(args, global),
        Command::Verify(args) => verify::run(args, global),
        Command::InitPostgres(args) => init_postgres::run(args, global),
        Command::CopyData(args) => copy_data::run(args, global),
    }
}

/// A closed pipe (`pgshift diff | head`) ends output early; that is not an error.
pub fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// The one error reporter: the error, its causes, and a hint for the next step where known.
pub fn report_error(error: &anyhow::Error, global: &Global) {
    let style = if global.color_stderr {
        anstyle::AnsiColor::Red.on_default().bold()
    } else {
        anstyle::Style::new()
    };
    let mut message = format!("{style}error:{style:#} {error}");
    for cause in error.chain().skip(1) {
        message.push_str(&format!("\n  caused by: {cause}"));
    }
    if error
        .chain()
        .any(|c| c.downcast_ref::<rules::RuleFileError>().is_some())
    {
        message.push_str(
            "\n  hint: `pgshift rules` lists the kinds; README.md shows each kind's keys",
        );
    }
    eprintln!("{message}");
}

/// Installs the Ctrl-C handler of a long-running subcommand and returns the flag its library
/// code polls. The first Ctrl-C sets the flag and prints `first` (the subcommand cleans up and
/// exits); a second prints `second` and exits at once with 130.
pub fn interrupt_flag(first: &'static str, second: &'static str) -> &'static AtomicBool {
    static INTERRUPTED: AtomicBool = AtomicBool::new(false);
    static SIGNALS: AtomicUsize = AtomicUsize::new(0);
    let _ = ctrlc::set_handler(move || {
        INTERRUPTED.store(true, Ordering::SeqCst);
        if SIGNALS.fetch_add(1, Ordering::SeqCst) >= 1 {
            eprintln!("{second}");
            std::process::exit(130);
        }
        eprintln!("{first}");
    });
    &INTERRUPTED
}
