//! What a new user meets first: the messages of a mistake, and the steps each command
//! names next (install, uninstall, doctor, demo, install.sh).

use std::path::Path;

use crate::support::{FILE, Repo, bin, case, clean_command};

/// Runs poolmerge in `dir` with a clean environment.
fn poolmerge_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    let out = clean_command(&bin(), home.path())
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn outside_a_repository_git_s_words_once() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = poolmerge_in(dir.path(), &["check"]);
    assert_eq!(code, 2, "{err}");
    assert_eq!(
        err.matches("not a git repository").count(),
        1,
        "said once: {err}"
    );
    assert_eq!(err.lines().count(), 1, "one line: {err}");
}

#[test]
fn a_mistyped_subcommand_or_option_gets_a_suggestion() {
    let dir = tempfile::tempdir().unwrap();
    let (code, _, err) = poolmerge_in(dir.path(), &["chek"]);
    assert_eq!(code, 2);
    assert_eq!(
        err.trim_end(),
        "poolmerge: unrecognized subcommand 'chek'; did you mean 'check'? (see poolmerge --help)"
    );
    let (code, _, err) = poolmerge_in(dir.path(), &["check", "--formta", "json"]);
    assert_eq!(code, 2);
    assert!(err.contains("did you mean '--format'?"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    // Nothing close: no suggestion.
    let (_, _, err) = poolmerge_in(dir.path(), &["zzzzzz"]);
    assert!(!err.contains("did you mean"), "{err}");
}

#[test]
fn an_unknown_revision_is_named_without_libgit2_s_codes() {
    let repo = Repo::seeded();
    let (code, _, err) = repo.poolmerge(&["check", "--merge", "no-such-branch"]);
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("poolmerge: unknown revision no-such-branch: "),
        "{err}"
    );
    assert!(!err.contains("class=") && !err.contains("code="), "{err}");
}

#[test]
fn an_engine_named_engine_is_not_named_twice() {
    let repo = Repo::new();
    repo.poolmerge(&["install"]);
    repo.commit(
        "database/db.py",
        b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nengine = create_engine(\"sqlite:///a.db\", poolclass=NullPool)\n",
        "module",
    );
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("database/db.py:4: the engine does not carry the pin"),
        "{out}"
    );
    let (code, out, err) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("pin the engine (line 4)"), "{out}");
    assert!(
        !format!("{out}{err}").contains("engine engine"),
        "{out}{err}"
    );
}

#[test]
fn install_names_the_commit_and_uninstall_leaves_nothing_for_doctor() {
    let repo = Repo::new();
    repo.commit(FILE, &case("01-unrelated-function", "ours.py"), "module");
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.trim_end().lines().last().unwrap().starts_with(
            "next: commit .gitattributes, so that the route holds in every clone: git add .gitattributes && git commit"
        ),
        "{out}"
    );
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    let (code, out, _) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0);
    assert!(!out.contains("next: commit"), "committed already: {out}");

    let (code, out, _) = repo.poolmerge(&["uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("attributes: deleted .gitattributes (it held only poolmerge's line)"),
        "{out}"
    );
    assert!(
        out.contains("next: the change to .gitattributes is staged; commit it"),
        "{out}"
    );
    assert_eq!(repo.ok(&["status", "--porcelain"]), "D  .gitattributes\n");
    let routed = repo.ok(&["check-attr", "merge", "--", FILE]);
    assert_eq!(routed, format!("{FILE}: merge: unspecified\n"));
    let (code, out, _) = repo.poolmerge(&["doctor"]);
    assert_eq!(code, 0, "{out}");
    assert!(!out.contains("PROBLEM"), "{out}");
    assert!(out.ends_with("poolmerge is not installed here.\n"), "{out}");
    repo.ok(&["commit", "-q", "-m", "Stop merging with poolmerge"]);
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
}

#[test]
fn uninstall_stages_the_edit_of_a_gitattributes_that_keeps_other_lines() {
    let repo = Repo::new();
    repo.commit(".gitattributes", b"*.sh text eol=lf\n", "attributes");
    repo.poolmerge(&["install"]);
    repo.ok(&["commit", "-q", "-am", "route"]);
    let (code, out, _) = repo.poolmerge(&["uninstall"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.contains("removed 1 line(s) from .gitattributes"),
        "{out}"
    );
    assert_eq!(
        String::from_utf8(repo.read(".gitattributes")).unwrap(),
        "*.sh text eol=lf\n"
    );
    assert_eq!(repo.ok(&["status", "--porcelain"]), "M  .gitattributes\n");
}

#[test]
fn the_demo_names_the_hooks_and_the_commit() {
    let dir = tempfile::tempdir().unwrap();
    let (code, out, err) = poolmerge_in(dir.path(), &["demo"]);
    assert_eq!(code, 0, "{err}");
    let next = &out[out.find("Next").expect("a next step")..];
    assert!(
        next.contains("poolmerge install --hooks") && next.contains("commit .gitattributes"),
        "{next}"
    );
}
