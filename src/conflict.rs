//! Conflict blocks already in a file: finding complete ones, their labels, and the
//! text a user gets by taking one side in every block. The styles, markers and the
//! rendering of a block are the line merge's (`linemerge`), re-exported here.

pub use linemerge::{DEFAULT_MARKER_SIZE, Markers, Style};

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

/// The labels of the first complete conflict block (ours, base, theirs), so that a
/// file re-merged later keeps the names git gave its sides.
pub(crate) fn first_labels(
    text: &[u8],
    size: usize,
) -> Option<(Option<String>, Option<String>, Option<String>)> {
    let label = |line: &[u8]| -> Option<String> {
        (line.len() > size + 1).then(|| String::from_utf8_lossy(&line[size + 1..]).into_owned())
    };
    let (mut ours, mut base) = (None, None);
    let mut open = false;
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        if is_marker(line, b'<', size) {
            open = true;
            ours = label(line);
            base = None;
        } else if open && is_marker(line, b'|', size) {
            base = label(line);
        } else if open && is_marker(line, b'>', size) {
            return Some((ours, base, label(line)));
        }
    }
    None
}

/// The text with ours, and the text with theirs, taken in every conflict block of
/// marker size `size`, and how many blocks there are: what a user gets by resolving
/// every block one way.
pub fn sides(text: &[u8], size: usize) -> (usize, Vec<u8>, Vec<u8>) {
    #[derive(PartialEq)]
    enum S {
        Out,
        Ours,
        Base,
        Theirs,
    }
    let (mut ours, mut theirs, mut count, mut state) = (Vec::new(), Vec::new(), 0, S::Out);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if is_marker(body, b'<', size) {
            state = S::Ours;
            count += 1;
            continue;
        }
        if state != S::Out && is_marker(body, b'|', size) {
            state = S::Base;
            continue;
        }
        if state != S::Out && body.len() == size && body.iter().all(|&b| b == b'=') {
            state = S::Theirs;
            continue;
        }
        if state != S::Out && is_marker(body, b'>', size) {
            state = S::Out;
            continue;
        }
        if matches!(state, S::Out | S::Ours) {
            ours.extend_from_slice(line);
        }
        if matches!(state, S::Out | S::Theirs) {
            theirs.extend_from_slice(line);
        }
    }
    (count, ours, theirs)
}

/// Whether `text` holds at least one complete conflict block (`<<<`, `===`, `>>>` lines
/// of exactly `size` characters, in that order).
pub(crate) fn has_complete_block(text: &[u8], size: usize) -> bool {
    count_complete_blocks(text, size) > 0
}

/// The number of complete conflict blocks of marker size `size` in `text`.
pub(crate) fn count_complete_blocks(text: &[u8], size: usize) -> usize {
    complete_block_lines(text, size).len()
}

/// The 1-based line numbers where complete conflict blocks of marker size `size`
/// start.
pub fn complete_block_lines(text: &[u8], size: usize) -> Vec<usize> {
    // Most files hold no opening marker at all.
    if memchr::memmem::find(text, &vec![b'<'; size]).is_none() {
        return Vec::new();
    }
    #[derive(PartialEq)]
    enum State {
        Outside,
        Ours,
        Theirs,
    }
    let mut state = State::Outside;
    let mut starts = Vec::new();
    let mut open = 0;
    for (n, line) in text.split(|&b| b == b'\n').enumerate() {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        match state {
            State::Outside if is_marker(line, b'<', size) => {
                state = State::Ours;
                open = n + 1;
            }
            State::Ours if line.len() == size && line.iter().all(|&b| b == b'=') => {
                state = State::Theirs;
            }
            State::Ours if is_marker(line, b'<', size) => open = n + 1,
            State::Theirs if is_marker(line, b'>', size) => {
                starts.push(open);
                state = State::Outside;
            }
            _ => {}
        }
    }
    starts
}

/// Moves `pos` out of any conflict block the line merge wrote into `text`: a position
/// inside one becomes the start of its `<<<<<<<` line, so that a line inserted there
/// stands in the result whichever side the user takes.
pub(crate) fn outside_blocks(text: &[u8], pos: usize, size: usize) -> usize {
    if memchr::memmem::find(text, &vec![b'<'; size]).is_none() {
        return pos;
    }
    let (mut at, mut open) = (0, None);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let start = at;
        at += line.len();
        let body = line.strip_suffix(b"\n").unwrap_or(line);
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        if is_marker(body, b'<', size) {
            open = Some(start);
        } else if let Some(o) = open
            && is_marker(body, b'>', size)
        {
            if pos > o && pos < at {
                return o;
            }
            open = None;
        }
        if start >= pos && open.is_none() {
            break;
        }
    }
    pos
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
        assert_eq!(count_complete_blocks(text, 7), 1);
        assert_eq!(count_complete_blocks(text, 9), 0);
        assert!(!has_complete_block(b"<<<<<<< x\nonly an opening\n", 7));
        assert!(!has_complete_block(b"<<<<<<<< x\n=======\n>>>>>>> y\n", 7));
    }
}
