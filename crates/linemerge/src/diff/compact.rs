//! Sliding change groups as git's `xdl_change_compact` does (no indent heuristic, as
//! for merges), and the edit script built from the change marks.

use super::*;

/// A group of changed lines (possibly empty) between unchanged ones.
#[derive(Clone, Copy)]
pub(super) struct Group {
    start: usize,
    end: usize,
}

/// Change marks with git's sentinels: `ch(i)` for line `i`, false at -1 and n.
pub(super) struct Marks<'a> {
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
pub(super) fn compact(lines: &[u32], changed: &mut [bool], other: &mut [bool]) {
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
pub(super) fn script(changed_a: &[bool], changed_b: &[bool]) -> Vec<Change> {
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
