//! One pin's merge of one file: regions found and matched, masked, the line merge run,
//! each region merged on its own and put back, the pool import settled.

use super::placeholders::Variant;
use super::unmask::{Section, member, package_of, region_parses, unmask, without_base_sections};
use super::working::pinned_versions;
use super::*;
use crate::policy::{Evidence, fork_side};

mod settle;

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

/// Every group merged, before the line merge.
struct GroupsMerged {
    /// Each group's texts.
    results: Vec<GroupResult>,
    /// Each group's placeholder in each version (`None`: not masked there).
    variants: Vec<[Option<Variant>; 3]>,
    decisions: Vec<Decision>,
    warnings: Vec<String>,
    /// Whether a result carries the pin, so the file must import it.
    need_pin_import: bool,
}

pub(super) struct Merger<'a> {
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
    pub(super) fn new(
        input: &'a Input<'a>,
        opts: &'a Options,
        line: &'a dyn LineMerge,
    ) -> std::result::Result<Option<Merger<'a>>, Doubt> {
        let pin = opts.pin();
        let names = ["base", "ours", "theirs"];
        let texts = [input.base, input.ours, input.theirs];
        let mut versions = Vec::new();
        for (name, text) in names.iter().zip(texts) {
            let scan =
                python::scan_limited(text, &pin.targets(), &opts.limits).map_err(|error| {
                    Doubt::Scan {
                        version: name,
                        error,
                    }
                })?;
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
                .map(|c| self.opts.pin().score(&c.args))
                .sum()
        };
        let (ours, theirs) = (Evidence::score(score(OURS)), Evidence::score(score(THEIRS)));
        fork_side(ours, theirs).unwrap_or(self.opts.fork_hint.unwrap_or(Side::Ours))
    }

    /// The merge: each engine group merged on its own, the texts masked and merged by
    /// lines, the groups put back, the pool import settled.
    pub(super) fn run(self) -> Result<MergeOutcome> {
        let ctx = Ctx {
            pin: self.opts.pin(),
            markers: &self.opts.markers,
            line: self.line,
            fork_default: self.fork_default(),
            beside: &self.opts.beside,
        };
        let mut merged = match self.merge_groups(&ctx) {
            Ok(merged) => merged,
            Err(doubt) => return plain(self.input, self.opts, self.line, Plain::Doubt(doubt)),
        };
        let reordered = self.mark_reordered(&mut merged.variants);
        let masked = self.masked_texts(&merged.variants);
        let pieces = self.line.pieces(
            &masked[BASE],
            &masked[OURS],
            &masked[THEIRS],
            &self.opts.markers,
        )?;
        let (pieces, conflicts, shown_pinned) = self.put_back(pieces, &merged.results);
        let need_pin_import = merged.need_pin_import || shown_pinned;
        // The pool import: merge the names, add the pin's, retire unused ones.
        let mut decisions = merged.decisions;
        let content = self.settle_imports(
            pieces,
            need_pin_import && self.opts.pin().needs_import(),
            &mut decisions,
        )?;
        drop(masked);
        if contains(&content, self.placeholders.prefix().as_bytes()) {
            return Err(Error::PlaceholderSurvived);
        }
        // Every side of a conflict imports what the code around it uses.
        let lifted = match &self.opts.pin().import {
            Some(import) if conflicts > 0 && need_pin_import => imports::lift_out_of_blocks(
                &content,
                &import.module,
                &import.name,
                self.opts.markers.get(),
            ),
            _ => None,
        };
        let (content, conflicts) = match lifted {
            Some((lifted, resolved)) => (lifted, conflicts - resolved.min(conflicts)),
            None => (content, conflicts),
        };
        // Engines in another order, and the lines around them conflict: the blocks
        // cannot say which engine is which. The versions pinned, then git's merge.
        if reordered
            && conflicts > 0
            && let Some(outcome) =
                pinned_versions(self.input, self.opts, self.line, Doubt::Reordered)?
        {
            return Ok(outcome);
        }
        Ok(MergeOutcome {
            content,
            conflicts,
            decisions,
            warnings: merged.warnings,
            mode: Mode::Regions,
        })
    }

    /// Every masked group's placeholders, and every engine group merged; a merged
    /// region that does not parse is a doubt.
    fn merge_groups(&self, ctx: &Ctx) -> std::result::Result<GroupsMerged, Doubt> {
        let n = self.groups.len();
        let mut out = GroupsMerged {
            results: vec![GroupResult::default(); n],
            variants: vec![[None; 3]; n],
            decisions: Vec::new(),
            warnings: Vec::new(),
            need_pin_import: false,
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
                continue; // Imports are settled once the engines are.
            }
            let base = self.engine_side(BASE, g);
            let base_text = base.map(|b| b.text[b.region.span.clone()].to_vec());
            let Some(m) = self.merge_engine_group(gi, g, ctx, &mut out) else {
                continue;
            };
            if !m.conflict && !region_parses(&m.text, self.opts.pin()) {
                return Err(Doubt::UnparsedMerge {
                    region: m.decision.region.clone(),
                });
            }
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
        Ok(out)
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
    fn mark_reordered(&self, variants: &mut [[Option<Variant>; 3]]) -> bool {
        let mut reordered = false;
        for (v, own) in [(OURS, Variant::Ours), (THEIRS, Variant::Theirs)] {
            for gi in self.crossed(v) {
                reordered = true;
                if variants[gi][v] == Some(Variant::Shared) {
                    variants[gi][v] = Some(own);
                }
            }
        }
        reordered
    }

    /// The three versions masked: each group's region replaced by its placeholder line.
    fn masked_texts(&self, variants: &[[Option<Variant>; 3]]) -> Vec<Vec<u8>> {
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
                crate::region::edit::splice(text, &reps)
            })
            .collect();
        self.line.folded(&folds[OURS], &folds[THEIRS]);
        masked_texts
    }

    /// The engine groups put back in place of their placeholders, each section of a
    /// conflict block taking its own version. Returns the pieces, the conflict count
    /// (the line merge's and the regions'), and whether a conflict side shows a
    /// pinned engine the merge itself dropped.
    fn put_back<'p>(
        &self,
        pieces: Vec<line::Piece<'p>>,
        results: &[GroupResult],
    ) -> (Vec<line::Piece<'p>>, usize, bool) {
        let mut conflicts = pieces
            .iter()
            .filter(|p| matches!(p, line::Piece::Conflict(_)))
            .count();
        let is_engine_group = |gi: usize| {
            let g = &self.groups[gi];
            [BASE, OURS, THEIRS]
                .iter()
                .any(|&v| self.region(v, g).is_some_and(Region::is_engine))
        };
        let mut shown_pinned = false;
        let pieces = unmask(pieces, &self.placeholders, &mut |gi, _variant, section| {
            if gi >= results.len() || !is_engine_group(gi) {
                return None;
            }
            let r = &results[gi];
            let text = match section {
                Section::Base => r.base.clone(),
                Section::Outside => {
                    if r.conflict {
                        conflicts += 1;
                    }
                    r.merged.clone()
                }
                Section::Ours => {
                    shown_pinned |= r.pinned_in_sides;
                    r.ours.clone()
                }
                Section::Theirs => {
                    shown_pinned |= r.pinned_in_sides;
                    r.theirs.clone()
                }
            };
            Some(text)
        });
        (pieces, conflicts, shown_pinned)
    }
}
