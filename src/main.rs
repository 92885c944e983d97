use std::process::ExitCode;

use clap::Parser;
use clap::error::ErrorKind;
use poolmerge::cli::Cli;
use poolmerge::exit::Status;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return Status::Error.into();
        }
        Err(e) => {
            let text = e.render().to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            eprintln!(
                "poolmerge: {} (see poolmerge --help)",
                first.trim_start_matches("error: ")
            );
            return Status::Error.into();
        }
    };
    match poolmerge::app::run(cli) {
        Ok(status) => status.into(),
        Err(e) => {
            eprintln!("poolmerge: {e:#}");
            Status::Error.into()
        }
    }
}
