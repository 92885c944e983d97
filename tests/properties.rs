//! Property tests over generated Python modules, with and without engines, and random
//! edits on both sides (fixed seeds: the same cases on every machine). Each case is
//! held to `tests/invariants.rs` and, by its kind, to:
//! - every SQLite engine in a clean result carries the pin, when the fork carries it;
//! - the same file whichever way round the sides come, when exactly one carries it;
//! - a pinned or engine-free file merged with itself is unchanged;
//! - the driver exits 0 or 1 and writes what the engine merged; without pool code,
//!   exactly what `git merge-file` writes.

use crate::generate::{Rng, edit_lines};
use crate::invariants;
use crate::support::{blocks, git_merge_file, pin_problems, run_merge};
use poolmerge::check::{fix, fix_all, problems_all};
use poolmerge::conflict::{Markers, Style};
use poolmerge::merge::{Input, MergeOutcome, Options};
use poolmerge::policy::Pin;
use std::process::Command;

/// How an engine sits in its module: alone, or in an `if` that tests for SQLite (the
/// SQLite engine in the `if` branch, a server engine in the `else`), or in one that
/// tests the other way round (`if not sqlite`: the server engine first).
#[derive(Clone, Copy, PartialEq)]
enum Guard {
    None,
    Sqlite,
    Inverted,
    /// `if url.startswith("sqlite")`, then an `elif` for MySQL whose engine statement
    /// is the same text as the SQLite one, then the server engine in `else`.
    Sibling,
}

/// An engine statement, rendered in one of the shapes real modules use.
#[derive(Clone)]
struct Engine {
    name: String,
    url: String,
    keywords: Vec<(String, String)>,
    one_line: bool,
    guard: Guard,
}

impl Engine {
    fn call(&self, indent: &str) -> Vec<String> {
        self.expression(indent, &format!("{} = ", self.name), "")
    }

    /// The call after `head` (a target, a dict key), then `tail`.
    fn expression(&self, indent: &str, head: &str, tail: &str) -> Vec<String> {
        let args: Vec<String> = std::iter::once(self.url.clone())
            .chain(self.keywords.iter().map(|(k, v)| {
                if v.is_empty() {
                    k.clone()
                } else {
                    format!("{k}={v}")
                }
            }))
            .collect();
        if self.one_line {
            vec![format!(
                "{indent}{head}create_engine({}){tail}",
                args.join(", ")
            )]
        } else {
            let mut out = vec![format!("{indent}{head}create_engine(")];
            out.extend(args.iter().map(|a| format!("{indent}    {a},")));
            out.push(format!("{indent}){tail}"));
            out
        }
    }

    fn server(&self) -> bool {
        self.keywords.iter().any(|(k, _)| k == "pool_size")
    }

    /// The module's lines. Guarded, the engine takes the branch of its kind and the
    /// other branch holds upstream's usual engine of the other kind.
    fn lines(&self) -> Vec<String> {
        let test = match self.guard {
            Guard::None => return self.call(""),
            Guard::Sqlite => "if DATABASE_URL and \"sqlite\" in DATABASE_URL:",
            Guard::Inverted => "if not DATABASE_URL.startswith(\"sqlite\"):",
            Guard::Sibling => {
                let mut out = vec!["if DATABASE_URL.startswith(\"sqlite\"):".to_string()];
                out.extend(self.call("    "));
                out.push("elif DATABASE_URL.startswith(\"mysql\"):".into());
                out.extend(self.call("    "));
                out.push("else:".into());
                out.push(format!(
                    "    {} = create_engine(DATABASE_URL, pool_size=50, max_overflow=100)",
                    self.name
                ));
                return out;
            }
        };
        let other = if self.server() {
            format!(
                "    {} = create_engine(DATABASE_URL, poolclass=NullPool, connect_args={{\"check_same_thread\": False}})",
                self.name
            )
        } else {
            format!(
                "    {} = create_engine(DATABASE_URL, pool_size=50, max_overflow=100)",
                self.name
            )
        };
        let own = self.call("    ");
        let own_first = (self.guard == Guard::Sqlite) != self.server();
        let mut out = vec![test.to_string()];
        if own_first {
            out.extend(own);
            out.push("else:".into());
            out.push(other);
        } else {
            out.push(other);
            out.push("else:".into());
            out.extend(own);
        }
        out
    }
}

#[derive(Clone)]
enum Block {
    Lines(Vec<String>),
    Engine(Engine),
    /// Engines in one dict literal, by name (`ENGINES = {"a": create_engine(...)}`).
    Dict(String, Vec<Engine>),
}

/// A dict of two or three engines, never guarded.
fn dict(rng: &mut Rng, names: &mut usize) -> Block {
    *names += 1;
    let name = format!("ENGINES_{}", *names);
    let engines = (0..2 + rng.below(2))
        .map(|_| Engine {
            guard: Guard::None,
            ..engine(rng, names)
        })
        .collect();
    Block::Dict(name, engines)
}

const STATEMENTS: &[&[&str]] = &[
    &["x{n} = {n}"],
    &["# note {n}"],
    &[""],
    &["def f{n}(x):", "    return x + {n}"],
    &["class C{n}:", "    y = {n}", "    café = \"{n}\""],
    &["logger.info(\"ready {n}\")"],
    &["Session{n} = scoped_session(sessionmaker(bind=engine))"],
    &["import os"],
    &["from sqlalchemy.orm import sessionmaker"],
];

fn statement(rng: &mut Rng) -> Block {
    let n = rng.below(6).to_string();
    Block::Lines(
        STATEMENTS[rng.below(STATEMENTS.len())]
            .iter()
            .map(|l| l.replace("{n}", &n))
            .collect(),
    )
}

fn engine(rng: &mut Rng, names: &mut usize) -> Engine {
    *names += 1;
    let name = format!("engine_{}", *names);
    let server = rng.chance(15);
    let url = if server {
        format!("\"postgresql://app@db/{name}\"")
    } else if rng.chance(70) {
        format!("\"sqlite:///db/{name}.db\"")
    } else {
        "DATABASE_URL".into()
    };
    let mut keywords = Vec::new();
    if server {
        keywords.push(("pool_size".into(), "5".into()));
    } else {
        keywords.push(("poolclass".into(), "NullPool".into()));
        if url == "DATABASE_URL" || rng.chance(30) {
            keywords.push((
                "connect_args".into(),
                "{\"check_same_thread\": False}".into(),
            ));
        }
    }
    if rng.chance(30) {
        keywords.push(("echo".into(), "False".into()));
    }
    Engine {
        name,
        url,
        keywords,
        one_line: rng.chance(50),
        guard: match rng.below(20) {
            0..=2 => Guard::Sqlite,
            3 => Guard::Inverted,
            _ => Guard::None,
        },
    }
}

fn module(rng: &mut Rng, engines: bool, names: &mut usize) -> Vec<Block> {
    let mut blocks = vec![Block::Lines(vec![
        "import os".into(),
        "import logging".into(),
    ])];
    if engines {
        blocks.push(Block::Lines(vec![
            "from sqlalchemy import create_engine".into(),
            "from sqlalchemy.pool import NullPool".into(),
        ]));
    }
    for _ in 0..2 + rng.below(12) {
        if engines && rng.chance(5) {
            blocks.push(dict(rng, names));
        } else if engines && rng.chance(30) {
            blocks.push(Block::Engine(engine(rng, names)));
        } else {
            blocks.push(statement(rng));
        }
    }
    blocks
}

/// One upstream-style edit: statements added, removed or replaced; an engine's URL,
/// keywords or layout changed; an engine split by an SQLite test, the test inverted,
/// the split taken back; an engine added or removed; a comment above it.
fn edit(rng: &mut Rng, blocks: &mut Vec<Block>, engines: bool, names: &mut usize) {
    // After the imports that open the module, as in real modules.
    let at = rng
        .below(blocks.len() + 1)
        .max(if engines { 2 } else { 1 })
        .min(blocks.len());
    match rng.below(10) {
        0..=2 => blocks.insert(at, statement(rng)),
        3 if at < blocks.len() && at > 0 => {
            blocks.remove(at);
        }
        4 if at < blocks.len() && at > 0 => blocks[at] = statement(rng),
        5 if engines => blocks.insert(at, Block::Engine(engine(rng, names))),
        6 if engines => blocks.insert(at, Block::Lines(vec!["# the engine below".into()])),
        _ => {
            let dicts: Vec<usize> = (0..blocks.len())
                .filter(|&i| matches!(blocks[i], Block::Dict(..)))
                .collect();
            // An engine added to a dict of engines, or one taken out.
            if !dicts.is_empty() && rng.chance(20) {
                let Block::Dict(_, list) = &mut blocks[dicts[rng.below(dicts.len())]] else {
                    unreachable!()
                };
                if rng.chance(50) || list.len() < 2 {
                    let e = Engine {
                        guard: Guard::None,
                        ..engine(rng, names)
                    };
                    list.insert(rng.below(list.len() + 1), e);
                } else {
                    list.remove(rng.below(list.len()));
                }
                return;
            }
            let mut found: Vec<(&mut Engine, bool)> = Vec::new();
            for b in blocks.iter_mut() {
                match b {
                    Block::Engine(e) => found.push((e, false)),
                    Block::Dict(_, list) => found.extend(list.iter_mut().map(|e| (e, true))),
                    Block::Lines(_) => {}
                }
            }
            if found.is_empty() {
                return;
            }
            let at = rng.below(found.len());
            let (e, in_dict) = &mut found[at];
            let (e, in_dict) = (&mut **e, *in_dict);
            match rng.below(7) {
                // Upstream splits the engine by an SQLite test, inverts the test, or
                // takes the split back (an engine of a dict stays where it is).
                5 | 6 if !in_dict => {
                    e.guard = match (e.guard, rng.below(2)) {
                        (Guard::None, 0) => Guard::Sqlite,
                        (Guard::None, _) => Guard::Inverted,
                        (Guard::Sqlite, 0) => Guard::Inverted,
                        (Guard::Inverted, 0) => Guard::Sqlite,
                        _ => Guard::None,
                    }
                }
                0 => e.url = format!("os.getenv(\"URL\", {})", e.url),
                1 => {
                    e.keywords.retain(|(k, _)| k != "echo");
                    e.keywords.push(("echo".into(), "True".into()));
                }
                2 => e.one_line = !e.one_line,
                3 => {
                    for (k, v) in &mut e.keywords {
                        if k == "poolclass" {
                            *v = "QueuePool".into();
                        }
                    }
                }
                _ => e.keywords.retain(|(k, _)| k != "echo"),
            }
        }
    }
}

/// One change of what an engine is, as upstream makes them (with its own generator,
/// so that the cases without one stay as they were): its URL's scheme swapped for a
/// server's (`connect_args` gone), its URL built from a string (f-string, `.format`,
/// `+`, `%`), a sibling `elif` with the same engine text, a `**splat` of a
/// module-level dict (harmless, or carrying a pool class).
fn kind_change(rng: &mut Rng, blocks: &mut Vec<Block>) {
    let mut found: Vec<&mut Engine> = Vec::new();
    let mut splat_at = None;
    for (i, b) in blocks.iter_mut().enumerate() {
        if let Block::Engine(e) = b {
            splat_at.get_or_insert(i);
            found.push(e);
        }
    }
    if found.is_empty() {
        return;
    }
    let at = rng.below(found.len());
    let e = &mut *found[at];
    let sqlite_url = e.url.starts_with("\"sqlite");
    match rng.below(5) {
        0 if sqlite_url => {
            e.url = format!("\"postgresql+psycopg2://app@db/{}\"", e.name);
            e.keywords.retain(|(k, _)| k != "connect_args");
        }
        1 => {
            e.url = match rng.below(4) {
                0 => format!("f\"sqlite:///{{DB_DIR}}/{}.db\"", e.name),
                1 => format!("\"sqlite:///{{}}/{}.db\".format(DB_DIR)", e.name),
                2 => format!("\"sqlite:///\" + DB_DIR + \"/{}.db\"", e.name),
                _ => format!("\"sqlite:///%s/{}.db\" % DB_DIR", e.name),
            }
        }
        2 | 3 if !e.server() => e.guard = Guard::Sibling,
        _ => {
            let carries_pool = rng.chance(50);
            e.keywords
                .retain(|(k, _)| !(carries_pool && k == "poolclass"));
            e.keywords.push(("**ENGINE_OPTS".into(), String::new()));
            let dict = if carries_pool {
                "ENGINE_OPTS = {\"poolclass\": NullPool, \"echo\": False}"
            } else {
                "ENGINE_OPTS = {\"echo\": False}"
            };
            let at = splat_at.unwrap_or(blocks.len());
            blocks.insert(at, Block::Lines(vec![dict.into()]));
        }
    }
}

fn render(blocks: &[Block]) -> Vec<String> {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::Lines(l) => out.extend(l.iter().cloned()),
            Block::Engine(e) => out.extend(e.lines()),
            Block::Dict(name, list) => {
                out.push(format!("{name} = {{"));
                for e in list {
                    out.extend(e.expression("    ", &format!("\"{}\": ", e.name), ","));
                }
                out.push("}".into());
            }
        }
    }
    out
}

fn bytes(lines: &[String], crlf: bool) -> Vec<u8> {
    let eol = if crlf { "\r\n" } else { "\n" };
    lines
        .iter()
        .flat_map(|l| [l.as_str(), eol])
        .collect::<String>()
        .into_bytes()
}

/// What a case is about.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Kind {
    /// No engine, no SQLAlchemy anywhere.
    NoPoolCode,
    /// Ours is the fork: every SQLite engine pinned; theirs is upstream.
    Fork,
    /// Engines on both sides, nobody pinned.
    Unpinned,
}

struct Case {
    kind: Kind,
    base: Vec<u8>,
    ours: Vec<u8>,
    theirs: Vec<u8>,
    /// Line noise that may break the syntax was added.
    noisy: bool,
    opts: Options,
    style: &'static str,
}

fn case(seed: u64) -> Case {
    let mut rng = Rng(seed ^ 0x005e_ed0f_9001);
    let kind = [Kind::NoPoolCode, Kind::Fork, Kind::Fork, Kind::Unpinned][rng.below(4)];
    let engines = kind != Kind::NoPoolCode;
    let mut names = 0;
    let base = module(&mut rng, engines, &mut names);
    let (mut ours, mut theirs) = (base.clone(), base.clone());
    for _ in 0..rng.below(4) {
        edit(&mut rng, &mut ours, engines, &mut names);
    }
    for _ in 0..1 + rng.below(4) {
        edit(&mut rng, &mut theirs, engines, &mut names);
    }
    // Kind changes, from their own generator: a case without one is as it was.
    let mut kinds = Rng(seed ^ 0x6b1d_c4a5_0022);
    if engines && kinds.chance(30) {
        kind_change(&mut kinds, &mut theirs);
    }
    let (base, mut ours, mut theirs) = (render(&base), render(&ours), render(&theirs));
    let noisy = rng.chance(20);
    if noisy {
        let vocab: &[&str] = &["    pass", ")", "x = (", "# noise", "", "def g():"];
        edit_lines(&mut rng, &mut ours, vocab, None);
        edit_lines(&mut rng, &mut theirs, vocab, None);
    }
    let crlf = rng.chance(15);
    let pin = Pin::builtin();
    let size = [7, 7, 7, 9, 3][rng.below(5)];
    let mut base_bytes = bytes(&base, crlf);
    let mut ours_bytes = bytes(&ours, crlf);
    if kind == Kind::Fork {
        ours_bytes = fix(&ours_bytes, &pin, size).content;
        if rng.chance(25) {
            base_bytes = fix(&base_bytes, &pin, size).content;
        }
    }
    let style_at = rng.below(3);
    let theirs_bytes = bytes(&theirs, crlf);
    let markers = Markers {
        size,
        style: [Style::Merge, Style::Diff3, Style::Zdiff3][style_at],
        ours: Some("ours".into()),
        base: Some("base".into()),
        theirs: Some("theirs".into()),
    };
    let opts = Options::for_pins(markers, &[]);
    Case {
        kind,
        base: base_bytes,
        ours: ours_bytes,
        theirs: theirs_bytes,
        noisy,
        opts,
        style: ["merge", "diff3", "zdiff3"][style_at],
    }
}

fn sqlite_engines(text: &[u8]) -> usize {
    let pin = Pin::builtin();
    poolmerge::python::scan(text, &pin.targets())
        .map(|s| {
            s.statements
                .iter()
                .flat_map(|st| &st.calls)
                .filter(|c| pin.is_sqlite(c))
                .count()
        })
        .unwrap_or(0)
}

fn merged(base: &[u8], ours: &[u8], theirs: &[u8], opts: &Options) -> Result<MergeOutcome, String> {
    let input = Input { base, ours, theirs };
    invariants::check(&input, opts).map(|(o, _)| o)
}

/// Seeds of deeper runs that once failed: an import both sides deleted left in the
/// base section of a conflict; the pin's import inserted inside a conflict block.
const FOUND: &[u64] = &[3728, 4082, 4374, 6271, 6485, 7519, 11524, 23245, 32359];

/// Seeds that once failed with three pins: a region neither side pinned, in a file
/// only another pin marks as the fork's, took its side by position; an import a side
/// deleted, put back after a line inside an `if` that looked like its neighbour.
const FOUND_THREE: &[u64] = &[4465, 8391, 12871];

/// With `POOLMERGE_PROPERTY_DUMP=DIR`, a failing case's three versions and the merge's
/// result are left in `DIR/SEED/` (with the marker style in `style`), to be run by hand.
fn dump(seed: u64, c: &Case, opts: &Options) {
    let Some(dir) = std::env::var_os("POOLMERGE_PROPERTY_DUMP") else {
        return;
    };
    let dir = std::path::Path::new(&dir).join(seed.to_string());
    let write = |name: &str, bytes: &[u8]| {
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::write(dir.join(name), bytes))
            .expect("the dump directory is writable");
    };
    write("base.py", &c.base);
    write("ours.py", &c.ours);
    write("theirs.py", &c.theirs);
    write(
        "style",
        format!("{} {}\n", c.style, c.opts.markers.size()).as_bytes(),
    );
    if let Ok(o) = poolmerge::merge::merge(
        &Input {
            base: &c.base,
            ours: &c.ours,
            theirs: &c.theirs,
        },
        opts,
        &poolmerge::merge::line::NativeMerge,
    ) {
        write("result.py", &o.content);
    }
}

/// The seeds to run: `range` and the `found` ones, or only those
/// `POOLMERGE_PROPERTY_SEEDS` lists (`3618,4271`), to look at a failure again.
fn seeds(range: std::ops::Range<u64>, found: &[u64]) -> Vec<u64> {
    match std::env::var("POOLMERGE_PROPERTY_SEEDS") {
        Ok(list) => list
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect(),
        Err(_) => range.chain(found.iter().copied()).collect(),
    }
}

/// Whether `POOLMERGE_PROPERTY_SEEDS` chose the seeds (then how many cases reach each
/// property says nothing).
fn chosen() -> bool {
    std::env::var_os("POOLMERGE_PROPERTY_SEEDS").is_some()
}

/// Cases per run; `POOLMERGE_PROPERTY_CASES` asks for a deeper run.
fn cases() -> u64 {
    std::env::var("POOLMERGE_PROPERTY_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(1500)
}

#[test]
fn generated_merges_hold_every_property() {
    let mut failures = Vec::new();
    let mut counts = [0usize; 9];
    for seed in seeds(0..cases(), FOUND) {
        let c = case(seed);
        let fail = |what: String| format!("seed {seed} ({:?}): {what}", c.kind);
        let outcome = match merged(&c.base, &c.ours, &c.theirs, &c.opts) {
            Ok(o) => o,
            Err(e) => {
                dump(seed, &c, &c.opts);
                failures.push(fail(e));
                continue;
            }
        };
        counts[0] += 1;
        if outcome.conflicts == 0 {
            counts[1] += 1;
        }
        // The result decides: a clean result of the engine, or of git's merge in its
        // place, is read again; so is each side of a conflict the engine made.
        if matches!(
            outcome.mode,
            poolmerge::merge::Mode::Regions
                | poolmerge::merge::Mode::Plain(poolmerge::merge::Plain::Doubt(_))
        ) {
            counts[7] += 1;
        }
        if outcome
            .warnings
            .iter()
            .any(|w| w.contains("fails its check") || w.contains("fails the check"))
        {
            counts[8] += 1;
        }
        let fork =
            c.kind == Kind::Fork && sqlite_engines(&c.ours) > 0 && pin_problems(&c.ours).is_empty();
        if fork && outcome.conflicts == 0 && !c.noisy {
            counts[2] += 1;
            let problems = pin_problems(&outcome.content);
            if !problems.is_empty() {
                dump(seed, &c, &c.opts);
                failures.push(fail(format!("clean, yet {}", problems.join("; "))));
            }
        }
        // Each side of a conflict carries the pin wherever it can (M9), where the
        // regions were merged (a fallback to merging whole versions, or to git's plain
        // merge, decides nothing region by region and promises only working sides).
        let by_regions =
            outcome.mode == poolmerge::merge::Mode::Regions && !outcome.decisions.is_empty();
        if outcome
            .warnings
            .iter()
            .any(|w| w.contains("working module"))
        {
            counts[5] += 1;
        }
        if fork && outcome.conflicts > 0 && !c.noisy && by_regions {
            let (_, ours, theirs) = blocks(&outcome.content, c.opts.markers.size());
            for (name, side) in [("ours", &ours), ("theirs", &theirs)] {
                // An engine that cannot take the pin as it stands (a splat that may pass
                // a pinned keyword) is that side's own.
                let unpinnable: Vec<String> = problems_all(side, &[Pin::builtin()], 7)
                    .into_iter()
                    .filter(|f| f.kind == poolmerge::check::Kind::Unpinnable)
                    .map(|f| format!("line {}:", f.line))
                    .collect();
                let problems: Vec<String> = pin_problems(side)
                    .into_iter()
                    .filter(|p| !p.contains("QueuePool"))
                    .filter(|p| !unpinnable.iter().any(|l| p.starts_with(l.as_str())))
                    .collect();
                if !problems.is_empty() {
                    dump(seed, &c, &c.opts);
                    failures.push(fail(format!(
                        "taking {name} in every conflict, {}",
                        problems.join("; ")
                    )));
                }
            }
        }
        // Exactly one side carries the pin: the same file either way round.
        if fork && !poolmerge::python::contains(&c.theirs, b"StaticPool") {
            counts[3] += 1;
            match merged(&c.base, &c.theirs, &c.ours, &c.opts) {
                Err(e) => failures.push(fail(format!("swapped: {e}"))),
                Ok(swapped) => {
                    let n = c.opts.markers.size();
                    let (k1, o1, t1) = blocks(&outcome.content, n);
                    let (k2, o2, t2) = blocks(&swapped.content, n);
                    let same = if outcome.conflicts == 0 {
                        swapped.conflicts == 0 && swapped.content == outcome.content
                    } else {
                        k1 == k2 && o1 == t2 && t1 == o2
                    };
                    if !same {
                        dump(seed, &c, &c.opts);
                        failures.push(fail("swapping the sides changes the result".into()));
                    }
                }
            }
        }
        // A pinned or engine-free file merged with itself is unchanged.
        let settled = match c.kind {
            Kind::Fork if fork => Some(&c.ours),
            Kind::NoPoolCode => Some(&c.theirs),
            _ => None,
        };
        if let Some(x) = settled {
            counts[4] += 1;
            for (what, base) in [("itself", x.as_slice()), ("a base", c.base.as_slice())] {
                match merged(base, x, x, &c.opts) {
                    Ok(o) if o.conflicts == 0 && &o.content == x => {}
                    Ok(_) => failures.push(fail(format!("merged with {what}, it changed"))),
                    Err(e) => failures.push(fail(format!("merged with {what}: {e}"))),
                }
            }
        }
    }
    eprintln!(
        "{} merges, {} clean, {} pinned results checked, {} swapped, {} merged with themselves, {} conflict sides mended by a fallback ({} by git's plain merge); the verifier read {} results and sent {} to git's plain merge",
        counts[0],
        counts[1],
        counts[2],
        counts[3],
        counts[4],
        counts[5],
        counts[6],
        counts[7],
        counts[8]
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if chosen() {
        return;
    }
    // The generator reaches every property, not just the easy ones.
    assert!(
        counts[1] > cases() as usize / 4,
        "few clean merges: {counts:?}"
    );
    let n = cases() as usize;
    assert!(
        counts[2] > n / 15 && counts[3] > n / 8 && counts[4] > n / 5,
        "{counts:?}"
    );
}

/// Whether some call of `text` carries its pin: the file is a fork's.
fn carries_a_pin(text: &[u8], pins: &[Pin]) -> bool {
    pins.iter().any(|pin| {
        poolmerge::python::scan(text, &pin.targets()).is_some_and(|s| {
            s.statements
                .iter()
                .flat_map(|st| &st.calls)
                .any(|c| pin.is_pinned(&c.args))
        })
    })
}

/// The same generated merges with three pins chained: every invariant still holds,
/// every call a pin applies to carries it in a clean fork merge, and the sides swap.
#[test]
fn generated_merges_hold_every_property_with_three_pins() {
    let pins = invariants::three_pins();
    let mut failures = Vec::new();
    let (mut merged, mut pinned) = (0, 0);
    let found: Vec<u64> = FOUND.iter().chain(FOUND_THREE).copied().collect();
    for seed in seeds(0..cases() / 2, &found) {
        let mut c = case(seed);
        let opts = Options::for_pins(c.opts.markers.clone(), &pins);
        if c.kind == Kind::Fork {
            c.ours = fix_all(&c.ours, &pins, opts.markers.size()).content;
        }
        let fail = |what: String| format!("seed {seed} ({:?}): {what}", c.kind);
        let input = Input {
            base: &c.base,
            ours: &c.ours,
            theirs: &c.theirs,
        };
        let outcome = match invariants::check(&input, &opts) {
            Ok((o, _)) => o,
            Err(e) => {
                dump(seed, &c, &opts);
                failures.push(fail(e));
                continue;
            }
        };
        merged += 1;
        let fork_pinned = c.kind == Kind::Fork
            && !c.noisy
            && carries_a_pin(&c.ours, &pins)
            && problems_all(&c.ours, &pins, opts.markers.size()).is_empty();
        if fork_pinned && outcome.conflicts == 0 && invariants::parses(&outcome.content) {
            pinned += 1;
            // What the fork's version holds of the check is clean by now; a second
            // import upstream's version already held is upstream's own.
            let left = poolmerge::check::unexplained(&outcome.content, &c.ours, &c.theirs, &pins);
            if !left.is_empty() {
                dump(seed, &c, &opts);
                failures.push(fail(format!("clean, yet {left:?}")));
            }
            let swapped = Input {
                base: &c.base,
                ours: &c.theirs,
                theirs: &c.ours,
            };
            if !poolmerge::python::contains(&c.theirs, b"StaticPool") {
                match invariants::check(&swapped, &opts) {
                    Ok((s, _)) if s.conflicts == 0 && s.content == outcome.content => {}
                    Ok(_) => failures.push(fail("swapping the sides changes the result".into())),
                    Err(e) => failures.push(fail(format!("swapped: {e}"))),
                }
            }
        }
    }
    eprintln!("{merged} merges with three pins, {pinned} pinned results checked");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(chosen() || pinned > cases() as usize / 30, "{pinned}");
}

/// The driver itself, on a sample: exit 0 or 1, OURS holds what the engine merged, and
/// without pool code exactly `git merge-file`'s bytes and status.
#[test]
fn the_driver_exits_0_or_1_and_writes_the_merge() {
    let mut failures = Vec::new();
    for seed in (0..cases()).step_by(12) {
        let c = case(seed);
        let size = c.opts.markers.size().to_string();
        let args = [
            "-l", &size, "--style", c.style, "-x", "ours", "-s", "base", "-y", "theirs",
        ];
        let run = run_merge(&c.base, &c.ours, &c.theirs, &args);
        let Ok(outcome) = merged(&c.base, &c.ours, &c.theirs, &c.opts) else {
            continue;
        };
        if run.code != 0 && run.code != 1 {
            failures.push(format!("seed {seed}: exit {} ({})", run.code, run.stderr));
        }
        if run.out != outcome.content || (run.code == 0) != (outcome.conflicts == 0) {
            failures.push(format!("seed {seed}: the driver wrote another merge"));
        }
        if c.kind == Kind::NoPoolCode {
            let (code, git) =
                git_merge_file(&c.base, &c.ours, &c.theirs, c.opts.markers.size(), c.style);
            if run.out != git || run.code != code {
                failures.push(format!("seed {seed}: not git's bytes without pool code"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Generated fork merges of modules ruff has formatted: the merge, and `fix` of
/// upstream's version (what the hooks do), are still formatted as ruff formats them
/// and add no unused or redefined import.
#[test]
fn generated_fork_merges_keep_ruffs_conventions() {
    use crate::conventions::{flagged, ruff};
    use std::path::PathBuf;
    let Some(ruff) = ruff() else {
        return;
    };
    let dir = tempfile::Builder::new()
        .prefix("poolmerge-ruff-")
        .tempdir()
        .unwrap();
    // POOLMERGE_PROPERTY_DUMP keeps the files, in DIR/ruff.
    let kept = std::env::var_os("POOLMERGE_PROPERTY_DUMP")
        .map(|d| PathBuf::from(d).join("ruff"))
        .inspect(|d| std::fs::create_dir_all(d).unwrap());
    let root = kept.as_deref().unwrap_or(dir.path());
    let n = (cases() / 5).max(100);
    let mut seeds = Vec::new();
    for seed in 0..n * 3 {
        let c = case(seed);
        if c.kind != Kind::Fork || c.noisy {
            continue;
        }
        let d = root.join(seed.to_string());
        std::fs::create_dir_all(&d).unwrap();
        for (name, text) in [
            ("base.py", &c.base),
            ("ours.py", &c.ours),
            ("theirs.py", &c.theirs),
        ] {
            std::fs::write(d.join(name), text).unwrap();
        }
        seeds.push((seed, c.opts));
        if seeds.len() as u64 == n {
            break;
        }
    }
    // The versions as ruff formats them (where it can).
    Command::new(&ruff)
        .current_dir(root)
        .env("RUFF_NO_CACHE", "true")
        .args(["format", "--isolated", "--quiet", "."])
        .output()
        .unwrap();
    let pin = Pin::builtin();
    let mut files = Vec::new();
    let mut checked = Vec::new();
    for (seed, opts) in &seeds {
        let d = root.join(seed.to_string());
        let read = |n: &str| std::fs::read(d.join(n)).unwrap();
        let (base, ours, theirs) = (read("base.py"), read("ours.py"), read("theirs.py"));
        if ![&base, &ours, &theirs]
            .iter()
            .all(|t| invariants::parses(t))
        {
            continue;
        }
        let input = Input {
            base: &base,
            ours: &ours,
            theirs: &theirs,
        };
        let merged =
            poolmerge::merge::merge(&input, opts, &poolmerge::merge::line::NativeMerge).unwrap();
        if merged.conflicts == 0 {
            std::fs::write(d.join("merged.py"), &merged.content).unwrap();
            files.push(PathBuf::from(format!("{seed}/merged.py")));
        }
        std::fs::write(d.join("fixed.py"), fix(&theirs, &pin, 7).content).unwrap();
        files.push(PathBuf::from(format!("{seed}/fixed.py")));
        for n in ["base.py", "ours.py", "theirs.py"] {
            files.push(PathBuf::from(format!("{seed}/{n}")));
        }
        checked.push(*seed);
    }
    let unformatted = flagged(
        &ruff,
        root,
        &["format", "--check", "--isolated"],
        &files,
        "",
    );
    // Findings about pool imports only: the generated modules import os and logging
    // for nothing.
    let imports = flagged(
        &ruff,
        root,
        &[
            "check",
            "--isolated",
            "--output-format",
            "concise",
            "--select",
            "F401,F811",
        ],
        &files,
        "Pool",
    );
    let mut failures = Vec::new();
    let mut applied = 0;
    for seed in &checked {
        let f = |n: &str| PathBuf::from(format!("{seed}/{n}"));
        for (flags, what) in [
            (&unformatted, "ruff format --check"),
            (&imports, "ruff check"),
        ] {
            if ["base.py", "ours.py", "theirs.py"]
                .iter()
                .any(|n| flags.contains(&f(n)))
            {
                continue;
            }
            applied += 1;
            for out in ["merged.py", "fixed.py"] {
                if flags.contains(&f(out)) {
                    failures.push(format!("seed {seed}: {what} flags {out} only"));
                }
            }
        }
    }
    eprintln!(
        "{} formatted fork merges, {applied} checks against ruff",
        checked.len()
    );
    assert!(applied as u64 > n, "{applied} checks applied");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
