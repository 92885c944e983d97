//! The hooks poolmerge installs: its block in each hook file (a new file, or beside
//! what is there, in the hook's own language), the hooks directory git uses, and
//! whether they are in place.

use super::*;
use crate::commands::same_file;

/// What poolmerge's block in a hook runs: `poolmerge hook NAME` with git's arguments.
/// Only pre-commit may stop git (when it cannot pin an owned file it stages).
/// A binary that is gone never blocks a commit: the hook says so and lets git go on.
///
/// `portable` (a hooks directory inside the work tree, which a team commits, as
/// husky's): the hook runs the `poolmerge` on PATH, so that no one's own path to the
/// binary is committed.
pub(super) fn hook_body(hook: &str, exe: &Path, portable: bool) -> String {
    // What runs poolmerge, the test that it is there, and how it is named in messages.
    let (exe, present, shown, gone) = if portable {
        (
            "poolmerge".to_string(),
            "command -v poolmerge >/dev/null 2>&1".to_string(),
            "the poolmerge on PATH".to_string(),
            format!("poolmerge: no poolmerge on PATH, so its {hook} hook does nothing"),
        )
    } else {
        let shown = sh_path(exe);
        let quoted = shell_quote(&shown);
        (
            quoted.clone(),
            format!("[ -x {quoted} ]"),
            shown.clone(),
            format!(
                "poolmerge: {shown} is gone, so its {hook} hook does nothing (poolmerge install --hooks puts it back)"
            ),
        )
    };
    // Only pre-commit's own refusal (status 1) stops git; a binary that cannot serve
    // the hook (an older one without it, status 2 and up) says so in one line.
    let cannot = shell_quote(&format!(
        "poolmerge: {shown} could not run its {hook} hook (an older poolmerge? poolmerge install --hooks with this one)"
    ));
    let run = if hook == "pre-commit" {
        // `|| status=$?`: a shell run with -e (husky's) does not stop at the status.
        format!(
            "status=0\n    {exe} hook {hook} \"$@\" || status=$?\n    [ $status -eq 1 ] && exit 1\n    [ $status -eq 0 ] || echo {cannot} >&2"
        )
    } else {
        format!("{exe} hook {hook} \"$@\" || echo {cannot} >&2")
    };
    format!(
        "{}if {present}; then\n    {run}\nelse\n    echo {} >&2\nfi\n",
        made_by_strategy(hook),
        shell_quote(&gone)
    )
}

/// For post-merge: a merge poolmerge's strategy made has nothing left to pin; the
/// shell sees that from the files the strategy and git left (no process started).
fn made_by_strategy(hook: &str) -> String {
    if hook != "post-merge" {
        return String::new();
    }
    let mark = crate::commands::strategy::MARK;
    format!(
        "if {{ read merged < .git/MERGE_HEAD && read pinned < .git/{mark}; }} 2>/dev/null && [ \"$merged\" = \"$pinned\" ]; then\n    : > .git/{mark}\nel"
    )
}

/// Whether a hook's text runs `poolmerge hook HOOK`: poolmerge's block, or the lines
/// [`foreign_hook_body`] gives for a Python hook.
pub(super) fn chains(text: &str, hook: &str) -> bool {
    (text.contains(BLOCK_START) && text.contains(&format!(" hook {hook} ")))
        || text.contains(&format!("\"hook\", {hook:?}"))
}

/// What to add to an existing hook that is not a shell script: Python lines for a
/// Python hook, else the command to run and what its status means.
pub(super) fn foreign_hook_body(text: &str, hook: &str, exe: &Path) -> String {
    let first = text.lines().next().unwrap_or_default();
    let shown = sh_path(exe);
    let stop = hook == "pre-commit";
    if first.starts_with("#!") && first.contains("python") {
        let call = format!("subprocess.call([{shown:?}, \"hook\", {hook:?}, *sys.argv[1:]])");
        let run = if stop {
            format!("    status = {call}\n    if status == 1:\n        sys.exit(1)\n")
        } else {
            format!("    {call}\n")
        };
        return format!("import os, subprocess, sys\nif os.access({shown:?}, os.X_OK):\n{run}");
    }
    let then = if stop {
        "; stop the commit when it exits 1 (any other status: it could not run)"
    } else {
        "; its status does not matter"
    };
    format!("run {shown} hook {hook} with the hook's own arguments{then}\n")
}

/// The hooks `install --hooks` writes: pre-commit pins what a commit stages; the
/// others finish what `git merge`, `git cherry-pick`, `git am` and `git rebase` made
/// (see `commands::hook`).
pub(crate) const HOOKS: &[&str] = &[
    "pre-commit",
    "post-merge",
    "post-commit",
    "post-applypatch",
    "post-rewrite",
];

/// Hooks earlier versions wrote and `install`/`uninstall` remove poolmerge's block from.
pub(super) const RETIRED_HOOKS: &[&str] = &["pre-merge-commit"];

pub(super) const BLOCK_START: &str =
    "# >>> poolmerge: installed by `poolmerge install --hooks`, removed by `poolmerge uninstall`";
pub(super) const BLOCK_END: &str = "# <<< poolmerge";
pub(super) const NEW_HOOK: &str = "#!/bin/sh\n";

/// Where git runs this repository's hooks, and whether that directory is shared with
/// other repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct HooksDir {
    /// The directory, as git resolves it here (`git rev-parse --git-path hooks`).
    pub path: PathBuf,
    /// Where `core.hooksPath` is set (`global`, `system`, `local`, `worktree`,
    /// `command`), if it is.
    pub scope: Option<String>,
    /// `core.hooksPath` as written, if set.
    pub configured: Option<String>,
}

impl HooksDir {
    /// Whether other repositories run the hooks in this directory too: a
    /// `core.hooksPath` from the user's or the system's configuration.
    pub(crate) fn shared(&self) -> bool {
        matches!(self.scope.as_deref(), Some("global" | "system"))
    }

    /// Whether `core.hooksPath` is relative: each work tree then has its own directory.
    pub(crate) fn per_worktree(&self) -> bool {
        self.configured
            .as_deref()
            .is_some_and(|p| !Path::new(p).is_absolute() && !p.starts_with('~'))
    }
}

/// Where git looks for hooks here: `core.hooksPath` (a relative one from the work
/// tree's root), else the repository's `hooks`.
pub(crate) fn hooks_dir(repo: &Repository) -> Result<HooksDir> {
    let (_, path) = repo::git(
        repo,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        None,
        &[0],
    )?;
    let path = husky_scripts(PathBuf::from(String::from_utf8_lossy(&path).trim_end()));
    let (code, out) = repo::git(
        repo,
        &["config", "--show-scope", "--get", "core.hooksPath"],
        None,
        &[0, 1],
    )?;
    let out = String::from_utf8_lossy(&out);
    let (scope, configured) = match (code, out.trim_end().split_once('\t')) {
        (0, Some((scope, value))) => (Some(scope.to_string()), Some(value.to_string())),
        _ => (None, None),
    };
    Ok(HooksDir {
        path,
        scope,
        configured,
    })
}

/// Where poolmerge's hooks go when git runs them from `dir`: husky (v9) points
/// `core.hooksPath` at `.husky/_`, which it writes anew on every install and whose
/// scripts run `.husky/<hook>` (with `sh -e`): that file, in the directory above.
fn husky_scripts(dir: PathBuf) -> PathBuf {
    let husky = dir.file_name().is_some_and(|n| n == "_") && dir.join("h").is_file();
    match dir.parent() {
        Some(parent) if husky => parent.to_path_buf(),
        _ => dir,
    }
}

/// The hooks directories of every work tree of the repository: one for all, unless
/// `core.hooksPath` is relative (then each work tree resolves its own).
pub(crate) fn all_hooks_dirs(repo: &Repository) -> Result<Vec<PathBuf>> {
    let here = hooks_dir(repo)?;
    let mut dirs = vec![here.path.clone()];
    if !here.per_worktree() {
        return Ok(dirs);
    }
    let (_, out) = repo::git(repo, &["worktree", "list", "--porcelain", "-z"], None, &[0])?;
    for record in out.split(|&b| b == 0) {
        let Some(path) = record.strip_prefix(b"worktree ") else {
            continue;
        };
        let tree = PathBuf::from(String::from_utf8_lossy(path).into_owned());
        if !tree.is_dir() {
            continue;
        }
        let answer = Command::new("git")
            .current_dir(&tree)
            .env_remove("GIT_DIR")
            .env_remove("GIT_WORK_TREE")
            .env_remove("GIT_INDEX_FILE")
            .args(["rev-parse", "--path-format=absolute", "--git-path", "hooks"])
            .output();
        if let Ok(o) = answer
            && o.status.success()
        {
            let dir = husky_scripts(PathBuf::from(String::from_utf8_lossy(&o.stdout).trim_end()));
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    Ok(dirs)
}

/// Whether poolmerge's current hooks are in `dir`: every hook with a block that runs
/// `poolmerge hook`.
pub(crate) fn hooks_in(dir: &Path) -> bool {
    HOOKS.iter().all(|h| {
        std::fs::read_to_string(dir.join(h)).is_ok_and(|t| chains(&t, h))
            || chained_as_legacy(dir, h)
    })
}

/// Whether the hook is the pre-commit framework's, installed over poolmerge's: the
/// framework moved poolmerge's hook to `<hook>.legacy`, which it runs first.
pub(super) fn chained_as_legacy(dir: &Path, hook: &str) -> bool {
    std::fs::read_to_string(dir.join(hook)).is_ok_and(|t| t.contains(FRAMEWORK_MARK))
        && std::fs::read_to_string(dir.join(format!("{hook}.legacy")))
            .is_ok_and(|t| chains(&t, hook))
}

/// The line the pre-commit framework writes in the hooks it installs.
const FRAMEWORK_MARK: &str = "File generated by pre-commit: https://pre-commit.com";

/// The retired hooks that still hold a block of an earlier poolmerge.
pub(crate) fn retired_hooks_in(dir: &Path) -> Vec<&'static str> {
    RETIRED_HOOKS
        .iter()
        .copied()
        .filter(|h| std::fs::read_to_string(dir.join(h)).is_ok_and(|t| t.contains(BLOCK_START)))
        .collect()
}

/// Whether the installed hooks act here: `poolmerge.hooks` set and the hooks in the
/// directory git runs them from.
pub(crate) fn hooks_active(repo: &Repository) -> bool {
    crate::commands::hook::enabled(repo) && hooks_dir(repo).is_ok_and(|d| hooks_in(&d.path))
}

/// The hook's text without poolmerge's block, and whether it had one.
pub(super) fn strip_block(text: &str) -> (String, bool) {
    let mut out = String::new();
    let mut inside = false;
    let mut found = false;
    for line in text.split_inclusive('\n') {
        let bare = line.trim_end();
        if bare == BLOCK_START {
            inside = true;
            found = true;
            continue;
        }
        if inside {
            if bare == BLOCK_END {
                inside = false;
            }
            continue;
        }
        out.push_str(line);
    }
    (out, found)
}

/// Whether a hook is a shell script that a block can be added to.
pub(super) fn is_shell_script(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    first.starts_with("#!")
        && ["sh", "bash", "dash", "zsh", "ksh"]
            .iter()
            .any(|s| first.ends_with(s) || first.contains(&format!("{s} ")))
}

#[cfg(unix)]
pub(super) fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(path, perms)?;
    Ok(())
}

#[cfg(not(unix))]
pub(super) fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// Installs one hook: a new file, or poolmerge's block added right after the shebang
/// of an existing shell hook. Returns false when it refused.
pub(super) fn install_hook(dir: &Path, hook: &str, exe: &Path, portable: bool) -> Result<bool> {
    let path = dir.join(hook);
    let block = format!(
        "{BLOCK_START}\n{}{BLOCK_END}\n",
        hook_body(hook, exe, portable)
    );
    let (text, message) = match std::fs::read_to_string(&path) {
        Err(_) => (
            format!("{NEW_HOOK}{block}"),
            format!("installed in {}", path.display()),
        ),
        Ok(old) => {
            let (rest, had) = strip_block(&old);
            if !had && chained_as_legacy(dir, hook) {
                outln!(
                    "hook {hook}: runs through the pre-commit framework, from {}.legacy",
                    path.display()
                )?;
                return Ok(true);
            }
            if !is_shell_script(&rest) && chains(&rest, hook) {
                outln!("hook {hook}: chained in {}", path.display())?;
                return Ok(true);
            }
            if !is_shell_script(&rest) {
                outln!(
                    "hook {hook}: {} exists and is not a shell script; left as it is. To chain poolmerge, add:\n{}",
                    path.display(),
                    foreign_hook_body(&rest, hook, exe)
                )?;
                return Ok(false);
            }
            let (shebang, body) = rest.split_once('\n').unwrap_or((&rest, ""));
            let new = format!("{shebang}\n{block}{body}");
            if new == old {
                outln!("hook {hook}: already installed")?;
                return Ok(true);
            }
            let message = if had {
                "updated".to_string()
            } else {
                format!("added to the existing hook {}", path.display())
            };
            (new, message)
        }
    };
    std::fs::create_dir_all(dir)?;
    atomic_write(&path, text.as_bytes())
        .with_context(|| format!("cannot write {}", path.display()))?;
    make_executable(&path)?;
    outln!("hook {hook}: {message}")?;
    Ok(true)
}

pub(super) fn uninstall_hook(dir: &Path, hook: &str) -> Result<()> {
    let path = dir.join(hook);
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let (rest, had) = strip_block(&text);
    if !had {
        return Ok(());
    }
    if rest == NEW_HOOK {
        std::fs::remove_file(&path)?;
        outln!("hook {hook}: removed")?;
    } else {
        atomic_write(&path, rest.as_bytes())?;
        outln!("hook {hook}: poolmerge's part removed, the rest kept")?;
    }
    Ok(())
}

/// Puts the merge strategy `git-merge-poolmerge` beside `exe` (a link to it, or a copy
/// where links cannot be made) and selects it for `git merge` and `git pull` in this
/// repository (`pull.twohead`), when git can find it: on PATH, where git looks for
/// strategies. Returns where it is, or why it is not used.
pub(crate) fn install_strategy(
    repo: &Repository,
    exe: &Path,
) -> Result<std::result::Result<PathBuf, String>> {
    let program = crate::commands::strategy::program();
    // Beside the `poolmerge` PATH finds, when that is this binary (a link to it
    // included), else beside the binary itself.
    let on_path = found_on_path(&format!("poolmerge{}", std::env::consts::EXE_SUFFIX))
        .filter(|p| same_file(p, exe));
    let Some(dir) = on_path
        .as_deref()
        .and_then(Path::parent)
        .or_else(|| exe.parent())
        .map(Path::to_path_buf)
    else {
        return Ok(Err(format!("{} has no directory", exe.display())));
    };
    let target = dir.join(&program);
    if !same_file(&target, exe) {
        let tmp = dir.join(format!(".{program}.{}", std::process::id()));
        let _ = std::fs::remove_file(&tmp);
        #[cfg(unix)]
        let made = std::os::unix::fs::symlink(exe, &tmp);
        #[cfg(not(unix))]
        let made = std::fs::hard_link(exe, &tmp).or_else(|_| std::fs::copy(exe, &tmp).map(|_| ()));
        if let Err(e) = made.and_then(|()| std::fs::rename(&tmp, &target)) {
            let _ = std::fs::remove_file(&tmp);
            return Ok(Err(format!("cannot write {}: {e}", target.display())));
        }
    }
    match found_on_path(&program) {
        Some(found) if same_file(&found, exe) => {}
        Some(found) => {
            return Ok(Err(format!(
                "git would run {} (another poolmerge) as the strategy; put {} first on PATH",
                found.display(),
                dir.display()
            )));
        }
        None => {
            return Ok(Err(format!(
                "{} is not on PATH, where git looks for merge strategies",
                dir.display()
            )));
        }
    }
    git_config(
        Some(repo),
        "--local",
        &["pull.twohead", crate::commands::strategy::NAME],
    )?;
    Ok(Ok(target))
}

/// Whether `pull.twohead` (in any scope) selects poolmerge's strategy.
pub(crate) fn strategy_selected(repo: &Repository) -> bool {
    repo::config_string(Some(repo), "pull.twohead").is_some_and(|v| {
        v.split_whitespace()
            .any(|s| s == crate::commands::strategy::NAME)
    })
}

/// Removes `pull.twohead` where this repository's config selects poolmerge's strategy.
pub(crate) fn uninstall_strategy(repo: &Repository) -> Result<()> {
    let (code, out) = git_config(Some(repo), "--local", &["--get", "pull.twohead"])?;
    if code == 0 && out.trim() == crate::commands::strategy::NAME {
        git_config(Some(repo), "--local", &["--unset", "pull.twohead"])?;
    }
    Ok(())
}

/// Where git would find `program`: its exec path first, then PATH.
pub(crate) fn found_on_path(program: &str) -> Option<PathBuf> {
    let exec = std::process::Command::new("git")
        .arg("--exec-path")
        .output()
        .ok()
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    let path = std::env::var_os("PATH").unwrap_or_default();
    exec.into_iter()
        .chain(std::env::split_paths(&path))
        .map(|d| d.join(program))
        .find(|f| is_executable(f))
}

fn is_executable(f: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(f) else {
        return false;
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        meta.is_file() && meta.permissions().mode() & 0o111 != 0
    }
    #[cfg(not(unix))]
    {
        meta.is_file()
    }
}
