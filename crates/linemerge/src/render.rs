//! Pieces written with git's conflict markers, and a merged text read back into
//! pieces.

use super::*;

/// Writes pieces with their conflict markers: the merged file, as `git merge-file`
/// writes it.
pub fn render(pieces: &[Piece], markers: &Markers) -> Merged {
    let size = if markers.size == 0 {
        DEFAULT_MARKER_SIZE
    } else {
        markers.size
    };
    let diff3 = markers.style != Style::Merge;
    let label = |l: &Option<String>| l.as_deref().map_or(0, |l| l.len() + 1);
    let marker_bytes =
        4 * (size + 2) + label(&markers.ours) + label(&markers.base) + label(&markers.theirs);
    let len: usize = pieces
        .iter()
        .map(|p| match p {
            Piece::Text(t) => t.len(),
            Piece::Conflict(c) => c.ours.len() + c.base.len() + c.theirs.len() + marker_bytes,
        })
        .sum();
    let mut out = Vec::with_capacity(len);
    let mut conflicts = 0;
    for p in pieces {
        match p {
            Piece::Text(t) => out.extend_from_slice(t),
            Piece::Conflict(c) => {
                conflicts += 1;
                marker(&mut out, b'<', size, markers.ours.as_deref(), c.crlf);
                out.extend_from_slice(&c.ours);
                if diff3 {
                    marker(&mut out, b'|', size, markers.base.as_deref(), c.crlf);
                    out.extend_from_slice(&c.base);
                }
                marker(&mut out, b'=', size, None, c.crlf);
                out.extend_from_slice(&c.theirs);
                marker(&mut out, b'>', size, markers.theirs.as_deref(), c.crlf);
            }
        }
    }
    Merged {
        content: out,
        conflicts,
    }
}

fn marker(out: &mut Vec<u8>, ch: u8, size: usize, label: Option<&str>, needs_cr: bool) {
    out.extend(std::iter::repeat_n(ch, size));
    if let Some(l) = label {
        out.push(b' ');
        out.extend_from_slice(l.as_bytes());
    }
    if needs_cr {
        out.push(b'\r');
    }
    out.push(b'\n');
}

/// A merged file read back into pieces: every complete conflict block written with
/// `markers` (each marker line as [`render`] writes it) is a [`Piece::Conflict`], the
/// rest is text, so that rendering the pieces gives `text` back. For a merge made
/// elsewhere (`git merge-file` itself); [`Plan::pieces`] needs no parsing.
pub fn parse<'a>(text: &'a [u8], markers: &Markers) -> Vec<Piece<'a>> {
    let diff3 = markers.style != Style::Merge;
    let [open, base, sep, close] = [
        markers.open_line(),
        markers.base_line(),
        markers.separator_line(),
        markers.close_line(),
    ];
    // Whether `line` is the marker `want`, ended as the block's first marker is.
    let is = |line: &[u8], want: &[u8], crlf: bool| {
        let eol: &[u8] = if crlf { b"\r\n" } else { b"\n" };
        line.len() == want.len() + eol.len() && line.starts_with(want) && line.ends_with(eol)
    };
    let mut out = Vec::new();
    let mut text_from = 0; // where the current text piece starts
    let mut at = 0;
    // Within a block: where it starts, its end of line, and where each section starts.
    let mut block: Option<(usize, bool, [usize; 4])> = None;
    let mut stage = 0; // 1 ours, 2 base, 3 theirs
    while at < text.len() {
        let end = memchr_nl(text, at);
        let line = &text[at..end];
        match block.as_mut() {
            None => {
                let crlf = line.ends_with(b"\r\n");
                if is(line, &open, crlf) {
                    block = Some((at, crlf, [end, 0, 0, 0]));
                    stage = 1;
                }
            }
            Some((start, crlf, marks)) => {
                let crlf = *crlf;
                if stage == 1 && diff3 && is(line, &base, crlf) {
                    marks[1] = at;
                    stage = 2;
                } else if (stage == 1 && !diff3 || stage == 2) && is(line, &sep, crlf) {
                    marks[2] = at;
                    marks[3] = end;
                    stage = 3;
                } else if stage == 3 && is(line, &close, crlf) {
                    let start = *start;
                    let m = *marks;
                    let (ours_end, base_range) = if diff3 {
                        let base_start = memchr_nl(text, m[1]);
                        (m[1], base_start..m[2])
                    } else {
                        (m[2], m[2]..m[2])
                    };
                    if start > text_from {
                        out.push(Piece::Text(Cow::Borrowed(&text[text_from..start])));
                    }
                    out.push(Piece::Conflict(Block {
                        ours: Cow::Borrowed(&text[m[0]..ours_end]),
                        base: Cow::Borrowed(&text[base_range]),
                        theirs: Cow::Borrowed(&text[m[3]..at]),
                        crlf,
                    }));
                    text_from = end;
                    block = None;
                    stage = 0;
                }
            }
        }
        at = end;
    }
    if text.len() > text_from {
        out.push(Piece::Text(Cow::Borrowed(&text[text_from..])));
    }
    out
}

/// The end of the line that starts at `at` (after its `\n`, or the text's end).
fn memchr_nl(text: &[u8], at: usize) -> usize {
    text[at..]
        .iter()
        .position(|&b| b == b'\n')
        .map_or(text.len(), |i| at + i + 1)
}
