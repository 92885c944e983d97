//! `poolmerge install` / `uninstall`: the driver registered in git's configuration,
//! the attribute line that routes files to it, and (with `--hooks`) the hooks that keep
//! the files a driver never sees pinned. Idempotent; `uninstall` removes only what
//! `install` wrote.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use git2::Repository;

use crate::cli::{InstallArgs, UninstallArgs};
use crate::exit::Status;
use crate::fsutil::atomic_write;
use crate::repo;

/// The driver's descriptive name in git's configuration.
pub const DRIVER_NAME: &str = "poolmerge: keep the pinned SQLAlchemy pool";

/// The attribute pattern routed by default.
pub const DEFAULT_PATTERN: &str = "database/*.py";

/// Quotes a word for the shell that runs git's merge drivers and hooks.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The driver command line: this binary by its absolute path, every placeholder.
pub fn driver_line(exe: &Path) -> String {
    format!(
        "{} merge %O %A %B -s %S -x %X -y %Y -p %P -l %L",
        shell_quote(&exe.to_string_lossy())
    )
}

/// This binary's absolute path.
pub fn current_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot tell where this binary is")?;
    Ok(exe.canonicalize().unwrap_or(exe))
}

/// `git config` in a scope (`--local` in `repo`, or `--global`).
fn git_config(repo: Option<&Repository>, scope: &str, args: &[&str]) -> Result<(i32, String)> {
    let mut cmd = match repo {
        Some(r) => repo::git_command(r),
        None => Command::new("git"),
    };
    let out = cmd
        .arg("config")
        .arg(scope)
        .args(args)
        .output()
        .context("cannot run git")?;
    let code = out.status.code().unwrap_or(-1);
    // `git config --get` exits 1 when the key is absent, 5 when unsetting nothing.
    if !matches!(code, 0 | 1 | 5) {
        bail!(
            "git config {scope} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok((
        code,
        String::from_utf8_lossy(&out.stdout).trim_end().to_string(),
    ))
}

/// Sets `merge.poolmerge.name` and `.driver` in a scope; says what it did.
fn register(repo: Option<&Repository>, scope: &str, where_: &str, exe: &Path) -> Result<()> {
    let driver = driver_line(exe);
    let (_, current) = git_config(repo, scope, &["--get", "merge.poolmerge.driver"])?;
    let (_, name) = git_config(repo, scope, &["--get", "merge.poolmerge.name"])?;
    if current == driver && name == DRIVER_NAME {
        println!("driver: already registered in {where_}");
        return Ok(());
    }
    git_config(repo, scope, &["merge.poolmerge.name", DRIVER_NAME])?;
    git_config(repo, scope, &["merge.poolmerge.driver", &driver])?;
    println!("driver: registered in {where_}: {driver}");
    Ok(())
}

/// Removes the driver from a scope.
fn unregister(repo: Option<&Repository>, scope: &str, where_: &str) -> Result<()> {
    let (code, _) = git_config(repo, scope, &["--get", "merge.poolmerge.driver"])?;
    let (name_code, _) = git_config(repo, scope, &["--get", "merge.poolmerge.name"])?;
    if code != 0 && name_code != 0 {
        println!("driver: not registered in {where_}");
        return Ok(());
    }
    for key in ["merge.poolmerge.driver", "merge.poolmerge.name"] {
        git_config(repo, scope, &["--unset-all", key])?;
    }
    println!("driver: removed from {where_}");
    Ok(())
}

/// The attribute files `install` writes to: `.gitattributes`, or the repository's own
/// `info/attributes` with `--local`.
fn attribute_file(repo: &Repository, local: bool) -> Result<PathBuf> {
    if local {
        return Ok(repo.commondir().join("info").join("attributes"));
    }
    let Some(workdir) = repo.workdir() else {
        bail!("a bare repository has no .gitattributes (use --local)");
    };
    Ok(workdir.join(".gitattributes"))
}

fn attribute_line(pattern: &str) -> String {
    format!("{pattern} merge={}", repo::DRIVER)
}

/// Whether a line of an attribute file is one `install` writes.
fn is_our_attribute_line(line: &str) -> bool {
    let mut words = line.split_whitespace();
    matches!((words.next(), words.next(), words.next()), (Some(p), Some(a), None) if !p.starts_with('#') && a == format!("merge={}", repo::DRIVER))
}

fn display(repo: &Repository, path: &Path) -> String {
    let root = repo.workdir().unwrap_or_else(|| repo.path());
    path.strip_prefix(root)
        .unwrap_or(path)
        .display()
        .to_string()
}

/// The comment line above the attribute lines `install` writes.
const ATTR_MARK: &str =
    "# Routed to poolmerge by `poolmerge install` (`poolmerge uninstall` removes these lines).";

fn add_attributes(repo: &Repository, file: &Path, patterns: &[String]) -> Result<()> {
    let mut text = std::fs::read_to_string(file).unwrap_or_default();
    let present: Vec<String> = text.lines().map(|l| l.trim().to_string()).collect();
    let mut added = Vec::new();
    for p in patterns {
        let line = attribute_line(p);
        if present.contains(&line) {
            println!("attributes: `{line}` already in {}", display(repo, file));
        } else {
            added.push(line);
        }
    }
    if added.is_empty() {
        return Ok(());
    }
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    text.push_str(ATTR_MARK);
    text.push('\n');
    for line in &added {
        text.push_str(line);
        text.push('\n');
    }
    if let Some(dir) = file.parent() {
        std::fs::create_dir_all(dir)?;
    }
    atomic_write(file, text.as_bytes())
        .with_context(|| format!("cannot write {}", file.display()))?;
    for line in added {
        println!("attributes: added `{line}` to {}", display(repo, file));
    }
    Ok(())
}

/// Removes the lines `install` wrote: each marked comment and the attribute lines
/// right after it. Lines the user wrote stay.
fn remove_attributes(repo: &Repository, file: &Path) -> Result<()> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(());
    };
    let mut kept: Vec<&str> = Vec::new();
    let mut in_block = false;
    let mut removed = 0;
    for line in text.lines() {
        if line.trim() == ATTR_MARK {
            in_block = true;
            continue;
        }
        if in_block && is_our_attribute_line(line) {
            removed += 1;
            continue;
        }
        in_block = false;
        kept.push(line);
    }
    if removed == 0 && kept.len() == text.lines().count() {
        return Ok(());
    }
    if kept.iter().all(|l| l.trim().is_empty()) {
        std::fs::remove_file(file)?;
    } else {
        let mut out = kept.join("\n");
        out.push('\n');
        atomic_write(file, out.as_bytes())?;
    }
    println!(
        "attributes: removed {removed} line(s) from {}",
        display(repo, file)
    );
    Ok(())
}

/// What poolmerge's block in a hook runs: `poolmerge hook NAME` with git's arguments.
/// Only pre-commit may stop git (when it cannot pin an owned file it stages).
/// A binary that is gone never blocks a commit: the hook says so and lets git go on.
fn hook_body(hook: &str, exe: &Path) -> String {
    let shown = exe.to_string_lossy();
    let exe = shell_quote(&shown);
    let run = if hook == "pre-commit" {
        format!("{exe} hook {hook} \"$@\" || exit $?")
    } else {
        format!("{exe} hook {hook} \"$@\"")
    };
    let gone = shell_quote(&format!(
        "poolmerge: {shown} is gone, so its {hook} hook does nothing (poolmerge install --hooks puts it back)"
    ));
    format!("if [ -x {exe} ]; then\n    {run}\nelse\n    echo {gone} >&2\nfi\n")
}

/// What to add to an existing hook that is not a shell script: Python lines for a
/// Python hook, else the command to run and what its status means.
fn foreign_hook_body(text: &str, hook: &str, exe: &Path) -> String {
    let first = text.lines().next().unwrap_or_default();
    let shown = exe.to_string_lossy();
    let stop = hook == "pre-commit";
    if first.starts_with("#!") && first.contains("python") {
        let call = format!("subprocess.call([{shown:?}, \"hook\", {hook:?}, *sys.argv[1:]])");
        let run = if stop {
            format!("    status = {call}\n    if status:\n        sys.exit(status)\n")
        } else {
            format!("    {call}\n")
        };
        return format!("import os, subprocess, sys\nif os.access({shown:?}, os.X_OK):\n{run}");
    }
    let then = if stop {
        "; stop the commit when it exits non-zero"
    } else {
        "; its status does not matter"
    };
    format!("run {shown} hook {hook} with the hook's own arguments{then}\n")
}

/// The hooks `install --hooks` writes: pre-commit pins what a commit stages; the
/// others finish what `git merge`, `git cherry-pick`, `git am` and `git rebase` made
/// (see `commands::hook`).
pub const HOOKS: &[&str] = &[
    "pre-commit",
    "post-merge",
    "post-commit",
    "post-applypatch",
    "post-rewrite",
];

/// Hooks earlier versions wrote and `install`/`uninstall` remove poolmerge's block from.
const RETIRED_HOOKS: &[&str] = &["pre-merge-commit"];

const BLOCK_START: &str =
    "# >>> poolmerge: installed by `poolmerge install --hooks`, removed by `poolmerge uninstall`";
const BLOCK_END: &str = "# <<< poolmerge";
const NEW_HOOK: &str = "#!/bin/sh\n";

/// Where git runs this repository's hooks, and whether that directory is shared with
/// other repositories.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HooksDir {
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
    pub fn shared(&self) -> bool {
        matches!(self.scope.as_deref(), Some("global" | "system"))
    }

    /// Whether `core.hooksPath` is relative: each work tree then has its own directory.
    pub fn per_worktree(&self) -> bool {
        self.configured
            .as_deref()
            .is_some_and(|p| !Path::new(p).is_absolute() && !p.starts_with('~'))
    }
}

/// Where git looks for hooks here: `core.hooksPath` (a relative one from the work
/// tree's root), else the repository's `hooks`.
pub fn hooks_dir(repo: &Repository) -> Result<HooksDir> {
    let (_, path) = repo::git(
        repo,
        &["rev-parse", "--path-format=absolute", "--git-path", "hooks"],
        None,
        &[0],
    )?;
    let path = PathBuf::from(String::from_utf8_lossy(&path).trim_end());
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

/// The hooks directories of every work tree of the repository: one for all, unless
/// `core.hooksPath` is relative (then each work tree resolves its own).
pub fn all_hooks_dirs(repo: &Repository) -> Result<Vec<PathBuf>> {
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
            let dir = PathBuf::from(String::from_utf8_lossy(&o.stdout).trim_end());
            if !dirs.contains(&dir) {
                dirs.push(dir);
            }
        }
    }
    Ok(dirs)
}

/// Whether poolmerge's current hooks are in `dir`: every hook with a block that runs
/// `poolmerge hook`.
pub fn hooks_in(dir: &Path) -> bool {
    HOOKS.iter().all(|h| {
        std::fs::read_to_string(dir.join(h))
            .is_ok_and(|t| t.contains(BLOCK_START) && t.contains(&format!(" hook {h} ")))
    })
}

/// The retired hooks that still hold a block of an earlier poolmerge.
pub fn retired_hooks_in(dir: &Path) -> Vec<&'static str> {
    RETIRED_HOOKS
        .iter()
        .copied()
        .filter(|h| std::fs::read_to_string(dir.join(h)).is_ok_and(|t| t.contains(BLOCK_START)))
        .collect()
}

/// Whether the installed hooks act here: `poolmerge.hooks` set and the hooks in the
/// directory git runs them from.
pub fn hooks_active(repo: &Repository) -> bool {
    crate::commands::hook::enabled(repo) && hooks_dir(repo).is_ok_and(|d| hooks_in(&d.path))
}

/// The hook's text without poolmerge's block, and whether it had one.
fn strip_block(text: &str) -> (String, bool) {
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
fn is_shell_script(text: &str) -> bool {
    let first = text.lines().next().unwrap_or_default();
    first.starts_with("#!")
        && ["sh", "bash", "dash", "zsh", "ksh"]
            .iter()
            .any(|s| first.ends_with(s) || first.contains(&format!("{s} ")))
}

#[cfg(unix)]
fn make_executable(path: &Path) -> Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let mut perms = std::fs::metadata(path)?.permissions();
    perms.set_mode(perms.mode() | 0o755);
    std::fs::set_permissions(path, perms)?;
    Ok(())
}

#[cfg(not(unix))]
fn make_executable(_: &Path) -> Result<()> {
    Ok(())
}

/// Installs one hook: a new file, or poolmerge's block added right after the shebang
/// of an existing shell hook. Returns false when it refused.
fn install_hook(dir: &Path, hook: &str, exe: &Path) -> Result<bool> {
    let path = dir.join(hook);
    let block = format!("{BLOCK_START}\n{}{BLOCK_END}\n", hook_body(hook, exe));
    let (text, message) = match std::fs::read_to_string(&path) {
        Err(_) => (
            format!("{NEW_HOOK}{block}"),
            format!("installed in {}", path.display()),
        ),
        Ok(old) => {
            let (rest, had) = strip_block(&old);
            if !is_shell_script(&rest) {
                println!(
                    "hook {hook}: {} exists and is not a shell script; left as it is. To chain poolmerge, add:\n{}",
                    path.display(),
                    foreign_hook_body(&rest, hook, exe)
                );
                return Ok(false);
            }
            let (shebang, body) = rest.split_once('\n').unwrap_or((&rest, ""));
            let new = format!("{shebang}\n{block}{body}");
            if new == old {
                println!("hook {hook}: already installed");
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
    println!("hook {hook}: {message}");
    Ok(true)
}

fn uninstall_hook(dir: &Path, hook: &str) -> Result<()> {
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
        println!("hook {hook}: removed");
    } else {
        atomic_write(&path, rest.as_bytes())?;
        println!("hook {hook}: poolmerge's part removed, the rest kept");
    }
    Ok(())
}

/// Runs `poolmerge install`.
pub fn install(args: &InstallArgs) -> Result<Status> {
    let exe = current_exe()?;
    if args.global {
        if args.hooks || args.local {
            bail!(
                "--global writes only the driver to your git config; hooks and attributes are per repository"
            );
        }
        register(None, "--global", "your global git config", &exe)?;
        println!(
            "attributes stay per repository: run `poolmerge install` in each fork (or add `{}`)",
            attribute_line(DEFAULT_PATTERN)
        );
        return Ok(Status::Clean);
    }
    let repo = repo::open()?;
    install_in(&repo, args, &exe)
}

/// `install` in a repository, naming `exe` as the driver.
pub fn install_in(repo: &Repository, args: &InstallArgs, exe: &Path) -> Result<Status> {
    // Refuse before writing anything: hooks in a shared directory run everywhere.
    let hooks = if args.hooks {
        let dir = hooks_dir(repo)?;
        if dir.shared() && !args.shared_hooks {
            bail!(
                "core.hooksPath comes from your {} git config ({}): hooks there run in every repository. Add poolmerge's there with `poolmerge install --hooks --shared-hooks` (they act only in repositories where install --hooks ran), or set a hooks directory for this repository: git config core.hooksPath .git/hooks",
                dir.scope.as_deref().unwrap_or("global"),
                dir.path.display()
            );
        }
        Some(dir)
    } else {
        None
    };
    register(Some(repo), "--local", "the repository's config", exe)?;
    // The patterns named, else the configuration's `files`, else database/*.py.
    let profile = crate::commands::profile(repo)?;
    let patterns = if !args.pattern.is_empty() {
        args.pattern.clone()
    } else if !profile.files().is_empty() {
        profile.files().to_vec()
    } else {
        vec![DEFAULT_PATTERN.to_string()]
    };
    // `.gitattributes` travels with the fork; `info/attributes` routes every pick of a
    // rebase too, including those replayed before the commit that adds `.gitattributes`.
    let files = if args.local {
        vec![attribute_file(repo, true)?]
    } else {
        vec![attribute_file(repo, false)?, attribute_file(repo, true)?]
    };
    for file in &files {
        add_attributes(repo, file, &patterns)?;
    }
    let mut status = Status::Clean;
    if let Some(dir) = hooks {
        let dirs = if dir.shared() {
            vec![dir.path.clone()]
        } else {
            all_hooks_dirs(repo)?
        };
        for dir in &dirs {
            for hook in RETIRED_HOOKS {
                uninstall_hook(dir, hook)?;
            }
            for hook in HOOKS {
                if !install_hook(dir, hook, exe)? {
                    status = Status::Conflicts;
                }
            }
        }
        git_config(
            Some(repo),
            "--local",
            &[crate::commands::hook::ENABLED_KEY, "true"],
        )?;
    }
    Ok(status)
}

/// Runs `poolmerge uninstall`.
pub fn uninstall(args: &UninstallArgs) -> Result<Status> {
    if args.global {
        unregister(None, "--global", "your global git config")?;
    }
    match repo::open() {
        Ok(repo) => uninstall_in(&repo, args.shared_hooks),
        // Outside a repository, --global alone is complete.
        Err(_) if args.global => Ok(Status::Clean),
        Err(e) => Err(e),
    }
}

/// `uninstall` in a repository: the driver, poolmerge's attribute lines (in
/// `.gitattributes` and `info/attributes`), poolmerge's hook blocks in this
/// repository's hooks directories. Hooks in a directory shared with other
/// repositories stay (inert here once `poolmerge.hooks` is gone) unless `shared` asks.
pub fn uninstall_in(repo: &Repository, shared: bool) -> Result<Status> {
    unregister(Some(repo), "--local", "the repository's config")?;
    for local in [false, true] {
        if let Ok(file) = attribute_file(repo, local) {
            remove_attributes(repo, &file)?;
        }
    }
    git_config(
        Some(repo),
        "--local",
        &["--unset-all", crate::commands::hook::ENABLED_KEY],
    )?;
    let here = hooks_dir(repo)?;
    if here.shared() && !shared {
        if hooks_in(&here.path) {
            println!(
                "hooks: left in {} (shared with other repositories through your {} core.hooksPath; inert here now). `poolmerge uninstall --shared-hooks` removes them for every repository",
                here.path.display(),
                here.scope.as_deref().unwrap_or("global")
            );
        }
        return Ok(Status::Clean);
    }
    let dirs = if here.shared() {
        vec![here.path]
    } else {
        all_hooks_dirs(repo)?
    };
    for dir in &dirs {
        for hook in HOOKS.iter().chain(RETIRED_HOOKS) {
            uninstall_hook(dir, hook)?;
        }
    }
    Ok(Status::Clean)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_for_the_shell() {
        assert_eq!(shell_quote("/a b/it's"), "'/a b/it'\\''s'");
        assert_eq!(
            driver_line(Path::new("/opt/pm/poolmerge")),
            "'/opt/pm/poolmerge' merge %O %A %B -s %S -x %X -y %Y -p %P -l %L"
        );
    }

    #[test]
    fn blocks_come_and_go_without_touching_the_rest() {
        let user = "#!/usr/bin/env bash\necho mine\n";
        let block = format!("{BLOCK_START}\nx\n{BLOCK_END}\n");
        let with = format!("#!/usr/bin/env bash\n{block}echo mine\n");
        assert_eq!(strip_block(&with), (user.to_string(), true));
        assert!(is_shell_script(user));
        assert!(!is_shell_script("#!/usr/bin/env python3\nprint()\n"));
        // A Python hook gets Python lines to add, that compile, not shell ones.
        let exe = Path::new("/opt/bin/poolmerge");
        let py = foreign_hook_body("#!/usr/bin/env python3\n", "pre-commit", exe);
        assert!(
            py.contains("subprocess.call([\"/opt/bin/poolmerge\", \"hook\", \"pre-commit\""),
            "{py}"
        );
        assert!(
            py.contains("sys.exit(status)") && !py.contains("\"$@\""),
            "{py}"
        );
        assert!(crate::python::compiles(py.as_bytes()), "{py}");
        let post = foreign_hook_body("#!/usr/bin/env python3\n", "post-merge", exe);
        assert!(!post.contains("sys.exit"), "{post}");
        let other = foreign_hook_body("#!/usr/bin/env node\n", "pre-commit", exe);
        assert!(
            other.starts_with("run /opt/bin/poolmerge hook pre-commit"),
            "{other}"
        );
        assert!(is_our_attribute_line("database/*.py merge=poolmerge"));
        assert!(!is_our_attribute_line("*.py merge=poolmerge text"));
    }
}
