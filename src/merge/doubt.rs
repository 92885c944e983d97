//! Why the engine leaves a file to git's plain merge (M11), why it merges the pinned
//! versions instead, and why it could not merge at all: typed, so that code decides on
//! kinds, and words are only for the user.

use std::fmt;

use super::regions::RegionError;
use crate::python::ScanError;

/// A version of the merge: base, ours or theirs.
pub(super) type VersionName = &'static str;

/// Why the engine doubted its own merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Doubt {
    /// A version's pool code was not scanned (a limit passed).
    Scan {
        version: VersionName,
        error: ScanError,
    },
    /// A version's pool code could not be cut into regions.
    Regions {
        version: VersionName,
        error: RegionError,
    },
    /// Taking one side in every conflict block would not give a working module.
    BrokenSides,
    /// A side holds the engines in another order and the lines around them conflict.
    Reordered,
    /// The engine failed or panicked (the message says where).
    Internal(String),
    /// The merged file, read again, fails its check (this finding).
    Unverified(String),
}

impl fmt::Display for Doubt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Doubt::Scan { version, error } => write!(f, "{version}: {error}"),
            Doubt::Regions { version, error } => write!(f, "{version}: {error}"),
            Doubt::BrokenSides => {
                f.write_str("taking one side in every conflict would not give a working module")
            }
            Doubt::Reordered => f.write_str(
                "a side holds the engines in another order and the lines around them conflict",
            ),
            Doubt::Internal(what) => f.write_str(what),
            Doubt::Unverified(what) => write!(f, "the merged file fails its check ({what})"),
        }
    }
}

/// The line merge's error (`linemerge`): binary input, the histogram giving up, or
/// `git merge-file` failing.
pub use linemerge::Error as LineMergeError;

/// Why no merge was made, not even git's plain one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// The line merge failed.
    LineMerge(LineMergeError),
    /// A region's placeholder was left in the result (a bug: the file is not written).
    PlaceholderSurvived,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::LineMerge(e) => e.fmt(f),
            Error::PlaceholderSurvived => {
                f.write_str("internal error: a region placeholder survived")
            }
        }
    }
}

impl std::error::Error for Error {}

impl From<LineMergeError> for Error {
    fn from(e: LineMergeError) -> Error {
        Error::LineMerge(e)
    }
}

/// The engine's result.
pub type Result<T> = std::result::Result<T, Error>;
