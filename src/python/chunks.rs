//! Top-level statements found without parsing, so that only the ones that can hold a
//! pool region are parsed.
//!
//! A light scan tracks strings (single, triple, any prefix), comments, brackets and
//! backslash continuations, and marks where each top-level statement starts: a line at
//! column 0, outside any string or bracket, that is not a comment, not the `else`/
//! `elif`/`except`/`finally` of the statement before, and not the `def`/`class` after
//! a decorator. The run of comment lines directly above a statement belongs to it.
//! A scan confused by unusual code only parses a chunk badly, which the engine sees as
//! a syntax error near pool code and answers with git's plain merge.

use std::ops::Range;

/// Bytes that can change the scan's state outside strings.
static INTERESTING: [bool; 256] = {
    let mut t = [false; 256];
    let mut k = 0;
    let bytes = b"\n#'\"()[]{}\\";
    while k < bytes.len() {
        t[bytes[k] as usize] = true;
        k += 1;
    }
    t
};

/// Keywords that continue the compound statement above them.
const CONTINUATIONS: &[&[u8]] = &[b"else", b"elif", b"except", b"finally"];

/// Start offsets of the top-level statements (0 always comes first).
#[cfg(test)]
pub(crate) fn statement_starts(text: &[u8]) -> Vec<usize> {
    statement_starts_until(text, usize::MAX)
}

/// Start offsets of the top-level statements up to the first one after `limit`: the
/// scan stops there, so text past the last statement of interest is never read.
// Long on purpose: one byte scanner whose state (string, bracket depth, line
// continuation) every branch reads and writes; split, the state would be passed
// around instead of read.
pub(crate) fn statement_starts_until(text: &[u8], limit: usize) -> Vec<usize> {
    let mut starts = vec![0];
    let mut depth: usize = 0;
    let mut string: Option<(u8, bool)> = None; // quote, triple
    let mut continued = false; // the line before ended with a backslash
    let mut after_decorator = false;
    let mut comment_run: Option<usize> = None;
    let mut i = 0;
    let n = text.len();
    while i < n {
        let at_line_start = i == 0 || text[i - 1] == b'\n';
        if at_line_start && string.is_none() && depth == 0 && !continued {
            let indent = text[i..]
                .iter()
                .take_while(|&&b| b == b' ' || b == b'\t' || b == b'\x0c')
                .count();
            let first = text.get(i + indent).copied();
            match first {
                Some(b'#') => {
                    comment_run.get_or_insert(i);
                }
                None | Some(b'\n') | Some(b'\r') => comment_run = None,
                Some(_) if indent > 0 => comment_run = None,
                Some(c) => {
                    let word_end = text[i..]
                        .iter()
                        .position(|b| !(b.is_ascii_alphanumeric() || *b == b'_'))
                        .map_or(n, |p| i + p);
                    let continues = CONTINUATIONS.contains(&&text[i..word_end]);
                    if !continues && !after_decorator {
                        let start = comment_run.unwrap_or(i);
                        if start > *starts.last().unwrap_or(&0) {
                            starts.push(start);
                            if start > limit {
                                return starts;
                            }
                        }
                    }
                    after_decorator = c == b'@';
                    comment_run = None;
                }
            }
        }
        continued = false;
        // Skip bytes that change nothing (most of them) in one tight loop.
        if string.is_none() {
            let run = text[i..]
                .iter()
                .position(|&b| INTERESTING[b as usize])
                .unwrap_or(n - i);
            if run > 0 {
                i += run;
                continue;
            }
        } else if let Some((quote, _)) = string {
            let run = memchr::memchr3(quote, b'\\', b'\n', &text[i..]).unwrap_or(n - i);
            if run > 0 {
                i += run;
                continue;
            }
        }
        let c = text[i];
        match string {
            Some((quote, triple)) => {
                if c == b'\\' {
                    i += 2;
                    continue;
                }
                if c == quote {
                    if !triple {
                        string = None;
                    } else if text[i..].starts_with(&[quote; 3]) {
                        string = None;
                        i += 3;
                        continue;
                    }
                } else if c == b'\n' && !triple {
                    string = None; // An unterminated string ends with its line.
                }
            }
            None => match c {
                b'#' => {
                    while i < n && text[i] != b'\n' {
                        i += 1;
                    }
                    continue;
                }
                b'\'' | b'"' => {
                    let triple = text[i..].starts_with(&[c; 3]);
                    string = Some((c, triple));
                    i += if triple { 3 } else { 1 };
                    continue;
                }
                b'(' | b'[' | b'{' => depth += 1,
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                b'\\' => {
                    let rest = &text[i + 1..];
                    if rest.starts_with(b"\n") || rest.starts_with(b"\r\n") {
                        i += if rest.starts_with(b"\n") { 2 } else { 3 };
                        continued = true;
                        continue;
                    }
                }
                _ => {}
            },
        }
        i += 1;
    }
    starts
}

/// Each top-level statement of `text` (with the comment lines directly above it), in
/// order; together they are the whole text.
pub(crate) fn top_level_statements(text: &[u8]) -> impl Iterator<Item = &[u8]> {
    let starts = statement_starts_until(text, usize::MAX);
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([text.len()]).collect();
    starts
        .into_iter()
        .zip(ends)
        .filter(|(start, end)| start < end)
        .map(move |(start, end)| &text[start..end])
}

/// The chunks (runs of whole top-level statements) holding any of `offsets`.
pub(crate) fn chunks_holding(text: &[u8], offsets: &[usize]) -> Vec<Range<usize>> {
    if offsets.is_empty() {
        return Vec::new();
    }
    let last = offsets.iter().copied().max().unwrap_or(0);
    let starts = statement_starts_until(text, last);
    let mut chosen: Vec<usize> = offsets
        .iter()
        .map(|&o| starts.partition_point(|&s| s <= o).saturating_sub(1))
        .collect();
    chosen.sort_unstable();
    chosen.dedup();
    let mut out: Vec<Range<usize>> = Vec::new();
    for k in chosen {
        let range = starts[k]..starts.get(k + 1).copied().unwrap_or(text.len());
        match out.last_mut() {
            Some(last) if last.end == range.start => last.end = range.end,
            _ => out.push(range),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn starts(src: &str) -> Vec<&str> {
        let s = statement_starts(src.as_bytes());
        s.iter()
            .map(|&i| src[i..].lines().next().unwrap_or(""))
            .collect()
    }

    #[test]
    fn splits_top_level_statements() {
        let src = "import os\n\n# about f\n@dec\ndef f():\n    x = '''\nnot = a statement\n'''\n# col 0 comment inside f\n    return (1,\n2)\n\nif a:\n    pass\nelse:\n    pass\nx = 1 \\\n+ 2\ny = \"#\" # c\n";
        assert_eq!(
            starts(src),
            vec![
                "import os",
                "# about f",
                "if a:",
                "x = 1 \\",
                "y = \"#\" # c"
            ]
        );
    }

    #[test]
    fn chunks_merge_when_adjacent() {
        let src = "a = 1\nb = 2\nc = 3\n";
        assert_eq!(chunks_holding(src.as_bytes(), &[0, 7]), vec![0..12]);
        assert_eq!(chunks_holding(src.as_bytes(), &[13]), vec![12..18]);
        assert!(chunks_holding(src.as_bytes(), &[]).is_empty());
    }

    #[test]
    fn the_scan_stops_after_the_last_statement_of_interest() {
        let src = "a = 1\n# about b\nb = (\n2)\nc = 3\nd = 4\n";
        let all = statement_starts(src.as_bytes());
        assert_eq!(all.len(), 4);
        for limit in 0..src.len() {
            let some = statement_starts_until(src.as_bytes(), limit);
            let expected: Vec<usize> = match all.iter().position(|&s| s > limit) {
                Some(k) => all[..=k].to_vec(),
                None => all.clone(),
            };
            assert_eq!(some, expected, "limit {limit}");
        }
        // A hit in the comment above b belongs to b's chunk, which ends at c.
        assert_eq!(chunks_holding(src.as_bytes(), &[8]), vec![6..25]);
    }
}
