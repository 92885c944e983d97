//! tree-sitter-python: the parser, the queries (data files checked against the grammar
//! by a test), and the syntactic facts the merge needs, extracted into plain structs so
//! that nothing downstream holds a syntax tree: engine statements with their calls,
//! argument lists and `connect_args` dictionaries, and the pool imports.
//!
//! Trees are walked with cursors or explicit stacks, never by recursion on the input's
//! shape, so deeply nested input cannot overflow the stack.

use std::ops::{ControlFlow, Range};
use std::sync::LazyLock;

use tree_sitter::{Language, Node, Parser, Point, Tree};

pub mod chunks;
mod extract;
mod hits;
mod items;
mod kind;
mod parse;
mod splat;

use extract::*;
use hits::*;
use items::*;

pub use extract::scan_tree;
pub(crate) use extract::{line_start, node_text};
pub use hits::contains;
pub(crate) use hits::{call_aliases, find_all};
pub use items::tokens;
pub use kind::Scheme;
pub use parse::{Limits, compiles, parse, scan};
pub(crate) use parse::{ScanError, names_within, scan_limited, scan_outside};
pub(crate) use splat::splat_keys;

/// The Python grammar.
pub(crate) static LANGUAGE: LazyLock<Language> =
    LazyLock::new(|| tree_sitter_python::LANGUAGE.into());

/// The definition of pool code, as a tree-sitter query: engine calls and pool
/// imports. Compiling a query against the Python grammar costs about 5 ms (the
/// grammar analysis tree-sitter runs), more than git's whole merge of a file, so the
/// driver finds the same nodes by walking up from each occurrence of the names
/// (`pool_calls`, `pool_imports`); a test checks that the two agree on every fixture
/// and on generated code, and that the query names only real node kinds and fields.
#[cfg(test)]
pub(crate) const POOL_CODE_SCM: &str = include_str!("queries/pool_code.scm");

/// Statement kinds that hold no other statement: a pool region is the innermost one of
/// these around an engine call.
const SIMPLE_STATEMENTS: &[&str] = &[
    "expression_statement",
    "return_statement",
    "assert_statement",
    "delete_statement",
    "raise_statement",
    "print_statement",
    "exec_statement",
    "type_alias_statement",
];

/// Node kinds at which the search for a simple statement gives up: an engine call in
/// a compound statement's header (a `with`, a decorator, a default value) is not in a
/// pool region.
const STATEMENT_BOUNDARIES: &[&str] = &[
    "module",
    "block",
    "if_statement",
    "elif_clause",
    "else_clause",
    "for_statement",
    "while_statement",
    "with_statement",
    "try_statement",
    "except_clause",
    "finally_clause",
    "function_definition",
    "class_definition",
    "decorated_definition",
    "match_statement",
    "case_clause",
];

/// The grammar's field ids, looked up once: finding a child by a field's name
/// compares the name with every field of the grammar.
struct Fields {
    alias: u16,
    argument: u16,
    arguments: u16,
    attribute: u16,
    body: u16,
    condition: u16,
    consequence: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
    object: u16,
    operator: u16,
    right: u16,
    value: u16,
}

static FIELDS: LazyLock<Fields> = LazyLock::new(|| {
    let id = |name: &str| {
        LANGUAGE
            .field_id_for_name(name)
            .map_or(u16::MAX, std::num::NonZero::get)
    };
    Fields {
        alias: id("alias"),
        argument: id("argument"),
        arguments: id("arguments"),
        attribute: id("attribute"),
        body: id("body"),
        condition: id("condition"),
        consequence: id("consequence"),
        function: id("function"),
        key: id("key"),
        left: id("left"),
        module_name: id("module_name"),
        name: id("name"),
        object: id("object"),
        operator: id("operator"),
        right: id("right"),
        value: id("value"),
    }
});

/// The child of `node` in the field `id`.
fn field<'t>(node: Node<'t>, id: u16) -> Option<Node<'t>> {
    node.child_by_field_id(id)
}

/// The ancestors of `node` below `root`, outermost first (`root` itself first), found
/// in one descent: tree-sitter finds a node's parent by descending from the root, so
/// walking up parent by parent costs the depth squared.
fn ancestors<'t>(root: Node<'t>, node: Node<'t>) -> Vec<Node<'t>> {
    let mut chain = vec![root];
    let mut current = root;
    while current.id() != node.id() {
        match current.child_with_descendant(node) {
            Some(next) if next.id() != node.id() => {
                chain.push(next);
                current = next;
            }
            _ => break,
        }
    }
    chain
}

/// What is being looked for: the callee's last name and the pool module.
#[derive(Debug, Clone)]
pub struct Targets<'a> {
    /// The engine call's name, such as `create_engine`.
    pub call: &'a str,
    /// The module whose imports are pool regions, such as `sqlalchemy.pool`.
    pub import_module: Option<&'a str>,
    /// Other names the call goes by (aliases some import of the file gives it).
    pub aliases: &'a [String],
    /// The word that is evidence of the engines a pin applies to, in a URL literal's
    /// start or an `if` test around the call (`sqlite`); empty for none.
    pub evidence: &'a str,
}

/// The syntactic facts of one file version.
#[derive(Debug, Clone, Default)]
pub struct Scan {
    /// Simple statements holding at least one engine call, in file order.
    pub statements: Vec<EngineStatement>,
    /// `from <pool module> import ...` statements, in file order.
    pub imports: Vec<PoolImport>,
    /// Byte ranges of syntax errors (ERROR and MISSING nodes).
    pub errors: Vec<Range<usize>>,
}

/// A simple statement holding one or more engine calls.
#[derive(Debug, Clone)]
pub struct EngineStatement {
    /// The statement node.
    pub range: Range<usize>,
    /// Start of the first line of the run of `#` comment lines directly above the
    /// statement, or the start of the statement's own line when there is none.
    pub comments_start: usize,
    /// Enclosing `def`/`class` names, outermost first, joined with `.`.
    pub scope: String,
    /// The assignment target (normalised), `return` for a return statement, else empty.
    pub target: String,
    /// The statement's tokens with each engine call's argument list replaced by a hole.
    pub skeleton: String,
    /// The statement's tokens.
    pub norm: String,
    /// The engine calls, outermost ones only, in order.
    pub calls: Vec<Call>,
    /// Whether the statement has a syntax error inside.
    pub has_error: bool,
}

/// One engine call.
#[derive(Debug, Clone)]
pub struct Call {
    /// The call node.
    pub range: Range<usize>,
    /// Its argument list.
    pub args: Container,
    /// Whether the call sits in the SQLite branch of an `if`/`elif` that tests for
    /// `sqlite`: its true branch, or the `else` of a negated test (`if not sqlite`).
    pub guarded: bool,
    /// Whether the call sits in the other branch of such a test: the `else` (or a
    /// later `elif`) of `if "sqlite" in url`, or the true branch of `if not sqlite`.
    pub server_branch: bool,
    /// What names the call's place in its statement, when something does: the key of
    /// the dict entry (`"users": create_engine(...)`) or the keyword
    /// (`f(logs=create_engine(...))`) whose value it is, else its first argument (an
    /// engine in a list or a tuple, by its URL), as normalised tokens.
    pub slot: Option<String>,
}

/// A bracketed list of items: a call's argument list or a dictionary literal.
#[derive(Debug, Clone)]
pub struct Container {
    /// From the opening to the closing bracket, both included.
    pub range: Range<usize>,
    /// The items, in order.
    pub items: Vec<Item>,
    /// Whether comments appear between the brackets.
    pub has_comments: bool,
}

/// One item of a container.
#[derive(Debug, Clone)]
pub struct Item {
    /// The whole item (`name=value`, `"key": value`, `*args`, an expression).
    pub range: Range<usize>,
    /// What identifies the item across versions.
    pub key: ItemKey,
    /// The value part (for a positional argument or a splat: the whole item).
    pub value: Range<usize>,
    /// The value's tokens, for comparisons that ignore layout and comments.
    pub norm: String,
    /// End of the comma that follows the item, if any.
    pub comma_end: Option<usize>,
    /// The value as a container, when it is a dictionary literal.
    pub dict: Option<Box<Container>>,
    /// Whether the value is a call's URL whose static start is `sqlite` (a literal,
    /// an f-string, `.format`, `%`, `+`, `URL.create("sqlite", ...)`).
    pub evidence_literal: bool,
    /// Whether the value is a call's URL whose static start names another scheme.
    pub server_url: bool,
}

/// What identifies an item across versions.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ItemKey {
    /// The n-th positional argument (a `*splat` counts as one).
    Positional(usize),
    /// A keyword argument, by name.
    Keyword(String),
    /// A `**splat`, by its tokens.
    Splat(String),
    /// A dictionary entry, by its key (the string's content for a string key).
    Entry(String),
}

impl ItemKey {
    /// A short human-readable name, for messages.
    pub(crate) fn describe(&self) -> String {
        match self {
            ItemKey::Positional(i) => format!("argument {}", i + 1),
            ItemKey::Keyword(k) => k.clone(),
            ItemKey::Splat(s) => s.replacen("** ", "**", 1),
            ItemKey::Entry(k) => format!("\"{k}\""),
        }
    }
}

/// A `from <pool module> import ...` statement.
#[derive(Debug, Clone)]
pub struct PoolImport {
    /// The statement node.
    pub range: Range<usize>,
    /// Enclosing `def`/`class` names, joined with `.`.
    pub scope: String,
    /// The imported names, in order.
    pub names: Vec<ImportedName>,
    /// Whether the names are in parentheses.
    pub parenthesized: bool,
    /// Where the name list starts (the first name, or the opening parenthesis).
    pub names_start: usize,
    /// Whether the statement has a syntax error inside.
    pub has_error: bool,
}

/// One imported name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ImportedName {
    /// The name imported (`*` for a wildcard import).
    pub name: String,
    /// `as` alias, if any.
    pub alias: Option<String>,
}

impl ImportedName {
    /// The name as written in an import list.
    pub fn render(&self) -> String {
        match &self.alias {
            Some(a) => format!("{} as {a}", self.name),
            None => self.name.clone(),
        }
    }
}

thread_local! {
    /// One parser per thread, reused: a parser's buffers cost more to set up than a
    /// typical module's pool code takes to parse.
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

#[cfg(test)]
mod tests;
