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

/// git's bucket function: `(v + (v >> b)) & (2^b - 1)`.
fn hash_long(v: u64, bits: u32) -> usize {
    ((v + (v >> bits)) & ((1u64 << bits) - 1)) as usize
}

/// The number of bits of the smallest power of two at least `size` (at least 1).
fn hash_bits(size: usize) -> u32 {
    let (mut val, mut bits) = (1u64, 0u32);
    while val < size as u64 && bits < 32 {
        val <<= 1;
        bits += 1;
    }
    bits.max(1)
}

const MAX_CHAIN_LENGTH: u32 = 64;

/// One distinct line of A's range in the histogram index.
#[derive(Clone, Copy)]
struct HistRecord {
    /// Its latest (lowest) line number.
    ptr: u32,
    /// How many times it occurs.
    cnt: u32,
    /// The next record of its bucket (0: none; else index + 1).
    next: u32,
}

#[derive(Clone, Copy, Default)]
struct Region {
    begin1: u32,
    end1: u32,
    begin2: u32,
    end2: u32,
}

/// The histogram index over A's lines `line1..line1 + count1` (1-based, as git numbers
/// them).
struct Index<'a> {
    a: &'a [u32],
    b: &'a [u32],
    bits: u32,
    heads: Vec<u32>,
    records: Vec<HistRecord>,
    line_map: Vec<u32>,
    next_ptrs: Vec<u32>,
    shift: u32,
    cnt: u32,
    has_common: bool,
}

impl Index<'_> {
    fn class_a(&self, line: u32) -> u32 {
        self.a[line as usize - 1]
    }
    fn class_b(&self, line: u32) -> u32 {
        self.b[line as usize - 1]
    }
    fn count_at(&self, line: u32) -> u32 {
        self.records[self.line_map[(line - self.shift) as usize] as usize].cnt
    }

    fn scan_a(&mut self, line1: u32, count1: u32) -> Result<(), DiffError> {
        let end = line1 + count1 - 1;
        let mut ptr = end;
        while ptr >= line1 {
            let bucket = hash_long(u64::from(self.class_a(ptr)), self.bits);
            let mut rec = self.heads[bucket];
            let mut chain_len = 0;
            let mut found = false;
            while rec != 0 {
                let r = (rec - 1) as usize;
                if self.class_a(self.records[r].ptr) == self.class_a(ptr) {
                    self.next_ptrs[(ptr - self.shift) as usize] = self.records[r].ptr;
                    self.records[r].ptr = ptr;
                    self.records[r].cnt = self.records[r].cnt.saturating_add(1);
                    self.line_map[(ptr - self.shift) as usize] = r as u32;
                    found = true;
                    break;
                }
                rec = self.records[r].next;
                chain_len += 1;
            }
            if !found {
                if chain_len == MAX_CHAIN_LENGTH {
                    return Err(DiffError);
                }
                self.records.push(HistRecord {
                    ptr,
                    cnt: 1,
                    next: self.heads[bucket],
                });
                let r = self.records.len() as u32;
                self.heads[bucket] = r;
                self.line_map[(ptr - self.shift) as usize] = r - 1;
            }
            if ptr == 0 {
                break;
            }
            ptr -= 1;
        }
        Ok(())
    }

    #[allow(clippy::too_many_arguments)] // The region's four bounds and the running best.
    fn try_lcs(
        &mut self,
        lcs: &mut Region,
        b_ptr: u32,
        line1: u32,
        count1: u32,
        line2: u32,
        count2: u32,
    ) -> u32 {
        let (end1, end2) = (line1 + count1 - 1, line2 + count2 - 1);
        let mut b_next = b_ptr + 1;
        let mut rec = self.heads[hash_long(u64::from(self.class_b(b_ptr)), self.bits)];
        while rec != 0 {
            let r = (rec - 1) as usize;
            let record = self.records[r];
            rec = record.next;
            if record.cnt > self.cnt {
                if !self.has_common {
                    self.has_common = self.class_a(record.ptr) == self.class_b(b_ptr);
                }
                continue;
            }
            let mut as_ = record.ptr;
            if self.class_a(as_) != self.class_b(b_ptr) {
                continue;
            }
            self.has_common = true;
            loop {
                let mut np = self.next_ptrs[(as_ - self.shift) as usize];
                let mut bs = b_ptr;
                let mut ae = as_;
                let mut be = bs;
                let mut rc = record.cnt;
                while line1 < as_ && line2 < bs && self.class_a(as_ - 1) == self.class_b(bs - 1) {
                    as_ -= 1;
                    bs -= 1;
                    if 1 < rc {
                        rc = rc.min(self.count_at(as_));
                    }
                }
                while ae < end1 && be < end2 && self.class_a(ae + 1) == self.class_b(be + 1) {
                    ae += 1;
                    be += 1;
                    if 1 < rc {
                        rc = rc.min(self.count_at(ae));
                    }
                }
                if b_next <= be {
                    b_next = be + 1;
                }
                if lcs.end1 - lcs.begin1 < ae - as_ || rc < self.cnt {
                    *lcs = Region {
                        begin1: as_,
                        begin2: bs,
                        end1: ae,
                        end2: be,
                    };
                    self.cnt = rc;
                }
                if np == 0 {
                    break;
                }
                let mut stop = false;
                while np <= ae {
                    np = self.next_ptrs[(np - self.shift) as usize];
                    if np == 0 {
                        stop = true;
                        break;
                    }
                }
                if stop {
                    break;
                }
                as_ = np;
            }
        }
        b_next
    }
}

/// What `find_lcs` found.
enum Lcs {
    Found(Region),
    /// Common lines exist but all are too frequent: use the classic diff.
    FallBack,
}

fn find_lcs(
    a: &[u32],
    b: &[u32],
    line1: u32,
    count1: u32,
    line2: u32,
    count2: u32,
) -> Result<Lcs, DiffError> {
    let bits = hash_bits(count1 as usize);
    let mut index = Index {
        a,
        b,
        bits,
        heads: vec![0; 1 << bits],
        records: Vec::with_capacity(count1 as usize / 4 + 1),
        line_map: vec![0; count1 as usize],
        next_ptrs: vec![0; count1 as usize],
        shift: line1,
        cnt: 0,
        has_common: false,
    };
    index.scan_a(line1, count1)?;
    index.cnt = MAX_CHAIN_LENGTH + 1;
    let mut lcs = Region::default();
    let mut b_ptr = line2;
    while b_ptr < line2 + count2 {
        b_ptr = index.try_lcs(&mut lcs, b_ptr, line1, count1, line2, count2);
    }
    if index.has_common && MAX_CHAIN_LENGTH < index.cnt {
        Ok(Lcs::FallBack)
    } else {
        Ok(Lcs::Found(lcs))
    }
}

/// Marks lines `line..line + count` (1-based) changed.
fn mark(changed: &mut [bool], line: u32, count: u32) {
    for l in line..line + count {
        changed[l as usize] = true;
    }
}

/// The histogram diff of A and B; marks changed lines.
fn histogram(
    a: &[u32],
    b: &[u32],
    changed_a: &mut [bool],
    changed_b: &mut [bool],
) -> Result<(), DiffError> {
    let mut work: Vec<(u32, u32, u32, u32)> = vec![(1, a.len() as u32, 1, b.len() as u32)];
    while let Some((mut line1, mut count1, mut line2, mut count2)) = work.pop() {
        loop {
            if count1 == 0 && count2 == 0 {
                break;
            }
            if count1 == 0 {
                mark(changed_b, line2, count2);
                break;
            }
            if count2 == 0 {
                mark(changed_a, line1, count1);
                break;
            }
            match find_lcs(a, b, line1, count1, line2, count2)? {
                Lcs::FallBack => {
                    myers_range(a, b, changed_a, changed_b, line1, count1, line2, count2);
                    break;
                }
                Lcs::Found(lcs) if lcs.begin1 == 0 && lcs.begin2 == 0 => {
                    mark(changed_a, line1, count1);
                    mark(changed_b, line2, count2);
                    break;
                }
                Lcs::Found(lcs) => {
                    work.push((line1, lcs.begin1 - line1, line2, lcs.begin2 - line2));
                    let (end1, end2) = (line1 + count1 - 1, line2 + count2 - 1);
                    count1 = end1 - lcs.end1;
                    line1 = lcs.end1 + 1;
                    count2 = end2 - lcs.end2;
                    line2 = lcs.end2 + 1;
                }
            }
        }
    }
    Ok(())
}

/// `xdl_bogosqrt`: a power of two near the square root.
fn bogosqrt(mut n: i64) -> i64 {
    let mut i = 1;
    while n > 0 {
        i <<= 1;
        n >>= 2;
    }
    i
}

const MAX_COST_MIN: i64 = 256;
const HEUR_MIN_COST: i64 = 256;
const SNAKE_CNT: i64 = 20;
const K_HEUR: i64 = 4;
const MAX_EQLIMIT: i64 = 1024;
const SIMSCAN_WINDOW: i64 = 100;
const KPDIS_RUN: i64 = 4;

/// The classic (Myers) diff of A's lines `line1..line1 + count1` and B's (1-based),
/// as git runs it when the histogram falls back: on those lines alone, with their
/// common ends trimmed, lines without a match (and runs of too frequent ones)
/// discarded, and the cost-limiting heuristics on.
#[allow(clippy::too_many_arguments)] // Two files, their marks, and the range.
fn myers_range(
    a: &[u32],
    b: &[u32],
    changed_a: &mut [bool],
    changed_b: &mut [bool],
    line1: u32,
    count1: u32,
    line2: u32,
    count2: u32,
) {
    let sa = &a[line1 as usize - 1..(line1 + count1) as usize - 1];
    let sb = &b[line2 as usize - 1..(line2 + count2) as usize - 1];
    let (ca, cb) = myers(sa, sb);
    for (i, c) in ca.into_iter().enumerate() {
        changed_a[line1 as usize + i] = c;
    }
    for (i, c) in cb.into_iter().enumerate() {
        changed_b[line2 as usize + i] = c;
    }
}

/// git's `xdl_clean_mmatch`: whether a frequent line sits in a run of discarded ones.
fn clean_mmatch(dis: &[u8], i: i64, mut s: i64, mut e: i64) -> bool {
    if i - s > SIMSCAN_WINDOW {
        s = i - SIMSCAN_WINDOW;
    }
    if e - i > SIMSCAN_WINDOW {
        e = i + SIMSCAN_WINDOW;
    }
    let (mut rdis0, mut rpdis0) = (0i64, 1i64);
    let mut r = 1;
    while i - r >= s {
        match dis[(i - r) as usize] {
            0 => rdis0 += 1,
            2 => rpdis0 += 1,
            _ => break,
        }
        r += 1;
    }
    if rdis0 == 0 {
        return false;
    }
    let (mut rdis1, mut rpdis1) = (0i64, 1i64);
    r = 1;
    while i + r <= e {
        match dis[(i + r) as usize] {
            0 => rdis1 += 1,
            2 => rpdis1 += 1,
            _ => break,
        }
        r += 1;
    }
    if rdis1 == 0 {
        return false;
    }
    rdis1 += rdis0;
    rpdis1 += rpdis0;
    rpdis1 * KPDIS_RUN < rpdis1 + rdis1
}

/// Myers' diff of two class sequences as git's classic algorithm computes it; returns
/// the change marks of each (no sentinels).
fn myers(a: &[u32], b: &[u32]) -> (Vec<bool>, Vec<bool>) {
    let (n1, n2) = (a.len(), b.len());
    let mut ch1 = vec![false; n1];
    let mut ch2 = vec![false; n2];
    // Trim the common start and end.
    let lim = n1.min(n2);
    let mut start = 0;
    while start < lim && a[start] == b[start] {
        start += 1;
    }
    let mut tail = 0;
    while tail < lim - start && a[n1 - 1 - tail] == b[n2 - 1 - tail] {
        tail += 1;
    }
    let (dend1, dend2) = (n1 as i64 - tail as i64 - 1, n2 as i64 - tail as i64 - 1);
    // Occurrences of each class in each file.
    let mut counts: FxMap<u32, (i64, i64)> = FxMap::default();
    for &c in a {
        counts.entry(c).or_default().0 += 1;
    }
    for &c in b {
        counts.entry(c).or_default().1 += 1;
    }
    let discard =
        |lines: &[u32], dend: i64, other: fn(&(i64, i64)) -> i64, nrec: usize| -> Vec<u8> {
            let mlim = bogosqrt(nrec as i64).min(MAX_EQLIMIT);
            let mut dis = vec![0u8; lines.len() + 1];
            let mut i = start as i64;
            while i <= dend {
                let nm = counts.get(&lines[i as usize]).map_or(0, other);
                dis[i as usize] = if nm == 0 {
                    0
                } else if nm >= mlim {
                    2
                } else {
                    1
                };
                i += 1;
            }
            dis
        };
    let dis1 = discard(a, dend1, |c| c.1, n1);
    let dis2 = discard(b, dend2, |c| c.0, n2);
    let keep = |dis: &[u8], dend: i64, changed: &mut [bool]| -> Vec<usize> {
        let mut rindex = Vec::new();
        let mut i = start as i64;
        while i <= dend {
            let d = dis[i as usize];
            if d == 1 || (d == 2 && !clean_mmatch(dis, i, start as i64, dend)) {
                rindex.push(i as usize);
            } else {
                changed[i as usize] = true;
            }
            i += 1;
        }
        rindex
    };
    let r1 = keep(&dis1, dend1, &mut ch1);
    let r2 = keep(&dis2, dend2, &mut ch2);
    let ha1: Vec<u32> = r1.iter().map(|&i| a[i]).collect();
    let ha2: Vec<u32> = r2.iter().map(|&i| b[i]).collect();
    recs_cmp(&ha1, &r1, &mut ch1, &ha2, &r2, &mut ch2);
    (ch1, ch2)
}

/// A split point of `xdl_split`.
struct Split {
    i1: i64,
    i2: i64,
    min_lo: bool,
    min_hi: bool,
}

/// Scratch diagonals of the Myers search (negative indices shifted).
struct Diagonals {
    kvdf: Vec<i64>,
    kvdb: Vec<i64>,
    shift: i64,
    mxcost: i64,
}

impl Diagonals {
    fn f(&self, d: i64) -> i64 {
        self.kvdf[(d + self.shift) as usize]
    }
    fn set_f(&mut self, d: i64, v: i64) {
        self.kvdf[(d + self.shift) as usize] = v;
    }
    fn b(&self, d: i64) -> i64 {
        self.kvdb[(d + self.shift) as usize]
    }
    fn set_b(&mut self, d: i64, v: i64) {
        self.kvdb[(d + self.shift) as usize] = v;
    }
}

/// `xdl_split`: the middle snake of the box, or a heuristic split when it costs too
/// much.
#[allow(clippy::too_many_arguments)] // The box and the search state, as git has them.
fn split(
    ha1: &[u32],
    off1: i64,
    lim1: i64,
    ha2: &[u32],
    off2: i64,
    lim2: i64,
    kv: &mut Diagonals,
    need_min: bool,
) -> Split {
    let (dmin, dmax) = (off1 - lim2, lim1 - off2);
    let (fmid, bmid) = (off1 - off2, lim1 - lim2);
    let odd = (fmid - bmid) & 1 != 0;
    let (mut fmin, mut fmax, mut bmin, mut bmax) = (fmid, fmid, bmid, bmid);
    kv.set_f(fmid, off1);
    kv.set_b(bmid, lim1);
    let mut ec = 1i64;
    loop {
        let mut got_snake = false;
        if fmin > dmin {
            fmin -= 1;
            kv.set_f(fmin - 1, -1);
        } else {
            fmin += 1;
        }
        if fmax < dmax {
            fmax += 1;
            kv.set_f(fmax + 1, -1);
        } else {
            fmax -= 1;
        }
        let mut d = fmax;
        while d >= fmin {
            let mut i1 = if kv.f(d - 1) >= kv.f(d + 1) {
                kv.f(d - 1) + 1
            } else {
                kv.f(d + 1)
            };
            let prev1 = i1;
            let mut i2 = i1 - d;
            while i1 < lim1 && i2 < lim2 && ha1[i1 as usize] == ha2[i2 as usize] {
                i1 += 1;
                i2 += 1;
            }
            if i1 - prev1 > SNAKE_CNT {
                got_snake = true;
            }
            kv.set_f(d, i1);
            if odd && bmin <= d && d <= bmax && kv.b(d) <= i1 {
                return Split {
                    i1,
                    i2,
                    min_lo: true,
                    min_hi: true,
                };
            }
            d -= 2;
        }
        if bmin > dmin {
            bmin -= 1;
            kv.set_b(bmin - 1, i64::MAX);
        } else {
            bmin += 1;
        }
        if bmax < dmax {
            bmax += 1;
            kv.set_b(bmax + 1, i64::MAX);
        } else {
            bmax -= 1;
        }
        d = bmax;
        while d >= bmin {
            let mut i1 = if kv.b(d - 1) < kv.b(d + 1) {
                kv.b(d - 1)
            } else {
                kv.b(d + 1) - 1
            };
            let prev1 = i1;
            let mut i2 = i1 - d;
            while i1 > off1 && i2 > off2 && ha1[(i1 - 1) as usize] == ha2[(i2 - 1) as usize] {
                i1 -= 1;
                i2 -= 1;
            }
            if prev1 - i1 > SNAKE_CNT {
                got_snake = true;
            }
            kv.set_b(d, i1);
            if !odd && fmin <= d && d <= fmax && i1 <= kv.f(d) {
                return Split {
                    i1,
                    i2,
                    min_lo: true,
                    min_hi: true,
                };
            }
            d -= 2;
        }
        if need_min {
            ec += 1;
            continue;
        }
        if got_snake && ec > HEUR_MIN_COST {
            let (mut best, mut found) = (0i64, None);
            d = fmax;
            while d >= fmin {
                let dd = if d > fmid { d - fmid } else { fmid - d };
                let i1 = kv.f(d);
                let i2 = i1 - d;
                let v = (i1 - off1) + (i2 - off2) - dd;
                if v > K_HEUR * ec
                    && v > best
                    && off1 + SNAKE_CNT <= i1
                    && i1 < lim1
                    && off2 + SNAKE_CNT <= i2
                    && i2 < lim2
                {
                    let mut k = 1;
                    while ha1[(i1 - k) as usize] == ha2[(i2 - k) as usize] {
                        if k == SNAKE_CNT {
                            best = v;
                            found = Some((i1, i2));
                            break;
                        }
                        k += 1;
                    }
                }
                d -= 2;
            }
            if best > 0 {
                let (i1, i2) = found.expect("best implies a point");
                return Split {
                    i1,
                    i2,
                    min_lo: true,
                    min_hi: false,
                };
            }
            best = 0;
            d = bmax;
            while d >= bmin {
                let dd = if d > bmid { d - bmid } else { bmid - d };
                let i1 = kv.b(d);
                let i2 = i1 - d;
                let v = (lim1 - i1) + (lim2 - i2) - dd;
                if v > K_HEUR * ec
                    && v > best
                    && off1 < i1
                    && i1 <= lim1 - SNAKE_CNT
                    && off2 < i2
                    && i2 <= lim2 - SNAKE_CNT
                {
                    let mut k = 0;
                    while ha1[(i1 + k) as usize] == ha2[(i2 + k) as usize] {
                        if k == SNAKE_CNT - 1 {
                            best = v;
                            found = Some((i1, i2));
                            break;
                        }
                        k += 1;
                    }
                }
                d -= 2;
            }
            if best > 0 {
                let (i1, i2) = found.expect("best implies a point");
                return Split {
                    i1,
                    i2,
                    min_lo: false,
                    min_hi: true,
                };
            }
        }
        if ec >= kv.mxcost {
            let (mut fbest, mut fbest1) = (-1i64, -1i64);
            d = fmax;
            while d >= fmin {
                let mut i1 = kv.f(d).min(lim1);
                let mut i2 = i1 - d;
                if lim2 < i2 {
                    i1 = lim2 + d;
                    i2 = lim2;
                }
                if fbest < i1 + i2 {
                    fbest = i1 + i2;
                    fbest1 = i1;
                }
                d -= 2;
            }
            let (mut bbest, mut bbest1) = (i64::MAX, i64::MAX);
            d = bmax;
            while d >= bmin {
                let mut i1 = off1.max(kv.b(d));
                let mut i2 = i1 - d;
                if i2 < off2 {
                    i1 = off2 + d;
                    i2 = off2;
                }
                if i1 + i2 < bbest {
                    bbest = i1 + i2;
                    bbest1 = i1;
                }
                d -= 2;
            }
            return if (lim1 + lim2) - bbest < fbest - (off1 + off2) {
                Split {
                    i1: fbest1,
                    i2: fbest - fbest1,
                    min_lo: true,
                    min_hi: false,
                }
            } else {
                Split {
                    i1: bbest1,
                    i2: bbest - bbest1,
                    min_lo: false,
                    min_hi: true,
                }
            };
        }
        ec += 1;
    }
}

/// `xdl_recs_cmp`: divide and conquer over the kept lines; marks the changed ones.
fn recs_cmp(
    ha1: &[u32],
    r1: &[usize],
    ch1: &mut [bool],
    ha2: &[u32],
    r2: &[usize],
    ch2: &mut [bool],
) {
    let ndiags = (ha1.len() + ha2.len() + 3) as i64;
    let mut kv = Diagonals {
        kvdf: vec![0; ndiags as usize + 1],
        kvdb: vec![0; ndiags as usize + 1],
        shift: ha2.len() as i64 + 1,
        mxcost: bogosqrt(ndiags).max(MAX_COST_MIN),
    };
    let mut work: Vec<(i64, i64, i64, i64, bool)> =
        vec![(0, ha1.len() as i64, 0, ha2.len() as i64, false)];
    while let Some((mut off1, mut lim1, mut off2, mut lim2, need_min)) = work.pop() {
        while off1 < lim1 && off2 < lim2 && ha1[off1 as usize] == ha2[off2 as usize] {
            off1 += 1;
            off2 += 1;
        }
        while off1 < lim1 && off2 < lim2 && ha1[(lim1 - 1) as usize] == ha2[(lim2 - 1) as usize] {
            lim1 -= 1;
            lim2 -= 1;
        }
        if off1 == lim1 {
            for i in off2..lim2 {
                ch2[r2[i as usize]] = true;
            }
        } else if off2 == lim2 {
            for i in off1..lim1 {
                ch1[r1[i as usize]] = true;
            }
        } else {
            let s = split(ha1, off1, lim1, ha2, off2, lim2, &mut kv, need_min);
            work.push((s.i1, lim1, s.i2, lim2, s.min_hi));
            work.push((off1, s.i1, off2, s.i2, s.min_lo));
        }
    }
}

/// A group of changed lines (possibly empty) between unchanged ones.
#[derive(Clone, Copy)]
struct Group {
    start: usize,
    end: usize,
}

/// Change marks with git's sentinels: `ch(i)` for line `i`, false at -1 and n.
struct Marks<'a> {
    changed: &'a mut [bool],
    n: usize,
}

impl Marks<'_> {
    fn get(&self, i: isize) -> bool {
        self.changed[(i + 1) as usize]
    }
    fn set(&mut self, i: usize, v: bool) {
        self.changed[i + 1] = v;
    }
    fn first(&self) -> Group {
        let mut end = 0;
        while self.get(end as isize) {
            end += 1;
        }
        Group { start: 0, end }
    }
    fn next(&self, g: &mut Group) -> bool {
        if g.end == self.n {
            return false;
        }
        g.start = g.end + 1;
        g.end = g.start;
        while self.get(g.end as isize) {
            g.end += 1;
        }
        true
    }
    fn previous(&self, g: &mut Group) -> bool {
        if g.start == 0 {
            return false;
        }
        g.end = g.start - 1;
        g.start = g.end;
        while self.get(g.start as isize - 1) {
            g.start -= 1;
        }
        true
    }
}

/// `xdl_change_compact`: slides each group of changed lines as far down as it goes,
/// merging with groups it meets, then back up to line up with a change of the other
/// file if one was met. (git's indent heuristic is off for merges.)
fn compact(lines: &[u32], changed: &mut [bool], other: &mut [bool]) {
    let n = lines.len();
    let n_other = other.len() - 2;
    let mut m = Marks { changed, n };
    let mo = Marks {
        changed: other,
        n: n_other,
    };
    let slide_down = |m: &mut Marks, g: &mut Group| -> bool {
        if g.end < m.n && lines[g.start] == lines[g.end] {
            m.set(g.start, false);
            m.set(g.end, true);
            g.start += 1;
            g.end += 1;
            while m.get(g.end as isize) {
                g.end += 1;
            }
            true
        } else {
            false
        }
    };
    let slide_up = |m: &mut Marks, g: &mut Group| -> bool {
        if g.start > 0 && lines[g.start - 1] == lines[g.end - 1] {
            g.start -= 1;
            g.end -= 1;
            m.set(g.start, true);
            m.set(g.end, false);
            while m.get(g.start as isize - 1) {
                g.start -= 1;
            }
            true
        } else {
            false
        }
    };
    let mut g = m.first();
    let mut go = mo.first();
    loop {
        if g.end != g.start {
            let mut end_matching_other;
            let mut earliest_end;
            loop {
                let groupsize = g.end - g.start;
                end_matching_other = None;
                while slide_up(&mut m, &mut g) {
                    mo.previous(&mut go);
                }
                earliest_end = g.end;
                if go.end > go.start {
                    end_matching_other = Some(g.end);
                }
                while slide_down(&mut m, &mut g) {
                    mo.next(&mut go);
                    if go.end > go.start {
                        end_matching_other = Some(g.end);
                    }
                }
                if groupsize == g.end - g.start {
                    break;
                }
            }
            if g.end != earliest_end && end_matching_other.is_some() {
                while go.end == go.start {
                    slide_up(&mut m, &mut g);
                    mo.previous(&mut go);
                }
            }
        }
        if !m.next(&mut g) {
            break;
        }
        mo.next(&mut go);
    }
}

/// The edit script from the change marks, in order.
fn script(changed_a: &[bool], changed_b: &[bool]) -> Vec<Change> {
    let ch = |c: &[bool], i: isize| -> bool { i >= -1 && c[(i + 1) as usize] };
    let mut out = Vec::new();
    let (mut i1, mut i2) = (
        (changed_a.len() - 2) as isize,
        (changed_b.len() - 2) as isize,
    );
    while i1 >= 0 || i2 >= 0 {
        if ch(changed_a, i1 - 1) || ch(changed_b, i2 - 1) {
            let (l1, l2) = (i1, i2);
            while ch(changed_a, i1 - 1) {
                i1 -= 1;
            }
            while ch(changed_b, i2 - 1) {
                i2 -= 1;
            }
            out.push(Change {
                a: i1 as usize,
                b: i2 as usize,
                len_a: (l1 - i1) as usize,
                len_b: (l2 - i2) as usize,
            });
        }
        i1 -= 1;
        i2 -= 1;
    }
    out.reverse();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diff(a: &str, b: &str) -> Vec<Change> {
        diff_texts(a.as_bytes(), b.as_bytes()).unwrap()
    }

    #[test]
    fn simple_edits() {
        assert_eq!(diff("a\nb\nc\n", "a\nb\nc\n"), vec![]);
        assert_eq!(
            diff("a\nb\nc\n", "a\nB\nc\n"),
            vec![Change {
                a: 1,
                b: 1,
                len_a: 1,
                len_b: 1
            }]
        );
        assert_eq!(
            diff("a\nc\n", "a\nb\nc\n"),
            vec![Change {
                a: 1,
                b: 1,
                len_a: 0,
                len_b: 1
            }]
        );
        assert_eq!(
            diff("", "x\n"),
            vec![Change {
                a: 0,
                b: 0,
                len_a: 0,
                len_b: 1
            }]
        );
        assert_eq!(
            diff("a", "a\n"),
            vec![Change {
                a: 0,
                b: 0,
                len_a: 1,
                len_b: 1
            }]
        );
    }

    #[test]
    fn groups_slide_down_to_the_last_position() {
        // Inserting one of two equal lines: git reports the second.
        assert_eq!(
            diff("x\ny\n", "x\nx\ny\n"),
            vec![Change {
                a: 1,
                b: 1,
                len_a: 0,
                len_b: 1
            }]
        );
    }
}
