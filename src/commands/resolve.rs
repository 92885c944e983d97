//! `poolmerge resolve`: finishes what a merge, rebase or cherry-pick left conflicted
//! (the driver not installed, or installed late). Each unmerged path routed to
//! poolmerge is merged from its index stages as the driver would, written to the work
//! tree with the repository's end-of-line conversion, and staged as `git add` would
//! when clean. A named file with conflict markers but no stages gets its pool blocks
//! resolved in place.

use std::collections::BTreeMap;
use std::path::Path;

use anyhow::{Context, Result, bail};
use git2::{Oid, Repository, RepositoryState};

use crate::cli::ResolveArgs;
use crate::commands::merge_safely;
use crate::conflict::{Markers, Style, first_labels};
use crate::exit::Status;
use crate::fsutil::{atomic_write, read_worktree_file};
use crate::merge::line::LineMerge;
use crate::merge::{Decision, Input, Options};
use crate::repo;
use crate::repo::index::{self, Stages};
use crate::report::{self, counted};
use crate::resolve;

/// Runs `poolmerge resolve`.
pub(crate) fn run(args: &ResolveArgs) -> Result<Status> {
    let repo = repo::open()?;
    run_with_repo(&repo, args, crate::commands::line_merge().as_ref())
}

fn unmerged(repo: &Repository) -> Result<BTreeMap<String, Stages>> {
    let mut out: BTreeMap<String, Stages> = BTreeMap::new();
    for e in index::entries(repo, &[])?
        .into_iter()
        .filter(|e| e.stage > 0)
    {
        out.entry(e.path).or_default().set(e.stage, e.oid);
    }
    Ok(out)
}

/// The conflict style git would use here.
fn style(repo: &Repository) -> Style {
    repo::config_string(Some(repo), "merge.conflictStyle")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default()
}

/// Labels for a re-merge: those git wrote in the file, else names for the operation
/// in progress.
fn labels(
    repo: &Repository,
    worktree: Option<&[u8]>,
    size: usize,
) -> (Option<String>, Option<String>, Option<String>) {
    if let Some(found) = worktree.and_then(|t| first_labels(t, size)) {
        return found;
    }
    let theirs = match repo.state() {
        RepositoryState::Merge => "MERGE_HEAD",
        RepositoryState::Rebase
        | RepositoryState::RebaseInteractive
        | RepositoryState::RebaseMerge => "REBASE_HEAD",
        RepositoryState::CherryPick | RepositoryState::CherryPickSequence => "CHERRY_PICK_HEAD",
        RepositoryState::Revert | RepositoryState::RevertSequence => "REVERT_HEAD",
        _ => "theirs",
    };
    (
        Some("HEAD".into()),
        Some("base".into()),
        Some(theirs.into()),
    )
}

fn blob(repo: &Repository, oid: Option<Oid>) -> Result<Vec<u8>> {
    match oid {
        Some(oid) => repo::read_blob(repo, oid),
        None => Ok(Vec::new()),
    }
}

/// Runs `resolve` in a repository with a given line merge.
pub(crate) fn run_with_repo(
    repo: &Repository,
    args: &ResolveArgs,
    line: &dyn LineMerge,
) -> Result<Status> {
    let Some(workdir) = repo.workdir().map(Path::to_path_buf) else {
        bail!("a bare repository has no work tree to resolve");
    };
    let conflicts = unmerged(repo)?;
    let named = repo::repo_relative_all(repo, &args.paths)?;
    let candidates: Vec<String> = if named.is_empty() {
        conflicts.keys().cloned().collect()
    } else {
        named.clone()
    };
    let attrs = repo::attributes(repo, &candidates, repo::FILE_ATTRS, None)?;
    let profile = crate::commands::profile(repo)?;
    let (targets, unrouted): (Vec<String>, Vec<String>) = if named.is_empty() {
        candidates
            .into_iter()
            .partition(|p| crate::commands::owned(&profile, &attrs, p))
    } else {
        (candidates, Vec::new())
    };
    let eol = repo::EolConfig::read(repo);
    let style = style(repo);
    let would = if args.dry_run { "would be " } else { "" };
    let (mut remaining, mut errors) = (0usize, 0usize);
    if named.is_empty() && conflicts.is_empty() {
        outln!("nothing to resolve: no path is unmerged")?;
    }
    // Never a silent success while paths stay unmerged: say why each is left.
    for path in &unrouted {
        outln!(
            "{path}: still conflicted, not routed to poolmerge (no merge=poolmerge attribute here); `poolmerge install` routes it (also in .git/info/attributes, which holds during a rebase), or name it: poolmerge resolve {path}"
        )?;
        remaining += 1;
    }
    let mut decisions: Vec<(String, Decision)> = Vec::new();
    let mut staged: Vec<String> = Vec::new();
    let one = OnePath {
        repo,
        workdir: &workdir,
        args,
        line,
        attrs: &attrs,
        profile: &profile,
        eol: &eol,
        style,
        would,
    };
    for path in &targets {
        let (done, made) = one.resolve(path, conflicts.get(path))?;
        decisions.extend(made.into_iter().map(|d| (path.clone(), d)));
        match done {
            Done::Error => errors += 1,
            Done::Left => remaining += 1,
            Done::Staged => staged.push(path.clone()),
            Done::Resolved => {}
        }
    }
    index::add(repo, &staged).context("cannot stage the resolved files")?;
    if !args.quiet {
        for (path, d) in &decisions {
            errln!("{}", report::decision_line(path, d));
        }
    }
    if !args.dry_run {
        let time = report::now();
        let lines: Vec<String> = decisions
            .iter()
            .map(|(p, d)| report::decision_json(p, d, time))
            .collect();
        if let Err(e) = report::append_log(&repo::log_path(repo), &lines) {
            errln!("poolmerge: warning: cannot append to the log: {e}");
        }
    }
    Ok(if errors > 0 {
        Status::Error
    } else if remaining > 0 {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

/// How one path ended.
enum Done {
    /// It could not be read, merged or written (said on stderr).
    Error,
    /// Conflicts are left in it.
    Left,
    /// Resolved, to be staged.
    Staged,
    /// Resolved, or nothing to do, and nothing to stage.
    Resolved,
}

/// What resolving one path reads.
struct OnePath<'a> {
    repo: &'a Repository,
    workdir: &'a Path,
    args: &'a ResolveArgs,
    line: &'a dyn LineMerge,
    attrs: &'a repo::Attributes,
    profile: &'a crate::config::Profile,
    eol: &'a repo::EolConfig,
    style: Style,
    /// "would be " for a dry run.
    would: &'a str,
}

impl OnePath<'_> {
    /// Resolves `path`: merged again from its index stages, or the blocks already in
    /// the file where it has none.
    fn resolve(&self, path: &String, stages: Option<&Stages>) -> Result<(Done, Vec<Decision>)> {
        let worktree = match read_worktree_file(self.workdir, path) {
            Ok(t) => t,
            Err(why) => {
                errln!("poolmerge: {path}: {why}");
                return Ok((Done::Error, Vec::new()));
            }
        };
        let size = repo::marker_size(self.attrs, path);
        let (ours_label, base_label, theirs_label) = labels(self.repo, worktree.as_deref(), size);
        let markers = Markers {
            size,
            style: self.style,
            ours: ours_label,
            base: base_label,
            theirs: theirs_label,
        };
        match stages {
            Some(stages) => self.merged_again(path, stages, markers),
            None => self.blocks_in_file(path, worktree, &markers),
        }
    }

    /// No index stages: the blocks already in the file.
    fn blocks_in_file(
        &self,
        path: &String,
        worktree: Option<Vec<u8>>,
        markers: &Markers,
    ) -> Result<(Done, Vec<Decision>)> {
        let would = self.would;
        let Some(text) = worktree else {
            errln!("poolmerge: {path}: no such file and not unmerged");
            return Ok((Done::Error, Vec::new()));
        };
        let res = resolve::resolve_all(&text, markers, &self.profile.pins, self.line);
        if res.resolved + res.left == 0 {
            outln!("{path}: no conflict to resolve")?;
            return Ok((Done::Resolved, Vec::new()));
        }
        if res.resolved > 0
            && !self.args.dry_run
            && let Err(e) = atomic_write(&self.workdir.join(path), &res.content)
        {
            errln!("poolmerge: cannot write {path}: {e}");
            return Ok((Done::Error, Vec::new()));
        }
        if res.left == 0 {
            outln!("{path}: {would}resolved")?;
            Ok((Done::Resolved, res.decisions))
        } else {
            outln!(
                "{path}: {} left ({} {would}resolved)",
                counted(res.left, "conflict", "conflicts"),
                res.resolved
            )?;
            Ok((Done::Left, res.decisions))
        }
    }

    /// The index stages merged again by poolmerge, written to the work tree, and
    /// staged where clean.
    fn merged_again(
        &self,
        path: &String,
        stages: &Stages,
        markers: Markers,
    ) -> Result<(Done, Vec<Decision>)> {
        let (repo, would) = (self.repo, self.would);
        if stages.ours.is_none() || stages.theirs.is_none() {
            let who = if stages.ours.is_none() {
                "ours"
            } else {
                "theirs"
            };
            outln!("{path}: still conflicted (deleted in {who}, changed in the other)")?;
            return Ok((Done::Left, Vec::new()));
        }
        let (base, ours, theirs) = (
            blob(repo, stages.base)?,
            blob(repo, stages.ours)?,
            blob(repo, stages.theirs)?,
        );
        let input = Input {
            base: &base,
            ours: &ours,
            theirs: &theirs,
        };
        let opts = Options::for_pins(markers, &self.profile.pins);
        let outcome = match merge_safely(&input, &opts, self.line, true) {
            Ok(o) => o,
            Err(e) => {
                errln!("poolmerge: {path}: {e}");
                return Ok((Done::Error, Vec::new()));
            }
        };
        for w in &outcome.warnings {
            errln!("{}", report::warning_line(path, w));
        }
        let decisions = outcome.decisions.clone();
        let content = self.eol.to_worktree(&outcome.content, self.attrs, path);
        if !self.args.dry_run
            && let Err(e) = atomic_write(&self.workdir.join(path), &content)
        {
            errln!("poolmerge: cannot write {path}: {e}");
            return Ok((Done::Error, decisions));
        }
        if outcome.conflicts == 0 {
            outln!("{path}: {would}resolved")?;
            let done = if self.args.dry_run {
                Done::Resolved
            } else {
                Done::Staged
            };
            Ok((done, decisions))
        } else {
            outln!(
                "{path}: {} left",
                counted(outcome.conflicts, "conflict", "conflicts")
            )?;
            Ok((Done::Left, decisions))
        }
    }
}
