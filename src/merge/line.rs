//! The plain three-way line merge, behind a small trait.
//!
//! Everything outside a pool region must merge exactly as `git merge` merges it. git's
//! merge (`ort`) uses xdiff with the histogram diff; the exact reference is
//! `git merge-file --diff-algorithm=histogram`, so the implementation here runs that
//! process. The trait keeps the engine pure (bytes in, bytes out) and lets a native
//! implementation replace the process later.

use std::path::PathBuf;
use std::process::{Command, Stdio};

use anyhow::{Context, Result, bail};

use crate::conflict::Markers;
use crate::fsutil::TempDir;

/// The result of a line merge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LineMerged {
    /// The merged text, with conflict blocks where both sides changed the same lines.
    pub content: Vec<u8>,
    /// How many conflict blocks the text holds.
    pub conflicts: usize,
}

/// A three-way line merge with git's semantics, byte for byte. `Sync`: `check --merge`
/// merges files on several threads.
pub trait LineMerge: Sync {
    /// Merges `ours` and `theirs` against their common ancestor `base`.
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<LineMerged>;

    /// Told, before a merge of masked texts, where regions were folded into one line
    /// each in OURS and THEIRS (`(line, extra lines)`, 1-based): a merge that reports
    /// lines (another pin's engine) gives them in the unmasked files. Most line merges
    /// report no lines and ignore it.
    fn folded(&self, _ours: &[(usize, usize)], _theirs: &[(usize, usize)]) {}
}

/// Runs `git merge-file -p --diff-algorithm=histogram` on temporary copies.
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

impl LineMerge for GitMergeFile {
    fn merge(
        &self,
        base: &[u8],
        ours: &[u8],
        theirs: &[u8],
        markers: &Markers,
    ) -> Result<LineMerged> {
        let dir = TempDir::new("poolmerge-").context("cannot create a temporary directory")?;
        let paths = ["ours", "base", "theirs"].map(|n| dir.path().join(n));
        for (path, text) in paths.iter().zip([ours, base, theirs]) {
            std::fs::write(path, text)
                .with_context(|| format!("cannot write {}", path.display()))?;
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
            .context("cannot run `git merge-file` (is git installed and on PATH?)")?;
        let code = output.status.code();
        let conflicts = match code {
            Some(n) if (0..=127).contains(&n) => n as usize,
            _ => {
                let err = String::from_utf8_lossy(&output.stderr);
                bail!(
                    "`git merge-file` failed ({}): {}",
                    code.map_or("killed".to_string(), |c| format!("exit {c}")),
                    err.trim()
                );
            }
        };
        let mut content = output.stdout;
        if conflicts > 0
            && (markers.ours.is_none() || markers.base.is_none() || markers.theirs.is_none())
        {
            content = strip_placeholder_labels(&content, markers.size);
        }
        Ok(LineMerged { content, conflicts })
    }
}

/// Turns `<<<<<<< {NO_LABEL}` marker lines into bare `<<<<<<<` lines.
fn strip_placeholder_labels(text: &[u8], size: usize) -> Vec<u8> {
    let mut suffix = vec![b' '];
    suffix.extend_from_slice(NO_LABEL.as_bytes());
    let mut out = Vec::with_capacity(text.len());
    for line in text.split_inclusive(|&b| b == b'\n') {
        let (body, eol) = split_eol(line);
        let is_marker = body.len() == size + suffix.len()
            && body.ends_with(&suffix)
            && matches!(body[0], b'<' | b'|' | b'>')
            && body[..size].iter().all(|&b| b == body[0]);
        if is_marker {
            out.extend_from_slice(&body[..size]);
        } else {
            out.extend_from_slice(body);
        }
        out.extend_from_slice(eol);
    }
    out
}

/// Splits a line into its content and its end of line (`\n`, `\r\n` or nothing).
pub fn split_eol(line: &[u8]) -> (&[u8], &[u8]) {
    if let Some(body) = line.strip_suffix(b"\r\n") {
        (body, &line[body.len()..])
    } else if let Some(body) = line.strip_suffix(b"\n") {
        (body, &line[body.len()..])
    } else {
        (line, &[])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::conflict::Style;

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
