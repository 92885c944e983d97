//! Placeholder lines: each region masked as one line, the same line in every version
//! that has it (so the line merge sees no change there) or a side's own (so it takes
//! that side's change, or reports the conflict around exactly that statement).

use crate::python::contains;

/// Which placeholder a version's region becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Variant {
    /// The same line in every version that has the region: the line merge sees no
    /// change there.
    Shared,
    /// Ours' own line: the line merge takes ours' change, or reports a conflict.
    Ours,
    /// Theirs' own line.
    Theirs,
}

impl Variant {
    fn code(self) -> char {
        match self {
            Variant::Shared => 's',
            Variant::Ours => 'o',
            Variant::Theirs => 't',
        }
    }

    fn of(code: char) -> Option<Variant> {
        match code {
            's' => Some(Variant::Shared),
            'o' => Some(Variant::Ours),
            't' => Some(Variant::Theirs),
            _ => None,
        }
    }
}

/// Placeholder lines: one distinct line per (group, variant), built on a prefix that
/// occurs in none of the inputs.
#[derive(Debug, Clone)]
pub(super) struct Placeholders {
    prefix: String,
}

impl Placeholders {
    /// Picks a prefix absent from all `texts`.
    pub(super) fn new(texts: &[&[u8]]) -> Placeholders {
        let mut n = 0usize;
        loop {
            let prefix = if n == 0 {
                "#@poolmerge-region".to_string()
            } else {
                format!("#@poolmerge-region{n}")
            };
            if !texts.iter().any(|t| contains(t, prefix.as_bytes())) {
                return Placeholders { prefix };
            }
            n += 1;
        }
    }

    /// The text every placeholder line starts with.
    pub(super) fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The placeholder line for `group` and `variant`, without end of line.
    pub(super) fn line(&self, group: usize, variant: Variant) -> Vec<u8> {
        format!("{}:{group}:{}@", self.prefix, variant.code()).into_bytes()
    }

    /// Decodes a placeholder line.
    pub(super) fn parse(&self, line: &[u8]) -> Option<(usize, Variant)> {
        let rest = line
            .strip_prefix(self.prefix.as_bytes())?
            .strip_prefix(b":")?;
        let rest = std::str::from_utf8(rest).ok()?.strip_suffix('@')?;
        let (g, v) = rest.split_once(':')?;
        let mut chars = v.chars();
        let variant = chars.next()?;
        if chars.next().is_some() {
            return None;
        }
        Some((g.parse().ok()?, Variant::of(variant)?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_avoid_the_inputs() {
        let p = Placeholders::new(&[b"#@poolmerge-region"]);
        let line = p.line(3, Variant::Ours);
        assert_eq!(line, b"#@poolmerge-region1:3:o@");
        assert_eq!(p.parse(&line), Some((3, Variant::Ours)));
        assert_eq!(p.parse(b"#@poolmerge-region1:3:o"), None);
    }
}
