//! The result decides: a merged (or fixed) file read again, independently of how it
//! was made, against what its engines are in the file itself. Every finding of
//! [`problems_all`](super::problems_all) the result holds must be explained by the
//! versions it came from: an unpinned SQLite engine, a missing import or pool code
//! that does not parse only where both versions hold the same; a misplaced pin, a
//! clashing `**splat` or a second import only where a version already held it.

use super::{Finding, Kind, problems_all};
use crate::merge::imports;
use crate::policy::{Pin, opted_out};
use crate::python;

/// The findings of `text` that matter after a merge (conflict markers are the
/// conflict's own business).
fn findings(text: &[u8], pins: &[Pin]) -> Vec<Finding> {
    let mut out = problems_all(text, pins, crate::conflict::DEFAULT_MARKER_SIZE);
    out.retain(|f| f.kind != Kind::Markers);
    // A pin's name the module uses without importing it, read from the bytes: where
    // the pool code does not parse (a layer left to git's merge), this still holds.
    for import in pins.iter().filter_map(|p| p.import.as_ref()) {
        if imports::name_used(text, &import.name)
            && !imports::imports_name(text, &import.module, &import.name)
            && !out.iter().any(|f| f.kind == Kind::Import)
        {
            out.push(super::finding(
                Kind::Unimported,
                1,
                format!(
                    "{} is used but not imported from {}",
                    import.name, import.module
                ),
            ));
        }
    }
    out
}

/// What `result` holds that neither `ours` nor `theirs` explains (see the module's
/// comment), in line order: empty when the result passes.
pub fn unexplained(result: &[u8], ours: &[u8], theirs: &[u8], pins: &[Pin]) -> Vec<Finding> {
    unexplained_as(result, ours, theirs, pins, false)
}

/// [`unexplained`] for one side of a conflict taken whole: there a SQLite engine that
/// cannot take the pin as it stands is that side's own, where its version holds it.
pub fn unexplained_side(result: &[u8], ours: &[u8], theirs: &[u8], pins: &[Pin]) -> Vec<Finding> {
    unexplained_as(result, ours, theirs, pins, true)
}

fn unexplained_as(
    result: &[u8],
    ours: &[u8],
    theirs: &[u8],
    pins: &[Pin],
    side: bool,
) -> Vec<Finding> {
    let found = findings(result, pins);
    if found.is_empty() {
        return found;
    }
    let (o, t) = (findings(ours, pins), findings(theirs, pins));
    let count = |list: &[Finding], f: &Finding| list.iter().filter(|g| same(g, f)).count();
    let mut out: Vec<Finding> = Vec::new();
    for f in &found {
        let allowed = match f.kind {
            Kind::Unpinnable if side => count(&o, f).max(count(&t, f)),
            // What the merge must mend: explained only where neither side mended it.
            Kind::Unpinned | Kind::Unpinnable | Kind::Import | Kind::Markers => {
                count(&o, f).min(count(&t, f))
            }
            // What the merge must not make: explained where a side already made it
            // (pool code that does not parse in a version is git's merge's, M11).
            Kind::Misplaced | Kind::Splat | Kind::Duplicate | Kind::Syntax | Kind::Unimported => {
                count(&o, f).max(count(&t, f))
            }
        };
        if count(&found, f) > allowed && !out.iter().any(|g| same(g, f)) {
            out.push(f.clone());
        }
    }
    out
}

/// Whether two findings are the same: of one kind, about the same thing (an engine
/// without the pin by its name alone, whatever it lacks: a side of a conflict carries
/// the pin where it can).
fn same(a: &Finding, b: &Finding) -> bool {
    let subject = |f: &Finding| match f.kind {
        Kind::Unpinned | Kind::Unpinnable => f
            .message
            .split(" does not carry the pin")
            .next()
            .unwrap_or_default()
            .to_string(),
        // Where pool code does not parse, the check stops there: one finding a file.
        Kind::Syntax => String::new(),
        _ => f.message.clone(),
    };
    a.kind == b.kind && subject(a) == subject(b)
}

/// How many calls each pin applies to in `text` (opted-out statements left out):
/// a side of a conflict, taken whole, holds no fewer than both versions do.
pub fn side_census(text: &[u8], pins: &[Pin]) -> Vec<usize> {
    pins.iter()
        .map(|pin| {
            python::scan(text, &pin.targets()).map_or(0, |scan| {
                scan.statements
                    .iter()
                    .filter(|s| !opted_out(text, &s.range))
                    .flat_map(|s| &s.calls)
                    .filter(|c| pin.applies(c))
                    .count()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FORK: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\n\
engine = create_engine(\n    URL,\n    poolclass=StaticPool,\n    connect_args={\"check_same_thread\": False, \"timeout\": 20.0},\n    pool_pre_ping=True,\n)\n";

    fn pins() -> Vec<Pin> {
        vec![Pin::builtin()]
    }

    #[test]
    fn a_result_as_good_as_its_versions_passes() {
        assert!(unexplained(FORK.as_bytes(), FORK.as_bytes(), b"", &pins()).is_empty());
    }

    #[test]
    fn a_pinned_server_engine_fails() {
        let result = FORK.replace("URL,", "\"postgresql+psycopg2://u@h/db\",");
        let found = unexplained(result.as_bytes(), FORK.as_bytes(), b"", &pins());
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].kind, Kind::Misplaced);
    }

    #[test]
    fn a_second_import_and_a_clashing_splat_fail() {
        let twice = FORK.replace(
            "\n\nengine",
            "\nfrom sqlalchemy.pool import StaticPool\n\nengine",
        );
        let found = unexplained(twice.as_bytes(), FORK.as_bytes(), FORK.as_bytes(), &pins());
        assert_eq!(
            found.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [Kind::Duplicate]
        );
        let splat = FORK.replace(
            "pool_pre_ping=True,\n)",
            "pool_pre_ping=True,\n    **ENGINE_OPTS,\n)\nENGINE_OPTS = {\"poolclass\": NullPool}",
        );
        let found = unexplained(splat.as_bytes(), FORK.as_bytes(), FORK.as_bytes(), &pins());
        assert_eq!(
            found.iter().map(|f| f.kind).collect::<Vec<_>>(),
            [Kind::Splat]
        );
        let harmless = FORK.replace(
            "pool_pre_ping=True,\n)",
            "pool_pre_ping=True,\n    **ENGINE_OPTS,\n)\nENGINE_OPTS = {\"echo\": True}",
        );
        assert!(unexplained(harmless.as_bytes(), FORK.as_bytes(), b"", &pins()).is_empty());
    }

    #[test]
    fn an_unpinned_sqlite_engine_fails_unless_both_versions_hold_it() {
        let unpinned = "from sqlalchemy import create_engine\n\
e = create_engine(f\"sqlite:///{path}\", poolclass=NullPool)\n";
        let found = unexplained(
            unpinned.as_bytes(),
            FORK.as_bytes(),
            unpinned.as_bytes(),
            &pins(),
        );
        assert!(found.iter().any(|f| f.kind == Kind::Unpinned), "{found:?}");
        assert!(
            unexplained(
                unpinned.as_bytes(),
                unpinned.as_bytes(),
                unpinned.as_bytes(),
                &pins()
            )
            .is_empty()
        );
    }
}
