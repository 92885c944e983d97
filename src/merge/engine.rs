//! Merging one engine region: the comment run above the statement, the statement
//! around the call (target, callee, indentation), and the call's arguments keyword by
//! keyword, with the pin enforced on top.
//!
//! "The fork" is the side whose region carries the pin (decided by content, so the same
//! merge gives the same file during a rebase, where git swaps the sides). Whenever the
//! result is semantically the fork's statement, the fork's text is used byte for byte;
//! otherwise upstream's changes are spliced into the fork's text.

use crate::config::When;
use crate::conflict::Markers;
use crate::merge::edit::{
    Edit, edit_container, eol_in, indent_at, indent_unit, line_eol, one_a_line, one_item_a_line,
    reindent,
};
use crate::merge::line::LineMerge;
use crate::merge::pin::{Pin, PinValue};
use crate::merge::regions::Region;
use crate::merge::{Decision, Outcome, Side};
use crate::python::{self, Call, Container, EngineStatement, Item, ItemKey};

/// One version's engine region.
#[derive(Debug, Clone, Copy)]
pub struct EngineSide<'a> {
    /// The whole file.
    pub text: &'a [u8],
    /// The region.
    pub region: &'a Region,
    /// The statement's syntax facts.
    pub stmt: &'a EngineStatement,
}

impl<'a> EngineSide<'a> {
    /// The comment lines above the statement, without ends of line.
    fn comments(&self) -> Vec<&'a [u8]> {
        let block = &self.text[self.region.span.start..self.region.line_start];
        if block.is_empty() {
            return Vec::new();
        }
        let block = block.strip_suffix(b"\n").unwrap_or(block);
        block
            .split(|&b| b == b'\n')
            .map(|l| l.strip_suffix(b"\r").unwrap_or(l))
            .collect()
    }

    /// From the statement's line start to the statement.
    fn prefix(&self) -> &'a [u8] {
        &self.text[self.region.line_start..self.stmt.range.start]
    }

    /// From the statement's end to the end of its last line.
    fn suffix(&self) -> &'a [u8] {
        &self.text[self.stmt.range.end..self.region.span.end]
    }

    /// The statement's whole lines: prefix, statement, suffix.
    fn lines(&self) -> &'a [u8] {
        &self.text[self.region.line_start..self.region.span.end]
    }

    /// The statement line's indentation.
    fn indent(&self) -> &'a [u8] {
        indent_at(self.text, self.stmt.range.start)
    }

    /// The end of line the region uses.
    fn eol(&self) -> &'a [u8] {
        let after = &self.text[self.region.eol.clone()];
        let default: &'static [u8] = if after == b"\r\n" { b"\r\n" } else { b"\n" };
        eol_in(self.text, self.region.span.clone(), default)
    }

    /// Whether every call of the statement carries the whole pin.
    fn carries(&self, pin: &Pin) -> bool {
        self.stmt.calls.iter().all(|c| pin.carries(&c.args))
    }

    /// How many pin items the statement's calls carry.
    fn score(&self, pin: &Pin) -> usize {
        self.stmt.calls.iter().map(|c| pin.score(&c.args)).sum()
    }

    /// A short name for messages.
    fn name(&self, pin: &Pin) -> String {
        statement_name(self.stmt, pin)
    }
}

/// A short name for an engine statement in messages: its target, or the call, and
/// where it is.
pub fn statement_name(stmt: &EngineStatement, pin: &Pin) -> String {
    // Engines are what the built-in pin is about; other pins name their call.
    let noun = if pin.call == "create_engine" {
        "engine"
    } else {
        pin.call.as_str()
    };
    let what = match stmt.target.as_str() {
        "" => format!("{noun} call"),
        "return" => format!("returned {noun}"),
        target => format!("{noun} {target}"),
    };
    if stmt.scope.is_empty() {
        what
    } else {
        format!("{what} in {}", stmt.scope)
    }
}

/// What the engine needs besides the three regions.
pub struct Ctx<'a> {
    /// The pin.
    pub pin: &'a Pin,
    /// Conflict markers for region conflicts.
    pub markers: &'a Markers,
    /// The line merge, for comment runs both sides edited.
    pub line: &'a dyn LineMerge,
    /// The fork's side when the regions themselves do not tell (file-level pin).
    pub fork_default: Side,
    /// Later pins of the profile for the same call: a statement this pin merges may
    /// hold calls only they apply to (a server engine in a dict of SQLite engines).
    pub beside: &'a [Pin],
}

impl<'a> Ctx<'a> {
    fn pins(&self) -> Pins<'a> {
        Pins {
            pin: self.pin,
            beside: self.beside,
        }
    }
}

/// The pin of a merge and the later pins for the same call.
#[derive(Clone, Copy)]
struct Pins<'a> {
    pin: &'a Pin,
    beside: &'a [Pin],
}

impl<'a> Pins<'a> {
    /// The pin for a call (seen in one or more versions): the merge's own, unless it
    /// neither applies to nor marks the call while a later pin does.
    fn for_calls(&self, calls: &[&Call]) -> &'a Pin {
        let takes = |p: &Pin| calls.iter().any(|c| p.applies(c) || p.is_pinned(&c.args));
        if takes(self.pin) {
            return self.pin;
        }
        self.beside.iter().find(|p| takes(p)).unwrap_or(self.pin)
    }
}

/// The merge of one region.
#[derive(Debug, Clone)]
pub struct RegionMerge {
    /// The merged region (without final end of line); conflict blocks included.
    pub text: Vec<u8>,
    /// Whether `text` holds a conflict block.
    pub conflict: bool,
    /// Whether the result carries the pin (so the file must import it).
    pub pinned: bool,
    /// Ours' region with the pin applied where it can be, for conflict sections.
    pub ours: Vec<u8>,
    /// Theirs' region with the pin applied where it can be, for conflict sections.
    pub theirs: Vec<u8>,
    /// What was decided.
    pub decision: Decision,
}

/// Which of the two sides, in fork terms.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    Fork,
    Upstream,
}

/// A call of one version.
#[derive(Clone, Copy)]
struct CallIn<'a> {
    text: &'a [u8],
    call: &'a Call,
}

/// The merge of one call's arguments.
struct CallOut {
    /// The new argument list text.
    args: Vec<u8>,
    /// Whose text it was built on (its indentation is that side's).
    from: Who,
    /// Whether the result carries the pin.
    pinned: bool,
    /// Why the pin could not be applied to a call that needs it.
    blocked: Option<String>,
    /// Keywords both sides changed differently.
    conflicts: Vec<String>,
    /// What came from upstream.
    from_upstream: Vec<String>,
    /// Warnings.
    notes: Vec<String>,
}

/// How one key merges, before the pin.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pick {
    Fork,
    Upstream,
    Conflict,
}

/// The three-way pick for one key from the three values' tokens.
fn pick(b: Option<&str>, f: Option<&str>, u: Option<&str>) -> Pick {
    if f == u || u == b {
        Pick::Fork
    } else if f == b {
        Pick::Upstream
    } else {
        Pick::Conflict
    }
}

/// A key's item in the base, the fork and upstream, and its three-way pick.
type KeyPick<'a> = (
    ItemKey,
    Option<&'a Item>,
    Option<&'a Item>,
    Option<&'a Item>,
    Pick,
);

/// The item a pick takes (`None`: the key is absent), `prefer` settling a conflict.
fn chosen_item<'a>(
    p: Pick,
    prefer: Who,
    fi: Option<&'a Item>,
    ui: Option<&'a Item>,
) -> Option<(Who, &'a Item)> {
    match (p, prefer) {
        (Pick::Fork, _) | (Pick::Conflict, Who::Fork) => fi.map(|i| (Who::Fork, i)),
        (Pick::Upstream, _) | (Pick::Conflict, Who::Upstream) => ui.map(|i| (Who::Upstream, i)),
    }
}

fn find<'a>(c: &'a Container, key: &ItemKey) -> Option<(usize, &'a Item)> {
    c.items.iter().enumerate().find(|(_, i)| &i.key == key)
}

/// Keys of the fork's container, then upstream's new ones, then the base's leftovers.
fn union_keys(b: Option<&Container>, f: &Container, u: &Container) -> Vec<ItemKey> {
    let mut keys: Vec<ItemKey> = Vec::new();
    for c in [Some(f), Some(u), b].into_iter().flatten() {
        for i in &c.items {
            if !keys.contains(&i.key) {
                keys.push(i.key.clone());
            }
        }
    }
    keys
}

/// What a key becomes.
enum Choice<'a> {
    Absent,
    Item(Who, &'a Item),
    Text(Vec<u8>),
}

/// Edits that turn `source` into the chosen items.
fn edits_for<'t>(
    source: &Container,
    source_text: &[u8],
    choices: &[(ItemKey, Choice)],
    text_of: &dyn Fn(Who) -> &'t [u8],
    render_new: &dyn Fn(&ItemKey, &[u8]) -> Vec<u8>,
) -> Vec<Edit> {
    let mut edits = Vec::new();
    for (key, choice) in choices {
        let src = find(source, key);
        match (choice, src) {
            (Choice::Absent, Some((idx, _))) => edits.push(Edit::Remove { item: idx }),
            (Choice::Absent, None) => {}
            (Choice::Item(w, it), Some((idx, s))) => {
                if s.norm != it.norm {
                    edits.push(Edit::Replace {
                        item: idx,
                        value: text_of(*w)[it.value.clone()].to_vec(),
                    });
                }
            }
            (Choice::Item(w, it), None) => edits.push(Edit::Append {
                text: text_of(*w)[it.range.clone()].to_vec(),
                positional: matches!(key, ItemKey::Positional(_)),
            }),
            (Choice::Text(v), Some((idx, s))) => {
                if source_text[s.value.clone()] != v[..] {
                    edits.push(Edit::Replace {
                        item: idx,
                        value: v.clone(),
                    });
                }
                // A repeated dictionary key: the last one wins in Python, so the pinned
                // value must be the only one.
                for (other, item) in source.items.iter().enumerate().skip(idx + 1) {
                    if item.key == *key {
                        edits.push(Edit::Remove { item: other });
                    }
                }
            }
            (Choice::Text(v), None) => edits.push(Edit::Append {
                text: render_new(key, v),
                positional: false,
            }),
        }
    }
    edits
}

/// A dictionary key written in `quote`.
fn quote_key(key: &str, quote: u8) -> String {
    let q = quote as char;
    format!("{q}{key}{q}")
}

/// The quote the code around uses for string keys: that of the dictionary's own string
/// keys, else the file's more frequent one (double on a tie).
fn quote_for(text: &[u8], dict: Option<&Container>) -> u8 {
    let own = dict.and_then(|d| {
        d.items
            .iter()
            .filter(|i| matches!(i.key, ItemKey::Entry(_)))
            .find_map(|i| {
                text.get(i.range.start)
                    .copied()
                    .filter(|&c| c == b'\'' || c == b'"')
            })
    });
    own.unwrap_or_else(|| {
        // Quotes in code, not in comments, and not an apostrophe between letters.
        let (mut single, mut double) = (0usize, 0usize);
        for line in text.split(|&b| b == b'\n') {
            let code = line
                .iter()
                .position(|&b| b == b'#')
                .map_or(line, |i| &line[..i]);
            for (i, &c) in code.iter().enumerate() {
                let word = |j: Option<usize>| {
                    j.and_then(|j| code.get(j))
                        .is_some_and(u8::is_ascii_alphanumeric)
                };
                if c == b'\'' && !(word(i.checked_sub(1)) && word(Some(i + 1))) {
                    single += 1;
                } else if c == b'"' {
                    double += 1;
                }
            }
        }
        if single > double { b'\'' } else { b'"' }
    })
}

/// Merges one call's arguments. `prefer` settles keys both sides changed differently
/// (the caller renders both preferences as a conflict). `best_effort` is for a single
/// side (B = F = U): apply what of the pin can be applied, never report a conflict.
fn merge_call(
    b: Option<CallIn>,
    f: CallIn,
    u: CallIn,
    pin: &Pin,
    prefer: Who,
    best_effort: bool,
) -> Result<CallOut, String> {
    let (fa, ua) = (&f.call.args, &u.call.args);
    let ba = b.map(|b| &b.call.args);
    let source_who = match b {
        Some(b) if f.text[fa.range.clone()] == b.text[b.call.args.range.clone()] => Who::Upstream,
        _ => Who::Fork,
    };
    let text_of = |w: Who| match w {
        Who::Fork => f.text,
        Who::Upstream => u.text,
    };
    let keys = union_keys(ba, fa, ua);
    let mut conflicts = Vec::new();
    let mut from_upstream = Vec::new();
    let mut notes = Vec::new();

    // The plain three-way choice for every key.
    let mut picks: Vec<KeyPick> = Vec::new();
    for key in keys {
        let bi = ba.and_then(|c| find(c, &key)).map(|x| x.1);
        let fi = find(fa, &key).map(|x| x.1);
        let ui = find(ua, &key).map(|x| x.1);
        let p = pick(
            bi.map(|i| i.norm.as_str()),
            fi.map(|i| i.norm.as_str()),
            ui.map(|i| i.norm.as_str()),
        );
        picks.push((key, bi, fi, ui, p));
    }
    let chosen = |p, fi, ui| chosen_item(p, prefer, fi, ui);

    // Does the merged call get the pin?
    let mut server = Vec::new();
    let mut evidence = f.call.guarded || u.call.guarded;
    let mut splat = false;
    let mut server_url = false;
    for (key, _, fi, ui, p) in &picks {
        // Where the sides disagree, both count: whether the call is pinned must not
        // depend on which side a conflict block shows first.
        let candidates = if *p == Pick::Conflict {
            [*fi, *ui]
        } else {
            [chosen(*p, *fi, *ui).map(|(_, i)| i), None]
        };
        for item in candidates.into_iter().flatten() {
            match key {
                ItemKey::Keyword(k) if pin.server_keywords.contains(k) => server.push(k.clone()),
                ItemKey::Keyword(k) if k == "connect_args" => {
                    evidence |= item.norm.contains("check_same_thread");
                }
                ItemKey::Positional(0) => {
                    evidence |= item.sqlite_literal;
                    server_url |= crate::merge::pin::is_server_url(item);
                }
                ItemKey::Splat(_) => splat = true,
                _ => {}
            }
        }
    }
    server.dedup();
    let fork_pinned = pin.is_pinned(fa);
    let mut pinning = fork_pinned
        || match pin.when {
            When::Sqlite => server.is_empty() && evidence,
            When::Server => !server.is_empty() || (server_url && !evidence),
            When::Always => true,
        };
    if pin.when == When::Sqlite && pinning && !server.is_empty() {
        if fork_pinned && !best_effort {
            return Err(format!(
                "upstream gives the pinned call a server pool ({})",
                server.join(", ")
            ));
        }
        pinning = false;
    }
    if pinning
        && !best_effort
        && let Some(pool_keyword) = &pin.pool_keyword
    {
        let pool = ItemKey::Keyword(pool_keyword.clone());
        if let Some((_, bi, _, ui, _)) = picks.iter().find(|p| p.0 == pool)
            && let Some(ui) = ui
            && bi.map(|i| &i.norm) != Some(&ui.norm)
            && !pin.is_replaceable_pool(&ui.norm)
        {
            return Err(format!(
                "upstream sets its own pool class ({pool_keyword}={})",
                ui.norm
            ));
        }
    }

    let source = match source_who {
        Who::Fork => f,
        Who::Upstream => u,
    };
    let per_line = one_item_a_line(source.text, &source.call.args);
    // The items' indentation, read only where the call holds one item a line (a new
    // dictionary is laid out like its siblings there, inline otherwise).
    let item_indent: Vec<u8> = match source.call.args.items.last() {
        Some(last) if per_line => indent_at(source.text, last.range.start).to_vec(),
        _ => Vec::new(),
    };
    // A call on one line takes the end of line of the line it stands on.
    let eol = eol_in(
        source.text,
        source.call.args.range.clone(),
        line_eol(source.text, source.call.args.range.end),
    );

    let mut choices: Vec<(ItemKey, Choice)> = Vec::new();
    let mut unpinnable = false;
    for (key, bi, fi, ui, p) in &picks {
        let pinned = match key {
            ItemKey::Keyword(k) if pinning => pin.keyword(k),
            _ => None,
        };
        if *p == Pick::Conflict && pinned.is_none() {
            conflicts.push(key.describe());
        }
        let plain = chosen(*p, *fi, *ui);
        if pinned.is_none()
            && let Some((Who::Upstream, _)) = plain
            && *p != Pick::Conflict
        {
            from_upstream.push(key.describe());
        }
        if pinned.is_none() && plain.is_none() && fi.is_some() {
            from_upstream.push(format!("removed {}", key.describe()));
        }
        let choice = match pinned.map(|k| &k.value) {
            None => match plain {
                Some((w, it)) => Choice::Item(w, it),
                None => Choice::Absent,
            },
            Some(PinValue::Expr(e)) => Choice::Text(e.clone().into_bytes()),
            Some(PinValue::Dict(entries)) => {
                match pinned_dict(
                    *bi,
                    *fi,
                    *ui,
                    f,
                    u,
                    *p,
                    entries,
                    prefer,
                    &item_indent,
                    per_line,
                    eol,
                ) {
                    DictOut::Text(t, mut c, up) => {
                        conflicts.append(&mut c);
                        if up {
                            from_upstream.push(format!("{} entries", key.describe()));
                        }
                        Choice::Text(t)
                    }
                    DictOut::NotLiteral(w, it) => {
                        unpinnable = true;
                        Choice::Item(w, it)
                    }
                }
            }
        };
        choices.push((key.clone(), choice));
    }
    // Pinned keywords no version has yet.
    if pinning {
        for kw in &pin.keywords {
            let key = ItemKey::Keyword(kw.name.clone());
            if choices.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let text = match &kw.value {
                PinValue::Expr(e) => e.clone().into_bytes(),
                PinValue::Dict(entries) => {
                    fresh_dict(entries, source.text, &item_indent, per_line, eol)
                }
            };
            choices.push((key, Choice::Text(text)));
        }
    }
    // A `**splat` could bring `connect_args` of its own, which the pin would then pass
    // twice; beside a literal `connect_args` it cannot (Python rejects the call), so
    // there the pin applies.
    let literal_connect_args = [fa, ua]
        .iter()
        .any(|a| crate::merge::pin::keyword(a, "connect_args").is_some_and(|i| i.dict.is_some()));
    if pinning && splat && !literal_connect_args {
        unpinnable = true;
    }

    let render_new = |key: &ItemKey, value: &[u8]| -> Vec<u8> {
        match key {
            ItemKey::Keyword(k) => [k.as_bytes(), b"=", value].concat(),
            _ => value.to_vec(),
        }
    };
    let edits = edits_for(
        &source.call.args,
        source.text,
        &choices,
        &text_of,
        &render_new,
    );
    let mut blocked = None;
    if unpinnable {
        let what = if splat {
            "the call passes **keywords"
        } else {
            "connect_args is not a dict literal"
        };
        let keeps_fork_text = source_who == Who::Fork && edits.is_empty();
        if !(best_effort || keeps_fork_text) {
            return Err(format!("cannot apply the pin: {what}"));
        }
        notes.push(format!("cannot verify the pin: {what}"));
        blocked = Some(what.to_string());
    }
    let mut args = edit_container(source.text, &source.call.args, &edits, eol);
    let first_time = pinning && !pin.is_pinned(fa) && !pin.is_pinned(ua);
    if first_time && !unpinnable && !source.call.args.has_comments {
        let call_indent = indent_at(source.text, source.call.range.start);
        let step = indent_unit(source.text, call_indent);
        if let Some(fresh) = fresh_layout(&args, pin, call_indent, &step, eol) {
            args = fresh;
        }
    }
    Ok(CallOut {
        args,
        from: source_who,
        pinned: pinning && !unpinnable,
        blocked,
        conflicts,
        from_upstream,
        notes,
    })
}

/// The pinned dictionary keyword's new value.
enum DictOut<'a> {
    /// Rendered text, entries both sides changed differently, whether upstream's
    /// entries were taken.
    Text(Vec<u8>, Vec<String>, bool),
    /// The chosen value is not a dictionary literal: keep it as it is.
    NotLiteral(Who, &'a Item),
}

#[allow(clippy::too_many_arguments)] // One call site; the arguments are the merge's state.
fn pinned_dict<'a>(
    bi: Option<&'a Item>,
    fi: Option<&'a Item>,
    ui: Option<&'a Item>,
    f: CallIn<'a>,
    u: CallIn<'a>,
    p: Pick,
    entries: &[(String, String)],
    prefer: Who,
    item_indent: &[u8],
    per_line: bool,
    eol: &[u8],
) -> DictOut<'a> {
    let text_of = |w: Who| match w {
        Who::Fork => f.text,
        Who::Upstream => u.text,
    };
    let pin_entries = |w: Who, item: &Item, dict: &Container| -> Vec<u8> {
        let choices: Vec<(ItemKey, Choice)> = entries
            .iter()
            .map(|(k, v)| {
                (
                    ItemKey::Entry(k.clone()),
                    Choice::Text(v.clone().into_bytes()),
                )
            })
            .collect();
        let quote = quote_for(text_of(w), Some(dict));
        let render = |key: &ItemKey, value: &[u8]| match key {
            ItemKey::Entry(k) => [quote_key(k, quote).as_bytes(), b": ", value].concat(),
            _ => value.to_vec(),
        };
        let edits = edits_for(dict, text_of(w), &choices, &text_of, &render);
        let _ = item;
        edit_container(text_of(w), dict, &edits, eol)
    };
    let single = match p {
        Pick::Fork => Some(fi.map(|i| (Who::Fork, i))),
        Pick::Upstream => Some(ui.map(|i| (Who::Upstream, i))),
        Pick::Conflict => None,
    };
    match single {
        Some(None) => DictOut::Text(
            fresh_dict(entries, f.text, item_indent, per_line, eol),
            Vec::new(),
            false,
        ),
        Some(Some((w, item))) => match &item.dict {
            Some(dict) => DictOut::Text(pin_entries(w, item, dict), Vec::new(), w == Who::Upstream),
            None => DictOut::NotLiteral(w, item),
        },
        None => {
            // Both sides changed the dictionary: merge it entry by entry.
            let (Some(fi), Some(ui)) = (fi, ui) else {
                let (w, item) = match (fi, ui) {
                    (Some(i), _) => (Who::Fork, i),
                    (_, Some(i)) => (Who::Upstream, i),
                    _ => unreachable!("a conflict needs at least one side"),
                };
                return match &item.dict {
                    Some(dict) => DictOut::Text(pin_entries(w, item, dict), Vec::new(), false),
                    None => DictOut::NotLiteral(w, item),
                };
            };
            let (Some(fd), Some(ud)) = (&fi.dict, &ui.dict) else {
                let item = if fi.dict.is_none() { fi } else { ui };
                let w = if fi.dict.is_none() {
                    Who::Fork
                } else {
                    Who::Upstream
                };
                return DictOut::NotLiteral(w, item);
            };
            let bd = bi.and_then(|b| b.dict.as_deref());
            let keys = union_keys(bd, fd, ud);
            let mut conflicts = Vec::new();
            let mut choices: Vec<(ItemKey, Choice)> = Vec::new();
            let mut upstream = false;
            for key in keys {
                if let ItemKey::Entry(k) = &key
                    && let Some((_, v)) = entries.iter().find(|(e, _)| e == k)
                {
                    choices.push((key.clone(), Choice::Text(v.clone().into_bytes())));
                    continue;
                }
                let be = bd.and_then(|c| find(c, &key)).map(|x| x.1);
                let fe = find(fd, &key).map(|x| x.1);
                let ue = find(ud, &key).map(|x| x.1);
                let p = pick(
                    be.map(|i| i.norm.as_str()),
                    fe.map(|i| i.norm.as_str()),
                    ue.map(|i| i.norm.as_str()),
                );
                if p == Pick::Conflict {
                    conflicts.push(format!("connect_args[{}]", key.describe()));
                }
                upstream |= p == Pick::Upstream;
                let take_upstream =
                    p == Pick::Upstream || (p == Pick::Conflict && prefer == Who::Upstream);
                let item = if take_upstream {
                    ue.map(|i| (Who::Upstream, i))
                } else {
                    fe.map(|i| (Who::Fork, i))
                };
                choices.push((
                    key,
                    match item {
                        Some((w, i)) => Choice::Item(w, i),
                        None => Choice::Absent,
                    },
                ));
            }
            for (k, v) in entries {
                let key = ItemKey::Entry(k.clone());
                if !choices.iter().any(|(c, _)| *c == key) {
                    choices.push((key, Choice::Text(v.clone().into_bytes())));
                }
            }
            let quote = quote_for(f.text, Some(fd));
            let render = |key: &ItemKey, value: &[u8]| match key {
                ItemKey::Entry(k) => [quote_key(k, quote).as_bytes(), b": ", value].concat(),
                _ => value.to_vec(),
            };
            let edits = edits_for(fd, f.text, &choices, &text_of, &render);
            DictOut::Text(edit_container(f.text, fd, &edits, eol), conflicts, upstream)
        }
    }
}

/// A new dictionary holding the pinned entries: one a line in a call laid out one
/// keyword a line, else inline.
fn fresh_dict(
    entries: &[(String, String)],
    text: &[u8],
    item_indent: &[u8],
    per_line: bool,
    eol: &[u8],
) -> Vec<u8> {
    // The quotes the file's code uses.
    let quote = quote_for(text, None);
    let items: Vec<Vec<u8>> = entries
        .iter()
        .map(|(k, v)| format!("{}: {v}", quote_key(k, quote)).into_bytes())
        .collect();
    if per_line {
        let step = indent_unit(text, item_indent);
        one_a_line(&items, (b'{', b'}'), item_indent, &step, eol)
    } else {
        let mut out = b"{".to_vec();
        out.extend(items.join(b", ".as_slice()));
        out.push(b'}');
        out
    }
}

/// Lays out an argument list one item a line, the pinned dictionary one entry a line
/// (the fork's write-up layout), keeping each item's own text. `None` when the text
/// does not parse as an argument list.
pub fn fresh_layout(
    args: &[u8],
    pin: &Pin,
    indent: &[u8],
    step: &[u8],
    eol: &[u8],
) -> Option<Vec<u8>> {
    let mut src = pin.call.as_bytes().to_vec();
    let offset = src.len();
    src.extend_from_slice(args);
    let scan = python::scan(&src, &pin.targets())?;
    if !scan.errors.is_empty() {
        return None;
    }
    let call = scan.statements.first()?.calls.first()?;
    if call.args.range.start != offset || call.args.has_comments {
        return None;
    }
    let item_indent = [indent, step].concat();
    let dict_names: Vec<&str> = pin
        .keywords
        .iter()
        .filter(|k| matches!(k.value, PinValue::Dict(_)))
        .map(|k| k.name.as_str())
        .collect();
    let mut items = Vec::new();
    for item in &call.args.items {
        let raw = &src[item.range.clone()];
        match (&item.key, &item.dict) {
            (ItemKey::Keyword(k), Some(dict))
                if dict_names.contains(&k.as_str()) && !dict.has_comments =>
            {
                let entries: Vec<Vec<u8>> = dict
                    .items
                    .iter()
                    .map(|e| src[e.range.clone()].to_vec())
                    .collect();
                let mut t = src[item.range.start..item.value.start].to_vec();
                t.extend(one_a_line(&entries, (b'{', b'}'), &item_indent, step, eol));
                items.push(t);
            }
            // An item over several lines moves one step in with the rest; never one
            // holding a string that could span lines, whose content would change.
            _ if raw.contains(&b'\n')
                && !python::contains(raw, b"\"\"\"")
                && !python::contains(raw, b"'''")
                && !python::contains(raw, b"\\\n")
                && !python::contains(raw, b"\\\r\n") =>
            {
                items.push(reindent(raw, indent, &item_indent));
            }
            _ => items.push(raw.to_vec()),
        }
    }
    Some(one_a_line(&items, (b'(', b')'), indent, step, eol))
}

/// The three-way result of two texts (bytes): `None` when both changed differently.
fn three_way<'x>(b: Option<&'x [u8]>, f: &'x [u8], u: &'x [u8]) -> Option<(&'x [u8], Who)> {
    if f == u || Some(u) == b {
        Some((f, Who::Fork))
    } else if Some(f) == b {
        Some((u, Who::Upstream))
    } else {
        None
    }
}

fn is_blank(s: &[u8]) -> bool {
    s.iter().all(|&b| b == b' ' || b == b'\t')
}

fn is_comment_or_blank(s: &[u8]) -> bool {
    let t: &[u8] = {
        let n = s.iter().take_while(|&&b| b == b' ' || b == b'\t').count();
        &s[n..]
    };
    t.is_empty() || t.starts_with(b"#")
}

fn call_in<'a>(side: &EngineSide<'a>, i: usize) -> CallIn<'a> {
    CallIn {
        text: side.text,
        call: &side.stmt.calls[i],
    }
}

/// The statement lines merged, or why they conflict.
enum StatementOut {
    Clean {
        text: Vec<u8>,
        pinned: bool,
        from_upstream: Vec<String>,
        notes: Vec<String>,
    },
    Conflict {
        fork: Vec<u8>,
        upstream: Vec<u8>,
        reason: String,
    },
}

/// A side's statement lines with the pin applied where it can be.
pub struct PinnedLines {
    /// Prefix, statement and suffix.
    pub text: Vec<u8>,
    /// Whether a call carries the pin (so the file must import it).
    pub pinned: bool,
    /// Why a call that needs the pin cannot take it.
    pub blocked: Option<String>,
    /// Warnings.
    pub notes: Vec<String>,
}

/// The pin applied to one statement of a file (what `fix` does): its whole lines,
/// from the start of its first line to the end of its last, rewritten.
pub fn pin_statement(
    text: &[u8],
    region: &Region,
    stmt: &EngineStatement,
    pin: &Pin,
) -> PinnedLines {
    pinned_lines(
        &EngineSide { text, region, stmt },
        Pins { pin, beside: &[] },
    )
}

fn pinned_lines(side: &EngineSide, pins: Pins) -> PinnedLines {
    let mut out = side.prefix().to_vec();
    let mut pos = side.stmt.range.start;
    let mut pinned = false;
    let mut blocked = None;
    let mut notes = Vec::new();
    for call in &side.stmt.calls {
        let ci = CallIn {
            text: side.text,
            call,
        };
        match merge_call(None, ci, ci, pins.for_calls(&[call]), Who::Fork, true) {
            Ok(c) => {
                out.extend_from_slice(&side.text[pos..call.args.range.start]);
                out.extend_from_slice(&c.args);
                pinned |= c.pinned;
                blocked = blocked.or(c.blocked);
                notes.extend(c.notes);
            }
            Err(_) => out.extend_from_slice(&side.text[pos..call.args.range.end]),
        }
        pos = call.args.range.end;
    }
    out.extend_from_slice(&side.text[pos..side.region.span.end]);
    PinnedLines {
        text: out,
        pinned,
        blocked,
        notes,
    }
}

/// A side's statement with the pin applied to every call that takes it, clean; a
/// conflict when the pin cannot be applied.
fn take_pinned(
    side: &EngineSide,
    pins: Pins,
    from_upstream: Vec<String>,
    conflict: &dyn Fn(String) -> StatementOut,
) -> StatementOut {
    let lines = pinned_lines(side, pins);
    if let Some(why) = lines.blocked {
        return conflict(format!("cannot apply the pin: {why}"));
    }
    StatementOut::Clean {
        text: lines.text,
        pinned: lines.pinned,
        from_upstream,
        notes: lines.notes,
    }
}

/// The tokens of a side's statement once the pin is applied to every call that takes
/// it: what "the same statement, pinned" is, whatever the layout. `None` when the pin
/// cannot be applied or the text does not read back as one statement.
fn pinned_norm(side: &EngineSide, pins: Pins) -> Option<String> {
    let pin = pins.pin;
    let lines = pinned_lines(side, pins);
    if lines.blocked.is_some() {
        return None;
    }
    // The statement's lines brought to column 0, so that they parse on their own.
    let indent = side.indent();
    let mut text = Vec::with_capacity(lines.text.len());
    for line in lines.text.split_inclusive(|&b| b == b'\n') {
        text.extend_from_slice(line.strip_prefix(indent).unwrap_or(line));
    }
    let scan = crate::python::scan(&text, &pin.targets())?;
    match scan.statements.as_slice() {
        [one] if !one.has_error && scan.errors.is_empty() => Some(one.norm.clone()),
        _ => None,
    }
}

fn merge_statement(
    b: Option<&EngineSide>,
    f: &EngineSide,
    u: &EngineSide,
    ctx: &Ctx,
    prefer: Who,
) -> StatementOut {
    let pin = ctx.pin;
    let pins = ctx.pins();
    let conflict = |reason: String| StatementOut::Conflict {
        fork: pinned_lines(f, pins).text,
        upstream: pinned_lines(u, pins).text,
        reason,
    };
    let same_shape = f.stmt.calls.len() == u.stmt.calls.len()
        && b.is_none_or(|b| b.stmt.calls.len() == f.stmt.calls.len());
    // Several engines in one statement, each named by its dict key or keyword: merged
    // engine by engine even when a side adds or removes one.
    let by_slot = !same_shape && [b, Some(f), Some(u)].iter().flatten().all(|v| slotted(v));
    if !same_shape && !by_slot {
        return match three_way(
            b.map(|b| b.stmt.norm.as_bytes()),
            f.stmt.norm.as_bytes(),
            u.stmt.norm.as_bytes(),
        ) {
            Some((_, who)) => {
                let side = if who == Who::Fork { f } else { u };
                let lines = pinned_lines(side, pins);
                if let Some(why) = lines.blocked.filter(|_| who == Who::Upstream) {
                    return conflict(format!("cannot apply the pin: {why}"));
                }
                StatementOut::Clean {
                    text: lines.text,
                    pinned: lines.pinned,
                    from_upstream: if who == Who::Upstream {
                        vec!["statement".into()]
                    } else {
                        Vec::new()
                    },
                    notes: lines.notes,
                }
            }
            // One side only pinned the statement the other rewrote (added an engine to a
            // dict of engines, say): the rewrite, pinned.
            None => match b.and_then(|b| pinned_norm(b, pins)) {
                Some(pinned_base) if pinned_base == f.stmt.norm => {
                    take_pinned(u, pins, vec!["statement".into()], &conflict)
                }
                Some(pinned_base) if pinned_base == u.stmt.norm => {
                    take_pinned(f, pins, Vec::new(), &conflict)
                }
                _ => conflict("both sides rewrote the engine statement".into()),
            },
        };
    }
    let mut from_upstream = Vec::new();
    let Some((prefix, prefix_from)) = three_way(b.map(EngineSide::prefix), f.prefix(), u.prefix())
        .or_else(|| {
            (is_blank(f.prefix()) && is_blank(u.prefix())).then(|| (f.prefix(), Who::Fork))
        })
    else {
        return conflict("both sides changed the start of the statement's line".into());
    };
    if prefix_from == Who::Upstream {
        from_upstream.push("indentation".to_string());
    }
    let Some((suffix, suffix_from)) = three_way(b.map(EngineSide::suffix), f.suffix(), u.suffix())
        .or_else(|| {
            (is_comment_or_blank(f.suffix()) && is_comment_or_blank(u.suffix()))
                .then(|| (f.suffix(), Who::Fork))
        })
    else {
        return conflict("both sides changed the rest of the statement's last line".into());
    };
    if suffix_from == Who::Upstream {
        from_upstream.push("trailing comment".to_string());
    }
    let skeleton = three_way(
        b.map(|b| b.stmt.skeleton.as_bytes()),
        f.stmt.skeleton.as_bytes(),
        u.stmt.skeleton.as_bytes(),
    );
    let Some((_, skeleton_from)) = skeleton else {
        return conflict("both sides changed the statement around the call".into());
    };
    if skeleton_from == Who::Upstream {
        from_upstream.push("statement".to_string());
    }
    let s = if skeleton_from == Who::Upstream { u } else { f };
    let target_indent: Vec<u8> = {
        let n = prefix
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        prefix[..n].to_vec()
    };
    let side_of = |w: Who| if w == Who::Upstream { u } else { f };

    let mut calls = Vec::new();
    let mut conflicts = Vec::new();
    let mut notes = Vec::new();
    let mut pinned = false;
    // Where each of the skeleton side's calls is in the base, the fork and upstream.
    let find = |v: &EngineSide, k: usize| -> Option<usize> {
        if same_shape {
            return Some(k);
        }
        slot_index(v, s.stmt.calls[k].slot.as_deref()?)
    };
    for k in 0..s.stmt.calls.len() {
        let bi = b.and_then(|b| find(b, k).map(|i| call_in(b, i)));
        let (fi, ui) = (find(f, k), find(u, k));
        let seen: Vec<&Call> = [
            bi.map(|c| c.call),
            fi.map(|i| &f.stmt.calls[i]),
            ui.map(|j| &u.stmt.calls[j]),
        ]
        .into_iter()
        .flatten()
        .collect();
        let pin = pins.for_calls(&seen);
        let merged = match (fi, ui) {
            (Some(i), Some(j)) => merge_call(bi, call_in(f, i), call_in(u, j), pin, prefer, false),
            // An engine one side added: that side's, pinned.
            (Some(i), None) => merge_call(None, call_in(f, i), call_in(f, i), pin, Who::Fork, true)
                .map(|c| CallOut {
                    from: Who::Fork,
                    ..c
                }),
            (None, Some(j)) => merge_call(None, call_in(u, j), call_in(u, j), pin, Who::Fork, true)
                .map(|c| CallOut {
                    from: Who::Upstream,
                    ..c
                }),
            (None, None) => Err("the engines of the statement do not match".to_string()),
        };
        match merged {
            Ok(c) => {
                conflicts.extend(c.conflicts.iter().cloned());
                from_upstream.extend(c.from_upstream.iter().cloned());
                notes.extend(c.notes.iter().cloned());
                pinned |= c.pinned;
                calls.push(c);
            }
            Err(reason) => return conflict(reason),
        }
    }
    // An engine the skeleton's side removed: only where the other side left it as it
    // was, or only pinned it.
    if !same_shape && let Some(b) = b {
        let other = if skeleton_from == Who::Upstream { f } else { u };
        for call in &other.stmt.calls {
            let Some(slot) = call.slot.as_deref() else {
                continue;
            };
            if slot_index(s, slot).is_some() {
                continue;
            }
            let Some(j) = slot_index(b, slot) else {
                continue;
            };
            let kept = squeeze(&other.text[call.args.range.clone()]);
            let was = call_in(b, j);
            let unchanged = kept == squeeze(&b.text[was.call.args.range.clone()])
                || merge_call(None, was, was, pin, Who::Fork, true)
                    .is_ok_and(|c| squeeze(&c.args) == kept);
            if !unchanged {
                return conflict(format!(
                    "one side removed the engine {slot} the other changed"
                ));
            }
        }
    }
    // Rebuild the statement on the skeleton's side, each piece re-indented.
    let mut text = prefix.to_vec();
    let mut pos = s.stmt.range.start;
    for (i, c) in calls.iter().enumerate() {
        let args_range = s.stmt.calls[i].args.range.clone();
        text.extend(reindent(
            &s.text[pos..args_range.start],
            s.indent(),
            &target_indent,
        ));
        text.extend(reindent(&c.args, side_of(c.from).indent(), &target_indent));
        pos = args_range.end;
    }
    text.extend(reindent(
        &s.text[pos..s.stmt.range.end],
        s.indent(),
        &target_indent,
    ));
    text.extend_from_slice(suffix);
    if !conflicts.is_empty() {
        return StatementOut::Conflict {
            fork: text,
            upstream: Vec::new(),
            reason: format!("both sides changed {}", conflicts.join(", ")),
        };
    }
    from_upstream.dedup();
    StatementOut::Clean {
        text,
        pinned,
        from_upstream,
        notes,
    }
}

/// Which call of a statement has slot `slot`.
fn slot_index(side: &EngineSide, slot: &str) -> Option<usize> {
    side.stmt
        .calls
        .iter()
        .position(|c| c.slot.as_deref() == Some(slot))
}

/// Whether every call of a statement has a slot and no two share one.
fn slotted(side: &EngineSide) -> bool {
    let all: Option<Vec<&str>> = side.stmt.calls.iter().map(|c| c.slot.as_deref()).collect();
    all.is_some_and(|mut all| {
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        all.len() == n
    })
}

/// Bytes without ASCII whitespace: two layouts of the same tokens compare equal.
fn squeeze(text: &[u8]) -> Vec<u8> {
    text.iter()
        .copied()
        .filter(|b| !b.is_ascii_whitespace())
        .collect()
}

/// The comment run merged: the lines and the side whose indentation they carry.
fn merge_comments<'a>(
    b: Option<&EngineSide<'a>>,
    f: &EngineSide<'a>,
    u: &EngineSide<'a>,
    ctx: &Ctx,
) -> (Vec<Vec<u8>>, Who, bool) {
    let (bc, fc, uc) = (
        b.map(EngineSide::comments).unwrap_or_default(),
        f.comments(),
        u.comments(),
    );
    let owned = |v: &[&[u8]]| v.iter().map(|l| l.to_vec()).collect::<Vec<_>>();
    if fc == uc || uc == bc {
        return (owned(&fc), Who::Fork, false);
    }
    if fc == bc {
        return (owned(&uc), Who::Upstream, true);
    }
    // Both rewrote the comments: merge them line by line; the fork's wins a conflict.
    let join = |v: &[&[u8]]| {
        v.iter()
            .flat_map(|l| [*l, b"\n"].concat())
            .collect::<Vec<u8>>()
    };
    if let Ok(m) = ctx
        .line
        .merge(&join(&bc), &join(&fc), &join(&uc), &Markers::default())
        && m.conflicts == 0
    {
        let lines = m
            .content
            .strip_suffix(b"\n")
            .unwrap_or(&m.content)
            .split(|&c| c == b'\n')
            .filter(|_| !m.content.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        return (lines, Who::Fork, true);
    }
    (owned(&fc), Who::Fork, false)
}

/// Re-indents whole lines (each line, the first included) from one indentation to another.
fn reindent_lines(lines: &[Vec<u8>], from: &[u8], to: &[u8]) -> Vec<Vec<u8>> {
    lines
        .iter()
        .map(|l| {
            if from != to && l.starts_with(from) {
                [to, &l[from.len()..]].concat()
            } else {
                l.clone()
            }
        })
        .collect()
}

fn join_region(comments: &[Vec<u8>], statement: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in comments {
        out.extend_from_slice(c);
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(statement);
    out
}

/// Merges a region present in ours and theirs (and maybe the base).
pub fn merge_region(b: Option<EngineSide>, o: EngineSide, t: EngineSide, ctx: &Ctx) -> RegionMerge {
    // The fork is the side whose region carries the pin (ours when both do); when
    // neither carries all of it, the side that carries more, then the file's verdict.
    let (fo, ft) = (o.carries(ctx.pin), t.carries(ctx.pin));
    let (so, st) = (o.score(ctx.pin), t.score(ctx.pin));
    let fork = match (fo, ft) {
        (true, _) => Side::Ours,
        (false, true) => Side::Theirs,
        _ if so > st => Side::Ours,
        _ if st > so => Side::Theirs,
        _ => ctx.fork_default,
    };
    let (f, u) = match fork {
        Side::Ours => (o, t),
        Side::Theirs => (t, o),
    };
    let eol = f.eol();
    let (comments, comments_from, comments_changed_up) = merge_comments(b.as_ref(), &f, &u, ctx);
    let target_indent_of = |text: &[u8]| -> Vec<u8> {
        let n = text
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        text[..n].to_vec()
    };
    let mut decision = Decision {
        region: f.name(ctx.pin),
        line: crate::merge::regions::line_number(f.text, f.stmt.range.start),
        fork: Some(fork),
        outcome: Outcome::Kept,
        from_fork: Vec::new(),
        from_upstream: Vec::new(),
        note: String::new(),
    };
    let statement = merge_statement(b.as_ref(), &f, &u, ctx, Who::Fork);
    match statement {
        StatementOut::Clean {
            text,
            pinned,
            mut from_upstream,
            notes,
        } => {
            let indent = target_indent_of(&text);
            let src_indent = if comments_from == Who::Upstream {
                u.indent()
            } else {
                f.indent()
            };
            let comments = reindent_lines(&comments, src_indent, &indent);
            if comments_changed_up {
                from_upstream.insert(0, "comment".to_string());
            }
            let merged = join_region(&comments, &text, eol);
            let verbatim = merged == f.text[f.region.span.clone()];
            decision.outcome = if verbatim {
                Outcome::Kept
            } else if from_upstream.is_empty() {
                Outcome::Pinned
            } else {
                Outcome::Merged
            };
            if pinned {
                decision.from_fork.push("pin".to_string());
            }
            decision.from_upstream = from_upstream;
            decision.note = notes.join("; ");
            RegionMerge {
                ours: merged.clone(),
                theirs: merged.clone(),
                text: merged,
                conflict: false,
                pinned,
                decision,
            }
        }
        StatementOut::Conflict {
            fork: fork_text,
            upstream,
            reason,
        } => {
            let (fork_text, upstream_text) = if upstream.is_empty() {
                // Keyword conflicts: both renderings of the merged call.
                let up = match merge_statement(b.as_ref(), &f, &u, ctx, Who::Upstream) {
                    StatementOut::Conflict { fork: up, .. } => up,
                    StatementOut::Clean { text, .. } => text,
                };
                (fork_text, up)
            } else {
                (fork_text, upstream)
            };
            let (ours_s, theirs_s) = match fork {
                Side::Ours => (fork_text, upstream_text),
                Side::Theirs => (upstream_text, fork_text),
            };
            let base_s = b.map(|b| b.lines().to_vec());
            let block =
                ctx.markers
                    .render_block(Some(&ours_s), base_s.as_deref(), Some(&theirs_s), eol);
            let text = join_region(&comments, &block, eol);
            decision.outcome = Outcome::Conflict;
            decision.note = reason;
            RegionMerge {
                ours: join_region(&comments, &ours_s, eol),
                theirs: join_region(&comments, &theirs_s, eol),
                text,
                conflict: true,
                pinned: true,
                decision,
            }
        }
    }
}

/// A region only one side has (an addition), or one side kept while the other deleted
/// it: that side's region with the pin applied where it can be.
pub fn one_side(side: EngineSide, which: Side, ctx: &Ctx, added: bool) -> RegionMerge {
    let eol = side.eol();
    let comments: Vec<Vec<u8>> = side.comments().iter().map(|l| l.to_vec()).collect();
    let lines = pinned_lines(&side, ctx.pins());
    let text = join_region(&comments, &lines.text, eol);
    let changed = text != side.text[side.region.span.clone()];
    let mut decision = Decision {
        region: side.name(ctx.pin),
        line: crate::merge::regions::line_number(side.text, side.stmt.range.start),
        fork: None,
        outcome: Outcome::Conflict,
        from_fork: Vec::new(),
        from_upstream: Vec::new(),
        note: lines.notes.join("; "),
    };
    if added && let Some(why) = &lines.blocked {
        // A new SQLite engine that cannot take the pin: the user decides (M9).
        decision.note = format!("the new engine from {which} cannot take the pin: {why}");
        let (ours, theirs) = match which {
            Side::Ours => (Some(lines.text.as_slice()), None),
            Side::Theirs => (None, Some(lines.text.as_slice())),
        };
        let block = ctx.markers.render_block(ours, None, theirs, eol);
        return RegionMerge {
            ours: text.clone(),
            theirs: text,
            text: join_region(&comments, &block, eol),
            conflict: true,
            pinned: false,
            decision,
        };
    }
    if added {
        decision.outcome = if changed {
            Outcome::Pinned
        } else {
            Outcome::Added
        };
        if changed {
            decision.note = format!("new engine from {which} gets the pin");
        }
    } else {
        decision.note = format!(
            "{} deleted or replaced the engine statement {which} keeps",
            which.other()
        );
    }
    RegionMerge {
        ours: text.clone(),
        theirs: text.clone(),
        text,
        conflict: false,
        pinned: lines.pinned,
        decision,
    }
}

#[cfg(test)]
mod quote_tests {
    use super::*;

    #[test]
    fn keys_take_the_quote_of_the_code_around() {
        let pin = Pin::builtin();
        let scan = |src: &str| crate::python::scan(src.as_bytes(), &pin.targets()).unwrap();
        // The dictionary's own keys decide.
        let src = "e = create_engine(U, connect_args={'a': 1})  # \"x\" \"y\" \"z\"\n";
        let s = scan(src);
        let dict = s.statements[0].calls[0].args.items[1].dict.as_deref();
        assert_eq!(quote_for(src.as_bytes(), dict), b'\'');
        // Else the file's code: apostrophes in words and comments do not count.
        assert_eq!(
            quote_for(b"x = 'a'\ny = 'b'\n# it's 'here'\nz = \"c\"\n", None),
            b'\''
        );
        assert_eq!(quote_for(b"x = \"a\"  # don't, won't, can't\n", None), b'"');
        assert_eq!(quote_key("timeout", b'\''), "'timeout'");
    }
}
