//! Dispatches a parsed command line to its command.

use anyhow::Result;

use crate::cli::{Cli, Command};
use crate::commands;
use crate::exit::Status;

/// Runs the command the user asked for.
pub fn run(cli: Cli) -> Result<Status> {
    match cli.command {
        Command::Merge(args) => commands::merge::run(&args),
        Command::Resolve(args) => commands::resolve::run(&args),
        Command::Check(args) => commands::check::run(&args),
        Command::Fix(args) => commands::fix::run(&args),
        Command::Install(args) => commands::install::install(&args),
        Command::Uninstall(args) => commands::install::uninstall(&args),
        Command::Config => {
            let repo = git2::Repository::open_from_env().ok();
            let profile = crate::config::load(repo.as_ref()).map_err(|e| anyhow::anyhow!("{e}"))?;
            out!("{}", profile.to_toml())?;
            Ok(Status::Clean)
        }
        Command::Hook(args) => commands::hook::run(&args.name, &args.args),
        Command::Doctor => commands::doctor::run(),
        Command::Demo => commands::demo::run(),
        Command::Completions(args) => {
            // Generated into memory, then printed: the generator panics on a write
            // error, print! leaves that to the process's one rule (see main).
            let mut cmd = <Cli as clap::CommandFactory>::command();
            let mut script = Vec::new();
            clap_complete::generate(args.shell, &mut cmd, "poolmerge", &mut script);
            out!("{}", String::from_utf8_lossy(&script))?;
            Ok(Status::Clean)
        }
    }
}
