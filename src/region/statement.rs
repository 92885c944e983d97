//! One statement around its calls: prefix, skeleton and suffix merged three-way, the
//! calls paired by index or slot, and the pinned text of a side.

use super::*;

/// The three-way result of two texts (bytes): `None` when both changed differently.
pub(super) fn three_way<'x>(
    base: Option<&'x [u8]>,
    fork: &'x [u8],
    upstream: &'x [u8],
) -> Option<(&'x [u8], Who)> {
    if fork == upstream || Some(upstream) == base {
        Some((fork, Who::Fork))
    } else if Some(fork) == base {
        Some((upstream, Who::Upstream))
    } else {
        None
    }
}

pub(super) fn is_blank(s: &[u8]) -> bool {
    s.iter().all(|&base| base == b' ' || base == b'\t')
}

pub(super) fn is_comment_or_blank(s: &[u8]) -> bool {
    let t: &[u8] = {
        let n = s
            .iter()
            .take_while(|&&base| base == b' ' || base == b'\t')
            .count();
        &s[n..]
    };
    t.is_empty() || t.starts_with(b"#")
}

pub(super) fn call_in<'a>(side: &EngineSide<'a>, i: usize) -> CallIn<'a> {
    CallIn {
        text: side.text,
        call: &side.stmt.calls[i],
    }
}

/// The statement lines merged, or why they conflict.
pub(super) enum StatementOut {
    Clean {
        text: Vec<u8>,
        pinned: bool,
        from_upstream: Vec<String>,
        unverified: Vec<Unpinnable>,
    },
    Conflict {
        fork: Vec<u8>,
        upstream: Vec<u8>,
        reason: RegionConflict,
    },
}

/// A side's statement lines with the pin applied where it can be.
pub(crate) struct PinnedLines {
    /// Prefix, statement and suffix.
    pub text: Vec<u8>,
    /// Whether a call carries the pin (so the file must import it).
    pub pinned: bool,
    /// Why a call that needs the pin cannot take it.
    pub blocked: Option<Unpinnable>,
    /// Warnings.
    pub unverified: Vec<Unpinnable>,
}

/// The pin applied to one statement of a file (what `fix` does): its whole lines,
/// from the start of its first line to the end of its last, rewritten.
pub(crate) fn pin_statement(
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

pub(super) fn pinned_lines(side: &EngineSide, pins: Pins) -> PinnedLines {
    let mut out = side.prefix().to_vec();
    let mut pos = side.stmt.range.start;
    let mut pinned = false;
    let mut blocked = None;
    let mut unverified = Vec::new();
    for call in &side.stmt.calls {
        let ci = CallIn {
            text: side.text,
            call,
        };
        match merge_call(None, ci, ci, pins.for_calls(&[call]), How::OneSide) {
            // A splat that may pass a pinned keyword: any keyword the pin added would
            // make the call fail; the side keeps its call as it is.
            Ok(c) if c.blocked == Some(Unpinnable::Splat) => {
                out.extend_from_slice(&side.text[pos..call.args.range.end]);
                blocked = blocked.or(c.blocked);
                unverified.extend(c.unverified);
            }
            Ok(c) => {
                out.extend_from_slice(&side.text[pos..call.args.range.start]);
                out.extend_from_slice(&c.args);
                pinned |= c.pinned;
                blocked = blocked.or(c.blocked);
                unverified.extend(c.unverified);
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
        unverified,
    }
}

/// A side's statement with the pin applied to every call that takes it, clean; a
/// conflict when the pin cannot be applied.
pub(super) fn take_pinned(
    side: &EngineSide,
    pins: Pins,
    from_upstream: Vec<String>,
    conflict: &dyn Fn(RegionConflict) -> StatementOut,
) -> StatementOut {
    let lines = pinned_lines(side, pins);
    if let Some(why) = lines.blocked {
        return conflict(RegionConflict::Unpinnable(why));
    }
    StatementOut::Clean {
        text: lines.text,
        pinned: lines.pinned,
        from_upstream,
        unverified: lines.unverified,
    }
}

/// The tokens of a side's statement once the pin is applied to every call that takes
/// it: what "the same statement, pinned" is, whatever the layout. `None` when the pin
/// cannot be applied or the text does not read back as one statement.
pub(super) fn pinned_norm(side: &EngineSide, pins: Pins) -> Option<String> {
    let pin = pins.pin;
    let lines = pinned_lines(side, pins);
    if lines.blocked.is_some() {
        return None;
    }
    // The statement's lines brought to column 0, so that they parse on their own.
    let indent = side.indent();
    let mut text = Vec::with_capacity(lines.text.len());
    for line in lines.text.split_inclusive(|&base| base == b'\n') {
        text.extend_from_slice(line.strip_prefix(indent).unwrap_or(line));
    }
    let scan = crate::python::scan(&text, &pin.targets())?;
    match scan.statements.as_slice() {
        [one] if !one.has_error && scan.errors.is_empty() => Some(one.norm.clone()),
        _ => None,
    }
}

pub(super) fn merge_statement(
    base: Option<&EngineSide>,
    fork: &EngineSide,
    upstream: &EngineSide,
    ctx: &Ctx,
    prefer: Who,
) -> StatementOut {
    let pin = ctx.pin;
    let pins = ctx.pins();
    let conflict = |reason: RegionConflict| StatementOut::Conflict {
        fork: pinned_lines(fork, pins).text,
        upstream: pinned_lines(upstream, pins).text,
        reason,
    };
    let same_shape = fork.stmt.calls.len() == upstream.stmt.calls.len()
        && base.is_none_or(|base| base.stmt.calls.len() == fork.stmt.calls.len());
    // Several engines in one statement, each named by its dict key or keyword: merged
    // engine by engine even when a side adds or removes one.
    let by_slot = !same_shape
        && [base, Some(fork), Some(upstream)]
            .iter()
            .flatten()
            .all(|v| slotted(v));
    if !same_shape && !by_slot {
        return merge_reshaped(base, fork, upstream, pins, &conflict);
    }
    let frame = match frame(base, fork, upstream) {
        Ok(frame) => frame,
        Err(reason) => return conflict(reason),
    };
    let (prefix, suffix, skeleton_from) = (frame.prefix, frame.suffix, frame.skeleton_from);
    let mut from_upstream = frame.from_upstream;
    let s = if skeleton_from == Who::Upstream {
        upstream
    } else {
        fork
    };
    let target_indent: Vec<u8> = {
        let n = prefix
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        prefix[..n].to_vec()
    };
    let side_of = |w: Who| if w == Who::Upstream { upstream } else { fork };

    let mut calls = Vec::new();
    let mut conflicts = Vec::new();
    let mut unverified = Vec::new();
    let mut pinned = false;
    for k in 0..s.stmt.calls.len() {
        match merge_nth_call(k, base, fork, upstream, s, same_shape, pins, prefer) {
            Ok(c) => {
                conflicts.extend(c.conflicts.iter().cloned());
                from_upstream.extend(c.from_upstream.iter().cloned());
                unverified.extend(c.unverified.iter().copied());
                pinned |= c.pinned;
                calls.push(c);
            }
            Err(reason) => return conflict(reason),
        }
    }
    // An engine the skeleton's side removed: only where the other side left it as it
    // was, or only pinned it.
    if !same_shape && let Some(base) = base {
        let other = if skeleton_from == Who::Upstream {
            fork
        } else {
            upstream
        };
        if let Some(reason) = removed_and_changed(base, s, other, pin) {
            return conflict(reason);
        }
    }
    // Rebuild the statement on the skeleton's side, each piece re-indented.
    let mut text = prefix.to_vec();
    text.extend(rebuild(s, &calls, &side_of, &target_indent));
    text.extend_from_slice(suffix);
    if !conflicts.is_empty() {
        return StatementOut::Conflict {
            fork: text,
            upstream: Vec::new(),
            reason: RegionConflict::Keys(conflicts),
        };
    }
    from_upstream.dedup();
    StatementOut::Clean {
        text,
        pinned,
        from_upstream,
        unverified,
    }
}

/// The skeleton side's call `k` merged with its counterparts: by index when every
/// version has the same calls, else by slot; an engine only one side has is that
/// side's, pinned.
#[allow(clippy::too_many_arguments)] // The statement's three versions and its shape.
fn merge_nth_call(
    k: usize,
    base: Option<&EngineSide>,
    fork: &EngineSide,
    upstream: &EngineSide,
    s: &EngineSide,
    same_shape: bool,
    pins: Pins,
    prefer: Who,
) -> Result<CallOut, RegionConflict> {
    // Where the call is in the base, the fork and upstream.
    let find = |v: &EngineSide, k: usize| -> Option<usize> {
        if same_shape {
            return Some(k);
        }
        slot_index(v, s.stmt.calls[k].slot.as_deref()?)
    };
    let bi = base.and_then(|base| find(base, k).map(|i| call_in(base, i)));
    let (fi, ui) = (find(fork, k), find(upstream, k));
    let seen: Vec<&Call> = [
        bi.map(|c| c.call),
        fi.map(|i| &fork.stmt.calls[i]),
        ui.map(|j| &upstream.stmt.calls[j]),
    ]
    .into_iter()
    .flatten()
    .collect();
    let pin = pins.for_calls(&seen);
    match (fi, ui) {
        (Some(i), Some(j)) => merge_call(
            bi,
            call_in(fork, i),
            call_in(upstream, j),
            pin,
            How::Merge(prefer),
        ),
        // An engine one side added: that side's, pinned.
        (Some(i), None) => merge_call(None, call_in(fork, i), call_in(fork, i), pin, How::OneSide)
            .map(|c| CallOut {
                from: Who::Fork,
                ..c
            }),
        (None, Some(j)) => merge_call(
            None,
            call_in(upstream, j),
            call_in(upstream, j),
            pin,
            How::OneSide,
        )
        .map(|c| CallOut {
            from: Who::Upstream,
            ..c
        }),
        (None, None) => Err(RegionConflict::EnginesDoNotMatch),
    }
}

/// What surrounds a statement's calls, merged three-way.
struct Frame<'t> {
    /// The start of the statement's first line (its indentation).
    prefix: &'t [u8],
    /// The rest of its last line (a trailing comment).
    suffix: &'t [u8],
    /// Whose skeleton (target, callee, everything outside the argument lists).
    skeleton_from: Who,
    /// What of it came from upstream.
    from_upstream: Vec<String>,
}

/// The prefix, suffix and skeleton of a statement merged three-way; a conflict where
/// both sides changed one of them (blank prefixes, and comments after the statement,
/// may differ: the fork's stand).
fn frame<'t>(
    base: Option<&EngineSide<'t>>,
    fork: &EngineSide<'t>,
    upstream: &EngineSide<'t>,
) -> Result<Frame<'t>, RegionConflict> {
    let mut from_upstream = Vec::new();
    let (prefix, prefix_from) = three_way(
        base.map(EngineSide::prefix),
        fork.prefix(),
        upstream.prefix(),
    )
    .or_else(|| {
        (is_blank(fork.prefix()) && is_blank(upstream.prefix())).then(|| (fork.prefix(), Who::Fork))
    })
    .ok_or(RegionConflict::LineStart)?;
    if prefix_from == Who::Upstream {
        from_upstream.push("indentation".to_string());
    }
    let (suffix, suffix_from) = three_way(
        base.map(EngineSide::suffix),
        fork.suffix(),
        upstream.suffix(),
    )
    .or_else(|| {
        (is_comment_or_blank(fork.suffix()) && is_comment_or_blank(upstream.suffix()))
            .then(|| (fork.suffix(), Who::Fork))
    })
    .ok_or(RegionConflict::LastLine)?;
    if suffix_from == Who::Upstream {
        from_upstream.push("trailing comment".to_string());
    }
    let (_, skeleton_from) = three_way(
        base.map(|base| base.stmt.skeleton.as_bytes()),
        fork.stmt.skeleton.as_bytes(),
        upstream.stmt.skeleton.as_bytes(),
    )
    .ok_or(RegionConflict::Around)?;
    if skeleton_from == Who::Upstream {
        from_upstream.push("statement".to_string());
    }
    Ok(Frame {
        prefix,
        suffix,
        skeleton_from,
        from_upstream,
    })
}

/// A statement whose calls no longer pair (a side added or removed one, and they are
/// not named by slots): the side that changed it, pinned; where one side only pinned
/// what the other rewrote, the rewrite pinned; a conflict otherwise.
fn merge_reshaped(
    base: Option<&EngineSide>,
    fork: &EngineSide,
    upstream: &EngineSide,
    pins: Pins,
    conflict: &dyn Fn(RegionConflict) -> StatementOut,
) -> StatementOut {
    match three_way(
        base.map(|base| base.stmt.norm.as_bytes()),
        fork.stmt.norm.as_bytes(),
        upstream.stmt.norm.as_bytes(),
    ) {
        Some((_, who)) => {
            let side = if who == Who::Fork { fork } else { upstream };
            let lines = pinned_lines(side, pins);
            if let Some(why) = lines.blocked.filter(|_| who == Who::Upstream) {
                return conflict(RegionConflict::Unpinnable(why));
            }
            StatementOut::Clean {
                text: lines.text,
                pinned: lines.pinned,
                from_upstream: if who == Who::Upstream {
                    vec!["statement".into()]
                } else {
                    Vec::new()
                },
                unverified: lines.unverified,
            }
        }
        // One side only pinned the statement the other rewrote (added an engine to a
        // dict of engines, say): the rewrite, pinned.
        None => match base.and_then(|base| pinned_norm(base, pins)) {
            Some(pinned_base) if pinned_base == fork.stmt.norm => {
                take_pinned(upstream, pins, vec!["statement".into()], conflict)
            }
            Some(pinned_base) if pinned_base == upstream.stmt.norm => {
                take_pinned(fork, pins, Vec::new(), conflict)
            }
            _ => conflict(RegionConflict::Rewritten),
        },
    }
}

/// An engine of the base that the skeleton's side `s` removed and `other` changed
/// (beyond pinning it): the conflict it makes.
fn removed_and_changed(
    base: &EngineSide,
    s: &EngineSide,
    other: &EngineSide,
    pin: &Pin,
) -> Option<RegionConflict> {
    for call in &other.stmt.calls {
        let Some(slot) = call.slot.as_deref() else {
            continue;
        };
        if slot_index(s, slot).is_some() {
            continue;
        }
        let Some(j) = slot_index(base, slot) else {
            continue;
        };
        let kept = squeeze(&other.text[call.args.range.clone()]);
        let was = call_in(base, j);
        let unchanged = kept == squeeze(&base.text[was.call.args.range.clone()])
            || merge_call(None, was, was, pin, How::OneSide)
                .is_ok_and(|c| squeeze(&c.args) == kept);
        if !unchanged {
            return Some(RegionConflict::RemovedChanged {
                slot: slot.to_string(),
            });
        }
    }
    None
}

/// The statement of the skeleton's side `s` from its first call to its end, with each
/// call's merged arguments in place and every piece re-indented to `target_indent`.
fn rebuild<'s>(
    s: &EngineSide,
    calls: &[CallOut],
    side_of: &dyn Fn(Who) -> &'s EngineSide<'s>,
    target_indent: &[u8],
) -> Vec<u8> {
    let mut text = Vec::new();
    let mut pos = s.stmt.range.start;
    for (i, c) in calls.iter().enumerate() {
        let args_range = s.stmt.calls[i].args.range.clone();
        text.extend(reindent(
            &s.text[pos..args_range.start],
            s.indent(),
            target_indent,
        ));
        text.extend(reindent(&c.args, side_of(c.from).indent(), target_indent));
        pos = args_range.end;
    }
    text.extend(reindent(
        &s.text[pos..s.stmt.range.end],
        s.indent(),
        target_indent,
    ));
    text
}

/// Which call of a statement has slot `slot`.
pub(super) fn slot_index(side: &EngineSide, slot: &str) -> Option<usize> {
    side.stmt
        .calls
        .iter()
        .position(|c| c.slot.as_deref() == Some(slot))
}

/// Whether every call of a statement has a slot and no two share one.
pub(super) fn slotted(side: &EngineSide) -> bool {
    let all: Option<Vec<&str>> = side.stmt.calls.iter().map(|c| c.slot.as_deref()).collect();
    all.is_some_and(|mut all| {
        let n = all.len();
        all.sort_unstable();
        all.dedup();
        all.len() == n
    })
}
