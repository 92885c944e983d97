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

pub mod index;

/// The merge attribute value that routes a path to poolmerge.
pub const DRIVER: &str = "poolmerge";

/// Opens the repository git itself would use here: `git rev-parse` resolves
/// `GIT_DIR`, `GIT_WORK_TREE` (git runs hooks with `GIT_WORK_TREE=.`), `core.worktree`,
/// linked worktrees and submodules, and libgit2 is opened on exactly that git
/// directory and work tree. libgit2 reads objects, references and configuration; the
/// index goes through git's own plumbing ([`index`]), which reads every format git
/// writes.
pub fn open() -> Result<Repository> {
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
        bail!("not in a git repository ({why})");
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
pub fn git_cwd(repo: &Repository) -> &Path {
    repo.workdir().unwrap_or_else(|| repo.path())
}

/// A git command for this repository: run at the work tree's root with the git
/// directory and work tree named absolutely (whatever relative `GIT_DIR` or
/// `GIT_WORK_TREE` poolmerge itself was given), and `GIT_INDEX_FILE` as git set it
/// (made absolute; dropped when empty, as `git am` leaves it for its hooks).
pub fn git_command(repo: &Repository) -> Command {
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
pub fn git(
    repo: &Repository,
    args: &[&str],
    input: Option<&[u8]>,
    ok_codes: &[i32],
) -> Result<(i32, Vec<u8>)> {
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
        return finish(args, out, ok_codes);
    }
    let out = child.wait_with_output()?;
    finish(args, out, ok_codes)
}

/// git running in the background (see [`spawn_git`]).
pub struct Running {
    args: Vec<String>,
    reader: std::thread::JoinHandle<std::io::Result<std::process::Output>>,
}

impl Running {
    /// Waits for git; its exit status and standard output, as [`git`] gives them.
    pub fn wait(self, ok_codes: &[i32]) -> Result<(i32, Vec<u8>)> {
        let out = self
            .reader
            .join()
            .map_err(|_| anyhow!("waiting for git failed"))??;
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        finish(&args, out, ok_codes)
    }
}

/// Starts git in the repository with extra environment variables and returns at once,
/// so that work can go on while it runs.
pub fn spawn_git(repo: &Repository, args: &[String], envs: &[(String, String)]) -> Result<Running> {
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

/// Attribute values of paths, as `git check-attr` reports them (`set`, `unset`,
/// `unspecified`, or the value).
pub type Attributes = HashMap<String, HashMap<String, String>>;

/// Looks up `attrs` for `paths` with git's own rules; `source` reads the attribute
/// files from that tree instead of the work tree (for bare repositories).
pub fn attributes(
    repo: &Repository,
    paths: &[String],
    attrs: &[&str],
    source: Option<&str>,
) -> Result<Attributes> {
    let mut out: Attributes = HashMap::new();
    if paths.is_empty() {
        return Ok(out);
    }
    let mut args = vec!["check-attr".to_string(), "-z".into(), "--stdin".into()];
    if let Some(s) = source {
        args.push(format!("--source={s}"));
    }
    args.extend(attrs.iter().map(std::string::ToString::to_string));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    let (_, stdout) = git(repo, &args, Some(&input), &[0])?;
    let fields: Vec<&[u8]> = stdout.split(|&b| b == 0).collect();
    for chunk in fields.chunks(3) {
        if let [path, attr, value] = chunk {
            out.entry(String::from_utf8_lossy(path).into_owned())
                .or_default()
                .insert(
                    String::from_utf8_lossy(attr).into_owned(),
                    String::from_utf8_lossy(value).into_owned(),
                );
        }
    }
    Ok(out)
}

/// The value of one attribute of a path, if it has a value or is set.
pub fn attr<'a>(attrs: &'a Attributes, path: &str, name: &str) -> Option<&'a str> {
    attrs
        .get(path)
        .and_then(|a| a.get(name))
        .map(String::as_str)
        .filter(|v| *v != "unspecified")
}

/// Whether a path's `merge` attribute routes it to poolmerge.
pub fn owned(attrs: &Attributes, path: &str) -> bool {
    attr(attrs, path, "merge") == Some(DRIVER)
}

/// The conflict-marker size attribute of a path, else git's default.
pub fn marker_size(attrs: &Attributes, path: &str) -> usize {
    attr(attrs, path, "conflict-marker-size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(crate::conflict::DEFAULT_MARKER_SIZE)
}

/// `text` (attribute lines) with every `merge=<driver>` made `merge=<to>`; `None` when
/// no line names the driver.
pub fn reroute(text: &[u8], driver: &str, to: &str) -> Option<Vec<u8>> {
    let from = format!("merge={driver}");
    let mut out = Vec::with_capacity(text.len());
    let mut changed = false;
    let mut i = 0;
    while i < text.len() {
        if text[i].is_ascii_whitespace() {
            out.push(text[i]);
            i += 1;
            continue;
        }
        let end = text[i..]
            .iter()
            .position(u8::is_ascii_whitespace)
            .map_or(text.len(), |p| i + p);
        if &text[i..end] == from.as_bytes() {
            out.extend_from_slice(b"merge=");
            out.extend_from_slice(to.as_bytes());
            changed = true;
        } else {
            out.extend_from_slice(&text[i..end]);
        }
        i = end;
    }
    changed.then_some(out)
}

/// How to run git with every path routed to poolmerge merged by another driver
/// instead: extra arguments and environment, and the temporary files they name.
pub struct Rerouted {
    pub args: Vec<String>,
    pub envs: Vec<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// The attributes git reads, with poolmerge's route made `merge=<to>` (written as a
/// tree of `.gitattributes` files for `--attr-source`, and a copy of the user's and
/// the system's attribute files). `None` when `$GIT_DIR/info/attributes` routes paths
/// to poolmerge: it outranks every source git can be pointed at.
pub fn rerouted(repo: &Repository, to: &str) -> Result<Option<Rerouted>> {
    let info = repo.commondir().join("info").join("attributes");
    if std::fs::read(&info).is_ok_and(|t| reroute(&t, DRIVER, to).is_some()) {
        return Ok(None);
    }
    // The `.gitattributes` files git would read: the work tree's, else the index's
    // (HEAD's in a bare repository).
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let is_attributes = |p: &str| p == ".gitattributes" || p.ends_with("/.gitattributes");
    if let Some(dir) = repo.workdir() {
        for entry in index::entries(repo, &[":(glob)**/.gitattributes".to_string()])? {
            if !is_attributes(&entry.path) || entry.stage != 0 {
                continue;
            }
            let text = match std::fs::read(dir.join(&entry.path)) {
                Ok(t) => t,
                Err(_) => repo.find_blob(entry.oid)?.content().to_vec(),
            };
            files.push((entry.path, text));
        }
    } else if let Ok(head) = repo.head().and_then(|h| h.peel_to_tree()) {
        head.walk(git2::TreeWalkMode::PreOrder, |root, entry| {
            let path = format!("{root}{}", entry.name().unwrap_or_default());
            if entry.kind() == Some(git2::ObjectType::Blob)
                && is_attributes(&path)
                && let Ok(blob) = repo.find_blob(entry.id())
            {
                files.push((path, blob.content().to_vec()));
            }
            git2::TreeWalkResult::Ok
        })?;
    }
    let mut args = Vec::new();
    let mut envs = Vec::new();
    if files.iter().any(|(_, t)| reroute(t, DRIVER, to).is_some()) {
        let empty = repo.treebuilder(None)?.write()?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, text) in &files {
            let text = reroute(text, DRIVER, to).unwrap_or_else(|| text.clone());
            update.upsert(path.as_str(), repo.blob(&text)?, git2::FileMode::Blob);
        }
        let tree = update.create_updated(repo, &repo.find_tree(empty)?)?;
        args.push(format!("--attr-source={tree}"));
    } else if repo.is_bare() {
        args.push("--attr-source=HEAD".to_string());
    }
    // The lowest-ranked sources: the system's file, then the user's.
    let system = if std::env::var_os("GIT_ATTR_NOSYSTEM").is_some() {
        None
    } else {
        std::fs::read("/etc/gitattributes").ok()
    };
    let global_path = repo
        .config()
        .ok()
        .and_then(|c| c.get_path("core.attributesFile").ok())
        .or_else(|| match std::env::var_os("XDG_CONFIG_HOME") {
            Some(x) if !x.is_empty() => Some(PathBuf::from(x).join("git/attributes")),
            _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/git/attributes")),
        });
    let global = global_path.as_ref().and_then(|p| std::fs::read(p).ok());
    let system_routes = system
        .as_ref()
        .is_some_and(|t| reroute(t, DRIVER, to).is_some());
    let global_routes = global
        .as_ref()
        .is_some_and(|t| reroute(t, DRIVER, to).is_some());
    let mut dir = None;
    if system_routes || global_routes {
        let tmp = tempfile::Builder::new()
            .prefix("poolmerge-attributes-")
            .tempdir()?;
        let mut text = Vec::new();
        for part in [&system, &global].into_iter().flatten() {
            text.extend(reroute(part, DRIVER, to).unwrap_or_else(|| part.clone()));
            text.push(b'\n');
        }
        let path = tmp.path().join("attributes");
        std::fs::write(&path, text)?;
        args.insert(0, format!("core.attributesFile={}", path.display()));
        args.insert(0, "-c".to_string());
        if system.is_some() {
            envs.push(("GIT_ATTR_NOSYSTEM".to_string(), "1".to_string()));
        }
        dir = Some(tmp);
    }
    Ok(Some(Rerouted {
        args,
        envs,
        _dir: dir,
    }))
}

/// The attributes poolmerge reads for the files it writes.
pub const FILE_ATTRS: &[&str] = &["merge", "conflict-marker-size", "text", "eol"];

/// Paths in the index (each once, whatever its stages), repository-relative.
pub fn tracked_files(repo: &Repository) -> Result<Vec<String>> {
    index::tracked(repo)
}

/// How the repository converts line endings when it writes the work tree.
#[derive(Debug, Clone, Default)]
pub struct EolConfig {
    /// `core.autocrlf`: `true`, `input` or `false`.
    pub autocrlf: String,
    /// `core.eol`: `lf`, `crlf` or `native`.
    pub eol: String,
}

impl EolConfig {
    /// Reads `core.autocrlf` and `core.eol`.
    pub fn read(repo: &Repository) -> EolConfig {
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
    pub fn to_worktree(&self, content: &[u8], attrs: &Attributes, path: &str) -> Vec<u8> {
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
pub fn repo_relative(repo: &Repository, path: &Path) -> Result<String> {
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
pub fn repo_relative_all(repo: &Repository, paths: &[PathBuf]) -> Result<Vec<String>> {
    paths.iter().map(|p| repo_relative(repo, p)).collect()
}

/// The repository around the current directory (honouring `GIT_DIR` and friends).
pub fn discover() -> Option<Repository> {
    Repository::open_from_env().ok()
}

/// Where decisions are logged: `poolmerge.log` in the repository's git directory
/// (the main one, for a linked work tree).
pub fn log_path(repo: &Repository) -> PathBuf {
    repo.commondir().join("poolmerge.log")
}

/// Where decisions are logged for a command run in a work tree: through `GIT_DIR`, or
/// `.git` in the current directory (git runs merge drivers at the work tree's root),
/// else the repository libgit2 finds around the current directory.
pub fn log_path_here() -> Option<PathBuf> {
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
    discover().map(|r| log_path(&r))
}

/// A configuration value given through the environment (`git -c`), if any.
pub fn config_string_from_env(key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    env_config()
        .into_iter()
        .rev()
        .find(|(k, _)| k.to_ascii_lowercase() == key)
        .map(|(_, v)| v.unwrap_or_else(|| "true".to_string()))
}

/// A configuration value, with git's precedence: `git -c` (and `GIT_CONFIG_COUNT`)
/// over the repository's, the user's and the system's files. `key` is
/// `section.name`, compared case-insensitively.
pub fn config_string(repo: Option<&Repository>, key: &str) -> Option<String> {
    if let Some(value) = config_string_from_env(key) {
        return Some(value);
    }
    let key = key.to_ascii_lowercase();
    let config = match repo {
        Some(r) => r.config().ok()?,
        None => git2::Config::open_default().ok()?,
    };
    config.get_string(&key).ok()
}

/// Configuration passed through the environment, in the order git applies it.
fn env_config() -> Vec<(String, Option<String>)> {
    let mut out = Vec::new();
    if let Some(count) = std::env::var("GIT_CONFIG_COUNT")
        .ok()
        .and_then(|c| c.parse::<usize>().ok())
    {
        for i in 0..count {
            if let Ok(key) = std::env::var(format!("GIT_CONFIG_KEY_{i}")) {
                let value = std::env::var(format!("GIT_CONFIG_VALUE_{i}")).ok();
                out.push((key, value));
            }
        }
    }
    if let Ok(params) = std::env::var("GIT_CONFIG_PARAMETERS") {
        out.extend(parse_config_parameters(&params));
    }
    out
}

/// Parses `GIT_CONFIG_PARAMETERS`: shell-single-quoted entries separated by spaces,
/// either `'key'='value'` (git 2.31 and later), `'key'` (a boolean), or the older
/// `'key=value'`.
pub fn parse_config_parameters(s: &str) -> Vec<(String, Option<String>)> {
    let b = s.as_bytes();
    let mut i = 0;
    let mut out = Vec::new();
    loop {
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let Some(key) = sq_token(b, &mut i) else {
            break;
        };
        if b.get(i) == Some(&b'=') {
            i += 1;
            let value = if b.get(i) == Some(&b'\'') {
                match sq_token(b, &mut i) {
                    Some(v) => v,
                    None => break,
                }
            } else {
                String::new()
            };
            out.push((key, Some(value)));
        } else {
            match key.split_once('=') {
                Some((k, v)) => out.push((k.to_string(), Some(v.to_string()))),
                None => out.push((key, None)),
            }
        }
    }
    out
}

/// One single-quoted token, with `'\''` and `'\!'` escapes.
fn sq_token(b: &[u8], i: &mut usize) -> Option<String> {
    if b.get(*i) != Some(&b'\'') {
        return None;
    }
    *i += 1;
    let mut out = Vec::new();
    loop {
        match b.get(*i) {
            None => return None,
            Some(b'\'') => {
                *i += 1;
                if b.get(*i) == Some(&b'\\') && b.get(*i + 2) == Some(&b'\'') {
                    out.push(b[*i + 1]);
                    *i += 3;
                    continue;
                }
                return Some(String::from_utf8_lossy(&out).into_owned());
            }
            Some(&c) => {
                out.push(c);
                *i += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs(text: &str, eol: &str) -> Attributes {
        let mut a = HashMap::new();
        a.insert("text".to_string(), text.to_string());
        a.insert("eol".to_string(), eol.to_string());
        HashMap::from([("f.py".to_string(), a)])
    }

    #[test]
    fn worktree_line_endings_follow_git() {
        let cfg = |autocrlf: &str| EolConfig {
            autocrlf: autocrlf.into(),
            eol: String::new(),
        };
        let lf = b"a\nb\n";
        let t = |c: &EolConfig, text, eol| c.to_worktree(lf, &attrs(text, eol), "f.py");
        assert_eq!(t(&cfg("true"), "unspecified", "unspecified"), b"a\r\nb\r\n");
        assert_eq!(t(&cfg("false"), "unspecified", "unspecified"), lf);
        assert_eq!(t(&cfg("input"), "auto", "unspecified"), lf);
        assert_eq!(t(&cfg("false"), "set", "crlf"), b"a\r\nb\r\n");
        assert_eq!(t(&cfg("true"), "unset", "unspecified"), lf);
        assert_eq!(t(&cfg("true"), "set", "lf"), lf);
        assert_eq!(
            cfg("true").to_worktree(b"a\r\nb\n", &attrs("auto", "unspecified"), "f.py"),
            b"a\r\nb\n"
        );
    }

    #[test]
    fn parses_new_and_old_parameter_formats() {
        let p = parse_config_parameters(
            "'merge.conflictStyle'='zdiff3' 'core.x' 'a.b=c'  'q.r'='it'\\''s'",
        );
        assert_eq!(
            p,
            vec![
                ("merge.conflictStyle".into(), Some("zdiff3".into())),
                ("core.x".into(), None),
                ("a.b".into(), Some("c".into())),
                ("q.r".into(), Some("it's".into())),
            ]
        );
    }
}
