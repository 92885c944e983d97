//! What a new user meets first: the messages of a mistake, and the steps each command
//! names next (install, uninstall, doctor, demo, install.sh).

use std::path::Path;

use crate::support::{FILE, Repo, case};

/// Runs poolmerge in `dir` with a clean environment and a HOME of its own.
fn poolmerge_in(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let home = tempfile::tempdir().unwrap();
    crate::support::poolmerge_in(dir, home.path(), args)
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

/// Every rule the code and the docs cite is in docs/RULES.md: each `Mn` a heading, each
/// "docs/RULES.md, the X rule" and each `RULES.md#anchor` a section; no citation of a
/// document the repository does not have.
#[test]
fn every_rule_cited_is_in_the_rules() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let rules = std::fs::read_to_string(root.join("docs/RULES.md")).unwrap();
    let headings: Vec<String> = rules
        .lines()
        .filter_map(|l| l.strip_prefix("## ").or_else(|| l.strip_prefix("### ")))
        .map(str::to_lowercase)
        .collect();
    let anchors: Vec<String> = headings
        .iter()
        .map(|h| {
            h.chars()
                .filter(|c| c.is_alphanumeric() || *c == ' ' || *c == '-')
                .collect::<String>()
                .replace(' ', "-")
        })
        .collect();
    let mut files = Vec::new();
    let mut dirs = vec![root.join("src"), root.join("docs")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs" || e == "md") {
                files.push(path);
            }
        }
    }
    files.extend([root.join("README.md"), root.join("CONTRIBUTING.md")]);
    let rule = regex::Regex::new(r"\((M\d+b?)[,)]|\b(M\d+b?): ").unwrap();
    let named = regex::Regex::new(r"docs/RULES\.md, the ([A-Za-z ]+? rule)").unwrap();
    let linked = regex::Regex::new(r"RULES\.md#([a-z0-9-]+)").unwrap();
    let spec = regex::Regex::new(r"\bSPEC\b").unwrap();
    let mut missing = Vec::new();
    let mut checked = 0;
    for file in &files {
        let text = std::fs::read_to_string(file).unwrap();
        let shown = file.strip_prefix(root).unwrap().display().to_string();
        assert!(
            !spec.is_match(&text),
            "{shown} cites a SPEC the repository does not have"
        );
        for c in rule.captures_iter(&text) {
            checked += 1;
            let id = c.get(1).or(c.get(2)).unwrap().as_str().to_lowercase();
            if !headings.iter().any(|h| h.starts_with(&format!("{id}:"))) {
                missing.push(format!("{shown}: {id}"));
            }
        }
        for c in named.captures_iter(&text) {
            let title = c[1].to_lowercase();
            if !headings
                .iter()
                .any(|h| h.trim_start_matches("the ").starts_with(&title))
            {
                missing.push(format!("{shown}: {title}"));
            }
        }
        for c in linked.captures_iter(&text) {
            if !anchors.iter().any(|a| a == &c[1]) {
                missing.push(format!("{shown}: #{}", &c[1]));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "cited, not in docs/RULES.md: {missing:?}"
    );
    assert!(
        checked >= 10,
        "only {checked} rule citations found: the pattern is stale"
    );
    for n in 1..=13 {
        assert!(
            headings.iter().any(|h| h.starts_with(&format!("m{n}:"))),
            "M{n} has no section"
        );
    }
}

/// Nothing generated is tracked: no Python bytecode, no build output, no editor or OS
/// leftovers.
#[test]
fn the_repository_tracks_no_generated_files() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    if !root.join(".git").exists() {
        // A packaged crate: no repository to look at.
        return;
    }
    let out = std::process::Command::new("git")
        .current_dir(root)
        .args(["ls-files", "-z"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let generated: Vec<String> = out
        .stdout
        .split(|&b| b == 0)
        .map(|p| String::from_utf8_lossy(p).into_owned())
        .filter(|p| {
            p.contains("__pycache__/")
                || p.ends_with(".pyc")
                || p.starts_with("target/")
                || p.contains("/target/")
                || p.ends_with(".DS_Store")
                || p.ends_with('~')
                || p.ends_with(".orig")
                || p.ends_with(".rej")
        })
        .collect();
    assert!(
        generated.is_empty(),
        "generated files tracked: {generated:?}"
    );
}
