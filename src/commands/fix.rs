//! `poolmerge fix`: the pin applied to the files poolmerge owns (or the paths named),
//! touching only the engine statements that need it and the pool import.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use git2::{Index, Repository};

use crate::cli::FixArgs;
use crate::commands::{is_link, owned, profile};
use crate::config::Profile;
use crate::exit::Status;
use crate::fsutil::{atomic_write, read_worktree_file};
use crate::merge::fix;
use crate::repo;

/// Runs `poolmerge fix`.
pub fn run(args: &FixArgs) -> Result<Status> {
    let repo = repo::open()?;
    run_with_repo(&repo, args)
}

/// The files `fix` and `check` look at: the paths named, else every tracked file
/// whose merge attribute is poolmerge.
pub fn owned_or_named(
    repo: &Repository,
    named: &[std::path::PathBuf],
    profile: &Profile,
) -> Result<(Vec<String>, repo::Attributes)> {
    let paths = if named.is_empty() {
        repo::tracked_files(repo)?
    } else {
        named
            .iter()
            .map(|p| repo::repo_relative(repo, p))
            .collect::<Result<_>>()?
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
pub fn run_with_repo(repo: &Repository, args: &FixArgs) -> Result<Status> {
    let Some(workdir) = repo.workdir() else {
        bail!("a bare repository has no work tree to fix");
    };
    if args.staged {
        return fix_staged(repo, workdir, &args.paths);
    }
    let profile = profile(repo)?;
    let (paths, attrs) = owned_or_named(repo, &args.paths, &profile)?;
    let (mut errors, mut left, mut needed) = (false, false, false);
    for path in &paths {
        let file = workdir.join(path);
        if args.paths.is_empty() && is_link(&file) {
            // A tracked symbolic link is not a module; its target is not ours to edit.
            continue;
        }
        let text = match read_worktree_file(workdir, path) {
            Ok(Some(t)) => t,
            Ok(None) => {
                eprintln!("poolmerge: {path}: no such file");
                errors = true;
                continue;
            }
            Err(why) => {
                eprintln!("poolmerge: {path}: {why}");
                errors = true;
                continue;
            }
        };
        let fixed = fix::fix_all(&text, &profile.pins, repo::marker_size(&attrs, path));
        for f in &fixed.unfixable {
            println!("{path}:{}: {}", f.line, f.message);
            left = true;
        }
        if fixed.content == text {
            continue;
        }
        needed = true;
        if args.check {
            for f in &fixed.changed {
                println!("{path}:{}: needs: {}", f.line, f.message);
            }
            continue;
        }
        if let Err(e) = atomic_write(&file, &fixed.content) {
            eprintln!("poolmerge: cannot write {path}: {e}");
            errors = true;
            continue;
        }
        let what: Vec<String> = fixed
            .changed
            .iter()
            .map(|f| format!("{} (line {})", f.message, f.line))
            .collect();
        println!("fixed {path}: {}", what.join("; "));
    }
    Ok(if errors {
        Status::Error
    } else if left || (args.check && needed) {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

/// The index being committed: `GIT_INDEX_FILE` when git set it (hooks), else the
/// repository's.
fn index_being_committed(repo: &Repository) -> Result<Index> {
    match std::env::var_os("GIT_INDEX_FILE") {
        Some(path) => {
            let path = PathBuf::from(path);
            let path = if path.is_absolute() {
                path
            } else {
                std::env::current_dir()?.join(path)
            };
            Index::open(&path).with_context(|| format!("cannot open the index {}", path.display()))
        }
        None => repo.index().context("cannot read the index"),
    }
}

/// `fix --staged`: the pin applied to the staged version of each owned file (a new
/// blob in the index entry) and to its work-tree file, which keeps its own unstaged
/// changes unstaged.
fn fix_staged(repo: &Repository, workdir: &Path, named: &[PathBuf]) -> Result<Status> {
    let mut index = index_being_committed(repo)?;
    let staged: Vec<String> = index
        .iter()
        .filter(|e| (e.flags >> 12) & 3 == 0)
        .map(|e| String::from_utf8_lossy(&e.path).into_owned())
        .collect();
    let wanted: Option<Vec<String>> = if named.is_empty() {
        None
    } else {
        Some(
            named
                .iter()
                .map(|p| repo::repo_relative(repo, p))
                .collect::<Result<_>>()?,
        )
    };
    let attrs = repo::attributes(repo, &staged, repo::FILE_ATTRS, None)?;
    let profile = profile(repo)?;
    let mut changed_index = false;
    let (mut left, mut errors) = (false, false);
    for path in &staged {
        let chosen = match &wanted {
            Some(w) => w.contains(path),
            None => owned(&profile, &attrs, path),
        };
        if !chosen {
            continue;
        }
        let Some(mut entry) = index.get_path(Path::new(path), 0) else {
            continue;
        };
        if entry.mode & 0o170000 != 0o100000 {
            // A symbolic link or a submodule: no module to pin.
            continue;
        }
        let blob = repo.find_blob(entry.id)?.content().to_vec();
        let size = repo::marker_size(&attrs, path);
        let fixed = fix::fix_all(&blob, &profile.pins, size);
        for f in &fixed.unfixable {
            println!("{path}:{}: {}", f.line, f.message);
            left = true;
        }
        if fixed.content == blob {
            continue;
        }
        entry.id = repo.blob(&fixed.content)?;
        entry.file_size = u32::try_from(fixed.content.len()).unwrap_or(u32::MAX);
        index
            .add(&entry)
            .with_context(|| format!("cannot stage the pinned {path}"))?;
        changed_index = true;
        // The work-tree file gets the same pin; its unstaged changes stay unstaged.
        let file = workdir.join(path);
        let mut where_ = "staged";
        if let Ok(Some(text)) = read_worktree_file(workdir, path) {
            let worktree = fix::fix_all(&text, &profile.pins, size);
            if worktree.content != text {
                match atomic_write(&file, &worktree.content) {
                    Ok(()) => where_ = "staged and in the work tree",
                    Err(e) => {
                        eprintln!("poolmerge: cannot write {path}: {e}");
                        errors = true;
                    }
                }
            }
        }
        let what: Vec<&str> = fixed.changed.iter().map(|f| f.message.as_str()).collect();
        println!("poolmerge: pinned {path} ({where_}): {}", what.join("; "));
    }
    if changed_index {
        index.write().context("cannot write the index")?;
    }
    Ok(if errors {
        Status::Error
    } else if left {
        Status::Conflicts
    } else {
        Status::Clean
    })
}
