//! End to end through real git: the driver registered in a temporary repository
//! (`git config` plus `.git/info/attributes`, exactly what users write), git run with
//! a clean environment and its own HOME, real `git merge` and `git rebase`.

use crate::support::{FILE, Repo, blocks, canonical, case, pin_problems};

/// A repository with the driver installed and the case's history: `fork` and
/// `upstream` name the case files each branch commits.
fn repo_with(c: &str, fork: &str, upstream: &str) -> Repo {
    let repo = Repo::new();
    repo.install_driver();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, fork),
        &case(c, upstream),
    );
    repo
}

#[test]
fn git_merge_of_upstream_is_clean_and_pinned() {
    let c = "14-seed-before-after";
    let repo = repo_with(c, "ours.py", "theirs.py");
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let merged = repo.read(FILE);
    assert_eq!(canonical(&merged), canonical(&case(c, "expected.py")));
    assert!(pin_problems(&merged).is_empty());
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
    // The decision is on stderr and in the log.
    assert!(
        String::from_utf8_lossy(&out.stderr)
            .contains("poolmerge: database/traffic_db.py: engine logs_engine")
    );
    let log = String::from_utf8(repo.read(".git/poolmerge.log")).unwrap();
    let entries: Vec<serde_json::Value> = log
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert!(
        entries
            .iter()
            .any(|e| e["region"] == "engine logs_engine" && e["path"] == FILE)
    );
}

#[test]
fn git_rebase_of_the_fork_onto_upstream_is_clean_and_pinned() {
    let c = "16-rebase-sides-swapped";
    let repo = repo_with(c, "theirs.py", "ours.py");
    let out = repo.git(&["rebase", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rebased = repo.read(FILE);
    assert_eq!(canonical(&rebased), canonical(&case(c, "expected.py")));
    assert!(pin_problems(&rebased).is_empty());
    assert_eq!(
        repo.ok(&["log", "--format=%s", "-2"]),
        "fork: pin StaticPool\nupstream change\n"
    );
}

#[test]
fn a_real_conflict_elsewhere_stays_a_conflict() {
    let c = "09-real-conflict-elsewhere";
    let repo = repo_with(c, "ours.py", "theirs.py");
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        !repo.ok(&["ls-files", "-u", FILE]).is_empty(),
        "the path stays unmerged"
    );
    let merged = repo.read(FILE);
    let (count, ours, theirs) = blocks(&merged, 7);
    assert_eq!(count, 1);
    assert_eq!(canonical(&ours), canonical(&case(c, "expected_ours.py")));
    assert_eq!(
        canonical(&theirs),
        canonical(&case(c, "expected_theirs.py"))
    );
    assert!(
        merged.windows(12).any(|w| w == b"<<<<<<< HEAD"),
        "git's own labels"
    );
}

/// Merges `main` into `fork` twice, with and without the driver, and returns both
/// files and whether each merge was clean.
fn with_and_without_driver(
    base: &[u8],
    fork: &[u8],
    upstream: &[u8],
    git_args: &[&str],
    attrs: &str,
) -> [(Vec<u8>, bool); 2] {
    [true, false].map(|driver| {
        let repo = Repo::new();
        if driver {
            repo.install_driver();
        }
        repo.write(".gitattributes", attrs.as_bytes());
        repo.ok(&["add", ".gitattributes"]);
        repo.history(FILE, base, fork, upstream);
        let mut args: Vec<&str> = git_args.to_vec();
        args.extend(["merge", "--no-edit", "main"]);
        let out = repo.git(&args);
        (repo.read(FILE), out.status.success())
    })
}

#[test]
fn without_pool_regions_the_driver_writes_what_git_merge_writes() {
    for c in ["12-no-engine-clean", "13-no-engine-conflict"] {
        let (b, o, t) = (case(c, "base.py"), case(c, "ours.py"), case(c, "theirs.py"));
        for (args, attrs) in [
            (vec![], ""),
            (vec!["-c", "merge.conflictStyle=diff3"], ""),
            (vec!["-c", "merge.conflictStyle=zdiff3"], ""),
            (vec![], "database/*.py conflict-marker-size=11\n"),
        ] {
            let [with, without] = with_and_without_driver(&b, &o, &t, &args, attrs);
            assert_eq!(
                with.1, without.1,
                "{c} {args:?}: same clean/conflict status"
            );
            assert_eq!(
                String::from_utf8_lossy(&with.0),
                String::from_utf8_lossy(&without.0),
                "{c} {args:?} {attrs:?}"
            );
        }
    }
}

/// The conflict style comes from wherever git takes it: `GIT_CONFIG_GLOBAL` and
/// `GIT_CONFIG_SYSTEM` files (and `GIT_CONFIG_NOSYSTEM`), the user's `~/.gitconfig`
/// (unless `GIT_CONFIG_GLOBAL` names another file), includes, `git -c` and
/// `GIT_CONFIG_COUNT`. In each, the driver writes what git's own merge writes.
#[test]
fn the_conflict_style_is_read_as_git_reads_it() {
    let c = "13-no-engine-conflict";
    let (b, o, t) = (case(c, "base.py"), case(c, "ours.py"), case(c, "theirs.py"));
    type Setup = fn(&Repo) -> (Vec<&'static str>, Vec<(String, String)>);
    let setups: [(&str, Setup); 7] = [
        ("GIT_CONFIG_GLOBAL names a file", |repo| {
            let path = repo.home().join("elsewhere.cfg");
            std::fs::write(&path, "[merge]\n\tconflictStyle = diff3\n").unwrap();
            (
                vec![],
                vec![("GIT_CONFIG_GLOBAL".into(), path.display().to_string())],
            )
        }),
        ("GIT_CONFIG_GLOBAL hides ~/.gitconfig", |repo| {
            std::fs::write(
                repo.home().join(".gitconfig"),
                "[merge]\n\tconflictStyle = zdiff3\n",
            )
            .unwrap();
            (
                vec![],
                vec![("GIT_CONFIG_GLOBAL".into(), "/dev/null".into())],
            )
        }),
        ("~/.gitconfig", |repo| {
            std::fs::write(
                repo.home().join(".gitconfig"),
                "[merge]\n\tconflictStyle = zdiff3\n",
            )
            .unwrap();
            (vec![], vec![])
        }),
        ("an include in the repository's config", |repo| {
            let path = repo.home().join("included.cfg");
            std::fs::write(&path, "[merge]\n\tconflictStyle = diff3\n").unwrap();
            repo.ok(&["config", "include.path", path.to_str().unwrap()]);
            (vec![], vec![])
        }),
        ("GIT_CONFIG_SYSTEM", |repo| {
            let path = repo.home().join("system.cfg");
            std::fs::write(&path, "[merge]\n\tconflictStyle = diff3\n").unwrap();
            (
                vec![],
                vec![
                    ("GIT_CONFIG_SYSTEM".into(), path.display().to_string()),
                    ("GIT_CONFIG_NOSYSTEM".into(), "0".into()),
                ],
            )
        }),
        ("GIT_CONFIG_COUNT", |_| {
            (
                vec![],
                vec![
                    ("GIT_CONFIG_COUNT".into(), "1".into()),
                    ("GIT_CONFIG_KEY_0".into(), "merge.conflictstyle".into()),
                    ("GIT_CONFIG_VALUE_0".into(), "zdiff3".into()),
                ],
            )
        }),
        ("git -c over the repository's config", |repo| {
            repo.ok(&["config", "merge.conflictStyle", "zdiff3"]);
            (vec!["-c", "merge.conflictStyle=merge"], vec![])
        }),
    ];
    for (what, setup) in setups {
        let [with, without] = [true, false].map(|driver| {
            let repo = Repo::new();
            if driver {
                repo.install_driver();
            }
            repo.history(FILE, &b, &o, &t);
            let (args, env) = setup(&repo);
            let mut all: Vec<&str> = args.clone();
            all.extend(["merge", "--no-edit", "main"]);
            let env: Vec<(&str, &str)> =
                env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
            let out = repo.git_env(&all, &env);
            let style = repo.git_env(
                &[&args[..], &["config", "merge.conflictStyle"]].concat(),
                &env,
            );
            (
                repo.read(FILE),
                out.status.success(),
                String::from_utf8_lossy(&style.stdout).trim().to_string(),
            )
        });
        assert!(!with.1 && !without.1, "{what}: the case conflicts");
        assert_eq!(with.2, without.2, "{what}: the same setting");
        assert_eq!(
            String::from_utf8_lossy(&with.0),
            String::from_utf8_lossy(&without.0),
            "{what} (git config says {:?})",
            with.2
        );
    }
}

#[test]
fn the_kill_switch_gives_gits_plain_merge() {
    let c = "06-upstream-edits-neighbour-imports";
    let (b, o, t) = (case(c, "base.py"), case(c, "ours.py"), case(c, "theirs.py"));
    let [_, plain] = with_and_without_driver(&b, &o, &t, &[], "");
    assert!(!plain.1, "plain git conflicts on this case");
    let repo = Repo::new();
    repo.install_driver();
    repo.history(FILE, &b, &o, &t);
    let out = repo.git_env(&["merge", "--no-edit", "main"], &[("POOLMERGE", "0")]);
    assert!(!out.status.success());
    assert_eq!(repo.read(FILE), plain.0);
    // And with the driver enabled the same merge is clean.
    repo.ok(&["merge", "--abort"]);
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// What the README says of `-X`: it never reaches the driver, `POOLMERGE=0` does not
/// change that, and `git checkout --theirs` then `poolmerge fix` takes upstream's side
/// of a file whole with the pin put back.
#[test]
fn strategy_options_do_not_reach_the_driver_and_the_documented_way_takes_a_side() {
    let c = "09-real-conflict-elsewhere";
    for kill_switch in [None, Some("0")] {
        let repo = repo_with(c, "ours.py", "theirs.py");
        let env: Vec<(&str, &str)> = kill_switch.map(|v| ("POOLMERGE", v)).into_iter().collect();
        let out = repo.git_env(&["merge", "--no-edit", "-X", "ours", "main"], &env);
        assert_eq!(
            out.status.code(),
            Some(1),
            "-X ours does not resolve the conflict"
        );
        let (count, _, _) = blocks(&repo.read(FILE), 7);
        assert_eq!(count, 1, "{kill_switch:?}");
    }
    let repo = repo_with(c, "ours.py", "theirs.py");
    repo.git(&["merge", "--no-edit", "main"]);
    repo.ok(&["checkout", "--theirs", "--", FILE]);
    assert!(
        !pin_problems(&repo.read(FILE)).is_empty(),
        "upstream's side lacks the pin"
    );
    let (code, out, err) = repo.poolmerge(&["fix", FILE]);
    assert_eq!(code, 0, "{out}{err}");
    repo.ok(&["add", FILE]);
    repo.ok(&["commit", "-q", "--no-edit"]);
    let committed = repo.ok(&["show", &format!("HEAD:{FILE}")]);
    assert!(pin_problems(committed.as_bytes()).is_empty(), "{committed}");
    // Exactly upstream's side with the pin applied.
    repo.write("expected.py", &case(c, "theirs.py"));
    repo.poolmerge(&["fix", "expected.py"]);
    assert_eq!(
        committed.as_bytes(),
        repo.read("expected.py"),
        "upstream's side, whole"
    );
}
