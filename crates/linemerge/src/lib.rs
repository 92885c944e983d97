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
mod render;

use std::borrow::Cow;
use std::fmt;

pub use markers::{DEFAULT_MARKER_SIZE, Markers, Style};
pub use render::{parse, render};

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

/// Conflicts at most three lines apart are joined; at `git merge-file`'s level also
/// those apart only by lines without a letter or digit (`alnum`).
fn simplify(mut hunks: Vec<Hunk>, ours: &Text, alnum_level: bool) -> Vec<Hunk> {
    let alnum =
        |i: i64, n: i64| (i..i + n).any(|k| ours.line(k).iter().any(u8::is_ascii_alphanumeric));
    let mut i = 0;
    while i + 1 < hunks.len() {
        let (m, next) = (hunks[i], hunks[i + 1]);
        let (begin, end) = (m.i1 + m.chg1, next.i1);
        if m.mode != Mode::Conflict
            || next.mode != Mode::Conflict
            || (end - begin > 3 && (!alnum_level || alnum(begin, end - begin)))
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

/// Lines `i..i + count` of a text, as they are.
fn lines<'a>(t: &Text<'a>, i: i64, count: i64) -> &'a [u8] {
    if count < 1 {
        return &[];
    }
    &t.bytes[t.lines.start(i as usize)..t.lines.end((i + count - 1) as usize)]
}

/// Lines of a conflict's section, the last one ended if it has no end of line (with
/// CRLF where the block's markers have it), as git writes them inside a block.
fn section<'a>(t: &Text<'a>, i: i64, count: i64, needs_cr: bool) -> Cow<'a, [u8]> {
    let text = lines(t, i, count);
    match text.last() {
        Some(&last) if last != b'\n' => {
            let mut owned = Vec::with_capacity(text.len() + 2);
            owned.extend_from_slice(text);
            if needs_cr {
                owned.push(b'\r');
            }
            owned.push(b'\n');
            Cow::Owned(owned)
        }
        _ => Cow::Borrowed(text),
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

/// A stretch of the merged file: text taken as it is, or a conflict block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Piece<'a> {
    /// Lines merged cleanly (from ours, or from theirs), ends of line included.
    Text(Cow<'a, [u8]>),
    /// Both sides changed these lines.
    Conflict(Block<'a>),
}

/// One conflict block's sections, each a run of whole lines (every one ended, as git
/// writes them inside a block), before the markers are written around them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block<'a> {
    /// Our lines.
    pub ours: Cow<'a, [u8]>,
    /// The base's lines (written in the diff3 and zdiff3 styles).
    pub base: Cow<'a, [u8]>,
    /// Their lines.
    pub theirs: Cow<'a, [u8]>,
    /// Whether the marker lines end in CRLF.
    pub crlf: bool,
}

/// The part of a merge that no conflict style changes: both sides diffed against the
/// base, and the two edit scripts walked together into hunks. [`Plan::pieces`] then
/// refines the conflicts as a style asks and [`render`] writes them.
pub struct Plan<'a> {
    base: Text<'a>,
    ours: Text<'a>,
    theirs: Text<'a>,
    hunks: Vec<Hunk>,
    /// The whole result when one side did not change the base: the other side.
    whole: Option<&'a [u8]>,
    /// How far the merge style simplifies conflicts.
    level: Level,
}

/// How far the merge style joins conflicts (xdiff's levels; the diff3 styles do not
/// join them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Level {
    /// `XDL_MERGE_ZEALOUS`, what `git merge`, `git rebase`, `git cherry-pick` and
    /// `git merge-tree` use (`ll-merge`): conflicts at most three lines apart join.
    Zealous,
    /// `XDL_MERGE_ZEALOUS_ALNUM`, what `git merge-file` uses: conflicts apart only by
    /// lines without a letter or digit join too.
    #[default]
    ZealousAlnum,
}

impl<'a> Plan<'a> {
    /// The plan at another level (see [`Level`]).
    pub fn with_level(self, level: Level) -> Plan<'a> {
        Plan { level, ..self }
    }

    /// Whether any hunk conflicts before a style refines it. Without one, every style
    /// gives the same merge; with one, the style can change where the blocks are, or
    /// (the merge style) find that both sides made the same change.
    pub fn has_conflicts(&self) -> bool {
        self.hunks.iter().any(|h| h.mode == Mode::Conflict)
    }

    /// The merged file as pieces, conflicts refined as `style` refines them.
    pub fn pieces(&self, style: Style) -> Result<Vec<Piece<'a>>, Error> {
        if let Some(whole) = self.whole {
            return Ok(vec![Piece::Text(Cow::Borrowed(whole))]);
        }
        let (b, o, t) = (&self.base, &self.ours, &self.theirs);
        let hunks = match style {
            Style::Zdiff3 => {
                let mut hs = self.hunks.clone();
                zdiff3_refine(&mut hs, o, t);
                Cow::Owned(hs)
            }
            Style::Diff3 => Cow::Borrowed(&self.hunks),
            Style::Merge if self.has_conflicts() => {
                let alnum_level = self.level == Level::ZealousAlnum;
                Cow::Owned(simplify(refine(self.hunks.clone(), o, t)?, o, alnum_level))
            }
            Style::Merge => Cow::Borrowed(&self.hunks),
        };
        let mut out = Vec::with_capacity(2 * hunks.len() + 1);
        // Lines of ours not yet written: `from..` (written in one piece with what
        // follows them in ours).
        let mut from = 0i64;
        for m in hunks.iter() {
            match m.mode {
                Mode::Conflict => {
                    let cr = cr_needed(b, o, t, m);
                    push_text(&mut out, lines(o, from, m.i1 - from));
                    out.push(Piece::Conflict(Block {
                        ours: section(o, m.i1, m.chg1, cr),
                        base: section(b, m.i0, m.chg0, cr),
                        theirs: section(t, m.i2, m.chg2, cr),
                        crlf: cr,
                    }));
                    from = m.i1 + m.chg1;
                }
                // Ours' lines stay where they are: written with the next piece.
                Mode::Ours => {}
                Mode::Theirs => {
                    push_text(&mut out, lines(o, from, m.i1 - from));
                    push_text(&mut out, lines(t, m.i2, m.chg2));
                    from = m.i1 + m.chg1;
                }
                Mode::Same => {}
            }
        }
        push_text(&mut out, lines(o, from, o.n() - from));
        Ok(out)
    }
}

fn push_text<'a>(out: &mut Vec<Piece<'a>>, text: &'a [u8]) {
    if !text.is_empty() {
        out.push(Piece::Text(Cow::Borrowed(text)));
    }
}

/// Diffs both sides against the base and walks the two edit scripts together: the
/// merge before any conflict style applies.
pub fn plan<'a>(base: &'a [u8], ours: &'a [u8], theirs: &'a [u8]) -> Result<Plan<'a>, Error> {
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
    let whole = if s1.is_empty() {
        Some(theirs)
    } else if s2.is_empty() {
        Some(ours)
    } else {
        None
    };
    let hunks = if whole.is_some() {
        Vec::new()
    } else {
        hunks(&s1, &s2, &o, &t, b.n())
    };
    Ok(Plan {
        base: b,
        ours: o,
        theirs: t,
        hunks,
        whole,
        level: Level::ZealousAlnum,
    })
}

/// Merges like `git merge-file -p --diff-algorithm=histogram` (default level, no
/// favouring), with the given markers.
pub fn merge(base: &[u8], ours: &[u8], theirs: &[u8], markers: &Markers) -> Result<Merged, Error> {
    let plan = plan(base, ours, theirs)?;
    Ok(render(&plan.pieces(markers.style)?, markers))
}

#[cfg(test)]
mod tests;
