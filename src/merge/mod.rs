//! The pure three-way merge engine: bytes in, an outcome out; no git, no file I/O
//! (the plain line merge is reached through the `LineMerge` trait).
//!
//! The pipeline: find the pool regions of base/ours/theirs with tree-sitter and match
//! them; replace each region by a placeholder line (the same line in every version
//! when the region merges at keyword level, so the line merge sees no change there);
//! run git's line merge on the masked texts; merge each region on its own; put the
//! regions back; fix the pool import. Anything the engine doubts falls back to git's
//! plain merge of the original texts.

pub mod edit;
pub mod engine;
pub mod fix;
pub mod imports;
pub mod line;
pub mod markers;
pub mod pin;
pub mod regions;

use std::fmt;

use anyhow::Result;

use crate::conflict::{Markers, has_complete_block, outside_blocks};
use crate::python::{self, ImportedName, contains};
use engine::{Ctx, EngineSide, RegionMerge};
use imports::ImportSide;
use line::{LineMerge, split_eol};
use pin::Pin;
use regions::{Group, Placeholders, Region, Version};

/// The three versions of the file.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The common ancestor (`%O`).
    pub base: &'a [u8],
    /// Our version (`%A`).
    pub ours: &'a [u8],
    /// Their version (`%B`).
    pub theirs: &'a [u8],
}

/// How to merge.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Conflict markers: size, style, labels.
    pub markers: Markers,
    /// The pin to keep.
    pub pin: Pin,
    /// How much work the engine may do before it leaves the file to git's merge.
    pub limits: crate::python::Limits,
    /// Further pins of the profile: merged inside the first pin's line merge, each in
    /// turn, so that every pin's regions are poolmerge's and the rest is git's.
    pub more: Vec<Pin>,
    /// The side whose file carries more of the whole profile, for a pin whose own
    /// calls do not tell the fork apart (set when several pins are merged).
    pub fork_hint: Option<Side>,
    /// Later pins for the same call, applied to the calls of this pin's statements
    /// that only they take (set when several pins are merged).
    pub beside: Vec<Pin>,
}

impl Options {
    /// Every pin: the first one, then the rest.
    pub fn pins(&self) -> impl Iterator<Item = &Pin> {
        std::iter::once(&self.pin).chain(&self.more)
    }

    /// Options for a profile's pins (the first one and the rest).
    pub fn for_pins(markers: Markers, pins: &[Pin]) -> Options {
        let (pin, more) = match pins.split_first() {
            Some((first, rest)) => (first.clone(), rest.to_vec()),
            None => (Pin::builtin(), Vec::new()),
        };
        Options {
            markers,
            pin,
            more,
            ..Options::default()
        }
    }
}

/// The line merge an outer pin sees: the next pins' engine, then the line merge. Their
/// decisions and warnings are kept for the outer merge to report.
struct Chain<'a> {
    opts: Options,
    line: &'a dyn LineMerge,
    decisions: std::sync::Mutex<Vec<Decision>>,
    warnings: std::sync::Mutex<Vec<String>>,
    /// How the outer merge folded OURS and THEIRS (see [`LineMerge::folded`]).
    folds: std::sync::Mutex<[Vec<(usize, usize)>; 2]>,
}

impl LineMerge for Chain<'_> {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<line::LineMerged> {
        let opts = Options {
            markers: markers.clone(),
            ..self.opts.clone()
        };
        let mut out = merge_pools(&Input { base, ours, theirs }, &opts, self.line)?;
        if let Ok(folds) = self.folds.lock() {
            for d in &mut out.decisions {
                let side = usize::from(d.fork == Some(Side::Theirs));
                d.line = unfold(d.line, &folds[side]);
            }
        }
        if let Ok(mut d) = self.decisions.lock() {
            d.extend(out.decisions);
        }
        if let Ok(mut w) = self.warnings.lock() {
            w.extend(out.warnings);
        }
        Ok(line::LineMerged {
            content: out.content,
            conflicts: out.conflicts,
        })
    }

    fn folded(&self, ours: &[(usize, usize)], theirs: &[(usize, usize)]) {
        if let Ok(mut f) = self.folds.lock() {
            *f = [ours.to_vec(), theirs.to_vec()];
        }
    }
}

/// A line of a text whose regions `folds` folded into one line each (`(line, extra
/// lines)`), back in the text itself.
fn unfold(line: usize, folds: &[(usize, usize)]) -> usize {
    line + folds
        .iter()
        .filter(|(at, _)| *at < line)
        .map(|(_, extra)| extra)
        .sum::<usize>()
}

/// Merges with several pins: the first pin's engine, whose line merge is the next
/// pins' engine, and so on down to the line merge itself.
fn merge_chained(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    // Which file is the fork's, over every pin of the profile.
    let score = |text: &[u8]| -> usize {
        opts.pins()
            .filter_map(|pin| {
                python::scan_limited(text, &pin.targets(), &opts.limits)
                    .ok()
                    .map(|s| {
                        s.statements
                            .iter()
                            .flat_map(|st| &st.calls)
                            .map(|c| pin.score(&c.args))
                            .sum::<usize>()
                    })
            })
            .sum()
    };
    let hint = opts.fork_hint.or_else(|| {
        let (o, t) = (score(input.ours), score(input.theirs));
        (o != t).then_some(if t > o { Side::Theirs } else { Side::Ours })
    });
    let opts = &Options {
        fork_hint: hint,
        ..opts.clone()
    };
    let chain = Chain {
        opts: Options {
            pin: opts.more[0].clone(),
            more: opts.more[1..].to_vec(),
            ..opts.clone()
        },
        line,
        decisions: Default::default(),
        warnings: Default::default(),
        folds: Default::default(),
    };
    let outer = Options {
        more: Vec::new(),
        beside: opts
            .more
            .iter()
            .filter(|p| p.call == opts.pin.call && !p.needs_import())
            .cloned()
            .collect(),
        ..opts.clone()
    };
    let mut out = merge_pools(input, &outer, &chain)?;
    let inner = chain.decisions.into_inner().unwrap_or_default();
    if !inner.is_empty() && out.mode == Mode::Plain(Plain::NoRegions) {
        out.mode = Mode::Regions;
    }
    out.decisions.extend(inner);
    out.decisions.sort_by_key(|d| d.line);
    for w in chain.warnings.into_inner().unwrap_or_default() {
        if !out.warnings.contains(&w) {
            out.warnings.push(w);
        }
    }
    Ok(out)
}

/// One of the two sides git merges.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// `%A`, the branch being merged into.
    Ours,
    /// `%B`, the branch being merged.
    Theirs,
}

impl Side {
    /// The other side.
    pub fn other(self) -> Side {
        match self {
            Side::Ours => Side::Theirs,
            Side::Theirs => Side::Ours,
        }
    }
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Ours => "ours",
            Side::Theirs => "theirs",
        })
    }
}

/// What became of a pool region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The fork's text, unchanged.
    Kept,
    /// The fork's text with the pin completed.
    Pinned,
    /// Upstream's changes merged into the fork's text, pin on top.
    Merged,
    /// A region only one side added, taken as it is.
    Added,
    /// A conflict block around the statement.
    Conflict,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Kept => "kept",
            Outcome::Pinned => "pinned",
            Outcome::Merged => "merged",
            Outcome::Added => "added",
            Outcome::Conflict => "conflict",
        })
    }
}

/// One decision on a pool region, for the user's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Which region (`engine logs_engine`, `import sqlalchemy.pool`).
    pub region: String,
    /// Its line in the fork's version.
    pub line: usize,
    /// Which side carried the pin.
    pub fork: Option<Side>,
    /// What became of it.
    pub outcome: Outcome,
    /// What was kept from the fork.
    pub from_fork: Vec<String>,
    /// What was taken from upstream.
    pub from_upstream: Vec<String>,
    /// Anything else worth saying.
    pub note: String,
}

/// Why the merge is git's plain merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// No pool region in any version (M1).
    NoRegions,
    /// A side already holds conflict markers (M13).
    Markers,
    /// The engine doubted something (M11); the reason.
    Doubt(String),
}

/// How the result was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Pool regions merged by poolmerge, the rest by the line merge.
    Regions,
    /// git's plain merge.
    Plain(Plain),
    /// A binary file: ours kept (M12).
    Binary,
}

/// The merged file.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged bytes.
    pub content: Vec<u8>,
    /// How many conflict blocks they hold (0: clean).
    pub conflicts: usize,
    /// Decisions on pool regions.
    pub decisions: Vec<Decision>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// How the result was made.
    pub mode: Mode,
}

pub use linemerge::is_binary;

/// git's plain three-way merge.
pub fn plain(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    why: Plain,
) -> Result<MergeOutcome> {
    let m = line.merge(input.base, input.ours, input.theirs, &opts.markers)?;
    let warnings = match &why {
        Plain::Doubt(reason) => vec![format!("{reason}; used git's plain merge")],
        Plain::Markers => {
            vec!["a side already holds conflict markers; used git's plain merge".into()]
        }
        Plain::NoRegions => Vec::new(),
    };
    Ok(MergeOutcome {
        content: m.content,
        conflicts: m.conflicts,
        decisions: Vec::new(),
        warnings,
        mode: Mode::Plain(why),
    })
}

/// Merges the three versions.
pub fn merge(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    let aliased;
    let opts = match with_aliases(opts, &[input.base, input.ours, input.theirs]) {
        Some(o) => {
            aliased = o;
            &aliased
        }
        None => opts,
    };
    let outcome = merge_pools(input, opts, line)?;
    if outcome.conflicts == 0 || outcome.mode != Mode::Regions {
        return Ok(outcome);
    }
    working_sides(input, opts, line, outcome)
}

/// The options with each pin knowing the aliases the versions give its call; `None`
/// where they give none (the usual case: nothing cloned).
fn with_aliases(opts: &Options, texts: &[&[u8]]) -> Option<Options> {
    let aliases = |pin: &Pin| -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for text in texts {
            for a in python::call_aliases(text, &pin.call) {
                if !all.contains(&a) {
                    all.push(a);
                }
            }
        }
        all
    };
    let found: Vec<Vec<String>> = opts.pins().map(aliases).collect();
    if found.iter().all(Vec::is_empty) {
        return None;
    }
    let with = |pin: &Pin, a: &[String]| Pin {
        aliases: a.to_vec(),
        ..pin.clone()
    };
    Some(Options {
        pin: with(&opts.pin, &found[0]),
        more: opts
            .more
            .iter()
            .zip(&found[1..])
            .map(|(p, a)| with(p, a))
            .collect(),
        ..opts.clone()
    })
}

/// [`merge`] before its sides are checked: also what each pin of a chain runs on the
/// texts the pin before it masked.
fn merge_pools(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    if [input.base, input.ours, input.theirs]
        .iter()
        .any(|t| is_binary(t))
    {
        return Ok(MergeOutcome {
            content: input.ours.to_vec(),
            conflicts: 1,
            decisions: Vec::new(),
            warnings: vec!["binary file: kept ours, as git does".into()],
            mode: Mode::Binary,
        });
    }
    let size = opts.markers.size;
    if has_complete_block(input.ours, size) || has_complete_block(input.theirs, size) {
        return plain(input, opts, line, Plain::Markers);
    }
    if opts.more.is_empty() {
        merge_one_pin(input, opts, line)
    } else {
        merge_chained(input, opts, line)
    }
}

/// What keeps `text`, one side of a conflicted merge, from being a working module:
/// whether CPython would not compile it, and whether it uses a name a version imports
/// from a pin's module without importing it.
fn side_faults(text: &[u8], imported: &[(String, String)]) -> [bool; 2] {
    [
        !crate::python::compiles(text),
        imported.iter().any(|(module, name)| {
            imports::name_used(text, name) && !imports::imports_name(text, module, name)
        }),
    ]
}

/// Every side of a conflict is a working module (M9): where taking ours (or theirs) in
/// every block would not be, while git's own merge gives one, the versions are merged
/// again with the pins applied to each of them first; failing that, git's plain merge.
fn working_sides(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    outcome: MergeOutcome,
) -> Result<MergeOutcome> {
    let texts = [input.base, input.ours, input.theirs];
    let mut imported: Vec<(String, String)> = Vec::new();
    for pin in opts.pins().filter(|p| p.needs_import()) {
        imported.push((pin.import_module.clone(), pin.import_name.clone()));
        for text in texts {
            let Some(scan) = crate::python::scan(text, &pin.targets()) else {
                continue;
            };
            for n in scan.imports.iter().flat_map(|i| &i.names) {
                let name = n.alias.clone().unwrap_or_else(|| n.name.clone());
                let entry = (pin.import_module.clone(), name);
                if !imported.contains(&entry) {
                    imported.push(entry);
                }
            }
        }
    }
    // The size the line merge writes (git's default where none is given).
    let size = match opts.markers.size {
        0 => crate::conflict::DEFAULT_MARKER_SIZE,
        n => n,
    };
    // Each side's faults, ours then theirs.
    let faults = |o: &MergeOutcome| -> [bool; 4] {
        let (ours, theirs) = if o.conflicts == 0 {
            (o.content.clone(), o.content.clone())
        } else {
            let (_, ours, theirs) = crate::conflict::sides(&o.content, size);
            (ours, theirs)
        };
        let (a, b) = (
            side_faults(&ours, &imported),
            side_faults(&theirs, &imported),
        );
        [a[0], a[1], b[0], b[1]]
    };
    let ours_faults = faults(&outcome);
    if ours_faults == [false; 4] {
        return Ok(outcome);
    }
    let git_faults = faults(&plain(input, opts, line, Plain::NoRegions)?);
    // No worse than git's own merge, fault by fault: the pin's merge stands.
    let no_worse = |f: [bool; 4]| (0..4).all(|i| !f[i] || git_faults[i]);
    if no_worse(ours_faults) {
        return Ok(outcome);
    }
    let why = "taking one side in every conflict would not give a working module";
    if let Some(again) = pinned_versions(input, opts, line, why)?
        && no_worse(faults(&again))
    {
        return Ok(again);
    }
    plain(input, opts, line, Plain::Doubt(why.into()))
}

/// git's merge of the three versions with every pin applied to each of them first: the
/// fallback where merging the regions apart gives conflict sides that do not work.
/// `None` where no side carries a pin (the file is not a fork's: nothing to apply).
fn pinned_versions(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    why: &str,
) -> Result<Option<MergeOutcome>> {
    let pins: Vec<Pin> = opts.pins().cloned().collect();
    let carries = |text: &[u8]| {
        pins.iter().any(|pin| {
            python::scan(text, &pin.targets()).is_some_and(|s| {
                s.statements
                    .iter()
                    .flat_map(|st| &st.calls)
                    .any(|c| pin.is_pinned(&c.args))
            })
        })
    };
    if !carries(input.ours) && !carries(input.theirs) {
        return Ok(None);
    }
    let size = opts.markers.size;
    let pinned: Vec<Vec<u8>> = [input.base, input.ours, input.theirs]
        .iter()
        .map(|t| fix::fix_all(t, &pins, size).content)
        .collect();
    let again = plain(
        &Input {
            base: &pinned[0],
            ours: &pinned[1],
            theirs: &pinned[2],
        },
        opts,
        line,
        Plain::NoRegions,
    )?;
    Ok(Some(MergeOutcome {
        warnings: vec![format!(
            "{why}; merged the versions with the pin applied to each instead"
        )],
        mode: Mode::Regions,
        decisions: Vec::new(),
        ..again
    }))
}

/// [`merge`] for a single pin.
fn merge_one_pin(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    let pin = &opts.pin;
    let texts = [input.base, input.ours, input.theirs];
    let mentions = |t: &[u8]| {
        contains(t, pin.call.as_bytes())
            || (pin.needs_import() && contains(t, pin.import_module.as_bytes()))
    };
    if !texts.iter().any(|t| mentions(t)) {
        return plain(input, opts, line, Plain::NoRegions);
    }
    match Merger::new(input, opts, line) {
        Ok(Some(merger)) => merger.run(),
        Ok(None) => plain(input, opts, line, Plain::NoRegions),
        Err(reason) => plain(input, opts, line, Plain::Doubt(reason)),
    }
}

/// Which versions hold a group's region: the base, ours, theirs.
const BASE: usize = 0;
const OURS: usize = 1;
const THEIRS: usize = 2;

/// A merged group's texts, looked up when placeholders are replaced.
#[derive(Debug, Clone, Default)]
struct GroupResult {
    /// The merge outside any conflict block (`None`: drop the line).
    merged: Option<Vec<u8>>,
    /// In the ours section of a conflict block.
    ours: Option<Vec<u8>>,
    /// In the theirs section of a conflict block.
    theirs: Option<Vec<u8>>,
    /// In the base section of a conflict block.
    base: Option<Vec<u8>>,
    /// Whether `merged` holds a conflict block.
    conflict: bool,
    /// Whether `ours` or `theirs` carries the pin while `merged` is nothing (a clean
    /// deletion): the file needs the pin's import only where a conflict shows them.
    pinned_in_sides: bool,
}

struct Merger<'a> {
    input: &'a Input<'a>,
    opts: &'a Options,
    line: &'a dyn LineMerge,
    versions: [Version<'a>; 3],
    groups: Vec<Group>,
    /// Groups merged by poolmerge (the others stay plain text).
    masked: Vec<bool>,
    placeholders: Placeholders,
}

impl<'a> Merger<'a> {
    /// Scans the three versions. `Ok(None)`: nothing for poolmerge to do.
    fn new(
        input: &'a Input<'a>,
        opts: &'a Options,
        line: &'a dyn LineMerge,
    ) -> Result<Option<Merger<'a>>, String> {
        let pin = &opts.pin;
        let names = ["base", "ours", "theirs"];
        let texts = [input.base, input.ours, input.theirs];
        let mut versions = Vec::new();
        for (name, text) in names.iter().zip(texts) {
            let scan = python::scan_limited(text, &pin.targets(), &opts.limits)
                .map_err(|e| format!("{name}: {e}"))?;
            let mut regions = regions::find_regions(text, &scan, &pin.call, &pin.import_module)
                .map_err(|e| format!("{name}: {e}"))?;
            for r in &mut regions {
                if let regions::RegionKind::Engine(i) = r.kind {
                    r.class = pin.class(&scan.statements[i]);
                }
            }
            versions.push(Version {
                text,
                scan,
                regions,
            });
        }
        let versions: [Version; 3] = versions.try_into().expect("three versions");
        let groups = regions::match_regions(
            &versions[BASE].regions,
            &versions[OURS].regions,
            &versions[THEIRS].regions,
        );
        // An engine group matters when some version's call is a SQLite engine or pinned;
        // server engines stay plain text (M7).
        // A statement either side opts out (`# poolmerge: off`) stays plain text too.
        let relevant = |g: &Group| -> bool {
            let opts_out = [OURS, THEIRS]
                .iter()
                .any(|&v| member(g)[v].is_some_and(|r| versions[v].opts_out(r)));
            !opts_out
                && member(g).iter().enumerate().any(|(v, r)| {
                    r.is_some_and(|r| {
                        let version = &versions[v];
                        let region = &version.regions[r];
                        version.statement(region).is_some_and(|s| {
                            s.calls
                                .iter()
                                .any(|c| pin.applies(c) || pin.is_pinned(&c.args))
                        })
                    })
                })
        };
        let mut masked: Vec<bool> = groups.iter().map(relevant).collect();
        if !masked.iter().any(|&m| m) {
            return Ok(None);
        }
        for (g, m) in groups.iter().zip(masked.iter_mut()) {
            let is_import = member(g)
                .iter()
                .enumerate()
                .any(|(v, r)| r.is_some_and(|r| !versions[v].regions[r].is_engine()));
            *m |= is_import;
        }
        let placeholders = Placeholders::new(&texts);
        Ok(Some(Merger {
            input,
            opts,
            line,
            versions,
            groups,
            masked,
            placeholders,
        }))
    }

    fn region(&self, v: usize, g: &Group) -> Option<&Region> {
        member(g)[v].map(|r| &self.versions[v].regions[r])
    }

    /// The engine groups whose regions version `v` holds in another order than the
    /// base does.
    fn crossed(&self, v: usize) -> Vec<usize> {
        let mut pairs: Vec<(usize, usize, usize)> = self
            .groups
            .iter()
            .enumerate()
            .filter(|&(gi, _)| self.masked[gi])
            .filter_map(|(gi, g)| {
                let b = g.base?;
                let s = member(g)[v]?;
                self.versions[BASE].regions[b]
                    .is_engine()
                    .then_some((b, s, gi))
            })
            .collect();
        pairs.sort_unstable();
        // A pair crosses another when one before it in the base comes after it in `v`,
        // or one after it comes before it: a running maximum and a running minimum.
        let mut later_min = vec![usize::MAX; pairs.len() + 1];
        for i in (0..pairs.len()).rev() {
            later_min[i] = later_min[i + 1].min(pairs[i].1);
        }
        let mut earlier_max = None;
        let mut crossed = Vec::new();
        for (i, &(_, s, gi)) in pairs.iter().enumerate() {
            if earlier_max.is_some_and(|m| m > s) || later_min[i + 1] < s {
                crossed.push(gi);
            }
            earlier_max = earlier_max.max(Some(s));
        }
        crossed
    }

    fn engine_side(&self, v: usize, g: &Group) -> Option<EngineSide<'_>> {
        let region = self.region(v, g)?;
        Some(EngineSide {
            text: self.versions[v].text,
            region,
            stmt: self.versions[v].statement(region)?,
        })
    }

    fn import_side(&self, v: usize, g: &Group) -> Option<ImportSide<'_>> {
        let region = self.region(v, g)?;
        Some(ImportSide {
            text: self.versions[v].text,
            region,
            import: self.versions[v].import(region)?,
        })
    }

    /// The side whose file carries more of the pin (ours on a tie).
    fn fork_default(&self) -> Side {
        let score = |v: usize| -> usize {
            let version = &self.versions[v];
            version
                .scan
                .statements
                .iter()
                .flat_map(|s| s.calls.iter())
                .map(|c| self.opts.pin.score(&c.args))
                .sum()
        };
        match score(THEIRS).cmp(&score(OURS)) {
            std::cmp::Ordering::Greater => Side::Theirs,
            std::cmp::Ordering::Less => Side::Ours,
            std::cmp::Ordering::Equal => self.opts.fork_hint.unwrap_or(Side::Ours),
        }
    }

    fn run(self) -> Result<MergeOutcome> {
        let ctx = Ctx {
            pin: &self.opts.pin,
            markers: &self.opts.markers,
            line: self.line,
            fork_default: self.fork_default(),
            beside: &self.opts.beside,
        };
        let mut results: Vec<GroupResult> = vec![GroupResult::default(); self.groups.len()];
        let mut variants: Vec<[Option<char>; 3]> = vec![[None; 3]; self.groups.len()];
        let mut decisions: Vec<Decision> = Vec::new();
        let mut warnings: Vec<String> = Vec::new();
        let mut need_pin_import = false;

        for (gi, g) in self.groups.iter().enumerate() {
            if !self.masked[gi] {
                continue;
            }
            let engine = [BASE, OURS, THEIRS]
                .iter()
                .any(|&v| self.region(v, g).is_some_and(Region::is_engine));
            let present = member(g).map(|r| r.is_some());
            for v in [BASE, OURS, THEIRS] {
                if present[v] {
                    variants[gi][v] = Some('s');
                }
            }
            if !engine {
                continue; // Imports are settled once the engines are.
            }
            let base = self.engine_side(BASE, g);
            let base_text = base.map(|b| b.text[b.region.span.clone()].to_vec());
            let merged: Option<RegionMerge> =
                match (self.engine_side(OURS, g), self.engine_side(THEIRS, g)) {
                    (Some(o), Some(t)) => Some(engine::merge_region(base, o, t, &ctx)),
                    (Some(kept), None) | (None, Some(kept)) => {
                        let (which, v) = if present[OURS] {
                            (Side::Ours, OURS)
                        } else {
                            (Side::Theirs, THEIRS)
                        };
                        let kept_text = &kept.text[kept.region.span.clone()];
                        let unchanged = base_text.as_deref() == Some(kept_text)
                            && !kept.stmt.calls.iter().any(|c| ctx.pin.is_pinned(&c.args));
                        match base {
                            // Deleted on one side, untouched on the other: a clean deletion.
                            // Inside a conflict block, the side that kept it still shows it.
                            Some(_) if unchanged => {
                                // Pinned where it can be, as every side of a conflict is.
                                let kept = engine::one_side(kept, which, &ctx, false);
                                let own = Some(kept.text);
                                results[gi] = GroupResult {
                                    merged: None,
                                    ours: if v == OURS { own.clone() } else { None },
                                    theirs: if v == THEIRS { own } else { None },
                                    base: base_text.clone(),
                                    conflict: false,
                                    pinned_in_sides: kept.pinned,
                                };
                                None
                            }
                            Some(_) => {
                                // Deleted or replaced on one side, changed or pinned on the other:
                                // the kept side gets its own placeholder so that the line merge
                                // reports the conflict, around exactly that statement.
                                variants[gi][v] = Some(if v == OURS { 'o' } else { 't' });
                                Some(engine::one_side(kept, which, &ctx, false))
                            }
                            None => Some(engine::one_side(kept, which, &ctx, true)),
                        }
                    }
                    (None, None) => None,
                };
            let Some(m) = merged else {
                continue;
            };
            if !m.conflict && !region_parses(&m.text, &self.opts.pin) {
                return plain(
                    self.input,
                    self.opts,
                    self.line,
                    Plain::Doubt(format!("the merged {} did not parse", m.decision.region)),
                );
            }
            need_pin_import |= m.pinned;
            if !m.decision.note.is_empty() && m.decision.note.starts_with("cannot verify") {
                warnings.push(format!("{}: {}", m.decision.region, m.decision.note));
            }
            decisions.push(m.decision.clone());
            results[gi] = GroupResult {
                merged: Some(m.text),
                ours: Some(m.ours),
                theirs: Some(m.theirs),
                base: base_text,
                conflict: m.conflict,
                pinned_in_sides: false,
            };
        }

        // Engines a side holds in another order than the base (upstream inverted an
        // `if sqlite` test, and the engines were paired by what they are): that side's
        // placeholders differ from the base's, so that the line merge takes that side's
        // lines as one change, or reports one conflict around all of them, never a
        // conflict whose sides mix the two orders.
        let mut reordered = false;
        for (v, own) in [(OURS, 'o'), (THEIRS, 't')] {
            for gi in self.crossed(v) {
                reordered = true;
                if variants[gi][v] == Some('s') {
                    variants[gi][v] = Some(own);
                }
            }
        }

        // Mask, merge lines, put the engines back.
        let mut folds: [Vec<(usize, usize)>; 3] = Default::default();
        let masked_texts: Vec<Vec<u8>> = [BASE, OURS, THEIRS]
            .iter()
            .map(|&v| {
                let mut reps: Vec<(std::ops::Range<usize>, Vec<u8>)> = Vec::new();
                for (gi, g) in self.groups.iter().enumerate() {
                    if let (Some(variant), Some(r)) = (variants[gi][v], self.region(v, g)) {
                        reps.push((r.span.clone(), self.placeholders.line(gi, variant)));
                    }
                }
                reps.sort_by_key(|(s, _)| s.start);
                // Where each region folds into one line, for messages about the rest.
                let text = self.versions[v].text;
                let mut removed = 0;
                for (span, _) in &reps {
                    let line = regions::line_number(text, span.start) - removed;
                    let extra = memchr::memchr_iter(b'\n', &text[span.clone()]).count();
                    folds[v].push((line, extra));
                    removed += extra;
                }
                regions::mask(text, &reps)
            })
            .collect();
        self.line.folded(&folds[OURS], &folds[THEIRS]);
        let lines = self.line.merge(
            &masked_texts[BASE],
            &masked_texts[OURS],
            &masked_texts[THEIRS],
            &self.opts.markers,
        )?;
        drop(masked_texts);
        let mut conflicts = lines.conflicts;
        let replacements: usize = results
            .iter()
            .map(|r| {
                [&r.merged, &r.ours, &r.theirs, &r.base]
                    .iter()
                    .map(|t| t.as_ref().map_or(0, |t| t.len() + 2))
                    .sum::<usize>()
            })
            .sum();
        let is_engine_group = |gi: usize| {
            let g = &self.groups[gi];
            [BASE, OURS, THEIRS]
                .iter()
                .any(|&v| self.region(v, g).is_some_and(Region::is_engine))
        };
        let mut shown_pinned = false;
        let phase1 = unmask(
            &lines.content,
            replacements,
            &self.placeholders,
            &self.opts.markers,
            &mut |gi, variant, section| {
                if gi >= results.len() || !is_engine_group(gi) {
                    return None;
                }
                let r = &results[gi];
                let text = match (variant, section) {
                    (_, Section::Base) => r.base.clone(),
                    (_, Section::Outside) => {
                        if r.conflict {
                            conflicts += 1;
                        }
                        r.merged.clone()
                    }
                    (_, Section::Ours) => {
                        shown_pinned |= r.pinned_in_sides;
                        r.ours.clone()
                    }
                    (_, Section::Theirs) => {
                        shown_pinned |= r.pinned_in_sides;
                        r.theirs.clone()
                    }
                };
                Some(text)
            },
        );

        drop(lines);

        need_pin_import |= shown_pinned;
        // The pool import: merge the names, add the pin's, retire unused ones.
        let content = self.settle_imports(
            &phase1,
            need_pin_import && self.opts.pin.needs_import(),
            &mut decisions,
        )?;
        drop(phase1);
        if contains(&content, self.placeholders.prefix().as_bytes()) {
            anyhow::bail!("internal error: a region placeholder survived");
        }
        // Every side of a conflict imports what the code around it uses.
        let pin = &self.opts.pin;
        let (content, conflicts) = match (conflicts > 0 && need_pin_import && pin.needs_import())
            .then(|| {
                imports::lift_out_of_blocks(
                    &content,
                    &pin.import_module,
                    &pin.import_name,
                    &self.opts.markers,
                )
            })
            .flatten()
        {
            Some((lifted, resolved)) => (lifted, conflicts - resolved.min(conflicts)),
            None => (content, conflicts),
        };
        // Engines in another order, and the lines around them conflict: the blocks
        // cannot say which engine is which. The versions pinned, then git's merge.
        if reordered
            && conflicts > 0
            && let Some(outcome) = pinned_versions(
                self.input,
                self.opts,
                self.line,
                "a side holds the engines in another order and the lines around them conflict",
            )?
        {
            return Ok(outcome);
        }
        Ok(MergeOutcome {
            content,
            conflicts,
            decisions,
            warnings,
            mode: Mode::Regions,
        })
    }

    /// Merges the import groups and replaces their placeholders; adds an import line
    /// when the file pins an engine and nothing imports the pin's name.
    fn settle_imports(
        &self,
        text: &[u8],
        need_pin: bool,
        decisions: &mut Vec<Decision>,
    ) -> Result<Vec<u8>> {
        let pin = &self.opts.pin;
        let import_groups: Vec<usize> = (0..self.groups.len())
            .filter(|&gi| {
                self.masked[gi]
                    && [BASE, OURS, THEIRS].iter().any(|&v| {
                        self.region(v, &self.groups[gi])
                            .is_some_and(|r| !r.is_engine())
                    })
            })
            .collect();
        let has_pin_name = |i: Option<ImportSide>| {
            i.is_some_and(|i| i.import.names.iter().any(|n| n.name == pin.import_name))
        };
        let mut names: Vec<(usize, Vec<ImportedName>, ImportSide, Option<Side>)> = Vec::new();
        for &gi in &import_groups {
            let g = &self.groups[gi];
            let (b, o, t) = (
                self.import_side(BASE, g),
                self.import_side(OURS, g),
                self.import_side(THEIRS, g),
            );
            let fork = if has_pin_name(t) && !has_pin_name(o) {
                Side::Theirs
            } else {
                Side::Ours
            };
            let (first, second) = if fork == Side::Ours { (o, t) } else { (t, o) };
            let merged = imports::merge_names(
                b.map(|x| x.import),
                first.map(|x| x.import),
                second.map(|x| x.import),
            );
            let Some(side) = first.or(second) else {
                continue;
            };
            let fork = (o.is_some() && t.is_some()).then_some(fork);
            names.push((gi, merged, side, fork));
        }
        let retired = if need_pin {
            imports::unused(text, &pin.retire)
        } else {
            Vec::new()
        };
        // What a user can end up with: the text without the base sections of diff3
        // conflict blocks, which no side takes.
        let kept_text = without_base_sections(text, &self.opts.markers);
        let mut notes: Vec<Vec<String>> = vec![Vec::new(); names.len()];
        let mut slots: Vec<Option<usize>> = vec![None; names.len()];
        for (i, (gi, list, _, _)) in names.iter_mut().enumerate() {
            let before = list.len();
            slots[i] = imports::remove_names(list, &retired);
            if list.len() != before {
                notes[i].push(format!("retired {}", retired.join(", ")));
            }
            // A name one side imports here that the result still uses (a server engine's
            // NullPool, or either side of a conflict) stays imported, though the other
            // dropped it: never a module that uses a pool class it does not import.
            let g = &self.groups[*gi];
            let mut kept: Vec<ImportedName> = Vec::new();
            // The sides only: what both of them dropped stays dropped.
            for v in [OURS, THEIRS] {
                let Some(side) = self.import_side(v, g) else {
                    continue;
                };
                for n in &side.import.names {
                    let bound = n.alias.as_deref().unwrap_or(&n.name);
                    let known = list.iter().chain(&kept).any(|m| m.name == n.name);
                    if !known && !retired.contains(&n.name) && imports::name_used(&kept_text, bound)
                    {
                        kept.push(n.clone());
                    }
                }
            }
            for n in kept {
                notes[i].push(format!("kept {}, still used", n.name));
                // In order, when the list is in order.
                let sorted = list.windows(2).all(|w| w[0].name <= w[1].name);
                let at = if sorted {
                    list.iter()
                        .position(|m| m.name > n.name)
                        .unwrap_or(list.len())
                } else {
                    list.len()
                };
                list.insert(at, n);
            }
        }
        // Groups whose line survived the line merge (the others were deleted by a side),
        // found in one pass over the text.
        let surviving: rustc_hash::FxHashSet<usize> = text
            .split_inclusive(|&b| b == b'\n')
            .filter_map(|l| self.placeholders.parse(split_eol(l).0))
            .filter(|&(_, variant)| variant == 's')
            .map(|(g, _)| g)
            .collect();
        let present: Vec<bool> = names
            .iter()
            .map(|(gi, _, _, _)| surviving.contains(gi))
            .collect();
        let carries = |l: &[ImportedName]| l.iter().any(|n| n.name == pin.import_name);
        let provided = names
            .iter()
            .zip(&present)
            .any(|((_, l, _, _), p)| *p && carries(l));
        let mut inserted_line = false;
        let mut reinserted: Option<(Vec<u8>, ImportSide)> = None;
        if need_pin && !provided {
            // Into the module-level import whose line is in the result, at the place of a
            // retired name if there was one; else the fork's import a side deleted, back
            // next to its neighbour; else a new line.
            let target = names
                .iter()
                .zip(&present)
                .position(|((_, _, side, _), p)| *p && side.import.scope.is_empty());
            let deleted = names
                .iter()
                .zip(&present)
                .find(|((_, l, side, _), p)| !**p && carries(l) && side.import.scope.is_empty());
            match (target, deleted) {
                (Some(i), _) => {
                    imports::insert_name(&mut names[i].1, &pin.import_name, slots[i]);
                    notes[i].push(format!("added {}", pin.import_name));
                }
                (None, Some(((_, list, side, _), _))) => {
                    reinserted = Some((imports::render(*side, list), *side));
                }
                (None, None) => inserted_line = true,
            }
        }
        let mut rendered: Vec<(usize, Option<Vec<u8>>)> = Vec::new();
        for (i, (gi, list, side, fork)) in names.iter().enumerate() {
            let out = (!list.is_empty()).then(|| imports::render(*side, list));
            let verbatim = out.as_deref() == Some(&side.text[side.region.span.clone()]);
            if !verbatim || !notes[i].is_empty() {
                let upstream_added: Vec<String> = list
                    .iter()
                    .filter(|n| !side.import.names.contains(n) && n.name != pin.import_name)
                    .map(super::python::ImportedName::render)
                    .collect();
                decisions.push(Decision {
                    region: format!("import {}", pin.import_module),
                    line: regions::line_number(side.text, side.import.range.start),
                    fork: *fork,
                    outcome: if verbatim {
                        Outcome::Kept
                    } else {
                        Outcome::Merged
                    },
                    from_fork: Vec::new(),
                    from_upstream: upstream_added,
                    note: notes[i].join("; "),
                });
            }
            rendered.push((*gi, out));
        }
        let rendered_len: usize = rendered
            .iter()
            .map(|(_, t)| t.as_ref().map_or(0, |t| t.len() + 2))
            .sum();
        let mut out = unmask(
            text,
            rendered_len + 256,
            &self.placeholders,
            &self.opts.markers,
            &mut |gi, _variant, section| {
                if let Some((_, t)) = rendered.iter().find(|(g, _)| *g == gi) {
                    return Some(t.clone());
                }
                // An import both sides deleted still stands in the base section of a
                // conflict: as it was there.
                let v = match section {
                    Section::Base => BASE,
                    Section::Ours => OURS,
                    Section::Theirs => THEIRS,
                    Section::Outside => return None,
                };
                let region = self.region(v, self.groups.get(gi)?)?;
                Some(Some(self.versions[v].text[region.span.clone()].to_vec()))
            },
        );
        if let Some((line, side)) = reinserted {
            let at = imports::near_neighbour(&out, side.text, side.region).unwrap_or_else(|| {
                imports::insertion_point(&out, package_of(&pin.import_module), &pin.import_name)
            });
            let at = outside_blocks(&out, at, self.opts.markers.size);
            let eol = &side.text[side.region.eol.clone()];
            let eol: &[u8] = if eol.is_empty() { b"\n" } else { eol };
            out.splice(at..at, [line.as_slice(), eol].concat());
            decisions.push(Decision {
                region: format!("import {}", pin.import_module),
                line: regions::line_number(&out, at),
                fork: None,
                outcome: Outcome::Kept,
                from_fork: vec![pin.import_name.clone()],
                from_upstream: Vec::new(),
                note: "a side deleted the import the pinned engines need; kept".into(),
            });
        }
        if inserted_line {
            let at =
                imports::insertion_point(&out, package_of(&pin.import_module), &pin.import_name);
            let at = outside_blocks(&out, at, self.opts.markers.size);
            // The end of line of the lines around it.
            let eol = edit::line_eol(&out, at);
            let line = [
                format!("from {} import {}", pin.import_module, pin.import_name).as_bytes(),
                eol,
            ]
            .concat();
            out.splice(at..at, line);
            decisions.push(Decision {
                region: format!("import {}", pin.import_module),
                line: regions::line_number(&out, at),
                fork: None,
                outcome: Outcome::Pinned,
                from_fork: Vec::new(),
                from_upstream: Vec::new(),
                note: format!("added the import of {}", pin.import_name),
            });
        }
        Ok(out)
    }
}

/// A merged engine region must parse and hold its engine call; otherwise the engine
/// is not to be trusted with this file.
fn region_parses(text: &[u8], pin: &Pin) -> bool {
    // Comment lines may be indented freely; the statement's own line is not.
    let mut src = Vec::with_capacity(text.len());
    let mut in_statement = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let n = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if !in_statement && line.get(n) != Some(&b'#') {
            in_statement = true;
            src.extend_from_slice(&line[n..]);
        } else {
            src.extend_from_slice(line);
        }
    }
    python::scan(&src, &pin.targets())
        .is_some_and(|s| s.errors.is_empty() && !s.statements.is_empty())
}

/// The top-level package of a module path (`sqlalchemy` for `sqlalchemy.pool`).
fn package_of(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// The region indices of a group, by version.
fn member(g: &Group) -> [Option<usize>; 3] {
    [g.base, g.ours, g.theirs]
}

/// Where a line of the line merge's output stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Section {
    Outside,
    Ours,
    Base,
    Theirs,
}

/// Replaces placeholder lines. `lookup(group, variant, section)` gives `None` to keep
/// the line as it is, `Some(None)` to drop it (with its end of line), and
/// `Some(Some(text))` to replace its content.
/// `text` without the base sections (`|||||||` to `=======`) of its conflict blocks.
fn without_base_sections<'t>(text: &'t [u8], markers: &Markers) -> std::borrow::Cow<'t, [u8]> {
    let (base, sep) = (markers.base_line(), markers.separator_line());
    if markers.style == crate::conflict::Style::Merge || !contains(text, &base) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = Vec::with_capacity(text.len());
    let mut in_base = false;
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = split_eol(line).0;
        if body == base {
            in_base = true;
        } else if in_base && body == sep {
            in_base = false;
        }
        if !in_base {
            out.extend_from_slice(line);
        }
    }
    std::borrow::Cow::Owned(out)
}

/// A region's text with the end of line the merge chose for its placeholder line (the
/// side that normalised the file's line endings, say), when the text uses the other
/// one throughout; mixed or matching text is kept as it is.
fn with_eol<'t>(text: &'t [u8], eol: &[u8]) -> std::borrow::Cow<'t, [u8]> {
    use std::borrow::Cow;
    let newlines = memchr::memchr_iter(b'\n', text).count();
    if newlines == 0 || eol.is_empty() {
        return Cow::Borrowed(text);
    }
    let crlf = memchr::memchr_iter(b'\n', text)
        .filter(|&i| i > 0 && text[i - 1] == b'\r')
        .count();
    match (eol, crlf) {
        (b"\n", n) if n == newlines => {
            let mut out = Vec::with_capacity(text.len());
            for (i, &b) in text.iter().enumerate() {
                if !(b == b'\r' && text.get(i + 1) == Some(&b'\n')) {
                    out.push(b);
                }
            }
            Cow::Owned(out)
        }
        (b"\r\n", 0) => {
            let mut out = Vec::with_capacity(text.len() + newlines);
            for &b in text {
                if b == b'\n' {
                    out.push(b'\r');
                }
                out.push(b);
            }
            Cow::Owned(out)
        }
        _ => Cow::Borrowed(text),
    }
}

fn unmask(
    text: &[u8],
    extra: usize,
    placeholders: &Placeholders,
    markers: &Markers,
    lookup: &mut dyn FnMut(usize, char, Section) -> Option<Option<Vec<u8>>>,
) -> Vec<u8> {
    let (open, base, sep, close) = (
        markers.open_line(),
        markers.base_line(),
        markers.separator_line(),
        markers.close_line(),
    );
    let mut section = Section::Outside;
    // `extra`: at least what the replacements add, so that the buffer is allocated once.
    let mut out = Vec::with_capacity(text.len() + extra);
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (body, eol) = split_eol(line);
        match section {
            Section::Outside if body == open => section = Section::Ours,
            Section::Ours if body == base => section = Section::Base,
            Section::Ours | Section::Base if body == sep => section = Section::Theirs,
            Section::Theirs if body == close => section = Section::Outside,
            _ => {}
        }
        if let Some((g, variant)) = placeholders.parse(body)
            && let Some(replacement) = lookup(g, variant, section)
        {
            if let Some(t) = replacement {
                out.extend_from_slice(&with_eol(&t, eol));
                out.extend_from_slice(eol);
            }
            continue;
        }
        out.extend_from_slice(line);
    }
    out
}
