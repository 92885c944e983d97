//! `poolmerge hook NAME [ARGS]`: what the hooks `install --hooks` writes run. git calls
//! a merge driver only for files both sides changed, so a module only upstream touched
//! (or added) arrives as upstream wrote it. The hooks pin those files so that one
//! command (`git merge`, `git pull`, `git rebase`, `git cherry-pick`, `git am -3`) ends
//! with HEAD's committed tree pinned and a clean `git status`:
//!
//! - `pre-commit`: the staged owned files of the commit being made (a merge concluded
//!   by hand included) are pinned in the index and the work tree.
//! - `post-merge`: git writes an automatic merge's tree before any hook could change
//!   it, so the merge commit this very `git merge` created is replaced by the same
//!   commit (parents, message, author, committer) with the pinned tree. A squash merge
//!   gets its staged result pinned; a fast-forward is never touched (said, not done).
//! - `post-commit`: after the last pick of a `git cherry-pick`, the commit it created
//!   is replaced the same way; after `git commit <path>`, the index entries the commit
//!   pinned are brought in line with it.
//! - `post-applypatch`: the same after the last patch of `git am`.
//! - `post-rewrite rebase`: the same for the tip of a rebase, when the rebase created it.
//!
//! Safety: only a commit the running command created is replaced (checked through
//! `MERGE_HEAD`/`ORIG_HEAD`, the sequencer's state and HEAD's reflog); nothing runs
//! that starts a hook again; every step is one line on stderr; `POOLMERGE=0` turns the
//! hooks off; and the hooks act only in a repository whose `install --hooks` set
//! `poolmerge.hooks` (a shared hooks directory stays inert elsewhere).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use anyhow::{Context, Result, anyhow, bail};
use git2::{Commit, Oid, Repository, Tree};

use crate::check;
use crate::commands::{owned, profile};
use crate::exit::Status;
use crate::fsutil::{atomic_write, read_worktree_file};
use crate::repo::{self, index};

mod amend;
mod later;

use amend::*;
use later::*;

/// The configuration key `install --hooks` sets in a repository whose hooks act.
pub(crate) const ENABLED_KEY: &str = "poolmerge.hooks";

/// Runs `poolmerge hook NAME ARGS`. Only `pre-commit` can fail (and so block a
/// commit), and only when it cannot pin an owned file the commit stages.
pub(crate) fn run(name: &str, args: &[String]) -> Result<Status> {
    if crate::commands::merge::disabled_by_env() {
        return Ok(Status::Clean);
    }
    let repo = match repo::open() {
        Ok(r) => r,
        // Nothing can be known of what is staged: say so, and let git go on.
        Err(e) => {
            errln!("poolmerge: {name}: {e:#}; nothing was pinned");
            return Ok(Status::Clean);
        }
    };
    // The pre-commit framework (PRE_COMMIT=1) runs hooks it was configured with, and
    // passes git's arguments in its own variables.
    let framework = std::env::var_os("PRE_COMMIT").is_some_and(|v| v == "1");
    if !(enabled(&repo) || framework) || repo.is_bare() {
        return Ok(Status::Clean);
    }
    // Only the fork's commits: a branch whose tree does not carry the route (one cut
    // from upstream for an upstream pull request) is left as git makes it.
    let governed = if name == "pre-commit" {
        crate::commands::strategy::governs_index(&repo)
    } else {
        crate::commands::strategy::governs_checkout(&repo)
    };
    if !governed {
        return Ok(Status::Clean);
    }
    let from_framework = |var: &str| std::env::var(var).ok().filter(|_| framework);
    let first = args
        .first()
        .cloned()
        .or_else(|| from_framework("PRE_COMMIT_IS_SQUASH_MERGE"))
        .or_else(|| from_framework("PRE_COMMIT_REWRITE_COMMAND"));
    let first = first.as_deref();
    let result = match name {
        "pre-commit" => return pre_commit(&repo),
        "post-commit" | "post-applypatch"
            if args.first().map(String::as_str) == Some(FINISH_AFTER) =>
        {
            match (
                args.get(1).and_then(|p| p.parse().ok()),
                args.get(2).and_then(|o| Oid::from_str(o).ok()),
            ) {
                (Some(pid), Some(head)) => finish_after(&repo, name, pid, head),
                _ => bail!("{FINISH_AFTER} takes a process id and a commit"),
            }
        }
        "post-merge" => post_merge(&repo, first == Some("1")),
        "post-commit" => post_commit(&repo),
        "post-applypatch" => post_applypatch(&repo),
        "post-rewrite" if first == Some("rebase") => post_rewrite_rebase(&repo),
        "post-rewrite" => Ok(()),
        other => bail!("unknown hook {other}"),
    };
    // git ignores what a post-* hook returns: say what went wrong, and how to finish.
    if let Err(e) = result {
        errln!(
            "poolmerge: {name}: {e:#}; pin by hand: poolmerge fix, then commit (git commit --amend to fold it in)"
        );
    }
    Ok(Status::Clean)
}

/// Whether the hooks act in this repository (`install --hooks` sets the key).
pub(crate) fn enabled(repo: &Repository) -> bool {
    repo::config_bool(Some(repo), ENABLED_KEY)
}

fn pre_commit(repo: &Repository) -> Result<Status> {
    if git_file(repo, "sequencer/todo").exists()
        && let Some(pid) = enclosing_sequencer()
    {
        // `git cherry-pick --continue` of several picks compares its own copy of the
        // index with HEAD after this commit and stops if a hook changed either. With
        // the strategy every pick is pinned as git makes it, and what you staged is
        // the commit: one staged without the pin is stopped here, with the command
        // that pins it, rather than replaced once git has returned.
        if crate::commands::install::strategy_selected(repo) {
            let needing = crate::commands::fix::staged_needing_pin(repo)?;
            if !needing.is_empty() {
                errln!(
                    "poolmerge: pre-commit: {} staged without the pin, and git cherry-pick --continue takes no change from a hook: run poolmerge fix --staged, then continue again (or commit as it is: git commit --no-verify, then git cherry-pick --continue)",
                    needing.join(", ")
                );
                return Ok(Status::Conflicts);
            }
        }
        // Without it: leave this commit alone; the end of the sequence pins what it
        // brought.
        std::fs::write(git_file(repo, SEQUENCER_MARK), pid.to_string())?;
        return Ok(Status::Clean);
    }
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("no work tree"))?
        .to_path_buf();
    let bypass = "to commit without the pin: git commit --no-verify";
    match crate::commands::fix::fix_staged(repo, &workdir, &[]) {
        Ok(Status::Error) => {
            errln!("poolmerge: pre-commit: the pin could not be written (see above); {bypass}");
            Ok(Status::Conflicts)
        }
        Ok(_) => Ok(Status::Clean),
        Err(e) => {
            errln!("poolmerge: pre-commit: cannot pin the staged files: {e:#}; {bypass}");
            Ok(Status::Conflicts)
        }
    }
}

/// A file in the git directory of this work tree.
fn git_file(repo: &Repository, name: &str) -> PathBuf {
    repo.path().join(name)
}

/// The object ids listed in a file of the git directory (one a line), if it exists.
fn oids_in(repo: &Repository, name: &str) -> Vec<Oid> {
    std::fs::read_to_string(git_file(repo, name))
        .unwrap_or_default()
        .lines()
        .filter_map(|l| Oid::from_str(l.split_whitespace().next()?).ok())
        .collect()
}

fn post_merge(repo: &Repository, squash: bool) -> Result<()> {
    let _ = std::fs::remove_file(git_file(repo, crate::commands::strategy::MARK));
    let workdir = repo.workdir().ok_or_else(|| anyhow!("no work tree"))?;
    if squash {
        // Nothing is committed: the staged result is pinned for the user's commit.
        crate::commands::fix::fix_staged(repo, workdir, &[])?;
        return Ok(());
    }
    let head = repo.head()?.peel_to_commit()?;
    let orig = oids_in(repo, "ORIG_HEAD").first().copied();
    let merged = oids_in(repo, "MERGE_HEAD");
    let parents: Vec<Oid> = head.parent_ids().collect();
    // The merge commit this `git merge` just created: its parents are the HEAD it
    // started from and what it merged, and MERGE_HEAD is still there.
    let created = !merged.is_empty()
        && orig.is_some_and(|o| parents.first() == Some(&o))
        && parents[1..] == merged[..];
    if created {
        let before = head.parent(0)?.tree()?;
        let action = head_reflog_action(repo, head.id()).unwrap_or_default();
        if action.contains(&format!("'{}' strategy", crate::commands::strategy::NAME)) {
            // poolmerge's strategy merged and pinned; git made the commit.
            return Ok(());
        }
        if crate::commands::install::strategy_selected(repo) {
            // Another strategy, chosen on the command line: its commit stands.
            return say_unpinned(
                repo,
                &before,
                &head,
                "the merge was made with another strategy (-s), and poolmerge does not rewrite commits",
            );
        }
        return replace_pinned(repo, &head, &before, "the merge commit");
    }
    // A fast-forward: upstream's commits are never rewritten.
    if let Some(orig) = orig.filter(|o| *o != head.id()) {
        let before = repo.find_commit(orig)?.tree()?;
        say_unpinned(
            repo,
            &before,
            &head,
            "the fast-forward brought them, and poolmerge does not rewrite upstream's commits",
        )?;
    }
    Ok(())
}

/// The subject of HEAD's newest reflog entry, when that entry made HEAD what it is.
fn head_reflog_action(repo: &Repository, head: Oid) -> Option<String> {
    let log = repo.reflog("HEAD").ok()?;
    let entry = log.get(0)?;
    (entry.id_new() == head)
        .then(|| String::from_utf8_lossy(entry.message_bytes().unwrap_or_default()).into_owned())
}

/// The commands left in the sequencer's to-do list, the current one included.
fn sequencer_left(repo: &Repository) -> usize {
    std::fs::read_to_string(git_file(repo, "sequencer/todo"))
        .unwrap_or_default()
        .lines()
        .filter(|l| {
            let l = l.trim();
            !l.is_empty() && !l.starts_with('#')
        })
        .count()
}

fn rebasing(repo: &Repository) -> bool {
    git_file(repo, "rebase-merge").is_dir() || git_file(repo, "rebase-apply").is_dir()
}

fn post_commit(repo: &Repository) -> Result<()> {
    if rebasing(repo) {
        // Each pick of a rebase: the end of the rebase (post-rewrite) pins its tip.
        return Ok(());
    }
    // Left by pre-commit when the commit was made by a sequencer's `--continue`.
    let mark = std::fs::read_to_string(git_file(repo, SEQUENCER_MARK)).ok();
    if mark.is_some() {
        std::fs::remove_file(git_file(repo, SEQUENCER_MARK))?;
    }
    let head = repo.head()?.peel_to_commit()?;
    align_index_with_commit(repo, &head)?;
    let Some(action) = head_reflog_action(repo, head.id()) else {
        return Ok(());
    };
    let action = action.split(':').next().unwrap_or_default();
    if !action.contains("cherry-pick") {
        return Ok(());
    }
    if sequencer_left(repo) > 1 {
        // More picks to come: the last one pins what the whole sequence brought.
        return Ok(());
    }
    if let Some(pid) = mark.and_then(|m| m.trim().parse::<u32>().ok()) {
        // The last pick, committed by `git cherry-pick --continue`, which checks HEAD
        // once this hook returns: pin right after it exits.
        return finish_later(
            repo,
            "post-commit",
            pid,
            &head,
            "git cherry-pick --continue",
        );
    }
    let before = before_for(repo, "post-commit", &head)?;
    replace_pinned(repo, &head, &before, "the cherry-picked commit")
}

fn post_applypatch(repo: &Repository) -> Result<()> {
    let read = |name: &str| {
        std::fs::read_to_string(git_file(repo, &format!("rebase-apply/{name}")))
            .ok()
            .and_then(|t| t.trim().parse::<usize>().ok())
    };
    if let (Some(next), Some(last)) = (read("next"), read("last"))
        && next < last
    {
        return Ok(());
    }
    let head = repo.head()?.peel_to_commit()?;
    let Some(action) = head_reflog_action(repo, head.id()) else {
        return Ok(());
    };
    if !action.starts_with("am") {
        return Ok(());
    }
    if let Some(pid) = enclosing_git(&["am"], true) {
        // `git am --continue` checks the index against HEAD after this hook.
        return finish_later(repo, "post-applypatch", pid, &head, "git am --continue");
    }
    let before = before_for(repo, "post-applypatch", &head)?;
    replace_pinned(repo, &head, &before, "the applied commit")
}

fn post_rewrite_rebase(repo: &Repository) -> Result<()> {
    let head = repo.head()?.peel_to_commit()?;
    let rewritten: BTreeSet<Oid> = ["rebase-merge/rewritten-list", "rebase-apply/rewritten"]
        .iter()
        .flat_map(|f| {
            std::fs::read_to_string(git_file(repo, f))
                .unwrap_or_default()
                .lines()
                .filter_map(|l| Oid::from_str(l.split_whitespace().nth(1)?).ok())
                .collect::<Vec<_>>()
        })
        .collect();
    let before = match oids_in(repo, "ORIG_HEAD").first() {
        Some(oid) => repo.find_commit(*oid)?.tree()?,
        None => return Ok(()),
    };
    if !rewritten.contains(&head.id()) {
        // HEAD is not a commit this rebase made (every pick dropped): leave it.
        return say_unpinned(repo, &before, &head, "HEAD is not a commit the rebase made");
    }
    // The fork's commits stay as the rebase replayed them: the pin of what upstream
    // brought is a commit of its own, which says so.
    pin_head(repo, &head, &before, "the rebase", Place::OnTop)
}
