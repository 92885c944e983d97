//! Sides are decided by content: every clean case gives the same syntax tree with OURS
//! and THEIRS swapped (what git does during a rebase).

use crate::cases::all_cases;
use crate::support::{canonical, run_merge};

#[test]
fn clean_cases_give_the_same_tree_with_sides_swapped() {
    let mut checked = 0;
    let mut failures = Vec::new();
    for case in all_cases().iter().filter(|c| c.exit() == 0) {
        let (base, ours, theirs) = (
            case.file("base.py"),
            case.file("ours.py"),
            case.file("theirs.py"),
        );
        let args = case.args();
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let straight = run_merge(&base, &ours, &theirs, &args);
        let swapped = run_merge(&base, &theirs, &ours, &args);
        checked += 1;
        if straight.code != 0 || swapped.code != 0 {
            failures.push(format!(
                "{}: exits {} and {}",
                case.name, straight.code, swapped.code
            ));
            continue;
        }
        if canonical(&straight.out) != canonical(&swapped.out) {
            failures.push(format!("{}: different trees", case.name));
        }
    }
    assert!(checked >= 25, "only {checked} clean cases");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
