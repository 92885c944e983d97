//! Engine statements and pool imports found by walking up from each hit: scope,
//! target, the branch of a test for the evidence word, the comment run above.

use super::*;

/// The call nodes whose callee is the name `call` (a plain name or an attribute's
/// last name) and that have an argument list, found from the name's occurrences
/// `hits`.
pub(super) fn pool_calls<'t>(root: Node<'t>, hits: &[usize], call: &str) -> Vec<Node<'t>> {
    let mut calls = Vec::new();
    let len = call.len();
    for &hit in hits {
        let Some(name) = root.descendant_for_byte_range(hit, hit + len) else {
            continue;
        };
        if name.kind() != "identifier" || name.start_byte() != hit || name.end_byte() != hit + len {
            continue;
        }
        let chain = ancestors(root, name);
        let Some(&parent) = chain.last().filter(|_| chain.len() > 1) else {
            continue;
        };
        let (callee, candidate) = match parent.kind() {
            "call" => (name, Some(parent)),
            "attribute" if field(parent, FIELDS.attribute) == Some(name) => {
                (parent, chain.len().checked_sub(2).map(|i| chain[i]))
            }
            _ => continue,
        };
        let Some(c) = candidate.filter(|c| c.kind() == "call") else {
            continue;
        };
        let has_args = field(c, FIELDS.arguments).is_some_and(|a| a.kind() == "argument_list");
        if field(c, FIELDS.function) == Some(callee) && has_args {
            calls.push(c);
        }
    }
    calls
}

/// The `from <module> import ...` statements of `module`, found from its first name's
/// occurrences `hits`.
pub(super) fn pool_imports<'t>(
    root: Node<'t>,
    text: &[u8],
    hits: &[usize],
    module: &str,
) -> Vec<Node<'t>> {
    let first = module_package(module);
    let mut out: Vec<Node> = Vec::new();
    for &hit in hits {
        let Some(name) = root.descendant_for_byte_range(hit, hit + first.len()) else {
            continue;
        };
        if name.kind() != "identifier" || name.start_byte() != hit {
            continue;
        }
        let chain = ancestors(root, name);
        let n = chain.len();
        if n < 3 {
            continue;
        }
        let (stmt, dotted) = (chain[n - 2], chain[n - 1]);
        if dotted.kind() != "dotted_name"
            || dotted.start_byte() != hit
            || stmt.kind() != "import_from_statement"
        {
            continue;
        }
        if field(stmt, FIELDS.module_name) == Some(dotted)
            && tokens(dotted, text, &[]).replace(' ', "") == module
            && !out.iter().any(|o| o.id() == stmt.id())
        {
            out.push(stmt);
        }
    }
    out
}

/// Extracts engine statements and pool imports from a parsed tree.
pub fn scan_tree(tree: &Tree, text: &[u8], targets: &Targets) -> Scan {
    let hits = call_hits(text, targets);
    let modules = targets
        .import_module
        .map_or_else(Vec::new, |m| find_all(text, module_package(m)));
    scan_hits(tree, text, targets, &hits, &modules)
}

/// Extracts engine statements and pool imports from a parsed tree, from the
/// occurrences of each name of the call and of the pool module's first name.
pub(super) fn scan_hits(
    tree: &Tree,
    text: &[u8],
    targets: &Targets,
    call_hits: &[(String, Vec<usize>)],
    module_hits: &[usize],
) -> Scan {
    let root = tree.root_node();
    let mut scan = Scan::default();
    if root.has_error() {
        scan.errors = error_ranges(root);
    }
    let mut calls: Vec<Node> = call_hits
        .iter()
        .flat_map(|(name, hits)| pool_calls(root, hits, name))
        .collect();
    calls.sort_by_key(|n| (n.start_byte(), std::cmp::Reverse(n.end_byte())));
    calls.dedup_by_key(|n| n.id());
    // Only outermost engine calls: one nested in another's arguments belongs to it.
    let mut outer: Vec<Node> = Vec::new();
    for call in calls {
        if outer
            .last()
            .is_some_and(|o| o.end_byte() >= call.end_byte())
        {
            continue;
        }
        outer.push(call);
    }
    // The statements: their ancestors (the statement last) and their calls, each
    // with whether a `sqlite` condition guards it.
    struct Group<'t> {
        chain: Vec<Node<'t>>,
        calls: Vec<(Node<'t>, Branch)>,
    }
    let mut grouped: Vec<Group> = Vec::new();
    for call in outer {
        let chain = ancestors(root, call);
        let Some(at) = enclosing_statement(&chain) else {
            continue;
        };
        let guarded = evidence_branch(&chain, call, text, targets.evidence.as_bytes());
        let mut chain = chain;
        chain.truncate(at + 1);
        match grouped.last_mut() {
            Some(g) if g.chain[g.chain.len() - 1].id() == chain[at].id() => {
                g.calls.push((call, guarded));
            }
            _ => grouped.push(Group {
                chain,
                calls: vec![(call, guarded)],
            }),
        }
    }
    for g in grouped {
        scan.statements.push(engine_statement(
            root,
            &g.chain,
            &g.calls,
            text,
            targets.evidence,
        ));
    }
    if let Some(module) = targets.import_module {
        scan.imports = pool_imports(root, text, module_hits, module)
            .into_iter()
            .map(|n| pool_import(root, n, text))
            .collect();
    }
    scan.imports.sort_by_key(|i| i.range.start);
    scan
}

/// The bytes of a node.
pub(crate) fn node_text<'a>(node: Node, text: &'a [u8]) -> &'a [u8] {
    &text[node.start_byte()..node.end_byte()]
}

/// Ranges of ERROR and MISSING nodes, found by descending only into subtrees that
/// hold an error.
pub(super) fn error_ranges(root: Node) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut stack = vec![root];
    while let Some(node) = stack.pop() {
        if node.is_error() || node.is_missing() {
            out.push(node.start_byte()..node.end_byte());
            continue;
        }
        if !node.has_error() {
            continue;
        }
        let mut cursor = node.walk();
        for child in node.children(&mut cursor) {
            stack.push(child);
        }
    }
    out.sort_by_key(|r| r.start);
    out
}

/// Of `chain` (a call's ancestors, outermost first), the index of the innermost simple
/// statement, if any.
pub(super) fn enclosing_statement(chain: &[Node]) -> Option<usize> {
    for (i, n) in chain.iter().enumerate().rev() {
        let kind = n.kind();
        if SIMPLE_STATEMENTS.contains(&kind) {
            return Some(i);
        }
        if STATEMENT_BOUNDARIES.contains(&kind) {
            return None;
        }
    }
    None
}

/// The enclosing `def`/`class` names of the node whose ancestors are `chain`,
/// outermost first.
pub(super) fn scope_of(chain: &[Node], text: &[u8]) -> String {
    let names: Vec<String> = chain
        .iter()
        .filter(|n| matches!(n.kind(), "function_definition" | "class_definition"))
        .filter_map(|n| field(*n, FIELDS.name))
        .map(|name| String::from_utf8_lossy(node_text(name, text)).into_owned())
        .collect();
    names.join(".")
}

/// Which branch of a test for the evidence word ([`Targets::evidence`]) a call sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Branch {
    /// No enclosing `if` tests for the word.
    None,
    /// The branch taken when the test holds for the word.
    Evidence,
    /// The branch taken otherwise.
    Other,
}

/// The branch a call (`node`, whose ancestors are `chain`) sits in, from the path
/// condition around it ([`super::kind::branch_of`]); none where there is no evidence
/// word to test for.
pub(super) fn evidence_branch(chain: &[Node], node: Node, text: &[u8], word: &[u8]) -> Branch {
    if word.is_empty() {
        return Branch::None;
    }
    super::kind::branch_of(chain, node, text)
}

/// An engine statement; `chain` holds its ancestors and, last, the statement itself.
pub(super) fn engine_statement(
    root: Node,
    chain: &[Node],
    calls: &[(Node, Branch)],
    text: &[u8],
    evidence: &str,
) -> EngineStatement {
    let stmt = chain[chain.len() - 1];
    let mut leaves = Leaves::of(stmt, text);
    leaves.evidence = evidence.as_bytes();
    let holes: Vec<Range<usize>> = calls
        .iter()
        .filter_map(|(c, _)| field(*c, FIELDS.arguments))
        .map(|a| a.start_byte()..a.end_byte())
        .collect();
    let target = match stmt.kind() {
        "return_statement" => "return".to_string(),
        "expression_statement" => stmt
            .named_child(0)
            .filter(|c| matches!(c.kind(), "assignment" | "augmented_assignment"))
            .and_then(|c| field(c, FIELDS.left))
            .map(|l| leaves.render(l, &[]))
            .unwrap_or_default(),
        _ => String::new(),
    };
    let calls = calls
        .iter()
        .map(|&(call, branch)| {
            let args = container(
                field(call, FIELDS.arguments).expect("pool calls have an argument list"),
                &leaves,
            );
            // Named by its key or keyword; else, in a list or a tuple, by its first
            // argument (the URL).
            let named = call.parent().and_then(|p| {
                let (value, name) = match p.kind() {
                    "pair" => (field(p, FIELDS.value), field(p, FIELDS.key)),
                    "keyword_argument" => (field(p, FIELDS.value), field(p, FIELDS.name)),
                    _ => return None,
                };
                (value == Some(call)).then(|| name.map(|n| leaves.render(n, &[])))?
            });
            let slot = named.or_else(|| {
                args.items
                    .iter()
                    .find(|i| i.key == ItemKey::Positional(0))
                    .map(|i| format!("({})", i.norm))
            });
            Call {
                range: call.start_byte()..call.end_byte(),
                args,
                guarded: branch == Branch::Evidence,
                server_branch: branch == Branch::Other,
                slot,
            }
        })
        .collect();
    let line_start = line_start(text, stmt.start_byte());
    EngineStatement {
        range: stmt.start_byte()..stmt.end_byte(),
        comments_start: comment_run_start(root, text, line_start),
        scope: scope_of(&chain[..chain.len() - 1], text),
        target,
        skeleton: leaves.render(stmt, &holes),
        norm: leaves.render(stmt, &[]),
        calls,
        has_error: stmt.has_error(),
    }
}

/// Start of the line holding byte `pos`.
pub(crate) fn line_start(text: &[u8], pos: usize) -> usize {
    text[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Walks up from a statement's line over lines that hold only a `#` comment.
pub(super) fn comment_run_start(root: Node, text: &[u8], mut start: usize) -> usize {
    while start > 0 {
        let prev = line_start(text, start - 1);
        let line = &text[prev..start];
        let indent = line
            .iter()
            .take_while(|&&b| b == b' ' || b == b'\t')
            .count();
        if line.get(indent) != Some(&b'#') {
            break;
        }
        // Another pin's region, masked by an outer merge, is not a comment of this one.
        if line[indent..].starts_with(b"#@poolmerge-region") {
            break;
        }
        let pos = prev + indent;
        let is_comment = root
            .descendant_for_byte_range(pos, pos + 1)
            .is_some_and(|n| n.kind() == "comment");
        if !is_comment {
            break;
        }
        start = prev;
    }
    start
}
