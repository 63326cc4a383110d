//! The `pgshift` command line: parses arguments, decides colour once, runs one subcommand and
//! turns its outcome into an exit code. Errors are reported in one place, here.

use std::process::ExitCode;

use clap::Parser;

mod cli;

fn main() -> ExitCode {
    let args = cli::Cli::parse();
    let global = cli::Global::new(args.color);
    match cli::run(args.command, &global) {
        Ok(code) => code,
        Err(error) => {
            if cli::is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            cli::report_error(&error, &global);
            ExitCode::from(cli::EXIT_ERROR)
        }
    }
}
