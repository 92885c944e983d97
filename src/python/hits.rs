//! The byte search that runs before any parsing: where the call's name (or an alias)
//! is followed by a parenthesis and where the pool module is named.

use super::*;

/// Whether the byte may continue an identifier (any non-ASCII byte may).
pub(super) fn ident_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b >= 0x80
}

/// Skips what may separate two tokens of one logical line: blanks, line continuations
/// and, inside brackets, newlines.
pub(super) fn skip_blanks(text: &[u8], mut at: usize) -> usize {
    while at < text.len() && matches!(text[at], b' ' | b'\t' | b'\x0c' | b'\\' | b'\r' | b'\n') {
        at += 1;
    }
    at
}

/// Where each name the engine call goes by occurs in `text`: its own, the aliases
/// `targets` knows, and each alias an import in `text` gives it (found from the places
/// of its own name, searched once).
pub(super) fn call_hits(text: &[u8], targets: &Targets) -> Vec<(String, Vec<usize>)> {
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
pub(crate) fn call_aliases(text: &[u8], call: &str) -> Vec<String> {
    aliases_at(text, call, &find_all(text, call))
}

/// [`call_aliases`], from the places `at` where the call's name occurs.
pub(super) fn aliases_at(text: &[u8], call: &str, at: &[usize]) -> Vec<String> {
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
pub(super) fn in_from_import(text: &[u8], at: usize) -> bool {
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
pub(super) fn may_call(text: &[u8], at: usize, len: usize) -> bool {
    if at > 0 && ident_byte(text[at - 1]) {
        return false;
    }
    let next = skip_blanks(text, at + len);
    matches!(text.get(next), Some(b'(' | b'#'))
}

/// Whether the name at `at` may start the dotted module `module` (such as
/// `sqlalchemy.pool`, spaces and continuations allowed around the dots): the pool
/// import's module name. Never rejects one; the parse decides.
pub(super) fn may_name_module(text: &[u8], at: usize, module: &str) -> bool {
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
pub(super) fn module_package(module: &str) -> &str {
    module.split('.').next().unwrap_or(module)
}

/// Every start offset of `needle` in `haystack`.
pub(crate) fn find_all(haystack: &[u8], needle: &str) -> Vec<usize> {
    if needle.is_empty() {
        return Vec::new();
    }
    memchr::memmem::find_iter(haystack, needle.as_bytes()).collect()
}

/// Whether `haystack` contains `needle`.
pub fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    memchr::memmem::find(haystack, needle).is_some()
}
