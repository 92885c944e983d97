//! The merge engine on three arbitrary inputs (`scripts/fuzz.sh` runs it).
//!
//! Input: a style byte, a marker-size byte, then base, ours and theirs separated by
//! the four bytes `FF FE FD FC`. Every input is held to the properties of
//! `tests/invariants.rs` (no panic, no error, git's bytes without pool code, no
//! markers in a clean result, a clean result that parses where git's does); a failure
//! aborts the run and leaves the input in `fuzz/artifacts/merge`, to be copied into
//! `tests/data/fuzz`.

#![no_main]

use libfuzzer_sys::fuzz_target;
use poolmerge::merge::Input;

#[path = "../../tests/invariants.rs"]
mod invariants;

fuzz_target!(|data: &[u8]| {
    let Some((opts, [base, ours, theirs])) = invariants::split(data) else {
        return;
    };
    let input = Input { base, ours, theirs };
    if let Err(problem) = invariants::check(&input, &opts) {
        panic!("{problem}");
    }
});
