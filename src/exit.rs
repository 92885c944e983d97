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

/// An error in one line, its causes after colons, as `{e:#}` prints it, except that
/// libgit2's errors give their message only: its class and code numbers
/// (`class=Reference (4); code=NotFound (-3)`) mean nothing to a user.
pub fn one_line(e: &anyhow::Error) -> String {
    e.chain()
        .map(|cause| match cause.downcast_ref::<git2::Error>() {
            Some(git) => git.message().to_string(),
            None => cause.to_string(),
        })
        .collect::<Vec<_>>()
        .join(": ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn libgit2_errors_say_their_message_only() {
        let git = git2::Error::new(
            git2::ErrorCode::NotFound,
            git2::ErrorClass::Reference,
            "revspec 'x' not found",
        );
        assert!(git.to_string().contains("class="), "{git}");
        let e = anyhow::Error::new(git).context("unknown revision x");
        assert_eq!(one_line(&e), "unknown revision x: revspec 'x' not found");
        let plain = anyhow::anyhow!("inner").context("outer");
        assert_eq!(one_line(&plain), format!("{plain:#}"));
    }
}
