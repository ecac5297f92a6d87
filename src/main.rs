//! The errscope binary: parses the command line and hands over to a command.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use errscope::cli::{Cli, Command};
use errscope::commands::{self, Exit};

fn main() -> ExitCode {
    commands::logging::init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Codes(args) => commands::codes::run(args),
        Command::CheckConfig(args) => commands::check_config(&args),
        Command::Report(command) => commands::report::run(command),
        Command::Tail(args) => commands::tail::run(args),
        Command::Top(args) => commands::top::run(args),
        Command::Completions { shell } => commands::completions::completions(shell),
        Command::Man => commands::completions::man(),
    };
    match result {
        Ok(exit) => ExitCode::from(exit.code()),
        // A closed pipe (`errscope ... | head`) is the reader's choice, not
        // a failure.
        Err(error) if is_broken_pipe(&error) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("errscope: {error:#}");
            ExitCode::from(Exit::Trouble.code())
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
