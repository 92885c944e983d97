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

use crate::commands::{owned, profile};
use crate::exit::Status;
use crate::fsutil::{atomic_write, read_worktree_file};
use crate::merge::fix;
use crate::repo::{self, index};

/// The configuration key `install --hooks` sets in a repository whose hooks act.
pub const ENABLED_KEY: &str = "poolmerge.hooks";

/// Runs `poolmerge hook NAME ARGS`. Only `pre-commit` can fail (and so block a
/// commit), and only when it cannot pin an owned file the commit stages.
pub fn run(name: &str, args: &[String]) -> Result<Status> {
    if crate::commands::merge::disabled_by_env() {
        return Ok(Status::Clean);
    }
    let repo = match repo::open() {
        Ok(r) => r,
        // Nothing can be known of what is staged: say so, and let git go on.
        Err(e) => {
            eprintln!("poolmerge: {name}: {e:#}; nothing was pinned");
            return Ok(Status::Clean);
        }
    };
    // The pre-commit framework (PRE_COMMIT=1) runs hooks it was configured with, and
    // passes git's arguments in its own variables.
    let framework = std::env::var_os("PRE_COMMIT").is_some_and(|v| v == "1");
    if !(enabled(&repo) || framework) || repo.is_bare() {
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
        eprintln!(
            "poolmerge: {name}: {e:#}; pin by hand: poolmerge fix, then commit (git commit --amend to fold it in)"
        );
    }
    Ok(Status::Clean)
}

/// Whether the hooks act in this repository (`install --hooks` sets the key).
pub fn enabled(repo: &Repository) -> bool {
    repo::config_string(Some(repo), ENABLED_KEY)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"))
}

fn pre_commit(repo: &Repository) -> Result<Status> {
    if git_file(repo, "sequencer/todo").exists()
        && let Some(pid) = enclosing_sequencer()
    {
        // `git cherry-pick --continue` of several picks compares its own copy of the
        // index with HEAD after this commit and stops if a hook changed either: leave
        // this commit alone; the end of the sequence pins what it brought.
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
            eprintln!("poolmerge: pre-commit: the pin could not be written (see above); {bypass}");
            Ok(Status::Conflicts)
        }
        Ok(_) => Ok(Status::Clean),
        Err(e) => {
            eprintln!("poolmerge: pre-commit: cannot pin the staged files: {e:#}; {bypass}");
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

/// Where `pre-commit` notes that a sequencer's `--continue` makes this commit.
const SEQUENCER_MARK: &str = "poolmerge-sequencer";

/// The argument of `hook post-commit` that pins once a process has exited.
const FINISH_AFTER: &str = "--after-process";

/// Starts `poolmerge hook HOOK --after-process PID HEAD`, which pins `head` once
/// `command` (process `pid`) has exited: git's sequencer and `git am --continue`
/// compare their own copy of the index with HEAD after the hook and stop if it moved.
fn finish_later(
    repo: &Repository,
    hook: &str,
    pid: u32,
    head: &Commit,
    command: &str,
) -> Result<()> {
    let before = before_for(repo, hook, head)?;
    if pinned_versions(repo, &before, &head.tree()?)?
        .files
        .is_empty()
    {
        return Ok(());
    }
    let mut cmd = std::process::Command::new(std::env::current_exe()?);
    // Not git's stderr: whoever reads it waits for every writer to close it. The
    // terminal, if there is one, hears how it went.
    let tty = std::fs::OpenOptions::new().write(true).open("/dev/tty");
    cmd.args([
        "hook",
        hook,
        FINISH_AFTER,
        &pid.to_string(),
        &head.id().to_string(),
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(tty.map_or_else(|_| Stdio::null(), Stdio::from));
    #[cfg(unix)]
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    cmd.spawn()
        .with_context(|| format!("cannot start the pin after {command}"))?;
    eprintln!("poolmerge: the commit is pinned as soon as {command} has finished");
    Ok(())
}

/// What the commits a cherry-pick sequence or `git am` made started from.
fn before_for<'r>(repo: &'r Repository, hook: &str, head: &Commit<'r>) -> Result<Tree<'r>> {
    let start = if hook == "post-applypatch" {
        oids_in(repo, "ORIG_HEAD").first().copied()
    } else {
        cherry_pick_start(repo)
    };
    Ok(match start {
        Some(oid) => repo.find_commit(oid)?.tree()?,
        None => head.parent(0)?.tree()?,
    })
}

/// Waits for process `pid` to finish, then pins `head` if HEAD is still that commit
/// and no operation is in progress.
fn finish_after(repo: &Repository, hook: &str, pid: u32, head: Oid) -> Result<()> {
    let start = std::time::Instant::now();
    while process_info(pid).is_some() {
        if start.elapsed() > std::time::Duration::from_secs(600) {
            bail!("the git command did not finish");
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    let now = repo.head()?.peel_to_commit()?;
    let busy = [
        "sequencer",
        "CHERRY_PICK_HEAD",
        "REVERT_HEAD",
        "MERGE_HEAD",
        "rebase-apply",
        "rebase-merge",
    ]
    .iter()
    .any(|f| git_file(repo, f).exists());
    if now.id() != head || busy {
        bail!("HEAD moved on; it is not rewritten");
    }
    let before = before_for(repo, hook, &now)?;
    let what = if hook == "post-applypatch" {
        "the applied commit"
    } else {
        "the cherry-picked commit"
    };
    replace_pinned(repo, &now, &before, what)
}

/// The `git cherry-pick` or `git revert` process this hook runs under (through the
/// `git commit` its `--continue` starts), if any.
fn enclosing_sequencer() -> Option<u32> {
    enclosing_git(&["cherry-pick", "revert"], false)
}

/// The git process running one of `commands` (with `--continue` or `--resolved`, when
/// `resuming`) that this hook runs under, if any.
fn enclosing_git(commands: &[&str], resuming: bool) -> Option<u32> {
    #[cfg(unix)]
    let mut pid = std::os::unix::process::parent_id();
    #[cfg(not(unix))]
    let mut pid = 0;
    for _ in 0..6 {
        if pid <= 1 {
            return None;
        }
        let (ppid, args) = process_info(pid)?;
        let git = args
            .first()
            .and_then(|a| Path::new(a).file_name())
            .is_some_and(|n| n.to_string_lossy().starts_with("git"));
        let resumed = args
            .iter()
            .any(|a| matches!(a.as_str(), "--continue" | "--resolved" | "-r"));
        if git && args.iter().any(|a| commands.contains(&a.as_str())) && (resumed || !resuming) {
            return Some(pid);
        }
        pid = ppid;
    }
    None
}

/// A running process's parent and arguments: from /proc, else from `ps`.
fn process_info(pid: u32) -> Option<(u32, Vec<String>)> {
    let proc_dir = PathBuf::from(format!("/proc/{pid}"));
    if let (Ok(stat), Ok(cmdline)) = (
        std::fs::read_to_string(proc_dir.join("stat")),
        std::fs::read(proc_dir.join("cmdline")),
    ) {
        // `pid (comm) state ppid ...`; comm may hold spaces and parentheses. A zombie
        // has exited.
        let after = &stat[stat.rfind(')')? + 1..];
        let mut fields = after.split_whitespace();
        if fields.next()? == "Z" {
            return None;
        }
        let ppid = fields.next()?.parse().ok()?;
        let args = cmdline
            .split(|&b| b == 0)
            .filter(|a| !a.is_empty())
            .map(|a| String::from_utf8_lossy(a).into_owned())
            .collect();
        return Some((ppid, args));
    }
    if Path::new("/proc/self").exists() {
        return None;
    }
    let out = std::process::Command::new("ps")
        .args(["-o", "ppid=", "-o", "args=", "-p", &pid.to_string()])
        .stdin(Stdio::null())
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut words = text.split_whitespace();
    let ppid = words.next()?.parse().ok()?;
    Some((ppid, words.map(str::to_string).collect()))
}

/// Where the picks that made HEAD started: back through HEAD's reflog over the
/// unbroken run of cherry-pick entries (a `git cherry-pick --continue` on the last
/// pick has removed the sequencer's state by now).
fn cherry_pick_start(repo: &Repository) -> Option<Oid> {
    let log = repo.reflog("HEAD").ok()?;
    let mut start = None;
    let mut expect: Option<Oid> = None;
    for entry in log.iter() {
        let message = String::from_utf8_lossy(entry.message_bytes().unwrap_or_default());
        let action = message.split(':').next().unwrap_or_default();
        if !action.contains("cherry-pick") || expect.is_some_and(|e| e != entry.id_new()) {
            break;
        }
        start = Some(entry.id_old());
        expect = Some(entry.id_old());
    }
    start.filter(|o| !o.is_zero())
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
    replace_pinned(repo, &head, &before, "the rebased tip")
}

/// Says, in one line, which owned files changed since `before` arrive without the pin
/// in a commit poolmerge does not rewrite, and why.
fn say_unpinned(repo: &Repository, before: &Tree, head: &Commit, why: &str) -> Result<()> {
    let needed = pinned_versions(repo, before, &head.tree()?)?.files;
    if !needed.is_empty() {
        let paths: Vec<&str> = needed.iter().map(|p| p.path.as_str()).collect();
        eprintln!(
            "poolmerge: {} arrived without the pin; {why}: run poolmerge fix and commit",
            paths.join(", ")
        );
    }
    Ok(())
}

/// An owned file of a commit that needs the pin: its old and pinned blobs.
struct Pinned {
    path: String,
    mode: i32,
    old: Oid,
    new: Vec<u8>,
    what: Vec<String>,
}

/// The owned files of a change that need the pin, with what was read to decide it.
#[derive(Default)]
struct Pinning {
    files: Vec<Pinned>,
    attrs: repo::Attributes,
    pins: Vec<crate::merge::pin::Pin>,
}

/// The owned files that differ between `before` and `after` (added or changed) and
/// do not carry the pin, with their pinned content.
fn pinned_versions(repo: &Repository, before: &Tree, after: &Tree) -> Result<Pinning> {
    let diff = repo.diff_tree_to_tree(Some(before), Some(after), None)?;
    let mut changed: Vec<(String, i32, Oid)> = Vec::new();
    for delta in diff.deltas() {
        let file = delta.new_file();
        let mode = i32::from(file.mode());
        if file.id().is_zero()
            || !matches!(
                file.mode(),
                git2::FileMode::Blob | git2::FileMode::BlobExecutable
            )
        {
            continue;
        }
        if let Some(path) = file.path().and_then(Path::to_str) {
            changed.push((path.to_string(), mode, file.id()));
        }
    }
    if changed.is_empty() {
        return Ok(Pinning::default());
    }
    let paths: Vec<String> = changed.iter().map(|(p, _, _)| p.clone()).collect();
    let attrs = repo::attributes(repo, &paths, repo::FILE_ATTRS, None)?;
    let profile = profile(repo)?;
    let mut out = Vec::new();
    for (path, mode, oid) in changed {
        if !owned(&profile, &attrs, &path) {
            continue;
        }
        let blob = repo.find_blob(oid)?.content().to_vec();
        let fixed = fix::fix_all(&blob, &profile.pins, repo::marker_size(&attrs, &path));
        for f in &fixed.unfixable {
            eprintln!("poolmerge: {path}:{}: {}", f.line, f.message);
        }
        if fixed.content != blob {
            out.push(Pinned {
                path,
                mode,
                old: oid,
                new: fixed.content,
                what: fixed.changed.into_iter().map(|f| f.message).collect(),
            });
        }
    }
    Ok(Pinning {
        files: out,
        attrs,
        pins: profile.pins,
    })
}

/// Replaces `head` (a commit the running command created) by the same commit with
/// its owned files pinned, where they changed since `before`; then the index and the
/// work tree follow.
fn replace_pinned(repo: &Repository, head: &Commit, before: &Tree, what: &str) -> Result<()> {
    let pinning = pinned_versions(repo, before, &head.tree()?)?;
    let pinned = &pinning.files;
    if pinned.is_empty() {
        return Ok(());
    }
    let mut update = git2::build::TreeUpdateBuilder::new();
    let mut blobs = Vec::new();
    for p in pinned {
        let oid = repo.blob(&p.new)?;
        let mode = if p.mode == i32::from(git2::FileMode::BlobExecutable) {
            git2::FileMode::BlobExecutable
        } else {
            git2::FileMode::Blob
        };
        update.upsert(p.path.as_str(), oid, mode);
        blobs.push(oid);
    }
    let tree = update.create_updated(repo, &head.tree()?)?;
    let new = commit_like(repo, head, tree)?;
    // The work tree and the index first, so that once HEAD moves everything agrees.
    follow_in_index_and_worktree(repo, &pinning, &blobs)?;
    let paths: Vec<&str> = pinned.iter().map(|p| p.path.as_str()).collect();
    repo::git(
        repo,
        &[
            "update-ref",
            "-m",
            &format!("poolmerge: pin {}", paths.join(", ")),
            "HEAD",
            &new.to_string(),
            &head.id().to_string(),
        ],
        None,
        &[0],
    )
    .context("cannot update HEAD")?;
    for p in pinned {
        eprintln!(
            "poolmerge: pinned {} in {what} ({})",
            p.path,
            p.what.join("; ")
        );
    }
    eprintln!(
        "poolmerge: HEAD is now {} ({what} with the pin; it was {})",
        short(new),
        short(head.id())
    );
    Ok(())
}

fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

/// A commit with `commit`'s parents, message, author and committer, and another tree,
/// made by `git commit-tree` (so that the user's signing configuration applies).
fn commit_like(repo: &Repository, commit: &Commit, tree: Oid) -> Result<Oid> {
    let mut args = vec!["commit-tree".to_string(), tree.to_string()];
    for p in commit.parent_ids() {
        args.push("-p".into());
        args.push(p.to_string());
    }
    let mut cmd = repo::git_command(repo);
    cmd.args(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (prefix, sig) in [
        ("AUTHOR", commit.author()),
        ("COMMITTER", commit.committer()),
    ] {
        let when = sig.when();
        let offset = when.offset_minutes();
        cmd.env(
            format!("GIT_{prefix}_NAME"),
            String::from_utf8_lossy(sig.name_bytes()).into_owned(),
        )
        .env(
            format!("GIT_{prefix}_EMAIL"),
            String::from_utf8_lossy(sig.email_bytes()).into_owned(),
        )
        .env(
            format!("GIT_{prefix}_DATE"),
            format!(
                "@{} {}{:02}{:02}",
                when.seconds(),
                if offset < 0 { '-' } else { '+' },
                offset.abs() / 60,
                offset.abs() % 60
            ),
        );
    }
    let mut child = cmd.spawn().context("cannot run git commit-tree")?;
    child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(commit.message_raw_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!(
            "git commit-tree failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok(Oid::from_str(String::from_utf8_lossy(&out.stdout).trim())?)
}

/// The index entries and work-tree files of pinned paths follow the new commit: an
/// entry that held the old blob takes the new one; a work-tree file that held the old
/// content takes the new one (with the repository's end-of-line conversion), one the
/// user changed gets the pin applied to it.
fn follow_in_index_and_worktree(repo: &Repository, pinning: &Pinning, blobs: &[Oid]) -> Result<()> {
    let workdir = repo.workdir().ok_or_else(|| anyhow!("no work tree"))?;
    let (pinned, attrs) = (&pinning.files, &pinning.attrs);
    let paths: Vec<String> = pinned.iter().map(|p| p.path.clone()).collect();
    let eol = repo::EolConfig::read(repo);
    for p in pinned {
        let Ok(Some(text)) = read_worktree_file(workdir, &p.path) else {
            // Outside a sparse checkout, or removed: nothing to write.
            continue;
        };
        let old = repo.find_blob(p.old)?.content().to_vec();
        let new = if text == eol.to_worktree(&old, attrs, &p.path) {
            eol.to_worktree(&p.new, attrs, &p.path)
        } else {
            fix::fix_all(&text, &pinning.pins, repo::marker_size(attrs, &p.path)).content
        };
        if new != text {
            atomic_write(&workdir.join(&p.path), &new)
                .with_context(|| format!("cannot write {}", p.path))?;
        }
    }
    let current = index::entries_of(repo, &paths)?;
    let mut updates = Vec::new();
    for (p, blob) in pinned.iter().zip(blobs) {
        let held_old = current
            .iter()
            .any(|e| e.path == p.path && e.stage == 0 && e.oid == p.old);
        if held_old {
            updates.push((p.mode as u32, *blob, p.path.as_str()));
        }
    }
    index::set(repo, &updates)
}

/// After `git commit <path>`, git commits a temporary index (which pre-commit pinned)
/// and then writes the real one as it had staged it, unpinned: an owned entry whose
/// pinned content is exactly HEAD's takes HEAD's blob.
fn align_index_with_commit(repo: &Repository, head: &Commit) -> Result<()> {
    let changed = index::staged_changes(repo)?;
    if changed.is_empty() {
        return Ok(());
    }
    let attrs = repo::attributes(repo, &changed, repo::FILE_ATTRS, None)?;
    let Ok(profile) = profile(repo) else {
        return Ok(());
    };
    let owned_changed: Vec<String> = changed
        .into_iter()
        .filter(|p| owned(&profile, &attrs, p))
        .collect();
    let tree = head.tree()?;
    let mut updates = Vec::new();
    for e in index::entries_of(repo, &owned_changed)? {
        if e.stage != 0 || !e.is_file() {
            continue;
        }
        let Ok(committed) = tree.get_path(Path::new(&e.path)) else {
            continue;
        };
        let staged = repo.find_blob(e.oid)?.content().to_vec();
        let pinned = fix::fix_all(&staged, &profile.pins, repo::marker_size(&attrs, &e.path));
        let head_blob = repo.find_blob(committed.id())?;
        if pinned.content != staged && pinned.content == head_blob.content() {
            updates.push((e.mode, committed.id(), e.path));
        }
    }
    let updates: Vec<(u32, Oid, &str)> = updates
        .iter()
        .map(|(m, o, p)| (*m, *o, p.as_str()))
        .collect();
    index::set(repo, &updates)
}
