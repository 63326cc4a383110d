//! `pgshift verify`: being written.

use std::process::ExitCode;

use super::Global;

/// Check on a real PostgreSQL server that the Stage 5 settings hold.
#[derive(Debug, clap::Args)]
pub struct VerifyArgs {
    /// Project root.
    #[arg(default_value = ".")]
    pub root: std::path::PathBuf,
}

pub fn run(_args: VerifyArgs, _global: &Global) -> anyhow::Result<ExitCode> {
    anyhow::bail!("verify is being written")
}
