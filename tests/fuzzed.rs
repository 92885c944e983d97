//! Every input the fuzzer (`scripts/fuzz.sh`) found a problem with, kept in
//! `tests/data/fuzz` and held to the properties of `tests/invariants.rs`.

use crate::invariants;
use crate::support::data_dir;
use poolmerge::merge::Input;

#[test]
fn inputs_the_fuzzer_found_hold_every_property() {
    let dir = data_dir().join("fuzz");
    let mut checked = 0;
    let mut failures = Vec::new();
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let data = std::fs::read(&path).unwrap();
        let (opts, [base, ours, theirs]) = invariants::split(&data)
            .unwrap_or_else(|| panic!("{}: not three inputs", path.display()));
        let input = Input { base, ours, theirs };
        if let Err(problem) = invariants::check(&input, &opts) {
            failures.push(format!("{}: {problem}", path.display()));
        }
        checked += 1;
    }
    assert!(checked >= 1, "no fuzz inputs in {}", dir.display());
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
