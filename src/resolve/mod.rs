//! Conflict blocks already in a file (no index stages to merge from): the blocks that
//! concern only pool regions are resolved, every other block stays byte for byte.
//!
//! The file is split into the versions its blocks describe: ours (every block's ours
//! section), theirs, and the base (a diff3/zdiff3 block's base section; a merge-style
//! block has none, so its regions merge two-way). A block is resolved when every line
//! of both its sections lies in pool regions that match across the versions and reach
//! no other block; those regions merge as the driver merges them, and the lines they
//! cover, the block included, are replaced by the result.

use std::ops::Range;

use crate::conflict::{self, Block, Markers};
use crate::merge::imports::{self, ImportSide};
use crate::merge::line::LineMerge;
use crate::merge::regions::{self, Group, Region, Version};
use crate::merge::{Decision, Outcome, Side};
use crate::policy::Pin;
use crate::python;
use crate::region::{self, Ctx, EngineSide};

/// [`resolve`] with every pin of a profile, one after the other: a block left by one
/// pin may be another's.
pub(crate) fn resolve_all(
    text: &[u8],
    markers: &Markers,
    pins: &[Pin],
    line: &dyn LineMerge,
) -> Resolution {
    let mut out = Resolution {
        content: text.to_vec(),
        resolved: 0,
        left: 0,
        decisions: Vec::new(),
    };
    for pin in pins {
        let r = resolve(&out.content, markers, pin, line);
        out.content = r.content;
        out.resolved += r.resolved;
        out.left = r.left;
        out.decisions.extend(r.decisions);
    }
    // The result decides: a file resolved whole must hold nothing of the check that
    // taking ours or theirs in every block would not (a pinned server engine, a second
    // import, an unpinned SQLite engine both sides pinned); else it stays as it was.
    if out.resolved > 0 && out.left == 0 {
        let (_, ours, theirs) = crate::conflict::sides(text, markers.size);
        if !crate::check::unexplained(&out.content, &ours, &theirs, pins).is_empty() {
            let blocks = conflict::blocks(text, markers.size).len();
            return Resolution {
                content: text.to_vec(),
                resolved: 0,
                left: blocks,
                decisions: Vec::new(),
            };
        }
    }
    out
}

/// One version of the file built from the blocks' sections, with each block's
/// section range in it.
struct Built {
    text: Vec<u8>,
    sections: Vec<Range<usize>>,
}

fn build(text: &[u8], blocks: &[Block], pick: impl Fn(&Block) -> Range<usize>) -> Built {
    let mut out = Vec::with_capacity(text.len());
    let mut sections = Vec::new();
    let mut pos = 0;
    for b in blocks {
        out.extend_from_slice(&text[pos..b.range.start]);
        let s = pick(b);
        let start = out.len();
        out.extend_from_slice(&text[s]);
        sections.push(start..out.len());
        pos = b.range.end;
    }
    out.extend_from_slice(&text[pos..]);
    Built {
        text: out,
        sections,
    }
}

/// Maps an offset of a built version that lies outside every block's section (at
/// its start or after its end) back to the file.
fn to_file(offset: usize, built: &Built, blocks: &[Block]) -> usize {
    let mut delta: isize = 0;
    for (b, s) in blocks.iter().zip(&built.sections) {
        if offset <= s.start {
            break;
        }
        delta += b.range.len() as isize - s.len() as isize;
    }
    (offset as isize + delta) as usize
}

fn engine_side<'a>(v: &'a Version<'a>, r: &'a Region) -> Option<EngineSide<'a>> {
    Some(EngineSide {
        text: v.text,
        region: r,
        stmt: v.statement(r)?,
    })
}

fn import_side<'a>(v: &'a Version<'a>, r: &'a Region) -> Option<ImportSide<'a>> {
    Some(ImportSide {
        text: v.text,
        region: r,
        import: v.import(r)?,
    })
}

/// What happened to the blocks of a file.
#[derive(Debug, Clone)]
pub(crate) struct Resolution {
    /// The file with the pool blocks resolved.
    pub content: Vec<u8>,
    /// Blocks resolved.
    pub resolved: usize,
    /// Blocks left as they were.
    pub left: usize,
    /// Decisions on the regions merged.
    pub decisions: Vec<Decision>,
}

fn overlaps(a: &Range<usize>, b: &Range<usize>) -> bool {
    a.start < b.end && b.start < a.end
}

/// Whether every non-blank line of `section` lies inside one of `spans`.
fn covered(text: &[u8], section: &Range<usize>, spans: &[Range<usize>]) -> bool {
    let mut pos = section.start;
    for line in text[section.clone()].split_inclusive(|&b| b == b'\n') {
        let start = pos;
        pos += line.len();
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let end = start + line.trim_ascii_end().len();
        if !spans.iter().any(|s| s.start <= start && end <= s.end) {
            return false;
        }
    }
    true
}

/// Resolves the blocks of `text` that concern only pool regions.
pub(crate) fn resolve(
    text: &[u8],
    markers: &Markers,
    pin: &Pin,
    line: &dyn LineMerge,
) -> Resolution {
    let blocks = conflict::blocks(text, markers.size);
    let unchanged = |left| Resolution {
        content: text.to_vec(),
        resolved: 0,
        left,
        decisions: Vec::new(),
    };
    if blocks.is_empty() {
        return unchanged(0);
    }
    let ours = build(text, &blocks, |b| b.ours.clone());
    let theirs = build(text, &blocks, |b| b.theirs.clone());
    // A merge-style block has no base section: its regions have no base.
    let base = build(text, &blocks, |b| {
        b.base.clone().unwrap_or(b.range.start..b.range.start)
    });
    let version = |built: &Built| -> Option<(python::Scan, Vec<Region>)> {
        let scan = python::scan(&built.text, &pin.targets())?;
        let regions =
            regions::find_regions(&built.text, &scan, &pin.call, pin.import_module()).ok()?;
        Some((scan, regions))
    };
    let (Some(o), Some(t), Some(b)) = (version(&ours), version(&theirs), version(&base)) else {
        return unchanged(blocks.len());
    };
    let versions = [
        Version {
            text: &base.text,
            scan: b.0,
            regions: b.1,
        },
        Version {
            text: &ours.text,
            scan: o.0,
            regions: o.1,
        },
        Version {
            text: &theirs.text,
            scan: t.0,
            regions: t.1,
        },
    ];
    let groups = regions::match_regions(
        &versions[0].regions,
        &versions[1].regions,
        &versions[2].regions,
    );
    let markers = crate::conflict::LazyMarkers::from(markers.clone());
    let resolver = Resolver {
        pin,
        ctx: Ctx {
            pin,
            markers: &markers,
            line,
            fork_default: Side::Ours,
            beside: &[],
        },
        blocks: &blocks,
        ours: &ours,
        theirs: &theirs,
        versions: &versions,
        groups: &groups,
    };
    let mut replacements: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
    let mut decisions = Vec::new();
    for (k, block) in blocks.iter().enumerate() {
        if let Some((replacement, mut made)) = resolver.block(k, block) {
            replacements.push(replacement);
            decisions.append(&mut made);
        }
    }
    if replacements.is_empty() {
        return unchanged(blocks.len());
    }
    replacements.sort_by_key(|(r, _)| r.start);
    let resolved = replacements.len();
    Resolution {
        content: crate::region::edit::splice(text, &replacements),
        resolved,
        left: blocks.len() - resolved,
        decisions,
    }
}

/// A range of the file and its new text.
type Replacement = (Range<usize>, Vec<u8>);

/// What resolving the blocks of one file reads.
struct Resolver<'a> {
    pin: &'a Pin,
    ctx: Ctx<'a>,
    blocks: &'a [Block],
    /// The file with ours, and with theirs, taken in every block.
    ours: &'a Built,
    theirs: &'a Built,
    /// The base, ours and theirs versions' regions.
    versions: &'a [Version<'a>; 3],
    groups: &'a [Group],
}

impl Resolver<'_> {
    /// Block `k` resolved: the range of the file it replaces (markers and all), its
    /// new text, and the decisions. `None` where the block is not only about pool
    /// regions, or a region merge conflicts: the user decides.
    fn block(&self, k: usize, block: &Block) -> Option<(Replacement, Vec<Decision>)> {
        let (ours, theirs, versions) = (self.ours, self.theirs, self.versions);
        let (os, ts) = (&ours.sections[k], &theirs.sections[k]);
        if os.is_empty() || ts.is_empty() {
            return None; // One side deleted the lines: the user decides.
        }
        let touching: Vec<&Group> = self
            .groups
            .iter()
            .filter(|g| {
                g.ours
                    .is_some_and(|r| overlaps(&versions[1].regions[r].span, os))
                    || g.theirs
                        .is_some_and(|r| overlaps(&versions[2].regions[r].span, ts))
            })
            .collect();
        if touching.is_empty()
            || touching
                .iter()
                .any(|g| g.ours.is_none() || g.theirs.is_none())
            || touching.iter().any(|g| {
                g.ours.is_some_and(|r| versions[1].opts_out(r))
                    || g.theirs.is_some_and(|r| versions[2].opts_out(r))
            })
        {
            return None;
        }
        let spans = |v: usize, pick: fn(&Group) -> Option<usize>| -> Vec<Range<usize>> {
            touching
                .iter()
                .filter_map(|g| pick(g))
                .map(|r| versions[v].regions[r].span.clone())
                .collect()
        };
        let (ospans, tspans) = (spans(1, |g| g.ours), spans(2, |g| g.theirs));
        if !covered(&ours.text, os, &ospans) || !covered(&theirs.text, ts, &tspans) {
            return None;
        }
        // The regions may reach past this block, but not into another one.
        let other_block = |spans: &[Range<usize>], built: &Built| {
            built.sections.iter().enumerate().any(|(j, s)| {
                j != k
                    && spans.iter().any(|sp| {
                        overlaps(sp, s) || (s.is_empty() && sp.start < s.start && s.start < sp.end)
                    })
            })
        };
        if other_block(&ospans, ours) || other_block(&tspans, theirs) {
            return None;
        }
        // Merge each region; any conflict leaves the block as it is.
        let mut ordered: Vec<&Group> = touching;
        ordered.sort_by_key(|g| g.ours.map(|r| versions[1].regions[r].span.start));
        let mut decisions = Vec::new();
        let mut merged_parts: Vec<(Range<usize>, Vec<u8>)> = Vec::new();
        for g in &ordered {
            let (span, text, decision) = self.group(g)?;
            decisions.push(decision);
            merged_parts.push((span, text));
        }
        // The lines from the first region to the last, gaps taken from ours (they lie
        // outside the block, so both sides have them).
        let span = merged_parts.first()?.0.start..merged_parts.last()?.0.end;
        let mut new = Vec::new();
        let mut pos = span.start;
        for (r, text_) in &merged_parts {
            if overlaps(&(pos..r.start), os) {
                return None;
            }
            new.extend_from_slice(&ours.text[pos..r.start]);
            new.extend_from_slice(text_);
            pos = r.end;
        }
        // Lines of the section outside the regions (blank ones) stay; the block's
        // markers go.
        let (file_start, head) = if span.start >= os.start {
            (block.range.start, &ours.text[os.start..span.start])
        } else {
            (to_file(span.start, ours, self.blocks), &b""[..])
        };
        let (file_end, tail) = if span.end <= os.end {
            (block.range.end, &ours.text[span.end..os.end])
        } else {
            (to_file(span.end, ours, self.blocks), &b""[..])
        };
        let replacement = (file_start..file_end, [head, new.as_slice(), tail].concat());
        Some((replacement, decisions))
    }

    /// One group of a block merged: its span in ours, its text, the decision. `None`
    /// where it conflicts.
    fn group(&self, g: &Group) -> Option<(Range<usize>, Vec<u8>, Decision)> {
        let (versions, pin) = (self.versions, self.pin);
        let region = |v: usize, r: Option<usize>| r.map(|r| &versions[v].regions[r]);
        let (br, or, tr) = (region(0, g.base), region(1, g.ours)?, region(2, g.theirs)?);
        if or.is_engine() {
            let side = |v: usize, r| engine_side(&versions[v], r);
            let (os, ts) = (side(1, or)?, side(2, tr)?);
            let m = region::merge_region(br.and_then(|r| side(0, r)), os, ts, &self.ctx);
            if m.conflict {
                return None;
            }
            return Some((or.span.clone(), m.text, m.decision));
        }
        // An import region: the pin imports something.
        let pin_import = pin.import.as_ref()?;
        let import = |v: usize, r| import_side(&versions[v], r);
        let (oi, ti) = (import(1, or)?, import(2, tr)?);
        let bi = br.and_then(|r| versions[0].import(r));
        let (fork, mut names) =
            imports::merge_group(bi, Some(oi.import), Some(ti.import), &pin_import.name);
        let first = if fork == Side::Ours { oi } else { ti };
        if names.iter().any(|n| n.name == pin_import.name) {
            // The file pins: names the rest of the fork's version no longer uses go.
            let mut rest = versions[1].text.to_vec();
            rest.splice(or.span.clone(), std::iter::empty());
            let retired = imports::unused(&rest, &pin.retire);
            imports::remove_names(&mut names, &retired);
        }
        let decision = Decision {
            region: format!("import {}", pin_import.module),
            line: regions::line_number(versions[1].text, or.span.start),
            fork: Some(fork),
            outcome: Outcome::Merged,
            from_fork: Vec::new(),
            from_upstream: Vec::new(),
            note: "conflict block resolved".into(),
        };
        Some((or.span.clone(), imports::render(first, &names), decision))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conflict::Style;
    use crate::merge::line::GitMergeFile;

    const HEAD: &str = "from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\nURL = 'sqlite:///db/logs.db'\n\n";
    const FORK: &str = "logs_engine = create_engine(\n    URL,\n    poolclass=StaticPool,\n    connect_args={\n        \"check_same_thread\": False,\n        \"timeout\": 20.0,\n    },\n    pool_pre_ping=True,\n)\n";
    const UPSTREAM: &str = "logs_engine = create_engine(\n    URL,\n    poolclass=NullPool,\n    connect_args={\"check_same_thread\": False},\n    echo=True,\n)\n";
    const BASE: &str = "logs_engine = create_engine(\n    URL,\n    poolclass=NullPool,\n    connect_args={\"check_same_thread\": False}\n)\n";

    fn resolve_text(text: &str, style: Style) -> Resolution {
        let markers = Markers {
            style,
            ..Markers::default()
        };
        resolve(
            text.as_bytes(),
            &markers,
            &Pin::builtin(),
            &GitMergeFile::default(),
        )
    }

    #[test]
    fn a_diff3_block_around_the_engine_merges_with_its_base() {
        let text = format!(
            "{HEAD}<<<<<<< HEAD\n{FORK}||||||| base\n{BASE}=======\n{UPSTREAM}>>>>>>> upstream\n\nx = 1\n"
        );
        let r = resolve_text(&text, Style::Diff3);
        assert_eq!((r.resolved, r.left), (1, 0));
        let out = String::from_utf8(r.content).unwrap();
        let want = FORK.replace(
            "    pool_pre_ping=True,\n",
            "    pool_pre_ping=True,\n    echo=True,\n",
        );
        assert_eq!(out, format!("{HEAD}{want}\nx = 1\n"));
    }

    #[test]
    fn a_merge_style_block_inside_a_region_merges_two_way() {
        let text = format!("{HEAD}<<<<<<< HEAD\n{FORK}=======\n{BASE}>>>>>>> upstream\nx = 1\n");
        let r = resolve_text(&text, Style::Merge);
        assert_eq!((r.resolved, r.left), (1, 0));
        assert_eq!(
            String::from_utf8(r.content).unwrap(),
            format!("{HEAD}{FORK}x = 1\n")
        );
    }

    #[test]
    fn other_blocks_stay_as_they_are() {
        let other = "<<<<<<< HEAD\ny = 1\n=======\ny = 2\n>>>>>>> upstream\n";
        let text = format!("{HEAD}<<<<<<< HEAD\n{FORK}=======\n{BASE}>>>>>>> upstream\n\n{other}");
        let r = resolve_text(&text, Style::Merge);
        assert_eq!((r.resolved, r.left), (1, 1));
        assert_eq!(
            String::from_utf8(r.content).unwrap(),
            format!("{HEAD}{FORK}\n{other}")
        );
    }

    #[test]
    fn parses_blocks_of_each_style() {
        let text = b"a\n<<<<<<< x\nb\n||||||| y\nc\n=======\nd\n>>>>>>> z\ne\n";
        let blocks = conflict::blocks(text, 7);
        assert_eq!(blocks.len(), 1);
        assert_eq!(&text[blocks[0].ours.clone()], b"b\n");
        assert_eq!(&text[blocks[0].base.clone().unwrap()], b"c\n");
        assert_eq!(&text[blocks[0].theirs.clone()], b"d\n");
        assert_eq!(&text[blocks[0].range.clone()], &text[2..text.len() - 2]);
    }
}
