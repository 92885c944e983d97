//! Argument lists and dictionaries as data: items with their keys, ranges and tokens
//! (layout and comments left out, so texts that differ only in layout compare equal).

use super::*;

/// A container (argument list or dictionary) and its items; `leaves` are those of
/// an enclosing node. An argument list's dictionary values become containers too
/// (`connect_args`); a dictionary's own values do not, so nesting never recurses
/// deeper than that, however deep the input nests.
pub(super) fn container(node: Node, leaves: &Leaves) -> Container {
    container_at(node, leaves, node.kind() == "argument_list")
}

pub(super) fn container_at(node: Node, leaves: &Leaves, with_dicts: bool) -> Container {
    let text = leaves.text;
    let mut items: Vec<Item> = Vec::new();
    let mut has_comments = false;
    let mut positional = 0;
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        let kind = child.kind();
        let range = child.start_byte()..child.end_byte();
        match kind {
            "comment" => has_comments = true,
            "," => {
                if let Some(last) = items.last_mut()
                    && last.comma_end.is_none()
                {
                    last.comma_end = Some(range.end);
                }
            }
            "(" | ")" | "{" | "}" | "line_continuation" => {}
            "keyword_argument" | "pair" => {
                let name = if kind == "pair" {
                    FIELDS.key
                } else {
                    FIELDS.name
                };
                let (Some(name), Some(value)) = (field(child, name), field(child, FIELDS.value))
                else {
                    continue;
                };
                let key = if kind == "pair" {
                    ItemKey::Entry(dict_key(name, leaves))
                } else {
                    ItemKey::Keyword(String::from_utf8_lossy(node_text(name, text)).into_owned())
                };
                items.push(item(key, range, value, leaves, with_dicts));
            }
            "dictionary_splat" => {
                let key = ItemKey::Splat(leaves.render(child, &[]));
                items.push(item(key, range, child, leaves, with_dicts));
            }
            _ => {
                let key = ItemKey::Positional(positional);
                positional += 1;
                items.push(item(key, range, child, leaves, with_dicts));
            }
        }
    }
    Container {
        range: node.start_byte()..node.end_byte(),
        items,
        has_comments,
    }
}

pub(super) fn item(
    key: ItemKey,
    range: Range<usize>,
    value: Node,
    leaves: &Leaves,
    with_dict: bool,
) -> Item {
    // A call's URL (its first argument or `url=`): the scheme its static start names.
    let is_url = with_dict
        && !leaves.evidence.is_empty()
        && (key == ItemKey::Positional(0) || matches!(&key, ItemKey::Keyword(k) if k == "url"));
    let scheme = if is_url {
        kind::url_scheme(value, leaves.text)
    } else {
        kind::Scheme::Unknown
    };
    Item {
        range,
        key,
        value: value.start_byte()..value.end_byte(),
        norm: leaves.render(value, &[]),
        comma_end: None,
        dict: (with_dict && value.kind() == "dictionary")
            .then(|| Box::new(container_at(value, leaves, false))),
        evidence_literal: scheme == kind::Scheme::Sqlite,
        server_url: scheme == kind::Scheme::Server,
    }
}

/// The content of a plain string literal (no interpolation, not bytes, no escapes
/// needed to read the start), or of the first part of an implicit concatenation.
pub(super) fn string_literal<'a>(node: Node, text: &'a [u8]) -> Option<&'a [u8]> {
    let node = match node.kind() {
        "string" => node,
        "concatenated_string" => {
            let mut cursor = node.walk();
            let parts: Vec<Node> = node.named_children(&mut cursor).collect();
            if parts.iter().any(|p| has_interpolation(*p)) {
                return None;
            }
            *parts.first()?
        }
        _ => return None,
    };
    if has_interpolation(node) {
        return None;
    }
    let mut cursor = node.walk();
    let mut start = None;
    let mut content = None;
    for child in node.children(&mut cursor) {
        match child.kind() {
            "string_start" => start = Some(node_text(child, text)),
            "string_content" if content.is_none() => content = Some(node_text(child, text)),
            _ => {}
        }
    }
    let prefix = start?;
    if prefix.iter().any(|b| matches!(b, b'b' | b'B')) {
        return None;
    }
    Some(content.unwrap_or(b""))
}

pub(super) fn has_interpolation(node: Node) -> bool {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .any(|c| c.kind() == "interpolation")
}

/// A dictionary key: the content of a plain string key, else its tokens.
pub(super) fn dict_key(node: Node, leaves: &Leaves) -> String {
    match string_literal(node, leaves.text) {
        Some(s) if node.kind() == "string" && !s.contains(&b'\\') => {
            String::from_utf8_lossy(s).into_owned()
        }
        _ => format!("\u{0}{}", leaves.render(node, &[])),
    }
}

pub(super) fn pool_import(root: Node, node: Node, text: &[u8]) -> PoolImport {
    let mut names = Vec::new();
    let mut parenthesized = false;
    let mut names_start = None;
    let mut cursor = node.walk();
    for (i, child) in node.children(&mut cursor).enumerate() {
        let is_name = node.field_name_for_child(i as u32) == Some("name")
            || matches!(child.kind(), "(" | "wildcard_import");
        if is_name && names_start.is_none() {
            names_start = Some(child.start_byte());
        }
        match child.kind() {
            "(" => parenthesized = true,
            "wildcard_import" => names.push(ImportedName {
                name: "*".into(),
                alias: None,
            }),
            "dotted_name" | "aliased_import"
                if node.field_name_for_child(i as u32) == Some("name") =>
            {
                let (name, alias) = if child.kind() == "aliased_import" {
                    (field(child, FIELDS.name), field(child, FIELDS.alias))
                } else {
                    (Some(child), None)
                };
                if let Some(name) = name {
                    names.push(ImportedName {
                        name: tokens(name, text, &[]).replace(' ', ""),
                        alias: alias.map(|a| String::from_utf8_lossy(node_text(a, text)).into()),
                    });
                }
            }
            _ => {}
        }
    }
    PoolImport {
        range: node.start_byte()..node.end_byte(),
        scope: scope_of(&ancestors(root, node), text),
        names,
        parenthesized,
        names_start: names_start.unwrap_or(node.end_byte()),
        has_error: node.has_error(),
    }
}

/// The node's tokens joined by single spaces: comments, line continuations and
/// trailing commas before a closing bracket are left out, strings are single tokens,
/// and each range in `holes` becomes the token `<>`. Two texts with the same tokens
/// differ only in layout.
pub fn tokens(node: Node, text: &[u8], holes: &[Range<usize>]) -> String {
    Leaves::of(node, text).render(node, holes)
}

/// The tokens of a node, in order, found in one walk: the tokens of any node inside
/// it are then a slice, so that a statement's norm, skeleton and every argument's
/// norm cost one walk of the statement between them.
pub(super) struct Leaves<'a> {
    text: &'a [u8],
    /// Each token's bytes, in order (a zero-length one for a MISSING node).
    ranges: Vec<Range<usize>>,
    /// The nodes of the zero-length tokens, which a byte range cannot place.
    empty: Vec<usize>,
    /// The evidence word for literals ([`super::Targets::evidence`]).
    pub(super) evidence: &'a [u8],
}

impl<'a> Leaves<'a> {
    pub(super) fn of(node: Node, text: &'a [u8]) -> Leaves<'a> {
        let mut ranges = Vec::new();
        let mut empty = Vec::new();
        let mut cursor = node.walk();
        let mut descend = true;
        loop {
            let n = cursor.node();
            if descend {
                let kind = n.kind();
                let atomic = if matches!(kind, "comment" | "line_continuation") {
                    true
                } else if kind == "string" || n.child_count() == 0 {
                    if n.start_byte() == n.end_byte() {
                        empty.push(n.id());
                    }
                    ranges.push(n.start_byte()..n.end_byte());
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
        Leaves {
            text,
            ranges,
            empty,
            evidence: b"",
        }
    }

    /// The tokens of `node` (inside the walked one) joined as [`tokens`] joins them.
    pub(super) fn render(&self, node: Node, holes: &[Range<usize>]) -> String {
        let (start, end) = (node.start_byte(), node.end_byte());
        // Only holes inside the node: a hole is a node, replaced when the walk meets it.
        let holes: Vec<Range<usize>> = holes
            .iter()
            .filter(|h| start <= h.start && h.end <= end)
            .cloned()
            .collect();
        if !self.empty.is_empty() {
            // A zero-length token at a node's edge may or may not be the node's own:
            // walk the node itself.
            let own = Leaves::of(node, self.text);
            return own.render_slice(&own.ranges, &holes);
        }
        let first = self.ranges.partition_point(|r| r.start < start);
        let last = self.ranges.partition_point(|r| r.end <= end);
        self.render_slice(&self.ranges[first..last.max(first)], &holes)
    }

    fn render_slice(&self, ranges: &[Range<usize>], holes: &[Range<usize>]) -> String {
        let mut toks: Vec<&[u8]> = Vec::with_capacity(ranges.len());
        let mut in_hole: Option<&Range<usize>> = None;
        for r in ranges {
            if let Some(h) = in_hole {
                if r.start < h.end {
                    continue;
                }
                in_hole = None;
            }
            if let Some(h) = holes.iter().find(|h| h.start <= r.start && r.start < h.end) {
                toks.push(b"<>");
                in_hole = Some(h);
                continue;
            }
            toks.push(&self.text[r.clone()]);
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
}
