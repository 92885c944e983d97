//! Text surgery on argument lists and dictionary literals: change a value in place,
//! remove an item, add one before the closing bracket in the container's own style, or
//! lay a call out afresh (one keyword a line, as the fork's write-up does). Everything
//! not edited stays byte for byte.

use std::ops::Range;

use crate::python::{Container, ItemKey, line_start};

/// One change to a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Edit {
    /// Replace the value of item `item` (an index into the container's items).
    Replace {
        /// Index of the item.
        item: usize,
        /// The new value text.
        value: Vec<u8>,
    },
    /// Remove item `item`.
    Remove {
        /// Index of the item.
        item: usize,
    },
    /// Add an item (`name=value`, `"key": value` or a positional expression).
    Append {
        /// The item's text.
        text: Vec<u8>,
        /// Whether it is positional: positional items go after the last positional one.
        positional: bool,
    },
}

/// A text change: replace `range` of the source with `text`.
#[derive(Debug, Clone)]
struct Patch {
    range: Range<usize>,
    text: Vec<u8>,
}

/// The end of line of the line that holds `pos`: `\r\n` or `\n`; on a last line without
/// one, the line before's; `\n` in a file of one line.
pub(crate) fn line_eol(text: &[u8], pos: usize) -> &'static [u8] {
    let pos = pos.min(text.len());
    let nl = memchr::memchr(b'\n', &text[pos..])
        .map(|i| pos + i)
        .or_else(|| memchr::memrchr(b'\n', &text[..pos]));
    match nl {
        Some(i) if i > 0 && text[i - 1] == b'\r' => b"\r\n",
        _ => b"\n",
    }
}

/// The end of line used inside `text[range]`, else `default`.
pub(crate) fn eol_in<'a>(text: &[u8], range: Range<usize>, default: &'a [u8]) -> &'a [u8] {
    let slice = &text[range.start..range.end.min(text.len())];
    match slice.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && slice[i - 1] == b'\r' => b"\r\n",
        Some(_) => b"\n",
        None => default,
    }
}

/// Leading spaces and tabs of the line holding `pos`.
pub(crate) fn indent_at(text: &[u8], pos: usize) -> &[u8] {
    let start = line_start(text, pos);
    let n = text[start..]
        .iter()
        .take_while(|&&b| b == b' ' || b == b'\t')
        .count();
    &text[start..start + n]
}

/// Whether only spaces and tabs stand between the start of its line and `pos`.
fn starts_line(text: &[u8], pos: usize) -> bool {
    text[line_start(text, pos)..pos]
        .iter()
        .all(|&b| b == b' ' || b == b'\t')
}

/// The end of the line holding `pos`, after its end of line, if only spaces, tabs or a
/// comment follow `pos` on that line.
fn rest_of_line_end(text: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos;
    while i < text.len() && (text[i] == b' ' || text[i] == b'\t') {
        i += 1;
    }
    if i < text.len() && text[i] == b'#' {
        while i < text.len() && text[i] != b'\n' {
            i += 1;
        }
    }
    match text.get(i) {
        Some(b'\n') => Some(i + 1),
        Some(b'\r') if text.get(i + 1) == Some(&b'\n') => Some(i + 2),
        None => Some(i),
        _ => None,
    }
}

/// The indentation step used in a file: a tab if `indent` uses tabs; else the step
/// most blocks of `text` take from their opening line (`def f():`, `if x:`) to their
/// first line, among the first twenty; four spaces when none tells.
pub(crate) fn indent_unit(text: &[u8], indent: &[u8]) -> Vec<u8> {
    if indent.contains(&b'\t') {
        return b"\t".to_vec();
    }
    let mut counts = [0usize; 9];
    let mut opener: Option<usize> = None;
    for line in text.split(|&b| b == b'\n') {
        let body = line.trim_ascii_start();
        if body.trim_ascii_end().is_empty() || body.starts_with(b"#") {
            continue;
        }
        let ind = line.len() - body.len();
        if line[..ind].contains(&b'\t') {
            opener = None;
            continue;
        }
        if let Some(o) = opener.take()
            && ind > o
            && ind - o < counts.len()
        {
            counts[ind - o] += 1;
            if counts.iter().sum::<usize>() >= 20 {
                break;
            }
        }
        if body.trim_ascii_end().ends_with(b":") {
            opener = Some(ind);
        }
    }
    let step = (1..counts.len())
        .max_by_key(|&k| (counts[k], k == 4))
        .filter(|&k| counts[k] > 0)
        .unwrap_or(4);
    vec![b' '; step]
}

/// Whether the container holds one item a line with the closing bracket on its own line.
pub(crate) fn one_item_a_line(text: &[u8], c: &Container) -> bool {
    let close = c.range.end - 1;
    match c.items.last() {
        Some(last) => starts_line(text, last.range.start) && starts_line(text, close),
        None => false,
    }
}

/// Applies `edits` to the container `c` of `text`; returns the container's new text
/// (from its opening to its closing bracket).
// Long on purpose: one pass over the container's items applying replacements,
// removals (with their separators) and additions (in the list's own style); the
// three share the position and separator state of that pass.
pub(crate) fn edit_container(
    text: &[u8],
    c: &Container,
    edits: &[Edit],
    default_eol: &[u8],
) -> Vec<u8> {
    let per_line = one_item_a_line(text, c);
    let eol = eol_in(text, c.range.clone(), default_eol);
    let removed: Vec<usize> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Remove { item } => Some(*item),
            _ => None,
        })
        .collect();
    let mut patches: Vec<Patch> = Vec::new();
    for edit in edits {
        match edit {
            Edit::Replace { item, value } => patches.push(Patch {
                range: c.items[*item].value.clone(),
                text: value.clone(),
            }),
            Edit::Remove { item } => patches.push(Patch {
                range: removal_range(text, c, *item, per_line, &removed),
                text: Vec::new(),
            }),
            Edit::Append { .. } => {}
        }
    }
    let appended: Vec<(&[u8], bool)> = edits
        .iter()
        .filter_map(|e| match e {
            Edit::Append { text, positional } => Some((text.as_slice(), *positional)),
            _ => None,
        })
        .collect();
    let kept: Vec<usize> = (0..c.items.len())
        .filter(|i| !removed.contains(i))
        .collect();
    // Positional additions go after the last kept positional item.
    for (new, _) in appended.iter().filter(|(_, p)| *p) {
        let last_pos = kept
            .iter()
            .rev()
            .find(|&&i| matches!(c.items[i].key, ItemKey::Positional(_)));
        let patch = match last_pos {
            Some(&i) => Patch {
                range: c.items[i].range.end..c.items[i].range.end,
                text: [b", ".as_slice(), new].concat(),
            },
            None if kept.is_empty() => Patch {
                range: c.range.start + 1..c.range.start + 1,
                text: new.to_vec(),
            },
            None => Patch {
                range: c.range.start + 1..c.range.start + 1,
                text: [new, b", ".as_slice()].concat(),
            },
        };
        patches.push(patch);
    }
    let others: Vec<&[u8]> = appended
        .iter()
        .filter(|(_, p)| !*p)
        .map(|(t, _)| *t)
        .collect();
    if !others.is_empty() {
        match kept.last() {
            None => {
                // An empty (or emptied) container: the items go after the opening bracket.
                patches.push(Patch {
                    range: c.range.start + 1..c.range.start + 1,
                    text: others.join(b", ".as_slice()),
                });
            }
            Some(&last) if per_line => {
                let item_indent = indent_at(text, c.items[last].range.start).to_vec();
                if c.items[last].comma_end.is_none() {
                    let end = c.items[last].range.end;
                    patches.push(Patch {
                        range: end..end,
                        text: b",".to_vec(),
                    });
                }
                let close_line = line_start(text, c.range.end - 1);
                let mut add = Vec::new();
                for t in &others {
                    add.extend_from_slice(&item_indent);
                    add.extend_from_slice(t);
                    add.push(b',');
                    add.extend_from_slice(eol);
                }
                patches.push(Patch {
                    range: close_line..close_line,
                    text: add,
                });
            }
            Some(&last) => {
                let item = &c.items[last];
                let (pos, text) = match item.comma_end {
                    Some(end) if last + 1 == c.items.len() => (
                        end,
                        [b" ".as_slice(), &others.join(b", ".as_slice()), b","].concat(),
                    ),
                    _ => (
                        item.range.end,
                        [b", ".as_slice(), &others.join(b", ".as_slice())].concat(),
                    ),
                };
                patches.push(Patch {
                    range: pos..pos,
                    text,
                });
            }
        }
    }
    apply(text, c.range.clone(), patches)
}

/// The bytes an item's removal takes away.
fn removal_range(
    text: &[u8],
    c: &Container,
    i: usize,
    per_line: bool,
    removed: &[usize],
) -> Range<usize> {
    let item = &c.items[i];
    let end = item.comma_end.unwrap_or(item.range.end);
    if per_line
        && starts_line(text, item.range.start)
        && let Some(line_end) = rest_of_line_end(text, end)
    {
        return line_start(text, item.range.start)..line_end;
    }
    let kept_after = (i + 1..c.items.len()).any(|k| !removed.contains(&k));
    if kept_after {
        return item.range.start..c.items[i + 1].range.start;
    }
    // Nothing kept after it: take the separator before it too.
    match (0..i).rev().find(|k| !removed.contains(k)) {
        Some(prev) => c.items[prev].range.end..end,
        None => item.range.start..end,
    }
}

/// Applies patches inside `within` of `text`; overlapping removals are merged, and an
/// insertion sorts before a removal that starts at the same place.
fn apply(text: &[u8], within: Range<usize>, mut patches: Vec<Patch>) -> Vec<u8> {
    patches.sort_by_key(|p| (p.range.start, p.range.end));
    let mut out = Vec::with_capacity(within.len() + 64);
    let mut pos = within.start;
    for p in patches {
        let start = p.range.start.max(pos);
        if start > pos {
            out.extend_from_slice(&text[pos..start]);
        }
        out.extend_from_slice(&p.text);
        pos = pos.max(p.range.end);
    }
    out.extend_from_slice(&text[pos..within.end]);
    out
}

/// Re-indents every line but the first: a line that starts with `from` gets `to`
/// instead. Lines inside brackets may be indented freely in Python, so this only
/// keeps a moved statement tidy.
pub(crate) fn reindent(text: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    if from == to {
        return text.to_vec();
    }
    let mut out = Vec::with_capacity(text.len() + 16);
    for (n, line) in text.split_inclusive(|&b| b == b'\n').enumerate() {
        if n > 0 && line.starts_with(from) && line.len() > from.len() {
            out.extend_from_slice(to);
            out.extend_from_slice(&line[from.len()..]);
        } else {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Lays out items one a line: `(`, each item indented by `indent` + `step` and
/// followed by a comma, then `)` at `indent`.
pub(crate) fn one_a_line(
    items: &[Vec<u8>],
    (open, close): (u8, u8),
    indent: &[u8],
    step: &[u8],
    eol: &[u8],
) -> Vec<u8> {
    let mut out = vec![open];
    for item in items {
        out.extend_from_slice(eol);
        out.extend_from_slice(indent);
        out.extend_from_slice(step);
        out.extend_from_slice(item);
        out.push(b',');
    }
    out.extend_from_slice(eol);
    out.extend_from_slice(indent);
    out.push(close);
    out
}

/// `text` with each range of `edits` (in order, not overlapping) replaced by its bytes.
pub(crate) fn splice(text: &[u8], edits: &[(Range<usize>, Vec<u8>)]) -> Vec<u8> {
    let grow: usize = edits.iter().map(|(_, new)| new.len()).sum();
    let mut out = Vec::with_capacity(text.len() + grow);
    let mut pos = 0;
    for (range, new) in edits {
        out.extend_from_slice(&text[pos..range.start]);
        out.extend_from_slice(new);
        pos = range.end;
    }
    out.extend_from_slice(&text[pos..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::python::{Targets, scan};

    const T: Targets = Targets {
        aliases: &[],
        call: "f",
        import_module: Some("m"),
        evidence: "sqlite",
    };

    fn args(src: &str) -> Container {
        scan(src.as_bytes(), &T).unwrap().statements[0].calls[0]
            .args
            .clone()
    }

    fn edit(src: &str, edits: &[Edit]) -> String {
        let c = args(src);
        let mut out = src.as_bytes()[..c.range.start].to_vec();
        out.extend(edit_container(src.as_bytes(), &c, edits, b"\n"));
        out.extend_from_slice(&src.as_bytes()[c.range.end..]);
        String::from_utf8(out).unwrap()
    }

    fn add(t: &str) -> Edit {
        Edit::Append {
            text: t.as_bytes().to_vec(),
            positional: false,
        }
    }

    #[test]
    fn appends_in_the_containers_style() {
        assert_eq!(
            edit("x = f(a, b=1)\n", &[add("c=2")]),
            "x = f(a, b=1, c=2)\n"
        );
        assert_eq!(
            edit("x = f(a, b=1,)\n", &[add("c=2")]),
            "x = f(a, b=1, c=2,)\n"
        );
        assert_eq!(
            edit("x = f(\n    a,\n    b=1\n)\n", &[add("c=2")]),
            "x = f(\n    a,\n    b=1,\n    c=2,\n)\n"
        );
        assert_eq!(
            edit("x = f(\r\n    a,\r\n)\r\n", &[add("c=2")]),
            "x = f(\r\n    a,\r\n    c=2,\r\n)\r\n"
        );
        assert_eq!(
            edit("x = f()\n", &[add("c=2"), add("d=3")]),
            "x = f(c=2, d=3)\n"
        );
    }

    #[test]
    fn replaces_and_removes() {
        let src = "x = f(a, b=1, c=2)\n";
        let r = Edit::Replace {
            item: 1,
            value: b"9".to_vec(),
        };
        assert_eq!(edit(src, &[r]), "x = f(a, b=9, c=2)\n");
        assert_eq!(edit(src, &[Edit::Remove { item: 1 }]), "x = f(a, c=2)\n");
        assert_eq!(edit(src, &[Edit::Remove { item: 2 }]), "x = f(a, b=1)\n");
        assert_eq!(
            edit(src, &[Edit::Remove { item: 1 }, Edit::Remove { item: 2 }]),
            "x = f(a)\n"
        );
        assert_eq!(
            edit(
                "x = f(\n    a,\n    b=1,  # note\n    c=2,\n)\n",
                &[Edit::Remove { item: 1 }]
            ),
            "x = f(\n    a,\n    c=2,\n)\n"
        );
        assert_eq!(
            edit("x = f(a, b=1)\n", &[Edit::Remove { item: 1 }, add("c=2")]),
            "x = f(a, c=2)\n"
        );
    }

    #[test]
    fn reindents_following_lines_only() {
        assert_eq!(
            reindent(b"a(\n    b,\n)", b"", b"    "),
            b"a(\n        b,\n    )"
        );
        assert_eq!(
            one_a_line(&[b"a".to_vec()], (b'(', b')'), b"  ", b"    ", b"\n"),
            b"(\n      a,\n  )"
        );
        // The file's own step: two spaces here, a tab where the line uses tabs.
        let two = b"def f():\n  if x:\n    y = {\n      1: 2,\n    }\n";
        assert_eq!(indent_unit(two, b"  "), b"  ");
        assert_eq!(indent_unit(two, b"\t"), b"\t");
        assert_eq!(indent_unit(b"x = 1\n", b""), b"    ");
    }
}
