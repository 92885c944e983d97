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
#[command(
    name = "poolmerge",
    version,
    propagate_version = true,
    after_help = "Start here:\n  \
poolmerge demo                         # the main job, on an embedded example\n  \
poolmerge install --hooks              # in your fork: driver, attributes, hooks\n  \
poolmerge doctor                       # is it set up right?\n  \
poolmerge check --merge upstream/main  # before merging upstream"
)]
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
    /// `poolmerge install` registers it (with this binary's absolute path: git runs
    /// drivers with the PATH of whatever started the merge) and routes files to it with
    /// a `merge=poolmerge` attribute. The result is written into OURS. Exit status:
    /// 0 clean, 1 conflicts remain (standard markers), 2 could not run (OURS untouched).
    /// POOLMERGE=0 in the environment makes it git's plain three-way merge.
    #[command(after_help = "Examples:\n  \
git config merge.poolmerge.driver \"'$(command -v poolmerge)' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L\"\n  \
poolmerge merge base.py ours.py theirs.py --stdout            # try a merge by hand\n  \
POOLMERGE=0 git merge upstream/main                            # git's plain merge, once")]
    Merge(MergeArgs),
    /// Resolve the conflicts poolmerge owns that a merge, rebase or cherry-pick left.
    ///
    /// Without paths: every unmerged path whose merge attribute is poolmerge. Each is
    /// merged from its index stages as the driver would, written to the work tree, and
    /// marked resolved in the index (as `git add` would) when clean. A path named on the
    /// command line that has conflict markers but no index stages gets the blocks that
    /// concern only pool regions resolved. Exit status: 0 all resolved, 1 conflicts
    /// remain, 2 errors.
    #[command(after_help = "Examples:\n  \
poolmerge resolve                            # every unmerged path routed to poolmerge\n  \
poolmerge resolve --dry-run                  # say what would be resolved\n  \
poolmerge resolve database/traffic_db.py     # one file, even one with markers but no stages")]
    Resolve(ResolveArgs),
    /// Check that the files poolmerge owns carry the pin (for CI and pre-commit).
    ///
    /// Every tracked file whose merge attribute is poolmerge must hold no conflict
    /// markers, and every SQLite engine call in it must carry the pin. With --merge REF:
    /// merge REF into HEAD without touching refs, the index or the work tree, and report
    /// what would stay conflicted, what poolmerge would resolve, and what would arrive
    /// unpinned. Exit status: 0 clean, 1 findings, 2 errors.
    #[command(after_help = "Examples:\n  \
poolmerge check                                          # the work tree\n  \
poolmerge check --merge upstream/main                    # what merging upstream would do\n  \
poolmerge check --merge upstream/main --format github    # annotations in GitHub Actions")]
    Check(CheckArgs),
    /// Apply the pin to the files poolmerge owns (or the paths named).
    ///
    /// Every SQLite engine call gets the pin and the file imports it; nothing else
    /// changes. A call that cannot be pinned safely (connect_args that is not a dict
    /// literal) is reported, not rewritten. Exit status: 0 done, 1 something left (or,
    /// with --check, something to fix), 2 errors.
    #[command(after_help = "Examples:\n  \
poolmerge fix                           # pin every owned file in the work tree\n  \
poolmerge fix --check                   # exit 1 if a file needs the pin\n  \
poolmerge fix database/new_db.py        # one file\n  \
poolmerge fix --staged                  # what the pre-commit hooks run")]
    Fix(FixArgs),
    /// Register the merge driver (and, with --hooks, the hooks) in this repository.
    ///
    /// Writes merge.poolmerge.name and merge.poolmerge.driver (this binary by its
    /// absolute path, every placeholder) to the repository's config and the attribute
    /// line to .gitattributes (.git/info/attributes with --local). With --global, only
    /// the driver, in your global git config. Idempotent.
    #[command(after_help = "Examples:\n  \
poolmerge install                               # driver + database/*.py in .gitattributes\n  \
poolmerge install --hooks                       # and the hooks that pin upstream-only modules\n  \
poolmerge install --local --pattern 'app/db/*.py'\n  \
poolmerge install --global                      # the driver for every repository of yours")]
    Install(InstallArgs),
    /// Remove what `poolmerge install` wrote: the driver, its attribute lines, its hooks.
    #[command(after_help = "Examples:\n  \
poolmerge uninstall            # this repository\n  \
poolmerge uninstall --global   # and your global git config")]
    Uninstall(UninstallArgs),
    /// Print the profile poolmerge applies here, as TOML, and where it came from.
    ///
    /// The configuration is `[tool.poolmerge]` in pyproject.toml or the same keys in
    /// .poolmerge.toml: HEAD's committed one, else the work tree's, else the built-in
    /// StaticPool profile. Exit status: 0, or 2 when the configuration is invalid (one
    /// line naming the file and line).
    #[command(after_help = "Example:\n  \
poolmerge config    # the pins, the files, the source (docs/CONFIG.md has the schema)")]
    Config,
    /// Run poolmerge's part of a git hook (what `install --hooks` writes into the hooks).
    ///
    /// pre-commit pins the owned files the commit stages. post-merge replaces the merge
    /// commit this `git merge` just created by the same commit with upstream's new or
    /// changed modules pinned (a squash merge gets its staged result pinned; a
    /// fast-forward is never rewritten). post-commit does the same after the last pick
    /// of a cherry-pick, post-applypatch after the last patch of `git am`, and
    /// post-rewrite at the end of a rebase. Each step is one line on stderr. The hooks act
    /// only where `poolmerge install --hooks` set poolmerge.hooks; POOLMERGE=0 turns them
    /// off. Exit status: 0, or 1 when pre-commit cannot pin an owned file it stages.
    #[command(after_help = "Example:\n  \
poolmerge hook pre-commit    # what .git/hooks/pre-commit runs")]
    Hook(HookArgs),
    /// Check that poolmerge is set up right here, and say how to fix what is not.
    #[command(after_help = "Example:\n  \
poolmerge doctor    # run inside your fork")]
    Doctor,
    /// Show the main job on an embedded example, in a temporary repository.
    #[command(after_help = "Example:\n  \
cargo run --release -- demo")]
    Demo,
    /// Print shell completions.
    #[command(after_help = "Examples:\n  \
poolmerge completions bash > ~/.local/share/bash-completion/completions/poolmerge\n  \
poolmerge completions zsh > ~/.zfunc/_poolmerge\n  \
poolmerge completions fish > ~/.config/fish/completions/poolmerge.fish")]
    Completions(CompletionsArgs),
}

/// Arguments of `poolmerge install`.
#[derive(Debug, Args)]
pub struct InstallArgs {
    /// Register the driver in your global git config only (attributes stay per repository).
    #[arg(long)]
    pub global: bool,
    /// Write the attribute line to .git/info/attributes instead of .gitattributes.
    #[arg(long)]
    pub local: bool,
    /// The files to route to poolmerge (repeatable) [default: the configuration's `files`, else database/*.py].
    #[arg(long, value_name = "GLOB")]
    pub pattern: Vec<String>,
    /// Also install the hooks that pin the files no merge driver sees (git calls a
    /// driver only for files both sides changed): pre-commit, post-merge, post-commit,
    /// post-applypatch and post-rewrite, so that git merge, pull, rebase, cherry-pick
    /// and am end pinned and committed.
    #[arg(long)]
    pub hooks: bool,
    /// Allow --hooks to write into a core.hooksPath set in your global or system git
    /// config, which every repository shares (the hooks act only where install --hooks ran).
    #[arg(long, requires = "hooks")]
    pub shared_hooks: bool,
}

/// Arguments of `poolmerge hook`.
#[derive(Debug, Args)]
pub struct HookArgs {
    /// The hook: pre-commit, post-merge, post-commit, post-applypatch or post-rewrite.
    #[arg(value_parser = ["pre-commit", "post-merge", "post-commit", "post-applypatch", "post-rewrite"])]
    pub name: String,
    /// The arguments git gave the hook.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    pub args: Vec<String>,
}

/// Arguments of `poolmerge uninstall`.
#[derive(Debug, Args)]
pub struct UninstallArgs {
    /// Also remove the driver from your global git config.
    #[arg(long)]
    pub global: bool,
    /// Also remove poolmerge's hooks from a core.hooksPath shared by every repository
    /// (from your global or system git config).
    #[arg(long)]
    pub shared_hooks: bool,
}

/// Arguments of `poolmerge completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

/// Arguments of `poolmerge resolve`.
#[derive(Debug, Args)]
pub struct ResolveArgs {
    /// Paths to resolve [default: every unmerged path routed to poolmerge].
    pub paths: Vec<PathBuf>,
    /// Report what would be done; write nothing.
    #[arg(short = 'n', long)]
    pub dry_run: bool,
    /// Print only the per-file lines, not the decisions.
    #[arg(short, long)]
    pub quiet: bool,
}

/// Arguments of `poolmerge check`.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Check a merge of REF into HEAD instead of the work tree (e.g. upstream/main).
    #[arg(long, value_name = "REF")]
    pub merge: Option<String>,
    /// With --merge: predict the merge as `install --hooks` makes it (the strategy and
    /// the hooks pin what the merge brings) even where they are not installed here, as
    /// in CI. Where they are installed, that is the default.
    #[arg(long, requires = "merge")]
    pub with_hooks: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    pub format: Format,
    /// Succeed when no file is routed to poolmerge (by default that is an error: a
    /// check of nothing would pass).
    #[arg(long)]
    pub allow_empty: bool,
}

/// How `check` prints its findings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// `path:line: message` lines.
    Text,
    /// One JSON object.
    Json,
    /// GitHub Actions annotations (`::error file=...,line=...::message`).
    Github,
    /// A Markdown table and verdict, for a CI job summary (`$GITHUB_STEP_SUMMARY`).
    Markdown,
}

/// Arguments of `poolmerge fix`.
#[derive(Debug, Args)]
pub struct FixArgs {
    /// Files to pin [default: every tracked file routed to poolmerge].
    pub paths: Vec<PathBuf>,
    /// Change nothing; exit 1 when a file needs the pin.
    #[arg(long, conflicts_with = "staged")]
    pub check: bool,
    /// Pin the staged version of each owned file the commit changes (the index git is
    /// committing, from GIT_INDEX_FILE) and its work-tree file, staging nothing else:
    /// what the pre-commit hook does.
    #[arg(long)]
    pub staged: bool,
    /// Succeed when no file is routed to poolmerge (by default that is an error).
    #[arg(long)]
    pub allow_empty: bool,
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
        let Command::Merge(m) = cli.command else {
            panic!("merge parses as merge");
        };
        assert_eq!(m.base_label.as_deref(), Some(""));
        assert_eq!(m.theirs_label.as_deref(), Some("-weird"));
        assert_eq!(m.marker_size, Some(9));
        assert!(Cli::try_parse_from(["poolmerge", "merge", "O", "A", "B", "-l", "x"]).is_err());
    }
}
