//! The index, through git's own plumbing. libgit2 refuses a sparse index (`sdir`) and
//! a split index (`link`); `git ls-files`, `git update-index` and `git diff-index` read
//! and write every format the user's git writes (index v4, untracked cache, fsmonitor
//! too), honour `GIT_INDEX_FILE` (which git sets for hooks, and points at a temporary
//! index for `git commit <path>`), and take the index lock as git does.

use anyhow::{Result, anyhow};
use git2::{Oid, Repository};

use super::git;

/// One index entry, as `git ls-files --stage` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Entry {
    /// The file mode (`0o100644`, `0o100755`, `0o120000`, `0o160000`).
    pub mode: u32,
    /// The blob (or commit, for a submodule).
    pub oid: Oid,
    /// 0 for a merged entry; 1, 2, 3 for the base, ours and theirs of a conflict.
    pub stage: u8,
    /// Repository-relative path.
    pub path: String,
}

impl Entry {
    /// Whether the entry is a regular file (not a symbolic link or a submodule).
    pub(crate) fn is_file(&self) -> bool {
        self.mode & 0o170000 == 0o100000
    }
}

/// Pathspecs that match exactly these paths, whatever characters they hold.
fn literal(paths: &[String]) -> Vec<String> {
    paths.iter().map(|p| format!(":(literal){p}")).collect()
}

/// Parses `git ls-files --stage -z`: `<mode> <oid> <stage>\t<path>` records.
fn parse_stage(out: &[u8]) -> Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for record in out.split(|&b| b == 0).filter(|r| !r.is_empty()) {
        let text = String::from_utf8_lossy(record);
        let bad = || anyhow!("unexpected git ls-files output: {text}");
        let (info, path) = text.split_once('\t').ok_or_else(bad)?;
        let mut parts = info.split(' ');
        let (Some(mode), Some(oid), Some(stage)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(bad());
        };
        entries.push(Entry {
            mode: u32::from_str_radix(mode, 8).map_err(|_| bad())?,
            oid: Oid::from_str(oid).map_err(|_| bad())?,
            stage: stage.parse().map_err(|_| bad())?,
            path: path.to_string(),
        });
    }
    Ok(entries)
}

/// The stage blobs of one unmerged path.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Stages {
    /// Stage 1: the common ancestor's.
    pub base: Option<Oid>,
    /// Stage 2: ours.
    pub ours: Option<Oid>,
    /// Stage 3: theirs.
    pub theirs: Option<Oid>,
}

impl Stages {
    /// Records the blob of stage `stage` (1, 2 or 3; stage 0 is no conflict).
    pub(crate) fn set(&mut self, stage: u8, oid: Oid) {
        match stage {
            1 => self.base = Some(oid),
            2 => self.ours = Some(oid),
            3 => self.theirs = Some(oid),
            _ => {}
        }
    }
}

/// The index entries (every stage) under `pathspecs` (all when empty). A sparse
/// index is expanded by git, so every tracked path is listed.
pub(crate) fn entries(repo: &Repository, pathspecs: &[String]) -> Result<Vec<Entry>> {
    let mut args = vec!["ls-files", "--stage", "-z", "--"];
    args.extend(pathspecs.iter().map(String::as_str));
    let (_, out) = git(repo, &args, None, &[0])?;
    parse_stage(&out)
}

/// The entries of exactly these paths.
pub(crate) fn entries_of(repo: &Repository, paths: &[String]) -> Result<Vec<Entry>> {
    if paths.is_empty() {
        return Ok(Vec::new());
    }
    entries(repo, &literal(paths))
}

/// Those of `paths` the index marks skip-worktree (outside a sparse checkout's cone),
/// when a sparse checkout is on.
pub(crate) fn outside_sparse_checkout(
    repo: &Repository,
    paths: &[String],
) -> Result<std::collections::BTreeSet<String>> {
    let sparse = super::config_bool(Some(repo), "core.sparseCheckout");
    if !sparse || paths.is_empty() {
        return Ok(Default::default());
    }
    let mut args = vec![
        "ls-files".to_string(),
        "-t".into(),
        "-z".into(),
        "--".into(),
    ];
    args.extend(literal(paths));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out) = git(repo, &args, None, &[0])?;
    Ok(out
        .split(|&b| b == 0)
        .filter_map(|r| r.strip_prefix(b"S "))
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect())
}

/// Every tracked path, each once whatever its stages.
pub(crate) fn tracked(repo: &Repository) -> Result<Vec<String>> {
    let (_, out) = git(repo, &["ls-files", "-z"], None, &[0])?;
    let mut paths: Vec<String> = out
        .split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect();
    paths.dedup();
    Ok(paths)
}

/// The paths whose staged version differs from HEAD's (every staged path when there
/// is no HEAD yet), merged entries only: what the commit being made changes.
pub(crate) fn staged_changes(repo: &Repository) -> Result<Vec<String>> {
    let base = if repo.head().is_ok() {
        "HEAD".to_string()
    } else {
        // The empty tree: every staged path is a change.
        repo.treebuilder(None)?.write()?.to_string()
    };
    let (_, out) = git(
        repo,
        &[
            "diff-index",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=AMT",
            "--ignore-submodules",
            &base,
        ],
        None,
        &[0],
    )?;
    Ok(out
        .split(|&b| b == 0)
        .filter(|r| !r.is_empty())
        .map(|r| String::from_utf8_lossy(r).into_owned())
        .collect())
}

/// Sets merged (stage 0) entries: `(mode, blob, path)`. A conflicted path given here
/// is resolved, as `git add` would. The stat data of the new entries is refreshed from
/// the work tree where it matches, so that `git status` needs no re-hashing.
pub(crate) fn set(repo: &Repository, entries: &[(u32, Oid, &str)]) -> Result<()> {
    if entries.is_empty() {
        return Ok(());
    }
    let mut input = Vec::new();
    for (mode, oid, path) in entries {
        input.extend_from_slice(format!("{mode:o} {oid}\t{path}").as_bytes());
        input.push(0);
    }
    let sparse = super::config_bool(Some(repo), "core.sparseCheckout");
    write_info(repo, &input)?;
    if !sparse {
        return refresh(repo);
    }
    // A sparse checkout: an entry whose file is outside the cone (not in the work
    // tree) keeps its skip-worktree bit, so that git status does not take it for
    // deleted.
    let workdir = repo.workdir().map(std::path::Path::to_path_buf);
    let mut outside = Vec::new();
    for (_, _, path) in entries {
        let absent = workdir
            .as_ref()
            .is_some_and(|w| std::fs::symlink_metadata(w.join(path)).is_err());
        if absent {
            outside.extend_from_slice(path.as_bytes());
            outside.push(0);
        }
    }
    if !outside.is_empty() {
        git(
            repo,
            &[
                "-c",
                "index.sparse=false",
                "update-index",
                "--skip-worktree",
                "-z",
                "--stdin",
            ],
            Some(&outside),
            &[0],
        )?;
    }
    refresh(repo)
}

/// `git update-index -z --index-info` of `input` (NUL-terminated records). A sparse
/// index is expanded for the write: an entry under a sparse directory entry cannot sit
/// beside it (git would write trees with the path twice).
pub(crate) fn write_info(repo: &Repository, input: &[u8]) -> Result<()> {
    git(
        repo,
        &[
            "-c",
            "index.sparse=false",
            "update-index",
            "-z",
            "--index-info",
        ],
        Some(input),
        &[0],
    )?;
    Ok(())
}

/// Stages the work-tree files of `paths` as `git add` would (end-of-line conversion
/// included), resolving any conflict they had.
pub(crate) fn add(repo: &Repository, paths: &[String]) -> Result<()> {
    if paths.is_empty() {
        return Ok(());
    }
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    git(
        repo,
        &["update-index", "--add", "-z", "--stdin"],
        Some(&input),
        &[0],
    )?;
    Ok(())
}

/// Refreshes the index's stat data (`git update-index -q --refresh`); files that
/// really differ stay as they are.
pub(crate) fn refresh(repo: &Repository) -> Result<()> {
    git(
        repo,
        &["update-index", "-q", "--refresh", "--ignore-submodules"],
        None,
        &[0, 1],
    )?;
    Ok(())
}

/// The index format and extensions git reports, for `doctor`: whether the index is
/// sparse or split (libgit2 could not read it; poolmerge does not need it to).
pub(crate) fn layout(repo: &Repository) -> Vec<String> {
    let mut out = Vec::new();
    let flag = |key: &str| super::config_bool(Some(repo), key);
    if flag("index.sparse") {
        out.push("a sparse index (index.sparse)".to_string());
    }
    if flag("core.splitIndex") {
        out.push("a split index (core.splitIndex)".to_string());
    }
    if let Some(v) = super::config_string(Some(repo), "index.version") {
        out.push(format!("index version {v}"));
    }
    if flag("core.untrackedCache") {
        out.push("an untracked cache".to_string());
    }
    if super::config_string(Some(repo), "core.fsmonitor").is_some_and(|v| v != "false") {
        out.push("fsmonitor".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_stage_records() {
        let out = b"100644 0123456789abcdef0123456789abcdef01234567 2\tdatabase/a b.py\0\
160000 89abcdef0123456789abcdef0123456789abcdef 0\tsub\0";
        let e = parse_stage(out).unwrap();
        assert_eq!(e.len(), 2);
        assert_eq!(
            (e[0].mode, e[0].stage, e[0].path.as_str()),
            (0o100644, 2, "database/a b.py")
        );
        assert!(e[0].is_file() && !e[1].is_file());
        assert!(parse_stage(b"garbage\0").is_err());
    }
}
