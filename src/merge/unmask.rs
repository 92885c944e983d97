//! Putting merged regions back in place of their placeholders: in a conflict block of
//! the line merge, each section takes that side's own version.

use std::borrow::Cow;

use super::line::{Block, Piece};
use super::placeholders::Variant;
use super::*;

/// The region indices of a group, by version.
pub(super) fn member(g: &Group) -> [Option<usize>; 3] {
    [g.base, g.ours, g.theirs]
}

/// Where a line of the line merge's output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Section {
    Outside,
    Ours,
    Base,
    Theirs,
}

/// `text` without the base sections (`|||||||` to `=======`) of its conflict blocks.
pub(super) fn without_base_sections<'t>(
    text: &'t [u8],
    markers: &LazyMarkers,
) -> std::borrow::Cow<'t, [u8]> {
    // The base marker's line depends on the label alone: without it, no style is looked
    // up.
    let base = markers.known().base_line();
    if !contains(text, &base) || markers.get().style == crate::conflict::Style::Merge {
        return std::borrow::Cow::Borrowed(text);
    }
    let sep = markers.get().separator_line();
    let mut out = Vec::with_capacity(text.len());
    let mut in_base = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = split_eol(line).0;
        if body == base {
            in_base = true;
        } else if in_base && body == sep {
            in_base = false;
        }
        if !in_base {
            out.extend_from_slice(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A region's text with the end of line the merge chose for its placeholder line (the
/// side that normalised the file's line endings, say), when the text uses the other
/// one throughout; mixed or matching text is kept as it is.
fn with_eol<'t>(text: &'t [u8], eol: &[u8]) -> std::borrow::Cow<'t, [u8]> {
    use std::borrow::Cow;
    let newlines = memchr::memchr_iter(b'\n', text).count();
    if newlines == 0 || eol.is_empty() {
        return Cow::Borrowed(text);
    }
    let crlf = memchr::memchr_iter(b'\n', text)
        .filter(|&i| i > 0 && text[i - 1] == b'\r')
        .count();
    match (eol, crlf) {
        (b"\n", n) if n == newlines => {
            let mut out = Vec::with_capacity(text.len());
            for (i, &b) in text.iter().enumerate() {
                if !(b == b'\r' && text.get(i + 1) == Some(&b'\n')) {
                    out.push(b);
                }
            }
            Cow::Owned(out)
        }
        (b"\r\n", 0) => {
            let mut out = Vec::with_capacity(text.len() + newlines);
            for &b in text {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text),
    }
}

/// What replaces a placeholder line: `None` keeps the line as it is, `Some(None)`
/// drops it (with its end of line), `Some(Some(text))` replaces its content.
pub(super) type Lookup<'l> = dyn FnMut(usize, Variant, Section) -> Option<Option<Vec<u8>>> + 'l;

/// Replaces placeholder lines, walking the merge's pieces: text is outside any block,
/// and each section of a block is that side's (or the base's).
pub(super) fn unmask<'a>(
    pieces: Vec<Piece<'a>>,
    placeholders: &Placeholders,
    lookup: &mut Lookup,
) -> Vec<Piece<'a>> {
    pieces
        .into_iter()
        .map(|piece| match piece {
            Piece::Text(t) => Piece::Text(replace(t, Section::Outside, placeholders, lookup)),
            Piece::Conflict(b) => Piece::Conflict(Block {
                ours: replace(b.ours, Section::Ours, placeholders, lookup),
                base: replace(b.base, Section::Base, placeholders, lookup),
                theirs: replace(b.theirs, Section::Theirs, placeholders, lookup),
                crlf: b.crlf,
            }),
        })
        .collect()
}

/// The placeholder lines of one piece (or section) replaced.
fn replace<'a>(
    text: Cow<'a, [u8]>,
    section: Section,
    placeholders: &Placeholders,
    lookup: &mut Lookup,
) -> Cow<'a, [u8]> {
    if !contains(&text, placeholders.prefix().as_bytes()) {
        return text;
    }
    let mut out = Vec::with_capacity(text.len() * 2);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (body, eol) = split_eol(line);
        if let Some((g, variant)) = placeholders.parse(body)
            && let Some(replacement) = lookup(g, variant, section)
        {
            if let Some(t) = replacement {
                out.extend_from_slice(&with_eol(&t, eol));
                out.extend_from_slice(eol);
            }
            continue;
        }
        out.extend_from_slice(line);
    }
    Cow::Owned(out)
}
