//! `pgshift rules`: every rule (the built-in packs, each with when it runs, and the `--rules`
//! files), or one rule in full with its parameters.

use std::io::Write as _;
use std::process::ExitCode;

use super::{EXIT_CLEAN, Global, RuleArgs};

#[derive(Debug, clap::Args)]
pub struct RulesArgs {
    #[command(subcommand)]
    pub action: Option<RulesAction>,
    #[command(flatten)]
    pub rules: RuleArgs,
}

#[derive(Debug, clap::Subcommand)]
pub enum RulesAction {
    /// List the rules (the default).
    List,
    /// Show one rule with its parameters.
    Show {
        /// The rule id.
        id: String,
    },
    /// List the rule kinds a rule file can use.
    Kinds,
}

/// Every built-in pack: `rules` lists them all, whichever a project runs.
fn builtin() -> Vec<(&'static str, &'static str)> {
    pgshift::rules::BUILTIN_PACKS
        .iter()
        .map(|p| (p.file, p.text))
        .collect()
}

pub fn run(args: RulesArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    match args.action.unwrap_or(RulesAction::List) {
        RulesAction::List => {
            let rules = args.rules.load_with(&builtin())?;
            let id_width = rules.iter().map(|r| r.id.len()).max().unwrap_or(0);
            let kind_width = rules.iter().map(|r| r.kind.len()).max().unwrap_or(0);
            let mut pack_file = None;
            for rule in &rules {
                if pack_file != Some(&rule.origin) {
                    pack_file = Some(&rule.origin);
                    let header = match pgshift::rules::BUILTIN_PACKS
                        .iter()
                        .find(|p| p.file == rule.origin)
                    {
                        Some(pack) => format!(
                            "pack {} ({}): runs {}",
                            pack.name,
                            pack.file,
                            pgshift::packs::when(pack.name)
                        ),
                        None => format!("rules of {} (--rules): run always", rule.origin),
                    };
                    if !out.is_empty() {
                        out.push('\n');
                    }
                    out.push_str(&format!("# {header}\n"));
                }
                let files = if rule.files.is_empty() {
                    "all files".to_string()
                } else {
                    rule.files.join(", ")
                };
                out.push_str(&format!(
                    "{:id_width$}  {:kind_width$}  {files}\n{:id_width$}  {:kind_width$}  {}\n",
                    rule.id, rule.kind, "", "", rule.message
                ));
            }
        }
        RulesAction::Show { id } => {
            let rules = args.rules.load_with(&builtin())?;
            let Some(rule) = rules.iter().find(|r| *r.id == *id) else {
                let ids: Vec<&str> = rules.iter().map(|r| &*r.id).collect();
                anyhow::bail!("no rule `{id}`; rules: {}", ids.join(", "));
            };
            out.push_str(&format!(
                "id       {}\nkind     {}\nfrom     {}\nmessage  {}\n",
                rule.id, rule.kind, rule.origin, rule.message
            ));
            let files = if rule.files.is_empty() {
                "(all files)".to_string()
            } else {
                rule.files.join(", ")
            };
            out.push_str(&format!("files    {files}\n"));
            if !rule.exclude.is_empty() {
                out.push_str(&format!("exclude  {}\n", rule.exclude.join(", ")));
            }
            out.push_str("parameters:\n");
            for (key, value) in rule.imp.describe() {
                out.push_str(&format!("  {key} = {value}\n"));
            }
        }
        RulesAction::Kinds => {
            for kind in pgshift::kinds::KINDS {
                out.push_str(&format!("{:18} {}\n", kind.name, kind.summary));
            }
        }
    }
    std::io::stdout().lock().write_all(out.as_bytes())?;
    Ok(ExitCode::from(EXIT_CLEAN))
}
