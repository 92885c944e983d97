//! The profile every command applies: declared pins turned into the policy's pins,
//! the files they own, loaded from HEAD or the work tree, and printed as TOML.

use super::{Config, ConfigError, FILES, PinDecl, parse, parse_import};
use crate::policy::{Pin, PinImport, PinValue, PinnedKeyword, When};

/// The pin a `[[tool.poolmerge.pin]]` declares.
pub(super) fn pin_from_decl(decl: &PinDecl) -> Result<Pin, String> {
    let builtin = Pin::builtin();
    let call = decl
        .call
        .rsplit('.')
        .next()
        .unwrap_or(&decl.call)
        .to_string();
    let mut keywords: Vec<PinnedKeyword> = decl
        .set
        .iter()
        .map(|(name, expr)| PinnedKeyword {
            name: name.clone(),
            value: PinValue::Expr(expr.clone()),
        })
        .collect();
    keywords.extend(decl.dict.iter().map(|(name, entries)| PinnedKeyword {
        name: name.clone(),
        value: PinValue::Dict(entries.clone()),
    }));
    let import = match decl.imports.as_slice() {
        [] => None,
        [one] => match parse_import(one) {
            Some((module, names)) if names.len() == 1 => Some(PinImport {
                module,
                name: names[0].clone(),
            }),
            _ => return Err(format!("the pin of {}: import one name per pin", decl.call)),
        },
        _ => return Err(format!("the pin of {}: one import per pin", decl.call)),
    };
    // The pool class is the pin's mark on an engine call.
    let pool_keyword = (call == "create_engine")
        .then(|| builtin.pool_keyword.clone())
        .flatten()
        .filter(|k| keywords.iter().any(|p| &p.name == k));
    // `create_engine` goes with its asyncio twin, as in the built-in pin.
    let aliases = if call == "create_engine" {
        builtin.aliases
    } else {
        Vec::new()
    };
    Ok(Pin {
        call,
        declared: decl.call.clone(),
        when: decl.when,
        keywords,
        pool_keyword,
        replaceable_pools: builtin.replaceable_pools,
        server_keywords: builtin.server_keywords,
        import,
        retire: decl.retire.clone(),
        // `create_engine` goes with its asyncio twin, as in the built-in pin.
        aliases,
    })
}

/// The profile every command applies: the pins, the files they own, and where it came
/// from.
#[derive(Debug, Clone)]
pub struct Profile {
    /// The pins, the built-in one first when it applies.
    pub pins: Vec<crate::policy::Pin>,
    /// The configuration it was made from (`None`: the built-in profile).
    pub config: Option<Config>,
    /// Where it came from, as shown to the user.
    pub source: String,
}

impl Profile {
    /// The built-in profile: the StaticPool pin, the files git's attributes route.
    pub fn builtin() -> Profile {
        Profile {
            pins: vec![crate::policy::Pin::builtin()],
            config: None,
            source: "the built-in profile".into(),
        }
    }

    /// The profile a configuration declares.
    pub fn from_config(config: Config, source: String) -> Result<Profile, ConfigError> {
        use crate::policy::Pin;
        let mut pins = Vec::new();
        if config.include_builtin {
            pins.push(Pin::builtin());
        }
        for decl in &config.pins {
            let pin = pin_from_decl(decl).map_err(|message| ConfigError {
                file: config.file.clone(),
                line: decl.line,
                message,
            })?;
            // Two pins may share a call only for disjoint calls (sqlite and server):
            // otherwise which one a statement takes would depend on their order.
            if let Some(other) = pins.iter().find(|p: &&Pin| {
                p.call == pin.call
                    && !matches!(
                        (p.when, pin.when),
                        (When::Sqlite, When::Server) | (When::Server, When::Sqlite)
                    )
            }) {
                let what = if *other == Pin::builtin() {
                    "the built-in pin".to_string()
                } else {
                    format!("another pin of {}", other.declared)
                };
                return Err(ConfigError {
                    file: config.file.clone(),
                    line: decl.line,
                    message: format!(
                        "{what} applies to the same calls (when = {} and {}): give them \"sqlite\" and \"server\"",
                        other.when.name(),
                        pin.when.name()
                    ),
                });
            }
            pins.push(pin);
        }
        Ok(Profile {
            pins,
            config: Some(config),
            source,
        })
    }

    /// The file patterns the configuration owns (empty: git's attributes decide).
    pub fn files(&self) -> &[String] {
        self.config.as_ref().map_or(&[], |c| &c.files)
    }

    /// Whether `path` (relative to the work tree) is one of the configured files.
    pub(crate) fn owns(&self, path: &str) -> bool {
        let files = self.files();
        if files.is_empty() {
            return false;
        }
        // Magic is read by libgit2; the rest by a matcher that cannot spin.
        if files.iter().any(|f| super::pathspec::is_magic(f)) {
            return git2::Pathspec::new(files.iter()).is_ok_and(|spec| {
                spec.matches_path(std::path::Path::new(path), git2::PathspecFlags::DEFAULT)
            });
        }
        files
            .iter()
            .any(|item| super::pathspec::matches(item, path))
    }

    /// Whether a configured file could lie under the directory `dir` (`a/b/`), from
    /// each pathspec's literal start: a tree walk skips the others.
    pub(crate) fn may_hold(&self, dir: &str) -> bool {
        self.files().iter().any(|spec| {
            if spec.starts_with(':') {
                return true; // Magic: read by git alone.
            }
            let wild = |c: char| matches!(c, '*' | '?' | '[' | '\\');
            let literal = &spec[..spec.find(wild).unwrap_or(spec.len())];
            let literal = literal.strip_prefix("./").unwrap_or(literal);
            literal.starts_with(dir) || dir.starts_with(literal)
        })
    }

    /// The profile as TOML, the built-in pin written out in full. Values are written
    /// by the `toml` crate; the layout (one inline table a key, comments) is ours.
    pub(crate) fn to_toml(&self) -> String {
        use crate::policy::PinValue;
        use toml::Value;
        let string = |s: &str| Value::String(s.to_string());
        let list = |items: &[String]| Value::Array(items.iter().map(|s| string(s)).collect());
        let table = |entries: Vec<(String, Value)>| Value::Table(entries.into_iter().collect());
        let mut out = format!(
            "# The profile poolmerge applies here, from {}, every pin written out.\n[tool.poolmerge]\n",
            self.source.replace('\n', " ")
        );
        if !self.files().is_empty() {
            out.push_str(&format!("files = {}\n", list(self.files())));
        }
        out.push_str("include_builtin = false\n");
        let builtin = crate::policy::Pin::builtin();
        for pin in &self.pins {
            out.push_str("\n[[tool.poolmerge.pin]]\n");
            if *pin == builtin {
                out.push_str("# the built-in pin\n");
            }
            out.push_str(&format!("call = {}\n", string(&pin.declared)));
            out.push_str(&format!("when = {}\n", string(pin.when.name())));
            let (mut set, mut dict) = (Vec::new(), Vec::new());
            for k in &pin.keywords {
                match &k.value {
                    PinValue::Expr(e) => set.push((k.name.clone(), string(e))),
                    PinValue::Dict(entries) => {
                        let entries = entries.iter().map(|(key, v)| (key.clone(), string(v)));
                        dict.push((k.name.clone(), table(entries.collect())));
                    }
                }
            }
            if !set.is_empty() {
                out.push_str(&format!("set = {}\n", table(set)));
            }
            if !dict.is_empty() {
                out.push_str(&format!("dict = {}\n", table(dict)));
            }
            if let Some(import) = &pin.import {
                let import = format!("from {} import {}", import.module, import.name);
                out.push_str(&format!("imports = {}\n", list(&[import])));
            }
            out.push_str(&format!("retire = {}\n", list(&pin.retire)));
        }
        out
    }
}

/// The profile for a repository: HEAD's committed configuration, else the work
/// tree's, else the built-in one. Without a repository, the built-in one.
pub(crate) fn load(repo: Option<&git2::Repository>) -> Result<Profile, ConfigError> {
    let Some(repo) = repo else {
        return Ok(Profile::builtin());
    };
    let head = repo.head().ok().and_then(|h| h.peel_to_tree().ok());
    if let Some(tree) = head {
        let mut found = Vec::new();
        for name in FILES {
            let Ok(entry) = tree.get_path(std::path::Path::new(name)) else {
                continue;
            };
            let Ok(blob) = repo.find_blob(entry.id()) else {
                continue;
            };
            let shown = format!("HEAD:{name}");
            found.extend(read_one(blob.content(), &shown)?.map(|c| (c, shown)));
        }
        if let Some(profile) = pick(found)? {
            return Ok(profile);
        }
    }
    if let Some(dir) = repo.workdir() {
        let mut found = Vec::new();
        for name in FILES {
            if let Ok(Some(text)) = crate::fsutil::read_worktree_file(dir, name) {
                let shown = format!("{name} in the work tree");
                found.extend(read_one(&text, name)?.map(|c| (c, shown)));
            }
        }
        if let Some(profile) = pick(found)? {
            return Ok(profile);
        }
    }
    Ok(Profile::builtin())
}

/// The profile for the merge driver, which git runs at the top of the work tree. To
/// start fast, the repository (`repo`, opened on first use) is read only when the work
/// tree holds a
/// `.poolmerge.toml` or a `pyproject.toml` that mentions poolmerge; otherwise the
/// built-in profile applies (even if HEAD still holds a configuration the work tree
/// has dropped).
pub(crate) fn load_for_driver<'r>(
    repo: impl FnOnce() -> Option<&'r git2::Repository>,
) -> Result<Profile, ConfigError> {
    let configured = std::path::Path::new(FILES[0]).exists()
        || std::fs::read(FILES[1]).is_ok_and(|t| crate::python::contains(&t, b"poolmerge"));
    if !configured {
        return Ok(Profile::builtin());
    }
    load(repo())
}

fn read_one(bytes: &[u8], shown: &str) -> Result<Option<Config>, ConfigError> {
    let text = std::str::from_utf8(bytes).map_err(|e| ConfigError {
        file: shown.to_string(),
        line: bytes[..e.valid_up_to()]
            .iter()
            .filter(|&&b| b == b'\n')
            .count()
            + 1,
        message: "not UTF-8".into(),
    })?;
    parse(text, shown)
}

fn pick(mut found: Vec<(Config, String)>) -> Result<Option<Profile>, ConfigError> {
    if found.len() > 1 {
        let (_, first) = &found[0];
        return Err(ConfigError {
            file: found[1].1.clone(),
            line: 1,
            message: format!("a configuration here and in {first}: keep one"),
        });
    }
    found
        .pop()
        .map(|(config, source)| Profile::from_config(config, source))
        .transpose()
}
