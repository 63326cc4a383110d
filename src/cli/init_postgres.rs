//! `pgshift init-postgres`: being written.

use std::process::ExitCode;

use super::Global;

#[derive(Debug, clap::Args)]
pub struct InitArgs {
    /// Project root.
    #[arg(default_value = ".")]
    pub root: std::path::PathBuf,
}

pub fn run(_args: InitArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("init-postgres is being written")
}
