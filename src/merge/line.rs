//! The plain three-way line merge, behind a small trait.
//!
//! Everything outside a pool region must merge exactly as `git merge` merges it. git's
//! merge (`ort`) uses xdiff with the histogram diff; the exact reference is
//! `git merge-file --diff-algorithm=histogram`. The `linemerge` crate does that natively
//! (`NativeMerge`) and runs the process itself (`GitMergeFile`,
//! `POOLMERGE_LINE_MERGE=git`). The trait keeps the engine pure (bytes in, bytes out).

use crate::conflict::Markers;
use crate::merge::Result;
pub use linemerge::Merged as LineMerged;
pub use linemerge::git::GitMergeFile;

/// A three-way line merge with git's semantics, byte for byte. `Sync`: `check --merge`
/// merges files on several threads.
pub trait LineMerge: Sync {
    /// Merges `ours` and `theirs` against their common ancestor `base`.
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<LineMerged>;

    /// Told, before a merge of masked texts, where regions were folded into one line
    /// each in OURS and THEIRS (`(line, extra lines)`, 1-based): a merge that reports
    /// lines (another pin's engine) gives them in the unmasked files. Most line merges
    /// report no lines and ignore it.
    fn folded(&self, _ours: &[(usize, usize)], _theirs: &[(usize, usize)]) {}
}

impl LineMerge for GitMergeFile {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<LineMerged> {
        Ok(GitMergeFile::merge(self, base, ours, theirs, markers)?)
    }
}

/// The native line merge (`linemerge::merge`); files of 4 GiB and more, which its
/// 32-bit line offsets cannot hold, go to `git merge-file`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeMerge;

impl LineMerge for NativeMerge {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<LineMerged> {
        match linemerge::merge(base, ours, theirs, markers) {
            Err(linemerge::Error::TooLarge) => {
                Ok(GitMergeFile::default().merge(base, ours, theirs, markers)?)
            }
            other => Ok(other?),
        }
    }
}

/// Splits a line into its content and its end of line (`\n`, `\r\n` or nothing).
pub(crate) fn split_eol(line: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = line.strip_suffix(b"\r\n") {
        (body, &line[body.len()..])
    } else if let Some(body) = line.strip_suffix(b"\n") {
        (body, &line[body.len()..])
    } else {
        (line, &[])
    }
}
