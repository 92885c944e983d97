//! The two-way line diff `git merge-file --diff-algorithm=histogram` runs, with
//! git's exact choices: lines interned into classes in order of first appearance,
//! the histogram algorithm (with its Myers fallback for regions of frequent lines),
//! and the sliding of change groups that git applies before building its edit script.
//! Every tie is broken the way git breaks it, because the merge's output depends on
//! which of several equally long matches is chosen.
//!
//! Recursion in git's code becomes explicit work lists here: the sub-problems are
//! independent, so the order they are solved in does not change the result.

use std::ops::Range;

use rustc_hash::FxHashMap as FxMap;

mod compact;
mod histogram;
mod myers;

use compact::*;
use histogram::*;
use myers::*;

/// A change of the edit script: `len_a` lines at `a` replaced by `len_b` lines at `b`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Change {
    /// First line in file A.
    pub a: usize,
    /// First line in file B.
    pub b: usize,
    /// Lines removed from A.
    pub len_a: usize,
    /// Lines added from B.
    pub len_b: usize,
}

/// The lines of a text, each with its end of line (the last line may lack one), as
/// 32-bit offsets: a quarter of the memory of ranges, for files under 4 GiB (larger
/// ones go to `git merge-file`).
pub struct Lines {
    /// Where each line starts, then the text's length.
    starts: Vec<u32>,
}

impl Lines {
    /// How many lines.
    pub fn len(&self) -> usize {
        self.starts.len() - 1
    }

    /// Whether there is no line.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Where line `i` starts.
    pub fn start(&self, i: usize) -> usize {
        self.starts[i] as usize
    }

    /// Where line `i` ends (after its end of line).
    pub fn end(&self, i: usize) -> usize {
        self.starts[i + 1] as usize
    }

    /// Line `i`'s bytes.
    pub fn range(&self, i: usize) -> Range<usize> {
        self.start(i)..self.end(i)
    }
}

/// Splits a text of less than 4 GiB into lines.
pub fn split_lines(text: &[u8]) -> Lines {
    debug_assert!(text.len() < u32::MAX as usize);
    let newlines = memchr::memchr_iter(b'\n', text).count();
    let mut starts = Vec::with_capacity(newlines + 2);
    starts.push(0);
    starts.extend(memchr::memchr_iter(b'\n', text).map(|nl| (nl + 1) as u32));
    if starts.last() != Some(&(text.len() as u32)) {
        starts.push(text.len() as u32);
    }
    Lines { starts }
}

/// Two files prepared for diffing: their lines' classes (equal lines, equal class;
/// numbered in order of first appearance, A before B) and their change marks.
pub struct Pair {
    /// Classes of A's lines.
    pub a: Vec<u32>,
    /// Classes of B's lines.
    pub b: Vec<u32>,
    /// `changed_a[i + 1]`: whether A's line `i` is changed (index 0 and the last are
    /// sentinels, always false).
    changed_a: Vec<bool>,
    changed_b: Vec<bool>,
}

impl Pair {
    /// Interns the lines of both files.
    pub fn new<'t>(text_a: &'t [u8], lines_a: &Lines, text_b: &'t [u8], lines_b: &Lines) -> Pair {
        let mut map: FxMap<&'t [u8], u32> = FxMap::default();
        map.reserve(lines_a.len() + lines_b.len());
        let mut intern = |line: &'t [u8]| -> u32 {
            let next = map.len() as u32;
            *map.entry(line).or_insert(next)
        };
        let a: Vec<u32> = (0..lines_a.len())
            .map(|i| intern(&text_a[lines_a.range(i)]))
            .collect();
        let b: Vec<u32> = (0..lines_b.len())
            .map(|i| intern(&text_b[lines_b.range(i)]))
            .collect();
        Pair {
            changed_a: vec![false; a.len() + 2],
            changed_b: vec![false; b.len() + 2],
            a,
            b,
        }
    }

    /// Builds a pair from classes already computed: `a` numbered in order of first
    /// appearance starting at 0 (as git numbers them), `b` from the same interning.
    /// `b`'s classes not seen in `a` are renumbered in order of first appearance in `b`,
    /// which gives exactly git's numbering for the pair.
    pub fn from_classes(a: &[u32], a_classes: u32, b: &[u32], total_classes: u32) -> Pair {
        let mut remap: Vec<u32> = vec![u32::MAX; total_classes as usize];
        let mut next = a_classes;
        let b: Vec<u32> = b
            .iter()
            .map(|&c| {
                if c < a_classes {
                    c
                } else {
                    let slot = &mut remap[c as usize];
                    if *slot == u32::MAX {
                        *slot = next;
                        next += 1;
                    }
                    *slot
                }
            })
            .collect();
        Pair {
            changed_a: vec![false; a.len() + 2],
            changed_b: vec![false; b.len() + 2],
            a: a.to_vec(),
            b,
        }
    }

    /// Runs the histogram diff, compacts the change groups, returns the edit script.
    pub fn diff(mut self) -> Result<Vec<Change>, DiffError> {
        histogram(&self.a, &self.b, &mut self.changed_a, &mut self.changed_b)?;
        compact(&self.a, &mut self.changed_a, &mut self.changed_b);
        compact(&self.b, &mut self.changed_b, &mut self.changed_a);
        Ok(script(&self.changed_a, &self.changed_b))
    }
}

/// Interns the lines of several texts together: classes numbered in order of first
/// appearance across the texts in order. Returns each text's classes and how many
/// classes the texts before it and it had seen.
///
/// The table is open addressing over class numbers (4 bytes a slot, at most half
/// full), each class keeping its hash and its first line: a fraction of the memory of
/// a map from line to class, which a file of distinct lines would make as large as
/// the inputs.
pub fn intern_all(texts: &[(&[u8], &Lines)]) -> Vec<(Vec<u32>, u32)> {
    let total: usize = texts.iter().map(|(_, l)| l.len()).sum();
    let buckets = (2 * total).max(16).next_power_of_two();
    let mask = buckets - 1;
    let mut slots: Vec<u32> = vec![0; buckets];
    let mut hashes: Vec<u32> = Vec::new();
    let mut firsts: Vec<&[u8]> = Vec::new();
    texts
        .iter()
        .map(|(text, lines)| {
            let classes: Vec<u32> = (0..lines.len())
                .map(|i| {
                    let line = &text[lines.range(i)];
                    let hash = line_hash(line);
                    let mut slot = hash as usize & mask;
                    loop {
                        match slots[slot] {
                            0 => {
                                let class = hashes.len() as u32;
                                slots[slot] = class + 1;
                                hashes.push(hash as u32);
                                firsts.push(line);
                                return class;
                            }
                            c if hashes[c as usize - 1] == hash as u32
                                && firsts[c as usize - 1] == line =>
                            {
                                return c - 1;
                            }
                            _ => slot = (slot + 1) & mask,
                        }
                    }
                })
                .collect();
            (classes, hashes.len() as u32)
        })
        .collect()
}

/// A line's hash for interning.
fn line_hash(line: &[u8]) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write_usize(line.len());
    h.write(line);
    // The table takes the low bits: fold the high ones, which Fx mixes best, down.
    let v = h.finish();
    v ^ (v >> 32)
}

/// The histogram diff gave up (git fails the same way): a hash bucket of the line
/// index held 64 distinct lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffError;

/// Diffs two texts the way `git merge-file --diff-algorithm=histogram` does.
pub fn diff_texts(text_a: &[u8], text_b: &[u8]) -> Result<Vec<Change>, DiffError> {
    let (la, lb) = (split_lines(text_a), split_lines(text_b));
    Pair::new(text_a, &la, text_b, &lb).diff()
}

#[cfg(test)]
mod tests;
