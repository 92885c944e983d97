use super::parse::widest_indent;
use super::*;
use regex::Regex;
use tree_sitter::{Query, QueryCursor, StreamingIterator};

fn capture_index(query: &Query, name: &str) -> u32 {
    query
        .capture_names()
        .iter()
        .position(|n| *n == name)
        .map_or(u32::MAX, |i| i as u32)
}

/// The query's matches on a whole tree: (call starts, import starts).
fn by_query(src: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let query = Query::new(&LANGUAGE, POOL_CODE_SCM).unwrap();
    let tree = parse(src).unwrap();
    let (callee, call, module, import) = (
        capture_index(&query, "callee"),
        capture_index(&query, "call"),
        capture_index(&query, "module"),
        capture_index(&query, "import"),
    );
    let (mut calls, mut imports) = (Vec::new(), Vec::new());
    let mut cursor = QueryCursor::new();
    let mut matches = cursor.matches(&query, tree.root_node(), src);
    while let Some(m) = matches.next() {
        let get = |i| m.captures().iter().find(|c| c.index == i).map(|c| c.node);
        if let (Some(name), Some(c)) = (get(callee), get(call))
            && node_text(name, src) == TARGETS.call.as_bytes()
        {
            calls.push(c.start_byte());
        }
        if let (Some(name), Some(i)) = (get(module), get(import))
            && Some(tokens(name, src, &[]).replace(' ', "").as_str()) == TARGETS.import_module
        {
            imports.push(i.start_byte());
        }
    }
    calls.sort();
    calls.dedup();
    imports.sort();
    (calls, imports)
}

/// The fast path's findings on a whole tree.
fn by_walk(src: &[u8]) -> (Vec<usize>, Vec<usize>) {
    let tree = parse(src).unwrap();
    let root = tree.root_node();
    let mut calls: Vec<usize> = pool_calls(root, &find_all(src, TARGETS.call), TARGETS.call)
        .iter()
        .map(tree_sitter::Node::start_byte)
        .collect();
    calls.sort();
    calls.dedup();
    let mut imports: Vec<usize> = pool_imports(
        root,
        src,
        &find_all(src, "sqlalchemy"),
        TARGETS.import_module.unwrap(),
    )
    .iter()
    .map(tree_sitter::Node::start_byte)
    .collect();
    imports.sort();
    (calls, imports)
}

#[test]
fn the_fast_path_finds_what_the_query_defines() {
    let sources = fixture_sources(&[
        b"e = create_engine(U)\nf = sa.create_engine(U)\ng = a.b.create_engine()\nh = create_engine\ni = x.create_engine.y(U)\n",
        b"# create_engine(U)\ns = \"create_engine(U)\"\nmy_create_engine(U)\ncreate_engine_x(U)\n(create_engine)(U)\ncreate_engine(x for x in y)\n",
        b"from sqlalchemy.pool import A\nfrom sqlalchemy . pool import B\nfrom sqlalchemy import pool\nimport sqlalchemy.pool\nfrom sqlalchemy.pool.x import C\nfrom x.sqlalchemy.pool import D\n",
        b"def f():\n    return create_engine(create_engine(U))\nclass A:\n    from sqlalchemy.pool import NullPool\n",
    ]);
    assert!(sources.len() > 100);
    for src in &sources {
        assert_eq!(
            by_walk(src),
            by_query(src),
            "{}",
            String::from_utf8_lossy(src)
        );
    }
}

/// The sources of the fast-path tests: tricky ones, then every fixture.
fn fixture_sources(extra: &[&[u8]]) -> Vec<Vec<u8>> {
    let mut sources: Vec<Vec<u8>> = extra.iter().map(|s| s.to_vec()).collect();
    let cases = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/cases");
    for dir in std::fs::read_dir(cases).unwrap() {
        for name in ["base.py", "ours.py", "theirs.py", "expected.py"] {
            if let Ok(t) = std::fs::read(dir.as_ref().unwrap().path().join(name)) {
                sources.push(t);
            }
        }
    }
    sources
}

#[test]
fn scanning_hit_chunks_finds_what_a_whole_parse_finds() {
    let sources = fixture_sources(&[
        b"x = (create_engine  # a comment\n    (U))\ny = create_engine \\\n  (U)\n",
        b"from sqlalchemy \\\n  . pool import A\nfrom sqlalchemy.pool import(B)\nfrom sqlalchemy.poolx import C\n",
        b"from sqlalchemy import create_engine\nif U:\n    e = create_engine(U, poolclass=NullPool)\n",
        b"e = create_engine\t(U)\nf = create_engine\x0c(U)\n\xc3\xa9create_engine(U)\n",
    ]);
    let summary = |s: &Scan| {
        let statements: Vec<_> = s
            .statements
            .iter()
            .map(|st| {
                (
                    st.range.clone(),
                    st.norm.clone(),
                    st.scope.clone(),
                    st.calls.len(),
                )
            })
            .collect();
        let imports: Vec<_> = s.imports.iter().map(|i| i.range.clone()).collect();
        (statements, imports)
    };
    for src in &sources {
        let whole = scan_tree(&parse(src).unwrap(), src, &TARGETS);
        assert_eq!(
            summary(&scan(src, &TARGETS).unwrap()),
            summary(&whole),
            "{}",
            String::from_utf8_lossy(src)
        );
    }
}

#[test]
fn the_hit_filters_keep_calls_and_pool_modules() {
    let call = |src: &[u8]| {
        may_call(
            src,
            memchr::memmem::find(src, b"create_engine").unwrap(),
            13,
        )
    };
    assert!(call(b"create_engine(U)"));
    assert!(call(b"create_engine \\\n (U)"));
    assert!(call(b"(create_engine # c\n (U))"));
    assert!(!call(b"from sqlalchemy import create_engine\n"));
    assert!(!call(b"my_create_engine(U)"));
    assert!(!call(b"create_engine"));
    let module = |src: &[u8]| {
        may_name_module(
            src,
            memchr::memmem::find(src, b"sqlalchemy").unwrap(),
            "sqlalchemy.pool",
        )
    };
    assert!(module(b"from sqlalchemy.pool import A"));
    assert!(module(b"from sqlalchemy \\\n. pool import A"));
    assert!(module(b"x = sqlalchemy.pool"));
    assert!(!module(b"from sqlalchemy import pool"));
    assert!(!module(b"from sqlalchemy.poolx import A"));
    assert!(!module(b"from my_sqlalchemy.pool import A"));
}

/// The walk `tokens` did before it went through `Leaves`: the reference.
fn tokens_by_walk(node: Node, text: &[u8], holes: &[Range<usize>]) -> String {
    let mut toks: Vec<&[u8]> = Vec::new();
    let mut cursor = node.walk();
    let mut descend = true;
    loop {
        let n = cursor.node();
        if descend {
            let range = n.start_byte()..n.end_byte();
            let kind = n.kind();
            let atomic = if holes.contains(&range) {
                toks.push(b"<>");
                true
            } else if matches!(kind, "comment" | "line_continuation") {
                true
            } else if kind == "string" || n.child_count() == 0 {
                toks.push(node_text(n, text));
                true
            } else {
                false
            };
            if !atomic && cursor.goto_first_child() {
                continue;
            }
        }
        if n.id() == node.id() {
            break;
        }
        if cursor.goto_next_sibling() {
            descend = true;
            continue;
        }
        if !cursor.goto_parent() {
            break;
        }
        descend = false;
        if cursor.node().id() == node.id() {
            break;
        }
    }
    let mut out = String::new();
    for (i, tok) in toks.iter().enumerate() {
        if *tok == b"," && matches!(toks.get(i + 1), Some(&b")" | &b"]" | &b"}")) {
            continue;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&String::from_utf8_lossy(tok));
    }
    out
}

#[test]
fn tokens_from_leaves_equal_a_walk_of_each_node() {
    let sources = fixture_sources(&[
        b"e = create_engine(U, a=(1, 2,), b={'k': [x,]}, # c\n  d=f'{x}' 'y')\n",
        b"e = create_engine(U,\n",
        b"x = f(a, \\\n b)[1:2]\n",
    ]);
    let mut nodes = 0;
    for src in &sources {
        let tree = parse(src).unwrap();
        let mut stack = vec![tree.root_node()];
        let mut holes = Vec::new();
        let mut all = Vec::new();
        while let Some(n) = stack.pop() {
            if n.kind() == "argument_list" {
                holes.push(n.start_byte()..n.end_byte());
            }
            all.push(n);
            let mut c = n.walk();
            stack.extend(n.children(&mut c));
        }
        let statements: Vec<Node> = all
            .iter()
            .copied()
            .filter(|n| n.kind().ends_with("statement"))
            .collect();
        for stmt in statements {
            let leaves = Leaves::of(stmt, src);
            for &n in all
                .iter()
                .filter(|n| n.start_byte() >= stmt.start_byte() && n.end_byte() <= stmt.end_byte())
            {
                let chain = ancestors(tree.root_node(), n);
                let inside = chain.iter().any(|a| a.id() == stmt.id()) || n.id() == stmt.id();
                // Strings are single tokens: nothing inside one is ever rendered.
                if !inside || chain.iter().any(|a| a.kind() == "string") {
                    continue;
                }
                nodes += 1;
                assert_eq!(leaves.render(n, &[]), tokens_by_walk(n, src, &[]));
                assert_eq!(leaves.render(n, &holes), tokens_by_walk(n, src, &holes));
            }
        }
    }
    assert!(nodes > 10_000, "{nodes}");
}

#[test]
fn indentation_is_measured_as_the_scanner_counts_it() {
    assert_eq!(widest_indent(b"a\n    b\n\tc\n"), 8);
    assert_eq!(widest_indent(b"x = 1 \\\n   \\\r\n  y\n"), 6);
    assert_eq!(widest_indent(b"  a  \r  b\n"), 2);
    let deep: String = (0..400)
        .map(|i| format!("{}if a:\n", " ".repeat(i)))
        .collect();
    assert_eq!(widest_indent(deep.as_bytes()), 399);
    assert!(parse(deep.as_bytes()).is_none(), "too deep to parse safely");
    assert!(parse(&deep.as_bytes()[..deep.len() / 2]).is_some());
}

const TARGETS: Targets = Targets {
    aliases: &[],
    call: "create_engine",
    import_module: Some("sqlalchemy.pool"),
    evidence: "sqlite",
};

#[test]
fn aliases_come_from_imports_only() {
    let text = b"from sqlalchemy import (\n    create_engine as make_engine,\n    text,\n)\nfrom sqlalchemy import create_engine  as  mk\n\"\"\"Use create_engine as the factory.\"\"\"\nx = create_engine as y\n";
    assert_eq!(call_aliases(text, "create_engine"), ["make_engine", "mk"]);
    let scan = scan(
        b"from sqlalchemy import create_engine as make_engine\ne = make_engine(\"sqlite://\")\n",
        &TARGETS,
    )
    .unwrap();
    assert_eq!(scan.statements.len(), 1);
}

#[test]
fn queries_compile_and_name_real_node_kinds_and_fields() {
    let kind = Regex::new(r"\(([a-z_]+)").unwrap();
    let field = Regex::new(r"([a-z_]+):").unwrap();
    for src in [POOL_CODE_SCM] {
        Query::new(&LANGUAGE, src).expect("query compiles");
        let code: String = src
            .lines()
            .filter(|l| !l.trim_start().starts_with(';'))
            .collect::<Vec<_>>()
            .join("\n");
        for c in kind.captures_iter(&code) {
            assert_ne!(
                LANGUAGE.id_for_node_kind(&c[1], true),
                0,
                "node kind {}",
                &c[1]
            );
        }
        for c in field.captures_iter(&code) {
            assert!(
                LANGUAGE.field_id_for_name(&c[1]).is_some(),
                "field {}",
                &c[1]
            );
        }
    }
}

#[test]
fn tells_the_sqlite_branch_from_the_other_one() {
    let branches = |src: &str| -> Vec<(bool, bool)> {
        scan(src.as_bytes(), &TARGETS)
            .unwrap()
            .statements
            .iter()
            .map(|s| (s.calls[0].guarded, s.calls[0].server_branch))
            .collect()
    };
    let (sqlite, other, none) = ((true, false), (false, true), (false, false));
    assert_eq!(
        branches(
            "if URL and \"sqlite\" in URL:\n    a = create_engine(URL)\nelse:\n    b = create_engine(URL)\nc = create_engine(URL)\n"
        ),
        // The else of `URL and sqlite` holds an empty URL as well as a server one:
        // nothing is known there.
        vec![sqlite, none, none]
    );
    assert_eq!(
        branches(
            "if not URL.startswith(\"sqlite\"):\n    a = create_engine(URL)\nelse:\n    b = create_engine(URL)\n"
        ),
        vec![other, sqlite]
    );
    assert_eq!(
        branches(
            "if \"sqlite\" not in URL:\n    a = create_engine(URL)\nelif x:\n    b = create_engine(URL)\nelse:\n    c = create_engine(URL)\n"
        ),
        vec![other, sqlite, sqlite]
    );
    assert_eq!(
        branches(
            "if url is not None and \"sqlite\" in url:\n    a = create_engine(url)\nelif \"postgres\" in url:\n    b = create_engine(url)\n"
        ),
        vec![sqlite, other]
    );
}

#[test]
fn finds_engine_statements_with_scope_target_and_guard() {
    let src = b"from sqlalchemy.pool import NullPool as NP, QueuePool\n\
if \"sqlite\" in URL:\n    # one\n    # two\n    e = create_engine(URL, poolclass=NP, connect_args={'check_same_thread': False})\n\
else:\n    e = sa.create_engine(URL, pool_size=5)\n\
class A:\n    def f(self):\n        return create_engine(\"sqlite:///x\")\n";
    let scan = scan(src, &TARGETS).unwrap();
    assert_eq!(scan.statements.len(), 3);
    let s = &scan.statements[0];
    assert_eq!(s.target, "e");
    assert!(s.calls[0].guarded);
    assert_eq!(&src[s.comments_start..s.comments_start + 9], b"    # one");
    let keys: Vec<_> = s.calls[0]
        .args
        .items
        .iter()
        .map(|i| i.key.clone())
        .collect();
    assert_eq!(
        keys,
        vec![
            ItemKey::Positional(0),
            ItemKey::Keyword("poolclass".into()),
            ItemKey::Keyword("connect_args".into())
        ]
    );
    let dict = s.calls[0].args.items[2].dict.as_ref().unwrap();
    assert_eq!(
        dict.items[0].key,
        ItemKey::Entry("check_same_thread".into())
    );
    assert!(!scan.statements[1].calls[0].guarded);
    let r = &scan.statements[2];
    assert_eq!((r.scope.as_str(), r.target.as_str()), ("A.f", "return"));
    assert!(r.calls[0].args.items[0].evidence_literal);
    assert_eq!(scan.imports.len(), 1);
    assert_eq!(scan.imports[0].names[0].alias.as_deref(), Some("NP"));
}

#[test]
fn tokens_ignore_layout_comments_and_trailing_commas() {
    let a = b"f(\n    a,  # c\n    b={'x': 1,},\n)\n";
    let b = b"f(a, b={'x': 1})\n";
    let ta = parse(a).unwrap();
    let tb = parse(b).unwrap();
    assert_eq!(
        tokens(ta.root_node(), a, &[]),
        tokens(tb.root_node(), b, &[])
    );
}

#[test]
fn a_module_compiles_only_without_what_cpython_rejects() {
    assert!(compiles(b"x = 1\nif x:\n    y = 2\n"));
    assert!(compiles(b"x = 1; y = 2\n"), "two statements on one line");
    assert!(
        !compiles(b"x = 1\n\n    y = 2\n"),
        "an unexpected indent at the top level, which tree-sitter lets through"
    );
    assert!(!compiles(b"def f():\n    # only a comment\n"));
    assert!(!compiles(b"f(a=1, a=2)\n"));
}
