//! `poolmerge fix`: the pin applied to the files poolmerge owns (or the paths named),
//! touching only the engine statements that need it and the pool import.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use git2::Repository;

use crate::check;
use crate::cli::FixArgs;
use crate::commands::{is_link, owned, profile};
use crate::config::Profile;
use crate::exit::Status;
use crate::fsutil::{atomic_write, read_worktree_file};
use crate::repo::{self, index};

/// Runs `poolmerge fix`.
pub(crate) fn run(args: &FixArgs) -> Result<Status> {
    let repo = repo::open()?;
    run_with_repo(&repo, args)
}

/// The files `fix` and `check` look at: the paths named, else every tracked file
/// whose merge attribute is poolmerge.
pub(crate) fn owned_or_named(
    repo: &Repository,
    named: &[std::path::PathBuf],
    profile: &Profile,
) -> Result<(Vec<String>, repo::Attributes)> {
    let paths = if named.is_empty() {
        repo::tracked_files(repo)?
    } else {
        repo::repo_relative_all(repo, named)?
    };
    let attrs = repo::attributes(repo, &paths, repo::FILE_ATTRS, None)?;
    let paths = if named.is_empty() {
        paths
            .into_iter()
            .filter(|p| owned(profile, &attrs, p))
            .collect()
    } else {
        paths
    };
    Ok((paths, attrs))
}

/// Runs `fix` in a repository.
pub(crate) fn run_with_repo(repo: &Repository, args: &FixArgs) -> Result<Status> {
    let Some(workdir) = repo.workdir() else {
        bail!("a bare repository has no work tree to fix");
    };
    if args.staged {
        return fix_staged(repo, workdir, &args.paths);
    }
    let profile = profile(repo)?;
    let (paths, attrs) = owned_or_named(repo, &args.paths, &profile)?;
    if paths.is_empty() && args.paths.is_empty() && !args.allow_empty {
        errln!(
            "poolmerge: {}",
            crate::commands::check::NOTHING_ROUTED.replace("checked", "pinned")
        );
        return Ok(Status::Error);
    }
    let (mut errors, mut left, mut needed) = (false, false, false);
    let outside = index::outside_sparse_checkout(repo, &paths)?;
    for path in &paths {
        if outside.contains(path) {
            // Outside a sparse checkout's cone: the index's version is the file.
            match fix_outside(repo, path, &profile, &attrs, args.check) {
                Ok((l, n)) => {
                    left |= l;
                    needed |= n;
                }
                Err(e) => {
                    errln!("poolmerge: {path}: {}", crate::exit::one_line(&e));
                    errors = true;
                }
            }
            continue;
        }
        let file = workdir.join(path);
        if args.paths.is_empty() && is_link(&file) {
            // A tracked symbolic link is not a module; its target is not ours to edit.
            continue;
        }
        let text = match read_worktree_file(workdir, path) {
            Ok(Some(t)) => t,
            Ok(None) => {
                errln!("poolmerge: {path}: no such file");
                errors = true;
                continue;
            }
            Err(why) => {
                errln!("poolmerge: {path}: {why}");
                errors = true;
                continue;
            }
        };
        let fixed = check::fix_all(&text, &profile.pins, repo::marker_size(&attrs, path));
        for f in &fixed.unfixable {
            outln!("{path}:{}: {}", f.line, f.message)?;
            left = true;
        }
        if fixed.content == text {
            continue;
        }
        needed = true;
        if args.check {
            for f in &fixed.changed {
                outln!("{path}:{}: needs: {}", f.line, f.message)?;
            }
            continue;
        }
        if let Err(e) = atomic_write(&file, &fixed.content) {
            errln!("poolmerge: cannot write {path}: {e}");
            errors = true;
            continue;
        }
        let what: Vec<String> = fixed
            .changed
            .iter()
            .map(|f| format!("{} (line {})", f.message, f.line))
            .collect();
        outln!("fixed {path}: {}", what.join("; "))?;
    }
    Ok(if errors {
        Status::Error
    } else if left || (args.check && needed) {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

/// `fix` of a file outside a sparse checkout's cone: its index entry is checked, and
/// pinned (it stays outside the cone). Returns (left unfixable, needed the pin).
fn fix_outside(
    repo: &Repository,
    path: &str,
    profile: &Profile,
    attrs: &repo::Attributes,
    check_only: bool,
) -> Result<(bool, bool)> {
    let entries = index::entries_of(repo, &[path.to_string()])?;
    let Some(entry) = entries.iter().find(|e| e.stage == 0 && e.is_file()) else {
        return Ok((false, false));
    };
    let blob = repo::read_blob(repo, entry.oid)?;
    let fixed = check::fix_all(&blob, &profile.pins, repo::marker_size(attrs, path));
    let left = !fixed.unfixable.is_empty();
    for f in &fixed.unfixable {
        outln!("{path}:{}: {}", f.line, f.message)?;
    }
    if fixed.content == blob {
        return Ok((left, false));
    }
    if check_only {
        for f in &fixed.changed {
            outln!("{path}:{}: needs: {}", f.line, f.message)?;
        }
        return Ok((left, true));
    }
    let oid = repo.blob(&fixed.content)?;
    index::set(repo, &[(entry.mode, oid, path)])?;
    let what: Vec<String> = fixed
        .changed
        .iter()
        .map(|f| format!("{} (line {})", f.message, f.line))
        .collect();
    outln!(
        "fixed {path} in the index (outside the sparse checkout): {}",
        what.join("; ")
    )?;
    Ok((left, true))
}

/// The owned files the commit being made stages that do not carry the pin (what
/// `fix --staged` would pin), changing nothing.
pub(crate) fn staged_needing_pin(repo: &Repository) -> Result<Vec<String>> {
    let Some((entries, attrs, profile)) = staged_entries(repo, &[])? else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for entry in entries {
        let blob = repo::read_blob(repo, entry.oid)?;
        let size = repo::marker_size(&attrs, &entry.path);
        if check::fix_all(&blob, &profile.pins, size).content != blob {
            out.push(entry.path);
        }
    }
    Ok(out)
}

/// The staged regular-file entries `fix --staged` looks at: each owned file the commit
/// changes (or each path named), with their attributes and the profile; `None` when
/// there is nothing to look at (an invalid configuration matters only to a commit of
/// owned files).
fn staged_entries(
    repo: &Repository,
    named: &[PathBuf],
) -> Result<Option<(Vec<index::Entry>, repo::Attributes, Profile)>> {
    let candidates: Vec<String> = if named.is_empty() {
        index::staged_changes(repo)?
    } else {
        repo::repo_relative_all(repo, named)?
    };
    if candidates.is_empty() {
        return Ok(None);
    }
    let attrs = repo::attributes(repo, &candidates, repo::FILE_ATTRS, None)?;
    let profile = match profile(repo) {
        Ok(p) => p,
        Err(_) if named.is_empty() && !candidates.iter().any(|p| repo::owned(&attrs, p)) => {
            return Ok(None);
        }
        Err(e) => return Err(e),
    };
    let chosen: Vec<String> = if named.is_empty() {
        candidates
            .into_iter()
            .filter(|p| owned(&profile, &attrs, p))
            .collect()
    } else {
        candidates
    };
    // A conflicted path is not staged yet; a symbolic link or a submodule is no module.
    let entries = index::entries_of(repo, &chosen)?
        .into_iter()
        .filter(|e| e.stage == 0 && e.is_file())
        .collect();
    Ok(Some((entries, attrs, profile)))
}

/// `fix --staged`: the pin applied to the staged version of each owned file the
/// commit changes (or of each path named): a new blob in its index entry, in the index
/// git is committing (`GIT_INDEX_FILE` when git set it), and the same pin in its
/// work-tree file, which keeps its own unstaged changes unstaged. A commit that stages
/// no owned file is not looked at further.
pub(crate) fn fix_staged(repo: &Repository, workdir: &Path, named: &[PathBuf]) -> Result<Status> {
    let Some((entries, attrs, profile)) = staged_entries(repo, named)? else {
        return Ok(Status::Clean);
    };
    let mut updates: Vec<(u32, git2::Oid, String)> = Vec::new();
    let (mut left, mut errors) = (false, false);
    for entry in &entries {
        let path = &entry.path;
        let blob = repo::read_blob(repo, entry.oid)?;
        let size = repo::marker_size(&attrs, path);
        let fixed = check::fix_all(&blob, &profile.pins, size);
        for f in &fixed.unfixable {
            outln!("{path}:{}: {}", f.line, f.message)?;
            left = true;
        }
        if fixed.content == blob {
            continue;
        }
        updates.push((entry.mode, repo.blob(&fixed.content)?, path.clone()));
        // The work-tree file gets the same pin; its unstaged changes stay unstaged.
        let file = workdir.join(path);
        let mut where_ = "staged";
        if let Ok(Some(text)) = read_worktree_file(workdir, path) {
            let worktree = check::fix_all(&text, &profile.pins, size);
            if worktree.content != text {
                match atomic_write(&file, &worktree.content) {
                    Ok(()) => where_ = "staged and in the work tree",
                    Err(e) => {
                        errln!("poolmerge: cannot write {path}: {e}");
                        errors = true;
                    }
                }
            }
        }
        let what: Vec<&str> = fixed.changed.iter().map(|f| f.message.as_str()).collect();
        errln!("poolmerge: pinned {path} ({where_}): {}", what.join("; "));
    }
    let updates: Vec<(u32, git2::Oid, &str)> = updates
        .iter()
        .map(|(m, o, p)| (*m, *o, p.as_str()))
        .collect();
    index::set(repo, &updates).context("cannot stage the pinned files")?;
    Ok(if errors {
        Status::Error
    } else if left {
        Status::Conflicts
    } else {
        Status::Clean
    })
}
