//! The git2 adapter: finding the repository around the current directory and reading
//! its configuration, including what `git -c` passes to child processes through
//! `GIT_CONFIG_PARAMETERS` (and `GIT_CONFIG_COUNT`), which libgit2 does not read.

use std::path::PathBuf;

use git2::Repository;

/// The repository around the current directory (honouring `GIT_DIR` and friends).
pub fn discover() -> Option<Repository> {
    Repository::open_from_env().ok()
}

/// Where decisions are logged: `poolmerge.log` in the repository's git directory
/// (the main one, for a linked work tree).
pub fn log_path(repo: &Repository) -> PathBuf {
    repo.commondir().join("poolmerge.log")
}

/// A configuration value, with git's precedence: `git -c` (and `GIT_CONFIG_COUNT`)
/// over the repository's, the user's and the system's files. `key` is
/// `section.name`, compared case-insensitively.
pub fn config_string(repo: Option<&Repository>, key: &str) -> Option<String> {
    let key = key.to_ascii_lowercase();
    let from_env = env_config()
        .into_iter()
        .rev()
        .find(|(k, _)| k.to_ascii_lowercase() == key);
    if let Some((_, value)) = from_env {
        return Some(value.unwrap_or_else(|| "true".to_string()));
    }
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
