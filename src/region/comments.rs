//! The run of comment lines above a statement, merged as a block.

use super::*;

/// Bytes without ASCII whitespace: two layouts of the same tokens compare equal.
pub(super) fn squeeze(text: &[u8]) -> Vec<u8> {
    text.iter()
        .copied()
        .filter(|base| !base.is_ascii_whitespace())
        .collect()
}

/// The comment run merged: the lines and the side whose indentation they carry.
pub(super) fn merge_comments<'a>(
    base: Option<&EngineSide<'a>>,
    fork: &EngineSide<'a>,
    upstream: &EngineSide<'a>,
    ctx: &Ctx,
) -> (Vec<Vec<u8>>, Who, bool) {
    let (bc, fc, uc) = (
        base.map(EngineSide::comments).unwrap_or_default(),
        fork.comments(),
        upstream.comments(),
    );
    let (lines, from, changed, _) = merge_comment_runs(&bc, &fc, &uc, ctx);
    (lines, from, changed)
}

/// Upstream's rewrite of the comment run above the fork's engine, where both sides
/// rewrote it and the fork's run stays (M2b): its lines, for the decision and the log.
pub(super) fn left_out_comment(
    base: Option<&EngineSide>,
    fork: &EngineSide,
    upstream: &EngineSide,
    ctx: &Ctx,
) -> Option<String> {
    let (bc, fc, uc) = (
        base.map(EngineSide::comments).unwrap_or_default(),
        fork.comments(),
        upstream.comments(),
    );
    merge_comment_runs(&bc, &fc, &uc, ctx).3.then(|| {
        uc.iter()
            .map(|l| String::from_utf8_lossy(l.trim_ascii()).into_owned())
            .collect::<Vec<_>>()
            .join(" / ")
    })
}

/// The comment runs merged, and whether upstream's rewrite was left out.
fn merge_comment_runs(
    bc: &[&[u8]],
    fc: &[&[u8]],
    uc: &[&[u8]],
    ctx: &Ctx,
) -> (Vec<Vec<u8>>, Who, bool, bool) {
    let (bc, fc, uc) = (bc.to_vec(), fc.to_vec(), uc.to_vec());
    let owned = |v: &[&[u8]]| v.iter().map(|l| l.to_vec()).collect::<Vec<_>>();
    if fc == uc || uc == bc {
        return (owned(&fc), Who::Fork, false, false);
    }
    if fc == bc {
        return (owned(&uc), Who::Upstream, true, false);
    }
    // Both rewrote the comments: merge them line by line; the fork's wins a conflict.
    let join = |v: &[&[u8]]| {
        v.iter()
            .flat_map(|l| [*l, b"\n"].concat())
            .collect::<Vec<u8>>()
    };
    if let Ok(m) = ctx.line.merge(
        &join(&bc),
        &join(&fc),
        &join(&uc),
        &Markers::default().into(),
    ) && m.conflicts == 0
    {
        let lines = m
            .content
            .strip_suffix(b"\n")
            .unwrap_or(&m.content)
            .split(|&c| c == b'\n')
            .filter(|_| !m.content.is_empty())
            .map(<[u8]>::to_vec)
            .collect();
        return (lines, Who::Fork, true, false);
    }
    (owned(&fc), Who::Fork, false, true)
}

/// Re-indents whole lines (each line, the first included) from one indentation to another.
pub(super) fn reindent_lines(lines: &[Vec<u8>], from: &[u8], to: &[u8]) -> Vec<Vec<u8>> {
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

pub(super) fn join_region(comments: &[Vec<u8>], statement: &[u8], eol: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for c in comments {
        out.extend_from_slice(c);
        out.extend_from_slice(eol);
    }
    out.extend_from_slice(statement);
    out
}
