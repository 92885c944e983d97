//! The file's conventions: what poolmerge writes adds no `ruff format --check` or
//! `ruff check` finding (unused, undefined or redefined names) to a module whose three
//! versions had none. `.ci/run` installs ruff; without it the test fails under CI, and
//! elsewhere says so and checks nothing.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::support::data_dir;

/// The files among `files` (relative to `root`) that ruff flags, with these arguments
/// (one run for all; ruff names files relative to where it runs).
/// With `only`, only findings whose line contains it count.
pub fn flagged(
    ruff: &Path,
    root: &Path,
    args: &[&str],
    files: &[PathBuf],
    only: &str,
) -> BTreeSet<PathBuf> {
    let out = Command::new(ruff)
        .current_dir(root)
        // No .ruff_cache left among the fixtures.
        .env("RUFF_NO_CACHE", "true")
        .args(args)
        .args(files)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    // `Would reformat: PATH` (format) or `PATH:LINE:COL: CODE ...` (check).
    let named: BTreeSet<&str> = text
        .lines()
        .filter(|l| l.contains(only))
        .filter_map(|l| {
            l.strip_prefix("Would reformat: ")
                .or_else(|| l.split_once(':').map(|(path, _)| path))
        })
        .collect();
    files
        .iter()
        .filter(|f| named.contains(&*f.to_string_lossy()))
        .cloned()
        .collect()
}

/// ruff, from `PATH` (see [`crate::support::tool`]).
pub fn ruff() -> Option<PathBuf> {
    crate::support::tool("ruff")
}

#[test]
fn merged_modules_add_no_ruff_finding() {
    let Some(bin) = ruff() else {
        return;
    };
    let root = data_dir().join("cases");
    let dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|d| d.join("expected.py").exists())
        .map(|d| PathBuf::from(d.file_name().unwrap()))
        .collect();
    let names = ["base.py", "ours.py", "theirs.py", "expected.py"];
    let files: Vec<PathBuf> = dirs
        .iter()
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .collect();
    let unformatted = flagged(
        &bin,
        &root,
        &["format", "--check", "--isolated"],
        &files,
        "",
    );
    let named = flagged(
        &bin,
        &root,
        &[
            "check",
            "--isolated",
            "--output-format",
            "concise",
            "--select",
            "F401,F811,F821",
        ],
        &files,
        "",
    );
    let mut checked = 0;
    let mut failures = Vec::new();
    for dir in &dirs {
        let case = dir.to_string_lossy();
        for (flags, what) in [
            (&unformatted, "ruff format --check"),
            (&named, "ruff check"),
        ] {
            if names[..3].iter().any(|n| flags.contains(&dir.join(n))) {
                continue;
            }
            checked += 1;
            if flags.contains(&dir.join("expected.py")) {
                failures.push(format!("{case}: {what} flags the merge only"));
            }
        }
    }
    assert!(checked >= 10, "only {checked} checks applied");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
