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
pub(super) fn pick(b: Option<&str>, f: Option<&str>, u: Option<&str>) -> Pick {
    if f == u || u == b {
        Pick::Fork
    } else if f == b {
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
pub(super) fn union_keys(b: Option<&Container>, f: &Container, u: &Container) -> Vec<ItemKey> {
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

/// Merges one call's arguments, as `how` says.
pub(super) fn merge_call(
    b: Option<CallIn>,
    f: CallIn,
    u: CallIn,
    pin: &Pin,
    how: How,
) -> Result<CallOut, RegionConflict> {
    let (prefer, best_effort) = match how {
        How::Merge(prefer) => (prefer, false),
        How::OneSide => (Who::Fork, true),
    };
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
    let mut unverified = Vec::new();

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
        picks.push(KeyPick {
            key,
            base: bi,
            fork: fi,
            upstream: ui,
            pick: p,
        });
    }
    let chosen = |p, fi, ui| chosen_item(p, prefer, fi, ui);

    // Does the merged call get the pin?
    let mut server = Vec::new();
    let mut evidence = f.call.guarded || u.call.guarded;
    let mut splat = false;
    let mut server_url = false;
    for KeyPick {
        key,
        fork: fi,
        upstream: ui,
        pick: p,
        ..
    } in &picks
    {
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
                    evidence |= item.evidence_literal;
                    server_url |= crate::policy::is_server_url(item);
                }
                ItemKey::Splat(_) => splat = true,
                _ => {}
            }
        }
    }
    server.dedup();
    let fork_pinned = pin.is_pinned(fa);
    let mut pinning = fork_pinned
        || pin.applies_to(Facts {
            server_keywords: !server.is_empty(),
            sqlite: evidence,
            server_url,
        });
    if pin.when == When::Sqlite && pinning && !server.is_empty() {
        if fork_pinned && !best_effort {
            return Err(RegionConflict::ServerPool(
                server.iter().map(ToString::to_string).collect(),
            ));
        }
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
    for picked in &picks {
        let KeyPick {
            key,
            fork: fi,
            upstream: ui,
            pick: p,
            ..
        } = picked;
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
                let layout = DictLayout {
                    item_indent: &item_indent,
                    per_line,
                    eol,
                };
                match pinned_dict(picked, f, u, entries, prefer, &layout) {
                    DictOut::Text(mut dict) => {
                        conflicts.append(&mut dict.conflicts);
                        if dict.upstream {
                            from_upstream.push(format!("{} entries", key.describe()));
                        }
                        Choice::Text(dict.text)
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
        .any(|a| crate::policy::keyword(a, "connect_args").is_some_and(|i| i.dict.is_some()));
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
        unverified,
    })
}
