//! One pin's part of a merge: its regions found in each version (outside the regions
//! of the pins before it) and matched into groups, and each engine group merged on its
//! own, before the texts are masked.

use std::ops::Range;

use super::placeholders::Variant;
use super::unmask::{Section, member, without_base_sections};
use super::*;
use crate::policy::{Evidence, fork_side};
use crate::python::Scan;

mod settle;

pub(super) use settle::ImportPlan;

/// A merged group's texts, looked up when placeholders are replaced.
#[derive(Debug, Clone, Default)]
pub(super) struct GroupResult {
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

/// Every group of a layer merged, before the line merge.
#[derive(Debug, Default)]
pub(super) struct GroupsMerged {
    /// Each group's texts.
    results: Vec<GroupResult>,
    /// Each group's placeholder in each version (`None`: not masked there).
    pub(super) variants: Vec<[Option<Variant>; 3]>,
    pub(super) decisions: Vec<Decision>,
    pub(super) warnings: Vec<String>,
    /// Whether a result carries the pin, so the file must import it.
    pub(super) need_pin_import: bool,
    /// Import groups lifted out of the line merge: a line importing only the pin's
    /// name that one side added (no placeholder: the line merge sees no insertion
    /// beside the other side's edits of the imports around it, and the import is
    /// put back next to its neighbour once the text is merged, where it is needed).
    pub(super) lifted: Vec<bool>,
}

/// One pin's regions of the three versions, matched into groups.
pub(super) struct Layer<'a> {
    /// The pin.
    pub(super) pin: &'a Pin,
    opts: &'a Options,
    versions: [Version<'a>; 3],
    groups: Vec<Group>,
    /// Groups merged by poolmerge (the others stay plain text).
    masked: Vec<bool>,
    /// The placeholder number of the layer's first group (the layers of a merge number
    /// their groups one after the other).
    pub(super) first: usize,
    /// The groups merged (empty until [`Layer::merge_groups`]).
    pub(super) merged: GroupsMerged,
}

/// A version's scan without what lies in `taken` (the regions of the pins before):
/// those are the earlier pins', never this one's.
fn outside(mut scan: Scan, taken: &[Range<usize>]) -> Scan {
    if taken.is_empty() {
        return scan;
    }
    let overlaps = |r: &Range<usize>| taken.iter().any(|t| r.start < t.end && t.start < r.end);
    let inside = |r: &Range<usize>| taken.iter().any(|t| t.start <= r.start && r.end <= t.end);
    scan.statements.retain(|s| !overlaps(&s.range));
    scan.imports.retain(|i| !overlaps(&i.range));
    scan.errors.retain(|e| !inside(e));
    scan
}

impl<'a> Layer<'a> {
    /// Finds and matches the pin's regions in the three versions, given their scans
    /// and the spans the pins before it took. `Ok(None)`: nothing for this pin.
    pub(super) fn new(
        texts: [&'a [u8]; 3],
        pin: &'a Pin,
        opts: &'a Options,
        scans: [Scan; 3],
        taken: &[Vec<Range<usize>>; 3],
        first: usize,
    ) -> std::result::Result<Option<Layer<'a>>, Doubt> {
        let names = ["base", "ours", "theirs"];
        let mut versions = Vec::new();
        for (((name, text), scan), taken) in names.iter().zip(texts).zip(scans).zip(taken) {
            let scan = outside(scan, taken);
            let mut regions = regions::find_regions(text, &scan, &pin.call, pin.import_module())
                .map_err(|error| Doubt::Regions {
                    version: name,
                    error,
                })?;
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
        Ok(Some(Layer {
            pin,
            opts,
            versions,
            groups,
            masked,
            first,
            merged: GroupsMerged::default(),
        }))
    }

    /// How many placeholder numbers the layer uses.
    pub(super) fn len(&self) -> usize {
        self.groups.len()
    }

    fn region(&self, v: usize, g: &Group) -> Option<&Region> {
        member(g)[v].map(|r| &self.versions[v].regions[r])
    }

    /// The spans of version `v` the layer masks: no later pin's region.
    pub(super) fn taken(&self, v: usize) -> impl Iterator<Item = Range<usize>> + '_ {
        self.groups
            .iter()
            .zip(&self.merged.variants)
            .filter(move |(_, variants)| variants[v].is_some())
            .filter_map(move |(g, _)| self.region(v, g).map(|r| r.span.clone()))
    }

    /// Each masked region of version `v` with its placeholder line.
    pub(super) fn placeholders(
        &self,
        v: usize,
        placeholders: &Placeholders,
    ) -> Vec<(Range<usize>, Vec<u8>)> {
        let mut reps = Vec::new();
        for (gi, g) in self.groups.iter().enumerate() {
            if let (Some(variant), Some(r)) = (self.merged.variants[gi][v], self.region(v, g)) {
                if self.merged.lifted.get(gi).copied().unwrap_or(false) {
                    // The line goes, its end of line too.
                    reps.push((r.span.start..r.span.end.max(r.eol.end), Vec::new()));
                } else {
                    reps.push((r.span.clone(), placeholders.line(self.first + gi, variant)));
                }
            }
        }
        reps
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

    /// The side whose file carries more of the pin; where the pin's own calls do not
    /// tell, the side `hint` names (the profile's other pins), else ours.
    pub(super) fn fork_default(&self, hint: Option<Side>) -> Side {
        let score = |v: usize| -> usize {
            let version = &self.versions[v];
            version
                .scan
                .statements
                .iter()
                .flat_map(|s| s.calls.iter())
                .map(|c| self.pin.score(&c.args))
                .sum()
        };
        let (ours, theirs) = (Evidence::score(score(OURS)), Evidence::score(score(THEIRS)));
        fork_side(ours, theirs).unwrap_or(hint.unwrap_or(Side::Ours))
    }

    /// Every masked group's placeholders, and every engine group merged; a merged
    /// region that does not parse is a doubt.
    pub(super) fn merge_groups(&mut self, ctx: &Ctx) -> std::result::Result<(), Doubt> {
        let n = self.groups.len();
        let mut out = GroupsMerged {
            results: vec![GroupResult::default(); n],
            variants: vec![[None; 3]; n],
            lifted: vec![false; n],
            ..GroupsMerged::default()
        };
        for (gi, g) in self.groups.iter().enumerate() {
            if !self.masked[gi] {
                continue;
            }
            let present = member(g).map(|r| r.is_some());
            for v in [BASE, OURS, THEIRS] {
                if present[v] {
                    out.variants[gi][v] = Some(Variant::Shared);
                }
            }
            let engine = [BASE, OURS, THEIRS]
                .iter()
                .any(|&v| self.region(v, g).is_some_and(Region::is_engine));
            if !engine {
                out.lifted[gi] = self.added_pin_import(g);
                continue; // Imports are settled once the engines are.
            }
            let base = self.engine_side(BASE, g);
            let base_text = base.map(|b| b.text[b.region.span.clone()].to_vec());
            let Some(m) = self.merge_engine_group(gi, g, ctx, &mut out) else {
                continue;
            };
            out.need_pin_import |= m.pinned;
            if !m.unverified.is_empty() {
                out.warnings
                    .push(format!("{}: {}", m.decision.region, m.decision.note));
            }
            out.decisions.push(m.decision.clone());
            out.results[gi] = GroupResult {
                merged: Some(m.text),
                ours: Some(m.ours),
                theirs: Some(m.theirs),
                base: base_text,
                conflict: m.conflict,
                pinned_in_sides: false,
            };
        }
        self.merged = out;
        Ok(())
    }

    /// Whether an import group is a line one side added that imports the pin's name
    /// alone, at the top level.
    fn added_pin_import(&self, g: &Group) -> bool {
        let Some(import) = &self.pin.import else {
            return false;
        };
        let present = member(g).map(|r| r.is_some());
        if present[BASE] || present[OURS] == present[THEIRS] {
            return false;
        }
        let v = if present[OURS] { OURS } else { THEIRS };
        self.import_side(v, g).is_some_and(|side| {
            // A line of its own at the top level (not inside a `try:` or an `if`).
            let at = side.import.range.start;
            side.import.scope.is_empty()
                && crate::python::line_start(side.text, at) == at
                && !side.import.has_error
                && side.import.names.len() == 1
                && side.import.names[0].name == import.name
                && side.import.names[0].alias.is_none()
        })
    }

    /// One engine group: merged where both sides hold it, one side's where only one
    /// does. `None` where nothing is merged (a clean deletion, recorded in `out`).
    fn merge_engine_group(
        &self,
        gi: usize,
        g: &Group,
        ctx: &Ctx,
        out: &mut GroupsMerged,
    ) -> Option<RegionMerge> {
        let base = self.engine_side(BASE, g);
        let base_text = base.map(|b| b.text[b.region.span.clone()].to_vec());
        let kept = match (self.engine_side(OURS, g), self.engine_side(THEIRS, g)) {
            (Some(o), Some(t)) => return Some(crate::region::merge_region(base, o, t, ctx)),
            (Some(kept), None) | (None, Some(kept)) => kept,
            (None, None) => return None,
        };
        let (which, v) = if member(g)[OURS].is_some() {
            (Side::Ours, OURS)
        } else {
            (Side::Theirs, THEIRS)
        };
        let kept_text = &kept.text[kept.region.span.clone()];
        let unchanged = base_text.as_deref() == Some(kept_text)
            && !kept.stmt.calls.iter().any(|c| ctx.pin.is_pinned(&c.args));
        match base {
            // Deleted on one side, untouched on the other: a clean deletion. Inside a
            // conflict block, the side that kept it still shows it, pinned where it
            // can be, as every side of a conflict is.
            Some(_) if unchanged => {
                let kept = crate::region::one_side(kept, which, ctx, false);
                let own = Some(kept.text);
                out.results[gi] = GroupResult {
                    merged: None,
                    ours: if v == OURS { own.clone() } else { None },
                    theirs: if v == THEIRS { own } else { None },
                    base: base_text,
                    conflict: false,
                    pinned_in_sides: kept.pinned,
                };
                None
            }
            Some(_) => {
                // Deleted or replaced on one side, changed or pinned on the other: the
                // kept side gets its own placeholder so that the line merge reports the
                // conflict, around exactly that statement.
                out.variants[gi][v] = Some(if v == OURS {
                    Variant::Ours
                } else {
                    Variant::Theirs
                });
                Some(crate::region::one_side(kept, which, ctx, false))
            }
            None => Some(crate::region::one_side(kept, which, ctx, true)),
        }
    }

    /// Engines a side holds in another order than the base (upstream inverted an
    /// `if sqlite` test, and the engines were paired by what they are): that side's
    /// placeholders differ from the base's, so that the line merge takes that side's
    /// lines as one change, or reports one conflict around all of them, never a
    /// conflict whose sides mix the two orders. Whether any side did.
    pub(super) fn mark_reordered(&mut self) -> bool {
        let mut reordered = false;
        for (v, own) in [(OURS, Variant::Ours), (THEIRS, Variant::Theirs)] {
            for gi in self.crossed(v) {
                reordered = true;
                let variant = &mut self.merged.variants[gi][v];
                if *variant == Some(Variant::Shared) {
                    *variant = Some(own);
                }
            }
        }
        reordered
    }

    /// What replaces the placeholder of the layer's group `gi` in a section of the line
    /// merge (see [`unmask`]): `None` for an import group (settled later). Counts a
    /// region conflict left outside any block in `conflicts`, and notes in
    /// `shown_pinned` a conflict side that shows a pinned engine the merge dropped.
    pub(super) fn put_back(
        &self,
        gi: usize,
        section: Section,
        conflicts: &mut usize,
        shown_pinned: &mut bool,
    ) -> Option<Option<Vec<u8>>> {
        let g = self.groups.get(gi)?;
        let is_engine = [BASE, OURS, THEIRS]
            .iter()
            .any(|&v| self.region(v, g).is_some_and(Region::is_engine));
        if !is_engine {
            return None;
        }
        let r = &self.merged.results[gi];
        let text = match section {
            Section::Base => r.base.clone(),
            Section::Outside => {
                if r.conflict {
                    *conflicts += 1;
                }
                r.merged.clone()
            }
            Section::Ours => {
                *shown_pinned |= r.pinned_in_sides;
                r.ours.clone()
            }
            Section::Theirs => {
                *shown_pinned |= r.pinned_in_sides;
                r.theirs.clone()
            }
        };
        Some(text)
    }
}
