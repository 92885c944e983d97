//! The histogram diff, as git's `xdiff/xhistogram.c` runs it (taken from JGit, under
//! the Eclipse Distribution License 1.0: see `LICENSE-EDL`): an index of A's lines, the
//! longest common run of the least frequent lines, recursion on both sides of it, and
//! the classic diff where a bucket overflows.

use super::*;

/// git's bucket function: `(v + (v >> b)) & (2^b - 1)`.
pub(super) fn hash_long(v: u64, bits: u32) -> usize {
    ((v + (v >> bits)) & ((1u64 << bits) - 1)) as usize
}

/// The number of bits of the smallest power of two at least `size` (at least 1).
pub(super) fn hash_bits(size: usize) -> u32 {
    let (mut val, mut bits) = (1u64, 0u32);
    while val < size as u64 && bits < 32 {
        val <<= 1;
        bits += 1;
    }
    bits.max(1)
}

pub(super) const MAX_CHAIN_LENGTH: u32 = 64;

/// One distinct line of A's range in the histogram index.
#[derive(Clone, Copy)]
pub(super) struct HistRecord {
    /// Its latest (lowest) line number.
    ptr: u32,
    /// How many times it occurs.
    cnt: u32,
    /// The next record of its bucket (0: none; else index + 1).
    next: u32,
}

#[derive(Clone, Copy, Default)]
pub(super) struct Region {
    begin1: u32,
    end1: u32,
    begin2: u32,
    end2: u32,
}

/// The histogram index over A's lines `line1..line1 + count1` (1-based, as git numbers
/// them).
pub(super) struct Index<'a> {
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
pub(super) enum Lcs {
    Found(Region),
    /// Common lines exist but all are too frequent: use the classic diff.
    FallBack,
}

pub(super) fn find_lcs(
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
pub(super) fn mark(changed: &mut [bool], line: u32, count: u32) {
    for l in line..line + count {
        changed[l as usize] = true;
    }
}

/// The histogram diff of A and B; marks changed lines.
pub(super) fn histogram(
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
