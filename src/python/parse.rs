//! Parsing with tree-sitter-python: a whole text, or only the ranges that hold pool
//! code, within limits (indentation, size); and what CPython would reject besides.

use std::fmt;

use super::*;

/// Why a text was not scanned: a limit passed, or the parser would not run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScanError {
    /// Deeper indentation than the parser takes ([`MAX_INDENT_COLUMNS`]).
    IndentTooDeep,
    /// The grammar did not load.
    Grammar(String),
    /// The parse ranges were refused.
    BadRanges,
    /// The parser's work budget ran out.
    Budget { steps: usize },
    /// More places name the call or the module than the limit.
    Places {
        limit: usize,
        call: String,
        module: Option<String>,
    },
    /// More pool code to parse than the limit.
    Bytes { limit: usize },
    /// An engine call with more arguments or entries than the limit.
    Items { limit: usize },
}

impl fmt::Display for ScanError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ScanError::IndentTooDeep => {
                write!(f, "code indented by more than {MAX_INDENT_COLUMNS} columns")
            }
            ScanError::Grammar(e) => write!(f, "the Python grammar does not load: {e}"),
            ScanError::BadRanges => f.write_str("bad parse ranges"),
            ScanError::Budget { steps } => write!(
                f,
                "the parser's work budget ({steps} steps of 100 operations) ran out"
            ),
            ScanError::Places {
                limit,
                call,
                module: Some(module),
            } => write!(f, "more than {limit} places name {call} or {module}"),
            ScanError::Places {
                limit,
                call,
                module: None,
            } => write!(f, "more than {limit} places name {call}"),
            ScanError::Bytes { limit } => {
                write!(f, "more than {limit} bytes of pool code to parse")
            }
            ScanError::Items { limit } => {
                write!(
                    f,
                    "an engine call with more than {limit} arguments or entries"
                )
            }
        }
    }
}

/// Parses `text` (only `ranges` of it, when given) with the thread's parser, within
/// `max_ticks` of tree-sitter's progress ticks (one per 100 parser operations) when
/// given.
pub(super) fn with_parser(
    text: &[u8],
    ranges: &[tree_sitter::Range],
    max_ticks: Option<usize>,
) -> Result<Tree, ScanError> {
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
        return Err(ScanError::IndentTooDeep);
    }
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&LANGUAGE)
                .map_err(|e| ScanError::Grammar(e.to_string()))?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut().expect("set above");
        parser
            .set_included_ranges(ranges)
            .map_err(|_| ScanError::BadRanges)?;
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
                Err(ScanError::Budget { steps: limit })
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
pub(super) const MAX_INDENT_COLUMNS: usize = 300;

/// The widest indentation the Python scanner can compute in `text`, counted as it
/// counts (a space one column, a tab eight, a line continuation carrying on), over
/// every run of blanks: more than it ever sees, never less.
pub(super) fn widest_indent(text: &[u8]) -> usize {
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
    // A statement of the module that does not start its line's first column: CPython's
    // "unexpected indent", which tree-sitter's grammar lets through.
    let root = tree.root_node();
    let mut top = root.walk();
    let indented = |at: usize| {
        let start = super::line_start(text, at);
        start < at && text[start..at].iter().all(|&b| b == b' ' || b == b'\t')
    };
    if root
        .named_children(&mut top)
        .any(|c| c.kind() != "comment" && indented(c.start_byte()))
    {
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
pub(crate) fn scan_limited(
    text: &[u8],
    targets: &Targets,
    limits: &Limits,
) -> Result<Scan, ScanError> {
    scan_outside(text, targets, limits, &[])
}

/// Where the call's names (each with its places) and the pool module's name stand.
fn places(text: &[u8], targets: &Targets) -> (Vec<(String, Vec<usize>)>, Vec<usize>) {
    let mut hits = call_hits(text, targets);
    for (name, at) in &mut hits {
        at.retain(|&at| may_call(text, at, name.len()));
    }
    let modules: Vec<usize> = match targets.import_module {
        Some(module) => find_all(text, module_package(module))
            .into_iter()
            .filter(|&at| may_name_module(text, at, module))
            .collect(),
        None => Vec::new(),
    };
    (hits, modules)
}

/// Whether the call's or the module's name stands somewhere in `taken`: only then does
/// [`scan_outside`] differ from [`scan_limited`].
pub(crate) fn names_within(text: &[u8], targets: &Targets, taken: &[Range<usize>]) -> bool {
    let within = |at: &usize| taken.iter().any(|t| t.contains(at));
    let (hits, modules) = places(text, targets);
    hits.iter().flat_map(|(_, at)| at).any(within) || modules.iter().any(within)
}

/// [`scan_limited`] of what lies outside `taken` (another pin's regions): a name there
/// is not looked at, nor the code around it for its sake.
pub(crate) fn scan_outside(
    text: &[u8],
    targets: &Targets,
    limits: &Limits,
    taken: &[Range<usize>],
) -> Result<Scan, ScanError> {
    let outside = |at: usize| !taken.iter().any(|t| t.contains(&at));
    let (mut hits, mut modules) = places(text, targets);
    for (_, at) in &mut hits {
        at.retain(|&at| outside(at));
    }
    modules.retain(|&at| outside(at));
    let calls: Vec<usize> = hits.iter().flat_map(|(_, at)| at.iter().copied()).collect();
    if calls.len() + modules.len() > limits.places {
        return Err(ScanError::Places {
            limit: limits.places,
            call: targets.call.to_string(),
            module: targets.import_module.map(str::to_string),
        });
    }
    let offsets: Vec<usize> = calls.iter().chain(&modules).copied().collect();
    let ranges = chunks::chunks_holding(text, &offsets);
    if ranges.is_empty() {
        return Ok(Scan::default());
    }
    let bytes: usize = ranges.iter().map(std::iter::ExactSizeIterator::len).sum();
    if bytes > limits.parse_bytes {
        return Err(ScanError::Bytes {
            limit: limits.parse_bytes,
        });
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
        return Err(ScanError::Items {
            limit: limits.items,
        });
    }
    Ok(scan)
}

/// Parses only `ranges` of `text` (whole top-level statements), within `max_ticks` of
/// parser work; nodes keep their offsets in `text`.
pub(super) fn parse_ranges_within(
    text: &[u8],
    ranges: &[Range<usize>],
    max_ticks: Option<usize>,
) -> Result<Tree, ScanError> {
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
