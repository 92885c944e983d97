//! The command line, as clap structs. Nothing below `app` sees these types: commands
//! convert them into settings first.
#![deny(missing_docs)]

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::conflict::Style;

/// Keeps a fork's pinned SQLAlchemy pool configuration through upstream merges.
///
/// poolmerge is a git merge driver for Python modules that create SQLAlchemy engines.
/// It resolves the engine statements in favour of the fork's pinned pool
/// configuration, keeps upstream's changes around and inside them, and merges every
/// other line exactly as `git merge` does.
#[derive(Debug, Parser)]
#[command(name = "poolmerge", version, propagate_version = true)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// poolmerge's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Merge three versions of a file (the git merge driver).
    ///
    /// Register it with
    ///   git config merge.poolmerge.driver "poolmerge merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"
    /// and a `merge=poolmerge` attribute. The result is written into OURS. Exit status:
    /// 0 clean, 1 conflicts remain (standard markers), 2 could not run (OURS untouched).
    /// POOLMERGE=0 in the environment makes it git's plain three-way merge.
    Merge(MergeArgs),
}

/// Arguments of `poolmerge merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The common ancestor's version (git's %O).
    pub base: PathBuf,
    /// Our version (git's %A); the merged file is written here.
    pub ours: PathBuf,
    /// Their version (git's %B).
    pub theirs: PathBuf,
    /// Label for the common ancestor in conflict markers (git's %S).
    #[arg(
        short = 's',
        long = "base-label",
        value_name = "LABEL",
        allow_hyphen_values = true
    )]
    pub base_label: Option<String>,
    /// Label for our side in conflict markers (git's %X).
    #[arg(
        short = 'x',
        long = "ours-label",
        value_name = "LABEL",
        allow_hyphen_values = true
    )]
    pub ours_label: Option<String>,
    /// Label for their side in conflict markers (git's %Y).
    #[arg(
        short = 'y',
        long = "theirs-label",
        value_name = "LABEL",
        allow_hyphen_values = true
    )]
    pub theirs_label: Option<String>,
    /// The path being merged (git's %P), used in messages and the log.
    #[arg(short = 'p', long, value_name = "PATH")]
    pub path: Option<String>,
    /// Conflict-marker size (git's %L); 0 means git's default, 7.
    #[arg(short = 'l', long = "marker-size", value_name = "N")]
    pub marker_size: Option<u16>,
    /// Conflict style [default: git's merge.conflictStyle, else merge].
    #[arg(long, value_enum, value_name = "STYLE")]
    pub style: Option<StyleArg>,
    /// Print the merged file on standard output and leave OURS untouched.
    #[arg(long)]
    pub stdout: bool,
    /// Print nothing on standard error but errors (the log still records decisions).
    #[arg(short, long)]
    pub quiet: bool,
}

/// A conflict style on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StyleArg {
    /// Ours and theirs.
    Merge,
    /// Ours, base and theirs.
    Diff3,
    /// Like diff3, common lines moved out of the block.
    Zdiff3,
}

impl From<StyleArg> for Style {
    fn from(s: StyleArg) -> Style {
        match s {
            StyleArg::Merge => Style::Merge,
            StyleArg::Diff3 => Style::Diff3,
            StyleArg::Zdiff3 => Style::Zdiff3,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn parses_the_driver_line() {
        let cli = Cli::try_parse_from([
            "poolmerge",
            "merge",
            "O",
            "A",
            "B",
            "-s",
            "",
            "-x",
            "HEAD",
            "-y",
            "-weird",
            "-p",
            "db/x.py",
            "-l",
            "9",
        ])
        .unwrap();
        let Command::Merge(m) = cli.command;
        assert_eq!(m.base_label.as_deref(), Some(""));
        assert_eq!(m.theirs_label.as_deref(), Some("-weird"));
        assert_eq!(m.marker_size, Some(9));
        assert!(Cli::try_parse_from(["poolmerge", "merge", "O", "A", "B", "-l", "x"]).is_err());
    }
}
