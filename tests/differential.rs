//! Differential tests against git. On files without pool regions poolmerge promises
//! git's own merge, byte for byte: the whole driver is run on generated inputs (fixed
//! seeds; CRLF and mixed line endings, missing final newlines, marker sizes 7/9/11,
//! all three styles, identical changes on both sides, adjacent edits, lines that
//! mention `create_engine` without calling it, long files of frequent lines) and
//! compared with `git merge-file --diff-algorithm=histogram`, and where that differs
//! (`git merge-file` joins conflicts apart only by lines without a letter or digit,
//! `git merge` does not) with a real merge (`git merge-tree`). The line merge itself
//! is held to git in its own crate (`crates/linemerge/tests/differential.rs`).

use crate::generate::generate;
use crate::support::{git_merge_file, git_merge_tree, run_merge};

/// Runs cases `seeds` and returns the failing seeds with a reason.
fn run(seeds: std::ops::Range<u64>) -> (usize, Vec<String>) {
    let mut failures = Vec::new();
    let mut conflicted = 0;
    for seed in seeds {
        let g = generate(seed);
        let size = g.size.to_string();
        let mut args = vec![
            "-s",
            "base",
            "-x",
            "ours",
            "-y",
            "theirs",
            "-p",
            "database/gen.py",
            "-l",
            &size,
            "--style",
            g.style,
        ];
        let got = run_merge(&g.base, &g.ours, &g.theirs, &args);
        let (code, want) = git_merge_file(&g.base, &g.ours, &g.theirs, g.size, g.style);
        conflicted += usize::from(code == 1);
        if got.code == code && got.out == want {
            continue;
        }
        // `git merge-file` joins conflicts apart only by lines without a letter or
        // digit, `git merge` does not: where the two differ, the real merge decides.
        let (code, want, label) = git_merge_tree(&g.base, &g.ours, &g.theirs, g.size, g.style);
        let got = match &label {
            Some(label) => {
                args[1] = label;
                run_merge(&g.base, &g.ours, &g.theirs, &args)
            }
            None => got,
        };
        if got.code != code || got.out != want {
            failures.push(format!(
                "seed {seed}: exit {} (git {code}), same bytes: {}",
                got.code,
                got.out == want
            ));
        }
    }
    (conflicted, failures)
}

#[test]
fn files_without_pool_regions_merge_exactly_as_git() {
    const CASES: u64 = 2_000;
    let (a, b) = std::thread::scope(|s| {
        let first = s.spawn(|| run(0..CASES / 2));
        let second = s.spawn(|| run(CASES / 2..CASES));
        (first.join().unwrap(), second.join().unwrap())
    });
    let conflicted = a.0 + b.0;
    let failures: Vec<String> = a.1.into_iter().chain(b.1).collect();
    assert!(
        failures.is_empty(),
        "{} of {CASES} differ from git:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The generator must exercise both outcomes.
    assert!(
        conflicted > CASES as usize / 10 && conflicted < CASES as usize * 9 / 10,
        "{conflicted} conflicted"
    );
}

/// Two conflicts apart by four lines without a letter or digit: `git merge` keeps them
/// apart (two blocks), `git merge-file` joins them (one). The driver writes what
/// `git merge` writes, with the kill switch too.
#[test]
fn conflicts_apart_by_brackets_stay_apart_as_in_git_merge() {
    let base = b"x = [\n    1,\n]\n)\n)\n)\n]\n    2,\n]\n";
    let ours = b"x = [\n    10,\n]\n)\n)\n)\n]\n    20,\n]\n";
    let theirs = b"x = [\n    11,\n]\n)\n)\n)\n]\n    21,\n]\n";
    let (_, file_merge) = git_merge_file(base, ours, theirs, 7, "merge");
    let (code, real, _) = git_merge_tree(base, ours, theirs, 7, "merge");
    let blocks = |t: &[u8]| t.windows(8).filter(|w| *w == b"<<<<<<< ").count();
    assert_eq!(blocks(&file_merge), 1, "git merge-file joins them");
    assert_eq!((code, blocks(&real)), (1, 2), "git merge keeps them apart");
    let args = [
        "-s",
        "base",
        "-x",
        "ours",
        "-y",
        "theirs",
        "-p",
        "database/x.py",
    ];
    for env in [&[][..], &[("POOLMERGE", "0")][..]] {
        let got = crate::support::run_merge_env(base, ours, theirs, &args, env);
        assert_eq!((got.code, got.out), (1, real.clone()), "{env:?}");
    }
}
