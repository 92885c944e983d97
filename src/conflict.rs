//! Conflict blocks already in a file: the one parser of complete blocks ([`blocks`]),
//! their labels, and the text a user gets by taking one side in every block. The styles, markers and the
//! rendering of a block are the line merge's (`linemerge`), re-exported here.

pub use linemerge::{DEFAULT_MARKER_SIZE, Markers, Style};

use std::ops::Range;
use std::sync::{Arc, OnceLock};

/// How the style is learnt when it is not known up front.
type StyleLookup = Arc<dyn Fn() -> Style + Send + Sync>;

/// Conflict markers whose style is known, or looked up the first time a conflict needs
/// it: the driver reads git's `merge.conflictStyle` only for a merge that conflicts,
/// and merges once whatever the answer. Clones share the answer.
#[derive(Clone)]
pub struct LazyMarkers {
    /// Size and labels, and the style when there is no lookup.
    known: Markers,
    lookup: Option<StyleLookup>,
    resolved: Arc<OnceLock<Markers>>,
}

impl std::fmt::Debug for LazyMarkers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LazyMarkers")
            .field("known", &self.known)
            .field("lookup", &self.lookup.is_some())
            .field("resolved", &self.resolved.get().map(|m| m.style))
            .finish()
    }
}

impl From<Markers> for LazyMarkers {
    fn from(known: Markers) -> LazyMarkers {
        LazyMarkers {
            known,
            lookup: None,
            resolved: Arc::default(),
        }
    }
}

impl LazyMarkers {
    /// Markers whose style `lookup` gives, asked at most once and only when a
    /// conflict is written.
    pub fn with_lookup(
        known: Markers,
        lookup: impl Fn() -> Style + Send + Sync + 'static,
    ) -> LazyMarkers {
        LazyMarkers {
            known,
            lookup: Some(Arc::new(lookup)),
            resolved: Arc::default(),
        }
    }

    /// The markers, style included (looked up now if it has to be).
    pub fn get(&self) -> &Markers {
        match &self.lookup {
            None => &self.known,
            Some(lookup) => self.resolved.get_or_init(|| Markers {
                style: lookup(),
                ..self.known.clone()
            }),
        }
    }

    /// The markers as far as they are known without a lookup: right for everything
    /// but the style.
    pub fn known(&self) -> &Markers {
        self.resolved.get().unwrap_or(&self.known)
    }

    /// The marker size.
    pub fn size(&self) -> usize {
        self.known.size
    }
}

/// Whether `line` (without end of line) is a marker of `size` characters `ch`, followed
/// by nothing or a space and a label.
fn is_marker(line: &[u8], ch: u8, size: usize) -> bool {
    line.len() >= size
        && line[..size].iter().all(|&b| b == ch)
        && (line.len() == size || line[size] == b' ')
}

/// Whether `line` is the separator of a block: exactly `size` `=`.
fn is_separator(line: &[u8], size: usize) -> bool {
    line.len() == size && line.iter().all(|&b| b == b'=')
}

/// One complete conflict block of a file: byte ranges, each section whole lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Block {
    /// From the `<<<<<<<` line's start to the end of the `>>>>>>>` line (its end of
    /// line included).
    pub range: Range<usize>,
    /// The ours section.
    pub ours: Range<usize>,
    /// The base section, for diff3 and zdiff3 blocks.
    pub base: Option<Range<usize>>,
    /// The theirs section.
    pub theirs: Range<usize>,
}

impl Block {
    /// The label on the opening marker line.
    fn label(text: &[u8], line: Range<usize>, size: usize) -> Option<String> {
        let line = &text[line];
        let line = line.strip_suffix(b"\n").unwrap_or(line);
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        (line.len() > size + 1).then(|| String::from_utf8_lossy(&line[size + 1..]).into_owned())
    }
}

/// The complete conflict blocks of marker size `size` in `text`: a `<<<<<<<` line, an
/// optional `|||||||` line, a `=======` line and a `>>>>>>>` line, in that order (an
/// opening line inside the ours section starts the block again). The one parser of
/// conflict blocks: resolve, check, the hooks and the merge's checks of its own
/// result all read blocks through it.
pub(crate) fn blocks(text: &[u8], size: usize) -> Vec<Block> {
    // Most files hold no opening marker at all.
    if size == 0 || memchr::memmem::find(text, &vec![b'<'; size]).is_none() {
        return Vec::new();
    }
    let mut found = Vec::new();
    let mut pos = 0;
    // The open block's start and its ours section's start; the base marker line; the
    // separator line.
    let mut open: Option<(usize, usize)> = None;
    let mut base: Option<(usize, usize)> = None;
    let mut sep: Option<(usize, usize)> = None;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let start = pos;
        pos += line.len();
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        match (open, sep) {
            (None, _) if is_marker(body, b'<', size) => {
                open = Some((start, pos));
                base = None;
            }
            (Some(_), None) if is_marker(body, b'<', size) => {
                open = Some((start, pos));
                base = None;
            }
            (Some(_), None) if base.is_none() && is_marker(body, b'|', size) => {
                base = Some((start, pos));
            }
            (Some(_), None) if is_separator(body, size) => sep = Some((start, pos)),
            (Some((block_start, ours_start)), Some((sep_start, sep_end)))
                if is_marker(body, b'>', size) =>
            {
                found.push(Block {
                    range: block_start..pos,
                    ours: ours_start..base.map_or(sep_start, |b| b.0),
                    base: base.map(|b| b.1..sep_start),
                    theirs: sep_end..start,
                });
                (open, base, sep) = (None, None, None);
            }
            _ => {}
        }
    }
    found
}

/// The labels of the first complete conflict block (ours, base, theirs), so that a
/// file re-merged later keeps the names git gave its sides.
pub(crate) fn first_labels(
    text: &[u8],
    size: usize,
) -> Option<(Option<String>, Option<String>, Option<String>)> {
    let b = blocks(text, size).into_iter().next()?;
    let base = b
        .base
        .as_ref()
        .map(|base| Block::label(text, b.ours.end..base.start, size));
    Some((
        Block::label(text, b.range.start..b.ours.start, size),
        base.flatten(),
        Block::label(text, b.theirs.end..b.range.end, size),
    ))
}

/// The text with ours, and the text with theirs, taken in every conflict block of
/// marker size `size`, and how many blocks there are: what a user gets by resolving
/// every block one way.
pub fn sides(text: &[u8], size: usize) -> (usize, Vec<u8>, Vec<u8>) {
    let found = blocks(text, size);
    let take = |pick: &dyn Fn(&Block) -> Range<usize>| {
        let mut out = Vec::with_capacity(text.len());
        let mut pos = 0;
        for b in &found {
            out.extend_from_slice(&text[pos..b.range.start]);
            out.extend_from_slice(&text[pick(b)]);
            pos = b.range.end;
        }
        out.extend_from_slice(&text[pos..]);
        out
    };
    let ours = take(&|b| b.ours.clone());
    let theirs = take(&|b| b.theirs.clone());
    (found.len(), ours, theirs)
}

/// Whether `text` holds at least one complete conflict block.
pub(crate) fn has_complete_block(text: &[u8], size: usize) -> bool {
    !blocks(text, size).is_empty()
}

/// The 1-based line numbers where complete conflict blocks of marker size `size`
/// start.
pub fn complete_block_lines(text: &[u8], size: usize) -> Vec<usize> {
    let (mut line, mut at) = (1, 0);
    blocks(text, size)
        .iter()
        .map(|b| {
            line += memchr::memchr_iter(b'\n', &text[at..b.range.start]).count();
            at = b.range.start;
            line
        })
        .collect()
}

/// Moves `pos` out of any conflict block in `text`: a position inside one becomes the
/// start of its `<<<<<<<` line, so that a line inserted there stands in the result
/// whichever side the user takes.
pub(crate) fn outside_blocks(text: &[u8], pos: usize, size: usize) -> usize {
    blocks(text, size)
        .iter()
        .find(|b| pos > b.range.start && pos < b.range.end)
        .map_or(pos, |b| b.range.start)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_position_inside_a_block_moves_before_it() {
        let text = b"a\n<<< x\nb\n|||\nc\n===\nd\n>>> y\ne\n";
        let open = 2;
        let close_end = text.len() - 2;
        for pos in [open + 1, 10, close_end - 1] {
            assert_eq!(outside_blocks(text, pos, 3), open, "{pos}");
        }
        for pos in [0, open, close_end, text.len()] {
            assert_eq!(outside_blocks(text, pos, 3), pos, "{pos}");
        }
        assert_eq!(outside_blocks(text, 10, 7), 10, "another marker size");
    }

    fn markers(style: Style) -> Markers {
        Markers {
            size: 7,
            style,
            ours: Some("ours".into()),
            base: Some("base".into()),
            theirs: Some("theirs".into()),
        }
    }

    #[test]
    fn renders_each_style() {
        let m = markers(Style::Merge);
        let block = m.render_block(Some(b"a\nb"), Some(b"o"), Some(b"a\nc"), b"\n");
        assert_eq!(block, b"<<<<<<< ours\na\nb\n=======\na\nc\n>>>>>>> theirs");
        let m = markers(Style::Diff3);
        let block = m.render_block(Some(b"a"), None, Some(b"c"), b"\r\n");
        assert_eq!(
            block,
            b"<<<<<<< ours\r\na\r\n||||||| base\r\n=======\r\nc\r\n>>>>>>> theirs"
        );
        let m = markers(Style::Zdiff3);
        let block = m.render_block(Some(b"a\nb\nz"), Some(b"q"), Some(b"a\nc\nz"), b"\n");
        assert_eq!(
            block,
            b"a\n<<<<<<< ours\nb\n||||||| base\nq\n=======\nc\n>>>>>>> theirs\nz"
        );
    }

    #[test]
    fn bare_markers_without_labels() {
        let m = Markers {
            size: 3,
            ..Markers::default()
        };
        assert_eq!(
            m.render_block(None, None, Some(b"x"), b"\n"),
            b"<<<\n===\nx\n>>>"
        );
    }

    #[test]
    fn finds_complete_blocks_of_the_given_size_only() {
        let text = b"a\n<<<<<<< x\nb\n=======\nc\n>>>>>>> y\nd\n";
        assert_eq!(blocks(text, 7).len(), 1);
        assert_eq!(blocks(text, 9).len(), 0);
        assert!(!has_complete_block(b"<<<<<<< x\nonly an opening\n", 7));
        assert!(!has_complete_block(b"<<<<<<<< x\n=======\n>>>>>>> y\n", 7));
    }

    #[test]
    fn one_parser_gives_sections_labels_lines_and_sides() {
        let text = b"a\n<<<<<<< HEAD\nb\n||||||| base\nq\n=======\nc\n>>>>>>> up\nd\n<<<<<<< x\ne\r\n=======\r\nf\r\n>>>>>>> y\r\n";
        let found = blocks(text, 7);
        assert_eq!(found.len(), 2);
        let b = &found[0];
        assert_eq!(&text[b.ours.clone()], b"b\n");
        assert_eq!(&text[b.base.clone().unwrap()], b"q\n");
        assert_eq!(&text[b.theirs.clone()], b"c\n");
        assert_eq!(b.range, 2..53);
        assert_eq!(found[1].base, None);
        assert_eq!(&text[found[1].theirs.clone()], b"f\r\n");
        assert_eq!(
            first_labels(text, 7),
            Some((Some("HEAD".into()), Some("base".into()), Some("up".into())))
        );
        assert_eq!(complete_block_lines(text, 7), [2, 10]);
        let (n, ours, theirs) = sides(text, 7);
        assert_eq!(n, 2);
        assert_eq!(ours, b"a\nb\nd\ne\r\n");
        assert_eq!(theirs, b"a\nc\nd\nf\r\n");
        // An opening line inside the ours section starts the block again; an opening
        // without its end is no block, and both sides keep its lines.
        let again = b"<<<<<<< a\nx\n<<<<<<< b\ny\n=======\nz\n>>>>>>> c\n";
        assert_eq!(blocks(again, 7)[0].range.start, 12);
        let open = b"a\n<<<<<<< x\nb\n";
        let (n, ours, theirs) = sides(open, 7);
        assert_eq!((n, &ours[..], &theirs[..]), (0, &open[..], &open[..]));
    }
}
