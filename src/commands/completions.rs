//! `errscope completions SHELL` and `errscope man`: generated from the same clap command the
//! binary parses, so they never drift from it.

use std::io::Write;

use anyhow::Result;
use clap::CommandFactory;
use clap_complete::Shell;

use super::Exit;
use crate::cli::Cli;

/// Prints the completion script for `shell` on standard output.
pub fn completions(shell: Shell) -> Result<Exit> {
    let mut cmd = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, "errscope", &mut script);
    print(&script)
}

/// Prints the manual as roff: the `errscope(1)` page, then one page per subcommand
/// (`errscope-scan(1)`, `errscope-report-merge(1)`, ...), as `man -l -` reads it.
pub fn man() -> Result<Exit> {
    let mut cmd = Cli::command().disable_help_subcommand(true);
    cmd.build();
    let mut roff = Vec::new();
    render(&cmd, &mut roff)?;
    print(&roff)
}

fn render(cmd: &clap::Command, out: &mut Vec<u8>) -> Result<()> {
    clap_mangen::Man::new(cmd.clone()).render(out)?;
    for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
        render(sub, out)?;
    }
    Ok(())
}

fn print(bytes: &[u8]) -> Result<Exit> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(Exit::Success)
}
