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

/// The Python grammar.
pub static LANGUAGE: LazyLock<Language> = LazyLock::new(|| tree_sitter_python::LANGUAGE.into());

/// The definition of pool code, as a tree-sitter query: engine calls and pool
/// imports. Compiling a query against the Python grammar costs about 5 ms (the
/// grammar analysis tree-sitter runs), more than git's whole merge of a file, so the
/// driver finds the same nodes by walking up from each occurrence of the names
/// (`pool_calls`, `pool_imports`); a test checks that the two agree on every fixture
/// and on generated code, and that the query names only real node kinds and fields.
pub const POOL_CODE_SCM: &str = include_str!("queries/pool_code.scm");

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
    arguments: u16,
    attribute: u16,
    condition: u16,
    consequence: u16,
    function: u16,
    key: u16,
    left: u16,
    module_name: u16,
    name: u16,
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
        arguments: id("arguments"),
        attribute: id("attribute"),
        condition: id("condition"),
        consequence: id("consequence"),
        function: id("function"),
        key: id("key"),
        left: id("left"),
        module_name: id("module_name"),
        name: id("name"),
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
    pub import_module: &'a str,
    /// Other names the call goes by (aliases some import of the file gives it).
    pub aliases: &'a [String],
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
    /// Whether the value is a plain string literal starting with `sqlite`.
    pub sqlite_literal: bool,
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
    pub fn describe(&self) -> String {
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

/// Parses `text` (only `ranges` of it, when given) with the thread's parser, within
/// `max_ticks` of tree-sitter's progress ticks (one per 100 parser operations) when
/// given.
fn with_parser(
    text: &[u8],
    ranges: &[tree_sitter::Range],
    max_ticks: Option<usize>,
) -> Result<Tree, String> {
    let widest = if ranges.is_empty() {
        widest_indent(text)
    } else {
        ranges
            .iter()
            .map(|r| widest_indent(&text[r.start_byte..r.end_byte]))
            .max()
            .unwrap_or(0)
    };
    if widest > MAX_INDENT_COLUMNS {
        return Err(format!(
            "code indented by more than {MAX_INDENT_COLUMNS} columns"
        ));
    }
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&LANGUAGE)
                .map_err(|e| format!("the Python grammar does not load: {e}"))?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut().expect("set above");
        parser
            .set_included_ranges(ranges)
            .map_err(|_| "bad parse ranges".to_string())?;
        let len = text.len();
        let mut input = |i: usize, _: Point| -> &[u8] { if i < len { &text[i..] } else { &[] } };
        let mut ticks = 0usize;
        let limit = max_ticks.unwrap_or(usize::MAX);
        let mut progress = |_: &tree_sitter::ParseState| {
            ticks += 1;
            if ticks > limit {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        };
        let options = tree_sitter::ParseOptions::new().progress_callback(&mut progress);
        match parser.parse_with_options(&mut input, None, Some(options)) {
            Some(tree) => Ok(tree),
            None => {
                // A halted parse would resume on the next call: start afresh instead.
                parser.reset();
                Err(format!(
                    "the parser's work budget ({limit} steps of 100 operations) ran out"
                ))
            }
        }
    })
}

/// The deepest indentation the parser will accept. tree-sitter-python 0.25 keeps one
/// entry per indentation level in its scanner state and overflows the 1,024 bytes
/// tree-sitter allows for that state after about 380 levels, which aborts the
/// process (a C assertion). Levels never outnumber the columns of the deepest
/// indentation, so code indented by at most this many columns is safe; deeper code
/// is not parsed at all, and the engine leaves the file to git's merge.
const MAX_INDENT_COLUMNS: usize = 300;

/// The widest indentation the Python scanner can compute in `text`, counted as it
/// counts (a space one column, a tab eight, a line continuation carrying on), over
/// every run of blanks: more than it ever sees, never less.
fn widest_indent(text: &[u8]) -> usize {
    let (mut widest, mut current, mut continued) = (0usize, 0usize, false);
    for &b in text {
        match b {
            b' ' => current += 1,
            b'\t' => current += 8,
            b'\\' => {
                continued = true;
                continue;
            }
            b'\r' if continued => continue,
            b'\n' if continued => {}
            _ => current = 0,
        }
        continued = false;
        widest = widest.max(current);
    }
    widest
}

/// Parses Python source. tree-sitter never fails on bad syntax (it recovers with ERROR
/// nodes); `None` only when parsing was cancelled.
pub fn parse(text: &[u8]) -> Option<Tree> {
    with_parser(text, &[], None).ok()
}

/// Whether a text is a module CPython would compile: it parses without an error, and
/// has none of what tree-sitter's grammar accepts and CPython rejects (a block with no
/// statement, as at the end of a file; a keyword argument given twice).
pub fn compiles(text: &[u8]) -> bool {
    let Some(tree) = parse(text) else {
        return false;
    };
    if tree.root_node().has_error() {
        return false;
    }
    let mut cursor = tree.walk();
    let mut stack = vec![tree.root_node()];
    let mut keys: Vec<&[u8]> = Vec::new();
    while let Some(node) = stack.pop() {
        let first = stack.len();
        stack.extend(node.named_children(&mut cursor));
        let children = &stack[first..];
        if node.kind() == "block" && children.iter().all(|c| c.kind() == "comment") {
            return false;
        }
        if node.kind() == "argument_list" {
            keys.clear();
            keys.extend(
                children
                    .iter()
                    .filter(|c| c.kind() == "keyword_argument")
                    .filter_map(|c| c.child_by_field_name("name"))
                    .map(|n| &text[n.byte_range()]),
            );
            let all = keys.len();
            keys.sort_unstable();
            keys.dedup();
            if keys.len() != all {
                return false;
            }
        }
    }
    true
}

/// Bounds on the work of one scan, so that no input can make it hang or exhaust
/// memory: counts, not clocks, so that every run of the same input decides the same.
/// Past a bound the scan fails with the reason, and the engine leaves the file to
/// git's plain merge.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Places naming the pool call (followed by a parenthesis) or the pool module.
    pub places: usize,
    /// Bytes of pool code parsed (the top-level statements holding those places).
    pub parse_bytes: usize,
    /// tree-sitter's work, in progress ticks of 100 parser operations: this many...
    pub ticks_base: usize,
    /// ...plus this many per KiB parsed (ordinary Python takes 7 to 15 a KiB, deeply
    /// nested code about 40).
    pub ticks_per_kib: usize,
    /// Items of one argument list or dictionary of an engine call.
    pub items: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            places: 1_000,
            parse_bytes: 16 << 20,
            ticks_base: 1_000,
            ticks_per_kib: 256,
            items: 1_000,
        }
    }
}

impl Limits {
    /// The parser's budget for `bytes` of code.
    fn ticks_for(&self, bytes: usize) -> usize {
        self.ticks_base
            .saturating_add(self.ticks_per_kib.saturating_mul(bytes.div_ceil(1024)))
    }
}

/// Extracts engine statements and pool imports from `text`, parsing only the
/// top-level statements where the call's or the pool module's name occurs, within the
/// default [`Limits`]. `None` when a limit is passed.
pub fn scan(text: &[u8], targets: &Targets) -> Option<Scan> {
    scan_limited(text, targets, &Limits::default()).ok()
}

/// [`scan`] within `limits`; the error says which was passed.
pub fn scan_limited(text: &[u8], targets: &Targets, limits: &Limits) -> Result<Scan, String> {
    let mut hits = call_hits(text, targets);
    for (name, at) in &mut hits {
        at.retain(|&at| may_call(text, at, name.len()));
    }
    let calls: Vec<usize> = hits.iter().flat_map(|(_, at)| at.iter().copied()).collect();
    let modules: Vec<usize> = find_all(text, module_package(targets.import_module))
        .into_iter()
        .filter(|&at| may_name_module(text, at, targets.import_module))
        .collect();
    if calls.len() + modules.len() > limits.places {
        return Err(format!(
            "more than {} places name {} or {}",
            limits.places, targets.call, targets.import_module
        ));
    }
    let offsets: Vec<usize> = calls.iter().chain(&modules).copied().collect();
    let ranges = chunks::chunks_holding(text, &offsets);
    if ranges.is_empty() {
        return Ok(Scan::default());
    }
    let bytes: usize = ranges.iter().map(std::iter::ExactSizeIterator::len).sum();
    if bytes > limits.parse_bytes {
        return Err(format!(
            "more than {} bytes of pool code to parse",
            limits.parse_bytes
        ));
    }
    let tree = parse_ranges_within(text, &ranges, Some(limits.ticks_for(bytes)))?;
    let scan = scan_hits(&tree, text, targets, &hits, &modules);
    let too_long = |c: &Container| c.items.len() > limits.items;
    let long = scan.statements.iter().flat_map(|s| &s.calls).any(|c| {
        too_long(&c.args)
            || c.args
                .items
                .iter()
                .filter_map(|i| i.dict.as_deref())
                .any(too_long)
    });
    if long {
        return Err(format!(
            "an engine call with more than {} arguments or entries",
            limits.items
        ));
    }
    Ok(scan)
}

/// Whether the byte may continue an identifier (any non-ASCII byte may).
fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Skips what may separate two tokens of one logical line: blanks, line continuations
/// and, inside brackets, newlines.
fn skip_blanks(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && matches!(text[at], b' ' | b'\t' | b'\x0c' | b'\\' | b'\r' | b'\n') {
        at += 1;
    }
    at
}

/// Where each name the engine call goes by occurs in `text`: its own, the aliases
/// `targets` knows, and each alias an import in `text` gives it (found from the places
/// of its own name, searched once).
fn call_hits(text: &[u8], targets: &Targets) -> Vec<(String, Vec<usize>)> {
    let own = find_all(text, targets.call);
    let mut names: Vec<String> = Vec::new();
    for alias in targets
        .aliases
        .iter()
        .cloned()
        .chain(aliases_at(text, targets.call, &own))
    {
        if alias != targets.call && !names.contains(&alias) {
            names.push(alias);
        }
    }
    let mut hits = vec![(targets.call.to_string(), own)];
    hits.extend(names.into_iter().map(|name| {
        let at = find_all(text, &name);
        (name, at)
    }));
    hits
}

/// The aliases imports in `text` give the call (`from sqlalchemy import create_engine
/// as make_engine`): a byte test, where a name that is no alias only costs a look for
/// calls of it.
pub fn call_aliases(text: &[u8], call: &str) -> Vec<String> {
    aliases_at(text, call, &find_all(text, call))
}

/// [`call_aliases`], from the places `at` where the call's name occurs.
fn aliases_at(text: &[u8], call: &str, at: &[usize]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for &at in at {
        if at > 0 && ident_byte(text[at - 1]) {
            continue;
        }
        let after = at + call.len();
        let word = skip_blanks(text, after);
        if word == after || !text[word..].starts_with(b"as") || !in_from_import(text, at) {
            continue;
        }
        let start = skip_blanks(text, word + 2);
        if start == word + 2 {
            continue;
        }
        let len = text[start..].iter().take_while(|&&b| ident_byte(b)).count();
        if len == 0 || text[start].is_ascii_digit() {
            continue;
        }
        let alias = String::from_utf8_lossy(&text[start..start + len]).into_owned();
        if alias != call && !names.contains(&alias) {
            names.push(alias);
        }
    }
    names
}

/// Whether the name at `at` stands in the name list of a `from ... import` statement:
/// between the last `import` before it (on a line starting with `from`) and it, only
/// names, commas, `as`, an opening parenthesis and blanks.
fn in_from_import(text: &[u8], at: usize) -> bool {
    let window = &text[at.saturating_sub(2000)..at];
    let Some(kw) = memchr::memmem::rfind(window, b"import") else {
        return false;
    };
    let list = &window[kw + b"import".len()..];
    if !list
        .iter()
        .all(|&b| ident_byte(b) || matches!(b, b' ' | b'\t' | b',' | b'(' | b'\\' | b'\r' | b'\n'))
    {
        return false;
    }
    let line = &window[window[..kw]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)..kw];
    line.trim_ascii_start().starts_with(b"from ")
}

/// Whether the name at `at..at + len` may be the callee of a call with arguments: a
/// whole identifier, followed by `(` (or a comment, which may come before it inside
/// brackets). A byte test that never rejects a call; the parse decides.
fn may_call(text: &[u8], at: usize, len: usize) -> bool {
    if at > 0 && ident_byte(text[at - 1]) {
        return false;
    }
    let next = skip_blanks(text, at + len);
    matches!(text.get(next), Some(b'(' | b'#'))
}

/// Whether the name at `at` may start the dotted module `module` (such as
/// `sqlalchemy.pool`, spaces and continuations allowed around the dots): the pool
/// import's module name. Never rejects one; the parse decides.
fn may_name_module(text: &[u8], at: usize, module: &str) -> bool {
    if at > 0 && ident_byte(text[at - 1]) {
        return false;
    }
    let mut parts = module.split('.');
    let mut pos = at + parts.next().map_or(0, str::len);
    for part in parts {
        pos = skip_blanks(text, pos);
        if text.get(pos) != Some(&b'.') {
            return false;
        }
        pos = skip_blanks(text, pos + 1);
        if !text[pos.min(text.len())..].starts_with(part.as_bytes()) {
            return false;
        }
        pos += part.len();
    }
    !text.get(pos).is_some_and(|&b| ident_byte(b))
}

/// The first part of a dotted module name (`sqlalchemy` for `sqlalchemy.pool`).
fn module_package(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// Parses only `ranges` of `text` (whole top-level statements); nodes keep their
/// offsets in `text`.
pub fn parse_ranges(text: &[u8], ranges: &[Range<usize>]) -> Option<Tree> {
    parse_ranges_within(text, ranges, None).ok()
}

/// [`parse_ranges`] within `max_ticks` of parser work.
fn parse_ranges_within(
    text: &[u8],
    ranges: &[Range<usize>],
    max_ticks: Option<usize>,
) -> Result<Tree, String> {
    if ranges.len() == 1 && ranges[0] == (0..text.len()) {
        return with_parser(text, &[], max_ticks);
    }
    let mut included = Vec::with_capacity(ranges.len());
    let (mut row, mut pos) = (0, 0);
    let mut point_at = |offset: usize| -> Point {
        row += memchr::memchr_iter(b'\n', &text[pos..offset]).count();
        pos = offset;
        Point {
            row,
            column: offset - line_start(text, offset),
        }
    };
    for r in ranges {
        let start_point = point_at(r.start);
        let end_point = point_at(r.end);
        included.push(tree_sitter::Range {
            start_byte: r.start,
            end_byte: r.end,
            start_point,
            end_point,
        });
    }
    with_parser(text, &included, max_ticks)
}

/// Every start offset of `needle` in `haystack`.
pub fn find_all(haystack: &[u8], needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    memchr::memmem::find_iter(haystack, needle.as_bytes()).collect()
}

/// The call nodes whose callee is the name `call` (a plain name or an attribute's
/// last name) and that have an argument list, found from the name's occurrences
/// `hits`.
fn pool_calls<'t>(root: Node<'t>, hits: &[usize], call: &str) -> Vec<Node<'t>> {
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
fn pool_imports<'t>(root: Node<'t>, text: &[u8], hits: &[usize], module: &str) -> Vec<Node<'t>> {
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
    let modules = find_all(text, module_package(targets.import_module));
    scan_hits(tree, text, targets, &hits, &modules)
}

/// Extracts engine statements and pool imports from a parsed tree, from the
/// occurrences of each name of the call and of the pool module's first name.
fn scan_hits(
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
        let guarded = sqlite_branch(&chain, call, text);
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
        scan.statements
            .push(engine_statement(root, &g.chain, &g.calls, text));
    }
    scan.imports = pool_imports(root, text, module_hits, targets.import_module)
        .into_iter()
        .map(|n| pool_import(root, n, text))
        .collect();
    scan.imports.sort_by_key(|i| i.range.start);
    scan
}

/// The bytes of a node.
pub fn node_text<'a>(node: Node, text: &'a [u8]) -> &'a [u8] {
    &text[node.start_byte()..node.end_byte()]
}

/// Ranges of ERROR and MISSING nodes, found by descending only into subtrees that
/// hold an error.
fn error_ranges(root: Node) -> Vec<Range<usize>> {
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
fn enclosing_statement(chain: &[Node]) -> Option<usize> {
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
fn scope_of(chain: &[Node], text: &[u8]) -> String {
    let names: Vec<String> = chain
        .iter()
        .filter(|n| matches!(n.kind(), "function_definition" | "class_definition"))
        .filter_map(|n| field(*n, FIELDS.name))
        .map(|name| String::from_utf8_lossy(node_text(name, text)).into_owned())
        .collect();
    names.join(".")
}

/// Which branch of a test for `sqlite` a call sits in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Branch {
    /// No enclosing `if` tests for `sqlite`.
    None,
    /// The branch taken for SQLite.
    Sqlite,
    /// The branch taken otherwise.
    Other,
}

/// The branch of the innermost `if`/`elif` testing for `sqlite` that `node` (whose
/// ancestors are `chain`) sits in: the true branch of `if "sqlite" in url`, the `else`
/// of `if not url.startswith("sqlite")`, and so on.
fn sqlite_branch(chain: &[Node], node: Node, text: &[u8]) -> Branch {
    let mut child = node;
    for &n in chain.iter().rev() {
        if matches!(n.kind(), "if_statement" | "elif_clause")
            && let Some(cond) = field(n, FIELDS.condition)
            && let Some(positive) = sqlite_test(cond, text)
        {
            let in_consequence = field(n, FIELDS.consequence).map(|c| c.id()) == Some(child.id());
            let in_alternative = n.kind() == "if_statement"
                && matches!(child.kind(), "else_clause" | "elif_clause")
                && child.parent().map(|p| p.id()) == Some(n.id());
            if in_consequence || in_alternative {
                return if in_consequence == positive {
                    Branch::Sqlite
                } else {
                    Branch::Other
                };
            }
        }
        child = n;
    }
    Branch::None
}

/// Whether a condition tests for `sqlite`, and how: `Some(true)` when it holds for
/// SQLite (`"sqlite" in url`), `Some(false)` when negated (`not ...`, `not in`, `!=`),
/// `None` when it does not mention `sqlite`.
fn sqlite_test(cond: Node, text: &[u8]) -> Option<bool> {
    let at = memchr::memmem::find(node_text(cond, text), b"sqlite")? + cond.start_byte();
    let mut n = cond.descendant_for_byte_range(at, at + 6)?;
    let mut positive = true;
    loop {
        match n.kind() {
            "not_operator" => positive = !positive,
            "comparison_operator" => {
                let mut cursor = n.walk();
                let negated = n
                    .children(&mut cursor)
                    .any(|c| !c.is_named() && matches!(c.kind(), "not in" | "!=" | "is not"));
                if negated {
                    positive = !positive;
                }
            }
            _ => {}
        }
        if n.id() == cond.id() {
            return Some(positive);
        }
        n = n.parent()?;
    }
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}

/// An engine statement; `chain` holds its ancestors and, last, the statement itself.
fn engine_statement(
    root: Node,
    chain: &[Node],
    calls: &[(Node, Branch)],
    text: &[u8],
) -> EngineStatement {
    let stmt = chain[chain.len() - 1];
    let leaves = Leaves::of(stmt, text);
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
                guarded: branch == Branch::Sqlite,
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
pub fn line_start(text: &[u8], pos: usize) -> usize {
    text[..pos]
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |i| i + 1)
}

/// Walks up from a statement's line over lines that hold only a `#` comment.
fn comment_run_start(root: Node, text: &[u8], mut start: usize) -> usize {
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

/// A container (argument list or dictionary) and its items; `leaves` are those of
/// an enclosing node. An argument list's dictionary values become containers too
/// (`connect_args`); a dictionary's own values do not, so nesting never recurses
/// deeper than that, however deep the input nests.
fn container(node: Node, leaves: &Leaves) -> Container {
    container_at(node, leaves, node.kind() == "argument_list")
}

fn container_at(node: Node, leaves: &Leaves, with_dicts: bool) -> Container {
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

fn item(key: ItemKey, range: Range<usize>, value: Node, leaves: &Leaves, with_dict: bool) -> Item {
    let text = leaves.text;
    Item {
        range,
        key,
        value: value.start_byte()..value.end_byte(),
        norm: leaves.render(value, &[]),
        comma_end: None,
        dict: (with_dict && value.kind() == "dictionary")
            .then(|| Box::new(container_at(value, leaves, false))),
        sqlite_literal: string_literal(value, text).is_some_and(|s| s.starts_with(b"sqlite")),
    }
}

/// The content of a plain string literal (no interpolation, not bytes, no escapes
/// needed to read the start), or of the first part of an implicit concatenation.
pub fn string_literal<'a>(node: Node, text: &'a [u8]) -> Option<&'a [u8]> {
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

fn has_interpolation(node: Node) -> bool {
    let mut cursor = node.walk();
    node.children(&mut cursor)
        .any(|c| c.kind() == "interpolation")
}

/// A dictionary key: the content of a plain string key, else its tokens.
fn dict_key(node: Node, leaves: &Leaves) -> String {
    match string_literal(node, leaves.text) {
        Some(s) if node.kind() == "string" && !s.contains(&b'\\') => {
            String::from_utf8_lossy(s).into_owned()
        }
        _ => format!("\u{0}{}", leaves.render(node, &[])),
    }
}

fn pool_import(root: Node, node: Node, text: &[u8]) -> PoolImport {
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
struct Leaves<'a> {
    text: &'a [u8],
    /// Each token's bytes, in order (a zero-length one for a MISSING node).
    ranges: Vec<Range<usize>>,
    /// The nodes of the zero-length tokens, which a byte range cannot place.
    empty: Vec<usize>,
}

impl<'a> Leaves<'a> {
    fn of(node: Node, text: &'a [u8]) -> Leaves<'a> {
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
        }
    }

    /// The tokens of `node` (inside the walked one) joined as [`tokens`] joins them.
    fn render(&self, node: Node, holes: &[Range<usize>]) -> String {
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

#[cfg(test)]
mod tests {
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
                && tokens(name, src, &[]).replace(' ', "") == TARGETS.import_module
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
            TARGETS.import_module,
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
                for &n in all.iter().filter(|n| {
                    n.start_byte() >= stmt.start_byte() && n.end_byte() <= stmt.end_byte()
                }) {
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
        import_module: "sqlalchemy.pool",
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
            vec![sqlite, other, none]
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
        assert!(r.calls[0].args.items[0].sqlite_literal);
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
}
