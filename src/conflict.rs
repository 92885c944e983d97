//! Conflict markers: the styles git knows, rendering a conflict block the way git's
//! xdiff writes one (marker size, labels, `merge`/`diff3`/`zdiff3`), and finding
//! complete marker blocks already present in a file.

use std::fmt;
use std::str::FromStr;

/// git's conflict styles (`merge.conflictStyle`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Style {
    /// Ours and theirs only.
    #[default]
    Merge,
    /// Ours, the common ancestor, theirs.
    Diff3,
    /// Like diff3, with lines common to both sides moved out of the block.
    Zdiff3,
}

impl Style {
    /// The `git merge-file` flag that selects this style.
    pub fn merge_file_flag(self) -> &'static str {
        match self {
            Style::Merge => "--no-diff3",
            Style::Diff3 => "--diff3",
            Style::Zdiff3 => "--zdiff3",
        }
    }
}

impl FromStr for Style {
    type Err = String;
    fn from_str(s: &str) -> Result<Style, String> {
        match s.to_ascii_lowercase().as_str() {
            "merge" => Ok(Style::Merge),
            "diff3" => Ok(Style::Diff3),
            "zdiff3" => Ok(Style::Zdiff3),
            other => Err(format!(
                "unknown conflict style '{other}' (expected merge, diff3 or zdiff3)"
            )),
        }
    }
}

impl fmt::Display for Style {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Style::Merge => "merge",
            Style::Diff3 => "diff3",
            Style::Zdiff3 => "zdiff3",
        })
    }
}

/// git's default conflict-marker size.
pub const DEFAULT_MARKER_SIZE: usize = 7;

/// How conflict blocks look: marker size, style and the three labels (absent labels
/// give bare markers, as git writes them when it has no name).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Markers {
    /// Length of each marker run (`<<<<<<<` is 7).
    pub size: usize,
    /// Conflict style.
    pub style: Style,
    /// Label after `<<<<<<<`.
    pub ours: Option<String>,
    /// Label after `|||||||` (diff3 and zdiff3 only).
    pub base: Option<String>,
    /// Label after `>>>>>>>`.
    pub theirs: Option<String>,
}

impl Default for Markers {
    fn default() -> Markers {
        Markers {
            size: DEFAULT_MARKER_SIZE,
            style: Style::Merge,
            ours: None,
            base: None,
            theirs: None,
        }
    }
}

impl Markers {
    fn marker(&self, ch: u8, label: Option<&str>) -> Vec<u8> {
        let mut line = vec![ch; self.size];
        if let Some(label) = label {
            line.push(b' ');
            line.extend_from_slice(label.as_bytes());
        }
        line
    }

    /// The `<<<<<<< ours` line, without its end of line.
    pub fn open_line(&self) -> Vec<u8> {
        self.marker(b'<', self.ours.as_deref())
    }

    /// The `||||||| base` line, without its end of line.
    pub fn base_line(&self) -> Vec<u8> {
        self.marker(b'|', self.base.as_deref())
    }

    /// The `=======` line, without its end of line.
    pub fn separator_line(&self) -> Vec<u8> {
        vec![b'='; self.size]
    }

    /// The `>>>>>>> theirs` line, without its end of line.
    pub fn close_line(&self) -> Vec<u8> {
        self.marker(b'>', self.theirs.as_deref())
    }

    /// Renders one conflict block. Each section is given as text without a final end
    /// of line (an empty section is `None`); `eol` ends every line of the block. The
    /// block itself is returned without a final end of line, so that it can replace a
    /// line's content. With `zdiff3`, lines common to the start or end of both sides
    /// are moved out of the block, as git does.
    pub fn render_block(
        &self,
        ours: Option<&[u8]>,
        base: Option<&[u8]>,
        theirs: Option<&[u8]>,
        eol: &[u8],
    ) -> Vec<u8> {
        let ours_lines = split_lines(ours);
        let theirs_lines = split_lines(theirs);
        let (mut lead, mut trail) = (0, 0);
        if self.style == Style::Zdiff3 {
            while lead < ours_lines.len()
                && lead < theirs_lines.len()
                && ours_lines[lead] == theirs_lines[lead]
            {
                lead += 1;
            }
            while trail + lead < ours_lines.len()
                && trail + lead < theirs_lines.len()
                && ours_lines[ours_lines.len() - 1 - trail]
                    == theirs_lines[theirs_lines.len() - 1 - trail]
            {
                trail += 1;
            }
        }
        let mut lines: Vec<Vec<u8>> = Vec::new();
        lines.extend(ours_lines[..lead].iter().map(|l| l.to_vec()));
        lines.push(self.open_line());
        lines.extend(
            ours_lines[lead..ours_lines.len() - trail]
                .iter()
                .map(|l| l.to_vec()),
        );
        if self.style != Style::Merge {
            lines.push(self.base_line());
            lines.extend(split_lines(base).iter().map(|l| l.to_vec()));
        }
        lines.push(self.separator_line());
        lines.extend(
            theirs_lines[lead..theirs_lines.len() - trail]
                .iter()
                .map(|l| l.to_vec()),
        );
        lines.push(self.close_line());
        lines.extend(
            ours_lines[ours_lines.len() - trail..]
                .iter()
                .map(|l| l.to_vec()),
        );
        lines.join(eol)
    }
}

/// Splits text (without a final end of line) into lines without their ends of line.
fn split_lines(text: Option<&[u8]>) -> Vec<&[u8]> {
    match text {
        None => Vec::new(),
        Some(text) => text
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect(),
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
pub fn first_labels(
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
pub fn has_complete_block(text: &[u8], size: usize) -> bool {
    count_complete_blocks(text, size) > 0
}

/// The number of complete conflict blocks of marker size `size` in `text`.
pub fn count_complete_blocks(text: &[u8], size: usize) -> usize {
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
                state = State::Theirs
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
pub fn outside_blocks(text: &[u8], pos: usize, size: usize) -> usize {
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
