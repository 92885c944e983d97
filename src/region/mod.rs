//! Merging one engine region: the comment run above the statement, the statement
//! around the call (target, callee, indentation), and the call's arguments keyword by
//! keyword, with the pin enforced on top.
//!
//! "The fork" is the side whose region carries the pin (decided by content, so the same
//! merge gives the same file during a rebase, where git swaps the sides). Whenever the
//! result is semantically the fork's statement, the fork's text is used byte for byte;
//! otherwise upstream's changes are spliced into the fork's text.

mod call;
mod comments;
mod dict;
pub(crate) mod edit;
mod statement;

use std::fmt;

use crate::conflict::Markers;
use crate::merge::line::LineMerge;
use crate::merge::regions::Region;
use crate::merge::{Decision, Outcome, Side};
use crate::policy::When;
use crate::policy::{EngineClass, Evidence, Facts, Pin, PinValue, fork_side};
use crate::python::{self, Call, Container, EngineStatement, Item, ItemKey};
use crate::region::edit::{
    Edit, edit_container, eol_in, indent_at, indent_unit, line_eol, one_a_line, one_item_a_line,
    reindent,
};

use call::*;
use comments::*;
use dict::*;
use statement::*;

pub(crate) use dict::fresh_layout;
pub(crate) use statement::pin_statement;

/// One version's engine region.
#[derive(Debug, Clone, Copy)]
pub(crate) struct EngineSide<'a> {
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
            .split(|&base| base == b'\n')
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

    /// How much of the pin the statement's calls carry: all of it in every call, and
    /// how many items.
    fn evidence(&self, pin: &Pin) -> Evidence {
        Evidence {
            whole: self.stmt.calls.iter().all(|c| pin.carries(&c.args)),
            score: self.stmt.calls.iter().map(|c| pin.score(&c.args)).sum(),
        }
    }

    /// A short name for messages.
    fn name(&self, pin: &Pin) -> String {
        statement_name(self.stmt, pin)
    }
}

/// A short name for an engine statement in messages: its target, or the call, and
/// where it is.
pub(crate) fn statement_name(stmt: &EngineStatement, pin: &Pin) -> String {
    // Engines are what the built-in pin is about; other pins name their call.
    let noun = if pin.call == "create_engine" {
        "engine"
    } else {
        pin.call.as_str()
    };
    let what = match stmt.target.as_str() {
        "" => format!("{noun} call"),
        "return" => format!("returned {noun}"),
        // `engine = create_engine(...)`: "the engine", not "engine engine".
        target if target == noun => format!("the {noun}"),
        target => format!("{noun} {target}"),
    };
    if stmt.scope.is_empty() {
        what
    } else {
        format!("{what} in {}", stmt.scope)
    }
}

/// What the engine needs besides the three regions.
pub(crate) struct Ctx<'a> {
    /// The pin.
    pub pin: &'a Pin,
    /// Conflict markers for region conflicts (the style looked up only for one).
    pub markers: &'a crate::conflict::LazyMarkers,
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

/// Why a call that needs the pin cannot take it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Unpinnable {
    /// The call passes `**keywords`.
    Splat,
    /// `connect_args` is not a dict literal.
    ConnectArgs,
}

impl fmt::Display for Unpinnable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unpinnable::Splat => "the call passes **keywords",
            Unpinnable::ConnectArgs => "connect_args is not a dict literal",
        })
    }
}

/// Why a region merge conflicts (M9): the user decides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum RegionConflict {
    /// The pin cannot be applied to upstream's call.
    Unpinnable(Unpinnable),
    /// Upstream gives the pinned call a server pool (these keywords).
    ServerPool(Vec<String>),
    /// Upstream sets its own pool class (`keyword=value`).
    OwnPool { keyword: String, value: String },
    /// Both sides rewrote the statement (its calls no longer pair).
    Rewritten,
    /// Both sides changed the start of the statement's first line.
    LineStart,
    /// Both sides changed the rest of the statement's last line.
    LastLine,
    /// Both sides changed the statement around the call.
    Around,
    /// The engines of a statement could not be paired.
    EnginesDoNotMatch,
    /// One side removed an engine of the statement the other changed.
    RemovedChanged { slot: String },
    /// Both sides changed these keys differently.
    Keys(Vec<String>),
    /// Upstream changed what the engine the fork pinned is (this, in words).
    KindChanged(String),
}

impl fmt::Display for RegionConflict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RegionConflict::Unpinnable(why) => write!(f, "cannot apply the pin: {why}"),
            RegionConflict::ServerPool(keys) => write!(
                f,
                "upstream gives the pinned call a server pool ({})",
                keys.join(", ")
            ),
            RegionConflict::OwnPool { keyword, value } => {
                write!(f, "upstream sets its own pool class ({keyword}={value})")
            }
            RegionConflict::Rewritten => f.write_str("both sides rewrote the engine statement"),
            RegionConflict::LineStart => {
                f.write_str("both sides changed the start of the statement's line")
            }
            RegionConflict::LastLine => {
                f.write_str("both sides changed the rest of the statement's last line")
            }
            RegionConflict::Around => {
                f.write_str("both sides changed the statement around the call")
            }
            RegionConflict::EnginesDoNotMatch => {
                f.write_str("the engines of the statement do not match")
            }
            RegionConflict::RemovedChanged { slot } => {
                write!(f, "one side removed the engine {slot} the other changed")
            }
            RegionConflict::Keys(keys) => write!(f, "both sides changed {}", keys.join(", ")),
            RegionConflict::KindChanged(what) => f.write_str(what),
        }
    }
}

/// The pin could not be verified on these calls (a call that keeps the fork's text
/// but passes `**keywords` or a non-literal `connect_args`): the decision's note.
fn unverified_note(unverified: &[Unpinnable]) -> String {
    unverified
        .iter()
        .map(|why| format!("cannot verify the pin: {why}"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// How a call is merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum How {
    /// Three ways; keys both sides changed differently are settled for this side (the
    /// caller renders both preferences as a conflict).
    Merge(Who),
    /// A single side (base, fork and upstream the same): the pin applied where it can
    /// be, never a conflict.
    OneSide,
}

/// The merge of one region.
#[derive(Debug, Clone)]
pub(crate) struct RegionMerge {
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
    /// Calls the pin could not be verified on (kept as they were).
    pub unverified: Vec<Unpinnable>,
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
    blocked: Option<Unpinnable>,
    /// Keywords both sides changed differently.
    conflicts: Vec<String>,
    /// What came from upstream.
    from_upstream: Vec<String>,
    /// Calls the pin could not be verified on.
    unverified: Vec<Unpinnable>,
}

/// Merges a region present in ours and theirs (and maybe the base).
// Long on purpose: the fork side, the comment run, the statement, and the rendering
// of a clean or conflicting result, in order; each step is already its own function.
pub(crate) fn merge_region(
    base: Option<EngineSide>,
    ours: EngineSide,
    theirs: EngineSide,
    ctx: &Ctx,
) -> RegionMerge {
    // The fork is the side whose region carries the pin (ours when both do); when
    // neither carries all of it, the side that carries more, then the file's verdict.
    let side =
        fork_side(ours.evidence(ctx.pin), theirs.evidence(ctx.pin)).unwrap_or(ctx.fork_default);
    let (fork, upstream) = match side {
        Side::Ours => (ours, theirs),
        Side::Theirs => (theirs, ours),
    };
    let eol = fork.eol();
    let (comments, comments_from, comments_changed_up) =
        merge_comments(base.as_ref(), &fork, &upstream, ctx);
    let target_indent_of = |text: &[u8]| -> Vec<u8> {
        let n = text
            .iter()
            .take_while(|&&c| c == b' ' || c == b'\t')
            .count();
        text[..n].to_vec()
    };
    let mut decision = Decision {
        region: fork.name(ctx.pin),
        line: crate::merge::regions::line_number(fork.text, fork.stmt.range.start),
        fork: Some(side),
        outcome: Outcome::Kept,
        from_fork: Vec::new(),
        from_upstream: Vec::new(),
        note: String::new(),
    };
    // Upstream's words are never dropped in silence (M2b): the decision says so and
    // the log holds them.
    let left_out = left_out_comment(base.as_ref(), &fork, &upstream, ctx).map(|text| {
        format!("upstream's rewrite of the comment above it was left out, the fork's comment stays: {text}")
    });
    let statement = merge_statement(base.as_ref(), &fork, &upstream, ctx, Who::Fork);
    match statement {
        StatementOut::Clean {
            text,
            pinned,
            mut from_upstream,
            unverified,
        } => {
            let indent = target_indent_of(&text);
            let src_indent = if comments_from == Who::Upstream {
                upstream.indent()
            } else {
                fork.indent()
            };
            let comments = reindent_lines(&comments, src_indent, &indent);
            if comments_changed_up {
                from_upstream.insert(0, "comment".to_string());
            }
            let merged = join_region(&comments, &text, eol);
            let verbatim = merged == fork.text[fork.region.span.clone()];
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
            decision.note = unverified_note(&unverified);
            if let Some(left_out) = &left_out {
                if !decision.note.is_empty() {
                    decision.note.push_str("; ");
                }
                decision.note.push_str(left_out);
            }
            RegionMerge {
                ours: merged.clone(),
                theirs: merged.clone(),
                text: merged,
                conflict: false,
                pinned,
                decision,
                unverified,
            }
        }
        StatementOut::Conflict {
            fork: fork_text,
            upstream: upstream_lines,
            reason,
        } => {
            let (fork_text, upstream_text) = if upstream_lines.is_empty() {
                // Keyword conflicts: both renderings of the merged call.
                let up = match merge_statement(base.as_ref(), &fork, &upstream, ctx, Who::Upstream)
                {
                    StatementOut::Conflict { fork: up, .. } => up,
                    StatementOut::Clean { text, .. } => text,
                };
                (fork_text, up)
            } else {
                (fork_text, upstream_lines)
            };
            let (ours_s, theirs_s) = match side {
                Side::Ours => (fork_text, upstream_text),
                Side::Theirs => (upstream_text, fork_text),
            };
            let base_s = base.map(|base| base.lines().to_vec());
            let block = ctx.markers.get().render_block(
                Some(&ours_s),
                base_s.as_deref(),
                Some(&theirs_s),
                eol,
            );
            let text = join_region(&comments, &block, eol);
            decision.outcome = Outcome::Conflict;
            decision.note = reason.to_string();
            RegionMerge {
                ours: join_region(&comments, &ours_s, eol),
                theirs: join_region(&comments, &theirs_s, eol),
                text,
                conflict: true,
                pinned: true,
                decision,
                unverified: Vec::new(),
            }
        }
    }
}

/// A region only one side has (an addition), or one side kept while the other deleted
/// it: that side's region with the pin applied where it can be.
pub(crate) fn one_side(side: EngineSide, which: Side, ctx: &Ctx, added: bool) -> RegionMerge {
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
        note: String::new(),
    };
    if added && let Some(why) = &lines.blocked {
        // A new SQLite engine that cannot take the pin: the user decides (M9).
        decision.note = format!("the new engine from {which} cannot take the pin: {why}");
        let (ours, theirs) = match which {
            Side::Ours => (Some(lines.text.as_slice()), None),
            Side::Theirs => (None, Some(lines.text.as_slice())),
        };
        let block = ctx.markers.get().render_block(ours, None, theirs, eol);
        return RegionMerge {
            ours: text.clone(),
            theirs: text,
            text: join_region(&comments, &block, eol),
            conflict: true,
            pinned: false,
            decision,
            unverified: Vec::new(),
        };
    }
    // The note says what was done; where nothing was, that the pin was not verified.
    let mut unverified = Vec::new();
    if added {
        decision.outcome = if changed {
            Outcome::Pinned
        } else {
            Outcome::Added
        };
        if changed {
            decision.note = format!("new engine from {which} gets the pin");
        } else {
            unverified = lines.unverified;
            decision.note = unverified_note(&unverified);
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
        unverified,
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
