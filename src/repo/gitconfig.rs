//! git configuration as git itself reads it: the repository's, and the `-c` values git
//! passes to the processes it starts (`GIT_CONFIG_PARAMETERS`, `GIT_CONFIG_COUNT`).

use super::*;

/// A configuration value given through the environment (`git -c`), if any.
pub(crate) fn config_string_from_env(key: &str) -> Option<String> {
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
pub(crate) fn config_string(repo: Option<&Repository>, key: &str) -> Option<String> {
    if let Some(value) = config_string_from_env(key) {
        return Some(value);
    }
    let key = key.to_ascii_lowercase();
    config_files(repo)?.get_string(&key).ok()
}

/// A boolean configuration value as git reads one (`true`, `yes`, `on`, `1`).
pub(crate) fn config_bool(repo: Option<&Repository>, key: &str) -> bool {
    config_string(repo, key)
        .is_some_and(|v| matches!(v.to_ascii_lowercase().as_str(), "true" | "yes" | "on" | "1"))
}

/// The configuration files git reads, as git picks them: libgit2's defaults, except
/// where `GIT_CONFIG_GLOBAL`, `GIT_CONFIG_SYSTEM` or `GIT_CONFIG_NOSYSTEM` say
/// otherwise (which libgit2 does not read: `GIT_CONFIG_GLOBAL=/dev/null` keeps git from
/// `~/.gitconfig`, and so it must keep poolmerge).
fn config_files(repo: Option<&Repository>) -> Option<git2::Config> {
    let var = |k: &str| std::env::var_os(k);
    if [
        "GIT_CONFIG_GLOBAL",
        "GIT_CONFIG_SYSTEM",
        "GIT_CONFIG_NOSYSTEM",
    ]
    .iter()
    .all(|k| var(k).is_none())
    {
        return match repo {
            Some(r) => r.config().ok(),
            None => git2::Config::open_default().ok(),
        };
    }
    let mut config = git2::Config::new().ok()?;
    let mut add = |path: &std::path::Path, level: git2::ConfigLevel| {
        if path.is_file() {
            // A file that cannot be read is left out, as libgit2 does with its own.
            let _ = config.add_file(path, level, false);
        }
    };
    let nosystem = var("GIT_CONFIG_NOSYSTEM").is_some_and(|v| {
        !matches!(
            v.to_string_lossy().to_ascii_lowercase().as_str(),
            "" | "0" | "false" | "no" | "off"
        )
    });
    if !nosystem {
        match var("GIT_CONFIG_SYSTEM") {
            Some(p) => add(std::path::Path::new(&p), git2::ConfigLevel::System),
            None => {
                if let Ok(p) = git2::Config::find_system() {
                    add(&p, git2::ConfigLevel::System);
                }
            }
        }
    }
    match var("GIT_CONFIG_GLOBAL") {
        Some(p) => add(std::path::Path::new(&p), git2::ConfigLevel::Global),
        None => {
            if let Ok(p) = git2::Config::find_xdg() {
                add(&p, git2::ConfigLevel::XDG);
            }
            if let Ok(p) = git2::Config::find_global() {
                add(&p, git2::ConfigLevel::Global);
            }
        }
    }
    if let Some(r) = repo {
        add(&r.commondir().join("config"), git2::ConfigLevel::Local);
        add(
            &r.path().join("config.worktree"),
            git2::ConfigLevel::Worktree,
        );
    }
    Some(config)
}

/// Configuration passed through the environment, in the order git applies it.
pub(super) fn env_config() -> Vec<(String, Option<String>)> {
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
pub(crate) fn parse_config_parameters(s: &str) -> Vec<(String, Option<String>)> {
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
pub(super) fn sq_token(b: &[u8], i: &mut usize) -> Option<String> {
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
