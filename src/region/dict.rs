//! `connect_args`-style dictionaries: merged entry by entry, the pin's entries
//! enforced, and the layout of a dictionary written afresh.

use super::*;

/// A pinned dictionary, rendered.
pub(super) struct PinnedDict {
    /// Its text.
    pub(super) text: Vec<u8>,
    /// Entries both sides changed differently.
    pub(super) conflicts: Vec<String>,
    /// Whether upstream's entries were taken.
    pub(super) upstream: bool,
}

/// The pinned dictionary keyword's new value.
pub(super) enum DictOut<'a> {
    /// The dictionary, pinned.
    Text(PinnedDict),
    /// The chosen value is not a dictionary literal: keep it as it is.
    NotLiteral(Who, &'a Item),
}

/// How a dictionary written afresh is laid out.
pub(super) struct DictLayout<'a> {
    /// The indentation of the argument list's items.
    pub(super) item_indent: &'a [u8],
    /// Whether the argument list holds one item a line.
    pub(super) per_line: bool,
    /// The end of line.
    pub(super) eol: &'a [u8],
}

/// The dictionary keyword of a pin, merged entry by entry where both sides changed it,
/// with the pin's `entries` enforced.
pub(super) fn pinned_dict<'a>(
    picked: &KeyPick<'a>,
    fork: CallIn<'a>,
    upstream: CallIn<'a>,
    entries: &[(String, String)],
    prefer: Who,
    layout: &DictLayout,
) -> DictOut<'a> {
    let (bi, fi, ui, p) = (picked.base, picked.fork, picked.upstream, picked.pick);
    let (item_indent, per_line, eol) = (layout.item_indent, layout.per_line, layout.eol);
    let text = |text, upstream| {
        DictOut::Text(PinnedDict {
            text,
            conflicts: Vec::new(),
            upstream,
        })
    };
    let text_of = |w: Who| match w {
        Who::Fork => fork.text,
        Who::Upstream => upstream.text,
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
        Some(None) => text(
            fresh_dict(entries, fork.text, item_indent, per_line, eol),
            false,
        ),
        Some(Some((w, item))) => match &item.dict {
            Some(dict) => text(pin_entries(w, item, dict), w == Who::Upstream),
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
                    Some(dict) => text(pin_entries(w, item, dict), false),
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
            let bd = bi.and_then(|base| base.dict.as_deref());
            let (choices, conflicts, upstream) = entry_choices(bd, fd, ud, entries, prefer);
            let quote = quote_for(fork.text, Some(fd));
            let render = |key: &ItemKey, value: &[u8]| match key {
                ItemKey::Entry(k) => [quote_key(k, quote).as_bytes(), b": ", value].concat(),
                _ => value.to_vec(),
            };
            let edits = edits_for(fd, fork.text, &choices, &text_of, &render);
            DictOut::Text(PinnedDict {
                text: edit_container(fork.text, fd, &edits, eol),
                conflicts,
                upstream,
            })
        }
    }
}

/// The entries of a dictionary both sides changed, each merged three-way (a conflict
/// settled for `prefer`), the pin's `entries` enforced. Returns the choices, the
/// entries both sides changed differently, and whether upstream's were taken.
fn entry_choices<'a>(
    bd: Option<&'a Container>,
    fd: &'a Container,
    ud: &'a Container,
    entries: &[(String, String)],
    prefer: Who,
) -> (Vec<(ItemKey, Choice<'a>)>, Vec<String>, bool) {
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
        let take_upstream = p == Pick::Upstream || (p == Pick::Conflict && prefer == Who::Upstream);
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
    (choices, conflicts, upstream)
}

/// A new dictionary holding the pinned entries: one a line in a call laid out one
/// keyword a line, else inline.
pub(super) fn fresh_dict(
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
pub(crate) fn fresh_layout(
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
