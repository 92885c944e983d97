//! `poolmerge doctor`: is poolmerge set up right in this repository? Each check says
//! ok, or what is wrong and the command that fixes it. The mistake it exists for: an
//! attribute that routes files to a driver git does not know, which git answers with
//! its plain merge, silently.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::Result;
use git2::Repository;

use crate::commands::install::{
    HOOKS, all_hooks_dirs, current_exe, hooks_dir, hooks_in, retired_hooks_in,
};
use crate::commands::same_file;
use crate::exit::Status;
use crate::python::contains;
use crate::repo;
use crate::report::counted;

/// What one check found.
enum Verdict {
    Ok(String),
    Note(String),
    Problem(String, String),
}

fn print(v: &Verdict) -> Result<(), crate::output::WriteError> {
    match v {
        Verdict::Ok(s) => outln!("ok       {s}"),
        Verdict::Note(s) => outln!("note     {s}"),
        Verdict::Problem(s, fix) => outln!("PROBLEM  {s}\n         fix: {fix}"),
    }
}

/// git's version as (major, minor).
fn git_version() -> Option<(u32, u32)> {
    let out = Command::new("git").arg("--version").output().ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let version = text.split_whitespace().nth(2)?;
    let mut parts = version.split('.');
    Some((parts.next()?.parse().ok()?, parts.next()?.parse().ok()?))
}

/// The first word of a shell command line, unquoted.
fn command_word(line: &str) -> String {
    let line = line.trim_start();
    let mut out = String::new();
    let mut chars = line.chars();
    let mut quote: Option<char> = None;
    while let Some(c) = chars.next() {
        match (quote, c) {
            (None, '\'' | '"') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            (None, c) if c.is_whitespace() => break,
            (Some('"') | None, '\\') => {
                if let Some(n) = chars.next() {
                    out.push(n);
                }
            }
            (_, c) => out.push(c),
        }
    }
    out
}

/// `name` on PATH, if any.
fn on_path(name: &str) -> Option<PathBuf> {
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|d| d.join(name))
            .find(|p| p.is_file())
    })
}

/// Runs `poolmerge doctor`.
pub(crate) fn run() -> Result<Status> {
    let mut verdicts = Vec::new();
    match git_version() {
        None => verdicts.push(Verdict::Problem(
            "git is not on PATH".into(),
            "install git 2.44 or newer".into(),
        )),
        Some(v) if v < (2, 43) => verdicts.push(Verdict::Problem(
            format!("git {}.{} is too old: poolmerge runs `git merge-file --diff-algorithm`, new in 2.43", v.0, v.1),
            "install git 2.44 or newer".into(),
        )),
        Some(v) if v < (2, 44) => verdicts.push(Verdict::Problem(
            format!("git {}.{} passes the literal %S %X %Y instead of the conflict labels (fixed in 2.44): conflict markers carry no branch names", v.0, v.1),
            "install git 2.44 or newer".into(),
        )),
        Some(v) => verdicts.push(Verdict::Ok(format!("git {}.{}", v.0, v.1))),
    }
    let mut installed = true;
    match repo::open() {
        Ok(repo) if !is_installed(&repo)? => {
            installed = false;
            verdicts.push(Verdict::Note(
                "poolmerge is not installed in this repository: no merge driver, no file routed to it, no hooks; git merges as usual. `poolmerge install --hooks` sets it up".into(),
            ));
        }
        Ok(repo) => verdicts.extend(check_repo(&repo)?),
        Err(_) => verdicts.push(Verdict::Problem(
            "not in a git repository".into(),
            "run `poolmerge doctor` inside your fork".into(),
        )),
    }
    for v in &verdicts {
        print(v)?;
    }
    let problems = verdicts
        .iter()
        .filter(|v| matches!(v, Verdict::Problem(..)))
        .count();
    if problems == 0 && !installed {
        outln!("poolmerge is not installed here.")?;
        Ok(Status::Clean)
    } else if problems == 0 {
        outln!("poolmerge is set up.")?;
        Ok(Status::Clean)
    } else {
        outln!("{}.", counted(problems, "problem", "problems"))?;
        Ok(Status::Conflicts)
    }
}

/// Whether anything of poolmerge's is here: the driver, a route, its hooks. After
/// `poolmerge uninstall` (or before any install) nothing is, and nothing is wrong.
fn is_installed(repo: &Repository) -> Result<bool> {
    if repo::config_string(Some(repo), "merge.poolmerge.driver").is_some()
        || crate::commands::hook::enabled(repo)
        || hooks_in(&hooks_dir(repo)?.path)
    {
        return Ok(true);
    }
    let tracked: Vec<String> = repo::tracked_files(repo)?
        .into_iter()
        .filter(|p| p.ends_with(".py"))
        .collect();
    let attrs = repo::attributes(repo, &tracked, &["merge"], None)?;
    Ok(tracked.iter().any(|p| repo::owned(&attrs, p)))
}

fn check_repo(repo: &Repository) -> Result<Vec<Verdict>> {
    let mut out = Vec::new();
    let exe = current_exe()?;
    let tracked: Vec<String> = repo::tracked_files(repo)?
        .into_iter()
        .filter(|p| p.ends_with(".py"))
        .collect();
    let attrs = repo::attributes(repo, &tracked, &["merge"], None)?;
    let owned: Vec<&String> = tracked.iter().filter(|p| repo::owned(&attrs, p)).collect();
    driver_verdicts(repo, &owned, &exe, &mut out);
    path_verdict(&exe, &mut out);
    profile_verdict(repo, &mut out);
    files_verdicts(repo, &tracked, &attrs, &owned, &mut out);
    recursive_verdict(repo, &mut out);
    out.extend(layout_verdicts(repo));
    out.extend(hook_verdicts(repo)?);
    Ok(out)
}

/// The driver: registered, running this binary, with every placeholder.
fn driver_verdicts(repo: &Repository, owned: &[&String], exe: &Path, out: &mut Vec<Verdict>) {
    let driver = repo::config_string(Some(repo), "merge.poolmerge.driver");
    match &driver {
        None if !owned.is_empty() => out.push(Verdict::Problem(
            format!(
                "{} merge=poolmerge but no merge driver named poolmerge is registered: git merges {} with its plain text merge, silently",
                if owned.len() == 1 { "1 file has".to_string() } else { format!("{} files have", owned.len()) },
                if owned.len() == 1 { "it" } else { "them" }
            ),
            "poolmerge install".into(),
        )),
        None => out.push(Verdict::Problem(
            "no merge driver named poolmerge is registered".into(),
            "poolmerge install".into(),
        )),
        Some(line) => {
            let word = command_word(line);
            let named = PathBuf::from(&word);
            let missing: Vec<&str> = ["%O", "%A", "%B", "%S", "%X", "%Y", "%P", "%L"]
                .into_iter()
                .filter(|p| !line.contains(p))
                .collect();
            let resolved = if named.is_absolute() { Some(named.clone()) } else { on_path(&word) };
            match resolved {
                None => out.push(Verdict::Problem(
                    format!("the driver runs `{word}`, which git will not find (exit 127: git records a conflict holding your version, no markers)"),
                    "poolmerge install".into(),
                )),
                Some(p) if !p.is_file() => out.push(Verdict::Problem(
                    format!("the driver runs {}, which does not exist", p.display()),
                    "poolmerge install".into(),
                )),
                Some(p) if !same_file(&p, exe) => out.push(Verdict::Note(format!(
                    "the driver runs {}, not this binary ({}); `poolmerge install` points it here",
                    p.display(),
                    exe.display()
                ))),
                Some(p) => out.push(Verdict::Ok(format!("the driver is registered and runs this binary ({})", p.display()))),
            }
            if !named.is_absolute() {
                out.push(Verdict::Note(
                    "the driver names the binary without its path: git finds it only through PATH".into(),
                ));
            }
            if !missing.is_empty() {
                out.push(Verdict::Problem(
                    format!("the driver line lacks {}", missing.join(" ")),
                    "poolmerge install".into(),
                ));
            }
        }
    }
}

/// Whether `poolmerge` on PATH is this binary.
fn path_verdict(exe: &Path, out: &mut Vec<Verdict>) {
    match on_path("poolmerge") {
        Some(p) if same_file(&p, exe) => out.push(Verdict::Ok(format!(
            "poolmerge on PATH is this binary ({})",
            p.display()
        ))),
        Some(p) => out.push(Verdict::Note(format!(
            "poolmerge on PATH is {}, not this binary",
            p.display()
        ))),
        None => out.push(Verdict::Note(
            "poolmerge is not on PATH (the driver line names it by path, so merges work)".into(),
        )),
    }
}

/// Where the profile comes from, or why the configuration is invalid.
fn profile_verdict(repo: &Repository, out: &mut Vec<Verdict>) {
    match crate::config::load(Some(repo)) {
        Ok(p) => out.push(Verdict::Ok(format!(
            "the profile comes from {}: {} (poolmerge config prints it)",
            p.source,
            p.pins
                .iter()
                .map(|pin| format!("{} ({})", pin.declared, pin.when.name()))
                .collect::<Vec<_>>()
                .join(", ")
        ))),
        Err(e) => out.push(Verdict::Problem(
            format!(
                "the configuration is invalid: {e}; the driver falls back to git's plain merge"
            ),
            "fix that line (docs/CONFIG.md has the schema), then: poolmerge config".into(),
        )),
    }
}

/// The files routed to poolmerge, and the files that create engines but are not.
fn files_verdicts(
    repo: &Repository,
    tracked: &[String],
    attrs: &repo::Attributes,
    owned: &[&String],
    out: &mut Vec<Verdict>,
) {
    if owned.is_empty() {
        out.push(Verdict::Problem(
            "no tracked file is routed to poolmerge (merge=poolmerge)".into(),
            "poolmerge install   (or --pattern 'GLOB' for other files)".into(),
        ));
    } else {
        let list: Vec<&str> = owned.iter().map(|s| s.as_str()).collect();
        out.push(Verdict::Ok(format!(
            "{} routed to poolmerge: {}",
            counted(owned.len(), "file", "files"),
            list.join(", ")
        )));
    }
    let workdir = repo.workdir();
    let unrouted: Vec<&String> = tracked
        .iter()
        .filter(|p| !repo::owned(attrs, p))
        .filter(|p| {
            workdir
                .and_then(|w| std::fs::read(w.join(p)).ok())
                .is_some_and(|t| contains(&t, b"create_engine("))
        })
        .collect();
    if !unrouted.is_empty() {
        let list: Vec<&str> = unrouted.iter().map(|s| s.as_str()).collect();
        out.push(Verdict::Note(format!(
            "these files create engines but are not routed to poolmerge: {} (poolmerge install --pattern 'GLOB')",
            list.join(", ")
        )));
    }
}

/// Which driver inner merges of criss-cross histories use.
fn recursive_verdict(repo: &Repository, out: &mut Vec<Verdict>) {
    match repo::config_string(Some(repo), "merge.poolmerge.recursive") {
        Some(v) => out.push(Verdict::Note(format!(
            "merge.poolmerge.recursive = {v}: inner merges of criss-cross histories use it"
        ))),
        None => out.push(Verdict::Ok(
            "inner merges of criss-cross histories use poolmerge too".into(),
        )),
    }
}

/// The repository's layout: what git writes that libgit2 alone could not read.
fn layout_verdicts(repo: &Repository) -> Vec<Verdict> {
    let mut out = Vec::new();
    // Where git itself says the repository is (GIT_DIR, GIT_WORK_TREE, core.worktree,
    // a linked worktree or a submodule resolved).
    let kind = if repo.path().components().any(|c| c.as_os_str() == "modules") {
        " (a submodule)"
    } else {
        ""
    };
    out.push(Verdict::Ok(match repo.workdir() {
        Some(w) => format!(
            "the repository{kind}: work tree {}, git directory {}",
            w.display(),
            repo.path().display()
        ),
        None => format!("a bare repository{kind}: {}", repo.path().display()),
    }));
    let layout = repo::index::layout(repo);
    if !layout.is_empty() {
        out.push(Verdict::Ok(format!(
            "the index uses {}: poolmerge reads and writes it through git's own plumbing",
            layout.join(", ")
        )));
    }
    if repo.is_worktree() {
        out.push(Verdict::Ok(format!(
            "a linked work tree of {} (the driver, the attributes in info/attributes and the hooks are shared)",
            repo.commondir().display()
        )));
    }
    // Routing during a rebase: `.gitattributes` is read from the commit being replayed
    // onto, so only info/attributes routes the picks before the commit that adds it.
    let info = repo.commondir().join("info").join("attributes");
    let in_info =
        std::fs::read(&info).is_ok_and(|t| repo::reroute(&t, repo::DRIVER, "x").is_some());
    let in_tree = repo
        .workdir()
        .and_then(|w| std::fs::read(w.join(".gitattributes")).ok())
        .is_some_and(|t| repo::reroute(&t, repo::DRIVER, "x").is_some());
    // The route in the work tree's .gitattributes but not in HEAD's: a clone of the
    // fork, its CI and every other checkout route nothing.
    if in_tree {
        let committed = repo
            .head()
            .ok()
            .and_then(|h| h.peel_to_tree().ok())
            .map(|tree| {
                tree.get_path(Path::new(".gitattributes"))
                    .ok()
                    .and_then(|e| e.to_object(repo).ok())
                    .and_then(|o| o.into_blob().ok())
                    .is_some_and(|b| repo::reroute(b.content(), repo::DRIVER, "x").is_some())
            });
        if committed == Some(false) {
            out.push(Verdict::Problem(
                "the route to poolmerge in .gitattributes is not committed: a clone of the fork, and its CI, route nothing".into(),
                "git add .gitattributes && git commit -m 'Route the pool modules to poolmerge'".into(),
            ));
        }
    }
    if in_info {
        out.push(Verdict::Ok(
            "the route is in .git/info/attributes too: it holds for every pick of a rebase".into(),
        ));
    } else if in_tree {
        out.push(Verdict::Note(
            "the route is only in .gitattributes: a rebase replays the fork's commits onto upstream, where .gitattributes does not route yet, and merges them without poolmerge; `poolmerge install` also writes .git/info/attributes".into(),
        ));
    }
    out
}

/// The hooks: where git runs them from, whether poolmerge's are there and current,
/// and whether every work tree has them.
fn hook_verdicts(repo: &Repository) -> Result<Vec<Verdict>> {
    let mut out = Vec::new();
    let dir = hooks_dir(repo)?;
    let shown = dir.path.display();
    // In a hooks directory other repositories share, install writes only when asked.
    let install = if dir.shared() {
        "poolmerge install --hooks --shared-hooks"
    } else {
        "poolmerge install --hooks"
    };
    if dir.shared() {
        out.push(Verdict::Note(format!(
            "core.hooksPath comes from your {} git config: {shown} is shared by every repository (poolmerge's hooks there act only where `poolmerge install --hooks --shared-hooks` ran)",
            dir.scope.as_deref().unwrap_or("global")
        )));
    }
    let retired = retired_hooks_in(&dir.path);
    let present = hooks_in(&dir.path);
    let enabled = crate::commands::hook::enabled(repo);
    if !retired.is_empty() {
        out.push(Verdict::Problem(
            format!(
                "{shown} holds hooks of an earlier poolmerge ({}): a merge stops for a second command",
                retired.join(", ")
            ),
            install.into(),
        ));
    }
    match (present, enabled) {
        (true, true) => out.push(Verdict::Ok(format!(
            "hooks installed in {shown}: git merge, pull, rebase, cherry-pick and am end pinned and committed"
        ))),
        (true, false) => out.push(Verdict::Problem(
            format!("poolmerge's hooks are in {shown} but poolmerge.hooks is not set here: they do nothing in this repository"),
            install.into(),
        )),
        (false, _) if HOOKS.iter().any(|h| std::fs::read_to_string(dir.path.join(h)).is_ok_and(|t| t.contains("# >>> poolmerge"))) => out.push(Verdict::Problem(
            format!("{shown} holds hooks of an earlier poolmerge, or only some of them"),
            install.into(),
        )),
        (false, _) => out.push(Verdict::Note(format!(
            "hooks not installed in {shown}: modules only upstream changed arrive unpinned; `{install}` pins them as part of each merge, rebase and pick"
        ))),
    }
    out.extend(strategy_verdicts(repo, present && enabled, install));
    if present && dir.per_worktree() {
        for other in all_hooks_dirs(repo)? {
            if !hooks_in(&other) {
                out.push(Verdict::Problem(
                    format!(
                        "core.hooksPath is relative, and {} has no poolmerge hooks: merges in that work tree are not pinned",
                        other.display()
                    ),
                    install.into(),
                ));
            }
        }
    }
    Ok(out)
}

/// The merge strategy: selected by `pull.twohead`, and found where git looks.
fn strategy_verdicts(repo: &Repository, hooks: bool, install: &str) -> Vec<Verdict> {
    use crate::commands::install::{found_on_path, strategy_selected};
    let program = crate::commands::strategy::program();
    let selected = strategy_selected(repo);
    match (selected, found_on_path(&program)) {
        (true, Some(at)) => {
            let mut v = vec![Verdict::Ok(format!(
                "merge strategy: git merge, git pull, cherry-pick and rebase run {} (pull.twohead); git makes their commits",
                at.display()
            ))];
            if let Ok(exe) = current_exe()
                && !same_file(&at, &exe)
            {
                v.push(Verdict::Note(format!(
                    "{} is not this poolmerge ({}): git runs that one as the strategy",
                    at.display(),
                    exe.display()
                )));
            }
            v
        }
        (true, None) => vec![Verdict::Problem(
            format!(
                "pull.twohead selects poolmerge, but git finds no {program} on PATH: every git merge and pull stops (\"Could not find merge strategy\")"
            ),
            format!(
                "put the directory holding poolmerge on PATH and run {install}, or: git config --unset pull.twohead"
            ),
        )],
        (false, _) if hooks => vec![Verdict::Note(format!(
            "no merge strategy: the post-merge hook replaces each merge commit git made by a pinned one; with poolmerge's directory on PATH, `{install}` lets git make it"
        ))],
        (false, _) => Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_driver_command_word() {
        assert_eq!(command_word("'/a b/poolmerge' merge %O"), "/a b/poolmerge");
        assert_eq!(command_word("poolmerge merge"), "poolmerge");
        assert_eq!(command_word("\"/x/y\" merge"), "/x/y");
        assert_eq!(command_word("'/it'\\''s/pm' merge"), "/it's/pm");
    }
}
