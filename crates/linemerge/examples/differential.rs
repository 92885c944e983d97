//! The deep differential run of the native line merge against
//! `git merge-file --diff-algorithm=histogram`:
//!
//!     cargo run --release -p poolmerge-linemerge --example differential -- [CASES] [FIRST_SEED]
//!
//! Prints every seed that differs and a summary; exits 1 on any difference.

#[path = "../tests/generate.rs"]
mod generate;

use std::process::ExitCode;

use linemerge::git::GitMergeFile;
use linemerge::{Markers, Style};

fn markers(case: &generate::Case) -> Markers {
    let label = |s: &str| case.labels.then(|| s.to_string());
    Markers {
        size: case.size,
        style: case.style.parse::<Style>().expect("a known style"),
        ours: label("ours"),
        base: label("base"),
        theirs: label("theirs"),
    }
}

fn main() -> ExitCode {
    let args: Vec<u64> = std::env::args()
        .skip(1)
        .filter_map(|a| a.parse().ok())
        .collect();
    let cases = args.first().copied().unwrap_or(100_000);
    let first = args.get(1).copied().unwrap_or(1_000_000);
    let threads = std::thread::available_parallelism().map_or(2, std::num::NonZero::get) as u64;
    let failures: Vec<String> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                s.spawn(move || {
                    let mut bad = Vec::new();
                    let mut seed = first + t;
                    while seed < first + cases {
                        let case = generate::generate(seed);
                        let m = markers(&case);
                        let native =
                            linemerge::merge(&case.base, &case.ours, &case.theirs, &m).unwrap();
                        let git = GitMergeFile::default()
                            .merge(&case.base, &case.ours, &case.theirs, &m)
                            .unwrap();
                        if native != git {
                            bad.push(format!(
                                "seed {seed}: conflicts {} vs git {}",
                                native.conflicts, git.conflicts
                            ));
                        }
                        seed += threads;
                    }
                    bad
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap())
            .collect()
    });
    for f in &failures {
        println!("{f}");
    }
    println!(
        "{} of {cases} generated merges differ from git merge-file",
        failures.len()
    );
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
