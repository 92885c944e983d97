//! `git merge-file -p --diff-algorithm=histogram` itself, run on temporary copies: the
//! reference the native merge is held to, and what merges files too large for it.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use crate::{Error, Markers, Merged};

/// Runs `git merge-file` (the `git` on `PATH` unless told otherwise).
#[derive(Debug, Clone)]
pub struct GitMergeFile {
    git: PathBuf,
}

impl Default for GitMergeFile {
    fn default() -> GitMergeFile {
        GitMergeFile {
            git: PathBuf::from("git"),
        }
    }
}

/// Stands in for an absent label: `git merge-file` always writes a label, git's merge
/// writes bare markers when it has none, so the placeholder is removed afterwards.
const NO_LABEL: &str = "\u{1}poolmerge-no-label\u{1}";

impl GitMergeFile {
    /// Merges `ours` and `theirs` against `base` as `git merge-file -p` does.
    pub fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<Merged, Error> {
        let failed = |what: &str, e: std::io::Error| Error::Git(format!("{what}: {e}"));
        let dir = tempfile::Builder::new()
            .prefix("poolmerge-")
            .tempdir()
            .map_err(|e| failed("cannot create a temporary directory", e))?;
        let paths = ["ours", "base", "theirs"].map(|n| dir.path().join(n));
        for (path, text) in paths.iter().zip([ours, base, theirs]) {
            std::fs::write(path, text)
                .map_err(|e| failed(&format!("cannot write {}", path.display()), e))?;
        }
        let label = |l: &Option<String>| l.clone().unwrap_or_else(|| NO_LABEL.to_string());
        let output = Command::new(&self.git)
            .arg("merge-file")
            .arg("-p")
            .arg("--diff-algorithm=histogram")
            .arg(markers.style.merge_file_flag())
            .arg(format!("--marker-size={}", markers.size))
            .args(["-L", &label(&markers.ours)])
            .args(["-L", &label(&markers.base)])
            .args(["-L", &label(&markers.theirs)])
            .args(&paths)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| {
                failed(
                    "cannot run `git merge-file` (is git installed and on PATH?)",
                    e,
                )
            })?;
        let code = output.status.code();
        let conflicts = match code {
            Some(n) if (0..=127).contains(&n) => n as usize,
            _ => {
                let err = String::from_utf8_lossy(&output.stderr);
                return Err(Error::Git(format!(
                    "`git merge-file` failed ({}): {}",
                    code.map_or("killed".to_string(), |c| format!("exit {c}")),
                    err.trim()
                )));
            }
        };
        let mut content = output.stdout;
        if conflicts > 0
            && (markers.ours.is_none() || markers.base.is_none() || markers.theirs.is_none())
        {
            content = strip_placeholder_labels(&content, markers.size);
        }
        Ok(Merged { content, conflicts })
    }
}

/// Turns `<<<<<<< {NO_LABEL}` marker lines into bare `<<<<<<<` lines.
fn strip_placeholder_labels(text: &[u8], size: usize) -> Vec<u8> {
    let mut suffix = vec![b' '];
    suffix.extend_from_slice(NO_LABEL.as_bytes());
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let body = line
            .strip_suffix(b"\r\n")
            .or_else(|| line.strip_suffix(b"\n"))
            .unwrap_or(line);
        let is_marker = body.len() == size + suffix.len()
            && body.ends_with(&suffix)
            && matches!(body[0], b'<' | b'|' | b'>')
            && body[..size].iter().all(|&b| b == body[0]);
        out.extend_from_slice(if is_marker { &body[..size] } else { body });
        out.extend_from_slice(&line[body.len()..]);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Style;

    #[test]
    fn clean_and_conflicting_merges() {
        let git = GitMergeFile::default();
        let m = Markers {
            ours: Some("o".into()),
            theirs: Some("t".into()),
            ..Markers::default()
        };
        let r = git
            .merge(b"a\nb\nc\n", b"A\nb\nc\n", b"a\nb\nC\n", &m)
            .unwrap();
        assert_eq!((r.content.as_slice(), r.conflicts), (&b"A\nb\nC\n"[..], 0));
        let r = git.merge(b"a\n", b"b\n", b"c\n", &m).unwrap();
        assert_eq!(r.conflicts, 1);
        assert_eq!(r.content, b"<<<<<<< o\nb\n=======\nc\n>>>>>>> t\n");
    }

    #[test]
    fn absent_labels_give_bare_markers() {
        let git = GitMergeFile::default();
        let m = Markers {
            style: Style::Diff3,
            ..Markers::default()
        };
        let r = git.merge(b"a\n", b"b\n", b"c\n", &m).unwrap();
        assert_eq!(r.content, b"<<<<<<<\nb\n|||||||\na\n=======\nc\n>>>>>>>\n");
    }

    #[test]
    fn binary_input_is_an_error_not_an_empty_result() {
        let git = GitMergeFile::default();
        assert!(
            git.merge(b"a\0", b"b\n", b"c\n", &Markers::default())
                .is_err()
        );
    }
}
