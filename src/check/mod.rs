//! A whole file against the pin: what it lacks (`poolmerge check`) and the pin applied
//! to it (`poolmerge fix`), touching only the engine statements that need the pin and
//! the pool import. Pure: bytes in, bytes and findings out.

use crate::region::edit::splice;
use std::fmt;
use std::ops::Range;

use crate::conflict::complete_block_lines;
use crate::merge::imports::{self, ImportSide};
use crate::merge::is_binary;
use crate::merge::regions::{self, Region, RegionKind, line_number};
use crate::policy::{Pin, PinImport, opted_out};
use crate::python::{self, Scan};
use crate::region::{pin_statement, statement_name};

mod verify;
pub use verify::{side_census, unexplained, unexplained_side};

/// What kind of finding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Conflict markers left in the file.
    Markers,
    /// A SQLite engine without the (whole) pin.
    Unpinned,
    /// A SQLite engine without the pin, which cannot take it as it stands (its
    /// `connect_args` is no dictionary literal, a `**splat` may pass a pinned keyword).
    Unpinnable,
    /// The pin's import is missing.
    Import,
    /// Pool code that does not parse.
    Syntax,
    /// A server engine (or, for a server pin, a SQLite one) carrying the pin.
    Misplaced,
    /// A `**splat` that may pass a keyword the pin sets too.
    Splat,
    /// The pin's name imported more than once.
    Duplicate,
    /// The pin's name used where no top-level line imports it (the pool code
    /// aside: found where the pool code could not be read).
    Unimported,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Kind::Markers => "markers",
            Kind::Unpinned => "unpinned",
            Kind::Unpinnable => "unpinnable",
            Kind::Import => "import",
            Kind::Syntax => "syntax",
            Kind::Misplaced => "misplaced",
            Kind::Splat => "splat",
            Kind::Duplicate => "duplicate",
            Kind::Unimported => "unimported",
        })
    }
}

/// One thing found in (or done to) a file, at a 1-based line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// What kind.
    pub kind: Kind,
    /// Where.
    pub line: usize,
    /// What, in words.
    pub message: String,
}

pub(crate) fn finding(kind: Kind, line: usize, message: impl Into<String>) -> Finding {
    Finding {
        kind,
        line,
        message: message.into(),
    }
}

/// The file's syntax facts and regions, or a syntax finding.
fn regions_of(text: &[u8], pin: &Pin) -> Result<(Scan, Vec<Region>), Finding> {
    let scan = python::scan_limited(text, &pin.targets(), &python::Limits::default())
        .map_err(|e| finding(Kind::Syntax, 1, format!("cannot check the pin: {e}")))?;
    let regions = regions::find_regions(text, &scan, &pin.call, pin.import_module())
        .map_err(|e| finding(Kind::Syntax, e.line(), format!("{e}: cannot check the pin")))?;
    Ok((scan, regions))
}

/// Whether any pool import holds the pin's name.
fn imports_pin_name(scan: &Scan, pin: &Pin) -> bool {
    scan.imports
        .iter()
        .any(|i| i.names.iter().any(|n| pin.imports(&n.name)))
}

/// What the file lacks: conflict markers, SQLite engines without the whole pin, the
/// pin's import.
pub fn problems(text: &[u8], pin: &Pin, marker_size: usize) -> Vec<Finding> {
    if is_binary(text) {
        return Vec::new();
    }
    let mut out: Vec<Finding> = complete_block_lines(text, marker_size)
        .into_iter()
        .map(|line| finding(Kind::Markers, line, "conflict markers"))
        .collect();
    let (scan, _) = match regions_of(text, pin) {
        Ok(r) => r,
        Err(f) => {
            out.push(f);
            return out;
        }
    };
    let mut first_engine = None;
    for s in scan
        .statements
        .iter()
        .filter(|s| !opted_out(text, &s.range))
    {
        for call in &s.calls {
            out.extend(misplaced_or_splat(text, s, call, pin));
        }
        for call in s.calls.iter().filter(|c| pin.applies(c)) {
            let line = line_number(text, call.range.start);
            first_engine.get_or_insert(line);
            let missing = pin.missing(&call.args);
            if !missing.is_empty() {
                let kind = if blocked(text, call, pin) {
                    Kind::Unpinnable
                } else {
                    Kind::Unpinned
                };
                out.push(finding(
                    kind,
                    line,
                    format!(
                        "{} does not carry the pin: {}",
                        statement_name(s, pin),
                        missing.join("; ")
                    ),
                ));
            }
        }
    }
    if let Some(line) = first_engine
        && let Some(import) = &pin.import
        && !imports_pin_name(&scan, pin)
    {
        let line = scan
            .imports
            .first()
            .map_or(line, |i| line_number(text, i.range.start));
        out.push(finding(
            Kind::Import,
            line,
            format!("{} is not imported from {}", import.name, import.module),
        ));
    }
    out.extend(imported_twice(text, &scan, pin));
    out.sort_by_key(|f| f.line);
    out
}

/// Whether the pin cannot be applied to a call as it stands: its `connect_args` is no
/// dictionary literal, or a `**splat` may pass a keyword the pin would add.
fn blocked(text: &[u8], call: &python::Call, pin: &Pin) -> bool {
    let dict_keyword = pin.keywords.iter().any(|k| {
        matches!(k.value, crate::policy::PinValue::Dict(_))
            && crate::policy::keyword(&call.args, &k.name).is_some_and(|i| i.dict.is_none())
    });
    dict_keyword
        || call.args.items.iter().any(|item| {
            let python::ItemKey::Splat(splat) = &item.key else {
                return false;
            };
            !pin.splat_may_pass(text, splat, &call.args, false)
                .is_empty()
        })
}

/// A call carrying the pin where it must not: a server engine under a SQLite pin (or
/// a SQLite engine under a server pin); and a pinned call with a `**splat` that may
/// pass a keyword the call also passes (Python raises `TypeError` at the call).
fn misplaced_or_splat(
    text: &[u8],
    s: &python::EngineStatement,
    call: &python::Call,
    pin: &Pin,
) -> Vec<Finding> {
    use crate::policy::{EngineClass, When};
    let mut out = Vec::new();
    if !pin.is_pinned(&call.args) {
        return out;
    }
    let line = line_number(text, call.range.start);
    let wrong = match pin.when {
        When::Sqlite => Some(EngineClass::Server),
        When::Server => Some(EngineClass::Sqlite),
        When::Always => None,
    };
    if let Some(wrong) = wrong
        && pin.kind(call) == wrong
    {
        let what = if wrong == EngineClass::Server {
            "a server engine"
        } else {
            "a SQLite engine"
        };
        out.push(finding(
            Kind::Misplaced,
            line,
            format!(
                "{} is {what} and must not carry the pin",
                statement_name(s, pin)
            ),
        ));
    }
    for item in &call.args.items {
        let python::ItemKey::Splat(splat) = &item.key else {
            continue;
        };
        let clash = pin.splat_may_pass(text, splat, &call.args, true);
        if !clash.is_empty() {
            out.push(finding(
                Kind::Splat,
                line,
                format!(
                    "{}: {} may pass {} too",
                    statement_name(s, pin),
                    item.key.describe(),
                    clash.join(", ")
                ),
            ));
        }
    }
    out
}

/// The pin's name imported from its module more than once in one scope.
fn imported_twice(text: &[u8], scan: &Scan, pin: &Pin) -> Vec<Finding> {
    let Some(import) = &pin.import else {
        return Vec::new();
    };
    let mut scopes: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for i in &scan.imports {
        let names = i
            .names
            .iter()
            .filter(|n| n.name == import.name && n.alias.is_none())
            .count();
        if names == 0 {
            continue;
        }
        let line = line_number(text, i.range.start);
        if scopes.contains(&i.scope.as_str()) {
            out.push(finding(
                Kind::Duplicate,
                line,
                format!("{} is imported from {} again", import.name, import.module),
            ));
        } else {
            scopes.push(i.scope.as_str());
            if names > 1 {
                out.push(finding(
                    Kind::Duplicate,
                    line,
                    format!("{} is imported twice in one line", import.name),
                ));
            }
        }
    }
    out
}

/// [`problems`] for every pin of a profile, each finding once, in line order.
pub fn problems_all(text: &[u8], pins: &[Pin], marker_size: usize) -> Vec<Finding> {
    let mut out: Vec<Finding> = Vec::new();
    for pin in pins {
        for f in problems(text, pin, marker_size) {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out.sort_by_key(|f| f.line);
    out
}

/// [`fix`] with every pin of a profile, one after the other.
pub fn fix_all(text: &[u8], pins: &[Pin], marker_size: usize) -> Fixed {
    let mut out = Fixed {
        content: text.to_vec(),
        changed: Vec::new(),
        unfixable: Vec::new(),
    };
    for pin in pins {
        let fixed = fix(&out.content, pin, marker_size);
        out.content = fixed.content;
        out.changed.extend(fixed.changed);
        for f in fixed.unfixable {
            if !out.unfixable.contains(&f) {
                out.unfixable.push(f);
            }
        }
    }
    // The result decides: a pinned file that holds what the original did not (a pin on
    // a server engine, a second import, a splat that clashes) is not written.
    if !out.changed.is_empty()
        && let Some(fault) = verify::unexplained(&out.content, text, text, pins).first()
    {
        return Fixed {
            content: text.to_vec(),
            changed: Vec::new(),
            unfixable: vec![finding(
                fault.kind,
                fault.line,
                format!(
                    "the pinned file would fail its check ({}); left as it is",
                    fault.message
                ),
            )],
        };
    }
    out
}

/// A file with the pin applied.
#[derive(Debug, Clone)]
pub struct Fixed {
    /// The new content (the old one when nothing changed).
    pub content: Vec<u8>,
    /// What was changed.
    pub changed: Vec<Finding>,
    /// What needs the pin but cannot take it safely, left as it is.
    pub unfixable: Vec<Finding>,
}

/// Applies the pin to every SQLite engine call and the pool import. Idempotent; every
/// other byte stays as it is.
pub fn fix(text: &[u8], pin: &Pin, marker_size: usize) -> Fixed {
    let unchanged = |unfixable: Vec<Finding>| Fixed {
        content: text.to_vec(),
        changed: Vec::new(),
        unfixable,
    };
    if is_binary(text) {
        return unchanged(Vec::new());
    }
    if let Some(&line) = complete_block_lines(text, marker_size).first() {
        return unchanged(vec![finding(
            Kind::Markers,
            line,
            "conflict markers: resolve them first",
        )]);
    }
    let (scan, regions) = match regions_of(text, pin) {
        Ok(r) => r,
        Err(f) => return unchanged(vec![f]),
    };
    let mut changed = Vec::new();
    let mut unfixable = Vec::new();

    // The engine statements.
    let edits = engine_edits(text, &scan, &regions, pin, &mut changed, &mut unfixable);
    let text1 = splice(text, &edits);

    // The pool import, on the pinned text.
    let Ok((scan1, regions1)) = regions_of(&text1, pin) else {
        // The pinned statements must parse; if not, change nothing.
        return unchanged(vec![finding(
            Kind::Syntax,
            1,
            "the pinned file would not parse; left as it is",
        )]);
    };
    let pins_something = scan1
        .statements
        .iter()
        .flat_map(|s| s.calls.iter())
        .any(|c| pin.is_pinned(&c.args));
    let mut import_edits = match &pin.import {
        Some(import) if pins_something => {
            import_edits(&text1, &scan1, &regions1, pin, import, &mut changed)
        }
        _ => Vec::new(),
    };
    import_edits.sort_by_key(|(r, _)| r.start);
    let content = splice(&text1, &import_edits);
    changed.sort_by_key(|f| f.line);
    Fixed {
        content,
        changed,
        unfixable,
    }
}

/// Each engine statement that needs the pin, pinned (an edit of its lines); what it
/// changed, and what cannot take the pin, recorded.
fn engine_edits(
    text: &[u8],
    scan: &Scan,
    regions: &[Region],
    pin: &Pin,
    changed: &mut Vec<Finding>,
    unfixable: &mut Vec<Finding>,
) -> Vec<(Range<usize>, Vec<u8>)> {
    let mut edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    for region in regions {
        let RegionKind::Engine(i) = region.kind else {
            continue;
        };
        let stmt = &scan.statements[i];
        let needs = !opted_out(text, &stmt.range)
            && stmt
                .calls
                .iter()
                .any(|c| pin.applies(c) && !pin.carries(&c.args));
        if !needs {
            continue;
        }
        let line = line_number(text, stmt.range.start);
        let pinned = pin_statement(text, region, stmt, pin);
        if let Some(why) = pinned.blocked {
            unfixable.push(finding(
                Kind::Unpinned,
                line,
                format!("{}: cannot apply the pin: {why}", statement_name(stmt, pin)),
            ));
            continue;
        }
        edits.push((region.line_start..region.span.end, pinned.text));
        changed.push(finding(
            Kind::Unpinned,
            line,
            format!("pin {}", statement_name(stmt, pin)),
        ));
    }
    edits
}

/// The pool import on the pinned text: retired names dropped where nothing else uses
/// them, the pin's name added (to a module-level import, or on a new line).
// Long on purpose: the import rules of `fix` in the order they apply (retire, add to
// a module-level import or a new line, report), over one list of import regions.
fn import_edits(
    text1: &[u8],
    scan1: &Scan,
    regions1: &[Region],
    pin: &Pin,
    import: &PinImport,
    changed: &mut Vec<Finding>,
) -> Vec<(Range<usize>, Vec<u8>)> {
    let mut import_edits: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    let import_regions: Vec<(&Region, ImportSide)> = regions1
        .iter()
        .filter_map(|r| match r.kind {
            RegionKind::Import(i) => Some((
                r,
                ImportSide {
                    text: text1,
                    region: r,
                    import: &scan1.imports[i],
                },
            )),
            RegionKind::Engine(_) => None,
        })
        .collect();
    // Retired names count as used only outside the imports themselves.
    let without_imports = splice(
        text1,
        &import_regions
            .iter()
            .map(|(r, _)| (r.span.clone(), Vec::new()))
            .collect::<Vec<_>>(),
    );
    let retired = imports::unused(&without_imports, &pin.retire);
    let mut lists: Vec<(Vec<_>, Option<usize>)> = import_regions
        .iter()
        .map(|(_, side)| {
            let mut list = side.import.names.clone();
            let slot = imports::remove_names(&mut list, &retired);
            (list, slot)
        })
        .collect();
    let has_name = lists
        .iter()
        .any(|(l, _)| l.iter().any(|n| n.name == import.name));
    let mut insert_line = false;
    if !has_name {
        match import_regions
            .iter()
            .position(|(_, s)| s.import.scope.is_empty())
        {
            Some(i) => {
                let (list, slot) = &mut lists[i];
                imports::insert_name(list, &import.name, *slot);
            }
            None => insert_line = true,
        }
        changed.push(finding(
            Kind::Import,
            import_regions
                .first()
                .map_or(1, |(r, _)| line_number(text1, r.span.start)),
            format!("import {} from {}", import.name, import.module),
        ));
    }
    for ((region, side), (list, _)) in import_regions.iter().zip(&lists) {
        if *list == side.import.names {
            continue;
        }
        if list.is_empty() {
            // Nothing left to import: the statement's line goes.
            import_edits.push((region.span.start..region.eol.end, Vec::new()));
        } else {
            import_edits.push((region.span.clone(), imports::render(*side, list)));
        }
    }
    if !retired.is_empty()
        && import_regions
            .iter()
            .any(|(_, s)| s.import.names.iter().any(|n| retired.contains(&n.name)))
    {
        changed.push(finding(
            Kind::Import,
            import_regions
                .first()
                .map_or(1, |(r, _)| line_number(text1, r.span.start)),
            format!("drop the unused import of {}", retired.join(", ")),
        ));
    }
    if insert_line {
        let at = imports::insertion_point(text1, &import.module, &import.name);
        // The end of line of the lines around it.
        let eol = crate::region::edit::line_eol(text1, at);
        let line = [
            format!("from {} import {}", import.module, import.name).as_bytes(),
            eol,
        ]
        .concat();
        import_edits.push((at..at, line));
    }
    import_edits
}

#[cfg(test)]
mod tests {
    use super::*;

    const UNPINNED: &str = "import os\nfrom sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\n# The logs database.\nlogs_engine = create_engine(\n    LOGS_URL,  # keep\n    poolclass=NullPool,\n    connect_args={\"check_same_thread\": False}\n)\n\npg = create_engine(PG_URL, pool_size=5)\n";

    #[test]
    fn problems_name_each_unpinned_engine_and_the_import() {
        let found = problems(UNPINNED.as_bytes(), &Pin::builtin(), 7);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!((found[0].kind, found[0].line), (Kind::Import, 3));
        assert_eq!((found[1].kind, found[1].line), (Kind::Unpinned, 6));
        assert!(
            found[1]
                .message
                .starts_with("engine logs_engine does not carry the pin: poolclass is NullPool")
        );
    }

    #[test]
    fn an_engine_named_engine_is_the_engine() {
        let module =
            "from sqlalchemy import create_engine\nengine = create_engine(\"sqlite:///a.db\")\n";
        let found = problems(module.as_bytes(), &Pin::builtin(), 7);
        let unpinned = found.iter().find(|p| p.kind == Kind::Unpinned).unwrap();
        assert!(
            unpinned
                .message
                .starts_with("the engine does not carry the pin"),
            "{}",
            unpinned.message
        );
        let fixed = fix(module.as_bytes(), &Pin::builtin(), 7);
        let said = format!("{:?}", fixed.changed);
        assert!(
            said.contains("pin the engine") && !said.contains("engine engine"),
            "{said}"
        );
    }

    #[test]
    fn a_new_layout_moves_items_over_several_lines_but_never_a_string() {
        let pin = Pin::builtin();
        let nested =
            "e = create_engine(\"sqlite:///a.db\", execution_options=dict(\n    a=1,\n))\n";
        let fixed = String::from_utf8(fix(nested.as_bytes(), &pin, 7).content).unwrap();
        assert!(
            fixed.contains("    execution_options=dict(\n        a=1,\n    ),\n"),
            "{fixed}"
        );
        let doc = "e = create_engine(\"sqlite:///a.db\", info=\"\"\"one\ntwo\"\"\")\n";
        let fixed = String::from_utf8(fix(doc.as_bytes(), &pin, 7).content).unwrap();
        assert!(
            fixed.contains("    info=\"\"\"one\ntwo\"\"\",\n"),
            "the string is unchanged: {fixed}"
        );
    }

    #[test]
    fn fix_pins_touches_nothing_else_and_is_idempotent() {
        let pin = Pin::builtin();
        let fixed = fix(UNPINNED.as_bytes(), &pin, 7);
        let out = String::from_utf8(fixed.content.clone()).unwrap();
        assert!(problems(out.as_bytes(), &pin, 7).is_empty(), "{out}");
        assert!(out.contains("from sqlalchemy.pool import StaticPool\n"));
        assert!(
            out.contains("    LOGS_URL,  # keep\n    poolclass=StaticPool,\n"),
            "{out}"
        );
        assert!(
            out.contains("# The logs database.\n")
                && out.contains("pg = create_engine(PG_URL, pool_size=5)\n")
        );
        let again = fix(&fixed.content, &pin, 7);
        assert_eq!(again.content, fixed.content);
        assert!(again.changed.is_empty());
    }

    #[test]
    fn a_call_laid_out_afresh_takes_the_files_end_of_line() {
        let src = "from sqlalchemy import create_engine\r\nfrom sqlalchemy.pool import NullPool\r\n\r\ne = create_engine(\"sqlite:///a.db\", poolclass=NullPool)\r\nx = 1";
        let fixed = fix(src.as_bytes(), &Pin::builtin(), 7);
        let text = fixed.content;
        assert!(text.windows(5).any(|w| w == b"=True"), "pinned");
        let bare_lf = text
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'\n' && (i == 0 || text[i - 1] != b'\r'))
            .count();
        assert_eq!(bare_lf, 0, "{}", String::from_utf8_lossy(&text));
        assert!(text.ends_with(b"\r\nx = 1"), "no final newline added");
    }

    #[test]
    fn a_name_in_a_docstring_keeps_no_import_alive() {
        let src = "\"\"\"Engines used to take NullPool.\"\"\"\nfrom sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\ne = create_engine(\"sqlite:///a.db\", poolclass=NullPool)  # was NullPool\n";
        let fixed = fix(src.as_bytes(), &Pin::builtin(), 7);
        let text = String::from_utf8(fixed.content).unwrap();
        assert!(
            text.contains("from sqlalchemy.pool import StaticPool\n")
                && !text.contains("import NullPool"),
            "{text}"
        );
    }

    #[test]
    fn fix_adds_the_import_line_and_reports_what_it_cannot_pin() {
        let pin = Pin::builtin();
        let src = "from sqlalchemy import create_engine\n\ne = create_engine(\"sqlite:///a.db\")\nf = create_engine(\"sqlite:///b.db\", connect_args=ARGS)\n";
        let fixed = fix(src.as_bytes(), &pin, 7);
        let out = String::from_utf8(fixed.content).unwrap();
        assert!(
            out.starts_with(
                "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n"
            ),
            "{out}"
        );
        assert!(out.contains("f = create_engine(\"sqlite:///b.db\", connect_args=ARGS)\n"));
        assert_eq!(fixed.unfixable.len(), 1);
        assert_eq!(fixed.unfixable[0].line, 4);
    }
}
