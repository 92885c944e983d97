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

mod hooks;
pub(crate) use hooks::*;

/// The driver's descriptive name in git's configuration.
pub(crate) const DRIVER_NAME: &str = "poolmerge: keep the pinned SQLAlchemy pool";

/// The attribute pattern routed by default.
pub(crate) const DEFAULT_PATTERN: &str = "database/*.py";

/// Quotes a word for the shell that runs git's merge drivers and hooks.
pub(crate) fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// The driver command line: this binary by its absolute path, every placeholder.
pub(crate) fn driver_line(exe: &Path) -> String {
    format!(
        "{} merge %O %A %B -s %S -x %X -y %Y -p %P -l %L",
        shell_quote(&sh_path(exe))
    )
}

/// A path as the shell git runs drivers and hooks with can run it. On Windows that is
/// Git for Windows' `sh` (MSYS2 bash): the path with forward slashes (`C:/Users/...`,
/// the form Git for Windows' own settings take, read the same by the shell, by git
/// and by Windows programs) and without the verbatim `\\?\` prefix, which the shell
/// cannot run. Elsewhere, the path as it is.
pub(crate) fn sh_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(windows) {
        windows_sh_path(&text)
    } else {
        text.into_owned()
    }
}

/// [`sh_path`] for a Windows path: `\\?\C:\x` → `C:/x`, `\\?\UNC\host\share\x` →
/// `//host/share/x`, `\\host\share\x` → `//host/share/x`.
pub(crate) fn windows_sh_path(path: &str) -> String {
    let plain = if let Some(unc) = path.strip_prefix(r"\\?\UNC\") {
        format!(r"\\{unc}")
    } else {
        path.strip_prefix(r"\\?\").unwrap_or(path).to_string()
    };
    plain.replace('\\', "/")
}

/// This binary's absolute path (on Windows without the verbatim `\\?\` prefix that
/// canonicalising adds, which neither git nor its shell reads as the same path).
pub(crate) fn current_exe() -> Result<PathBuf> {
    let exe = std::env::current_exe().context("cannot tell where this binary is")?;
    let exe = exe.canonicalize().unwrap_or(exe);
    if cfg!(windows) {
        let text = exe.to_string_lossy();
        if let Some(rest) = text.strip_prefix(r"\\?\")
            && !rest.starts_with(r"UNC\")
        {
            return Ok(PathBuf::from(rest));
        }
    }
    Ok(exe)
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
        outln!("driver: already registered in {where_}")?;
        return Ok(());
    }
    git_config(repo, scope, &["merge.poolmerge.name", DRIVER_NAME])?;
    git_config(repo, scope, &["merge.poolmerge.driver", &driver])?;
    outln!("driver: registered in {where_}: {driver}")?;
    Ok(())
}

/// Removes the driver from a scope.
fn unregister(repo: Option<&Repository>, scope: &str, where_: &str) -> Result<()> {
    let (code, _) = git_config(repo, scope, &["--get", "merge.poolmerge.driver"])?;
    let (name_code, _) = git_config(repo, scope, &["--get", "merge.poolmerge.name"])?;
    if code != 0 && name_code != 0 {
        outln!("driver: not registered in {where_}")?;
        return Ok(());
    }
    for key in ["merge.poolmerge.driver", "merge.poolmerge.name"] {
        git_config(repo, scope, &["--unset-all", key])?;
    }
    outln!("driver: removed from {where_}")?;
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
            outln!("attributes: `{line}` already in {}", display(repo, file))?;
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
        outln!("attributes: added `{line}` to {}", display(repo, file))?;
    }
    Ok(())
}

/// Removes the lines `install` wrote: each marked comment and the attribute lines
/// right after it. Lines the user wrote stay.
/// Whether it changed the file.
fn remove_attributes(repo: &Repository, file: &Path) -> Result<bool> {
    let Ok(text) = std::fs::read_to_string(file) else {
        return Ok(false);
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
        return Ok(false);
    }
    if kept.iter().all(|l| l.trim().is_empty()) {
        std::fs::remove_file(file)?;
        outln!(
            "attributes: deleted {} (it held only poolmerge's {})",
            display(repo, file),
            if removed == 1 { "line" } else { "lines" }
        )?;
    } else {
        let mut out = kept.join("\n");
        out.push('\n');
        atomic_write(file, out.as_bytes())?;
        outln!(
            "attributes: removed {removed} line(s) from {}",
            display(repo, file)
        )?;
    }
    Ok(true)
}

/// `git` in this repository, its output when it succeeds.
fn git_here(repo: &Repository, args: &[&str]) -> Result<Option<String>> {
    let out = repo::git_command(repo)
        .args(args)
        .stdin(std::process::Stdio::null())
        .output()
        .context("cannot run git")?;
    Ok(out
        .status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).into_owned()))
}

/// After `install`: a `.gitattributes` that is not committed routes nothing in other
/// clones, nor in the merges CI makes.
fn say_commit_after_install(repo: &Repository) -> Result<()> {
    let changed = git_here(repo, &["status", "--porcelain", "--", ".gitattributes"])?;
    if changed.is_some_and(|s| !s.trim().is_empty()) {
        outln!(
            "next: commit .gitattributes, so that the route holds in every clone: git add .gitattributes && git commit -m \"Merge with poolmerge\""
        )?;
    }
    Ok(())
}

/// After `uninstall` changed a tracked `.gitattributes`: its change is staged (a
/// deleted file would otherwise still route from the index, where git looks when the
/// file is gone), and committing it is the user's step.
fn stage_after_uninstall(repo: &Repository) -> Result<()> {
    let tracked = git_here(repo, &["ls-files", "--", ".gitattributes"])?;
    if tracked.is_none_or(|s| s.trim().is_empty()) {
        return Ok(());
    }
    git_here(repo, &["add", "-A", "--", ".gitattributes"])?
        .context("cannot stage the change to .gitattributes (git add)")?;
    outln!(
        "next: the change to .gitattributes is staged; commit it so that no clone routes files to poolmerge: git commit -m \"Stop merging with poolmerge\""
    )?;
    Ok(())
}

/// Runs `poolmerge install`.
pub(crate) fn install(args: &InstallArgs) -> Result<Status> {
    let exe = current_exe()?;
    if args.global {
        if args.hooks || args.local {
            bail!(
                "--global writes only the driver to your git config; hooks and attributes are per repository"
            );
        }
        register(None, "--global", "your global git config", &exe)?;
        outln!(
            "attributes stay per repository: run `poolmerge install` in each fork (or add `{}`)",
            attribute_line(DEFAULT_PATTERN)
        )?;
        return Ok(Status::Clean);
    }
    let repo = repo::open()?;
    install_in(&repo, args, &exe)
}

/// `install` in a repository, naming `exe` as the driver.
pub(crate) fn install_in(repo: &Repository, args: &InstallArgs, exe: &Path) -> Result<Status> {
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
        // A hooks directory in the work tree is committed (husky): no one's own path.
        let portable = dir.per_worktree();
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
                if !install_hook(dir, hook, exe, portable)? {
                    status = Status::Conflicts;
                }
            }
        }
        git_config(
            Some(repo),
            "--local",
            &[crate::commands::hook::ENABLED_KEY, "true"],
        )?;
        // A route committed in `.gitattributes` tells the fork's branches from
        // upstream's; one only in `info/attributes` cannot.
        let scope = crate::commands::strategy::SCOPE_KEY;
        if args.local {
            git_config(Some(repo), "--local", &[scope, "all"])?;
        } else {
            git_config(Some(repo), "--local", &["--unset-all", scope])?;
        }
        // git makes the merge commit of `git merge` and `git pull` itself, pinned by
        // poolmerge's strategy; where git cannot find it, the post-merge hook pins.
        match install_strategy(repo, exe)? {
            Ok(at) => outln!(
                "strategy: git merge and git pull merge with {} (pull.twohead = {})",
                at.display(),
                crate::commands::strategy::NAME
            )?,
            Err(why) => outln!(
                "strategy: not used ({why}); the post-merge hook pins merge commits instead"
            )?,
        }
    }
    if !args.local {
        say_commit_after_install(repo)?;
    }
    Ok(status)
}

/// Runs `poolmerge uninstall`.
pub(crate) fn uninstall(args: &UninstallArgs) -> Result<Status> {
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
pub(crate) fn uninstall_in(repo: &Repository, shared: bool) -> Result<Status> {
    unregister(Some(repo), "--local", "the repository's config")?;
    for local in [false, true] {
        if let Ok(file) = attribute_file(repo, local)
            && remove_attributes(repo, &file)?
            && !local
        {
            stage_after_uninstall(repo)?;
        }
    }
    git_config(
        Some(repo),
        "--local",
        &["--unset-all", crate::commands::hook::ENABLED_KEY],
    )?;
    uninstall_strategy(repo)?;
    git_config(
        Some(repo),
        "--local",
        &["--unset-all", crate::commands::strategy::SCOPE_KEY],
    )?;
    let here = hooks_dir(repo)?;
    if here.shared() && !shared {
        if hooks_in(&here.path) {
            outln!(
                "hooks: left in {} (shared with other repositories through your {} core.hooksPath; inert here now). `poolmerge uninstall --shared-hooks` removes them for every repository",
                here.path.display(),
                here.scope.as_deref().unwrap_or("global")
            )?;
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
            // Where the pre-commit framework moved poolmerge's hook.
            uninstall_hook(dir, &format!("{hook}.legacy"))?;
        }
    }
    Ok(Status::Clean)
}

#[cfg(test)]
mod tests;
