//! The merge of one file with every pin, in one pass: each pin's regions found (a
//! pin's region never inside an earlier pin's) and merged on their own, all of them
//! masked together, one line merge, every region put back, then each pin's import
//! settled.

use std::ops::Range;

use super::layer::{ImportPlan, Layer};
use super::working::pinned_versions;
use super::*;
use crate::policy::{Evidence, fork_side};
use crate::python::Scan;

/// What became of a pin that has no layer.
enum Skipped {
    /// Nothing of it in the file.
    NoRegions,
    /// The engine doubted its regions: they stay plain text.
    Doubt(Doubt),
}

/// The merge of one file.
pub(super) struct Merger<'a> {
    input: &'a Input<'a>,
    opts: &'a Options,
    line: &'a dyn LineMerge,
    /// Made when a layer masks something (most files have nothing to mask).
    placeholders: std::cell::OnceCell<Placeholders>,
    /// The layers of the pins that have regions, in the profile's order.
    layers: Vec<Layer<'a>>,
    /// What became of the first pin, when it has no layer.
    first_skipped: Option<Skipped>,
    /// Warnings, pin by pin.
    warnings: Vec<String>,
}

/// A version's scan for `pin`, or why there is none.
type Scanned = std::result::Result<Scan, Doubt>;

/// Version `v` scanned for `pin` outside the spans `taken` by earlier pins.
fn scan_version(
    texts: [&[u8]; 3],
    v: usize,
    pin: &Pin,
    opts: &Options,
    taken: &[Range<usize>],
) -> Scanned {
    const NAMES: [&str; 3] = ["base", "ours", "theirs"];
    python::scan_outside(texts[v], &pin.targets(), &opts.limits, taken).map_err(|error| {
        Doubt::Scan {
            version: NAMES[v],
            error,
        }
    })
}

/// The three versions scanned for `pin`; `None` where none mentions its call or module.
fn scan_for(texts: [&[u8]; 3], pin: &Pin, opts: &Options) -> Option<[Scanned; 3]> {
    if !texts.iter().any(|t| pin.mentioned_in(t)) {
        return None;
    }
    Some(std::array::from_fn(|v| {
        scan_version(texts, v, pin, opts, &[])
    }))
}

impl<'a> Merger<'a> {
    /// Scans the three versions for every pin and merges each pin's regions.
    pub(super) fn new(
        input: &'a Input<'a>,
        opts: &'a Options,
        line: &'a dyn LineMerge,
    ) -> Merger<'a> {
        let texts = [input.base, input.ours, input.theirs];
        let scans: Vec<Option<[Scanned; 3]>> =
            opts.pins().map(|pin| scan_for(texts, pin, opts)).collect();
        // Which file is the fork's, over every pin of the profile: for a pin whose own
        // calls do not tell.
        let hint = if scans.len() > 1 {
            let score = |v: usize| -> usize {
                opts.pins()
                    .zip(&scans)
                    .filter_map(|(pin, scans)| scans.as_ref()?[v].as_ref().ok().map(|s| (pin, s)))
                    .flat_map(|(pin, s)| {
                        s.statements
                            .iter()
                            .flat_map(|st| &st.calls)
                            .map(|c| pin.score(&c.args))
                    })
                    .sum()
            };
            fork_side(Evidence::score(score(OURS)), Evidence::score(score(THEIRS)))
        } else {
            None
        };
        let mut merger = Merger {
            input,
            opts,
            line,
            placeholders: std::cell::OnceCell::new(),
            layers: Vec::new(),
            first_skipped: None,
            warnings: Vec::new(),
        };
        let mut taken: [Vec<Range<usize>>; 3] = Default::default();
        let mut next = 0;
        for (k, (pin, scans)) in opts.pins().zip(scans).enumerate() {
            match merger.layer(k, pin, scans, &taken, next, hint) {
                Ok(Some(layer)) => {
                    for (v, spans) in taken.iter_mut().enumerate() {
                        spans.extend(layer.taken(v));
                    }
                    next += layer.len();
                    merger.note_warnings(k, layer.merged.warnings.clone());
                    merger.layers.push(layer);
                }
                Ok(None) if k == 0 => merger.first_skipped = Some(Skipped::NoRegions),
                Ok(None) => {}
                Err(doubt) => {
                    merger.note_warnings(k, vec![format!("{doubt}; used git's plain merge")]);
                    if k == 0 {
                        merger.first_skipped = Some(Skipped::Doubt(doubt));
                    }
                }
            }
        }
        merger
    }

    /// The placeholder lines, on a prefix none of the versions holds.
    fn placeholders(&self) -> &Placeholders {
        self.placeholders.get_or_init(|| {
            Placeholders::new(&[self.input.base, self.input.ours, self.input.theirs])
        })
    }

    /// Pin `k`'s warnings: a later pin's only where an earlier one did not say the same.
    fn note_warnings(&mut self, k: usize, warnings: Vec<String>) {
        for w in warnings {
            if k == 0 || !self.warnings.contains(&w) {
                self.warnings.push(w);
            }
        }
    }

    /// Pin `k`'s layer: its regions outside the spans `taken` by the pins before it,
    /// each engine group merged.
    fn layer(
        &self,
        k: usize,
        pin: &'a Pin,
        scans: Option<[Scanned; 3]>,
        taken: &[Vec<Range<usize>>; 3],
        first: usize,
        hint: Option<Side>,
    ) -> std::result::Result<Option<Layer<'a>>, Doubt> {
        let Some(scans) = scans else {
            return Ok(None);
        };
        let texts = [self.input.base, self.input.ours, self.input.theirs];
        // Where an earlier pin's region holds this pin's names, the version scanned
        // again around it.
        let [base, ours, theirs] = scans;
        let scan = |v: usize, scanned: Scanned| {
            if python::names_within(texts[v], &pin.targets(), &taken[v]) {
                scan_version(texts, v, pin, self.opts, &taken[v])
            } else {
                scanned
            }
        };
        let scans = [scan(BASE, base)?, scan(OURS, ours)?, scan(THEIRS, theirs)?];
        let Some(mut layer) = Layer::new(texts, pin, self.opts, scans, taken, first)? else {
            return Ok(None);
        };
        // Later pins for the same call that import nothing, for the calls of this
        // pin's statements that only they take.
        let beside: Vec<Pin> = self
            .opts
            .pins()
            .skip(k + 1)
            .filter(|p| p.call == pin.call && !p.needs_import())
            .cloned()
            .collect();
        let ctx = Ctx {
            pin,
            markers: &self.opts.markers,
            line: self.line,
            fork_default: layer.fork_default(hint),
            beside: &beside,
        };
        layer.merge_groups(&ctx)?;
        Ok(Some(layer))
    }

    /// The merge: every layer's regions masked, the texts merged by lines, the regions
    /// put back, each pin's import settled.
    pub(super) fn run(mut self) -> Result<MergeOutcome> {
        if self.layers.is_empty() {
            let why = match self.first_skipped.take() {
                Some(Skipped::Doubt(doubt)) => Plain::Doubt(doubt),
                _ => Plain::NoRegions,
            };
            let mut out = plain(self.input, self.opts, self.line, why)?;
            out.warnings = self.warnings;
            return Ok(out);
        }
        let reordered: Vec<bool> = self.layers.iter_mut().map(Layer::mark_reordered).collect();
        let masked = self.masked_texts();
        let pieces = self.line.pieces(
            &masked[BASE],
            &masked[OURS],
            &masked[THEIRS],
            &self.opts.markers,
        )?;
        let (pieces, conflicts, shown_pinned) = self.put_back(pieces);
        let need_import: Vec<bool> = self
            .layers
            .iter()
            .zip(&shown_pinned)
            .map(|(l, shown)| l.merged.need_pin_import || *shown)
            .collect();
        let mut decisions: Vec<Decision> = self
            .layers
            .iter_mut()
            .flat_map(|l| std::mem::take(&mut l.merged.decisions))
            .collect();
        let content = self.settle_imports(pieces, &need_import, &mut decisions);
        drop(masked);
        if contains(&content, self.placeholders().prefix().as_bytes()) {
            return Err(Error::PlaceholderSurvived);
        }
        if self.opts.pins().nth(1).is_some() {
            decisions.sort_by_key(|d| d.line);
        }
        // Every side of a conflict imports what the code around it uses.
        let (mut content, mut conflicts) = (content, conflicts);
        for (layer, &need) in self.layers.iter().zip(&need_import).rev() {
            let Some(import) = &layer.pin.import else {
                continue;
            };
            if conflicts == 0 || !need {
                continue;
            }
            let markers = self.opts.markers.get();
            if let Some((lifted, resolved)) =
                imports::lift_out_of_blocks(&content, &import.module, &import.name, markers)
            {
                content = lifted;
                conflicts -= resolved.min(conflicts);
            }
        }
        // Engines in another order, and the lines around them conflict: the blocks
        // cannot say which engine is which. The versions with those pins applied, then
        // merged again.
        if conflicts > 0 {
            let pins: Vec<Pin> = self
                .layers
                .iter()
                .zip(&reordered)
                .filter(|(_, r)| **r)
                .map(|(l, _)| l.pin.clone())
                .collect();
            if !pins.is_empty()
                && let Some(outcome) =
                    pinned_versions(self.input, self.opts, &pins, self.line, Doubt::Reordered)?
            {
                return Ok(outcome);
            }
        }
        let mode = match self.first_skipped {
            Some(Skipped::Doubt(doubt)) => Mode::Plain(Plain::Doubt(doubt)),
            Some(Skipped::NoRegions) if decisions.is_empty() => Mode::Plain(Plain::NoRegions),
            _ => Mode::Regions,
        };
        Ok(MergeOutcome {
            content,
            conflicts,
            decisions,
            warnings: self.warnings,
            mode,
        })
    }

    /// The three versions masked: each layer's regions replaced by their placeholder
    /// lines.
    fn masked_texts(&self) -> [Vec<u8>; 3] {
        std::array::from_fn(|v| {
            let mut reps: Vec<(Range<usize>, Vec<u8>)> = self
                .layers
                .iter()
                .flat_map(|l| l.placeholders(v, self.placeholders()))
                .collect();
            reps.sort_by_key(|(s, _)| s.start);
            let texts = [self.input.base, self.input.ours, self.input.theirs];
            crate::region::edit::splice(texts[v], &reps)
        })
    }

    /// The layer holding placeholder number `g`, and the group's index in it.
    fn owner(&self, g: usize) -> Option<(usize, usize)> {
        let k = self
            .layers
            .partition_point(|l| l.first <= g)
            .checked_sub(1)?;
        let gi = g - self.layers[k].first;
        (gi < self.layers[k].len()).then_some((k, gi))
    }

    /// The engine groups put back in place of their placeholders, each section of a
    /// conflict block taking its own version. Returns the pieces, the conflict count
    /// (the line merge's and the regions'), and, layer by layer, whether a conflict
    /// side shows a pinned engine the merge itself dropped.
    fn put_back<'p>(
        &self,
        pieces: Vec<line::Piece<'p>>,
    ) -> (Vec<line::Piece<'p>>, usize, Vec<bool>) {
        let mut conflicts = pieces
            .iter()
            .filter(|p| matches!(p, line::Piece::Conflict(_)))
            .count();
        let mut shown_pinned = vec![false; self.layers.len()];
        let pieces = unmask::unmask(pieces, self.placeholders(), &mut |g, _variant, section| {
            let (k, gi) = self.owner(g)?;
            self.layers[k].put_back(gi, section, &mut conflicts, &mut shown_pinned[k])
        });
        (pieces, conflicts, shown_pinned)
    }

    /// Each layer's import groups merged and put back, and the import lines a pin
    /// needs added (the last pin's first).
    fn settle_imports(
        &self,
        pieces: Vec<line::Piece>,
        need_import: &[bool],
        decisions: &mut Vec<Decision>,
    ) -> Vec<u8> {
        let text = line::render(&pieces, &self.opts.markers).content;
        let plans: Vec<Option<ImportPlan>> = self
            .layers
            .iter()
            .zip(need_import)
            .map(|(l, &need)| {
                let need = need && l.pin.needs_import();
                l.plan_imports(&text, self.placeholders(), need, decisions)
            })
            .collect();
        if plans.iter().all(Option::is_none) {
            return text;
        }
        drop(text);
        // An import line both sides added, each at its own place, stands twice in the
        // line merge's result: it is put back once, at the first.
        let mut seen: Vec<usize> = Vec::new();
        let pieces = unmask::unmask(pieces, self.placeholders(), &mut |g, _variant, section| {
            let (k, gi) = self.owner(g)?;
            let text = self.layers[k].import_text(plans[k].as_ref()?, gi, section)?;
            if section == unmask::Section::Outside && text.is_some() {
                if seen.contains(&g) {
                    return Some(None);
                }
                seen.push(g);
            }
            Some(text)
        });
        let mut out = line::render(&pieces, &self.opts.markers).content;
        for (layer, plan) in self.layers.iter().zip(plans).rev() {
            if let Some(plan) = plan {
                layer.finish_imports(plan, &mut out, decisions);
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::merge::line::{NativeMerge, Piece};
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// The built-in pin, a server pin for the same call and a session pin.
    fn three_pins() -> Vec<Pin> {
        let text = "include_builtin = true\n[[pin]]\ncall = \"create_engine\"\nwhen = \"server\"\nset = { pool_pre_ping = \"True\", pool_recycle = \"1800\" }\n[[pin]]\ncall = \"sessionmaker\"\nset = { expire_on_commit = \"False\" }\nimports = [\"from sqlalchemy.orm import sessionmaker\"]\n";
        let config = crate::config::parse(text, ".poolmerge.toml")
            .expect("a valid configuration")
            .expect("a configuration");
        crate::config::Profile::from_config(config, "test".into())
            .expect("a valid profile")
            .pins
    }

    /// The native line merge, counting its calls.
    #[derive(Default)]
    struct Counting(AtomicUsize);

    impl LineMerge for Counting {
        fn merge(
            &self,
            base: &[u8],
            ours: &[u8],
            theirs: &[u8],
            markers: &LazyMarkers,
        ) -> Result<line::LineMerged> {
            self.0.fetch_add(1, Ordering::Relaxed);
            NativeMerge.merge(base, ours, theirs, markers)
        }

        fn pieces<'t>(
            &self,
            base: &'t [u8],
            ours: &'t [u8],
            theirs: &'t [u8],
            markers: &LazyMarkers,
        ) -> Result<Vec<Piece<'t>>> {
            self.0.fetch_add(1, Ordering::Relaxed);
            NativeMerge.pieces(base, ours, theirs, markers)
        }
    }

    const BASE: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nlogs = create_engine(\"sqlite:///logs.db\", poolclass=NullPool)\nmain = create_engine(\"postgresql://db/main\", pool_size=5)\nSession = sessionmaker(bind=main)\n";

    #[test]
    fn several_pins_merge_in_one_line_merge() {
        let pins = three_pins();
        let opts = Options::for_pins(crate::conflict::Markers::default(), &pins);
        let ours = crate::check::fix_all(BASE.as_bytes(), &pins, 7).content;
        // Upstream adds an engine of each kind and a session after the others.
        let theirs = format!(
            "{BASE}audit = create_engine(\"sqlite:///audit.db\", poolclass=NullPool)\nreports = create_engine(\"postgresql://db/reports\", pool_size=2)\nReports = sessionmaker(bind=reports)\n"
        );
        let input = Input {
            base: BASE.as_bytes(),
            ours: &ours,
            theirs: theirs.as_bytes(),
        };
        let line = Counting::default();
        let out = merge(&input, &opts, &line).expect("a merge");
        assert_eq!(line.0.load(Ordering::Relaxed), 1, "one line merge");
        assert_eq!(out.conflicts, 0);
        assert_eq!(out.mode, Mode::Regions);
        // Every call a pin applies to carries it in the result.
        let left = crate::check::problems_all(&out.content, &pins, 7);
        assert!(
            left.is_empty(),
            "{left:?}\n{}",
            String::from_utf8_lossy(&out.content)
        );
        // Each decision names its line in its own version: the new engines' in theirs.
        let theirs_lines: Vec<&str> = theirs.lines().collect();
        for (region, text) in [
            ("engine audit", "audit = "),
            ("engine reports", "reports = "),
            ("sessionmaker Reports", "Reports = "),
        ] {
            let d = out
                .decisions
                .iter()
                .find(|d| d.region == region)
                .unwrap_or_else(|| panic!("no decision on {region}: {:?}", out.decisions));
            assert!(
                theirs_lines[d.line - 1].starts_with(text),
                "{region} at line {}",
                d.line
            );
        }
    }

    #[test]
    fn a_statement_two_pins_could_take_is_the_first_pins() {
        // A dict of a SQLite and a server engine: one statement, merged once by the
        // built-in pin, which gives the server engine the server pin beside it.
        let base = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nengines = {\n    \"logs\": create_engine(\"sqlite:///logs.db\", poolclass=NullPool),\n    \"main\": create_engine(\"postgresql://db/main\", pool_size=5),\n}\n";
        let pins = three_pins();
        let opts = Options::for_pins(crate::conflict::Markers::default(), &pins);
        let ours = crate::check::fix_all(base.as_bytes(), &pins, 7).content;
        let theirs = base.replace("pool_size=5", "pool_size=9");
        let input = Input {
            base: base.as_bytes(),
            ours: &ours,
            theirs: theirs.as_bytes(),
        };
        let out = merge(&input, &opts, &NativeMerge).expect("a merge");
        assert_eq!(out.conflicts, 0);
        let text = String::from_utf8_lossy(&out.content);
        assert!(text.contains("pool_size=9"), "{text}");
        assert!(
            crate::check::problems_all(&out.content, &pins, 7).is_empty(),
            "{text}"
        );
        let engines: Vec<&Decision> = out
            .decisions
            .iter()
            .filter(|d| d.region.starts_with("engine"))
            .collect();
        assert_eq!(engines.len(), 1, "{:?}", out.decisions);
    }
}
