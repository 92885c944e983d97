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

/// The attributes git reads, with poolmerge's route made `merge=<to>` (written as a
/// tree of `.gitattributes` files for `--attr-source`, and a copy of the user's and
/// the system's attribute files). `None` when `$GIT_DIR/info/attributes` routes paths
/// to poolmerge: it outranks every source git can be pointed at.
pub(crate) fn rerouted(repo: &Repository, to: &str) -> Result<Option<Rerouted>> {
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
pub(crate) const FILE_ATTRS: &[&str] = &["merge", "conflict-marker-size", "text", "eol"];
