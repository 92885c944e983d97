//! Dispatches a parsed command line to its command.

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::exit::Status;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Merge(args) => commands::merge::run(&args),
    }
}
