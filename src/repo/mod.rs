//! The repository seam: git2 for the repository, its index and its objects; the git
//! command for what git itself must answer (attributes, with macros and
//! `--source`; the tree merge of `check --merge`); configuration including what
//! `git -c` passes to child processes through `GIT_CONFIG_PARAMETERS` (and
//! `GIT_CONFIG_COUNT`), which libgit2 does not read; git's end-of-line conversion for
//! files written to the work tree.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use anyhow::{Context, Result, anyhow, bail};
use git2::Repository;

mod attributes;
mod gitconfig;
pub(crate) use attributes::*;
pub(crate) use gitconfig::*;

pub(crate) mod index;

/// The merge attribute value that routes a path to poolmerge.
pub(crate) const DRIVER: &str = "poolmerge";

/// Opens the repository git itself would use here: `git rev-parse` resolves
/// `GIT_DIR`, `GIT_WORK_TREE` (git runs hooks with `GIT_WORK_TREE=.`), `core.worktree`,
/// linked worktrees and submodules, and libgit2 is opened on exactly that git
/// directory and work tree. libgit2 reads objects, references and configuration; the
/// index goes through git's own plumbing ([`index`]), which reads every format git
/// writes.
pub(crate) fn open() -> Result<Repository> {
    let out = Command::new("git")
        .args([
            "rev-parse",
            "--path-format=absolute",
            "--git-dir",
            "--is-bare-repository",
            "--show-toplevel",
        ])
        .stdin(Stdio::null())
        .output()
        .context("cannot run git (is it installed and on PATH?)")?;
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    let (Some(git_dir), Some(bare)) = (lines.next(), lines.next()) else {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why
            .lines()
            .next()
            .unwrap_or_default()
            .trim_start_matches("fatal: ");
        // git's own line where it says just that; its reason otherwise (a dubious
        // owner, a broken .git file).
        if why.starts_with("not a git repository") {
            bail!("{why}");
        }
        bail!("not in a git repository: {why}");
    };
    let repo = Repository::open(git_dir)
        .map_err(|e| anyhow!("cannot open the repository {git_dir}: {}", e.message()))?;
    // Without --show-toplevel's answer (inside the git directory), libgit2's own idea
    // of the work tree stands.
    if bare != "true"
        && let Some(top) = lines.next().filter(|_| out.status.success())
    {
        repo.set_workdir(Path::new(top), false)
            .map_err(|e| anyhow!("cannot use the work tree {top}: {}", e.message()))?;
    }
    Ok(repo)
}

/// Where git runs for this repository: the work tree's root, or the git directory of
/// a bare repository.
pub(crate) fn git_cwd(repo: &Repository) -> &Path {
    repo.workdir().unwrap_or_else(|| repo.path())
}

/// A git command for this repository: run at the work tree's root with the git
/// directory and work tree named absolutely (whatever relative `GIT_DIR` or
/// `GIT_WORK_TREE` poolmerge itself was given), and `GIT_INDEX_FILE` as git set it
/// (made absolute; dropped when empty, as `git am` leaves it for its hooks).
pub(crate) fn git_command(repo: &Repository) -> Command {
    let mut cmd = Command::new("git");
    cmd.current_dir(git_cwd(repo)).env("GIT_DIR", repo.path());
    match repo.workdir() {
        Some(dir) => cmd.env("GIT_WORK_TREE", dir),
        None => cmd.env_remove("GIT_WORK_TREE"),
    };
    match std::env::var_os("GIT_INDEX_FILE") {
        Some(v) if v.is_empty() => {
            cmd.env_remove("GIT_INDEX_FILE");
        }
        Some(v) if Path::new(&v).is_relative() => {
            if let Ok(cwd) = std::env::current_dir() {
                cmd.env("GIT_INDEX_FILE", cwd.join(v));
            }
        }
        _ => {}
    }
    cmd
}

/// Runs git in the repository and returns its standard output; `ok_codes` are the
/// exit statuses that count as success.
/// A blob's bytes: from libgit2, or, where it does not have the object (a partial
/// clone fetches blobs only as git needs them, and libgit2 cannot fetch), through
/// `git cat-file`, which fetches it from the promisor remote.
pub(crate) fn read_blob(repo: &Repository, oid: git2::Oid) -> Result<Vec<u8>> {
    match repo.find_blob(oid) {
        Ok(blob) => Ok(blob.content().to_vec()),
        Err(e) if e.code() == git2::ErrorCode::NotFound => {
            let oid = oid.to_string();
            match git(repo, &["cat-file", "blob", &oid], None, &[0, 128]) {
                Ok((0, bytes)) => Ok(bytes),
                _ => bail!(
                    "object {oid} is missing from this repository (a partial or shallow clone?), and git could not fetch it"
                ),
            }
        }
        Err(e) => Err(e.into()),
    }
}

pub(crate) fn git(
    repo: &Repository,
    args: &[&str],
    input: Option<&[u8]>,
    ok_codes: &[i32],
) -> Result<(i32, Vec<u8>)> {
    let out = git_output(repo, args, input)?;
    finish(args, out, ok_codes)
}

/// Runs git in the repository with `input` on its standard input; all it returned.
pub(crate) fn git_output(
    repo: &Repository,
    args: &[&str],
    input: Option<&[u8]>,
) -> Result<std::process::Output> {
    let mut cmd = git_command(repo);
    cmd.args(args)
        .stdin(if input.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .context("cannot run git (is it installed and on PATH?)")?;
    if let Some(data) = input {
        let mut stdin = child.stdin.take().expect("stdin is piped");
        let data = data.to_vec();
        // Written from a thread: git may fill its output pipe before reading all input.
        let writer = std::thread::spawn(move || stdin.write_all(&data));
        let out = child.wait_with_output()?;
        writer
            .join()
            .map_err(|_| anyhow!("writing to git failed"))??;
        return Ok(out);
    }
    Ok(child.wait_with_output()?)
}

/// git running in the background (see [`spawn_git`]).
pub(crate) struct Running {
    args: Vec<String>,
    reader: std::thread::JoinHandle<std::io::Result<std::process::Output>>,
    /// Files git reads while it runs (a rerouted attribute file), kept until it ends.
    held: Option<Rerouted>,
}

impl Running {
    /// Keeps `files` until git has finished.
    pub(crate) fn holding(self, files: Rerouted) -> Running {
        Running {
            held: Some(files),
            ..self
        }
    }

    /// Waits for git; its exit status and standard output, as [`git`] gives them.
    pub(crate) fn wait(self, ok_codes: &[i32]) -> Result<(i32, Vec<u8>)> {
        let out = self
            .reader
            .join()
            .map_err(|_| anyhow!("waiting for git failed"))??;
        drop(self.held);
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        finish(&args, out, ok_codes)
    }
}

/// Starts git in the repository with extra environment variables and returns at once,
/// so that work can go on while it runs.
pub(crate) fn spawn_git(
    repo: &Repository,
    args: &[String],
    envs: &[(String, String)],
) -> Result<Running> {
    let mut cmd = git_command(repo);
    cmd.args(args)
        .envs(envs.iter().map(|(k, v)| (k, v)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let child = cmd
        .spawn()
        .context("cannot run git (is it installed and on PATH?)")?;
    // Read from a thread: git blocks once its output pipe is full.
    let reader = std::thread::spawn(move || child.wait_with_output());
    Ok(Running {
        args: args.to_vec(),
        reader,
        held: None,
    })
}

fn finish(args: &[&str], out: std::process::Output, ok_codes: &[i32]) -> Result<(i32, Vec<u8>)> {
    let code = out.status.code().unwrap_or(-1);
    if !ok_codes.contains(&code) {
        let sub = args
            .iter()
            .find(|a| !a.starts_with('-') && !a.contains('='))
            .unwrap_or(&"");
        bail!(
            "git {sub} failed: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        );
    }
    Ok((code, out.stdout))
}

/// Paths in the index (each once, whatever its stages), repository-relative.
pub(crate) fn tracked_files(repo: &Repository) -> Result<Vec<String>> {
    index::tracked(repo)
}

/// How the repository converts line endings when it writes the work tree.
#[derive(Debug, Clone, Default)]
pub(crate) struct EolConfig {
    /// `core.autocrlf`: `true`, `input` or `false`.
    pub autocrlf: String,
    /// `core.eol`: `lf`, `crlf` or `native`.
    pub eol: String,
}

impl EolConfig {
    /// Reads `core.autocrlf` and `core.eol`.
    pub(crate) fn read(repo: &Repository) -> EolConfig {
        let get = |k: &str| {
            config_string(Some(repo), k)
                .unwrap_or_default()
                .to_ascii_lowercase()
        };
        EolConfig {
            autocrlf: get("core.autocrlf"),
            eol: get("core.eol"),
        }
    }

    /// The bytes git would write to the work tree for `content` (as stored in the
    /// repository), for a path with these attributes: LF turned into CRLF where the
    /// `text`/`eol` attributes and `core.autocrlf`/`core.eol` ask for it.
    pub(crate) fn to_worktree(&self, content: &[u8], attrs: &Attributes, path: &str) -> Vec<u8> {
        let text = attrs
            .get(path)
            .and_then(|a| a.get("text"))
            .map(String::as_str)
            .unwrap_or("unspecified");
        let eol = attr(attrs, path, "eol");
        let autocrlf = matches!(self.autocrlf.as_str(), "true" | "yes" | "on" | "1");
        // None: leave as is; Some(auto): convert (auto: only text without CRLF already).
        let convert = match (text, eol) {
            ("unset", _) => None,
            (_, Some("crlf")) => Some(text != "set"),
            (_, Some("lf")) => None,
            ("set", _) if autocrlf || self.eol == "crlf" => Some(false),
            ("auto", _) if autocrlf || self.eol == "crlf" => Some(true),
            ("unspecified", _) if autocrlf => Some(true),
            _ => None,
        };
        let Some(auto) = convert else {
            return content.to_vec();
        };
        if auto && (content.contains(&0) || content.windows(2).any(|w| w == b"\r\n")) {
            return content.to_vec();
        }
        let mut out = Vec::with_capacity(content.len() + content.len() / 16);
        for (i, &b) in content.iter().enumerate() {
            if b == b'\n' && (i == 0 || content[i - 1] != b'\r') {
                out.push(b'\r');
            }
            out.push(b);
        }
        out
    }
}

/// A path given on the command line, relative to the current directory, as a path
/// relative to the work tree's root.
pub(crate) fn repo_relative(repo: &Repository, path: &Path) -> Result<String> {
    let workdir = repo
        .workdir()
        .ok_or_else(|| anyhow!("a bare repository has no work tree"))?;
    let cwd = std::env::current_dir()?;
    let absolute = cwd.join(path);
    let workdir = workdir
        .canonicalize()
        .unwrap_or_else(|_| workdir.to_path_buf());
    let parent = absolute
        .parent()
        .map(|p| p.canonicalize().unwrap_or_else(|_| p.to_path_buf()));
    let absolute = match (parent, absolute.file_name()) {
        (Some(p), Some(name)) => p.join(name),
        _ => absolute,
    };
    let rel = absolute
        .strip_prefix(&workdir)
        .map_err(|_| anyhow!("{} is outside the repository", path.display()))?;
    Ok(rel.to_string_lossy().replace('\\', "/"))
}

/// Paths given on the command line, as paths relative to the work tree's root.
pub(crate) fn repo_relative_all(repo: &Repository, paths: &[PathBuf]) -> Result<Vec<String>> {
    paths.iter().map(|p| repo_relative(repo, p)).collect()
}

/// The repository around the current directory (honouring `GIT_DIR` and friends).
pub(crate) fn discover() -> Option<Repository> {
    Repository::open_from_env().ok()
}

/// Where decisions are logged: `poolmerge.log` in the repository's git directory
/// (the main one, for a linked work tree).
pub(crate) fn log_path(repo: &Repository) -> PathBuf {
    repo.commondir().join("poolmerge.log")
}

/// Where decisions are logged for a command run in a work tree: through `GIT_DIR`, or
/// `.git` in the current directory (git runs merge drivers at the work tree's root),
/// else the repository libgit2 finds around the current directory.
pub(crate) fn log_path_here<'r>(repo: impl FnOnce() -> Option<&'r Repository>) -> Option<PathBuf> {
    let common = |gitdir: PathBuf| -> PathBuf {
        match std::fs::read_to_string(gitdir.join("commondir")) {
            Ok(rel) => gitdir.join(rel.trim()),
            Err(_) => gitdir,
        }
    };
    if let Some(dir) = std::env::var_os("GIT_DIR") {
        return Some(common(PathBuf::from(dir)).join("poolmerge.log"));
    }
    let dot = Path::new(".git");
    if dot.is_dir() {
        return Some(common(dot.to_path_buf()).join("poolmerge.log"));
    }
    if let Ok(text) = std::fs::read_to_string(dot)
        && let Some(dir) = text.trim().strip_prefix("gitdir:")
    {
        return Some(common(PathBuf::from(dir.trim())).join("poolmerge.log"));
    }
    repo().map(log_path)
}

#[cfg(test)]
mod tests;
