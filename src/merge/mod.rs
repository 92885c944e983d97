//! The pure three-way merge engine: bytes in, an outcome out; no git, no file I/O
//! (the plain line merge is reached through the `LineMerge` trait).
//!
//! The pipeline: find the pool regions of base/ours/theirs with tree-sitter and match
//! them; replace each region by a placeholder line (the same line in every version
//! when the region merges at keyword level, so the line merge sees no change there);
//! run git's line merge on the masked texts; merge each region on its own; put the
//! regions back; fix the pool import. Anything the engine doubts falls back to git's
//! plain merge of the original texts.

mod doubt;
pub mod imports;
mod layer;
pub mod line;
mod merger;
mod placeholders;
pub mod regions;
mod unmask;
mod working;

use std::fmt;

use crate::conflict::{LazyMarkers, has_complete_block, outside_blocks};
use crate::policy::Pin;
use crate::python::{self, ImportedName, contains};
use crate::region::{Ctx, EngineSide, RegionMerge};
use imports::ImportSide;
use line::{LineMerge, split_eol};
use placeholders::Placeholders;
use regions::{Group, Region, Version};

pub(crate) use crate::policy::Side;
pub use doubt::{Doubt, Error, LineMergeError, Result};
use merger::Merger;
use working::working_sides;

/// The three versions of the file.
#[derive(Debug, Clone, Copy)]
pub struct Input<'a> {
    /// The common ancestor (`%O`).
    pub base: &'a [u8],
    /// Our version (`%A`).
    pub ours: &'a [u8],
    /// Their version (`%B`).
    pub theirs: &'a [u8],
}

/// How to merge.
#[derive(Debug, Clone)]
pub struct Options {
    /// Conflict markers: size, labels, and the style (or how to look it up when a
    /// conflict needs it).
    pub markers: LazyMarkers,
    /// The pins to keep, never empty, in the profile's order: a statement two pins
    /// could take is the first one's.
    pins: Vec<Pin>,
    /// How much work the engine may do before it leaves the file to git's merge.
    pub limits: crate::python::Limits,
}

impl Default for Options {
    fn default() -> Options {
        Options::for_pins(crate::conflict::Markers::default(), &[])
    }
}

impl Options {
    /// Every pin, in the profile's order.
    pub fn pins(&self) -> impl Iterator<Item = &Pin> {
        self.pins.iter()
    }

    /// The first pin.
    pub fn pin(&self) -> &Pin {
        &self.pins[0]
    }

    /// These options with `pins` (not empty) in place of the profile's.
    pub(crate) fn with_pins(&self, pins: Vec<Pin>) -> Options {
        debug_assert!(!pins.is_empty(), "a merge has a pin");
        Options {
            pins,
            ..self.clone()
        }
    }

    /// Options for a profile's pins (the first one and the rest).
    pub fn for_pins(markers: impl Into<LazyMarkers>, pins: &[Pin]) -> Options {
        Options {
            markers: markers.into(),
            pins: if pins.is_empty() {
                vec![Pin::builtin()]
            } else {
                pins.to_vec()
            },
            limits: crate::python::Limits::default(),
        }
    }
}

/// What became of a pool region.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The fork's text, unchanged.
    Kept,
    /// The fork's text with the pin completed.
    Pinned,
    /// Upstream's changes merged into the fork's text, pin on top.
    Merged,
    /// A region only one side added, taken as it is.
    Added,
    /// A conflict block around the statement.
    Conflict,
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Outcome::Kept => "kept",
            Outcome::Pinned => "pinned",
            Outcome::Merged => "merged",
            Outcome::Added => "added",
            Outcome::Conflict => "conflict",
        })
    }
}

/// One decision on a pool region, for the user's audit trail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decision {
    /// Which region (`engine logs_engine`, `import sqlalchemy.pool`).
    pub region: String,
    /// Its line in the fork's version.
    pub line: usize,
    /// Which side carried the pin.
    pub fork: Option<Side>,
    /// What became of it.
    pub outcome: Outcome,
    /// What was kept from the fork.
    pub from_fork: Vec<String>,
    /// What was taken from upstream.
    pub from_upstream: Vec<String>,
    /// Anything else worth saying.
    pub note: String,
}

/// Why the merge is git's plain merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Plain {
    /// No pool region in any version (M1).
    NoRegions,
    /// A side already holds conflict markers (M13).
    Markers,
    /// The engine doubted something (M11).
    Doubt(Doubt),
}

/// How the result was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// Pool regions merged by poolmerge, the rest by the line merge.
    Regions,
    /// git's plain merge.
    Plain(Plain),
    /// A binary file: ours kept (M12).
    Binary,
}

/// The merged file.
#[derive(Debug, Clone)]
pub struct MergeOutcome {
    /// The merged bytes.
    pub content: Vec<u8>,
    /// How many conflict blocks they hold (0: clean).
    pub conflicts: usize,
    /// Decisions on pool regions.
    pub decisions: Vec<Decision>,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// How the result was made.
    pub mode: Mode,
}

pub use linemerge::is_binary;

/// git's plain three-way merge.
pub fn plain(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    why: Plain,
) -> Result<MergeOutcome> {
    let m = line.merge(input.base, input.ours, input.theirs, &opts.markers)?;
    let warnings = match &why {
        Plain::Doubt(reason) => vec![format!("{reason}; used git's plain merge")],
        Plain::Markers => {
            vec!["a side already holds conflict markers; used git's plain merge".into()]
        }
        Plain::NoRegions => Vec::new(),
    };
    Ok(MergeOutcome {
        content: m.content,
        conflicts: m.conflicts,
        decisions: Vec::new(),
        warnings,
        mode: Mode::Plain(why),
    })
}

/// Merges the three versions.
pub fn merge(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    let aliased = with_aliases(opts, &[input.base, input.ours, input.theirs]);
    let opts = aliased.as_ref().unwrap_or(opts);
    let outcome = merge_pools(input, opts, line)?;
    let outcome = if outcome.conflicts == 0 || outcome.mode != Mode::Regions {
        outcome
    } else {
        working_sides(input, opts, line, outcome)?
    };
    verified_aliased(input, opts, line, outcome)
}

/// The result decides: a clean result of the engine (or of git's merge where the
/// engine doubted) is read again by [`crate::check::unexplained`], independently of how
/// it was made. One that fails is replaced by git's plain merge with a warning; where
/// git's merge is clean and fails too, it is written all the same but reported as a
/// conflict (doubt never exits 0). The kill switch's, a binary file's and a side's own
/// markers' results are git's and stay as they are.
pub fn verified(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    outcome: MergeOutcome,
) -> Result<MergeOutcome> {
    let aliased = with_aliases(opts, &[input.base, input.ours, input.theirs]);
    verified_aliased(input, aliased.as_ref().unwrap_or(opts), line, outcome)
}

/// [`verified`] with options whose pins know the versions' aliases.
fn verified_aliased(
    input: &Input,
    opts: &Options,
    line: &dyn LineMerge,
    outcome: MergeOutcome,
) -> Result<MergeOutcome> {
    let checked = matches!(outcome.mode, Mode::Regions | Mode::Plain(Plain::Doubt(_)));
    if !checked || outcome.conflicts > 0 {
        return Ok(outcome);
    }
    let pins = &opts.pins;
    let fault = |text: &[u8]| {
        crate::check::unexplained(text, input.ours, input.theirs, pins)
            .first()
            .map(|f| format!("line {}: {}", f.line, f.message))
    };
    let Some(why) = fault(&outcome.content) else {
        return Ok(outcome);
    };
    let mut out = if outcome.mode == Mode::Regions {
        plain(input, opts, line, Plain::Doubt(Doubt::Unverified(why)))?
    } else {
        outcome
    };
    if out.conflicts == 0
        && let Some(still) = fault(&out.content)
    {
        out.conflicts = 1;
        out.warnings.push(format!(
            "git's merge is clean but fails the check too ({still}): left as a conflict for you to look at"
        ));
    }
    Ok(out)
}

/// The options with each pin knowing the aliases the versions give its call; `None`
/// where they give none (the usual case: nothing cloned).
fn with_aliases(opts: &Options, texts: &[&[u8]]) -> Option<Options> {
    let aliases = |pin: &Pin| -> Vec<String> {
        let mut all: Vec<String> = Vec::new();
        for text in texts {
            for a in python::call_aliases(text, &pin.call) {
                if !all.contains(&a) {
                    all.push(a);
                }
            }
        }
        all
    };
    let found: Vec<Vec<String>> = opts.pins().map(aliases).collect();
    if found.iter().all(Vec::is_empty) {
        return None;
    }
    let with = |pin: &Pin, a: &[String]| Pin {
        aliases: pin.aliases.iter().chain(a).fold(Vec::new(), |mut all, x| {
            if !all.contains(x) {
                all.push(x.clone());
            }
            all
        }),
        ..pin.clone()
    };
    Some(opts.with_pins(opts.pins().zip(&found).map(|(p, a)| with(p, a)).collect()))
}

/// [`merge`] before its sides are checked: also the merge again of the versions with
/// some pins applied, with the other pins.
fn merge_pools(input: &Input, opts: &Options, line: &dyn LineMerge) -> Result<MergeOutcome> {
    if [input.base, input.ours, input.theirs]
        .iter()
        .any(|t| is_binary(t))
    {
        return Ok(MergeOutcome {
            content: input.ours.to_vec(),
            conflicts: 1,
            decisions: Vec::new(),
            warnings: vec!["binary file: kept ours, as git does".into()],
            mode: Mode::Binary,
        });
    }
    let size = opts.markers.size();
    if has_complete_block(input.ours, size) || has_complete_block(input.theirs, size) {
        return plain(input, opts, line, Plain::Markers);
    }
    Merger::new(input, opts, line).run()
}

/// Which versions hold a group's region: the base, ours, theirs.
const BASE: usize = 0;
const OURS: usize = 1;
const THEIRS: usize = 2;
