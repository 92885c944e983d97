//! `git-merge-poolmerge`: a merge strategy, so that git itself makes the merge commit.
//!
//! `install --hooks` sets `pull.twohead = poolmerge`, which `git merge` and `git pull`
//! read, and puts `git-merge-poolmerge` (this binary under that name) beside
//! `poolmerge`. git then runs `git-merge-poolmerge [--OPTION...] BASE... -- HEAD REMOTE`
//! and, on exit 0, commits the index itself: its hooks, message, signature and
//! encoding. Exit 1 leaves conflicts in the index and work tree (git writes
//! `MERGE_HEAD` and the conflict list, and runs rerere); exit 2 means nothing was
//! touched and git reports the strategy failed.
//!
//! The merge is git's own `ort` merge, run by `git merge-tree --write-tree` (files both
//! sides changed go through the merge driver, as in any `git merge`), with the labels
//! `git merge` gives (`HEAD`, and the name the user merged). Where HEAD's tree routes
//! files to poolmerge, every owned file the merge changes that does not carry the pin
//! gets it in the merged tree, before anything is written; then
//! `git read-tree -m -u HEAD TREE` moves the index and work tree to it, refusing (as
//! `git merge` does) to overwrite local changes, and conflicted paths get their stages.
//! A branch whose HEAD does not carry the route is merged exactly as `git merge` would,
//! the driver included in its plain mode (`POOLMERGE=0`).

use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;

use anyhow::{Context, Result, anyhow, bail};
use git2::{Oid, Repository};

use crate::commands::{owned, profile};
use crate::repo;

mod stand_in;
use stand_in::{STAND_IN, Sides};

/// The name `pull.twohead` gives; git runs `git-merge-<NAME>`.
pub(crate) const NAME: &str = "poolmerge";

/// The executable git looks for on PATH.
pub(crate) fn program() -> String {
    format!("git-merge-{NAME}{}", std::env::consts::EXE_SUFFIX)
}

/// What git passed: strategy options (`--patience`, `--find-renames=50`...), merge
/// bases, HEAD and the one commit merged.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Invocation {
    pub options: Vec<String>,
    pub bases: Vec<String>,
    pub head: String,
    pub remote: String,
}

pub(crate) fn parse(args: &[String]) -> Result<Invocation> {
    let split = args
        .iter()
        .position(|a| a == "--")
        .ok_or_else(|| anyhow!("expected [--OPTION...] BASE... -- HEAD REMOTE"))?;
    let (before, after) = (&args[..split], &args[split + 1..]);
    let options: Vec<String> = before
        .iter()
        .take_while(|a| a.starts_with("--"))
        .map(|a| a[2..].to_string())
        .collect();
    let bases = before[options.len()..].to_vec();
    match after {
        [head, remote] => Ok(Invocation {
            options,
            bases,
            head: head.clone(),
            remote: remote.clone(),
        }),
        [_head, ..] => bail!("poolmerge merges two heads; an octopus merge is git's"),
        [] => bail!("expected HEAD and the commit to merge after --"),
    }
}

/// Runs the strategy; its status is git's convention for strategies.
pub(crate) fn run(args: &[String]) -> u8 {
    match strategy(args) {
        Ok(code) => code,
        Err(e) => {
            // git leaves the merge undone and says the strategy failed.
            errln!(
                "poolmerge: merge strategy: {e:#}; nothing was merged (git merge -s ort merges without poolmerge)"
            );
            2
        }
    }
}

fn strategy(args: &[String]) -> Result<u8> {
    let call = parse(args)?;
    let repo = open()?;
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("a merge needs a work tree"))?
        .to_path_buf();
    let head = repo.head()?.peel_to_commit()?;
    let remote = Oid::from_str(&call.remote)
        .or_else(|_| repo.revparse_single(&call.remote).map(|o| o.id()))
        .with_context(|| format!("cannot read the commit to merge, {}", call.remote))?;
    // `git merge` passes HEAD by name; a cherry-pick, revert or rebase pick passes
    // HEAD's id and the one base it chose (the picked commit's parent, or for a revert
    // the reverted commit), which merge-tree must take as given.
    let pick = call.head != "HEAD" && call.bases.len() == 1;
    let label = if pick {
        remote.to_string()
    } else {
        label(&repo, remote)
    };
    let governed = (governs_checkout(&repo) || rebasing_fork(&repo))
        && !crate::commands::merge::disabled_by_env();
    let stand_in = governed && stand_in::serves(&repo, &call);
    let merge_tree = |stand_in: bool| {
        let mut git = merge_tree_command(&repo, &call, pick, &label, governed, stand_in);
        std::thread::spawn(move || git.output())
    };
    // merge-tree writes objects only: it runs while the index is checked and the
    // attributes of every path the merge may change (those that differ between HEAD
    // and the commit merged) are looked up.
    let merging = merge_tree(stand_in);
    let looking = if governed {
        let theirs = repo.find_commit(remote)?.tree()?;
        let paths: Vec<String> = crate::commands::changed_files(&repo, &head.tree()?, &theirs)?
            .into_iter()
            .map(|(path, _, _)| path)
            .collect();
        Some(repo::attributes_later(&repo, &paths, repo::FILE_ATTRS)?)
    } else {
        None
    };
    // git merge refuses, for its own strategies, an index that differs from HEAD.
    let staged = staged_changes(&repo, &head.tree()?)?;
    if !staged.is_empty() {
        let _ = merging.join();
        errln!(
            "error: Your local changes to the following files would be overwritten by merge:\n  {}",
            staged.join("\n  ")
        );
        return Ok(2);
    }
    let known = match looking {
        Some(attrs) => Some((profile(&repo)?, attrs.finish()?)),
        None => None,
    };
    let sides = Sides {
        base: call
            .bases
            .first()
            .map_or(Ok(Oid::ZERO_SHA1), |b| Oid::from_str(b))?,
        head: head.id(),
        remote,
        label: &label,
        pick,
    };
    let (done, mut prepared) = match &known {
        Some((profile, attrs)) if stand_in => {
            let (done, prepared) =
                stand_in::merge_while(&repo, &sides, profile, attrs, || finished(merging))?;
            (done, Some(prepared))
        }
        _ => (finished(merging), None),
    };
    let (mut merged, mut clean) = match done? {
        Some(done) => done,
        // git could not run the stand-in: merged again, with the driver.
        None if prepared.is_some() => match finished(merge_tree(false))? {
            Some(done) => {
                prepared = None;
                done
            }
            None => return Ok(2),
        },
        None => return Ok(2),
    };
    if let (Some(prepared), Some((_, attrs))) = (prepared.as_mut(), &known)
        && !clean
    {
        match stand_in::merge_owned(&repo, &merged, &sides, prepared, attrs)? {
            Some(resolved) => {
                clean = !resolved.conflicts();
                merged = resolved;
            }
            // A case only the driver sees as git sees it: merged again, with it.
            None => match finished(merge_tree(false))? {
                Some((again, was_clean)) => (merged, clean) = (again, was_clean),
                None => return Ok(2),
            },
        }
    }
    let mut tree = merged.tree;
    if pick && !clean {
        tree = relabel(
            &repo,
            tree,
            &merged.conflicted(),
            &pick_labels(&repo, &call.bases[0], remote)?,
        )?;
    }
    if let Some((profile, attrs)) = known {
        tree = pin(
            &repo,
            &head.tree()?,
            tree,
            &merged.conflicted(),
            &profile,
            attrs,
            prepared.map(|p| p.pinned).unwrap_or_default(),
        )?;
    }
    // The index and work tree move to the merged tree as a checkout would.
    let (code, _, err) = git_full(
        &repo,
        &["read-tree", "-m", "-u", "HEAD", &tree.to_string()],
        None,
    )?;
    if code != 0 {
        crate::output::error_text(format_args!("{}", porcelain(&err)));
        return Ok(2);
    }
    if !clean {
        stage_conflicts(&repo, &workdir, &merged)?;
    } else {
        // For the post-merge hook: this merge is made, and pinned (see `MARK`).
        let _ = std::fs::write(repo.path().join(MARK), format!("{remote}\n"));
    }
    std::io::stdout().write_all(&merged.messages())?;
    Ok(if clean { 0 } else { 1 })
}

/// merge-tree's result and whether it is clean; `None` when git failed (it said why).
fn finished(
    merging: std::thread::JoinHandle<std::io::Result<std::process::Output>>,
) -> Result<Option<(MergeTree, bool)>> {
    let out = merging
        .join()
        .map_err(|_| anyhow!("git merge-tree could not be waited for"))?
        .context("cannot run git merge-tree")?;
    let clean = match out.status.code() {
        Some(0) => true,
        Some(1) => false,
        _ => return Ok(None),
    };
    Ok(Some((MergeTree::parse(&out.stdout)?, clean)))
}

/// `git merge-tree` for this merge, with `git merge`'s labels. On the fork's branch its
/// driver calls are in scope; elsewhere the driver is git's plain merge. With
/// `stand_in`, git runs `false` in place of poolmerge's driver (see [`merge_owned`]).
fn merge_tree_command(
    repo: &Repository,
    call: &Invocation,
    pick: bool,
    label: &str,
    governed: bool,
    stand_in: bool,
) -> std::process::Command {
    let mut git = repo::git_command(repo);
    if stand_in {
        git.args(["-c", &format!("merge.{}.driver={STAND_IN}", repo::DRIVER)]);
    }
    git.args(["merge-tree", "--write-tree", "-z", "--messages"]);
    for o in &call.options {
        git.arg(format!("-X{o}"));
    }
    if call.bases.is_empty() {
        git.arg("--allow-unrelated-histories");
    }
    if pick {
        git.arg(format!("--merge-base={}", call.bases[0]));
    }
    git.args(["HEAD", label]);
    if governed {
        // The driver need not ask again whose branch this is.
        git.env(SCOPED, "1");
    } else {
        // Not the fork's branch: git's merge, the driver's plain merge included.
        git.env("POOLMERGE", "0");
    }
    git.stdin(std::process::Stdio::null())
        .stderr(std::process::Stdio::inherit());
    git
}

/// Set for the merge the strategy runs on the fork's branch: the driver's calls there
/// are in scope without looking.
pub(crate) const SCOPED: &str = "POOLMERGE_FORK_BRANCH";

/// The file a clean merge leaves in the git directory, holding the commit merged: the
/// post-merge hook that finds it equal to `MERGE_HEAD` has nothing to do and does not
/// start poolmerge.
pub(crate) const MARK: &str = "poolmerge-merged";

/// The repository git runs the strategy in: git starts it at the top of the work tree,
/// with `GIT_DIR` and the rest of git's environment as the user set them. Opened in
/// process; `git rev-parse` decides where libgit2 cannot.
fn open() -> Result<Repository> {
    let cwd = std::env::current_dir()?;
    if std::env::var_os("GIT_DIR").is_none()
        && std::env::var_os("GIT_WORK_TREE").is_none()
        && let Ok(repo) =
            Repository::open_ext(&cwd, git2::RepositoryOpenFlags::NO_SEARCH, None::<&str>)
        && !repo.is_bare()
        && repo
            .workdir()
            .and_then(|w| w.canonicalize().ok())
            .zip(cwd.canonicalize().ok())
            .is_some_and(|(w, c)| w == c)
    {
        return Ok(repo);
    }
    repo::open()
}

/// The label `git merge` gives the commit merged: the name the user typed (git passes
/// it as `GITHEAD_<oid>`) where it names that commit, else the commit's id.
fn label(repo: &Repository, remote: Oid) -> String {
    let hex = remote.to_string();
    std::env::var(format!("GITHEAD_{hex}"))
        .ok()
        .filter(|name| {
            repo.revparse_single(name)
                .and_then(|o| o.peel_to_commit())
                .is_ok_and(|c| c.id() == remote)
        })
        .unwrap_or(hex)
}

/// During a rebase, whether the branch being rebased is the fork's: its picks land on
/// upstream's tree, which does not carry the route.
pub(crate) fn rebasing_fork(repo: &Repository) -> bool {
    ["rebase-merge/orig-head", "rebase-apply/orig-head"]
        .iter()
        .filter_map(|f| std::fs::read_to_string(repo.path().join(f)).ok())
        .filter_map(|t| Oid::from_str(t.trim()).ok())
        .filter_map(|oid| repo.find_commit(oid).ok()?.tree().ok())
        .any(|tree| governs(repo, &tree))
}

/// The labels git's own merge gives the conflict markers of a pick (or a revert):
/// `(id, label)` for the base and the commit merged, whose ids merge-tree wrote.
fn pick_labels(repo: &Repository, base: &str, remote: Oid) -> Result<Vec<(String, String)>> {
    let base_oid = Oid::from_str(base)?;
    let describe = |oid: Oid| -> Result<String> {
        let commit = repo.find_commit(oid)?;
        let (_, short) = repo::git(
            repo,
            &["rev-parse", "--short", &oid.to_string()],
            None,
            &[0],
        )?;
        let message = String::from_utf8_lossy(commit.message_bytes()).into_owned();
        let subject = message.lines().next().unwrap_or_default().to_string();
        Ok(format!(
            "{} ({subject})",
            String::from_utf8_lossy(&short).trim()
        ))
    };
    let remote_commit = repo.find_commit(remote)?;
    let revert = remote_commit.parent_id(0).ok() != Some(base_oid)
        && repo
            .find_commit(base_oid)
            .ok()
            .and_then(|b| b.parent_id(0).ok())
            == Some(remote);
    Ok(if revert {
        let label = describe(base_oid)?;
        vec![
            (base.to_string(), label.clone()),
            (remote.to_string(), format!("parent of {label}")),
        ]
    } else {
        let label = describe(remote)?;
        vec![
            (base.to_string(), format!("parent of {label}")),
            (remote.to_string(), label),
        ]
    })
}

/// The merged tree with the conflict markers of `conflicted` paths labelled by
/// `labels` (`(id, label)`: merge-tree labelled them with the ids it was given).
fn relabel(
    repo: &Repository,
    tree: Oid,
    conflicted: &BTreeSet<String>,
    labels: &[(String, String)],
) -> Result<Oid> {
    let merged = repo.find_tree(tree)?;
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut any = false;
    for path in conflicted {
        let Ok(entry) = merged.get_path(Path::new(path)) else {
            continue;
        };
        if entry.kind() != Some(git2::ObjectType::Blob) {
            continue;
        }
        let text = repo::read_blob(repo, entry.id())?;
        let new = relabel_text(&text, labels);
        if new != text {
            let mode = if entry.filemode() == i32::from(git2::FileMode::BlobExecutable) {
                git2::FileMode::BlobExecutable
            } else {
                git2::FileMode::Blob
            };
            update.upsert(path.as_str(), repo.blob(&new)?, mode);
            any = true;
        }
    }
    Ok(if any {
        update.create_updated(repo, &merged)?
    } else {
        tree
    })
}

/// Marker lines (`<<<`, `|||`, `>>>` runs, a space, an id, then the end of the line
/// or `:path`) with the id replaced by its label.
fn relabel_text(text: &[u8], labels: &[(String, String)]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let run = line
            .iter()
            .take_while(|&&b| b == line[0] && matches!(b, b'<' | b'|' | b'>'))
            .count();
        let mut done = false;
        if run >= 7 && line.get(run) == Some(&b' ') {
            let rest = &line[run + 1..];
            for (id, label) in labels {
                if let Some(after) = rest.strip_prefix(id.as_bytes())
                    && matches!(after.first(), None | Some(b'\n' | b'\r' | b':'))
                {
                    out.extend_from_slice(&line[..=run]);
                    out.extend_from_slice(label.as_bytes());
                    out.extend_from_slice(after);
                    done = true;
                    break;
                }
            }
        }
        if !done {
            out.extend_from_slice(line);
        }
    }
    out
}

/// Whether a tree is the fork's: its `.gitattributes` routes files to poolmerge, or it
/// holds poolmerge's configuration. A branch cut from upstream holds neither. With
/// `install --local` the route lives only in `.git/info/attributes`, and every branch
/// is the fork's (`poolmerge.scope = all`).
pub(crate) fn governs(repo: &Repository, tree: &git2::Tree) -> bool {
    scope_all(repo)
        || carries_route(|name| {
            let entry = tree.get_path(Path::new(name)).ok()?;
            repo.find_blob(entry.id())
                .ok()
                .map(|b| b.content().to_vec())
        })
}

/// Whether the index (what the commit being made will hold) is the fork's; see
/// [`governs`]. A route in the work tree not yet staged counts too.
pub(crate) fn governs_index(repo: &Repository) -> bool {
    scope_all(repo)
        || carries_route(|name| {
            let entries = repo::index::entries_of(repo, &[name.to_string()]).ok()?;
            let entry = entries.iter().find(|e| e.stage == 0)?;
            repo::read_blob(repo, entry.oid).ok()
        })
        || worktree_routes(repo)
}

/// Whether the branch checked out is the fork's: HEAD's tree carries the route, or
/// the work tree does (`install` wrote it, not committed yet); see [`governs`].
pub(crate) fn governs_checkout(repo: &Repository) -> bool {
    repo.head()
        .and_then(|h| h.peel_to_tree())
        .is_ok_and(|t| governs(repo, &t))
        || worktree_routes(repo)
}

fn worktree_routes(repo: &Repository) -> bool {
    let Some(dir) = repo.workdir() else {
        return false;
    };
    carries_route(|name| crate::fsutil::read_worktree_file(dir, name).ok().flatten())
}

/// The configuration key `install --local --hooks` sets: the route is not committed,
/// so no branch can be told from another.
pub(crate) const SCOPE_KEY: &str = "poolmerge.scope";

fn scope_all(repo: &Repository) -> bool {
    repo::config_string(Some(repo), SCOPE_KEY).is_some_and(|v| v == "all")
}

/// Whether the files `read` gives (by path) route files to poolmerge or configure it.
fn carries_route(read: impl Fn(&str) -> Option<Vec<u8>>) -> bool {
    if read(crate::config::FILES[0]).is_some() {
        return true;
    }
    if read(crate::config::FILES[1])
        .is_some_and(|t| crate::python::contains(&t, b"[tool.poolmerge"))
    {
        return true;
    }
    read(".gitattributes").is_some_and(|t| repo::reroute(&t, repo::DRIVER, "x").is_some())
}

/// What `git merge-tree --write-tree -z --messages` printed.
#[derive(Clone)]
struct MergeTree {
    tree: Oid,
    /// `(mode, blob, stage, path)` of each conflicted path's stages.
    stages: Vec<(u32, Oid, u8, String)>,
    /// The informational messages, in git's order.
    notes: Vec<Note>,
}

/// One of merge-tree's messages: the paths it is about, its type (`Auto-merging`,
/// `CONFLICT (contents)`...) and its text, as `git merge` prints it.
#[derive(Clone)]
struct Note {
    paths: Vec<String>,
    kind: String,
    text: Vec<u8>,
}

/// The type of the message git gives a content merge that conflicts (the merge
/// driver's exit 1 included).
const CONTENT_CONFLICT: &str = "CONFLICT (contents)";

impl MergeTree {
    fn parse(out: &[u8]) -> Result<MergeTree> {
        let bad = || anyhow!("unexpected git merge-tree output");
        let mut fields = out.split(|&b| b == 0);
        let tree = Oid::from_str(std::str::from_utf8(fields.next().ok_or_else(bad)?)?)?;
        let mut stages = Vec::new();
        for f in fields.by_ref() {
            if f.is_empty() {
                break;
            }
            let text = String::from_utf8_lossy(f);
            let (info, path) = text.split_once('\t').ok_or_else(bad)?;
            let mut parts = info.split(' ');
            let (Some(mode), Some(oid), Some(stage)) = (parts.next(), parts.next(), parts.next())
            else {
                return Err(bad());
            };
            stages.push((
                u32::from_str_radix(mode, 8)?,
                Oid::from_str(oid)?,
                stage.parse()?,
                path.to_string(),
            ));
        }
        // Messages: a count of paths, the paths, a type and the message itself.
        let mut notes = Vec::new();
        while let Some(count) = fields.next() {
            if count.is_empty() {
                break;
            }
            let n: usize = std::str::from_utf8(count)?.parse().map_err(|_| bad())?;
            let mut paths = Vec::with_capacity(n);
            for _ in 0..n {
                paths.push(String::from_utf8_lossy(fields.next().ok_or_else(bad)?).into_owned());
            }
            let kind = String::from_utf8_lossy(fields.next().ok_or_else(bad)?).into_owned();
            let text = fields.next().ok_or_else(bad)?.to_vec();
            notes.push(Note { paths, kind, text });
        }
        Ok(MergeTree {
            tree,
            stages,
            notes,
        })
    }

    fn conflicted(&self) -> BTreeSet<String> {
        self.stages.iter().map(|s| s.3.clone()).collect()
    }

    /// The messages, as `git merge` prints them.
    fn messages(&self) -> Vec<u8> {
        self.notes
            .iter()
            .flat_map(|n| n.text.iter().copied())
            .collect()
    }

    /// Whether a conflict remains: a path with stages, or a conflict git reported
    /// without them.
    fn conflicts(&self) -> bool {
        !self.stages.is_empty() || self.notes.iter().any(|n| n.kind.starts_with("CONFLICT"))
    }
}

fn split_z(out: &[u8]) -> Vec<String> {
    out.split(|&b| b == 0)
        .filter(|p| !p.is_empty())
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .collect()
}

/// The merged tree with every owned file the merge changed (and left unconflicted)
/// pinned, where it did not carry the pin.
fn pin(
    repo: &Repository,
    before: &git2::Tree,
    tree: Oid,
    conflicted: &BTreeSet<String>,
    profile: &crate::config::Profile,
    mut attrs: repo::Attributes,
    mut pinned: stand_in::Pinned,
) -> Result<Oid> {
    let after = repo.find_tree(tree)?;
    let changed: Vec<(String, git2::FileMode, Oid)> =
        crate::commands::changed_files(repo, before, &after)?
            .into_iter()
            .filter(|(path, _, _)| !conflicted.contains(path))
            .collect();
    if changed.is_empty() {
        return Ok(tree);
    }
    // A path the merge put where neither side had it (a directory rename) was not
    // looked up while git merged.
    let missing: Vec<String> = changed
        .iter()
        .map(|c| c.0.clone())
        .filter(|p| !attrs.contains_key(p))
        .collect();
    attrs.extend(repo::attributes(repo, &missing, repo::FILE_ATTRS, None)?);
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut any = false;
    for (path, mode, oid) in changed {
        if !owned(profile, &attrs, &path) {
            continue;
        }
        let size = repo::marker_size(&attrs, &path);
        let fixed = match pinned.remove(&(oid, size)) {
            // Pinned while merge-tree ran.
            Some(fixed) => {
                for f in &fixed.unfixable {
                    errln!("poolmerge: {path}:{}: {}", f.line, f.message);
                }
                (fixed.content != repo::read_blob(repo, oid)?).then_some(fixed)
            }
            None => crate::commands::pinned_blob(repo, &path, oid, profile, &attrs)?,
        };
        if let Some(fixed) = fixed {
            let what: Vec<&str> = fixed.changed.iter().map(|f| f.message.as_str()).collect();
            errln!("poolmerge: pinned {path} ({})", what.join("; "));
            update.upsert(path.as_str(), repo.blob(&fixed.content)?, mode);
            any = true;
        }
    }
    if !any {
        return Ok(tree);
    }
    Ok(update.create_updated(repo, &after)?)
}

/// The paths whose index entry differs from HEAD's: read in-process where libgit2 reads
/// the index, else by `git diff-index --cached` (a sparse or split index, or an index
/// file git named).
fn staged_changes(repo: &Repository, head: &git2::Tree) -> Result<Vec<String>> {
    if std::env::var_os("GIT_INDEX_FILE").is_none()
        && let Ok(index) = repo.index()
        && let Ok(diff) = repo.diff_tree_to_index(Some(head), Some(&index), None)
    {
        return Ok(diff
            .deltas()
            .filter_map(|d| {
                d.new_file()
                    .path()
                    .or_else(|| d.old_file().path())
                    .and_then(Path::to_str)
                    .map(String::from)
            })
            .collect());
    }
    let (_, out) = repo::git(
        repo,
        &["diff-index", "--cached", "--name-only", "-z", "HEAD", "--"],
        None,
        &[0],
    )?;
    Ok(split_z(&out))
}

/// Conflicted paths get their stages in the index, as `git merge` leaves them; a path
/// outside a sparse checkout's cone is written to the work tree too.
fn stage_conflicts(repo: &Repository, workdir: &Path, merged: &MergeTree) -> Result<()> {
    let mut input = Vec::new();
    let conflicted = merged.conflicted();
    for path in &conflicted {
        input.extend_from_slice(format!("0 {}\t{path}", "0".repeat(40)).as_bytes());
        input.push(0);
    }
    for (mode, oid, stage, path) in &merged.stages {
        input.extend_from_slice(format!("{mode:o} {oid} {stage}\t{path}").as_bytes());
        input.push(0);
    }
    let tree = repo.find_tree(merged.tree)?;
    for path in &conflicted {
        let file = workdir.join(path);
        if std::fs::symlink_metadata(&file).is_ok() {
            continue;
        }
        // Outside the cone: git merge writes the conflicted file for the user.
        if let Ok(entry) = tree.get_path(Path::new(path))
            && entry.kind() == Some(git2::ObjectType::Blob)
        {
            let (_, bytes, _) = git_full(
                repo,
                &["cat-file", "--filters", &format!("{}:{path}", merged.tree)],
                None,
            )?;
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir)?;
            }
            crate::fsutil::atomic_write(&file, &bytes)
                .with_context(|| format!("cannot write {path}"))?;
        }
    }
    repo::index::write_info(repo, &input).context("cannot stage the conflicts")
}

/// git, with its status, standard output and standard error.
fn git_full(
    repo: &Repository,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<(i32, Vec<u8>, Vec<u8>)> {
    let out = repo::git_output(repo, args, input)?;
    Ok((out.status.code().unwrap_or(-1), out.stdout, out.stderr))
}

/// `git read-tree`'s refusals in the words `git merge` uses for them.
fn porcelain(err: &[u8]) -> String {
    let text = String::from_utf8_lossy(err);
    let (mut local, mut untracked, mut other) = (Vec::new(), Vec::new(), Vec::new());
    for line in text.lines() {
        if let Some(path) = line
            .strip_prefix("error: Entry '")
            .and_then(|l| l.strip_suffix("' not uptodate. Cannot merge."))
        {
            local.push(path.to_string());
        } else if let Some(path) = line
            .strip_prefix("error: Untracked working tree file '")
            .and_then(|l| l.strip_suffix("' would be overwritten by merge."))
        {
            untracked.push(path.to_string());
        } else {
            other.push(line.to_string());
        }
    }
    let mut out = String::new();
    if !local.is_empty() {
        out.push_str(&format!(
            "error: Your local changes to the following files would be overwritten by merge:\n\t{}\nPlease commit your changes or stash them before you merge.\n",
            local.join("\n\t")
        ));
    }
    if !untracked.is_empty() {
        out.push_str(&format!(
            "error: The following untracked working tree files would be overwritten by merge:\n\t{}\nPlease move or remove them before you merge.\n",
            untracked.join("\n\t")
        ));
    }
    if !local.is_empty() || !untracked.is_empty() {
        out.push_str("Aborting\n");
    }
    for line in other {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(s: &str) -> Vec<String> {
        s.split(' ').map(String::from).collect()
    }

    #[test]
    fn git_s_arguments_are_read() {
        let call = parse(&args("--patience --find-renames=40 b1 b2 -- HEAD r")).unwrap();
        assert_eq!(call.options, ["patience", "find-renames=40"]);
        assert_eq!(call.bases, ["b1", "b2"]);
        assert_eq!(call.remote, "r");
        assert!(parse(&args("b -- HEAD r1 r2")).is_err());
        assert!(parse(&args("b HEAD r")).is_err());
        assert!(parse(&args("-- HEAD r")).unwrap().bases.is_empty());
    }

    #[test]
    fn only_marker_lines_naming_an_id_are_relabelled() {
        let id = "d53a39681702c4bb4f2908dea3fc0364d0283afd".to_string();
        let labels = [(id.clone(), "d53a396 (up)".to_string())];
        let text = format!(">>>>>>> {id}\n>>>>>>> {id}:a.py\n>>> {id}\nx {id}\n>>>>>>> {id}0\n");
        let out = String::from_utf8(relabel_text(text.as_bytes(), &labels)).unwrap();
        assert_eq!(
            out,
            format!(
                ">>>>>>> d53a396 (up)\n>>>>>>> d53a396 (up):a.py\n>>> {id}\nx {id}\n>>>>>>> {id}0\n"
            )
        );
    }

    #[test]
    fn read_tree_refusals_read_as_git_merge_s() {
        let text = porcelain(b"error: Entry 'a.py' not uptodate. Cannot merge.\n");
        assert!(text.starts_with("error: Your local changes to the following files would be overwritten by merge:\n\ta.py\n"));
        assert!(text.ends_with("Aborting\n"));
    }
}
