//! Pool regions: where they are in one version (whole lines: the comment run, the
//! statement, the rest of its last line), how they match across base/ours/theirs, and
//! the placeholder lines that stand for them while the line merge runs.

use rustc_hash::{FxHashMap as FxMap, FxHashSet as FxSet};
use std::ops::Range;

use crate::policy::EngineClass;
use crate::python::{EngineStatement, PoolImport, Scan, contains, line_start};

/// What a region holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionKind {
    /// An engine statement: an index into `Scan::statements`.
    Engine(usize),
    /// A pool import: an index into `Scan::imports`.
    Import(usize),
}

/// What identifies a region across versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RegionKey {
    /// Engine statement (true) or pool import (false).
    pub engine: bool,
    /// Enclosing `def`/`class` path.
    pub scope: String,
    /// Assignment target (engines only).
    pub target: String,
    /// How many regions with the same scope and target come before it.
    pub occurrence: usize,
}

/// One pool region of one version.
#[derive(Debug, Clone)]
pub struct Region {
    /// What it holds.
    pub kind: RegionKind,
    /// Its identity across versions.
    pub key: RegionKey,
    /// Whole lines, from the first comment line to the end of the statement's last
    /// line, without that line's end of line.
    pub span: Range<usize>,
    /// The end of line after the span (`\n`, `\r\n`, or empty at the end of the file).
    pub eol: Range<usize>,
    /// Start of the statement's first line.
    pub line_start: usize,
    /// The statement.
    pub stmt: Range<usize>,
    /// The statement's tokens, to tell apart regions with the same key.
    pub norm: String,
    /// What the engine is in this version (engines only; set by the caller, which
    /// knows the pin).
    pub class: EngineClass,
}

impl Region {
    /// Whether this is an engine region.
    pub(crate) fn is_engine(&self) -> bool {
        matches!(self.kind, RegionKind::Engine(_))
    }

    /// The width of the statement's indentation, in bytes.
    pub fn indent(&self) -> usize {
        self.stmt.start - self.line_start
    }
}

/// One version of the file with its syntax facts and regions.
#[derive(Debug, Clone)]
pub struct Version<'a> {
    /// The file's bytes.
    pub text: &'a [u8],
    /// Its syntax facts.
    pub scan: Scan,
    /// Its regions, in file order.
    pub regions: Vec<Region>,
}

impl<'a> Version<'a> {
    /// The engine statement of an engine region.
    pub fn statement(&self, r: &Region) -> Option<&EngineStatement> {
        match r.kind {
            RegionKind::Engine(i) => self.scan.statements.get(i),
            RegionKind::Import(_) => None,
        }
    }

    /// Whether region `r` is a statement that opts out (`# poolmerge: off`).
    pub(crate) fn opts_out(&self, r: usize) -> bool {
        self.statement(&self.regions[r])
            .is_some_and(|s| crate::policy::opted_out(self.text, &s.range))
    }

    /// The import of an import region.
    pub fn import(&self, r: &Region) -> Option<&PoolImport> {
        match r.kind {
            RegionKind::Import(i) => self.scan.imports.get(i),
            RegionKind::Engine(_) => None,
        }
    }
}

/// End of the line holding `pos` (before its end of line) and the end of line's range.
fn line_end(text: &[u8], pos: usize) -> (usize, Range<usize>) {
    match text[pos..].iter().position(|&b| b == b'\n') {
        Some(i) => {
            let nl = pos + i;
            if nl > pos && text[nl - 1] == b'\r' {
                (nl - 1, nl - 1..nl + 1)
            } else {
                (nl, nl..nl + 1)
            }
        }
        None => (text.len(), text.len()..text.len()),
    }
}

/// Why a version's pool code cannot be cut into regions (the engine then doubts, M11).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RegionError {
    /// A syntax error inside an engine statement.
    SyntaxInEngine { line: usize },
    /// A keyword argument given twice in an engine call.
    RepeatedKeyword { line: usize },
    /// A syntax error inside a pool import.
    SyntaxInImport { line: usize },
    /// Two pool statements on one line.
    SharedLine { line: usize },
    /// A syntax error next to pool code.
    SyntaxNear { line: usize },
}

impl RegionError {
    /// The 1-based line it is about.
    pub fn line(self) -> usize {
        match self {
            RegionError::SyntaxInEngine { line }
            | RegionError::RepeatedKeyword { line }
            | RegionError::SyntaxInImport { line }
            | RegionError::SharedLine { line }
            | RegionError::SyntaxNear { line } => line,
        }
    }
}

impl std::fmt::Display for RegionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let what = match self {
            RegionError::SyntaxInEngine { .. } => "a syntax error inside the engine statement at",
            RegionError::RepeatedKeyword { .. } => {
                "a keyword argument repeated in the engine call at"
            }
            RegionError::SyntaxInImport { .. } => "a syntax error inside the pool import at",
            RegionError::SharedLine { .. } => "two pool statements share",
            RegionError::SyntaxNear { .. } => "a syntax error near pool code at",
        };
        write!(f, "{what} line {}", self.line())
    }
}

/// Finds the regions of one version. An error means the engine should not trust the
/// syntax here (a syntax error touching pool code, overlapping regions), and the file
/// falls back to git's plain merge.
pub(crate) fn find_regions(
    text: &[u8],
    scan: &Scan,
    call: &str,
    module: Option<&str>,
) -> Result<Vec<Region>, RegionError> {
    let mut regions = Vec::new();
    for (i, s) in scan.statements.iter().enumerate() {
        if s.has_error {
            return Err(RegionError::SyntaxInEngine {
                line: line_number(text, s.range.start),
            });
        }
        if let Some(call) = s.calls.iter().find(|c| repeats_a_keyword(&c.args)) {
            return Err(RegionError::RepeatedKeyword {
                line: line_number(text, call.range.start),
            });
        }
        let (end, eol) = line_end(text, s.range.end);
        regions.push(Region {
            kind: RegionKind::Engine(i),
            key: RegionKey {
                engine: true,
                scope: s.scope.clone(),
                target: s.target.clone(),
                occurrence: 0,
            },
            span: s.comments_start..end,
            eol,
            line_start: line_start(text, s.range.start),
            stmt: s.range.clone(),
            norm: s.norm.clone(),
            class: EngineClass::Unknown,
        });
    }
    for (i, imp) in scan.imports.iter().enumerate() {
        if imp.has_error {
            return Err(RegionError::SyntaxInImport {
                line: line_number(text, imp.range.start),
            });
        }
        let start = line_start(text, imp.range.start);
        let (end, eol) = line_end(text, imp.range.end);
        regions.push(Region {
            kind: RegionKind::Import(i),
            key: RegionKey {
                engine: false,
                scope: imp.scope.clone(),
                target: String::new(),
                occurrence: 0,
            },
            span: start..end,
            eol,
            line_start: start,
            stmt: imp.range.clone(),
            norm: imp
                .names
                .iter()
                .map(super::super::python::ImportedName::render)
                .collect::<Vec<_>>()
                .join(" "),
            class: EngineClass::Unknown,
        });
    }
    regions.sort_by_key(|r| r.span.start);
    for pair in regions.windows(2) {
        if pair[1].span.start <= pair[0].span.end {
            return Err(RegionError::SharedLine {
                line: line_number(text, pair[1].span.start),
            });
        }
    }
    for err in &scan.errors {
        let touches = regions
            .iter()
            .any(|r| err.start < r.span.end && r.span.start < err.end.max(err.start + 1));
        let slice = &text[err.clone()];
        // Without a pool module (a pin that imports nothing), every error in the
        // parsed pool code counts.
        let names_module = module.is_none_or(|m| contains(slice, m.as_bytes()));
        if touches || contains(slice, call.as_bytes()) || names_module {
            return Err(RegionError::SyntaxNear {
                line: line_number(text, err.start),
            });
        }
    }
    let mut seen: FxMap<(bool, String, String), usize> = FxMap::default();
    for r in &mut regions {
        let n = seen
            .entry((r.key.engine, r.key.scope.clone(), r.key.target.clone()))
            .or_default();
        r.key.occurrence = *n;
        *n += 1;
    }
    Ok(regions)
}

/// Whether a call repeats a keyword argument (a SyntaxError in Python, which
/// tree-sitter does not flag).
fn repeats_a_keyword(args: &crate::python::Container) -> bool {
    let mut seen = FxSet::default();
    args.items
        .iter()
        .filter(|i| matches!(i.key, crate::python::ItemKey::Keyword(_)))
        .any(|i| !seen.insert(&i.key))
}

/// The 1-based line number of byte `pos`.
pub(crate) fn line_number(text: &[u8], pos: usize) -> usize {
    memchr::memchr_iter(b'\n', &text[..pos.min(text.len())]).count() + 1
}

/// Regions of the three versions that are the same region (indices into each
/// version's `regions`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Group {
    /// In the base.
    pub base: Option<usize>,
    /// In ours.
    pub ours: Option<usize>,
    /// In theirs.
    pub theirs: Option<usize>,
}

/// How alike two statements are: the share of distinct tokens they have in common.
fn similarity(a: &str, b: &str) -> f64 {
    if a == b {
        return 1.0;
    }
    let ta: FxSet<&str> = a.split(' ').collect();
    let tb: FxSet<&str> = b.split(' ').collect();
    let common = ta.intersection(&tb).count() as f64;
    let all = ta.union(&tb).count() as f64;
    if all == 0.0 { 0.0 } else { common / all }
}

/// Pairs two equal-keyed lists in order, maximising the total similarity (an
/// alignment: pairs never cross). Lists are short (a few statements with the same
/// target in the same scope), so the quadratic table is tiny.
fn align(from: &[usize], to: &[usize], sim: &dyn Fn(usize, usize) -> f64) -> Vec<(usize, usize)> {
    if from.len() == to.len() {
        return from.iter().copied().zip(to.iter().copied()).collect();
    }
    let (n, m) = (from.len(), to.len());
    let mut best = vec![vec![0.0f64; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            let take = sim(from[i], to[j]) + best[i + 1][j + 1];
            best[i][j] = take.max(best[i + 1][j]).max(best[i][j + 1]);
        }
    }
    let mut pairs = Vec::new();
    let (mut i, mut j) = (0, 0);
    while i < n && j < m {
        let take = sim(from[i], to[j]) + best[i + 1][j + 1];
        if take >= best[i + 1][j] && take >= best[i][j + 1] {
            pairs.push((from[i], to[j]));
            i += 1;
            j += 1;
        } else if best[i + 1][j] >= best[i][j + 1] {
            i += 1;
        } else {
            j += 1;
        }
    }
    pairs
}

/// How alike a statement and one at another depth must be to be taken for it, moved.
const MOVED: f64 = 0.6;

/// Pairs the regions of `from` with those of `to`: first regions with the same scope
/// and target (aligned by content when their counts differ), then, between two such
/// pairs, the remaining regions of the same kind in order (at another indentation, only
/// one much like it).
fn pair(from: &[Region], to: &[Region]) -> Vec<Option<usize>> {
    type Bucket = (bool, String, String);
    let bucket =
        |r: &Region| -> Bucket { (r.key.engine, r.key.scope.clone(), r.key.target.clone()) };
    let mut to_buckets: FxMap<Bucket, Vec<usize>> = FxMap::default();
    for (j, r) in to.iter().enumerate() {
        to_buckets.entry(bucket(r)).or_default().push(j);
    }
    let mut from_buckets: Vec<(Bucket, Vec<usize>)> = Vec::new();
    let mut bucket_of: FxMap<Bucket, usize> = FxMap::default();
    for (i, r) in from.iter().enumerate() {
        let b = bucket(r);
        match bucket_of.get(&b) {
            Some(&k) => from_buckets[k].1.push(i),
            None => {
                bucket_of.insert(b.clone(), from_buckets.len());
                from_buckets.push((b, vec![i]));
            }
        }
    }
    let mut map: Vec<Option<usize>> = vec![None; from.len()];
    let sim = |i: usize, j: usize| similarity(&from[i].norm, &to[j].norm);
    for (b, list) in &from_buckets {
        if let Some(targets) = to_buckets.get(b) {
            for (i, j) in align(list, targets, &sim) {
                map[i] = Some(j);
            }
        }
    }
    let mut used = vec![false; to.len()];
    for j in map.iter().flatten() {
        used[*j] = true;
    }
    // Gaps between key-matched pairs, when those pairs keep their order.
    let matched: Vec<(usize, usize)> = map
        .iter()
        .enumerate()
        .filter_map(|(i, j)| j.map(|j| (i, j)))
        .collect();
    if matched.windows(2).any(|w| w[1].1 < w[0].1) {
        return map;
    }
    let mut lo_to = 0;
    let mut next_matched = matched.iter().peekable();
    for i in 0..from.len() {
        if let Some(j) = map[i] {
            lo_to = j + 1;
            next_matched.next();
            continue;
        }
        let hi_to = next_matched.peek().map_or(to.len(), |&&(_, j)| j);
        // At another depth, only a statement much like it: an engine upstream removed
        // and an unlike one the other side added inside a new `if` are two statements,
        // not one moved (pairing them would leave a conflict side that cannot parse).
        let candidate = (lo_to..hi_to).find(|&j| {
            !used[j]
                && to[j].key.engine == from[i].key.engine
                && (to[j].indent() == from[i].indent() || sim(i, j) >= MOVED)
        });
        if let Some(j) = candidate {
            map[i] = Some(j);
            used[j] = true;
            lo_to = j + 1;
        }
    }
    map
}

/// Re-pairs, scope and target by scope and target, the base regions with `side`'s by
/// what the engines are, where pairing by content put a base engine with one of
/// another class while `side` holds one of the class wanted. The class a base engine
/// wants is its own, or SQLite where `other` (when given) made it a SQLite engine (the
/// fork's intent: every SQLite engine carries the pin). So when upstream splits an engine into a
/// SQLite and a server branch, or inverts the test, the fork's pinned engine meets
/// upstream's SQLite engine, and upstream's server engine stays upstream's.
fn repair_by_class(
    base: &[Region],
    other: Option<(&[Region], &[Option<usize>])>,
    side: &[Region],
    to_side: &mut [Option<usize>],
) {
    let bucket = |r: &Region| (r.key.scope.clone(), r.key.target.clone());
    let wanted = |b: usize| -> EngineClass {
        match other.and_then(|(other, to_other)| to_other[b].map(|o| other[o].class)) {
            Some(EngineClass::Sqlite) => EngineClass::Sqlite,
            _ => base[b].class,
        }
    };
    // The engines of each bucket, in the base and in the side, found in one pass each.
    let mut index: FxMap<(String, String), usize> = FxMap::default();
    let mut base_in: Vec<Vec<usize>> = Vec::new();
    for (b, r) in base.iter().enumerate().filter(|(_, r)| r.is_engine()) {
        let i = *index.entry(bucket(r)).or_insert_with(|| {
            base_in.push(Vec::new());
            base_in.len() - 1
        });
        base_in[i].push(b);
    }
    let mut side_in: Vec<Vec<usize>> = vec![Vec::new(); base_in.len()];
    for (s, r) in side.iter().enumerate().filter(|(_, r)| r.is_engine()) {
        if let Some(&i) = index.get(&bucket(r)) {
            side_in[i].push(s);
        }
    }
    // Which bucket's base region holds each side region now: a side region paired by
    // place with another bucket's base region is not this bucket's to give.
    let mut owner: Vec<Option<usize>> = vec![None; side.len()];
    for (i, list) in base_in.iter().enumerate() {
        for &b in list {
            if let Some(s) = to_side[b] {
                owner[s] = Some(i);
            }
        }
    }
    for (i, in_base) in base_in.iter().enumerate() {
        let in_side: Vec<usize> = side_in[i]
            .iter()
            .copied()
            .filter(|&s| owner[s].is_none_or(|o| o == i))
            .collect();
        let known = |c: EngineClass| c != EngineClass::Unknown;
        // Only where a base engine is paired against its class while one of its class
        // is there to take.
        let mispaired = in_base.iter().any(|&b| {
            let want = wanted(b);
            known(want)
                && to_side[b].is_some_and(|s| known(side[s].class) && side[s].class != want)
                && in_side.iter().any(|&s| side[s].class == want)
        });
        if !mispaired {
            continue;
        }
        for &b in in_base {
            to_side[b] = None;
        }
        let mut used: Vec<usize> = Vec::new();
        for class in [EngineClass::Sqlite, EngineClass::Server] {
            let bs = in_base.iter().copied().filter(|&b| wanted(b) == class);
            let mut ss = in_side.iter().copied().filter(|&s| side[s].class == class);
            for b in bs {
                let Some(s) = ss.next() else { break };
                to_side[b] = Some(s);
                used.push(s);
            }
        }
        // The rest by content, as before.
        let rest_b: Vec<usize> = in_base
            .iter()
            .copied()
            .filter(|&b| to_side[b].is_none())
            .collect();
        let rest_s: Vec<usize> = in_side
            .iter()
            .copied()
            .filter(|s| !used.contains(s))
            .collect();
        let sim = |i: usize, j: usize| similarity(&base[i].norm, &side[j].norm);
        for (b, s) in align(&rest_b, &rest_s, &sim) {
            to_side[b] = Some(s);
        }
    }
}

/// Matches the regions of the three versions into groups.
pub(crate) fn match_regions(base: &[Region], ours: &[Region], theirs: &[Region]) -> Vec<Group> {
    let mut to_ours = pair(base, ours);
    let mut to_theirs = pair(base, theirs);
    // First each side by what the base's engines are, then each by what the other
    // side made of them (so that both orders of the sides pair alike).
    repair_by_class(base, None, ours, &mut to_ours);
    repair_by_class(base, None, theirs, &mut to_theirs);
    let (first_ours, first_theirs) = (to_ours.clone(), to_theirs.clone());
    repair_by_class(base, Some((ours, &first_ours)), theirs, &mut to_theirs);
    repair_by_class(base, Some((theirs, &first_theirs)), ours, &mut to_ours);
    // A side region belongs to one group at most.
    for map in [&mut to_ours, &mut to_theirs] {
        let mut seen = FxSet::default();
        for m in map.iter_mut() {
            if let Some(j) = *m
                && !seen.insert(j)
            {
                *m = None;
            }
        }
    }
    let mut groups: Vec<Group> = (0..base.len())
        .map(|i| Group {
            base: Some(i),
            ours: to_ours[i],
            theirs: to_theirs[i],
        })
        .collect();
    let mut ours_used = vec![false; ours.len()];
    let mut theirs_used = vec![false; theirs.len()];
    for g in &groups {
        if let Some(o) = g.ours {
            ours_used[o] = true;
        }
        if let Some(t) = g.theirs {
            theirs_used[t] = true;
        }
    }
    // Regions both sides added: by key only.
    let theirs_new: Vec<usize> = (0..theirs.len()).filter(|&j| !theirs_used[j]).collect();
    for o in (0..ours.len()).filter(|&o| !ours_used[o]) {
        let t = theirs_new
            .iter()
            .copied()
            .find(|&j| !theirs_used[j] && theirs[j].key == ours[o].key);
        if let Some(t) = t {
            theirs_used[t] = true;
        }
        groups.push(Group {
            base: None,
            ours: Some(o),
            theirs: t,
        });
    }
    for t in (0..theirs.len()).filter(|&t| !theirs_used[t]) {
        groups.push(Group {
            base: None,
            ours: None,
            theirs: Some(t),
        });
    }
    groups
}

#[cfg(test)]
mod tests;
