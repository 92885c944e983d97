//! The properties every merge must hold, whatever its inputs. Shared by the property
//! tests (`tests/properties.rs`), the inputs the fuzzer found (`tests/fuzzed.rs`) and
//! the fuzz target itself (`fuzz/fuzz_targets/merge.rs` includes this file).

use poolmerge::conflict::{Markers, Style, complete_block_lines};
use poolmerge::merge::line::NativeMerge;
use poolmerge::merge::{self, Input, MergeOutcome, Options, Plain};
use poolmerge::python;

/// The separator between base, ours and theirs in a fuzz input.
pub const SEP: &[u8] = b"\xff\xfe\xfd\xfc";

/// A profile of three pins: the built-in one, server engines recycled, sessions kept.
pub fn three_pins() -> Vec<poolmerge::policy::Pin> {
    let text = "include_builtin = true\n[[pin]]\ncall = \"create_engine\"\nwhen = \"server\"\nset = { pool_pre_ping = \"True\", pool_recycle = \"1800\" }\n[[pin]]\ncall = \"sessionmaker\"\nset = { expire_on_commit = \"False\" }\nimports = [\"from sqlalchemy.orm import sessionmaker\"]\n";
    let config = poolmerge::config::parse(text, ".poolmerge.toml")
        .expect("a valid configuration")
        .expect("a configuration");
    poolmerge::config::Profile::from_config(config, "test".into())
        .expect("a valid profile")
        .pins
}

/// A fuzz input: a style byte (its value modulo 3 the style, the next bit the
/// profile: built-in or [`three_pins`]), a marker-size byte, then base, ours and
/// theirs separated by `SEP`. `None` when it does not have three parts.
pub fn split(data: &[u8]) -> Option<(Options, [&[u8]; 3])> {
    let (&style, rest) = data.split_first()?;
    let (&size, mut rest) = rest.split_first()?;
    let mut parts = Vec::new();
    while let Some(at) = rest.windows(SEP.len()).position(|w| w == SEP) {
        parts.push(&rest[..at]);
        rest = &rest[at + SEP.len()..];
    }
    parts.push(rest);
    if parts.len() != 3 {
        return None;
    }
    let markers = Markers {
        size: usize::from(size % 40),
        style: [Style::Merge, Style::Diff3, Style::Zdiff3][usize::from(style % 3)],
        ours: Some("ours".into()),
        base: Some("base".into()),
        theirs: Some("theirs".into()),
    };
    let opts = if (style / 3) % 2 == 1 {
        Options::for_pins(markers, &three_pins())
    } else {
        Options::for_pins(markers, &[])
    };
    Some((opts, [parts[0], parts[1], parts[2]]))
}

/// Whether a Python text parses without a syntax error, as CPython compiles it.
pub fn parses(text: &[u8]) -> bool {
    python::compiles(text)
}

/// Whether any line of `text` starts with `size` marker characters.
pub fn has_marker_lines(text: &[u8], size: usize) -> bool {
    text.split(|&b| b == b'\n').any(|l| {
        [b'<', b'=', b'>', b'|']
            .iter()
            .any(|&c| l.len() >= size && l[..size].iter().all(|&b| b == c))
    })
}

/// Merges with the engine (a panic is not caught: it fails the caller) and checks
/// what must hold of every merge:
/// - no error: git's merge merges any text, and so must poolmerge;
/// - a binary version keeps ours, as a conflict (git's binary driver);
/// - no version mentions pool code: git's bytes and status;
/// - a clean result of inputs without conflict markers holds none;
/// - a clean result parses whenever git's plain merge of the same inputs is clean and
///   parses;
/// - a clean result gives no server engine the pin's pool class (unless an input did);
/// - a clean result mixes ends of line only where git's own clean merge does;
/// - a clean result imports every pool class it uses, when every version does;
/// - every side of a conflict (ours, or theirs, taken in every block) parses and
///   imports the pool classes it uses where git's merge does, and pins no server engine.
///
/// Returns the outcome and git's plain merge (`None` for a binary input).
pub fn check(
    input: &Input,
    opts: &Options,
) -> Result<(MergeOutcome, Option<MergeOutcome>), String> {
    let texts = [input.base, input.ours, input.theirs];
    let engine = merge::merge(input, opts, &NativeMerge);
    if texts.iter().any(|t| merge::is_binary(t)) {
        let outcome = engine.map_err(|e| format!("a binary merge failed: {e:#}"))?;
        if outcome.content != input.ours || outcome.conflicts == 0 {
            return Err("binary: ours must be kept, as a conflict".into());
        }
        return Ok((outcome, None));
    }
    let plain = merge::plain(input, opts, &NativeMerge, Plain::NoRegions);
    let outcome = match (engine, plain) {
        (Err(e), Ok(_)) => {
            return Err(format!(
                "the engine failed where git's merge did not: {e:#}"
            ));
        }
        (Err(e), Err(_)) => return Err(format!("a text merge failed, in git's merge too: {e:#}")),
        (Ok(_), Err(e)) => {
            return Err(format!("the engine merged where git's merge failed: {e:#}"));
        }
        (Ok(o), Ok(p)) => (o, p),
    };
    let (outcome, plain) = outcome;
    // Pool code: any pin's call or import module, or SQLAlchemy at all.
    let pins: Vec<&poolmerge::policy::Pin> = opts.pins().collect();
    let mentions = |t: &[u8]| {
        python::contains(t, b"sqlalchemy")
            || pins.iter().any(|p| {
                python::contains(t, p.call.as_bytes())
                    || p.import_module()
                        .is_some_and(|m| python::contains(t, m.as_bytes()))
            })
    };
    if !texts.iter().any(|t| mentions(t))
        && (outcome.content != plain.content || outcome.conflicts != plain.conflicts)
    {
        return Err("no pool code, yet not git's bytes".into());
    }
    let size = if opts.markers.size() == 0 {
        7
    } else {
        opts.markers.size()
    };
    if outcome.conflicts == 0
        && !texts.iter().any(|t| has_marker_lines(t, size))
        && !complete_block_lines(&outcome.content, size).is_empty()
    {
        return Err("a clean result holds conflict markers".into());
    }
    if outcome.conflicts == 0
        && plain.conflicts == 0
        && parses(&plain.content)
        && !parses(&outcome.content)
    {
        return Err("git's clean merge parses, poolmerge's does not".into());
    }
    if outcome.conflicts == 0
        && plain.conflicts == 0
        && !mixed_eol(&plain.content)
        && mixed_eol(&outcome.content)
    {
        return Err("git's merge has one end of line throughout, poolmerge's mixes them".into());
    }
    // When every version imports the pool classes it uses, so does a clean result
    // (git's own merge, where poolmerge fell back to it, answers for itself).
    if outcome.conflicts == 0
        && outcome.content != plain.content
        && texts
            .iter()
            .all(|t| unimported_pool_names(t, &texts, opts.pin()).is_empty())
        && let Some(name) = unimported_pool_names(&outcome.content, &texts, opts.pin()).first()
    {
        return Err(format!("a clean result uses {name} without importing it"));
    }
    let pin = &opts.pin();
    let count = |t: &[u8]| pinned_server_engines(t, pin);
    let before = texts.iter().map(|t| count(t)).max().unwrap_or(0);
    if outcome.conflicts == 0 {
        if count(&outcome.content) > before {
            return Err("a clean result gives a server engine the pin's pool".into());
        }
    } else if !texts.iter().any(|t| has_marker_lines(t, size)) && texts.iter().all(|t| parses(t)) {
        // Every side of a conflict of versions that parse is a working module: taking
        // ours (or theirs) in every block parses and imports the pool classes it uses
        // where git's own merge does, and gives no server engine the pin.
        let (_, ours, theirs) = blocks(&outcome.content, size);
        let (plain_ours, plain_theirs) = if plain.conflicts > 0 {
            let (_, o, t) = blocks(&plain.content, size);
            (o, t)
        } else {
            (plain.content.clone(), plain.content.clone())
        };
        let all_import = texts
            .iter()
            .all(|t| unimported_pool_names(t, &texts, pin).is_empty());
        for (name, side, reference) in [
            ("ours", &ours, &plain_ours),
            ("theirs", &theirs, &plain_theirs),
        ] {
            if parses(reference) && !parses(side) {
                return Err(format!(
                    "taking {name} in every conflict does not parse, where git's merge does"
                ));
            }
            if all_import
                && unimported_pool_names(reference, &texts, pin).is_empty()
                && let Some(n) = unimported_pool_names(side, &texts, pin).first()
            {
                return Err(format!(
                    "taking {name} in every conflict uses {n} without importing it"
                ));
            }
            if count(side) > before {
                return Err(format!(
                    "taking {name} in every conflict gives a server engine the pin's pool"
                ));
            }
        }
    }
    Ok((outcome, Some(plain)))
}

/// The names some input imports from the pin's module, and the pin's own, that `text`
/// uses (as code) but does not import.
pub fn unimported_pool_names(
    text: &[u8],
    inputs: &[&[u8]],
    pin: &poolmerge::policy::Pin,
) -> Vec<String> {
    let imported = |t: &[u8]| -> Vec<String> {
        python::scan(t, &pin.targets())
            .map(|s| {
                s.imports
                    .iter()
                    .flat_map(|i| i.names.iter())
                    .map(|n| n.alias.clone().unwrap_or_else(|| n.name.clone()))
                    .collect()
            })
            .unwrap_or_default()
    };
    let here = imported(text);
    let mut names: Vec<String> = inputs.iter().flat_map(|t| imported(t)).collect();
    if let Some(import) = &pin.import {
        names.push(import.name.clone());
    }
    names.sort();
    names.dedup();
    names
        .into_iter()
        .filter(|n| !here.contains(n) && poolmerge::merge::imports::name_used(text, n))
        .collect()
}

/// Whether a text ends its lines both with `\r\n` and with a bare `\n`.
pub fn mixed_eol(text: &[u8]) -> bool {
    let (mut crlf, mut lf) = (false, false);
    for i in memchr::memchr_iter(b'\n', text) {
        if i > 0 && text[i - 1] == b'\r' {
            crlf = true;
        } else {
            lf = true;
        }
    }
    crlf && lf
}

/// Engine calls configured for a server pool (`pool_size`, ...) that carry the pin's
/// pool class: what SQLAlchemy rejects at run time.
pub fn pinned_server_engines(text: &[u8], pin: &poolmerge::policy::Pin) -> usize {
    let Some(scan) = python::scan(text, &pin.targets()) else {
        return 0;
    };
    scan.statements
        .iter()
        .flat_map(|s| &s.calls)
        .filter(|c| {
            pin.is_server(&c.args)
                && poolmerge::policy::keyword(&c.args, "poolclass").is_some_and(|i| {
                    pin.import
                        .as_ref()
                        .is_some_and(|p| i.norm.contains(&p.name))
                })
        })
        .count()
}

/// Splits conflict blocks: (number of blocks, text with every ours side, text with
/// every theirs side).
pub fn blocks(text: &[u8], n: usize) -> (usize, Vec<u8>, Vec<u8>) {
    poolmerge::conflict::sides(text, n)
}
