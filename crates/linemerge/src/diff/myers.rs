//! The classic diff as git's `xdiff/xdiffi.c` runs it: lines without a match
//! discarded, Myers' middle snake with git's cost limits and heuristics.

use super::*;

/// `xdl_bogosqrt`: a power of two near the square root.
pub(super) fn bogosqrt(mut n: i64) -> i64 {
    let mut i = 1;
    while n > 0 {
        i <<= 1;
        n >>= 2;
    }
    i
}

pub(super) const MAX_COST_MIN: i64 = 256;
pub(super) const HEUR_MIN_COST: i64 = 256;
pub(super) const SNAKE_CNT: i64 = 20;
pub(super) const K_HEUR: i64 = 4;
pub(super) const MAX_EQLIMIT: i64 = 1024;
pub(super) const SIMSCAN_WINDOW: i64 = 100;
pub(super) const KPDIS_RUN: i64 = 4;

/// The classic (Myers) diff of A's lines `line1..line1 + count1` and B's (1-based),
/// as git runs it when the histogram falls back: on those lines alone, with their
/// common ends trimmed, lines without a match (and runs of too frequent ones)
/// discarded, and the cost-limiting heuristics on.
#[allow(clippy::too_many_arguments)] // Two files, their marks, and the range.
pub(super) fn myers_range(
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
pub(super) fn clean_mmatch(dis: &[u8], i: i64, mut s: i64, mut e: i64) -> bool {
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
pub(super) fn myers(a: &[u32], b: &[u32]) -> (Vec<bool>, Vec<bool>) {
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
pub(super) struct Split {
    i1: i64,
    i2: i64,
    min_lo: bool,
    min_hi: bool,
}

/// Scratch diagonals of the Myers search (negative indices shifted).
pub(super) struct Diagonals {
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
// Long on purpose: a line-for-line port of git's `xdl_split`, kept whole so that it
// can be read beside the C it must match byte for byte.
pub(super) fn split(
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
pub(super) fn recs_cmp(
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
