//! The corpus from outside OpenAlgo: real successive versions of files that create
//! SQLAlchemy engines in other public projects (tests/data/corpus, one folder each,
//! the source commits and why the expected result is right in its meta.json), run
//! through the driver with the same checks as the acceptance cases. A fixture whose
//! meta.json names a `limit` is one poolmerge does not pass yet: it must still fail
//! (and so never pass silently worse or better without being moved).

use crate::cases::{check, load, swapped};
use crate::support::data_dir;

#[test]
fn the_corpus_from_other_projects_merges_as_expected() {
    let root = data_dir().join("corpus");
    let mut dirs: Vec<std::path::PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("meta.json").is_file())
        .collect();
    dirs.sort();
    let mut failures = Vec::new();
    let (mut passed, mut limits) = (0, 0);
    let mut repos: Vec<String> = Vec::new();
    for dir in &dirs {
        let case = load(dir);
        let repo = case.meta["source"]["repo"].as_str().unwrap_or_default();
        assert!(
            !repo.is_empty(),
            "{}: meta.json names no source repo",
            case.name
        );
        let owner = repo.split('/').next().unwrap_or_default().to_lowercase();
        let project = repo.rsplit('/').next().unwrap_or_default().to_lowercase();
        if !repos.contains(&project) && owner != "marketcalls" {
            repos.push(project);
        }
        assert!(
            case.meta["why"].as_str().is_some_and(|s| !s.is_empty()),
            "{}: meta.json must say why the expected result is right (\"why\")",
            case.name
        );
        let mut errs = check(&case);
        if case.exit() == 0 {
            errs.extend(swapped(&case));
        }
        match (case.meta["limit"].as_str(), errs.is_empty()) {
            (None, true) => passed += 1,
            (None, false) => failures.push(format!("{}: {}", case.name, errs.join("; "))),
            (Some(_), false) => limits += 1,
            (Some(_), true) => failures.push(format!(
                "{} now passes: remove its \"limit\" from meta.json",
                case.name
            )),
        }
    }
    eprintln!(
        "corpus: {} fixtures from {} projects, {passed} pass, {limits} known limits",
        dirs.len(),
        repos.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(
        repos.len() >= 10,
        "the corpus spans {} projects",
        repos.len()
    );
}
