//! Pool imports (`from sqlalchemy.pool import ...`): the imported names merge as sets
//! (each side's additions and removals kept), then the pin's name is added where the
//! file pins an engine and retired names go once nothing uses them. The fork's text
//! is kept byte for byte whenever the names come out the same.

use crate::merge::regions::Region;
use crate::policy::{Evidence, Side, fork_side};
use crate::python::{ImportedName, PoolImport};
use crate::region::edit::{eol_in, indent_at, indent_unit};

/// One version's import region.
#[derive(Debug, Clone, Copy)]
pub struct ImportSide<'a> {
    /// The whole file.
    pub text: &'a [u8],
    /// The region.
    pub region: &'a Region,
    /// The statement's syntax facts.
    pub import: &'a PoolImport,
}

/// One group of pool imports merged: the fork is the side whose import holds the
/// pin's name (the policy's rule; ours on a tie), and the names merge as sets with the
/// fork's first. Returns the fork's side and the names.
pub(crate) fn merge_group(
    base: Option<&PoolImport>,
    ours: Option<&PoolImport>,
    theirs: Option<&PoolImport>,
    pin_name: &str,
) -> (Side, Vec<ImportedName>) {
    let evidence = |i: Option<&PoolImport>| {
        let has = i.is_some_and(|i| i.names.iter().any(|n| n.name == pin_name));
        Evidence {
            whole: has,
            score: usize::from(has),
        }
    };
    let fork = fork_side(evidence(ours), evidence(theirs)).unwrap_or(Side::Ours);
    let (first, second) = match fork {
        Side::Ours => (ours, theirs),
        Side::Theirs => (theirs, ours),
    };
    (fork, merge_names(base, first, second))
}

/// Three-way merge of the imported names: a name stays unless one side removed it,
/// and a name either side added comes in. Order: `first`'s names, then the other's.
pub(crate) fn merge_names(
    base: Option<&PoolImport>,
    first: Option<&PoolImport>,
    second: Option<&PoolImport>,
) -> Vec<ImportedName> {
    let has = |i: Option<&PoolImport>, n: &ImportedName| i.is_some_and(|i| i.names.contains(n));
    let mut out: Vec<ImportedName> = Vec::new();
    for n in first
        .iter()
        .chain(second.iter())
        .flat_map(|i| i.names.iter())
    {
        if out.contains(n) {
            continue;
        }
        let in_base = has(base, n);
        let removed = in_base && (!has(first, n) || !has(second, n));
        if !removed {
            out.push(n.clone());
        }
    }
    out
}

/// Renders the import with `names`, on `side`'s text: verbatim when the names are the
/// side's own, else the side's statement with a new name list in its own style.
pub fn render(side: ImportSide, names: &[ImportedName]) -> Vec<u8> {
    let span = &side.text[side.region.span.clone()];
    if names == side.import.names.as_slice() {
        return span.to_vec();
    }
    let head = &side.text[side.region.line_start..side.import.names_start];
    let tail = &side.text[side.import.range.end..side.region.span.end];
    let rendered: Vec<String> = names.iter().map(ImportedName::render).collect();
    let mut out = head.to_vec();
    let multiline =
        side.import.parenthesized && side.text[side.import.range.clone()].contains(&b'\n');
    if multiline {
        let eol = eol_in(side.text, side.import.range.clone(), b"\n");
        let indent = indent_at(side.text, side.import.range.start);
        let step = indent_unit(side.text, indent);
        out.push(b'(');
        for n in &rendered {
            out.extend_from_slice(eol);
            out.extend_from_slice(indent);
            out.extend_from_slice(&step);
            out.extend_from_slice(n.as_bytes());
            out.push(b',');
        }
        out.extend_from_slice(eol);
        out.extend_from_slice(indent);
        out.push(b')');
    } else if side.import.parenthesized {
        out.push(b'(');
        out.extend_from_slice(rendered.join(", ").as_bytes());
        out.push(b')');
    } else {
        out.extend_from_slice(rendered.join(", ").as_bytes());
    }
    out.extend_from_slice(tail);
    out
}

/// The names of `names` that `text` does not use (see `name_used`).
pub fn unused(text: &[u8], names: &[String]) -> Vec<String> {
    names
        .iter()
        .filter(|n| !name_used(text, n))
        .cloned()
        .collect()
}

/// Removes the `retired` names from an import list; returns where the first of them
/// stood, so that a replacement can take its place.
pub(crate) fn remove_names(list: &mut Vec<ImportedName>, retired: &[String]) -> Option<usize> {
    let slot = list.iter().position(|n| retired.contains(&n.name));
    list.retain(|n| !retired.contains(&n.name));
    slot
}

/// Adds `name` to an import list at `slot` (the end when `None`).
pub(crate) fn insert_name(list: &mut Vec<ImportedName>, name: &str, slot: Option<usize>) {
    let at = slot.unwrap_or(list.len()).min(list.len());
    list.insert(
        at,
        ImportedName {
            name: name.to_string(),
            alias: None,
        },
    );
}

/// Whether code in `text` references `name`: a whole word outside comments and string
/// literals (a docstring or a comment that names `NullPool` is no use of it). An
/// f-string counts as code, since its braces may reference the name.
pub fn name_used(text: &[u8], name: &str) -> bool {
    first_use(text, name).is_some()
}

/// Where code in `text` first references `name` (see [`name_used`]).
pub(crate) fn first_use(text: &[u8], name: &str) -> Option<usize> {
    let name = name.as_bytes();
    if name.is_empty() || memchr::memmem::find(text, name).is_none() {
        return None;
    }
    let is_word = |b: u8| b.is_ascii_alphanumeric() || b == b'_';
    let word_at = |at: usize| {
        text[at..].starts_with(name)
            && !at.checked_sub(1).is_some_and(|j| is_word(text[j]))
            && !text.get(at + name.len()).copied().is_some_and(is_word)
    };
    let n = text.len();
    let mut i = 0;
    while i < n {
        match text[i] {
            b'#' => i = memchr::memchr(b'\n', &text[i..]).map_or(n, |p| i + p),
            quote @ (b'\'' | b'"') => {
                // The prefix letters right before the quote (r, b, u, f and pairs).
                let f_string = text[i.saturating_sub(2)..i]
                    .iter()
                    .rev()
                    .take_while(|b| b.is_ascii_alphabetic())
                    .any(|b| b.eq_ignore_ascii_case(&b'f'));
                let triple = text[i..].starts_with(&[quote, quote, quote]);
                let open = if triple { 3 } else { 1 };
                let mut j = i + open;
                let end = loop {
                    match text.get(j) {
                        None => break n,
                        Some(b'\\') => j += 2,
                        Some(b'\n') if !triple => break j,
                        Some(&c)
                            if c == quote
                                && (!triple || text[j..].starts_with(&[quote, quote, quote])) =>
                        {
                            break j + open;
                        }
                        Some(_) => j += 1,
                    }
                };
                let end = end.min(n);
                if f_string && let Some(at) = (i + open..end).find(|&at| word_at(at)) {
                    return Some(at);
                }
                i = end.max(i + 1);
            }
            _ => {
                if word_at(i) {
                    return Some(i);
                }
                i += 1;
            }
        }
    }
    None
}

/// The conflict blocks of `lines`: for each, the line indexes of its `<<<<<<<`, its
/// base marker (or separator, in merge style), its `=======` and its `>>>>>>>`.
fn block_lines(lines: &[&[u8]], markers: &crate::conflict::Markers) -> Vec<[usize; 4]> {
    let (open, base, sep, close) = (
        markers.open_line(),
        markers.base_line(),
        markers.separator_line(),
        markers.close_line(),
    );
    let body = |l: &[u8]| -> Vec<u8> {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        l.strip_suffix(b"\r").unwrap_or(l).to_vec()
    };
    let mut blocks: Vec<[usize; 4]> = Vec::new();
    let mut current: Option<[usize; 4]> = None;
    for (i, l) in lines.iter().enumerate() {
        let b = body(l);
        match current.as_mut() {
            None if b == open => current = Some([i, usize::MAX, usize::MAX, usize::MAX]),
            Some(c) if c[1] == usize::MAX && b == base => c[1] = i,
            Some(c) if c[2] == usize::MAX && b == sep => {
                if c[1] == usize::MAX {
                    c[1] = i;
                }
                c[2] = i;
            }
            Some(c) if c[2] != usize::MAX && b == close => {
                c[3] = i;
                blocks.push(*c);
                current = None;
            }
            _ => {}
        }
    }
    blocks
}

/// Where the file with ours (or theirs) taken in every conflict block uses `name` but
/// does not import it, while the other side imports it inside a block (the fork's
/// import in a hunk upstream deleted around), that import line moves out, before the
/// block, so that whichever side the user takes imports what it uses. A block left with
/// the same text on both sides is resolved.
/// Returns the new text and how many blocks were resolved; `None` when nothing moves.
// Long on purpose: one rule (move the import a side needs out of its block) over the
// block's line indexes, which every step reads.
pub(crate) fn lift_out_of_blocks(
    text: &[u8],
    module: &str,
    name: &str,
    markers: &crate::conflict::Markers,
) -> Option<(Vec<u8>, usize)> {
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let body = |l: &[u8]| -> Vec<u8> {
        let l = l.strip_suffix(b"\n").unwrap_or(l);
        l.strip_suffix(b"\r").unwrap_or(l).to_vec()
    };
    let blocks = block_lines(&lines, markers);
    if blocks.is_empty() {
        return None;
    }
    let is_import = |l: &[u8]| {
        let b = body(l);
        let t = b.trim_ascii_start();
        t.len() == b.len()
            && t.strip_prefix(format!("from {module} import ").as_bytes())
                .is_some_and(|rest| !rest.contains(&b'(') && name_used_in_list(rest, name))
    };
    let inside = |i: usize| blocks.iter().any(|b| i >= b[0] && i <= b[3]);
    // The lines of the file with ours (or theirs) taken in every block.
    let side = |ours: bool| -> Vec<u8> {
        let mut out = Vec::new();
        let mut at = 0;
        for b in &blocks {
            let kept = if ours { b[0] + 1..b[1] } else { b[2] + 1..b[3] };
            for l in lines[at..b[0]].iter().chain(&lines[kept]) {
                out.extend_from_slice(l);
            }
            at = b[3] + 1;
        }
        for l in &lines[at..] {
            out.extend_from_slice(l);
        }
        out
    };
    let needs = |text: &[u8]| name_used(text, name) && !imports_name(text, module, name);
    if lines
        .iter()
        .enumerate()
        .any(|(i, l)| !inside(i) && is_import(l))
        || !(needs(&side(true)) || needs(&side(false)))
    {
        return None;
    }
    // The first block with the import on one of its sides.
    let block = *blocks.iter().find(|b| {
        (b[0] + 1..b[1])
            .chain(b[2] + 1..b[3])
            .any(|i| is_import(lines[i]))
    })?;
    let ours: Vec<usize> = (block[0] + 1..block[1]).collect();
    let theirs: Vec<usize> = (block[2] + 1..block[3]).collect();
    let moved = ours
        .iter()
        .chain(&theirs)
        .copied()
        .find(|&i| is_import(lines[i]))?;
    let line = lines[moved];
    let keep = |side: &[usize]| -> Vec<usize> {
        let mut removed = false;
        side.iter()
            .copied()
            .filter(|&i| {
                let drop = !removed && lines[i] == line;
                removed |= drop;
                !drop
            })
            .collect()
    };
    let (ours, theirs) = (keep(&ours), keep(&theirs));
    let text_of = |side: &[usize]| -> Vec<u8> {
        side.iter()
            .flat_map(|&i| lines[i].iter().copied())
            .collect()
    };
    let mut out = Vec::with_capacity(text.len());
    for l in &lines[..block[0]] {
        out.extend_from_slice(l);
    }
    out.extend_from_slice(line);
    let resolved = text_of(&ours) == text_of(&theirs);
    if resolved {
        out.extend(text_of(&ours));
    } else {
        out.extend_from_slice(lines[block[0]]);
        out.extend(text_of(&ours));
        for l in &lines[block[1]..=block[2]] {
            out.extend_from_slice(l);
        }
        out.extend(text_of(&theirs));
        out.extend_from_slice(lines[block[3]]);
    }
    for l in &lines[block[3] + 1..] {
        out.extend_from_slice(l);
    }
    Some((out, usize::from(resolved)))
}

/// Whether a text has a top-level `from MODULE import ...` (on one line or in
/// parentheses) that binds `name`.
pub(crate) fn imports_name(text: &[u8], module: &str, name: &str) -> bool {
    let head = format!("from {module} import ");
    // A byte-order mark opens the first line, not its code.
    let text = text.strip_prefix(b"\xef\xbb\xbf").unwrap_or(text);
    let line_end =
        |from: usize| memchr::memchr(b'\n', &text[from..]).map_or(text.len(), |e| from + e);
    // Each line's names, without its comment.
    let code = |l: &[u8]| l[..l.iter().position(|&b| b == b'#').unwrap_or(l.len())].to_vec();
    // Only the lines that start with the head are read (a search, not a split of the
    // whole text into lines); a parenthesised list's lines are taken with its first.
    let mut resume = 0;
    for at in memchr::memmem::find_iter(text, head.as_bytes()) {
        if at < resume || (at > 0 && text[at - 1] != b'\n') {
            continue;
        }
        let mut end = line_end(at);
        let mut list = code(&text[at + head.len()..end]);
        if let Some(open) = list.trim_ascii_start().strip_prefix(b"(") {
            list = open.to_vec();
            while !list.contains(&b')') && end < text.len() {
                let next = end + 1;
                end = line_end(next);
                list.push(b',');
                list.extend(code(&text[next..end]));
            }
            list.retain(|&b| b != b')');
        }
        if name_used_in_list(&list, name) {
            return true;
        }
        resume = end;
    }
    false
}

/// Whether an import list (`A, B as C`) binds `name`.
fn name_used_in_list(list: &[u8], name: &str) -> bool {
    String::from_utf8_lossy(list).split(',').any(|item| {
        let mut words = item.split_whitespace();
        match (words.next(), words.next(), words.next()) {
            (Some(n), None, None) => n == name,
            (Some(_), Some("as"), Some(alias)) => alias == name,
            _ => false,
        }
    })
}

/// UTF-8's byte-order mark.
const BOM: &[u8] = b"\xef\xbb\xbf";

/// Where a new line importing `name` from `module` goes: after the last top-level
/// import of the module's package, else after the last top-level import, else at the
/// top (after a byte-order mark, a shebang or an encoding line). Returns a byte offset
/// at a line start.
///
/// The import binds `name` before code uses it: only imports that end before the
/// top-level statement of its first use count, and where none does, the line goes
/// right before that statement.
pub(crate) fn insertion_point(text: &[u8], module: &str, name: &str) -> usize {
    let package = module.split('.').next().unwrap_or(module);
    let limit = first_use(text, name).map(|at| top_level_start(text, at));
    let mut best_package = None;
    let mut best_any = None;
    let mut pos = 0;
    let lines: Vec<&[u8]> = text.split_inclusive(|&b| b == b'\n').collect();
    let mut i = 0;
    while i < lines.len() {
        let line = lines[i];
        pos += line.len();
        // A byte-order mark opens the first line; the import goes after it.
        let line = if i == 0 {
            line.strip_prefix(BOM).unwrap_or(line)
        } else {
            line
        };
        i += 1;
        let is_import = line.starts_with(b"import ") || line.starts_with(b"from ");
        if !is_import {
            continue;
        }
        // Follow a parenthesised or backslash-continued import to its end.
        let mut depth = bracket_depth(line);
        let mut cont = line.trim_ascii_end().ends_with(b"\\");
        while (depth > 0 || cont) && i < lines.len() {
            depth += bracket_depth(lines[i]);
            cont = lines[i].trim_ascii_end().ends_with(b"\\");
            pos += lines[i].len();
            i += 1;
        }
        if !text[..pos].ends_with(b"\n") {
            continue;
        }
        if limit.is_some_and(|l| pos > l) {
            break;
        }
        let word = package.as_bytes();
        let rest = line.splitn(2, |&b| b == b' ').nth(1).unwrap_or_default();
        if rest.starts_with(word)
            && rest
                .get(word.len())
                .is_none_or(|&b| b == b'.' || b == b' ' || b == b'\n' || b == b'\r')
        {
            best_package = Some(pos);
        }
        best_any = Some(pos);
    }
    if let Some(p) = best_package.or(best_any) {
        return p;
    }
    // No import before the first use: right before its statement, unless that is the
    // file's first line (then after a shebang or an encoding line, as below).
    if let Some(l) = limit.filter(|&l| l > 0) {
        return l;
    }
    let mut p = if text.starts_with(BOM) { BOM.len() } else { 0 };
    for line in lines.iter().take(2) {
        let line = line.strip_prefix(BOM).unwrap_or(line);
        if line.starts_with(b"#!")
            || (line.starts_with(b"#") && line.windows(6).any(|w| w == b"coding"))
        {
            p += line.len();
        } else {
            break;
        }
    }
    p
}

/// The start of the line of the top-level statement holding byte `at` (as the parse
/// sees it, strings and brackets included); `at`'s own line where the text does not
/// parse.
fn top_level_start(text: &[u8], at: usize) -> usize {
    let statement = crate::python::parse(text).and_then(|tree| {
        let root = tree.root_node();
        let mut cursor = root.walk();
        root.children(&mut cursor)
            .find(|c| c.start_byte() <= at && at < c.end_byte())
            .map(|c| c.start_byte())
    });
    crate::python::line_start(text, statement.unwrap_or(at))
}

/// Where a module-level import that the line merge dropped goes back: after the line
/// that stood before it in its own version, or before the line that stood after it,
/// found in `out` outside any top-level statement (never inside an `if` whose lines
/// look alike). `None` when neither neighbour is there.
pub(crate) fn near_neighbour(out: &[u8], text: &[u8], region: &Region) -> Option<usize> {
    let trim = |l: &[u8]| -> Vec<u8> { l.strip_suffix(b"\r").unwrap_or(l).to_vec() };
    let lines: Vec<(usize, &[u8])> = {
        let mut pos = 0;
        out.split_inclusive(|&b| b == b'\n')
            .map(|l| {
                let start = pos;
                pos += l.len();
                (start, l)
            })
            .collect()
    };
    // The top-level statements, which a line inside cannot take an import; where `out`
    // does not parse cleanly (a conflict block), none.
    let statements: Vec<(usize, usize)> = crate::python::parse(out)
        .filter(|tree| !tree.root_node().has_error())
        .map(|tree| {
            let root = tree.root_node();
            let mut cursor = root.walk();
            root.children(&mut cursor)
                .map(|c| (c.start_byte(), c.end_byte()))
                .collect()
        })
        .unwrap_or_default();
    let top_level = |at: usize| !statements.iter().any(|&(s, e)| s < at && at < e);
    let body = |l: &[u8]| trim(l.strip_suffix(b"\n").unwrap_or(l));
    // The lines of `text` before the region, nearest first: a line of `out` that
    // equals the nearest is the neighbour; where several do (a `)` closing two
    // imports), the one whose own earlier lines go on matching longest.
    let before: Vec<Vec<u8>> = text[..region.span.start]
        .split_inclusive(|&b| b == b'\n')
        .rev()
        .take(8)
        .map(body)
        .collect();
    if let Some(prev) = before.first()
        && !prev.iter().all(u8::is_ascii_whitespace)
    {
        let agreeing = |i: usize| {
            (1..before.len())
                .take_while(|&k| i >= k && body(lines[i - k].1) == before[k])
                .count()
        };
        let best = lines
            .iter()
            .enumerate()
            .filter(|(_, (start, l))| {
                body(l) == *prev && l.ends_with(b"\n") && top_level(start + l.len())
            })
            .map(|(i, &(start, l))| (agreeing(i), std::cmp::Reverse(start), start + l.len()))
            .max();
        if let Some((_, _, at)) = best {
            return Some(at);
        }
    }
    let after = region.eol.end;
    if after < text.len() {
        let end = text[after..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(text.len(), |i| after + i + 1);
        let next = body(&text[after..end]);
        if !next.iter().all(u8::is_ascii_whitespace)
            && let Some((start, _)) = lines
                .iter()
                .find(|(start, l)| body(l) == next && top_level(*start))
        {
            return Some(*start);
        }
    }
    None
}

fn bracket_depth(line: &[u8]) -> i32 {
    let mut d = 0;
    for &b in line {
        match b {
            b'(' => d += 1,
            b')' => d -= 1,
            b'#' => break,
            _ => {}
        }
    }
    d
}

#[cfg(test)]
mod tests;
