//! The errscope binary: parses the command line and hands over to a command.

use std::process::ExitCode;

use clap::Parser;
use errscope::cli::{Cli, Command};
use errscope::commands::{self, Exit};

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Codes(args) => commands::codes::run(args),
        Command::CheckConfig(args) => commands::check_config(&args),
        Command::Tail(args) => commands::tail::run(args),
        Command::Report(_) => Err(anyhow::anyhow!("not available in this build")),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        Err(error) => {
            eprintln!("errscope: {error:#}");
            ExitCode::from(Exit::Trouble.code())
        }
    }
}
