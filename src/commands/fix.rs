//! `poolmerge fix`: the pin applied to the files poolmerge owns (or the paths named),
//! touching only the engine statements that need it and the pool import.

use anyhow::{Result, bail};
use git2::Repository;

use crate::cli::FixArgs;
use crate::exit::Status;
use crate::fsutil::atomic_write;
use crate::merge::fix;
use crate::merge::pin::Pin;
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
            .filter(|p| repo::owned(&attrs, p))
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
    let (paths, attrs) = owned_or_named(repo, &args.paths)?;
    let pin = Pin::builtin();
    let (mut errors, mut left, mut needed) = (false, false, false);
    for path in &paths {
        let file = workdir.join(path);
        let text = match std::fs::read(&file) {
            Ok(t) => t,
            Err(e) => {
                eprintln!("poolmerge: cannot read {path}: {e}");
                errors = true;
                continue;
            }
        };
        let fixed = fix::fix(&text, &pin, repo::marker_size(&attrs, path));
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
