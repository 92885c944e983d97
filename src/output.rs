//! Standard output, its write errors checked where they happen: a closed pipe
//! (`poolmerge check | head -1`) ends the command quietly with the status of a process
//! SIGPIPE killed (141), as git's commands end; any other write error (a full disk)
//! is one line on stderr and exit 2 (`main` does both, from [`WriteError`]).

use std::fmt;
use std::io::{self, Write};

/// Standard output could not be written.
#[derive(Debug)]
pub struct WriteError(pub io::Error);

impl fmt::Display for WriteError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "cannot write the output: {}", self.0)
    }
}

impl std::error::Error for WriteError {}

impl WriteError {
    /// Whether the reader went away (a closed pipe): nothing to say, exit 141.
    pub fn closed_pipe(&self) -> bool {
        self.0.kind() == io::ErrorKind::BrokenPipe
    }
}

/// Writes to standard output and flushes it, so that an error is seen here and not
/// lost at exit.
pub fn write(args: fmt::Arguments) -> Result<(), WriteError> {
    let mut out = io::stdout().lock();
    out.write_fmt(args)
        .and_then(|()| out.flush())
        .map_err(WriteError)
}

/// `print!` whose write error is returned ([`WriteError`]).
#[macro_export]
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write(format_args!($($arg)*))
    };
}

/// `println!` whose write error is returned ([`WriteError`]).
#[macro_export]
macro_rules! outln {
    () => {
        $crate::output::write(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// Writes one line to standard error. Where that is a closed pipe, the process ends as
/// SIGPIPE would end it (141); where it cannot be written otherwise, with exit 2, as
/// there is nowhere left to say why. (A closed descriptor, `2>&-`, is no error: Rust's
/// standard library writes nothing there.)
pub fn error_line(args: fmt::Arguments) {
    error_text(format_args!("{args}\n"));
}

/// [`error_line`] without the end of line: text that carries its own.
pub fn error_text(args: fmt::Arguments) {
    let mut err = io::stderr().lock();
    if let Err(e) = err.write_fmt(args) {
        std::process::exit(if e.kind() == io::ErrorKind::BrokenPipe {
            141
        } else {
            2
        });
    }
}

/// `eprintln!` that ends the process as [`error_line`] says where stderr cannot be
/// written, instead of panicking.
#[macro_export]
macro_rules! errln {
    ($($arg:tt)*) => {
        $crate::output::error_line(format_args!($($arg)*))
    };
}
