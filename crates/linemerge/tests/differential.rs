//! The native merge against `git merge-file -p --diff-algorithm=histogram`, byte for
//! byte, on generated inputs (fixed seeds; CRLF and mixed line endings, missing final
//! newlines, marker sizes 7/9/11, all three styles, labels or none, identical changes
//! on both sides, adjacent edits, long files of frequent lines).
//! `examples/differential.rs` runs 100,000 and more.

mod generate;

use linemerge::git::GitMergeFile;
use linemerge::{Markers, Style};

use generate::generate;

#[test]
fn the_native_line_merge_is_byte_identical_to_git_merge_file() {
    const CASES: u64 = 3_000;
    let run = |seeds: std::ops::Range<u64>| -> Vec<String> {
        let mut bad = Vec::new();
        for seed in seeds {
            let g = generate(seed);
            let label = |s: &str| g.labels.then(|| s.to_string());
            let m = Markers {
                size: g.size,
                style: g.style.parse::<Style>().unwrap(),
                ours: label("ours"),
                base: label("base"),
                theirs: label("theirs"),
            };
            let native = linemerge::merge(&g.base, &g.ours, &g.theirs, &m).unwrap();
            let git = GitMergeFile::default()
                .merge(&g.base, &g.ours, &g.theirs, &m)
                .unwrap();
            if native != git {
                bad.push(format!("seed {seed}"));
            }
        }
        bad
    };
    let failures: Vec<String> = std::thread::scope(|s| {
        let a = s.spawn(|| run(50_000..50_000 + CASES / 2));
        let b = s.spawn(|| run(50_000 + CASES / 2..50_000 + CASES));
        a.join()
            .unwrap()
            .into_iter()
            .chain(b.join().unwrap())
            .collect()
    });
    assert!(
        failures.is_empty(),
        "{} of {CASES} differ: {}",
        failures.len(),
        failures.join(", ")
    );
}
