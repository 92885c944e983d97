//! Which side is the fork's: one rule for files, regions and imports. The fork is the
//! side that carries the pin (decided by content, so that a rebase, where git swaps the
//! sides, gives the same file).

use std::fmt;

/// One of the two sides git merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `%A`, the branch being merged into.
    Ours,
    /// `%B`, the branch being merged.
    Theirs,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Ours => Side::Theirs,
            Side::Theirs => Side::Ours,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        })
    }
}

/// How much of the pin one side carries, in a region, an import or a whole file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Evidence {
    /// Whether it carries all of the pin.
    pub whole: bool,
    /// How many of the pin's keywords, entries or names it carries.
    pub score: usize,
}

impl Evidence {
    /// A count alone (a whole file is scored, never "whole").
    pub(crate) fn score(score: usize) -> Evidence {
        Evidence {
            whole: false,
            score,
        }
    }
}

/// The fork's side: the side that carries the whole pin (ours when both do), else the
/// side that carries more of it. `None` on a tie: the caller's default decides (the
/// file's fork for a region, ours for a file).
pub(crate) fn fork_side(ours: Evidence, theirs: Evidence) -> Option<Side> {
    match (ours.whole, theirs.whole) {
        (true, _) => Some(Side::Ours),
        (false, true) => Some(Side::Theirs),
        _ if ours.score > theirs.score => Some(Side::Ours),
        _ if theirs.score > ours.score => Some(Side::Theirs),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_whole_pin_wins_then_the_larger_part_then_nobody() {
        let e = |whole, score| Evidence { whole, score };
        assert_eq!(fork_side(e(true, 3), e(true, 3)), Some(Side::Ours));
        assert_eq!(fork_side(e(false, 2), e(true, 3)), Some(Side::Theirs));
        assert_eq!(fork_side(e(true, 1), e(false, 2)), Some(Side::Ours));
        assert_eq!(fork_side(e(false, 1), e(false, 2)), Some(Side::Theirs));
        assert_eq!(fork_side(e(false, 2), e(false, 1)), Some(Side::Ours));
        assert_eq!(fork_side(Evidence::score(1), Evidence::score(1)), None);
    }
}
