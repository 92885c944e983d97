//! poolmerge's merge strategy is git's merge outside pool regions: the same merge,
//! in two copies of one repository, by `git merge` with poolmerge's strategy and by
//! plain git (`ort`, poolmerge off), leaves the same exit status, the same messages,
//! the same index and the same bytes in every file poolmerge does not own. Then the
//! same for cherry-pick, revert and rebase, which git runs with the strategy too.

use std::path::{Path, PathBuf};
use std::process::Output;

use crate::support::{Repo, clean_command};

/// A fork whose branches differ in the ways git's merge has rules for: content edits
/// apart and in conflict, a modify/delete, an add/add, a rename with an edit, a
/// directory renamed on one side with a file added on the other, a binary file, a
/// mode change, a custom marker size, a module poolmerge owns.
fn scenario() -> Repo {
    let repo = Repo::new();
    let lines = |tag: &str| -> Vec<u8> {
        (0..40)
            .map(|i| format!("line {i} {}\n", if i % 10 == 5 { tag } else { "" }))
            .collect::<String>()
            .into_bytes()
    };
    repo.write("app/edits.txt", &lines("base"));
    repo.write("app/conflict.txt", b"a\nb\nc\n}\n\nd\ne\n");
    repo.write("app/gone.txt", b"keep\nthis\n");
    repo.write("app/renamed.txt", &lines("r"));
    repo.write("lib/one.py", b"x = 1\n");
    repo.write("lib/two.py", b"y = 2\n");
    repo.write("bin/data.bin", b"\x00\x01\x02base");
    repo.write("tool.sh", b"echo hi\n");
    repo.write("markers.txt", b"m1\nm2\nm3\n");
    repo.write(".gitattributes", b"markers.txt conflict-marker-size=11\n");
    repo.write(
        "database/app_db.py",
        b"from sqlalchemy import create_engine\n\nengine = create_engine('sqlite:///a.db')\n",
    );
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "base"]);
    repo.ok(&["checkout", "-q", "-b", "fork"]);
    repo.write("app/edits.txt", &lines("fork"));
    repo.write("app/conflict.txt", b"a\nB fork\nc\n}\n\nD fork\ne\n");
    repo.write("app/gone.txt", b"keep\nthis, edited\n");
    repo.write("app/renamed.txt", &{
        let mut l = lines("r");
        l.extend_from_slice(b"fork tail\n");
        l
    });
    repo.write("lib/three.py", b"z = 3\n");
    repo.write("added.txt", b"fork's\n");
    repo.write("bin/data.bin", b"\x00\x01\x02fork");
    repo.write("markers.txt", b"m1\nfork\nm3\n");
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "fork"]);
    repo.ok(&["checkout", "-q", "main"]);
    let mut up = lines("base");
    up.splice(0..0, b"upstream head\n".iter().copied());
    repo.write("app/edits.txt", &up);
    repo.write("app/conflict.txt", b"a\nB up\nc\n}\n\nD up\ne\n");
    std::fs::remove_file(repo.work().join("app/gone.txt")).unwrap();
    repo.ok(&["mv", "app/renamed.txt", "app/moved.txt"]);
    repo.ok(&["mv", "lib", "src"]);
    repo.write("added.txt", b"upstream's\n");
    repo.write("bin/data.bin", b"\x00\x01\x02up");
    repo.write("markers.txt", b"m1\nup\nm3\n");
    repo.write(
        "database/app_db.py",
        b"from sqlalchemy import create_engine\n\nengine = create_engine('sqlite:///b.db')\n",
    );
    {
        use std::os::unix::fs::PermissionsExt;
        let tool = repo.work().join("tool.sh");
        std::fs::set_permissions(&tool, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "upstream"]);
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("pull.twohead = poolmerge"), "{out}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    repo
}

/// A copy of the repository's directory (work tree, git directory, home).
fn copy(repo: &Repo, name: &str) -> PathBuf {
    let from = repo.work().parent().unwrap().to_path_buf();
    let to = from.join(format!(
        "../{}-{name}",
        from.file_name().unwrap().to_str().unwrap()
    ));
    let out = std::process::Command::new("cp")
        .arg("-a")
        .arg(&from)
        .arg(&to)
        .output()
        .unwrap();
    assert!(out.status.success());
    to
}

fn git(root: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = clean_command(Path::new("git"), &root.join("home"));
    cmd.current_dir(root.join("work"))
        .args(args)
        .env("GIT_EDITOR", "true")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Everything the merge left that poolmerge does not own: status, messages, index,
/// work-tree files, the message git prepared.
fn outcome(root: &Path, out: &Output) -> String {
    let mut text = format!("exit {:?}\n", out.status.code());
    let said = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.contains("strategy"))
        .collect::<Vec<_>>()
        .join("\n");
    text.push_str(&said);
    let index = git(root, &["ls-files", "-s"], &[]);
    for line in String::from_utf8_lossy(&index.stdout).lines() {
        if !line.ends_with(".py") || !line.contains("database/") {
            text.push_str(&format!("\n{line}"));
        }
    }
    let files = git(root, &["ls-files", "-co", "--exclude-standard"], &[]);
    let mut names: Vec<String> = String::from_utf8_lossy(&files.stdout)
        .lines()
        .map(String::from)
        .collect();
    names.dedup();
    for name in names {
        if name.starts_with("database/") {
            continue;
        }
        let bytes = std::fs::read(root.join("work").join(&name)).unwrap_or_default();
        text.push_str(&format!("\n== {name}\n{}", String::from_utf8_lossy(&bytes)));
    }
    let msg = std::fs::read(root.join("work/.git/MERGE_MSG")).unwrap_or_default();
    text.push_str(&format!(
        "\n== MERGE_MSG\n{}",
        String::from_utf8_lossy(&msg)
    ));
    text
}

/// The command, once with poolmerge's strategy and once as plain git.
fn same_as_git(repo: &Repo, name: &str, config: &[&str], command: &[&str]) {
    let ours = copy(repo, &format!("{name}-poolmerge"));
    let plain = copy(repo, &format!("{name}-git"));
    let mut args: Vec<&str> = config.to_vec();
    args.extend(command);
    let a = git(&ours, &args, &[]);
    let mut plain_args = vec!["-c", "pull.twohead=ort"];
    plain_args.extend(&args);
    let b = git(&plain, &plain_args, &[("POOLMERGE", "0")]);
    let (a_text, b_text) = (outcome(&ours, &a), outcome(&plain, &b));
    assert_eq!(
        a_text,
        b_text,
        "{name}: {command:?} with poolmerge's strategy differs from git's\n{}",
        String::from_utf8_lossy(&a.stderr)
    );
    for root in [ours, plain] {
        std::fs::remove_dir_all(root).unwrap();
    }
}

#[test]
fn the_strategy_merges_as_git_merge_does_outside_pool_regions() {
    let repo = scenario();
    let merge: &[&str] = &["merge", "--no-edit", "main"];
    same_as_git(&repo, "merge", &[], merge);
    for style in ["diff3", "zdiff3"] {
        let config = format!("merge.conflictStyle={style}");
        same_as_git(&repo, style, &["-c", &config], merge);
    }
    for option in ["ours", "theirs", "patience", "no-renames"] {
        let x = format!("-X{option}");
        same_as_git(&repo, option, &[], &["merge", "--no-edit", &x, "main"]);
    }
    same_as_git(&repo, "no-commit", &[], &["merge", "--no-commit", "main"]);
    let sha = repo.ok(&["rev-parse", "main"]);
    same_as_git(&repo, "by-id", &[], &["merge", "--no-edit", sha.trim()]);
}

#[test]
fn picks_go_through_the_strategy_as_git_s_own() {
    let repo = scenario();
    same_as_git(&repo, "cherry-pick", &[], &["cherry-pick", "main"]);
    same_as_git(
        &repo,
        "cherry-pick-diff3",
        &["-c", "merge.conflictStyle=diff3"],
        &["cherry-pick", "main"],
    );
    same_as_git(
        &repo,
        "rebase",
        &["-c", "merge.conflictStyle=diff3"],
        &["rebase", "main"],
    );
    same_as_git(
        &repo,
        "revert",
        &["-c", "merge.conflictStyle=diff3"],
        &["revert", "--no-edit", "HEAD~1"],
    );
}

/// A dirty work tree or index stops the merge before anything is written, as git's
/// own strategies do.
#[test]
fn local_changes_stop_the_merge_as_git_does() {
    let repo = scenario();
    repo.write("app/edits.txt", b"local\n");
    same_as_git(
        &repo,
        "dirty-worktree",
        &[],
        &["merge", "--no-edit", "main"],
    );
    repo.ok(&["add", "app/edits.txt"]);
    same_as_git(&repo, "dirty-index", &[], &["merge", "--no-edit", "main"]);
}

/// Where git cannot find the strategy, install does not select it (a merge would stop
/// with "Could not find merge strategy"), says why, and the post-merge hook pins the
/// merge commit instead; doctor names the way to the strategy, and the problem where
/// pull.twohead selects a strategy git cannot find.
#[test]
fn without_poolmerge_on_path_the_hook_pins_and_doctor_says_so() {
    let repo = Repo::seeded();
    upstream_adds_a_module(&repo);
    let plain_path = std::env::var_os("PATH").unwrap_or_default();
    let run = |args: &[&str], path: &std::ffi::OsStr| {
        let out = clean_command(&crate::support::bin(), &repo.home())
            .current_dir(repo.work())
            .env("PATH", path)
            .args(args)
            .output()
            .unwrap();
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    };
    let (code, out) = run(&["install", "--hooks"], &plain_path);
    assert_eq!(code, Some(0), "{out}");
    assert!(
        out.contains("strategy: not used (") && out.contains("is not on PATH"),
        "{out}"
    );
    assert!(repo.git(&["config", "pull.twohead"]).stdout.is_empty());
    let (_, said) = run(&["doctor"], &plain_path);
    assert!(said.contains("note     no merge strategy"), "{said}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    let out = git(
        repo.work().parent().unwrap(),
        &["merge", "--no-edit", "main"],
        &[("PATH", plain_path.to_str().unwrap())],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    assert!(
        stderr.contains("pinned database/cache_db.py in the merge commit"),
        "{stderr}"
    );
    let committed = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(
        crate::support::pin_problems(committed.as_bytes()).is_empty(),
        "{committed}"
    );
    // pull.twohead set by hand, the strategy nowhere git looks: a problem, and its fix.
    repo.ok(&["config", "pull.twohead", "poolmerge"]);
    let (code, said) = run(&["doctor"], &plain_path);
    assert_eq!(code, Some(1), "{said}");
    assert!(
        said.contains("git finds no git-merge-poolmerge on PATH")
            && said.contains("git config --unset pull.twohead"),
        "{said}"
    );
}

/// Upstream's own `.poolmerge.toml` arriving in the merge (here: one that drops the
/// built-in pin) does not drive that merge: the profile is the fork's, read from HEAD,
/// and upstream's new module is pinned as the fork pins.
#[test]
fn a_configuration_the_merge_brings_does_not_drive_it() {
    let repo = Repo::seeded();
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(
        ".poolmerge.toml",
        b"files = [\"database/*.py\"]\ninclude_builtin = false\n",
        "upstream: its own poolmerge configuration",
    );
    repo.commit(
        "database/cache_db.py",
        b"from sqlalchemy import create_engine\n\nengine = create_engine('sqlite:///c.db')\n",
        "upstream: cache",
    );
    repo.ok(&["checkout", "-q", "fork"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.ok(&["add", ".gitattributes"]);
    repo.ok(&["commit", "-q", "-m", "route"]);
    let out = repo.git(&["merge", "--no-edit", "main"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cache = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(
        crate::support::pin_problems(cache.as_bytes()).is_empty(),
        "{cache}"
    );
    assert!(
        repo.ok(&["show", "HEAD:.poolmerge.toml"])
            .contains("include_builtin = false")
    );
}

/// Right after `install --hooks`, before `.gitattributes` is committed, the branch is
/// the fork's already: the route in the work tree counts, and the merge is pinned.
#[test]
fn a_route_not_yet_committed_already_makes_the_branch_the_fork_s() {
    let repo = Repo::seeded();
    upstream_adds_a_module(&repo);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        repo.ok(&["status", "--porcelain"])
            .contains(".gitattributes")
    );
    let out = repo.git(&["merge", "--no-edit", "main"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{said}");
    let cache = repo.ok(&["show", "HEAD:database/cache_db.py"]);
    assert!(
        crate::support::pin_problems(cache.as_bytes()).is_empty(),
        "{cache}\n{said}"
    );
}

/// An invalid configuration stops the merge before anything is written, in one line
/// naming the file and what is wrong, and how to merge without poolmerge.
#[test]
fn an_invalid_configuration_stops_the_merge_in_one_line() {
    let repo = Repo::seeded();
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.commit(".poolmerge.toml", b"files = 3\n", "a broken configuration");
    let before = repo.ok(&["rev-parse", "HEAD"]);
    let status = repo.ok(&["status", "--porcelain"]);
    let out = repo.git(&["merge", "--no-edit", "main"]);
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "{said}");
    let line = said
        .lines()
        .find(|l| l.starts_with("poolmerge: merge strategy:"))
        .unwrap_or_else(|| panic!("{said}"));
    assert!(
        line.contains(".poolmerge.toml") && line.contains("git merge -s ort"),
        "{line}"
    );
    assert_eq!(repo.ok(&["rev-parse", "HEAD"]), before);
    assert_eq!(
        repo.ok(&["status", "--porcelain"]),
        status,
        "nothing written"
    );
}

/// Upstream (main) adds an unpinned module the fork never had; the fork checked out.
fn upstream_adds_a_module(repo: &Repo) {
    repo.ok(&["checkout", "-q", "main"]);
    repo.commit(
        "database/cache_db.py",
        b"from sqlalchemy import create_engine\n\nengine = create_engine('sqlite:///c.db')\n",
        "upstream: cache",
    );
    repo.ok(&["checkout", "-q", "fork"]);
}

/// A module with a SQLite engine and `n` lines after it, the `k`-th one `tail`.
fn module(name: &str, head: &str, engine_args: &str, k: usize, tail: &str) -> Vec<u8> {
    let mut text = format!(
        "{head}\nfrom sqlalchemy import create_engine\nfrom sqlalchemy.pool import NullPool\n\nengine = create_engine(\"sqlite:///{name}.db\", poolclass=NullPool{engine_args})\n\n"
    );
    for i in 0..30 {
        if i == k {
            text.push_str(&format!("{tail}\n"));
        } else {
            text.push_str(&format!("def q{i}(s):\n    return s.execute({i})\n\n"));
        }
    }
    text.into_bytes()
}

/// The fork pins three modules and edits them; upstream's `main` edits them apart from
/// the fork's edits, inside an engine call, and against the fork's edit; `renames`
/// moves one of them and edits it.
fn owned_scenario() -> Repo {
    let repo = Repo::new();
    let write = |files: &[(&str, Vec<u8>)]| {
        for (path, text) in files {
            repo.write(path, text);
        }
    };
    write(&[
        ("database/a_db.py", module("a", "# a", "", 25, "X = 'base'")),
        ("database/b_db.py", module("b", "# b", "", 20, "LIMIT = 1")),
        ("database/c_db.py", module("c", "# c", "", 25, "Y = 'base'")),
        (
            ".gitattributes",
            b"database/b_db.py conflict-marker-size=9\n".to_vec(),
        ),
    ]);
    repo.ok(&["add", "-A"]);
    repo.ok(&["commit", "-q", "-m", "base"]);
    repo.ok(&["checkout", "-q", "-b", "renames"]);
    repo.ok(&["mv", "database/c_db.py", "database/c2_db.py"]);
    write(&[(
        "database/c2_db.py",
        module("c", "# c, moved", "", 25, "Y = 'base'"),
    )]);
    repo.ok(&["commit", "-q", "-am", "upstream: c moves"]);
    repo.ok(&["checkout", "-q", "main"]);
    write(&[
        (
            "database/a_db.py",
            module("a", "# a, upstream", ", echo=True", 25, "X = 'base'"),
        ),
        ("database/b_db.py", module("b", "# b", "", 20, "LIMIT = 3")),
        (
            "database/c_db.py",
            module("c", "# c, upstream", "", 25, "Y = 'base'"),
        ),
    ]);
    repo.ok(&["commit", "-q", "-am", "upstream: edits"]);
    repo.ok(&["checkout", "-q", "-b", "fork", "HEAD~1"]);
    let (code, out, err) = repo.poolmerge(&["install", "--hooks"]);
    assert_eq!(code, 0, "{out}{err}");
    let (code, out, err) = repo.poolmerge(&["fix"]);
    assert_eq!(code, 0, "{out}{err}");
    repo.ok(&["commit", "-q", "-am", "fork: pin and route"]);
    for (file, old, new) in [
        ("a", "X = 'base'", "X = 'fork'"),
        ("b", "LIMIT = 1", "LIMIT = 2"),
        ("c", "Y = 'base'", "Y = 'fork'"),
    ] {
        let path = format!("database/{file}_db.py");
        let text = repo.ok(&["show", &format!("HEAD:{path}")]);
        assert!(text.contains(old) && text.contains("StaticPool"), "{text}");
        repo.write(&path, text.replace(old, new).as_bytes());
    }
    repo.ok(&["commit", "-q", "-am", "fork: edits"]);
    repo
}

/// How many `git merge-tree` processes a traced command started.
fn merge_trees(trace: &Path) -> usize {
    std::fs::read_to_string(trace)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.contains("\"event\":\"start\"") && l.contains("\"merge-tree\""))
        .count()
}

/// Everything a merge left, owned files included: status, messages, index, the
/// database files' bytes.
fn owned_outcome(root: &Path, out: &Output) -> String {
    let mut text = format!(
        "exit {:?}\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .filter(|l| !l.contains("strategy"))
            .collect::<Vec<_>>()
            .join("\n")
    );
    text.push_str(&String::from_utf8_lossy(
        &git(root, &["ls-files", "-s"], &[]).stdout,
    ));
    for name in ["a_db.py", "b_db.py", "c_db.py", "c2_db.py"] {
        let bytes = std::fs::read(root.join("work/database").join(name)).unwrap_or_default();
        text.push_str(&format!("\n== {name}\n{}", String::from_utf8_lossy(&bytes)));
    }
    text
}

/// The strategy merges the owned files both sides changed in its own process (git
/// runs a stand-in where the driver would run): the result, conflicts, labels, marker
/// sizes and stages are byte for byte those of git running poolmerge's driver itself,
/// in every conflict style and for a cherry-pick; a rename among them sends the merge
/// back to git with the driver, with the same result.
#[test]
fn owned_files_merge_as_the_driver_merges_them() {
    let repo = owned_scenario();
    let cases: &[(&str, &[&str], &[&str], usize)] = &[
        ("merge", &[], &["merge", "--no-edit", "main"], 1),
        (
            "diff3",
            &["-c", "merge.conflictStyle=diff3"],
            &["merge", "--no-edit", "main"],
            1,
        ),
        (
            "zdiff3",
            &["-c", "merge.conflictStyle=zdiff3"],
            &["merge", "--no-edit", "main"],
            1,
        ),
        (
            "pick",
            &["-c", "merge.conflictStyle=diff3"],
            &["cherry-pick", "main"],
            1,
        ),
        ("renames", &[], &["merge", "--no-edit", "renames"], 2),
    ];
    for (name, config, command, runs) in cases {
        let ours = copy(&repo, &format!("owned-{name}-poolmerge"));
        let plain = copy(&repo, &format!("owned-{name}-driver"));
        let trace = ours.join("trace2.json");
        let mut args: Vec<&str> = config.to_vec();
        args.extend(command.iter());
        let a = git(
            &ours,
            &args,
            &[("GIT_TRACE2_EVENT", trace.to_str().unwrap())],
        );
        let mut driver_args = vec!["-c", "pull.twohead=ort"];
        driver_args.extend(&args);
        let b = git(&plain, &driver_args, &[]);
        assert_eq!(
            merge_trees(&trace),
            *runs,
            "{name}: merge-tree runs\n{}",
            String::from_utf8_lossy(&a.stderr)
        );
        let (a_text, b_text) = (owned_outcome(&ours, &a), owned_outcome(&plain, &b));
        if *name == "renames" {
            assert!(
                a_text.contains("# c, moved") && a_text.contains("Y = 'fork'"),
                "{a_text}"
            );
        } else {
            assert!(
                a_text.contains("LIMIT = 2") && a_text.contains("<<<<<<<<< HEAD"),
                "{name}: {a_text}"
            );
        }
        assert_eq!(
            a_text,
            b_text,
            "{name}: the strategy differs from the driver\n{}\n---\n{}",
            String::from_utf8_lossy(&a.stderr),
            String::from_utf8_lossy(&b.stderr)
        );
        // What the engine said, in the order the driver says it.
        let said = |o: &Output| -> Vec<String> {
            String::from_utf8_lossy(&o.stderr)
                .lines()
                .filter(|l| l.starts_with("poolmerge: database/"))
                .map(String::from)
                .collect()
        };
        assert_eq!(said(&a), said(&b), "{name}");
        for root in [ours, plain] {
            std::fs::remove_dir_all(root).unwrap();
        }
    }
}
