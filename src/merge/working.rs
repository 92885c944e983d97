//! Every conflict side a working module: taking ours, or theirs, in every block must
//! compile and import what it uses wherever git's own merge gives that; otherwise the
//! versions are merged again with every pin applied to each first.

use super::*;

/// What keeps `text`, one side of a conflicted merge, from being a working module:
/// whether CPython would not compile it, and whether it uses a name a version imports
/// from a pin's module without importing it.
pub(super) fn side_faults(text: &[u8], imported: &[(String, String)]) -> [bool; 2] {
    [
        !crate::python::compiles(text),
        side_faults_without_parse(text, imported),
    ]
}

/// [`side_faults`]'s second fault alone (a name a pin's module gives, used and not
/// imported), which needs no parse.
fn side_faults_without_parse(text: &[u8], imported: &[(String, String)]) -> bool {
    imported.iter().any(|(module, name)| {
        imports::name_used(text, name) && !imports::imports_name(text, module, name)
    })
}

/// Whether one side of a conflict, taken whole, is not that side's intent: it holds
/// what the check finds and neither version explains (a pinned server engine, an
/// unpinned SQLite one, a second import, a clashing splat), or fewer engines the pin
/// applies to than both versions hold (a SQLite branch gone).
fn side_unverified(text: &[u8], input: &Input, pins: &[Pin], census: &[usize]) -> bool {
    !crate::check::unexplained_side(text, input.ours, input.theirs, pins).is_empty()
        || crate::check::side_census(text, pins)
            .iter()
            .zip(census)
            .any(|(side, both)| side < both)
}

/// Whether `side` compiles wherever `other` does, told from the top-level statements
/// `side` does not share with `other`, each parsed on its own: where each of them
/// compiles, a statement that does not is one both hold, so `other` does not compile
/// either. `false` where one of them does not compile: the caller then parses both
/// whole. Two sides of a merge share all but the statements its conflicts and merged
/// regions touch, so this parses a few statements instead of two whole files.
fn compiles_where(side: &[u8], other: &[u8]) -> bool {
    let shared: rustc_hash::FxHashSet<&[u8]> =
        crate::python::chunks::top_level_statements(other).collect();
    crate::python::chunks::top_level_statements(side)
        .filter(|s| !shared.contains(s))
        .all(crate::python::compiles)
}

/// Every side of a conflict is a working module (M9): where taking ours (or theirs) in
/// every block would not be, while git's own merge gives one, the versions are merged
/// again with the pins applied to each of them first; failing that, git's plain merge.
pub(super) fn working_sides(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    outcome: MergeOutcome,
) -> Result<MergeOutcome> {
    let texts = [input.base, input.ours, input.theirs];
    let mut imported: Vec<(String, String)> = Vec::new();
    for pin in opts.pins() {
        let Some(import) = &pin.import else {
            continue;
        };
        imported.push((import.module.clone(), import.name.clone()));
        for text in texts {
            let Some(scan) = crate::python::scan(text, &pin.targets()) else {
                continue;
            };
            for n in scan.imports.iter().flat_map(|i| &i.names) {
                let name = n.alias.clone().unwrap_or_else(|| n.name.clone());
                let entry = (import.module.clone(), name);
                if !imported.contains(&entry) {
                    imported.push(entry);
                }
            }
        }
    }
    // The size the line merge writes (git's default where none is given).
    let size = match opts.markers.size() {
        0 => crate::conflict::DEFAULT_MARKER_SIZE,
        n => n,
    };
    let pins: Vec<Pin> = opts.pins().cloned().collect();
    // The engines each pin applies to that both versions hold.
    let census: Vec<usize> = crate::check::side_census(input.ours, &pins)
        .into_iter()
        .zip(crate::check::side_census(input.theirs, &pins))
        .map(|(o, t)| o.min(t))
        .collect();
    // A result's two sides (the text itself twice where it is clean).
    let sides_of = |o: &MergeOutcome| {
        if o.conflicts == 0 {
            (o.content.clone(), o.content.clone())
        } else {
            let (_, ours, theirs) = crate::conflict::sides(&o.content, size);
            (ours, theirs)
        }
    };
    // Each side's faults, ours then theirs: does not compile, does not import a name
    // it uses, is not its side's intent.
    let faults_of = |ours: &[u8], theirs: &[u8]| -> [bool; 6] {
        let (a, b) = (side_faults(ours, &imported), side_faults(theirs, &imported));
        [
            a[0],
            a[1],
            side_unverified(ours, input, &pins, &census),
            b[0],
            b[1],
            side_unverified(theirs, input, &pins, &census),
        ]
    };
    let (ours, theirs) = sides_of(&outcome);
    // The faults that need no parse, each side's once.
    let unimported = [&ours, &theirs].map(|s| side_faults_without_parse(s, &imported));
    let unverified = [&ours, &theirs].map(|s| side_unverified(s, input, &pins, &census));
    // Cheapest first, with no other merge: every statement of a side that is not the
    // same in all three versions compiles on its own. A statement that does not
    // compile is then one no version changed, which git's merge keeps in both of its
    // sides too; with no import fault and nothing unverified, the sides stand.
    let everywhere = {
        use crate::python::chunks::top_level_statements as statements;
        let ours_has: rustc_hash::FxHashSet<&[u8]> = statements(input.ours).collect();
        let theirs_has: rustc_hash::FxHashSet<&[u8]> = statements(input.theirs).collect();
        statements(input.base)
            .filter(|s| ours_has.contains(s) && theirs_has.contains(s))
            .collect::<rustc_hash::FxHashSet<&[u8]>>()
    };
    let compiles_beside = |side: &[u8]| {
        crate::python::chunks::top_level_statements(side)
            .filter(|s| !everywhere.contains(s))
            .all(crate::python::compiles)
    };
    let parse_free = [0, 1].map(|k| !unimported[k] && !unverified[k]);
    if parse_free == [true; 2] && compiles_beside(&ours) && compiles_beside(&theirs) {
        return Ok(outcome);
    }
    let git = plain(input, opts, line, Plain::NoRegions)?;
    let (git_ours, git_theirs) = sides_of(&git);
    // Then against git's sides, without parsing either whole: where every statement a
    // side does not share with git's side compiles, its compiling is no worse than
    // git's, and only the faults that need no parse decide (as they would below).
    let git_unimported = [&git_ours, &git_theirs].map(|s| side_faults_without_parse(s, &imported));
    let no_worse_unparsed = (0..2).all(|k| !unverified[k] && (!unimported[k] || git_unimported[k]));
    if no_worse_unparsed && compiles_where(&ours, &git_ours) && compiles_where(&theirs, &git_theirs)
    {
        return Ok(outcome);
    }
    // Last, both sides whole.
    let parsed = |text: &[u8]| !crate::python::compiles(text);
    let ours_faults = [
        parsed(&ours),
        unimported[0],
        unverified[0],
        parsed(&theirs),
        unimported[1],
        unverified[1],
    ];
    if ours_faults == [false; 6] {
        return Ok(outcome);
    }
    let git_faults = faults_of(&git_ours, &git_theirs);
    // No worse than git's own merge, fault by fault: the pin's merge stands.
    let no_worse = |f: [bool; 6]| (0..6).all(|i| !f[i] || git_faults[i]);
    // A side that is not its side's intent is never kept for git's being no better:
    // taking it whole would give a wrong module that looks right.
    if no_worse(ours_faults) && !ours_faults[2] && !ours_faults[5] {
        return Ok(outcome);
    }
    if let Some(again) = pinned_versions(input, opts, &pins, line, Doubt::BrokenSides)?
        && no_worse({
            let (ours, theirs) = sides_of(&again);
            faults_of(&ours, &theirs)
        })
    {
        return Ok(again);
    }
    plain(input, opts, line, Plain::Doubt(Doubt::BrokenSides))
}

/// The three versions with `pins` applied to each of them first, merged again: by
/// git's merge, or, where the profile has other pins, with those. The fallback where
/// merging the regions apart gives conflict sides that do not work, or engines in
/// another order. `None` where no side carries one of `pins` (the file is not a
/// fork's: nothing to apply).
pub(super) fn pinned_versions(
    input: &Input,
    opts: &Options,
    pins: &[Pin],
    line: &dyn LineMerge,
    why: Doubt,
) -> Result<Option<MergeOutcome>> {
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
    let size = opts.markers.size();
    let pinned: Vec<Vec<u8>> = [input.base, input.ours, input.theirs]
        .iter()
        .map(|t| crate::check::fix_all(t, pins, size).content)
        .collect();
    let pinned = Input {
        base: &pinned[0],
        ours: &pinned[1],
        theirs: &pinned[2],
    };
    let others: Vec<Pin> = opts.pins().filter(|p| !pins.contains(p)).cloned().collect();
    let again = if others.is_empty() {
        plain(&pinned, opts, line, Plain::NoRegions)?
    } else {
        merge_pools(&pinned, &opts.with_pins(others), line)?
    };
    let mut warnings = vec![format!(
        "{why}; merged the versions with the pin applied to each instead"
    )];
    for w in again.warnings {
        if !warnings.contains(&w) {
            warnings.push(w);
        }
    }
    Ok(Some(MergeOutcome {
        warnings,
        mode: Mode::Regions,
        ..again
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_side_compiles_where_the_other_does_from_what_it_does_not_share() {
        let git = b"import os\n\n\ndef f():\n    return 1\n\n\nx = (\n    1,\n)\n";
        // The same statements but one, which compiles: no worse than git's side.
        let side = b"import os\n\n\ndef f():\n    return 2\n\n\nx = (\n    1,\n)\n";
        assert!(compiles_where(side, git));
        // A statement of its own that does not compile: told apart.
        let broken = b"import os\n\n\ndef f(:\n    return 2\n\n\nx = (\n    1,\n)\n";
        assert!(!compiles_where(broken, git));
        // A broken statement both hold is git's too: no worse.
        let both = b"import os\n\n\ndef g(:\n    pass\n";
        let shared = b"import sys\n\n\ndef g(:\n    pass\n";
        assert!(compiles_where(both, shared));
        assert!(!crate::python::compiles(both) && !crate::python::compiles(shared));
    }
}
