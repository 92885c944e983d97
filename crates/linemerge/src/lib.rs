//! git's three-way file merge, natively: what `git merge-file -p
//! --diff-algorithm=histogram` computes, byte for byte, without starting a process.
//!
//! Both sides are diffed against the base (`diff`), the two edit scripts are walked
//! together into hunks (taken from one side, or conflicting), conflicts are refined as
//! git refines them at its default level (conflicting sides diffed against each other
//! and split where they agree; conflicts close together joined; for zdiff3, common
//! lines at either end moved out), and the result is written with git's markers,
//! labels and end-of-line rules (`markers`). `git` runs `git merge-file` itself: the
//! reference this crate is held to, byte for byte.
//!
//! This is a reimplementation of parts of git's xdiff library (`xdiff/xprepare.c`,
//! `xdiffi.c`, `xhistogram.c`, `xmerge.c`, `xutils.c`), whose names its functions keep;
//! see `README.md` for what it covers and its licence.
//!
//! ```
//! let markers = linemerge::Markers::default(); // size 7, style merge, no labels
//! let merged = linemerge::merge(b"a\nb\nc\n", b"A\nb\nc\n", b"a\nb\nC\n", &markers)?;
//! assert_eq!((merged.content.as_slice(), merged.conflicts), (&b"A\nb\nC\n"[..], 0));
//! # Ok::<(), linemerge::Error>(())
//! ```

#![forbid(unsafe_code)]

pub mod diff;
pub mod git;
mod markers;

use std::fmt;

pub use markers::{DEFAULT_MARKER_SIZE, Markers, Style};

use diff::{Change, Lines, split_lines};

/// The result of a line merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Merged {
    /// The merged text, with conflict blocks where both sides changed the same lines.
    pub content: Vec<u8>,
    /// How many conflict blocks the text holds.
    pub conflicts: usize,
}

/// Why a merge was not made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A version holds a NUL byte in its first 8,000 bytes (git's test for binary).
    Binary,
    /// A version is 4 GiB or more: line offsets are 32-bit (git merges such files).
    TooLarge,
    /// The histogram diff gave up, as git's does: a bucket of the line index held 64
    /// distinct lines.
    GaveUp,
    /// `git merge-file` could not be run, or failed.
    Git(String),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Binary => f.write_str("cannot merge binary files"),
            Error::TooLarge => f.write_str("a version is 4 GiB or larger"),
            Error::GaveUp => f.write_str("the histogram diff gave up"),
            Error::Git(why) => f.write_str(why),
        }
    }
}

impl std::error::Error for Error {}

/// git's test for a binary file: a NUL byte in the first 8,000 bytes.
pub fn is_binary(text: &[u8]) -> bool {
    text[..text.len().min(8000)].contains(&0)
}

/// How a hunk of the merge is resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mode {
    Conflict,
    /// Take ours' lines.
    Ours,
    /// Take theirs' lines.
    Theirs,
    /// A refined conflict whose sides turned out identical: ours' lines, later.
    Same,
}

/// A hunk: lines `i0..i0 + chg0` of the base against `i1..` of ours and `i2..` of
/// theirs.
#[derive(Debug, Clone, Copy)]
struct Hunk {
    mode: Mode,
    i0: i64,
    chg0: i64,
    i1: i64,
    chg1: i64,
    i2: i64,
    chg2: i64,
}

/// A file's bytes and lines.
struct Text<'a> {
    bytes: &'a [u8],
    lines: Lines,
}

impl<'a> Text<'a> {
    fn new(bytes: &'a [u8]) -> Text<'a> {
        Text {
            lines: split_lines(bytes),
            bytes,
        }
    }
    fn line(&self, i: i64) -> &'a [u8] {
        &self.bytes[self.lines.range(i as usize)]
    }
    fn n(&self) -> i64 {
        self.lines.len() as i64
    }
    /// Whether line `i` ends in CRLF (1), LF (0), or cannot tell (-1), as git decides.
    fn eol_crlf(&self, i: i64) -> i32 {
        let n = self.n();
        let crlf = |l: &[u8]| i32::from(l.len() > 1 && l[l.len() - 2] == b'\r');
        if i < n - 1 {
            return crlf(self.line(i));
        }
        if n == 0 {
            return -1;
        }
        let last = self.line(i);
        if last.last() == Some(&b'\n') {
            return crlf(last);
        }
        if i == 0 {
            return -1;
        }
        crlf(self.line(i - 1))
    }
}

/// Appends a new hunk, or widens the last one when the new one touches it.
#[allow(clippy::too_many_arguments)] // A hunk's seven fields.
fn append(
    hunks: &mut Vec<Hunk>,
    mode: Mode,
    i0: i64,
    chg0: i64,
    i1: i64,
    chg1: i64,
    i2: i64,
    chg2: i64,
) {
    if let Some(m) = hunks.last_mut()
        && (i1 <= m.i1 + m.chg1 || i2 <= m.i2 + m.chg2)
    {
        if mode != m.mode {
            m.mode = Mode::Conflict;
        }
        m.chg0 = i0 + chg0 - m.i0;
        m.chg1 = i1 + chg1 - m.i1;
        m.chg2 = i2 + chg2 - m.i2;
        return;
    }
    hunks.push(Hunk {
        mode,
        i0,
        chg0,
        i1,
        chg1,
        i2,
        chg2,
    });
}

/// The two edit scripts walked together into hunks.
fn hunks(s1: &[Change], s2: &[Change], ours: &Text, theirs: &Text, base_n: i64) -> Vec<Hunk> {
    let mut out = Vec::new();
    let (mut x1, mut x2) = (0, 0);
    let c = |c: &Change| (c.a as i64, c.b as i64, c.len_a as i64, c.len_b as i64);
    while x1 < s1.len() && x2 < s2.len() {
        let (a1, b1, la1, lb1) = c(&s1[x1]);
        let (a2, b2, la2, lb2) = c(&s2[x2]);
        if a1 + la1 < a2 {
            append(&mut out, Mode::Ours, a1, la1, b1, lb1, b2 - a2 + a1, la1);
            x1 += 1;
            continue;
        }
        if a2 + la2 < a1 {
            append(&mut out, Mode::Theirs, a2, la2, b1 - a1 + a2, la2, b2, lb2);
            x2 += 1;
            continue;
        }
        let same = a1 == a2
            && la1 == la2
            && lb1 == lb2
            && (0..lb1).all(|k| ours.line(b1 + k) == theirs.line(b2 + k));
        if !same {
            let off = a1 - a2;
            let ffo = off + la1 - la2;
            let (mut i0, mut i1, mut i2) = (a1, b1, b2);
            if off > 0 {
                i0 -= off;
                i1 -= off;
            } else {
                i2 += off;
            }
            let mut chg0 = a1 + la1 - i0;
            let mut chg1 = b1 + lb1 - i1;
            let mut chg2 = b2 + lb2 - i2;
            if ffo < 0 {
                chg0 -= ffo;
                chg1 -= ffo;
            } else {
                chg2 += ffo;
            }
            append(&mut out, Mode::Conflict, i0, chg0, i1, chg1, i2, chg2);
        }
        let (e1, e2) = (a1 + la1, a2 + la2);
        if e1 >= e2 {
            x2 += 1;
        }
        if e2 >= e1 {
            x1 += 1;
        }
    }
    for ch in &s1[x1..] {
        let (a1, b1, la1, lb1) = c(ch);
        append(
            &mut out,
            Mode::Ours,
            a1,
            la1,
            b1,
            lb1,
            a1 + theirs.n() - base_n,
            la1,
        );
    }
    for ch in &s2[x2..] {
        let (a2, b2, la2, lb2) = c(ch);
        append(
            &mut out,
            Mode::Theirs,
            a2,
            la2,
            a2 + ours.n() - base_n,
            la2,
            b2,
            lb2,
        );
    }
    out
}

/// Conflicts whose sides differ in only some lines are split where the sides agree.
fn refine(hunks: Vec<Hunk>, ours: &Text, theirs: &Text) -> Result<Vec<Hunk>, Error> {
    let mut out = Vec::with_capacity(hunks.len());
    for m in hunks {
        if m.mode != Mode::Conflict || m.chg1 == 0 || m.chg2 == 0 {
            out.push(m);
            continue;
        }
        fn span<'t>(t: &Text<'t>, i: i64, chg: i64) -> &'t [u8] {
            let start = t.lines.start(i as usize);
            let end = t.lines.end((i + chg - 1) as usize);
            &t.bytes[start..end]
        }
        let script = diff::diff_texts(span(ours, m.i1, m.chg1), span(theirs, m.i2, m.chg2))
            .map_err(|_| Error::GaveUp)?;
        if script.is_empty() {
            out.push(Hunk {
                mode: Mode::Same,
                ..m
            });
            continue;
        }
        for ch in script {
            out.push(Hunk {
                mode: Mode::Conflict,
                i1: ch.a as i64 + m.i1,
                chg1: ch.len_a as i64,
                i2: ch.b as i64 + m.i2,
                chg2: ch.len_b as i64,
                ..m
            });
        }
    }
    Ok(out)
}

/// Conflicts at most three lines apart (or apart only by lines without a letter or
/// digit) are joined.
fn simplify(mut hunks: Vec<Hunk>, ours: &Text) -> Vec<Hunk> {
    let alnum =
        |i: i64, n: i64| (i..i + n).any(|k| ours.line(k).iter().any(u8::is_ascii_alphanumeric));
    let mut i = 0;
    while i + 1 < hunks.len() {
        let (m, next) = (hunks[i], hunks[i + 1]);
        let (begin, end) = (m.i1 + m.chg1, next.i1);
        if m.mode != Mode::Conflict
            || next.mode != Mode::Conflict
            || (end - begin > 3 && alnum(begin, end - begin))
        {
            i += 1;
        } else {
            hunks[i].chg1 = next.i1 + next.chg1 - m.i1;
            hunks[i].chg2 = next.i2 + next.chg2 - m.i2;
            hunks.remove(i + 1);
        }
    }
    hunks
}

/// zdiff3: lines both sides of a conflict share at its start or end move out of it.
fn zdiff3_refine(hunks: &mut [Hunk], ours: &Text, theirs: &Text) {
    for m in hunks.iter_mut().filter(|m| m.mode == Mode::Conflict) {
        while m.chg1 > 0 && m.chg2 > 0 && ours.line(m.i1) == theirs.line(m.i2) {
            m.chg1 -= 1;
            m.chg2 -= 1;
            m.i1 += 1;
            m.i2 += 1;
        }
        while m.chg1 > 0
            && m.chg2 > 0
            && ours.line(m.i1 + m.chg1 - 1) == theirs.line(m.i2 + m.chg2 - 1)
        {
            m.chg1 -= 1;
            m.chg2 -= 1;
        }
    }
}

/// Copies lines; with `add_nl`, ends the last one if it has no end of line.
fn copy(out: &mut Vec<u8>, t: &Text, i: i64, count: i64, needs_cr: bool, add_nl: bool) {
    if count < 1 {
        return;
    }
    let start = t.lines.start(i as usize);
    let end = t.lines.end((i + count - 1) as usize);
    out.extend_from_slice(&t.bytes[start..end]);
    if add_nl && t.bytes[end - 1] != b'\n' {
        if needs_cr {
            out.push(b'\r');
        }
        out.push(b'\n');
    }
}

/// Whether a conflict's markers end in CRLF: as the lines before it on both sides do,
/// else as the base's first line does; LF when undecided.
fn cr_needed(base: &Text, ours: &Text, theirs: &Text, m: &Hunk) -> bool {
    let mut needs = ours.eol_crlf(if m.i1 > 0 { m.i1 - 1 } else { 0 });
    if needs != 0 {
        needs = theirs.eol_crlf(if m.i2 > 0 { m.i2 - 1 } else { 0 });
    }
    if needs != 0 {
        needs = base.eol_crlf(0);
    }
    needs > 0
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

/// Writes the merged file.
fn fill(hunks: &[Hunk], base: &Text, ours: &Text, theirs: &Text, markers: &Markers) -> Vec<u8> {
    let size = if markers.size == 0 {
        DEFAULT_MARKER_SIZE
    } else {
        markers.size
    };
    // An upper bound of the output's size, so that the buffer is allocated once:
    // ours, plus what each hunk may add (theirs' and the base's lines, four marker
    // lines, ends of line).
    let label = |l: &Option<String>| l.as_deref().map_or(0, str::len);
    let marker_lines =
        4 * (size + 4) + label(&markers.ours) + label(&markers.base) + label(&markers.theirs);
    let bytes = |t: &Text, i: i64, chg: i64| -> usize {
        if chg < 1 {
            0
        } else {
            t.lines.end((i + chg - 1) as usize) - t.lines.start(i as usize)
        }
    };
    let extra: usize = hunks
        .iter()
        .map(|m| match m.mode {
            Mode::Ours | Mode::Same => 4,
            Mode::Theirs => bytes(theirs, m.i2, m.chg2) + 4,
            Mode::Conflict => {
                bytes(theirs, m.i2, m.chg2) + bytes(base, m.i0, m.chg0) + marker_lines + 8
            }
        })
        .sum();
    let mut out = Vec::with_capacity(ours.bytes.len() + extra);
    let mut i = 0i64;
    for m in hunks {
        match m.mode {
            Mode::Conflict => {
                let cr = cr_needed(base, ours, theirs, m);
                copy(&mut out, ours, i, m.i1 - i, false, false);
                marker(&mut out, b'<', size, markers.ours.as_deref(), cr);
                copy(&mut out, ours, m.i1, m.chg1, cr, true);
                if markers.style != Style::Merge {
                    marker(&mut out, b'|', size, markers.base.as_deref(), cr);
                    copy(&mut out, base, m.i0, m.chg0, cr, true);
                }
                marker(&mut out, b'=', size, None, cr);
                copy(&mut out, theirs, m.i2, m.chg2, cr, true);
                marker(&mut out, b'>', size, markers.theirs.as_deref(), cr);
            }
            Mode::Ours => {
                copy(&mut out, ours, i, m.i1 - i, false, false);
                let cr = cr_needed(base, ours, theirs, m);
                copy(&mut out, ours, m.i1, m.chg1, cr, false);
            }
            Mode::Theirs => {
                copy(&mut out, ours, i, m.i1 - i, false, false);
                copy(&mut out, theirs, m.i2, m.chg2, false, false);
            }
            Mode::Same => continue,
        }
        i = m.i1 + m.chg1;
    }
    copy(&mut out, ours, i, ours.n() - i, false, false);
    out
}

/// Merges like `git merge-file -p --diff-algorithm=histogram` (default level, no
/// favouring), with the given markers.
pub fn merge(base: &[u8], ours: &[u8], theirs: &[u8], markers: &Markers) -> Result<Merged, Error> {
    if [base, ours, theirs].iter().any(|t| is_binary(t)) {
        return Err(Error::Binary);
    }
    if [base, ours, theirs]
        .iter()
        .any(|t| t.len() >= u32::MAX as usize)
    {
        return Err(Error::TooLarge);
    }
    let (b, o, t) = (Text::new(base), Text::new(ours), Text::new(theirs));
    // The base is interned once for both diffs; each pair then has git's numbering.
    let interned = diff::intern_all(&[(base, &b.lines), (ours, &o.lines), (theirs, &t.lines)]);
    let (cb, nb) = (&interned[0].0, interned[0].1);
    let total = interned[2].1;
    let s1 = diff::Pair::from_classes(cb, nb, &interned[1].0, total)
        .diff()
        .map_err(|_| Error::GaveUp)?;
    let s2 = diff::Pair::from_classes(cb, nb, &interned[2].0, total)
        .diff()
        .map_err(|_| Error::GaveUp)?;
    if s1.is_empty() {
        return Ok(Merged {
            content: theirs.to_vec(),
            conflicts: 0,
        });
    }
    if s2.is_empty() {
        return Ok(Merged {
            content: ours.to_vec(),
            conflicts: 0,
        });
    }
    let mut hs = hunks(&s1, &s2, &o, &t, b.n());
    match markers.style {
        Style::Zdiff3 => zdiff3_refine(&mut hs, &o, &t),
        Style::Diff3 => {}
        Style::Merge => hs = simplify(refine(hs, &o, &t)?, &o),
    }
    let conflicts = hs.iter().filter(|h| h.mode == Mode::Conflict).count();
    Ok(Merged {
        content: fill(&hs, &b, &o, &t, markers),
        conflicts,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::git::GitMergeFile;

    fn both(b: &str, o: &str, t: &str, style: Style) {
        let m = Markers {
            style,
            ours: Some("o".into()),
            base: Some("b".into()),
            theirs: Some("t".into()),
            ..Markers::default()
        };
        let native = merge(b.as_bytes(), o.as_bytes(), t.as_bytes(), &m).unwrap();
        let git = GitMergeFile::default()
            .merge(b.as_bytes(), o.as_bytes(), t.as_bytes(), &m)
            .unwrap();
        assert_eq!(
            (String::from_utf8_lossy(&native.content), native.conflicts),
            (String::from_utf8_lossy(&git.content), git.conflicts),
            "{b:?} {o:?} {t:?} {style}"
        );
    }

    #[test]
    fn matches_git_on_small_merges() {
        for style in [Style::Merge, Style::Diff3, Style::Zdiff3] {
            both("a\nb\nc\n", "A\nb\nc\n", "a\nb\nC\n", style);
            both("a\nb\nc\n", "a\nX\nc\n", "a\nY\nc\n", style);
            both(
                "a\r\nb\r\nc\r\n",
                "a\r\nX\r\nc\r\n",
                "a\r\nY\r\nc\r\n",
                style,
            );
            both("a\nb", "a\nX", "a\nY", style);
            both("", "x\n", "y\n", style);
            both(
                "a\nb\nc\nd\ne\n",
                "a\nB\nc\nD\ne\n",
                "a\nb2\nc\nd2\ne\n",
                style,
            );
            both("1\n2\n3\n", "1\n2\n3\n4\n", "0\n1\n2\n3\n", style);
        }
    }
}
