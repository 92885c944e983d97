//! Several pins as a chain: the first pin's merge masks its regions and hands the
//! masked texts to a line merge that is the next pin's merge, down to git's line merge.

use super::*;
use crate::policy::{Evidence, fork_side};

/// The line merge an outer pin sees: the next pins' engine, then the line merge. Their
/// decisions and warnings are kept for the outer merge to report.
pub(super) struct Chain<'a> {
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
        markers: &crate::conflict::LazyMarkers,
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
pub(super) fn unfold(line: usize, folds: &[(usize, usize)]) -> usize {
    line + folds
        .iter()
        .filter(|(at, _)| *at < line)
        .map(|(_, extra)| extra)
        .sum::<usize>()
}

/// Merges with several pins: the first pin's engine, whose line merge is the next
/// pins' engine, and so on down to the line merge itself.
pub(super) fn merge_chained(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
) -> Result<MergeOutcome> {
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
        let (ours, theirs) = (score(input.ours), score(input.theirs));
        fork_side(Evidence::score(ours), Evidence::score(theirs))
    });
    let opts = &Options {
        fork_hint: hint,
        ..opts.clone()
    };
    let chain = Chain {
        opts: opts.with_pins(opts.rest().to_vec()),
        line,
        decisions: Default::default(),
        warnings: Default::default(),
        folds: Default::default(),
    };
    let outer = Options {
        beside: opts
            .rest()
            .iter()
            .filter(|p| p.call == opts.pin().call && !p.needs_import())
            .cloned()
            .collect(),
        ..opts.with_pins(vec![opts.pin().clone()])
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
