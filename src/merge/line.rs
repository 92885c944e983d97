//! The plain three-way line merge, behind a small trait.
//!
//! Everything outside a pool region must merge exactly as `git merge` merges it. git's
//! merge (`ort`) uses xdiff with the histogram diff; the exact reference is
//! `git merge-file --diff-algorithm=histogram`. The `linemerge` crate does that natively
//! (`NativeMerge`) and runs the process itself (`GitMergeFile`,
//! `POOLMERGE_LINE_MERGE=git`). The trait keeps the engine pure (bytes in, bytes out).

use crate::conflict::LazyMarkers;
use crate::merge::Result;
pub use linemerge::git::GitMergeFile;
pub use linemerge::{Block, Merged as LineMerged, Piece};

/// A three-way line merge with git's semantics, byte for byte. `Sync`: `check --merge`
/// merges files on several threads. The markers' style is asked for only when the
/// merge conflicts.
pub trait LineMerge: Sync {
    /// Merges `ours` and `theirs` against their common ancestor `base`.
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &LazyMarkers,
    ) -> Result<LineMerged>;

    /// The same merge as pieces (text, and conflict blocks before their markers are
    /// written). By default the merged text read back ([`linemerge::parse`]); the
    /// native merge makes them directly.
    fn pieces<'t>(
        &self,
        base: &'t [u8],
        ours: &'t [u8],
        theirs: &'t [u8],
        markers: &LazyMarkers,
    ) -> Result<Vec<Piece<'t>>> {
        let merged = self.merge(base, ours, theirs, markers)?;
        let markers = if merged.conflicts > 0 {
            markers.get()
        } else {
            markers.known()
        };
        Ok(read_back(&merged.content, markers))
    }
}

/// A merged text read back into pieces that own their bytes.
fn read_back(content: &[u8], markers: &crate::conflict::Markers) -> Vec<Piece<'static>> {
    linemerge::parse(content, markers)
        .into_iter()
        .map(owned)
        .collect()
}

/// A piece that owns its bytes.
fn owned(piece: Piece<'_>) -> Piece<'static> {
    use std::borrow::Cow::Owned;
    match piece {
        Piece::Text(t) => Piece::Text(Owned(t.into_owned())),
        Piece::Conflict(b) => Piece::Conflict(Block {
            ours: Owned(b.ours.into_owned()),
            base: Owned(b.base.into_owned()),
            theirs: Owned(b.theirs.into_owned()),
            crlf: b.crlf,
        }),
    }
}

/// Writes pieces with their markers; the style is looked up only when a piece is a
/// conflict.
pub(crate) fn render(pieces: &[Piece], markers: &LazyMarkers) -> LineMerged {
    if pieces.iter().any(|p| matches!(p, Piece::Conflict(_))) {
        linemerge::render(pieces, markers.get())
    } else {
        linemerge::render(pieces, markers.known())
    }
}

impl LineMerge for GitMergeFile {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &LazyMarkers,
    ) -> Result<LineMerged> {
        Ok(GitMergeFile::merge(
            self,
            base,
            ours,
            theirs,
            markers.get(),
        )?)
    }
}

/// The native line merge (`linemerge`); files of 4 GiB and more, which its 32-bit line
/// offsets cannot hold, go to `git merge-file`.
#[derive(Debug, Clone, Copy, Default)]
pub struct NativeMerge;

impl LineMerge for NativeMerge {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &LazyMarkers,
    ) -> Result<LineMerged> {
        Ok(render(&self.pieces(base, ours, theirs, markers)?, markers))
    }

    fn pieces<'t>(
        &self,
        base: &'t [u8],
        ours: &'t [u8],
        theirs: &'t [u8],
        markers: &LazyMarkers,
    ) -> Result<Vec<Piece<'t>>> {
        // git merge's own level (the tests compare with `git merge-file` where the
        // two levels agree, and with real merges where they do not).
        match linemerge::plan(base, ours, theirs).map(|p| p.with_level(linemerge::Level::Zealous)) {
            Err(linemerge::Error::TooLarge) => {
                let merged = GitMergeFile::default().merge(base, ours, theirs, markers.get())?;
                Ok(read_back(&merged.content, markers.get()))
            }
            Err(e) => Err(e.into()),
            Ok(plan) => {
                // Without a conflict before refinement, every style merges alike.
                let style = if plan.has_conflicts() {
                    markers.get().style
                } else {
                    markers.known().style
                };
                Ok(plan.pieces(style)?)
            }
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;
    use crate::conflict::{Markers, Style};
    use crate::merge::{Input, Options, merge};

    const ENGINE: &str = "from sqlalchemy.pool import NullPool\ne = create_engine(\"sqlite:///x.db\", poolclass=NullPool)\n";

    /// Options whose style lookup counts its calls.
    fn counted(asked: &Arc<AtomicUsize>) -> Options {
        let asked = asked.clone();
        let markers = LazyMarkers::with_lookup(Markers::default(), move || {
            asked.fetch_add(1, Ordering::SeqCst);
            Style::Diff3
        });
        Options::for_pins(markers, &[])
    }

    #[test]
    fn the_style_is_looked_up_once_and_only_for_a_conflict() {
        let asked = Arc::new(AtomicUsize::new(0));
        let opts = counted(&asked);
        let texts = |x: &str| format!("{ENGINE}x = {x}\ny = 0\n").into_bytes();
        let (base, ours, theirs) = (texts("1"), texts("2"), texts("1"));
        let clean = Input {
            base: &base,
            ours: &ours,
            theirs: &theirs,
        };
        let out = merge(&clean, &opts, &NativeMerge).unwrap();
        assert_eq!((out.conflicts, asked.load(Ordering::SeqCst)), (0, 0));

        let theirs = texts("3");
        let conflicting = Input {
            theirs: &theirs,
            ..clean
        };
        let out = merge(&conflicting, &opts, &NativeMerge).unwrap();
        assert_eq!(out.conflicts, 1);
        assert_eq!(asked.load(Ordering::SeqCst), 1);
        // The style looked up is the one written: diff3's base section.
        let text = String::from_utf8(out.content).unwrap();
        assert!(text.contains("|||||||\nx = 1\n=======\n"), "{text}");
        assert!(text.contains("StaticPool"), "{text}");
    }

    #[test]
    fn pieces_read_back_from_git_match_the_native_pieces() {
        let markers = LazyMarkers::from(Markers {
            style: Style::Zdiff3,
            ours: Some("ours".into()),
            ..Markers::default()
        });
        let (b, o, t) = (
            b"a\nb\nc\nd\n".as_slice(),
            b"a\nB\nc\nD\n".as_slice(),
            b"a\nb2\nc\nD\n".as_slice(),
        );
        let native = NativeMerge.pieces(b, o, t, &markers).unwrap();
        let git = GitMergeFile::default().pieces(b, o, t, &markers).unwrap();
        assert_eq!(render(&native, &markers), render(&git, &markers));
        // Text may be split differently; the blocks are the same.
        fn blocks<'a>(p: &[Piece<'a>]) -> Vec<Block<'a>> {
            p.iter()
                .filter_map(|p| match p {
                    Piece::Conflict(b) => Some(b.clone()),
                    Piece::Text(_) => None,
                })
                .collect()
        }
        assert_eq!(blocks(&native), blocks(&git));
        assert_eq!(blocks(&native).len(), 1);
    }
}
