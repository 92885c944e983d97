//! One call's arguments merged key by key: positional index, keyword name, `**splat`,
//! each taken from the side that changed it, then the pin applied on top.

use super::*;

/// How one key merges, before the pin.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Pick {
    Fork,
    Upstream,
    Conflict,
}

/// The three-way pick for one key from the three values' tokens.
pub(super) fn pick(base: Option<&str>, fork: Option<&str>, upstream: Option<&str>) -> Pick {
    if fork == upstream || upstream == base {
        Pick::Fork
    } else if fork == base {
        Pick::Upstream
    } else {
        Pick::Conflict
    }
}

/// A key's item in the base, the fork and upstream, and its three-way pick.
pub(super) struct KeyPick<'a> {
    /// The key.
    pub(super) key: ItemKey,
    /// Its item in the base, the fork and upstream.
    pub(super) base: Option<&'a Item>,
    pub(super) fork: Option<&'a Item>,
    pub(super) upstream: Option<&'a Item>,
    /// The plain three-way choice.
    pub(super) pick: Pick,
}

/// The item a pick takes (`None`: the key is absent), `prefer` settling a conflict.
pub(super) fn chosen_item<'a>(
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

pub(super) fn find<'a>(c: &'a Container, key: &ItemKey) -> Option<(usize, &'a Item)> {
    c.items.iter().enumerate().find(|(_, i)| &i.key == key)
}

/// Keys of the fork's container, then upstream's new ones, then the base's leftovers.
pub(super) fn union_keys(
    base: Option<&Container>,
    fork: &Container,
    upstream: &Container,
) -> Vec<ItemKey> {
    let mut keys: Vec<ItemKey> = Vec::new();
    for c in [Some(fork), Some(upstream), base].into_iter().flatten() {
        for i in &c.items {
            if !keys.contains(&i.key) {
                keys.push(i.key.clone());
            }
        }
    }
    keys
}

/// What a key becomes.
pub(super) enum Choice<'a> {
    Absent,
    Item(Who, &'a Item),
    Text(Vec<u8>),
}

/// Edits that turn `source` into the chosen items.
pub(super) fn edits_for<'t>(
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
pub(super) fn quote_key(key: &str, quote: u8) -> String {
    let q = quote as char;
    format!("{q}{key}{q}")
}

/// The quote the code around uses for string keys: that of the dictionary's own string
/// keys, else the file's more frequent one (double on a tie).
pub(super) fn quote_for(text: &[u8], dict: Option<&Container>) -> u8 {
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
        for line in text.split(|&base| base == b'\n') {
            let code = line
                .iter()
                .position(|&base| base == b'#')
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

/// Merges one call's arguments, as `how` says: the plain three-way choice for every
/// key, whether the merged call takes the pin, the pin's values in place of the
/// choices, then the text spliced into the source side's argument list.
pub(super) fn merge_call(
    base: Option<CallIn>,
    fork: CallIn,
    upstream: CallIn,
    pin: &Pin,
    how: How,
) -> Result<CallOut, RegionConflict> {
    let (prefer, best_effort) = match how {
        How::Merge(prefer) => (prefer, false),
        How::OneSide => (Who::Fork, true),
    };
    let (fork_args, upstream_args) = (&fork.call.args, &upstream.call.args);
    let source_who = match base {
        Some(base)
            if fork.text[fork_args.range.clone()] == base.text[base.call.args.range.clone()] =>
        {
            Who::Upstream
        }
        _ => Who::Fork,
    };
    let picks = key_picks(base.map(|base| &base.call.args), fork_args, upstream_args);
    let facts = PickFacts::of(&picks, fork, upstream, pin, prefer);
    let fork_pinned = pin.is_pinned(fork_args);
    let kind_change = if fork_pinned && !best_effort && pin.when == When::Sqlite {
        kind_change(pin, base.map(|b| b.call), upstream.call)
    } else {
        None
    };
    let pinning = takes_pin(pin, &picks, &facts, fork_pinned, best_effort, kind_change)?;
    let source = match source_who {
        Who::Fork => fork,
        Who::Upstream => upstream,
    };
    let layout = ArgsLayout::of(source);
    let ctx = ChoiceCtx {
        fork,
        upstream,
        source_text: source.text,
        pin,
        prefer,
        pinning,
        layout: &layout,
    };
    let mut merged = choices(&picks, &ctx);
    let text_of = |w: Who| match w {
        Who::Fork => fork.text,
        Who::Upstream => upstream.text,
    };
    // A `**splat` could pass a keyword the pin sets, which the call would then get
    // twice (`TypeError` at import). It cannot pass one its own side's call passes
    // beside it (that call would fail already); any other it may, unless it is a
    // dictionary literal without it (`python::splat_keys`).
    if pinning && facts.splat {
        let args_of = |w: Who| match w {
            Who::Fork => fork_args,
            Who::Upstream => upstream_args,
        };
        let clash = merged.choices.iter().any(|(key, choice)| {
            let (ItemKey::Splat(splat), Choice::Item(w, _)) = (key, choice) else {
                return false;
            };
            !pin.splat_may_pass(text_of(*w), splat, args_of(*w), false)
                .is_empty()
        });
        if clash {
            merged.unpinnable = true;
        }
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
        &merged.choices,
        &text_of,
        &render_new,
    );
    let mut blocked = None;
    let mut unverified = Vec::new();
    if merged.unpinnable {
        let what = if facts.splat {
            Unpinnable::Splat
        } else {
            Unpinnable::ConnectArgs
        };
        let keeps_fork_text = source_who == Who::Fork && edits.is_empty();
        if !(best_effort || keeps_fork_text) {
            return Err(RegionConflict::Unpinnable(what));
        }
        unverified.push(what);
        blocked = Some(what);
    }
    let eol = layout.eol;
    let mut args = edit_container(source.text, &source.call.args, &edits, eol);
    let first_time = pinning && !pin.is_pinned(fork_args) && !pin.is_pinned(upstream_args);
    if first_time && !merged.unpinnable && !source.call.args.has_comments {
        let call_indent = indent_at(source.text, source.call.range.start);
        let step = indent_unit(source.text, call_indent);
        if let Some(fresh) = fresh_layout(&args, pin, call_indent, &step, eol) {
            args = fresh;
        }
    }
    Ok(CallOut {
        args,
        from: source_who,
        pinned: pinning && !merged.unpinnable,
        blocked,
        conflicts: merged.conflicts,
        from_upstream: merged.from_upstream,
        unverified,
    })
}

/// The plain three-way choice for every key of the three argument lists.
fn key_picks<'a>(
    base_args: Option<&'a Container>,
    fork_args: &'a Container,
    upstream_args: &'a Container,
) -> Vec<KeyPick<'a>> {
    union_keys(base_args, fork_args, upstream_args)
        .into_iter()
        .map(|key| {
            let base = base_args.and_then(|c| find(c, &key)).map(|x| x.1);
            let fork = find(fork_args, &key).map(|x| x.1);
            let upstream = find(upstream_args, &key).map(|x| x.1);
            let pick = pick(
                base.map(|i| i.norm.as_str()),
                fork.map(|i| i.norm.as_str()),
                upstream.map(|i| i.norm.as_str()),
            );
            KeyPick {
                key,
                base,
                fork,
                upstream,
                pick,
            }
        })
        .collect()
}

/// What the merged arguments say about the call: the facts the pin's rule reads.
struct PickFacts {
    /// Server-pool keywords passed.
    server: Vec<String>,
    /// Evidence of SQLite (a test around the call counts).
    evidence: bool,
    /// A `**splat` is passed.
    splat: bool,
    /// The URL names another scheme, the pool class is a server pool, or the call sits
    /// in a branch whose path excludes SQLite.
    server_other: bool,
}

impl PickFacts {
    fn of(picks: &[KeyPick], fork: CallIn, upstream: CallIn, pin: &Pin, prefer: Who) -> PickFacts {
        let mut facts = PickFacts {
            server: Vec::new(),
            evidence: fork.call.guarded || upstream.call.guarded,
            splat: false,
            server_other: fork.call.server_branch || upstream.call.server_branch,
        };
        for picked in picks {
            // Each rendering of the call is judged by what it holds: where the sides
            // disagree, the side `prefer` names (the fork's rendering and upstream's
            // of a conflict are each that side's engine, with the pin where it is one
            // the pin applies to).
            let chosen = chosen_item(picked.pick, prefer, picked.fork, picked.upstream);
            if let Some((_, item)) = chosen {
                // Only a call's URL (its first argument or `url=`) has a scheme.
                facts.evidence |= item.evidence_literal;
                facts.server_other |= item.server_url;
                match &picked.key {
                    ItemKey::Keyword(k) if pin.server_keywords.contains(k) => {
                        facts.server.push(k.clone());
                    }
                    ItemKey::Keyword(k) if k == "connect_args" => {
                        facts.evidence |= item.norm.contains("check_same_thread");
                    }
                    ItemKey::Keyword(k) if k == "poolclass" => {
                        facts.server_other |= crate::policy::is_server_pool(&item.norm);
                    }
                    ItemKey::Splat(_) => facts.splat = true,
                    _ => {}
                }
            }
        }
        facts.server.dedup();
        facts
    }
}

/// Whether the merged call takes the pin; a conflict where upstream's change and the
/// pin cannot both stand (a server pool for a pinned call, its own pool class).
fn takes_pin(
    pin: &Pin,
    picks: &[KeyPick],
    facts: &PickFacts,
    fork_pinned: bool,
    best_effort: bool,
    kind_change: Option<String>,
) -> Result<bool, RegionConflict> {
    let server = !facts.server.is_empty() || facts.server_other;
    let mut pinning = fork_pinned
        || pin.applies_to(Facts {
            server,
            sqlite: facts.evidence,
        });
    if pin.when == When::Sqlite && pinning && !facts.server.is_empty() {
        if fork_pinned && !best_effort {
            return Err(RegionConflict::ServerPool(facts.server.clone()));
        }
        pinning = false;
    }
    if let Some(what) = kind_change {
        return Err(RegionConflict::KindChanged(what));
    }
    // A server engine never carries a SQLite pin, whoever pinned it.
    if pin.when == When::Sqlite && pinning && server {
        pinning = false;
    }
    if pinning
        && !best_effort
        && let Some(pool_keyword) = &pin.pool_keyword
    {
        let pool = ItemKey::Keyword(pool_keyword.clone());
        if let Some(picked) = picks.iter().find(|p| p.key == pool)
            && let Some(ui) = picked.upstream
            && picked.base.map(|i| &i.norm) != Some(&ui.norm)
            && !pin.is_replaceable_pool(&ui.norm)
        {
            return Err(RegionConflict::OwnPool {
                keyword: pool_keyword.clone(),
                value: ui.norm.clone(),
            });
        }
    }
    Ok(pinning)
}

/// What upstream made of an engine the fork pinned, where it changed its kind: gave it
/// server evidence, or took away the SQLite evidence the base had (docs/RULES.md,
/// which calls carry the pin: the statement is then a conflict, M9, never pinned or
/// unpinned in silence).
fn kind_change(pin: &Pin, base: Option<&Call>, upstream: &Call) -> Option<String> {
    let before = base.map(|b| pin.kind(b));
    match pin.kind(upstream) {
        EngineClass::Server if before != Some(EngineClass::Server) => {
            let args = &upstream.args;
            let url = args
                .items
                .iter()
                .find(|i| i.server_url)
                .map(|i| i.norm.clone());
            let pool = crate::policy::keyword(args, "poolclass")
                .filter(|i| crate::policy::is_server_pool(&i.norm))
                .map(|i| i.norm.clone());
            Some(if let Some(url) = url {
                format!("upstream made the pinned engine a server engine (URL {url})")
            } else if let Some(pool) = pool {
                format!("upstream gave the pinned engine a server pool (poolclass={pool})")
            } else if upstream.server_branch {
                "upstream moved the pinned engine into a branch that is not SQLite".to_string()
            } else {
                // Server-pool keywords: RegionConflict::ServerPool says which.
                return None;
            })
        }
        EngineClass::Unknown if before == Some(EngineClass::Sqlite) => Some(
            "upstream removed the SQLite evidence the engine had (its URL or check_same_thread): \
             it may now serve another database"
                .to_string(),
        ),
        _ => None,
    }
}

/// How the source side's argument list is laid out.
struct ArgsLayout<'t> {
    /// One item a line.
    per_line: bool,
    /// The items' indentation, read only where the call holds one item a line (a new
    /// dictionary is laid out like its siblings there, inline otherwise).
    item_indent: Vec<u8>,
    /// The end of line: a call on one line takes that of the line it stands on.
    eol: &'t [u8],
}

impl<'t> ArgsLayout<'t> {
    fn of(source: CallIn<'t>) -> ArgsLayout<'t> {
        let per_line = one_item_a_line(source.text, &source.call.args);
        let item_indent = match source.call.args.items.last() {
            Some(last) if per_line => indent_at(source.text, last.range.start).to_vec(),
            _ => Vec::new(),
        };
        let eol = eol_in(
            source.text,
            source.call.args.range.clone(),
            line_eol(source.text, source.call.args.range.end),
        );
        ArgsLayout {
            per_line,
            item_indent,
            eol,
        }
    }
}

/// What the choice of every key needs.
struct ChoiceCtx<'a, 'l> {
    fork: CallIn<'a>,
    upstream: CallIn<'a>,
    /// The text of the side whose argument list the result is built on.
    source_text: &'a [u8],
    pin: &'a Pin,
    prefer: Who,
    pinning: bool,
    layout: &'l ArgsLayout<'a>,
}

/// Every key's value in the merged call, and what that took.
struct Chosen<'a> {
    choices: Vec<(ItemKey, Choice<'a>)>,
    /// Keys both sides changed differently.
    conflicts: Vec<String>,
    /// What came from upstream.
    from_upstream: Vec<String>,
    /// A pinned dictionary keyword whose value is not a dictionary literal.
    unpinnable: bool,
}

/// The value of every key: the pin's where it pins the key, else the plain choice;
/// then the pinned keywords no version has yet.
fn choices<'a>(picks: &[KeyPick<'a>], ctx: &ChoiceCtx<'a, '_>) -> Chosen<'a> {
    let (pin, layout) = (ctx.pin, ctx.layout);
    let mut out = Chosen {
        choices: Vec::new(),
        conflicts: Vec::new(),
        from_upstream: Vec::new(),
        unpinnable: false,
    };
    for picked in picks {
        let key = &picked.key;
        let pinned = match key {
            ItemKey::Keyword(k) if ctx.pinning => pin.keyword(k),
            _ => None,
        };
        if picked.pick == Pick::Conflict && pinned.is_none() {
            out.conflicts.push(key.describe());
        }
        let plain = chosen_item(picked.pick, ctx.prefer, picked.fork, picked.upstream);
        if pinned.is_none()
            && let Some((Who::Upstream, _)) = plain
            && picked.pick != Pick::Conflict
        {
            out.from_upstream.push(key.describe());
        }
        if pinned.is_none() && plain.is_none() && picked.fork.is_some() {
            out.from_upstream
                .push(format!("removed {}", key.describe()));
        }
        let choice = match pinned.map(|k| &k.value) {
            None => match plain {
                Some((w, it)) => Choice::Item(w, it),
                None => Choice::Absent,
            },
            Some(PinValue::Expr(e)) => Choice::Text(e.clone().into_bytes()),
            Some(PinValue::Dict(entries)) => {
                let dict_layout = DictLayout {
                    item_indent: &layout.item_indent,
                    per_line: layout.per_line,
                    eol: layout.eol,
                };
                match pinned_dict(
                    picked,
                    ctx.fork,
                    ctx.upstream,
                    entries,
                    ctx.prefer,
                    &dict_layout,
                ) {
                    DictOut::Text(mut dict) => {
                        out.conflicts.append(&mut dict.conflicts);
                        if dict.upstream {
                            out.from_upstream
                                .push(format!("{} entries", key.describe()));
                        }
                        Choice::Text(dict.text)
                    }
                    DictOut::NotLiteral(w, it) => {
                        out.unpinnable = true;
                        Choice::Item(w, it)
                    }
                }
            }
        };
        out.choices.push((key.clone(), choice));
    }
    // Pinned keywords no version has yet.
    if ctx.pinning {
        for kw in &pin.keywords {
            let key = ItemKey::Keyword(kw.name.clone());
            if out.choices.iter().any(|(k, _)| *k == key) {
                continue;
            }
            let text = match &kw.value {
                PinValue::Expr(e) => e.clone().into_bytes(),
                PinValue::Dict(entries) => fresh_dict(
                    entries,
                    ctx.source_text,
                    &layout.item_indent,
                    layout.per_line,
                    layout.eol,
                ),
            };
            out.choices.push((key, Choice::Text(text)));
        }
    }
    out
}
