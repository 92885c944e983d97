//! What an engine is, as far as its own version's syntax tells: the scheme its URL
//! expression starts with however the string is built, and the path condition of the
//! branches around the call, evaluated three-valued (SQLite, not SQLite, unknown).
//!
//! A condition becomes a formula over one proposition, *the URL is SQLite* (`S`),
//! atoms that imply its negation (a test for a server scheme: `"postgres" in url`),
//! and atoms nothing is known of. The path to a call (the arms of the `if`/`elif`/
//! `else` chains, `match` cases and conditional expressions around it, and the `if`s
//! before it in the same block whose arms end in `return`/`raise`) is their
//! conjunction. The call sits
//! in a SQLite branch when the path cannot hold with `S` false, in a server branch when
//! it cannot hold with `S` true; otherwise (or where the formula grows too large to
//! decide by enumeration) nothing is known, and unknown is never evidence.

use super::*;

/// What a URL expression's static start says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scheme {
    /// Nothing (a variable, a setting, a string built from its first character).
    #[default]
    Unknown,
    /// It starts with `sqlite` (`sqlite://`, `sqlite+aiosqlite://`, ...).
    Sqlite,
    /// It names another scheme (`postgresql+psycopg2://`, `URL.create("mysql")`).
    Server,
}

/// Words naming a database other than SQLite, in a URL's scheme or a test of one.
const OTHER_DATABASES: &[&str] = &[
    "postgres",
    "postgresql",
    "psycopg",
    "asyncpg",
    "pg8000",
    "mysql",
    "mariadb",
    "pymysql",
    "aiomysql",
    "oracle",
    "mssql",
    "pyodbc",
    "pymssql",
    "cockroachdb",
    "redshift",
    "snowflake",
    "bigquery",
    "clickhouse",
    "trino",
    "presto",
    "db2",
    "ibm_db",
    "firebird",
    "sybase",
    "teradata",
    "duckdb",
    "databricks",
    "hana",
    "exasol",
    "vertica",
];

/// What a word names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Database {
    Sqlite,
    Other(&'static str),
    Neither,
}

/// Where a word must hold the database's name.
#[derive(Clone, Copy)]
enum Match {
    /// At its start (a URL, a scheme, a string tested for).
    Start,
    /// Anywhere (a flag's or a function's name: `USE_SQLITE`, `is_postgres`).
    Inside,
}

/// What `word` names, case aside.
fn database(word: &[u8], how: Match) -> Database {
    let lower = word.trim_ascii().to_ascii_lowercase();
    let holds = |name: &[u8]| match how {
        Match::Start => lower.starts_with(name),
        Match::Inside => memchr::memmem::find(&lower, name).is_some(),
    };
    if holds(b"sqlite") {
        Database::Sqlite
    } else if let Some(db) = OTHER_DATABASES.iter().find(|d| holds(d.as_bytes())) {
        Database::Other(db)
    } else {
        Database::Neither
    }
}

/// How deep the static-prefix walk follows nested expressions.
const PREFIX_DEPTH: usize = 8;

/// The scheme of a URL expression: a string literal, an f-string or a `.format`, `%`
/// or `+` built from one, `URL.create("sqlite", ...)`, `URL(...)`, `make_url(...)`.
pub(super) fn url_scheme(node: Node, text: &[u8]) -> Scheme {
    match static_prefix(node, text, PREFIX_DEPTH) {
        Some(prefix) => scheme_of(&prefix),
        None => Scheme::Unknown,
    }
}

/// The scheme a URL's static start names.
pub(crate) fn scheme_of(prefix: &[u8]) -> Scheme {
    let lower = prefix.trim_ascii_start().to_ascii_lowercase();
    if lower.starts_with(b"sqlite") {
        return Scheme::Sqlite;
    }
    let Some(at) = memchr::memmem::find(&lower, b"://") else {
        return Scheme::Unknown;
    };
    let scheme = &lower[..at];
    if !scheme.is_empty()
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'_' | b'-' | b'.'))
    {
        Scheme::Server
    } else {
        Scheme::Unknown
    }
}

/// The bytes an expression's string value certainly starts with, where it builds a
/// string from a literal start.
fn static_prefix(node: Node, text: &[u8], depth: usize) -> Option<Vec<u8>> {
    if depth == 0 {
        return None;
    }
    match node.kind() {
        "string" => string_prefix(node, text).map(|(p, _)| p),
        "concatenated_string" => {
            let mut out = Vec::new();
            let mut cursor = node.walk();
            for part in node.named_children(&mut cursor) {
                let (p, whole) = string_prefix(part, text)?;
                out.extend_from_slice(&p);
                if !whole {
                    break;
                }
            }
            Some(out)
        }
        "parenthesized_expression" => static_prefix(node.named_child(0)?, text, depth - 1),
        "binary_operator" => {
            let op = field(node, FIELDS.operator)?;
            if matches!(op.kind(), "+" | "%") {
                static_prefix(field(node, FIELDS.left)?, text, depth - 1)
            } else {
                None
            }
        }
        "call" => {
            let function = field(node, FIELDS.function)?;
            let args = field(node, FIELDS.arguments)?;
            let last = match function.kind() {
                "attribute" => field(function, FIELDS.attribute)?,
                "identifier" => function,
                _ => return None,
            };
            let name = node_text(last, text);
            if name == b"format" && function.kind() == "attribute" {
                let object = field(function, FIELDS.object)?;
                return static_prefix(object, text, depth - 1);
            }
            let is_url_create = name == b"create"
                && function.kind() == "attribute"
                && field(function, FIELDS.object)
                    .is_some_and(|o| node_text(o, text).ends_with(b"URL"));
            if is_url_create || name == b"URL" {
                // The driver name: the first argument or `drivername=`.
                let driver = argument(args, text, 0, b"drivername")?;
                let mut p = static_prefix(driver, text, depth - 1)?;
                if !p.is_empty() && !p.contains(&b':') && !p.contains(&b'{') {
                    p.extend_from_slice(b"://");
                }
                return Some(p);
            }
            if name == b"str" && function.kind() == "identifier" {
                return static_prefix(argument(args, text, 0, b"object")?, text, depth - 1);
            }
            if name == b"make_url" {
                return static_prefix(argument(args, text, 0, b"name_or_url")?, text, depth - 1);
            }
            None
        }
        _ => None,
    }
}

/// A call's positional argument `index`, or its keyword argument `keyword`.
fn argument<'t>(args: Node<'t>, text: &[u8], index: usize, keyword: &[u8]) -> Option<Node<'t>> {
    let mut cursor = args.walk();
    let mut positional = 0;
    for child in args.named_children(&mut cursor) {
        match child.kind() {
            "keyword_argument" => {
                if field(child, FIELDS.name).is_some_and(|n| node_text(n, text) == keyword) {
                    return field(child, FIELDS.value);
                }
            }
            "comment" | "list_splat" | "dictionary_splat" => {}
            _ => {
                if positional == index {
                    return Some(child);
                }
                positional += 1;
            }
        }
    }
    None
}

/// A string literal's static start (up to its first interpolation), and whether that
/// is all of it. Bytes literals are no URL.
fn string_prefix(node: Node, text: &[u8]) -> Option<(Vec<u8>, bool)> {
    if node.kind() != "string" {
        return None;
    }
    let mut out = Vec::new();
    let mut cursor = node.walk();
    for child in node.children(&mut cursor) {
        match child.kind() {
            "string_start" => {
                let start = node_text(child, text);
                if start.iter().any(|b| matches!(b, b'b' | b'B')) {
                    return None;
                }
            }
            "string_content" => out.extend_from_slice(node_text(child, text)),
            "interpolation" => return Some((out, false)),
            _ => {}
        }
    }
    Some((out, true))
}

/// A path condition, over `S` (the URL is SQLite) and atoms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Formula {
    /// A constant.
    Const(bool),
    /// The URL is SQLite.
    Sqlite,
    /// A test for another database, by index: true only where `S` is false.
    Other(usize),
    /// A test nothing is known of, by index.
    Atom(usize),
    /// Negation.
    Not(Box<Formula>),
    /// Conjunction.
    And(Box<Formula>, Box<Formula>),
    /// Disjunction.
    Or(Box<Formula>, Box<Formula>),
}

impl Formula {
    fn not(self) -> Formula {
        match self {
            Formula::Not(f) => *f,
            Formula::Const(b) => Formula::Const(!b),
            f => Formula::Not(Box::new(f)),
        }
    }

    fn and(self, other: Formula) -> Formula {
        Formula::And(Box::new(self), Box::new(other))
    }

    fn or(self, other: Formula) -> Formula {
        Formula::Or(Box::new(self), Box::new(other))
    }

    /// Whether it mentions `S` or a test for another database.
    fn relevant(&self) -> bool {
        match self {
            Formula::Sqlite | Formula::Other(_) => true,
            Formula::Const(_) | Formula::Atom(_) => false,
            Formula::Not(f) => f.relevant(),
            Formula::And(a, b) | Formula::Or(a, b) => a.relevant() || b.relevant(),
        }
    }

    fn eval(&self, s: bool, others: u32, atoms: u32) -> bool {
        match self {
            Formula::Const(b) => *b,
            Formula::Sqlite => s,
            Formula::Other(i) => others >> i & 1 == 1,
            Formula::Atom(i) => atoms >> i & 1 == 1,
            Formula::Not(f) => !f.eval(s, others, atoms),
            Formula::And(a, b) => a.eval(s, others, atoms) && b.eval(s, others, atoms),
            Formula::Or(a, b) => a.eval(s, others, atoms) || b.eval(s, others, atoms),
        }
    }
}

/// The most atoms of each sort a path may hold before it is left undecided.
const MAX_ATOMS: usize = 10;

/// Builds formulas for the conditions of one path, naming atoms by their tokens so
/// that the same test twice is one atom.
struct Conditions<'a> {
    text: &'a [u8],
    others: Vec<String>,
    atoms: Vec<String>,
}

impl<'a> Conditions<'a> {
    fn new(text: &'a [u8]) -> Self {
        Conditions {
            text,
            others: Vec::new(),
            atoms: Vec::new(),
        }
    }

    fn key(&self, node: Node) -> String {
        // The node's bytes without blanks: cheaper than its tokens, and as good a name
        // for a test (a comment inside a condition would only split one atom in two).
        let bytes: Vec<u8> = node_text(node, self.text)
            .iter()
            .copied()
            .filter(|b| !b.is_ascii_whitespace() && *b != b'\\')
            .collect();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn atom(&mut self, at: Node) -> Formula {
        let key = self.key(at);
        self.atom_named(key)
    }

    fn atom_named(&mut self, key: String) -> Formula {
        let i = match self.atoms.iter().position(|a| *a == key) {
            Some(i) => i,
            None => {
                self.atoms.push(key);
                self.atoms.len() - 1
            }
        };
        Formula::Atom(i)
    }

    fn other(&mut self, at: Node) -> Formula {
        let key = self.key(at);
        self.other_named(key)
    }

    fn other_named(&mut self, key: String) -> Formula {
        let i = match self.others.iter().position(|a| *a == key) {
            Some(i) => i,
            None => {
                self.others.push(key);
                self.others.len() - 1
            }
        };
        Formula::Other(i)
    }

    /// What a word tested for says: `sqlite...` is `S`, another database's name a test
    /// for it, anything else an atom.
    fn word(&mut self, word: &[u8], key: Node) -> Formula {
        self.database(database(word, Match::Start), key)
    }

    /// The formula of what a word names.
    fn database(&mut self, db: Database, key: Node) -> Formula {
        match db {
            Database::Sqlite => Formula::Sqlite,
            Database::Other(name) => self.other_named(name.to_string()),
            Database::Neither => self.atom(key),
        }
    }

    /// The words of a string literal, or of a tuple, list or set of them, combined:
    /// all SQLite is `S`, all other databases a test for them, else an atom.
    fn words(&mut self, node: Node, key: Node) -> Option<Formula> {
        let literal = |n: Node| -> Option<Vec<u8>> {
            match string_prefix(n, self.text)? {
                (p, true) => Some(p),
                _ => None,
            }
        };
        match node.kind() {
            "string" => {
                let w = literal(node)?;
                Some(self.word(&w, key))
            }
            "tuple" | "list" | "set" | "parenthesized_expression" => {
                let mut cursor = node.walk();
                let parts: Vec<Node> = node.named_children(&mut cursor).collect();
                if parts.is_empty() {
                    return None;
                }
                let mut words = Vec::new();
                for p in parts {
                    words.push(literal(p)?);
                }
                let dbs: Vec<Database> = words.iter().map(|w| database(w, Match::Start)).collect();
                if dbs.iter().all(|d| *d == Database::Sqlite) {
                    Some(Formula::Sqlite)
                } else if dbs.iter().all(|d| matches!(d, Database::Other(_))) {
                    Some(self.other(key))
                } else {
                    Some(self.atom(key))
                }
            }
            _ => None,
        }
    }

    /// The formula of a condition.
    fn of(&mut self, node: Node, depth: usize) -> Formula {
        let key = node;
        if depth == 0 {
            return self.atom(key);
        }
        match node.kind() {
            "true" => Formula::Const(true),
            "false" => Formula::Const(false),
            "parenthesized_expression" => match node.named_child(0) {
                Some(inner) => self.of(inner, depth - 1),
                None => self.atom(key),
            },
            "not_operator" => match field(node, FIELDS.argument) {
                Some(arg) => self.of(arg, depth - 1).not(),
                None => self.atom(key),
            },
            "boolean_operator" => {
                let (Some(left), Some(right), Some(op)) = (
                    field(node, FIELDS.left),
                    field(node, FIELDS.right),
                    field(node, FIELDS.operator),
                ) else {
                    return self.atom(key);
                };
                let (l, r) = (self.of(left, depth - 1), self.of(right, depth - 1));
                match op.kind() {
                    "and" => l.and(r),
                    "or" => l.or(r),
                    _ => self.atom(key),
                }
            }
            "comparison_operator" => self.comparison(node, key, depth),
            "call" => self.call(node, key),
            // A flag named for the database: `if USE_SQLITE:`, `settings.is_postgres`.
            "identifier" | "attribute" => self.of_name(node, key),
            _ => self.atom(key),
        }
    }

    /// When a `case` clause of a `match` runs, given that no earlier one did: its
    /// pattern (a string, an alternative of strings, a dotted name, `_` or a capture
    /// for anything) and its guard.
    fn case(&mut self, clause: Node) -> Formula {
        let key = clause;
        let mut cursor = clause.walk();
        let parts: Vec<Node> = clause.named_children(&mut cursor).collect();
        let patterns: Vec<Node> = parts
            .iter()
            .copied()
            .filter(|p| p.kind() == "case_pattern")
            .collect();
        let mut f = match patterns.as_slice() {
            [one] => self.pattern(*one, key),
            _ => self.atom(key),
        };
        if let Some(guard) = parts.iter().find(|p| p.kind() == "if_clause")
            && let Some(cond) = guard.named_child(0)
        {
            f = f.and(self.of(cond, 16));
        }
        f
    }

    fn pattern(&mut self, pattern: Node, key: Node) -> Formula {
        let Some(inner) = pattern.named_child(0) else {
            return Formula::Const(true); // `case _:`
        };
        match inner.kind() {
            "string" => self.words(inner, key).unwrap_or_else(|| self.atom(key)),
            "union_pattern" => {
                let mut cursor = inner.walk();
                let alternatives: Vec<Node> = inner.named_children(&mut cursor).collect();
                let mut f = Formula::Const(false);
                for a in alternatives {
                    let g = if a.kind() == "string" {
                        self.words(a, a).unwrap_or_else(|| self.atom(a))
                    } else {
                        self.atom(a)
                    };
                    f = f.or(g);
                }
                f
            }
            "dotted_name" if inner.named_child_count() == 1 => Formula::Const(true), // a capture
            "dotted_name" => self.of_name(inner, key),
            _ => self.atom(key),
        }
    }

    /// A name read as a flag or a constant for the database (`USE_SQLITE`,
    /// `Backend.POSTGRES`).
    fn of_name(&mut self, node: Node, key: Node) -> Formula {
        let name = node_text(node, self.text);
        let last = name.rsplit(|&b| b == b'.').next().unwrap_or(name);
        self.database(database(last, Match::Inside), key)
    }

    /// `x.startswith("sqlite")`, `is_sqlite(url)`; a `find` as a test is an atom.
    fn call(&mut self, node: Node, key: Node) -> Formula {
        let (Some(function), Some(args)) =
            (field(node, FIELDS.function), field(node, FIELDS.arguments))
        else {
            return self.atom(key);
        };
        let last = match function.kind() {
            "attribute" => field(function, FIELDS.attribute),
            "identifier" => Some(function),
            _ => None,
        };
        let Some(last) = last else {
            return self.atom(key);
        };
        let name = node_text(last, self.text).to_ascii_lowercase();
        if name == b"startswith" && function.kind() == "attribute" {
            if let Some(arg) = argument(args, self.text, 0, b"prefix")
                && let Some(f) = self.words(arg, key)
            {
                return f;
            }
            return self.atom(key);
        }
        if function.kind() == "identifier" || name.starts_with(b"is_") || name.starts_with(b"use_")
        {
            let db = database(&name, Match::Inside);
            if db != Database::Neither {
                return self.database(db, key);
            }
        }
        self.atom(key)
    }

    /// `"sqlite" in url`, `backend == "sqlite"`, `x is False`, `url.find("sqlite") == -1`.
    fn comparison(&mut self, node: Node, key: Node, depth: usize) -> Formula {
        let mut cursor = node.walk();
        let mut operands = Vec::new();
        let mut operators = Vec::new();
        for c in node.children(&mut cursor) {
            if c.is_named() {
                if c.kind() != "comment" {
                    operands.push(c);
                }
            } else {
                operators.push(c.kind());
            }
        }
        if operands.len() != 2 || operators.len() != 1 {
            return self.atom(key);
        }
        let (a, b) = (operands[0], operands[1]);
        let op = operators[0];
        match op {
            "in" | "not in" => {
                let f = self
                    .words(a, key)
                    .filter(|_| a.kind() == "string")
                    .or_else(|| {
                        matches!(b.kind(), "tuple" | "list" | "set")
                            .then(|| self.words(b, key))
                            .flatten()
                    })
                    .unwrap_or_else(|| self.atom(key));
                if op == "in" { f } else { f.not() }
            }
            "==" | "!=" | "is" | "is not" => {
                let negated = matches!(op, "!=" | "is not");
                let f = if let Some(c) = boolean(a).or_else(|| boolean(b)) {
                    let other = if boolean(a).is_some() { b } else { a };
                    let inner = self.of(other, depth - 1);
                    if c { inner } else { inner.not() }
                } else if let Some(f) = self.find_test(a, b).or_else(|| self.find_test(b, a)) {
                    f
                } else if a.kind() == "string" || b.kind() == "string" {
                    let lit = if a.kind() == "string" { a } else { b };
                    self.words(lit, key).unwrap_or_else(|| self.atom(key))
                } else {
                    self.atom(key)
                };
                if negated { f.not() } else { f }
            }
            ">=" | ">" | "<" | "<=" => {
                // `url.find("sqlite") >= 0` (found), `< 0` (not found), and mirrored.
                let (call, number, op) = if a.kind() == "call" {
                    (a, b, op)
                } else {
                    (b, a, mirror(op))
                };
                let Some(n) = integer(number, self.text) else {
                    return self.atom(key);
                };
                let Some(found) = self.find_call(call) else {
                    return self.atom(key);
                };
                match (op, n) {
                    (">=", 0) | (">", -1) => found,
                    (">=", n) | (">", n) if n > 0 || (op == ">" && n == 0) => {
                        let at = self.atom(key);
                        found.and(at)
                    }
                    (">=" | ">", _) => Formula::Const(true),
                    ("<", 0) | ("<=", -1) => found.not(),
                    ("<" | "<=", n) if n < -1 || (op == "<" && n == -1) => Formula::Const(false),
                    _ => self.atom(key),
                }
            }
            _ => self.atom(key),
        }
    }

    /// `call == number` where `call` is `x.find(word)`: the word found (`!= -1`) or
    /// not (`== -1`), as a formula for `==`.
    fn find_test(&mut self, call: Node, number: Node) -> Option<Formula> {
        let n = integer(number, self.text)?;
        let f = self.find_call(call)?;
        Some(match n {
            -1 => f.not(),
            // Found at that place: found, and something more nothing is known of.
            n if n >= 0 => {
                let at = self.key(call) + &format!(" == {n}");
                f.and(self.atom_named(at))
            }
            _ => Formula::Const(false),
        })
    }

    /// `x.find(word)` / `x.index(word)` / `x.rfind(word)`: whether the word is found.
    fn find_call(&mut self, call: Node) -> Option<Formula> {
        if call.kind() != "call" {
            return None;
        }
        let function = field(call, FIELDS.function)?;
        if function.kind() != "attribute" {
            return None;
        }
        let name = node_text(field(function, FIELDS.attribute)?, self.text);
        if !matches!(name, b"find" | b"rfind") {
            return None;
        }
        let arg = argument(field(call, FIELDS.arguments)?, self.text, 0, b"sub")?;
        self.words(arg, call)
    }
}

fn mirror(op: &str) -> &str {
    match op {
        ">=" => "<=",
        ">" => "<",
        "<" => ">",
        "<=" => ">=",
        other => other,
    }
}

/// `True` or `False`.
fn boolean(node: Node) -> Option<bool> {
    match node.kind() {
        "true" => Some(true),
        "false" => Some(false),
        _ => None,
    }
}

/// An integer literal, negative ones included.
fn integer(node: Node, text: &[u8]) -> Option<i64> {
    match node.kind() {
        "integer" => std::str::from_utf8(node_text(node, text))
            .ok()?
            .parse()
            .ok(),
        "unary_operator" => {
            let op = field(node, FIELDS.operator)?;
            let arg = field(node, FIELDS.argument)?;
            let n = integer(arg, text)?;
            match op.kind() {
                "-" => Some(-n),
                "+" => Some(n),
                _ => None,
            }
        }
        "parenthesized_expression" => integer(node.named_child(0)?, text),
        _ => None,
    }
}

/// Whether a block always leaves: its last statement returns, raises, continues or
/// breaks, or is an `if` with an `else` whose every arm leaves.
fn leaves_block(block: Node, depth: usize) -> bool {
    if depth == 0 {
        return false;
    }
    let Some(last) = (0..block.named_child_count())
        .rev()
        .filter_map(|i| block.named_child(i as u32))
        .find(|n| n.kind() != "comment")
    else {
        return false;
    };
    match last.kind() {
        "return_statement" | "raise_statement" | "continue_statement" | "break_statement" => true,
        "if_statement" => {
            let arms = arms(last);
            arms.iter().any(|a| a.0.is_none())
                && arms
                    .iter()
                    .all(|(_, body)| body.is_some_and(|b| leaves_block(b, depth - 1)))
        }
        _ => false,
    }
}

/// Whether code holds a word that leaves a block (`return`, `raise`, `continue`,
/// `break`).
fn may_leave(code: &[u8]) -> bool {
    [&b"return"[..], b"raise", b"continue", b"break"]
        .iter()
        .any(|w| memchr::memmem::find(code, w).is_some())
}

/// An `if` statement's arms in order: the condition (`None` for `else`) and the body.
fn arms(node: Node) -> Vec<(Option<Node>, Option<Node>)> {
    let mut out = vec![(
        field(node, FIELDS.condition),
        field(node, FIELDS.consequence),
    )];
    let mut cursor = node.walk();
    for c in node.named_children(&mut cursor) {
        match c.kind() {
            "elif_clause" => out.push((field(c, FIELDS.condition), field(c, FIELDS.consequence))),
            "else_clause" => out.push((None, field(c, FIELDS.body))),
            _ => {}
        }
    }
    out
}

/// The branch a call sits in, from the path condition of the code around it
/// (`chain`: its ancestors, outermost first).
pub(super) fn branch_of(chain: &[Node], node: Node, text: &[u8]) -> Branch {
    let mut c = Conditions::new(text);
    let mut path: Vec<Formula> = Vec::new();
    let mut child = node;
    for &n in chain.iter().rev() {
        match n.kind() {
            "if_statement" => {
                let arms = arms(n);
                // Which arm holds the child: the consequence, an elif or the else.
                let at = if field(n, FIELDS.consequence).is_some_and(|b| b.id() == child.id()) {
                    Some(0)
                } else if matches!(child.kind(), "elif_clause" | "else_clause") {
                    let mut cursor = n.walk();
                    n.named_children(&mut cursor)
                        .filter(|k| matches!(k.kind(), "elif_clause" | "else_clause"))
                        .position(|k| k.id() == child.id())
                        .map(|i| i + 1)
                } else {
                    None
                };
                if let Some(at) = at {
                    path.push(arm_path(&mut c, &arms, at));
                }
            }
            "case_clause" if field(n, FIELDS.consequence).is_some_and(|b| b.id() == child.id()) => {
                // The clauses of the `match` before this one did not match.
                if let Some(body) = n.parent() {
                    let mut cursor = body.walk();
                    let clauses: Vec<Node> = body
                        .named_children(&mut cursor)
                        .filter(|k| k.kind() == "case_clause")
                        .collect();
                    let mut f = Formula::Const(true);
                    for clause in clauses {
                        if clause.id() == n.id() {
                            f = f.and(c.case(clause));
                            break;
                        }
                        f = f.and(c.case(clause).not());
                    }
                    path.push(f);
                }
            }
            "conditional_expression" => {
                let parts: Vec<Node> = {
                    let mut cursor = n.walk();
                    n.named_children(&mut cursor)
                        .filter(|k| k.kind() != "comment")
                        .collect()
                };
                if parts.len() == 3 {
                    if parts[0].id() == child.id() {
                        path.push(c.of(parts[1], 16));
                    } else if parts[2].id() == child.id() {
                        path.push(c.of(parts[1], 16).not());
                    }
                }
            }
            // An earlier `if` of the block whose arms leave: the call is reached only
            // through the arms that do not. (Only where the block's text before the call
            // can leave at all: walking a module's statements costs more than a search.)
            "block" | "module" if may_leave(&text[n.start_byte()..child.start_byte()]) => {
                let mut cursor = n.walk();
                for earlier in n.named_children(&mut cursor) {
                    if earlier.id() == child.id() || earlier.start_byte() >= child.start_byte() {
                        break;
                    }
                    if earlier.kind() != "if_statement" {
                        continue;
                    }
                    let arms = arms(earlier);
                    let leaving: Vec<bool> = arms
                        .iter()
                        .map(|(_, b)| b.is_some_and(|b| leaves_block(b, 4)))
                        .collect();
                    if !leaving.iter().any(|&l| l) {
                        continue;
                    }
                    let mut through = Formula::Const(false);
                    for (i, leaves) in leaving.iter().enumerate() {
                        if !leaves {
                            through = through.or(arm_path(&mut c, &arms, i));
                        }
                    }
                    if arms.last().is_some_and(|a| a.0.is_some()) {
                        // No `else`: falling past every test goes on too.
                        through = through.or(arm_path(&mut c, &arms, arms.len()));
                    }
                    path.push(through);
                }
            }
            _ => {}
        }
        child = n;
    }
    decide(&c, path)
}

/// The condition under which arm `at` of an `if` chain runs (`at == arms.len()`: none).
fn arm_path(c: &mut Conditions, arms: &[(Option<Node>, Option<Node>)], at: usize) -> Formula {
    let mut f = Formula::Const(true);
    for (i, (cond, _)) in arms.iter().enumerate().take(at + 1) {
        let Some(cond) = cond else { continue };
        let g = c.of(*cond, 16);
        f = f.and(if i == at { g } else { g.not() });
    }
    f
}

/// Which branch a path is: SQLite where it cannot hold without `S`, server where it
/// cannot hold with it, none otherwise.
fn decide(c: &Conditions, path: Vec<Formula>) -> Branch {
    let path: Vec<Formula> = path.into_iter().filter(Formula::relevant).collect();
    if path.is_empty() || c.others.len() > MAX_ATOMS || c.atoms.len() > MAX_ATOMS {
        return Branch::None;
    }
    let holds = |s: bool| -> bool {
        for others in 0u32..(1 << c.others.len()) {
            if s && others != 0 {
                continue;
            }
            for atoms in 0u32..(1 << c.atoms.len()) {
                if path.iter().all(|f| f.eval(s, others, atoms)) {
                    return true;
                }
            }
        }
        false
    };
    match (holds(true), holds(false)) {
        (true, false) => Branch::Evidence,
        (false, true) => Branch::Other,
        _ => Branch::None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn branch(src: &str) -> Branch {
        let tree = parse(src.as_bytes()).unwrap();
        let root = tree.root_node();
        let at = src.find("create_engine(").unwrap();
        let name = root.descendant_for_byte_range(at, at + 13).unwrap();
        let call = name.parent().unwrap();
        let chain = ancestors(root, call);
        branch_of(&chain, call, src.as_bytes())
    }

    fn scheme(expr: &str) -> Scheme {
        let src = format!("x = {expr}\n");
        let tree = parse(src.as_bytes()).unwrap();
        let root = tree.root_node();
        let value = root
            .named_child(0)
            .and_then(|s| s.named_child(0))
            .and_then(|a| field(a, FIELDS.right))
            .unwrap();
        url_scheme(value, src.as_bytes())
    }

    #[test]
    fn url_schemes_however_the_string_is_built() {
        for sqlite in [
            "\"sqlite:///x.db\"",
            "'sqlite://'",
            "f\"sqlite:///{path}\"",
            "\"sqlite:///{0}\".format(path)",
            "\"sqlite:///\" + path",
            "\"sqlite:///%s\" % path",
            "(\"sqlite:///\" \"x.db\")",
            "URL.create(\"sqlite\", database=path)",
            "sa.engine.URL.create(drivername=\"sqlite+pysqlcipher\")",
            "\"sqlite+aiosqlite:///x.db\"",
            "\"sqlite+pysqlcipher://:key@/x.db\"",
            "make_url(f\"sqlite:///{p}\")",
            "str(URL.create(\"sqlite\", database=path))",
        ] {
            assert_eq!(scheme(sqlite), Scheme::Sqlite, "{sqlite}");
        }
        for server in [
            "\"postgresql+psycopg2://u@h/db\"",
            "f\"mysql://{user}@{host}/db\"",
            "\"postgresql://{}\".format(h)",
            "URL.create(\"postgresql\", host=h)",
        ] {
            assert_eq!(scheme(server), Scheme::Server, "{server}");
        }
        for unknown in [
            "DATABASE_URL",
            "f\"{scheme}://x\"",
            "os.getenv(\"DB\", \"sqlite:///x.db\")",
            "b\"sqlite://\"",
            "\"x.db\"",
        ] {
            assert_eq!(scheme(unknown), Scheme::Unknown, "{unknown}");
        }
    }

    #[test]
    fn branch_tests_read_three_valued() {
        let engine = "    e = create_engine(url)\n";
        let cases: &[(&str, Branch, Branch)] = &[
            ("if \"sqlite\" in url:", Branch::Evidence, Branch::Other),
            ("if \"sqlite\" not in url:", Branch::Other, Branch::Evidence),
            (
                "if url.startswith(\"sqlite\"):",
                Branch::Evidence,
                Branch::Other,
            ),
            (
                "if url.find(\"sqlite\") == -1:",
                Branch::Other,
                Branch::Evidence,
            ),
            (
                "if url.find(\"sqlite\") != -1:",
                Branch::Evidence,
                Branch::Other,
            ),
            (
                "if url.find(\"sqlite\") >= 0:",
                Branch::Evidence,
                Branch::Other,
            ),
            (
                "if url.startswith(\"sqlite\") == False:",
                Branch::Other,
                Branch::Evidence,
            ),
            (
                "if (\"sqlite\" in url) is False:",
                Branch::Other,
                Branch::Evidence,
            ),
            (
                "if not url.startswith(\"sqlite\"):",
                Branch::Other,
                Branch::Evidence,
            ),
            (
                "if url.startswith(\"postgresql\") or url.startswith(\"sqlite\"):",
                Branch::None,
                Branch::Other,
            ),
            (
                "if \"sqlite\" in url and memory:",
                Branch::Evidence,
                Branch::None,
            ),
            ("if backend == \"sqlite\":", Branch::Evidence, Branch::Other),
            ("if backend != \"sqlite\":", Branch::Other, Branch::Evidence),
            ("if backend == \"postgresql\":", Branch::Other, Branch::None),
            (
                "if backend in (\"sqlite\", \"sqlite3\"):",
                Branch::Evidence,
                Branch::Other,
            ),
            ("if USE_SQLITE:", Branch::Evidence, Branch::Other),
            ("if debug:", Branch::None, Branch::None),
        ];
        for (test, then, otherwise) in cases {
            let src = format!("{test}\n{engine}else:\n{engine}");
            assert_eq!(branch(&src), *then, "then of {test}");
            let src = format!("{test}\n    pass\nelse:\n{engine}");
            assert_eq!(branch(&src), *otherwise, "else of {test}");
        }
    }

    #[test]
    fn elif_chains_nesting_early_returns() {
        let src = "if db == \"postgresql\":\n    pass\nelif db == \"mysql\":\n    e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Other);
        let src = "if db == \"postgresql\":\n    pass\nelif debug:\n    pass\nelse:\n    e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::None);
        let src = "if \"sqlite\" in url:\n    if debug:\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Evidence);
        let src = "if \"sqlite\" in url:\n    try:\n        pass\n    except E:\n        pass\n    else:\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Evidence);
        let src = "def f(url):\n    if not url.startswith(\"sqlite\"):\n        return create_engine(url, pool_size=5)\n    return create_engine(url)\n";
        let at = src.rfind("create_engine(").unwrap();
        let tree = parse(src.as_bytes()).unwrap();
        let root = tree.root_node();
        let call = root
            .descendant_for_byte_range(at, at + 13)
            .unwrap()
            .parent()
            .unwrap();
        assert_eq!(
            branch_of(&ancestors(root, call), call, src.as_bytes()),
            Branch::Evidence
        );
        let src =
            "match backend:\n    case \"sqlite\" | \"sqlite3\":\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Evidence);
        let src = "match backend:\n    case \"sqlite\":\n        pass\n    case _:\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Other);
        let src = "match backend:\n    case \"postgresql\":\n        pass\n    case other:\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::None);
        let src = "match backend:\n    case Backend.MYSQL:\n        e = create_engine(url)\n";
        assert_eq!(branch(src), Branch::Other);
        let src = "e = create_engine(url) if url.startswith(\"sqlite\") else None\n";
        assert_eq!(branch(src), Branch::Evidence);
        let src = "e = None if url.startswith(\"sqlite\") else create_engine(url)\n";
        assert_eq!(branch(src), Branch::Other);
    }
}
