//! git's pathspec items without magic, matched in time linear in the path for each
//! `*` (libgit2's matcher backtracks exponentially on patterns with many `*`): a
//! literal item names a file or a directory above it; an item with wildcards (`*`,
//! `?`, `[...]`, `\` escapes) matches the whole path, `*` crossing `/` as in git.

/// One token of a pattern.
enum Token {
    /// `*`: any run of bytes.
    Star,
    /// `?`: any one byte.
    Any,
    /// `[...]`: one byte of a set (ranges included), or not of it (`[!...]`, `[^...]`).
    Class { set: Vec<(u8, u8)>, negated: bool },
    /// A byte as it is.
    Byte(u8),
}

fn tokens(pattern: &[u8]) -> Vec<Token> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < pattern.len() {
        match pattern[i] {
            b'*' => {
                if !matches!(out.last(), Some(Token::Star)) {
                    out.push(Token::Star);
                }
                i += 1;
            }
            b'?' => {
                out.push(Token::Any);
                i += 1;
            }
            b'\\' if i + 1 < pattern.len() => {
                out.push(Token::Byte(pattern[i + 1]));
                i += 2;
            }
            b'[' => match class(&pattern[i + 1..]) {
                Some((token, used)) => {
                    out.push(token);
                    i += 1 + used;
                }
                None => {
                    out.push(Token::Byte(b'['));
                    i += 1;
                }
            },
            b => {
                out.push(Token::Byte(b));
                i += 1;
            }
        }
    }
    out
}

/// A class after its `[`: the token and the bytes it took, `]` included; `None`
/// where no `]` closes it (the `[` is then a byte as it is).
fn class(rest: &[u8]) -> Option<(Token, usize)> {
    let mut i = 0;
    let negated = matches!(rest.first(), Some(b'!' | b'^'));
    if negated {
        i += 1;
    }
    let mut set = Vec::new();
    let mut first = true;
    while i < rest.len() {
        let mut b = rest[i];
        if b == b']' && !first {
            return Some((Token::Class { set, negated }, i + 1));
        }
        first = false;
        if b == b'\\' && i + 1 < rest.len() {
            i += 1;
            b = rest[i];
        }
        if rest.get(i + 1) == Some(&b'-') && rest.get(i + 2).is_some_and(|&e| e != b']') {
            set.push((b, rest[i + 2]));
            i += 3;
        } else {
            set.push((b, b));
            i += 1;
        }
    }
    None
}

fn one(token: &Token, b: u8) -> bool {
    match token {
        Token::Any => true,
        Token::Byte(x) => *x == b,
        Token::Class { set, negated } => set.iter().any(|&(lo, hi)| lo <= b && b <= hi) != *negated,
        Token::Star => false,
    }
}

/// Whether `pattern` matches all of `path`: greedy, backing up only to the last `*`
/// (a later `*` can take whatever an earlier one would have), so each byte of the
/// path is looked at a bounded number of times per `*`.
fn glob(pattern: &[Token], path: &[u8]) -> bool {
    let (mut p, mut s) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while s < path.len() {
        match pattern.get(p) {
            Some(Token::Star) => {
                star = Some((p, s));
                p += 1;
            }
            Some(t) if one(t, path[s]) => {
                p += 1;
                s += 1;
            }
            _ => match star {
                Some((sp, ss)) => {
                    p = sp + 1;
                    s = ss + 1;
                    star = Some((sp, ss + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|t| matches!(t, Token::Star))
}

/// Whether an item has magic (`:(...)`, `:!`): left to libgit2.
pub(crate) fn is_magic(item: &str) -> bool {
    item.starts_with(':')
}

/// Whether the pathspec item (without magic) matches `path`.
pub(crate) fn matches(item: &str, path: &str) -> bool {
    let item = item.strip_prefix("./").unwrap_or(item);
    let wild = item
        .bytes()
        .any(|b| matches!(b, b'*' | b'?' | b'[' | b'\\'));
    if !wild {
        let dir = item.trim_end_matches('/');
        return path == dir || path.strip_prefix(dir).is_some_and(|r| r.starts_with('/'));
    }
    // git compares the item as it is first: `db/[ab].py` names that file too.
    path == item || glob(&tokens(item.as_bytes()), path.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn items_match_as_gits_pathspecs_do() {
        for (item, path, want) in [
            ("database/*.py", "database/auth_db.py", true),
            ("database/*.py", "database/sub/x.py", true),
            ("database/*.py", "database/x.txt", false),
            ("database", "database/x.py", true),
            ("database/", "database/x.py", true),
            ("data", "database/x.py", false),
            ("db/?.py", "db/a.py", true),
            ("db/?.py", "db/ab.py", false),
            ("db/[a-c]*.py", "db/b_x.py", true),
            ("db/[!a-c]*.py", "db/b_x.py", false),
            ("db/\\*.py", "db/*.py", true),
            ("db/\\*.py", "db/a.py", false),
            ("db/[.py", "db/[.py", true),
            ("db/[ab].py", "db/[ab].py", true),
            ("db/[ab].py", "db/b.py", true),
            ("**/models.py", "a/b/models.py", true),
            ("./database/*.py", "database/a.py", true),
        ] {
            assert_eq!(matches(item, path), want, "{item} ~ {path}");
        }
    }

    #[test]
    fn many_stars_match_without_backtracking_blowing_up() {
        let item = format!("{}b", "*a".repeat(40));
        let path = "a".repeat(200);
        assert!(!matches(&item, &path));
        assert!(matches(&item, &format!("{path}b")));
    }
}
