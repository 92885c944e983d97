//! Configuration values checked as Python: identifiers, expressions and import
//! statements, with the same grammar the merge parses modules with.

/// Whether `s` is a Python identifier (ASCII letters, digits, underscores).
pub(crate) fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
        && !is_keyword(s)
}

fn is_keyword(s: &str) -> bool {
    matches!(
        s,
        "False"
            | "None"
            | "True"
            | "and"
            | "as"
            | "assert"
            | "async"
            | "await"
            | "break"
            | "class"
            | "continue"
            | "def"
            | "del"
            | "elif"
            | "else"
            | "except"
            | "finally"
            | "for"
            | "from"
            | "global"
            | "if"
            | "import"
            | "in"
            | "is"
            | "lambda"
            | "nonlocal"
            | "not"
            | "or"
            | "pass"
            | "raise"
            | "return"
            | "try"
            | "while"
            | "with"
            | "yield"
    )
}

/// Whether `source` is exactly one Python expression.
pub(crate) fn is_expression(source: &str) -> bool {
    let source = source.trim();
    if source.is_empty() || source.contains('\n') || source.contains('#') {
        return false;
    }
    let text = format!("{source}\n");
    let Some(tree) = crate::python::parse(text.as_bytes()) else {
        return false;
    };
    let root = tree.root_node();
    if root.has_error() || root.named_child_count() != 1 {
        return false;
    }
    let statement = root.named_child(0).expect("one child");
    statement.kind() == "expression_statement"
        && statement.named_child_count() == 1
        && statement
            .named_child(0)
            .is_some_and(|e| !matches!(e.kind(), "assignment" | "augmented_assignment" | "yield"))
}

/// `from MODULE import NAME[, NAME...]`: the module and the names.
pub(crate) fn parse_import(statement: &str) -> Option<(String, Vec<String>)> {
    let rest = statement.trim().strip_prefix("from ")?;
    let (module, names) = rest.split_once(" import ")?;
    let module = module.trim();
    if !module.split('.').all(is_identifier) {
        return None;
    }
    let names: Vec<String> = names.split(',').map(|n| n.trim().to_string()).collect();
    names
        .iter()
        .all(|n| is_identifier(n))
        .then(|| (module.to_string(), names))
}
