//! `poolmerge check`: for CI and pre-commit, read-only. Without `--merge`: the owned
//! files of the work tree (or of HEAD in a bare clone) carry the pin and no conflict
//! markers. With `--merge REF`: git's own tree merge of REF into HEAD (`git
//! merge-tree`, which writes objects only), poolmerge's engine on the owned files git
//! leaves conflicted, and the pin checked on every owned file of the result.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::{Context, Result, anyhow};
use git2::{Oid, Repository, TreeWalkMode, TreeWalkResult};

use crate::cli::{CheckArgs, Format};
use crate::commands::merge_safely;
use crate::conflict::{Markers, Style};
use crate::exit::Status;
use crate::merge::fix;
use crate::merge::line::LineMerge;
use crate::merge::pin::Pin;
use crate::merge::{self as engine, Input, Mode, Options, Plain};
use crate::repo;
use crate::report::{self, CheckItem};

/// Runs `poolmerge check`.
pub fn run(args: &CheckArgs) -> Result<Status> {
    let repo = repo::open()?;
    let (items, files) = match &args.merge {
        None => check_files(&repo)?,
        Some(rev) => check_merge(&repo, rev, crate::commands::line_merge().as_ref())?,
    };
    let out = match args.format {
        Format::Text => report::check_text(&items, files),
        Format::Json => report::check_json(&items, files),
        Format::Github => report::check_github(&items),
    };
    print!("{out}");
    Ok(if items.iter().any(|i| i.failure) {
        Status::Conflicts
    } else {
        Status::Clean
    })
}

fn items_for(path: &str, found: Vec<fix::Finding>, suffix: &str) -> Vec<CheckItem> {
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

/// Every blob path of a tree.
fn tree_files(repo: &Repository, tree: Oid) -> Result<BTreeMap<String, Oid>> {
    let tree = repo.find_tree(tree)?;
    let mut out = BTreeMap::new();
    tree.walk(TreeWalkMode::PreOrder, |root, entry| {
        if entry.kind() == Some(git2::ObjectType::Blob) {
            out.insert(
                format!("{root}{}", entry.name().unwrap_or_default()),
                entry.id(),
            );
        }
        TreeWalkResult::Ok
    })?;
    Ok(out)
}

/// The owned files of the work tree (of HEAD in a bare clone).
pub fn check_files(repo: &Repository) -> Result<(Vec<CheckItem>, usize)> {
    let pin = Pin::builtin();
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
    let index = repo.index()?;
    let mut items = Vec::new();
    let mut files = 0;
    for path in paths.iter().filter(|p| repo::owned(&attrs, p)) {
        let text = match repo.workdir() {
            Some(dir) => match std::fs::read(dir.join(path)) {
                Ok(t) => t,
                Err(_) => match index.get_path(std::path::Path::new(path), 0) {
                    Some(e) => repo.find_blob(e.id)?.content().to_vec(),
                    None => continue,
                },
            },
            None => repo.find_blob(head_files[path])?.content().to_vec(),
        };
        files += 1;
        items.extend(items_for(
            path,
            fix::problems(&text, &pin, repo::marker_size(&attrs, path)),
            "",
        ));
    }
    Ok((items, files))
}

/// A path `git merge-tree` left conflicted, with its stage blobs.
#[derive(Debug, Default, Clone, Copy)]
struct Stages {
    base: Option<Oid>,
    ours: Option<Oid>,
    theirs: Option<Oid>,
}

/// Parses `git merge-tree --write-tree -z`: the tree, then `<mode> <oid> <stage>\t<path>`
/// entries up to an empty one.
fn parse_merge_tree(out: &[u8]) -> Result<(Oid, BTreeMap<String, Stages>)> {
    let mut fields = out.split(|&b| b == 0);
    let tree = fields
        .next()
        .ok_or_else(|| anyhow!("git merge-tree printed nothing"))?;
    let tree = Oid::from_str(String::from_utf8_lossy(tree).trim())?;
    let mut conflicted: BTreeMap<String, Stages> = BTreeMap::new();
    for field in fields {
        if field.is_empty() {
            break;
        }
        let text = String::from_utf8_lossy(field);
        let (info, path) = text
            .split_once('\t')
            .ok_or_else(|| anyhow!("unexpected git merge-tree output: {text}"))?;
        let parts: Vec<&str> = info.split(' ').collect();
        let [_, oid, stage] = parts[..] else {
            return Err(anyhow!("unexpected git merge-tree output: {text}"));
        };
        let oid = Oid::from_str(oid)?;
        let entry = conflicted.entry(path.to_string()).or_default();
        match stage {
            "1" => entry.base = Some(oid),
            "2" => entry.ours = Some(oid),
            "3" => entry.theirs = Some(oid),
            _ => {}
        }
    }
    Ok((tree, conflicted))
}

/// What merging `rev` into HEAD would give.
pub fn check_merge(
    repo: &Repository,
    rev: &str,
    line: &dyn LineMerge,
) -> Result<(Vec<CheckItem>, usize)> {
    let head = repo
        .head()
        .context("no HEAD to merge into")?
        .peel_to_commit()?;
    let other = repo
        .revparse_single(rev)
        .with_context(|| format!("unknown revision {rev}"))?
        .peel_to_commit()
        .with_context(|| format!("{rev} is not a commit"))?;
    let (head_id, other_id) = (head.id().to_string(), other.id().to_string());
    // git's own tree merge; poolmerge's driver is replaced by one that always
    // conflicts, so that every owned path both sides changed comes back with its
    // stages for the engine to merge in-process.
    let mut args = vec!["-c", "merge.poolmerge.driver=false"];
    if repo.is_bare() {
        args.extend(["-c", "attr.tree=HEAD"]);
    }
    args.extend(["merge-tree", "--write-tree", "-z", &head_id, &other_id]);
    let (_, out) = repo::git(repo, &args, None, &[0, 1])?;
    let (tree, conflicted) = parse_merge_tree(&out)?;
    let merged_files = tree_files(repo, tree)?;
    let all: BTreeSet<String> = merged_files
        .keys()
        .chain(conflicted.keys())
        .cloned()
        .collect();
    let all: Vec<String> = all.into_iter().collect();
    let attrs = repo::attributes(
        repo,
        &all,
        repo::FILE_ATTRS,
        repo.is_bare().then_some("HEAD"),
    )?;
    let style: Style = repo::config_string(Some(repo), "merge.conflictStyle")
        .and_then(|v| v.parse().ok())
        .unwrap_or_default();
    let pin = Pin::builtin();
    let mut items = Vec::new();
    let mut files = 0;
    let conflict = |path: &str, message: String| CheckItem {
        kind: "conflict".into(),
        path: path.to_string(),
        line: None,
        message,
        failure: true,
    };
    for (path, st) in &conflicted {
        if !repo::owned(&attrs, path) {
            items.push(conflict(
                path,
                "would stay conflicted (not routed to poolmerge)".into(),
            ));
            continue;
        }
        files += 1;
        let (Some(ours), Some(theirs)) = (st.ours, st.theirs) else {
            let who = if st.ours.is_none() { "HEAD" } else { rev };
            items.push(conflict(
                path,
                format!("would stay conflicted (deleted in {who}, changed in the other)"),
            ));
            continue;
        };
        let blob = |oid: Option<Oid>| -> Result<Vec<u8>> {
            Ok(match oid {
                Some(o) => repo.find_blob(o)?.content().to_vec(),
                None => Vec::new(),
            })
        };
        let (b, o, t) = (blob(st.base)?, blob(Some(ours))?, blob(Some(theirs))?);
        let input = Input {
            base: &b,
            ours: &o,
            theirs: &t,
        };
        let opts = Options {
            markers: Markers {
                size: repo::marker_size(&attrs, path),
                style,
                ours: Some("HEAD".into()),
                base: Some("base".into()),
                theirs: Some(rev.to_string()),
            },
            ..Options::default()
        };
        let outcome =
            merge_safely(&input, &opts, line, true).map_err(|e| anyhow!("{path}: {e}"))?;
        if outcome.conflicts > 0 {
            items.push(conflict(
                path,
                format!(
                    "would stay conflicted ({} conflict blocks after poolmerge)",
                    outcome.conflicts
                ),
            ));
            continue;
        }
        let git_alone_conflicts = match outcome.mode {
            Mode::Plain(_) => false,
            _ => engine::plain(&input, &opts, line, Plain::NoRegions)?.conflicts > 0,
        };
        if git_alone_conflicts {
            items.push(CheckItem {
                kind: "resolved".into(),
                path: path.clone(),
                line: None,
                message: "poolmerge resolves what git alone would leave conflicted".into(),
                failure: false,
            });
        }
        let size = repo::marker_size(&attrs, path);
        items.extend(items_for(
            path,
            fix::problems(&outcome.content, &pin, size),
            "",
        ));
    }
    for (path, oid) in &merged_files {
        if conflicted.contains_key(path) || !repo::owned(&attrs, path) {
            continue;
        }
        files += 1;
        let text = repo.find_blob(*oid)?.content().to_vec();
        let found = fix::problems(&text, &pin, repo::marker_size(&attrs, path));
        items.extend(items_for(
            path,
            found,
            " (merged as git took it: run poolmerge fix, or install the hooks)",
        ));
    }
    Ok((items, files))
}
