//! `poolmerge check`: for CI and pre-commit, read-only. Without `--merge`: the owned
//! files of the work tree (or of HEAD in a bare clone) carry the pin and no conflict
//! markers. With `--merge REF`: git's own tree merge of REF into HEAD (`git
//! merge-tree`, which writes objects only), poolmerge's engine on the owned files git
//! leaves conflicted, and the pin checked on every owned file of the result.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::{Context, Result, anyhow, bail};
use git2::{Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::check;
use crate::cli::{CheckArgs, Format};
use crate::commands::merge_safely;
use crate::commands::{is_link, owned, profile};
use crate::conflict::{Markers, Style};
use crate::exit::Status;
use crate::merge::line::LineMerge;
use crate::merge::{Input, Mode, Options, Plain, plain};
use crate::policy::Pin;
use crate::repo::{self, index};
use crate::report::{self, CheckItem};

mod tree_merge;

pub(crate) use tree_merge::check_merge;

/// Runs `poolmerge check`.
pub(crate) fn run(args: &CheckArgs) -> Result<Status> {
    let repo = repo::open()?;
    let (items, files) = match &args.merge {
        None => check_files(&repo)?,
        Some(rev) => check_merge(
            &repo,
            rev,
            args.with_hooks,
            crate::commands::line_merge().as_ref(),
        )?,
    };
    if files == 0 && !args.allow_empty {
        errln!("poolmerge: {NOTHING_ROUTED}");
        return Ok(Status::Error);
    }
    let out = match args.format {
        Format::Text => report::check_text(&items, files),
        Format::Json => report::check_json(&items, files),
        Format::Github => report::check_github(&items),
        Format::Markdown => report::check_markdown(&items, files, args.merge.as_deref()),
    };
    out!("{out}")?;
    Ok(if items.iter().any(|i| i.failure) {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

/// What `check` and `fix` say where no file is routed to poolmerge.
pub(crate) const NOTHING_ROUTED: &str = "no tracked module routed to poolmerge (merge=poolmerge) was found, so nothing was checked; route files with poolmerge install, or pass --allow-empty";

fn items_for(path: &str, found: Vec<check::Finding>, suffix: &str) -> Vec<CheckItem> {
    found
        .into_iter()
        .map(|f| CheckItem {
            kind: f.kind.to_string(),
            path: path.to_string(),
            line: Some(f.line),
            message: format!("{}{suffix}", f.message),
            failure: true,
        })
        .collect()
}

/// The findings of an owned file of the merged tree: information when the installed
/// hooks will pin it in the merge commit, failures otherwise.
fn unpinned(
    path: &str,
    found: &[check::Finding],
    pinnable: bool,
    hooks: bool,
    suffix: &str,
) -> Vec<CheckItem> {
    if found.is_empty() {
        return Vec::new();
    }
    if hooks && pinnable {
        return vec![CheckItem {
            kind: "hooks".into(),
            path: path.to_string(),
            line: found.iter().map(|f| f.line).min(),
            message: "arrives without the pin; pinned by poolmerge in the merge".into(),
            failure: false,
        }];
    }
    let suffix = if hooks {
        " (the hooks cannot pin it: edit it by hand)"
    } else {
        suffix
    };
    items_for(path, found.to_vec(), suffix)
}

/// Every blob path of a tree.
fn tree_files(repo: &Repository, tree: Oid) -> Result<BTreeMap<String, Oid>> {
    tree_files_within(repo, tree, &|_| true, &|_| true)
}

/// The blob paths of a tree that `keep` takes, in the directories (`a/b/`) that
/// `enter` takes: the others are never read.
fn tree_files_within(
    repo: &Repository,
    tree: Oid,
    enter: &dyn Fn(&str) -> bool,
    keep: &dyn Fn(&str) -> bool,
) -> Result<BTreeMap<String, Oid>> {
    let tree = repo.find_tree(tree)?;
    let mut out = BTreeMap::new();
    tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        let name = entry.name().unwrap_or_default();
        match entry.kind() {
            Some(git2::ObjectType::Tree) if !enter(&format!("{root}{name}/")) => {
                TreeWalkResult::Skip
            }
            Some(git2::ObjectType::Blob) => {
                let path = format!("{root}{name}");
                if keep(&path) {
                    out.insert(path, entry.id());
                }
                TreeWalkResult::Ok
            }
            _ => TreeWalkResult::Ok,
        }
    })?;
    Ok(out)
}

/// The owned files of the work tree (of HEAD in a bare clone).
pub(crate) fn check_files(repo: &Repository) -> Result<(Vec<CheckItem>, usize)> {
    let profile = profile(repo)?;
    let (paths, source): (Vec<String>, Option<&str>) = if repo.is_bare() {
        let head = repo.head()?.peel_to_tree()?.id();
        (tree_files(repo, head)?.into_keys().collect(), Some("HEAD"))
    } else {
        (repo::tracked_files(repo)?, None)
    };
    let attrs = repo::attributes(repo, &paths, repo::FILE_ATTRS, source)?;
    let head_files = if repo.is_bare() {
        tree_files(repo, repo.head()?.peel_to_tree()?.id())?
    } else {
        BTreeMap::new()
    };
    let owned_paths: Vec<String> = paths
        .into_iter()
        .filter(|p| owned(&profile, &attrs, p))
        .collect();
    // Files missing from the work tree (outside a sparse checkout) are read from the index.
    let mut staged: HashMap<String, Oid> = HashMap::new();
    let mut items = Vec::new();
    let mut files = 0;
    for path in &owned_paths {
        let text = match repo.workdir() {
            Some(dir) if is_link(&dir.join(path)) => continue,
            Some(dir) => match crate::fsutil::read_worktree_file(dir, path) {
                Ok(Some(t)) => t,
                _ => {
                    if staged.is_empty() {
                        staged = index::entries_of(repo, &owned_paths)?
                            .into_iter()
                            .filter(|e| e.stage == 0)
                            .map(|e| (e.path, e.oid))
                            .collect();
                    }
                    match staged.get(path) {
                        Some(oid) => repo::read_blob(repo, *oid)?,
                        None => continue,
                    }
                }
            },
            None => repo::read_blob(repo, head_files[path])?,
        };
        files += 1;
        items.extend(items_for(
            path,
            check::problems_all(&text, &profile.pins, repo::marker_size(&attrs, path)),
            "",
        ));
    }
    Ok((items, files))
}
