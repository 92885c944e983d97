use std::io::IsTerminal;
use std::process::ExitCode;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};
use poolmerge::cli::Cli;
use poolmerge::exit::Status;
use poolmerge::output::WriteError;

fn main() -> ExitCode {
    // Called as git-merge-poolmerge: the merge strategy git runs (pull.twohead).
    let mut argv = std::env::args_os();
    let called = argv.next().unwrap_or_default();
    let stem = std::path::Path::new(&called)
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    if stem == "git-merge-poolmerge" {
        let args: Vec<String> = argv.map(|a| a.to_string_lossy().into_owned()).collect();
        return ExitCode::from(poolmerge::merge_strategy(&args));
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            // Written as every other output is, its write error checked; in colour
            // only on a terminal, and never with NO_COLOR set.
            let help = e.render();
            let colour = std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none();
            let written = if colour {
                poolmerge::out!("{}", help.ansi())
            } else {
                poolmerge::out!("{help}")
            };
            return match written {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => write_failed(&e),
            };
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return Status::Error.into();
        }
        Err(e) => {
            let hint = suggestion(&e).map_or(String::new(), |s| format!("; did you mean {s}?"));
            poolmerge::errln!("poolmerge: {}{hint} (see poolmerge --help)", one_line(&e));
            return Status::Error.into();
        }
    };
    match poolmerge::app::run(cli) {
        Ok(status) => status.into(),
        Err(e) => match e.downcast_ref::<WriteError>() {
            Some(w) => write_failed(w),
            None => {
                poolmerge::errln!("poolmerge: {}", poolmerge::exit::one_line(&e));
                Status::Error.into()
            }
        },
    }
}

/// Standard output could not be written: a closed pipe (`poolmerge completions zsh |
/// head -1`) ends quietly with the status of a process SIGPIPE killed (141), as git's
/// commands end; any other write error with one line on stderr and exit 2.
fn write_failed(e: &WriteError) -> ExitCode {
    if e.closed_pipe() {
        return ExitCode::from(141);
    }
    poolmerge::errln!("poolmerge: {e}");
    Status::Error.into()
}

/// What clap suggests for a mistyped subcommand, argument or value: `'check'`.
fn suggestion(e: &clap::Error) -> Option<String> {
    [
        ContextKind::SuggestedSubcommand,
        ContextKind::SuggestedArg,
        ContextKind::SuggestedValue,
    ]
    .into_iter()
    .find_map(|kind| match e.get(kind)? {
        ContextValue::String(s) => Some(format!("'{s}'")),
        ContextValue::Strings(v) if !v.is_empty() => Some(
            v.iter()
                .map(|s| format!("'{s}'"))
                .collect::<Vec<_>>()
                .join(" or "),
        ),
        _ => None,
    })
}

/// clap's message in one line: its first line, and where that ends with a colon, the
/// indented lines that follow it (the arguments missing), joined.
fn one_line(e: &clap::Error) -> String {
    let text = e.render().to_string();
    let mut lines = text.lines();
    let first = lines
        .next()
        .unwrap_or("invalid arguments")
        .trim_start_matches("error: ")
        .to_string();
    if !first.ends_with(':') {
        return first;
    }
    let listed: Vec<&str> = lines
        .take_while(|l| l.starts_with(' ') || l.starts_with('\t'))
        .map(str::trim)
        .collect();
    format!("{first} {}", listed.join(", "))
}
