//! The errscope binary: parses the command line and hands over to a command.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::Parser;
use errscope::cli::{Cli, Command};
use errscope::commands::{self, Exit};
use tracing_subscriber::fmt::format::{self, FormatEvent, FormatFields};
use tracing_subscriber::fmt::FmtContext;
use tracing_subscriber::registry::LookupSpan;

fn main() -> ExitCode {
    init_logging();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Scan(args) => commands::scan::run(args),
        Command::Codes(args) => commands::codes::run(args),
        Command::CheckConfig(args) => commands::check_config(&args),
        Command::Report(command) => commands::report::run(command),
        Command::Tail(args) => commands::tail::run(args),
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

/// Warnings logged through `tracing` (alert sinks that fail or drop
/// notices, the metrics server) go to stderr as `errscope: warning: ...`,
/// like the others; `ERRSCOPE_LOG` (an `EnvFilter` directive such as
/// `debug`) changes the level.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("ERRSCOPE_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .event_format(Plain)
        .try_init();
}

/// `errscope: warning: message`.
struct Plain;

impl<S, N> FormatEvent<S, N> for Plain
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        ctx: &FmtContext<'_, S, N>,
        mut writer: format::Writer<'_>,
        event: &tracing::Event<'_>,
    ) -> std::fmt::Result {
        let level = match *event.metadata().level() {
            tracing::Level::ERROR => "error",
            tracing::Level::WARN => "warning",
            _ => "note",
        };
        write!(writer, "errscope: {level}: ")?;
        ctx.field_format().format_fields(writer.by_ref(), event)?;
        writeln!(writer)
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
