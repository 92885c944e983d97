//! git attributes: looked up with `git check-attr` (what git itself decides, whatever
//! file the line sits in), the paths routed to poolmerge, marker sizes, and the
//! reroute that lets `check --merge` run git's tree merge without the driver.

use super::*;

/// Attribute values of paths, as `git check-attr` reports them (`set`, `unset`,
/// `unspecified`, or the value).
pub(crate) type Attributes = HashMap<String, HashMap<String, String>>;

/// Looks up `attrs` for `paths` with git's own rules; `source` reads the attribute
/// files from that tree instead of the work tree (for bare repositories).
pub(crate) fn attributes(
    repo: &Repository,
    paths: &[String],
    attrs: &[&str],
    source: Option<&str>,
) -> Result<Attributes> {
    if paths.is_empty() {
        return Ok(HashMap::new());
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
    Ok(parse_check_attr(&stdout))
}

/// `git check-attr -z`'s output, by path.
fn parse_check_attr(stdout: &[u8]) -> Attributes {
    let mut out: Attributes = HashMap::new();
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
    out
}

/// [`attributes`] looked up while other work goes on: [`Pending::finish`] gives them.
pub(crate) struct Pending(std::thread::JoinHandle<std::io::Result<std::process::Output>>);

/// Starts looking up `attrs` of `paths` (see [`attributes`]) and returns at once.
pub(crate) fn attributes_later(
    repo: &Repository,
    paths: &[String],
    attrs: &[&str],
) -> Result<Pending> {
    use std::io::Write;
    use std::process::Stdio;
    let mut cmd = super::git_command(repo);
    cmd.args(["check-attr", "-z", "--stdin"])
        .args(attrs)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .context("cannot run git (is it installed and on PATH?)")?;
    let mut input = Vec::new();
    for p in paths {
        input.extend_from_slice(p.as_bytes());
        input.push(0);
    }
    let mut stdin = child.stdin.take().context("git check-attr has no input")?;
    Ok(Pending(std::thread::spawn(move || {
        // Written from a thread: git may fill its output pipe before reading all input.
        let writer = std::thread::spawn(move || stdin.write_all(&input));
        let out = child.wait_with_output()?;
        writer
            .join()
            .map_err(|_| std::io::Error::other("writing to git check-attr failed"))??;
        Ok(out)
    })))
}

impl Pending {
    /// The attributes, once git has given them.
    pub(crate) fn finish(self) -> Result<Attributes> {
        let out = self
            .0
            .join()
            .map_err(|_| anyhow::anyhow!("git check-attr could not be waited for"))??;
        if !out.status.success() {
            anyhow::bail!(
                "git check-attr failed: {}",
                String::from_utf8_lossy(&out.stderr).trim()
            );
        }
        Ok(parse_check_attr(&out.stdout))
    }
}

/// The value of one attribute of a path, if it has a value or is set.
pub(crate) fn attr<'a>(attrs: &'a Attributes, path: &str, name: &str) -> Option<&'a str> {
    attrs
        .get(path)
        .and_then(|a| a.get(name))
        .map(String::as_str)
        .filter(|v| *v != "unspecified")
}

/// Whether a path's `merge` attribute routes it to poolmerge.
pub(crate) fn owned(attrs: &Attributes, path: &str) -> bool {
    attr(attrs, path, "merge") == Some(DRIVER)
}

/// The conflict-marker size attribute of a path, else git's default.
pub(crate) fn marker_size(attrs: &Attributes, path: &str) -> usize {
    attr(attrs, path, "conflict-marker-size")
        .and_then(|v| v.parse::<usize>().ok())
        .filter(|&n| n > 0)
        .unwrap_or(crate::conflict::DEFAULT_MARKER_SIZE)
}

/// `text` (attribute lines) with every `merge=<driver>` made `merge=<to>`; `None` when
/// no line names the driver.
pub(crate) fn reroute(text: &[u8], driver: &str, to: &str) -> Option<Vec<u8>> {
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
pub(crate) struct Rerouted {
    pub args: Vec<String>,
    pub envs: Vec<(String, String)>,
    _dir: Option<tempfile::TempDir>,
}

/// Every attribute file git reads here, besides the built-in ones: the
/// `.gitattributes` files (the work tree's, else the index's; HEAD's in a bare
/// repository), `$GIT_DIR/info/attributes`, the user's file and the system's.
pub(crate) struct Sources {
    /// `.gitattributes` files: path in the tree, text.
    files: Vec<(String, Vec<u8>)>,
    info: Option<Vec<u8>>,
    system: Option<Vec<u8>>,
    global: Option<Vec<u8>>,
    /// `core.ignoreCase`: patterns match paths in any case.
    ignore_case: bool,
}

/// Reads every attribute file git would read for the paths of this repository.
pub(crate) fn sources(repo: &Repository) -> Result<Sources> {
    let info = std::fs::read(repo.commondir().join("info").join("attributes")).ok();
    let mut files: Vec<(String, Vec<u8>)> = Vec::new();
    let is_attributes = |p: &str| p == ".gitattributes" || p.ends_with("/.gitattributes");
    if let Some(dir) = repo.workdir() {
        for entry in index::entries(repo, &[":(glob)**/.gitattributes".to_string()])? {
            if !is_attributes(&entry.path) || entry.stage != 0 {
                continue;
            }
            let text = match std::fs::read(dir.join(&entry.path)) {
                Ok(t) => t,
                Err(_) => read_blob(repo, entry.oid)?,
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
    let system = if std::env::var_os("GIT_ATTR_NOSYSTEM").is_some() {
        None
    } else {
        std::fs::read("/etc/gitattributes").ok()
    };
    let config = repo.config().ok();
    let global_path = config
        .as_ref()
        .and_then(|c| c.get_path("core.attributesFile").ok())
        .or_else(|| match std::env::var_os("XDG_CONFIG_HOME") {
            Some(x) if !x.is_empty() => Some(PathBuf::from(x).join("git/attributes")),
            _ => std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config/git/attributes")),
        });
    let global = global_path.as_ref().and_then(|p| std::fs::read(p).ok());
    let ignore_case = config_bool(Some(repo), "core.ignoreCase");
    Ok(Sources {
        files,
        info,
        system,
        global,
        ignore_case,
    })
}

/// The paths some attribute line that routes to poolmerge could match: a superset of
/// the owned paths, worked out from the lines' patterns (their literal start and end),
/// so that `git check-attr` is asked about those paths only. A line git could read in
/// another way (a macro, a quoted pattern) makes every path a candidate.
pub(crate) struct Candidates {
    every: bool,
    /// `(prefix, suffix)`: a candidate starts with one and ends with the other.
    rules: Vec<(String, String)>,
    ignore_case: bool,
}

impl Candidates {
    /// The candidates of every line in `sources` that names poolmerge's driver.
    pub(crate) fn of(sources: &Sources) -> Candidates {
        let mut out = Candidates {
            every: false,
            rules: Vec::new(),
            ignore_case: sources.ignore_case,
        };
        let route = format!("merge={DRIVER}");
        let rooted = [&sources.info, &sources.system, &sources.global];
        let all = sources
            .files
            .iter()
            .map(|(path, text)| (&path[..path.len() - ".gitattributes".len()], text))
            .chain(rooted.into_iter().flatten().map(|t| ("", t)));
        for (dir, text) in all {
            for line in String::from_utf8_lossy(text).lines() {
                let mut words = line.split_whitespace();
                let Some(pattern) = words.next() else {
                    continue;
                };
                if pattern.starts_with('#') || !words.any(|w| w == route) {
                    continue;
                }
                match rule(dir, pattern) {
                    Some(r) => out.rules.push(r),
                    None => out.every = true,
                }
            }
        }
        if out.ignore_case {
            for (prefix, suffix) in &mut out.rules {
                *prefix = prefix.to_lowercase();
                *suffix = suffix.to_lowercase();
            }
        }
        out
    }

    /// Whether some routing line could match a path under the directory `dir`
    /// (`a/b/`): a tree walk skips the others.
    pub(crate) fn may_hold(&self, dir: &str) -> bool {
        self.any(dir, |dir, prefix, _| {
            prefix.starts_with(dir) || dir.starts_with(prefix)
        })
    }

    /// Whether some routing line could match `path`.
    pub(crate) fn may_route(&self, path: &str) -> bool {
        self.any(path, |path, prefix, suffix| {
            path.starts_with(prefix) && path.ends_with(suffix)
        })
    }

    /// Whether every path is a candidate, or `test` takes `path` (in lower case where
    /// git matches in any case) with some rule's prefix and suffix.
    fn any(&self, path: &str, test: impl Fn(&str, &str, &str) -> bool) -> bool {
        if self.every {
            return true;
        }
        let path = if self.ignore_case {
            std::borrow::Cow::Owned(path.to_lowercase())
        } else {
            std::borrow::Cow::Borrowed(path)
        };
        self.rules
            .iter()
            .any(|(prefix, suffix)| test(&path, prefix, suffix))
    }
}

/// The literal start and end every path `pattern` (in the attributes file of `dir`)
/// matches; `None` for a pattern read otherwise than as a plain pattern.
fn rule(dir: &str, pattern: &str) -> Option<(String, String)> {
    if pattern.starts_with("[attr]") || pattern.starts_with('"') || pattern.starts_with('!') {
        return None;
    }
    let (anchored, body) = match pattern.strip_prefix('/') {
        Some(rest) => (true, rest),
        None => (pattern.contains('/'), pattern),
    };
    if body.is_empty() || body.ends_with('/') {
        return None;
    }
    let wild = |c: char| matches!(c, '*' | '?' | '[' | '\\');
    let first = body.find(wild);
    let last = body.rfind(wild);
    let prefix = match (anchored, first) {
        (true, Some(i)) => format!("{dir}{}", &body[..i]),
        (true, None) => format!("{dir}{body}"),
        (false, _) => dir.to_string(),
    };
    let suffix = match last {
        Some(i) => body[i + 1..].to_string(),
        None => body.to_string(),
    };
    Some((prefix, suffix))
}

/// The attributes git reads, with poolmerge's route made `merge=<to>`: a tree of
/// `.gitattributes` files for `--attr-source`, a copy of the user's and the system's
/// attribute files, and, where `$GIT_DIR/info/attributes` routes paths, a stand-in
/// common directory (`GIT_COMMON_DIR`) holding that file rerouted, the repository's
/// configuration and shallow list, and no refs, with the objects still the
/// repository's (`GIT_OBJECT_DIRECTORY`): for a git command that names its commits by
/// id, such as `git merge-tree --write-tree`.
pub(crate) fn rerouted(repo: &Repository, sources: &Sources, to: &str) -> Result<Rerouted> {
    let Sources {
        files,
        info,
        system,
        global,
        ..
    } = sources;
    let mut args = Vec::new();
    let mut envs = Vec::new();
    if files.iter().any(|(_, t)| reroute(t, DRIVER, to).is_some()) {
        let empty = repo.treebuilder(None)?.write()?;
        let mut update = git2::build::TreeUpdateBuilder::new();
        for (path, text) in files {
            let text = reroute(text, DRIVER, to).unwrap_or_else(|| text.clone());
            update.upsert(path.as_str(), repo.blob(&text)?, git2::FileMode::Blob);
        }
        let tree = update.create_updated(repo, &repo.find_tree(empty)?)?;
        args.push(format!("--attr-source={tree}"));
    } else if repo.is_bare() {
        // By id: in a stand-in common directory, HEAD names no ref.
        match repo.head().and_then(|h| h.peel_to_tree()) {
            Ok(tree) => args.push(format!("--attr-source={}", tree.id())),
            Err(_) => args.push("--attr-source=HEAD".to_string()),
        }
    }
    // A temporary directory, made only where a file needs one.
    let mut dir: Option<tempfile::TempDir> = None;
    let mut tmp = || -> Result<std::path::PathBuf> {
        if dir.is_none() {
            dir = Some(
                tempfile::Builder::new()
                    .prefix("poolmerge-attributes-")
                    .tempdir()?,
            );
        }
        Ok(dir.as_ref().expect("made above").path().to_path_buf())
    };
    if let Some(info) = info.as_ref().and_then(|t| reroute(t, DRIVER, to)) {
        let common = tmp()?.join("common");
        std::fs::create_dir_all(common.join("info"))?;
        std::fs::create_dir_all(common.join("refs"))?;
        std::fs::write(common.join("info").join("attributes"), info)?;
        for name in ["config", "shallow"] {
            let from = repo.commondir().join(name);
            if from.exists() {
                std::fs::copy(&from, common.join(name))?;
            }
        }
        envs.push(("GIT_COMMON_DIR".to_string(), path_text(&common)?));
        if std::env::var_os("GIT_OBJECT_DIRECTORY").is_none() {
            let objects = repo.commondir().join("objects");
            envs.push(("GIT_OBJECT_DIRECTORY".to_string(), path_text(&objects)?));
        }
    }
    let system_routes = system
        .as_ref()
        .is_some_and(|t| reroute(t, DRIVER, to).is_some());
    let global_routes = global
        .as_ref()
        .is_some_and(|t| reroute(t, DRIVER, to).is_some());
    if system_routes || global_routes {
        let mut text = Vec::new();
        for part in [system, global].into_iter().flatten() {
            text.extend(reroute(part, DRIVER, to).unwrap_or_else(|| part.clone()));
            text.push(b'\n');
        }
        let path = tmp()?.join("attributes");
        std::fs::write(&path, text)?;
        args.insert(0, format!("core.attributesFile={}", path.display()));
        args.insert(0, "-c".to_string());
        if system.is_some() {
            envs.push(("GIT_ATTR_NOSYSTEM".to_string(), "1".to_string()));
        }
    }
    Ok(Rerouted {
        args,
        envs,
        _dir: dir,
    })
}

/// A path as the text of an environment variable.
fn path_text(path: &std::path::Path) -> Result<String> {
    path.to_str()
        .map(str::to_string)
        .ok_or_else(|| anyhow::anyhow!("{}: not a UTF-8 path", path.display()))
}

/// The attributes poolmerge reads for the files it writes.
pub(crate) const FILE_ATTRS: &[&str] = &["merge", "conflict-marker-size", "text", "eol"];

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) {
        let ok = std::process::Command::new("git")
            .args(args)
            .current_dir(dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .output()
            .expect("git runs");
        assert!(ok.status.success(), "git {args:?}: {ok:?}");
    }

    /// Paths in several directories, cases and extensions.
    fn paths() -> Vec<String> {
        let mut out = Vec::new();
        for dir in [
            "",
            "database/",
            "database/old/",
            "sub/",
            "sub/deep/",
            "lib/a/b/",
            "Database/",
        ] {
            for name in [
                "top.py",
                "x_db.py",
                "models.py",
                "notes.txt",
                "a.PY",
                "db.pyc",
                "x_.py",
            ] {
                out.push(format!("{dir}{name}"));
            }
        }
        out
    }

    /// Every path git routes to poolmerge is a candidate, and the others mostly not.
    fn holds(lines: &[(&str, &str)], ignore_case: bool) -> (usize, usize) {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path();
        git(dir, &["init", "-q"]);
        if ignore_case {
            git(dir, &["config", "core.ignoreCase", "true"]);
        }
        for (file, text) in lines {
            let path = dir.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap();
            if file.ends_with(".gitattributes") {
                git(dir, &["add", file]);
            }
        }
        let repo = Repository::open(dir).unwrap();
        let sources = sources(&repo).unwrap();
        let candidates = Candidates::of(&sources);
        let all = paths();
        let attrs = attributes(&repo, &all, &["merge"], None).unwrap();
        let mut routed = 0;
        for p in &all {
            if owned(&attrs, p) {
                routed += 1;
                assert!(
                    candidates.may_route(p),
                    "{p} is routed but not a candidate: {lines:?}"
                );
                // A tree walk enters every directory above it.
                for (i, _) in p.match_indices('/') {
                    let dir = &p[..=i];
                    assert!(
                        candidates.may_hold(dir),
                        "{p} is routed but a walk skips {dir}: {lines:?}"
                    );
                }
            }
        }
        let kept = all.iter().filter(|p| candidates.may_route(p)).count();
        (routed, kept)
    }

    #[test]
    fn candidates_hold_every_routed_path_and_few_others() {
        let total = paths().len();
        let (routed, kept) = holds(
            &[(".gitattributes", "database/*.py merge=poolmerge\n")],
            false,
        );
        assert!(routed > 0 && kept < total / 3, "{routed} {kept}");
        // Directories no routing line reaches are not walked.
        let tmp = tempfile::tempdir().unwrap();
        git(tmp.path(), &["init", "-q"]);
        std::fs::write(
            tmp.path().join(".gitattributes"),
            "database/*.py merge=poolmerge\n",
        )
        .unwrap();
        git(tmp.path(), &["add", ".gitattributes"]);
        let repo = Repository::open(tmp.path()).unwrap();
        let candidates = Candidates::of(&sources(&repo).unwrap());
        assert!(candidates.may_hold("database/") && candidates.may_hold("database/sub/"));
        assert!(!candidates.may_hold("docs/") && !candidates.may_hold("data/"));
        let (routed, kept) = holds(
            &[
                (
                    ".gitattributes",
                    "/top.py merge=poolmerge\nlib/**/models.py merge=poolmerge\n# *.txt merge=poolmerge\n",
                ),
                (
                    "sub/.gitattributes",
                    "x_*.py merge=poolmerge\n*.txt -merge\n",
                ),
                (".git/info/attributes", "*.PY merge=poolmerge\n"),
            ],
            false,
        );
        assert!(routed >= 4 && kept < total / 2, "{routed} {kept}");
        // In any case, where git matches in any case.
        let (routed, kept) = holds(
            &[(".gitattributes", "database/*.py merge=poolmerge\n")],
            true,
        );
        assert!(routed > 7 && kept < total / 2, "{routed} {kept}");
        // A macro: every path is a candidate.
        let (routed, kept) = holds(
            &[(
                ".gitattributes",
                "[attr]pinned merge=poolmerge\n*.py pinned\n",
            )],
            false,
        );
        assert!(routed > 0 && kept == total, "{routed} {kept}");
    }
}
