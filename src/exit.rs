//! The exit-code contract, in one place.
//!
//! git reads a merge driver's status: 0 means the file merged cleanly, any status from
//! 1 to 128 means "conflicted" (git keeps whatever OURS holds), and a status above 128
//! makes git abort the whole merge. poolmerge therefore uses 1 for conflicts, 2 for
//! "could not run" (OURS untouched), and 129 only when not even git's plain merge could
//! be produced, so that git stops instead of recording a wrong file.

use std::process::ExitCode;

/// What a command ended with; `main` turns it into the process status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Everything merged (or checked) cleanly.
    Clean,
    /// Conflicts remain; the file holds standard conflict markers.
    Conflicts,
    /// The command could not run: bad arguments or an unreadable input.
    Error,
    /// Not even git's plain merge could be produced: git must abort the merge.
    Fatal,
}

impl Status {
    /// The numeric process status for this outcome.
    pub fn code(self) -> u8 {
        match self {
            Status::Clean => 0,
            Status::Conflicts => 1,
            Status::Error => 2,
            Status::Fatal => 129,
        }
    }
}

impl From<Status> for ExitCode {
    fn from(status: Status) -> ExitCode {
        ExitCode::from(status.code())
    }
}
