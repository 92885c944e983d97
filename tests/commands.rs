//! `resolve`, `check` and `fix`, each in a temporary repository.

use crate::support::{FILE, Repo, bin, blocks, canonical, case, clean_command, pin_problems};

/// A fork branch checked out, `main` holding upstream's change, the files routed to
/// poolmerge but no driver registered: git leaves the engine conflicts to `resolve`.
pub fn fork_without_driver(c: &str) -> Repo {
    let repo = Repo::new();
    repo.route_without_driver();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, "ours.py"),
        &case(c, "theirs.py"),
    );
    repo
}

/// HEAD, the index, the work tree's status and every ref, to compare before and after.
fn snapshot(repo: &Repo) -> String {
    [
        repo.ok(&["rev-parse", "HEAD"]),
        repo.ok(&["ls-files", "-s"]),
        repo.ok(&["status", "--porcelain", "--untracked-files=all"]),
        repo.ok(&["for-each-ref"]),
    ]
    .concat()
}

#[test]
fn resolve_finishes_a_conflicted_merge_and_stages_it() {
    let c = "06-upstream-edits-neighbour-imports";
    let repo = fork_without_driver(c);
    assert!(
        !repo.git(&["merge", "--no-edit", "main"]).status.success(),
        "plain git conflicts"
    );
    let (code, out, _) = repo.poolmerge(&["resolve"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "database/traffic_db.py: resolved\n")
    );
    assert_eq!(repo.ok(&["ls-files", "-u"]), "", "nothing unmerged");
    assert_eq!(
        repo.ok(&["status", "--porcelain"]),
        "M  database/traffic_db.py\n",
        "staged, as git add would"
    );
    assert_eq!(
        canonical(&repo.read(FILE)),
        canonical(&case(c, "expected.py"))
    );
    repo.ok(&["commit", "-q", "--no-edit"]);
}

#[test]
fn resolve_leaves_a_real_conflict_unstaged_but_resolves_the_engine() {
    let c = "09-real-conflict-elsewhere";
    let repo = fork_without_driver(c);
    assert!(!repo.git(&["merge", "--no-edit", "main"]).status.success());
    let (code, out, _) = repo.poolmerge(&["resolve"]);
    assert_eq!(
        (code, out.as_str()),
        (1, "database/traffic_db.py: 1 conflict left\n")
    );
    assert_ne!(repo.ok(&["ls-files", "-u", FILE]), "", "still unmerged");
    let merged = repo.read(FILE);
    let (count, ours, theirs) = blocks(&merged, 7);
    assert_eq!(count, 1);
    assert_eq!(canonical(&ours), canonical(&case(c, "expected_ours.py")));
    assert_eq!(
        canonical(&theirs),
        canonical(&case(c, "expected_theirs.py"))
    );
    let text = String::from_utf8(merged).unwrap();
    assert!(
        text.contains("\n<<<<<<< HEAD\n") && text.contains("\n>>>>>>> main\n"),
        "git's labels kept"
    );
}

#[test]
fn resolve_dry_run_changes_nothing() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    repo.git(&["merge", "--no-edit", "main"]);
    let before = (snapshot(&repo), repo.read(FILE));
    let (code, out, _) = repo.poolmerge(&["resolve", "--dry-run"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "database/traffic_db.py: would be resolved\n")
    );
    assert_eq!((snapshot(&repo), repo.read(FILE)), before);
}

#[test]
fn resolve_reports_a_modify_delete_conflict() {
    let c = "01-unrelated-function";
    let repo = Repo::new();
    repo.route_without_driver();
    repo.commit(FILE, &case(c, "base.py"), "base");
    repo.ok(&["checkout", "-q", "-b", "fork"]);
    repo.commit(FILE, &case(c, "ours.py"), "pin");
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["rm", "-q", FILE]);
    repo.ok(&["commit", "-q", "-m", "upstream deletes the module"]);
    repo.ok(&["checkout", "-q", "fork"]);
    repo.git(&["merge", "--no-edit", "main"]);
    let (code, out, _) = repo.poolmerge(&["resolve"]);
    assert_eq!(code, 1);
    assert_eq!(
        out,
        "database/traffic_db.py: still conflicted (deleted in theirs, changed in the other)\n"
    );
    assert_ne!(repo.ok(&["ls-files", "-u", FILE]), "");
}

#[test]
fn resolve_a_diff3_marked_file_without_index_stages() {
    let repo = Repo::new();
    let base = String::from_utf8(case("03-upstream-adds-keyword", "base.py")).unwrap();
    let ours = String::from_utf8(case("03-upstream-adds-keyword", "ours.py")).unwrap();
    let theirs = String::from_utf8(case("03-upstream-adds-keyword", "theirs.py")).unwrap();
    // The file as a diff3 merge left it: the engine conflicts, and one other block.
    let engine = |s: &str| {
        let start = s.find("    logs_engine = create_engine(\n").unwrap();
        let end = start + s[start..].find("\n    )\n").unwrap() + 7;
        (
            s[..start].to_string(),
            s[start..end].to_string(),
            s[end..].to_string(),
        )
    };
    let (head, o, tail) = engine(&ours);
    let (_, b, _) = engine(&base);
    let (_, t, _) = engine(&theirs);
    let other = "<<<<<<< HEAD\nRETRIES = 3\n||||||| base\nRETRIES = 1\n=======\nRETRIES = 5\n>>>>>>> upstream\n";
    let text = format!(
        "{head}<<<<<<< HEAD\n{o}||||||| base\n{b}=======\n{t}>>>>>>> upstream\n{tail}{other}"
    );
    repo.write("database/marked.py", text.as_bytes());
    let (code, out, _) = repo.poolmerge(&["resolve", "database/marked.py"]);
    assert_eq!(
        (code, out.as_str()),
        (1, "database/marked.py: 1 conflict left (1 resolved)\n")
    );
    let now = String::from_utf8(repo.read("database/marked.py")).unwrap();
    let want_engine = o.replace(
        "        pool_pre_ping=True,\n",
        "        pool_pre_ping=True,\n        echo=False,\n",
    );
    assert_eq!(now, format!("{head}{want_engine}{tail}{other}"));
}

#[test]
fn check_finds_an_unpinned_engine_with_its_line_then_fix_makes_it_clean() {
    let repo = Repo::new();
    repo.route_without_driver();
    repo.commit(FILE, &case("01-unrelated-function", "ours.py"), "pinned");
    repo.commit("database/cache_db.py", b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\n# cache\ncache_engine = create_engine(\"sqlite:///db/cache.db\", poolclass=NullPool)\n", "unpinned");
    repo.commit(
        "app/other.py",
        b"e = create_engine(\"sqlite:///x.db\")\n",
        "not owned",
    );
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1);
    assert!(out.contains("database/cache_db.py:5: engine cache_engine does not carry the pin: poolclass is NullPool, not StaticPool"), "{out}");
    assert!(
        out.contains("database/cache_db.py:2: StaticPool is not imported from sqlalchemy.pool"),
        "{out}"
    );
    assert!(
        !out.contains("app/other.py") && !out.contains("traffic_db"),
        "{out}"
    );
    assert!(out.ends_with("2 problems in 2 files checked\n"), "{out}");

    let (code, out, _) = repo.poolmerge(&["fix", "--check"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        repo.ok(&["status", "--porcelain"]),
        "",
        "--check writes nothing"
    );
    let (code, out, _) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0);
    assert!(out.starts_with("fixed database/cache_db.py: "), "{out}");
    let fixed = repo.read("database/cache_db.py");
    assert!(pin_problems(&fixed).is_empty());
    assert!(fixed.starts_with(b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import StaticPool\n\n# cache\n"));
    assert_eq!(
        repo.ok(&["status", "--porcelain"]),
        " M database/cache_db.py\n",
        "only the unpinned file changed"
    );
    assert_eq!(repo.poolmerge(&["check"]).0, 0);
    let (code, out, _) = repo.poolmerge(&["fix"]);
    assert_eq!(
        (code, out.as_str()),
        (0, ""),
        "a second fix changes nothing"
    );
    assert_eq!(repo.read("database/cache_db.py"), fixed);
}

#[test]
fn check_finds_conflict_markers() {
    let repo = Repo::new();
    repo.route_without_driver();
    repo.commit(
        FILE,
        b"x = 1\n<<<<<<< HEAD\na = 1\n=======\na = 2\n>>>>>>> main\n",
        "markers",
    );
    let (code, out, _) = repo.poolmerge(&["check"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with("database/traffic_db.py:2: conflict markers\n"),
        "{out}"
    );
}

#[test]
fn check_merge_is_clean_and_read_only() {
    let c = "14-seed-before-after";
    let repo = fork_without_driver(c);
    let before = snapshot(&repo);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(out, "ok: 1 file checked\n");
    assert_eq!(
        snapshot(&repo),
        before,
        "HEAD, index, work tree and refs unchanged"
    );
}

#[test]
fn check_merge_reports_what_poolmerge_resolves_without_failing() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "database/traffic_db.py: poolmerge resolves what git alone would leave conflicted\n"
        ),
        "{out}"
    );
}

#[test]
fn check_merge_lists_upstreams_comment_the_merge_leaves_out() {
    let repo = fork_without_driver("73-both-rewrite-comment-above-module-level-engine");
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 0, "{out}");
    let line = out
        .lines()
        .find(|l| l.contains("left out"))
        .unwrap_or_else(|| panic!("no left-out line: {out}"));
    assert!(line.starts_with("database/traffic_db.py:"), "{line}");
    assert!(
        line.contains("NullPool: connections close after every bot command"),
        "upstream's words are shown: {line}"
    );
}

#[test]
fn check_merge_with_a_real_conflict_names_the_file_in_every_format() {
    let repo = fork_without_driver("09-real-conflict-elsewhere");
    let before = snapshot(&repo);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with(
            "database/traffic_db.py: would stay conflicted (1 conflict block after poolmerge)\n"
        ),
        "{out}"
    );
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(json["ok"], false);
    assert_eq!(json["findings"][0]["kind"], "conflict");
    assert_eq!(json["findings"][0]["path"], FILE);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main", "--format", "github"]);
    assert_eq!(code, 1);
    assert!(
        out.starts_with(
            "::error file=database/traffic_db.py,title=poolmerge conflict::would stay conflicted"
        ),
        "{out}"
    );
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main", "--format", "markdown"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("| `database/traffic_db.py` | still conflicted | would stay conflicted")
            && out.ends_with("**1 problem** in 1 file checked\n"),
        "{out}"
    );
    assert_eq!(snapshot(&repo), before);
}

#[test]
fn check_merge_reports_an_upstream_file_that_arrives_unpinned() {
    let c = "14-seed-before-after";
    let repo = fork_without_driver(c);
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit("database/cache_db.py", b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\ncache_engine = create_engine(\"sqlite:///db/cache.db\", poolclass=NullPool)\n", "upstream adds a module");
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("database/cache_db.py:4: engine cache_engine does not carry the pin"),
        "{out}"
    );
    assert!(!out.contains("conflict"), "{out}");
}

/// Registers a driver that leaves a trace file when git runs it.
fn trace_driver(repo: &Repo) -> std::path::PathBuf {
    let trace = repo.home().join("driver-ran");
    let driver = format!("touch '{}'; false", trace.display());
    repo.ok(&["config", "merge.poolmerge.driver", &driver]);
    trace
}

#[test]
fn check_merge_runs_no_driver_process() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    let trace = trace_driver(&repo);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 0, "{out}");
    assert!(
        out.starts_with(
            "database/traffic_db.py: poolmerge resolves what git alone would leave conflicted\n"
        ),
        "{out}"
    );
    assert!(!trace.exists(), "git ran the merge driver");
}

#[test]
fn check_merge_follows_a_route_in_any_attribute_file() {
    let c = "06-upstream-edits-neighbour-imports";
    for place in [".git/info/attributes", "home/.config/git/attributes"] {
        let repo = Repo::new();
        repo.history(
            FILE,
            &case(c, "base.py"),
            &case(c, "ours.py"),
            &case(c, "theirs.py"),
        );
        let trace = trace_driver(&repo);
        let path = repo
            .work()
            .parent()
            .unwrap()
            .join(place.replace(".git", "work/.git"));
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, "database/*.py merge=poolmerge\n").unwrap();
        // git traces every process it starts: no driver process at all, not even a
        // stand-in, wherever the route is written.
        let git_trace = repo.work().parent().unwrap().join("git-trace");
        let run = clean_command(&bin(), &repo.home())
            .current_dir(repo.work())
            .env("GIT_TRACE", &git_trace)
            .args(["check", "--merge", "main"])
            .output()
            .unwrap();
        let out = String::from_utf8_lossy(&run.stdout);
        assert_eq!(run.status.code(), Some(0), "{place}: {out}");
        assert!(
            out.starts_with("database/traffic_db.py: poolmerge resolves"),
            "{place}: {out}"
        );
        assert!(!trace.exists(), "{place}: git ran the merge driver");
        let traced = std::fs::read_to_string(&git_trace).unwrap();
        assert!(
            traced.contains("merge-tree") && !traced.contains("run_command"),
            "{place}: {traced}"
        );
    }
}

#[test]
fn check_merge_merges_a_file_upstream_renamed() {
    let c = "06-upstream-edits-neighbour-imports";
    let repo = Repo::new();
    repo.route_without_driver();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, "ours.py"),
        &case(c, "theirs.py"),
    );
    repo.ok(&["checkout", "-q", "main"]);
    repo.ok(&["mv", FILE, "database/traffic2_db.py"]);
    repo.ok(&["commit", "-q", "-m", "upstream renames"]);
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(
        out,
        "database/traffic2_db.py: poolmerge resolves what git alone would leave conflicted\nok: 1 file checked\n"
    );
}

#[test]
fn check_merge_works_in_a_bare_clone() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    let bare = repo.work().parent().unwrap().join("bare.git");
    repo.ok(&[
        "clone",
        "-q",
        "--bare",
        repo.work().to_str().unwrap(),
        bare.to_str().unwrap(),
    ]);
    let out = crate::support::clean_command(&crate::support::bin(), &repo.home())
        .current_dir(&bare)
        .args(["check", "--merge", "main"])
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.contains("database/traffic_db.py: poolmerge resolves"),
        "attributes from HEAD's tree: {stdout}"
    );
}

#[test]
fn resolve_works_in_the_middle_of_a_rebase_and_a_cherry_pick() {
    let c = "06-upstream-edits-neighbour-imports";
    for op in [&["rebase", "main"][..], &["cherry-pick", "fork"][..]] {
        let repo = fork_without_driver(c);
        if op[0] == "cherry-pick" {
            repo.ok(&["checkout", "-q", "main"]);
        }
        assert!(
            !repo.git(op).status.success(),
            "{op:?} stops on the conflict"
        );
        let (code, out, _) = repo.poolmerge(&["resolve"]);
        assert_eq!(
            (code, out.as_str()),
            (0, "database/traffic_db.py: resolved\n"),
            "{op:?}"
        );
        assert!(
            repo.git(&["-c", "core.editor=true", op[0], "--continue"])
                .status
                .success(),
            "{op:?}"
        );
        assert_eq!(
            canonical(&repo.read(FILE)),
            canonical(&case(c, "expected.py")),
            "{op:?}"
        );
    }
}

#[test]
fn resolve_writes_the_work_tree_with_the_repositorys_line_endings() {
    let c = "06-upstream-edits-neighbour-imports";
    let repo = Repo::new();
    repo.ok(&["config", "core.autocrlf", "true"]);
    repo.route_without_driver();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, "ours.py"),
        &case(c, "theirs.py"),
    );
    repo.git(&["merge", "--no-edit", "main"]);
    assert_eq!(repo.poolmerge(&["resolve"]).0, 0);
    let worktree = repo.read(FILE);
    assert!(worktree.windows(2).any(|w| w == b"\r\n"));
    assert!(
        !worktree
            .iter()
            .enumerate()
            .any(|(i, &b)| b == b'\n' && (i == 0 || worktree[i - 1] != b'\r')),
        "CRLF only"
    );
    let staged = repo.ok(&["show", &format!(":{FILE}")]);
    assert!(
        !staged.contains('\r'),
        "the index holds LF, as git add stores it"
    );
    assert_eq!(
        canonical(staged.as_bytes()),
        canonical(&case(c, "expected.py"))
    );
}

#[test]
fn resolve_names_unmerged_paths_that_are_not_routed() {
    // The route lives only in .gitattributes on the fork: not in the merge's work tree
    // when a rebase replays the fork's commits, and not here either (no attribute).
    let c = "06-upstream-edits-neighbour-imports";
    let repo = Repo::new();
    repo.history(
        FILE,
        &case(c, "base.py"),
        &case(c, "ours.py"),
        &case(c, "theirs.py"),
    );
    assert!(!repo.git(&["merge", "--no-edit", "main"]).status.success());
    let (code, out, _) = repo.poolmerge(&["resolve"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("database/traffic_db.py: still conflicted, not routed to poolmerge")
            && out.contains("poolmerge install")
            && out.contains("poolmerge resolve database/traffic_db.py"),
        "{out}"
    );
    // Named, it is resolved.
    let (code, out, _) = repo.poolmerge(&["resolve", FILE]);
    assert_eq!(
        (code, out.as_str()),
        (0, "database/traffic_db.py: resolved\n")
    );
    let (code, out, _) = repo.poolmerge(&["resolve"]);
    assert_eq!(
        (code, out.as_str()),
        (0, "nothing to resolve: no path is unmerged\n")
    );
}

#[test]
fn check_merge_models_the_installed_hooks() {
    let c = "14-seed-before-after";
    let repo = fork_without_driver(c);
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit("database/cache_db.py", b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\ncache_engine = create_engine(\"sqlite:///db/cache.db\", poolclass=NullPool)\n", "upstream adds a module");
    repo.commit("database/odd_db.py", b"from sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nodd = create_engine(\"sqlite:///db/odd.db\", poolclass=NullPool, connect_args=ARGS)\n", "upstream adds a module fix cannot pin");
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains(
            "database/cache_db.py:2: arrives without the pin; pinned by poolmerge in the merge"
        ),
        "{out}"
    );
    assert!(
        out.contains("database/odd_db.py:4: engine odd does not carry the pin")
            && out.contains("(the hooks cannot pin it: edit it by hand)"),
        "what the hooks cannot pin still fails: {out}"
    );
    let (_, json, _) = repo.poolmerge(&["check", "--merge", "main", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    let hooks: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "hooks")
        .collect();
    assert_eq!(hooks.len(), 1, "{json}");
    assert_eq!(hooks[0]["failure"], false);
    // Without the hooks here (a CI clone), --with-hooks predicts the same.
    let (_, out, _) = repo.poolmerge(&["uninstall"]);
    let (code, plain, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1, "{plain}");
    assert!(
        plain.contains("database/cache_db.py:4: engine cache_engine does not carry the pin"),
        "{out}{plain}"
    );
    let (code, with, _) = repo.poolmerge(&["check", "--merge", "main", "--with-hooks"]);
    assert_eq!(code, 1, "{with}");
    assert!(with.contains("pinned by poolmerge in the merge"), "{with}");
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(repo.ok(&["status", "--porcelain"]), "");
    // What the check said is what the merge does.
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(pin_problems(cache.as_bytes()).is_empty(), "{cache}");
}

/// A module HEAD holds unpinned that the merge leaves as it is: the merge pins nothing
/// of it, and the check says so as a failure, hooks or not; likewise when upstream is
/// already merged.
#[test]
fn check_merge_fails_what_the_merge_leaves_unpinned() {
    let repo = fork_without_driver("14-seed-before-after");
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.write(
        "database/old_db.py",
        b"from sqlalchemy import create_engine\n\nold = create_engine(\"sqlite:///db/old.db\")\n",
    );
    repo.ok(&["add", "database/old_db.py"]);
    repo.ok(&["commit", "-q", "--no-verify", "-m", "an unpinned module"]);
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("database/old_db.py:3: engine old does not carry the pin")
            && out.contains("the merge does not change it"),
        "{out}"
    );
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(out.status.success());
    let (code, out, _) = repo.poolmerge(&["check", "--merge", "main"]);
    assert_eq!(code, 1, "already merged, HEAD unpinned: {out}");
    assert!(out.contains("database/old_db.py"), "{out}");
}

#[test]
fn check_merge_without_a_merge_base_says_to_fetch() {
    let repo = fork_without_driver("14-seed-before-after");
    repo.ok(&["checkout", "-q", "--orphan", "unrelated"]);
    repo.ok(&["rm", "-rq", "--cached", "."]);
    repo.commit("other.txt", b"other\n", "unrelated history");
    repo.ok(&["checkout", "-q", "-f", "fork"]);
    let (code, out, err) = repo.poolmerge(&["check", "--merge", "unrelated"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("share no history here") && err.contains("git fetch --unshallow"),
        "{err}"
    );
    // A shallow clone says so.
    let shallow = repo.home().join("shallow");
    let url = format!("file://{}", repo.work().display());
    let out = crate::support::clean_command(std::path::Path::new("git"), &repo.home())
        .args([
            "clone",
            "-q",
            "--depth",
            "1",
            "--no-single-branch",
            &url,
            shallow.to_str().unwrap(),
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = crate::support::clean_command(&crate::support::bin(), &repo.home())
        .current_dir(&shallow)
        .args(["check", "--merge", "origin/main"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(err.contains("(this clone is shallow)"), "{err}");
}

#[test]
fn check_and_fix_with_nothing_routed_say_so_and_fail() {
    let repo = crate::support::Repo::new();
    repo.write(
        "database/app_db.py",
        b"engine = create_engine(\"sqlite:///a.db\")\n",
    );
    repo.ok(&["add", "."]);
    repo.ok(&["commit", "-q", "-m", "no attributes"]);
    for args in [&["check"][..], &["check", "--merge", "HEAD"], &["fix"]] {
        let (code, out, err) = repo.poolmerge(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.contains("--allow-empty"), "{args:?}: {err}");
        let mut allowed = args.to_vec();
        allowed.push("--allow-empty");
        let (code, out, err) = repo.poolmerge(&allowed);
        assert_eq!(code, 0, "{allowed:?}: {out}{err}");
    }
}

/// A partial clone (`--filter=blob:none`) holds only the blobs git needed so far:
/// `check --merge` reads upstream's through git, which fetches them, and never shows
/// libgit2's own error.
#[test]
fn check_merge_works_in_a_partial_clone() {
    let repo = fork_without_driver("06-upstream-edits-neighbour-imports");
    repo.ok(&["config", "uploadpack.allowFilter", "true"]);
    let home = repo.home();
    let clone = home.join("partial");
    let url = format!("file://{}", repo.work().display());
    let out = clean_command(std::path::Path::new("git"), &home)
        .args(["clone", "-q", "--filter=blob:none", "--no-checkout", &url])
        .arg(&clone)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let git = |args: &[&str]| {
        clean_command(std::path::Path::new("git"), &home)
            .current_dir(&clone)
            .args(args)
            .output()
            .unwrap()
    };
    let head = repo.ok(&["rev-parse", "--abbrev-ref", "HEAD"]);
    assert!(git(&["checkout", "-q", head.trim()]).status.success());
    let out = clean_command(&bin(), &home)
        .current_dir(&clone)
        .args(["check", "--merge", "origin/main"])
        .output()
        .unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0), "{said}");
    assert!(!said.contains("class="), "{said}");
}
