//! Finishing after git: during a rebase, cherry-pick or am sequence the hooks run
//! before git has written what they must amend, so the work waits in a detached
//! process until the git command that started it has exited.

use super::*;

/// Where `pre-commit` notes that a sequencer's `--continue` makes this commit.
pub(super) const SEQUENCER_MARK: &str = "poolmerge-sequencer";

/// The argument of `hook post-commit` that pins once a process has exited.
pub(super) const FINISH_AFTER: &str = "--after-process";

/// Starts `poolmerge hook HOOK --after-process PID HEAD`, which pins `head` once
/// `command` (process `pid`) has exited: git's sequencer and `git am --continue`
/// compare their own copy of the index with HEAD after the hook and stop if it moved.
pub(super) fn finish_later(
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
    errln!("poolmerge: the commit is pinned as soon as {command} has finished");
    Ok(())
}

/// What the commits a cherry-pick sequence or `git am` made started from.
pub(super) fn before_for<'r>(
    repo: &'r Repository,
    hook: &str,
    head: &Commit<'r>,
) -> Result<Tree<'r>> {
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
pub(super) fn finish_after(repo: &Repository, hook: &str, pid: u32, head: Oid) -> Result<()> {
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
pub(super) fn enclosing_sequencer() -> Option<u32> {
    enclosing_git(&["cherry-pick", "revert"], false)
}

/// The git process running one of `commands` (with `--continue` or `--resolved`, when
/// `resuming`) that this hook runs under, if any.
pub(super) fn enclosing_git(commands: &[&str], resuming: bool) -> Option<u32> {
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
pub(super) fn process_info(pid: u32) -> Option<(u32, Vec<String>)> {
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
pub(super) fn cherry_pick_start(repo: &Repository) -> Option<Oid> {
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
