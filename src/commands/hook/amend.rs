//! Amending what git committed: each owned file pinned in the new commit, the commit
//! replaced by one like it (message, author, parents), and the index and work tree
//! following where they held git's version.

use super::*;

/// Says, in one line, which owned files changed since `before` arrive without the pin
/// in a commit poolmerge does not rewrite, and why.
pub(super) fn say_unpinned(
    repo: &Repository,
    before: &Tree,
    head: &Commit,
    why: &str,
) -> Result<()> {
    let needed = pinned_versions(repo, before, &head.tree()?)?.files;
    if !needed.is_empty() {
        let paths: Vec<&str> = needed.iter().map(|p| p.path.as_str()).collect();
        errln!(
            "poolmerge: {} arrived without the pin; {why}: run poolmerge fix and commit",
            paths.join(", ")
        );
    }
    Ok(())
}

/// An owned file of a commit that needs the pin: its old and pinned blobs.
pub(super) struct Pinned {
    pub(super) path: String,
    pub(super) mode: i32,
    pub(super) old: Oid,
    pub(super) new: Vec<u8>,
    pub(super) what: Vec<String>,
}

/// The owned files of a change that need the pin, with what was read to decide it.
#[derive(Default)]
pub(super) struct Pinning {
    pub(super) files: Vec<Pinned>,
    pub(super) attrs: repo::Attributes,
    pub(super) pins: Vec<crate::policy::Pin>,
}

/// The owned files that differ between `before` and `after` (added or changed) and
/// do not carry the pin, with their pinned content.
pub(super) fn pinned_versions(repo: &Repository, before: &Tree, after: &Tree) -> Result<Pinning> {
    let changed: Vec<(String, i32, Oid)> = crate::commands::changed_files(repo, before, after)?
        .into_iter()
        .map(|(path, mode, oid)| (path, i32::from(mode), oid))
        .collect();
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
        if let Some(fixed) = crate::commands::pinned_blob(repo, &path, oid, &profile, &attrs)? {
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
pub(super) fn replace_pinned(
    repo: &Repository,
    head: &Commit,
    before: &Tree,
    what: &str,
) -> Result<()> {
    pin_head(repo, head, before, what, Place::Replace)
}

/// Where the pinned tree goes: in place of HEAD, or in a commit of its own on top.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Place {
    Replace,
    OnTop,
}

/// Pins the owned files that changed since `before` in HEAD's tree: `Place::Replace`
/// replaces `head` by the same commit with that tree; `Place::OnTop` commits it on top
/// of `head`, as the user, with a message saying what was pinned and why.
pub(super) fn pin_head(
    repo: &Repository,
    head: &Commit,
    before: &Tree,
    what: &str,
    place: Place,
) -> Result<()> {
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
    let paths: Vec<&str> = pinned.iter().map(|p| p.path.as_str()).collect();
    let new = match place {
        Place::Replace => commit_like(repo, head, tree)?,
        Place::OnTop => commit_on_top(
            repo,
            head,
            tree,
            &format!(
                "poolmerge: pin {}\n\n{what} brought {} without the pin, in commits it does not\nreplay; the pin poolmerge's profile sets is applied here.\n",
                paths.join(", "),
                if paths.len() == 1 {
                    "this module"
                } else {
                    "these modules"
                }
            ),
        )?,
    };
    // The work tree and the index first, so that once HEAD moves everything agrees.
    follow_in_index_and_worktree(repo, &pinning, &blobs)?;
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
    let where_ = match place {
        Place::Replace => format!("in {what}"),
        Place::OnTop => format!("in a commit on top of {what}"),
    };
    for p in pinned {
        errln!(
            "poolmerge: pinned {} {where_} ({})",
            p.path,
            p.what.join("; ")
        );
    }
    // The audit trail: the rewrite in the decision log, beside the driver's decisions.
    let time = crate::report::now();
    let lines: Vec<String> = pinned
        .iter()
        .map(|p| {
            crate::report::rewrite_json(
                &p.path,
                what,
                &p.what,
                &head.id().to_string(),
                &new.to_string(),
                time,
            )
        })
        .collect();
    if let Err(e) = crate::report::append_log(&repo::log_path(repo), &lines) {
        errln!(
            "poolmerge: cannot append to {}: {e}",
            repo::log_path(repo).display()
        );
    }
    match place {
        Place::Replace => errln!(
            "poolmerge: HEAD is now {} ({what} with the pin; it was {})",
            short(new),
            short(head.id())
        ),
        Place::OnTop => errln!(
            "poolmerge: HEAD is now {} (the pin, on top of {})",
            short(new),
            short(head.id())
        ),
    }
    Ok(())
}

/// A commit of `tree` whose parent is `head`, made by the user now, with `message`:
/// `git commit-tree`, signed where the user signs.
fn commit_on_top(repo: &Repository, head: &Commit, tree: Oid, message: &str) -> Result<Oid> {
    let mut args = vec![
        "commit-tree".to_string(),
        tree.to_string(),
        "-p".into(),
        head.id().to_string(),
    ];
    if signs(repo) {
        args.push("-S".into());
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, out) =
        repo::git(repo, &args, Some(message.as_bytes()), &[0]).context("git commit-tree failed")?;
    Ok(Oid::from_str(String::from_utf8_lossy(&out).trim())?)
}

/// Whether the user signs commits (`commit.gpgSign`), which `git commit-tree` does not
/// read.
fn signs(repo: &Repository) -> bool {
    repo::config_bool(Some(repo), "commit.gpgSign")
}

pub(super) fn short(oid: Oid) -> String {
    oid.to_string()[..10].to_string()
}

/// A commit with `commit`'s parents, message, author and committer, and another tree,
/// made by `git commit-tree` (so that the user's signing configuration applies).
pub(super) fn commit_like(repo: &Repository, commit: &Commit, tree: Oid) -> Result<Oid> {
    let mut args = vec!["commit-tree".to_string(), tree.to_string()];
    // commit-tree does not read commit.gpgSign: a user who signs gets a signed commit.
    if signs(repo) {
        args.push("-S".into());
    }
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
        // The bytes git wrote (a name in the commit's own encoding stays as it is).
        cmd.env(format!("GIT_{prefix}_NAME"), raw(sig.name_bytes()))
            .env(format!("GIT_{prefix}_EMAIL"), raw(sig.email_bytes()))
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

/// Bytes as an environment value: as they are where the platform allows it.
fn raw(bytes: &[u8]) -> std::ffi::OsString {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        std::ffi::OsStr::from_bytes(bytes).to_os_string()
    }
    #[cfg(not(unix))]
    {
        String::from_utf8_lossy(bytes).into_owned().into()
    }
}

/// The index entries and work-tree files of pinned paths follow the new commit: an
/// entry that held the old blob takes the new one; a work-tree file that held the old
/// content takes the new one (with the repository's end-of-line conversion), one the
/// user changed gets the pin applied to it.
pub(super) fn follow_in_index_and_worktree(
    repo: &Repository,
    pinning: &Pinning,
    blobs: &[Oid],
) -> Result<()> {
    let workdir = repo.workdir().ok_or_else(|| anyhow!("no work tree"))?;
    let (pinned, attrs) = (&pinning.files, &pinning.attrs);
    let paths: Vec<String> = pinned.iter().map(|p| p.path.clone()).collect();
    let eol = repo::EolConfig::read(repo);
    for p in pinned {
        let Ok(Some(text)) = read_worktree_file(workdir, &p.path) else {
            // Outside a sparse checkout, or removed: nothing to write.
            continue;
        };
        let old = repo::read_blob(repo, p.old)?;
        let new = if text == eol.to_worktree(&old, attrs, &p.path) {
            eol.to_worktree(&p.new, attrs, &p.path)
        } else {
            check::fix_all(&text, &pinning.pins, repo::marker_size(attrs, &p.path)).content
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
pub(super) fn align_index_with_commit(repo: &Repository, head: &Commit) -> Result<()> {
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
        let staged = repo::read_blob(repo, e.oid)?;
        let pinned = check::fix_all(&staged, &profile.pins, repo::marker_size(&attrs, &e.path));
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
