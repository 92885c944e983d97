//! Putting merged regions back in place of their placeholders: in a conflict block of
//! the line merge, each section takes that side's own version.

use super::placeholders::Variant;
use super::*;

/// A merged engine region must parse and hold its engine call; otherwise the engine
/// is not to be trusted with this file.
pub(super) fn region_parses(text: &[u8], pin: &Pin) -> bool {
    // Comment lines may be indented freely; the statement's own line is not.
    let mut src = Vec::with_capacity(text.len());
    let mut in_statement = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let n = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !in_statement && line.get(n) != Some(&b'#') {
            in_statement = true;
            src.extend_from_slice(&line[n..]);
        } else {
            src.extend_from_slice(line);
        }
    }
    python::scan(&src, &pin.targets())
        .is_some_and(|s| s.errors.is_empty() && !s.statements.is_empty())
}

/// The top-level package of a module path (`sqlalchemy` for `sqlalchemy.pool`).
pub(super) fn package_of(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

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

/// Replaces placeholder lines. `lookup(group, variant, section)` gives `None` to keep
/// the line as it is, `Some(None)` to drop it (with its end of line), and
/// `Some(Some(text))` to replace its content.
/// `text` without the base sections (`|||||||` to `=======`) of its conflict blocks.
pub(super) fn without_base_sections<'t>(
    text: &'t [u8],
    markers: &Markers,
) -> std::borrow::Cow<'t, [u8]> {
    let (base, sep) = (markers.base_line(), markers.separator_line());
    if markers.style == crate::conflict::Style::Merge || !contains(text, &base) {
        return std::borrow::Cow::Borrowed(text);
    }
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

pub(super) fn unmask(
    text: &[u8],
    extra: usize,
    placeholders: &Placeholders,
    markers: &Markers,
    lookup: &mut dyn FnMut(usize, Variant, Section) -> Option<Option<Vec<u8>>>,
) -> Vec<u8> {
    let (open, base, sep, close) = (
        markers.open_line(),
        markers.base_line(),
        markers.separator_line(),
        markers.close_line(),
    );
    let mut section = Section::Outside;
    // `extra`: at least what the replacements add, so that the buffer is allocated once.
    let mut out = Vec::with_capacity(text.len() + extra);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (body, eol) = split_eol(line);
        match section {
            Section::Outside if body == open => section = Section::Ours,
            Section::Ours if body == base => section = Section::Base,
            Section::Ours | Section::Base if body == sep => section = Section::Theirs,
            Section::Theirs if body == close => section = Section::Outside,
            _ => {}
        }
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
    out
}
