//! Conflict markers as git's xdiff writes them: the styles, marker size and labels,
//! and one conflict block rendered the way `git merge-file` renders it.

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
