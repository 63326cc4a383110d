//! `pgshift hook install|uninstall`: a git `pre-commit` hook (or husky's `.husky/pre-commit`)
//! that runs `pgshift check --staged`, so no commit brings a workaround back.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;

use super::{EXIT_CLEAN, Global};

/// Marks a hook file as pgshift's, so uninstall removes only what install wrote.
const MARKER: &str = "written by `pgshift hook install`";

#[derive(Debug, clap::Args)]
pub struct HookArgs {
    #[command(subcommand)]
    pub action: HookAction,
}

#[derive(Debug, clap::Subcommand)]
pub enum HookAction {
    /// Write a pre-commit hook that runs `pgshift check --staged`.
    Install {
        /// Replace an existing hook that pgshift did not write.
        #[arg(long)]
        force: bool,
        /// Write `.husky/pre-commit` instead of the git hook.
        #[arg(long)]
        husky: bool,
        /// The command the hook runs [default: `pgshift` when it is on PATH (`npx --no pgshift` in a git hook when it is the npm package's, run by npx), else this binary's path]
        #[arg(long, value_name = "CMD")]
        command: Option<String>,
    },
    /// Remove the hook pgshift wrote.
    Uninstall {
        /// Remove the hook even if pgshift did not write it.
        #[arg(long)]
        force: bool,
        /// Remove `.husky/pre-commit` instead of the git hook.
        #[arg(long)]
        husky: bool,
    },
}

pub fn run(args: HookArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    let cwd = std::env::current_dir()?;
    let top = pgshift::git::toplevel(&cwd)?;
    match args.action {
        HookAction::Install {
            force,
            husky,
            command,
        } => {
            let path = hook_path(&cwd, &top, husky)?;
            if let Ok(existing) = std::fs::read_to_string(&path)
                && !existing.contains(MARKER)
                && !force
            {
                anyhow::bail!(
                    "a pre-commit hook already exists at {}; pass --force to replace it, or add `pgshift check --staged` to it by hand",
                    path.display()
                );
            }
            let command = command.unwrap_or_else(|| default_command(husky));
            let body = if husky {
                format!(
                    "# {MARKER}: refuse commits that bring back a SQLite workaround\n{command} check --staged\n"
                )
            } else {
                format!(
                    "#!/bin/sh\n# {MARKER}: refuse commits that bring back a SQLite workaround.\n# Skip once with `git commit --no-verify`; remove with `pgshift hook uninstall`.\nexec {command} check --staged\n"
                )
            };
            if let Some(dir) = path.parent() {
                std::fs::create_dir_all(dir)
                    .with_context(|| format!("could not create {}", dir.display()))?;
            }
            std::fs::write(&path, body)
                .with_context(|| format!("could not write {}", path.display()))?;
            make_executable(&path)?;
            eprintln!(
                "pgshift: installed {} (runs `{command} check --staged`)",
                path.display()
            );
        }
        HookAction::Uninstall { force, husky } => {
            let path = hook_path(&cwd, &top, husky)?;
            match std::fs::read_to_string(&path) {
                Err(_) => eprintln!("pgshift: no hook at {}", path.display()),
                Ok(existing) if !existing.contains(MARKER) && !force => anyhow::bail!(
                    "{} was not written by pgshift; pass --force to remove it anyway",
                    path.display()
                ),
                Ok(_) => {
                    std::fs::remove_file(&path)
                        .with_context(|| format!("could not remove {}", path.display()))?;
                    eprintln!("pgshift: removed {}", path.display());
                }
            }
        }
    }
    Ok(ExitCode::from(EXIT_CLEAN))
}

/// The git hook path honours `core.hooksPath`; husky's lives in `.husky/` at the top.
fn hook_path(cwd: &Path, top: &Path, husky: bool) -> anyhow::Result<PathBuf> {
    if husky {
        return Ok(top.join(".husky/pre-commit"));
    }
    let output = std::process::Command::new("git")
        .args(["rev-parse", "--git-path", "hooks"])
        .current_dir(cwd)
        .output()?;
    if !output.status.success() {
        anyhow::bail!(
            "git could not name the hooks folder: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let hooks = PathBuf::from(String::from_utf8_lossy(&output.stdout).trim());
    Ok(cwd.join(hooks).join("pre-commit"))
}

/// `pgshift` when that name on PATH is this binary, else this binary's absolute path. When the
/// npm package's launcher (which names itself in `PGSHIFT_LAUNCHER`) ran this binary, the name
/// on PATH is that launcher: from a project's `node_modules/.bin` (put on PATH by npx, and by
/// husky for its hooks, but not by git for a plain hook: there `npx --no pgshift` finds it), or
/// from a global install.
fn default_command(husky: bool) -> String {
    let canonical = |path: PathBuf| std::fs::canonicalize(path).ok();
    let exe = std::env::current_exe().ok().and_then(canonical);
    let launcher = std::env::var_os("PGSHIFT_LAUNCHER")
        .map(PathBuf::from)
        .and_then(canonical);
    let on_path = std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("pgshift"))
            .find(|candidate| candidate.is_file())
    });
    let found = on_path.clone().and_then(canonical);
    match (exe, found) {
        (Some(exe), Some(found)) if exe == found => "pgshift".to_string(),
        (_, Some(found)) if launcher.as_ref() == Some(&found) => {
            let in_project = on_path
                .as_deref()
                .and_then(Path::parent)
                .is_some_and(|dir| dir.ends_with("node_modules/.bin"));
            if in_project && !husky {
                "npx --no pgshift".to_string()
            } else {
                "pgshift".to_string()
            }
        }
        (Some(exe), _) => shell_quote(&exe.display().to_string()),
        (None, _) => "pgshift".to_string(),
    }
}

fn shell_quote(text: &str) -> String {
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-+".contains(c))
    {
        text.to_string()
    } else {
        format!("'{}'", text.replace('\'', r"'\''"))
    }
}

#[cfg(unix)]
fn make_executable(path: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755))?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_path: &Path) -> anyhow::Result<()> {
    Ok(())
}
