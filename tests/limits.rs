//! The work bound: pathological inputs never hang or overflow the stack. Past a limit
//! (counted, not timed) the engine gives git's own merge; each limit is tested by
//! lowering it, so that the fallback is deterministic.

use poolmerge::merge::line::NativeMerge;
use poolmerge::merge::{Input, MergeOutcome, Mode, Options, Plain, plain};
use poolmerge::merge_safely;
use poolmerge::python::Limits;

const PINNED: &str = "poolclass=StaticPool, connect_args={\"check_same_thread\": False, \"timeout\": 20.0}, pool_pre_ping=True";

fn merge_with(
    base: &str,
    ours: &str,
    theirs: &str,
    limits: Limits,
) -> (MergeOutcome, MergeOutcome) {
    let input = Input {
        base: base.as_bytes(),
        ours: ours.as_bytes(),
        theirs: theirs.as_bytes(),
    };
    let mut opts = Options::default();
    opts.limits = limits;
    let out = merge_safely(&input, &opts, &NativeMerge, true).expect("a merge");
    let git = plain(&input, &opts, &NativeMerge, Plain::NoRegions).expect("git's merge");
    (out, git)
}

/// Asserts the engine gave git's merge, for a reason that names `why`.
fn assert_fell_back(out: &MergeOutcome, git: &MergeOutcome, why: &str) {
    match &out.mode {
        Mode::Plain(Plain::Doubt(reason)) => assert!(reason.to_string().contains(why), "{reason}"),
        other => panic!("expected git's merge because of {why:?}, got {other:?}"),
    }
    assert_eq!(out.content, git.content);
    assert_eq!(out.conflicts, git.conflicts);
}

/// A module with `n` SQLite engines; `pin` pins engine 0, `edit` changes engine 1's URL.
fn engines(n: usize, pin: bool, edit: bool) -> String {
    let mut s = String::from(
        "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool, StaticPool\n\n",
    );
    for i in 0..n {
        let url = if edit && i == 1 {
            format!("d{i}_v2")
        } else {
            format!("d{i}")
        };
        let pool = if pin && i == 0 {
            PINNED.to_string()
        } else {
            "poolclass=NullPool".to_string()
        };
        s += &format!("e{i} = create_engine(\"sqlite:///{url}.db\", {pool})\n");
    }
    s
}

#[test]
fn tens_of_thousands_of_engine_calls_fall_back_to_gits_merge() {
    let n = 20_000;
    let (out, git) = merge_with(
        &engines(n, false, false),
        &engines(n, true, false),
        &engines(n, false, true),
        Limits::default(),
    );
    assert_fell_back(&out, &git, "more than 1000 places");
}

#[test]
fn each_limit_lowered_makes_the_same_merge_fall_back() {
    let (b, o, t) = (
        engines(40, false, false),
        engines(40, true, false),
        engines(40, false, true),
    );
    let (out, _) = merge_with(&b, &o, &t, Limits::default());
    assert_eq!(
        out.mode,
        Mode::Regions,
        "within the default limits the engine merges"
    );
    let cases = [
        (
            Limits {
                places: 30,
                ..Limits::default()
            },
            "more than 30 places",
        ),
        (
            Limits {
                parse_bytes: 1_000,
                ..Limits::default()
            },
            "more than 1000 bytes of pool code",
        ),
        (
            Limits {
                ticks_base: 0,
                ticks_per_kib: 1,
                ..Limits::default()
            },
            "work budget",
        ),
    ];
    for (limits, why) in cases {
        let (out, git) = merge_with(&b, &o, &t, limits);
        assert_fell_back(&out, &git, why);
    }
    let args = |n: usize| {
        (0..n)
            .map(|i| format!("a{i}=1"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let one = |pool: &str, extra: &str| {
        format!(
            "e = create_engine(\"sqlite:///x.db\", {pool}, {})\n",
            args(20)
        ) + extra
    };
    let (b, o, t) = (
        one("poolclass=NullPool", ""),
        one(PINNED, ""),
        one("poolclass=NullPool", "x = 1\n"),
    );
    assert_eq!(
        merge_with(&b, &o, &t, Limits::default()).0.mode,
        Mode::Regions
    );
    let (out, git) = merge_with(
        &b,
        &o,
        &t,
        Limits {
            items: 10,
            ..Limits::default()
        },
    );
    assert_fell_back(&out, &git, "more than 10 arguments or entries");
}

#[test]
fn a_huge_single_statement_falls_back() {
    let args: String = (0..100_000).map(|i| format!("a{i}=1, ")).collect();
    let stmt = |pool: &str| format!("e = create_engine(\"sqlite:///x.db\", {args}{pool})\n");
    let (out, git) = merge_with(
        &stmt("poolclass=NullPool"),
        &stmt(PINNED),
        &(stmt("poolclass=NullPool") + "x = 1\n"),
        Limits::default(),
    );
    assert_fell_back(&out, &git, "more than 1000 arguments or entries");
}

#[test]
fn deep_nesting_neither_hangs_nor_overflows_the_stack() {
    let depth = 50_000;
    let parens = format!("{}1{}", "(".repeat(depth), ")".repeat(depth));
    let dicts = format!("{}1{}", "{\"k\": ".repeat(depth), "}".repeat(depth));
    let lists = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    for deep in [parens, dicts, lists] {
        let stmt =
            |pool: &str| format!("e = create_engine(\"sqlite:///x.db\", {pool}, echo={deep})\n");
        // Unclosed, too: the parser's error recovery on deep input.
        let broken = format!(
            "e = create_engine(\"sqlite:///x.db\", echo={})\n",
            &deep[..deep.len() / 2]
        );
        for (b, o, t) in [
            (
                stmt("poolclass=NullPool"),
                stmt(PINNED),
                stmt("poolclass=NullPool") + "x = 1\n",
            ),
            (broken.clone(), stmt(PINNED), broken.clone() + "x = 1\n"),
        ] {
            // Run on a thread with a small stack: recursion on the input's depth would
            // overflow it.
            let handle = std::thread::Builder::new()
                .stack_size(256 * 1024)
                .spawn(move || {
                    let (out, git) = merge_with(&b, &o, &t, Limits::default());
                    if let Mode::Plain(_) = out.mode {
                        assert_eq!(out.content, git.content);
                    }
                    out.conflicts
                })
                .unwrap();
            handle.join().expect("no panic, no overflow");
        }
    }
}

#[test]
fn deeply_nested_blocks_are_parsed_only_where_the_parser_is_safe() {
    // tree-sitter-python aborts the process past about 380 indentation levels: such
    // code is never parsed, and git's merge is the answer; shallower code merges.
    for (depth, merges) in [(250, true), (2_000, false)] {
        let mut src = String::from("from sqlalchemy.pool import NullPool\n");
        for i in 0..depth {
            src += &format!("{}if c{i}:\n", " ".repeat(i));
        }
        let body = |pool: &str| {
            format!(
                "{}e = create_engine(\"sqlite:///x.db\", {pool})\n",
                " ".repeat(depth)
            )
        };
        let (b, o, t) = (
            src.clone() + &body("poolclass=NullPool"),
            src.clone() + &body(PINNED),
            src.clone() + &body("poolclass=NullPool") + "x = 1\n",
        );
        let handle = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(move || merge_with(&b, &o, &t, Limits::default()))
            .unwrap();
        let (out, git) = handle.join().expect("no panic, no overflow");
        if merges {
            assert_eq!(out.mode, Mode::Regions, "{depth} levels");
        } else {
            assert_fell_back(&out, &git, "indented by more than 300 columns");
        }
    }
}
