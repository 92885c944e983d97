//! What a `**splat` in an engine call can pass: followed, where the file tells, to a
//! dictionary literal (written in place, or a name bound once, at the top level, to a
//! literal with string keys and never changed in place).

use super::*;

/// The keys `**expr` (`splat`: the item's tokens) can pass, or `None` where any key
/// could come (a name bound elsewhere, twice, changed in place, a call, ...). Reads
/// the whole file: callers ask only for calls that hold a splat.
pub(crate) fn splat_keys(text: &[u8], splat: &str) -> Option<Vec<String>> {
    let expr = splat.trim_start_matches('*').trim();
    if expr.starts_with('{') {
        let src = format!("x = {expr}\n");
        let tree = parse(src.as_bytes())?;
        let stmt = tree.root_node().named_child(0)?;
        let value = stmt.named_child(0)?.child_by_field_name("right")?;
        return dict_keys(value, src.as_bytes());
    }
    if expr.is_empty()
        || !expr.bytes().all(|b| b == b'_' || b.is_ascii_alphanumeric())
        || expr.as_bytes()[0].is_ascii_digit()
    {
        return None;
    }
    let name = expr.as_bytes();
    let tree = parse(text)?;
    let root = tree.root_node();
    let mut bound: Option<Node> = None;
    let mut bindings = 0;
    let mut stack = vec![root];
    let mut cursor = root.walk();
    while let Some(node) = stack.pop() {
        match node.kind() {
            "assignment" => {
                if let Some(left) = field(node, FIELDS.left) {
                    if node_text(left, text) == name {
                        bindings += 1;
                        let top = node
                            .parent()
                            .filter(|p| p.kind() == "expression_statement")
                            .and_then(|p| p.parent())
                            .is_some_and(|m| m.kind() == "module");
                        bound = field(node, FIELDS.right).filter(|_| top);
                    } else if mentions(left, text, name) {
                        // `NAME[...] = ...`, `a, NAME = ...`
                        return None;
                    }
                }
            }
            "augmented_assignment" | "global_statement" | "nonlocal_statement"
                if mentions(node, text, name) =>
            {
                return None;
            }
            "named_expression"
                if node
                    .child_by_field_name("name")
                    .is_some_and(|n| node_text(n, text) == name) =>
            {
                return None;
            }
            "for_statement" | "with_item" | "parameters" | "lambda_parameters" => {
                let target = match node.kind() {
                    "for_statement" => node.child_by_field_name("left"),
                    _ => Some(node),
                };
                if target.is_some_and(|t| mentions(t, text, name)) {
                    return None;
                }
            }
            "call" => {
                // `NAME.update(...)`, `NAME.setdefault(...)`, `NAME.pop(...)`
                if let Some(f) = field(node, FIELDS.function)
                    && f.kind() == "attribute"
                    && field(f, FIELDS.object).is_some_and(|o| node_text(o, text) == name)
                {
                    return None;
                }
            }
            _ => {}
        }
        stack.extend(node.named_children(&mut cursor));
    }
    if bindings != 1 {
        return None;
    }
    dict_keys(bound?, text)
}

/// Whether an identifier `name` occurs inside `node`.
fn mentions(node: Node, text: &[u8], name: &[u8]) -> bool {
    let mut stack = vec![node];
    let mut cursor = node.walk();
    while let Some(n) = stack.pop() {
        if n.kind() == "identifier" && node_text(n, text) == name {
            return true;
        }
        stack.extend(n.named_children(&mut cursor));
    }
    false
}

/// The keys of a dictionary literal whose keys are all plain strings.
fn dict_keys(node: Node, text: &[u8]) -> Option<Vec<String>> {
    if node.kind() != "dictionary" {
        return None;
    }
    let mut keys = Vec::new();
    let mut cursor = node.walk();
    for child in node.named_children(&mut cursor) {
        match child.kind() {
            "pair" => {
                let key = field(child, FIELDS.key)?;
                let s = string_literal(key, text).filter(|_| key.kind() == "string")?;
                keys.push(String::from_utf8_lossy(s).into_owned());
            }
            "comment" => {}
            _ => return None,
        }
    }
    Some(keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_a_splat_to_a_dict_literal_bound_once_at_the_top() {
        let keys = |src: &str, splat: &str| splat_keys(src.as_bytes(), splat);
        let ok = "OPTS = {\"echo\": True, 'future': True}\ne = create_engine(U, **OPTS)\n";
        assert_eq!(
            keys(ok, "** OPTS"),
            Some(vec!["echo".into(), "future".into()])
        );
        assert_eq!(
            keys("", "** { \"echo\" : True }"),
            Some(vec!["echo".into()])
        );
        for unknown in [
            "from settings import OPTS\n",
            "OPTS = dict(echo=True)\n",
            "OPTS = {\"echo\": True}\nOPTS = {}\n",
            "OPTS = {\"echo\": True}\nOPTS[\"poolclass\"] = NullPool\n",
            "OPTS = {\"echo\": True}\nOPTS.update(X)\n",
            "OPTS = {\"echo\": True}\nOPTS |= X\n",
            "OPTS = {\"echo\": True, **BASE}\n",
            "def f():\n    OPTS = {\"echo\": True}\n",
            "OPTS = {\"echo\": True}\ndef f(OPTS):\n    pass\n",
        ] {
            assert_eq!(keys(unknown, "** OPTS"), None, "{unknown}");
        }
        assert_eq!(keys("", "** get_opts ( )"), None);
    }
}
